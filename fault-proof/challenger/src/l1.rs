//! Reading a game from L1.

use alloy::{primitives::Address, providers::Provider};
use sprout_contracts::FaultDisputeGame;

use crate::{Anchor, ChallengerError, Claim, Game, Position, Result};

fn l1(what: &str, err: impl std::fmt::Display) -> ChallengerError {
    ChallengerError::L1(format!("{what}: {err}"))
}

/// The game at `address`: its parameters and every claim (one `claimData` call per claim).
pub async fn read_game<P: Provider>(provider: &P, address: Address) -> Result<Game> {
    let game = FaultDisputeGame::new(address, provider);
    let split = game
        .splitDepth()
        .call()
        .await
        .map_err(|e| l1("splitDepth", e))?;
    let max = game
        .maxGameDepth()
        .call()
        .await
        .map_err(|e| l1("maxGameDepth", e))?;
    let anchor_root = game
        .startingRootHash()
        .call()
        .await
        .map_err(|e| l1("startingRootHash", e))?;
    let anchor_block = game
        .startingBlockNumber()
        .call()
        .await
        .map_err(|e| l1("startingBlockNumber", e))?;
    let claimed = game
        .l2SequenceNumber()
        .call()
        .await
        .map_err(|e| l1("l2SequenceNumber", e))?;
    let max_clock = game
        .maxClockDuration()
        .call()
        .await
        .map_err(|e| l1("maxClockDuration", e))?;
    let len = game
        .claimDataLen()
        .call()
        .await
        .map_err(|e| l1("claimDataLen", e))?;
    let small = |what: &str, v: alloy::primitives::U256| -> Result<u64> {
        u64::try_from(v)
            .map_err(|_| ChallengerError::L1(format!("{what} {v} does not fit in 64 bits")))
    };
    let len = small("claimDataLen", len)?;
    let mut claims = Vec::with_capacity(len as usize);
    for i in 0..len {
        let c = game
            .claimData(alloy::primitives::U256::from(i))
            .call()
            .await
            .map_err(|e| l1("claimData", e))?;
        let parent = (c.parentIndex != u32::MAX).then_some(c.parentIndex as usize);
        if parent.is_some_and(|p| p as u64 >= i) {
            return Err(ChallengerError::L1(format!(
                "claim {i} names parent {} that is not before it",
                c.parentIndex
            )));
        }
        claims.push(Claim {
            parent,
            countered_by: c.counteredBy,
            claimant: c.claimant,
            bond: alloy::primitives::U256::from(c.bond),
            value: c.claim,
            position: Position(c.position),
            clock: c.clock,
        });
    }
    Ok(Game {
        split_depth: small("splitDepth", split)? as u32,
        max_depth: small("maxGameDepth", max)? as u32,
        anchor: Anchor {
            root: anchor_root,
            block: small("startingBlockNumber", anchor_block)?,
        },
        claimed_block: small("l2SequenceNumber", claimed)?,
        max_clock_duration: max_clock,
        claims,
    })
}
