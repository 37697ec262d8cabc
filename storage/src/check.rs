//! `sprout db check`: reads a whole datadir and reports every inconsistency it finds, for
//! operators after a crash and for the crash trials in the tests.
//!
//! It checks the canonical chain from the head down to genesis (headers link, every block's
//! transactions, receipts and lookup entries are present and agree), the safe and finalized
//! heads, the flat state against the head's state root (recomputed from the flat tables alone),
//! and the undo records (one for every block that can still be rolled back, each naming its
//! canonical block).

use alloy_primitives::{B256, KECCAK256_EMPTY, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieAccount};
use serde::Serialize;

use super::{
    CF_ACCOUNTS, CF_CANONICAL, CF_CODE, CF_STORAGE, CF_TRIE, CF_UNDO, Storage, decode_account,
    undo::UndoRecord,
};
use crate::{Result, StorageError};

/// What [`Storage::check`] found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// The head block's number (`None`: an empty database).
    pub head: Option<u64>,
    /// The head block's hash.
    pub head_hash: Option<B256>,
    /// The safe head's number, if recorded.
    pub safe: Option<u64>,
    /// The finalized head's number, if recorded.
    pub finalized: Option<u64>,
    /// Canonical blocks checked.
    pub blocks: u64,
    /// Transactions (and receipts) checked.
    pub transactions: u64,
    /// Accounts in the flat state.
    pub accounts: u64,
    /// Storage slots in the flat state.
    pub storage_slots: u64,
    /// Undo records checked.
    pub undo_records: u64,
    /// The state root recomputed from the flat state.
    pub flat_state_root: Option<B256>,
    /// Every inconsistency found; empty when the database is consistent.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// Whether no problem was found.
    pub fn is_consistent(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Storage {
    /// Checks the whole database (see the [module docs](self)). Reads everything once; the
    /// node must not be writing to it meanwhile.
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let Some(head_hash) = self.head_hash()? else {
            if self.canonical_hash(0)?.is_some() {
                report
                    .problems
                    .push("blocks are stored but no head is recorded".into());
            }
            return Ok(report);
        };
        let Some(head) = self.header(&head_hash)? else {
            report
                .problems
                .push(format!("the head {head_hash} has no header"));
            return Ok(report);
        };
        report.head = Some(head.number);
        report.head_hash = Some(head_hash);
        self.check_chain(head.number, head_hash, &mut report)?;
        self.check_heads(head.number, &mut report)?;
        self.check_flat_state(head.state_root, &mut report)?;
        self.check_undo(head.number, &mut report)?;
        Ok(report)
    }

    /// The canonical chain from `head` down to genesis, and nothing canonical above it.
    fn check_chain(&self, head: u64, head_hash: B256, report: &mut CheckReport) -> Result<()> {
        let mut expected = head_hash;
        for number in (0..=head).rev() {
            let problems = &mut report.problems;
            match self.canonical_hash(number)? {
                Some(hash) if hash == expected => {}
                Some(hash) => problems.push(format!(
                    "canonical block {number} is {hash}, but its child names {expected}"
                )),
                None => problems.push(format!("no canonical block {number}")),
            }
            let Some(header) = self.header(&expected)? else {
                problems.push(format!("block {number} ({expected}) has no header"));
                return Ok(());
            };
            if header.number != number {
                problems.push(format!(
                    "block {expected} is numbered {}, at height {number}",
                    header.number
                ));
            }
            report.blocks += 1;
            self.check_block(number, expected, header.gas_used, report)?;
            expected = header.parent_hash;
        }
        let above = self.db.iterator_cf(
            self.cf(CF_CANONICAL)?,
            rocksdb::IteratorMode::From(&(head + 1).to_be_bytes(), rocksdb::Direction::Forward),
        );
        if let Some(item) = above.into_iter().next() {
            let (key, _) = item?;
            report.problems.push(format!(
                "a canonical entry above the head {head}: {}",
                alloy_primitives::hex::encode(key)
            ));
        }
        Ok(())
    }

    /// One block's transactions, receipts and lookup entries.
    fn check_block(
        &self,
        number: u64,
        hash: B256,
        gas_used: u64,
        report: &mut CheckReport,
    ) -> Result<()> {
        let Some(count) = self.tx_count(&hash)? else {
            report
                .problems
                .push(format!("block {number} ({hash}) has no body"));
            return Ok(());
        };
        let mut cumulative = 0;
        for index in 0..count {
            let (Some(tx), Some(receipt)) =
                (self.transaction(&hash, index)?, self.receipt(&hash, index)?)
            else {
                report.problems.push(format!(
                    "block {number}: transaction or receipt {index} of {count} is missing"
                ));
                continue;
            };
            report.transactions += 1;
            cumulative = receipt.receipt.cumulative_gas_used;
            let tx_hash = keccak256(&tx.raw);
            match self.tx_location(&tx_hash)? {
                Some(at) if at.number == number && at.index == index => {}
                other => report.problems.push(format!(
                    "transaction {tx_hash} (block {number}, index {index}) is looked up at {other:?}"
                )),
            }
        }
        if cumulative != gas_used {
            report.problems.push(format!(
                "block {number}: the receipts use {cumulative} gas, the header says {gas_used}"
            ));
        }
        Ok(())
    }

    /// The safe and finalized heads: canonical, and in order.
    fn check_heads(&self, head: u64, report: &mut CheckReport) -> Result<()> {
        let mut numbers = [None, None];
        for (slot, (name, hash)) in [
            ("safe", self.safe_hash()?),
            ("finalized", self.finalized_hash()?),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(hash) = hash else { continue };
            let Some(header) = self.header(&hash)? else {
                report
                    .problems
                    .push(format!("the {name} head {hash} has no header"));
                continue;
            };
            if header.number > head || self.canonical_hash(header.number)? != Some(hash) {
                report.problems.push(format!(
                    "the {name} head {} ({hash}) is not on the canonical chain to the head {head}",
                    header.number
                ));
            }
            numbers[slot] = Some(header.number);
        }
        [report.safe, report.finalized] = numbers;
        if let [Some(safe), Some(finalized)] = numbers
            && finalized > safe
        {
            report.problems.push(format!(
                "the finalized head {finalized} is above the safe head {safe}"
            ));
        }
        Ok(())
    }

    /// The state root of the flat tables, recomputed, against the head's; the head's root node
    /// and every account's code present.
    fn check_flat_state(&self, state_root: B256, report: &mut CheckReport) -> Result<()> {
        let mut accounts = Vec::new();
        for item in self
            .db
            .iterator_cf(self.cf(CF_ACCOUNTS)?, rocksdb::IteratorMode::Start)
        {
            let (key, value) = item?;
            if key.len() != 20 {
                report
                    .problems
                    .push(format!("an account key of {} bytes", key.len()));
                continue;
            }
            accounts.push((
                alloy_primitives::Address::from_slice(&key),
                decode_account(&value)?,
            ));
        }
        let storage_cf = self.cf(CF_STORAGE)?;
        let mut leaves = Vec::with_capacity(accounts.len());
        for (address, account) in accounts {
            report.accounts += 1;
            let mut slots = Vec::new();
            for item in self.db.iterator_cf(
                storage_cf,
                rocksdb::IteratorMode::From(address.as_slice(), rocksdb::Direction::Forward),
            ) {
                let (key, value) = item?;
                if !key.starts_with(address.as_slice()) {
                    break;
                }
                if key.len() != 52 || value.len() != 32 {
                    return Err(StorageError::Corrupt(format!(
                        "a storage record of {address} with a {}-byte key and a {}-byte value",
                        key.len(),
                        value.len()
                    )));
                }
                let value = alloy_primitives::U256::from_be_slice(&value);
                slots.push((keccak256(&key[20..]), alloy_rlp::encode(value)));
            }
            report.storage_slots += slots.len() as u64;
            let storage_root = root_of(slots);
            if account.code_hash != KECCAK256_EMPTY
                && self.get(CF_CODE, account.code_hash.as_slice())?.is_none()
            {
                report
                    .problems
                    .push(format!("{address}'s code {} is missing", account.code_hash));
            }
            let leaf = TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root,
                code_hash: account.code_hash,
            };
            leaves.push((keccak256(address), alloy_rlp::encode(leaf)));
        }
        let root = root_of(leaves);
        report.flat_state_root = Some(root);
        if root != state_root {
            report.problems.push(format!(
                "the flat state's root is {root}, the head's state root {state_root}"
            ));
        }
        if state_root != EMPTY_ROOT_HASH && self.get(CF_TRIE, state_root.as_slice())?.is_none() {
            report.problems.push(format!(
                "the head's state root node {state_root} is missing"
            ));
        }
        Ok(())
    }

    /// Undo records: one per block that can still be rolled back (above the finalized head, or
    /// after genesis when none is finalized, and from the oldest block whose state `--prune`
    /// keeps), each naming its canonical block, none above the head.
    fn check_undo(&self, head: u64, report: &mut CheckReport) -> Result<()> {
        let from = report.finalized.map_or(1, |f| f + 1);
        let required = from.max(self.state_kept_from());
        let mut expected = required;
        for item in self
            .db
            .iterator_cf(self.cf(CF_UNDO)?, rocksdb::IteratorMode::Start)
        {
            let (key, value) = item?;
            let number = <[u8; 8]>::try_from(key.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StorageError::Corrupt("undo record key".into()))?;
            report.undo_records += 1;
            if number < from || number > head {
                report.problems.push(format!(
                    "an undo record for block {number}, outside {from}..={head}"
                ));
                continue;
            }
            if number < required {
                continue;
            }
            if number > expected {
                report.problems.push(format!(
                    "no undo records for blocks {expected}..{number}: they cannot be rolled back"
                ));
            }
            expected = number + 1;
            if value.len() < 32 {
                report
                    .problems
                    .push(format!("the undo record of block {number} is truncated"));
                continue;
            }
            let hash = B256::from_slice(&value[..32]);
            if self.canonical_hash(number)? != Some(hash) {
                report.problems.push(format!(
                    "the undo record of block {number} is for {hash}, not the canonical block"
                ));
            }
            if let Err(err) = UndoRecord::decode(&value[32..]) {
                report
                    .problems
                    .push(format!("the undo record of block {number}: {err}"));
            }
        }
        if expected <= head {
            report.problems.push(format!(
                "no undo records for blocks {expected}..={head}: they cannot be rolled back"
            ));
        }
        Ok(())
    }
}

/// The root of a trie holding `leaves` (hashed keys, any order).
fn root_of(mut leaves: Vec<(B256, Vec<u8>)>) -> B256 {
    if leaves.is_empty() {
        return EMPTY_ROOT_HASH;
    }
    leaves.sort_unstable_by_key(|leaf| leaf.0);
    let mut builder = HashBuilder::default();
    for (key, value) in &leaves {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}
