//! Type-3 (EIP-4844) transactions: data (a batcher's `0x00 ++ frame`) in one OP-encoded blob
//! ([`sprout_protocol::batch::encode_blob`]), with its KZG commitment and proofs computed by
//! c-kzg through alloy.
//!
//! The sidecar is sent in the EIP-7594 form (cell proofs), which L1s from Osaka on (and anvil
//! by default) require in their mempools.

use std::sync::Arc;

use alloy_consensus::{
    SignableTransaction, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{Blob, env_settings::EnvKzgSettings},
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
};
use alloy_primitives::{B256, Bytes};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::batch::encode_blob;

use crate::{Result, TxMgrError};

/// Blob gas one blob uses.
pub const BLOB_GAS_PER_BLOB: u64 = alloy_eips::eip4844::DATA_GAS_PER_BLOB;

/// The sidecar of a transaction carrying `data` (one batcher transaction's data) in one blob.
pub fn sidecar_for(data: &[u8]) -> Result<Arc<BlobTransactionSidecarVariant>> {
    let encoded = encode_blob(data)?;
    let blob = Blob::try_from(encoded.as_slice())
        .map_err(|e| TxMgrError::Signing(format!("blob of {} bytes: {e}", encoded.len())))?;
    let sidecar = BlobTransactionSidecarEip7594::try_from_blobs_with_settings(
        vec![blob],
        EnvKzgSettings::Default.get(),
    )
    .map_err(|e| TxMgrError::Signing(format!("KZG commitment of a blob: {e}")))?;
    Ok(Arc::new(BlobTransactionSidecarVariant::Eip7594(sidecar)))
}

/// Signs `tx` (its `blob_versioned_hashes` are filled from `sidecar`) and returns the network
/// encoding with the sidecar, for `eth_sendRawTransaction`, and the transaction hash.
pub fn sign_blob_tx(
    signer: &PrivateKeySigner,
    mut tx: TxEip4844,
    sidecar: &BlobTransactionSidecarVariant,
) -> Result<(Bytes, B256)> {
    tx.blob_versioned_hashes = sidecar.versioned_hashes().collect();
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .map_err(|e| TxMgrError::Signing(e.to_string()))?;
    let with_sidecar = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar {
        tx,
        sidecar: sidecar.clone(),
    });
    let envelope = TxEnvelope::from(with_sidecar.into_signed(signature));
    Ok((envelope.encoded_2718().into(), *envelope.tx_hash()))
}

#[cfg(test)]
mod tests {
    use alloy_consensus::Transaction;
    use alloy_eips::eip2718::Decodable2718;
    use alloy_primitives::{Address, U256};
    use sprout_protocol::batch::decode_blob;

    use super::*;

    #[test]
    fn blob_tx_carries_the_data_op_encoded_and_commits_to_it() {
        let data = [0u8, 1, 2, 3, 0xff, 0xfe];
        let sidecar = sidecar_for(&data).expect("sidecar");
        let signer = PrivateKeySigner::random();
        let tx = TxEip4844 {
            chain_id: 1,
            nonce: 7,
            gas_limit: 21_000,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            to: Address::repeat_byte(0xbb),
            value: U256::ZERO,
            access_list: Default::default(),
            blob_versioned_hashes: Vec::new(),
            max_fee_per_blob_gas: 3,
            input: Bytes::new(),
        };
        let (raw, hash) = sign_blob_tx(&signer, tx, &sidecar).expect("signs");
        let decoded = TxEnvelope::decode_2718(&mut raw.as_ref()).expect("decodes");
        assert_eq!(*decoded.tx_hash(), hash);
        assert_eq!(decoded.to(), Some(Address::repeat_byte(0xbb)));
        assert_eq!(decoded.max_fee_per_blob_gas(), Some(3));
        let versioned = decoded.blob_versioned_hashes().expect("type 3").to_vec();
        assert_eq!(versioned.len(), 1);
        let TxEnvelope::Eip4844(signed) = decoded else {
            panic!("not a blob transaction");
        };
        let TxEip4844Variant::TxEip4844WithSidecar(with) = signed.tx() else {
            panic!("sidecar dropped");
        };
        let blob = &with.sidecar.blobs()[0];
        assert_eq!(decode_blob(blob.as_slice()).expect("OP encoding"), data);
        let commitment = with.sidecar.commitments()[0];
        assert_eq!(
            alloy_eips::eip4844::kzg_to_versioned_hash(commitment.as_slice()),
            versioned[0]
        );
        assert_eq!(signed.recover_signer().expect("signer"), signer.address());
    }
}
