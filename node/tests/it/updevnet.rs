//! `sprout up --json` as a test drives it: free ports, a datadir of the test's, and SIGTERM
//! when dropped (the devnet's children stop with it).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::post;

/// A running `sprout up`.
pub struct Up {
    pub child: Child,
    /// Its `--json` summary.
    pub info: Value,
    pub datadir: PathBuf,
}

impl Up {
    /// `sprout up --json` on `datadir` with free ports and `extra` flags.
    pub fn start(datadir: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sprout"))
            .args(["up", "--json", "--l1.port", "0", "--l2.port", "0"])
            .args(["--follower.port", "0"])
            .args(extra)
            .arg("--datadir")
            .arg(datadir)
            .env("SPROUT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sprout up");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        let info: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("sprout up --json printed {line:?}: {e}"));
        Self {
            child,
            info,
            datadir: datadir.to_path_buf(),
        }
    }

    /// A string of the summary, by JSON pointer (`/contracts/portal`).
    pub fn get(&self, pointer: &str) -> String {
        self.info
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("sprout up --json has no {pointer}: {}", self.info))
            .to_string()
    }

    pub fn l1(&self) -> String {
        self.get("/l1/rpcUrl")
    }

    pub fn l2(&self) -> String {
        self.get("/l2/rpcUrl")
    }

    pub fn follower(&self) -> String {
        self.get("/follower/rpcUrl")
    }

    /// The last lines of a role's log, for a failure message.
    pub fn log_tail(&self, role: &str) -> String {
        let text = std::fs::read_to_string(self.datadir.join(format!("logs/{role}.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM, and the exit status within 20 s.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.sigterm();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "sprout up did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn sigterm(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        self.sigterm();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON-RPC call's `result` (null on an error).
pub fn rpc(url: &str, method: &str, params: Value) -> Value {
    let (_, reply) = post(
        url,
        &json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string(),
    );
    reply["result"].clone()
}
