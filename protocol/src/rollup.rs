//! The rollup config (`rollup.json`, with OP's field names): how an L2 chain is anchored to L1
//! and the timing rules its sequencer and derivation follow.

use alloc::{
    format,
    string::{String, ToString},
};
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

/// The OP hardforks whose rules Sprout runs from genesis and has no earlier version of: an OP
/// `rollup.json` may name them, activated at or before the L2 genesis.
pub const GENESIS_FORKS: [&str; 3] = ["regolith_time", "canyon_time", "ecotone_time"];

/// Fields of OP's `rollup.json` that Sprout refuses, each with why. A hardfork time here is
/// refused whatever its value: Sprout does not run that fork's rules, so a chain that names it
/// would not be the chain its config describes.
pub const UNSUPPORTED_OP_FIELDS: [(&str, &str); 14] = [
    (
        "delta_time",
        "span batches (Delta) are not part of Sprout's rules",
    ),
    (
        "fjord_time",
        "Sprout does not run Fjord's rules (FastLZ-based L1 fee, channel and drift constants)",
    ),
    (
        "granite_time",
        "Sprout does not run Granite's rules (channel timeout, bn256Pairing input limit)",
    ),
    (
        "holocene_time",
        "Sprout derives with Holocene's channel and batch rules from genesis, but not Holocene's EIP-1559 parameters in the SystemConfig and extraData",
    ),
    (
        "pectra_blob_schedule_time",
        "L1 blob fees follow the L1 header's fork, there is no separate schedule",
    ),
    (
        "isthmus_time",
        "Sprout does not run Isthmus's rules (operator fee, withdrawals root in the header, Isthmus L1-info)",
    ),
    ("jovian_time", "Sprout does not run Jovian's rules"),
    ("interop_time", "Sprout does not run OP interop"),
    (
        "alt_da",
        "alt-DA is not supported: batches go to L1 as calldata or blobs",
    ),
    ("plasma_config", "alt-DA (plasma) is not supported"),
    (
        "da_challenge_contract_address",
        "alt-DA challenges are not supported",
    ),
    (
        "protocol_versions_address",
        "Sprout does not read OP's ProtocolVersions contract",
    ),
    (
        "chain_op_config",
        "EIP-1559 parameters come from the chain config (genesis.json), not the rollup config",
    ),
    (
        "granite_channel_timeout",
        "Sprout does not run Granite's rules; channel_timeout applies",
    ),
];

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
    /// OP's Regolith activation: at or before genesis (Sprout has no pre-Regolith rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regolith_time: Option<u64>,
    /// OP's Canyon activation: at or before genesis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canyon_time: Option<u64>,
    /// OP's Ecotone activation: at or before genesis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecotone_time: Option<u64>,
}

