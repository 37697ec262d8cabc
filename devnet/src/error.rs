//! The devnet's one error type.

/// What can stop `sprout up`.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// anvil is not installed where we look.
    #[error(
        "anvil not found: run `npm ci` in the Sprout repository (it installs the pinned @foundry-rs/anvil), or pass --l1.anvil-bin PATH"
    )]
    AnvilMissing,
    /// A file or process failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The L1 contracts could not be deployed.
    #[error("deploying the L1 contracts: {0}")]
    Deploy(#[from] sprout_contracts::ContractsError),
    /// Chain or rollup config problems.
    #[error(transparent)]
    Protocol(#[from] sprout_protocol::ProtocolError),
    /// JSON files.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A role did not come up.
    #[error("{0}")]
    NotReady(String),
}

/// The devnet's result alias.
pub type Result<T, E = DevnetError> = std::result::Result<T, E>;
