// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPreimageOracle
/// @notice The surface of the preimage oracle that the step contract reads through.
interface IPreimageOracle {
    function readPreimage(bytes32 key, uint256 offset) external view returns (bytes32 dat, uint256 datLen);
}

/// @title PreimageOracle
/// @notice Holds 32-byte parts of preimages for the fault-proof VM, keyed as in the OP spec.
///         A preimage is read as the stream `len_be8 ++ preimage` (an 8-byte big-endian length
///         prefix); a part is the 32 bytes of that stream from a given offset, zero-padded past
///         its end. Anyone may load a part; what is loaded is checked:
///         - keccak256 keys (type 2) are computed here from the whole preimage;
///         - local keys (type 1) are localized to their loader and a context:
///           `keccak256(abi.encode(key, caller, localContext))` with the first byte set to 1,
///           where `key` is the identifier with its first byte set to 1. The step contract
///           localizes a type-1 key the same way with its own caller, so a dispute game that
///           loads local data and then calls `step` reads back what it loaded.
///         Past the end of a preimage whose length is known (any of its parts was loaded),
///         `readPreimage` returns an empty part (`datLen = 0`), which the VM reads as EOF.
contract PreimageOracle is IPreimageOracle {
    /// @notice Length of each preimage (without the prefix), set when one of its parts is loaded.
    mapping(bytes32 => uint256) public preimageLengths;
    /// @notice Whether `preimageLengths[key]` has been set.
    mapping(bytes32 => bool) public preimageLengthOk;
    /// @notice The 32-byte part of `len_be8 ++ preimage` at each loaded offset.
    mapping(bytes32 => mapping(uint256 => bytes32)) public preimageParts;
    /// @notice Whether the part at an offset was loaded.
    mapping(bytes32 => mapping(uint256 => bool)) public preimagePartOk;

    /// @notice The part offset is not inside `len_be8 ++ preimage`.
    error PartOffsetOOB();
    /// @notice Local data is at most 32 bytes.
    error LocalDataTooLarge();
    /// @notice Nothing was loaded for this key at this offset.
    error PreimageMissing(bytes32 key, uint256 offset);

    /// @notice Reads the part of `key`'s stream at `offset`. `datLen` is how many of its bytes
    ///         belong to the stream: `min(32, len + 8 - offset)`, and 0 at or past the end.
    function readPreimage(bytes32 key, uint256 offset) external view returns (bytes32 dat, uint256 datLen) {
        if (!preimagePartOk[key][offset]) {
            // EOF: the length is known and the offset is at or past the end of the stream.
            if (preimageLengthOk[key] && offset >= preimageLengths[key] + 8) return (bytes32(0), 0);
            revert PreimageMissing(key, offset);
        }
        uint256 end = preimageLengths[key] + 8;
        datLen = end - offset < 32 ? end - offset : 32;
        dat = preimageParts[key][offset];
    }

    /// @notice Loads the part at `partOffset` of a keccak256 preimage. The key is
    ///         `keccak256(preimage)` with its first byte set to 2.
    function loadKeccak256PreimagePart(uint256 partOffset, bytes calldata preimage) external {
        uint256 size = preimage.length;
        if (partOffset >= size + 8) revert PartOffsetOOB();
        bytes32 key;
        bytes32 part;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            // The stream `len_be8 ++ preimage`, then 32 zero bytes so a part past the end is padded.
            mstore(ptr, shl(192, size))
            calldatacopy(add(ptr, 8), preimage.offset, size)
            mstore(add(add(ptr, 8), size), 0)
            part := mload(add(ptr, partOffset))
            key := or(and(keccak256(add(ptr, 8), size), not(shl(248, 0xff))), shl(248, 2))
        }
        store(key, partOffset, part, size);
    }

    /// @notice Loads the part at `partOffset` of the local data `word[0..size]` for the caller
    ///         and `localContext`, and returns its localized key.
    function loadLocalData(uint256 ident, bytes32 localContext, bytes32 word, uint256 size, uint256 partOffset)
        external
        returns (bytes32 key)
    {
        if (size > 32) revert LocalDataTooLarge();
        if (partOffset >= size + 8) revert PartOffsetOOB();
        key = localize(bytes32((ident & ~(uint256(0xff) << 248)) | (uint256(1) << 248)), msg.sender, localContext);
        // Only the first `size` bytes of `word` are data.
        bytes32 data = size == 0 ? bytes32(0) : word & bytes32(~(type(uint256).max >> (8 * size)));
        bytes32 part;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(192, size))
            mstore(add(ptr, 8), data)
            mstore(add(ptr, 40), 0)
            part := mload(add(ptr, partOffset))
        }
        store(key, partOffset, part, size);
    }

    /// @notice The localized form of the local key `key` for `caller` and `localContext`.
    function localize(bytes32 key, address caller, bytes32 localContext) public pure returns (bytes32) {
        uint256 h = uint256(keccak256(abi.encode(key, caller, localContext)));
        return bytes32((h & ~(uint256(0xff) << 248)) | (uint256(1) << 248));
    }

    function store(bytes32 key, uint256 partOffset, bytes32 part, uint256 size) internal {
        preimagePartOk[key][partOffset] = true;
        preimageParts[key][partOffset] = part;
        preimageLengths[key] = size;
        preimageLengthOk[key] = true;
    }
}
