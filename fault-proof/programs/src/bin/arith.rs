//! Arithmetic (with the M extension's edge cases), atomics, memory, the heap and stdout.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::{vec, vec::Vec};
use core::{
    arch::asm,
    hint::black_box,
    sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering},
};

use sprout_vm_test_programs::{Bump, entry, println};

#[global_allocator]
static HEAP: Bump = Bump::new();

entry!(main);

macro_rules! op {
    ($insn:literal, $a:expr, $b:expr) => {{
        let out: u64;
        // SAFETY: pure register arithmetic.
        unsafe { asm!(concat!($insn, " {0}, {1}, {2}"), out(reg) out, in(reg) black_box($a as u64), in(reg) black_box($b as u64)) };
        out
    }};
}

static mut FAILURES: u32 = 0;

fn check(name: &str, got: u64, want: u64) {
    println!("{name} = {got:#018x}");
    if got != want {
        println!("  FAIL: want {want:#018x}");
        // SAFETY: single-threaded.
        unsafe { FAILURES += 1 };
    }
}

fn m_extension() {
    let min = i64::MIN as u64;
    check("div min/-1", op!("div", min, -1i64), min);
    check("div 7/0", op!("div", 7, 0), u64::MAX);
    check("divu 7/0", op!("divu", 7, 0), u64::MAX);
    check("rem min/-1", op!("rem", min, -1i64), 0);
    check("rem 7/0", op!("rem", 7, 0), 7);
    check("remu 7/0", op!("remu", 7, 0), 7);
    check("div -7/2", op!("div", -7i64, 2), -3i64 as u64);
    check("rem -7/2", op!("rem", -7i64, 2), -1i64 as u64);
    check(
        "divw min/-1",
        op!("divw", i32::MIN as i64, -1i64),
        i32::MIN as i64 as u64,
    );
    check("divw 7/0", op!("divw", 7, 0), u64::MAX);
    check("divuw 7/0", op!("divuw", 7, 0), u64::MAX);
    check("remw min/-1", op!("remw", i32::MIN as i64, -1i64), 0);
    check(
        "remuw x/0",
        op!("remuw", 0x1_8000_0000u64, 0),
        0xffff_ffff_8000_0000,
    );
    check(
        "mul",
        op!("mul", 0x1234_5678_9abc_def0u64, 0x0fed_cba9_8765_4321u64),
        0x1234_5678_9abc_def0u64.wrapping_mul(0x0fed_cba9_8765_4321),
    );
    check("mulh -1*-1", op!("mulh", -1i64, -1i64), 0);
    check("mulh min*min", op!("mulh", min, min), 0x4000_0000_0000_0000);
    check(
        "mulhu max*max",
        op!("mulhu", u64::MAX, u64::MAX),
        u64::MAX - 1,
    );
    check("mulhsu -1*max", op!("mulhsu", -1i64, u64::MAX), u64::MAX);
    check("mulw overflow", op!("mulw", 0x10000, 0x10000), 0);
    check(
        "mulw sign",
        op!("mulw", 0x8000, 0x10000),
        0xffff_ffff_8000_0000,
    );
    check(
        "sraw",
        op!("sraw", 0x8000_0000u64, 4),
        0xffff_ffff_f800_0000,
    );
    check(
        "srlw",
        op!("srlw", 0xffff_ffff_8000_0000u64, 4),
        0x0800_0000,
    );
    check("sra", op!("sra", min, 63), u64::MAX);
    check("sll by 64+1", op!("sll", 1, 65), 2);
    check("slt", op!("slt", -1i64, 0), 1);
    check("sltu", op!("sltu", -1i64, 0), 0);
    check(
        "addw wrap",
        op!("addw", 0x7fff_ffff, 1),
        0xffff_ffff_8000_0000,
    );
    check("subw", op!("subw", 0, 1), u64::MAX);
}

fn atomics() {
    let a = AtomicU64::new(5);
    check("amoadd.d old", a.fetch_add(10, Ordering::SeqCst), 5);
    check("amoadd.d new", a.load(Ordering::SeqCst), 15);
    check("amoswap.d", a.swap(99, Ordering::SeqCst), 15);
    check(
        "cas ok",
        a.compare_exchange(99, 7, Ordering::SeqCst, Ordering::SeqCst)
            .unwrap_or(0),
        99,
    );
    check(
        "cas fail",
        a.compare_exchange(99, 8, Ordering::SeqCst, Ordering::SeqCst)
            .unwrap_or_else(|v| v),
        7,
    );
    let w = AtomicI32::new(-5);
    check(
        "amomax.w",
        w.fetch_max(3, Ordering::SeqCst) as i64 as u64,
        -5i64 as u64,
    );
    check(
        "amomin.w",
        w.fetch_min(-9, Ordering::SeqCst) as i64 as u64,
        3,
    );
    check(
        "amomin.w new",
        w.load(Ordering::SeqCst) as i64 as u64,
        -9i64 as u64,
    );
    let u = AtomicU32::new(0x8000_0000);
    check(
        "amomaxu.w",
        u64::from(u.fetch_max(1, Ordering::SeqCst)),
        0x8000_0000,
    );
    check(
        "amominu.w",
        u64::from(u.fetch_min(1, Ordering::SeqCst)),
        0x8000_0000,
    );
    check("amoor.w", u64::from(u.fetch_or(6, Ordering::SeqCst)), 1);
    check("amoand.w", u64::from(u.fetch_and(3, Ordering::SeqCst)), 7);
    check(
        "amoxor.w",
        u64::from(u.fetch_xor(0xff, Ordering::SeqCst)),
        3,
    );
    check("amo final", u64::from(u.load(Ordering::SeqCst)), 0xfc);
}

fn memory_and_heap() {
    // Small allocations come from brk, large ones from mmap.
    let mut v: Vec<u64> = (0..1000u64).map(|i| (i * 2654435761) % 1009).collect();
    v.sort_unstable();
    check("sorted sum", v.iter().sum(), 505386);
    check("sorted first/last", v[0] * 10000 + v[999], 1008);
    let mut big = vec![0u8; 300_000];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31);
    }
    let sum: u64 = big.iter().map(|&b| u64::from(b)).sum();
    check("mmap block sum", sum, 38249968);
    // Mixed-width accesses.
    let mut buf = [0u8; 64];
    for i in 0..8 {
        buf[i * 8..i * 8 + 8].copy_from_slice(&(0x0102_0304_0506_0708u64 << i).to_le_bytes());
    }
    let h = u16::from_le_bytes([buf[18], buf[19]]);
    let w = u32::from_le_bytes([buf[36], buf[37], buf[38], buf[39]]);
    check(
        "lhu/lwu",
        (u64::from(h) << 32) | u64::from(w),
        0x0000_1418_1020_3040,
    );
    let signed = black_box(buf[7] as i8) as i64;
    check("lb sign", signed as u64, 1);
    let mut fib = vec![0u128; 100];
    fib[1] = 1;
    for i in 2..100 {
        fib[i] = fib[i - 1].wrapping_add(fib[i - 2]);
    }
    check("fib99 low", fib[99] as u64, 0xde2a_b8ce_cafb_7902);
}

fn main() -> i32 {
    println!("sprout vm test program: arith");
    m_extension();
    atomics();
    memory_and_heap();
    // SAFETY: single-threaded.
    let failures = unsafe { FAILURES };
    println!("failures: {failures}");
    if failures == 0 { 0 } else { 1 }
}
