#!/usr/bin/env node
// Writes contracts/artifacts/<Name>.json = { abi, bytecode, deployedBytecode } for every
// deployable contract, from forge's out/ directory (run `forge build` first). The output is
// deterministic: keys sorted, no paths, timestamps or metadata (foundry.toml disables the CBOR
// metadata hash, so the bytecode does not depend on the checkout's location either).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'out');
const artifactsDir = path.join(root, 'artifacts');

// [source file under src/, contract name]
const CONTRACTS = [
  ['L1/Portal.sol', 'Portal'],
  ['L1/FaultProofPortal.sol', 'FaultProofPortal'],
  ['dispute/DisputeGameFactory.sol', 'DisputeGameFactory'],
  ['dispute/AnchorStateRegistry.sol', 'AnchorStateRegistry'],
  ['dispute/FaultDisputeGame.sol', 'FaultDisputeGame'],
  ['L1/L2OutputOracle.sol', 'L2OutputOracle'],
  ['L1/SystemConfig.sol', 'SystemConfig'],
  ['L2/L1Block.sol', 'L1Block'],
  ['L2/GasPriceOracle.sol', 'GasPriceOracle'],
  ['L2/L2ToL1MessagePasser.sol', 'L2ToL1MessagePasser'],
  ['L2/FeeVault.sol', 'SequencerFeeVault'],
  ['L2/FeeVault.sol', 'BaseFeeVault'],
  ['L2/FeeVault.sol', 'L1FeeVault'],
  ['fault-proof/PreimageOracle.sol', 'PreimageOracle'],
  ['fault-proof/RISCV.sol', 'RISCV'],
  ['test/TestToken.sol', 'TestToken'],
];

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

function hex(s, what) {
  if (typeof s !== 'string' || !/^0x[0-9a-fA-F]*$/.test(s)) {
    throw new Error(`${what}: not plain hex (unlinked library placeholder?)`);
  }
  return s.toLowerCase();
}

fs.mkdirSync(artifactsDir, { recursive: true });
const wanted = new Set();
for (const [file, name] of CONTRACTS) {
  const src = path.join(outDir, path.basename(file), `${name}.json`);
  if (!fs.existsSync(src)) {
    console.error(`missing ${path.relative(root, src)}: run \`npx forge build\` in contracts/ first`);
    process.exit(1);
  }
  const j = JSON.parse(fs.readFileSync(src, 'utf8'));
  const artifact = sortKeys({
    abi: j.abi,
    bytecode: hex(j.bytecode.object, `${name}.bytecode`),
    deployedBytecode: hex(j.deployedBytecode.object, `${name}.deployedBytecode`),
  });
  const dst = path.join(artifactsDir, `${name}.json`);
  fs.writeFileSync(dst, JSON.stringify(artifact, null, 2) + '\n');
  wanted.add(`${name}.json`);
}
// Drop artifacts of contracts no longer exported.
for (const f of fs.readdirSync(artifactsDir)) {
  if (f.endsWith('.json') && !wanted.has(f)) fs.unlinkSync(path.join(artifactsDir, f));
}
console.log(`wrote ${wanted.size} artifacts to ${path.relative(process.cwd(), artifactsDir) || '.'}`);
