//! Synthetic steps: one instruction at a chosen pc, with chosen registers, memory and preimage,
//! covering every encoding, syscall path and VM panic on their own.

use alloy_primitives::B256;
use sprout_fault_proof_vm::{
    MapOracle, Memory, State, StepWitness, Vm, local_key, state::NO_RESERVATION, vm::MMAP_BASE,
};

use crate::kinds::kind_of;

// ------------------------------------------------------------------------------------------
// Synthetic steps: one instruction at a chosen pc with chosen registers and memory.

const CODE: u64 = 0x1_0000;
const DATA: u64 = 0x10_0000;

/// Registers x1..x31 point into the data area, 256 bytes apart (8-aligned).
fn default_regs() -> [u64; 32] {
    let mut regs = [0u64; 32];
    for (i, r) in regs.iter_mut().enumerate().skip(1) {
        *r = DATA + 0x100 * i as u64;
    }
    regs
}

/// A VM about to execute `code` at `pc`, data area filled with a byte pattern.
fn synth_vm(code: &[u8], pc: u64, oracle: MapOracle) -> Vm<MapOracle> {
    let mut memory = Memory::new();
    let pattern: Vec<u8> = (0..0x3000u32).map(|i| (i * 37 + 0x81) as u8).collect();
    memory.write_bytes(DATA, &pattern);
    memory.write_bytes(pc, code);
    let state = State {
        pc,
        regs: default_regs(),
        preimage_key: B256::ZERO,
        preimage_offset: 0,
        heap: MMAP_BASE,
        brk: 0x20_0000,
        load_reservation: NO_RESERVATION,
        exit_code: 0,
        exited: false,
        step: 1000,
    };
    Vm::from_parts(state, memory, oracle)
}

fn le32(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn r_type(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc
}

fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc
}

fn s_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 5) & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | ((imm & 0x1f) << 7)
        | 0x23
}

fn b_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 12) & 1) << 31)
        | (((imm >> 5) & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (((imm >> 1) & 0xf) << 8)
        | (((imm >> 11) & 1) << 7)
        | 0x63
}

fn j_type(imm: i32, rd: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 20) & 1) << 31)
        | (((imm >> 1) & 0x3ff) << 21)
        | (((imm >> 11) & 1) << 20)
        | (((imm >> 12) & 0xff) << 12)
        | (rd << 7)
        | 0x6f
}

fn amo_word(f5: u32, rs2: u32, rs1: u32, double: bool, rd: u32) -> u32 {
    (f5 << 27) | (rs2 << 20) | (rs1 << 15) | ((2 + u32::from(double)) << 12) | (rd << 7) | 0x2f
}

/// Prepares a synthetic VM (registers, reservation, preimage key) before its step.
type Setup = Box<dyn Fn(&mut Vm<MapOracle>)>;

/// A synthetic case: a name, the code, its pc, and a setup of the VM before the step.
pub(crate) struct Case {
    pub(crate) name: String,
    code: Vec<u8>,
    pc: u64,
    oracle: MapOracle,
    setup: Setup,
}

fn case(
    name: impl Into<String>,
    code: Vec<u8>,
    setup: impl Fn(&mut Vm<MapOracle>) + 'static,
) -> Case {
    Case {
        name: name.into(),
        code,
        pc: CODE,
        oracle: MapOracle::new(),
        setup: Box::new(setup),
    }
}

fn plain(name: impl Into<String>, word: u32) -> Case {
    case(name, le32(&[word]), |_| {})
}

fn with_regs(name: impl Into<String>, word: u32, regs: &[(usize, u64)]) -> Case {
    let regs = regs.to_vec();
    case(name, le32(&[word]), move |vm| {
        for &(i, v) in &regs {
            vm.state.regs[i] = v;
        }
    })
}

const OPERANDS: [u64; 6] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    0x7fff_ffff,
    0xffff_ffff_8000_0000,
];

