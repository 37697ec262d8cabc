//! The crate's one error type, by cause.

use alloy_primitives::Address;

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
    /// An L1 request or the L1 transaction manager failed.
    #[error(transparent)]
    L1(#[from] sprout_txmgr::TxMgrError),
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
}
