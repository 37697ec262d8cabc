#![doc = include_str!("../README.md")]

pub mod batcher_cli;
pub mod beacon;
pub mod blocktest;
pub mod bridge_cli;
pub mod chain;
pub mod challenger_cli;
pub mod cli;
pub mod db_cli;
pub mod derive;
pub mod dev;
pub mod error;
pub mod fp_cli;
pub mod gossip;
pub mod l1;
pub mod l1_prefetch;
pub mod metrics;
pub mod proposer_cli;
pub mod role_args;
pub mod rollup;
pub mod rpc_backend;
pub mod vm_cli;

pub use chain::Chain;
pub use error::{NodeError, Result};
pub use sprout_storage::Storage;
