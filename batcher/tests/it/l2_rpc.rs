//! `RpcL2Source` against a JSON-RPC server answering `optimism_syncStatus` and
//! `debug_getRawBlock` in the shapes the sequencer serves.

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::Encodable;
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerHandle},
    types::ErrorObjectOwned,
};
use serde_json::{Value, json};
use sprout_batcher::{BatcherError, L2Source, RpcL2Source};
use sprout_protocol::l1_info::L1BlockInfo;

/// A signed EIP-1559 transfer, EIP-2718 encoded.
fn transfer() -> Vec<u8> {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_signer::SignerSync;
    let tx = TxEip1559 {
        chain_id: 901,
        nonce: 3,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000,
        max_priority_fee_per_gas: 10,
        to: alloy_primitives::TxKind::Call(alloy_primitives::Address::repeat_byte(2)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signer = alloy_signer_local::PrivateKeySigner::random();
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// `rlp([header, [l1-info deposit, a transfer], [], []])` for block 5, and the transfer.
fn raw_block() -> (Vec<u8>, Header, Vec<u8>) {
    let header = Header {
        parent_hash: B256::repeat_byte(4),
        number: 5,
        timestamp: 1_010,
        gas_limit: 30_000_000,
        ..Default::default()
    };
    let info = L1BlockInfo {
        number: 9,
        hash: B256::repeat_byte(9),
        base_fee: U256::from(1),
        ..Default::default()
    };
    let mut payload = Vec::new();
    header.encode(&mut payload);
    let mut txs = Vec::new();
    info.deposit().encoded_2718().as_slice().encode(&mut txs);
    let transfer = transfer();
    transfer.as_slice().encode(&mut txs);
    alloy_rlp::Header {
        list: true,
        payload_length: txs.len(),
    }
    .encode(&mut payload);
    payload.extend_from_slice(&txs);
    payload.extend_from_slice(&[0xc0, 0xc0]);
    let mut out = Vec::new();
    alloy_rlp::Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    (out, header, transfer)
}

fn l2_ref(number: u64) -> Value {
    json!({
        "hash": B256::repeat_byte(number as u8),
        "number": number,
        "parentHash": B256::repeat_byte(number as u8 - 1),
        "timestamp": 1_000 + 2 * number,
        "l1origin": { "hash": B256::repeat_byte(0x11), "number": 3 },
        "sequenceNumber": 1,
    })
}

async fn server(raw: Vec<u8>) -> (ServerHandle, String) {
    let server = Server::builder().build("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let mut module = RpcModule::new(());
    module
        .register_method(
            "optimism_syncStatus",
            |_, _, _| -> Result<Value, ErrorObjectOwned> {
                let l1 = json!({ "hash": B256::repeat_byte(0x21), "number": 21,
                "parentHash": B256::repeat_byte(0x20), "timestamp": 500 });
                Ok(json!({
                    "current_l1": l1, "head_l1": l1,
                    "unsafe_l2": l2_ref(7), "safe_l2": l2_ref(4), "finalized_l2": l2_ref(2),
                }))
            },
        )
        .expect("register");
    module
        .register_method(
            "debug_getRawBlock",
            move |params, _, _| -> Result<Value, ErrorObjectOwned> {
                let (number,): (String,) = params.parse()?;
                Ok(match number.as_str() {
                    "0x5" | "0x6" => json!(Bytes::from(raw.clone())), // 6: the wrong block
                    "0x7" => json!("0xc0"),
                    _ => Value::Null,
                })
            },
        )
        .expect("register");
    (server.start(module), format!("http://{addr}"))
}

#[tokio::test]
async fn sync_status_and_raw_blocks_are_read_over_json_rpc() {
    let (raw, header, transfer) = raw_block();
    let (handle, url) = server(raw).await;
    let l2 = RpcL2Source::new(&url).expect("client");

    let status = l2.sync_status().await.expect("sync status");
    assert_eq!(status.current_l1.map(|l1| l1.number), Some(21));
    assert_eq!(status.unsafe_l2.number, 7);
    assert_eq!(status.safe_l2.number, 4);
    assert_eq!(status.safe_l2.hash, B256::repeat_byte(4));
    assert_eq!(status.safe_l2.parent_hash, B256::repeat_byte(3));
    assert_eq!(status.safe_l2.l1_origin.number, 3);
    assert_eq!(status.safe_l2.sequence_number, 1);
    assert_eq!(status.finalized_l2.timestamp, 1_004);

    let block = l2.block(5).await.expect("rpc").expect("block 5");
    assert_eq!(block.hash, header.hash_slow());
    assert_eq!(block.parent_hash, header.parent_hash);
    assert_eq!(
        (block.epoch_num, block.epoch_hash),
        (9, B256::repeat_byte(9))
    );
    assert_eq!(block.transactions, vec![Bytes::from(transfer)]);

    assert!(
        l2.block(100).await.expect("rpc").is_none(),
        "null is no block"
    );
    let err = l2.block(6).await.expect_err("wrong number");
    assert!(
        matches!(err, BatcherError::RawBlock { number: 6, .. }),
        "{err}"
    );
    let err = l2.block(7).await.expect_err("garbage");
    assert!(
        matches!(err, BatcherError::RawBlock { number: 7, .. }),
        "{err}"
    );

    handle.stop().expect("stop");
}

#[tokio::test]
async fn unreachable_sequencer_is_an_l2_error() {
    let l2 = RpcL2Source::new("http://127.0.0.1:1").expect("client");
    assert!(matches!(l2.sync_status().await, Err(BatcherError::L2(_))));
    assert!(matches!(l2.block(1).await, Err(BatcherError::L2(_))));
    assert!(matches!(
        RpcL2Source::new("not a url"),
        Err(BatcherError::Config(_))
    ));
}
