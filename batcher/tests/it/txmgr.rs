//! The shared L1 transaction manager posting frames to anvil: order, fee bumps, reorgs, low
//! balance, blobs.

use std::{sync::Arc, sync::atomic::Ordering, time::Duration};

use alloy::providers::Provider;
use alloy_primitives::U256;
use sprout_batcher::{DataAvailability, FrameTag, Metrics, RpcL1, frame_tx::frame_tx};
use sprout_protocol::batch::{ChannelId, Frame, parse_frames};
use sprout_txmgr::{TxCandidate, TxEvent, TxManager};

use crate::{
    anvil::Anvil,
    harness::{INBOX, anvil, inbox_txs, provider, signer, txmgr_config},
};

fn frames(n: u16) -> Vec<TxCandidate<FrameTag>> {
    (0..n)
        .map(|number| {
            frame_tx(
                &Frame {
                    id: ChannelId([7; 16]),
                    number,
                    data: vec![number as u8 + 1; 300],
                    is_last: number + 1 == n,
                },
                1,
                INBOX,
                DataAvailability::Calldata,
            )
            .expect("frame tx")
        })
        .collect()
}

async fn manager(node: &Anvil, confirmations: u64) -> (TxManager<RpcL1, FrameTag>, Arc<Metrics>) {
    let l1 = Arc::new(RpcL1::new(node.url.as_str()).expect("l1"));
    let metrics = Arc::new(Metrics::default());
    let mut txmgr = TxManager::new(
        l1,
        signer(),
        txmgr_config(confirmations),
        metrics.l1.clone(),
    );
    txmgr.sync_nonce().await.expect("nonce");
    (txmgr, metrics)
}

#[tokio::test]
async fn frames_land_in_the_inbox_in_order() {
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    let (mut txmgr, metrics) = manager(&node, 2).await;
    for frame in frames(20) {
        txmgr.enqueue(frame);
    }
    let mut confirmed = Vec::new();
    for _ in 0..40 {
        for event in txmgr.tick().await.expect("tick") {
            match event {
                TxEvent::Confirmed {
                    tag: FrameTag { number, .. },
                    nonce,
                    ..
                } => confirmed.push((number, nonce)),
                other => panic!("unexpected {other:?}"),
            }
        }
        if confirmed.len() == 20 {
            break;
        }
        anvil(&l1, "anvil_mine", (1u64,)).await;
    }
    let expected: Vec<(u16, u64)> = (0..20).map(|n| (n, u64::from(n))).collect();
    assert_eq!(
        confirmed, expected,
        "confirmed in frame order with consecutive nonces"
    );
    let landed: Vec<u16> = inbox_txs(&l1, signer().address())
        .await
        .iter()
        .map(|(_, data)| parse_frames(data).expect("frames")[0].number)
        .collect();
    assert_eq!(landed, (0..20).collect::<Vec<_>>());
    assert_eq!(metrics.l1.txs_confirmed.load(Ordering::Relaxed), 20);
}

