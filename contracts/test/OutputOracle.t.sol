// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1Setup} from "./lib/Setup.sol";
import {L2OutputOracle} from "../src/L1/L2OutputOracle.sol";
import {Types} from "../src/lib/Types.sol";

contract OutputOracleTest is L1Setup {
    function test_gettersAndAliases() public view {
        assertEq(oracle.SUBMISSION_INTERVAL(), SUBMISSION_INTERVAL);
        assertEq(oracle.submissionInterval(), SUBMISSION_INTERVAL);
        assertEq(oracle.L2_BLOCK_TIME(), L2_BLOCK_TIME);
        assertEq(oracle.l2BlockTime(), L2_BLOCK_TIME);
        assertEq(oracle.PROPOSER(), proposer);
        assertEq(oracle.proposer(), proposer);
        assertEq(oracle.CHALLENGER(), challenger);
        assertEq(oracle.challenger(), challenger);
        assertEq(oracle.FINALIZATION_PERIOD_SECONDS(), FINALIZATION_PERIOD);
        assertEq(oracle.finalizationPeriodSeconds(), FINALIZATION_PERIOD);
        assertEq(oracle.startingBlockNumber(), 0);
        assertEq(oracle.startingTimestamp(), START_TIME);
        assertEq(oracle.nextBlockNumber(), 10);
        assertEq(oracle.nextOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), 0);
        assertEq(oracle.computeL2Timestamp(10), START_TIME + 20);
    }

    function test_proposeStoresOutputAndEmits() public {
        vm.warp(START_TIME + 21);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit L2OutputOracle.OutputProposed(bytes32(uint256(0xaa)), 0, 10, START_TIME + 21);
        vm.prank(proposer);
        oracle.proposeL2Output(bytes32(uint256(0xaa)), 10, bytes32(0), 0);
        Types.OutputProposal memory o = oracle.getL2Output(0);
        assertEq(o.outputRoot, bytes32(uint256(0xaa)));
        assertEq(uint256(o.timestamp), START_TIME + 21);
        assertEq(uint256(o.l2BlockNumber), 10);
        assertEq(oracle.latestOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), 10);
        assertEq(oracle.nextBlockNumber(), 20);
    }

    function test_getL2OutputIndexAfter() public {
        propose(bytes32(uint256(1))); // block 10
        propose(bytes32(uint256(2))); // block 20
        propose(bytes32(uint256(3))); // block 30
        assertEq(oracle.getL2OutputIndexAfter(0), 0);
        assertEq(oracle.getL2OutputIndexAfter(10), 0);
        assertEq(oracle.getL2OutputIndexAfter(11), 1);
        assertEq(oracle.getL2OutputIndexAfter(20), 1);
        assertEq(oracle.getL2OutputIndexAfter(25), 2);
        assertEq(oracle.getL2OutputIndexAfter(30), 2);
        assertEq(oracle.getL2OutputAfter(15).outputRoot, bytes32(uint256(2)));
    }

    function test_RevertWhen_outputAfterUnproposedBlock() public {
        // viem matches this exact string to report "waiting-to-prove".
        vm.expectRevert(bytes("L2OutputOracle: cannot get output for a block that has not been proposed"));
        oracle.getL2OutputIndexAfter(1);
        propose(bytes32(uint256(1)));
        vm.expectRevert(bytes("L2OutputOracle: cannot get output for a block that has not been proposed"));
        oracle.getL2OutputIndexAfter(11);
    }

    function test_RevertWhen_wrongProposer() public {
        vm.warp(START_TIME + 100);
        vm.expectRevert(bytes("L2OutputOracle: only the proposer address can propose new outputs"));
        vm.prank(alice);
        oracle.proposeL2Output(bytes32(uint256(1)), 10, bytes32(0), 0);
    }

    function test_RevertWhen_wrongBlockNumber() public {
        vm.warp(START_TIME + 100);
        vm.expectRevert(bytes("L2OutputOracle: block number must be equal to next expected block number"));
        vm.prank(proposer);
        oracle.proposeL2Output(bytes32(uint256(1)), 11, bytes32(0), 0);
    }

    function test_RevertWhen_outputInTheFuture() public {
        vm.warp(START_TIME + 20); // L2 block 10 has timestamp START_TIME + 20: not strictly in the past
        vm.expectRevert(bytes("L2OutputOracle: cannot propose L2 output in the future"));
        vm.prank(proposer);
        oracle.proposeL2Output(bytes32(uint256(1)), 10, bytes32(0), 0);
    }

    function test_RevertWhen_zeroRoot() public {
        vm.warp(START_TIME + 100);
        vm.expectRevert(bytes("L2OutputOracle: L2 output proposal cannot be the zero hash"));
        vm.prank(proposer);
        oracle.proposeL2Output(bytes32(0), 10, bytes32(0), 0);
    }

    function test_RevertWhen_l1BlockHashMismatch() public {
        vm.warp(START_TIME + 100);
        vm.expectRevert(bytes("L2OutputOracle: block hash does not match the hash at the expected height"));
        vm.prank(proposer);
        oracle.proposeL2Output(bytes32(uint256(1)), 10, bytes32(uint256(0xdead)), block.number - 1);
    }

    function test_deleteOutputs() public {
        propose(bytes32(uint256(1)));
        propose(bytes32(uint256(2)));
        propose(bytes32(uint256(3)));
        vm.expectEmit(true, true, true, true, address(oracle));
        emit L2OutputOracle.OutputsDeleted(3, 1);
        vm.prank(challenger);
        oracle.deleteL2Outputs(1);
        assertEq(oracle.nextOutputIndex(), 1);
        assertEq(oracle.latestBlockNumber(), 10);
        assertEq(oracle.nextBlockNumber(), 20);
        vm.expectRevert(bytes("L2OutputOracle: output index out of range"));
        oracle.getL2Output(1);
        // the next proposal reuses index 1 for block 20
        assertEq(propose(bytes32(uint256(7))), 1);
        assertEq(oracle.getL2Output(1).outputRoot, bytes32(uint256(7)));
    }

    function test_RevertWhen_wrongChallenger() public {
        propose(bytes32(uint256(1)));
        vm.expectRevert(bytes("L2OutputOracle: only the challenger address can delete outputs"));
        vm.prank(proposer);
        oracle.deleteL2Outputs(0);
    }

    function test_RevertWhen_deleteFinalizedOutput() public {
        propose(bytes32(uint256(1)));
        vm.warp(block.timestamp + FINALIZATION_PERIOD);
        vm.expectRevert(bytes("L2OutputOracle: cannot delete outputs that have already been finalized"));
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
    }

    function test_RevertWhen_deleteBeyondLatest() public {
        propose(bytes32(uint256(1)));
        vm.expectRevert(bytes("L2OutputOracle: cannot delete outputs after the latest output index"));
        vm.prank(challenger);
        oracle.deleteL2Outputs(1);
    }

    function test_RevertWhen_latestOutputIndexWithNoOutputs() public {
        vm.expectRevert();
        oracle.latestOutputIndex();
    }
}
