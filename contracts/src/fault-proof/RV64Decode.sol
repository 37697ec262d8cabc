// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// RV64IMAC decoding for RISCV.sol: the kind and operation codes, and the RV64Decode library.

uint256 constant M64 = 0xffffffffffffffff;

// Decoded instruction kinds.
uint256 constant K_LUI = 0;
uint256 constant K_AUIPC = 1;
uint256 constant K_JAL = 2;
uint256 constant K_JALR = 3;
uint256 constant K_BRANCH = 4;
uint256 constant K_LOAD = 5;
uint256 constant K_STORE = 6;
uint256 constant K_OPIMM = 7;
uint256 constant K_OPIMM32 = 8;
uint256 constant K_OP = 9;
uint256 constant K_OP32 = 10;
uint256 constant K_LR = 11;
uint256 constant K_SC = 12;
uint256 constant K_AMO = 13;
uint256 constant K_FENCE = 14;
uint256 constant K_ECALL = 15;
/// @dev CSR, floating point, EBREAK, FENCE.I, privileged, reserved and unknown encodings.
uint256 constant K_PANIC = 16;

// ALU operations (the crate's `AluOp` order).
uint256 constant ADD = 0;
uint256 constant SUB = 1;
uint256 constant SLL = 2;
uint256 constant SLT = 3;
uint256 constant SLTU = 4;
uint256 constant XOR = 5;
uint256 constant SRL = 6;
uint256 constant SRA = 7;
uint256 constant OR = 8;
uint256 constant AND = 9;
uint256 constant MUL = 10;
uint256 constant MULH = 11;
uint256 constant MULHSU = 12;
uint256 constant MULHU = 13;
uint256 constant DIV = 14;
uint256 constant DIVU = 15;
uint256 constant REM = 16;
uint256 constant REMU = 17;

/// @dev Sign-extends the low `bits` bits of `x` to 64 bits.
function sext(uint256 x, uint256 bits) pure returns (uint256) {
    unchecked {
        uint256 sign = 1 << (bits - 1);
        return ((x ^ sign) - sign) & M64;
    }
}

