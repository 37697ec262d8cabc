//! The decoder, the ELF loader and the VM itself never panic the host on arbitrary input.

use proptest::prelude::*;
use sprout_fault_proof_vm::{
    decode::{decode, decode16},
    elf::Elf,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_never_panics(word in any::<u32>()) {
        let _ = decode(word);
        let _ = decode16(word as u16);
    }

    #[test]
    fn elf_loading_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Elf::parse(&bytes);
    }

    #[test]
    fn elf_loading_never_panics_on_mutated_headers(
        flips in proptest::collection::vec((0usize..256, any::<u8>()), 1..8)
    ) {
        let mut bytes = vec![0u8; 256];
        bytes[..4].copy_from_slice(&[0x7f, b'E', b'L', b'F']);
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[16] = 2;
        bytes[18] = 243;
        bytes[32] = 64;
        bytes[54] = 56;
        bytes[56] = 1;
        bytes[64] = 1;
        for (i, v) in flips {
            bytes[i] = v;
        }
        let _ = Elf::parse(&bytes);
    }

    #[test]
    fn random_code_never_panics_the_host(words in proptest::collection::vec(any::<u32>(), 1..64)) {
        let mut vm = crate::execute::vm_with(&words);
        for r in 1..32 {
            vm.state.regs[r] = (r as u64) * 0x1_0001_0001;
        }
        // Random code may loop, jump anywhere, or end in a panic; 500 steps are enough.
        let _ = vm.run(Some(500));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn verifying_arbitrary_witnesses_never_panics(
        words in proptest::collection::vec(any::<u32>(), 1..8),
        pc_offset in 0u64..40,
        regs in proptest::collection::vec(any::<u64>(), 32),
        flip in any::<(u8, u8)>(),
    ) {
        let mut vm = crate::execute::vm_with(&words);
        vm.state.pc += pc_offset;
        vm.state.regs[1..].copy_from_slice(&regs[1..]);
        if let Ok(w) = vm.step_with_witness() {
            let _ = sprout_fault_proof_vm::verify_step(&w);
            let mut bad = w.clone();
            let mut pre = bad.pre_state.to_vec();
            let i = usize::from(flip.0) % pre.len();
            pre[i] ^= flip.1 | 1;
            // Also the extremes of the step counter and the preimage offset.
            if flip.0 % 3 == 0 {
                pre[106..114].fill(0xff);
                pre[64..72].fill(0xff);
            }
            bad.pre_state = pre.into();
            let _ = sprout_fault_proof_vm::verify_step(&bad);
        }
    }
}
