//! The L1-info deposit: the first transaction of every L2 block, which tells the L1Block
//! predeploy about the block's L1 origin (Ecotone packed calldata), and the L1 data fee that
//! those values price.

use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};

use crate::{ProtocolError, Result, deposit::l1_info_source_hash, tx::TxDeposit};

/// The account that sends L1-info deposits.
pub const L1_INFO_DEPOSITOR: Address = address!("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The L1Block predeploy.
pub const L1_BLOCK_ADDRESS: Address = address!("0x4200000000000000000000000000000000000015");
/// Selector of `setL1BlockValuesEcotone()`.
pub const SET_L1_BLOCK_VALUES_ECOTONE: [u8; 4] = [0x44, 0x0a, 0x5e, 0x20];
/// Gas limit of the L1-info deposit (OP's Regolith system-tx gas).
pub const L1_INFO_DEPOSIT_GAS: u64 = 1_000_000;
/// L1 gas counted for a signature: 68 non-zero bytes (the GasPriceOracle's constant).
pub const SIGNATURE_L1_GAS: u64 = 68 * 16;
/// Length of the Ecotone calldata: selector plus 160 bytes of packed values.
pub const ECOTONE_CALLDATA_LEN: usize = 4 + 160;

/// The identity of an L1 block, as the sequencer and derivation track it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct L1BlockRef {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
}

/// What an L2 block learns about its L1 origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1BlockInfo {
    /// L1 block number.
    pub number: u64,
    /// L1 block timestamp.
    pub timestamp: u64,
    /// L1 base fee.
    pub base_fee: U256,
    /// L1 block hash.
    pub hash: B256,
    /// Position of the L2 block within its epoch (0 for the first).
    pub sequence_number: u64,
    /// The batcher's address, left-padded to 32 bytes.
    pub batcher_hash: B256,
    /// L1 blob base fee.
    pub blob_base_fee: U256,
    /// Ecotone base-fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar.
    pub blob_base_fee_scalar: u32,
}

impl L1BlockInfo {
    /// `setL1BlockValuesEcotone()` calldata: selector, then the values packed big-endian in the
    /// order baseFeeScalar, blobBaseFeeScalar, sequenceNumber, timestamp, number, basefee,
    /// blobBaseFee, hash, batcherHash.
    pub fn ecotone_calldata(&self) -> Bytes {
        let mut out = Vec::with_capacity(ECOTONE_CALLDATA_LEN);
        out.extend_from_slice(&SET_L1_BLOCK_VALUES_ECOTONE);
        out.extend_from_slice(&self.base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.blob_base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.base_fee.to_be_bytes::<32>());
        out.extend_from_slice(&self.blob_base_fee.to_be_bytes::<32>());
        out.extend_from_slice(self.hash.as_slice());
        out.extend_from_slice(self.batcher_hash.as_slice());
        out.into()
    }

