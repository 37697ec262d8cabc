//! Codec tests across modules: a real OP Mainnet batcher transaction, decompression bombs,
//! Holocene ordering, and property tests (round trips, no panics on arbitrary bytes).

use alloc::vec::Vec;
use alloy_primitives::{B256, Bytes};
use miniz_oxide::deflate::compress_to_vec_zlib;
use proptest::prelude::*;

use super::*;

/// Calldata of an OP Mainnet batcher transaction (inbox `0xff00…0010`): version 0 and one
/// closing frame of a zlib channel holding one span batch. Taken from kona's
/// `crates/protocol/derive/testdata/raw_batcher_tx.hex` (the signed L1 transaction; this is its
/// `input` field).
const OP_MAINNET_BATCHER_TX: &[u8] = include_bytes!("testdata/op_mainnet_batcher_tx.bin");

fn batch(i: u64, txs: usize) -> SingularBatch {
    SingularBatch {
        parent_hash: B256::repeat_byte(i as u8),
        epoch_num: 100 + i / 4,
        epoch_hash: B256::repeat_byte(0xee),
        timestamp: 1_700_000_000 + 2 * i,
        transactions: (0..txs)
            .map(|t| Bytes::from(vec![0x02, t as u8, i as u8]))
            .collect(),
    }
}

fn items(batches: &[SingularBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in batches {
        b.encode_channel_item(&mut out);
    }
    out
}

fn frame(id: u8, number: u16, is_last: bool) -> Frame {
    Frame {
        id: ChannelId([id; 16]),
        number,
        data: vec![id, number as u8],
        is_last,
    }
}

#[test]
fn op_mainnet_batcher_tx_decodes_to_a_span_batch() {
    let frames = parse_frames(OP_MAINNET_BATCHER_TX).expect("valid OP frames");
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f.id.to_string(), "ac329933f5efdcc35ccd284232a376d3");
    assert_eq!((f.number, f.data.len(), f.is_last), (0, 119_799, true));
    assert_eq!(batcher_tx_data(&frames), OP_MAINNET_BATCHER_TX);

    let mut assembler = ChannelAssembler::new(300, MAX_RLP_BYTES_PER_CHANNEL);
    let ready = assembler
        .ingest_batcher_tx(OP_MAINNET_BATCHER_TX, 19_000_000)
        .expect("parses");
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].data, f.data);

    let mut reader = ChannelReader::new(&ready[0].data, MAX_RLP_BYTES_PER_CHANNEL).expect("zlib");
    assert_eq!(reader.compression(), CompressionAlgo::Zlib);
    assert_eq!(reader.next(), Some(Err(BatchError::SpanBatchNotSupported)));
    // The one item is an RLP string of 240,304 bytes behind a 4-byte header.
    assert_eq!(reader.bytes_read(), 240_308);
    assert_eq!(reader.next(), None);
}

#[test]
fn zlib_channels_are_read_like_brotli_ones() {
    let batches: Vec<_> = (0..20).map(|i| batch(i, i as usize % 4)).collect();
    let channel = compress_to_vec_zlib(&items(&batches), 9);
    let read: Vec<_> = ChannelReader::new(&channel, MAX_RLP_BYTES_PER_CHANNEL)
        .expect("zlib")
        .collect::<Result<_, _>>()
        .expect("decodes");
    assert_eq!(read, batches);
}

#[test]
fn reader_stops_at_the_first_bad_item_keeping_earlier_batches() {
    let mut raw = items(&[batch(1, 1), batch(2, 2)]);
    raw.extend_from_slice(&[0x82, 0x02, 0xc0]); // a batch of unknown version 2
    batch(3, 1).encode_channel_item(&mut raw);
    let channel = compress_to_vec_zlib(&raw, 6);
    let read: Vec<_> = ChannelReader::new(&channel, 1 << 20)
        .expect("zlib")
        .collect();
    assert_eq!(
        read,
        vec![
            Ok(batch(1, 1)),
            Ok(batch(2, 2)),
            Err(BatchError::UnknownBatchVersion(2))
        ]
    );

    let list_item = compress_to_vec_zlib(&[0xc0], 6);
    let read: Vec<_> = ChannelReader::new(&list_item, 1 << 20)
        .expect("zlib")
        .collect();
    assert_eq!(read, vec![Err(BatchError::BatchNotString)]);

    // The stream ends in the middle of the second batch.
    let mut cut = items(&[batch(1, 1), batch(2, 2)]);
    cut.truncate(cut.len() - 5);
    let channel = compress_to_vec_zlib(&cut, 6);
    let read: Vec<_> = ChannelReader::new(&channel, 1 << 20)
        .expect("zlib")
        .collect();
    assert_eq!(
        read,
        vec![Ok(batch(1, 1)), Err(BatchError::TruncatedChannel)]
    );
}

