//! `--record DIR` and `--offline DIR`: the boot data (`boot.json`) and every preimage a run was
//! served (`preimages.bin`: `key (32) ++ length (u64, big-endian) ++ bytes`, in key order).

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{B256, Bytes, keccak256};
use sprout_fp_program::{BootInfo, oracle::KECCAK_KEY_TYPE};

use crate::HostError;

/// What one run used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The run's boot data.
    pub boot: BootInfo,
    /// Every key served, with its preimage.
    pub preimages: BTreeMap<[u8; 32], Bytes>,
}

impl Recording {
    /// Total bytes of the preimages.
    pub fn bytes(&self) -> u64 {
        self.preimages.values().map(|p| p.len() as u64).sum()
    }
}

/// Writes `recording` into `dir` (created if missing).
pub fn write_recording(dir: &Path, recording: &Recording) -> Result<(), HostError> {
    std::fs::create_dir_all(dir)?;
    let boot = serde_json::to_vec_pretty(&recording.boot)
        .map_err(|e| HostError::Recording(e.to_string()))?;
    std::fs::write(dir.join("boot.json"), boot)?;
    let mut out = Vec::with_capacity(recording.bytes() as usize + recording.preimages.len() * 40);
    for (key, data) in &recording.preimages {
        out.extend_from_slice(key);
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(data);
    }
    std::fs::write(dir.join("preimages.bin"), out)?;
    Ok(())
}

/// Reads a recording from `dir`. Every keccak256 preimage is checked against its key: a
/// damaged or altered recording is refused, not replayed.
pub fn read_recording(dir: &Path) -> Result<Recording, HostError> {
    let boot = std::fs::read(dir.join("boot.json"))?;
    let boot: BootInfo = serde_json::from_slice(&boot)
        .map_err(|e| HostError::Recording(format!("boot.json: {e}")))?;
    let raw = std::fs::read(dir.join("preimages.bin"))?;
    let mut preimages = BTreeMap::new();
    let mut rest = raw.as_slice();
    while !rest.is_empty() {
        let (key, len, tail) = match (rest.get(..32), rest.get(32..40)) {
            (Some(key), Some(len)) => (key, len, &rest[40..]),
            _ => return Err(HostError::Recording("preimages.bin is truncated".into())),
        };
        let len = u64::from_be_bytes(len.try_into().unwrap_or_default()) as usize;
        let data = tail
            .get(..len)
            .ok_or_else(|| HostError::Recording("preimages.bin is truncated".into()))?;
        let key: [u8; 32] = key.try_into().unwrap_or_default();
        if key[0] == KECCAK_KEY_TYPE {
            let mut hash = keccak256(data);
            hash.0[0] = KECCAK_KEY_TYPE;
            if hash.0 != key {
                return Err(HostError::Recording(format!(
                    "the preimage under key {} does not hash to it",
                    B256::from(key)
                )));
            }
        }
        preimages.insert(key, Bytes::copy_from_slice(data));
        rest = &tail[len..];
    }
    Ok(Recording { boot, preimages })
}
