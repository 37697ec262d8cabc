//! The editable trie: lazy loading from a [`TrieNodeProvider`], in-place edits, incremental root.

use alloc::{boxed::Box, vec::Vec};
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;

use super::{
    TrieError, TrieNodeProvider,
    node::{Branch, Node, NodeRef, to_nibbles},
};

/// A Merkle-Patricia trie whose unchanged parts stay in the provider until a path touches them.
///
/// Edits load and decode the nodes on their path and keep them in memory; [`Trie::root`] then
/// hashes only the nodes changed since the last call.
pub struct Trie<'a, P: TrieNodeProvider + ?Sized> {
    provider: &'a P,
    root: Node,
    root_hash: Option<B256>,
    new_nodes: Vec<(B256, Bytes)>,
}

impl<P: TrieNodeProvider + ?Sized> core::fmt::Debug for Trie<'_, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Trie")
            .field("root_hash", &self.root_hash)
            .finish_non_exhaustive()
    }
}

/// Loads and decodes the node stored under `hash`.
fn load<P: TrieNodeProvider + ?Sized>(provider: &P, hash: &B256) -> Result<Node, TrieError> {
    let rlp = provider.trie_node(hash)?;
    Node::decode(*hash, &rlp)
}

/// Replaces a `Hash` node by its decoded node; other nodes are left as they are.
fn resolve<P: TrieNodeProvider + ?Sized>(node: &mut Node, provider: &P) -> Result<(), TrieError> {
    if let Node::Hash(hash) = node {
        *node = load(provider, hash)?;
    }
    Ok(())
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl<'a, P: TrieNodeProvider + ?Sized> Trie<'a, P> {
    /// Opens the trie with root `root`; [`EMPTY_ROOT_HASH`] is the empty trie. Nothing is loaded yet.
    pub fn new(root: B256, provider: &'a P) -> Self {
        let node = if root == EMPTY_ROOT_HASH {
            Node::Empty
        } else {
            Node::Hash(root)
        };
        Self {
            provider,
            root: node,
            root_hash: Some(root),
            new_nodes: Vec::new(),
        }
    }

    /// The provider the trie loads nodes from.
    pub fn provider(&self) -> &'a P {
        self.provider
    }

    pub(crate) fn root_node(&self) -> &Node {
        &self.root
    }

    /// The value stored under `key`. Reads through nodes not loaded yet without keeping them.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TrieError> {
        get_in(&self.root, &to_nibbles(key), self.provider)
    }

    /// Stores `value` under `key`; an empty value removes the key.
    pub fn insert(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), TrieError> {
        if value.is_empty() {
            return self.remove(key);
        }
        if insert_in(&mut self.root, &to_nibbles(key), value, self.provider)? {
            self.root_hash = None;
        }
        Ok(())
    }

    /// Removes `key`; removing an absent key changes nothing.
    ///
    /// On error (a node missing from the provider) the trie may be left half-normalized and
    /// should be dropped.
    pub fn remove(&mut self, key: &[u8]) -> Result<(), TrieError> {
        if remove_in(&mut self.root, &to_nibbles(key), self.provider)? {
            self.root_hash = None;
        }
        Ok(())
    }

    /// The root hash. Hashes only the nodes changed since the last call; free when nothing changed.
    pub fn root(&mut self) -> B256 {
        if let Some(hash) = self.root_hash {
            return hash;
        }
        let dirty = self.root.is_dirty();
        self.root.commit(&mut self.new_nodes);
        let hash = match (&self.root, self.root.cache()) {
            (Node::Empty, _) => EMPTY_ROOT_HASH,
            (Node::Hash(hash), _) => *hash,
            (_, Some(NodeRef::Hash(hash))) => *hash,
            (_, Some(NodeRef::Inline(rlp))) => {
                let hash = keccak256(rlp);
                // The root is stored by hash even when its RLP is shorter than 32 bytes.
                if dirty {
                    self.new_nodes.push((hash, Bytes::copy_from_slice(rlp)));
                }
                hash
            }
            // Not reached: `commit` leaves the root with a cached reference.
            (node, None) => keccak256(node.encode()),
        };
        self.root_hash = Some(hash);
        hash
    }

    /// Nodes encoded by [`Trie::root`] since the last call, as `(keccak256(rlp), rlp)`: every new
    /// node of 32 bytes or more plus the root node. Call after `root()`. It may include nodes an
    /// earlier `root()` produced that later edits replaced; storing them is harmless.
    pub fn take_new_nodes(&mut self) -> Vec<(B256, Bytes)> {
        core::mem::take(&mut self.new_nodes)
    }
}

fn get_in<P: TrieNodeProvider + ?Sized>(
    node: &Node,
    path: &[u8],
    provider: &P,
) -> Result<Option<Vec<u8>>, TrieError> {
    match node {
        Node::Empty => Ok(None),
        Node::Hash(hash) => get_in(&load(provider, hash)?, path, provider),
        Node::Leaf(leaf) => Ok((leaf.path == path).then(|| leaf.value.clone())),
        Node::Extension(ext) => match path.strip_prefix(ext.path.as_slice()) {
            Some(rest) => get_in(&ext.child, rest, provider),
            None => Ok(None),
        },
        Node::Branch(branch) => match path.split_first() {
            None => Ok(branch.value.clone()),
            Some((&nibble, rest)) => get_in(&branch.children[nibble as usize], rest, provider),
        },
    }
}

/// Puts `value` at `path` below a new branch: as its value when `path` is empty, else as a leaf.
fn place(branch: &mut Branch, path: &[u8], value: Vec<u8>) {
    match path.split_first() {
        None => branch.value = Some(value),
        Some((&nibble, rest)) => branch.children[nibble as usize] = Node::leaf(rest, value),
    }
}

