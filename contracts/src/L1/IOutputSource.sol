// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";

/// @title IOutputSource
/// @notice The only view of the output oracle the Portal depends on. Dispute games will later
///         provide the same two answers, so the Portal does not need to change shape.
interface IOutputSource {
    /// @notice The output at `_l2OutputIndex`; reverts if there is none.
    function getL2Output(uint256 _l2OutputIndex) external view returns (Types.OutputProposal memory);

    /// @notice Seconds an output (and a proof against it) must age before withdrawals finalize.
    function finalizationPeriodSeconds() external view returns (uint256);
}
