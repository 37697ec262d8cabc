//! [`TxPool`]: the shared handle RPC threads add to and the block builder drains.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use alloy_primitives::{
    Address, B256,
    map::{AddressHashMap, AddressHashSet},
};
use parking_lot::Mutex;
use tracing::debug;

use super::{
    AccountReader, BestTransactions, PoolConfig, PoolError, PoolTransaction, inner::PoolInner,
    validate::validate_stateless,
};

/// Where an accepted transaction went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// Executable now: announce it as a new pending transaction.
    Pending,
    /// Waiting behind a nonce gap.
    Queued,
    /// Took the place of a transaction with the same sender and nonce.
    Replaced {
        /// Hash of the transaction it replaced.
        old: B256,
        /// Whether the new transaction is executable.
        pending: bool,
    },
}

/// Snapshot of the pool for `txpool_content`: sender → nonce → transaction.
#[derive(Debug, Clone)]
pub struct PoolContent<T> {
    /// Executable transactions.
    pub pending: BTreeMap<Address, BTreeMap<u64, T>>,
    /// Transactions waiting behind a nonce gap.
    pub queued: BTreeMap<Address, BTreeMap<u64, T>>,
}

impl<T> Default for PoolContent<T> {
    fn default() -> Self {
        Self {
            pending: BTreeMap::new(),
            queued: BTreeMap::new(),
        }
    }
}

/// Transaction pool with geth's admission rules and error texts.
///
/// Cheap to clone (an `Arc`); every method takes `&self` and holds the internal lock only for
/// the work on the pool itself, never while reading state.
#[derive(Debug)]
pub struct TxPool<T> {
    cfg: PoolConfig,
    /// The current block gas limit (starts at `cfg.block_gas_limit`; a rollup's SystemConfig
    /// can change it).
    block_gas_limit: Arc<AtomicU64>,
    inner: Arc<Mutex<PoolInner<T>>>,
}

impl<T> Clone for TxPool<T> {
    fn clone(&self) -> Self {
        Self {
            cfg: self.cfg.clone(),
            block_gas_limit: Arc::clone(&self.block_gas_limit),
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: PoolTransaction> TxPool<T> {
    /// An empty pool.
    pub fn new(cfg: PoolConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(PoolInner::new(cfg.clone()))),
            block_gas_limit: Arc::new(AtomicU64::new(cfg.block_gas_limit)),
            cfg,
        }
    }

    /// The pool's configuration.
    pub const fn config(&self) -> &PoolConfig {
        &self.cfg
    }

    /// The block gas limit transactions are checked against.
    pub fn block_gas_limit(&self) -> u64 {
        self.block_gas_limit.load(Ordering::Relaxed)
    }

    /// Sets the block gas limit new transactions are checked against (the next block's).
    /// Pooled transactions above a lowered limit stay; the builder skips what does not fit.
    pub fn set_block_gas_limit(&self, limit: u64) {
        self.block_gas_limit.store(limit, Ordering::Relaxed);
    }

    /// Validates `tx` against the configuration, the sender's latest state and `base_fee`
    /// (the next block's), and pools it. Checks run in geth's order; see [`PoolError`].
    pub fn add(
        &self,
        tx: T,
        state: &impl AccountReader,
        base_fee: u64,
    ) -> Result<AddOutcome, PoolError> {
        // An already-known transaction passes every stateless check, so running them before the
        // known-hash check (which needs the lock) reports the same error geth would.
        validate_stateless(&tx, &self.cfg, self.block_gas_limit())?;
        let (nonce, balance) = state.nonce_and_balance(tx.sender());
        self.inner.lock().add(tx, nonce, balance, base_fee)
    }

    /// Executable transactions for a block at `base_fee`, best effective tip first across
    /// senders and in nonce order within each.
    pub fn best(&self, base_fee: u64) -> BestTransactions<T> {
        {
            let mut inner = self.inner.lock();
            if inner.base_fee != base_fee {
                // Normally done by `on_block_committed`; here only if the caller skipped it.
                inner.reindex_all(base_fee);
            }
        }
        BestTransactions::new(Arc::clone(&self.inner), base_fee)
    }

    /// Brings the pool up to a newly committed block: drops `included` and every transaction
    /// whose nonce is used or whose cost exceeds its sender's balance, promotes queued ones whose
    /// gap is now filled, and re-ranks for `base_fee`, the next block's base fee. Transactions
    /// with a fee cap below it stay pooled (as in geth) but `best` skips them.
    pub fn on_block_committed(&self, state: &impl AccountReader, included: &[B256], base_fee: u64) {
        let senders: Vec<Address> = {
            let mut inner = self.inner.lock();
            for hash in included {
                inner.mark_included(hash);
            }
            inner.senders.keys().copied().collect()
        };
        // State reads happen without the lock, so adds and block building carry on meanwhile.
        let fresh: AddressHashMap<_> = senders
            .into_iter()
            .map(|who| (who, state.nonce_and_balance(who)))
            .collect();
        let mut inner = self.inner.lock();
        inner.base_fee = base_fee;
        let mut dropped = 0;
        let all: Vec<Address> = inner.senders.keys().copied().collect();
        for sender in all {
            match fresh.get(&sender) {
                Some(&(nonce, balance)) => dropped += inner.apply_state(sender, nonce, balance),
                None => inner.refresh(sender),
            }
        }
        debug!(
            target: "txpool",
            included = included.len(),
            dropped,
            pending = inner.pending,
            queued = inner.queued,
            base_fee,
            "pool updated for new block"
        );
    }

    /// Removes transactions by hash (e.g. ones the builder found invalid); returns how many were
    /// pooled. Later nonces of the same sender stay, now queued behind the gap.
    pub fn remove(&self, hashes: &[B256]) -> usize {
        let mut inner = self.inner.lock();
        hashes
            .iter()
            .filter(|hash| inner.remove(hash).is_some())
            .count()
    }

    /// The pooled transaction with this hash.
    pub fn get(&self, hash: &B256) -> Option<T> {
        self.inner.lock().get(hash).map(|p| p.tx.clone())
    }

    /// Whether a transaction with this hash is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.inner.lock().by_hash.contains_key(hash)
    }

