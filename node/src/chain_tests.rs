//! Rolling the chain back: the flat state returns exactly to the kept block's, and the chain
//! built on it afterwards agrees with its own state roots.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TxSignerSync,
};
use alloy_primitives::{Address, Bytes, TxKind, U256, address};
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::{StateReader, state_root::TrieState};

use super::*;

pub(crate) fn sign(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: u64,
    input: &[u8],
) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id: 901,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value: U256::from(value),
        access_list: Default::default(),
        input: Bytes::copy_from_slice(input),
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// Init code: `sstore(1, 5)`, then deploy a runtime that stores its first calldata word in
/// slot 0.
pub(crate) fn store_contract() -> Vec<u8> {
    let runtime = [0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00];
    let mut code = vec![0x60, 0x05, 0x60, 0x01, 0x55, 0x66];
    code.extend_from_slice(&runtime);
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x07, 0x60, 0x19, 0xf3]);
    code
}

pub(crate) fn word(n: u8) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = n;
    w
}

#[test]
fn unwinding_restores_the_flat_state_and_the_chain_goes_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let chain = Chain::open(Storage::open(dir.path()).expect("db"), config).expect("chain");
    let signers = crate::dev::dev_signers(2).expect("keys");
    let (alice, bob) = (&signers[0], &signers[1]);
    let contract = alice.address().create(0);
    let fresh = address!("0x00000000000000000000000000000000000f7e54");

    chain
        .submit_raw(&sign(alice, 0, TxKind::Create, 0, &store_contract()))
        .expect("deploy");
    chain.produce_block().expect("block 1");
    assert_eq!(
        LatestState(chain.storage())
            .storage(contract, U256::from(1))
            .expect("read"),
        U256::from(5)
    );
    let kept = sprout_storage::test_utils::flat_dump(chain.storage()).expect("dump");
    let (kept_head, kept_hash) = chain.head();

    // Two more blocks: a slot written then deleted, a new account, balances moved.
    chain
        .submit_raw(&sign(alice, 1, TxKind::Call(contract), 0, &word(42)))
        .expect("store 42");
    chain
        .submit_raw(&sign(bob, 0, TxKind::Call(fresh), 1_000, &[]))
        .expect("transfer");
    chain.produce_block().expect("block 2");
    chain
        .submit_raw(&sign(alice, 2, TxKind::Call(contract), 0, &word(0)))
        .expect("store 0");
    chain
        .submit_raw(&sign(bob, 1, TxKind::Call(fresh), 2_000, &[]))
        .expect("transfer");
    chain
        .submit_raw(&sign(alice, 3, TxKind::Call(contract), 0, &word(9)))
        .expect("store 9");
    chain.produce_block().expect("block 3");
    let (head, _) = chain.head();
    assert_eq!(head.number, 3);
    let read = LatestState(chain.storage());
    assert_eq!(
        read.storage(contract, U256::ZERO).expect("read"),
        U256::from(9)
    );
    assert!(read.account(fresh).expect("read").is_some());

    assert_eq!(chain.unwind_to(1).expect("unwind"), 2);
    assert_eq!(chain.head().1, kept_hash);
    assert_eq!(chain.storage().head_hash().expect("head"), Some(kept_hash));
    assert_eq!(
        sprout_storage::test_utils::flat_dump(chain.storage()).expect("dump"),
        kept
    );
    assert_eq!(chain.storage().canonical_hash(2).expect("read"), None);
    assert_eq!(
        LatestState(chain.storage()).account(fresh).expect("read"),
        None
    );
    // The five user transactions of blocks 2 and 3 are back in the pool.
    assert_eq!(chain.pool().status(), (5, 0));

    // A new block 2 takes them all, and its state root agrees with the flat state.
    let block = chain.produce_block().expect("new block 2");
    assert_eq!(block.header.number, 2);
    assert_eq!(block.header.parent_hash, kept_hash);
    let body = chain
        .storage()
        .body(&block.hash)
        .expect("read")
        .expect("body");
    assert_eq!(body.transactions.len(), 5);
    let trie = TrieState::new(block.header.state_root, chain.storage());
    let flat = LatestState(chain.storage());
    for who in [
        alice.address(),
        bob.address(),
        contract,
        fresh,
        Address::ZERO,
    ] {
        assert_eq!(
            trie.account(who).expect("trie"),
            flat.account(who).expect("flat")
        );
    }
    for slot in [0u8, 1] {
        assert_eq!(
            trie.storage(contract, U256::from(slot)).expect("trie"),
            flat.storage(contract, U256::from(slot)).expect("flat")
        );
    }
    assert!(kept_head.number < block.header.number);
    // Unwinding to the head or above changes nothing.
    assert_eq!(chain.unwind_to(5).expect("noop"), 0);
}

