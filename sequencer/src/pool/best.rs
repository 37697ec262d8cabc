//! The block builder's view of the pool: executable transactions, best-paying first across
//! senders, each sender strictly in nonce order.

use std::{
    cmp::Reverse,
    collections::BinaryHeap,
    ops::Bound::{Excluded, Unbounded},
    sync::Arc,
};

use alloy_primitives::{Address, map::AddressHashSet};
use parking_lot::Mutex;

use super::{
    PoolTransaction,
    inner::{PoolInner, ReadyKey},
    ordering::Priority,
};

/// A sender's next transaction, queued once the one before it has been handed out.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Successor {
    priority: Priority,
    sender: Reverse<Address>,
    nonce: u64,
}

/// Iterator over executable transactions for one block, from [`TxPool::best`](super::TxPool::best).
///
/// Merges two streams: the pool's index of sender heads (walked with a cursor, never copied) and
/// a small heap of successors of senders already handed out. Each `next` takes the pool lock for
/// `O(log n)`, so producing `k` transactions costs `O(k log n)` whatever the pool's size, and the
/// lock is never held between calls. Transactions whose fee cap is below the base fee are skipped,
/// and so is the rest of their sender's sequence. Transactions added while the iterator is live may
/// or may not be returned; a sender's nonces are always returned in order with no repeats.
pub struct BestTransactions<T> {
    pool: Arc<Mutex<PoolInner<T>>>,
    base_fee: u64,
    /// Last head-index entry consumed or skipped.
    cursor: Option<ReadyKey>,
    /// No head at or after the cursor can pay the base fee.
    heads_exhausted: bool,
    successors: BinaryHeap<Successor>,
    /// Senders already started (their order now comes from `successors`) or dropped.
    started: AddressHashSet,
    invalid: AddressHashSet,
}

impl<T: PoolTransaction> BestTransactions<T> {
    pub(crate) fn new(pool: Arc<Mutex<PoolInner<T>>>, base_fee: u64) -> Self {
        Self {
            pool,
            base_fee,
            cursor: None,
            heads_exhausted: false,
            successors: BinaryHeap::new(),
            started: AddressHashSet::default(),
            invalid: AddressHashSet::default(),
        }
    }

    /// Skips every remaining transaction of `sender` in this iteration, e.g. after one of them
    /// did not fit the block or failed to execute. The pool itself is not changed.
    pub fn mark_invalid(&mut self, sender: Address) {
        self.invalid.insert(sender);
        self.started.insert(sender);
    }

    /// Base fee this iterator selects for.
    pub const fn base_fee(&self) -> u64 {
        self.base_fee
    }

    /// Best head of a sender not yet started: its rank, sender, nonce and index key.
    fn peek_head(&mut self, inner: &PoolInner<T>) -> Option<(Priority, Address, u64, ReadyKey)> {
        if self.heads_exhausted {
            return None;
        }
        let range = match self.cursor {
            Some(cursor) => inner.ready.range((Excluded(cursor), Unbounded)),
            None => inner.ready.range(..),
        };
        for &key in range {
            let sender = key.1;
            let head = inner.senders.get(&sender).and_then(|s| s.head());
            let Some(head) = head.filter(|_| !self.started.contains(&sender)) else {
                self.cursor = Some(key);
                continue;
            };
            if head.tx.max_fee_per_gas() < u128::from(self.base_fee) {
                if inner.base_fee == self.base_fee {
                    // Keys rank by fee cap once tips hit zero, so every later head is short too.
                    self.heads_exhausted = true;
                    return None;
                }
                self.cursor = Some(key);
                self.started.insert(sender);
                continue;
            }
            return Some((
                Priority::of(&head.tx, self.base_fee),
                sender,
                head.tx.nonce(),
                key,
            ));
        }
        None
    }
}

