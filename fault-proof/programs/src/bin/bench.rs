//! A long-running loop for measuring steps/s: a sieve and an LCG mix, repeated.
#![no_std]
#![no_main]

use core::hint::black_box;

use sprout_vm_test_programs::{entry, println};

entry!(main);

fn main() -> i32 {
    let rounds = black_box(600u64);
    let mut sieve = [true; 65536];
    let mut acc = 0u64;
    for r in 0..rounds {
        sieve.fill(true);
        let mut primes = 0u64;
        for i in 2..sieve.len() {
            if sieve[i] {
                primes += 1;
                let mut j = i * i;
                while j < sieve.len() {
                    sieve[j] = false;
                    j += i;
                }
            }
        }
        let mut x = r ^ 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            acc ^= x >> 17;
        }
        acc = acc.wrapping_add(primes);
    }
    println!("bench result {acc:#x}");
    0
}
