//! The program's runtime inside the VM: `_start`, the Linux syscalls the VM implements, a bump
//! allocator over `brk` and `mmap`, a panic handler (exit 2), and the fd oracle.
// The VM is entered with `ecall`, which only inline assembly can issue.
#![allow(unsafe_code)]

extern crate alloc;

use alloc::{string::String, vec, vec::Vec};
use core::{
    alloc::{GlobalAlloc, Layout},
    arch::asm,
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

use sprout_fp_program::{Oracle, Preimages};

const SYS_READ: u64 = 63;
const SYS_WRITE: u64 = 64;
const SYS_EXIT: u64 = 93;
const SYS_BRK: u64 = 214;
const SYS_MMAP: u64 = 222;

const FD_STDERR: u64 = 2;
const FD_HINT_READ: u64 = 3;
const FD_HINT_WRITE: u64 = 4;
const FD_PREIMAGE_READ: u64 = 5;
const FD_PREIMAGE_WRITE: u64 = 6;

/// Exit code of a run that reached no verdict.
const NO_VERDICT: i32 = 2;

#[global_allocator]
static HEAP: Bump = Bump::new();

/// The entry point: runs the program and exits with its verdict's code.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let preimages = Preimages::new(FdOracle);
    match sprout_fp_program::run(&preimages) {
        Ok(outcome) => exit(outcome.verdict.exit_code()),
        Err(err) => {
            let mut stderr = Fd(FD_STDERR);
            let _ = writeln!(stderr, "no verdict: {err}");
            exit(NO_VERDICT)
        }
    }
}

fn syscall(n: u64, a0: u64, a1: u64, a2: u64) -> u64 {
    let ret: u64;
    // SAFETY: read, write, brk, mmap and exit touch only the memory the caller passes in (a
    // buffer it owns) or fresh memory; the VM has no other effect.
    unsafe {
        asm!("ecall", in("a7") n, inlateout("a0") a0 => ret, in("a1") a1, in("a2") a2,
             options(nostack));
    }
    ret
}

fn exit(code: i32) -> ! {
    syscall(SYS_EXIT, code as u64, 0, 0);
    // The VM never returns from exit.
    loop {}
}

fn write_all(fd: u64, mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        let n = syscall(SYS_WRITE, fd, buf.as_ptr() as u64, buf.len() as u64);
        if n as i64 <= 0 {
            return false;
        }
        buf = &buf[n as usize..];
    }
    true
}

fn read_exact(fd: u64, buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        let n = syscall(
            SYS_READ,
            fd,
            buf[done..].as_mut_ptr() as u64,
            (buf.len() - done) as u64,
        );
        if n as i64 <= 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

/// The oracle over fds 3–6: a key is written to fd 6, then `len_be8 ++ preimage` is read from
/// fd 5; a hint is `len_be4 ++ text` on fd 4, acknowledged by one byte on fd 3.
struct FdOracle;

impl Oracle for FdOracle {
    fn get(&mut self, key: &[u8; 32]) -> Result<Vec<u8>, String> {
        if !write_all(FD_PREIMAGE_WRITE, key) {
            return Err("writing a preimage key failed".into());
        }
        let mut len = [0u8; 8];
        if !read_exact(FD_PREIMAGE_READ, &mut len) {
            return Err("reading a preimage length failed".into());
        }
        let mut data = vec![0u8; u64::from_be_bytes(len) as usize];
        if !read_exact(FD_PREIMAGE_READ, &mut data) {
            return Err("reading a preimage failed".into());
        }
        Ok(data)
    }

    fn hint(&mut self, hint: &str) -> Result<(), String> {
        let ok = write_all(FD_HINT_WRITE, &(hint.len() as u32).to_be_bytes())
            && write_all(FD_HINT_WRITE, hint.as_bytes());
        let mut ack = [0u8; 1];
        if !ok || !read_exact(FD_HINT_READ, &mut ack) {
            return Err("sending a hint failed".into());
        }
        Ok(())
    }
}

struct Fd(u64);

impl core::fmt::Write for Fd {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if write_all(self.0, s.as_bytes()) {
            Ok(())
        } else {
            Err(core::fmt::Error)
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(Fd(FD_STDERR), "panicked: {}", info.message());
    exit(NO_VERDICT)
}

/// Bump allocator: small blocks from the program break, blocks of 64 KiB or more from `mmap`.
/// Nothing is freed: a run is short and the VM's memory is sparse.
struct Bump {
    next: AtomicU64,
    end: AtomicU64,
}

impl Bump {
    const fn new() -> Self {
        Self {
            next: AtomicU64::new(0),
            end: AtomicU64::new(0),
        }
    }
}

const MMAP_THRESHOLD: usize = 64 * 1024;

// SAFETY: the program is single-threaded, and every block handed out is fresh memory from brk
// or mmap that no other block overlaps.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= MMAP_THRESHOLD {
            // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS; the VM's mmap is page-aligned.
            let p = syscall6(SYS_MMAP, 0, layout.size() as u64, 3, 0x22);
            return if (p as i64) < 0 {
                core::ptr::null_mut()
            } else {
                p as *mut u8
            };
        }
        if self.end.load(Ordering::Relaxed) == 0 {
            let start = syscall(SYS_BRK, 0, 0, 0);
            self.next.store(start, Ordering::Relaxed);
            self.end.store(start, Ordering::Relaxed);
        }
        let align = layout.align() as u64;
        let start = (self.next.load(Ordering::Relaxed) + align - 1) & !(align - 1);
        let new_next = start + layout.size() as u64;
        let end = self.end.load(Ordering::Relaxed);
        if new_next > end {
            let want = (new_next + 0xf_ffff) & !0xf_ffff;
            if syscall(SYS_BRK, want, 0, 0) != want {
                return core::ptr::null_mut();
            }
            self.end.store(want, Ordering::Relaxed);
        }
        self.next.store(new_next, Ordering::Relaxed);
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

fn syscall6(n: u64, a0: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    let ret: u64;
    // SAFETY: as `syscall`; `mmap` with MAP_ANONYMOUS returns fresh memory.
    unsafe {
        asm!("ecall", in("a7") n, inlateout("a0") a0 => ret, in("a1") a1, in("a2") a2,
             in("a3") a3, in("a4") u64::MAX, in("a5") 0u64, options(nostack));
    }
    ret
}
