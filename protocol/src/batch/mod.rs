//! The batch codec: how L2 blocks travel to L1 and back (OP Stack wire formats).
//!
//! ```text
//! batcher tx calldata = 0x00 ++ frame ++ frame ++ ...                      (frame.rs)
//!            or a blob = OP blob encoding of (0x00 ++ frame ++ ...)         (blob.rs)
//! frame   = channel_id(16) ++ frame_number(u16 BE) ++ len(u32 BE) ++ data ++ is_last(0|1)
//! channel = concatenated frame data of frames 0..=last of one channel id  (assembler.rs)
//!         = zlib(items) | 0x01 ++ brotli(items)                           (compression.rs)
//! items   = rlp_string(batch) ++ rlp_string(batch) ++ ...                  (reader.rs)
//! batch   = 0x00 ++ rlp([parent_hash, epoch_num, epoch_hash, timestamp, [tx, ...]])
//!                                                                         (singular.rs)
//! ```
//!
//! Derivation drives [`ChannelAssembler`] with the batcher transactions of each L1 block and
//! reads the batches of every channel it completes with [`ChannelReader`]. The batcher (std)
//! builds channels with [`ChannelOut`] and posts [`batcher_tx_data`] of each frame.
//!
//! Limits, each chosen so that hostile L1 data cannot make a decoder allocate without bound:
//! - [`MAX_FRAME_LEN`]: frame data length (OP's `MaxFrameLen`).
//! - [`MAX_RLP_BYTES_PER_CHANNEL`]: decompressed bytes read from one channel, and the compressed
//!   size of a channel being assembled (OP's Fjord value, as Holocene uses it for both).
//! - [`MAX_BATCH_TRANSACTIONS`]: transactions in one singular batch (Sprout's own bound).
//!
//! Span batches (version 1) are recognised and rejected with
//! [`BatchError::SpanBatchNotSupported`].

mod assembler;
mod blob;
#[cfg(feature = "std")]
mod channel_out;
mod compression;
mod error;
mod frame;
mod reader;
mod singular;

#[cfg(all(test, feature = "std"))]
mod tests;

use core::fmt;

pub use assembler::{ChannelAssembler, FrameOutcome, ReadyChannel, prune_frames};
pub use blob::{
    BLOB_ENCODING_VERSION, BLOB_SIZE, FIELD_ELEMENTS_PER_BLOB, MAX_BLOB_DATA_SIZE, decode_blob,
    encode_blob,
};
#[cfg(feature = "std")]
pub use channel_out::{ChannelOut, DEFAULT_BROTLI_QUALITY, DEFAULT_BROTLI_WINDOW_BITS};
#[cfg(feature = "std")]
pub use compression::compress_brotli;
pub use compression::{
    CHANNEL_VERSION_BROTLI, CompressionAlgo, decompress_channel, detect_compression,
};
pub use error::BatchError;
pub use frame::{
    DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame, batcher_tx_data, parse_frames, split_into_frames,
};
pub use reader::ChannelReader;
pub use singular::{SINGULAR_BATCH_VERSION, SPAN_BATCH_VERSION, SingularBatch, decode_batch};

/// Largest `frame_data_length` a frame may declare (OP's `MaxFrameLen`, 1 MB).
pub const MAX_FRAME_LEN: usize = 1_000_000;

/// Most decompressed bytes read from one channel, and most compressed bytes (with
/// [`ASSEMBLER_FRAME_OVERHEAD`] per frame) a channel may reach while being assembled.
///
/// OP's `MAX_RLP_BYTES_PER_CHANNEL` since Fjord (Bedrock had 10,000,000). Sprout runs the
/// post-Fjord rules from genesis, so it takes the Fjord value: a channel of up to 100 MB of
/// batches. The channel reader streams: it holds one batch at a time, never the whole channel,
/// so the bound is on work, and on memory only for a single batch that large.
pub const MAX_RLP_BYTES_PER_CHANNEL: usize = 100_000_000;

/// OP's pre-Fjord `MAX_RLP_BYTES_PER_CHANNEL`, for readers that want the tighter bound.
pub const MAX_RLP_BYTES_PER_CHANNEL_BEDROCK: usize = 10_000_000;

/// Bytes counted per frame, on top of its data, when sizing a channel being assembled (OP's
/// channel-bank frame overhead).
pub const ASSEMBLER_FRAME_OVERHEAD: usize = 200;

/// Most transactions one singular batch may list.
///
/// OP has no such bound for singular batches, but a batch with more transactions than fit in an
/// L2 block's gas (200M gas / 21,000 gas per tx < 10,000) can never become a valid block. The
/// bound keeps a hostile batch of one-byte items from costing a pointer-sized handle per byte.
/// A batch over it is malformed ([`BatchError::TooManyTransactions`]).
pub const MAX_BATCH_TRANSACTIONS: usize = 1_000_000;

/// Length of a channel id.
pub const CHANNEL_ID_LEN: usize = 16;

/// Identifies a channel; chosen at random by the batcher.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub [u8; CHANNEL_ID_LEN]);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId({self})")
    }
}

impl From<[u8; CHANNEL_ID_LEN]> for ChannelId {
    fn from(bytes: [u8; CHANNEL_ID_LEN]) -> Self {
        Self(bytes)
    }
}
