//! Table-driven decoding: 32-bit forms against hand-written expectations, and every compressed
//! form against its 32-bit expansion (encodings from llvm-mc).

use sprout_fault_proof_vm::decode::{
    AluOp, AmoOp, BranchOp, Instr, LoadOp, StoreOp, Unsupported as U, decode, decode16, decode32,
};

#[test]
fn decodes_32_bit_forms() {
    use Instr::*;
    let table: &[(u32, Instr)] = &[
        (
            0xfff10093,
            OpImm {
                op: AluOp::Add,
                rd: 1,
                rs1: 2,
                imm: -1,
            },
        ),
        (0xfffff2b7, Lui { rd: 5, imm: -4096 }),
        (0x00001317, Auipc { rd: 6, imm: 4096 }),
        (0x801ff0ef, Jal { rd: 1, imm: -2048 }),
        (
            0x00808067,
            Jalr {
                rd: 0,
                rs1: 1,
                imm: 8,
            },
        ),
        (
            0xfe208ee3,
            Branch {
                op: BranchOp::Eq,
                rs1: 1,
                rs2: 2,
                imm: -4,
            },
        ),
        (
            0x7e41ffe3,
            Branch {
                op: BranchOp::Geu,
                rs1: 3,
                rs2: 4,
                imm: 4094,
            },
        ),
        (
            0xfff40383,
            Load {
                op: LoadOp::Lb,
                rd: 7,
                rs1: 8,
                imm: -1,
            },
        ),
        (
            0x7ff46383,
            Load {
                op: LoadOp::Lwu,
                rd: 7,
                rs1: 8,
                imm: 2047,
            },
        ),
        (
            0xfe913c23,
            Store {
                op: StoreOp::Sd,
                rs1: 2,
                rs2: 9,
                imm: -8,
            },
        ),
        (
            0x00119123,
            Store {
                op: StoreOp::Sh,
                rs1: 3,
                rs2: 1,
                imm: 2,
            },
        ),
        (
            0x03f11093,
            OpImm {
                op: AluOp::Sll,
                rd: 1,
                rs1: 2,
                imm: 63,
            },
        ),
        (
            0x42115093,
            OpImm {
                op: AluOp::Sra,
                rd: 1,
                rs1: 2,
                imm: 33,
            },
        ),
        (
            0x41f1509b,
            OpImm32 {
                op: AluOp::Sra,
                rd: 1,
                rs1: 2,
                imm: 31,
            },
        ),
        (
            0x8001009b,
            OpImm32 {
                op: AluOp::Add,
                rd: 1,
                rs1: 2,
                imm: -2048,
            },
        ),
        (
            0x405201b3,
            Op {
                op: AluOp::Sub,
                rd: 3,
                rs1: 4,
                rs2: 5,
            },
        ),
        (
            0x025221b3,
            Op {
                op: AluOp::Mulhsu,
                rd: 3,
                rs1: 4,
                rs2: 5,
            },
        ),
        (
            0x025271bb,
            Op32 {
                op: AluOp::Remu,
                rd: 3,
                rs1: 4,
                rs2: 5,
            },
        ),
        (
            0x100120af,
            Lr {
                double: false,
                rd: 1,
                rs1: 2,
            },
        ),
        (
            0x1842b1af,
            Sc {
                double: true,
                rd: 3,
                rs1: 5,
                rs2: 4,
            },
        ),
        (
            0xe021b0af,
            Amo {
                op: AmoOp::Maxu,
                double: true,
                rd: 1,
                rs1: 3,
                rs2: 2,
            },
        ),
        (
            0x0821a0af,
            Amo {
                op: AmoOp::Swap,
                double: false,
                rd: 1,
                rs1: 3,
                rs2: 2,
            },
        ),
        (0x0330000f, Fence),
        (0x00000073, Ecall),
        (0x00100073, Unsupported(U::Ebreak)),
        (0x300110f3, Unsupported(U::Csr)),
        (0x003170d3, Unsupported(U::Float)),
        (0x10500073, Unsupported(U::Illegal)), // wfi
        (0x30200073, Unsupported(U::Illegal)), // mret
        (0xffffffff, Unsupported(U::Illegal)),
        (0x6000d0b3, Unsupported(U::Illegal)), // srl with funct7 0x30
    ];
    for &(word, want) in table {
        assert_eq!(decode(word), (want, 4), "{word:#010x}");
    }
}

