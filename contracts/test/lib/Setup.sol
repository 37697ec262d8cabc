// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {Types} from "../../src/lib/Types.sol";
import {Portal} from "../../src/L1/Portal.sol";
import {L2OutputOracle} from "../../src/L1/L2OutputOracle.sol";
import {SystemConfig} from "../../src/L1/SystemConfig.sol";
import {IOutputSource} from "../../src/L1/IOutputSource.sol";

/// @notice Deploys the L1 contracts the way a deployment script must: oracle, then SystemConfig
///         naming the portal's precomputed CREATE address, then the portal.
abstract contract L1Setup is Test {
    uint256 internal constant START_TIME = 1_700_000_000;
    uint256 internal constant SUBMISSION_INTERVAL = 10;
    uint256 internal constant L2_BLOCK_TIME = 2;
    uint256 internal constant FINALIZATION_PERIOD = 7 days;

    address internal owner = address(0x0A11);
    address internal proposer = address(0xB0B);
    address internal challenger = address(0xC4A1);
    address internal guardian = address(0x6A4D);
    address internal batcher = address(0xBA7C);
    address internal alice = address(0xA11CE);

    L2OutputOracle internal oracle;
    SystemConfig internal sysCfg;
    Portal internal portal;

    function setUp() public virtual {
        vm.warp(START_TIME);
        vm.roll(100);
        oracle = new L2OutputOracle(
            SUBMISSION_INTERVAL, L2_BLOCK_TIME, 0, START_TIME, proposer, challenger, FINALIZATION_PERIOD
        );
        address portalAddr = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        sysCfg = new SystemConfig(owner, defaultConfig(address(oracle), portalAddr));
        portal = new Portal(IOutputSource(address(oracle)), guardian, address(sysCfg), false);
        assertEq(address(portal), portalAddr, "portal address precomputation");
    }

    function defaultConfig(address _oracle, address _portal) internal view returns (SystemConfig.Config memory) {
        return SystemConfig.Config({
            basefeeScalar: 1368,
            blobbasefeeScalar: 810949,
            batcherHash: bytes32(uint256(uint160(batcher))),
            gasLimit: 30_000_000,
            unsafeBlockSigner: address(0x5167),
            batchInbox: address(0xFf00000000000000000000000000000000000901),
            l2OutputOracle: _oracle,
            optimismPortal: _portal,
            l2ChainId: 901,
            genesisL2Hash: keccak256("genesis"),
            l2BlockTime: L2_BLOCK_TIME,
            chainConfigHash: keccak256("chain-config"),
            chainConfigUri: "file://chain.json"
        });
    }

    /// @dev Proposes `_root` for the next L2 block, warping so that it is not in the future.
    function propose(bytes32 _root) internal returns (uint256 index) {
        uint256 l2Block = oracle.nextBlockNumber();
        uint256 l2Time = oracle.computeL2Timestamp(l2Block);
        if (block.timestamp <= l2Time) vm.warp(l2Time + 1);
        index = oracle.nextOutputIndex();
        vm.prank(proposer);
        oracle.proposeL2Output(_root, l2Block, bytes32(0), 0);
    }

    /// @dev A storage trie holding only the sentMessages entry of `_withdrawalHash`: one leaf node
    ///      [hexprefix(leaf, keccak256(slot)), rlp(1)] = 0xe3 0xa1 0x20 <32-byte path> 0x01.
    function singleLeafTrie(bytes32 _withdrawalHash) internal pure returns (bytes32 root, bytes[] memory proof) {
        bytes32 slot = keccak256(abi.encode(_withdrawalHash, uint256(0)));
        bytes memory leaf = abi.encodePacked(hex"e3a120", keccak256(abi.encode(slot)), hex"01");
        proof = new bytes[](1);
        proof[0] = leaf;
        root = keccak256(leaf);
    }

    function outputRootProof(bytes32 _storageRoot) internal pure returns (Types.OutputRootProof memory) {
        return Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: keccak256("state"),
            messagePasserStorageRoot: _storageRoot,
            latestBlockhash: keccak256("block")
        });
    }

    function rootOf(Types.OutputRootProof memory _p) internal pure returns (bytes32) {
        return keccak256(abi.encode(_p.version, _p.stateRoot, _p.messagePasserStorageRoot, _p.latestBlockhash));
    }
}
