//! Receipts read as plain JSON (so that deposit receipts, type `0x7E`, parse too), waiting for
//! them, and the revert reasons of the Portal and the L2OutputOracle.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{B256, Bytes, U64, U128},
    providers::{DynProvider, Provider},
    rpc::types::{Log, TransactionRequest},
    sol_types::decode_revert_reason,
    transports::TransportError,
};
use serde::Deserialize;
use sprout_contracts::portal::Portal::PortalErrors;

use crate::{AgentError, Layer, Result};

/// How often receipts are polled.
const POLL: Duration = Duration::from_millis(200);

/// The parts of a transaction receipt the bridge reads.
#[derive(Debug, Clone)]
pub(crate) struct Receipt {
    pub(crate) tx_hash: B256,
    pub(crate) block_number: u64,
    pub(crate) block_hash: B256,
    pub(crate) success: bool,
    pub(crate) gas_used: u64,
    pub(crate) effective_gas_price: u128,
    pub(crate) logs: Vec<Log>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReceipt {
    transaction_hash: B256,
    block_number: U64,
    block_hash: B256,
    #[serde(default)]
    status: Option<U64>,
    gas_used: U64,
    #[serde(default)]
    effective_gas_price: Option<U128>,
    logs: Vec<Log>,
}

/// The receipt of `hash`, `None` while it is not mined.
pub(crate) async fn receipt(
    provider: &DynProvider,
    layer: Layer,
    hash: B256,
) -> Result<Option<Receipt>> {
    let raw: Option<serde_json::Value> = provider
        .raw_request("eth_getTransactionReceipt".into(), (hash,))
        .await
        .map_err(|source| AgentError::Rpc {
            layer,
            what: "eth_getTransactionReceipt",
            source,
        })?;
    let Some(raw) = raw.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let raw: RawReceipt = serde_json::from_value(raw).map_err(|e| AgentError::BadResponse {
        layer,
        what: "receipt",
        detail: e.to_string(),
    })?;
    Ok(Some(Receipt {
        tx_hash: raw.transaction_hash,
        block_number: raw.block_number.to(),
        block_hash: raw.block_hash,
        success: raw.status.is_none_or(|s| s == U64::from(1)),
        gas_used: raw.gas_used.to(),
        effective_gas_price: raw.effective_gas_price.map(|p| p.to()).unwrap_or_default(),
        logs: raw.logs,
    }))
}

/// Polls for the receipt of `hash` until `timeout`.
pub(crate) async fn wait_for_receipt(
    provider: &DynProvider,
    layer: Layer,
    hash: B256,
    timeout: Duration,
    what: &str,
) -> Result<Receipt> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(receipt) = receipt(provider, layer, hash).await? {
            return Ok(receipt);
        }
        if Instant::now() >= deadline {
            return Err(AgentError::Timeout {
                secs: timeout.as_secs(),
                what: format!("{what} ({layer} transaction {hash})"),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The revert reason in an RPC error: a Portal custom error by name, a `require` message, a
/// panic; `None` when the error is not a revert.
pub(crate) fn revert_reason(error: &TransportError) -> Option<String> {
    let payload = error.as_error_resp()?;
    let data: Option<Bytes> = payload.as_revert_data();
    match data {
        Some(data) if data.len() >= 4 => {
            let selector = [data[0], data[1], data[2], data[3]];
            if let Some(name) = PortalErrors::name_by_selector(selector) {
                return Some(format!("{name}()"));
            }
            if let Some(name) = sprout_contracts::fault_proof_portal::FaultProofPortal::FaultProofPortalErrors::name_by_selector(selector) {
                return Some(format!("{name}()"));
            }
            let reason =
                decode_revert_reason(&data).unwrap_or_else(|| format!("revert data {data}"));
            Some(match reason.strip_prefix("revert: ") {
                Some(message) => message.to_string(),
                None => reason,
            })
        }
        _ if payload.message.contains("revert") => Some(payload.message.to_string()),
        _ => None,
    }
}

/// The output root of L2 block `block` from the node (`optimism_outputAtBlock`); `None` if the
/// node does not have that block yet.
pub(crate) async fn output_root(l2: &DynProvider, block: u64) -> Result<Option<B256>> {
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Output {
        output_root: B256,
    }
    let head = l2
        .get_block_number()
        .await
        .map_err(|source| AgentError::Rpc {
            layer: Layer::L2,
            what: "eth_blockNumber",
            source,
        })?;
    if block > head {
        return Ok(None);
    }
    let out: Output = l2
        .raw_request("optimism_outputAtBlock".into(), (format!("{block:#x}"),))
        .await
        .map_err(|source| AgentError::Rpc {
            layer: Layer::L2,
            what: "optimism_outputAtBlock",
            source,
        })?;
    Ok(Some(out.output_root))
}

/// What a Portal revert means for the user.
pub(crate) fn portal_hint(reason: &str) -> &'static str {
    match reason.trim_end_matches("()") {
        "AlreadyProven" => {
            "; already proven: run `sprout bridge finalize` after the finalization period"
        }
        "AlreadyFinalized" => "; already finalized: nothing to do",
        "NotProven" => "; run `sprout bridge prove` first",
        "ProofNotOldEnough" | "OutputNotOldEnough" => {
            "; the finalization period has not passed: see `sprout bridge status`"
        }
        "OutputRootChanged" => {
            "; the output it was proven against was deleted or replaced: run `sprout bridge prove` again"
        }
        "InvalidWithdrawalInclusionProof" | "InvalidOutputRootProof" => {
            "; the proof does not match the output on L1: is --l2.rpc-url the chain this Portal serves?"
        }
        "PortalPaused" | "OptimismPortal_CallPaused" => {
            "; the guardian paused withdrawals: retry once it unpauses"
        }
        "OptimismPortal_InvalidProofTimestamp" => {
            "; a proof must come after its game's creation: retry in a few seconds"
        }
        "OptimismPortal_ProofNotOldEnough" => {
            "; the proof maturity delay has not passed: see `sprout bridge status`"
        }
        "OptimismPortal_InvalidRootClaim"
        | "OptimismPortal_InvalidDisputeGame"
        | "OptimismPortal_ImproperDisputeGame" => {
            "; the game is not resolved in the root's favour (or was blacklisted): see `sprout bridge status`, and prove again against a good game"
        }
        "OptimismPortal_Unproven" => "; run `sprout bridge prove` first",
        "InsufficientGas" => "; the transaction had too little gas for the withdrawal's gas limit",
        _ => "",
    }
}

/// Sends `tx` and waits for its receipt; a revert seen while estimating gas is reported with its
/// reason (nothing was sent then), a mined failure as [`AgentError::Failed`].
pub(crate) async fn send(
    provider: &DynProvider,
    layer: Layer,
    tx: TransactionRequest,
    action: &'static str,
    timeout: Duration,
) -> Result<Receipt> {
    let pending =
        provider
            .send_transaction(tx)
            .await
            .map_err(|source| match revert_reason(&source) {
                Some(reason) => AgentError::Reverted {
                    action,
                    hint: portal_hint(&reason).to_string(),
                    reason,
                },
                None => AgentError::Rpc {
                    layer,
                    what: action,
                    source,
                },
            })?;
    let hash = *pending.tx_hash();
    let receipt = wait_for_receipt(provider, layer, hash, timeout, action).await?;
    if !receipt.success {
        return Err(AgentError::Failed {
            layer,
            action,
            hash,
            block: receipt.block_number,
            hint: String::new(),
        });
    }
    Ok(receipt)
}

/// Maps a failed read of a contract to an RPC error.
pub(crate) fn call_error(
    layer: Layer,
    what: &'static str,
) -> impl Fn(alloy::contract::Error) -> AgentError {
    move |e| match e {
        alloy::contract::Error::TransportError(source) => AgentError::Rpc {
            layer,
            what,
            source,
        },
        other => AgentError::BadResponse {
            layer,
            what,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        sol_types::{Revert, SolError},
        transports::RpcError,
    };
    use sprout_contracts::portal::Portal::AlreadyProven;

    use super::*;

    fn reverted(data: &[u8]) -> TransportError {
        let json = format!(
            r#"{{"code":3,"message":"execution reverted","data":"{}"}}"#,
            Bytes::copy_from_slice(data)
        );
        RpcError::ErrorResp(serde_json::from_str(&json).expect("payload"))
    }

    #[test]
    fn revert_reasons_name_portal_errors_and_require_messages() {
        let proven = reverted(&AlreadyProven {}.abi_encode());
        assert_eq!(revert_reason(&proven).as_deref(), Some("AlreadyProven()"));
        assert!(portal_hint("AlreadyProven()").contains("sprout bridge finalize"));
        let message = "L2OutputOracle: output index out of range";
        let require = reverted(&Revert::from(message).abi_encode());
        assert_eq!(revert_reason(&require).as_deref(), Some(message));
        let other: TransportError = RpcError::ErrorResp(
            serde_json::from_str(r#"{"code":-32000,"message":"nonce too low"}"#).expect("payload"),
        );
        assert_eq!(revert_reason(&other), None);
    }
}