#[tokio::test]
async fn stuck_frame_is_fee_bumped_and_lands_when_mining_resumes() {
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    anvil(&l1, "evm_setAutomine", (false,)).await;
    let (mut txmgr, metrics) = manager(&node, 1).await;
    let address = signer().address();
    let frame = frames(1).remove(0);
    txmgr.enqueue(frame.clone());
    txmgr.tick().await.expect("tick");
    assert_eq!(txmgr.in_flight(), 1);
    let first = pending_tx(&l1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    txmgr.tick().await.expect("tick");
    assert_eq!(metrics.l1.fee_bumps.load(Ordering::Relaxed), 1);
    let bumped = pending_tx(&l1).await;
    assert_ne!(bumped.0, first.0, "replaced in the pool");
    assert!(
        bumped.1 * 100 >= first.1 * 110,
        "fee cap +10%: {first:?} -> {bumped:?}"
    );
    assert!(
        bumped.2 * 100 >= first.2 * 110,
        "tip +10%: {first:?} -> {bumped:?}"
    );
    assert_eq!(
        l1.get_transaction_count(address)
            .pending()
            .await
            .expect("nonce"),
        1
    );

    anvil(&l1, "evm_mine", ()).await;
    let mut confirmed = false;
    for _ in 0..5 {
        let events = txmgr.tick().await.expect("tick");
        if events
            .iter()
            .any(|e| matches!(e, TxEvent::Confirmed { nonce: 0, .. }))
        {
            confirmed = true;
            break;
        }
    }
    assert!(confirmed);
    let receipt = l1
        .get_transaction_receipt(bumped.0)
        .await
        .expect("receipt")
        .expect("the bumped version was mined");
    assert!(receipt.status());
    assert!(
        l1.get_transaction_receipt(first.0)
            .await
            .expect("receipt")
            .is_none()
    );
    assert_eq!(inbox_txs(&l1, address).await.len(), 1);
}

/// The one pending transaction in anvil's pool: hash, fee cap, tip.
async fn pending_tx(l1: &alloy::providers::DynProvider) -> (alloy_primitives::B256, u128, u128) {
    let content: serde_json::Value = l1
        .raw_request("txpool_content".into(), ())
        .await
        .expect("txpool_content");
    let pending = content["pending"].as_object().expect("pending");
    let txs: Vec<&serde_json::Value> = pending
        .values()
        .flat_map(|by_nonce| by_nonce.as_object().expect("by nonce").values())
        .collect();
    assert_eq!(txs.len(), 1, "{content}");
    let hex = |k: &str| {
        u128::from_str_radix(txs[0][k].as_str().expect(k).trim_start_matches("0x"), 16).expect(k)
    };
    (
        txs[0]["hash"]
            .as_str()
            .expect("hash")
            .parse()
            .expect("hash"),
        hex("maxFeePerGas"),
        hex("maxPriorityFeePerGas"),
    )
}

#[tokio::test]
async fn reorg_of_a_block_holding_an_unconfirmed_frame_is_detected() {
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    let (mut txmgr, _metrics) = manager(&node, 4).await;
    txmgr.enqueue(frames(1).remove(0));
    txmgr.tick().await.expect("tick"); // sent; automine includes it
    wait_for_receipt(&node).await;
    assert!(
        txmgr.tick().await.expect("tick").is_empty(),
        "included, depth 1 of 4"
    );
    anvil(&l1, "anvil_reorg", (1u64, Vec::<serde_json::Value>::new())).await;
    let events = txmgr.tick().await.expect("tick");
    assert!(
        matches!(
            &events[..],
            [TxEvent::Reorged {
                nonce: 0,
                block_number: 1,
                ..
            }]
        ),
        "{events:?}"
    );
    assert!(events[0].needs_rewind());
}

#[tokio::test]
async fn low_balance_stops_sending_and_funding_resumes_it() {
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    let address = signer().address();
    anvil(
        &l1,
        "anvil_setBalance",
        (address, U256::from(10_000_000_000_000_000u128)),
    )
    .await;
    let (mut txmgr, metrics) = manager(&node, 1).await;
    txmgr.enqueue(frames(1).remove(0));
    txmgr.tick().await.expect("tick");
    assert_eq!(txmgr.in_flight(), 0);
    assert_eq!(txmgr.queued(), 1);
    let message = txmgr
        .low_balance()
        .expect("stopped for low balance")
        .to_owned();
    assert!(message.contains(&address.to_string()), "{message}");
    assert!(message.contains("10000000000000000 wei"), "{message}");
    assert!(
        message.contains("holds 0.010000000000000000 ETH"),
        "{message}"
    );
    assert!(
        message.contains("at least 0.050000000000000000 ETH"),
        "{message}"
    );
    assert!(message.contains("Fund it"), "{message}");
    assert!(metrics.l1.low_balance.load(Ordering::Relaxed));
    assert!(
        metrics
            .render_prometheus()
            .contains("sprout_batcher_low_balance 1")
    );

    anvil(
        &l1,
        "anvil_setBalance",
        (address, U256::from(10u128.pow(18))),
    )
    .await;
    txmgr.tick().await.expect("tick");
    assert!(txmgr.low_balance().is_none());
    assert!(!metrics.l1.low_balance.load(Ordering::Relaxed));
    assert_eq!(txmgr.in_flight(), 1);
    let mut events = Vec::new();
    for _ in 0..50 {
        events = txmgr.tick().await.expect("tick");
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        matches!(&events[..], [TxEvent::Confirmed { nonce: 0, .. }]),
        "{events:?}"
    );
    assert_eq!(inbox_txs(&l1, address).await.len(), 1);
}

/// Waits until anvil has mined the batcher's first transaction.
async fn wait_for_receipt(node: &Anvil) {
    let l1 = provider(&node.url);
    for _ in 0..100 {
        if l1
            .get_transaction_count(signer().address())
            .await
            .expect("nonce")
            > 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("anvil did not mine the frame");
}

#[tokio::test]
async fn blob_frames_land_as_type_3_transactions_carrying_the_frames() {
    use alloy::consensus::Transaction as _;
    use sprout_protocol::batch::{batcher_tx_data, decode_blob};

    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    let l1_client = Arc::new(RpcL1::new(node.url.as_str()).expect("l1"));
    let mut config = txmgr_config(1);
    config.blobs = true;
    let mut txmgr: TxManager<RpcL1, FrameTag> = TxManager::new(
        l1_client,
        signer(),
        config,
        Arc::new(sprout_txmgr::TxMetrics::default()),
    );
    txmgr.sync_nonce().await.expect("nonce");
    let frames: Vec<Frame> = (0..2)
        .map(|number| Frame {
            id: ChannelId([8; 16]),
            number,
            data: vec![0x5a + number as u8; 100_000],
            is_last: number == 1,
        })
        .collect();
    for frame in &frames {
        txmgr.enqueue(frame_tx(frame, 1, INBOX, DataAvailability::Blobs).expect("fits a blob"));
    }
    let mut confirmed = 0;
    for _ in 0..20 {
        for event in txmgr.tick().await.expect("tick") {
            assert!(matches!(event, TxEvent::Confirmed { .. }), "{event:?}");
            confirmed += 1;
        }
        if confirmed == 2 {
            break;
        }
        anvil(&l1, "anvil_mine", (1u64,)).await;
    }
    assert_eq!(confirmed, 2);
    let landed = inbox_txs(&l1, signer().address()).await;
    assert_eq!(landed.len(), 2);
    assert!(
        landed.iter().all(|(_, data)| data.is_empty()),
        "no calldata"
    );
    // anvil serves each blob: the blob decodes to the frame's batcher-tx data.
    for (frame, (block_number, _)) in frames.iter().zip(&landed) {
        let block = l1
            .get_block_by_number((*block_number).into())
            .full()
            .await
            .expect("block")
            .expect("exists");
        let tx = block
            .transactions
            .into_transactions()
            .find(|tx| tx.inner.to() == Some(INBOX) && tx.inner.nonce() == u64::from(frame.number))
            .expect("inbox tx");
        let versioned = tx.blob_versioned_hashes().expect("type 3");
        assert_eq!(versioned.len(), 1);
        let blob: alloy_primitives::Bytes = l1
            .raw_request("anvil_getBlobByHash".into(), (versioned[0],))
            .await
            .expect("anvil serves the blob");
        assert_eq!(
            decode_blob(&blob).expect("OP encoding"),
            batcher_tx_data([frame])
        );
    }
}
