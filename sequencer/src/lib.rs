//! Sprout's sequencer: the transaction pool the block builder draws from (and its view of a
//! Sprout transaction), and L1-origin selection.

pub mod origin;
pub mod pool;
pub mod pool_tx;

pub use pool::{
    AccountReader, AddOutcome, BestTransactions, PoolConfig, PoolError, PoolTransaction, TxPool,
};
pub use pool_tx::PoolTx;
