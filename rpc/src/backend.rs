//! What the server needs from the node: [`RpcBackend`]. The node implements it over its chain
//! (storage, pool, heads and, on a rollup, L1); the server only reads through it and submits
//! transactions to it.

use std::sync::Arc;

use alloy_consensus::Header;
use alloy_primitives::B256;
use sprout_protocol::{ChainConfig, l1_info::L1BlockRef, rollup::RollupConfig};
use sprout_sequencer::{PoolTx, TxPool};
use sprout_storage::{NewBlock, Storage};
use tokio::sync::broadcast;

use crate::RpcResult;

/// A rollup node's side of the backend; a dev chain has none.
#[derive(Debug, Clone, Copy)]
pub struct RollupView<'a> {
    /// The rollup config (`optimism_rollupConfig`).
    pub config: &'a RollupConfig,
    /// Whether this node builds blocks. A node that does not forwards
    /// `eth_sendRawTransaction` to [`RollupView::sequencer_http`].
    pub sequencing: bool,
    /// The sequencer's RPC, where a follower forwards transactions.
    pub sequencer_http: Option<&'a str>,
}

/// The chain as the RPC server sees it.
pub trait RpcBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The database: blocks, receipts, state.
    fn storage(&self) -> &Storage;
    /// The chain's config.
    fn config(&self) -> &ChainConfig;
    /// The transaction pool.
    fn pool(&self) -> &TxPool<PoolTx>;
    /// The head (`latest`) and its hash.
    fn head(&self) -> (Header, B256);
    /// The `safe` block and its hash (the head on a dev chain).
    fn safe_head(&self) -> RpcResult<(Header, B256)>;
    /// The `finalized` block and its hash (the head on a dev chain).
    fn finalized_head(&self) -> RpcResult<(Header, B256)>;
    /// The base fee of the next block.
    fn next_base_fee(&self) -> u64;
    /// Every block made the head from now on.
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<NewBlock>>;
    /// The hash of every transaction the pool admits from now on.
    fn subscribe_pending(&self) -> broadcast::Receiver<B256>;
    /// Admits a raw transaction to the pool; the error is geth's message.
    fn submit_raw(&self, raw: &[u8]) -> Result<B256, String>;
    /// The rollup side, `None` on a dev chain.
    fn rollup(&self) -> Option<RollupView<'_>>;
    /// The L1 origin of an L2 block (number, hash) and its sequence number in that epoch, from
    /// its L1-info deposit. Only called on a rollup.
    fn l1_origin(&self, header: &Header, hash: B256) -> RpcResult<(u64, B256, u64)>;
    /// The L1 block derivation has read up to (OP's `current_l1`), once it has read one.
    fn derivation_l1(&self) -> Option<L1BlockRef>;
    /// L1 block `number`, read from L1; `None` when L1 does not have it or cannot be reached.
    /// Blocking: call it from a blocking method.
    fn l1_block(&self, number: u64) -> Option<L1BlockRef>;
    /// The L1 head, read from L1; `None` when L1 cannot be reached. Blocking.
    fn l1_head(&self) -> Option<L1BlockRef>;
}
