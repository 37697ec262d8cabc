//! OP's blob encoding: how batcher data rides in an EIP-4844 blob.
//!
//! A blob is 4096 field elements of 32 bytes; a field element must stay below the BLS modulus,
//! so the encoding never sets the top 2 bits of a field element's first byte. It packs 127 data
//! bytes into each group of 4 field elements (a *round*): 31 bytes after the first byte of each
//! element, plus 3 bytes split into 6-bit pieces over the 4 first bytes.
//!
//! ```text
//! round data  = d0(31) ++ x ++ d1(31) ++ y ++ d2(31) ++ z ++ d3(31)            (127 bytes)
//! fe0 = (x & 0x3f)                            ++ d0
//! fe1 = (y & 0x0f) | (x & 0xc0) >> 2          ++ d1
//! fe2 = (z & 0x3f)                            ++ d2
//! fe3 = (z & 0xc0) >> 2 | (y & 0xf0) >> 4     ++ d3
//! ```
//!
//! Round 0's data is prefixed with the version byte 0 and the data length (3 bytes,
//! big-endian), so at most `1024 × 127 − 4` = [`MAX_BLOB_DATA_SIZE`] bytes fit. Everything past
//! the data is zero. Decoding is strict: a wrong version, a length over the maximum, a set high
//! bit, or a non-zero byte past the data is a typed error ([`BatchError`]), never a panic.
//!
//! The decoded data is one batcher transaction's data (`0x00 ++ frames`), as calldata would be.

use alloc::{vec, vec::Vec};

use super::BatchError;

/// Bytes in a blob: 4096 field elements of 32 bytes.
pub const BLOB_SIZE: usize = FIELD_ELEMENTS_PER_BLOB * 32;
/// Field elements in a blob.
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// Most data bytes one blob carries (OP's `MaxBlobDataSize`): 1024 rounds of 127 bytes, less
/// the version byte and the 3-byte length.
pub const MAX_BLOB_DATA_SIZE: usize = ROUNDS * ROUND_DATA - HEADER_LEN;
/// The blob encoding version this codec writes and reads.
pub const BLOB_ENCODING_VERSION: u8 = 0;

/// Rounds in a blob: 4 field elements each.
const ROUNDS: usize = FIELD_ELEMENTS_PER_BLOB / 4;
/// Data bytes per round.
const ROUND_DATA: usize = 4 * 31 + 3;
/// Version byte and 3-byte length at the start of round 0's data.
const HEADER_LEN: usize = 4;
/// Mask of the two bits a field element's first byte must leave clear.
const HIGH_BITS: u8 = 0b1100_0000;

/// Encodes `data` into one blob (the returned vector has [`BLOB_SIZE`] bytes).
///
/// Fails with [`BatchError::BlobDataTooLarge`] when `data` is longer than
/// [`MAX_BLOB_DATA_SIZE`].
pub fn encode_blob(data: &[u8]) -> Result<Vec<u8>, BatchError> {
    if data.len() > MAX_BLOB_DATA_SIZE {
        return Err(BatchError::BlobDataTooLarge { len: data.len() });
    }
    let mut blob = vec![0u8; BLOB_SIZE];
    if data.is_empty() {
        // Version 0, length 0: all zeros.
        return Ok(blob);
    }
    // The stream the rounds read: header ++ data, zero beyond its end.
    let len = data.len() as u32;
    let [_, l0, l1, l2] = len.to_be_bytes();
    let header = [BLOB_ENCODING_VERSION, l0, l1, l2];
    let stream_len = HEADER_LEN + data.len();
    let byte_at = |i: usize| -> u8 {
        if i < HEADER_LEN {
            header[i]
        } else {
            data.get(i - HEADER_LEN).copied().unwrap_or(0)
        }
    };
    let mut read = 0usize;
    for round in blob.chunks_exact_mut(4 * 32) {
        if read >= stream_len {
            break;
        }
        let mut firsts = [0u8; 4];
        let mut extra = [0u8; 3];
        for (element, fe) in round.chunks_exact_mut(32).enumerate() {
            for (offset, byte) in fe[1..].iter_mut().enumerate() {
                *byte = byte_at(read + offset);
            }
            read += 31;
            if element < 3 {
                extra[element] = byte_at(read);
                read += 1;
            }
        }
        let [x, y, z] = extra;
        firsts[0] = x & 0b0011_1111;
        firsts[1] = (y & 0b0000_1111) | ((x & HIGH_BITS) >> 2);
        firsts[2] = z & 0b0011_1111;
        firsts[3] = ((z & HIGH_BITS) >> 2) | ((y & 0b1111_0000) >> 4);
        for (fe, first) in round.chunks_exact_mut(32).zip(firsts) {
            fe[0] = first;
        }
    }
    Ok(blob)
}

