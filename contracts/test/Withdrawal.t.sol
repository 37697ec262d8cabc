// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Setup} from "./lib/Setup.sol";
import {WithdrawalFixture as F} from "./fixtures/WithdrawalFixture.sol";
import {Portal} from "../src/L1/Portal.sol";
import {PortalBase} from "../src/L1/PortalBase.sol";
import {Types} from "../src/lib/Types.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {MPT} from "../src/lib/MPT.sol";

/// @notice Etched at the fixture's target 0xbEEF: records what the portal delivered.
contract Receiver {
    uint256 public lastArg;
    uint256 public lastValue;
    address public lastL2Sender;

    function ping(uint256 _x) external payable {
        lastArg = _x;
        lastValue = msg.value;
        lastL2Sender = Portal(payable(msg.sender)).l2Sender();
    }
}

/// @notice Withdrawal target that tries to re-enter finalize.
contract Reentrant {
    Portal public portal;
    Types.WithdrawalTransaction internal other;
    bytes public innerRevert;
    bool public innerSucceeded;

    function arm(Portal _portal, Types.WithdrawalTransaction memory _other) external {
        portal = _portal;
        other = _other;
    }

    receive() external payable {}

    fallback() external payable {
        try portal.finalizeWithdrawalTransaction(other) {
            innerSucceeded = true;
        } catch (bytes memory reason) {
            innerRevert = reason;
        }
    }
}

