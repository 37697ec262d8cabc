//! JSON-RPC behaviour against a running dev node, with the alloy provider and raw calls.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde_json::{Value, json};

use crate::harness::*;

fn hash_of(v: &Value) -> B256 {
    v.as_str().expect("hash").parse().expect("hash")
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_with_alloy_provider() {
    let node = Node::dev();
    let signer = dev_signer(0);
    let from = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(node.url.parse().expect("url"));
    assert_eq!(provider.get_chain_id().await.expect("chain id"), 901);
    let to: Address = "0x00000000000000000000000000000000000A11CE"
        .parse()
        .expect("addr");
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(12_345u64));
    let receipt = provider
        .send_transaction(tx)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    assert_eq!(receipt.from, from);
    assert_eq!(
        provider.get_balance(to).await.expect("balance"),
        U256::from(12_345u64)
    );
    let block = provider
        .get_block_by_number(receipt.block_number.expect("number").into())
        .full()
        .await
        .expect("block")
        .expect("exists");
    assert_eq!(block.header.hash, receipt.block_hash.expect("hash"));
    assert_eq!(block.transactions.len(), 1);

    // debug_getRawBlock is the block's Ethereum RLP: alloy decodes it to the same block.
    let raw: Bytes = provider
        .raw_request(
            "debug_getRawBlock".into(),
            (format!("{:#x}", block.header.number),),
        )
        .await
        .expect("raw block");
    let decoded =
        <alloy::consensus::Block<alloy::consensus::TxEnvelope> as alloy_rlp::Decodable>::decode(
            &mut raw.as_ref(),
        )
        .expect("decodes");
    assert_eq!(decoded.header.hash_slow(), block.header.hash);
    assert_eq!(
        decoded.body.transactions[0].tx_hash(),
        &receipt.transaction_hash
    );
    assert_eq!(decoded.body.withdrawals.map(|w| w.len()), Some(0));
}

#[test]
fn block_tags_and_historical_state() {
    let node = Node::dev();
    let key = dev_signer(3);
    let before = node.block_number();
    let hash = hash_of(&node.call(
        "eth_sendRawTransaction",
        json!([transfer(&key, 0, dead(), 1_000)]),
    ));
    let receipt = node.receipt(hash);
    let included = quantity(&receipt["blockNumber"]);
    let parent = format!("{:#x}", included - 1);
    // Before the transfer (historical state from the trie) and after it (flat state).
    assert_eq!(node.call("eth_getBalance", json!([dead(), parent])), "0x0");
    assert_eq!(
        node.call("eth_getBalance", json!([dead(), "latest"])),
        "0x3e8"
    );
    for tag in ["latest", "pending", "safe", "finalized"] {
        assert_eq!(
            node.call("eth_getBalance", json!([dead(), tag])),
            "0x3e8",
            "tag {tag}"
        );
    }
    assert_eq!(
        node.call("eth_getBalance", json!([dead(), "earliest"])),
        "0x0"
    );
    let block_hash = receipt["blockHash"].clone();
    assert_eq!(
        node.call(
            "eth_getBalance",
            json!([dead(), { "blockHash": block_hash }])
        ),
        "0x3e8"
    );
    assert_eq!(
        node.call("eth_getTransactionCount", json!([key.address(), "latest"])),
        "0x1"
    );
    assert_eq!(
        node.call(
            "eth_getTransactionCount",
            json!([key.address(), { "blockNumber": parent }])
        ),
        "0x0"
    );
    assert!(before < included);
    let (code, msg) = node.error("eth_getBalance", json!([dead(), "0xffffff"]));
    assert_eq!((code, msg.as_str()), (-32000, "header not found"));
    // Block and transaction lookups agree.
    let block = node.call("eth_getBlockByHash", json!([block_hash, false]));
    assert_eq!(block["transactions"][0], json!(hash));
    let by_index = node.call(
        "eth_getTransactionByBlockHashAndIndex",
        json!([block_hash, "0x0"]),
    );
    assert_eq!(by_index["hash"], json!(hash));
    let count = node.call(
        "eth_getBlockTransactionCountByNumber",
        json!([receipt["blockNumber"]]),
    );
    assert_eq!(count, "0x1");
    let receipts = node.call("eth_getBlockReceipts", json!([receipt["blockNumber"]]));
    assert_eq!(receipts[0]["transactionHash"], json!(hash));
}

