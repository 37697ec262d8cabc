// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";
import {Hashing} from "../lib/Hashing.sol";

interface ISystemConfigPortalView {
    function optimismPortal() external view returns (address);
}

/// @title PortalBase
/// @notice What both Portals share: deposits (TransactionDeposited, aliasing, the per-block L2
///         gas cap), the guardian's pause, and executing a finalized withdrawal with exactly its
///         gas limit. `Portal` proves withdrawals against the L2OutputOracle, `FaultProofPortal`
///         against dispute games. Storage slots 0-2 are laid out here, in this order, for both.
abstract contract PortalBase {
    /// @notice Value of l2Sender outside of a withdrawal's execution.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice Version of the TransactionDeposited event's opaqueData layout.
    uint256 internal constant DEPOSIT_VERSION = 0;
    /// @notice L2 gas given to deposits made by sending ETH to the portal.
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;
    /// @notice Largest calldata a deposit may carry.
    uint256 internal constant MAX_DEPOSIT_DATA = 120_000;
    /// @notice Most L2 gas all deposits of one L1 block may request together (OP's default
    ///         maxResourceLimit). We cap instead of running OP's EIP-1559 style gas auction.
    uint64 public constant MAX_RESOURCE_LIMIT = 20_000_000;
    /// @notice Gas kept back in finalize for the work after the call (event, l2Sender reset).
    uint256 internal constant FINALIZE_GAS_MARGIN = 40_000;
    /// @notice tx.origin used by OP tooling for gas estimation of finalize: a failed call then
    ///         reverts so that eth_estimateGas searches for enough gas.
    address internal constant ESTIMATION_ADDRESS = address(1);

    address public immutable systemConfig;
    address public immutable guardian;

    /// @notice Sender of the withdrawal being executed; DEFAULT_L2_SENDER otherwise. Slot 0.
    address public l2Sender;
    /// @notice Whether prove/finalize are paused. Slot 0 (packed after l2Sender).
    bool public paused;
    /// @notice L1 block number and L2 gas requested so far in it by deposits. Slot 1.
    uint64 public depositBlockNumber;
    uint64 public depositGasUsed;
    /// @notice Withdrawals that have been finalized (successfully or not). Slot 2.
    mapping(bytes32 => bool) public finalizedWithdrawals;

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    event Paused(address account);
    event Unpaused(address account);

    error Unauthorized();
    error BadTarget();
    error LargeCalldata();
    error SmallGasLimit();
    error DepositGasLimitExceeded();
    error InsufficientGas();
    error SystemConfigMismatch();

    /// @param _guardian     Account allowed to pause and unpause withdrawals.
    /// @param _systemConfig SystemConfig of this chain; it must name this portal (deploy it first
    ///                      with this portal's precomputed CREATE address).
    constructor(address _guardian, address _systemConfig, bool _paused) {
        if (_systemConfig.code.length > 0 && ISystemConfigPortalView(_systemConfig).optimismPortal() != address(this)) {
            revert SystemConfigMismatch();
        }
        guardian = _guardian;
        systemConfig = _systemConfig;
        l2Sender = DEFAULT_L2_SENDER;
        paused = _paused;
    }

    /// @notice Lets anyone fund the portal without creating a deposit.
    function donateETH() external payable {}

    /// @notice Sending ETH to the portal deposits it to the sender's address on L2.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_DEFAULT_GAS_LIMIT, false, bytes(""));
    }

    /// @notice Minimum L2 gas limit of a deposit carrying `_byteCount` bytes of data.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21_000;
    }

    /// @notice Sends a transaction to L2. msg.value is minted on L2 to the (aliased) sender
    ///         before the transaction runs.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        public
        payable
    {
        if (_isCreation && _to != address(0)) revert BadTarget();
        if (_data.length > MAX_DEPOSIT_DATA) revert LargeCalldata();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert SmallGasLimit();
        _meter(_gasLimit);

        address from = msg.sender;
        if (!_senderIsEOA()) {
            from = Hashing.applyL1ToL2Alias(msg.sender);
        }
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    function pause() external {
        if (msg.sender != guardian) revert Unauthorized();
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external {
        if (msg.sender != guardian) revert Unauthorized();
        paused = false;
        emit Unpaused(msg.sender);
    }

    /// @dev Marks the withdrawal finalized, then calls its target as `l2Sender` with exactly
    ///      its gas limit. A failed call stays finalized (it cannot be replayed).
    function _execute(Types.WithdrawalTransaction memory _tx, bytes32 _withdrawalHash) internal returns (bool success) {
        finalizedWithdrawals[_withdrawalHash] = true;
        l2Sender = _tx.sender;
        success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = DEFAULT_L2_SENDER;
        emit WithdrawalFinalized(_withdrawalHash, success);
    }

    /// @dev Deposits are not aliased when sent by an EOA: either the transaction's signer itself
    ///      or an EIP-7702 delegated EOA (code = 0xef0100 ++ address), whose key controls the same
    ///      address on L2.
    function _senderIsEOA() internal view returns (bool) {
        if (msg.sender == tx.origin) return true;
        address s = msg.sender;
        if (s.code.length != 23) return false;
        bytes3 prefix;
        assembly {
            let ptr := mload(0x40)
            extcodecopy(s, ptr, 0, 3)
            prefix := mload(ptr)
        }
        return prefix == 0xef0100;
    }

    /// @dev Bounds the L2 gas all deposits of one L1 block can request.
    function _meter(uint64 _gasLimit) internal {
        uint64 used = depositBlockNumber == uint64(block.number) ? depositGasUsed : 0;
        uint256 total = uint256(used) + _gasLimit;
        if (total > MAX_RESOURCE_LIMIT) revert DepositGasLimitExceeded();
        depositBlockNumber = uint64(block.number);
        depositGasUsed = uint64(total);
    }

    /// @dev Calls `_target` forwarding exactly `_gasLimit` gas, reverting if this frame cannot
    ///      guarantee that much. CALL keeps 1/64 of the remaining gas and costs up to ~36.6k on
    ///      its own (cold account, value transfer, new account), so we require
    ///      gasleft() * 63/64 >= _gasLimit + FINALIZE_GAS_MARGIN. Return data is not copied.
    function _callWithMinGas(address _target, uint256 _gasLimit, uint256 _value, bytes memory _data)
        internal
        returns (bool success)
    {
        if (gasleft() * 63 < (_gasLimit + FINALIZE_GAS_MARGIN) * 64) revert InsufficientGas();
        assembly {
            success := call(_gasLimit, _target, _value, add(_data, 32), mload(_data), 0, 0)
        }
    }

    function _copy(bytes[] calldata _in) internal pure returns (bytes[] memory out) {
        out = _in;
    }
}