/// An item header declaring a batch of `payload` zeros, then the zeros: compresses to a few KiB.
fn zero_bomb(payload: usize) -> Vec<u8> {
    let mut raw = vec![0xbb];
    raw.extend_from_slice(&(payload as u32).to_be_bytes());
    raw.resize(5 + payload, 0);
    raw
}

#[test]
fn zlib_bomb_stops_at_the_cap() {
    let raw = zero_bomb(32 << 20);
    let bomb = compress_to_vec_zlib(&raw, 9);
    assert!(bomb.len() < 100_000, "bomb is {} bytes", bomb.len());
    drop(raw);
    let cap = 1_000_000;
    let read: Vec<_> = ChannelReader::new(&bomb, cap).expect("zlib").collect();
    assert_eq!(read, vec![Err(BatchError::ChannelTooLarge { limit: cap })]);
    assert_eq!(
        decompress_channel(&bomb, cap),
        Err(BatchError::ChannelTooLarge { limit: cap })
    );
}

#[test]
fn brotli_bomb_stops_at_the_cap() {
    let raw = zero_bomb(32 << 20);
    let bomb = compress_brotli(&raw, 5, 22);
    assert!(bomb.len() < 10_000, "bomb is {} bytes", bomb.len());
    drop(raw);
    let read: Vec<_> = ChannelReader::new(&bomb, MAX_RLP_BYTES_PER_CHANNEL_BEDROCK)
        .expect("brotli")
        .collect();
    assert_eq!(
        read,
        vec![Err(BatchError::ChannelTooLarge {
            limit: MAX_RLP_BYTES_PER_CHANNEL_BEDROCK
        })]
    );
    assert_eq!(
        decompress_channel(&bomb, 1 << 20),
        Err(BatchError::ChannelTooLarge { limit: 1 << 20 })
    );
}

#[test]
fn batches_past_the_cap_are_not_read() {
    // 5,000 identical small batches: well compressible, 400+ KB decompressed.
    let one = batch(9, 3);
    let batches = vec![one.clone(); 5_000];
    let raw = items(&batches);
    let item_len = one.channel_item_len();
    let cap = 100 * item_len + item_len / 2;
    for channel in [compress_brotli(&raw, 5, 22), compress_to_vec_zlib(&raw, 6)] {
        let read: Vec<_> = ChannelReader::new(&channel, cap)
            .expect("channel")
            .collect();
        assert_eq!(read.len(), 101);
        assert!(read[..100].iter().all(|b| b.as_ref() == Ok(&one)));
        assert_eq!(read[100], Err(BatchError::ChannelTooLarge { limit: cap }));
        // A cap that ends exactly after a batch reads exactly that many.
        let exact: Vec<_> = ChannelReader::new(&channel, 100 * item_len)
            .expect("channel")
            .collect();
        assert_eq!(exact.len(), 101);
        assert!(exact[100].is_err());
    }
}

// --- Holocene ordering (frame queue and channel assembler) ---

