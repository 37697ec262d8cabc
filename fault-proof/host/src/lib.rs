#![doc = include_str!("../README.md")]

mod error;
mod record;
mod vm;

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{B256, Bytes, keccak256};
use sha2::Digest as _;
use sprout_fp_program::{BootInfo, Hint, Oracle, ProgramConfig, keccak_key, local_key};
use sprout_protocol::{
    l1_block::RawL1Block,
    trie::{MemoryNodes, Trie},
};

pub use error::HostError;
pub use record::{Recording, read_recording, write_recording};
pub use vm::{StepData, VmRun, pc_histogram, preimage_reads, run_in_vm, step_data};

/// L2 data by hash, from the node's database. The node implements it.
pub trait L2Source {
    /// A state or storage trie node.
    fn trie_node(&self, hash: B256) -> Result<Option<Bytes>, String>;
    /// Contract code.
    fn code(&self, hash: B256) -> Result<Option<Bytes>, String>;
    /// A block header's RLP.
    fn header_rlp(&self, hash: B256) -> Result<Option<Bytes>, String>;
    /// A block's transactions, EIP-2718 encoded, in order.
    fn block_transactions(&self, hash: B256) -> Result<Option<Vec<Bytes>>, String>;
}

/// L1 data by hash, from an L1 endpoint. The node implements it over JSON-RPC (and a beacon
/// API for blobs).
pub trait L1Source {
    /// A header's RLP.
    fn header_rlp(&mut self, hash: B256) -> Result<Option<Bytes>, String>;
    /// A block's header, transactions and receipts.
    fn raw_block(&mut self, hash: B256) -> Result<RawL1Block, String>;
    /// Every blob of the block with this hash, each with its KZG commitment (48 bytes) as the
    /// source computed it from the blob.
    fn blobs(&mut self, hash: B256) -> Result<Vec<(Bytes, Bytes)>, String>;
}

/// The host: answers the program's hints and keys, checks every keccak256 preimage against its
/// key before serving it, and keeps what it served for [`Host::recording`].
pub struct Host<L1, L2> {
    boot: BootInfo,
    l1: L1,
    l2: L2,
    /// Keccak256 preimages ready to serve, by key.
    prepared: HashMap<[u8; 32], Bytes>,
    /// A blob's evaluation points, computed at the first blob.
    blob_points: Option<Vec<B256>>,
    /// Everything served, by key, in key order.
    served: BTreeMap<[u8; 32], Bytes>,
    hints: u64,
}

impl<L1: L1Source, L2: L2Source> Host<L1, L2> {
    /// A host for one run: its boot data, the chain's config, and the agreed output's 128-byte
    /// preimage.
    pub fn new(
        boot: BootInfo,
        config: &ProgramConfig,
        agreed_output_preimage: Vec<u8>,
        l1: L1,
        l2: L2,
    ) -> Result<Self, HostError> {
        let mut host = Self {
            boot,
            l1,
            l2,
            prepared: HashMap::new(),
            blob_points: None,
            served: BTreeMap::new(),
            hints: 0,
        };
        host.prepare(boot.config_hash, Bytes::from(config.encode()))?;
        host.prepare(boot.agreed_output, Bytes::from(agreed_output_preimage))?;
        Ok(host)
    }

    /// What the run used: boot data and every preimage served.
    pub fn recording(&self) -> Recording {
        Recording {
            boot: self.boot,
            preimages: self.served.clone(),
        }
    }

    /// Hints received.
    pub fn hints(&self) -> u64 {
        self.hints
    }

    /// Adds a preimage, refusing one that does not hash to `hash`.
    fn prepare(&mut self, hash: B256, data: Bytes) -> Result<(), HostError> {
        let got = keccak256(&data);
        if got != hash {
            return Err(HostError::WrongPreimage { hash, got });
        }
        self.prepared.insert(keccak_key(hash), data);
        Ok(())
    }

    /// Adds every node of the ordered trie over `items` (`rlp(i) -> item i`).
    fn prepare_ordered_trie(&mut self, items: &[Bytes]) -> Result<(), HostError> {
        let empty = MemoryNodes::default();
        let mut trie = Trie::new(alloy_trie::EMPTY_ROOT_HASH, &empty);
        for (i, item) in items.iter().enumerate() {
            trie.insert(&alloy_rlp::encode(i), item.to_vec())
                .map_err(|e| HostError::Source(format!("building a trie: {e}")))?;
        }
        trie.root();
        for (hash, node) in trie.take_new_nodes() {
            self.prepare(hash, node)?;
        }
        Ok(())
    }

