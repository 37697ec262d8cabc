//! Property tests for the trie: random edits against `alloy_trie::HashBuilder`, reloads, proofs.

use alloc::{collections::BTreeMap, vec::Vec};
use alloy_primitives::{B256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles};
use proptest::prelude::*;

use super::{
    tests::{build, reference_root},
    *,
};

#[derive(Clone, Debug)]
enum Edit {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
}

/// Short keys over a small alphabet so paths share prefixes, and some 32-byte keys like the
/// secure trie's; values sometimes tiny so nodes get embedded.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(
            prop::sample::select(vec![0x00u8, 0x01, 0x10, 0x11, 0xff]),
            1..5
        ),
        any::<[u8; 32]>().prop_map(|k| k.to_vec()),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..3),
        prop::collection::vec(any::<u8>(), 1..70)
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            3 => (key(), value()).prop_map(|(k, v)| Edit::Insert(k, v)),
            1 => key().prop_map(Edit::Remove),
        ],
        0..60,
    )
}

/// Prefix-free keys (all the same length), as in Ethereum's tries, so HashBuilder applies.
fn fixed_edits() -> impl Strategy<Value = Vec<Edit>> {
    let key = prop::collection::vec(
        prop::sample::select(vec![0x00u8, 0x01, 0x10, 0xab, 0xff]),
        3,
    );
    prop::collection::vec(
        prop_oneof![
            3 => (key.clone(), value()).prop_map(|(k, v)| Edit::Insert(k, v)),
            1 => key.prop_map(Edit::Remove),
        ],
        0..80,
    )
}

/// Hashed keys drawn from a small pool, like the secure state trie's, so removes hit.
fn secure_edits() -> impl Strategy<Value = Vec<Edit>> {
    let key = (0u8..40).prop_map(|i| keccak256([i]).to_vec());
    prop::collection::vec(
        prop_oneof![
            3 => (key.clone(), value()).prop_map(|(k, v)| Edit::Insert(k, v)),
            1 => key.prop_map(Edit::Remove),
        ],
        0..60,
    )
}

fn apply<P: TrieNodeProvider + ?Sized>(
    trie: &mut Trie<'_, P>,
    map: &mut BTreeMap<Vec<u8>, Vec<u8>>,
    edits: &[Edit],
) {
    for edit in edits {
        match edit {
            Edit::Insert(k, v) => {
                trie.insert(k, v.clone()).expect("insert");
                map.insert(k.clone(), v.clone());
            }
            Edit::Remove(k) => {
                trie.remove(k).expect("remove");
                map.remove(k);
            }
        }
    }
}

fn fresh_root(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    let pairs: Vec<(&[u8], &[u8])> = map
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    build(&pairs)
}

proptest! {
    #[test]
    fn root_matches_hash_builder(edits in fixed_edits(), checkpoint in 0usize..80) {
        let empty = MemoryNodes::default();
        let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
        let mut map = BTreeMap::new();
        let (first, second) = edits.split_at(checkpoint.min(edits.len()));
        apply(&mut trie, &mut map, first);
        trie.root(); // an intermediate root must not disturb later incremental hashing
        apply(&mut trie, &mut map, second);
        prop_assert_eq!(trie.root(), reference_root(&map));
        for (k, v) in &map {
            prop_assert_eq!(trie.get(k).expect("get"), Some(v.clone()));
        }
    }

    #[test]
    fn reloaded_trie_edits_like_a_fresh_build(before in edits(), after in edits()) {
        let mut nodes = MemoryNodes::default();
        let mut map = BTreeMap::new();
        let mut trie = Trie::new(EMPTY_ROOT_HASH, &nodes);
        apply(&mut trie, &mut map, &before);
        let root = trie.root();
        prop_assert_eq!(root, fresh_root(&map));
        let new_nodes = trie.take_new_nodes();
        nodes.insert_nodes(new_nodes);

        let mut reloaded = Trie::new(root, &nodes);
        for (k, v) in &map {
            prop_assert_eq!(reloaded.get(k).expect("get"), Some(v.clone()));
        }
        apply(&mut reloaded, &mut map, &after);
        let root = reloaded.root();
        prop_assert_eq!(root, fresh_root(&map));
        // New nodes plus old ones are enough to open the edited trie from scratch.
        let new_nodes = reloaded.take_new_nodes();
        nodes.insert_nodes(new_nodes);
        let again = Trie::new(root, &nodes);
        for (k, v) in &map {
            prop_assert_eq!(again.get(k).expect("get"), Some(v.clone()));
        }
    }

    #[test]
    fn proofs_verify_and_tampering_fails(
        edits in prop_oneof![edits(), secure_edits()],
        probes in prop::collection::vec(prop_oneof![key(), (0u8..50).prop_map(|i| keccak256([i]).to_vec())], 1..8),
        flip in any::<prop::sample::Index>()) {
        let empty = MemoryNodes::default();
        let mut nodes = MemoryNodes::default();
        let mut map = BTreeMap::new();
        let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
        apply(&mut trie, &mut map, &edits);
        let root = trie.root();
        let new_nodes = trie.take_new_nodes();
        nodes.insert_nodes(new_nodes);
        let stored = Trie::new(root, &nodes);

        for k in map.keys().chain(&probes) {
            let expected = map.get(k).cloned();
            // Proofs from the in-memory trie and from the provider-backed one agree.
            let proof = stored.proof(k).expect("proof");
            prop_assert_eq!(&trie.proof(k).expect("proof"), &proof);
            prop_assert_eq!(verify_proof(root, k, &proof).expect("valid proof"), expected.clone());
            // Embedded nodes are part of their parent, not listed (as geth does).
            prop_assert!(proof.iter().skip(1).all(|node| node.len() >= 32));
            // alloy-trie's independent verifier accepts the same proof (it does not handle
            // roots shorter than 32 bytes, which need a tiny trie, nor values in branches, which
            // need keys of different lengths).
            let same_length = map.keys().chain([k]).all(|key| key.len() == k.len());
            if same_length && proof.first().is_none_or(|root_node| root_node.len() >= 32) {
                let key = Nibbles::unpack(k);
                let checked = alloy_trie::proof::verify_proof(root, key, expected.clone(), &proof);
                prop_assert!(checked.is_ok(), "{:?}", checked);
            }

            if !proof.is_empty() {
                let mut tampered = proof.clone();
                let node = flip.index(tampered.len());
                let mut bytes = tampered[node].to_vec();
                let at = flip.index(bytes.len());
                bytes[at] ^= 0x01;
                tampered[node] = bytes.into();
                prop_assert!(verify_proof(root, k, &tampered).is_err());
                // Dropping the last node is caught too, unless the path ended in the root's
                // embedded part.
                let truncated = &proof[..proof.len() - 1];
                prop_assert!(verify_proof(root, k, truncated).is_err());
            }
        }

        // A trie with pending edits proves the same as after hashing them.
        apply(&mut trie, &mut map, &[Edit::Insert(b"pending".to_vec(), b"edit".to_vec())]);
        for k in probes.iter().chain([&b"pending".to_vec()]) {
            let before = trie.proof(k).expect("proof");
            let root = trie.root();
            prop_assert_eq!(&trie.proof(k).expect("proof"), &before);
            prop_assert_eq!(verify_proof(root, k, &before).expect("valid proof"), map.get(k).cloned());
            apply(&mut trie, &mut map, &[Edit::Remove(k.clone())]);
        }
    }
}
