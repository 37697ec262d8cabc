use alloy_primitives::{address, b256, hex};
use proptest::prelude::*;

use super::*;

/// op-alloy's `test_roundtrip_encode_envelope_v1` (alloy-rs/op-alloy,
/// crates/rpc-types-engine/src/envelope.rs): a zero payload but for its timestamp and hash.
const OP_ALLOY_V1: &str = "bd04f043128457c6ccf35128497167442bcc0f8cce78cda8b366e6a12e526d938d1e4c1046acffffbfc542a7e212bb7d80d3a4b2f84f7b196d935398a24eb84c519789b401000000fe0300fe0300fe0300fe0300fe0300fe0300a203000c4a8fd56621ad04fc0101067601008ce60be0005b220117c32c0f3b394b346c2aa42cfa8157cd41f891aa0bec485a62fc010000";
/// op-alloy's `test_roundtrip_encode_envelope_v2`.
const OP_ALLOY_V2: &str = "c104f0433805080eb36c0b130a7cc1dc74c3f721af4e249aa6f61bb89d1557143e971bb738a3f3b98df7c457e74048e9d2d7e5cd82bb45e3760467e2270e9db86d1271a700000000fe0300fe0300fe0300fe0300fe0300fe0300a203000c6b89d46525ad000205067201009cda69cb5b9b73fc4eb2458b37d37f04ff507fe6c9cd2ab704a05ea9dae3cd61760002000000020000";
/// op-alloy's `test_roundtrip_encode_envelope_v3` (parent beacon block root `0x…1234`).
const OP_ALLOY_V3: &str = "f104f0434442b9eb38b259f5b23826e6b623e829d2fb878dac70187a1aecf42a3f9bedfd29793d1fcb5822324be0d3e12340a95855553a65d64b83e5579dffb31470df5d010000006a03000412346a1d00fe0100fe0100fe0100fe0100fe0100fe01004201000cc588d465219504100201067601007cfece77b89685f60e3663b6e0faf2de0734674eb91339700c4858c773a8ff921e014401043e0100";
/// op-alloy's `test_roundtrip_encode_envelope_v4` (root `0x…1234`, withdrawals root
/// `0x…9876`). Its block hash field is zero, so its header does not hash to it.
const OP_ALLOY_V4: &str = "9105f043cee25401b6853202950d1d8a082f31a80c4fef5782c049a731f5d104b1b9b9aa7618605b420438ae98b44c8aaaebd482854473c2ae57c079286bb634bece5210000000006a03000412346a1d00fe0100fe0100fe0100fe0100fe0100fe01004201000c5766d26721950430020106f6010001440104b60100049876";

