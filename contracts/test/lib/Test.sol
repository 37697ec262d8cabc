// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The forge cheatcodes our tests use (a subset of forge's Vm interface).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function prank(address msgSender) external;
    function prank(address msgSender, address txOrigin) external;
    function startPrank(address msgSender) external;
    function startPrank(address msgSender, address txOrigin) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function fee(uint256 newBasefee) external;
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;
    function expectEmit() external;
    function expectEmit(address emitter) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function assume(bool condition) external pure;
    function getNonce(address account) external view returns (uint64 nonce);
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function label(address account, string calldata newLabel) external;
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);
    function getDeployedCode(string calldata artifactPath) external view returns (bytes memory runtimeBytecode);
    function toString(uint256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);
    function toString(bool value) external pure returns (string memory);
    function signDelegation(address implementation, uint256 privateKey)
        external
        returns (SignedDelegation memory signedDelegation);
    function attachDelegation(SignedDelegation calldata signedDelegation) external;

    struct SignedDelegation {
        uint8 v;
        bytes32 r;
        bytes32 s;
        uint64 nonce;
        address implementation;
    }
}

/// @notice Minimal test base: cheatcodes plus assertions that revert with a readable message.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev forge looks for this to know the contract is a test.
    bool public IS_TEST = true;

    function fail(string memory _msg) internal pure {
        revert(string.concat("assertion failed: ", _msg));
    }

    function assertTrue(bool _c) internal pure {
        if (!_c) fail("expected true");
    }

    function assertTrue(bool _c, string memory _m) internal pure {
        if (!_c) fail(_m);
    }

    function assertFalse(bool _c) internal pure {
        if (_c) fail("expected false");
    }

    function assertFalse(bool _c, string memory _m) internal pure {
        if (_c) fail(_m);
    }

    function assertEq(uint256 _a, uint256 _b) internal pure {
        if (_a != _b) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(uint256 _a, uint256 _b, string memory _m) internal pure {
        if (_a != _b) fail(string.concat(_m, ": ", vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(int256 _a, int256 _b) internal pure {
        if (_a != _b) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(address _a, address _b) internal pure {
        if (_a != _b) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(address _a, address _b, string memory _m) internal pure {
        if (_a != _b) fail(string.concat(_m, ": ", vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bytes32 _a, bytes32 _b) internal pure {
        if (_a != _b) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bytes32 _a, bytes32 _b, string memory _m) internal pure {
        if (_a != _b) fail(string.concat(_m, ": ", vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bool _a, bool _b) internal pure {
        if (_a != _b) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bool _a, bool _b, string memory _m) internal pure {
        if (_a != _b) fail(string.concat(_m, ": ", vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bytes memory _a, bytes memory _b) internal pure {
        if (keccak256(_a) != keccak256(_b)) fail(string.concat(vm.toString(_a), " != ", vm.toString(_b)));
    }

    function assertEq(bytes memory _a, bytes memory _b, string memory _m) internal pure {
        if (keccak256(_a) != keccak256(_b)) {
            fail(string.concat(_m, ": ", vm.toString(_a), " != ", vm.toString(_b)));
        }
    }

    function assertEq(string memory _a, string memory _b) internal pure {
        if (keccak256(bytes(_a)) != keccak256(bytes(_b))) fail(string.concat('"', _a, '" != "', _b, '"'));
    }

    function assertNotEq(bytes32 _a, bytes32 _b) internal pure {
        if (_a == _b) fail(string.concat(vm.toString(_a), " == ", vm.toString(_b)));
    }

    function assertGt(uint256 _a, uint256 _b) internal pure {
        if (_a <= _b) fail(string.concat(vm.toString(_a), " <= ", vm.toString(_b)));
    }

    function assertGe(uint256 _a, uint256 _b) internal pure {
        if (_a < _b) fail(string.concat(vm.toString(_a), " < ", vm.toString(_b)));
    }

    function assertLt(uint256 _a, uint256 _b) internal pure {
        if (_a >= _b) fail(string.concat(vm.toString(_a), " >= ", vm.toString(_b)));
    }

    function assertLe(uint256 _a, uint256 _b) internal pure {
        if (_a > _b) fail(string.concat(vm.toString(_a), " > ", vm.toString(_b)));
    }

    /// @dev Clamps `_x` into [_min, _max] (for fuzz inputs).
    function bound(uint256 _x, uint256 _min, uint256 _max) internal pure returns (uint256) {
        require(_min <= _max, "bound: min > max");
        if (_x >= _min && _x <= _max) return _x;
        uint256 size = _max - _min + 1;
        if (size == 0) return _x; // full range
        return _min + (_x % size);
    }
}
