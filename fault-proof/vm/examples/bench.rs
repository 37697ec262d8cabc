//! Benchmark figures for the README (not pass/fail): `cargo run --release -p
//! sprout-fault-proof-vm --example bench -- ELF`. Prints steps/s of a plain run, the cost of a
//! witness for the last step, and the Merkle root time for 100 MB of touched memory.

use std::{path::PathBuf, time::Instant};

use sprout_fault_proof_vm::{Memory, NoOracle, Vm, run::load_elf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(std::env::args().nth(1).ok_or("usage: bench ELF")?);
    let elf = load_elf(&path)?;

    let mut vm = Vm::new(&elf, NoOracle);
    let t = Instant::now();
    vm.run(None)?;
    let secs = t.elapsed().as_secs_f64();
    let steps = vm.state.step;
    println!(
        "plain run: {steps} steps in {secs:.2} s = {:.1} M steps/s",
        steps as f64 / secs / 1e6
    );

    let t = Instant::now();
    let mut vm = Vm::new(&elf, NoOracle);
    vm.run(Some(steps - 1))?;
    let run_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let w = vm.step_with_witness()?;
    println!(
        "witness of step {}: run-up {run_secs:.2} s, witness {:.3} s, {} proofs",
        w.step,
        t.elapsed().as_secs_f64(),
        w.proofs.len()
    );

    let mut mem = Memory::new();
    let chunk = vec![0xa5u8; 1 << 20];
    for i in 0..100u64 {
        mem.write_bytes(0x1000_0000 + i * (1 << 20), &chunk);
    }
    let t = Instant::now();
    let root = mem.root();
    let full = t.elapsed().as_secs_f64();
    mem.write_bytes(0x1000_0000 + 50 * (1 << 20), b"one dirty page");
    let t = Instant::now();
    let _ = mem.root();
    println!(
        "merkle root of 100 MiB ({} pages): {full:.2} s; after one write: {:.4} s; root {root}",
        mem.page_count(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
