//! OP's gossip message for a block: `snappy(signature ++ [parentBeaconBlockRoot] ++
//! SSZ(ExecutionPayload))`, signed by the chain's unsafe-block signer over
//! `keccak256(32 zero bytes ++ chainId ++ keccak256(everything after the signature))`.
//!
//! The snappy form is the raw (block) format, not the framed one. Sprout chains run Ecotone's
//! rules from genesis: they publish version 3 (topic `/optimism/<chainId>/2/blocks`, with the
//! parent beacon block root) for Cancun blocks, and version 4 (`/3/`, Isthmus's: version 3
//! plus the header's withdrawals root, with the empty EIP-7685 requests hash) for Prague ones.
//! Versions 1 and 2 decode too, for OP's published vectors.

use std::borrow::Cow;

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH, Header};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use sha2::{Digest, Sha256};
use ssz::{Decode, Encode};

use crate::{P2pError, Result};

/// Largest message, compressed or not (op-node's `maxGossipSize`).
pub const MAX_GOSSIP_SIZE: usize = 10 * (1 << 20);
/// Smallest decompressed message: a signature and one byte.
pub const MIN_GOSSIP_SIZE: usize = 66;
/// The signature's length: `r ++ s ++ y-parity` (0 or 1).
pub const SIGNATURE_LEN: usize = 65;
/// Message-id domain of a message that decompresses.
const DOMAIN_VALID_SNAPPY: [u8; 4] = [1, 0, 0, 0];
/// Message-id domain of one that does not.
const DOMAIN_INVALID_SNAPPY: [u8; 4] = [0, 0, 0, 0];

/// The block topics' versions. The topic's path segment is the version minus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockVersion {
    /// `ExecutionPayloadV1` (before Canyon).
    V1,
    /// `ExecutionPayloadV2`, with (empty) withdrawals (Canyon, Delta).
    V2,
    /// `ExecutionPayloadV3` after the parent beacon block root (Ecotone to Holocene): Sprout's
    /// Cancun blocks.
    V3,
    /// Version 3 with the withdrawals root appended to the fixed part (Isthmus): Sprout's
    /// Prague blocks.
    V4,
}

impl BlockVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 4] = [Self::V1, Self::V2, Self::V3, Self::V4];

    /// The topic's path segment.
    pub const fn segment(self) -> u8 {
        match self {
            Self::V1 => 0,
            Self::V2 => 1,
            Self::V3 => 2,
            Self::V4 => 3,
        }
    }

    /// The gossipsub topic of this version's blocks on chain `chain_id`.
    pub fn topic(self, chain_id: u64) -> String {
        format!("/optimism/{chain_id}/{}/blocks", self.segment())
    }

    /// The version whose topic `topic` is, on chain `chain_id`.
    pub fn from_topic(topic: &str, chain_id: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.topic(chain_id) == topic)
    }

    /// Whether the message carries the parent beacon block root before the payload.
    const fn has_beacon_root(self) -> bool {
        matches!(self, Self::V3 | Self::V4)
    }
}

/// An execution payload of one of the block topics' versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Version 1.
    V1(ExecutionPayloadV1),
    /// Version 2.
    V2(ExecutionPayloadV2),
    /// Version 3.
    V3(ExecutionPayloadV3),
    /// Version 4: version 3's fields and the header's withdrawals root.
    V4 {
        /// Version 3's fields.
        payload: ExecutionPayloadV3,
        /// The header's withdrawals root.
        withdrawals_root: B256,
    },
}

/// Where version 3's fixed part ends, and version 4 puts the withdrawals root.
const V3_FIXED_LEN: usize = 528;
/// The offsets (of extra data, transactions, withdrawals) in version 3's fixed part.
const V3_OFFSETS: [usize; 3] = [436, 504, 508];

/// Version 4's SSZ from version 3's: the root inserted at the end of the fixed part, and the
/// three offsets moved past it.
fn v4_from_v3(v3: &[u8], withdrawals_root: B256) -> Vec<u8> {
    let mut out = Vec::with_capacity(v3.len() + 32);
    out.extend_from_slice(&v3[..V3_FIXED_LEN]);
    for at in V3_OFFSETS {
        let offset = u32::from_le_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]]) + 32;
        out[at..at + 4].copy_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(withdrawals_root.as_slice());
    out.extend_from_slice(&v3[V3_FIXED_LEN..]);
    out
}

