//! The `sprout` command line: argument structs and the code each command runs.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use sprout_protocol::ChainConfig;
use sprout_storage::PruneConfig;
use tracing::info;

use sprout_protocol::rollup::RollupConfig;

use crate::{
    Chain, NodeError, Result, Storage, dev, l1::L1Client, l1_prefetch::PrefetchConfig,
    rollup::RollupMode,
};

/// Sprout: an optimistic rollup that agents launch by themselves.
#[derive(Debug, Parser)]
#[command(name = "sprout", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Sprout's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a node: a dev chain (`--dev`) or the chain of a config file (`--chain`).
    Node(NodeArgs),
    /// Run a local devnet: anvil L1, Sprout's L1 contracts, genesis, the sequencer, the
    /// batcher, the proposer and a follower.
    Up(UpArgs),
    /// Run the batcher: post the sequencer's blocks to L1.
    Batcher(crate::batcher_cli::BatcherArgs),
    /// Run the proposer: post output roots of derived L2 blocks to the L2OutputOracle.
    Proposer(crate::proposer_cli::ProposerArgs),
    /// Run a program in the fault-proof VM, or print the witness of one step.
    Vm(crate::vm_cli::VmArgs),
    /// Fault proofs: run the fault-proof program on an L2 block (`sprout fp prove`).
    Fp(crate::fp_cli::FpArgs),
    /// Dispute games: `sprout challenger list-games` shows a factory's games and their state.
    Challenger(crate::challenger_cli::ChallengerArgs),
    /// Move ETH between L1 and L2: deposit, withdraw, and a withdrawal's status, prove and finalize.
    Bridge(crate::bridge_cli::BridgeArgs),
    /// Run Ethereum BlockchainTests (JSON files or folders) through Sprout's executor.
    Blocktest(crate::blocktest::BlocktestArgs),
    /// Inspect a node's database: `sprout db check` verifies it after a crash.
    Db(crate::db_cli::DbArgs),
}

/// `sprout up` arguments.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Where the devnet is kept; a second `sprout up` on it resumes.
    #[arg(long, env = "SPROUT_DATADIR", default_value = ".sprout/devnet")]
    pub datadir: PathBuf,
    /// Delete the datadir first and start a new devnet.
    #[arg(long)]
    pub fresh: bool,
    /// L1 (anvil) RPC port; 0 picks a free one.
    #[arg(long = "l1.port", default_value_t = 8546)]
    pub l1_port: u16,
    /// L2 RPC port (the sequencer); 0 picks a free one.
    #[arg(long = "l2.port", default_value_t = 8545)]
    pub l2_port: u16,
    /// The follower's RPC port; 0 picks a free one.
    #[arg(long = "follower.port", default_value_t = 8547)]
    pub follower_port: u16,
    /// Seconds between L1 blocks.
    #[arg(long = "l1.block-time", default_value_t = 2)]
    pub l1_block_time: u64,
    /// The anvil executable (default: the pinned npm package, found from here upwards).
    #[arg(long = "l1.anvil-bin")]
    pub anvil_bin: Option<PathBuf>,
    /// Print one JSON document (endpoints, chain ids, contracts, keys) on stdout.
    #[arg(long)]
    pub json: bool,
    /// `oracle`: the permissioned L2OutputOracle and Portal; `games`: permissionless dispute
    /// games, a FaultProofPortal, a proposer in games mode and a challenger.
    #[arg(long, value_enum, default_value_t = UpProofs::Oracle)]
    pub proofs: UpProofs,
    /// The fault-proof program's RISC-V ELF, with `--proofs games` (default: the one `make
    /// fp-program` builds).
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// No unsafe-block gossip: the follower learns blocks from L1 only.
    #[arg(long = "no-gossip")]
    pub no_gossip: bool,
}

/// How the devnet's withdrawals are proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpProofs {
    /// Output roots from one proposer in the L2OutputOracle.
    Oracle,
    /// Dispute games anyone can create and challenge.
    Games,
}

