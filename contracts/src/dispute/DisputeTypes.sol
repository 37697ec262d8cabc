// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The state of a dispute game; OP's `GameStatus` (same values).
enum GameStatus {
    IN_PROGRESS,
    CHALLENGER_WINS,
    DEFENDER_WINS
}

/// @notice How a game pays its bonds once it is closed; OP's `BondDistributionMode`. NORMAL pays
///         the winners of each subgame; REFUND returns every bond to whoever posted it, for a
///         game the guardian blacklisted or retired.
enum BondDistributionMode {
    UNDECIDED,
    NORMAL,
    REFUND
}

/// @notice An output root and the L2 block it is for; OP's `Proposal`.
struct Proposal {
    bytes32 root;
    uint256 l2SequenceNumber;
}

/// @notice The surface of a dispute game that the factory, the anchor state registry and the
///         Portal use; OP's `IDisputeGame` (same selectors).
interface IDisputeGame {
    function initialize(address creator, bytes32 rootClaim, bytes32 l1Head, bytes calldata extraData)
        external
        payable;
    function createdAt() external view returns (uint64);
    function resolvedAt() external view returns (uint64);
    function status() external view returns (GameStatus);
    function gameType() external view returns (uint32);
    function gameCreator() external view returns (address);
    function rootClaim() external view returns (bytes32);
    function l1Head() external view returns (bytes32);
    function l2SequenceNumber() external view returns (uint256);
    function extraData() external view returns (bytes memory);
    function wasRespectedGameTypeWhenCreated() external view returns (bool);
}

/// @notice The one-instruction step of the fault-proof VM (`RISCV`); OP's `IBigStepper`.
interface IBigStepper {
    function step(bytes calldata stateData, bytes calldata proof, bytes32 localContext)
        external
        returns (bytes32 postStateHash);
    function oracle() external view returns (IPreimageLoader);
}

/// @notice What a game loads into the VM's preimage oracle.
interface IPreimageLoader {
    function loadLocalData(uint256 ident, bytes32 localContext, bytes32 word, uint256 size, uint256 partOffset)
        external
        returns (bytes32 key);
}
