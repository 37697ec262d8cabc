#![doc = include_str!("../README.md")]

mod anvil;
mod child;
mod error;
mod setup;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy_primitives::Address;
use serde::Serialize;
use sprout_contracts::L1Addresses;
use tracing::{info, warn};

pub use error::{DevnetError, Result};
pub use setup::{DEV_MNEMONIC, dev_signers};

use crate::child::Supervised;

/// Chain id of the devnet's L1 (anvil's default).
pub const L1_CHAIN_ID: u64 = 31337;

/// How to run the devnet.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Where everything is kept.
    pub datadir: PathBuf,
    /// Start over: delete the datadir first.
    pub fresh: bool,
    /// L1 RPC port (0 picks a free one).
    pub l1_port: u16,
    /// L2 RPC port (0 picks a free one).
    pub l2_port: u16,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// The `sprout` executable the roles run as.
    pub sprout_bin: PathBuf,
    /// The anvil executable; searched for when `None`.
    pub anvil_bin: Option<PathBuf>,
}

/// A funded dev account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAccount {
    /// Address.
    pub address: Address,
    /// Private key (hex).
    pub private_key: String,
}

/// One layer's endpoints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    /// Chain id.
    pub chain_id: u64,
    /// HTTP JSON-RPC.
    pub rpc_url: String,
    /// WebSocket JSON-RPC.
    pub ws_url: String,
}

/// What `sprout up` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevnetInfo {
    /// The L1 (anvil).
    pub l1: Layer,
    /// The L2 (the sequencer).
    pub l2: Layer,
    /// L1 contract addresses.
    pub contracts: L1Addresses,
    /// Accounts funded with 10,000 ETH on both layers.
    pub accounts: Vec<DevAccount>,
    /// The datadir.
    pub datadir: PathBuf,
    /// Whether this run resumed an existing devnet.
    pub resumed: bool,
    /// Seconds from start until the L2 RPC served the first block after genesis.
    pub seconds_to_first_l2_block: f64,
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    anvil: Supervised,
    sequencer: Supervised,
    /// What it serves.
    pub info: DevnetInfo,
}

impl Devnet {
    /// Starts the devnet (or resumes the one in the datadir).
    pub async fn start(config: DevnetConfig) -> Result<Self> {
        let started = Instant::now();
        if config.fresh && config.datadir.exists() {
            std::fs::remove_dir_all(&config.datadir)?;
        }
        std::fs::create_dir_all(config.datadir.join("logs"))?;
        let anvil_bin = match &config.anvil_bin {
            Some(bin) => bin.clone(),
            None => anvil::find()?,
        };
        let l1_port = if config.l1_port == 0 {
            child::free_port()?
        } else {
            config.l1_port
        };
        let anvil = anvil::start(&anvil_bin, &config.datadir, l1_port)?;
        let l1_url = format!("http://127.0.0.1:{l1_port}");
        anvil::wait_ready(&l1_url).await?;
        let setup = setup::prepare(&config.datadir, &l1_url).await?;
        anvil::set_block_time(&l1_url, config.l1_block_time).await?;
        let l2_port = if config.l2_port == 0 {
            child::free_port()?
        } else {
            config.l2_port
        };
        let args = vec![
            "node".to_string(),
            "--chain".into(),
            setup.rollup_path.display().to_string(),
            "--genesis".into(),
            setup.genesis_path.display().to_string(),
            "--l1.rpc-url".into(),
            l1_url.clone(),
            "--sequencer".into(),
            "--l1.confirmations".into(),
            "0".into(),
            "--datadir".into(),
            config.datadir.join("l2").display().to_string(),
            "--http.port".into(),
            l2_port.to_string(),
        ];
        let sequencer = Supervised::spawn(
            "sequencer",
            &config.sprout_bin,
            &args,
            &config.datadir.join("logs/sequencer.log"),
        )?;
        let l2_url = format!("http://127.0.0.1:{l2_port}");
        setup::wait_for_block(&l2_url, Duration::from_secs(60)).await?;
        let seconds_to_first_l2_block = started.elapsed().as_secs_f64();
        info!(target: "devnet", seconds = seconds_to_first_l2_block, "devnet up");
        let info = DevnetInfo {
            l1: Layer {
                chain_id: L1_CHAIN_ID,
                rpc_url: l1_url,
                ws_url: format!("ws://127.0.0.1:{l1_port}"),
            },
            l2: Layer {
                chain_id: setup.l2_chain_id,
                rpc_url: l2_url,
                ws_url: format!("ws://127.0.0.1:{l2_port}"),
            },
            contracts: setup.addresses,
            accounts: setup.accounts,
            datadir: config.datadir.clone(),
            resumed: setup.resumed,
            seconds_to_first_l2_block,
        };
        Ok(Self {
            anvil,
            sequencer,
            info,
        })
    }

    /// Watches the children until `shutdown` resolves, restarting a crashed one with a backoff;
    /// then stops them all.
    pub async fn run_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_secs(1);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            for child in [&mut self.anvil, &mut self.sequencer] {
                if let Some(status) = child.exited()? {
                    warn!(target: "devnet", role = child.name(), %status, backoff = ?backoff, "child exited; restarting");
                    tokio::time::sleep(backoff).await;
                    child.restart()?;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        info!(target: "devnet", "stopping");
        self.sequencer.stop(Duration::from_secs(10));
        self.anvil.stop(Duration::from_secs(10));
        Ok(())
    }
}
