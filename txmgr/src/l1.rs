//! The transaction manager's view of L1, behind [`L1Chain`], implemented over JSON-RPC by
//! [`RpcL1`].

use std::{future::Future, time::Duration};

use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use alloy_primitives::{Address, B256, Bytes, U256};

use crate::{Result, TxMgrError};

/// How long one L1 request may take.
pub const L1_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The L1 head as the transaction manager needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1Head {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Base fee (0 before London).
    pub base_fee: u128,
}

/// Where a transaction was included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inclusion {
    /// Block number.
    pub block_number: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Whether it executed successfully.
    pub success: bool,
}

/// Why L1 refused a raw transaction, in the classes the transaction manager acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The nonce is already used (geth: "nonce too low").
    NonceTooLow(String),
    /// A transaction with this nonce is pending and the new one does not pay 10% more
    /// (geth: "replacement transaction underpriced").
    Underpriced(String),
    /// L1 already has exactly this transaction (geth: "already known").
    AlreadyKnown,
    /// The account cannot pay gas × max fee + value.
    InsufficientFunds(String),
    /// Anything else (unreachable node, other rejection): retried later.
    Other(String),
}

impl SendError {
    /// Classifies an L1 error message (geth's and anvil's texts).
    pub fn classify(message: &str) -> Self {
        let lower = message.to_ascii_lowercase();
        if lower.contains("already known") || lower.contains("already imported") {
            Self::AlreadyKnown
        } else if lower.contains("nonce too low") {
            Self::NonceTooLow(message.to_owned())
        } else if lower.contains("underpriced") || lower.contains("fee too low") {
            Self::Underpriced(message.to_owned())
        } else if lower.contains("insufficient funds") {
            Self::InsufficientFunds(message.to_owned())
        } else {
            Self::Other(message.to_owned())
        }
    }
}

/// What the transaction manager reads from and sends to L1.
pub trait L1Chain: Send + Sync {
    /// The chain id.
    fn chain_id(&self) -> impl Future<Output = Result<u64>> + Send;
    /// The latest block.
    fn head(&self) -> impl Future<Output = Result<L1Head>> + Send;
    /// The canonical hash at `number`, if L1 has such a block.
    fn block_hash(&self, number: u64) -> impl Future<Output = Result<Option<B256>>> + Send;
    /// The account's nonce: counting its pending transactions (`pending`) or mined ones only.
    fn nonce(&self, address: Address, pending: bool) -> impl Future<Output = Result<u64>> + Send;
    /// The account's balance at the latest block.
    fn balance(&self, address: Address) -> impl Future<Output = Result<U256>> + Send;
    /// The tip L1 suggests (`eth_maxPriorityFeePerGas`).
    fn suggested_tip(&self) -> impl Future<Output = Result<u128>> + Send;
    /// The blob base fee of the next block (`eth_blobBaseFee`).
    fn blob_base_fee(&self) -> impl Future<Output = Result<u128>> + Send;
    /// Sends a signed transaction.
    fn send_raw(
        &self,
        raw: Bytes,
    ) -> impl Future<Output = Result<std::result::Result<(), SendError>>> + Send;
    /// Where transaction `hash` was included, if it was.
    fn inclusion(&self, hash: B256) -> impl Future<Output = Result<Option<Inclusion>>> + Send;
}

/// [`L1Chain`] over Ethereum JSON-RPC.
#[derive(Clone, Debug)]
pub struct RpcL1 {
    provider: DynProvider,
}

