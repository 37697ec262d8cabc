// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {PreimageOracle} from "../src/fault-proof/PreimageOracle.sol";

contract PreimageOracleTest is Test {
    PreimageOracle internal oracle;

    function setUp() public {
        oracle = new PreimageOracle();
    }

    function keccakKey(bytes memory data) internal pure returns (bytes32) {
        return bytes32((uint256(keccak256(data)) & ~(uint256(0xff) << 248)) | (uint256(2) << 248));
    }

    /// @dev The 32 bytes of `len_be8 ++ data` from `offset`, zero-padded.
    function streamPart(bytes memory data, uint256 offset) internal pure returns (bytes32 part) {
        bytes memory stream = abi.encodePacked(uint64(data.length), data, bytes32(0));
        assembly {
            part := mload(add(add(stream, 32), offset))
        }
    }

    function sample(uint256 n) internal pure returns (bytes memory data) {
        data = new bytes(n);
        for (uint256 i = 0; i < n; i++) {
            data[i] = bytes1(uint8(i * 7 + 3));
        }
    }

    function test_loadKeccak256PreimagePart_storesThePartAndLength() public {
        bytes memory data = sample(40);
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(0, data);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 0);
        assertEq(dat, streamPart(data, 0));
        assertEq(uint256(dat) >> 192, 40, "length prefix");
        assertEq(datLen, 32);
        assertEq(oracle.preimageLengths(key), 40);
        assertTrue(oracle.preimagePartOk(key, 0));
        assertFalse(oracle.preimagePartOk(key, 1));
    }

    function test_readPreimage_lastPartIsShortAndPadded() public {
        bytes memory data = sample(40);
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(40, data);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 40);
        assertEq(datLen, 8);
        assertEq(dat, streamPart(data, 40));
        assertEq(uint256(dat) << 64, 0, "zero padding past the end");
    }

    function test_readPreimage_atAndPastTheEndIsEmpty() public {
        bytes memory data = sample(5);
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(0, data);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 13);
        assertEq(datLen, 0);
        assertEq(dat, bytes32(0));
        (, datLen) = oracle.readPreimage(key, 1000);
        assertEq(datLen, 0);
    }

    function test_emptyPreimageHasOnlyItsPrefix() public {
        bytes memory data = "";
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(0, data);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 0);
        assertEq(datLen, 8);
        assertEq(dat, bytes32(0));
        (, datLen) = oracle.readPreimage(key, 8);
        assertEq(datLen, 0);
    }

    function test_RevertWhen_partOffsetIsPastTheStream() public {
        bytes memory data = sample(10);
        vm.expectRevert(PreimageOracle.PartOffsetOOB.selector);
        oracle.loadKeccak256PreimagePart(18, data);
    }

    function test_RevertWhen_readingAPartNeverLoaded() public {
        bytes memory data = sample(100);
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(0, data);
        vm.expectRevert(abi.encodeWithSelector(PreimageOracle.PreimageMissing.selector, key, 32));
        oracle.readPreimage(key, 32);
    }

    function test_RevertWhen_readingAnUnknownKeyAtAnyOffset() public {
        bytes32 key = keccakKey("never loaded");
        vm.expectRevert(abi.encodeWithSelector(PreimageOracle.PreimageMissing.selector, key, 8));
        oracle.readPreimage(key, 8);
    }

    function test_loadLocalData_isLocalizedToCallerAndContext() public {
        bytes32 ctx = bytes32(uint256(0x5c));
        bytes32 word = bytes32(uint256(0x1122334455667788) << 192);
        bytes32 key = oracle.loadLocalData(1, ctx, word, 8, 0);
        bytes32 ident = bytes32((uint256(1) << 248) | 1);
        bytes32 want = bytes32(
            (uint256(keccak256(abi.encode(ident, address(this), ctx))) & ~(uint256(0xff) << 248)) | (uint256(1) << 248)
        );
        assertEq(key, want);
        assertEq(oracle.localize(ident, address(this), ctx), want);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 0);
        assertEq(datLen, 16);
        assertEq(dat, bytes32((uint256(8) << 192) | (uint256(0x1122334455667788) << 128)));
        // Another caller or context gets another key.
        vm.prank(address(0xBEEF));
        assertNotEq(oracle.loadLocalData(1, ctx, word, 8, 0), key);
        assertNotEq(oracle.loadLocalData(1, bytes32(uint256(0x5d)), word, 8, 0), key);
    }

    function test_loadLocalData_masksBytesPastItsSize() public {
        bytes32 key = oracle.loadLocalData(7, bytes32(0), bytes32(type(uint256).max), 2, 0);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, 0);
        assertEq(datLen, 10);
        assertEq(dat, bytes32((uint256(2) << 192) | (uint256(0xffff) << 176)));
    }

    function test_RevertWhen_localDataIsLongerThan32Bytes() public {
        vm.expectRevert(PreimageOracle.LocalDataTooLarge.selector);
        oracle.loadLocalData(1, bytes32(0), bytes32(0), 33, 0);
    }

    function test_RevertWhen_localPartOffsetIsPastTheData() public {
        vm.expectRevert(PreimageOracle.PartOffsetOOB.selector);
        oracle.loadLocalData(1, bytes32(0), bytes32(0), 32, 40);
    }

    function testFuzz_keccakPartsAreTheStream(bytes memory data, uint256 offset) public {
        offset = bound(offset, 0, data.length + 7);
        bytes32 key = keccakKey(data);
        oracle.loadKeccak256PreimagePart(offset, data);
        (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, offset);
        assertEq(dat, streamPart(data, offset));
        uint256 rest = data.length + 8 - offset;
        assertEq(datLen, rest < 32 ? rest : 32);
    }
}
