// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";
import {Hashing} from "../lib/Hashing.sol";
import {MPT} from "../lib/MPT.sol";
import {IOutputSource} from "./IOutputSource.sol";
import {PortalBase} from "./PortalBase.sol";

/// @title Portal
/// @notice L1 entry and exit of the rollup in its permissioned mode. Deposits are emitted as
///         TransactionDeposited events that the L2 derivation turns into deposit transactions;
///         withdrawals are proven against an output root of the L2OutputOracle with a storage
///         proof of the L2ToL1MessagePasser and finalized after the finalization period. ABI of
///         the OP Stack's OptimismPortal 2.x (the L2OutputOracle generation). Plain deployment,
///         no proxy. `FaultProofPortal` is the same with dispute games instead of the oracle.
contract Portal is PortalBase {
    /// @notice Storage record of a proven withdrawal.
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

    IOutputSource public immutable l2Oracle;

    /// @notice Withdrawals that have been proven. Slot 3.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;

    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);

    error PortalPaused();
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
    error GasEstimation();

    modifier whenNotPaused() {
        if (paused) revert PortalPaused();
        _;
    }

    /// @param _l2Oracle     Output source (the L2OutputOracle).
    /// @param _guardian     Account allowed to pause and unpause withdrawals.
    /// @param _systemConfig SystemConfig of this chain; it must name this portal.
    constructor(IOutputSource _l2Oracle, address _guardian, address _systemConfig, bool _paused)
        PortalBase(_guardian, _systemConfig, _paused)
    {
        l2Oracle = _l2Oracle;
    }

    function version() external pure returns (string memory) {
        // viem's OP Stack actions select the L2OutputOracle code path for major < 3.
        return "2.8.0";
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

        bool success = _execute(_tx, withdrawalHash);
        if (!success && tx.origin == ESTIMATION_ADDRESS) revert GasEstimation();
    }

    /// @notice True once the output at `_l2OutputIndex` is older than the finalization period.
    function isOutputFinalized(uint256 _l2OutputIndex) external view returns (bool) {
        Types.OutputProposal memory proposal = l2Oracle.getL2Output(_l2OutputIndex);
        return block.timestamp > uint256(proposal.timestamp) + l2Oracle.finalizationPeriodSeconds();
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
}
