//! The pinned Foundry `cast` against a dev node, as a developer would use it.

use std::process::Command;

use serde_json::json;

use crate::harness::*;

fn cast(args: &[&str]) -> String {
    let out = Command::new(npm_tool("cast"))
        .args(args)
        .output()
        .expect("run cast");
    assert!(
        out.status.success(),
        "cast {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn cast_send_transfers_ether() {
    let node = Node::dev();
    let key = sprout_node::dev::private_key_hex(&dev_signer(0));
    let to = "0x00000000000000000000000000000000000C0FFE";
    let out = cast(&[
        "send",
        "--rpc-url",
        &node.url,
        "--private-key",
        &key,
        to,
        "--value",
        "1ether",
        "--json",
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("cast --json receipt");
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(
        cast(&["balance", "--rpc-url", &node.url, to]),
        "1000000000000000000"
    );
    assert_eq!(cast(&["chain-id", "--rpc-url", &node.url]), "901");
    let block = cast(&["block-number", "--rpc-url", &node.url]);
    assert!(block.parse::<u64>().expect("number") >= 1);
    // The node agrees with what cast saw.
    let tx = node.call(
        "eth_getTransactionByHash",
        json!([receipt["transactionHash"]]),
    );
    assert_eq!(
        tx["to"].as_str().map(str::to_lowercase),
        Some(to.to_lowercase())
    );
}
