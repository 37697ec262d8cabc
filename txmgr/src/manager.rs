//! The L1 transaction manager: sends one account's transactions with consecutive nonces, so
//! that they land in the order queued; bumps the fees of a transaction not mined in time;
//! counts a transaction as done once its block is deep enough; notices when L1 reorgs a block
//! holding an unconfirmed one; and stops sending while the account's balance is below the
//! minimum. The batcher sends frames through it, the proposer output roots.
//!
//! Each [`TxCandidate`] carries a tag of the caller's type (a frame's channel and number, an
//! output's L2 block) that comes back in the [`TxEvent`]s. [`TxManager::tick`] does one round
//! and reports what the caller must react to.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip7594::BlobTransactionSidecarVariant;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, utils::format_ether};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::{
    Result, TxMetrics, TxMgrError, blob,
    l1::{Inclusion, L1Chain, L1Head, SendError},
};

/// How often the low-balance error is repeated while the balance stays low.
const LOW_BALANCE_REPEAT: Duration = Duration::from_secs(60);
/// Intrinsic gas of a transaction.
const TX_BASE_GAS: u64 = 21_000;
/// Calldata gas per zero byte and per non-zero byte under EIP-7623's floor (10 per token, a
/// non-zero byte counting 4 tokens), which is never below the standard 4/16 cost, so the limit
/// fits both pre- and post-Prague L1s.
const ZERO_BYTE_GAS: u64 = 10;
const NONZERO_BYTE_GAS: u64 = 40;

/// What the transaction manager needs to know.
#[derive(Clone, Debug)]
pub struct TxManagerConfig {
    /// Whose account this is, for logs and messages (`batcher`, `proposer`).
    pub role: &'static str,
    /// L1 chain id.
    pub chain_id: u64,
    /// Depth at which a transaction counts as done (the including block counts as 1).
    pub confirmations: u64,
    /// Unmined transactions are resent with higher fees after this long.
    pub resubmit_timeout: Duration,
    /// Below this balance nothing is sent.
    pub min_balance: U256,
    /// Lowest tip offered.
    pub min_tip: u128,
    /// Most transactions sent and not yet included at once.
    pub max_pending: usize,
    /// Whether this account sends blob transactions (then only a blob transaction can replace
    /// a stuck one).
    pub blobs: bool,
}

/// EIP-1559 fees of a transaction, and its blob fee cap when it carries blobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fees {
    /// `max_fee_per_gas`.
    pub max_fee: u128,
    /// `max_priority_fee_per_gas`.
    pub tip: u128,
    /// `max_fee_per_blob_gas`; 0 for a calldata transaction.
    pub blob_fee: u128,
}

impl Fees {
    /// Fees for a new transaction: the tip, and room for the base fee to double. With a blob
    /// base fee (a blob transaction), room for it to double too.
    pub fn for_market(base_fee: u128, tip: u128, blob_base_fee: Option<u128>) -> Self {
        Self {
            max_fee: base_fee.saturating_mul(2).saturating_add(tip),
            tip,
            blob_fee: blob_base_fee.map_or(0, |fee| fee.saturating_mul(2).max(1)),
        }
    }

    /// Fees for a replacement, and at least what the market asks now.
    ///
    /// A calldata transaction pays at least 10% more on both fees (geth's legacy-pool rule,
    /// rounded up and never less than +1 wei). A blob transaction pays at least twice every fee,
    /// the blob fee included: geth's blob pool takes a replacement only at +100% on all three.
    pub fn bumped(self, market: Self) -> Self {
        let bump = |v: u128| {
            if self.blob_fee > 0 {
                v.saturating_mul(2).max(1)
            } else {
                v.saturating_add(v.div_ceil(10).max(1))
            }
        };
        let tip = bump(self.tip).max(market.tip);
        let max_fee = bump(self.max_fee).max(market.max_fee).max(tip);
        let blob_fee = if self.blob_fee > 0 {
            bump(self.blob_fee).max(market.blob_fee)
        } else {
            0
        };
        Self {
            max_fee,
            tip,
            blob_fee,
        }
    }
}

