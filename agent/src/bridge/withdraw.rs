//! `withdraw`: ETH from L2 to L1 through `L2ToL1MessagePasser.initiateWithdrawal`; the
//! withdrawal hash comes from its `MessagePassed` event. Proving and finalizing follow on L1.

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, TxKind, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use serde::Serialize;
use sprout_contracts::{
    GasPriceOracle, L2ToL1MessagePasser,
    predeploys::{GAS_PRICE_ORACLE, L2_TO_L1_MESSAGE_PASSER},
};

use super::{
    Bridge, DEFAULT_WITHDRAWAL_GAS_LIMIT, StatusReport, WithdrawalStatus, rpc, units::decimal,
};
use crate::{AgentError, Layer, Result};

/// What `sprout bridge withdraw` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawReport {
    /// The withdrawal's stage right after sending (`waiting-to-prove`, or `ready-to-prove` if
    /// an output already covers its block).
    pub status: WithdrawalStatus,
    /// The withdrawal hash (the Portal's key).
    pub withdrawal_hash: B256,
    /// The L2 transaction: what `status`, `prove` and `finalize` take.
    pub l2_tx_hash: B256,
    /// Its L2 block.
    pub l2_block: u64,
    /// Its L2 gas.
    pub l2_gas_used: u64,
    /// The L2 account that withdrew.
    pub sender: Address,
    /// Who receives the ETH on L1.
    pub target: Address,
    /// Wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
    /// L1 gas of the withdrawal's call at finalization, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub gas_limit: U256,
    /// The message passer's nonce, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub nonce: U256,
    /// What to run next, in words.
    pub next: String,
}

impl std::fmt::Display for WithdrawReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "withdrawing {} ETH from {} (L2) to {} (L1)",
            super::units::eth(self.amount),
            self.sender,
            self.target
        )?;
        writeln!(f, "  withdrawal  {}", self.withdrawal_hash)?;
        writeln!(
            f,
            "  L2 tx       {} (block {})",
            self.l2_tx_hash, self.l2_block
        )?;
        writeln!(f, "  status      {}", self.status)?;
        write!(f, "  next        {}", self.next)
    }
}

impl Bridge {
    /// Withdraws `amount` wei to `to` on L1 (the signer when `None`); the withdrawal's call on
    /// L1 gets `gas_limit` gas (default [`DEFAULT_WITHDRAWAL_GAS_LIMIT`]).
    pub async fn withdraw(
        &self,
        to: Option<Address>,
        amount: U256,
        gas_limit: Option<u64>,
    ) -> Result<WithdrawReport> {
        let from = self.signer()?;
        let to = to.unwrap_or(from);
        let code = self
            .l2
            .get_code_at(L2_TO_L1_MESSAGE_PASSER)
            .await
            .map_err(|source| AgentError::Rpc {
                layer: Layer::L2,
                what: "eth_getCode",
                source,
            })?;
        if code.is_empty() {
            return Err(AgentError::Config(format!(
                "the L2 at {} has no L2ToL1MessagePasser at {L2_TO_L1_MESSAGE_PASSER}: is it a Sprout rollup's RPC?",
                Layer::L2.flag()
            )));
        }
        let call = L2ToL1MessagePasser::initiateWithdrawalCall {
            _target: to,
            _gasLimit: U256::from(gas_limit.unwrap_or(DEFAULT_WITHDRAWAL_GAS_LIMIT)),
            _data: Bytes::new(),
        };
        let input = Bytes::from(call.abi_encode());
        let l1_fee = self.l1_data_fee(from, amount, &input).await?;
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(L2_TO_L1_MESSAGE_PASSER)
            .with_input(input);
        // The L1 data fee moves with L1's base fee between epochs: leave twice today's.
        let tx = self
            .fund_check(Layer::L2, tx, amount, l1_fee * U256::from(2), "withdraw")
            .await?;
        let receipt = rpc::send(
            &self.l2,
            Layer::L2,
            tx,
            "L2ToL1MessagePasser.initiateWithdrawal",
            self.timeout,
        )
        .await?;
        let w = self.withdrawal(receipt.tx_hash).await?;
        let state = self.withdrawal_state(&w).await?;
        let status = StatusReport::new(&w, &state);
        Ok(WithdrawReport {
            status: status.status,
            withdrawal_hash: w.hash,
            l2_tx_hash: w.l2_tx_hash,
            l2_block: w.l2_block,
            l2_gas_used: receipt.gas_used,
            sender: w.tx.sender,
            target: w.tx.target,
            amount: w.tx.value,
            gas_limit: w.tx.gasLimit,
            nonce: w.tx.nonce,
            next: status.next,
        })
    }

    /// The L1 data fee the L2 charges for a transaction like this one (`GasPriceOracle.getL1Fee`
    /// of its unsigned encoding).
    async fn l1_data_fee(&self, from: Address, value: U256, input: &Bytes) -> Result<U256> {
        let rpc_error = |what| {
            move |source| AgentError::Rpc {
                layer: Layer::L2,
                what,
                source,
            }
        };
        let chain_id = self
            .l2
            .get_chain_id()
            .await
            .map_err(rpc_error("eth_chainId"))?;
        let nonce = self
            .l2
            .get_transaction_count(from)
            .await
            .map_err(rpc_error("eth_getTransactionCount"))?;
        let unsigned = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: 200_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(L2_TO_L1_MESSAGE_PASSER),
            value,
            access_list: Default::default(),
            input: input.clone(),
        };
        GasPriceOracle::new(GAS_PRICE_ORACLE, &self.l2)
            .getL1Fee(unsigned.encoded_for_signing().into())
            .call()
            .await
            .map_err(rpc::call_error(Layer::L2, "GasPriceOracle.getL1Fee"))
    }
}
