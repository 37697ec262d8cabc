//! Reading blocks back: the body entry, and the per-index transaction and receipt entries,
//! one at a time (lookups by hash) or all of a block's in key order (whole-block reads).

use std::sync::atomic::Ordering;

use alloy_primitives::B256;
use sprout_protocol::Receipt;

use super::{
    CF_BODIES, CF_RECEIPTS, CF_TRANSACTIONS, IncludedTx, Storage, StoredBody,
    codec::{BodyEntry, ReceiptEntry, TxEntry},
    entry_key,
};
use crate::{Result, StorageError};

impl Storage {
    fn body_entry(&self, hash: &B256) -> Result<Option<BodyEntry>> {
        self.get(CF_BODIES, hash.as_slice())?
            .map(|raw| BodyEntry::decode(&raw))
            .transpose()
    }

    /// How many transactions block `hash` has.
    pub fn tx_count(&self, hash: &B256) -> Result<Option<u32>> {
        Ok(self.body_entry(hash)?.map(|entry| entry.tx_count))
    }

    /// Every entry of `cf` for block `hash`, in index order; exactly `count` of them.
    fn block_entries<T>(
        &self,
        cf: &str,
        hash: &B256,
        count: u32,
        decode: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(count as usize);
        let iter = self.db.iterator_cf(
            self.cf(cf)?,
            rocksdb::IteratorMode::From(hash.as_slice(), rocksdb::Direction::Forward),
        );
        for item in iter {
            let (key, value) = item?;
            if !key.starts_with(hash.as_slice()) {
                break;
            }
            if key.as_ref() != entry_key(hash, out.len() as u32) {
                return Err(StorageError::Corrupt(format!(
                    "block {hash}: {cf} entry {} is missing",
                    out.len()
                )));
            }
            out.push(decode(&value)?);
            self.entries_decoded.fetch_add(1, Ordering::Relaxed);
        }
        if out.len() != count as usize {
            return Err(StorageError::Corrupt(format!(
                "block {hash} has {} {cf} entries for {count} transactions",
                out.len()
            )));
        }
        Ok(out)
    }

    /// A block body by hash.
    pub fn body(&self, hash: &B256) -> Result<Option<StoredBody>> {
        let Some(entry) = self.body_entry(hash)? else {
            return Ok(None);
        };
        let txs = self.block_entries(CF_TRANSACTIONS, hash, entry.tx_count, TxEntry::decode)?;
        let mut body = StoredBody {
            transactions: Vec::with_capacity(txs.len()),
            senders: Vec::with_capacity(txs.len()),
            gas_used: Vec::with_capacity(txs.len()),
            withdrawals: entry.withdrawals,
        };
        for tx in txs {
            body.transactions.push(tx.raw);
            body.senders.push(tx.sender);
            body.gas_used.push(tx.gas_used);
        }
        Ok(Some(body))
    }

    /// A block's receipts by hash.
    pub fn receipts(&self, hash: &B256) -> Result<Option<Vec<Receipt>>> {
        let Some(entry) = self.body_entry(hash)? else {
            return Ok(None);
        };
        let receipts = self.block_entries(CF_RECEIPTS, hash, entry.tx_count, |raw| {
            ReceiptEntry::decode(raw).map(|e| e.receipt)
        })?;
        Ok(Some(receipts))
    }

    /// Transaction `index` of block `hash`: one entry read.
    pub fn transaction(&self, hash: &B256, index: u32) -> Result<Option<TxEntry>> {
        let Some(raw) = self.get(CF_TRANSACTIONS, &entry_key(hash, index))? else {
            return Ok(None);
        };
        self.entries_decoded.fetch_add(1, Ordering::Relaxed);
        TxEntry::decode(&raw).map(Some)
    }

    /// Receipt `index` of block `hash`: one entry read.
    pub fn receipt(&self, hash: &B256, index: u32) -> Result<Option<ReceiptEntry>> {
        let Some(raw) = self.get(CF_RECEIPTS, &entry_key(hash, index))? else {
            return Ok(None);
        };
        self.entries_decoded.fetch_add(1, Ordering::Relaxed);
        ReceiptEntry::decode(&raw).map(Some)
    }

    /// A canonical transaction by hash with its block header and receipt: the lookup entry,
    /// the canonical hash, the header, one transaction entry and one receipt entry, whatever
    /// the size of the block.
    pub fn included_tx(&self, tx_hash: &B256) -> Result<Option<IncludedTx>> {
        let Some(location) = self.tx_location(tx_hash)? else {
            return Ok(None);
        };
        let Some(block_hash) = self.canonical_hash(location.number)? else {
            return Ok(None);
        };
        let header = self
            .header(&block_hash)?
            .ok_or(StorageError::UnknownBlock(block_hash))?;
        let missing = || {
            StorageError::Corrupt(format!(
                "transaction {tx_hash} is indexed at {}:{} but its entries are missing",
                location.number, location.index
            ))
        };
        let tx = self
            .transaction(&block_hash, location.index)?
            .ok_or_else(missing)?;
        let receipt = self
            .receipt(&block_hash, location.index)?
            .ok_or_else(missing)?;
        Ok(Some(IncludedTx {
            location,
            block_hash,
            header,
            tx,
            receipt,
        }))
    }
}
