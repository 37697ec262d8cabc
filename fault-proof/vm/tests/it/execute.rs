//! Table-driven execution: ALU edge cases, LR/SC, syscalls, and the VM panic paths.

use sprout_fault_proof_vm::{
    Error, NoOracle, Status, Vm,
    decode::AluOp,
    elf::{Elf, Segment},
    vm::{MMAP_BASE, alu, alu32},
};

pub const CODE: u64 = 0x1000;

/// A VM whose code is `words` (each 4 bytes, little-endian) at [`CODE`].
pub fn vm_with(words: &[u32]) -> Vm<NoOracle> {
    let data: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mem_size = data.len() as u64;
    let elf = Elf {
        entry: CODE,
        segments: vec![Segment {
            vaddr: CODE,
            data,
            mem_size,
        }],
    };
    Vm::new(&elf, NoOracle)
}

#[test]
fn alu_follows_the_spec_edge_cases() {
    let min = i64::MIN as u64;
    let table: &[(AluOp, u64, u64, u64)] = &[
        (AluOp::Div, min, u64::MAX, min),
        (AluOp::Div, 5, 0, u64::MAX),
        (AluOp::Divu, 5, 0, u64::MAX),
        (AluOp::Rem, min, u64::MAX, 0),
        (AluOp::Rem, 5, 0, 5),
        (AluOp::Remu, 5, 0, 5),
        (AluOp::Div, (-7i64) as u64, 2, (-3i64) as u64),
        (AluOp::Rem, (-7i64) as u64, 2, (-1i64) as u64),
        (AluOp::Mulh, min, min, 1 << 62),
        (AluOp::Mulhu, u64::MAX, u64::MAX, u64::MAX - 1),
        (AluOp::Mulhsu, u64::MAX, u64::MAX, u64::MAX),
        (AluOp::Mulhsu, 1, u64::MAX, 0),
        (AluOp::Sll, 1, 64 + 3, 8),
        (AluOp::Sra, min, 63, u64::MAX),
        (AluOp::Srl, min, 63, 1),
        (AluOp::Slt, u64::MAX, 0, 1),
        (AluOp::Sltu, u64::MAX, 0, 0),
    ];
    for &(op, a, b, want) in table {
        assert_eq!(alu(op, a, b), want, "{op:?} {a:#x} {b:#x}");
    }
    let table32: &[(AluOp, u64, u64, u64)] = &[
        (AluOp::Div, 0x8000_0000, u64::MAX, 0xffff_ffff_8000_0000),
        (AluOp::Div, 5, 0, u64::MAX),
        (AluOp::Divu, 5, 0, u64::MAX),
        (AluOp::Rem, 0x8000_0000, u64::MAX, 0),
        (AluOp::Remu, 0x1_8000_0000, 0, 0xffff_ffff_8000_0000),
        (AluOp::Mul, 0x8000, 0x10000, 0xffff_ffff_8000_0000),
        (AluOp::Add, 0x7fff_ffff, 1, 0xffff_ffff_8000_0000),
        (AluOp::Sll, 1, 32 + 31, 0xffff_ffff_8000_0000),
        (AluOp::Sra, 0x8000_0000, 4, 0xffff_ffff_f800_0000),
        (AluOp::Srl, 0xffff_ffff_8000_0000, 4, 0x0800_0000),
    ];
    for &(op, a, b, want) in table32 {
        assert_eq!(alu32(op, a, b), want, "{op:?}w {a:#x} {b:#x}");
    }
}

#[test]
fn lr_sc_pairs_succeed_once() -> Result<(), Error> {
    // lr.d x1,(x2); sc.d x3,x4,(x2); sc.d x5,x4,(x2); ld x6,0(x2)
    let mut vm = vm_with(&[0x100130af, 0x184131af, 0x184132af, 0x00013303]);
    vm.state.regs[2] = 0x8000;
    vm.state.regs[4] = 0xabcd;
    vm.memory.write_bytes(0x8000, &7u64.to_le_bytes());
    for _ in 0..4 {
        vm.step()?;
    }
    let r = vm.state.regs;
    assert_eq!((r[1], r[3], r[5], r[6]), (7, 0, 1, 0xabcd));
    Ok(())
}

