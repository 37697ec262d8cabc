//! `sprout up`: a whole devnet from one command, driven the way a user or agent would.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    harness::{npm_tool, post, quantity},
    updevnet::{Up, rpc as call},
};

/// Every preinstall has its canonical code (Permit2 with its chain's immutables) on both
/// layers, and Multicall3's `aggregate3` answers on both.
fn check_preinstalls(up: &Up) {
    use alloy::primitives::{Bytes, keccak256};
    for (url, chain_id) in [(up.l1(), 31337u64), (up.l2(), 901)] {
        let expected = sprout_contracts::preinstalls(chain_id).expect("preinstalls");
        assert_eq!(expected.len(), 6);
        for preinstall in expected {
            let code: Bytes = serde_json::from_value(call(
                &url,
                "eth_getCode",
                json!([preinstall.address, "latest"]),
            ))
            .expect("code");
            assert_eq!(
                keccak256(&code),
                keccak256(&preinstall.code),
                "{} on chain {chain_id}",
                preinstall.name
            );
            if preinstall.address != sprout_contracts::preinstalls::PERMIT2 {
                assert_eq!(
                    keccak256(&code),
                    preinstall.canonical_hash,
                    "{}",
                    preinstall.name
                );
            }
        }
        // aggregate3 of two calls: the chain id through Multicall3's getChainId, and the
        // block number.
        let out = Command::new(npm_tool("cast"))
            .args([
                "call",
                "--rpc-url",
                &url,
                "0xcA11bde05977b3631167028862bE2a173976CA11",
                "aggregate3((address,bool,bytes)[])((bool,bytes)[])",
                "[(0xcA11bde05977b3631167028862bE2a173976CA11,false,0x3408e470),(0xcA11bde05977b3631167028862bE2a173976CA11,false,0x42cbb15c)]",
            ])
            .output()
            .expect("cast");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "aggregate3 on chain {chain_id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let chain_word = format!("{chain_id:064x}");
        assert!(
            text.contains(&format!("(true, 0x{chain_word})")),
            "aggregate3 on chain {chain_id}: {text}"
        );
    }
}

#[test]
fn sprout_up_deposit_with_cast_crash_restart_stop_and_resume() {
    let tmp = tempfile::tempdir().expect("tmp");
    let up = Up::start(tmp.path(), &[]);
    assert_eq!(up.info["l1"]["chainId"], 31337);
    assert_eq!(up.info["l2"]["chainId"], 901);
    assert_eq!(up.info["resumed"], false);
    assert!(up.info["secondsToFirstL2Block"].as_f64().expect("seconds") > 0.0);
    assert_eq!(call(&up.l1(), "eth_chainId", json!([])), "0x7a69");
    assert_eq!(call(&up.l2(), "eth_chainId", json!([])), "0x385");
    let key = up.info["accounts"][0]["privateKey"]
        .as_str()
        .expect("key")
        .to_string();
    let portal = up.info["contracts"]["portal"]
        .as_str()
        .expect("portal")
        .to_string();

    // The user's flow: deposit with cast on L1, see the ETH on L2.
    let to = "0x00000000000000000000000000000000000D0D0D";
    let out = Command::new(npm_tool("cast"))
        .args([
            "send",
            "--rpc-url",
            &up.l1(),
            "--private-key",
            &key,
            &portal,
        ])
        .args([
            "depositTransaction(address,uint256,uint64,bool,bytes)",
            to,
            "1000000000000000000",
            "100000",
            "false",
            "0x",
        ])
        .args(["--value", "1ether"])
        .output()
        .expect("cast");
    assert!(
        out.status.success(),
        "cast send: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while call(&up.l2(), "eth_getBalance", json!([to, "latest"])) != "0xde0b6b3a7640000" {
        assert!(
            Instant::now() < deadline,
            "the deposit did not reach L2 within 60 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // The batcher posts the blocks: the sequencer's safe head moves, and the follower derives
    // the same blocks from L1, deposit included.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let safe = call(&up.l2(), "eth_getBlockByNumber", json!(["safe", false]));
        let balance = call(&up.follower(), "eth_getBalance", json!([to, "latest"]));
        if safe.is_object() && quantity(&safe["number"]) > 0 && balance == "0xde0b6b3a7640000" {
            let n = safe["number"].clone();
            let mine = call(&up.follower(), "eth_getBlockByNumber", json!([n, false]));
            if mine.is_object() {
                assert_eq!(mine["hash"], safe["hash"]);
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no block turned safe, or the follower lacks the deposit, within 90 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // The batcher and the proposer spend from keys of their own, not accounts handed to users.
    let accounts = up.info["accounts"].as_array().expect("accounts");
    for role in ["batcher", "proposer"] {
        let address = up.info[role].as_str().expect(role);
        assert!(
            accounts
                .iter()
                .all(|a| a["address"].as_str() != Some(address)),
            "{role}"
        );
    }
    check_preinstalls(&up);
    // A crashed sequencer (SIGKILL) is restarted and the chain goes on.
    let out = Command::new("pgrep")
        .args([
            "-P",
            &up.child.id().to_string(),
            "-f",
            "node --chain .*--sequencer",
        ])
        .output()
        .expect("pgrep");
    let sequencer = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!sequencer.is_empty(), "no sequencer child found");
    let before = quantity(&call(&up.l2(), "eth_blockNumber", json!([])));
    Command::new("kill")
        .args(["-KILL", &sequencer])
        .status()
        .expect("kill");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let number = call(&up.l2(), "eth_blockNumber", json!([]));
        if number.is_string() && quantity(&number) > before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sequencer was not restarted within 60 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let head = quantity(&call(&up.l2(), "eth_blockNumber", json!([])));
    let genesis = call(&up.l2(), "eth_getBlockByNumber", json!(["0x0", false]))["hash"].clone();
    let l1 = up.l1();
    let status = up.terminate();
    assert!(status.success(), "sprout up exited with {status}");
    let (code, _) = post(
        &l1,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
    );
    assert_eq!(code, 0, "anvil still answers after sprout up stopped");

    // Resume on the same datadir: same chain, same or later head, the deposit still there.
    let up = Up::start(tmp.path(), &[]);
    assert_eq!(up.info["resumed"], true);
    assert_eq!(
        call(&up.l2(), "eth_getBlockByNumber", json!(["0x0", false]))["hash"],
        genesis
    );
    assert!(quantity(&call(&up.l2(), "eth_blockNumber", json!([]))) >= head);
    assert_eq!(
        call(&up.l2(), "eth_getBalance", json!([to, "latest"])),
        "0xde0b6b3a7640000"
    );
    assert!(up.terminate().success());
}
