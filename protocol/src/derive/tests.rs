//! The pipeline over a hand-made L1: batches in order, replays and garbage dropped, the drift
//! and window rules, forced deposit-only blocks, and L1 reorgs.

use alloc::{vec, vec::Vec};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};

use super::*;
use crate::{
    batch::{ChannelId, ChannelOut, SingularBatch, batcher_tx_data},
    l1_block::{InboxPayload, InboxTx, L1Addresses, VerifiedL1Block},
    rollup::{BlockId, GenesisSystemConfig, RollupConfig, RollupGenesis},
};

const INBOX: Address = address!("0xff00000000000000000000000000000000000901");
const BATCHER: Address = address!("0x00000000000000000000000000000000000ba7c4");
const PORTAL: Address = address!("0x000000000000000000000000000000000000d0d0");
const SYSTEM_CONFIG: Address = address!("0x0000000000000000000000000000000000005c5c");
const L1_START: u64 = 100;
const L1_TIME: u64 = 12;

struct L1Block {
    header: L1Header,
    /// (from, to, calldata)
    txs: Vec<(Address, Address, Bytes)>,
    deposits: Vec<TxDeposit>,
    updates: Vec<crate::system_config::ConfigUpdate>,
}

/// A hand-made L1: block `i` at `L1_START + L1_TIME * i`.
struct TestL1 {
    blocks: Vec<L1Block>,
    down: bool,
}

fn l1_hash(number: u64, salt: u8) -> B256 {
    keccak256([&number.to_be_bytes()[..], &[salt]].concat())
}

impl TestL1 {
    fn new(count: u64) -> Self {
        let mut blocks: Vec<L1Block> = Vec::new();
        for number in 0..count {
            let parent_hash = blocks
                .last()
                .map(|b| b.header.block.hash)
                .unwrap_or_default();
            blocks.push(L1Block {
                header: L1Header {
                    block: L1BlockRef {
                        number,
                        hash: l1_hash(number, 0),
                        parent_hash,
                        timestamp: L1_START + L1_TIME * number,
                    },
                    base_fee: U256::from(7),
                    blob_base_fee: U256::from(1),
                    mix_hash: B256::repeat_byte(number as u8),
                    parent_beacon_block_root: None,
                },
                txs: Vec::new(),
                deposits: Vec::new(),
                updates: Vec::new(),
            });
        }
        Self {
            blocks,
            down: false,
        }
    }

    fn block(&mut self, number: u64) -> &mut L1Block {
        &mut self.blocks[number as usize]
    }

    fn epoch(&self, number: u64) -> BlockId {
        BlockId {
            hash: self.blocks[number as usize].header.block.hash,
            number,
        }
    }

    /// Posts `batches` as one channel in one batcher transaction of L1 block `at`.
    fn post(&mut self, at: u64, id: u8, batches: &[SingularBatch]) {
        self.post_from(BATCHER, at, id, batches);
    }

    /// [`TestL1::post`] from `from`.
    fn post_from(&mut self, from: Address, at: u64, id: u8, batches: &[SingularBatch]) {
        let mut channel = ChannelOut::new(ChannelId([id; 16]));
        for batch in batches {
            channel.add_batch(batch).expect("add");
        }
        let frames = channel.into_frames(100_000).expect("frames");
        let data = batcher_tx_data(frames.iter());
        self.block(at).txs.push((from, INBOX, data.into()));
    }
}

impl L1Provider for TestL1 {
    type Error = &'static str;

    fn header_by_number(&mut self, number: u64) -> Result<Option<L1Header>, Self::Error> {
        if self.down {
            return Err("L1 is down");
        }
        Ok(self.blocks.get(number as usize).map(|b| b.header))
    }

