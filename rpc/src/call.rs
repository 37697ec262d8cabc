//! `eth_call` and `eth_estimateGas`: run a transaction request on a block's state, discarding
//! the result, with optional state overrides.

use alloy_consensus::Header;
use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256, keccak256};
use alloy_rpc_types_eth::{TransactionRequest, state::StateOverride};
use jsonrpsee::{RpcModule, core::RegisterMethodError};
use revm::{
    ExecuteEvm, MainBuilder,
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction},
};
use sprout_protocol::{AccountState, StateReader, executor::EvmContext, state::BlockState};

use super::{
    RpcContext,
    errors::{RpcError, RpcResult},
    eth::{optional, required},
};

/// A [`StateReader`] with `eth_call` state overrides applied on top.
struct Overridden<'a> {
    inner: &'a dyn StateReader,
    overrides: &'a StateOverride,
}

impl StateReader for Overridden<'_> {
    fn account(&self, address: Address) -> sprout_protocol::Result<Option<AccountState>> {
        let base = self.inner.account(address)?;
        let Some(o) = self.overrides.get(&address) else {
            return Ok(base);
        };
        let mut account = base.unwrap_or(AccountState {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: alloy_primitives::KECCAK256_EMPTY,
        });
        if let Some(balance) = o.balance {
            account.balance = balance;
        }
        if let Some(nonce) = o.nonce {
            account.nonce = nonce;
        }
        if let Some(code) = &o.code {
            account.code_hash = if code.is_empty() {
                alloy_primitives::KECCAK256_EMPTY
            } else {
                keccak256(code)
            };
        }
        Ok(Some(account))
    }

    fn storage(&self, address: Address, slot: U256) -> sprout_protocol::Result<U256> {
        if let Some(o) = self.overrides.get(&address) {
            let key = B256::from(slot);
            if let Some(state) = &o.state {
                return Ok(state
                    .get(&key)
                    .map(|v| U256::from_be_bytes(v.0))
                    .unwrap_or_default());
            }
            if let Some(diff) = &o.state_diff
                && let Some(v) = diff.get(&key)
            {
                return Ok(U256::from_be_bytes(v.0));
            }
        }
        self.inner.storage(address, slot)
    }

    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        for o in self.overrides.values() {
            if let Some(code) = &o.code
                && keccak256(code) == code_hash
            {
                return Ok(Some(code.clone()));
            }
        }
        self.inner.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        self.inner.block_hash(number)
    }
}

enum CallOutcome {
    Success { gas_used: u64, output: Bytes },
    Revert { output: Bytes },
    Halt { reason: String, gas_used: u64 },
}

impl RpcContext {
    fn tx_env(&self, request: &TransactionRequest, gas: u64, nonce: Option<u64>) -> TxEnv {
        let max_fee = request
            .max_fee_per_gas
            .or(request.gas_price)
            .unwrap_or_default();
        TxEnv {
            tx_type: if request.authorization_list.is_some() {
                4
            } else if request.max_fee_per_gas.is_some()
                || request.max_priority_fee_per_gas.is_some()
            {
                2
            } else if request.access_list.is_some() {
                1
            } else {
                0
            },
            caller: request.from.unwrap_or_default(),
            gas_limit: gas,
            gas_price: max_fee,
            kind: request.to.unwrap_or(TxKind::Create),
            value: request.value.unwrap_or_default(),
            data: request.input.input().cloned().unwrap_or_default(),
            nonce: nonce.unwrap_or_default(),
            chain_id: Some(self.chain.config().chain_id),
            access_list: request.access_list.clone().unwrap_or_default(),
            gas_priority_fee: request.max_priority_fee_per_gas,
            ..Default::default()
        }
    }

    fn run(
        &self,
        state: &dyn StateReader,
        header: &Header,
        request: &TransactionRequest,
        gas: u64,
    ) -> RpcResult<CallOutcome> {
        let spec = self.chain.config().spec_at(header.timestamp);
        let mut env = self.tx_env(request, gas, None);
        let sender = state.account(env.caller)?;
        env.nonce = request
            .nonce
            .unwrap_or_else(|| sender.map(|a| a.nonce).unwrap_or_default());
        let mut cfg = CfgEnv::new_with_spec(spec);
        cfg.chain_id = self.chain.config().chain_id;
        cfg.disable_nonce_check = true;
        let no_fee = env.gas_price == 0 && env.gas_priority_fee.unwrap_or_default() == 0;
        if no_fee {
            cfg.disable_base_fee = true;
        }
        cfg.disable_block_gas_limit = true;
        let block = BlockEnv {
            number: U256::from(header.number),
            beneficiary: header.beneficiary,
            timestamp: U256::from(header.timestamp),
            gas_limit: header.gas_limit,
            basefee: if no_fee {
                0
            } else {
                header.base_fee_per_gas.unwrap_or_default()
            },
            difficulty: U256::ZERO,
            prevrandao: Some(header.mix_hash),
            ..Default::default()
        };
        let mut ctx: EvmContext<&dyn StateReader> =
            Context::new(BlockState::new(state, spec), spec);
        ctx.block = block;
        ctx.cfg = cfg;
        let mut evm = ctx.build_mainnet();
        match evm.transact(env) {
            Ok(result) => Ok(match result.result {
                ExecutionResult::Success { gas, output, .. } => CallOutcome::Success {
                    gas_used: gas.tx_gas_used(),
                    output: output.into_data(),
                },
                ExecutionResult::Revert { output, .. } => CallOutcome::Revert { output },
                ExecutionResult::Halt { reason, gas, .. } => CallOutcome::Halt {
                    reason: halt_message(&format!("{reason:?}")),
                    gas_used: gas.tx_gas_used(),
                },
            }),
            Err(EVMError::Transaction(err)) => Err(RpcError::Server(invalid_tx_message(&err))),
            Err(EVMError::Database(err)) => Err(RpcError::internal(err)),
            Err(err) => Err(RpcError::Server(err.to_string())),
        }
    }

