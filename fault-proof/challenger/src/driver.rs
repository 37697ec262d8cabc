//! The challenger's rounds: watch the factory's games, play the honest move where one is owed,
//! resolve what can be resolved, and claim our bonds.
//!
//! L1 is the source of truth. Every round reads the games afresh and works out what is owed
//! from the claims on L1, so a restart resumes where L1 is and a move is never made twice: one
//! transaction is in flight at a time, a round with a transaction pending (this run's or an
//! earlier run's) only waits for it, and every transaction is estimated against L1 first, so a
//! move the game would refuse (already made, out of time) is never sent and no bond is paid
//! for it.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol_types::SolCall,
};
use alloy_signer_local::PrivateKeySigner;
use sprout_contracts::{AnchorStateRegistry, DisputeGameFactory, FaultDisputeGame, PreimageOracle};
use sprout_txmgr::{L1Chain, RpcL1, TxCandidate, TxEvent, TxManager, TxManagerConfig};
use tracing::{debug, info, warn};

use crate::{
    Action, ChallengerError, GameInputs, Metrics, NodeOutputs, RecordingSource, Result, VmTrace,
    honest_actions, read_game,
};

/// Extra gas over the estimate (the estimate runs against the state before its own block).
const GAS_MARGIN: u64 = 50_000;

/// `sprout challenger` settings.
#[derive(Clone, Debug)]
pub struct ChallengerConfig {
    /// L1 JSON-RPC endpoint (HTTP).
    pub l1_rpc_url: String,
    /// Our node (HTTP): its safe output roots are the honest ones.
    pub l2_rpc_url: String,
    /// The DisputeGameFactory.
    pub factory: Address,
    /// The game type played; other games are left alone.
    pub game_type: u32,
    /// The challenger's key: it pays the bonds and the gas.
    pub signer: PrivateKeySigner,
    /// The fault-proof program ELF, for execution bisection.
    pub elf: PathBuf,
    /// Its absolute prestate (`sprout fp prestate`); a game committing to another is refused.
    pub prestate: B256,
    /// At most this many games in progress are played per round, oldest first.
    pub max_games: usize,
    /// Claim our credits from resolved games.
    pub claim_credits: bool,
    /// L1 blocks (the including one counts) before a transaction counts as done.
    pub confirmations: u64,
    /// An unmined transaction is resent with higher fees after this long.
    pub resubmit_timeout: Duration,
    /// Between rounds.
    pub poll_interval: Duration,
    /// Below this balance nothing is sent.
    pub min_balance: U256,
}

/// What a challenger transaction does: the transaction manager's tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// A move against claim `parent`.
    Move {
        /// The game.
        game: Address,
        /// The claim moved against.
        parent: usize,
        /// Attack or defence.
        attack: bool,
    },
    /// A part of a preimage the next step reads, loaded into the PreimageOracle.
    Preimage {
        /// The game.
        game: Address,
        /// The preimage key (as the program asks for it).
        key: B256,
    },
    /// A step against the claim at the max depth.
    Step {
        /// The game.
        game: Address,
        /// The claim stepped against.
        claim: usize,
    },
    /// `resolveClaim(claim, 0)`.
    ResolveClaim {
        /// The game.
        game: Address,
        /// The subgame's root.
        claim: usize,
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

impl Work {
    fn game(&self) -> Address {
        match self {
            Self::Move { game, .. }
            | Self::Preimage { game, .. }
            | Self::Step { game, .. }
            | Self::ResolveClaim { game, .. }
            | Self::Resolve { game }
            | Self::ClaimCredit { game } => *game,
        }
    }
}

/// What a round did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Round {
    /// A transaction is pending; nothing new was sent.
    Waiting,
    /// One transaction was sent.
    Sent(Work),
    /// Nothing is owed anywhere.
    Idle {
        /// Games in progress looked at.
        games: usize,
    },
}

type Trace<R> = VmTrace<NodeOutputs, R>;

/// A transaction owed somewhere, and how urgent it is.
struct Candidate {
    /// 0: a move, step or preimage load; 1: a resolution; 2: a credit.
    class: u8,
    /// Seconds left on the clock it races (`u64::MAX` when none).
    seconds_left: u64,
    work: Work,
    to: Address,
    data: Bytes,
    value: U256,
}

