//! The chain service: the database, the pool and the head, plus the block-production loop that
//! turns pool transactions into committed blocks every block time.

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
    derive::{L2BlockInfo, PayloadAttributes, rollup_block_inputs, rollup_fees},
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

/// Reads account nonces and balances from the latest flat state, for the pool.
struct PoolState<'a>(&'a Storage);

impl AccountReader for PoolState<'_> {
    fn nonce_and_balance(&self, who: Address) -> (u64, U256) {
        match self.0.latest_account(&who) {
            Ok(Some(account)) => (account.nonce, account.balance),
            Ok(None) => (0, U256::ZERO),
            Err(err) => {
                warn!(target: "pool", %who, %err, "state read failed; treating account as empty");
                (0, U256::ZERO)
            }
        }
    }
}

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

    /// Validates a raw transaction and adds it to the pool. Returns its hash.
    pub fn submit_raw(&self, raw: &[u8]) -> std::result::Result<B256, String> {
        if raw.len() > MAX_TX_SIZE {
            return Err("oversized data".to_string());
        }
        let tx = RecoveredTx::decode(raw).map_err(|err| match err {
            sprout_protocol::ProtocolError::UnsupportedTxType(_) => {
                "transaction type not supported".to_string()
            }
            sprout_protocol::ProtocolError::InvalidSignature => "invalid sender".to_string(),
            other => format!("rlp: {other}"),
        })?;
        let spec = self.next_spec();
        if tx.tx.tx_type() == EIP7702_TX_TYPE && !spec.is_enabled_in(SpecId::PRAGUE) {
            // geth's ErrTxTypeNotSupported: set-code transactions wait for Prague.
            return Err("transaction type not supported".to_string());
        }
        let hash = tx.hash;
        let pool_tx = self
            .pool_tx(tx, raw.len(), spec)
            .map_err(|e| format!("cannot price the L1 data fee: {e}"))?;
        let base_fee = self.next_base_fee();
        self.pool
            .add(pool_tx, &PoolState(&self.storage), base_fee)
            .map_err(|err| err.to_string())?;
        let _ = self.pending.send(hash);
        Ok(hash)
    }

    /// The EVM rules of the next block (its timestamp as the block loop will choose it).
    fn next_spec(&self) -> SpecId {
        let (head, _) = self.head();
        let timestamp = if self.rollup.is_some() {
            head.timestamp + self.config.block_time
        } else {
            dev_timestamp(&head)
        };
        self.config.spec_at(timestamp)
    }

    /// `tx` as the pool holds it under the next block's rules `spec`, with its L1 data fee at
    /// the head's L1 fee parameters.
    fn pool_tx(&self, tx: RecoveredTx, encoded_len: usize, spec: SpecId) -> Result<PoolTx> {
        let l1_fee = match self.head_l1_info()? {
            Some(info) => info.l1_fee(L1BlockInfo::l1_gas_used(&tx.tx.unsigned_encoding())),
            None => U256::ZERO,
        };
        Ok(PoolTx::new(tx, encoded_len, spec, l1_fee))
    }

    /// In rollup mode, the L1 fee parameters the head block was built with (what the next
    /// block of the same epoch charges); `None` off a rollup or at genesis.
    fn head_l1_info(&self) -> Result<Option<L1BlockInfo>> {
        if self.rollup.is_none() {
            return Ok(None);
        }
        let (header, hash) = self.head();
        if let Some((cached, info)) = *self.head_l1_info.read()
            && cached == hash
        {
            return Ok(Some(info));
        }
        if header.number == 0 {
            return Ok(None);
        }
        let body = self
            .storage
            .body(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        let info = match body.transaction(0)? {
            Some(first) => l1_info_of(&first),
            None => None,
        };
        if let Some(info) = info {
            *self.head_l1_info.write() = Some((hash, info));
        }
        Ok(info)
    }

    fn block_inputs(&self, parent: &Header) -> BlockEnvInputs {
        BlockEnvInputs {
            beneficiary: self.config.fee_recipient,
            timestamp: dev_timestamp(parent),
            gas_limit: self.config.gas_limit,
            base_fee: self.config.next_base_fee(parent),
            prev_randao: B256::ZERO,
            extra_data: Default::default(),
            parent_beacon_block_root: Some(B256::ZERO),
            withdrawals: Some(Vec::new()),
        }
    }

    /// Builds, executes and commits one block from the pool. Blocking: run it off the async
    /// runtime.
    pub fn produce_block(&self) -> Result<Arc<NewBlock>> {
        let _guard = self.produce.lock();
        let (mut parent, mut parent_hash) = self.head();
        let plan = match &self.rollup {
            Some(rollup) => {
                match rollup.plan(&self.storage, &self.config, &parent, parent_hash) {
                    Err(NodeError::OriginReorged { number, hash }) => {
                        // L1 dropped the origin: go back to the newest block whose origin L1
                        // still has, and build on it.
                        warn!(target: "sequencer", origin = number, %hash, "L1 origin reorged out; rolling back");
                        let keep =
                            rollup.canonical_ancestor(&self.storage, &parent, parent_hash)?;
                        self.unwind_locked(keep)?;
                        (parent, parent_hash) = self.head();
                        Some(rollup.plan(&self.storage, &self.config, &parent, parent_hash)?)
                    }
                    other => Some(other?),
                }
            }
            None => None,
        };
        let inputs = match &plan {
            Some(plan) => plan.inputs.clone(),
            None => self.block_inputs(&parent),
        };
        let base_fee = inputs.base_fee;
        let mut builder = self.config.executor_at(inputs.timestamp).builder(
            &parent,
            inputs,
            LatestState(&self.storage),
        )?;
        let mut allow_user_txs = true;
        if let Some(plan) = plan {
            builder.set_rollup_fees(plan.fees);
            for deposit in plan.deposits {
                match builder.apply(deposit) {
                    Ok(()) => {}
                    Err(ApplyError::Invalid(err) | ApplyError::Fatal(err)) => {
                        return Err(err.into());
                    }
                }
            }
            allow_user_txs = plan.allow_user_txs;
        }
        let mut best = self.pool.best(base_fee);
        let mut evicted = Vec::new();
        while allow_user_txs && builder.gas_remaining() >= 21_000 {
            let Some(tx) = best.next() else { break };
            if tx.tx.tx.gas_limit() > builder.gas_remaining() {
                // Fits a later, emptier block: keep it, and its sender's later nonces behind it.
                best.mark_invalid(tx.tx.sender);
                continue;
            }
            match builder.apply((*tx.tx).clone()) {
                Ok(()) => {}
                Err(ApplyError::Invalid(err)) => {
                    // It would block its sender's later nonces forever: drop it.
                    warn!(target: "sequencer", hash = %tx.tx.hash, sender = %tx.tx.sender,
                        nonce = tx.tx.tx.nonce(), %err,
                        "evicting a transaction the block builder cannot include");
                    best.mark_invalid(tx.tx.sender);
                    evicted.push(tx.tx.hash);
                }
                Err(ApplyError::Fatal(err)) => return Err(err.into()),
            }
        }
        drop(best);
        self.pool.remove(&evicted);
        let executed = builder.finish(parent.state_root, self.storage.as_ref())?;
        debug_assert_eq!(executed.block.header.parent_hash, parent_hash);
        self.storage.commit_block(&executed)?;
        Ok(self.publish(&executed))
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
        let included: Vec<B256> = executed
            .block
            .body
            .transactions
            .iter()
            .map(|tx| tx.hash())
            .collect();
        // A rollup's next block has the head's gas limit unless a SystemConfig update changes
        // it again.
        self.pool
            .set_block_gas_limit(executed.block.header.gas_limit);
        self.pool.on_block_committed(
            &PoolState(&self.storage),
            &included,
            self.config.next_base_fee(&executed.block.header),
        );
        log_block(executed);
        if let Some(pruner) = &self.pruner {
            pruner.on_head(executed.block.header.number);
        }
        let _ = self.blocks.send(new_block.clone());
        new_block
    }

    /// Rolls the chain back to block `target` (a reorg of unsafe blocks): the state returns to
    /// that block's, it becomes the head, and the user transactions of the removed blocks go
    /// back to the pool so they can be included again. Blocking.
    pub fn unwind_to(&self, target: u64) -> Result<usize> {
        let _guard = self.produce.lock();
        self.unwind_locked(target)
    }

    fn unwind_locked(&self, target: u64) -> Result<usize> {
        let (head, head_hash) = self.head();
        let bodies = self.storage.unwind_to(target)?;
        if bodies.is_empty() {
            return Ok(0);
        }
        let hash = self
            .storage
            .canonical_hash(target)?
            .ok_or_else(|| NodeError::Corrupt(format!("no canonical block {target}")))?;
        let header = self
            .storage
            .header(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        *self.head.write() = (header.clone(), hash);
        self.resets
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        warn!(
            target: "chain",
            from = head.number,
            from_hash = %head_hash,
            to = target,
            to_hash = %hash,
            "rolled back unsafe blocks"
        );
        let base_fee = self.config.next_base_fee(&header);
        self.pool.set_block_gas_limit(header.gas_limit);
        let spec = self.next_spec();
        let mut returned = 0usize;
        for body in &bodies {
            for raw in &body.transactions {
                if raw.first() == Some(&sprout_protocol::tx::DEPOSIT_TX_TYPE) {
                    continue;
                }
                let Ok(tx) = RecoveredTx::decode(raw) else {
                    continue;
                };
                let pool_tx = self.pool_tx(tx, raw.len(), spec)?;
                if self
                    .pool
                    .add(pool_tx, &PoolState(&self.storage), base_fee)
                    .is_ok()
                {
                    returned += 1;
                }
            }
        }
        self.pool
            .on_block_committed(&PoolState(&self.storage), &[], base_fee);
        debug!(target: "chain", returned, "transactions of rolled-back blocks back in the pool");
        Ok(bodies.len())
    }

    /// Produces a block every block time until `shutdown` resolves.
    pub async fn run_sequencer(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        if self.rollup.is_some() {
            return self.run_rollup_sequencer(shutdown).await;
        }
        let mut ticker = tokio::time::interval(Duration::from_secs(self.config.block_time));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticker.tick() => {
                    let chain = self.clone();
                    match tokio::task::spawn_blocking(move || chain.produce_block()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => warn!(target: "sequencer", %err, "block production failed; retrying next tick"),
                        Err(err) => warn!(target: "sequencer", %err, "block production task panicked"),
                    }
                }
            }
        }
        info!(target: "sequencer", "stopped");
    }
}

