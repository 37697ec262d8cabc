//! The JSON shapes of blocks, transactions, receipts and logs, as geth serves them: alloy's RPC
//! types, with op-geth's fields added for deposits and L1 fees.

use alloy_consensus::{
    Eip658Value, Header, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, TxEnvelope,
    transaction::Recovered,
};
use alloy_eips::eip4895::Withdrawals;
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256, keccak256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Log, Transaction, TransactionReceipt};
use serde_json::{Value, json};
use sprout_protocol::{Receipt, TxDeposit, tx::SproutTx};

use sprout_storage::StoredBody;

/// Logs of a block with their positions, in alloy's RPC shape (geth's JSON).
pub fn indexed_logs(
    header: &Header,
    hash: B256,
    tx_hashes: impl Iterator<Item = B256>,
    receipts: &[Receipt],
) -> Vec<Log> {
    let mut out = Vec::new();
    let mut log_index = 0;
    for ((tx_index, receipt), tx_hash) in receipts.iter().enumerate().zip(tx_hashes) {
        for log in &receipt.logs {
            out.push(Log {
                inner: log.clone(),
                block_hash: Some(hash),
                block_number: Some(header.number),
                block_timestamp: Some(header.timestamp),
                transaction_hash: Some(tx_hash),
                transaction_index: Some(tx_index as u64),
                log_index: Some(log_index),
                removed: false,
            });
            log_index += 1;
        }
    }
    out
}

/// Logs as a JSON array.
pub fn logs_json(logs: &[Log]) -> Value {
    serde_json::to_value(logs).unwrap_or(Value::Null)
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

/// A transaction as `eth_getTransactionByHash` returns it: alloy's RPC transaction for
/// Ethereum types, op-geth's shape for deposits.
pub fn tx_json(tx: &SproutTx, from: Address, ctx: Option<TxContext>) -> Value {
    let envelope = match tx {
        SproutTx::Ethereum(envelope) => envelope,
        SproutTx::Deposit(deposit) => return deposit_json(tx.hash(), deposit, from, ctx),
    };
    let rpc_tx = Transaction {
        inner: Recovered::new_unchecked(envelope.clone(), from),
        block_hash: ctx.map(|c| c.block_hash),
        block_number: ctx.map(|c| c.block_number),
        transaction_index: ctx.map(|c| c.index),
        // geth: the price paid once included, the fee cap while pending.
        effective_gas_price: Some(match ctx {
            Some(ctx) => tx.effective_gas_price(ctx.base_fee),
            None => tx.max_fee_per_gas(),
        }),
        block_timestamp: None,
    };
    let mut value = serde_json::to_value(rpc_tx).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        // alloy leaves a legacy creation's `to` out; geth sends null.
        map.entry("to").or_insert(Value::Null);
    }
    value
}

/// A deposit transaction as op-geth serves it: its nonce is the sender's nonce it used (the
/// receipt's `depositNonce`), its gas price 0, its signature fields zero.
fn deposit_json(hash: B256, deposit: &TxDeposit, from: Address, ctx: Option<TxContext>) -> Value {
    json!({
        "type": "0x7e",
        "hash": hash,
        "sourceHash": deposit.source_hash,
        "from": from,
        "to": deposit.to.to(),
        "mint": U256::from(deposit.mint),
        "value": deposit.value,
        "gas": U64::from(deposit.gas_limit),
        "gasPrice": "0x0",
        "isSystemTx": deposit.is_system_transaction,
        "input": deposit.input,
        "nonce": U64::from(ctx.and_then(|c| c.deposit_nonce).unwrap_or_default()),
        "v": "0x0", "r": "0x0", "s": "0x0",
        "blockHash": ctx.map(|c| c.block_hash),
        "blockNumber": ctx.map(|c| U64::from(c.block_number)),
        "transactionIndex": ctx.map(|c| U64::from(c.index)),
    })
}

