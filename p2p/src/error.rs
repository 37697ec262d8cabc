//! The crate's one error type.

/// What can go wrong in gossip.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// A message that does not decode (snappy, signature, SSZ).
    #[error("undecodable block message: {0}")]
    Decode(String),
    /// A message that decodes but breaks a rule.
    #[error("invalid block message: {0}")]
    Invalid(String),
    /// The signing key failed.
    #[error("cannot sign: {0}")]
    Signer(String),
    /// A key file that cannot be read, written or parsed.
    #[error("p2p key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The libp2p transport or behaviour could not start.
    #[error("cannot start p2p: {0}")]
    Start(String),
    /// The gossip task has stopped.
    #[error("the p2p service has stopped")]
    Stopped,
}

/// The crate's result.
pub type Result<T, E = P2pError> = std::result::Result<T, E>;