    /// Whether the transaction with this hash is pooled and executable.
    pub fn is_pending(&self, hash: &B256) -> bool {
        self.inner.lock().get(hash).is_some_and(|p| p.pending)
    }

    /// Numbers of pending and queued transactions, for `txpool_status`.
    pub fn status(&self) -> (usize, usize) {
        let inner = self.inner.lock();
        (inner.pending, inner.queued)
    }

    /// Total number of pooled transactions.
    pub fn len(&self) -> usize {
        let inner = self.inner.lock();
        inner.pending + inner.queued
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pooled transaction by sender and nonce, for `txpool_content`.
    pub fn content(&self) -> PoolContent<T> {
        let inner = self.inner.lock();
        let mut content = PoolContent::default();
        for (sender, txs) in &inner.senders {
            for (&nonce, pooled) in &txs.txs {
                let side = if pooled.pending {
                    &mut content.pending
                } else {
                    &mut content.queued
                };
                side.entry(*sender)
                    .or_default()
                    .insert(nonce, pooled.tx.clone());
            }
        }
        content
    }

    /// Transactions of one sender as `(pending, queued)`, for `txpool_contentFrom`.
    pub fn content_from(&self, sender: Address) -> (BTreeMap<u64, T>, BTreeMap<u64, T>) {
        let inner = self.inner.lock();
        let (mut pending, mut queued) = (BTreeMap::new(), BTreeMap::new());
        if let Some(txs) = inner.senders.get(&sender) {
            for (&nonce, pooled) in &txs.txs {
                let side = if pooled.pending {
                    &mut pending
                } else {
                    &mut queued
                };
                side.insert(nonce, pooled.tx.clone());
            }
        }
        (pending, queued)
    }

    /// Next nonce for `sender` counting pooled transactions gap-free from `state_nonce`, for
    /// `eth_getTransactionCount(.., "pending")`.
    pub fn pending_nonce(&self, sender: Address, state_nonce: u64) -> u64 {
        self.inner
            .lock()
            .senders
            .get(&sender)
            .map_or(state_nonce, |s| s.next_free_nonce(state_nonce))
    }

    /// Senders with at least one pooled transaction.
    pub fn senders(&self) -> AddressHashSet {
        self.inner.lock().senders.keys().copied().collect()
    }

    /// Hashes that became executable since the last call (on add, promotion or replacement),
    /// oldest first, for `eth_newPendingTransactionFilter` and `newPendingTransactions`.
    /// At most the latest 16 384 are kept if nobody drains them.
    pub fn drain_new_pending(&self) -> Vec<B256> {
        self.inner.lock().drain_announced()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;
    use crate::pool::test_utils::{GWEI, MockState, MockTx, addr, config};

    #[test]
    fn nonce_gap_is_queued_then_promoted_when_filled() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let (t0, t1, t2) = (
            MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI),
            MockTx::eip1559(addr(1), 1, 2 * GWEI, GWEI),
            MockTx::eip1559(addr(1), 2, 2 * GWEI, GWEI),
        );
        assert_eq!(pool.add(t2.clone(), &state, 1), Ok(AddOutcome::Queued));
        assert_eq!(pool.add(t1.clone(), &state, 1), Ok(AddOutcome::Queued));
        assert_eq!(pool.status(), (0, 2));
        assert!(pool.drain_new_pending().is_empty());
        assert_eq!(pool.add(t0.clone(), &state, 1), Ok(AddOutcome::Pending));
        assert_eq!(pool.status(), (3, 0));
        let mut announced = pool.drain_new_pending();
        announced.sort();
        let mut expected = vec![t0.hash(), t1.hash(), t2.hash()];
        expected.sort();
        assert_eq!(announced, expected);
        assert!(pool.drain_new_pending().is_empty());
    }

