//! The on-chain step against the emulator: `RISCV.sol` and `PreimageOracle.sol`, deployed from
//! `contracts/artifacts/*.json` into an in-memory revm, must return the emulator's post-state
//! hash for every step we witness, and revert on tampered proofs.
//!
//! The steps are the first occurrence of every instruction kind (compressed forms, syscalls and
//! their fds, taken and untaken branches, SC success and failure, leaf-crossing fetches) in the
//! test programs, samples spread over each run, and synthetic steps that cover every encoding,
//! syscall path and VM panic case on their own. Gas per step is printed (`--nocapture`).

mod cases;
mod chain;
mod kinds;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sprout_fault_proof_vm::{
    LeafProof, MapOracle, STATE_LEN, StepWitness, Vm, keccak256_key, local_key, run::load_elf,
    state_hash,
};

use crate::{
    cases::{Case, cases_32, cases_atomic, cases_compressed, cases_system, run_case},
    chain::{Chain, Gas, Stepped},
    kinds::{kind_of, required_kinds},
};

fn program(name: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../programs/target/riscv64imac-unknown-none-elf/release")
        .join(name);
    assert!(
        path.is_file(),
        "test program {} is missing: run fault-proof/programs/build.sh first",
        path.display()
    );
    path
}

/// What a walk over a program collected.
struct Walk {
    witnesses: Vec<(String, StepWitness)>,
    final_state: [u8; STATE_LEN],
}

