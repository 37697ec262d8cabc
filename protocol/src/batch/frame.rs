//! Frames and batcher transactions: `0x00 ++ frame ++ ...`, each frame
//! `channel_id(16) ++ frame_number(u16 BE) ++ frame_data_length(u32 BE) ++ frame_data ++ is_last`.

use alloc::vec::Vec;

use super::{BatchError, CHANNEL_ID_LEN, ChannelId, MAX_FRAME_LEN};

/// The batcher transaction version that carries frames.
pub const DERIVATION_VERSION_0: u8 = 0;

/// Bytes of a frame besides its data: id (16) + number (2) + length (4) + is_last (1).
pub const FRAME_OVERHEAD: usize = CHANNEL_ID_LEN + 2 + 4 + 1;

/// A piece of a channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// The channel this frame belongs to.
    pub id: ChannelId,
    /// Index of the frame within its channel.
    pub number: u16,
    /// The channel bytes it carries.
    pub data: Vec<u8>,
    /// Whether this frame closes the channel.
    pub is_last: bool,
}

impl Frame {
    /// Length of the encoded frame.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }

    /// Appends the encoded frame to `out`.
    ///
    /// The batcher keeps `data` within [`MAX_FRAME_LEN`]; a longer frame encodes but no reader
    /// will accept it.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.id.0);
        out.extend_from_slice(&self.number.to_be_bytes());
        // Frames longer than u32::MAX cannot be built from a channel of MAX_RLP_BYTES_PER_CHANNEL;
        // saturating keeps the encoding total (and unreadable) instead of wrapping.
        let len = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.is_last));
    }

    /// The encoded frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Decodes one frame from the front of `buf`, advancing it past the frame.
    ///
    /// `index` (the frame's position in its transaction) only labels errors.
    pub fn decode(buf: &mut &[u8], index: usize) -> Result<Self, BatchError> {
        let truncated = BatchError::TruncatedFrame { index };
        let (id, rest) = buf.split_first_chunk::<CHANNEL_ID_LEN>().ok_or(truncated)?;
        let (number, rest) = rest.split_first_chunk::<2>().ok_or(truncated)?;
        let (len, rest) = rest.split_first_chunk::<4>().ok_or(truncated)?;
        let len = u32::from_be_bytes(*len);
        if len as usize > MAX_FRAME_LEN {
            return Err(BatchError::FrameTooLarge { index, len });
        }
        if rest.len() < len as usize {
            return Err(truncated);
        }
        let (data, rest) = rest.split_at(len as usize);
        let (is_last, rest) = rest.split_first().ok_or(truncated)?;
        let is_last = match is_last {
            0 => false,
            1 => true,
            byte => {
                return Err(BatchError::InvalidIsLast { index, byte: *byte });
            }
        };
        *buf = rest;
        Ok(Self {
            id: ChannelId(*id),
            number: u16::from_be_bytes(*number),
            data: data.to_vec(),
            is_last,
        })
    }
}

/// Parses the data of a batcher transaction into its frames.
///
/// As in OP: the version byte must be 0, the rest must be one or more whole frames with nothing
/// left over, and any malformed frame rejects the whole transaction (no frame is returned).
pub fn parse_frames(data: &[u8]) -> Result<Vec<Frame>, BatchError> {
    let (version, mut rest) = data.split_first().ok_or(BatchError::EmptyBatcherTx)?;
    if *version != DERIVATION_VERSION_0 {
        return Err(BatchError::UnknownTxVersion(*version));
    }
    if rest.is_empty() {
        return Err(BatchError::NoFrames);
    }
    let mut frames = Vec::new();
    while !rest.is_empty() {
        frames.push(Frame::decode(&mut rest, frames.len())?);
    }
    Ok(frames)
}

/// The calldata of a batcher transaction carrying `frames`: `0x00 ++ frame ++ ...`.
pub fn batcher_tx_data<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Vec<u8> {
    let mut out = Vec::from([DERIVATION_VERSION_0]);
    for frame in frames {
        frame.encode_into(&mut out);
    }
    out
}

/// Splits a whole channel's bytes into frames whose encoding is at most `max_frame_size` bytes
/// (header included), the last one marked `is_last`. An empty channel gives one empty last frame.
pub fn split_into_frames(
    id: ChannelId,
    channel: &[u8],
    max_frame_size: usize,
) -> Result<Vec<Frame>, BatchError> {
    let max_data = max_data_per_frame(max_frame_size)?;
    let count = channel.len().div_ceil(max_data).max(1);
    if count > usize::from(u16::MAX) + 1 {
        return Err(BatchError::TooManyFrames);
    }
    let mut frames: Vec<Frame> = channel
        .chunks(max_data)
        .zip(0u16..)
        .map(|(data, number)| Frame {
            id,
            number,
            data: data.to_vec(),
            is_last: false,
        })
        .collect();
    match frames.last_mut() {
        Some(last) => last.is_last = true,
        None => frames.push(Frame {
            id,
            number: 0,
            data: Vec::new(),
            is_last: true,
        }),
    }
    Ok(frames)
}

