//! Unit tests of the transaction manager over the L1 double. Tags are small numbers.

use alloy_consensus::Transaction;
use proptest::prelude::*;

use super::*;
use crate::test_utils::FakeL1;

const INBOX: Address = Address::repeat_byte(0xbb);

fn config() -> TxManagerConfig {
    TxManagerConfig {
        role: "batcher",
        chain_id: 1,
        confirmations: 3,
        resubmit_timeout: Duration::from_secs(30),
        min_balance: U256::from(10u128.pow(16)),
        min_tip: 1,
        max_pending: 4,
        blobs: false,
    }
}

/// Calldata transaction `number` to the inbox, tagged with its number.
fn tx(number: u16) -> TxCandidate<u16> {
    let mut data = vec![0u8];
    data.extend(vec![0xab; 100 + usize::from(number)]);
    TxCandidate::calldata(number, INBOX, data.into())
}

async fn manager(l1: &Arc<FakeL1>) -> TxManager<FakeL1, u16> {
    let mut txmgr = TxManager::new(
        l1.clone(),
        PrivateKeySigner::random(),
        config(),
        Arc::new(TxMetrics::default()),
    );
    txmgr.sync_nonce().await.expect("nonce");
    txmgr
}

#[test]
fn bump_is_at_least_ten_percent_on_both_and_follows_the_market() {
    let old = Fees {
        max_fee: 100,
        tip: 1,
        blob_fee: 0,
    };
    let low_market = Fees {
        max_fee: 50,
        tip: 1,
        blob_fee: 0,
    };
    assert_eq!(
        old.bumped(low_market),
        Fees {
            max_fee: 110,
            tip: 2,
            blob_fee: 0,
        }
    );
    let high_market = Fees {
        max_fee: 500,
        tip: 30,
        blob_fee: 0,
    };
    assert_eq!(
        old.bumped(high_market),
        Fees {
            max_fee: 500,
            tip: 30,
            blob_fee: 0,
        }
    );
    let odd = Fees {
        max_fee: 1_001,
        tip: 19,
        blob_fee: 0,
    };
    assert_eq!(
        odd.bumped(low_market),
        Fees {
            max_fee: 1_102,
            tip: 21,
            blob_fee: 0,
        }
    );
}

proptest! {
    #[test]
    fn bump_always_passes_geths_replacement_rule(
        max_fee in 0u128..u128::MAX / 1000, tip in 0u128..u128::MAX / 1000,
        market_fee in 0u128..u128::MAX / 1000, market_tip in 0u128..u128::MAX / 1000,
    ) {
        let old = Fees { max_fee, tip, blob_fee: 0 };
        let new = old.bumped(Fees { max_fee: market_fee, tip: market_tip, blob_fee: 0 });
        prop_assert!(new.max_fee * 100 >= old.max_fee * 110);
        prop_assert!(new.tip * 100 >= old.tip * 110);
        prop_assert!(new.max_fee > old.max_fee && new.tip > old.tip);
        prop_assert!(new.max_fee >= new.tip);
        prop_assert!(new.max_fee >= market_fee && new.tip >= market_tip);
    }
}

#[test]
fn blob_bump_doubles_every_fee_and_follows_the_market() {
    let old = Fees::for_market(10, 2, Some(3));
    assert_eq!(
        old,
        Fees {
            max_fee: 22,
            tip: 2,
            blob_fee: 6
        }
    );
    assert_eq!(
        old.bumped(old),
        Fees {
            max_fee: 44,
            tip: 4,
            blob_fee: 12
        }
    );
    let market = Fees {
        max_fee: 100,
        tip: 1,
        blob_fee: 50,
    };
    assert_eq!(
        old.bumped(market),
        Fees {
            max_fee: 100,
            tip: 4,
            blob_fee: 50
        }
    );
    // A calldata transaction has no blob fee, before and after a bump.
    assert_eq!(Fees::for_market(10, 2, None).bumped(market).blob_fee, 0);
}

