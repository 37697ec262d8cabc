//! `finalize`: `Portal.finalizeWithdrawalTransaction` once the finalization period has passed
//! since both the proof and the output's proposal.

use alloy::{
    network::TransactionBuilder,
    primitives::{B256, U256},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolEvent},
};
use serde::Serialize;
use sprout_contracts::{Portal, portal::Portal::WithdrawalFinalized};

use super::{
    Bridge, WithdrawalStatus, rpc,
    status::{Withdrawal, WithdrawalState},
    units::decimal,
};
use crate::{AgentError, Layer, Result};

/// What `sprout bridge finalize` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeReport {
    /// `finalized`.
    pub status: WithdrawalStatus,
    /// The withdrawal hash.
    pub withdrawal_hash: B256,
    /// The L2 transaction that sent it.
    pub l2_tx_hash: B256,
    /// The L1 transaction that finalized it.
    pub l1_tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
    /// Its gas.
    pub l1_gas_used: u64,
    /// What it paid, in wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub l1_fee: U256,
    /// Who received the ETH on L1.
    pub target: alloy::primitives::Address,
    /// Wei paid out, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
}

impl std::fmt::Display for FinalizeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "finalized withdrawal {}", self.withdrawal_hash)?;
        writeln!(
            f,
            "  L1 tx   {} (block {}, {} gas)",
            self.l1_tx_hash, self.l1_block, self.l1_gas_used
        )?;
        write!(
            f,
            "  paid    {} ETH to {} on L1",
            super::units::eth(self.amount),
            self.target
        )
    }
}

impl Bridge {
    /// Finalizes the withdrawal sent by L2 transaction `l2_tx` on L1.
    pub async fn finalize(&self, l2_tx: B256) -> Result<FinalizeReport> {
        let from = self.signer()?;
        let w = self.withdrawal(l2_tx).await?;
        let state = self.withdrawal_state(&w).await?;
        check_finalizable(&w, &state)?;
        // The Portal pays from what deposits locked in it; a failed payment still marks the
        // withdrawal finalized, so that is never risked.
        let have = self.balance(Layer::L1, self.portal).await?;
        if have < w.tx.value {
            return Err(AgentError::PortalUnderfunded {
                portal: self.portal,
                have,
                need: w.tx.value,
                withdrawal_hash: w.hash,
            });
        }
        let call = Portal::finalizeWithdrawalTransactionCall { _tx: w.tx.clone() };
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.portal)
            .with_input(call.abi_encode());
        let receipt = rpc::send(
            &self.l1,
            Layer::L1,
            tx,
            "Portal.finalizeWithdrawalTransaction",
            self.timeout,
        )
        .await?;
        let success = receipt
            .logs
            .iter()
            .filter(|log| log.address() == self.portal)
            .filter_map(|log| log.log_decode::<WithdrawalFinalized>().ok())
            .find(|e| e.inner.data.withdrawalHash == w.hash)
            .map(|e| e.inner.data.success);
        match success {
            Some(true) => {}
            Some(false) => {
                return Err(AgentError::Failed {
                    layer: Layer::L1,
                    action: "Portal.finalizeWithdrawalTransaction",
                    hash: receipt.tx_hash,
                    block: receipt.block_number,
                    hint: format!(
                        ": the withdrawal is finalized, but its call to {} ran out of its {} gas or reverted, so the ETH was not paid out",
                        w.tx.target, w.tx.gasLimit
                    ),
                });
            }
            None => {
                return Err(AgentError::BadResponse {
                    layer: Layer::L1,
                    what: "finalize receipt",
                    detail: format!("no {} event for {}", WithdrawalFinalized::SIGNATURE, w.hash),
                });
            }
        }
        Ok(FinalizeReport {
            status: WithdrawalStatus::Finalized,
            withdrawal_hash: w.hash,
            l2_tx_hash: l2_tx,
            l1_tx_hash: receipt.tx_hash,
            l1_block: receipt.block_number,
            l1_gas_used: receipt.gas_used,
            l1_fee: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
            target: w.tx.target,
            amount: w.tx.value,
        })
    }
}

/// Why `w` cannot be finalized now, if it cannot.
fn check_finalizable(w: &Withdrawal, state: &WithdrawalState) -> Result<()> {
    if state.finalized {
        return Err(AgentError::AlreadyFinalized(w.hash));
    }
    let Some(proven) = state.proven.filter(|p| p.output_current) else {
        let tx = w.l2_tx_hash;
        let hint = match (state.proven, state.output) {
            (Some(_), _) => format!(
                ": the output it was proven against was deleted or replaced; run `sprout bridge prove {tx}` again"
            ),
            (None, Some(_)) => format!("; run `sprout bridge prove {tx}` first"),
            (None, None) => format!(
                ", and no output covers its L2 block {} yet: {}; then run `sprout bridge prove {tx}`",
                w.l2_block,
                state.expected_output()
            ),
        };
        return Err(AgentError::NotProven {
            withdrawal_hash: w.hash,
            l2_tx_hash: w.l2_tx_hash,
            hint,
        });
    };
    // Fault-proof mode asks the portal (the game must also be resolved and final).
    if !proven.ready.unwrap_or(state.now > proven.ends_at) {
        return Err(AgentError::FinalizationPeriod {
            withdrawal_hash: w.hash,
            l2_tx_hash: w.l2_tx_hash,
            ends_at: proven.ends_at,
            now: state.now,
        });
    }
    Ok(())
}
