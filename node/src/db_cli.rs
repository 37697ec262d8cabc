//! `sprout db`: commands on a node's database while the node is stopped.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use sprout_storage::{Storage, StorageError};

use crate::{NodeError, Result};

/// `sprout db` arguments.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

/// What to do with the database.
#[derive(Debug, Clone, Subcommand)]
pub enum DbCommand {
    /// Check a stopped node's database: the canonical chain, transactions, receipts and
    /// lookups, the safe and finalized heads, the flat state against the head's state root,
    /// and the undo records. Exits non-zero when it finds a problem.
    Check(CheckArgs),
}

/// `sprout db check` arguments.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The node's datadir (the one given to `sprout node --datadir`).
    #[arg(long)]
    pub datadir: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sprout db`; returns whether the database is consistent.
pub fn run(args: DbArgs) -> Result<bool> {
    match args.command {
        DbCommand::Check(args) => check(&args),
    }
}

fn check(args: &CheckArgs) -> Result<bool> {
    let path = args.datadir.join("db");
    if !path.join("CURRENT").is_file() {
        return Err(NodeError::Config(format!(
            "no database in {}: give the --datadir the node ran with",
            args.datadir.display()
        )));
    }
    let storage = Storage::open(&path).map_err(|err| match err {
        StorageError::Db(err) if err.to_string().contains("lock") => NodeError::Config(format!(
            "the database in {} is in use: stop the node first ({err})",
            args.datadir.display()
        )),
        err => err.into(),
    })?;
    let report = storage.check()?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| NodeError::Config(e.to_string()))?
        );
    } else {
        match (report.head, report.head_hash) {
            (Some(head), Some(hash)) => println!("head        {head} ({hash})"),
            _ => println!("head        none (an empty database)"),
        }
        println!(
            "safe        {}",
            report.safe.map_or("none".into(), |n| n.to_string())
        );
        println!(
            "finalized   {}",
            report.finalized.map_or("none".into(), |n| n.to_string())
        );
        println!(
            "checked     {} blocks, {} transactions, {} accounts, {} storage slots, {} undo records",
            report.blocks,
            report.transactions,
            report.accounts,
            report.storage_slots,
            report.undo_records
        );
        for problem in &report.problems {
            println!("PROBLEM     {problem}");
        }
        println!(
            "{}",
            if report.is_consistent() {
                "consistent"
            } else {
                "INCONSISTENT"
            }
        );
    }
    Ok(report.is_consistent())
}
