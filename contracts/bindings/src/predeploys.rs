//! L2 predeploys for the genesis: addresses, runtime code and initial storage.
//!
//! Predeploys have no constructor: the genesis holds their `deployedBytecode` (none uses
//! immutables) and the storage listed in `contracts/README.md`.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, Bytes, U256, address};

use crate::{
    BaseFeeVault, GasPriceOracle, L1Block, L1FeeVault, L2ToL1MessagePasser, SequencerFeeVault,
};

/// `L1Block`: L1 attributes, written by the L1-info deposit.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// `GasPriceOracle`: the L1 data fee (Ecotone formula).
pub const GAS_PRICE_ORACLE: Address = address!("420000000000000000000000000000000000000F");
/// `L2ToL1MessagePasser`: withdrawals.
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("4200000000000000000000000000000000000016");
/// `SequencerFeeVault`: receives priority fees.
pub const SEQUENCER_FEE_VAULT: Address = address!("4200000000000000000000000000000000000011");
/// `BaseFeeVault`: receives the base fee.
pub const BASE_FEE_VAULT: Address = address!("4200000000000000000000000000000000000019");
/// `L1FeeVault`: receives the L1 data fee.
pub const L1_FEE_VAULT: Address = address!("420000000000000000000000000000000000001A");

/// Fee-vault storage slot of the L1 recipient address.
pub const FEE_VAULT_RECIPIENT_SLOT: B256 = B256::ZERO;
/// Fee-vault storage slot of the minimum withdrawal amount (wei).
pub const FEE_VAULT_MIN_WITHDRAWAL_SLOT: B256 = B256::with_last_byte(1);

/// Genesis settings shared by the three fee vaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeVaultConfig {
    /// L1 address that `withdraw()` sends the vault's balance to.
    pub recipient: Address,
    /// Smallest balance `withdraw()` accepts, in wei.
    pub min_withdrawal: U256,
}

impl FeeVaultConfig {
    fn storage(&self) -> BTreeMap<B256, B256> {
        BTreeMap::from([
            (FEE_VAULT_RECIPIENT_SLOT, self.recipient.into_word()),
            (
                FEE_VAULT_MIN_WITHDRAWAL_SLOT,
                B256::from(self.min_withdrawal),
            ),
        ])
    }
}

/// The predeploys as `(address, runtime code, initial storage)`, in address order.
///
/// The fee vaults always list slots 0 (recipient) and 1 (minimum), even when a value is zero;
/// a genesis writer should skip zero values (a zero slot is an absent slot).
pub fn predeploys(fee_vaults: FeeVaultConfig) -> Vec<(Address, Bytes, BTreeMap<B256, B256>)> {
    let vault_storage = fee_vaults.storage();
    let mut all = vec![
        (
            L1_BLOCK,
            L1Block::DEPLOYED_BYTECODE.clone(),
            BTreeMap::new(),
        ),
        (
            GAS_PRICE_ORACLE,
            GasPriceOracle::DEPLOYED_BYTECODE.clone(),
            BTreeMap::new(),
        ),
        (
            L2_TO_L1_MESSAGE_PASSER,
            L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone(),
            BTreeMap::new(),
        ),
        (
            SEQUENCER_FEE_VAULT,
            SequencerFeeVault::DEPLOYED_BYTECODE.clone(),
            vault_storage.clone(),
        ),
        (
            BASE_FEE_VAULT,
            BaseFeeVault::DEPLOYED_BYTECODE.clone(),
            vault_storage.clone(),
        ),
        (
            L1_FEE_VAULT,
            L1FeeVault::DEPLOYED_BYTECODE.clone(),
            vault_storage,
        ),
    ];
    all.sort_by_key(|(address, _, _)| *address);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `deployedBytecode` of `contracts/artifacts/<name>.json`, read independently of `sol!`.
    fn artifact_runtime(json: &str) -> Bytes {
        let value: serde_json::Value = serde_json::from_str(json).expect("artifact json");
        value["deployedBytecode"]
            .as_str()
            .expect("deployedBytecode")
            .parse()
            .expect("hex")
    }

    #[test]
    fn predeploys_carry_the_artifacts_runtime_code_and_vault_storage() {
        let vault = FeeVaultConfig {
            recipient: address!("00000000000000000000000000000000000A11CE"),
            min_withdrawal: U256::from(10).pow(U256::from(18)),
        };
        let all = predeploys(vault);
        let expected = [
            (
                GAS_PRICE_ORACLE,
                include_str!("../../artifacts/GasPriceOracle.json"),
                false,
            ),
            (
                SEQUENCER_FEE_VAULT,
                include_str!("../../artifacts/SequencerFeeVault.json"),
                true,
            ),
            (
                L1_BLOCK,
                include_str!("../../artifacts/L1Block.json"),
                false,
            ),
            (
                L2_TO_L1_MESSAGE_PASSER,
                include_str!("../../artifacts/L2ToL1MessagePasser.json"),
                false,
            ),
            (
                BASE_FEE_VAULT,
                include_str!("../../artifacts/BaseFeeVault.json"),
                true,
            ),
            (
                L1_FEE_VAULT,
                include_str!("../../artifacts/L1FeeVault.json"),
                true,
            ),
        ];
        assert_eq!(all.len(), expected.len());
        for ((address, code, storage), (want_address, json, is_vault)) in all.iter().zip(expected) {
            assert_eq!(*address, want_address);
            assert!(!code.is_empty());
            assert_eq!(*code, artifact_runtime(json), "{address}");
            if is_vault {
                assert_eq!(storage.len(), 2);
                assert_eq!(
                    storage[&B256::ZERO],
                    B256::left_padding_from(vault.recipient.as_slice())
                );
                assert_eq!(
                    storage[&B256::with_last_byte(1)],
                    B256::from(U256::from(1_000_000_000_000_000_000u64))
                );
            } else {
                assert!(storage.is_empty());
            }
        }
    }
}
