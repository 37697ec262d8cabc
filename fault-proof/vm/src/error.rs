//! The crate's error type: everything that stops the host, as opposed to a VM panic.

use alloy_primitives::B256;

/// A host-side failure. A faulty *program* never produces one of these: it ends the VM in the
/// panic state instead (see [`crate::Status::Panic`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ELF file is malformed or not a static riscv64 executable.
    #[error("invalid ELF: {0}")]
    Elf(String),
    /// Reading a file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The oracle has no preimage for a key the program asked for.
    #[error("preimage oracle has no preimage for key {0}")]
    MissingPreimage(B256),
    /// The oracle returned data whose keccak256 does not match the key.
    #[error("preimage for key {0} does not hash to the key")]
    PreimageMismatch(B256),
    /// The program asked for a preimage with a key type this VM does not serve.
    #[error("unsupported preimage key type {0} (served: 1 local, 2 keccak256)")]
    UnsupportedKeyType(u8),
    /// A step witness is inconsistent or incomplete.
    #[error("invalid step witness: {0}")]
    InvalidWitness(String),
    /// `step` was called on a VM that has already exited.
    #[error("the VM has already exited")]
    Exited,
    /// A witness was asked for a step the program never reaches.
    #[error("the program exits after {exited_at} steps, before step {requested}")]
    StepOutOfRange {
        /// The requested step.
        requested: u64,
        /// The step count at exit.
        exited_at: u64,
    },
    /// A state encoding has the wrong length.
    #[error("encoded state must be {expected} bytes, got {got}")]
    StateLength {
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
}

/// The crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