#[test]
fn gas_limit_covers_the_calldata_floor() {
    let tx = tx(0);
    let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = tx.data.len() as u64 - zeros;
    assert_eq!(tx.gas_limit, 21_000 + 10 * zeros + 40 * nonzeros);
    assert!(tx.gas_limit >= 21_000 + 4 * zeros + 16 * nonzeros);
}

#[tokio::test]
async fn transactions_go_out_in_order_from_the_pending_nonce() {
    let l1 = Arc::new(FakeL1::new());
    l1.with(|s| s.latest_nonce = 5);
    let mut txmgr = manager(&l1).await;
    assert_eq!(txmgr.next_nonce(), 5);
    for number in 0..6 {
        txmgr.enqueue(tx(number));
    }
    txmgr.tick().await.expect("tick");
    // At most `max_pending` unmined.
    assert_eq!(txmgr.in_flight(), 4);
    assert_eq!(txmgr.queued(), 2);
    l1.mine();
    txmgr.tick().await.expect("tick");
    l1.mine();
    let sent = l1.with(|s| s.mined_order.clone());
    assert_eq!(sent.len(), 6);
    for (i, tx) in sent.iter().enumerate() {
        assert_eq!(tx.nonce(), 5 + i as u64);
        assert_eq!(tx.to(), Some(INBOX));
        assert_eq!(tx.input(), &self::tx(i as u16).data);
    }
}

#[tokio::test]
async fn transaction_counts_as_done_only_at_the_confirmation_depth() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.tick().await.expect("tick");
    l1.mine(); // block 1 holds it: depth 1
    assert!(txmgr.tick().await.expect("tick").is_empty());
    l1.mine(); // depth 2
    assert!(txmgr.tick().await.expect("tick").is_empty());
    assert_eq!(txmgr.in_flight(), 1);
    l1.mine(); // depth 3
    let events = txmgr.tick().await.expect("tick");
    assert_eq!(
        events,
        vec![TxEvent::Confirmed {
            tag: 0,
            nonce: 0,
            block_number: 1
        }]
    );
    assert_eq!(txmgr.in_flight(), 0);
    assert_eq!(
        txmgr
            .metrics
            .l1_bytes_posted
            .load(std::sync::atomic::Ordering::Relaxed),
        tx(0).data.len() as u64
    );
}

#[tokio::test(start_paused = true)]
async fn unmined_transaction_is_resent_with_the_same_nonce_and_higher_fees() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.enqueue(tx(1));
    txmgr.tick().await.expect("tick");
    // The base fee jumps past the fee caps: nothing is mined.
    l1.with(|s| s.base_fee *= 10);
    assert_eq!(l1.mine(), 0);
    tokio::time::advance(Duration::from_secs(29)).await;
    txmgr.tick().await.expect("tick");
    assert_eq!(l1.with(|s| s.sent.len()), 2, "no bump before the timeout");
    tokio::time::advance(Duration::from_secs(1)).await;
    txmgr.tick().await.expect("tick");
    let sent = l1.with(|s| s.sent.clone());
    assert_eq!(sent.len(), 4, "both resent");
    for (old, new) in [(&sent[0], &sent[2]), (&sent[1], &sent[3])] {
        assert_eq!(old.nonce(), new.nonce());
        assert_eq!(old.input(), new.input());
        assert!(new.max_fee_per_gas() * 100 >= old.max_fee_per_gas() * 110);
    }
    assert_eq!(
        txmgr
            .metrics
            .fee_bumps
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    // The bumped caps cover the new base fee: both land, in order.
    assert_eq!(l1.mine(), 2);
    txmgr.tick().await.expect("tick");
    let mined = l1.with(|s| s.mined_order.clone());
    assert_eq!(mined[0].tx_hash(), sent[2].tx_hash());
    assert_eq!(mined[1].tx_hash(), sent[3].tx_hash());
}

