//! A stateless step verifier: re-executes one step from a [`StepWitness`] alone, as the on-chain
//! step contract will, and returns the post-state hash. It is the reference model for
//! `RISCV.sol`, and it checks that witnesses carry everything a step needs.

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{B256, keccak256};

use crate::{
    Error, MapOracle, Memory, Result, STATE_LEN, State, StepWitness, Vm,
    memory::{LEAF_BITS, TREE_DEPTH},
    state::state_hash,
    vm::Recorder,
};

/// Re-executes the step in `w` using only its pre-state, proofs and preimage, and returns the
/// post-state hash. The witness's own `post_state_hash` is not consulted.
///
/// - Every proof must verify against the pre-state's memory root.
/// - The step may touch only proven leaves.
/// - A preimage read needs the witness preimage, and a keccak256 preimage must hash to its key.
/// - Stepping an exited state returns the pre-state hash unchanged, as Cannon's `step` does.
pub fn verify_step(w: &StepWitness) -> Result<B256> {
    let bad = |m: String| Error::InvalidWitness(m);
    let pre: &[u8; STATE_LEN] =
        w.pre_state
            .as_ref()
            .try_into()
            .map_err(|_| Error::StateLength {
                expected: STATE_LEN,
                got: w.pre_state.len(),
            })?;
    let (state, root) = State::decode(pre)?;
    if state.exited {
        return Ok(state_hash(pre));
    }
    // The partial tree: every proven leaf, its path and its siblings, keyed by (height, index).
    let mut nodes: HashMap<(usize, u64), B256> = HashMap::new();
    let mut memory = Memory::new();
    let mut proven = BTreeSet::new();
    for p in &w.proofs {
        if !p.verify(root) {
            return Err(bad(format!(
                "proof for leaf {:#x} does not match the root",
                p.addr
            )));
        }
        let idx = p.addr >> LEAF_BITS;
        let mut node = p.leaf;
        nodes.insert((0, idx), node);
        for (h, sib) in p.siblings.iter().enumerate() {
            let i = idx >> h;
            nodes.insert((h, i ^ 1), *sib);
            node = if i & 1 == 0 {
                hash(&node, sib)
            } else {
                hash(sib, &node)
            };
            nodes.insert((h + 1, i >> 1), node);
        }
        memory.write_bytes(p.addr, p.leaf.as_slice());
        proven.insert(p.addr);
    }
    let mut oracle = MapOracle::new();
    if let Some(p) = &w.preimage {
        oracle.insert(p.key, p.data.to_vec());
    }
    let mut vm = Vm::from_parts(state, memory, oracle);
    vm.recorder = Some(Recorder::default());
    vm.step()?;
    let touched = vm.recorder.take().map(|r| r.leaves).unwrap_or_default();
    if let Some(missing) = touched.iter().find(|l| !proven.contains(*l)) {
        return Err(bad(format!(
            "the step touches leaf {missing:#x}, which has no proof"
        )));
    }
    // Rehash the proven paths with the leaves as the step left them.
    for &addr in &proven {
        nodes.insert((0, addr >> LEAF_BITS), vm.memory.leaf(addr));
    }
    for h in 1..=TREE_DEPTH {
        let parents: BTreeSet<u64> = proven.iter().map(|a| (a >> LEAF_BITS) >> h).collect();
        for p in parents {
            let child = |i: u64| nodes.get(&(h - 1, i)).copied();
            let (Some(l), Some(r)) = (child(2 * p), child(2 * p + 1)) else {
                return Err(bad(format!("missing node under ({h}, {p:#x})")));
            };
            nodes.insert((h, p), hash(&l, &r));
        }
    }
    let post_root = nodes.get(&(TREE_DEPTH, 0)).copied().unwrap_or(root);
    Ok(state_hash(&vm.state.encode(post_root)))
}

fn hash(l: &B256, r: &B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(l.as_slice());
    buf[32..].copy_from_slice(r.as_slice());
    keccak256(buf)
}
