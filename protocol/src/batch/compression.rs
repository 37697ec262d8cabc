//! Channel compression: zlib (Bedrock) or `0x01 ++ brotli` (Fjord), decompressed as a stream so
//! that a reader pulls only as many bytes as it asks for.
//!
//! Detection is OP's: a first byte whose low nibble is 8 or 15 is a zlib header (CM field);
//! otherwise the byte is a channel version, and only 1 (brotli) exists. Brotli is decoded with the
//! RFC 7932 window (at most 16 MiB), never the large-window extension.

use alloc::{boxed::Box, vec, vec::Vec};
use core::marker::PhantomData;

use brotli_decompressor::{
    Allocator, BrotliDecompressStream, BrotliResult, BrotliState, HuffmanCode, SliceWrapper,
    SliceWrapperMut,
};
use miniz_oxide::{
    DataFormat, MZError, MZFlush, MZStatus,
    inflate::stream::{InflateState, inflate},
};

use super::BatchError;

/// The channel version byte of brotli-compressed channels.
pub const CHANNEL_VERSION_BROTLI: u8 = 1;

/// How a channel is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressionAlgo {
    /// RFC 1950 zlib, no version byte.
    Zlib,
    /// Version byte 1, then RFC 7932 brotli.
    Brotli,
}

/// Tells the compression of a channel from its first byte.
pub fn detect_compression(channel: &[u8]) -> Result<CompressionAlgo, BatchError> {
    match channel.first() {
        None => Err(BatchError::EmptyChannel),
        Some(byte) if matches!(byte & 0x0f, 8 | 15) => Ok(CompressionAlgo::Zlib),
        Some(&CHANNEL_VERSION_BROTLI) => Ok(CompressionAlgo::Brotli),
        Some(byte) => Err(BatchError::UnknownCompression(*byte)),
    }
}

/// Decompresses a whole channel, failing with [`BatchError::ChannelTooLarge`] rather than
/// producing more than `max_len` bytes.
///
/// Derivation reads channels with [`ChannelReader`](super::ChannelReader), which streams; this is
/// for tools and tests.
pub fn decompress_channel(channel: &[u8], max_len: usize) -> Result<Vec<u8>, BatchError> {
    let mut decompressor = Decompressor::new(channel)?;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // Ask for one byte past the limit to tell "exactly max_len" from "more".
        let want = chunk.len().min(max_len.saturating_add(1) - out.len());
        let n = decompressor.read(&mut chunk[..want])?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
        if out.len() > max_len {
            return Err(BatchError::ChannelTooLarge { limit: max_len });
        }
    }
}

/// Compresses channel items (RLP-encoded batches) into a brotli channel: `0x01 ++ brotli(items)`.
///
/// `quality` is 0..=11, `window_bits` 10..=24.
#[cfg(feature = "std")]
pub fn compress_brotli(items: &[u8], quality: u32, window_bits: u32) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer =
        brotli::CompressorWriter::new(vec![CHANNEL_VERSION_BROTLI], 4096, quality, window_bits);
    // Writing into a Vec cannot fail.
    let _ = writer.write_all(items);
    writer.into_inner()
}

/// A brotli allocator over the global heap (the crate is `no_std` + `alloc`).
#[derive(Default)]
struct HeapAlloc<T>(PhantomData<T>);

/// Memory handed out by [`HeapAlloc`].
struct HeapSlice<T>(Box<[T]>);

impl<T> Default for HeapSlice<T> {
    fn default() -> Self {
        Self(Box::default())
    }
}

impl<T> SliceWrapper<T> for HeapSlice<T> {
    fn slice(&self) -> &[T] {
        &self.0
    }
}

impl<T> SliceWrapperMut<T> for HeapSlice<T> {
    fn slice_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: Clone + Default> Allocator<T> for HeapAlloc<T> {
    type AllocatedMemory = HeapSlice<T>;

    fn alloc_cell(&mut self, len: usize) -> HeapSlice<T> {
        HeapSlice(vec![T::default(); len].into_boxed_slice())
    }

    fn free_cell(&mut self, _data: HeapSlice<T>) {}
}

type BrotliDecoder = BrotliState<HeapAlloc<u8>, HeapAlloc<u32>, HeapAlloc<HuffmanCode>>;

enum Inner {
    Zlib(Box<InflateState>),
    Brotli(Box<BrotliDecoder>),
}

/// A pull decompressor over a whole compressed channel.
pub(super) struct Decompressor<'a> {
    input: &'a [u8],
    /// Bytes of `input` consumed so far.
    offset: usize,
    inner: Inner,
    finished: bool,
}

