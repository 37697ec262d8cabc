//! Reads of the L2OutputOracle on L1, and the calldata of a proposal.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, U256};
use sprout_contracts::l2_output_oracle::L2OutputOracle::{
    latestBlockNumberCall, nextBlockNumberCall, proposeL2OutputCall, proposerCall,
    submissionIntervalCall,
};
use sprout_txmgr::{RpcL1, TxMgrError};

use crate::{ProposerError, Result};

/// The oracle at `address`, read through `l1`.
#[derive(Clone, Debug)]
pub struct Oracle {
    address: Address,
}

impl Oracle {
    /// The oracle at `address`.
    pub fn new(address: Address) -> Self {
        Self { address }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    async fn read<C: SolCall>(&self, l1: &RpcL1, call: C) -> Result<C::Return> {
        let out = l1.call(self.address, call.abi_encode().into()).await?;
        C::abi_decode_returns(&out).map_err(|e| {
            ProposerError::L1(TxMgrError::L1(format!(
                "L2OutputOracle at {} answered {} with {out}: {e} (is it the rollup's oracle?)",
                self.address,
                C::SIGNATURE
            )))
        })
    }

    /// The account allowed to propose.
    pub async fn proposer(&self, l1: &RpcL1) -> Result<Address> {
        self.read(l1, proposerCall {}).await
    }

    /// L2 blocks between two outputs.
    pub async fn submission_interval(&self, l1: &RpcL1) -> Result<u64> {
        Ok(self
            .read(l1, submissionIntervalCall {})
            .await?
            .saturating_to())
    }

    /// The L2 block of the newest output (the starting block while there is none).
    pub async fn latest_block_number(&self, l1: &RpcL1) -> Result<u64> {
        Ok(self
            .read(l1, latestBlockNumberCall {})
            .await?
            .saturating_to())
    }

    /// The L2 block the next output must be for.
    pub async fn next_block_number(&self, l1: &RpcL1) -> Result<u64> {
        Ok(self.read(l1, nextBlockNumberCall {}).await?.saturating_to())
    }
}

/// Calldata of `proposeL2Output(root, l2_block, l1_hash, l1_number)`: the oracle checks that
/// L1 block `l1_number` still has hash `l1_hash`, so a proposal made on an L1 that then reorgs
/// reverts instead of landing on the other branch.
pub fn propose_calldata(root: B256, l2_block: u64, l1_hash: B256, l1_number: u64) -> Bytes {
    proposeL2OutputCall {
        _outputRoot: root,
        _l2BlockNumber: U256::from(l2_block),
        _l1BlockHash: l1_hash,
        _l1BlockNumber: U256::from(l1_number),
    }
    .abi_encode()
    .into()
}