/// Runs `name` to the end, witnessing the first occurrence of every kind, the first step, the
/// last step and every `every`-th step.
fn walk(name: &str, oracle: MapOracle, every: u64) -> Walk {
    let elf = load_elf(&program(name)).expect("ELF");
    let mut vm = Vm::new(&elf, oracle);
    let mut seen = HashSet::new();
    let mut witnesses = Vec::new();
    while !vm.state.exited {
        let key = kind_of(&vm);
        let step = vm.state.step;
        if seen.insert(key.clone()) || step.is_multiple_of(every) {
            let w = vm.step_with_witness().expect("witness");
            witnesses.push((key, w));
        } else {
            vm.step().expect("step");
        }
    }
    // The last step: the exit syscall or the panic, witnessed as a kind of its own above
    // unless the same kind ran before; witness it again from a replay if needed.
    let last = vm.state.step - 1;
    if witnesses.last().is_none_or(|(_, w)| w.step != last) {
        let mut replay = Vm::new(&elf, vm.oracle().clone());
        replay.run(Some(last)).expect("replay");
        let w = replay
            .step_with_witness()
            .expect("witness of the last step");
        witnesses.push(("last step".into(), w));
    }
    Walk {
        witnesses,
        final_state: vm.encode_state(),
    }
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// The proof of `p` with every sibling spelled out (mask 0), which the contract also accepts.
fn uncompressed(p: &LeafProof) -> Vec<u8> {
    let mut out = p.addr.to_be_bytes().to_vec();
    out.extend_from_slice(p.leaf.as_slice());
    out.extend_from_slice(&[0u8; 8]);
    for s in &p.siblings {
        out.extend_from_slice(s.as_slice());
    }
    out
}

/// The uncompressed proofs give the same post-state, and every tampering of `w` must make the
/// step revert.
fn check_tampering(chain: &mut Chain, what: &str, w: &StepWitness) {
    let state = w.state_bytes();
    let proof = w.proof_bytes();
    let full: Vec<u8> = w.proofs.iter().flat_map(uncompressed).collect();
    match chain.step_raw(state, &full) {
        Stepped::Hash { hash, .. } => assert_eq!(hash, w.post_state_hash, "{what}: uncompressed"),
        Stepped::Reverted(out) => panic!("{what}: uncompressed proofs reverted: {out}"),
    }
    let entries: Vec<Vec<u8>> = w.proofs.iter().map(LeafProof::step_bytes).collect();
    let join = |parts: &[Vec<u8>]| parts.concat();
    let k = w.step as usize;
    for i in 0..entries.len() {
        let mut tamper = |name: &str, f: &dyn Fn(&mut Vec<u8>)| {
            let mut parts = entries.clone();
            f(&mut parts[i]);
            chain.expect_revert(&format!("{what}: {name}"), state, &join(&parts));
        };
        let explicit = (entries[i].len() - 48) / 32;
        if explicit > 0 {
            tamper("flipped sibling bit", &|e| {
                e[48 + 32 * (k % explicit) + 5] ^= 0x10
            });
        }
        tamper("flipped mask bit", &|e| {
            e[40 + 7 - (k % 59) / 8] ^= 1 << ((k % 59) % 8)
        });
        tamper("mask bit above the depth", &|e| e[40] |= 0x10);
        tamper("wrong leaf", &|e| e[8 + 31] ^= 0x01);
        tamper("wrong address", &|e| e[6] ^= 0x01);
        tamper("misaligned address", &|e| e[7] ^= 0x04);
        tamper("missing sibling", &|e| {
            e.truncate(e.len() - 32);
        });
        let mut parts = entries.clone();
        parts.remove(i);
        chain.expect_revert(&format!("{what}: missing proof"), state, &join(&parts));
        let mut parts = entries.clone();
        parts.push(entries[i].clone());
        chain.expect_revert(&format!("{what}: duplicate proof"), state, &join(&parts));
    }
    if !w.proofs.is_empty() {
        let mut pre = state.to_vec();
        pre[0] ^= 0x01;
        chain.expect_revert(&format!("{what}: wrong pre-state root"), &pre, &proof);
        chain.expect_revert(
            &format!("{what}: truncated proof"),
            state,
            &proof[..proof.len() - 1],
        );
    }
    chain.expect_revert(
        &format!("{what}: short state"),
        &state[..STATE_LEN - 1],
        &proof,
    );
    let mut long = state.to_vec();
    long.push(0);
    chain.expect_revert(&format!("{what}: long state"), &long, &proof);
}

#[test]
fn onchain_step_matches_the_emulator() {
    let mut chain = Chain::new();
    let mut kinds = BTreeMap::<String, usize>::new();
    let mut program_gas = Vec::new();
    let mut by_proofs = BTreeMap::<usize, Vec<Gas>>::new();
    // Proof entries of the program steps and their bytes, compact and full.
    let (mut entries, mut compact_bytes) = (0usize, 0usize);
    let mut all_gas = Vec::new();
    let mut checked = 0usize;

    // Synthetic steps.
    let cases: Vec<Case> = cases_32()
        .into_iter()
        .chain(cases_atomic())
        .chain(cases_compressed())
        .chain(cases_system())
        .collect();
    for c in &cases {
        for (key, w) in run_case(c) {
            let gas = chain.check(&c.name, &w);
            all_gas.push(gas);
            by_proofs.entry(w.proofs.len()).or_default().push(gas);
            *kinds.entry(key).or_default() += 1;
            checked += 1;
        }
    }
    let synthetic = checked;

    // Program walks.
    let mut tampered = 0usize;
    let preimage_data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut preimage_oracle = MapOracle::new();
    let key = preimage_oracle.insert_keccak256(&preimage_data);
    preimage_oracle.insert(local_key(1), key.to_vec());
    assert_eq!(key, keccak256_key(&preimage_data));
    for (name, oracle, every, status) in [
        ("alu", MapOracle::new(), 500, 0u8),
        ("panic", MapOracle::new(), 2_000, 2),
        ("preimage", preimage_oracle, 5_000, 0),
        ("arith", MapOracle::new(), 100_000, 0),
    ] {
        let walk = walk(name, oracle, every);
        let mut prev: Option<&StepWitness> = None;
        for (i, (key, w)) in walk.witnesses.iter().enumerate() {
            let gas = chain.check(&format!("{name} [{key}]"), w);
            program_gas.push(gas);
            entries += w.proofs.len();
            compact_bytes += w.proof_bytes().len();
            all_gas.push(gas);
            by_proofs.entry(w.proofs.len()).or_default().push(gas);
            *kinds.entry(key.clone()).or_default() += 1;
            checked += 1;
            // Tamper with the first steps, those with data proofs, and every 10th.
            if i < 3 || w.proofs.len() > 1 && tampered < 200 || i % 10 == 0 {
                check_tampering(&mut chain, &format!("{name} step {}", w.step), w);
                tampered += 1;
            }
            if let Some(p) = prev
                && p.step + 1 == w.step
            {
                assert_eq!(p.post_state_hash, w.pre_state_hash, "{name}: hashes chain");
            }
            prev = Some(w);
        }
        // The final state steps to itself, whatever the proof.
        let final_hash = state_hash(&walk.final_state);
        assert_eq!(final_hash[0], status, "{name}: final status");
        for proof in [Vec::new(), vec![0u8; 5]] {
            match chain.step_raw(&walk.final_state, &proof) {
                Stepped::Hash { hash, .. } => {
                    assert_eq!(hash, final_hash, "{name}: an exited state steps to itself")
                }
                Stepped::Reverted(out) => panic!("{name}: exited state reverted: {out}"),
            }
        }
    }

    // Every decoded kind is covered.
    let mut missing = Vec::new();
    let required = required_kinds();
    let found: BTreeSet<String> = kinds
        .keys()
        .map(|k| k.trim_end_matches(" cross-leaf").to_string())
        .collect();
    for r in &required {
        // 32-bit kinds exactly; compressed forms by their prefix.
        let hit = |k: &String| {
            if r.starts_with("C ") {
                k.starts_with(&format!("{r} "))
            } else {
                k == r
            }
        };
        if !found.iter().any(hit) {
            missing.push(r.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "kinds never stepped on chain: {missing:?}"
    );
    assert!(kinds.keys().any(|k| k.ends_with("cross-leaf")));

    println!(
        "on-chain steps: {checked} checked ({synthetic} synthetic), {} kinds, {tampered} tampered witnesses rejected",
        kinds.len()
    );
    println!(
        "gas per step: tx = what the step transaction pays (21000, calldata or the EIP-7623 floor, execution); exec = execution alone"
    );
    println!(
        "program steps: {entries} proof entries, {} bytes each on average (1928 when full)",
        compact_bytes / entries.max(1)
    );
    report("programs", &program_gas);
    report("all", &all_gas);
    for (n, gas) in &by_proofs {
        report(&format!("{n} leaf proofs"), gas);
    }
}

/// Prints the median and maximum tx and execution gas of `gas`.
fn report(what: &str, gas: &[Gas]) {
    let mut tx: Vec<u64> = gas.iter().map(|g| g.tx).collect();
    let mut exec: Vec<u64> = gas.iter().map(|g| g.exec).collect();
    println!(
        "  {what}: {} steps, tx median {} max {}, exec median {} max {}",
        gas.len(),
        median(&mut tx),
        tx.last().copied().unwrap_or_default(),
        median(&mut exec),
        exec.last().copied().unwrap_or_default(),
    );
}
