//! The secure Merkle-Patricia state: applying a block's [`StateChanges`] to the account and
//! storage tries, and reading state back out of them.

use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_rlp::{Decodable, Encodable};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};

use crate::{
    AccountState, ProtocolError, Result, StateChanges, StateReader,
    trie::{Trie, TrieNodeProvider, walk_nodes},
};

/// A state root after a block, and the trie nodes the block created.
#[derive(Debug, Clone)]
pub struct StateRootUpdate {
    /// The new state root.
    pub state_root: B256,
    /// New trie nodes (account and storage tries), by hash.
    pub nodes: Vec<(B256, Bytes)>,
}

/// Decodes an account leaf of the state trie.
pub fn decode_account(bytes: &[u8]) -> Result<TrieAccount> {
    Ok(TrieAccount::decode(&mut &bytes[..])?)
}

/// Applies `changes` to the state trie rooted at `pre_root`.
pub fn apply_changes<P: TrieNodeProvider + ?Sized>(
    pre_root: B256,
    changes: &StateChanges,
    provider: &P,
) -> Result<StateRootUpdate> {
    let mut accounts = Trie::new(pre_root, provider);
    let mut nodes = Vec::new();
    for (address, change) in &changes.accounts {
        let key = keccak256(address);
        let Some(account) = change.account else {
            accounts.remove(key.as_slice())?;
            continue;
        };
        let old_storage_root = if change.storage_cleared {
            EMPTY_ROOT_HASH
        } else {
            match accounts.get(key.as_slice())? {
                Some(leaf) => decode_account(&leaf)?.storage_root,
                None => EMPTY_ROOT_HASH,
            }
        };
        let storage_root = if change.storage.is_empty() {
            old_storage_root
        } else {
            let mut storage = Trie::new(old_storage_root, provider);
            for (slot, value) in &change.storage {
                let slot_key = keccak256(B256::from(*slot));
                if value.is_zero() {
                    storage.remove(slot_key.as_slice())?;
                } else {
                    storage.insert(slot_key.as_slice(), alloy_rlp::encode(value))?;
                }
            }
            let root = storage.root();
            nodes.extend(storage.take_new_nodes());
            root
        };
        let leaf = TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root,
            code_hash: account.code_hash,
        };
        let mut encoded = Vec::with_capacity(leaf.length());
        leaf.encode(&mut encoded);
        accounts.insert(key.as_slice(), encoded)?;
    }
    let state_root = accounts.root();
    nodes.extend(accounts.take_new_nodes());
    Ok(StateRootUpdate { state_root, nodes })
}

/// Visits every stored node of the state at `root`: the account trie and the storage trie of
/// every account, each node once. `enter(hash)` says whether to descend (return `false` for a
/// node already seen: its subtree, storage tries included, was visited with it). A missing
/// node or an account leaf that does not decode is an error: that state is not whole.
pub fn walk_state<P: TrieNodeProvider + ?Sized>(
    root: B256,
    provider: &P,
    enter: &mut impl FnMut(B256) -> bool,
) -> Result<()> {
    let mut storage_roots = Vec::new();
    let mut bad_leaf = false;
    walk_nodes(
        root,
        provider,
        enter,
        &mut |leaf| match decode_account(leaf) {
            Ok(account) => storage_roots.push(account.storage_root),
            Err(_) => bad_leaf = true,
        },
    )?;
    if bad_leaf {
        return Err(ProtocolError::State(alloc::format!(
            "an account leaf under state root {root} does not decode"
        )));
    }
    for storage_root in storage_roots {
        walk_nodes(storage_root, provider, enter, &mut |_| {})?;
    }
    Ok(())
}

/// Code and block hashes, which live outside the state trie.
pub trait ChainData {
    /// Code by hash.
    fn code(&self, code_hash: B256) -> Result<Option<Bytes>>;
    /// Hash of a canonical block.
    fn block_hash(&self, number: u64) -> Result<B256>;
}

/// A [`StateReader`] over the trie at one state root: historical state, and the fault-proof
/// program's view of state.
#[derive(Debug)]
pub struct TrieState<'a, P: ?Sized> {
    root: B256,
    provider: &'a P,
}

// Not derived: a derive would require `P: Clone`, and only the reference is copied.
impl<P: ?Sized> Clone for TrieState<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ?Sized> Copy for TrieState<'_, P> {}

impl<'a, P: TrieNodeProvider + ChainData + ?Sized> TrieState<'a, P> {
    /// State as of `root`.
    pub fn new(root: B256, provider: &'a P) -> Self {
        Self { root, provider }
    }

    /// The storage root of `address` (the empty root if it has no account): the output root's
    /// message-passer root is this for [`MESSAGE_PASSER`](crate::output::MESSAGE_PASSER).
    pub fn storage_root(&self, address: Address) -> Result<B256> {
        Ok(self
            .trie_account(address)?
            .map_or(EMPTY_ROOT_HASH, |account| account.storage_root))
    }

    /// The account leaf, with its storage root.
    pub fn trie_account(&self, address: Address) -> Result<Option<TrieAccount>> {
        let trie = Trie::new(self.root, self.provider);
        trie.get(keccak256(address).as_slice())?
            .map(|leaf| decode_account(&leaf))
            .transpose()
    }
}

impl<P: TrieNodeProvider + ChainData + ?Sized> StateReader for TrieState<'_, P> {
    fn account(&self, address: Address) -> Result<Option<AccountState>> {
        Ok(self.trie_account(address)?.map(|a| AccountState {
            nonce: a.nonce,
            balance: a.balance,
            code_hash: a.code_hash,
        }))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256> {
        let Some(account) = self.trie_account(address)? else {
            return Ok(U256::ZERO);
        };
        if account.storage_root == EMPTY_ROOT_HASH {
            return Ok(U256::ZERO);
        }
        let trie = Trie::new(account.storage_root, self.provider);
        match trie.get(keccak256(B256::from(slot)).as_slice())? {
            Some(value) => Ok(U256::decode(&mut &value[..])?),
            None => Ok(U256::ZERO),
        }
    }

    fn code(&self, code_hash: B256) -> Result<Option<Bytes>> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Some(Bytes::new()));
        }
        self.provider.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256> {
        self.provider.block_hash(number)
    }
}

impl From<core::convert::Infallible> for ProtocolError {
    fn from(value: core::convert::Infallible) -> Self {
        match value {}
    }
}