#[test]
fn amo_word_sign_extends_and_wraps() -> Result<(), Error> {
    // amoadd.w x8, x4, (x2)
    let mut vm = vm_with(&[0x0041242f]);
    vm.state.regs[2] = 0x8000;
    vm.state.regs[4] = 1;
    vm.memory.write_bytes(0x8000, &0xffff_ffffu32.to_le_bytes());
    vm.step()?;
    assert_eq!(vm.state.regs[8], u64::MAX);
    assert_eq!(vm.memory.read_bytes(0x8000, 8), vec![0; 8]);
    Ok(())
}

fn run_syscall(number: u64, args: &[u64]) -> Result<Vm<NoOracle>, Error> {
    let mut vm = vm_with(&[0x00000073]);
    vm.state.regs[17] = number;
    for (i, a) in args.iter().enumerate() {
        vm.state.regs[10 + i] = *a;
    }
    vm.step()?;
    Ok(vm)
}

#[test]
fn syscalls_follow_the_documented_subset() -> Result<(), Error> {
    let enosys = 38u64.wrapping_neg();
    assert_eq!(run_syscall(172, &[])?.state.regs[10], enosys); // getpid
    assert_eq!(run_syscall(56, &[])?.state.regs[10], enosys); // openat
    // brk: query, grow, refuse to shrink.
    let vm = run_syscall(214, &[0])?;
    let start = vm.state.regs[10];
    assert_eq!(start, 0x2000);
    assert_eq!(run_syscall(214, &[0x9000])?.state.regs[10], 0x9000);
    assert_eq!(run_syscall(214, &[0x1000])?.state.regs[10], start);
    // mmap: anonymous only, page-rounded, bump allocated.
    let vm = run_syscall(222, &[0, 10, 3, 0x22, u64::MAX, 0])?;
    assert_eq!(
        (vm.state.regs[10], vm.state.heap),
        (MMAP_BASE, MMAP_BASE + 4096)
    );
    let einval = 22u64.wrapping_neg();
    assert_eq!(
        run_syscall(222, &[0, 10, 3, 0x02, 3, 0])?.state.regs[10],
        einval
    );
    assert_eq!(
        run_syscall(222, &[0, 0, 3, 0x22, u64::MAX, 0])?.state.regs[10],
        einval
    );
    // write: stdout captured; unknown fds are EBADF.
    let mut vm = vm_with(&[0x00000073]);
    vm.memory.write_bytes(0x9000, b"hi");
    vm.state.regs[17] = 64;
    vm.state.regs[10..13].copy_from_slice(&[1, 0x9000, 2]);
    vm.step()?;
    assert_eq!((vm.state.regs[10], vm.stdout.as_slice()), (2, &b"hi"[..]));
    assert_eq!(
        run_syscall(64, &[9, 0x9000, 2])?.state.regs[10],
        9u64.wrapping_neg()
    );
    assert_eq!(run_syscall(63, &[0, 0x9000, 2])?.state.regs[10], 0);
    // clock_gettime: zero time.
    let mut vm = vm_with(&[0x00000073]);
    vm.memory.write_bytes(0x9000, &[0xff; 16]);
    vm.state.regs[17] = 113;
    vm.state.regs[10..12].copy_from_slice(&[1, 0x9000]);
    vm.step()?;
    assert_eq!(
        (vm.state.regs[10], vm.memory.read_bytes(0x9000, 16)),
        (0, vec![0; 16])
    );
    // exit_group: low 8 bits.
    let vm = run_syscall(94, &[0x101])?;
    assert_eq!(
        (vm.state.exited, vm.state.exit_code, vm.status()),
        (true, 1, Status::Invalid)
    );
    Ok(())
}

#[test]
fn unsupported_instructions_panic_the_vm_not_the_host() -> Result<(), Error> {
    let cases: &[(u32, &str)] = &[
        (0x300110f3, "CSR"),
        (0x003170d3, "floating-point"),
        (0x00100073, "EBREAK"),
        (0xffffffff, "illegal"),
        (0x00000000, "illegal"),
        (0x00212383, "misaligned 4-byte load"), // lw x7, 2(x2)
    ];
    for &(word, reason) in cases {
        let mut vm = vm_with(&[word]);
        vm.state.regs[2] = 0x8000;
        vm.step()?;
        assert_eq!(vm.status(), Status::Panic, "{word:#010x}");
        assert_eq!(
            (vm.state.exit_code, vm.state.step, vm.state.pc),
            (2, 1, 0x1000)
        );
        let why = vm.panic_reason.clone().unwrap_or_default();
        assert!(why.contains(reason), "{why}");
        assert!(matches!(vm.step(), Err(Error::Exited)));
    }
    Ok(())
}
