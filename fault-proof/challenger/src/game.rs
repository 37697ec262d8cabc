//! A dispute game's claims as read from L1, and the contract's walks over them.

use alloy_primitives::{Address, B256, U256, keccak256};

use crate::{ChallengerError, Position, Result};

/// One claim (`claimData(i)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The claim it moves against (`None` for the root).
    pub parent: Option<usize>,
    /// Who countered it (a step, or a resolved subgame); zero if no one.
    pub countered_by: Address,
    /// Who made it.
    pub claimant: Address,
    /// Its bond, in wei.
    pub bond: U256,
    /// The output root or VM state hash it claims.
    pub value: B256,
    /// Where it stands in the tree.
    pub position: Position,
    /// `duration << 64 | timestamp`.
    pub clock: u128,
}

/// An output root the game starts from: the anchor, for the block after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The anchor's output root.
    pub root: B256,
    /// Its L2 block.
    pub block: u64,
}

/// A game: its parameters and claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Game {
    /// Depth of the output-root bisection.
    pub split_depth: u32,
    /// Depth of the whole tree.
    pub max_depth: u32,
    /// Where output bisection starts (`startingOutputRoot`).
    pub anchor: Anchor,
    /// The L2 block the root claims (`l2SequenceNumber`).
    pub claimed_block: u64,
    /// Seconds each side's clock holds (`maxClockDuration`).
    pub max_clock_duration: u64,
    /// Whether the root was shown to be for another block (`l2BlockNumberChallenged`): it can
    /// no longer be moved against.
    pub root_block_challenged: bool,
    /// The claims, in the order they were made.
    pub claims: Vec<Claim>,
}

/// The execution subgame a claim below the split depth belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subgame {
    /// The output root the program starts from and its position (position 0: the anchor).
    pub starting: (B256, Position),
    /// The output root it checks and its position.
    pub disputed: (B256, Position),
    /// The L2 block of the disputed output (local key 4).
    pub disputed_block: u64,
    /// The L2 block of the starting output: the anchor's, or one before the disputed block,
    /// or the disputed block itself past the root's block (where the trace repeats the root's
    /// output).
    pub starting_block: u64,
}

impl Subgame {
    /// The local context the game loads this subgame's boot data under (the contract's
    /// `computeLocalContext`).
    pub fn local_context(&self) -> B256 {
        let (starting, starting_pos) = self.starting;
        let (disputed, disputed_pos) = self.disputed;
        let word = |p: Position| U256::from(p.0).to_be_bytes::<32>();
        if starting_pos.0 == 0 {
            keccak256([disputed.as_slice(), &word(disputed_pos)].concat())
        } else {
            keccak256(
                [
                    starting.as_slice(),
                    &word(starting_pos),
                    disputed.as_slice(),
                    &word(disputed_pos),
                ]
                .concat(),
            )
        }
    }
}

impl Game {
    /// The claim at `index`.
    pub fn claim(&self, index: usize) -> Result<&Claim> {
        self.claims
            .get(index)
            .ok_or(ChallengerError::NoSuchClaim(index))
    }

    /// The L2 block whose output root a claim at `position` (at or above the split depth)
    /// commits to: the anchor's block plus its trace index plus one, capped at the claimed
    /// block (the honest trace repeats the root's output past it).
    pub fn output_block(&self, position: Position) -> u64 {
        let index = position.trace_index(self.split_depth);
        let block = u128::from(self.anchor.block) + index + 1;
        block.min(u128::from(self.claimed_block)) as u64
    }

    /// Entries of one execution subgame's trace.
    pub fn exec_trace_len(&self) -> u128 {
        1u128 << (self.max_depth - self.split_depth - 1)
    }

    /// The index within its execution subgame's trace that a position below the split commits to.
    pub fn exec_index(&self, position: Position) -> u128 {
        position.trace_index(self.max_depth) % self.exec_trace_len()
    }