contract WithdrawalTest is L1Setup {
    Receiver internal receiverAtTarget = Receiver(F.TARGET);

    function setUp() public override {
        super.setUp();
        vm.deal(address(portal), 100 ether);
        vm.etch(F.TARGET, type(Receiver).runtimeCode);
    }

    function fixtureTx() internal pure returns (Types.WithdrawalTransaction memory) {
        return Types.WithdrawalTransaction({
            nonce: F.NONCE,
            sender: F.SENDER,
            target: F.TARGET,
            value: F.VALUE,
            gasLimit: F.GAS_LIMIT,
            data: F.DATA
        });
    }

    function fixtureOutputProof() internal pure returns (Types.OutputRootProof memory) {
        return Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: F.STATE_ROOT,
            messagePasserStorageRoot: F.STORAGE_ROOT,
            latestBlockhash: F.BLOCK_HASH
        });
    }

    function proveFixture() internal returns (uint256 index) {
        index = propose(rootOf(fixtureOutputProof()));
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), F.storageProof());
    }

    /// A withdrawal tx with an arbitrary body, proven against its own single-leaf storage trie.
    function proveSynthetic(Types.WithdrawalTransaction memory _tx) internal returns (uint256 index) {
        (bytes32 storageRoot, bytes[] memory proof) = singleLeafTrie(Hashing.hashWithdrawal(_tx));
        Types.OutputRootProof memory orp = outputRootProof(storageRoot);
        index = propose(rootOf(orp));
        portal.proveWithdrawalTransaction(_tx, index, orp, proof);
    }

    // ---------------------------------------------------------------- happy path (real proof)

    function test_fixtureHashMatches() public pure {
        assertEq(Hashing.hashWithdrawal(fixtureTx()), F.WITHDRAWAL_HASH);
        assertEq(keccak256(abi.encode(F.WITHDRAWAL_HASH, uint256(0))), F.STORAGE_SLOT);
        assertEq(F.NONCE, (uint256(1) << 240) | 1, "versioned nonce 1 of version 1");
    }

    function test_proveAndFinalizeWithRealStorageProof() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        vm.expectEmit(true, true, true, true, address(portal));
        emit Portal.WithdrawalProven(F.WITHDRAWAL_HASH, F.SENDER, F.TARGET);
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), F.storageProof());

        (bytes32 root, uint128 ts, uint128 idx) = portal.provenWithdrawals(F.WITHDRAWAL_HASH);
        assertEq(root, rootOf(fixtureOutputProof()));
        assertEq(uint256(ts), block.timestamp);
        assertEq(uint256(idx), index);

        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        assertTrue(portal.isOutputFinalized(index));
        uint256 before = F.TARGET.balance;
        vm.expectEmit(true, true, true, true, address(portal));
        emit PortalBase.WithdrawalFinalized(F.WITHDRAWAL_HASH, true);
        portal.finalizeWithdrawalTransaction(fixtureTx());

        assertTrue(portal.finalizedWithdrawals(F.WITHDRAWAL_HASH));
        assertEq(F.TARGET.balance - before, 1 ether);
        assertEq(receiverAtTarget.lastArg(), 42);
        assertEq(receiverAtTarget.lastValue(), 1 ether);
        assertEq(receiverAtTarget.lastL2Sender(), F.SENDER, "l2Sender during the call");
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD, "l2Sender reset");
    }

    function test_failedCallStillFinalizes() public {
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction({
            nonce: 5, sender: alice, target: F.TARGET, value: 0, gasLimit: 50_000, data: hex"12345678"
        });
        proveSynthetic(t);
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.expectEmit(true, true, true, true, address(portal));
        emit PortalBase.WithdrawalFinalized(Hashing.hashWithdrawal(t), false);
        portal.finalizeWithdrawalTransaction(t);
        assertTrue(portal.finalizedWithdrawals(Hashing.hashWithdrawal(t)));
        vm.expectRevert(Portal.AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransaction(t);
    }

    function test_reproveAllowedAfterOutputReplaced() public {
        uint256 index = proveFixture();
        vm.prank(challenger);
        oracle.deleteL2Outputs(index);
        // Re-proposed with a different root at the same index: the withdrawal can be proven again.
        Types.OutputRootProof memory orp = fixtureOutputProof();
        orp.stateRoot = keccak256("other state");
        uint256 again = propose(rootOf(orp));
        assertEq(again, index);
        portal.proveWithdrawalTransaction(fixtureTx(), again, orp, F.storageProof());
        (bytes32 root,,) = portal.provenWithdrawals(F.WITHDRAWAL_HASH);
        assertEq(root, rootOf(orp));
    }

    // ---------------------------------------------------------------- revert paths

    function test_RevertWhen_finalizeUnproven() public {
        vm.expectRevert(Portal.NotProven.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_finalizeTooEarly() public {
        proveFixture();
        vm.warp(block.timestamp + FINALIZATION_PERIOD); // not strictly after
        vm.expectRevert(Portal.ProofNotOldEnough.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_outputYoungerThanProof() public {
        // Proven, then the output is deleted and the same root re-proposed later: the proof is
        // old enough but the (new) output is not.
        uint256 index = proveFixture();
        vm.prank(challenger);
        oracle.deleteL2Outputs(index);
        vm.warp(block.timestamp + 1 days);
        propose(rootOf(fixtureOutputProof()));
        vm.warp(block.timestamp + FINALIZATION_PERIOD - 1 days + 1);
        vm.expectRevert(Portal.OutputNotOldEnough.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_provenTwiceWithSameOutput() public {
        uint256 index = proveFixture();
        vm.expectRevert(Portal.AlreadyProven.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), F.storageProof());
    }

    function test_RevertWhen_finalizedTwice() public {
        proveFixture();
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        vm.expectRevert(Portal.AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_outputRootProofDoesNotMatch() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        Types.OutputRootProof memory orp = fixtureOutputProof();
        orp.latestBlockhash = bytes32(uint256(1));
        vm.expectRevert(Portal.InvalidOutputRootProof.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, orp, F.storageProof());
    }

    function test_RevertWhen_outputRootVersionNonZero() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        Types.OutputRootProof memory orp = fixtureOutputProof();
        orp.version = bytes32(uint256(1));
        vm.expectRevert(Portal.InvalidOutputRootVersion.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, orp, F.storageProof());
    }

    function test_RevertWhen_badProofWrongWithdrawal() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        Types.WithdrawalTransaction memory t = fixtureTx();
        t.value = 2 ether; // different hash: not in the trie
        vm.expectRevert();
        portal.proveWithdrawalTransaction(t, index, fixtureOutputProof(), F.storageProof());
    }

    function test_RevertWhen_badProofTamperedNode() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        bytes[] memory p = F.storageProof();
        p[1][5] = bytes1(uint8(p[1][5]) ^ 1);
        vm.expectRevert(MPT.MPTBadNodeHash.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), p);
    }

    function test_RevertWhen_badProofTruncated() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        bytes[] memory full = F.storageProof();
        bytes[] memory p = new bytes[](full.length - 1);
        for (uint256 i = 0; i < p.length; i++) p[i] = full[i];
        vm.expectRevert(MPT.MPTMissingNode.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), p);
    }

    function test_RevertWhen_storedValueIsNotOne() public {
        Types.WithdrawalTransaction memory t = fixtureTx();
        bytes32 slot = keccak256(abi.encode(Hashing.hashWithdrawal(t), uint256(0)));
        bytes memory leaf = abi.encodePacked(hex"e3a120", keccak256(abi.encode(slot)), hex"02");
        bytes[] memory proof = new bytes[](1);
        proof[0] = leaf;
        Types.OutputRootProof memory orp = outputRootProof(keccak256(leaf));
        uint256 index = propose(rootOf(orp));
        vm.expectRevert(Portal.InvalidWithdrawalInclusionProof.selector);
        portal.proveWithdrawalTransaction(t, index, orp, proof);
    }

    function test_RevertWhen_targetIsPortal() public {
        Types.WithdrawalTransaction memory t = fixtureTx();
        t.target = address(portal);
        vm.expectRevert(PortalBase.BadTarget.selector);
        portal.proveWithdrawalTransaction(t, 0, fixtureOutputProof(), F.storageProof());
    }

    function test_RevertWhen_pausedProve() public {
        uint256 index = propose(rootOf(fixtureOutputProof()));
        vm.prank(guardian);
        portal.pause();
        assertTrue(portal.paused());
        vm.expectRevert(Portal.PortalPaused.selector);
        portal.proveWithdrawalTransaction(fixtureTx(), index, fixtureOutputProof(), F.storageProof());
    }

    function test_RevertWhen_pausedFinalize() public {
        proveFixture();
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.prank(guardian);
        portal.pause();
        vm.expectRevert(Portal.PortalPaused.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
        vm.prank(guardian);
        portal.unpause();
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_pauseByNonGuardian() public {
        vm.expectRevert(PortalBase.Unauthorized.selector);
        portal.pause();
        vm.expectRevert(PortalBase.Unauthorized.selector);
        portal.unpause();
    }

    function test_RevertWhen_outputDeletedBeforeFinalize() public {
        uint256 index = proveFixture();
        vm.prank(challenger);
        oracle.deleteL2Outputs(index);
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.expectRevert(bytes("L2OutputOracle: output index out of range"));
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_outputReplacedBeforeFinalize() public {
        uint256 index = proveFixture();
        vm.prank(challenger);
        oracle.deleteL2Outputs(index);
        propose(keccak256("another root"));
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.expectRevert(Portal.OutputRootChanged.selector);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }

    function test_RevertWhen_notEnoughGasForWithdrawal() public {
        proveFixture();
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.expectRevert(PortalBase.InsufficientGas.selector);
        portal.finalizeWithdrawalTransaction{gas: 150_000}(fixtureTx());
        assertFalse(portal.finalizedWithdrawals(F.WITHDRAWAL_HASH));
    }

    function test_RevertWhen_estimationAndCallFails() public {
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction({
            nonce: 9, sender: alice, target: F.TARGET, value: 0, gasLimit: 50_000, data: hex"12345678"
        });
        proveSynthetic(t);
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        vm.prank(alice, address(1));
        vm.expectRevert(Portal.GasEstimation.selector);
        portal.finalizeWithdrawalTransaction(t);
    }

    function test_RevertWhen_reentrantFinalize() public {
        Reentrant attacker = new Reentrant();
        Types.WithdrawalTransaction memory inner = Types.WithdrawalTransaction({
            nonce: 2, sender: alice, target: alice, value: 1 ether, gasLimit: 30_000, data: ""
        });
        Types.WithdrawalTransaction memory outer = Types.WithdrawalTransaction({
            nonce: 1, sender: alice, target: address(attacker), value: 0, gasLimit: 500_000, data: hex"01"
        });
        attacker.arm(portal, inner);
        proveSynthetic(inner);
        proveSynthetic(outer);
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);

        portal.finalizeWithdrawalTransaction(outer);
        assertFalse(attacker.innerSucceeded());
        assertEq(attacker.innerRevert(), abi.encodeWithSelector(Portal.NonReentrant.selector));
        assertTrue(portal.finalizedWithdrawals(Hashing.hashWithdrawal(outer)));
        assertFalse(portal.finalizedWithdrawals(Hashing.hashWithdrawal(inner)));

        // The inner withdrawal is still finalizable on its own.
        uint256 before = alice.balance;
        portal.finalizeWithdrawalTransaction(inner);
        assertEq(alice.balance - before, 1 ether);
    }

    function test_RevertWhen_reentrantFinalizeSelf() public {
        Reentrant attacker = new Reentrant();
        Types.WithdrawalTransaction memory outer = Types.WithdrawalTransaction({
            nonce: 3, sender: alice, target: address(attacker), value: 0, gasLimit: 500_000, data: hex"01"
        });
        attacker.arm(portal, outer);
        proveSynthetic(outer);
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        portal.finalizeWithdrawalTransaction(outer);
        assertEq(attacker.innerRevert(), abi.encodeWithSelector(Portal.NonReentrant.selector));
    }

    // ---------------------------------------------------------------- gas report scenario

    /// One deposit, one prove (real 3-node proof) and one finalize, for `forge test --gas-report`.
    function test_gasScenario() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice, alice);
        portal.depositTransaction{value: 1 ether}(alice, 1 ether, 100_000, false, "");
        proveFixture();
        vm.warp(block.timestamp + FINALIZATION_PERIOD + 1);
        portal.finalizeWithdrawalTransaction(fixtureTx());
    }
}
