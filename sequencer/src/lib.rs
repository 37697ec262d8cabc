//! Sprout's sequencer: the transaction pool the block builder draws from.

pub mod pool;

pub use pool::{
    AccountReader, AddOutcome, BestTransactions, PoolConfig, PoolError, PoolTransaction, TxPool,
};
