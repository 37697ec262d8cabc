//! The proposer in games mode: a dispute game per output instead of an oracle entry.
//!
//! Every round reads the factory: the next block to propose is the interval after the newest of
//! our games of the type (or after the anchor), once the node has derived it. Each game is
//! created with the factory's exact init bond. Our unchallenged games are resolved when their
//! clock runs out, and our credits claimed once the registry deems a game final (which also
//! moves the anchor on, so the next games may claim further blocks). A challenged game is left
//! to the challengers: the proposer does not play. As in oracle mode, one transaction is in
//! flight at a time and L1 is the only state, so a restart neither skips nor repeats a game.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering},
};

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::DynProvider,
    sol_types::SolCall,
};
use sprout_contracts::{AnchorStateRegistry, DisputeGameFactory, FaultDisputeGame};
use sprout_txmgr::{L1Chain, RpcL1, TxCandidate, TxEvent, TxManager, TxManagerConfig, TxMetrics};
use tracing::{info, warn};

use crate::{Metrics, ProposalHead, ProposerConfig, ProposerError, Result, l2::L2Node};

/// Extra gas over the estimate.
const GAS_MARGIN: u64 = 50_000;

/// Where games mode proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GamesConfig {
    /// The DisputeGameFactory.
    pub factory: Address,
    /// The game type created.
    pub game_type: u32,
    /// L2 blocks between proposals.
    pub interval: u64,
}

/// What a games-mode transaction does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GameWork {
    /// `create` for L2 block `block`.
    Create {
        /// The block.
        block: u64,
    },
    /// `resolveClaim(0, 0)` of an unchallenged game.
    ResolveRoot {
        /// The game.
        game: Address,
    },
    /// `resolve()`.
    Resolve {
        /// The game.
        game: Address,
    },
    /// `claimCredit(us)`.
    ClaimCredit {
        /// The game.
        game: Address,
    },
}

/// What a round did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GamesStep {
    /// A transaction is in flight.
    InFlight,
    /// One transaction was sent.
    Sent(GameWork),
    /// Nothing to do: the next block is not derived yet (or past what a game may claim).
    UpToDate {
        /// The next block to propose.
        next: u64,
        /// The node's safe (or finalized) head.
        head: u64,
    },
}

struct OurGame {
    address: Address,
    block: u64,
    status: u8,
}

/// The games-mode proposer.
pub struct GamesProposer {
    l1: Arc<RpcL1>,
    provider: DynProvider,
    txmgr: TxManager<RpcL1, GameWork>,
    node: L2Node,
    games: GamesConfig,
    head: ProposalHead,
    metrics: Arc<Metrics>,
    /// Our games that are resolved and paid out.
    done: HashSet<Address>,
    /// The newest block someone else created our game for (the same root and block): counted
    /// as proposed.
    taken: u64,
}

fn l1(what: &str, err: impl std::fmt::Display) -> ProposerError {
    ProposerError::L1(sprout_txmgr::TxMgrError::L1(format!("{what}: {err}")))
}

