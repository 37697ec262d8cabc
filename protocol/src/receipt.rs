//! Transaction receipts and their consensus (EIP-2718) encoding.

use alloc::vec::Vec;
use alloy_primitives::{Bloom, Log};
use alloy_rlp::{BufMut, Encodable, Header};

use crate::tx::DEPOSIT_TX_TYPE;

/// The outcome of one transaction, as committed to by the block's receipts root.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// EIP-2718 type of the transaction.
    pub tx_type: u8,
    /// Whether execution succeeded.
    pub success: bool,
    /// Gas used by this and all earlier transactions of the block.
    pub cumulative_gas_used: u64,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// For deposits: the sender's nonce before the deposit (OP's `depositNonce`).
    pub deposit_nonce: Option<u64>,
    /// The L1 data fee charged (rollup blocks only; not part of the consensus encoding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_fee: Option<L1FeeCharged>,
}

/// The L1 data fee a transaction paid, as OP receipts report it (`l1Fee`, `l1GasUsed`,
/// `l1GasPrice`, and the Ecotone scalars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1FeeCharged {
    /// Fee in wei.
    pub fee: alloy_primitives::U256,
    /// L1 data gas of the transaction.
    pub gas_used: u64,
    /// The L1 base fee the fee was priced at.
    pub gas_price: alloy_primitives::U256,
    /// The L1 blob base fee the fee was priced at.
    pub blob_base_fee: alloy_primitives::U256,
    /// Ecotone base-fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar.
    pub blob_base_fee_scalar: u32,
}

impl Receipt {
    /// The bloom filter over this receipt's logs.
    pub fn bloom(&self) -> Bloom {
        let mut bloom = Bloom::ZERO;
        for log in &self.logs {
            bloom.accrue_log(log);
        }
        bloom
    }

    fn payload_len(&self, bloom: &Bloom) -> usize {
        let mut len = self.success.length()
            + self.cumulative_gas_used.length()
            + bloom.length()
            + self.logs.length();
        if self.tx_type == DEPOSIT_TX_TYPE
            && let Some(nonce) = self.deposit_nonce
        {
            len += nonce.length() + 1u64.length();
        }
        len
    }

    /// The consensus encoding: `[type ||] rlp([status, cumulativeGas, bloom, logs, ...])`.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let bloom = self.bloom();
        let payload_length = self.payload_len(&bloom);
        let mut out = Vec::with_capacity(payload_length + 8);
        if self.tx_type != 0 {
            out.put_u8(self.tx_type);
        }
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.success.encode(&mut out);
        self.cumulative_gas_used.encode(&mut out);
        bloom.encode(&mut out);
        self.logs.encode(&mut out);
        if self.tx_type == DEPOSIT_TX_TYPE
            && let Some(nonce) = self.deposit_nonce
        {
            nonce.encode(&mut out);
            // depositReceiptVersion (Canyon).
            1u64.encode(&mut out);
        }
        out
    }
}

/// The bloom of a whole block: the union of its receipts' blooms.
pub fn block_bloom(receipts: &[Receipt]) -> Bloom {
    let mut bloom = Bloom::ZERO;
    for receipt in receipts {
        for log in &receipt.logs {
            bloom.accrue_log(log);
        }
    }
    bloom
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, Bytes, LogData};

    #[test]
    fn legacy_and_typed_receipts_match_alloy_encoding() {
        let log = Log {
            address: Address::repeat_byte(9),
            data: LogData::new_unchecked(vec![B256::repeat_byte(1)], Bytes::from_static(b"hi")),
        };
        for ty in [0u8, 2] {
            let ours = Receipt {
                tx_type: ty,
                success: true,
                cumulative_gas_used: 21_000,
                logs: vec![log.clone()],
                deposit_nonce: None,
                l1_fee: None,
            };
            let theirs = alloy_consensus::ReceiptWithBloom::from(alloy_consensus::Receipt {
                status: alloy_consensus::Eip658Value::Eip658(true),
                cumulative_gas_used: 21_000,
                logs: vec![log.clone()],
            });
            let env = match ty {
                0 => alloy_consensus::ReceiptEnvelope::Legacy(theirs),
                _ => alloy_consensus::ReceiptEnvelope::Eip1559(theirs),
            };
            let mut expected = Vec::new();
            alloy_eips::eip2718::Encodable2718::encode_2718(&env, &mut expected);
            assert_eq!(ours.encoded_2718(), expected);
        }
    }
}
