//! `prove`: the storage proof of the withdrawal's `sentMessages` entry at the L2 block of the
//! output that covers it (`eth_getProof`), checked against that output root, then
//! `Portal.proveWithdrawalTransaction` (against the oracle's output index, or in fault-proof
//! mode the dispute game's index).

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{B256, U256, keccak256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use serde::Serialize;
use sprout_contracts::{
    FaultProofPortal, Portal, fault_proof_portal, portal::Types::OutputRootProof,
    predeploys::L2_TO_L1_MESSAGE_PASSER,
};
use sprout_protocol::output::output_root_v0;

use super::{
    Bridge, Proofs, WithdrawalStatus, rpc,
    status::{OutputRef, Withdrawal, WithdrawalState},
    units::{decimal, utc},
};
use crate::{AgentError, Layer, Result};

/// What `sprout bridge prove` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProveReport {
    /// `waiting-to-finalize`.
    pub status: WithdrawalStatus,
    /// The withdrawal hash.
    pub withdrawal_hash: B256,
    /// The L2 transaction that sent it.
    pub l2_tx_hash: B256,
    /// The L1 transaction that proved it.
    pub l1_tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
    /// Its gas.
    pub l1_gas_used: u64,
    /// What it paid, in wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub l1_fee: U256,
    /// The output it was proven against.
    pub output: OutputRef,
    /// L1 timestamp of the proof.
    pub proven_at: u64,
    /// First L1 timestamp at which it can be finalized.
    pub finalizable_at: u64,
}

impl std::fmt::Display for ProveReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "proven withdrawal {}", self.withdrawal_hash)?;
        writeln!(
            f,
            "  L1 tx   {} (block {}, {} gas)",
            self.l1_tx_hash, self.l1_block, self.l1_gas_used
        )?;
        writeln!(
            f,
            "  output  #{} (L2 block {})",
            self.output.index, self.output.l2_block
        )?;
        write!(
            f,
            "  next    run `sprout bridge finalize {}` after {}",
            self.l2_tx_hash,
            utc(self.finalizable_at.saturating_sub(1), self.proven_at)
        )
    }
}

/// The storage slot of `sentMessages[hash]` (mapping at slot 0).
fn sent_message_slot(hash: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(hash.as_slice());
    keccak256(preimage)
}

