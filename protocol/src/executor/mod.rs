//! Block execution on revm: system calls, transactions, withdrawals, receipts, roots, header.
//!
//! [`BlockBuilder`] applies transactions one at a time (the sequencer feeds it from the pool and
//! may skip what does not fit); [`Executor::execute_block`] runs a complete block that must be
//! valid as given (import, derivation, conformance tests).

use alloc::{format, string::ToString, vec::Vec};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_eips::{
    eip2935::HISTORY_STORAGE_ADDRESS, eip4788::BEACON_ROOTS_ADDRESS, eip4844::DATA_GAS_PER_BLOB,
    eip4895::Withdrawal, eip7685::EMPTY_REQUESTS_HASH, eip7840::BlobParams,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_trie::root::ordered_trie_root_with_encoder;
use revm::{
    ExecuteEvm, MainBuilder, SystemCallEvm,
    context::{BlockEnv, CfgEnv, Context, Evm, Journal, TxEnv},
    context_interface::result::{EVMError, ExecutionResult},
    handler::{EthFrame, EthPrecompiles, instructions::EthInstructions},
    interpreter::interpreter::EthInterpreter,
    primitives::{eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN, hardfork::SpecId},
};

use crate::{
    Block, BlockBody, ProtocolError, Receipt, RecoveredTx, Result, StateChanges, StateReader,
    l1_info::L1BlockInfo,
    receipt::L1FeeCharged,
    receipt::block_bloom,
    state::BlockState,
    state_root::{StateRootUpdate, apply_changes},
    trie::TrieNodeProvider,
    tx::SproutTx,
};

/// The revm context Sprout executes in: mainnet block, tx and config over a [`BlockState`].
pub type EvmContext<R> =
    Context<BlockEnv, TxEnv, CfgEnv, BlockState<R>, Journal<BlockState<R>>, ()>;
type SproutContext<R> = EvmContext<R>;
type SproutEvm<R> = Evm<
    SproutContext<R>,
    (),
    EthInstructions<EthInterpreter, SproutContext<R>>,
    EthPrecompiles,
    EthFrame<EthInterpreter>,
>;

/// Chain-wide execution settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Executor {
    /// The chain id transactions must carry.
    pub chain_id: u64,
    /// The EVM rules.
    pub spec: SpecId,
}

/// What the block producer (or the block being imported) decides for the next block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnvInputs {
    /// Fee recipient.
    pub beneficiary: Address,
    /// Timestamp (seconds).
    pub timestamp: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee per gas.
    pub base_fee: u64,
    /// `prevrandao` (the header's mix hash).
    pub prev_randao: B256,
    /// Extra data (at most 32 bytes).
    pub extra_data: Bytes,
    /// EIP-4788 parent beacon block root (Cancun and later).
    pub parent_beacon_block_root: Option<B256>,
    /// EIP-4895 withdrawals (Shanghai and later; empty on L2).
    pub withdrawals: Option<Vec<Withdrawal>>,
}

/// A block after execution, with everything needed to store it.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// The block, with a complete header.
    pub block: Block,
    /// Its hash.
    pub hash: B256,
    /// One receipt per transaction.
    pub receipts: Vec<Receipt>,
    /// Senders, one per transaction.
    pub senders: Vec<Address>,
    /// Gas used by each transaction.
    pub gas_used: Vec<u64>,
    /// State changes.
    pub changes: StateChanges,
    /// New trie nodes.
    pub trie_nodes: Vec<(B256, Bytes)>,
}

/// Why a transaction was not applied.
#[derive(Debug)]
pub enum ApplyError {
    /// The transaction does not fit or is invalid in this block; the block itself is fine.
    Invalid(ProtocolError),
    /// The state source failed: the block cannot be built.
    Fatal(ProtocolError),
}

impl Executor {
    fn blob_params(&self) -> BlobParams {
        if self.spec.is_enabled_in(SpecId::PRAGUE) {
            BlobParams::prague()
        } else {
            BlobParams::cancun()
        }
    }

