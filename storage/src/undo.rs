//! Undo records: the flat-state values one block overwrote, which rolling it back restores.

use alloy_primitives::{Address, U256};
use sprout_protocol::AccountState;

use super::{account_bytes, decode_account};
use crate::{Result, StorageError};

/// The flat-state values one block overwrote for one account: what rolling the block back
/// restores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct UndoEntry {
    pub(super) address: Address,
    /// The account before the block (`None`: it did not exist).
    pub(super) account: Option<AccountState>,
    /// The block replaced the whole storage: `slots` is all of the old storage.
    pub(super) full_storage: bool,
    /// Slots and their values before the block (zero: unset).
    pub(super) slots: Vec<(U256, U256)>,
}

/// Everything one block overwrote in the flat state.
///
/// Encoding: `count(u32)` entries of `address(20) ++ flags(u8) ++ [account(72) if flags & 1] ++
/// slots(u32) ++ (slot(32) ++ value(32))*`, where flag 2 marks a full-storage entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct UndoRecord {
    pub(super) entries: Vec<UndoEntry>,
}

impl UndoRecord {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.entries.len() * 100);
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        for entry in &self.entries {
            out.extend_from_slice(entry.address.as_slice());
            let flags = u8::from(entry.account.is_some()) | (u8::from(entry.full_storage) << 1);
            out.push(flags);
            if let Some(account) = &entry.account {
                out.extend_from_slice(&account_bytes(account));
            }
            out.extend_from_slice(&(entry.slots.len() as u32).to_be_bytes());
            for (slot, value) in &entry.slots {
                out.extend_from_slice(&slot.to_be_bytes::<32>());
                out.extend_from_slice(&value.to_be_bytes::<32>());
            }
        }
        out
    }

    pub(super) fn decode(mut raw: &[u8]) -> Result<Self> {
        fn take<'a>(raw: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
            if raw.len() < n {
                return Err(StorageError::Corrupt("truncated undo record".into()));
            }
            let (head, rest) = raw.split_at(n);
            *raw = rest;
            Ok(head)
        }
        fn count(raw: &mut &[u8]) -> Result<usize> {
            let mut buf = [0u8; 4];
            buf.copy_from_slice(take(raw, 4)?);
            Ok(u32::from_be_bytes(buf) as usize)
        }
        let n = count(&mut raw)?;
        let mut entries = Vec::with_capacity(n.min(raw.len() / 25));
        for _ in 0..n {
            let address = Address::from_slice(take(&mut raw, 20)?);
            let flags = take(&mut raw, 1)?[0];
            if flags > 3 {
                return Err(StorageError::Corrupt(format!("undo record flags {flags}")));
            }
            let account = if flags & 1 == 1 {
                Some(decode_account(take(&mut raw, 72)?)?)
            } else {
                None
            };
            let n_slots = count(&mut raw)?;
            let mut slots = Vec::with_capacity(n_slots.min(raw.len() / 64));
            for _ in 0..n_slots {
                let slot = U256::from_be_slice(take(&mut raw, 32)?);
                let value = U256::from_be_slice(take(&mut raw, 32)?);
                slots.push((slot, value));
            }
            entries.push(UndoEntry {
                address,
                account,
                full_storage: flags & 2 == 2,
                slots,
            });
        }
        if !raw.is_empty() {
            return Err(StorageError::Corrupt(
                "trailing bytes in undo record".into(),
            ));
        }
        Ok(Self { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = UndoEntry> {
        (
            any::<[u8; 20]>(),
            proptest::option::of((any::<u64>(), any::<[u8; 32]>(), any::<[u8; 32]>())),
            any::<bool>(),
            proptest::collection::vec((any::<[u8; 32]>(), any::<[u8; 32]>()), 0..4),
        )
            .prop_map(|(address, account, full_storage, slots)| UndoEntry {
                address: Address::from(address),
                account: account.map(|(nonce, balance, code_hash)| AccountState {
                    nonce,
                    balance: U256::from_be_bytes(balance),
                    code_hash: B256::from(code_hash),
                }),
                full_storage,
                slots: slots
                    .into_iter()
                    .map(|(k, v)| (U256::from_be_bytes(k), U256::from_be_bytes(v)))
                    .collect(),
            })
    }

    proptest! {
        #[test]
        fn undo_records_round_trip(entries in proptest::collection::vec(entry(), 0..5)) {
            let record = UndoRecord { entries };
            prop_assert_eq!(UndoRecord::decode(&record.encode())?, record);
        }

        #[test]
        fn undo_record_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = UndoRecord::decode(&bytes);
        }

        #[test]
        fn truncated_undo_records_are_corrupt(entries in proptest::collection::vec(entry(), 1..4), cut in 1usize..64) {
            let raw = UndoRecord { entries }.encode();
            let cut = cut.min(raw.len());
            prop_assert!(UndoRecord::decode(&raw[..raw.len() - cut]).is_err());
        }
    }
}
