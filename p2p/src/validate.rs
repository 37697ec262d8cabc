//! What a node checks before it takes or relays a gossiped block, in op-node's order and with
//! its outcomes: `Reject` penalises the peer that sent it, `Ignore` drops it quietly.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, B256};
use parking_lot::RwLock;

use crate::envelope::{BlockVersion, SignedBlock};

/// A block more than this many seconds ahead of the local clock is rejected.
pub const MAX_FUTURE_SECS: u64 = 5;
/// A block more than this many seconds old is rejected.
pub const MAX_AGE_SECS: u64 = 60;
/// Distinct blocks accepted at one height; more means the signer equivocates.
pub const MAX_BLOCKS_PER_HEIGHT: usize = 6;
/// Heights remembered for the per-height check.
const SEEN_HEIGHTS: usize = 1000;

/// The outcome for one received message.
#[derive(Debug)]
pub enum Verdict {
    /// Valid: deliver it and relay it.
    Accept(Box<SignedBlock>),
    /// Drop it without penalty (already seen, or no signer known yet).
    Ignore(String),
    /// Drop it and penalise the sender.
    Reject(String),
}

/// The address allowed to sign blocks (the SystemConfig's `unsafeBlockSigner`), shared with
/// whoever keeps it current from L1. Until it is known, every block is ignored.
#[derive(Clone, Debug, Default)]
pub struct SignerSource(Arc<RwLock<Option<Address>>>);

impl SignerSource {
    /// A source that already knows the signer.
    pub fn fixed(signer: Address) -> Self {
        Self(Arc::new(RwLock::new(Some(signer))))
    }

    /// The signer, if known.
    pub fn get(&self) -> Option<Address> {
        *self.0.read()
    }

    /// Sets the signer; the zero address means none.
    pub fn set(&self, signer: Address) {
        *self.0.write() = (!signer.is_zero()).then_some(signer);
    }
}

/// Checks received block messages for one chain.
#[derive(Debug)]
pub struct BlockValidator {
    chain_id: u64,
    prague_from: Option<u64>,
    signer: SignerSource,
    /// Block hashes accepted per height.
    seen: BTreeMap<u64, Vec<B256>>,
}

impl BlockValidator {
    /// A validator for chain `chain_id`, whose blocks run Prague's rules (and so travel as
    /// version 4) from timestamp `prague_from`, signed by `signer`.
    pub fn new(chain_id: u64, prague_from: Option<u64>, signer: SignerSource) -> Self {
        Self {
            chain_id,
            prague_from,
            signer,
            seen: BTreeMap::new(),
        }
    }

