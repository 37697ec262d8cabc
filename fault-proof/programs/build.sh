#!/bin/sh
# Builds the VM's test programs; the ELFs land in target/riscv64imac-unknown-none-elf/release/.
# Needs: rustup target add riscv64imac-unknown-none-elf
set -eu
cd "$(dirname "$0")"
# Always into programs/target, even when CARGO_TARGET_DIR points elsewhere (CI).
exec cargo build --release --target riscv64imac-unknown-none-elf --target-dir target "$@"
