//! `sprout batcher`: runs the batcher role (the `sprout-batcher` crate) from the command line.

use std::{path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::{U256, utils::parse_ether};
use clap::{Args, ValueEnum};
use sprout_batcher::{BatcherConfig, DataAvailability, Metrics};
use tracing::info;

use crate::{
    NodeError, Result,
    role_args::{load_rollup, load_signer},
};

/// Where the batcher posts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Da {
    /// Calldata of transactions to the batch inbox.
    Calldata,
    /// EIP-4844 blobs: one frame per blob, one blob per type-3 transaction. Followers need
    /// `--l1.beacon` to read them.
    Blobs,
}

/// `sprout batcher` arguments.
#[derive(Debug, Clone, Args)]
pub struct BatcherArgs {
    /// The rollup config (`rollup.json`).
    #[arg(long, env = "SPROUT_CHAIN")]
    pub chain: PathBuf,
    /// L1 JSON-RPC endpoint (HTTP).
    #[arg(long = "l1.rpc-url", env = "SPROUT_L1_RPC_URL")]
    pub l1_rpc_url: String,
    /// The sequencer's JSON-RPC endpoint (HTTP).
    #[arg(long = "l2.rpc-url", env = "SPROUT_L2_RPC_URL")]
    pub l2_rpc_url: String,
    /// The batcher's private key (hex). Prefer `--private-key-file` or the environment.
    #[arg(
        long = "private-key",
        env = "SPROUT_BATCHER_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// A file holding the batcher's private key (hex).
    #[arg(long = "private-key-file", conflicts_with = "private_key")]
    pub private_key_file: Option<PathBuf>,
    /// Largest frame, bytes; one frame per L1 transaction. Default: 120000 for calldata,
    /// 130043 (a full blob) for blobs.
    #[arg(long = "max-frame-size")]
    pub max_frame_size: Option<usize>,
    /// Frames a channel aims at before it is closed.
    #[arg(long = "target-frames", default_value_t = 1)]
    pub target_frames: usize,
    /// L1 blocks after which an open channel is closed anyway.
    #[arg(long = "max-channel-duration", default_value_t = 10)]
    pub max_channel_duration: u64,
    /// L1 blocks (the including one counts) before a frame counts as posted.
    #[arg(long, default_value_t = 4)]
    pub confirmations: u64,
    /// Seconds before an unmined transaction is resent with higher fees.
    #[arg(long = "resubmit-timeout", default_value_t = 30)]
    pub resubmit_timeout: u64,
    /// Milliseconds between polls of L1 and the sequencer.
    #[arg(long = "poll-interval-ms", default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// Below this balance (ETH) the batcher stops sending until funded.
    #[arg(long = "min-balance", default_value = "0.05")]
    pub min_balance: String,
    /// Where batches go.
    #[arg(long, value_enum, default_value_t = Da::Calldata)]
    pub da: Da,
    /// Serve Prometheus metrics on this port (127.0.0.1); off when not given.
    #[arg(long = "metrics.port")]
    pub metrics_port: Option<u16>,
}

impl BatcherArgs {
    fn config(&self) -> Result<BatcherConfig> {
        let rollup = load_rollup(&self.chain)?;
        let min_balance: U256 = parse_ether(&self.min_balance)
            .map_err(|e| NodeError::Config(format!("--min-balance {:?}: {e}", self.min_balance)))?;
        let mut config = BatcherConfig::new(
            self.l1_rpc_url.clone(),
            self.l2_rpc_url.clone(),
            rollup,
            load_signer(
                self.private_key.as_deref(),
                self.private_key_file.as_ref(),
                "batcher",
                "SPROUT_BATCHER_KEY",
            )?,
        );
        config.max_frame_size = self.max_frame_size.unwrap_or(match self.da {
            Da::Calldata => sprout_batcher::config::DEFAULT_MAX_FRAME_SIZE,
            Da::Blobs => sprout_batcher::config::MAX_BLOB_FRAME_SIZE,
        });
        config.target_frames_per_channel = self.target_frames;
        config.max_channel_duration = self.max_channel_duration;
        config.confirmations = self.confirmations;
        config.resubmit_timeout = Duration::from_secs(self.resubmit_timeout);
        config.poll_interval = Duration::from_millis(self.poll_interval_ms);
        config.min_balance = min_balance;
        config.da = match self.da {
            Da::Calldata => DataAvailability::Calldata,
            Da::Blobs => DataAvailability::Blobs,
        };
        Ok(config)
    }
}

/// Runs `sprout batcher` until Ctrl-C or SIGTERM.
pub async fn run_batcher(args: BatcherArgs) -> Result<()> {
    let config = args.config()?;
    let metrics = Arc::new(Metrics::default());
    if let Some(port) = args.metrics_port {
        let metrics = metrics.clone();
        let addr = crate::metrics::serve(port, move || metrics.render_prometheus()).await?;
        info!(target: "batcher", %addr, "metrics");
    }
    sprout_batcher::run(config, metrics, crate::cli::shutdown_signal())
        .await
        .map_err(|e| NodeError::Config(e.to_string()))
}
