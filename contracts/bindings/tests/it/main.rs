//! Integration tests of `sprout-contracts` against a real anvil L1.

mod anvil;
mod dispute;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, Bytes, TxKind, U256, address, bytes, keccak256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English},
    sol_types::SolEvent,
};
use sprout_contracts::{
    ContractsError, FeeVaultConfig, L1Addresses, L1DeployConfig, Portal, SequencerFeeVault,
    SystemConfig, deploy_l1, predeploys, predeploys::SEQUENCER_FEE_VAULT,
};
use sprout_protocol::{
    TxDeposit,
    deposit::{TRANSACTION_DEPOSITED_TOPIC, decode_deposit_log, user_deposit_source_hash},
};

use anvil::Anvil;

const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

fn dev_signer(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(index)
        .expect("index")
        .build()
        .expect("dev key")
}

/// The one deposit log of `receipt`, decoded; checks the emitter and the source-hash formula.
fn only_deposit(receipt: &TransactionReceipt, portal: Address) -> TxDeposit {
    let logs = receipt.inner.logs();
    assert_eq!(logs.len(), 1, "one log");
    let log = &logs[0];
    assert_eq!(log.address(), portal);
    assert_eq!(log.topics()[0], TRANSACTION_DEPOSITED_TOPIC);
    assert_eq!(
        log.topics()[0],
        Portal::TransactionDeposited::SIGNATURE_HASH
    );
    let block_hash = log.block_hash.expect("block hash");
    let log_index = log.log_index.expect("log index");
    let tx = decode_deposit_log(&log.inner, block_hash, log_index).expect("valid deposit log");

    // domain 0: keccak256(bytes32(0) ++ keccak256(l1BlockHash ++ bytes32(logIndex)))
    let inner = keccak256(
        [
            block_hash.as_slice(),
            &U256::from(log_index).to_be_bytes::<32>(),
        ]
        .concat(),
    );
    let expected = keccak256([&[0u8; 32][..], inner.as_slice()].concat());
    assert_eq!(tx.source_hash, expected);
    assert_eq!(
        tx.source_hash,
        user_deposit_source_hash(block_hash, log_index)
    );
    assert!(!tx.is_system_transaction);

    // alloy's own decoding of the event agrees on the opaque bytes.
    let event = Portal::TransactionDeposited::decode_log_data(&log.inner.data).expect("abi event");
    assert_eq!(event.version, U256::ZERO);
    assert_eq!(event.opaqueData.len(), 73 + tx.input.len());
    tx
}