#[test]
fn get_proof_verifies_against_state_root() {
    use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
    let node = Node::dev();
    let account = dev_signer(0).address();
    node.wait_for_block(0);
    let block = node.call("eth_getBlockByNumber", json!(["latest", false]));
    let root: B256 = serde_json::from_value(block["stateRoot"].clone()).expect("root");
    let proof = node.call(
        "eth_getProof",
        json!([account, [B256::ZERO], block["number"]]),
    );
    let nodes: Vec<Bytes> = serde_json::from_value(proof["accountProof"].clone()).expect("proof");
    let leaf = TrieAccount {
        nonce: quantity(&proof["nonce"]),
        balance: serde_json::from_value(proof["balance"].clone()).expect("balance"),
        storage_root: serde_json::from_value(proof["storageHash"].clone()).expect("storage"),
        code_hash: serde_json::from_value(proof["codeHash"].clone()).expect("code"),
    };
    // alloy-trie's verifier, independent of ours.
    verify_proof(
        root,
        Nibbles::unpack(keccak256(account)),
        Some(alloy_rlp::encode(leaf)),
        &nodes,
    )
    .expect("account proof verifies");
    // A tampered balance must not verify.
    let mut wrong = leaf;
    wrong.balance += U256::from(1);
    assert!(
        verify_proof(
            root,
            Nibbles::unpack(keccak256(account)),
            Some(alloy_rlp::encode(wrong)),
            &nodes
        )
        .is_err()
    );
    // An absent account proves absence.
    let absent: Address = "0x1234567890123456789012345678901234567890"
        .parse()
        .expect("addr");
    let proof = node.call("eth_getProof", json!([absent, [], block["number"]]));
    let nodes: Vec<Bytes> = serde_json::from_value(proof["accountProof"].clone()).expect("proof");
    verify_proof(root, Nibbles::unpack(keccak256(absent)), None, &nodes)
        .expect("absence proof verifies");
}

/// TestToken init code with constructor arguments ("Test", "TST", 1e24).
pub(crate) fn token_bytecode() -> Bytes {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/artifacts/TestToken.json");
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("TestToken artifact (make contracts)"))
            .expect("json");
    let code: Bytes = serde_json::from_value(artifact["bytecode"].clone()).expect("bytecode");
    let word = |v: U256| v.to_be_bytes::<32>().to_vec();
    let text = |s: &str| {
        let mut w = [0u8; 32];
        w[..s.len()].copy_from_slice(s.as_bytes());
        w.to_vec()
    };
    let mut init = code.to_vec();
    init.extend(word(U256::from(96)));
    init.extend(word(U256::from(160)));
    init.extend(word(U256::from(10u128.pow(24))));
    init.extend(word(U256::from(4)));
    init.extend(text("Test"));
    init.extend(word(U256::from(3)));
    init.extend(text("TST"));
    init.into()
}

#[tokio::test(flavor = "multi_thread")]
async fn erc20_deploy_logs_and_websocket_subscription() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let node = Node::dev();
    let key = dev_signer(4);
    // Deploy: constructor mints the supply to the deployer.
    let deploy = sign_1559(
        &key,
        0,
        None,
        U256::ZERO,
        3_000_000,
        10_000_000_000,
        1_000_000,
        token_bytecode(),
    );
    let hash = hash_of(&node.call("eth_sendRawTransaction", json!([deploy])));
    let receipt = node.receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    let token: Address =
        serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    assert_eq!(token, key.address().create(0));
    assert!(
        node.call("eth_getCode", json!([token, "latest"]))
            .as_str()
            .expect("code")
            .len()
            > 2
    );

    // Subscribe to the token's logs over WebSocket.
    let (mut ws, _) = tokio_tungstenite::connect_async(node.ws.as_str())
        .await
        .expect("ws connect");
    let sub = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs", { "address": token }] });
    ws.send(Message::Text(sub.to_string().into()))
        .await
        .expect("subscribe");
    let reply: Value = match ws.next().await.expect("reply").expect("ws") {
        Message::Text(text) => serde_json::from_str(&text).expect("json"),
        other => panic!("unexpected {other:?}"),
    };
    assert!(reply["result"].is_string(), "{reply}");

    // transfer(dead, 1000)
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(B256::left_padding_from(dead().as_slice()).as_slice());
    data.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
    let call = sign_1559(
        &key,
        1,
        Some(token),
        U256::ZERO,
        100_000,
        10_000_000_000,
        1_000_000,
        data.into(),
    );
    let hash = hash_of(&node.call("eth_sendRawTransaction", json!([call])));
    let receipt = node.receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    let transfer_topic = keccak256("Transfer(address,address,uint256)");
    assert_eq!(receipt["logs"][0]["topics"][0], json!(transfer_topic));

    let note = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
        .await
        .expect("log notification");
    let note: Value = match note.expect("frame").expect("ws") {
        Message::Text(text) => serde_json::from_str(&text).expect("json"),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(note["method"], "eth_subscription");
    assert_eq!(note["params"]["result"]["transactionHash"], json!(hash));

    // eth_getLogs with an address list and a topic OR-set finds it; a non-matching topic doesn't.
    let logs = node.call(
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "toBlock": "latest", "address": [token, dead()], "topics": [[transfer_topic, B256::ZERO]] }]),
    );
    assert_eq!(
        logs.as_array().expect("array").len(),
        2,
        "mint and transfer"
    );
    let none = node.call(
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "address": token, "topics": [B256::ZERO] }]),
    );
    assert_eq!(none.as_array().expect("array").len(), 0);
    // balanceOf(dead) through eth_call.
    let mut q = vec![0x70, 0xa0, 0x82, 0x31];
    q.extend_from_slice(B256::left_padding_from(dead().as_slice()).as_slice());
    let out = node.call(
        "eth_call",
        json!([{ "to": token, "data": Bytes::from(q) }, "latest"]),
    );
    assert_eq!(out, json!(B256::from(U256::from(1000))));
    // Polling filter sees the next transfer.
    let filter = node.call("eth_newFilter", json!([{ "address": token }]));
    let again = sign_1559(
        &key,
        2,
        Some(token),
        U256::ZERO,
        100_000,
        10_000_000_000,
        1_000_000,
        receipt_data(dead(), 5),
    );
    let hash = hash_of(&node.call("eth_sendRawTransaction", json!([again])));
    node.receipt(hash);
    let changes = node.call("eth_getFilterChanges", json!([filter]));
    assert_eq!(changes[0]["transactionHash"], json!(hash));
    assert_eq!(
        node.call("eth_uninstallFilter", json!([filter])),
        json!(true)
    );
}

