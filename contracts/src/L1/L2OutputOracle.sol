// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Types} from "../lib/Types.sol";
import {IOutputSource} from "./IOutputSource.sol";

/// @title L2OutputOracle
/// @notice Holds the L2 output roots proposed by the proposer, one every SUBMISSION_INTERVAL
///         L2 blocks. The challenger may delete outputs that are not finalized yet. ABI of the
///         OP Stack's L2OutputOracle (pre-fault-proofs). Plain deployment, no proxy: all
///         parameters are immutable and set by the constructor.
contract L2OutputOracle is IOutputSource {
    uint256 public immutable SUBMISSION_INTERVAL;
    uint256 public immutable L2_BLOCK_TIME;
    address public immutable PROPOSER;
    address public immutable CHALLENGER;
    uint256 public immutable FINALIZATION_PERIOD_SECONDS;
    uint256 public immutable startingBlockNumber;
    uint256 public immutable startingTimestamp;

    /// @dev Proposed outputs, index = output index. Storage slot 0.
    Types.OutputProposal[] internal l2Outputs;

    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);

    constructor(
        uint256 _submissionInterval,
        uint256 _l2BlockTime,
        uint256 _startingBlockNumber,
        uint256 _startingTimestamp,
        address _proposer,
        address _challenger,
        uint256 _finalizationPeriodSeconds
    ) {
        require(_submissionInterval > 0, "L2OutputOracle: submission interval must be greater than 0");
        require(_l2BlockTime > 0, "L2OutputOracle: L2 block time must be greater than 0");
        require(
            _startingTimestamp <= block.timestamp,
            "L2OutputOracle: starting L2 timestamp must be less than current time"
        );
        SUBMISSION_INTERVAL = _submissionInterval;
        L2_BLOCK_TIME = _l2BlockTime;
        startingBlockNumber = _startingBlockNumber;
        startingTimestamp = _startingTimestamp;
        PROPOSER = _proposer;
        CHALLENGER = _challenger;
        FINALIZATION_PERIOD_SECONDS = _finalizationPeriodSeconds;
    }

    function version() external pure returns (string memory) {
        return "1.8.0";
    }

    function submissionInterval() external view returns (uint256) {
        return SUBMISSION_INTERVAL;
    }

    function l2BlockTime() external view returns (uint256) {
        return L2_BLOCK_TIME;
    }

    function proposer() external view returns (address) {
        return PROPOSER;
    }

    function challenger() external view returns (address) {
        return CHALLENGER;
    }

    function finalizationPeriodSeconds() external view override returns (uint256) {
        return FINALIZATION_PERIOD_SECONDS;
    }

    /// @notice Proposes the output root of L2 block `_l2BlockNumber`, which must be nextBlockNumber().
    ///         If `_l1BlockHash` is non-zero it must be the hash of L1 block `_l1BlockNumber`
    ///         (protects the proposal against L1 reorgs).
    function proposeL2Output(bytes32 _outputRoot, uint256 _l2BlockNumber, bytes32 _l1BlockHash, uint256 _l1BlockNumber)
        external
        payable
    {
        require(msg.sender == PROPOSER, "L2OutputOracle: only the proposer address can propose new outputs");
        require(
            _l2BlockNumber == nextBlockNumber(),
            "L2OutputOracle: block number must be equal to next expected block number"
        );
        require(
            computeL2Timestamp(_l2BlockNumber) < block.timestamp,
            "L2OutputOracle: cannot propose L2 output in the future"
        );
        require(_outputRoot != bytes32(0), "L2OutputOracle: L2 output proposal cannot be the zero hash");
        if (_l1BlockHash != bytes32(0)) {
            // blockhash() is zero for blocks older than 256 or not yet mined, so stale or future
            // anchors fail too.
            require(
                blockhash(_l1BlockNumber) == _l1BlockHash,
                "L2OutputOracle: block hash does not match the hash at the expected height"
            );
        }
        emit OutputProposed(_outputRoot, l2Outputs.length, _l2BlockNumber, block.timestamp);
        l2Outputs.push(
            Types.OutputProposal({
                outputRoot: _outputRoot,
                timestamp: uint128(block.timestamp),
                l2BlockNumber: uint128(_l2BlockNumber)
            })
        );
    }

    /// @notice Deletes the output at `_l2OutputIndex` and every later one. Only outputs still
    ///         inside the finalization period can be deleted.
    function deleteL2Outputs(uint256 _l2OutputIndex) external {
        require(msg.sender == CHALLENGER, "L2OutputOracle: only the challenger address can delete outputs");
        uint256 len = l2Outputs.length;
        require(_l2OutputIndex < len, "L2OutputOracle: cannot delete outputs after the latest output index");
        require(
            block.timestamp - l2Outputs[_l2OutputIndex].timestamp < FINALIZATION_PERIOD_SECONDS,
            "L2OutputOracle: cannot delete outputs that have already been finalized"
        );
        assembly {
            // Truncate the dynamic array: its length lives in slot l2Outputs.slot.
            sstore(l2Outputs.slot, _l2OutputIndex)
        }
        emit OutputsDeleted(len, _l2OutputIndex);
    }

    function getL2Output(uint256 _l2OutputIndex) external view override returns (Types.OutputProposal memory) {
        require(_l2OutputIndex < l2Outputs.length, "L2OutputOracle: output index out of range");
        return l2Outputs[_l2OutputIndex];
    }

    /// @notice Index of the first output whose L2 block number is >= `_l2BlockNumber`.
    function getL2OutputIndexAfter(uint256 _l2BlockNumber) public view returns (uint256) {
        uint256 len = l2Outputs.length;
        // viem's getWithdrawalStatus matches this exact message to report "waiting-to-prove".
        require(
            len > 0 && l2Outputs[len - 1].l2BlockNumber >= _l2BlockNumber,
            "L2OutputOracle: cannot get output for a block that has not been proposed"
        );
        uint256 lo = 0;
        uint256 hi = len - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (l2Outputs[mid].l2BlockNumber < _l2BlockNumber) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    function getL2OutputAfter(uint256 _l2BlockNumber) external view returns (Types.OutputProposal memory) {
        return l2Outputs[getL2OutputIndexAfter(_l2BlockNumber)];
    }

    /// @notice Index of the latest output; reverts (arithmetic underflow) when there is none.
    function latestOutputIndex() external view returns (uint256) {
        return l2Outputs.length - 1;
    }

    function nextOutputIndex() public view returns (uint256) {
        return l2Outputs.length;
    }

    function latestBlockNumber() public view returns (uint256) {
        uint256 len = l2Outputs.length;
        return len == 0 ? startingBlockNumber : l2Outputs[len - 1].l2BlockNumber;
    }

    function nextBlockNumber() public view returns (uint256) {
        return latestBlockNumber() + SUBMISSION_INTERVAL;
    }

    function computeL2Timestamp(uint256 _l2BlockNumber) public view returns (uint256) {
        return startingTimestamp + (_l2BlockNumber - startingBlockNumber) * L2_BLOCK_TIME;
    }
}
