//! How transactions rank against each other: effective tip at a base fee, then fee cap.

use super::PoolTransaction;

/// Effective tip per gas at `base_fee`: `min(max_priority_fee, max_fee - base_fee)`,
/// or `None` when the fee cap does not cover the base fee.
pub fn effective_tip_per_gas<T: PoolTransaction>(tx: &T, base_fee: u64) -> Option<u128> {
    let headroom = tx.max_fee_per_gas().checked_sub(u128::from(base_fee))?;
    Some(headroom.min(tx.max_priority_fee_per_gas()))
}

/// Rank of a transaction at a given base fee; greater pays the block producer more.
///
/// A transaction whose fee cap is below the base fee has an effective tip of zero and ranks
/// below every payable one, since its fee cap is lower than theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Priority {
    /// Effective tip per gas, zero when the fee cap is below the base fee.
    pub(crate) tip: u128,
    /// Fee cap, breaking ties between equal effective tips.
    pub(crate) max_fee: u128,
}

impl Priority {
    pub(crate) fn of<T: PoolTransaction>(tx: &T, base_fee: u64) -> Self {
        Self {
            tip: effective_tip_per_gas(tx, base_fee).unwrap_or(0),
            max_fee: tx.max_fee_per_gas(),
        }
    }
}

/// Whether `new` may replace `old` (same sender and nonce): geth's `list.Add` rule, both fee cap
/// and tip strictly higher and each at least `bump_percent` above the old value.
pub(crate) fn outbids<T: PoolTransaction>(new: &T, old: &T, bump_percent: u64) -> bool {
    let bumped = |v: u128| v.saturating_mul(100 + u128::from(bump_percent)) / 100;
    let (new_cap, new_tip) = (new.max_fee_per_gas(), new.max_priority_fee_per_gas());
    let (old_cap, old_tip) = (old.max_fee_per_gas(), old.max_priority_fee_per_gas());
    new_cap > old_cap
        && new_tip > old_tip
        && new_cap >= bumped(old_cap)
        && new_tip >= bumped(old_tip)
}
