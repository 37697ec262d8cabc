//! The batcher's counters and gauges, rendered in Prometheus' text format for the node to serve.

use std::{
    fmt::Write as _,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use alloy_primitives::U256;

/// Counters and gauges, shared between the batcher and whoever serves them.
#[derive(Debug, Default)]
pub struct Metrics {
    /// L2 blocks added to channels.
    pub blocks_batched: AtomicU64,
    /// Channels closed (and cut into frames).
    pub channels_closed: AtomicU64,
    /// Batcher transactions sent (first sends, not resends).
    pub frames_sent: AtomicU64,
    /// Batcher transactions that reached the confirmation depth.
    pub txs_confirmed: AtomicU64,
    /// Resends with higher fees.
    pub fee_bumps: AtomicU64,
    /// Restarts from the safe head (L1 reorg of a frame, sequencer reorg).
    pub rewinds: AtomicU64,
    /// Calldata bytes of confirmed batcher transactions.
    pub l1_bytes_posted: AtomicU64,
    /// The newest L2 block batched.
    pub latest_block_batched: AtomicU64,
    /// Whether sending is stopped because the balance is below the minimum.
    pub low_balance: AtomicBool,
    balance_wei: Mutex<U256>,
}

impl Metrics {
    /// Records the batcher account's balance.
    pub fn set_balance(&self, wei: U256) {
        if let Ok(mut balance) = self.balance_wei.lock() {
            *balance = wei;
        }
    }

    /// The batcher account's balance last seen.
    pub fn balance(&self) -> U256 {
        self.balance_wei.lock().map(|b| *b).unwrap_or_default()
    }

    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// All metrics in Prometheus' text exposition format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP sprout_batcher_{name} {help}");
            let _ = writeln!(out, "# TYPE sprout_batcher_{name} {kind}");
            let _ = writeln!(out, "sprout_batcher_{name} {value}");
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "blocks_batched_total",
            "counter",
            "L2 blocks added to channels.",
            load(&self.blocks_batched),
        );
        metric(
            "channels_closed_total",
            "counter",
            "Channels closed and cut into frames.",
            load(&self.channels_closed),
        );
        metric(
            "frames_sent_total",
            "counter",
            "Batcher transactions sent (first sends).",
            load(&self.frames_sent),
        );
        metric(
            "txs_confirmed_total",
            "counter",
            "Batcher transactions at the confirmation depth.",
            load(&self.txs_confirmed),
        );
        metric(
            "fee_bumps_total",
            "counter",
            "Batcher transactions resent with higher fees.",
            load(&self.fee_bumps),
        );
        metric(
            "rewinds_total",
            "counter",
            "Restarts from the sequencer's safe head.",
            load(&self.rewinds),
        );
        metric(
            "l1_bytes_posted_total",
            "counter",
            "Calldata bytes of confirmed batcher transactions.",
            load(&self.l1_bytes_posted),
        );
        metric(
            "latest_block_batched",
            "gauge",
            "Number of the newest L2 block added to a channel.",
            load(&self.latest_block_batched),
        );
        metric(
            "balance_wei",
            "gauge",
            "Balance of the batcher account on L1.",
            self.balance().to_string(),
        );
        metric(
            "low_balance",
            "gauge",
            "1 while sending is stopped because the balance is below the minimum.",
            u8::from(self.low_balance.load(Ordering::Relaxed)).to_string(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_every_metric_with_its_value() {
        let metrics = Metrics::default();
        Metrics::add(&metrics.frames_sent, 3);
        metrics.set_balance(U256::from(10u128.pow(22)));
        metrics.low_balance.store(true, Ordering::Relaxed);
        let text = metrics.render_prometheus();
        assert!(text.contains("sprout_batcher_frames_sent_total 3\n"));
        assert!(text.contains("sprout_batcher_balance_wei 10000000000000000000000\n"));
        assert!(text.contains("sprout_batcher_low_balance 1\n"));
        assert!(text.contains("# TYPE sprout_batcher_rewinds_total counter\n"));
        assert_eq!(text.matches("# TYPE").count(), 10);
    }
}
