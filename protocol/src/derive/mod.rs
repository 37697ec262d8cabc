//! Derivation: rebuilding the L2 chain from L1 data alone.
//!
//! The [`Pipeline`] walks L1 block by block (traversal), reads the batcher's transactions to the
//! batch inbox (retrieval), assembles their frames into channels
//! ([`ChannelAssembler`](crate::batch::ChannelAssembler), Holocene's strict order), reads the
//! channels' batches, checks each batch against the safe head and L1, and turns the next valid
//! one into [`PayloadAttributes`]: the L1-info deposit, the epoch's user deposits, then the
//! batch's transactions. The driver (the node, or the fault-proof program) executes them with
//! the same [`Executor`](crate::Executor) the sequencer uses and reports the new safe block
//! back with [`Pipeline::on_safe`].
//!
//! If no valid batch fills the next slot within the sequencing window of the safe head's epoch,
//! the pipeline makes a deposit-only block itself, so deposits are never withheld for long.
//!
//! It reads L1 through the [`L1Provider`] trait, block contents only as
//! [`VerifiedL1Block`]s (checked against their hash, [`crate::l1_block`]), and never blocks or allocates without bound on
//! L1's say: hostile batcher data is dropped with a reason, and only the [`DeriveError`] kinds
//! tell the driver what to do (retry, reset, stop).
//!
//! ## Batch rules
//!
//! With `S` the safe head and `next = S.timestamp + block_time`, a batch included in L1 block
//! `inclusion` is accepted only if all of these hold. Else it is dropped (see [`BatchDrop`]),
//! and, as Holocene does, so is the rest of its channel, unless it was merely a block already
//! derived (a resubmission):
//! - `timestamp == next` (earlier: a replay of a derived block; later: out of order, which
//!   Holocene drops rather than buffers);
//! - `parent_hash == S.hash`;
//! - `epoch_num` is `S`'s origin or the one after, no later than `inclusion`, and
//!   `epoch_num + seq_window_size >= inclusion`;
//! - `epoch_hash` is the canonical hash of L1 block `epoch_num`;
//! - `timestamp >= ` the epoch's timestamp;
//! - past the max sequencer drift (`timestamp > epoch time + drift`) the batch has no
//!   transactions, and the next epoch, if L1 has it, is not yet due (`timestamp <` its time);
//! - no transaction is empty or a deposit.
//!
//! ## SystemConfig
//!
//! The batcher whose transactions count, and the fee scalars in the L1-info deposit, follow the
//! SystemConfig's `ConfigUpdate` events ([`crate::system_config`]): an update in L1 block `N`
//! applies to `N`'s own batcher data and to every L2 block whose origin is `N` or later.
//!
//! ## Forced (deposit-only) blocks
//!
//! Once the traversal reaches `S.origin + seq_window_size` with no valid batch for `next`, the
//! pipeline builds a block without a batch: in `S`'s epoch while `next` is before the next
//! epoch's timestamp, else in the next epoch, once that epoch's window has expired too. These
//! are OP's rules for empty batches.

mod execute;
mod pipeline;
#[cfg(test)]
mod tests;

use alloc::{string::String, vec::Vec};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, address};

use crate::{
    BlockEnvInputs, ChainConfig, SproutTx, TxDeposit,
    executor::RollupFees,
    l1_block::VerifiedL1Block,
    l1_info::{L1BlockInfo, L1BlockRef},
    rollup::{BlockId, GenesisSystemConfig},
};

pub use execute::{execute_derived, recover_transactions};
pub use pipeline::{BatchDrop, Pipeline, ResumePoint, Step};

/// The BaseFeeVault predeploy: where base fees go.
pub const BASE_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000019");
/// The L1FeeVault predeploy: where L1 data fees go.
pub const L1_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001A");

