//! The batcher's configuration, with its defaults and the checks made before anything is sent.

use std::time::Duration;

use alloy_primitives::U256;
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::{
    batch::{FRAME_OVERHEAD, MAX_BLOB_DATA_SIZE, MAX_FRAME_LEN},
    rollup::RollupConfig,
};

use crate::{BatcherError, Result};

/// Default largest frame: 120,000 bytes, OP's calldata default (an L1 transaction must stay
/// under geth's 128 KiB limit).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 120_000;
/// Largest frame a calldata transaction can carry: geth's 128 KiB transaction limit less room
/// for the transaction's other fields and the version byte.
pub const MAX_CALLDATA_FRAME_SIZE: usize = 128 * 1024 - 1024;
/// Largest frame a blob can carry: a blob holds 130,044 data bytes, the version byte and the
/// frame. Also the default frame size in blobs mode (as OP's batcher).
pub const MAX_BLOB_FRAME_SIZE: usize = MAX_BLOB_DATA_SIZE - 1;
/// Default minimum balance: 0.05 ETH.
pub const DEFAULT_MIN_BALANCE_WEI: u128 = 50_000_000_000_000_000;

/// Where batches are posted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DataAvailability {
    /// Calldata of transactions to the batch inbox (one frame per transaction).
    #[default]
    Calldata,
    /// EIP-4844 blobs: type-3 transactions to the batch inbox, one frame per blob in OP's blob
    /// encoding, one blob per transaction.
    Blobs,
}

/// How to run the batcher. [`BatcherConfig::new`] fills in the defaults.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// L1 JSON-RPC (HTTP).
    pub l1_rpc_url: String,
    /// The sequencer's JSON-RPC (HTTP): `optimism_syncStatus`, `debug_getRawBlock`.
    pub l2_rpc_url: String,
    /// The rollup: batch inbox address, the batcher address, L1 chain id, channel timeout.
    pub rollup: RollupConfig,
    /// The batcher key; its address must be the SystemConfig's current batcher (checked on L1
    /// at start; the rollup's genesis batcher if the SystemConfig cannot be read).
    pub signer: PrivateKeySigner,
    /// Largest encoded frame, bytes (default 120,000; in blobs mode at most
    /// [`MAX_BLOB_FRAME_SIZE`], which is the sensible value there). One frame per L1
    /// transaction.
    pub max_frame_size: usize,
    /// A channel is closed when its compressed size approaches
    /// `max_frame_size × target_frames_per_channel` (default 1).
    pub target_frames_per_channel: usize,
    /// A channel is closed at the latest this many L1 blocks after it was opened (default 10;
    /// must be below the rollup's `channel_timeout`).
    pub max_channel_duration: u64,
    /// L1 blocks on top of the including block (that block counts as 1) before a frame counts
    /// as posted (default 4).
    pub confirmations: u64,
    /// A transaction not mined within this time is resent with higher fees (default 30 s).
    pub resubmit_timeout: Duration,
    /// How often L1 and the sequencer are polled (default 1 s).
    pub poll_interval: Duration,
    /// Below this balance the batcher stops sending (default 0.05 ETH).
    pub min_balance: U256,
    /// Lowest priority fee per gas offered, wei; L1's suggestion is used when higher
    /// (default 1 gwei).
    pub min_tip: u128,
    /// At most this many batcher transactions sent and not yet included at once (default 8).
    pub max_pending_txs: usize,
    /// Where batches go (default calldata).
    pub da: DataAvailability,
}

impl BatcherConfig {
    /// A config with the defaults.
    pub fn new(
        l1_rpc_url: impl Into<String>,
        l2_rpc_url: impl Into<String>,
        rollup: RollupConfig,
        signer: PrivateKeySigner,
    ) -> Self {
        Self {
            l1_rpc_url: l1_rpc_url.into(),
            l2_rpc_url: l2_rpc_url.into(),
            rollup,
            signer,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            target_frames_per_channel: 1,
            max_channel_duration: 10,
            confirmations: 4,
            resubmit_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            min_balance: U256::from(DEFAULT_MIN_BALANCE_WEI),
            min_tip: 1_000_000_000,
            max_pending_txs: 8,
            da: DataAvailability::Calldata,
        }
    }

