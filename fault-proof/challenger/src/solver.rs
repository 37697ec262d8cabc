//! The honest player's moves.

use alloy_primitives::B256;

use crate::{Game, Position, Result, Subgame};

/// Where the honest values come from.
pub trait TraceProvider {
    /// Our output root of L2 block `block`.
    fn output(&mut self, block: u64) -> Result<B256>;
    /// Our VM state hash (status byte included) after `index + 1` steps of the fault-proof
    /// program booted with `subgame`'s local data.
    fn state(&mut self, subgame: &Subgame, index: u128) -> Result<B256>;
}

/// Something the honest player must do in a game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `move(disputed, parent, value, attack)`, with the bond for the new position.
    Move {
        /// The claim moved against.
        parent: usize,
        /// Its value (the contract checks it).
        disputed: B256,
        /// Our value at the new position.
        value: B256,
        /// Attack (true) or defence.
        attack: bool,
        /// The new claim's position.
        position: Position,
    },
    /// `step(claim, attack, stateData, proof)` from our state at `pre_index` of `subgame`
    /// (`None`: the absolute prestate).
    Step {
        /// The claim at the max depth stepped against.
        claim: usize,
        /// Attack (the claim's own entry is wrong) or defence (the entry after it is).
        attack: bool,
        /// The execution subgame.
        subgame: Subgame,
        /// Which of our states the step starts from.
        pre_index: Option<u128>,
    },
}

/// Our value for a claim at `position` whose parent is the claim at `parent` (`None`: root).
pub fn our_value(
    game: &Game,
    trace: &mut impl TraceProvider,
    parent: Option<usize>,
    position: Position,
) -> Result<B256> {
    if position.depth() <= game.split_depth {
        return trace.output(game.output_block(position));
    }
    let parent = parent.ok_or(crate::ChallengerError::AboveSplit(position))?;
    let subgame = game.subgame(parent, position)?;
    trace.state(&subgame, game.exec_index(position))
}

/// Every move and step the honest player owes `game` now (ignoring clocks: the caller drops
/// moves whose clock ran out). It answers each claim whose parent is honest (the root, if it
/// disagrees with it): a claim it disagrees with is attacked, one it agrees with is defended
/// (the root and execution roots cannot be), and one at the max depth is stepped against. A
/// claim is honest if it is the root we agree with, or the answer we would give to its parent;
/// claims under dishonest parents are left alone. An answer already on the board is not made
/// again.
pub fn honest_actions(game: &Game, trace: &mut impl TraceProvider) -> Result<Vec<Action>> {
    let n = game.claims.len();
    let mut honest = vec![false; n];
    let mut actions = Vec::new();
    for i in 0..n {
        let claim = game.claim(i)?;
        let responsible = match claim.parent {
            None => true,
            Some(p) => honest.get(p).copied().unwrap_or(false),
        };
        if !responsible || honest[i] {
            continue;
        }
        let agree = our_value(game, trace, claim.parent, claim.position)? == claim.value;
        if i == 0 && agree {
            honest[0] = true;
            continue;
        }
        if i == 0 && game.root_block_challenged {
            // Already countered by its block header; the contract takes no more moves on it.
            continue;
        }
        let depth = claim.position.depth();
        if depth == game.max_depth {
            if claim.countered_by.is_zero() {
                let position = claim.position.mv(!agree);
                let subgame = game.subgame(i, position)?;
                let pre_index = if agree {
                    Some(game.exec_index(claim.position))
                } else {
                    let index = game.exec_index(claim.position);
                    index.checked_sub(1)
                };
                actions.push(Action::Step {
                    claim: i,
                    attack: !agree,
                    subgame,
                    pre_index,
                });
            }
            continue;
        }
        if agree && depth == game.split_depth + 1 {
            // An execution root we agree with cannot be defended (nor needs to be).
            continue;
        }
        let attack = !agree;
        let position = claim.position.mv(attack);
        let value = our_value(game, trace, Some(i), position)?;
        if position.depth() == game.split_depth + 1 && value[0] > 2 {
            // Our execution root must carry the program's verdict; a running state means the
            // program needs more steps than the game's execution trace holds.
            return Err(crate::ChallengerError::Trace(format!(
                "the program has not exited after {} steps, the execution trace's length: the game is too shallow for it",
                game.exec_trace_len()
            )));
        }
        let mut answered = false;
        for child in game.children(i) {
            let c = game.claim(child)?;
            if c.position == position && c.value == value {
                honest[child] = true;
                answered = true;
            }
        }
        if !answered {
            actions.push(Action::Move {
                parent: i,
                disputed: claim.value,
                value,
                attack,
                position,
            });
        }
    }
    Ok(actions)
}
