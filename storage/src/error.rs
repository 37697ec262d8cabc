//! The storage crate's one error type.

use alloy_primitives::B256;

/// Everything that can fail reading or writing a datadir.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB failed.
    #[error("database error: {0}")]
    Db(#[from] rocksdb::Error),
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
    /// The datadir or the setting asked for is unusable; the message says how to fix it.
    #[error("{0}")]
    Config(String),
    /// A block the caller referred to does not exist.
    #[error("block {0} not found")]
    UnknownBlock(B256),
    /// The state (trie) of a block is no longer kept: the node prunes (`--prune`).
    #[error("state of block {number} is pruned: {}; ask an archive node", kept_state(*.keep, *.kept_from))]
    StatePruned {
        /// The block whose state was asked for.
        number: u64,
        /// The oldest block whose state is kept.
        kept_from: u64,
        /// Blocks of state kept, when this node prunes (`None`: it pruned before, not now).
        keep: Option<u64>,
    },
    /// A rollback to a block whose state is pruned: refused, it would leave a state the node
    /// cannot read.
    #[error(
        "cannot roll the chain back to block {target}: its state is pruned (this datadir keeps the state of blocks {kept_from} and later, --prune); a deeper reorg needs a fresh datadir (a follower re-derives the chain from L1) or a larger --prune"
    )]
    UnwindPruned {
        /// The block asked for.
        target: u64,
        /// The oldest block whose state is kept.
        kept_from: u64,
    },
}

fn kept_state(keep: Option<u64>, kept_from: u64) -> String {
    match keep {
        Some(keep) => format!(
            "this node keeps the state of the last {keep} blocks (--prune {keep}), from block {kept_from} on"
        ),
        None => format!(
            "this datadir keeps the state of blocks {kept_from} and later (it ran with --prune before)"
        ),
    }
}

/// The storage crate's result alias.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
