#![doc = include_str!("../README.md")]
//!
//! ## Map of the crate
//! - [`elf`]: the static ELF64 loader.
//! - [`decode`]: RV64IMAC decoding, compressed forms expanded.
//! - [`vm`]: the [`Vm`]: fetch, execute, memory access rules.
//! - [`syscall`]: the Linux syscall subset and the fd layout.
//! - [`memory`]: sparse paged memory and its lazily hashed Merkle tree.
//! - [`state`]: the [`State`], its encoding and hash.
//! - [`oracle`]: the [`PreimageOracle`] trait and keys.
//! - [`witness`]: [`StepWitness`].
//! - [`verify`]: [`verify_step`], the stateless reference model of the on-chain step.
//! - [`run`]: [`run_elf`] and [`witness`](run::witness) for the CLI.

pub mod decode;
pub mod elf;
mod error;
pub mod memory;
pub mod oracle;
pub mod run;
pub mod state;
pub mod syscall;
pub mod verify;
pub mod vm;
pub mod witness;

pub use error::{Error, Result};
pub use memory::{LeafProof, Memory};
pub use oracle::{MapOracle, NoOracle, PreimageOracle, keccak256_key, local_key};
pub use run::{RunReport, run_elf, run_elf_with, witness, witness_with};
pub use state::{STATE_LEN, State, Status, state_hash};
pub use verify::verify_step;
pub use vm::Vm;
pub use witness::{PreimageWitness, StepWitness};
