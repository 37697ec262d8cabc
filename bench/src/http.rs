//! A minimal keep-alive HTTP/1.1 JSON-RPC client over `std::net::TcpStream`: enough to post
//! batches to Sprout and anvil without a client library.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::Duration,
};

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};

/// One persistent connection to a JSON-RPC server at `host:port`.
#[derive(Debug)]
pub struct RpcConn {
    addr: String,
    reader: Option<BufReader<TcpStream>>,
}

impl RpcConn {
    /// A client for `url` (`http://host:port`); connects on first use.
    pub fn new(url: &str) -> Self {
        Self {
            addr: url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string(),
            reader: None,
        }
    }

    fn connect(&mut self) -> Result<&mut BufReader<TcpStream>> {
        if self.reader.is_none() {
            let stream = TcpStream::connect(&self.addr)
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(120)))?;
            self.reader = Some(BufReader::new(stream));
        }
        self.reader
            .as_mut()
            .ok_or_else(|| anyhow!("connection lost"))
    }

    fn post_once(&mut self, body: &[u8]) -> Result<Vec<u8>> {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            self.addr,
            body.len()
        );
        let reader = self.connect()?;
        let stream = reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                bail!("connection closed in headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| anyhow!("bad chunk size {line:?}"))?;
                if size == 0 {
                    line.clear();
                    reader.read_line(&mut line)?;
                    break;
                }
                let start = out.len();
                out.resize(start + size, 0);
                reader.read_exact(&mut out[start..])?;
                line.clear();
                reader.read_line(&mut line)?;
            }
        } else if let Some(length) = length {
            out.resize(length, 0);
            reader.read_exact(&mut out)?;
        } else {
            reader.read_to_end(&mut out)?;
            close = true;
        }
        if close {
            self.reader = None;
        }
        if status != 200 {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&out));
        }
        Ok(out)
    }

    /// Posts `body`, reconnecting once if the kept-alive connection went away.
    pub fn post(&mut self, body: &[u8]) -> Result<Vec<u8>> {
        match self.post_once(body) {
            Ok(out) => Ok(out),
            Err(_) => {
                self.reader = None;
                self.post_once(body)
            }
        }
    }

    /// One call; the `result`, or an error carrying the JSON-RPC error.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response: Value = serde_json::from_slice(&self.post(body.to_string().as_bytes())?)?;
        if let Some(err) = response.get("error") {
            bail!("{method}: {err}");
        }
        Ok(response["result"].clone())
    }

    /// A batch of `(method, params)`; the responses in request order (each a result or an
    /// error object).
    pub fn batch(&mut self, calls: &[(&str, Value)]) -> Result<Vec<Value>> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
            })
            .collect();
        let response: Value =
            serde_json::from_slice(&self.post(serde_json::to_vec(&body)?.as_slice())?)?;
        let Value::Array(items) = response else {
            bail!("batch answered with a non-array: {response}");
        };
        let mut ordered = vec![Value::Null; calls.len()];
        for item in items {
            if let Some(id) = item["id"].as_u64().map(|id| id as usize)
                && id < ordered.len()
            {
                ordered[id] = item;
            }
        }
        Ok(ordered)
    }
}

/// Parses a `0x` quantity.
pub fn quantity(value: &Value) -> Result<u64> {
    let s = value
        .as_str()
        .ok_or_else(|| anyhow!("not a quantity: {value}"))?;
    Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?)
}
