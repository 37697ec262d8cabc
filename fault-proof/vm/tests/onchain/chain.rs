//! An in-memory revm with `PreimageOracle` and `RISCV` deployed from `contracts/artifacts`, and
//! the calls the test makes: preimage loads and `step`.

use std::collections::HashSet;

use alloy_primitives::{Address, B256, Bytes, U256, address, hex};
use alloy_sol_types::SolCall;
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    handler::{MainnetContext, MainnetEvm},
    primitives::{TxKind, hardfork::SpecId},
};
use sprout_fault_proof_vm::StepWitness;

mod abi {
    alloy_sol_types::sol!(RISCV, "../../contracts/artifacts/RISCV.json");
    alloy_sol_types::sol!(
        PreimageOracle,
        "../../contracts/artifacts/PreimageOracle.json"
    );
}

pub const CALLER: Address = address!("0x00000000000000000000000000000000005eed01");
pub const CONTEXT: B256 = B256::repeat_byte(0x5c);

fn artifact_bytecode(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../contracts/artifacts/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("artifact (run contracts/script/build.sh)");
    let json: serde_json::Value = serde_json::from_str(&text).expect("artifact JSON");
    let code = json["bytecode"].as_str().expect("bytecode field");
    hex::decode(code).expect("bytecode hex")
}

/// An in-memory chain with the oracle and the step contract deployed.
pub(crate) struct Chain {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    nonce: u64,
    oracle: Address,
    riscv: Address,
    loaded: HashSet<(B256, u64)>,
}

/// Gas of one `step` transaction.
#[derive(Clone, Copy)]
pub(crate) struct Gas {
    /// What the transaction pays: intrinsic 21000 and calldata, execution, or the EIP-7623
    /// calldata floor when that is higher.
    pub(crate) tx: u64,
    /// Execution alone: the standard gas minus 21000 and the 4/16 per calldata byte.
    pub(crate) exec: u64,
}

/// The outcome of one `step` call.
pub(crate) enum Stepped {
    Hash { hash: B256, gas: Gas },
    Reverted(Bytes),
}

impl Chain {
    pub(crate) fn new() -> Self {
        let cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        let block = BlockEnv {
            gas_limit: 1 << 40,
            ..Default::default()
        };
        let evm = Context::mainnet()
            .with_cfg(cfg)
            .with_block(block)
            .with_db(CacheDB::new(EmptyDB::default()))
            .build_mainnet();
        let mut chain = Self {
            evm,
            nonce: 0,
            oracle: Address::ZERO,
            riscv: Address::ZERO,
            loaded: HashSet::new(),
        };
        chain.oracle = chain.deploy(artifact_bytecode("PreimageOracle"));
        let mut code = artifact_bytecode("RISCV");
        code.extend_from_slice(chain.oracle.into_word().as_slice());
        chain.riscv = chain.deploy(code);
        chain
    }

    fn transact(&mut self, kind: TxKind, data: Vec<u8>) -> ExecutionResult {
        let tx = TxEnv {
            caller: CALLER,
            kind,
            data: data.into(),
            gas_limit: 30_000_000,
            nonce: self.nonce,
            ..Default::default()
        };
        let result = self.evm.transact_commit(tx).expect("revm accepts the tx");
        self.nonce += 1;
        result
    }

    fn deploy(&mut self, code: Vec<u8>) -> Address {
        let result = self.transact(TxKind::Create, code);
        assert!(result.is_success(), "deployment failed: {result:?}");
        result.created_address().expect("created address")
    }

    fn call(&mut self, to: Address, data: Vec<u8>) -> ExecutionResult {
        self.transact(TxKind::Call(to), data)
    }

    /// Loads the preimage part a step reads (once per key and offset).
    fn preload(&mut self, w: &StepWitness) {
        let Some(p) = &w.preimage else { return };
        let len = p.data.len() as u64;
        // At or past the end, any part makes the length known (then the read is EOF).
        let part = if p.offset < len + 8 { p.offset } else { 0 };
        if !self.loaded.insert((p.key, part)) {
            return;
        }
        let data = match p.key[0] {
            2 => abi::PreimageOracle::loadKeccak256PreimagePartCall {
                partOffset: U256::from(part),
                preimage: p.data.clone(),
            }
            .abi_encode(),
            1 => {
                assert!(p.data.len() <= 32, "local data is at most 32 bytes");
                let mut word = [0u8; 32];
                word[..p.data.len()].copy_from_slice(&p.data);
                abi::PreimageOracle::loadLocalDataCall {
                    ident: U256::from_be_bytes(p.key.0),
                    localContext: CONTEXT,
                    word: B256::from(word),
                    size: U256::from(len),
                    partOffset: U256::from(part),
                }
                .abi_encode()
            }
            t => panic!("no way to load key type {t}"),
        };
        let result = self.call(self.oracle, data);
        assert!(result.is_success(), "preimage load failed: {result:?}");
    }

    pub(crate) fn step_raw(&mut self, state: &[u8], proof: &[u8]) -> Stepped {
        let data = abi::RISCV::stepCall {
            stateData: Bytes::copy_from_slice(state),
            proof: Bytes::copy_from_slice(proof),
            localContext: CONTEXT,
        }
        .abi_encode();
        let calldata: u64 = data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum();
        let result = self.call(self.riscv, data);
        let gas = Gas {
            tx: result.tx_gas_used(),
            exec: result.gas().total_gas_spent() - 21_000 - calldata,
        };
        match result {
            ExecutionResult::Success { output, .. } => {
                let out = output.into_data();
                let hash = abi::RISCV::stepCall::abi_decode_returns(&out).expect("bytes32 output");
                Stepped::Hash { hash, gas }
            }
            ExecutionResult::Revert { output, .. } => Stepped::Reverted(output),
            ExecutionResult::Halt { reason, .. } => panic!("step halted: {reason:?}"),
        }
    }

    /// Runs `w` on chain and requires the emulator's post-state hash; returns the gas used.
    pub(crate) fn check(&mut self, what: &str, w: &StepWitness) -> Gas {
        self.preload(w);
        match self.step_raw(w.state_bytes(), &w.proof_bytes()) {
            Stepped::Hash { hash, gas } => {
                assert_eq!(
                    hash, w.post_state_hash,
                    "{what}: step {} on chain differs from the emulator",
                    w.step
                );
                gas
            }
            Stepped::Reverted(out) => panic!("{what}: step {} reverted: {out}", w.step),
        }
    }

    pub(crate) fn expect_revert(&mut self, what: &str, state: &[u8], proof: &[u8]) {
        if let Stepped::Hash { hash, .. } = self.step_raw(state, proof) {
            panic!("{what}: accepted, gave {hash}");
        }
    }
}
