//! Finding and starting anvil as the devnet's L1.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use alloy::providers::{Provider, ProviderBuilder};

use crate::{DevnetError, Result, child::Supervised};

/// anvil from the pinned npm package: the platform binary, else the npm wrapper, searched from
/// the working directory and the executable's folder upwards; else `anvil` on PATH.
pub(crate) fn find() -> Result<PathBuf> {
    let mut starts = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    if let Ok(exe) = std::env::current_exe() {
        starts.push(exe);
    }
    for start in starts {
        for dir in start.ancestors() {
            for candidate in [
                "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
                "node_modules/.bin/anvil",
            ] {
                let path = dir.join(candidate);
                if path.is_file() {
                    return Ok(path);
                }
            }
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let path = dir.join("anvil");
            if path.is_file() {
                return Ok(path);
            }
        }
    }
    Err(DevnetError::AnvilMissing)
}

/// Starts anvil on `port`, keeping its state in the datadir (loaded if present, dumped every
/// second and on exit). It mines on every transaction until [`set_block_time`] is called, so
/// the L1 deployment does not wait for block times.
pub(crate) fn start(bin: &Path, datadir: &Path, port: u16) -> Result<Supervised> {
    let state = datadir.join("l1-state.json");
    let args = vec![
        "--host".to_string(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
        "--state".into(),
        state.display().to_string(),
        "--state-interval".into(),
        "1".into(),
    ];
    Supervised::spawn("anvil", bin, &args, &datadir.join("logs/anvil.log"))
}

/// Waits until anvil answers.
pub(crate) async fn wait_ready(url: &str) -> Result<()> {
    let provider = ProviderBuilder::new().connect_http(
        url.parse()
            .map_err(|_| DevnetError::NotReady(format!("bad L1 url {url}")))?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while provider.get_chain_id().await.is_err() {
        if Instant::now() > deadline {
            return Err(DevnetError::NotReady(format!(
                "anvil did not answer at {url} within 60 s; see logs/anvil.log"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Switches anvil to a block every `seconds`.
pub(crate) async fn set_block_time(url: &str, seconds: u64) -> Result<()> {
    let provider = ProviderBuilder::new().connect_http(
        url.parse()
            .map_err(|_| DevnetError::NotReady(format!("bad L1 url {url}")))?,
    );
    provider
        .raw_request::<_, ()>("evm_setIntervalMining".into(), (seconds,))
        .await
        .map_err(|e| DevnetError::NotReady(format!("anvil refused evm_setIntervalMining: {e}")))
}