    /// The verdict on `data` (as received, compressed) from the topic of `version`, at unix
    /// time `now`.
    pub fn validate(&mut self, version: BlockVersion, data: &[u8], now: u64) -> Verdict {
        let block = match SignedBlock::decode(version, data) {
            Ok(block) => block,
            Err(err) => return Verdict::Reject(err.to_string()),
        };
        let signer = match block.signer(self.chain_id) {
            Ok(signer) => signer,
            Err(err) => return Verdict::Reject(err.to_string()),
        };
        let Some(expected) = self.signer.get() else {
            return Verdict::Ignore("the unsafe-block signer is not known yet".into());
        };
        if signer != expected {
            return Verdict::Reject(format!(
                "signed by {signer}, not the unsafe-block signer {expected}"
            ));
        }
        let v1 = block.payload.v1();
        if v1.timestamp > now + MAX_FUTURE_SECS {
            return Verdict::Reject(format!(
                "timestamp {} is more than {MAX_FUTURE_SECS} s ahead of {now}",
                v1.timestamp
            ));
        }
        if v1.timestamp + MAX_AGE_SECS < now {
            return Verdict::Reject(format!(
                "timestamp {} is more than {MAX_AGE_SECS} s before {now}",
                v1.timestamp
            ));
        }
        // Sprout runs Ecotone's rules from genesis: a Cancun block is version 3, a Prague one 4.
        let prague = self.prague_from.is_some_and(|at| v1.timestamp >= at);
        let expected = if prague {
            BlockVersion::V4
        } else {
            BlockVersion::V3
        };
        if version != expected {
            return Verdict::Reject(format!(
                "a version {} message for a block at {} whose rules want version {}",
                version.segment() + 1,
                v1.timestamp,
                expected.segment() + 1
            ));
        }
        let (number, claimed) = (v1.block_number, v1.block_hash);
        match block.header() {
            Ok((_, hash)) if hash == claimed => {}
            Ok((_, hash)) => {
                return Verdict::Reject(format!(
                    "block {number} claims hash {claimed}, its header hashes to {hash}"
                ));
            }
            Err(err) => return Verdict::Reject(err.to_string()),
        }
        match block.payload.extras() {
            (Some(withdrawals), Some((0, 0))) if withdrawals.is_empty() => {}
            (Some(withdrawals), Some((blob_gas_used, excess))) => {
                return Verdict::Reject(format!(
                    "{} withdrawals, blob gas used {blob_gas_used}, excess blob gas {excess}: all must be zero on L2",
                    withdrawals.len()
                ));
            }
            _ => return Verdict::Reject("not a version 3 or 4 payload".into()),
        }
        let hashes = self.seen.entry(number).or_default();
        if hashes.len() >= MAX_BLOCKS_PER_HEIGHT {
            return Verdict::Reject(format!(
                "more than {MAX_BLOCKS_PER_HEIGHT} blocks signed at height {number}"
            ));
        }
        if hashes.contains(&claimed) {
            return Verdict::Ignore(format!("block {number} {claimed} already seen"));
        }
        hashes.push(claimed);
        while self.seen.len() > SEEN_HEIGHTS {
            self.seen.pop_first();
        }
        Verdict::Accept(Box::new(block))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, U256};
    use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
    use alloy_signer_local::PrivateKeySigner;

    use super::*;

