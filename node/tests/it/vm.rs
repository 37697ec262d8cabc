//! `sprout vm run` and `sprout vm witness` on the fault-proof VM's test programs (built by
//! `fault-proof/programs/build.sh`, which `make test` runs first).

use std::{path::PathBuf, process::Command};

use serde_json::Value;
use sprout_fault_proof_vm::{StepWitness, verify_step};

fn program(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fault-proof/programs/target/riscv64imac-unknown-none-elf/release")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run fault-proof/programs/build.sh",
        path.display()
    );
    path
}

fn sprout(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(args)
        .output()
        .expect("run sprout")
}

#[test]
fn vm_run_reports_the_exit_and_steps_and_vm_witness_replays() {
    let alu = program("alu");
    let alu = alu.to_str().expect("path");
    let out = sprout(&["vm", "run", alu, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["exitCode"], 0);
    assert_eq!(report["status"], "Valid");
    let steps = report["steps"].as_u64().expect("steps");
    assert!(steps > 1_000, "{report}");
    assert!(report["stepsPerSec"].as_f64().unwrap_or_default() > 0.0);

    // A step in the middle, replayed from the printed witness alone.
    let step = (steps / 2).to_string();
    let out = sprout(&["vm", "witness", alu, "--step", &step]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let witness: StepWitness = serde_json::from_slice(&out.stdout).expect("witness json");
    assert_eq!(witness.step, steps / 2);
    assert_eq!(
        verify_step(&witness).expect("verifies"),
        witness.post_state_hash
    );

    // A panicking program exits non-zero, with the reason.
    let panic = program("panic");
    let out = sprout(&["vm", "run", panic.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exit code"));

    // A step past the end, and a file that is not an ELF, are clear errors.
    let out = sprout(&["vm", "witness", alu, "--step", "999999999999"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty());
    let out = sprout(&["vm", "run", env!("CARGO_MANIFEST_DIR")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
}
