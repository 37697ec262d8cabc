//! End-to-end load: presigned ETH transfers posted with `eth_sendRawTransaction` batches over
//! several keep-alive connections to a running node (Sprout or anvil), while a watcher polls
//! new blocks to see when each transaction is included.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::{
    http::{RpcConn, quantity},
    workload::SignedTx,
};

/// How often the watcher polls for new blocks.
pub const POLL: Duration = Duration::from_millis(50);

/// Load shape.
#[derive(Clone, Copy, Debug)]
pub struct LoadShape {
    /// Most transactions submitted but not yet seen in a block (keeps under the pool's size).
    pub window: usize,
    /// Give up on inclusion this long after the last submission.
    pub drain_timeout: Duration,
}

/// What one load run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LoadResult {
    /// Transactions submitted.
    pub submitted: usize,
    /// Submissions the node refused (JSON-RPC errors).
    pub rejected: usize,
    /// Transactions seen in blocks.
    pub included: usize,
    /// Seconds from the first submission to the last inclusion seen.
    pub seconds: f64,
    /// Included transactions per second over that span.
    pub tx_per_s: f64,
    /// Submissions accepted per second, from the first batch sent to the last batch answered.
    pub submit_tx_per_s: f64,
    /// CPU the node used during the run, in cores (CPU seconds / wall seconds).
    pub node_cores: f64,
    /// CPU this load generator used during the run, in cores.
    pub bench_cores: f64,
    /// Median submit-to-inclusion-seen latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Blocks that held the load.
    pub blocks: usize,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// The first few refusals.
    pub errors: Vec<String>,
}

