// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GameStatus, IDisputeGame} from "./DisputeTypes.sol";
import {DisputeGameFactory} from "./DisputeGameFactory.sol";

/// @notice The registry a game reads its anchor from.
interface IRegistryBound {
    function anchorStateRegistry() external view returns (address);
}

/// @title AnchorStateRegistry
/// @notice The anchor that new games bisect from, and the one place that says whether a game's
///         result counts: OP's `AnchorStateRegistry` predicates (`isGameRegistered`,
///         `isGameBlacklisted`, `isGameRetired`, `isGameRespected`, `isGameProper`,
///         `isGameResolved`, `isGameFinalized`, `isGameClaimValid`), `getAnchorRoot`,
///         `setAnchorState`, and the guardian's blacklist, retirement and respected game type.
///         Differences: a constructor instead of `initialize`; the guardian is set here (OP
///         reads it from SuperchainConfig) and there is no pause (the Portal has its own).
contract AnchorStateRegistry {
    /// @notice Semantic version.
    string public constant version = "1.0.0";

    /// @notice The factory whose games are registered.
    DisputeGameFactory public immutable disputeGameFactory;
    /// @notice How long after resolution a game's result waits before it counts.
    uint256 public immutable disputeGameFinalityDelaySeconds;
    /// @notice May blacklist games, retire all games so far, and change the respected type.
    address public immutable guardian;

    bytes32 internal startingRoot;
    uint256 internal startingBlock;
    /// @notice The game whose claim is the anchor (zero: the starting anchor).
    IDisputeGame public anchorGame;
    /// @notice The game type whose games the Portal accepts.
    uint32 public respectedGameType;
    /// @notice Games created at or before this time are retired.
    uint64 public retirementTimestamp;
    /// @notice Games the guardian blacklisted.
    mapping(IDisputeGame => bool) public disputeGameBlacklist;

    event AnchorUpdated(IDisputeGame indexed game);
    event DisputeGameBlacklisted(IDisputeGame indexed disputeGame);
    event RetirementTimestampSet(uint256 timestamp);
    event RespectedGameTypeSet(uint32 gameType);

    error AnchorStateRegistry_Unauthorized();
    error AnchorStateRegistry_InvalidAnchorGame();

    constructor(
        DisputeGameFactory _factory,
        address _guardian,
        bytes32 _startingRoot,
        uint256 _startingBlock,
        uint32 _respectedGameType,
        uint256 _finalityDelaySeconds
    ) {
        disputeGameFactory = _factory;
        guardian = _guardian;
        startingRoot = _startingRoot;
        startingBlock = _startingBlock;
        respectedGameType = _respectedGameType;
        disputeGameFinalityDelaySeconds = _finalityDelaySeconds;
        // Games created in the deployment block are not retired.
        retirementTimestamp = uint64(block.timestamp) - 1;
    }

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert AnchorStateRegistry_Unauthorized();
        _;
    }

    /// @notice The anchor output root and its L2 block.
    function getAnchorRoot() public view returns (bytes32 root, uint256 l2SequenceNumber) {
        IDisputeGame game = anchorGame;
        if (address(game) == address(0)) return (startingRoot, startingBlock);
        return (game.rootClaim(), game.l2SequenceNumber());
    }

    /// @notice The anchor for every game type (OP's legacy getter).
    function anchors(uint32) external view returns (bytes32, uint256) {
        return getAnchorRoot();
    }

    /// @notice Made by this registry's factory, under its own key, and started from this
    ///         registry's anchor.
    function isGameRegistered(IDisputeGame game) public view returns (bool) {
        (IDisputeGame proxy,) = disputeGameFactory.games(game.gameType(), game.rootClaim(), game.extraData());
        return address(proxy) == address(game) && IRegistryBound(address(game)).anchorStateRegistry() == address(this);
    }

    function isGameBlacklisted(IDisputeGame game) public view returns (bool) {
        return disputeGameBlacklist[game];
    }

    function isGameRetired(IDisputeGame game) public view returns (bool) {
        return game.createdAt() <= retirementTimestamp;
    }

    /// @notice Its type was the respected one when it was created.
    function isGameRespected(IDisputeGame game) public view returns (bool) {
        return game.wasRespectedGameTypeWhenCreated();
    }

    /// @notice Registered, not blacklisted, not retired: its bonds pay normally.
    function isGameProper(IDisputeGame game) public view returns (bool) {
        return isGameRegistered(game) && !isGameBlacklisted(game) && !isGameRetired(game);
    }

    function isGameResolved(IDisputeGame game) public view returns (bool) {
        GameStatus s = game.status();
        return game.resolvedAt() != 0 && (s == GameStatus.DEFENDER_WINS || s == GameStatus.CHALLENGER_WINS);
    }

    /// @notice Resolved more than the finality delay ago.
    function isGameFinalized(IDisputeGame game) public view returns (bool) {
        return isGameResolved(game) && block.timestamp - game.resolvedAt() > disputeGameFinalityDelaySeconds;
    }

    /// @notice A proper, respected, finalized game its defender won: its root claim counts.
    function isGameClaimValid(IDisputeGame game) public view returns (bool) {
        return isGameProper(game) && isGameRespected(game) && isGameFinalized(game)
            && game.status() == GameStatus.DEFENDER_WINS;
    }

    /// @notice Makes `game` the anchor: its claim must be valid and for a later block.
    function setAnchorState(IDisputeGame game) external {
        if (!isGameClaimValid(game)) revert AnchorStateRegistry_InvalidAnchorGame();
        (, uint256 current) = getAnchorRoot();
        if (game.l2SequenceNumber() <= current) revert AnchorStateRegistry_InvalidAnchorGame();
        anchorGame = game;
        emit AnchorUpdated(game);
    }

    function blacklistDisputeGame(IDisputeGame game) external onlyGuardian {
        disputeGameBlacklist[game] = true;
        emit DisputeGameBlacklisted(game);
    }

    /// @notice Retires every game created so far (at or before now).
    function updateRetirementTimestamp() external onlyGuardian {
        retirementTimestamp = uint64(block.timestamp);
        emit RetirementTimestampSet(block.timestamp);
    }

    function setRespectedGameType(uint32 gameType) external onlyGuardian {
        respectedGameType = gameType;
        emit RespectedGameTypeSet(gameType);
    }
}
