//! The crate's one error type.

use alloc::string::String;
use alloy_primitives::B256;

use crate::trie::TrieError;

/// Everything that can go wrong while decoding, validating or executing Sprout data.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// Bytes that should hold RLP or an EIP-2718 envelope did not.
    #[error("malformed rlp: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// A transaction type this chain does not know.
    #[error("transaction type not supported: {0:#x}")]
    UnsupportedTxType(u8),
    /// A type-3 transaction with its blob sidecar (EIP-4844's network form) where only the
    /// canonical form is valid.
    #[error(
        "blob transaction in its network form (blobs, commitments and proofs attached): a block or a raw transaction carries the canonical form only"
    )]
    BlobSidecarAttached,
    /// The signature did not recover to an address.
    #[error("invalid signature")]
    InvalidSignature,
    /// The state trie is missing a node or holds a malformed one.
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// The state source failed (disk, oracle, RPC).
    #[error("state read failed: {0}")]
    State(String),
    /// A transaction could not be included in a block.
    #[error("transaction {hash} is invalid: {reason}")]
    InvalidTransaction {
        /// Hash of the offending transaction.
        hash: B256,
        /// Why it was rejected, in revm's / geth's words.
        reason: String,
    },
    /// A block did not satisfy the consensus rules.
    #[error("invalid block: {0}")]
    InvalidBlock(String),
    /// The chain configuration is unusable.
    #[error("invalid chain config: {0}")]
    Config(String),
    /// A log is not a valid `TransactionDeposited` event.
    #[error("invalid deposit log: {0}")]
    InvalidDeposit(#[from] crate::deposit::DepositLogError),
    /// Derivation stopped; the kind says whether to retry, reset or give up.
    #[error("derivation: {0}")]
    Derive(#[from] crate::derive::DeriveError),
    /// Batcher data (a frame, a channel, a batch) is malformed, or a channel cannot be built.
    #[error("batch codec: {0}")]
    Batch(#[from] crate::batch::BatchError),
}

/// The crate's result alias.
pub type Result<T, E = ProtocolError> = core::result::Result<T, E>;
