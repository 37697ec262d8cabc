//! The proposer's rounds: follow the proposal in flight, then propose the output the oracle
//! expects next once the node has derived that block from L1.
//!
//! The oracle is the source of truth: every round reads `nextBlockNumber()` from it, so a
//! restart resumes where L1 is, a proposal that an L1 reorg dropped is made again, and an
//! outage is caught up one output per round without a gap. One proposal is in flight at a
//! time (the next one's block number depends on the previous one landing).

use std::sync::{Arc, atomic::Ordering};

use alloy_primitives::B256;
use sprout_txmgr::{L1Chain, RpcL1, TxCandidate, TxEvent, TxManager, TxManagerConfig, TxMetrics};
use tracing::{info, warn};

use crate::{
    Metrics, ProposalHead, ProposerConfig, ProposerError, Result,
    l2::L2Node,
    oracle::{Oracle, propose_calldata},
};

/// Extra gas over the estimate: the oracle's storage writes cost the same each time, but the
/// estimate is made against the state before the proposal's own block.
const GAS_MARGIN: u64 = 20_000;

/// What a round did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A proposal is in flight; nothing new was sent.
    InFlight {
        /// Its L2 block.
        block: u64,
    },
    /// The node has not derived the next block yet.
    UpToDate {
        /// The block the oracle expects next.
        next: u64,
        /// The node's safe (or finalized) head.
        head: u64,
    },
    /// A proposal was queued and sent.
    Proposed {
        /// Its L2 block.
        block: u64,
        /// Its output root.
        output_root: B256,
    },
}

/// The proposer.
#[derive(Debug)]
pub struct Proposer {
    l1: Arc<RpcL1>,
    txmgr: TxManager<RpcL1, u64>,
    node: L2Node,
    verifier: Option<L2Node>,
    oracle: Oracle,
    head: ProposalHead,
    metrics: Arc<Metrics>,
}

/// L1 and the node of `config`, checked to serve the rollup's chains (nothing is sent first).
pub(crate) async fn connect_checked(config: &ProposerConfig) -> Result<(Arc<RpcL1>, u64, L2Node)> {
    let l1 = Arc::new(RpcL1::new(&config.l1_rpc_url)?);
    let chain_id = l1.chain_id().await?;
    if chain_id != config.rollup.l1_chain_id {
        return Err(ProposerError::Config(format!(
            "the L1 RPC serves chain {chain_id} but the rollup's L1 is chain {}: point \
             --l1.rpc-url at the rollup's L1",
            config.rollup.l1_chain_id
        )));
    }
    let node = L2Node::new(&config.l2_rpc_url)?;
    check_l2(config, &node).await?;
    Ok((l1, chain_id, node))
}

async fn check_l2(config: &ProposerConfig, node: &L2Node) -> Result<()> {
    let l2_chain = node.chain_id().await?;
    if l2_chain != config.rollup.l2_chain_id {
        return Err(ProposerError::Config(format!(
            "the L2 node at {} serves chain {l2_chain} but the rollup is chain {}",
            node.url(),
            config.rollup.l2_chain_id
        )));
    }
    Ok(())
}

impl Proposer {
    /// A proposer for `config`, sending through its own transaction manager. Checks, before
    /// anything is sent, that L1 and the node are the rollup's and that the key is the
    /// oracle's proposer.
    pub async fn connect(config: &ProposerConfig, metrics: Arc<Metrics>) -> Result<Self> {
        let (l1, chain_id, node) = connect_checked(config).await?;
        let verifier = config
            .verify_rpc_url
            .as_deref()
            .map(L2Node::new)
            .transpose()?;
        if let Some(verifier) = &verifier {
            check_l2(config, verifier).await?;
        }
        let oracle = Oracle::new(config.rollup.l2_output_oracle_address);
        let expected = oracle.proposer(&l1).await?;
        let key = config.signer.address();
        if key != expected {
            return Err(ProposerError::WrongKey { key, expected });
        }
        let mut txmgr = TxManager::new(
            l1.clone(),
            config.signer.clone(),
            TxManagerConfig {
                role: "proposer",
                chain_id,
                confirmations: config.confirmations,
                resubmit_timeout: config.resubmit_timeout,
                min_balance: config.min_balance,
                min_tip: config.min_tip,
                max_pending: 1,
                blobs: false,
            },
            metrics.l1.clone(),
        );
        txmgr.sync_nonce().await?;
        Ok(Self {
            l1,
            txmgr,
            node,
            verifier,
            oracle,
            head: config.head,
            metrics,
        })
    }

