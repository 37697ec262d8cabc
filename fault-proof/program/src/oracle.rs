//! The preimage oracle as the program sees it: 32-byte keys, local boot data (type 1),
//! keccak256 preimages (type 2), SHA-256 preimages (type 4, blob commitments) and blob field
//! elements (type 5), and hints that tell the host what to prepare.
//!
//! Every keccak256 preimage is checked against its key here, in the program, whatever the
//! oracle is (the VM checks it too): a host serving wrong bytes stops the run.

use alloc::{collections::BTreeMap, format, string::String, vec::Vec};
use core::cell::RefCell;

use alloy_primitives::{B256, Bytes, keccak256};
use sha2::Digest as _;
use sprout_protocol::trie::{TrieError, TrieNodeProvider};

use crate::{ProgramError, Result};

/// Key type of local (dispute-specific) data.
pub const LOCAL_KEY_TYPE: u8 = 1;
/// Key type of keccak256 preimages.
pub const KECCAK_KEY_TYPE: u8 = 2;
/// Key type of SHA-256 preimages (a blob's KZG commitment, by its versioned hash).
pub const SHA256_KEY_TYPE: u8 = 4;
/// Key type of blob field elements.
pub const BLOB_KEY_TYPE: u8 = 5;

/// The oracle the program reads through: fds 3–6 in the VM, the host itself natively.
pub trait Oracle {
    /// The preimage under `key`. An oracle that cannot answer returns an error with why.
    fn get(&mut self, key: &[u8; 32]) -> core::result::Result<Vec<u8>, String>;
    /// Tells the host what the program is about to read (see [`Hint`]).
    fn hint(&mut self, hint: &str) -> core::result::Result<(), String>;
}

/// Local key `n`: type 1, `n` big-endian in the last 8 bytes.
pub fn local_key(n: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[0] = LOCAL_KEY_TYPE;
    key[24..].copy_from_slice(&n.to_be_bytes());
    key
}

/// The keccak256 key of a hash: the hash with its first byte set to type 2.
pub fn keccak_key(hash: B256) -> [u8; 32] {
    let mut key = hash.0;
    key[0] = KECCAK_KEY_TYPE;
    key
}

/// The SHA-256 key of a hash (a versioned hash shares the last 31 bytes of its commitment's
/// SHA-256): the hash with its first byte set to type 4.
pub fn sha256_key(hash: B256) -> [u8; 32] {
    let mut key = hash.0;
    key[0] = SHA256_KEY_TYPE;
    key
}

/// The key of the blob field element at point `z` of the blob with KZG commitment
/// `commitment`: `keccak256(commitment ++ z)` with its first byte set to type 5.
pub fn blob_key(commitment: &[u8], z: B256) -> [u8; 32] {
    let mut key = keccak256([commitment, z.as_slice()].concat()).0;
    key[0] = BLOB_KEY_TYPE;
    key
}

/// What the program tells the host before it reads data the host must fetch or build. A key
/// carries only 31 bytes of its hash, so every keccak256 read that is not cached is preceded by
/// [`Hint::Preimage`] with the whole hash. The agreed output and the config need nothing: the
/// host has them from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// `l1-header 0x<hash>`: the L1 header whose hash this is.
    L1Header(B256),
    /// `l1-block 0x<hash>`: the nodes of that L1 block's transactions and receipts tries.
    L1Block(B256),
    /// `l2-transactions 0x<hash>`: the nodes of that L2 block's transactions trie.
    L2Transactions(B256),
    /// `preimage 0x<hash>`: the preimage of this hash is read next; if the host has not
    /// prepared it, it is an L2 trie node, code or header from the node's database.
    Preimage(B256),
    /// `l1-blobs 0x<hash>`: the blobs of the L1 block with this hash (their commitments and
    /// field elements).
    L1Blobs(B256),
}

impl Hint {
    /// The hint's string, as written to the host.
    pub fn encode(&self) -> String {
        match self {
            Self::L1Header(hash) => format!("l1-header {hash}"),
            Self::L1Block(hash) => format!("l1-block {hash}"),
            Self::L2Transactions(hash) => format!("l2-transactions {hash}"),
            Self::Preimage(hash) => format!("preimage {hash}"),
            Self::L1Blobs(hash) => format!("l1-blobs {hash}"),
        }
    }

    /// Parses a hint string; `None` if it is not one of ours.
    pub fn parse(hint: &str) -> Option<Self> {
        let (kind, hash) = hint.split_once(' ')?;
        let hash: B256 = hash.parse().ok()?;
        match kind {
            "l1-header" => Some(Self::L1Header(hash)),
            "l1-block" => Some(Self::L1Block(hash)),
            "l2-transactions" => Some(Self::L2Transactions(hash)),
            "preimage" => Some(Self::Preimage(hash)),
            "l1-blobs" => Some(Self::L1Blobs(hash)),
            _ => None,
        }
    }
}

/// The program's view of the oracle: local data, checked and cached keccak256 preimages, and
/// hints (block-level hints sent once each).
pub struct Preimages<O> {
    oracle: RefCell<O>,
    cache: RefCell<BTreeMap<B256, Bytes>>,
    hinted: RefCell<BTreeMap<String, ()>>,
}