    const CHAIN: u64 = 901;
    const NOW: u64 = 1_800_000_000;

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).expect("key")
    }

    /// A block at `number` with a correct hash, signed by `signer`, compressed.
    fn message(number: u64, timestamp: u64, salt: u8, signer: &PrivateKeySigner) -> Vec<u8> {
        let mut payload = ExecutionPayloadV3 {
            payload_inner: ExecutionPayloadV2 {
                payload_inner: ExecutionPayloadV1 {
                    parent_hash: B256::repeat_byte(salt),
                    fee_recipient: Address::repeat_byte(0x42),
                    state_root: B256::repeat_byte(1),
                    receipts_root: B256::repeat_byte(2),
                    logs_bloom: Default::default(),
                    prev_randao: B256::repeat_byte(3),
                    block_number: number,
                    gas_limit: 30_000_000,
                    gas_used: 0,
                    timestamp,
                    extra_data: Bytes::new(),
                    base_fee_per_gas: U256::from(1_000_000u64),
                    block_hash: B256::ZERO,
                    transactions: vec![Bytes::from_static(&[0x7e, 0xc0])],
                },
                withdrawals: Vec::new(),
            },
            blob_gas_used: 0,
            excess_blob_gas: 0,
        };
        let root = B256::repeat_byte(9);
        let unsigned =
            SignedBlock::sign(Payload::V3(payload.clone()), root, CHAIN, signer).expect("signs");
        payload.payload_inner.payload_inner.block_hash = unsigned.header().expect("header").1;
        SignedBlock::sign(Payload::V3(payload), root, CHAIN, signer)
            .expect("signs")
            .encode()
            .expect("encodes")
    }

    fn validator() -> BlockValidator {
        BlockValidator::new(CHAIN, None, SignerSource::fixed(key(1).address()))
    }

    fn reason(verdict: Verdict) -> String {
        match verdict {
            Verdict::Reject(reason) => reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_block_from_the_signer_is_accepted_once_then_ignored() {
        let mut v = validator();
        let data = message(5, NOW, 0, &key(1));
        assert!(
            matches!(v.validate(BlockVersion::V3, &data, NOW), Verdict::Accept(b) if b.payload.v1().block_number == 5)
        );
        assert!(
            matches!(v.validate(BlockVersion::V3, &data, NOW), Verdict::Ignore(r) if r.contains("already seen"))
        );
    }

    #[test]
    fn blocks_from_anyone_else_are_rejected_and_all_are_ignored_while_the_signer_is_unknown() {
        let data = message(5, NOW, 0, &key(2));
        assert!(
            reason(validator().validate(BlockVersion::V3, &data, NOW))
                .contains("not the unsafe-block signer")
        );
        let source = SignerSource::default();
        let mut v = BlockValidator::new(CHAIN, None, source.clone());
        assert!(matches!(
            v.validate(BlockVersion::V3, &data, NOW),
            Verdict::Ignore(_)
        ));
        source.set(key(2).address());
        assert!(matches!(
            v.validate(BlockVersion::V3, &data, NOW),
            Verdict::Accept(_)
        ));
        // Another chain's signature recovers another address.
        let mut other_chain =
            BlockValidator::new(CHAIN + 1, None, SignerSource::fixed(key(1).address()));
        let data = message(5, NOW, 0, &key(1));
        assert!(
            reason(other_chain.validate(BlockVersion::V3, &data, NOW))
                .contains("not the unsafe-block signer")
        );
    }

    #[test]
    fn blocks_outside_the_time_window_are_rejected() {
        let mut v = validator();
        let future = message(5, NOW + MAX_FUTURE_SECS + 1, 0, &key(1));
        assert!(reason(v.validate(BlockVersion::V3, &future, NOW)).contains("ahead"));
        let old = message(5, NOW - MAX_AGE_SECS - 1, 0, &key(1));
        assert!(reason(v.validate(BlockVersion::V3, &old, NOW)).contains("before"));
        let edge = message(5, NOW + MAX_FUTURE_SECS, 0, &key(1));
        assert!(matches!(
            v.validate(BlockVersion::V3, &edge, NOW),
            Verdict::Accept(_)
        ));
    }

    #[test]
    fn a_wrong_block_hash_and_a_wrong_topic_are_rejected() {
        let mut v = validator();
        let data = message(5, NOW, 0, &key(1));
        let block = SignedBlock::decode(BlockVersion::V3, &data).expect("decodes");
        let Payload::V3(mut payload) = block.payload else {
            panic!("V3")
        };
        payload.payload_inner.payload_inner.gas_used += 1;
        let forged = SignedBlock::sign(
            Payload::V3(payload.clone()),
            B256::repeat_byte(9),
            CHAIN,
            &key(1),
        )
        .expect("signs")
        .encode()
        .expect("encodes");
        assert!(reason(v.validate(BlockVersion::V3, &forged, NOW)).contains("hashes to"));
        // On a Prague chain a block travels as version 4: version 3 is refused, and a version
        // 4 message keeps the version 3 block's hash only if it is the block's real header.
        let mut prague = BlockValidator::new(CHAIN, Some(0), SignerSource::fixed(key(1).address()));
        assert!(reason(prague.validate(BlockVersion::V3, &data, NOW)).contains("want version 4"));
        let as_v4 = SignedBlock::sign(
            Payload::V4 {
                payload,
                withdrawals_root: alloy_consensus::EMPTY_ROOT_HASH,
            },
            B256::repeat_byte(9),
            CHAIN,
            &key(1),
        )
        .expect("signs")
        .encode()
        .expect("encodes");
        assert!(reason(prague.validate(BlockVersion::V4, &as_v4, NOW)).contains("hashes to"));
        // Bytes of one version sent on another topic do not decode.
        assert!(reason(v.validate(BlockVersion::V1, &data, NOW)).contains("undecodable"));
    }

    #[test]
    fn a_signer_that_equivocates_is_cut_off_at_six_blocks_a_height() {
        let mut v = validator();
        for salt in 0..MAX_BLOCKS_PER_HEIGHT as u8 {
            let data = message(7, NOW, salt, &key(1));
            assert!(matches!(
                v.validate(BlockVersion::V3, &data, NOW),
                Verdict::Accept(_)
            ));
        }
        let seventh = message(7, NOW, 100, &key(1));
        assert!(reason(v.validate(BlockVersion::V3, &seventh, NOW)).contains("more than 6"));
        // Other heights are unaffected.
        assert!(matches!(
            v.validate(BlockVersion::V3, &message(8, NOW, 0, &key(1)), NOW),
            Verdict::Accept(_)
        ));
    }

    use crate::envelope::Payload;
}
