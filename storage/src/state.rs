//! Reading the latest state: the flat tables, trie nodes and code, and [`LatestState`], the
//! executor's view of them.

use alloy_primitives::{Address, B256, Bytes, U256};
use sprout_protocol::{
    AccountState, StateReader,
    state_root::ChainData,
    trie::{TrieError, TrieNodeProvider},
};

use super::{CF_ACCOUNTS, CF_CODE, CF_STORAGE, CF_TRIE, Storage, decode_account, storage_key};
use crate::Result;

impl Storage {
    /// Latest flat state: an account.
    pub fn latest_account(&self, address: &Address) -> Result<Option<AccountState>> {
        self.get(CF_ACCOUNTS, address.as_slice())?
            .map(|raw| decode_account(&raw))
            .transpose()
    }

    /// Latest flat state: a storage slot.
    pub fn latest_storage(&self, address: &Address, slot: &U256) -> Result<U256> {
        Ok(self
            .get(CF_STORAGE, &storage_key(address, slot))?
            .map(|raw| U256::from_be_slice(&raw))
            .unwrap_or_default())
    }

    /// Code by hash.
    pub fn code(&self, hash: &B256) -> Result<Option<Bytes>> {
        Ok(self.get(CF_CODE, hash.as_slice())?.map(Bytes::from))
    }
}

#[cfg(any(test, feature = "test-utils"))]
impl Storage {
    /// Every flat-state record (accounts, then storage), raw, in key order.
    pub(crate) fn flat_dump(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for cf in [CF_ACCOUNTS, CF_STORAGE] {
            for item in self
                .db
                .iterator_cf(self.cf(cf)?, rocksdb::IteratorMode::Start)
            {
                let (key, value) = item?;
                out.push((key.to_vec(), value.to_vec()));
            }
        }
        Ok(out)
    }
}

impl TrieNodeProvider for Storage {
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError> {
        match self.get(CF_TRIE, hash.as_slice()) {
            Ok(Some(raw)) => Ok(Bytes::from(raw)),
            _ => Err(TrieError::MissingNode(*hash)),
        }
    }
}

impl ChainData for Storage {
    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        Storage::code(self, &code_hash)
            .map_err(|e| sprout_protocol::ProtocolError::State(e.to_string()))
    }

    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        self.canonical_hash(number)
            .map(Option::unwrap_or_default)
            .map_err(|e| sprout_protocol::ProtocolError::State(e.to_string()))
    }
}

/// The latest state, read from the flat tables.
#[derive(Debug, Clone, Copy)]
pub struct LatestState<'a>(pub &'a Storage);

impl StateReader for LatestState<'_> {
    fn account(&self, address: Address) -> sprout_protocol::Result<Option<AccountState>> {
        self.0
            .latest_account(&address)
            .map_err(|e| sprout_protocol::ProtocolError::State(e.to_string()))
    }

    fn storage(&self, address: Address, slot: U256) -> sprout_protocol::Result<U256> {
        self.0
            .latest_storage(&address, &slot)
            .map_err(|e| sprout_protocol::ProtocolError::State(e.to_string()))
    }

    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        ChainData::code(self.0, code_hash)
    }

    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        ChainData::block_hash(self.0, number)
    }
}
