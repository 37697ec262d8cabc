//! The whole batcher (driver, channels, transaction manager) against anvil: what lands in the
//! inbox decodes back, with the protocol's own channel assembler, to the sequencer's blocks.

use std::{sync::Arc, sync::atomic::Ordering, time::Duration};

use sprout_batcher::{Batcher, BatcherError, Metrics, Phase, RpcL1, run};
use sprout_protocol::batch::{
    ChannelAssembler, ChannelReader, MAX_RLP_BYTES_PER_CHANNEL, parse_frames,
};

use crate::{
    anvil::Anvil,
    harness::{FakeSequencer, Shared, anvil, batcher_config, inbox_txs, provider, signer},
};

#[tokio::test]
async fn batches_in_the_inbox_decode_back_to_the_sequencers_blocks() {
    let node = Anvil::start().await;
    let l1_provider = provider(&node.url);
    let mut config = batcher_config(&node.url);
    config.max_frame_size = 400;
    config.target_frames_per_channel = 3;
    config.max_channel_duration = 2;
    config.confirmations = 2;
    config.validate().expect("valid");
    let l1 = Arc::new(RpcL1::new(node.url.as_str()).expect("l1"));
    let l2 = FakeSequencer::with_blocks(30);
    *l2.safe.lock().expect("lock") = 0;
    let metrics = Arc::new(Metrics::default());
    let mut batcher = Batcher::new(l1, Shared(l2.clone()), &config, metrics.clone());
    let mut done = false;
    for _ in 0..100 {
        batcher.step().await.expect("step");
        if batcher.phase() == Phase::Batching && l2.derived_l1.lock().expect("lock").is_none() {
            // This sequencer derives nothing: its derivation stays where the batcher started.
            let head = alloy::providers::Provider::get_block_number(&l1_provider)
                .await
                .expect("head");
            *l2.derived_l1.lock().expect("lock") = Some(head);
        }
        anvil(&l1_provider, "anvil_mine", (1u64,)).await;
        if batcher.phase() == Phase::Batching
            && metrics.blocks_batched.load(Ordering::Relaxed) == 30
            && batcher.txmgr().queued() == 0
            && batcher.txmgr().in_flight() == 0
        {
            done = true;
            break;
        }
    }
    assert!(
        done,
        "batcher did not post and confirm everything: {}",
        metrics.render_prometheus()
    );

    let txs = inbox_txs(&l1_provider, signer().address()).await;
    let sent = metrics.l1.txs_sent.load(Ordering::Relaxed);
    assert_eq!(txs.len() as u64, sent);
    assert_eq!(metrics.l1.txs_confirmed.load(Ordering::Relaxed), sent);
    assert!(metrics.channels_closed.load(Ordering::Relaxed) >= 2);
    let mut assembler =
        ChannelAssembler::new(config.rollup.channel_timeout, MAX_RLP_BYTES_PER_CHANNEL);
    let mut batches = Vec::new();
    for (l1_block, data) in &txs {
        assert!(data.len() <= config.max_frame_size + 1);
        assert_eq!(
            parse_frames(data).expect("frames").len(),
            1,
            "one frame per transaction"
        );
        for channel in assembler
            .ingest_batcher_tx(data, *l1_block)
            .expect("ingest")
        {
            let mut reader =
                ChannelReader::new(&channel.data, MAX_RLP_BYTES_PER_CHANNEL).expect("reader");
            while let Some(batch) = reader.next_batch() {
                batches.push(batch.expect("batch"));
            }
        }
    }
    let blocks = l2.blocks.lock().expect("lock").clone();
    assert_eq!(batches.len(), 30, "every block from safe + 1, once");
    for (batch, block) in batches.iter().zip(&blocks[1..]) {
        assert_eq!(batch.parent_hash, block.parent_hash);
        assert_eq!(batch.timestamp, block.timestamp);
        assert_eq!(
            (batch.epoch_num, batch.epoch_hash),
            (block.epoch_num, block.epoch_hash)
        );
        assert_eq!(batch.transactions, block.transactions);
    }
    assert_eq!(
        metrics.l1.l1_bytes_posted.load(Ordering::Relaxed),
        txs.iter().map(|(_, d)| d.len() as u64).sum::<u64>()
    );
}

#[tokio::test]
async fn run_refuses_a_wrong_l1_or_key_before_sending_anything() {
    let node = Anvil::start().await;
    let l1_provider = provider(&node.url);
    let never = std::future::pending::<()>();

    let mut config = batcher_config(&node.url);
    config.rollup.l1_chain_id = 1;
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        run(config, Arc::new(Metrics::default()), never),
    )
    .await
    .expect("returns at once")
    .expect_err("wrong L1");
    assert!(
        matches!(&err, BatcherError::Config(m) if m.contains("31337")),
        "{err}"
    );

    let mut config = batcher_config(&node.url);
    config.signer = alloy_signer_local::PrivateKeySigner::random();
    let err = run(config, Arc::new(Metrics::default()), std::future::pending())
        .await
        .expect_err("wrong key");
    assert!(matches!(err, BatcherError::WrongBatcherKey { .. }), "{err}");

    let mut config = batcher_config(&node.url);
    config.da = sprout_batcher::DataAvailability::Blobs;
    config.max_frame_size = sprout_batcher::config::MAX_BLOB_FRAME_SIZE + 1;
    let err = run(config, Arc::new(Metrics::default()), std::future::pending())
        .await
        .expect_err("frame too large for a blob");
    assert!(
        matches!(&err, BatcherError::Config(m) if m.contains("blob")),
        "{err}"
    );

    assert!(inbox_txs(&l1_provider, signer().address()).await.is_empty());
}

#[tokio::test]
async fn run_stops_on_shutdown() {
    let node = Anvil::start().await;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let config = batcher_config(&node.url);
    let handle = tokio::spawn(run(config, Arc::new(Metrics::default()), async move {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !handle.is_finished(),
        "keeps running (the L2 RPC is down: it retries)"
    );
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean stop");
}
