//! The chain service: the database, the pool and the head. Its jobs are split by file:
//! admission to the pool (`chain_pool.rs`), block production (`chain_build.rs`), rolling back
//! (`chain_unwind.rs`) and the rollup side, derived blocks and the safe and finalized heads
//! (`chain_derived.rs`). This file opens the chain and makes each new block the head.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};
use parking_lot::{Mutex, RwLock};
use revm::primitives::hardfork::SpecId;
use sprout_protocol::{
    BlockEnvInputs, ChainConfig, ExecutedBlock, RecoveredTx,
    derive::{L2BlockInfo, PayloadAttributes},
    executor::ApplyError,
    l1_info::L1BlockInfo,
};
use sprout_sequencer::{
    PoolTx,
    pool::{AccountReader, EIP7702_TX_TYPE, PoolConfig, TxPool},
};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use crate::{NodeError, Result, rollup::RollupMode};
use sprout_storage::{DerivationRecord, LatestState, NewBlock, Pruner, SafeUpdate, Storage};

/// Largest transaction the pool accepts (geth's 128 KiB).
pub const MAX_TX_SIZE: usize = 128 * 1024;

/// The node's chain: storage, head and pool.
pub struct Chain {
    storage: Arc<Storage>,
    config: ChainConfig,
    pool: TxPool<PoolTx>,
    head: RwLock<(Header, B256)>,
    produce: Mutex<()>,
    blocks: broadcast::Sender<Arc<NewBlock>>,
    pending: broadcast::Sender<B256>,
    rollup: Option<RollupMode>,
    /// Bumped whenever the safe head moves back outside derivation's control (an unwind):
    /// the derivation driver then restarts its pipeline.
    resets: std::sync::atomic::AtomicU64,
    /// The last L1 block derivation read.
    derivation_l1: RwLock<Option<sprout_protocol::l1_info::L1BlockRef>>,
    /// In rollup mode: the L1 fee parameters of the head block (its L1-info deposit), by the
    /// head's hash, for admission. Set when a block is published, read from storage otherwise.
    head_l1_info: RwLock<Option<(B256, L1BlockInfo)>>,
    /// With `--prune`: sweeps old trie nodes in the background as blocks are committed.
    pruner: Option<Pruner>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("chain_id", &self.config.chain_id)
            .finish()
    }
}

impl Chain {
    /// Opens the chain in `storage`, writing the genesis of `config` if the database is empty.
    /// A database created for another chain is refused.
    pub fn open(storage: Storage, config: ChainConfig) -> Result<Arc<Self>> {
        Self::open_with(storage, config, None)
    }

    /// Opens a rollup chain: blocks are anchored to L1 through `rollup`.
    pub fn open_rollup(
        storage: Storage,
        config: ChainConfig,
        rollup: RollupMode,
    ) -> Result<Arc<Self>> {
        let genesis_hash = config.genesis()?.header.hash_slow();
        rollup.config.validate_against(&config, genesis_hash)?;
        Self::open_with(storage, config, Some(rollup))
    }

