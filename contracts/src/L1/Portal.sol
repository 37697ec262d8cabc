// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";
import {Hashing} from "../lib/Hashing.sol";
import {MPT} from "../lib/MPT.sol";
import {IOutputSource} from "./IOutputSource.sol";

interface ISystemConfigPortalView {
    function optimismPortal() external view returns (address);
}

/// @title Portal
/// @notice L1 entry and exit of the rollup. Deposits are emitted as TransactionDeposited events
///         that the L2 derivation turns into deposit transactions; withdrawals are proven against
///         an output root with a storage proof of the L2ToL1MessagePasser and finalized after
///         the finalization period. ABI of the OP Stack's OptimismPortal 2.x (the L2OutputOracle
///         generation). Plain deployment, no proxy.
contract Portal {
    /// @notice Storage record of a proven withdrawal.
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

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

    IOutputSource public immutable l2Oracle;
    address public immutable systemConfig;
    address public immutable guardian;

    // ---- storage (slot numbers are this contract's own, not OP's) ----
    /// @notice Sender of the withdrawal being executed; DEFAULT_L2_SENDER otherwise. Slot 0.
    address public l2Sender;
    /// @notice Whether prove/finalize are paused. Slot 0 (packed after l2Sender).
    bool public paused;
    /// @notice L1 block number and L2 gas requested so far in it by deposits. Slot 1.
    uint64 public depositBlockNumber;
    uint64 public depositGasUsed;
    /// @notice Withdrawals that have been finalized (successfully or not). Slot 2.
    mapping(bytes32 => bool) public finalizedWithdrawals;
    /// @notice Withdrawals that have been proven. Slot 3.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    event Paused(address account);
    event Unpaused(address account);

    error Unauthorized();
    error PortalPaused();
    error BadTarget();
    error LargeCalldata();
    error SmallGasLimit();
    error DepositGasLimitExceeded();
    error InvalidOutputRootVersion();
    error InvalidOutputRootProof();
    error AlreadyProven();
    error InvalidWithdrawalInclusionProof();
    error NotProven();
    error ProofNotOldEnough();
    error OutputNotOldEnough();
    error OutputRootChanged();
    error AlreadyFinalized();
    error NonReentrant();
    error InsufficientGas();
    error GasEstimation();
    error SystemConfigMismatch();

    modifier whenNotPaused() {
        if (paused) revert PortalPaused();
        _;
    }

    /// @param _l2Oracle     Output source (the L2OutputOracle).
    /// @param _guardian     Account allowed to pause and unpause withdrawals.
    /// @param _systemConfig SystemConfig of this chain; it must name this portal (deploy it first
    ///                      with this portal's precomputed CREATE address).
    constructor(IOutputSource _l2Oracle, address _guardian, address _systemConfig, bool _paused) {
        if (_systemConfig.code.length > 0 && ISystemConfigPortalView(_systemConfig).optimismPortal() != address(this)) {
            revert SystemConfigMismatch();
        }
        l2Oracle = _l2Oracle;
        guardian = _guardian;
        systemConfig = _systemConfig;
        l2Sender = DEFAULT_L2_SENDER;
        paused = _paused;
    }

    function version() external pure returns (string memory) {
        // viem's OP Stack actions select the L2OutputOracle code path for major < 3.
        return "2.8.0";
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

    /// @notice Proves that a withdrawal was sent on L2, against the output at `_l2OutputIndex`.
    ///         A withdrawal may be proven again only if the output root at its proven index has
    ///         changed (or is gone) since.
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction memory _tx,
        uint256 _l2OutputIndex,
        Types.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external whenNotPaused {
        if (_tx.target == address(this)) revert BadTarget();
        if (_outputRootProof.version != bytes32(0)) revert InvalidOutputRootVersion();

        bytes32 outputRoot = l2Oracle.getL2Output(_l2OutputIndex).outputRoot;
        if (outputRoot != Hashing.hashOutputRootProof(_outputRootProof)) revert InvalidOutputRootProof();

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        ProvenWithdrawal memory prev = provenWithdrawals[withdrawalHash];
        if (prev.timestamp != 0 && _outputStillMatches(prev)) revert AlreadyProven();

        // sentMessages is slot 0 of the L2ToL1MessagePasser: the entry's slot is
        // keccak256(withdrawalHash ++ 0), and a sent message stores `true`, RLP 0x01.
        bytes32 slot = keccak256(abi.encode(withdrawalHash, uint256(0)));
        bytes memory stored =
            MPT.getSecure(abi.encode(slot), _copy(_withdrawalProof), _outputRootProof.messagePasserStorageRoot);
        if (stored.length != 1 || stored[0] != 0x01) revert InvalidWithdrawalInclusionProof();

        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: outputRoot,
            timestamp: uint128(block.timestamp),
            l2OutputIndex: uint128(_l2OutputIndex)
        });
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
    }

    /// @notice Executes a proven withdrawal once the finalization period has passed both since
    ///         the proof and since the output's proposal. The call gets exactly _tx.gasLimit gas;
    ///         a failed call still finalizes the withdrawal (it cannot be replayed).
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction memory _tx) external whenNotPaused {
        if (l2Sender != DEFAULT_L2_SENDER) revert NonReentrant();

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (proven.timestamp == 0) revert NotProven();
        uint256 period = l2Oracle.finalizationPeriodSeconds();
        if (block.timestamp <= uint256(proven.timestamp) + period) revert ProofNotOldEnough();

        Types.OutputProposal memory proposal = l2Oracle.getL2Output(proven.l2OutputIndex);
        if (proposal.outputRoot != proven.outputRoot) revert OutputRootChanged();
        if (block.timestamp <= uint256(proposal.timestamp) + period) revert OutputNotOldEnough();
        if (finalizedWithdrawals[withdrawalHash]) revert AlreadyFinalized();

        finalizedWithdrawals[withdrawalHash] = true;
        l2Sender = _tx.sender;
        bool success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = DEFAULT_L2_SENDER;

        emit WithdrawalFinalized(withdrawalHash, success);
        if (!success && tx.origin == ESTIMATION_ADDRESS) revert GasEstimation();
    }

    /// @notice True once the output at `_l2OutputIndex` is older than the finalization period.
    function isOutputFinalized(uint256 _l2OutputIndex) external view returns (bool) {
        Types.OutputProposal memory proposal = l2Oracle.getL2Output(_l2OutputIndex);
        return block.timestamp > uint256(proposal.timestamp) + l2Oracle.finalizationPeriodSeconds();
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

    /// @dev Whether the output a withdrawal was proven against is still the one at its index.
    ///      An index that no longer exists (deleted and not re-proposed) counts as changed.
    function _outputStillMatches(ProvenWithdrawal memory _p) internal view returns (bool) {
        try l2Oracle.getL2Output(_p.l2OutputIndex) returns (Types.OutputProposal memory o) {
            return o.outputRoot == _p.outputRoot;
        } catch {
            return false;
        }
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