fn receipt_data(to: Address, amount: u64) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
    data.into()
}

#[test]
fn eth_call_revert_returns_code_3_with_data() {
    let node = Node::dev();
    // Init code that deploys a contract which always reverts with Error("nope"):
    // runtime: store the ABI-encoded Error(string) in memory and REVERT it.
    let revert_data = {
        let mut d = vec![0x08, 0xc3, 0x79, 0xa0];
        d.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        d.extend_from_slice(&U256::from(4).to_be_bytes::<32>());
        let mut s = [0u8; 32];
        s[..4].copy_from_slice(b"nope");
        d.extend_from_slice(&s);
        d
    };
    // Call with a state override that installs runtime code returning that data via REVERT.
    let mut runtime = Vec::new();
    for (i, chunk) in revert_data.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        runtime.push(0x7f); // PUSH32
        runtime.extend_from_slice(&word);
        runtime.extend_from_slice(&[0x60, (i * 32) as u8, 0x52]); // PUSH1 off MSTORE
    }
    runtime.extend_from_slice(&[0x60, revert_data.len() as u8, 0x60, 0x00, 0xfd]); // REVERT(0, len)
    let target: Address = "0x00000000000000000000000000000000000b0b00"
        .parse()
        .expect("addr");
    let response = node.raw(
        "eth_call",
        json!([{ "to": target }, "latest", { target.to_string(): { "code": Bytes::from(runtime) } }]),
    );
    let err = &response["error"];
    assert_eq!(err["code"], 3, "{response}");
    assert_eq!(err["message"], "execution reverted: nope");
    assert_eq!(err["data"], json!(Bytes::from(revert_data)));
    // Without the override the account has no code: the call succeeds with empty output.
    assert_eq!(
        node.call("eth_call", json!([{ "to": target }, "latest"])),
        "0x"
    );
}

#[test]
fn estimate_gas_and_fee_methods() {
    let node = Node::dev();
    let from = dev_signer(0).address();
    let gas = node.call(
        "eth_estimateGas",
        json!([{ "from": from, "to": dead(), "value": "0x1" }]),
    );
    assert_eq!(quantity(&gas), 21_000);
    let price = quantity(&node.call("eth_gasPrice", json!([])));
    let tip = quantity(&node.call("eth_maxPriorityFeePerGas", json!([])));
    assert!(price > tip);
    node.wait_for_block(1);
    let history = node.call("eth_feeHistory", json!(["0x2", "latest", [25.0, 75.0]]));
    assert_eq!(history["baseFeePerGas"].as_array().expect("fees").len(), 3);
    assert_eq!(history["reward"].as_array().expect("rewards").len(), 2);
    assert_eq!(node.call("net_version", json!([])), "901");
    assert_eq!(node.call("eth_chainId", json!([])), "0x385");
    assert_eq!(node.call("eth_syncing", json!([])), false);
    assert_eq!(node.call("eth_accounts", json!([])), json!([]));
    assert!(
        node.call("web3_clientVersion", json!([]))
            .as_str()
            .expect("version")
            .starts_with("sprout/")
    );
}

#[test]
fn batch_requests_are_answered_in_order() {
    let node = Node::dev();
    let body = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "net_version", "params": [] },
    ]);
    let (status, value) = post(&node.url, &body.to_string());
    assert_eq!(status, 200);
    let replies = value.as_array().expect("batch reply");
    assert_eq!(replies.len(), 2);
    assert!(
        replies
            .iter()
            .any(|r| r["id"] == 1 && r["result"] == "0x385")
    );
    assert!(replies.iter().any(|r| r["id"] == 2 && r["result"] == "901"));
}
