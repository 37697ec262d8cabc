// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./DisputeTypes.sol";

/// @title DisputeGameFactory
/// @notice Creates dispute games, one per (game type, root claim, extra data), each an EIP-1167
///         clone of the type's implementation funded with the type's exact init bond, and keeps
///         the list of every game. OP's `DisputeGameFactory` ABI: `create`, `games`,
///         `gameAtIndex`, `gameCount`, `findLatestGames`, `getGameUUID`, `gameImpls`,
///         `initBonds`, the owner's `setImplementation`/`setInitBond`, and the
///         `DisputeGameCreated` event. Differences: a constructor instead of `initialize`, and
///         the clone receives its arguments through `initialize` instead of appended calldata.
contract DisputeGameFactory {
    /// @notice A game found by `findLatestGames`; OP's `GameSearchResult`.
    struct GameSearchResult {
        uint256 index;
        bytes32 metadata; // the GameId: type << 224 | timestamp << 160 | proxy
        uint64 timestamp;
        bytes32 rootClaim;
        bytes extraData;
    }

    /// @notice Semantic version.
    string public constant version = "1.0.0";

    /// @notice May set implementations and bonds.
    address public owner;
    /// @notice The implementation cloned for each game type.
    mapping(uint32 => IDisputeGame) public gameImpls;
    /// @notice The exact bond `create` requires, per game type.
    mapping(uint32 => uint256) public initBonds;

    mapping(bytes32 => bytes32) internal gameIds;
    bytes32[] internal gameList;

    event DisputeGameCreated(address indexed disputeProxy, uint32 indexed gameType, bytes32 indexed rootClaim);
    event ImplementationSet(address indexed impl, uint32 indexed gameType);
    event InitBondUpdated(uint32 indexed gameType, uint256 indexed newBond);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NoImplementation(uint32 gameType);
    error IncorrectBondAmount();
    error GameAlreadyExists(bytes32 uuid);
    error NotOwner();
    error CloneFailed();
    error GameTypeMismatch(uint32 implementationGameType);

    constructor(address _owner) {
        owner = _owner;
        emit OwnershipTransferred(address(0), _owner);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice Creates the game for `rootClaim` and `extraData` with the type's init bond. The
    ///         game's L1 head is the parent of the block it is created in.
    function create(uint32 gameType, bytes32 rootClaim, bytes calldata extraData)
        external
        payable
        returns (IDisputeGame proxy)
    {
        IDisputeGame impl = gameImpls[gameType];
        if (address(impl) == address(0)) revert NoImplementation(gameType);
        if (msg.value != initBonds[gameType]) revert IncorrectBondAmount();
        bytes32 uuid = getGameUUID(gameType, rootClaim, extraData);
        if (gameIds[uuid] != bytes32(0)) revert GameAlreadyExists(uuid);

        proxy = IDisputeGame(clone(address(impl)));
        proxy.initialize{value: msg.value}(msg.sender, rootClaim, blockhash(block.number - 1), extraData);

        bytes32 id = packId(gameType, uint64(block.timestamp), address(proxy));
        gameIds[uuid] = id;
        gameList.push(id);
        emit DisputeGameCreated(address(proxy), gameType, rootClaim);
    }

    /// @notice The game for a key, and when it was created (zero if none).
    function games(uint32 gameType, bytes32 rootClaim, bytes calldata extraData)
        external
        view
        returns (IDisputeGame proxy, uint64 timestamp)
    {
        (, timestamp, proxy) = unpackId(gameIds[getGameUUID(gameType, rootClaim, extraData)]);
    }

    /// @notice The game created `index`-th.
    function gameAtIndex(uint256 index) external view returns (uint32 gameType, uint64 timestamp, IDisputeGame proxy) {
        (gameType, timestamp, proxy) = unpackId(gameList[index]);
    }

    /// @notice How many games were created.
    function gameCount() external view returns (uint256) {
        return gameList.length;
    }

    /// @notice Up to `n` games of `gameType`, newest first, from index `start` backwards.
    function findLatestGames(uint32 gameType, uint256 start, uint256 n)
        external
        view
        returns (GameSearchResult[] memory found)
    {
        found = new GameSearchResult[](n);
        uint256 count;
        if (start < gameList.length && n > 0) {
            for (uint256 i = start + 1; i > 0 && count < n; i--) {
                bytes32 id = gameList[i - 1];
                (uint32 t, uint64 ts, IDisputeGame proxy) = unpackId(id);
                if (t != gameType) continue;
                found[count++] = GameSearchResult(i - 1, id, ts, proxy.rootClaim(), proxy.extraData());
            }
        }
        assembly ("memory-safe") {
            mstore(found, count)
        }
    }

    /// @notice The key of a game: keccak256(abi.encode(gameType, rootClaim, extraData)).
    function getGameUUID(uint32 gameType, bytes32 rootClaim, bytes calldata extraData) public pure returns (bytes32) {
        return keccak256(abi.encode(gameType, rootClaim, extraData));
    }

    /// @notice Sets the implementation cloned for `gameType` (zero: no more games of it). Its
    ///         own `gameType()` must be `gameType`, or every game would be unregistered.
    function setImplementation(uint32 gameType, IDisputeGame impl) external onlyOwner {
        if (address(impl) != address(0) && impl.gameType() != gameType) revert GameTypeMismatch(impl.gameType());
        gameImpls[gameType] = impl;
        emit ImplementationSet(address(impl), gameType);
    }

    function setInitBond(uint32 gameType, uint256 bond) external onlyOwner {
        initBonds[gameType] = bond;
        emit InitBondUpdated(gameType, bond);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function packId(uint32 gameType, uint64 timestamp, address proxy) internal pure returns (bytes32) {
        return bytes32((uint256(gameType) << 224) | (uint256(timestamp) << 160) | uint256(uint160(proxy)));
    }

    function unpackId(bytes32 id) internal pure returns (uint32 gameType, uint64 timestamp, IDisputeGame proxy) {
        gameType = uint32(uint256(id) >> 224);
        timestamp = uint64(uint256(id) >> 160);
        proxy = IDisputeGame(address(uint160(uint256(id))));
    }

    /// @dev Deploys an EIP-1167 minimal proxy delegating to `impl`.
    function clone(address impl) internal returns (address instance) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            // 3d602d80600a3d3981f3 (creation) ++ 363d3d373d3d3d363d73 <impl> 5af43d82803e903d91602b57fd5bf3
            mstore(ptr, 0x3d602d80600a3d3981f3363d3d373d3d3d363d73000000000000000000000000)
            mstore(add(ptr, 0x14), shl(0x60, impl))
            mstore(add(ptr, 0x28), 0x5af43d82803e903d91602b57fd5bf30000000000000000000000000000000000)
            instance := create(0, ptr, 0x37)
        }
        if (instance == address(0)) revert CloneFailed();
    }
}
