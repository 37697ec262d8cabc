// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";
import {Hashing} from "../lib/Hashing.sol";
import {MPT} from "../lib/MPT.sol";
import {PortalBase} from "./PortalBase.sol";
import {GameStatus, IDisputeGame} from "../dispute/DisputeTypes.sol";
import {AnchorStateRegistry} from "../dispute/AnchorStateRegistry.sol";
import {DisputeGameFactory} from "../dispute/DisputeGameFactory.sol";

/// @title FaultProofPortal
/// @notice L1 entry and exit of the rollup with permissionless fault proofs: a withdrawal is
///         proven against a dispute game's root claim, and paid once the proof is older than
///         `proofMaturityDelaySeconds` and the anchor state registry deems the game's claim
///         valid (proper, respected, finalized, and won by its defender). The external ABI and
///         the checks, in their order, of OP's `OptimismPortal2` 4.x/5.x (so viem's OP Stack
///         actions take their fault-proof path, which they pick for `version()` major >= 3):
///         every address keeps its own proof of a withdrawal, and may prove again (against
///         another game) at any time; `finalizeWithdrawalTransaction` uses the caller's proof.
///         Deposits are those of `PortalBase`. Differences: a constructor instead of
///         `initialize`; the guardian's pause is this contract's own (OP: SystemConfig); no ETH
///         lockbox, custom gas token or super roots.
contract FaultProofPortal is PortalBase {
    /// @notice A proof of a withdrawal by one submitter.
    struct ProvenWithdrawal {
        IDisputeGame disputeGameProxy;
        uint64 timestamp;
    }

    /// @notice The registry that says which games count.
    AnchorStateRegistry public immutable anchorStateRegistry;
    /// @notice How long a proof waits before its withdrawal can be finalized.
    uint256 public immutable proofMaturityDelaySeconds;

    /// @notice Proofs, by withdrawal hash and submitter. Slot 3.
    mapping(bytes32 => mapping(address => ProvenWithdrawal)) public provenWithdrawals;
    /// @notice Everyone who proved a withdrawal, in order (an address proving twice is listed
    ///         twice, as in OP). Slot 4.
    mapping(bytes32 => address[]) public proofSubmitters;

    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalProvenExtension1(bytes32 indexed withdrawalHash, address indexed proofSubmitter);

    error OptimismPortal_CallPaused();
    error OptimismPortal_BadTarget();
    error OptimismPortal_InvalidDisputeGame();
    error OptimismPortal_ImproperDisputeGame();
    error OptimismPortal_InvalidProofTimestamp();
    error OptimismPortal_InvalidOutputRootProof();
    error OptimismPortal_InvalidMerkleProof();
    error OptimismPortal_AlreadyFinalized();
    error OptimismPortal_Unproven();
    error OptimismPortal_ProofNotOldEnough();
    error OptimismPortal_InvalidRootClaim();
    error OptimismPortal_NoReentrancy();
    error OptimismPortal_GasEstimation();

    modifier whenNotPaused() {
        if (paused) revert OptimismPortal_CallPaused();
        _;
    }

    /// @param _registry         The anchor state registry (and through it the game factory).
    /// @param _guardian         Account allowed to pause and unpause withdrawals.
    /// @param _systemConfig     SystemConfig of this chain; it must name this portal.
    /// @param _proofMaturityDelaySeconds How long a proof waits before finalization.
    constructor(
        AnchorStateRegistry _registry,
        address _guardian,
        address _systemConfig,
        uint256 _proofMaturityDelaySeconds,
        bool _paused
    ) PortalBase(_guardian, _systemConfig, _paused) {
        anchorStateRegistry = _registry;
        proofMaturityDelaySeconds = _proofMaturityDelaySeconds;
    }

    function version() external pure returns (string memory) {
        return "4.0.0";
    }

    /// @notice The factory whose games withdrawals are proven against.
    function disputeGameFactory() public view returns (DisputeGameFactory) {
        return anchorStateRegistry.disputeGameFactory();
    }

    /// @notice The game type whose games count (the registry's).
    function respectedGameType() external view returns (uint32) {
        return anchorStateRegistry.respectedGameType();
    }

    /// @notice Games created at or before this are retired (the registry's retirement time).
    function respectedGameTypeUpdatedAt() external view returns (uint64) {
        return anchorStateRegistry.retirementTimestamp();
    }

    /// @notice How long after resolution a game counts (the registry's).
    function disputeGameFinalityDelaySeconds() external view returns (uint256) {
        return anchorStateRegistry.disputeGameFinalityDelaySeconds();
    }

    /// @notice Whether the guardian blacklisted `game` (the registry's list).
    function disputeGameBlacklist(IDisputeGame game) external view returns (bool) {
        return anchorStateRegistry.disputeGameBlacklist(game);
    }

    /// @notice How many proofs of the withdrawal were submitted.
    function numProofSubmitters(bytes32 withdrawalHash) external view returns (uint256) {
        return proofSubmitters[withdrawalHash].length;
    }

    /// @notice Proves that a withdrawal was sent on L2, against the root claim of the game at
    ///         `_disputeGameIndex` in the factory. The game must be proper and respected, not
    ///         lost by its defender, and older than this block.
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction memory _tx,
        uint256 _disputeGameIndex,
        Types.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external whenNotPaused {
        DisputeGameFactory factory = disputeGameFactory();
        if (_disputeGameIndex >= factory.gameCount()) revert OptimismPortal_InvalidDisputeGame();
        (,, IDisputeGame game) = factory.gameAtIndex(_disputeGameIndex);
        if (_tx.target == address(this)) revert OptimismPortal_BadTarget();
        if (!anchorStateRegistry.isGameProper(game)) revert OptimismPortal_ImproperDisputeGame();
        if (!anchorStateRegistry.isGameRespected(game)) revert OptimismPortal_InvalidDisputeGame();
        if (game.status() == GameStatus.CHALLENGER_WINS) revert OptimismPortal_InvalidDisputeGame();
        if (block.timestamp <= game.createdAt()) revert OptimismPortal_InvalidProofTimestamp();
        if (_outputRootProof.version != bytes32(0) || game.rootClaim() != Hashing.hashOutputRootProof(_outputRootProof))
        {
            revert OptimismPortal_InvalidOutputRootProof();
        }

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        // sentMessages is slot 0 of the L2ToL1MessagePasser: the entry's slot is
        // keccak256(withdrawalHash ++ 0), and a sent message stores `true`, RLP 0x01.
        bytes32 slot = keccak256(abi.encode(withdrawalHash, uint256(0)));
        bytes memory stored =
            MPT.getSecure(abi.encode(slot), _copy(_withdrawalProof), _outputRootProof.messagePasserStorageRoot);
        if (stored.length != 1 || stored[0] != 0x01) revert OptimismPortal_InvalidMerkleProof();

        provenWithdrawals[withdrawalHash][msg.sender] = ProvenWithdrawal(game, uint64(block.timestamp));
        proofSubmitters[withdrawalHash].push(msg.sender);
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
        emit WithdrawalProvenExtension1(withdrawalHash, msg.sender);
    }

    /// @notice Reverts unless the withdrawal can be finalized with `_proofSubmitter`'s proof:
    ///         not finalized, proven after its game was created, the proof older than the
    ///         maturity delay, and the game's claim valid in the registry.
    function checkWithdrawal(bytes32 _withdrawalHash, address _proofSubmitter) public view {
        ProvenWithdrawal memory p = provenWithdrawals[_withdrawalHash][_proofSubmitter];
        if (finalizedWithdrawals[_withdrawalHash]) revert OptimismPortal_AlreadyFinalized();
        if (p.timestamp == 0) revert OptimismPortal_Unproven();
        if (p.timestamp <= p.disputeGameProxy.createdAt()) revert OptimismPortal_InvalidProofTimestamp();
        if (block.timestamp - p.timestamp <= proofMaturityDelaySeconds) revert OptimismPortal_ProofNotOldEnough();
        if (!anchorStateRegistry.isGameClaimValid(p.disputeGameProxy)) revert OptimismPortal_InvalidRootClaim();
    }

    /// @notice Finalizes a withdrawal with the caller's own proof.
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction memory _tx) external {
        finalizeWithdrawalTransactionExternalProof(_tx, msg.sender);
    }

    /// @notice Executes a withdrawal proven by `_proofSubmitter` once `checkWithdrawal` passes.
    ///         The call gets exactly `_tx.gasLimit` gas; a failed call still finalizes it.
    function finalizeWithdrawalTransactionExternalProof(Types.WithdrawalTransaction memory _tx, address _proofSubmitter)
        public
        whenNotPaused
    {
        if (l2Sender != DEFAULT_L2_SENDER) revert OptimismPortal_NoReentrancy();
        if (_tx.target == address(this)) revert OptimismPortal_BadTarget();
        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        checkWithdrawal(withdrawalHash, _proofSubmitter);
        bool success = _execute(_tx, withdrawalHash);
        if (!success && tx.origin == ESTIMATION_ADDRESS) revert OptimismPortal_GasEstimation();
    }
}
