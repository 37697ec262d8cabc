//! Sprout's sequencer: the transaction pool the block builder draws from, and L1-origin
//! selection.

pub mod origin;
pub mod pool;

pub use pool::{
    AccountReader, AddOutcome, BestTransactions, PoolConfig, PoolError, PoolTransaction, TxPool,
};
