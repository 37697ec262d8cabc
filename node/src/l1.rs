//! The L1 client: L1 headers for origin selection and the L1-info deposit, and whole L1 blocks
//! (header, transactions, receipts) for the batcher's data, the user deposits and the
//! SystemConfig updates; blobs from the beacon API. Over any Ethereum JSON-RPC endpoint, and a
//! beacon-API endpoint for blobs.
//!
//! The endpoint is not trusted with content: every header is checked against its hash, and
//! every block goes through protocol's [`VerifiedL1Block::verify`] (transactions and receipts
//! against the header's roots, batcher senders recovered locally), the same check the
//! fault-proof program makes. Which block is canonical at a number is still the endpoint's
//! word.

use std::{
    future::{Future, IntoFuture},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, B256, Bytes};
use sprout_protocol::{
    l1_block::{L1Addresses, RawL1Block, VerifiedL1Block, verify_header},
    l1_info::L1BlockRef,
    system_config::{CONFIG_UPDATE_TOPIC, ConfigUpdate},
};
use sprout_sequencer::origin::L1Source;
use tracing::warn;

use crate::{NodeError, Result, beacon::BeaconClient};

pub use sprout_protocol::derive::L1Header;

/// How often the "set --l1.beacon" error is logged while derivation waits on it.
const NO_BEACON_LOG_EVERY: Duration = Duration::from_secs(30);

/// How long one L1 request may take before L1 counts as unreachable.
pub const L1_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// After a failed request, further requests fail at once for this long, so that a hung L1
/// costs the sequencer one timeout per back-off period rather than one per request.
pub const L1_BACKOFF: Duration = Duration::from_secs(2);

/// Most L1 blocks one `eth_getLogs` covers by default (`--l1.max-logs-range`): what public
/// providers commonly allow.
pub const DEFAULT_MAX_LOGS_RANGE: u64 = 1_000;

/// A JSON-RPC client of L1.
#[derive(Clone, Debug)]
pub struct L1Client {
    /// Most blocks one `eth_getLogs` covers: longer ranges are read in chunks.
    max_logs_range: u64,
    provider: DynProvider,
    handle: tokio::runtime::Handle,
    /// Until when requests fail fast after a failure.
    down_until: Arc<parking_lot::Mutex<Option<Instant>>>,
    /// Where blobs are read (`--l1.beacon`).
    beacon: Option<BeaconClient>,
    /// When the missing `--l1.beacon` was last logged.
    no_beacon_logged: Arc<parking_lot::Mutex<Option<Instant>>>,
}

