#![doc = include_str!("../README.md")]

mod driver;
mod error;
mod game;
mod l1;
mod list;
mod metrics;
mod outputs;
mod position;
mod solver;
mod vm_trace;

pub use driver::{Challenger, ChallengerConfig, Round, Work, run};
pub use error::{ChallengerError, Result};
pub use game::{Anchor, Claim, Game, Subgame};
pub use l1::read_game;
pub use list::{CreditSummary, GameSummary, list_credits, list_games, status_name};
pub use metrics::Metrics;
pub use outputs::NodeOutputs;
pub use position::Position;
pub use solver::{Action, TraceProvider, honest_actions, our_value};
pub use vm_trace::{GameInputs, OutputSource, RecordingSource, VmTrace};

#[cfg(test)]
mod tests;
