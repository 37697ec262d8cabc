// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "./Types.sol";

/// @title Hashing
/// @notice Hashes and address transforms of the rollup protocol (see shared/DESIGN.md).
library Hashing {
    /// @notice Offset added to the address of an L1 contract that sends a deposit.
    uint160 internal constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
    function hashWithdrawal(Types.WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice Version-0 output root: keccak256(version ++ stateRoot ++ messagePasserStorageRoot ++ blockHash).
    ///         The caller checks that the version is zero.
    function hashOutputRootProof(Types.OutputRootProof memory _p) internal pure returns (bytes32) {
        return keccak256(abi.encode(_p.version, _p.stateRoot, _p.messagePasserStorageRoot, _p.latestBlockhash));
    }

    /// @notice The L2 address under which an L1 contract's deposits are sent.
    function applyL1ToL2Alias(address _l1) internal pure returns (address l2) {
        unchecked {
            l2 = address(uint160(_l1) + ALIAS_OFFSET);
        }
    }

    /// @notice Inverse of applyL1ToL2Alias.
    function undoL1ToL2Alias(address _l2) internal pure returns (address l1) {
        unchecked {
            l1 = address(uint160(_l2) - ALIAS_OFFSET);
        }
    }
}
