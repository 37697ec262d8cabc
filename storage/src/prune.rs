//! Trie pruning (`--prune N`): keep the state tries of the last N blocks (and, in rollup mode,
//! of every block an L1 reorg could still roll back to), delete every other trie node.
//!
//! Nodes are keyed by hash and shared between tries, and a node a block replaced can come back
//! in a later one, so nothing is deleted because "a block replaced it". A sweep is
//! mark-and-sweep instead:
//!
//! 1. Under the write lock (ordered with commits and unwinds): compute the retained window
//!    `[from, head]`, raise the recorded oldest kept block to `from` (so reads and unwinds
//!    below it are refused from now on), start recording the hashes that commits write, and
//!    take a RocksDB snapshot. Block production goes on.
//! 2. From the snapshot: mark every node reachable from the state roots of the window's
//!    canonical blocks, storage tries included.
//! 3. Delete, in batches under the write lock, the snapshot's trie nodes that are neither
//!    marked nor written since step 1.
//!
//! Why that is safe: a block committed after the snapshot builds on a block of the window or on
//! a block committed after the snapshot (unwinds below `from` are refused), and every node of
//! its trie is either reachable from its parent's root or one it wrote itself. So every node
//! the live chain can reach is marked or recorded. A crash mid-sweep leaves only deletions of
//! unreachable nodes and the raised oldest kept block, a valid database.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::Decodable;
use parking_lot::Mutex;
use rocksdb::WriteBatch;
use sprout_protocol::{
    state_root::walk_state,
    trie::{TrieError, TrieNodeProvider},
};
use tracing::{info, warn};

use super::{CF_CANONICAL, CF_HEADERS, CF_META, CF_TRIE, CF_UNDO, META_FINALIZED, Storage};
use crate::{Result, StorageError};

/// The oldest block whose state (trie) is kept, big-endian u64. Absent: every block's.
pub(super) const META_STATE_KEPT_FROM: &[u8] = b"state_kept_from";
/// The `--prune N` the datadir last ran with, big-endian u64. Absent: never pruned.
pub(super) const META_PRUNE: &[u8] = b"prune";

/// The smallest `--prune N`. A read that resolved `latest` just before a new block was
/// committed reads the previous head's trie, so at least the head and its parent must stay.
pub const MIN_PRUNE_KEEP: u64 = 2;

/// How a node prunes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PruneConfig {
    /// Blocks whose state is kept: the head and the `keep - 1` before it.
    pub keep: u64,
    /// Blocks between sweeps: each sweep marks the whole live state, so this amortises it.
    /// At most this many blocks of unreachable nodes wait for deletion.
    pub interval: u64,
}

impl PruneConfig {
    /// `--prune keep`, sweeping every `max(keep / 2, 16)` blocks.
    pub fn new(keep: u64) -> Self {
        Self {
            keep,
            interval: (keep / 2).max(16),
        }
    }
}

/// Trie nodes deleted per write batch.
const DELETE_BATCH: usize = 4_096;

/// What commits write while a sweep runs: those nodes are never deleted by it.
#[derive(Debug, Default)]
pub(super) struct WriteLog {
    recording: bool,
    written: HashSet<B256>,
}

impl WriteLog {
    /// Notes the trie nodes a commit just wrote.
    pub(super) fn record(&mut self, nodes: &[(B256, Bytes)]) {
        if self.recording {
            self.written.extend(nodes.iter().map(|(hash, _)| *hash));
        }
    }
}

