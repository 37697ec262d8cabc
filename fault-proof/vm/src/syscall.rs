//! Linux riscv64 system calls: the deterministic subset the VM implements.

use alloy_primitives::B256;

use crate::{
    PreimageOracle, Result,
    memory::{LEAF_SIZE, PAGE_SIZE},
    oracle::check_preimage,
    vm::{MMAP_BASE, MMAP_LIMIT, Vm},
    witness::PreimageWitness,
};

/// `exit`.
pub const SYS_EXIT: u64 = 93;
/// `exit_group`.
pub const SYS_EXIT_GROUP: u64 = 94;
/// `read`.
pub const SYS_READ: u64 = 63;
/// `write`.
pub const SYS_WRITE: u64 = 64;
/// `mmap`.
pub const SYS_MMAP: u64 = 222;
/// `brk`.
pub const SYS_BRK: u64 = 214;
/// `clock_gettime`.
pub const SYS_CLOCK_GETTIME: u64 = 113;

/// Standard input (always at end of file).
pub const FD_STDIN: u64 = 0;
/// Standard output (captured by the host).
pub const FD_STDOUT: u64 = 1;
/// Standard error (captured by the host).
pub const FD_STDERR: u64 = 2;
/// Hint acknowledgements from the host.
pub const FD_HINT_READ: u64 = 3;
/// Hints to the host: a 4-byte big-endian length, then the payload.
pub const FD_HINT_WRITE: u64 = 4;
/// Preimage data: `len_be8 ++ preimage` of the current key, from the current offset.
pub const FD_PREIMAGE_READ: u64 = 5;
/// Preimage key: bytes written are shifted into the key.
pub const FD_PREIMAGE_WRITE: u64 = 6;

/// Largest transfer of one `write` to fds 1, 2 or 4; longer writes are partial.
pub const MAX_HOST_WRITE: u64 = 1 << 20;

const EBADF: u64 = 9u64.wrapping_neg();
const ENOMEM: u64 = 12u64.wrapping_neg();
const EFAULT: u64 = 14u64.wrapping_neg();
const EINVAL: u64 = 22u64.wrapping_neg();
const ENOSYS: u64 = 38u64.wrapping_neg();

const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;

impl<O: PreimageOracle> Vm<O> {
    /// Handles `ECALL`: number in a7, arguments in a0..a5, result in a0.
    pub(crate) fn syscall(&mut self) -> Result<()> {
        let r = self.state.regs;
        let (a0, a1, a2) = (r[10], r[11], r[12]);
        let ret = match r[17] {
            SYS_EXIT | SYS_EXIT_GROUP => {
                self.state.exited = true;
                self.state.exit_code = a0 as u8;
                return Ok(());
            }
            SYS_READ => self.sys_read(a0, a1, a2)?,
            SYS_WRITE => self.sys_write(a0, a1, a2),
            SYS_MMAP => self.sys_mmap(a1, r[13]),
            SYS_BRK => {
                if a0 > self.state.brk && a0 <= MMAP_BASE {
                    self.state.brk = a0;
                }
                self.state.brk
            }
            SYS_CLOCK_GETTIME => {
                if !a1.is_multiple_of(8) {
                    EFAULT
                } else {
                    self.store(a1, 8, 0);
                    self.store(a1.wrapping_add(8), 8, 0);
                    0
                }
            }
            _ => ENOSYS,
        };
        self.state.regs[10] = ret;
        Ok(())
    }

    fn sys_mmap(&mut self, len: u64, flags: u64) -> u64 {
        if flags & MAP_ANONYMOUS == 0 || flags & MAP_FIXED != 0 || len == 0 {
            return EINVAL;
        }
        let Some(size) = len.checked_next_multiple_of(PAGE_SIZE as u64) else {
            return ENOMEM;
        };
        match self.state.heap.checked_add(size) {
            Some(end) if end <= MMAP_LIMIT => {
                let addr = self.state.heap;
                self.state.heap = end;
                addr
            }
            _ => ENOMEM,
        }
    }

