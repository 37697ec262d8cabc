//! The derivation pipeline's state machine.

use alloc::{boxed::Box, collections::VecDeque, format, string::ToString, vec::Vec};
use alloy_primitives::Bytes;
use tracing::{debug, warn};

use super::{DeriveError, L1Header, L1Provider, L2BlockInfo, PayloadAttributes};
use crate::{
    batch::{
        ChannelAssembler, ChannelReader, MAX_RLP_BYTES_PER_CHANNEL, SingularBatch, decode_blob,
    },
    l1_block::{InboxPayload, L1Addresses, VerifiedL1Block},
    l1_info::{L1BlockInfo, L1BlockRef},
    rollup::{GenesisSystemConfig, RollupConfig},
};

/// What one call to [`Pipeline::step`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The next safe block's attributes: execute them, then call [`Pipeline::on_safe`].
    Attributes(Box<PayloadAttributes>),
    /// One more L1 block was read.
    Advanced(L1BlockRef),
    /// Nothing to do until L1 has more blocks (up to the limit given).
    Idle,
}

/// Where a pipeline restarted with the current safe head resumes: what a node persists with
/// each safe head, so that a restart reads neither L1 history nor logs.
///
/// A pipeline built with [`Pipeline::new`] from `l1_number` (as cursor), `l1_system` and the
/// safe head's derived-from block (as `replay_until`) derives what this one would have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumePoint {
    /// The L1 block to resume after: `channel_timeout` blocks before the cursor (every channel
    /// still open is read again), or where this pipeline itself started, if later.
    pub l1_number: u64,
    /// The SystemConfig as of that block (its own updates applied).
    pub l1_system: GenesisSystemConfig,
}

/// Why a batch was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchDrop {
    /// Its timestamp is before the next slot: a block already derived.
    Past,
    /// Its timestamp is after the next slot: out of order.
    Future,
    /// It does not build on the safe head.
    WrongParent,
    /// Its epoch is not the safe head's origin or the next one.
    EpochOutOfRange,
    /// Its epoch is later than the L1 block that included it.
    EpochAfterInclusion,
    /// It landed on L1 after its epoch's sequencing window.
    IncludedTooLate,
    /// Its epoch hash is not L1's block at that number.
    WrongEpochHash,
    /// Its timestamp is before its epoch's.
    BeforeEpoch,
    /// Past the sequencer drift with transactions.
    DriftWithTransactions,
    /// Past the sequencer drift while the next epoch was due.
    DriftNextEpochDue,
    /// It lists an empty or deposit transaction.
    BadTransactions,
}

enum Verdict {
    Drop(BatchDrop),
    Accept(Box<L1Header>),
}

fn temporary(err: impl core::fmt::Display) -> DeriveError {
    DeriveError::Temporary(err.to_string())
}

/// The derivation pipeline (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct Pipeline {
    config: RollupConfig,
    safe: L2BlockInfo,
    /// The last L1 block read.
    cursor: L1BlockRef,
    /// The SystemConfig as of `cursor` (its batcher is the one whose data counts).
    l1_system: GenesisSystemConfig,
    /// The cursor this pipeline was built with.
    start: u64,
    /// The SystemConfig as of the oldest block a [`ResumePoint`] may still name.
    system_base: GenesisSystemConfig,
    /// The L1 blocks since then that changed the SystemConfig, with the values after each.
    system_changes: VecDeque<(u64, GenesisSystemConfig)>,
    /// No forced block is made while the cursor is below this: after a reset, the pipeline
    /// first re-reads the L1 blocks the safe head was derived with.
    replay_until: u64,
    assembler: ChannelAssembler,
    /// Batches read from channels, in order, with the L1 block that completed their channel
    /// and the channel's sequence number (to drop the rest of a channel after a bad batch).
    batches: VecDeque<(SingularBatch, u64, u64)>,
    /// Channels read so far.
    channels_read: u64,
}

