//! The chain as the RPC server reads it: [`RpcBackend`] for [`Chain`].

use std::sync::Arc;

use alloy_consensus::Header;
use alloy_primitives::B256;
use sprout_protocol::{ChainConfig, l1_info::L1BlockRef};
use sprout_rpc::{RollupView, RpcBackend, RpcError, RpcResult};
use sprout_sequencer::{PoolTx, TxPool};
use sprout_storage::{NewBlock, Storage};
use tokio::sync::broadcast;

use crate::{Chain, NodeError};

/// A node error as an RPC client sees it: storage's own mapping (a pruned state is geth's
/// -32000), anything else internal.
pub fn rpc_error(err: NodeError) -> RpcError {
    match err {
        NodeError::Storage(err) => err.into(),
        err => RpcError::internal(err),
    }
}

impl RpcBackend for Chain {
    fn storage(&self) -> &Storage {
        Chain::storage(self)
    }
    fn config(&self) -> &ChainConfig {
        Chain::config(self)
    }
    fn pool(&self) -> &TxPool<PoolTx> {
        Chain::pool(self)
    }
    fn head(&self) -> (Header, B256) {
        Chain::head(self)
    }
    fn safe_head(&self) -> RpcResult<(Header, B256)> {
        Chain::safe_head(self).map_err(rpc_error)
    }
    fn finalized_head(&self) -> RpcResult<(Header, B256)> {
        Chain::finalized_head(self).map_err(rpc_error)
    }
    fn next_base_fee(&self) -> u64 {
        Chain::next_base_fee(self)
    }
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<NewBlock>> {
        Chain::subscribe_blocks(self)
    }
    fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        Chain::subscribe_pending(self)
    }
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, String> {
        Chain::submit_raw(self, raw)
    }
    fn rollup(&self) -> Option<RollupView<'_>> {
        Chain::rollup(self).map(|rollup| RollupView {
            config: &rollup.config,
            sequencing: rollup.sequencing,
            sequencer_http: rollup.sequencer_http.as_deref(),
        })
    }
    fn l1_origin(&self, header: &Header, hash: B256) -> RpcResult<(u64, B256, u64)> {
        let rollup = Chain::rollup(self)
            .ok_or_else(|| RpcError::Server("this node runs a dev chain, not a rollup".into()))?;
        rollup
            .l1_origin(Chain::storage(self), header, hash)
            .map_err(rpc_error)
    }
    fn derivation_l1(&self) -> Option<L1BlockRef> {
        Chain::derivation_l1(self)
    }
    fn l1_block(&self, number: u64) -> Option<L1BlockRef> {
        let rollup = Chain::rollup(self)?;
        let header = tokio::runtime::Handle::current().block_on(rollup.l1.header(number));
        header.ok().flatten().map(|header| header.block)
    }
    fn l1_head(&self) -> Option<L1BlockRef> {
        let rollup = Chain::rollup(self)?;
        tokio::runtime::Handle::current()
            .block_on(rollup.l1.head_ref())
            .ok()
    }
}
