// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L2ToL1MessagePasser
/// @notice Predeploy at 0x4200000000000000000000000000000000000016. Records withdrawals; the L1
///         Portal proves an entry of `sentMessages` with a storage proof against the output root.
///         No constructor; the genesis allocation holds the runtime code with empty storage.
///
///         Storage layout:
///           slot 0: sentMessages (mapping(bytes32 => bool)); entry at keccak256(hash ++ uint256(0))
///           slot 1: msgNonce (uint240), the count of withdrawals sent so far
contract L2ToL1MessagePasser {
    /// @notice L2 gas given to withdrawals made by sending ETH to this contract.
    uint256 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;
    /// @notice Version in the top two bytes of every withdrawal nonce (OP uses 1).
    uint16 public constant MESSAGE_VERSION = 1;

    mapping(bytes32 => bool) public sentMessages;
    uint240 internal msgNonce;

    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    /// @notice Sending ETH withdraws it to the sender's address on L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// @notice The nonce the next withdrawal gets: MESSAGE_VERSION << 240 | count.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }

    /// @notice Sends a message to `_target` on L1 carrying msg.value, executed with `_gasLimit` gas.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = keccak256(abi.encode(nonce, msg.sender, _target, msg.value, _gasLimit, _data));
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }

    /// @notice Destroys the ETH held here (it was released on L1 by the withdrawals).
    function burn() external {
        uint256 amount = address(this).balance;
        new Burner{value: amount}();
        emit WithdrawerBalanceBurnt(amount);
    }
}

/// @notice Created and self-destructed in the same transaction, which deletes its balance
///         (EIP-6780 keeps this behaviour for same-transaction creations).
contract Burner {
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
