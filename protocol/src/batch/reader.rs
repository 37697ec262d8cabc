//! Reading the batches of a complete channel one by one, decompressing only as far as needed.
//!
//! The decompressed stream is a sequence of RLP strings, each wrapping one typed batch. As in OP,
//! the reader stops at the first error (a corrupt stream, a malformed item, a batch that cannot be
//! decoded): derivation keeps the batches read before it and drops the rest of the channel. Only
//! batches that end within the first `max_rlp_bytes` decompressed bytes are read, so a small
//! compressed "bomb" costs at most that much decompression and never that much memory at once:
//! the reader holds one batch plus a decompression chunk.

use alloc::vec::Vec;

use super::{
    BatchError, SingularBatch,
    compression::{CompressionAlgo, Decompressor},
    decode_batch,
};

/// Bytes decompressed per pull when the next batch needs more.
const CHUNK: usize = 32 * 1024;

/// Reads the batches of one channel (as [`ChannelAssembler`](super::ChannelAssembler) hands it
/// out) in order; an [`Iterator`] of `Result<SingularBatch, BatchError>` that ends after the last
/// batch or after the first error.
#[derive(Debug)]
pub struct ChannelReader<'a> {
    decompressor: Decompressor<'a>,
    /// Decompressed bytes not yet consumed start at `buf[start]`.
    buf: Vec<u8>,
    start: usize,
    /// Decompressed bytes produced so far.
    produced: usize,
    /// Decompressed bytes taken by the batches read so far.
    consumed: usize,
    max_rlp_bytes: usize,
    done: bool,
}

impl<'a> ChannelReader<'a> {
    /// A reader over `channel` (compressed, with its version byte) that reads no batch ending past
    /// `max_rlp_bytes` decompressed bytes ([`MAX_RLP_BYTES_PER_CHANNEL`] in derivation).
    ///
    /// Fails only if the channel is empty or its first byte names no known compression.
    ///
    /// [`MAX_RLP_BYTES_PER_CHANNEL`]: super::MAX_RLP_BYTES_PER_CHANNEL
    pub fn new(channel: &'a [u8], max_rlp_bytes: usize) -> Result<Self, BatchError> {
        Ok(Self {
            decompressor: Decompressor::new(channel)?,
            buf: Vec::new(),
            start: 0,
            produced: 0,
            consumed: 0,
            max_rlp_bytes,
            done: false,
        })
    }

    /// The channel's compression.
    pub fn compression(&self) -> CompressionAlgo {
        self.decompressor.algo()
    }

    /// Decompressed bytes taken by the batches read so far.
    pub fn bytes_read(&self) -> usize {
        self.consumed
    }

    /// The next batch; `None` once the channel is exhausted or after an error.
    pub fn next_batch(&mut self) -> Option<Result<SingularBatch, BatchError>> {
        if self.done {
            return None;
        }
        let next = self.read_item();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
            self.buf = Vec::new();
        }
        next
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Decompresses until `need` unconsumed bytes are buffered; `false` if the stream ends first.
    /// Never produces more than `max_rlp_bytes + 1` bytes in total.
    fn fill(&mut self, need: usize) -> Result<bool, BatchError> {
        if self.start > CHUNK && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        while self.available().len() < need {
            let room = self.max_rlp_bytes.saturating_add(1) - self.produced;
            let want = CHUNK.max(need - self.available().len()).min(room);
            if want == 0 {
                return Err(BatchError::ChannelTooLarge {
                    limit: self.max_rlp_bytes,
                });
            }
            let len = self.buf.len();
            self.buf.resize(len + want, 0);
            let read = self.decompressor.read(&mut self.buf[len..]);
            let n = match read {
                Ok(n) => n,
                Err(err) => {
                    self.buf.truncate(len);
                    return Err(err);
                }
            };
            self.buf.truncate(len + n);
            self.produced += n;
            if n == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn read_item(&mut self) -> Option<Result<SingularBatch, BatchError>> {
        match self.fill(1) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(err) => return Some(Err(err)),
        }
        Some(self.read_present_item())
    }

    /// Reads the item that starts at `available()[0]`.
    fn read_present_item(&mut self) -> Result<SingularBatch, BatchError> {
        let too_large = BatchError::ChannelTooLarge {
            limit: self.max_rlp_bytes,
        };
        let (header_len, payload_len) = self.item_header()?;
        let item_len = header_len
            .checked_add(payload_len)
            .filter(|len| self.consumed.saturating_add(*len) <= self.max_rlp_bytes)
            .ok_or(too_large)?;
        if !self.fill(item_len)? {
            return Err(BatchError::TruncatedChannel);
        }
        let payload = &self.available()[header_len..item_len];
        let batch = if payload_len == 1 && header_len == 1 && payload[0] < 0x80 {
            Err(alloy_rlp::Error::NonCanonicalSingleByte.into())
        } else {
            decode_batch(payload)
        };
        self.start += item_len;
        self.consumed += item_len;
        batch
    }

    /// Reads the RLP string header at `available()[0]` (decompressing as far as it reaches),
    /// returning its length and the payload length it declares. Canonical as geth requires.
    fn item_header(&mut self) -> Result<(usize, usize), BatchError> {
        let first = self.available()[0];
        let len_of_len = match first {
            // A single byte below 0x80 is its own payload: the header takes no bytes.
            0x00..=0x7f => return Ok((0, 1)),
            0x80..=0xb7 => return Ok((1, usize::from(first - 0x80))),
            0xb8..=0xbf => usize::from(first - 0xb7),
            0xc0..=0xff => return Err(BatchError::BatchNotString),
        };
        let header_len = 1 + len_of_len;
        if self.consumed + header_len > self.max_rlp_bytes {
            return Err(BatchError::ChannelTooLarge {
                limit: self.max_rlp_bytes,
            });
        }
        if !self.fill(header_len)? {
            return Err(BatchError::TruncatedChannel);
        }
        let len_bytes = &self.available()[1..header_len];
        if len_bytes[0] == 0 {
            return Err(alloy_rlp::Error::LeadingZero.into());
        }
        let payload_len = len_bytes
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        if payload_len < 56 {
            return Err(alloy_rlp::Error::NonCanonicalSize.into());
        }
        // Lengths past usize are past any limit too.
        let payload_len = usize::try_from(payload_len).unwrap_or(usize::MAX);
        Ok((header_len, payload_len))
    }
}

impl Iterator for ChannelReader<'_> {
    type Item = Result<SingularBatch, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::compress_to_vec_zlib;

    #[test]
    fn decompression_stops_one_byte_past_the_cap() {
        let one = SingularBatch {
            timestamp: 7,
            ..Default::default()
        };
        let mut raw = Vec::new();
        for _ in 0..20_000 {
            one.encode_channel_item(&mut raw);
        }
        let channel = compress_to_vec_zlib(&raw, 6);
        let cap = 10_000;
        let mut reader = ChannelReader::new(&channel, cap).expect("zlib");
        let read = reader.by_ref().count();
        assert_eq!(read, cap / one.channel_item_len() + 1);
        assert!(reader.produced <= cap + 1, "produced {}", reader.produced);
        assert!(raw.len() > 100 * cap);
    }
}