#[test]
fn compressed_forms_expand_to_their_32_bit_equivalents() {
    let table: &[(u16, u32)] = &[
        (0x1fe0, 0x3fc10413), // c.addi4spn x8, x2, 1020
        (0x005c, 0x00410793), // c.addi4spn x15, x2, 4
        (0x5d64, 0x07c52483), // c.lw x9, 124(x10)
        (0x4124, 0x04052483), // c.lw x9, 64(x10)
        (0x7d64, 0x0f853483), // c.ld x9, 248(x10)
        (0xc144, 0x00952223), // c.sw x9, 4(x10)
        (0xe504, 0x00953423), // c.sd x9, 8(x10)
        (0xe07c, 0x0cf43023), // c.sd x15, 192(x8)
        (0x0001, 0x00000013), // c.nop
        (0x1081, 0xfe008093), // c.addi x1, -32
        (0x00fd, 0x01f08093), // c.addi x1, 31
        (0x20fd, 0x01f0809b), // c.addiw x1, 31
        (0x30fd, 0xfff0809b), // c.addiw x1, -1
        (0x52fd, 0xfff00293), // c.li x5, -1
        (0x42c5, 0x01100293), // c.li x5, 17
        (0x7101, 0xe0010113), // c.addi16sp x2, -512
        (0x617d, 0x1f010113), // c.addi16sp x2, 496
        (0x6141, 0x01010113), // c.addi16sp x2, 16
        (0x7285, 0xfffe12b7), // c.lui x5, 0xfffe1
        (0x62fd, 0x0001f2b7), // c.lui x5, 0x1f
        (0x907d, 0x03f45413), // c.srli x8, 63
        (0x8005, 0x00145413), // c.srli x8, 1
        (0x8405, 0x40145413), // c.srai x8, 1
        (0x9781, 0x4207d793), // c.srai x15, 32
        (0x987d, 0xfff47413), // c.andi x8, -1
        (0x8815, 0x00547413), // c.andi x8, 5
        (0x8c05, 0x40940433), // c.sub x8, x9
        (0x8c25, 0x00944433), // c.xor x8, x9
        (0x8c45, 0x00946433), // c.or x8, x9
        (0x8c65, 0x00947433), // c.and x8, x9
        (0x9c05, 0x4094043b), // c.subw x8, x9
        (0x9c3d, 0x00f4043b), // c.addw x8, x15
        (0xb001, 0x801ff06f), // c.j -2048
        (0xaffd, 0x7fe0006f), // c.j 2046
        (0xa46d, 0x2aa0006f), // c.j 0x2aa
        (0xb46d, 0xaabff06f), // c.j -0x556
        (0xd001, 0xf00400e3), // c.beqz x8, -256
        (0xc44d, 0x0a040563), // c.beqz x8, 0xaa
        (0xec7d, 0x0e041f63), // c.bnez x8, 254
        (0xf8b9, 0xf4049be3), // c.bnez x9, -0xaa
        (0x10fe, 0x03f09093), // c.slli x1, 63
        (0x0086, 0x00109093), // c.slli x1, 1
        (0x50fe, 0x0fc12083), // c.lwsp x1, 252(x2)
        (0x4092, 0x00412083), // c.lwsp x1, 4(x2)
        (0x70fe, 0x1f813083), // c.ldsp x1, 504(x2)
        (0x60a2, 0x00813083), // c.ldsp x1, 8(x2)
        (0x8082, 0x00008067), // c.jr x1
        (0x808a, 0x002000b3), // c.mv x1, x2
        (0x9282, 0x000280e7), // c.jalr x5
        (0x908a, 0x002080b3), // c.add x1, x2
        (0xdf86, 0x0e112e23), // c.swsp x1, 252(x2)
        (0xff86, 0x1e113c23), // c.sdsp x1, 504(x2)
        (0xe47e, 0x01f13423), // c.sdsp x31, 8(x2)
    ];
    for &(half, word) in table {
        let expanded = decode32(word);
        assert!(!matches!(expanded, Instr::Unsupported(_)), "{word:#010x}");
        assert_eq!(decode16(half), expanded, "{half:#06x} vs {word:#010x}");
        // The upper parcel is ignored for a 16-bit instruction.
        assert_eq!(decode(u32::from(half) | 0xdead_0000), (expanded, 2));
    }
}

#[test]
fn reserved_and_float_compressed_forms_are_unsupported() {
    let illegal = Instr::Unsupported(U::Illegal);
    let float = Instr::Unsupported(U::Float);
    let table: &[(u16, Instr)] = &[
        (0x0000, illegal),                       // all zeros
        (0x0004, illegal),                       // c.addi4spn x9 with nzuimm = 0
        (0x2480, float),                         // c.fld
        (0x9002, Instr::Unsupported(U::Ebreak)), // c.ebreak
        (0x8002, illegal),                       // c.jr x0
        (0x2005, illegal),                       // c.addiw x0
        (0x4002, illegal),                       // c.lwsp x0
        (0x6101, illegal),                       // c.addi16sp 0
        (0x6281, illegal),                       // c.lui x5, 0
        (0x9c45, illegal),                       // reserved slot after c.subw/c.addw
        (0x9c65, illegal),                       // reserved slot after c.subw/c.addw
    ];
    for &(half, want) in table {
        assert_eq!(decode16(half), want, "{half:#06x}");
    }
}
