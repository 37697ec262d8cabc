//! Instruction decoding for RV64IMAC: 32-bit encodings and the compressed (C) forms, which are
//! expanded to the same [`Instr`] as their 32-bit equivalents.

/// Integer ALU operation, shared by register and immediate forms (`W` forms use the same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AluOp {
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
}

/// Branch condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchOp {
    Eq,
    Ne,
    Lt,
    Ge,
    Ltu,
    Geu,
}

/// Load width and signedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadOp {
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
}

/// Store width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    Sb,
    Sh,
    Sw,
    Sd,
}

/// Atomic memory operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmoOp {
    Swap,
    Add,
    Xor,
    And,
    Or,
    Min,
    Max,
    Minu,
    Maxu,
}

/// Why an instruction is not executed: each ends the VM in the panic state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A CSR access (Zicsr).
    Csr,
    /// A floating-point instruction (F/D, including compressed loads and stores).
    Float,
    /// `EBREAK` / `C.EBREAK`.
    Ebreak,
    /// Anything else: reserved, privileged or unknown encodings.
    Illegal,
}

/// A decoded instruction. Register fields are 0..32; immediates are sign-extended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instr {
    Lui {
        rd: u8,
        imm: i64,
    },
    Auipc {
        rd: u8,
        imm: i64,
    },
    Jal {
        rd: u8,
        imm: i64,
    },
    Jalr {
        rd: u8,
        rs1: u8,
        imm: i64,
    },
    Branch {
        op: BranchOp,
        rs1: u8,
        rs2: u8,
        imm: i64,
    },
    Load {
        op: LoadOp,
        rd: u8,
        rs1: u8,
        imm: i64,
    },
    Store {
        op: StoreOp,
        rs1: u8,
        rs2: u8,
        imm: i64,
    },
    OpImm {
        op: AluOp,
        rd: u8,
        rs1: u8,
        imm: i64,
    },
    OpImm32 {
        op: AluOp,
        rd: u8,
        rs1: u8,
        imm: i64,
    },
    Op {
        op: AluOp,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    Op32 {
        op: AluOp,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    Lr {
        double: bool,
        rd: u8,
        rs1: u8,
    },
    Sc {
        double: bool,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    Amo {
        op: AmoOp,
        double: bool,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    Fence,
    Ecall,
    Unsupported(Unsupported),
}

const ILLEGAL: Instr = Instr::Unsupported(Unsupported::Illegal);

/// The length in bytes of the instruction whose first 16-bit parcel is `low`.
#[inline]
pub fn length(low: u16) -> u64 {
    if low & 3 == 3 { 4 } else { 2 }
}

#[inline]
fn bits(x: u32, hi: u32, lo: u32) -> u32 {
    (x >> lo) & ((1 << (hi - lo + 1)) - 1)
}

#[inline]
fn sext(x: u32, width: u32) -> i64 {
    let shift = 64 - width;
    ((x as i64) << shift) >> shift
}

/// Decodes a 32-bit instruction word.
pub fn decode32(w: u32) -> Instr {
    let rd = bits(w, 11, 7) as u8;
    let rs1 = bits(w, 19, 15) as u8;
    let rs2 = bits(w, 24, 20) as u8;
    let f3 = bits(w, 14, 12);
    let f7 = bits(w, 31, 25);
    let imm_i = sext(w >> 20, 12);
    let imm_s = sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12);
    let imm_b = sext(
        (bits(w, 31, 31) << 12)
            | (bits(w, 7, 7) << 11)
            | (bits(w, 30, 25) << 5)
            | (bits(w, 11, 8) << 1),
        13,
    );
    let imm_u = sext(w & 0xffff_f000, 32);
    let imm_j = sext(
        (bits(w, 31, 31) << 20)
            | (bits(w, 19, 12) << 12)
            | (bits(w, 20, 20) << 11)
            | (bits(w, 30, 21) << 1),
        21,
    );
    match w & 0x7f {
        0x37 => Instr::Lui { rd, imm: imm_u },
        0x17 => Instr::Auipc { rd, imm: imm_u },
        0x6f => Instr::Jal { rd, imm: imm_j },
        0x67 if f3 == 0 => Instr::Jalr {
            rd,
            rs1,
            imm: imm_i,
        },
        0x63 => {
            let op = match f3 {
                0 => BranchOp::Eq,
                1 => BranchOp::Ne,
                4 => BranchOp::Lt,
                5 => BranchOp::Ge,
                6 => BranchOp::Ltu,
                7 => BranchOp::Geu,
                _ => return ILLEGAL,
            };
            Instr::Branch {
                op,
                rs1,
                rs2,
                imm: imm_b,
            }
        }
        0x03 => {
            let op = match f3 {
                0 => LoadOp::Lb,
                1 => LoadOp::Lh,
                2 => LoadOp::Lw,
                3 => LoadOp::Ld,
                4 => LoadOp::Lbu,
                5 => LoadOp::Lhu,
                6 => LoadOp::Lwu,
                _ => return ILLEGAL,
            };
            Instr::Load {
                op,
                rd,
                rs1,
                imm: imm_i,
            }
        }
        0x23 => {
            let op = match f3 {
                0 => StoreOp::Sb,
                1 => StoreOp::Sh,
                2 => StoreOp::Sw,
                3 => StoreOp::Sd,
                _ => return ILLEGAL,
            };
            Instr::Store {
                op,
                rs1,
                rs2,
                imm: imm_s,
            }
        }
        0x13 => {
            let shamt = i64::from(bits(w, 25, 20));
            let f6 = bits(w, 31, 26);
            let (op, imm) = match f3 {
                0 => (AluOp::Add, imm_i),
                2 => (AluOp::Slt, imm_i),
                3 => (AluOp::Sltu, imm_i),
                4 => (AluOp::Xor, imm_i),
                6 => (AluOp::Or, imm_i),
                7 => (AluOp::And, imm_i),
                1 if f6 == 0 => (AluOp::Sll, shamt),
                5 if f6 == 0 => (AluOp::Srl, shamt),
                5 if f6 == 0x10 => (AluOp::Sra, shamt),
                _ => return ILLEGAL,
            };
            Instr::OpImm { op, rd, rs1, imm }
        }
        0x1b => {
            let shamt = i64::from(bits(w, 24, 20));
            let (op, imm) = match (f3, f7) {
                (0, _) => (AluOp::Add, imm_i),
                (1, 0) => (AluOp::Sll, shamt),
                (5, 0) => (AluOp::Srl, shamt),
                (5, 0x20) => (AluOp::Sra, shamt),
                _ => return ILLEGAL,
            };
            Instr::OpImm32 { op, rd, rs1, imm }
        }
        0x33 => {
            let op = match (f7, f3) {
                (0, 0) => AluOp::Add,
                (0x20, 0) => AluOp::Sub,
                (0, 1) => AluOp::Sll,
                (0, 2) => AluOp::Slt,
                (0, 3) => AluOp::Sltu,
                (0, 4) => AluOp::Xor,
                (0, 5) => AluOp::Srl,
                (0x20, 5) => AluOp::Sra,
                (0, 6) => AluOp::Or,
                (0, 7) => AluOp::And,
                (1, 0) => AluOp::Mul,
                (1, 1) => AluOp::Mulh,
                (1, 2) => AluOp::Mulhsu,
                (1, 3) => AluOp::Mulhu,
                (1, 4) => AluOp::Div,
                (1, 5) => AluOp::Divu,
                (1, 6) => AluOp::Rem,
                (1, 7) => AluOp::Remu,
                _ => return ILLEGAL,
            };
            Instr::Op { op, rd, rs1, rs2 }
        }
        0x3b => {
            let op = match (f7, f3) {
                (0, 0) => AluOp::Add,
                (0x20, 0) => AluOp::Sub,
                (0, 1) => AluOp::Sll,
                (0, 5) => AluOp::Srl,
                (0x20, 5) => AluOp::Sra,
                (1, 0) => AluOp::Mul,
                (1, 4) => AluOp::Div,
                (1, 5) => AluOp::Divu,
                (1, 6) => AluOp::Rem,
                (1, 7) => AluOp::Remu,
                _ => return ILLEGAL,
            };
            Instr::Op32 { op, rd, rs1, rs2 }
        }
        0x2f => {
            let double = match f3 {
                2 => false,
                3 => true,
                _ => return ILLEGAL,
            };
            let op = match bits(w, 31, 27) {
                0b00010 if rs2 == 0 => return Instr::Lr { double, rd, rs1 },
                0b00011 => {
                    return Instr::Sc {
                        double,
                        rd,
                        rs1,
                        rs2,
                    };
                }
                0b00001 => AmoOp::Swap,
                0b00000 => AmoOp::Add,
                0b00100 => AmoOp::Xor,
                0b01100 => AmoOp::And,
                0b01000 => AmoOp::Or,
                0b10000 => AmoOp::Min,
                0b10100 => AmoOp::Max,
                0b11000 => AmoOp::Minu,
                0b11100 => AmoOp::Maxu,
                _ => return ILLEGAL,
            };
            Instr::Amo {
                op,
                double,
                rd,
                rs1,
                rs2,
            }
        }
        0x0f if f3 == 0 => Instr::Fence,
        0x73 => match (f3, w >> 7) {
            (0, 0) => Instr::Ecall,
            (0, 0x2000) => Instr::Unsupported(Unsupported::Ebreak),
            (0, _) | (4, _) => ILLEGAL,
            _ => Instr::Unsupported(Unsupported::Csr),
        },
        0x07 | 0x27 | 0x43 | 0x47 | 0x4b | 0x4f | 0x53 => Instr::Unsupported(Unsupported::Float),
        _ => ILLEGAL,
    }
}

/// Decodes a 16-bit compressed instruction into its 32-bit equivalent.
pub fn decode16(h: u16) -> Instr {
    let c = u32::from(h);
    let rd = bits(c, 11, 7) as u8;
    let rs2 = bits(c, 6, 2) as u8;
    let rdp = bits(c, 4, 2) as u8 + 8;
    let rs1p = bits(c, 9, 7) as u8 + 8;
    let imm6 = sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
    let uimm_w = i64::from((bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6));
    let uimm_d = i64::from((bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6));
    let float = Instr::Unsupported(Unsupported::Float);
    match (c & 3, bits(c, 15, 13)) {
        (0, 0) => {
            let nzuimm = (bits(c, 12, 11) << 4)
                | (bits(c, 10, 7) << 6)
                | (bits(c, 6, 6) << 2)
                | (bits(c, 5, 5) << 3);
            if nzuimm == 0 {
                return ILLEGAL;
            }
            Instr::OpImm {
                op: AluOp::Add,
                rd: rdp,
                rs1: 2,
                imm: i64::from(nzuimm),
            }
        }
        (0, 1) | (0, 5) | (2, 1) | (2, 5) => float,
        (0, 2) => Instr::Load {
            op: LoadOp::Lw,
            rd: rdp,
            rs1: rs1p,
            imm: uimm_w,
        },
        (0, 3) => Instr::Load {
            op: LoadOp::Ld,
            rd: rdp,
            rs1: rs1p,
            imm: uimm_d,
        },
        (0, 6) => Instr::Store {
            op: StoreOp::Sw,
            rs1: rs1p,
            rs2: rdp,
            imm: uimm_w,
        },
        (0, 7) => Instr::Store {
            op: StoreOp::Sd,
            rs1: rs1p,
            rs2: rdp,
            imm: uimm_d,
        },
        (1, 0) => Instr::OpImm {
            op: AluOp::Add,
            rd,
            rs1: rd,
            imm: imm6,
        },
        (1, 1) if rd != 0 => Instr::OpImm32 {
            op: AluOp::Add,
            rd,
            rs1: rd,
            imm: imm6,
        },
        (1, 2) => Instr::OpImm {
            op: AluOp::Add,
            rd,
            rs1: 0,
            imm: imm6,
        },
        (1, 3) if rd == 2 => {
            let imm = sext(
                (bits(c, 12, 12) << 9)
                    | (bits(c, 6, 6) << 4)
                    | (bits(c, 5, 5) << 6)
                    | (bits(c, 4, 3) << 7)
                    | (bits(c, 2, 2) << 5),
                10,
            );
            if imm == 0 {
                return ILLEGAL;
            }
            Instr::OpImm {
                op: AluOp::Add,
                rd: 2,
                rs1: 2,
                imm,
            }
        }
        (1, 3) => {
            if imm6 == 0 {
                return ILLEGAL;
            }
            Instr::Lui {
                rd,
                imm: imm6 << 12,
            }
        }
        (1, 4) => {
            let shamt = i64::from((bits(c, 12, 12) << 5) | bits(c, 6, 2));
            match (bits(c, 11, 10), bits(c, 12, 12), bits(c, 6, 5)) {
                (0, _, _) => Instr::OpImm {
                    op: AluOp::Srl,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: shamt,
                },
                (1, _, _) => Instr::OpImm {
                    op: AluOp::Sra,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: shamt,
                },
                (2, _, _) => Instr::OpImm {
                    op: AluOp::And,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: imm6,
                },
                (3, 0, f) => {
                    let op = [AluOp::Sub, AluOp::Xor, AluOp::Or, AluOp::And][f as usize];
                    Instr::Op {
                        op,
                        rd: rs1p,
                        rs1: rs1p,
                        rs2: rdp,
                    }
                }
                (3, 1, 0) => Instr::Op32 {
                    op: AluOp::Sub,
                    rd: rs1p,
                    rs1: rs1p,
                    rs2: rdp,
                },
                (3, 1, 1) => Instr::Op32 {
                    op: AluOp::Add,
                    rd: rs1p,
                    rs1: rs1p,
                    rs2: rdp,
                },
                _ => ILLEGAL,
            }
        }
        (1, 5) => {
            let imm = sext(
                (bits(c, 12, 12) << 11)
                    | (bits(c, 11, 11) << 4)
                    | (bits(c, 10, 9) << 8)
                    | (bits(c, 8, 8) << 10)
                    | (bits(c, 7, 7) << 6)
                    | (bits(c, 6, 6) << 7)
                    | (bits(c, 5, 3) << 1)
                    | (bits(c, 2, 2) << 5),
                12,
            );
            Instr::Jal { rd: 0, imm }
        }
        (1, f @ (6 | 7)) => {
            let imm = sext(
                (bits(c, 12, 12) << 8)
                    | (bits(c, 11, 10) << 3)
                    | (bits(c, 6, 5) << 6)
                    | (bits(c, 4, 3) << 1)
                    | (bits(c, 2, 2) << 5),
                9,
            );
            let op = if f == 6 { BranchOp::Eq } else { BranchOp::Ne };
            Instr::Branch {
                op,
                rs1: rs1p,
                rs2: 0,
                imm,
            }
        }
        (2, 0) => {
            let shamt = i64::from((bits(c, 12, 12) << 5) | bits(c, 6, 2));
            Instr::OpImm {
                op: AluOp::Sll,
                rd,
                rs1: rd,
                imm: shamt,
            }
        }
        (2, 2) if rd != 0 => {
            let imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
            Instr::Load {
                op: LoadOp::Lw,
                rd,
                rs1: 2,
                imm: i64::from(imm),
            }
        }
        (2, 3) if rd != 0 => {
            let imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
            Instr::Load {
                op: LoadOp::Ld,
                rd,
                rs1: 2,
                imm: i64::from(imm),
            }
        }
        (2, 4) => match (bits(c, 12, 12), rd, rs2) {
            (0, 0, 0) => ILLEGAL,
            (0, rs1, 0) => Instr::Jalr { rd: 0, rs1, imm: 0 },
            (0, rd, rs2) => Instr::Op {
                op: AluOp::Add,
                rd,
                rs1: 0,
                rs2,
            },
            (_, 0, 0) => Instr::Unsupported(Unsupported::Ebreak),
            (_, rs1, 0) => Instr::Jalr { rd: 1, rs1, imm: 0 },
            (_, rd, rs2) => Instr::Op {
                op: AluOp::Add,
                rd,
                rs1: rd,
                rs2,
            },
        },
        (2, 6) => {
            let imm = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
            Instr::Store {
                op: StoreOp::Sw,
                rs1: 2,
                rs2,
                imm: i64::from(imm),
            }
        }
        (2, 7) => {
            let imm = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
            Instr::Store {
                op: StoreOp::Sd,
                rs1: 2,
                rs2,
                imm: i64::from(imm),
            }
        }
        _ => ILLEGAL,
    }
}

/// Decodes the instruction starting with the parcel(s) in `word` (little-endian; for a 16-bit
/// instruction the upper half is ignored) and returns it with its length in bytes.
#[inline]
pub fn decode(word: u32) -> (Instr, u64) {
    if word & 3 == 3 {
        // 48-bit and longer encodings (low bits 11111) are not part of RV64IMAC.
        if word & 0x1c == 0x1c {
            return (ILLEGAL, 4);
        }
        (decode32(word), 4)
    } else {
        (decode16(word as u16), 2)
    }
}
