//! Logs, polling filters (`eth_newFilter` and friends) and WebSocket subscriptions.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule, SubscriptionMessage, core::RegisterMethodError,
};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{
    RpcContext,
    errors::{RpcError, RpcResult},
    eth::{optional, required},
    types::{indexed_logs, logs_json},
};

/// Filters not polled for this long are removed (geth's 5 minutes).
const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug)]
enum FilterKind {
    Blocks { next: u64 },
    Logs { filter: Box<Filter>, next: u64 },
    Pending { rx: broadcast::Receiver<B256> },
}

#[derive(Debug)]
struct Installed {
    kind: FilterKind,
    last_poll: Instant,
}

/// Installed polling filters.
#[derive(Debug, Default)]
pub struct Filters {
    next_id: Mutex<u64>,
    installed: Mutex<HashMap<U256, Installed>>,
}

impl Filters {
    fn install(&self, kind: FilterKind) -> U256 {
        let mut next = self.next_id.lock();
        *next += 1;
        // Ids look random to clients, as geth's do, but stay unique.
        let id = U256::from_be_bytes(alloy_primitives::keccak256(next.to_be_bytes()).0) >> 128;
        self.installed.lock().insert(
            id,
            Installed {
                kind,
                last_poll: Instant::now(),
            },
        );
        id
    }

    fn expire(&self) {
        self.installed
            .lock()
            .retain(|_, f| f.last_poll.elapsed() < FILTER_TIMEOUT);
    }
}

/// Whether `log` passes the address and topic parts of `filter`.
pub fn log_matches(filter: &Filter, log: &alloy_primitives::Log) -> bool {
    if !filter.address.is_empty() && !filter.address.matches(&log.address) {
        return false;
    }
    let topics = log.data.topics();
    for (i, wanted) in filter.topics.iter().enumerate() {
        if wanted.is_empty() {
            continue;
        }
        match topics.get(i) {
            Some(topic) if wanted.matches(topic) => {}
            _ => return false,
        }
    }
    true
}

impl RpcContext {
    fn tag_number(&self, tag: Option<BlockNumberOrTag>, default: u64) -> u64 {
        let head = self.chain.head().0.number;
        match tag {
            None => default,
            Some(BlockNumberOrTag::Number(n)) => n,
            Some(BlockNumberOrTag::Earliest) => 0,
            Some(_) => head,
        }
    }

    fn logs_in_block(&self, number: u64, filter: &Filter, out: &mut Vec<Log>) -> RpcResult<()> {
        let storage = self.chain.storage();
        let Some(hash) = storage.canonical_hash(number)? else {
            return Ok(());
        };
        self.logs_in_hash(hash, filter, out)
    }

    fn logs_in_hash(&self, hash: B256, filter: &Filter, out: &mut Vec<Log>) -> RpcResult<()> {
        let storage = self.chain.storage();
        let Some(header) = storage.header(&hash)? else {
            return Err(RpcError::Server("unknown block".to_string()));
        };
        if header.logs_bloom == alloy_primitives::Bloom::ZERO {
            return Ok(());
        }
        let body = storage
            .body(&hash)?
            .ok_or_else(|| RpcError::internal("missing body"))?;
        let receipts = storage
            .receipts(&hash)?
            .ok_or_else(|| RpcError::internal("missing receipts"))?;
        let tx_hashes = body.transactions.iter().map(alloy_primitives::keccak256);
        out.extend(
            indexed_logs(&header, hash, tx_hashes, &receipts)
                .into_iter()
                .filter(|l| log_matches(filter, &l.inner)),
        );
        Ok(())
    }

