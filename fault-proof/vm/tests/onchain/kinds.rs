//! Names for instruction kinds: what makes a step worth witnessing, and the list of kinds the
//! decoder can produce, each of which the test must step on chain.

use sprout_fault_proof_vm::{
    Vm,
    decode::{BranchOp, Instr, decode},
};

/// A name for what the instruction at the VM's pc is, fine enough that its first occurrence
/// is worth a witness: the decoded kind and op, the compressed form, the syscall and fd, a
/// branch's outcome, an SC's outcome, and whether the fetch crosses a leaf.
pub(crate) fn kind_of<O: sprout_fault_proof_vm::PreimageOracle>(vm: &Vm<O>) -> String {
    let s = &vm.state;
    let pc = s.pc;
    if pc & 1 == 1 {
        return "odd pc".into();
    }
    let bytes = vm.memory.read_bytes(pc, 4);
    let word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let (instr, len) = decode(word);
    let r = |i: u8| s.regs[i as usize];
    let mut key = match instr {
        Instr::Branch { op, rs1, rs2, .. } => {
            let (a, b) = (r(rs1), r(rs2));
            let taken = match op {
                BranchOp::Eq => a == b,
                BranchOp::Ne => a != b,
                BranchOp::Lt => (a as i64) < (b as i64),
                BranchOp::Ge => (a as i64) >= (b as i64),
                BranchOp::Ltu => a < b,
                BranchOp::Geu => a >= b,
            };
            format!("Branch {op:?} taken={taken}")
        }
        Instr::Load { op, .. } => format!("Load {op:?}"),
        Instr::Store { op, .. } => format!("Store {op:?}"),
        Instr::OpImm { op, .. } => format!("OpImm {op:?}"),
        Instr::OpImm32 { op, .. } => format!("OpImm32 {op:?}"),
        Instr::Op { op, .. } => format!("Op {op:?}"),
        Instr::Op32 { op, .. } => format!("Op32 {op:?}"),
        Instr::Lr { double, .. } => format!("Lr double={double}"),
        Instr::Sc { double, rs1, .. } => {
            format!("Sc double={double} ok={}", s.load_reservation == r(rs1))
        }
        Instr::Amo { op, double, .. } => format!("Amo {op:?} double={double}"),
        Instr::Ecall => match r(17) {
            63 | 64 => format!("Ecall {} fd={}", r(17), r(10)),
            nr => format!("Ecall {nr}"),
        },
        Instr::Unsupported(u) => format!("Unsupported {u:?}"),
        other => {
            let d = format!("{other:?}");
            d.split([' ', '{']).next().unwrap_or_default().to_string()
        }
    };
    if len == 2 {
        let h = word as u16;
        let b12 = if h & 3 == 2 && h >> 13 == 4 {
            format!(" b12={}", (h >> 12) & 1)
        } else {
            String::new()
        };
        key = format!("C q{} f{}{b12} {key}", h & 3, h >> 13);
    } else if pc % 32 == 30 {
        key.push_str(" cross-leaf");
    }
    key
}

/// The kinds the decoder can produce, in `kind_of`'s words, each of which must be stepped.
pub(crate) fn required_kinds() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for op in [
        "Add", "Sub", "Sll", "Slt", "Sltu", "Xor", "Srl", "Sra", "Or", "And", "Mul", "Mulh",
        "Mulhsu", "Mulhu", "Div", "Divu", "Rem", "Remu",
    ] {
        v.push(format!("Op {op}"));
    }
    for op in [
        "Add", "Sub", "Sll", "Srl", "Sra", "Mul", "Div", "Divu", "Rem", "Remu",
    ] {
        v.push(format!("Op32 {op}"));
    }
    for op in [
        "Add", "Slt", "Sltu", "Xor", "Or", "And", "Sll", "Srl", "Sra",
    ] {
        v.push(format!("OpImm {op}"));
    }
    for op in ["Add", "Sll", "Srl", "Sra"] {
        v.push(format!("OpImm32 {op}"));
    }
    for op in ["Lb", "Lh", "Lw", "Ld", "Lbu", "Lhu", "Lwu"] {
        v.push(format!("Load {op}"));
    }
    for op in ["Sb", "Sh", "Sw", "Sd"] {
        v.push(format!("Store {op}"));
    }
    for op in ["Eq", "Ne", "Lt", "Ge", "Ltu", "Geu"] {
        for t in [true, false] {
            v.push(format!("Branch {op} taken={t}"));
        }
    }
    for d in [false, true] {
        v.push(format!("Lr double={d}"));
        for ok in [false, true] {
            v.push(format!("Sc double={d} ok={ok}"));
        }
        for op in [
            "Swap", "Add", "Xor", "And", "Or", "Min", "Max", "Minu", "Maxu",
        ] {
            v.push(format!("Amo {op} double={d}"));
        }
    }
    for k in ["Lui", "Auipc", "Jal", "Jalr", "Fence"] {
        v.push(k.into());
    }
    for k in ["Csr", "Float", "Ebreak", "Illegal"] {
        v.push(format!("Unsupported {k}"));
    }
    for nr in [93, 94, 222, 214, 113, 1234] {
        v.push(format!("Ecall {nr}"));
    }
    for fd in [0, 3, 5, 7] {
        v.push(format!("Ecall 63 fd={fd}"));
    }
    for fd in [1, 2, 4, 6, 9] {
        v.push(format!("Ecall 64 fd={fd}"));
    }
    v.push("odd pc".into());
    // Compressed forms, by quadrant and funct3 (q2 f4 by bit 12).
    for (q, f) in [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (0, 6),
        (0, 7),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (1, 6),
        (1, 7),
        (2, 0),
        (2, 1),
        (2, 2),
        (2, 3),
        (2, 5),
        (2, 6),
        (2, 7),
    ] {
        v.push(format!("C q{q} f{f}"));
    }
    v.push("C q2 f4 b12=0".into());
    v.push("C q2 f4 b12=1".into());
    v
}
