#![doc = include_str!("../README.md")]
//!
//! # Map
//!
//! - [`bridge`]: ETH between L1 and a Sprout L2. [`bridge::config`] finds the chain's
//!   addresses and the signing key; one file per job after that: `deposit`, `withdraw`,
//!   `status`, `prove`, `finalize`; `rpc` holds the receipt and revert-reason plumbing and
//!   `units` the ETH amounts and UTC times of messages.
//! - [`error`]: the crate's one error type, [`AgentError`].

pub mod bridge;
pub mod error;

pub use error::{AgentError, Layer, Result};
