//! `sprout challenger`: plays every game of a factory honestly (the `sprout-challenger`
//! crate's loop, with this node's database for execution bisection), or lists the games as L1
//! has them.

use std::{path::PathBuf, sync::Arc, time::Duration};

use alloy::{primitives::Address, providers::ProviderBuilder};
use alloy_primitives::utils::parse_ether;
use clap::{Args, Subcommand};
use sprout_challenger::{ChallengerConfig, Metrics, RecordingSource};
use sprout_fp_host::Recording;
use sprout_fp_program::BootInfo;
use sprout_protocol::rollup::RollupConfig;
use tracing::info;

use crate::{
    NodeError, Result,
    role_args::{load_rollup, load_signer},
};

/// `sprout challenger` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ChallengerCommand {
    /// List the newest games of a DisputeGameFactory: root, block, status, claims, times.
    ListGames(ListGamesArgs),
    /// List the bonds an address can claim from a factory's games, with when each unlocks.
    ListCredits(ListCreditsArgs),
}

/// `sprout challenger list-credits` arguments.
#[derive(Debug, Clone, Args)]
pub struct ListCreditsArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc-url")]
    pub l1_rpc_url: String,
    /// The DisputeGameFactory's address.
    #[arg(long)]
    pub factory: Address,
    /// Whose credits (a challenger's or proposer's L1 address).
    #[arg(long)]
    pub address: Address,
    /// How many of the newest games to look at.
    #[arg(long, default_value_t = 1000)]
    pub limit: u64,
    /// Print a JSON array (credits in wei as decimal strings).
    #[arg(long)]
    pub json: bool,
}

/// `sprout challenger` arguments: with no command, it runs.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ChallengerArgs {
    /// What to do instead of running.
    #[command(subcommand)]
    pub command: Option<ChallengerCommand>,
    /// The challenger's settings.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `sprout challenger` (run) arguments.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The rollup config (`rollup.json`) of the chain the games are about.
    #[arg(long, env = "SPROUT_CHAIN", required = true)]
    pub chain: Option<PathBuf>,
    /// L1 JSON-RPC endpoint (HTTP).
    #[arg(long = "l1.rpc-url", env = "SPROUT_L1_RPC_URL", required = true)]
    pub l1_rpc_url: Option<String>,
    /// Our node (HTTP): its safe output roots are the honest ones.
    #[arg(long = "l2.rpc-url", env = "SPROUT_L2_RPC_URL", required = true)]
    pub l2_rpc_url: Option<String>,
    /// That node's datadir, read (read-only, while it runs) for execution bisection.
    #[arg(long)]
    pub datadir: Option<PathBuf>,
    /// A beacon-API endpoint, for execution bisection over blocks derived from blob batches.
    #[arg(long = "l1.beacon", env = "SPROUT_L1_BEACON")]
    pub l1_beacon: Option<String>,
    /// The DisputeGameFactory's address.
    #[arg(long, required = true)]
    pub factory: Option<Address>,
    /// The game type to play.
    #[arg(long = "game-type", default_value_t = 0x5350)]
    pub game_type: u32,
    /// The fault-proof program's RISC-V ELF (default: the one `make fp-program` builds).
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// The challenger's private key (hex). Prefer `--private-key-file` or the environment.
    #[arg(
        long = "private-key",
        env = "SPROUT_CHALLENGER_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// A file holding the challenger's private key (hex).
    #[arg(long = "private-key-file", conflicts_with = "private_key")]
    pub private_key_file: Option<PathBuf>,
    /// At most this many games in progress are played per round, oldest first.
    #[arg(long = "max-games", default_value_t = 16)]
    pub max_games: usize,
    /// Leave credits unclaimed.
    #[arg(long = "no-claim-credits")]
    pub no_claim_credits: bool,
    /// L1 blocks (the including one counts) before a transaction counts as done.
    #[arg(long, default_value_t = 1)]
    pub confirmations: u64,
    /// Seconds before an unmined transaction is resent with higher fees.
    #[arg(long = "resubmit-timeout", default_value_t = 30)]
    pub resubmit_timeout: u64,
    /// Milliseconds between rounds.
    #[arg(long = "poll-interval-ms", default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// Below this balance (ETH) the challenger stops sending until funded.
    #[arg(long = "min-balance", default_value = "0.05")]
    pub min_balance: String,
    /// Serve Prometheus metrics on this port (127.0.0.1); off when not given.
    #[arg(long = "metrics.port")]
    pub metrics_port: Option<u16>,
    /// Log JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Execution bisection's preimages: a native run of the program against the node's database
/// and L1, once per subgame.
#[derive(Clone, Debug)]
struct NodeRecordings {
    rollup: RollupConfig,
    datadir: Option<PathBuf>,
    l1_url: String,
    beacon: Option<String>,
}

impl RecordingSource for NodeRecordings {
    fn record(
        &mut self,
        boot: &BootInfo,
        agreed_block: u64,
    ) -> std::result::Result<Recording, String> {
        let Some(datadir) = &self.datadir else {
            return Err(
                "execution bisection reads the node's database: pass --datadir with the node's datadir"
                    .into(),
            );
        };
        // Its own thread: the host blocks on its own runtime for L1 reads.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    crate::fp_cli::record_boot(
                        &self.rollup,
                        datadir,
                        &self.l1_url,
                        self.beacon.as_deref(),
                        *boot,
                        agreed_block,
                    )
                })
                .join()
                .map_err(|_| "the recording thread panicked".to_string())?
                .map_err(|e| e.to_string())
        })
    }
}