/// Every 32-bit encoding kind, with operands that reach the edge cases.
pub(crate) fn cases_32() -> Vec<Case> {
    let mut v = Vec::new();
    // OP and OP-32: (funct7, funct3) for each op.
    let op = [
        ("add", 0, 0),
        ("sub", 0x20, 0),
        ("sll", 0, 1),
        ("slt", 0, 2),
        ("sltu", 0, 3),
        ("xor", 0, 4),
        ("srl", 0, 5),
        ("sra", 0x20, 5),
        ("or", 0, 6),
        ("and", 0, 7),
        ("mul", 1, 0),
        ("mulh", 1, 1),
        ("mulhsu", 1, 2),
        ("mulhu", 1, 3),
        ("div", 1, 4),
        ("divu", 1, 5),
        ("rem", 1, 6),
        ("remu", 1, 7),
    ];
    for (name, f7, f3) in op {
        for a in OPERANDS {
            for b in OPERANDS {
                v.push(with_regs(
                    format!("{name} {a:#x} {b:#x}"),
                    r_type(f7, 7, 6, f3, 5, 0x33),
                    &[(6, a), (7, b)],
                ));
            }
        }
        let w =
            matches!(f7, 0 | 0x20) && matches!(f3, 0 | 1 | 5) || f7 == 1 && (f3 == 0 || f3 >= 4);
        if w {
            for a in OPERANDS {
                for b in OPERANDS {
                    v.push(with_regs(
                        format!("{name}w {a:#x} {b:#x}"),
                        r_type(f7, 7, 6, f3, 5, 0x3b),
                        &[(6, a), (7, b)],
                    ));
                }
            }
        }
    }
    // OP-IMM and OP-IMM-32.
    for (name, f3) in [
        ("addi", 0),
        ("slti", 2),
        ("sltiu", 3),
        ("xori", 4),
        ("ori", 6),
        ("andi", 7),
    ] {
        for imm in [-2048, -1, 0, 1, 2047] {
            for a in OPERANDS {
                v.push(with_regs(
                    format!("{name} {a:#x} {imm}"),
                    i_type(imm, 6, f3, 5, 0x13),
                    &[(6, a)],
                ));
            }
        }
    }
    for a in OPERANDS {
        for sh in [0, 1, 31, 32, 63] {
            v.push(with_regs(
                format!("slli {sh}"),
                i_type(sh, 6, 1, 5, 0x13),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srli {sh}"),
                i_type(sh, 6, 5, 5, 0x13),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srai {sh}"),
                i_type(0x400 | sh, 6, 5, 5, 0x13),
                &[(6, a)],
            ));
        }
        for sh in [0, 1, 31] {
            v.push(with_regs(
                format!("slliw {sh}"),
                i_type(sh, 6, 1, 5, 0x1b),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srliw {sh}"),
                i_type(sh, 6, 5, 5, 0x1b),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("sraiw {sh}"),
                i_type(0x400 | sh, 6, 5, 5, 0x1b),
                &[(6, a)],
            ));
        }
        v.push(with_regs("addiw", i_type(-5, 6, 0, 5, 0x1b), &[(6, a)]));
    }
    // Loads and stores, at offsets across a leaf; the data area holds a byte pattern.
    for (name, f3, size) in [
        ("lb", 0, 1),
        ("lh", 1, 2),
        ("lw", 2, 4),
        ("ld", 3, 8),
        ("lbu", 4, 1),
        ("lhu", 5, 2),
        ("lwu", 6, 4),
    ] {
        for off in [0, size, 32 - size, 64 + 16] {
            v.push(plain(format!("{name} +{off}"), i_type(off, 6, f3, 5, 0x03)));
        }
        v.push(plain(
            format!("{name} negative offset"),
            i_type(-size * 3, 6, f3, 5, 0x03),
        ));
    }
    for (name, f3, size) in [("sb", 0, 1), ("sh", 1, 2), ("sw", 2, 4), ("sd", 3, 8)] {
        for off in [0, size, 32 - size] {
            v.push(with_regs(
                format!("{name} +{off}"),
                s_type(off, 7, 6, f3),
                &[(7, 0x8877_6655_4433_2211)],
            ));
        }
    }
    // Branches, taken and not, forwards and backwards.
    for (name, f3) in [
        ("beq", 0),
        ("bne", 1),
        ("blt", 4),
        ("bge", 5),
        ("bltu", 6),
        ("bgeu", 7),
    ] {
        for (a, b) in [(1u64, 1u64), (1, 2), (u64::MAX, 1), (1, u64::MAX)] {
            for imm in [-4096, 8, 4094] {
                v.push(with_regs(
                    format!("{name} {a:#x} {b:#x} {imm}"),
                    b_type(imm, 7, 6, f3),
                    &[(6, a), (7, b)],
                ));
            }
        }
    }
    v.push(plain("lui", 0xfffff2b7));
    v.push(plain("lui x0", 0x12345037));
    v.push(plain("auipc", 0x80001317));
    for imm in [-(1 << 20), 2, (1 << 20) - 2] {
        v.push(plain(format!("jal {imm}"), j_type(imm, 1)));
    }
    v.push(plain("jal x0", j_type(64, 0)));
    v.push(with_regs(
        "jalr odd target",
        i_type(3, 6, 0, 1, 0x67),
        &[(6, 0x2000)],
    ));
    v.push(with_regs(
        "jalr rd=rs1",
        i_type(-4, 6, 0, 6, 0x67),
        &[(6, 0x2000)],
    ));
    v.push(plain("fence", 0x0ff0000f));
    // x0 as destination.
    v.push(plain("add x0", r_type(0, 7, 6, 0, 0, 0x33)));
    v.push(plain("ld x0", i_type(8, 6, 3, 0, 0x03)));
    v
}