#[test]
fn a_transaction_the_builder_cannot_include_is_evicted_and_its_sender_goes_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let chain = Chain::open(Storage::open(dir.path()).expect("db"), config).expect("chain");
    let alice = &crate::dev::dev_signers(1).expect("keys")[0];
    // Init code past EIP-3860's 49,152 bytes: the pool takes it, execution refuses it.
    let mut tx = TxEip1559 {
        chain_id: 901,
        nonce: 0,
        gas_limit: 3_000_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Create,
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(vec![0x5b; 50_000]),
    };
    let sig = alice.sign_transaction_sync(&mut tx).expect("sign");
    let raw: Bytes = TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
    let stuck = chain.submit_raw(&raw).expect("admitted");
    chain.produce_block().expect("block 1");
    assert!(!chain.pool().contains(&stuck), "evicted, not left pending");
    let (head, hash) = chain.head();
    let body = chain.storage().body(&hash).expect("read").expect("body");
    assert_eq!((head.number, body.transactions.len()), (1, 0));
    // Alice is not blocked: a new transaction at the same nonce goes in.
    let next = chain
        .submit_raw(&sign(
            alice,
            0,
            TxKind::Call(Address::repeat_byte(7)),
            1,
            &[],
        ))
        .expect("same nonce again");
    chain.produce_block().expect("block 2");
    assert!(chain.storage().tx_location(&next).expect("read").is_some());
}

