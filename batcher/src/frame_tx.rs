//! A frame as a transaction for the L1 transaction manager: `0x00 ++ frame` to the batch inbox,
//! as calldata or in one blob, tagged with the frame's channel and number.

use alloy_primitives::Address;
use sprout_protocol::batch::{ChannelId, Frame, batcher_tx_data};
use sprout_txmgr::TxCandidate;

use crate::{DataAvailability, Result};

/// Which frame a batcher transaction carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameTag {
    /// Its channel.
    pub channel: ChannelId,
    /// Its number within the channel.
    pub number: u16,
    /// Whether it is the channel's last.
    pub is_last: bool,
    /// The last L2 block of its channel (for logs, and to check that it becomes safe).
    pub last_block: u64,
}

/// The transaction posting `frame` of a channel ending at L2 block `last_block` to `inbox`.
pub fn frame_tx(
    frame: &Frame,
    last_block: u64,
    inbox: Address,
    da: DataAvailability,
) -> Result<TxCandidate<FrameTag>> {
    let tag = FrameTag {
        channel: frame.id,
        number: frame.number,
        is_last: frame.is_last,
        last_block,
    };
    let data = batcher_tx_data([frame]).into();
    Ok(match da {
        DataAvailability::Calldata => TxCandidate::calldata(tag, inbox, data),
        DataAvailability::Blobs => TxCandidate::blob(tag, inbox, data)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: Vec<u8>) -> Frame {
        Frame {
            id: ChannelId([3; 16]),
            number: 2,
            data,
            is_last: true,
        }
    }

    #[test]
    fn calldata_frame_pays_the_floor_for_its_bytes_and_carries_its_tag() {
        let tx = frame_tx(
            &frame(vec![0, 0, 5]),
            9,
            Address::repeat_byte(1),
            DataAvailability::Calldata,
        )
        .expect("fits");
        assert_eq!(tx.data[0], 0, "version byte");
        let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
        let nonzeros = tx.data.len() as u64 - zeros;
        assert_eq!(tx.gas_limit, 21_000 + zeros * 10 + nonzeros * 40);
        assert_eq!(
            tx.tag,
            FrameTag {
                channel: ChannelId([3; 16]),
                number: 2,
                is_last: true,
                last_block: 9
            }
        );
        assert!(tx.sidecar.is_none());
    }

    #[test]
    fn blob_frame_has_no_calldata_gas_and_a_sidecar() {
        let tx = frame_tx(
            &frame(vec![7; 1000]),
            9,
            Address::repeat_byte(1),
            DataAvailability::Blobs,
        )
        .expect("fits a blob");
        assert_eq!(tx.gas_limit, 21_000);
        assert!(tx.sidecar.is_some());
    }
}
