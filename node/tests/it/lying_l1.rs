//! Followers behind an L1 endpoint that lies: a JSON-RPC proxy in front of the real anvil
//! alters a batcher transaction's `from`, drops or forges a deposit log, answers another
//! block's receipts, or alters a header field. Each lie is caught (logged) and retried; no
//! follower ever holds a block the sequencer does not, and once the proxy turns honest every
//! follower derives the sequencer's chain hash for hash.
//!
//! The same proxy, honest, limits `eth_getLogs` ranges as public providers do
//! ([`LyingL1::with_logs_limit`]), for the restart scenario of `catchup.rs`.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::primitives::{Address, Bytes, TxKind, U256, address};
use serde_json::{Value, json};
use sprout_protocol::{TxDeposit, deposit::deposit_log_data};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    derivation::{same_chain, wait_safe},
    harness::{Node, quantity},
    rollupnet::{NetParams, ONE_ETH, RollupNet},
};

/// What the proxy lies about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lie {
    /// The `from` of every transaction to the batch inbox.
    BatcherFrom,
    /// Every Portal log left out of receipts (and of `eth_getLogs`).
    DropDepositLogs,
    /// A deposit log minting 1,000,000 ETH added to every block's first receipt.
    ForgeDepositLog,
    /// A block's receipts answered with its parent's.
    OtherBlocksReceipts,
    /// Every header's timestamp one second later (its `hash` left as it was).
    HeaderTimestamp,
}

/// A lying JSON-RPC proxy: forwards to `upstream` and alters the answers while `lying`.
pub struct LyingL1 {
    pub url: String,
    lying: Arc<AtomicBool>,
    logs: Arc<LogsLimit>,
}

/// The `eth_getLogs` range limit a proxy enforces, and what it saw.
#[derive(Default)]
struct LogsLimit {
    /// Most blocks one call may cover (`None`: no limit).
    max_range: Option<u64>,
    calls: AtomicU64,
    /// Calls refused for covering more.
    refused: AtomicU64,
}

struct Liar {
    upstream: String,
    http: alloy::transports::http::reqwest::Client,
    lie: Option<Lie>,
    inbox: Address,
    portal: Address,
    lying: Arc<AtomicBool>,
    logs: Arc<LogsLimit>,
}

impl LyingL1 {
    async fn start(upstream: String, lie: Lie, inbox: Address, portal: Address) -> Self {
        Self::spawn(upstream, Some(lie), inbox, portal, LogsLimit::default()).await
    }

    /// An honest proxy that refuses, as public providers do, an `eth_getLogs` over more than
    /// `max_range` blocks ("query exceeds max block range").
    pub async fn with_logs_limit(upstream: String, max_range: u64) -> Self {
        let limit = LogsLimit {
            max_range: Some(max_range),
            ..Default::default()
        };
        Self::spawn(upstream, None, Address::ZERO, Address::ZERO, limit).await
    }

    /// `eth_getLogs` calls seen, and how many of them were refused for their range.
    pub fn logs_calls(&self) -> (u64, u64) {
        (
            self.logs.calls.load(Ordering::SeqCst),
            self.logs.refused.load(Ordering::SeqCst),
        )
    }

    async fn spawn(
        upstream: String,
        lie: Option<Lie>,
        inbox: Address,
        portal: Address,
        logs: LogsLimit,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let lying = Arc::new(AtomicBool::new(lie.is_some()));
        let logs = Arc::new(logs);
        let liar = Arc::new(Liar {
            upstream,
            http: Default::default(),
            lie,
            inbox,
            portal,
            lying: lying.clone(),
            logs: logs.clone(),
        });
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let liar = liar.clone();
                tokio::spawn(async move {
                    let _ = liar.serve(stream).await;
                });
            }
        });
        Self {
            url: format!("http://{addr}"),
            lying,
            logs,
        }
    }

    fn stop_lying(&self) {
        self.lying.store(false, Ordering::SeqCst);
    }
}

