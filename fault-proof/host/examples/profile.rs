//! Where the fault-proof program's VM steps go. Replays a recording (`sprout fp prove --record
//! DIR`) in the VM on an ELF built with its symbols, counts steps per function (symbols from
//! `nm`), and prints the heaviest functions and crates.
//!
//! ```sh
//! RUSTFLAGS="-C debuginfo=0" cargo build -p sprout-fp-program --bin sprout-fp-program \
//!     --release --target riscv64imac-unknown-none-elf --target-dir /tmp/fp-symbols
//! cargo run --release -p sprout-fp-host --example profile -- \
//!     /tmp/fp-symbols/riscv64imac-unknown-none-elf/release/sprout-fp-program DIR
//! ```

use std::{collections::HashMap, path::PathBuf, process::Command};

use sprout_fp_host::{Replay, pc_histogram, read_recording};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(elf), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: profile ELF RECORDING_DIR".into());
    };
    let (elf, dir) = (PathBuf::from(elf), PathBuf::from(dir));
    let recording = read_recording(&dir)?;
    let counts = pc_histogram(&elf, Replay::new(&recording))?;
    let total: u64 = counts.values().sum();

    // Function start addresses, sorted, from the ELF's symbol table.
    let nm = Command::new("nm")
        .args(["--defined-only", "-C"])
        .arg(&elf)
        .output()?;
    let mut symbols: Vec<(u64, String)> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
            let kind = parts.next()?;
            let name = parts.next()?;
            // Assembler-local labels (`.L…`) are not functions.
            (matches!(kind, "T" | "t" | "W" | "w") && !name.starts_with(".L"))
                .then(|| (addr, name.to_string()))
        })
        .collect();
    symbols.sort();
    let function = |pc: u64| -> &str {
        match symbols.partition_point(|(addr, _)| *addr <= pc) {
            0 => "?",
            i => &symbols[i - 1].1,
        }
    };
    let mut by_function: HashMap<&str, u64> = HashMap::new();
    for (&pc, &n) in &counts {
        *by_function.entry(function(pc)).or_default() += n;
    }
    let mut by_crate: HashMap<String, u64> = HashMap::new();
    for (name, &n) in &by_function {
        let name = name.trim_start_matches(['<', '&', '*', ' ']);
        let krate = name.split("::").next().unwrap_or(name).to_string();
        *by_crate.entry(krate).or_default() += n;
    }
    let share = |n: u64| 100.0 * n as f64 / total as f64;
    println!("{total} steps");
    println!("\nby crate:");
    let mut crates: Vec<_> = by_crate.into_iter().collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (name, n) in crates.iter().take(15) {
        println!("{:6.2}%  {n:>12}  {name}", share(*n));
    }
    println!("\nby function:");
    let mut functions: Vec<_> = by_function.into_iter().collect();
    functions.sort_by_key(|f| std::cmp::Reverse(f.1));
    for (name, n) in functions.iter().take(25) {
        let short: String = name.chars().take(110).collect();
        println!("{:6.2}%  {n:>12}  {short}", share(*n));
    }
    Ok(())
}
