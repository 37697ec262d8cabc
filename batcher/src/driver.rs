//! The batcher's loop: wait for a clean start, read unsafe L2 blocks from the safe head on, put
//! them in channels, hand the frames to the transaction manager, and rewind to the sequencer's
//! safe head when L1 or the sequencer reorgs what was batched.
//!
//! The sequencer's safe head is the source of truth: it is what derivation made of the frames
//! that did land. Starting (and rewinding) waits until the batcher account has no pending
//! transactions and the sequencer's derivation has read L1 up to the head seen after that, so
//! every frame that will ever land has been accounted for, and batching resumes at `safe + 1`: a
//! restart never posts a complete batch twice and never skips one.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use alloy_primitives::B256;
use sprout_protocol::batch::ChannelId;
use tracing::{info, warn};

use sprout_txmgr::{L1Chain, TxManager, TxManagerConfig};

use crate::{
    BatcherConfig, DataAvailability, FrameTag, Metrics, Result,
    channel::{ChannelBuilder, ChannelPolicy, ClosedChannel},
    frame_tx::frame_tx,
    l2::L2Source,
};

/// What the transaction manager reports about a frame.
pub type TxEvent = sprout_txmgr::TxEvent<FrameTag>;

/// At most this many frames wait in the transaction manager's queue before the batcher stops
/// reading blocks.
const MAX_QUEUED_FRAMES: usize = 32;
/// At most this many blocks are read per round, so that L1 is watched while catching up.
const MAX_BLOCKS_PER_ROUND: usize = 256;

/// Where the batcher is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting until the batcher account has no pending transactions.
    WaitingForPendingTxs,
    /// Waiting until the sequencer's derivation has read L1 up to `l1_head`.
    WaitingForDerivation {
        /// The L1 head seen once the pending transactions cleared.
        l1_head: u64,
    },
    /// Batching blocks from `next_block` on.
    Batching,
}

/// Why the batcher went back to the safe head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RewindReason {
    /// L1 dropped or failed a frame before it was confirmed.
    L1(TxEvent),
    /// The sequencer's safe head went back (its derivation reset after an L1 reorg): what was
    /// posted past it is no longer on L1, or was read against another safe head.
    SafeHeadReset {
        /// The safe head seen before.
        from: u64,
        /// The safe head now.
        to: u64,
    },
    /// The sequencer's chain no longer holds a block that was batched.
    SequencerReorg {
        /// The first block that does not fit.
        number: u64,
        /// The parent hash expected (the batched block's hash).
        expected_parent: B256,
        /// What the sequencer has.
        found_parent: B256,
    },
    /// A channel's frames did not all land within the rollup's `channel_timeout` of its first
    /// frame: derivation drops it, so its blocks must be batched again.
    ChannelTimedOut {
        /// The channel.
        channel: ChannelId,
        /// L1 block holding its first frame.
        first_frame_l1: u64,
    },
    /// Derivation read past the L1 block that completed a channel, yet the safe head did not
    /// reach the channel's last block: L1 reorged the frame away after it was confirmed (or
    /// derivation refused the batch), so the blocks must be batched again.
    SafeHeadStalled {
        /// The channel's last L2 block.
        last_block: u64,
        /// The L1 block its last frame was confirmed in.
        l1_block: u64,
        /// The L1 block derivation has read up to.
        derived_to: u64,
        /// The sequencer's safe head.
        safe: u64,
    },
}

/// What one [`Batcher::step`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Blocks added to channels.
    pub blocks_batched: usize,
    /// Channels closed.
    pub channels_closed: Vec<ClosedChannel>,
    /// Transaction events.
    pub tx_events: Vec<TxEvent>,
    /// Set when this step rewound.
    pub rewound: Option<RewindReason>,
}

/// The batcher over an L1 and a sequencer.
#[derive(Debug)]
pub struct Batcher<L1, L2> {
    l1: Arc<L1>,
    l2: L2,
    txmgr: TxManager<L1, FrameTag>,
    inbox: alloy_primitives::Address,
    da: DataAvailability,
    channels: ChannelBuilder,
    metrics: Arc<Metrics>,
    phase: Phase,
    /// The next L2 block to batch.
    next_block: u64,
    /// Hash of block `next_block - 1`.
    last_hash: B256,
    /// The highest safe head seen while batching.
    safe_seen: u64,
    /// The rollup's channel timeout, in L1 blocks.
    channel_timeout: u64,
    /// Frame confirmations needed.
    confirmations: u64,
    /// Channels with a confirmed first frame and an unconfirmed last one: the L1 block holding
    /// the first frame.
    landing: BTreeMap<ChannelId, u64>,
    /// Channels whose last frame is confirmed and whose last block is not yet safe: the last
    /// block and the L1 block holding the last frame.
    posted: Vec<(u64, u64)>,
    /// Transactions not mined within this long are replaced.
    resubmit_timeout: Duration,
    /// While waiting for pending transactions: since when the mined nonce has been stuck, at
    /// which value, and how many replacements were tried.
    stuck: Option<(tokio::time::Instant, u64, u32)>,
}

