//! `sprout fp prove --native` on a live devnet: the program re-derives blocks from L1 and the
//! agreed output alone, accepts each true output root, refuses a flipped one and the right root
//! claimed for the wrong block, and an offline replay of its recording decides the same.

use std::{
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

use alloy::primitives::B256;
use serde_json::{Value, json};
use sprout_challenger::{
    GameInputs, OutputSource, Position, RecordingSource, Subgame, TraceProvider, VmTrace,
};
use sprout_fp_host::{Recording, read_recording};
use sprout_fp_program::BootInfo;

use crate::{
    harness::{dev_signer, npm_tool, quantity, sign_1559, transfer},
    rpc::token_bytecode,
    updevnet::{Up, rpc as call},
};

/// `sprout fp prove --json ARGS`: in the VM, or natively with `--native` among `args`.
fn prove(args: &[&str]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["fp", "prove", "--json"])
        .args(args)
        .env("SPROUT_LOG", "warn")
        .output()
        .expect("run sprout fp prove");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "sprout fp prove printed {:?} ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

/// `sprout fp prove --json` of block `block` of the node whose datadir is `datadir` on the
/// rollup `chain` (`rollup.json`), in the VM or natively; the verdict JSON.
pub(crate) fn prove_on(chain: &Path, datadir: &Path, l1: &str, block: u64, native: bool) -> Value {
    prove_on_with(chain, datadir, l1, block, native, &[])
}

/// [`prove_on`] with `extra` flags (`--l1.beacon`, `--claim`); the verdict JSON, which need
/// not be valid.
pub(crate) fn prove_on_with(
    chain: &Path,
    datadir: &Path,
    l1: &str,
    block: u64,
    native: bool,
    extra: &[&str],
) -> Value {
    let number = block.to_string();
    let mut args = vec![
        "--chain",
        chain.to_str().expect("utf-8 path"),
        "--datadir",
        datadir.to_str().expect("utf-8 path"),
        "--l1.rpc-url",
        l1,
        "--l2-block",
        &number,
    ];
    if native {
        args.push("--native");
    }
    args.extend(extra);
    let (out, json) = prove(&args);
    assert!(
        out.status.success() || json["verdict"] == "invalid",
        "block {block}: {json}"
    );
    json
}

fn online<'a>(up: &'a Up, l1: &'a str, block: &'a str) -> Vec<&'a str> {
    let devnet = up.datadir.to_str().expect("utf-8 path");
    vec!["--devnet", devnet, "--l1.rpc-url", l1, "--l2-block", block]
}

fn native(mut args: Vec<&str>) -> Vec<&str> {
    args.push("--native");
    args
}

