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
mod tests {
    use alloy_primitives::Address;
    use alloy_signer_local::PrivateKeySigner;
    use sprout_protocol::rollup::{GenesisSystemConfig, RollupConfig, RollupGenesis};

    use super::*;
    use crate::test_utils::{FakeL1, FakeL2};

    fn config(max_channel_duration: u64) -> BatcherConfig {
        let signer = PrivateKeySigner::random();
        let rollup = RollupConfig {
            genesis: RollupGenesis {
                system_config: GenesisSystemConfig {
                    batcher_addr: signer.address(),
                    ..Default::default()
                },
                ..Default::default()
            },
            block_time: 2,
            max_sequencer_drift: 600,
            seq_window_size: 3600,
            channel_timeout: 300,
            l1_chain_id: 1,
            l2_chain_id: 901,
            batch_inbox_address: Address::repeat_byte(0xbb),
            deposit_contract_address: Address::repeat_byte(1),
            l1_system_config_address: Address::repeat_byte(2),
            l2_output_oracle_address: Address::repeat_byte(3),
            regolith_time: None,
            canyon_time: None,
            ecotone_time: None,
        };
        let mut config = BatcherConfig::new("http://l1", "http://l2", rollup, signer);
        config.max_channel_duration = max_channel_duration;
        config.confirmations = 2;
        config.validate().expect("valid config");
        config
    }

    /// A batcher past its start-up wait (safe head `safe`, derivation caught up).
    async fn batching(
        l2_len: u64,
        safe: u64,
        duration: u64,
    ) -> (Arc<FakeL1>, Batcher<FakeL1, Arc<FakeL2>>, Arc<FakeL2>) {
        let l1 = Arc::new(FakeL1::new());
        let l2 = Arc::new(FakeL2::with_chain(l2_len));
        l2.with(|s| {
            s.safe = safe;
            s.derived_l1 = Some(0);
        });
        let mut batcher = Batcher::new(
            l1.clone(),
            l2.clone(),
            &config(duration),
            Arc::new(Metrics::default()),
        );
        batcher.step().await.expect("pending check");
        batcher.step().await.expect("derivation check");
        assert_eq!(batcher.phase(), Phase::Batching);
        (l1, batcher, l2)
    }

