//! The fault-proof program on devnet blocks of 0, 100 and 1,000 transfers: VM steps and wall
//! time, the same run natively, preimages read, and the VM run's peak memory.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use alloy_primitives::{TxKind, U256};
use anyhow::{Result, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    derive::start_devnet,
    http::{RpcConn, quantity},
    workload::{self, Senders},
};

/// One proven block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FpFigure {
    /// Transfers in the block.
    pub transfers: u64,
    /// Its number.
    pub block: u64,
    /// VM steps to the verdict.
    pub steps: u64,
    /// Wall time of `sprout fp prove` in the VM (process included).
    pub vm_s: f64,
    /// Steps per second.
    pub steps_per_s: f64,
    /// Wall time of `sprout fp prove --native`.
    pub native_s: f64,
    /// Preimages read.
    pub preimages: u64,
    /// Their bytes.
    pub preimage_bytes: u64,
    /// Peak resident memory of the VM run, MiB.
    pub peak_rss_mib: f64,
}

/// Proves one block of each size in `sizes` on a fresh devnet.
pub fn run(sprout: &Path, sizes: &[u64]) -> Result<Vec<FpFigure>> {
    let tmp = tempfile::Builder::new()
        .prefix("sprout-bench-fp-")
        .tempdir()?;
    let devnet = tmp.path().join("devnet");
    let (info, _up) = start_devnet(sprout, tmp.path(), &devnet, &[])?;
    let url = |pointer: &str| -> Result<String> {
        info.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("sprout up printed no {pointer}"))
    };
    let (l1, l2_url) = (url("/l1/rpcUrl")?, url("/l2/rpcUrl")?);
    let mut l2 = RpcConn::new(&l2_url);

    // Senders enough for the largest block under the pool's 64 per sender: funded first.
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let mut senders = Senders::generate((largest as usize).div_ceil(50).max(1))?;
    let dev = sprout_devnet::dev_signers(1)?;
    let mut calls: Vec<(&str, Value)> = Vec::new();
    let mut raws = Vec::new();
    for (nonce, to) in senders.addresses().into_iter().enumerate() {
        let tx = workload::sign(
            &dev[0],
            nonce as u64,
            TxKind::Call(to),
            U256::from(10u128.pow(18)),
            21_000,
            Default::default(),
        )?;
        raws.push(tx.raw);
    }
    for raw in &raws {
        calls.push(("eth_sendRawTransaction", json!([raw])));
    }
    l2.batch(&calls)?;
    let funded_by = quantity(&l2.call("eth_blockNumber", json!([]))?)? + 2;
    wait_for_block(&mut l2, funded_by)?;

    let mut blocks = Vec::new();
    for &size in sizes {
        let plan: Vec<(usize, workload::Transfer)> = (0..size)
            .map(|i| {
                (
                    (i / 50) as usize,
                    workload::Transfer::Eth {
                        to: workload::fresh_recipient(size * 10_000 + i),
                    },
                )
            })
            .collect();
        let signed = workload::sign_plan(&mut senders, &plan)?;
        let before = quantity(&l2.call("eth_blockNumber", json!([]))?)?;
        let calls: Vec<(&str, Value)> = signed
            .iter()
            .map(|tx| ("eth_sendRawTransaction", json!([tx.raw])))
            .collect();
        if !calls.is_empty() {
            l2.batch(&calls)?;
        }
        wait_for_block(&mut l2, before + 3)?;
        // The block of the batch with the most transactions (all of them, when one block took
        // them; an empty block for size 0).
        let mut best = (before + 1, 0u64);
        for n in before + 1..=before + 3 {
            let block = l2.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]))?;
            let txs = block["transactions"].as_array().map_or(0, Vec::len) as u64;
            let user = txs.saturating_sub(1);
            if (size == 0 && user == 0) || user > best.1 {
                best = (n, user);
                if size == 0 {
                    break;
                }
            }
        }
        blocks.push((best.1, best.0));
    }
    let last = blocks.iter().map(|(_, b)| *b).max().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(300);
    while quantity(&l2.call("eth_getBlockByNumber", json!(["safe", false]))?["number"])? <= last {
        if Instant::now() > deadline {
            return Err(anyhow!("block {last} never became safe"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }

    let mut figures = Vec::new();
    for (transfers, block) in blocks {
        crate::progress(&format!(
            "fault proof: block {block} ({transfers} transfers) in the VM and natively"
        ));
        let number = block.to_string();
        let args = [
            "fp",
            "prove",
            "--json",
            "--devnet",
            devnet.to_str().unwrap_or_default(),
            "--l1.rpc-url",
            &l1,
            "--l2-block",
            &number,
        ];
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "maxrss_kib=%M"])
            .arg(sprout)
            .args(args)
            .output()?;
        let vm_s = started.elapsed().as_secs_f64();
        let vm: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            anyhow!(
                "sprout fp prove ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        if vm["verdict"] != "valid" {
            return Err(anyhow!("block {block}: the VM run says {vm}"));
        }
        let rss_kib = String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| {
                l.strip_prefix("maxrss_kib=")
                    .map(str::trim)
                    .map(str::to_string)
            })
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        let started = Instant::now();
        let out = Command::new(sprout).args(args).arg("--native").output()?;
        let native_s = started.elapsed().as_secs_f64();
        let native: Value = serde_json::from_slice(&out.stdout)?;
        if native["verdict"] != "valid" {
            return Err(anyhow!("block {block}: the native run says {native}"));
        }
        let steps = vm["steps"].as_u64().unwrap_or(0);
        figures.push(FpFigure {
            transfers,
            block,
            steps,
            vm_s,
            steps_per_s: steps as f64 / vm["seconds"].as_f64().unwrap_or(f64::NAN),
            native_s,
            preimages: vm["preimages"].as_u64().unwrap_or(0),
            preimage_bytes: vm["preimageBytes"].as_u64().unwrap_or(0),
            peak_rss_mib: rss_kib / 1024.0,
        });
    }
    Ok(figures)
}

fn wait_for_block(l2: &mut RpcConn, number: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while quantity(&l2.call("eth_blockNumber", json!([]))?)? < number {
        if Instant::now() > deadline {
            return Err(anyhow!("the sequencer did not reach block {number}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
