//! Derivation catch-up: a devnet (`sprout up`: anvil, sequencer, batcher) runs a load of
//! transfers for a while; then a fresh follower syncs that history from L1 alone, timed.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, TxKind, U256};
use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    http::{RpcConn, quantity},
    workload,
};

/// The catch-up figure.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeriveFigure {
    /// L2 blocks synced.
    pub blocks: u64,
    /// Transactions in them (L1-info deposits included).
    pub txs: u64,
    /// Gas in them.
    pub gas: u64,
    /// Seconds the follower took from start to the safe head.
    pub seconds: f64,
    /// Blocks per second.
    pub blocks_per_s: f64,
    /// Mgas per second.
    pub mgas_per_s: f64,
    /// How many times faster than the chain was made (1 block per second).
    pub over_real_time: f64,
    /// Where the follower's derivation thread spent its time (its "caught up with L1" log).
    pub breakdown: Option<DeriveBreakdown>,
}

/// The follower's own account of its catch-up.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeriveBreakdown {
    /// Seconds in `Pipeline::step` (L1 reads not read ahead, verification, channel decoding).
    pub step_s: f64,
    /// Seconds in `Chain::apply_derived` (execution, state root, commit).
    pub apply_s: f64,
}

/// Sums the follower's "caught up with L1" lines (`step_ms=`, `apply_ms=`).
fn breakdown(log: &str) -> Option<DeriveBreakdown> {
    let mut out: Option<DeriveBreakdown> = None;
    for line in log.lines().filter(|l| l.contains("caught up with L1")) {
        let plain = strip_ansi(line);
        let field = |name: &str| -> Option<f64> {
            let at = plain.find(&format!("{name}="))? + name.len() + 1;
            let digits: String = plain[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<f64>().ok().map(|ms| ms / 1e3)
        };
        let sum = out.get_or_insert_with(DeriveBreakdown::default);
        sum.step_s += field("step_ms")?;
        sum.apply_s += field("apply_ms")?;
    }
    out
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A child stopped with SIGTERM (then SIGKILL) when dropped, so its own children stop too.
pub(crate) struct Terminated(Child);

impl Drop for Terminated {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn first_json_line(child: &mut Child, what: &str) -> Result<Value> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("{what}: no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    serde_json::from_str(&line).map_err(|e| anyhow!("{what} printed no summary ({e}): {line:?}"))
}

fn safe_number(rpc: &mut RpcConn) -> Result<u64> {
    quantity(&rpc.call("eth_getBlockByNumber", json!(["safe", false]))?["number"])
}

/// Starts `sprout up` on a fresh `datadir` with 1 s L1 blocks and free ports, logging to
/// `logs/up.log`; returns its JSON summary and the process, stopped on drop.
pub(crate) fn start_devnet(
    sprout: &Path,
    logs: &Path,
    datadir: &Path,
    extra: &[&str],
) -> Result<(Value, Terminated)> {
    let mut up = Command::new(sprout)
        .args([
            "up",
            "--fresh",
            "--json",
            "--l1.port",
            "0",
            "--l2.port",
            "0",
        ])
        .args(["--follower.port", "0", "--l1.block-time", "1"])
        .args(extra)
        .arg("--datadir")
        .arg(datadir)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(logs.join("up.log"))?))
        .spawn()
        .context("starting sprout up")?;
    let info = first_json_line(&mut up, "sprout up")?;
    Ok((info, Terminated(up)))
}

/// Runs `seconds` of load on a fresh devnet, then times a new follower's sync.
pub fn run(sprout: &Path, seconds: u64, tx_per_s: usize) -> Result<DeriveFigure> {
    let tmp = tempfile::Builder::new()
        .prefix("sprout-bench-derive-")
        .tempdir()?;
    let devnet_dir = tmp.path().join("devnet");
    let (info, _up) = start_devnet(sprout, tmp.path(), &devnet_dir, &[])?;
    let l1_url = info["l1"]["rpcUrl"]
        .as_str()
        .ok_or_else(|| anyhow!("no L1 url"))?;
    let l2_url = info["l2"]["rpcUrl"]
        .as_str()
        .ok_or_else(|| anyhow!("no L2 url"))?;
    let mut l2 = RpcConn::new(l2_url);

    // The load: transfers from the ten dev accounts, spread over each second.
    let keys = sprout_devnet::dev_signers(10)?;
    let mut nonces = vec![0u64; keys.len()];
    let start = Instant::now();
    let mut sent = 0usize;
    while start.elapsed() < Duration::from_secs(seconds) {
        let second = Instant::now();
        let mut batch = Vec::with_capacity(tx_per_s);
        for i in 0..tx_per_s {
            let k = i % keys.len();
            let tx = workload::sign(
                &keys[k],
                nonces[k],
                TxKind::Call(Address::repeat_byte((i % 200) as u8 + 1)),
                U256::from(1),
                21_000,
                Default::default(),
            )?;
            nonces[k] += 1;
            batch.push(tx.raw);
        }
        let calls: Vec<(&str, Value)> = batch
            .iter()
            .map(|raw| ("eth_sendRawTransaction", json!([raw])))
            .collect();
        sent += l2.batch(&calls)?.len();
        if let Some(rest) = Duration::from_secs(1).checked_sub(second.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let target = quantity(&l2.call("eth_blockNumber", json!([]))?)?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while safe_number(&mut l2)? < target {
        if Instant::now() > deadline {
            return Err(anyhow!("the sequencer's safe head did not reach {target}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let (mut txs, mut gas) = (0u64, 0u64);
    for n in 1..=target {
        let block = l2.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]))?;
        txs += block["transactions"]
            .as_array()
            .map_or(0, |t| t.len() as u64);
        gas += quantity(&block["gasUsed"])?;
    }
    crate::progress(&format!(
        "derivation: {sent} transfers in {target} blocks; a new follower syncs them from L1"
    ));

    let synced = Instant::now();
    let mut follower = Command::new(sprout)
        .args(["node", "--json", "--http.port", "0", "--chain"])
        .arg(devnet_dir.join("rollup.json"))
        .args(["--l1.rpc-url", l1_url, "--datadir"])
        .arg(tmp.path().join("follower"))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(
            tmp.path().join("follower.log"),
        )?))
        .spawn()
        .context("starting the follower")?;
    let summary = first_json_line(&mut follower, "the follower")?;
    let _follower = Terminated(follower);
    let mut rpc = RpcConn::new(
        summary["rpcUrl"]
            .as_str()
            .ok_or_else(|| anyhow!("no url"))?,
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    while safe_number(&mut rpc)? < target {
        if Instant::now() > deadline {
            return Err(anyhow!("the follower did not reach block {target}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seconds = synced.elapsed().as_secs_f64();
    // The log line comes once derivation finds L1 has nothing more (up to 250 ms after).
    std::thread::sleep(Duration::from_millis(500));
    let breakdown =
        breakdown(&std::fs::read_to_string(tmp.path().join("follower.log")).unwrap_or_default());
    let hash = |rpc: &mut RpcConn| -> Result<Value> {
        Ok(rpc.call(
            "eth_getBlockByNumber",
            json!([format!("{target:#x}"), false]),
        )?["hash"]
            .clone())
    };
    if hash(&mut rpc)? != hash(&mut l2)? {
        return Err(anyhow!("the follower derived another block {target}"));
    }
    Ok(DeriveFigure {
        blocks: target,
        txs,
        gas,
        seconds,
        blocks_per_s: target as f64 / seconds,
        mgas_per_s: gas as f64 / 1e6 / seconds,
        over_real_time: target as f64 / seconds,
        breakdown,
    })
}

#[cfg(test)]
mod tests {
    use super::breakdown;

    #[test]
    fn the_follower_log_gives_the_breakdown_with_or_without_colours() {
        let log = "2026-12-01T12:00:00Z  INFO derive: caught up with L1 safe=9 blocks=9 l1_blocks=20 step_ms=250 apply_ms=1500\n\
            x \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mderive\u{1b}[0m: caught up with L1 \u{1b}[3mstep_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m50 \u{1b}[3mapply_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m500\n";
        let b = breakdown(log).expect("breakdown");
        assert!((b.step_s - 0.3).abs() < 1e-9, "{b:?}");
        assert!((b.apply_s - 2.0).abs() < 1e-9, "{b:?}");
        assert!(breakdown("nothing here").is_none());
    }
}