impl RpcL1 {
    /// Connects to `url` (HTTP).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = url
            .parse()
            .map_err(|e| TxMgrError::Config(format!("L1 RPC URL {url:?} is not a URL: {e}")))?;
        Ok(Self {
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
        })
    }

    /// `eth_call` of `data` to `to` at the latest block (not `pending`, which would count
    /// transactions still in the pool): the returned bytes, or the revert.
    pub async fn call(&self, to: Address, data: Bytes) -> Result<Bytes> {
        let call = alloy::rpc::types::TransactionRequest::default()
            .to(to)
            .input(data.into());
        Self::request(
            "eth_call",
            std::future::IntoFuture::into_future(self.provider.call(call).block(BlockId::latest())),
        )
        .await
    }

    /// `eth_estimateGas` of a call from `from` to `to` with `data`: the gas it needs, or L1's
    /// reason it would fail (a revert), before anything is signed or spent.
    pub async fn estimate_gas(&self, from: Address, to: Address, data: Bytes) -> Result<u64> {
        self.estimate_gas_with_value(from, to, data, U256::ZERO)
            .await
    }

    /// [`estimate_gas`](Self::estimate_gas) of a call that sends `value` wei.
    pub async fn estimate_gas_with_value(
        &self,
        from: Address,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<u64> {
        let call = alloy::rpc::types::TransactionRequest::default()
            .from(from)
            .to(to)
            .value(value)
            .input(data.into());
        Self::request(
            "eth_estimateGas",
            std::future::IntoFuture::into_future(self.provider.estimate_gas(call)),
        )
        .await
    }

    /// The provider, for reads the trait does not cover.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    async fn request<T, E: std::fmt::Display>(
        what: &str,
        fut: impl Future<Output = std::result::Result<T, E>>,
    ) -> Result<T> {
        match tokio::time::timeout(L1_REQUEST_TIMEOUT, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(TxMgrError::L1(format!("{what}: {err}"))),
            Err(_) => Err(TxMgrError::L1(format!(
                "{what}: no answer within {L1_REQUEST_TIMEOUT:?}"
            ))),
        }
    }
}

impl L1Chain for RpcL1 {
    async fn chain_id(&self) -> Result<u64> {
        Self::request("eth_chainId", self.provider.get_chain_id()).await
    }

    async fn head(&self) -> Result<L1Head> {
        let block = Self::request(
            "eth_getBlockByNumber(latest)",
            self.provider
                .get_block_by_number(BlockNumberOrTag::Latest)
                .into_future(),
        )
        .await?
        .ok_or_else(|| TxMgrError::L1("no latest block".into()))?;
        Ok(L1Head {
            number: block.header.number,
            hash: block.header.hash,
            base_fee: u128::from(block.header.base_fee_per_gas.unwrap_or_default()),
        })
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        let block = Self::request(
            "eth_getBlockByNumber",
            self.provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .into_future(),
        )
        .await?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn nonce(&self, address: Address, pending: bool) -> Result<u64> {
        let tag = if pending {
            BlockId::pending()
        } else {
            BlockId::latest()
        };
        Self::request(
            "eth_getTransactionCount",
            self.provider
                .get_transaction_count(address)
                .block_id(tag)
                .into_future(),
        )
        .await
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        Self::request(
            "eth_getBalance",
            self.provider.get_balance(address).into_future(),
        )
        .await
    }

    async fn suggested_tip(&self) -> Result<u128> {
        Self::request(
            "eth_maxPriorityFeePerGas",
            self.provider.get_max_priority_fee_per_gas(),
        )
        .await
    }

    async fn blob_base_fee(&self) -> Result<u128> {
        Self::request("eth_blobBaseFee", self.provider.get_blob_base_fee()).await
    }

    async fn send_raw(&self, raw: Bytes) -> Result<std::result::Result<(), SendError>> {
        let sent =
            tokio::time::timeout(L1_REQUEST_TIMEOUT, self.provider.send_raw_transaction(&raw))
                .await
                .map_err(|_| {
                    TxMgrError::L1(format!(
                        "eth_sendRawTransaction: no answer within {L1_REQUEST_TIMEOUT:?}"
                    ))
                })?;
        Ok(match sent {
            Ok(_) => Ok(()),
            Err(err) => Err(SendError::classify(&err.to_string())),
        })
    }

    async fn inclusion(&self, hash: B256) -> Result<Option<Inclusion>> {
        let receipt = Self::request(
            "eth_getTransactionReceipt",
            self.provider.get_transaction_receipt(hash),
        )
        .await?;
        Ok(receipt.and_then(|r| {
            Some(Inclusion {
                block_number: r.block_number?,
                block_hash: r.block_hash?,
                success: r.status(),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_errors_are_classified_by_geth_and_anvil_texts() {
        assert_eq!(
            SendError::classify(
                "server returned an error response: error code -32000: already known"
            ),
            SendError::AlreadyKnown
        );
        assert!(matches!(
            SendError::classify("nonce too low: next nonce 5, tx nonce 4"),
            SendError::NonceTooLow(_)
        ));
        assert!(matches!(
            SendError::classify("replacement transaction underpriced"),
            SendError::Underpriced(_)
        ));
        assert!(matches!(
            SendError::classify("Insufficient funds for gas * price + value"),
            SendError::InsufficientFunds(_)
        ));
        assert!(matches!(
            SendError::classify("connection refused"),
            SendError::Other(_)
        ));
    }
}
