//! The pool's state behind its lock: per-sender sequences plus the indexes that keep block
//! building and eviction logarithmic.

use std::{
    cmp::Reverse,
    collections::{BTreeSet, VecDeque},
};

use alloy_primitives::{
    Address, B256, I256, U256,
    map::{AddressHashMap, B256HashMap},
};
use tracing::trace;

use super::{
    AddOutcome, PoolConfig, PoolError, PoolTransaction,
    ordering::{Priority, outbids},
    sender::{PooledTx, SenderTxs},
};

/// Index entry for a sender's first pending transaction; iterating the set yields best first.
pub(crate) type ReadyKey = (Reverse<Priority>, Address);
/// Index entry for a sender's last (highest-nonce) transaction; iterating yields cheapest first.
pub(crate) type BackKey = (Priority, Address);

/// Most promoted hashes kept for [`drain_new_pending`](super::TxPool::drain_new_pending).
const ANNOUNCE_LIMIT: usize = 16 * 1024;

#[derive(Debug)]
pub(crate) struct PoolInner<T> {
    pub(crate) cfg: PoolConfig,
    /// Base fee the index keys were computed at.
    pub(crate) base_fee: u64,
    pub(crate) senders: AddressHashMap<SenderTxs<T>>,
    pub(crate) by_hash: B256HashMap<(Address, u64)>,
    /// Each sender's head, best first.
    pub(crate) ready: BTreeSet<ReadyKey>,
    ready_keys: AddressHashMap<ReadyKey>,
    /// Each sender's last transaction, cheapest first, split by whether that one is executable.
    back_pending: BTreeSet<BackKey>,
    back_queued: BTreeSet<BackKey>,
    back_keys: AddressHashMap<(BackKey, bool)>,
    pub(crate) pending: usize,
    pub(crate) queued: usize,
    announced: VecDeque<B256>,
}

impl<T: PoolTransaction> PoolInner<T> {
    pub(crate) fn new(cfg: PoolConfig) -> Self {
        Self {
            cfg,
            base_fee: 0,
            senders: AddressHashMap::default(),
            by_hash: B256HashMap::default(),
            ready: BTreeSet::new(),
            ready_keys: AddressHashMap::default(),
            back_pending: BTreeSet::new(),
            back_queued: BTreeSet::new(),
            back_keys: AddressHashMap::default(),
            pending: 0,
            queued: 0,
            announced: VecDeque::new(),
        }
    }

