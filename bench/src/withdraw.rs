//! A withdrawal on a fresh devnet (`sprout up`, 1 s L1 blocks), driven with `sprout bridge`:
//! how long each stage takes from initiating on L2 to finalizable on L1, and the L1 gas of
//! proving, finalizing and of the proposals.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    derive::start_devnet,
    http::{RpcConn, quantity},
};

/// The withdrawal figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawFigure {
    /// From the L2 receipt of the withdrawal until an output covering it is on L1.
    pub wait_for_output_s: f64,
    /// `sprout bridge prove` (proof built, L1 transaction mined).
    pub prove_s: f64,
    /// From proven until the finalization period has passed on L1.
    pub finalization_period_s: f64,
    /// From the L2 receipt to finalizable.
    pub total_s: f64,
    /// `sprout bridge finalize`.
    pub finalize_s: f64,
    /// L1 gas of the prove transaction.
    pub prove_gas: u64,
    /// L1 gas of the finalize transaction.
    pub finalize_gas: u64,
    /// L1 gas of each output proposal seen on L1 meanwhile (median).
    pub proposal_gas: u64,
    /// How many proposals that median is over.
    pub proposals: usize,
}

/// Where `sprout bridge` runs: the devnet's datadir, endpoints and the user's key.
struct Bridge<'a> {
    sprout: &'a Path,
    datadir: &'a Path,
    l1: &'a str,
    l2: &'a str,
    key: &'a str,
}

fn bridge(b: &Bridge<'_>, args: &[&str]) -> Result<Value> {
    let out = Command::new(b.sprout)
        .arg("bridge")
        .args(args)
        .args(["--json", "--private-key", b.key, "--l1.rpc-url", b.l1])
        .args(["--l2.rpc-url", b.l2, "--datadir"])
        .arg(b.datadir)
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("sprout bridge {}", args[0]))?;
    if !out.status.success() {
        return Err(anyhow!(
            "sprout bridge {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("sprout bridge {} JSON", args[0]))
}

fn wait_for_status(b: &Bridge<'_>, tx: &str, status: &str) -> Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let now = bridge(b, &["status", tx])?;
        if now["status"] == status {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            return Err(anyhow!("withdrawal {tx} not {status} within 180 s: {now}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs one withdrawal on a fresh devnet.
pub fn run(sprout: &Path) -> Result<WithdrawFigure> {
    let tmp = tempfile::Builder::new()
        .prefix("sprout-bench-withdraw-")
        .tempdir()?;
    let datadir = tmp.path().join("devnet");
    let (info, _up) = start_devnet(sprout, tmp.path(), &datadir, &[])?;
    let key = info["accounts"][2]["privateKey"]
        .as_str()
        .ok_or_else(|| anyhow!("no dev key"))?
        .to_string();
    let l1_url = info["l1"]["rpcUrl"]
        .as_str()
        .ok_or_else(|| anyhow!("no L1 url"))?;
    let l2_url = info["l2"]["rpcUrl"]
        .as_str()
        .ok_or_else(|| anyhow!("no L2 url"))?;
    let b = Bridge {
        sprout,
        datadir: &datadir,
        l1: l1_url,
        l2: l2_url,
        key: &key,
    };
    let sent = bridge(&b, &["withdraw", "--amount", "0.5ether"])?;
    let initiated = Instant::now();
    let tx = sent["l2TxHash"]
        .as_str()
        .ok_or_else(|| anyhow!("withdraw printed no l2TxHash: {sent}"))?
        .to_string();
    let ready_to_prove = wait_for_status(&b, &tx, "ready-to-prove")?;
    let proved = bridge(&b, &["prove", &tx])?;
    let proven = Instant::now();
    let ready_to_finalize = wait_for_status(&b, &tx, "ready-to-finalize")?;
    let finalized = bridge(&b, &["finalize", &tx])?;
    let done = Instant::now();
    let gas = |v: &Value, what: &str| {
        v["l1GasUsed"]
            .as_u64()
            .ok_or_else(|| anyhow!("{what} printed no l1GasUsed: {v}"))
    };
    let mut proposal_gas = proposal_gas(
        l1_url,
        info["proposer"].as_str().unwrap_or_default(),
        info["contracts"]["l2OutputOracle"]
            .as_str()
            .unwrap_or_default(),
    )?;
    proposal_gas.sort_unstable();
    Ok(WithdrawFigure {
        wait_for_output_s: ready_to_prove.duration_since(initiated).as_secs_f64(),
        prove_s: proven.duration_since(ready_to_prove).as_secs_f64(),
        finalization_period_s: ready_to_finalize.duration_since(proven).as_secs_f64(),
        total_s: ready_to_finalize.duration_since(initiated).as_secs_f64(),
        finalize_s: done.duration_since(ready_to_finalize).as_secs_f64(),
        prove_gas: gas(&proved, "prove")?,
        finalize_gas: gas(&finalized, "finalize")?,
        proposal_gas: proposal_gas
            .get(proposal_gas.len() / 2)
            .copied()
            .unwrap_or_default(),
        proposals: proposal_gas.len(),
    })
}

/// Gas of every transaction from `proposer` to `oracle` on L1.
fn proposal_gas(l1_url: &str, proposer: &str, oracle: &str) -> Result<Vec<u64>> {
    let mut l1 = RpcConn::new(l1_url);
    let head = quantity(&l1.call("eth_blockNumber", json!([]))?)?;
    let mut gas = Vec::new();
    for number in 0..=head {
        let block = l1.call(
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), true]),
        )?;
        for tx in block["transactions"].as_array().into_iter().flatten() {
            let from = tx["from"].as_str().unwrap_or_default();
            let to = tx["to"].as_str().unwrap_or_default();
            if from.eq_ignore_ascii_case(proposer) && to.eq_ignore_ascii_case(oracle) {
                let receipt = l1.call("eth_getTransactionReceipt", json!([tx["hash"]]))?;
                if receipt["status"] == "0x1" {
                    gas.push(quantity(&receipt["gasUsed"])?);
                }
            }
        }
    }
    Ok(gas)
}
