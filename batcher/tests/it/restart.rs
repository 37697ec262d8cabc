//! A restart and an L1 reorg against anvil, with a sequencer double that derives its safe head
//! from the inbox (the protocol's channel assembler and reader): every block ends up in exactly
//! one complete channel, however the first batcher was stopped and whatever L1 dropped.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::providers::{DynProvider, Provider};
use alloy_primitives::Address;
use sprout_batcher::{
    Batcher, L2Block, L2Source, Metrics, Result, RpcL1, SyncStatus,
    l2::{L1Ref, L2Ref},
    run_batcher,
};
use sprout_protocol::batch::{
    ChannelAssembler, ChannelReader, MAX_RLP_BYTES_PER_CHANNEL, SingularBatch,
};

use crate::{
    anvil::Anvil,
    harness::{FakeSequencer, anvil, batcher_config, inbox_txs, provider, signer},
};

/// The batches of every complete channel in the inbox, in L1 order.
async fn derived_batches(l1: &DynProvider, batcher: Address, timeout: u64) -> Vec<SingularBatch> {
    let mut assembler = ChannelAssembler::new(timeout, MAX_RLP_BYTES_PER_CHANNEL);
    let mut batches = Vec::new();
    for (block, data) in inbox_txs(l1, batcher).await {
        let Ok(channels) = assembler.ingest_batcher_tx(&data, block) else {
            continue;
        };
        for channel in channels {
            let Ok(mut reader) = ChannelReader::new(&channel.data, MAX_RLP_BYTES_PER_CHANNEL)
            else {
                continue;
            };
            while let Some(Ok(batch)) = reader.next_batch() {
                batches.push(batch);
            }
        }
    }
    batches
}

/// A sequencer whose derivation reads the inbox: the safe head is the longest run of batches,
/// in L1 order, that extends it.
struct DerivingSequencer {
    chain: Arc<FakeSequencer>,
    l1: DynProvider,
    batcher: Address,
    safe: Mutex<u64>,
}

impl DerivingSequencer {
    async fn derive(&self) -> (u64, u64) {
        let head = self.l1.get_block_number().await.expect("L1 head");
        let batches = derived_batches(&self.l1, self.batcher, 300).await;
        let blocks = self.chain.blocks.lock().expect("lock").clone();
        let mut safe = 0usize;
        for batch in batches {
            if let Some(next) = blocks.get(safe + 1)
                && batch.parent_hash == blocks[safe].hash
                && batch.timestamp == next.timestamp
            {
                safe += 1;
            }
        }
        *self.safe.lock().expect("lock") = safe as u64;
        (safe as u64, head)
    }
}

fn l2_ref(block: &L2Block) -> L2Ref {
    L2Ref {
        hash: block.hash,
        number: block.number,
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
        ..Default::default()
    }
}

impl L2Source for DerivingSequencer {
    async fn sync_status(&self) -> Result<SyncStatus> {
        let (safe, l1_head) = self.derive().await;
        let blocks = self.chain.blocks.lock().expect("lock");
        let head = blocks.last().map(l2_ref).unwrap_or_default();
        let safe = blocks.get(safe as usize).map(l2_ref).unwrap_or_default();
        Ok(SyncStatus {
            current_l1: Some(L1Ref {
                number: l1_head,
                ..Default::default()
            }),
            head_l1: None,
            unsafe_l2: head,
            safe_l2: safe,
            finalized_l2: safe,
        })
    }

    async fn block(&self, number: u64) -> Result<Option<L2Block>> {
        self.chain.block(number).await
    }
}

