//! The crate's one error type, by cause.

use alloy_primitives::{Address, U256};

/// The crate's result type.
pub type Result<T, E = BatcherError> = std::result::Result<T, E>;

/// Everything that can stop or interrupt the batcher.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The configuration cannot work; nothing was sent. The message says what to change.
    #[error("batcher config: {0}")]
    Config(String),
    /// The batcher key is not the rollup's batcher: derivation would ignore every frame.
    #[error(
        "the batcher key's address {key} is not the rollup's batcher {expected} \
         (the SystemConfig's batcherHash, else genesis.system_config.batcherAddr): use the key \
         of {expected}, or have the SystemConfig owner call setBatcherHash"
    )]
    WrongBatcherKey {
        /// Address of the configured key.
        key: Address,
        /// The batcher the SystemConfig names (or the rollup config's genesis batcher).
        expected: Address,
    },
    /// An L1 request failed (unreachable node, bad answer).
    #[error("L1: {0}")]
    L1(String),
    /// An L2 (sequencer) request failed.
    #[error("L2: {0}")]
    L2(String),
    /// The sequencer sent a block that does not decode.
    #[error("raw L2 block {number}: {reason}")]
    RawBlock {
        /// Block number asked for.
        number: u64,
        /// What is wrong with its bytes.
        reason: String,
    },
    /// Building a channel or cutting frames failed.
    #[error("channel: {0}")]
    Channel(#[from] sprout_protocol::batch::BatchError),
    /// Signing a transaction failed.
    #[error("signing: {0}")]
    Signing(String),
    /// L1 rejected a transaction for a reason the batcher cannot fix by itself.
    #[error("L1 rejected batcher transaction with nonce {nonce}: {reason}")]
    TxRejected {
        /// Nonce of the transaction.
        nonce: u64,
        /// L1's error message.
        reason: String,
    },
    /// The batcher account cannot pay for its transactions.
    #[error("batcher account {address} has {balance} wei, below the minimum {min} wei")]
    LowBalance {
        /// The batcher account.
        address: Address,
        /// Its balance.
        balance: U256,
        /// The configured minimum.
        min: U256,
    },
}
