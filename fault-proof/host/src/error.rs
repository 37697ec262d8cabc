//! The host's one error type.

use alloy_primitives::B256;

/// Why the host could not serve the program.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A source (the node's database, L1) failed or answered something unusable.
    #[error("{0}")]
    Source(String),
    /// A source does not have data the program asked for.
    #[error("no data for {0}")]
    Missing(B256),
    /// A source served bytes that do not hash to the key: refused, never served.
    #[error("a source served a preimage of {hash} that hashes to {got}")]
    WrongPreimage {
        /// The hash asked for.
        hash: B256,
        /// What the bytes hash to.
        got: B256,
    },
    /// A recording could not be read or written.
    #[error("recording: {0}")]
    Recording(String),
    /// A file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}