/// The inverse of [`v4_from_v3`], for untrusted bytes.
fn v3_from_v4(v4: &[u8]) -> Result<(Vec<u8>, B256)> {
    let fixed = V3_FIXED_LEN + 32;
    if v4.len() < fixed {
        return Err(P2pError::Decode(format!(
            "a version 4 payload of {} bytes is shorter than its {fixed}-byte fixed part",
            v4.len()
        )));
    }
    let mut out = Vec::with_capacity(v4.len() - 32);
    out.extend_from_slice(&v4[..V3_FIXED_LEN]);
    for at in V3_OFFSETS {
        let offset = u32::from_le_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]])
            .checked_sub(32)
            .ok_or_else(|| {
                P2pError::Decode("a version 4 offset points into the fixed part".into())
            })?;
        out[at..at + 4].copy_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(&v4[fixed..]);
    Ok((out, B256::from_slice(&v4[V3_FIXED_LEN..fixed])))
}

impl Payload {
    /// The fields every version has.
    pub fn v1(&self) -> &ExecutionPayloadV1 {
        match self {
            Self::V1(p) => p,
            Self::V2(p) => &p.payload_inner,
            Self::V3(p) | Self::V4 { payload: p, .. } => &p.payload_inner.payload_inner,
        }
    }

    /// Withdrawals (version 2 on), blob gas used and excess blob gas (version 3).
    pub fn extras(
        &self,
    ) -> (
        Option<&[alloy_eips::eip4895::Withdrawal]>,
        Option<(u64, u64)>,
    ) {
        match self {
            Self::V1(_) => (None, None),
            Self::V2(p) => (Some(&p.withdrawals), None),
            Self::V3(p) | Self::V4 { payload: p, .. } => (
                Some(&p.payload_inner.withdrawals),
                Some((p.blob_gas_used, p.excess_blob_gas)),
            ),
        }
    }

    fn ssz_bytes(&self) -> Vec<u8> {
        match self {
            Self::V1(p) => p.as_ssz_bytes(),
            Self::V2(p) => p.as_ssz_bytes(),
            Self::V3(p) => p.as_ssz_bytes(),
            Self::V4 {
                payload,
                withdrawals_root,
            } => v4_from_v3(&payload.as_ssz_bytes(), *withdrawals_root),
        }
    }

    /// The topic version this payload is published under.
    pub const fn version(&self) -> BlockVersion {
        match self {
            Self::V1(_) => BlockVersion::V1,
            Self::V2(_) => BlockVersion::V2,
            Self::V3(_) => BlockVersion::V3,
            Self::V4 { .. } => BlockVersion::V4,
        }
    }

    fn into_block_raw(
        self,
    ) -> core::result::Result<alloy_consensus::Block<Bytes>, alloy_rpc_types_engine::PayloadError>
    {
        match self {
            Self::V1(p) => p.into_block_raw(),
            Self::V2(p) => p.into_block_raw(),
            Self::V3(p) => p.into_block_raw(),
            Self::V4 {
                payload,
                withdrawals_root,
            } => payload.into_block_raw().map(|mut block| {
                block.header.withdrawals_root = Some(withdrawals_root);
                block.header.requests_hash = Some(EMPTY_REQUESTS_HASH);
                block
            }),
        }
    }
}

/// A block as gossip carries it, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBlock {
    /// The topic version it was decoded as, or is to be published as.
    pub version: BlockVersion,
    /// The execution payload.
    pub payload: Payload,
    /// The parent beacon block root (version 3).
    pub parent_beacon_block_root: Option<B256>,
    /// The signer's signature over [`signing_hash`].
    pub signature: Signature,
    /// `keccak256` of everything after the signature.
    pub payload_hash: B256,
}

/// What the unsafe-block signer signs: `keccak256(32 zero bytes ++ chainId as uint256 ++
/// payloadHash)`.
pub fn signing_hash(chain_id: u64, payload_hash: B256) -> B256 {
    let mut message = [0u8; 96];
    message[32..64].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    message[64..].copy_from_slice(payload_hash.as_slice());
    keccak256(message)
}

