//! The VM state, its fixed 370-byte encoding and the status-tagged state hash.

use alloy_primitives::{B256, keccak256};

use crate::{Error, Result};

/// Length of [`State::encode`]'s output.
pub const STATE_LEN: usize = 370;

/// `load_reservation` value meaning "no reservation" (no aligned address can equal it).
pub const NO_RESERVATION: u64 = u64::MAX;

/// The VM status that replaces the top byte of the state hash (OP's `VMStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum Status {
    /// Exited with code 0.
    Valid = 0,
    /// Exited with code 1.
    Invalid = 1,
    /// Exited with any other code, including a VM panic (which exits with code 2).
    Panic = 2,
    /// Still running.
    Unfinished = 3,
}

/// Everything but memory; memory enters the encoding as its Merkle root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Program counter.
    pub pc: u64,
    /// Integer registers; `regs[0]` is always 0.
    pub regs: [u64; 32],
    /// The preimage key assembled from writes to fd 6.
    pub preimage_key: B256,
    /// Read offset into `len_be8 ++ preimage` for reads from fd 5.
    pub preimage_offset: u64,
    /// Next address `mmap` hands out.
    pub heap: u64,
    /// The program break.
    pub brk: u64,
    /// Address reserved by the last `LR`, or [`NO_RESERVATION`].
    pub load_reservation: u64,
    /// Exit code (low 8 bits of the `exit` argument; 2 after a VM panic).
    pub exit_code: u8,
    /// Whether the program has exited (or panicked).
    pub exited: bool,
    /// Instructions executed so far.
    pub step: u64,
}

impl State {
    /// The status derived from `exited` and `exit_code`.
    pub fn status(&self) -> Status {
        status_of(self.exited, self.exit_code)
    }

    /// The fixed big-endian encoding (see the README's "State encoding").
    pub fn encode(&self, mem_root: B256) -> [u8; STATE_LEN] {
        let mut out = [0u8; STATE_LEN];
        out[0..32].copy_from_slice(mem_root.as_slice());
        out[32..64].copy_from_slice(self.preimage_key.as_slice());
        out[64..72].copy_from_slice(&self.preimage_offset.to_be_bytes());
        out[72..80].copy_from_slice(&self.pc.to_be_bytes());
        out[80..88].copy_from_slice(&self.heap.to_be_bytes());
        out[88..96].copy_from_slice(&self.brk.to_be_bytes());
        out[96..104].copy_from_slice(&self.load_reservation.to_be_bytes());
        out[104] = self.exit_code;
        out[105] = u8::from(self.exited);
        out[106..114].copy_from_slice(&self.step.to_be_bytes());
        for (i, r) in self.regs.iter().enumerate() {
            out[114 + 8 * i..122 + 8 * i].copy_from_slice(&r.to_be_bytes());
        }
        out
    }

    /// Decodes [`State::encode`]'s output into the state and the memory root.
    pub fn decode(bytes: &[u8]) -> Result<(Self, B256)> {
        if bytes.len() != STATE_LEN {
            return Err(Error::StateLength {
                expected: STATE_LEN,
                got: bytes.len(),
            });
        }
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[o..o + 8]);
            u64::from_be_bytes(a)
        };
        let mut regs = [0u64; 32];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = u64_at(114 + 8 * i);
        }
        let state = Self {
            preimage_key: B256::from_slice(&bytes[32..64]),
            preimage_offset: u64_at(64),
            pc: u64_at(72),
            heap: u64_at(80),
            brk: u64_at(88),
            load_reservation: u64_at(96),
            exit_code: bytes[104],
            exited: bytes[105] != 0,
            step: u64_at(106),
            regs,
        };
        Ok((state, B256::from_slice(&bytes[0..32])))
    }
}

fn status_of(exited: bool, exit_code: u8) -> Status {
    match (exited, exit_code) {
        (false, _) => Status::Unfinished,
        (true, 0) => Status::Valid,
        (true, 1) => Status::Invalid,
        (true, _) => Status::Panic,
    }
}

/// `keccak256(encoded)` with its first byte replaced by the status read from the encoding.
pub fn state_hash(encoded: &[u8; STATE_LEN]) -> B256 {
    let mut h = keccak256(encoded);
    h.0[0] = status_of(encoded[105] != 0, encoded[104]) as u8;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_hash_carries_status() -> Result<()> {
        let mut regs = [0u64; 32];
        for (i, r) in regs.iter_mut().enumerate().skip(1) {
            *r = (i as u64) * 0x0101_0101_0101_0101;
        }
        let s = State {
            pc: 0x10078,
            regs,
            preimage_key: B256::repeat_byte(0xab),
            preimage_offset: 17,
            heap: 0x1000_0000_0000,
            brk: 0x2_0000,
            load_reservation: NO_RESERVATION,
            exit_code: 1,
            exited: true,
            step: 12345,
        };
        let root = B256::repeat_byte(0x11);
        let enc = s.encode(root);
        let (back, r) = State::decode(&enc)?;
        assert_eq!(back, s);
        assert_eq!(r, root);
        assert_eq!(state_hash(&enc)[0], Status::Invalid as u8);
        assert_eq!(state_hash(&enc)[1..], keccak256(enc)[1..]);
        assert!(State::decode(&enc[1..]).is_err());
        Ok(())
    }
}
