//! The challenger's gauges and counters, and its L1 transactions' figures from the transaction
//! manager.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use sprout_txmgr::TxMetrics;

/// Shared between the challenger and whoever serves them.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Games in progress played in the last round.
    pub games_in_progress: AtomicU64,
    /// Games in progress left for a later round because of `max_games`.
    pub games_over_limit: AtomicU64,
    /// Moves confirmed on L1.
    pub moves: AtomicU64,
    /// Preimage parts loaded for steps.
    pub preimages_loaded: AtomicU64,
    /// Steps confirmed on L1.
    pub steps: AtomicU64,
    /// `resolveClaim` and `resolve` calls confirmed.
    pub resolutions: AtomicU64,
    /// Credits claimed.
    pub credits_claimed: AtomicU64,
    /// VM runs of the fault-proof program.
    pub vm_runs: AtomicU64,
    /// The challenger account's L1 transactions.
    pub l1: Arc<TxMetrics>,
}

impl Metrics {
    /// All metrics in Prometheus' text exposition format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP sprout_challenger_{name} {help}");
            let _ = writeln!(out, "# TYPE sprout_challenger_{name} {kind}");
            let _ = writeln!(
                out,
                "sprout_challenger_{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        metric(
            "games_in_progress",
            "gauge",
            "Games in progress played in the last round.",
            &self.games_in_progress,
        );
        metric(
            "games_over_limit",
            "gauge",
            "Games in progress waiting because of --max-games.",
            &self.games_over_limit,
        );
        metric(
            "moves_total",
            "counter",
            "Moves confirmed on L1.",
            &self.moves,
        );
        metric(
            "preimages_loaded_total",
            "counter",
            "Preimage parts loaded into the PreimageOracle.",
            &self.preimages_loaded,
        );
        metric(
            "steps_total",
            "counter",
            "Steps confirmed on L1.",
            &self.steps,
        );
        metric(
            "resolutions_total",
            "counter",
            "resolveClaim and resolve calls confirmed on L1.",
            &self.resolutions,
        );
        metric(
            "credits_claimed_total",
            "counter",
            "Bonds claimed.",
            &self.credits_claimed,
        );
        metric(
            "vm_runs_total",
            "counter",
            "Runs of the fault-proof program in the VM.",
            &self.vm_runs,
        );
        self.l1.render_prometheus("challenger", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_the_challengers_and_the_accounts_metrics() {
        let metrics = Metrics::default();
        metrics.moves.store(3, Ordering::Relaxed);
        metrics.games_in_progress.store(2, Ordering::Relaxed);
        let text = metrics.render_prometheus();
        assert!(text.contains("sprout_challenger_moves_total 3\n"));
        assert!(text.contains("sprout_challenger_games_in_progress 2\n"));
        assert!(text.contains("sprout_challenger_balance_wei"));
    }
}
