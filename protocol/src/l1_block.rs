//! L1 block data, verified rather than believed: the one path by which derivation and the
//! sequencer learn what an L1 block holds.
//!
//! An L1 endpoint is a third party. Whatever it answers, [`VerifiedL1Block::verify`] accepts a
//! block only if its raw pieces prove themselves against the block hash the caller asked for:
//! - the header RLP hashes (keccak256) to that block hash;
//! - the EIP-2718 transactions, as an ordered trie, have the header's `transactionsRoot`;
//! - the EIP-2718 receipts, one per transaction, have the header's `receiptsRoot`.
//!
//! Only then does it read the block: the transactions to the batch inbox with their senders
//! recovered here from the signatures, the Portal's `TransactionDeposited` logs as deposits and
//! the SystemConfig's `ConfigUpdate` logs, all taken from the verified receipts. Nothing an RPC
//! says about a `from`, a log or a log index is used.
//!
//! The node gets the pieces over JSON-RPC; the fault-proof program gets the same pieces from
//! its keccak-keyed preimage oracle (the header RLP by hash, then the transaction and receipt
//! trie nodes, [`RawL1Block::from_tries`]). Both hand them to the same verifier.
//!
//! ```
//! use alloy_consensus::Header;
//! use alloy_primitives::{Address, Bytes};
//! use sprout_protocol::l1_block::{L1Addresses, RawL1Block, VerifiedL1Block};
//!
//! // An empty block: its roots are the empty trie's.
//! let header = Header { number: 7, ..Default::default() };
//! let raw = RawL1Block {
//!     header: Bytes::from(alloy_rlp::encode(&header)),
//!     transactions: vec![],
//!     receipts: vec![],
//! };
//! let addresses = L1Addresses { inbox: Address::ZERO, portal: Address::ZERO, system_config: Address::ZERO };
//! let block = VerifiedL1Block::verify(header.hash_slow(), &raw, &addresses).unwrap();
//! assert_eq!(block.header().block.number, 7);
//! // One wrong byte and it is refused.
//! assert!(VerifiedL1Block::verify(Default::default(), &raw, &addresses).is_err());
//! ```

use alloc::{
    string::{String, ToString},
    vec::Vec,
};
use alloy_consensus::{
    Header, ReceiptEnvelope, Transaction as _, TxEnvelope, transaction::SignerRecoverable,
};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718 as _},
    eip7840::BlobParams,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::root::ordered_trie_root_encoded;
use tracing::warn;

use crate::{
    TxDeposit,
    deposit::{TRANSACTION_DEPOSITED_TOPIC, decode_deposit_log_data},
    derive::L1Header,
    l1_info::L1BlockRef,
    rollup::RollupConfig,
    system_config::{CONFIG_UPDATE_TOPIC, ConfigUpdate, decode_config_update},
    trie::{Trie, TrieNodeProvider},
};

/// At most this many transactions are read out of a block's tries (far above any L1 block's
/// gas limit allows), so that a hostile oracle cannot make the walk endless.
pub const MAX_L1_BLOCK_TXS: usize = 1 << 20;

/// An L1 block's raw pieces as a source hands them over, unverified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawL1Block {
    /// The header's RLP.
    pub header: Bytes,
    /// The transactions, EIP-2718 encoded (legacy: the RLP list), in block order.
    pub transactions: Vec<Bytes>,
    /// The receipts, EIP-2718 encoded (legacy: the RLP list), in block order.
    pub receipts: Vec<Bytes>,
}

/// The L1 contracts whose data derivation reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1Addresses {
    /// The batch inbox (`batch_inbox_address`).
    pub inbox: Address,
    /// The Portal (`deposit_contract_address`), emitter of deposits.
    pub portal: Address,
    /// The SystemConfig (`l1_system_config_address`), emitter of `ConfigUpdate`s.
    pub system_config: Address,
}

impl L1Addresses {
    /// The addresses a rollup config names.
    pub fn from_rollup_config(config: &RollupConfig) -> Self {
        Self {
            inbox: config.batch_inbox_address,
            portal: config.deposit_contract_address,
            system_config: config.l1_system_config_address,
        }
    }
}

/// What a transaction to the batch inbox carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboxPayload {
    /// A calldata transaction: its input.
    Calldata(Bytes),
    /// A blob transaction (type 3): its blobs' versioned hashes, in order (its calldata is
    /// ignored).
    Blobs(Vec<B256>),
}

/// A transaction to the batch inbox, with its sender recovered from its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxTx {
    /// Its index in the block.
    pub index: u64,
    /// Its hash.
    pub hash: B256,
    /// Its sender, recovered locally.
    pub sender: Address,
    /// Its data.
    pub payload: InboxPayload,
}

