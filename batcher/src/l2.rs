//! The batcher's view of the sequencer: its sync status and its unsafe blocks, behind
//! [`L2Source`], implemented over JSON-RPC by [`RpcL2Source`].

use std::{future::Future, time::Duration};

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy_primitives::B256;
use serde::Deserialize;

use crate::{
    BatcherError, Result,
    raw_block::{L2Block, decode_raw_block},
};

/// An L1 block as `optimism_syncStatus` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Ref {
    /// Hash.
    pub hash: B256,
    /// Number.
    pub number: u64,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
}

/// An L1 origin (epoch) by hash and number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EpochId {
    /// Hash.
    pub hash: B256,
    /// Number.
    pub number: u64,
}

/// An L2 block as `optimism_syncStatus` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2Ref {
    /// Hash.
    pub hash: B256,
    /// Number.
    pub number: u64,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Its L1 origin.
    #[serde(rename = "l1origin")]
    pub l1_origin: EpochId,
    /// Position within its epoch.
    pub sequence_number: u64,
}

/// The sequencer's heads (`optimism_syncStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SyncStatus {
    /// The L1 block derivation has processed up to, if any.
    pub current_l1: Option<L1Ref>,
    /// The L1 head the sequencer sees, if any.
    pub head_l1: Option<L1Ref>,
    /// The newest sequenced block.
    pub unsafe_l2: L2Ref,
    /// The newest block derived from L1 data.
    pub safe_l2: L2Ref,
    /// The newest block derived from finalized L1 data.
    pub finalized_l2: L2Ref,
}

/// What the batcher reads from the sequencer.
pub trait L2Source: Send + Sync {
    /// The sequencer's heads.
    fn sync_status(&self) -> impl Future<Output = Result<SyncStatus>> + Send;
    /// Unsafe block `number`, or `None` if the sequencer does not have it.
    fn block(&self, number: u64) -> impl Future<Output = Result<Option<L2Block>>> + Send;
}

/// [`L2Source`] over the sequencer's JSON-RPC (`optimism_syncStatus`, `debug_getRawBlock`).
#[derive(Clone, Debug)]
pub struct RpcL2Source {
    provider: DynProvider,
}

impl RpcL2Source {
    /// Connects to `url` (HTTP).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = url
            .parse()
            .map_err(|e| BatcherError::Config(format!("L2 RPC URL {url:?} is not a URL: {e}")))?;
        Ok(Self {
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
        })
    }
}

/// How long one sequencer request may take.
pub const L2_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

async fn request<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(L2_REQUEST_TIMEOUT, fut).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(BatcherError::L2(format!("{what}: {err}"))),
        Err(_) => Err(BatcherError::L2(format!(
            "{what}: no answer within {L2_REQUEST_TIMEOUT:?}"
        ))),
    }
}

impl L2Source for RpcL2Source {
    async fn sync_status(&self) -> Result<SyncStatus> {
        request(
            "optimism_syncStatus",
            self.provider.raw_request("optimism_syncStatus".into(), ()),
        )
        .await
    }

    async fn block(&self, number: u64) -> Result<Option<L2Block>> {
        let raw: Option<alloy_primitives::Bytes> = request(
            &format!("debug_getRawBlock({number})"),
            self.provider
                .raw_request("debug_getRawBlock".into(), (format!("{number:#x}"),)),
        )
        .await?;
        let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
            return Ok(None);
        };
        let block =
            decode_raw_block(&raw).map_err(|reason| BatcherError::RawBlock { number, reason })?;
        if block.number != number {
            return Err(BatcherError::RawBlock {
                number,
                reason: format!("the sequencer answered with block {}", block.number),
            });
        }
        Ok(Some(block))
    }
}
