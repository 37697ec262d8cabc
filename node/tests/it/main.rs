//! Integration tests: a real `sprout node --dev` process on a free port, driven by real clients
//! (cast, alloy, raw HTTP and WebSocket).

mod bad_input;
mod crash;
mod harness;
mod l1;
mod pool_errors;
mod rpc;
mod tools;