impl<L1: L1Chain, L2: L2Source> Batcher<L1, L2> {
    /// A batcher that starts by waiting for a clean start. `config` is assumed validated.
    pub fn new(l1: Arc<L1>, l2: L2, config: &BatcherConfig, metrics: Arc<Metrics>) -> Self {
        let txmgr = TxManager::new(
            l1.clone(),
            config.signer.clone(),
            TxManagerConfig {
                role: "batcher",
                chain_id: config.rollup.l1_chain_id,
                confirmations: config.confirmations,
                resubmit_timeout: config.resubmit_timeout,
                min_balance: config.min_balance,
                min_tip: config.min_tip,
                max_pending: config.max_pending_txs,
                blobs: config.da == DataAvailability::Blobs,
            },
            metrics.l1.clone(),
        );
        let channels = ChannelBuilder::new(ChannelPolicy {
            max_frame_size: config.max_frame_size,
            target_frames: config.target_frames_per_channel,
            max_duration: config.max_channel_duration,
        });
        Self {
            l1,
            l2,
            txmgr,
            inbox: config.rollup.batch_inbox_address,
            da: config.da,
            channels,
            metrics,
            phase: Phase::WaitingForPendingTxs,
            next_block: 0,
            last_hash: B256::ZERO,
            safe_seen: 0,
            channel_timeout: config.rollup.channel_timeout,
            confirmations: config.confirmations,
            landing: BTreeMap::new(),
            posted: Vec::new(),
            resubmit_timeout: config.resubmit_timeout,
            stuck: None,
        }
    }

    /// Where the batcher is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The next L2 block to batch (meaningful while [`Phase::Batching`]).
    pub fn next_block(&self) -> u64 {
        self.next_block
    }

    /// The transaction manager.
    pub fn txmgr(&self) -> &TxManager<L1, FrameTag> {
        &self.txmgr
    }

    /// One round: advance the start-up wait, or read blocks, close channels and drive L1.
    pub async fn step(&mut self) -> Result<StepReport> {
        match self.phase {
            Phase::WaitingForPendingTxs => {
                let address = self.txmgr.address();
                let latest = self.l1.nonce(address, false).await?;
                let pending = self.l1.nonce(address, true).await?;
                if pending > latest {
                    info!(target: "batcher", %address, pending = pending - latest,
                        "waiting for the batcher's pending L1 transactions to be mined");
                    self.replace_stuck(latest).await?;
                    return Ok(StepReport::default());
                }
                self.stuck = None;
                let l1_head = self.l1.head().await?.number;
                self.phase = Phase::WaitingForDerivation { l1_head };
                Ok(StepReport::default())
            }
            Phase::WaitingForDerivation { l1_head } => {
                let status = self.l2.sync_status().await?;
                let derived_to = status.current_l1.map(|l1| l1.number);
                if derived_to.is_none_or(|n| n < l1_head) {
                    info!(target: "batcher", l1_head, derived_to, "waiting for the sequencer's derivation to catch up with L1");
                    return Ok(StepReport::default());
                }
                self.txmgr.reset().await?;
                self.channels.reset();
                self.landing.clear();
                self.posted.clear();
                self.next_block = status.safe_l2.number.saturating_add(1);
                self.last_hash = status.safe_l2.hash;
                self.safe_seen = status.safe_l2.number;
                self.phase = Phase::Batching;
                info!(target: "batcher", from = self.next_block, safe = %status.safe_l2.hash,
                    nonce = self.txmgr.next_nonce(), "batching from the sequencer's safe head");
                Ok(StepReport::default())
            }
            Phase::Batching => self.batch_round().await,
        }
    }

    /// Replaces the pending transaction at the mined nonce `latest` once it has been stuck for
    /// the resubmit timeout, offering more on each attempt.
    async fn replace_stuck(&mut self, latest: u64) -> Result<()> {
        let now = tokio::time::Instant::now();
        match self.stuck {
            Some((since, nonce, attempt)) if nonce == latest => {
                if now.duration_since(since) >= self.resubmit_timeout {
                    if let Err(err) = self.txmgr.cancel(latest, attempt).await? {
                        warn!(target: "batcher", nonce = latest, ?err, "replacing a stuck transaction failed");
                    }
                    self.stuck = Some((now, latest, attempt.saturating_add(1)));
                }
            }
            _ => self.stuck = Some((now, latest, 0)),
        }
        Ok(())
    }