impl Chain {
    /// Rollup blocks have exact timestamps (parent + block time): wait for each block's time,
    /// and catch up without waiting after downtime.
    async fn run_rollup_sequencer(
        self: Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut delay = Duration::ZERO;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(delay) => {}
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let next = Duration::from_secs(self.head().0.timestamp + self.config.block_time);
            if next > now {
                delay = next - now;
                continue;
            }
            let chain = self.clone();
            delay = match tokio::task::spawn_blocking(move || chain.produce_block()).await {
                Ok(Ok(_)) => Duration::ZERO,
                Ok(Err(err)) => {
                    warn!(target: "sequencer", %err, "block production failed; retrying");
                    Duration::from_millis(500)
                }
                Err(err) => {
                    warn!(target: "sequencer", %err, "block production task panicked");
                    Duration::from_millis(500)
                }
            };
        }
        info!(target: "sequencer", "stopped");
    }
}

/// The L1 fee parameters of a rollup block, from its first transaction (the L1-info deposit).
fn l1_info_of(first: &sprout_protocol::tx::SproutTx) -> Option<L1BlockInfo> {
    match first {
        sprout_protocol::tx::SproutTx::Deposit(deposit) => {
            L1BlockInfo::from_ecotone_calldata(&deposit.input).ok()
        }
        _ => None,
    }
}

fn log_block(block: &ExecutedBlock) {
    info!(
        target: "sequencer",
        number = block.block.header.number,
        hash = %block.hash,
        txs = block.block.body.transactions.len(),
        gas = block.block.header.gas_used,
        "sealed block"
    );
}

/// The timestamp of an off-rollup block after `parent`: now, and always after its parent.
fn dev_timestamp(parent: &Header) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    now.max(parent.timestamp + 1)
}

#[path = "chain_derived.rs"]
mod derived;
#[cfg(test)]
use derived::recover_all;

#[cfg(test)]
#[path = "chain_prune_tests.rs"]
mod prune_tests;
#[cfg(test)]
#[path = "chain_storage_tests.rs"]
mod storage_tests;
#[cfg(test)]
#[path = "chain_tests.rs"]
pub(crate) mod tests;
