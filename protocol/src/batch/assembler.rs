//! Assembling frames into channels under Holocene's strict ordering (OP's frame queue and
//! channel assembler, which replaced the channel bank).
//!
//! Rules implemented (OP Holocene derivation spec, "Frame Queue" and "Channel Bank"):
//! 1. Per batcher transaction ([`prune_frames`]): a frame is dropped when it does not directly
//!    follow the previous frame of the transaction: same channel id but the previous frame closed
//!    the channel or its number is not one less, or another channel id and a number > 0. A first
//!    frame (number 0) of another channel drops the preceding frames of a channel that was not
//!    closed.
//! 2. Per frame ([`ChannelAssembler::ingest`]), with at most one channel open (the staging
//!    channel):
//!    - the staging channel is dropped first if it timed out:
//!      `l1_block > open_l1_block + channel_timeout`;
//!    - a frame number 0 opens a new channel, replacing the staging one if any (even one of the
//!      same id);
//!    - a non-first frame with no staging channel, of another channel id, or whose number is not
//!      the next one, is dropped;
//!    - after a frame is added, a channel whose frame data plus 200 bytes per frame exceeds the
//!      size limit ([`MAX_RLP_BYTES_PER_CHANNEL`]) is dropped;
//!    - a frame with `is_last` completes the channel: its data is handed out and the staging slot
//!      is empty again (so later frames of that id are dropped, being non-first frames without a
//!      channel).
//!
//! Not implemented here: the pre-Holocene channel bank (out-of-order frames, several open
//! channels) — Sprout follows Holocene rules from genesis.
//!
//! [`MAX_RLP_BYTES_PER_CHANNEL`]: super::MAX_RLP_BYTES_PER_CHANNEL

use alloc::vec::Vec;

use super::{
    ASSEMBLER_FRAME_OVERHEAD, BatchError, ChannelId, Frame, MAX_RLP_BYTES_PER_CHANNEL, parse_frames,
};
use crate::rollup::RollupConfig;

/// Applies Holocene's frame-queue rule (rule 1 in the module docs) to the frames of one batcher
/// transaction, in order, exactly as OP's `pruneFrameQueue` does.
///
/// Each frame is checked against the last frame kept so far (its "previous frame"):
/// - same channel: kept only if the previous one is not closing and its number is one less
///   (`u16` wrapping, as in OP);
/// - other channel, number 0: the previous frame, if not closing, is dropped and the check is
///   repeated against the new last frame (so an unclosed channel is dropped back to its start);
/// - other channel, number > 0: dropped.
pub fn prune_frames(frames: Vec<Frame>) -> Vec<Frame> {
    let mut kept: Vec<Frame> = Vec::with_capacity(frames.len());
    for frame in frames {
        loop {
            let Some(prev) = kept.last() else {
                kept.push(frame);
                break;
            };
            if prev.id == frame.id {
                if !prev.is_last && prev.number.wrapping_add(1) == frame.number {
                    kept.push(frame);
                }
                break;
            }
            if frame.number != 0 {
                break;
            }
            if prev.is_last {
                kept.push(frame);
                break;
            }
            kept.pop();
        }
    }
    kept
}

/// A complete channel, ready for [`ChannelReader`](super::ChannelReader).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyChannel {
    /// The channel id.
    pub id: ChannelId,
    /// The L1 block whose batcher transaction carried the channel's first frame.
    pub open_l1_block: u64,
    /// The channel bytes: the data of frames `0..=last`, concatenated.
    pub data: Vec<u8>,
}

/// What became of a frame given to [`ChannelAssembler::ingest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameOutcome {
    /// The frame was added to the staging channel, which is not complete yet.
    Added,
    /// The frame completed the staging channel.
    Ready(ReadyChannel),
    /// The frame was dropped (no staging channel, another channel, or not the next number).
    Dropped,
    /// The frame took the staging channel past the size limit; the channel was dropped.
    ChannelTooLarge,
}

/// The channel being assembled.
#[derive(Clone, Debug)]
struct StagingChannel {
    id: ChannelId,
    open_l1_block: u64,
    /// Number the next frame must have (65536 after frame 65535: no frame can follow).
    next_number: u32,
    /// Frame data plus [`ASSEMBLER_FRAME_OVERHEAD`] per frame.
    size: usize,
    data: Vec<u8>,
}

