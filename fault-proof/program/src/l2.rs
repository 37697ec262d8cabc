//! L2 through preimages: trie nodes and code by hash, headers by hash, with what the blocks
//! executed in this run wrote kept in memory on top.

use alloc::{collections::BTreeMap, format};
use core::cell::RefCell;

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::Decodable;
use sprout_protocol::{
    ExecutedBlock, ProtocolError, SproutTx,
    state_root::ChainData,
    trie::{MemoryNodes, TrieError, TrieNodeProvider},
};

use crate::{
    ProgramError, Result,
    oracle::{Hint, Oracle, Preimages},
};

/// The L2 chain as of the newest block this run knows.
pub struct PreimageL2<'a, O> {
    preimages: &'a Preimages<O>,
    /// Trie nodes written by the blocks executed in this run.
    nodes: MemoryNodes,
    /// Code deployed by them.
    codes: BTreeMap<B256, Bytes>,
    /// Canonical hashes known so far, from the oldest header walked to the newest block.
    hashes: RefCell<BTreeMap<u64, B256>>,
}

impl<'a, O: Oracle> PreimageL2<'a, O> {
    /// The chain whose newest block is `header` (hash `hash`).
    pub fn new(preimages: &'a Preimages<O>, header: &Header, hash: B256) -> Self {
        let mut hashes = BTreeMap::new();
        hashes.insert(header.number, hash);
        Self {
            preimages,
            nodes: MemoryNodes::default(),
            codes: BTreeMap::new(),
            hashes: RefCell::new(hashes),
        }
    }

    /// Adds a block this run executed: its trie nodes and code, and its hash.
    pub fn push(&mut self, block: &ExecutedBlock) {
        self.nodes.insert_nodes(block.trie_nodes.iter().cloned());
        self.codes.extend(
            block
                .changes
                .codes
                .iter()
                .map(|(hash, code)| (*hash, code.clone())),
        );
        self.hashes
            .borrow_mut()
            .insert(block.block.header.number, block.hash);
    }
}

/// An L2 header by hash, checked against it.
pub fn read_header<O: Oracle>(preimages: &Preimages<O>, hash: B256) -> Result<Header> {
    let rlp = preimages.keccak(hash)?;
    let mut buf = rlp.as_ref();
    let header = Header::decode(&mut buf).map_err(|e| ProgramError::Malformed {
        what: "L2 header",
        reason: format!("{e}"),
    })?;
    if !buf.is_empty() {
        return Err(ProgramError::Malformed {
            what: "L2 header",
            reason: "trailing bytes".into(),
        });
    }
    Ok(header)
}

/// The first transaction of an L2 block (its L1-info deposit), from its transactions trie.
pub fn first_transaction<O: Oracle>(
    preimages: &Preimages<O>,
    hash: B256,
    header: &Header,
) -> Result<Option<SproutTx>> {
    preimages.hint(Hint::L2Transactions(hash))?;
    let trie = sprout_protocol::trie::Trie::new(header.transactions_root, preimages);
    let first = trie
        .get(&alloy_rlp::encode(0usize))
        .map_err(|e| ProgramError::Protocol(e.into()))?;
    match first {
        None => Ok(None),
        Some(raw) => Ok(Some(SproutTx::decode_2718_exact(&raw)?)),
    }
}

impl<O: Oracle> TrieNodeProvider for PreimageL2<'_, O> {
    fn trie_node(&self, hash: &B256) -> core::result::Result<Bytes, TrieError> {
        match self.nodes.trie_node(hash) {
            Ok(node) => Ok(node),
            Err(_) => self.preimages.trie_node(hash),
        }
    }
}

impl<O: Oracle> ChainData for PreimageL2<'_, O> {
    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(Some(code.clone()));
        }
        self.preimages
            .keccak(code_hash)
            .map(Some)
            .map_err(|e| ProtocolError::InvalidBlock(format!("code {code_hash}: {e}")))
    }

    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        loop {
            let (oldest, hash) = {
                let hashes = self.hashes.borrow();
                if let Some(hash) = hashes.get(&number) {
                    return Ok(*hash);
                }
                match hashes.first_key_value() {
                    Some((&oldest, &hash)) if oldest > number => (oldest, hash),
                    _ => {
                        return Err(ProtocolError::InvalidBlock(format!(
                            "block hash of {number}, which is not before the head"
                        )));
                    }
                }
            };
            let header = read_header(self.preimages, hash)
                .map_err(|e| ProtocolError::InvalidBlock(format!("L2 header {hash}: {e}")))?;
            self.hashes
                .borrow_mut()
                .insert(oldest - 1, header.parent_hash);
        }
    }
}