    fn block(&mut self, block: &L1BlockRef) -> Result<VerifiedL1Block, Self::Error> {
        if self.down {
            return Err("L1 is down");
        }
        let b = &self.blocks[block.number as usize];
        assert_eq!(b.header.block.hash, block.hash);
        let inbox_txs = b
            .txs
            .iter()
            .enumerate()
            .filter(|(_, (_, to, _))| *to == INBOX)
            .map(|(index, (from, _, data))| InboxTx {
                index: index as u64,
                hash: keccak256(data),
                sender: *from,
                payload: InboxPayload::Calldata(data.clone()),
            })
            .collect();
        Ok(VerifiedL1Block::from_parts(
            b.header,
            L1Addresses {
                inbox: INBOX,
                portal: PORTAL,
                system_config: SYSTEM_CONFIG,
            },
            inbox_txs,
            b.deposits.clone(),
            b.updates.clone(),
        ))
    }

    fn blobs(&mut self, _: &L1BlockRef, _: &[B256]) -> Result<Vec<Bytes>, Self::Error> {
        Err("no blobs on this L1")
    }
}

fn config(seq_window_size: u64, max_sequencer_drift: u64) -> RollupConfig {
    RollupConfig {
        genesis: RollupGenesis {
            l1: BlockId {
                hash: l1_hash(0, 0),
                number: 0,
            },
            l2: BlockId {
                hash: B256::repeat_byte(0x22),
                number: 0,
            },
            l2_time: L1_START,
            system_config: GenesisSystemConfig {
                batcher_addr: BATCHER,
                base_fee_scalar: 1368,
                blob_base_fee_scalar: 810_949,
                gas_limit: 30_000_000,
            },
        },
        block_time: 2,
        max_sequencer_drift,
        seq_window_size,
        channel_timeout: 10,
        l1_chain_id: 1,
        l2_chain_id: 901,
        batch_inbox_address: INBOX,
        deposit_contract_address: PORTAL,
        l1_system_config_address: SYSTEM_CONFIG,
        l2_output_oracle_address: Address::ZERO,
        regolith_time: None,
        canyon_time: None,
        ecotone_time: None,
    }
}

fn genesis(config: &RollupConfig) -> L2BlockInfo {
    L2BlockInfo {
        number: 0,
        hash: config.genesis.l2.hash,
        timestamp: config.genesis.l2_time,
        origin: config.genesis.l1,
        sequence_number: 0,
        system: config.genesis.system_config,
    }
}

/// The stand-in for executing a block: its hash commits to its parent, time and transactions.
fn block_hash(parent: B256, timestamp: u64, txs: &[Bytes]) -> B256 {
    let mut preimage = parent.to_vec();
    preimage.extend_from_slice(&timestamp.to_be_bytes());
    for tx in txs {
        preimage.extend_from_slice(keccak256(tx).as_slice());
    }
    keccak256(preimage)
}

fn user_tx(n: u8) -> Bytes {
    Bytes::from(vec![0x02, n, n, n])
}

/// What the sequencer would have built: `count` blocks after genesis, one user transaction
/// each, origin the newest L1 block not after the block's time (one epoch at a time).
fn sequence(l1: &TestL1, config: &RollupConfig, count: u64) -> Vec<SingularBatch> {
    let mut parent = genesis(config);
    let mut out = Vec::new();
    for i in 1..=count {
        let timestamp = parent.timestamp + config.block_time;
        let next = parent.origin.number + 1;
        let epoch = if l1.blocks[next as usize].header.block.timestamp <= timestamp {
            l1.epoch(next)
        } else {
            parent.origin
        };
        let txs = vec![user_tx(i as u8)];
        let batch = SingularBatch {
            parent_hash: parent.hash,
            epoch_num: epoch.number,
            epoch_hash: epoch.hash,
            timestamp,
            transactions: txs.clone(),
        };
        let hash = block_hash(parent.hash, timestamp, &txs);
        parent = L2BlockInfo {
            number: i,
            hash,
            timestamp,
            origin: epoch,
            sequence_number: if epoch.number == parent.origin.number {
                parent.sequence_number + 1
            } else {
                0
            },
            system: parent.system,
        };
        out.push(batch);
    }
    out
}

/// Runs the pipeline until it idles, "executing" every attributes it gives.
fn derive_all(pipeline: &mut Pipeline, l1: &mut TestL1, limit: u64) -> Vec<PayloadAttributes> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match pipeline.step(l1, limit).expect("step") {
            Step::Attributes(attributes) => {
                let hash = block_hash(
                    attributes.parent.hash,
                    attributes.timestamp,
                    &attributes.transactions,
                );
                pipeline.on_safe(attributes.block_info(hash));
                out.push(*attributes);
            }
            Step::Advanced(_) => {}
            Step::Idle => return out,
        }
    }
    panic!("the pipeline never idled");
}

