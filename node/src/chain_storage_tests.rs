//! The chain and its storage together: undo records pruned at finalization, and the
//! consistency check (`sprout db check`) over a database the chain wrote, whole and damaged.

use alloy_primitives::{Address, TxKind, U256, keccak256};
use sprout_storage::{
    Storage,
    test_utils::{cf, entry_key, raw_delete, raw_get, raw_put, storage_key},
};

use crate::chain::{
    Chain,
    tests::{sign, store_contract, word},
};

#[test]
fn undo_records_disappear_once_their_block_is_finalized() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let chain = Chain::open(Storage::open(dir.path()).expect("db"), config).expect("chain");
    for _ in 0..5 {
        chain.produce_block().expect("block");
    }
    let storage = chain.storage();
    assert_eq!(storage.undo_numbers().expect("undo"), vec![1, 2, 3, 4, 5]);

    let finalized = storage.canonical_hash(3).expect("read").expect("block 3");
    storage.set_finalized(finalized).expect("finalize");
    assert_eq!(storage.undo_numbers().expect("undo"), vec![4, 5]);
    assert_eq!(storage.finalized_hash().expect("read"), Some(finalized));

    // Blocks after the finalized one still roll back; the finalized one cannot.
    let err = storage.unwind_to(2).expect_err("finalized blocks stay");
    assert!(err.to_string().contains("no undo record"), "{err}");
    assert_eq!(chain.unwind_to(3).expect("unwind"), 2);
    assert_eq!(storage.undo_numbers().expect("undo"), Vec::<u64>::new());
    chain.produce_block().expect("block 4 again");
    assert_eq!(storage.undo_numbers().expect("undo"), vec![4]);
}

#[test]
fn the_consistency_check_passes_a_whole_database_and_names_each_kind_of_damage() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let chain = Chain::open(Storage::open(dir.path()).expect("db"), config).expect("chain");
    let alice = &crate::dev::dev_signers(1).expect("keys")[0];
    let contract = alice.address().create(0);
    chain
        .submit_raw(&sign(alice, 0, TxKind::Create, 0, &store_contract()))
        .expect("deploy");
    chain.produce_block().expect("block 1");
    chain
        .submit_raw(&sign(alice, 1, TxKind::Call(contract), 0, &word(42)))
        .expect("store");
    let transfer = sign(alice, 2, TxKind::Call(Address::repeat_byte(9)), 5, &[]);
    chain.submit_raw(&transfer).expect("transfer");
    chain.produce_block().expect("block 2");
    chain.produce_block().expect("block 3");
    let storage = chain.storage();
    let report = storage.check().expect("check");
    assert!(report.is_consistent(), "{:?}", report.problems);
    assert_eq!(
        (report.head, report.blocks, report.transactions),
        (Some(3), 4, 3)
    );
    assert_eq!(report.undo_records, 3);
    assert!(report.storage_slots >= 2, "{report:?}");

    let damaged = |what: &str| {
        let report = storage.check().expect("check");
        assert!(
            report.problems.iter().any(|p| p.contains(what)),
            "expected a problem naming {what:?}: {:?}",
            report.problems
        );
    };
    // A flat storage slot that disagrees with the trie.
    let slot = storage_key(&contract, &U256::ZERO);
    let old = raw_get(storage, cf::STORAGE, &slot)
        .expect("read")
        .expect("slot 0");
    raw_put(storage, cf::STORAGE, &slot, &word(7)).expect("write");
    damaged("the flat state's root");
    raw_put(storage, cf::STORAGE, &slot, &old).expect("write");
    // A lookup entry gone.
    let lookup = keccak256(&transfer);
    let old = raw_get(storage, cf::TX_LOOKUP, lookup.as_slice())
        .expect("read")
        .expect("lookup");
    raw_delete(storage, cf::TX_LOOKUP, lookup.as_slice()).expect("delete");
    damaged("is looked up at None");
    raw_put(storage, cf::TX_LOOKUP, lookup.as_slice(), &old).expect("write");
    // An undo record gone: block 2 could no longer be rolled back.
    let key = 2u64.to_be_bytes();
    let old = raw_get(storage, cf::UNDO, &key)
        .expect("read")
        .expect("undo");
    raw_delete(storage, cf::UNDO, &key).expect("delete");
    damaged("no undo records for blocks 2..3");
    raw_put(storage, cf::UNDO, &key, &old).expect("write");
    // A receipt entry gone.
    let hash = storage.canonical_hash(2).expect("read").expect("block 2");
    raw_delete(storage, cf::RECEIPTS, &entry_key(&hash, 1)).expect("delete");
    damaged("transaction or receipt 1 of 2 is missing");
}
