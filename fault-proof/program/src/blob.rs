//! EIP-4844 blobs through the oracle, keyed as OP's preimage oracle keys them: the KZG
//! commitment by the SHA-256 of its versioned hash (key type 4), and each of the blob's 4,096
//! field elements by `keccak256(commitment ++ z)` (key type 5), where `z` is the point the
//! element is the evaluation at: the 4,096th roots of unity of BLS12-381's scalar field in
//! bit-reversed order, as EIP-4844 lays a blob out.
//!
//! The program checks the commitment against the versioned hash; the field elements it takes
//! from the oracle (on L1 the PreimageOracle admits one only with a KZG proof at `z`; the host
//! computes the commitment from the blob itself).

use alloc::vec::Vec;

use alloy_primitives::{B256, U256};

/// Field elements in a blob.
pub const FIELD_ELEMENTS: usize = 4096;

/// BLS12-381's scalar field modulus.
pub const BLS_MODULUS: U256 = U256::from_limbs([
    0xffff_ffff_0000_0001,
    0x53bd_a402_fffe_5bfe,
    0x3339_d808_09a1_d805,
    0x73ed_a753_299d_7d48,
]);

/// The generator whose powers give the roots of unity (EIP-4844's `PRIMITIVE_ROOT_OF_UNITY`).
const PRIMITIVE_ROOT: u64 = 7;

/// The evaluation points of a blob's field elements, in the blob's order: `z_i =
/// ω^bitrev(i)` for ω the primitive 4,096th root of unity.
pub fn evaluation_points() -> Vec<B256> {
    let exponent = (BLS_MODULUS - U256::from(1)) / U256::from(FIELD_ELEMENTS as u64);
    let omega = U256::from(PRIMITIVE_ROOT).pow_mod(exponent, BLS_MODULUS);
    let mut powers = Vec::with_capacity(FIELD_ELEMENTS);
    let mut x = U256::from(1);
    for _ in 0..FIELD_ELEMENTS {
        powers.push(x);
        x = x.mul_mod(omega, BLS_MODULUS);
    }
    (0..FIELD_ELEMENTS)
        .map(|i| {
            let j = (i as u32).reverse_bits() >> (32 - 12);
            B256::from(powers[j as usize])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_points_are_distinct_4096th_roots_of_unity_starting_at_one() {
        let points = evaluation_points();
        assert_eq!(points.len(), FIELD_ELEMENTS);
        assert_eq!(U256::from_be_bytes(points[0].0), U256::from(1));
        // bitrev(1) = 2048: ω^2048 = -1.
        assert_eq!(
            U256::from_be_bytes(points[1].0),
            BLS_MODULUS - U256::from(1)
        );
        let w = U256::from_be_bytes(points[FIELD_ELEMENTS / 2].0); // bitrev(2048) = 1: ω
        assert_eq!(w.pow_mod(U256::from(4096), BLS_MODULUS), U256::from(1));
        assert_ne!(w.pow_mod(U256::from(2048), BLS_MODULUS), U256::from(1));
        let mut sorted = points.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), FIELD_ELEMENTS);
    }
}