impl Bridge {
    /// Proves the withdrawal sent by L2 transaction `l2_tx` on L1.
    pub async fn prove(&self, l2_tx: B256) -> Result<ProveReport> {
        let from = self.signer()?;
        let w = self.withdrawal(l2_tx).await?;
        let state = self.withdrawal_state(&w).await?;
        let output = check_provable(&w, &state)?;
        let call = self.build_proof(&w, output).await?;
        if let Proofs::Games { .. } = self.proofs {
            return self
                .prove_against_game(from, &w, &state, output, call)
                .await;
        }
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.portal)
            .with_input(call.abi_encode());
        let receipt = rpc::send(
            &self.l1,
            Layer::L1,
            tx,
            "Portal.proveWithdrawalTransaction",
            self.timeout,
        )
        .await?;
        let proven = Portal::new(self.portal, &self.l1)
            .provenWithdrawals(w.hash)
            .block(BlockId::number(receipt.block_number))
            .call()
            .await
            .map_err(rpc::call_error(Layer::L1, "Portal.provenWithdrawals"))?;
        let proven_at = u64::try_from(proven.timestamp).unwrap_or(u64::MAX);
        Ok(ProveReport {
            status: WithdrawalStatus::WaitingToFinalize,
            withdrawal_hash: w.hash,
            l2_tx_hash: l2_tx,
            l1_tx_hash: receipt.tx_hash,
            l1_block: receipt.block_number,
            l1_gas_used: receipt.gas_used,
            l1_fee: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
            output,
            proven_at,
            finalizable_at: proven_at
                .max(output.proposed_at)
                .saturating_add(state.period)
                .saturating_add(1),
        })
    }

    /// Fault-proof mode: `proveWithdrawalTransaction(tx, gameIndex, outputRootProof, proof)`,
    /// once L1 time has passed the game's creation (a proof in its own second reverts).
    async fn prove_against_game(
        &self,
        from: alloy::primitives::Address,
        w: &Withdrawal,
        state: &WithdrawalState,
        output: OutputRef,
        call: Portal::proveWithdrawalTransactionCall,
    ) -> Result<ProveReport> {
        if state.now <= output.proposed_at {
            return Err(AgentError::Config(format!(
                "game #{} was created at L1 time {}, and a proof must come after it (L1 time is {}): retry in a few seconds",
                output.index, output.proposed_at, state.now
            )));
        }
        let tx_fields = &call._tx;
        let games_call = FaultProofPortal::proveWithdrawalTransactionCall {
            _tx: fault_proof_portal::Types::WithdrawalTransaction {
                nonce: tx_fields.nonce,
                sender: tx_fields.sender,
                target: tx_fields.target,
                value: tx_fields.value,
                gasLimit: tx_fields.gasLimit,
                data: tx_fields.data.clone(),
            },
            _disputeGameIndex: U256::from(output.index),
            _outputRootProof: fault_proof_portal::Types::OutputRootProof {
                version: call._outputRootProof.version,
                stateRoot: call._outputRootProof.stateRoot,
                messagePasserStorageRoot: call._outputRootProof.messagePasserStorageRoot,
                latestBlockhash: call._outputRootProof.latestBlockhash,
            },
            _withdrawalProof: call._withdrawalProof,
        };
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.portal)
            .with_input(games_call.abi_encode());
        let receipt = rpc::send(
            &self.l1,
            Layer::L1,
            tx,
            "FaultProofPortal.proveWithdrawalTransaction",
            self.timeout,
        )
        .await?;
        let after = self.withdrawal_state(w).await?;
        let proven = after.proven.ok_or_else(|| AgentError::BadResponse {
            layer: Layer::L1,
            what: "FaultProofPortal.provenWithdrawals",
            detail: format!("no proof of {} by {from} after it was mined", w.hash),
        })?;
        Ok(ProveReport {
            status: WithdrawalStatus::WaitingToFinalize,
            withdrawal_hash: w.hash,
            l2_tx_hash: w.l2_tx_hash,
            l1_tx_hash: receipt.tx_hash,
            l1_block: receipt.block_number,
            l1_gas_used: receipt.gas_used,
            l1_fee: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
            output,
            proven_at: proven.timestamp,
            finalizable_at: proven.ends_at.saturating_add(1),
        })
    }

    /// The Portal call proving `w` against `output`, from the L2 node's block and storage proof
    /// at the output's block, checked against the output root on L1 first.
    async fn build_proof(
        &self,
        w: &Withdrawal,
        output: OutputRef,
    ) -> Result<Portal::proveWithdrawalTransactionCall> {
        let at = BlockId::number(output.l2_block);
        let block = self
            .l2
            .get_block(at)
            .await
            .map_err(|source| AgentError::Rpc {
                layer: Layer::L2,
                what: "eth_getBlockByNumber",
                source,
            })?
            .ok_or_else(|| {
                AgentError::Config(format!(
                    "the L2 node at {} does not have block {} yet (the output's block); wait for it to sync, or use the sequencer's RPC",
                    Layer::L2.flag(),
                    output.l2_block
                ))
            })?;
        let slot = sent_message_slot(w.hash);
        let account = self
            .l2
            .get_proof(L2_TO_L1_MESSAGE_PASSER, vec![slot])
            .block_id(at)
            .await
            .map_err(|source| AgentError::Rpc {
                layer: Layer::L2,
                what: "eth_getProof",
                source,
            })?;
        let storage = account
            .storage_proof
            .into_iter()
            .find(|p| p.key.as_b256() == slot)
            .ok_or_else(|| AgentError::BadResponse {
                layer: Layer::L2,
                what: "eth_getProof",
                detail: format!("no proof of slot {slot}"),
            })?;
        if storage.value != U256::from(1) {
            return Err(AgentError::BadResponse {
                layer: Layer::L2,
                what: "eth_getProof",
                detail: format!(
                    "sentMessages[{}] is {} at L2 block {}, not true: the node does not have this withdrawal in that block",
                    w.hash, storage.value, output.l2_block
                ),
            });
        }
        let proof = OutputRootProof {
            version: B256::ZERO,
            stateRoot: block.header.state_root,
            messagePasserStorageRoot: account.storage_hash,
            latestBlockhash: block.header.hash,
        };
        let computed = output_root_v0(
            proof.stateRoot,
            proof.messagePasserStorageRoot,
            proof.latestBlockhash,
        );
        if computed != output.root {
            return Err(AgentError::OutputMismatch {
                index: output.index,
                l2_block: output.l2_block,
                on_l1: output.root,
                computed,
            });
        }
        let call = Portal::proveWithdrawalTransactionCall {
            _tx: w.tx.clone(),
            _l2OutputIndex: U256::from(output.index),
            _outputRootProof: proof,
            _withdrawalProof: storage.proof,
        };
        Ok(call)
    }
}

/// The output to prove `w` against, or why it cannot be proven now.
fn check_provable(w: &Withdrawal, state: &WithdrawalState) -> Result<OutputRef> {
    if state.finalized {
        return Err(AgentError::AlreadyFinalized(w.hash));
    }
    if let Some(p) = state.proven.filter(|p| p.output_current) {
        return Err(AgentError::AlreadyProven {
            withdrawal_hash: w.hash,
            l2_tx_hash: w.l2_tx_hash,
            proven_at: p.timestamp,
            output_index: p.output_index,
            ends_at: p.ends_at,
            now: state.now,
        });
    }
    state.output.ok_or_else(|| AgentError::NoOutputYet {
        l2_tx_hash: w.l2_tx_hash,
        l2_block: w.l2_block,
        expected: state.expected_output(),
    })
}
