//! What the pool needs from a transaction and from chain state, as traits the caller implements.

use alloy_primitives::{Address, B256, U256};

/// Legacy (pre-EIP-2718) transaction type.
pub const LEGACY_TX_TYPE: u8 = 0;
/// EIP-2930 access-list transaction type.
pub const EIP2930_TX_TYPE: u8 = 1;
/// EIP-1559 dynamic-fee transaction type.
pub const EIP1559_TX_TYPE: u8 = 2;
/// EIP-4844 blob transaction type; the pool refuses it.
pub const EIP4844_TX_TYPE: u8 = 3;
/// EIP-7702 set-code transaction type.
pub const EIP7702_TX_TYPE: u8 = 4;
/// Deposit transaction type; deposits come from L1, never from the pool.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// A signed transaction whose sender the caller has already recovered.
///
/// The pool never decodes or re-hashes anything: every value comes from here, so the
/// protocol crate's transaction type plugs in by implementing this trait.
pub trait PoolTransaction: Clone + Send + Sync + 'static {
    /// Hash of the signed transaction.
    fn hash(&self) -> B256;
    /// Sender recovered from the signature.
    fn sender(&self) -> Address;
    /// Sender nonce.
    fn nonce(&self) -> u64;
    /// Gas limit.
    fn gas_limit(&self) -> u64;
    /// `max_fee_per_gas`, or `gas_price` for legacy and EIP-2930 transactions.
    fn max_fee_per_gas(&self) -> u128;
    /// `max_priority_fee_per_gas`, or `gas_price` for legacy and EIP-2930 transactions.
    fn max_priority_fee_per_gas(&self) -> u128;
    /// Value transferred.
    fn value(&self) -> U256;
    /// EIP-2718 type byte (0 for legacy).
    fn tx_type(&self) -> u8;
    /// Chain id the signature commits to; `None` for a pre-EIP-155 legacy transaction.
    fn chain_id(&self) -> Option<u64>;
    /// Size of the full signed encoding in bytes.
    fn encoded_len(&self) -> usize;
    /// Intrinsic gas under the active fork's rules, computed by the caller.
    fn intrinsic_gas(&self) -> u64;
    /// The rollup's L1 data fee for this transaction at admission (0 off a rollup), computed by
    /// the caller from the L1 fee parameters of the chain's head.
    fn l1_fee(&self) -> U256;

    /// Most the transaction can spend: `gas_limit * max_fee_per_gas + value + l1_fee` (geth's
    /// `tx.Cost()`, plus the L1 data fee as op-geth's pool adds it).
    fn cost(&self) -> U256 {
        U256::from(self.gas_limit())
            .saturating_mul(U256::from(self.max_fee_per_gas()))
            .saturating_add(self.value())
            .saturating_add(self.l1_fee())
    }
}

/// Reads the latest committed state of an account.
pub trait AccountReader {
    /// The account's next nonce and its balance.
    fn nonce_and_balance(&self, who: Address) -> (u64, U256);
}

impl<F: Fn(Address) -> (u64, U256)> AccountReader for F {
    fn nonce_and_balance(&self, who: Address) -> (u64, U256) {
        self(who)
    }
}