impl<T: PoolTransaction> Iterator for BestTransactions<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let pool = Arc::clone(&self.pool);
        let inner = pool.lock();
        loop {
            while self
                .successors
                .peek()
                .is_some_and(|s| self.invalid.contains(&s.sender.0))
            {
                self.successors.pop();
            }
            let head = self.peek_head(&inner);
            let from_heads = match (&head, self.successors.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((priority, sender, ..)), Some(next)) => {
                    (*priority, Reverse(*sender)) > (next.priority, next.sender)
                }
            };
            let (sender, nonce) = match head {
                Some((_, sender, nonce, key)) if from_heads => {
                    self.cursor = Some(key);
                    self.started.insert(sender);
                    (sender, nonce)
                }
                _ => match self.successors.pop() {
                    Some(next) => (next.sender.0, next.nonce),
                    None => return None,
                },
            };
            // The pool may have changed since this entry was queued: re-read it, and end the
            // sender's stream if the transaction is gone or can no longer pay the base fee.
            let Some(txs) = inner.senders.get(&sender) else {
                continue;
            };
            let Some(pooled) = txs.txs.get(&nonce).filter(|p| p.pending) else {
                continue;
            };
            if pooled.tx.max_fee_per_gas() < u128::from(self.base_fee) {
                continue;
            }
            let following = nonce
                .checked_add(1)
                .and_then(|n| txs.txs.get(&n).map(|p| (n, p)));
            if let Some((next_nonce, next)) = following.filter(|(_, p)| p.pending) {
                self.successors.push(Successor {
                    priority: Priority::of(&next.tx, self.base_fee),
                    sender: Reverse(sender),
                    nonce: next_nonce,
                });
            }
            return Some(pooled.tx.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::Address;
    use proptest::prelude::*;

    use crate::pool::{
        PoolConfig, PoolTransaction, TxPool,
        test_utils::{GWEI, MockState, MockTx, addr, config},
    };

    fn order(pool: &TxPool<MockTx>, base_fee: u64) -> Vec<(Address, u64)> {
        pool.best(base_fee)
            .map(|tx| (tx.sender, tx.nonce))
            .collect()
    }

    #[test]
    fn best_orders_by_effective_tip_across_senders_and_by_nonce_within() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let base_fee = 10 * GWEI as u64;
        // Sender 1: a low-tip head hides a high-tip successor.
        pool.add(
            MockTx::eip1559(addr(1), 0, 20 * GWEI, GWEI),
            &state,
            base_fee,
        )
        .expect("accepted");
        pool.add(
            MockTx::eip1559(addr(1), 1, 100 * GWEI, 50 * GWEI),
            &state,
            base_fee,
        )
        .expect("accepted");
        // Sender 2: big tip but fee cap leaves only 3 gwei above the base fee.
        pool.add(
            MockTx::eip1559(addr(2), 0, 13 * GWEI, 9 * GWEI),
            &state,
            base_fee,
        )
        .expect("accepted");
        // Sender 3: legacy at 15 gwei, effective tip 5.
        pool.add(MockTx::legacy(addr(3), 0, 15 * GWEI), &state, base_fee)
            .expect("accepted");
        assert_eq!(
            order(&pool, base_fee),
            vec![(addr(3), 0), (addr(2), 0), (addr(1), 0), (addr(1), 1)]
        );
    }

    #[test]
    fn best_skips_transactions_below_the_base_fee_and_their_successors() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 5 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 1, 50 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(2), 0, 50 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(3), 0, 9 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(order(&pool, 10 * GWEI as u64), vec![(addr(2), 0)]);
        // Still pooled: a lower base fee makes them includable again.
        assert_eq!(order(&pool, 1).len(), 4);
    }

    #[test]
    fn mark_invalid_skips_the_rest_of_a_sender() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        for nonce in 0..3 {
            pool.add(
                MockTx::eip1559(addr(1), nonce, 10 * GWEI, 5 * GWEI),
                &state,
                1,
            )
            .expect("accepted");
        }
        pool.add(MockTx::eip1559(addr(2), 0, 10 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        let mut best = pool.best(1);
        let first = best.next().expect("a transaction");
        assert_eq!((first.sender, first.nonce), (addr(1), 0));
        best.mark_invalid(addr(1));
        let rest: Vec<_> = best.map(|tx| (tx.sender, tx.nonce)).collect();
        assert_eq!(rest, vec![(addr(2), 0)]);
        assert_eq!(pool.len(), 4, "marking invalid leaves the pool untouched");
    }

    #[test]
    fn best_leaves_out_queued_transactions() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 10 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 2, 10 * GWEI, 9 * GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(order(&pool, 1), vec![(addr(1), 0)]);
    }

    #[test]
    fn iterator_keeps_working_while_the_pool_changes() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let t0 = MockTx::eip1559(addr(1), 0, 10 * GWEI, 5 * GWEI);
        pool.add(t0.clone(), &state, 1).expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 1, 10 * GWEI, 5 * GWEI), &state, 1)
            .expect("accepted");
        let mut best = pool.best(1);
        assert_eq!(best.next().map(|tx| tx.nonce), Some(0));
        // Another thread removes the successor mid-block: the sender's stream just ends.
        pool.remove(&[MockTx::eip1559(addr(1), 1, 10 * GWEI, 5 * GWEI).hash()]);
        // A newcomer ranking below what was already handed out is still picked up.
        pool.add(MockTx::eip1559(addr(2), 0, 10 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        let rest: Vec<_> = best.map(|tx| (tx.sender, tx.nonce)).collect();
        assert_eq!(rest, vec![(addr(2), 0)]);
    }

    proptest! {
        #[test]
        fn best_never_breaks_per_sender_nonce_order(
            adds in proptest::collection::vec((0u8..5, 0u64..8, 1u128..40, 0u128..40), 1..80),
            base_fee in 0u64..30,
        ) {
            let pool = TxPool::new(PoolConfig { max_per_sender: 6, max_pending: 12, max_queued: 6, min_tip: 0, ..config() });
            let state = MockState::default();
            for (who, nonce, max_fee, tip) in adds {
                let _ = pool.add(MockTx::eip1559(addr(who + 1), nonce, max_fee, tip.min(max_fee)), &state, 0);
            }
            let mut last: HashMap<Address, u64> = HashMap::new();
            let mut yielded = 0;
            for tx in pool.best(base_fee) {
                prop_assert!(tx.max_fee >= u128::from(base_fee));
                prop_assert!(pool.is_pending(&tx.hash()));
                let expected = last.get(&tx.sender).map_or(0, |n| n + 1);
                prop_assert_eq!(tx.nonce, expected, "sender {} out of order", tx.sender);
                last.insert(tx.sender, tx.nonce);
                yielded += 1;
            }
            let (pending, queued) = pool.status();
            prop_assert!(yielded <= pending);
            prop_assert!(pending + queued <= 18);
            if base_fee == 0 {
                prop_assert_eq!(yielded, pending);
            }
        }
    }
}
