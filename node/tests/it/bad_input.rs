//! Malformed requests get clear errors and never stop block production.

use serde_json::json;

use crate::harness::*;

#[test]
fn garbage_never_stops_the_node() {
    let node = Node::dev();
    let start = node.block_number();

    let (_, reply) = post(&node.url, "{ this is not json");
    assert_eq!(reply["error"]["code"], -32700, "{reply}");

    let (code, _) = node.error("eth_noSuchMethod", json!([]));
    assert_eq!(code, -32601);

    let (code, msg) = node.error("eth_getBalance", json!(["0x1234", "latest"]));
    assert_eq!(code, -32602, "{msg}");

    let (code, msg) = node.error("eth_sendRawTransaction", json!(["0xdeadbeef"]));
    assert_eq!(code, -32000);
    assert!(
        msg.contains("rlp") || msg.contains("not supported"),
        "{msg}"
    );

    let (code, _) = node.error("eth_sendRawTransaction", json!(["not hex"]));
    assert_eq!(code, -32602);

    // A 20 MB body is over the request limit.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["{}"]}}"#,
        "a".repeat(20 * 1024 * 1024)
    );
    let (status, _) = post(&node.url, &huge);
    assert_eq!(status, 413);

    // A valid transaction signed for the chain but with a corrupted signature.
    let mut raw = transfer(&dev_signer(5), 0, dead(), 1).to_vec();
    let len = raw.len();
    raw[len - 5] ^= 0xff;
    let response = node.raw(
        "eth_sendRawTransaction",
        json!([alloy_primitives::Bytes::from(raw)]),
    );
    // Either the signature no longer recovers, or it recovers to an unfunded stranger.
    assert!(response.get("error").is_some(), "{response}");

    node.wait_for_block(start + 1);
    assert_eq!(node.call("eth_chainId", json!([])), "0x385");
}

#[test]
fn get_logs_range_limit_is_enforced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let node = Node::start(tmp.path(), &["--rpc.max-logs-range", "2"]);
    node.wait_for_block(3);
    let (code, msg) = node.error(
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "toBlock": "0x3" }]),
    );
    assert_eq!(code, -32000);
    assert!(msg.contains("block range greater than 2 max"), "{msg}");
    assert!(
        node.call(
            "eth_getLogs",
            json!([{ "fromBlock": "0x0", "toBlock": "0x1" }])
        )
        .is_array()
    );
}
