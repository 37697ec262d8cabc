#![doc = include_str!("../README.md")]

mod batches;
mod derive;
mod e2e;
mod executor;
mod fp;
mod gossip;
mod http;
mod prune;
mod report;
mod storage;
mod withdraw;
mod workload;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context as _, Result, anyhow};
use clap::Parser;
use serde_json::json;

use crate::{
    e2e::LoadShape,
    executor::{Way, Workload},
    report::{ExecutorFigure, Report},
    workload::Senders,
};

/// Benchmark figures for Sprout, side by side with anvil.
#[derive(Debug, Parser)]
#[command(name = "sprout-bench", about)]
struct Args {
    /// Distinct senders (generated keys funded in genesis).
    #[arg(long, default_value_t = 2_000)]
    senders: usize,
    /// Transactions per executor block.
    #[arg(long = "executor.block-txs", default_value_t = 10_000)]
    block_txs: usize,
    /// Timed executor blocks per workload and way (the median is reported).
    #[arg(long = "executor.blocks", default_value_t = 5)]
    blocks: usize,
    /// Presigned ETH transfers sent end to end.
    #[arg(long = "e2e.txs", default_value_t = 40_000)]
    e2e_txs: usize,
    /// Transactions per `eth_sendRawTransaction` batch.
    #[arg(long = "e2e.batch", default_value_t = 200)]
    batch: usize,
    /// Concurrent HTTP connections submitting.
    #[arg(long = "e2e.connections", default_value_t = 4)]
    connections: usize,
    /// Most transactions in flight (submitted, not yet in a block); Sprout's pool holds 220,000.
    #[arg(long = "e2e.window", default_value_t = 40_000)]
    window: usize,
    /// Skip the in-process executor figures.
    #[arg(long)]
    skip_executor: bool,
    /// Skip the receipt-lookup figures.
    #[arg(long)]
    skip_storage: bool,
    /// Skip the datadir-growth figures (archive against `--prune`).
    #[arg(long)]
    skip_prune: bool,
    /// Blocks committed in each datadir-growth run.
    #[arg(long = "prune.blocks", default_value_t = 10_000)]
    prune_blocks: u64,
    /// Transfers per block in the datadir-growth runs.
    #[arg(long = "prune.block-txs", default_value_t = 20)]
    prune_block_txs: usize,
    /// The `--prune N` measured.
    #[arg(long = "prune.keep", default_value_t = 128)]
    prune_keep: u64,
    /// Skip the end-to-end figures.
    #[arg(long)]
    skip_e2e: bool,
    /// Skip anvil.
    #[arg(long)]
    skip_anvil: bool,
    /// Skip the derivation catch-up figure.
    #[arg(long)]
    skip_derive: bool,
    /// Skip the withdrawal figure.
    #[arg(long)]
    skip_withdraw: bool,
    /// Skip the follower-lag figures (gossip against L1 only).
    #[arg(long)]
    skip_gossip: bool,
    /// Seconds measured in each follower-lag mode.
    #[arg(long = "gossip.seconds", default_value_t = 30)]
    gossip_seconds: u64,
    /// Transfers per second during the follower-lag runs.
    #[arg(long = "gossip.tx-per-s", default_value_t = 200)]
    gossip_tx_per_s: usize,
    /// Skip the fault-proof figures (the program in the VM on devnet blocks).
    #[arg(long)]
    skip_fp: bool,
    /// Transfers in each block the fault-proof program proves.
    #[arg(long = "fp.sizes", value_delimiter = ',', default_values_t = [0u64, 100, 1000])]
    fp_sizes: Vec<u64>,
    /// Seconds of load before a new follower syncs the history.
    #[arg(long = "derive.seconds", default_value_t = 120)]
    derive_seconds: u64,
    /// Transfers per second during that load.
    #[arg(long = "derive.tx-per-s", default_value_t = 500)]
    derive_tx_per_s: usize,
    /// The `sprout` binary (default: next to this one, built first when run by cargo).
    #[arg(long)]
    sprout: Option<PathBuf>,
    /// The anvil binary (default: the pinned one under node_modules).
    #[arg(long)]
    anvil: Option<PathBuf>,
    /// Print the figures as one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            if args.json {
                println!("{}", report.to_json());
            } else {
                report.print_tables();
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn progress(msg: &str) {
    eprintln!("sprout-bench: {msg}");
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run(args: &Args) -> Result<Report> {
    let mut report = Report::new(report::Machine::detect());
    let mut senders = Senders::generate(args.senders)?;
    let mut deployer = Senders::deployer()?;
    let mut funded = senders.addresses();
    funded.extend(deployer.addresses());
    let config = workload::chain_config(&funded);
    report.settings = json!({
        "senders": args.senders,
        "executorBlockTxs": args.block_txs,
        "executorBlocks": args.blocks,
        "e2eTxs": args.e2e_txs,
        "e2eBatch": args.batch,
        "e2eConnections": args.connections,
        "e2eWindow": args.window,
        "pollMs": e2e::POLL.as_millis() as u64,
        "pruneBlocks": args.prune_blocks,
        "pruneBlockTxs": args.prune_block_txs,
        "pruneKeep": args.prune_keep,
    });
    if !args.skip_executor {
        progress("signing executor workloads");
        let eth = Workload {
            name: "ETH transfer",
            setup: Vec::new(),
            blocks: workload::eth_blocks(&mut senders, args.blocks, args.block_txs, 0)?,
        };
        // Every way starts from genesis: the token workload signs from nonce 0 again.
        senders.nonces.fill(0);
        let (setup, token) = workload::token_setup(&mut deployer, &senders.addresses())?;
        let erc20 = Workload {
            name: "ERC-20 transfer",
            setup: vec![setup],
            blocks: workload::token_blocks(&mut senders, token, args.blocks, args.block_txs)?,
        };
        progress("decoding and recovering the senders of one block");
        let raws: Vec<_> = eth.blocks[0].iter().map(|t| t.raw.clone()).collect();
        let start = std::time::Instant::now();
        for raw in &raws {
            sprout_protocol::RecoveredTx::decode(raw)?;
        }
        report.recover_us = start.elapsed().as_secs_f64() * 1e6 / raws.len().max(1) as f64;
        progress("batch compression (L1 bytes per transaction)");
        for workload in [&eth, &erc20] {
            let txs: Vec<_> = workload.blocks.iter().flatten().cloned().collect();
            for block_txs in [100, 1_000] {
                report
                    .batches
                    .push(batches::measure(workload.name, &txs, block_txs)?);
            }
        }
        for workload in [&eth, &erc20] {
            for way in Way::ALL {
                progress(&format!("executor: {} / {}", workload.name, way.label()));
                let timings = executor::run(&config, workload, way)
                    .with_context(|| format!("{} / {}", workload.name, way.label()))?;
                report
                    .executor
                    .push(ExecutorFigure::from_timings(workload.name, way, &timings));
            }
        }
    }
    if !args.skip_storage {
        // Its own nonce space, from genesis.
        let mut storage_senders = Senders::generate(args.senders)?;
        report.storage = storage::run(&config, &mut storage_senders)?;
    }
    if !args.skip_prune {
        report.prune = prune::run(
            &config,
            args.prune_keep,
            args.prune_blocks,
            args.prune_block_txs,
            args.senders,
        )?;
    }
    if !args.skip_e2e {
        // A fresh nonce space: the node and anvil start from genesis, so sign from nonce 0.
        let mut e2e_senders = Senders::generate(args.senders)?;
        progress(&format!("signing {} end-to-end transfers", args.e2e_txs));
        let txs = workload::eth_blocks(&mut e2e_senders, 1, args.e2e_txs, 1 << 50)?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        let lanes = e2e::split(&txs, args.connections, args.batch);
        let shape = LoadShape {
            window: args.window,
            drain_timeout: Duration::from_secs(120),
        };
        let sprout = sprout_binary(args)?;
        let tmp = tempfile::Builder::new().prefix("sprout-bench-").tempdir()?;
        let chain_file = tmp.path().join("bench.json");
        std::fs::write(&chain_file, serde_json::to_vec_pretty(&config)?)?;
        progress(&format!("end to end: Sprout ({})", sprout.display()));
        let result = {
            let node = e2e::start_sprout(&sprout, &chain_file, tmp.path())?;
            e2e::run_load(&node, &lanes, shape)?
        };
        report.e2e.push(("Sprout".to_string(), result));
        if !args.skip_anvil {
            let anvil = match &args.anvil {
                Some(path) => Some(path.clone()),
                None => e2e::find_anvil(&workspace_root()),
            };
            match anvil {
                Some(anvil) => {
                    progress(&format!("end to end: anvil ({})", anvil.display()));
                    let node = e2e::start_anvil(&anvil, workload::CHAIN_ID, &funded)?;
                    let result = e2e::run_load(&node, &lanes, shape)?;
                    drop(node);
                    report.e2e.push(("anvil".to_string(), result));
                }
                None => progress("anvil not found (run `npm ci`); skipping it"),
            }
        }
    }
    if !args.skip_derive {
        let sprout = sprout_binary(args)?;
        progress(&format!(
            "derivation catch-up: {} s of {} transfers/s on a devnet",
            args.derive_seconds, args.derive_tx_per_s
        ));
        report.derive = Some(derive::run(
            &sprout,
            args.derive_seconds,
            args.derive_tx_per_s,
        )?);
    }
    if !args.skip_gossip {
        let sprout = sprout_binary(args)?;
        progress(&format!(
            "follower lag: {} s of {} transfers/s on devnets with and without gossip",
            args.gossip_seconds, args.gossip_tx_per_s
        ));
        report.gossip = Some(gossip::run(
            &sprout,
            args.gossip_seconds,
            args.gossip_tx_per_s,
        )?);
    }
    if !args.skip_withdraw {
        let sprout = sprout_binary(args)?;
        progress("withdrawal: sprout bridge withdraw, prove and finalize on a devnet");
        report.withdraw = Some(withdraw::run(&sprout)?);
    }
    if !args.skip_fp {
        let sprout = sprout_binary(args)?;
        progress("fault proof: sprout fp prove on devnet blocks, in the VM and natively");
        report.fp = fp::run(&sprout, &args.fp_sizes)?;
    }
    Ok(report)
}

/// The `sprout` binary: `--sprout`, else the one next to this executable, which is rebuilt
/// first when running under cargo (`make bench` only builds `sprout-bench`).
fn sprout_binary(args: &Args) -> Result<PathBuf> {
    if let Some(path) = &args.sprout {
        return Ok(path.clone());
    }
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("cannot locate the sprout binary; pass --sprout"))?;
    let release = dir.file_name().is_some_and(|n| n == "release");
    if let Ok(cargo) = std::env::var("CARGO") {
        progress("building the sprout binary");
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "-q", "-p", "sprout-node", "--bin", "sprout"]);
        if release {
            build.arg("--release");
        }
        let status = build.status()?;
        if !status.success() {
            return Err(anyhow!("building sprout failed"));
        }
    }
    let path = dir.join("sprout");
    if !path.exists() {
        return Err(anyhow!(
            "{} is missing: run `cargo build --release -p sprout-node --bin sprout` or pass --sprout",
            path.display()
        ));
    }
    Ok(path)
}
