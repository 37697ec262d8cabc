// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./lib/Test.sol";
import {L1Setup} from "./lib/Setup.sol";
import {Portal} from "../src/L1/Portal.sol";
import {PortalBase} from "../src/L1/PortalBase.sol";
import {Hashing} from "../src/lib/Hashing.sol";

contract DepositCaller {
    function deposit(Portal _portal, address _to, bytes calldata _data) external payable {
        _portal.depositTransaction{value: msg.value}(_to, 7, 50_000, false, _data);
    }
}

contract DepositTest is L1Setup {
    bytes32 internal constant DEPOSIT_TOPIC =
        keccak256("TransactionDeposited(address,address,uint256,bytes)");

    function _onlyDeposit() internal returns (Vm.Log memory l) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        l = logs[0];
        assertEq(l.emitter, address(portal));
        assertEq(l.topics.length, 4, "topics");
        assertEq(l.topics[0], DEPOSIT_TOPIC);
    }

    /// Event layout against a hand-assembled vector:
    /// mint = 1 ether, value = 0.5 ether, gasLimit = 100000, isCreation = false, data = 0xdeadbeef.
    function test_depositEventBytesMatchSpecLayout() public {
        vm.deal(alice, 2 ether);
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction{value: 1 ether}(address(0xB0B0), 0.5 ether, 100_000, false, hex"deadbeef");
        Vm.Log memory l = _onlyDeposit();
        assertEq(l.topics[1], bytes32(uint256(uint160(alice))), "from = EOA, not aliased");
        assertEq(l.topics[2], bytes32(uint256(uint160(address(0xB0B0)))), "to");
        assertEq(l.topics[3], bytes32(0), "version 0");
        bytes memory opaque = abi.decode(l.data, (bytes));
        bytes memory expected = hex"0000000000000000000000000000000000000000000000000de0b6b3a7640000" // mint
            hex"00000000000000000000000000000000000000000000000006f05b59d3b20000" // value
            hex"00000000000186a0" // gasLimit (uint64)
            hex"00" // isCreation
            hex"deadbeef"; // data
        assertEq(opaque, expected, "opaqueData");
        assertEq(opaque.length, 32 + 32 + 8 + 1 + 4);
        assertEq(address(portal).balance, 1 ether, "portal keeps the mint");
    }

    function test_contractSenderIsAliased() public {
        DepositCaller c = new DepositCaller();
        vm.deal(alice, 1 ether);
        vm.recordLogs();
        vm.prank(alice, alice);
        c.deposit{value: 3}(portal, address(0xB0B0), hex"01");
        Vm.Log memory l = _onlyDeposit();
        address aliased = address(uint160(uint256(l.topics[1])));
        assertEq(aliased, Hashing.applyL1ToL2Alias(address(c)));
        assertEq(Hashing.undoL1ToL2Alias(aliased), address(c));
        bytes memory opaque = abi.decode(l.data, (bytes));
        assertEq(opaque, abi.encodePacked(uint256(3), uint256(7), uint64(50_000), false, hex"01"));
    }

    function test_aliasVectors() public pure {
        assertEq(Hashing.applyL1ToL2Alias(address(0)), 0x1111000000000000000000000000000000001111);
        // wraps modulo 2^160
        assertEq(
            Hashing.applyL1ToL2Alias(0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF),
            0x1111000000000000000000000000000000001110
        );
        assertEq(
            Hashing.applyL1ToL2Alias(0x5FbDB2315678afecb367f032d93F642f64180aa3),
            0x70CEB2315678Afecb367F032D93f642f64181bB4
        );
    }

    function test_pranked_contractSenderAliased() public {
        address c = address(0xC0FFEE);
        vm.recordLogs();
        vm.prank(c, alice);
        portal.depositTransaction(address(1), 0, 21_000, false, "");
        Vm.Log memory l = _onlyDeposit();
        assertEq(l.topics[1], bytes32(uint256(uint160(Hashing.applyL1ToL2Alias(c)))));
    }

    function test_eip7702DelegatedEoaIsNotAliased() public {
        address eoa = address(0xE0A);
        vm.etch(eoa, abi.encodePacked(hex"ef0100", address(0x1234)));
        vm.recordLogs();
        vm.prank(eoa, alice);
        portal.depositTransaction(address(1), 0, 21_000, false, "");
        Vm.Log memory l = _onlyDeposit();
        assertEq(l.topics[1], bytes32(uint256(uint160(eoa))));
    }

    function test_receiveDepositsToSender() public {
        vm.deal(alice, 1 ether);
        vm.recordLogs();
        vm.prank(alice, alice);
        (bool ok,) = address(portal).call{value: 5 wei}("");
        assertTrue(ok);
        Vm.Log memory l = _onlyDeposit();
        assertEq(l.topics[1], bytes32(uint256(uint160(alice))));
        assertEq(l.topics[2], bytes32(uint256(uint160(alice))));
        assertEq(abi.decode(l.data, (bytes)), abi.encodePacked(uint256(5), uint256(5), uint64(100_000), false));
    }

    function test_creationDeposit() public {
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction(address(0), 0, 100_000, true, hex"6000");
        Vm.Log memory l = _onlyDeposit();
        assertEq(l.topics[2], bytes32(0));
        assertEq(abi.decode(l.data, (bytes)), abi.encodePacked(uint256(0), uint256(0), uint64(100_000), true, hex"6000"));
    }

    function test_minimumGasLimit() public view {
        assertEq(portal.minimumGasLimit(0), 21_000);
        assertEq(portal.minimumGasLimit(100), 22_600);
        assertEq(portal.minimumGasLimit(120_000), 1_941_000);
    }

    function test_gasLimitExactlyMinimumAccepted() public {
        bytes memory data = new bytes(10);
        portal.depositTransaction(address(1), 0, 21_160, false, data);
    }

    function test_RevertWhen_creationWithTarget() public {
        vm.expectRevert(PortalBase.BadTarget.selector);
        portal.depositTransaction(address(1), 0, 100_000, true, hex"00");
    }

    function test_RevertWhen_gasLimitBelowMinimum() public {
        bytes memory data = new bytes(10);
        vm.expectRevert(PortalBase.SmallGasLimit.selector);
        portal.depositTransaction(address(1), 0, 21_159, false, data);
    }

    function test_RevertWhen_dataTooLarge() public {
        bytes memory data = new bytes(120_001);
        vm.expectRevert(PortalBase.LargeCalldata.selector);
        portal.depositTransaction(address(1), 0, 3_000_000, false, data);
    }

    function test_maxDataAccepted() public {
        bytes memory data = new bytes(120_000);
        portal.depositTransaction(address(1), 0, 1_941_000, false, data);
    }

    function test_RevertWhen_blockDepositGasExceeded() public {
        portal.depositTransaction(address(1), 0, 15_000_000, false, "");
        portal.depositTransaction(address(1), 0, 5_000_000, false, "");
        vm.expectRevert(PortalBase.DepositGasLimitExceeded.selector);
        portal.depositTransaction(address(1), 0, 21_000, false, "");
    }

    function test_depositGasResetsEachBlock() public {
        portal.depositTransaction(address(1), 0, 20_000_000, false, "");
        vm.roll(block.number + 1);
        portal.depositTransaction(address(1), 0, 20_000_000, false, "");
        assertEq(portal.depositGasUsed(), 20_000_000);
    }

    function testFuzz_depositOpaqueData(uint256 _mint, uint256 _value, uint64 _gas, bytes calldata _data) public {
        vm.assume(_data.length <= 1000);
        _gas = uint64(bound(_gas, 21_000 + _data.length * 16, 20_000_000));
        _mint = bound(_mint, 0, 1000 ether);
        vm.deal(alice, _mint);
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction{value: _mint}(address(0xB0B0), _value, _gas, false, _data);
        Vm.Log memory l = _onlyDeposit();
        bytes memory opaque = abi.decode(l.data, (bytes));
        assertEq(opaque.length, 73 + _data.length);
        assertEq(opaque, abi.encodePacked(_mint, _value, _gas, false, _data));
    }
}
