//! Boot data: what the dispute is about, as local keys numbered like OP's `LocalPreimageKey`,
//! and the chain's configuration, bound by hash.
//!
//! | key | value |
//! | --- | --- |
//! | 1 | the L1 head hash (32 bytes): no L1 data past it is read |
//! | 2 | the agreed output root (32 bytes), whose 128-byte preimage names the agreed L2 block |
//! | 3 | the claimed output root (32 bytes) |
//! | 4 | the claimed L2 block number (8 bytes, big-endian) |
//! | 5 | the L2 chain id (8 bytes, big-endian) |
//! | 6 | the config hash (32 bytes): keccak256 of the [`ProgramConfig`] JSON |
//!
//! Keys 1–5 are OP's. Key 6 is Sprout's: a dispute game is deployed for one chain and holds
//! its config hash as an immutable, so the game, not the host, supplies it (local data is
//! written on L1 by the game). A host cannot swap the rollup rules without changing the hash,
//! and the program refuses a config whose chain id is not key 5's.

use alloc::{string::ToString, vec::Vec};

use alloy_primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};
use sprout_protocol::{ChainConfig, rollup::RollupConfig};

use crate::{
    ProgramError, Result,
    oracle::{Oracle, Preimages},
};

/// The local key of the L1 head hash.
pub const L1_HEAD_KEY: u64 = 1;
/// The local key of the agreed output root.
pub const AGREED_OUTPUT_KEY: u64 = 2;
/// The local key of the claimed output root.
pub const CLAIMED_OUTPUT_KEY: u64 = 3;
/// The local key of the claimed L2 block number.
pub const CLAIMED_BLOCK_KEY: u64 = 4;
/// The local key of the L2 chain id.
pub const CHAIN_ID_KEY: u64 = 5;
/// The local key of the config hash.
pub const CONFIG_HASH_KEY: u64 = 6;

/// What one run decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootInfo {
    /// No L1 block after this one is read.
    pub l1_head: B256,
    /// The output root both sides agree on.
    pub agreed_output: B256,
    /// The output root claimed for `claimed_block`.
    pub claimed_output: B256,
    /// The L2 block the claim is about.
    pub claimed_block: u64,
    /// The L2 chain id.
    pub chain_id: u64,
    /// keccak256 of the config JSON.
    pub config_hash: B256,
}

impl BootInfo {
    /// Reads the local keys.
    pub fn read<O: Oracle>(preimages: &Preimages<O>) -> Result<Self> {
        Ok(Self {
            l1_head: word(preimages, L1_HEAD_KEY)?,
            agreed_output: word(preimages, AGREED_OUTPUT_KEY)?,
            claimed_output: word(preimages, CLAIMED_OUTPUT_KEY)?,
            claimed_block: number(preimages, CLAIMED_BLOCK_KEY)?,
            chain_id: number(preimages, CHAIN_ID_KEY)?,
            config_hash: word(preimages, CONFIG_HASH_KEY)?,
        })
    }

    /// The local data a host serves for this run, by key number.
    pub fn local_data(&self) -> [(u64, Vec<u8>); 6] {
        [
            (L1_HEAD_KEY, self.l1_head.to_vec()),
            (AGREED_OUTPUT_KEY, self.agreed_output.to_vec()),
            (CLAIMED_OUTPUT_KEY, self.claimed_output.to_vec()),
            (CLAIMED_BLOCK_KEY, self.claimed_block.to_be_bytes().to_vec()),
            (CHAIN_ID_KEY, self.chain_id.to_be_bytes().to_vec()),
            (CONFIG_HASH_KEY, self.config_hash.to_vec()),
        ]
    }
}

fn word<O: Oracle>(preimages: &Preimages<O>, key: u64) -> Result<B256> {
    let raw = preimages.local(key)?;
    B256::try_from(raw.as_slice()).map_err(|_| {
        ProgramError::Boot(alloc::format!(
            "local key {key} has {} bytes, not 32",
            raw.len()
        ))
    })
}

fn number<O: Oracle>(preimages: &Preimages<O>, key: u64) -> Result<u64> {
    let raw = preimages.local(key)?;
    let bytes: [u8; 8] = raw.as_slice().try_into().map_err(|_| {
        ProgramError::Boot(alloc::format!(
            "local key {key} has {} bytes, not 8",
            raw.len()
        ))
    })?;
    Ok(u64::from_be_bytes(bytes))
}

/// The chain's rules: its rollup config and its L2 chain config. The genesis allocation is
/// left out (`genesis.alloc` empty): the program starts from an agreed block, never from
/// genesis state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramConfig {
    /// The rollup config.
    pub rollup: RollupConfig,
    /// The L2 chain config, without its genesis allocation.
    pub chain: ChainConfig,
}

impl ProgramConfig {
    /// The config of a chain, its genesis allocation dropped.
    pub fn new(rollup: RollupConfig, mut chain: ChainConfig) -> Self {
        chain.genesis.alloc.clear();
        Self { rollup, chain }
    }

    /// The bytes hashed and served: compact JSON.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// keccak256 of [`ProgramConfig::encode`]: local key 6.
    pub fn hash(&self) -> B256 {
        keccak256(self.encode())
    }

    /// Reads the config whose hash is `hash` and checks it is chain `chain_id`'s.
    pub fn read<O: Oracle>(preimages: &Preimages<O>, hash: B256, chain_id: u64) -> Result<Self> {
        let raw = preimages.keccak(hash)?;
        let config: Self =
            serde_json::from_slice(&raw).map_err(|e| ProgramError::Config(e.to_string()))?;
        if config.rollup.l2_chain_id != chain_id || config.chain.chain_id != chain_id {
            return Err(ProgramError::Config(alloc::format!(
                "the config is chain {}'s (rollup) and {}'s (L2), not {chain_id}'s",
                config.rollup.l2_chain_id,
                config.chain.chain_id
            )));
        }
        Ok(config)
    }
}
