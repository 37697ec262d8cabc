//! Starts and stops `sprout` processes and talks JSON-RPC to them.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};

/// A running node.
pub struct Node {
    pub child: Child,
    pub url: String,
    pub ws: String,
    _tmp: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts `sprout node --dev` on a free port with a fresh datadir.
    pub fn dev() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let datadir = tmp.path().to_path_buf();
        let mut node = Self::start(&datadir, &[]);
        node._tmp = Some(tmp);
        node
    }

    /// Starts `sprout node --dev` on `datadir`.
    pub fn start(datadir: &Path, extra: &[&str]) -> Self {
        let mut args = vec![
            "--dev".to_string(),
            "--datadir".to_string(),
            datadir.display().to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        Self::spawn(&args)
    }

    /// Starts `sprout node --json ARGS…` (on a free port unless ARGS name one).
    pub fn spawn(args: &[String]) -> Self {
        Self::spawn_logged(args, None)
    }

    /// As [`Node::spawn`], with the node's log (info level) going to `log` when given.
    pub fn spawn_logged(args: &[String], log: Option<&Path>) -> Self {
        Self::spawn_with(args, log, &[])
    }

    /// As [`Node::spawn_logged`], with extra environment variables.
    pub fn spawn_with(args: &[String], log: Option<&Path>, env: &[(&str, &str)]) -> Self {
        let port: &[&str] = if args.iter().any(|a| a == "--http.port") {
            &[]
        } else {
            &["--http.port", "0"]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_sprout"))
            .args(["node", "--json"])
            .args(port)
            .args(args)
            .env("SPROUT_LOG", if log.is_some() { "info" } else { "warn" })
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(match log {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .expect("log file"),
                ),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn sprout");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read summary");
        let summary: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("summary {line:?}: {e}"));
        Self {
            child,
            url: summary["rpcUrl"].as_str().expect("rpcUrl").to_string(),
            ws: summary["wsUrl"].as_str().expect("wsUrl").to_string(),
            _tmp: None,
        }
    }

    /// One JSON-RPC call; returns the whole response object.
    pub fn raw(&self, method: &str, params: Value) -> Value {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        post(&self.url, &body.to_string()).1
    }

    /// One JSON-RPC call that must succeed; returns its result.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let response = self.raw(method, params);
        if let Some(err) = response.get("error") {
            panic!("{method} failed: {err}");
        }
        response["result"].clone()
    }

    /// The error message of a call that must fail.
    pub fn error(&self, method: &str, params: Value) -> (i64, String) {
        let response = self.raw(method, params);
        let err = response
            .get("error")
            .unwrap_or_else(|| panic!("{method} should fail: {response}"));
        (
            err["code"].as_i64().unwrap_or_default(),
            err["message"].as_str().unwrap_or_default().to_string(),
        )
    }

    pub fn block_number(&self) -> u64 {
        quantity(&self.call("eth_blockNumber", json!([])))
    }

    /// Waits until the chain is past `number`.
    pub fn wait_for_block(&self, number: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.block_number() <= number {
            assert!(
                Instant::now() < deadline,
                "no block past {number} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a receipt.
    pub fn receipt(&self, hash: B256) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(
                Instant::now() < deadline,
                "no receipt for {hash} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Minimal HTTP/1.1 POST over a TCP socket (what every JSON-RPC client does underneath).
pub fn post(url: &str, body: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    // Status 0: nothing listens there.
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return (0, Value::Null);
    };
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The server may answer (413) and close before a huge body is fully written.
    let _ = stream.write_all(request.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    // Responses may be chunked; take the JSON between the first '{' or '[' and the last '}' or ']'.
    let start = body.find(['{', '[']).unwrap_or(0);
    let end = body.rfind(['}', ']']).map(|i| i + 1).unwrap_or(body.len());
    let value = serde_json::from_str(&body[start..end.max(start)]).unwrap_or(Value::Null);
    (status, value)
}

pub fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

pub fn dev_signer(i: u32) -> PrivateKeySigner {
    sprout_node::dev::dev_signers(i + 1)
        .expect("dev keys")
        .remove(i as usize)
}

pub fn dead() -> Address {
    "0x000000000000000000000000000000000000dEaD"
        .parse()
        .expect("address")
}

/// Path of a pinned npm tool.
pub fn npm_tool(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/.bin")
        .join(name);
    assert!(
        path.exists(),
        "{name} is missing: run `npm ci` in the repository root (make test does)"
    );
    path
}

/// Signs an EIP-1559 transaction on the dev chain (id 901).
#[allow(clippy::too_many_arguments)]
pub fn sign_1559(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Option<Address>,
    value: alloy_primitives::U256,
    gas_limit: u64,
    max_fee: u128,
    tip: u128,
    input: alloy_primitives::Bytes,
) -> alloy_primitives::Bytes {
    use alloy::{
        consensus::{SignableTransaction, TxEip1559, TxEnvelope},
        eips::Encodable2718,
        network::TxSignerSync,
    };
    let mut tx = TxEip1559 {
        chain_id: 901,
        nonce,
        gas_limit,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: to
            .map(alloy_primitives::TxKind::Call)
            .unwrap_or(alloy_primitives::TxKind::Create),
        value,
        access_list: Default::default(),
        input,
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// A plain 1 gwei-tip ETH transfer.
pub fn transfer(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    wei: u64,
) -> alloy_primitives::Bytes {
    sign_1559(
        signer,
        nonce,
        Some(to),
        alloy_primitives::U256::from(wei),
        21_000,
        10_000_000_000,
        1_000_000,
        Default::default(),
    )
}