    /// Starts a block on top of `parent`.
    pub fn builder<R: StateReader>(
        &self,
        parent: &Header,
        inputs: BlockEnvInputs,
        reader: R,
    ) -> Result<BlockBuilder<R>> {
        let cancun = self.spec.is_enabled_in(SpecId::CANCUN);
        let excess_blob_gas = if cancun {
            Some(
                parent
                    .next_block_excess_blob_gas(self.blob_params())
                    .unwrap_or(0),
            )
        } else {
            None
        };
        let mut block_env = BlockEnv {
            number: U256::from(parent.number + 1),
            beneficiary: inputs.beneficiary,
            timestamp: U256::from(inputs.timestamp),
            gas_limit: inputs.gas_limit,
            basefee: inputs.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(inputs.prev_randao),
            ..Default::default()
        };
        if let Some(excess) = excess_blob_gas {
            let fraction = if self.spec.is_enabled_in(SpecId::PRAGUE) {
                BlobParams::prague().update_fraction as u64
            } else {
                BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN
            };
            block_env.set_blob_excess_gas_and_price(excess, fraction);
        }
        let mut cfg = CfgEnv::new_with_spec(self.spec);
        cfg.chain_id = self.chain_id;
        let mut ctx: SproutContext<R> = Context::new(BlockState::new(reader, self.spec), self.spec);
        ctx.block = block_env;
        ctx.cfg = cfg;
        let evm = ctx.build_mainnet();
        let mut builder = BlockBuilder {
            evm,
            rollup: None,
            executor: *self,
            parent_hash: parent.hash_slow(),
            number: parent.number + 1,
            inputs,
            excess_blob_gas,
            cumulative_gas: 0,
            blob_gas_used: 0,
            transactions: Vec::new(),
            senders: Vec::new(),
            receipts: Vec::new(),
            gas_used: Vec::new(),
        };
        builder.pre_block_system_calls()?;
        Ok(builder)
    }

    /// Executes a complete block that must be valid: any invalid transaction fails it.
    pub fn execute_block<R: StateReader, P: TrieNodeProvider + ?Sized>(
        &self,
        parent: &Header,
        inputs: BlockEnvInputs,
        transactions: Vec<RecoveredTx>,
        reader: R,
        pre_state_root: B256,
        trie: &P,
    ) -> Result<ExecutedBlock> {
        let mut builder = self.builder(parent, inputs, reader)?;
        for tx in transactions {
            match builder.apply(tx) {
                Ok(()) => {}
                Err(ApplyError::Invalid(err) | ApplyError::Fatal(err)) => return Err(err),
            }
        }
        builder.finish(pre_state_root, trie)
    }
}

/// What a rollup block charges beyond Ethereum's rules: the L1 data fee (to the L1 fee vault)
/// and the base fee (to the base fee vault instead of being burnt). Deposits pay neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollupFees {
    /// The block's L1 origin values that price the L1 data fee.
    pub l1_info: L1BlockInfo,
    /// Where base fees go.
    pub base_fee_vault: Address,
    /// Where L1 data fees go.
    pub l1_fee_vault: Address,
}

/// A block under construction.
pub struct BlockBuilder<R: StateReader> {
    evm: SproutEvm<R>,
    rollup: Option<RollupFees>,
    executor: Executor,
    parent_hash: B256,
    number: u64,
    inputs: BlockEnvInputs,
    excess_blob_gas: Option<u64>,
    cumulative_gas: u64,
    blob_gas_used: u64,
    transactions: Vec<SproutTx>,
    senders: Vec<Address>,
    receipts: Vec<Receipt>,
    gas_used: Vec<u64>,
}

impl<R: StateReader> core::fmt::Debug for BlockBuilder<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BlockBuilder")
            .field("number", &self.number)
            .field("transactions", &self.transactions.len())
            .field("cumulative_gas", &self.cumulative_gas)
            .finish()
    }
}

