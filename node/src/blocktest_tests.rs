//! The runner against a published fixture, and a block the fixtures do not cover: a type-3
//! transaction in its network form.

use alloy_consensus::{Signed, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope};
use alloy_eips::{
    eip4844::{Blob, BlobTransactionSidecar, Bytes48},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_rlp::Encodable;
use sprout_protocol::SproutTx;

use super::*;

const ALL_TYPES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/ethereum-tests/BlockchainTests/ValidBlocks/bcEIP4844-blobtransactions/blockWithAllTransactionTypes.json"
);

fn all_types_case() -> TestCase {
    let raw = std::fs::read(ALL_TYPES).expect("fixture");
    let mut cases: BTreeMap<String, TestCase> = serde_json::from_slice(&raw).expect("fixture");
    cases
        .remove("blockWithAllTransactionTypes_Cancun")
        .expect("case")
}

/// The fixture's block with its blob transaction re-encoded in the network form (a sidecar
/// of zero blobs, commitments and proofs, one per versioned hash).
fn with_sidecar(rlp: &[u8]) -> Vec<u8> {
    let mut block = Block::decode(&mut &rlp[..]).expect("block");
    let mut wrapped = 0;
    for tx in &mut block.body.transactions {
        let SproutTx::Ethereum(TxEnvelope::Eip4844(signed)) = tx else {
            continue;
        };
        let blob = signed.tx().tx().clone();
        let n = blob.blob_versioned_hashes.len();
        let sidecar = BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
            blobs: vec![Blob::default(); n],
            commitments: vec![Bytes48::default(); n],
            proofs: vec![Bytes48::default(); n],
        });
        *tx = SproutTx::Ethereum(TxEnvelope::Eip4844(Signed::new_unchecked(
            TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
                blob, sidecar,
            )),
            *signed.signature(),
            *signed.hash(),
        )));
        wrapped += 1;
    }
    assert_eq!(wrapped, 1, "the fixture has one blob transaction");
    let mut out = Vec::new();
    block.encode(&mut out);
    out
}

#[test]
fn the_all_transaction_types_fixture_passes() {
    assert_eq!(run_case(&all_types_case()), Outcome::Passed);
}

#[test]
fn a_block_carrying_a_blob_transaction_in_its_network_form_is_rejected() {
    let mut case = all_types_case();
    let rlp = hex::decode(case.blocks[0].rlp.trim_start_matches("0x")).expect("hex");
    let wrapped = with_sidecar(&rlp);
    assert!(
        wrapped.len() > rlp.len() + 131_072,
        "the sidecar is in the block"
    );
    case.blocks[0].rlp = hex::encode_prefixed(&wrapped);
    let Outcome::Failed(why) = run_case(&case) else {
        panic!("a block with a blob sidecar was accepted");
    };
    assert!(why.contains("network form"), "{why}");
    // Marked invalid, as a fixture would (`TYPE_3_TX_WITH_FULL_BLOBS`), it is a rejection the
    // runner expects: the block is refused and the head stays at genesis.
    case.blocks[0].expect_exception = Some("TransactionException.TYPE_3_TX_WITH_FULL_BLOBS".into());
    let genesis = Block::decode(&mut case.genesis_rlp.as_ref()).expect("genesis");
    case.lastblockhash = genesis.header.hash_slow();
    case.post_state_hash = Some(genesis.header.state_root);
    assert_eq!(run_case(&case), Outcome::Passed);
}