    /// The proposer's L1 account.
    pub fn address(&self) -> alloy_primitives::Address {
        self.txmgr.address()
    }

    /// Why sending is stopped, while the account's balance is below the minimum.
    pub fn low_balance(&self) -> Option<&str> {
        self.txmgr.low_balance()
    }

    /// One round.
    pub async fn step(&mut self) -> Result<Step> {
        for event in self.txmgr.tick().await? {
            match event {
                TxEvent::Confirmed {
                    tag, block_number, ..
                } => {
                    TxMetrics::add(&self.metrics.proposals_confirmed, 1);
                    info!(target: "proposer", l2_block = tag, l1_block = block_number,
                        "output proposal confirmed");
                }
                other => {
                    // Dropped by a reorg, or reverted (the L1 block it named was reorged away,
                    // or another proposal took the slot): read the oracle again.
                    warn!(target: "proposer", event = ?other,
                        "output proposal did not land; resuming from the oracle");
                    self.txmgr.reset().await?;
                }
            }
        }
        if let Some(&block) = self.txmgr.pending_tags().next() {
            return Ok(Step::InFlight { block });
        }
        let latest = self.oracle.latest_block_number(&self.l1).await?;
        let next = self.oracle.next_block_number(&self.l1).await?;
        let heads = self.node.heads().await?;
        let head = match self.head {
            ProposalHead::Safe => heads.safe,
            ProposalHead::Finalized => heads.finalized,
        };
        self.metrics
            .latest_proposed_block
            .store(latest, Ordering::Relaxed);
        self.metrics
            .lag_blocks
            .store(head.saturating_sub(latest), Ordering::Relaxed);
        if next > head {
            return Ok(Step::UpToDate { next, head });
        }
        let output = self.node.output_at(next).await?;
        // The oracle refuses an output whose L2 time has not passed on L1 yet.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if output.timestamp >= now {
            return Ok(Step::UpToDate { next, head });
        }
        if let Some(verifier) = &self.verifier {
            // Only an output the verifier derived from L1 itself counts: a follower fed by
            // gossip holds the sequencer's unsafe blocks before L1 confirms them.
            let verified = verifier.heads().await?.safe;
            if next > verified {
                return Ok(Step::UpToDate {
                    next,
                    head: verified,
                });
            }
            let theirs = verifier.output_at(next).await?;
            if theirs.output_root != output.output_root {
                TxMetrics::add(&self.metrics.output_mismatches, 1);
                return Err(ProposerError::OutputMismatch {
                    block: next,
                    ours: output.output_root,
                    theirs: theirs.output_root,
                });
            }
        }
        // A proposal this process counted as confirmed may since have been reorged away with
        // its nonce: start from the account's nonce on L1.
        self.txmgr.sync_nonce().await?;
        let l1_head = self.l1.head().await?;
        let data = propose_calldata(output.output_root, next, l1_head.hash, l1_head.number);
        let gas = self
            .l1
            .estimate_gas(self.address(), self.oracle.address(), data.clone())
            .await
            .map_err(|e| ProposerError::WouldRevert {
                block: next,
                reason: e.to_string(),
            })?;
        self.txmgr.enqueue(TxCandidate {
            gas_limit: gas.saturating_add(GAS_MARGIN),
            ..TxCandidate::calldata(next, self.oracle.address(), data)
        });
        info!(target: "proposer", l2_block = next, output_root = %output.output_root,
            block_hash = %output.block_hash, l1_anchor = l1_head.number, "proposing output");
        // Send it now rather than next round.
        for event in self.txmgr.tick().await? {
            if event.needs_rewind() {
                warn!(target: "proposer", event = ?event, "proposal lost at once; resuming from the oracle");
                self.txmgr.reset().await?;
            }
        }
        Ok(Step::Proposed {
            block: next,
            output_root: output.output_root,
        })
    }
}