#[tokio::test]
async fn deploys_l1_and_decodes_portal_deposits() {
    let anvil = Anvil::start().await;
    let signer = dev_signer(0);
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.clone());

    let config = L1DeployConfig {
        l2_chain_id: 4242,
        ..L1DeployConfig::dev(deployer)
    };
    let addresses = deploy_l1(&provider, deployer, config.clone())
        .await
        .expect("deploy");

    // Wiring and the JSON shape nodes read.
    let system_config = SystemConfig::new(addresses.system_config, &provider);
    assert_eq!(
        system_config.optimismPortal().call().await.expect("call"),
        addresses.portal
    );
    assert_eq!(
        system_config.l2OutputOracle().call().await.expect("call"),
        addresses.l2_output_oracle
    );
    assert_eq!(
        system_config.batchInbox().call().await.expect("call"),
        config.batch_inbox
    );
    assert_eq!(
        system_config.l2ChainId().call().await.expect("call"),
        U256::from(4242)
    );
    assert_eq!(
        system_config.startBlock().call().await.expect("call"),
        U256::from(addresses.deployed_at_block)
    );
    let portal = Portal::new(addresses.portal, &provider);
    assert_eq!(portal.version().call().await.expect("call"), "2.8.0");
    assert_eq!(
        portal.l2Oracle().call().await.expect("call"),
        addresses.l2_output_oracle
    );
    assert_eq!(
        portal.systemConfig().call().await.expect("call"),
        addresses.system_config
    );
    let json = serde_json::to_value(addresses).expect("json");
    for key in [
        "portal",
        "l2OutputOracle",
        "systemConfig",
        "batchInbox",
        "deployedAtBlock",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(
        serde_json::from_value::<L1Addresses>(json).expect("parse"),
        addresses
    );

    // depositTransaction: mint 1 ether, value 0.5 ether, gas 100 000, call with data.
    let bob = address!("000000000000000000000000000000000000B0B0");
    let mint = U256::from(1_000_000_000_000_000_000u64);
    let receipt = portal
        .depositTransaction(
            bob,
            U256::from(500_000_000_000_000_000u64),
            100_000,
            false,
            bytes!("deadbeef"),
        )
        .value(mint)
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    let tx = only_deposit(&receipt, addresses.portal);
    assert_eq!(tx.from, deployer, "EOA sender is not aliased");
    assert_eq!(tx.to, TxKind::Call(bob));
    assert_eq!(tx.mint, 1_000_000_000_000_000_000);
    assert_eq!(tx.value, U256::from(500_000_000_000_000_000u64));
    assert_eq!(tx.gas_limit, 100_000);
    assert_eq!(tx.input, bytes!("deadbeef"));

    // A contract creation.
    let receipt = portal
        .depositTransaction(Address::ZERO, U256::ZERO, 200_000, true, bytes!("6000"))
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    let tx = only_deposit(&receipt, addresses.portal);
    assert_eq!(
        (tx.from, tx.to, tx.mint, tx.value, tx.gas_limit),
        (deployer, TxKind::Create, 0, U256::ZERO, 200_000)
    );
    assert_eq!(tx.input, bytes!("6000"));

    // A plain ETH transfer deposits to the sender with 100 000 gas.
    let transfer = TransactionRequest::default()
        .with_to(addresses.portal)
        .with_value(U256::from(12_345));
    let receipt = provider
        .send_transaction(transfer)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    let tx = only_deposit(&receipt, addresses.portal);
    assert_eq!(
        (
            tx.from,
            tx.to,
            tx.mint,
            tx.value,
            tx.gas_limit,
            tx.input.clone()
        ),
        (
            deployer,
            TxKind::Call(deployer),
            12_345,
            U256::from(12_345),
            100_000,
            Bytes::new()
        )
    );
    assert_eq!(
        provider
            .get_balance(addresses.portal)
            .await
            .expect("balance"),
        mint + U256::from(12_345)
    );
}

#[tokio::test]
async fn unfunded_deployer_gets_insufficient_funds_before_sending() {
    let anvil = Anvil::start().await;
    let signer = PrivateKeySigner::random();
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.clone());

    let err = deploy_l1(&provider, deployer, L1DeployConfig::dev(deployer))
        .await
        .expect_err("unfunded");
    let ContractsError::InsufficientFunds {
        have,
        need,
        account,
    } = &err
    else {
        panic!("expected InsufficientFunds, got {err}");
    };
    assert_eq!(*account, deployer);
    assert_eq!(*have, U256::ZERO);
    // At least the three deployments' code deposit at 1 wei/gas.
    assert!(*need > U256::from(4_000_000), "{need}");
    let text = err.to_string();
    assert!(
        text.contains(&deployer.to_string()) && text.contains("send at least"),
        "{text}"
    );
    assert_eq!(
        provider
            .get_transaction_count(deployer)
            .await
            .expect("nonce"),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn predeploy_code_and_vault_storage_answer_on_a_real_evm() {
    let anvil = Anvil::start().await;
    let provider = ProviderBuilder::new().connect_http(anvil.url.clone());
    let vault = FeeVaultConfig {
        recipient: address!("00000000000000000000000000000000000A11CE"),
        min_withdrawal: U256::from(10_000),
    };
    for (address, code, storage) in predeploys(vault) {
        let () = provider
            .raw_request("anvil_setCode".into(), (address, code))
            .await
            .expect("setCode");
        for (slot, value) in storage {
            let _: bool = provider
                .raw_request(
                    "anvil_setStorageAt".into(),
                    (address, U256::from_be_bytes(slot.0), value),
                )
                .await
                .expect("setStorageAt");
        }
    }
    let vault_contract = SequencerFeeVault::new(SEQUENCER_FEE_VAULT, &provider);
    assert_eq!(
        vault_contract.recipient().call().await.expect("call"),
        vault.recipient
    );
    assert_eq!(
        vault_contract
            .minWithdrawalAmount()
            .call()
            .await
            .expect("call"),
        U256::from(10_000)
    );
    assert_eq!(
        vault_contract.totalProcessed().call().await.expect("call"),
        U256::ZERO
    );
}
