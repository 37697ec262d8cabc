//! Where a withdrawal stands: its L2 receipt gives the `MessagePassed` event (the withdrawal
//! transaction and hash); the Portal and the L2OutputOracle on L1 give its state.

use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    sol_types::SolValue,
};
use serde::Serialize;
use sprout_contracts::{
    AnchorStateRegistry, DisputeGameFactory, FaultDisputeGame, FaultProofPortal, L2OutputOracle,
    Portal, l2_to_l1_message_passer::L2ToL1MessagePasser::MessagePassed,
    portal::Types::WithdrawalTransaction, predeploys::L2_TO_L1_MESSAGE_PASSER,
};

use super::{
    Bridge, Proofs, rpc,
    units::{decimal, utc},
};

/// How many of the newest games are searched for one covering a withdrawal.
const GAME_SEARCH: u64 = 1_000;
use crate::{AgentError, Layer, Result};

/// The stages of a withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WithdrawalStatus {
    /// No output on L1 covers its L2 block yet.
    WaitingToProve,
    /// An output covers it: `sprout bridge prove`.
    ReadyToProve,
    /// Proven; the finalization period runs.
    WaitingToFinalize,
    /// The period has passed: `sprout bridge finalize`.
    ReadyToFinalize,
    /// Paid out on L1.
    Finalized,
}

impl std::fmt::Display for WithdrawalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::WaitingToProve => "waiting-to-prove",
            Self::ReadyToProve => "ready-to-prove",
            Self::WaitingToFinalize => "waiting-to-finalize",
            Self::ReadyToFinalize => "ready-to-finalize",
            Self::Finalized => "finalized",
        })
    }
}

/// A withdrawal read from its L2 transaction.
#[derive(Debug, Clone)]
pub(crate) struct Withdrawal {
    pub(crate) l2_tx_hash: B256,
    pub(crate) l2_block: u64,
    pub(crate) hash: B256,
    pub(crate) tx: WithdrawalTransaction,
}

/// An output root on L1: an L2OutputOracle entry, or a dispute game's root claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputRef {
    /// Its index in the L2OutputOracle, or the game's index in the DisputeGameFactory.
    pub index: u64,
    /// The L2 block it commits to.
    pub l2_block: u64,
    /// The output root.
    pub root: B256,
    /// L1 timestamp of its proposal (the game's creation).
    pub proposed_at: u64,
    /// The dispute game, in fault-proof mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game: Option<Address>,
}

/// A proof recorded by the Portal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proven {
    pub(crate) timestamp: u64,
    pub(crate) output_index: u64,
    /// The output it was proven against is still the one at its index.
    pub(crate) output_current: bool,
    /// Last L1 timestamp at which finalizing still reverts (in fault-proof mode, an estimate
    /// while the game is unresolved).
    pub(crate) ends_at: u64,
    /// Fault-proof mode: whether the portal's `checkWithdrawal` passes now.
    pub(crate) ready: Option<bool>,
}

/// What L1 says about a withdrawal, read at one L1 block.
#[derive(Debug, Clone)]
pub(crate) struct WithdrawalState {
    /// The L1 head's timestamp.
    pub(crate) now: u64,
    pub(crate) finalized: bool,
    pub(crate) proven: Option<Proven>,
    pub(crate) period: u64,
    /// The first output covering the withdrawal's block, if proposed.
    pub(crate) output: Option<OutputRef>,
    /// When no output covers it: the L2 block of the output that will, and the L2 timestamp
    /// after which it can be proposed.
    pub(crate) expected: Option<(u64, u64)>,
    /// Fault-proof mode.
    pub(crate) games: bool,
}

impl WithdrawalState {
    pub(crate) fn status(&self) -> WithdrawalStatus {
        if self.finalized {
            return WithdrawalStatus::Finalized;
        }
        if let Some(proven) = self.proven.filter(|p| p.output_current) {
            return if proven.ready.unwrap_or(self.now > proven.ends_at) {
                WithdrawalStatus::ReadyToFinalize
            } else {
                WithdrawalStatus::WaitingToFinalize
            };
        }
        if self.output.is_some() {
            WithdrawalStatus::ReadyToProve
        } else {
            WithdrawalStatus::WaitingToProve
        }
    }

