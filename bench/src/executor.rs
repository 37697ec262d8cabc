//! In-process executor figures, three ways: raw revm over `CacheDB<EmptyDB>` (the ceiling),
//! Sprout's `BlockBuilder` with the state root over memory, and the same plus a RocksDB commit.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use anyhow::{Result, anyhow, bail};
use revm::{
    ExecuteCommitEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
    state::AccountInfo,
};
use sprout_protocol::{
    AccountState, BlockEnvInputs, ChainConfig, ExecutedBlock, Executor, RecoveredTx, StateChanges,
    StateReader, executor::ApplyError, trie::MemoryNodes,
};
use sprout_storage::{LatestState, Storage};

use crate::workload::{CHAIN_ID, GAS_LIMIT, SignedTx};

/// Blocks to run untimed (setup), then blocks to time.
#[derive(Debug)]
pub struct Workload {
    /// `eth` or `erc20`.
    pub name: &'static str,
    /// Untimed blocks run first (token deployment and funding).
    pub setup: Vec<Vec<SignedTx>>,
    /// Timed blocks.
    pub blocks: Vec<Vec<SignedTx>>,
}

/// How a workload is executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// revm's `transact_commit` over `CacheDB<EmptyDB>`.
    RawRevm,
    /// `Executor::builder` / `apply` / `finish` over memory, state root included.
    ExecutorWithRoot,
    /// The same over RocksDB, plus `Storage::commit_block`.
    ExecutorRootCommit,
}

impl Way {
    /// All ways, ceiling first.
    pub const ALL: [Self; 3] = [
        Self::RawRevm,
        Self::ExecutorWithRoot,
        Self::ExecutorRootCommit,
    ];

    /// Name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Self::RawRevm => "raw revm (CacheDB, memory)",
            Self::ExecutorWithRoot => "executor + state root (memory)",
            Self::ExecutorRootCommit => "executor + root + RocksDB commit",
        }
    }
}

/// Time spent on one block.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockTiming {
    /// Transactions.
    pub txs: usize,
    /// Gas used.
    pub gas: u64,
    /// Executing transactions (`apply` or `transact_commit`).
    pub exec: Duration,
    /// `finish`: state root, transactions/receipts roots, header.
    pub root: Duration,
    /// `commit_block` (RocksDB only).
    pub commit: Duration,
}

impl BlockTiming {
    /// Time the way is measured on.
    pub fn total(&self) -> Duration {
        self.exec + self.root + self.commit
    }
}

/// Runs `workload` one way; returns the timing of each timed block.
pub fn run(config: &ChainConfig, workload: &Workload, way: Way) -> Result<Vec<BlockTiming>> {
    match way {
        Way::RawRevm => run_revm(config, workload),
        Way::ExecutorWithRoot => run_memory(config, workload),
        Way::ExecutorRootCommit => run_rocksdb(config, workload),
    }
}

fn run_revm(config: &ChainConfig, workload: &Workload) -> Result<Vec<BlockTiming>> {
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, account) in &config.genesis.alloc {
        if account.code.is_none() {
            db.insert_account_info(*address, AccountInfo::from_balance(account.balance));
        }
    }
    let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
    cfg.chain_id = CHAIN_ID;
    let block = BlockEnv {
        number: U256::from(1),
        timestamp: U256::from(1),
        gas_limit: GAS_LIMIT,
        basefee: config.base_fee.initial_base_fee,
        prevrandao: Some(B256::ZERO),
        ..Default::default()
    };
    let mut evm = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block)
        .with_db(db)
        .build_mainnet();
    let mut run_block = |txs: &[SignedTx]| -> Result<BlockTiming> {
        let envs: Vec<TxEnv> = txs.iter().map(|t| t.recovered.tx_env()).collect();
        let mut gas = 0;
        let start = Instant::now();
        for env in envs {
            let result = evm
                .transact_commit(env)
                .map_err(|e| anyhow!("revm: {e:?}"))?;
            if !result.is_success() {
                bail!("a benchmark transaction failed in revm: {result:?}");
            }
            gas += result.tx_gas_used();
        }
        Ok(BlockTiming {
            txs: txs.len(),
            gas,
            exec: start.elapsed(),
            ..Default::default()
        })
    };
    for block in &workload.setup {
        run_block(block)?;
    }
    workload.blocks.iter().map(|b| run_block(b)).collect()
}

/// Everything Sprout's own harness needs per block.
fn block_inputs(config: &ChainConfig, parent: &Header) -> BlockEnvInputs {
    BlockEnvInputs {
        beneficiary: config.fee_recipient,
        timestamp: parent.timestamp + 1,
        gas_limit: config.gas_limit,
        base_fee: config.next_base_fee(parent),
        prev_randao: B256::ZERO,
        extra_data: Bytes::new(),
        parent_beacon_block_root: Some(B256::ZERO),
        withdrawals: Some(Vec::new()),
    }
}

