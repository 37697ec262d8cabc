//! Panics: the panic handler prints to stderr and exits with 101.
#![no_std]
#![no_main]

use core::hint::black_box;

use sprout_vm_test_programs::{entry, println};

entry!(main);

fn main() -> i32 {
    println!("about to panic");
    let v = black_box([1u32, 2, 3]);
    let i = black_box(7usize);
    // Out-of-bounds index: a real Rust panic with a formatted message.
    v[i] as i32
}
