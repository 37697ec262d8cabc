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
    derive::{DeriveError, L2BlockInfo, Pipeline, ResumePoint, Step},
    l1_block::L1Addresses,
    l1_info::L1BlockRef,
};
use sprout_storage::DerivationRecord;
use tracing::{debug, error, info, warn};

use crate::{
    NodeError, Result, chain::Chain, l1::L1Client, l1_prefetch::DerivationL1, rollup::RollupMode,
};

/// How often the finalized head is brought up to date with L1's.
const FINALITY_INTERVAL: Duration = Duration::from_secs(4);

/// Runs derivation until `stop` is set. Blocking: run it on its own thread.
pub fn run(chain: Arc<Chain>, stop: Arc<AtomicBool>) {
    let Some(rollup) = chain.rollup() else {
        return;
    };
    // Derivation's own client: its failures (a slow block read, say) put only its own
    // requests in back-off, never the sequencer's origin selection.
    let client = rollup.l1.with_own_backoff();
    let addresses = L1Addresses::from_rollup_config(&rollup.config);
    let mut last_finality = Instant::now() - FINALITY_INTERVAL;
    'restart: while !stop.load(Ordering::SeqCst) {
        // The stored safe head may stand on L1 data that is gone (L1 reorged while this node
        // was down, or the sequencer rolled back only its unsafe blocks): walk it back to what
        // L1 still holds before deriving on.
        if let Err(err) = reset(&chain, rollup, &client) {
            warn!(target: "derive", %err, "cannot check the safe head against L1; retrying");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let resets = chain.resets();
        let mut pipeline = match build_pipeline(&chain, rollup, &client) {
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
        // Fresh caches on every (re)start: what was read ahead may be of a reorged L1.
        let mut l1 = DerivationL1::new(client.clone(), addresses, rollup.l1_prefetch);
        let mut l1_head: Option<u64> = None;
        let mut catch_up = CatchUp::default();
        while !stop.load(Ordering::SeqCst) {
            if chain.resets() != resets {
                info!(target: "derive", "the chain was rolled back; restarting derivation");
                continue 'restart;
            }
            let limit = match l1_head {
                Some(head) if pipeline.cursor().number < head => head,
                _ => match client.handle().block_on(client.head_ref()) {
                    Ok(head) => {
                        l1_head = Some(head.number);
                        l1.set_limit(head.number);
                        head.number
                    }
                    Err(err) => {
                        debug!(target: "derive", %err, "L1 head unknown");
                        std::thread::sleep(Duration::from_millis(500));
                        continue;
                    }
                },
            };
            let stepped = Instant::now();
            let step = pipeline.step(&mut l1, limit);
            catch_up.step += stepped.elapsed();
            match step {
                Ok(Step::Attributes(attributes)) => match catch_up
                    .applying(|| chain.apply_derived(&attributes, pipeline.resume_point()))
                {
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
                Ok(Step::Advanced(block)) => {
                    catch_up.l1_blocks += 1;
                    chain.set_derivation_l1(block);
                }
                Ok(Step::Idle) => {
                    l1_head = None;
                    catch_up.report(pipeline.safe().number);
                    if last_finality.elapsed() >= FINALITY_INTERVAL {
                        last_finality = Instant::now();
                        if let Err(err) = update_finalized(&chain, &client) {
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

/// Where derivation's time went since it last caught up with L1, logged when it does again.
#[derive(Debug, Default)]
struct CatchUp {
    blocks: u64,
    l1_blocks: u64,
    /// In `Pipeline::step`: L1 reads not read ahead, verification, channel decoding.
    step: Duration,
    /// In `Chain::apply_derived`: execution, state root, commit.
    apply: Duration,
}

impl CatchUp {
    fn applying<T>(&mut self, apply: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = apply();
        self.apply += started.elapsed();
        self.blocks += 1;
        out
    }

    fn report(&mut self, safe: u64) {
        if self.blocks > 1 {
            info!(
                target: "derive",
                safe,
                blocks = self.blocks,
                l1_blocks = self.l1_blocks,
                step_ms = self.step.as_millis() as u64,
                apply_ms = self.apply.as_millis() as u64,
                "caught up with L1"
            );
        }
        *self = Self::default();
    }
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

/// A pipeline resuming from the stored safe head, at the resume point recorded with it
/// ([`ResumePoint`]): L1 from `channel_timeout` blocks before the block the safe head was
/// derived from, with the SystemConfig as of there. One header request; no L1 history is
/// scanned. A safe head recorded by storage schema 2 has no resume point: the SystemConfig is
/// then rebuilt from the `ConfigUpdate` logs since the anchor, `--l1.max-logs-range` blocks
/// per `eth_getLogs`.
fn build_pipeline(chain: &Chain, rollup: &RollupMode, l1: &L1Client) -> Result<Pipeline> {
    let (safe_header, _) = chain.safe_head()?;
    let safe = block_info(chain, rollup, safe_header.number)?;
    let anchor = rollup.config.genesis.l1.number;
    let record = match safe.number {
        0 => None,
        n => Some(chain.storage().derivation_record(n)?.ok_or_else(|| {
            NodeError::Corrupt(format!("safe block {n} has no derivation record"))
        })?),
    };
    let (replay_until, resume) = match record {
        None => (
            anchor,
            ResumePoint {
                l1_number: anchor,
                l1_system: rollup.config.genesis.system_config,
            },
        ),
        Some(DerivationRecord {
            derived_from,
            resume: Some(resume),
        }) => (derived_from.0, resume),
        Some(DerivationRecord {
            derived_from,
            resume: None,
        }) => {
            let start = derived_from
                .0
                .saturating_sub(rollup.config.channel_timeout)
                .max(anchor);
            info!(target: "derive", from = anchor + 1, to = start,
                "no resume point stored (schema 2 datadir): reading the SystemConfig's logs");
            let mut l1_system = rollup.config.genesis.system_config;
            let addresses = L1Addresses::from_rollup_config(&rollup.config);
            for update in
                l1.handle()
                    .block_on(l1.config_updates_range(anchor + 1, start, &addresses))?
            {
                l1_system.apply(&update);
            }
            (
                derived_from.0,
                ResumePoint {
                    l1_number: start,
                    l1_system,
                },
            )
        }
    };
    let cursor = l1_ref(l1, resume.l1_number)?;
    Ok(Pipeline::new(
        rollup.config.clone(),
        safe,
        cursor,
        replay_until,
        resume.l1_system,
    ))
}

fn l1_ref(l1: &L1Client, number: u64) -> Result<L1BlockRef> {
    Ok(l1
        .handle()
        .block_on(l1.header(number))?
        .ok_or_else(|| NodeError::L1(format!("L1 block {number} is missing")))?
        .block)
}

fn canonical_on_l1(l1: &L1Client, number: u64, hash: B256) -> Result<bool> {
    Ok(l1
        .handle()
        .block_on(l1.header(number))?
        .is_some_and(|h| h.block.hash == hash))
}

/// Moves the safe head back to the newest safe block whose origin and derivation source are
/// both still on L1 (no change when the safe head's are). Returns its number.
fn reset(chain: &Chain, rollup: &RollupMode, l1: &L1Client) -> Result<u64> {
    let (safe, _) = chain.safe_head()?;
    let mut number = safe.number;
    while number > 0 {
        let info = block_info(chain, rollup, number)?;
        let source_ok = match chain.storage().derived_from(number)? {
            Some((l1_number, l1_hash)) => canonical_on_l1(l1, l1_number, l1_hash)?,
            None => false,
        };
        if source_ok && canonical_on_l1(l1, info.origin.number, info.origin.hash)? {
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
fn update_finalized(chain: &Chain, l1: &L1Client) -> Result<()> {
    let Some(finalized_l1) = l1.handle().block_on(l1.finalized_ref())? else {
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
