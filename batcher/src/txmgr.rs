//! The L1 transaction manager: sends each frame's batcher-tx data (`0x00 ++ frame`) to the batch
//! inbox, as calldata or in one blob ([`crate::blob_tx`]), one transaction per frame, with consecutive nonces so that frames land in order; bumps the
//! fees of a transaction not mined in time; counts a frame as posted once its block is deep
//! enough; notices when L1 reorgs a block holding an unconfirmed frame; and stops sending while
//! the account's balance is below the minimum.
//!
//! [`TxManager::tick`] does one round of all this and reports what the batcher must react to.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip7594::BlobTransactionSidecarVariant;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, utils::format_ether};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use sprout_protocol::batch::{ChannelId, Frame, batcher_tx_data};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::{
    BatcherError, DataAvailability, Metrics, Result, blob_tx,
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
    /// L1 chain id.
    pub chain_id: u64,
    /// The batch inbox.
    pub inbox: Address,
    /// Depth at which a frame counts as posted (the including block counts as 1).
    pub confirmations: u64,
    /// Unmined transactions are resent with higher fees after this long.
    pub resubmit_timeout: Duration,
    /// Below this balance nothing is sent.
    pub min_balance: U256,
    /// Lowest tip offered.
    pub min_tip: u128,
    /// Most transactions sent and not yet included at once.
    pub max_pending: usize,
    /// Calldata or blob transactions.
    pub da: DataAvailability,
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

/// One frame on its way to L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameTx {
    /// Its channel.
    pub channel: ChannelId,
    /// Its number within the channel.
    pub number: u16,
    /// Whether it is the channel's last.
    pub is_last: bool,
    /// The last L2 block of its channel (for logs).
    pub last_block: u64,
    /// The batcher-tx data: `0x00 ++ frame` (the calldata, or the blob's contents).
    pub calldata: Bytes,
    /// For a blob transaction: the blob carrying `calldata`, with its KZG commitment and
    /// proofs (computed once, reused by fee bumps).
    pub sidecar: Option<Arc<BlobTransactionSidecarVariant>>,
}

impl FrameTx {
    /// The transaction data for `frame`, as calldata.
    pub fn new(frame: &Frame, last_block: u64) -> Self {
        Self {
            channel: frame.id,
            number: frame.number,
            is_last: frame.is_last,
            last_block,
            calldata: batcher_tx_data([frame]).into(),
            sidecar: None,
        }
    }

    /// The transaction data for `frame`, in one blob. Fails if the frame does not fit a blob.
    pub fn new_blob(frame: &Frame, last_block: u64) -> Result<Self> {
        let mut tx = Self::new(frame, last_block);
        tx.sidecar = Some(blob_tx::sidecar_for(&tx.calldata)?);
        Ok(tx)
    }

    /// Gas limit of the transaction: a blob transaction's data is not calldata, so it takes
    /// the intrinsic gas only; calldata to an account without code adds its byte costs.
    pub fn gas_limit(&self) -> u64 {
        if self.sidecar.is_some() {
            return TX_BASE_GAS;
        }
        let zeros = self.calldata.iter().filter(|b| **b == 0).count() as u64;
        let nonzeros = self.calldata.len() as u64 - zeros;
        TX_BASE_GAS + zeros * ZERO_BYTE_GAS + nonzeros * NONZERO_BYTE_GAS
    }
}

/// A frame transaction sent to L1 and not yet confirmed.
#[derive(Clone, Debug)]
struct SentTx {
    frame: FrameTx,
    nonce: u64,
    fees: Fees,
    /// Every version sent (original and bumps): any of them may be mined.
    hashes: Vec<B256>,
    last_sent: Instant,
    inclusion: Option<Inclusion>,
}

/// What a [`TxManager::tick`] found that the batcher must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxEvent {
    /// A frame reached the confirmation depth.
    Confirmed {
        /// Its channel.
        channel: ChannelId,
        /// Its number.
        number: u16,
        /// Whether it is its channel's last.
        is_last: bool,
        /// Its nonce.
        nonce: u64,
        /// The block holding it.
        block_number: u64,
    },
    /// A block holding an unconfirmed frame is no longer canonical: rewind.
    Reorged {
        /// The frame's nonce.
        nonce: u64,
        /// The block that held it.
        block_number: u64,
        /// That block's hash.
        block_hash: B256,
    },
    /// A frame can no longer land as sent (its nonce was taken by another transaction, or it
    /// failed on L1): rewind.
    Lost {
        /// The frame's nonce.
        nonce: u64,
        /// Why.
        reason: String,
    },
}

impl TxEvent {
    /// Whether the batcher must rewind to the safe head.
    pub fn needs_rewind(&self) -> bool {
        !matches!(self, Self::Confirmed { .. })
    }
}

