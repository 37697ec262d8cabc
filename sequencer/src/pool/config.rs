//! Limits and chain parameters the pool enforces.

/// Configuration of a [`TxPool`](super::TxPool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Chain id every protected transaction must be signed for.
    pub chain_id: u64,
    /// Block gas limit at start ([`TxPool::set_block_gas_limit`](super::TxPool::set_block_gas_limit)
    /// changes it); a transaction asking for more cannot be included.
    pub block_gas_limit: u64,
    /// Largest signed encoding accepted, in bytes (geth: 128 KiB).
    pub max_tx_size: usize,
    /// Percentage by which both fee cap and tip must rise to replace a transaction (geth: 10).
    pub price_bump_percent: u64,
    /// Smallest `max_priority_fee_per_gas` accepted (geth's `--txpool.pricelimit`, at least 1).
    pub min_tip: u128,
    /// Most transactions, pending and queued, one sender may have in the pool.
    pub max_per_sender: usize,
    /// Executable-transaction capacity. Capacity is counted on the whole pool:
    /// at most `max_pending + max_queued` transactions, of which at most `max_queued` queued.
    pub max_pending: usize,
    /// Most transactions waiting on a nonce gap.
    pub max_queued: usize,
    /// Accept pre-EIP-155 legacy transactions (no chain id in the signature).
    pub accept_unprotected: bool,
}

impl PoolConfig {
    /// Defaults for `chain_id`: geth's size, bump and tip rules, 64 transactions per sender,
    /// room for 20 000 executable and 5 000 queued transactions, unprotected ones refused.
    pub const fn new(chain_id: u64, block_gas_limit: u64) -> Self {
        Self {
            chain_id,
            block_gas_limit,
            max_tx_size: 128 * 1024,
            price_bump_percent: 10,
            min_tip: 1,
            max_per_sender: 64,
            max_pending: 20_000,
            max_queued: 5_000,
            accept_unprotected: false,
        }
    }

    /// Total number of transactions the pool holds before it starts evicting.
    pub const fn capacity(&self) -> usize {
        self.max_pending.saturating_add(self.max_queued)
    }
}