/// Gas limit of a transaction carrying `data` to an account without code: the intrinsic gas
/// plus the data's cost under EIP-7623's floor, which is never below the standard cost, so the
/// limit fits both pre- and post-Prague L1s.
pub fn calldata_gas_limit(data: &[u8]) -> u64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = data.len() as u64 - zeros;
    TX_BASE_GAS + zeros * ZERO_BYTE_GAS + nonzeros * NONZERO_BYTE_GAS
}

/// One transaction on its way to L1, tagged by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxCandidate<T> {
    /// The caller's name for it; returned in its events.
    pub tag: T,
    /// The recipient.
    pub to: Address,
    /// The calldata, or for a blob transaction the blob's contents.
    pub data: Bytes,
    /// Wei sent with it (a dispute game's bond); zero for batches and proposals.
    pub value: U256,
    /// The gas limit.
    pub gas_limit: u64,
    /// For a blob transaction: the blob carrying `data`, with its KZG commitment and proofs
    /// (computed once, reused by fee bumps).
    pub sidecar: Option<Arc<BlobTransactionSidecarVariant>>,
}

impl<T> TxCandidate<T> {
    /// `data` as calldata to `to`, an account without code.
    pub fn calldata(tag: T, to: Address, data: Bytes) -> Self {
        Self {
            tag,
            to,
            gas_limit: calldata_gas_limit(&data),
            data,
            value: U256::ZERO,
            sidecar: None,
        }
    }

    /// `data` in one blob to `to`. Fails if it does not fit a blob.
    pub fn blob(tag: T, to: Address, data: Bytes) -> Result<Self> {
        let sidecar = Some(blob::sidecar_for(&data)?);
        Ok(Self {
            tag,
            to,
            data,
            value: U256::ZERO,
            gas_limit: TX_BASE_GAS,
            sidecar,
        })
    }
}

/// A transaction sent to L1 and not yet confirmed.
#[derive(Clone, Debug)]
struct SentTx<T> {
    candidate: TxCandidate<T>,
    nonce: u64,
    fees: Fees,
    /// Every version sent (original and bumps): any of them may be mined.
    hashes: Vec<B256>,
    last_sent: Instant,
    inclusion: Option<Inclusion>,
}

/// What a [`TxManager::tick`] found that the caller must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxEvent<T> {
    /// A transaction reached the confirmation depth.
    Confirmed {
        /// Its tag.
        tag: T,
        /// Its nonce.
        nonce: u64,
        /// The block holding it.
        block_number: u64,
    },
    /// A block holding an unconfirmed transaction is no longer canonical.
    Reorged {
        /// Its tag.
        tag: T,
        /// Its nonce.
        nonce: u64,
        /// The block that held it.
        block_number: u64,
        /// That block's hash.
        block_hash: B256,
    },
    /// A transaction can no longer land as sent (its nonce was taken by another transaction,
    /// or it failed on L1).
    Lost {
        /// Its tag.
        tag: T,
        /// Its nonce.
        nonce: u64,
        /// Why.
        reason: String,
    },
}

impl<T> TxEvent<T> {
    /// Whether the caller must start over (from what L1 holds): anything but a confirmation.
    pub fn needs_rewind(&self) -> bool {
        !matches!(self, Self::Confirmed { .. })
    }

    /// The tag of the transaction it is about.
    pub fn tag(&self) -> &T {
        match self {
            Self::Confirmed { tag, .. } | Self::Reorged { tag, .. } | Self::Lost { tag, .. } => tag,
        }
    }
}

/// The L1 transaction manager.
#[derive(Debug)]
pub struct TxManager<L1, T> {
    l1: Arc<L1>,
    signer: PrivateKeySigner,
    config: TxManagerConfig,
    metrics: Arc<TxMetrics>,
    queue: VecDeque<TxCandidate<T>>,
    in_flight: VecDeque<SentTx<T>>,
    next_nonce: u64,
    low_balance: Option<String>,
    low_balance_logged: Option<Instant>,
}

