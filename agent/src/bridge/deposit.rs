//! `deposit`: ETH from L1 to L2 through `Portal.depositTransaction`; the deposit's L2
//! transaction hash is computed from the `TransactionDeposited` log (as derivation builds it)
//! and its L2 receipt awaited.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use serde::Serialize;
use sprout_contracts::Portal;
use sprout_protocol::deposit::{TRANSACTION_DEPOSITED_TOPIC, decode_deposit_log};

use super::{Bridge, DEFAULT_DEPOSIT_GAS_LIMIT, rpc, units::decimal};
use crate::{AgentError, Layer, Result};

/// What `sprout bridge deposit` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositReport {
    /// The L1 account that paid.
    pub from: Address,
    /// The L2 account credited.
    pub to: Address,
    /// Wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
    /// The L1 transaction.
    pub l1_tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
    /// Its gas.
    pub l1_gas_used: u64,
    /// What it paid for gas, in wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub l1_fee: U256,
    /// The deposit transaction on L2.
    pub l2_tx_hash: B256,
    /// Its L2 block.
    pub l2_block: u64,
}

impl std::fmt::Display for DepositReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "deposited {} ETH from {} (L1) to {} (L2)",
            super::units::eth(self.amount),
            self.from,
            self.to
        )?;
        writeln!(
            f,
            "  L1 tx  {} (block {}, {} gas)",
            self.l1_tx_hash, self.l1_block, self.l1_gas_used
        )?;
        write!(f, "  L2 tx  {} (block {})", self.l2_tx_hash, self.l2_block)
    }
}

impl Bridge {
    /// Deposits `amount` wei to `to` on L2 (the signer when `None`), giving the deposit
    /// `gas_limit` L2 gas (default [`DEFAULT_DEPOSIT_GAS_LIMIT`]), and waits until it is in an
    /// L2 block.
    pub async fn deposit(
        &self,
        to: Option<Address>,
        amount: U256,
        gas_limit: Option<u64>,
    ) -> Result<DepositReport> {
        let from = self.signer()?;
        let to = to.unwrap_or(from);
        let gas_limit = gas_limit.unwrap_or(DEFAULT_DEPOSIT_GAS_LIMIT);
        let call = Portal::depositTransactionCall {
            _to: to,
            _value: amount,
            _gasLimit: gas_limit,
            _isCreation: false,
            _data: Bytes::new(),
        };
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(self.portal)
            .with_input(call.abi_encode());
        let tx = self
            .fund_check(Layer::L1, tx, amount, U256::ZERO, "deposit")
            .await?;
        let receipt = rpc::send(
            &self.l1,
            Layer::L1,
            tx,
            "Portal.depositTransaction",
            self.timeout,
        )
        .await?;
        let (index, log) = receipt
            .logs
            .iter()
            .filter(|log| log.address() == self.portal)
            .find(|log| log.topic0() == Some(&TRANSACTION_DEPOSITED_TOPIC))
            .and_then(|log| Some((log.log_index?, log)))
            .ok_or_else(|| AgentError::BadResponse {
                layer: Layer::L1,
                what: "deposit receipt",
                detail: format!(
                    "no TransactionDeposited log with a log index from the Portal in {}",
                    receipt.tx_hash
                ),
            })?;
        let deposit = decode_deposit_log(&log.inner, receipt.block_hash, index).map_err(|e| {
            AgentError::BadResponse {
                layer: Layer::L1,
                what: "TransactionDeposited log",
                detail: e.to_string(),
            }
        })?;
        let l2_tx_hash = deposit.hash();
        let l2 = rpc::wait_for_receipt(
            &self.l2,
            Layer::L2,
            l2_tx_hash,
            self.timeout,
            "the deposit to reach L2 (the sequencer includes it once its L1 block is its origin)",
        )
        .await?;
        if !l2.success {
            return Err(AgentError::Failed {
                layer: Layer::L2,
                action: "the deposit",
                hash: l2_tx_hash,
                block: l2.block_number,
                hint: format!(
                    ": the ETH was minted to {from} on L2 but not sent on to {to} (raise --gas-limit if {to} is a contract)"
                ),
            });
        }
        Ok(DepositReport {
            from,
            to,
            amount,
            l1_tx_hash: receipt.tx_hash,
            l1_block: receipt.block_number,
            l1_gas_used: receipt.gas_used,
            l1_fee: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
            l2_tx_hash,
            l2_block: l2.block_number,
        })
    }

    /// Estimates `tx` (sent with `amount` wei) and its fees, and fails before anything is sent
    /// when the signer cannot pay `amount` plus the fees plus `extra_fee`. Returns `tx` with the
    /// gas and fees it was checked with.
    pub(crate) async fn fund_check(
        &self,
        layer: Layer,
        tx: TransactionRequest,
        amount: U256,
        extra_fee: U256,
        action: &'static str,
    ) -> Result<TransactionRequest> {
        let provider = match layer {
            Layer::L1 => &self.l1,
            Layer::L2 => &self.l2,
        };
        let from = tx.from.ok_or(AgentError::NoKey)?;
        let balance = self.balance(layer, from).await?;
        // The value does not change the gas; estimating without it works at any balance.
        if amount.is_zero() {
            return Err(AgentError::Config(format!(
                "nothing to {action}: the amount is 0; pass --amount, e.g. 0.1ether"
            )));
        }
        let short = |max| AgentError::InsufficientBalance {
            layer,
            account: from,
            have: balance,
            max,
            action,
        };
        let gas = match provider.estimate_gas(tx.clone()).await {
            Ok(gas) => gas,
            // Some nodes refuse to estimate for an account that cannot pay any gas.
            Err(_) if amount >= balance => return Err(short(balance)),
            Err(source) => {
                return Err(match rpc::revert_reason(&source) {
                    Some(reason) => AgentError::Reverted {
                        action,
                        hint: rpc::portal_hint(&reason).to_string(),
                        reason,
                    },
                    None => AgentError::Rpc {
                        layer,
                        what: "eth_estimateGas",
                        source,
                    },
                });
            }
        };
        // Headroom for the estimate (storage refunds, a warm/cold difference).
        let gas = gas.saturating_add(gas / 5);
        let fees = provider
            .estimate_eip1559_fees()
            .await
            .map_err(|source| AgentError::Rpc {
                layer,
                what: "fee estimate (eth_feeHistory)",
                source,
            })?;
        let fee = U256::from(gas) * U256::from(fees.max_fee_per_gas) + extra_fee;
        let max = balance.saturating_sub(fee);
        if amount > max {
            return Err(short(max));
        }
        Ok(tx
            .with_value(amount)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas))
    }
}