    fn sys_write(&mut self, fd: u64, addr: u64, count: u64) -> u64 {
        match fd {
            FD_STDOUT | FD_STDERR | FD_HINT_WRITE => {
                let n = count.min(MAX_HOST_WRITE);
                let bytes = self.memory.read_bytes(addr, n as usize);
                match fd {
                    FD_STDOUT => self.stdout.extend_from_slice(&bytes),
                    FD_STDERR => self.stderr.extend_from_slice(&bytes),
                    _ => self.push_hint(&bytes),
                }
                n
            }
            FD_PREIMAGE_WRITE => {
                // At most the rest of addr's 32-byte leaf, so one leaf proof covers it.
                let n = count.min(LEAF_SIZE as u64 - addr % LEAF_SIZE as u64);
                if let Some(r) = &mut self.recorder {
                    r.touch(addr & !(LEAF_SIZE as u64 - 1));
                }
                let bytes = self.memory.read_bytes(addr, n as usize);
                let mut key = [0u8; 32];
                let keep = 32 - bytes.len();
                key[..keep].copy_from_slice(&self.state.preimage_key[bytes.len()..]);
                key[keep..].copy_from_slice(&bytes);
                self.state.preimage_key = B256::from(key);
                self.state.preimage_offset = 0;
                n
            }
            _ => EBADF,
        }
    }

    fn push_hint(&mut self, bytes: &[u8]) {
        self.hint_buf.extend_from_slice(bytes);
        while self.hint_buf.len() >= 4 {
            let len = u32::from_be_bytes([
                self.hint_buf[0],
                self.hint_buf[1],
                self.hint_buf[2],
                self.hint_buf[3],
            ]) as usize;
            if self.hint_buf.len() < 4 + len {
                break;
            }
            let hint: Vec<u8> = self.hint_buf.drain(..4 + len).skip(4).collect();
            self.oracle.hint(&hint);
        }
    }

    fn sys_read(&mut self, fd: u64, addr: u64, count: u64) -> Result<u64> {
        Ok(match fd {
            FD_STDIN => 0,
            FD_HINT_READ => count,
            FD_PREIMAGE_READ => {
                let key = self.state.preimage_key;
                self.load_preimage(key)?;
                let offset = self.state.preimage_offset;
                let data = self
                    .preimage_cache
                    .as_ref()
                    .map(|(_, d)| d.as_slice())
                    .unwrap_or_default();
                if self.recorder.is_some() {
                    let raw = data.get(8..).unwrap_or_default().to_vec();
                    let w = PreimageWitness {
                        key,
                        offset,
                        data: raw.into(),
                    };
                    if let Some(r) = &mut self.recorder {
                        r.preimage = Some(w);
                    }
                }
                let rest = usize::try_from(offset)
                    .ok()
                    .and_then(|o| data.get(o..))
                    .unwrap_or_default();
                // One 32-byte part of the oracle, clipped to count and to addr's leaf.
                let n = (rest.len() as u64)
                    .min(32)
                    .min(count)
                    .min(LEAF_SIZE as u64 - addr % LEAF_SIZE as u64);
                let part = rest[..n as usize].to_vec();
                if n > 0 {
                    self.note_write(addr);
                    self.memory.write_bytes(addr, &part);
                }
                self.state.preimage_offset = offset.saturating_add(n);
                n
            }
            _ => EBADF,
        })
    }

    /// Puts `len_be8 ++ preimage` for `key` in the cache, fetched and checked once per key.
    fn load_preimage(&mut self, key: B256) -> Result<()> {
        if matches!(&self.preimage_cache, Some((k, _)) if *k == key) {
            return Ok(());
        }
        let data = self.oracle.get(key)?;
        check_preimage(key, &data)?;
        let mut full = (data.len() as u64).to_be_bytes().to_vec();
        full.extend_from_slice(&data);
        self.preimage_cache = Some((key, full));
        Ok(())
    }
}
