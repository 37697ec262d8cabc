//! The rollup config (`rollup.json`, with OP's field names): how an L2 chain is anchored to L1
//! and the timing rules its sequencer and derivation follow.

use alloc::{format, string::String};
use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{ChainConfig, ProtocolError, Result};

/// A block by hash and number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockId {
    /// Hash.
    pub hash: B256,
    /// Number.
    pub number: u64,
}

/// The SystemConfig values in force at genesis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisSystemConfig {
    /// The batcher's address.
    pub batcher_addr: Address,
    /// Ecotone base-fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar.
    pub blob_base_fee_scalar: u32,
    /// L2 block gas limit.
    pub gas_limit: u64,
}

/// Where the L2 chain starts on both layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupGenesis {
    /// The L1 block the chain is anchored to (its first epoch).
    pub l1: BlockId,
    /// The L2 genesis block.
    pub l2: BlockId,
    /// Timestamp of the L2 genesis block.
    pub l2_time: u64,
    /// SystemConfig at genesis.
    pub system_config: GenesisSystemConfig,
}

/// The rollup config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupConfig {
    /// Genesis anchors.
    pub genesis: RollupGenesis,
    /// Seconds between L2 blocks.
    pub block_time: u64,
    /// Seconds an L2 block may run ahead of its L1 origin.
    pub max_sequencer_drift: u64,
    /// L1 blocks within which an epoch's batches must land.
    pub seq_window_size: u64,
    /// L1 blocks a channel may stay open.
    pub channel_timeout: u64,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Where batches are sent.
    pub batch_inbox_address: Address,
    /// The Portal (deposits).
    pub deposit_contract_address: Address,
    /// The SystemConfig.
    pub l1_system_config_address: Address,
    /// The L2OutputOracle.
    pub l2_output_oracle_address: Address,
}

impl RollupConfig {
    /// Checks the values against each other.
    pub fn validate(&self) -> Result<()> {
        let fail = |msg: String| Err(ProtocolError::Config(format!("rollup config: {msg}")));
        if self.l1_chain_id == self.l2_chain_id {
            return fail(format!(
                "l2_chain_id equals l1_chain_id ({})",
                self.l1_chain_id
            ));
        }
        if self.block_time == 0 {
            return fail("block_time must be at least 1".into());
        }
        if self.max_sequencer_drift == 0 || self.seq_window_size == 0 || self.channel_timeout == 0 {
            return fail(
                "max_sequencer_drift, seq_window_size and channel_timeout must be positive".into(),
            );
        }
        for (name, address) in [
            ("batch_inbox_address", self.batch_inbox_address),
            ("deposit_contract_address", self.deposit_contract_address),
            ("l1_system_config_address", self.l1_system_config_address),
            ("l2_output_oracle_address", self.l2_output_oracle_address),
            (
                "genesis.system_config.batcherAddr",
                self.genesis.system_config.batcher_addr,
            ),
        ] {
            if address.is_zero() {
                return fail(format!("{name} is the zero address"));
            }
        }
        if self.genesis.l2.number != 0 {
            return fail("genesis.l2.number must be 0".into());
        }
        Ok(())
    }

    /// Checks that `chain` (the L2 chain config) is the chain this rollup config describes.
    pub fn validate_against(&self, chain: &ChainConfig, l2_genesis_hash: B256) -> Result<()> {
        self.validate()?;
        let fail = |msg: String| {
            Err(ProtocolError::Config(format!(
                "rollup config and chain config disagree: {msg}"
            )))
        };
        if chain.chain_id != self.l2_chain_id {
            return fail(format!(
                "chain id {} vs l2_chain_id {}",
                chain.chain_id, self.l2_chain_id
            ));
        }
        if chain.block_time != self.block_time {
            return fail(format!(
                "blockTime {} vs block_time {}",
                chain.block_time, self.block_time
            ));
        }
        if chain.genesis.timestamp != self.genesis.l2_time {
            return fail(format!(
                "genesis timestamp {} vs l2_time {}",
                chain.genesis.timestamp, self.genesis.l2_time
            ));
        }
        if l2_genesis_hash != self.genesis.l2.hash {
            return fail(format!(
                "genesis hash {l2_genesis_hash} vs genesis.l2.hash {}",
                self.genesis.l2.hash
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
        "genesis": {
            "l1": { "hash": "0x1111111111111111111111111111111111111111111111111111111111111111", "number": 5 },
            "l2": { "hash": "0x2222222222222222222222222222222222222222222222222222222222222222", "number": 0 },
            "l2_time": 1700000000,
            "system_config": { "batcherAddr": "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc", "baseFeeScalar": 1368, "blobBaseFeeScalar": 810949, "gasLimit": 30000000 }
        },
        "block_time": 2,
        "max_sequencer_drift": 600,
        "seq_window_size": 3600,
        "channel_timeout": 300,
        "l1_chain_id": 31337,
        "l2_chain_id": 901,
        "batch_inbox_address": "0xff00000000000000000000000000000000000901",
        "deposit_contract_address": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "l1_system_config_address": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
        "l2_output_oracle_address": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"
    }"#;

    #[test]
    fn parses_and_validates_op_style_json() {
        let config: RollupConfig = serde_json::from_str(SAMPLE).expect("parses");
        config.validate().expect("valid");
        assert_eq!(config.genesis.l1.number, 5);
        assert_eq!(config.genesis.system_config.base_fee_scalar, 1368);
        let back: RollupConfig =
            serde_json::from_str(&serde_json::to_string(&config).expect("json")).expect("parses");
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_and_inconsistent_fields_are_rejected() {
        let unknown = SAMPLE.replace("\"block_time\": 2,", "\"block_time\": 2, \"blocktime\": 2,");
        let err = serde_json::from_str::<RollupConfig>(&unknown).expect_err("unknown field");
        assert!(err.to_string().contains("unknown field"), "{err}");
        let same_ids = SAMPLE.replace("\"l2_chain_id\": 901", "\"l2_chain_id\": 31337");
        let config: RollupConfig = serde_json::from_str(&same_ids).expect("parses");
        assert!(
            config
                .validate()
                .expect_err("same chain ids")
                .to_string()
                .contains("l2_chain_id")
        );
        let zero_inbox = SAMPLE.replace(
            "0xff00000000000000000000000000000000000901",
            "0x0000000000000000000000000000000000000000",
        );
        let config: RollupConfig = serde_json::from_str(&zero_inbox).expect("parses");
        assert!(
            config
                .validate()
                .expect_err("zero inbox")
                .to_string()
                .contains("batch_inbox_address")
        );
    }
}
