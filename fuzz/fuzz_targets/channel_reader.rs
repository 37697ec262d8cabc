//! Compressed channel bytes -> batches: never panics, never reads past the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sprout_protocol::batch::ChannelReader;

/// Small enough that a bomb hits it quickly.
const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = ChannelReader::new(data, CAP) else {
        return;
    };
    while let Some(item) = reader.next() {
        if item.is_err() {
            assert!(reader.next().is_none(), "reader must stop after an error");
            break;
        }
    }
    assert!(reader.bytes_read() <= CAP);
});
