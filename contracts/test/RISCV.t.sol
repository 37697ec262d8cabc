// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VMStateBuilder} from "./lib/VMStateBuilder.sol";
import {PreimageOracle} from "../src/fault-proof/PreimageOracle.sol";
import {RISCV} from "../src/fault-proof/RISCV.sol";

/// @notice Single steps on memories of one or two non-zero leaves, whose proofs are built here
///         from the zero-subtree hashes. The differential test against the emulator (every
///         instruction kind, the test programs) is `fault-proof/vm/tests/onchain/`.
contract RISCVTest is VMStateBuilder {
    PreimageOracle internal oracle;
    RISCV internal riscv;

    function setUp() public {
        oracle = new PreimageOracle();
        riscv = new RISCV(oracle);
        buildZeros();
    }

    // ------------------------------------------------------------ execution

    function test_step_clockGettimeWritesTwoLeavesAndTheRootFollowsBoth() public view {
        uint64[] memory addrs = new uint64[](3);
        bytes32[] memory leaves = new bytes32[](3);
        addrs[0] = PC;
        leaves[0] = leafWith(0, 0, le32(0x00000073)); // ecall
        addrs[1] = DATA;
        leaves[1] = bytes32(type(uint256).max);
        addrs[2] = DATA + 32;
        leaves[2] = bytes32(type(uint256).max);
        bytes32 root = nodeAt(addrs, leaves, 59, 0);
        bytes memory proof =
            abi.encodePacked(proveAmong(addrs, leaves, 0), proveAmong(addrs, leaves, 1), proveAmong(addrs, leaves, 2));
        VMState memory s = initial(root);
        s.regs[17] = 113;
        s.regs[11] = DATA + 24;
        bytes32 post = riscv.step(encode(s), proof, 0);
        leaves[1] = bytes32(type(uint256).max << 64);
        leaves[2] = bytes32(type(uint256).max >> 64);
        s.root = nodeAt(addrs, leaves, 59, 0);
        s.regs[10] = 0;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
    }

    function test_step_addi() public view {
        bytes32 code = leafWith(0, 0, le32(0x00530293)); // addi x5, x6, 5
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.regs[6] = 10;
        bytes32 post = riscv.step(encode(s), proof, 0);
        s.regs[5] = 15;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
        assertEq(uint256(post) >> 248, 3, "running");
    }

    function test_step_compressedLiAtTheEndOfALeaf() public view {
        bytes32 code = leafWith(0, 30, le16(0x52fd)); // c.li x5, -1
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.pc = PC + 30;
        bytes32 post = riscv.step(encode(s), proof, 0);
        s.regs[5] = type(uint64).max;
        s.pc += 2;
        s.step += 1;
        assertEq(post, hashOf(s));
    }

    function test_step_fetchAcrossTwoLeaves() public {
        bytes memory word = le32(0x00530293); // addi x5, x6, 5, split over two leaves
        bytes32 lo = leafWith(0, 30, abi.encodePacked(word[0], word[1]));
        bytes32 hi = leafWith(0, 0, abi.encodePacked(word[2], word[3]));
        (bytes memory p1, bytes32 root) = proveIn(PC, lo, PC + 32, hi);
        (bytes memory p2, bytes32 root2) = proveIn(PC + 32, hi, PC, lo);
        assertEq(root, root2);
        VMState memory s = initial(root);
        s.pc = PC + 30;
        s.regs[6] = 1;
        bytes32 post = riscv.step(encode(s), abi.encodePacked(p1, p2), 0);
        s.regs[5] = 6;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
        vm.expectRevert(abi.encodeWithSelector(RISCV.LeafNotProven.selector, uint256(PC + 32)));
        riscv.step(encode(initialAt(root, PC + 30)), p1, 0);
    }

    function initialAt(bytes32 root, uint64 pc) internal pure returns (VMState memory s) {
        s = initial(root);
        s.pc = pc;
    }

    function test_step_storeUpdatesTheRootAlongBothPaths() public view {
        bytes32 code = leafWith(0, 0, le32(0x00733423)); // sd x7, 8(x6)
        bytes32 data = bytes32(uint256(0xaa));
        (bytes memory pc1, bytes32 root) = proveIn(PC, code, DATA, data);
        (bytes memory pd,) = proveIn(DATA, data, PC, code);
        VMState memory s = initial(root);
        s.regs[6] = DATA;
        s.regs[7] = 0x1122334455667788;
        bytes32 post = riscv.step(encode(s), abi.encodePacked(pc1, pd), 0);
        bytes32 newData = leafWith(data, 8, hex"8877665544332211");
        (, bytes32 newRoot) = proveIn(DATA, newData, PC, code);
        s.root = newRoot;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
        // The proofs in the other order give the same post-state.
        assertEq(riscv.step(encode(initialWith(root, DATA, 0x1122334455667788)), abi.encodePacked(pd, pc1), 0), post);
    }

    function initialWith(bytes32 root, uint64 x6, uint64 x7) internal pure returns (VMState memory s) {
        s = initial(root);
        s.regs[6] = x6;
        s.regs[7] = x7;
    }

    function test_step_storeIntoTheFetchedLeaf() public view {
        bytes32 code = leafWith(0, 0, le32(0x00733423)); // sd x7, 8(x6)
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initialWith(root, PC, 0x0102030405060708);
        bytes32 post = riscv.step(encode(s), proof, 0);
        (, bytes32 newRoot) = prove1(PC, leafWith(code, 8, hex"0807060504030201"));
        s.root = newRoot;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
    }

    function test_step_exitSetsTheStatus() public view {
        bytes32 code = leafWith(0, 0, le32(0x00000073)); // ecall
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        uint8[3] memory codes = [0, 1, 0x2a];
        for (uint256 i = 0; i < 3; i++) {
            VMState memory s = initial(root);
            s.regs[17] = 93;
            s.regs[10] = 0x100 + uint64(codes[i]);
            bytes32 post = riscv.step(encode(s), proof, 0);
            s.exited = true;
            s.exitCode = codes[i];
            s.step += 1;
            assertEq(post, hashOf(s));
            assertEq(uint256(post) >> 248, i, "status");
        }
    }

    function test_step_ebreakIsAVMPanic() public view {
        bytes32 code = leafWith(0, 0, le32(0x00100073)); // ebreak
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        bytes32 post = riscv.step(encode(s), proof, 0);
        s.exited = true;
        s.exitCode = 2;
        s.step += 1;
        assertEq(post, hashOf(s));
    }

    function test_step_exitedStateStepsToItself() public view {
        VMState memory s = initial(bytes32(uint256(1)));
        s.exited = true;
        s.exitCode = 1;
        assertEq(riscv.step(encode(s), "", 0), hashOf(s));
        assertEq(riscv.step(encode(s), hex"00", 0), hashOf(s));
    }

    function test_step_readsAKeccakPreimageThroughTheOracle() public {
        bytes memory data = "sprout preimage";
        oracle.loadKeccak256PreimagePart(8, data);
        bytes32 key = bytes32((uint256(keccak256(data)) & ~(uint256(0xff) << 248)) | (uint256(2) << 248));
        bytes32 code = leafWith(0, 0, le32(0x00000073)); // ecall, destination in the same leaf
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.key = key;
        s.offset = 8;
        s.regs[17] = 63;
        s.regs[10] = 5;
        s.regs[11] = PC + 20;
        s.regs[12] = 100;
        bytes32 post = riscv.step(encode(s), proof, 0);
        // min(32, 15 remaining, 100, 12 left in the leaf) = 12 bytes.
        bytes memory head = new bytes(12);
        for (uint256 i = 0; i < 12; i++) {
            head[i] = data[i];
        }
        (, s.root) = prove1(PC, leafWith(code, 20, head));
        s.offset = 20;
        s.regs[10] = 12;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
    }

    function test_step_readsLocalDataLocalizedToTheCaller() public {
        bytes32 ctx = bytes32(uint256(0xc0));
        bytes32 localKey = bytes32((uint256(1) << 248) | 9);
        oracle.loadLocalData(9, ctx, bytes32(uint256(0xabcd) << 240), 2, 8);
        bytes32 code = leafWith(0, 0, le32(0x00000073));
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.key = localKey;
        s.offset = 8;
        s.regs[17] = 63;
        s.regs[10] = 5;
        s.regs[11] = PC + 8;
        s.regs[12] = 8;
        bytes32 post = riscv.step(encode(s), proof, ctx);
        (, s.root) = prove1(PC, leafWith(code, 8, hex"abcd"));
        s.offset = 10;
        s.regs[10] = 2;
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
        // Another caller's localized key was never loaded.
        VMState memory again = initial(root);
        again.key = localKey;
        again.offset = 8;
        again.regs[17] = 63;
        again.regs[10] = 5;
        again.regs[11] = PC + 8;
        again.regs[12] = 8;
        vm.prank(address(0xBEEF));
        vm.expectRevert();
        riscv.step(encode(again), proof, ctx);
    }

    // ------------------------------------------------------------ malformed input

    function test_RevertWhen_stateIsNot370Bytes() public {
        (bytes memory proof, bytes32 root) = prove1(PC, 0);
        bytes memory st = encode(initial(root));
        bytes memory short = new bytes(369);
        for (uint256 i = 0; i < 369; i++) {
            short[i] = st[i];
        }
        vm.expectRevert(RISCV.StateLength.selector);
        riscv.step(short, proof, 0);
        vm.expectRevert(RISCV.StateLength.selector);
        riscv.step(abi.encodePacked(st, uint8(0)), proof, 0);
    }

    /// @dev The entry of a single non-zero leaf with every zero-subtree sibling left out.
    function compact1(uint64 addr, bytes32 leaf) internal pure returns (bytes memory) {
        return abi.encodePacked(addr, leaf, uint64((1 << 59) - 1));
    }

    function test_step_zeroSiblingsMayBeLeftOut() public view {
        bytes32 code = leafWith(0, 0, le32(0x00530293)); // addi x5, x6, 5
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        bytes memory compact = compact1(PC, code);
        assertEq(compact.length, 48);
        VMState memory s = initialWith(root, 3, 0);
        assertEq(riscv.step(encode(s), compact, 0), riscv.step(encode(s), proof, 0));
    }

    function test_RevertWhen_proofEndsInsideAnEntry() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        vm.expectRevert(RISCV.ProofLength.selector);
        riscv.step(encode(initial(root)), abi.encodePacked(proof, uint8(0)), 0);
        // One explicit sibling short.
        bytes memory short = new bytes(proof.length - 32);
        for (uint256 i = 0; i < short.length; i++) {
            short[i] = proof[i];
        }
        vm.expectRevert(RISCV.ProofLength.selector);
        riscv.step(encode(initial(root)), short, 0);
    }

    function test_RevertWhen_theMaskHasBitsAboveTheDepth() public {
        bytes32 code = leafWith(0, 0, le32(0x00530293));
        (, bytes32 root) = prove1(PC, code);
        bytes memory compact = abi.encodePacked(PC, code, uint64((1 << 60) - 1));
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMask.selector, 0));
        riscv.step(encode(initial(root)), compact, 0);
    }

    function test_RevertWhen_aLeftOutSiblingIsNotZero() public {
        bytes32 code = leafWith(0, 0, le32(0x00033283)); // ld x5, 0(x6)
        bytes32 data = bytes32(uint256(7));
        (, bytes32 root) = proveIn(PC, code, DATA, data);
        // Claiming every sibling of the code leaf is a zero subtree ignores the data leaf.
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMismatch.selector, 0));
        riscv.step(encode(initialWith(root, DATA, 0)), compact1(PC, code), 0);
    }

    function test_RevertWhen_aSiblingBitIsFlipped() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        proof[48 + 32 * 17 + 3] ^= 0x04;
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMismatch.selector, 0));
        riscv.step(encode(initial(root)), proof, 0);
    }

    function test_RevertWhen_theLeafIsWrong() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        proof[8] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMismatch.selector, 0));
        riscv.step(encode(initial(root)), proof, 0);
    }

    function test_RevertWhen_thePreStateRootIsWrong() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMismatch.selector, 0));
        riscv.step(encode(initial(root ^ bytes32(uint256(1)))), proof, 0);
    }

    function test_RevertWhen_aLeafIsTouchedWithoutProof() public {
        bytes32 code = leafWith(0, 0, le32(0x00033283)); // ld x5, 0(x6)
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.regs[6] = DATA;
        vm.expectRevert(abi.encodeWithSelector(RISCV.LeafNotProven.selector, uint256(DATA)));
        riscv.step(encode(s), proof, 0);
    }

    function test_RevertWhen_aLeafIsProvenTwice() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        vm.expectRevert(abi.encodeWithSelector(RISCV.DuplicateProof.selector, uint256(PC)));
        riscv.step(encode(initial(root)), abi.encodePacked(proof, proof), 0);
    }

    function test_RevertWhen_aProofAddressIsNotALeafAddress() public {
        (bytes memory proof, bytes32 root) = prove1(PC, leafWith(0, 0, le32(0x00530293)));
        proof[7] = bytes1(uint8(proof[7]) | 4);
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofAddressMisaligned.selector, 0));
        riscv.step(encode(initial(root)), proof, 0);
    }

    function testFuzz_step_addMatchesWrappingArithmetic(uint64 a, uint64 b) public view {
        bytes32 code = leafWith(0, 0, le32(0x007302b3)); // add x5, x6, x7
        (bytes memory proof, bytes32 root) = prove1(PC, code);
        VMState memory s = initialWith(root, a, b);
        bytes32 post = riscv.step(encode(s), proof, 0);
        unchecked {
            s.regs[5] = a + b;
        }
        s.pc += 4;
        s.step += 1;
        assertEq(post, hashOf(s));
    }
}