#[tokio::test(start_paused = true)]
async fn refused_bump_is_raised_again_next_time() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.tick().await.expect("tick");
    l1.with(|s| s.base_fee *= 10);
    tokio::time::advance(Duration::from_secs(30)).await;
    l1.with(|s| s.fail_next_send = Some(SendError::Underpriced("underpriced".into())));
    txmgr.tick().await.expect("tick");
    assert_eq!(l1.with(|s| s.sent.len()), 1);
    tokio::time::advance(Duration::from_secs(30)).await;
    txmgr.tick().await.expect("tick");
    let sent = l1.with(|s| s.sent.clone());
    assert_eq!(sent.len(), 2);
    // Two bumps' worth above the original.
    assert!(sent[1].max_priority_fee_per_gas() > sent[0].max_priority_fee_per_gas());
    assert!(sent[1].max_fee_per_gas() * 100 >= sent[0].max_fee_per_gas() * 121);
}

#[tokio::test]
async fn reorg_of_an_unconfirmed_transaction_is_reported() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.tick().await.expect("tick");
    l1.mine();
    txmgr.tick().await.expect("tick");
    l1.reorg(1);
    let events = txmgr.tick().await.expect("tick");
    assert_eq!(events.len(), 1);
    assert!(matches!(
        events[0],
        TxEvent::Reorged {
            tag: 0,
            nonce: 0,
            block_number: 1,
            ..
        }
    ));
    assert!(events[0].needs_rewind());
}

#[tokio::test]
async fn receipt_missing_while_its_block_is_canonical_is_not_a_reorg() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.tick().await.expect("tick");
    l1.mine();
    txmgr.tick().await.expect("tick");
    let (hash, inclusion) = l1.with(|s| {
        let (hash, inclusion) = s.mined.iter().next().map(|(h, i)| (*h, *i)).expect("mined");
        s.mined.clear();
        (hash, inclusion)
    });
    assert!(txmgr.tick().await.expect("tick").is_empty());
    l1.with(|s| s.mined.insert(hash, inclusion));
    l1.mine();
    l1.mine(); // depth 3
    let events = txmgr.tick().await.expect("tick");
    assert!(
        matches!(&events[..], [TxEvent::Confirmed { nonce: 0, .. }]),
        "{events:?}"
    );
}

#[tokio::test]
async fn low_balance_stops_sending_until_funded() {
    let l1 = Arc::new(FakeL1::new());
    l1.with(|s| s.balance = U256::from(10u128.pow(15)));
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    txmgr.tick().await.expect("tick");
    assert_eq!(l1.with(|s| s.sent.len()), 0);
    let message = txmgr
        .low_balance()
        .expect("low balance reported")
        .to_owned();
    assert!(message.contains(&txmgr.address().to_string()), "{message}");
    assert!(message.contains("Fund it"), "{message}");
    assert!(
        txmgr
            .metrics
            .low_balance
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    l1.with(|s| s.balance = U256::from(10u128.pow(18)));
    txmgr.tick().await.expect("tick");
    assert_eq!(l1.with(|s| s.sent.len()), 1);
    assert!(txmgr.low_balance().is_none());
    assert!(
        !txmgr
            .metrics
            .low_balance
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    assert_eq!(txmgr.metrics.balance(), U256::from(10u128.pow(18)));
}

#[tokio::test]
async fn insufficient_funds_keeps_the_transaction_queued() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    l1.with(|s| s.fail_next_send = Some(SendError::InsufficientFunds("insufficient funds".into())));
    txmgr.tick().await.expect("tick");
    assert_eq!((txmgr.queued(), txmgr.next_nonce()), (1, 0));
    txmgr.tick().await.expect("tick");
    assert_eq!(
        (txmgr.queued(), txmgr.in_flight(), txmgr.next_nonce()),
        (0, 1, 1)
    );
}

#[tokio::test]
async fn nonce_taken_by_another_sender_loses_the_transaction() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr = manager(&l1).await;
    txmgr.enqueue(tx(0));
    l1.with(|s| s.fail_next_send = Some(SendError::NonceTooLow("nonce too low".into())));
    let events = txmgr.tick().await.expect("tick");
    assert!(matches!(
        &events[..],
        [TxEvent::Lost {
            tag: 0,
            nonce: 0,
            ..
        }]
    ));
    assert!(events[0].needs_rewind());
}

fn blob_manager_config() -> TxManagerConfig {
    TxManagerConfig {
        blobs: true,
        ..config()
    }
}

