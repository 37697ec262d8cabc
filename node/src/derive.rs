//! The derivation driver: runs the protocol's [`Pipeline`] against L1 and applies what it
//! derives to the chain, in a follower (every block comes from L1) and in the sequencer (its
//! own blocks become safe, or are replaced).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use sprout_protocol::{
    derive::{DeriveError, L2BlockInfo, Pipeline, Step},
    l1_block::L1Addresses,
    l1_info::L1BlockRef,
};
use tracing::{debug, error, info, warn};

use crate::{NodeError, Result, chain::Chain, l1::DerivationL1, rollup::RollupMode};

/// How often the finalized head is brought up to date with L1's.
const FINALITY_INTERVAL: Duration = Duration::from_secs(4);

/// Runs derivation until `stop` is set. Blocking: run it on its own thread.
pub fn run(chain: Arc<Chain>, stop: Arc<AtomicBool>) {
    let Some(rollup) = chain.rollup() else {
        return;
    };
    let mut last_finality = Instant::now() - FINALITY_INTERVAL;
    'restart: while !stop.load(Ordering::SeqCst) {
        // The stored safe head may stand on L1 data that is gone (L1 reorged while this node
        // was down, or the sequencer rolled back only its unsafe blocks): walk it back to what
        // L1 still holds before deriving on.
        if let Err(err) = reset(&chain, rollup) {
            warn!(target: "derive", %err, "cannot check the safe head against L1; retrying");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let resets = chain.resets();
        let mut pipeline = match build_pipeline(&chain, rollup) {
            Ok(pipeline) => pipeline,
            Err(err) => {
                warn!(target: "derive", %err, "cannot start derivation; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        info!(
            target: "derive",
            safe = pipeline.safe().number,
            l1 = pipeline.cursor().number,
            "derivation started"
        );
        let mut l1 = DerivationL1 {
            l1: &rollup.l1,
            addresses: L1Addresses::from_rollup_config(&rollup.config),
        };
        let mut l1_head: Option<u64> = None;
        while !stop.load(Ordering::SeqCst) {
            if chain.resets() != resets {
                info!(target: "derive", "the chain was rolled back; restarting derivation");
                continue 'restart;
            }
            let limit = match l1_head {
                Some(head) if pipeline.cursor().number < head => head,
                _ => match rollup.l1.handle().block_on(rollup.l1.head_ref()) {
                    Ok(head) => {
                        l1_head = Some(head.number);
                        head.number
                    }
                    Err(err) => {
                        debug!(target: "derive", %err, "L1 head unknown");
                        std::thread::sleep(Duration::from_millis(500));
                        continue;
                    }
                },
            };
            match pipeline.step(&mut l1, limit) {
                Ok(Step::Attributes(attributes)) => match chain.apply_derived(&attributes) {
                    Ok(block) => {
                        debug!(target: "derive", number = block.number, hash = %block.hash, "safe");
                        pipeline.on_safe(block);
                    }
                    Err(err) => {
                        warn!(target: "derive", %err, "could not apply a derived block; restarting derivation");
                        std::thread::sleep(Duration::from_millis(500));
                        continue 'restart;
                    }
                },
                Ok(Step::Advanced(block)) => chain.set_derivation_l1(block),
                Ok(Step::Idle) => {
                    l1_head = None;
                    if last_finality.elapsed() >= FINALITY_INTERVAL {
                        last_finality = Instant::now();
                        if let Err(err) = update_finalized(&chain, rollup) {
                            debug!(target: "derive", %err, "finalized head not updated");
                        }
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(DeriveError::Temporary(err)) => {
                    debug!(target: "derive", %err, "L1 unavailable; retrying");
                    l1_head = None;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(DeriveError::Reset(reason)) => {
                    // The restart walks the safe head back to what L1 still holds.
                    warn!(target: "derive", %reason, "L1 reorg under derivation; resetting");
                    continue 'restart;
                }
                Err(DeriveError::Critical(err)) => {
                    error!(target: "derive", %err, "derivation cannot go on; retrying in 5 s");
                    std::thread::sleep(Duration::from_secs(5));
                    continue 'restart;
                }
            }
        }
    }
    info!(target: "derive", "stopped");
}

/// The info of canonical block `number`.
fn block_info(chain: &Chain, rollup: &RollupMode, number: u64) -> Result<L2BlockInfo> {
    let storage = chain.storage();
    let hash = storage
        .canonical_hash(number)?
        .ok_or_else(|| NodeError::Corrupt(format!("no canonical block {number}")))?;
    let header = storage
        .header(&hash)?
        .ok_or(NodeError::UnknownBlock(hash))?;
    let first = match number {
        0 => None,
        _ => storage
            .body(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?
            .transaction(0)?,
    };
    Ok(L2BlockInfo::from_block(
        &header,
        hash,
        first.as_ref(),
        &rollup.config.genesis,
    )?)
}

/// A pipeline resuming from the stored safe head: it re-reads L1 from `channel_timeout`
/// blocks before the block the safe head was derived from.
fn build_pipeline(chain: &Chain, rollup: &RollupMode) -> Result<Pipeline> {
    let (safe_header, _) = chain.safe_head()?;
    let safe = block_info(chain, rollup, safe_header.number)?;
    let anchor = rollup.config.genesis.l1.number;
    let derived_from = match safe.number {
        0 => anchor,
        n => chain
            .storage()
            .derived_from(n)?
            .map(|(number, _)| number)
            .unwrap_or(anchor),
    };
    let start = derived_from
        .saturating_sub(rollup.config.channel_timeout)
        .max(anchor);
    let cursor = l1_ref(rollup, start)?;
    // The SystemConfig as of the cursor: genesis values plus every update after the anchor.
    let mut l1_system = rollup.config.genesis.system_config;
    for update in rollup.l1.handle().block_on(rollup.l1.config_updates_range(
        anchor + 1,
        start,
        &L1Addresses::from_rollup_config(&rollup.config),
    ))? {
        l1_system.apply(&update);
    }
    Ok(Pipeline::new(
        rollup.config.clone(),
        safe,
        cursor,
        derived_from,
        l1_system,
    ))
}

fn l1_ref(rollup: &RollupMode, number: u64) -> Result<L1BlockRef> {
    Ok(rollup
        .l1
        .handle()
        .block_on(rollup.l1.header(number))?
        .ok_or_else(|| NodeError::L1(format!("L1 block {number} is missing")))?
        .block)
}

fn canonical_on_l1(rollup: &RollupMode, number: u64, hash: B256) -> Result<bool> {
    Ok(rollup
        .l1
        .handle()
        .block_on(rollup.l1.header(number))?
        .is_some_and(|h| h.block.hash == hash))
}

/// Moves the safe head back to the newest safe block whose origin and derivation source are
/// both still on L1 (no change when the safe head's are). Returns its number.
fn reset(chain: &Chain, rollup: &RollupMode) -> Result<u64> {
    let (safe, _) = chain.safe_head()?;
    let mut number = safe.number;
    while number > 0 {
        let info = block_info(chain, rollup, number)?;
        let source_ok = match chain.storage().derived_from(number)? {
            Some((l1_number, l1_hash)) => canonical_on_l1(rollup, l1_number, l1_hash)?,
            None => false,
        };
        if source_ok && canonical_on_l1(rollup, info.origin.number, info.origin.hash)? {
            break;
        }
        number -= 1;
    }
    if number < safe.number {
        warn!(target: "derive", from = safe.number, to = number, "safe head reset: its L1 data is gone");
        chain.reset_safe(number)?;
    }
    Ok(number)
}

/// Finalized L2 = the newest safe block derived from finalized L1 data.
fn update_finalized(chain: &Chain, rollup: &RollupMode) -> Result<()> {
    let Some(finalized_l1) = rollup.l1.handle().block_on(rollup.l1.finalized_ref())? else {
        return Ok(());
    };
    let (safe, _) = chain.safe_head()?;
    let (finalized, _) = chain.finalized_head()?;
    let mut number = safe.number;
    while number > finalized.number {
        if let Some((l1_number, _)) = chain.storage().derived_from(number)?
            && l1_number <= finalized_l1.number
        {
            let hash = chain
                .storage()
                .canonical_hash(number)?
                .ok_or_else(|| NodeError::Corrupt(format!("no canonical block {number}")))?;
            chain.storage().set_finalized(hash)?;
            debug!(target: "derive", number, "finalized");
            return Ok(());
        }
        number -= 1;
    }
    Ok(())
}