#[test]
fn frame_queue_drops_frames_that_do_not_follow_their_predecessor() {
    let ids = |frames: Vec<Frame>| -> Vec<(u8, u16)> {
        prune_frames(frames)
            .iter()
            .map(|f| (f.id.0[0], f.number))
            .collect()
    };
    // In order: kept.
    assert_eq!(
        ids(vec![frame(1, 0, false), frame(1, 1, true)]),
        [(1, 0), (1, 1)]
    );
    // A gap: the later frame is dropped.
    assert_eq!(ids(vec![frame(1, 0, false), frame(1, 2, false)]), [(1, 0)]);
    // After a closing frame, the same channel's frames (even number 0) are dropped.
    assert_eq!(ids(vec![frame(1, 0, true), frame(1, 1, false)]), [(1, 0)]);
    assert_eq!(ids(vec![frame(1, 0, true), frame(1, 0, false)]), [(1, 0)]);
    // A non-first frame of another channel is dropped.
    assert_eq!(ids(vec![frame(1, 0, false), frame(2, 1, false)]), [(1, 0)]);
    // ... judged against the previous frame in the tx, so this one goes too (OP's rule).
    assert_eq!(ids(vec![frame(2, 1, false), frame(1, 1, false)]), [(2, 1)]);
    // A first frame drops the unclosed channel before it, back to its start.
    assert_eq!(
        ids(vec![
            frame(1, 0, true),
            frame(2, 0, false),
            frame(2, 1, false),
            frame(3, 0, false)
        ]),
        [(1, 0), (3, 0)]
    );
    // ... and is then judged against the frame before that one.
    assert_eq!(
        ids(vec![
            frame(1, 0, true),
            frame(2, 0, false),
            frame(1, 0, false)
        ]),
        [(1, 0)]
    );
    // A closed channel followed by a new one: both kept.
    assert_eq!(
        ids(vec![frame(1, 0, true), frame(2, 0, true)]),
        [(1, 0), (2, 0)]
    );
}

#[test]
fn assembler_completes_a_channel_from_ordered_frames_across_txs() {
    let mut a = ChannelAssembler::new(10, MAX_RLP_BYTES_PER_CHANNEL);
    assert_eq!(a.ingest(frame(1, 0, false), 100), FrameOutcome::Added);
    assert_eq!(a.staging(), Some((ChannelId([1; 16]), 100)));
    assert_eq!(a.ingest(frame(1, 1, false), 101), FrameOutcome::Added);
    let FrameOutcome::Ready(ready) = a.ingest(frame(1, 2, true), 105) else {
        panic!("channel should be ready");
    };
    assert_eq!(ready.id, ChannelId([1; 16]));
    assert_eq!(ready.open_l1_block, 100);
    assert_eq!(ready.data, vec![1, 0, 1, 1, 1, 2]);
    assert_eq!(a.staging(), None);
    // A frame after the closing one finds no channel.
    assert_eq!(a.ingest(frame(1, 3, false), 105), FrameOutcome::Dropped);
}

#[test]
fn assembler_drops_what_holocene_drops() {
    let mut a = ChannelAssembler::new(10, MAX_RLP_BYTES_PER_CHANNEL);
    // Non-first frame for an unknown channel.
    assert_eq!(a.ingest(frame(1, 1, false), 1), FrameOutcome::Dropped);
    assert_eq!(a.staging(), None);
    // Out of order, duplicate, and another channel's non-first frame.
    assert_eq!(a.ingest(frame(1, 0, false), 1), FrameOutcome::Added);
    assert_eq!(a.ingest(frame(1, 2, false), 1), FrameOutcome::Dropped);
    assert_eq!(a.ingest(frame(1, 0, false), 1), FrameOutcome::Added); // restarts channel 1
    assert_eq!(a.ingest(frame(1, 1, false), 1), FrameOutcome::Added);
    assert_eq!(a.ingest(frame(1, 1, false), 1), FrameOutcome::Dropped);
    assert_eq!(a.ingest(frame(2, 2, false), 1), FrameOutcome::Dropped);
    // A new channel's first frame replaces the open one.
    assert_eq!(a.ingest(frame(2, 0, false), 2), FrameOutcome::Added);
    assert_eq!(a.staging(), Some((ChannelId([2; 16]), 2)));
    assert_eq!(a.ingest(frame(1, 2, true), 2), FrameOutcome::Dropped);
    let FrameOutcome::Ready(ready) = a.ingest(frame(2, 1, true), 2) else {
        panic!("channel 2 should be ready");
    };
    assert_eq!(ready.data, vec![2, 0, 2, 1]);
}

#[test]
fn channels_time_out_after_channel_timeout_l1_blocks() {
    let mut a = ChannelAssembler::new(10, MAX_RLP_BYTES_PER_CHANNEL);
    a.ingest(frame(1, 0, false), 100);
    // Still open at open + timeout.
    assert_eq!(a.ingest(frame(1, 1, false), 110), FrameOutcome::Added);
    // Timed out one block later: channel and frame are dropped.
    assert_eq!(a.ingest(frame(1, 2, true), 111), FrameOutcome::Dropped);
    assert_eq!(a.staging(), None);

    a.ingest(frame(2, 0, false), 200);
    assert_eq!(a.prune_timed_out(210), None);
    assert_eq!(a.prune_timed_out(211), Some(ChannelId([2; 16])));
}