/// Blob transaction `number` to the inbox and the data it carries.
fn blob_tx(number: u16) -> (Vec<u8>, TxCandidate<u16>) {
    let data = vec![0xcd; 1000 + usize::from(number)];
    let tx = TxCandidate::blob(number, INBOX, data.clone().into()).expect("fits a blob");
    (data, tx)
}

/// The blob contents of a type-3 transaction the fake L1 received.
fn blob_data(tx: &TxEnvelope) -> Vec<u8> {
    use alloy_consensus::TxEip4844Variant;
    let TxEnvelope::Eip4844(signed) = tx else {
        panic!("not a blob transaction: type {}", tx.tx_type());
    };
    let TxEip4844Variant::TxEip4844WithSidecar(with) = signed.tx() else {
        panic!("blob transaction sent without its sidecar");
    };
    assert_eq!(with.sidecar.blobs().len(), 1);
    sprout_protocol::batch::decode_blob(with.sidecar.blobs()[0].as_slice()).expect("OP blob")
}

#[tokio::test(start_paused = true)]
async fn blob_transactions_go_out_as_type_3_and_stuck_ones_are_resent_at_double_fees() {
    let l1 = Arc::new(FakeL1::new());
    l1.with(|s| s.blob_base_fee = 5);
    let mut txmgr = TxManager::new(
        l1.clone(),
        PrivateKeySigner::random(),
        blob_manager_config(),
        Arc::new(TxMetrics::default()),
    );
    txmgr.sync_nonce().await.expect("nonce");
    let (first, first_tx) = blob_tx(0);
    let (second, second_tx) = blob_tx(1);
    txmgr.enqueue(first_tx);
    txmgr.enqueue(second_tx);
    txmgr.tick().await.expect("tick");
    let sent = l1.with(|s| s.sent.clone());
    assert_eq!(sent.len(), 2);
    for (tx, data) in sent.iter().zip([&first, &second]) {
        assert_eq!(tx.to(), Some(INBOX));
        assert!(tx.input().is_empty(), "no calldata");
        assert_eq!(tx.gas_limit(), 21_000);
        assert_eq!(tx.max_fee_per_blob_gas(), Some(10), "blob base fee x2");
        assert_eq!(&blob_data(tx), data);
    }
    // Not mined in time: the bump must pass the blob pool's +100% rule on all three fees,
    // which the fake L1 enforces.
    l1.with(|s| s.base_fee *= 10);
    assert_eq!(l1.mine(), 0);
    tokio::time::advance(Duration::from_secs(30)).await;
    txmgr.tick().await.expect("tick");
    let sent = l1.with(|s| s.sent.clone());
    assert_eq!(sent.len(), 4, "both resent");
    for (old, new) in [(&sent[0], &sent[2]), (&sent[1], &sent[3])] {
        assert_eq!(old.nonce(), new.nonce());
        assert_eq!(blob_data(old), blob_data(new));
        assert_eq!(new.max_fee_per_blob_gas(), Some(20));
        assert!(new.max_fee_per_gas() >= 2 * old.max_fee_per_gas());
        assert!(new.max_priority_fee_per_gas() >= old.max_priority_fee_per_gas().map(|t| 2 * t));
    }
    assert_eq!(l1.mine(), 2);
}

#[tokio::test]
async fn stuck_blob_nonce_is_cancelled_with_a_blob_transaction() {
    let l1 = Arc::new(FakeL1::new());
    let mut txmgr: TxManager<FakeL1, u16> = TxManager::new(
        l1.clone(),
        PrivateKeySigner::random(),
        blob_manager_config(),
        Arc::new(TxMetrics::default()),
    );
    let hash = txmgr.cancel(0, 1).await.expect("L1").expect("sent");
    let sent = l1.with(|s| s.sent.clone());
    assert_eq!(*sent[0].tx_hash(), hash);
    assert!(sent[0].is_eip4844(), "only a blob tx replaces a blob tx");
    assert_eq!(sent[0].to(), Some(txmgr.address()));
    assert!(blob_data(&sent[0]).is_empty());
}
