#![doc = include_str!("../README.md")]

use std::{
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable};
use rocksdb::{ColumnFamilyDescriptor, DB, Options, WriteBatch};
use serde::{Deserialize, Serialize};
use sprout_protocol::{
    AccountState, ChainConfig, Receipt, StateChanges, chain::Genesis, executor::ExecutedBlock,
    tx::SproutTx,
};

const CF_HEADERS: &str = "headers"; // hash -> rlp(header)
const CF_CANONICAL: &str = "canonical"; // number(be) -> hash
const CF_BODIES: &str = "bodies"; // hash -> BodyEntry (tx count, withdrawals)
const CF_TRANSACTIONS: &str = "transactions"; // hash ++ index(be u32) -> TxEntry
const CF_RECEIPTS: &str = "receipts"; // hash ++ index(be u32) -> ReceiptEntry
const CF_TX_LOOKUP: &str = "tx_lookup"; // tx hash -> number(be) ++ index(be u32)
const CF_ACCOUNTS: &str = "accounts"; // address -> nonce(8) ++ balance(32) ++ code_hash(32)
const CF_STORAGE: &str = "storage"; // address ++ slot -> value(32)
const CF_CODE: &str = "code"; // code hash -> code
mod blocks;
mod check;
pub mod codec;
mod derived;
mod error;
pub mod failpoint;
pub mod prune;
mod state;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
mod undo;
pub use check::CheckReport;
use codec::{BodyEntry, ReceiptEntry, TxEntry};
pub use error::{Result, StorageError};
pub use prune::{MIN_PRUNE_KEEP, PruneConfig, Pruner, SweepReport};
pub use state::LatestState;
use undo::{UndoEntry, UndoRecord};

pub use derived::DerivationRecord;

const CF_TRIE: &str = "trie"; // node hash -> rlp(node)
const CF_META: &str = "meta"; // key -> value
const CF_UNDO: &str = "undo"; // number(be) -> block hash ++ the flat-state values it overwrote
const CF_DERIVED: &str = "derived"; // L2 number(be) -> DerivationRecord (derived from, resume point)

const COLUMN_FAMILIES: [&str; 13] = [
    CF_HEADERS,
    CF_CANONICAL,
    CF_BODIES,
    CF_TRANSACTIONS,
    CF_RECEIPTS,
    CF_TX_LOOKUP,
    CF_ACCOUNTS,
    CF_STORAGE,
    CF_CODE,
    CF_TRIE,
    CF_META,
    CF_UNDO,
    CF_DERIVED,
];

const META_HEAD: &[u8] = b"head";
const META_CHAIN: &[u8] = b"chain_config";
const META_SAFE: &[u8] = b"safe";
const META_FINALIZED: &[u8] = b"finalized";
const META_SCHEMA: &[u8] = b"schema_version";

/// The layout of the database this build reads and writes. Schema 1 (never recorded) kept
/// bodies and receipts as one JSON value per block; 2 keeps one binary entry per transaction
/// and receipt, and undo records by block number; 3 adds derivation's resume point to each
/// safe block's derivation record ([`DerivationRecord`]).
pub const STORAGE_SCHEMA: u32 = 3;

/// The schema 3 upgrades in place: its records read as records without a resume point.
const UPGRADABLE_SCHEMA: u32 = 2;

/// A block just made the head, as the chain tells its readers (RPC subscriptions and filters).
#[derive(Clone, Debug)]
pub struct NewBlock {
    /// Its header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Its transactions' hashes, in order.
    pub tx_hashes: Vec<B256>,
    /// Its receipts, in order.
    pub receipts: Vec<Receipt>,
}

/// A block derived from L1 data, to be recorded as the safe head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafeUpdate {
    /// The L2 block's number.
    pub number: u64,
    /// The L2 block's hash.
    pub hash: B256,
    /// The L1 block whose data completed its derivation, and where a restart resumes.
    pub record: DerivationRecord,
}

