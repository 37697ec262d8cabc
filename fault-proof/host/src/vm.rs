//! Running the program's ELF in the fault-proof VM, with any [`Oracle`] as the VM's preimage
//! oracle.

use std::{cell::RefCell, path::Path, time::Instant};

use alloy_primitives::{B256, Bytes};
use sprout_fault_proof_vm::{
    PreimageOracle, PreimageWitness, Status, Vm, run::load_elf, state_hash,
};
use sprout_fp_program::Oracle;

use crate::HostError;

/// The program's oracle as the VM's (which reads through `&self`): keys and hints pass
/// through, and the first failure is kept, to say why the VM stopped.
struct VmOracle<O> {
    inner: RefCell<O>,
    failure: RefCell<Option<String>>,
}

impl<O: Oracle> PreimageOracle for VmOracle<O> {
    fn get(&self, key: B256) -> sprout_fault_proof_vm::Result<Vec<u8>> {
        self.inner.borrow_mut().get(&key.0).map_err(|err| {
            self.failure.borrow_mut().get_or_insert(err);
            sprout_fault_proof_vm::Error::MissingPreimage(key)
        })
    }

    fn hint(&mut self, data: &[u8]) {
        let result = match std::str::from_utf8(data) {
            Ok(hint) => self.inner.get_mut().hint(hint),
            Err(_) => Err(format!("a hint that is not UTF-8: {data:?}")),
        };
        if let Err(err) = result {
            self.failure.get_mut().get_or_insert(err);
        }
    }
}

/// What a VM run of the program did.
#[derive(Debug)]
pub struct VmRun<O> {
    /// How the VM ended: exited with 0 (valid), 1 (invalid) or 2 (no verdict, or a VM panic).
    pub status: Status,
    /// The exit code.
    pub exit_code: u8,
    /// Steps executed.
    pub steps: u64,
    /// The final VM state hash.
    pub state_hash: B256,
    /// What the program wrote to stderr (why it reached no verdict).
    pub stderr: String,
    /// Wall time.
    pub seconds: f64,
    /// The oracle it read through.
    pub oracle: O,
}

/// The program ELF at `elf` loaded into a VM reading `oracle`.
fn load_vm<O: Oracle>(elf: &Path, oracle: O) -> Result<Vm<VmOracle<O>>, HostError> {
    let elf = load_elf(elf).map_err(|e| HostError::Source(format!("the program ELF: {e}")))?;
    Ok(Vm::new(
        &elf,
        VmOracle {
            inner: RefCell::new(oracle),
            failure: RefCell::new(None),
        },
    ))
}

/// The first `limit` steps (counted from 0: the instruction after that many steps) within the
/// first `max_steps` at which the program reads a preimage, with the key read: where a
/// dispute must end for its `step` to need a preimage part in the PreimageOracle. Witnesses
/// every step, so it is slow: for the start of a run.
pub fn preimage_reads<O: Oracle>(
    elf: &Path,
    oracle: O,
    max_steps: u64,
    limit: usize,
) -> Result<Vec<(u64, B256)>, HostError> {
    let mut vm = load_vm(elf, oracle)?;
    let mut out = Vec::new();
    while !vm.state.exited && vm.state.step < max_steps && out.len() < limit {
        let step = vm.state.step;
        let witness = vm
            .step_with_witness()
            .map_err(|e| HostError::Source(format!("the VM stopped at step {step}: {e}")))?;
        if let Some(p) = witness.preimage {
            out.push((step, p.key));
        }
    }
    Ok(out)
}

/// Runs the program ELF at `elf` in the VM against `oracle`, for at most `max_steps` steps.
pub fn run_in_vm<O: Oracle>(
    elf: &Path,
    oracle: O,
    max_steps: Option<u64>,
) -> Result<VmRun<O>, HostError> {
    let mut vm = load_vm(elf, oracle)?;
    let started = Instant::now();
    let result = vm.run(max_steps);
    let seconds = started.elapsed().as_secs_f64();
    let status = vm.status();
    let state_hash = vm.state_hash();
    let (steps, exit_code) = (vm.state.step, vm.state.exit_code);
    let stderr = String::from_utf8_lossy(&vm.stderr).into_owned();
    let oracle = vm.into_oracle();
    let failure = oracle.failure.into_inner();
    if let Err(err) = result {
        return Err(HostError::Source(match failure {
            Some(why) => format!("the VM stopped at step {steps}: {err} ({why})"),
            None => format!("the VM stopped at step {steps}: {err}"),
        }));
    }
    Ok(VmRun {
        status,
        exit_code,
        steps,
        state_hash,
        stderr,
        seconds,
        oracle: oracle.inner.into_inner(),
    })
}

/// Steps per program counter of a VM run of `elf` against `oracle`: where the steps go, for
/// a profile (the `profile` example maps them to functions). Slower than [`run_in_vm`].
pub fn pc_histogram<O: Oracle>(
    elf: &Path,
    oracle: O,
) -> Result<std::collections::HashMap<u64, u64>, HostError> {
    let mut vm = load_vm(elf, oracle)?;
    let mut counts = std::collections::HashMap::new();
    while !vm.state.exited {
        *counts.entry(vm.state.pc).or_insert(0u64) += 1;
        let next = vm.state.step + 1;
        vm.run(Some(next))
            .map_err(|e| HostError::Source(format!("the VM stopped: {e}")))?;
    }
    Ok(counts)
}

/// What `RISCV.step` needs to execute the instruction after `steps` steps of the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepData {
    /// The pre-state's 370-byte encoding (`stateData`).
    pub state: Bytes,
    /// The memory proofs of every leaf the step touches (`proof`); empty for an exited state,
    /// which steps to itself.
    pub proof: Bytes,
    /// The pre-state's hash.
    pub state_hash: B256,
    /// The hash after the step.
    pub post_state_hash: B256,
    /// The preimage the step reads, if it reads one: its part must be in the PreimageOracle.
    pub preimage: Option<PreimageWitness>,
}

/// The step data of the instruction after `steps` steps of the program ELF at `elf`, run
/// against `oracle`.
pub fn step_data<O: Oracle>(elf: &Path, oracle: O, steps: u64) -> Result<StepData, HostError> {
    let mut vm = load_vm(elf, oracle)?;
    if let Err(e) = vm.run(Some(steps)) {
        let why = vm.into_oracle().failure.into_inner();
        return Err(HostError::Source(match why {
            Some(why) => format!("the VM stopped before step {steps}: {e} ({why})"),
            None => format!("the VM stopped before step {steps}: {e}"),
        }));
    }
    if vm.state.exited {
        let state = vm.encode_state();
        let hash = state_hash(&state);
        return Ok(StepData {
            state: Bytes::copy_from_slice(&state),
            proof: Bytes::new(),
            state_hash: hash,
            post_state_hash: hash,
            preimage: None,
        });
    }
    let witness = vm
        .step_with_witness()
        .map_err(|e| HostError::Source(format!("the VM could not witness step {steps}: {e}")))?;
    Ok(StepData {
        proof: witness.proof_bytes().into(),
        state: witness.pre_state,
        state_hash: witness.pre_state_hash,
        post_state_hash: witness.post_state_hash,
        preimage: witness.preimage,
    })
}