/// What derivation and the sequencer need from an L1 block's header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1Header {
    /// Identity and timestamp.
    pub block: L1BlockRef,
    /// Base fee.
    pub base_fee: U256,
    /// Blob base fee (1 wei before Cancun).
    pub blob_base_fee: U256,
    /// `prevrandao` (mix hash).
    pub mix_hash: B256,
    /// EIP-4788 parent beacon block root, if L1 has one.
    pub parent_beacon_block_root: Option<B256>,
}

/// Read access to L1, implemented by the node over JSON-RPC and by the fault-proof program over
/// its preimage oracle. Block contents reach derivation only as [`VerifiedL1Block`]s, which
/// only [`VerifiedL1Block::verify`] makes: whatever the source, the header, transactions and
/// receipts were checked against the block hash, and batcher senders recovered locally.
pub trait L1Provider {
    /// The provider's failure (an RPC error, say, or data that failed verification):
    /// derivation retries later.
    type Error: core::fmt::Display;

    /// The canonical L1 header at `number`, or `None` if L1 has no such block yet. The
    /// implementation checks the header against its hash
    /// ([`verify_header`](crate::l1_block::verify_header)).
    fn header_by_number(&mut self, number: u64) -> Result<Option<L1Header>, Self::Error>;

    /// Block `block` (by hash), verified with [`VerifiedL1Block::verify`] at the rollup's
    /// [`L1Addresses`](crate::l1_block::L1Addresses).
    fn block(&mut self, block: &L1BlockRef) -> Result<VerifiedL1Block, Self::Error>;

    /// The blobs of `block` with versioned hashes `hashes`, in that order, each checked
    /// against its versioned hash (KZG commitment).
    fn blobs(&mut self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>, Self::Error>;
}

/// Why derivation stopped, by what the driver must do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// L1 could not be read: try the same step again later.
    #[error("temporary: {0}")]
    Temporary(String),
    /// L1 reorged under the pipeline: reset it to a safe point and derive again from there.
    #[error("reset: {0}")]
    Reset(String),
    /// Derivation cannot go on (a broken invariant, or data the rules cannot handle).
    #[error("critical: {0}")]
    Critical(String),
}

/// An L2 block as derivation tracks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L2BlockInfo {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Its L1 origin (epoch).
    pub origin: BlockId,
    /// Its position in the epoch (0 for the first block).
    pub sequence_number: u64,
    /// The SystemConfig values it was built under: batcher and fee scalars from its L1-info
    /// deposit, gas limit from its header.
    pub system: GenesisSystemConfig,
}

impl L2BlockInfo {
    /// An L2 block's info from its header and its L1-info deposit (genesis: the rollup's
    /// anchor).
    pub fn from_block(
        header: &Header,
        hash: B256,
        first_tx: Option<&SproutTx>,
        genesis: &crate::rollup::RollupGenesis,
    ) -> crate::Result<Self> {
        let (origin, sequence_number, system) = if header.number == 0 {
            (genesis.l1, 0, genesis.system_config)
        } else {
            let Some(SproutTx::Deposit(deposit)) = first_tx else {
                return Err(crate::ProtocolError::InvalidBlock(alloc::format!(
                    "block {} does not start with the L1-info deposit",
                    header.number
                )));
            };
            let info = L1BlockInfo::from_ecotone_calldata(&deposit.input)?;
            (
                BlockId {
                    hash: info.hash,
                    number: info.number,
                },
                info.sequence_number,
                info.system_config(header.gas_limit),
            )
        };
        Ok(Self {
            number: header.number,
            hash,
            timestamp: header.timestamp,
            origin,
            sequence_number,
            system,
        })
    }
}

impl L1BlockInfo {
    /// The SystemConfig values these L1-info values carry (the gas limit is not among them).
    pub fn system_config(&self, gas_limit: u64) -> GenesisSystemConfig {
        GenesisSystemConfig {
            batcher_addr: Address::from_slice(&self.batcher_hash[12..]),
            base_fee_scalar: self.base_fee_scalar,
            blob_base_fee_scalar: self.blob_base_fee_scalar,
            gas_limit,
        }
    }

