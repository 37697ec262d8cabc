//! Chain configuration (the JSON a node starts from) and the genesis block it implies.

use alloc::{collections::BTreeMap, format, string::String, vec, vec::Vec};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use revm::primitives::hardfork::SpecId;
use serde::{Deserialize, Serialize};

use crate::{
    AccountState, ProtocolError, Result, StateChanges,
    state::AccountChange,
    state_root::{StateRootUpdate, apply_changes},
    trie::MemoryNodes,
};

/// The EVM rules a chain runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Hardfork {
    /// Cancun (EIP-4844, EIP-1153, EIP-4788, EIP-6780).
    Cancun,
    /// Prague (EIP-7702, EIP-2935, EIP-2537, EIP-7623); the default.
    #[default]
    Prague,
}

impl Hardfork {
    /// revm's spec id for this fork.
    pub const fn spec_id(self) -> SpecId {
        match self {
            Self::Cancun => SpecId::CANCUN,
            Self::Prague => SpecId::PRAGUE,
        }
    }
}

/// EIP-1559 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BaseFeeConfig {
    /// Bounds the change of the base fee per block to `1 / denominator`.
    pub max_change_denominator: u64,
    /// Gas limit / gas target.
    pub elasticity_multiplier: u64,
    /// Base fee of the genesis block.
    pub initial_base_fee: u64,
}

impl BaseFeeConfig {
    /// alloy's parameter struct.
    pub fn params(&self) -> BaseFeeParams {
        BaseFeeParams::new(
            self.max_change_denominator as u128,
            self.elasticity_multiplier as u128,
        )
    }
}

/// One account in the genesis allocation.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
    /// Runtime code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Bytes>,
    /// Storage slots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<B256, B256>,
}

/// The genesis block's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisConfig {
    /// Timestamp of block 0.
    pub timestamp: u64,
    /// Extra data of block 0.
    #[serde(default)]
    pub extra_data: Bytes,
    /// Initial accounts.
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

/// Everything that defines a chain. `sprout node --chain FILE` reads it as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// EVM rules at genesis.
    #[serde(default)]
    pub hardfork: Hardfork,
    /// When a chain that starts on Cancun moves to Prague (a block timestamp, as geth's
    /// `pragueTime`): blocks at or after it run Prague's rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prague_time: Option<u64>,
    /// Seconds between blocks.
    pub block_time: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// EIP-1559 parameters.
    pub base_fee: BaseFeeConfig,
    /// The block fees go to (the sequencer's fee recipient).
    #[serde(default)]
    pub fee_recipient: Address,
    /// Genesis block inputs and allocation.
    pub genesis: GenesisConfig,
}

/// The genesis block and the state it commits to.
#[derive(Clone, Debug)]
pub struct Genesis {
    /// Header of block 0.
    pub header: Header,
    /// The allocation as state changes.
    pub changes: StateChanges,
    /// Trie nodes of the genesis state.
    pub trie_nodes: Vec<(B256, Bytes)>,
}

impl ChainConfig {
    /// Checks the values that JSON decoding cannot.
    pub fn validate(&self) -> Result<()> {
        let fail = |msg: String| Err(ProtocolError::Config(msg));
        if self.chain_id == 0 {
            return fail("chainId must be non-zero".into());
        }
        if self.block_time == 0 {
            return fail("blockTime must be at least 1 second".into());
        }
        if self.gas_limit < 5_000 {
            return fail(format!(
                "gasLimit {} is below the minimum of 5000",
                self.gas_limit
            ));
        }
        if self.base_fee.max_change_denominator == 0 || self.base_fee.elasticity_multiplier == 0 {
            return fail(
                "baseFee.maxChangeDenominator and baseFee.elasticityMultiplier must be non-zero"
                    .into(),
            );
        }
        if self.genesis.extra_data.len() > 32 {
            return fail("genesis.extraData is longer than 32 bytes".into());
        }
        if self.prague_time.is_some() && self.hardfork == Hardfork::Prague {
            return fail(
                "pragueTime is set, but the chain starts on Prague (hardfork \"prague\"): set hardfork \"cancun\" to move to Prague at pragueTime, or drop pragueTime"
                    .into(),
            );
        }
        Ok(())
    }

