//! `sprout bridge` against a whole `sprout up` devnet, run as a user or agent would: every
//! subcommand with `--json`, its output parsed; errors checked for their advice and for having
//! spent nothing.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};

use crate::{
    harness::{dev_signer, quantity},
    updevnet::{Up, rpc as call},
};

const ETH: u128 = 1_000_000_000_000_000_000;

/// A `sprout up` devnet on free ports with 1 s L1 blocks, in a datadir of its own.
struct Devnet {
    up: Up,
    info: Value,
    datadir: tempfile::TempDir,
}

impl Devnet {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// With `extra` flags for `sprout up` (`--proofs games`).
    fn start_with(extra: &[&str]) -> Self {
        let datadir = tempfile::tempdir().expect("tmp");
        let mut args = vec!["--l1.block-time", "1"];
        args.extend(extra);
        let up = Up::start(datadir.path(), &args);
        Self {
            info: up.info.clone(),
            up,
            datadir,
        }
    }

    fn l1(&self) -> String {
        self.up.l1()
    }

    fn l2(&self) -> String {
        self.up.l2()
    }

    /// Runs `sprout bridge ARGS… --json` on this devnet (no key from the environment).
    fn bridge(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sprout"))
            .arg("bridge")
            .args(args)
            .arg("--datadir")
            .arg(self.datadir.path())
            .args(["--l1.rpc-url", &self.l1(), "--l2.rpc-url", &self.l2()])
            .args(["--timeout", "120", "--json"])
            .env_remove("SPROUT_PRIVATE_KEY")
            .env_remove("SPROUT_PRIVATE_KEY_FILE")
            .env_remove("SPROUT_ROLLUP")
            .env_remove("SPROUT_PORTAL")
            .env("SPROUT_LOG", "warn")
            .output()
            .expect("run sprout bridge")
    }

