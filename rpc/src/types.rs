//! The JSON shapes of blocks, transactions, receipts and logs, as geth serves them.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, Log, U64, U256};
use serde_json::{Value, json};
use sprout_protocol::{Receipt, tx::SproutTx};

use sprout_storage::StoredBody;

/// A log with its position in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedLog {
    /// The log.
    pub log: Log,
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Block timestamp.
    pub block_timestamp: u64,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Transaction index in the block.
    pub tx_index: u64,
    /// Log index in the block.
    pub log_index: u64,
}

impl IndexedLog {
    /// geth's JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "address": self.log.address,
            "topics": self.log.data.topics(),
            "data": self.log.data.data,
            "blockHash": self.block_hash,
            "blockNumber": U64::from(self.block_number),
            "blockTimestamp": U64::from(self.block_timestamp),
            "transactionHash": self.tx_hash,
            "transactionIndex": U64::from(self.tx_index),
            "logIndex": U64::from(self.log_index),
            "removed": false,
        })
    }
}

/// Logs of a block with their positions.
pub fn indexed_logs(
    header: &Header,
    hash: B256,
    tx_hashes: impl Iterator<Item = B256>,
    receipts: &[Receipt],
) -> Vec<IndexedLog> {
    let mut out = Vec::new();
    let mut log_index = 0;
    for ((tx_index, receipt), tx_hash) in receipts.iter().enumerate().zip(tx_hashes) {
        for log in &receipt.logs {
            out.push(IndexedLog {
                log: log.clone(),
                block_hash: hash,
                block_number: header.number,
                block_timestamp: header.timestamp,
                tx_hash,
                tx_index: tx_index as u64,
                log_index,
            });
            log_index += 1;
        }
    }
    out
}

/// Where a transaction sits, for its JSON form.
#[derive(Debug, Clone, Copy)]
pub struct TxContext {
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Index in the block.
    pub index: u64,
    /// The block's base fee.
    pub base_fee: u64,
    /// For a deposit: the sender's nonce it used (its receipt's `depositNonce`), which op-geth
    /// reports as the transaction's `nonce`.
    pub deposit_nonce: Option<u64>,
}

/// A transaction as `eth_getTransactionByHash` returns it.
pub fn tx_json(tx: &SproutTx, from: Address, ctx: Option<TxContext>) -> Value {
    let mut value = match tx {
        SproutTx::Ethereum(envelope) => serde_json::to_value(envelope).unwrap_or(Value::Null),
        SproutTx::Deposit(deposit) => {
            let mut v = json!({
                "type": "0x7e",
                "sourceHash": deposit.source_hash,
                "mint": U256::from(deposit.mint),
                "value": deposit.value,
                "gas": U64::from(deposit.gas_limit),
                "isSystemTx": deposit.is_system_transaction,
                "input": deposit.input,
                "nonce": U64::from(ctx.and_then(|c| c.deposit_nonce).unwrap_or_default()),
                "hash": tx.hash(),
                "v": "0x0", "r": "0x0", "s": "0x0",
            });
            v["to"] = match deposit.to.to() {
                Some(to) => json!(to),
                None => Value::Null,
            };
            v
        }
    };
    if let Value::Object(map) = &mut value {
        map.insert("from".into(), json!(from));
        map.entry("to").or_insert(Value::Null);
        match ctx {
            Some(ctx) => {
                map.insert("blockHash".into(), json!(ctx.block_hash));
                map.insert("blockNumber".into(), json!(U64::from(ctx.block_number)));
                map.insert("transactionIndex".into(), json!(U64::from(ctx.index)));
                map.insert(
                    "gasPrice".into(),
                    json!(U256::from(tx.effective_gas_price(ctx.base_fee))),
                );
            }
            None => {
                map.insert("blockHash".into(), Value::Null);
                map.insert("blockNumber".into(), Value::Null);
                map.insert("transactionIndex".into(), Value::Null);
                map.insert("gasPrice".into(), json!(U256::from(tx.max_fee_per_gas())));
            }
        }
    }
    value
}