/// Decodes the data of an OP-encoded blob.
///
/// `blob` must be exactly [`BLOB_SIZE`] bytes. Fails on a wrong size, a version other than 0,
/// a length over [`MAX_BLOB_DATA_SIZE`], a field element with a high bit set, or a non-zero
/// byte past the data.
pub fn decode_blob(blob: &[u8]) -> Result<Vec<u8>, BatchError> {
    if blob.len() != BLOB_SIZE {
        return Err(BatchError::BlobSize { len: blob.len() });
    }
    // The header sits in field element 0, bytes 1..5.
    if blob[1] != BLOB_ENCODING_VERSION {
        return Err(BatchError::UnknownBlobVersion(blob[1]));
    }
    let len = (usize::from(blob[2]) << 16) | (usize::from(blob[3]) << 8) | usize::from(blob[4]);
    if len > MAX_BLOB_DATA_SIZE {
        return Err(BatchError::BlobDataTooLarge { len });
    }
    // The stream is header ++ data; decode whole rounds until it is covered.
    let stream_len = HEADER_LEN + len;
    let rounds = stream_len.div_ceil(ROUND_DATA).max(1);
    let mut stream = Vec::with_capacity(rounds * ROUND_DATA);
    for (index, round) in blob.chunks_exact(4 * 32).take(rounds).enumerate() {
        let mut firsts = [0u8; 4];
        for (element, fe) in round.chunks_exact(32).enumerate() {
            if fe[0] & HIGH_BITS != 0 {
                return Err(BatchError::BlobFieldElementHighBits {
                    element: index * 4 + element,
                });
            }
            firsts[element] = fe[0];
        }
        let x = (firsts[0] & 0b0011_1111) | ((firsts[1] & 0b0011_0000) << 2);
        let y = (firsts[1] & 0b0000_1111) | ((firsts[3] & 0b0000_1111) << 4);
        let z = (firsts[2] & 0b0011_1111) | ((firsts[3] & 0b0011_0000) << 2);
        for (element, fe) in round.chunks_exact(32).enumerate() {
            stream.extend_from_slice(&fe[1..]);
            if let Some(extra) = [x, y, z].get(element) {
                stream.push(*extra);
            }
        }
    }
    // Past the data: zero in the decoded rounds and in every byte of the rest of the blob.
    if stream[stream_len..].iter().any(|b| *b != 0)
        || blob[rounds * 4 * 32..].iter().any(|b| *b != 0)
    {
        return Err(BatchError::BlobTrailingData);
    }
    stream.truncate(stream_len);
    stream.drain(..HEADER_LEN);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;
    use proptest::prelude::*;

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// A blob from its leading bytes, zero after.
    fn blob_with(prefix: &[u8]) -> Vec<u8> {
        let mut blob = vec![0u8; BLOB_SIZE];
        blob[..prefix.len()].copy_from_slice(prefix);
        blob
    }

    /// Known blobs and their data, from Nethermind's OP blob decoder tests
    /// (`Nethermind.Optimism.Test/CL/BlobDecoderTests.cs`), which follow op-service's encoding.
    #[test]
    fn known_vectors_decode_and_encode() {
        let text = b"this is a test of blob encoding/decoding";
        let vectors: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (
                hex(
                    "24000000287468697320697320612074657374206f6620626c6f6220656e636f\
                     10696e672f6465636f64696e67",
                ),
                text.to_vec(),
            ),
            (hex("000000000573686f7274"), b"short".to_vec()),
            (hex("00000000030001"), vec![0, 1, 0]),
            (Vec::new(), Vec::new()),
            (hex("0000000001"), vec![0]),
            (hex("000000001b"), vec![0; 27]),
            (hex("000001fbfc"), vec![0; MAX_BLOB_DATA_SIZE]),
            (
                hex(
                    "3f00000020ffffffffffffffffffffffffffffffffffffffffffffffffffffff\
                     30ffffffff",
                ),
                vec![0xff; 32],
            ),
        ];
        for (prefix, data) in vectors {
            let blob = blob_with(&prefix);
            assert_eq!(decode_blob(&blob).expect("decodes"), data);
            assert_eq!(encode_blob(&data).expect("encodes"), blob);
        }
    }

    #[test]
    fn malformed_blobs_are_typed_errors() {
        let valid = encode_blob(b"this is a test of invalid blob decoding").expect("encodes");
        let mut high = valid.clone();
        high[32] = 0b1000_0000;
        assert_eq!(
            decode_blob(&high),
            Err(BatchError::BlobFieldElementHighBits { element: 1 })
        );
        high[32] = 0b0100_0000;
        assert_eq!(
            decode_blob(&high),
            Err(BatchError::BlobFieldElementHighBits { element: 1 })
        );
        let mut version = valid.clone();
        version[1] = 1;
        assert_eq!(
            decode_blob(&version),
            Err(BatchError::UnknownBlobVersion(1))
        );
        let mut long = valid.clone();
        long[2] = 0xff;
        assert!(matches!(
            decode_blob(&long),
            Err(BatchError::BlobDataTooLarge { .. })
        ));
        let mut over = valid.clone();
        over[2..5].copy_from_slice(&[0x01, 0xfb, 0xfd]);
        assert_eq!(
            decode_blob(&over),
            Err(BatchError::BlobDataTooLarge { len: 130_045 })
        );
        let mut trailing_in_round = valid.clone();
        trailing_in_round[100] = 7;
        assert_eq!(
            decode_blob(&trailing_in_round),
            Err(BatchError::BlobTrailingData)
        );
        let mut trailing_far = valid.clone();
        trailing_far[BLOB_SIZE - 1] = 1;
        assert_eq!(
            decode_blob(&trailing_far),
            Err(BatchError::BlobTrailingData)
        );
        assert_eq!(
            decode_blob(&valid[1..]),
            Err(BatchError::BlobSize { len: BLOB_SIZE - 1 })
        );
        assert_eq!(
            encode_blob(&vec![1; MAX_BLOB_DATA_SIZE + 1]),
            Err(BatchError::BlobDataTooLarge {
                len: MAX_BLOB_DATA_SIZE + 1
            })
        );
    }

    #[test]
    fn full_blob_round_trips_and_keeps_every_field_element_canonical() {
        let data: Vec<u8> = (0..MAX_BLOB_DATA_SIZE)
            .map(|i| (i * 7 + 255) as u8)
            .collect();
        let blob = encode_blob(&data).expect("encodes");
        assert!(blob.chunks_exact(32).all(|fe| fe[0] & HIGH_BITS == 0));
        assert_eq!(decode_blob(&blob).expect("decodes"), data);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_data_round_trips(
            data in prop::collection::vec(any::<u8>(), 0..3000),
            pad in 0usize..(MAX_BLOB_DATA_SIZE - 3000),
            long in any::<bool>(),
        ) {
            // Short data, or data reaching far into the blob.
            let mut data = data;
            if long {
                data.resize(data.len() + pad, 0xa5);
            }
            let blob = encode_blob(&data).expect("fits");
            prop_assert_eq!(blob.len(), BLOB_SIZE);
            prop_assert!(blob.chunks_exact(32).all(|fe| fe[0] & HIGH_BITS == 0));
            prop_assert_eq!(decode_blob(&blob).expect("decodes"), data);
        }

        #[test]
        fn arbitrary_blobs_never_panic(
            head in prop::collection::vec(any::<u8>(), 0..600),
            len in prop::sample::select(vec![0usize, 1, 1000, BLOB_SIZE - 1, BLOB_SIZE, BLOB_SIZE + 1]),
            spots in prop::collection::vec((0..BLOB_SIZE, any::<u8>()), 0..8),
        ) {
            let mut blob = vec![0u8; len];
            let n = head.len().min(len);
            blob[..n].copy_from_slice(&head[..n]);
            for (at, byte) in spots {
                if at < blob.len() {
                    blob[at] = byte;
                }
            }
            if let Ok(data) = decode_blob(&blob) {
                // Whatever decodes is canonical: encoding it gives the blob back.
                prop_assert_eq!(encode_blob(&data).expect("fits"), blob);
            }
        }

        #[test]
        fn decodable_headers_with_random_rounds_never_panic(
            len in 0usize..=MAX_BLOB_DATA_SIZE,
            bytes in prop::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut blob = vec![0u8; BLOB_SIZE];
            blob[2..5].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
            for (i, b) in bytes.iter().enumerate() {
                blob[5 + i] = *b & 0x3f;
            }
            let _ = decode_blob(&blob);
        }
    }
}
