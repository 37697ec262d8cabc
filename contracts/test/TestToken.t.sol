// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {TestToken} from "../src/test/TestToken.sol";

contract TestTokenTest is Test {
    TestToken internal t;
    address internal bob = address(0xB0B);

    function setUp() public {
        t = new TestToken("Sprout Test", "SPT", 1_000_000 ether);
    }

    function test_metadataAndMint() public view {
        assertEq(t.name(), "Sprout Test");
        assertEq(t.symbol(), "SPT");
        assertEq(uint256(t.decimals()), 18);
        assertEq(t.totalSupply(), 1_000_000 ether);
        assertEq(t.balanceOf(address(this)), 1_000_000 ether);
    }

    function test_transferApproveTransferFrom() public {
        vm.expectEmit(true, true, true, true, address(t));
        emit TestToken.Transfer(address(this), bob, 5);
        assertTrue(t.transfer(bob, 5));
        assertEq(t.balanceOf(bob), 5);
        vm.expectEmit(true, true, true, true, address(t));
        emit TestToken.Approval(bob, address(this), 3);
        vm.prank(bob);
        t.approve(address(this), 3);
        assertTrue(t.transferFrom(bob, address(0xCAFE), 2));
        assertEq(t.allowance(bob, address(this)), 1);
        assertEq(t.balanceOf(address(0xCAFE)), 2);
    }

    function test_RevertWhen_insufficientBalance() public {
        vm.prank(bob);
        vm.expectRevert(TestToken.InsufficientBalance.selector);
        t.transfer(address(this), 1);
    }

    function test_RevertWhen_insufficientAllowance() public {
        vm.expectRevert(TestToken.InsufficientAllowance.selector);
        t.transferFrom(bob, address(this), 1);
    }
}
