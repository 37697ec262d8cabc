//! The pool's view of a Sprout transaction.

use std::sync::Arc;

use crate::pool::PoolTransaction;
use alloy_primitives::{Address, B256, U256};
use revm::primitives::hardfork::SpecId;
use sprout_protocol::RecoveredTx;

/// A decoded, recovered transaction with the values the pool orders and checks by.
#[derive(Clone, Debug)]
pub struct PoolTx {
    /// The transaction.
    pub tx: Arc<RecoveredTx>,
    encoded_len: usize,
    intrinsic_gas: u64,
    l1_fee: U256,
}

impl PoolTx {
    /// Wraps a recovered transaction, computing its intrinsic gas under `spec`; `l1_fee` is
    /// the rollup's L1 data fee for it at admission (0 off a rollup).
    pub fn new(tx: RecoveredTx, encoded_len: usize, spec: SpecId, l1_fee: U256) -> Self {
        let intrinsic_gas = tx.intrinsic_gas(spec);
        Self {
            tx: Arc::new(tx),
            encoded_len,
            intrinsic_gas,
            l1_fee,
        }
    }
}

impl PoolTransaction for PoolTx {
    fn hash(&self) -> B256 {
        self.tx.hash
    }
    fn sender(&self) -> Address {
        self.tx.sender
    }
    fn nonce(&self) -> u64 {
        self.tx.tx.nonce()
    }
    fn gas_limit(&self) -> u64 {
        self.tx.tx.gas_limit()
    }
    fn max_fee_per_gas(&self) -> u128 {
        self.tx.tx.max_fee_per_gas()
    }
    fn max_priority_fee_per_gas(&self) -> u128 {
        self.tx.tx.max_priority_fee_per_gas()
    }
    fn value(&self) -> U256 {
        self.tx.tx.value()
    }
    fn tx_type(&self) -> u8 {
        self.tx.tx.tx_type()
    }
    fn chain_id(&self) -> Option<u64> {
        self.tx.tx.chain_id()
    }
    fn encoded_len(&self) -> usize {
        self.encoded_len
    }
    fn intrinsic_gas(&self) -> u64 {
        self.intrinsic_gas
    }
    fn l1_fee(&self) -> U256 {
        self.l1_fee
    }
}
