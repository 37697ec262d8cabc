// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeSetup} from "./lib/DisputeSetup.sol";
import {PreimageOracle} from "../src/fault-proof/PreimageOracle.sol";
import {RISCV} from "../src/fault-proof/RISCV.sol";
import {GameStatus, BondDistributionMode, IDisputeGame, IBigStepper} from "../src/dispute/DisputeTypes.sol";
import {DisputeGameFactory} from "../src/dispute/DisputeGameFactory.sol";
import {AnchorStateRegistry} from "../src/dispute/AnchorStateRegistry.sol";
import {FaultDisputeGame} from "../src/dispute/FaultDisputeGame.sol";
import {Types} from "../src/lib/Types.sol";
import {Hashing} from "../src/lib/Hashing.sol";

/// @notice Dispute games on a small tree (split depth 2, max depth 6: four output roots, eight
///         execution trace entries) over a real RISCV step contract and PreimageOracle. The
///         execution trace is a three-instruction program (`a0 = 1; a7 = 93; ecall`: exit 1,
///         the program's "invalid" verdict), so every claim below the split is a real VM state
///         hash, and `step` executes the real instruction.
contract DisputeGameTest is DisputeSetup {
    // The program's states: S[0] is the absolute prestate, S[3] has exited with code 1.
    VMState[4] internal states;
    bytes internal codeProof;

    function setUp() public {
        buildZeros();
        bytes32 code = leafWith(0, 0, abi.encodePacked(le32(0x00100513), le32(0x05d00893), le32(0x00000073)));
        bytes32 root;
        (codeProof, root) = prove1(PC, code);
        VMState memory s = initial(root);
        s.step = 0;
        states[0] = s;
        s.regs[10] = 1;
        s.pc += 4;
        s.step = 1;
        states[1] = s;
        s.regs[17] = 93;
        s.pc += 4;
        s.step = 2;
        states[2] = s;
        s.exited = true;
        s.exitCode = 1;
        s.step = 3;
        states[3] = s;

        deployDispute(hashOf(states[0]));
    }

    // ------------------------------------------------------------ helpers

    /// @dev The honest execution trace: entry i is the state after i + 1 steps.
    function trace(uint256 i) internal view returns (bytes32) {
        return hashOf(states[i < 3 ? i + 1 : 3]);
    }

    /// @dev Plays a wrong root (rogue) against the honest challenger down to the execution
    ///      trace: claims 0 (root, rogue, block 104), 1 (challenger: output of 102), 2 (rogue:
    ///      wrong output of 101), 3 (challenger: execution root, exit 1 = invalid).
    function playToExecutionRoot() internal returns (FaultDisputeGame game) {
        game = propose(keccak256("wrong"), ANCHOR_BLOCK + 4);
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true);
        moveAs(proposer, game, 1, keccak256("wrong 101"), true);
        moveAs(challenger, game, 2, trace(7), true);
        assertEq(uint256(positionOf(game, 3)), 8);
    }

    // ------------------------------------------------------------ creation

    function test_createRegistersTheGameAndStartsFromTheAnchor() public {
        vm.expectEmit(false, true, true, false, address(factory));
        emit DisputeGameFactory.DisputeGameCreated(address(0), GAME_TYPE, output(101));
        FaultDisputeGame game = propose(output(101), 101);

        assertEq(factory.gameCount(), 1);
        (uint32 t, uint64 ts, IDisputeGame proxy) = factory.gameAtIndex(0);
        assertEq(uint256(t), GAME_TYPE);
        assertEq(uint256(ts), block.timestamp);
        assertEq(address(proxy), address(game));
        (IDisputeGame found,) = factory.games(GAME_TYPE, output(101), abi.encode(uint256(101)));
        assertEq(address(found), address(game));

        assertEq(game.gameCreator(), proposer);
        assertEq(game.rootClaim(), output(101));
        assertEq(game.l1Head(), blockhash(block.number - 1));
        assertEq(game.l2SequenceNumber(), 101);
        assertEq(game.l2BlockNumber(), 101);
        assertEq(game.extraData(), abi.encode(uint256(101)));
        assertEq(game.startingBlockNumber(), ANCHOR_BLOCK);
        assertEq(game.startingRootHash(), ANCHOR_ROOT);
        assertEq(uint256(game.createdAt()), block.timestamp);
        assertEq(uint256(game.status()), uint256(GameStatus.IN_PROGRESS));
        assertEq(game.claimDataLen(), 1);
        assertTrue(game.wasRespectedGameTypeWhenCreated());
        assertEq(address(game).balance, INIT_BOND);
        assertTrue(registry.isGameRegistered(game));
        assertTrue(registry.isGameProper(game));
        assertFalse(registry.isGameResolved(game));
    }

    function test_findLatestGamesSearchesBackwardsByType() public {
        propose(output(101), 101);
        propose(output(102), 102);
        propose(output(103), 103);
        DisputeGameFactory.GameSearchResult[] memory r = factory.findLatestGames(GAME_TYPE, 2, 2);
        assertEq(r.length, 2);
        assertEq(r[0].index, 2);
        assertEq(r[0].rootClaim, output(103));
        assertEq(r[0].extraData, abi.encode(uint256(103)));
        assertEq(r[1].index, 1);
        assertEq(factory.findLatestGames(GAME_TYPE, 0, 5).length, 1);
        assertEq(factory.findLatestGames(GAME_TYPE + 1, 2, 5).length, 0);
        assertEq(factory.findLatestGames(GAME_TYPE, 3, 5).length, 0, "start past the end");
    }

    function test_RevertWhen_theInitBondIsWrong() public {
        vm.prank(proposer);
        vm.expectRevert(DisputeGameFactory.IncorrectBondAmount.selector);
        factory.create{value: INIT_BOND - 1}(GAME_TYPE, output(101), abi.encode(uint256(101)));
    }

    function test_RevertWhen_theGameExists() public {
        propose(output(101), 101);
        bytes32 uuid = factory.getGameUUID(GAME_TYPE, output(101), abi.encode(uint256(101)));
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(DisputeGameFactory.GameAlreadyExists.selector, uuid));
        factory.create{value: INIT_BOND}(GAME_TYPE, output(101), abi.encode(uint256(101)));
    }

    function test_RevertWhen_theGameTypeHasNoImplementation() public {
        vm.expectRevert(abi.encodeWithSelector(DisputeGameFactory.NoImplementation.selector, uint32(7)));
        factory.create(7, output(101), abi.encode(uint256(101)));
    }

    function test_RevertWhen_theBlockIsNotAfterTheAnchor() public {
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(FaultDisputeGame.UnexpectedRootClaim.selector, output(100)));
        factory.create{value: INIT_BOND}(GAME_TYPE, output(100), abi.encode(ANCHOR_BLOCK));
    }

    function test_RevertWhen_theBlockIsBeyondTheOutputTrace() public {
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(FaultDisputeGame.ClaimBeyondSplitDepth.selector, uint256(5)));
        factory.create{value: INIT_BOND}(GAME_TYPE, output(105), abi.encode(ANCHOR_BLOCK + 5));
    }

    function test_RevertWhen_theExtraDataIsNot32Bytes() public {
        vm.prank(proposer);
        vm.expectRevert(FaultDisputeGame.BadExtraData.selector);
        factory.create{value: INIT_BOND}(GAME_TYPE, output(101), abi.encodePacked(uint248(101)));
    }

    function test_RevertWhen_aGameIsInitializedOutsideTheFactory() public {
        FaultDisputeGame game = propose(output(101), 101);
        vm.expectRevert(FaultDisputeGame.AlreadyInitialized.selector);
        game.initialize(proposer, output(102), bytes32(0), abi.encode(uint256(102)));
        vm.expectRevert(FaultDisputeGame.NotFactory.selector);
        impl.initialize(proposer, output(102), bytes32(0), abi.encode(uint256(102)));
    }

    function test_RevertWhen_theDepthsOrClockAreInconsistent() public {
        FaultDisputeGame.GameConstructorParams memory p = params(bytes32(0));
        p.splitDepth = 5;
        vm.expectRevert(FaultDisputeGame.InvalidSplitDepth.selector);
        new FaultDisputeGame(p);
        p.splitDepth = 2;
        p.maxGameDepth = 126;
        vm.expectRevert(FaultDisputeGame.InvalidMaxGameDepth.selector);
        new FaultDisputeGame(p);
        p.maxGameDepth = 6;
        p.clockExtension = CLOCK / 2 + 1;
        vm.expectRevert(FaultDisputeGame.InvalidClockExtension.selector);
        new FaultDisputeGame(p);
        p.clockExtension = EXTENSION;
        p.bondGrowthWad = 0.99e18;
        vm.expectRevert(FaultDisputeGame.InvalidBond.selector);
        new FaultDisputeGame(p);
        p.bondGrowthWad = 1e18;
        p.baseBond = 0;
        vm.expectRevert(FaultDisputeGame.InvalidBond.selector);
        new FaultDisputeGame(p);
    }

    function test_RevertWhen_anImplementationIsForAnotherGameType() public {
        vm.expectRevert(abi.encodeWithSelector(DisputeGameFactory.GameTypeMismatch.selector, GAME_TYPE));
        factory.setImplementation(GAME_TYPE + 1, IDisputeGame(address(impl)));
    }

    function test_aGameCountsOnlyInTheRegistryItStartedFrom() public {
        FaultDisputeGame game = propose(output(101), 101);
        AnchorStateRegistry other =
            new AnchorStateRegistry(factory, guardian, ANCHOR_ROOT, ANCHOR_BLOCK, GAME_TYPE, FINALITY);
        assertTrue(registry.isGameRegistered(game));
        assertFalse(other.isGameRegistered(game));
        assertFalse(other.isGameProper(game));
    }

    // ------------------------------------------------------------ bonds and clocks

    function test_bondsGrowWithDepth() public view {
        FaultDisputeGame game = FaultDisputeGame(payable(address(impl)));
        assertEq(game.getRequiredBond(1), INIT_BOND);
        assertEq(game.getRequiredBond(2), INIT_BOND * 3 / 2);
        assertEq(game.getRequiredBond(3), INIT_BOND * 3 / 2, "same depth, same bond");
        assertEq(game.getRequiredBond(64), INIT_BOND * 3 / 2 * 3 / 2 * 3 / 2 * 3 / 2 * 3 / 2 * 3 / 2);
    }

    function test_RevertWhen_aBondIsBeyondTheMaxDepth() public {
        vm.expectRevert(FaultDisputeGame.GameDepthExceeded.selector);
        impl.getRequiredBond(128);
    }

    function test_RevertWhen_aMoveCarriesTheWrongBond() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        uint256 bond = game.getRequiredBond(2);
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.IncorrectBondAmount.selector);
        game.attack{value: bond + 1}(keccak256("wrong"), 0, output(102));
    }

    function test_RevertWhen_aMoveNamesTheWrongDisputedClaim() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        uint256 bond = game.getRequiredBond(2);
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.InvalidDisputedClaimIndex.selector);
        game.attack{value: bond}(output(102), 0, output(102));
    }

    function test_RevertWhen_theRootIsDefended() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        uint256 bond = game.getRequiredBond(2);
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.CannotDefendRootClaim.selector);
        game.defend{value: bond}(keccak256("wrong"), 0, output(102));
    }

    function test_RevertWhen_aMoveIsMadeAfterTheClock() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        vm.warp(block.timestamp + CLOCK);
        uint256 bond = game.getRequiredBond(2);
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.ClockTimeExceeded.selector);
        game.attack{value: bond}(keccak256("wrong"), 0, output(102));
    }

    function test_RevertWhen_theSameClaimIsMadeTwice() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        moveAs(challenger, game, 0, output(102), true);
        uint256 bond = game.getRequiredBond(2);
        vm.prank(proposer);
        vm.expectRevert(FaultDisputeGame.ClaimAlreadyExists.selector);
        game.attack{value: bond}(keccak256("wrong"), 0, output(102));
    }

    function test_RevertWhen_theParentDoesNotExist() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        vm.expectRevert(FaultDisputeGame.InvalidParent.selector);
        game.attack(keccak256("wrong"), 1, output(102));
    }

    function test_RevertWhen_anExecutionRootHasTheWrongStatus() public {
        FaultDisputeGame game = propose(keccak256("wrong"), ANCHOR_BLOCK + 4);
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true);
        moveAs(proposer, game, 1, keccak256("wrong 101"), true);
        // Attacking the rogue's output needs a root that says it is invalid (status 1 or 2).
        bytes32 running = trace(1); // status 3
        (,,,, bytes32 disputed,,) = game.claimData(2);
        uint256 bond = game.getRequiredBond(8);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(FaultDisputeGame.UnexpectedRootClaim.selector, running));
        game.attack{value: bond}(disputed, 2, running);
        bytes32 valid = bytes32(uint256(trace(7)) & (type(uint256).max >> 8));
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(FaultDisputeGame.UnexpectedRootClaim.selector, valid));
        game.attack{value: bond}(disputed, 2, valid);
    }

    function test_RevertWhen_aMoveGoesBelowTheMaxDepth() public {
        FaultDisputeGame game = playToExecutionRoot();
        moveAs(proposer, game, 3, keccak256("x3"), true); // pos 16
        moveAs(challenger, game, 4, trace(1), true); // pos 32
        moveAs(proposer, game, 5, keccak256("y0"), true); // pos 64, depth 6 = max
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.GameDepthExceeded.selector);
        game.attack(keccak256("y0"), 6, bytes32(0));
    }

    function test_theClockExtensionLeavesTheOpponentTimeToAnswer() public {
        FaultDisputeGame game = propose(keccak256("wrong"), ANCHOR_BLOCK + 4);
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true);
        vm.warp(block.timestamp + CLOCK - 10);
        // The rogue answers at depth 2 with 10 s left; its clock is set back so the challenger
        // has the extension to answer it, whatever it does.
        moveAs(proposer, game, 1, keccak256("wrong 101"), true);
        (,,,,,, uint128 clock) = game.claimData(2);
        assertEq(uint256(clock >> 64), CLOCK - EXTENSION);
        assertEq(uint256(game.getChallengerDuration(2)), 0, "the challenger's clock has not run");
        vm.warp(block.timestamp + CLOCK - 1);
        assertEq(uint256(game.getChallengerDuration(2)), CLOCK - 1);
    }

    function test_theExtensionDoublesBeforeTheExecutionRoot() public {
        FaultDisputeGame game = propose(keccak256("wrong"), ANCHOR_BLOCK + 4);
        // 150 s left: more than one extension, less than two.
        vm.warp(block.timestamp + CLOCK - 150);
        // A move at depth split - 1: the answer to it is the last output, and the answer to
        // that the execution root, which needs a VM run; its opponent gets twice the extension.
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true);
        (,,,,,, uint128 clock) = game.claimData(1);
        assertEq(uint256(clock >> 64), CLOCK - 2 * EXTENSION);
    }

    // ------------------------------------------------------------ resolution and credits

    function test_anUnchallengedRootWinsAndBecomesTheAnchor() public {
        FaultDisputeGame game = propose(output(102), 102);
        vm.expectRevert(FaultDisputeGame.ClockNotExpired.selector);
        game.resolveClaim(0, 0);
        vm.expectRevert(FaultDisputeGame.OutOfOrderResolution.selector);
        game.resolve();

        assertEq(uint256(resolveAll(game)), uint256(GameStatus.DEFENDER_WINS));
        assertEq(uint256(game.resolvedAt()), block.timestamp);
        assertTrue(registry.isGameResolved(game));
        assertFalse(registry.isGameFinalized(game));
        assertFalse(registry.isGameClaimValid(game));
        vm.expectRevert(FaultDisputeGame.GameNotFinalized.selector);
        game.claimCredit(proposer);

        vm.warp(block.timestamp + FINALITY + 1);
        assertTrue(registry.isGameClaimValid(game));
        uint256 before = proposer.balance;
        game.claimCredit(proposer);
        assertEq(proposer.balance - before, INIT_BOND);
        assertEq(uint256(game.bondDistributionMode()), uint256(BondDistributionMode.NORMAL));
        assertEq(address(registry.anchorGame()), address(game));
        (bytes32 root, uint256 num) = registry.getAnchorRoot();
        assertEq(root, output(102));
        assertEq(num, 102);

        vm.expectRevert(FaultDisputeGame.NoCreditToClaim.selector);
        game.claimCredit(proposer);
        FaultDisputeGame next = propose(output(103), 103);
        assertEq(next.startingBlockNumber(), 102);
        assertEq(next.startingRootHash(), output(102));
    }

    function test_RevertWhen_aGameIsMovedOnAfterResolution() public {
        FaultDisputeGame game = propose(output(102), 102);
        resolveAll(game);
        vm.expectRevert(FaultDisputeGame.GameNotInProgress.selector);
        game.attack(output(102), 0, bytes32(0));
        vm.expectRevert(FaultDisputeGame.GameNotInProgress.selector);
        game.resolve();
    }

    function test_aWrongRootLosesWhenTheRogueGivesUp() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        moveAs(challenger, game, 0, output(102), true);
        assertEq(uint256(resolveAll(game)), uint256(GameStatus.CHALLENGER_WINS));
        assertFalse(registry.isGameClaimValid(game));
        vm.warp(block.timestamp + FINALITY + 1);
        assertFalse(registry.isGameClaimValid(game));

        uint256 bond = game.getRequiredBond(2);
        assertEq(game.credit(challenger), INIT_BOND + bond, "the root's bond and its own back");
        assertEq(game.credit(proposer), 0);
        uint256 before = challenger.balance;
        game.claimCredit(challenger);
        assertEq(challenger.balance - before, INIT_BOND + bond);
        vm.expectRevert(FaultDisputeGame.NoCreditToClaim.selector);
        game.claimCredit(proposer);
        assertEq(address(registry.anchorGame()), address(0), "a lost game is no anchor");
    }

    function test_resolveClaimCanBeSplitOverCalls() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 104);
        moveAs(challenger, game, 0, output(102), true);
        vm.deal(address(0xBEEF), 1 ether);
        moveAs(address(0xBEEF), game, 0, output(101), true);
        vm.warp(block.timestamp + 2 * CLOCK);
        game.resolveClaim(1, 0);
        game.resolveClaim(2, 0);
        game.resolveClaim(0, 1);
        (bool started, uint32 index,,) = game.resolutionCheckpoints(0);
        assertTrue(started);
        assertEq(uint256(index), 1);
        assertFalse(game.resolvedSubgames(0));
        game.resolveClaim(0, 1);
        assertTrue(game.resolvedSubgames(0));
        // Position 2 for both: the first uncountered child counters the root.
        assertEq(counteredBy(game, 0), challenger);
        vm.expectRevert(FaultDisputeGame.ClaimAlreadyResolved.selector);
        game.resolveClaim(0, 0);
    }

    function test_RevertWhen_aParentIsResolvedBeforeItsChildren() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        moveAs(challenger, game, 0, output(102), true);
        vm.warp(block.timestamp + 2 * CLOCK);
        vm.expectRevert(FaultDisputeGame.OutOfOrderResolution.selector);
        game.resolveClaim(0, 0);
    }

    function test_aBlacklistedGameRefundsEveryBond() public {
        FaultDisputeGame game = propose(keccak256("wrong"), 102);
        moveAs(challenger, game, 0, output(102), true);
        resolveAll(game);
        vm.prank(guardian);
        registry.blacklistDisputeGame(game);
        vm.warp(block.timestamp + FINALITY + 1);
        uint256 p0 = proposer.balance;
        uint256 c0 = challenger.balance;
        game.claimCredit(proposer);
        game.claimCredit(challenger);
        assertEq(uint256(game.bondDistributionMode()), uint256(BondDistributionMode.REFUND));
        assertEq(proposer.balance - p0, INIT_BOND);
        assertEq(challenger.balance - c0, game.getRequiredBond(2));
    }

    function test_retiredGamesAreNotProperAndOnlyTheGuardianRetires() public {
        FaultDisputeGame game = propose(output(102), 102);
        vm.expectRevert(AnchorStateRegistry.AnchorStateRegistry_Unauthorized.selector);
        registry.updateRetirementTimestamp();
        vm.prank(guardian);
        registry.updateRetirementTimestamp();
        assertTrue(registry.isGameRetired(game));
        assertFalse(registry.isGameProper(game));
        resolveAll(game);
        vm.warp(block.timestamp + FINALITY + 1);
        assertFalse(registry.isGameClaimValid(game), "a retired game's claim does not count");
        vm.expectRevert(AnchorStateRegistry.AnchorStateRegistry_InvalidAnchorGame.selector);
        registry.setAnchorState(game);
    }

    function test_aGameOfAnotherTypeIsNotRespected() public {
        vm.prank(guardian);
        registry.setRespectedGameType(GAME_TYPE + 1);
        FaultDisputeGame game = propose(output(102), 102);
        assertFalse(game.wasRespectedGameTypeWhenCreated());
        resolveAll(game);
        vm.warp(block.timestamp + FINALITY + 1);
        assertTrue(registry.isGameProper(game));
        assertFalse(registry.isGameClaimValid(game));
    }

    // ------------------------------------------------------------ the root's block number

    function header(uint8 number) internal pure returns (bytes memory h) {
        bytes memory payload;
        for (uint256 i = 0; i < 8; i++) {
            payload = abi.encodePacked(payload, uint8(0xa0), keccak256(abi.encode(i)));
        }
        payload = abi.encodePacked(payload, number);
        h = abi.encodePacked(uint8(0xf9), uint16(payload.length), payload);
    }

    function rootFor(bytes memory h) internal pure returns (Types.OutputRootProof memory p, bytes32 root) {
        p = Types.OutputRootProof(bytes32(0), keccak256("state"), keccak256("storage"), keccak256(h));
        root = Hashing.hashOutputRootProof(p);
    }

    function test_aRootForAnotherBlockIsCounteredByItsHeader() public {
        bytes memory h = header(105);
        (Types.OutputRootProof memory p, bytes32 root) = rootFor(h);
        FaultDisputeGame game = propose(root, 103);
        vm.prank(challenger);
        game.challengeRootL2Block(p, h);
        assertTrue(game.l2BlockNumberChallenged());
        assertEq(game.l2BlockNumberChallenger(), challenger);
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.L2BlockNumberChallenged.selector);
        game.attack(root, 0, bytes32(0));
        assertEq(uint256(resolveAll(game)), uint256(GameStatus.CHALLENGER_WINS));
        assertEq(game.credit(challenger), INIT_BOND);
    }

    function test_aRootForAnotherBlockResolvesAfterItsChildren() public {
        bytes memory h = header(105);
        (Types.OutputRootProof memory p, bytes32 root) = rootFor(h);
        FaultDisputeGame game = propose(root, 103);
        moveAs(challenger, game, 0, output(102), true);
        moveAs(proposer, game, 1, output(101), true);
        vm.prank(challenger);
        game.challengeRootL2Block(p, h);
        vm.warp(block.timestamp + 2 * CLOCK);
        vm.expectRevert(FaultDisputeGame.OutOfOrderResolution.selector);
        game.resolveClaim(0, 0);
        assertEq(uint256(resolveAll(game)), uint256(GameStatus.CHALLENGER_WINS));
        assertEq(counteredBy(game, 0), challenger);
        // Every bond is paid: the root's to the block-number challenger, the bisection's as usual.
        assertEq(game.credit(challenger), INIT_BOND);
        assertEq(game.credit(proposer), game.getRequiredBond(2) + game.getRequiredBond(4));
        assertEq(address(game).balance, INIT_BOND + game.getRequiredBond(2) + game.getRequiredBond(4));
    }

    function test_RevertWhen_theHeaderMatchesTheBlockOrTheRoot() public {
        bytes memory h = header(103);
        (Types.OutputRootProof memory p, bytes32 root) = rootFor(h);
        FaultDisputeGame game = propose(root, 103);
        vm.expectRevert(FaultDisputeGame.BlockNumberMatches.selector);
        game.challengeRootL2Block(p, h);
        bytes memory other = header(104);
        vm.expectRevert(FaultDisputeGame.InvalidHeaderRLP.selector);
        game.challengeRootL2Block(p, other);
        p.stateRoot = bytes32(0);
        vm.expectRevert(FaultDisputeGame.InvalidOutputRootProof.selector);
        game.challengeRootL2Block(p, h);
    }

    // ------------------------------------------------------------ execution bisection and step

    function test_aRogueThatPlaysToTheEndLosesToARealStep() public {
        FaultDisputeGame game = playToExecutionRoot();
        moveAs(proposer, game, 3, keccak256("x3"), true); // pos 16: trace entry 3
        moveAs(challenger, game, 4, trace(1), true); // pos 32: entry 1
        moveAs(proposer, game, 5, keccak256("y0"), true); // pos 64: entry 0, wrong

        // The rogue cannot step its way out: its entry 0 is not what the VM computes.
        vm.prank(proposer);
        vm.expectRevert(FaultDisputeGame.InvalidPrestate.selector);
        game.step(6, false, encode(states[0]), codeProof);
        // Attack the entry-0 claim: the pre-state is the absolute prestate.
        vm.prank(challenger);
        game.step(6, true, encode(states[0]), codeProof);
        assertEq(counteredBy(game, 6), challenger);
        vm.expectRevert(FaultDisputeGame.DuplicateStep.selector);
        game.step(6, true, encode(states[0]), codeProof);

        assertEq(uint256(resolveAll(game)), uint256(GameStatus.CHALLENGER_WINS));
        assertEq(counteredBy(game, 5), address(0), "the challenger's entry 1 stands");
        assertEq(counteredBy(game, 3), address(0), "the execution root stands");
        assertEq(counteredBy(game, 0), challenger);
        vm.warp(block.timestamp + FINALITY + 1);
        uint256 expected = INIT_BOND;
        for (uint128 pos = 2; pos <= 64; pos <<= 1) {
            expected += game.getRequiredBond(pos);
        }
        assertEq(game.credit(challenger), expected, "every bond in the game");
        assertEq(address(game).balance, expected);
        game.claimCredit(challenger);
        assertEq(address(game).balance, 0);
    }

    function test_aWrongAttackAtTheBottomIsCounteredByADefenceStep() public {
        FaultDisputeGame game = playToExecutionRoot();
        moveAs(proposer, game, 3, keccak256("x3"), true); // pos 16
        moveAs(challenger, game, 4, trace(1), true); // pos 32: entry 1 = S2
        moveAs(proposer, game, 5, trace(0), true); // pos 64: entry 0 = S1, right, but an attack on S2
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.ValidStep.selector);
        game.step(6, true, encode(states[0]), codeProof);
        // S1 steps to S2, which is what the challenger's entry 1 says: the attack was wrong.
        vm.prank(challenger);
        game.step(6, false, encode(states[1]), codeProof);
        assertEq(counteredBy(game, 6), challenger);
        assertEq(uint256(resolveAll(game)), uint256(GameStatus.CHALLENGER_WINS));
    }

    function test_aStepThroughTheExitStateOfTheTrace() public {
        FaultDisputeGame game = playToExecutionRoot();
        // The rogue defends the challenger's side of the trace with a wrong entry 5.
        moveAs(proposer, game, 3, trace(3), true); // pos 16: entry 3 = S3, right
        moveAs(challenger, game, 4, trace(5), false); // pos 34 (defend): entry 5 = S3
        moveAs(proposer, game, 5, keccak256("wrong 4"), true); // pos 68: entry 4
        // Attack entry 4: the pre-state is entry 3 (pos 16), the exited S3, which steps to itself.
        vm.prank(challenger);
        game.step(6, true, encode(states[3]), "");
        assertEq(counteredBy(game, 6), challenger);
    }

    function test_RevertWhen_aStepComesAfterTheLeafWasResolved() public {
        FaultDisputeGame game = playToExecutionRoot();
        moveAs(proposer, game, 3, keccak256("x3"), true);
        moveAs(challenger, game, 4, trace(1), true);
        moveAs(proposer, game, 5, keccak256("y0"), true);
        vm.warp(block.timestamp + 2 * CLOCK);
        game.resolveClaim(6, 0); // its clock ran out: the wrong leaf stands and is paid
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.ClaimAlreadyResolved.selector);
        game.step(6, true, encode(states[0]), codeProof);
    }

    function test_RevertWhen_aStepIsNotAtTheMaxDepth() public {
        FaultDisputeGame game = playToExecutionRoot();
        vm.expectRevert(FaultDisputeGame.InvalidParent.selector);
        game.step(3, true, encode(states[0]), codeProof);
    }

    function test_RevertWhen_aStepProofIsTampered() public {
        FaultDisputeGame game = playToExecutionRoot();
        moveAs(proposer, game, 3, keccak256("x3"), true);
        moveAs(challenger, game, 4, trace(1), true);
        moveAs(proposer, game, 5, keccak256("y0"), true);
        bytes memory bad = codeProof;
        bad[20] = bytes1(uint8(bad[20]) ^ 1); // a byte of the code leaf
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(RISCV.ProofMismatch.selector, uint256(0)));
        game.step(6, true, encode(states[0]), bad);
        VMState memory s = states[0];
        s.regs[5] = 1;
        vm.prank(challenger);
        vm.expectRevert(FaultDisputeGame.InvalidPrestate.selector);
        game.step(6, true, encode(s), codeProof);
    }

    // ------------------------------------------------------------ local data

    function localKey(FaultDisputeGame game, uint256 ident, bytes32 context) internal view returns (bytes32) {
        return oracle.localize(bytes32((ident & ~(uint256(0xff) << 248)) | (uint256(1) << 248)), address(game), context);
    }

    function test_addLocalDataLoadsTheBootKeysOfTheSubgame() public {
        FaultDisputeGame game = playToExecutionRoot();
        // The disputed output is the rogue's claim at position 4 (block 101), the start the anchor.
        bytes32 context = keccak256(abi.encode(keccak256("wrong 101"), uint128(4)));
        bytes32[6] memory want = [
            game.l1Head(),
            ANCHOR_ROOT,
            keccak256("wrong 101"),
            bytes32(uint256(ANCHOR_BLOCK + 1) << 192),
            bytes32(CHAIN_ID << 192),
            CONFIG_HASH
        ];
        uint256[6] memory sizes = [uint256(32), 32, 32, 8, 8, 32];
        for (uint256 i = 0; i < 6; i++) {
            game.addLocalData(i + 1, 3, 8);
            bytes32 key = localKey(game, i + 1, context);
            assertEq(oracle.preimageLengths(key), sizes[i]);
            assertEq(oracle.preimageParts(key, 8), want[i]);
        }
        vm.expectRevert(FaultDisputeGame.InvalidLocalIdent.selector);
        game.addLocalData(7, 3, 0);
        vm.expectRevert(FaultDisputeGame.ClaimAboveSplit.selector);
        game.addLocalData(1, 2, 0);
    }

    function test_theDisputedBlockOfADefenceIsTheNextOutput() public {
        FaultDisputeGame game = propose(keccak256("wrong"), ANCHOR_BLOCK + 4);
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true); // pos 2
        moveAs(proposer, game, 1, output(ANCHOR_BLOCK + 1), true); // pos 4: block 101, right
        // The challenger agrees with 101 and disputes 102 (its own claim, pos 2): the execution
        // root of a defence against its own side must say valid.
        bytes32 valid = bytes32(uint256(trace(7)) & (type(uint256).max >> 8));
        moveAs(challenger, game, 2, valid, false); // pos 10
        bytes32 context = keccak256(abi.encode(output(ANCHOR_BLOCK + 1), uint128(4), output(ANCHOR_BLOCK + 2), uint128(2)));
        game.addLocalData(4, 3, 8);
        assertEq(oracle.preimageParts(localKey(game, 4, context), 8), bytes32(uint256(ANCHOR_BLOCK + 2) << 192));
        game.addLocalData(2, 3, 8);
        assertEq(oracle.preimageParts(localKey(game, 2, context), 8), output(ANCHOR_BLOCK + 1));
    }

    function test_theDisputedBlockIsCappedAtTheRootsBlock() public {
        bytes32 rogue = keccak256("wrong");
        FaultDisputeGame game = propose(rogue, ANCHOR_BLOCK + 3);
        moveAs(challenger, game, 0, output(ANCHOR_BLOCK + 2), true); // pos 2: entry 1, block 102
        moveAs(proposer, game, 1, output(ANCHOR_BLOCK + 3), false); // pos 6: entry 2, block 103, right
        // The challenger agrees with 103 and disputes entry 3, the root itself: past the root's
        // block the honest output trace repeats it, so the disputed block is 103, not 104.
        moveAs(challenger, game, 2, trace(7), false); // pos 14
        bytes32 context = keccak256(abi.encode(output(ANCHOR_BLOCK + 3), uint128(6), rogue, uint128(1)));
        game.addLocalData(4, 3, 8);
        assertEq(oracle.preimageParts(localKey(game, 4, context), 8), bytes32(uint256(ANCHOR_BLOCK + 3) << 192));
        game.addLocalData(3, 3, 8);
        assertEq(oracle.preimageParts(localKey(game, 3, context), 8), rogue);
    }
}
