//! Integration tests: a real `sprout node --dev` process on a free port, driven by real clients
//! (cast, alloy, raw HTTP and WebSocket).

/// A real anvil L1, shared with the contracts crate's tests.
#[path = "../../../contracts/bindings/tests/it/anvil.rs"]
mod anvil;
mod bad_input;
mod bridge;
mod catchup;
mod challenger;
mod crash;
mod derivation;
mod devnet;
mod fp;
mod gossip;
mod harness;
mod l1;
mod lying_l1;
mod pool_errors;
mod proposer;
mod prune;
mod rollup;
mod rollupnet;
mod rpc;
mod tools;
mod updevnet;
mod viem;
mod vm;
