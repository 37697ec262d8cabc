//! Step witnesses: everything a verifier needs to re-execute one step from its pre-state hash.

use alloy_primitives::{B256, Bytes};

use crate::{
    PreimageOracle, Result,
    memory::LeafProof,
    state::state_hash,
    vm::{Recorder, Vm},
};

/// The preimage a step read from fd 5.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PreimageWitness {
    /// The key in the pre-state.
    pub key: B256,
    /// The read offset in the pre-state (into `len_be8 ++ data`).
    #[serde(with = "hex_u64")]
    pub offset: u64,
    /// The whole preimage, without the length prefix.
    pub data: Bytes,
}

/// The witness for executing step `step` (the `step`-th instruction, counting from 0).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepWitness {
    /// The step counter of the pre-state.
    #[serde(with = "hex_u64")]
    pub step: u64,
    /// The encoded pre-state (`STATE_LEN` bytes).
    pub pre_state: Bytes,
    /// Its state hash.
    pub pre_state_hash: B256,
    /// The state hash after the step.
    pub post_state_hash: B256,
    /// Proofs against the pre-state memory root of every leaf the step reads or writes, in
    /// first-touch order: the instruction fetch (one leaf, or two when a 4-byte instruction
    /// crosses a leaf), then data accesses (up to two, for `clock_gettime`).
    pub proofs: Vec<LeafProof>,
    /// The preimage, if the step reads fd 5.
    pub preimage: Option<PreimageWitness>,
}

impl StepWitness {
    /// The `proof` argument of the on-chain `RISCV.step`: every proof in witness order, each
    /// encoded by [`LeafProof::step_bytes`].
    pub fn proof_bytes(&self) -> Vec<u8> {
        self.proofs.iter().flat_map(LeafProof::step_bytes).collect()
    }

    /// The `stateData` argument of the on-chain `RISCV.step`: the encoded pre-state.
    pub fn state_bytes(&self) -> &[u8] {
        &self.pre_state
    }
}

impl<O: PreimageOracle> Vm<O> {
    /// Executes one step and returns its witness.
    pub fn step_with_witness(&mut self) -> Result<StepWitness> {
        let pre_state = self.encode_state();
        let pre_state_hash = state_hash(&pre_state);
        let step = self.state.step;
        self.recorder = Some(Recorder::default());
        let stepped = self.step();
        let rec = self.recorder.take().unwrap_or_default();
        stepped?;
        // Prove against the pre-state: undo the writes, prove, redo.
        let post: Vec<(u64, B256)> = rec
            .undo
            .iter()
            .map(|&(leaf, _)| (leaf, self.memory.leaf(leaf)))
            .collect();
        for (leaf, old) in &rec.undo {
            self.memory.write_bytes(*leaf, old.as_slice());
        }
        let proofs = rec.leaves.iter().map(|&l| self.memory.proof(l)).collect();
        for (leaf, new) in &post {
            self.memory.write_bytes(*leaf, new.as_slice());
        }
        let post_state_hash = self.state_hash();
        Ok(StepWitness {
            step,
            pre_state: Bytes::copy_from_slice(&pre_state),
            pre_state_hash,
            post_state_hash,
            proofs,
            preimage: rec.preimage,
        })
    }
}

/// Serde for `u64` as a `0x`-prefixed hex string, so JSON readers without 64-bit integers
/// (JavaScript) do not lose precision.
pub(crate) mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom("expected 0x-hex"))?;
        u64::from_str_radix(digits, 16).map_err(D::Error::custom)
    }
}