/// A decompressed V3 message with one signed EIP-1559 transaction and Holocene-style extra
/// data, signed by anvil's key 0 for chain 10. Not published by OP: made by an independent
/// implementation (Python keccak, snappy, secp256k1 and RLP), whose block hash agrees with
/// alloy's `Header::hash_slow` and whose signature agrees with k256 byte for byte.
const INDEPENDENT_V3: &str = "9c3360d1d0aee93680134fe2474f84d6d66059aa308269b82b4767797ad8b77510bcfdd7489e7b58cd430bbada6525511c13decbec524172f1799e1b36096612006666666666666666666666666666666666666666666666666666666666666666111111111111111111111111111111111111111111111111111111111111111142000000000000000000000000000000000000112222222222222222222222222222222222222222222222222222222222222222333333333333333333333333333333333333333333333333333333333333333300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000444444444444444444444444444444444444444444444444444444444444444487d612000000000080c3c90100000000085200000000000080857467000000001002000040420f0000000000000000000000000000000000000000000000000000000000dfea9b53486b8e2c4ccd99fe38885bbd12df7cd5a29c2e7731f26ea182633c5f190200008a0200000000000000000000000000000000000000000000fa000000060400000002f86a0a80843b9aca00847735940082520894000000000000000000000000000000000000dead0180c001a0d44832706c4ea688330044ec65c6a0b536c291b79f8a52d3b21810c7768a732ca057fcc8ee0e9658322618ee7aca7ad86689b25cc2ed5b9da3a5f66a8339654835";
/// The same block as a V4 message (withdrawals root `0x55…55`, the empty requests hash), made
/// the same way.
const INDEPENDENT_V4: &str = "c2994f9c2223f230ac5c29a43c0df8c499de4e145623480f05114485518214655def52a6fc350caf2c89cee1e2fc48f8d5778993980ce84bc86d193402519dde006666666666666666666666666666666666666666666666666666666666666666111111111111111111111111111111111111111111111111111111111111111142000000000000000000000000000000000000112222222222222222222222222222222222222222222222222222222222222222333333333333333333333333333333333333333333333333333333333333333300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000444444444444444444444444444444444444444444444444444444444444444487d612000000000080c3c90100000000085200000000000080857467000000003002000040420f0000000000000000000000000000000000000000000000000000000000be7d7942f74a0e10d352c88f37362d6a3a785b305a914221949892c3215ab49c39020000aa02000000000000000000000000000000000000555555555555555555555555555555555555555555555555555555555555555500000000fa000000060400000002f86a0a80843b9aca00847735940082520894000000000000000000000000000000000000dead0180c001a0d44832706c4ea688330044ec65c6a0b536c291b79f8a52d3b21810c7768a732ca057fcc8ee0e9658322618ee7aca7ad86689b25cc2ed5b9da3a5f66a8339654835";
/// Anvil's key 0.
const ANVIL_KEY_0: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

#[test]
fn the_signing_hash_matches_op_alloys_vector() {
    // op-alloy `test_signature_message`: payload hash keccak256(32 × 0x99), chain 10.
    let payload_hash = keccak256([0x99u8; 32]);
    assert_eq!(
        signing_hash(10, payload_hash),
        b256!("0x44a0e2b1aba1aae1771eddae1dcd2ad18a8cdac8891517153f03253e49d3f206")
    );
}

#[test]
fn message_ids_match_op_nodes_golden_vectors() {
    // kona's `compute_message_id_matches_op_node_golden_vectors` (the op-node formula, which
    // binds the id to the topic).
    assert_eq!(
        message_id("test", &unhex("0102030405")),
        hex!("b6897dcba59347fedcd694cc0f5117093c9dc727")
    );
    let compressed = snap::raw::Encoder::new()
        .compress_vec(&unhex("0102030405"))
        .expect("compress");
    assert_eq!(
        message_id("test", &compressed),
        hex!("adbe547b27f41294a08a09210a5e8531e83cdc16")
    );
    // A snappy header that claims u32::MAX bytes takes the invalid branch without allocating.
    let bomb = unhex("ffffffff0f0041");
    let mut raw = Vec::new();
    raw.extend_from_slice(&DOMAIN_INVALID_SNAPPY);
    raw.extend_from_slice(&4u64.to_le_bytes());
    raw.extend_from_slice(b"test");
    raw.extend_from_slice(&bomb);
    assert_eq!(message_id("test", &bomb)[..], Sha256::digest(raw)[..20]);
}

#[test]
fn op_alloys_envelopes_decode_hash_and_reencode_to_the_same_bytes() {
    for (version, data, timestamp, beacon_root) in [
        (BlockVersion::V1, OP_ALLOY_V1, 1725271882, None),
        (BlockVersion::V2, OP_ALLOY_V2, 1708427627, None),
        (
            BlockVersion::V3,
            OP_ALLOY_V3,
            1708427461,
            Some(B256::left_padding_from(&[0x12, 0x34])),
        ),
    ] {
        let data = unhex(data);
        let block = SignedBlock::decode(version, &data).expect("decodes");
        assert_eq!(block.payload.v1().timestamp, timestamp, "{version:?}");
        assert_eq!(block.parent_beacon_block_root, beacon_root, "{version:?}");
        // The payloads carry their real block hash: the rebuilt header must hash to it.
        let (_, hash) = block.header().expect("header");
        assert_eq!(hash, block.payload.v1().block_hash, "{version:?}");
        assert_eq!(block.encode().expect("encodes"), data, "{version:?}");
        // Decoded as another version, the same bytes are refused.
        let other = if version == BlockVersion::V3 {
            BlockVersion::V1
        } else {
            BlockVersion::V3
        };
        assert!(
            SignedBlock::decode(other, &data).is_err(),
            "{version:?} as {other:?}"
        );
    }
}

