//! What `sprout challenger list-games` and `list-credits` show: every game of a factory and
//! where it stands, and the bonds an address can claim.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use serde::Serialize;
use sprout_contracts::{DisputeGameFactory, FaultDisputeGame};

use crate::{ChallengerError, Result};

/// One game, as L1 has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GameSummary {
    /// Its index in the factory.
    pub index: u64,
    /// The game's address.
    pub address: Address,
    /// Its game type.
    pub game_type: u32,
    /// Who created it.
    pub creator: Address,
    /// The claimed output root.
    pub root_claim: B256,
    /// The L2 block it is claimed for.
    pub l2_block: u64,
    /// `IN_PROGRESS`, `CHALLENGER_WINS` or `DEFENDER_WINS`.
    pub status: &'static str,
    /// How many claims the game holds (1: unchallenged).
    pub claims: u64,
    /// L1 time of creation.
    pub created_at: u64,
    /// L1 time of resolution (0 while in progress).
    pub resolved_at: u64,
}

fn l1(what: &str, err: impl std::fmt::Display) -> ChallengerError {
    ChallengerError::L1(format!("{what}: {err}"))
}

/// The name of a `GameStatus`.
pub fn status_name(status: u8) -> &'static str {
    match status {
        0 => "IN_PROGRESS",
        1 => "CHALLENGER_WINS",
        2 => "DEFENDER_WINS",
        _ => "UNKNOWN",
    }
}

/// The factory's newest `limit` games, newest first, with their indices; an address without
/// code is an error, not an empty list.
async fn newest_games<P: Provider>(
    provider: &P,
    factory: Address,
    limit: u64,
) -> Result<
    Vec<(
        u64,
        sprout_contracts::dispute_game_factory::DisputeGameFactory::gameAtIndexReturn,
    )>,
> {
    if provider
        .get_code_at(factory)
        .await
        .map_err(|e| l1("eth_getCode", e))?
        .is_empty()
    {
        return Err(ChallengerError::L1(format!(
            "no contract at {factory}: pass the DisputeGameFactory's address"
        )));
    }
    let f = DisputeGameFactory::new(factory, provider);
    let count = f.gameCount().call().await.map_err(|e| l1("gameCount", e))?;
    let count = u64::try_from(count).map_err(|_| l1("gameCount", "does not fit in 64 bits"))?;
    let mut out = Vec::new();
    for index in (count.saturating_sub(limit)..count).rev() {
        let g = f
            .gameAtIndex(U256::from(index))
            .call()
            .await
            .map_err(|e| l1("gameAtIndex", e))?;
        out.push((index, g));
    }
    Ok(out)
}

/// The newest `limit` games of the factory at `factory`, newest first.
pub async fn list_games<P: Provider>(
    provider: &P,
    factory: Address,
    limit: u64,
) -> Result<Vec<GameSummary>> {
    let mut out = Vec::new();
    for (index, g) in newest_games(provider, factory, limit).await? {
        let game = FaultDisputeGame::new(g.proxy, provider);
        let creator = game
            .gameCreator()
            .call()
            .await
            .map_err(|e| l1("gameCreator", e))?;
        let root_claim = game
            .rootClaim()
            .call()
            .await
            .map_err(|e| l1("rootClaim", e))?;
        let l2_block = game
            .l2SequenceNumber()
            .call()
            .await
            .map_err(|e| l1("l2SequenceNumber", e))?;
        let status = game.status().call().await.map_err(|e| l1("status", e))?;
        let claims = game
            .claimDataLen()
            .call()
            .await
            .map_err(|e| l1("claimDataLen", e))?;
        let resolved_at = game
            .resolvedAt()
            .call()
            .await
            .map_err(|e| l1("resolvedAt", e))?;
        out.push(GameSummary {
            index,
            address: g.proxy,
            game_type: g.gameType,
            creator,
            root_claim,
            l2_block: u64::try_from(l2_block).map_err(|_| l1("l2SequenceNumber", "too large"))?,
            status: status_name(status),
            claims: u64::try_from(claims).map_err(|_| l1("claimDataLen", "too large"))?,
            created_at: g.timestamp,
            resolved_at,
        });
    }
    Ok(out)
}

/// A bond an address can claim (or will be able to) from one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditSummary {
    /// The game's index in the factory.
    pub index: u64,
    /// The game.
    pub address: Address,
    /// The game's status.
    pub status: &'static str,
    /// Wei claimable under the game's bond distribution (NORMAL until decided).
    pub credit: U256,
    /// `UNDECIDED`, `NORMAL` or `REFUND`.
    pub mode: &'static str,
    /// L1 time from which `claimCredit` pays: resolution plus the registry's finality delay
    /// (`None` while the game is in progress).
    pub unlocks_at: Option<u64>,
    /// Whether `claimCredit` would pay now (the registry deems the game final).
    pub claimable: bool,
}

fn mode_name(mode: u8) -> &'static str {
    match mode {
        0 => "UNDECIDED",
        1 => "NORMAL",
        2 => "REFUND",
        _ => "UNKNOWN",
    }
}

/// Every game of the factory at `factory` (newest `limit`) where `owner` has credit, newest
/// first, with when it unlocks.
pub async fn list_credits<P: Provider>(
    provider: &P,
    factory: Address,
    owner: Address,
    limit: u64,
) -> Result<Vec<CreditSummary>> {
    let mut out = Vec::new();
    for (index, g) in newest_games(provider, factory, limit).await? {
        let game = FaultDisputeGame::new(g.proxy, provider);
        let credit = game
            .credit(owner)
            .call()
            .await
            .map_err(|e| l1("credit", e))?;
        if credit.is_zero() {
            continue;
        }
        let status = game.status().call().await.map_err(|e| l1("status", e))?;
        let mode = game
            .bondDistributionMode()
            .call()
            .await
            .map_err(|e| l1("bondDistributionMode", e))?;
        let registry = game
            .anchorStateRegistry()
            .call()
            .await
            .map_err(|e| l1("anchorStateRegistry", e))?;
        let registry = sprout_contracts::AnchorStateRegistry::new(registry, provider);
        let (unlocks_at, claimable) = if status == 0 {
            (None, false)
        } else {
            let resolved_at = game
                .resolvedAt()
                .call()
                .await
                .map_err(|e| l1("resolvedAt", e))?;
            let delay = registry
                .disputeGameFinalityDelaySeconds()
                .call()
                .await
                .map_err(|e| l1("disputeGameFinalityDelaySeconds", e))?;
            let delay = u64::try_from(delay).unwrap_or(u64::MAX);
            let finalized = registry
                .isGameFinalized(g.proxy)
                .call()
                .await
                .map_err(|e| l1("isGameFinalized", e))?;
            // isGameFinalized wants strictly more than the delay since resolution.
            (
                Some(resolved_at.saturating_add(delay).saturating_add(1)),
                finalized,
            )
        };
        out.push(CreditSummary {
            index,
            address: g.proxy,
            status: status_name(status),
            credit,
            mode: mode_name(mode),
            unlocks_at,
            claimable,
        });
    }
    Ok(out)
}
