#![doc = include_str!("../README.md")]

pub mod blob;
pub mod error;
pub mod l1;
pub mod manager;
pub mod metrics;

#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use error::{Result, TxMgrError};
pub use l1::{Inclusion, L1Chain, L1Head, RpcL1, SendError};
pub use manager::{Fees, TxCandidate, TxEvent, TxManager, TxManagerConfig, calldata_gas_limit};
pub use metrics::TxMetrics;