/// Data bytes a frame of `max_frame_size` encoded bytes can carry (at least one, at most
/// [`MAX_FRAME_LEN`]).
pub(super) fn max_data_per_frame(max_frame_size: usize) -> Result<usize, BatchError> {
    match max_frame_size.checked_sub(FRAME_OVERHEAD) {
        Some(data) if data > 0 => Ok(data.min(MAX_FRAME_LEN)),
        _ => Err(BatchError::FrameSizeTooSmall(max_frame_size)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: u8, number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame {
            id: ChannelId([id; 16]),
            number,
            data: data.to_vec(),
            is_last,
        }
    }

    #[test]
    fn frame_layout_is_ops() {
        let f = frame(0xab, 0x0102, b"hello", true);
        let mut expected = [0xab; 16].to_vec();
        expected.extend_from_slice(&[0x01, 0x02, 0, 0, 0, 5]);
        expected.extend_from_slice(b"hello");
        expected.push(1);
        assert_eq!(f.encode(), expected);
        assert_eq!(f.encoded_len(), 28);
    }

    #[test]
    fn parses_several_frames_of_one_tx() {
        let frames = vec![
            frame(1, 0, b"ab", false),
            frame(1, 1, b"", true),
            frame(2, 0, b"c", false),
        ];
        let data = batcher_tx_data(&frames);
        assert_eq!(data[0], 0);
        assert_eq!(parse_frames(&data), Ok(frames));
    }

    #[test]
    fn any_malformed_frame_rejects_the_whole_tx() {
        let good = frame(1, 0, b"data", false);
        let mut data = batcher_tx_data([&good, &good]);
        assert!(parse_frames(&data).is_ok());

        assert_eq!(parse_frames(&[]), Err(BatchError::EmptyBatcherTx));
        assert_eq!(parse_frames(&[0]), Err(BatchError::NoFrames));
        let mut v1 = data.clone();
        v1[0] = 1;
        assert_eq!(parse_frames(&v1), Err(BatchError::UnknownTxVersion(1)));

        // A trailing byte is a truncated third frame.
        data.push(0);
        assert_eq!(
            parse_frames(&data),
            Err(BatchError::TruncatedFrame { index: 2 })
        );
        data.pop();

        // is_last of the second frame (the last byte) set to 2.
        let last = data.len() - 1;
        data[last] = 2;
        assert_eq!(
            parse_frames(&data),
            Err(BatchError::InvalidIsLast { index: 1, byte: 2 })
        );

        // Second frame declares one more byte than it holds.
        let mut long = batcher_tx_data([&good, &good]);
        let second_len_at = 1 + good.encoded_len() + 18;
        long[second_len_at + 3] = 5;
        assert_eq!(
            parse_frames(&long),
            Err(BatchError::TruncatedFrame { index: 1 })
        );
    }

    #[test]
    fn frame_data_length_is_capped_at_one_megabyte() {
        let mut data = vec![0u8];
        data.extend_from_slice(&[7; 16]);
        data.extend_from_slice(&[0, 0]);
        data.extend_from_slice(&1_000_001u32.to_be_bytes());
        assert_eq!(
            parse_frames(&data),
            Err(BatchError::FrameTooLarge {
                index: 0,
                len: 1_000_001
            })
        );
        // Exactly MAX_FRAME_LEN is allowed.
        let ok = frame(7, 0, &vec![0x55; MAX_FRAME_LEN], true);
        assert_eq!(parse_frames(&batcher_tx_data([&ok])), Ok(vec![ok]));
    }

    #[test]
    fn split_respects_the_max_frame_size() {
        let id = ChannelId([9; 16]);
        let channel: Vec<u8> = (0..=255).collect();
        let frames = split_into_frames(id, &channel, FRAME_OVERHEAD + 100).expect("splits");
        assert_eq!(frames.len(), 3);
        assert!(
            frames
                .iter()
                .all(|f| f.encoded_len() <= FRAME_OVERHEAD + 100)
        );
        assert_eq!(
            frames.iter().map(|f| f.number).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(frames.iter().filter(|f| f.is_last).count(), 1);
        assert!(frames[2].is_last);
        let joined: Vec<u8> = frames.iter().flat_map(|f| f.data.clone()).collect();
        assert_eq!(joined, channel);

        let empty = split_into_frames(id, &[], 100).expect("splits");
        assert_eq!(
            empty,
            vec![Frame {
                id,
                number: 0,
                data: vec![],
                is_last: true
            }]
        );
        assert_eq!(
            split_into_frames(id, &channel, FRAME_OVERHEAD),
            Err(BatchError::FrameSizeTooSmall(FRAME_OVERHEAD))
        );
        assert_eq!(
            split_into_frames(id, &vec![0; 65_537], FRAME_OVERHEAD + 1),
            Err(BatchError::TooManyFrames)
        );
    }
}