fn map_evm_error(hash: B256, err: EVMError<ProtocolError>) -> ApplyError {
    match err {
        EVMError::Database(err) => ApplyError::Fatal(err),
        EVMError::Transaction(err) => ApplyError::Invalid(ProtocolError::InvalidTransaction {
            hash,
            reason: err.to_string(),
        }),
        EVMError::Header(err) => ApplyError::Fatal(ProtocolError::InvalidBlock(err.to_string())),
        other => ApplyError::Fatal(ProtocolError::InvalidBlock(other.to_string())),
    }
}

impl<R: StateReader> BlockBuilder<R> {
    fn system_call(&mut self, contract: Address, data: Bytes) -> Result<()> {
        let result = self.evm.system_call_one(contract, data);
        let state = self.evm.finalize();
        match result {
            Ok(_) => self.evm.ctx.journaled_state.database.commit_state(state),
            Err(EVMError::Database(err)) => Err(err),
            Err(err) => Err(ProtocolError::InvalidBlock(format!(
                "system call to {contract} failed: {err}"
            ))),
        }
    }

    fn pre_block_system_calls(&mut self) -> Result<()> {
        let spec = self.executor.spec;
        if spec.is_enabled_in(SpecId::CANCUN) {
            let root = self.inputs.parent_beacon_block_root.ok_or_else(|| {
                ProtocolError::InvalidBlock("missing parent beacon block root".to_string())
            })?;
            self.system_call(
                BEACON_ROOTS_ADDRESS,
                Bytes::copy_from_slice(root.as_slice()),
            )?;
        }
        if spec.is_enabled_in(SpecId::PRAGUE) && self.number > 0 {
            let parent = self.parent_hash;
            self.system_call(
                HISTORY_STORAGE_ADDRESS,
                Bytes::copy_from_slice(parent.as_slice()),
            )?;
        }
        Ok(())
    }

    /// Makes this a rollup block: charge L1 data fees and pay base fees to the vault.
    pub fn set_rollup_fees(&mut self, fees: RollupFees) {
        self.rollup = Some(fees);
    }

    /// Checks the sender can pay gas, value and the L1 data fee, then takes the L1 fee.
    fn charge_l1_fee(
        &mut self,
        tx: &RecoveredTx,
        env: &TxEnv,
        info: L1BlockInfo,
    ) -> core::result::Result<L1FeeCharged, ApplyError> {
        let gas_used = L1BlockInfo::l1_gas_used(&tx.tx.unsigned_encoding());
        let charged = L1FeeCharged {
            fee: info.l1_fee(gas_used),
            gas_used,
            gas_price: info.base_fee,
            blob_base_fee: info.blob_base_fee,
            base_fee_scalar: info.base_fee_scalar,
            blob_base_fee_scalar: info.blob_base_fee_scalar,
        };
        let state = &mut self.evm.ctx.journaled_state.database;
        let balance = state.balance(tx.sender).map_err(ApplyError::Fatal)?;
        let cost = U256::from(env.gas_limit)
            .saturating_mul(U256::from(env.gas_price))
            .saturating_add(env.value)
            .saturating_add(charged.fee);
        if balance < cost {
            return Err(ApplyError::Invalid(ProtocolError::InvalidTransaction {
                hash: tx.hash,
                reason: alloc::format!(
                    "insufficient funds for gas * price + value + l1 fee: balance {balance}, tx cost {cost}"
                ),
            }));
        }
        state
            .decrement_balance(tx.sender, charged.fee)
            .map_err(ApplyError::Fatal)?;
        Ok(charged)
    }

    /// Gas still available in this block.
    pub fn gas_remaining(&self) -> u64 {
        self.inputs.gas_limit.saturating_sub(self.cumulative_gas)
    }

