// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";

/// @notice Builds fault-proof VM states and memory proofs for tests: the 370-byte state
///         encoding and its hash (fault-proof/vm/README.md), and leaf proofs in memories of a
///         few non-zero leaves, computed from the zero-subtree hashes.
abstract contract VMStateBuilder is Test {
    bytes32[60] internal zeros;

    uint64 internal constant PC = 0x1000;
    uint64 internal constant DATA = 0x2000;
    uint64 internal constant NONE = type(uint64).max;

    struct VMState {
        bytes32 root;
        bytes32 key;
        uint64 offset;
        uint64 pc;
        uint64 heap;
        uint64 brk;
        uint64 reservation;
        uint8 exitCode;
        bool exited;
        uint64 step;
        uint64[32] regs;
    }

    function buildZeros() internal {
        for (uint256 h = 1; h < 60; h++) {
            zeros[h] = keccak256(abi.encodePacked(zeros[h - 1], zeros[h - 1]));
        }
    }

    function encode(VMState memory s) internal pure returns (bytes memory out) {
        out = abi.encodePacked(
            s.root,
            s.key,
            s.offset,
            s.pc,
            s.heap,
            s.brk,
            s.reservation,
            s.exitCode,
            s.exited ? uint8(1) : uint8(0),
            s.step
        );
        for (uint256 i = 0; i < 32; i++) {
            out = abi.encodePacked(out, s.regs[i]);
        }
    }

    function hashOf(VMState memory s) internal pure returns (bytes32) {
        uint256 status = !s.exited ? 3 : s.exitCode < 2 ? s.exitCode : 2;
        return bytes32((uint256(keccak256(encode(s))) & ~(uint256(0xff) << 248)) | (status << 248));
    }

    function initial(bytes32 root) internal pure returns (VMState memory s) {
        s.root = root;
        s.pc = PC;
        s.heap = 0x100000000000;
        s.brk = 0x20000;
        s.reservation = NONE;
        s.step = 7;
        s.regs[2] = 0x7fffffff0000;
    }

    /// @dev A leaf with `b` at byte offset `off`.
    function leafWith(bytes32 leaf, uint256 off, bytes memory b) internal pure returns (bytes32) {
        bytes memory l = abi.encodePacked(leaf);
        for (uint256 i = 0; i < b.length; i++) {
            l[off + i] = b[i];
        }
        return bytes32(l);
    }

    function le32(uint32 w) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(w), uint8(w >> 8), uint8(w >> 16), uint8(w >> 24));
    }

    function le16(uint16 h) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(h), uint8(h >> 8));
    }

    /// @dev The node at `height` over `leaf` in an otherwise zero subtree.
    function lift(uint64 addr, bytes32 leaf, uint256 height) internal view returns (bytes32 node) {
        node = leaf;
        for (uint256 h = 0; h < height; h++) {
            node = (addr >> (5 + h)) & 1 == 0
                ? keccak256(abi.encodePacked(node, zeros[h]))
                : keccak256(abi.encodePacked(zeros[h], node));
        }
    }

    function meet(uint64 a, uint64 b) internal pure returns (uint256 h) {
        uint256 d = uint256((a >> 5) ^ (b >> 5));
        while (d > 1) {
            d >>= 1;
            h++;
        }
    }

    /// @dev The proof entry of `addr` in a memory whose only non-zero leaves are at `addr` and
    ///      `other` (pass other == addr for a single leaf), and the root. Every sibling is
    ///      spelled out (mask 0).
    function proveIn(uint64 addr, bytes32 leaf, uint64 other, bytes32 otherLeaf)
        internal
        view
        returns (bytes memory entry, bytes32 root)
    {
        entry = abi.encodePacked(addr, leaf, uint64(0));
        uint256 m = other == addr ? type(uint256).max : meet(addr, other);
        bytes32 node = leaf;
        for (uint256 h = 0; h < 59; h++) {
            bytes32 sib = h == m ? lift(other, otherLeaf, h) : zeros[h];
            entry = abi.encodePacked(entry, sib);
            node = (addr >> (5 + h)) & 1 == 0
                ? keccak256(abi.encodePacked(node, sib))
                : keccak256(abi.encodePacked(sib, node));
        }
        root = node;
    }

    function prove1(uint64 addr, bytes32 leaf) internal view returns (bytes memory entry, bytes32 root) {
        return proveIn(addr, leaf, addr, leaf);
    }

    /// @dev The node at `height` and `index` of a memory whose only non-zero leaves are `leaves`
    ///      at `addrs`.
    function nodeAt(uint64[] memory addrs, bytes32[] memory leaves, uint256 height, uint256 index)
        internal
        view
        returns (bytes32)
    {
        bool any;
        for (uint256 i = 0; i < addrs.length; i++) {
            if ((uint256(addrs[i]) >> 5) >> height == index) {
                if (height == 0) return leaves[i];
                any = true;
            }
        }
        if (!any) return zeros[height];
        return keccak256(
            abi.encodePacked(
                nodeAt(addrs, leaves, height - 1, 2 * index), nodeAt(addrs, leaves, height - 1, 2 * index + 1)
            )
        );
    }

    /// @dev The proof entry of leaf `i` among `leaves` (mask 0).
    function proveAmong(uint64[] memory addrs, bytes32[] memory leaves, uint256 i)
        internal
        view
        returns (bytes memory entry)
    {
        entry = abi.encodePacked(addrs[i], leaves[i], uint64(0));
        uint256 idx = uint256(addrs[i]) >> 5;
        for (uint256 h = 0; h < 59; h++) {
            entry = abi.encodePacked(entry, nodeAt(addrs, leaves, h, (idx >> h) ^ 1));
        }
    }
}
