//! The emulator: loading an ELF, fetching, and executing one instruction per step.

use alloy_primitives::B256;

use crate::{
    Error, PreimageOracle, Result,
    decode::{AluOp, AmoOp, BranchOp, Instr, LoadOp, StoreOp, Unsupported, decode},
    elf::Elf,
    memory::{LEAF_SIZE, Memory, PAGE_SIZE},
    state::{NO_RESERVATION, STATE_LEN, State, Status, state_hash},
};

/// Initial stack pointer. The words above it read as zero: `argc = 0`, no argv, envp or auxv.
pub const STACK_TOP: u64 = 0x0000_7fff_ffff_0000;
/// First address handed out by `mmap`.
pub const MMAP_BASE: u64 = 0x0000_1000_0000_0000;
/// `mmap` fails with `-ENOMEM` past this address.
pub const MMAP_LIMIT: u64 = 0x0000_7000_0000_0000;
/// Exit code of a VM panic (status [`Status::Panic`]).
pub const PANIC_EXIT_CODE: u8 = 2;

/// Leaves touched by the step being witnessed, in order, and how to undo its writes.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) leaves: Vec<u64>,
    pub(crate) undo: Vec<(u64, B256)>,
    pub(crate) preimage: Option<crate::witness::PreimageWitness>,
}

impl Recorder {
    pub(crate) fn touch(&mut self, leaf: u64) {
        if !self.leaves.contains(&leaf) {
            self.leaves.push(leaf);
        }
    }
}

/// A VM: state, memory, the oracle, and host-side outputs that are not part of the state.
pub struct Vm<O> {
    /// The state (all but memory).
    pub state: State,
    /// Memory.
    pub memory: Memory,
    pub(crate) oracle: O,
    /// Bytes written to fd 1.
    pub stdout: Vec<u8>,
    /// Bytes written to fd 2.
    pub stderr: Vec<u8>,
    pub(crate) hint_buf: Vec<u8>,
    /// The last preimage fetched, as (key, `len_be8 ++ data`).
    pub(crate) preimage_cache: Option<(B256, Vec<u8>)>,
    /// Why the VM panicked, if it did (host-side diagnostics).
    pub panic_reason: Option<String>,
    pub(crate) recorder: Option<Recorder>,
    /// Direct-mapped cache of decoded instructions, keyed by pc and checked against the word.
    /// Empty until [`Vm::run`] allocates it, so single steps do not pay for it.
    decoded: Vec<(u64, u32, Instr, u64)>,
}

const DECODE_CACHE: usize = 1 << 14;

impl<O> std::fmt::Debug for Vm<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("state", &self.state)
            .field("memory", &self.memory)
            .finish()
    }
}

impl<O> Vm<O> {
    /// The oracle back, after a run.
    pub fn into_oracle(self) -> O {
        self.oracle
    }
}

impl<O: PreimageOracle> Vm<O> {
    /// A VM at the entry point of `elf`.
    pub fn new(elf: &Elf, oracle: O) -> Self {
        let mut memory = Memory::new();
        for seg in &elf.segments {
            memory.write_bytes(seg.vaddr, &seg.data);
        }
        let brk = elf
            .end()
            .div_ceil(PAGE_SIZE as u64)
            .saturating_mul(PAGE_SIZE as u64);
        let mut regs = [0u64; 32];
        regs[2] = STACK_TOP;
        let state = State {
            pc: elf.entry,
            regs,
            preimage_key: B256::ZERO,
            preimage_offset: 0,
            heap: MMAP_BASE,
            brk,
            load_reservation: NO_RESERVATION,
            exit_code: 0,
            exited: false,
            step: 0,
        };
        Self::from_parts(state, memory, oracle)
    }

    /// A VM from an explicit state and memory.
    pub fn from_parts(state: State, memory: Memory, oracle: O) -> Self {
        Self {
            state,
            memory,
            oracle,
            stdout: Vec::new(),
            stderr: Vec::new(),
            hint_buf: Vec::new(),
            preimage_cache: None,
            panic_reason: None,
            recorder: None,
            decoded: Vec::new(),
        }
    }

    /// The oracle.
    pub fn oracle(&self) -> &O {
        &self.oracle
    }

    /// The encoded state (computes the memory root).
    pub fn encode_state(&mut self) -> [u8; STATE_LEN] {
        let root = self.memory.root();
        self.state.encode(root)
    }

    /// The state hash (computes the memory root).
    pub fn state_hash(&mut self) -> B256 {
        state_hash(&self.encode_state())
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.state.status()
    }