impl core::fmt::Debug for Decompressor<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decompressor")
            .field("algo", &self.algo())
            .field("offset", &self.offset)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<'a> Decompressor<'a> {
    /// Detects the compression of `channel` and prepares to decompress it.
    pub(super) fn new(channel: &'a [u8]) -> Result<Self, BatchError> {
        let (inner, offset) = match detect_compression(channel)? {
            CompressionAlgo::Zlib => (Inner::Zlib(InflateState::new_boxed(DataFormat::Zlib)), 0),
            CompressionAlgo::Brotli => (
                Inner::Brotli(Box::new(BrotliState::new_strict(
                    HeapAlloc::default(),
                    HeapAlloc::default(),
                    HeapAlloc::default(),
                ))),
                1,
            ),
        };
        Ok(Self {
            input: channel,
            offset,
            inner,
            finished: false,
        })
    }

    /// The channel's compression.
    pub(super) fn algo(&self) -> CompressionAlgo {
        match self.inner {
            Inner::Zlib(_) => CompressionAlgo::Zlib,
            Inner::Brotli(_) => CompressionAlgo::Brotli,
        }
    }

    /// Decompresses into `out`, returning how many bytes were written; 0 means the compressed
    /// stream has ended (or `out` is empty). A stream that stops before its end marker is
    /// [`BatchError::TruncatedChannel`].
    pub(super) fn read(&mut self, out: &mut [u8]) -> Result<usize, BatchError> {
        if self.finished || out.is_empty() {
            return Ok(0);
        }
        match &mut self.inner {
            Inner::Zlib(state) => loop {
                let input = self.input.get(self.offset..).unwrap_or_default();
                let result = inflate(state, input, out, MZFlush::None);
                self.offset += result.bytes_consumed;
                match result.status {
                    Ok(MZStatus::StreamEnd) => {
                        self.finished = true;
                        return Ok(result.bytes_written);
                    }
                    _ if result.bytes_written > 0 => return Ok(result.bytes_written),
                    Ok(_) if result.bytes_consumed > 0 => continue,
                    // No progress: the input ran out before the end of the stream.
                    Ok(_) | Err(MZError::Buf) => return Err(BatchError::TruncatedChannel),
                    Err(_) => return Err(BatchError::Zlib),
                }
            },
            Inner::Brotli(state) => {
                let mut available_in = self.input.len().saturating_sub(self.offset);
                let mut available_out = out.len();
                let mut out_offset = 0;
                let mut total_out = 0;
                let result = BrotliDecompressStream(
                    &mut available_in,
                    &mut self.offset,
                    self.input,
                    &mut available_out,
                    &mut out_offset,
                    out,
                    &mut total_out,
                    state,
                );
                match result {
                    BrotliResult::ResultSuccess => {
                        self.finished = true;
                        Ok(out_offset)
                    }
                    BrotliResult::NeedsMoreOutput => Ok(out_offset),
                    BrotliResult::NeedsMoreInput if out_offset > 0 => Ok(out_offset),
                    BrotliResult::NeedsMoreInput => Err(BatchError::TruncatedChannel),
                    BrotliResult::ResultFailure => Err(BatchError::Brotli),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::compress_to_vec_zlib;

    #[test]
    fn detects_zlib_by_low_nibble_and_brotli_by_version() {
        assert_eq!(detect_compression(&[0x78, 0x9c]), Ok(CompressionAlgo::Zlib));
        assert_eq!(detect_compression(&[0x78, 0xda]), Ok(CompressionAlgo::Zlib));
        assert_eq!(detect_compression(&[0x0f]), Ok(CompressionAlgo::Zlib));
        assert_eq!(
            detect_compression(&[0x01, 0x00]),
            Ok(CompressionAlgo::Brotli)
        );
        assert_eq!(
            detect_compression(&[0x02]),
            Err(BatchError::UnknownCompression(2))
        );
        assert_eq!(
            detect_compression(&[0x00]),
            Err(BatchError::UnknownCompression(0))
        );
        assert_eq!(detect_compression(&[]), Err(BatchError::EmptyChannel));
    }

    #[test]
    fn zlib_round_trips_and_truncation_is_an_error() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_be_bytes())
            .collect();
        let compressed = compress_to_vec_zlib(&data, 6);
        assert_eq!(
            decompress_channel(&compressed, data.len()),
            Ok(data.clone())
        );
        assert_eq!(
            decompress_channel(&compressed, data.len() - 1),
            Err(BatchError::ChannelTooLarge {
                limit: data.len() - 1
            })
        );
        let cut = &compressed[..compressed.len() / 2];
        assert_eq!(
            decompress_channel(cut, usize::MAX - 1),
            Err(BatchError::TruncatedChannel)
        );
    }

    #[test]
    fn brotli_round_trips_and_corruption_is_an_error() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 253).to_le_bytes())
            .collect();
        let compressed = compress_brotli(&data, 6, 22);
        assert_eq!(compressed[0], CHANNEL_VERSION_BROTLI);
        assert_eq!(
            decompress_channel(&compressed, data.len()),
            Ok(data.clone())
        );
        let cut = &compressed[..compressed.len() - 3];
        assert_eq!(
            decompress_channel(cut, usize::MAX - 1),
            Err(BatchError::TruncatedChannel)
        );
        // A version byte followed by bytes that are not brotli.
        assert!(decompress_channel(&[1, 0xff, 0xff, 0xff, 0xff], 1 << 20).is_err());
    }
}
