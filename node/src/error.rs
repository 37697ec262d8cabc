//! The node's one error type.

use alloy_primitives::B256;

/// Everything that can fail in the node library.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed, or refused what was asked of it.
    #[error(transparent)]
    Storage(#[from] sprout_storage::StorageError),
    /// Stored data did not decode: the database is damaged or from another version.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// Protocol rules (decoding, execution, trie).
    #[error(transparent)]
    Protocol(#[from] sprout_protocol::ProtocolError),
    /// RLP decoding failed.
    #[error("rlp: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// JSON encoding or decoding failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A file or socket failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration is unusable; the message says how to fix it.
    #[error("{0}")]
    Config(String),
    /// L1 could not be reached or answered something unusable.
    #[error("L1: {0}")]
    L1(String),
    /// The L1 origin of the head was reorged out of L1: the unsafe chain must roll back.
    #[error("L1 origin {number} ({hash}) is no longer canonical")]
    OriginReorged {
        /// The lost origin's number.
        number: u64,
        /// The lost origin's hash.
        hash: B256,
    },
    /// Derivation could not apply what it derived.
    #[error("derivation: {0}")]
    Derive(String),
    /// A block from gossip that breaks the chain's rules; nothing of it was written.
    #[error("gossiped block refused: {0}")]
    Unsafe(String),
    /// A block the caller referred to does not exist.
    #[error("block {0} not found")]
    UnknownBlock(B256),
}

/// The node's result alias.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
