#![doc = include_str!("../README.md")]

pub mod config;
pub mod driver;
pub mod error;
pub mod games;
pub mod l2;
pub mod metrics;
pub mod oracle;

use std::{future::Future, sync::Arc};

use tracing::{error, info, warn};

pub use config::{ProposalHead, ProposerConfig};
pub use driver::{Proposer, Step};
pub use error::{ProposerError, Result};
pub use games::{GameWork, GamesConfig, GamesProposer, GamesStep};
pub use metrics::Metrics;

/// Runs the proposer until `shutdown` completes.
///
/// Fails at once, before anything is sent, if L1 or the node is not the rollup's or the key is
/// not the oracle's proposer. After that, L1 and node errors (an outage, a verifier that
/// disagrees, a proposal L1 would revert) are logged and retried every poll interval.
pub async fn run(
    config: ProposerConfig,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    if let Some(games) = config.games {
        return run_games(config, games, metrics, shutdown).await;
    }
    tokio::pin!(shutdown);
    // L1 or a node not answering yet (they may start together) is retried; a wrong chain or
    // key is not.
    let mut proposer = loop {
        match Proposer::connect(&config, metrics.clone()).await {
            Ok(proposer) => break proposer,
            Err(err @ (ProposerError::L1(_) | ProposerError::L2 { .. })) => {
                warn!(target: "proposer", %err, "cannot reach L1 or the node yet; retrying");
            }
            Err(err) => return Err(err),
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    };
    info!(target: "proposer", address = %proposer.address(),
        oracle = %config.rollup.l2_output_oracle_address, head = ?config.head, "proposer starting");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            result = proposer.step() => match result {
                Ok(_) => {}
                Err(err @ ProposerError::OutputMismatch { .. }) => {
                    error!(target: "proposer", %err, "refusing to propose");
                }
                Err(err) => warn!(target: "proposer", %err, "proposer round failed; retrying"),
            },
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    info!(target: "proposer", "proposer stopped");
    Ok(())
}

/// [`run`] in games mode.
async fn run_games(
    config: ProposerConfig,
    games: GamesConfig,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    tokio::pin!(shutdown);
    let mut proposer = loop {
        match GamesProposer::connect(&config, games, metrics.clone()).await {
            Ok(proposer) => break proposer,
            Err(err @ (ProposerError::L1(_) | ProposerError::L2 { .. })) => {
                warn!(target: "proposer", %err, "cannot reach L1 or the node yet; retrying");
            }
            Err(err) => return Err(err),
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    };
    info!(target: "proposer", address = %proposer.address(), factory = %games.factory,
        game_type = games.game_type, interval = games.interval, head = ?config.head,
        "proposer starting in games mode");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            result = proposer.step() => match result {
                Ok(GamesStep::Sent(_)) => continue,
                Ok(_) => {}
                Err(err) => warn!(target: "proposer", %err, "proposer round failed; retrying"),
            },
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    info!(target: "proposer", "proposer stopped");
    Ok(())
}