fn executor(config: &ChainConfig) -> Executor {
    Executor {
        chain_id: config.chain_id,
        spec: config.hardfork.spec_id(),
    }
}

/// Applies `txs` to a builder over `reader`, then finishes over `trie`.
pub fn build<R: StateReader, P: sprout_protocol::trie::TrieNodeProvider>(
    config: &ChainConfig,
    parent: &Header,
    reader: R,
    trie: &P,
    txs: &[SignedTx],
) -> Result<(ExecutedBlock, BlockTiming)> {
    let recovered: Vec<RecoveredTx> = txs.iter().map(|t| t.recovered.clone()).collect();
    let start = Instant::now();
    let mut builder = executor(config).builder(parent, block_inputs(config, parent), reader)?;
    for tx in recovered {
        builder.apply(tx).map_err(|e| match e {
            ApplyError::Invalid(e) | ApplyError::Fatal(e) => anyhow!("apply: {e}"),
        })?;
    }
    let exec = start.elapsed();
    let start = Instant::now();
    let executed = builder.finish(parent.state_root, trie)?;
    let root = start.elapsed();
    if let Some(i) = executed.receipts.iter().position(|r| !r.success) {
        bail!(
            "benchmark transaction {i} of block {} failed",
            executed.block.header.number
        );
    }
    let timing = BlockTiming {
        txs: txs.len(),
        gas: executed.block.header.gas_used,
        exec,
        root,
        commit: Duration::ZERO,
    };
    Ok((executed, timing))
}

fn run_memory(config: &ChainConfig, workload: &Workload) -> Result<Vec<BlockTiming>> {
    let genesis = config.genesis()?;
    let mut state = MemoryState::default();
    state.apply(&genesis.changes);
    let mut nodes = MemoryNodes::default();
    nodes.insert_nodes(genesis.trie_nodes);
    let mut parent = genesis.header;
    let mut timings = Vec::new();
    for (i, txs) in workload.setup.iter().chain(&workload.blocks).enumerate() {
        let (executed, timing) = build(config, &parent, &state, &nodes, txs)?;
        state.apply(&executed.changes);
        state
            .hashes
            .insert(executed.block.header.number, executed.hash);
        nodes.insert_nodes(executed.trie_nodes);
        parent = executed.block.header;
        if i >= workload.setup.len() {
            timings.push(timing);
        }
    }
    Ok(timings)
}

fn run_rocksdb(config: &ChainConfig, workload: &Workload) -> Result<Vec<BlockTiming>> {
    let dir = tempfile::Builder::new().prefix("sprout-bench-").tempdir()?;
    let storage = Storage::open(&dir.path().join("db"))?;
    let genesis = config.genesis()?;
    storage.init_genesis(config, &genesis)?;
    let mut parent = genesis.header;
    let mut timings = Vec::new();
    for (i, txs) in workload.setup.iter().chain(&workload.blocks).enumerate() {
        let (executed, mut timing) = build(config, &parent, LatestState(&storage), &storage, txs)?;
        let start = Instant::now();
        storage.commit_block(&executed)?;
        timing.commit = start.elapsed();
        parent = executed.block.header;
        if i >= workload.setup.len() {
            timings.push(timing);
        }
    }
    Ok(timings)
}

/// Flat state in hash maps: the in-memory [`StateReader`].
#[derive(Debug, Default)]
struct MemoryState {
    accounts: HashMap<Address, AccountState>,
    storage: HashMap<Address, HashMap<U256, U256>>,
    codes: HashMap<B256, Bytes>,
    hashes: HashMap<u64, B256>,
}

impl MemoryState {
    fn apply(&mut self, changes: &StateChanges) {
        for (address, change) in &changes.accounts {
            if change.storage_cleared {
                self.storage.remove(address);
            }
            match change.account {
                Some(account) => {
                    self.accounts.insert(*address, account);
                }
                None => {
                    self.accounts.remove(address);
                }
            }
            if !change.storage.is_empty() {
                let slots = self.storage.entry(*address).or_default();
                for (slot, value) in &change.storage {
                    if value.is_zero() {
                        slots.remove(slot);
                    } else {
                        slots.insert(*slot, *value);
                    }
                }
            }
        }
        for (hash, code) in &changes.codes {
            self.codes.insert(*hash, code.clone());
        }
    }
}

impl StateReader for MemoryState {
    fn account(&self, address: Address) -> sprout_protocol::Result<Option<AccountState>> {
        Ok(self.accounts.get(&address).copied())
    }

    fn storage(&self, address: Address, slot: U256) -> sprout_protocol::Result<U256> {
        Ok(self
            .storage
            .get(&address)
            .and_then(|slots| slots.get(&slot))
            .copied()
            .unwrap_or_default())
    }

    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        Ok(self.codes.get(&code_hash).cloned())
    }

    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        Ok(self.hashes.get(&number).copied().unwrap_or_default())
    }
}