#[test]
fn a_scheduled_prague_activates_at_its_timestamp_and_set_code_transactions_wait_for_it() {
    use alloy::{consensus::TxEip7702, eips::eip7702::Authorization, signers::SignerSync};
    use sprout_protocol::chain::Hardfork;
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    config.hardfork = Hardfork::Cancun;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let prague_time = now + 4;
    config.prague_time = Some(prague_time);
    let chain = Chain::open(Storage::open(dir.path()).expect("db"), config).expect("chain");
    let alice = &crate::dev::dev_signers(1).expect("keys")[0];
    let set_code = || {
        let auth = Authorization {
            chain_id: U256::from(901),
            address: address!("0x00000000000000000000000000000000000c0de1"),
            nonce: 1,
        };
        let signature = alice.sign_hash_sync(&auth.signature_hash()).expect("sign");
        let mut tx = TxEip7702 {
            chain_id: 901,
            nonce: 0,
            gas_limit: 100_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: alice.address(),
            value: U256::ZERO,
            access_list: Default::default(),
            authorization_list: vec![auth.into_signed(signature)],
            input: Bytes::new(),
        };
        let sig = alice.sign_transaction_sync(&mut tx).expect("sign");
        Bytes::from(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    };
    // Before Prague a set-code transaction is refused as geth refuses an unknown type.
    assert_eq!(
        chain.submit_raw(&set_code()).expect_err("Cancun"),
        "transaction type not supported"
    );
    let (mut cancun, mut prague) = (0, 0);
    while chain.head().0.timestamp < prague_time + 1 {
        let block = chain.produce_block().expect("block");
        let header = &block.header;
        if header.timestamp >= prague_time {
            assert!(
                header.requests_hash.is_some(),
                "block {} runs Prague",
                header.number
            );
            prague += 1;
        } else {
            assert!(
                header.requests_hash.is_none(),
                "block {} runs Cancun",
                header.number
            );
            cancun += 1;
        }
    }
    assert!(
        cancun > 0 && prague > 0,
        "{cancun} Cancun and {prague} Prague blocks"
    );
    // From then on it is taken, and delegates alice's account.
    chain.submit_raw(&set_code()).expect("Prague");
    chain.produce_block().expect("block");
    let account = LatestState(chain.storage())
        .account(alice.address())
        .expect("read")
        .expect("alice");
    assert_ne!(
        account.code_hash,
        alloy_primitives::KECCAK256_EMPTY,
        "delegated"
    );
}

#[test]
fn transactions_recovered_over_the_cores_keep_their_order_and_a_bad_one_fails_them_all() {
    let signers = crate::dev::dev_signers(3).expect("signers");
    let raw: Vec<Bytes> = (0..300u64)
        .map(|n| {
            let signer = &signers[(n % 3) as usize];
            sign(signer, n / 3, TxKind::Call(Address::repeat_byte(1)), n, &[])
        })
        .collect();
    let recovered = recover_all(&raw).expect("all recover");
    assert_eq!(recovered.len(), raw.len());
    for (n, tx) in recovered.iter().enumerate() {
        assert_eq!(tx.sender, signers[n % 3].address(), "transaction {n}");
        assert_eq!(*tx, RecoveredTx::decode(&raw[n]).expect("serial"));
    }
    let mut broken = raw.clone();
    broken[250] = Bytes::from_static(&[0x02, 0xc0]);
    assert!(recover_all(&broken).is_none());
}

#[test]
fn a_gossiped_block_is_taken_only_on_its_parent_and_refused_whole_when_it_breaks_a_rule() {
    let config = crate::dev::dev_chain_config(901, 1, 30_000_000).expect("config");
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let a = Chain::open(Storage::open(dir_a.path()).expect("db"), config.clone()).expect("chain");
    let b = Chain::open(Storage::open(dir_b.path()).expect("db"), config).expect("chain");
    let alice = &crate::dev::dev_signers(1).expect("keys")[0];
    a.submit_raw(&sign(
        alice,
        0,
        TxKind::Call(Address::repeat_byte(7)),
        1,
        &[],
    ))
    .expect("transfer");
    let one = a.produce_block().expect("block 1");
    let two = a.produce_block().expect("block 2");
    let raw = |chain: &Chain, hash: B256| -> Vec<Bytes> {
        chain
            .storage()
            .body(&hash)
            .expect("read")
            .expect("body")
            .transactions
    };
    // The chain's own block is known; one that skips a block waits for its parent.
    assert_eq!(
        a.apply_unsafe(&one.header, one.hash, &raw(&a, one.hash))
            .expect("known"),
        UnsafeOutcome::Known
    );
    assert_eq!(
        b.apply_unsafe(&two.header, two.hash, &raw(&a, two.hash))
            .expect("waits"),
        UnsafeOutcome::NotNext { head: 0 }
    );
    // A block on another parent conflicts.
    let mut orphan = one.header.clone();
    orphan.parent_hash = B256::repeat_byte(1);
    assert_eq!(
        b.apply_unsafe(&orphan, orphan.hash_slow(), &raw(&a, one.hash))
            .expect("conflicts"),
        UnsafeOutcome::Conflicts
    );
    // A dev block breaks the rollup's rules (its timestamp is the clock's, it has no L1-info
    // deposit): refused with the reason, and nothing of it is written.
    let mut timed = one.header.clone();
    timed.timestamp = b.head().0.timestamp + 1;
    let err = b
        .apply_unsafe(&timed, timed.hash_slow(), &raw(&a, one.hash))
        .expect_err("refused");
    assert!(err.to_string().contains("L1-info deposit"), "{err}");
    let mut late = one.header.clone();
    late.timestamp = b.head().0.timestamp + 5;
    let err = b
        .apply_unsafe(&late, late.hash_slow(), &raw(&a, one.hash))
        .expect_err("refused");
    assert!(
        err.to_string().contains("parent's plus the block time"),
        "{err}"
    );
    assert_eq!(b.head().0.number, 0);
    assert_eq!(b.storage().canonical_hash(1).expect("read"), None);
}
