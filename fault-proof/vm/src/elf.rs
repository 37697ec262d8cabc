//! A minimal ELF64 reader for static riscv64 executables: the entry point and `PT_LOAD` segments.

use crate::{Error, Result};

/// `e_machine` for RISC-V.
const EM_RISCV: u16 = 243;
/// `e_type` for an executable (not position independent).
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const EHDR_LEN: usize = 64;
const PHDR_LEN: usize = 56;

/// One loadable segment: `data` is copied to `vaddr`, and memory up to `vaddr + mem_size` is zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the first byte.
    pub vaddr: u64,
    /// Bytes from the file (`p_filesz` of them).
    pub data: Vec<u8>,
    /// Size in memory (`p_memsz` ≥ `data.len()`).
    pub mem_size: u64,
}

/// A parsed static executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// The entry point (`e_entry`).
    pub entry: u64,
    /// The `PT_LOAD` segments in file order.
    pub segments: Vec<Segment>,
}

impl Elf {
    /// Parses `bytes`. Anything but a little-endian ELF64 `ET_EXEC` for RISC-V without an
    /// interpreter or dynamic section is an [`Error::Elf`]; no input makes it panic.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |msg: &str| Error::Elf(msg.to_string());
        if bytes.len() < EHDR_LEN {
            return Err(bad("shorter than the ELF header"));
        }
        if bytes[..4] != [0x7f, b'E', b'L', b'F'] {
            return Err(bad("missing \\x7fELF magic"));
        }
        if bytes[4] != 2 {
            return Err(bad("not ELFCLASS64"));
        }
        if bytes[5] != 1 {
            return Err(bad("not little-endian"));
        }
        if u16_at(bytes, 16)? != ET_EXEC {
            return Err(bad("not a static executable (e_type must be ET_EXEC)"));
        }
        if u16_at(bytes, 18)? != EM_RISCV {
            return Err(bad("not a RISC-V executable"));
        }
        let entry = u64_at(bytes, 24)?;
        let phoff = u64_at(bytes, 32)?;
        let phentsize = usize::from(u16_at(bytes, 54)?);
        let phnum = usize::from(u16_at(bytes, 56)?);
        if phnum > 0 && phentsize < PHDR_LEN {
            return Err(bad("program header entries too small"));
        }
        let phoff = usize::try_from(phoff).map_err(|_| bad("e_phoff out of range"))?;
        let mut segments = Vec::new();
        for i in 0..phnum {
            let off = i
                .checked_mul(phentsize)
                .and_then(|o| o.checked_add(phoff))
                .ok_or_else(|| bad("program header offset overflows"))?;
            let ph = slice(bytes, off, PHDR_LEN)
                .ok_or_else(|| bad("program header table past the end of the file"))?;
            match u32_at(ph, 0)? {
                PT_LOAD => {}
                PT_DYNAMIC | PT_INTERP => {
                    return Err(bad("dynamically linked executables are not supported"));
                }
                _ => continue,
            }
            let offset = u64_at(ph, 8)?;
            let vaddr = u64_at(ph, 16)?;
            let file_size = u64_at(ph, 32)?;
            let mem_size = u64_at(ph, 40)?;
            if file_size > mem_size {
                return Err(bad("segment p_filesz exceeds p_memsz"));
            }
            if vaddr.checked_add(mem_size).is_none() {
                return Err(bad("segment wraps the address space"));
            }
            let data = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(file_size).ok())
                .and_then(|(o, n)| slice(bytes, o, n))
                .ok_or_else(|| bad("segment data past the end of the file"))?;
            segments.push(Segment {
                vaddr,
                data: data.to_vec(),
                mem_size,
            });
        }
        if segments.is_empty() {
            return Err(bad("no PT_LOAD segment"));
        }
        Ok(Self { entry, segments })
    }

    /// The first address past every segment.
    pub fn end(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.vaddr.saturating_add(s.mem_size))
            .max()
            .unwrap_or(0)
    }
}

fn slice(bytes: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    bytes.get(off..off.checked_add(len)?)
}

fn u16_at(b: &[u8], off: usize) -> Result<u16> {
    let s = slice(b, off, 2).ok_or_else(|| Error::Elf("truncated".into()))?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32> {
    let s = slice(b, off, 4).ok_or_else(|| Error::Elf("truncated".into()))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> Result<u64> {
    let s = slice(b, off, 8).ok_or_else(|| Error::Elf("truncated".into()))?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(u64::from_le_bytes(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(entry: u64, vaddr: u64, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; EHDR_LEN + PHDR_LEN];
        b[..4].copy_from_slice(&[0x7f, b'E', b'L', b'F']);
        b[4] = 2;
        b[5] = 1;
        b[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        b[18..20].copy_from_slice(&EM_RISCV.to_le_bytes());
        b[24..32].copy_from_slice(&entry.to_le_bytes());
        b[32..40].copy_from_slice(&(EHDR_LEN as u64).to_le_bytes());
        b[54..56].copy_from_slice(&(PHDR_LEN as u16).to_le_bytes());
        b[56..58].copy_from_slice(&1u16.to_le_bytes());
        let ph = EHDR_LEN;
        b[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        b[ph + 8..ph + 16].copy_from_slice(&((EHDR_LEN + PHDR_LEN) as u64).to_le_bytes());
        b[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
        b[ph + 32..ph + 40].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        b[ph + 40..ph + 48].copy_from_slice(&(payload.len() as u64 + 100).to_le_bytes());
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn parses_a_minimal_executable() -> Result<()> {
        let elf = Elf::parse(&minimal(0x10000, 0x10000, &[1, 2, 3, 4]))?;
        assert_eq!(elf.entry, 0x10000);
        assert_eq!(elf.segments.len(), 1);
        assert_eq!(elf.segments[0].data, vec![1, 2, 3, 4]);
        assert_eq!(elf.end(), 0x10000 + 104);
        Ok(())
    }

    #[test]
    fn rejects_truncated_and_foreign_files() {
        let good = minimal(0x10000, 0x10000, &[1, 2, 3, 4]);
        for cut in 0..good.len() - 4 {
            assert!(Elf::parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut x86 = good.clone();
        x86[18] = 62;
        assert!(Elf::parse(&x86).is_err());
        let mut dynamic = good;
        dynamic[16] = 3;
        assert!(Elf::parse(&dynamic).is_err());
    }
}
