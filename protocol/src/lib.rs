#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod batch;
pub mod block;
pub mod chain;
pub mod deposit;
pub mod derive;
pub mod error;
pub mod executor;
pub mod l1_block;
pub mod l1_info;
pub mod output;
pub mod receipt;
pub mod rollup;
pub mod state;
pub mod state_root;
pub mod system_config;
pub mod trie;
pub mod tx;

pub use block::{Block, BlockBody};
pub use chain::{ChainConfig, GenesisAccount, Hardfork};
pub use error::{ProtocolError, Result};
pub use executor::{BlockEnvInputs, ExecutedBlock, Executor};
pub use receipt::Receipt;
pub use state::{AccountState, StateChanges, StateReader};
pub use tx::{RecoveredTx, SproutTx, TxDeposit};