impl Candidate {
    fn new(
        class: u8,
        seconds_left: u64,
        work: Work,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Self {
        Self {
            class,
            seconds_left,
            work,
            to,
            data,
            value,
        }
    }
}

/// The challenger.
pub struct Challenger<R> {
    l1: Arc<RpcL1>,
    provider: DynProvider,
    txmgr: TxManager<RpcL1, Work>,
    outputs: NodeOutputs,
    recordings: R,
    config: ChallengerConfig,
    metrics: Arc<Metrics>,
    /// Each game's trace (its recordings and VM states are kept between rounds).
    traces: HashMap<Address, Trace<R>>,
    /// Resolved games with nothing left for us to claim.
    done: HashSet<Address>,
    /// Games refused for good (another program, a broken game), with why, logged once.
    refused: HashMap<Address, String>,
}

fn l1(what: &str, err: impl std::fmt::Display) -> ChallengerError {
    ChallengerError::L1(format!("{what}: {err}"))
}

impl<R: RecordingSource + Clone> Challenger<R> {
    /// A challenger for `config`; checks, before anything is sent, that the factory is a
    /// contract, our node is the L2 the games are for, and the key can be used.
    pub async fn connect(
        config: ChallengerConfig,
        recordings: R,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        let rpc = Arc::new(RpcL1::new(&config.l1_rpc_url)?);
        let chain_id = rpc.chain_id().await?;
        let parsed = config
            .l1_rpc_url
            .parse()
            .map_err(|e| ChallengerError::Config(format!("L1 RPC URL: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(parsed).erased();
        if provider
            .get_code_at(config.factory)
            .await
            .map_err(|e| l1("eth_getCode", e))?
            .is_empty()
        {
            return Err(ChallengerError::Config(format!(
                "no contract at {} on L1 chain {chain_id}: pass the DisputeGameFactory's address",
                config.factory
            )));
        }
        let outputs = NodeOutputs::new(&config.l2_rpc_url)?;
        outputs.chain_id().await?;
        let mut txmgr = TxManager::new(
            rpc.clone(),
            config.signer.clone(),
            TxManagerConfig {
                role: "challenger",
                chain_id,
                confirmations: config.confirmations.max(1),
                resubmit_timeout: config.resubmit_timeout,
                min_balance: config.min_balance,
                min_tip: 0,
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
            outputs,
            recordings,
            config,
            metrics,
            traces: HashMap::new(),
            done: HashSet::new(),
            refused: HashMap::new(),
        })
    }

    /// The challenger's L1 account.
    pub fn address(&self) -> Address {
        self.txmgr.address()
    }

    /// One round.
    pub async fn step(&mut self) -> Result<Round> {
        for event in self.txmgr.tick().await? {
            self.on_event(event).await?;
        }
        if self.txmgr.in_flight() > 0 || self.txmgr.queued() > 0 {
            return Ok(Round::Waiting);
        }
        // A transaction of an earlier run still pending: what it does is not on L1 yet, so
        // nothing is worked out from L1 until it lands.
        let address = self.address();
        if self.l1.nonce(address, true).await? > self.l1.nonce(address, false).await? {
            debug!(target: "challenger", "waiting for a pending transaction of an earlier run");
            return Ok(Round::Waiting);
        }
        self.txmgr.sync_nonce().await?;
        self.outputs.refresh().await?;
        let now = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| l1("eth_getBlockByNumber", e))?
            .ok_or_else(|| l1("eth_getBlockByNumber", "no latest block"))?
            .header
            .timestamp;
        let provider = self.provider.clone();
        let factory = DisputeGameFactory::new(self.config.factory, &provider);
        let count = factory
            .gameCount()
            .call()
            .await
            .map_err(|e| l1("gameCount", e))?;
        let count = u64::try_from(count).map_err(|_| l1("gameCount", "too large"))?;
        // Every game's owed transactions; at most `max_games` games with moves owed are worked
        // out per round (their VM runs are the cost), oldest first.
        let mut playing = 0usize;
        let mut skipped = 0u64;
        let mut candidates = Vec::new();
        for index in 0..count {
            let g = factory
                .gameAtIndex(U256::from(index))
                .call()
                .await
                .map_err(|e| l1("gameAtIndex", e))?;
            let game = g.proxy;
            if g.gameType != self.config.game_type
                || self.done.contains(&game)
                || self.refused.contains_key(&game)
            {
                continue;
            }
            let status = FaultDisputeGame::new(game, &provider)
                .status()
                .call()
                .await
                .map_err(|e| l1("status", e))?;
            if status != 0 {
                self.traces.remove(&game);
                candidates.extend(self.credit(game).await?);
                continue;
            }
            if playing >= self.config.max_games {
                skipped += 1;
                continue;
            }
            match self.play(game, now).await {
                Ok(owed) => {
                    if owed.iter().any(|c| c.class == 0) {
                        playing += 1;
                    }
                    candidates.extend(owed);
                }
                Err(err @ ChallengerError::L1(_)) => return Err(err),
                Err(err) => {
                    // The node is behind or a VM run failed: this game waits, others go on.
                    warn!(target: "challenger", %game, %err, "cannot play this game now");
                }
            }
        }
        self.set_gauges(playing, skipped);
        // Moves before resolutions before credits; within each, the clock nearest its end.
        candidates.sort_by_key(|c| (c.class, c.seconds_left));
        for c in candidates {
            if self.send(c.work.clone(), c.to, c.data, c.value).await? {
                return Ok(Round::Sent(c.work));
            }
        }
        Ok(Round::Idle { games: playing })
    }

    fn set_gauges(&self, playing: usize, skipped: u64) {
        self.metrics
            .games_in_progress
            .store(playing as u64, Ordering::Relaxed);
        self.metrics
            .games_over_limit
            .store(skipped, Ordering::Relaxed);
    }

    async fn on_event(&mut self, event: TxEvent<Work>) -> Result<()> {
        match &event {
            TxEvent::Confirmed {
                tag, block_number, ..
            } => {
                let counter = match tag {
                    Work::Move { .. } => &self.metrics.moves,
                    Work::Preimage { .. } => &self.metrics.preimages_loaded,
                    Work::Step { .. } => &self.metrics.steps,
                    Work::ResolveClaim { .. } | Work::Resolve { .. } => &self.metrics.resolutions,
                    Work::ClaimCredit { .. } => &self.metrics.credits_claimed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                info!(target: "challenger", work = ?tag, l1_block = block_number, "confirmed");
            }
            other => {
                // Reorged away or lost: L1 says what is left to do next round.
                warn!(target: "challenger", event = ?other, "transaction did not land; reading L1 again");
                self.txmgr.reset().await?;
            }
        }
        Ok(())
    }

    /// Estimates `data` to `to` with `value` and queues it; a call L1 would revert is not sent
    /// (false).
    async fn send(&mut self, work: Work, to: Address, data: Bytes, value: U256) -> Result<bool> {
        let gas = match self
            .l1
            .estimate_gas_with_value(self.address(), to, data.clone(), value)
            .await
        {
            Ok(gas) => gas,
            Err(err) => {
                debug!(target: "challenger", ?work, %err, "L1 would revert this; not sent");
                return Ok(false);
            }
        };
        info!(target: "challenger", game = %work.game(), ?work, %value, "sending");
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

    /// Every transaction owed in a game in progress: honest moves and steps (a step's
    /// preimage part first, if the oracle lacks it), and the next resolution.
    async fn play(&mut self, game: Address, now: u64) -> Result<Vec<Candidate>> {
        let state = read_game(&self.provider, game).await?;
        if !self.traces.contains_key(&game) {
            let inputs = match GameInputs::read(&self.provider, game, self.config.prestate).await {
                Ok(inputs) => inputs,
                Err(err @ ChallengerError::WrongPrestate { .. }) => {
                    warn!(target: "challenger", %game, %err, "refusing this game");
                    self.refused.insert(game, err.to_string());
                    return Ok(Vec::new());
                }
                Err(err) => return Err(err),
            };
            let trace = VmTrace::new(
                &self.config.elf,
                inputs,
                self.outputs.clone(),
                self.recordings.clone(),
            );
            self.traces.insert(game, trace);
        }
        let trace = self
            .traces
            .get_mut(&game)
            .ok_or_else(|| ChallengerError::Trace("the game's trace went missing".into()))?;
        let runs = trace.vm_runs();
        let actions = tokio::task::block_in_place(|| honest_actions(&state, trace));
        self.metrics
            .vm_runs
            .fetch_add(trace.vm_runs() - runs, Ordering::Relaxed);
        let actions = actions?;
        let contract = FaultDisputeGame::new(game, &self.provider);
        let mut owed = Vec::new();
        for action in actions {
            match action {
                Action::Move {
                    parent,
                    disputed,
                    value,
                    attack,
                    position,
                } => {
                    let used = state.challenger_duration(parent, now)?;
                    if used >= state.max_clock_duration {
                        continue;
                    }
                    let bond = contract
                        .getRequiredBond(position.0)
                        .call()
                        .await
                        .map_err(|e| l1("getRequiredBond", e))?;
                    let data = FaultDisputeGame::moveCall {
                        disputed,
                        challengeIndex: U256::from(parent),
                        claim: value,
                        isAttack: attack,
                    }
                    .abi_encode();
                    let work = Work::Move {
                        game,
                        parent,
                        attack,
                    };
                    owed.push(Candidate::new(
                        0,
                        state.max_clock_duration - used,
                        work,
                        game,
                        data.into(),
                        bond,
                    ));
                }
                Action::Step {
                    claim,
                    attack,
                    subgame,
                    pre_index,
                } => {
                    let used = state.challenger_duration(claim, now)?;
                    // Out of time, or its subgame already resolved: the game refuses the step.
                    if used >= state.max_clock_duration
                        || contract
                            .resolvedSubgames(U256::from(claim))
                            .call()
                            .await
                            .map_err(|e| l1("resolvedSubgames", e))?
                    {
                        continue;
                    }
                    let trace = self.traces.get_mut(&game).ok_or_else(|| {
                        ChallengerError::Trace("the game's trace went missing".into())
                    })?;
                    let data =
                        tokio::task::block_in_place(|| trace.step_data(&subgame, pre_index))?;
                    self.metrics.vm_runs.fetch_add(1, Ordering::Relaxed);
                    let left = state.max_clock_duration - used;
                    if let Some(witness) = &data.preimage
                        && let Some((work, to, call)) =
                            self.preimage_load(game, claim, &subgame, witness).await?
                    {
                        owed.push(Candidate::new(0, left, work, to, call, U256::ZERO));
                        continue;
                    }
                    let call = FaultDisputeGame::stepCall {
                        claimIndex: U256::from(claim),
                        isAttack: attack,
                        stateData: data.state,
                        proof: data.proof,
                    }
                    .abi_encode();
                    owed.push(Candidate::new(
                        0,
                        left,
                        Work::Step { game, claim },
                        game,
                        call.into(),
                        U256::ZERO,
                    ));
                }
            }
        }
        owed.extend(self.resolution(game, &state, now).await?);
        Ok(owed)
    }

    /// The transaction loading the preimage part a step reads, unless the oracle has it.
    async fn preimage_load(
        &self,
        game: Address,
        claim: usize,
        subgame: &crate::Subgame,
        witness: &sprout_fault_proof_vm::PreimageWitness,
    ) -> Result<Option<(Work, Address, Bytes)>> {
        let contract = FaultDisputeGame::new(game, &self.provider);
        let vm = contract.vm().call().await.map_err(|e| l1("vm", e))?;
        let oracle_address = sprout_contracts::RISCV::new(vm, &self.provider)
            .oracle()
            .call()
            .await
            .map_err(|e| l1("oracle", e))?;
        let oracle = PreimageOracle::new(oracle_address, &self.provider);
        let key = witness.key;
        let offset = U256::from(witness.offset);
        let work = Work::Preimage { game, key };
        match key[0] {
            1 => {
                let localized = oracle
                    .localize(key, game, subgame.local_context())
                    .call()
                    .await
                    .map_err(|e| l1("localize", e))?;
                if self.part_ok(&oracle, localized, offset).await? {
                    return Ok(None);
                }
                let mut ident = key;
                ident.0[0] = 0;
                let call = FaultDisputeGame::addLocalDataCall {
                    ident: U256::from_be_bytes(ident.0),
                    execLeafIdx: U256::from(claim),
                    partOffset: offset,
                }
                .abi_encode();
                Ok(Some((work, game, call.into())))
            }
            2 => {
                if self.part_ok(&oracle, key, offset).await? {
                    return Ok(None);
                }
                let preimage = witness.data.clone();
                let call = PreimageOracle::loadKeccak256PreimagePartCall {
                    partOffset: offset,
                    preimage,
                }
                .abi_encode();
                Ok(Some((work, oracle_address, call.into())))
            }
            other => Err(ChallengerError::Trace(format!(
                "the step reads a preimage of key type {other}, which this challenger cannot load"
            ))),
        }
    }

    async fn part_ok(
        &self,
        oracle: &PreimageOracle::PreimageOracleInstance<&DynProvider>,
        key: B256,
        offset: U256,
    ) -> Result<bool> {
        oracle
            .preimagePartOk(key, offset)
            .call()
            .await
            .map_err(|e| l1("preimagePartOk", e))
    }

    /// The next resolution step of a game no one owes a move in: a subgame whose clock ran
    /// out (children first), then the game.
    async fn resolution(
        &self,
        game: Address,
        state: &crate::Game,
        now: u64,
    ) -> Result<Option<Candidate>> {
        let contract = FaultDisputeGame::new(game, &self.provider);
        let mut unresolved = Vec::with_capacity(state.claims.len());
        for i in 0..state.claims.len() {
            let done = contract
                .resolvedSubgames(U256::from(i))
                .call()
                .await
                .map_err(|e| l1("resolvedSubgames", e))?;
            unresolved.push(!done);
        }
        if unresolved.first() == Some(&false) {
            let data = FaultDisputeGame::resolveCall {}.abi_encode();
            return Ok(Some(Candidate::new(
                1,
                u64::MAX,
                Work::Resolve { game },
                game,
                data.into(),
                U256::ZERO,
            )));
        }
        let Some(&claim) = state.resolvable(now, &unresolved)?.first() else {
            return Ok(None);
        };
        let data = FaultDisputeGame::resolveClaimCall {
            claimIndex: U256::from(claim),
            numToResolve: U256::ZERO,
        }
        .abi_encode();
        Ok(Some(Candidate::new(
            1,
            u64::MAX,
            Work::ResolveClaim { game, claim },
            game,
            data.into(),
            U256::ZERO,
        )))
    }

    /// `claimCredit(us)` of a resolved game once the registry deems it final. A game whose
    /// bond distribution is decided (NORMAL or REFUND) with nothing left for us is not looked
    /// at again; before that, a guardian's blacklisting may still turn a refund our way.
    async fn credit(&mut self, game: Address) -> Result<Option<Candidate>> {
        let us = self.address();
        let contract = FaultDisputeGame::new(game, &self.provider);
        let credit = contract
            .credit(us)
            .call()
            .await
            .map_err(|e| l1("credit", e))?;
        if credit.is_zero() || !self.config.claim_credits {
            let mode = contract
                .bondDistributionMode()
                .call()
                .await
                .map_err(|e| l1("bondDistributionMode", e))?;
            if mode != 0 || !self.config.claim_credits {
                self.done.insert(game);
            }
            return Ok(None);
        }
        let registry = contract
            .anchorStateRegistry()
            .call()
            .await
            .map_err(|e| l1("anchorStateRegistry", e))?;
        let finalized = AnchorStateRegistry::new(registry, &self.provider)
            .isGameFinalized(game)
            .call()
            .await
            .map_err(|e| l1("isGameFinalized", e))?;
        if !finalized {
            return Ok(None);
        }
        let data = FaultDisputeGame::claimCreditCall { recipient: us }.abi_encode();
        Ok(Some(Candidate::new(
            2,
            u64::MAX,
            Work::ClaimCredit { game },
            game,
            data.into(),
            U256::ZERO,
        )))
    }
}

/// Runs the challenger until `shutdown`: L1 or the node not answering is retried each poll
/// interval; a wrong factory, chain or key fails at once.
pub async fn run<R: RecordingSource + Clone>(
    config: ChallengerConfig,
    recordings: R,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    tokio::pin!(shutdown);
    let mut challenger = loop {
        match Challenger::connect(config.clone(), recordings.clone(), metrics.clone()).await {
            Ok(c) => break c,
            Err(
                err @ (ChallengerError::L1(_) | ChallengerError::L2(_) | ChallengerError::TxMgr(_)),
            ) => {
                warn!(target: "challenger", %err, "cannot reach L1 or the node yet; retrying");
            }
            Err(err) => return Err(err),
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    };
    info!(target: "challenger", address = %challenger.address(), factory = %config.factory,
        game_type = config.game_type, "challenger starting");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            result = challenger.step() => match result {
                // More may be owed at once: go again without waiting for the interval.
                Ok(Round::Sent(_)) => continue,
                Ok(_) => {}
                Err(err) => warn!(target: "challenger", %err, "challenger round failed; retrying"),
            },
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    info!(target: "challenger", "challenger stopped");
    Ok(())
}