    fn call_gas(&self, request: &TransactionRequest, header: &Header) -> u64 {
        let cap = self.config.gas_cap.min(header.gas_limit.max(21_000));
        request.gas.map(|g| g.min(cap)).unwrap_or(cap)
    }

    fn eth_call(
        &self,
        request: TransactionRequest,
        id: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes> {
        let overrides = overrides.unwrap_or_default();
        self.with_state(id, |state, header| {
            let state = Overridden {
                inner: state,
                overrides: &overrides,
            };
            match self.run(&state, header, &request, self.call_gas(&request, header))? {
                CallOutcome::Success { output, .. } => Ok(output),
                CallOutcome::Revert { output, .. } => Err(RpcError::Reverted(output)),
                CallOutcome::Halt { reason, .. } => Err(RpcError::Server(reason)),
            }
        })
    }

    fn estimate_gas(
        &self,
        request: TransactionRequest,
        id: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let overrides = overrides.unwrap_or_default();
        self.with_state(id, |state, header| {
            let state = Overridden {
                inner: state,
                overrides: &overrides,
            };
            let mut hi = self.call_gas(&request, header);
            let used = match self.run(&state, header, &request, hi)? {
                CallOutcome::Success { gas_used, .. } => gas_used,
                CallOutcome::Revert { output, .. } => return Err(RpcError::Reverted(output)),
                CallOutcome::Halt { reason, gas_used } => {
                    if gas_used >= hi {
                        return Err(RpcError::Server(format!(
                            "gas required exceeds allowance ({hi})"
                        )));
                    }
                    return Err(RpcError::Server(reason));
                }
            };
            let ok = |gas: u64| -> RpcResult<bool> {
                Ok(matches!(
                    self.run(&state, header, &request, gas)?,
                    CallOutcome::Success { .. }
                ))
            };
            let mut lo = used.saturating_sub(1);
            // Most transactions succeed with what they used plus the 63/64 reserve.
            let optimistic = (used + 2_300) * 64 / 63;
            if optimistic < hi && ok(optimistic)? {
                hi = optimistic;
            }
            while lo + 1 < hi {
                let mid = lo + (hi - lo) / 2;
                if ok(mid)? { hi = mid } else { lo = mid }
            }
            Ok(U64::from(hi))
        })
    }
}

fn halt_message(reason: &str) -> String {
    if reason.contains("OutOfGas") {
        "out of gas".to_string()
    } else if reason.contains("InvalidFEOpcode") || reason.contains("OpcodeNotFound") {
        "invalid opcode".to_string()
    } else if reason.contains("StackUnderflow") {
        "stack underflow".to_string()
    } else if reason.contains("StackOverflow") {
        "stack limit reached 1024".to_string()
    } else {
        format!("execution halted: {reason}")
    }
}

/// geth's words for the transaction-validation errors a call can hit.
pub fn invalid_tx_message(err: &InvalidTransaction) -> String {
    match err {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".to_string()
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { .. } => {
            "intrinsic gas too low".to_string()
        }
        InvalidTransaction::PriorityFeeGreaterThanMaxFee => {
            "max priority fee per gas higher than max fee per gas".to_string()
        }
        other => other.to_string(),
    }
}

/// Registers `eth_call` and `eth_estimateGas`.
pub fn register(module: &mut RpcModule<RpcContext>) -> Result<(), RegisterMethodError> {
    module.register_blocking_method("eth_call", |p, ctx, _| -> RpcResult<Bytes> {
        ctx.eth_call(required(&p, 0)?, optional(&p, 1)?, optional(&p, 2)?)
    })?;
    module.register_blocking_method("eth_estimateGas", |p, ctx, _| -> RpcResult<U64> {
        ctx.estimate_gas(required(&p, 0)?, optional(&p, 1)?, optional(&p, 2)?)
    })?;
    module.register_blocking_method("eth_createAccessList", |_, _, _| -> RpcResult<()> {
        Err(RpcError::Server(
            "eth_createAccessList is not supported by this node yet".to_string(),
        ))
    })?;
    Ok(())
}
