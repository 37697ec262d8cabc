//! Step witnesses: proofs verify against the pre-state, hashes chain from step to step, JSON
//! round-trips, tampering is detected, and leaf-crossing fetches carry two proofs.

use sprout_fault_proof_vm::{
    Error, MapOracle, STATE_LEN, State, StepWitness, Vm, local_key, run::load_elf, state_hash,
    verify_step, witness,
};

use crate::{execute::vm_with, program};

/// Checks the witness's internal consistency and returns the pre-state's memory root.
fn check(w: &StepWitness) -> Result<alloy_primitives::B256, Error> {
    let pre: [u8; STATE_LEN] = w
        .pre_state
        .as_ref()
        .try_into()
        .map_err(|_| Error::StateLength {
            expected: STATE_LEN,
            got: w.pre_state.len(),
        })?;
    assert_eq!(state_hash(&pre), w.pre_state_hash);
    let (state, root) = State::decode(&pre)?;
    assert_eq!(state.step, w.step);
    assert!(!w.proofs.is_empty(), "a step always fetches");
    assert_eq!(w.proofs[0].addr, state.pc & !31, "first proof is the fetch");
    for p in &w.proofs {
        assert!(p.verify(root), "proof for {:#x} at step {}", p.addr, w.step);
        let mut bad = p.clone();
        let i = (w.step as usize) % bad.siblings.len();
        bad.siblings[i].0[7] ^= 0x10;
        assert!(!bad.verify(root));
        let mut wrong_leaf = p.clone();
        wrong_leaf.leaf.0[31] ^= 1;
        assert!(!wrong_leaf.verify(root));
    }
    assert_eq!(
        verify_step(w)?,
        w.post_state_hash,
        "stateless re-execution of step {}",
        w.step
    );
    Ok(root)
}

/// Tampered witnesses are rejected by the stateless verifier (or give another post-state).
fn check_tampering(w: &StepWitness) {
    for i in 0..w.proofs.len() {
        let mut bad = w.clone();
        bad.proofs[i].siblings[(w.step as usize + i) % 59].0[0] ^= 0x01;
        assert!(
            verify_step(&bad).is_err(),
            "flipped sibling bit accepted at step {}",
            w.step
        );
        let mut bad = w.clone();
        bad.proofs[i].leaf.0[3] ^= 0x40;
        assert!(
            verify_step(&bad).is_err(),
            "wrong leaf accepted at step {}",
            w.step
        );
        let mut bad = w.clone();
        bad.proofs.remove(i);
        assert!(
            verify_step(&bad).is_err(),
            "missing proof accepted at step {}",
            w.step
        );
    }
    let mut bad = w.clone();
    let mut pre = bad.pre_state.to_vec();
    pre[0] ^= 0x01; // the memory root
    bad.pre_state = pre.into();
    assert!(
        verify_step(&bad).is_err(),
        "wrong pre-state root accepted at step {}",
        w.step
    );
    let mut bad = w.clone();
    let mut pre = bad.pre_state.to_vec();
    pre[79] ^= 0x08; // the pc moves to another instruction or leaf
    bad.pre_state = pre.into();
    assert!(
        verify_step(&bad).map_or(true, |h| h != w.post_state_hash),
        "wrong pre-state pc gave the same post-state at step {}",
        w.step
    );
}

#[test]
fn witnesses_chain_over_whole_programs() -> Result<(), Error> {
    chain("panic", 2)?;
    chain("alu", 0)
}

/// Witnesses every step of `name`, checking each and that they chain to the final hash.
fn chain(name: &str, final_status: u8) -> Result<(), Error> {
    let elf = load_elf(&program(name))?;
    let mut vm = Vm::new(&elf, MapOracle::new());
    let mut prev_post = vm.state_hash();
    let mut with_data = 0;
    while !vm.state.exited {
        let w = vm.step_with_witness()?;
        check(&w)?;
        if w.step % 97 == 0 || w.proofs.len() > 2 || w.preimage.is_some() {
            check_tampering(&w);
        }
        assert_eq!(w.pre_state_hash, prev_post, "step {}", w.step);
        with_data += usize::from(w.proofs.len() > 1);
        prev_post = w.post_state_hash;
    }
    assert_eq!(prev_post, vm.state_hash());
    assert_eq!(prev_post[0], final_status, "status in the final hash");
    assert!(with_data > 100, "loads and stores were proven");
    Ok(())
}

#[test]
fn witness_of_a_late_step_matches_a_plain_run() -> Result<(), Error> {
    let path = program("arith");
    let total = sprout_fault_proof_vm::run_elf(&path)?.steps;
    for step in [0, 1, total / 2, total - 1] {
        let w = witness(&path, step)?;
        check(&w)?;
        let mut vm = Vm::new(&load_elf(&path)?, MapOracle::new());
        vm.run(Some(step))?;
        assert_eq!(vm.state_hash(), w.pre_state_hash);
        vm.step()?;
        assert_eq!(vm.state_hash(), w.post_state_hash, "step {step}");
        let json = serde_json::to_string(&w).map_err(|e| Error::Elf(e.to_string()))?;
        let back: StepWitness =
            serde_json::from_str(&json).map_err(|e| Error::Elf(e.to_string()))?;
        assert_eq!(back, w);
    }
    assert!(matches!(
        witness(&path, total),
        Err(Error::StepOutOfRange { requested, exited_at }) if requested == total && exited_at == total
    ));
    Ok(())
}