/// Why a block's raw pieces were refused. Every kind means the source gave data that is not
/// the block asked for (or that this code cannot read): the caller retries, never uses it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum L1DataError {
    /// The header RLP hashes to another block.
    #[error("header hashes to {got}, not to the block asked for, {expected}")]
    HeaderHash {
        /// The hash asked for.
        expected: B256,
        /// keccak256 of the header given.
        got: B256,
    },
    /// The header is not the RLP of an Ethereum header.
    #[error("header is not a valid RLP header: {0}")]
    HeaderRlp(alloy_rlp::Error),
    /// The transactions are not the ones the header commits to.
    #[error("transactions root {got} differs from the header's {expected}")]
    TransactionsRoot {
        /// The header's `transactionsRoot`.
        expected: B256,
        /// The root of the transactions given.
        got: B256,
    },
    /// The receipts are not the ones the header commits to.
    #[error("receipts root {got} differs from the header's {expected}")]
    ReceiptsRoot {
        /// The header's `receiptsRoot`.
        expected: B256,
        /// The root of the receipts given.
        got: B256,
    },
    /// Not one receipt per transaction.
    #[error("{receipts} receipts for {transactions} transactions")]
    ReceiptCount {
        /// Transactions given.
        transactions: usize,
        /// Receipts given.
        receipts: usize,
    },
    /// A transaction that the header commits to but that does not decode (an unknown type).
    #[error("transaction {index} does not decode: {reason}")]
    Transaction {
        /// Its index.
        index: usize,
        /// Why.
        reason: alloy_rlp::Error,
    },
    /// A receipt that the header commits to but that does not decode.
    #[error("receipt {index} does not decode: {reason}")]
    Receipt {
        /// Its index.
        index: usize,
        /// Why.
        reason: alloy_rlp::Error,
    },
    /// A transaction or receipt trie node is missing or malformed (the oracle path).
    #[error("trie: {0}")]
    Trie(String),
    /// A block with more transactions than [`MAX_L1_BLOCK_TXS`].
    #[error("more than {MAX_L1_BLOCK_TXS} transactions")]
    TooManyTransactions,
}

fn decode_exact<T: Decodable2718>(bytes: &[u8]) -> Result<T, alloy_rlp::Error> {
    let mut buf = bytes;
    let value = T::decode_2718(&mut buf).map_err(|err| match err {
        alloy_eips::eip2718::Eip2718Error::RlpError(err) => err,
        _ => alloy_rlp::Error::Custom("unsupported EIP-2718 type"),
    })?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::UnexpectedLength);
    }
    Ok(value)
}

/// Decodes a header's RLP (every byte must belong to it) and checks that it hashes to `hash`.
pub fn verify_header(hash: B256, rlp: &[u8]) -> Result<(Header, L1Header), L1DataError> {
    let got = keccak256(rlp);
    if got != hash {
        return Err(L1DataError::HeaderHash {
            expected: hash,
            got,
        });
    }
    let mut buf = rlp;
    let header =
        <Header as alloy_rlp::Decodable>::decode(&mut buf).map_err(L1DataError::HeaderRlp)?;
    if !buf.is_empty() {
        return Err(L1DataError::HeaderRlp(alloy_rlp::Error::UnexpectedLength));
    }
    let l1 = l1_header(&header, hash);
    Ok((header, l1))
}

/// What derivation reads of a header whose hash is `hash`.
pub fn l1_header(header: &Header, hash: B256) -> L1Header {
    L1Header {
        block: L1BlockRef {
            number: header.number,
            hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
        },
        base_fee: U256::from(header.base_fee_per_gas.unwrap_or_default()),
        blob_base_fee: U256::from(header.blob_fee(BlobParams::prague()).unwrap_or(1)),
        mix_hash: header.mix_hash,
        parent_beacon_block_root: header.parent_beacon_block_root,
    }
}

impl RawL1Block {
    /// The pieces of the block whose header RLP is `header`, read from its transaction and
    /// receipt tries: item `i` under key `rlp(i)`, until the first missing key. This is how
    /// the fault-proof program reads a block from its preimage oracle (trie nodes by hash);
    /// the result still goes through [`VerifiedL1Block::verify`].
    pub fn from_tries(header: Bytes, nodes: &impl TrieNodeProvider) -> Result<Self, L1DataError> {
        let mut buf = header.as_ref();
        let decoded =
            <Header as alloy_rlp::Decodable>::decode(&mut buf).map_err(L1DataError::HeaderRlp)?;
        let transactions = trie_items(decoded.transactions_root, nodes)?;
        let receipts = trie_items(decoded.receipts_root, nodes)?;
        Ok(Self {
            header,
            transactions,
            receipts,
        })
    }
}

fn trie_items(root: B256, nodes: &impl TrieNodeProvider) -> Result<Vec<Bytes>, L1DataError> {
    let trie = Trie::new(root, nodes);
    let mut items = Vec::new();
    loop {
        if items.len() >= MAX_L1_BLOCK_TXS {
            return Err(L1DataError::TooManyTransactions);
        }
        let key = alloy_rlp::encode(items.len());
        match trie.get(&key) {
            Ok(Some(item)) => items.push(Bytes::from(item)),
            Ok(None) => return Ok(items),
            Err(err) => return Err(L1DataError::Trie(err.to_string())),
        }
    }
}

/// An L1 block whose header, transactions and receipts were checked against its hash, and
/// what derivation reads of it. Made only by [`VerifiedL1Block::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedL1Block {
    header: L1Header,
    addresses: L1Addresses,
    inbox_txs: Vec<InboxTx>,
    deposits: Vec<TxDeposit>,
    config_updates: Vec<ConfigUpdate>,
}

