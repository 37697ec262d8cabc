//! The output root (v0): the L2 state commitment the proposer posts to L1 and withdrawals are
//! proven against.

use alloy_primitives::{Address, B256, address, keccak256};

/// The `L2ToL1MessagePasser` predeploy, whose storage root the output commits to.
pub const MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");

/// Output root version 0.
pub const OUTPUT_VERSION_V0: B256 = B256::ZERO;

/// `keccak256(version ++ state_root ++ message_passer_storage_root ++ block_hash)`, version 0.
pub fn output_root_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> B256 {
    keccak256(output_preimage_v0(
        state_root,
        message_passer_storage_root,
        block_hash,
    ))
}

/// The 128 bytes the v0 output root hashes: `version ++ state_root ++
/// message_passer_storage_root ++ block_hash`.
pub fn output_preimage_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> [u8; 128] {
    let mut preimage = [0u8; 128];
    preimage[..32].copy_from_slice(OUTPUT_VERSION_V0.as_slice());
    preimage[32..64].copy_from_slice(state_root.as_slice());
    preimage[64..96].copy_from_slice(message_passer_storage_root.as_slice());
    preimage[96..].copy_from_slice(block_hash.as_slice());
    preimage
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    #[test]
    fn output_root_is_the_keccak_of_its_four_words() {
        let (state, passer, block) = (
            b256!("0x1111111111111111111111111111111111111111111111111111111111111111"),
            b256!("0x2222222222222222222222222222222222222222222222222222222222222222"),
            b256!("0x3333333333333333333333333333333333333333333333333333333333333333"),
        );
        let mut words = alloc::vec::Vec::new();
        for w in [B256::ZERO, state, passer, block] {
            words.extend_from_slice(w.as_slice());
        }
        assert_eq!(output_root_v0(state, passer, block), keccak256(&words));
        // Each word counts.
        assert_ne!(
            output_root_v0(passer, state, block),
            output_root_v0(state, passer, block)
        );
    }
}