    /// "the next proposal is expected in about 40 s", for a withdrawal no output covers yet.
    pub(crate) fn expected_output(&self) -> String {
        let Some((l2_block, after)) = self.expected else {
            if self.games {
                return "no dispute game covers it yet: `sprout proposer --mode games` creates one every proposal interval (anyone with the bond may create one)".to_string();
            }
            return "no output is expected".to_string();
        };
        if after >= self.now {
            format!(
                "the output of L2 block {l2_block} is expected in about {} s (once L1 time passes {})",
                after - self.now + 1,
                utc(after, self.now)
            )
        } else {
            format!(
                "the output of L2 block {l2_block} could be proposed since {} but is not: is the proposer (`sprout proposer`) running?",
                utc(after, self.now)
            )
        }
    }
}

pub(crate) fn to_u64(value: U256, what: &'static str) -> Result<u64> {
    u64::try_from(value).map_err(|_| AgentError::BadResponse {
        layer: Layer::L1,
        what,
        detail: format!("{value} does not fit in 64 bits"),
    })
}

impl Bridge {
    /// The withdrawal sent by L2 transaction `l2_tx`.
    pub(crate) async fn withdrawal(&self, l2_tx: B256) -> Result<Withdrawal> {
        let receipt =
            rpc::receipt(&self.l2, Layer::L2, l2_tx)
                .await?
                .ok_or(AgentError::TxNotFound {
                    layer: Layer::L2,
                    hash: l2_tx,
                })?;
        if !receipt.success {
            return Err(AgentError::Failed {
                layer: Layer::L2,
                action: "the withdrawal",
                hash: l2_tx,
                block: receipt.block_number,
                hint: ": it reverted on L2, so no withdrawal was sent and nothing left L2".into(),
            });
        }
        let events: Vec<_> = receipt
            .logs
            .iter()
            .filter(|log| log.address() == L2_TO_L1_MESSAGE_PASSER)
            .filter_map(|log| log.log_decode::<MessagePassed>().ok())
            .collect();
        let event = match events.as_slice() {
            [] => return Err(AgentError::NotAWithdrawal(l2_tx)),
            [one] => &one.inner.data,
            many => {
                return Err(AgentError::Config(format!(
                    "L2 transaction {l2_tx} sent {} withdrawals; `sprout bridge` handles transactions that send one",
                    many.len()
                )));
            }
        };
        let tx = WithdrawalTransaction {
            nonce: event.nonce,
            sender: event.sender,
            target: event.target,
            value: event.value,
            gasLimit: event.gasLimit,
            data: event.data.clone(),
        };
        let hash = keccak256(
            (
                tx.nonce,
                tx.sender,
                tx.target,
                tx.value,
                tx.gasLimit,
                tx.data.clone(),
            )
                .abi_encode_params(),
        );
        if hash != event.withdrawalHash {
            return Err(AgentError::BadResponse {
                layer: Layer::L2,
                what: "MessagePassed event",
                detail: format!(
                    "its withdrawal hash {} is not the hash of its fields ({hash})",
                    event.withdrawalHash
                ),
            });
        }
        Ok(Withdrawal {
            l2_tx_hash: l2_tx,
            l2_block: receipt.block_number,
            hash,
            tx,
        })
    }

    /// Reads the Portal and the L2OutputOracle (or the games) about `w`, all at the current L1
    /// head.
    pub(crate) async fn withdrawal_state(&self, w: &Withdrawal) -> Result<WithdrawalState> {
        match self.proofs {
            Proofs::Oracle(oracle) => self.oracle_state(w, oracle).await,
            Proofs::Games {
                factory,
                registry,
                game_type,
            } => self.games_state(w, factory, registry, game_type).await,
        }
    }

    /// The L1 head every read of one status is made at, and its timestamp.
    async fn l1_head(&self) -> Result<(BlockId, u64)> {
        let head = self
            .l1
            .get_block(BlockId::latest())
            .await
            .map_err(|source| AgentError::Rpc {
                layer: Layer::L1,
                what: "eth_getBlockByNumber",
                source,
            })?
            .ok_or_else(|| AgentError::BadResponse {
                layer: Layer::L1,
                what: "head block",
                detail: "none".into(),
            })?;
        Ok((BlockId::number(head.header.number), head.header.timestamp))
    }