fn required<T: Clone>(value: &Option<T>, flag: &str) -> Result<T> {
    value
        .clone()
        .ok_or_else(|| NodeError::Config(format!("{flag} is needed")))
}

/// Runs `sprout challenger` until Ctrl-C or SIGTERM.
pub async fn run_challenger(args: RunArgs) -> Result<()> {
    let chain = required(&args.chain, "--chain")?;
    let rollup = load_rollup(&chain)?;
    let l1_rpc_url = required(&args.l1_rpc_url, "--l1.rpc-url")?;
    let elf = crate::fp_cli::program_elf(args.program.as_deref())?;
    let (prestate, _) = crate::fp_cli::elf_prestate(&elf)?;
    let config = ChallengerConfig {
        l1_rpc_url: l1_rpc_url.clone(),
        l2_rpc_url: required(&args.l2_rpc_url, "--l2.rpc-url")?,
        factory: required(&args.factory, "--factory")?,
        game_type: args.game_type,
        signer: load_signer(
            args.private_key.as_deref(),
            args.private_key_file.as_ref(),
            "challenger",
            "SPROUT_CHALLENGER_KEY",
        )?,
        elf,
        prestate,
        max_games: args.max_games.max(1),
        claim_credits: !args.no_claim_credits,
        confirmations: args.confirmations.max(1),
        resubmit_timeout: Duration::from_secs(args.resubmit_timeout),
        poll_interval: Duration::from_millis(args.poll_interval_ms),
        min_balance: parse_ether(&args.min_balance)
            .map_err(|e| NodeError::Config(format!("--min-balance {:?}: {e}", args.min_balance)))?,
    };
    let recordings = NodeRecordings {
        rollup,
        datadir: args.datadir.clone(),
        l1_url: l1_rpc_url,
        beacon: args.l1_beacon.clone(),
    };
    let metrics = Arc::new(Metrics::default());
    if let Some(port) = args.metrics_port {
        let metrics = metrics.clone();
        let addr = crate::metrics::serve(port, move || metrics.render_prometheus()).await?;
        info!(target: "challenger", %addr, "metrics");
    }
    sprout_challenger::run(config, recordings, metrics, crate::cli::shutdown_signal())
        .await
        .map_err(|e| NodeError::Config(e.to_string()))
}

/// `sprout challenger list-games` arguments.
#[derive(Debug, Clone, Args)]
pub struct ListGamesArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc-url")]
    pub l1_rpc_url: String,
    /// The DisputeGameFactory's address.
    #[arg(long)]
    pub factory: Address,
    /// How many of the newest games to show.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sprout challenger`: a listing, or the challenger itself until Ctrl-C or SIGTERM.
pub fn run(args: ChallengerArgs) -> Result<bool> {
    match args.command {
        Some(ChallengerCommand::ListGames(args)) => list_games(args),
        Some(ChallengerCommand::ListCredits(args)) => list_credits(args),
        None => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_challenger(args.run)).map(|()| true)
        }
    }
}

/// Runs `read` against the L1 at `url` on a runtime of its own.
fn read_l1<T, F: std::future::Future<Output = sprout_challenger::Result<T>>>(
    url: &str,
    read: impl FnOnce(alloy::providers::DynProvider) -> F,
) -> Result<T> {
    use alloy::providers::Provider as _;
    let parsed = url
        .parse()
        .map_err(|e| NodeError::Config(format!("--l1.rpc-url {url}: {e}")))?;
    let provider = ProviderBuilder::new().connect_http(parsed).erased();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(read(provider))
        .map_err(|e| NodeError::Config(e.to_string()))
}

fn list_games(args: ListGamesArgs) -> Result<bool> {
    let games = read_l1(&args.l1_rpc_url, |provider| async move {
        sprout_challenger::list_games(&provider, args.factory, args.limit).await
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&games)?);
        return Ok(true);
    }
    if games.is_empty() {
        println!("no games in factory {}", args.factory);
        return Ok(true);
    }
    println!(
        "{:>5}  {:<42}  {:>8}  {:<15}  {:>6}  {:<66}",
        "index", "game", "l2 block", "status", "claims", "root claim"
    );
    for g in games {
        println!(
            "{:>5}  {:<42}  {:>8}  {:<15}  {:>6}  {}",
            g.index, g.address, g.l2_block, g.status, g.claims, g.root_claim
        );
    }
    Ok(true)
}

fn list_credits(args: ListCreditsArgs) -> Result<bool> {
    let credits = read_l1(&args.l1_rpc_url, |provider| async move {
        sprout_challenger::list_credits(&provider, args.factory, args.address, args.limit).await
    })?;
    if args.json {
        let rows: Vec<serde_json::Value> = credits
            .iter()
            .map(|c| {
                serde_json::json!({
                    "index": c.index,
                    "address": c.address,
                    "status": c.status,
                    "credit": c.credit.to_string(),
                    "mode": c.mode,
                    "unlocksAt": c.unlocks_at,
                    "claimable": c.claimable,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(true);
    }
    if credits.is_empty() {
        println!("{} has no credit in factory {}", args.address, args.factory);
        return Ok(true);
    }
    println!(
        "{:>5}  {:<42}  {:<15}  {:>24}  {:<9}  {:>11}  claimable",
        "index", "game", "status", "credit (wei)", "mode", "unlocks at"
    );
    for c in credits {
        let unlocks = c.unlocks_at.map_or("-".to_string(), |t| t.to_string());
        println!(
            "{:>5}  {:<42}  {:<15}  {:>24}  {:<9}  {:>11}  {}",
            c.index, c.address, c.status, c.credit, c.mode, unlocks, c.claimable
        );
    }
    Ok(true)
}
