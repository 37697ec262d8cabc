//! Rollup mode against a real anvil L1: deposits of every kind, L1-info, fees, the drift rule
//! while L1 is frozen, and an L1 outage.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, B256, Bytes, U256, address},
    providers::Provider,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use sprout_contracts::{
    Portal,
    predeploys::{BASE_FEE_VAULT, L1_FEE_VAULT, SEQUENCER_FEE_VAULT},
};
use sprout_protocol::tx::SproutTx;

use crate::{
    harness::{Node, dev_signer, quantity, sign_1559},
    rollupnet::{ONE_ETH, REVERTER, RollupNet, STORE_ONE, balance},
};

#[tokio::test(flavor = "multi_thread")]
async fn deposits_of_every_kind_execute_per_the_spec() {
    let net = RollupNet::start(600).await;
    assert_eq!(
        net.node.call("optimism_rollupConfig", json!([]))["l2_chain_id"],
        901
    );
    let block = net.node.call("eth_getBlockByNumber", json!(["0x1", true]));
    assert_eq!(
        block["transactions"][0]["type"], "0x7e",
        "blocks start with the L1-info deposit"
    );
    // A deposit's `nonce` is the one it used (its receipt's depositNonce), as op-geth reports:
    // the L1-info depositor's nonce counts blocks.
    net.node.wait_for_block(3);
    let info = &net.node.call("eth_getBlockByNumber", json!(["0x3", true]))["transactions"][0];
    assert_eq!(info["nonce"], "0x2");
    let info_hash: B256 = serde_json::from_value(info["hash"].clone()).expect("hash");
    assert_eq!(
        net.node
            .call("eth_getTransactionByHash", json!([info_hash]))["nonce"],
        "0x2"
    );
    assert_eq!(net.l2_receipt(info_hash)["depositNonce"], "0x2");

    // 1. ETH from an EOA: mint 1 ETH to the sender, which sends 0.25 ETH on to alice.
    let alice = address!("0x00000000000000000000000000000000000a11ce");
    let hash = net
        .deposit(net.portal_call(alice, ONE_ETH / 4, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["depositNonce"], "0x0");
    let tx = net.node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["type"], "0x7e");
    assert_eq!(tx["mint"], json!(U256::from(ONE_ETH)));
    assert_eq!(
        tx["from"].as_str().map(str::to_lowercase),
        Some(net.operator.to_string().to_lowercase())
    );
    assert_eq!(balance(&net.node, alice, "latest"), U256::from(ONE_ETH / 4));

    // 2. From an L1 contract: the sender is aliased (+0x1111…1111).
    let forwarder = address!("0x000000000000000000000000000000000000c411");
    let mut code = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x34, 0x73,
    ];
    code.extend_from_slice(net.addresses.portal.as_slice());
    code.extend_from_slice(&[0x5a, 0xf1, 0x00]);
    net.l1
        .raw_request::<_, ()>("anvil_setCode".into(), (forwarder, Bytes::from(code)))
        .await
        .expect("set code");
    let call = Portal::depositTransactionCall {
        _to: alice,
        _value: U256::ZERO,
        _gasLimit: 100_000,
        _isCreation: false,
        _data: Bytes::new(),
    };
    // An explicit gas limit: the forwarder succeeds even when its inner call fails, so an
    // estimate would be too low for the Portal call.
    let via_contract = alloy::rpc::types::TransactionRequest::default()
        .gas_limit(500_000)
        .to(forwarder)
        .value(U256::from(ONE_ETH))
        .input(Bytes::from(call.abi_encode()).into());
    let hash = net.deposit(via_contract).await;
    net.l2_receipt(hash);
    let tx = net.node.call("eth_getTransactionByHash", json!([hash]));
    let aliased = Address::from(
        U256::from_be_slice(forwarder.as_slice())
            .wrapping_add(U256::from_be_slice(
                address!("0x1111000000000000000000000000000000001111").as_slice(),
            ))
            .to_be_bytes::<32>()[12..]
            .try_into()
            .unwrap_or([0u8; 20]),
    );
    net.l2_receipt(hash);
    assert_eq!(
        tx["from"].as_str().map(str::to_lowercase),
        Some(aliased.to_string().to_lowercase())
    );
    assert_eq!(balance(&net.node, aliased, "latest"), U256::from(ONE_ETH));

    // 3. A deposit that calls an L2 contract.
    let hash = net
        .deposit(net.portal_call(STORE_ONE, 0, 100_000, false, Bytes::new(), 0))
        .await;
    assert_eq!(net.l2_receipt(hash)["status"], "0x1");
    assert_eq!(
        net.node
            .call("eth_getStorageAt", json!([STORE_ONE, "0x0", "latest"])),
        json!(B256::with_last_byte(1))
    );

    // 4. A deposit whose L2 call reverts: the mint stays, the nonce is bumped, gas = limit.
    let nonce_before = quantity(
        &net.node
            .call("eth_getTransactionCount", json!([net.operator, "latest"])),
    );
    let before = balance(&net.node, net.operator, "latest");
    let hash = net
        .deposit(net.portal_call(REVERTER, 0, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x0");
    assert_eq!(quantity(&receipt["gasUsed"]), 100_000);
    assert_eq!(
        balance(&net.node, net.operator, "latest"),
        before + U256::from(ONE_ETH)
    );
    assert_eq!(
        quantity(
            &net.node
                .call("eth_getTransactionCount", json!([net.operator, "latest"]))
        ),
        nonce_before + 1
    );

    // 5. Contract creation by deposit.
    let init = Bytes::from_static(&[
        0x60, 0x05, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x05, 0x60, 0x00, 0xf3, 0x60, 0x01, 0x60,
        0x00, 0x55,
    ]);
    let hash = net
        .deposit(net.portal_call(Address::ZERO, 0, 200_000, true, init, 0))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    let created: Address =
        serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    assert_eq!(
        net.node.call("eth_getCode", json!([created, "latest"])),
        "0x6001600055"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn l1_info_fees_and_vaults_match_the_chain() {
    let net = RollupNet::start(600).await;
    // A user transaction in a rollup block pays the L1 data fee.
    let key = dev_signer(3);
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(1),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 = serde_json::from_value(
        net.node
            .call("eth_sendRawTransaction", json!([raw.clone()])),
    )
    .expect("hash");
    let receipt = net.node.receipt(hash);
    let l1_fee: U256 = serde_json::from_value(receipt["l1Fee"].clone()).expect("l1Fee");
    assert!(l1_fee > U256::ZERO);
    let block = receipt["blockNumber"].as_str().expect("number").to_string();
    // GasPriceOracle.getL1Fee(unsigned tx) at that block equals the charge.
    let unsigned = SproutTx::decode_2718_exact(&raw)
        .expect("decodes")
        .unsigned_encoding();
    let get_l1_fee = sprout_contracts::GasPriceOracle::getL1FeeCall {
        _data: Bytes::from(unsigned),
    }
    .abi_encode();
    let quoted = net.node.call("eth_call", json!([{ "to": "0x420000000000000000000000000000000000000F", "data": Bytes::from(get_l1_fee) }, block]));
    let quoted: B256 = serde_json::from_value(quoted).expect("word");
    assert_eq!(U256::from_be_bytes(quoted.0), l1_fee);

    // The vaults received exactly the block's parts.
    let number = quantity(&receipt["blockNumber"]);
    let parent = format!("{:#x}", number - 1);
    let receipts = net.node.call("eth_getBlockReceipts", json!([block]));
    let header = net.node.call("eth_getBlockByNumber", json!([block, false]));
    let base_fee = U256::from(quantity(&header["baseFeePerGas"]));
    let (mut l1_sum, mut base_sum, mut tip_sum) = (U256::ZERO, U256::ZERO, U256::ZERO);
    for r in receipts.as_array().expect("receipts") {
        if r["type"] == "0x7e" {
            continue;
        }
        let gas = U256::from(quantity(&r["gasUsed"]));
        let price: U256 = serde_json::from_value(r["effectiveGasPrice"].clone()).expect("price");
        l1_sum += serde_json::from_value::<U256>(r["l1Fee"].clone()).expect("l1Fee");
        base_sum += gas * base_fee;
        tip_sum += gas * (price - base_fee);
    }
    let delta = |vault| balance(&net.node, vault, &block) - balance(&net.node, vault, &parent);
    assert_eq!(delta(L1_FEE_VAULT), l1_sum);
    assert_eq!(delta(BASE_FEE_VAULT), base_sum);
    assert_eq!(delta(SEQUENCER_FEE_VAULT), tip_sum);

    // L1Block holds the origin's header values.
    let word = |selector: &str| -> U256 {
        let out = net.node.call("eth_call", json!([{ "to": "0x4200000000000000000000000000000000000015", "data": selector }, block]));
        U256::from_be_bytes(serde_json::from_value::<B256>(out).expect("word").0)
    };
    let origin_number = word("0x8381f58a"); // number()
    let origin = net
        .l1
        .get_block_by_number(origin_number.to::<u64>().into())
        .await
        .expect("rpc")
        .expect("origin");
    assert_eq!(word("0xb80777ea"), U256::from(origin.header.timestamp)); // timestamp()
    assert_eq!(
        word("0x5cf24969"),
        U256::from(origin.header.base_fee_per_gas.unwrap_or_default())
    ); // basefee()
    assert_eq!(B256::from(word("0x09bd5a60")), origin.header.hash); // hash()
    let status = net.node.call("optimism_syncStatus", json!([]));
    assert_eq!(
        status["unsafe_l2"]["number"].as_u64().map(|n| n >= number),
        Some(true)
    );
    assert!(status["head_l1"]["number"].is_u64());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_origin_advances_one_epoch_at_a_time_and_the_drift_holds_while_l1_is_frozen() {
    // anvil mines only on transactions here, so L1 is frozen unless we send one.
    let mut net = RollupNet::start(3).await;
    let key = dev_signer(4);
    // Wait until the head is past the drift of its origin: blocks now carry no user transactions.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = net.node.call("optimism_syncStatus", json!([]));
        let l2_time = status["unsafe_l2"]["timestamp"].as_u64().expect("time");
        let origin = status["current_l1"]["timestamp"].as_u64().expect("time");
        if l2_time > origin + 3 {
            break;
        }
        assert!(Instant::now() < deadline, "L2 never passed the drift");
        std::thread::sleep(Duration::from_millis(200));
    }
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(1),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 = serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([raw])))
        .expect("hash");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        net.node
            .call("eth_getTransactionReceipt", json!([hash]))
            .is_null(),
        "included past the drift"
    );
    // L1 moves: the origin advances (one epoch per block) and the transaction is included.
    net.l1
        .raw_request::<_, ()>("anvil_mine".into(), (3u64,))
        .await
        .expect("mine");
    let receipt = net.node.receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    // Origins along the chain never go backwards and never skip.
    let head = quantity(&net.node.call("eth_blockNumber", json!([])));
    let mut last: Option<u64> = None;
    for n in 1..=head {
        let block = net
            .node
            .call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        let input = block["transactions"][0]["input"]
            .as_str()
            .expect("input")
            .to_string();
        let origin = u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number");
        if let Some(prev) = last {
            assert!(
                origin == prev || origin == prev + 1,
                "origin moved from {prev} to {origin} at block {n}"
            );
        }
        last = Some(origin);
    }

    // L1 hangs (anvil paused): the sequencer keeps producing on its origin.
    let anvil = net.anvil.take().expect("anvil");
    let origin_before = origin_of(&net.node, net.node.block_number());
    signal(anvil.pid(), "STOP");
    let before = net.node.block_number();
    net.node.wait_for_block(before + 3);
    // L1 comes back and moves on: the origin catches up.
    signal(anvil.pid(), "CONT");
    net.l1
        .raw_request::<_, ()>("anvil_mine".into(), (3u64,))
        .await
        .expect("mine");
    let deadline = Instant::now() + Duration::from_secs(30);
    while origin_of(&net.node, net.node.block_number()) < origin_before + 3 {
        assert!(
            Instant::now() < deadline,
            "the origin did not advance after L1 came back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // L1 goes away for good (refused connections): blocks still come.
    drop(anvil);
    let before = net.node.block_number();
    net.node.wait_for_block(before + 2);
}

/// The L1 origin number an L2 block names, from its L1-info deposit.
pub fn origin_of(node: &Node, number: u64) -> u64 {
    let block = node.call(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), true]),
    );
    let input = block["transactions"][0]["input"].as_str().expect("input");
    u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number")
}