    /// [`withdrawal_state`](Self::withdrawal_state) in permissioned mode.
    async fn oracle_state(&self, w: &Withdrawal, oracle: Address) -> Result<WithdrawalState> {
        let (at, now) = self.l1_head().await?;
        let portal = Portal::new(self.portal, &self.l1);
        let oracle = L2OutputOracle::new(oracle, &self.l1);
        let l1 = Layer::L1;
        let finalized = portal
            .finalizedWithdrawals(w.hash)
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "Portal.finalizedWithdrawals"))?;
        let period = oracle
            .FINALIZATION_PERIOD_SECONDS()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(
                l1,
                "L2OutputOracle.FINALIZATION_PERIOD_SECONDS",
            ))?;
        let period = to_u64(period, "finalization period")?;
        let proven = portal
            .provenWithdrawals(w.hash)
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "Portal.provenWithdrawals"))?;
        let proven = if proven.timestamp == 0 {
            None
        } else {
            let output_index = u64::try_from(proven.l2OutputIndex).unwrap_or(u64::MAX);
            // A deleted output (index out of range) reverts: the proof no longer stands.
            let current = oracle
                .getL2Output(U256::from(proven.l2OutputIndex))
                .block(at)
                .call()
                .await
                .ok();
            let output_current = current
                .as_ref()
                .is_some_and(|o| o.outputRoot == proven.outputRoot);
            let proposed_at = current.map(|o| o.timestamp).unwrap_or_default();
            let timestamp = u64::try_from(proven.timestamp).unwrap_or(u64::MAX);
            let start = timestamp.max(u64::try_from(proposed_at).unwrap_or(u64::MAX));
            Some(Proven {
                timestamp,
                output_index,
                output_current,
                ends_at: start.saturating_add(period),
                ready: None,
            })
        };
        let outputs = oracle
            .nextOutputIndex()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "L2OutputOracle.nextOutputIndex"))?;
        let latest = oracle
            .latestBlockNumber()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "L2OutputOracle.latestBlockNumber"))?;
        let l2_block = U256::from(w.l2_block);
        let (output, expected) = if outputs > U256::ZERO && latest >= l2_block {
            let index = oracle
                .getL2OutputIndexAfter(l2_block)
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "L2OutputOracle.getL2OutputIndexAfter"))?;
            let proposal = oracle
                .getL2Output(index)
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "L2OutputOracle.getL2Output"))?;
            let output = OutputRef {
                index: to_u64(index, "output index")?,
                l2_block: u64::try_from(proposal.l2BlockNumber).unwrap_or(u64::MAX),
                root: proposal.outputRoot,
                proposed_at: u64::try_from(proposal.timestamp).unwrap_or(u64::MAX),
                game: None,
            };
            (Some(output), None)
        } else {
            let next = oracle
                .nextBlockNumber()
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "L2OutputOracle.nextBlockNumber"))?;
            let interval = next.saturating_sub(latest).max(U256::from(1));
            // The first output at or after the withdrawal's block: next + k * interval.
            let covering = if next >= l2_block {
                next
            } else {
                next + (l2_block - next).div_ceil(interval) * interval
            };
            let after = oracle
                .computeL2Timestamp(covering)
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "L2OutputOracle.computeL2Timestamp"))?;
            let expected = (
                to_u64(covering, "output block")?,
                to_u64(after, "L2 timestamp")?,
            );
            (None, Some(expected))
        };
        Ok(WithdrawalState {
            now,
            finalized,
            proven,
            period,
            output,
            expected,
            games: false,
        })
    }

    /// [`withdrawal_state`](Self::withdrawal_state) in fault-proof mode: the proof is this
    /// account's (or, without a key, the first submitter's), the covering output the oldest
    /// game of the respected type among the newest [`GAME_SEARCH`] that covers the block, is
    /// not lost or improper, and claims the root the L2 node computes.
    async fn games_state(
        &self,
        w: &Withdrawal,
        factory: Address,
        registry: Address,
        game_type: u32,
    ) -> Result<WithdrawalState> {
        let (at, now) = self.l1_head().await?;
        let l1 = Layer::L1;
        let portal = FaultProofPortal::new(self.portal, &self.l1);
        let registry = AnchorStateRegistry::new(registry, &self.l1);
        let factory = DisputeGameFactory::new(factory, &self.l1);
        let finalized = portal
            .finalizedWithdrawals(w.hash)
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "FaultProofPortal.finalizedWithdrawals"))?;
        let maturity = portal
            .proofMaturityDelaySeconds()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(
                l1,
                "FaultProofPortal.proofMaturityDelaySeconds",
            ))?;
        let maturity = to_u64(maturity, "proof maturity delay")?;
        let finality = registry
            .disputeGameFinalityDelaySeconds()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(
                l1,
                "AnchorStateRegistry.disputeGameFinalityDelaySeconds",
            ))?;
        let finality = to_u64(finality, "finality delay")?;
        let submitter = match self.signer {
            Some(us) => Some(us),
            None => {
                let n = portal
                    .numProofSubmitters(w.hash)
                    .block(at)
                    .call()
                    .await
                    .map_err(rpc::call_error(l1, "FaultProofPortal.numProofSubmitters"))?;
                if n.is_zero() {
                    None
                } else {
                    Some(
                        portal
                            .proofSubmitters(w.hash, U256::ZERO)
                            .block(at)
                            .call()
                            .await
                            .map_err(rpc::call_error(l1, "FaultProofPortal.proofSubmitters"))?,
                    )
                }
            }
        };
        let count = factory
            .gameCount()
            .block(at)
            .call()
            .await
            .map_err(rpc::call_error(l1, "DisputeGameFactory.gameCount"))?;
        let count = to_u64(count, "game count")?;
        let proven =
            match submitter {
                None => None,
                Some(submitter) => {
                    let p = portal
                        .provenWithdrawals(w.hash, submitter)
                        .block(at)
                        .call()
                        .await
                        .map_err(rpc::call_error(l1, "FaultProofPortal.provenWithdrawals"))?;
                    if p.timestamp == 0 {
                        None
                    } else {
                        let game = FaultDisputeGame::new(p.disputeGameProxy, &self.l1);
                        let status = game
                            .status()
                            .block(at)
                            .call()
                            .await
                            .map_err(rpc::call_error(l1, "FaultDisputeGame.status"))?;
                        let proper = registry
                            .isGameProper(p.disputeGameProxy)
                            .block(at)
                            .call()
                            .await
                            .map_err(rpc::call_error(l1, "AnchorStateRegistry.isGameProper"))?;
                        let created = game
                            .createdAt()
                            .block(at)
                            .call()
                            .await
                            .map_err(rpc::call_error(l1, "FaultDisputeGame.createdAt"))?;
                        let resolved = game
                            .resolvedAt()
                            .block(at)
                            .call()
                            .await
                            .map_err(rpc::call_error(l1, "FaultDisputeGame.resolvedAt"))?;
                        let clock =
                            game.maxClockDuration().block(at).call().await.map_err(
                                rpc::call_error(l1, "FaultDisputeGame.maxClockDuration"),
                            )?;
                        // Unresolved: the earliest it can resolve is when the root's clock runs out.
                        let resolution = if resolved == 0 {
                            created.saturating_add(clock)
                        } else {
                            resolved
                        };
                        let ready = portal
                            .checkWithdrawal(w.hash, submitter)
                            .block(at)
                            .call()
                            .await
                            .is_ok();
                        let mut index = u64::MAX;
                        for i in (count.saturating_sub(GAME_SEARCH)..count).rev() {
                            let g = factory
                                .gameAtIndex(U256::from(i))
                                .block(at)
                                .call()
                                .await
                                .map_err(rpc::call_error(l1, "DisputeGameFactory.gameAtIndex"))?;
                            if g.proxy == p.disputeGameProxy {
                                index = i;
                                break;
                            }
                        }
                        Some(Proven {
                            timestamp: p.timestamp,
                            output_index: index,
                            output_current: status != 1 && proper,
                            ends_at: p
                                .timestamp
                                .saturating_add(maturity)
                                .max(resolution.saturating_add(finality)),
                            ready: Some(ready),
                        })
                    }
                }
            };
        let mut output = None;
        let mut ours: Option<(u64, B256)> = None;
        for i in (count.saturating_sub(GAME_SEARCH)..count).rev() {
            let g = factory
                .gameAtIndex(U256::from(i))
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "DisputeGameFactory.gameAtIndex"))?;
            if g.gameType != game_type {
                continue;
            }
            let game = FaultDisputeGame::new(g.proxy, &self.l1);
            let block = game
                .l2SequenceNumber()
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "FaultDisputeGame.l2SequenceNumber"))?;
            let block = to_u64(block, "game block")?;
            if block < w.l2_block {
                continue;
            }
            let status = game
                .status()
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "FaultDisputeGame.status"))?;
            let proper = registry
                .isGameProper(g.proxy)
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "AnchorStateRegistry.isGameProper"))?;
            if status == 1 || !proper {
                continue;
            }
            let root = game
                .rootClaim()
                .block(at)
                .call()
                .await
                .map_err(rpc::call_error(l1, "FaultDisputeGame.rootClaim"))?;
            // Only a root the L2 node agrees with: a wrong one will lose.
            let theirs = match ours {
                Some((b, r)) if b == block => r,
                _ => {
                    let Some(r) = rpc::output_root(&self.l2, block).await? else {
                        continue;
                    };
                    ours = Some((block, r));
                    r
                }
            };
            if theirs != root {
                continue;
            }
            output = Some(OutputRef {
                index: i,
                l2_block: block,
                root,
                proposed_at: g.timestamp,
                game: Some(g.proxy),
            });
        }
        Ok(WithdrawalState {
            now,
            finalized,
            proven,
            period: maturity,
            output,
            expected: None,
            games: true,
        })
    }

    /// Where the withdrawal sent by L2 transaction `l2_tx` stands.
    pub async fn status(&self, l2_tx: B256) -> Result<StatusReport> {
        let w = self.withdrawal(l2_tx).await?;
        let state = self.withdrawal_state(&w).await?;
        Ok(StatusReport::new(&w, &state))
    }
}