    /// Runs until exit or until `max_steps` steps have been executed in total.
    pub fn run(&mut self, max_steps: Option<u64>) -> Result<()> {
        let limit = max_steps.unwrap_or(u64::MAX);
        if self.decoded.is_empty() {
            self.decoded = vec![(u64::MAX, 0, Instr::Fence, 0); DECODE_CACHE];
        }
        while !self.state.exited && self.state.step < limit {
            self.step()?;
        }
        Ok(())
    }

    pub(crate) fn panic(&mut self, reason: String) {
        self.state.exited = true;
        self.state.exit_code = PANIC_EXIT_CODE;
        self.panic_reason = Some(reason);
    }

    #[inline]
    fn fetch(&mut self, pc: u64) -> u32 {
        let off = pc as usize & (PAGE_SIZE - 1);
        let word = if off <= PAGE_SIZE - 4 {
            self.memory.fetch_u32(pc)
        } else {
            let lo = u16::from_le_bytes(self.memory.read_in_page::<2>(pc));
            let hi = u16::from_le_bytes(self.memory.read_in_page::<2>(pc.wrapping_add(2)));
            u32::from(lo) | (u32::from(hi) << 16)
        };
        if let Some(r) = &mut self.recorder {
            r.touch(pc & !(LEAF_SIZE as u64 - 1));
            if word & 3 == 3 {
                r.touch(pc.wrapping_add(2) & !(LEAF_SIZE as u64 - 1));
            }
        }
        word
    }

    /// Loads `size` (1, 2, 4 or 8) bytes; `None` if misaligned.
    #[inline]
    pub(crate) fn load(&mut self, addr: u64, size: u64) -> Option<u64> {
        if addr & (size - 1) != 0 {
            return None;
        }
        if let Some(r) = &mut self.recorder {
            r.touch(addr & !(LEAF_SIZE as u64 - 1));
        }
        let m = &self.memory;
        Some(match size {
            1 => u64::from(m.read_in_page::<1>(addr)[0]),
            2 => u64::from(u16::from_le_bytes(m.read_in_page::<2>(addr))),
            4 => u64::from(u32::from_le_bytes(m.read_in_page::<4>(addr))),
            _ => u64::from_le_bytes(m.read_in_page::<8>(addr)),
        })
    }

    /// Stores the low `size` bytes of `value`; `None` if misaligned.
    #[inline]
    pub(crate) fn store(&mut self, addr: u64, size: u64, value: u64) -> Option<()> {
        if addr & (size - 1) != 0 {
            return None;
        }
        self.note_write(addr);
        self.memory
            .write_in_page(addr, &value.to_le_bytes()[..size as usize]);
        Some(())
    }

    /// Records the leaf of a write about to happen at `addr` (witness mode only).
    #[inline]
    pub(crate) fn note_write(&mut self, addr: u64) {
        if let Some(r) = &mut self.recorder {
            let leaf = addr & !(LEAF_SIZE as u64 - 1);
            r.touch(leaf);
            if !r.undo.iter().any(|(l, _)| *l == leaf) {
                r.undo.push((leaf, self.memory.leaf(leaf)));
            }
        }
    }

    #[inline]
    fn reg(&self, r: u8) -> u64 {
        self.state.regs[r as usize]
    }

    #[inline]
    fn set(&mut self, rd: u8, v: u64) {
        if rd != 0 {
            self.state.regs[rd as usize] = v;
        }
    }

