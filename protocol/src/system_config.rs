//! SystemConfig updates: the `ConfigUpdate` events of the L1 SystemConfig contract (OP's
//! encoding), and the SystemConfig values they change.
//!
//! The rollup's batcher address and Ecotone fee scalars start at the rollup config's genesis
//! values. An update in L1 block `N` applies to all of block `N`'s batcher data, and to the
//! L1-info deposit of every L2 block whose origin is `N` or later; a gas-limit update in block
//! `N` sets the gas limit of every L2 block whose origin is `N` or later (as in OP). Updates of
//! the unsafe block signer are decoded and kept, but blocks are not gossiped yet, so they change
//! nothing derivation does.

use alloy_primitives::{Address, B256, Log, LogData, b256};

use crate::rollup::GenesisSystemConfig;

/// `keccak256("ConfigUpdate(uint256,uint8,bytes)")`.
pub const CONFIG_UPDATE_TOPIC: B256 =
    b256!("0x1d2b0bda21d56b8bd12d4f94ebacffdfb35f5e226f84b461103bb8beab6353be");
/// The only ConfigUpdate encoding version.
pub const CONFIG_UPDATE_VERSION_0: B256 = B256::ZERO;

/// One SystemConfig change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigUpdate {
    /// A new batcher (type 0).
    Batcher(Address),
    /// New Ecotone fee scalars (type 1).
    GasConfig {
        /// Base-fee scalar.
        base_fee_scalar: u32,
        /// Blob-base-fee scalar.
        blob_base_fee_scalar: u32,
    },
    /// A new L2 gas limit (type 2).
    GasLimit(u64),
    /// A new unsafe block signer (type 3).
    UnsafeBlockSigner(Address),
}

/// Why a log is not a valid `ConfigUpdate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigUpdateError {
    /// Not three topics.
    #[error("expected 3 topics, got {0}")]
    TopicCount(usize),
    /// Another event.
    #[error("not a ConfigUpdate event")]
    WrongEventTopic,
    /// A version other than 0.
    #[error("unsupported ConfigUpdate version")]
    UnsupportedVersion,
    /// An update type other than 0–3.
    #[error("unknown ConfigUpdate type")]
    UnknownType,
    /// The data is not `abi.encode(bytes)` of the expected payload.
    #[error("malformed ConfigUpdate data")]
    MalformedData,
    /// A batcher hash with non-zero high bytes, or a scalar with an unknown version.
    #[error("invalid ConfigUpdate value")]
    InvalidValue,
}

/// The ABI `bytes` payload of the event's data: `offset(32) ++ length(32) ++ payload`, with the
/// offset 32 and exactly `len` payload bytes (no padding needed for whole words).
fn payload(data: &[u8], len: usize) -> Result<&[u8], ConfigUpdateError> {
    let word = |i: usize| data.get(i * 32..(i + 1) * 32);
    let as_u64 = |w: &[u8]| -> Option<u64> {
        if w[..24].iter().any(|b| *b != 0) {
            return None;
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[24..]);
        Some(u64::from_be_bytes(b))
    };
    let offset = word(0).and_then(as_u64);
    let length = word(1).and_then(as_u64);
    if offset != Some(32) || length != Some(len as u64) || data.len() != 64 + len {
        return Err(ConfigUpdateError::MalformedData);
    }
    Ok(&data[64..])
}

fn address_word(word: &[u8]) -> Result<Address, ConfigUpdateError> {
    if word[..12].iter().any(|b| *b != 0) {
        return Err(ConfigUpdateError::InvalidValue);
    }
    Ok(Address::from_slice(&word[12..]))
}

/// Decodes a SystemConfig `ConfigUpdate` log. The caller checks that the log came from the
/// rollup's SystemConfig.
pub fn decode_config_update(log: &LogData) -> Result<ConfigUpdate, ConfigUpdateError> {
    let [event, version, kind] = log.topics() else {
        return Err(ConfigUpdateError::TopicCount(log.topics().len()));
    };
    if *event != CONFIG_UPDATE_TOPIC {
        return Err(ConfigUpdateError::WrongEventTopic);
    }
    if *version != CONFIG_UPDATE_VERSION_0 {
        return Err(ConfigUpdateError::UnsupportedVersion);
    }
    if kind[..31].iter().any(|b| *b != 0) {
        return Err(ConfigUpdateError::UnknownType);
    }
    let data = log.data.as_ref();
    match kind[31] {
        0 => Ok(ConfigUpdate::Batcher(address_word(payload(data, 32)?)?)),
        1 => {
            // abi.encode(overhead, scalar): the scalar is version 1 (Ecotone):
            // 0x01 ++ zeros(23) ++ blobBaseFeeScalar(4) ++ baseFeeScalar(4).
            let p = payload(data, 64)?;
            let scalar = &p[32..];
            if scalar[0] != 1 || scalar[1..24].iter().any(|b| *b != 0) {
                return Err(ConfigUpdateError::InvalidValue);
            }
            let u32_at = |at: usize| {
                let mut b = [0u8; 4];
                b.copy_from_slice(&scalar[at..at + 4]);
                u32::from_be_bytes(b)
            };
            Ok(ConfigUpdate::GasConfig {
                blob_base_fee_scalar: u32_at(24),
                base_fee_scalar: u32_at(28),
            })
        }
        2 => {
            let p = payload(data, 32)?;
            if p[..24].iter().any(|b| *b != 0) {
                return Err(ConfigUpdateError::InvalidValue);
            }
            let mut b = [0u8; 8];
            b.copy_from_slice(&p[24..]);
            Ok(ConfigUpdate::GasLimit(u64::from_be_bytes(b)))
        }
        3 => Ok(ConfigUpdate::UnsafeBlockSigner(address_word(payload(
            data, 32,
        )?)?)),
        _ => Err(ConfigUpdateError::UnknownType),
    }
}

