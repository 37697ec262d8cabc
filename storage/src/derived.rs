//! The derivation record kept with every safe block: the L1 block it was derived from, and
//! where derivation resumes if the node restarts with it as the safe head.
//!
//! Layout (schema 3): `L1 number (be 8) ++ L1 hash (32) ++ resume L1 number (be 8) ++ batcher
//! (20) ++ base-fee scalar (be 4) ++ blob-base-fee scalar (be 4) ++ gas limit (be 8)`. Schema 2
//! wrote the first 40 bytes only; such a record reads with no resume point.

use alloy_primitives::{Address, B256};
use sprout_protocol::{derive::ResumePoint, rollup::GenesisSystemConfig};

use crate::{Result, StorageError};

const LEGACY_LEN: usize = 40;
const LEN: usize = 84;

/// What derivation recorded about one safe block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivationRecord {
    /// The L1 block (number, hash) whose data completed the block's derivation.
    pub derived_from: (u64, B256),
    /// Where a restart with this block as the safe head resumes (`None` in records of storage
    /// schema 2).
    pub resume: Option<ResumePoint>,
}

impl DerivationRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.extend_from_slice(&self.derived_from.0.to_be_bytes());
        out.extend_from_slice(self.derived_from.1.as_slice());
        if let Some(resume) = &self.resume {
            let system = &resume.l1_system;
            out.extend_from_slice(&resume.l1_number.to_be_bytes());
            out.extend_from_slice(system.batcher_addr.as_slice());
            out.extend_from_slice(&system.base_fee_scalar.to_be_bytes());
            out.extend_from_slice(&system.blob_base_fee_scalar.to_be_bytes());
            out.extend_from_slice(&system.gas_limit.to_be_bytes());
        }
        out
    }

    pub(crate) fn decode(raw: &[u8]) -> Result<Self> {
        if raw.len() != LEN && raw.len() != LEGACY_LEN {
            return Err(StorageError::Corrupt(format!(
                "derivation record of {} bytes",
                raw.len()
            )));
        }
        let derived_from = (be_u64(&raw[..8]), B256::from_slice(&raw[8..40]));
        let resume = (raw.len() == LEN).then(|| ResumePoint {
            l1_number: be_u64(&raw[40..48]),
            l1_system: GenesisSystemConfig {
                batcher_addr: Address::from_slice(&raw[48..68]),
                base_fee_scalar: be_u32(&raw[68..72]),
                blob_base_fee_scalar: be_u32(&raw[72..76]),
                gas_limit: be_u64(&raw[76..84]),
            },
        });
        Ok(Self {
            derived_from,
            resume,
        })
    }
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut out = [0u8; 8];
    out.copy_from_slice(bytes);
    u64::from_be_bytes(out)
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut out = [0u8; 4];
    out.copy_from_slice(bytes);
    u32::from_be_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_schema_2_records_have_no_resume_point() {
        let record = DerivationRecord {
            derived_from: (77, B256::repeat_byte(7)),
            resume: Some(ResumePoint {
                l1_number: 40,
                l1_system: GenesisSystemConfig {
                    batcher_addr: Address::repeat_byte(0xba),
                    base_fee_scalar: 1368,
                    blob_base_fee_scalar: 810_949,
                    gas_limit: 30_000_000,
                },
            }),
        };
        let raw = record.encode();
        assert_eq!(raw.len(), LEN);
        assert_eq!(DerivationRecord::decode(&raw).expect("decode"), record);
        let legacy = DerivationRecord::decode(&raw[..LEGACY_LEN]).expect("legacy");
        assert_eq!(legacy.derived_from, record.derived_from);
        assert_eq!(legacy.resume, None);
        assert!(DerivationRecord::decode(&raw[..50]).is_err());
    }
}