/// The body of a stored block: raw transactions plus what execution learned about them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredBody {
    /// EIP-2718 bytes of each transaction.
    pub transactions: Vec<Bytes>,
    /// Recovered senders.
    pub senders: Vec<Address>,
    /// Gas used by each transaction.
    pub gas_used: Vec<u64>,
    /// EIP-4895 withdrawals.
    #[serde(default)]
    pub withdrawals: Option<Vec<alloy_eips::eip4895::Withdrawal>>,
}

impl StoredBody {
    /// Decodes transaction `index`.
    pub fn transaction(&self, index: usize) -> Result<Option<SproutTx>> {
        self.transactions
            .get(index)
            .map(|raw| SproutTx::decode_2718_exact(raw).map_err(StorageError::from))
            .transpose()
    }
}

/// Where a transaction lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub number: u64,
    /// Index in the block.
    pub index: u32,
}

/// A transaction found by hash, with what its receipt needs: the block it is in, the
/// transaction entry and the receipt entry.
#[derive(Clone, Debug)]
pub struct IncludedTx {
    /// Where it is.
    pub location: TxLocation,
    /// Its block's hash.
    pub block_hash: B256,
    /// Its block's header.
    pub header: Header,
    /// The transaction, its sender and the gas it used.
    pub tx: TxEntry,
    /// Its receipt and the block-wide index of its first log.
    pub receipt: ReceiptEntry,
}

/// The node's database.
pub struct Storage {
    db: DB,
    /// Transaction and receipt entries decoded so far (reads are meant to be per entry, not
    /// per block: tests and the bench check it).
    entries_decoded: AtomicU64,
    /// `--prune`: the oldest kept state, the write lock sweeps order themselves with.
    prune: prune::PruneState,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("path", &self.db.path())
            .finish()
    }
}

fn account_bytes(account: &AccountState) -> [u8; 72] {
    let mut out = [0u8; 72];
    out[..8].copy_from_slice(&account.nonce.to_be_bytes());
    out[8..40].copy_from_slice(&account.balance.to_be_bytes::<32>());
    out[40..].copy_from_slice(account.code_hash.as_slice());
    out
}

fn decode_account(bytes: &[u8]) -> Result<AccountState> {
    if bytes.len() != 72 {
        return Err(StorageError::Corrupt(format!(
            "account record of {} bytes",
            bytes.len()
        )));
    }
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&bytes[..8]);
    Ok(AccountState {
        nonce: u64::from_be_bytes(nonce),
        balance: U256::from_be_slice(&bytes[8..40]),
        code_hash: B256::from_slice(&bytes[40..]),
    })
}

/// The key of a block's transaction or receipt entry `index`.
fn entry_key(block: &B256, index: u32) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..32].copy_from_slice(block.as_slice());
    key[32..].copy_from_slice(&index.to_be_bytes());
    key
}

fn storage_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