fn deposit(n: u8) -> TxDeposit {
    TxDeposit {
        source_hash: B256::repeat_byte(n),
        from: Address::repeat_byte(n),
        to: TxKind::Call(Address::repeat_byte(n)),
        mint: 1,
        value: U256::from(1),
        gas_limit: 100_000,
        is_system_transaction: false,
        input: Bytes::new(),
    }
}

fn new_pipeline(config: &RollupConfig, l1: &TestL1) -> Pipeline {
    Pipeline::new(
        config.clone(),
        genesis(config),
        l1.blocks[0].header.block,
        0,
        config.genesis.system_config,
    )
}

#[test]
fn batches_become_attributes_in_order_with_l1_info_and_deposits() {
    let config = config(100, 600);
    let mut l1 = TestL1::new(8);
    l1.block(1).deposits.push(deposit(1));
    let batches = sequence(&l1, &config, 8);
    l1.post(2, 1, &batches);
    let mut pipeline = new_pipeline(&config, &l1);
    let derived = derive_all(&mut pipeline, &mut l1, 7);
    assert_eq!(derived.len(), 8);
    for (i, (attributes, batch)) in derived.iter().zip(&batches).enumerate() {
        assert_eq!(attributes.timestamp, batch.timestamp, "block {}", i + 1);
        assert_eq!(attributes.parent.hash, batch.parent_hash);
        assert_eq!(attributes.origin.block.number, batch.epoch_num);
        assert_eq!(attributes.transactions, batch.transactions);
        assert_eq!(attributes.derived_from.number, 2);
        assert!(!attributes.forced);
        assert_eq!(attributes.deposits[0], attributes.l1_info.deposit());
    }
    // Blocks 1-5 (t = 102..110) are in epoch 0; block 6 (t = 112) opens epoch 1 with its
    // deposit; blocks 7-8 follow in it.
    let seqs: Vec<u64> = derived.iter().map(|a| a.l1_info.sequence_number).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 0, 1, 2]);
    assert_eq!(
        derived[5].deposits,
        vec![derived[5].l1_info.deposit(), deposit(1)]
    );
    assert_eq!(derived[6].deposits.len(), 1);
    assert_eq!(derived[5].l1_info.hash, l1.epoch(1).hash);
    assert_eq!(derived[5].origin.mix_hash, B256::repeat_byte(1));
    assert_eq!(pipeline.safe().number, 8);
    assert_eq!(pipeline.cursor().number, 7);
    // Raw transactions: deposits first, then the batch's.
    let raw = derived[5].raw_transactions();
    assert_eq!(raw.len(), 3);
    assert_eq!(raw[0][0], crate::tx::DEPOSIT_TX_TYPE);
    assert_eq!(raw[2], user_tx(6));
}

#[test]
fn replays_garbage_strangers_and_broken_batches_are_dropped() {
    let config = config(100, 600);
    let mut l1 = TestL1::new(8);
    let batches = sequence(&l1, &config, 6);
    // Garbage from the batcher, and a valid-looking channel from a stranger, come first.
    l1.block(1)
        .txs
        .push((BATCHER, INBOX, Bytes::from_static(&[0, 1, 2, 3])));
    l1.block(1)
        .txs
        .push((BATCHER, INBOX, Bytes::from_static(&[9; 40])));
    let mut stranger = ChannelOut::new(ChannelId([7; 16]));
    let mut forged = batches[0].clone();
    forged.transactions = vec![user_tx(0xee)];
    stranger.add_batch(&forged).expect("add");
    let data = batcher_tx_data(stranger.into_frames(100_000).expect("frames").iter());
    l1.block(1)
        .txs
        .push((Address::repeat_byte(0x66), INBOX, data.into()));
    // A batch with a deposit transaction in it, then the real ones, then all of them again.
    let mut with_deposit = batches[0].clone();
    with_deposit.transactions = vec![Bytes::from_static(&[0x7e, 1, 2])];
    l1.post(2, 1, &[with_deposit]);
    l1.post(3, 2, &batches);
    l1.post(4, 3, &batches);
    let mut pipeline = new_pipeline(&config, &l1);
    let derived = derive_all(&mut pipeline, &mut l1, 7);
    assert_eq!(derived.len(), 6);
    for (attributes, batch) in derived.iter().zip(&batches) {
        assert_eq!(attributes.transactions, batch.transactions);
        assert_eq!(attributes.derived_from.number, 3);
    }
}

