//! One sender's transactions in nonce order: an executable run from the account nonce, then
//! whatever waits behind a nonce gap.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};

use super::PoolTransaction;

/// A pooled transaction with what the pool derived from it.
#[derive(Debug, Clone)]
pub(crate) struct PooledTx<T> {
    pub(crate) tx: T,
    /// `gas_limit * max_fee + value`, computed once.
    pub(crate) cost: U256,
    /// Part of the gap-free run starting at the account nonce.
    pub(crate) pending: bool,
}

/// Everything the pool holds for one sender, with the account state it was last checked against.
#[derive(Debug)]
pub(crate) struct SenderTxs<T> {
    /// Account nonce: the first nonce the next block can execute.
    pub(crate) nonce: u64,
    /// Account balance when last read.
    pub(crate) balance: U256,
    pub(crate) txs: BTreeMap<u64, PooledTx<T>>,
    /// Length of the gap-free run starting at `nonce`.
    pub(crate) pending_count: usize,
    /// Transactions behind a gap (or below `nonce`, until the next state update drops them).
    pub(crate) queued_count: usize,
    /// Total cost of the pending run.
    pub(crate) pending_cost: U256,
}

impl<T: PoolTransaction> SenderTxs<T> {
    pub(crate) const fn new(nonce: u64, balance: U256) -> Self {
        Self {
            nonce,
            balance,
            txs: BTreeMap::new(),
            pending_count: 0,
            queued_count: 0,
            pending_cost: U256::ZERO,
        }
    }

    /// Re-derives the pending run; hashes that just became pending are pushed to `promoted`.
    pub(crate) fn recompute(&mut self, promoted: &mut Vec<B256>) {
        let mut next = self.nonce;
        let (mut count, mut cost) = (0, U256::ZERO);
        for (&nonce, pooled) in &mut self.txs {
            let pending = nonce == next;
            if pending {
                next = next.saturating_add(1);
                count += 1;
                cost = cost.saturating_add(pooled.cost);
                if !pooled.pending {
                    promoted.push(pooled.tx.hash());
                }
            }
            pooled.pending = pending;
        }
        self.pending_count = count;
        self.queued_count = self.txs.len() - count;
        self.pending_cost = cost;
    }

    /// Moves to a newer account state: drops transactions whose nonce is used and, as geth's
    /// `list.Filter` does, any costing more than the balance. Dropped ones are pushed to `removed`.
    pub(crate) fn apply_state(&mut self, nonce: u64, balance: U256, removed: &mut Vec<T>) {
        self.nonce = nonce;
        self.balance = balance;
        let keep = self.txs.split_off(&nonce);
        removed.extend(
            std::mem::replace(&mut self.txs, keep)
                .into_values()
                .map(|p| p.tx),
        );
        let unaffordable: Vec<u64> = self
            .txs
            .iter()
            .filter(|(_, p)| p.cost > balance)
            .map(|(n, _)| *n)
            .collect();
        for nonce in unaffordable {
            if let Some(p) = self.txs.remove(&nonce) {
                removed.push(p.tx);
            }
        }
    }

    /// First pending transaction: the one the next block must execute first.
    pub(crate) fn head(&self) -> Option<&PooledTx<T>> {
        self.txs.get(&self.nonce).filter(|p| p.pending)
    }

    /// First nonce at or above `from` that the pool holds no transaction for.
    pub(crate) fn next_free_nonce(&self, from: u64) -> u64 {
        let mut next = from;
        for nonce in self.txs.range(from..).map(|(n, _)| *n) {
            if nonce != next {
                break;
            }
            next = next.saturating_add(1);
        }
        next
    }
}