impl VerifiedL1Block {
    /// Verifies `raw` as the block with hash `hash` (see the [module docs](self)) and reads
    /// what derivation needs of it at `addresses`. Malformed deposit and `ConfigUpdate` logs
    /// are left out with a warning, as the Portal or SystemConfig could not have emitted them;
    /// an inbox transaction whose signature does not recover has no sender and is left out.
    pub fn verify(
        hash: B256,
        raw: &RawL1Block,
        addresses: &L1Addresses,
    ) -> Result<Self, L1DataError> {
        let (header, l1) = verify_header(hash, &raw.header)?;
        let transactions_root = ordered_trie_root_encoded(&raw.transactions);
        if transactions_root != header.transactions_root {
            return Err(L1DataError::TransactionsRoot {
                expected: header.transactions_root,
                got: transactions_root,
            });
        }
        if raw.receipts.len() != raw.transactions.len() {
            return Err(L1DataError::ReceiptCount {
                transactions: raw.transactions.len(),
                receipts: raw.receipts.len(),
            });
        }
        let receipts_root = ordered_trie_root_encoded(&raw.receipts);
        if receipts_root != header.receipts_root {
            return Err(L1DataError::ReceiptsRoot {
                expected: header.receipts_root,
                got: receipts_root,
            });
        }
        let mut inbox_txs = Vec::new();
        for (index, bytes) in raw.transactions.iter().enumerate() {
            let tx: TxEnvelope =
                decode_exact(bytes).map_err(|reason| L1DataError::Transaction { index, reason })?;
            if tx.to() != Some(addresses.inbox) {
                continue;
            }
            let Ok(sender) = tx.recover_signer() else {
                warn!(target: "l1", l1 = header.number, index, "inbox transaction without a valid signature");
                continue;
            };
            let payload = match tx.blob_versioned_hashes() {
                Some(hashes) => InboxPayload::Blobs(hashes.to_vec()),
                None => InboxPayload::Calldata(tx.input().clone()),
            };
            inbox_txs.push(InboxTx {
                index: index as u64,
                hash: keccak256(tx.encoded_2718()),
                sender,
                payload,
            });
        }
        let mut deposits = Vec::new();
        let mut config_updates = Vec::new();
        let mut log_index = 0u64;
        for (index, bytes) in raw.receipts.iter().enumerate() {
            let receipt: ReceiptEnvelope =
                decode_exact(bytes).map_err(|reason| L1DataError::Receipt { index, reason })?;
            for log in receipt.logs() {
                let topic0 = log.data.topics().first();
                if log.address == addresses.portal && topic0 == Some(&TRANSACTION_DEPOSITED_TOPIC) {
                    match decode_deposit_log_data(&log.data, hash, log_index) {
                        Ok(deposit) => deposits.push(deposit),
                        Err(err) => {
                            warn!(target: "l1", l1 = header.number, log_index, %err, "skipping malformed deposit log")
                        }
                    }
                } else if log.address == addresses.system_config
                    && topic0 == Some(&CONFIG_UPDATE_TOPIC)
                {
                    match decode_config_update(&log.data) {
                        Ok(update) => config_updates.push(update),
                        Err(err) => {
                            warn!(target: "l1", l1 = header.number, log_index, %err, "skipping malformed ConfigUpdate log")
                        }
                    }
                }
                log_index += 1;
            }
        }
        Ok(Self {
            header: l1,
            addresses: *addresses,
            inbox_txs,
            deposits,
            config_updates,
        })
    }

    /// The header, as derivation reads it.
    pub fn header(&self) -> &L1Header {
        &self.header
    }

    /// The addresses it was read at.
    pub fn addresses(&self) -> &L1Addresses {
        &self.addresses
    }

    /// Every transaction to the inbox, in block order, with its recovered sender.
    pub fn inbox_txs(&self) -> &[InboxTx] {
        &self.inbox_txs
    }

    /// The inbox transactions sent by `batcher`: the block's batcher data.
    pub fn batcher_txs(&self, batcher: Address) -> impl Iterator<Item = &InboxTx> {
        self.inbox_txs.iter().filter(move |tx| tx.sender == batcher)
    }

    /// The user deposits of the Portal's `TransactionDeposited` logs, in log order.
    pub fn deposits(&self) -> &[TxDeposit] {
        &self.deposits
    }

    /// The SystemConfig's `ConfigUpdate`s, in log order.
    pub fn config_updates(&self) -> &[ConfigUpdate] {
        &self.config_updates
    }

    /// A block made of already-typed parts, for tests of what consumes verified blocks.
    #[cfg(test)]
    pub(crate) fn from_parts(
        header: L1Header,
        addresses: L1Addresses,
        inbox_txs: Vec<InboxTx>,
        deposits: Vec<TxDeposit>,
        config_updates: Vec<ConfigUpdate>,
    ) -> Self {
        Self {
            header,
            addresses,
            inbox_txs,
            deposits,
            config_updates,
        }
    }
}

#[cfg(test)]
mod tests;