    fn on_hint(&mut self, hint: Hint) -> Result<(), HostError> {
        match hint {
            Hint::L1Header(hash) => {
                if !self.prepared.contains_key(&keccak_key(hash)) {
                    let rlp = self
                        .l1
                        .header_rlp(hash)
                        .map_err(HostError::Source)?
                        .ok_or(HostError::Missing(hash))?;
                    self.prepare(hash, rlp)?;
                }
            }
            Hint::L1Block(hash) => {
                let block = self.l1.raw_block(hash).map_err(HostError::Source)?;
                self.prepare(hash, block.header.clone())?;
                self.prepare_ordered_trie(&block.transactions)?;
                self.prepare_ordered_trie(&block.receipts)?;
            }
            Hint::L1Blobs(hash) => {
                let points = self
                    .blob_points
                    .get_or_insert_with(sprout_fp_program::blob::evaluation_points)
                    .clone();
                for (commitment, blob) in self.l1.blobs(hash).map_err(HostError::Source)? {
                    if commitment.len() != 48 || blob.len() != points.len() * 32 {
                        return Err(HostError::Source(format!(
                            "L1 block {hash}: a blob of {} bytes with a commitment of {}",
                            blob.len(),
                            commitment.len()
                        )));
                    }
                    let mut versioned = B256::from_slice(&sha2::Sha256::digest(&commitment));
                    versioned.0[0] = 1;
                    self.prepared
                        .insert(sprout_fp_program::sha256_key(versioned), commitment.clone());
                    for (z, element) in points.iter().zip(blob.chunks(32)) {
                        self.prepared.insert(
                            sprout_fp_program::blob_key(&commitment, *z),
                            Bytes::copy_from_slice(element),
                        );
                    }
                }
            }
            Hint::L2Transactions(hash) => {
                let txs = self
                    .l2
                    .block_transactions(hash)
                    .map_err(HostError::Source)?
                    .ok_or(HostError::Missing(hash))?;
                self.prepare_ordered_trie(&txs)?;
            }
            Hint::Preimage(hash) => {
                if !self.prepared.contains_key(&keccak_key(hash)) {
                    let found = match self.l2.trie_node(hash).map_err(HostError::Source)? {
                        Some(node) => Some(node),
                        None => match self.l2.code(hash).map_err(HostError::Source)? {
                            Some(code) => Some(code),
                            None => self.l2.header_rlp(hash).map_err(HostError::Source)?,
                        },
                    };
                    // Not found is not an error yet: the read that follows fails if nothing
                    // prepared it.
                    if let Some(data) = found {
                        self.prepare(hash, data)?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl<L1: L1Source, L2: L2Source> Oracle for Host<L1, L2> {
    fn get(&mut self, key: &[u8; 32]) -> Result<Vec<u8>, String> {
        let data = match key[0] {
            sprout_fp_program::oracle::LOCAL_KEY_TYPE => self
                .boot
                .local_data()
                .into_iter()
                .find(|(n, _)| local_key(*n) == *key)
                .map(|(_, data)| Bytes::from(data))
                .ok_or_else(|| format!("no local data {}", B256::from(*key)))?,
            _ => self
                .prepared
                .get(key)
                .cloned()
                .ok_or_else(|| format!("no preimage for key {}", B256::from(*key)))?,
        };
        self.served.insert(*key, data.clone());
        Ok(data.to_vec())
    }

    fn hint(&mut self, hint: &str) -> Result<(), String> {
        self.hints += 1;
        let parsed = Hint::parse(hint).ok_or_else(|| format!("unknown hint {hint:?}"))?;
        self.on_hint(parsed).map_err(|e| e.to_string())
    }
}

/// An oracle over a [`Recording`] alone: `--offline`. Hints are ignored.
#[derive(Debug, Clone)]
pub struct Replay {
    preimages: BTreeMap<[u8; 32], Bytes>,
}

impl Replay {
    /// Serves what `recording` holds.
    pub fn new(recording: &Recording) -> Self {
        Self {
            preimages: recording.preimages.clone(),
        }
    }
}

impl Oracle for Replay {
    fn get(&mut self, key: &[u8; 32]) -> Result<Vec<u8>, String> {
        self.preimages
            .get(key)
            .map(|data| data.to_vec())
            .ok_or_else(|| format!("the recording has no preimage for key {}", B256::from(*key)))
    }

    fn hint(&mut self, _hint: &str) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sprout_fp_program::{Preimages, oracle::LOCAL_KEY_TYPE};
    use sprout_protocol::rollup::RollupConfig;

    use super::*;

    /// An L2 database that answers every trie node with `node`.
    struct FixedL2(Bytes);

    impl L2Source for FixedL2 {
        fn trie_node(&self, _hash: B256) -> Result<Option<Bytes>, String> {
            Ok(Some(self.0.clone()))
        }
        fn code(&self, _hash: B256) -> Result<Option<Bytes>, String> {
            Ok(None)
        }
        fn header_rlp(&self, _hash: B256) -> Result<Option<Bytes>, String> {
            Ok(None)
        }
        fn block_transactions(&self, _hash: B256) -> Result<Option<Vec<Bytes>>, String> {
            Ok(None)
        }
    }

    struct NoL1;

    impl L1Source for NoL1 {
        fn header_rlp(&mut self, hash: B256) -> Result<Option<Bytes>, String> {
            Err(format!("no L1 here ({hash})"))
        }
        fn raw_block(&mut self, hash: B256) -> Result<RawL1Block, String> {
            Err(format!("no L1 here ({hash})"))
        }
        fn blobs(&mut self, hash: B256) -> Result<Vec<(Bytes, Bytes)>, String> {
            Err(format!("no L1 here ({hash})"))
        }
    }

    fn config() -> ProgramConfig {
        let rollup: RollupConfig = serde_json::from_value(serde_json::json!({
            "genesis": {
                "l1": { "hash": B256::ZERO, "number": 0 },
                "l2": { "hash": B256::ZERO, "number": 0 },
                "l2_time": 0,
                "system_config": {
                    "batcherAddr": "0x0000000000000000000000000000000000000000",
                    "baseFeeScalar": 0, "blobBaseFeeScalar": 0, "gasLimit": 30000000
                }
            },
            "block_time": 1, "max_sequencer_drift": 600, "seq_window_size": 3600,
            "channel_timeout": 300, "l1_chain_id": 1, "l2_chain_id": 901,
            "batch_inbox_address": "0x0000000000000000000000000000000000000000",
            "deposit_contract_address": "0x0000000000000000000000000000000000000000",
            "l1_system_config_address": "0x0000000000000000000000000000000000000000",
            "l2_output_oracle_address": "0x0000000000000000000000000000000000000000"
        }))
        .expect("rollup config");
        let chain = sprout_protocol::ChainConfig {
            chain_id: 901,
            hardfork: sprout_protocol::Hardfork::Prague,
            prague_time: None,
            block_time: 1,
            gas_limit: 30_000_000,
            base_fee: sprout_protocol::chain::BaseFeeConfig {
                max_change_denominator: 250,
                elasticity_multiplier: 6,
                initial_base_fee: 1_000_000_000,
            },
            fee_recipient: Default::default(),
            genesis: Default::default(),
        };
        ProgramConfig::new(rollup, chain)
    }

    fn boot(config: &ProgramConfig, agreed_output: B256) -> BootInfo {
        BootInfo {
            l1_head: B256::repeat_byte(1),
            agreed_output,
            claimed_output: B256::repeat_byte(3),
            claimed_block: 7,
            chain_id: 901,
            config_hash: config.hash(),
        }
    }

    #[test]
    fn a_source_that_serves_wrong_bytes_is_refused_not_served() {
        let config = config();
        let agreed = [7u8; 128];
        let host = Host::new(
            boot(&config, keccak256(agreed)),
            &config,
            agreed.to_vec(),
            NoL1,
            FixedL2(Bytes::from_static(b"not the node you asked for")),
        )
        .expect("host");
        let preimages = Preimages::new(host);
        let err = preimages
            .keccak(B256::repeat_byte(0x44))
            .expect_err("refused");
        assert!(
            err.to_string().contains("hashes to"),
            "the host names the mismatch: {err}"
        );
        // What it was given at the start it serves, checked.
        assert_eq!(
            preimages
                .keccak(keccak256(agreed))
                .expect("agreed")
                .as_ref(),
            &agreed[..]
        );
        // A wrong agreed preimage is refused up front.
        assert!(matches!(
            Host::new(
                boot(&config, B256::ZERO),
                &config,
                agreed.to_vec(),
                NoL1,
                FixedL2(Bytes::new())
            ),
            Err(HostError::WrongPreimage { .. })
        ));
    }

    #[test]
    fn a_recording_round_trips_and_a_tampered_one_is_refused() {
        let config = config();
        let agreed = [9u8; 128];
        let boot = boot(&config, keccak256(agreed));
        let mut host =
            Host::new(boot, &config, agreed.to_vec(), NoL1, FixedL2(Bytes::new())).expect("host");
        for (n, _) in boot.local_data() {
            host.get(&local_key(n)).expect("local data");
        }
        host.get(&keccak_key(boot.agreed_output)).expect("agreed");
        host.get(&keccak_key(boot.config_hash)).expect("config");
        let recording = host.recording();
        assert_eq!(recording.preimages.len(), 8);
        assert!(recording.preimages.keys().any(|k| k[0] == LOCAL_KEY_TYPE));

        let dir = tempfile::tempdir().expect("tmp");
        write_recording(dir.path(), &recording).expect("write");
        assert_eq!(read_recording(dir.path()).expect("read"), recording);
        let mut replay = Replay::new(&recording);
        assert_eq!(
            replay
                .get(&keccak_key(boot.agreed_output))
                .expect("replayed"),
            agreed.to_vec()
        );
        assert!(replay.get(&keccak_key(B256::repeat_byte(5))).is_err());

        let path = dir.path().join("preimages.bin");
        let mut raw = std::fs::read(&path).expect("read");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(&path, &raw).expect("write");
        let err = read_recording(dir.path()).expect_err("tampered");
        assert!(err.to_string().contains("does not hash to it"), "{err}");
        std::fs::write(&path, &raw[..raw.len() - 3]).expect("write");
        assert!(read_recording(dir.path()).is_err());
    }
}