    fn open_with(
        storage: Storage,
        config: ChainConfig,
        rollup: Option<RollupMode>,
    ) -> Result<Arc<Self>> {
        config.validate()?;
        let genesis = config.genesis()?;
        let genesis_hash = genesis.header.hash_slow();
        let head_hash = match storage.head_hash()? {
            Some(head) => {
                let stored_genesis = storage.canonical_hash(0)?;
                if stored_genesis != Some(genesis_hash) {
                    return Err(NodeError::Config(format!(
                        "the datadir holds another chain (genesis {}, expected {genesis_hash}); use another --datadir or delete this one",
                        stored_genesis.unwrap_or_default()
                    )));
                }
                head
            }
            None => {
                info!(target: "chain", hash = %genesis_hash, "writing genesis");
                storage.init_genesis(&config, &genesis)?
            }
        };
        let head = storage
            .header(&head_hash)?
            .ok_or(NodeError::UnknownBlock(head_hash))?;
        info!(target: "chain", number = head.number, hash = %head_hash, "chain head");
        let mut pool_config = PoolConfig::new(config.chain_id, head.gas_limit);
        pool_config.max_tx_size = MAX_TX_SIZE;
        // A 1 Ggas block holds ~47k transfers: keep a few blocks' worth executable.
        pool_config.max_pending = 200_000;
        pool_config.max_queued = 20_000;
        let pool = TxPool::new(pool_config);
        let (blocks, _) = broadcast::channel(256);
        let (pending, _) = broadcast::channel(16_384);
        let storage = Arc::new(storage);
        // A rollup keeps every block an L1 reorg can roll back to: the finalized one and later.
        let pruner = Pruner::new(storage.clone(), rollup.is_some());
        match storage.prune_keep() {
            Some(keep) => {
                info!(target: "chain", keep, kept_from = storage.state_kept_from(), "pruning trie history")
            }
            None if storage.state_kept_from() > 0 => {
                warn!(target: "chain", kept_from = storage.state_kept_from(),
                    "this datadir was pruned: the state of older blocks stays unavailable")
            }
            None => {}
        }
        Ok(Arc::new(Self {
            storage,
            config,
            pool,
            head: RwLock::new((head, head_hash)),
            produce: Mutex::new(()),
            blocks,
            pending,
            rollup,
            resets: Default::default(),
            derivation_l1: RwLock::new(None),
            head_l1_info: RwLock::new(None),
            pruner,
        }))
    }

    /// The database.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The chain config.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The transaction pool.
    pub fn pool(&self) -> &TxPool<PoolTx> {
        &self.pool
    }

    /// The head header and its hash.
    pub fn head(&self) -> (Header, B256) {
        self.head.read().clone()
    }

    /// Subscribes to committed blocks.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<NewBlock>> {
        self.blocks.subscribe()
    }

    /// Subscribes to hashes of transactions entering the pool's pending set.
    pub fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        self.pending.subscribe()
    }

    /// The base fee the next block will have.
    pub fn next_base_fee(&self) -> u64 {
        let (head, _) = self.head();
        self.config.next_base_fee(&head)
    }
    /// Makes a just-committed block the head: pool, subscribers, log.
    fn publish(&self, executed: &ExecutedBlock) -> Arc<NewBlock> {
        let new_block = Arc::new(NewBlock {
            header: executed.block.header.clone(),
            hash: executed.hash,
            tx_hashes: executed
                .block
                .body
                .transactions
                .iter()
                .map(|tx| tx.hash())
                .collect(),
            receipts: executed.receipts.clone(),
        });
        *self.head.write() = (executed.block.header.clone(), executed.hash);
        if self.rollup.is_some()
            && let Some(info) = executed
                .block
                .body
                .transactions
                .first()
                .and_then(l1_info_of)
        {
            *self.head_l1_info.write() = Some((executed.hash, info));
        }
        // A rollup's next block has the head's gas limit unless a SystemConfig update changes
        // it again.
        self.pool
            .set_block_gas_limit(executed.block.header.gas_limit);
        self.pool.on_block_committed(
            &PoolState(&self.storage),
            &new_block.tx_hashes,
            self.config.next_base_fee(&executed.block.header),
        );
        log_block(executed);
        if let Some(pruner) = &self.pruner {
            pruner.on_head(executed.block.header.number);
        }
        let _ = self.blocks.send(new_block.clone());
        new_block
    }
}

#[path = "chain_build.rs"]
mod build;
#[path = "chain_derived.rs"]
mod derived;
#[path = "chain_pool.rs"]
mod pool;
#[path = "chain_unsafe.rs"]
mod unsafe_blocks;
#[path = "chain_unwind.rs"]
mod unwind;

pub use unsafe_blocks::UnsafeOutcome;

use build::{dev_timestamp, log_block};
use derived::recover_all;
use pool::{PoolState, l1_info_of};

#[cfg(test)]
#[path = "chain_prune_tests.rs"]
mod prune_tests;
#[cfg(test)]
#[path = "chain_storage_tests.rs"]
mod storage_tests;
#[cfg(test)]
#[path = "chain_tests.rs"]
pub(crate) mod tests;
