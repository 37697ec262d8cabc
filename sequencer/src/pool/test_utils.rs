//! Test doubles: a plain transaction struct and an in-memory account state.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256, keccak256};

use super::{AccountReader, PoolConfig, PoolTransaction};

pub(crate) const CHAIN_ID: u64 = 901;
pub(crate) const BLOCK_GAS_LIMIT: u64 = 30_000_000;
pub(crate) const GWEI: u128 = 1_000_000_000;

/// Transaction with every field the pool reads set directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MockTx {
    pub(crate) sender: Address,
    pub(crate) nonce: u64,
    pub(crate) gas_limit: u64,
    pub(crate) max_fee: u128,
    pub(crate) tip: u128,
    pub(crate) value: U256,
    pub(crate) tx_type: u8,
    pub(crate) chain_id: Option<u64>,
    pub(crate) size: usize,
    pub(crate) intrinsic: u64,
    pub(crate) l1_fee: U256,
}

impl MockTx {
    /// EIP-1559 transfer from `sender` paying `max_fee` with tip `tip`.
    pub(crate) fn eip1559(sender: Address, nonce: u64, max_fee: u128, tip: u128) -> Self {
        Self {
            sender,
            nonce,
            gas_limit: 21_000,
            max_fee,
            tip,
            value: U256::ZERO,
            tx_type: 2,
            chain_id: Some(CHAIN_ID),
            size: 110,
            intrinsic: 21_000,
            l1_fee: U256::ZERO,
        }
    }

    /// Legacy transaction with `gas_price`.
    pub(crate) fn legacy(sender: Address, nonce: u64, gas_price: u128) -> Self {
        Self {
            tx_type: 0,
            ..Self::eip1559(sender, nonce, gas_price, gas_price)
        }
    }
}

impl PoolTransaction for MockTx {
    fn hash(&self) -> B256 {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(self.sender.as_slice());
        buf.extend_from_slice(&self.nonce.to_be_bytes());
        buf.extend_from_slice(&self.gas_limit.to_be_bytes());
        buf.extend_from_slice(&self.max_fee.to_be_bytes());
        buf.extend_from_slice(&self.tip.to_be_bytes());
        buf.extend_from_slice(&self.value.to_be_bytes::<32>());
        buf.push(self.tx_type);
        buf.extend_from_slice(&self.chain_id.unwrap_or(u64::MAX).to_be_bytes());
        buf.extend_from_slice(&self.size.to_be_bytes());
        buf.extend_from_slice(&self.l1_fee.to_be_bytes::<32>());
        keccak256(buf)
    }
    fn sender(&self) -> Address {
        self.sender
    }
    fn nonce(&self) -> u64 {
        self.nonce
    }
    fn gas_limit(&self) -> u64 {
        self.gas_limit
    }
    fn max_fee_per_gas(&self) -> u128 {
        self.max_fee
    }
    fn max_priority_fee_per_gas(&self) -> u128 {
        self.tip
    }
    fn value(&self) -> U256 {
        self.value
    }
    fn tx_type(&self) -> u8 {
        self.tx_type
    }
    fn chain_id(&self) -> Option<u64> {
        self.chain_id
    }
    fn encoded_len(&self) -> usize {
        self.size
    }
    fn intrinsic_gas(&self) -> u64 {
        self.intrinsic
    }
    fn l1_fee(&self) -> U256 {
        self.l1_fee
    }
}

/// Account state; unknown accounts have nonce 0 and a large balance.
#[derive(Debug, Clone, Default)]
pub(crate) struct MockState {
    accounts: HashMap<Address, (u64, U256)>,
}

impl MockState {
    pub(crate) fn set(&mut self, who: Address, nonce: u64, balance: U256) -> &mut Self {
        self.accounts.insert(who, (nonce, balance));
        self
    }
}

impl AccountReader for MockState {
    fn nonce_and_balance(&self, who: Address) -> (u64, U256) {
        self.accounts
            .get(&who)
            .copied()
            .unwrap_or((0, U256::from(10u128.pow(24))))
    }
}

pub(crate) fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}

pub(crate) fn config() -> PoolConfig {
    PoolConfig::new(CHAIN_ID, BLOCK_GAS_LIMIT)
}