impl Storage {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.increase_parallelism(2);
        let cfs = COLUMN_FAMILIES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        let storage = Self {
            db,
            entries_decoded: AtomicU64::new(0),
            prune: Default::default(),
        };
        storage.check_schema(path)?;
        storage.load_prune_state()?;
        Ok(storage)
    }

    /// Opens a database read-only, beside the node that writes it (the fault-proof host reads
    /// a running node's datadir this way). It sees the database as of this call. Only this
    /// build's schema is read; nothing is upgraded or stamped.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let opts = Options::default();
        let db = DB::open_cf_for_read_only(&opts, path, COLUMN_FAMILIES, false)?;
        let storage = Self {
            db,
            entries_decoded: AtomicU64::new(0),
            prune: Default::default(),
        };
        let version = storage
            .get(CF_META, META_SCHEMA)?
            .and_then(|raw| <[u8; 4]>::try_from(raw.as_slice()).ok())
            .map(u32::from_be_bytes);
        if version != Some(STORAGE_SCHEMA) {
            return Err(StorageError::Config(format!(
                "the datadir {} is not in storage schema {STORAGE_SCHEMA} (it has {version:?}); start the node on it once to upgrade it",
                path.display()
            )));
        }
        storage.load_prune_state()?;
        Ok(storage)
    }

    /// Refuses a database in another layout (an older or newer Sprout's): it would be misread.
    /// A new database is stamped with [`STORAGE_SCHEMA`].
    fn check_schema(&self, path: &Path) -> Result<()> {
        match self.get(CF_META, META_SCHEMA)? {
            Some(raw) => {
                let version = <[u8; 4]>::try_from(raw.as_slice())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StorageError::Corrupt("storage schema version".into()))?;
                if version == UPGRADABLE_SCHEMA {
                    tracing::info!(target: "storage", path = %path.display(), from = version,
                        to = STORAGE_SCHEMA, "upgrading the storage schema in place");
                    self.db
                        .put_cf(self.cf(CF_META)?, META_SCHEMA, STORAGE_SCHEMA.to_be_bytes())?;
                } else if version != STORAGE_SCHEMA {
                    return Err(StorageError::Config(format!(
                        "the datadir {} uses storage schema {version}, but this sprout reads schema {STORAGE_SCHEMA}; run the sprout that wrote it, or use another --datadir (a follower re-derives the chain from L1)",
                        path.display()
                    )));
                }
            }
            None => {
                let used = self.get(CF_META, META_HEAD)?.is_some()
                    || self.get(CF_META, META_CHAIN)?.is_some();
                if used {
                    return Err(StorageError::Config(format!(
                        "the datadir {} was written by an older sprout (storage schema 1: JSON bodies and receipts), which this one cannot read; delete it or use another --datadir, and the node resyncs (a follower re-derives the chain from L1; a devnet: `sprout up --fresh`)",
                        path.display()
                    )));
                }
                self.db
                    .put_cf(self.cf(CF_META)?, META_SCHEMA, STORAGE_SCHEMA.to_be_bytes())?;
            }
        }
        Ok(())
    }

    /// Flushes every column family's memtable to disk files.
    pub fn flush(&self) -> Result<()> {
        for name in COLUMN_FAMILIES {
            self.db.flush_cf(self.cf(name)?)?;
        }
        Ok(())
    }

    /// Transaction and receipt entries decoded since the database was opened.
    pub fn entries_decoded(&self) -> u64 {
        self.entries_decoded.load(Ordering::Relaxed)
    }

    fn cf(&self, name: &str) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| StorageError::Corrupt(format!("column family {name} is missing")))
    }

    fn get(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(cf)?, key)?)
    }

    /// The chain config this database was created with.
    pub fn chain_config(&self) -> Result<Option<ChainConfig>> {
        self.get(CF_META, META_CHAIN)?
            .map(|raw| {
                serde_json::from_slice(&raw)
                    .map_err(|e| StorageError::Corrupt(format!("stored chain config: {e}")))
            })
            .transpose()
    }

    /// Writes the genesis block and its state. Only valid on an empty database.
    pub fn init_genesis(&self, config: &ChainConfig, genesis: &Genesis) -> Result<B256> {
        let hash = genesis.header.hash_slow();
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_META)?, META_CHAIN, serde_json::to_vec(config)?);
        let body = StoredBody {
            transactions: vec![],
            senders: vec![],
            gas_used: vec![],
            withdrawals: Some(vec![]),
        };
        self.write_block(&mut batch, &genesis.header, hash, &body, &[])?;
        self.write_state(&mut batch, &genesis.changes, &genesis.trie_nodes)?;
        batch.put_cf(self.cf(CF_META)?, META_HEAD, hash.as_slice());
        let mut log = self.prune.writes.lock();
        self.db.write(batch)?;
        log.record(&genesis.trie_nodes);
        Ok(hash)
    }

    fn write_block(
        &self,
        batch: &mut WriteBatch,
        header: &Header,
        hash: B256,
        body: &StoredBody,
        receipts: &[Receipt],
    ) -> Result<()> {
        let mut rlp = Vec::with_capacity(header.length());
        header.encode(&mut rlp);
        batch.put_cf(self.cf(CF_HEADERS)?, hash.as_slice(), rlp);
        batch.put_cf(
            self.cf(CF_CANONICAL)?,
            header.number.to_be_bytes(),
            hash.as_slice(),
        );
        let tx_count = u32::try_from(body.transactions.len())
            .map_err(|_| StorageError::Corrupt("a block of over 2^32 transactions".into()))?;
        if receipts.len() != body.transactions.len()
            || body.senders.len() != body.transactions.len()
            || body.gas_used.len() != body.transactions.len()
        {
            return Err(StorageError::Corrupt(format!(
                "block {} has {} transactions, {} senders, {} gas figures and {} receipts",
                header.number,
                body.transactions.len(),
                body.senders.len(),
                body.gas_used.len(),
                receipts.len()
            )));
        }
        let entry = BodyEntry {
            tx_count,
            withdrawals: body.withdrawals.clone(),
        };
        batch.put_cf(self.cf(CF_BODIES)?, hash.as_slice(), entry.encode());
        let lookup = self.cf(CF_TX_LOOKUP)?;
        let transactions = self.cf(CF_TRANSACTIONS)?;
        let receipts_cf = self.cf(CF_RECEIPTS)?;
        let mut first_log_index = 0u64;
        for (index, (raw, receipt)) in body.transactions.iter().zip(receipts).enumerate() {
            let key = entry_key(&hash, index as u32);
            let tx = TxEntry {
                raw: raw.clone(),
                sender: body.senders[index],
                gas_used: body.gas_used[index],
            };
            batch.put_cf(transactions, key, tx.encode());
            let entry = ReceiptEntry {
                receipt: receipt.clone(),
                first_log_index,
            };
            batch.put_cf(receipts_cf, key, entry.encode());
            first_log_index += receipt.logs.len() as u64;
            let tx_hash = alloy_primitives::keccak256(raw);
            let mut loc = [0u8; 12];
            loc[..8].copy_from_slice(&header.number.to_be_bytes());
            loc[8..].copy_from_slice(&(index as u32).to_be_bytes());
            batch.put_cf(lookup, tx_hash.as_slice(), loc);
        }
        Ok(())
    }

    fn write_state(
        &self,
        batch: &mut WriteBatch,
        changes: &StateChanges,
        nodes: &[(B256, Bytes)],
    ) -> Result<()> {
        let accounts = self.cf(CF_ACCOUNTS)?;
        let storage = self.cf(CF_STORAGE)?;
        for (address, change) in &changes.accounts {
            if change.storage_cleared {
                let mut from = [0u8; 52];
                from[..20].copy_from_slice(address.as_slice());
                let mut to = [0xffu8; 53];
                to[..20].copy_from_slice(address.as_slice());
                batch.delete_range_cf(storage, from.as_slice(), to.as_slice());
            }
            match &change.account {
                Some(account) => batch.put_cf(accounts, address.as_slice(), account_bytes(account)),
                None => batch.delete_cf(accounts, address.as_slice()),
            }
            for (slot, value) in &change.storage {
                let key = storage_key(address, slot);
                if value.is_zero() {
                    batch.delete_cf(storage, key);
                } else {
                    batch.put_cf(storage, key, value.to_be_bytes::<32>());
                }
            }
        }
        let code = self.cf(CF_CODE)?;
        for (hash, bytes) in &changes.codes {
            batch.put_cf(code, hash.as_slice(), bytes);
        }
        let trie = self.cf(CF_TRIE)?;
        for (hash, node) in nodes {
            batch.put_cf(trie, hash.as_slice(), node);
        }
        Ok(())
    }

    /// Commits an executed block as the new head, atomically.
    pub fn commit_block(&self, block: &ExecutedBlock) -> Result<()> {
        self.commit_block_with(block, None)
    }

    /// Commits an executed block as the new head and, in the same write, as the safe head if
    /// `safe` says so.
    pub fn commit_block_with(&self, block: &ExecutedBlock, safe: Option<SafeUpdate>) -> Result<()> {
        let body = StoredBody {
            transactions: block
                .block
                .body
                .transactions
                .iter()
                .map(|tx| Bytes::from(tx.encoded_2718()))
                .collect(),
            senders: block.senders.clone(),
            gas_used: block.gas_used.clone(),
            withdrawals: block.block.body.withdrawals.clone(),
        };
        let mut batch = WriteBatch::default();
        self.write_block(
            &mut batch,
            &block.block.header,
            block.hash,
            &body,
            &block.receipts,
        )?;
        let undo = self.undo_record(&block.changes)?;
        let mut undo_value = block.hash.to_vec();
        undo_value.extend_from_slice(&undo.encode());
        batch.put_cf(
            self.cf(CF_UNDO)?,
            block.block.header.number.to_be_bytes(),
            undo_value,
        );
        self.write_state(&mut batch, &block.changes, &block.trie_nodes)?;
        batch.put_cf(self.cf(CF_META)?, META_HEAD, block.hash.as_slice());
        if let Some(safe) = safe {
            self.write_safe(&mut batch, safe)?;
        }
        failpoint::hit("storage.commit.before_write");
        let mut log = self.prune.writes.lock();
        self.db.write(batch)?;
        log.record(&block.trie_nodes);
        drop(log);
        failpoint::hit("storage.commit.after_write");
        Ok(())
    }

    fn write_safe(&self, batch: &mut WriteBatch, safe: SafeUpdate) -> Result<()> {
        batch.put_cf(
            self.cf(CF_DERIVED)?,
            safe.number.to_be_bytes(),
            safe.record.encode(),
        );
        batch.put_cf(self.cf(CF_META)?, META_SAFE, safe.hash.as_slice());
        Ok(())
    }

    /// Records an existing canonical block as the new safe head (the sequencer's own block,
    /// confirmed by derivation).
    pub fn set_safe(&self, safe: SafeUpdate) -> Result<()> {
        let mut batch = WriteBatch::default();
        self.write_safe(&mut batch, safe)?;
        self.db.write(batch)?;
        Ok(())
    }

    /// Moves the safe head back to canonical block `number` (derivation reset), forgetting what
    /// later blocks were derived from. Also moves the finalized head back if it was later.
    pub fn reset_safe(&self, number: u64) -> Result<()> {
        let hash = self
            .canonical_hash(number)?
            .ok_or_else(|| StorageError::Corrupt(format!("no canonical block {number}")))?;
        let mut batch = WriteBatch::default();
        self.clamp_heads(&mut batch, number, hash)?;
        self.db.write(batch)?;
        Ok(())
    }

    /// Points the safe and finalized heads at `hash` (block `number`) where they are later,
    /// and drops derivation records past it.
    fn clamp_heads(&self, batch: &mut WriteBatch, number: u64, hash: B256) -> Result<()> {
        for key in [META_SAFE, META_FINALIZED] {
            if let Some(head) = self.get(CF_META, key)? {
                let head = B256::from_slice(&head);
                let later = match self.header(&head)? {
                    Some(header) => header.number > number,
                    None => true,
                };
                if later {
                    batch.put_cf(self.cf(CF_META)?, key, hash.as_slice());
                }
            }
        }
        let from = (number + 1).to_be_bytes();
        let to = u64::MAX.to_be_bytes();
        batch.delete_range_cf(self.cf(CF_DERIVED)?, from.as_slice(), to.as_slice());
        Ok(())
    }

    /// The safe head's hash, if derivation has recorded one.
    pub fn safe_hash(&self) -> Result<Option<B256>> {
        Ok(self
            .get(CF_META, META_SAFE)?
            .map(|raw| B256::from_slice(&raw)))
    }

    /// The finalized head's hash, if one is recorded.
    pub fn finalized_hash(&self) -> Result<Option<B256>> {
        Ok(self
            .get(CF_META, META_FINALIZED)?
            .map(|raw| B256::from_slice(&raw)))
    }

    /// Records the finalized head and, in the same write, drops the undo records of it and
    /// every earlier block: a finalized block is never rolled back.
    pub fn set_finalized(&self, hash: B256) -> Result<()> {
        let header = self
            .header(&hash)?
            .ok_or(StorageError::UnknownBlock(hash))?;
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_META)?, META_FINALIZED, hash.as_slice());
        let to = header.number.saturating_add(1).to_be_bytes();
        batch.delete_range_cf(self.cf(CF_UNDO)?, 0u64.to_be_bytes(), to);
        self.db.write(batch)?;
        Ok(())
    }

    /// Block numbers that have an undo record, oldest first.
    pub fn undo_numbers(&self) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(self.cf(CF_UNDO)?, rocksdb::IteratorMode::Start)
        {
            let (key, _) = item?;
            let key = <[u8; 8]>::try_from(key.as_ref())
                .map_err(|_| StorageError::Corrupt("undo record key".into()))?;
            out.push(u64::from_be_bytes(key));
        }
        Ok(out)
    }

    /// The L1 block (number, hash) safe block `number` was derived from.
    pub fn derived_from(&self, number: u64) -> Result<Option<(u64, B256)>> {
        Ok(self.derivation_record(number)?.map(|r| r.derived_from))
    }

    /// What derivation recorded with safe block `number`.
    pub fn derivation_record(&self, number: u64) -> Result<Option<DerivationRecord>> {
        self.get(CF_DERIVED, &number.to_be_bytes())?
            .map(|raw| DerivationRecord::decode(&raw))
            .transpose()
    }

    /// What the flat state holds, before `changes` are written, for every key they touch.
    fn undo_record(&self, changes: &StateChanges) -> Result<UndoRecord> {
        let storage = self.cf(CF_STORAGE)?;
        let mut entries = Vec::with_capacity(changes.accounts.len());
        for (address, change) in &changes.accounts {
            let account = self.latest_account(address)?;
            let slots = if change.storage_cleared {
                // The whole storage is replaced: keep all of it.
                let mut slots = Vec::new();
                let prefix = address.as_slice();
                let iter = self.db.iterator_cf(
                    storage,
                    rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward),
                );
                for item in iter {
                    let (key, value) = item?;
                    if !key.starts_with(prefix) {
                        break;
                    }
                    if key.len() != 52 || value.len() != 32 {
                        return Err(StorageError::Corrupt("storage record".into()));
                    }
                    slots.push((U256::from_be_slice(&key[20..]), U256::from_be_slice(&value)));
                }
                slots
            } else {
                let keys: Vec<[u8; 52]> = change
                    .storage
                    .keys()
                    .map(|slot| storage_key(address, slot))
                    .collect();
                let values =
                    self.db
                        .batched_multi_get_cf(storage, keys.iter().map(|k| k.as_slice()), false);
                let mut slots = Vec::with_capacity(keys.len());
                for (slot, value) in change.storage.keys().zip(values) {
                    let value = value?
                        .map(|raw| U256::from_be_slice(&raw))
                        .unwrap_or_default();
                    slots.push((*slot, value));
                }
                slots
            };
            entries.push(UndoEntry {
                address: *address,
                account,
                full_storage: change.storage_cleared,
                slots,
            });
        }
        Ok(UndoRecord { entries })
    }

    fn apply_undo(&self, batch: &mut WriteBatch, record: &UndoRecord) -> Result<()> {
        let accounts = self.cf(CF_ACCOUNTS)?;
        let storage = self.cf(CF_STORAGE)?;
        for entry in &record.entries {
            match &entry.account {
                Some(account) => {
                    batch.put_cf(accounts, entry.address.as_slice(), account_bytes(account))
                }
                None => batch.delete_cf(accounts, entry.address.as_slice()),
            }
            if entry.full_storage {
                let mut from = [0u8; 52];
                from[..20].copy_from_slice(entry.address.as_slice());
                let mut to = [0xffu8; 53];
                to[..20].copy_from_slice(entry.address.as_slice());
                batch.delete_range_cf(storage, from.as_slice(), to.as_slice());
            }
            for (slot, value) in &entry.slots {
                let key = storage_key(&entry.address, slot);
                if value.is_zero() {
                    batch.delete_cf(storage, key);
                } else {
                    batch.put_cf(storage, key, value.to_be_bytes::<32>());
                }
            }
        }
        Ok(())
    }

    /// Rolls the canonical chain back to block `target`, atomically: the flat state returns to
    /// what it was after `target`, later blocks leave the canonical index and the transaction
    /// lookup (their headers, bodies and receipts stay readable by hash, as geth keeps side
    /// blocks), and `target` becomes the head. Returns the bodies of the removed blocks, oldest
    /// first. Trie nodes are kept by hash, so the target's state root is readable, unless
    /// `--prune` dropped it: a target older than [`Storage::state_kept_from`] is refused with
    /// [`StorageError::UnwindPruned`].
    pub fn unwind_to(&self, target: u64) -> Result<Vec<StoredBody>> {
        // Held to the write, so a sweep cannot raise the oldest kept block in between.
        let _log = self.prune.writes.lock();
        let head_hash = self
            .head_hash()?
            .ok_or_else(|| StorageError::Corrupt("no head".into()))?;
        let head = self
            .header(&head_hash)?
            .ok_or(StorageError::UnknownBlock(head_hash))?;
        if target >= head.number {
            return Ok(Vec::new());
        }
        self.check_unwind_target(target)?;
        let target_hash = self
            .canonical_hash(target)?
            .ok_or_else(|| StorageError::Corrupt(format!("no canonical block {target}")))?;
        let mut batch = WriteBatch::default();
        let mut bodies = Vec::with_capacity((head.number - target) as usize);
        for number in (target + 1..=head.number).rev() {
            let hash = self
                .canonical_hash(number)?
                .ok_or_else(|| StorageError::Corrupt(format!("no canonical block {number}")))?;
            let raw = self.get(CF_UNDO, &number.to_be_bytes())?.ok_or_else(|| {
                StorageError::Corrupt(format!(
                    "block {number} has no undo record (finalized blocks have none), so the chain cannot be rolled back past it"
                ))
            })?;
            if raw.len() < 32 || raw[..32] != hash[..] {
                return Err(StorageError::Corrupt(format!(
                    "the undo record of block {number} is not for its canonical block {hash}"
                )));
            }
            // Applied newest first: for a key several blocks touched, the oldest block's
            // record, written last, wins.
            self.apply_undo(&mut batch, &UndoRecord::decode(&raw[32..])?)?;
            batch.delete_cf(self.cf(CF_UNDO)?, number.to_be_bytes());
            batch.delete_cf(self.cf(CF_CANONICAL)?, number.to_be_bytes());
            let body = self.body(&hash)?.ok_or(StorageError::UnknownBlock(hash))?;
            for raw in &body.transactions {
                batch.delete_cf(
                    self.cf(CF_TX_LOOKUP)?,
                    alloy_primitives::keccak256(raw).as_slice(),
                );
            }
            bodies.push(body);
        }
        batch.put_cf(self.cf(CF_META)?, META_HEAD, target_hash.as_slice());
        self.clamp_heads(&mut batch, target, target_hash)?;
        self.db.write(batch)?;
        bodies.reverse();
        Ok(bodies)
    }

    /// Hash of the head block.
    pub fn head_hash(&self) -> Result<Option<B256>> {
        Ok(self
            .get(CF_META, META_HEAD)?
            .map(|raw| B256::from_slice(&raw)))
    }

    /// A header by hash.
    pub fn header(&self, hash: &B256) -> Result<Option<Header>> {
        self.get(CF_HEADERS, hash.as_slice())?
            .map(|raw| Header::decode(&mut raw.as_slice()).map_err(StorageError::from))
            .transpose()
    }

    /// The canonical hash at `number`.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>> {
        Ok(self
            .get(CF_CANONICAL, &number.to_be_bytes())?
            .map(|raw| B256::from_slice(&raw)))
    }

    /// The canonical header at `number`.
    pub fn header_by_number(&self, number: u64) -> Result<Option<Header>> {
        match self.canonical_hash(number)? {
            Some(hash) => self.header(&hash),
            None => Ok(None),
        }
    }

    /// Where a transaction was included.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>> {
        let Some(raw) = self.get(CF_TX_LOOKUP, hash.as_slice())? else {
            return Ok(None);
        };
        if raw.len() != 12 {
            return Err(StorageError::Corrupt("tx lookup record".into()));
        }
        let mut number = [0u8; 8];
        number.copy_from_slice(&raw[..8]);
        let mut index = [0u8; 4];
        index.copy_from_slice(&raw[8..]);
        Ok(Some(TxLocation {
            number: u64::from_be_bytes(number),
            index: u32::from_be_bytes(index),
        }))
    }
}

#[cfg(test)]
mod tests;
