//! The crate's one error type.

use alloy::{
    primitives::{Address, B256, U256, utils::format_ether},
    providers::PendingTransactionError,
    transports::TransportError,
};

/// Everything that can go wrong while deploying or talking to Sprout's contracts.
#[derive(Debug, thiserror::Error)]
pub enum ContractsError {
    /// The deployer cannot pay for the deployment; nothing was sent.
    #[error(
        "account {account} holds {have_eth} ETH but the L1 deployment may cost up to {need_eth} ETH; \
         send at least {missing_eth} ETH ({missing} wei) to {account} and retry",
        have_eth = format_ether(*.have),
        need_eth = format_ether(*.need),
        missing = .need.saturating_sub(*.have),
        missing_eth = format_ether(.need.saturating_sub(*.have)),
    )]
    InsufficientFunds {
        /// The deployer's balance, in wei.
        have: U256,
        /// Upper bound of the deployment's cost, in wei.
        need: U256,
        /// The account to fund.
        account: Address,
    },
    /// A committed preinstall's code is not the canonical one (a corrupted checkout).
    #[error("preinstall: {0}")]
    Preinstall(String),
    /// The deployment parameters would make a constructor revert.
    #[error("invalid L1 deploy config: {0}")]
    InvalidConfig(&'static str),
    /// An L1 JSON-RPC request failed (including a reverting gas estimate).
    #[error("L1 RPC request failed: {0}")]
    Rpc(#[from] TransportError),
    /// Waiting for a transaction's receipt failed.
    #[error("waiting for the {contract} transaction failed: {source}")]
    Pending {
        /// Which contract was being deployed (or called).
        contract: &'static str,
        /// The provider's error.
        source: PendingTransactionError,
    },
    /// A deployment transaction was mined but reverted.
    #[error("the {contract} transaction (tx {tx_hash}) reverted")]
    Reverted {
        /// Which contract was being deployed.
        contract: &'static str,
        /// The mined transaction.
        tx_hash: B256,
    },
    /// A contract did not land at the address its nonce predicts (the deployer sent other
    /// transactions meanwhile).
    #[error(
        "{contract} was deployed at {actual:?}, expected {expected}; was the deployer account used concurrently?"
    )]
    UnexpectedAddress {
        /// Which contract.
        contract: &'static str,
        /// The `CREATE` address from the deployer's nonce.
        expected: Address,
        /// What the receipt says.
        actual: Option<Address>,
    },
    /// After deployment there is no code at the contract's address.
    #[error("no code at {address} after deploying {contract}")]
    NoCode {
        /// Which contract.
        contract: &'static str,
        /// Its address.
        address: Address,
    },
}

/// The crate's result alias.
pub type Result<T, E = ContractsError> = core::result::Result<T, E>;
