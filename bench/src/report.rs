//! The figures: the machine they were taken on, executor medians, end-to-end results, printed
//! as Markdown tables (ready for the README) or one JSON object.

use serde_json::{Value, json};

use crate::{
    e2e::LoadResult,
    executor::{BlockTiming, Way},
};

/// Where and when the figures were taken.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    /// UTC date and time.
    pub date: String,
    /// Logical CPUs.
    pub nproc: usize,
    /// CPU model name.
    pub cpu: String,
    /// Total memory, GiB.
    pub memory_gib: f64,
}

impl Machine {
    /// Reads `/proc/cpuinfo`, `/proc/meminfo` and `date -u`.
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        let date = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Self {
            date,
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        }
    }
}

/// Median figures of one workload run one way.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorFigure {
    /// `ETH transfer` or `ERC-20 transfer`.
    pub workload: String,
    /// How it ran.
    pub way: String,
    /// Timed blocks.
    pub blocks: usize,
    /// Transactions per block.
    pub block_txs: usize,
    /// Gas per block (median).
    pub block_gas: u64,
    /// Median Mgas/s over blocks.
    pub mgas_per_s: f64,
    /// Median tx/s over blocks.
    pub tx_per_s: f64,
    /// Median ms executing transactions.
    pub exec_ms: f64,
    /// Median ms in `finish` (state root, other roots, header).
    pub root_ms: f64,
    /// Median ms committing to RocksDB.
    pub commit_ms: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

impl ExecutorFigure {
    /// Medians over `timings`.
    pub fn from_timings(workload: &str, way: Way, timings: &[BlockTiming]) -> Self {
        let per = |f: &dyn Fn(&BlockTiming) -> f64| median(timings.iter().map(f).collect());
        Self {
            workload: workload.to_string(),
            way: way.label().to_string(),
            blocks: timings.len(),
            block_txs: per(&|t| t.txs as f64) as usize,
            block_gas: per(&|t| t.gas as f64) as u64,
            mgas_per_s: per(&|t| t.gas as f64 / 1e6 / t.total().as_secs_f64()),
            tx_per_s: per(&|t| t.txs as f64 / t.total().as_secs_f64()),
            exec_ms: per(&|t| t.exec.as_secs_f64() * 1e3),
            root_ms: per(&|t| t.root.as_secs_f64() * 1e3),
            commit_ms: per(&|t| t.commit.as_secs_f64() * 1e3),
        }
    }
}

/// Everything one run measured.
#[derive(Debug)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// The run's parameters.
    pub settings: Value,
    /// Executor figures.
    pub executor: Vec<ExecutorFigure>,
    /// End-to-end results by node.
    pub e2e: Vec<(String, LoadResult)>,
    /// `RecoveredTx::decode` (decode + sender recovery) per transaction, µs, one core.
    pub recover_us: f64,
    /// L1 bytes per L2 transaction.
    pub batches: Vec<crate::batches::BatchFigure>,
    /// Derivation catch-up.
    pub derive: Option<crate::derive::DeriveFigure>,
    /// The follower's lag behind the sequencer, with gossip and without.
    pub gossip: Option<crate::gossip::GossipFigure>,
    /// A withdrawal's stages and L1 gas.
    pub withdraw: Option<crate::withdraw::WithdrawFigure>,
    /// Receipt lookup by block size.
    pub storage: Vec<crate::storage::StorageFigure>,
    /// Datadir growth, archive against `--prune`.
    pub prune: Vec<crate::prune::PruneFigure>,
    /// The fault-proof program on devnet blocks.
    pub fp: Vec<crate::fp::FpFigure>,
}

impl Report {
    /// An empty report for `machine`.
    pub fn new(machine: Machine) -> Self {
        Self {
            machine,
            settings: Value::Null,
            executor: Vec::new(),
            e2e: Vec::new(),
            recover_us: 0.0,
            batches: Vec::new(),
            derive: None,
            gossip: None,
            withdraw: None,
            storage: Vec::new(),
            prune: Vec::new(),
            fp: Vec::new(),
        }
    }

