//! The preimage oracle the VM reads through fds 5/6 and hints through fd 4, and its keys.

use std::collections::HashMap;

use alloy_primitives::{B256, keccak256};

use crate::{Error, Result};

/// Key type byte of a local key (data specific to the dispute, e.g. the claimed output root).
pub const KEY_TYPE_LOCAL: u8 = 1;
/// Key type byte of a keccak256 key (the rest of the key is the hash's low 31 bytes).
pub const KEY_TYPE_KECCAK256: u8 = 2;
/// Key type byte of a SHA-256 key (a blob's KZG commitment, keyed by its versioned hash).
pub const KEY_TYPE_SHA256: u8 = 4;
/// Key type byte of a blob field element (`keccak256(commitment ++ z)`). Its data cannot be
/// checked here (that takes a KZG proof, which the on-chain oracle checks when it is loaded).
pub const KEY_TYPE_BLOB: u8 = 5;

/// The host side of the oracle. The VM validates what `get` returns for keccak256 keys.
pub trait PreimageOracle {
    /// The preimage for `key` (without the length prefix).
    fn get(&self, key: B256) -> Result<Vec<u8>>;
    /// A complete hint written by the program (the payload, without its length prefix).
    fn hint(&mut self, data: &[u8]);
}

/// The keccak256 key of `data`: `keccak256(data)` with the first byte set to 2.
pub fn keccak256_key(data: &[u8]) -> B256 {
    let mut k = keccak256(data);
    k.0[0] = KEY_TYPE_KECCAK256;
    k
}

/// The local key with identifier `ident`: type byte 1, `ident` big-endian in the last 8 bytes.
pub fn local_key(ident: u64) -> B256 {
    let mut k = B256::ZERO;
    k.0[0] = KEY_TYPE_LOCAL;
    k.0[24..].copy_from_slice(&ident.to_be_bytes());
    k
}

/// Checks `data` against `key`: keccak256 and SHA-256 keys must match the hash; local keys
/// and blob field elements are trusted (the latter are checked by KZG proof on L1).
pub fn check_preimage(key: B256, data: &[u8]) -> Result<()> {
    use sha2::Digest as _;
    match key[0] {
        KEY_TYPE_LOCAL | KEY_TYPE_BLOB => Ok(()),
        KEY_TYPE_KECCAK256 if keccak256_key(data) == key => Ok(()),
        KEY_TYPE_SHA256 if sha2::Sha256::digest(data)[1..] == key[1..] => Ok(()),
        KEY_TYPE_KECCAK256 | KEY_TYPE_SHA256 => Err(Error::PreimageMismatch(key)),
        t => Err(Error::UnsupportedKeyType(t)),
    }
}

/// An oracle that has no preimages: every `get` fails, hints are dropped.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOracle;

impl PreimageOracle for NoOracle {
    fn get(&self, key: B256) -> Result<Vec<u8>> {
        Err(Error::MissingPreimage(key))
    }

    fn hint(&mut self, _data: &[u8]) {}
}

/// An in-memory oracle, for tests and for replaying a recorded run.
#[derive(Clone, Debug, Default)]
pub struct MapOracle {
    preimages: HashMap<B256, Vec<u8>>,
    /// Every hint received, in order.
    pub hints: Vec<Vec<u8>>,
}

impl MapOracle {
    /// An empty oracle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `data` under its keccak256 key and returns the key.
    pub fn insert_keccak256(&mut self, data: &[u8]) -> B256 {
        let key = keccak256_key(data);
        self.preimages.insert(key, data.to_vec());
        key
    }

    /// Stores `data` under any key (no check: this is how tests build a lying oracle).
    pub fn insert(&mut self, key: B256, data: Vec<u8>) {
        self.preimages.insert(key, data);
    }
}

impl PreimageOracle for MapOracle {
    fn get(&self, key: B256) -> Result<Vec<u8>> {
        self.preimages
            .get(&key)
            .cloned()
            .ok_or(Error::MissingPreimage(key))
    }

    fn hint(&mut self, data: &[u8]) {
        self.hints.push(data.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::*;

    #[test]
    fn keys_carry_their_type_and_are_checked() {
        let k = keccak256_key(b"sprout");
        assert_eq!(k[0], 2);
        assert_eq!(k[1..], keccak256(b"sprout")[1..]);
        assert!(check_preimage(k, b"sprout").is_ok());
        assert!(matches!(
            check_preimage(k, b"sprouT"),
            Err(Error::PreimageMismatch(_))
        ));
        assert!(check_preimage(local_key(7), b"anything").is_ok());
        let mut sha = B256::from_slice(&sha2::Sha256::digest(b"sprout"));
        sha.0[0] = 4;
        assert!(check_preimage(sha, b"sprout").is_ok());
        assert!(matches!(
            check_preimage(sha, b"sprouT"),
            Err(Error::PreimageMismatch(_))
        ));
        let mut other = k;
        other.0[0] = 3;
        assert!(matches!(
            check_preimage(other, b"sprout"),
            Err(Error::UnsupportedKeyType(3))
        ));
    }
}
