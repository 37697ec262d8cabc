//! The crate's one error type, by cause.

use alloy_primitives::{Address, U256};

/// The crate's result type.
pub type Result<T, E = TxMgrError> = std::result::Result<T, E>;

/// What can interrupt the transaction manager.
#[derive(Debug, thiserror::Error)]
pub enum TxMgrError {
    /// The configuration cannot work; nothing was sent. The message says what to change.
    #[error("L1 transaction manager config: {0}")]
    Config(String),
    /// An L1 request failed (unreachable node, bad answer).
    #[error("L1: {0}")]
    L1(String),
    /// Signing a transaction, or building a blob for it, failed.
    #[error("signing: {0}")]
    Signing(String),
    /// Building a blob failed.
    #[error("blob: {0}")]
    Blob(#[from] sprout_protocol::batch::BatchError),
    /// The account cannot pay for its transactions.
    #[error("{role} account {address} has {balance} wei, below the minimum {min} wei")]
    LowBalance {
        /// Whose account (`batcher`, `proposer`).
        role: &'static str,
        /// The account.
        address: Address,
        /// Its balance.
        balance: U256,
        /// The configured minimum.
        min: U256,
    },
}
