//! The crate's one error type: every message says what went wrong and what to do next.

use alloy::{
    primitives::{Address, B256, U256},
    transports::TransportError,
};

use crate::bridge::units::{eth, utc};

/// Which chain a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The L1 (Ethereum, or anvil on a devnet).
    L1,
    /// The Sprout L2.
    L2,
}

impl Layer {
    /// The flag naming this layer's RPC endpoint.
    pub fn flag(self) -> &'static str {
        match self {
            Self::L1 => "--l1.rpc-url",
            Self::L2 => "--l2.rpc-url",
        }
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::L1 => "L1",
            Self::L2 => "L2",
        })
    }
}

/// Everything that can stop a bridge command.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The chain's addresses, the key or another input is missing or wrong.
    #[error("{0}")]
    Config(String),
    /// An endpoint does not answer.
    #[error("cannot reach {layer} at {url}: {source}; is it running? (check {flag})", flag = .layer.flag())]
    Unreachable {
        /// Which layer.
        layer: Layer,
        /// The endpoint.
        url: String,
        /// The transport's error.
        source: TransportError,
    },
    /// A JSON-RPC request failed.
    #[error("{layer} request {what} failed: {source}")]
    Rpc {
        /// Which layer.
        layer: Layer,
        /// What was asked.
        what: &'static str,
        /// The transport's error.
        source: TransportError,
    },
    /// Sending needs a key and none was given.
    #[error(
        "no key to sign with: pass --private-key KEY, --private-key-file FILE or set SPROUT_PRIVATE_KEY"
    )]
    NoKey,
    /// An amount that is not a number of wei, gwei or ether.
    #[error("invalid amount {0:?}: write it as 1ether, 0.5ether, 100gwei or a number of wei")]
    InvalidAmount(String),
    /// The account cannot pay the amount plus fees; nothing was sent.
    #[error(
        "account {account} holds {have_eth} ETH on {layer}; {action} at most {max_eth} ETH ({max} wei), leaving {fee_eth} ETH for fees",
        have_eth = eth(*.have),
        max_eth = eth(*.max),
        fee_eth = eth(.have.saturating_sub(*.max)),
    )]
    InsufficientBalance {
        /// Which layer the money is on.
        layer: Layer,
        /// The paying account.
        account: Address,
        /// Its balance, in wei.
        have: U256,
        /// The most it can send after fees, in wei.
        max: U256,
        /// `deposit` or `withdraw`.
        action: &'static str,
    },
    /// The transaction hash is unknown to the node.
    #[error("{layer} has no receipt for transaction {hash}: is it mined, and is {flag} the right chain?", flag = .layer.flag())]
    TxNotFound {
        /// Which layer.
        layer: Layer,
        /// The transaction.
        hash: B256,
    },
    /// The L2 transaction sent no withdrawal.
    #[error(
        "L2 transaction {0} sent no withdrawal (no MessagePassed event of the L2ToL1MessagePasser); pass the hash `sprout bridge withdraw` printed"
    )]
    NotAWithdrawal(B256),
    /// No output root on L1 covers the withdrawal's L2 block yet.
    #[error(
        "no output covers L2 block {l2_block} yet; {expected}; run `sprout bridge prove {l2_tx_hash}` then (`sprout bridge status {l2_tx_hash}` follows it)"
    )]
    NoOutputYet {
        /// The withdrawal's L2 transaction.
        l2_tx_hash: B256,
        /// The withdrawal's L2 block.
        l2_block: u64,
        /// When the covering output is expected, in words.
        expected: String,
    },
    /// Finalizing before proving.
    #[error("withdrawal {withdrawal_hash} is not proven yet{hint}")]
    NotProven {
        /// The withdrawal.
        withdrawal_hash: B256,
        /// Its L2 transaction.
        l2_tx_hash: B256,
        /// What to do: prove now, or when that becomes possible.
        hint: String,
    },
    /// Finalizing inside the finalization period.
    #[error(
        "withdrawal {withdrawal_hash} is proven, but its finalization period ends at {ends} (in about {secs} s); run `sprout bridge finalize {l2_tx_hash}` after that",
        ends = utc(*.ends_at, *.now),
        secs = .ends_at.saturating_sub(*.now),
    )]
    FinalizationPeriod {
        /// The withdrawal.
        withdrawal_hash: B256,
        /// Its L2 transaction.
        l2_tx_hash: B256,
        /// Last L1 timestamp at which finalizing still reverts.
        ends_at: u64,
        /// The L1 head's timestamp.
        now: u64,
    },
    /// The Portal on L1 holds less ETH than the withdrawal pays: finalizing now would mark it
    /// finalized without paying it. Nothing was sent.
    #[error(
        "the Portal {portal} holds {have_eth} ETH on L1, less than the {need_eth} ETH this withdrawal pays: finalizing now would mark withdrawal {withdrawal_hash} finalized and pay nothing. Nothing was sent; this chain's L2 supply is not backed by deposits on L1 (on a devnet: ETH from the L2 genesis). Finalize once the Portal holds enough",
        have_eth = eth(*.have),
        need_eth = eth(*.need),
    )]
    PortalUnderfunded {
        /// The Portal.
        portal: Address,
        /// Its balance.
        have: U256,
        /// The withdrawal's value.
        need: U256,
        /// The withdrawal.
        withdrawal_hash: B256,
    },
    /// Proving or finalizing a finalized withdrawal.
    #[error("withdrawal {0} is already finalized: its ETH was paid out on L1; nothing to do")]
    AlreadyFinalized(B256),
    /// Proving a withdrawal again while its proof still stands.
    #[error(
        "withdrawal {withdrawal_hash} is already proven (at {proven}, against output {output_index}); run `sprout bridge finalize {l2_tx_hash}` after {ends}",
        proven = utc(*.proven_at, *.now),
        ends = utc(*.ends_at, *.now),
    )]
    AlreadyProven {
        /// The withdrawal.
        withdrawal_hash: B256,
        /// Its L2 transaction.
        l2_tx_hash: B256,
        /// L1 timestamp of the proof.
        proven_at: u64,
        /// Index of the output it was proven against.
        output_index: u64,
        /// Last L1 timestamp at which finalizing still reverts.
        ends_at: u64,
        /// The L1 head's timestamp.
        now: u64,
    },
    /// The output root on L1 is not the one the L2 node computes for that block.
    #[error(
        "the output at index {index} (L2 block {l2_block}) is {on_l1} on L1, but this L2 node's block {l2_block} gives {computed}: {flag} follows another chain, or the output is wrong and must be deleted by the challenger before anyone can prove against it",
        flag = Layer::L2.flag(),
    )]
    OutputMismatch {
        /// Output index.
        index: u64,
        /// The output's L2 block.
        l2_block: u64,
        /// The root on L1.
        on_l1: B256,
        /// The root from the L2 node's block and proof.
        computed: B256,
    },
    /// A contract call would revert (seen in the gas estimate), so nothing was sent.
    #[error("{action} would revert: {reason}{hint}")]
    Reverted {
        /// What was attempted.
        action: &'static str,
        /// The decoded revert reason.
        reason: String,
        /// What it means and what to do.
        hint: String,
    },
    /// A transaction was mined but failed.
    #[error("{layer} transaction {hash} ({action}) was mined in block {block} but failed{hint}")]
    Failed {
        /// Which layer.
        layer: Layer,
        /// What it did.
        action: &'static str,
        /// The transaction.
        hash: B256,
        /// Its block.
        block: u64,
        /// What it means and what to do.
        hint: String,
    },
    /// Waiting took longer than allowed.
    #[error("timed out after {secs} s waiting for {what}; raise --timeout, or check it later")]
    Timeout {
        /// Seconds waited.
        secs: u64,
        /// What did not happen.
        what: String,
    },
    /// A node answered something that cannot be right.
    #[error("{layer} node at {flag} answered an unexpected {what}: {detail}", flag = .layer.flag())]
    BadResponse {
        /// Which layer.
        layer: Layer,
        /// Which answer.
        what: &'static str,
        /// Why it is wrong.
        detail: String,
    },
}

/// The crate's result alias.
pub type Result<T, E = AgentError> = std::result::Result<T, E>;