/// A child process killed when dropped (also on error paths).
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Process id (for its CPU time).
    pub pid: u32,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sprout node --chain CHAIN --datadir DIR --http.port 0 --json` and waits for its
/// summary line. Logs go to `DIR/sprout.log`.
pub fn start_sprout(binary: &Path, chain: &Path, datadir: &Path) -> Result<Running> {
    let log = std::fs::File::create(datadir.join("sprout.log"))?;
    let mut child = Command::new(binary)
        .args(["node", "--http.port", "0", "--json", "--chain"])
        .arg(chain)
        .arg("--datadir")
        .arg(datadir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut running = Running {
        pid: child.id(),
        child,
        url: String::new(),
    };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let summary: Value = serde_json::from_str(&line).map_err(|e| {
        anyhow!(
            "sprout did not print its summary ({e}); see {}",
            datadir.join("sprout.log").display()
        )
    })?;
    running.url = summary["rpcUrl"]
        .as_str()
        .ok_or_else(|| anyhow!("summary without rpcUrl: {summary}"))?
        .to_string();
    Ok(running)
}

/// Starts anvil with 1 s blocks and a 1 Ggas limit on a free port, waits until it answers,
/// and gives each of `funded` 1,000,000 ETH with `anvil_setBalance`.
pub fn start_anvil(binary: &Path, chain_id: u64, funded: &[Address]) -> Result<Running> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(binary)
        .args(["--block-time", "1", "--gas-limit", "1000000000", "--quiet"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--chain-id", &chain_id.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let running = Running {
        pid: child.id(),
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let mut rpc = RpcConn::new(&running.url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while rpc.call("eth_chainId", json!([])).is_err() {
        if Instant::now() > deadline {
            bail!("anvil did not answer on {} within 30 s", running.url);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let balance = U256::from(10u64).pow(U256::from(24u64));
    for chunk in funded.chunks(200) {
        let calls: Vec<(&str, Value)> = chunk
            .iter()
            .map(|a| ("anvil_setBalance", json!([a, balance])))
            .collect();
        for response in rpc.batch(&calls)? {
            if let Some(err) = response.get("error") {
                bail!("anvil_setBalance: {err}");
            }
        }
    }
    Ok(running)
}

/// Finds anvil: `node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil`, else
/// `node_modules/.bin/anvil`, under the workspace root.
pub fn find_anvil(root: &Path) -> Option<PathBuf> {
    [
        root.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"),
        root.join("node_modules/.bin/anvil"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// Splits `txs` across `connections`: all transactions of one sender go over one connection,
/// in nonce order, so no connection races another on a sender's nonces.
pub fn split(txs: &[SignedTx], connections: usize, batch: usize) -> Vec<Vec<Vec<SignedTx>>> {
    let mut lanes: Vec<Vec<SignedTx>> = vec![Vec::new(); connections.max(1)];
    let mut lane_of: HashMap<Address, usize> = HashMap::new();
    for tx in txs {
        let next = lane_of.len() % lanes.len();
        let lane = *lane_of.entry(tx.recovered.sender).or_insert(next);
        lanes[lane].push(tx.clone());
    }
    lanes
        .into_iter()
        .map(|lane| {
            lane.chunks(batch.max(1))
                .map(<[SignedTx]>::to_vec)
                .collect()
        })
        .collect()
}

/// Submits `lanes` (batches per connection) to `url` and watches blocks until every
/// transaction is seen or the drain timeout passes.
pub fn run_load(
    node: &Running,
    lanes: &[Vec<Vec<SignedTx>>],
    shape: LoadShape,
) -> Result<LoadResult> {
    let url = node.url.as_str();
    let total: usize = lanes.iter().flatten().map(Vec::len).sum();
    let wanted: HashMap<B256, usize> = lanes
        .iter()
        .flatten()
        .flatten()
        .enumerate()
        .map(|(i, tx)| (tx.recovered.hash, i))
        .collect();
    let mut rpc = RpcConn::new(url);
    let start_block = quantity(&rpc.call("eth_blockNumber", json!([]))?)?;
    let submitted = AtomicUsize::new(0);
    let included = AtomicUsize::new(0);
    let submitting = AtomicBool::new(true);
    let cpu_before = (cpu_seconds("self"), cpu_seconds(&node.pid.to_string()));
    let t0 = Instant::now();
    let (sent, seen, blocks) = std::thread::scope(|scope| -> Result<_> {
        let watcher =
            scope.spawn(|| watch(url, start_block, &wanted, &included, &submitting, t0, shape));
        let senders: Vec<_> = lanes
            .iter()
            .map(|lane| {
                let (submitted, included) = (&submitted, &included);
                scope.spawn(move || submit_lane(url, lane, submitted, included, shape, t0))
            })
            .collect();
        let mut sent = Vec::new();
        let mut first_err = None;
        for handle in senders {
            match handle.join().map_err(|_| anyhow!("submitter panicked"))? {
                Ok(lane) => sent.push(lane),
                Err(err) => first_err = first_err.or(Some(err)),
            }
        }
        submitting.store(false, Ordering::SeqCst);
        let (seen, blocks) = watcher.join().map_err(|_| anyhow!("watcher panicked"))??;
        if let Some(err) = first_err {
            return Err(err);
        }
        Ok((sent, seen, blocks))
    })?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu_after = (cpu_seconds("self"), cpu_seconds(&node.pid.to_string()));
    let mut result = LoadResult {
        submitted: total,
        bench_cores: (cpu_after.0 - cpu_before.0) / wall,
        node_cores: (cpu_after.1 - cpu_before.1) / wall,
        ..Default::default()
    };
    let mut last_answer = Duration::ZERO;
    let mut submit_at: HashMap<B256, Duration> = HashMap::with_capacity(total);
    for lane in sent {
        result.rejected += lane.rejected;
        result.errors.extend(lane.errors);
        submit_at.extend(lane.times);
        last_answer = last_answer.max(lane.last_answer);
    }
    result.errors.truncate(5);
    let first_submit = submit_at.values().min().copied().unwrap_or_default();
    let mut latencies: Vec<f64> = seen
        .iter()
        .filter_map(|(hash, at)| submit_at.get(hash).map(|s| at.saturating_sub(*s)))
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    latencies.sort_by(f64::total_cmp);
    result.included = seen.len();
    let last_seen = seen.values().max().copied().unwrap_or_default();
    result.seconds = last_seen.saturating_sub(first_submit).as_secs_f64();
    if result.seconds > 0.0 {
        result.tx_per_s = result.included as f64 / result.seconds;
    }
    let submit_span = last_answer.saturating_sub(first_submit).as_secs_f64();
    if submit_span > 0.0 {
        result.submit_tx_per_s = (total - result.rejected) as f64 / submit_span;
    }
    result.p50_ms = percentile(&latencies, 0.50);
    result.p99_ms = percentile(&latencies, 0.99);
    result.blocks = blocks.iter().filter(|n| **n > 0).count();
    result.max_block_txs = blocks.iter().copied().max().unwrap_or_default();
    Ok(result)
}

/// The `q` quantile of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// User + system CPU seconds of `/proc/<pid>/stat` (`pid` may be `self`), at 100 ticks/s.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

struct LaneOutcome {
    last_answer: Duration,
    times: Vec<(B256, Duration)>,
    rejected: usize,
    errors: Vec<String>,
}

fn submit_lane(
    url: &str,
    lane: &[Vec<SignedTx>],
    submitted: &AtomicUsize,
    included: &AtomicUsize,
    shape: LoadShape,
    t0: Instant,
) -> Result<LaneOutcome> {
    let mut rpc = RpcConn::new(url);
    let mut outcome = LaneOutcome {
        last_answer: Duration::ZERO,
        times: Vec::new(),
        rejected: 0,
        errors: Vec::new(),
    };
    let patience = Instant::now() + Duration::from_secs(600);
    for batch in lane {
        while submitted.load(Ordering::SeqCst) + batch.len()
            > included.load(Ordering::SeqCst) + shape.window
        {
            if Instant::now() > patience {
                bail!("the node stopped including transactions (window full for 10 min)");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        submitted.fetch_add(batch.len(), Ordering::SeqCst);
        let calls: Vec<(&str, Value)> = batch
            .iter()
            .map(|tx| ("eth_sendRawTransaction", json!([tx.raw])))
            .collect();
        let at = t0.elapsed();
        let responses = rpc.batch(&calls)?;
        outcome.last_answer = t0.elapsed();
        for (tx, response) in batch.iter().zip(responses) {
            if let Some(err) = response.get("error") {
                outcome.rejected += 1;
                if outcome.errors.len() < 5 {
                    outcome.errors.push(err.to_string());
                }
                // A refused transaction will never be included; free its place in the window.
                included.fetch_add(1, Ordering::SeqCst);
            } else {
                outcome.times.push((tx.recovered.hash, at));
            }
        }
    }
    Ok(outcome)
}

type Seen = (HashMap<B256, Duration>, Vec<usize>);

fn watch(
    url: &str,
    start_block: u64,
    wanted: &HashMap<B256, usize>,
    included: &AtomicUsize,
    submitting: &AtomicBool,
    t0: Instant,
    shape: LoadShape,
) -> Result<Seen> {
    let mut rpc = RpcConn::new(url);
    let mut seen = HashMap::with_capacity(wanted.len());
    let mut per_block = Vec::new();
    let mut next = start_block + 1;
    let mut drain_deadline: Option<Instant> = None;
    let hard_deadline = Instant::now() + Duration::from_secs(900);
    while seen.len() < wanted.len() && Instant::now() < hard_deadline {
        if !submitting.load(Ordering::SeqCst) {
            let deadline =
                *drain_deadline.get_or_insert_with(|| Instant::now() + shape.drain_timeout);
            if Instant::now() > deadline {
                break;
            }
        }
        let head = quantity(&rpc.call("eth_blockNumber", json!([]))?)?;
        while next <= head {
            let block = rpc.call(
                "eth_getBlockByNumber",
                json!([format!("0x{next:x}"), false]),
            )?;
            let at = t0.elapsed();
            let mut count = 0;
            for hash in block["transactions"].as_array().into_iter().flatten() {
                if let Some(hash) = hash.as_str().and_then(|h| h.parse::<B256>().ok())
                    && wanted.contains_key(&hash)
                    && seen.insert(hash, at).is_none()
                {
                    count += 1;
                }
            }
            per_block.push(count);
            included.fetch_add(count, Ordering::SeqCst);
            next += 1;
        }
        std::thread::sleep(POLL);
    }
    Ok((seen, per_block))
}
