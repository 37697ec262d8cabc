//! Walking every stored node of a trie: what a pruning node marks as still in use.

use alloc::vec::Vec;
use alloy_primitives::B256;
use alloy_trie::EMPTY_ROOT_HASH;

use super::{TrieError, TrieNodeProvider, node::Node};

/// Visits every hash-referenced node of the trie rooted at `root`, parents before children.
///
/// `enter(hash)` is called once per reference found; it returns whether to descend into that
/// node. Returning `false` for a node seen before skips its whole subtree, which is exact:
/// a node's hash fixes everything below it. `on_leaf(value)` receives the value of every leaf
/// (and branch value) inside the nodes descended into, embedded nodes included. The empty
/// root visits nothing. A node the provider lacks is an error: the trie is not whole.
pub fn walk_nodes<P: TrieNodeProvider + ?Sized>(
    root: B256,
    provider: &P,
    enter: &mut impl FnMut(B256) -> bool,
    on_leaf: &mut impl FnMut(&[u8]),
) -> Result<(), TrieError> {
    if root == EMPTY_ROOT_HASH || !enter(root) {
        return Ok(());
    }
    let mut stack: Vec<Node> = Vec::new();
    stack.push(Node::decode(root, &provider.trie_node(&root)?)?);
    while let Some(node) = stack.pop() {
        match node {
            Node::Empty => {}
            Node::Hash(hash) => {
                if enter(hash) {
                    stack.push(Node::decode(hash, &provider.trie_node(&hash)?)?);
                }
            }
            Node::Leaf(leaf) => on_leaf(&leaf.value),
            Node::Extension(ext) => stack.push(ext.child),
            Node::Branch(branch) => {
                let branch = *branch;
                if let Some(value) = &branch.value {
                    on_leaf(value);
                }
                stack.extend(branch.children);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloc::{collections::BTreeSet, vec};

    use super::*;
    use crate::trie::{MemoryNodes, Trie};

    #[test]
    fn walk_finds_exactly_the_nodes_a_trie_stored_and_every_value() {
        let mut nodes = MemoryNodes::default();
        let mut trie = Trie::new(EMPTY_ROOT_HASH, &nodes);
        for i in 0u32..200 {
            let key = alloy_primitives::keccak256(i.to_be_bytes());
            trie.insert(
                key.as_slice(),
                vec![1 + (i % 250) as u8; 1 + (i % 40) as usize],
            )
            .expect("trie");
        }
        let root = trie.root();
        let new = trie.take_new_nodes();
        let stored: BTreeSet<B256> = new.iter().map(|(hash, _)| *hash).collect();
        nodes.insert_nodes(new);

        let mut seen = BTreeSet::new();
        let mut values = 0;
        walk_nodes(root, &nodes, &mut |hash| seen.insert(hash), &mut |_| {
            values += 1
        })
        .expect("trie");
        assert_eq!(seen, stored);
        assert_eq!(values, 200);

        // A node seen before is not entered again.
        let mut again = 0;
        walk_nodes(root, &nodes, &mut |_| false, &mut |_| again += 1).expect("trie");
        assert_eq!(again, 0);
    }

    #[test]
    fn walk_of_a_trie_missing_a_node_fails() {
        let mut nodes = MemoryNodes::default();
        let mut trie = Trie::new(EMPTY_ROOT_HASH, &nodes);
        for i in 0u32..50 {
            let key = alloy_primitives::keccak256(i.to_be_bytes());
            trie.insert(key.as_slice(), vec![7; 40]).expect("trie");
        }
        let root = trie.root();
        let new = trie.take_new_nodes();
        let dropped = new
            .iter()
            .map(|(hash, _)| *hash)
            .find(|hash| *hash != root)
            .expect("trie");
        nodes.insert_nodes(new.into_iter().filter(|(hash, _)| *hash != dropped));
        let err = walk_nodes(root, &nodes, &mut |_| true, &mut |_| {}).expect_err("must fail");
        assert!(matches!(err, TrieError::MissingNode(hash) if hash == dropped));
    }
}
