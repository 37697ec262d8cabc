//! A tiny runtime for the VM's test programs: `_start`, syscalls, stdout, a bump allocator over
//! brk/mmap, a panic handler, and keccak256.
#![no_std]

pub mod keccak;

use core::{
    alloc::{GlobalAlloc, Layout},
    arch::asm,
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

pub const SYS_READ: u64 = 63;
pub const SYS_WRITE: u64 = 64;
pub const SYS_EXIT: u64 = 93;
pub const SYS_BRK: u64 = 214;
pub const SYS_MMAP: u64 = 222;

/// Defines `_start`, which calls `$main() -> i32` and exits with its value.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() -> ! {
            let code: i32 = $main();
            $crate::exit(code)
        }
    };
}

/// A raw Linux syscall.
pub fn syscall(n: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
    let ret: u64;
    // SAFETY: the syscalls used here do not touch memory the caller does not own.
    unsafe {
        asm!("ecall", in("a7") n, inlateout("a0") a0 => ret, in("a1") a1, in("a2") a2,
             in("a3") a3, in("a4") a4, in("a5") a5, options(nostack));
    }
    ret
}

pub fn exit(code: i32) -> ! {
    syscall(SYS_EXIT, code as u64, 0, 0, 0, 0, 0);
    loop {}
}

pub fn write(fd: u64, buf: &[u8]) -> u64 {
    syscall(
        SYS_WRITE,
        fd,
        buf.as_ptr() as u64,
        buf.len() as u64,
        0,
        0,
        0,
    )
}

pub fn read(fd: u64, buf: &mut [u8]) -> u64 {
    syscall(
        SYS_READ,
        fd,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
        0,
        0,
        0,
    )
}

/// Writes all of `buf` to `fd`, looping over partial writes.
pub fn write_all(fd: u64, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = write(fd, buf);
        if n as i64 <= 0 {
            exit(120);
        }
        buf = &buf[n as usize..];
    }
}

/// Reads exactly `buf.len()` bytes from `fd`, looping over partial reads.
pub fn read_exact(fd: u64, buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        let n = read(fd, &mut buf[done..]);
        if n as i64 <= 0 {
            exit(121);
        }
        done += n as usize;
    }
}

pub struct Fd(pub u64);

impl fmt::Write for Fd {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_all(self.0, s.as_bytes());
        Ok(())
    }
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::Fd(1), $($arg)*);
    }};
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write as _;
    let _ = writeln!(Fd(2), "panicked: {}", info.message());
    exit(101)
}

/// Bump allocator: small blocks from the program break, blocks of 64 KiB or more from mmap.
pub struct Bump {
    next: AtomicU64,
    end: AtomicU64,
}

impl Bump {
    pub const fn new() -> Self {
        Self {
            next: AtomicU64::new(0),
            end: AtomicU64::new(0),
        }
    }
}

impl Default for Bump {
    fn default() -> Self {
        Self::new()
    }
}

const MMAP_THRESHOLD: usize = 64 * 1024;

// SAFETY: single-threaded programs; every block is fresh memory from brk or mmap.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= MMAP_THRESHOLD {
            // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, fd -1.
            let p = syscall(SYS_MMAP, 0, layout.size() as u64, 3, 0x22, u64::MAX, 0);
            return if (p as i64) < 0 {
                core::ptr::null_mut()
            } else {
                p as *mut u8
            };
        }
        if self.end.load(Ordering::Relaxed) == 0 {
            let start = syscall(SYS_BRK, 0, 0, 0, 0, 0, 0);
            self.next.store(start, Ordering::Relaxed);
            self.end.store(start, Ordering::Relaxed);
        }
        let align = layout.align() as u64;
        let start = (self.next.load(Ordering::Relaxed) + align - 1) & !(align - 1);
        let new_next = start + layout.size() as u64;
        let end = self.end.load(Ordering::Relaxed);
        if new_next > end {
            let want = (new_next + 0xffff) & !0xffff;
            if syscall(SYS_BRK, want, 0, 0, 0, 0, 0) != want {
                return core::ptr::null_mut();
            }
            self.end.store(want, Ordering::Relaxed);
        }
        self.next.store(new_next, Ordering::Relaxed);
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}
