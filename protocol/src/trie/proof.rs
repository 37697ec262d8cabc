//! EIP-1186 Merkle proofs: building them from a [`Trie`] and verifying them against a root.

use alloc::vec::Vec;
use alloy_primitives::{B256, Bytes};

use super::{
    MemoryNodes, Trie, TrieError, TrieNodeProvider,
    node::{Node, to_nibbles},
};

impl<P: TrieNodeProvider + ?Sized> Trie<'_, P> {
    /// The RLP nodes from the root to `key`'s leaf, root first, or to the node where the path
    /// ends for an absence proof. Only nodes referenced by hash (and the root) are listed; nodes
    /// embedded in their parent are part of the parent's RLP. The empty trie has an empty proof.
    ///
    /// Works on a trie with pending edits, but hashes the edited nodes on the key's path again
    /// each call; call [`Trie::root`] first to hash them once.
    pub fn proof(&self, key: &[u8]) -> Result<Vec<Bytes>, TrieError> {
        let mut proof = Vec::new();
        prove(
            self.root_node(),
            &to_nibbles(key),
            self.provider(),
            true,
            &mut proof,
        )?;
        Ok(proof)
    }
}

fn prove<P: TrieNodeProvider + ?Sized>(
    node: &Node,
    path: &[u8],
    provider: &P,
    is_root: bool,
    proof: &mut Vec<Bytes>,
) -> Result<(), TrieError> {
    match node {
        Node::Empty => Ok(()),
        Node::Hash(hash) => {
            let rlp = provider.trie_node(hash)?;
            let decoded = Node::decode(*hash, &rlp)?;
            proof.push(rlp);
            descend(&decoded, path, provider, proof)
        }
        Node::Leaf(_) | Node::Extension(_) | Node::Branch(_) => {
            let rlp = node.encode();
            if is_root || rlp.len() >= 32 {
                proof.push(rlp.into());
            }
            descend(node, path, provider, proof)
        }
    }
}

fn descend<P: TrieNodeProvider + ?Sized>(
    node: &Node,
    path: &[u8],
    provider: &P,
    proof: &mut Vec<Bytes>,
) -> Result<(), TrieError> {
    match node {
        Node::Extension(ext) => match path.strip_prefix(ext.path.as_slice()) {
            Some(rest) => prove(&ext.child, rest, provider, false, proof),
            None => Ok(()),
        },
        Node::Branch(branch) => match path.split_first() {
            Some((&nibble, rest)) => prove(
                &branch.children[nibble as usize],
                rest,
                provider,
                false,
                proof,
            ),
            None => Ok(()),
        },
        Node::Empty | Node::Hash(_) | Node::Leaf(_) => Ok(()),
    }
}

/// Checks `proof` for `key` against `root`: the value if the key is present, `None` if the proof
/// shows it absent. A proof that lacks a node on the path, or whose nodes were altered, fails
/// with [`TrieError::ProofMissingNode`]; a node that does not decode fails with
/// [`TrieError::MalformedNode`]. Nodes in the proof that the path does not use are ignored.
pub fn verify_proof(root: B256, key: &[u8], proof: &[Bytes]) -> Result<Option<Vec<u8>>, TrieError> {
    let mut nodes = MemoryNodes::default();
    nodes.insert_rlp(proof.iter().cloned());
    Trie::new(root, &nodes).get(key).map_err(|err| match err {
        TrieError::MissingNode(hash) => TrieError::ProofMissingNode(hash),
        other => other,
    })
}
