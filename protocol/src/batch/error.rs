//! Why batcher data (frames, channels, batches) was rejected, typed by cause.

/// Everything the batch codec can reject or fail at.
///
/// Decoding errors say what was wrong with L1 data; derivation drops that data (a batcher tx,
/// the rest of a channel, a batch) and carries on. Encoding errors are the batcher's mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    // --- batcher transactions and frames ---
    /// The batcher transaction has no data at all.
    #[error("batcher transaction data is empty")]
    EmptyBatcherTx,
    /// The batcher transaction's version byte is not 0 (frames).
    #[error("unknown batcher transaction version {0}")]
    UnknownTxVersion(u8),
    /// The batcher transaction holds a version byte and no frame.
    #[error("batcher transaction holds no frame")]
    NoFrames,
    /// A frame ends before its fixed fields or its declared data do.
    #[error("frame {index} is truncated")]
    TruncatedFrame {
        /// Index of the frame within its transaction.
        index: usize,
    },
    /// A frame declares more data than [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN).
    #[error("frame {index} declares {len} data bytes, more than the maximum 1000000")]
    FrameTooLarge {
        /// Index of the frame within its transaction.
        index: usize,
        /// The declared length.
        len: u32,
    },
    /// A frame's `is_last` byte is neither 0 nor 1.
    #[error("frame {index} has is_last byte {byte:#x}")]
    InvalidIsLast {
        /// Index of the frame within its transaction.
        index: usize,
        /// The byte found.
        byte: u8,
    },

    // --- blobs (see `blob.rs`) ---
    /// A blob that is not 131,072 bytes.
    #[error("blob has {len} bytes, not 131072")]
    BlobSize {
        /// Its length.
        len: usize,
    },
    /// The blob encoding version (byte 1) is not 0.
    #[error("unknown blob encoding version {0}")]
    UnknownBlobVersion(u8),
    /// The blob declares, or the batcher tried to encode, more data than a blob holds.
    #[error("blob data length {len} exceeds the maximum 130044")]
    BlobDataTooLarge {
        /// The declared or given length.
        len: usize,
    },
    /// A field element's first byte uses one of the top 2 bits, which the encoding leaves clear.
    #[error("blob field element {element} has a high bit set")]
    BlobFieldElementHighBits {
        /// Index of the field element.
        element: usize,
    },
    /// A byte past the blob's declared data is not zero.
    #[error("blob has non-zero bytes past its data")]
    BlobTrailingData,

    // --- channels ---
    /// The channel has no bytes.
    #[error("channel is empty")]
    EmptyChannel,
    /// The channel's first byte names neither zlib nor a known channel version.
    #[error("unknown channel compression (first byte {0:#x})")]
    UnknownCompression(u8),
    /// The zlib stream is corrupt.
    #[error("zlib stream is corrupt")]
    Zlib,
    /// The brotli stream is corrupt.
    #[error("brotli stream is corrupt")]
    Brotli,
    /// The compressed stream ends before it says it does, or in the middle of a batch.
    #[error("channel data ends in the middle of a batch")]
    TruncatedChannel,
    /// Reading the next batch would go past the channel's decompressed-size limit.
    #[error("channel exceeds {limit} decompressed bytes")]
    ChannelTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// An item of the decompressed channel is an RLP list, not a string wrapping a batch.
    #[error("channel item is not an rlp string")]
    BatchNotString,

    // --- batches ---
    /// A batch's RLP is malformed.
    #[error("malformed batch rlp: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// A batch has no bytes (not even a version).
    #[error("batch is empty")]
    EmptyBatch,
    /// A span batch (version 1): Sprout reads singular batches only.
    #[error("span batches not supported")]
    SpanBatchNotSupported,
    /// A batch version that is neither singular (0) nor span (1).
    #[error("unknown batch version {0}")]
    UnknownBatchVersion(u8),
    /// A batch lists more transactions than [`MAX_BATCH_TRANSACTIONS`](super::MAX_BATCH_TRANSACTIONS).
    #[error("batch lists more than {limit} transactions")]
    TooManyTransactions {
        /// The limit in force.
        limit: usize,
    },
    /// A transaction in a batch has no bytes.
    #[error("transaction {index} of the batch is empty")]
    EmptyTransaction {
        /// Index within the batch.
        index: usize,
    },
    /// A batch carries a deposit transaction (type `0x7E`); deposits come from L1 logs only.
    #[error("transaction {index} of the batch is a deposit")]
    DepositInBatch {
        /// Index within the batch.
        index: usize,
    },

    // --- encoding (batcher) ---
    /// The channel was already closed.
    #[error("channel is closed")]
    ChannelClosed,
    /// Adding the batch would take the channel past its RLP byte limit.
    #[error("channel would exceed {limit} rlp bytes")]
    ChannelFull {
        /// The limit in force.
        limit: usize,
    },
    /// A frame size that cannot hold the 23-byte frame header plus one data byte.
    #[error("max frame size {0} is too small")]
    FrameSizeTooSmall(usize),
    /// A channel that needs more frames than a `u16` frame number can count.
    #[error("channel needs more than 65536 frames")]
    TooManyFrames,
}
