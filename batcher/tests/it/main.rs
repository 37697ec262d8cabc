//! Integration tests: the batcher against a real anvil L1, with a sequencer double.

/// A real anvil L1, shared with the contracts crate's tests.
#[path = "../../../contracts/bindings/tests/it/anvil.rs"]
#[allow(dead_code)]
mod anvil;
mod harness;
mod l2_rpc;
mod pipeline;
mod restart;
mod txmgr;