impl Pipeline {
    /// A pipeline whose safe head is `safe`, that has read L1 up to `cursor` and reads on from
    /// the block after it. Before `replay_until` it makes no forced blocks.
    ///
    /// From genesis: `safe` is the L2 genesis and `cursor` the rollup's L1 anchor. After a
    /// restart or reset: `cursor` is `channel_timeout` L1 blocks before the block `safe` was
    /// derived from (so every channel still open then is read again), and `replay_until` that
    /// block's number.
    ///
    /// `l1_system` is the SystemConfig as of `cursor`: the genesis values plus every update
    /// up to and including that L1 block.
    pub fn new(
        config: RollupConfig,
        safe: L2BlockInfo,
        cursor: L1BlockRef,
        replay_until: u64,
        l1_system: GenesisSystemConfig,
    ) -> Self {
        let assembler = ChannelAssembler::from_rollup_config(&config);
        Self {
            config,
            safe,
            cursor,
            l1_system,
            start: cursor.number,
            system_base: l1_system,
            system_changes: VecDeque::new(),
            replay_until,
            assembler,
            batches: VecDeque::new(),
            channels_read: 0,
        }
    }

    /// The safe head.
    pub fn safe(&self) -> &L2BlockInfo {
        &self.safe
    }

    /// The last L1 block read.
    pub fn cursor(&self) -> L1BlockRef {
        self.cursor
    }

    /// Where a restart with the current safe head resumes (see [`ResumePoint`]). Taken when
    /// [`Step::Attributes`] is returned, it belongs with the block those attributes build.
    pub fn resume_point(&self) -> ResumePoint {
        let l1_number = self.resume_number();
        let l1_system = self
            .system_changes
            .iter()
            .rev()
            .find(|(number, _)| *number <= l1_number)
            .map_or(self.system_base, |(_, system)| *system);
        ResumePoint {
            l1_number,
            l1_system,
        }
    }

    fn resume_number(&self) -> u64 {
        self.cursor
            .number
            .saturating_sub(self.config.channel_timeout)
            .max(self.start)
    }

    /// Records the block built from the last [`Step::Attributes`] as the new safe head.
    pub fn on_safe(&mut self, block: L2BlockInfo) {
        self.safe = block;
    }

    /// Does the next piece of work: the next safe block's attributes if L1 data already read
    /// gives them, else reads one more L1 block (at most `l1_limit`).
    pub fn step<P: L1Provider>(&mut self, l1: &mut P, l1_limit: u64) -> Result<Step, DeriveError> {
        while let Some((batch, inclusion, channel)) = self.batches.front() {
            let (inclusion, channel) = (*inclusion, *channel);
            match self.check(batch, inclusion, l1)? {
                // A block derived already: a resubmission, skipped quietly.
                Verdict::Drop(BatchDrop::Past) => {
                    self.batches.pop_front();
                }
                // Holocene: an invalid batch takes the rest of its channel with it.
                Verdict::Drop(reason) => {
                    warn!(
                        target: "derive",
                        timestamp = batch.timestamp,
                        epoch = batch.epoch_num,
                        ?reason,
                        "dropping batch and the rest of its channel"
                    );
                    while self.batches.front().is_some_and(|(_, _, c)| *c == channel) {
                        self.batches.pop_front();
                    }
                }
                Verdict::Accept(epoch) => {
                    let Some((batch, _, _)) = self.batches.pop_front() else {
                        break;
                    };
                    let derived_from = self.cursor;
                    let attributes =
                        self.attributes(l1, *epoch, batch.transactions, derived_from, false)?;
                    return Ok(Step::Attributes(Box::new(attributes)));
                }
            }
        }
        if let Some(attributes) = self.forced(l1)? {
            return Ok(Step::Attributes(Box::new(attributes)));
        }
        self.advance(l1, l1_limit)
    }

    /// Reads the next L1 block: its batcher data into channels and batches.
    fn advance<P: L1Provider>(&mut self, l1: &mut P, l1_limit: u64) -> Result<Step, DeriveError> {
        let number = self.cursor.number + 1;
        if number > l1_limit {
            return Ok(Step::Idle);
        }
        let Some(header) = l1.header_by_number(number).map_err(temporary)? else {
            return Ok(Step::Idle);
        };
        if header.block.parent_hash != self.cursor.hash {
            return Err(DeriveError::Reset(format!(
                "L1 block {number} builds on {}, not on {} read before",
                header.block.parent_hash, self.cursor.hash
            )));
        }
        let block = self.verified_block(l1, &header.block)?;
        for update in block.config_updates() {
            debug!(target: "derive", l1 = number, ?update, "SystemConfig update");
            self.l1_system.apply(update);
        }
        if !block.config_updates().is_empty() {
            self.system_changes.push_back((number, self.l1_system));
        }
        let data = self.batcher_data(l1, &block, self.l1_system.batcher_addr)?;
        for tx in &data {
            let channels = match self.assembler.ingest_batcher_tx(tx, number) {
                Ok(channels) => channels,
                Err(err) => {
                    warn!(target: "derive", l1 = number, %err, "ignoring batcher transaction");
                    continue;
                }
            };
            for channel in channels {
                let mut reader = match ChannelReader::new(&channel.data, MAX_RLP_BYTES_PER_CHANNEL)
                {
                    Ok(reader) => reader,
                    Err(err) => {
                        warn!(target: "derive", l1 = number, %err, "ignoring channel");
                        continue;
                    }
                };
                self.channels_read += 1;
                while let Some(batch) = reader.next_batch() {
                    match batch {
                        Ok(batch) => self.batches.push_back((batch, number, self.channels_read)),
                        Err(err) => {
                            warn!(target: "derive", l1 = number, %err, "rest of channel unreadable");
                        }
                    }
                }
            }
        }
        debug!(target: "derive", l1 = number, batches = self.batches.len(), "read L1 block");
        self.cursor = header.block;
        // Changes no resume point can come before any more fold into the base.
        let floor = self.resume_number();
        while let Some(&(changed, system)) = self.system_changes.front()
            && changed <= floor
        {
            self.system_base = system;
            self.system_changes.pop_front();
        }
        Ok(Step::Advanced(header.block))
    }