/// `node` behind an extension of `prefix`, or `node` itself when `prefix` is empty.
fn behind(prefix: &[u8], node: Node) -> Node {
    if prefix.is_empty() {
        node
    } else {
        Node::extension(prefix.to_vec(), node)
    }
}

/// Stores `value` at `path` below `node`. Returns whether anything changed: writing the value a
/// key already has leaves the path clean, so `root()` does not rehash it.
fn insert_in<P: TrieNodeProvider + ?Sized>(
    node: &mut Node,
    path: &[u8],
    value: Vec<u8>,
    provider: &P,
) -> Result<bool, TrieError> {
    resolve(node, provider)?;
    match node {
        Node::Empty => *node = Node::leaf(path, value),
        Node::Hash(_) => unreachable!("resolved above"),
        Node::Leaf(leaf) => {
            let shared = common_prefix(&leaf.path, path);
            if shared == leaf.path.len() && shared == path.len() {
                if leaf.value == value {
                    return Ok(false);
                }
                leaf.value = value;
                leaf.cache = None;
                return Ok(true);
            }
            // The paths differ at `shared` (or one ends there): a branch holds both.
            let mut branch = Box::<Branch>::default();
            let old_value = core::mem::take(&mut leaf.value);
            place(&mut branch, &leaf.path[shared..], old_value);
            place(&mut branch, &path[shared..], value);
            *node = behind(&path[..shared], Node::Branch(branch));
        }
        Node::Extension(ext) => {
            let shared = common_prefix(&ext.path, path);
            if shared == ext.path.len() {
                let changed = insert_in(&mut ext.child, &path[shared..], value, provider)?;
                if changed {
                    ext.cache = None;
                }
                return Ok(changed);
            }
            // The key leaves the extension at `shared`: split it around a new branch.
            let mut branch = Box::<Branch>::default();
            let child = core::mem::take(&mut ext.child);
            branch.children[ext.path[shared] as usize] = behind(&ext.path[shared + 1..], child);
            place(&mut branch, &path[shared..], value);
            *node = behind(&path[..shared], Node::Branch(branch));
        }
        Node::Branch(branch) => {
            let changed = match path.split_first() {
                None if branch.value.as_ref() == Some(&value) => false,
                None => {
                    branch.value = Some(value);
                    true
                }
                Some((&nibble, rest)) => {
                    insert_in(&mut branch.children[nibble as usize], rest, value, provider)?
                }
            };
            if changed {
                branch.cache = None;
            }
            return Ok(changed);
        }
    }
    Ok(true)
}

/// Removes `path` below `node`, keeping the trie canonical. Returns whether anything changed.
fn remove_in<P: TrieNodeProvider + ?Sized>(
    node: &mut Node,
    path: &[u8],
    provider: &P,
) -> Result<bool, TrieError> {
    resolve(node, provider)?;
    match node {
        Node::Empty => Ok(false),
        Node::Hash(_) => unreachable!("resolved above"),
        Node::Leaf(leaf) => {
            if leaf.path != path {
                return Ok(false);
            }
            *node = Node::Empty;
            Ok(true)
        }
        Node::Extension(ext) => {
            let Some(rest) = path.strip_prefix(ext.path.as_slice()) else {
                return Ok(false);
            };
            if !remove_in(&mut ext.child, rest, provider)? {
                return Ok(false);
            }
            resolve(&mut ext.child, provider)?;
            let prefix = core::mem::take(&mut ext.path);
            let child = core::mem::take(&mut ext.child);
            *node = prepend(prefix, child, provider)?;
            Ok(true)
        }
        Node::Branch(branch) => {
            let removed = match path.split_first() {
                None => branch.value.take().is_some(),
                Some((&nibble, rest)) => {
                    remove_in(&mut branch.children[nibble as usize], rest, provider)?
                }
            };
            if !removed {
                return Ok(false);
            }
            branch.cache = None;
            let mut occupied = branch
                .children
                .iter()
                .enumerate()
                .filter(|(_, c)| !matches!(c, Node::Empty))
                .map(|(i, _)| i);
            let first = occupied.next();
            if occupied.next().is_some() || (first.is_some() && branch.value.is_some()) {
                return Ok(true);
            }
            // At most one entry left: the branch collapses into it.
            *node = match (first, branch.value.take()) {
                (Some(nibble), _) => {
                    resolve(&mut branch.children[nibble], provider)?;
                    let child = core::mem::take(&mut branch.children[nibble]);
                    prepend(alloc::vec![nibble as u8], child, provider)?
                }
                (None, Some(value)) => Node::leaf(&[], value),
                (None, None) => Node::Empty,
            };
            Ok(true)
        }
    }
}

/// The node for `prefix` followed by `child`, merging paths so no extension points at a leaf or
/// another extension.
fn prepend<P: TrieNodeProvider + ?Sized>(
    mut prefix: Vec<u8>,
    mut child: Node,
    provider: &P,
) -> Result<Node, TrieError> {
    resolve(&mut child, provider)?;
    Ok(match child {
        Node::Empty => Node::Empty,
        Node::Leaf(mut leaf) => {
            prefix.extend_from_slice(&leaf.path);
            leaf.path = prefix;
            leaf.cache = None;
            Node::Leaf(leaf)
        }
        Node::Extension(mut ext) => {
            prefix.extend_from_slice(&ext.path);
            ext.path = prefix;
            ext.cache = None;
            Node::Extension(ext)
        }
        branch @ Node::Branch(_) => Node::extension(prefix, branch),
        Node::Hash(_) => unreachable!("resolved above"),
    })
}
