#![doc = include_str!("../README.md")]

pub mod channel;
pub mod config;
pub mod driver;
pub mod error;
pub mod frame_tx;
pub mod l2;
pub mod metrics;
pub mod raw_block;

#[cfg(test)]
mod test_utils;

use std::{future::Future, sync::Arc};

use tracing::{error, info, warn};

pub use config::{BatcherConfig, DataAvailability};
pub use driver::{Batcher, Phase, RewindReason, StepReport};
pub use error::{BatcherError, Result};
pub use frame_tx::FrameTag;
pub use l2::{L2Source, RpcL2Source, SyncStatus};
pub use metrics::Metrics;
pub use raw_block::{L2Block, decode_raw_block};
pub use sprout_txmgr::{L1Chain, RpcL1};

/// Runs the batcher until `shutdown` completes.
///
/// Fails at once, before anything is sent, if the config cannot work (wrong batcher key, blobs,
/// sizes) or L1 is not the rollup's L1. After that, L1 and sequencer errors are logged and
/// retried every poll interval; only a channel-building error (a bug or an impossible block)
/// stops it.
pub async fn run(
    config: BatcherConfig,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    config.validate()?;
    let l1 = Arc::new(RpcL1::new(&config.l1_rpc_url)?);
    let chain_id = l1.chain_id().await?;
    if chain_id != config.rollup.l1_chain_id {
        return Err(BatcherError::Config(format!(
            "the L1 RPC serves chain {chain_id} but the rollup's L1 is chain {}: point the L1 RPC \
             URL at the rollup's L1",
            config.rollup.l1_chain_id
        )));
    }
    // The key must be the batcher the SystemConfig names now (it may have been rotated since
    // genesis); without a readable SystemConfig, the rollup's genesis batcher.
    let key = config.signer.address();
    let expected = current_batcher(&l1, config.rollup.l1_system_config_address)
        .await
        .unwrap_or(config.rollup.genesis.system_config.batcher_addr);
    if key != expected {
        return Err(BatcherError::WrongBatcherKey { key, expected });
    }
    let l2 = RpcL2Source::new(&config.l2_rpc_url)?;
    info!(target: "batcher", address = %config.signer.address(), inbox = %config.rollup.batch_inbox_address,
        max_frame_size = config.max_frame_size, "batcher starting");
    let batcher = Batcher::new(l1, l2, &config, metrics);
    run_batcher(batcher, config.poll_interval, shutdown).await
}

/// The batcher the SystemConfig at `system_config` names now (`batcherHash()`), or `None` if
/// no SystemConfig answers there.
async fn current_batcher(
    l1: &RpcL1,
    system_config: alloy_primitives::Address,
) -> Option<alloy_primitives::Address> {
    let selector = alloy_primitives::keccak256("batcherHash()");
    let word = l1
        .call(system_config, selector[..4].to_vec().into())
        .await
        .ok()?;
    (word.len() == 32 && word[..12].iter().all(|b| *b == 0))
        .then(|| alloy_primitives::Address::from_slice(&word[12..]))
}

/// Runs `batcher` (over any L1 and sequencer) a round every `poll_interval` until `shutdown`
/// completes. L1 and sequencer errors are logged and retried; a channel-building error stops it.
pub async fn run_batcher<L1: L1Chain, L2: L2Source>(
    mut batcher: Batcher<L1, L2>,
    poll_interval: std::time::Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            result = batcher.step() => match result {
                Ok(_) => {}
                Err(err @ BatcherError::Channel(_)) => {
                    error!(target: "batcher", %err, "cannot build a channel: stopping");
                    return Err(err);
                }
                Err(err) => warn!(target: "batcher", %err, "batcher round failed; retrying"),
            },
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(poll_interval) => {}
        }
    }
    info!(target: "batcher", "batcher stopped");
    Ok(())
}
