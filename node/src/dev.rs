//! The dev chain: anvil's and Hardhat's ten well-known accounts, prefunded, on chain id 901.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256, utils::parse_ether};
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::{
    ChainConfig, GenesisAccount, Hardfork,
    chain::{BaseFeeConfig, GenesisConfig},
};

use crate::{NodeError, Result};

pub use sprout_devnet::DEV_MNEMONIC;

/// Chain id of the dev chain.
pub const DEV_CHAIN_ID: u64 = 901;

/// The first `count` dev signers (BIP-44 path m/44'/60'/0'/0/i).
pub fn dev_signers(count: u32) -> Result<Vec<PrivateKeySigner>> {
    sprout_devnet::dev_signers(count).map_err(|e| NodeError::Config(e.to_string()))
}

/// The dev chain's config: ten accounts with 10,000 ETH each, 1 s blocks, a 1 Ggas limit.
pub fn dev_chain_config(chain_id: u64, block_time: u64, gas_limit: u64) -> Result<ChainConfig> {
    let mut alloc: BTreeMap<Address, GenesisAccount> = dev_signers(10)?
        .into_iter()
        .map(|signer| {
            let balance = parse_ether("10000").unwrap_or(U256::ZERO);
            (
                signer.address(),
                GenesisAccount {
                    balance,
                    ..Default::default()
                },
            )
        })
        .collect();
    alloc.extend(sprout_protocol::chain::system_contracts());
    Ok(ChainConfig {
        chain_id,
        hardfork: Hardfork::Prague,
        prague_time: None,
        block_time,
        gas_limit,
        base_fee: BaseFeeConfig {
            max_change_denominator: 250,
            elasticity_multiplier: 6,
            initial_base_fee: 1_000_000_000,
        },
        fee_recipient: Address::ZERO,
        genesis: GenesisConfig {
            timestamp: 0,
            extra_data: Default::default(),
            alloc,
        },
    })
}

/// Hex private key of a signer, `0x`-prefixed.
pub fn private_key_hex(signer: &PrivateKeySigner) -> String {
    format!("{}", B256::from_slice(&signer.to_bytes()[..]))
}
