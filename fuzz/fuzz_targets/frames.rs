//! Batcher transaction data -> frames: never panics; what parses re-encodes to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sprout_protocol::batch::{batcher_tx_data, parse_frames};

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = parse_frames(data) {
        assert!(!frames.is_empty());
        assert_eq!(batcher_tx_data(&frames), data);
    }
});
