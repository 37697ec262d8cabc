//! Binary encodings of the per-block records: the body entry, one entry per transaction and one
//! per receipt. Every decoder treats its input as untrusted (disk can be damaged): a bad entry is
//! [`StorageError::Corrupt`], never a panic.

use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_rlp::{Decodable, Encodable};
use sprout_protocol::{Receipt, receipt::L1FeeCharged};

use crate::{Result, StorageError};

/// Reads fixed-size fields off the front of an untrusted entry.
struct Reader<'a> {
    raw: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(raw: &'a [u8], what: &'static str) -> Self {
        Self { raw, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.raw.len() < n {
            return Err(StorageError::Corrupt(format!("truncated {}", self.what)));
        }
        let (head, rest) = self.raw.split_at(n);
        self.raw = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn u256(&mut self) -> Result<U256> {
        Ok(U256::from_be_bytes(self.array::<32>()?))
    }

    fn rest(self) -> &'a [u8] {
        self.raw
    }

    /// RLP of `T` filling the rest of the entry exactly.
    fn rlp_rest<T: Decodable>(self) -> Result<T> {
        let what = self.what;
        let mut rest = self.raw;
        let value =
            T::decode(&mut rest).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))?;
        if !rest.is_empty() {
            return Err(StorageError::Corrupt(format!("trailing bytes in {what}")));
        }
        Ok(value)
    }
}

/// The body entry of a block: how many transaction and receipt entries it has, and its
/// withdrawals.
///
/// Encoding: `tx_count(u32) ++ has_withdrawals(u8) ++ [rlp(withdrawals)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyEntry {
    /// Transactions in the block.
    pub tx_count: u32,
    /// EIP-4895 withdrawals.
    pub withdrawals: Option<Vec<Withdrawal>>,
}

impl BodyEntry {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5);
        out.extend_from_slice(&self.tx_count.to_be_bytes());
        match &self.withdrawals {
            Some(list) => {
                out.push(1);
                list.encode(&mut out);
            }
            None => out.push(0),
        }
        out
    }

    /// Decodes a stored body entry.
    pub fn decode(raw: &[u8]) -> Result<Self> {
        let mut r = Reader::new(raw, "body entry");
        let tx_count = r.u32()?;
        let withdrawals = match r.u8()? {
            0 if r.raw.is_empty() => None,
            0 => return Err(StorageError::Corrupt("trailing bytes in body entry".into())),
            1 => Some(r.rlp_rest::<Vec<Withdrawal>>()?),
            flag => return Err(StorageError::Corrupt(format!("body entry flag {flag}"))),
        };
        Ok(Self {
            tx_count,
            withdrawals,
        })
    }
}

/// One transaction of a block, with what execution learned about it.
///
/// Encoding: `sender(20) ++ gas_used(u64) ++ eip2718(tx)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEntry {
    /// EIP-2718 bytes.
    pub raw: Bytes,
    /// Recovered sender.
    pub sender: Address,
    /// Gas the transaction used.
    pub gas_used: u64,
}

impl TxEntry {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.raw.len());
        out.extend_from_slice(self.sender.as_slice());
        out.extend_from_slice(&self.gas_used.to_be_bytes());
        out.extend_from_slice(&self.raw);
        out
    }

    /// Decodes a stored transaction entry.
    pub fn decode(raw: &[u8]) -> Result<Self> {
        let mut r = Reader::new(raw, "transaction entry");
        let sender = Address::from(r.array::<20>()?);
        let gas_used = r.u64()?;
        let tx = r.rest();
        if tx.is_empty() {
            return Err(StorageError::Corrupt(
                "transaction entry without a transaction".into(),
            ));
        }
        Ok(Self {
            raw: Bytes::copy_from_slice(tx),
            sender,
            gas_used,
        })
    }
}

/// One receipt, with the block-wide index of its first log (so a single receipt reads without
/// its predecessors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptEntry {
    /// The receipt.
    pub receipt: Receipt,
    /// Log index, within the block, of the receipt's first log.
    pub first_log_index: u64,
}

const HAS_DEPOSIT_NONCE: u8 = 2;
const HAS_L1_FEE: u8 = 4;

impl ReceiptEntry {
    /// The stored bytes: `tx_type(u8) ++ flags(u8) ++ cumulative_gas(u64) ++
    /// first_log_index(u64) ++ [deposit_nonce(u64)] ++ [l1 fee(32) ++ l1 gas(u64) ++
    /// l1 gas price(32) ++ blob base fee(32) ++ scalars(u32, u32)] ++ rlp(logs)`; flag 1 is
    /// success, 2 a deposit nonce, 4 an L1 fee.
    pub fn encode(&self) -> Vec<u8> {
        let r = &self.receipt;
        let mut out = Vec::with_capacity(64 + r.logs.length());
        out.push(r.tx_type);
        let flags = u8::from(r.success)
            | if r.deposit_nonce.is_some() {
                HAS_DEPOSIT_NONCE
            } else {
                0
            }
            | if r.l1_fee.is_some() { HAS_L1_FEE } else { 0 };
        out.push(flags);
        out.extend_from_slice(&r.cumulative_gas_used.to_be_bytes());
        out.extend_from_slice(&self.first_log_index.to_be_bytes());
        if let Some(nonce) = r.deposit_nonce {
            out.extend_from_slice(&nonce.to_be_bytes());
        }
        if let Some(fee) = &r.l1_fee {
            out.extend_from_slice(&fee.fee.to_be_bytes::<32>());
            out.extend_from_slice(&fee.gas_used.to_be_bytes());
            out.extend_from_slice(&fee.gas_price.to_be_bytes::<32>());
            out.extend_from_slice(&fee.blob_base_fee.to_be_bytes::<32>());
            out.extend_from_slice(&fee.base_fee_scalar.to_be_bytes());
            out.extend_from_slice(&fee.blob_base_fee_scalar.to_be_bytes());
        }
        r.logs.encode(&mut out);
        out
    }

