//! What the role commands (`sprout batcher`, `sprout proposer`) read the same way: the rollup
//! config file and the role's key.

use std::path::{Path, PathBuf};

use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::rollup::RollupConfig;

use crate::{NodeError, Result};

/// Reads and parses `rollup.json`.
pub fn load_rollup(path: &Path) -> Result<RollupConfig> {
    let raw = std::fs::read(path).map_err(|e| {
        NodeError::Config(format!("cannot read rollup config {}: {e}", path.display()))
    })?;
    let json = serde_json::from_slice(&raw).map_err(|e| {
        NodeError::Config(format!("rollup config {} is not JSON: {e}", path.display()))
    })?;
    RollupConfig::from_json(json).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
}

/// The `role`'s key from `--private-key` (or the environment variable `env`) or from
/// `--private-key-file`.
pub fn load_signer(
    key: Option<&str>,
    file: Option<&PathBuf>,
    role: &str,
    env: &str,
) -> Result<PrivateKeySigner> {
    let hex = match (key, file) {
        (Some(key), _) => key.trim().to_string(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| {
                NodeError::Config(format!("cannot read the key file {}: {e}", path.display()))
            })?
            .trim()
            .to_string(),
        (None, None) => {
            return Err(NodeError::Config(format!(
                "the {role} needs its key: --private-key-file FILE or {env}"
            )));
        }
    };
    hex.parse::<PrivateKeySigner>()
        .map_err(|e| NodeError::Config(format!("the {role} key is not a private key: {e}")))
}