/// What `sprout bridge status` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The stage.
    pub status: WithdrawalStatus,
    /// The withdrawal hash (the Portal's key).
    pub withdrawal_hash: B256,
    /// The L2 transaction that sent it.
    pub l2_tx_hash: B256,
    /// Its L2 block.
    pub l2_block: u64,
    /// The L2 account that withdrew.
    pub sender: Address,
    /// Who receives the ETH on L1.
    pub target: Address,
    /// Wei, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
    /// L1 gas of the withdrawal's call, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub gas_limit: U256,
    /// The message passer's nonce, as a decimal string.
    #[serde(serialize_with = "decimal")]
    pub nonce: U256,
    /// Timestamp of the L1 head this was read at.
    pub l1_time: u64,
    /// The output covering the withdrawal, once proposed.
    pub output: Option<OutputRef>,
    /// The L2 block of the output that will cover it, while none does.
    pub expected_output_l2_block: Option<u64>,
    /// The L1 time after which that output can be proposed.
    pub expected_output_after: Option<u64>,
    /// L1 timestamp of the proof.
    pub proven_at: Option<u64>,
    /// Index of the output it was proven against.
    pub proven_output_index: Option<u64>,
    /// The Portal's finalization period.
    pub finalization_period_seconds: u64,
    /// First L1 timestamp at which it can be finalized.
    pub finalizable_at: Option<u64>,
    /// What to run next, in words.
    pub next: String,
}

