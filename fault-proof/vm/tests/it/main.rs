//! Integration tests of the fault-proof VM: decoding tables, the test programs against qemu,
//! step witnesses, and no-panic properties on random input.

mod decode;
mod execute;
mod fuzz;
mod programs;
mod witness;

use std::path::PathBuf;

/// The path of a test program's ELF; fails with what to run if it has not been built.
pub fn program(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../programs/target/riscv64imac-unknown-none-elf/release")
        .join(name);
    assert!(
        path.is_file(),
        "test program {} is missing: run fault-proof/programs/build.sh first \
         (needs `rustup target add riscv64imac-unknown-none-elf`)",
        path.display()
    );
    path
}
