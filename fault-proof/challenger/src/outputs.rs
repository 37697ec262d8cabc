//! Our node's output roots over its JSON-RPC, for the solver (which asks synchronously).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use alloy::{
    primitives::B256,
    providers::{DynProvider, Provider, ProviderBuilder},
};
use serde::Deserialize;

use crate::{ChallengerError, OutputSource, Result};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutputAtBlock {
    output_root: B256,
}

#[derive(Debug, Deserialize)]
struct SyncStatus {
    safe_l2: L2Ref,
}

#[derive(Debug, Deserialize)]
struct L2Ref {
    number: u64,
}

/// The node's safe output roots (`optimism_outputAtBlock`), cached for one round. A block past
/// the node's safe head has no output yet: the solver gets an error and the game waits.
#[derive(Clone, Debug)]
pub struct NodeOutputs {
    provider: DynProvider,
    state: Arc<Mutex<OutputsState>>,
}

#[derive(Debug, Default)]
struct OutputsState {
    safe: u64,
    cache: HashMap<u64, B256>,
}

impl NodeOutputs {
    /// Outputs from the node at `url` (HTTP).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = url
            .parse()
            .map_err(|e| ChallengerError::Config(format!("L2 RPC URL {url:?}: {e}")))?;
        Ok(Self {
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
            state: Arc::default(),
        })
    }

    /// The node's chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        self.provider
            .get_chain_id()
            .await
            .map_err(|e| ChallengerError::L2(format!("eth_chainId: {e}")))
    }

    /// Reads the node's safe head and forgets cached outputs (an L1 reorg may have changed
    /// them). Returns the safe head.
    pub async fn refresh(&self) -> Result<u64> {
        let status: SyncStatus = self
            .provider
            .raw_request("optimism_syncStatus".into(), ())
            .await
            .map_err(|e| ChallengerError::L2(format!("optimism_syncStatus: {e}")))?;
        let mut state = self.lock();
        state.safe = status.safe_l2.number;
        state.cache.clear();
        Ok(state.safe)
    }

    /// The output root of safe block `block`.
    pub async fn output(&self, block: u64) -> Result<B256> {
        {
            let state = self.lock();
            if block > state.safe {
                return Err(ChallengerError::Trace(format!(
                    "our node has not derived block {block} from L1 yet (safe head {})",
                    state.safe
                )));
            }
            if let Some(root) = state.cache.get(&block) {
                return Ok(*root);
            }
        }
        let out: OutputAtBlock = self
            .provider
            .raw_request("optimism_outputAtBlock".into(), (format!("{block:#x}"),))
            .await
            .map_err(|e| ChallengerError::L2(format!("optimism_outputAtBlock({block}): {e}")))?;
        self.lock().cache.insert(block, out.output_root);
        Ok(out.output_root)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutputsState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl OutputSource for NodeOutputs {
    /// Blocks on the async read: call it from a blocking section (`block_in_place`).
    fn output_root(&mut self, block: u64) -> Result<B256, String> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| "output roots are read inside a tokio runtime".to_string())?;
        handle
            .block_on(self.output(block))
            .map_err(|e| e.to_string())
    }
}
