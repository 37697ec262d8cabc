//! `sprout vm`: runs a RISC-V (rv64imac) program in the fault-proof VM, or prints the witness of
//! one of its steps.

use std::{io::Write as _, path::PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use sprout_fault_proof_vm::{MapOracle, run_elf_with, witness_with};

use crate::{NodeError, Result};

/// `sprout vm` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum VmCommand {
    /// Run a program to its end: prints the exit status, the step count and steps/s.
    Run(VmRunArgs),
    /// Print the pre-state and proofs of step N as JSON, for a challenger or a person to replay.
    Witness(VmWitnessArgs),
}

/// `sprout vm` arguments.
#[derive(Debug, Clone, Args)]
pub struct VmArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: VmCommand,
}

/// Preimages a program may read through the oracle.
#[derive(Debug, Clone, Args)]
pub struct Preimages {
    /// A file whose bytes the oracle serves under their keccak256 key (repeatable).
    #[arg(long = "preimage")]
    pub files: Vec<PathBuf>,
}

impl Preimages {
    fn oracle(&self) -> Result<MapOracle> {
        let mut oracle = MapOracle::new();
        for path in &self.files {
            let data = std::fs::read(path).map_err(|e| {
                NodeError::Config(format!("cannot read preimage {}: {e}", path.display()))
            })?;
            oracle.insert_keccak256(&data);
        }
        Ok(oracle)
    }
}

/// `sprout vm run` arguments.
#[derive(Debug, Clone, Args)]
pub struct VmRunArgs {
    /// A static riscv64 ELF executable.
    pub elf: PathBuf,
    /// Stop after this many steps if the program has not exited.
    #[arg(long = "max-steps")]
    pub max_steps: Option<u64>,
    #[command(flatten)]
    pub preimages: Preimages,
    /// Print one JSON object (the program's stdout is then not echoed).
    #[arg(long)]
    pub json: bool,
}

/// `sprout vm witness` arguments.
#[derive(Debug, Clone, Args)]
pub struct VmWitnessArgs {
    /// A static riscv64 ELF executable.
    pub elf: PathBuf,
    /// The step to prove, counted from 0.
    #[arg(long)]
    pub step: u64,
    #[command(flatten)]
    pub preimages: Preimages,
}

fn vm_error(err: sprout_fault_proof_vm::Error) -> NodeError {
    NodeError::Config(err.to_string())
}

/// Runs `sprout vm`. Returns whether the program exited with 0 (`run`) or the witness was
/// produced.
pub fn run(args: VmArgs) -> Result<bool> {
    match args.command {
        VmCommand::Run(args) => {
            let report = run_elf_with(&args.elf, args.preimages.oracle()?, args.max_steps)
                .map_err(vm_error)?;
            let summary = json!({
                "status": format!("{:?}", report.status),
                "exitCode": report.exit_code,
                "panic": report.panic,
                "steps": report.steps,
                "stepsPerSec": report.steps_per_sec.round(),
                "stateHash": report.state_hash,
                "stdout": String::from_utf8_lossy(&report.stdout),
                "stderr": String::from_utf8_lossy(&report.stderr),
            });
            if args.json {
                println!("{summary}");
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(&report.stdout)?;
                out.flush()?;
                std::io::stderr().write_all(&report.stderr)?;
                eprintln!(
                    "status {:?} (exit code {}){} after {} steps, {:.1} M steps/s; state {}",
                    report.status,
                    report.exit_code,
                    report
                        .panic
                        .as_deref()
                        .map(|p| format!(": {p}"))
                        .unwrap_or_default(),
                    report.steps,
                    report.steps_per_sec / 1e6,
                    report.state_hash
                );
            }
            Ok(report.exit_code == 0)
        }
        VmCommand::Witness(args) => {
            let witness =
                witness_with(&args.elf, args.preimages.oracle()?, args.step).map_err(vm_error)?;
            println!("{}", serde_json::to_string_pretty(&witness)?);
            Ok(true)
        }
    }
}