impl Liar {
    /// HTTP/1.1 with keep-alive: one JSON-RPC body per request, `Content-Length` framed.
    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        loop {
            let mut length = 0usize;
            let mut line = String::new();
            let mut first = true;
            loop {
                line.clear();
                if read.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == "\r\n" && !first {
                    break;
                }
                first = false;
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            read.read_exact(&mut body).await?;
            let answer = self.answer(&body).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                answer.len()
            );
            write.write_all(head.as_bytes()).await?;
            write.write_all(&answer).await?;
        }
    }

    async fn upstream(&self, request: &Value) -> Value {
        match self.http.post(&self.upstream).json(request).send().await {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    async fn answer(&self, body: &[u8]) -> Vec<u8> {
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return b"{}".to_vec();
        };
        let answer = match request.as_array() {
            Some(batch) => {
                let mut out = Vec::new();
                for call in batch {
                    out.push(self.call(call).await);
                }
                Value::Array(out)
            }
            None => self.call(&request).await,
        };
        serde_json::to_vec(&answer).expect("json")
    }

    /// The number of block tag or quantity `tag` (a missing one is `latest`).
    async fn block_number(&self, tag: &Value) -> u64 {
        match tag.as_str() {
            Some("earliest") => 0,
            Some(number) if number.starts_with("0x") => quantity(tag),
            _ => {
                let head = self
                    .upstream(&json!({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"}))
                    .await;
                quantity(&head["result"])
            }
        }
    }

    /// The refusal of an `eth_getLogs` over more blocks than the limit, if it is one.
    async fn refuse_logs(&self, request: &Value) -> Option<Value> {
        let max = self.logs.max_range?;
        self.logs.calls.fetch_add(1, Ordering::SeqCst);
        let filter = &request["params"][0];
        if !filter["blockHash"].is_null() {
            return None;
        }
        let from = self.block_number(&filter["fromBlock"]).await;
        let to = self.block_number(&filter["toBlock"]).await;
        if to.saturating_sub(from).saturating_add(1) <= max {
            return None;
        }
        self.logs.refused.fetch_add(1, Ordering::SeqCst);
        Some(json!({"jsonrpc": "2.0", "id": request["id"], "error": {
            "code": -32005,
            "message": format!("query exceeds max block range {max}"),
        }}))
    }

    async fn call(&self, request: &Value) -> Value {
        let method = request["method"].as_str().unwrap_or_default().to_string();
        if method == "eth_getLogs"
            && let Some(refusal) = self.refuse_logs(request).await
        {
            return refusal;
        }
        let lying = self.lying.load(Ordering::SeqCst);
        let mut request = request.clone();
        if lying && self.lie == Some(Lie::OtherBlocksReceipts) && method == "eth_getBlockReceipts" {
            // Ask for the parent's receipts instead.
            let block = self
                .upstream(
                    &json!({"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByHash",
                    "params": [request["params"][0].clone(), false]}),
                )
                .await;
            let number = quantity(&block["result"]["number"]);
            request["params"] = json!([format!("{:#x}", number.saturating_sub(1))]);
        }
        let mut response = self.upstream(&request).await;
        if !lying {
            return response;
        }
        let result = &mut response["result"];
        match (self.lie, method.as_str()) {
            (Some(Lie::BatcherFrom), "eth_getBlockByHash" | "eth_getBlockByNumber") => {
                if let Some(txs) = result["transactions"].as_array_mut() {
                    for tx in txs {
                        if tx["to"].as_str().and_then(|to| to.parse::<Address>().ok())
                            == Some(self.inbox)
                        {
                            tx["from"] = json!(Address::repeat_byte(0x66));
                        }
                    }
                }
            }
            (Some(Lie::HeaderTimestamp), "eth_getBlockByHash" | "eth_getBlockByNumber")
                if result.is_object() =>
            {
                let timestamp = quantity(&result["timestamp"]);
                result["timestamp"] = json!(format!("{:#x}", timestamp + 1));
            }
            (Some(Lie::DropDepositLogs), "eth_getBlockReceipts") => {
                for receipt in result.as_array_mut().into_iter().flatten() {
                    if let Some(logs) = receipt["logs"].as_array_mut() {
                        logs.retain(|log| !self.is_portal(log));
                    }
                }
            }
            (Some(Lie::DropDepositLogs), "eth_getLogs") => {
                if let Some(logs) = result.as_array_mut() {
                    logs.retain(|log| !self.is_portal(log));
                }
            }
            (Some(Lie::ForgeDepositLog), "eth_getBlockReceipts") => {
                if let Some(receipt) = result.as_array_mut().and_then(|r| r.first_mut()) {
                    let forged = deposit_log_data(&TxDeposit {
                        from: Address::repeat_byte(0x66),
                        to: TxKind::Call(Address::repeat_byte(0x66)),
                        mint: 1_000_000 * ONE_ETH,
                        value: U256::ZERO,
                        gas_limit: 100_000,
                        ..Default::default()
                    });
                    let mut log = receipt["logs"]
                        .as_array()
                        .and_then(|logs| logs.first().cloned())
                        .unwrap_or_else(|| {
                            json!({"blockHash": receipt["blockHash"],
                                "blockNumber": receipt["blockNumber"],
                                "transactionHash": receipt["transactionHash"],
                                "transactionIndex": receipt["transactionIndex"],
                                "logIndex": "0x0", "removed": false})
                        });
                    log["address"] = json!(self.portal);
                    log["topics"] = json!(forged.topics());
                    log["data"] = json!(forged.data);
                    if let Some(logs) = receipt["logs"].as_array_mut() {
                        logs.insert(0, log);
                    }
                }
            }
            _ => {}
        }
        response
    }

    fn is_portal(&self, log: &Value) -> bool {
        log["address"]
            .as_str()
            .and_then(|a| a.parse::<Address>().ok())
            == Some(self.portal)
    }
}

/// Whether `path` (a node's log) says `needle`.
fn logged(path: &std::path::Path, needle: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|log| log.contains(needle))
}

/// Every block `node` has is the sequencer's.
fn only_sequencer_blocks(net: &RollupNet, node: &Node) {
    let head = node.block_number();
    same_chain(&net.node, node, head);
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_behind_a_lying_l1_refuse_every_lie_and_then_derive_the_sequencers_chain() {
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher();
    // A deposit, so that blocks with Portal logs are among those the followers read.
    let carol = address!("0x00000000000000000000000000000000000ca201");
    let deposit = net
        .deposit(net.portal_call(carol, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    assert_eq!(net.l2_receipt(deposit)["status"], "0x1");
    // Wait until the sequencer's block with the deposit is safe: batches are on L1.
    let with_deposit = quantity(&net.l2_receipt(deposit)["blockNumber"]);
    wait_safe(&net.node, with_deposit + 2, Duration::from_secs(90));

    let lies = [
        (Lie::BatcherFrom, "names another sender"),
        (Lie::DropDepositLogs, "failed verification"),
        (Lie::ForgeDepositLog, "failed verification"),
        (Lie::OtherBlocksReceipts, "failed verification"),
        (Lie::HeaderTimestamp, "failed verification"),
    ];
    let mut followers = Vec::new();
    for (lie, said) in lies {
        let proxy = LyingL1::start(
            net.l1_url(),
            lie,
            net.addresses.batch_inbox,
            net.addresses.portal,
        )
        .await;
        let name = format!("{lie:?}");
        let follower = net.node_via(
            &name,
            &proxy.url,
            &["--rollup.sequencer-http".into(), net.node.url.clone()],
        );
        let log = net.dir.path().join(format!("{name}.log"));
        followers.push((lie, said, proxy, follower, log));
    }
    // Each lie is caught, and meanwhile no follower holds a block that is not the sequencer's.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (lie, said, _, follower, log) in &followers {
        while !logged(log, said) {
            assert!(
                Instant::now() < deadline,
                "{lie:?}: the follower never said {said:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        only_sequencer_blocks(&net, follower);
    }
    // The deposit was never derived from a lie: who holds it, holds the real one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (_, _, _, follower, _) in &followers {
        only_sequencer_blocks(&net, follower);
        let forged = follower.call(
            "eth_getBalance",
            json!([Address::repeat_byte(0x66), "latest"]),
        );
        assert_eq!(forged, json!("0x0"), "a forged deposit was minted");
    }
    // Honest again: everyone reaches the sequencer's safe head, hash for hash.
    for (_, _, proxy, _, _) in &followers {
        proxy.stop_lying();
    }
    let target = with_deposit + 2;
    for (lie, _, _, follower, _) in &followers {
        let safe = wait_safe(follower, target, Duration::from_secs(120));
        same_chain(&net.node, follower, safe);
        assert_eq!(
            follower.call("eth_getTransactionReceipt", json!([deposit]))["status"],
            "0x1",
            "{lie:?}: the deposit is missing"
        );
    }
}