/// Pruning state of an open database.
#[derive(Debug, Default)]
pub(super) struct PruneState {
    /// `--prune N`, when this node prunes.
    pub(super) config: Option<PruneConfig>,
    /// The oldest block whose state is kept (0: all of them).
    pub(super) kept_from: AtomicU64,
    /// Held around every write that touches trie nodes or the head, and by a sweep to order
    /// itself with them.
    pub(super) writes: Mutex<WriteLog>,
    /// One sweep at a time.
    sweeping: Mutex<()>,
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepReport {
    /// The oldest block whose state is kept after it.
    pub kept_from: u64,
    /// The head when it started.
    pub head: u64,
    /// Trie nodes reachable from the retained blocks.
    pub marked: u64,
    /// Trie nodes deleted.
    pub deleted: u64,
}

fn be_u64(raw: &[u8], what: &str) -> Result<u64> {
    <[u8; 8]>::try_from(raw)
        .map(u64::from_be_bytes)
        .map_err(|_| StorageError::Corrupt(format!("{what} record of {} bytes", raw.len())))
}

/// Trie nodes read from a snapshot.
struct SnapshotNodes<'a> {
    snapshot: &'a rocksdb::Snapshot<'a>,
    trie: &'a rocksdb::ColumnFamily,
}

impl TrieNodeProvider for SnapshotNodes<'_> {
    fn trie_node(&self, hash: &B256) -> Result<Bytes, TrieError> {
        match self.snapshot.get_cf(self.trie, hash.as_slice()) {
            Ok(Some(raw)) => Ok(Bytes::from(raw)),
            Ok(None) => Err(TrieError::MissingNode(*hash)),
            Err(err) => Err(TrieError::Provider(err.to_string())),
        }
    }
}