impl StatusReport {
    pub(crate) fn new(w: &Withdrawal, state: &WithdrawalState) -> Self {
        let status = state.status();
        let tx = w.l2_tx_hash;
        let proven = state.proven.filter(|p| p.output_current);
        let next = match status {
            WithdrawalStatus::WaitingToProve => format!(
                "no output covers L2 block {} yet; {}; then run `sprout bridge prove {tx}`",
                w.l2_block,
                state.expected_output()
            ),
            WithdrawalStatus::ReadyToProve => format!("run `sprout bridge prove {tx}`"),
            WithdrawalStatus::WaitingToFinalize => {
                let ends = proven.map(|p| p.ends_at).unwrap_or_default();
                format!(
                    "the finalization period ends at {} (in about {} s); then run `sprout bridge finalize {tx}`",
                    utc(ends, state.now),
                    ends.saturating_sub(state.now)
                )
            }
            WithdrawalStatus::ReadyToFinalize => format!("run `sprout bridge finalize {tx}`"),
            WithdrawalStatus::Finalized => "nothing: the ETH was paid out on L1".to_string(),
        };
        Self {
            status,
            withdrawal_hash: w.hash,
            l2_tx_hash: tx,
            l2_block: w.l2_block,
            sender: w.tx.sender,
            target: w.tx.target,
            amount: w.tx.value,
            gas_limit: w.tx.gasLimit,
            nonce: w.tx.nonce,
            l1_time: state.now,
            output: state.output,
            expected_output_l2_block: state.expected.map(|e| e.0),
            expected_output_after: state.expected.map(|e| e.1),
            proven_at: proven.map(|p| p.timestamp),
            proven_output_index: proven.map(|p| p.output_index),
            finalization_period_seconds: state.period,
            finalizable_at: proven.map(|p| p.ends_at.saturating_add(1)),
            next,
        }
    }
}

impl std::fmt::Display for StatusReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.status)?;
        writeln!(f, "  withdrawal  {}", self.withdrawal_hash)?;
        writeln!(
            f,
            "  L2 tx       {} (block {})",
            self.l2_tx_hash, self.l2_block
        )?;
        writeln!(
            f,
            "  amount      {} ETH from {} to {} on L1",
            super::units::eth(self.amount),
            self.sender,
            self.target
        )?;
        if let Some(o) = &self.output {
            writeln!(
                f,
                "  output      #{} (L2 block {}) {}",
                o.index, o.l2_block, o.root
            )?;
        }
        if let Some(at) = self.proven_at {
            writeln!(f, "  proven      {}", utc(at, self.l1_time))?;
        }
        write!(f, "  next        {}", self.next)
    }
}