#[test]
fn out_of_order_wrong_epoch_and_late_batches_are_dropped() {
    let config = config(3, 600);
    let mut l1 = TestL1::new(12);
    let batches = sequence(&l1, &config, 3);
    // Block 2's batch before block 1's: block 2 is out of order, which drops it and the rest of
    // its channel. Block 1's batch then comes alone in the next channel.
    l1.post(
        1,
        1,
        &[batches[1].clone(), batches[0].clone(), batches[2].clone()],
    );
    l1.post(1, 2, &[batches[0].clone()]);
    // An epoch hash L1 does not have: dropped with the good batch after it.
    let mut wrong_epoch = batches[1].clone();
    wrong_epoch.epoch_hash = B256::repeat_byte(0xab);
    l1.post(2, 3, &[wrong_epoch, batches[1].clone()]);
    let mut pipeline = new_pipeline(&config, &l1);
    let derived = derive_all(&mut pipeline, &mut l1, 2);
    assert_eq!(derived.len(), 1);
    assert_eq!(derived[0].transactions, batches[0].transactions);
    // Block 2's batch arrives at L1 block 4: epoch 0 + window 3 < 4, too late. The window
    // of epoch 0 is over, so blocks are forced instead.
    l1.post(4, 4, &batches[1..]);
    let derived = derive_all(&mut pipeline, &mut l1, 4);
    assert!(!derived.is_empty());
    assert!(
        derived
            .iter()
            .all(|a| a.forced && a.transactions.is_empty())
    );
    assert_eq!(derived[0].timestamp, batches[1].timestamp);
}

#[test]
fn the_drift_rule_drops_batches_with_transactions() {
    // L1 block 1 comes only 100 s after block 0.
    let config = config(100, 10);
    let mut l1 = TestL1::new(3);
    for (number, time) in [(1u64, 200u64), (2, 300)] {
        l1.block(number).header.block.timestamp = time;
    }
    let mut batches = sequence(&l1, &config, 6);
    // Block 6 (t = 112 > 100 + 10) is past the drift: with a transaction it is dropped; the
    // empty batch the sequencer then sends for the same slot is taken.
    let mut empty = batches[5].clone();
    empty.transactions.clear();
    // The bad batch takes the rest of its channel (the empty one after it) down with it; the
    // empty batch sent again in a channel of its own is taken.
    batches.push(empty.clone());
    l1.post(1, 1, &batches);
    l1.post(1, 2, &[empty]);
    let mut pipeline = new_pipeline(&config, &l1);
    let derived = derive_all(&mut pipeline, &mut l1, 2);
    assert_eq!(derived.len(), 6);
    assert_eq!(derived[5].timestamp, 112);
    assert!(derived[5].transactions.is_empty());
    assert!(!derived[5].forced);
}

