// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Types
/// @notice Structs shared by the L1 bridge contracts. Field order and types follow the OP Stack
///         ABI so that tooling that encodes these tuples (viem, cast) works unchanged.
library Types {
    /// @notice An L2 output root as stored by the output oracle.
    struct OutputProposal {
        bytes32 outputRoot;
        uint128 timestamp; // L1 timestamp at which the output was proposed
        uint128 l2BlockNumber;
    }

    /// @notice The preimage of a version-0 output root.
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    /// @notice A withdrawal initiated on L2 through the L2ToL1MessagePasser.
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }
}
