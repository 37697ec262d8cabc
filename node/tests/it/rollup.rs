//! Rollup mode against a real anvil L1: L1-info deposits, and an L1 deposit arriving on L2.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy::{
    network::EthereumWallet,
    primitives::{B256, Bytes, U256, address},
    providers::{Provider, ProviderBuilder},
};
use serde_json::json;
use sprout_contracts::{
    FeeVaultConfig, L1DeployConfig, Portal, deploy_l1, predeploys, predeploys::SEQUENCER_FEE_VAULT,
};
use sprout_protocol::{
    GenesisAccount,
    deposit::decode_deposit_log,
    rollup::{BlockId, GenesisSystemConfig, RollupConfig, RollupGenesis},
};

use crate::harness::{Node, dev_signer};

#[tokio::test(flavor = "multi_thread")]
async fn l1_deposit_arrives_on_l2_after_its_epoch() {
    let anvil = crate::anvil::Anvil::start().await;
    let signer = dev_signer(0);
    let operator = signer.address();
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.clone());
    let deploy = L1DeployConfig::dev(operator);
    let addresses = deploy_l1(&l1, operator, deploy.clone())
        .await
        .expect("deploy");

    // L2 genesis: the dev accounts plus the predeploys; fees to the sequencer fee vault.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let mut chain = sprout_node::dev::dev_chain_config(901, 1, 30_000_000).expect("dev config");
    chain.genesis.timestamp = now;
    chain.fee_recipient = SEQUENCER_FEE_VAULT;
    for (address, code, storage) in predeploys(FeeVaultConfig {
        recipient: operator,
        min_withdrawal: U256::ZERO,
    }) {
        let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        chain.genesis.alloc.insert(
            address,
            GenesisAccount {
                code: Some(code),
                storage,
                ..Default::default()
            },
        );
    }
    let genesis_hash = chain.genesis().expect("genesis").header.hash_slow();
    let head = l1
        .get_block_by_number(Default::default())
        .await
        .expect("rpc")
        .expect("head");
    let rollup = RollupConfig {
        genesis: RollupGenesis {
            l1: BlockId {
                hash: head.header.hash,
                number: head.header.number,
            },
            l2: BlockId {
                hash: genesis_hash,
                number: 0,
            },
            l2_time: now,
            system_config: GenesisSystemConfig {
                batcher_addr: operator,
                base_fee_scalar: deploy.basefee_scalar,
                blob_base_fee_scalar: deploy.blobbasefee_scalar,
                gas_limit: 30_000_000,
            },
        },
        block_time: 1,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: 31337,
        l2_chain_id: 901,
        batch_inbox_address: addresses.batch_inbox,
        deposit_contract_address: addresses.portal,
        l1_system_config_address: addresses.system_config,
        l2_output_oracle_address: addresses.l2_output_oracle,
    };
    let dir = tempfile::tempdir().expect("tmp");
    let chain_path = dir.path().join("genesis.json");
    let rollup_path = dir.path().join("rollup.json");
    std::fs::write(
        &chain_path,
        serde_json::to_vec_pretty(&chain).expect("json"),
    )
    .expect("write");
    std::fs::write(
        &rollup_path,
        serde_json::to_vec_pretty(&rollup).expect("json"),
    )
    .expect("write");
    let node = Node::spawn(&[
        "--chain".into(),
        chain_path.display().to_string(),
        "--rollup".into(),
        rollup_path.display().to_string(),
        "--l1.rpc-url".into(),
        anvil.url.to_string(),
        "--l1.confirmations".into(),
        "0".into(),
        "--datadir".into(),
        dir.path().join("data").display().to_string(),
    ]);
    node.wait_for_block(1);
    assert_eq!(
        node.call("optimism_rollupConfig", json!([]))["l2_chain_id"],
        901
    );

    // Every block starts with the L1-info deposit to L1Block.
    let block = node.call("eth_getBlockByNumber", json!(["0x1", true]));
    let first = &block["transactions"][0];
    assert_eq!(first["type"], "0x7e");
    assert_eq!(
        first["to"].as_str().map(str::to_lowercase).as_deref(),
        Some("0x4200000000000000000000000000000000000015")
    );

    // Deposit 1 ETH on L1 to alice; it must appear on L2.
    let alice = address!("0x00000000000000000000000000000000000a11ce");
    let one_eth = U256::from(10u128.pow(18));
    let receipt = Portal::new(addresses.portal, &l1)
        .depositTransaction(alice, one_eth, 100_000, false, Bytes::new())
        .value(one_eth)
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    let log = &receipt.inner.logs()[0];
    let deposit = decode_deposit_log(
        &log.inner,
        receipt.block_hash.expect("hash"),
        log.log_index.expect("index"),
    )
    .expect("decodes");
    let deposit_hash = sprout_protocol::tx::SproutTx::Deposit(deposit).hash();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let balance = node.call("eth_getBalance", json!([alice, "latest"]));
        if balance == json!(one_eth) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the deposit did not reach L2 within 60 s (balance {balance})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tx = node.call("eth_getTransactionByHash", json!([deposit_hash]));
    assert_eq!(tx["type"], "0x7e");
    assert_eq!(tx["mint"], json!(one_eth));
    let l2_receipt = node.call("eth_getTransactionReceipt", json!([deposit_hash]));
    assert_eq!(l2_receipt["status"], "0x1");
    assert!(l2_receipt["depositNonce"].is_string());
    // L1Block knows the epoch: number() >= the deposit's L1 block.
    let number = node.call("eth_call", json!([{ "to": "0x4200000000000000000000000000000000000015", "data": "0x8381f58a" }, "latest"]));
    let number: B256 = serde_json::from_value(number).expect("word");
    assert!(U256::from_be_bytes(number.0) >= U256::from(receipt.block_number.expect("number")));
}
