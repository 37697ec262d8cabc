//! Ethereum Merkle-Patricia trie over a node provider: state and storage roots, proofs, list roots.
//!
//! A [`Trie`] opens at a root hash and loads nodes from a [`TrieNodeProvider`] only when an edit
//! or read walks through them. Edits stay in memory; [`Trie::root`] hashes only what changed and
//! [`Trie::take_new_nodes`] hands the new nodes to whoever stores them.
//!
//! Keys are raw path bytes: the secure state trie passes `keccak256(address)`, storage tries pass
//! `keccak256(slot)`. Values are stored as given (accounts as their RLP, slots as RLP of the value).
//!
//! ```
//! use sprout_protocol::trie::{MemoryNodes, Trie, verify_proof};
//! use alloy_trie::EMPTY_ROOT_HASH;
//!
//! let mut nodes = MemoryNodes::default();
//! let mut trie = Trie::new(EMPTY_ROOT_HASH, &nodes);
//! trie.insert(b"dog", b"puppy".to_vec()).unwrap();
//! let root = trie.root();
//! let new_nodes = trie.take_new_nodes();
//! nodes.insert_nodes(new_nodes);
//!
//! let trie = Trie::new(root, &nodes);
//! assert_eq!(trie.get(b"dog").unwrap(), Some(b"puppy".to_vec()));
//! let proof = trie.proof(b"dog").unwrap();
//! assert_eq!(verify_proof(root, b"dog", &proof).unwrap(), Some(b"puppy".to_vec()));
//! ```

mod node;
mod proof;
#[allow(clippy::module_inception)]
mod trie;
mod walk;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use alloc::{collections::BTreeMap, string::String};
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;

pub use proof::verify_proof;
pub use trie::Trie;
pub use walk::walk_nodes;

/// Why a trie operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// The provider has no node with this hash.
    #[error("missing trie node {0}")]
    MissingNode(B256),
    /// The provider returned bytes that are not a valid trie node.
    #[error("malformed trie node {hash}: {reason}")]
    MalformedNode {
        /// Hash the node was requested by (for embedded nodes, the enclosing node's hash).
        hash: B256,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A proof lacks a node on the key's path, or one of its nodes was altered.
    #[error("proof does not contain trie node {0}")]
    ProofMissingNode(B256),
    /// The provider itself failed (database error, ...).
    #[error("trie node provider failed: {0}")]
    Provider(String),
}

/// Source of trie nodes by hash: the node database, a fault-proof oracle, or [`MemoryNodes`].
pub trait TrieNodeProvider {
    /// Returns the RLP encoding of the trie node whose keccak256 is `hash`.
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError>;
}

impl<P: TrieNodeProvider + ?Sized> TrieNodeProvider for &P {
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError> {
        (**self).trie_node(hash)
    }
}

/// Trie nodes kept in memory, keyed by hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryNodes {
    nodes: BTreeMap<B256, Bytes>,
}

impl MemoryNodes {
    /// Adds `(hash, rlp)` pairs, as returned by [`Trie::take_new_nodes`].
    pub fn insert_nodes(&mut self, nodes: impl IntoIterator<Item = (B256, Bytes)>) {
        self.nodes.extend(nodes);
    }

    /// Adds nodes given as RLP only (for example a proof), keyed by their keccak256.
    pub fn insert_rlp(&mut self, nodes: impl IntoIterator<Item = Bytes>) {
        self.nodes
            .extend(nodes.into_iter().map(|rlp| (keccak256(&rlp), rlp)));
    }

    /// Number of nodes held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl TrieNodeProvider for MemoryNodes {
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError> {
        self.nodes
            .get(hash)
            .cloned()
            .ok_or(TrieError::MissingNode(*hash))
    }
}

/// Root of an ordered list trie (transactions root, receipts root): item `i` is stored under
/// `rlp(i)` with the given bytes as value.
pub fn ordered_trie_root(items: &[impl AsRef<[u8]>]) -> B256 {
    let empty = MemoryNodes::default();
    let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
    for (index, item) in items.iter().enumerate() {
        // A trie built from empty only holds in-memory nodes, so inserting never reaches the
        // provider and cannot fail.
        let inserted = trie.insert(&alloy_rlp::encode(index), item.as_ref().to_vec());
        debug_assert!(inserted.is_ok(), "in-memory insert failed: {inserted:?}");
    }
    trie.root()
}