impl<O: Oracle> Preimages<O> {
    /// Reads through `oracle`.
    pub fn new(oracle: O) -> Self {
        Self {
            oracle: RefCell::new(oracle),
            cache: RefCell::new(BTreeMap::new()),
            hinted: RefCell::new(BTreeMap::new()),
        }
    }

    /// Gives the oracle back.
    pub fn into_oracle(self) -> O {
        self.oracle.into_inner()
    }

    /// Local data `n`.
    pub fn local(&self, n: u64) -> Result<Vec<u8>> {
        self.oracle
            .borrow_mut()
            .get(&local_key(n))
            .map_err(ProgramError::Oracle)
    }

    /// The preimage of `hash`, checked: its keccak256 must be `hash`.
    pub fn keccak(&self, hash: B256) -> Result<Bytes> {
        if let Some(hit) = self.cache.borrow().get(&hash) {
            return Ok(hit.clone());
        }
        self.oracle
            .borrow_mut()
            .hint(&Hint::Preimage(hash).encode())
            .map_err(ProgramError::Oracle)?;
        let data = self
            .oracle
            .borrow_mut()
            .get(&keccak_key(hash))
            .map_err(ProgramError::Oracle)?;
        let got = keccak256(&data);
        if got != hash {
            return Err(ProgramError::PreimageMismatch { key: hash, got });
        }
        let data = Bytes::from(data);
        self.cache.borrow_mut().insert(hash, data.clone());
        Ok(data)
    }

    /// The 48-byte KZG commitment behind versioned hash `hash`, checked: version 1, and its
    /// SHA-256 gives the hash's other 31 bytes.
    pub fn blob_commitment(&self, hash: B256) -> Result<Vec<u8>> {
        let data = self
            .oracle
            .borrow_mut()
            .get(&sha256_key(hash))
            .map_err(ProgramError::Oracle)?;
        let got = sha2::Sha256::digest(&data);
        if hash[0] != 1 || data.len() != 48 || got[1..] != hash[1..] {
            return Err(ProgramError::PreimageMismatch {
                key: hash,
                got: B256::from_slice(&got),
            });
        }
        Ok(data)
    }

    /// The blob field element at point `z` of the blob committed to by `commitment`.
    pub fn blob_element(&self, commitment: &[u8], z: B256) -> Result<[u8; 32]> {
        let data = self
            .oracle
            .borrow_mut()
            .get(&blob_key(commitment, z))
            .map_err(ProgramError::Oracle)?;
        data.try_into().map_err(|data: Vec<u8>| {
            ProgramError::Oracle(format!(
                "a blob field element of {} bytes, not 32",
                data.len()
            ))
        })
    }

    /// Sends `hint` unless it was sent before.
    pub fn hint(&self, hint: Hint) -> Result<()> {
        let text = hint.encode();
        if self.hinted.borrow().contains_key(&text) {
            return Ok(());
        }
        self.oracle
            .borrow_mut()
            .hint(&text)
            .map_err(ProgramError::Oracle)?;
        self.hinted.borrow_mut().insert(text, ());
        Ok(())
    }
}

impl<O: Oracle> TrieNodeProvider for Preimages<O> {
    fn trie_node(&self, hash: &B256) -> core::result::Result<Bytes, TrieError> {
        self.keccak(*hash)
            .map_err(|err| TrieError::Provider(format!("{err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves `data` under every key.
    struct Liar(Vec<u8>);

    impl Oracle for Liar {
        fn get(&mut self, _key: &[u8; 32]) -> core::result::Result<Vec<u8>, String> {
            Ok(self.0.clone())
        }
        fn hint(&mut self, _hint: &str) -> core::result::Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn a_preimage_that_does_not_hash_to_its_key_is_an_error() {
        let truth = b"the real preimage".to_vec();
        let hash = keccak256(&truth);
        assert_eq!(
            Preimages::new(Liar(truth))
                .keccak(hash)
                .expect("true")
                .as_ref(),
            b"the real preimage"
        );
        let err = Preimages::new(Liar(b"a lie".to_vec()))
            .keccak(hash)
            .expect_err("a lie is caught");
        assert!(matches!(err, ProgramError::PreimageMismatch { key, .. } if key == hash));
    }

    #[test]
    fn keys_and_hints_have_their_documented_forms() {
        let key = local_key(4);
        assert_eq!(key[0], 1);
        assert_eq!(&key[24..], &4u64.to_be_bytes());
        let hash = B256::repeat_byte(0xab);
        let key = keccak_key(hash);
        assert_eq!(key[0], 2);
        assert_eq!(&key[1..], &hash[1..]);
        for hint in [
            Hint::L1Header(hash),
            Hint::L1Block(hash),
            Hint::L2Transactions(hash),
            Hint::Preimage(hash),
        ] {
            assert_eq!(Hint::parse(&hint.encode()), Some(hint));
        }
        assert_eq!(
            Hint::L1Block(hash).encode(),
            "l1-block 0xabababababababababababababababababababababababababababababababab"
        );
        assert_eq!(Hint::parse("l1-block 0x12"), None);
        assert_eq!(Hint::parse("l9-thing 0x00"), None);
    }
}