    /// `eth_getLogs`.
    pub fn get_logs(&self, filter: &Filter) -> RpcResult<Vec<Log>> {
        let mut out = Vec::new();
        match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => self.logs_in_hash(hash, filter, &mut out)?,
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => {
                let head = self.chain.head().0.number;
                let from = self.tag_number(from_block, head);
                let to = self.tag_number(to_block, head).min(head);
                if from > to {
                    if from_block.is_some() && to_block.is_some() {
                        return Err(RpcError::Server("invalid block range params".to_string()));
                    }
                    return Ok(out);
                }
                if to - from >= self.config.max_logs_range {
                    return Err(RpcError::Server(format!(
                        "block range greater than {} max; query a smaller range",
                        self.config.max_logs_range
                    )));
                }
                for number in from..=to {
                    self.logs_in_block(number, filter, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    fn filter_changes(&self, id: U256) -> RpcResult<Value> {
        self.filters.expire();
        let head = self.chain.head().0.number;
        let mut installed = self.filters.installed.lock();
        let Some(entry) = installed.get_mut(&id) else {
            return Err(RpcError::Server("filter not found".to_string()));
        };
        entry.last_poll = Instant::now();
        match &mut entry.kind {
            FilterKind::Blocks { next } => {
                let mut hashes = Vec::new();
                while *next <= head {
                    if let Some(hash) = self.chain.storage().canonical_hash(*next)? {
                        hashes.push(hash);
                    }
                    *next += 1;
                }
                Ok(json!(hashes))
            }
            FilterKind::Pending { rx } => {
                let mut hashes = Vec::new();
                loop {
                    match rx.try_recv() {
                        Ok(hash) => hashes.push(hash),
                        Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
                Ok(json!(hashes))
            }
            FilterKind::Logs { filter, next } => {
                let mut logs = Vec::new();
                let to = match filter.block_option.get_to_block() {
                    Some(BlockNumberOrTag::Number(n)) => (*n).min(head),
                    _ => head,
                };
                while *next <= to {
                    self.logs_in_block(*next, filter, &mut logs)?;
                    *next += 1;
                }
                Ok(logs_json(&logs))
            }
        }
    }
}

/// Registers logs, filters and subscriptions.
pub fn register(module: &mut RpcModule<RpcContext>) -> Result<(), RegisterMethodError> {
    module.register_blocking_method("eth_getLogs", |p, ctx, _| -> RpcResult<Value> {
        let filter: Filter = required(&p, 0)?;
        Ok(logs_json(&ctx.get_logs(&filter)?))
    })?;
    module.register_method("eth_newFilter", |p, ctx, _| -> RpcResult<U256> {
        let filter: Filter = required(&p, 0)?;
        let head = ctx.chain.head().0.number;
        let next = match filter.block_option.get_from_block() {
            Some(BlockNumberOrTag::Number(n)) => *n,
            Some(BlockNumberOrTag::Earliest) => 0,
            _ => head + 1,
        };
        Ok(ctx.filters.install(FilterKind::Logs {
            filter: Box::new(filter),
            next,
        }))
    })?;
    module.register_method("eth_newBlockFilter", |_, ctx, _| -> RpcResult<U256> {
        let next = ctx.chain.head().0.number + 1;
        Ok(ctx.filters.install(FilterKind::Blocks { next }))
    })?;
    module.register_method(
        "eth_newPendingTransactionFilter",
        |_, ctx, _| -> RpcResult<U256> {
            Ok(ctx.filters.install(FilterKind::Pending {
                rx: ctx.chain.subscribe_pending(),
            }))
        },
    )?;
    module.register_blocking_method("eth_getFilterChanges", |p, ctx, _| -> RpcResult<Value> {
        ctx.filter_changes(required(&p, 0)?)
    })?;
    module.register_blocking_method("eth_getFilterLogs", |p, ctx, _| -> RpcResult<Value> {
        let id: U256 = required(&p, 0)?;
        let filter = {
            let mut installed = ctx.filters.installed.lock();
            match installed.get_mut(&id) {
                Some(Installed {
                    kind: FilterKind::Logs { filter, .. },
                    last_poll,
                }) => {
                    *last_poll = Instant::now();
                    filter.clone()
                }
                _ => return Err(RpcError::Server("filter not found".to_string())),
            }
        };
        Ok(logs_json(&ctx.get_logs(&filter)?))
    })?;
    module.register_method("eth_uninstallFilter", |p, ctx, _| -> RpcResult<bool> {
        let id: U256 = required(&p, 0)?;
        Ok(ctx.filters.installed.lock().remove(&id).is_some())
    })?;
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |p, sink, ctx, _| async move {
            let kind: String = match required(&p, 0) {
                Ok(kind) => kind,
                Err(_) => {
                    sink.reject(jsonrpsee::types::ErrorObjectOwned::owned(
                        -32602,
                        "missing subscription kind",
                        None::<()>,
                    ))
                    .await;
                    return Ok(());
                }
            };
            let filter: Option<Filter> = optional(&p, 1).unwrap_or(None);
            subscribe(kind, filter, sink, ctx).await
        },
    )?;
    Ok(())
}

async fn subscribe(
    kind: String,
    filter: Option<Filter>,
    sink: PendingSubscriptionSink,
    ctx: Arc<RpcContext>,
) -> jsonrpsee::core::SubscriptionResult {
    match kind.as_str() {
        "newHeads" => {
            let mut rx = ctx.chain.subscribe_blocks();
            let sink = sink.accept().await?;
            loop {
                tokio::select! {
                    _ = sink.closed() => break,
                    block = rx.recv() => match block {
                        Ok(block) => {
                            let mut header = serde_json::to_value(&block.header)?;
                            header["hash"] = json!(block.hash);
                            sink.send(to_message(&header)?).await?;
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
            }
        }
        "logs" => {
            let filter = filter.unwrap_or_default();
            let mut rx = ctx.chain.subscribe_blocks();
            let sink = sink.accept().await?;
            loop {
                tokio::select! {
                    _ = sink.closed() => break,
                    block = rx.recv() => match block {
                        Ok(block) => {
                            let logs = indexed_logs(
                                &block.header,
                                block.hash,
                                block.tx_hashes.iter().copied(),
                                &block.receipts,
                            );
                            for log in logs.iter().filter(|l| log_matches(&filter, &l.inner)) {
                                sink.send(to_message(log)?).await?;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
            }
        }
        "newPendingTransactions" => {
            let mut rx = ctx.chain.subscribe_pending();
            let sink = sink.accept().await?;
            loop {
                tokio::select! {
                    _ = sink.closed() => break,
                    hash = rx.recv() => match hash {
                        Ok(hash) => sink.send(to_message(&hash)?).await?,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
            }
        }
        other => {
            sink.reject(jsonrpsee::types::ErrorObjectOwned::owned(
                -32602,
                format!("unsupported subscription kind {other:?}; use newHeads, logs or newPendingTransactions"),
                None::<()>,
            ))
            .await;
        }
    }
    Ok(())
}

fn to_message(value: &impl serde::Serialize) -> Result<SubscriptionMessage, serde_json::Error> {
    Ok(SubscriptionMessage::from(serde_json::value::to_raw_value(
        value,
    )?))
}
