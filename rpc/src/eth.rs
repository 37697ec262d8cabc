//! `eth_` reads: chain info, state by block tag, blocks, transactions, receipts, fees, proofs;
//! plus `net_`, `web3_` and `txpool_`.

use alloy_consensus::Header;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use jsonrpsee::{RpcModule, core::RegisterMethodError, types::Params};
use serde_json::{Value, json};
use sprout_protocol::{
    StateReader,
    l1_info::L1BlockRef,
    output::{MESSAGE_PASSER, OUTPUT_VERSION_V0, output_root_v0},
    state_root::TrieState,
    trie::Trie,
    tx::SproutTx,
};
use sprout_sequencer::pool::PoolTransaction;

use super::{
    RpcContext,
    errors::{RpcError, RpcResult},
    types::{TxContext, block_json, receipt_json, tx_json},
};
use sprout_storage::{LatestState, StoredBody};

/// Suggested priority fee (0.001 gwei), as OP Stack nodes suggest.
pub const SUGGESTED_TIP: u128 = 1_000_000;

fn param<T: serde::de::DeserializeOwned>(
    params: &Params<'_>,
    index: usize,
) -> RpcResult<Option<T>> {
    let values: Vec<Value> = match params.as_str() {
        None => Vec::new(),
        Some(_) => params
            .parse()
            .map_err(|e| RpcError::InvalidParams(format!("invalid params: {e}")))?,
    };
    match values.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| RpcError::InvalidParams(format!("invalid argument {index}: {e}"))),
    }
}

/// A required positional parameter.
pub fn required<T: serde::de::DeserializeOwned>(params: &Params<'_>, index: usize) -> RpcResult<T> {
    param(params, index)?.ok_or_else(|| {
        RpcError::InvalidParams(format!("missing value for required argument {index}"))
    })
}

/// An optional positional parameter.
pub fn optional<T: serde::de::DeserializeOwned>(
    params: &Params<'_>,
    index: usize,
) -> RpcResult<Option<T>> {
    param(params, index)
}

