//! The transaction manager's counters and gauges; the role that owns it renders them under
//! its own prefix.

use std::{
    fmt::Write as _,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use alloy_primitives::U256;

/// Counters and gauges of one account's L1 transactions.
#[derive(Debug, Default)]
pub struct TxMetrics {
    /// Transactions sent (first sends, not resends).
    pub txs_sent: AtomicU64,
    /// Transactions that reached the confirmation depth.
    pub txs_confirmed: AtomicU64,
    /// Resends with higher fees.
    pub fee_bumps: AtomicU64,
    /// Data bytes (calldata or blob contents) of confirmed transactions.
    pub l1_bytes_posted: AtomicU64,
    /// Whether sending is stopped because the balance is below the minimum.
    pub low_balance: AtomicBool,
    balance_wei: Mutex<U256>,
}

impl TxMetrics {
    /// Records the account's balance.
    pub fn set_balance(&self, wei: U256) {
        if let Ok(mut balance) = self.balance_wei.lock() {
            *balance = wei;
        }
    }

    /// The account's balance last seen.
    pub fn balance(&self) -> U256 {
        self.balance_wei.lock().map(|b| *b).unwrap_or_default()
    }

    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Appends these metrics in Prometheus' text format as `sprout_{role}_…`.
    pub fn render_prometheus(&self, role: &str, out: &mut String) {
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP sprout_{role}_{name} {help}");
            let _ = writeln!(out, "# TYPE sprout_{role}_{name} {kind}");
            let _ = writeln!(out, "sprout_{role}_{name} {value}");
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "txs_sent_total",
            "counter",
            "L1 transactions sent (first sends).",
            load(&self.txs_sent),
        );
        metric(
            "txs_confirmed_total",
            "counter",
            "L1 transactions at the confirmation depth.",
            load(&self.txs_confirmed),
        );
        metric(
            "fee_bumps_total",
            "counter",
            "L1 transactions resent with higher fees.",
            load(&self.fee_bumps),
        );
        metric(
            "l1_bytes_posted_total",
            "counter",
            "Data bytes of confirmed L1 transactions.",
            load(&self.l1_bytes_posted),
        );
        metric(
            "balance_wei",
            "gauge",
            "Balance of the account on L1.",
            self.balance().to_string(),
        );
        metric(
            "low_balance",
            "gauge",
            "1 while sending is stopped because the balance is below the minimum.",
            u8::from(self.low_balance.load(Ordering::Relaxed)).to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_names_the_role_and_every_metric() {
        let metrics = TxMetrics::default();
        TxMetrics::add(&metrics.txs_sent, 3);
        metrics.set_balance(U256::from(10u128.pow(22)));
        metrics.low_balance.store(true, Ordering::Relaxed);
        let mut text = String::new();
        metrics.render_prometheus("proposer", &mut text);
        assert!(text.contains("sprout_proposer_txs_sent_total 3\n"));
        assert!(text.contains("sprout_proposer_balance_wei 10000000000000000000000\n"));
        assert!(text.contains("sprout_proposer_low_balance 1\n"));
        assert_eq!(text.matches("# TYPE").count(), 6);
    }
}