    /// Block `block`'s verified contents, read at this rollup's addresses.
    fn verified_block<P: L1Provider>(
        &self,
        l1: &mut P,
        block: &L1BlockRef,
    ) -> Result<VerifiedL1Block, DeriveError> {
        let verified = l1.block(block).map_err(temporary)?;
        if verified.header().block.hash != block.hash {
            return Err(DeriveError::Temporary(format!(
                "asked L1 for block {}, got {}",
                block.hash,
                verified.header().block.hash
            )));
        }
        if *verified.addresses() != L1Addresses::from_rollup_config(&self.config) {
            return Err(DeriveError::Critical(
                "the L1 provider reads blocks at other contract addresses than the rollup's".into(),
            ));
        }
        Ok(verified)
    }

    /// The batcher data of `block` sent by `batcher`, in block order: a calldata
    /// transaction's input; for a blob transaction, the decoded contents of each of its blobs
    /// in order (a blob that does not decode is left out).
    fn batcher_data<P: L1Provider>(
        &self,
        l1: &mut P,
        block: &VerifiedL1Block,
        batcher: alloy_primitives::Address,
    ) -> Result<Vec<Bytes>, DeriveError> {
        let block_ref = block.header().block;
        let hashes: Vec<_> = block
            .batcher_txs(batcher)
            .flat_map(|tx| match &tx.payload {
                InboxPayload::Blobs(hashes) => hashes.as_slice(),
                InboxPayload::Calldata(_) => &[],
            })
            .copied()
            .collect();
        let blobs = if hashes.is_empty() {
            Vec::new()
        } else {
            l1.blobs(&block_ref, &hashes).map_err(temporary)?
        };
        if blobs.len() != hashes.len() {
            return Err(DeriveError::Temporary(format!(
                "asked for {} blobs of L1 block {}, got {}",
                hashes.len(),
                block_ref.number,
                blobs.len()
            )));
        }
        let mut blobs = blobs.into_iter().zip(hashes);
        let mut data = Vec::new();
        for tx in block.batcher_txs(batcher) {
            match &tx.payload {
                InboxPayload::Calldata(input) => data.push(input.clone()),
                InboxPayload::Blobs(hashes) => {
                    for (blob, hash) in blobs.by_ref().take(hashes.len()) {
                        match decode_blob(&blob) {
                            Ok(contents) => data.push(contents.into()),
                            Err(err) => warn!(target: "derive", l1 = block_ref.number,
                                blob = %hash, %err, "ignoring a batcher blob that does not decode"),
                        }
                    }
                }
            }
        }
        Ok(data)
    }

    fn header<P: L1Provider>(&self, l1: &mut P, number: u64) -> Result<L1Header, DeriveError> {
        // Only blocks up to the cursor are asked for: L1 had them, so one missing now means
        // L1 reorged to a shorter chain.
        l1.header_by_number(number)
            .map_err(temporary)?
            .ok_or_else(|| DeriveError::Reset(format!("L1 block {number} is gone")))
    }

