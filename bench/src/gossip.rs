//! Follower lag: how long after the sequencer serves a block the devnet's follower serves it
//! as `latest`, with unsafe-block gossip and without it (the follower then learns each block
//! from L1, once the batcher posted it), on devnets under the same load.

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, TxKind, U256};
use anyhow::{Result, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    http::{RpcConn, quantity},
    workload,
};

/// How often both nodes' heads are read.
pub const POLL: Duration = Duration::from_millis(5);

/// The follower's lag behind the sequencer, per block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LagFigure {
    /// `gossip` or `L1 only`.
    pub mode: &'static str,
    /// Blocks measured.
    pub blocks: usize,
    /// Median lag, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
}

/// Both modes, with the load they ran under.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GossipFigure {
    /// Transfers per second sent to the sequencer.
    pub tx_per_s: usize,
    /// Seconds measured in each mode.
    pub seconds: u64,
    /// With gossip, then without.
    pub modes: Vec<LagFigure>,
}

/// Measures both modes, `seconds` each, under `tx_per_s` transfers per second.
pub fn run(sprout: &Path, seconds: u64, tx_per_s: usize) -> Result<GossipFigure> {
    let modes = vec![
        lag(sprout, seconds, tx_per_s, true)?,
        lag(sprout, seconds, tx_per_s, false)?,
    ];
    Ok(GossipFigure {
        tx_per_s,
        seconds,
        modes,
    })
}

fn lag(sprout: &Path, seconds: u64, tx_per_s: usize, gossip: bool) -> Result<LagFigure> {
    let tmp = tempfile::Builder::new()
        .prefix("sprout-bench-gossip-")
        .tempdir()?;
    let extra: &[&str] = if gossip { &[] } else { &["--no-gossip"] };
    let (info, _up) =
        crate::derive::start_devnet(sprout, tmp.path(), &tmp.path().join("devnet"), extra)?;
    let url = |layer: &str| -> Result<String> {
        info[layer]["rpcUrl"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("sprout up printed no {layer} URL"))
    };
    let (l2_url, follower_url) = (url("l2")?, url("follower")?);
    let load = {
        let l2_url = l2_url.clone();
        // A few seconds more than measured, so that every measured block is under load.
        std::thread::spawn(move || send_load(&l2_url, seconds + 5, tx_per_s))
    };
    let (mut l2, mut follower) = (RpcConn::new(&l2_url), RpcConn::new(&follower_url));
    let head =
        |rpc: &mut RpcConn| -> Result<u64> { quantity(&rpc.call("eth_blockNumber", json!([]))?) };
    // Warm-up: the follower has caught up once.
    let start = head(&mut l2)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while head(&mut follower)? < start {
        if Instant::now() > deadline {
            return Err(anyhow!("the follower did not reach block {start}"));
        }
        std::thread::sleep(POLL);
    }
    let (mut sequencer_seen, mut follower_seen) = (BTreeMap::new(), BTreeMap::new());
    let measure_until = Instant::now() + Duration::from_secs(seconds);
    let first = head(&mut l2)? + 1;
    let mut last = first;
    let settle = Instant::now() + Duration::from_secs(seconds + 120);
    loop {
        let now = Instant::now();
        let s = head(&mut l2)?;
        if now < measure_until {
            last = s;
        }
        for n in first..=s.min(last) {
            sequencer_seen.entry(n).or_insert(now);
        }
        let now = Instant::now();
        let f = head(&mut follower)?;
        for n in first..=f.min(last) {
            follower_seen.entry(n).or_insert(now);
        }
        if now >= measure_until && f >= last {
            break;
        }
        if now > settle {
            return Err(anyhow!("the follower did not reach block {last}"));
        }
        std::thread::sleep(POLL);
    }
    load.join()
        .map_err(|_| anyhow!("the load thread panicked"))??;
    let mut lags: Vec<f64> = (first..=last)
        .filter_map(|n| {
            let s = sequencer_seen.get(&n)?;
            let f = follower_seen.get(&n)?;
            Some(f.saturating_duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    if lags.is_empty() {
        return Err(anyhow!("no block was seen on both nodes"));
    }
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q).round() as usize];
    Ok(LagFigure {
        mode: if gossip { "gossip" } else { "L1 only" },
        blocks: lags.len(),
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        max_ms: at(1.0),
    })
}

/// ETH transfers from the ten dev accounts, `tx_per_s` a second for `seconds`.
fn send_load(l2_url: &str, seconds: u64, tx_per_s: usize) -> Result<()> {
    let mut l2 = RpcConn::new(l2_url);
    let keys = sprout_devnet::dev_signers(10)?;
    let mut nonces = vec![0u64; keys.len()];
    let start = Instant::now();
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
        l2.batch(&calls)?;
        if let Some(rest) = Duration::from_secs(1).checked_sub(second.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    Ok(())
}