/// [`decode_config_update`] for a log, checking its emitter too.
pub fn decode_config_update_log(
    log: &Log,
    system_config: Address,
) -> Result<ConfigUpdate, ConfigUpdateError> {
    if log.address != system_config {
        return Err(ConfigUpdateError::WrongEventTopic);
    }
    decode_config_update(&log.data)
}

impl GenesisSystemConfig {
    /// Applies one update.
    pub fn apply(&mut self, update: &ConfigUpdate) {
        match *update {
            ConfigUpdate::Batcher(batcher) => self.batcher_addr = batcher,
            ConfigUpdate::GasConfig {
                base_fee_scalar,
                blob_base_fee_scalar,
            } => {
                self.base_fee_scalar = base_fee_scalar;
                self.blob_base_fee_scalar = blob_base_fee_scalar;
            }
            ConfigUpdate::GasLimit(gas_limit) => self.gas_limit = gas_limit,
            ConfigUpdate::UnsafeBlockSigner(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use alloy_primitives::{Bytes, U256, keccak256};
    use proptest::prelude::*;

    fn log(kind: u8, payload: &[u8]) -> LogData {
        let mut data = Vec::new();
        data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        data.extend_from_slice(&U256::from(payload.len()).to_be_bytes::<32>());
        data.extend_from_slice(payload);
        LogData::new_unchecked(
            alloc::vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(kind)],
            Bytes::from(data),
        )
    }

    #[test]
    fn the_topic_is_the_events_signature() {
        assert_eq!(
            CONFIG_UPDATE_TOPIC,
            keccak256("ConfigUpdate(uint256,uint8,bytes)")
        );
    }

    #[test]
    fn every_update_type_decodes_as_the_contract_encodes_it() {
        let batcher = Address::repeat_byte(0xba);
        let hash = B256::left_padding_from(batcher.as_slice());
        assert_eq!(
            decode_config_update(&log(0, hash.as_slice())),
            Ok(ConfigUpdate::Batcher(batcher))
        );
        let mut gas = [0u8; 64];
        gas[32] = 1;
        gas[56..60].copy_from_slice(&810_949u32.to_be_bytes());
        gas[60..64].copy_from_slice(&1_368u32.to_be_bytes());
        assert_eq!(
            decode_config_update(&log(1, &gas)),
            Ok(ConfigUpdate::GasConfig {
                base_fee_scalar: 1_368,
                blob_base_fee_scalar: 810_949
            })
        );
        assert_eq!(
            decode_config_update(&log(2, &U256::from(30_000_000).to_be_bytes::<32>())),
            Ok(ConfigUpdate::GasLimit(30_000_000))
        );
        let mut config = GenesisSystemConfig::default();
        config.apply(&ConfigUpdate::Batcher(batcher));
        config.apply(&ConfigUpdate::GasConfig {
            base_fee_scalar: 1,
            blob_base_fee_scalar: 2,
        });
        config.apply(&ConfigUpdate::GasLimit(7));
        assert_eq!(
            config,
            GenesisSystemConfig {
                batcher_addr: batcher,
                base_fee_scalar: 1,
                blob_base_fee_scalar: 2,
                gas_limit: 7
            }
        );
    }

    #[test]
    fn malformed_updates_are_rejected() {
        let dirty = B256::repeat_byte(1);
        assert_eq!(
            decode_config_update(&log(0, dirty.as_slice())),
            Err(ConfigUpdateError::InvalidValue)
        );
        assert_eq!(
            decode_config_update(&log(9, &[0u8; 32])),
            Err(ConfigUpdateError::UnknownType)
        );
        assert_eq!(
            decode_config_update(&log(0, &[0u8; 31])),
            Err(ConfigUpdateError::MalformedData)
        );
        let mut pre_ecotone = [0u8; 64];
        pre_ecotone[63] = 5;
        assert_eq!(
            decode_config_update(&log(1, &pre_ecotone)),
            Err(ConfigUpdateError::InvalidValue)
        );
        let mut versioned = log(0, &[0u8; 32]);
        versioned.topics_mut()[1] = B256::with_last_byte(1);
        assert_eq!(
            decode_config_update(&versioned),
            Err(ConfigUpdateError::UnsupportedVersion)
        );
    }

    proptest! {
        #[test]
        fn arbitrary_logs_never_panic(
            kind in any::<u8>(),
            topics in 0usize..5,
            data in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut all = alloc::vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(kind), B256::ZERO];
            all.truncate(topics);
            let _ = decode_config_update(&LogData::new_unchecked(all, Bytes::from(data)));
        }

        #[test]
        fn batcher_updates_round_trip(address in any::<[u8; 20]>()) {
            let batcher = Address::from(address);
            let hash = B256::left_padding_from(batcher.as_slice());
            prop_assert_eq!(decode_config_update(&log(0, hash.as_slice())), Ok(ConfigUpdate::Batcher(batcher)));
        }
    }
}