    /// Checks everything that can be checked without L1: the DA mode, sizes, durations and the
    /// batcher key.
    pub fn validate(&self) -> Result<()> {
        self.rollup
            .validate()
            .map_err(|e| BatcherError::Config(e.to_string()))?;
        let (max, da) = match self.da {
            DataAvailability::Calldata => (MAX_CALLDATA_FRAME_SIZE.min(MAX_FRAME_LEN), "calldata"),
            DataAvailability::Blobs => (MAX_BLOB_FRAME_SIZE, "a blob"),
        };
        if self.max_frame_size <= FRAME_OVERHEAD || self.max_frame_size > max {
            return Err(BatcherError::Config(format!(
                "max frame size {} must be within {}..={max} bytes (the most {da} carries)",
                self.max_frame_size,
                FRAME_OVERHEAD + 1
            )));
        }
        if self.target_frames_per_channel == 0 {
            return Err(BatcherError::Config(
                "target frames per channel must be at least 1".into(),
            ));
        }
        if self.max_channel_duration == 0
            || self.max_channel_duration >= self.rollup.channel_timeout
        {
            return Err(BatcherError::Config(format!(
                "max channel duration {} L1 blocks must be at least 1 and below the rollup's \
                 channel_timeout ({})",
                self.max_channel_duration, self.rollup.channel_timeout
            )));
        }
        if self.confirmations == 0 {
            return Err(BatcherError::Config(
                "confirmations must be at least 1 (the including block)".into(),
            ));
        }
        if self.max_pending_txs == 0 {
            return Err(BatcherError::Config(
                "max pending transactions must be at least 1".into(),
            ));
        }
        if self.poll_interval.is_zero() || self.resubmit_timeout.is_zero() {
            return Err(BatcherError::Config(
                "poll interval and resubmit timeout must be positive".into(),
            ));
        }
        Ok(())
    }

    /// The compressed size a channel is filled to: the data of `target_frames_per_channel`
    /// frames of `max_frame_size` bytes.
    pub fn target_channel_size(&self) -> usize {
        self.max_frame_size
            .saturating_sub(FRAME_OVERHEAD)
            .saturating_mul(self.target_frames_per_channel)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;
    use sprout_protocol::rollup::{GenesisSystemConfig, RollupGenesis};

    use super::*;

    fn config() -> BatcherConfig {
        let signer = PrivateKeySigner::random();
        let rollup = RollupConfig {
            genesis: RollupGenesis {
                system_config: GenesisSystemConfig {
                    batcher_addr: signer.address(),
                    ..Default::default()
                },
                ..Default::default()
            },
            block_time: 2,
            max_sequencer_drift: 600,
            seq_window_size: 3600,
            channel_timeout: 300,
            l1_chain_id: 1,
            l2_chain_id: 901,
            batch_inbox_address: Address::repeat_byte(0xbb),
            deposit_contract_address: Address::repeat_byte(1),
            l1_system_config_address: Address::repeat_byte(2),
            l2_output_oracle_address: Address::repeat_byte(3),
            regolith_time: None,
            canyon_time: None,
            ecotone_time: None,
        };
        BatcherConfig::new("http://l1", "http://l2", rollup, signer)
    }

    #[test]
    fn defaults_are_valid_and_as_documented() {
        let config = config();
        config.validate().expect("defaults are valid");
        assert_eq!(config.max_frame_size, 120_000);
        assert_eq!(config.target_channel_size(), 120_000 - FRAME_OVERHEAD);
        assert_eq!(config.min_balance, U256::from(5u128 * 10u128.pow(16)));
        assert_eq!(config.da, DataAvailability::Calldata);
    }

    #[test]
    fn blob_frames_must_fit_one_blob() {
        let mut config = config();
        config.da = DataAvailability::Blobs;
        config.validate().expect("120,000-byte frames fit a blob");
        config.max_frame_size = MAX_BLOB_FRAME_SIZE;
        config.validate().expect("the largest blob frame");
        assert_eq!(MAX_BLOB_FRAME_SIZE, 130_043);
        config.max_frame_size = MAX_BLOB_FRAME_SIZE + 1;
        let err = config.validate().expect_err("too large for a blob");
        assert!(err.to_string().contains("130043"), "{err}");
        // The same size is fine as calldata.
        config.da = DataAvailability::Calldata;
        config.validate().expect("calldata frame");
    }

    #[test]
    fn impossible_sizes_and_durations_are_refused() {
        for change in [
            (|c: &mut BatcherConfig| c.max_frame_size = FRAME_OVERHEAD) as fn(&mut BatcherConfig),
            |c| c.max_frame_size = 200_000,
            |c| c.target_frames_per_channel = 0,
            |c| c.max_channel_duration = 0,
            |c| c.max_channel_duration = 300,
            |c| c.confirmations = 0,
            |c| c.max_pending_txs = 0,
            |c| c.poll_interval = Duration::ZERO,
        ] {
            let mut config = config();
            change(&mut config);
            assert!(matches!(config.validate(), Err(BatcherError::Config(_))));
        }
    }
}