    /// Executes one instruction. Errors are host failures (an oracle problem, or stepping an
    /// exited VM); a faulty program ends in [`Status::Panic`] instead.
    pub fn step(&mut self) -> Result<()> {
        if self.state.exited {
            return Err(Error::Exited);
        }
        let pc = self.state.pc;
        if pc & 1 != 0 {
            self.state.step = self.state.step.wrapping_add(1);
            self.panic(format!("misaligned pc {pc:#x}"));
            return Ok(());
        }
        let word = self.fetch(pc);
        let slot = (pc >> 1) as usize & (DECODE_CACHE - 1);
        let (instr, len) = match self.decoded.get(slot) {
            Some(&(cpc, cword, instr, len)) if cpc == pc && cword == word => (instr, len),
            Some(_) => {
                let d = decode(word);
                self.decoded[slot] = (pc, word, d.0, d.1);
                d
            }
            None => decode(word),
        };
        self.state.step = self.state.step.wrapping_add(1);
        let mut next = pc.wrapping_add(len);
        match instr {
            Instr::Lui { rd, imm } => self.set(rd, imm as u64),
            Instr::Auipc { rd, imm } => self.set(rd, pc.wrapping_add(imm as u64)),
            Instr::Jal { rd, imm } => {
                self.set(rd, next);
                next = pc.wrapping_add(imm as u64);
            }
            Instr::Jalr { rd, rs1, imm } => {
                let target = self.reg(rs1).wrapping_add(imm as u64) & !1;
                self.set(rd, next);
                next = target;
            }
            Instr::Branch { op, rs1, rs2, imm } => {
                let (a, b) = (self.reg(rs1), self.reg(rs2));
                let taken = match op {
                    BranchOp::Eq => a == b,
                    BranchOp::Ne => a != b,
                    BranchOp::Lt => (a as i64) < (b as i64),
                    BranchOp::Ge => (a as i64) >= (b as i64),
                    BranchOp::Ltu => a < b,
                    BranchOp::Geu => a >= b,
                };
                if taken {
                    next = pc.wrapping_add(imm as u64);
                }
            }
            Instr::Load { op, rd, rs1, imm } => {
                let addr = self.reg(rs1).wrapping_add(imm as u64);
                let (size, signed) = match op {
                    LoadOp::Lb => (1, true),
                    LoadOp::Lh => (2, true),
                    LoadOp::Lw => (4, true),
                    LoadOp::Ld => (8, false),
                    LoadOp::Lbu => (1, false),
                    LoadOp::Lhu => (2, false),
                    LoadOp::Lwu => (4, false),
                };
                let Some(v) = self.load(addr, size) else {
                    self.panic(format!(
                        "misaligned {size}-byte load at {addr:#x} (pc {pc:#x})"
                    ));
                    return Ok(());
                };
                self.set(rd, if signed { sign_extend(v, size) } else { v });
            }
            Instr::Store { op, rs1, rs2, imm } => {
                let addr = self.reg(rs1).wrapping_add(imm as u64);
                let size = match op {
                    StoreOp::Sb => 1,
                    StoreOp::Sh => 2,
                    StoreOp::Sw => 4,
                    StoreOp::Sd => 8,
                };
                if self.store(addr, size, self.reg(rs2)).is_none() {
                    self.panic(format!(
                        "misaligned {size}-byte store at {addr:#x} (pc {pc:#x})"
                    ));
                    return Ok(());
                }
            }
            Instr::OpImm { op, rd, rs1, imm } => self.set(rd, alu(op, self.reg(rs1), imm as u64)),
            Instr::OpImm32 { op, rd, rs1, imm } => {
                self.set(rd, alu32(op, self.reg(rs1), imm as u64))
            }
            Instr::Op { op, rd, rs1, rs2 } => self.set(rd, alu(op, self.reg(rs1), self.reg(rs2))),
            Instr::Op32 { op, rd, rs1, rs2 } => {
                self.set(rd, alu32(op, self.reg(rs1), self.reg(rs2)))
            }
            Instr::Lr { double, rd, rs1 } => {
                let addr = self.reg(rs1);
                let size = if double { 8 } else { 4 };
                let Some(v) = self.load(addr, size) else {
                    self.panic(format!("misaligned LR at {addr:#x} (pc {pc:#x})"));
                    return Ok(());
                };
                self.set(rd, sign_extend(v, size));
                self.state.load_reservation = addr;
            }
            Instr::Sc {
                double,
                rd,
                rs1,
                rs2,
            } => {
                let addr = self.reg(rs1);
                let size = if double { 8 } else { 4 };
                if addr & (size - 1) != 0 {
                    self.panic(format!("misaligned SC at {addr:#x} (pc {pc:#x})"));
                    return Ok(());
                }
                let ok = self.state.load_reservation == addr;
                self.state.load_reservation = NO_RESERVATION;
                if ok {
                    self.store(addr, size, self.reg(rs2));
                }
                self.set(rd, u64::from(!ok));
            }
            Instr::Amo {
                op,
                double,
                rd,
                rs1,
                rs2,
            } => {
                let addr = self.reg(rs1);
                let size = if double { 8 } else { 4 };
                let Some(old) = self.load(addr, size) else {
                    self.panic(format!("misaligned AMO at {addr:#x} (pc {pc:#x})"));
                    return Ok(());
                };
                let old = sign_extend(old, size);
                let new = amo(op, double, old, self.reg(rs2));
                self.store(addr, size, new);
                self.set(rd, old);
            }
            Instr::Fence => {}
            Instr::Ecall => {
                self.syscall()?;
                if self.state.exited {
                    return Ok(());
                }
            }
            Instr::Unsupported(kind) => {
                let what = match kind {
                    Unsupported::Csr => "CSR instruction",
                    Unsupported::Float => "floating-point instruction",
                    Unsupported::Ebreak => "EBREAK",
                    Unsupported::Illegal => "illegal instruction",
                };
                let raw = self.memory.read_bytes(pc, len as usize);
                self.panic(format!("{what} {raw:02x?} at pc {pc:#x}"));
                return Ok(());
            }
        }
        self.state.pc = next;
        Ok(())
    }
}