    /// Number of transactions applied.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether no transaction was applied yet.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Applies one transaction. On [`ApplyError::Invalid`] the block is unchanged.
    pub fn apply(&mut self, tx: RecoveredTx) -> core::result::Result<(), ApplyError> {
        if let SproutTx::Deposit(deposit) = &tx.tx {
            let (mint, gas_limit) = (deposit.mint, deposit.gas_limit);
            return self.apply_deposit(tx, mint, gas_limit);
        }
        if tx.tx.gas_limit() > self.gas_remaining() {
            return Err(ApplyError::Invalid(ProtocolError::InvalidTransaction {
                hash: tx.hash,
                reason: "gas limit reached".to_string(),
            }));
        }
        let env = tx.tx_env();
        let blob_gas = env.blob_hashes.len() as u64 * DATA_GAS_PER_BLOB;
        if blob_gas > 0 {
            let max = self.executor.blob_params().max_blob_gas_per_block();
            if self.blob_gas_used + blob_gas > max {
                return Err(ApplyError::Invalid(ProtocolError::InvalidTransaction {
                    hash: tx.hash,
                    reason: "blob gas limit reached".to_string(),
                }));
            }
        }
        let l1_fee = match &self.rollup {
            Some(rollup) => Some(self.charge_l1_fee(&tx, &env, rollup.l1_info)?),
            None => None,
        };
        let outcome = match self.evm.transact(env) {
            Ok(outcome) => outcome,
            Err(err) => {
                if let Some(charged) = l1_fee {
                    // Undo the L1 fee of a transaction that is not included.
                    self.evm
                        .ctx
                        .journaled_state
                        .database
                        .increment_balance(tx.sender, charged.fee)
                        .map_err(ApplyError::Fatal)?;
                }
                return Err(map_evm_error(tx.hash, err));
            }
        };
        let state = &mut self.evm.ctx.journaled_state.database;
        state
            .commit_state(outcome.state)
            .map_err(ApplyError::Fatal)?;
        let used = outcome.result.tx_gas_used();
        if let (Some(rollup), Some(charged)) = (&self.rollup, l1_fee) {
            let base_fees = U256::from(used) * U256::from(self.inputs.base_fee);
            state
                .increment_balance(rollup.l1_fee_vault, charged.fee)
                .map_err(ApplyError::Fatal)?;
            state
                .increment_balance(rollup.base_fee_vault, base_fees)
                .map_err(ApplyError::Fatal)?;
        }
        self.cumulative_gas += used;
        self.blob_gas_used += blob_gas;
        let success = matches!(outcome.result, ExecutionResult::Success { .. });
        self.receipts.push(Receipt {
            tx_type: tx.tx.tx_type(),
            success,
            cumulative_gas_used: self.cumulative_gas,
            logs: outcome.result.into_logs(),
            deposit_nonce: None,
            l1_fee,
        });
        self.gas_used.push(used);
        self.senders.push(tx.sender);
        self.transactions.push(tx.tx);
        Ok(())
    }