/// LR/SC pairs and every AMO, W and D.
pub(crate) fn cases_atomic() -> Vec<Case> {
    let mut v = Vec::new();
    for double in [false, true] {
        let d = if double { "d" } else { "w" };
        v.push(plain(format!("lr.{d}"), amo_word(2, 0, 6, double, 5)));
        v.push(plain(
            format!("lr.{d} rs2!=0 is illegal"),
            amo_word(2, 3, 6, double, 5),
        ));
        v.push(plain(
            format!("sc.{d} without reservation"),
            amo_word(3, 7, 6, double, 5),
        ));
        v.push(case(
            format!("sc.{d} with reservation"),
            le32(&[amo_word(3, 7, 6, double, 5)]),
            |vm| vm.state.load_reservation = vm.state.regs[6],
        ));
        v.push(case(
            format!("sc.{d} with another reservation"),
            le32(&[amo_word(3, 7, 6, double, 5)]),
            |vm| vm.state.load_reservation = vm.state.regs[6] + 8,
        ));
        // An LR then an SC to the same address: two consecutive steps.
        v.push(case(
            format!("lr.{d} + sc.{d}"),
            le32(&[amo_word(2, 0, 6, double, 5), amo_word(3, 7, 6, double, 8)]),
            |_| {},
        ));
        for (name, f5) in [
            ("swap", 1),
            ("add", 0),
            ("xor", 4),
            ("and", 0xc),
            ("or", 8),
            ("min", 0x10),
            ("max", 0x14),
            ("minu", 0x18),
            ("maxu", 0x1c),
        ] {
            for src in [0x7fff_ffff_u64, 0xffff_ffff_8000_0001, 5] {
                v.push(with_regs(
                    format!("amo{name}.{d} {src:#x}"),
                    amo_word(f5, 7, 6, double, 5),
                    &[(7, src)],
                ));
            }
            v.push(plain(
                format!("amo{name}.{d} rd=rs2"),
                amo_word(f5, 7, 6, double, 7),
            ));
        }
        v.push(with_regs(
            format!("amoadd.{d} misaligned"),
            amo_word(0, 7, 6, double, 5),
            &[(6, DATA + 2)],
        ));
        v.push(with_regs(
            format!("lr.{d} misaligned"),
            amo_word(2, 0, 6, double, 5),
            &[(6, DATA + 4 + u64::from(!double) * 2)],
        ));
        v.push(with_regs(
            format!("sc.{d} misaligned"),
            amo_word(3, 7, 6, double, 5),
            &[(6, DATA + 6)],
        ));
    }
    v.push(plain("amo unknown funct5", amo_word(0x1f, 7, 6, true, 5)));
    v.push(plain(
        "amo funct3 4",
        amo_word(0, 7, 6, false, 5) | (4 << 12),
    ));
    v
}

