//! Positions in the claim tree: generalized indices, as the contract's `LibPosition`.

/// A position: `2^depth + index_at_depth`; the root is 1. A claim at a position commits to the
/// trace entry of its deepest right-most descendant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position(pub u128);

impl Position {
    /// The root claim's position.
    pub const ROOT: Self = Self(1);

    /// Depth: the index of the most significant bit. Position 0 (no position) has depth 0.
    pub fn depth(self) -> u32 {
        127u32.saturating_sub(self.0.leading_zeros())
    }

    /// Index among the positions at this depth, from 0 on the left.
    pub fn index_at_depth(self) -> u128 {
        self.0 - (1u128 << self.depth())
    }

    /// Where a move against a claim here goes: `2p` for an attack, `2(p | 1)` for a defence.
    pub fn mv(self, attack: bool) -> Self {
        if attack {
            Self(self.0 << 1)
        } else {
            Self((self.0 | 1) << 1)
        }
    }

    /// The parent in the tree.
    pub fn parent(self) -> Self {
        Self(self.0 >> 1)
    }

    /// The deepest right-most descendant at `max_depth`.
    pub fn right_index(self, max_depth: u32) -> Self {
        let remaining = max_depth - self.depth();
        Self((self.0 << remaining) | ((1u128 << remaining) - 1))
    }

    /// The trace index this position commits to in a tree of depth `max_depth`.
    pub fn trace_index(self, max_depth: u32) -> u128 {
        self.right_index(max_depth).0 - (1u128 << max_depth)
    }

    /// The highest ancestor committing to the same trace index (the root for a right-most one).
    pub fn trace_ancestor(self) -> Self {
        let a = self.0 >> self.0.trailing_ones();
        Self(a.max(1))
    }

    /// As [`trace_ancestor`](Self::trace_ancestor), but never above depth `bound + 1`.
    pub fn trace_ancestor_bounded(self, bound: u32) -> Self {
        let a = self.trace_ancestor();
        if a.depth() <= bound {
            a.right_index(bound + 1)
        } else {
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn positions_match_the_contracts_layout() {
        // The values the forge tests play with (split 2, max 6).
        assert_eq!(Position(1).mv(true), Position(2));
        assert_eq!(Position(2).mv(false), Position(6));
        assert_eq!(Position(16).trace_index(6), 3);
        assert_eq!(Position(32).trace_index(6), 1);
        assert_eq!(Position(64).trace_index(6), 0);
        assert_eq!(Position(34).trace_index(6), 5);
        assert_eq!(Position(1).trace_index(2), 3);
        assert_eq!(Position(7).trace_ancestor(), Position(1));
        assert_eq!(Position(65).trace_ancestor_bounded(2), Position(32));
        assert_eq!(Position(9).trace_ancestor(), Position(4));
        assert_eq!(Position(0b1011).depth(), 3);
        assert_eq!(Position(0b1011).index_at_depth(), 3);
    }

    proptest! {
        #[test]
        fn an_attack_commits_before_and_a_defence_after(p in 2u128..(1 << 40)) {
            let max = 44;
            let d = Position(p);
            prop_assert!(d.mv(true).trace_index(max) < d.trace_index(max));
            prop_assert_eq!(d.mv(true).depth(), d.depth() + 1);
            // A defence lands between the claim and the end of its parent's range.
            let parent_end = d.parent().trace_index(max);
            let t = d.mv(false).trace_index(max);
            if p.is_multiple_of(2) {
                prop_assert!(t > d.trace_index(max) && t <= parent_end);
            }
            let a = d.trace_ancestor();
            prop_assert_eq!(a.trace_index(max), d.trace_index(max));
            prop_assert!(a.0 == 1 || a.0.is_multiple_of(2));
        }
    }
}
