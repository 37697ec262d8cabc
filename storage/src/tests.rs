//! Storage layout: per-entry reads in large blocks, refusing other schemas, corrupt entries as
//! errors, a schema 2 datadir upgraded in place.

use alloy_primitives::{LogData, keccak256};

use super::*;

/// A block `number` of `n` transfer-shaped entries, one log each, written the way
/// `commit_block` writes blocks. Storage never decodes the transaction bytes it stores, so
/// they only need to be distinct.
fn write_synthetic_block(storage: &Storage, number: u64, n: usize) -> (B256, Vec<B256>) {
    let header = Header {
        number,
        gas_used: 21_000 * n as u64,
        ..Default::default()
    };
    let hash = header.hash_slow();
    let transactions: Vec<Bytes> = (0..n as u64)
        .map(|i| {
            let mut raw = vec![0x02];
            raw.extend_from_slice(&number.to_be_bytes());
            raw.extend_from_slice(&i.to_be_bytes());
            Bytes::from(raw)
        })
        .collect();
    let tx_hashes = transactions.iter().map(keccak256).collect();
    let receipts: Vec<Receipt> = (0..n as u64)
        .map(|i| Receipt {
            tx_type: 2,
            success: true,
            cumulative_gas_used: 21_000 * (i + 1),
            logs: vec![alloy_primitives::Log {
                address: Address::repeat_byte(7),
                data: LogData::new_unchecked(vec![B256::from(U256::from(i))], Bytes::new()),
            }],
            deposit_nonce: None,
            l1_fee: None,
        })
        .collect();
    let body = StoredBody {
        senders: vec![Address::repeat_byte(1); n],
        gas_used: vec![21_000; n],
        transactions,
        withdrawals: Some(vec![]),
    };
    let mut batch = WriteBatch::default();
    storage
        .write_block(&mut batch, &header, hash, &body, &receipts)
        .expect("write");
    storage.db.write(batch).expect("commit");
    (hash, tx_hashes)
}

#[test]
fn a_receipt_in_a_block_of_40000_transfers_reads_one_receipt_entry() {
    let dir = tempfile::tempdir().expect("tmp");
    let storage = Storage::open(dir.path()).expect("db");
    let (block_hash, tx_hashes) = write_synthetic_block(&storage, 1, 40_000);

    let before = storage.entries_decoded();
    let found = storage
        .included_tx(&tx_hashes[31_337])
        .expect("read")
        .expect("found");
    // One transaction entry and one receipt entry, out of 80,000 in the block.
    assert_eq!(storage.entries_decoded() - before, 2);
    assert_eq!(found.block_hash, block_hash);
    assert_eq!(
        found.location,
        TxLocation {
            number: 1,
            index: 31_337
        }
    );
    assert_eq!(found.receipt.first_log_index, 31_337);
    assert_eq!(found.receipt.receipt.cumulative_gas_used, 21_000 * 31_338);
    assert_eq!(found.tx.gas_used, 21_000);
    assert_eq!(keccak256(&found.tx.raw), tx_hashes[31_337]);

    // Whole-block reads still see every entry, in order.
    let body = storage.body(&block_hash).expect("read").expect("body");
    assert_eq!(body.transactions.len(), 40_000);
    let receipts = storage
        .receipts(&block_hash)
        .expect("read")
        .expect("receipts");
    assert_eq!(receipts.len(), 40_000);
    assert_eq!(receipts[39_999].cumulative_gas_used, 21_000 * 40_000);
    assert_eq!(storage.tx_count(&block_hash).expect("read"), Some(40_000));
}

#[test]
fn a_corrupt_receipt_entry_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    let storage = Storage::open(dir.path()).expect("db");
    let (block_hash, tx_hashes) = write_synthetic_block(&storage, 1, 3);
    let cf = storage.cf(CF_RECEIPTS).expect("cf");
    storage
        .db
        .put_cf(cf, entry_key(&block_hash, 1), [0xff; 5])
        .expect("put");
    assert!(matches!(
        storage.included_tx(&tx_hashes[1]),
        Err(StorageError::Corrupt(_))
    ));
    assert!(matches!(
        storage.receipts(&block_hash),
        Err(StorageError::Corrupt(_))
    ));
    // A missing entry in the middle of a block is corrupt too.
    storage
        .db
        .delete_cf(
            storage.cf(CF_TRANSACTIONS).expect("cf"),
            entry_key(&block_hash, 1),
        )
        .expect("delete");
    assert!(matches!(
        storage.body(&block_hash),
        Err(StorageError::Corrupt(_))
    ));
    assert!(storage.included_tx(&tx_hashes[0]).expect("read").is_some());
}