impl GamesProposer {
    /// Checks, before anything is sent, that L1 and the node are the rollup's and the factory
    /// has an implementation for the game type.
    pub async fn connect(
        config: &ProposerConfig,
        games: GamesConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        if games.interval == 0 {
            return Err(ProposerError::Config(
                "the proposal interval must be at least 1 block".into(),
            ));
        }
        let (rpc, chain_id, node) = crate::driver::connect_checked(config).await?;
        let provider = rpc.provider().clone();
        let factory = DisputeGameFactory::new(games.factory, &provider);
        let implementation = factory
            .gameImpls(games.game_type)
            .call()
            .await
            .map_err(|e| {
                ProposerError::Config(format!(
                    "{} is not a DisputeGameFactory on L1 chain {chain_id} ({e}): pass the factory's address",
                    games.factory
                ))
            })?;
        if implementation == Address::ZERO {
            return Err(ProposerError::Config(format!(
                "the factory {} has no game of type {}: pass --game-type of one it has",
                games.factory, games.game_type
            )));
        }
        let mut txmgr = TxManager::new(
            rpc.clone(),
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
            l1: rpc,
            provider,
            txmgr,
            node,
            games,
            head: config.head,
            metrics,
            done: HashSet::new(),
            taken: 0,
        })
    }

    /// The proposer's L1 account.
    pub fn address(&self) -> Address {
        self.txmgr.address()
    }

    /// One round.
    pub async fn step(&mut self) -> Result<GamesStep> {
        for event in self.txmgr.tick().await? {
            self.on_event(event).await?;
        }
        if self.txmgr.in_flight() > 0 || self.txmgr.queued() > 0 {
            return Ok(GamesStep::InFlight);
        }
        let us = self.address();
        if self.l1.nonce(us, true).await? > self.l1.nonce(us, false).await? {
            return Ok(GamesStep::InFlight);
        }
        self.txmgr.sync_nonce().await?;
        let ours = self.our_games().await?;
        // Resolution and credits first: they free bonds and move the anchor on.
        for game in &ours {
            if self.done.contains(&game.address) {
                continue;
            }
            if let Some((work, data)) = self.settle(game).await?
                && self
                    .send(work.clone(), game.address, data, U256::ZERO)
                    .await?
            {
                return Ok(GamesStep::Sent(work));
            }
        }
        let registry = self.registry().await?;
        let (_, anchor_block) = AnchorStateRegistry::new(registry, &self.provider)
            .getAnchorRoot()
            .call()
            .await
            .map(|r| (r.root, r.l2SequenceNumber))
            .map_err(|e| l1("getAnchorRoot", e))?;
        let anchor_block = u64::try_from(anchor_block).map_err(|_| l1("anchor", "too large"))?;
        let latest = ours.iter().map(|g| g.block).max().unwrap_or(0);
        let latest = latest.max(self.taken);
        let next = latest.max(anchor_block) + self.games.interval;
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
            return Ok(GamesStep::UpToDate { next, head });
        }
        let output = self.node.output_at(next).await?;
        let factory = DisputeGameFactory::new(self.games.factory, &self.provider);
        let bond = factory
            .initBonds(self.games.game_type)
            .call()
            .await
            .map_err(|e| l1("initBonds", e))?;
        let extra: Bytes = U256::from(next).to_be_bytes::<32>().to_vec().into();
        let existing = factory
            .games(self.games.game_type, output.output_root, extra.clone())
            .call()
            .await
            .map_err(|e| l1("games", e))?;
        if existing.proxy != Address::ZERO {
            // Someone created the game we would have: it is proposed, our bond is not needed.
            info!(target: "proposer", l2_block = next, game = %existing.proxy,
                "the game for this output exists already");
            self.taken = next;
            return Ok(GamesStep::UpToDate { next, head });
        }
        let data = DisputeGameFactory::createCall {
            gameType: self.games.game_type,
            rootClaim: output.output_root,
            extraData: extra,
        }
        .abi_encode();
        let work = GameWork::Create { block: next };
        info!(target: "proposer", l2_block = next, output_root = %output.output_root, %bond,
            "creating a dispute game");
        if !self
            .send(work.clone(), self.games.factory, data.into(), bond)
            .await?
        {
            // A game the factory refuses now (past what a game may claim from the anchor):
            // wait for the anchor to move on.
            return Ok(GamesStep::UpToDate { next, head });
        }
        Ok(GamesStep::Sent(work))
    }

    async fn on_event(&mut self, event: TxEvent<GameWork>) -> Result<()> {
        match event {
            TxEvent::Confirmed {
                tag, block_number, ..
            } => {
                if matches!(tag, GameWork::Create { .. }) {
                    TxMetrics::add(&self.metrics.proposals_confirmed, 1);
                }
                info!(target: "proposer", work = ?tag, l1_block = block_number, "confirmed");
            }
            other => {
                warn!(target: "proposer", event = ?other, "transaction did not land; reading L1 again");
                self.txmgr.reset().await?;
            }
        }
        Ok(())
    }

    /// Estimates and queues a transaction; false if L1 would revert it (nothing is sent).
    async fn send(
        &mut self,
        work: GameWork,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<bool> {
        let gas = match self
            .l1
            .estimate_gas_with_value(self.address(), to, data.clone(), value)
            .await
        {
            Ok(gas) => gas,
            Err(err) => {
                tracing::debug!(target: "proposer", ?work, %err, "L1 would revert this; not sent");
                return Ok(false);
            }
        };
        self.txmgr.enqueue(TxCandidate {
            gas_limit: gas.saturating_add(GAS_MARGIN),
            value,
            ..TxCandidate::calldata(work, to, data)
        });
        for event in self.txmgr.tick().await? {
            self.on_event(event).await?;
        }
        Ok(true)
    }

    async fn registry(&self) -> Result<Address> {
        let factory = DisputeGameFactory::new(self.games.factory, &self.provider);
        let implementation = factory
            .gameImpls(self.games.game_type)
            .call()
            .await
            .map_err(|e| l1("gameImpls", e))?;
        FaultDisputeGame::new(implementation, &self.provider)
            .anchorStateRegistry()
            .call()
            .await
            .map_err(|e| l1("anchorStateRegistry", e))
    }

    /// Our games of the type, oldest first.
    async fn our_games(&self) -> Result<Vec<OurGame>> {
        let us = self.address();
        let factory = DisputeGameFactory::new(self.games.factory, &self.provider);
        let count = factory
            .gameCount()
            .call()
            .await
            .map_err(|e| l1("gameCount", e))?;
        let count = u64::try_from(count).map_err(|_| l1("gameCount", "too large"))?;
        let mut out = Vec::new();
        for index in 0..count {
            let g = factory
                .gameAtIndex(U256::from(index))
                .call()
                .await
                .map_err(|e| l1("gameAtIndex", e))?;
            if g.gameType != self.games.game_type {
                continue;
            }
            let game = FaultDisputeGame::new(g.proxy, &self.provider);
            if game
                .gameCreator()
                .call()
                .await
                .map_err(|e| l1("gameCreator", e))?
                != us
            {
                continue;
            }
            let block = game
                .l2SequenceNumber()
                .call()
                .await
                .map_err(|e| l1("l2SequenceNumber", e))?;
            let status = game.status().call().await.map_err(|e| l1("status", e))?;
            out.push(OurGame {
                address: g.proxy,
                block: u64::try_from(block).map_err(|_| l1("l2SequenceNumber", "too large"))?,
                status,
            });
        }
        Ok(out)
    }

    /// The next transaction settling one of our games: resolving it if unchallenged and its
    /// clock ran out, or claiming our credit once it is final.
    async fn settle(&mut self, game: &OurGame) -> Result<Option<(GameWork, Bytes)>> {
        let contract = FaultDisputeGame::new(game.address, &self.provider);
        if game.status == 0 {
            let claims = contract
                .claimDataLen()
                .call()
                .await
                .map_err(|e| l1("claimDataLen", e))?;
            if claims != U256::from(1) {
                return Ok(None);
            }
            let root_done = contract
                .resolvedSubgames(U256::ZERO)
                .call()
                .await
                .map_err(|e| l1("resolvedSubgames", e))?;
            if root_done {
                let data = FaultDisputeGame::resolveCall {}.abi_encode();
                return Ok(Some((
                    GameWork::Resolve { game: game.address },
                    data.into(),
                )));
            }
            let used = contract
                .getChallengerDuration(U256::ZERO)
                .call()
                .await
                .map_err(|e| l1("getChallengerDuration", e))?;
            let max = contract
                .maxClockDuration()
                .call()
                .await
                .map_err(|e| l1("maxClockDuration", e))?;
            if used < max {
                return Ok(None);
            }
            let data = FaultDisputeGame::resolveClaimCall {
                claimIndex: U256::ZERO,
                numToResolve: U256::ZERO,
            }
            .abi_encode();
            return Ok(Some((
                GameWork::ResolveRoot { game: game.address },
                data.into(),
            )));
        }
        let us = self.address();
        let credit = contract
            .credit(us)
            .call()
            .await
            .map_err(|e| l1("credit", e))?;
        if credit.is_zero() {
            self.done.insert(game.address);
            return Ok(None);
        }
        let registry = self.registry().await?;
        let finalized = AnchorStateRegistry::new(registry, &self.provider)
            .isGameFinalized(game.address)
            .call()
            .await
            .map_err(|e| l1("isGameFinalized", e))?;
        if !finalized {
            return Ok(None);
        }
        let data = FaultDisputeGame::claimCreditCall { recipient: us }.abi_encode();
        Ok(Some((
            GameWork::ClaimCredit { game: game.address },
            data.into(),
        )))
    }
}
