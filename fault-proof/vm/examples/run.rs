//! Runs an ELF and prints the run report as JSON: `cargo run --release -p sprout-fault-proof-vm
//! --example run -- ELF [--witness STEP]`. A preview of `sprout vm run` / `sprout vm witness`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: run ELF [--witness STEP]")?);
    match (args.next().as_deref(), args.next()) {
        (Some("--witness"), Some(step)) => {
            let w = sprout_fault_proof_vm::witness(&path, step.parse()?)?;
            println!("{}", serde_json::to_string_pretty(&w)?);
        }
        (None, _) => {
            let r = sprout_fault_proof_vm::run_elf(&path)?;
            println!(
                "{{\"status\":{:?},\"exitCode\":{},\"steps\":{},\"stepsPerSec\":{:.0},\"stdoutBytes\":{}}}",
                format!("{:?}", r.status),
                r.exit_code,
                r.steps,
                r.steps_per_sec,
                r.stdout.len()
            );
        }
        _ => return Err("usage: run ELF [--witness STEP]".into()),
    }
    Ok(())
}