/// Decompresses raw snappy, refusing before it allocates a claimed size above `max`.
fn snappy_decode(data: &[u8], max: usize) -> Result<Vec<u8>> {
    let len = snap::raw::decompress_len(data)
        .map_err(|e| P2pError::Decode(format!("not snappy: {e}")))?;
    if len > max {
        return Err(P2pError::Decode(format!(
            "decompresses to {len} bytes, more than {max}"
        )));
    }
    snap::raw::Decoder::new()
        .decompress_vec(data)
        .map_err(|e| P2pError::Decode(format!("not snappy: {e}")))
}

/// The gossipsub message id op-node gives a message of `topic`: the first 20 bytes of
/// `sha256(domain ++ uint64_le(len(topic)) ++ topic ++ data)`, where `data` is decompressed
/// if it decompresses (domain `01000000`) and as received otherwise (domain `00000000`).
pub fn message_id(topic: &str, data: &[u8]) -> [u8; 20] {
    let (domain, payload): ([u8; 4], Cow<'_, [u8]>) = match snappy_decode(data, MAX_GOSSIP_SIZE) {
        Ok(decoded) => (DOMAIN_VALID_SNAPPY, Cow::Owned(decoded)),
        Err(_) => (DOMAIN_INVALID_SNAPPY, Cow::Borrowed(data)),
    };
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update((topic.len() as u64).to_le_bytes());
    hasher.update(topic.as_bytes());
    hasher.update(payload);
    let digest = hasher.finalize();
    let mut id = [0u8; 20];
    id.copy_from_slice(&digest[..20]);
    id
}

impl SignedBlock {
    /// Signs `payload` for chain `chain_id` with `signer`; `parent_beacon_block_root` goes with
    /// versions 3 and 4 (and is ignored for 1 and 2).
    pub fn sign(
        payload: Payload,
        parent_beacon_block_root: B256,
        chain_id: u64,
        signer: &PrivateKeySigner,
    ) -> Result<Self> {
        let version = payload.version();
        let root = version
            .has_beacon_root()
            .then_some(parent_beacon_block_root);
        let mut body = root.map(|r| r.to_vec()).unwrap_or_default();
        body.extend_from_slice(&payload.ssz_bytes());
        let payload_hash = keccak256(body);
        let signature = signer
            .sign_hash_sync(&signing_hash(chain_id, payload_hash))
            .map_err(|e| P2pError::Signer(e.to_string()))?;
        Ok(Self {
            version,
            payload,
            parent_beacon_block_root: root,
            signature,
            payload_hash,
        })
    }

    /// The message of `header`'s block (hash `hash`, `transactions` in EIP-2718 form), signed:
    /// version 4 if the header has a requests hash (Prague), else version 3.
    pub fn of_block(
        header: &Header,
        hash: B256,
        transactions: Vec<Bytes>,
        chain_id: u64,
        signer: &PrivateKeySigner,
    ) -> Result<Self> {
        let payload = ExecutionPayloadV3 {
            payload_inner: ExecutionPayloadV2 {
                payload_inner: ExecutionPayloadV1 {
                    parent_hash: header.parent_hash,
                    fee_recipient: header.beneficiary,
                    state_root: header.state_root,
                    receipts_root: header.receipts_root,
                    logs_bloom: header.logs_bloom,
                    prev_randao: header.mix_hash,
                    block_number: header.number,
                    gas_limit: header.gas_limit,
                    gas_used: header.gas_used,
                    timestamp: header.timestamp,
                    extra_data: header.extra_data.clone(),
                    base_fee_per_gas: U256::from(header.base_fee_per_gas.unwrap_or_default()),
                    block_hash: hash,
                    transactions,
                },
                withdrawals: Vec::new(),
            },
            blob_gas_used: header.blob_gas_used.unwrap_or_default(),
            excess_blob_gas: header.excess_blob_gas.unwrap_or_default(),
        };
        let payload = match header.requests_hash {
            Some(_) => Payload::V4 {
                payload,
                withdrawals_root: header.withdrawals_root.unwrap_or(EMPTY_ROOT_HASH),
            },
            None => Payload::V3(payload),
        };
        Self::sign(
            payload,
            header.parent_beacon_block_root.unwrap_or_default(),
            chain_id,
            signer,
        )
    }

    /// Decodes a message of topic version `version` as received (snappy-compressed).
    pub fn decode(version: BlockVersion, data: &[u8]) -> Result<Self> {
        if data.len() > MAX_GOSSIP_SIZE {
            return Err(P2pError::Decode(format!(
                "{} bytes, more than {MAX_GOSSIP_SIZE}",
                data.len()
            )));
        }
        Self::decode_raw(version, &snappy_decode(data, MAX_GOSSIP_SIZE)?)
    }

