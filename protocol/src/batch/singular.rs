//! Singular batches (version 0): one L2 block's inputs,
//! `0x00 ++ rlp([parent_hash, epoch_num, epoch_hash, timestamp, [tx, ...]])`.
//!
//! In a channel every batch is wrapped in an RLP string (as OP's `BatchData` encodes itself), so
//! a channel's decompressed bytes are `rlp_string(0x00 ++ rlp([...])) ++ ...`.

use alloc::vec::Vec;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable, Header};

use super::{BatchError, MAX_BATCH_TRANSACTIONS};
use crate::tx::DEPOSIT_TX_TYPE;

/// The batch version of singular batches.
pub const SINGULAR_BATCH_VERSION: u8 = 0;

/// The batch version of span batches (Delta), which Sprout does not read.
pub const SPAN_BATCH_VERSION: u8 = 1;

/// One L2 block as the batcher posts it: its parent, its L1 origin (epoch), its timestamp and its
/// non-deposit transactions (opaque EIP-2718 bytes). Encoded with alloy-rlp's derive; decoded
/// by [`SingularBatch::rlp_decode`], which bounds the transaction count.
#[derive(Clone, Debug, Default, PartialEq, Eq, alloy_rlp::RlpEncodable)]
pub struct SingularBatch {
    /// Hash of the L2 block this one builds on.
    pub parent_hash: B256,
    /// Number of the L1 origin.
    pub epoch_num: u64,
    /// Hash of the L1 origin.
    pub epoch_hash: B256,
    /// Timestamp of the L2 block.
    pub timestamp: u64,
    /// The block's transactions after its deposits, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
}

