//! Typed batch bytes -> singular batch: never panics; what decodes re-encodes to a prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sprout_protocol::batch::decode_batch;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = decode_batch(data) {
        assert!(data.starts_with(&batch.encode_typed()));
        let _ = batch.check_transactions();
    }
});
