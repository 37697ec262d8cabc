// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {MPT} from "../src/lib/MPT.sol";
import {RLPReader} from "../src/lib/RLPReader.sol";
import {WithdrawalFixture as F} from "./fixtures/WithdrawalFixture.sol";

/// External wrapper so tests can catch reverts.
contract MPTHarness {
    function verify(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        external
        pure
        returns (bool)
    {
        return MPT.verifySecureInclusionProof(_key, _value, _proof, _root);
    }

    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root) external pure returns (bytes memory) {
        return MPT.getSecure(_key, _proof, _root);
    }

    function readList(bytes memory _in) external pure returns (uint256) {
        return RLPReader.readList(RLPReader.toItem(_in)).length;
    }

    function readBytes(bytes memory _in) external pure returns (bytes memory) {
        return RLPReader.readBytes(RLPReader.toItem(_in));
    }
}

contract MPTTest is Test {
    MPTHarness internal h;

    function setUp() public {
        h = new MPTHarness();
    }

    function _key() internal pure returns (bytes memory) {
        return abi.encode(F.STORAGE_SLOT);
    }

    /// Never accept: either revert or return false.
    function _assertRejected(bytes memory _key_, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        view
    {
        try h.verify(_key_, _value, _proof, _root) returns (bool ok) {
            assertFalse(ok, "corrupted proof accepted");
        } catch {}
    }

    function test_realProofVerifies() public view {
        assertTrue(h.verify(_key(), hex"01", F.storageProof(), F.STORAGE_ROOT));
        assertEq(h.get(_key(), F.storageProof(), F.STORAGE_ROOT), hex"01");
        assertFalse(h.verify(_key(), hex"02", F.storageProof(), F.STORAGE_ROOT));
    }

    function test_singleLeafTrie() public view {
        bytes memory key = abi.encode(bytes32(uint256(42)));
        bytes memory leaf = abi.encodePacked(hex"e3a120", keccak256(key), hex"01");
        bytes[] memory p = new bytes[](1);
        p[0] = leaf;
        assertTrue(h.verify(key, hex"01", p, keccak256(leaf)));
    }

    function test_RevertWhen_wrongRoot() public {
        vm.expectRevert(MPT.MPTBadRootHash.selector);
        h.get(_key(), F.storageProof(), bytes32(uint256(F.STORAGE_ROOT) ^ 1));
    }

    function test_RevertWhen_emptyProof() public {
        vm.expectRevert(MPT.MPTEmptyProof.selector);
        h.get(_key(), new bytes[](0), F.STORAGE_ROOT);
    }

    function test_RevertWhen_extraTrailingNode() public {
        bytes[] memory full = F.storageProof();
        bytes[] memory p = new bytes[](full.length + 1);
        for (uint256 i = 0; i < full.length; i++) p[i] = full[i];
        p[full.length] = hex"c0";
        vm.expectRevert(MPT.MPTUnusedProofNodes.selector);
        h.get(_key(), p, F.STORAGE_ROOT);
    }

    function test_RevertWhen_keyAbsentFromSingleLeaf() public {
        bytes memory key = abi.encode(bytes32(uint256(42)));
        bytes memory leaf = abi.encodePacked(hex"e3a120", keccak256(key), hex"01");
        bytes[] memory p = new bytes[](1);
        p[0] = leaf;
        vm.expectRevert(MPT.MPTKeyNotFound.selector);
        h.get(abi.encode(bytes32(uint256(43))), p, keccak256(leaf));
    }

    /// A leaf whose partial path covers only a prefix of the key proves nothing about the key.
    function testFuzz_RevertWhen_leafPathIsStrictPrefix(uint8 _drop) public {
        bytes memory key = abi.encode(bytes32(uint256(7)));
        bytes32 path = keccak256(key);
        uint256 n = 64 - bound(_drop, 1, 63); // nibbles kept
        bytes memory hp;
        if (n % 2 == 1) {
            hp = abi.encodePacked(bytes1(uint8(0x30) | (uint8(path[0]) >> 4)));
            for (uint256 i = 1; i < n; i += 2) {
                hp = abi.encodePacked(hp, bytes1((_nib(path, i) << 4) | _nib(path, i + 1)));
            }
        } else {
            hp = hex"20";
            for (uint256 i = 0; i < n; i += 2) {
                hp = abi.encodePacked(hp, bytes1((_nib(path, i) << 4) | _nib(path, i + 1)));
            }
        }
        bytes memory leaf = _rlpList2(_rlpString(hp), hex"01");
        bytes[] memory p = new bytes[](1);
        p[0] = leaf;
        vm.expectRevert(MPT.MPTKeyNotFound.selector);
        h.get(key, p, keccak256(leaf));
    }

    function _nib(bytes32 _b, uint256 _i) internal pure returns (uint8) {
        uint8 v = uint8(_b[_i / 2]);
        return _i % 2 == 0 ? v >> 4 : v & 0x0f;
    }

    function _rlpString(bytes memory _s) internal pure returns (bytes memory) {
        if (_s.length == 1 && uint8(_s[0]) < 0x80) return _s;
        return abi.encodePacked(bytes1(uint8(0x80 + _s.length)), _s); // < 56 bytes here
    }

    function _rlpList2(bytes memory _a, bytes memory _b) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes1(uint8(0xc0 + _a.length + _b.length)), _a, _b);
    }

    /// Flip any byte of any node: hashes no longer link, so the proof must be rejected.
    function testFuzz_corruptedNodeRejected(uint256 _node, uint256 _pos, uint8 _xor) public view {
        bytes[] memory p = F.storageProof();
        _node = bound(_node, 0, p.length - 1);
        _pos = bound(_pos, 0, p[_node].length - 1);
        uint8 x = _xor == 0 ? 1 : _xor;
        p[_node][_pos] = bytes1(uint8(p[_node][_pos]) ^ x);
        _assertRejected(_key(), hex"01", p, F.STORAGE_ROOT);
    }

    /// Corrupt the leaf and re-link every hash up to a new root: the proof is well-linked but
    /// the leaf no longer holds (key, 0x01), so it must still be rejected.
    function testFuzz_corruptedLeafRehashedRejected(uint256 _pos, uint8 _xor) public view {
        bytes[] memory p = F.storageProof();
        uint256 last = p.length - 1;
        _pos = bound(_pos, 0, p[last].length - 1);
        uint8 x = _xor == 0 ? 1 : _xor;
        bytes32 oldHash = keccak256(p[last]);
        p[last][_pos] = bytes1(uint8(p[last][_pos]) ^ x);
        bytes32 newHash = keccak256(p[last]);
        for (uint256 i = last; i > 0; i--) {
            bytes32 parentOld = keccak256(p[i - 1]);
            _replace(p[i - 1], oldHash, newHash);
            oldHash = parentOld;
            newHash = keccak256(p[i - 1]);
        }
        _assertRejected(_key(), hex"01", p, keccak256(p[0]));
    }

    /// Any other key: rejected against the real proof.
    function testFuzz_otherKeyRejected(bytes32 _slot) public view {
        vm.assume(_slot != F.STORAGE_SLOT);
        _assertRejected(abi.encode(_slot), hex"01", F.storageProof(), F.STORAGE_ROOT);
    }

    /// Arbitrary garbage nodes with a self-consistent root never prove the fixture's key.
    function testFuzz_garbageProofRejected(bytes memory _a, bytes memory _b) public view {
        bytes[] memory p = new bytes[](2);
        p[0] = _a;
        p[1] = _b;
        _assertRejected(_key(), hex"01", p, keccak256(_a));
    }

    /// Truncating or reordering the real proof is rejected.
    function testFuzz_truncatedOrSwappedRejected(uint256 _i, uint256 _j) public view {
        bytes[] memory p = F.storageProof();
        _i = bound(_i, 0, p.length - 1);
        _j = bound(_j, 0, p.length - 1);
        vm.assume(_i != _j);
        (p[_i], p[_j]) = (p[_j], p[_i]);
        _assertRejected(_key(), hex"01", p, F.STORAGE_ROOT);
        bytes memory last = p[p.length - 1];
        last; // keep the compiler quiet
        bytes[] memory q = new bytes[](_i + 1);
        bytes[] memory orig = F.storageProof();
        for (uint256 k = 0; k < q.length; k++) q[k] = orig[k];
        if (q.length < orig.length) _assertRejected(_key(), hex"01", q, F.STORAGE_ROOT);
    }

    // ------------------------------------------------------------------ RLP strictness

    function test_rlpDecodesLists() public view {
        assertEq(h.readList(hex"c0"), 0);
        assertEq(h.readList(hex"c3010203"), 3);
        assertEq(h.readBytes(hex"83646f67"), bytes("dog"));
        assertEq(h.readBytes(hex"7f"), hex"7f");
        assertEq(h.readBytes(hex"80"), "");
    }

    function test_RevertWhen_rlpNonCanonicalSingleByte() public {
        vm.expectRevert(RLPReader.RLPNonCanonical.selector);
        h.readBytes(hex"8105");
    }

    function test_RevertWhen_rlpNonCanonicalLongLength() public {
        // long form used for a 3-byte payload
        vm.expectRevert(RLPReader.RLPNonCanonical.selector);
        h.readBytes(hex"b803646f67");
    }

    function test_RevertWhen_rlpLeadingZeroLength() public {
        vm.expectRevert(RLPReader.RLPNonCanonical.selector);
        h.readBytes(hex"b90038");
    }

    function test_RevertWhen_rlpTruncated() public {
        vm.expectRevert(RLPReader.RLPTruncated.selector);
        h.readBytes(hex"83646f");
        vm.expectRevert(RLPReader.RLPTruncated.selector);
        h.readList(hex"c3010283");
    }

    function test_RevertWhen_rlpTrailingBytes() public {
        vm.expectRevert(RLPReader.RLPTrailingBytes.selector);
        h.readBytes(hex"8000");
    }

    function test_RevertWhen_rlpHugeLength() public {
        vm.expectRevert(RLPReader.RLPTruncated.selector);
        h.readBytes(hex"bfffffffffffffffff");
    }

    function _replace(bytes memory _hay, bytes32 _old, bytes32 _new) internal pure {
        for (uint256 i = 0; i + 32 <= _hay.length; i++) {
            bytes32 w;
            assembly {
                w := mload(add(add(_hay, 32), i))
            }
            if (w == _old) {
                assembly {
                    mstore(add(add(_hay, 32), i), _new)
                }
                return;
            }
        }
        revert("hash not found in parent");
    }
}