/// Every compressed form (encodings from llvm-mc, as in the decode tests).
pub(crate) fn cases_compressed() -> Vec<Case> {
    let forms: &[(u16, &str)] = &[
        (0x1fe0, "c.addi4spn x8, x2, 1020"),
        (0x005c, "c.addi4spn x15, x2, 4"),
        (0x5d64, "c.lw x9, 124(x10)"),
        (0x4124, "c.lw x9, 64(x10)"),
        (0x7d64, "c.ld x9, 248(x10)"),
        (0xc144, "c.sw x9, 4(x10)"),
        (0xe504, "c.sd x9, 8(x10)"),
        (0xe07c, "c.sd x15, 192(x8)"),
        (0x0001, "c.nop"),
        (0x1081, "c.addi x1, -32"),
        (0x00fd, "c.addi x1, 31"),
        (0x20fd, "c.addiw x1, 31"),
        (0x30fd, "c.addiw x1, -1"),
        (0x52fd, "c.li x5, -1"),
        (0x42c5, "c.li x5, 17"),
        (0x7101, "c.addi16sp x2, -512"),
        (0x617d, "c.addi16sp x2, 496"),
        (0x7285, "c.lui x5, 0xfffe1"),
        (0x62fd, "c.lui x5, 0x1f"),
        (0x907d, "c.srli x8, 63"),
        (0x8005, "c.srli x8, 1"),
        (0x8405, "c.srai x8, 1"),
        (0x9781, "c.srai x15, 32"),
        (0x987d, "c.andi x8, -1"),
        (0x8815, "c.andi x8, 5"),
        (0x8c05, "c.sub x8, x9"),
        (0x8c25, "c.xor x8, x9"),
        (0x8c45, "c.or x8, x9"),
        (0x8c65, "c.and x8, x9"),
        (0x9c05, "c.subw x8, x9"),
        (0x9c3d, "c.addw x8, x15"),
        (0xb001, "c.j -2048"),
        (0xaffd, "c.j 2046"),
        (0xd001, "c.beqz x8, -256"),
        (0xc44d, "c.beqz x8, 0xaa"),
        (0xec7d, "c.bnez x8, 254"),
        (0xf8b9, "c.bnez x9, -0xaa"),
        (0x10fe, "c.slli x1, 63"),
        (0x0086, "c.slli x1, 1"),
        (0x50fe, "c.lwsp x1, 252(x2)"),
        (0x4092, "c.lwsp x1, 4(x2)"),
        (0x70fe, "c.ldsp x1, 504(x2)"),
        (0x60a2, "c.ldsp x1, 8(x2)"),
        (0x8082, "c.jr x1"),
        (0x808a, "c.mv x1, x2"),
        (0x9282, "c.jalr x5"),
        (0x908a, "c.add x1, x2"),
        (0xdf86, "c.swsp x1, 252(x2)"),
        (0xff86, "c.sdsp x1, 504(x2)"),
        (0xe47e, "c.sdsp x31, 8(x2)"),
        // Unsupported: VM panics.
        (0x0000, "c: all zeros"),
        (0x0004, "c.addi4spn nzuimm 0"),
        (0x2480, "c.fld"),
        (0xa480, "c.fsd"),
        (0x2082, "c.fldsp"),
        (0xa082, "c.fsdsp"),
        (0x9002, "c.ebreak"),
        (0x8002, "c.jr x0"),
        (0x2001, "c.addiw x0"),
        (0x6101, "c.addi16sp 0"),
        (0x6081, "c.lui x1, 0"),
        (0x4002, "c.lwsp x0"),
        (0x6002, "c.ldsp x0"),
        (0x9c45, "c: reserved q1 f4 subw/addw slot 2"),
        (
            0x8001 | (4 << 13) | (1 << 12) | (3 << 10) | (3 << 5),
            "c: reserved q1 f4 slot 3",
        ),
        (0x8000, "c: q0 f4 reserved"),
    ];
    let mut v = Vec::new();
    for &(h, name) in forms {
        v.push(case(name, h.to_le_bytes().to_vec(), |vm| {
            // Zero and non-zero for the branches.
            vm.state.regs[8] = 0;
        }));
        v.push(case(
            format!("{name} (regs set)"),
            h.to_le_bytes().to_vec(),
            |_| {},
        ));
    }
    v
}

