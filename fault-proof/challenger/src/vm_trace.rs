//! The honest trace from the node's outputs and the fault-proof program run in the VM.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use alloy_primitives::B256;
use sprout_fp_host::{Recording, Replay, StepData, run_in_vm, step_data};
use sprout_fp_program::BootInfo;

use crate::{ChallengerError, Result, Subgame, TraceProvider};

/// Our node's output roots.
pub trait OutputSource {
    /// The output root of L2 block `block` (an error if the node has not derived it).
    fn output_root(&mut self, block: u64) -> Result<B256, String>;
}

/// Where a subgame's preimages come from: a host run of the program for `boot` (against the
/// node and L1), or a recording of one.
pub trait RecordingSource {
    /// Every preimage the program reads when booted with `boot`, whose agreed output is that
    /// of L2 block `agreed_block`.
    fn record(&mut self, boot: &BootInfo, agreed_block: u64) -> Result<Recording, String>;
}

/// The boot data a game gives every subgame (local keys 1, 5 and 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GameInputs {
    /// The game's `l1Head()`.
    pub l1_head: B256,
    /// The L2 chain id.
    pub chain_id: u64,
    /// The game's `programConfigHash()`.
    pub config_hash: B256,
}

impl GameInputs {
    /// A game's inputs as L1 has them, checked against our program: its absolute prestate must
    /// be `prestate`, the state hash our ELF starts from, or no step of ours could succeed.
    pub async fn read<P: alloy::providers::Provider>(
        provider: &P,
        game: alloy::primitives::Address,
        prestate: B256,
    ) -> Result<Self> {
        let g = sprout_contracts::FaultDisputeGame::new(game, provider);
        let l1 =
            |what: &str, e: alloy::contract::Error| ChallengerError::L1(format!("{what}: {e}"));
        let theirs = g
            .absolutePrestate()
            .call()
            .await
            .map_err(|e| l1("absolutePrestate", e))?;
        if theirs != prestate {
            return Err(ChallengerError::WrongPrestate {
                game,
                theirs,
                ours: prestate,
            });
        }
        let chain_id = g.l2ChainId().call().await.map_err(|e| l1("l2ChainId", e))?;
        Ok(Self {
            l1_head: g.l1Head().call().await.map_err(|e| l1("l1Head", e))?,
            chain_id: u64::try_from(chain_id)
                .map_err(|_| ChallengerError::L1(format!("chain id {chain_id} is too large")))?,
            config_hash: g
                .programConfigHash()
                .call()
                .await
                .map_err(|e| l1("programConfigHash", e))?,
        })
    }

    /// The program's boot data for `subgame`: the local data the game loads for it.
    pub fn boot(&self, subgame: &Subgame) -> BootInfo {
        BootInfo {
            l1_head: self.l1_head,
            agreed_output: subgame.starting.0,
            claimed_output: subgame.disputed.0,
            claimed_block: subgame.disputed_block,
            chain_id: self.chain_id,
            config_hash: self.config_hash,
        }
    }
}

/// A [`TraceProvider`] over a node's outputs and VM runs of the program ELF. Each subgame's
/// preimages are recorded once; each state is one VM run from the start (a run of the program
/// for an empty block is about 15 M steps), and is kept: a claim is looked at every round.
pub struct VmTrace<O, R> {
    elf: PathBuf,
    inputs: GameInputs,
    outputs: O,
    recordings: R,
    recorded: HashMap<Subgame, Recording>,
    states: HashMap<(Subgame, u128), B256>,
    runs: u64,
}

impl<O: OutputSource, R: RecordingSource> VmTrace<O, R> {
    /// A trace for one game.
    pub fn new(elf: &Path, inputs: GameInputs, outputs: O, recordings: R) -> Self {
        Self {
            elf: elf.to_path_buf(),
            inputs,
            outputs,
            recordings,
            recorded: HashMap::new(),
            states: HashMap::new(),
            runs: 0,
        }
    }

    /// VM runs made so far (state queries and step data).
    pub fn vm_runs(&self) -> u64 {
        self.runs
    }

    fn recording(&mut self, subgame: &Subgame) -> Result<&Recording> {
        let boot = self.inputs.boot(subgame);
        if !self.recorded.contains_key(subgame) {
            let recording = self
                .recordings
                .record(&boot, subgame.starting_block)
                .map_err(ChallengerError::Trace)?;
            if recording.boot != boot {
                return Err(ChallengerError::Trace(format!(
                    "the recording source answered for another boot: {:?}, asked {boot:?}",
                    recording.boot
                )));
            }
            self.recorded.insert(*subgame, recording);
        }
        self.recorded
            .get(subgame)
            .ok_or_else(|| ChallengerError::Trace("the recording went missing".into()))
    }
}

impl<O: OutputSource, R: RecordingSource> VmTrace<O, R> {
    /// What `step` needs from our state at `pre_index` of `subgame` (`None`: the absolute
    /// prestate), as an [`Action::Step`](crate::Action::Step) names it.
    pub fn step_data(&mut self, subgame: &Subgame, pre_index: Option<u128>) -> Result<StepData> {
        let steps = match pre_index {
            None => 0,
            Some(i) => u64::try_from(i + 1).map_err(|_| {
                ChallengerError::Trace(format!("trace index {i} is past 2^64 steps"))
            })?,
        };
        let elf = self.elf.clone();
        let replay = Replay::new(self.recording(subgame)?);
        self.runs += 1;
        step_data(&elf, replay, steps).map_err(|e| ChallengerError::Trace(e.to_string()))
    }
}

impl<O: OutputSource, R: RecordingSource> TraceProvider for VmTrace<O, R> {
    fn output(&mut self, block: u64) -> Result<B256> {
        self.outputs
            .output_root(block)
            .map_err(ChallengerError::Trace)
    }

    fn state(&mut self, subgame: &Subgame, index: u128) -> Result<B256> {
        if let Some(hash) = self.states.get(&(*subgame, index)) {
            return Ok(*hash);
        }
        let steps = u64::try_from(index + 1).map_err(|_| {
            ChallengerError::Trace(format!("trace index {index} is past 2^64 steps"))
        })?;
        let elf = self.elf.clone();
        let replay = Replay::new(self.recording(subgame)?);
        self.runs += 1;
        let run = run_in_vm(&elf, replay, Some(steps))
            .map_err(|e| ChallengerError::Trace(e.to_string()))?;
        self.states.insert((*subgame, index), run.state_hash);
        Ok(run.state_hash)
    }
}
