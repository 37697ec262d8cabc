//! A hand-written L1 double for unit tests (here and, with the `test-utils` feature, in the
//! crates that use the transaction manager).

use std::{collections::HashMap, sync::Mutex};

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

use crate::{
    Result, TxMgrError,
    l1::{Inclusion, L1Chain, L1Head, SendError},
};

/// An L1 with one account of interest, a mempool with geth's replacement rule, and blocks mined
/// on demand.
#[derive(Debug)]
pub struct FakeL1 {
    pub state: Mutex<FakeL1State>,
}

#[derive(Debug)]
pub struct FakeL1State {
    /// Canonical block hashes by number; the head is the last.
    pub chain: Vec<B256>,
    pub base_fee: u128,
    pub tip: u128,
    pub blob_base_fee: u128,
    pub balance: U256,
    /// Nonce of the account after the mined blocks.
    pub latest_nonce: u64,
    /// Pending transactions by nonce.
    pub pool: HashMap<u64, TxEnvelope>,
    /// Mined transactions.
    pub mined: HashMap<B256, Inclusion>,
    /// Mined transactions in mining order.
    pub mined_order: Vec<TxEnvelope>,
    /// Every accepted send.
    pub sent: Vec<TxEnvelope>,
    /// The next send fails with this.
    pub fail_next_send: Option<SendError>,
    /// Pending transactions of the account that this L1 does not model (sent by an earlier
    /// run).
    pub foreign_pending: u64,
    reorgs: u64,
}

impl Default for FakeL1 {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeL1 {
    /// One genesis block, 1 gwei base fee and tip, 100 ETH, an empty pool.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(FakeL1State {
                chain: vec![keccak256([0u8])],
                base_fee: 1_000_000_000,
                tip: 1_000_000_000,
                blob_base_fee: 1,
                balance: U256::from(10u128.pow(20)),
                latest_nonce: 0,
                pool: HashMap::new(),
                mined: HashMap::new(),
                mined_order: Vec::new(),
                sent: Vec::new(),
                fail_next_send: None,
                foreign_pending: 0,
                reorgs: 0,
            }),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeL1State) -> T) -> T {
        let mut state = self.state.lock().expect("fake L1 lock");
        f(&mut state)
    }

    /// Mines one block with every pending transaction that fits (consecutive nonces, fee cap
    /// at least the base fee). Returns how many it took.
    pub fn mine(&self) -> usize {
        self.with(|s| {
            let number = s.chain.len() as u64;
            let hash = keccak256([number.to_be_bytes(), s.reorgs.to_be_bytes()].concat());
            s.chain.push(hash);
            let mut count = 0;
            while let Some(tx) = s.pool.get(&s.latest_nonce).cloned() {
                if tx.max_fee_per_gas() < s.base_fee {
                    break;
                }
                s.pool.remove(&s.latest_nonce);
                s.mined.insert(
                    *tx.tx_hash(),
                    Inclusion {
                        block_number: number,
                        block_hash: hash,
                        success: true,
                    },
                );
                s.mined_order.push(tx);
                s.latest_nonce += 1;
                count += 1;
            }
            count
        })
    }

    /// Replaces the last `depth` blocks with empty ones; their transactions are dropped.
    pub fn reorg(&self, depth: usize) {
        self.with(|s| {
            s.reorgs += 1;
            let keep = s.chain.len() - depth;
            let dropped: Vec<B256> = s.chain.drain(keep..).collect();
            let gone: Vec<B256> = s
                .mined
                .iter()
                .filter(|(_, inc)| dropped.contains(&inc.block_hash))
                .map(|(hash, _)| *hash)
                .collect();
            for hash in gone {
                s.mined.remove(&hash);
                s.mined_order.retain(|tx| *tx.tx_hash() != hash);
                s.latest_nonce -= 1;
            }
            for _ in 0..depth {
                let number = s.chain.len() as u64;
                s.chain.push(keccak256(
                    [number.to_be_bytes(), s.reorgs.to_be_bytes()].concat(),
                ));
            }
        })
    }
}

impl L1Chain for FakeL1 {
    async fn chain_id(&self) -> Result<u64> {
        Ok(1)
    }

    async fn head(&self) -> Result<L1Head> {
        Ok(self.with(|s| L1Head {
            number: s.chain.len() as u64 - 1,
            hash: s.chain.last().copied().unwrap_or_default(),
            base_fee: s.base_fee,
        }))
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        Ok(self.with(|s| s.chain.get(number as usize).copied()))
    }

    async fn nonce(&self, _address: Address, pending: bool) -> Result<u64> {
        Ok(self.with(|s| {
            let mut nonce = s.latest_nonce;
            while pending && s.pool.contains_key(&nonce) {
                nonce += 1;
            }
            if pending {
                nonce += s.foreign_pending;
            }
            nonce
        }))
    }

    async fn balance(&self, _address: Address) -> Result<U256> {
        Ok(self.with(|s| s.balance))
    }

    async fn suggested_tip(&self) -> Result<u128> {
        Ok(self.with(|s| s.tip))
    }

    async fn blob_base_fee(&self) -> Result<u128> {
        Ok(self.with(|s| s.blob_base_fee))
    }

    async fn send_raw(&self, raw: Bytes) -> Result<std::result::Result<(), SendError>> {
        let tx = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| TxMgrError::L1(format!("fake L1 cannot decode: {e}")))?;
        Ok(self.with(|s| {
            if let Some(err) = s.fail_next_send.take() {
                return Err(err);
            }
            let nonce = tx.nonce();
            if nonce < s.latest_nonce {
                return Err(SendError::NonceTooLow("nonce too low".into()));
            }
            let blob_gas = tx.blob_gas_used().unwrap_or_default();
            let cost = U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas())
                + U256::from(blob_gas) * U256::from(tx.max_fee_per_blob_gas().unwrap_or_default());
            if cost > s.balance {
                return Err(SendError::InsufficientFunds(
                    "insufficient funds for gas * price + value".into(),
                ));
            }
            if let Some(old) = s.pool.get(&nonce) {
                if old.tx_hash() == tx.tx_hash() {
                    return Err(SendError::AlreadyKnown);
                }
                // Geth: +10% on both fees in the legacy pool, +100% on all three (the blob fee
                // too) in the blob pool, which a non-blob transaction cannot enter.
                let blob = old.is_eip4844();
                if blob != tx.is_eip4844() {
                    return Err(SendError::Other("address already reserved".into()));
                }
                let bump = if blob { 200 } else { 110 };
                let enough = |new: u128, old: u128| new * 100 >= old * bump;
                let old_tip = old.max_priority_fee_per_gas().unwrap_or_default();
                let new_tip = tx.max_priority_fee_per_gas().unwrap_or_default();
                let old_blob = old.max_fee_per_blob_gas().unwrap_or_default();
                let new_blob = tx.max_fee_per_blob_gas().unwrap_or_default();
                if !enough(tx.max_fee_per_gas(), old.max_fee_per_gas())
                    || !enough(new_tip, old_tip)
                    || !enough(new_blob, old_blob)
                {
                    return Err(SendError::Underpriced(
                        "replacement transaction underpriced".into(),
                    ));
                }
            }
            s.pool.insert(nonce, tx.clone());
            s.sent.push(tx);
            Ok(())
        }))
    }

    async fn inclusion(&self, hash: B256) -> Result<Option<Inclusion>> {
        Ok(self.with(|s| s.mined.get(&hash).copied()))
    }
}