    /// Decodes a stored receipt entry.
    pub fn decode(raw: &[u8]) -> Result<Self> {
        let mut r = Reader::new(raw, "receipt entry");
        let tx_type = r.u8()?;
        let flags = r.u8()?;
        if flags > 7 {
            return Err(StorageError::Corrupt(format!(
                "receipt entry flags {flags}"
            )));
        }
        let cumulative_gas_used = r.u64()?;
        let first_log_index = r.u64()?;
        let deposit_nonce = if flags & HAS_DEPOSIT_NONCE != 0 {
            Some(r.u64()?)
        } else {
            None
        };
        let l1_fee = if flags & HAS_L1_FEE != 0 {
            Some(L1FeeCharged {
                fee: r.u256()?,
                gas_used: r.u64()?,
                gas_price: r.u256()?,
                blob_base_fee: r.u256()?,
                base_fee_scalar: r.u32()?,
                blob_base_fee_scalar: r.u32()?,
            })
        } else {
            None
        };
        let logs: Vec<Log> = r.rlp_rest()?;
        Ok(Self {
            receipt: Receipt {
                tx_type,
                success: flags & 1 == 1,
                cumulative_gas_used,
                logs,
                deposit_nonce,
                l1_fee,
            },
            first_log_index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, LogData};
    use proptest::prelude::*;

    fn log() -> impl Strategy<Value = Log> {
        (
            any::<[u8; 20]>(),
            proptest::collection::vec(any::<[u8; 32]>(), 0..5),
            proptest::collection::vec(any::<u8>(), 0..80),
        )
            .prop_map(|(address, topics, data)| Log {
                address: Address::from(address),
                data: LogData::new_unchecked(
                    topics.into_iter().map(B256::from).collect(),
                    Bytes::from(data),
                ),
            })
    }

    fn l1_fee() -> impl Strategy<Value = L1FeeCharged> {
        (
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(fee, gas_used, price, blob, s1, s2)| L1FeeCharged {
                fee: U256::from_be_bytes(fee),
                gas_used,
                gas_price: U256::from_be_bytes(price),
                blob_base_fee: U256::from_be_bytes(blob),
                base_fee_scalar: s1,
                blob_base_fee_scalar: s2,
            })
    }

    fn receipt_entry() -> impl Strategy<Value = ReceiptEntry> {
        (
            any::<u8>(),
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(log(), 0..4),
            proptest::option::of(any::<u64>()),
            proptest::option::of(l1_fee()),
        )
            .prop_map(
                |(tx_type, success, cumulative, first_log_index, logs, deposit_nonce, l1_fee)| {
                    ReceiptEntry {
                        receipt: Receipt {
                            tx_type,
                            success,
                            cumulative_gas_used: cumulative,
                            logs,
                            deposit_nonce,
                            l1_fee,
                        },
                        first_log_index,
                    }
                },
            )
    }

    fn withdrawal() -> impl Strategy<Value = Withdrawal> {
        (any::<u64>(), any::<u64>(), any::<[u8; 20]>(), any::<u64>()).prop_map(
            |(index, validator_index, address, amount)| Withdrawal {
                index,
                validator_index,
                address: Address::from(address),
                amount,
            },
        )
    }

    proptest! {
        #[test]
        fn receipt_entries_round_trip(entry in receipt_entry()) {
            prop_assert_eq!(ReceiptEntry::decode(&entry.encode())?, entry);
        }

        #[test]
        fn truncated_receipt_entries_are_corrupt(entry in receipt_entry(), cut in 1usize..40) {
            let raw = entry.encode();
            let cut = cut.min(raw.len());
            prop_assert!(ReceiptEntry::decode(&raw[..raw.len() - cut]).is_err());
        }

        #[test]
        fn tx_entries_round_trip(
            raw in proptest::collection::vec(any::<u8>(), 1..200),
            sender in any::<[u8; 20]>(),
            gas_used in any::<u64>(),
        ) {
            let entry = TxEntry { raw: Bytes::from(raw), sender: Address::from(sender), gas_used };
            prop_assert_eq!(TxEntry::decode(&entry.encode())?, entry);
        }

        #[test]
        fn body_entries_round_trip(
            tx_count in any::<u32>(),
            withdrawals in proptest::option::of(proptest::collection::vec(withdrawal(), 0..4)),
        ) {
            let entry = BodyEntry { tx_count, withdrawals };
            prop_assert_eq!(BodyEntry::decode(&entry.encode())?, entry);
        }

        #[test]
        fn truncated_body_entries_are_corrupt(
            tx_count in any::<u32>(),
            withdrawals in proptest::collection::vec(withdrawal(), 1..4),
            cut in 1usize..20,
        ) {
            let raw = BodyEntry { tx_count, withdrawals: Some(withdrawals) }.encode();
            let cut = cut.min(raw.len());
            prop_assert!(BodyEntry::decode(&raw[..raw.len() - cut]).is_err());
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ReceiptEntry::decode(&bytes);
            let _ = TxEntry::decode(&bytes);
            let _ = BodyEntry::decode(&bytes);
        }
    }
}
