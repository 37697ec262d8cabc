//! Durability: restarts continue the chain; a SIGKILL under load loses no receipted
//! transaction; crash trials at random moments, mid-commit included, each followed by
//! `sprout db check`.

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

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

/// A small deterministic generator (xorshift64*), so a failing run can be replayed from its
/// printed seed (`SPROUT_CRASH_SEED`).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// How a trial ends.
#[derive(Debug, Clone, Copy)]
enum Crash {
    /// SIGKILL after this long under load.
    KillAfter(Duration),
    /// The node aborts itself at a storage crash point, on its `n`-th hit.
    Failpoint(&'static str, u64),
}

/// `sprout db check` on a stopped node's datadir must find nothing wrong.
fn db_check(datadir: &Path, trial: usize, crash: Crash) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["db", "check", "--json", "--datadir"])
        .arg(datadir)
        .output()
        .expect("run sprout db check");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "trial {trial} ({crash:?}): db check printed no report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.success() && report["problems"].as_array().is_some_and(Vec::is_empty),
        "trial {trial} ({crash:?}): the database is inconsistent: {report:#}"
    );
    report
}

#[test]
fn crash_trials_at_random_moments_under_load_lose_no_receipted_transaction() {
    // 10 here; `SPROUT_CRASH_TRIALS=50` (`make crash-trials`) is the long mode.
    let trials: usize = std::env::var("SPROUT_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed = std::env::var("SPROUT_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    eprintln!("crash trials: {trials}, SPROUT_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().expect("tmp");
    let datadir = tmp.path().display().to_string();
    let keys: Vec<_> = (5..9).map(dev_signer).collect();
    // Every receipt ever seen, by transaction: it must survive every later crash unchanged.
    let mut receipted: BTreeMap<B256, Value> = BTreeMap::new();
    let mut last_head = 0;
    for trial in 0..trials {
        let crash = match trial % 3 {
            0 => Crash::KillAfter(Duration::from_millis(200 + rng.below(2_300))),
            1 => Crash::Failpoint("storage.commit.before_write", 3 + rng.below(2)),
            _ => Crash::Failpoint("storage.commit.after_write", 3 + rng.below(2)),
        };
        let spec = match crash {
            Crash::Failpoint(name, nth) => format!("{name}:{nth}"),
            Crash::KillAfter(_) => String::new(),
        };
        let env: Vec<(&str, &str)> = match crash {
            Crash::Failpoint(..) => vec![("SPROUT_FAILPOINT", spec.as_str())],
            Crash::KillAfter(_) => Vec::new(),
        };
        let args = ["--dev", "--datadir", &datadir].map(String::from);
        let mut node = Node::spawn_with(&args, None, &env);
        let mut nonces: Vec<u64> = keys
            .iter()
            .map(|key| {
                // Without panicking: an armed crash point may already have stopped the node
                // (then the first send finds it down).
                let response =
                    node.raw("eth_getTransactionCount", json!([key.address(), "latest"]));
                response
                    .get("result")
                    .and_then(Value::as_str)
                    .and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
                    .unwrap_or(0)
            })
            .collect();
        let started = Instant::now();
        let mut sent: Vec<B256> = Vec::new();
        // Steady load until the crash (a failpoint ends it by itself within a few blocks).
        let alive = loop {
            if let Crash::KillAfter(after) = crash
                && started.elapsed() >= after
            {
                break true;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "trial {trial} ({crash:?}): the node never reached its crash point"
            );
            let mut down = false;
            for (key, nonce) in keys.iter().zip(nonces.iter_mut()) {
                let response = node.raw(
                    "eth_sendRawTransaction",
                    json!([transfer(key, *nonce, dead(), 1)]),
                );
                match response.get("result").and_then(Value::as_str) {
                    Some(hash) => {
                        sent.push(hash.parse().expect("hash"));
                        *nonce += 1;
                    }
                    None if response.is_null() => down = true,
                    None => panic!("trial {trial}: send refused: {response}"),
                }
            }
            if down {
                break false;
            }
            sent.retain(|hash| {
                let response = node.raw("eth_getTransactionReceipt", json!([hash]));
                match response.get("result") {
                    Some(receipt) if !receipt.is_null() => {
                        receipted.insert(*hash, receipt.clone());
                        false
                    }
                    _ => true,
                }
            });
            std::thread::sleep(Duration::from_millis(20));
        };
        if alive {
            node.kill();
        } else {
            let status = node.child.wait().expect("wait");
            assert!(
                !status.success(),
                "trial {trial}: the node exited cleanly at {crash:?}"
            );
        }
        let report = db_check(tmp.path(), trial, crash);
        let head = report["head"].as_u64().expect("head");
        assert!(
            head >= last_head,
            "trial {trial}: head {head} fell below {last_head}"
        );
        last_head = head;
        // A restart (no crash point armed) serves every receipt it ever gave out, unchanged.
        let node = Node::start(tmp.path(), &[]);
        for (hash, before) in &receipted {
            let after = node.call("eth_getTransactionReceipt", json!([hash]));
            assert_eq!(
                after["blockHash"], before["blockHash"],
                "trial {trial} ({crash:?}): the receipt of {hash} changed across the crash: {before} then {after}"
            );
        }
        drop(node);
        eprintln!(
            "trial {trial}: {crash:?}, head {head}, {} receipted so far",
            receipted.len()
        );
    }
    assert!(
        receipted.len() >= trials,
        "too little was receipted ({}) for the trials to mean much",
        receipted.len()
    );
}
