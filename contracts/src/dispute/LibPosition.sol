// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title LibPosition
/// @notice Positions in a dispute game's claim tree, as generalized indices: the root is 1 and
///         the children of `p` are `2p` (left) and `2p + 1` (right), so `p = 2^depth +
///         indexAtDepth`. A claim at `p` commits to the trace entry at the index of `p`'s
///         deepest right-most descendant (its trace index): the root commits to the last entry,
///         an attack on `p` (its left child) to the midpoint of `p`'s left half, a defence of
///         `p` (the left child of `p | 1`) to the midpoint of the half after `p`. The same
///         layout as OP's `LibPosition`, so positions read the same to their tooling.
library LibPosition {
    /// @notice The depth of `p`: the index of its most significant bit. `p` must not be 0.
    function depth(uint128 p) internal pure returns (uint256 d) {
        uint256 x = p;
        if (x >> 64 != 0) {
            x >>= 64;
            d += 64;
        }
        if (x >> 32 != 0) {
            x >>= 32;
            d += 32;
        }
        if (x >> 16 != 0) {
            x >>= 16;
            d += 16;
        }
        if (x >> 8 != 0) {
            x >>= 8;
            d += 8;
        }
        if (x >> 4 != 0) {
            x >>= 4;
            d += 4;
        }
        if (x >> 2 != 0) {
            x >>= 2;
            d += 2;
        }
        if (x >> 1 != 0) d += 1;
    }

    /// @notice The index of `p` among the positions at its depth, from 0 on the left.
    function indexAtDepth(uint128 p) internal pure returns (uint256) {
        return uint256(p) - (uint256(1) << depth(p));
    }

    /// @notice The position that a move against the claim at `p` takes: `2p` for an attack,
    ///         `2(p | 1)` for a defence.
    function move(uint128 p, bool isAttack) internal pure returns (uint128) {
        return isAttack ? p << 1 : (p | 1) << 1;
    }

    /// @notice `p`'s deepest right-most descendant at `maxDepth`.
    function rightIndex(uint128 p, uint256 maxDepth) internal pure returns (uint128) {
        uint256 remaining = maxDepth - depth(p);
        return uint128((uint256(p) << remaining) | ((uint256(1) << remaining) - 1));
    }

    /// @notice The trace index `p` commits to in a tree of depth `maxDepth`.
    function traceIndex(uint128 p, uint256 maxDepth) internal pure returns (uint256) {
        return uint256(rightIndex(p, maxDepth)) - (uint256(1) << maxDepth);
    }

    /// @notice The highest ancestor of `p` that commits to the same trace index: `p` without
    ///         its trailing one bits (a right child shares its parent's trace index), and the
    ///         root for a right-most position.
    function traceAncestor(uint128 p) internal pure returns (uint128 a) {
        a = p;
        while (a & 1 == 1) a >>= 1;
        if (a == 0) a = 1;
    }

    /// @notice As `traceAncestor`, but never above depth `bound + 1`: the highest ancestor
    ///         below `bound` that commits to the same trace index. `p` must be below `bound`.
    function traceAncestorBounded(uint128 p, uint256 bound) internal pure returns (uint128 a) {
        a = traceAncestor(p);
        if (depth(a) <= bound) a = rightIndex(a, bound + 1);
    }
}