#[inline]
fn sign_extend(v: u64, size: u64) -> u64 {
    match size {
        1 => v as u8 as i8 as i64 as u64,
        2 => v as u16 as i16 as i64 as u64,
        4 => v as u32 as i32 as i64 as u64,
        _ => v,
    }
}

/// 64-bit ALU. Division follows the RISC-V spec: no traps, fixed results for x/0 and overflow.
#[inline]
pub fn alu(op: AluOp, a: u64, b: u64) -> u64 {
    let (sa, sb) = (a as i64, b as i64);
    match op {
        AluOp::Add => a.wrapping_add(b),
        AluOp::Sub => a.wrapping_sub(b),
        AluOp::Sll => a << (b & 63),
        AluOp::Slt => u64::from(sa < sb),
        AluOp::Sltu => u64::from(a < b),
        AluOp::Xor => a ^ b,
        AluOp::Srl => a >> (b & 63),
        AluOp::Sra => (sa >> (b & 63)) as u64,
        AluOp::Or => a | b,
        AluOp::And => a & b,
        AluOp::Mul => a.wrapping_mul(b),
        AluOp::Mulh => ((i128::from(sa) * i128::from(sb)) >> 64) as u64,
        AluOp::Mulhsu => (i128::from(sa).wrapping_mul(i128::from(b)) >> 64) as u64,
        AluOp::Mulhu => ((u128::from(a) * u128::from(b)) >> 64) as u64,
        AluOp::Div if b == 0 => u64::MAX,
        AluOp::Div => sa.wrapping_div(sb) as u64,
        AluOp::Divu if b == 0 => u64::MAX,
        AluOp::Divu => a / b,
        AluOp::Rem if b == 0 => a,
        AluOp::Rem => sa.wrapping_rem(sb) as u64,
        AluOp::Remu if b == 0 => a,
        AluOp::Remu => a % b,
    }
}

/// The `W` ALU: operates on the low 32 bits and sign-extends the 32-bit result.
#[inline]
pub fn alu32(op: AluOp, a: u64, b: u64) -> u64 {
    let (a32, b32) = (a as u32, b as u32);
    let (sa, sb) = (a32 as i32, b32 as i32);
    let r: u32 = match op {
        AluOp::Add => a32.wrapping_add(b32),
        AluOp::Sub => a32.wrapping_sub(b32),
        AluOp::Sll => a32 << (b32 & 31),
        AluOp::Srl => a32 >> (b32 & 31),
        AluOp::Sra => (sa >> (b32 & 31)) as u32,
        AluOp::Mul => a32.wrapping_mul(b32),
        AluOp::Div if b32 == 0 => u32::MAX,
        AluOp::Div => sa.wrapping_div(sb) as u32,
        AluOp::Divu if b32 == 0 => u32::MAX,
        AluOp::Divu => a32 / b32,
        AluOp::Rem if b32 == 0 => a32,
        AluOp::Rem => sa.wrapping_rem(sb) as u32,
        AluOp::Remu if b32 == 0 => a32,
        AluOp::Remu => a32 % b32,
        // Not produced by the decoder for W forms; computed on 64 bits and truncated.
        other => alu(other, a, b) as u32,
    };
    r as i32 as i64 as u64
}

/// The value an AMO stores, given the (sign-extended) old value and `rs2`.
fn amo(op: AmoOp, double: bool, old: u64, src: u64) -> u64 {
    let src = if double {
        src
    } else {
        src as u32 as i32 as i64 as u64
    };
    match op {
        AmoOp::Swap => src,
        AmoOp::Add => old.wrapping_add(src),
        AmoOp::Xor => old ^ src,
        AmoOp::And => old & src,
        AmoOp::Or => old | src,
        AmoOp::Min => (old as i64).min(src as i64) as u64,
        AmoOp::Max => (old as i64).max(src as i64) as u64,
        AmoOp::Minu if double => old.min(src),
        AmoOp::Maxu if double => old.max(src),
        AmoOp::Minu => u64::from((old as u32).min(src as u32)),
        AmoOp::Maxu => u64::from((old as u32).max(src as u32)),
    }
}