#[test]
fn an_expired_window_forces_deposit_only_blocks_that_carry_the_deposits() {
    let config = config(4, 600);
    let mut l1 = TestL1::new(13);
    l1.block(1).deposits.push(deposit(9));
    let mut pipeline = new_pipeline(&config, &l1);
    // Within the window of epoch 0 nothing is derived.
    assert!(derive_all(&mut pipeline, &mut l1, 3).is_empty());
    let derived = derive_all(&mut pipeline, &mut l1, 5);
    // At L1 block 4 the window of epoch 0 expires: t = 102..110 in epoch 0. At t = 112 epoch 1
    // is due, and its window expires at L1 block 5: the first block of epoch 1 takes its
    // deposit.
    assert!(
        derived
            .iter()
            .all(|a| a.forced && a.transactions.is_empty())
    );
    let times: Vec<u64> = derived.iter().map(|a| a.timestamp).collect();
    assert_eq!(&times[..6], &[102, 104, 106, 108, 110, 112]);
    assert!(derived[..5].iter().all(|a| a.origin.block.number == 0));
    assert_eq!(derived[4].derived_from.number, 4);
    assert_eq!(derived[5].origin.block.number, 1);
    assert_eq!(derived[5].l1_info.sequence_number, 0);
    assert_eq!(derived[5].deposits[1], deposit(9));
    assert_eq!(derived[5].derived_from.number, 5);
    // Forced blocks keep coming as L1 moves, one epoch window behind.
    let more = derive_all(&mut pipeline, &mut l1, 12);
    let last = more.last().expect("more blocks");
    assert_eq!(last.origin.block.number, 8);
    assert!(last.timestamp < L1_START + L1_TIME * 9);
}

#[test]
fn an_l1_reorg_under_the_cursor_asks_for_a_reset_and_an_outage_for_a_retry() {
    let config = config(100, 600);
    let mut l1 = TestL1::new(6);
    let mut pipeline = new_pipeline(&config, &l1);
    derive_all(&mut pipeline, &mut l1, 3);
    assert_eq!(pipeline.cursor().number, 3);
    l1.down = true;
    assert!(matches!(
        pipeline.step(&mut l1, 5),
        Err(DeriveError::Temporary(_))
    ));
    l1.down = false;
    // L1 block 3 is replaced; block 4 builds on the new one.
    l1.block(3).header.block.hash = l1_hash(3, 1);
    l1.block(4).header.block.parent_hash = l1_hash(3, 1);
    assert!(matches!(
        pipeline.step(&mut l1, 5),
        Err(DeriveError::Reset(_))
    ));
}

#[test]
fn a_restarted_pipeline_replays_without_forcing_early() {
    // The first pipeline derives 3 blocks from a channel in L1 block 6 (window 4: epoch 0's
    // window expired at block 4, but the batches came at 6 - too late, so take window 8).
    let config = config(8, 600);
    let mut l1 = TestL1::new(12);
    let batches = sequence(&l1, &config, 6);
    l1.post(6, 1, &batches[..3]);
    l1.post(7, 2, &batches[3..]);
    let mut first = new_pipeline(&config, &l1);
    let all = derive_all(&mut first, &mut l1, 7);
    assert_eq!(all.len(), 6);
    // A pipeline restarted from block 3 (derived from L1 block 6) re-reads from 6 - timeout
    // and must derive blocks 4-6 exactly as before, without forcing anything on the way.
    let hash3 = block_hash(all[2].parent.hash, all[2].timestamp, &all[2].transactions);
    let safe = all[2].block_info(hash3);
    let start = l1.blocks[0].header.block;
    let mut restarted = Pipeline::new(config.clone(), safe, start, 6, config.genesis.system_config);
    let again = derive_all(&mut restarted, &mut l1, 7);
    assert_eq!(again, all[3..].to_vec());
}