/// A receipt as `eth_getTransactionReceipt` returns it.
#[allow(clippy::too_many_arguments)]
pub fn receipt_json(
    tx: &SproutTx,
    from: Address,
    receipt: &Receipt,
    gas_used: u64,
    ctx: TxContext,
    first_log_index: u64,
    block_timestamp: u64,
    blob_gas_price: Option<u128>,
) -> Value {
    let tx_hash = tx.hash();
    let logs: Vec<Value> = receipt
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| {
            IndexedLog {
                log: log.clone(),
                block_hash: ctx.block_hash,
                block_number: ctx.block_number,
                block_timestamp,
                tx_hash,
                tx_index: ctx.index,
                log_index: first_log_index + i as u64,
            }
            .to_json()
        })
        .collect();
    let contract_address = match tx.kind() {
        // A deposit has no nonce field: its sender's nonce is the receipt's depositNonce.
        alloy_primitives::TxKind::Create => {
            Some(from.create(receipt.deposit_nonce.unwrap_or_else(|| tx.nonce())))
        }
        alloy_primitives::TxKind::Call(_) => None,
    };
    let mut value = json!({
        "type": format!("{:#x}", receipt.tx_type),
        "status": if receipt.success { "0x1" } else { "0x0" },
        "cumulativeGasUsed": U64::from(receipt.cumulative_gas_used),
        "gasUsed": U64::from(gas_used),
        "logs": logs,
        "logsBloom": receipt.bloom(),
        "transactionHash": tx_hash,
        "transactionIndex": U64::from(ctx.index),
        "blockHash": ctx.block_hash,
        "blockNumber": U64::from(ctx.block_number),
        "from": from,
        "to": tx.kind().to(),
        "contractAddress": contract_address,
        "effectiveGasPrice": U256::from(tx.effective_gas_price(ctx.base_fee)),
    });
    if let SproutTx::Ethereum(alloy_consensus::TxEnvelope::Eip4844(blob)) = tx {
        use alloy_consensus::Transaction as _;
        let count = blob
            .tx()
            .blob_versioned_hashes()
            .map(|h| h.len())
            .unwrap_or(0) as u64;
        value["blobGasUsed"] = json!(U64::from(count * alloy_eips::eip4844::DATA_GAS_PER_BLOB));
        value["blobGasPrice"] = json!(U256::from(blob_gas_price.unwrap_or_default()));
    }
    if let Some(l1) = &receipt.l1_fee {
        value["l1Fee"] = json!(l1.fee);
        value["l1GasUsed"] = json!(U64::from(l1.gas_used));
        value["l1GasPrice"] = json!(l1.gas_price);
        value["l1BlobBaseFee"] = json!(l1.blob_base_fee);
        value["l1BaseFeeScalar"] = json!(U64::from(l1.base_fee_scalar));
        value["l1BlobBaseFeeScalar"] = json!(U64::from(l1.blob_base_fee_scalar));
    }
    if let Some(nonce) = receipt.deposit_nonce {
        value["depositNonce"] = json!(U64::from(nonce));
        value["depositReceiptVersion"] = json!("0x1");
    }
    value
}

/// A block as `eth_getBlockBy*` returns it; `full` selects transaction objects over hashes.
/// `receipts` give deposits their nonces in full blocks.
pub fn block_json(
    header: &Header,
    hash: B256,
    body: &StoredBody,
    receipts: Option<&[Receipt]>,
    full: bool,
) -> Value {
    let mut value = serde_json::to_value(header).unwrap_or(Value::Null);
    let txs: Vec<Value> = body
        .transactions
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            if !full {
                return json!(alloy_primitives::keccak256(raw));
            }
            match SproutTx::decode_2718_exact(raw) {
                Ok(tx) => tx_json(
                    &tx,
                    body.senders.get(i).copied().unwrap_or_default(),
                    Some(TxContext {
                        block_hash: hash,
                        block_number: header.number,
                        index: i as u64,
                        base_fee: header.base_fee_per_gas.unwrap_or_default(),
                        deposit_nonce: receipts
                            .and_then(|r| r.get(i))
                            .and_then(|r| r.deposit_nonce),
                    }),
                ),
                Err(_) => Value::Null,
            }
        })
        .collect();
    let size = alloy_rlp::Encodable::length(header)
        + body.transactions.iter().map(|t| t.len() + 3).sum::<usize>()
        + 8;
    if let Value::Object(map) = &mut value {
        map.insert("hash".into(), json!(hash));
        map.insert("transactions".into(), Value::Array(txs));
        map.insert("uncles".into(), json!([]));
        map.insert("size".into(), json!(U64::from(size as u64)));
        map.insert("totalDifficulty".into(), json!("0x0"));
        if let Some(w) = &body.withdrawals {
            map.insert(
                "withdrawals".into(),
                serde_json::to_value(w).unwrap_or(Value::Null),
            );
        }
    }
    value
}

/// `0x`-hex of bytes.
pub fn hex_bytes(bytes: &[u8]) -> Value {
    json!(Bytes::copy_from_slice(bytes))
}

/// A stored block as Ethereum's block RLP: `[header, [tx…], [], [withdrawal…]]`, typed
/// transactions as strings of their EIP-2718 bytes and legacy ones as their own RLP lists.
pub fn block_rlp(header: &Header, body: &StoredBody) -> Bytes {
    use alloy_rlp::Encodable;
    let mut txs = Vec::new();
    for raw in &body.transactions {
        match raw.first() {
            Some(first) if *first >= 0xc0 => txs.extend_from_slice(raw),
            _ => raw.as_ref().encode(&mut txs),
        }
    }
    let mut withdrawals = Vec::new();
    if let Some(list) = &body.withdrawals {
        for w in list {
            w.encode(&mut withdrawals);
        }
    }
    let list_header = |len: usize| alloy_rlp::Header {
        list: true,
        payload_length: len,
    };
    let mut payload = Vec::new();
    header.encode(&mut payload);
    list_header(txs.len()).encode(&mut payload);
    payload.extend_from_slice(&txs);
    list_header(0).encode(&mut payload);
    if body.withdrawals.is_some() {
        list_header(withdrawals.len()).encode(&mut payload);
        payload.extend_from_slice(&withdrawals);
    }
    let mut out = Vec::with_capacity(payload.len() + 9);
    list_header(payload.len()).encode(&mut out);
    out.extend_from_slice(&payload);
    out.into()
}
