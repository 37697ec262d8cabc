//! The proposer's gauges, and its L1 transactions' figures from the transaction manager.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use sprout_txmgr::TxMetrics;

/// Gauges and counters, shared between the proposer and whoever serves them.
#[derive(Debug, Default)]
pub struct Metrics {
    /// L2 block of the newest output on L1.
    pub latest_proposed_block: AtomicU64,
    /// The node's safe (or finalized) head minus the newest proposed block.
    pub lag_blocks: AtomicU64,
    /// Outputs this process proposed that reached the confirmation depth.
    pub proposals_confirmed: AtomicU64,
    /// Outputs refused because the verifier disagreed with the node.
    pub output_mismatches: AtomicU64,
    /// The proposer account's L1 transactions (sent, bumps, balance, low balance).
    pub l1: Arc<TxMetrics>,
}

impl Metrics {
    /// All metrics in Prometheus' text exposition format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP sprout_proposer_{name} {help}");
            let _ = writeln!(out, "# TYPE sprout_proposer_{name} {kind}");
            let _ = writeln!(
                out,
                "sprout_proposer_{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        metric(
            "latest_proposed_block",
            "gauge",
            "L2 block of the newest output root on L1.",
            &self.latest_proposed_block,
        );
        metric(
            "lag_blocks",
            "gauge",
            "L2 blocks between the node's safe (or finalized) head and the newest output.",
            &self.lag_blocks,
        );
        metric(
            "proposals_confirmed_total",
            "counter",
            "Output proposals confirmed on L1.",
            &self.proposals_confirmed,
        );
        metric(
            "output_mismatches_total",
            "counter",
            "Outputs not proposed because the verifier disagreed.",
            &self.output_mismatches,
        );
        self.l1.render_prometheus("proposer", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_the_proposers_and_the_accounts_metrics() {
        let metrics = Metrics::default();
        metrics.latest_proposed_block.store(40, Ordering::Relaxed);
        metrics.lag_blocks.store(7, Ordering::Relaxed);
        metrics
            .l1
            .set_balance(alloy_primitives::U256::from(5u64 * 10u64.pow(18)));
        let text = metrics.render_prometheus();
        assert!(text.contains("sprout_proposer_latest_proposed_block 40\n"));
        assert!(text.contains("sprout_proposer_lag_blocks 7\n"));
        assert!(text.contains("sprout_proposer_balance_wei 5000000000000000000\n"));
        assert_eq!(text.matches("# TYPE").count(), 10);
    }
}
