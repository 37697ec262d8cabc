//! Durability: restarts continue the chain; a SIGKILL under load loses no receipted transaction.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use serde_json::{Value, json};

use crate::harness::*;

#[test]
fn restart_continues_from_last_block() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut node = Node::start(tmp.path(), &[]);
    node.wait_for_block(2);
    let head = node.block_number();
    let hash =
        node.call("eth_getBlockByNumber", json!([format!("{head:#x}"), false]))["hash"].clone();
    node.kill();
    let node = Node::start(tmp.path(), &[]);
    assert!(node.block_number() >= head);
    let again =
        node.call("eth_getBlockByNumber", json!([format!("{head:#x}"), false]))["hash"].clone();
    assert_eq!(hash, again);
    node.wait_for_block(head + 1);
}

#[test]
fn sigkill_under_load_keeps_every_receipted_transaction() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut node = Node::start(tmp.path(), &[]);
    let keys: Vec<_> = (5..9).map(dev_signer).collect();
    let mut sent: Vec<B256> = Vec::new();
    let mut receipts: BTreeMap<B256, Value> = BTreeMap::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    let mut nonce = 0;
    while std::time::Instant::now() < deadline {
        for key in &keys {
            let hash = node.call(
                "eth_sendRawTransaction",
                json!([transfer(key, nonce, dead(), 1)]),
            );
            sent.push(hash.as_str().expect("hash").parse().expect("hash"));
        }
        nonce += 1;
        for hash in &sent {
            if receipts.contains_key(hash) {
                continue;
            }
            let r = node.call("eth_getTransactionReceipt", json!([hash]));
            if !r.is_null() {
                receipts.insert(*hash, r);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !receipts.is_empty(),
        "some transactions were included before the kill"
    );
    // SIGKILL: no chance to flush anything.
    node.kill();
    let node = Node::start(tmp.path(), &[]);
    for (hash, before) in &receipts {
        let after = node.call("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(
            after["blockHash"], before["blockHash"],
            "receipt of {hash} changed across the kill"
        );
        assert_eq!(after["status"], "0x1");
    }
    let head = node.block_number();
    node.wait_for_block(head);
}