#[tokio::test]
async fn restart_resumes_from_the_derived_safe_head_without_posting_a_batch_twice() {
    const BLOCKS: u64 = 40;
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    // L1 makes a block every 100 ms unless paused (and none on a transaction's arrival).
    anvil(&l1, "evm_setAutomine", (false,)).await;
    let paused = Arc::new(AtomicBool::new(false));
    let miner = {
        let l1 = l1.clone();
        let paused = paused.clone();
        tokio::spawn(async move {
            loop {
                if !paused.load(Ordering::Relaxed) {
                    anvil(&l1, "anvil_mine", (1u64,)).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mut config = batcher_config(&node.url);
    config.max_frame_size = 300;
    config.target_frames_per_channel = 2;
    config.max_channel_duration = 2;
    config.confirmations = 2;
    config.poll_interval = Duration::from_millis(50);
    config.validate().expect("valid");
    let chain = FakeSequencer::with_blocks(BLOCKS);
    let sequencer = || DerivingSequencer {
        chain: chain.clone(),
        l1: l1.clone(),
        batcher: signer().address(),
        safe: Mutex::new(0),
    };

    // The first batcher is stopped once a few frames are confirmed, mid-way.
    let metrics = Arc::new(Metrics::default());
    let rpc = Arc::new(RpcL1::new(node.url.as_str()).expect("l1"));
    let first = Batcher::new(rpc.clone(), sequencer(), &config, metrics.clone());
    let stop_metrics = metrics.clone();
    let pause = paused.clone();
    let l1_watch = l1.clone();
    let stop = async move {
        loop {
            if stop_metrics.l1.txs_confirmed.load(Ordering::Relaxed) >= 3 {
                // Stop L1 mining at a moment some frames are pending, and the batcher with it.
                pause.store(true, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(150)).await;
                let address = signer().address();
                let pending = l1_watch
                    .get_transaction_count(address)
                    .pending()
                    .await
                    .expect("nonce");
                let mined = l1_watch
                    .get_transaction_count(address)
                    .await
                    .expect("nonce");
                if pending > mined {
                    return;
                }
                pause.store(false, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        run_batcher(first, config.poll_interval, stop),
    )
    .await
    .expect("first batcher stopped with frames pending")
    .expect("first batcher");
    let sent_by_first = metrics.l1.txs_sent.load(Ordering::Relaxed);
    let confirmed_by_first = metrics.l1.txs_confirmed.load(Ordering::Relaxed);
    assert!(
        sent_by_first > confirmed_by_first,
        "stopped with frames in flight"
    );
    let pending = l1
        .get_transaction_count(signer().address())
        .pending()
        .await
        .expect("nonce");
    let mined = l1
        .get_transaction_count(signer().address())
        .await
        .expect("nonce");
    assert!(pending > mined, "stopped with frames pending");
    let watcher = sequencer();
    let (safe_after_first, _) = watcher.derive().await;
    assert!(safe_after_first < BLOCKS, "stopped mid-way");

    // The second one starts while the first one's frames are pending, and L1 resumes mining
    // a little later. It runs until the sequencer has derived every block.
    let second = Batcher::new(rpc, sequencer(), &config, Arc::new(Metrics::default()));
    let resume = paused.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        resume.store(false, Ordering::Relaxed);
    });
    tokio::time::timeout(
        Duration::from_secs(120),
        run_batcher(second, config.poll_interval, async {
            while watcher.derive().await.0 < BLOCKS {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }),
    )
    .await
    .expect("all blocks derived in time")
    .expect("second batcher");
    miner.abort();

    let batches = derived_batches(&l1, signer().address(), 300).await;
    let blocks = chain.blocks.lock().expect("lock").clone();
    let mut seen = vec![0u32; blocks.len()];
    for batch in &batches {
        let number = blocks
            .iter()
            .position(|b| b.hash == batch.parent_hash)
            .expect("batch on a known block")
            + 1;
        seen[number] += 1;
    }
    assert_eq!(seen[0], 0);
    assert!(
        seen[1..].iter().all(|&n| n == 1),
        "each block in exactly one complete channel: {seen:?}"
    );
}

#[tokio::test]
async fn l1_reorg_of_unconfirmed_frames_rewinds_and_every_block_still_lands_once() {
    const BLOCKS: u64 = 40;
    let node = Anvil::start().await;
    let l1 = provider(&node.url);
    anvil(&l1, "evm_setAutomine", (false,)).await;
    let paused = Arc::new(AtomicBool::new(false));
    let miner = {
        let l1 = l1.clone();
        let paused = paused.clone();
        tokio::spawn(async move {
            loop {
                if !paused.load(Ordering::Relaxed) {
                    anvil(&l1, "anvil_mine", (1u64,)).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mut config = batcher_config(&node.url);
    config.max_frame_size = 300;
    config.target_frames_per_channel = 2;
    config.max_channel_duration = 2;
    config.confirmations = 4;
    config.poll_interval = Duration::from_millis(50);
    config.validate().expect("valid");
    let chain = FakeSequencer::with_blocks(BLOCKS);
    let sequencer = || DerivingSequencer {
        chain: chain.clone(),
        l1: l1.clone(),
        batcher: signer().address(),
        safe: Mutex::new(0),
    };
    let metrics = Arc::new(Metrics::default());
    let rpc = Arc::new(RpcL1::new(node.url.as_str()).expect("l1"));
    let batcher = Batcher::new(rpc, sequencer(), &config, metrics.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(run_batcher(batcher, config.poll_interval, async move {
        let _ = stop_rx.await;
    }));

    // Once a frame is included but not yet confirmed, L1 drops the last two blocks.
    let address = signer().address();
    let mut reorged = false;
    for _ in 0..600 {
        paused.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let mined = l1.get_transaction_count(address).await.expect("nonce");
        let confirmed = metrics.l1.txs_confirmed.load(Ordering::Relaxed);
        let head = l1.get_block_number().await.expect("head");
        let last_two_hold_a_frame = inbox_txs(&l1, address)
            .await
            .iter()
            .any(|(block, _)| *block + 1 >= head);
        if confirmed >= 2 && mined > confirmed && last_two_hold_a_frame {
            anvil(&l1, "anvil_reorg", (2u64, Vec::<serde_json::Value>::new())).await;
            reorged = true;
        }
        paused.store(false, Ordering::Relaxed);
        if reorged {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        reorged,
        "found no moment with an unconfirmed frame to reorg"
    );

    let watcher = sequencer();
    tokio::time::timeout(Duration::from_secs(120), async {
        while watcher.derive().await.0 < BLOCKS {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("every block derived after the reorg");
    let _ = stop_tx.send(());
    running.await.expect("join").expect("batcher");
    miner.abort();
    assert!(
        metrics.rewinds.load(Ordering::Relaxed) >= 1,
        "{}",
        metrics.render_prometheus()
    );

    let batches = derived_batches(&l1, address, 300).await;
    let blocks = chain.blocks.lock().expect("lock").clone();
    let mut seen = vec![0u32; blocks.len()];
    for batch in &batches {
        let number = blocks
            .iter()
            .position(|b| b.hash == batch.parent_hash)
            .expect("batch on a known block")
            + 1;
        seen[number] += 1;
    }
    assert!(
        seen[1..].iter().all(|&n| n == 1),
        "each block in exactly one complete channel: {seen:?}"
    );
}
