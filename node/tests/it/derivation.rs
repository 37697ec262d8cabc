//! Derivation against a real anvil L1 and real `sprout` processes: followers rebuild the
//! sequencer's chain from L1 alone.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256, address};
use serde_json::{Value, json};

use crate::{
    harness::{Node, dev_signer, quantity, sign_1559},
    rollupnet::{NetParams, ONE_ETH, RollupNet, balance},
};

/// Waits until `node`'s safe head reaches `number`; returns the safe head's number.
pub fn wait_safe(node: &Node, number: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let safe = node.call("eth_getBlockByNumber", json!(["safe", false]));
        let n = quantity(&safe["number"]);
        if n >= number {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "safe head at {n}, not {number}, after {within:?}; node logs: {}",
            std::env::var("SPROUT_TEST_LOGS")
                .unwrap_or_else(|_| "set SPROUT_TEST_LOGS=1 to keep them".into())
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn block_hash(node: &Node, number: u64) -> Value {
    node.call(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    )["hash"]
        .clone()
}

/// Every block up to `to` has the same hash on both nodes.
pub fn same_chain(a: &Node, b: &Node, to: u64) {
    for n in 0..=to {
        assert_eq!(block_hash(a, n), block_hash(b, n), "block {n} differs");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_batches_the_window_forces_deposit_only_blocks_that_carry_deposits() {
    let net = RollupNet::start_with(NetParams {
        seq_window_size: 4,
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let follower = net.follower("follower");
    // A deposit on L1: no batch will ever carry the sequencer's blocks, yet it reaches L2.
    let carol = address!("0x00000000000000000000000000000000000ca201");
    let deposit = net
        .deposit(net.portal_call(carol, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let receipt = {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = follower.call("eth_getTransactionReceipt", json!([deposit]));
            if !r.is_null() {
                break r;
            }
            assert!(
                Instant::now() < deadline,
                "the follower never derived the deposit"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(balance(&follower, carol, "latest"), U256::from(ONE_ETH));
    // A user transaction on the sequencer is never batched: the block holding it is replaced
    // by the derived deposit-only block once the window passes.
    let key = dev_signer(6);
    let raw = sign_1559(
        &key,
        0,
        Some(Address::repeat_byte(0x77)),
        U256::from(1),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    // Through the follower, which forwards it to the sequencer.
    let hash: B256 = serde_json::from_value(follower.call("eth_sendRawTransaction", json!([raw])))
        .expect("forwarded");
    let included = net.node.receipt(hash);
    let number = quantity(&included["blockNumber"]);
    let safe = wait_safe(&net.node, number, Duration::from_secs(60));
    wait_safe(&follower, safe, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
    // The follower knows what it derived: unsafe = safe, and current_l1 moves.
    let status = follower.call("optimism_syncStatus", json!([]));
    assert_eq!(status["unsafe_l2"]["number"], status["safe_l2"]["number"]);
    assert!(status["current_l1"]["number"].as_u64().unwrap_or_default() > 0);
    // The output root agrees on both nodes.
    let out_a = net
        .node
        .call("optimism_outputAtBlock", json!([format!("{safe:#x}")]));
    let out_b = follower.call("optimism_outputAtBlock", json!([format!("{safe:#x}")]));
    assert_eq!(out_a["outputRoot"], out_b["outputRoot"]);
    assert_eq!(out_a["blockRef"]["hash"], block_hash(&follower, safe));

    // The fault-proof program derives the same forced blocks: the one carrying the deposit,
    // and the one that replaced the sequencer's block with the user transaction.
    let datadir = net.dir.path().join("follower");
    for block in [quantity(&receipt["blockNumber"]), number] {
        let txs = follower.call("eth_getBlockByNumber", json!([format!("{block:#x}"), true]));
        for tx in txs["transactions"].as_array().expect("transactions") {
            assert_eq!(tx["type"], "0x7e", "block {block} is deposit-only");
        }
        for native in [true, false] {
            let proof =
                crate::fp::prove_on(&net.rollup_path, &datadir, &net.l1_url(), block, native);
            assert_eq!(proof["verdict"], "valid", "block {block}: {proof}");
        }
    }
}

/// Contract creation code: deploys a runtime that stores its first calldata word in slot 0.
fn store_contract() -> Bytes {
    let runtime = [0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00];
    let mut code = vec![0x66];
    code.extend_from_slice(&runtime);
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x07, 0x60, 0x19, 0xf3]);
    Bytes::from(code)
}

/// Sends transfers and contract calls from dev keys 1-3 (and a deposit from L1 every few
/// seconds) until `stop` is set. Returns the number of L2 transactions sent.
pub fn load(net: &RollupNet, seconds: u64) -> u64 {
    let keys: Vec<_> = (1..=3).map(dev_signer).collect();
    let mut nonces = [0u64; 3];
    // Key 1 deploys the store contract first.
    let deploy = sign_1559(
        &keys[0],
        0,
        None,
        U256::ZERO,
        200_000,
        10_000_000_000,
        1_000_000,
        store_contract(),
    );
    net.node.call("eth_sendRawTransaction", json!([deploy]));
    nonces[0] = 1;
    let contract = keys[0].address().create(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut sent = 1u64;
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        for (i, key) in keys.iter().enumerate() {
            let (to, input) = if i == 0 {
                let mut word = [0u8; 32];
                word[24..].copy_from_slice(&round.to_be_bytes());
                (contract, Bytes::from(word.to_vec()))
            } else {
                (Address::repeat_byte(round as u8), Bytes::new())
            };
            let raw = sign_1559(
                key,
                nonces[i],
                Some(to),
                U256::from(round),
                100_000,
                10_000_000_000,
                1_000_000,
                input,
            );
            let response = net.node.raw("eth_sendRawTransaction", json!([raw]));
            if response.get("result").is_some() {
                nonces[i] += 1;
                sent += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    sent
}

/// Garbage from the batcher's own key, and a well-formed channel from a stranger that would
/// replace block 1: both must be ignored.
async fn post_hostile_data(net: &RollupNet) {
    use alloy::{network::EthereumWallet, providers::Provider, providers::ProviderBuilder};
    use sprout_protocol::batch::{ChannelId, ChannelOut, SingularBatch, batcher_tx_data};
    let inbox = net.addresses.batch_inbox;
    let batcher = ProviderBuilder::new()
        .wallet(EthereumWallet::from(crate::rollupnet::batcher_key()))
        .connect_http(net.l1_url().parse().expect("url"));
    for garbage in [
        vec![0u8, 1, 2, 3],
        vec![1u8; 64],
        [
            vec![0u8],
            vec![0xee; 16],
            vec![0, 0],
            vec![0xff, 0xff, 0xff, 0xff],
        ]
        .concat(),
    ] {
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(inbox)
            .input(Bytes::from(garbage).into());
        let receipt = batcher
            .send_transaction(tx)
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
    }
    let genesis = net.node.call("eth_getBlockByNumber", json!(["0x0", false]));
    let rollup = net.node.call("optimism_rollupConfig", json!([]));
    let forged = SingularBatch {
        parent_hash: serde_json::from_value(genesis["hash"].clone()).expect("hash"),
        epoch_num: rollup["genesis"]["l1"]["number"].as_u64().expect("number"),
        epoch_hash: serde_json::from_value(rollup["genesis"]["l1"]["hash"].clone()).expect("hash"),
        timestamp: quantity(&genesis["timestamp"]) + 1,
        transactions: vec![sign_1559(
            &dev_signer(7),
            0,
            Some(Address::repeat_byte(0x99)),
            U256::from(1),
            21_000,
            10_000_000_000,
            1_000_000,
            Bytes::new(),
        )],
    };
    let mut channel = ChannelOut::new(ChannelId([0x5a; 16]));
    channel.add_batch(&forged).expect("batch");
    let data = batcher_tx_data(channel.into_frames(100_000).expect("frames").iter());
    let receipt = net
        .l1_send(
            alloy::rpc::types::TransactionRequest::default()
                .to(inbox)
                .input(Bytes::from(data).into()),
        )
        .await;
    assert!(receipt.status());
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_rebuild_the_sequencers_chain_from_l1_hash_for_hash() {
    let mut net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    post_hostile_data(&net).await;
    let _batcher = net.batcher();
    let follower = net.follower("follower");
    // Deposits land among the load.
    let dave = address!("0x00000000000000000000000000000000000da4e0");
    let mut deposits = Vec::new();
    for _ in 0..2 {
        deposits.push(
            net.deposit(net.portal_call(dave, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
                .await,
        );
    }
    let sent = load(&net, 150);
    // Let the last of the load be included.
    std::thread::sleep(Duration::from_secs(3));
    for deposit in &deposits {
        assert_eq!(net.l2_receipt(*deposit)["status"], "0x1");
    }
    let head = net.node.block_number();
    assert!(head >= 150, "only {head} blocks");
    // The follower's safe head reaches the sequencer's head of the end of the load, block for
    // block the same, and the sequencer's own safe head does too.
    let safe = wait_safe(&follower, head, Duration::from_secs(120));
    wait_safe(&net.node, head, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
    let sequencer_block = net
        .node
        .call("eth_getBlockByNumber", json!([format!("{safe:#x}"), false]));
    let follower_block =
        follower.call("eth_getBlockByNumber", json!([format!("{safe:#x}"), false]));
    assert_eq!(sequencer_block["stateRoot"], follower_block["stateRoot"]);
    let txs: u64 = (1..=safe)
        .map(|n| {
            follower.call(
                "eth_getBlockTransactionCountByNumber",
                json!([format!("{n:#x}")]),
            )
        })
        .map(|c| quantity(&c))
        .sum();
    assert!(
        txs >= sent + safe,
        "{txs} transactions derived, {sent} sent"
    );
    assert_eq!(balance(&follower, dave, "safe"), U256::from(2 * ONE_ETH));
    // `finalized` follows L1 finality (anvil finalizes 64 blocks behind its head): over 150 s
    // of 1 s L1 blocks it has moved, stays behind safe, and is the same block on both nodes.
    let finalized = follower.call("eth_getBlockByNumber", json!(["finalized", false]));
    let number = quantity(&finalized["number"]);
    assert!(
        number > 0 && number <= safe,
        "finalized {number}, safe {safe}"
    );
    assert_eq!(finalized["hash"], block_hash(&net.node, number));

    // The sequencer goes away. A new follower, from the files and L1 alone, reaches the same
    // safe head.
    net.node.kill();
    let alone = net.node_on("alone", &[]);
    wait_safe(&alone, safe, Duration::from_secs(120));
    assert_eq!(block_hash(&alone, safe), block_hash(&follower, safe));
    // It has no sequencer to forward to, and says so.
    let (_, message) = alone.error("eth_sendRawTransaction", json!(["0x02"]));
    assert!(message.contains("--rollup.sequencer-http"), "{message}");
}

/// The timestamps of every batch in a complete channel the batcher posted, in L1 order.
async fn posted_batches(net: &RollupNet) -> Vec<u64> {
    use alloy::{consensus::Transaction as _, providers::Provider};
    use sprout_protocol::batch::{ChannelAssembler, ChannelReader, MAX_RLP_BYTES_PER_CHANNEL};
    let rollup: sprout_protocol::rollup::RollupConfig =
        serde_json::from_slice(&std::fs::read(&net.rollup_path).expect("rollup.json"))
            .expect("rollup config");
    let batcher = crate::rollupnet::batcher_key().address();
    let mut assembler = ChannelAssembler::from_rollup_config(&rollup);
    let mut out = Vec::new();
    let head = net.l1.get_block_number().await.expect("head");
    for number in 0..=head {
        let block = net
            .l1
            .get_block_by_number(number.into())
            .full()
            .await
            .expect("rpc")
            .expect("block");
        for tx in block.transactions.txns() {
            if tx.inner.to() != Some(net.addresses.batch_inbox) || tx.inner.signer() != batcher {
                continue;
            }
            let Ok(channels) = assembler.ingest_batcher_tx(tx.inner.input(), number) else {
                continue;
            };
            for channel in channels {
                let reader =
                    ChannelReader::new(&channel.data, MAX_RLP_BYTES_PER_CHANNEL).expect("reader");
                out.extend(reader.map(|b| b.expect("batch").timestamp));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batcher_killed_mid_channel_loses_and_repeats_no_block() {
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let follower = net.follower("follower");
    let mut batcher = net.batcher();
    load(&net, 12);
    batcher.kill();
    let killed_at = net.node.block_number();
    load_more(&net, 4, 6);
    let _batcher = net.batcher();
    load_more(&net, 5, 12);
    std::thread::sleep(Duration::from_secs(2));
    let head = net.node.block_number();
    assert!(head > killed_at);
    let safe = wait_safe(&follower, head, Duration::from_secs(120));
    same_chain(&net.node, &follower, safe);
    // Every block was posted in exactly one complete channel.
    let posted = posted_batches(&net).await;
    let mut sorted = posted.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        posted.len(),
        "a block was posted twice: {posted:?}"
    );
    let genesis_time =
        quantity(&net.node.call("eth_getBlockByNumber", json!(["0x0", false]))["timestamp"]);
    let expected: Vec<u64> = (1..=safe).map(|n| genesis_time + n).collect();
    assert_eq!(
        &sorted[..safe as usize],
        &expected[..],
        "blocks missing from L1"
    );
}

/// Transfers from dev key `key` (one `load` does not use: its nonces start at 0).
fn load_more(net: &RollupNet, key: u32, seconds: u64) {
    let key = dev_signer(key);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut nonce = 0u64;
    while Instant::now() < deadline {
        let raw = sign_1559(
            &key,
            nonce,
            Some(Address::repeat_byte(0x42)),
            U256::from(1),
            21_000,
            10_000_000_000,
            1_000_000,
            Bytes::new(),
        );
        if net
            .node
            .raw("eth_sendRawTransaction", json!([raw]))
            .get("result")
            .is_some()
        {
            nonce += 1;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deposit_reaches_l2_while_the_sequencer_is_silent_and_it_then_adopts_the_derived_chain() {
    let mut net = RollupNet::start_with(NetParams {
        seq_window_size: 5,
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let follower = net.follower("follower");
    let _batcher = net.batcher();
    load_more(&net, 4, 5);
    let head = net.node.block_number();
    wait_safe(&follower, head, Duration::from_secs(60));

    // The sequencer goes silent for well over the window (5 L1 blocks of 1 s).
    net.node.kill();
    let erin = address!("0x00000000000000000000000000000000000e4120");
    let deposit = net
        .deposit(net.portal_call(erin, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let derived = {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let r = follower.call("eth_getTransactionReceipt", json!([deposit]));
            if !r.is_null() {
                break r;
            }
            assert!(Instant::now() < deadline, "the deposit was withheld");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    assert_eq!(derived["status"], "0x1");
    std::thread::sleep(Duration::from_secs(3));

    // Back: the sequencer adopts the derived chain, deposit included, and goes on.
    net.restart_sequencer();
    let number = quantity(&derived["blockNumber"]);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = net.node.call("eth_getTransactionReceipt", json!([deposit]));
        if r["blockHash"] == derived["blockHash"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sequencer did not adopt the derived chain"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(balance(&net.node, erin, "latest"), U256::from(ONE_ETH));
    load_more(&net, 5, 4);
    let head = net.node.block_number();
    assert!(head > number);
    let safe = wait_safe(&follower, head, Duration::from_secs(90));
    same_chain(&net.node, &follower, safe);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l1_reorg_of_batches_and_a_deposit_is_followed_by_everyone() {
    use alloy::providers::Provider;
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let follower = net.follower("follower");
    let _batcher = net.batcher();
    load_more(&net, 4, 6);
    let safe_before = wait_safe(&follower, net.node.block_number(), Duration::from_secs(60));
    // A deposit, then more blocks batched on top of it.
    let frank = address!("0x0000000000000000000000000000000000f4a2c0");
    let l1_before = net.l1.get_block_number().await.expect("l1 head");
    let deposit = net
        .deposit(net.portal_call(frank, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    assert_eq!(net.l2_receipt(deposit)["status"], "0x1");
    load_more(&net, 5, 4);
    wait_safe(&follower, safe_before + 3, Duration::from_secs(60));
    // L1 drops every block since before the deposit: batches and the deposit with them.
    let l1_head = net.l1.get_block_number().await.expect("l1 head");
    let depth = l1_head - l1_before;
    net.l1
        .raw_request::<_, ()>("anvil_reorg".into(), (depth, Vec::<Value>::new()))
        .await
        .expect("anvil_reorg");
    // Everyone follows: the deposit is gone on both, and the chains agree again.
    load_more(&net, 6, 6);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let gone = net
            .node
            .call("eth_getTransactionReceipt", json!([deposit]))
            .is_null()
            && follower
                .call("eth_getTransactionReceipt", json!([deposit]))
                .is_null();
        if gone {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reorged deposit is still on L2"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(balance(&follower, frank, "latest"), U256::ZERO);
    let head = net.node.block_number();
    let safe = wait_safe(&follower, head, Duration::from_secs(120));
    wait_safe(&net.node, head, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
}

#[tokio::test(flavor = "multi_thread")]
async fn blobs_mode_followers_derive_the_sequencers_chain_from_blob_batches() {
    use alloy::{consensus::Transaction as _, providers::Provider};
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher_with(&["--da", "blobs"]);
    let follower = net.follower_with("follower", &[]);
    // Without --l1.beacon a node cannot read the blobs: it stays at genesis, and says why.
    let blind = net.node_on("blind", &[]);
    load(&net, 30);
    std::thread::sleep(Duration::from_secs(3));
    let head = net.node.block_number();
    assert!(head >= 30, "only {head} blocks");
    let safe = wait_safe(&follower, head, Duration::from_secs(120));
    wait_safe(&net.node, head, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
    let status = blind.call("optimism_syncStatus", json!([]));
    assert_eq!(status["safe_l2"]["number"], 0, "derived without blobs?");
    // Every batcher transaction on L1 is a blob transaction without calldata.
    let batcher = crate::rollupnet::batcher_key().address();
    let l1_head = net.l1.get_block_number().await.expect("head");
    let mut blob_txs = 0;
    for number in 0..=l1_head {
        let block = net
            .l1
            .get_block_by_number(number.into())
            .full()
            .await
            .expect("rpc")
            .expect("block");
        for tx in block.transactions.into_transactions() {
            if tx.inner.to() != Some(net.addresses.batch_inbox) || tx.inner.signer() != batcher {
                continue;
            }
            assert!(
                tx.inner.is_eip4844(),
                "batcher tx {} is not a blob tx",
                tx.inner.tx_hash()
            );
            assert!(tx.inner.input().is_empty(), "calldata in a blob tx");
            assert_eq!(tx.inner.blob_versioned_hashes().map(<[_]>::len), Some(1));
            blob_txs += 1;
        }
    }
    assert!(blob_txs > 0, "no blob batches on L1");

    // The fault-proof program derives a block from blob batches too, natively and in the VM:
    // it reads each blob's commitment (key type 4) and field elements (type 5) through the
    // oracle, and refuses a wrong root for the block.
    let datadir = net.dir.path().join("follower");
    let block = 12;
    let beacon = net.l1_url();
    let extra = ["--l1.beacon", beacon.as_str()];
    for native in [true, false] {
        let proof = crate::fp::prove_on_with(
            &net.rollup_path,
            &datadir,
            &net.l1_url(),
            block,
            native,
            &extra,
        );
        assert_eq!(proof["verdict"], "valid", "block {block}: {proof}");
        assert!(
            proof["preimages"].as_u64().unwrap_or_default() > 4096,
            "the blobs' field elements are read: {proof}"
        );
        eprintln!(
            "blob-derived block {block}: {} preimages, {} bytes, steps {}, {} s ({})",
            proof["preimages"],
            proof["preimageBytes"],
            proof["steps"],
            proof["seconds"],
            if native { "native" } else { "VM" }
        );
    }
    let wrong = format!("{}", B256::repeat_byte(0x11));
    let claim = ["--l1.beacon", beacon.as_str(), "--claim", wrong.as_str()];
    let proof = crate::fp::prove_on_with(
        &net.rollup_path,
        &datadir,
        &net.l1_url(),
        block,
        true,
        &claim,
    );
    assert_eq!(proof["verdict"], "invalid", "{proof}");
}

#[tokio::test(flavor = "multi_thread")]
async fn systemconfig_updates_rotate_the_batcher_change_the_l1_fee_scalars_and_the_gas_limit() {
    use alloy::{providers::Provider, sol_types::SolCall};
    use sprout_contracts::SystemConfig;
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let follower = net.follower("follower");
    let mut old = net.batcher();
    load_more(&net, 4, 4);
    wait_safe(&follower, net.node.block_number(), Duration::from_secs(60));

    // The owner rotates the batcher to dev key 8 and sets new fee scalars.
    let new_key = dev_signer(8);
    let system_config = net.addresses.system_config;
    let owner_call = |input: Vec<u8>| {
        alloy::rpc::types::TransactionRequest::default()
            .to(system_config)
            .input(Bytes::from(input).into())
    };
    let rotate = SystemConfig::setBatcherHashCall {
        _batcherHash: B256::left_padding_from(new_key.address().as_slice()),
    };
    assert!(net.l1_send(owner_call(rotate.abi_encode())).await.status());
    let scalars = SystemConfig::setGasConfigEcotoneCall {
        _basefeeScalar: 7,
        _blobbasefeeScalar: 9,
    };
    let receipt = net.l1_send(owner_call(scalars.abi_encode())).await;
    assert!(receipt.status());
    let update_block = receipt.block_number.expect("block");

    // A transaction above the genesis gas limit (30M) cannot be included yet.
    let big_sender = dev_signer(7);
    let big = || {
        sign_1559(
            &big_sender,
            0,
            Some(Address::repeat_byte(0x43)),
            U256::from(1),
            40_000_000,
            10_000_000_000,
            1_000_000,
            Bytes::new(),
        )
    };
    let (_, message) = net.node.error("eth_sendRawTransaction", json!([big()]));
    assert!(message.contains("exceeds block gas limit"), "{message}");
    // The owner raises the L2 gas limit to 45M.
    let raise = SystemConfig::setGasLimitCall {
        _gasLimit: 45_000_000,
    };
    let receipt = net.l1_send(owner_call(raise.abi_encode())).await;
    assert!(receipt.status());
    let gas_update_block = receipt.block_number.expect("block");

    // The old key is refused now, before it sends anything, with what to do.
    old.kill();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["batcher", "--chain", &net.rollup_path.display().to_string()])
        .args(["--l1.rpc-url", &net.l1_url(), "--l2.rpc-url", &net.node.url])
        .env(
            "SPROUT_BATCHER_KEY",
            format!(
                "{}",
                B256::from_slice(&crate::rollupnet::batcher_key().to_bytes()[..])
            ),
        )
        .output()
        .expect("run");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("setBatcherHash"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The new batcher's data counts; the chain goes on safe, on both nodes alike.
    let _new = net.batcher_keyed(&new_key, &[]);
    load_more(&net, 5, 6);
    // Once the head's epoch is the update's, the pool takes the 40M-gas transaction.
    let deadline = Instant::now() + Duration::from_secs(60);
    while quantity(
        &net.node
            .call("eth_getBlockByNumber", json!(["latest", false]))["gasLimit"],
    ) != 45_000_000
    {
        assert!(Instant::now() < deadline, "the gas limit never rose");
        std::thread::sleep(Duration::from_millis(200));
    }
    let big_hash: B256 = net
        .node
        .call("eth_sendRawTransaction", json!([big()]))
        .as_str()
        .expect("hash")
        .parse()
        .expect("hash");
    let big_receipt = net.node.receipt(big_hash);
    let head = net.node.block_number();
    let safe = wait_safe(&follower, head, Duration::from_secs(90));
    wait_safe(&net.node, head, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
    assert_eq!(
        follower.call("eth_getTransactionReceipt", json!([big_hash]))["blockHash"],
        big_receipt["blockHash"]
    );
    // Every block's gas limit is the SystemConfig's as of its L1 origin, on both nodes (their
    // hashes match above): 30M before the update's L1 block, 45M from its epoch on.
    let l1_block = address!("0x4200000000000000000000000000000000000015");
    let (mut before, mut after) = (0, 0);
    for n in 1..=safe {
        let tag = format!("{n:#x}");
        let header = follower.call("eth_getBlockByNumber", json!([tag, false]));
        // L1Block.number()
        let origin = quantity(&follower.call(
            "eth_call",
            json!([{ "to": l1_block, "data": "0x8381f58a" }, tag]),
        ));
        let expected = if origin >= gas_update_block {
            after += 1;
            45_000_000
        } else {
            before += 1;
            30_000_000
        };
        assert_eq!(
            quantity(&header["gasLimit"]),
            expected,
            "block {n} (origin {origin}, update in L1 block {gas_update_block})"
        );
    }
    assert!(
        before > 0 && after > 0,
        "{before} blocks before, {after} after"
    );
    // Blocks of epochs from the update on carry the new scalars (L1Block.baseFeeScalar()).
    let l1_block = address!("0x4200000000000000000000000000000000000015");
    let base_fee_scalar = follower.call(
        "eth_call",
        json!([{ "to": l1_block, "data": "0xc5985918" }, "safe"]),
    );
    assert_eq!(
        U256::from_str_radix(
            base_fee_scalar
                .as_str()
                .expect("word")
                .trim_start_matches("0x"),
            16
        )
        .expect("number"),
        U256::from(7),
        "update in L1 block {update_block}"
    );
    let _ = net.l1.get_block_number().await;
}
