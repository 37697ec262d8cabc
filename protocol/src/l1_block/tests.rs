//! The verifier against real signed transactions and receipts: honest blocks read right, every
//! lie (altered header, transaction, receipt or log; another block's pieces) is refused, and
//! garbage never panics.

use alloc::{vec, vec::Vec};
use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use proptest::prelude::*;

use super::*;
use crate::{
    Receipt,
    deposit::{deposit_log_data, user_deposit_source_hash},
    trie::MemoryNodes,
};

const INBOX: Address = address!("0xff00000000000000000000000000000000000901");
const PORTAL: Address = address!("0x000000000000000000000000000000000000d0d0");
const SYSTEM_CONFIG: Address = address!("0x0000000000000000000000000000000000005c5c");
const ADDRESSES: L1Addresses = L1Addresses {
    inbox: INBOX,
    portal: PORTAL,
    system_config: SYSTEM_CONFIG,
};

fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).expect("key")
}

fn eip1559(signer: &PrivateKeySigner, nonce: u64, to: Address, input: &[u8]) -> Bytes {
    let tx = TxEip1559 {
        chain_id: 1,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::copy_from_slice(input),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::Eip1559(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

fn legacy(signer: &PrivateKeySigner, nonce: u64, to: Address) -> Bytes {
    let tx = TxLegacy {
        chain_id: Some(1),
        nonce,
        gas_price: 10,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::Legacy(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

fn receipt(tx_type: u8, cumulative_gas_used: u64, logs: Vec<Log>) -> Bytes {
    Receipt {
        tx_type,
        success: true,
        cumulative_gas_used,
        logs,
        deposit_nonce: None,
        l1_fee: None,
    }
    .encoded_2718()
    .into()
}

fn deposit(to: Address, mint: u128) -> TxDeposit {
    TxDeposit {
        from: address!("0x00000000000000000000000000000000000a11ce"),
        to: TxKind::Call(to),
        mint,
        value: U256::from(5),
        gas_limit: 100_000,
        input: Bytes::from_static(b"hi"),
        ..Default::default()
    }
}

fn batcher_update(batcher: Address) -> LogData {
    let mut data = Vec::with_capacity(96);
    data.extend_from_slice(B256::from(U256::from(32)).as_slice());
    data.extend_from_slice(B256::from(U256::from(32)).as_slice());
    data.extend_from_slice(B256::left_padding_from(batcher.as_slice()).as_slice());
    LogData::new_unchecked(
        vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::ZERO],
        data.into(),
    )
}

/// A block with: a legacy transfer (emitting an unrelated log), a batcher tx to the inbox,
/// an inbox tx from someone else, and a Portal call emitting a deposit and a ConfigUpdate.
fn honest() -> (B256, RawL1Block) {
    let (batcher, other, user) = (key(1), key(2), key(3));
    let transactions = vec![
        legacy(&user, 0, Address::repeat_byte(7)),
        eip1559(&batcher, 0, INBOX, b"\x00frames"),
        eip1559(&other, 0, INBOX, b"\x00not the batcher"),
        eip1559(&user, 1, PORTAL, b"deposit"),
    ];
    let unrelated = Log {
        address: Address::repeat_byte(7),
        data: LogData::new_unchecked(vec![TRANSACTION_DEPOSITED_TOPIC], Bytes::new()),
    };
    let logs = vec![
        Log {
            address: PORTAL,
            data: deposit_log_data(&deposit(Address::repeat_byte(9), 1_000)),
        },
        Log {
            address: SYSTEM_CONFIG,
            data: batcher_update(Address::repeat_byte(0xb2)),
        },
    ];
    let receipts = vec![
        receipt(0, 21_000, vec![unrelated]),
        receipt(2, 50_000, vec![]),
        receipt(2, 80_000, vec![]),
        receipt(2, 150_000, logs),
    ];
    block_of(transactions, receipts)
}

fn block_of(transactions: Vec<Bytes>, receipts: Vec<Bytes>) -> (B256, RawL1Block) {
    let header = Header {
        parent_hash: B256::repeat_byte(0x11),
        number: 42,
        timestamp: 1_700_000_000,
        base_fee_per_gas: Some(7),
        mix_hash: B256::repeat_byte(0x33),
        transactions_root: ordered_trie_root_encoded(&transactions),
        receipts_root: ordered_trie_root_encoded(&receipts),
        withdrawals_root: Some(alloy_trie::EMPTY_ROOT_HASH),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0x44)),
        ..Default::default()
    };
    let raw = RawL1Block {
        header: alloy_rlp::encode(&header).into(),
        transactions,
        receipts,
    };
    (header.hash_slow(), raw)
}

#[test]
fn an_honest_block_reads_senders_deposits_and_updates() {
    let (hash, raw) = honest();
    let block = VerifiedL1Block::verify(hash, &raw, &ADDRESSES).expect("verifies");
    let header = block.header();
    assert_eq!(header.block.hash, hash);
    assert_eq!(header.block.number, 42);
    assert_eq!(header.block.parent_hash, B256::repeat_byte(0x11));
    assert_eq!(header.base_fee, U256::from(7));
    assert_eq!(header.blob_base_fee, U256::from(1));
    assert_eq!(header.mix_hash, B256::repeat_byte(0x33));
    assert_eq!(
        header.parent_beacon_block_root,
        Some(B256::repeat_byte(0x44))
    );
    // Both inbox transactions, senders recovered from the signatures.
    let inbox = block.inbox_txs();
    assert_eq!(inbox.len(), 2);
    assert_eq!((inbox[0].index, inbox[0].sender), (1, key(1).address()));
    assert_eq!((inbox[1].index, inbox[1].sender), (2, key(2).address()));
    assert_eq!(
        inbox[0].payload,
        InboxPayload::Calldata(Bytes::from_static(b"\x00frames"))
    );
    assert_eq!(inbox[0].hash, keccak256(&raw.transactions[1]));
    let batcher: Vec<_> = block.batcher_txs(key(1).address()).collect();
    assert_eq!(batcher.len(), 1);
    assert_eq!(batcher[0].index, 1);
    // The deposit is the block's second log (index 1): its source hash says so. The unrelated
    // log with the deposit topic, from another address, is not a deposit.
    let mut expected = deposit(Address::repeat_byte(9), 1_000);
    expected.source_hash = user_deposit_source_hash(hash, 1);
    assert_eq!(block.deposits(), &[expected]);
    assert_eq!(
        block.config_updates(),
        &[ConfigUpdate::Batcher(Address::repeat_byte(0xb2))]
    );
}

#[test]
fn an_empty_block_verifies() {
    let (hash, raw) = block_of(vec![], vec![]);
    let block = VerifiedL1Block::verify(hash, &raw, &ADDRESSES).expect("verifies");
    assert!(block.inbox_txs().is_empty() && block.deposits().is_empty());
}

#[test]
fn an_altered_header_field_is_refused_even_with_a_consistent_hash() {
    let (hash, raw) = honest();
    let mut header: Header = alloy_rlp::Decodable::decode(&mut raw.header.as_ref()).expect("rlp");
    header.timestamp += 1;
    let lie = RawL1Block {
        header: alloy_rlp::encode(&header).into(),
        ..raw.clone()
    };
    assert!(matches!(
        VerifiedL1Block::verify(hash, &lie, &ADDRESSES),
        Err(L1DataError::HeaderHash { .. })
    ));
    // Asked by another hash, even the honest pieces are refused.
    assert!(matches!(
        VerifiedL1Block::verify(B256::repeat_byte(1), &raw, &ADDRESSES),
        Err(L1DataError::HeaderHash { .. })
    ));
    // Trailing bytes after the header: refused, even when the hash covers them.
    let mut long = raw.header.to_vec();
    long.push(0);
    let lie = RawL1Block {
        header: long.clone().into(),
        ..raw
    };
    assert!(matches!(
        VerifiedL1Block::verify(keccak256(&long), &lie, &ADDRESSES),
        Err(L1DataError::HeaderRlp(_))
    ));
}

#[test]
fn a_forged_sender_transaction_is_refused() {
    // The batcher's data, re-signed by someone else (so the "from" would be another): the
    // transactions root no longer matches.
    let (hash, mut raw) = honest();
    raw.transactions[1] = eip1559(&key(9), 0, INBOX, b"\x00frames");
    assert!(matches!(
        VerifiedL1Block::verify(hash, &raw, &ADDRESSES),
        Err(L1DataError::TransactionsRoot { .. })
    ));
    // Dropped, or reordered.
    let (hash, mut raw) = honest();
    raw.transactions.remove(2);
    raw.receipts.remove(2);
    assert!(matches!(
        VerifiedL1Block::verify(hash, &raw, &ADDRESSES),
        Err(L1DataError::TransactionsRoot { .. })
    ));
    let (hash, mut raw) = honest();
    raw.transactions.swap(1, 2);
    assert!(matches!(
        VerifiedL1Block::verify(hash, &raw, &ADDRESSES),
        Err(L1DataError::TransactionsRoot { .. })
    ));
}

#[test]
fn dropped_forged_or_foreign_receipts_are_refused() {
    let (hash, raw) = honest();
    // The deposit log dropped.
    let mut lie = raw.clone();
    lie.receipts[3] = receipt(
        2,
        150_000,
        vec![Log {
            address: SYSTEM_CONFIG,
            data: batcher_update(Address::repeat_byte(0xb2)),
        }],
    );
    assert!(matches!(
        VerifiedL1Block::verify(hash, &lie, &ADDRESSES),
        Err(L1DataError::ReceiptsRoot { .. })
    ));
    // A forged deposit added.
    let mut lie = raw.clone();
    lie.receipts[0] = receipt(
        0,
        21_000,
        vec![Log {
            address: PORTAL,
            data: deposit_log_data(&deposit(Address::repeat_byte(6), 10u128.pow(24))),
        }],
    );
    assert!(matches!(
        VerifiedL1Block::verify(hash, &lie, &ADDRESSES),
        Err(L1DataError::ReceiptsRoot { .. })
    ));
    // A receipt missing.
    let mut lie = raw.clone();
    lie.receipts.pop();
    assert!(matches!(
        VerifiedL1Block::verify(hash, &lie, &ADDRESSES),
        Err(L1DataError::ReceiptCount { .. })
    ));
    // Another block's receipts (same count).
    let (_, other) = block_of(
        raw.transactions.clone(),
        vec![
            receipt(0, 1, vec![]),
            receipt(2, 2, vec![]),
            receipt(2, 3, vec![]),
            receipt(2, 4, vec![]),
        ],
    );
    let lie = RawL1Block {
        receipts: other.receipts,
        ..raw
    };
    assert!(matches!(
        VerifiedL1Block::verify(hash, &lie, &ADDRESSES),
        Err(L1DataError::ReceiptsRoot { .. })
    ));
}

#[test]
fn a_committed_transaction_of_an_unknown_type_is_an_error_not_a_skip() {
    let transactions = vec![Bytes::from_static(&[0x05, 0xc0])];
    let receipts = vec![receipt(2, 1, vec![])];
    let (hash, raw) = block_of(transactions, receipts);
    assert!(matches!(
        VerifiedL1Block::verify(hash, &raw, &ADDRESSES),
        Err(L1DataError::Transaction { index: 0, .. })
    ));
}

#[test]
fn the_oracle_path_reads_the_same_block_from_trie_nodes() {
    let (hash, raw) = honest();
    let mut nodes = MemoryNodes::default();
    let empty = MemoryNodes::default();
    for items in [&raw.transactions, &raw.receipts] {
        let mut trie = Trie::new(alloy_trie::EMPTY_ROOT_HASH, &empty);
        for (index, item) in items.iter().enumerate() {
            trie.insert(&alloy_rlp::encode(index), item.to_vec())
                .expect("insert");
        }
        trie.root();
        nodes.insert_nodes(trie.take_new_nodes());
    }
    let read = RawL1Block::from_tries(raw.header.clone(), &nodes).expect("read");
    assert_eq!(read, raw);
    assert_eq!(
        VerifiedL1Block::verify(hash, &read, &ADDRESSES),
        VerifiedL1Block::verify(hash, &raw, &ADDRESSES)
    );
    // A missing node is an error, not a shorter block.
    assert!(RawL1Block::from_tries(raw.header, &MemoryNodes::default()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any one byte changed anywhere in the pieces (or the hash asked for) is refused.
    #[test]
    fn any_altered_byte_is_refused(piece in 0usize..9, at in any::<prop::sample::Index>(), xor in 1u8..) {
        let (mut hash, mut raw) = honest();
        let bytes: &mut Vec<u8> = &mut match piece {
            0 => raw.header.to_vec(),
            1..=4 => raw.transactions[piece - 1].to_vec(),
            5..=8 => raw.receipts[piece - 5].to_vec(),
            _ => unreachable!(),
        };
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let altered = Bytes::from(bytes.clone());
        match piece {
            0 => raw.header = altered,
            1..=4 => raw.transactions[piece - 1] = altered,
            _ => raw.receipts[piece - 5] = altered,
        }
        prop_assert!(VerifiedL1Block::verify(hash, &raw, &ADDRESSES).is_err());
        // Even with the hash of the altered header asked for, the roots refuse a changed body,
        // and a changed header is either not RLP or commits to other roots... or reads as a
        // valid other header whose own pieces are these: then it must at least not panic.
        hash = keccak256(&raw.header);
        let _ = VerifiedL1Block::verify(hash, &raw, &ADDRESSES);
    }

    /// Garbage pieces never panic, whatever hash they are checked against.
    #[test]
    fn garbage_never_panics(
        header in prop::collection::vec(any::<u8>(), 0..700),
        txs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..4),
        receipts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..4),
    ) {
        let raw = RawL1Block {
            header: header.clone().into(),
            transactions: txs.into_iter().map(Bytes::from).collect(),
            receipts: receipts.into_iter().map(Bytes::from).collect(),
        };
        let _ = VerifiedL1Block::verify(keccak256(&header), &raw, &ADDRESSES);
        let _ = RawL1Block::from_tries(raw.header.clone(), &MemoryNodes::default());
    }

    /// Honest pieces with garbage bodies that match the roots (a header built over them):
    /// undecodable items are errors, decodable ones read; never a panic.
    #[test]
    fn committed_garbage_never_panics(
        txs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..4),
        receipts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..4),
    ) {
        let (hash, raw) = block_of(
            txs.into_iter().map(Bytes::from).collect(),
            receipts.into_iter().map(Bytes::from).collect(),
        );
        let _ = VerifiedL1Block::verify(hash, &raw, &ADDRESSES);
    }
}