impl SingularBatch {
    /// `0x00 ++ rlp([...])`: the batch as OP's `BatchData.MarshalBinary` writes it.
    pub fn encode_typed(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.length());
        out.push(SINGULAR_BATCH_VERSION);
        self.encode(&mut out);
        out
    }

    /// Appends the batch as a channel item, `rlp_string(0x00 ++ rlp([...]))`, to `out`; a
    /// channel's uncompressed bytes are these items back to back.
    pub fn encode_channel_item(&self, out: &mut Vec<u8>) {
        let typed_len = 1 + self.length();
        Header {
            list: false,
            payload_length: typed_len,
        }
        .encode(out);
        out.push(SINGULAR_BATCH_VERSION);
        self.encode(out);
    }

    /// Length of [`encode_channel_item`](Self::encode_channel_item)'s output.
    pub fn channel_item_len(&self) -> usize {
        let typed_len = 1 + self.length();
        Header {
            list: false,
            payload_length: typed_len,
        }
        .length()
            + typed_len
    }

    /// Decodes `rlp([...])` from the front of `buf`, advancing it past the list.
    ///
    /// Strict as geth's decoder is for OP's struct: exactly five fields, canonical integers,
    /// 32-byte hashes, transactions as byte strings. At most [`MAX_BATCH_TRANSACTIONS`]
    /// transactions.
    pub fn rlp_decode(buf: &mut &[u8]) -> Result<Self, BatchError> {
        let header = Header::decode(buf)?;
        if !header.list {
            return Err(alloy_rlp::Error::UnexpectedString.into());
        }
        let (mut body, rest) = buf
            .split_at_checked(header.payload_length)
            .ok_or(alloy_rlp::Error::InputTooShort)?;
        let parent_hash = B256::decode(&mut body)?;
        let epoch_num = u64::decode(&mut body)?;
        let epoch_hash = B256::decode(&mut body)?;
        let timestamp = u64::decode(&mut body)?;
        let transactions = decode_transactions(&mut body)?;
        if !body.is_empty() {
            return Err(alloy_rlp::Error::ListLengthMismatch {
                expected: header.payload_length - body.len(),
                got: header.payload_length,
            }
            .into());
        }
        *buf = rest;
        Ok(Self {
            parent_hash,
            epoch_num,
            epoch_hash,
            timestamp,
            transactions,
        })
    }

    /// The transaction checks OP's batch queue applies to a singular batch: no empty transaction
    /// and no deposit (type `0x7E`). Derivation drops a batch that fails them.
    pub fn check_transactions(&self) -> Result<(), BatchError> {
        for (index, tx) in self.transactions.iter().enumerate() {
            match tx.first() {
                None => return Err(BatchError::EmptyTransaction { index }),
                Some(&DEPOSIT_TX_TYPE) => return Err(BatchError::DepositInBatch { index }),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Decodes the transaction list, an RLP list of byte strings, bounded in count.
fn decode_transactions(buf: &mut &[u8]) -> Result<Vec<Bytes>, BatchError> {
    let header = Header::decode(buf)?;
    if !header.list {
        return Err(alloy_rlp::Error::UnexpectedString.into());
    }
    let (mut body, rest) = buf
        .split_at_checked(header.payload_length)
        .ok_or(alloy_rlp::Error::InputTooShort)?;
    let mut transactions = Vec::new();
    while !body.is_empty() {
        if transactions.len() == MAX_BATCH_TRANSACTIONS {
            return Err(BatchError::TooManyTransactions {
                limit: MAX_BATCH_TRANSACTIONS,
            });
        }
        transactions.push(Bytes::decode(&mut body)?);
    }
    *buf = rest;
    Ok(transactions)
}

/// Decodes a typed batch, `batch_version ++ content`, as found inside a channel item.
///
/// Version 0 is a [`SingularBatch`]; bytes after its RLP list are ignored, as OP's reader
/// ignores them. Version 1 (span batch) is [`BatchError::SpanBatchNotSupported`].
pub fn decode_batch(data: &[u8]) -> Result<SingularBatch, BatchError> {
    let (version, mut content) = data.split_first().ok_or(BatchError::EmptyBatch)?;
    match *version {
        SINGULAR_BATCH_VERSION => SingularBatch::rlp_decode(&mut content),
        SPAN_BATCH_VERSION => Err(BatchError::SpanBatchNotSupported),
        other => Err(BatchError::UnknownBatchVersion(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{b256, hex};

    fn sample() -> SingularBatch {
        SingularBatch {
            parent_hash: b256!("1111111111111111111111111111111111111111111111111111111111111111"),
            epoch_num: 0x1234,
            epoch_hash: b256!("2222222222222222222222222222222222222222222222222222222222222222"),
            timestamp: 1_700_000_000,
            transactions: vec![
                Bytes::from_static(&[0x02, 0xaa]),
                Bytes::from_static(&[0x7f]),
            ],
        }
    }

    #[test]
    fn encoding_is_version_byte_then_the_rlp_list() {
        // Built by hand from the spec: 0x00 ++ rlp([hash32, 0x1234, hash32, 1700000000, [0x02aa, 0x7f]]).
        let expected = hex!(
            "00"
            "f84f"
            "a01111111111111111111111111111111111111111111111111111111111111111"
            "821234"
            "a02222222222222222222222222222222222222222222222222222222222222222"
            "846553f100"
            "c4" "8202aa" "7f"
        );
        let batch = sample();
        assert_eq!(batch.encode_typed(), expected);
        assert_eq!(decode_batch(&expected), Ok(batch.clone()));

        let mut item = Vec::new();
        batch.encode_channel_item(&mut item);
        assert_eq!(item.len(), batch.channel_item_len());
        assert_eq!(&item[..2], &[0xb8, 0x52]);
        assert_eq!(&item[2..], &expected[..]);
    }

    #[test]
    fn trailing_bytes_after_the_list_are_ignored_but_not_inside_it() {
        let mut typed = sample().encode_typed();
        typed.extend_from_slice(&[1, 2, 3]);
        assert_eq!(decode_batch(&typed), Ok(sample()));

        // A sixth field inside the list.
        let mut batch = sample().encode_typed();
        batch[2] += 1;
        batch.push(0x80);
        assert!(matches!(
            decode_batch(&batch),
            Err(BatchError::Rlp(alloy_rlp::Error::ListLengthMismatch { .. }))
        ));
    }

    #[test]
    fn versions_other_than_zero_are_rejected_by_cause() {
        assert_eq!(decode_batch(&[]), Err(BatchError::EmptyBatch));
        assert_eq!(
            decode_batch(&[1, 0xc0]),
            Err(BatchError::SpanBatchNotSupported)
        );
        assert_eq!(
            decode_batch(&[2, 0xc0]),
            Err(BatchError::UnknownBatchVersion(2))
        );
        assert!(matches!(decode_batch(&[0, 0xc0]), Err(BatchError::Rlp(_))));
        assert!(matches!(decode_batch(&[0, 0x80]), Err(BatchError::Rlp(_))));
    }

    #[test]
    fn non_canonical_fields_are_rejected() {
        // epoch_num 0x1234 written with a leading zero byte: 83 00 12 34.
        let good = sample().encode_typed();
        let mut bad = good[..36].to_vec();
        bad.extend_from_slice(&[0x83, 0x00, 0x12, 0x34]);
        bad.extend_from_slice(&good[39..]);
        bad[2] += 1;
        assert_eq!(
            decode_batch(&bad),
            Err(BatchError::Rlp(alloy_rlp::Error::LeadingZero))
        );
        // A transaction that is a list instead of a byte string.
        let mut listy = sample();
        listy.transactions.clear();
        let mut typed = listy.encode_typed();
        let last = typed.len() - 1;
        typed[last] = 0xc1;
        typed.push(0xc0);
        typed[2] += 1;
        assert!(matches!(decode_batch(&typed), Err(BatchError::Rlp(_))));
    }

    #[test]
    fn transaction_count_is_bounded() {
        // MAX + 1 one-byte transactions.
        let n = MAX_BATCH_TRANSACTIONS + 1;
        let mut batch = SingularBatch {
            transactions: vec![Bytes::from_static(&[0x01]); n],
            ..Default::default()
        };
        assert_eq!(
            decode_batch(&batch.encode_typed()),
            Err(BatchError::TooManyTransactions {
                limit: MAX_BATCH_TRANSACTIONS
            })
        );
        batch.transactions.pop();
        assert_eq!(
            decode_batch(&batch.encode_typed()).map(|b| b.transactions.len()),
            Ok(n - 1)
        );
    }

    #[test]
    fn empty_and_deposit_transactions_fail_the_check() {
        let mut batch = sample();
        assert_eq!(batch.check_transactions(), Ok(()));
        batch
            .transactions
            .push(Bytes::from_static(&[DEPOSIT_TX_TYPE, 0xc0]));
        assert_eq!(
            batch.check_transactions(),
            Err(BatchError::DepositInBatch { index: 2 })
        );
        batch.transactions.insert(1, Bytes::new());
        assert_eq!(
            batch.check_transactions(),
            Err(BatchError::EmptyTransaction { index: 1 })
        );
    }
}
