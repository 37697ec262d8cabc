// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./lib/Test.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {Types} from "../src/lib/Types.sol";

/// Vectors computed independently with cast:
///   cast keccak $(cast abi-encode 'f(uint256,address,address,uint256,uint256,bytes)' ...)
///   cast keccak $(cast abi-encode 'f(bytes32,bytes32,bytes32,bytes32)' ...)
contract HashingTest is Test {
    function test_withdrawalHashVector1() public pure {
        // (0, 0x..01, 0x..02, 3, 4, 0x05)
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction({
            nonce: 0, sender: address(1), target: address(2), value: 3, gasLimit: 4, data: hex"05"
        });
        assertEq(Hashing.hashWithdrawal(t), 0xb3e3b3419f5dec493b87eb1a6b9b0d9457c2ba8c6e2d7b25faaf048eab855ca8);
    }

    function test_withdrawalHashVector2() public pure {
        // ((1<<240)|7, 0xf39F..2266, 0x..bEEF, 1 ether, 100000, 0x)
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction({
            nonce: (uint256(1) << 240) | 7,
            sender: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266,
            target: 0x000000000000000000000000000000000000bEEF,
            value: 1 ether,
            gasLimit: 100_000,
            data: ""
        });
        assertEq(Hashing.hashWithdrawal(t), 0x811d53e1bc4e5af62dd8934eed73e970bf5132fd67d60caea0a4c032c46ae619);
    }

    function test_outputRootVector() public pure {
        // (0, 0x11..11, 0x22..22, 0x33..33)
        Types.OutputRootProof memory p = Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: 0x1111111111111111111111111111111111111111111111111111111111111111,
            messagePasserStorageRoot: 0x2222222222222222222222222222222222222222222222222222222222222222,
            latestBlockhash: 0x3333333333333333333333333333333333333333333333333333333333333333
        });
        assertEq(Hashing.hashOutputRootProof(p), 0xd50bf2ff34ced71be0d2f0be7c2433c6b39d9c3b16c95daf1ed6f24b7578a3b2);
    }
}
