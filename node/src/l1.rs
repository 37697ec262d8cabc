//! The L1 client: L1 block references and headers for origin selection and the L1-info deposit,
//! the user deposits an L1 block holds, and the batcher's data (calldata, or blobs read from the
//! beacon API). Over any Ethereum JSON-RPC endpoint, and a beacon-API endpoint for blobs.

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
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::Bytes;
use alloy_primitives::{Address, B256, U256};
use sprout_protocol::{
    TxDeposit,
    batch::decode_blob,
    deposit::{TRANSACTION_DEPOSITED_TOPIC, decode_deposit_log},
    derive::L1Provider,
    l1_info::L1BlockRef,
    system_config::{CONFIG_UPDATE_TOPIC, ConfigUpdate, decode_config_update_log},
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

/// A JSON-RPC client of L1.
#[derive(Clone, Debug)]
pub struct L1Client {
    provider: DynProvider,
    handle: tokio::runtime::Handle,
    /// Until when requests fail fast after a failure.
    down_until: Arc<parking_lot::Mutex<Option<Instant>>>,
    /// Where blobs are read (`--l1.beacon`).
    beacon: Option<BeaconClient>,
    /// When the missing `--l1.beacon` was last logged.
    no_beacon_logged: Arc<parking_lot::Mutex<Option<Instant>>>,
}

/// One batcher transaction's data as the block holds it.
enum BatcherTx {
    /// A calldata transaction: its input.
    Calldata(Bytes),
    /// A blob transaction: its blobs' versioned hashes (its calldata is ignored).
    Blobs(Vec<B256>),
}

impl L1Client {
    /// Connects to `url` (HTTP). Blocking calls run on `handle`.
    pub fn new(url: &str, handle: tokio::runtime::Handle) -> Result<Self> {
        let url = url
            .parse()
            .map_err(|e| NodeError::Config(format!("--l1.rpc-url {url:?} is not a URL: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Ok(Self {
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

    /// The L1 chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        self.request("eth_chainId", self.provider.get_chain_id())
            .await
    }

    /// The header of block `number`, if L1 has it.
    pub async fn header(&self, number: u64) -> Result<Option<L1Header>> {
        let block = self
            .request(
                "eth_getBlockByNumber",
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Number(number))
                    .into_future(),
            )
            .await?;
        Ok(block.map(|block| {
            let header = &block.header;
            L1Header {
                block: L1BlockRef {
                    number: header.number,
                    hash: header.hash,
                    parent_hash: header.parent_hash,
                    timestamp: header.timestamp,
                },
                base_fee: U256::from(header.base_fee_per_gas.unwrap_or_default()),
                blob_base_fee: U256::from(header.inner.blob_fee(BlobParams::prague()).unwrap_or(1)),
                mix_hash: header.mix_hash,
                parent_beacon_block_root: header.parent_beacon_block_root,
            }
        }))
    }

    /// The newest finalized block, if L1 names one.
    pub async fn finalized_ref(&self) -> Result<Option<L1BlockRef>> {
        let block = self
            .request(
                "eth_getBlockByNumber(finalized)",
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Finalized)
                    .into_future(),
            )
            .await?;
        Ok(block.map(|b| L1BlockRef {
            number: b.header.number,
            hash: b.header.hash,
            parent_hash: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    /// The data of the transactions in `block` sent to `inbox` by `batcher`, in order: a
    /// calldata transaction's input, and for a blob transaction (type 3) the decoded contents
    /// of each of its blobs, read from the beacon API and checked against the transaction's
    /// versioned hashes. A blob that does not decode is dropped with a warning, like garbage
    /// calldata. Fails if L1 no longer has that block (it was reorged out), or if blobs are
    /// needed and cannot be had (no `--l1.beacon`, or the beacon node lacks them).
    pub async fn batcher_data(
        &self,
        block: &L1BlockRef,
        inbox: Address,
        batcher: Address,
    ) -> Result<Vec<Bytes>> {
        use alloy::consensus::Transaction as _;
        let full = self
            .request(
                "eth_getBlockByHash",
                self.provider
                    .get_block_by_hash(block.hash)
                    .full()
                    .into_future(),
            )
            .await?
            .ok_or_else(|| NodeError::L1(format!("L1 block {} is gone", block.hash)))?;
        let Some(txs) = full.transactions.as_transactions() else {
            return Err(NodeError::L1(
                "L1 returned a block without transaction bodies".into(),
            ));
        };
        let found: Vec<BatcherTx> = txs
            .iter()
            .filter(|tx| tx.inner.to() == Some(inbox) && tx.inner.signer() == batcher)
            .map(|tx| match tx.inner.blob_versioned_hashes() {
                Some(hashes) => BatcherTx::Blobs(hashes.to_vec()),
                None => BatcherTx::Calldata(tx.inner.input().clone()),
            })
            .collect();
        let hashes: Vec<B256> = found
            .iter()
            .flat_map(|tx| match tx {
                BatcherTx::Blobs(hashes) => hashes.as_slice(),
                BatcherTx::Calldata(_) => &[],
            })
            .copied()
            .collect();
        let mut blobs = if hashes.is_empty() {
            Vec::new()
        } else {
            self.blobs(block, &hashes).await?
        }
        .into_iter()
        .zip(hashes);
        let mut data = Vec::with_capacity(found.len());
        for tx in found {
            match tx {
                BatcherTx::Calldata(input) => data.push(input),
                BatcherTx::Blobs(hashes) => {
                    for (blob, hash) in blobs.by_ref().take(hashes.len()) {
                        match decode_blob(&blob) {
                            Ok(contents) => data.push(contents.into()),
                            Err(err) => {
                                warn!(target: "l1", l1 = block.number, blob = %hash, %err,
                                    "ignoring a batcher blob that does not decode")
                            }
                        }
                    }
                }
            }
        }
        Ok(data)
    }

    /// The blobs with versioned hashes `hashes` of `block`, from the beacon API.
    async fn blobs(&self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>> {
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

    /// The `ConfigUpdate`s the SystemConfig at `system_config` emitted in block `block_hash`,
    /// in log order. Malformed logs are skipped with a warning.
    pub async fn config_updates(
        &self,
        block_hash: B256,
        system_config: Address,
    ) -> Result<Vec<ConfigUpdate>> {
        self.updates_matching(Filter::new().at_block_hash(block_hash), system_config)
            .await
    }

    /// The `ConfigUpdate`s of L1 blocks `from..=to`, in order (the SystemConfig as of `to`
    /// is the genesis one with these applied, when `from` is the block after the anchor).
    pub async fn config_updates_range(
        &self,
        from: u64,
        to: u64,
        system_config: Address,
    ) -> Result<Vec<ConfigUpdate>> {
        if from > to {
            return Ok(Vec::new());
        }
        self.updates_matching(Filter::new().from_block(from).to_block(to), system_config)
            .await
    }

    async fn updates_matching(
        &self,
        blocks: Filter,
        system_config: Address,
    ) -> Result<Vec<ConfigUpdate>> {
        let filter = blocks
            .address(system_config)
            .event_signature(CONFIG_UPDATE_TOPIC);
        let logs = self
            .request("eth_getLogs", self.provider.get_logs(&filter))
            .await?;
        Ok(decode_updates(logs, system_config))
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

    /// The user deposits the Portal at `portal` emitted in block `block_hash`, in log order.
    /// Malformed logs are skipped with a warning: L1 data never stops the chain.
    pub async fn deposits(&self, block_hash: B256, portal: Address) -> Result<Vec<TxDeposit>> {
        let filter = Filter::new()
            .at_block_hash(block_hash)
            .address(portal)
            .event_signature(TRANSACTION_DEPOSITED_TOPIC);
        let mut logs = self
            .request("eth_getLogs", self.provider.get_logs(&filter))
            .await?;
        logs.sort_by_key(|log| log.log_index.unwrap_or_default());
        let mut deposits = Vec::with_capacity(logs.len());
        for log in logs {
            let index = log.log_index.unwrap_or_default();
            match decode_deposit_log(&log.inner, block_hash, index) {
                Ok(deposit) => deposits.push(deposit),
                Err(err) => {
                    warn!(target: "l1", block = %block_hash, log_index = index, %err, "skipping malformed deposit log")
                }
            }
        }
        Ok(deposits)
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

fn decode_updates(
    mut logs: Vec<alloy::rpc::types::Log>,
    system_config: Address,
) -> Vec<ConfigUpdate> {
    logs.sort_by_key(|log| (log.block_number, log.log_index));
    let mut updates = Vec::with_capacity(logs.len());
    for log in logs {
        match decode_config_update_log(&log.inner, system_config) {
            Ok(update) => updates.push(update),
            Err(err) => {
                warn!(target: "l1", block = ?log.block_number, log_index = ?log.log_index, %err, "skipping malformed ConfigUpdate log")
            }
        }
    }
    updates
}

/// The L1 client as derivation reads it: blocking calls, for a blocking thread.
#[derive(Debug)]
pub struct DerivationL1<'a>(pub &'a L1Client);

impl L1Provider for DerivationL1<'_> {
    type Error = NodeError;

    fn header_by_number(&mut self, number: u64) -> Result<Option<L1Header>> {
        self.0.handle.block_on(self.0.header(number))
    }

    fn batcher_data(
        &mut self,
        block: &L1BlockRef,
        inbox: Address,
        batcher: Address,
    ) -> Result<Vec<Bytes>> {
        self.0
            .handle
            .block_on(self.0.batcher_data(block, inbox, batcher))
    }

    fn deposits(&mut self, block: &L1BlockRef, portal: Address) -> Result<Vec<TxDeposit>> {
        self.0.handle.block_on(self.0.deposits(block.hash, portal))
    }

    fn config_updates(
        &mut self,
        block: &L1BlockRef,
        system_config: Address,
    ) -> Result<Vec<ConfigUpdate>> {
        self.0
            .handle
            .block_on(self.0.config_updates(block.hash, system_config))
    }
}
