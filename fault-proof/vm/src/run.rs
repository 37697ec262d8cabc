//! Entry points for the CLI: run an ELF to completion, or produce the witness of one step.

use std::{path::Path, time::Instant};

use crate::{
    Error, NoOracle, PreimageOracle, Result, Status, StepWitness, Vm, elf::Elf, state::State,
};

/// The outcome of [`run_elf`].
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The VM status at the end.
    pub status: Status,
    /// The exit code (2 after a VM panic).
    pub exit_code: u8,
    /// Why the VM panicked, if it did.
    pub panic: Option<String>,
    /// Steps executed.
    pub steps: u64,
    /// Steps per second of wall-clock time.
    pub steps_per_sec: f64,
    /// Bytes written to stdout.
    pub stdout: Vec<u8>,
    /// Bytes written to stderr.
    pub stderr: Vec<u8>,
    /// The final state hash.
    pub state_hash: alloy_primitives::B256,
}

/// Reads and parses an ELF file.
pub fn load_elf(path: &Path) -> Result<Elf> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    Elf::parse(&bytes)
}

/// Runs the ELF at `path` without an oracle until it exits.
pub fn run_elf(path: &Path) -> Result<RunReport> {
    run_elf_with(path, NoOracle, None)
}

/// Runs the ELF at `path` with `oracle` until it exits or has run `max_steps` steps.
pub fn run_elf_with<O: PreimageOracle>(
    path: &Path,
    oracle: O,
    max_steps: Option<u64>,
) -> Result<RunReport> {
    let mut vm = Vm::new(&load_elf(path)?, oracle);
    let start = Instant::now();
    vm.run(max_steps)?;
    let secs = start.elapsed().as_secs_f64();
    let State {
        step, exit_code, ..
    } = vm.state;
    Ok(RunReport {
        status: vm.status(),
        exit_code,
        panic: vm.panic_reason.take(),
        steps: step,
        steps_per_sec: if secs > 0.0 { step as f64 / secs } else { 0.0 },
        state_hash: vm.state_hash(),
        stdout: std::mem::take(&mut vm.stdout),
        stderr: std::mem::take(&mut vm.stderr),
    })
}

/// The witness of step `step` of the ELF at `path`, run without an oracle.
pub fn witness(path: &Path, step: u64) -> Result<StepWitness> {
    witness_with(path, NoOracle, step)
}

/// The witness of step `step` of the ELF at `path`, run with `oracle`.
pub fn witness_with<O: PreimageOracle>(path: &Path, oracle: O, step: u64) -> Result<StepWitness> {
    let mut vm = Vm::new(&load_elf(path)?, oracle);
    vm.run(Some(step))?;
    if vm.state.exited {
        return Err(Error::StepOutOfRange {
            requested: step,
            exited_at: vm.state.step,
        });
    }
    vm.step_with_witness()
}