    fn ratio(&self) -> Option<f64> {
        let of = |name: &str| {
            self.e2e
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r.tx_per_s)
        };
        match (of("Sprout"), of("anvil")) {
            (Some(s), Some(a)) if a > 0.0 => Some(s / a),
            _ => None,
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "machine": self.machine,
            "settings": self.settings,
            "executor": self.executor,
            "recoverMicros": self.recover_us,
            "batches": self.batches,
            "derive": self.derive,
            "gossip": self.gossip,
            "withdraw": self.withdraw,
            "storage": self.storage,
            "prune": self.prune,
            "faultProof": self.fp,
            "e2e": self.e2e.iter().map(|(name, r)| json!({ "node": name, "result": r })).collect::<Vec<_>>(),
            "sproutOverAnvil": self.ratio(),
        })
    }

    /// Prints Markdown tables.
    pub fn print_tables(&self) {
        self.print_main_tables();
        self.print_derive();
        self.print_gossip();
        self.print_withdraw();
        self.print_fp();
    }

    fn print_fp(&self) {
        if self.fp.is_empty() {
            return;
        }
        println!();
        println!("Fault-proof program, `sprout fp prove` on a devnet block (VM, and natively)");
        println!();
        println!(
            "| transfers | VM steps | VM s | M steps/s | native s | preimages | preimage KiB | VM peak RSS MiB |"
        );
        println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for f in &self.fp {
            println!(
                "| {} | {} | {:.2} | {:.1} | {:.2} | {} | {:.1} | {:.0} |",
                f.transfers,
                f.steps,
                f.vm_s,
                f.steps_per_s / 1e6,
                f.native_s,
                f.preimages,
                f.preimage_bytes as f64 / 1024.0,
                f.peak_rss_mib
            );
        }
    }

    fn print_main_tables(&self) {
        let m = &self.machine;
        println!(
            "Sprout benchmarks, {} — {} × {}, {} GiB RAM",
            m.date, m.nproc, m.cpu, m.memory_gib
        );
        println!();
        if !self.executor.is_empty() {
            let first = &self.executor[0];
            println!(
                "Executor, in process: {} blocks of {} transactions per row, median block",
                first.blocks, first.block_txs
            );
            println!();
            println!(
                "| workload | way | Mgas/s | tx/s | exec ms | finish (roots) ms | commit ms |"
            );
            println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            for f in &self.executor {
                println!(
                    "| {} | {} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} |",
                    f.workload, f.way, f.mgas_per_s, f.tx_per_s, f.exec_ms, f.root_ms, f.commit_ms
                );
            }
            println!();
            println!(
                "Admission: decoding + sender recovery (`RecoveredTx::decode`) takes {:.1} µs per transaction on one core (≈ {:.0} tx/s per core)",
                self.recover_us,
                1e6 / self.recover_us.max(f64::MIN_POSITIVE)
            );
            println!();
        }
        if !self.batches.is_empty() {
            println!(
                "Batches on L1: singular batches, brotli channels, {} B calldata frames; floor {} B per transfer",
                crate::batches::MAX_FRAME_SIZE,
                crate::batches::FLOOR_BYTES_PER_TX
            );
            println!();
            println!(
                "| workload | txs/block | txs | raw bytes | L1 bytes | L1 txs | L1 bytes/tx | × floor |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for b in &self.batches {
                println!(
                    "| {} | {} | {} | {} | {} | {} | {:.1} | {:.2} |",
                    b.workload,
                    b.block_txs,
                    b.txs,
                    b.raw_bytes,
                    b.l1_bytes,
                    b.l1_txs,
                    b.bytes_per_tx,
                    b.over_floor
                );
            }
            println!();
        }
        if !self.storage.is_empty() {
            println!(
                "Receipt lookup by transaction hash (`Storage::included_tx`, what `eth_getTransactionReceipt` reads), one RocksDB holding all the blocks, flushed to disk files"
            );
            println!();
            println!(
                "| block txs | lookup p50 µs | lookup p99 µs | entries decoded/lookup | schema 1 (JSON receipts of the block) µs | bytes/tx binary | bytes/tx JSON |"
            );
            println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for f in &self.storage {
                println!(
                    "| {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} |",
                    f.block_txs,
                    f.lookup_p50_us,
                    f.lookup_p99_us,
                    f.entries_per_lookup,
                    f.json_decode_us,
                    f.binary_bytes_per_tx,
                    f.json_bytes_per_tx
                );
            }
            println!();
        }
        if !self.prune.is_empty() {
            println!(
                "Datadir bytes per block under load (ETH transfers among a fixed set of accounts; sizes after a flush and a full compaction)"
            );
            println!();
            println!(
                "| mode | blocks | txs/block | datadir MiB | bytes/block (whole run) | bytes/block (second half) | trie nodes |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            for f in &self.prune {
                println!(
                    "| {} | {} | {} | {:.1} | {:.0} | {:.0} | {} |",
                    f.mode,
                    f.blocks,
                    f.block_txs,
                    f.datadir_bytes as f64 / (1024.0 * 1024.0),
                    f.bytes_per_block,
                    f.late_bytes_per_block,
                    f.trie_nodes
                );
            }
            println!();
        }
        if !self.e2e.is_empty() {
            println!(
                "End to end over JSON-RPC: {} ETH transfers, {}; inclusion seen by polling every {} ms",
                self.e2e[0].1.submitted,
                self.settings_text(),
                crate::e2e::POLL.as_millis()
            );
            println!();
            println!(
                "| node | included | refused | included tx/s | accepted tx/s | p50 ms | p99 ms | blocks | max txs/block | node CPU | bench CPU |"
            );
            println!(
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for (name, r) in &self.e2e {
                println!(
                    "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {:.2} cores | {:.2} cores |",
                    name,
                    r.included,
                    r.rejected,
                    r.tx_per_s,
                    r.submit_tx_per_s,
                    r.p50_ms,
                    r.p99_ms,
                    r.blocks,
                    r.max_block_txs,
                    r.node_cores,
                    r.bench_cores
                );
            }
            if let Some(ratio) = self.ratio() {
                println!();
                println!("Sprout / anvil included tx/s: {ratio:.2}");
            }
            println!();
            for (name, r) in &self.e2e {
                for err in &r.errors {
                    println!("{name} refused: {err}");
                }
            }
        }
    }

    fn print_derive(&self) {
        if let Some(d) = &self.derive {
            println!(
                "Derivation catch-up: a new follower synced {} blocks ({} txs, {:.1} Mgas) from L1 in {:.1} s: {:.1} blocks/s, {:.1} Mgas/s, {:.1}x real time",
                d.blocks,
                d.txs,
                d.gas as f64 / 1e6,
                d.seconds,
                d.blocks_per_s,
                d.mgas_per_s,
                d.over_real_time
            );
            if let Some(b) = &d.breakdown {
                println!(
                    "  the follower's derivation thread: {:.2} s in the pipeline (L1 reads not read ahead, verification, channels), {:.2} s applying blocks (execution, state root, commit); the rest is startup and polling",
                    b.step_s, b.apply_s
                );
            }
        }
    }

    fn print_gossip(&self) {
        if let Some(g) = &self.gossip {
            println!(
                "Follower lag: time from the sequencer serving a block to the follower serving it as `latest` ({} s per mode under {} transfers/s, heads polled every {} ms)",
                g.seconds,
                g.tx_per_s,
                crate::gossip::POLL.as_millis()
            );
            println!();
            println!("| follower | blocks | p50 ms | p90 ms | max ms |");
            println!("| --- | ---: | ---: | ---: | ---: |");
            for m in &g.modes {
                println!(
                    "| {} | {} | {:.0} | {:.0} | {:.0} |",
                    m.mode, m.blocks, m.p50_ms, m.p90_ms, m.max_ms
                );
            }
            println!();
        }
    }

    fn print_withdraw(&self) {
        if let Some(w) = &self.withdraw {
            println!(
                "Withdrawal on the devnet: initiated -> finalizable in {:.1} s (waiting for the output {:.1} s, prove {:.1} s, finalization period {:.1} s); finalize {:.1} s",
                w.total_s, w.wait_for_output_s, w.prove_s, w.finalization_period_s, w.finalize_s
            );
            println!(
                "L1 gas: prove {}, finalize {} (per withdrawal {}), proposal {} (median of {})",
                w.prove_gas,
                w.finalize_gas,
                w.prove_gas + w.finalize_gas,
                w.proposal_gas,
                w.proposals
            );
        }
    }

    fn settings_text(&self) -> String {
        let s = &self.settings;
        format!(
            "{} senders, batches of {} over {} connections, at most {} in flight",
            s["senders"], s["e2eBatch"], s["e2eConnections"], s["e2eWindow"]
        )
    }
}
