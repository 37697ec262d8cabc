//! The fault-proof program as the VM runs it: `riscv64imac-unknown-none-elf`, reading its oracle
//! through fds 3–6 and exiting 0 (valid), 1 (invalid) or, on any error or panic, 2.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod vm;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "sprout-fp-program runs inside the fault-proof VM (build it for riscv64imac-unknown-none-elf); on this machine, run it with `sprout fp prove --native`"
    );
    std::process::exit(2);
}