/// Runs `sprout up` until Ctrl-C or SIGTERM.
pub async fn run_up(args: UpArgs) -> Result<()> {
    let config = sprout_devnet::DevnetConfig {
        datadir: args.datadir.clone(),
        fresh: args.fresh,
        l1_port: args.l1_port,
        l2_port: args.l2_port,
        follower_port: args.follower_port,
        l1_block_time: args.l1_block_time,
        sprout_bin: std::env::current_exe()?,
        anvil_bin: args.anvil_bin.clone(),
        gossip: !args.no_gossip,
        fault_proofs: match args.proofs {
            UpProofs::Oracle => None,
            UpProofs::Games => {
                // Checked before anything starts: the games commit to this program.
                let program = crate::fp_cli::program_elf(args.program.as_deref())?;
                let (prestate, _) = crate::fp_cli::elf_prestate(&program)?;
                Some(sprout_devnet::DevnetFaultProofs { program, prestate })
            }
        },
    };
    let devnet = sprout_devnet::Devnet::start(config)
        .await
        .map_err(|e| NodeError::Config(e.to_string()))?;
    let info = &devnet.info;
    if args.json {
        println!("{}", serde_json::to_string(info)?);
    } else {
        println!(
            "Sprout devnet {}",
            if info.resumed { "resumed" } else { "running" }
        );
        println!(
            "  L1  chain {:<6} {} (anvil)",
            info.l1.chain_id, info.l1.rpc_url
        );
        println!(
            "  L2  chain {:<6} {} (ws {})",
            info.l2.chain_id, info.l2.rpc_url, info.l2.ws_url
        );
        println!(
            "  L2  follower    {} (derives every block from L1)",
            info.follower.rpc_url
        );
        println!("  batcher         {}", info.batcher);
        println!("  proposer        {}", info.proposer);
        println!("  Portal          {}", info.contracts.portal);
        println!("  L2OutputOracle  {}", info.contracts.l2_output_oracle);
        println!("  SystemConfig    {}", info.contracts.system_config);
        println!("  batch inbox     {}", info.contracts.batch_inbox);
        println!(
            "  datadir         {} (logs in logs/)",
            info.datadir.display()
        );
        println!(
            "  first L2 block after {:.1} s",
            info.seconds_to_first_l2_block
        );
        println!("  accounts (10,000 ETH on L1 and L2):");
        for (i, a) in info.accounts.iter().enumerate() {
            println!("    ({i}) {} key {}", a.address, a.private_key);
        }
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    devnet
        .run_until(shutdown_signal())
        .await
        .map_err(|e| NodeError::Config(e.to_string()))
}

/// `sprout node` arguments.
#[derive(Debug, Clone, Args)]
pub struct NodeArgs {
    /// Run a dev chain: the ten well-known dev accounts, prefunded with 10,000 ETH each.
    #[arg(long, conflicts_with = "chain")]
    pub dev: bool,
    /// The chain to run: a rollup config (`rollup.json`, anchored to L1 through
    /// `--l1.rpc-url`; the L2 genesis is `--genesis`, else `genesis.json` beside it), or a
    /// chain config (a genesis file) for a chain without L1.
    #[arg(long, env = "SPROUT_CHAIN")]
    pub chain: Option<PathBuf>,
    /// The L2 genesis (chain config) of the rollup given by `--chain rollup.json`.
    #[arg(long, env = "SPROUT_GENESIS")]
    pub genesis: Option<PathBuf>,
    /// Rollup config JSON, when `--chain` names the genesis file instead.
    #[arg(long, env = "SPROUT_ROLLUP", requires = "l1_rpc_url")]
    pub rollup: Option<PathBuf>,
    /// L1 JSON-RPC endpoint (HTTP).
    #[arg(long = "l1.rpc-url", env = "SPROUT_L1_RPC_URL")]
    pub l1_rpc_url: Option<String>,
    /// L1 beacon-API endpoint (HTTP), where derivation reads the batcher's blobs. Needed once
    /// the batcher posts blobs (`sprout batcher --da blobs`); for anvil, its RPC URL.
    #[arg(long = "l1.beacon", env = "SPROUT_L1_BEACON", requires = "l1_rpc_url")]
    pub l1_beacon: Option<String>,
    /// Most L1 blocks one `eth_getLogs` to L1 may cover (what the L1 provider allows);
    /// longer ranges are read in chunks.
    #[arg(long = "l1.max-logs-range", env = "SPROUT_L1_MAX_LOGS_RANGE",
        default_value_t = crate::l1::DEFAULT_MAX_LOGS_RANGE)]
    pub l1_max_logs_range: u64,
    /// L1 blocks derivation reads (and verifies) ahead of itself; 0 reads each when needed.
    #[arg(long = "l1.prefetch", default_value_t = PrefetchConfig::default().depth)]
    pub l1_prefetch: u64,
    /// Verified L1 blocks derivation keeps in memory (and 16 times as many headers).
    #[arg(long = "l1.cache-blocks", default_value_t = PrefetchConfig::default().cache_blocks)]
    pub l1_cache_blocks: std::num::NonZeroUsize,
    /// Build blocks (the rollup's sequencer). Without it, a rollup node follows: it derives
    /// every block from L1 data and builds none.
    #[arg(long)]
    pub sequencer: bool,
    /// A follower's sequencer RPC: where `eth_sendRawTransaction` is forwarded.
    #[arg(long = "rollup.sequencer-http", env = "SPROUT_SEQUENCER_HTTP")]
    pub sequencer_http: Option<String>,
    /// L1 blocks an origin must be buried under before the sequencer uses it.
    #[arg(long = "l1.confirmations", default_value_t = 4)]
    pub l1_confirmations: u64,
    /// Where the chain is kept. With `--dev` and no datadir, a temporary one is used.
    #[arg(long, env = "SPROUT_DATADIR")]
    pub datadir: Option<PathBuf>,
    /// Keep the state (trie) of the last N blocks only, not every block's: the datadir stays
    /// bounded. State reads and `eth_getProof` at older blocks are refused. A rollup node also
    /// keeps every block from the finalized head on (an L1 reorg can roll back to it). At
    /// least 2. Without it the node is an archive node.
    #[arg(long, env = "SPROUT_PRUNE", value_name = "N")]
    pub prune: Option<u64>,
    /// Blocks between two pruning sweeps (default: N / 2, at least 16). Each sweep walks the
    /// whole live state, so small values cost CPU; unreachable nodes wait at most this long.
    #[arg(long = "prune.interval", value_name = "BLOCKS", requires = "prune")]
    pub prune_interval: Option<u64>,
    /// Chain id of the dev chain.
    #[arg(long = "dev.chain-id", default_value_t = dev::DEV_CHAIN_ID)]
    pub chain_id: u64,
    /// Seconds between blocks (dev chain).
    #[arg(long = "block-time", default_value_t = 1)]
    pub block_time: u64,
    /// Block gas limit (dev chain).
    #[arg(long = "gas-limit", default_value_t = 1_000_000_000)]
    pub gas_limit: u64,
    /// JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long = "http.addr", default_value = "127.0.0.1")]
    pub http_addr: std::net::IpAddr,
    /// JSON-RPC port; 0 picks a free one.
    #[arg(long = "http.port", default_value_t = 8545)]
    pub http_port: u16,
    /// Most blocks one `eth_getLogs` call may scan.
    #[arg(long = "rpc.max-logs-range", default_value_t = 10_000)]
    pub max_logs_range: u64,
    /// Serve the admin and gossip methods (`admin_peers`, `opp2p_self`, `opp2p_peers`). Only
    /// with an `--http.addr` on loopback.
    #[arg(long = "rpc.admin")]
    pub rpc_admin: bool,
    /// Unsafe-block gossip.
    #[command(flatten)]
    pub p2p: crate::gossip::P2pArgs,
    /// Print the startup summary as one JSON line on stdout.
    #[arg(long)]
    pub json: bool,
}