    /// Decodes Ecotone calldata (as derivation and the fault-proof program read it back).
    pub fn from_ecotone_calldata(data: &[u8]) -> Result<Self> {
        if data.len() != ECOTONE_CALLDATA_LEN || data[..4] != SET_L1_BLOCK_VALUES_ECOTONE {
            return Err(ProtocolError::InvalidBlock(
                "L1-info calldata is not Ecotone's".into(),
            ));
        }
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&data[at..at + 4]);
            u32::from_be_bytes(b)
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[at..at + 8]);
            u64::from_be_bytes(b)
        };
        Ok(Self {
            base_fee_scalar: u32_at(4),
            blob_base_fee_scalar: u32_at(8),
            sequence_number: u64_at(12),
            timestamp: u64_at(20),
            number: u64_at(28),
            base_fee: U256::from_be_slice(&data[36..68]),
            blob_base_fee: U256::from_be_slice(&data[68..100]),
            hash: B256::from_slice(&data[100..132]),
            batcher_hash: B256::from_slice(&data[132..164]),
        })
    }

    /// The L1-info deposit for this origin (source-hash domain 1).
    pub fn deposit(&self) -> TxDeposit {
        TxDeposit {
            source_hash: l1_info_source_hash(self.hash, self.sequence_number),
            from: L1_INFO_DEPOSITOR,
            to: TxKind::Call(L1_BLOCK_ADDRESS),
            mint: 0,
            value: U256::ZERO,
            gas_limit: L1_INFO_DEPOSIT_GAS,
            is_system_transaction: false,
            input: self.ecotone_calldata(),
        }
    }

    /// L1 data gas of a transaction, as the GasPriceOracle's `getL1GasUsed` computes it: 4 per
    /// zero byte and 16 per other byte of the *unsigned* EIP-2718 encoding, plus 68 non-zero
    /// bytes for the signature. Charging on exactly this makes `getL1Fee` equal the charge.
    pub fn l1_gas_used(unsigned_tx: &[u8]) -> u64 {
        let data: u64 = unsigned_tx
            .iter()
            .map(|b| if *b == 0 { 4u64 } else { 16 })
            .sum();
        data + SIGNATURE_L1_GAS
    }

    /// Ecotone's L1 data fee for `l1_gas_used`:
    /// `l1GasUsed * (16 * baseFeeScalar * l1BaseFee + blobBaseFeeScalar * blobBaseFee) / 16e6`.
    pub fn l1_fee(&self, l1_gas_used: u64) -> U256 {
        let scaled = U256::from(16u64 * self.base_fee_scalar as u64).saturating_mul(self.base_fee)
            + U256::from(self.blob_base_fee_scalar).saturating_mul(self.blob_base_fee);
        U256::from(l1_gas_used).saturating_mul(scaled) / U256::from(16_000_000u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn info() -> L1BlockInfo {
        L1BlockInfo {
            number: 0x1234,
            timestamp: 1_700_000_000,
            base_fee: U256::from(7_000_000_000u64),
            hash: B256::repeat_byte(0xab),
            sequence_number: 3,
            batcher_hash: B256::left_padding_from(&[0x42; 20]),
            blob_base_fee: U256::from(1u64),
            base_fee_scalar: 1368,
            blob_base_fee_scalar: 810_949,
        }
    }

    #[test]
    fn calldata_layout_is_ecotone() {
        let data = info().ecotone_calldata();
        assert_eq!(data.len(), 164);
        assert_eq!(&data[..4], &[0x44, 0x0a, 0x5e, 0x20]);
        assert_eq!(&data[4..8], &1368u32.to_be_bytes());
        assert_eq!(&data[8..12], &810_949u32.to_be_bytes());
        assert_eq!(&data[12..20], &3u64.to_be_bytes());
        assert_eq!(&data[28..36], &0x1234u64.to_be_bytes());
        assert_eq!(&data[100..132], B256::repeat_byte(0xab).as_slice());
        assert_eq!(
            L1BlockInfo::from_ecotone_calldata(&data).expect("decodes"),
            info()
        );
        assert!(L1BlockInfo::from_ecotone_calldata(&data[..163]).is_err());
    }

    #[test]
    fn l1_info_deposit_targets_l1_block_from_the_depositor() {
        let deposit = info().deposit();
        assert_eq!(deposit.from, L1_INFO_DEPOSITOR);
        assert_eq!(deposit.to, TxKind::Call(L1_BLOCK_ADDRESS));
        assert_eq!(deposit.source_hash, l1_info_source_hash(info().hash, 3));
        assert_eq!(deposit.gas_limit, 1_000_000);
    }

    #[test]
    fn l1_fee_worked_example() {
        // 100 bytes: 40 zero, 60 non-zero -> 40*4 + 60*16 = 1120, plus 68*16 = 1088 -> 2208.
        let mut tx = vec![0u8; 40];
        tx.extend(vec![1u8; 60]);
        assert_eq!(L1BlockInfo::l1_gas_used(&tx), 2208);
        // scaled = 16*1368*7e9 + 810949*1 = 153_216_000_810_949
        // fee = 2208 * 153_216_000_810_949 / 16e6 = 21_143_808_111 (floor)
        assert_eq!(info().l1_fee(2208), U256::from(21_143_808_111u64));
    }

    proptest! {
        #[test]
        fn calldata_roundtrips(number in any::<u64>(), ts in any::<u64>(), seq in any::<u64>(), a in any::<u32>(), b in any::<u32>()) {
            let mut i = info();
            i.number = number; i.timestamp = ts; i.sequence_number = seq; i.base_fee_scalar = a; i.blob_base_fee_scalar = b;
            prop_assert_eq!(L1BlockInfo::from_ecotone_calldata(&i.ecotone_calldata()).expect("decodes"), i);
        }

        #[test]
        fn arbitrary_calldata_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = L1BlockInfo::from_ecotone_calldata(&data);
        }
    }
}