    pub(crate) fn get(&self, hash: &B256) -> Option<&PooledTx<T>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.senders.get(sender)?.txs.get(nonce)
    }

    /// Admits a transaction that passed the stateless checks, given its sender's latest state.
    pub(crate) fn add(
        &mut self,
        tx: T,
        state_nonce: u64,
        balance: U256,
        base_fee: u64,
    ) -> Result<AddOutcome, PoolError> {
        let (hash, sender, nonce) = (tx.hash(), tx.sender(), tx.nonce());
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        self.catch_up(sender, state_nonce);
        let next = self
            .senders
            .get(&sender)
            .map_or(state_nonce, |s| s.nonce.max(state_nonce));
        if nonce < next {
            return Err(PoolError::NonceTooLow { next, nonce });
        }
        let cost = tx.cost();
        if balance < cost {
            let l1_fee = tx.l1_fee();
            return Err(if l1_fee.is_zero() {
                PoolError::InsufficientFunds { balance, cost }
            } else {
                PoolError::InsufficientFundsForL1Fee {
                    balance,
                    cost,
                    l1_fee,
                }
            });
        }
        self.check_expenditure(sender, nonce, cost, balance)?;
        if tx.max_fee_per_gas() < u128::from(base_fee) {
            return Err(PoolError::FeeCapTooLow {
                address: sender,
                max_fee: tx.max_fee_per_gas(),
                base_fee,
            });
        }
        let existing = self.senders.get(&sender).and_then(|s| s.txs.get(&nonce));
        if let Some(old) = existing {
            if !outbids(&tx, &old.tx, self.cfg.price_bump_percent) {
                return Err(PoolError::ReplaceUnderpriced);
            }
        } else {
            self.make_room(&tx, next)?;
        }

        let entry = self
            .senders
            .entry(sender)
            .or_insert_with(|| SenderTxs::new(next, balance));
        entry.balance = balance;
        let old = entry.txs.insert(
            nonce,
            PooledTx {
                tx,
                cost,
                pending: false,
            },
        );
        if let Some(old) = &old {
            self.by_hash.remove(&old.tx.hash());
        }
        self.by_hash.insert(hash, (sender, nonce));
        self.refresh(sender);
        let pending = self
            .senders
            .get(&sender)
            .and_then(|s| s.txs.get(&nonce))
            .is_some_and(|p| p.pending);
        trace!(target: "txpool", %hash, %sender, nonce, pending, "pooled transaction");
        Ok(match old {
            Some(old) => AddOutcome::Replaced {
                old: old.tx.hash(),
                pending,
            },
            None if pending => AddOutcome::Pending,
            None => AddOutcome::Queued,
        })
    }

    /// Drops a transaction a block included, with anything of its sender's below it. The sender's
    /// nonce moves past it, so the rest of the pending run stays pending (and is not re-announced).
    pub(crate) fn mark_included(&mut self, hash: &B256) -> bool {
        let Some(&(sender, nonce)) = self.by_hash.get(hash) else {
            return false;
        };
        self.catch_up(sender, nonce.saturating_add(1));
        true
    }

    /// Raises a known sender's nonce to `state_nonce`, dropping the transactions it used.
    fn catch_up(&mut self, sender: Address, state_nonce: u64) {
        let Some(s) = self.senders.get_mut(&sender) else {
            return;
        };
        if state_nonce <= s.nonce {
            return;
        }
        let balance = s.balance;
        let mut removed = Vec::new();
        s.apply_state(state_nonce, balance, &mut removed);
        for tx in removed {
            self.by_hash.remove(&tx.hash());
        }
        self.refresh(sender);
    }

    /// geth's overdraft check: the sender's pending transactions plus this one must be affordable.
    fn check_expenditure(
        &self,
        sender: Address,
        nonce: u64,
        cost: U256,
        balance: U256,
    ) -> Result<(), PoolError> {
        let Some(s) = self.senders.get(&sender) else {
            return Ok(());
        };
        let spent = s.pending_cost;
        match s.txs.get(&nonce).filter(|p| p.pending) {
            Some(prev) => {
                let need = spent.saturating_add(cost).saturating_sub(prev.cost);
                if balance < need {
                    let bump = if cost >= prev.cost {
                        I256::try_from(cost - prev.cost).unwrap_or(I256::MAX)
                    } else {
                        -I256::try_from(prev.cost - cost).unwrap_or(I256::MAX)
                    };
                    return Err(PoolError::InsufficientFundsBumped {
                        balance,
                        queued: spent,
                        bump,
                    });
                }
            }
            None => {
                let need = spent.saturating_add(cost);
                if balance < need {
                    return Err(PoolError::InsufficientFundsQueued {
                        balance,
                        queued: spent,
                        cost,
                    });
                }
            }
        }
        Ok(())
    }

    /// Frees a slot for a transaction taking a new nonce, evicting from the back of a sender's
    /// sequence: first within the sender's own limit, then the cheapest in the pool, never letting
    /// a gapped transaction push out an executable one (geth's `ErrFutureReplacePending` rule).
    fn make_room(&mut self, tx: &T, next: u64) -> Result<(), PoolError> {
        let (sender, nonce) = (tx.sender(), tx.nonce());
        let at_limit = self
            .senders
            .get(&sender)
            .filter(|s| s.txs.len() >= self.cfg.max_per_sender)
            .map(|s| (s.txs.len(), s.txs.last_key_value().map(|(n, _)| *n)));
        if let Some((pooled, back)) = at_limit {
            match back {
                Some(back) if back > nonce => self.evict_back(sender),
                _ => return Err(PoolError::AccountLimitExceeded(pooled)),
            }
        }
        let executable = self
            .senders
            .get(&sender)
            .map_or(nonce == next, |s| nonce == s.nonce + s.pending_count as u64);
        let full = self.pending + self.queued >= self.cfg.capacity();
        let queue_full = !executable && self.queued >= self.cfg.max_queued;
        if !full && !queue_full {
            return Ok(());
        }
        let cheapest_queued = self.back_queued.first().copied();
        let victim = if executable {
            match (self.back_pending.first().copied(), cheapest_queued) {
                (Some(p), Some(q)) => Some(p.min(q)),
                (p, q) => p.or(q),
            }
        } else {
            cheapest_queued
        };
        let Some((price, owner)) = victim else {
            return Err(PoolError::PoolFull);
        };
        if owner == sender {
            let own_back = self
                .senders
                .get(&sender)
                .and_then(|s| s.txs.last_key_value())
                .map(|(n, _)| *n);
            if own_back.is_none_or(|back| back < nonce) {
                return Err(PoolError::PoolFull);
            }
        }
        if Priority::of(tx, self.base_fee) <= price {
            return Err(PoolError::Underpriced);
        }
        self.evict_back(owner);
        Ok(())
    }

    /// Drops a sender's highest-nonce transaction.
    fn evict_back(&mut self, sender: Address) {
        let Some(s) = self.senders.get_mut(&sender) else {
            return;
        };
        if let Some((nonce, evicted)) = s.txs.pop_last() {
            let hash = evicted.tx.hash();
            self.by_hash.remove(&hash);
            trace!(target: "txpool", %hash, %sender, nonce, "evicted transaction");
        }
        self.refresh(sender);
    }

    /// Removes one transaction by hash without touching the rest of its sender's sequence.
    pub(crate) fn remove(&mut self, hash: &B256) -> Option<T> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let removed = self
            .senders
            .get_mut(&sender)?
            .txs
            .remove(&nonce)
            .map(|p| p.tx);
        self.refresh(sender);
        removed
    }

    /// Applies a sender's new account state after a block.
    pub(crate) fn apply_state(&mut self, sender: Address, nonce: u64, balance: U256) -> usize {
        let Some(s) = self.senders.get_mut(&sender) else {
            return 0;
        };
        let mut removed = Vec::new();
        s.apply_state(nonce, balance, &mut removed);
        for tx in &removed {
            self.by_hash.remove(&tx.hash());
        }
        self.refresh(sender);
        removed.len()
    }

    /// Recomputes every index key at `base_fee`.
    pub(crate) fn reindex_all(&mut self, base_fee: u64) {
        self.base_fee = base_fee;
        let senders: Vec<Address> = self.senders.keys().copied().collect();
        for sender in senders {
            self.refresh(sender);
        }
    }

    /// Re-derives a sender's pending run, counters and index entries after any change to it.
    pub(crate) fn refresh(&mut self, sender: Address) {
        if let Some(key) = self.ready_keys.remove(&sender) {
            self.ready.remove(&key);
        }
        if let Some((key, queued)) = self.back_keys.remove(&sender) {
            if queued {
                self.back_queued.remove(&key)
            } else {
                self.back_pending.remove(&key)
            };
        }
        let Some(s) = self.senders.get_mut(&sender) else {
            return;
        };
        self.pending -= s.pending_count;
        self.queued -= s.queued_count;
        if s.txs.is_empty() {
            self.senders.remove(&sender);
            return;
        }
        let mut promoted = Vec::new();
        s.recompute(&mut promoted);
        self.pending += s.pending_count;
        self.queued += s.queued_count;
        if let Some(head) = s.head() {
            let key = (Reverse(Priority::of(&head.tx, self.base_fee)), sender);
            self.ready.insert(key);
            self.ready_keys.insert(sender, key);
        }
        if let Some((_, back)) = s.txs.last_key_value() {
            let key = (Priority::of(&back.tx, self.base_fee), sender);
            let queued = !back.pending;
            if queued {
                self.back_queued.insert(key)
            } else {
                self.back_pending.insert(key)
            };
            self.back_keys.insert(sender, (key, queued));
        }
        for hash in promoted {
            if self.announced.len() == ANNOUNCE_LIMIT {
                self.announced.pop_front();
            }
            self.announced.push_back(hash);
        }
    }

    pub(crate) fn drain_announced(&mut self) -> Vec<B256> {
        self.announced.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use crate::pool::{
        AddOutcome, PoolConfig, PoolTransaction, TxPool,
        test_utils::{GWEI, MockState, MockTx, addr, config},
    };

    fn err(pool: &TxPool<MockTx>, tx: MockTx, state: &MockState, base_fee: u64) -> String {
        match pool.add(tx, state, base_fee) {
            Ok(outcome) => panic!("accepted: {outcome:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn same_hash_twice_is_already_known() {
        let pool = TxPool::new(config());
        let tx = MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI);
        pool.add(tx.clone(), &MockState::default(), 1)
            .expect("accepted");
        assert_eq!(err(&pool, tx, &MockState::default(), 1), "already known");
    }

    #[test]
    fn used_nonce_is_too_low() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        state.set(addr(1), 5, U256::from(10u128.pow(20)));
        assert_eq!(
            err(
                &pool,
                MockTx::eip1559(addr(1), 3, 2 * GWEI, GWEI),
                &state,
                1
            ),
            "nonce too low: next nonce 5, tx nonce 3"
        );
    }

    #[test]
    fn cost_above_balance_is_insufficient_funds() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        state.set(addr(1), 0, U256::from(1_000));
        let tx = MockTx {
            value: U256::from(500),
            ..MockTx::eip1559(addr(1), 0, 10, 1)
        };
        // cost = 21000 * 10 + 500
        assert_eq!(
            err(&pool, tx, &state, 1),
            "insufficient funds for gas * price + value: balance 1000, tx cost 210500, overshot 209500"
        );
    }

    #[test]
    fn a_transaction_that_cannot_pay_its_l1_fee_is_refused_naming_it() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        // Enough for gas and value (210,500), not for the L1 fee on top.
        state.set(addr(1), 0, U256::from(250_000));
        let tx = MockTx {
            value: U256::from(500),
            l1_fee: U256::from(40_000),
            ..MockTx::eip1559(addr(1), 0, 10, 1)
        };
        assert_eq!(
            err(&pool, tx.clone(), &state, 1),
            "insufficient funds for gas * price + value + l1 fee: balance 250000, tx cost 250500 (l1 fee 40000), overshot 500"
        );
        // The L1 fee also counts in the sender's queued spend.
        state.set(addr(1), 0, U256::from(250_500));
        assert!(pool.add(tx, &state, 1).is_ok());
        let next = MockTx {
            l1_fee: U256::from(1),
            ..MockTx::eip1559(addr(1), 1, 10, 1)
        };
        assert!(err(&pool, next, &state, 1).starts_with(
            "insufficient funds for gas * price + value: balance 250500, queued cost 250500"
        ));
    }

    #[test]
    fn pending_spend_counts_against_balance() {
        let pool = TxPool::new(config());
        let mut state = MockState::default();
        state.set(addr(1), 0, U256::from(450_000));
        pool.add(MockTx::eip1559(addr(1), 0, 10, 1), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 1, 10, 1), &state, 1)
            .expect("accepted");
        assert_eq!(
            err(&pool, MockTx::eip1559(addr(1), 2, 10, 1), &state, 1),
            "insufficient funds for gas * price + value: balance 450000, queued cost 420000, tx cost 210000, overshot 180000"
        );
        assert_eq!(
            err(&pool, MockTx::eip1559(addr(1), 1, 12, 2), &state, 1),
            "insufficient funds for gas * price + value: balance 450000, queued cost 420000, tx bumped 42000, overshot 12000"
        );
    }

    #[test]
    fn fee_cap_below_base_fee_is_refused_with_checksummed_sender() {
        let pool = TxPool::new(config());
        let sender = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
            .parse()
            .expect("valid address");
        let tx = MockTx::eip1559(sender, 0, 7, 1);
        assert_eq!(
            err(&pool, tx, &MockState::default(), 8),
            "max fee per gas less than block base fee: address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, maxFeePerGas: 7, baseFee: 8"
        );
    }

    #[test]
    fn replacement_without_bump_is_underpriced() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        pool.add(
            MockTx::eip1559(addr(1), 0, 100 * GWEI, 10 * GWEI),
            &state,
            1,
        )
        .expect("accepted");
        // Fee cap bumped 10% but tip only 9%.
        let low_tip = MockTx::eip1559(addr(1), 0, 110 * GWEI, 109 * GWEI / 10);
        assert_eq!(
            err(&pool, low_tip, &state, 1),
            "replacement transaction underpriced"
        );
        // Tip bumped but fee cap only 5%.
        let low_cap = MockTx::eip1559(addr(1), 0, 105 * GWEI, 20 * GWEI);
        assert_eq!(
            err(&pool, low_cap, &state, 1),
            "replacement transaction underpriced"
        );
    }

    #[test]
    fn replacement_with_ten_percent_bump_replaces() {
        let pool = TxPool::new(config());
        let state = MockState::default();
        let old = MockTx::eip1559(addr(1), 0, 100 * GWEI, 10 * GWEI);
        pool.add(old.clone(), &state, 1).expect("accepted");
        let new = MockTx::eip1559(addr(1), 0, 110 * GWEI, 11 * GWEI);
        assert_eq!(
            pool.add(new.clone(), &state, 1),
            Ok(AddOutcome::Replaced {
                old: old.hash(),
                pending: true
            })
        );
        assert!(!pool.contains(&old.hash()));
        assert_eq!(pool.get(&new.hash()), Some(new));
        assert_eq!(pool.status(), (1, 0));
    }

    #[test]
    fn sender_at_limit_is_refused_for_a_higher_nonce() {
        let pool = TxPool::new(PoolConfig {
            max_per_sender: 2,
            ..config()
        });
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(1), 1, 2 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(
            err(
                &pool,
                MockTx::eip1559(addr(1), 2, 2 * GWEI, GWEI),
                &state,
                1
            ),
            "account limit exceeded: pooled 2 txs"
        );
    }

    #[test]
    fn sender_at_limit_drops_its_last_nonce_for_a_lower_one() {
        let pool = TxPool::new(PoolConfig {
            max_per_sender: 2,
            ..config()
        });
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        let far = MockTx::eip1559(addr(1), 5, 2 * GWEI, GWEI);
        pool.add(far.clone(), &state, 1).expect("accepted");
        let gap_filler = MockTx::eip1559(addr(1), 1, 2 * GWEI, GWEI);
        assert_eq!(pool.add(gap_filler, &state, 1), Ok(AddOutcome::Pending));
        assert!(!pool.contains(&far.hash()));
        assert_eq!(pool.status(), (2, 0));
    }

    #[test]
    fn full_pool_evicts_cheapest_for_a_better_paying_transaction() {
        let pool = TxPool::new(PoolConfig {
            max_pending: 2,
            max_queued: 1,
            ..config()
        });
        let state = MockState::default();
        let cheap = MockTx::eip1559(addr(1), 0, 10 * GWEI, GWEI);
        pool.add(cheap.clone(), &state, 1).expect("accepted");
        pool.add(MockTx::eip1559(addr(2), 0, 10 * GWEI, 3 * GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(3), 0, 10 * GWEI, 4 * GWEI), &state, 1)
            .expect("accepted");
        let rich = MockTx::eip1559(addr(4), 0, 10 * GWEI, 2 * GWEI);
        assert_eq!(pool.add(rich.clone(), &state, 1), Ok(AddOutcome::Pending));
        assert!(!pool.contains(&cheap.hash()));
        assert!(pool.contains(&rich.hash()));
        assert_eq!(pool.len(), 3);
    }

    #[test]
    fn full_pool_refuses_a_transaction_paying_no_more_than_the_cheapest() {
        let pool = TxPool::new(PoolConfig {
            max_pending: 1,
            max_queued: 1,
            ..config()
        });
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 10 * GWEI, 2 * GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(2), 0, 10 * GWEI, 3 * GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(
            err(
                &pool,
                MockTx::eip1559(addr(3), 0, 10 * GWEI, 2 * GWEI),
                &state,
                1
            ),
            "transaction underpriced"
        );
    }

    #[test]
    fn gapped_transaction_never_evicts_executable_ones() {
        let pool = TxPool::new(PoolConfig {
            max_pending: 1,
            max_queued: 1,
            ..config()
        });
        let state = MockState::default();
        pool.add(MockTx::eip1559(addr(1), 0, 10 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        pool.add(MockTx::eip1559(addr(2), 0, 10 * GWEI, GWEI), &state, 1)
            .expect("accepted");
        assert_eq!(
            err(
                &pool,
                MockTx::eip1559(addr(3), 7, 100 * GWEI, 50 * GWEI),
                &state,
                1
            ),
            "txpool is full"
        );
    }

    #[test]
    fn full_queue_evicts_the_cheapest_queued_transaction() {
        let pool = TxPool::new(PoolConfig {
            max_pending: 10,
            max_queued: 1,
            ..config()
        });
        let state = MockState::default();
        let cheap = MockTx::eip1559(addr(1), 3, 10 * GWEI, GWEI);
        assert_eq!(pool.add(cheap.clone(), &state, 1), Ok(AddOutcome::Queued));
        let better = MockTx::eip1559(addr(2), 3, 10 * GWEI, 2 * GWEI);
        assert_eq!(pool.add(better, &state, 1), Ok(AddOutcome::Queued));
        assert!(!pool.contains(&cheap.hash()));
        assert_eq!(pool.status(), (0, 1));
    }
}
