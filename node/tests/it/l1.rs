//! The L1 client against a real anvil: block references, headers and deposits.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, U256, address},
    providers::{Provider, ProviderBuilder},
};
use sprout_contracts::{L1DeployConfig, Portal, deploy_l1};
use sprout_node::l1::L1Client;
use sprout_protocol::{
    deposit::TRANSACTION_DEPOSITED_TOPIC, l1_block::L1Addresses, l1_info::L1BlockRef,
};
use sprout_sequencer::origin::L1Source;

use crate::harness::dev_signer;

#[tokio::test(flavor = "multi_thread")]
async fn l1_client_reads_blocks_and_deposits_and_skips_malformed_logs() {
    let anvil = crate::anvil::Anvil::start().await;
    let signer = dev_signer(0);
    let operator = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.clone());
    let l1 = L1Client::new(anvil.url.as_str(), tokio::runtime::Handle::current()).expect("client");
    assert_eq!(l1.chain_id().await.expect("chain id"), 31337);

    let addresses = deploy_l1(&provider, operator, L1DeployConfig::dev(operator))
        .await
        .expect("deploy");
    let portal = Portal::new(addresses.portal, &provider);
    let to = address!("0x00000000000000000000000000000000000a11ce");
    let receipt = portal
        .depositTransaction(to, U256::from(7), 100_000, false, Bytes::from_static(b"hi"))
        .value(U256::from(1_000))
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    let block_hash = receipt.block_hash.expect("hash");
    let at = L1Addresses {
        inbox: addresses.batch_inbox,
        portal: addresses.portal,
        system_config: addresses.system_config,
    };
    let block = l1.verified_block(block_hash, &at).await.expect("verified");
    let deposits = block.deposits();
    assert_eq!(deposits.len(), 1);
    assert_eq!(deposits[0].from, operator);
    assert_eq!(deposits[0].mint, 1_000);
    assert_eq!(deposits[0].value, U256::from(7));
    assert_eq!(deposits[0].gas_limit, 100_000);
    assert_eq!(deposits[0].input, Bytes::from_static(b"hi"));

    // Headers link up, and the sync origin-selection view agrees with the async one.
    let header = l1
        .header(receipt.block_number.expect("number"))
        .await
        .expect("rpc")
        .expect("exists");
    assert_eq!(header.block.hash, block_hash);
    let head = l1.head_ref().await.expect("head");
    let parent = l1
        .header(head.number - 1)
        .await
        .expect("rpc")
        .expect("exists");
    assert_eq!(head.parent_hash, parent.block.hash);
    let (sync_head, sync_parent): (L1BlockRef, Option<L1BlockRef>) = {
        let l1 = l1.clone();
        tokio::task::spawn_blocking(move || {
            (
                l1.head().expect("head"),
                l1.block_by_number(head.number - 1).expect("block"),
            )
        })
        .await
        .expect("join")
    };
    assert_eq!(sync_head, head);
    assert_eq!(sync_parent, Some(parent.block));

    // A contract that emits a TransactionDeposited-topic log with the wrong shape: skipped.
    let fake: Address = address!("0x000000000000000000000000000000000000f00d");
    let mut code = vec![0x7f];
    code.extend_from_slice(TRANSACTION_DEPOSITED_TOPIC.as_slice());
    code.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]); // LOG1(0, 0, topic); STOP
    provider
        .raw_request::<_, ()>("anvil_setCode".into(), (fake, Bytes::from(code)))
        .await
        .expect("set code");
    let tx = alloy::rpc::types::TransactionRequest::default().to(fake);
    let receipt = provider
        .send_transaction(tx)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert_eq!(
        receipt.inner.logs().len(),
        1,
        "the malformed log was emitted"
    );
    let fake_at = L1Addresses { portal: fake, ..at };
    let block = l1
        .verified_block(receipt.block_hash.expect("hash"), &fake_at)
        .await
        .expect("no error");
    let deposits = block.deposits();
    assert!(deposits.is_empty());
}