impl RpcContext {
    /// The header and hash a block id names.
    pub fn resolve(&self, id: Option<BlockId>) -> RpcResult<(Header, B256)> {
        let storage = self.chain.storage();
        let not_found = || RpcError::Server("header not found".to_string());
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Hash(hash) => {
                let header = storage.header(&hash.block_hash)?.ok_or(not_found())?;
                if hash.require_canonical == Some(true)
                    && storage.canonical_hash(header.number)? != Some(hash.block_hash)
                {
                    return Err(RpcError::Server(format!(
                        "hash {} is not currently canonical",
                        hash.block_hash
                    )));
                }
                Ok((header, hash.block_hash))
            }
            BlockId::Number(tag) => {
                let number = match tag {
                    BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => {
                        return Ok(self.chain.head());
                    }
                    BlockNumberOrTag::Safe => return self.chain.safe_head(),
                    BlockNumberOrTag::Finalized => return self.chain.finalized_head(),
                    BlockNumberOrTag::Earliest => 0,
                    BlockNumberOrTag::Number(n) => n,
                };
                let hash = storage.canonical_hash(number)?.ok_or(not_found())?;
                let header = storage.header(&hash)?.ok_or(not_found())?;
                Ok((header, hash))
            }
        }
    }

    /// Runs `f` with a state reader for the block `id` names. The state of a block older than
    /// what `--prune` keeps is refused with geth's -32000 and a message saying so.
    pub fn with_state<T>(
        &self,
        id: Option<BlockId>,
        f: impl FnOnce(&dyn StateReader, &Header) -> RpcResult<T>,
    ) -> RpcResult<T> {
        let (header, hash) = self.resolve(id)?;
        let storage = self.chain.storage();
        if hash == self.chain.head().1 {
            f(&LatestState(storage), &header)
        } else {
            self.historical(&header, || {
                f(&TrieState::new(header.state_root, storage), &header)
            })
        }
    }

    /// Runs `read` over the trie of `header`'s block: refused if that state is pruned, and a
    /// read that failed because a sweep pruned the state meanwhile says so too.
    pub fn historical<T>(
        &self,
        header: &Header,
        read: impl FnOnce() -> RpcResult<T>,
    ) -> RpcResult<T> {
        let storage = self.chain.storage();
        storage.check_state_kept(header.number)?;
        match read() {
            Err(err) if storage.prune_keep().is_some() || storage.state_kept_from() > 0 => {
                storage.check_state_kept(header.number)?;
                Err(err)
            }
            other => other,
        }
    }

    fn block_by(&self, id: BlockId, full: bool) -> RpcResult<Value> {
        let (header, hash) = match self.resolve(Some(id)) {
            Ok(found) => found,
            Err(RpcError::Server(_)) => return Ok(Value::Null),
            Err(err) => return Err(err),
        };
        let body = self
            .chain
            .storage()
            .body(&hash)?
            .ok_or_else(|| RpcError::internal("missing body"))?;
        let receipts = if full {
            self.chain.storage().receipts(&hash)?
        } else {
            None
        };
        Ok(block_json(&header, hash, &body, receipts.as_deref(), full))
    }

    fn body_of(&self, id: BlockId) -> RpcResult<Option<(Header, B256, StoredBody)>> {
        let (header, hash) = match self.resolve(Some(id)) {
            Ok(found) => found,
            Err(RpcError::Server(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        let body = self
            .chain
            .storage()
            .body(&hash)?
            .ok_or_else(|| RpcError::internal("missing body"))?;
        Ok(Some((header, hash, body)))
    }

    fn tx_count(&self, id: BlockId) -> RpcResult<Option<U64>> {
        let hash = match self.resolve(Some(id)) {
            Ok((_, hash)) => hash,
            Err(RpcError::Server(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(self.chain.storage().tx_count(&hash)?.map(U64::from))
    }

    fn tx_in_block(&self, id: BlockId, index: U64) -> RpcResult<Value> {
        let (header, hash) = match self.resolve(Some(id)) {
            Ok(found) => found,
            Err(RpcError::Server(_)) => return Ok(Value::Null),
            Err(err) => return Err(err),
        };
        let Ok(index) = u32::try_from(index.to::<u64>()) else {
            return Ok(Value::Null);
        };
        let storage = self.chain.storage();
        let Some(entry) = storage.transaction(&hash, index)? else {
            return Ok(Value::Null);
        };
        let tx = SproutTx::decode_2718_exact(&entry.raw).map_err(RpcError::internal)?;
        let deposit_nonce = match tx {
            SproutTx::Deposit(_) => storage
                .receipt(&hash, index)?
                .and_then(|r| r.receipt.deposit_nonce),
            SproutTx::Ethereum(_) => None,
        };
        Ok(tx_json(
            &tx,
            entry.sender,
            Some(TxContext {
                block_hash: hash,
                block_number: header.number,
                index: u64::from(index),
                base_fee: header.base_fee_per_gas.unwrap_or_default(),
                deposit_nonce,
            }),
        ))
    }

    fn tx_by_hash(&self, hash: B256) -> RpcResult<Value> {
        if let Some(found) = self.chain.storage().included_tx(&hash)? {
            let tx = SproutTx::decode_2718_exact(&found.tx.raw).map_err(RpcError::internal)?;
            return Ok(tx_json(
                &tx,
                found.tx.sender,
                Some(TxContext {
                    block_hash: found.block_hash,
                    block_number: found.header.number,
                    index: u64::from(found.location.index),
                    base_fee: found.header.base_fee_per_gas.unwrap_or_default(),
                    deposit_nonce: found.receipt.receipt.deposit_nonce,
                }),
            ));
        }
        match self.chain.pool().get(&hash) {
            Some(pooled) => Ok(tx_json(&pooled.tx.tx, pooled.tx.sender, None)),
            None => Ok(Value::Null),
        }
    }

    fn receipts_of(&self, header: &Header, hash: B256, body: &StoredBody) -> RpcResult<Vec<Value>> {
        let receipts = self
            .chain
            .storage()
            .receipts(&hash)?
            .ok_or_else(|| RpcError::internal("missing receipts"))?;
        let blob_gas_price = header.blob_fee(alloy_eips::eip7840::BlobParams::prague());
        let mut out = Vec::with_capacity(receipts.len());
        let mut log_index = 0u64;
        for (index, receipt) in receipts.iter().enumerate() {
            let tx = body
                .transaction(index)?
                .ok_or_else(|| RpcError::internal("receipt without transaction"))?;
            let ctx = TxContext {
                block_hash: hash,
                block_number: header.number,
                index: index as u64,
                base_fee: header.base_fee_per_gas.unwrap_or_default(),
                deposit_nonce: receipt.deposit_nonce,
            };
            out.push(receipt_json(
                &tx,
                body.senders.get(index).copied().unwrap_or_default(),
                receipt,
                body.gas_used.get(index).copied().unwrap_or_default(),
                ctx,
                log_index,
                header.timestamp,
                blob_gas_price,
            ));
            log_index += receipt.logs.len() as u64;
        }
        Ok(out)
    }

    /// `eth_getTransactionReceipt`: one transaction entry and one receipt entry, whatever the
    /// size of the block.
    fn receipt(&self, hash: B256) -> RpcResult<Value> {
        let Some(found) = self.chain.storage().included_tx(&hash)? else {
            return Ok(Value::Null);
        };
        let tx = SproutTx::decode_2718_exact(&found.tx.raw).map_err(RpcError::internal)?;
        let header = &found.header;
        let ctx = TxContext {
            block_hash: found.block_hash,
            block_number: header.number,
            index: u64::from(found.location.index),
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            deposit_nonce: found.receipt.receipt.deposit_nonce,
        };
        Ok(receipt_json(
            &tx,
            found.tx.sender,
            &found.receipt.receipt,
            found.tx.gas_used,
            ctx,
            found.receipt.first_log_index,
            header.timestamp,
            header.blob_fee(alloy_eips::eip7840::BlobParams::prague()),
        ))
    }

    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<Value> {
        let count = count.to::<u64>().min(1024);
        if count == 0 {
            return Ok(json!({ "oldestBlock": "0x0", "baseFeePerGas": [], "gasUsedRatio": [] }));
        }
        if let Some(p) = &percentiles
            && (p.len() > 100
                || p.windows(2).any(|w| w[0] > w[1])
                || p.iter().any(|v| !(0.0..=100.0).contains(v)))
        {
            return Err(RpcError::InvalidParams(
                "invalid reward percentiles".to_string(),
            ));
        }
        let (newest_header, _) = self.resolve(Some(BlockId::Number(newest)))?;
        let oldest = newest_header.number.saturating_sub(count - 1);
        let storage = self.chain.storage();
        let mut base_fees = Vec::new();
        let mut ratios = Vec::new();
        let mut rewards = Vec::new();
        let mut blob_fees = Vec::new();
        let mut blob_ratios = Vec::new();
        for number in oldest..=newest_header.number {
            let header = storage
                .header_by_number(number)?
                .ok_or_else(|| RpcError::internal("missing header"))?;
            let base_fee = header.base_fee_per_gas.unwrap_or_default();
            base_fees.push(U256::from(base_fee));
            ratios.push(header.gas_used as f64 / header.gas_limit.max(1) as f64);
            blob_fees.push(U256::ZERO);
            blob_ratios.push(0.0);
            if let Some(percentiles) = &percentiles {
                let hash = storage.canonical_hash(number)?.unwrap_or_default();
                let body = storage
                    .body(&hash)?
                    .ok_or_else(|| RpcError::internal("missing body"))?;
                let mut tips: Vec<(u128, u64)> = Vec::new();
                for (i, raw) in body.transactions.iter().enumerate() {
                    if let Ok(tx) = SproutTx::decode_2718_exact(raw) {
                        let tip = tx
                            .effective_gas_price(base_fee)
                            .saturating_sub(base_fee as u128);
                        tips.push((tip, body.gas_used.get(i).copied().unwrap_or_default()));
                    }
                }
                tips.sort_unstable();
                let total: u64 = tips.iter().map(|t| t.1).sum();
                let row: Vec<U256> = percentiles
                    .iter()
                    .map(|p| {
                        if tips.is_empty() {
                            return U256::ZERO;
                        }
                        let threshold = (total as f64 * p / 100.0) as u64;
                        let mut sum = 0;
                        for (tip, gas) in &tips {
                            sum += gas;
                            if sum >= threshold {
                                return U256::from(*tip);
                            }
                        }
                        U256::from(tips.last().map(|t| t.0).unwrap_or_default())
                    })
                    .collect();
                rewards.push(row);
            }
        }
        base_fees.push(U256::from(
            self.chain.config().next_base_fee(&newest_header),
        ));
        blob_fees.push(U256::ZERO);
        let mut out = json!({
            "oldestBlock": U64::from(oldest),
            "baseFeePerGas": base_fees,
            "gasUsedRatio": ratios,
            "baseFeePerBlobGas": blob_fees,
            "blobGasUsedRatio": blob_ratios,
        });
        if percentiles.is_some() {
            out["reward"] = json!(rewards);
        }
        Ok(out)
    }

    fn proof(&self, address: Address, keys: Vec<B256>, id: Option<BlockId>) -> RpcResult<Value> {
        let (header, _) = self.resolve(id)?;
        self.historical(&header, || self.proof_at(&header, address, keys))
    }

    fn proof_at(&self, header: &Header, address: Address, keys: Vec<B256>) -> RpcResult<Value> {
        let storage = self.chain.storage();
        let trie = Trie::new(header.state_root, storage);
        let account_proof = trie
            .proof(keccak256(address).as_slice())
            .map_err(RpcError::internal)?;
        let account = TrieState::new(header.state_root, storage).trie_account(address)?;
        let (nonce, balance, code_hash, storage_hash) = match account {
            Some(a) => (a.nonce, a.balance, a.code_hash, a.storage_root),
            None => (
                0,
                U256::ZERO,
                alloy_primitives::KECCAK256_EMPTY,
                alloy_trie::EMPTY_ROOT_HASH,
            ),
        };
        let storage_trie = Trie::new(storage_hash, storage);
        let mut storage_proofs = Vec::with_capacity(keys.len());
        for key in keys {
            let path = keccak256(key);
            let proof = storage_trie
                .proof(path.as_slice())
                .map_err(RpcError::internal)?;
            let value = match storage_trie
                .get(path.as_slice())
                .map_err(RpcError::internal)?
            {
                Some(raw) => {
                    alloy_rlp::Decodable::decode(&mut raw.as_ref()).map_err(RpcError::internal)?
                }
                None => U256::ZERO,
            };
            storage_proofs.push(json!({ "key": key, "value": value, "proof": proof }));
        }
        Ok(json!({
            "address": address,
            "accountProof": account_proof,
            "balance": balance,
            "codeHash": code_hash,
            "nonce": U64::from(nonce),
            "storageHash": storage_hash,
            "storageProof": storage_proofs,
        }))
    }

    fn l2_ref(&self, header: &Header, hash: B256) -> RpcResult<Value> {
        let (number, l1_hash, seq) = self.chain.l1_origin(header, hash)?;
        Ok(json!({
            "hash": hash,
            "number": header.number,
            "parentHash": header.parent_hash,
            "timestamp": header.timestamp,
            "l1origin": { "hash": l1_hash, "number": number },
            "sequenceNumber": seq,
        }))
    }

    /// `optimism_outputAtBlock`: the v0 output root of a block, with its parts.
    fn output_at_block(&self, number: BlockNumberOrTag) -> RpcResult<Value> {
        let (header, hash) = self.resolve(Some(BlockId::Number(number)))?;
        let storage = self.chain.storage();
        let passer_root = self.historical(&header, || {
            Ok(TrieState::new(header.state_root, storage).storage_root(MESSAGE_PASSER)?)
        })?;
        Ok(json!({
            "version": OUTPUT_VERSION_V0,
            "outputRoot": output_root_v0(header.state_root, passer_root, hash),
            "blockRef": self.l2_ref(&header, hash)?,
            "withdrawalStorageRoot": passer_root,
            "stateRoot": header.state_root,
            "syncStatus": self.sync_status()?,
        }))
    }

    /// `debug_getRawBlock`: the block's RLP, as Ethereum encodes blocks (typed transactions as
    /// strings holding their EIP-2718 bytes, legacy ones as lists).
    fn raw_block(&self, id: BlockId) -> RpcResult<Option<Bytes>> {
        let Some((header, _, body)) = self.body_of(id)? else {
            return Ok(None);
        };
        Ok(Some(crate::types::block_rlp(&header, &body)))
    }

    /// `optimism_syncStatus`: the L1 and L2 heads this node knows: unsafe (the head), safe
    /// (derived from L1 data), finalized (derived from finalized L1 data).
    fn sync_status(&self) -> RpcResult<Value> {
        let Some(rollup) = self.chain.rollup() else {
            return Err(RpcError::Server(
                "this node runs a dev chain, not a rollup: it has no sync status".to_string(),
            ));
        };
        let l1_json = |block: Option<L1BlockRef>| match block {
            Some(b) => json!({
                "hash": b.hash, "number": b.number,
                "parentHash": b.parent_hash, "timestamp": b.timestamp,
            }),
            None => Value::Null,
        };
        // The L1 block derivation has read up to (OP's current_l1), read before the safe head:
        // derivation applies every batch of an L1 block before reading the next, so the safe
        // head returned covers all batches of the blocks before this one (the batcher counts on
        // it to tell a reorged-away batch from one not derived yet).
        let current_l1 = l1_json(
            self.chain
                .derivation_l1()
                .or_else(|| self.chain.l1_block(rollup.config.genesis.l1.number)),
        );
        let (head, head_hash) = self.chain.head();
        let (safe, safe_hash) = self.chain.safe_head()?;
        let unsafe_l2 = self.l2_ref(&head, head_hash)?;
        let safe_l2 = self.l2_ref(&safe, safe_hash)?;
        let head_l1 = l1_json(self.chain.l1_head());
        let (finalized, finalized_hash) = self.chain.finalized_head()?;
        let finalized_l2 = self.l2_ref(&finalized, finalized_hash)?;
        Ok(json!({
            "current_l1": current_l1,
            "head_l1": head_l1,
            "unsafe_l2": unsafe_l2,
            "safe_l2": safe_l2,
            "finalized_l2": finalized_l2,
        }))
    }

    fn txpool_content(&self) -> Value {
        let content = self.chain.pool().content();
        let group = |set: &std::collections::BTreeMap<
            Address,
            std::collections::BTreeMap<u64, sprout_sequencer::PoolTx>,
        >| {
            let mut out = serde_json::Map::new();
            for (sender, txs) in set {
                let mut by_nonce = serde_json::Map::new();
                for (nonce, tx) in txs {
                    by_nonce.insert(nonce.to_string(), tx_json(&tx.tx.tx, tx.sender(), None));
                }
                out.insert(sender.to_checksum(None), Value::Object(by_nonce));
            }
            Value::Object(out)
        };
        json!({ "pending": group(&content.pending), "queued": group(&content.queued) })
    }
}

/// Registers the read-only `eth_`, `net_`, `web3_` and `txpool_` methods.
pub fn register(module: &mut RpcModule<RpcContext>) -> Result<(), RegisterMethodError> {
    module.register_method("web3_clientVersion", |_, _, _| -> RpcResult<String> {
        Ok(format!(
            "sprout/v{}/linux-x86_64/rust",
            env!("CARGO_PKG_VERSION")
        ))
    })?;
    module.register_method("web3_sha3", |p, _, _| -> RpcResult<B256> {
        let data: Bytes = required(&p, 0)?;
        Ok(keccak256(&data))
    })?;
    module.register_method("net_version", |_, ctx, _| -> RpcResult<String> {
        Ok(ctx.chain.config().chain_id.to_string())
    })?;
    module.register_method("net_listening", |_, _, _| -> RpcResult<bool> { Ok(true) })?;
    module.register_method("net_peerCount", |_, _, _| -> RpcResult<U64> {
        Ok(U64::ZERO)
    })?;
    module.register_method("eth_chainId", |_, ctx, _| -> RpcResult<U64> {
        Ok(U64::from(ctx.chain.config().chain_id))
    })?;
    module.register_method("eth_blockNumber", |_, ctx, _| -> RpcResult<U64> {
        Ok(U64::from(ctx.chain.head().0.number))
    })?;
    module.register_method("eth_syncing", |_, _, _| -> RpcResult<bool> { Ok(false) })?;
    module.register_method("eth_accounts", |_, _, _| -> RpcResult<Vec<Address>> {
        Ok(vec![])
    })?;
    module.register_method("eth_gasPrice", |_, ctx, _| -> RpcResult<U256> {
        Ok(U256::from(
            ctx.chain.next_base_fee() as u128 + SUGGESTED_TIP,
        ))
    })?;
    module.register_method("eth_maxPriorityFeePerGas", |_, _, _| -> RpcResult<U256> {
        Ok(U256::from(SUGGESTED_TIP))
    })?;
    module.register_method("eth_blobBaseFee", |_, _, _| -> RpcResult<U256> {
        Ok(U256::from(1))
    })?;
    module.register_method("eth_feeHistory", |p, ctx, _| {
        ctx.fee_history(required(&p, 0)?, required(&p, 1)?, optional(&p, 2)?)
    })?;
    module.register_method("eth_getBalance", |p, ctx, _| -> RpcResult<U256> {
        let address: Address = required(&p, 0)?;
        ctx.with_state(optional(&p, 1)?, |state, _| {
            Ok(state
                .account(address)?
                .map(|a| a.balance)
                .unwrap_or_default())
        })
    })?;
    module.register_method("eth_getTransactionCount", |p, ctx, _| -> RpcResult<U64> {
        let address: Address = required(&p, 0)?;
        let id: Option<BlockId> = optional(&p, 1)?;
        let nonce = ctx.with_state(id, |state, _| {
            Ok(state.account(address)?.map(|a| a.nonce).unwrap_or_default())
        })?;
        if id == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
            return Ok(U64::from(ctx.chain.pool().pending_nonce(address, nonce)));
        }
        Ok(U64::from(nonce))
    })?;
    module.register_method("eth_getCode", |p, ctx, _| -> RpcResult<Bytes> {
        let address: Address = required(&p, 0)?;
        ctx.with_state(optional(&p, 1)?, |state, _| {
            match state.account(address)? {
                Some(account) => Ok(state.code(account.code_hash)?.unwrap_or_default()),
                None => Ok(Bytes::new()),
            }
        })
    })?;
    module.register_method("eth_getStorageAt", |p, ctx, _| -> RpcResult<B256> {
        let address: Address = required(&p, 0)?;
        let slot: U256 = required(&p, 1)?;
        ctx.with_state(optional(&p, 2)?, |state, _| {
            Ok(B256::from(state.storage(address, slot)?))
        })
    })?;
    module.register_method("eth_getBlockByNumber", |p, ctx, _| {
        let tag: BlockNumberOrTag = required(&p, 0)?;
        ctx.block_by(BlockId::Number(tag), optional(&p, 1)?.unwrap_or(false))
    })?;
    module.register_method("eth_getBlockByHash", |p, ctx, _| {
        let hash: B256 = required(&p, 0)?;
        ctx.block_by(BlockId::hash(hash), optional(&p, 1)?.unwrap_or(false))
    })?;
    module.register_method(
        "eth_getBlockTransactionCountByNumber",
        |p, ctx, _| -> RpcResult<Option<U64>> {
            let tag: BlockNumberOrTag = required(&p, 0)?;
            ctx.tx_count(BlockId::Number(tag))
        },
    )?;
    module.register_method(
        "eth_getBlockTransactionCountByHash",
        |p, ctx, _| -> RpcResult<Option<U64>> {
            let hash: B256 = required(&p, 0)?;
            ctx.tx_count(BlockId::hash(hash))
        },
    )?;
    module.register_method(
        "eth_getUncleCountByBlockNumber",
        |_, _, _| -> RpcResult<U64> { Ok(U64::ZERO) },
    )?;
    module.register_method(
        "eth_getUncleCountByBlockHash",
        |_, _, _| -> RpcResult<U64> { Ok(U64::ZERO) },
    )?;
    module.register_method("eth_getTransactionByHash", |p, ctx, _| {
        ctx.tx_by_hash(required(&p, 0)?)
    })?;
    module.register_method("eth_getTransactionByBlockNumberAndIndex", |p, ctx, _| {
        let tag: BlockNumberOrTag = required(&p, 0)?;
        ctx.tx_in_block(BlockId::Number(tag), required(&p, 1)?)
    })?;
    module.register_method("eth_getTransactionByBlockHashAndIndex", |p, ctx, _| {
        let hash: B256 = required(&p, 0)?;
        ctx.tx_in_block(BlockId::hash(hash), required(&p, 1)?)
    })?;
    module.register_method(
        "eth_getRawTransactionByHash",
        |p, ctx, _| -> RpcResult<Option<Bytes>> {
            let hash: B256 = required(&p, 0)?;
            if let Some(found) = ctx.chain.storage().included_tx(&hash)? {
                return Ok(Some(found.tx.raw));
            }
            Ok(ctx
                .chain
                .pool()
                .get(&hash)
                .map(|tx| Bytes::from(tx.tx.tx.encoded_2718())))
        },
    )?;
    module.register_method("eth_getTransactionReceipt", |p, ctx, _| {
        ctx.receipt(required(&p, 0)?)
    })?;
    module.register_method("eth_getBlockReceipts", |p, ctx, _| -> RpcResult<Value> {
        let id: BlockId = required(&p, 0)?;
        match ctx.body_of(id)? {
            Some((header, hash, body)) => Ok(Value::Array(ctx.receipts_of(&header, hash, &body)?)),
            None => Ok(Value::Null),
        }
    })?;
    module.register_method("eth_getProof", |p, ctx, _| {
        ctx.proof(required(&p, 0)?, required(&p, 1)?, optional(&p, 2)?)
    })?;
    module.register_async_method("eth_sendRawTransaction", |p, ctx, _| async move {
        let raw: Bytes = required(&p, 0)?;
        match ctx.chain.rollup() {
            Some(rollup) if !rollup.sequencing => {
                let to = rollup.sequencer_http.map(str::to_string);
                forward_raw_tx(to.as_deref(), raw).await
            }
            _ => ctx.chain.submit_raw(&raw).map_err(RpcError::Server),
        }
    })?;
    module.register_method("txpool_status", |_, ctx, _| -> RpcResult<Value> {
        let (pending, queued) = ctx.chain.pool().status();
        Ok(json!({ "pending": U64::from(pending), "queued": U64::from(queued) }))
    })?;
    module.register_method("optimism_rollupConfig", |_, ctx, _| -> RpcResult<Value> {
        match ctx.chain.rollup() {
            Some(rollup) => serde_json::to_value(rollup.config).map_err(RpcError::internal),
            None => Err(RpcError::Server(
                "this node runs a dev chain, not a rollup: it has no rollup config".to_string(),
            )),
        }
    })?;
    module.register_blocking_method("optimism_syncStatus", |_, ctx, _| ctx.sync_status())?;
    module.register_blocking_method("optimism_outputAtBlock", |p, ctx, _| {
        ctx.output_at_block(required(&p, 0)?)
    })?;
    module.register_method(
        "debug_getRawBlock",
        |p, ctx, _| -> RpcResult<Option<Bytes>> { ctx.raw_block(required(&p, 0)?) },
    )?;
    module.register_method("txpool_content", |_, ctx, _| -> RpcResult<Value> {
        Ok(ctx.txpool_content())
    })?;
    Ok(())
}

/// A follower hands transactions to its sequencer and answers with the sequencer's reply.
async fn forward_raw_tx(sequencer: Option<&str>, raw: Bytes) -> RpcResult<B256> {
    use alloy::providers::{Provider, ProviderBuilder};
    let Some(url) = sequencer else {
        return Err(RpcError::Server(
            "this node follows the chain from L1 and builds no blocks: send transactions to the sequencer, or start this node with --rollup.sequencer-http URL".into(),
        ));
    };
    let url = url
        .parse()
        .map_err(|e| RpcError::internal(format!("--rollup.sequencer-http: {e}")))?;
    let provider = ProviderBuilder::new().connect_http(url);
    match provider
        .raw_request::<_, B256>("eth_sendRawTransaction".into(), (raw,))
        .await
    {
        Ok(hash) => Ok(hash),
        Err(err) => match err.as_error_resp() {
            Some(resp) => Err(RpcError::Server(resp.message.to_string())),
            None => Err(RpcError::Server(format!(
                "the sequencer cannot be reached: {err}"
            ))),
        },
    }
}
