//! `--prune`: the trie stays bounded under load, every kept state stays whole while sweeps
//! race block production, unwinds and nodes that come back, and older state is refused.

use std::{collections::HashSet, sync::Arc};

use alloy_primitives::{Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::{StateReader, state_root::TrieState};

use sprout_storage::*;

use crate::{
    NodeError,
    chain::{
        Chain,
        tests::{sign, store_contract},
    },
};

fn open_chain(dir: &std::path::Path, prune: Option<PruneConfig>) -> Arc<Chain> {
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let mut storage = Storage::open(dir).expect("db");
    if let Some(prune) = prune {
        storage = storage.with_pruning(prune).expect("prune");
    }
    Chain::open(storage, config).expect("chain")
}

/// Transfers: every block, each of the ten dev accounts sends one transfer to one of 100
/// recipients in turn. After block `n` of the run, every sender's nonce is `n`.
struct Load {
    signers: Vec<PrivateKeySigner>,
    nonce: u64,
    next: u64,
}

impl Load {
    fn new() -> Self {
        Self {
            signers: crate::dev::dev_signers(10).expect("keys"),
            nonce: 0,
            next: 0,
        }
    }

    fn senders(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    fn block(&mut self, chain: &Chain) {
        for signer in &self.signers {
            let to = Address::with_last_byte(0x10).create(self.next % 100);
            chain
                .submit_raw(&sign(
                    signer,
                    self.nonce,
                    TxKind::Call(to),
                    1 + self.next,
                    &[],
                ))
                .expect("submit");
            self.next += 1;
        }
        self.nonce += 1;
        let block = chain.produce_block().expect("block");
        assert_eq!(block.header.number, self.nonce);
    }
}

/// Walks the whole state (account trie and every storage trie) of every block from
/// `from` to `head`; panics naming the first block whose state is not whole. A node seen
/// under an earlier root is not walked again: its whole subtree was, and a hash fixes it.
fn assert_states_whole(storage: &Storage, from: u64, head: u64) {
    let mut seen = HashSet::new();
    for number in from..=head {
        let header = storage
            .header_by_number(number)
            .expect("read")
            .expect("header");
        sprout_protocol::state_root::walk_state(header.state_root, storage, &mut |hash| {
            seen.insert(hash)
        })
        .unwrap_or_else(|err| panic!("state of kept block {number} is not whole: {err}"));
    }
}

/// Trie nodes of the head's state alone: what even a node keeping one block must store.
fn live_nodes(storage: &Storage) -> u64 {
    let head = storage.head_hash().expect("read").expect("head");
    let header = storage.header(&head).expect("read").expect("header");
    let mut seen = HashSet::new();
    sprout_protocol::state_root::walk_state(header.state_root, storage, &mut |hash| {
        seen.insert(hash)
    })
    .expect("head state");
    seen.len() as u64
}

/// The live state itself grows until the EIP-2935 and EIP-4788 ring buffers (8,191 slots)
/// fill, so boundedness is checked on what history adds over the head's state.
#[test]
fn a_10000_block_run_under_load_keeps_the_trie_bounded_with_prune_128() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("tmp");
    let chain = open_chain(dir.path(), Some(PruneConfig::new(128)));
    let storage = chain.storage();
    let mut load = Load::new();
    let mut counts = Vec::new();
    for checkpoint in [2_000u64, 10_000] {
        while load.nonce < checkpoint {
            load.block(&chain);
        }
        // Background sweeps ran during the run; one more settles the count exactly.
        let report = storage.sweep_trie(false).expect("sweep");
        assert_eq!(report.kept_from, checkpoint - 127);
        storage.compact().expect("compact");
        counts.push((
            storage.trie_node_count().expect("count"),
            live_nodes(storage),
            storage.trie_disk_bytes().expect("bytes"),
        ));
    }
    let (nodes_2k, live_2k, bytes_2k) = counts[0];
    let (nodes_10k, live_10k, bytes_10k) = counts[1];
    eprintln!(
        "pruned: {nodes_2k} nodes ({live_2k} live) / {bytes_2k} B at 2,000 blocks, {nodes_10k} ({live_10k} live) / {bytes_10k} B at 10,000 ({:?})",
        started.elapsed()
    );
    let (history_2k, history_10k) = (nodes_2k - live_2k, nodes_10k - live_10k);
    assert!(
        history_10k * 2 <= history_2k * 3,
        "{history_10k} vs {history_2k}"
    );
    assert!(nodes_10k <= nodes_2k * 3, "{nodes_10k} vs {nodes_2k}");
    assert!(bytes_10k <= bytes_2k * 2, "{bytes_10k} vs {bytes_2k}");

    // Every kept state is whole and reads what the run wrote; the one before is refused and
    // really gone.
    let head = 10_000;
    let kept_from = storage.state_kept_from();
    assert_eq!(kept_from, head - 127);
    assert_states_whole(storage, kept_from, head);
    let sender = load.senders()[3];
    for number in [kept_from, kept_from + 64, head - 1] {
        let header = storage
            .header_by_number(number)
            .expect("read")
            .expect("header");
        let account = TrieState::new(header.state_root, storage)
            .account(sender)
            .expect("read")
            .expect("account");
        assert_eq!(account.nonce, number);
    }
    let err = storage
        .check_state_kept(kept_from - 1)
        .expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "state of block {} is pruned: this node keeps the state of the last 128 blocks (--prune 128), from block {kept_from} on; ask an archive node",
            kept_from - 1
        )
    );
    let old = storage
        .header_by_number(5_000)
        .expect("read")
        .expect("header");
    assert!(
        TrieState::new(old.state_root, storage)
            .account(sender)
            .is_err()
    );

    // Rolling back into the window works and the chain goes on; below it is refused.
    assert!(matches!(
        chain.unwind_to(kept_from - 1),
        Err(NodeError::Storage(StorageError::UnwindPruned { target, .. })) if target == kept_from - 1
    ));
    assert_eq!(chain.unwind_to(head - 10).expect("unwind"), 10);
    let block = chain.produce_block().expect("rebuilt block");
    assert_eq!(block.header.number, head - 9);
    assert_states_whole(storage, kept_from, head - 9);
    drop(chain);

    // The same run without --prune keeps every block's trie: it grows with the chain.
    let dir = tempfile::tempdir().expect("tmp");
    let chain = open_chain(dir.path(), None);
    let mut load = Load::new();
    let mut archive = Vec::new();
    for checkpoint in [500u64, 1_000] {
        while load.nonce < checkpoint {
            load.block(&chain);
        }
        archive.push((
            chain.storage().trie_node_count().expect("count"),
            live_nodes(chain.storage()),
        ));
    }
    eprintln!(
        "archive: {:?} nodes (live) at 500 and 1,000 blocks ({:?} in all)",
        archive,
        started.elapsed()
    );
    let (history_500, history_1k) = (archive[0].0 - archive[0].1, archive[1].0 - archive[1].1);
    assert!(history_1k * 10 >= history_500 * 18, "{archive:?}");
    assert!(history_1k >= history_2k * 4, "{history_1k} vs {history_2k}");
    assert!(chain.storage().sweep_trie(false).is_err());
}