impl L1Client {
    /// Connects to `url` (HTTP). Blocking calls run on `handle`.
    pub fn new(url: &str, handle: tokio::runtime::Handle) -> Result<Self> {
        let url = url
            .parse()
            .map_err(|e| NodeError::Config(format!("--l1.rpc-url {url:?} is not a URL: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Ok(Self {
            max_logs_range: DEFAULT_MAX_LOGS_RANGE,
            provider,
            handle,
            down_until: Arc::default(),
            beacon: None,
            no_beacon_logged: Arc::default(),
        })
    }

    /// Reads blobs from the beacon API at `url` (`--l1.beacon`; for anvil, its RPC URL).
    pub fn with_beacon(mut self, url: Option<&str>) -> Result<Self> {
        self.beacon = url.map(BeaconClient::new).transpose()?;
        Ok(self)
    }

    /// Covers at most `blocks` L1 blocks with one `eth_getLogs` (`--l1.max-logs-range`).
    pub fn with_max_logs_range(mut self, blocks: u64) -> Result<Self> {
        if blocks == 0 {
            return Err(NodeError::Config(
                "--l1.max-logs-range must be at least 1".into(),
            ));
        }
        self.max_logs_range = blocks;
        Ok(self)
    }

    /// The same endpoint with a back-off of its own: a failure (say, a slow block read of
    /// derivation's) then does not make the other client's requests fail fast.
    pub fn with_own_backoff(&self) -> Self {
        Self {
            down_until: Arc::default(),
            ..self.clone()
        }
    }

    /// The runtime blocking calls run on.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Runs one request with the timeout and the back-off after failures.
    async fn request<T, E: std::fmt::Display>(
        &self,
        what: &str,
        fut: impl Future<Output = std::result::Result<T, E>>,
    ) -> Result<T> {
        if let Some(until) = *self.down_until.lock()
            && Instant::now() < until
        {
            return Err(NodeError::L1(
                "unreachable (backing off after a failed request)".into(),
            ));
        }
        let result = match tokio::time::timeout(L1_REQUEST_TIMEOUT, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(NodeError::L1(format!("{what}: {err}"))),
            Err(_) => Err(NodeError::L1(format!(
                "{what}: no answer within {L1_REQUEST_TIMEOUT:?}"
            ))),
        };
        *self.down_until.lock() = result.is_err().then(|| Instant::now() + L1_BACKOFF);
        result
    }

    /// The SystemConfig's `unsafeBlockSigner` at the L1 head: who may sign gossiped blocks.
    pub async fn unsafe_block_signer(&self, system_config: Address) -> Result<Address> {
        let contract = sprout_contracts::SystemConfig::new(system_config, &self.provider);
        self.request("SystemConfig.unsafeBlockSigner", async {
            contract.unsafeBlockSigner().call().await
        })
        .await
    }

    /// The L1 chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        self.request("eth_chainId", self.provider.get_chain_id())
            .await
    }

