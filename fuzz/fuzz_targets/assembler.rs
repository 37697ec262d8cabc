//! A sequence of batcher transactions -> channel assembler -> channel reader, as derivation
//! drives them: never panics.
//!
//! Input: records of `len (u16 BE) ++ tx data`; record `i` lands in L1 block `i / 2`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sprout_protocol::batch::{ChannelAssembler, ChannelReader};

const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let mut assembler = ChannelAssembler::new(4, CAP);
    let mut rest = data;
    let mut index = 0u64;
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (tx, tail) = tail.split_at(len);
        rest = tail;
        let Ok(ready) = assembler.ingest_batcher_tx(tx, index / 2) else {
            index += 1;
            continue;
        };
        for channel in ready {
            assert!(channel.open_l1_block + 4 >= index / 2);
            if let Ok(reader) = ChannelReader::new(&channel.data, CAP) {
                for _ in reader {}
            }
        }
        index += 1;
    }
});
