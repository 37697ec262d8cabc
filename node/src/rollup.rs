//! Rollup mode of the sequencer: every L2 block names an L1 origin, starts with the L1-info
//! deposit and (on a new epoch) the origin's user deposits, and charges L1 data fees.

use alloy_consensus::Header;
use alloy_primitives::B256;
use sprout_protocol::{
    BlockEnvInputs, ChainConfig, RecoveredTx,
    executor::RollupFees,
    l1_block::L1Addresses,
    l1_info::{L1BlockInfo, L1BlockRef},
    rollup::{GenesisSystemConfig, RollupConfig},
    tx::SproutTx,
};
use sprout_sequencer::origin::{OriginConfig, OriginError, OriginSelector};
use sprout_storage::Storage;
use tracing::{info, warn};

use crate::{
    NodeError, Result,
    l1::{L1Client, L1Header},
    l1_prefetch::PrefetchConfig,
};

pub use sprout_protocol::derive::{BASE_FEE_VAULT, L1_FEE_VAULT};
use sprout_protocol::derive::{rollup_block_inputs, rollup_fees};

/// What the sequencer needs to anchor blocks to L1.
#[derive(Debug)]
pub struct RollupMode {
    /// The rollup config.
    pub config: RollupConfig,
    /// The L1 client.
    pub l1: L1Client,
    /// Origin selection.
    pub selector: OriginSelector,
    /// The last origin header read from L1, for blocks built while L1 is unreachable.
    last_origin: parking_lot::Mutex<Option<L1Header>>,
    /// Whether this node sequences (builds blocks) or only follows L1.
    pub sequencing: bool,
    /// Where a follower forwards `eth_sendRawTransaction` (the sequencer's RPC).
    pub sequencer_http: Option<String>,
    /// How derivation reads L1 ahead of itself.
    pub l1_prefetch: PrefetchConfig,
}

/// How the next rollup block starts.
#[derive(Debug)]
pub struct BlockPlan {
    /// Block inputs (timestamp, fees, randomness from the origin).
    pub inputs: BlockEnvInputs,
    /// The L1-info deposit, then the epoch's user deposits.
    pub deposits: Vec<RecoveredTx>,
    /// Fees the block charges.
    pub fees: RollupFees,
    /// Whether pool transactions may follow (false past the sequencer drift).
    pub allow_user_txs: bool,
}

impl RollupMode {
    /// A sequencing rollup mode over `l1` confirming origins `confirmations` deep.
    pub fn new(config: RollupConfig, l1: L1Client, confirmations: u64) -> Self {
        let selector = OriginSelector::new(OriginConfig {
            confirmations,
            max_sequencer_drift: config.max_sequencer_drift,
        });
        Self {
            config,
            l1,
            selector,
            last_origin: parking_lot::Mutex::new(None),
            sequencing: true,
            sequencer_http: None,
            l1_prefetch: PrefetchConfig::default(),
        }
    }

    /// A follower: derives the chain from L1 and builds no blocks of its own; transactions go to
    /// `sequencer_http` if given.
    pub fn follower(config: RollupConfig, l1: L1Client, sequencer_http: Option<String>) -> Self {
        Self {
            sequencing: false,
            sequencer_http,
            ..Self::new(config, l1, 0)
        }
    }

    /// The L1 block (number, hash) and sequence number an L2 block names, from its L1-info
    /// deposit (genesis: the rollup config's anchor). Reads only local data.
    pub fn l1_origin(
        &self,
        storage: &Storage,
        header: &Header,
        hash: B256,
    ) -> Result<(u64, B256, u64)> {
        if header.number == 0 {
            return Ok((
                self.config.genesis.l1.number,
                self.config.genesis.l1.hash,
                0,
            ));
        }
        let body = storage.body(&hash)?.ok_or(NodeError::UnknownBlock(hash))?;
        let Some(SproutTx::Deposit(deposit)) = body.transaction(0)? else {
            return Err(NodeError::Corrupt(format!(
                "block {hash} does not start with the L1-info deposit"
            )));
        };
        let info = L1BlockInfo::from_ecotone_calldata(&deposit.input)?;
        Ok((info.number, info.hash, info.sequence_number))
    }

    /// The L1 origin (and its sequence number) of an L2 block, read from its L1-info deposit.
    fn origin_of(
        &self,
        storage: &Storage,
        header: &Header,
        hash: B256,
    ) -> Result<(L1BlockRef, u64, GenesisSystemConfig)> {
        if header.number == 0 {
            let anchor = self.config.genesis.l1;
            let l1 = self.l1.clone();
            let l1_header = tokio::runtime::Handle::current()
                .block_on(l1.header(anchor.number))?
                .ok_or_else(|| {
                    NodeError::L1(format!("genesis L1 block {} is missing", anchor.number))
                })?;
            if l1_header.block.hash != anchor.hash {
                return Err(NodeError::Config(format!(
                    "the L1 block {} is {}, but the rollup config anchors genesis to {}: wrong --l1.rpc-url?",
                    anchor.number, l1_header.block.hash, anchor.hash
                )));
            }
            return Ok((l1_header.block, 0, self.config.genesis.system_config));
        }
        let body = storage.body(&hash)?.ok_or(NodeError::UnknownBlock(hash))?;
        let first = body
            .transaction(0)?
            .ok_or_else(|| NodeError::Corrupt(format!("block {hash} has no L1-info deposit")))?;
        let SproutTx::Deposit(deposit) = first else {
            return Err(NodeError::Corrupt(format!(
                "block {hash} does not start with a deposit"
            )));
        };
        let info = L1BlockInfo::from_ecotone_calldata(&deposit.input)?;
        Ok((
            L1BlockRef {
                number: info.number,
                hash: info.hash,
                parent_hash: B256::ZERO,
                timestamp: info.timestamp,
            },
            info.sequence_number,
            info.system_config(header.gas_limit),
        ))
    }