/// Waits until `block` is safe on the devnet's sequencer.
fn wait_safe(up: &Up, block: u64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let safe = call(&up.l2(), "eth_getBlockByNumber", json!(["safe", false]));
        if quantity(&safe["number"]) >= block {
            return;
        }
        assert!(Instant::now() < deadline, "block {block} never became safe");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Calls `setGasConfigEcotone(base, blob)` on the devnet's SystemConfig as its owner (dev
/// account 0) with cast; returns the first L2 block whose L1-info deposit carries the new
/// scalars.
fn fee_update(up: &Up, base: u32, blob: u32) -> u64 {
    let key = format!("{}", B256::from_slice(&dev_signer(0).to_bytes()[..]));
    let out = Command::new(npm_tool("cast"))
        .args(["send", "--rpc-url", &up.l1(), "--private-key", &key])
        .arg(up.get("/contracts/systemConfig"))
        .args([
            "setGasConfigEcotone(uint32,uint32)",
            &base.to_string(),
            &blob.to_string(),
        ])
        .output()
        .expect("cast send");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Ecotone L1-info calldata: selector, then the base-fee and blob-base-fee scalars.
    let mut want = format!("{base:08x}{blob:08x}");
    want.insert_str(0, "0x440a5e20");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut number = quantity(&call(&up.l2(), "eth_blockNumber", json!([])));
    loop {
        let block = call(
            &up.l2(),
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), true]),
        );
        if !block.is_null() {
            let input = block["transactions"][0]["input"]
                .as_str()
                .unwrap_or_default();
            if input.starts_with(&want) {
                return number;
            }
            number += 1;
        }
        assert!(
            Instant::now() < deadline,
            "no L2 block carries the new scalars"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The receipt of `hash`, once there is one.
fn receipt(l2: &str, hash: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let receipt = call(l2, "eth_getTransactionReceipt", json!([hash]));
        if !receipt.is_null() {
            return receipt;
        }
        assert!(Instant::now() < deadline, "no receipt for {hash}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `sprout bridge deposit` of 0.1 ETH from a dev account, with `args`; the L2 block it landed
/// in. `reverts`: its L2 call is expected to fail.
fn deposit(up: &Up, args: &[&str], reverts: bool) -> u64 {
    let key = format!("{}", B256::from_slice(&dev_signer(3).to_bytes()[..]));
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args([
            "bridge",
            "deposit",
            "--amount",
            "0.1ether",
            "--private-key",
            &key,
        ])
        .args(args)
        .arg("--datadir")
        .arg(&up.datadir)
        .args(["--l1.rpc-url", &up.l1(), "--l2.rpc-url", &up.l2()])
        .args(["--timeout", "120", "--json"])
        .env("SPROUT_LOG", "warn")
        .output()
        .expect("run sprout bridge deposit");
    if reverts {
        // The bridge says so, naming the deposit's L2 transaction.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("but failed"), "{err}");
        let hash = err
            .split_whitespace()
            .find(|word| word.starts_with("0x") && word.len() == 66)
            .unwrap_or_else(|| panic!("no transaction hash in {err}"));
        let receipt = receipt(&up.l2(), hash);
        assert_eq!(receipt["status"], "0x0", "{receipt}");
        return quantity(&receipt["blockNumber"]);
    }
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "deposit printed {:?} ({e}): {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["l2Block"]
        .as_u64()
        .unwrap_or_else(|| panic!("no l2Block in {json}"))
}

fn flip_bit(root: &str) -> String {
    let mut root: B256 = root.parse().expect("root");
    root.0[31] ^= 1;
    format!("{root}")
}

#[test]
fn the_program_proves_devnet_blocks_and_refuses_wrong_claims() {
    let tmp = tempfile::tempdir().expect("tmp");
    let up = Up::start(tmp.path(), &["--l1.block-time", "1"]);
    let l1 = up.l1();
    let l2 = up.l2();
    let start = quantity(&call(&l2, "eth_blockNumber", json!([])));
    // 100 transfers to 100 new accounts from 4 senders, sent together: they land in one or
    // two blocks.
    let mut hashes = Vec::new();
    for i in 0..100u64 {
        let to = alloy::primitives::Address::with_last_byte(i as u8 + 1);
        let raw = transfer(&dev_signer(4 + (i % 4) as u32), i / 4, to, 1_000 + i);
        let hash = call(&l2, "eth_sendRawTransaction", json!([raw]));
        hashes.push(
            hash.as_str()
                .unwrap_or_else(|| panic!("{hash}"))
                .to_string(),
        );
    }
    // A contract creation whose constructor logs (an ERC-20 minting its supply).
    let deploy = sign_1559(
        &dev_signer(2),
        0,
        None,
        Default::default(),
        3_000_000,
        10_000_000_000,
        1_000_000,
        token_bytecode(),
    );
    let deploy = call(&l2, "eth_sendRawTransaction", json!([deploy]));
    let transfers = receipt(&l2, &hashes[0]);
    let created = receipt(&l2, deploy.as_str().expect("hash"));
    assert_eq!(created["status"], "0x1");
    assert!(!created["logs"].as_array().expect("logs").is_empty());
    let token = created["contractAddress"]
        .as_str()
        .expect("address")
        .to_string();
    // Deposits from L1: one that succeeds, and one whose L2 call reverts (ETH sent to a
    // contract that takes none); each lands in the first block of an epoch.
    let paid = deposit(
        &up,
        &["--to", "0x00000000000000000000000000000000000000aa"],
        false,
    );
    let reverted = deposit(&up, &["--to", &token], true);

    // The SystemConfig's owner sets new fee scalars on L1: the first L2 block of the update's
    // epoch carries them in its L1-info deposit.
    let updated = fee_update(&up, 7, 9);

    let mut blocks = vec![
        start.max(1),
        quantity(&transfers["blockNumber"]),
        quantity(&created["blockNumber"]),
        paid,
        reverted,
        updated,
    ];
    blocks.sort_unstable();
    blocks.dedup();
    wait_safe(&up, blocks[blocks.len() - 1] + 1);
    let transfers_block = quantity(&transfers["blockNumber"]);

    for &block in &blocks {
        let number = block.to_string();
        let args = online(&up, &l1, &number);
        let (out, valid) = prove(&native(args.clone()));
        assert!(out.status.success(), "block {block}: {valid}");
        assert_eq!(valid["verdict"], "valid", "block {block}: {valid}");
        assert_eq!(valid["derivedBlock"], block);
        assert_eq!(valid["computedOutput"], valid["claim"]);
        let expected = call(
            &up.l2(),
            "optimism_outputAtBlock",
            json!([format!("{block:#x}")]),
        );
        assert_eq!(valid["claim"], expected["outputRoot"], "block {block}");

        // The same run in the VM: the same verdict from the same preimages.
        let (out, vm) = prove(&args);
        eprintln!("block {block} in the VM: {vm}");
        assert!(out.status.success(), "block {block} in the VM: {vm}");
        assert_eq!(vm["verdict"], "valid");
        assert_eq!(vm["mode"], "vm");
        assert_eq!(vm["preimages"], valid["preimages"], "block {block}");
        assert_eq!(vm["preimageBytes"], valid["preimageBytes"], "block {block}");
        assert!(vm["steps"].as_u64().expect("steps") > 0);
        // Exited with 0: the state hash's status byte.
        assert!(
            vm["finalState"]
                .as_str()
                .expect("state")
                .starts_with("0x00")
        );

        // One bit of the root changed.
        let claim = valid["claim"].as_str().expect("claim").to_string();
        let flipped = flip_bit(&claim);
        let mut bad = args.clone();
        bad.extend(["--claim", flipped.as_str()]);
        let (out, invalid) = prove(&native(bad.clone()));
        assert_eq!(out.status.code(), Some(1), "block {block}: {invalid}");
        assert_eq!(invalid["verdict"], "invalid");
        if block == transfers_block {
            let (out, invalid) = prove(&bad);
            assert_eq!(
                out.status.code(),
                Some(1),
                "block {block} in the VM: {invalid}"
            );
            assert_eq!(invalid["verdict"], "invalid");
            assert!(
                invalid["finalState"]
                    .as_str()
                    .expect("state")
                    .starts_with("0x01")
            );
        }

        // The right root, claimed for the next block.
        let next = (block + 1).to_string();
        let mut wrong_block = online(&up, &l1, &next);
        wrong_block.extend(["--claim", claim.as_str()]);
        let (out, invalid) = prove(&native(wrong_block));
        assert_eq!(out.status.code(), Some(1), "block {next}: {invalid}");
        assert_eq!(invalid["verdict"], "invalid");
    }

    // The challenger's execution trace of the first (deposit-only) block, from its recording.
    let empty_record = tmp.path().join("record-empty");
    let empty_arg = empty_record.to_str().expect("utf-8").to_string();
    let empty_block = blocks[0].to_string();
    let mut args = online(&up, &l1, &empty_block);
    args.extend(["--record", empty_arg.as_str()]);
    let (_, empty_run) = prove(&args);
    assert_eq!(empty_run["verdict"], "valid");

    // Record a VM run, then replay it with no devnet at all: the same final state.
    let record = tmp.path().join("record");
    let number = transfers_block.to_string();
    let mut args = online(&up, &l1, &number);
    let record_arg = record.to_str().expect("utf-8").to_string();
    args.extend(["--record", record_arg.as_str()]);
    let (_, recorded) = prove(&args);
    assert_eq!(recorded["verdict"], "valid");
    // The native run reads exactly the same preimages.
    let native_record = tmp.path().join("native-record");
    let native_arg = native_record.to_str().expect("utf-8").to_string();
    let mut args = native(online(&up, &l1, &number));
    args.extend(["--record", native_arg.as_str()]);
    prove(&args);
    assert_eq!(
        std::fs::read(record.join("preimages.bin")).expect("vm record"),
        std::fs::read(native_record.join("preimages.bin")).expect("native record"),
    );
    drop(up);
    challenger_trace_ends_in_the_runs_final_state(&empty_record, &empty_run);
    let (out, replayed) = prove(&["--offline", record_arg.as_str()]);
    assert!(out.status.success(), "{replayed}");
    assert_eq!(replayed["verdict"], "valid");
    assert_eq!(replayed["finalState"], recorded["finalState"]);
    assert_eq!(replayed["steps"], recorded["steps"]);
    assert_eq!(replayed["preimages"], recorded["preimages"]);
    let (out, replayed) = prove(&["--native", "--offline", record_arg.as_str()]);
    assert!(out.status.success(), "{replayed}");
    assert_eq!(replayed["verdict"], "valid");

    // A recording with one preimage altered is refused, not replayed.
    tamper(&record);
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["fp", "prove", "--native", "--offline", record_arg.as_str()])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not hash to it"), "{err}");
}

/// The challenger's [`VmTrace`] over a recording: entry `i` is the VM state after `i + 1`
/// steps, so the entry at `steps - 1` (and every one after it) is the run's final state, with
/// the valid status, and the one before it is a running state.
fn challenger_trace_ends_in_the_runs_final_state(dir: &Path, run: &Value) {
    struct Recorded(Recording);
    impl RecordingSource for Recorded {
        fn record(&mut self, boot: &BootInfo, agreed_block: u64) -> Result<Recording, String> {
            if *boot == self.0.boot && agreed_block + 1 == boot.claimed_block {
                Ok(self.0.clone())
            } else {
                Err(format!("no recording for {boot:?}"))
            }
        }
    }
    struct NoNode;
    impl OutputSource for NoNode {
        fn output_root(&mut self, block: u64) -> Result<B256, String> {
            Err(format!("no node to ask for the output of block {block}"))
        }
    }
    let recording = read_recording(dir).expect("recording");
    let boot = recording.boot;
    let elf = Path::new(env!("CARGO_BIN_EXE_sprout"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("riscv64imac-unknown-none-elf/release/sprout-fp-program");
    let inputs = GameInputs {
        l1_head: boot.l1_head,
        chain_id: boot.chain_id,
        config_hash: boot.config_hash,
    };
    let subgame = Subgame {
        starting: (boot.agreed_output, Position(0)),
        disputed: (boot.claimed_output, Position(8)),
        disputed_block: boot.claimed_block,
        starting_block: boot.claimed_block - 1,
    };
    let mut trace = VmTrace::new(&elf, inputs, NoNode, Recorded(recording));
    let steps = run["steps"].as_u64().expect("steps") as u128;
    let last: B256 = run["finalState"]
        .as_str()
        .expect("final state")
        .parse()
        .expect("hash");
    assert_eq!(last[0], 0, "valid");
    assert_eq!(trace.state(&subgame, steps - 1).expect("last entry"), last);
    assert_eq!(trace.state(&subgame, 1 << 40).expect("past the end"), last);
    let before = trace.state(&subgame, steps - 2).expect("entry before");
    assert_ne!(before, last);
    assert_eq!(before[0], 3, "still running");
    assert!(trace.output(1).is_err(), "outputs come from the node");

    // Step data: from the absolute prestate, into the final state, and from the final state.
    let first = trace.step_data(&subgame, None).expect("step 0");
    let prestate = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fault-proof/program/PRESTATE"),
    )
    .expect("PRESTATE");
    assert_eq!(first.state_hash.to_string(), prestate.trim());
    assert_eq!(first.state.len(), 370);
    assert!(!first.proof.is_empty(), "the first fetch needs a proof");
    assert_eq!(
        first.post_state_hash,
        trace.state(&subgame, 0).expect("entry 0")
    );
    let into_last = trace
        .step_data(&subgame, Some(steps - 2))
        .expect("last step");
    assert_eq!(into_last.state_hash, before);
    assert_eq!(into_last.post_state_hash, last);
    let from_last = trace.step_data(&subgame, Some(steps - 1)).expect("exited");
    assert_eq!(
        (from_last.state_hash, from_last.post_state_hash),
        (last, last)
    );
    assert!(
        from_last.proof.is_empty(),
        "an exited state steps to itself"
    );
    let other = Subgame {
        disputed_block: boot.claimed_block + 1,
        ..subgame
    };
    assert!(
        trace.state(&other, 0).is_err(),
        "another subgame needs its own recording"
    );
}

/// Changes the last byte of the last keccak256 preimage in a recording.
fn tamper(dir: &Path) {
    let path = dir.join("preimages.bin");
    let mut raw = std::fs::read(&path).expect("read");
    let mut at = 0;
    let mut last_keccak = None;
    while at < raw.len() {
        let len = u64::from_be_bytes(raw[at + 32..at + 40].try_into().expect("len")) as usize;
        if raw[at] == 2 && len > 0 {
            last_keccak = Some(at + 40 + len - 1);
        }
        at += 40 + len;
    }
    let byte = last_keccak.expect("a keccak preimage");
    raw[byte] ^= 1;
    std::fs::write(&path, raw).expect("write");
}

/// The ELF `make fp-program` built here is byte for byte the one whose prestate is committed:
/// the build is reproducible (no paths, no debug info), so any clone on any machine with the
/// pinned toolchain gets the prestate a dispute game commits to.
#[test]
fn the_absolute_prestate_is_the_committed_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["fp", "prestate", "--json"])
        .output()
        .expect("run sprout fp prestate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let prestate = json["prestate"].as_str().expect("prestate");
    // Status 3: not exited.
    assert!(prestate.starts_with("0x03"), "{prestate}");
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fault-proof/program/PRESTATE"),
    )
    .expect("fault-proof/program/PRESTATE");
    assert_eq!(
        prestate,
        committed.trim(),
        "the program's ELF changed (its source, protocol's or a dependency's): its absolute prestate is now {prestate}; if that is meant, record it with `make fp-prestate` and commit fault-proof/program/PRESTATE"
    );
}