    async fn batch_round(&mut self) -> Result<StepReport> {
        let mut report = StepReport::default();
        let l1_head = self.l1.head().await?.number;
        let status = self.l2.sync_status().await?;
        if status.safe_l2.number < self.safe_seen {
            let reason = RewindReason::SafeHeadReset {
                from: self.safe_seen,
                to: status.safe_l2.number,
            };
            self.rewind(reason, &mut report);
            return Ok(report);
        }
        self.safe_seen = status.safe_l2.number;
        if let Some(reason) = self.stalled(&status) {
            self.rewind(reason, &mut report);
            return Ok(report);
        }
        let unsafe_head = status.unsafe_l2;
        if unsafe_head.number.saturating_add(1) < self.next_block
            || (unsafe_head.number.saturating_add(1) == self.next_block
                && unsafe_head.hash != self.last_hash)
        {
            let reason = RewindReason::SequencerReorg {
                number: unsafe_head.number,
                expected_parent: self.last_hash,
                found_parent: unsafe_head.hash,
            };
            self.rewind(reason, &mut report);
            return Ok(report);
        }
        while self.next_block <= unsafe_head.number
            && self.txmgr.queued() < MAX_QUEUED_FRAMES
            && report.blocks_batched < MAX_BLOCKS_PER_ROUND
        {
            let Some(block) = self.l2.block(self.next_block).await? else {
                break;
            };
            if block.parent_hash != self.last_hash {
                let reason = RewindReason::SequencerReorg {
                    number: block.number,
                    expected_parent: self.last_hash,
                    found_parent: block.parent_hash,
                };
                self.rewind(reason, &mut report);
                return Ok(report);
            }
            let closed = self.channels.add_block(&block, l1_head)?;
            self.next_block += 1;
            self.last_hash = block.hash;
            report.blocks_batched += 1;
            Metrics::add(&self.metrics.blocks_batched, 1);
            self.metrics
                .latest_block_batched
                .store(block.number, std::sync::atomic::Ordering::Relaxed);
            for channel in closed {
                self.submit(channel, &mut report)?;
            }
        }
        if let Some(channel) = self.channels.check_duration(l1_head)? {
            self.submit(channel, &mut report)?;
        }
        let events = self.txmgr.tick().await?;
        let rewind = events.iter().find(|e| e.needs_rewind()).cloned();
        let timed_out = self.track_channels(&events, l1_head);
        report.tx_events = events;
        if let Some(event) = rewind {
            self.rewind(RewindReason::L1(event), &mut report);
        } else if let Some(reason) = timed_out {
            self.rewind(reason, &mut report);
        }
        Ok(report)
    }

    /// A confirmed channel that derivation has read past without making its blocks safe. The
    /// sequencer reads its derivation cursor before its safe head, and a cursor past block `n`
    /// means every batch in `n` has been applied, so this is never a race with derivation.
    fn stalled(&mut self, status: &crate::SyncStatus) -> Option<RewindReason> {
        let safe = status.safe_l2.number;
        self.posted.retain(|&(last_block, _)| last_block > safe);
        let derived_to = status.current_l1?.number;
        self.posted
            .iter()
            .find(|&&(_, l1_block)| derived_to > l1_block)
            .map(|&(last_block, l1_block)| RewindReason::SafeHeadStalled {
                last_block,
                l1_block,
                derived_to,
                safe,
            })
    }

    /// Follows which channels are landing and reports one that can no longer land within the
    /// channel timeout (derivation's rule: a channel is dropped once L1 passes the block of its
    /// first frame plus `channel_timeout`).
    fn track_channels(&mut self, events: &[TxEvent], l1_head: u64) -> Option<RewindReason> {
        for event in events {
            let TxEvent::Confirmed {
                tag:
                    FrameTag {
                        channel,
                        number,
                        is_last,
                        last_block,
                    },
                block_number,
                ..
            } = *event
            else {
                continue;
            };
            if number == 0 {
                self.landing.insert(channel, block_number);
            }
            if is_last {
                self.posted.push((last_block, block_number));
            }
            let Some(&first) = self.landing.get(&channel) else {
                continue;
            };
            if block_number > first.saturating_add(self.channel_timeout) {
                return Some(RewindReason::ChannelTimedOut {
                    channel,
                    first_frame_l1: first,
                });
            }
            if is_last {
                self.landing.remove(&channel);
            }
        }
        // A last frame included in time is confirmed `confirmations` blocks after the deadline
        // at the latest.
        self.landing.iter().find_map(|(&channel, &first)| {
            let deadline = first
                .saturating_add(self.channel_timeout)
                .saturating_add(self.confirmations);
            (l1_head > deadline).then_some(RewindReason::ChannelTimedOut {
                channel,
                first_frame_l1: first,
            })
        })
    }

    fn submit(&mut self, channel: ClosedChannel, report: &mut StepReport) -> Result<()> {
        info!(target: "batcher", channel = %channel.id, frames = channel.frames.len(),
            first_block = channel.first_block, last_block = channel.last_block,
            reason = ?channel.reason, "channel closed");
        Metrics::add(&self.metrics.channels_closed, 1);
        for frame in &channel.frames {
            self.txmgr
                .enqueue(frame_tx(frame, channel.last_block, self.inbox, self.da)?);
        }
        report.channels_closed.push(channel);
        Ok(())
    }

    fn rewind(&mut self, reason: RewindReason, report: &mut StepReport) {
        warn!(target: "batcher", ?reason, from = self.next_block,
            "rewinding: dropping the open channel and unconfirmed frames; batching restarts from the sequencer's safe head");
        Metrics::add(&self.metrics.rewinds, 1);
        self.channels.reset();
        self.landing.clear();
        self.posted.clear();
        self.phase = Phase::WaitingForPendingTxs;
        report.rewound = Some(reason);
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