/// A receipt as `eth_getTransactionReceipt` returns it: alloy's RPC receipt, with op-geth's
/// fields added (the L1 fee of a user transaction; a deposit's type `0x7e` and nonce).
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
    let logs: Vec<Log> = receipt
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(ctx.block_hash),
            block_number: Some(ctx.block_number),
            block_timestamp: Some(block_timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(ctx.index),
            log_index: Some(first_log_index + i as u64),
            removed: false,
        })
        .collect();
    let contract_address = match tx.kind() {
        // A deposit has no nonce field: its sender's nonce is the receipt's depositNonce.
        TxKind::Create => Some(from.create(receipt.deposit_nonce.unwrap_or_else(|| tx.nonce()))),
        TxKind::Call(_) => None,
    };
    let with_bloom = ReceiptWithBloom {
        receipt: alloy_consensus::Receipt {
            status: Eip658Value::Eip658(receipt.success),
            cumulative_gas_used: receipt.cumulative_gas_used,
            logs,
        },
        logs_bloom: receipt.bloom(),
    };
    let (inner, blob_gas_used) = match tx {
        SproutTx::Ethereum(TxEnvelope::Legacy(_)) => (ReceiptEnvelope::Legacy(with_bloom), None),
        SproutTx::Ethereum(TxEnvelope::Eip2930(_)) => (ReceiptEnvelope::Eip2930(with_bloom), None),
        SproutTx::Ethereum(TxEnvelope::Eip4844(blob)) => {
            let count = blob
                .tx()
                .blob_versioned_hashes()
                .map(|h| h.len())
                .unwrap_or(0) as u64;
            (
                ReceiptEnvelope::Eip4844(with_bloom),
                Some(count * alloy_eips::eip4844::DATA_GAS_PER_BLOB),
            )
        }
        SproutTx::Ethereum(TxEnvelope::Eip7702(_)) => (ReceiptEnvelope::Eip7702(with_bloom), None),
        // Deposits take a 1559 receipt's fields; their type is set below.
        SproutTx::Ethereum(TxEnvelope::Eip1559(_)) | SproutTx::Deposit(_) => {
            (ReceiptEnvelope::Eip1559(with_bloom), None)
        }
    };
    let rpc_receipt = TransactionReceipt {
        inner,
        transaction_hash: tx_hash,
        transaction_index: Some(ctx.index),
        block_hash: Some(ctx.block_hash),
        block_number: Some(ctx.block_number),
        gas_used,
        effective_gas_price: tx.effective_gas_price(ctx.base_fee),
        blob_gas_used,
        blob_gas_price: blob_gas_used.map(|_| blob_gas_price.unwrap_or_default()),
        from,
        to: tx.kind().to().copied(),
        contract_address,
    };
    let mut value = serde_json::to_value(rpc_receipt).unwrap_or(Value::Null);
    if let Some(l1) = &receipt.l1_fee {
        value["l1Fee"] = json!(l1.fee);
        value["l1GasUsed"] = json!(U64::from(l1.gas_used));
        value["l1GasPrice"] = json!(l1.gas_price);
        value["l1BlobBaseFee"] = json!(l1.blob_base_fee);
        value["l1BaseFeeScalar"] = json!(U64::from(l1.base_fee_scalar));
        value["l1BlobBaseFeeScalar"] = json!(U64::from(l1.blob_base_fee_scalar));
    }
    if let Some(nonce) = receipt.deposit_nonce {
        value["type"] = json!("0x7e");
        value["depositNonce"] = json!(U64::from(nonce));
        value["depositReceiptVersion"] = json!("0x1");
    }
    value
}

/// A block as `eth_getBlockBy*` returns it (alloy's RPC block); `full` selects transaction
/// objects over hashes. `receipts` give deposits their nonces in full blocks.
pub fn block_json(
    header: &Header,
    hash: B256,
    body: &StoredBody,
    receipts: Option<&[Receipt]>,
    full: bool,
) -> Value {
    let transactions = if full {
        BlockTransactions::Full(
            body.transactions
                .iter()
                .enumerate()
                .map(|(i, raw)| match SproutTx::decode_2718_exact(raw) {
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
                })
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(body.transactions.iter().map(keccak256).collect())
    };
    let block = Block {
        header: alloy_rpc_types_eth::Header {
            hash,
            inner: header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(block_rlp(header, body).len())),
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: body.withdrawals.clone().map(Withdrawals::new),
    };
    serde_json::to_value(block).unwrap_or(Value::Null)
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