#[test]
fn an_independently_made_v3_message_is_what_sprout_signs_and_encodes() {
    let raw = unhex(INDEPENDENT_V3);
    let block = SignedBlock::decode_raw(BlockVersion::V3, &raw).expect("decodes");
    let signer: PrivateKeySigner = ANVIL_KEY_0.parse().expect("key");
    assert_eq!(
        block.signer(10).expect("recovers"),
        address!("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
    );
    assert_eq!(signer.address(), block.signer(10).expect("recovers"));
    assert_eq!(
        block.payload_hash,
        b256!("0x2c3fdc9bcf76d5e4fc523f037bc4c6a0ee7e711a8020c6fc2a9981a9a679c84b")
    );
    let (header, hash) = block.header().expect("header");
    assert_eq!(
        hash,
        b256!("0xdfea9b53486b8e2c4ccd99fe38885bbd12df7cd5a29c2e7731f26ea182633c5f")
    );
    assert_eq!(header.extra_data.as_ref(), unhex("00000000fa00000006"));
    let Payload::V3(payload) = block.payload.clone() else {
        panic!("a V3 payload");
    };
    assert_eq!(payload.payload_inner.payload_inner.transactions.len(), 1);
    // Signing the same payload with the same key makes the same bytes (RFC 6979).
    let resigned = SignedBlock::sign(
        Payload::V3(payload),
        block.parent_beacon_block_root.expect("root"),
        10,
        &signer,
    )
    .expect("signs");
    assert_eq!(resigned.encode_raw(), raw);
    // Another chain id recovers another address.
    assert_ne!(block.signer(11).expect("recovers"), signer.address());
}

#[test]
fn version_4_messages_decode_to_isthmus_headers() {
    // op-alloy's vector: decodes, re-encodes to its bytes, and its zero block hash is not its
    // header's.
    let data = unhex(OP_ALLOY_V4);
    let block = SignedBlock::decode(BlockVersion::V4, &data).expect("decodes");
    assert_eq!(block.payload.v1().timestamp, 1741842007);
    let Payload::V4 {
        withdrawals_root, ..
    } = &block.payload
    else {
        panic!("a V4 payload")
    };
    assert_eq!(*withdrawals_root, B256::left_padding_from(&[0x98, 0x76]));
    assert_eq!(block.encode().expect("encodes"), data);
    let (header, hash) = block.header().expect("header");
    assert_ne!(hash, block.payload.v1().block_hash);
    assert_eq!(header.requests_hash, Some(EMPTY_REQUESTS_HASH));
    assert_eq!(header.withdrawals_root, Some(*withdrawals_root));

    // The independent vector: a real block hash, with the withdrawals root and requests hash.
    let raw = unhex(INDEPENDENT_V4);
    let block = SignedBlock::decode_raw(BlockVersion::V4, &raw).expect("decodes");
    assert_eq!(
        block.header().expect("header").1,
        b256!("0xbe7d7942f74a0e10d352c88f37362d6a3a785b305a914221949892c3215ab49c")
    );
    let signer: PrivateKeySigner = ANVIL_KEY_0.parse().expect("key");
    assert_eq!(block.signer(10).expect("recovers"), signer.address());
    assert_eq!(block.encode_raw(), raw);
    // The same bytes are not a version 3 message.
    assert!(SignedBlock::decode_raw(BlockVersion::V3, &raw).is_err());
}

#[test]
fn malformed_messages_are_refused_with_a_reason() {
    let raw = unhex(INDEPENDENT_V3);
    // A recovery byte of 27 (Ethereum's legacy v) is refused, as op-node refuses it.
    let mut legacy_v = raw.clone();
    legacy_v[64] = 27;
    let err = SignedBlock::decode_raw(BlockVersion::V3, &legacy_v).expect_err("refused");
    assert!(err.to_string().contains("not 0 or 1"), "{err}");
    // Truncated SSZ.
    let err =
        SignedBlock::decode_raw(BlockVersion::V3, &raw[..raw.len() - 200]).expect_err("refused");
    assert!(err.to_string().contains("SSZ"), "{err}");
    // Too short to hold a signature and a payload.
    assert!(SignedBlock::decode_raw(BlockVersion::V1, &raw[..65]).is_err());
    // A snappy bomb is refused before allocation.
    let err = SignedBlock::decode(BlockVersion::V3, &unhex("ffffffff0f0041")).expect_err("refused");
    assert!(err.to_string().contains("more than"), "{err}");
    // Not snappy at all.
    assert!(SignedBlock::decode(BlockVersion::V3, &[0xff; 10]).is_err());
}

fn arb_payload() -> impl Strategy<Value = ExecutionPayloadV3> {
    (
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..=32),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
        any::<u64>(),
    )
        .prop_map(
            |(parent, number, timestamp, extra, txs, base_fee)| ExecutionPayloadV3 {
                payload_inner: ExecutionPayloadV2 {
                    payload_inner: ExecutionPayloadV1 {
                        parent_hash: B256::from(parent),
                        fee_recipient: Address::repeat_byte(0x42),
                        state_root: B256::repeat_byte(1),
                        receipts_root: B256::repeat_byte(2),
                        logs_bloom: Default::default(),
                        prev_randao: B256::repeat_byte(3),
                        block_number: number,
                        gas_limit: 30_000_000,
                        gas_used: 21_000,
                        timestamp,
                        extra_data: extra.into(),
                        base_fee_per_gas: U256::from(base_fee),
                        block_hash: B256::repeat_byte(4),
                        transactions: txs.into_iter().map(Bytes::from).collect(),
                    },
                    withdrawals: Vec::new(),
                },
                blob_gas_used: 0,
                excess_blob_gas: 0,
            },
        )
}

