//! Every pool admission error, checked by geth's message.

use alloy_primitives::{Bytes, U256};
use serde_json::json;

use crate::harness::*;

#[test]
fn pool_rejections_carry_geth_messages() {
    let node = Node::dev();
    let key = dev_signer(1);
    let send = |raw: Bytes| node.error("eth_sendRawTransaction", json!([raw]));

    // intrinsic gas too low
    let raw = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(1),
        20_000,
        10_000_000_000,
        1,
        Bytes::new(),
    );
    assert!(send(raw).1.contains("intrinsic gas too low"));

    // exceeds block gas limit
    let raw = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(1),
        2_000_000_000,
        10_000_000_000,
        1,
        Bytes::new(),
    );
    assert!(send(raw).1.contains("exceeds block gas limit"));

    // insufficient funds
    let raw = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(10u128.pow(24)),
        21_000,
        10_000_000_000,
        1,
        Bytes::new(),
    );
    assert!(
        send(raw)
            .1
            .contains("insufficient funds for gas * price + value")
    );

    // max fee below base fee
    let raw = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(1),
        21_000,
        1,
        1,
        Bytes::new(),
    );
    let (_, msg) = send(raw);
    assert!(
        msg.contains("max fee per gas less than block base fee"),
        "{msg}"
    );

    // oversized (128 KiB)
    let raw = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::ZERO,
        30_000_000,
        10_000_000_000,
        1,
        Bytes::from(vec![1u8; 130 * 1024]),
    );
    assert!(send(raw).1.contains("oversized data"));

    // unsupported type: a blob transaction (type 3) and garbage with an unknown type byte
    let (_, msg) = send(Bytes::from(vec![0x03, 0xc0]));
    assert!(
        msg.contains("transaction type not supported") || msg.contains("rlp"),
        "{msg}"
    );
    let (_, msg) = send(Bytes::from(vec![0x05, 0xc0]));
    assert!(msg.contains("transaction type not supported"), "{msg}");

    // wrong chain id
    {
        use alloy::{
            consensus::{SignableTransaction, TxEip1559, TxEnvelope},
            eips::Encodable2718,
            network::TxSignerSync,
        };
        let mut tx = TxEip1559 {
            chain_id: 1,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1,
            to: alloy_primitives::TxKind::Call(dead()),
            ..Default::default()
        };
        let sig = key.sign_transaction_sync(&mut tx).expect("sign");
        let raw: Bytes = TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
        let (_, msg) = send(raw);
        assert!(
            msg.contains("chain id") || msg.contains("invalid sender"),
            "{msg}"
        );
    }

    // accepted, then: already known, replacement underpriced, replaced with a 10% bump
    let first = transfer(&key, 0, dead(), 1);
    node.call("eth_sendRawTransaction", json!([first.clone()]));
    assert!(send(first).1.contains("already known"));
    let cheap = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(2),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    assert!(
        send(cheap)
            .1
            .contains("replacement transaction underpriced")
    );
    let bumped = sign_1559(
        &key,
        0,
        Some(dead()),
        U256::from(3),
        21_000,
        11_000_000_000,
        1_100_000,
        Bytes::new(),
    );
    let hash = node.call("eth_sendRawTransaction", json!([bumped]));
    let receipt = node.receipt(hash.as_str().expect("hash").parse().expect("hash"));
    assert_eq!(receipt["status"], "0x1");

    // nonce too low after inclusion
    let stale = transfer(&key, 0, dead(), 5);
    assert!(send(stale).1.contains("nonce too low"));
}

#[test]
fn nonce_gap_is_queued_then_promoted() {
    let node = Node::dev();
    let key = dev_signer(2);
    let later = node.call(
        "eth_sendRawTransaction",
        json!([transfer(&key, 1, dead(), 1)]),
    );
    let status = node.call("txpool_status", json!([]));
    assert_eq!(status["queued"], "0x1");
    let first = node.call(
        "eth_sendRawTransaction",
        json!([transfer(&key, 0, dead(), 1)]),
    );
    let r1 = node.receipt(first.as_str().expect("hash").parse().expect("hash"));
    let r2 = node.receipt(later.as_str().expect("hash").parse().expect("hash"));
    assert_eq!(r1["status"], "0x1");
    assert_eq!(r2["status"], "0x1");
}
