//! Channel policy: which L2 blocks go into which channel, and when a channel is closed and cut
//! into frames.
//!
//! One channel is open at a time. It opens with the first block added and closes when its
//! compressed size approaches the target (`max_frame_size × target_frames_per_channel`, counted
//! in frame data bytes) or when it has been open for `max_channel_duration` L1 blocks, whichever
//! comes first. The duration is counted in L1 blocks because the rollup's `channel_timeout`, the
//! limit it must stay clear of, is.
//!
//! The compressor holds back output, so the compressed size is estimated as the output so far
//! plus the input since the last flush (as if it did not compress at all); when the estimate
//! reaches the target the compressor is flushed and the exact size decides.

use alloy_primitives::{B256, keccak256};
use sprout_protocol::batch::{
    BatchError, ChannelId, ChannelOut, FRAME_OVERHEAD, Frame, SingularBatch,
};

use crate::{Result, raw_block::L2Block};

/// A channel is closed once its exact compressed size reaches this fraction (per mille) of the
/// target, leaving room for the last batch and the end of the compressed stream.
const CLOSE_AT_PER_MILLE: usize = 900;

/// When channels close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelPolicy {
    /// Largest encoded frame.
    pub max_frame_size: usize,
    /// Frames a full channel should fill.
    pub target_frames: usize,
    /// L1 blocks a channel may stay open.
    pub max_duration: u64,
}

impl ChannelPolicy {
    /// Compressed bytes a full channel should hold: the data of `target_frames` frames.
    pub fn target_bytes(&self) -> usize {
        self.max_frame_size
            .saturating_sub(FRAME_OVERHEAD)
            .saturating_mul(self.target_frames)
    }
}

/// A closed channel cut into frames, ready for L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedChannel {
    /// The channel id.
    pub id: ChannelId,
    /// Its frames, in order; the last one is marked last.
    pub frames: Vec<Frame>,
    /// First L2 block in it.
    pub first_block: u64,
    /// Last L2 block in it.
    pub last_block: u64,
    /// Why it was closed.
    pub reason: CloseReason,
}

/// Why a channel was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Its compressed size approached the target.
    Full,
    /// It was open for the maximum duration.
    Duration,
    /// The codec refused another batch (uncompressed size limit).
    InputLimit,
}

struct OpenChannel {
    out: ChannelOut,
    opened_at_l1: u64,
    first_block: u64,
    last_block: u64,
    /// Input bytes when the compressor was last flushed.
    input_at_flush: usize,
}

/// Builds channels from L2 blocks according to a [`ChannelPolicy`].
pub struct ChannelBuilder {
    policy: ChannelPolicy,
    open: Option<OpenChannel>,
    /// Distinguishes channels opened for the same block (after a rewind).
    opened: u64,
}

impl std::fmt::Debug for ChannelBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBuilder")
            .field("policy", &self.policy)
            .field("open", &self.open.as_ref().map(|c| c.out.id()))
            .finish()
    }
}

impl ChannelBuilder {
    /// No channel open yet.
    pub fn new(policy: ChannelPolicy) -> Self {
        Self {
            policy,
            open: None,
            opened: 0,
        }
    }

    /// The open channel's id and block range, if one is open.
    pub fn open_channel(&self) -> Option<(ChannelId, u64, u64)> {
        self.open
            .as_ref()
            .map(|c| (c.out.id(), c.first_block, c.last_block))
    }

    /// Drops the open channel (a rewind).
    pub fn reset(&mut self) {
        self.open = None;
    }

    /// Adds `block`, opening a channel if none is open (`l1_head` marks when). Returns the
    /// channels this closed: the open one if it is now full, or, when the codec refuses the
    /// block, the open one and the block goes into a new channel.
    pub fn add_block(&mut self, block: &L2Block, l1_head: u64) -> Result<Vec<ClosedChannel>> {
        let batch = SingularBatch {
            parent_hash: block.parent_hash,
            epoch_num: block.epoch_num,
            epoch_hash: block.epoch_hash,
            timestamp: block.timestamp,
            transactions: block.transactions.clone(),
        };
        let mut closed = Vec::new();
        let channel = self.open_for(block, l1_head);
        match channel.out.add_batch(&batch) {
            Ok(_) => {}
            Err(BatchError::ChannelFull { .. }) if channel.first_block != block.number => {
                closed.extend(self.close(CloseReason::InputLimit)?);
                let channel = self.open_for(block, l1_head);
                channel.out.add_batch(&batch)?;
            }
            Err(err) => return Err(err.into()),
        }
        if let Some(channel) = self.open.as_mut() {
            channel.last_block = block.number;
        }
        if self.is_full() {
            closed.extend(self.close(CloseReason::Full)?);
        }
        Ok(closed)
    }