    /// The newest block at or below `head` whose L1 origin is still canonical on L1: where the
    /// unsafe chain goes back to after an L1 reorg. Blocks of one epoch share an origin, so L1
    /// is asked once per epoch. Blocking (L1 requests).
    pub fn canonical_ancestor(
        &self,
        storage: &Storage,
        head: &Header,
        head_hash: B256,
    ) -> Result<u64> {
        let handle = tokio::runtime::Handle::current();
        let (mut header, mut hash) = (head.clone(), head_hash);
        let mut checked: Option<(u64, B256, bool)> = None;
        loop {
            let (number, origin_hash, _) = self.l1_origin(storage, &header, hash)?;
            let canonical = match checked {
                Some((n, h, canonical)) if n == number && h == origin_hash => canonical,
                _ => {
                    let l1 = handle.block_on(self.l1.header(number))?;
                    let canonical = l1.is_some_and(|h| h.block.hash == origin_hash);
                    checked = Some((number, origin_hash, canonical));
                    canonical
                }
            };
            if canonical {
                return Ok(header.number);
            }
            if header.number == 0 {
                return Err(NodeError::Config(format!(
                    "the rollup's genesis L1 block {number} ({origin_hash}) is no longer on L1: wrong --l1.rpc-url, or L1 reorged below the rollup's anchor"
                )));
            }
            hash = header.parent_hash;
            header = storage
                .header(&hash)?
                .ok_or(NodeError::UnknownBlock(hash))?;
        }
    }

    /// Plans the block after `parent`. Blocking (L1 requests): call from a blocking thread.
    pub fn plan(
        &self,
        storage: &Storage,
        chain: &ChainConfig,
        parent: &Header,
        parent_hash: B256,
    ) -> Result<BlockPlan> {
        let (parent_origin, parent_seq, parent_system) =
            self.origin_of(storage, parent, parent_hash)?;
        let timestamp = parent.timestamp + self.config.block_time;
        let decision = self
            .selector
            .select(parent_origin, timestamp, &self.l1)
            .map_err(|err| match err {
                OriginError::Reorged { number, hash } => NodeError::OriginReorged { number, hash },
            })?;
        if !decision.l1_reachable {
            warn!(target: "sequencer", origin = decision.origin.number, "L1 unreachable; keeping the current origin");
        }
        let handle = tokio::runtime::Handle::current();
        let cached = *self.last_origin.lock();
        let origin = match cached.filter(|h| h.block.hash == decision.origin.hash) {
            Some(header) => Some(header),
            None => handle
                .block_on(self.l1.header(decision.origin.number))
                .ok()
                .flatten()
                .filter(|h| h.block.hash == decision.origin.hash),
        };
        let Some(origin) = origin else {
            return Err(NodeError::L1(format!(
                "cannot read the header of L1 origin {}",
                decision.origin.number
            )));
        };
        *self.last_origin.lock() = Some(origin);
        let sequence_number = if decision.new_epoch {
            0
        } else {
            parent_seq + 1
        };
        // The parent's SystemConfig, plus the new epoch's own ConfigUpdates (as derivation),
        // both read from the origin's verified receipts.
        let mut system = parent_system;
        let block = if decision.new_epoch {
            let addresses = L1Addresses::from_rollup_config(&self.config);
            Some(handle.block_on(self.l1.verified_block(origin.block.hash, &addresses))?)
        } else {
            None
        };
        if let Some(block) = &block {
            for update in block.config_updates() {
                info!(target: "sequencer", epoch = origin.block.number, ?update, "SystemConfig update");
                system.apply(update);
            }
        }
        let info = L1BlockInfo::for_origin(&origin, sequence_number, &system);
        let mut deposits = vec![SproutTx::Deposit(info.deposit()).recover()?];
        if let Some(block) = &block {
            let user = block.deposits();
            if !user.is_empty() {
                info!(target: "sequencer", epoch = origin.block.number, deposits = user.len(), "including deposits");
            }
            for deposit in user {
                deposits.push(SproutTx::Deposit(deposit.clone()).recover()?);
            }
        }
        Ok(BlockPlan {
            inputs: rollup_block_inputs(chain, parent, timestamp, &origin, system.gas_limit),
            deposits,
            fees: rollup_fees(info),
            allow_user_txs: decision.allow_user_txs,
        })
    }
}