    /// The EVM rules of a block with timestamp `timestamp`.
    pub fn spec_at(&self, timestamp: u64) -> SpecId {
        match self.prague_time {
            Some(at) if timestamp >= at => SpecId::PRAGUE,
            _ => self.hardfork.spec_id(),
        }
    }

    /// The executor of a block with timestamp `timestamp`.
    pub fn executor_at(&self, timestamp: u64) -> crate::Executor {
        crate::Executor {
            chain_id: self.chain_id,
            spec: self.spec_at(timestamp),
        }
    }

    /// The genesis state and header.
    pub fn genesis(&self) -> Result<Genesis> {
        self.validate()?;
        let mut changes = StateChanges::default();
        for (address, account) in &self.genesis.alloc {
            let code_hash = match &account.code {
                Some(code) if !code.is_empty() => {
                    let hash = keccak256(code);
                    changes.codes.insert(hash, code.clone());
                    hash
                }
                _ => KECCAK256_EMPTY,
            };
            let storage = account
                .storage
                .iter()
                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                .collect();
            changes.accounts.insert(
                *address,
                AccountChange {
                    account: Some(AccountState {
                        nonce: account.nonce.unwrap_or_default(),
                        balance: account.balance,
                        code_hash,
                    }),
                    storage_cleared: true,
                    storage,
                },
            );
        }
        let StateRootUpdate { state_root, nodes } =
            apply_changes(EMPTY_ROOT_HASH, &changes, &MemoryNodes::default())?;
        let spec = self.spec_at(self.genesis.timestamp);
        let cancun = spec.is_enabled_in(SpecId::CANCUN);
        let prague = spec.is_enabled_in(SpecId::PRAGUE);
        let header = Header {
            parent_hash: B256::ZERO,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::ZERO,
            state_root,
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            number: 0,
            gas_limit: self.gas_limit,
            gas_used: 0,
            timestamp: self.genesis.timestamp,
            extra_data: self.genesis.extra_data.clone(),
            base_fee_per_gas: Some(self.base_fee.initial_base_fee),
            withdrawals_root: Some(EMPTY_ROOT_HASH),
            blob_gas_used: cancun.then_some(0),
            excess_blob_gas: cancun.then_some(0),
            parent_beacon_block_root: cancun.then_some(B256::ZERO),
            requests_hash: prague.then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        Ok(Genesis {
            header,
            changes,
            trie_nodes: nodes,
        })
    }

    /// The base fee of the block after `parent`.
    pub fn next_base_fee(&self, parent: &Header) -> u64 {
        parent
            .next_block_base_fee(self.base_fee.params())
            .unwrap_or(self.base_fee.initial_base_fee)
    }
}

/// EIP-4788 beacon roots contract runtime code (from the EIP).
const BEACON_ROOTS_CODE: &str = "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500";
/// EIP-2935 history storage contract runtime code (from the EIP).
const HISTORY_STORAGE_CODE: &str = "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500";

/// The system contracts every Sprout genesis holds: EIP-4788 beacon roots and EIP-2935 block
/// hash history, deployed with nonce 1 as on Ethereum.
pub fn system_contracts() -> Vec<(Address, GenesisAccount)> {
    let contract = |code: &str| GenesisAccount {
        balance: U256::ZERO,
        nonce: Some(1),
        code: alloy_primitives::hex::decode(code).ok().map(Bytes::from),
        storage: BTreeMap::new(),
    };
    vec![
        (
            alloy_eips::eip4788::BEACON_ROOTS_ADDRESS,
            contract(BEACON_ROOTS_CODE),
        ),
        (
            alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS,
            contract(HISTORY_STORAGE_CODE),
        ),
    ]
}