#[test]
fn oversized_channels_are_dropped() {
    let mut a = ChannelAssembler::new(10, 2 * (ASSEMBLER_FRAME_OVERHEAD + 2));
    assert_eq!(a.ingest(frame(1, 0, false), 1), FrameOutcome::Added);
    assert_eq!(a.ingest(frame(1, 1, false), 1), FrameOutcome::Added);
    assert_eq!(
        a.ingest(frame(1, 2, true), 1),
        FrameOutcome::ChannelTooLarge
    );
    assert_eq!(a.staging(), None);
}

#[test]
fn batcher_tx_with_a_bad_frame_is_ignored_whole() {
    let mut a = ChannelAssembler::new(10, MAX_RLP_BYTES_PER_CHANNEL);
    let mut data = batcher_tx_data(&[frame(1, 0, true)]);
    data.push(0xff);
    assert_eq!(
        a.ingest_batcher_tx(&data, 1),
        Err(BatchError::TruncatedFrame { index: 1 })
    );
    assert_eq!(a.staging(), None);
    // Several channels can complete in one transaction.
    let data = batcher_tx_data(&[frame(1, 0, true), frame(2, 0, false), frame(2, 1, true)]);
    let ready = a.ingest_batcher_tx(&data, 1).expect("valid");
    assert_eq!(ready.len(), 2);
    assert_eq!(ready[1].data, vec![2, 0, 2, 1]);
}

#[test]
fn assembler_takes_channel_timeout_from_the_rollup_config() {
    use crate::rollup::{RollupConfig, RollupGenesis};
    use alloy_primitives::Address;
    let config = RollupConfig {
        genesis: RollupGenesis::default(),
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 50,
        l1_chain_id: 1,
        l2_chain_id: 2,
        batch_inbox_address: Address::ZERO,
        deposit_contract_address: Address::ZERO,
        l1_system_config_address: Address::ZERO,
        l2_output_oracle_address: Address::ZERO,
        regolith_time: None,
        canyon_time: None,
        ecotone_time: None,
    };
    let mut a = ChannelAssembler::from_rollup_config(&config);
    a.ingest(frame(1, 0, false), 5);
    assert_eq!(a.prune_timed_out(5 + config.channel_timeout), None);
    assert!(a.prune_timed_out(6 + config.channel_timeout).is_some());
}

// --- property tests ---

fn arb_frame() -> impl Strategy<Value = Frame> {
    (
        any::<[u8; 16]>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
    )
        .prop_map(|(id, number, data, is_last)| Frame {
            id: ChannelId(id),
            number,
            data,
            is_last,
        })
}

fn arb_batch() -> impl Strategy<Value = SingularBatch> {
    (
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<u64>(),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..6),
    )
        .prop_map(|(parent, epoch_num, epoch, timestamp, txs)| SingularBatch {
            parent_hash: B256::from(parent),
            epoch_num,
            epoch_hash: B256::from(epoch),
            timestamp,
            transactions: txs.into_iter().map(Bytes::from).collect(),
        })
}

