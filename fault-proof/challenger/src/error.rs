//! The crate's one error type.

use crate::Position;

/// What can go wrong while working out a game's honest moves.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// A claim index that the game does not have (the game's claim data is inconsistent).
    #[error("the game has no claim {0}")]
    NoSuchClaim(usize),
    /// The walk to a trace ancestor left the game's DAG: a move the contract would refuse.
    #[error("no claim in the game commits to the trace index of position {}", .0.0)]
    NoTraceAncestor(Position),
    /// An execution subgame was asked of a position at or above the split depth.
    #[error("position {} is not below the split depth", .0.0)]
    AboveSplit(Position),
    /// Reading the game from L1 failed, or L1 answered something a game cannot hold.
    #[error("L1: {0}")]
    L1(String),
    /// The trace provider could not give a value (the node is behind, a VM run failed, …).
    #[error("trace: {0}")]
    Trace(String),
    /// The game commits to another program than ours: none of our steps could succeed.
    #[error(
        "game {game} commits to the absolute prestate {theirs}, our program's is {ours}: run the program the game was deployed for"
    )]
    WrongPrestate {
        /// The game.
        game: alloy_primitives::Address,
        /// Its `absolutePrestate()`.
        theirs: alloy_primitives::B256,
        /// Our ELF's.
        ours: alloy_primitives::B256,
    },
    /// Our L2 node did not answer, or answered something unusable.
    #[error("L2 node: {0}")]
    L2(String),
    /// A setting that cannot work (a bad URL, the wrong chain).
    #[error("config: {0}")]
    Config(String),
    /// The transaction manager failed (L1 unreachable, signing).
    #[error(transparent)]
    TxMgr(#[from] sprout_txmgr::TxMgrError),
}

/// Result with [`ChallengerError`].
pub type Result<T, E = ChallengerError> = core::result::Result<T, E>;
