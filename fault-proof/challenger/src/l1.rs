//! Reading a game from L1.

use alloy::{primitives::Address, providers::Provider};
use sprout_contracts::FaultDisputeGame;

use crate::{Anchor, ChallengerError, Claim, Game, Position, Result};

fn l1(what: &str, err: impl std::fmt::Display) -> ChallengerError {
    ChallengerError::L1(format!("{what}: {err}"))
}

fn depth(what: &str, v: alloy::primitives::U256) -> Result<u32> {
    u32::try_from(v).map_err(|_| ChallengerError::L1(format!("{what} {v} is not a depth")))
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
    let root_block_challenged = game
        .l2BlockNumberChallenged()
        .call()
        .await
        .map_err(|e| l1("l2BlockNumberChallenged", e))?;
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
    if len == 0 || len > u64::from(u32::MAX) {
        return Err(ChallengerError::L1(format!(
            "a game cannot hold {len} claims"
        )));
    }
    let split_depth = depth("splitDepth", split)?;
    let max_depth = depth("maxGameDepth", max)?;
    if split_depth < 2 || split_depth + 1 >= max_depth || max_depth > 125 {
        return Err(ChallengerError::L1(format!(
            "split depth {split_depth} and max depth {max_depth} are not a valid game's"
        )));
    }
    let mut claims: Vec<Claim> = Vec::with_capacity(len.min(4096) as usize);
    for i in 0..len {
        let c = game
            .claimData(alloy::primitives::U256::from(i))
            .call()
            .await
            .map_err(|e| l1("claimData", e))?;
        let parent = (c.parentIndex != u32::MAX).then_some(c.parentIndex as usize);
        let position = Position(c.position);
        // The root alone has no parent, at position 1; every other claim is an attack or a
        // defence of an earlier claim, not below the max depth.
        let well_placed = match parent {
            None => i == 0 && position == Position::ROOT,
            Some(p) => {
                (p as u64) < i
                    && [true, false]
                        .iter()
                        .any(|&attack| claims[p].position.mv(attack) == position)
                    && position.depth() <= max_depth
            }
        };
        if !well_placed {
            return Err(ChallengerError::L1(format!(
                "claim {i} (parent {}, position {}) is not where a game puts claims",
                c.parentIndex, c.position
            )));
        }
        claims.push(Claim {
            parent,
            countered_by: c.counteredBy,
            claimant: c.claimant,
            bond: alloy::primitives::U256::from(c.bond),
            value: c.claim,
            position,
            clock: c.clock,
        });
    }
    Ok(Game {
        split_depth,
        max_depth,
        anchor: Anchor {
            root: anchor_root,
            block: small("startingBlockNumber", anchor_block)?,
        },
        claimed_block: small("l2SequenceNumber", claimed)?,
        max_clock_duration: max_clock,
        root_block_challenged,
        claims,
    })
}