    fn check<P: L1Provider>(
        &self,
        batch: &SingularBatch,
        inclusion: u64,
        l1: &mut P,
    ) -> Result<Verdict, DeriveError> {
        let next = self.safe.timestamp + self.config.block_time;
        if batch.timestamp < next {
            return Ok(Verdict::Drop(BatchDrop::Past));
        }
        if batch.timestamp > next {
            return Ok(Verdict::Drop(BatchDrop::Future));
        }
        if batch.parent_hash != self.safe.hash {
            return Ok(Verdict::Drop(BatchDrop::WrongParent));
        }
        let origin = self.safe.origin.number;
        if batch.epoch_num < origin || batch.epoch_num > origin + 1 {
            return Ok(Verdict::Drop(BatchDrop::EpochOutOfRange));
        }
        if batch.epoch_num > inclusion {
            return Ok(Verdict::Drop(BatchDrop::EpochAfterInclusion));
        }
        if batch.epoch_num + self.config.seq_window_size < inclusion {
            return Ok(Verdict::Drop(BatchDrop::IncludedTooLate));
        }
        let epoch = self.header(l1, batch.epoch_num)?;
        if epoch.block.hash != batch.epoch_hash {
            return Ok(Verdict::Drop(BatchDrop::WrongEpochHash));
        }
        if batch.timestamp < epoch.block.timestamp {
            return Ok(Verdict::Drop(BatchDrop::BeforeEpoch));
        }
        if batch.timestamp > epoch.block.timestamp + self.config.max_sequencer_drift {
            if !batch.transactions.is_empty() {
                return Ok(Verdict::Drop(BatchDrop::DriftWithTransactions));
            }
            if batch.epoch_num < self.cursor.number {
                let next_epoch = self.header(l1, batch.epoch_num + 1)?;
                if batch.timestamp >= next_epoch.block.timestamp {
                    return Ok(Verdict::Drop(BatchDrop::DriftNextEpochDue));
                }
            }
        }
        if batch.check_transactions().is_err() {
            return Ok(Verdict::Drop(BatchDrop::BadTransactions));
        }
        Ok(Verdict::Accept(Box::new(epoch)))
    }

    /// A deposit-only block, if the sequencing window of the safe head's epoch has expired.
    fn forced<P: L1Provider>(
        &mut self,
        l1: &mut P,
    ) -> Result<Option<PayloadAttributes>, DeriveError> {
        let epoch = self.safe.origin.number;
        let window = self.config.seq_window_size;
        if self.cursor.number < self.replay_until || self.cursor.number < epoch + window {
            return Ok(None);
        }
        let next = self.safe.timestamp + self.config.block_time;
        let next_epoch = self.header(l1, epoch + 1)?;
        let origin = if next < next_epoch.block.timestamp {
            self.header(l1, epoch)?
        } else if self.cursor.number >= epoch + 1 + window {
            next_epoch
        } else {
            return Ok(None);
        };
        if origin.block.number == epoch && origin.block.hash != self.safe.origin.hash {
            return Err(DeriveError::Reset(format!(
                "the safe head's L1 origin {epoch} is no longer canonical"
            )));
        }
        warn!(
            target: "derive",
            number = self.safe.number + 1,
            epoch = origin.block.number,
            "sequencing window expired: deriving a deposit-only block"
        );
        let derived_from = self.cursor;
        self.attributes(l1, origin, Vec::new(), derived_from, true)
            .map(Some)
    }

    fn attributes<P: L1Provider>(
        &self,
        l1: &mut P,
        origin: L1Header,
        transactions: Vec<alloy_primitives::Bytes>,
        derived_from: L1BlockRef,
        forced: bool,
    ) -> Result<PayloadAttributes, DeriveError> {
        let new_epoch = origin.block.number != self.safe.origin.number;
        let sequence_number = if new_epoch {
            0
        } else {
            self.safe.sequence_number + 1
        };
        // The SystemConfig of the parent, plus the new epoch's own updates.
        let mut system = self.safe.system;
        let mut deposits = Vec::with_capacity(1);
        let block = if new_epoch {
            let block = self.verified_block(l1, &origin.block)?;
            for update in block.config_updates() {
                system.apply(update);
            }
            Some(block)
        } else {
            None
        };
        let l1_info = L1BlockInfo::for_origin(&origin, sequence_number, &system);
        deposits.push(l1_info.deposit());
        if let Some(block) = block {
            deposits.extend(block.deposits().iter().cloned());
        }
        Ok(PayloadAttributes {
            parent: self.safe,
            timestamp: self.safe.timestamp + self.config.block_time,
            origin,
            l1_info,
            gas_limit: system.gas_limit,
            deposits,
            transactions,
            derived_from,
            forced,
        })
    }
}
