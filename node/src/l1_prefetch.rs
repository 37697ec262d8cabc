//! Derivation's view of L1: headers and verified blocks read ahead of the pipeline and kept in
//! bounded caches, so that derivation does not wait one round trip per call.
//!
//! When the pipeline reads header `n`, a background task reads the headers of `n + 1 ..=
//! n + depth` (no further than the L1 head the driver knows of), then their blocks, several
//! requests at a time, verifying each block ([`L1Client::verified_block`]) while the
//! derivation thread executes L2 blocks. Every block handed out was verified; the caches are
//! bounded by count (LRU). Blocks are cached by hash. Headers are cached by number, and a
//! header read ahead is kept only if it builds on the one before it; the pipeline still
//! checks each header's parent hash as it advances, so an L1 reorg still resets it, and the
//! driver then starts a fresh [`DerivationL1`] (empty caches).
//!
//! The read-ahead uses a client with its own back-off ([`L1Client::with_own_backoff`]): a
//! slow read-ahead neither fails derivation's own requests fast nor the sequencer's.

use std::{num::NonZeroUsize, sync::Arc};

use alloy_primitives::{B256, Bytes};
use futures::{StreamExt as _, stream};
use lru::LruCache;
use parking_lot::Mutex;
use sprout_protocol::{
    derive::{L1Header, L1Provider},
    l1_block::{L1Addresses, VerifiedL1Block},
    l1_info::L1BlockRef,
};
use tokio::task::JoinHandle;
use tracing::debug;

use crate::{NodeError, Result, l1::L1Client};

/// Requests the read-ahead keeps in flight at once.
const CONCURRENCY: usize = 8;
/// Headers kept per verified block kept: headers are small, and batches look up their
/// epoch's header by number up to a sequencing window back.
const HEADERS_PER_BLOCK: usize = 16;

/// How derivation reads L1 ahead (`--l1.prefetch`, `--l1.cache-blocks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefetchConfig {
    /// L1 blocks read ahead of the pipeline (0: none, every read is a request).
    pub depth: u64,
    /// Verified blocks kept (and 16 times as many headers).
    pub cache_blocks: NonZeroUsize,
}

