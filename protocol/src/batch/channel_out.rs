//! The batcher's side of a channel: add singular batches, brotli-compress them as they come,
//! close, and cut the compressed stream into frames (std only).

use std::io::Write as _;

use alloc::vec::Vec;

use super::{
    BatchError, ChannelId, Frame, MAX_RLP_BYTES_PER_CHANNEL, SingularBatch,
    compression::CHANNEL_VERSION_BROTLI, frame::max_data_per_frame,
};

/// Brotli quality the batcher uses unless told otherwise (OP's batcher default, "brotli-10").
pub const DEFAULT_BROTLI_QUALITY: u32 = 10;

/// Brotli window (log2 bytes) the batcher uses unless told otherwise.
pub const DEFAULT_BROTLI_WINDOW_BITS: u32 = 22;

/// Size of the compressor's internal buffer.
const COMPRESSOR_BUFFER: usize = 4096;

/// A channel being built by the batcher: `0x01 ++ brotli(rlp_string(batch) ++ ...)`.
///
/// Add batches with [`add_batch`](Self::add_batch), watch [`input_bytes`](Self::input_bytes) and
/// [`ready_bytes`](Self::ready_bytes), [`close`](Self::close) when full, and take frames with
/// [`output_frame`](Self::output_frame) (frames can be taken before closing, from the bytes the
/// compressor has already emitted).
pub struct ChannelOut {
    id: ChannelId,
    /// `None` once closed.
    compressor: Option<brotli::CompressorWriter<Vec<u8>>>,
    /// Compressed bytes not yet put in a frame.
    ready: Vec<u8>,
    /// Compressed bytes produced so far (version byte included).
    output_len: usize,
    rlp_len: usize,
    max_rlp_bytes: usize,
    next_frame: u32,
    last_frame_emitted: bool,
}

impl core::fmt::Debug for ChannelOut {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChannelOut")
            .field("id", &self.id)
            .field("closed", &self.is_closed())
            .field("input_bytes", &self.rlp_len)
            .field("ready_bytes", &self.ready.len())
            .field("next_frame", &self.next_frame)
            .finish()
    }
}

impl ChannelOut {
    /// An empty channel with the default compression and [`MAX_RLP_BYTES_PER_CHANNEL`].
    pub fn new(id: ChannelId) -> Self {
        Self::with_params(
            id,
            DEFAULT_BROTLI_QUALITY,
            DEFAULT_BROTLI_WINDOW_BITS,
            MAX_RLP_BYTES_PER_CHANNEL,
        )
    }

    /// An empty channel with the given brotli quality (0..=11), window bits (10..=24) and limit on
    /// uncompressed bytes (readers stop at [`MAX_RLP_BYTES_PER_CHANNEL`]; more is useless).
    pub fn with_params(
        id: ChannelId,
        quality: u32,
        window_bits: u32,
        max_rlp_bytes: usize,
    ) -> Self {
        Self {
            id,
            compressor: Some(brotli::CompressorWriter::new(
                Vec::new(),
                COMPRESSOR_BUFFER,
                quality,
                window_bits,
            )),
            ready: Vec::from([CHANNEL_VERSION_BROTLI]),
            output_len: 1,
            rlp_len: 0,
            max_rlp_bytes,
            next_frame: 0,
            last_frame_emitted: false,
        }
    }