/// Frames on a small alphabet of ids and numbers, so that orderings of interest come up.
fn arb_small_frame() -> impl Strategy<Value = Frame> {
    (
        0u8..3,
        0u16..4,
        proptest::collection::vec(any::<u8>(), 0..8),
        any::<bool>(),
    )
        .prop_map(|(id, number, data, is_last)| Frame {
            id: ChannelId([id; 16]),
            number,
            data,
            is_last,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_round_trip(frames in proptest::collection::vec(arb_frame(), 1..6)) {
        let data = batcher_tx_data(&frames);
        prop_assert_eq!(parse_frames(&data), Ok(frames));
    }

    #[test]
    fn parse_frames_never_panics_and_accepts_only_canonical_data(
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(frames) = parse_frames(&data) {
            prop_assert!(!frames.is_empty());
            prop_assert_eq!(batcher_tx_data(&frames), data);
        }
    }

    #[test]
    fn batches_round_trip(batch in arb_batch()) {
        prop_assert_eq!(decode_batch(&batch.encode_typed()), Ok(batch.clone()));
        let mut item = Vec::new();
        batch.encode_channel_item(&mut item);
        prop_assert_eq!(item.len(), batch.channel_item_len());
    }

    #[test]
    fn decode_batch_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(batch) = decode_batch(&data) {
            // What decodes re-encodes to a prefix of the input (trailing bytes are ignored).
            let typed = batch.encode_typed();
            prop_assert!(data.starts_with(&typed));
        }
    }

    #[test]
    fn channels_round_trip_through_frames_and_the_assembler(
        batches in proptest::collection::vec(arb_batch(), 0..12),
        max_frame_size in 24usize..400,
        frames_per_tx in 1usize..4,
        zlib in any::<bool>(),
    ) {
        let id = ChannelId([7; 16]);
        let frames = if zlib {
            let channel = compress_to_vec_zlib(&items(&batches), 6);
            split_into_frames(id, &channel, max_frame_size).expect("frames")
        } else {
            let mut out = ChannelOut::new(id);
            for b in &batches {
                out.add_batch(b).expect("fits");
            }
            out.into_frames(max_frame_size).expect("frames")
        };
        // Up to ~10,000 one-byte frames, four batcher txs per L1 block: within the timeout.
        let mut assembler = ChannelAssembler::new(10_000, MAX_RLP_BYTES_PER_CHANNEL);
        let mut ready = Vec::new();
        for (tx_index, txs) in frames.chunks(frames_per_tx).enumerate() {
            let data = batcher_tx_data(txs);
            prop_assert!(data.len() <= 1 + frames_per_tx * max_frame_size);
            let l1_block = tx_index as u64 / 4;
            ready.extend(assembler.ingest_batcher_tx(&data, l1_block).expect("valid tx"));
        }
        prop_assert_eq!(ready.len(), 1);
        let read: Result<Vec<_>, _> =
            ChannelReader::new(&ready[0].data, MAX_RLP_BYTES_PER_CHANNEL).expect("channel").collect();
        prop_assert_eq!(read, Ok(batches));
    }

    #[test]
    fn channel_reader_never_panics_on_arbitrary_bytes(
        first in prop_oneof![Just(0x78u8), Just(0x01u8), Just(0x08u8), Just(0x0fu8), any::<u8>()],
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut channel = vec![first];
        channel.extend_from_slice(&rest);
        if let Ok(reader) = ChannelReader::new(&channel, 1 << 16) {
            for item in reader.take(1000) {
                let _ = item;
            }
        }
        let _ = decompress_channel(&channel, 1 << 16);
    }

    #[test]
    fn channel_reader_never_panics_on_arbitrary_decompressed_items(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        brotli in any::<bool>(),
    ) {
        let channel = if brotli { compress_brotli(&raw, 3, 16) } else { compress_to_vec_zlib(&raw, 1) };
        let reader = ChannelReader::new(&channel, 1 << 16).expect("known compression");
        let mut consumed = 0;
        // Batches read before the first error; each took its item length from `raw`.
        for batch in reader.take(1000).map_while(Result::ok) {
            consumed += batch.channel_item_len();
        }
        prop_assert!(consumed <= raw.len());
    }

    #[test]
    fn pruned_frames_are_ordered_per_channel(frames in proptest::collection::vec(arb_small_frame(), 0..12)) {
        let kept = prune_frames(frames);
        for pair in kept.windows(2) {
            let (prev, next) = (&pair[0], &pair[1]);
            if prev.id == next.id {
                prop_assert!(!prev.is_last && next.number == prev.number + 1);
            } else {
                prop_assert!(next.number == 0 && prev.is_last);
            }
        }
    }

    #[test]
    fn assembler_hands_out_only_whole_ordered_channels(
        txs in proptest::collection::vec(proptest::collection::vec(arb_small_frame(), 1..5), 0..8),
    ) {
        let mut assembler = ChannelAssembler::new(3, 1_000);
        for (block, frames) in txs.iter().enumerate() {
            let ready = assembler
                .ingest_batcher_tx(&batcher_tx_data(frames), block as u64)
                .expect("valid tx");
            for channel in ready {
                // Opened within the timeout, and closed by a last frame of its id in this tx.
                prop_assert!(block as u64 <= channel.open_l1_block + 3);
                prop_assert!(frames.iter().any(|f| f.id == channel.id && f.is_last));
                prop_assert!(channel.data.len() <= txs.iter().flatten().map(|f| f.data.len()).sum::<usize>());
            }
        }
    }
}
