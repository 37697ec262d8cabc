//! Transaction pool: admits transactions with geth's rules and error texts, keeps each sender's
//! nonce sequence split into executable (pending) and gapped (queued) parts, and hands the block
//! builder the best-paying executable transactions in `O(k log n)`.
//!
//! | file | what |
//! | --- | --- |
//! | `traits.rs` | [`PoolTransaction`], [`AccountReader`]: what the caller plugs in |
//! | `config.rs` | [`PoolConfig`] |
//! | `error.rs` | [`PoolError`], geth's exact messages |
//! | `validate.rs` | checks needing only the transaction and the config |
//! | `ordering.rs` | effective tip, ranking, replacement bump |
//! | `sender.rs` | one sender's nonce sequence |
//! | `inner.rs` | the locked state: admission, eviction, indexes |
//! | `best.rs` | [`BestTransactions`], the builder's iterator |
//! | `txpool.rs` | [`TxPool`], the shared handle |
//!
//! ```ignore
//! let pool = TxPool::new(PoolConfig::new(chain_id, 30_000_000));
//! match pool.add(tx, &state, base_fee) {
//!     Ok(AddOutcome::Pending) => publish(hash),
//!     Ok(_) => {}
//!     Err(e) => return Err(rpc_error(-32000, e.to_string())),
//! }
//! let mut best = pool.best(base_fee);
//! while let Some(tx) = best.next() {
//!     if !fits(&tx) { best.mark_invalid(tx.sender()); }
//! }
//! pool.on_block_committed(&state, &included_hashes, next_base_fee);
//! ```

mod best;
mod config;
mod error;
mod inner;
mod ordering;
mod sender;
mod traits;
mod txpool;
mod validate;

#[cfg(test)]
pub(crate) mod test_utils;

pub use best::BestTransactions;
pub use config::PoolConfig;
pub use error::{PoolError, PoolResult};
pub use ordering::effective_tip_per_gas;
pub use traits::{
    AccountReader, DEPOSIT_TX_TYPE, EIP1559_TX_TYPE, EIP2930_TX_TYPE, EIP4844_TX_TYPE,
    EIP7702_TX_TYPE, LEGACY_TX_TYPE, PoolTransaction,
};
pub use txpool::{AddOutcome, PoolContent, TxPool};