    /// Closes the open channel if it has been open for the maximum duration at L1 block
    /// `l1_head`.
    pub fn check_duration(&mut self, l1_head: u64) -> Result<Option<ClosedChannel>> {
        match &self.open {
            Some(channel)
                if l1_head
                    >= channel
                        .opened_at_l1
                        .saturating_add(self.policy.max_duration) =>
            {
                self.close(CloseReason::Duration)
            }
            _ => Ok(None),
        }
    }

    fn open_for(&mut self, block: &L2Block, l1_head: u64) -> &mut OpenChannel {
        let opened = &mut self.opened;
        self.open.get_or_insert_with(|| {
            *opened += 1;
            let mut seed = Vec::with_capacity(32 + 8 * 3 + 16);
            seed.extend_from_slice(block.hash.as_slice());
            seed.extend_from_slice(&block.number.to_be_bytes());
            seed.extend_from_slice(&l1_head.to_be_bytes());
            seed.extend_from_slice(&opened.to_be_bytes());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            seed.extend_from_slice(&now.to_be_bytes());
            let digest: B256 = keccak256(&seed);
            let mut id = [0u8; 16];
            id.copy_from_slice(&digest[..16]);
            OpenChannel {
                out: ChannelOut::new(ChannelId(id)),
                opened_at_l1: l1_head,
                first_block: block.number,
                last_block: block.number,
                input_at_flush: 0,
            }
        })
    }

    /// Whether the open channel's compressed size approaches the target; flushes the compressor
    /// when the estimate says it might.
    fn is_full(&mut self) -> bool {
        let target = self.policy.target_bytes();
        let Some(channel) = self.open.as_mut() else {
            return false;
        };
        let unflushed = channel
            .out
            .input_bytes()
            .saturating_sub(channel.input_at_flush);
        if channel.out.output_bytes().saturating_add(unflushed) < target {
            return false;
        }
        channel.out.flush();
        channel.input_at_flush = channel.out.input_bytes();
        channel.out.output_bytes() >= target.saturating_mul(CLOSE_AT_PER_MILLE) / 1000
    }

