// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Predeploys} from "./Predeploys.sol";

/// @title L1Block
/// @notice Predeploy at 0x4200000000000000000000000000000000000015. Holds the attributes of the
///         latest L1 block known to L2, written by the L1-info deposit at the start of every L2
///         block. No constructor: the genesis allocation holds only the runtime code (and
///         optionally initial storage).
///
///         Storage layout (same as the OP Stack's L1Block, so that OP tooling reading raw slots
///         agrees; values are right-aligned, "off" = byte offset from the low end):
///           slot 0: number (uint64, off 0) | timestamp (uint64, off 8)
///           slot 1: basefee (uint256)
///           slot 2: hash (bytes32)
///           slot 3: sequenceNumber (uint64, off 0) | blobBaseFeeScalar (uint32, off 8)
///                   | baseFeeScalar (uint32, off 12)
///           slot 4: batcherHash (bytes32)
///           slot 5: l1FeeOverhead (uint256, legacy, never written after genesis)
///           slot 6: l1FeeScalar (uint256, legacy, never written after genesis)
///           slot 7: blobBaseFee (uint256)
contract L1Block {
    uint64 public number;
    uint64 public timestamp;
    uint256 public basefee;
    bytes32 public hash;
    uint64 public sequenceNumber;
    uint32 public blobBaseFeeScalar;
    uint32 public baseFeeScalar;
    bytes32 public batcherHash;
    uint256 public l1FeeOverhead;
    uint256 public l1FeeScalar;
    uint256 public blobBaseFee;

    /// @notice Selector 0x3cc50b45.
    error NotDepositor();

    function DEPOSITOR_ACCOUNT() external pure returns (address) {
        return Predeploys.DEPOSITOR_ACCOUNT;
    }

    function version() external pure returns (string memory) {
        return "1.5.0";
    }

    /// @notice Operator fees are not used by this chain (always 0); present for viem's estimators.
    function operatorFeeScalar() external pure returns (uint32) {
        return 0;
    }

    function operatorFeeConstant() external pure returns (uint64) {
        return 0;
    }

    /// @notice Ecotone L1-info update, selector 0x440a5e20. The arguments are packed, not
    ///         ABI-encoded (164 bytes of calldata in total):
    ///           [4:8]    baseFeeScalar     uint32
    ///           [8:12]   blobBaseFeeScalar uint32
    ///           [12:20]  sequenceNumber    uint64
    ///           [20:28]  timestamp         uint64
    ///           [28:36]  number            uint64
    ///           [36:68]  basefee           uint256
    ///           [68:100] blobBaseFee       uint256
    ///           [100:132] hash             bytes32
    ///           [132:164] batcherHash      bytes32
    function setL1BlockValuesEcotone() external {
        if (msg.sender != Predeploys.DEPOSITOR_ACCOUNT) revert NotDepositor();
        assembly {
            // The 16 bytes at [4:20] read as a big-endian number are
            // baseFeeScalar << 96 | blobBaseFeeScalar << 64 | sequenceNumber, which is exactly
            // slot 3's packing. Likewise [20:36] = timestamp << 64 | number is slot 0's.
            sstore(3, shr(128, calldataload(4)))
            sstore(0, shr(128, calldataload(20)))
            sstore(1, calldataload(36))
            sstore(7, calldataload(68))
            sstore(2, calldataload(100))
            sstore(4, calldataload(132))
        }
    }
}
