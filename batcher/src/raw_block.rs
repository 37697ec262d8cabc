//! Decoding `debug_getRawBlock` answers: `rlp([header, [txs…], [ommers…], [withdrawals…]])` into
//! what a batch needs. The bytes come from the sequencer over the network: every malformed input
//! is an error, never a panic.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::Decodable;
use sprout_protocol::{Block, l1_info::L1BlockInfo, tx::SproutTx};

/// One unsafe L2 block as the batcher sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2Block {
    /// Block number.
    pub number: u64,
    /// Block hash: keccak256 of the header's RLP.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Number of the L1 origin (epoch), from the L1-info deposit.
    pub epoch_num: u64,
    /// Hash of the L1 origin.
    pub epoch_hash: B256,
    /// The non-deposit transactions, EIP-2718 encoded (legacy ones as their RLP list).
    pub transactions: Vec<Bytes>,
}

/// Decodes a raw block with the protocol's block decoder, the one the node and derivation use.
/// The error says what is wrong.
pub fn decode_raw_block(raw: &[u8]) -> Result<L2Block, String> {
    let mut buf = raw;
    let block = Block::decode(&mut buf).map_err(|e| format!("block does not decode: {e}"))?;
    if !buf.is_empty() {
        return Err(format!("{} bytes after the block", buf.len()));
    }
    let mut txs = block.body.transactions.iter();
    let info = match txs.next() {
        Some(SproutTx::Deposit(deposit)) => L1BlockInfo::from_ecotone_calldata(&deposit.input)
            .map_err(|e| format!("first transaction is not an L1-info deposit: {e}"))?,
        Some(_) => return Err("first transaction is not the L1-info deposit".into()),
        None => return Err("block has no transactions (the L1-info deposit is missing)".into()),
    };
    let transactions = txs
        .filter(|tx| tx.as_deposit().is_none())
        .map(|tx| Bytes::from(tx.encoded_2718()))
        .collect();
    Ok(L2Block {
        number: block.header.number,
        hash: block.header.hash_slow(),
        parent_hash: block.header.parent_hash,
        timestamp: block.header.timestamp,
        epoch_num: info.number,
        epoch_hash: info.hash,
        transactions,
    })
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Address, TxKind, U256};
    use alloy_rlp::Encodable;
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use proptest::prelude::*;
    use sprout_protocol::TxDeposit;

    use super::*;

    fn l1_info() -> L1BlockInfo {
        L1BlockInfo {
            number: 77,
            timestamp: 1_700_000_000,
            base_fee: U256::from(7),
            hash: B256::repeat_byte(0x77),
            sequence_number: 2,
            ..Default::default()
        }
    }

    fn legacy(signer: &PrivateKeySigner) -> TxEnvelope {
        let tx = TxLegacy {
            chain_id: Some(901),
            nonce: 1,
            gas_price: 1_000,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(5),
            input: Bytes::new(),
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
        tx.into_signed(sig).into()
    }

    fn eip1559(signer: &PrivateKeySigner) -> TxEnvelope {
        let tx = TxEip1559 {
            chain_id: 901,
            nonce: 2,
            gas_limit: 50_000,
            max_fee_per_gas: 2_000,
            max_priority_fee_per_gas: 10,
            to: TxKind::Call(Address::repeat_byte(2)),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(vec![1, 2, 3]),
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
        tx.into_signed(sig).into()
    }

    /// A transaction as it sits in a block body: legacy as its list, typed as a string.
    enum BodyTx {
        Legacy(Vec<u8>),
        Typed(Vec<u8>),
    }

    fn encode_block(header: &Header, txs: &[BodyTx], withdrawals: bool) -> Vec<u8> {
        let mut payload = Vec::new();
        header.encode(&mut payload);
        let mut tx_payload = Vec::new();
        for tx in txs {
            match tx {
                BodyTx::Legacy(list) => tx_payload.extend_from_slice(list),
                BodyTx::Typed(bytes) => bytes.as_slice().encode(&mut tx_payload),
            }
        }
        alloy_rlp::Header {
            list: true,
            payload_length: tx_payload.len(),
        }
        .encode(&mut payload);
        payload.extend_from_slice(&tx_payload);
        payload.push(0xc0); // ommers
        if withdrawals {
            payload.push(0xc0);
        }
        let mut out = Vec::new();
        alloy_rlp::Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    fn header() -> Header {
        Header {
            parent_hash: B256::repeat_byte(0xaa),
            number: 42,
            timestamp: 1_700_000_004,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(7),
            ..Default::default()
        }
    }

    fn sample_block() -> (Vec<u8>, Vec<Vec<u8>>) {
        let signer = PrivateKeySigner::random();
        let legacy = legacy(&signer).encoded_2718();
        let typed = eip1559(&signer).encoded_2718();
        let user_deposit = TxDeposit {
            from: Address::repeat_byte(9),
            to: TxKind::Call(Address::repeat_byte(8)),
            mint: 5,
            gas_limit: 100_000,
            ..Default::default()
        }
        .encoded_2718();
        let txs = [
            BodyTx::Typed(l1_info().deposit().encoded_2718()),
            BodyTx::Typed(user_deposit),
            BodyTx::Legacy(legacy.clone()),
            BodyTx::Typed(typed.clone()),
        ];
        (encode_block(&header(), &txs, true), vec![legacy, typed])
    }

    #[test]
    fn block_decodes_to_epoch_and_non_deposit_transactions() {
        let (raw, expected) = sample_block();
        let block = decode_raw_block(&raw).expect("decodes");
        let header = header();
        assert_eq!(block.number, 42);
        assert_eq!(block.hash, header.hash_slow());
        assert_eq!(block.parent_hash, header.parent_hash);
        assert_eq!(block.timestamp, header.timestamp);
        assert_eq!(
            (block.epoch_num, block.epoch_hash),
            (77, B256::repeat_byte(0x77))
        );
        let txs: Vec<Vec<u8>> = block.transactions.iter().map(|t| t.to_vec()).collect();
        assert_eq!(txs, expected);
        // The legacy transaction is kept as its RLP list, the typed one as type ++ payload.
        assert!(txs[0][0] >= 0xc0);
        assert_eq!(txs[1][0], 0x02);
    }

    #[test]
    fn block_without_withdrawals_decodes() {
        let txs = [BodyTx::Typed(l1_info().deposit().encoded_2718())];
        let block = decode_raw_block(&encode_block(&header(), &txs, false)).expect("decodes");
        assert!(block.transactions.is_empty());
    }

    #[test]
    fn block_must_start_with_the_l1_info_deposit() {
        let signer = PrivateKeySigner::random();
        let txs = [BodyTx::Typed(eip1559(&signer).encoded_2718())];
        let err = decode_raw_block(&encode_block(&header(), &txs, true)).expect_err("rejected");
        assert!(err.contains("L1-info"), "{err}");
        let err = decode_raw_block(&encode_block(&header(), &[], true)).expect_err("rejected");
        assert!(err.contains("L1-info"), "{err}");
        let not_info = TxDeposit::default().encoded_2718();
        let err = decode_raw_block(&encode_block(&header(), &[BodyTx::Typed(not_info)], true))
            .expect_err("rejected");
        assert!(err.contains("not an L1-info deposit"), "{err}");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let (raw, _) = sample_block();
        for len in 0..raw.len() {
            assert!(
                decode_raw_block(&raw[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        let mut longer = raw.clone();
        longer.push(0);
        assert!(decode_raw_block(&longer).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_raw_block(b"").is_err());
        assert!(decode_raw_block(&[0x80]).is_err());
        assert!(decode_raw_block(&[0xc0]).is_err());
        assert!(decode_raw_block(&[0xc1, 0xc0]).is_err());
        let bad_type = [BodyTx::Typed(vec![0x7f, 1, 2])];
        assert!(decode_raw_block(&encode_block(&header(), &bad_type, true)).is_err());
        let empty = [BodyTx::Typed(vec![])];
        assert!(decode_raw_block(&encode_block(&header(), &empty, true)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_raw_block(&bytes);
        }

        #[test]
        fn corrupted_blocks_never_panic(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let (mut raw, _) = sample_block();
            let at = index.index(raw.len());
            raw[at] = byte;
            let _ = decode_raw_block(&raw);
        }
    }
}