    /// Executes a deposit per the OP deposits spec: the mint is credited first and stays even if
    /// execution fails; no signature and no fee; the sender's nonce is bumped either way; a failed
    /// deposit uses its whole gas limit.
    fn apply_deposit(
        &mut self,
        tx: RecoveredTx,
        mint: u128,
        gas_limit: u64,
    ) -> core::result::Result<(), ApplyError> {
        if gas_limit > self.gas_remaining() {
            return Err(ApplyError::Invalid(ProtocolError::InvalidTransaction {
                hash: tx.hash,
                reason: "deposit gas exceeds the block's remaining gas".to_string(),
            }));
        }
        let state = &mut self.evm.ctx.journaled_state.database;
        state
            .increment_balance(tx.sender, U256::from(mint))
            .map_err(ApplyError::Fatal)?;
        let nonce = state.nonce(tx.sender).map_err(ApplyError::Fatal)?;
        let mut env = tx.tx_env();
        env.nonce = nonce;
        self.evm.ctx.cfg.disable_base_fee = true;
        let outcome = self.evm.transact(env);
        self.evm.ctx.cfg.disable_base_fee = false;
        let (success, used, logs) = match outcome {
            Ok(outcome) => {
                let success = matches!(outcome.result, ExecutionResult::Success { .. });
                let used = if success {
                    outcome.result.tx_gas_used()
                } else {
                    gas_limit
                };
                self.evm
                    .ctx
                    .journaled_state
                    .database
                    .commit_state(outcome.state)
                    .map_err(ApplyError::Fatal)?;
                (
                    success,
                    used,
                    if success {
                        outcome.result.into_logs()
                    } else {
                        Vec::new()
                    },
                )
            }
            Err(EVMError::Database(err)) => return Err(ApplyError::Fatal(err)),
            Err(_) => {
                // Invalid as a transaction (e.g. value above the balance): still included.
                let state = &mut self.evm.ctx.journaled_state.database;
                state.bump_nonce(tx.sender).map_err(ApplyError::Fatal)?;
                (false, gas_limit, Vec::new())
            }
        };
        self.cumulative_gas += used;
        self.receipts.push(Receipt {
            tx_type: tx.tx.tx_type(),
            success,
            cumulative_gas_used: self.cumulative_gas,
            logs,
            deposit_nonce: Some(nonce),
            l1_fee: None,
        });
        self.gas_used.push(used);
        self.senders.push(tx.sender);
        self.transactions.push(tx.tx);
        Ok(())
    }

    /// Applies withdrawals, computes the roots and seals the header.
    pub fn finish<P: TrieNodeProvider + ?Sized>(
        self,
        pre_state_root: B256,
        trie: &P,
    ) -> Result<ExecutedBlock> {
        let Self {
            evm,
            rollup: _,
            executor,
            parent_hash,
            number,
            inputs,
            excess_blob_gas,
            cumulative_gas,
            blob_gas_used,
            transactions,
            senders,
            receipts,
            gas_used,
        } = self;
        let mut state = evm.ctx.journaled_state.database;
        if let Some(withdrawals) = &inputs.withdrawals {
            for w in withdrawals {
                state.increment_balance(w.address, w.amount_wei())?;
            }
        }
        let changes = state.into_changes();
        let StateRootUpdate { state_root, nodes } = apply_changes(pre_state_root, &changes, trie)?;
        let spec = executor.spec;
        let transactions_root = ordered_trie_root_with_encoder(&transactions, |tx, buf| {
            buf.extend_from_slice(&tx.encoded_2718())
        });
        let receipts_root = ordered_trie_root_with_encoder(&receipts, |r, buf| {
            buf.extend_from_slice(&r.encoded_2718())
        });
        let withdrawals_root = inputs.withdrawals.as_ref().map(|w| {
            ordered_trie_root_with_encoder(w, |w, buf| alloy_rlp::Encodable::encode(w, buf))
        });
        let cancun = spec.is_enabled_in(SpecId::CANCUN);
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: inputs.beneficiary,
            state_root,
            transactions_root,
            receipts_root,
            logs_bloom: block_bloom(&receipts),
            difficulty: U256::ZERO,
            number,
            gas_limit: inputs.gas_limit,
            gas_used: cumulative_gas,
            timestamp: inputs.timestamp,
            extra_data: inputs.extra_data.clone(),
            mix_hash: inputs.prev_randao,
            nonce: Default::default(),
            base_fee_per_gas: Some(inputs.base_fee),
            withdrawals_root,
            blob_gas_used: cancun.then_some(blob_gas_used),
            excess_blob_gas,
            parent_beacon_block_root: if cancun {
                inputs.parent_beacon_block_root
            } else {
                None
            },
            requests_hash: spec
                .is_enabled_in(SpecId::PRAGUE)
                .then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        let hash = header.hash_slow();
        Ok(ExecutedBlock {
            block: Block {
                header,
                body: BlockBody {
                    transactions,
                    ommers: Vec::new(),
                    withdrawals: inputs.withdrawals,
                },
            },
            hash,
            receipts,
            senders,
            gas_used,
            changes,
            trie_nodes: nodes,
        })
    }
}

#[cfg(test)]
mod tests;
