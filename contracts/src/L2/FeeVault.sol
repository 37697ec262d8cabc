// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Predeploys} from "./Predeploys.sol";

interface IMessagePasser {
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) external payable;
}

/// @title FeeVault
/// @notice Collects a kind of L2 fees and sends them to a recipient on L1 through the
///         L2ToL1MessagePasser. Predeploys have no constructor: the recipient and the minimum
///         withdrawal amount are set in genesis storage.
///
///         Storage layout (every vault):
///           slot 0: recipient (address)            -- set in genesis
///           slot 1: minimum withdrawal amount (uint256, wei) -- set in genesis
///           slot 2: totalProcessed (uint256)
abstract contract FeeVault {
    /// @notice L1 gas given to the withdrawal's call to the recipient.
    uint256 public constant WITHDRAWAL_MIN_GAS = 100_000;
    /// @notice OP's WithdrawalNetwork value for "L1".
    uint8 public constant WITHDRAWAL_NETWORK = 0;

    address internal recipientAddr;
    uint256 internal minAmount;
    uint256 public totalProcessed;

    event Withdrawal(uint256 value, address to, address from);
    event Withdrawal(uint256 value, address to, address from, uint8 withdrawalNetwork);

    error NoRecipient();

    receive() external payable {}

    function RECIPIENT() external view returns (address) {
        return recipientAddr;
    }

    function recipient() external view returns (address) {
        return recipientAddr;
    }

    function MIN_WITHDRAWAL_AMOUNT() external view returns (uint256) {
        return minAmount;
    }

    function minWithdrawalAmount() external view returns (uint256) {
        return minAmount;
    }

    function withdrawalNetwork() external pure returns (uint8) {
        return WITHDRAWAL_NETWORK;
    }

    function version() external pure virtual returns (string memory) {
        return "1.5.0";
    }

    /// @notice Sends the whole balance to the L1 recipient; anyone may call it once the balance
    ///         reaches the minimum.
    function withdraw() external {
        address to = recipientAddr;
        if (to == address(0)) revert NoRecipient();
        uint256 value = address(this).balance;
        require(
            value >= minAmount,
            "FeeVault: withdrawal amount must be greater than minimum withdrawal amount"
        );
        totalProcessed += value;
        emit Withdrawal(value, to, msg.sender);
        emit Withdrawal(value, to, msg.sender, WITHDRAWAL_NETWORK);
        IMessagePasser(Predeploys.L2_TO_L1_MESSAGE_PASSER).initiateWithdrawal{value: value}(
            to, WITHDRAWAL_MIN_GAS, bytes("")
        );
    }
}

/// @notice Predeploy at 0x4200000000000000000000000000000000000011: priority fees.
contract SequencerFeeVault is FeeVault {
    /// @notice OP's legacy getter name for the recipient.
    function l1FeeWallet() external view returns (address) {
        return recipientAddr;
    }
}

/// @notice Predeploy at 0x4200000000000000000000000000000000000019: base fees.
contract BaseFeeVault is FeeVault {}

/// @notice Predeploy at 0x420000000000000000000000000000000000001A: L1 data fees.
contract L1FeeVault is FeeVault {}