/// Syscalls and their fds, preimage reads at every kind of offset, and the VM panics.
pub(crate) fn cases_system() -> Vec<Case> {
    const ECALL: u32 = 0x0000_0073;
    let sys = |name: &str, regs: &[(usize, u64)]| with_regs(name, ECALL, regs);
    let mut v = vec![
        sys("exit 0", &[(17, 93), (10, 0)]),
        sys("exit_group 1", &[(17, 94), (10, 1)]),
        sys("exit 0x1ff (code 0xff)", &[(17, 93), (10, 0x1ff)]),
        sys("read fd 0", &[(17, 63), (10, 0), (12, 10)]),
        sys("read fd 3", &[(17, 63), (10, 3), (12, 77)]),
        sys("read fd 7", &[(17, 63), (10, 7), (12, 1)]),
        sys("write fd 1", &[(17, 64), (10, 1), (12, 5)]),
        sys("write fd 2 huge", &[(17, 64), (10, 2), (12, 1 << 40)]),
        sys("write fd 4", &[(17, 64), (10, 4), (12, 3)]),
        sys("write fd 9", &[(17, 64), (10, 9), (12, 3)]),
        sys(
            "write fd 6, 32 aligned",
            &[(17, 64), (10, 6), (11, DATA), (12, 32)],
        ),
        sys(
            "write fd 6, 5 at leaf end",
            &[(17, 64), (10, 6), (11, DATA + 30), (12, 5)],
        ),
        sys(
            "write fd 6, 3 mid-leaf",
            &[(17, 64), (10, 6), (11, DATA + 9), (12, 3)],
        ),
        sys(
            "write fd 6, count 0",
            &[(17, 64), (10, 6), (11, DATA + 9), (12, 0)],
        ),
        sys("mmap", &[(17, 222), (11, 5000), (13, 0x22)]),
        sys("mmap not anonymous", &[(17, 222), (11, 5000), (13, 0x02)]),
        sys("mmap fixed", &[(17, 222), (11, 5000), (13, 0x32)]),
        sys("mmap len 0", &[(17, 222), (11, 0), (13, 0x22)]),
        sys("mmap too large", &[(17, 222), (11, 1 << 62), (13, 0x22)]),
        sys("mmap len max", &[(17, 222), (11, u64::MAX), (13, 0x22)]),
        sys("brk query", &[(17, 214), (10, 0)]),
        sys("brk grow", &[(17, 214), (10, 0x30_0000)]),
        sys("brk past limit", &[(17, 214), (10, MMAP_BASE + 1)]),
        sys("clock_gettime one leaf", &[(17, 113), (11, DATA + 8)]),
        sys("clock_gettime two leaves", &[(17, 113), (11, DATA + 24)]),
        sys("clock_gettime misaligned", &[(17, 113), (11, DATA + 4)]),
        sys("unknown syscall", &[(17, 1234)]),
    ];
    // Preimage reads (fd 5): keccak256 data of 70 bytes at several offsets and destinations.
    let data: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(13) ^ 0xa5).collect();
    for (offset, dest_off, count) in [
        (0u64, 0u64, 8u64),
        (0, 0, 100),
        (8, 0, 32),
        (8, 20, 32),
        (40, 31, 4),
        (70, 0, 32),
        (77, 0, 32),
        (78, 0, 32),
        (200, 0, 32),
        (8, 0, 0),
    ] {
        let mut oracle = MapOracle::new();
        let key = oracle.insert_keccak256(&data);
        v.push(Case {
            name: format!("read fd 5 keccak offset {offset} dest +{dest_off} count {count}"),
            code: le32(&[ECALL]),
            pc: CODE,
            oracle,
            setup: Box::new(move |vm| {
                vm.state.preimage_key = key;
                vm.state.preimage_offset = offset;
                let r = &mut vm.state.regs;
                r[17] = 63;
                r[10] = 5;
                r[11] = DATA + dest_off;
                r[12] = count;
            }),
        });
    }
    // A local key (type 1): 32 bytes of data, localized on chain with the caller and context.
    for offset in [0u64, 8, 30, 40] {
        let mut oracle = MapOracle::new();
        let key = local_key(1);
        oracle.insert(key, vec![0x42; 32]);
        v.push(Case {
            name: format!("read fd 5 local offset {offset}"),
            code: le32(&[ECALL]),
            pc: CODE,
            oracle,
            setup: Box::new(move |vm| {
                vm.state.preimage_key = key;
                vm.state.preimage_offset = offset;
                let r = &mut vm.state.regs;
                r[17] = 63;
                r[10] = 5;
                r[11] = DATA + 3;
                r[12] = 64;
            }),
        });
    }
    // VM panics.
    for (word, name) in [
        (0x3001_10f3, "csrrw"),
        (0x0031_70d3, "fadd.d"),
        (0x0001_2007, "flw"),
        (0x0010_0073, "ebreak"),
        (0x0000_100f, "fence.i"),
        (0x1050_0073, "wfi"),
        (0x3020_0073, "mret"),
        (0xffff_ffff, "all ones"),
        (0x0000_007f, "48-bit prefix"),
        (0x0000_001f, "48-bit prefix 2"),
        (0x0000_0077, "opcode 0x77"),
        (0x0000_2063, "branch f3 2"),
        (0x0000_7003, "load f3 7"),
        (0x0000_4023, "store f3 4"),
        (0x0000_1067, "jalr f3 1"),
        (r_type(0x20, 7, 6, 1, 5, 0x33), "op f7 0x20 f3 1"),
        (r_type(1, 7, 6, 1, 5, 0x3b), "mulhw"),
        (r_type(0, 7, 6, 2, 5, 0x3b), "op32 f3 2"),
        (i_type(0x800 | 3, 6, 1, 5, 0x13), "slli f6 0x20"),
        (i_type(0x400 | 32, 6, 1, 5, 0x1b), "slliw f7 0x20"),
        (i_type(32, 6, 5, 5, 0x1b), "srliw shamt 32"),
        (i_type(3, 6, 3, 5, 0x1b), "op-imm-32 f3 3"),
        (i_type(0, 6, 2, 5, 0x0f), "misc-mem f3 2"),
    ] {
        v.push(plain(format!("panic {name}"), word));
    }
    for (word, name, base) in [
        (i_type(0, 6, 1, 5, 0x03), "lh misaligned", DATA + 1),
        (i_type(0, 6, 2, 5, 0x03), "lw misaligned", DATA + 2),
        (i_type(0, 6, 3, 5, 0x03), "ld misaligned", DATA + 4),
        (i_type(0, 6, 6, 5, 0x03), "lwu misaligned", DATA + 6),
        (s_type(0, 7, 6, 1), "sh misaligned", DATA + 3),
        (s_type(0, 7, 6, 3), "sd misaligned", DATA + 12),
    ] {
        v.push(with_regs(format!("panic {name}"), word, &[(6, base)]));
    }
    v.push(Case {
        name: "panic odd pc".into(),
        code: le32(&[0x0000_0013]),
        pc: CODE + 1,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    // Fetches across leaf and page boundaries: a 4-byte instruction at addr % 32 == 30 and at
    // the last 2 bytes of a page; a compressed one at the end of a leaf.
    let addi = i_type(5, 6, 0, 5, 0x13);
    for pc in [CODE + 30, CODE + 4094, CODE + 0x2000 - 2] {
        v.push(Case {
            name: format!("addi at {pc:#x}"),
            code: le32(&[addi]),
            pc,
            oracle: MapOracle::new(),
            setup: Box::new(|_| {}),
        });
    }
    v.push(Case {
        name: "ld across a leaf, from its second leaf".into(),
        code: le32(&[i_type(0, 6, 3, 5, 0x03)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "sd across a leaf, into its second leaf".into(),
        code: le32(&[s_type(0, 7, 6, 3)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "sd across a leaf, into its first leaf".into(),
        code: le32(&[s_type(-8, 7, 6, 3)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "c.addi at a leaf end".into(),
        code: 0x1081u16.to_le_bytes().to_vec(),
        pc: CODE + 30,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(Case {
        name: "jal wrapping the address space".into(),
        code: le32(&[j_type(64, 1)]),
        pc: u64::MAX - 31,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(Case {
        name: "c.nop at the top of memory".into(),
        code: 0x0001u16.to_le_bytes().to_vec(),
        pc: u64::MAX - 1,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(case(
        "x0 non-zero in the pre-state is read as stored",
        le32(&[r_type(0, 0, 0, 0, 5, 0x33)]),
        |vm| vm.state.regs[0] = 0x55,
    ));
    v.push(case("step counter wraps", le32(&[0x0000_0013]), |vm| {
        vm.state.step = u64::MAX
    }));
    v.push(with_regs(
        "store to the data leaf holding the code",
        s_type(4, 7, 6, 2),
        &[(6, CODE), (7, 0xdead_beef)],
    ));
    v
}

/// Witnesses the case's step (or steps, for multi-instruction code).
pub(crate) fn run_case(c: &Case) -> Vec<(String, StepWitness)> {
    let mut vm = synth_vm(&c.code, c.pc, c.oracle.clone());
    (c.setup)(&mut vm);
    let mut out = Vec::new();
    let len = if c.name.starts_with("lr.") && c.name.contains(" + sc.") {
        2
    } else {
        1
    };
    for _ in 0..len {
        let key = kind_of(&vm);
        out.push((key, vm.step_with_witness().expect("witness")));
    }
    out
}
