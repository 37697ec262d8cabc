//! The batcher's counters and gauges, rendered in Prometheus' text format for the node to serve.
//! Its L1 transactions' figures come from the transaction manager ([`TxMetrics`]).

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use sprout_txmgr::TxMetrics;

/// Counters and gauges, shared between the batcher and whoever serves them.
#[derive(Debug, Default)]
pub struct Metrics {
    /// L2 blocks added to channels.
    pub blocks_batched: AtomicU64,
    /// Channels closed (and cut into frames).
    pub channels_closed: AtomicU64,
    /// Restarts from the safe head (L1 reorg of a frame, sequencer reorg).
    pub rewinds: AtomicU64,
    /// The newest L2 block batched.
    pub latest_block_batched: AtomicU64,
    /// The batcher account's L1 transactions: frames sent and confirmed, fee bumps, bytes
    /// posted, balance.
    pub l1: Arc<TxMetrics>,
}

impl Metrics {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// All metrics in Prometheus' text exposition format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP sprout_batcher_{name} {help}");
            let _ = writeln!(out, "# TYPE sprout_batcher_{name} {kind}");
            let _ = writeln!(
                out,
                "sprout_batcher_{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        metric(
            "blocks_batched_total",
            "counter",
            "L2 blocks added to channels.",
            &self.blocks_batched,
        );
        metric(
            "channels_closed_total",
            "counter",
            "Channels closed and cut into frames.",
            &self.channels_closed,
        );
        metric(
            "rewinds_total",
            "counter",
            "Restarts from the sequencer's safe head.",
            &self.rewinds,
        );
        metric(
            "latest_block_batched",
            "gauge",
            "Number of the newest L2 block added to a channel.",
            &self.latest_block_batched,
        );
        self.l1.render_prometheus("batcher", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    #[test]
    fn prometheus_text_has_every_metric_with_its_value() {
        let metrics = Metrics::default();
        Metrics::add(&metrics.rewinds, 2);
        TxMetrics::add(&metrics.l1.txs_sent, 3);
        metrics.l1.set_balance(U256::from(10u128.pow(22)));
        metrics.l1.low_balance.store(true, Ordering::Relaxed);
        let text = metrics.render_prometheus();
        assert!(text.contains("sprout_batcher_rewinds_total 2\n"));
        assert!(text.contains("sprout_batcher_txs_sent_total 3\n"));
        assert!(text.contains("sprout_batcher_balance_wei 10000000000000000000000\n"));
        assert!(text.contains("sprout_batcher_low_balance 1\n"));
        assert!(text.contains("# TYPE sprout_batcher_rewinds_total counter\n"));
        assert_eq!(text.matches("# TYPE").count(), 10);
    }
}