    /// The header of block `number`, if L1 has it, checked against its hash.
    pub async fn header(&self, number: u64) -> Result<Option<L1Header>> {
        let block = self
            .request(
                "eth_getBlockByNumber",
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Number(number))
                    .into_future(),
            )
            .await?;
        block.map(|block| checked_header(&block.header)).transpose()
    }

    /// The newest finalized block, if L1 names one, checked against its hash.
    pub async fn finalized_ref(&self) -> Result<Option<L1BlockRef>> {
        let block = self
            .request(
                "eth_getBlockByNumber(finalized)",
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Finalized)
                    .into_future(),
            )
            .await?;
        Ok(block
            .map(|block| checked_header(&block.header))
            .transpose()?
            .map(|header| header.block))
    }

    /// The raw pieces of block `hash` (`eth_getBlockByHash` with bodies, then
    /// `eth_getBlockReceipts`), and the sender the RPC names for each transaction. anvil
    /// serves neither `debug_getRawHeader` nor `debug_getRawReceipts`, so the RLP is built
    /// from the JSON fields: what the endpoint left out or altered, the hash and root checks
    /// of [`VerifiedL1Block::verify`] catch.
    /// Block `hash`'s header, transactions and receipts as the endpoint serves them, not
    /// verified: the fault-proof host, whose program checks everything against the hash.
    pub async fn raw_block_by_hash(&self, hash: B256) -> Result<RawL1Block> {
        Ok(self.raw_block(hash).await?.0)
    }

    /// The RLP of block `hash`'s header as the endpoint serves it, or `None` if it has no such
    /// block.
    pub async fn header_rlp_by_hash(&self, hash: B256) -> Result<Option<Bytes>> {
        let block = self
            .request(
                "eth_getBlockByHash",
                self.provider.get_block_by_hash(hash).into_future(),
            )
            .await?;
        Ok(block.map(|block| alloy_rlp::encode(&block.header.inner).into()))
    }

    async fn raw_block(&self, hash: B256) -> Result<(RawL1Block, Vec<Address>)> {
        let full = self
            .request(
                "eth_getBlockByHash",
                self.provider.get_block_by_hash(hash).full().into_future(),
            )
            .await?
            .ok_or_else(|| NodeError::L1(format!("L1 block {hash} is gone")))?;
        let Some(txs) = full.transactions.as_transactions() else {
            return Err(NodeError::L1(
                "L1 returned a block without transaction bodies".into(),
            ));
        };
        let receipts = self
            .request(
                "eth_getBlockReceipts",
                self.provider.get_block_receipts(hash.into()).into_future(),
            )
            .await?
            .ok_or_else(|| NodeError::L1(format!("L1 has no receipts of block {hash}")))?;
        let raw = RawL1Block {
            header: alloy_rlp::encode(&full.header.inner).into(),
            transactions: txs
                .iter()
                .map(|tx| tx.inner.inner().encoded_2718().into())
                .collect(),
            receipts: receipts
                .into_iter()
                .map(|r| r.inner.map_logs(|log| log.inner).encoded_2718().into())
                .collect(),
        };
        let claimed_senders = txs.iter().map(|tx| tx.inner.signer()).collect();
        Ok((raw, claimed_senders))
    }

    /// Block `hash`, verified ([`VerifiedL1Block::verify`]) and read at `addresses`. Data
    /// that fails the checks, or an RPC that names another sender for a batch-inbox
    /// transaction than its signature does, is an error (logged): the caller retries.
    pub async fn verified_block(
        &self,
        hash: B256,
        addresses: &L1Addresses,
    ) -> Result<VerifiedL1Block> {
        let (raw, claimed_senders) = self.raw_block(hash).await?;
        let block = VerifiedL1Block::verify(hash, &raw, addresses).map_err(|err| {
            warn!(target: "l1", block = %hash, %err, "L1 data failed verification");
            NodeError::L1(format!("L1 block {hash} failed verification: {err}"))
        })?;
        for tx in block.inbox_txs() {
            let claimed = claimed_senders.get(tx.index as usize).copied();
            if claimed != Some(tx.sender) {
                warn!(target: "l1", block = %hash, tx = %tx.hash, ?claimed, recovered = %tx.sender,
                    "the L1 RPC names another sender than the transaction's signature");
                return Err(NodeError::L1(format!(
                    "L1 RPC says transaction {} is from {claimed:?}, its signature says {}",
                    tx.hash, tx.sender
                )));
            }
        }
        Ok(block)
    }

    /// The blobs with versioned hashes `hashes` of `block`, from the beacon API, each checked
    /// against its versioned hash. Fails if blobs cannot be had (no `--l1.beacon`, or the
    /// beacon node lacks them).
    pub async fn blobs(&self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>> {
        let Some(beacon) = &self.beacon else {
            let message = format!(
                "L1 block {} holds batcher blob transactions, and blobs are read from a beacon \
                 node: set --l1.beacon URL (a beacon-API endpoint; for anvil, its RPC URL)",
                block.number
            );
            let mut logged = self.no_beacon_logged.lock();
            if logged.is_none_or(|at| at.elapsed() >= NO_BEACON_LOG_EVERY) {
                warn!(target: "l1", l1 = block.number, "{message}");
                *logged = Some(Instant::now());
            }
            return Err(NodeError::L1(message));
        };
        beacon.blobs(block, hashes).await
    }

    /// The `ConfigUpdate`s of L1 blocks `from..=to`, in order (the SystemConfig as of `to`
    /// is the genesis one with these applied, when `from` is the block after the anchor).
    ///
    /// `eth_getLogs`, over at most `--l1.max-logs-range` blocks per call, finds the blocks that
    /// hold updates; each such block is then read and verified, and its updates taken from its
    /// verified receipts. A forged or altered log is caught that way; a block the endpoint
    /// leaves out of the answer is not (that would take every block of the range).
    pub async fn config_updates_range(
        &self,
        from: u64,
        to: u64,
        addresses: &L1Addresses,
    ) -> Result<Vec<ConfigUpdate>> {
        let mut updates = Vec::new();
        for (first, last) in log_chunks(from, to, self.max_logs_range) {
            for (number, hash) in self.config_update_blocks(first, last, addresses).await? {
                let block = self.verified_block(hash, addresses).await?;
                if block.header().block.number != number {
                    return Err(NodeError::L1(format!(
                        "eth_getLogs named block {hash} as number {number}, but it is {}",
                        block.header().block.number
                    )));
                }
                updates.extend_from_slice(block.config_updates());
            }
        }
        Ok(updates)
    }

    /// The blocks of `from..=to` (one `eth_getLogs`) the endpoint says hold `ConfigUpdate`s.
    async fn config_update_blocks(
        &self,
        from: u64,
        to: u64,
        addresses: &L1Addresses,
    ) -> Result<Vec<(u64, B256)>> {
        let filter = Filter::new()
            .from_block(from)
            .to_block(to)
            .address(addresses.system_config)
            .event_signature(CONFIG_UPDATE_TOPIC);
        let logs = self
            .request("eth_getLogs", self.provider.get_logs(&filter))
            .await?;
        let mut blocks: Vec<(u64, B256)> = logs
            .iter()
            .map(|log| match (log.block_number, log.block_hash) {
                (Some(number), Some(hash)) if (from..=to).contains(&number) => Ok((number, hash)),
                (Some(number), Some(_)) => Err(NodeError::L1(format!(
                    "eth_getLogs for blocks {from}..={to} answered a log of block {number}"
                ))),
                _ => Err(NodeError::L1(
                    "eth_getLogs answered a log without its block".into(),
                )),
            })
            .collect::<Result<_>>()?;
        blocks.sort();
        blocks.dedup();
        Ok(blocks)
    }

    /// The latest block.
    pub async fn head_ref(&self) -> Result<L1BlockRef> {
        let number = self
            .request("eth_blockNumber", self.provider.get_block_number())
            .await?;
        self.header(number)
            .await?
            .map(|h| h.block)
            .ok_or_else(|| NodeError::L1(format!("L1 head {number} vanished")))
    }
}

