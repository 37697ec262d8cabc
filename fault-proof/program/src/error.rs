//! The program's one error type. Any error ends the run without a verdict: in the VM it is a
//! panic (exit code 2), never a silent success.

use alloc::string::String;
use alloy_primitives::B256;

/// Why the program could not reach a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// The oracle failed to answer (native mode: the host could not serve the key).
    #[error("oracle: {0}")]
    Oracle(String),
    /// A keccak256 preimage does not hash to its key: the host lied.
    #[error("preimage of {key} hashes to {got}")]
    PreimageMismatch {
        /// The key asked for.
        key: B256,
        /// What the served bytes hash to.
        got: B256,
    },
    /// Boot data (a local key) is malformed.
    #[error("boot data: {0}")]
    Boot(String),
    /// The configuration preimage does not parse, or does not belong to this chain.
    #[error("config: {0}")]
    Config(String),
    /// A preimage that must decode does not (an L2 header, the agreed output).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The protocol's rules (execution, tries) failed.
    #[error(transparent)]
    Protocol(#[from] sprout_protocol::ProtocolError),
    /// Derivation stopped with an error other than running out of L1 data.
    #[error("derivation: {0}")]
    Derive(sprout_protocol::derive::DeriveError),
}

/// The program's result alias.
pub type Result<T, E = ProgramError> = core::result::Result<T, E>;