/// @title RV64Decode
/// @notice RV64IMAC instruction decoding for the RISCV step contract: 32-bit encodings and the
///         compressed (C) forms, which decode to the form of their 32-bit expansion. A decoded
///         instruction is packed into one word (see `pk`): its kind, operation, registers and
///         sign-extended 64-bit immediate. Mirrors `decode.rs` of `sprout-fault-proof-vm`:
///         every encoding that crate decodes as unsupported (CSR, F/D, EBREAK, privileged,
///         reserved, unknown) decodes to K_PANIC here.
library RV64Decode {
    /// @dev Decodes a 32-bit instruction word, packed by `pk`.
    function decode32(uint256 w) internal pure returns (uint256) {
        unchecked {
            uint256 kind = K_PANIC;
            uint256 op;
            uint256 imm;
            // 48-bit and longer encodings are not part of RV64IMAC.
            if (w & 0x1c == 0x1c) return K_PANIC;
            uint256 opc = w & 0x7f;
            uint256 f3 = (w >> 12) & 7;
            uint256 f7 = w >> 25;
            if (opc == 0x37 || opc == 0x17) {
                kind = opc == 0x37 ? K_LUI : K_AUIPC;
                imm = sext(w & 0xfffff000, 32);
            } else if (opc == 0x6f) {
                kind = K_JAL;
                imm = jImm32(w);
            } else if (opc == 0x67) {
                if (f3 == 0) {
                    kind = K_JALR;
                    imm = sext(w >> 20, 12);
                }
            } else if (opc == 0x63) {
                if (f3 != 2 && f3 != 3) {
                    kind = K_BRANCH;
                    op = f3;
                    imm = bImm32(w);
                }
            } else if (opc == 0x03) {
                if (f3 != 7) {
                    kind = K_LOAD;
                    op = f3;
                    imm = sext(w >> 20, 12);
                }
            } else if (opc == 0x23) {
                if (f3 < 4) {
                    kind = K_STORE;
                    op = f3;
                    imm = sext((f7 << 5) | ((w >> 7) & 31), 12);
                }
            } else if (opc == 0x13) {
                uint256 f6 = w >> 26;
                kind = K_OPIMM;
                imm = sext(w >> 20, 12);
                if (f3 == 0) {
                    op = ADD;
                } else if (f3 == 2) {
                    op = SLT;
                } else if (f3 == 3) {
                    op = SLTU;
                } else if (f3 == 4) {
                    op = XOR;
                } else if (f3 == 6) {
                    op = OR;
                } else if (f3 == 7) {
                    op = AND;
                } else {
                    imm = (w >> 20) & 63;
                    if (f3 == 1 && f6 == 0) op = SLL;
                    else if (f3 == 5 && f6 == 0) op = SRL;
                    else if (f3 == 5 && f6 == 0x10) op = SRA;
                    else kind = K_PANIC;
                }
            } else if (opc == 0x1b) {
                kind = K_OPIMM32;
                if (f3 == 0) {
                    op = ADD;
                    imm = sext(w >> 20, 12);
                } else {
                    imm = (w >> 20) & 31;
                    if (f3 == 1 && f7 == 0) op = SLL;
                    else if (f3 == 5 && f7 == 0) op = SRL;
                    else if (f3 == 5 && f7 == 0x20) op = SRA;
                    else kind = K_PANIC;
                }
            } else if (opc == 0x33) {
                kind = K_OP;
                op = opFromFunct(f7, f3, false);
                if (op == type(uint256).max) kind = K_PANIC;
            } else if (opc == 0x3b) {
                kind = K_OP32;
                op = opFromFunct(f7, f3, true);
                if (op == type(uint256).max) kind = K_PANIC;
            } else if (opc == 0x2f) {
                if (f3 == 2 || f3 == 3) {
                    uint256 dbl = f3 - 2;
                    uint256 f5 = w >> 27;
                    if (f5 == 2) {
                        if ((w >> 20) & 31 == 0) {
                            kind = K_LR;
                            op = dbl;
                        }
                    } else if (f5 == 3) {
                        kind = K_SC;
                        op = dbl;
                    } else if (
                        f5 == 0 || f5 == 1 || f5 == 4 || f5 == 8 || f5 == 0xc || f5 == 0x10 || f5 == 0x14 || f5 == 0x18
                            || f5 == 0x1c
                    ) {
                        kind = K_AMO;
                        op = f5 | (dbl << 8);
                    }
                }
            } else if (opc == 0x0f) {
                if (f3 == 0) kind = K_FENCE;
            } else if (opc == 0x73) {
                if (f3 == 0 && (w >> 7) == 0) kind = K_ECALL;
            }
            return pk(kind, op, (w >> 7) & 31, (w >> 15) & 31, (w >> 20) & 31, imm);
        }
    }

    /// @dev The J-type immediate.
    function jImm32(uint256 w) internal pure returns (uint256) {
        unchecked {
            return sext(
                ((w >> 31) << 20) | (((w >> 12) & 0xff) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 0x3ff) << 1),
                21
            );
        }
    }

    /// @dev The B-type immediate.
    function bImm32(uint256 w) internal pure returns (uint256) {
        unchecked {
            return
                sext(
                    ((w >> 31) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3f) << 5) | (((w >> 8) & 0xf) << 1), 13
                );
        }
    }

    /// @dev Packs a decoded instruction: kind, op, rd, rs1, rs2 in bytes 0, 1-2, 3, 4, 5, imm above bit 64.
    function pk(uint256 kind, uint256 op, uint256 rd, uint256 rs1, uint256 rs2, uint256 imm)
        internal
        pure
        returns (uint256)
    {
        return kind | (op << 8) | (rd << 24) | (rs1 << 32) | (rs2 << 40) | (imm << 64);
    }

    /// @dev The ALU op of an OP (or OP-32 when `w`) instruction; max for an illegal encoding.
    function opFromFunct(uint256 f7, uint256 f3, bool w) internal pure returns (uint256) {
        if (f7 == 1) {
            // M: mul mulh mulhsu mulhu div divu rem remu; W forms only mul and div/rem.
            if (w && f3 != 0 && f3 < 4) return type(uint256).max;
            return MUL + f3;
        }
        if (f7 == 0) {
            if (w && f3 != 0 && f3 != 1 && f3 != 5) return type(uint256).max;
            if (f3 == 0) return ADD;
            if (f3 == 1) return SLL;
            if (f3 == 2) return SLT;
            if (f3 == 3) return SLTU;
            if (f3 == 4) return XOR;
            if (f3 == 5) return SRL;
            if (f3 == 6) return OR;
            return AND;
        }
        if (f7 == 0x20) {
            if (f3 == 0) return SUB;
            if (f3 == 5) return SRA;
        }
        return type(uint256).max;
    }

    /// @dev Decodes a compressed instruction into the form of its 32-bit expansion.
    function decode16(uint256 c) internal pure returns (uint256) {
        uint256 q = c & 3;
        if (q == 0) return decodeC0(c);
        if (q == 1) return decodeC1(c);
        return decodeC2(c);
    }

    /// @dev Quadrant 0: C.ADDI4SPN and the register-based loads and stores.
    function decodeC0(uint256 c) internal pure returns (uint256) {
        unchecked {
            uint256 f = (c >> 13) & 7;
            if (f == 0) {
                uint256 nz =
                    (((c >> 11) & 3) << 4) | (((c >> 7) & 15) << 6) | (((c >> 6) & 1) << 2) | (((c >> 5) & 1) << 3);
                if (nz != 0) return pk(K_OPIMM, ADD, ((c >> 2) & 7) + 8, 2, 0, nz);
            } else if (f == 2 || f == 6) {
                uint256 imm = (((c >> 10) & 7) << 3) | (((c >> 6) & 1) << 2) | (((c >> 5) & 1) << 6);
                if (f == 2) return pk(K_LOAD, 2, ((c >> 2) & 7) + 8, ((c >> 7) & 7) + 8, 0, imm);
                return pk(K_STORE, 2, 0, ((c >> 7) & 7) + 8, ((c >> 2) & 7) + 8, imm);
            } else if (f == 3 || f == 7) {
                uint256 imm = (((c >> 10) & 7) << 3) | (((c >> 5) & 3) << 6);
                if (f == 3) return pk(K_LOAD, 3, ((c >> 2) & 7) + 8, ((c >> 7) & 7) + 8, 0, imm);
                return pk(K_STORE, 3, 0, ((c >> 7) & 7) + 8, ((c >> 2) & 7) + 8, imm);
            }
            // f 1 and 5: C.FLD/C.FSD; f 4: reserved.
            return K_PANIC;
        }
    }

    /// @dev Quadrant 1: immediates, C.LUI/C.ADDI16SP, register ALU ops, C.J and branches.
    function decodeC1(uint256 c) internal pure returns (uint256) {
        unchecked {
            uint256 f = (c >> 13) & 7;
            uint256 r = (c >> 7) & 31;
            if (f == 0) return pk(K_OPIMM, ADD, r, r, 0, imm6(c));
            if (f == 1) {
                if (r != 0) return pk(K_OPIMM32, ADD, r, r, 0, imm6(c));
            } else if (f == 2) {
                return pk(K_OPIMM, ADD, r, 0, 0, imm6(c));
            } else if (f == 3) {
                if (r == 2) {
                    uint256 imm = addi16spImm(c);
                    if (imm != 0) return pk(K_OPIMM, ADD, 2, 2, 0, imm);
                } else if (imm6(c) != 0) {
                    return pk(K_LUI, 0, r, 0, 0, (imm6(c) << 12) & M64);
                }
            } else if (f == 4) {
                return decodeC1Alu(c);
            } else if (f == 5) {
                return pk(K_JAL, 0, 0, 0, 0, jImm(c));
            } else {
                return pk(K_BRANCH, f == 6 ? 0 : 1, 0, ((c >> 7) & 7) + 8, 0, bImm(c));
            }
            return K_PANIC;
        }
    }

    /// @dev Quadrant 1, funct3 4: C.SRLI, C.SRAI, C.ANDI, C.SUB/XOR/OR/AND, C.SUBW/ADDW.
    function decodeC1Alu(uint256 c) internal pure returns (uint256) {
        unchecked {
            uint256 b12 = (c >> 12) & 1;
            uint256 r2 = (c >> 2) & 31;
            uint256 sel = (c >> 10) & 3;
            uint256 shamt = (b12 << 5) | r2;
            if (sel == 0) return pk(K_OPIMM, SRL, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, 0, shamt);
            if (sel == 1) return pk(K_OPIMM, SRA, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, 0, shamt);
            if (sel == 2) {
                return pk(K_OPIMM, AND, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, 0, sext((b12 << 5) | r2, 6));
            }
            uint256 f2 = (c >> 5) & 3;
            if (b12 == 0) {
                uint256 op = f2 == 0 ? SUB : f2 == 1 ? XOR : f2 == 2 ? OR : AND;
                return pk(K_OP, op, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, ((c >> 2) & 7) + 8, 0);
            }
            if (f2 == 0) return pk(K_OP32, SUB, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, ((c >> 2) & 7) + 8, 0);
            if (f2 == 1) return pk(K_OP32, ADD, ((c >> 7) & 7) + 8, ((c >> 7) & 7) + 8, ((c >> 2) & 7) + 8, 0);
            return K_PANIC;
        }
    }

    /// @dev The 6-bit signed immediate of the CI format.
    function imm6(uint256 c) internal pure returns (uint256) {
        return sext((((c >> 12) & 1) << 5) | ((c >> 2) & 31), 6);
    }

    /// @dev C.ADDI16SP's immediate.
    function addi16spImm(uint256 c) internal pure returns (uint256) {
        unchecked {
            return sext(
                ((c >> 12) & 1) << 9 | (((c >> 6) & 1) << 4) | (((c >> 5) & 1) << 6) | (((c >> 3) & 3) << 7)
                    | (((c >> 2) & 1) << 5),
                10
            );
        }
    }

    /// @dev C.J's immediate.
    function jImm(uint256 c) internal pure returns (uint256) {
        unchecked {
            return sext(
                (((c >> 12) & 1) << 11) | (((c >> 11) & 1) << 4) | (((c >> 9) & 3) << 8) | (((c >> 8) & 1) << 10)
                    | (((c >> 7) & 1) << 6) | (((c >> 6) & 1) << 7) | (((c >> 3) & 7) << 1) | (((c >> 2) & 1) << 5),
                12
            );
        }
    }

    /// @dev C.BEQZ/C.BNEZ's immediate.
    function bImm(uint256 c) internal pure returns (uint256) {
        unchecked {
            return sext(
                (((c >> 12) & 1) << 8) | (((c >> 10) & 3) << 3) | (((c >> 5) & 3) << 6) | (((c >> 3) & 3) << 1)
                    | (((c >> 2) & 1) << 5),
                9
            );
        }
    }

    /// @dev Quadrant 2: C.SLLI, stack-pointer loads and stores, C.JR/C.JALR/C.MV/C.ADD.
    function decodeC2(uint256 c) internal pure returns (uint256) {
        unchecked {
            uint256 f = (c >> 13) & 7;
            uint256 b12 = (c >> 12) & 1;
            uint256 r = (c >> 7) & 31;
            uint256 r2 = (c >> 2) & 31;
            if (f == 0) return pk(K_OPIMM, SLL, r, r, 0, (b12 << 5) | r2);
            if (f == 2) {
                if (r != 0) {
                    return pk(K_LOAD, 2, r, 2, 0, (b12 << 5) | (((c >> 4) & 7) << 2) | (((c >> 2) & 3) << 6));
                }
            } else if (f == 3) {
                if (r != 0) {
                    return pk(K_LOAD, 3, r, 2, 0, (b12 << 5) | (((c >> 5) & 3) << 3) | (((c >> 2) & 7) << 6));
                }
            } else if (f == 4) {
                if (b12 == 0) {
                    if (r2 != 0) return pk(K_OP, ADD, r, 0, r2, 0);
                    if (r != 0) return pk(K_JALR, 0, 0, r, 0, 0);
                } else {
                    if (r2 != 0) return pk(K_OP, ADD, r, r, r2, 0);
                    if (r != 0) return pk(K_JALR, 0, 1, r, 0, 0);
                    // C.EBREAK
                }
            } else if (f == 6) {
                return pk(K_STORE, 2, 0, 2, r2, (((c >> 9) & 15) << 2) | (((c >> 7) & 3) << 6));
            } else if (f == 7) {
                return pk(K_STORE, 3, 0, 2, r2, (((c >> 10) & 7) << 3) | (((c >> 7) & 7) << 6));
            }
            // f 1 and 5: C.FLDSP/C.FSDSP.
            return K_PANIC;
        }
    }
}
