// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {VMStateBuilder} from "./VMStateBuilder.sol";
import {PreimageOracle} from "../../src/fault-proof/PreimageOracle.sol";
import {RISCV} from "../../src/fault-proof/RISCV.sol";
import {GameStatus, IDisputeGame, IBigStepper} from "../../src/dispute/DisputeTypes.sol";
import {DisputeGameFactory} from "../../src/dispute/DisputeGameFactory.sol";
import {AnchorStateRegistry} from "../../src/dispute/AnchorStateRegistry.sol";
import {FaultDisputeGame} from "../../src/dispute/FaultDisputeGame.sol";

/// @notice Deploys the dispute contracts on a small tree (split depth 2, max depth 6: four
///         output roots, eight execution trace entries, short clocks) over a real RISCV step
///         contract and PreimageOracle, and plays moves.
abstract contract DisputeSetup is VMStateBuilder {
    uint32 internal constant GAME_TYPE = 0x5350;
    uint256 internal constant SPLIT = 2;
    uint256 internal constant MAX = 6;
    uint64 internal constant CLOCK = 1000;
    uint64 internal constant EXTENSION = 100;
    uint256 internal constant FINALITY = 50;
    uint256 internal constant INIT_BOND = 0.08 ether;
    uint256 internal constant ANCHOR_BLOCK = 100;
    bytes32 internal constant ANCHOR_ROOT = keccak256("anchor");
    bytes32 internal constant CONFIG_HASH = keccak256("program config");
    uint256 internal constant CHAIN_ID = 901;

    address internal proposer = address(0xA11CE);
    address internal challenger = address(0xC4A1);
    address internal guardian = address(0x6A4D);

    PreimageOracle internal oracle;
    RISCV internal riscv;
    DisputeGameFactory internal factory;
    AnchorStateRegistry internal registry;
    FaultDisputeGame internal impl;

    function deployDispute(bytes32 absolutePrestate) internal {
        buildZeros();
        oracle = new PreimageOracle();
        riscv = new RISCV(oracle);
        factory = new DisputeGameFactory(address(this));
        registry = new AnchorStateRegistry(factory, guardian, ANCHOR_ROOT, ANCHOR_BLOCK, GAME_TYPE, FINALITY);
        impl = new FaultDisputeGame(params(absolutePrestate));
        factory.setImplementation(GAME_TYPE, IDisputeGame(address(impl)));
        factory.setInitBond(GAME_TYPE, INIT_BOND);
        vm.deal(proposer, 100 ether);
        vm.deal(challenger, 100 ether);
        vm.warp(10_000);
        vm.roll(50);
    }

    function params(bytes32 absolutePrestate) internal view returns (FaultDisputeGame.GameConstructorParams memory) {
        return FaultDisputeGame.GameConstructorParams({
            gameType: GAME_TYPE,
            absolutePrestate: absolutePrestate,
            maxGameDepth: MAX,
            splitDepth: SPLIT,
            clockExtension: EXTENSION,
            maxClockDuration: CLOCK,
            vm: IBigStepper(address(riscv)),
            anchorStateRegistry: registry,
            l2ChainId: CHAIN_ID,
            programConfigHash: CONFIG_HASH,
            baseBond: INIT_BOND,
            bondGrowthWad: 1.5e18
        });
    }

    function output(uint256 l2Block) internal pure returns (bytes32) {
        return keccak256(abi.encode("output", l2Block));
    }

    function propose(bytes32 root, uint256 l2Block) internal returns (FaultDisputeGame game) {
        vm.prank(proposer);
        game = FaultDisputeGame(payable(address(factory.create{value: INIT_BOND}(GAME_TYPE, root, abi.encode(l2Block)))));
    }

    function moveAs(address who, FaultDisputeGame game, uint256 parent, bytes32 claim, bool isAttack) internal {
        (,,,, bytes32 disputed, uint128 pos,) = game.claimData(parent);
        uint256 bond = game.getRequiredBond(isAttack ? pos << 1 : (pos | 1) << 1);
        vm.prank(who);
        game.move{value: bond}(disputed, parent, claim, isAttack);
    }

    function positionOf(FaultDisputeGame game, uint256 i) internal view returns (uint128 pos) {
        (,,,,, pos,) = game.claimData(i);
    }

    function counteredBy(FaultDisputeGame game, uint256 i) internal view returns (address who) {
        (, who,,,,,) = game.claimData(i);
    }

    /// @dev Resolves every subgame, deepest claims first, then the game.
    function resolveAll(FaultDisputeGame game) internal returns (GameStatus) {
        vm.warp(block.timestamp + 2 * CLOCK);
        for (uint256 i = game.claimDataLen(); i > 0; i--) {
            game.resolveClaim(i - 1, 0);
        }
        return game.resolve();
    }
}