    /// The claim among `start` and its ancestors at the trace ancestor of `position` (the
    /// contract's `_findTraceAncestor`).
    pub fn trace_ancestor(&self, position: Position, start: usize, global: bool) -> Result<usize> {
        let want = if global {
            position.trace_ancestor()
        } else {
            position.trace_ancestor_bounded(self.split_depth)
        };
        let mut i = start;
        loop {
            let c = self.claim(i)?;
            if c.position == want {
                return Ok(i);
            }
            i = c.parent.ok_or(ChallengerError::NoTraceAncestor(position))?;
        }
    }

    /// The execution subgame of a claim at `position` whose parent is the claim at `parent`
    /// (the claim may not exist yet: this is also where a prospective move would land).
    pub fn subgame(&self, parent: usize, position: Position) -> Result<Subgame> {
        if position.depth() <= self.split_depth {
            return Err(ChallengerError::AboveSplit(position));
        }
        // Walk up to the output claim at the split depth, remembering the execution root.
        let mut exec_root = position;
        let mut idx = parent;
        loop {
            let c = self.claim(idx)?;
            let d = c.position.depth();
            if d <= self.split_depth {
                break;
            }
            if d == self.split_depth + 1 {
                exec_root = c.position;
            }
            idx = c.parent.ok_or(ChallengerError::NoTraceAncestor(position))?;
        }
        let output = self.claim(idx)?;
        let output_pos = output.position;
        let (starting, disputed) = if exec_root.parent() == output_pos {
            // An attack on the output: it is disputed, the one before it is the start.
            let starting = if output_pos.index_at_depth() > 0 {
                let s =
                    self.claim(self.trace_ancestor(Position(output_pos.0 - 1), idx, true)?)?;
                (s.value, s.position)
            } else {
                (self.anchor.root, Position(0))
            };
            (starting, (output.value, output_pos))
        } else {
            let x = self.claim(self.trace_ancestor(Position(output_pos.0 + 1), idx, true)?)?;
            ((output.value, output_pos), (x.value, x.position))
        };
        let block_at = |position: Position| {
            let block = u128::from(self.anchor.block) + position.trace_index(self.split_depth) + 1;
            block.min(u128::from(self.claimed_block)) as u64
        };
        let starting_block = if starting.1.0 == 0 {
            self.anchor.block
        } else {
            block_at(starting.1)
        };
        Ok(Subgame {
            starting,
            disputed,
            disputed_block: block_at(disputed.1),
            starting_block,
        })
    }

    /// Seconds used on the clock of whoever would counter the claim at `index`, at L1 time
    /// `now` (the contract's `getChallengerDuration`), capped at the max clock duration.
    pub fn challenger_duration(&self, index: usize, now: u64) -> Result<u64> {
        let c = self.claim(index)?;
        let used_before = match c.parent {
            Some(p) => (self.claim(p)?.clock >> 64) as u64,
            None => 0,
        };
        let since = now.saturating_sub(c.clock as u64);
        Ok(used_before
            .saturating_add(since)
            .min(self.max_clock_duration))
    }

    /// Claims whose subgame can be resolved at `now`, children before parents: every claim
    /// whose would-be counter's clock ran out, among `unresolved`.
    pub fn resolvable(&self, now: u64, unresolved: &[bool]) -> Result<Vec<usize>> {
        // Children have higher indices than their parents: walking down from the last claim
        // sees every child first. A claim is listed once each child is resolved or listed.
        let mut listed = vec![false; self.claims.len()];
        let mut out = Vec::new();
        for i in (0..self.claims.len()).rev() {
            let pending = |j: usize| unresolved.get(j).copied().unwrap_or(false) && !listed[j];
            if unresolved.get(i).copied().unwrap_or(false)
                && self.challenger_duration(i, now)? >= self.max_clock_duration
                && !self.children(i).any(pending)
            {
                listed[i] = true;
                out.push(i);
            }
        }
        Ok(out)
    }

    /// The children of the claim at `index`, in the order they were made.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.claims
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.parent == Some(index))
            .map(|(i, _)| i)
    }
}