    /// A command that must succeed: its one JSON document.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.bridge(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "sprout bridge {args:?} failed: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("sprout bridge {args:?} printed {stdout:?}: {e}"))
    }

    /// A command that must fail: its stderr, which must contain every one of `expect`.
    fn fails(&self, args: &[&str], expect: &[&str]) -> String {
        let out = self.bridge(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !out.status.success(),
            "sprout bridge {args:?} should fail, printed {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            out.stdout.is_empty(),
            "a failed command prints nothing on stdout"
        );
        for e in expect {
            assert!(
                stderr.contains(e),
                "sprout bridge {args:?}: stderr lacks {e:?}:\n{stderr}"
            );
        }
        stderr
    }

    /// Polls `status` until it reads `want`.
    fn wait_for_status(&self, tx: &str, want: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let status = self.ok(&["status", tx]);
            if status["status"] == want {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "withdrawal {tx} not {want} within {secs} s: {status}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn balance(url: &str, account: Address) -> U256 {
    let hex = call(url, "eth_getBalance", json!([account, "latest"]));
    let hex = hex.as_str().expect("balance");
    U256::from_str_radix(hex.trim_start_matches("0x"), 16).expect("hex balance")
}

fn key(signer: &PrivateKeySigner) -> String {
    format!("{}", B256::from_slice(&signer.to_bytes()[..]))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn address(v: &Value) -> Address {
    text(v)
        .parse()
        .unwrap_or_else(|_| panic!("not an address: {v}"))
}

/// Gas used and fee paid (wei) of an L1 transaction.
fn l1_cost(net: &Devnet, tx: &str) -> (u64, U256) {
    let receipt = call(&net.l1(), "eth_getTransactionReceipt", json!([tx]));
    let gas = quantity(&receipt["gasUsed"]);
    let price = quantity(&receipt["effectiveGasPrice"]);
    (gas, U256::from(gas) * U256::from(price))
}

#[test]
fn bridge_deposits_withdraws_proves_and_finalizes() {
    let net = Devnet::start();
    // The L1 account: pays the deposit, proves and finalizes, and receives the withdrawal.
    let user = dev_signer(3);
    let user_key = key(&user);
    let user_addr = user.address().to_string();
    // A new L2 account, funded only by the deposit.
    let fresh = PrivateKeySigner::random();
    let fresh_key = key(&fresh);

    let deposit = net.ok(&[
        "deposit",
        "--amount",
        "1ether",
        "--to",
        &fresh.address().to_string(),
        "--private-key",
        &user_key,
    ]);
    assert_eq!(deposit["amount"], ETH.to_string());
    assert_eq!(address(&deposit["from"]), user.address());
    assert!(deposit["l2Block"].as_u64().expect("l2 block") > 0);
    let receipt = call(
        &net.l2(),
        "eth_getTransactionReceipt",
        json!([deposit["l2TxHash"]]),
    );
    assert_eq!(receipt["status"], "0x1", "deposit receipt {receipt}");
    assert_eq!(balance(&net.l2(), fresh.address()), U256::from(ETH));

    net.fails(
        &[
            "withdraw",
            "--amount",
            "2ether",
            "--private-key",
            &fresh_key,
        ],
        &[&format!(
            "account {} holds 1 ETH on L2; withdraw at most 0.99",
            fresh.address()
        )],
    );
    let sent = net.ok(&[
        "withdraw",
        "--amount",
        "0.5ether",
        "--to",
        &user_addr,
        "--private-key",
        &fresh_key,
    ]);
    let tx = text(&sent["l2TxHash"]).to_string();
    let l2_block = sent["l2Block"].as_u64().expect("l2 block");
    assert_eq!(sent["status"], "waiting-to-prove");
    assert_eq!(sent["amount"], (ETH / 2).to_string());
    assert_eq!(address(&sent["target"]), user.address());
    assert_eq!(text(&sent["withdrawalHash"]).len(), 66);
    assert!(balance(&net.l2(), fresh.address()) < U256::from(ETH / 2));

    let status = net.ok(&["status", &tx]);
    assert_eq!(status["status"], "waiting-to-prove");
    assert_eq!(status["withdrawalHash"], sent["withdrawalHash"]);
    assert!(
        status["expectedOutputL2Block"]
            .as_u64()
            .expect("next output")
            >= l2_block
    );
    net.fails(
        &["prove", &tx, "--private-key", &user_key],
        &[
            &format!("no output covers L2 block {l2_block} yet"),
            "expected",
        ],
    );
    net.fails(
        &["finalize", &tx, "--private-key", &user_key],
        &["is not proven yet", "sprout bridge prove"],
    );

    // The devnet's proposer posts the output that covers it.
    let ready = net.wait_for_status(&tx, "ready-to-prove", 90);
    assert!(ready["output"]["l2Block"].as_u64().expect("output block") >= l2_block);

    let before = balance(&net.l1(), user.address());
    let proven = net.ok(&["prove", &tx, "--private-key", &user_key]);
    assert_eq!(proven["status"], "waiting-to-finalize");
    let prove_tx = text(&proven["l1TxHash"]).to_string();
    let status = net.ok(&["status", &tx]);
    assert_eq!(status["status"], "waiting-to-finalize");
    assert_eq!(status["provenAt"], proven["provenAt"]);
    net.fails(
        &["prove", &tx, "--private-key", &user_key],
        &["already proven", "sprout bridge finalize"],
    );
    net.fails(
        &["finalize", &tx, "--private-key", &user_key],
        &["finalization period ends at", "UTC"],
    );

    net.wait_for_status(&tx, "ready-to-finalize", 60);
    // A Portal that cannot pay would mark the withdrawal finalized and pay nothing: refused
    // before anything is sent.
    let portal = net.info["contracts"]["portal"].clone();
    let locked = call(&net.l1(), "eth_getBalance", json!([portal, "latest"]));
    call(&net.l1(), "anvil_setBalance", json!([portal, "0x0"]));
    net.fails(
        &["finalize", &tx, "--private-key", &user_key],
        &["holds 0 ETH on L1", "Nothing was sent"],
    );
    call(&net.l1(), "anvil_setBalance", json!([portal, locked]));
    assert_eq!(net.ok(&["status", &tx])["status"], "ready-to-finalize");
    let finalized = net.ok(&["finalize", &tx, "--private-key", &user_key]);
    assert_eq!(finalized["status"], "finalized");
    assert_eq!(finalized["amount"], (ETH / 2).to_string());
    let finalize_tx = text(&finalized["l1TxHash"]).to_string();
    assert_eq!(net.ok(&["status", &tx])["status"], "finalized");
    net.fails(
        &["finalize", &tx, "--private-key", &user_key],
        &["already finalized"],
    );
    net.fails(
        &["prove", &tx, "--private-key", &user_key],
        &["already finalized"],
    );

    // The user received the amount and paid for the two L1 transactions, nothing else.
    let (prove_gas, prove_fee) = l1_cost(&net, &prove_tx);
    let (finalize_gas, finalize_fee) = l1_cost(&net, &finalize_tx);
    assert_eq!(proven["l1GasUsed"], prove_gas);
    assert_eq!(finalized["l1GasUsed"], finalize_gas);
    eprintln!("L1 gas: prove {prove_gas}, finalize {finalize_gas}");
    assert_eq!(
        balance(&net.l1(), user.address()),
        before + U256::from(ETH / 2) - prove_fee - finalize_fee
    );
}

/// Fault-proof mode (`sprout up --proofs games`): the same commands prove against the
/// proposer's dispute game covering the withdrawal, and finalize once the game is resolved and
/// final and the proof has matured.
#[test]
fn bridge_withdraws_through_a_dispute_game() {
    let net = Devnet::start_with(&["--proofs", "games"]);
    let user = dev_signer(4);
    let user_key = key(&user);
    let user_addr = user.address().to_string();
    let sent = net.ok(&[
        "withdraw",
        "--amount",
        "0.25ether",
        "--to",
        &user_addr,
        "--private-key",
        &user_key,
    ]);
    let tx = text(&sent["l2TxHash"]).to_string();
    let l2_block = sent["l2Block"].as_u64().expect("l2 block");
    let status = net.ok(&["status", &tx]);
    assert_eq!(status["status"], "waiting-to-prove");
    net.fails(
        &["prove", &tx, "--private-key", &user_key],
        &["no output covers", "sprout proposer --mode games"],
    );
    let ready = net.wait_for_status(&tx, "ready-to-prove", 90);
    assert!(ready["output"]["l2Block"].as_u64().expect("game block") >= l2_block);
    assert!(ready["output"]["game"].is_string(), "{ready}");

    let before = balance(&net.l1(), user.address());
    // A proof in the game's own L1 second is refused (OP's rule); a second later it lands.
    let deadline = Instant::now() + Duration::from_secs(30);
    let proven = loop {
        let out = net.bridge(&["prove", &tx, "--private-key", &user_key]);
        if out.status.success() {
            break serde_json::from_slice::<Value>(&out.stdout).expect("json");
        }
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            err.contains("retry in a few seconds") && Instant::now() < deadline,
            "prove failed: {err}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    assert_eq!(proven["status"], "waiting-to-finalize");
    let prove_tx = text(&proven["l1TxHash"]).to_string();
    assert_eq!(net.ok(&["status", &tx])["status"], "waiting-to-finalize");
    net.fails(
        &["finalize", &tx, "--private-key", &user_key],
        &["finalization period ends at"],
    );
    // The game's 20 s clock, its resolution by the proposer, the 2 s finality delay.
    net.wait_for_status(&tx, "ready-to-finalize", 120);
    let finalized = net.ok(&["finalize", &tx, "--private-key", &user_key]);
    assert_eq!(finalized["status"], "finalized");
    let finalize_tx = text(&finalized["l1TxHash"]).to_string();
    assert_eq!(net.ok(&["status", &tx])["status"], "finalized");
    let (prove_gas, prove_fee) = l1_cost(&net, &prove_tx);
    let (finalize_gas, finalize_fee) = l1_cost(&net, &finalize_tx);
    eprintln!("fault-proof mode L1 gas: prove {prove_gas}, finalize {finalize_gas}");
    assert_eq!(
        balance(&net.l1(), user.address()),
        before + U256::from(ETH / 4) - prove_fee - finalize_fee
    );
}

#[test]
fn bridge_refuses_what_cannot_work_before_spending() {
    let net = Devnet::start();
    let dev0 = dev_signer(0).address();
    // No key on a devnet datadir: dev account 0, and it says so; too much: nothing is sent.
    let stderr = net.fails(
        &["withdraw", "--amount", "20000ether"],
        &[
            &format!("signing with dev account 0 ({dev0})"),
            &format!("account {dev0} holds 10000 ETH on L2; withdraw at most 9999.99"),
        ],
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let nonce = call(
        &net.l2(),
        "eth_getTransactionCount",
        json!([dev0, "latest"]),
    );
    assert_eq!(nonce, "0x0", "nothing was sent from dev account 0 on L2");
    let broke = key(&PrivateKeySigner::random());
    net.fails(
        &["deposit", "--amount", "1ether", "--private-key", &broke],
        &["holds 0 ETH on L1; deposit at most 0 ETH"],
    );
    net.fails(
        &["status", &format!("{}", B256::repeat_byte(7))],
        &["L2 has no receipt for transaction 0x0707"],
    );
    net.fails(&["deposit", "--amount", "1.5"], &["invalid amount \"1.5\""]);

    // Outside a devnet datadir, with no key: it says where the chain and the key come from.
    let empty = tempfile::tempdir().expect("tmp");
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["bridge", "status", &format!("{}", B256::ZERO), "--datadir"])
        .arg(empty.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no chain found in"),
        "{out:?}"
    );
    let rollup: PathBuf = net.datadir.path().join("rollup.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["bridge", "withdraw", "--amount", "1ether", "--rollup"])
        .arg(&rollup)
        .args(["--l1.rpc-url", &net.l1(), "--l2.rpc-url", &net.l2()])
        .arg("--datadir")
        .arg(Path::new(empty.path()))
        .env_remove("SPROUT_PRIVATE_KEY")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no key to sign with"),
        "{out:?}"
    );
}
