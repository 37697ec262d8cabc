//! Trie tests on fixed inputs: known roots, laziness, error handling, ordered list roots.

use alloc::{collections::BTreeMap, vec::Vec};
use alloy_primitives::{B256, Bytes, b256, hex, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles};

use super::*;

pub(super) fn build(pairs: &[(&[u8], &[u8])]) -> B256 {
    let empty = MemoryNodes::default();
    let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
    for (key, value) in pairs {
        trie.insert(key, value.to_vec()).expect("in-memory insert");
    }
    trie.root()
}

/// Reference root from alloy-trie's HashBuilder over a sorted map.
pub(super) fn reference_root(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    let mut builder = HashBuilder::default();
    for (key, value) in map {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

#[test]
fn empty_trie_has_the_empty_root() {
    assert_eq!(
        build(&[]),
        b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    );
    assert_eq!(build(&[]), keccak256([0x80]));
}

#[test]
fn classic_dog_vectors_match_known_roots() {
    let root = build(&[
        (b"doe", b"reindeer"),
        (b"dog", b"puppy"),
        (b"dogglesworth", b"cat"),
    ]);
    assert_eq!(
        root,
        b256!("8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3")
    );
    // Any insertion order gives the same root.
    let root = build(&[
        (b"dogglesworth", b"cat"),
        (b"dog", b"puppy"),
        (b"doe", b"reindeer"),
    ]);
    assert_eq!(
        root,
        b256!("8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3")
    );
}

#[test]
fn trieanyorder_vectors_match_known_roots() {
    // From ethereum/tests TrieTests/trieanyorder.json.
    assert_eq!(
        build(&[(b"A", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]),
        b256!("d23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab")
    );
    assert_eq!(
        build(&[
            (b"do", b"verb"),
            (b"horse", b"stallion"),
            (b"doge", b"coin"),
            (b"dog", b"puppy")
        ]),
        b256!("5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84")
    );
    assert_eq!(
        build(&[(b"doe", b"reindeer")]),
        b256!("11a0327cfcc5b7689b6b6d727e1f5f8846c1137caaa9fc871ba31b7cce1b703e")
    );
    assert_eq!(
        build(&[(b"doe", b"reindeer"), (b"dog", b"puppy")]),
        b256!("05ae693aac2107336a79309e0c60b24a7aac6aa3edecaef593921500d33c63c4")
    );
    assert_eq!(
        build(&[(b"foo", b"bar"), (b"food", b"bass")]),
        b256!("17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3")
    );
}

#[test]
fn removals_normalize_to_the_canonical_root() {
    // trietest.json "branchingTests"-style: insert then delete everything gives the empty root.
    let empty = MemoryNodes::default();
    let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
    for (key, value) in [
        (&b"do"[..], &b"verb"[..]),
        (b"ether", b"wookiedoo"),
        (b"horse", b"stallion"),
        (b"shaman", b"horse"),
        (b"doge", b"coin"),
        (b"dog", b"puppy"),
        (b"somethingveryoddindeedthis is", b"myothernodedata"),
    ] {
        trie.insert(key, value.to_vec()).expect("insert");
    }
    for key in [&b"ether"[..], b"shaman", b"somethingveryoddindeedthis is"] {
        trie.remove(key).expect("remove");
    }
    // What remains is exactly the trieanyorder "dogs" case.
    assert_eq!(
        trie.root(),
        b256!("5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84")
    );
    // Inserting an empty value removes.
    for key in [&b"do"[..], b"horse", b"doge"] {
        trie.insert(key, Vec::new()).expect("remove by empty value");
    }
    trie.remove(b"dog").expect("remove");
    assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    assert!(
        trie.take_new_nodes()
            .iter()
            .all(|(hash, rlp)| keccak256(rlp) == *hash)
    );
}

#[test]
fn small_root_node_is_stored_and_reloads() {
    let mut nodes = MemoryNodes::default();
    let mut trie = Trie::new(EMPTY_ROOT_HASH, &nodes);
    trie.insert(b"a", b"b".to_vec()).expect("insert");
    let root = trie.root();
    let new_nodes = trie.take_new_nodes();
    assert_eq!(
        new_nodes.len(),
        1,
        "the root is stored though it is shorter than 32 bytes"
    );
    assert!(new_nodes[0].1.len() < 32);
    nodes.insert_nodes(new_nodes);
    let mut trie = Trie::new(root, &nodes);
    assert_eq!(trie.get(b"a").expect("get"), Some(b"b".to_vec()));
    assert_eq!(trie.root(), root);
    trie.insert(b"c", b"d".to_vec()).expect("insert");
    assert_eq!(trie.root(), build(&[(b"a", b"b"), (b"c", b"d")]));
}

#[test]
fn missing_and_malformed_nodes_are_errors() {
    let nodes = MemoryNodes::default();
    let hash = B256::repeat_byte(7);
    let mut trie = Trie::new(hash, &nodes);
    assert!(matches!(trie.get(b"x"), Err(TrieError::MissingNode(h)) if h == hash));
    assert!(matches!(
        trie.insert(b"x", b"y".to_vec()),
        Err(TrieError::MissingNode(_))
    ));

    // A provider answering with some other node is caught.
    let mut nodes = MemoryNodes::default();
    let leaf = Bytes::from_static(&hex!("c98320646f8470757070"));
    nodes.insert_nodes([(hash, leaf)]);
    let trie = Trie::new(hash, &nodes);
    assert!(matches!(
        trie.get(b"dog"),
        Err(TrieError::MalformedNode { .. })
    ));

    for garbage in [
        &hex!("")[..],       // nothing
        &hex!("c0"),         // empty list
        &hex!("c3808080"),   // three items
        &hex!("c2c0c0"),     // path is a list
        &hex!("c5823f1234"), // list shorter than its header says
        &hex!("e2a0"),       // truncated extension
        &hex!("c24001"),     // hex-prefix flag 4
        &hex!("c20101"),     // even path with non-zero padding nibble
        &hex!("c22080"),     // leaf with an empty value
        &hex!("c3008201"),   // extension with a 1-byte child reference (and bad rlp)
        &hex!("c4008281ff"), // extension with a 2-byte child reference
        &hex!("c28000"),     // extension with empty path
    ] {
        let mut nodes = MemoryNodes::default();
        nodes.insert_rlp([Bytes::copy_from_slice(garbage)]);
        let trie = Trie::new(keccak256(garbage), &nodes);
        assert!(
            matches!(trie.get(b"x"), Err(TrieError::MalformedNode { .. })),
            "{garbage:02x?} accepted"
        );
    }
}

#[test]
fn ordered_trie_root_matches_known_and_reference_roots() {
    let no_items: [&[u8]; 0] = [];
    assert_eq!(ordered_trie_root(&no_items), EMPTY_ROOT_HASH);
    let items: Vec<Vec<u8>> = (0..300u32)
        .map(|i| keccak256(i.to_be_bytes()).to_vec())
        .collect();
    let map: BTreeMap<Vec<u8>, Vec<u8>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (alloy_rlp::encode(i), item.clone()))
        .collect();
    assert_eq!(ordered_trie_root(&items), reference_root(&map));
    assert_eq!(
        ordered_trie_root(&items),
        alloy_trie::root::ordered_trie_root_with_encoder(&items, |item, out| out
            .extend_from_slice(item))
    );
}

/// Counts the nodes a trie asks for.
struct CountingNodes<'a> {
    nodes: &'a MemoryNodes,
    loads: core::cell::Cell<usize>,
}

impl TrieNodeProvider for CountingNodes<'_> {
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError> {
        self.loads.set(self.loads.get() + 1);
        self.nodes.trie_node(hash)
    }
}

