//! `sprout node --prune N`: state older than the last N blocks is refused over JSON-RPC with
//! a message saying why, recent state is served, and a restart without `--prune` does not
//! claim the history it dropped.

use serde_json::json;

use crate::harness::*;

fn assert_pruned(node: &Node, method: &str, params: serde_json::Value, number: u64) {
    let (code, msg) = node.error(method, params);
    assert_eq!(code, -32000, "{method}: {msg}");
    assert!(
        msg.starts_with(&format!("state of block {number} is pruned: "))
            && msg.ends_with("; ask an archive node"),
        "{method}: {msg}"
    );
}

#[test]
fn state_older_than_the_prune_window_is_refused_over_rpc() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut node = Node::start(tmp.path(), &["--prune", "4", "--prune.interval", "2"]);
    let key = dev_signer(2);
    let hash = node.call(
        "eth_sendRawTransaction",
        json!([transfer(&key, 0, dead(), 7)]),
    );
    let hash = serde_json::from_value(hash).expect("hash");
    let included = quantity(&node.receipt(hash)["blockNumber"]);
    // Sweeps run every 2 blocks; wait until one has dropped the transfer's block.
    node.wait_for_block(included + 8);
    let old = format!("{included:#x}");
    for (method, params) in [
        ("eth_getProof", json!([dead(), [], old])),
        ("eth_getBalance", json!([dead(), old])),
        ("eth_getTransactionCount", json!([key.address(), old])),
        ("eth_getCode", json!([dead(), old])),
        ("eth_getStorageAt", json!([dead(), "0x0", old])),
        ("eth_call", json!([{ "to": dead() }, old])),
    ] {
        assert_pruned(&node, method, params, included);
    }
    let (_, msg) = node.error("eth_getBalance", json!([dead(), "earliest"]));
    assert!(
        msg.contains("this node keeps the state of the last 4 blocks (--prune 4)"),
        "{msg}"
    );
    // The latest state and the block before it are served, proofs included.
    let head = node.block_number();
    let recent = format!("{:#x}", head - 1);
    assert_eq!(node.call("eth_getBalance", json!([dead(), recent])), "0x7");
    let proof = node.call("eth_getProof", json!([dead(), [], recent]));
    assert_eq!(proof["balance"], "0x7");
    assert!(!proof["accountProof"].as_array().expect("proof").is_empty());
    assert_eq!(
        node.call("eth_getBalance", json!([dead(), "latest"])),
        "0x7"
    );

    // Restarted without --prune: an archive node from here on, which still refuses what it
    // dropped.
    node.kill();
    let node = Node::start(tmp.path(), &[]);
    assert_pruned(&node, "eth_getBalance", json!([dead(), old]), included);
    let (_, msg) = node.error("eth_getProof", json!([dead(), [], old]));
    assert!(msg.contains("it ran with --prune before"), "{msg}");
    assert_eq!(
        node.call("eth_getBalance", json!([dead(), "latest"])),
        "0x7"
    );
}

#[test]
fn prune_below_two_blocks_is_refused_at_startup() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["node", "--dev", "--http.port", "0", "--prune", "1"])
        .output()
        .expect("run sprout");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--prune 1 keeps too little") && stderr.contains("--prune 2 or more"),
        "{stderr}"
    );
}
