//! `sprout challenger`: the dispute games of a factory, as L1 has them.

use alloy::{primitives::Address, providers::ProviderBuilder};
use clap::{Args, Subcommand};

use crate::{NodeError, Result};

/// `sprout challenger` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ChallengerCommand {
    /// List the newest games of a DisputeGameFactory: root, block, status, claims, times.
    ListGames(ListGamesArgs),
}

/// `sprout challenger` arguments.
#[derive(Debug, Clone, Args)]
pub struct ChallengerArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ChallengerCommand,
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

/// Runs `sprout challenger`.
pub fn run(args: ChallengerArgs) -> Result<bool> {
    match args.command {
        ChallengerCommand::ListGames(args) => list_games(args),
    }
}

fn list_games(args: ListGamesArgs) -> Result<bool> {
    let url = args
        .l1_rpc_url
        .parse()
        .map_err(|e| NodeError::Config(format!("--l1.rpc-url {}: {e}", args.l1_rpc_url)))?;
    let provider = ProviderBuilder::new().connect_http(url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let games = runtime
        .block_on(sprout_challenger::list_games(
            &provider,
            args.factory,
            args.limit,
        ))
        .map_err(|e| NodeError::Config(e.to_string()))?;
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
