//! Unsafe-block gossip in the node: the sequencer signs and publishes each block it seals; a
//! follower executes what peers gossip, in order, ahead of derivation (which then confirms each
//! block or replaces it). Who may sign is the SystemConfig's `unsafeBlockSigner`, read from L1
//! at start and every [`SIGNER_REFRESH`].

use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};

use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::RpcModule;
use serde_json::{Value, json};
use sprout_p2p::{Multiaddr, P2pConfig, P2pHandle, SignedBlock, SignerSource};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use crate::{
    NodeError, Result,
    chain::{Chain, UnsafeOutcome},
};

/// How often a node re-reads the unsafe-block signer from L1.
pub const SIGNER_REFRESH: Duration = Duration::from_secs(30);
/// Gossiped blocks held while their parents are missing; the farthest are dropped first.
const MAX_PENDING: usize = 1024;
/// How often held blocks are retried (derivation may have brought their parents).
const RETRY_INTERVAL: Duration = Duration::from_millis(500);

/// `sprout node`'s gossip flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct P2pArgs {
    /// Listen for block gossip on this multiaddr (`/ip4/0.0.0.0/tcp/9222`; `tcp/0` picks a free
    /// port). Without it the node runs no gossip. Repeatable.
    #[arg(long = "p2p.listen", value_name = "MULTIADDR")]
    pub listen: Vec<Multiaddr>,
    /// Peers to connect to and keep connected: comma-separated multiaddrs, with or without
    /// `/p2p/<peer id>` (the sequencer prints its own at start).
    #[arg(
        long = "p2p.bootnodes",
        value_name = "MULTIADDRS",
        value_delimiter = ','
    )]
    pub bootnodes: Vec<Multiaddr>,
    /// The node's network identity key (64 hex digits), made on first start. Default:
    /// `<datadir>/p2p/key`.
    #[arg(long = "p2p.key-file", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The sequencer's block-signing key (hex): the SystemConfig's `unsafeBlockSigner`.
    /// Without it a sequencer's blocks are not gossiped.
    #[arg(long = "p2p.signer-key-file", value_name = "FILE")]
    pub signer_key_file: Option<PathBuf>,
}

/// The running gossip of a node.
#[derive(Debug, Clone)]
pub struct Gossip {
    /// The service.
    pub handle: P2pHandle,
    /// Who may sign blocks, as last read from L1.
    pub signer: SignerSource,
}

