//! Every M and A instruction kind on edge-case operands, with no formatting, so that the whole
//! run can be compared with qemu register by register. Writes the raw results to stdout.
#![no_std]
#![no_main]

use core::{arch::asm, hint::black_box};

use sprout_vm_test_programs::{entry, write_all};

entry!(main);

macro_rules! op {
    ($insn:literal, $a:expr, $b:expr) => {{
        let out: u64;
        // SAFETY: pure register arithmetic.
        unsafe {
            asm!(concat!($insn, " {0}, {1}, {2}"), out(reg) out,
                 in(reg) black_box($a as u64), in(reg) black_box($b as u64))
        };
        out
    }};
}

macro_rules! amo {
    ($insn:literal, $cell:expr, $src:expr) => {{
        let out: u64;
        // SAFETY: `$cell` is a valid, aligned local.
        unsafe {
            asm!(concat!($insn, " {0}, {1}, ({2})"), out(reg) out,
                 in(reg) black_box($src as u64), in(reg) core::ptr::addr_of_mut!($cell))
        };
        out
    }};
}

const OPERANDS: [u64; 6] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    0x7fff_ffff,
    0xffff_ffff_8000_0000,
];

fn main() -> i32 {
    let mut out = [0u64; 6 * 6 * 15 + 22];
    let mut n = 0;
    let mut push = |v: u64| {
        out[n] = v;
        n += 1;
    };
    for a in OPERANDS {
        for b in OPERANDS {
            push(op!("mul", a, b));
            push(op!("mulh", a, b));
            push(op!("mulhsu", a, b));
            push(op!("mulhu", a, b));
            push(op!("div", a, b));
            push(op!("divu", a, b));
            push(op!("rem", a, b));
            push(op!("remu", a, b));
            push(op!("mulw", a, b));
            push(op!("divw", a, b));
            push(op!("divuw", a, b));
            push(op!("remw", a, b));
            push(op!("remuw", a, b));
            push(op!("sraw", a, b));
            push(op!("sllw", a, b));
        }
    }
    let mut d: u64 = 0x8000_0000_0000_0001;
    let mut w: [u32; 2] = [0x8000_0001, 7];
    push(amo!("amoswap.d", d, 5));
    push(amo!("amoadd.d", d, u64::MAX));
    push(amo!("amoxor.d", d, 0xff));
    push(amo!("amoand.d", d, 0xf0));
    push(amo!("amoor.d", d, 0x3));
    push(amo!("amomin.d", d, i64::MIN as u64));
    push(amo!("amomax.d", d, 9));
    push(amo!("amominu.d", d, 2));
    push(amo!("amomaxu.d", d, u64::MAX));
    push(amo!("amoswap.w", w[0], 0x8000_0000u32));
    push(amo!("amoadd.w", w[0], 0x8000_0000u32));
    push(amo!("amomin.w", w[0], 0xffff_fff0u32));
    push(amo!("amomax.w", w[0], 3));
    push(amo!("amominu.w", w[0], 0xffff_fff0u32));
    push(amo!("amomaxu.w", w[0], 0xffff_fff1u32));
    push(amo!("amoxor.w", w[0], 1));
    push(amo!("amoand.w", w[0], 0xff));
    push(amo!("amoor.w", w[0], 0x100));
    push(d);
    push(u64::from(w[0]));
    // An LR/SC pair that succeeds, then an SC without a reservation that fails.
    let (ok, fail): (u64, u64);
    // SAFETY: `w[1]` is a valid, aligned local.
    unsafe {
        asm!("lr.w {t}, ({p})", "addi {t}, {t}, 1", "sc.w {ok}, {t}, ({p})", "sc.w {fail}, {t}, ({p})",
             p = in(reg) core::ptr::addr_of_mut!(w[1]), t = out(reg) _, ok = out(reg) ok, fail = out(reg) fail)
    };
    push(ok);
    push(fail | (u64::from(w[1]) << 8));
    let bytes: [u8; 8 * (6 * 6 * 15 + 22)] = unsafe { core::mem::transmute(out) };
    write_all(1, &bytes);
    0
}
