// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeSetup} from "./lib/DisputeSetup.sol";
import {WithdrawalFixture as F} from "./fixtures/WithdrawalFixture.sol";
import {Receiver} from "./Withdrawal.t.sol";
import {FaultProofPortal} from "../src/L1/FaultProofPortal.sol";
import {PortalBase} from "../src/L1/PortalBase.sol";
import {FaultDisputeGame} from "../src/dispute/FaultDisputeGame.sol";
import {GameStatus, IDisputeGame} from "../src/dispute/DisputeTypes.sol";
import {Types} from "../src/lib/Types.sol";
import {Hashing} from "../src/lib/Hashing.sol";

/// @notice Withdrawals proven against dispute games and finalized through the registry, with
///         the real withdrawal fixture (a storage proof of our L2ToL1MessagePasser from anvil).
contract FaultProofPortalTest is DisputeSetup {
    uint256 internal constant MATURITY = 70;

    FaultProofPortal internal portal;
    Receiver internal receiverAtTarget = Receiver(F.TARGET);

    function setUp() public {
        deployDispute(keccak256("prestate"));
        portal = new FaultProofPortal(registry, guardian, address(0x5C), MATURITY, false);
        vm.deal(address(portal), 100 ether);
        vm.etch(F.TARGET, type(Receiver).runtimeCode);
    }

    function fixtureTx() internal pure returns (Types.WithdrawalTransaction memory) {
        return Types.WithdrawalTransaction(F.NONCE, F.SENDER, F.TARGET, F.VALUE, F.GAS_LIMIT, F.DATA);
    }

    function fixtureOutputProof() internal pure returns (Types.OutputRootProof memory) {
        return Types.OutputRootProof(bytes32(0), F.STATE_ROOT, F.STORAGE_ROOT, F.BLOCK_HASH);
    }

    function fixtureRoot() internal pure returns (bytes32) {
        return Hashing.hashOutputRootProof(fixtureOutputProof());
    }

    /// @dev A game for the fixture's output root, claimed for `l2Block`, one second old.
    function fixtureGame(uint256 l2Block) internal returns (FaultDisputeGame game, uint256 index) {
        index = factory.gameCount();
        game = propose(fixtureRoot(), l2Block);
        vm.warp(block.timestamp + 1);
    }

    function prove(uint256 index) internal {
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), F.storageProof());
    }

    function test_theFaultProofAbiForViem() public view {
        assertEq(portal.version(), "4.0.0");
        assertEq(uint256(portal.respectedGameType()), GAME_TYPE);
        assertEq(address(portal.disputeGameFactory()), address(factory));
        assertEq(address(portal.anchorStateRegistry()), address(registry));
        assertEq(portal.disputeGameFinalityDelaySeconds(), FINALITY);
        assertEq(portal.proofMaturityDelaySeconds(), MATURITY);
        assertEq(uint256(portal.respectedGameTypeUpdatedAt()), registry.retirementTimestamp());
        (IDisputeGame game, uint64 ts) = portal.provenWithdrawals(F.WITHDRAWAL_HASH, address(this));
        assertEq(address(game), address(0), "an unknown proof reads as empty, never reverts");
        assertEq(uint256(ts), 0);
        assertEq(portal.numProofSubmitters(F.WITHDRAWAL_HASH), 0);
    }

    function test_proveAndFinalizeAgainstAGameItsDefenderWon() public {
        (FaultDisputeGame game, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        vm.expectEmit(true, true, true, true, address(portal));
        emit FaultProofPortal.WithdrawalProven(F.WITHDRAWAL_HASH, F.SENDER, F.TARGET);
        vm.expectEmit(true, true, true, true, address(portal));
        emit FaultProofPortal.WithdrawalProvenExtension1(F.WITHDRAWAL_HASH, address(this));
        prove(index);
        (IDisputeGame proven, uint64 ts) = portal.provenWithdrawals(F.WITHDRAWAL_HASH, address(this));
        assertEq(address(proven), address(game));
        assertEq(uint256(ts), block.timestamp);
        assertEq(portal.numProofSubmitters(F.WITHDRAWAL_HASH), 1);
        assertEq(portal.proofSubmitters(F.WITHDRAWAL_HASH, 0), address(this));

        vm.expectRevert(FaultProofPortal.OptimismPortal_ProofNotOldEnough.selector);
        portal.checkWithdrawal(F.WITHDRAWAL_HASH, address(this));
        vm.warp(block.timestamp + MATURITY + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.checkWithdrawal(F.WITHDRAWAL_HASH, address(this)); // the game is in progress
        resolveAll(game);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx()); // resolved, not yet final
        vm.warp(block.timestamp + FINALITY + 1);

        portal.checkWithdrawal(F.WITHDRAWAL_HASH, address(this));
        vm.expectEmit(true, true, true, true, address(portal));
        emit PortalBase.WithdrawalFinalized(F.WITHDRAWAL_HASH, true);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        assertTrue(portal.finalizedWithdrawals(F.WITHDRAWAL_HASH));
        assertEq(receiverAtTarget.lastArg(), 42);
        assertEq(receiverAtTarget.lastValue(), F.VALUE);
        assertEq(receiverAtTarget.lastL2Sender(), F.SENDER);
        vm.expectRevert(FaultProofPortal.OptimismPortal_AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_anyoneMayFinalizeWithAnotherSubmittersProof() public {
        (FaultDisputeGame game, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        vm.prank(proposer);
        prove(index);
        vm.warp(block.timestamp + MATURITY + 1);
        resolveAll(game);
        vm.warp(block.timestamp + FINALITY + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_Unproven.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        portal.finalizeWithdrawalTransactionExternalProof(fixtureTx(), proposer);
        assertTrue(portal.finalizedWithdrawals(F.WITHDRAWAL_HASH));
    }

    function test_aProofAgainstALostGameCannotFinalizeAndIsProvenAgain() public {
        // A root for the wrong block: the challenger wins, and the proof against it is void.
        (FaultDisputeGame bad, uint256 badIndex) = fixtureGame(ANCHOR_BLOCK + 2);
        prove(badIndex);
        moveAs(challenger, bad, 0, keccak256("the real 102"), true);
        vm.warp(block.timestamp + MATURITY + 1);
        assertEq(uint256(resolveAll(bad)), uint256(GameStatus.CHALLENGER_WINS));
        vm.warp(block.timestamp + FINALITY + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidDisputeGame.selector);
        prove(badIndex);

        (FaultDisputeGame good, uint256 goodIndex) = fixtureGame(ANCHOR_BLOCK + 1);
        prove(goodIndex);
        assertEq(portal.numProofSubmitters(F.WITHDRAWAL_HASH), 2);
        vm.warp(block.timestamp + MATURITY + 1);
        resolveAll(good);
        vm.warp(block.timestamp + FINALITY + 1);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        assertTrue(portal.finalizedWithdrawals(F.WITHDRAWAL_HASH));
    }

    function test_aBlacklistedGameVoidsItsProofs() public {
        (FaultDisputeGame game, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        prove(index);
        vm.warp(block.timestamp + MATURITY + 1);
        resolveAll(game);
        vm.warp(block.timestamp + FINALITY + 1);
        vm.prank(guardian);
        registry.blacklistDisputeGame(game);
        assertTrue(portal.disputeGameBlacklist(game));
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidRootClaim.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        vm.expectRevert(FaultProofPortal.OptimismPortal_ImproperDisputeGame.selector);
        prove(index);
    }

    function test_RevertWhen_provenInTheGamesCreationBlock() public {
        uint256 index = factory.gameCount();
        propose(fixtureRoot(), ANCHOR_BLOCK + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidProofTimestamp.selector);
        prove(index);
    }

    function test_RevertWhen_theGameIndexDoesNotExist() public {
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidDisputeGame.selector);
        prove(0);
    }

    function test_RevertWhen_theGameIsNotOfTheRespectedType() public {
        vm.prank(guardian);
        registry.setRespectedGameType(GAME_TYPE + 1);
        (, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidDisputeGame.selector);
        prove(index);
    }

    function test_RevertWhen_theOutputRootProofIsNotTheRootClaim() public {
        (, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        Types.OutputRootProof memory orp = fixtureOutputProof();
        orp.stateRoot = bytes32(0);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidOutputRootProof.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, orp, F.storageProof());
        orp = fixtureOutputProof();
        orp.version = bytes32(uint256(1));
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidOutputRootProof.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, orp, F.storageProof());
    }

    function test_RevertWhen_theStoredValueIsNotOne() public {
        Types.WithdrawalTransaction memory t = fixtureTx();
        bytes32 slot = keccak256(abi.encode(Hashing.hashWithdrawal(t), uint256(0)));
        bytes memory leaf = abi.encodePacked(hex"e3a120", keccak256(abi.encode(slot)), hex"02");
        bytes[] memory proof = new bytes[](1);
        proof[0] = leaf;
        Types.OutputRootProof memory orp =
            Types.OutputRootProof(bytes32(0), keccak256("state"), keccak256(leaf), keccak256("block"));
        uint256 index = factory.gameCount();
        propose(Hashing.hashOutputRootProof(orp), ANCHOR_BLOCK + 1);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(FaultProofPortal.OptimismPortal_InvalidMerkleProof.selector);
        portal.proveWithdrawalTransaction(t, index, orp, proof);
    }

    function test_RevertWhen_theTargetIsThePortal() public {
        (, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        Types.WithdrawalTransaction memory t = fixtureTx();
        t.target = address(portal);
        vm.expectRevert(FaultProofPortal.OptimismPortal_BadTarget.selector);
        portal.proveWithdrawalTransaction(t, index, fixtureOutputProof(), F.storageProof());
    }

    function test_RevertWhen_paused() public {
        (, uint256 index) = fixtureGame(ANCHOR_BLOCK + 1);
        vm.prank(guardian);
        portal.pause();
        vm.expectRevert(FaultProofPortal.OptimismPortal_CallPaused.selector);
        prove(index);
        vm.expectRevert(FaultProofPortal.OptimismPortal_CallPaused.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_depositsWorkAsOnThePermissionedPortal() public {
        vm.recordLogs();
        vm.deal(address(this), 1 ether);
        portal.depositTransaction{value: 1 ether}(address(0xB0B), 1 ether, 100_000, false, "");
        assertEq(vm.getRecordedLogs().length, 1);
        assertEq(portal.depositGasUsed(), 100_000);
    }
}
