//! The crate's one error type, by cause.

use alloy_primitives::{Address, B256};

/// The crate's result type.
pub type Result<T, E = ProposerError> = std::result::Result<T, E>;

/// What can stop or interrupt the proposer.
#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    /// The configuration cannot work; nothing was sent. The message says what to change.
    #[error("proposer config: {0}")]
    Config(String),
    /// The key is not the oracle's proposer: every proposal would revert.
    #[error(
        "the proposer key's address {key} is not the L2OutputOracle's proposer {expected}: use \
         the key of {expected} (in the devnet, proposer.key in the datadir)"
    )]
    WrongKey {
        /// Address of the configured key.
        key: Address,
        /// `L2OutputOracle.proposer()`.
        expected: Address,
    },
    /// An L1 request or the transaction manager failed.
    #[error(transparent)]
    L1(#[from] sprout_txmgr::TxMgrError),
    /// An L2 node request failed or answered something unusable.
    #[error("L2 node {url}: {reason}")]
    L2 {
        /// Which node.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The node and the second source disagree on an output: nothing is proposed.
    #[error(
        "output of L2 block {block}: the node says {ours}, the verifier says {theirs}; not \
         proposing. One of them is on another chain: check both nodes"
    )]
    OutputMismatch {
        /// The L2 block.
        block: u64,
        /// The node's output root.
        ours: B256,
        /// The verifier's output root.
        theirs: B256,
    },
    /// L1 says the proposal would revert (its reason).
    #[error("proposing the output of L2 block {block} would revert: {reason}")]
    WouldRevert {
        /// The L2 block.
        block: u64,
        /// L1's answer.
        reason: String,
    },
}
