//! viem's OP Stack actions against `sprout up`: `tests/viem/withdrawal.mjs` deposits, withdraws,
//! proves and finalizes with viem alone, checking the withdrawal status at every stage and the
//! L1 balance at the end: through the L2OutputOracle (`sprout up`), and through viem's
//! fault-proof path against dispute games (`sprout up --proofs games`).

use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::updevnet::Up;

#[test]
fn viem_op_stack_deposit_withdraw_prove_finalize() {
    withdraw_with_viem(&[], false);
}

/// The honest-game scenario: the proposer's game for the withdrawal's block is unchallenged
/// (the devnet's challenger agrees with it), resolves to DEFENDER_WINS when its 20 s clock runs
/// out, and the withdrawal proven against it finalizes.
#[test]
fn viem_fault_proof_path_withdraws_against_an_unchallenged_game() {
    withdraw_with_viem(&["--proofs", "games"], true);
}

fn withdraw_with_viem(up_args: &[&str], games: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("tests/viem/withdrawal.mjs");
    assert!(
        root.join("node_modules/viem/package.json").exists(),
        "viem is missing: run `npm ci` in the repository root (make test does)"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let mut args = vec!["--l1.block-time", "1"];
    args.extend(up_args);
    let up = Up::start(tmp.path(), &args);
    let (proof_env, proof_address) = if games {
        ("DISPUTE_GAME_FACTORY", up.get("/games/disputeGameFactory"))
    } else {
        ("L2_OUTPUT_ORACLE", up.get("/contracts/l2OutputOracle"))
    };

    let started = Instant::now();
    let mut node = Command::new("node")
        .arg(&script)
        .current_dir(&root)
        .env("L1_RPC_URL", up.get("/l1/rpcUrl"))
        .env("L2_RPC_URL", up.get("/l2/rpcUrl"))
        .env("PORTAL", up.get("/contracts/portal"))
        .env(proof_env, proof_address)
        // Dev account 3: no other test of this devnet spends from it.
        .env("PRIVATE_KEY", up.get("/accounts/3/privateKey"))
        .env("TIMEOUT_SECONDS", "120")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node (Node.js is needed for make test)");
    // The script bounds itself at 120 s; this bounds the script.
    let deadline = started + Duration::from_secs(150);
    let status = loop {
        if let Some(status) = node.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    node.stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("stdout");
    node.stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let context = || {
        format!(
            "\n--- withdrawal.mjs stdout\n{stdout}\n--- stderr\n{stderr}\n--- proposer.log (tail)\n{}{}",
            up.log_tail("proposer"),
            if games {
                format!("\n--- challenger.log (tail)\n{}", up.log_tail("challenger"))
            } else {
                String::new()
            }
        )
    };
    match status {
        None => panic!("withdrawal.mjs did not exit within 150 s{}", context()),
        Some(s) if !s.success() => panic!("withdrawal.mjs exited with {s}{}", context()),
        Some(_) => {}
    }

    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line {l:?}: {e}{}", context()))
        })
        .collect();
    let statuses: Vec<&str> = lines.iter().filter_map(|l| l["status"].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "waiting-to-prove",
            "ready-to-prove",
            "waiting-to-finalize",
            "ready-to-finalize",
            "finalized"
        ],
        "{}",
        context()
    );
    let last = lines.last().expect("a line");
    assert_eq!(last["stage"], "done", "{}", context());
    assert_eq!(last["ok"], true, "{}", context());
    eprintln!(
        "viem withdrawal flow{}: {} s (script), {:.1} s (wall)",
        if games { " (fault-proof path)" } else { "" },
        last["seconds"],
        started.elapsed().as_secs_f64()
    );
}
