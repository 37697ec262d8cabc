#![doc = include_str!("../README.md")]

mod anvil;
mod child;
mod error;
mod setup;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use serde::Serialize;
use sprout_contracts::{DisputeAddresses, L1Addresses};
use tracing::{info, warn};

pub use error::{DevnetError, Result};
pub use setup::{
    BATCHER_KEY_INDEX, CHALLENGER_KEY_INDEX, DEV_MNEMONIC, GAME_TYPE, PROPOSER_KEY_INDEX,
    batcher_signer, challenger_signer, dev_signers, proposer_signer,
};

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
    /// The follower's RPC port (0 picks a free one).
    pub follower_port: u16,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// The `sprout` executable the roles run as.
    pub sprout_bin: PathBuf,
    /// The anvil executable; searched for when `None`.
    pub anvil_bin: Option<PathBuf>,
    /// Fault-proof mode: dispute games and a `FaultProofPortal`, a proposer in games mode and
    /// a challenger; `None`: the permissioned L2OutputOracle mode.
    pub fault_proofs: Option<DevnetFaultProofs>,
    /// Unsafe-block gossip from the sequencer to the follower (the follower's head then
    /// tracks the sequencer's); without it the follower learns blocks from L1 only.
    pub gossip: bool,
}

/// What fault-proof mode needs from the caller: the fault-proof program the games commit to.
#[derive(Debug, Clone)]
pub struct DevnetFaultProofs {
    /// The program's RISC-V ELF (the challenger runs it).
    pub program: PathBuf,
    /// Its absolute prestate (`sprout fp prestate`).
    pub prestate: B256,
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
    /// A follower of the L2: every block checked against L1 data (with gossip, executed as
    /// the sequencer gossips it, then confirmed by derivation; without, derived from L1 alone).
    pub follower: Layer,
    /// The batcher's L1 address.
    pub batcher: Address,
    /// The proposer's L1 address (the L2OutputOracle's proposer).
    pub proposer: Address,
    /// L1 contract addresses.
    pub contracts: L1Addresses,
    /// Fault-proof mode's contracts (the DisputeGameFactory, …); absent in oracle mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub games: Option<DisputeAddresses>,
    /// The challenger's L1 address, in fault-proof mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenger: Option<Address>,
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
    batcher: Supervised,
    follower: Supervised,
    proposer: Supervised,
    challenger: Option<Supervised>,
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
        let setup = setup::prepare(&config.datadir, &l1_url, config.fault_proofs.as_ref()).await?;
        anvil::set_block_time(&l1_url, config.l1_block_time).await?;
        let l2_port = if config.l2_port == 0 {
            child::free_port()?
        } else {
            config.l2_port
        };
        let mut args = vec![
            "node".to_string(),
            "--chain".into(),
            setup.rollup_path.display().to_string(),
            "--genesis".into(),
            setup.genesis_path.display().to_string(),
            "--l1.rpc-url".into(),
            l1_url.clone(),
            // anvil serves the beacon API on its RPC port: blob batches derive too, should the
            // batcher be switched to `--da blobs`.
            "--l1.beacon".into(),
            l1_url.clone(),
            "--sequencer".into(),
            "--l1.confirmations".into(),
            "0".into(),
            "--datadir".into(),
            config.datadir.join("l2").display().to_string(),
            "--http.port".into(),
            l2_port.to_string(),
        ];
        let mut follower_gossip = Vec::new();
        if config.gossip {
            let p2p_port = child::free_port()?;
            args.extend([
                "--p2p.listen".into(),
                format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
                "--p2p.signer-key-file".into(),
                setup.signer_key_path.display().to_string(),
            ]);
            follower_gossip = vec![
                "--p2p.listen".to_string(),
                "/ip4/127.0.0.1/tcp/0".into(),
                "--p2p.bootnodes".into(),
                format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
                "--rpc.admin".into(),
            ];
        }
        let sequencer = Supervised::spawn(
            "sequencer",
            &config.sprout_bin,
            &args,
            &config.datadir.join("logs/sequencer.log"),
        )?;
        let l2_url = format!("http://127.0.0.1:{l2_port}");
        setup::wait_for_block(&l2_url, Duration::from_secs(60)).await?;
        let seconds_to_first_l2_block = started.elapsed().as_secs_f64();
        let rollup = vec![
            "--chain".to_string(),
            setup.rollup_path.display().to_string(),
            "--l1.rpc-url".into(),
            l1_url.clone(),
        ];
        let mut args = vec!["batcher".to_string()];
        args.extend(rollup.iter().cloned());
        args.extend([
            "--l2.rpc-url".into(),
            l2_url.clone(),
            "--private-key-file".into(),
            setup.batcher_key_path.display().to_string(),
            // Small channels, posted soon: blocks turn safe within seconds on a devnet.
            "--max-channel-duration".into(),
            "2".into(),
            "--confirmations".into(),
            "1".into(),
        ]);
        let batcher = Supervised::spawn(
            "batcher",
            &config.sprout_bin,
            &args,
            &config.datadir.join("logs/batcher.log"),
        )?;
        let follower_port = if config.follower_port == 0 {
            child::free_port()?
        } else {
            config.follower_port
        };
        let mut args = vec!["node".to_string()];
        args.extend(rollup.iter().cloned());
        args.extend([
            "--genesis".into(),
            setup.genesis_path.display().to_string(),
            "--datadir".into(),
            config.datadir.join("follower").display().to_string(),
            "--http.port".into(),
            follower_port.to_string(),
            "--rollup.sequencer-http".into(),
            l2_url.clone(),
            "--l1.beacon".into(),
            l1_url.clone(),
        ]);
        args.extend(follower_gossip);
        let follower = Supervised::spawn(
            "follower",
            &config.sprout_bin,
            &args,
            &config.datadir.join("logs/follower.log"),
        )?;
        // Proposes the sequencer's safe outputs once the follower agrees on them (oracle mode),
        // or a game per 10 blocks (fault-proof mode).
        let mut args = vec!["proposer".to_string()];
        args.extend(rollup.iter().cloned());
        args.extend([
            "--l2.rpc-url".into(),
            l2_url.clone(),
            "--private-key-file".into(),
            setup.proposer_key_path.display().to_string(),
        ]);
        match &setup.games {
            None => args.extend([
                "--l2.verify-rpc-url".into(),
                format!("http://127.0.0.1:{follower_port}"),
            ]),
            Some(games) => args.extend([
                "--mode".into(),
                "games".into(),
                "--factory".into(),
                games.dispute_game_factory.to_string(),
                "--game-type".into(),
                GAME_TYPE.to_string(),
                "--proposal-interval".into(),
                "10".into(),
            ]),
        }
        let proposer = Supervised::spawn(
            "proposer",
            &config.sprout_bin,
            &args,
            &config.datadir.join("logs/proposer.log"),
        )?;
        // The challenger checks every game against the follower's safe outputs (derived from L1)
        // and reads the follower's database for execution bisection.
        let challenger = match (&setup.games, &config.fault_proofs) {
            (Some(games), Some(proofs)) => {
                let mut args = vec!["challenger".to_string()];
                args.extend(rollup);
                args.extend([
                    "--l2.rpc-url".into(),
                    format!("http://127.0.0.1:{follower_port}"),
                    "--datadir".into(),
                    config.datadir.join("follower").display().to_string(),
                    "--l1.beacon".into(),
                    l1_url.clone(),
                    "--factory".into(),
                    games.dispute_game_factory.to_string(),
                    "--game-type".into(),
                    GAME_TYPE.to_string(),
                    "--program".into(),
                    proofs.program.display().to_string(),
                    "--private-key-file".into(),
                    setup.challenger_key_path.display().to_string(),
                ]);
                Some(Supervised::spawn(
                    "challenger",
                    &config.sprout_bin,
                    &args,
                    &config.datadir.join("logs/challenger.log"),
                )?)
            }
            _ => None,
        };
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
            follower: Layer {
                chain_id: setup.l2_chain_id,
                rpc_url: format!("http://127.0.0.1:{follower_port}"),
                ws_url: format!("ws://127.0.0.1:{follower_port}"),
            },
            batcher: setup::batcher_signer()?.address(),
            proposer: setup::proposer_signer()?.address(),
            contracts: setup.addresses,
            games: setup.games,
            challenger: match setup.games {
                Some(_) => Some(setup::challenger_signer()?.address()),
                None => None,
            },
            accounts: setup.accounts,
            datadir: config.datadir.clone(),
            resumed: setup.resumed,
            seconds_to_first_l2_block,
        };
        Ok(Self {
            anvil,
            sequencer,
            batcher,
            follower,
            proposer,
            challenger,
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
            for child in [
                Some(&mut self.anvil),
                Some(&mut self.sequencer),
                Some(&mut self.batcher),
                Some(&mut self.follower),
                Some(&mut self.proposer),
                self.challenger.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if let Some(status) = child.exited()? {
                    warn!(target: "devnet", role = child.name(), %status, backoff = ?backoff, "child exited; restarting");
                    tokio::time::sleep(backoff).await;
                    child.restart()?;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        info!(target: "devnet", "stopping");
        if let Some(challenger) = &mut self.challenger {
            challenger.stop(Duration::from_secs(10));
        }
        self.proposer.stop(Duration::from_secs(10));
        self.batcher.stop(Duration::from_secs(10));
        self.follower.stop(Duration::from_secs(10));
        self.sequencer.stop(Duration::from_secs(10));
        self.anvil.stop(Duration::from_secs(10));
        Ok(())
    }
}
