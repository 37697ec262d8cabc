//! Datadir bytes per block under load, with and without `--prune`: the same blocks of ETH
//! transfers (among a fixed set of accounts, so the state itself stops growing) committed to
//! two RocksDB datadirs, one an archive node, one pruning with a background sweep as the node
//! runs it. Sizes are measured after a flush and a full compaction, so both count live data.

use std::{path::Path, sync::Arc};

use anyhow::Result;
use sprout_protocol::ChainConfig;
use sprout_storage::{LatestState, PruneConfig, Pruner, Storage};

use crate::workload::{Senders, eth_blocks};

/// Recipients cycle through this many blocks' worth of addresses.
const RECIPIENT_CYCLE: u64 = 50;

/// One datadir's growth.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneFigure {
    /// `archive` or `--prune N`.
    pub mode: String,
    /// Blocks committed.
    pub blocks: u64,
    /// Transfers per block.
    pub block_txs: usize,
    /// Datadir bytes at the end.
    pub datadir_bytes: u64,
    /// Datadir bytes per block over the whole run.
    pub bytes_per_block: f64,
    /// Datadir growth per block over the run's second half.
    pub late_bytes_per_block: f64,
    /// Trie nodes stored at the end.
    pub trie_nodes: u64,
}

fn dir_bytes(path: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn run_one(
    config: &ChainConfig,
    keep: Option<u64>,
    blocks: u64,
    block_txs: usize,
    senders: usize,
) -> Result<PruneFigure> {
    let mode = keep.map_or("archive".to_string(), |n| format!("--prune {n}"));
    let dir = tempfile::Builder::new()
        .prefix("sprout-bench-prune-")
        .tempdir()?;
    let path = dir.path().join("db");
    let mut storage = Storage::open(&path)?;
    if let Some(keep) = keep {
        storage = storage.with_pruning(PruneConfig::new(keep))?;
    }
    let storage = Arc::new(storage);
    let pruner = Pruner::new(storage.clone(), false);
    let genesis = config.genesis()?;
    storage.init_genesis(config, &genesis)?;
    let mut parent = genesis.header;
    let mut senders = Senders::generate(senders)?;
    let mut half_bytes = 0;
    for b in 0..blocks {
        if b % 1_000 == 0 {
            crate::progress(&format!("datadir growth ({mode}): block {b} of {blocks}"));
        }
        let base = (1 << 44) + (b % RECIPIENT_CYCLE) * block_txs as u64;
        let txs = eth_blocks(&mut senders, 1, block_txs, base)?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        let (executed, _) = crate::executor::build(
            config,
            &parent,
            LatestState(&storage),
            storage.as_ref(),
            &txs,
        )?;
        storage.commit_block(&executed)?;
        if let Some(pruner) = &pruner {
            pruner.on_head(executed.block.header.number);
        }
        parent = executed.block.header;
        if b + 1 == blocks / 2 {
            if keep.is_some() {
                storage.sweep_trie(false)?;
            }
            storage.compact()?;
            half_bytes = dir_bytes(&path)?;
        }
    }
    if keep.is_some() {
        storage.sweep_trie(false)?;
    }
    storage.compact()?;
    let datadir_bytes = dir_bytes(&path)?;
    let late = blocks - blocks / 2;
    Ok(PruneFigure {
        mode,
        blocks,
        block_txs,
        datadir_bytes,
        bytes_per_block: datadir_bytes as f64 / blocks.max(1) as f64,
        late_bytes_per_block: datadir_bytes.saturating_sub(half_bytes) as f64 / late.max(1) as f64,
        trie_nodes: storage.trie_node_count()?,
    })
}

/// The archive run and the `--prune keep` run, same blocks.
pub fn run(
    config: &ChainConfig,
    keep: u64,
    blocks: u64,
    block_txs: usize,
    senders: usize,
) -> Result<Vec<PruneFigure>> {
    Ok(vec![
        run_one(config, None, blocks, block_txs, senders)?,
        run_one(config, Some(keep), blocks, block_txs, senders)?,
    ])
}