proptest! {
    #[test]
    fn signed_blocks_round_trip(payload in arb_payload(), root in any::<[u8; 32]>()) {
        let signer: PrivateKeySigner = ANVIL_KEY_0.parse().expect("key");
        let block = SignedBlock::sign(Payload::V3(payload.clone()), B256::from(root), 901, &signer).expect("signs");
        let decoded = SignedBlock::decode(BlockVersion::V3, &block.encode().expect("encodes"))
            .expect("decodes");
        prop_assert_eq!(decoded.signer(901).expect("recovers"), signer.address());
        prop_assert_eq!(decoded, block);
        let v4 = SignedBlock::sign(
            Payload::V4 { payload, withdrawals_root: B256::from(root) },
            B256::from(root),
            901,
            &signer,
        )
        .expect("signs");
        let decoded = SignedBlock::decode(BlockVersion::V4, &v4.encode().expect("encodes"))
            .expect("decodes");
        prop_assert_eq!(decoded, v4);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for version in BlockVersion::ALL {
            let _ = SignedBlock::decode(version, &data);
            let _ = SignedBlock::decode_raw(version, &data);
        }
        let _ = message_id("/optimism/1/2/blocks", &data);
    }

    #[test]
    fn corrupted_messages_never_panic(flip in 0usize..747, byte in any::<u8>()) {
        let mut raw = unhex(INDEPENDENT_V3);
        raw[flip] = byte;
        if let Ok(block) = SignedBlock::decode_raw(BlockVersion::V3, &raw) {
            let _ = block.signer(10);
            let _ = block.header();
        }
    }
}
