//! Why the pool refused a transaction, worded exactly as geth words it.
//!
//! Wallets and libraries match on these strings, so every `Display` reproduces go-ethereum's
//! text, including the numbers geth appends (see `core/txpool/errors.go`, `core/error.go`,
//! `core/txpool/validation.go`, `core/txpool/legacypool/legacypool.go`, `core/state_transition.go`
//! and `internal/ethapi/api.go`).

use alloy_primitives::{Address, I256, U256};

/// Result of a pool operation.
pub type PoolResult<T> = Result<T, PoolError>;

/// A transaction the pool refused. Display strings are geth's, for `eth_sendRawTransaction`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Pre-EIP-155 legacy transaction while unprotected transactions are refused.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// The same transaction hash is already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// Blob, deposit or unknown transaction type.
    #[error("transaction type not supported: tx type {0} not supported by this pool")]
    TxTypeNotSupported(u8),
    /// Signed encoding larger than the pool's limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Size of the signed encoding.
        size: usize,
        /// The pool's limit.
        limit: usize,
    },
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// `max_priority_fee_per_gas > max_fee_per_gas`.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Signed for another chain.
    #[error("invalid sender: invalid chain id for signer: have {have} want {want}")]
    InvalidChainId {
        /// Chain id in the transaction.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// Nonce `2^64 - 1` (EIP-2681).
    #[error("nonce has max value")]
    NonceMax,
    /// Gas limit below the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas: u64,
        /// Intrinsic gas.
        needed: u64,
    },
    /// Tip below the pool's minimum.
    #[error("transaction underpriced: gas tip cap {tip}, minimum needed {min}")]
    TipBelowMinimum {
        /// The transaction's tip cap.
        tip: u128,
        /// The pool's minimum tip.
        min: u128,
    },
    /// Nonce already used on chain.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// The account's next nonce.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// Balance below `gas_limit * max_fee + value`.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {}",
        cost.saturating_sub(*balance)
    )]
    InsufficientFunds {
        /// Account balance.
        balance: U256,
        /// The transaction's cost.
        cost: U256,
    },
    /// Balance below `gas_limit * max_fee + value + l1_fee` on a rollup.
    #[error(
        "insufficient funds for gas * price + value + l1 fee: balance {balance}, tx cost {cost} (l1 fee {l1_fee}), overshot {}",
        cost.saturating_sub(*balance)
    )]
    InsufficientFundsForL1Fee {
        /// Account balance.
        balance: U256,
        /// The transaction's cost, L1 fee included.
        cost: U256,
        /// The L1 data fee part of it.
        l1_fee: U256,
    },
    /// Balance below the cost of the sender's pending transactions plus this one.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, queued cost {queued}, tx cost {cost}, overshot {}",
        queued.saturating_add(*cost).saturating_sub(*balance)
    )]
    InsufficientFundsQueued {
        /// Account balance.
        balance: U256,
        /// Cost of the sender's pending transactions.
        queued: U256,
        /// The transaction's cost.
        cost: U256,
    },
    /// Balance below the cost of the sender's pending transactions after replacing one.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, queued cost {queued}, tx bumped {bump}, overshot {}",
        bumped_need(*queued, *bump).saturating_sub(*balance)
    )]
    InsufficientFundsBumped {
        /// Account balance.
        balance: U256,
        /// Cost of the sender's pending transactions.
        queued: U256,
        /// New cost minus the replaced transaction's cost (may be negative).
        bump: I256,
    },
    /// `max_fee_per_gas` below the current base fee.
    #[error(
        "max fee per gas less than block base fee: address {address}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// Sender (printed EIP-55 checksummed, as geth's `Hex()`).
        address: Address,
        /// The transaction's fee cap.
        max_fee: u128,
        /// The base fee it was checked against.
        base_fee: u64,
    },
    /// Same sender and nonce as a pooled transaction without the required fee bump.
    #[error("replacement transaction underpriced")]
    ReplaceUnderpriced,
    /// The sender already has the most transactions the pool keeps per sender.
    #[error("account limit exceeded: pooled {0} txs")]
    AccountLimitExceeded(usize),
    /// The pool is full and the transaction pays no more than the cheapest one it would evict.
    #[error("transaction underpriced")]
    Underpriced,
    /// The pool is full and nothing can be evicted for the transaction.
    #[error("txpool is full")]
    PoolFull,
}

/// What the sender's pending transactions cost once one of them is replaced: `queued + bump`.
fn bumped_need(queued: U256, bump: I256) -> U256 {
    let magnitude = bump.unsigned_abs();
    if bump.is_negative() {
        queued.saturating_sub(magnitude)
    } else {
        queued.saturating_add(magnitude)
    }
}
