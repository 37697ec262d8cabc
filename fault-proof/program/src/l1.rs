//! L1 through preimages: headers by hash, and each block's transactions and receipts read leaf
//! by leaf from its tries, then verified by `protocol`'s [`VerifiedL1Block::verify`], the
//! same check the node's L1 provider makes.
//!
//! The canonical chain is the L1 head and its ancestors, found by parent hash as far back as
//! derivation asks; nothing after the head exists.

use alloc::{collections::BTreeMap, format, vec::Vec};

use alloy_consensus::EMPTY_ROOT_HASH;
use alloy_primitives::{B256, Bytes};
use sprout_protocol::{
    derive::{L1Header, L1Provider},
    l1_block::{L1Addresses, RawL1Block, VerifiedL1Block, verify_header},
    l1_info::L1BlockRef,
    trie::Trie,
};

use crate::{
    ProgramError, Result,
    oracle::{Hint, Oracle, Preimages},
};

/// [`L1Provider`] over the oracle, bounded by the L1 head.
pub struct PreimageL1<'a, O> {
    preimages: &'a Preimages<O>,
    addresses: L1Addresses,
    head: L1BlockRef,
    /// Canonical hashes from the oldest block walked to the head.
    canonical: BTreeMap<u64, B256>,
    /// A blob's evaluation points, computed at the first blob.
    blob_points: Option<Vec<B256>>,
}

impl<'a, O: Oracle> PreimageL1<'a, O> {
    /// L1 as seen from `head`.
    pub fn new(preimages: &'a Preimages<O>, head: B256, addresses: L1Addresses) -> Result<Self> {
        let header = read_header(preimages, head)?;
        let mut canonical = BTreeMap::new();
        canonical.insert(header.block.number, head);
        Ok(Self {
            preimages,
            addresses,
            head: header.block,
            canonical,
            blob_points: None,
        })
    }

    /// The L1 head.
    pub fn head(&self) -> L1BlockRef {
        self.head
    }

    /// The canonical hash of block `number` (at most the head), walking parents as needed.
    fn hash_at(&mut self, number: u64) -> Result<B256> {
        loop {
            let (&oldest, &hash) = self
                .canonical
                .first_key_value()
                .ok_or_else(|| ProgramError::Oracle("no L1 head".into()))?;
            if oldest <= number {
                return self.canonical.get(&number).copied().ok_or_else(|| {
                    ProgramError::Oracle(format!("L1 block {number} is after the head"))
                });
            }
            if oldest == 0 {
                return Err(ProgramError::Oracle(format!(
                    "L1 block {number} is before genesis"
                )));
            }
            let header = read_header(self.preimages, hash)?;
            self.canonical.insert(oldest - 1, header.block.parent_hash);
        }
    }

    fn read_block(&mut self, block: &L1BlockRef) -> Result<VerifiedL1Block> {
        if self.hash_at(block.number)? != block.hash {
            return Err(ProgramError::Oracle(format!(
                "L1 block {} ({}) is not an ancestor of the L1 head",
                block.number, block.hash
            )));
        }
        self.preimages.hint(Hint::L1Block(block.hash))?;
        let header_rlp = self.preimages.keccak(block.hash)?;
        let (header, _) = verify_header(block.hash, &header_rlp).map_err(malformed)?;
        let raw = RawL1Block {
            header: header_rlp,
            transactions: ordered_leaves(self.preimages, header.transactions_root)?,
            receipts: ordered_leaves(self.preimages, header.receipts_root)?,
        };
        VerifiedL1Block::verify(block.hash, &raw, &self.addresses).map_err(malformed)
    }
}

impl<O: Oracle> L1Provider for PreimageL1<'_, O> {
    type Error = ProgramError;

    fn header_by_number(&mut self, number: u64) -> Result<Option<L1Header>> {
        if number > self.head.number {
            return Ok(None);
        }
        let hash = self.hash_at(number)?;
        read_header(self.preimages, hash).map(Some)
    }

    fn block(&mut self, block: &L1BlockRef) -> Result<VerifiedL1Block> {
        self.read_block(block)
    }

    fn blobs(&mut self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>> {
        if self.hash_at(block.number)? != block.hash {
            return Err(ProgramError::Oracle(format!(
                "L1 block {} ({}) is not an ancestor of the L1 head",
                block.number, block.hash
            )));
        }
        self.preimages.hint(Hint::L1Blobs(block.hash))?;
        let points = self
            .blob_points
            .get_or_insert_with(crate::blob::evaluation_points);
        let mut blobs = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let commitment = self.preimages.blob_commitment(*hash)?;
            let mut blob = Vec::with_capacity(crate::blob::FIELD_ELEMENTS * 32);
            for z in points.iter() {
                blob.extend_from_slice(&self.preimages.blob_element(&commitment, *z)?);
            }
            blobs.push(Bytes::from(blob));
        }
        Ok(blobs)
    }
}

/// An L1 header by hash, checked against it.
fn read_header<O: Oracle>(preimages: &Preimages<O>, hash: B256) -> Result<L1Header> {
    preimages.hint(Hint::L1Header(hash))?;
    let rlp = preimages.keccak(hash)?;
    let (_, header) = verify_header(hash, &rlp).map_err(malformed)?;
    Ok(header)
}

/// The values of an ordered trie (`rlp(i) -> item i`), in order: every index from 0 until the
/// first one missing. The caller checks the list against the root it came from.
pub(crate) fn ordered_leaves<O: Oracle>(
    preimages: &Preimages<O>,
    root: B256,
) -> Result<Vec<Bytes>> {
    let mut out = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok(out);
    }
    let trie = Trie::new(root, preimages);
    loop {
        let key = alloy_rlp::encode(out.len());
        match trie
            .get(&key)
            .map_err(|e| ProgramError::Protocol(e.into()))?
        {
            Some(value) => out.push(Bytes::from(value)),
            None => return Ok(out),
        }
    }
}

fn malformed(err: impl core::fmt::Display) -> ProgramError {
    ProgramError::Malformed {
        what: "L1 block",
        reason: format!("{err}"),
    }
}