impl L1Source for L1Client {
    type Error = NodeError;

    fn head(&self) -> Result<L1BlockRef> {
        self.handle.block_on(self.head_ref())
    }

    fn block_by_number(&self, number: u64) -> Result<Option<L1BlockRef>> {
        Ok(self.handle.block_on(self.header(number))?.map(|h| h.block))
    }
}

/// What derivation reads of a header from the RPC, once its RLP hashes to the hash the RPC
/// names it by.
fn checked_header(header: &alloy::rpc::types::Header) -> Result<L1Header> {
    let rlp = alloy_rlp::encode(&header.inner);
    verify_header(header.hash, &rlp)
        .map(|(_, l1)| l1)
        .map_err(|err| {
            warn!(target: "l1", block = header.number, %err, "L1 header failed verification");
            NodeError::L1(format!(
                "L1 header {} failed verification: {err}",
                header.number
            ))
        })
}

/// `from..=to` cut into ranges of at most `max` blocks, in order.
fn log_chunks(from: u64, to: u64, max: u64) -> impl Iterator<Item = (u64, u64)> {
    let max = max.max(1);
    let mut next = Some(from).filter(|from| *from <= to);
    std::iter::from_fn(move || {
        let first = next?;
        let last = first.saturating_add(max - 1).min(to);
        next = last.checked_add(1).filter(|n| *n <= to);
        Some((first, last))
    })
}

#[cfg(test)]
mod tests {
    use super::log_chunks;

    #[test]
    fn log_ranges_are_cut_into_chunks_of_at_most_the_limit() {
        let chunks: Vec<_> = log_chunks(1, 2_500, 1_000).collect();
        assert_eq!(chunks, vec![(1, 1_000), (1_001, 2_000), (2_001, 2_500)]);
        assert_eq!(log_chunks(5, 5, 1_000).collect::<Vec<_>>(), vec![(5, 5)]);
        assert_eq!(log_chunks(6, 5, 1_000).count(), 0);
        assert_eq!(
            log_chunks(u64::MAX - 1, u64::MAX, 1).collect::<Vec<_>>(),
            vec![(u64::MAX - 1, u64::MAX - 1), (u64::MAX, u64::MAX)]
        );
    }
}