    impl<T: L2Source> L2Source for Arc<T> {
        async fn sync_status(&self) -> Result<crate::SyncStatus> {
            self.as_ref().sync_status().await
        }
        async fn block(&self, number: u64) -> Result<Option<crate::L2Block>> {
            self.as_ref().block(number).await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pending_tx_stuck_at_start_is_replaced_until_it_clears() {
        use alloy_consensus::{SignableTransaction, Transaction, TxEip1559};
        use alloy_primitives::{Bytes, TxKind, U256};
        use alloy_signer::SignerSync;

        let l1 = Arc::new(FakeL1::new());
        let config = config(5);
        // A batcher transaction from an earlier run whose fee cap is below the base fee.
        let stuck = TxEip1559 {
            chain_id: 1,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 1_000,
            max_priority_fee_per_gas: 1_000,
            to: TxKind::Call(Address::ZERO),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        };
        let sig = config
            .signer
            .sign_hash_sync(&stuck.signature_hash())
            .expect("sign");
        l1.with(|s| s.pool.insert(0, stuck.into_signed(sig).into()));
        assert_eq!(l1.mine(), 0);
        let l2 = Arc::new(FakeL2::with_chain(1));
        let mut batcher = Batcher::new(
            l1.clone(),
            l2.clone(),
            &config,
            Arc::new(Metrics::default()),
        );
        batcher.step().await.expect("step");
        tokio::time::advance(Duration::from_secs(29)).await;
        batcher.step().await.expect("step");
        assert_eq!(
            l1.with(|s| s.sent.len()),
            0,
            "not before the resubmit timeout"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        batcher.step().await.expect("step");
        let replacement = l1.with(|s| s.pool.get(&0).cloned()).expect("pool");
        assert_eq!(replacement.to(), Some(config.signer.address()));
        assert!(replacement.input().is_empty());
        assert_eq!(batcher.phase(), Phase::WaitingForPendingTxs);
        assert_eq!(l1.mine(), 1);
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::WaitingForDerivation { l1_head: 2 });
    }

    #[tokio::test]
    async fn start_waits_for_pending_txs_and_derivation_then_batches_from_safe_plus_one() {
        let l1 = Arc::new(FakeL1::new());
        l1.with(|s| s.foreign_pending = 2);
        let l2 = Arc::new(FakeL2::with_chain(8));
        l2.with(|s| s.safe = 3);
        let mut batcher = Batcher::new(
            l1.clone(),
            l2.clone(),
            &config(5),
            Arc::new(Metrics::default()),
        );
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::WaitingForPendingTxs);
        // The earlier run's transactions get mined; L1 is at block 3 by then.
        l1.with(|s| s.foreign_pending = 0);
        l1.mine();
        l1.mine();
        l1.mine();
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::WaitingForDerivation { l1_head: 3 });
        // Derivation has read L1 up to block 2 only: frames in block 3 may still count.
        l2.with(|s| s.derived_l1 = Some(2));
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::WaitingForDerivation { l1_head: 3 });
        l2.with(|s| s.derived_l1 = Some(3));
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::Batching);
        assert_eq!(batcher.next_block(), 4);
        let report = batcher.step().await.expect("step");
        assert_eq!(report.blocks_batched, 5, "blocks 4..=8");
        assert_eq!(batcher.next_block(), 9);
    }

    #[tokio::test]
    async fn sequencer_reorg_of_a_batched_block_restarts_from_safe_plus_one() {
        let (_l1, mut batcher, l2) = batching(6, 2, 50).await;
        assert_eq!(batcher.step().await.expect("step").blocks_batched, 4);
        assert_eq!(batcher.next_block(), 7);
        // The sequencer replaces blocks 5 and 6 and builds 7 on the new 6.
        l2.fork_at(5, 3, 1);
        let report = batcher.step().await.expect("step");
        assert!(
            matches!(
                report.rewound,
                Some(RewindReason::SequencerReorg { number: 7, .. })
            ),
            "{report:?}"
        );
        assert_eq!(batcher.phase(), Phase::WaitingForPendingTxs);
        assert_eq!(
            batcher
                .metrics
                .rewinds
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        batcher.step().await.expect("step");
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::Batching);
        assert_eq!(batcher.next_block(), 3);
        assert_eq!(batcher.step().await.expect("step").blocks_batched, 5);
        assert!(
            batcher
                .channels
                .open_channel()
                .is_some_and(|(_, first, last)| (first, last) == (3, 7))
        );
    }

    #[tokio::test]
    async fn sequencer_chain_shorter_than_what_was_batched_rewinds() {
        let (_l1, mut batcher, l2) = batching(6, 0, 50).await;
        batcher.step().await.expect("step");
        l2.fork_at(4, 0, 1);
        let report = batcher.step().await.expect("step");
        assert!(matches!(
            report.rewound,
            Some(RewindReason::SequencerReorg { .. })
        ));
    }

    #[tokio::test]
    async fn same_tip_with_another_hash_rewinds() {
        let (_l1, mut batcher, l2) = batching(6, 0, 50).await;
        batcher.step().await.expect("step");
        l2.fork_at(6, 1, 9);
        let report = batcher.step().await.expect("step");
        assert!(matches!(
            report.rewound,
            Some(RewindReason::SequencerReorg { number: 6, .. })
        ));
    }

    #[tokio::test]
    async fn l1_reorg_of_an_unconfirmed_frame_restarts_from_safe_plus_one() {
        let (l1, mut batcher, l2) = batching(3, 0, 1).await;
        let report = batcher.step().await.expect("step");
        assert_eq!(report.blocks_batched, 3);
        l1.mine(); // the channel is one L1 block old: it closes and its frame goes out
        let report = batcher.step().await.expect("step");
        assert_eq!(report.channels_closed.len(), 1);
        assert_eq!(batcher.txmgr().in_flight(), 1);
        l1.mine(); // frame included (depth 1 of 2)
        batcher.step().await.expect("step");
        l1.reorg(1);
        let report = batcher.step().await.expect("step");
        assert!(
            matches!(
                report.rewound,
                Some(RewindReason::L1(TxEvent::Reorged { .. }))
            ),
            "{report:?}"
        );
        l2.with(|s| s.derived_l1 = Some(10));
        batcher.step().await.expect("step");
        batcher.step().await.expect("step");
        assert_eq!(batcher.phase(), Phase::Batching);
        assert_eq!(batcher.next_block(), 1);
        assert_eq!(batcher.txmgr().in_flight(), 0);
    }

    #[tokio::test]
    async fn channel_not_landing_within_the_channel_timeout_is_batched_again() {
        let l1 = Arc::new(FakeL1::new());
        let l2 = Arc::new(FakeL2::with_chain(6));
        l2.with(|s| s.derived_l1 = Some(0));
        let mut config = config(1);
        config.rollup.channel_timeout = 5;
        config.max_frame_size = 200;
        config.target_frames_per_channel = 100;
        config.max_pending_txs = 1;
        config.validate().expect("valid");
        let mut batcher = Batcher::new(
            l1.clone(),
            l2.clone(),
            &config,
            Arc::new(Metrics::default()),
        );
        batcher.step().await.expect("step");
        batcher.step().await.expect("step");
        assert_eq!(batcher.step().await.expect("step").blocks_batched, 6);
        l1.mine();
        let report = batcher.step().await.expect("step");
        assert_eq!(report.channels_closed[0].frames.len(), 2);
        l1.mine(); // frame 0 lands in block 2
        batcher.step().await.expect("step"); // frame 1 goes out
        l1.with(|s| s.base_fee *= 10); // and is stuck
        l1.mine();
        let report = batcher.step().await.expect("step");
        assert!(matches!(
            &report.tx_events[..],
            [TxEvent::Confirmed {
                tag: FrameTag { number: 0, .. },
                block_number: 2,
                ..
            }]
        ));
        // The last frame could still land by block 2 + 5 and be confirmed by block 9.
        while l1.with(|s| s.chain.len()) < 10 {
            l1.mine();
            assert_eq!(batcher.step().await.expect("step").rewound, None);
        }
        l1.mine();
        let report = batcher.step().await.expect("step");
        assert!(
            matches!(
                report.rewound,
                Some(RewindReason::ChannelTimedOut {
                    first_frame_l1: 2,
                    ..
                })
            ),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn frame_of_a_closed_channel_is_confirmed_at_depth() {
        let (l1, mut batcher, l2) = batching(0, 0, 1).await;
        l2.extend(3, 0);
        batcher.step().await.expect("step");
        l1.mine();
        batcher.step().await.expect("step");
        l1.mine();
        l1.mine();
        let report = batcher.step().await.expect("step");
        assert!(matches!(
            &report.tx_events[..],
            [TxEvent::Confirmed {
                tag: FrameTag { number: 0, .. },
                ..
            }]
        ));
        assert_eq!(
            batcher
                .metrics
                .l1
                .txs_confirmed
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    #[tokio::test]
    async fn a_confirmed_channel_reorged_away_before_derivation_is_batched_again() {
        let (l1, mut batcher, l2) = batching(3, 0, 1).await;
        assert_eq!(batcher.step().await.expect("step").blocks_batched, 3);
        l1.mine();
        assert_eq!(batcher.step().await.expect("step").channels_closed.len(), 1);
        l1.mine(); // the frame lands in block 2
        l1.mine(); // and is confirmed at depth 2
        let report = batcher.step().await.expect("step");
        assert!(
            matches!(
                &report.tx_events[..],
                [TxEvent::Confirmed {
                    block_number: 2,
                    ..
                }]
            ),
            "{report:?}"
        );
        // L1 drops block 2 before the sequencer derives it: its safe head stays at 0.
        l1.reorg(2);
        l2.with(|s| s.derived_l1 = Some(2));
        let report = batcher.step().await.expect("step");
        assert_eq!(
            report.rewound, None,
            "block 2's batches may not be applied yet"
        );
        l2.with(|s| s.derived_l1 = Some(3));
        let report = batcher.step().await.expect("step");
        assert_eq!(
            report.rewound,
            Some(RewindReason::SafeHeadStalled {
                last_block: 3,
                l1_block: 2,
                derived_to: 3,
                safe: 0,
            })
        );
        batcher.step().await.expect("pending check");
        batcher.step().await.expect("derivation check");
        assert_eq!(batcher.phase(), Phase::Batching);
        assert_eq!(batcher.next_block(), 1, "the dropped blocks go out again");
    }

    #[tokio::test]
    async fn a_confirmed_channel_that_becomes_safe_is_not_batched_again() {
        let (l1, mut batcher, l2) = batching(3, 0, 1).await;
        batcher.step().await.expect("step");
        l1.mine();
        batcher.step().await.expect("step");
        l1.mine();
        l1.mine();
        batcher.step().await.expect("step");
        l2.with(|s| {
            s.safe = 3;
            s.derived_l1 = Some(9);
        });
        for _ in 0..3 {
            l1.mine();
            assert_eq!(batcher.step().await.expect("step").rewound, None);
        }
        assert_eq!(batcher.next_block(), 4);
    }

    #[tokio::test]
    async fn a_safe_head_that_goes_back_rewinds_to_it() {
        let (_l1, mut batcher, l2) = batching(12, 8, 5).await;
        assert_eq!(batcher.next_block(), 9);
        batcher.step().await.expect("round");
        assert!(batcher.next_block() > 9);
        // L1 reorged under the sequencer's derivation: its safe head falls back to 4.
        l2.with(|s| s.safe = 4);
        let report = batcher.step().await.expect("round");
        assert_eq!(
            report.rewound,
            Some(RewindReason::SafeHeadReset { from: 8, to: 4 })
        );
        assert_eq!(batcher.phase(), Phase::WaitingForPendingTxs);
        batcher.step().await.expect("pending check");
        batcher.step().await.expect("derivation check");
        assert_eq!(batcher.phase(), Phase::Batching);
        assert_eq!(batcher.next_block(), 5);
    }
}