/// Assembles frames into channels, one channel at a time (Holocene); derivation feeds it the
/// batcher transactions of each L1 block in order and reads the channels it hands out.
#[derive(Clone, Debug)]
pub struct ChannelAssembler {
    channel_timeout: u64,
    max_channel_size: usize,
    staging: Option<StagingChannel>,
}

impl ChannelAssembler {
    /// An empty assembler with the given channel timeout (in L1 blocks) and size limit.
    pub fn new(channel_timeout: u64, max_channel_size: usize) -> Self {
        Self {
            channel_timeout,
            max_channel_size,
            staging: None,
        }
    }

    /// An empty assembler with the rollup's `channel_timeout` and [`MAX_RLP_BYTES_PER_CHANNEL`].
    pub fn from_rollup_config(config: &RollupConfig) -> Self {
        Self::new(config.channel_timeout, MAX_RLP_BYTES_PER_CHANNEL)
    }

    /// The staging channel's id and opening L1 block, if one is open.
    pub fn staging(&self) -> Option<(ChannelId, u64)> {
        self.staging.as_ref().map(|c| (c.id, c.open_l1_block))
    }

    /// Drops everything (pipeline reset).
    pub fn reset(&mut self) {
        self.staging = None;
    }

    /// Drops the staging channel if it has timed out at `l1_block`
    /// (`l1_block > open_l1_block + channel_timeout`), returning its id.
    pub fn prune_timed_out(&mut self, l1_block: u64) -> Option<ChannelId> {
        let channel = self.staging.as_ref()?;
        if l1_block > channel.open_l1_block.saturating_add(self.channel_timeout) {
            let id = channel.id;
            self.staging = None;
            return Some(id);
        }
        None
    }

    /// Adds one frame, read from a batcher transaction of L1 block `l1_block` (rule 2 of the
    /// module docs). Frames must come in L1 order, each transaction's frames already through
    /// [`prune_frames`] ([`ingest_batcher_tx`](Self::ingest_batcher_tx) does both).
    pub fn ingest(&mut self, frame: Frame, l1_block: u64) -> FrameOutcome {
        self.prune_timed_out(l1_block);
        if frame.number == 0 {
            self.staging = Some(StagingChannel {
                id: frame.id,
                open_l1_block: l1_block,
                next_number: 0,
                size: 0,
                data: Vec::new(),
            });
        }
        let Some(channel) = self.staging.as_mut() else {
            return FrameOutcome::Dropped;
        };
        if channel.id != frame.id || channel.next_number != u32::from(frame.number) {
            return FrameOutcome::Dropped;
        }
        channel.size = channel
            .size
            .saturating_add(frame.data.len() + ASSEMBLER_FRAME_OVERHEAD);
        if channel.size > self.max_channel_size {
            self.staging = None;
            return FrameOutcome::ChannelTooLarge;
        }
        channel.data.extend_from_slice(&frame.data);
        if !frame.is_last {
            channel.next_number = u32::from(frame.number) + 1;
            return FrameOutcome::Added;
        }
        let id = channel.id;
        let open_l1_block = channel.open_l1_block;
        let data = core::mem::take(&mut channel.data);
        self.staging = None;
        FrameOutcome::Ready(ReadyChannel {
            id,
            open_l1_block,
            data,
        })
    }

    /// Parses a batcher transaction's data and ingests its frames (pruned by [`prune_frames`]),
    /// returning the channels it completed, in order.
    ///
    /// A transaction with any malformed frame is ignored whole: the error says why, and the
    /// assembler is unchanged except for timing out the staging channel.
    pub fn ingest_batcher_tx(
        &mut self,
        data: &[u8],
        l1_block: u64,
    ) -> Result<Vec<ReadyChannel>, BatchError> {
        self.prune_timed_out(l1_block);
        let frames = parse_frames(data)?;
        let mut ready = Vec::new();
        for frame in prune_frames(frames) {
            if let FrameOutcome::Ready(channel) = self.ingest(frame, l1_block) {
                ready.push(channel);
            }
        }
        Ok(ready)
    }
}
