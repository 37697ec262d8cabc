//! `sprout proposer`: runs the proposer role (the `sprout-proposer` crate) from the command line.

use std::{path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::utils::parse_ether;
use clap::Args;
use sprout_proposer::{Metrics, ProposalHead, ProposerConfig};
use tracing::info;

use crate::{
    NodeError, Result,
    role_args::{load_rollup, load_signer},
};

/// `sprout proposer` arguments.
#[derive(Debug, Clone, Args)]
pub struct ProposerArgs {
    /// The rollup config (`rollup.json`); the oracle is its `l2_output_oracle_address`.
    #[arg(long, env = "SPROUT_CHAIN")]
    pub chain: PathBuf,
    /// L1 JSON-RPC endpoint (HTTP).
    #[arg(long = "l1.rpc-url", env = "SPROUT_L1_RPC_URL")]
    pub l1_rpc_url: String,
    /// The node whose derived outputs are proposed (HTTP).
    #[arg(long = "l2.rpc-url", env = "SPROUT_L2_RPC_URL")]
    pub l2_rpc_url: String,
    /// A second node (a follower) that must agree on every output before it is proposed.
    #[arg(long = "l2.verify-rpc-url", env = "SPROUT_L2_VERIFY_RPC_URL")]
    pub verify_rpc_url: Option<String>,
    /// Propose finalized blocks only (derived from finalized L1 data), not safe ones.
    #[arg(long = "proposal.finalized")]
    pub finalized: bool,
    /// The proposer's private key (hex). Prefer `--private-key-file` or the environment.
    #[arg(
        long = "private-key",
        env = "SPROUT_PROPOSER_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// A file holding the proposer's private key (hex).
    #[arg(long = "private-key-file", conflicts_with = "private_key")]
    pub private_key_file: Option<PathBuf>,
    /// L1 blocks (the including one counts) before a proposal counts as done.
    #[arg(long, default_value_t = 1)]
    pub confirmations: u64,
    /// Seconds before an unmined proposal is resent with higher fees.
    #[arg(long = "resubmit-timeout", default_value_t = 30)]
    pub resubmit_timeout: u64,
    /// Milliseconds between rounds.
    #[arg(long = "poll-interval-ms", default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// Below this balance (ETH) the proposer stops sending until funded.
    #[arg(long = "min-balance", default_value = "0.05")]
    pub min_balance: String,
    /// Serve Prometheus metrics on this port (127.0.0.1); off when not given.
    #[arg(long = "metrics.port")]
    pub metrics_port: Option<u16>,
    /// `oracle`: outputs to the L2OutputOracle (permissioned); `games`: a dispute game per
    /// output, with its bond, in `--factory` (permissionless).
    #[arg(long, value_enum, default_value_t = ProposalMode::Oracle)]
    pub mode: ProposalMode,
    /// Games mode: the DisputeGameFactory.
    #[arg(long, required_if_eq("mode", "games"))]
    pub factory: Option<alloy_primitives::Address>,
    /// Games mode: the game type created.
    #[arg(long = "game-type", default_value_t = 0x5350)]
    pub game_type: u32,
    /// Games mode: L2 blocks between games.
    #[arg(long = "proposal-interval", default_value_t = 10)]
    pub proposal_interval: u64,
}

/// Where outputs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProposalMode {
    /// The L2OutputOracle.
    Oracle,
    /// Dispute games.
    Games,
}

impl ProposerArgs {
    fn config(&self) -> Result<ProposerConfig> {
        let mut config = ProposerConfig::new(
            self.l1_rpc_url.clone(),
            self.l2_rpc_url.clone(),
            load_rollup(&self.chain)?,
            load_signer(
                self.private_key.as_deref(),
                self.private_key_file.as_ref(),
                "proposer",
                "SPROUT_PROPOSER_KEY",
            )?,
        );
        config.verify_rpc_url = self.verify_rpc_url.clone();
        config.head = if self.finalized {
            ProposalHead::Finalized
        } else {
            ProposalHead::Safe
        };
        config.confirmations = self.confirmations.max(1);
        config.resubmit_timeout = Duration::from_secs(self.resubmit_timeout);
        config.poll_interval = Duration::from_millis(self.poll_interval_ms);
        if self.mode == ProposalMode::Games {
            let factory = self
                .factory
                .ok_or_else(|| NodeError::Config("--mode games needs --factory ADDR".into()))?;
            config.games = Some(sprout_proposer::GamesConfig {
                factory,
                game_type: self.game_type,
                interval: self.proposal_interval,
            });
        }
        config.min_balance = parse_ether(&self.min_balance)
            .map_err(|e| NodeError::Config(format!("--min-balance {:?}: {e}", self.min_balance)))?;
        Ok(config)
    }
}

/// Runs `sprout proposer` until Ctrl-C or SIGTERM.
pub async fn run_proposer(args: ProposerArgs) -> Result<()> {
    let config = args.config()?;
    let metrics = Arc::new(Metrics::default());
    if let Some(port) = args.metrics_port {
        let metrics = metrics.clone();
        let addr = crate::metrics::serve(port, move || metrics.render_prometheus()).await?;
        info!(target: "proposer", %addr, "metrics");
    }
    sprout_proposer::run(config, metrics, crate::cli::shutdown_signal())
        .await
        .map_err(|e| NodeError::Config(e.to_string()))
}