/// The L1 transaction manager.
#[derive(Debug)]
pub struct TxManager<L1> {
    l1: Arc<L1>,
    signer: PrivateKeySigner,
    config: TxManagerConfig,
    metrics: Arc<Metrics>,
    queue: VecDeque<FrameTx>,
    in_flight: VecDeque<SentTx>,
    next_nonce: u64,
    low_balance: Option<String>,
    low_balance_logged: Option<Instant>,
}

impl<L1: L1Chain> TxManager<L1> {
    /// A manager sending from `signer`'s account, starting at its pending nonce (read by
    /// [`sync_nonce`](Self::sync_nonce) before the first send).
    pub fn new(
        l1: Arc<L1>,
        signer: PrivateKeySigner,
        config: TxManagerConfig,
        metrics: Arc<Metrics>,
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

    /// The account frames are sent from.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Forgets every queued and in-flight frame (a rewind) and reads the pending nonce again.
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

    /// Queues a frame behind the others.
    pub fn enqueue(&mut self, frame: FrameTx) {
        self.queue.push_back(frame);
    }

    /// Queues `frame` of a channel ending at L2 block `last_block`, as calldata or in a blob
    /// as configured.
    pub fn enqueue_frame(&mut self, frame: &Frame, last_block: u64) -> Result<()> {
        let tx = match self.config.da {
            DataAvailability::Calldata => FrameTx::new(frame, last_block),
            DataAvailability::Blobs => FrameTx::new_blob(frame, last_block)?,
        };
        self.enqueue(tx);
        Ok(())
    }

    /// Frames queued and not sent yet.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Frames sent and not confirmed yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
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
        if self.config.da == DataAvailability::Blobs {
            // Geth keeps blob and other transactions of an account apart: only a blob
            // transaction replaces a blob transaction. An empty blob to itself does.
            let sidecar = blob_tx::sidecar_for(&[])?;
            let tx = self.blob_tx(nonce, fees, self.address());
            let (raw, hash) = blob_tx::sign_blob_tx(&self.signer, tx, &sidecar)?;
            return Ok(match self.l1.send_raw(raw).await? {
                Ok(()) | Err(SendError::AlreadyKnown) => {
                    warn!(target: "batcher", nonce, max_fee = fees.max_fee, tip = fees.tip,
                        blob_fee = fees.blob_fee, %hash,
                        "replacing a stuck batcher transaction with an empty blob transaction");
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
                warn!(target: "batcher", nonce, max_fee = fees.max_fee, tip = fees.tip, %hash,
                    "replacing a stuck batcher transaction with an empty one");
                Ok(hash)
            }
            Err(err) => Err(err),
        })
    }

    /// One round: balance check, inclusion and confirmation of in-flight frames, reorg
    /// detection, fee bumps, and new sends. Stops at the first event that needs a rewind.
    pub async fn tick(&mut self) -> Result<Vec<TxEvent>> {
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
            Metrics::add(&self.metrics.txs_confirmed, 1);
            Metrics::add(
                &self.metrics.l1_bytes_posted,
                sent.frame.calldata.len() as u64,
            );
            info!(target: "batcher", channel = %sent.frame.channel, frame = sent.frame.number,
                nonce = sent.nonce, block = inclusion.block_number, "frame confirmed");
            events.push(TxEvent::Confirmed {
                channel: sent.frame.channel,
                number: sent.frame.number,
                is_last: sent.frame.is_last,
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
                info!(target: "batcher", %address, %balance, "batcher account funded: sending resumes");
            }
            self.low_balance_logged = None;
            return Ok(());
        }
        let min = self.config.min_balance;
        let message = format!(
            "{}: the batcher holds {} ETH and needs at least {} ETH; batches are not being \
             posted. Fund it: send ETH to {address} on L1 (chain {}); the batcher resumes by itself",
            BatcherError::LowBalance {
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
            error!(target: "batcher", %address, %balance, min = %self.config.min_balance, "{message}");
            self.low_balance_logged = Some(now);
        }
        self.low_balance = Some(message);
        Ok(())
    }

    /// Finds where in-flight transactions were included and checks that those blocks are still
    /// canonical.
    async fn track_in_flight(&mut self, head: &L1Head) -> Result<Option<TxEvent>> {
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
                    warn!(target: "batcher", nonce = sent.nonce, block = previous.block_number,
                        hash = %previous.block_hash, "L1 reorged a block holding an unconfirmed frame");
                    return Ok(Some(TxEvent::Reorged {
                        nonce: sent.nonce,
                        block_number: previous.block_number,
                        block_hash: previous.block_hash,
                    }));
                }
                (_, Some(inclusion)) if canonical => {
                    if !inclusion.success {
                        return Ok(Some(TxEvent::Lost {
                            nonce: sent.nonce,
                            reason: format!(
                                "transaction failed on L1 in block {}",
                                inclusion.block_number
                            ),
                        }));
                    }
                    if sent.inclusion.is_none() {
                        debug!(target: "batcher", nonce = sent.nonce, block = inclusion.block_number, "frame included");
                    }
                    sent.inclusion = Some(inclusion);
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Resends, with bumped fees, transactions not mined within the resubmit timeout.
    async fn resubmit_stuck(&mut self, head: &L1Head) -> Result<Option<TxEvent>> {
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
            let (raw, hash) = self.sign(&sent.frame, sent.nonce, fees)?;
            let nonce = sent.nonce;
            let result = self.l1.send_raw(raw).await?;
            let sent = &mut self.in_flight[index];
            match result {
                Ok(()) | Err(SendError::AlreadyKnown) => {
                    warn!(target: "batcher", nonce, old_max_fee = sent.fees.max_fee,
                        max_fee = fees.max_fee, tip = fees.tip, blob_fee = fees.blob_fee,
                        "frame not mined in time: resent with higher fees");
                    sent.fees = fees;
                    sent.hashes.push(hash);
                    sent.last_sent = now;
                    Metrics::add(&self.metrics.fee_bumps, 1);
                }
                Err(SendError::Underpriced(reason)) => {
                    // Another version pays more than we thought: raise again next time.
                    warn!(target: "batcher", nonce, %reason, "fee bump refused as underpriced");
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
                        return Ok(Some(TxEvent::Lost { nonce, reason }));
                    }
                }
                Err(SendError::InsufficientFunds(reason)) => {
                    warn!(target: "batcher", nonce, %reason, "cannot pay for a fee bump");
                    sent.last_sent = now;
                }
                Err(SendError::Other(reason)) => {
                    warn!(target: "batcher", nonce, %reason, "resend failed; retrying");
                }
            }
        }
        Ok(None)
    }

    /// Sends queued frames while fewer than the maximum are pending.
    async fn send_queued(&mut self, head: &L1Head) -> Result<Option<TxEvent>> {
        if self.low_balance.is_some() || self.queue.is_empty() {
            return Ok(None);
        }
        let market = self.market_fees(head).await?;
        while self.unmined() < self.config.max_pending {
            let Some(frame) = self.queue.front() else {
                break;
            };
            let nonce = self.next_nonce;
            let (raw, hash) = self.sign(frame, nonce, market)?;
            match self.l1.send_raw(raw).await? {
                Ok(()) | Err(SendError::AlreadyKnown) => {}
                Err(SendError::InsufficientFunds(reason)) => {
                    warn!(target: "batcher", nonce, %reason, "L1 says the batcher cannot pay");
                    break;
                }
                Err(SendError::Other(reason)) => {
                    warn!(target: "batcher", nonce, %reason, "sending a frame failed; retrying");
                    break;
                }
                Err(SendError::NonceTooLow(reason) | SendError::Underpriced(reason)) => {
                    // Something else uses this account's nonces.
                    return Ok(Some(TxEvent::Lost {
                        nonce,
                        reason: format!(
                            "nonce {nonce} is taken by a transaction the batcher did not send \
                             (is another process using the batcher key?): {reason}"
                        ),
                    }));
                }
            }
            let Some(frame) = self.queue.pop_front() else {
                break;
            };
            info!(target: "batcher", channel = %frame.channel, frame = frame.number,
                last = frame.is_last, nonce, %hash, bytes = frame.calldata.len(), "frame sent");
            Metrics::add(&self.metrics.frames_sent, 1);
            self.in_flight.push_back(SentTx {
                frame,
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
        let blob_base_fee = match self.config.da {
            DataAvailability::Blobs => Some(self.l1.blob_base_fee().await?),
            DataAvailability::Calldata => None,
        };
        Ok(Fees::for_market(head.base_fee, tip, blob_base_fee))
    }

    /// A type-3 transaction from the batcher to `to`, without its blob hashes (filled when
    /// signed with its sidecar).
    fn blob_tx(&self, nonce: u64, fees: Fees, to: Address) -> TxEip4844 {
        TxEip4844 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit: TX_BASE_GAS,
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

    fn sign(&self, frame: &FrameTx, nonce: u64, fees: Fees) -> Result<(Bytes, B256)> {
        if let Some(sidecar) = &frame.sidecar {
            let tx = self.blob_tx(nonce, fees, self.config.inbox);
            return blob_tx::sign_blob_tx(&self.signer, tx, sidecar);
        }
        self.sign_tx(TxEip1559 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit: frame.gas_limit(),
            max_fee_per_gas: fees.max_fee,
            max_priority_fee_per_gas: fees.tip,
            to: TxKind::Call(self.config.inbox),
            value: U256::ZERO,
            access_list: Default::default(),
            input: frame.calldata.clone(),
        })
    }

    fn sign_tx(&self, tx: TxEip1559) -> Result<(Bytes, B256)> {
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| BatcherError::Signing(e.to_string()))?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        Ok((envelope.encoded_2718().into(), *envelope.tx_hash()))
    }
}

#[cfg(test)]
mod tests;
