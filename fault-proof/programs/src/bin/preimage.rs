//! Reads its keccak256 key as local data 1, reads that preimage through fds 5/6, checks its hash
//! and prints it. Exits 0 if the hash matches, 1 otherwise. Also sends one hint.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;

use sprout_vm_test_programs::{
    Bump, entry, keccak::keccak256, println, read, read_exact, write_all,
};

#[global_allocator]
static HEAP: Bump = Bump::new();

entry!(main);

const FD_HINT_READ: u64 = 3;
const FD_HINT_WRITE: u64 = 4;
const FD_PREIMAGE_READ: u64 = 5;
const FD_PREIMAGE_WRITE: u64 = 6;

fn hint(data: &[u8]) {
    write_all(FD_HINT_WRITE, &(data.len() as u32).to_be_bytes());
    write_all(FD_HINT_WRITE, data);
    let mut ack = [0u8; 1];
    read(FD_HINT_READ, &mut ack);
}

fn get(key: &[u8; 32]) -> alloc::vec::Vec<u8> {
    write_all(FD_PREIMAGE_WRITE, key);
    let mut len = [0u8; 8];
    read_exact(FD_PREIMAGE_READ, &mut len);
    let mut data = vec![0u8; u64::from_be_bytes(len) as usize];
    read_exact(FD_PREIMAGE_READ, &mut data);
    // Past the end: EOF.
    let mut extra = [0u8; 4];
    if read(FD_PREIMAGE_READ, &mut extra) != 0 {
        sprout_vm_test_programs::exit(3);
    }
    data
}

fn main() -> i32 {
    hint(b"l1-block 0x1234");
    let mut local = [0u8; 32];
    local[0] = 1;
    local[31] = 1;
    let key_bytes = get(&local);
    let Ok(key) = <[u8; 32]>::try_from(key_bytes.as_slice()) else {
        return 2;
    };
    let data = get(&key);
    let hash = keccak256(&data);
    println!("preimage of {} bytes", data.len());
    let ok = key[0] == 2 && hash[1..] == key[1..];
    println!("hash matches: {ok}");
    if ok { 0 } else { 1 }
}