impl<L1: L1Chain, T: Clone + std::fmt::Debug + Send> TxManager<L1, T> {
    /// A manager sending from `signer`'s account, starting at its pending nonce (read by
    /// [`sync_nonce`](Self::sync_nonce) before the first send).
    pub fn new(
        l1: Arc<L1>,
        signer: PrivateKeySigner,
        config: TxManagerConfig,
        metrics: Arc<TxMetrics>,
    ) -> Self {
        Self {
            l1,
            signer,
            config,
            metrics,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            next_nonce: 0,
            low_balance: None,
            low_balance_logged: None,
        }
    }

    /// The account transactions are sent from.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Forgets every queued and in-flight transaction (a rewind) and reads the pending nonce
    /// again.
    pub async fn reset(&mut self) -> Result<()> {
        self.queue.clear();
        self.in_flight.clear();
        self.sync_nonce().await
    }

    /// Starts the next transaction at the account's pending nonce.
    pub async fn sync_nonce(&mut self) -> Result<()> {
        self.next_nonce = self.l1.nonce(self.address(), true).await?;
        Ok(())
    }

    /// Queues a transaction behind the others.
    pub fn enqueue(&mut self, candidate: TxCandidate<T>) {
        self.queue.push_back(candidate);
    }

    /// Transactions queued and not sent yet.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Transactions sent and not confirmed yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The tags of the queued and in-flight transactions, oldest first.
    pub fn pending_tags(&self) -> impl Iterator<Item = &T> {
        self.in_flight
            .iter()
            .map(|sent| &sent.candidate.tag)
            .chain(self.queue.iter().map(|c| &c.tag))
    }

    /// The nonce the next new transaction gets.
    pub fn next_nonce(&self) -> u64 {
        self.next_nonce
    }

    /// While sending is stopped for lack of funds: the error message logged.
    pub fn low_balance(&self) -> Option<&str> {
        self.low_balance.as_deref()
    }