#[test]
fn sweeps_racing_production_unwinds_and_returning_nodes_keep_every_kept_state_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    // A background sweep after every block, racing the next commits.
    let chain = open_chain(
        dir.path(),
        Some(PruneConfig {
            keep: 4,
            interval: 1,
        }),
    );
    let storage = chain.storage();
    let signers = crate::dev::dev_signers(2).expect("keys");
    let (alice, bob) = (&signers[0], &signers[1]);
    let contract = alice.address().create(0);
    let (mut alice_nonce, mut bob_nonce) = (0, 0);
    chain
        .submit_raw(&sign(alice, 0, TxKind::Create, 0, &store_contract()))
        .expect("deploy");
    alice_nonce += 1;
    chain.produce_block().expect("block 1");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut unwinds = 0;
    for round in 0..300u64 {
        // Slot 0 flips among three values, so the contract's storage trie (and the nodes
        // above it) keeps coming back to nodes an earlier sweep may have deleted.
        let mut word = [0u8; 32];
        word[31] = (next() % 3) as u8 + 1;
        chain
            .submit_raw(&sign(alice, alice_nonce, TxKind::Call(contract), 0, &word))
            .expect("store");
        alice_nonce += 1;
        let to = Address::with_last_byte(0x20).create(next() % 8);
        chain
            .submit_raw(&sign(bob, bob_nonce, TxKind::Call(to), 1, &[]))
            .expect("transfer");
        bob_nonce += 1;
        chain.produce_block().expect("block");
        let (head, _) = chain.head();
        if round % 23 == 22 {
            // Back into the window (sweeps keep the last 4 blocks); the transactions go
            // back to the pool and into the next block.
            let target = head.number - 1 - next() % 3;
            assert!(target >= storage.state_kept_from());
            chain.unwind_to(target).expect("unwind");
            unwinds += 1;
        }
        if round % 10 == 9 {
            let (head, _) = chain.head();
            let report = storage.sweep_trie(false).expect("sweep");
            // The last 4 blocks, or more after an unwind (the oldest kept never goes back).
            assert!(report.kept_from >= head.number - 3 && report.kept_from <= head.number);
            assert_states_whole(storage, report.kept_from, head.number);
        }
    }
    assert!(unwinds >= 10);
    let (head, _) = chain.head();
    storage.sweep_trie(false).expect("sweep");
    assert_states_whole(storage, storage.state_kept_from(), head.number);
    // The state trie and the flat state agree at the head.
    let root = TrieState::new(head.state_root, storage);
    for who in [alice.address(), bob.address(), contract] {
        assert_eq!(
            root.account(who).expect("trie"),
            LatestState(storage).account(who).expect("flat")
        );
    }
    assert_eq!(
        root.storage(contract, U256::from(1)).expect("read"),
        U256::from(5)
    );
    // Undo records below the kept window are gone (no unwind can reach them), and the database
    // passes the consistency check.
    let kept_from = storage.state_kept_from();
    let undo = storage.undo_numbers().expect("undo");
    assert!(
        undo.first().is_some_and(|n| *n >= kept_from),
        "{undo:?} from {kept_from}"
    );
    let report = storage.check().expect("check");
    assert!(report.is_consistent(), "{:?}", report.problems);
}