fn read_json(path: &std::path::Path, what: &str) -> Result<serde_json::Value> {
    let raw = std::fs::read(path)
        .map_err(|e| NodeError::Config(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_slice(&raw)
        .map_err(|e| NodeError::Config(format!("{what} {} is not JSON: {e}", path.display())))
}

fn parse_chain_config(path: &std::path::Path) -> Result<ChainConfig> {
    let config: ChainConfig =
        serde_json::from_value(read_json(path, "chain config")?).map_err(|e| {
            NodeError::Config(format!("chain config {} is invalid: {e}", path.display()))
        })?;
    config.validate()?;
    Ok(config)
}

fn parse_rollup_config(path: &std::path::Path, json: serde_json::Value) -> Result<RollupConfig> {
    RollupConfig::from_json(json).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
}

/// Whether a JSON document is a rollup config (OP's `rollup.json` names) rather than a chain
/// config (camelCase, as geth's genesis).
fn is_rollup_config(json: &serde_json::Value) -> bool {
    json.get("l2_chain_id").is_some() || json.get("l1_chain_id").is_some()
}

impl NodeArgs {
    /// The chain config and, for a rollup, its rollup config.
    fn configs(&self) -> Result<(ChainConfig, Option<RollupConfig>)> {
        if let Some(path) = &self.rollup {
            let chain = self
                .chain
                .as_ref()
                .or(self.genesis.as_ref())
                .ok_or_else(|| {
                    NodeError::Config("--rollup needs the L2 genesis: --chain genesis.json".into())
                })?;
            let rollup = parse_rollup_config(path, read_json(path, "rollup config")?)?;
            return Ok((parse_chain_config(chain)?, Some(rollup)));
        }
        if let Some(path) = &self.chain {
            let json = read_json(path, "chain config")?;
            if !is_rollup_config(&json) {
                return Ok((parse_chain_config(path)?, None));
            }
            let rollup = parse_rollup_config(path, json)?;
            if self.l1_rpc_url.is_none() {
                return Err(NodeError::Config(format!(
                    "{} is a rollup config: say where L1 is with --l1.rpc-url URL",
                    path.display()
                )));
            }
            let genesis = match &self.genesis {
                Some(genesis) => genesis.clone(),
                None => path.with_file_name("genesis.json"),
            };
            if !genesis.exists() {
                return Err(NodeError::Config(format!(
                    "the rollup's L2 genesis {} does not exist: pass --genesis FILE",
                    genesis.display()
                )));
            }
            return Ok((parse_chain_config(&genesis)?, Some(rollup)));
        }
        if self.dev {
            let config = dev::dev_chain_config(self.chain_id, self.block_time, self.gas_limit)?;
            return Ok((config, None));
        }
        Err(NodeError::Config(
            "say which chain to run: --chain rollup.json --l1.rpc-url URL for a rollup, --chain genesis.json for a chain without L1, or --dev".into(),
        ))
    }
}

/// Runs `sprout node` until Ctrl-C or SIGTERM.
pub async fn run_node(args: NodeArgs) -> Result<()> {
    let (config, rollup) = args.configs()?;
    let (_tmp, datadir) = match &args.datadir {
        Some(dir) => (None, dir.clone()),
        None if args.dev => {
            let tmp = tempfile::Builder::new().prefix("sprout-dev-").tempdir()?;
            let path = tmp.path().to_path_buf();
            (Some(tmp), path)
        }
        None => {
            return Err(NodeError::Config(
                "--datadir is required with --chain".into(),
            ));
        }
    };
    std::fs::create_dir_all(&datadir)?;
    let mut storage = Storage::open(&datadir.join("db"))?;
    if let Some(keep) = args.prune {
        let mut prune = PruneConfig::new(keep);
        if let Some(interval) = args.prune_interval {
            prune.interval = interval;
        }
        storage = storage.with_pruning(prune)?;
    }
    let chain = match (rollup, &args.l1_rpc_url) {
        (Some(rollup), Some(url)) => {
            let l1 = L1Client::new(url, tokio::runtime::Handle::current())?
                .with_beacon(args.l1_beacon.as_deref())?
                .with_max_logs_range(args.l1_max_logs_range)?;
            let l1_chain_id = l1.chain_id().await.map_err(|e| {
                NodeError::Config(format!("cannot reach L1 at {url}: {e}; check --l1.rpc-url"))
            })?;
            if l1_chain_id != rollup.l1_chain_id {
                return Err(NodeError::Config(format!(
                    "--l1.rpc-url serves chain {l1_chain_id}, but the rollup config expects L1 chain {}",
                    rollup.l1_chain_id
                )));
            }
            let mut mode = if args.sequencer {
                RollupMode::new(rollup, l1, args.l1_confirmations)
            } else {
                RollupMode::follower(rollup, l1, args.sequencer_http.clone())
            };
            mode.l1_prefetch = PrefetchConfig {
                depth: args.l1_prefetch,
                cache_blocks: args.l1_cache_blocks,
            };
            Chain::open_rollup(storage, config.clone(), mode)?
        }
        _ => Chain::open(storage, config.clone())?,
    };
    let rpc_config = sprout_rpc::RpcConfig {
        addr: SocketAddr::new(args.http_addr, args.http_port),
        max_logs_range: args.max_logs_range,
        ..Default::default()
    };
    if args.rpc_admin && !args.http_addr.is_loopback() {
        return Err(NodeError::Config(format!(
            "--rpc.admin serves peer and node details: only on a loopback --http.addr, not {}",
            args.http_addr
        )));
    }
    let gossip = crate::gossip::start(&args.p2p, &chain, &datadir).await?;
    let extra = match args.rpc_admin {
        true => crate::gossip::admin_rpc(gossip.clone())
            .map_err(|e| NodeError::Config(e.to_string()))?
            .into(),
        false => jsonrpsee::Methods::new(),
    };
    let (addr, handle) = sprout_rpc::start_with(chain.clone(), rpc_config, extra).await?;
    print_summary(&args, &chain, addr, &datadir, gossip.as_ref())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sequencing = chain.rollup().is_none_or(|r| r.sequencing);
    let sequencer = tokio::spawn({
        let chain = chain.clone();
        async move {
            if sequencing {
                chain
                    .run_sequencer(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            }
        }
    });
    let stop_derivation = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let derivation = chain.rollup().map(|_| {
        let chain = chain.clone();
        let stop = stop_derivation.clone();
        tokio::task::spawn_blocking(move || crate::derive::run(chain, stop))
    });
    shutdown_signal().await;
    info!(target: "node", "shutting down");
    let _ = stop_tx.send(());
    stop_derivation.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = sequencer.await;
    if let Some(derivation) = derivation {
        let _ = derivation.await;
    }
    let _ = handle.stop();
    handle.stopped().await;
    Ok(())
}

fn print_summary(
    args: &NodeArgs,
    chain: &Arc<Chain>,
    addr: SocketAddr,
    datadir: &std::path::Path,
    gossip: Option<&crate::gossip::Gossip>,
) -> Result<()> {
    let (head, head_hash) = chain.head();
    let accounts = if args.dev && args.chain.is_none() {
        dev::dev_signers(10)?
            .iter()
            .map(|s| json!({ "address": s.address(), "privateKey": dev::private_key_hex(s) }))
            .collect()
    } else {
        Vec::new()
    };
    let summary = json!({
        "rpcUrl": format!("http://{addr}"),
        "wsUrl": format!("ws://{addr}"),
        "chainId": chain.config().chain_id,
        "blockTime": chain.config().block_time,
        "gasLimit": chain.config().gas_limit,
        "head": { "number": head.number, "hash": head_hash },
        "datadir": datadir,
        "prune": chain.storage().prune_keep(),
        "stateKeptFrom": chain.storage().state_kept_from(),
        "accounts": accounts,
        "p2p": gossip.map(|g| json!({
            "peerId": g.handle.local().peer_id,
            "addresses": g.handle.local().addresses,
        })),
    });
    if args.json {
        println!("{summary}");
    } else {
        println!("Sprout node running");
        println!("  RPC        http://{addr} (WebSocket ws://{addr})");
        println!("  chain id   {}", chain.config().chain_id);
        println!("  head       #{} {}", head.number, head_hash);
        println!("  datadir    {}", datadir.display());
        if let Some(gossip) = gossip {
            for address in &gossip.handle.local().addresses {
                println!("  p2p        {address}");
            }
        }
        match chain.storage().prune_keep() {
            Some(keep) => println!("  state      last {keep} blocks (--prune {keep})"),
            None if chain.storage().state_kept_from() > 0 => println!(
                "  state      blocks {} and later (pruned before)",
                chain.storage().state_kept_from()
            ),
            None => println!("  state      every block (archive)"),
        }
        if let Some(accounts) = summary["accounts"].as_array().filter(|a| !a.is_empty()) {
            println!("  dev accounts (10,000 ETH each):");
            for (i, a) in accounts.iter().enumerate() {
                println!(
                    "    ({i}) {} key {}",
                    a["address"].as_str().unwrap_or_default(),
                    a["privateKey"].as_str().unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
