//! What the proposer runs with.

use std::time::Duration;

use alloy_primitives::U256;
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::rollup::RollupConfig;

/// Which of its node's heads the proposer proposes up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalHead {
    /// Blocks derived from L1 data (the default).
    Safe,
    /// Blocks derived from finalized L1 data.
    Finalized,
}

/// The proposer's settings.
#[derive(Clone, Debug)]
pub struct ProposerConfig {
    /// L1 JSON-RPC (HTTP).
    pub l1_rpc_url: String,
    /// The node whose derived outputs are proposed (HTTP).
    pub l2_rpc_url: String,
    /// A second node (a follower) every output is checked against before it is proposed.
    pub verify_rpc_url: Option<String>,
    /// The rollup (its L1, L2 and oracle address).
    pub rollup: RollupConfig,
    /// The proposer's key: the oracle's `proposer()`.
    pub signer: PrivateKeySigner,
    /// Safe or finalized blocks.
    pub head: ProposalHead,
    /// L1 blocks (the including one counts) before a proposal counts as done.
    pub confirmations: u64,
    /// Unmined proposals are resent with higher fees after this long.
    pub resubmit_timeout: Duration,
    /// Time between rounds.
    pub poll_interval: Duration,
    /// Below this balance nothing is sent.
    pub min_balance: U256,
    /// Lowest tip offered.
    pub min_tip: u128,
    /// Games mode: a dispute game per output, instead of the L2OutputOracle.
    pub games: Option<crate::GamesConfig>,
}

impl ProposerConfig {
    /// Defaults for everything but the endpoints, the rollup and the key: safe head, 1
    /// confirmation, 30 s resubmit timeout, 1 s polls, 0.05 ETH minimum balance, 1 gwei tip.
    pub fn new(
        l1_rpc_url: impl Into<String>,
        l2_rpc_url: impl Into<String>,
        rollup: RollupConfig,
        signer: PrivateKeySigner,
    ) -> Self {
        Self {
            l1_rpc_url: l1_rpc_url.into(),
            l2_rpc_url: l2_rpc_url.into(),
            verify_rpc_url: None,
            rollup,
            signer,
            head: ProposalHead::Safe,
            confirmations: 1,
            resubmit_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            min_balance: U256::from(50_000_000_000_000_000u128),
            min_tip: 1_000_000_000,
            games: None,
        }
    }
}