    #[test]
    fn block_commit_removes_included_and_promotes_queued() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        let t0 = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        let t2 = MockTx::eip1559(addr(1), 2, 2 * GWEI, GWEI);
        pool.add(t0.clone(), &state, 1).expect("accepted");
        pool.add(t2.clone(), &state, 1).expect("accepted");
        assert_eq!(pool.status(), (1, 1));
        pool.drain_new_pending();
        // The block held t0 and another path used nonce 1 (e.g. a tx the pool never saw).
        state.set(addr(1), 2, U256::from(10u128.pow(20)));
        pool.on_block_committed(&state, &[t0.hash()], 1);
        assert!(!pool.contains(&t0.hash()));
        assert_eq!(pool.status(), (1, 0));
        assert!(pool.is_pending(&t2.hash()));
        assert_eq!(pool.drain_new_pending(), vec![t2.hash()]);
    }

    #[test]
    fn block_commit_does_not_reannounce_transactions_still_pending() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        let t0 = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        let t1 = MockTx::eip1559(addr(1), 1, 2 * GWEI, GWEI);
        pool.add(t0.clone(), &state, 1).expect("accepted");
        pool.add(t1.clone(), &state, 1).expect("accepted");
        assert_eq!(pool.drain_new_pending().len(), 2);
        state.set(addr(1), 1, U256::from(10u128.pow(20)));
        pool.on_block_committed(&state, &[t0.hash()], 1);
        assert_eq!(pool.status(), (1, 0));
        assert!(pool.drain_new_pending().is_empty());
    }

    #[test]
    fn pool_handle_is_shareable_across_threads() {
        fn shareable<P: Send + Sync + Clone + 'static>() {}
        shareable::<TxPool<MockTx>>();
        fn sendable<I: Send + 'static>() {}
        sendable::<crate::pool::BestTransactions<MockTx>>();

        let pool = TxPool::new(config());
        let state = MockState::default();
        let writers: Vec<_> = (1..=4u8)
            .map(|who| {
                let (pool, state) = (pool.clone(), state.clone());
                std::thread::spawn(move || {
                    for nonce in 0..20 {
                        let tx = MockTx::eip1559(addr(who), nonce, 2 * GWEI, GWEI);
                        pool.add(tx, &state, 1).expect("accepted");
                    }
                })
            })
            .collect();
        let drained: usize = (0..50).map(|_| pool.best(1).count()).max().unwrap_or(0);
        for writer in writers {
            writer.join().expect("writer finished");
        }
        assert!(drained <= 80);
        assert_eq!(pool.best(1).count(), 80);
    }

    #[test]
    fn block_commit_drops_stale_nonces_and_unaffordable_transactions() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        let stale = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        let pricey = MockTx::eip1559(addr(2), 0, 2 * GWEI, GWEI);
        let after = MockTx::eip1559(addr(2), 1, GWEI, GWEI);
        pool.add(stale.clone(), &state, 1).expect("accepted");
        pool.add(pricey.clone(), &state, 1).expect("accepted");
        pool.add(after.clone(), &state, 1).expect("accepted");
        state.set(addr(1), 1, U256::from(10u128.pow(20)));
        // Enough for `after` (21000 gwei) but not `pricey` (42000 gwei).
        state.set(addr(2), 0, U256::from(30_000 * GWEI));
        pool.on_block_committed(&state, &[], 1);
        assert!(!pool.contains(&stale.hash()));
        assert!(!pool.contains(&pricey.hash()));
        // `after` stays, queued behind the gap its predecessor left.
        assert!(pool.contains(&after.hash()));
        assert_eq!(pool.status(), (0, 1));
    }

    #[test]
    fn pending_nonce_counts_gap_free_pooled_transactions() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        for nonce in [0, 1, 2, 4] {
            pool.add(MockTx::eip1559(addr(1), nonce, 2 * GWEI, GWEI), &state, 1)
                .expect("accepted");
        }
        assert_eq!(pool.pending_nonce(addr(1), 0), 3);
        assert_eq!(pool.pending_nonce(addr(2), 7), 7);
    }

    #[test]
    fn content_splits_pending_and_queued_by_sender() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let t0 = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        let t5 = MockTx::eip1559(addr(1), 5, 2 * GWEI, GWEI);
        pool.add(t0.clone(), &state, 1).expect("accepted");
        pool.add(t5.clone(), &state, 1).expect("accepted");
        let content = pool.content();
        assert_eq!(content.pending[&addr(1)][&0], t0);
        assert_eq!(content.queued[&addr(1)][&5], t5);
        let (pending, queued) = pool.content_from(addr(1));
        assert_eq!((pending.len(), queued.len()), (1, 1));
    }

    #[test]
    fn removing_a_pending_transaction_queues_its_successors() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let t0 = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        pool.add(t0.clone(), &state, 1).expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 1, 2 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(pool.remove(&[t0.hash()]), 1);
        assert_eq!(pool.status(), (0, 1));
    }

    /// Pool operations for the model test.
    #[derive(Debug, Clone)]
    enum Op {
        Add {
            who: u8,
            nonce: u64,
            max_fee: u128,
            tip: u128,
        },
        /// A block advanced `who`'s nonce by `by`, including whatever the pool had there.
        Commit {
            who: u8,
            by: u64,
        },
        Remove {
            who: u8,
            nonce: u64,
        },
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0u8..4, 0u64..10, 1u128..30, 0u128..30)
                .prop_map(|(who, nonce, max_fee, tip)| Op::Add { who, nonce, max_fee, tip }),
            1 => (0u8..4, 0u64..3).prop_map(|(who, by)| Op::Commit { who, by }),
            1 => (0u8..4, 0u64..10).prop_map(|(who, nonce)| Op::Remove { who, nonce }),
        ]
    }

    proptest::proptest! {
        #[test]
        fn counts_and_pending_runs_stay_consistent(
            ops in proptest::collection::vec(op(), 1..120),
        ) {
            let cfg = PoolConfig {
                max_per_sender: 5,
                max_pending: 10,
                max_queued: 4,
                min_tip: 0,
                ..config()
            };
            let pool = TxPool::new(cfg);
            let mut state = MockState::default();
            let mut nonces = [0u64; 4];
            let balance = U256::from(10u128.pow(24));
            for op in ops {
                match op {
                    Op::Add { who, nonce, max_fee, tip } => {
                        let tx = MockTx::eip1559(addr(who + 1), nonce, max_fee, tip.min(max_fee));
                        let _ = pool.add(tx, &state, 0);
                    }
                    Op::Commit { who, by } => {
                        let sender = addr(who + 1);
                        let from = nonces[usize::from(who)];
                        let (pending, _) = pool.content_from(sender);
                        let included: Vec<B256> = (from..from + by)
                            .filter_map(|n| pending.get(&n).map(|tx| tx.hash()))
                            .collect();
                        nonces[usize::from(who)] += by;
                        state.set(sender, nonces[usize::from(who)], balance);
                        pool.on_block_committed(&state, &included, 0);
                    }
                    Op::Remove { who, nonce } => {
                        let (pending, queued) = pool.content_from(addr(who + 1));
                        if let Some(tx) = pending.get(&nonce).or_else(|| queued.get(&nonce)) {
                            pool.remove(&[tx.hash()]);
                        }
                    }
                }
                let content = pool.content();
                let count = |side: &BTreeMap<Address, BTreeMap<u64, MockTx>>| {
                    side.values().map(BTreeMap::len).sum::<usize>()
                };
                proptest::prop_assert_eq!(pool.status(), (count(&content.pending), count(&content.queued)));
                proptest::prop_assert!(pool.len() <= 14);
                for (sender, txs) in &content.pending {
                    let who = usize::from(sender.0[0] - 1);
                    let expected: Vec<u64> = (nonces[who]..nonces[who] + txs.len() as u64).collect();
                    proptest::prop_assert_eq!(txs.keys().copied().collect::<Vec<_>>(), expected);
                    proptest::prop_assert!(txs.len() <= 5);
                }
                let best: Vec<_> = pool.best(0).map(|tx| (tx.sender, tx.nonce)).collect();
                proptest::prop_assert_eq!(best.len(), count(&content.pending));
            }
        }
    }
}