impl P2pArgs {
    /// Whether any gossip flag was given.
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

/// Starts gossip for `chain` if `args` ask for it: the service, the signer refresh, and the
/// sequencer's publisher or the follower's applier.
pub async fn start(
    args: &P2pArgs,
    chain: &Arc<Chain>,
    datadir: &std::path::Path,
) -> Result<Option<Gossip>> {
    if !args.enabled() {
        if !args.bootnodes.is_empty() || args.signer_key_file.is_some() {
            return Err(NodeError::Config(
                "--p2p.bootnodes and --p2p.signer-key-file need --p2p.listen MULTIADDR".into(),
            ));
        }
        return Ok(None);
    }
    let Some(rollup) = chain.rollup() else {
        return Err(NodeError::Config(
            "gossip is for rollup chains: give --rollup and --l1.rpc-url, or drop --p2p.listen"
                .into(),
        ));
    };
    let signing_key = match &args.signer_key_file {
        Some(path) if rollup.sequencing => Some(crate::role_args::load_signer(
            None,
            Some(path),
            "unsafe-block signer",
            "--p2p.signer-key-file",
        )?),
        Some(_) => {
            return Err(NodeError::Config(
                "--p2p.signer-key-file is for a sequencer (--sequencer): a follower only checks signatures".into(),
            ));
        }
        None => None,
    };
    let system_config = rollup.config.l1_system_config_address;
    let signer = SignerSource::default();
    let l1 = rollup.l1.with_own_backoff();
    match l1.unsafe_block_signer(system_config).await {
        Ok(address) => signer.set(address),
        Err(err) => {
            warn!(target: "p2p", %err, "cannot read the unsafe-block signer from L1 yet; gossiped blocks are ignored until it is known")
        }
    }
    if let (Some(key), Some(expected)) = (&signing_key, signer.get())
        && key.address() != expected
    {
        return Err(NodeError::Config(format!(
            "--p2p.signer-key-file holds the key of {}, but the SystemConfig's unsafeBlockSigner is {expected}: followers would reject every block; use that address's key",
            key.address()
        )));
    }
    let config = P2pConfig {
        chain_id: chain.config().chain_id,
        prague_from: prague_from(chain.config()),
        listen: args.listen.clone(),
        bootnodes: args.bootnodes.clone(),
        key_file: args
            .key_file
            .clone()
            .unwrap_or_else(|| datadir.join("p2p").join("key")),
        agent_version: format!("sprout/{}", env!("CARGO_PKG_VERSION")),
    };
    let (handle, blocks) = sprout_p2p::start(config, signer.clone())
        .await
        .map_err(|e| NodeError::Config(e.to_string()))?;
    tokio::spawn(refresh_signer(l1, system_config, signer.clone()));
    match signing_key {
        Some(key) => {
            tokio::spawn(publish_blocks(chain.clone(), handle.clone(), key));
        }
        None if rollup.sequencing => {
            warn!(target: "p2p", "no --p2p.signer-key-file: this sequencer relays gossip but does not publish its blocks");
        }
        None => {
            tokio::spawn(apply_blocks(chain.clone(), blocks));
        }
    }
    Ok(Some(Gossip { handle, signer }))
}

async fn refresh_signer(
    l1: crate::l1::L1Client,
    system_config: alloy_primitives::Address,
    signer: SignerSource,
) {
    let mut tick = tokio::time::interval(SIGNER_REFRESH);
    tick.tick().await;
    loop {
        tick.tick().await;
        match l1.unsafe_block_signer(system_config).await {
            Ok(address) => {
                if signer.get() != Some(address) {
                    info!(target: "p2p", %address, "unsafe-block signer from L1");
                }
                signer.set(address);
            }
            Err(err) => debug!(target: "p2p", %err, "unsafe-block signer not refreshed"),
        }
    }
}

/// Signs and publishes every block the chain makes its head.
async fn publish_blocks(chain: Arc<Chain>, handle: P2pHandle, key: PrivateKeySigner) {
    let mut blocks = chain.subscribe_blocks();
    let chain_id = chain.config().chain_id;
    loop {
        let new = match blocks.recv().await {
            Ok(new) => new,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!(target: "p2p", skipped = n, "fell behind the chain; those blocks are not gossiped");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        // Peers reject blocks more than a minute old (a sequencer catching up after downtime):
        // followers get those from L1.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if new.header.timestamp + sprout_p2p::validate::MAX_AGE_SECS < now {
            continue;
        }
        let transactions = match chain.storage().body(&new.hash) {
            Ok(Some(body)) => body.transactions,
            Ok(None) => continue,
            Err(err) => {
                warn!(target: "p2p", %err, number = new.header.number, "cannot read the block to gossip it");
                continue;
            }
        };
        let signed =
            match SignedBlock::of_block(&new.header, new.hash, transactions, chain_id, &key) {
                Ok(signed) => signed,
                Err(err) => {
                    warn!(target: "p2p", %err, number = new.header.number, "cannot sign the block");
                    continue;
                }
            };
        match handle.publish(&signed).await {
            Ok(()) => debug!(target: "p2p", number = new.header.number, "gossiped"),
            Err(sprout_p2p::P2pError::Stopped) => break,
            Err(err) => {
                warn!(target: "p2p", %err, number = new.header.number, "cannot gossip the block")
            }
        }
    }
}

/// Applies gossiped blocks in order. One whose parent is missing waits (up to
/// [`MAX_PENDING`] blocks) until gossip or derivation brings the parent.
async fn apply_blocks(chain: Arc<Chain>, mut blocks: mpsc::Receiver<SignedBlock>) {
    let mut pending: BTreeMap<u64, SignedBlock> = BTreeMap::new();
    let mut retry = tokio::time::interval(RETRY_INTERVAL);
    loop {
        tokio::select! {
            block = blocks.recv() => match block {
                Some(block) => {
                    pending.insert(block.payload.v1().block_number, block);
                    while pending.len() > MAX_PENDING {
                        pending.pop_last();
                    }
                }
                None => break,
            },
            _ = retry.tick() => {}
        }
        while let Some((&number, _)) = pending.first_key_value() {
            let Some(block) = pending.remove(&number) else {
                break;
            };
            let chain = chain.clone();
            let outcome =
                tokio::task::spawn_blocking(move || apply(&chain, &block).map(|o| (o, block)))
                    .await;
            match outcome {
                Ok(Ok((UnsafeOutcome::NotNext { head }, block))) => {
                    debug!(target: "p2p", number, head, "gossiped block waits for its parent");
                    pending.insert(number, block);
                    break;
                }
                Ok(Ok((UnsafeOutcome::Applied, _))) => {
                    debug!(target: "p2p", number, "applied a gossiped block")
                }
                Ok(Ok((UnsafeOutcome::Known, _))) => {}
                Ok(Ok((UnsafeOutcome::Conflicts, _))) => {
                    debug!(target: "p2p", number, "gossiped block conflicts with the chain; kept the chain's")
                }
                Ok(Err(err)) => warn!(target: "p2p", number, %err, "gossiped block not applied"),
                Err(err) => {
                    warn!(target: "p2p", number, %err, "applying a gossiped block panicked")
                }
            }
        }
    }
}

fn apply(chain: &Chain, block: &SignedBlock) -> Result<UnsafeOutcome> {
    let (header, hash) = block
        .header()
        .map_err(|e| NodeError::Unsafe(e.to_string()))?;
    chain.apply_unsafe(&header, hash, &block.payload.v1().transactions)
}

/// From when `config`'s blocks run Prague's rules, if ever.
fn prague_from(config: &sprout_protocol::ChainConfig) -> Option<u64> {
    match config.hardfork {
        sprout_protocol::chain::Hardfork::Prague => Some(0),
        sprout_protocol::chain::Hardfork::Cancun => config.prague_time,
    }
}

/// The gossip methods of the admin RPC: `opp2p_self`, `opp2p_peers` and `admin_peers`.
pub fn admin_rpc(
    gossip: Option<Gossip>,
) -> std::result::Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::new(());
    let not_running = || {
        jsonrpsee::types::ErrorObjectOwned::owned(
            -32000,
            "gossip is not running on this node: start it with --p2p.listen",
            None::<()>,
        )
    };
    let g = gossip.clone();
    module.register_method("opp2p_self", move |_, _, _| match &g {
        Some(g) => Ok(json!({
            "peerID": g.handle.local().peer_id,
            "addresses": g.handle.local().addresses,
            "topics": g.handle.local().topics,
            "unsafeBlockSigner": g.signer.get(),
            "stats": g.handle.stats(),
        })),
        None => Err(not_running()),
    })?;
    let g = gossip.clone();
    module.register_async_method("opp2p_peers", move |_, _, _| {
        let g = g.clone();
        async move {
            let Some(g) = g else {
                return Err(not_running());
            };
            let peers = g.handle.peers().await.map_err(|e| {
                jsonrpsee::types::ErrorObjectOwned::owned(-32000, e.to_string(), None::<()>)
            })?;
            let by_id: serde_json::Map<String, Value> = peers
                .iter()
                .map(|p| (p.peer_id.clone(), json!(p)))
                .collect();
            Ok::<_, jsonrpsee::types::ErrorObjectOwned>(json!({
                "totalConnected": peers.len(),
                "peers": by_id,
            }))
        }
    })?;
    module.register_async_method("admin_peers", move |_, _, _| {
        let g = gossip.clone();
        async move {
            let Some(g) = g else {
                return Err(not_running());
            };
            let peers = g.handle.peers().await.map_err(|e| {
                jsonrpsee::types::ErrorObjectOwned::owned(-32000, e.to_string(), None::<()>)
            })?;
            Ok::<_, jsonrpsee::types::ErrorObjectOwned>(
                peers
                    .iter()
                    .map(|p| {
                        json!({
                            "id": p.peer_id,
                            "name": p.user_agent,
                            "network": {
                                "remoteAddress": p.addresses.first(),
                                "inbound": p.direction == "inbound",
                            },
                            "protocols": { "gossip": { "score": p.score, "inMesh": p.in_mesh } },
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        }
    })?;
    Ok(module)
}
