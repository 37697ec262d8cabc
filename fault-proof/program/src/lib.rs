#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

pub mod blob;
pub mod boot;
mod error;
pub mod l1;
pub mod l2;
pub mod oracle;
mod run;

pub use boot::{BootInfo, ProgramConfig};
pub use error::{ProgramError, Result};
pub use oracle::{Hint, Oracle, Preimages, blob_key, keccak_key, local_key, sha256_key};
pub use run::{Outcome, Verdict, run};
