//! The `sprout` binary: parses the command line and hands over to the library.

use clap::Parser;
use sprout_node::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("SPROUT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // `sprout challenger --json` logs one JSON object per line, for agents to read.
    let json_logs =
        matches!(&cli.command, Command::Challenger(a) if a.command.is_none() && a.run.json);
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json_logs {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Command::Node(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(sprout_node::cli::run_node(args)).map(|()| true),
            Err(err) => Err(err.into()),
        },
        Command::Up(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(sprout_node::cli::run_up(args)).map(|()| true),
            Err(err) => Err(err.into()),
        },
        Command::Batcher(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt
                .block_on(sprout_node::batcher_cli::run_batcher(args))
                .map(|()| true),
            Err(err) => Err(err.into()),
        },
        Command::Proposer(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt
                .block_on(sprout_node::proposer_cli::run_proposer(args))
                .map(|()| true),
            Err(err) => Err(err.into()),
        },
        Command::Bridge(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt
                .block_on(sprout_node::bridge_cli::run_bridge(args))
                .map(|()| true),
            Err(err) => Err(err.into()),
        },
        Command::Blocktest(args) => sprout_node::blocktest::run(args),
        Command::Db(args) => sprout_node::db_cli::run(args),
        Command::Vm(args) => sprout_node::vm_cli::run(args),
        Command::Fp(args) => sprout_node::fp_cli::run(args),
        Command::Challenger(args) => sprout_node::challenger_cli::run(args),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
