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

/// Runs `sprout node` with `args`, which must fail at once; returns its stderr.
fn refused(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .arg("node")
        .args(args)
        .output()
        .expect("run sprout");
    assert!(!out.status.success(), "sprout node {args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unusable_chain_files_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let rollup = dir.path().join("rollup.json");
    let rollup_json = serde_json::json!({
        "genesis": {
            "l1": { "hash": format!("0x{}", "11".repeat(32)), "number": 1 },
            "l2": { "hash": format!("0x{}", "22".repeat(32)), "number": 0 },
            "l2_time": 1,
            "system_config": {
                "batcherAddr": format!("0x{}", "33".repeat(20)),
                "baseFeeScalar": 1,
                "blobBaseFeeScalar": 1,
                "gasLimit": 30000000
            }
        },
        "block_time": 1,
        "max_sequencer_drift": 600,
        "seq_window_size": 3600,
        "channel_timeout": 300,
        "l1_chain_id": 31337,
        "l2_chain_id": 901,
        "batch_inbox_address": format!("0x{}", "44".repeat(20)),
        "deposit_contract_address": format!("0x{}", "55".repeat(20)),
        "l1_system_config_address": format!("0x{}", "66".repeat(20)),
        "l2_output_oracle_address": format!("0x{}", "77".repeat(20))
    });
    std::fs::write(&rollup, rollup_json.to_string()).expect("write");
    let data = dir.path().join("data");
    let data = data.to_str().expect("path");
    let path = rollup.to_str().expect("path");

    let err = refused(&["--chain", path, "--datadir", data]);
    assert!(err.contains("--l1.rpc-url"), "{err}");
    let err = refused(&[
        "--chain",
        path,
        "--l1.rpc-url",
        "http://127.0.0.1:1",
        "--datadir",
        data,
    ]);
    assert!(
        err.contains("genesis") && err.contains("--genesis"),
        "{err}"
    );

    std::fs::write(&rollup, r#"{"l2_chain_id": 901, "surprise": true}"#).expect("write");
    let err = refused(&["--chain", path, "--datadir", data]);
    assert!(
        err.contains("rollup config") && err.contains("invalid"),
        "{err}"
    );

    std::fs::write(&rollup, "not json").expect("write");
    let err = refused(&["--chain", path, "--datadir", data]);
    assert!(err.contains("not JSON"), "{err}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing written before the config is good"
    );
}
