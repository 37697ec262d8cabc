//! Receipt lookup against block size: blocks of 1k, 10k and 40k ETH transfers committed to
//! RocksDB, then `Storage::included_tx` (what `eth_getTransactionReceipt` reads) for hashes
//! spread over each block, beside what schema 1 paid (decoding the block's JSON receipts).

use std::time::Instant;

use anyhow::{Result, anyhow};
use sprout_protocol::{ChainConfig, Receipt};
use sprout_storage::{
    LatestState, Storage,
    codec::{ReceiptEntry, TxEntry},
};

use crate::workload::{Senders, eth_blocks};

/// Block sizes measured.
pub const BLOCK_TXS: [usize; 3] = [1_000, 10_000, 40_000];

/// Lookups timed per block.
const LOOKUPS: usize = 2_000;

/// Receipt lookup in one block.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageFigure {
    /// Transactions in the block.
    pub block_txs: usize,
    /// Median `included_tx` time, µs.
    pub lookup_p50_us: f64,
    /// 99th percentile, µs.
    pub lookup_p99_us: f64,
    /// Transaction and receipt entries decoded per lookup.
    pub entries_per_lookup: f64,
    /// Schema 1's cost of the same lookup: decoding the block's JSON receipts, µs.
    pub json_decode_us: f64,
    /// Bytes of the block's transaction and receipt entries, per transaction.
    pub binary_bytes_per_tx: f64,
    /// Bytes of the same body and receipts as schema 1's JSON, per transaction.
    pub json_bytes_per_tx: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Commits one block of each size to a fresh database, flushes it to disk files, then times
/// lookups in each block.
pub fn run(config: &ChainConfig, senders: &mut Senders) -> Result<Vec<StorageFigure>> {
    let dir = tempfile::Builder::new()
        .prefix("sprout-bench-storage-")
        .tempdir()?;
    let storage = Storage::open(&dir.path().join("db"))?;
    let genesis = config.genesis()?;
    storage.init_genesis(config, &genesis)?;
    let mut parent = genesis.header;
    let mut blocks = Vec::new();
    let mut recipient = 1u64 << 40;
    for n in BLOCK_TXS {
        crate::progress(&format!("storage: committing a block of {n} transfers"));
        let txs = eth_blocks(senders, 1, n, recipient)?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        recipient += n as u64;
        let (executed, _) =
            crate::executor::build(config, &parent, LatestState(&storage), &storage, &txs)?;
        storage.commit_block(&executed)?;
        blocks.push((
            n,
            executed.hash,
            txs.iter().map(|t| t.recovered.hash).collect::<Vec<_>>(),
        ));
        parent = executed.block.header;
    }
    storage.flush()?;
    let mut figures = Vec::new();
    for (n, hash, tx_hashes) in blocks {
        let step = (tx_hashes.len() / LOOKUPS).max(1);
        let sample: Vec<_> = tx_hashes.iter().step_by(step).take(LOOKUPS).collect();
        let before = storage.entries_decoded();
        let mut times = Vec::with_capacity(sample.len());
        for tx_hash in &sample {
            let start = Instant::now();
            let found = storage.included_tx(tx_hash)?;
            times.push(start.elapsed().as_secs_f64() * 1e6);
            if found.is_none() {
                return Err(anyhow!("transaction {tx_hash} not found"));
            }
        }
        let entries = (storage.entries_decoded() - before) as f64 / sample.len().max(1) as f64;
        times.sort_by(f64::total_cmp);

        let body = storage
            .body(&hash)?
            .ok_or_else(|| anyhow!("block {hash} has no body"))?;
        let receipts = storage
            .receipts(&hash)?
            .ok_or_else(|| anyhow!("block {hash} has no receipts"))?;
        let mut binary = 0usize;
        let mut first_log_index = 0u64;
        for (i, receipt) in receipts.iter().enumerate() {
            let tx = TxEntry {
                raw: body.transactions[i].clone(),
                sender: body.senders[i],
                gas_used: body.gas_used[i],
            };
            binary += tx.encode().len();
            binary += ReceiptEntry {
                receipt: receipt.clone(),
                first_log_index,
            }
            .encode()
            .len();
            first_log_index += receipt.logs.len() as u64;
        }
        let json_receipts = serde_json::to_vec(&receipts)?;
        let json_body = serde_json::to_vec(&body)?;
        let rounds = 5;
        let start = Instant::now();
        for _ in 0..rounds {
            let decoded: Vec<Receipt> = serde_json::from_slice(&json_receipts)?;
            std::hint::black_box(decoded);
        }
        let json_decode_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        figures.push(StorageFigure {
            block_txs: n,
            lookup_p50_us: percentile(&times, 0.5),
            lookup_p99_us: percentile(&times, 0.99),
            entries_per_lookup: entries,
            json_decode_us,
            binary_bytes_per_tx: binary as f64 / n as f64,
            json_bytes_per_tx: (json_receipts.len() + json_body.len()) as f64 / n as f64,
        });
    }
    Ok(figures)
}