    /// Replaces the account's pending transaction at `nonce`, one this process did not send
    /// or has forgotten (a restart, a rewind), with an empty transfer to itself. Its fees are
    /// unknown, so the offer is the market's times `2^attempt`: repeated attempts beat it.
    /// Nothing is sent while the balance is low.
    pub async fn cancel(
        &mut self,
        nonce: u64,
        attempt: u32,
    ) -> Result<std::result::Result<B256, SendError>> {
        self.check_balance().await?;
        if let Some(message) = &self.low_balance {
            return Ok(Err(SendError::InsufficientFunds(message.clone())));
        }
        let head = self.l1.head().await?;
        let market = self.market_fees(&head).await?;
        let factor = 1u128 << attempt.min(10);
        let fees = Fees {
            max_fee: market.max_fee.saturating_mul(factor),
            tip: market.tip.saturating_mul(factor),
            blob_fee: market.blob_fee.saturating_mul(factor),
        };
        if self.config.blobs {
            // Geth keeps blob and other transactions of an account apart: only a blob
            // transaction replaces a blob transaction. An empty blob to itself does.
            let sidecar = blob::sidecar_for(&[])?;
            let tx = self.blob_tx(nonce, fees, self.address(), TX_BASE_GAS);
            let (raw, hash) = blob::sign_blob_tx(&self.signer, tx, &sidecar)?;
            return Ok(match self.l1.send_raw(raw).await? {
                Ok(()) | Err(SendError::AlreadyKnown) => {
                    warn!(target: "txmgr", role = self.config.role, nonce, max_fee = fees.max_fee,
                        tip = fees.tip, blob_fee = fees.blob_fee, %hash,
                        "replacing a stuck transaction with an empty blob transaction");
                    Ok(hash)
                }
                Err(err) => Err(err),
            });
        }
        let tx = TxEip1559 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit: TX_BASE_GAS,
            max_fee_per_gas: fees.max_fee,
            max_priority_fee_per_gas: fees.tip,
            to: TxKind::Call(self.address()),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        };
        let (raw, hash) = self.sign_tx(tx)?;
        Ok(match self.l1.send_raw(raw).await? {
            Ok(()) | Err(SendError::AlreadyKnown) => {
                warn!(target: "txmgr", role = self.config.role, nonce, max_fee = fees.max_fee,
                    tip = fees.tip, %hash, "replacing a stuck transaction with an empty one");
                Ok(hash)
            }
            Err(err) => Err(err),
        })
    }

    /// One round: balance check, inclusion and confirmation of in-flight transactions, reorg
    /// detection, fee bumps, and new sends. Stops at the first event that needs a rewind.
    pub async fn tick(&mut self) -> Result<Vec<TxEvent<T>>> {
        let head = self.l1.head().await?;
        self.check_balance().await?;
        let mut events = Vec::new();
        if let Some(event) = self.track_in_flight(&head).await? {
            events.push(event);
            return Ok(events);
        }
        while let Some(sent) = self.in_flight.front() {
            let Some(inclusion) = sent.inclusion else {
                break;
            };
            if head.number.saturating_add(1) < inclusion.block_number + self.config.confirmations {
                break;
            }
            let Some(sent) = self.in_flight.pop_front() else {
                break;
            };
            TxMetrics::add(&self.metrics.txs_confirmed, 1);
            TxMetrics::add(
                &self.metrics.l1_bytes_posted,
                sent.candidate.data.len() as u64,
            );
            info!(target: "txmgr", role = self.config.role, tag = ?sent.candidate.tag,
                nonce = sent.nonce, block = inclusion.block_number, "transaction confirmed");
            events.push(TxEvent::Confirmed {
                tag: sent.candidate.tag,
                nonce: sent.nonce,
                block_number: inclusion.block_number,
            });
        }
        if let Some(event) = self.resubmit_stuck(&head).await? {
            events.push(event);
            return Ok(events);
        }
        if let Some(event) = self.send_queued(&head).await? {
            events.push(event);
        }
        Ok(events)
    }

    async fn check_balance(&mut self) -> Result<()> {
        let address = self.address();
        let balance = self.l1.balance(address).await?;
        self.metrics.set_balance(balance);
        let low = balance < self.config.min_balance;
        self.metrics
            .low_balance
            .store(low, std::sync::atomic::Ordering::Relaxed);
        if !low {
            if self.low_balance.take().is_some() {
                info!(target: "txmgr", role = self.config.role, %address, %balance,
                    "account funded: sending resumes");
            }
            self.low_balance_logged = None;
            return Ok(());
        }
        let min = self.config.min_balance;
        let role = self.config.role;
        let message = format!(
            "{}: the {role} holds {} ETH and needs at least {} ETH; its transactions are not \
             being sent. Fund it: send ETH to {address} on L1 (chain {}); the {role} resumes by \
             itself",
            TxMgrError::LowBalance {
                role,
                address,
                balance,
                min
            },
            format_ether(balance),
            format_ether(min),
            self.config.chain_id
        );
        let now = Instant::now();
        if self
            .low_balance_logged
            .is_none_or(|at| now.duration_since(at) >= LOW_BALANCE_REPEAT)
        {
            error!(target: "txmgr", role, %address, %balance, min = %self.config.min_balance, "{message}");
            self.low_balance_logged = Some(now);
        }
        self.low_balance = Some(message);
        Ok(())
    }

    /// Finds where in-flight transactions were included and checks that those blocks are still
    /// canonical.
    async fn track_in_flight(&mut self, head: &L1Head) -> Result<Option<TxEvent<T>>> {
        for index in 0..self.in_flight.len() {
            let sent = &self.in_flight[index];
            let mut found = None;
            for hash in sent.hashes.iter().rev() {
                if let Some(inclusion) = self.l1.inclusion(*hash).await? {
                    found = Some(inclusion);
                    break;
                }
            }
            let canonical = match found {
                Some(inclusion) if inclusion.block_number <= head.number => {
                    self.l1.block_hash(inclusion.block_number).await? == Some(inclusion.block_hash)
                }
                _ => false,
            };
            // No receipt while the block that held it is still canonical: an L1 node behind
            // the one that answered before (load-balanced RPC), not a reorg. Look again next
            // round.
            if found.is_none()
                && let Some(previous) = sent.inclusion
                && self.l1.block_hash(previous.block_number).await? == Some(previous.block_hash)
            {
                continue;
            }
            let sent = &mut self.in_flight[index];
            match (sent.inclusion, found) {
                (Some(previous), _) if !canonical => {
                    warn!(target: "txmgr", role = self.config.role, nonce = sent.nonce,
                        block = previous.block_number, hash = %previous.block_hash,
                        "L1 reorged a block holding an unconfirmed transaction");
                    return Ok(Some(TxEvent::Reorged {
                        tag: sent.candidate.tag.clone(),
                        nonce: sent.nonce,
                        block_number: previous.block_number,
                        block_hash: previous.block_hash,
                    }));
                }
                (_, Some(inclusion)) if canonical => {
                    if !inclusion.success {
                        return Ok(Some(TxEvent::Lost {
                            tag: sent.candidate.tag.clone(),
                            nonce: sent.nonce,
                            reason: format!(
                                "transaction failed on L1 in block {}",
                                inclusion.block_number
                            ),
                        }));
                    }
                    if sent.inclusion.is_none() {
                        debug!(target: "txmgr", role = self.config.role, nonce = sent.nonce,
                            block = inclusion.block_number, "transaction included");
                    }
                    sent.inclusion = Some(inclusion);
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Resends, with bumped fees, transactions not mined within the resubmit timeout.
    async fn resubmit_stuck(&mut self, head: &L1Head) -> Result<Option<TxEvent<T>>> {
        if self.low_balance.is_some() {
            return Ok(None);
        }
        let now = Instant::now();
        let mut market = None;
        for index in 0..self.in_flight.len() {
            let sent = &self.in_flight[index];
            if sent.inclusion.is_some()
                || now.duration_since(sent.last_sent) < self.config.resubmit_timeout
            {
                continue;
            }
            let market = match market {
                Some(market) => market,
                None => *market.insert(self.market_fees(head).await?),
            };
            let fees = sent.fees.bumped(market);
            let (raw, hash) = self.sign(&sent.candidate, sent.nonce, fees)?;
            let nonce = sent.nonce;
            let result = self.l1.send_raw(raw).await?;
            let sent = &mut self.in_flight[index];
            match result {
                Ok(()) | Err(SendError::AlreadyKnown) => {
                    warn!(target: "txmgr", role = self.config.role, nonce,
                        old_max_fee = sent.fees.max_fee, max_fee = fees.max_fee, tip = fees.tip,
                        blob_fee = fees.blob_fee, "not mined in time: resent with higher fees");
                    sent.fees = fees;
                    sent.hashes.push(hash);
                    sent.last_sent = now;
                    TxMetrics::add(&self.metrics.fee_bumps, 1);
                }
                Err(SendError::Underpriced(reason)) => {
                    // Another version pays more than we thought: raise again next time.
                    warn!(target: "txmgr", role = self.config.role, nonce, %reason,
                        "fee bump refused as underpriced");
                    sent.fees = fees;
                    sent.last_sent = now;
                }
                Err(SendError::NonceTooLow(reason)) => {
                    // One of our versions may have been mined since the last look.
                    let mut ours = false;
                    for hash in &sent.hashes {
                        ours |= self.l1.inclusion(*hash).await?.is_some();
                    }
                    if !ours {
                        return Ok(Some(TxEvent::Lost {
                            tag: sent.candidate.tag.clone(),
                            nonce,
                            reason,
                        }));
                    }
                }
                Err(SendError::InsufficientFunds(reason)) => {
                    warn!(target: "txmgr", role = self.config.role, nonce, %reason,
                        "cannot pay for a fee bump");
                    sent.last_sent = now;
                }
                Err(SendError::Other(reason)) => {
                    warn!(target: "txmgr", role = self.config.role, nonce, %reason,
                        "resend failed; retrying");
                }
            }
        }
        Ok(None)
    }

    /// Sends queued transactions while fewer than the maximum are pending.
    async fn send_queued(&mut self, head: &L1Head) -> Result<Option<TxEvent<T>>> {
        if self.low_balance.is_some() || self.queue.is_empty() {
            return Ok(None);
        }
        let market = self.market_fees(head).await?;
        while self.unmined() < self.config.max_pending {
            let Some(candidate) = self.queue.front() else {
                break;
            };
            let nonce = self.next_nonce;
            let (raw, hash) = self.sign(candidate, nonce, market)?;
            match self.l1.send_raw(raw).await? {
                Ok(()) | Err(SendError::AlreadyKnown) => {}
                Err(SendError::InsufficientFunds(reason)) => {
                    warn!(target: "txmgr", role = self.config.role, nonce, %reason,
                        "L1 says the account cannot pay");
                    break;
                }
                Err(SendError::Other(reason)) => {
                    warn!(target: "txmgr", role = self.config.role, nonce, %reason,
                        "sending failed; retrying");
                    break;
                }
                Err(SendError::NonceTooLow(reason) | SendError::Underpriced(reason)) => {
                    // Something else uses this account's nonces.
                    return Ok(Some(TxEvent::Lost {
                        tag: candidate.tag.clone(),
                        nonce,
                        reason: format!(
                            "nonce {nonce} is taken by a transaction the {} did not send (is \
                             another process using its key?): {reason}",
                            self.config.role
                        ),
                    }));
                }
            }
            let Some(candidate) = self.queue.pop_front() else {
                break;
            };
            info!(target: "txmgr", role = self.config.role, tag = ?candidate.tag, nonce, %hash,
                bytes = candidate.data.len(), "transaction sent");
            TxMetrics::add(&self.metrics.txs_sent, 1);
            self.in_flight.push_back(SentTx {
                candidate,
                nonce,
                fees: market,
                hashes: vec![hash],
                last_sent: Instant::now(),
                inclusion: None,
            });
            self.next_nonce += 1;
        }
        Ok(None)
    }

    /// In-flight transactions not included in a block yet.
    fn unmined(&self) -> usize {
        self.in_flight
            .iter()
            .filter(|sent| sent.inclusion.is_none())
            .count()
    }

    async fn market_fees(&self, head: &L1Head) -> Result<Fees> {
        let tip = self.l1.suggested_tip().await?.max(self.config.min_tip);
        let blob_base_fee = if self.config.blobs {
            Some(self.l1.blob_base_fee().await?)
        } else {
            None
        };
        Ok(Fees::for_market(head.base_fee, tip, blob_base_fee))
    }

    /// A type-3 transaction to `to`, without its blob hashes (filled when signed with its
    /// sidecar).
    fn blob_tx(&self, nonce: u64, fees: Fees, to: Address, gas_limit: u64) -> TxEip4844 {
        TxEip4844 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: fees.max_fee,
            max_priority_fee_per_gas: fees.tip,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            blob_versioned_hashes: Vec::new(),
            max_fee_per_blob_gas: fees.blob_fee.max(1),
            input: Bytes::new(),
        }
    }

    fn sign(&self, candidate: &TxCandidate<T>, nonce: u64, fees: Fees) -> Result<(Bytes, B256)> {
        if let Some(sidecar) = &candidate.sidecar {
            let tx = self.blob_tx(nonce, fees, candidate.to, candidate.gas_limit);
            return blob::sign_blob_tx(&self.signer, tx, sidecar);
        }
        self.sign_tx(TxEip1559 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit: candidate.gas_limit,
            max_fee_per_gas: fees.max_fee,
            max_priority_fee_per_gas: fees.tip,
            to: TxKind::Call(candidate.to),
            value: candidate.value,
            access_list: Default::default(),
            input: candidate.data.clone(),
        })
    }

    fn sign_tx(&self, tx: TxEip1559) -> Result<(Bytes, B256)> {
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| TxMgrError::Signing(e.to_string()))?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        Ok((envelope.encoded_2718().into(), *envelope.tx_hash()))
    }
}

#[cfg(test)]
mod tests;
