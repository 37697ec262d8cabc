//! What the proposer reads from an L2 node: its safe and finalized heads
//! (`optimism_syncStatus`) and output roots (`optimism_outputAtBlock`).

use std::time::Duration;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy_primitives::{B256, U64};
use serde::Deserialize;
use sprout_protocol::output::output_root_v0;

use crate::{ProposerError, Result};

/// How long one L2 request may take.
const L2_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The heads the proposer cares about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heads {
    /// The newest block derived from L1 data.
    pub safe: u64,
    /// The newest block derived from finalized L1 data.
    pub finalized: u64,
}

/// An output root with the parts it commits to, as the node reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    /// The L2 block.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// `keccak256(version ++ state root ++ message-passer storage root ++ block hash)`.
    pub output_root: B256,
}

#[derive(Debug, Deserialize)]
struct BlockRef {
    number: U64OrNumber,
    #[serde(default)]
    hash: B256,
    #[serde(default)]
    timestamp: Option<U64OrNumber>,
}

/// A block number as a JSON number or a hex string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum U64OrNumber {
    Number(u64),
    Hex(U64),
}

impl U64OrNumber {
    fn get(&self) -> u64 {
        match self {
            Self::Number(n) => *n,
            Self::Hex(n) => n.to(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct SyncStatusWire {
    safe_l2: BlockRef,
    finalized_l2: BlockRef,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutputWire {
    version: B256,
    output_root: B256,
    block_ref: BlockRef,
    withdrawal_storage_root: B256,
    state_root: B256,
}

/// An L2 node over JSON-RPC.
#[derive(Clone, Debug)]
pub struct L2Node {
    url: String,
    provider: DynProvider,
}

impl L2Node {
    /// Connects to `url` (HTTP).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = url
            .parse()
            .map_err(|e| ProposerError::Config(format!("L2 RPC URL {url:?} is not a URL: {e}")))?;
        Ok(Self {
            url: url.to_owned(),
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn fail(&self, reason: impl std::fmt::Display) -> ProposerError {
        ProposerError::L2 {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }

    async fn request<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<T> {
        let call = self
            .provider
            .raw_request::<_, serde_json::Value>(method.into(), params);
        match tokio::time::timeout(L2_REQUEST_TIMEOUT, call).await {
            Ok(Ok(value)) => serde_json::from_value(value)
                .map_err(|e| self.fail(format!("{method}: unexpected answer: {e}"))),
            Ok(Err(err)) => Err(self.fail(format!("{method}: {err}"))),
            Err(_) => Err(self.fail(format!("{method}: no answer within {L2_REQUEST_TIMEOUT:?}"))),
        }
    }

    /// The node's chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        let id: U64 = self.request("eth_chainId", serde_json::json!([])).await?;
        Ok(id.to())
    }

    /// The node's safe and finalized heads.
    pub async fn heads(&self) -> Result<Heads> {
        let status: SyncStatusWire = self
            .request("optimism_syncStatus", serde_json::json!([]))
            .await?;
        Ok(Heads {
            safe: status.safe_l2.number.get(),
            finalized: status.finalized_l2.number.get(),
        })
    }

    /// The output root of L2 block `number`, checked against the parts the node reports with
    /// it (a node that answers a root its parts do not hash to is refused).
    pub async fn output_at(&self, number: u64) -> Result<Output> {
        let wire: OutputWire = self
            .request(
                "optimism_outputAtBlock",
                serde_json::json!([format!("{number:#x}")]),
            )
            .await?;
        let block_number = wire.block_ref.number.get();
        if block_number != number {
            return Err(self.fail(format!(
                "optimism_outputAtBlock({number}) answered block {block_number}"
            )));
        }
        if wire.version != B256::ZERO {
            return Err(self.fail(format!("unknown output version {}", wire.version)));
        }
        let expected = output_root_v0(
            wire.state_root,
            wire.withdrawal_storage_root,
            wire.block_ref.hash,
        );
        if expected != wire.output_root {
            return Err(self.fail(format!(
                "output root {} of block {number} is not the hash of its parts ({expected})",
                wire.output_root
            )));
        }
        Ok(Output {
            block_number,
            block_hash: wire.block_ref.hash,
            timestamp: wire
                .block_ref
                .timestamp
                .as_ref()
                .map_or(0, U64OrNumber::get),
            output_root: wire.output_root,
        })
    }
}
