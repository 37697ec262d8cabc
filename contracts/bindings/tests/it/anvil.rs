//! A real anvil L1 from the pinned npm package, on a free loopback port, killed on drop.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    providers::{Provider, ProviderBuilder},
    transports::http::reqwest::Url,
};

/// A running anvil.
pub struct Anvil {
    child: Child,
    /// Its HTTP endpoint.
    pub url: Url,
}

/// The anvil binary: the platform package's binary when present (so that dropping kills anvil
/// itself, not a node wrapper), else `node_modules/.bin/anvil`.
fn anvil_binary() -> PathBuf {
    // The repository root: the nearest ancestor of the crate holding package.json.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|dir| dir.join("package.json").exists())
        .map(PathBuf::from)
        .unwrap_or(manifest);
    let platform = root.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) && platform.exists() {
        return platform;
    }
    let wrapper = root.join("node_modules/.bin/anvil");
    assert!(
        wrapper.exists(),
        "anvil not found: run `npm ci` in {}",
        root.display()
    );
    wrapper
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

impl Anvil {
    /// Starts anvil and waits until it answers `eth_chainId`.
    pub async fn start() -> Self {
        let port = free_port();
        let child = Command::new(anvil_binary())
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--silent",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn anvil");
        let url: Url = format!("http://127.0.0.1:{port}").parse().expect("url");
        let anvil = Self { child, url };
        let provider = ProviderBuilder::new().connect_http(anvil.url.clone());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if provider.get_chain_id().await.is_ok() {
                return anvil;
            }
            assert!(
                Instant::now() < deadline,
                "anvil did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Anvil {
    /// The process id, to pause (SIGSTOP) or resume (SIGCONT) it. Used by the node's tests,
    /// which include this file; the contracts' own tests do not pause anvil.
    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Moves anvil's clock `seconds` ahead and mines a block at the new time (dispute clocks,
/// finality delays).
#[allow(dead_code)]
pub async fn warp<P: Provider>(provider: &P, seconds: u64) {
    provider
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .expect("evm_increaseTime");
    provider
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