#[test]
fn preimage_reads_carry_the_preimage() -> Result<(), Error> {
    let mut oracle = MapOracle::new();
    let key = oracle.insert_keccak256(b"hello preimage");
    oracle.insert(local_key(1), key.to_vec());
    let mut vm = Vm::new(&load_elf(&program("preimage"))?, oracle);
    let mut reads = Vec::new();
    while !vm.state.exited {
        let w = vm.step_with_witness()?;
        check(&w)?;
        if let Some(p) = &w.preimage {
            check_tampering(&w);
            let mut bad = w.clone();
            if let Some(p) = &mut bad.preimage {
                let mut data = p.data.to_vec();
                data.push(0);
                p.data = data.into();
            }
            // Local data is trusted (it comes from the dispute's local context); keccak256
            // preimages are checked against their key.
            if p.key[0] == 2 {
                assert!(verify_step(&bad).is_err(), "forged preimage accepted");
            }
            reads.push((p.key, p.offset, p.data.to_vec()));
        }
    }
    assert!(
        reads
            .iter()
            .any(|(k, o, d)| *k == key && *o == 8 && d == b"hello preimage")
    );
    assert!(reads.iter().any(|(k, o, _)| *k == local_key(1) && *o == 0));
    Ok(())
}

#[test]
fn a_fetch_across_a_leaf_needs_two_proofs() -> Result<(), Error> {
    // c.nop x15, then `addi x1, x0, 5` at CODE + 30 .. CODE + 34 crossing a leaf boundary.
    let mut words = vec![0x0001_0001u32; 7];
    words.push(0x0093_0001); // c.nop, then the low half of addi
    words.push(0x0000_0050); // high half of addi x1, x0, 5 (0x00500093)
    let mut vm = vm_with(&words);
    vm.run(Some(15))?;
    assert_eq!(vm.state.pc, 0x1000 + 30);
    let w = vm.step_with_witness()?;
    check(&w)?;
    assert_eq!(
        w.proofs.iter().map(|p| p.addr).collect::<Vec<_>>(),
        vec![0x1000, 0x1020]
    );
    assert_eq!(vm.state.regs[1], 5);
    Ok(())
}

#[test]
fn a_store_is_proven_against_the_pre_state() -> Result<(), Error> {
    // sd x4, 8(x2) (0x00413423)
    let mut vm = vm_with(&[0x00413423]);
    vm.state.regs[2] = 0x8000;
    vm.state.regs[4] = 0x1122_3344_5566_7788;
    let w = vm.step_with_witness()?;
    let root = check(&w)?;
    assert_eq!(w.proofs.len(), 2);
    assert_eq!(w.proofs[1].addr, 0x8000);
    assert_eq!(
        w.proofs[1].leaf,
        alloy_primitives::B256::ZERO,
        "the pre-state leaf"
    );
    assert_ne!(vm.memory.root(), root);
    assert_eq!(vm.state_hash(), w.post_state_hash);
    Ok(())
}

#[test]
fn a_fetch_across_a_page_needs_two_proofs() -> Result<(), Error> {
    // 2047 c.nops, then `addi x1, x0, 5` at CODE + 4094 .. CODE + 4098, across a page.
    let mut words = vec![0x0001_0001u32; 1023];
    words.push(0x0093_0001);
    words.push(0x0000_0050);
    let mut vm = vm_with(&words);
    vm.run(Some(2047))?;
    assert_eq!(vm.state.pc, 0x1000 + 4094);
    let w = vm.step_with_witness()?;
    check(&w)?;
    check_tampering(&w);
    assert_eq!(
        w.proofs.iter().map(|p| p.addr).collect::<Vec<_>>(),
        vec![0x1fe0, 0x2000]
    );
    assert_eq!(vm.state.regs[1], 5);
    Ok(())
}

#[test]
fn clock_gettime_across_a_leaf_is_proven_with_two_data_leaves() -> Result<(), Error> {
    let mut vm = vm_with(&[0x00000073]); // ecall
    vm.memory.write_bytes(0x9000, &[0xee; 64]);
    vm.state.regs[17] = 113;
    vm.state.regs[11] = 0x9018; // the timespec spans leaves 0x9000 and 0x9020
    let w = vm.step_with_witness()?;
    check(&w)?;
    check_tampering(&w);
    assert_eq!(
        w.proofs.iter().map(|p| p.addr).collect::<Vec<_>>(),
        vec![0x1000, 0x9000, 0x9020]
    );
    assert_eq!(
        vm.memory.read_bytes(0x9010, 32),
        [[0xee; 8], [0; 8], [0; 8], [0xee; 8]].concat()
    );
    Ok(())
}

#[test]
fn a_preimage_key_write_stops_at_the_leaf_end() -> Result<(), Error> {
    let mut vm = vm_with(&[0x00000073]); // ecall
    vm.memory
        .write_bytes(0x9000, &(0u8..64).collect::<Vec<_>>());
    vm.state.regs[17] = 64;
    vm.state.regs[10..13].copy_from_slice(&[6, 0x9014, 32]);
    let w = vm.step_with_witness()?;
    check(&w)?;
    assert_eq!(vm.state.regs[10], 12, "32 - 0x14 bytes");
    let mut want = [0u8; 32];
    want[20..].copy_from_slice(&(20u8..32).collect::<Vec<_>>());
    assert_eq!(vm.state.preimage_key.0, want);
    assert_eq!(
        w.proofs.iter().map(|p| p.addr).collect::<Vec<_>>(),
        vec![0x1000, 0x9000]
    );
    Ok(())
}
