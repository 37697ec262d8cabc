#![doc = include_str!("../README.md")]

mod backend;
mod call;
mod errors;
mod eth;
mod filters;
pub mod types;

use std::{net::SocketAddr, sync::Arc};

use jsonrpsee::{
    RpcModule,
    core::RegisterMethodError,
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
};
use tower_http::cors::CorsLayer;

pub use backend::{RollupView, RpcBackend};
pub use errors::{RpcError, RpcResult};

/// Server limits and options.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Largest request body in bytes.
    pub max_request_size: u32,
    /// Largest response body in bytes.
    pub max_response_size: u32,
    /// Most calls in one batch.
    pub max_batch: u32,
    /// Most blocks one `eth_getLogs` may scan.
    pub max_logs_range: u64,
    /// Gas cap for `eth_call` and `eth_estimateGas`.
    pub gas_cap: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_size: 15 * 1024 * 1024,
            max_response_size: 160 * 1024 * 1024,
            max_batch: 1000,
            max_logs_range: 10_000,
            gas_cap: 50_000_000,
        }
    }
}

/// Shared state of the RPC handlers.
#[derive(Debug)]
pub struct RpcContext {
    /// The chain.
    pub chain: Arc<dyn RpcBackend>,
    /// Limits.
    pub config: RpcConfig,
    /// Installed filters.
    pub filters: filters::Filters,
}

/// Builds the method table.
pub fn module(
    chain: Arc<dyn RpcBackend>,
    config: RpcConfig,
) -> Result<RpcModule<RpcContext>, RegisterMethodError> {
    let mut module = RpcModule::new(RpcContext {
        chain,
        config,
        filters: Default::default(),
    });
    eth::register(&mut module)?;
    call::register(&mut module)?;
    filters::register(&mut module)?;
    Ok(module)
}

/// Starts the server; returns its bound address and a handle that stops it.
pub async fn start(
    chain: Arc<dyn RpcBackend>,
    config: RpcConfig,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    start_with(chain, config, jsonrpsee::Methods::new()).await
}

/// [`start`], serving `extra` methods too (the node's admin and gossip namespaces); a name
/// that clashes with a standard method is refused.
pub async fn start_with(
    chain: Arc<dyn RpcBackend>,
    config: RpcConfig,
    extra: jsonrpsee::Methods,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let cors = tower::ServiceBuilder::new().layer(CorsLayer::permissive());
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_size)
        .max_response_body_size(config.max_response_size)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .max_connections(1024)
        .set_id_provider(HexIdProvider::default())
        .build();
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(cors)
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let mut module = module(chain, config).map_err(std::io::Error::other)?;
    module.merge(extra).map_err(std::io::Error::other)?;
    let handle = server.start(module);
    Ok((addr, handle))
}

/// Subscription ids as geth makes them: `0x` and 32 hex digits.
#[derive(Debug, Default)]
struct HexIdProvider {
    counter: std::sync::atomic::AtomicU64,
}

impl jsonrpsee::core::traits::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut seed = [0u8; 24];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        seed[8..].copy_from_slice(&nanos.to_be_bytes());
        let hash = alloy_primitives::keccak256(seed);
        jsonrpsee::types::SubscriptionId::Str(
            format!("0x{}", alloy_primitives::hex::encode(&hash[..16])).into(),
        )
    }
}