/// A chain with no accounts but the system contracts, enough for a genesis block.
fn test_config() -> ChainConfig {
    ChainConfig {
        chain_id: 901,
        hardfork: sprout_protocol::Hardfork::Prague,
        prague_time: None,
        block_time: 1,
        gas_limit: 30_000_000,
        base_fee: sprout_protocol::chain::BaseFeeConfig {
            max_change_denominator: 250,
            elasticity_multiplier: 6,
            initial_base_fee: 1_000_000_000,
        },
        fee_recipient: Address::ZERO,
        genesis: sprout_protocol::chain::GenesisConfig {
            timestamp: 0,
            extra_data: Default::default(),
            alloc: sprout_protocol::chain::system_contracts()
                .into_iter()
                .collect(),
        },
    }
}

/// A datadir as the JSON-format sprout (storage schema 1) left it: its column families, a
/// head, a chain config and JSON bodies and receipts, and no schema version.
fn write_schema_1_datadir(path: &Path) -> B256 {
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let old_cfs = [
        "headers",
        "canonical",
        "bodies",
        "receipts",
        "tx_lookup",
        "accounts",
        "storage",
        "code",
        "trie",
        "meta",
        "undo",
        "derived",
    ];
    let db = DB::open_cf(&opts, path, old_cfs).expect("old db");
    let config = test_config();
    let header = config.genesis().expect("genesis").header;
    let hash = header.hash_slow();
    let cf = |name| db.cf_handle(name).expect("cf");
    let mut rlp = Vec::new();
    header.encode(&mut rlp);
    db.put_cf(cf("headers"), hash, rlp).expect("put");
    db.put_cf(cf("canonical"), 0u64.to_be_bytes(), hash)
        .expect("put");
    db.put_cf(
        cf("bodies"),
        hash,
        br#"{"transactions":[],"senders":[],"gas_used":[],"withdrawals":[]}"#,
    )
    .expect("put");
    db.put_cf(cf("receipts"), hash, b"[]").expect("put");
    db.put_cf(
        cf("meta"),
        META_CHAIN,
        serde_json::to_vec(&config).expect("json"),
    )
    .expect("put");
    db.put_cf(cf("meta"), META_HEAD, hash).expect("put");
    hash
}

#[test]
fn a_datadir_in_the_json_format_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    write_schema_1_datadir(dir.path());
    let err = Storage::open(dir.path()).expect_err("an old datadir must be refused");
    let msg = err.to_string();
    assert!(matches!(err, StorageError::Config(_)), "{msg}");
    assert!(msg.contains("older sprout"), "{msg}");
    assert!(msg.contains("schema 1"), "{msg}");
    assert!(msg.contains("--datadir"), "{msg}");
    // Refusing changed nothing: it is refused again.
    assert!(Storage::open(dir.path()).is_err());
}

#[test]
fn a_datadir_of_another_schema_is_refused_and_a_new_one_is_stamped() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let storage = Storage::open(dir.path()).expect("new db");
        assert_eq!(
            storage.get(CF_META, META_SCHEMA).expect("read"),
            Some(STORAGE_SCHEMA.to_be_bytes().to_vec())
        );
        let cf = storage.cf(CF_META).expect("cf");
        storage
            .db
            .put_cf(cf, META_SCHEMA, (STORAGE_SCHEMA + 1).to_be_bytes())
            .expect("put");
    }
    let msg = Storage::open(dir.path()).expect_err("refused").to_string();
    assert!(
        msg.contains(&format!("schema {}", STORAGE_SCHEMA + 1)),
        "{msg}"
    );
}

#[test]
fn a_schema_2_datadir_is_upgraded_and_its_records_read_without_resume_points() {
    let dir = tempfile::tempdir().expect("tmp");
    let derived_from = (12u64, B256::repeat_byte(0x12));
    {
        let storage = Storage::open(dir.path()).expect("new db");
        let meta = storage.cf(CF_META).expect("cf");
        storage
            .db
            .put_cf(meta, META_SCHEMA, 2u32.to_be_bytes())
            .expect("put");
        // A schema 2 derivation record: L1 number ++ L1 hash.
        let mut legacy = derived_from.0.to_be_bytes().to_vec();
        legacy.extend_from_slice(derived_from.1.as_slice());
        let cf = storage.cf(CF_DERIVED).expect("cf");
        storage
            .db
            .put_cf(cf, 5u64.to_be_bytes(), legacy)
            .expect("put");
    }
    let storage = Storage::open(dir.path()).expect("schema 2 opens");
    assert_eq!(
        storage.get(CF_META, META_SCHEMA).expect("read"),
        Some(STORAGE_SCHEMA.to_be_bytes().to_vec())
    );
    let record = storage.derivation_record(5).expect("read").expect("record");
    assert_eq!(record.derived_from, derived_from);
    assert_eq!(record.resume, None);
}