#[test]
fn edits_load_and_rehash_only_touched_paths() {
    let empty = MemoryNodes::default();
    let mut trie = Trie::new(EMPTY_ROOT_HASH, &empty);
    let mut map = BTreeMap::new();
    for i in 0..2000u32 {
        let (key, value) = (keccak256(i.to_be_bytes()), alloy_rlp::encode(i));
        trie.insert(key.as_slice(), value.clone()).expect("insert");
        map.insert(key.to_vec(), value);
    }
    let root = trie.root();
    let mut nodes = MemoryNodes::default();
    nodes.insert_nodes(trie.take_new_nodes());

    let counting = CountingNodes {
        nodes: &nodes,
        loads: core::cell::Cell::new(0),
    };
    let mut trie = Trie::new(root, &counting);
    assert_eq!(trie.root(), root);
    assert_eq!(
        counting.loads.get(),
        0,
        "opening and an unchanged root load nothing"
    );

    let key = keccak256(b"new account");
    trie.insert(key.as_slice(), b"value".to_vec())
        .expect("insert");
    map.insert(key.to_vec(), b"value".to_vec());
    let loads = counting.loads.get();
    assert!(
        (1..=4).contains(&loads),
        "one path of a 2000-key trie, loaded {loads} nodes"
    );
    assert_eq!(trie.root(), reference_root(&map));
    assert!(
        trie.take_new_nodes().len() <= 4,
        "only the edited path is re-encoded"
    );
    assert_eq!(trie.root(), reference_root(&map));
    assert!(
        trie.take_new_nodes().is_empty(),
        "a second root() without edits encodes nothing"
    );
    assert_eq!(counting.loads.get(), loads);

    let (key, value) = (keccak256(7u32.to_be_bytes()), alloy_rlp::encode(7u32));
    trie.insert(key.as_slice(), value).expect("insert");
    assert_eq!(trie.root(), reference_root(&map));
    assert!(
        trie.take_new_nodes().is_empty(),
        "rewriting a value it has encodes nothing"
    );
}

/// RLP list of already encoded items.
fn rlp_list(items: &[&[u8]]) -> Vec<u8> {
    let payload: Vec<u8> = items.concat();
    let mut out = Vec::new();
    alloy_rlp::Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    out
}

#[test]
fn ordered_trie_root_matches_a_known_receipts_root() {
    // alloy-consensus `check_receipt_root_optimism`: one EIP-2930 receipt, status 1, cumulative
    // gas 102068, one log from the zero address without topics or data, bloom ending in 0x01.
    let mut bloom = [0u8; 256];
    bloom[255] = 1;
    let log = rlp_list(&[
        &alloy_rlp::encode(alloy_primitives::Address::ZERO),
        &[0xc0],
        &[0x80],
    ]);
    let receipt = rlp_list(&[
        &alloy_rlp::encode(1u8),
        &alloy_rlp::encode(102068u64),
        &alloy_rlp::encode(&bloom[..]),
        &rlp_list(&[&log]),
    ]);
    let typed = [&[0x01][..], &receipt].concat();
    assert_eq!(
        ordered_trie_root(&[typed]),
        b256!("fe70ae4a136d98944951b2123859698d59ad251a381abc9960fa81cae3d0d4a0")
    );
}