    /// Decodes a decompressed message of topic version `version`.
    pub fn decode_raw(version: BlockVersion, raw: &[u8]) -> Result<Self> {
        let fixed = SIGNATURE_LEN + if version.has_beacon_root() { 32 } else { 0 };
        if raw.len() < MIN_GOSSIP_SIZE.max(fixed + 1) {
            return Err(P2pError::Decode(format!(
                "{} bytes, too short for a block message",
                raw.len()
            )));
        }
        let (signature, body) = raw.split_at(SIGNATURE_LEN);
        // OP signs with y-parity 0 or 1; op-node refuses 27 and 28 too.
        if signature[64] > 1 {
            return Err(P2pError::Decode(format!(
                "signature recovery byte {} is not 0 or 1",
                signature[64]
            )));
        }
        let signature = Signature::try_from(signature)
            .map_err(|e| P2pError::Decode(format!("bad signature: {e}")))?;
        let payload_hash = keccak256(body);
        let (parent_beacon_block_root, ssz) = if version.has_beacon_root() {
            let (root, rest) = body.split_at(32);
            (Some(B256::from_slice(root)), rest)
        } else {
            (None, body)
        };
        let ssz_error = |e: ssz::DecodeError| P2pError::Decode(format!("bad SSZ payload: {e:?}"));
        let payload = match version {
            BlockVersion::V1 => {
                Payload::V1(ExecutionPayloadV1::from_ssz_bytes(ssz).map_err(ssz_error)?)
            }
            BlockVersion::V2 => {
                Payload::V2(ExecutionPayloadV2::from_ssz_bytes(ssz).map_err(ssz_error)?)
            }
            BlockVersion::V3 => {
                Payload::V3(ExecutionPayloadV3::from_ssz_bytes(ssz).map_err(ssz_error)?)
            }
            BlockVersion::V4 => {
                let (v3, withdrawals_root) = v3_from_v4(ssz)?;
                Payload::V4 {
                    payload: ExecutionPayloadV3::from_ssz_bytes(&v3).map_err(ssz_error)?,
                    withdrawals_root,
                }
            }
        };
        Ok(Self {
            version,
            payload,
            parent_beacon_block_root,
            signature,
            payload_hash,
        })
    }

    /// The decompressed message: signature (y-parity 0 or 1), the parent beacon block root
    /// (version 3), then the SSZ payload.
    pub fn encode_raw(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.signature.r().to_be_bytes::<32>());
        out.extend_from_slice(&self.signature.s().to_be_bytes::<32>());
        out.push(u8::from(self.signature.v()));
        if let Some(root) = self.parent_beacon_block_root {
            out.extend_from_slice(root.as_slice());
        }
        out.extend_from_slice(&self.payload.ssz_bytes());
        out
    }

    /// The message as published: [`Self::encode_raw`], snappy-compressed.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let raw = self.encode_raw();
        if raw.len() > MAX_GOSSIP_SIZE {
            return Err(P2pError::Invalid(format!(
                "a {}-byte block message is more than gossip's {MAX_GOSSIP_SIZE}",
                raw.len()
            )));
        }
        snap::raw::Encoder::new()
            .compress_vec(&raw)
            .map_err(|e| P2pError::Invalid(format!("cannot compress: {e}")))
    }

    /// The address that signed it, for chain `chain_id`.
    pub fn signer(&self, chain_id: u64) -> Result<Address> {
        self.signature
            .recover_address_from_prehash(&signing_hash(chain_id, self.payload_hash))
            .map_err(|e| P2pError::Decode(format!("signature does not recover: {e}")))
    }

    /// The block header the payload describes (a version 4 one with the empty EIP-7685
    /// requests hash, as Isthmus has), and the hash it has.
    pub fn header(&self) -> Result<(Header, B256)> {
        let block = self
            .payload
            .clone()
            .into_block_raw()
            .map_err(|e| P2pError::Invalid(format!("payload is not a block: {e}")))?;
        let mut header = block.header;
        header.ommers_hash = EMPTY_OMMER_ROOT_HASH;
        header.parent_beacon_block_root = self.parent_beacon_block_root;
        let hash = header.hash_slow();
        Ok((header, hash))
    }
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
