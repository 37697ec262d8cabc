//! Derivation against a real anvil L1 and real `sprout` processes: followers rebuild the
//! sequencer's chain from L1 alone.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256, address};
use serde_json::{Value, json};

use crate::{
    harness::{Node, dev_signer, quantity, sign_1559},
    rollup::{NetParams, ONE_ETH, RollupNet, balance},
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
            "safe head at {n}, not {number}, after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn block_hash(node: &Node, number: u64) -> Value {
    node.call("eth_getBlockByNumber", json!([format!("{number:#x}"), false]))["hash"].clone()
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
            assert!(Instant::now() < deadline, "the follower never derived the deposit");
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
    let out_a = net.node.call("optimism_outputAtBlock", json!([format!("{safe:#x}")]));
    let out_b = follower.call("optimism_outputAtBlock", json!([format!("{safe:#x}")]));
    assert_eq!(out_a["outputRoot"], out_b["outputRoot"]);
    assert_eq!(out_a["blockRef"]["hash"], block_hash(&follower, safe));
}