    fn close(&mut self, reason: CloseReason) -> Result<Option<ClosedChannel>> {
        let Some(channel) = self.open.take() else {
            return Ok(None);
        };
        let id = channel.out.id();
        let frames = channel.out.into_frames(self.policy.max_frame_size)?;
        Ok(Some(ClosedChannel {
            id,
            frames,
            first_block: channel.first_block,
            last_block: channel.last_block,
            reason,
        }))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Bytes;
    use sprout_protocol::batch::{ChannelReader, MAX_RLP_BYTES_PER_CHANNEL};

    use super::*;
    use crate::test_utils::l2_block;

    fn policy(max_frame_size: usize, target_frames: usize, max_duration: u64) -> ChannelPolicy {
        ChannelPolicy {
            max_frame_size,
            target_frames,
            max_duration,
        }
    }

    /// A block whose one transaction is `len` bytes derived from `seed`: incompressible unless
    /// `zeros`.
    fn block(number: u64, len: usize, zeros: bool) -> L2Block {
        let mut block = l2_block(number, B256::repeat_byte(number as u8), 0);
        let mut tx = Vec::with_capacity(len);
        let mut word = keccak256(number.to_be_bytes());
        while tx.len() < len {
            word = keccak256(word);
            tx.extend_from_slice(if zeros { &[0u8; 32] } else { word.as_slice() });
        }
        tx.truncate(len);
        tx[0] = 0x02;
        block.transactions = vec![Bytes::from(tx)];
        block
    }

    fn batches_of(channel: &ClosedChannel) -> Vec<SingularBatch> {
        let data: Vec<u8> = channel.frames.iter().flat_map(|f| f.data.clone()).collect();
        let mut reader = ChannelReader::new(&data, MAX_RLP_BYTES_PER_CHANNEL).expect("reader");
        let mut out = Vec::new();
        while let Some(batch) = reader.next_batch() {
            out.push(batch.expect("batch"));
        }
        out
    }

    #[test]
    fn channel_closes_when_its_compressed_size_approaches_the_target() {
        let policy = policy(1_000, 3, 100);
        let target = policy.target_bytes();
        let mut builder = ChannelBuilder::new(policy);
        let mut closed = Vec::new();
        let mut number = 1;
        while closed.is_empty() {
            closed = builder
                .add_block(&block(number, 200, false), 5)
                .expect("add");
            number += 1;
            assert!(number < 100, "never closed");
        }
        let channel = &closed[0];
        assert_eq!(channel.reason, CloseReason::Full);
        assert_eq!((channel.first_block, channel.last_block), (1, number - 1));
        let size: usize = channel.frames.iter().map(|f| f.data.len()).sum();
        assert!(size >= target * 9 / 10, "{size} of {target}");
        assert!(size <= target + 300, "{size} of {target}");
        assert!(channel.frames.iter().all(|f| f.encoded_len() <= 1_000));
        assert!(channel.frames.last().is_some_and(|f| f.is_last));
        // The channel holds exactly the blocks added, as singular batches.
        let batches = batches_of(channel);
        assert_eq!(batches.len() as u64, number - 1);
        for (batch, n) in batches.iter().zip(1..) {
            let b = block(n, 200, false);
            assert_eq!(batch.parent_hash, b.parent_hash);
            assert_eq!(
                (batch.epoch_num, batch.epoch_hash),
                (b.epoch_num, b.epoch_hash)
            );
            assert_eq!(batch.timestamp, b.timestamp);
            assert_eq!(batch.transactions, b.transactions);
        }
        assert!(builder.open_channel().is_none());
    }

    #[test]
    fn compressible_blocks_fill_a_channel_by_compressed_not_raw_size() {
        let policy = policy(1_000, 4, 100);
        let mut builder = ChannelBuilder::new(policy);
        let mut added = 0;
        for number in 1..=20 {
            assert!(
                builder
                    .add_block(&block(number, 2_500, true), 5)
                    .expect("add")
                    .is_empty()
            );
            added += 2_500;
        }
        // 50 KB of mostly zeros compress below four 1 KB frames.
        assert!(added > 10 * policy.target_bytes());
        assert!(builder.open_channel().is_some());
    }

    #[test]
    fn channel_closes_after_its_maximum_duration_in_l1_blocks() {
        let mut builder = ChannelBuilder::new(policy(120_000, 1, 5));
        assert!(
            builder.check_duration(100).expect("check").is_none(),
            "nothing open"
        );
        builder.add_block(&block(1, 50, false), 10).expect("add");
        builder.add_block(&block(2, 50, false), 12).expect("add");
        assert!(builder.check_duration(14).expect("check").is_none());
        let channel = builder.check_duration(15).expect("check").expect("closed");
        assert_eq!(channel.reason, CloseReason::Duration);
        assert_eq!((channel.first_block, channel.last_block), (1, 2));
        assert_eq!(channel.frames.len(), 1);
        assert_eq!(batches_of(&channel).len(), 2);
        // The next block opens a new channel with a new id, timed from its own L1 block.
        builder.add_block(&block(3, 50, false), 20).expect("add");
        let (id, first, _) = builder.open_channel().expect("open");
        assert_ne!(id, channel.id);
        assert_eq!(first, 3);
        assert!(builder.check_duration(24).expect("check").is_none());
    }

    #[test]
    fn large_channel_is_cut_into_numbered_frames() {
        let mut builder = ChannelBuilder::new(policy(500, 1_000, 2));
        for number in 1..=10 {
            builder
                .add_block(&block(number, 300, false), 1)
                .expect("add");
        }
        let channel = builder.check_duration(3).expect("check").expect("closed");
        assert!(channel.frames.len() >= 6);
        for (frame, n) in channel.frames.iter().zip(0u16..) {
            assert_eq!(frame.number, n);
            assert_eq!(frame.id, channel.id);
            assert!(frame.encoded_len() <= 500);
            assert_eq!(frame.is_last, usize::from(n) + 1 == channel.frames.len());
        }
        assert_eq!(batches_of(&channel).len(), 10);
    }

    #[test]
    fn reset_drops_the_open_channel() {
        let mut builder = ChannelBuilder::new(policy(120_000, 1, 5));
        builder.add_block(&block(1, 50, false), 10).expect("add");
        builder.reset();
        assert!(builder.open_channel().is_none());
        assert!(builder.check_duration(100).expect("check").is_none());
    }
}
