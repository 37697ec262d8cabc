//! Hand-written doubles of the sequencer (and, from `sprout-txmgr`, of L1) for unit tests.

use std::sync::Mutex;

use alloy_primitives::{B256, Bytes, keccak256};

pub(crate) use sprout_txmgr::test_utils::FakeL1;

use crate::{
    Result,
    l2::{L1Ref, L2Ref, L2Source, SyncStatus},
    raw_block::L2Block,
};

/// A sequencer whose chain, safe head and derivation progress tests set.
#[derive(Debug, Default)]
pub(crate) struct FakeL2 {
    pub state: Mutex<FakeL2State>,
}

#[derive(Debug, Default)]
pub(crate) struct FakeL2State {
    /// Blocks by number from 0.
    pub blocks: Vec<L2Block>,
    pub safe: u64,
    pub derived_l1: Option<u64>,
}

/// A block on `parent` with a distinct hash (`salt` tells forks apart).
pub(crate) fn l2_block(number: u64, parent: B256, salt: u8) -> L2Block {
    L2Block {
        number,
        hash: keccak256([&number.to_be_bytes()[..], &[salt], parent.as_slice()].concat()),
        parent_hash: parent,
        timestamp: 1_000 + number * 2,
        epoch_num: number / 4,
        epoch_hash: keccak256((number / 4).to_be_bytes()),
        transactions: vec![Bytes::from(vec![0x02, salt, number as u8])],
    }
}

impl FakeL2 {
    /// A chain of `len` blocks after a genesis.
    pub fn with_chain(len: u64) -> Self {
        let fake = Self::default();
        fake.extend(len, 0);
        fake
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeL2State) -> T) -> T {
        let mut state = self.state.lock().expect("fake L2 lock");
        f(&mut state)
    }

    /// Adds `n` blocks on the head.
    pub fn extend(&self, n: u64, salt: u8) {
        self.with(|s| {
            if s.blocks.is_empty() {
                s.blocks.push(l2_block(0, B256::ZERO, 0));
            }
            for _ in 0..n {
                let parent = s.blocks.last().map(|b| b.hash).unwrap_or_default();
                let number = s.blocks.len() as u64;
                s.blocks.push(l2_block(number, parent, salt));
            }
        })
    }

    /// Drops the blocks from `number` on and builds `n` others in their place.
    pub fn fork_at(&self, number: u64, n: u64, salt: u8) {
        self.with(|s| s.blocks.truncate(number as usize));
        self.extend(n, salt);
    }
}

fn l2_ref(block: &L2Block) -> L2Ref {
    L2Ref {
        hash: block.hash,
        number: block.number,
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
        ..Default::default()
    }
}

impl L2Source for FakeL2 {
    async fn sync_status(&self) -> Result<SyncStatus> {
        Ok(self.with(|s| {
            let head = s.blocks.last().map(l2_ref).unwrap_or_default();
            let safe = s
                .blocks
                .get(s.safe as usize)
                .map(l2_ref)
                .unwrap_or_default();
            SyncStatus {
                current_l1: s.derived_l1.map(|number| L1Ref {
                    number,
                    ..Default::default()
                }),
                head_l1: None,
                unsafe_l2: head,
                safe_l2: safe,
                finalized_l2: safe,
            }
        }))
    }

    async fn block(&self, number: u64) -> Result<Option<L2Block>> {
        Ok(self.with(|s| s.blocks.get(number as usize).cloned()))
    }
}