#[test]
fn prune_below_two_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    for keep in [0, 1] {
        let err = Storage::open(dir.path())
            .expect("db")
            .with_pruning(PruneConfig::new(keep))
            .expect_err("must fail");
        assert!(
            err.to_string()
                .contains("keeps too little: at least the head and its parent"),
            "{err}"
        );
    }
}

#[test]
fn a_pruned_datadir_reopened_without_prune_still_refuses_what_it_dropped() {
    let dir = tempfile::tempdir().expect("tmp");
    let prune = PruneConfig {
        keep: 8,
        interval: 1_000,
    };
    let chain = open_chain(dir.path(), Some(prune));
    let mut load = Load::new();
    while load.nonce < 40 {
        load.block(&chain);
    }
    let report = chain.storage().sweep_trie(false).expect("sweep");
    assert_eq!(report.kept_from, 33);
    assert!(report.deleted > 0);
    drop(chain);

    // As an archive node from now on: nothing more is deleted, nothing dropped is claimed.
    let chain = open_chain(dir.path(), None);
    let storage = chain.storage();
    assert_eq!(storage.state_kept_from(), 33);
    assert_eq!(storage.prune_keep(), None);
    let err = storage.check_state_kept(32).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "state of block 32 is pruned: this datadir keeps the state of blocks 33 and later (it ran with --prune before); ask an archive node"
    );
    storage.check_state_kept(33).expect("kept");
    assert!(matches!(
        chain.unwind_to(20),
        Err(NodeError::Storage(StorageError::UnwindPruned {
            target: 20,
            kept_from: 33
        }))
    ));
    while load.nonce < 60 {
        load.block(&chain);
    }
    let nodes = storage.trie_node_count().expect("count");
    assert_states_whole(storage, 33, 60);
    drop(chain);

    // With --prune again it goes on pruning from there.
    let chain = open_chain(dir.path(), Some(prune));
    let report = chain.storage().sweep_trie(false).expect("sweep");
    assert_eq!(report.kept_from, 53);
    assert!(chain.storage().trie_node_count().expect("count") < nodes);
    assert_states_whole(chain.storage(), 53, 60);
}

#[test]
fn a_rollup_node_keeps_every_block_from_the_finalized_head() {
    let dir = tempfile::tempdir().expect("tmp");
    let chain = open_chain(
        dir.path(),
        Some(PruneConfig {
            keep: 4,
            interval: 1_000,
        }),
    );
    let mut load = Load::new();
    while load.nonce < 30 {
        load.block(&chain);
    }
    let storage = chain.storage();
    // Nothing finalized yet: every block may still be rolled back, so all are kept.
    assert_eq!(storage.sweep_trie(true).expect("sweep").kept_from, 0);
    let finalized = storage.canonical_hash(12).expect("read").expect("hash");
    storage.set_finalized(finalized).expect("finalize");
    assert_eq!(storage.sweep_trie(true).expect("sweep").kept_from, 12);
    assert_states_whole(storage, 12, 30);
    // Without the rule, only the last 4.
    assert_eq!(storage.sweep_trie(false).expect("sweep").kept_from, 27);
}
