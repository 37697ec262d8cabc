//! Raw column access, for tests (here and in other crates) that damage a database on purpose
//! and check that it is noticed. Built with `cfg(test)` or the `test-utils` feature only.

use alloy_primitives::{Address, B256, U256};

use crate::{Result, Storage};

/// Column families, by the names [`raw_get`], [`raw_put`] and [`raw_delete`] take.
pub mod cf {
    /// Flat storage slots: `address ++ slot` -> value.
    pub const STORAGE: &str = crate::CF_STORAGE;
    /// Transaction hash -> `number ++ index`.
    pub const TX_LOOKUP: &str = crate::CF_TX_LOOKUP;
    /// Block number -> undo record.
    pub const UNDO: &str = crate::CF_UNDO;
    /// `block hash ++ index` -> receipt entry.
    pub const RECEIPTS: &str = crate::CF_RECEIPTS;
    /// `block hash ++ index` -> transaction entry.
    pub const TRANSACTIONS: &str = crate::CF_TRANSACTIONS;
    /// Trie node hash -> node.
    pub const TRIE: &str = crate::CF_TRIE;
}

/// The raw value under `key` in column family `cf`.
pub fn raw_get(storage: &Storage, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    storage.get(cf, key)
}

/// Overwrites `key` in column family `cf`, outside any block's write.
pub fn raw_put(storage: &Storage, cf: &str, key: &[u8], value: &[u8]) -> Result<()> {
    Ok(storage.db.put_cf(storage.cf(cf)?, key, value)?)
}

/// Deletes `key` from column family `cf`, outside any block's write.
pub fn raw_delete(storage: &Storage, cf: &str, key: &[u8]) -> Result<()> {
    Ok(storage.db.delete_cf(storage.cf(cf)?, key)?)
}

/// The `storage` column's key of an account's slot.
pub fn storage_key(address: &Address, slot: &U256) -> Vec<u8> {
    crate::storage_key(address, slot).to_vec()
}

/// The `transactions` and `receipts` columns' key of a block's entry `index`.
pub fn entry_key(block: &B256, index: u32) -> Vec<u8> {
    crate::entry_key(block, index).to_vec()
}

/// Every flat-state record (accounts, then storage), raw, in key order: two dumps are equal
/// exactly when the latest states are.
pub fn flat_dump(storage: &Storage) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    storage.flat_dump()
}
