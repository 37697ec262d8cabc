#!/usr/bin/env node
// Regenerates (or, with --check, verifies) the *.hex preinstall runtime bytecodes in this folder
// from npm packages, and checks each against its canonical keccak256 code hash (see README.md).
//
//   node contracts/preinstalls/extract.mjs [--check] [--node-modules DIR]
//
// DIR (default: <repo>/node_modules) must hold these packages (npm aliases for the two AA versions):
//   @eth-optimism/contracts-bedrock@0.17.3          -> src/libraries/Preinstalls.sol (hex constants)
//   aa-contracts-v07 = npm:@account-abstraction/contracts@0.7.0  -> artifacts/EntryPoint.json
//   aa-contracts-v08 = npm:@account-abstraction/contracts@0.8.0  -> artifacts/EntryPoint.json
//   @noble/hashes@1.4.0, @ethereumjs/evm@3.1.1 (+ @ethereumjs/common@4, @ethereumjs/util@9)
//
// EntryPoint runtimes contain constructor-set immutables (Hardhat's deployedBytecode has them zeroed),
// so the EntryPoint creation bytecode is executed in an in-process EVM (chain id 1, created at the
// canonical address with the account nonce a fresh CREATE2 target has), exactly as the canonical
// deployment did. Its constructor also CREATEs SenderCreator at CREATE(entryPoint, nonce 1).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes('--check');
const nmIdx = args.indexOf('--node-modules');
const nm = nmIdx >= 0 ? path.resolve(args[nmIdx + 1]) : path.resolve(here, '../../node_modules');

const EXPECTED = {
  Multicall3: ['0xcA11bde05977b3631167028862bE2a173976CA11', 3808, '0xd5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891'],
  DeterministicDeploymentProxy: ['0x4e59b44847b379578588920cA78FbF26c0B4956C', 69, '0x2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989'],
  Create2Deployer: ['0x13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2', 1584, '0xb0550b5b431e30d38000efb7107aaa0ade03d48a7198a140edda9d27134468b2'],
  Permit2: ['0x000000000022D473030F116dDEE9F6B43aC78BA3', 9152, '0xc67d1657868aa5146eaf24fb879fb1fdec3d2d493b3683a61c9c2f4fb2851131'],
  EntryPoint_v070: ['0x0000000071727De22E5E9d8BAf0edAc6f37da032', 16035, '0x8db5ff695839d655407cc8490bb7a5d82337a86a6b39c3f0258aa6c3b582fc58'],
  SenderCreator_v070: ['0xEFC2c1444eBCC4Db75e7613d20C6a62fF67A167C', 451, '0x283c9d14378f5f4c4e24045b87d621d48443fa5b4af7dd7180a599b3756a7689'],
  EntryPoint_v080: ['0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108', 21738, '0x44e632a24c6f2600cbd5b5b8b4c2d372359112c8b5774297f5fd0a9e64f11f86'],
  SenderCreator_v080: ['0x449ED7C3e6Fee6a97311d4b55475DF59C44AdD33', 1217, '0xc69a1b3a000d570bc86eb096ee63a9014a17951ad616d720882ec61432b00fcf'],
};

const req = createRequire(path.join(nm, 'noop.js'));
const { keccak_256 } = req('@noble/hashes/sha3');
const { bytesToHex: nbHex, hexToBytes: nbBytes } = req('@noble/hashes/utils');
const strip = (h) => h.replace(/^0x/, '').toLowerCase();
const keccak = (hex) => '0x' + nbHex(keccak_256(nbBytes(strip(hex))));

function verify(name, hex) {
  const [, len, hash] = EXPECTED[name];
  const got = keccak(hex), n = strip(hex).length / 2;
  const ok = got === hash && n === len;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(30)} ${String(n).padStart(6)} ${got}`);
  return ok;
}

if (check) {
  let ok = true;
  for (const name of Object.keys(EXPECTED)) {
    const hex = fs.readFileSync(path.join(here, `${name}.hex`), 'utf8').trim();
    ok = verify(name, hex) && ok;
  }
  process.exit(ok ? 0 : 1);
}

const out = {};
// 1. OP's Preinstalls.sol (hex"..." constants).
const sol = fs.readFileSync(path.join(nm, '@eth-optimism/contracts-bedrock/src/libraries/Preinstalls.sol'), 'utf8');
const constant = (id) => {
  const m = new RegExp(`bytes internal constant ${id}\\s*=\\s*hex"([0-9a-fA-F]*)"`).exec(sol);
  if (!m) throw new Error(`${id} not found in Preinstalls.sol`);
  return '0x' + m[1].toLowerCase();
};
out.Multicall3 = constant('MultiCall3Code');
out.DeterministicDeploymentProxy = constant('DeterministicDeploymentProxyCode');
out.Create2Deployer = constant('Create2DeployerCode');
out.Permit2 = constant('Permit2TemplateCode'); // = Ethereum mainnet code (chain id 1 immutables)

// 2. EntryPoint v0.7 / v0.8: run the creation code in an EVM at the canonical address.
const { EVM } = req('@ethereumjs/evm');
const { Common, Hardfork, Chain } = req('@ethereumjs/common');
const { Address, hexToBytes, bytesToHex } = req('@ethereumjs/util');
async function deploy(artifactPkg, at) {
  const common = Common.custom({ chainId: 1n, networkId: 1n }, { baseChain: Chain.Mainnet, hardfork: Hardfork.Cancun });
  const evm = await EVM.create({ common });
  const init = JSON.parse(fs.readFileSync(path.join(nm, artifactPkg, 'artifacts/EntryPoint.json'), 'utf8')).bytecode;
  const caller = new Address(hexToBytes('0x' + '11'.repeat(20)));
  const target = new Address(hexToBytes(at));
  const gen = evm._generateAddress.bind(evm);
  evm._generateAddress = async (m) => (m.caller.equals(caller) ? target : gen(m));
  const r = await evm.runCall({ caller, origin: caller, data: hexToBytes(init), gasLimit: 100_000_000n, skipBalance: true });
  if (r.execResult.exceptionError) throw new Error(`${artifactPkg}: ${r.execResult.exceptionError.error}`);
  const senderCreator = '0x' + keccak('0xd694' + strip(at) + '01').slice(-40); // CREATE(at, nonce 1)
  return {
    entryPoint: bytesToHex(await evm.stateManager.getContractCode(target)),
    senderCreator: bytesToHex(await evm.stateManager.getContractCode(new Address(hexToBytes(senderCreator)))),
  };
}
const v07 = await deploy('aa-contracts-v07', EXPECTED.EntryPoint_v070[0]);
out.EntryPoint_v070 = v07.entryPoint;
out.SenderCreator_v070 = v07.senderCreator;
const v08 = await deploy('aa-contracts-v08', EXPECTED.EntryPoint_v080[0]);
out.EntryPoint_v080 = v08.entryPoint;
out.SenderCreator_v080 = v08.senderCreator;

let ok = true;
for (const [name, hex] of Object.entries(out)) {
  if (verify(name, hex)) fs.writeFileSync(path.join(here, `${name}.hex`), '0x' + strip(hex) + '\n');
  else ok = false;
}
process.exit(ok ? 0 : 1);