pub fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{sig} {pid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l1_reorg_of_the_origin_rolls_back_unsafe_blocks_and_drops_its_deposits() {
    let net = RollupNet::start(600).await;
    let key = dev_signer(5);
    // A deposit in L1 block B, and an L2 transfer in a block built on origin B.
    let bob = address!("0x0000000000000000000000000000000000000b0b");
    let deposit = net
        .deposit(net.portal_call(bob, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let deposit_receipt = net.l2_receipt(deposit);
    let deposit_block = quantity(&deposit_receipt["blockNumber"]);
    let origin = origin_of(&net.node, deposit_block);
    assert_eq!(balance(&net.node, bob, "latest"), U256::from(ONE_ETH));
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(7),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let transfer: B256 =
        serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([raw])))
            .expect("hash");
    let transfer_block = quantity(&net.node.receipt(transfer)["blockNumber"]);
    assert!(transfer_block > deposit_block);
    let old_hash = net.node.call(
        "eth_getBlockByNumber",
        json!([format!("{deposit_block:#x}"), false]),
    )["hash"]
        .clone();

    // L1 replaces block B (and nothing else) with an empty one.
    let l1_head = net.l1.get_block_number().await.expect("l1 head");
    assert_eq!(l1_head, origin, "the deposit's block is the L1 head");
    net.l1
        .raw_request::<_, ()>("anvil_reorg".into(), (1u64, Vec::<Value>::new()))
        .await
        .expect("anvil_reorg");
    let new_b = net
        .l1
        .get_block_by_number(origin.into())
        .await
        .expect("rpc")
        .expect("block");
    assert!(new_b.transactions.is_empty());

    // The sequencer rolls back the blocks built on the lost B: the deposit is gone, the
    // transfer is included again, and every block names a canonical origin.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let gone = net
            .node
            .call("eth_getTransactionReceipt", json!([deposit]))
            .is_null();
        let again = net
            .node
            .call("eth_getTransactionReceipt", json!([transfer]));
        if gone && !again.is_null() {
            assert_eq!(again["status"], "0x1");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sequencer did not follow the L1 reorg"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(balance(&net.node, bob, "latest"), U256::ZERO);
    let head = net.node.block_number();
    assert!(head >= deposit_block);
    assert_ne!(
        net.node.call(
            "eth_getBlockByNumber",
            json!([format!("{deposit_block:#x}"), false])
        )["hash"],
        old_hash,
        "the block that held the deposit was replaced"
    );
    for n in 1..=head {
        let block = net
            .node
            .call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        let input = block["transactions"][0]["input"].as_str().expect("input");
        let number = u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number");
        let hash = format!("0x{}", &input[2 + 200..2 + 264]);
        let l1 = net
            .l1
            .get_block_by_number(number.into())
            .await
            .expect("rpc")
            .expect("block");
        assert_eq!(
            l1.header.hash.to_string(),
            hash,
            "L2 block {n} names a non-canonical origin"
        );
    }
    // The chain goes on.
    net.node.wait_for_block(head + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_that_can_pay_gas_but_not_its_l1_fee_is_refused() {
    let net = RollupNet::start(600).await;
    net.node.wait_for_block(2);
    let poor = alloy::signers::local::PrivateKeySigner::random();
    let (max_fee, value) = (10_000_000_000u128, 1_000u64);
    // Exactly gas * price + value, nothing for the L1 data fee.
    let exact = 21_000 * max_fee + u128::from(value);
    let fund = sign_1559(
        &dev_signer(6),
        0,
        Some(poor.address()),
        U256::from(exact),
        21_000,
        max_fee,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 = serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([fund])))
        .expect("hash");
    net.node.receipt(hash);
    let spend = |nonce| {
        sign_1559(
            &poor,
            nonce,
            Some(address!("0x000000000000000000000000000000000000dEaD")),
            U256::from(value),
            21_000,
            max_fee,
            1_000_000,
            Bytes::new(),
        )
    };
    let (code, message) = net.node.error("eth_sendRawTransaction", json!([spend(0)]));
    assert_eq!(code, -32000);
    assert!(
        message.starts_with(&format!(
            "insufficient funds for gas * price + value + l1 fee: balance {exact}, tx cost "
        )) && message.contains("(l1 fee "),
        "{message}"
    );
    // With the L1 fee on top, the same transaction goes in.
    let top_up = sign_1559(
        &dev_signer(6),
        1,
        Some(poor.address()),
        U256::from(ONE_ETH / 1000),
        21_000,
        max_fee,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 =
        serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([top_up])))
            .expect("hash");
    net.node.receipt(hash);
    let hash: B256 =
        serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([spend(0)])))
            .expect("accepted once it can pay the L1 fee");
    assert_eq!(net.node.receipt(hash)["status"], "0x1");
}