    /// The channel id.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.compressor.is_none()
    }

    /// Uncompressed bytes added so far (the channel items).
    pub fn input_bytes(&self) -> usize {
        self.rlp_len
    }

    /// Compressed bytes emitted by the compressor and not yet put in a frame.
    pub fn ready_bytes(&self) -> usize {
        self.ready.len()
    }

    /// Compressed bytes emitted so far, framed or not (the compressor may hold more until
    /// [`flush`](Self::flush) or [`close`](Self::close)).
    pub fn output_bytes(&self) -> usize {
        self.output_len
    }

    /// Frames output so far.
    pub fn frames_output(&self) -> u32 {
        self.next_frame
    }

    /// Adds a batch, returning the uncompressed bytes it took. Fails on a closed channel or if
    /// the batch would take the channel past its uncompressed limit (then nothing is added).
    pub fn add_batch(&mut self, batch: &SingularBatch) -> Result<usize, BatchError> {
        let Some(compressor) = self.compressor.as_mut() else {
            return Err(BatchError::ChannelClosed);
        };
        let len = batch.channel_item_len();
        if self.rlp_len.saturating_add(len) > self.max_rlp_bytes {
            return Err(BatchError::ChannelFull {
                limit: self.max_rlp_bytes,
            });
        }
        let mut item = Vec::with_capacity(len);
        batch.encode_channel_item(&mut item);
        // Writing into a Vec cannot fail.
        let _ = compressor.write_all(&item);
        self.rlp_len += len;
        self.collect();
        Ok(len)
    }

    /// Makes the compressor emit everything added so far (costs a little compression ratio).
    pub fn flush(&mut self) {
        if let Some(compressor) = self.compressor.as_mut() {
            let _ = compressor.flush();
        }
        self.collect();
    }

    /// Ends the compressed stream; no batch can be added after this. Idempotent.
    pub fn close(&mut self) {
        if let Some(compressor) = self.compressor.take() {
            let rest = compressor.into_inner();
            self.output_len += rest.len();
            self.ready.extend_from_slice(&rest);
        }
    }

    /// Moves what the compressor emitted into `ready`.
    fn collect(&mut self) {
        if let Some(compressor) = self.compressor.as_mut() {
            let emitted = compressor.get_mut();
            self.output_len += emitted.len();
            self.ready.append(emitted);
        }
    }

    /// The next frame, at most `max_frame_size` bytes encoded, or `None` when there is nothing to
    /// put in one: the channel is open with no ready bytes, or its last frame was output.
    ///
    /// The frame is marked last when the channel is closed and the frame takes all that is left.
    pub fn output_frame(&mut self, max_frame_size: usize) -> Result<Option<Frame>, BatchError> {
        let max_data = max_data_per_frame(max_frame_size)?;
        if self.last_frame_emitted || (!self.is_closed() && self.ready.is_empty()) {
            return Ok(None);
        }
        let number = u16::try_from(self.next_frame).map_err(|_| BatchError::TooManyFrames)?;
        let take = self.ready.len().min(max_data);
        let is_last = self.is_closed() && take == self.ready.len();
        let data: Vec<u8> = self.ready.drain(..take).collect();
        self.next_frame += 1;
        self.last_frame_emitted = is_last;
        Ok(Some(Frame {
            id: self.id,
            number,
            data,
            is_last,
        }))
    }

    /// Closes the channel and returns all the frames not output yet.
    pub fn into_frames(mut self, max_frame_size: usize) -> Result<Vec<Frame>, BatchError> {
        self.close();
        let mut frames = Vec::new();
        while let Some(frame) = self.output_frame(max_frame_size)? {
            frames.push(frame);
        }
        Ok(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{ChannelReader, FRAME_OVERHEAD};
    use alloy_primitives::Bytes;

    fn batch(i: u64) -> SingularBatch {
        SingularBatch {
            timestamp: 1_000 + i,
            epoch_num: i / 3,
            transactions: vec![Bytes::from(vec![2u8; (i as usize % 50) + 1])],
            ..Default::default()
        }
    }

    #[test]
    fn batches_come_back_from_the_frames() {
        let mut out = ChannelOut::new(ChannelId([5; 16]));
        for i in 0..40 {
            out.add_batch(&batch(i)).expect("fits");
        }
        assert!(out.input_bytes() > 0);
        let frames = out.into_frames(FRAME_OVERHEAD + 64).expect("frames");
        assert!(frames.len() > 1);
        assert!(
            frames
                .iter()
                .all(|f| f.encoded_len() <= FRAME_OVERHEAD + 64)
        );
        assert!(frames.last().is_some_and(|f| f.is_last));
        let channel: Vec<u8> = frames.iter().flat_map(|f| f.data.clone()).collect();
        let read: Vec<_> = ChannelReader::new(&channel, MAX_RLP_BYTES_PER_CHANNEL)
            .expect("brotli channel")
            .collect::<Result<_, _>>()
            .expect("all batches decode");
        assert_eq!(read, (0..40).map(batch).collect::<Vec<_>>());
    }

    #[test]
    fn frames_can_be_taken_before_closing() {
        let mut out = ChannelOut::new(ChannelId([6; 16]));
        out.add_batch(&batch(1)).expect("fits");
        out.flush();
        assert!(out.ready_bytes() > 1);
        let first = out
            .output_frame(1000)
            .expect("size ok")
            .expect("ready bytes");
        assert!(!first.is_last);
        assert_eq!(out.output_frame(1000), Ok(None));
        out.add_batch(&batch(2)).expect("fits");
        out.close();
        assert_eq!(out.add_batch(&batch(3)), Err(BatchError::ChannelClosed));
        let rest = out.into_frames(1000).expect("frames");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].number, 1);
        assert!(rest[0].is_last);
        let channel: Vec<u8> = first.data.iter().chain(&rest[0].data).copied().collect();
        let read: Vec<_> = ChannelReader::new(&channel, 1 << 20)
            .expect("channel")
            .collect();
        assert_eq!(read, vec![Ok(batch(1)), Ok(batch(2))]);
    }

    #[test]
    fn the_uncompressed_limit_is_enforced() {
        let item = batch(7).channel_item_len();
        let mut out = ChannelOut::with_params(ChannelId::default(), 5, 16, 2 * item);
        assert_eq!(out.add_batch(&batch(7)), Ok(item));
        assert_eq!(out.add_batch(&batch(7)), Ok(item));
        assert_eq!(
            out.add_batch(&batch(7)),
            Err(BatchError::ChannelFull { limit: 2 * item })
        );
        assert_eq!(out.input_bytes(), 2 * item);
        assert_eq!(
            out.output_frame(FRAME_OVERHEAD),
            Err(BatchError::FrameSizeTooSmall(FRAME_OVERHEAD))
        );
    }
}