impl RollupConfig {
    /// Reads a rollup config from JSON: Sprout's own, or OP's `rollup.json` where its fields mean
    /// what Sprout's do. OP's Ecotone `scalar` (and a zero `overhead`) in the genesis
    /// SystemConfig become `baseFeeScalar` and `blobBaseFeeScalar`; a field Sprout does not
    /// support is refused by name with why ([`UNSUPPORTED_OP_FIELDS`]).
    pub fn from_json(mut json: serde_json::Value) -> Result<Self> {
        let fail = |msg: String| ProtocolError::Config(format!("rollup config: {msg}"));
        let object = json
            .as_object_mut()
            .ok_or_else(|| fail("not a JSON object".into()))?;
        for (field, why) in UNSUPPORTED_OP_FIELDS {
            if object.get(field).is_some_and(|v| !v.is_null()) {
                return Err(fail(format!("{field} is not supported: {why}")));
            }
            object.remove(field);
        }
        if let Some(system) = object
            .get_mut("genesis")
            .and_then(|g| g.get_mut("system_config"))
            .and_then(serde_json::Value::as_object_mut)
        {
            op_system_config(system).map_err(fail)?;
        }
        let config: Self = serde_json::from_value(json).map_err(|e| fail(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

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
        for (name, time) in
            GENESIS_FORKS
                .into_iter()
                .zip([self.regolith_time, self.canyon_time, self.ecotone_time])
        {
            if let Some(time) = time
                && time > self.genesis.l2_time
            {
                return fail(format!(
                    "{name} {time} is after the L2 genesis ({}): Sprout runs that fork's rules from genesis and has no earlier ones; set it to 0",
                    self.genesis.l2_time
                ));
            }
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
        if chain.gas_limit != self.genesis.system_config.gas_limit {
            return fail(format!(
                "gasLimit {} vs genesis.system_config.gasLimit {}",
                chain.gas_limit, self.genesis.system_config.gas_limit
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

/// OP's genesis SystemConfig shape, rewritten to Sprout's: Ecotone's versioned `scalar`
/// (`0x01 ++ zeros(23) ++ blobBaseFeeScalar(4) ++ baseFeeScalar(4)`) into the two scalars, a
/// zero `overhead` dropped, zero Holocene/Isthmus parameters dropped; anything else refused.
fn op_system_config(
    system: &mut serde_json::Map<String, serde_json::Value>,
) -> core::result::Result<(), String> {
    let word = |value: &serde_json::Value, name: &str| -> core::result::Result<B256, String> {
        serde_json::from_value(value.clone())
            .map_err(|e| format!("genesis.system_config.{name}: {e}"))
    };
    for name in [
        "eip1559Params",
        "operatorFeeParams",
        "minBaseFee",
        "daFootprintGasScalar",
    ] {
        if let Some(value) = system.remove(name)
            && !value.is_null()
            && value != 0
            && !word(&value, name).is_ok_and(|w| w.is_zero())
            && value.as_str() != Some("0x0000000000000000")
        {
            return Err(format!(
                "genesis.system_config.{name} is not supported: Sprout has no Holocene or Isthmus SystemConfig parameters"
            ));
        }
    }
    if let Some(overhead) = system.remove("overhead")
        && !word(&overhead, "overhead")?.is_zero()
    {
        return Err(
            "genesis.system_config.overhead must be zero: Sprout charges Ecotone's L1 fee, which has no overhead"
                .into(),
        );
    }
    if let Some(scalar) = system.remove("scalar") {
        let scalar = word(&scalar, "scalar")?;
        if scalar[0] != 1 || scalar[1..24].iter().any(|b| *b != 0) {
            return Err(
                "genesis.system_config.scalar is not an Ecotone (version 1) scalar: Sprout has no pre-Ecotone L1 fee"
                    .into(),
            );
        }
        let u32_at = |at: usize| {
            u32::from_be_bytes([scalar[at], scalar[at + 1], scalar[at + 2], scalar[at + 3]])
        };
        if system.contains_key("baseFeeScalar") || system.contains_key("blobBaseFeeScalar") {
            return Err(
                "genesis.system_config has both OP's scalar and Sprout's baseFeeScalar/blobBaseFeeScalar: keep one"
                    .into(),
            );
        }
        system.insert("blobBaseFeeScalar".into(), u32_at(24).into());
        system.insert("baseFeeScalar".into(), u32_at(28).into());
    }
    Ok(())
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

    /// SAMPLE in OP's shape: Ecotone's versioned `scalar` and `overhead` instead of Sprout's
    /// two scalars, and the hardfork times OP's `rollup.json` carries.
    fn op_style(extra: &str) -> serde_json::Value {
        let json = SAMPLE
            .replace(
                r#""baseFeeScalar": 1368, "blobBaseFeeScalar": 810949"#,
                r#""overhead": "0x0000000000000000000000000000000000000000000000000000000000000000", "scalar": "0x010000000000000000000000000000000000000000000000000c5fc500000558""#,
            )
            .replace(
                r#""block_time": 2,"#,
                &format!(r#""block_time": 2, "regolith_time": 0, "canyon_time": 0, "ecotone_time": 0, {extra}"#),
            );
        serde_json::from_str(&json).expect("json")
    }

    #[test]
    fn an_op_rollup_json_is_read_where_its_fields_mean_what_sprouts_do() {
        let config = RollupConfig::from_json(op_style("")).expect("accepted");
        let sprout =
            RollupConfig::from_json(serde_json::from_str(SAMPLE).expect("json")).expect("accepted");
        // OP Mainnet's Ecotone scalar: blob-base-fee scalar 810949, base-fee scalar 1368.
        assert_eq!(config.genesis.system_config, sprout.genesis.system_config);
        assert_eq!(config.ecotone_time, Some(0));
        let explicit = op_style(r#""delta_time": null, "protocol_versions_address": null,"#);
        assert!(RollupConfig::from_json(explicit).is_ok());
    }

    #[test]
    fn op_fields_sprout_does_not_run_are_refused_by_name() {
        for (extra, expected) in [
            (
                r#""delta_time": 0,"#,
                "delta_time is not supported: span batches",
            ),
            (r#""holocene_time": 0,"#, "holocene_time is not supported"),
            (
                r#""protocol_versions_address": "0x0000000000000000000000000000000000000001","#,
                "protocol_versions_address is not supported",
            ),
        ] {
            let err = RollupConfig::from_json(op_style(extra)).expect_err(extra);
            assert!(err.to_string().contains(expected), "{extra}: {err}");
        }
        let late = op_style("")
            .to_string()
            .replace(r#""ecotone_time":0"#, r#""ecotone_time":1700000002"#);
        let err = RollupConfig::from_json(serde_json::from_str(&late).expect("json"))
            .expect_err("Ecotone after genesis");
        assert!(
            err.to_string()
                .contains("ecotone_time 1700000002 is after the L2 genesis"),
            "{err}"
        );
        let overhead = op_style("").to_string().replace(
            r#""overhead":"0x0000000000000000000000000000000000000000000000000000000000000000""#,
            r#""overhead":"0x00000000000000000000000000000000000000000000000000000000000000bc""#,
        );
        let err = RollupConfig::from_json(serde_json::from_str(&overhead).expect("json"))
            .expect_err("overhead");
        assert!(err.to_string().contains("overhead must be zero"), "{err}");
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