#[test]
fn systemconfig_updates_move_the_batcher_and_the_l1_info_scalars() {
    use crate::system_config::ConfigUpdate;
    let config = config(100, 600);
    let mut l1 = TestL1::new(8);
    let batches = sequence(&l1, &config, 8);
    let new_batcher = Address::repeat_byte(0xb2);
    // At L1 block 2 the batcher changes, and at block 1 the fee scalars.
    l1.block(1).updates.push(ConfigUpdate::GasConfig {
        base_fee_scalar: 7,
        blob_base_fee_scalar: 9,
    });
    l1.block(1).updates.push(ConfigUpdate::GasLimit(40_000_000));
    l1.block(2).updates.push(ConfigUpdate::Batcher(new_batcher));
    // The old batcher's channel in block 2 no longer counts; the new one's does.
    l1.post(2, 1, &batches);
    l1.post_from(new_batcher, 3, 2, &batches);
    let mut pipeline = new_pipeline(&config, &l1);
    let derived = derive_all(&mut pipeline, &mut l1, 7);
    assert_eq!(derived.len(), 8);
    assert!(derived.iter().all(|a| a.derived_from.number == 3));
    // Epoch 0 (blocks 1-5) keeps the genesis values; epoch 1 (block 6 on) takes block 1's
    // scalars, and the batcher as of block 1 (the genesis one).
    assert_eq!(derived[4].l1_info.base_fee_scalar, 1368);
    assert_eq!(derived[5].l1_info.base_fee_scalar, 7);
    assert_eq!(derived[5].l1_info.blob_base_fee_scalar, 9);
    assert_eq!(derived[7].l1_info.base_fee_scalar, 7);
    assert_eq!(
        derived[5].l1_info.batcher_hash,
        B256::left_padding_from(BATCHER.as_slice())
    );
    assert_eq!(pipeline.safe().system.base_fee_scalar, 7);
    // The gas limit follows the same rule: the genesis value for epoch 0, block 1's from
    // epoch 1 on.
    assert_eq!(derived[4].gas_limit, 30_000_000);
    assert!(derived[5..].iter().all(|a| a.gas_limit == 40_000_000));
    assert_eq!(pipeline.safe().system.gas_limit, 40_000_000);
}

#[test]
fn a_pipeline_resumed_from_its_resume_point_derives_the_same_blocks() {
    use crate::system_config::ConfigUpdate;
    let config = config(100, 600);
    let mut l1 = TestL1::new(30);
    let new_batcher = Address::repeat_byte(0xb2);
    let scalars = ConfigUpdate::GasConfig {
        base_fee_scalar: 7,
        blob_base_fee_scalar: 9,
    };
    l1.block(3).updates.push(ConfigUpdate::Batcher(new_batcher));
    l1.block(14).updates.push(scalars);
    let batches = sequence(&l1, &config, 12);
    l1.post_from(new_batcher, 5, 1, &batches[..4]);
    l1.post_from(new_batcher, 18, 2, &batches[4..8]);
    l1.post_from(new_batcher, 26, 3, &batches[8..]);

    let mut pipeline = new_pipeline(&config, &l1);
    let mut derived = Vec::new();
    loop {
        match pipeline.step(&mut l1, 29).expect("step") {
            Step::Attributes(attributes) => {
                let resume = pipeline.resume_point();
                let hash = block_hash(
                    attributes.parent.hash,
                    attributes.timestamp,
                    &attributes.transactions,
                );
                pipeline.on_safe(attributes.block_info(hash));
                derived.push((*attributes, hash, resume));
            }
            Step::Advanced(_) => {}
            Step::Idle => break,
        }
    }
    assert_eq!(derived.len(), 12);
    let genesis_system = config.genesis.system_config;
    let mut after_batcher = genesis_system;
    after_batcher.apply(&ConfigUpdate::Batcher(new_batcher));
    let mut after_scalars = after_batcher;
    after_scalars.apply(&scalars);
    // Derived from block 5: never before where the pipeline started (the anchor).
    assert_eq!(derived[3].2.l1_number, 0);
    assert_eq!(derived[3].2.l1_system, genesis_system);
    // From 18: 10 blocks back, past the batcher change and before the scalars'.
    assert_eq!(derived[7].2.l1_number, 8);
    assert_eq!(derived[7].2.l1_system, after_batcher);
    // From 26: both updates.
    assert_eq!(derived[11].2.l1_number, 16);
    assert_eq!(derived[11].2.l1_system, after_scalars);

    // Resumed after block 4 or block 8, a pipeline derives the rest exactly as before: with
    // the batcher as of the resume point, the last channel would be a stranger's otherwise.
    for index in [3usize, 7] {
        let (attributes, hash, resume) = &derived[index];
        let cursor = l1.blocks[resume.l1_number as usize].header.block;
        let mut resumed = Pipeline::new(
            config.clone(),
            attributes.block_info(*hash),
            cursor,
            attributes.derived_from.number,
            resume.l1_system,
        );
        let rest = derive_all(&mut resumed, &mut l1, 29);
        let expected: Vec<_> = derived[index + 1..].iter().map(|d| d.0.clone()).collect();
        assert_eq!(rest, expected, "resumed after block {}", index + 1);
    }
}
