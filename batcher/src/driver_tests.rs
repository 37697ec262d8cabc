//! The batcher driver's unit tests, against the fake L1 and sequencer.

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