impl Default for PrefetchConfig {
    fn default() -> Self {
        Self {
            depth: 64,
            cache_blocks: NonZeroUsize::new(256).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

#[derive(Debug)]
struct Caches {
    headers: LruCache<u64, L1Header>,
    blocks: LruCache<B256, VerifiedL1Block>,
    /// The newest block number the read-ahead has a header for.
    ahead_to: u64,
    /// Set to `ahead_to` when L1 no longer builds on that header: reading ahead waits until
    /// the pipeline gets there (and finds the reorg itself).
    stalled_at: Option<u64>,
}

/// A read-ahead under way: the block numbers it covers, and its task.
#[derive(Debug)]
struct ReadAhead {
    from: u64,
    to: u64,
    task: JoinHandle<()>,
}

/// The L1 provider derivation runs on (see the [module docs](self)): blocking calls, for a
/// blocking thread, and blocks read at the rollup's addresses.
#[derive(Debug)]
pub struct DerivationL1 {
    l1: L1Client,
    /// The read-ahead's client (its own back-off).
    ahead_l1: L1Client,
    addresses: L1Addresses,
    config: PrefetchConfig,
    caches: Arc<Mutex<Caches>>,
    read_ahead: Option<ReadAhead>,
    /// Read ahead no further than this: the newest L1 block the driver knows of.
    limit: u64,
}

impl DerivationL1 {
    /// Reads through `l1` (give it a back-off of its own, [`L1Client::with_own_backoff`]).
    pub fn new(l1: L1Client, addresses: L1Addresses, config: PrefetchConfig) -> Self {
        let headers = config
            .cache_blocks
            .saturating_mul(NonZeroUsize::new(HEADERS_PER_BLOCK).unwrap_or(NonZeroUsize::MIN));
        Self {
            ahead_l1: l1.with_own_backoff(),
            l1,
            addresses,
            config,
            caches: Arc::new(Mutex::new(Caches {
                headers: LruCache::new(headers),
                blocks: LruCache::new(config.cache_blocks),
                ahead_to: 0,
                stalled_at: None,
            })),
            read_ahead: None,
            limit: 0,
        }
    }

    /// The newest L1 block number the read-ahead may read.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// Waits for the read-ahead if it covers block `number`. Returns whether it waited.
    fn wait_for(&mut self, number: u64) -> bool {
        let covers = self
            .read_ahead
            .as_ref()
            .is_some_and(|r| (r.from..=r.to).contains(&number));
        if !covers {
            return false;
        }
        if let Some(read_ahead) = self.read_ahead.take()
            && let Err(err) = self.l1.handle().block_on(read_ahead.task)
        {
            debug!(target: "l1", %err, "L1 read-ahead task failed");
        }
        true
    }

    /// Starts reading ahead of header `number` (just read), unless a read-ahead is running
    /// or enough is read already.
    fn read_ahead_of(&mut self, number: u64) {
        if self.config.depth == 0 {
            return;
        }
        if self
            .read_ahead
            .as_ref()
            .is_some_and(|r| !r.task.is_finished())
        {
            return;
        }
        self.read_ahead = None;
        let (ahead_to, parent) = {
            let caches = self.caches.lock();
            let ahead_to = caches.ahead_to.max(number);
            if caches.stalled_at == Some(ahead_to) {
                return;
            }
            (
                ahead_to,
                caches.headers.peek(&ahead_to).map(|h| h.block.hash),
            )
        };
        // Top up once half of what was read ahead is used.
        if ahead_to > number + self.config.depth / 2 {
            return;
        }
        let from = ahead_to + 1;
        let to = number.saturating_add(self.config.depth).min(self.limit);
        if from > to {
            return;
        }
        let task = self.l1.handle().spawn(read_ahead(
            self.ahead_l1.clone(),
            self.addresses,
            self.caches.clone(),
            from,
            to,
            parent,
        ));
        self.read_ahead = Some(ReadAhead { from, to, task });
    }

    fn cached_header(&self, number: u64) -> Option<L1Header> {
        self.caches.lock().headers.get(&number).copied()
    }

    fn cached_block(&self, hash: &B256) -> Option<VerifiedL1Block> {
        self.caches.lock().blocks.get(hash).cloned()
    }
}

/// Reads the headers `from..=to` (keeping the prefix that forms a chain on `parent`), then
/// their verified blocks, into `caches`. Failures end the read-ahead early: derivation's own
/// request for the block then reports them.
async fn read_ahead(
    l1: L1Client,
    addresses: L1Addresses,
    caches: Arc<Mutex<Caches>>,
    from: u64,
    to: u64,
    mut parent: Option<B256>,
) {
    let headers: Vec<Result<Option<L1Header>>> = stream::iter(from..=to)
        .map(|number| {
            let l1 = l1.clone();
            async move { l1.header(number).await }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut chain = Vec::with_capacity(headers.len());
    let mut stalled = false;
    for header in headers {
        let header = match header {
            Ok(Some(header)) => header,
            Ok(None) => break,
            Err(err) => {
                debug!(target: "l1", %err, "L1 read-ahead stopped");
                break;
            }
        };
        if parent.is_some_and(|parent| parent != header.block.parent_hash) {
            debug!(target: "l1", number = header.block.number, "L1 changed under the read-ahead");
            stalled = true;
            break;
        }
        parent = Some(header.block.hash);
        chain.push(header);
    }
    {
        let mut caches = caches.lock();
        for header in &chain {
            caches.headers.put(header.block.number, *header);
        }
        if let Some(last) = chain.last() {
            caches.ahead_to = caches.ahead_to.max(last.block.number);
        }
        if stalled {
            caches.stalled_at = Some(caches.ahead_to.max(from - 1));
        }
    }
    let hashes: Vec<B256> = chain.iter().map(|h| h.block.hash).collect();
    let mut blocks = stream::iter(hashes)
        .map(|hash| {
            let l1 = l1.clone();
            async move { (hash, l1.verified_block(hash, &addresses).await) }
        })
        .buffered(CONCURRENCY);
    while let Some((hash, block)) = blocks.next().await {
        match block {
            Ok(block) => {
                caches.lock().blocks.put(hash, block);
            }
            Err(err) => {
                debug!(target: "l1", %err, "L1 read-ahead stopped");
                return;
            }
        }
    }
}

impl L1Provider for DerivationL1 {
    type Error = NodeError;

    fn header_by_number(&mut self, number: u64) -> Result<Option<L1Header>> {
        let header = match self.cached_header(number) {
            Some(header) => Some(header),
            None => match self.wait_for(number).then(|| self.cached_header(number)) {
                Some(Some(header)) => Some(header),
                _ => {
                    let header = self.l1.handle().block_on(self.l1.header(number))?;
                    if let Some(header) = header {
                        self.caches.lock().headers.put(number, header);
                    }
                    header
                }
            },
        };
        if header.is_some() {
            self.read_ahead_of(number);
        }
        Ok(header)
    }

    fn block(&mut self, block: &L1BlockRef) -> Result<VerifiedL1Block> {
        if let Some(verified) = self.cached_block(&block.hash) {
            return Ok(verified);
        }
        if self.wait_for(block.number)
            && let Some(verified) = self.cached_block(&block.hash)
        {
            return Ok(verified);
        }
        let verified = self
            .l1
            .handle()
            .block_on(self.l1.verified_block(block.hash, &self.addresses))?;
        self.caches.lock().blocks.put(block.hash, verified.clone());
        Ok(verified)
    }

    fn blobs(&mut self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>> {
        self.l1.handle().block_on(self.l1.blobs(block, hashes))
    }
}

impl Drop for DerivationL1 {
    fn drop(&mut self) {
        if let Some(read_ahead) = self.read_ahead.take() {
            read_ahead.task.abort();
        }
    }
}
