//! The chain's rollup side: its safe and finalized heads, and blocks derivation hands it
//! (consolidated when the sequencer built the same block, executed otherwise).

use sprout_protocol::derive::execute_derived;

use super::*;

impl Chain {
    /// The rollup mode, if this chain is anchored to L1.
    pub fn rollup(&self) -> Option<&RollupMode> {
        self.rollup.as_ref()
    }

    /// The newest block derived from L1 data (`safe`). A dev chain has no L1, so its head is
    /// its safe head; a rollup chain starts with genesis safe.
    pub fn safe_head(&self) -> Result<(Header, B256)> {
        if self.rollup.is_none() {
            return Ok(self.head());
        }
        self.recorded_head(self.storage.safe_hash()?)
    }

    /// The newest block derived from finalized L1 data (`finalized`).
    pub fn finalized_head(&self) -> Result<(Header, B256)> {
        if self.rollup.is_none() {
            return Ok(self.head());
        }
        self.recorded_head(self.storage.finalized_hash()?)
    }

    fn recorded_head(&self, hash: Option<B256>) -> Result<(Header, B256)> {
        let hash = match hash {
            Some(hash) => hash,
            None => self
                .storage
                .canonical_hash(0)?
                .ok_or_else(|| NodeError::Corrupt("no genesis".into()))?,
        };
        let header = self
            .storage
            .header(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        Ok((header, hash))
    }

    /// How many times the chain was rolled back (derivation restarts when this changes).
    pub fn resets(&self) -> u64 {
        self.resets.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The last L1 block derivation read.
    pub fn derivation_l1(&self) -> Option<sprout_protocol::l1_info::L1BlockRef> {
        *self.derivation_l1.read()
    }

    /// Records the last L1 block derivation read.
    pub fn set_derivation_l1(&self, block: sprout_protocol::l1_info::L1BlockRef) {
        *self.derivation_l1.write() = Some(block);
    }

    /// Makes the block `attributes` describe the next safe block. If the chain already holds a
    /// block there (the sequencer's own) that matches, it only becomes safe; one that does not
    /// match is rolled back with everything after it, and the derived block replaces it. A
    /// batch transaction that cannot be included turns the block into a deposit-only one.
    /// Blocking. `resume` (the pipeline's [`ResumePoint`] as it returned `attributes`) is
    /// stored with the new safe head, in the same write.
    ///
    /// [`ResumePoint`]: sprout_protocol::derive::ResumePoint
    pub fn apply_derived(
        &self,
        attributes: &PayloadAttributes,
        resume: sprout_protocol::derive::ResumePoint,
    ) -> Result<L2BlockInfo> {
        let _guard = self.produce.lock();
        let (safe, safe_hash) = self.safe_head()?;
        if attributes.parent.hash != safe_hash {
            return Err(NodeError::Derive(format!(
                "derived block {} builds on {}, but the safe head is {safe_hash}",
                attributes.parent.number + 1,
                attributes.parent.hash
            )));
        }
        let number = safe.number + 1;
        let record = DerivationRecord {
            derived_from: (attributes.derived_from.number, attributes.derived_from.hash),
            resume: Some(resume),
        };
        if let Some(hash) = self.storage.canonical_hash(number)? {
            if self.matches(hash, attributes)? {
                self.storage.set_safe(SafeUpdate {
                    number,
                    hash,
                    record,
                })?;
                debug!(target: "derive", number, %hash, "unsafe block confirmed by L1 data");
                return Ok(attributes.block_info(hash));
            }
            warn!(
                target: "derive",
                number,
                %hash,
                forced = attributes.forced,
                "the chain's block differs from the one derived from L1; replacing it"
            );
            self.unwind_locked(safe.number)?;
        }
        let (executed, deposit_only) = execute_derived(
            &self.config,
            &safe,
            attributes,
            recover_all(&attributes.transactions),
            LatestState(&self.storage),
            self.storage.as_ref(),
        )?;
        if deposit_only {
            warn!(target: "derive", number, "a batch transaction is invalid: deposit-only block");
        }
        let info = attributes.block_info(executed.hash);
        self.storage.commit_block_with(
            &executed,
            Some(SafeUpdate {
                number,
                hash: executed.hash,
                record,
            }),
        )?;
        self.publish(&executed);
        Ok(info)
    }

    fn matches(&self, hash: B256, attributes: &PayloadAttributes) -> Result<bool> {
        let header = self
            .storage
            .header(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        let body = self
            .storage
            .body(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        Ok(header.parent_hash == attributes.parent.hash
            && header.timestamp == attributes.timestamp
            && header.gas_limit == attributes.gas_limit
            && header.mix_hash == attributes.origin.mix_hash
            && header.parent_beacon_block_root
                == Some(
                    attributes
                        .origin
                        .parent_beacon_block_root
                        .unwrap_or_default(),
                )
            && body.transactions == attributes.raw_transactions())
    }

    /// Moves the safe head back to block `number` after an L1 reorg under it. A follower
    /// (which only has derived blocks) also rolls its chain back there. Blocking.
    pub fn reset_safe(&self, number: u64) -> Result<()> {
        let _guard = self.produce.lock();
        let sequencing = self.rollup.as_ref().is_some_and(|r| r.sequencing);
        if sequencing {
            self.storage.reset_safe(number)?;
        } else {
            self.unwind_locked(number)?;
        }
        Ok(())
    }

    /// The rollup config, in rollup mode.    /// The rollup config, in rollup mode.
    pub fn rollup_config(&self) -> Option<&sprout_protocol::rollup::RollupConfig> {
        self.rollup.as_ref().map(|r| &r.config)
    }
}

/// Decodes `raw` transactions and recovers their senders, in order, or `None` if one does not
/// decode or recover. A large block is split over the cores: sender recovery is most of what
/// a transfer costs a follower.
pub(super) fn recover_all(raw: &[alloy_primitives::Bytes]) -> Option<Vec<RecoveredTx>> {
    /// Fewer transactions per thread than this are not worth a thread.
    const MIN_PER_THREAD: usize = 64;
    let decode = |part: &[alloy_primitives::Bytes]| -> Option<Vec<RecoveredTx>> {
        part.iter().map(|tx| RecoveredTx::decode(tx).ok()).collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(raw.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return decode(raw);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = raw
            .chunks(raw.len().div_ceil(threads))
            .map(|part| scope.spawn(move || decode(part)))
            .collect();
        let mut out = Vec::with_capacity(raw.len());
        for part in parts {
            match part.join() {
                Ok(recovered) => out.extend(recovered?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Some(out)
    })
}