impl Storage {
    /// Loads the recorded oldest kept block (at open).
    pub(super) fn load_prune_state(&self) -> Result<()> {
        if let Some(raw) = self.get(CF_META, META_STATE_KEPT_FROM)? {
            self.prune
                .kept_from
                .store(be_u64(&raw, "state kept from")?, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Turns pruning on: the state of the last `keep` blocks is kept, older tries are deleted
    /// by [`Storage::sweep_trie`]. Recorded in the datadir. A datadir opened later without it
    /// keeps refusing state older than what was kept (it does not prune further).
    pub fn with_pruning(mut self, config: PruneConfig) -> Result<Self> {
        let keep = config.keep;
        if keep < MIN_PRUNE_KEEP {
            return Err(StorageError::Config(format!(
                "--prune {keep} keeps too little: at least the head and its parent must stay readable; use --prune {MIN_PRUNE_KEEP} or more (omit --prune for an archive node)"
            )));
        }
        self.db
            .put_cf(self.cf(CF_META)?, META_PRUNE, keep.to_be_bytes())?;
        if config.interval == 0 {
            return Err(StorageError::Config(
                "--prune.interval 0: sweeps run every 1 block or more".into(),
            ));
        }
        self.prune.config = Some(config);
        Ok(self)
    }

    /// `--prune N`, when this node prunes.
    pub fn prune_keep(&self) -> Option<u64> {
        self.prune.config.map(|c| c.keep)
    }

    /// How this node prunes, if it does.
    pub fn prune_config(&self) -> Option<PruneConfig> {
        self.prune.config
    }

    /// The oldest block whose state is kept (0 on an archive datadir).
    pub fn state_kept_from(&self) -> u64 {
        self.prune.kept_from.load(Ordering::SeqCst)
    }

    /// Whether the state of block `number` is still kept; [`StorageError::StatePruned`] if not.
    pub fn check_state_kept(&self, number: u64) -> Result<()> {
        let kept_from = self.state_kept_from();
        if number < kept_from {
            return Err(StorageError::StatePruned {
                number,
                kept_from,
                keep: self.prune_keep(),
            });
        }
        Ok(())
    }

    /// Refuses a rollback to a block whose state is pruned. Call under the write lock.
    pub(super) fn check_unwind_target(&self, target: u64) -> Result<()> {
        let kept_from = self.state_kept_from();
        if target < kept_from {
            return Err(StorageError::UnwindPruned { target, kept_from });
        }
        Ok(())
    }

    /// Trie nodes stored.
    pub fn trie_node_count(&self) -> Result<u64> {
        let mut count = 0;
        for item in self
            .db
            .iterator_cf(self.cf(CF_TRIE)?, rocksdb::IteratorMode::Start)
        {
            item?;
            count += 1;
        }
        Ok(count)
    }

    /// Compacts every column family, so deleted entries stop taking disk space now rather
    /// than when RocksDB's own compactions reach them.
    pub fn compact(&self) -> Result<()> {
        self.flush()?;
        for name in super::COLUMN_FAMILIES {
            self.db
                .compact_range_cf(self.cf(name)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Bytes of the disk files of the trie column family.
    pub fn trie_disk_bytes(&self) -> Result<u64> {
        Ok(self
            .db
            .property_int_value_cf(self.cf(CF_TRIE)?, "rocksdb.total-sst-files-size")?
            .unwrap_or(0))
    }

    /// The first block of the retained window at head `head`: the last `keep` blocks and, when
    /// `retain_unfinalized` (a rollup, where an L1 reorg rolls back to the finalized head at
    /// most), the finalized block and everything after it (all blocks, before finalization).
    fn retained_from(&self, keep: u64, head: u64, retain_unfinalized: bool) -> Result<u64> {
        let by_count = head.saturating_sub(keep.saturating_sub(1));
        if !retain_unfinalized {
            return Ok(by_count);
        }
        let finalized = match self.get(CF_META, META_FINALIZED)? {
            Some(raw) => self
                .header(
                    &B256::try_from(raw.as_slice())
                        .map_err(|_| StorageError::Corrupt("finalized head record".into()))?,
                )?
                .map_or(0, |header| header.number),
            None => 0,
        };
        Ok(by_count.min(finalized))
    }

    /// One mark-and-sweep pass over the trie nodes (see the module doc). `retain_unfinalized`:
    /// keep every block from the finalized head on, as a rollup node must. Blocks no commit;
    /// concurrent sweeps run one after the other. An error deletes nothing more and leaves a
    /// valid database.
    pub fn sweep_trie(&self, retain_unfinalized: bool) -> Result<SweepReport> {
        let keep = self.prune_keep().ok_or_else(|| {
            StorageError::Config("this node does not prune: start it with --prune N".into())
        })?;
        let _one = self.prune.sweeping.lock();
        let result = self.sweep_locked(keep, retain_unfinalized);
        let mut log = self.prune.writes.lock();
        log.recording = false;
        log.written = HashSet::new();
        result
    }

    fn sweep_locked(&self, keep: u64, retain_unfinalized: bool) -> Result<SweepReport> {
        let meta = self.cf(CF_META)?;
        let trie = self.cf(CF_TRIE)?;
        let (snapshot, head, from) = {
            let mut log = self.prune.writes.lock();
            let head_hash = self
                .head_hash()?
                .ok_or_else(|| StorageError::Corrupt("no head".into()))?;
            let head = self
                .header(&head_hash)?
                .ok_or(StorageError::UnknownBlock(head_hash))?
                .number;
            let from = self
                .retained_from(keep, head, retain_unfinalized)?
                .max(self.state_kept_from());
            if from > self.state_kept_from() {
                // An unwind below `from` is refused from now on, so the undo records of the
                // blocks before it can never be used: they go in the same write.
                let mut batch = WriteBatch::default();
                batch.put_cf(meta, META_STATE_KEPT_FROM, from.to_be_bytes());
                batch.delete_range_cf(self.cf(CF_UNDO)?, 0u64.to_be_bytes(), from.to_be_bytes());
                self.db.write(batch)?;
                self.prune.kept_from.store(from, Ordering::SeqCst);
            }
            log.recording = true;
            log.written.clear();
            (self.db.snapshot(), head, from)
        };

        let nodes = SnapshotNodes {
            snapshot: &snapshot,
            trie,
        };
        let canonical = self.cf(CF_CANONICAL)?;
        let headers = self.cf(CF_HEADERS)?;
        let mut marked: HashSet<B256> = HashSet::new();
        for number in from..=head {
            let hash = snapshot
                .get_cf(canonical, number.to_be_bytes())?
                .ok_or_else(|| StorageError::Corrupt(format!("no canonical block {number}")))?;
            let raw = snapshot
                .get_cf(headers, &hash)?
                .ok_or_else(|| StorageError::Corrupt(format!("no header of block {number}")))?;
            let header = Header::decode(&mut raw.as_slice())?;
            walk_state(header.state_root, &nodes, &mut |hash| marked.insert(hash)).map_err(
                |err| {
                    StorageError::Corrupt(format!(
                        "the state of kept block {number} is not whole ({err}); nothing was pruned"
                    ))
                },
            )?;
        }

        let mut deleted = 0u64;
        let mut doomed = Vec::with_capacity(DELETE_BATCH);
        for item in snapshot.iterator_cf(trie, rocksdb::IteratorMode::Start) {
            let (key, _) = item?;
            let hash = B256::try_from(key.as_ref())
                .map_err(|_| StorageError::Corrupt(format!("trie key of {} bytes", key.len())))?;
            if !marked.contains(&hash) {
                doomed.push(hash);
            }
            if doomed.len() == DELETE_BATCH {
                deleted += self.delete_unmarked(trie, &mut doomed)?;
            }
        }
        deleted += self.delete_unmarked(trie, &mut doomed)?;
        Ok(SweepReport {
            kept_from: from,
            head,
            marked: marked.len() as u64,
            deleted,
        })
    }

    /// Deletes `doomed` except what commits wrote since the sweep began, ordered with them.
    fn delete_unmarked(&self, trie: &rocksdb::ColumnFamily, doomed: &mut Vec<B256>) -> Result<u64> {
        if doomed.is_empty() {
            return Ok(0);
        }
        let log = self.prune.writes.lock();
        let mut batch = WriteBatch::default();
        let mut n = 0;
        for hash in doomed.drain(..) {
            if !log.written.contains(&hash) {
                batch.delete_cf(trie, hash.as_slice());
                n += 1;
            }
        }
        self.db.write(batch)?;
        Ok(n)
    }
}

/// Runs [`Storage::sweep_trie`] on a background thread every `interval` blocks, one at a time.
#[derive(Debug)]
pub struct Pruner {
    storage: Arc<Storage>,
    interval: u64,
    retain_unfinalized: bool,
    running: Arc<AtomicBool>,
    last: AtomicU64,
}

impl Pruner {
    /// A pruner for `storage`, if it prunes: it sweeps every [`PruneConfig::interval`] blocks.
    pub fn new(storage: Arc<Storage>, retain_unfinalized: bool) -> Option<Self> {
        let config = storage.prune_config()?;
        Some(Self {
            storage,
            interval: config.interval,
            retain_unfinalized,
            running: Arc::new(AtomicBool::new(false)),
            last: AtomicU64::new(0),
        })
    }

    /// Called after each commit: starts a sweep when one is due and none is running. A failed
    /// sweep is logged; the next one retries.
    pub fn on_head(&self, number: u64) {
        if number
            < self
                .last
                .load(Ordering::SeqCst)
                .saturating_add(self.interval)
            || self.running.swap(true, Ordering::SeqCst)
        {
            return;
        }
        self.last.store(number, Ordering::SeqCst);
        let storage = self.storage.clone();
        let running = self.running.clone();
        let retain_unfinalized = self.retain_unfinalized;
        let spawned = std::thread::Builder::new()
            .name("trie-prune".into())
            .spawn(move || {
                match storage.sweep_trie(retain_unfinalized) {
                    Ok(report) => info!(target: "prune", head = report.head,
                        kept_from = report.kept_from, marked = report.marked,
                        deleted = report.deleted, "pruned trie nodes"),
                    Err(err) => warn!(target: "prune", %err, "trie sweep failed; retrying later"),
                }
                running.store(false, Ordering::SeqCst);
            });
        if let Err(err) = spawned {
            warn!(target: "prune", %err, "cannot start the trie sweep thread");
            self.running.store(false, Ordering::SeqCst);
        }
    }
}