    /// The L1-info values of an L2 block with origin `origin`, at `sequence_number` in the
    /// epoch, under the SystemConfig values `system`.
    pub fn for_origin(
        origin: &L1Header,
        sequence_number: u64,
        system: &GenesisSystemConfig,
    ) -> Self {
        Self {
            number: origin.block.number,
            timestamp: origin.block.timestamp,
            base_fee: origin.base_fee,
            hash: origin.block.hash,
            sequence_number,
            batcher_hash: B256::left_padding_from(system.batcher_addr.as_slice()),
            blob_base_fee: origin.blob_base_fee,
            base_fee_scalar: system.base_fee_scalar,
            blob_base_fee_scalar: system.blob_base_fee_scalar,
        }
    }
}

/// The execution inputs of a rollup block after `parent` at `timestamp` with L1 origin
/// `origin`, under the SystemConfig gas limit `gas_limit` (as of the origin, as in OP): what the
/// sequencer and derivation both build blocks from, so that they agree.
pub fn rollup_block_inputs(
    chain: &ChainConfig,
    parent: &Header,
    timestamp: u64,
    origin: &L1Header,
    gas_limit: u64,
) -> BlockEnvInputs {
    BlockEnvInputs {
        beneficiary: chain.fee_recipient,
        timestamp,
        gas_limit,
        base_fee: chain.next_base_fee(parent),
        prev_randao: origin.mix_hash,
        extra_data: Default::default(),
        parent_beacon_block_root: Some(origin.parent_beacon_block_root.unwrap_or_default()),
        withdrawals: Some(Vec::new()),
    }
}

/// The fees a rollup block charges, with L1-info values `l1_info`.
pub fn rollup_fees(l1_info: L1BlockInfo) -> RollupFees {
    RollupFees {
        l1_info,
        base_fee_vault: BASE_FEE_VAULT,
        l1_fee_vault: L1_FEE_VAULT,
    }
}

/// Everything needed to build the next safe block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadAttributes {
    /// The safe block it builds on.
    pub parent: L2BlockInfo,
    /// Its timestamp.
    pub timestamp: u64,
    /// Its L1 origin.
    pub origin: L1Header,
    /// Its L1-info values.
    pub l1_info: L1BlockInfo,
    /// Its gas limit: the SystemConfig's as of its origin.
    pub gas_limit: u64,
    /// The L1-info deposit, then (first block of an epoch) the epoch's user deposits.
    pub deposits: Vec<TxDeposit>,
    /// The batch's transactions (EIP-2718 bytes), in order.
    pub transactions: Vec<Bytes>,
    /// The L1 block whose data completed this block's derivation.
    pub derived_from: L1BlockRef,
    /// Built without a batch: the sequencing window expired.
    pub forced: bool,
}

impl PayloadAttributes {
    /// Every transaction of the block, EIP-2718 encoded: deposits first.
    pub fn raw_transactions(&self) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(self.deposits.len() + self.transactions.len());
        for deposit in &self.deposits {
            out.push(Bytes::from(
                SproutTx::Deposit(deposit.clone()).encoded_2718(),
            ));
        }
        out.extend(self.transactions.iter().cloned());
        out
    }

    /// The same block without the batch's transactions: what replaces a block whose batch
    /// holds a transaction that cannot be included.
    pub fn deposits_only(&self) -> Self {
        Self {
            transactions: Vec::new(),
            ..self.clone()
        }
    }

    /// The info of the block these attributes built, once executed into `hash`.
    pub fn block_info(&self, hash: B256) -> L2BlockInfo {
        L2BlockInfo {
            number: self.parent.number + 1,
            hash,
            timestamp: self.timestamp,
            origin: BlockId {
                hash: self.origin.block.hash,
                number: self.origin.block.number,
            },
            sequence_number: self.l1_info.sequence_number,
            system: self.l1_info.system_config(self.gas_limit),
        }
    }
}
