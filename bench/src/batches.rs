//! L1 bytes per L2 transaction: presigned transfers grouped into L2 blocks, each block a
//! singular batch, the batches compressed into brotli channels and cut into calldata frames
//! exactly as the batcher posts them.

use alloy_primitives::{B256, Bytes};
use anyhow::Result;
use serde::Serialize;
use sprout_protocol::batch::{ChannelId, ChannelOut, FRAME_OVERHEAD, SingularBatch};

use crate::workload::SignedTx;

/// The incompressible part of a transfer: a 65-byte signature, a 20-byte recipient, plus a few
/// bytes of nonce and value (the floor, about 70 bytes).
pub const FLOOR_BYTES_PER_TX: f64 = 70.0;
/// Frame size of the batcher's calldata transactions (OP's default).
pub const MAX_FRAME_SIZE: usize = 120_000;

/// One compression figure.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFigure {
    /// Workload.
    pub workload: String,
    /// Transactions per L2 block.
    pub block_txs: usize,
    /// Transactions measured.
    pub txs: usize,
    /// Their EIP-2718 bytes.
    pub raw_bytes: usize,
    /// Calldata bytes the batcher posts for them (version byte + frames).
    pub l1_bytes: usize,
    /// L1 calldata transactions.
    pub l1_txs: usize,
    /// `l1_bytes / txs`.
    pub bytes_per_tx: f64,
    /// `bytes_per_tx / FLOOR_BYTES_PER_TX`.
    pub over_floor: f64,
}

/// Batches `txs` in blocks of `block_txs`, one channel per `MAX_FRAME_SIZE` of compressed
/// output (the batcher's default policy), and counts the calldata.
pub fn measure(workload: &str, txs: &[SignedTx], block_txs: usize) -> Result<BatchFigure> {
    let mut l1_bytes = 0usize;
    let mut l1_txs = 0usize;
    let mut channel_no = 0u8;
    let mut channel = ChannelOut::new(ChannelId([channel_no; 16]));
    let mut timestamp = 1_000u64;
    let mut flush = |channel: ChannelOut| -> Result<()> {
        for frame in channel.into_frames(MAX_FRAME_SIZE)? {
            l1_bytes += 1 + FRAME_OVERHEAD + frame.data.len();
            l1_txs += 1;
        }
        Ok(())
    };
    for block in txs.chunks(block_txs) {
        timestamp += 1;
        let batch = SingularBatch {
            parent_hash: B256::repeat_byte(timestamp as u8),
            epoch_num: timestamp / 12,
            epoch_hash: B256::repeat_byte((timestamp / 12) as u8),
            timestamp,
            transactions: block.iter().map(|t| t.raw.clone()).collect::<Vec<Bytes>>(),
        };
        channel.add_batch(&batch)?;
        if channel.ready_bytes() >= MAX_FRAME_SIZE {
            channel_no = channel_no.wrapping_add(1);
            let full =
                std::mem::replace(&mut channel, ChannelOut::new(ChannelId([channel_no; 16])));
            flush(full)?;
        }
    }
    flush(channel)?;
    let raw_bytes = txs.iter().map(|t| t.raw.len()).sum();
    let bytes_per_tx = l1_bytes as f64 / txs.len().max(1) as f64;
    Ok(BatchFigure {
        workload: workload.to_string(),
        block_txs,
        txs: txs.len(),
        raw_bytes,
        l1_bytes,
        l1_txs,
        bytes_per_tx,
        over_floor: bytes_per_tx / FLOOR_BYTES_PER_TX,
    })
}
