// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Predeploys} from "./Predeploys.sol";
import {L1Block} from "./L1Block.sol";

/// @title GasPriceOracle
/// @notice Predeploy at 0x420000000000000000000000000000000000000F. Answers the L1 data fee of a
///         transaction with the Ecotone formula, reading the L1 attributes from L1Block. It has
///         no storage (Ecotone is always active on this chain).
///
///         getL1GasUsed(tx) = zeroBytes(tx) * 4 + nonZeroBytes(tx) * 16 + 68 * 16
///         getL1Fee(tx)     = getL1GasUsed(tx) * (16 * baseFeeScalar * l1BaseFee
///                                                + blobBaseFeeScalar * blobBaseFee) / (16 * 1e6)
///         `tx` is the RLP of the *unsigned* transaction; the 68 * 16 term stands for the
///         signature (65 bytes) and RLP overhead. The node charges the same formula on the
///         signed transaction's bytes without the 68-byte pad (as op-geth does), so the two
///         agree up to the exact byte make-up of the signature.
contract GasPriceOracle {
    uint256 public constant DECIMALS = 6;

    function version() external pure returns (string memory) {
        return "1.3.0";
    }

    function decimals() external pure returns (uint256) {
        return DECIMALS;
    }

    function isEcotone() external pure returns (bool) {
        return true;
    }

    function isFjord() external pure returns (bool) {
        return false;
    }

    /// @notice L2 gas price: the L2 base fee (the priority fee is the user's choice).
    function gasPrice() external view returns (uint256) {
        return block.basefee;
    }

    function baseFee() external view returns (uint256) {
        return block.basefee;
    }

    function l1BaseFee() public view returns (uint256) {
        return L1Block(Predeploys.L1_BLOCK).basefee();
    }

    function blobBaseFee() public view returns (uint256) {
        return L1Block(Predeploys.L1_BLOCK).blobBaseFee();
    }

    function baseFeeScalar() public view returns (uint32) {
        return L1Block(Predeploys.L1_BLOCK).baseFeeScalar();
    }

    function blobBaseFeeScalar() public view returns (uint32) {
        return L1Block(Predeploys.L1_BLOCK).blobBaseFeeScalar();
    }

    /// @notice Pre-Ecotone parameters do not exist on this chain.
    function overhead() external pure returns (uint256) {
        revert("GasPriceOracle: overhead() is deprecated");
    }

    function scalar() external pure returns (uint256) {
        revert("GasPriceOracle: scalar() is deprecated");
    }

    /// @notice No operator fee on this chain; present for viem's estimateTotalFee.
    function getOperatorFee(uint256) external pure returns (uint256) {
        return 0;
    }

    function getL1GasUsed(bytes calldata _data) public pure returns (uint256) {
        return _calldataGas(_data) + 68 * 16;
    }

    function getL1Fee(bytes calldata _data) external view returns (uint256) {
        uint256 gasUsed = getL1GasUsed(_data);
        uint256 scaledBaseFee = 16 * uint256(baseFeeScalar()) * l1BaseFee();
        uint256 scaledBlobBaseFee = uint256(blobBaseFeeScalar()) * blobBaseFee();
        return (gasUsed * (scaledBaseFee + scaledBlobBaseFee)) / (16 * 10 ** DECIMALS);
    }

    function _calldataGas(bytes calldata _data) internal pure returns (uint256 gas) {
        uint256 len = _data.length;
        for (uint256 i = 0; i < len; i++) {
            gas += _data[i] == 0 ? 4 : 16;
        }
    }
}
