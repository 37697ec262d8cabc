// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Setup} from "./lib/Setup.sol";
import {SystemConfig} from "../src/L1/SystemConfig.sol";
import {Portal} from "../src/L1/Portal.sol";
import {PortalBase} from "../src/L1/PortalBase.sol";
import {IOutputSource} from "../src/L1/IOutputSource.sol";

contract SystemConfigTest is L1Setup {
    bytes32 internal constant CONFIG_UPDATE = keccak256("ConfigUpdate(uint256,uint8,bytes)");

    function test_getters() public view {
        assertEq(sysCfg.owner(), owner);
        assertEq(sysCfg.optimismPortal(), address(portal));
        assertEq(sysCfg.l2OutputOracle(), address(oracle));
        assertEq(portal.systemConfig(), address(sysCfg));
        assertEq(address(portal.l2Oracle()), address(oracle));
        assertEq(portal.guardian(), guardian);
        assertEq(sysCfg.batchInbox(), 0xFf00000000000000000000000000000000000901);
        assertEq(sysCfg.l2ChainId(), 901);
        assertEq(sysCfg.genesisL2Hash(), keccak256("genesis"));
        assertEq(sysCfg.l2BlockTime(), 2);
        assertEq(sysCfg.startBlock(), 100);
        assertEq(sysCfg.chainConfigHash(), keccak256("chain-config"));
        assertEq(sysCfg.chainConfigUri(), "file://chain.json");
        assertEq(uint256(sysCfg.gasLimit()), 30_000_000);
        assertEq(uint256(sysCfg.basefeeScalar()), 1368);
        assertEq(uint256(sysCfg.blobbasefeeScalar()), 810949);
        assertEq(sysCfg.batcherHash(), bytes32(uint256(uint160(batcher))));
        assertEq(sysCfg.unsafeBlockSigner(), address(0x5167));
        assertEq(sysCfg.overhead(), 0);
        // Ecotone scalar: version byte 0x01, blobbasefeeScalar in bytes [24:28], basefeeScalar in [28:32]
        assertEq(sysCfg.scalar(), 0x010000000000000000000000000000000000000000000000000c5fc500000558);
    }

    function test_UpdateTypeOrderMatchesOp() public pure {
        assertEq(uint256(SystemConfig.UpdateType.BATCHER), 0);
        assertEq(uint256(SystemConfig.UpdateType.GAS_CONFIG), 1);
        assertEq(uint256(SystemConfig.UpdateType.GAS_LIMIT), 2);
        assertEq(uint256(SystemConfig.UpdateType.UNSAFE_BLOCK_SIGNER), 3);
    }

    function _expectConfigUpdate(uint256 _type, bytes memory _data) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], CONFIG_UPDATE);
        assertEq(logs[0].topics[1], bytes32(0), "version 0");
        assertEq(logs[0].topics[2], bytes32(_type), "update type");
        assertEq(abi.decode(logs[0].data, (bytes)), _data);
    }

    function test_setBatcherHash() public {
        vm.recordLogs();
        vm.prank(owner);
        sysCfg.setBatcherHash(bytes32(uint256(0x1234)));
        _expectConfigUpdate(0, abi.encode(bytes32(uint256(0x1234))));
        assertEq(sysCfg.batcherHash(), bytes32(uint256(0x1234)));
    }

    function test_setGasConfigEcotone() public {
        vm.recordLogs();
        vm.prank(owner);
        sysCfg.setGasConfigEcotone(7, 9);
        _expectConfigUpdate(1, abi.encode(uint256(0), (uint256(1) << 248) | (uint256(9) << 32) | 7));
    }

    function test_setGasLimit() public {
        vm.recordLogs();
        vm.prank(owner);
        sysCfg.setGasLimit(60_000_000);
        _expectConfigUpdate(2, abi.encode(uint256(60_000_000)));
    }

    function test_setUnsafeBlockSigner() public {
        vm.recordLogs();
        vm.prank(owner);
        sysCfg.setUnsafeBlockSigner(address(0x99));
        _expectConfigUpdate(3, abi.encode(address(0x99)));
    }

    function test_setChainConfigAndOwnership() public {
        vm.prank(owner);
        sysCfg.setChainConfig(bytes32(uint256(5)), "ipfs://x");
        assertEq(sysCfg.chainConfigUri(), "ipfs://x");
        vm.prank(owner);
        sysCfg.transferOwnership(alice);
        assertEq(sysCfg.owner(), alice);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        vm.prank(owner);
        sysCfg.setGasLimit(60_000_000);
    }

    function test_RevertWhen_notOwner() public {
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysCfg.setBatcherHash(bytes32(0));
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysCfg.setGasConfigEcotone(1, 1);
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysCfg.setUnsafeBlockSigner(address(0));
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysCfg.setChainConfig(bytes32(0), "");
        vm.expectRevert(SystemConfig.Unauthorized.selector);
        sysCfg.transferOwnership(alice);
    }

    function test_RevertWhen_gasLimitOutOfRange() public {
        vm.startPrank(owner);
        vm.expectRevert(SystemConfig.GasLimitOutOfRange.selector);
        sysCfg.setGasLimit(20_999_999);
        vm.expectRevert(SystemConfig.GasLimitOutOfRange.selector);
        sysCfg.setGasLimit(200_000_001);
        vm.stopPrank();
    }

    function test_RevertWhen_portalSystemConfigMismatch() public {
        // sysCfg names the already-deployed portal, not the new one.
        vm.expectRevert(PortalBase.SystemConfigMismatch.selector);
        new Portal(IOutputSource(address(oracle)), guardian, address(sysCfg), false);
    }
}
