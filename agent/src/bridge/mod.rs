//! ETH between L1 and a Sprout L2: [`Bridge`] connects to both layers and runs each step.
//!
//! - [`config`]: the chain's addresses, endpoints and key.
//! - `deposit`: L1 -> L2 through `Portal.depositTransaction`, waiting for the L2 receipt.
//! - `withdraw`: L2 -> L1 through `L2ToL1MessagePasser.initiateWithdrawal`.
//! - `status`: where a withdrawal stands ([`WithdrawalStatus`]).
//! - `prove`, `finalize`: the two L1 steps of a withdrawal.
//! - `rpc`: receipts, waiting, revert reasons. [`units`]: amounts and times.

pub mod config;
mod deposit;
mod finalize;
mod prove;
mod rpc;
mod status;
pub mod units;
mod withdraw;

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    transports::http::reqwest::Url,
};
use sprout_contracts::{FaultProofPortal, Portal};

pub use config::{
    BridgeConfig, ChainAddresses, DEVNET_L1_RPC_URL, DEVNET_L2_RPC_URL, KeySource, dev_account_0,
    parse_private_key, resolve_signer,
};
pub use deposit::DepositReport;
pub use finalize::FinalizeReport;
pub use prove::ProveReport;
pub use status::{StatusReport, WithdrawalStatus};
pub use units::parse_amount;
pub use withdraw::WithdrawReport;

use crate::{AgentError, Layer, Result};

/// L2 gas a deposit gets by default (the Portal's default for plain ETH sends).
pub const DEFAULT_DEPOSIT_GAS_LIMIT: u64 = 100_000;
/// L1 gas a withdrawal's call gets by default when finalized (OP's default for plain sends).
pub const DEFAULT_WITHDRAWAL_GAS_LIMIT: u64 = 100_000;

/// What a withdrawal is proven against: the L2OutputOracle's outputs (Portal 2.x), or dispute
/// games (a `FaultProofPortal`, version 3 or later, as viem tells the two apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proofs {
    /// Permissioned mode: the L2OutputOracle.
    Oracle(Address),
    /// Fault-proof mode.
    Games {
        /// The DisputeGameFactory.
        factory: Address,
        /// The AnchorStateRegistry.
        registry: Address,
        /// The portal's respected game type.
        game_type: u32,
    },
}

/// Both layers of one chain, and who signs.
#[derive(Debug, Clone)]
pub struct Bridge {
    l1: DynProvider,
    l2: DynProvider,
    portal: Address,
    proofs: Proofs,
    signer: Option<Address>,
    timeout: Duration,
}

fn provider(
    url: &str,
    layer: Layer,
    signer: Option<&alloy_signer_local::PrivateKeySigner>,
) -> Result<DynProvider> {
    let parsed: Url = url
        .parse()
        .map_err(|e| AgentError::Config(format!("{} {url:?} is not a URL: {e}", layer.flag())))?;
    Ok(match signer {
        Some(signer) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(parsed)
            .erased(),
        None => ProviderBuilder::new().connect_http(parsed).erased(),
    })
}

async fn chain_id(
    provider: &DynProvider,
    layer: Layer,
    url: &str,
    expected: Option<u64>,
) -> Result<()> {
    let id = provider
        .get_chain_id()
        .await
        .map_err(|source| AgentError::Unreachable {
            layer,
            url: url.to_string(),
            source,
        })?;
    if let Some(expected) = expected.filter(|e| *e != id) {
        return Err(AgentError::Config(format!(
            "{} {url} serves chain {id}, but the rollup config names {layer} chain {expected}",
            layer.flag()
        )));
    }
    Ok(())
}

impl Bridge {
    /// Connects to both layers, checks their chain ids against the rollup config and that the
    /// Portal exists, and finds the L2OutputOracle (from the Portal when not given).
    pub async fn connect(config: BridgeConfig) -> Result<Self> {
        let signer = config.signer.as_ref();
        let l1 = provider(&config.l1_rpc_url, Layer::L1, signer)?;
        let l2 = provider(&config.l2_rpc_url, Layer::L2, signer)?;
        let addresses = &config.addresses;
        chain_id(&l1, Layer::L1, &config.l1_rpc_url, addresses.l1_chain_id).await?;
        chain_id(&l2, Layer::L2, &config.l2_rpc_url, addresses.l2_chain_id).await?;
        let code = l1
            .get_code_at(addresses.portal)
            .await
            .map_err(|source| AgentError::Rpc {
                layer: Layer::L1,
                what: "eth_getCode",
                source,
            })?;
        if code.is_empty() {
            return Err(AgentError::Config(format!(
                "L1 at {} has no contract at the Portal address {}: wrong --portal or --l1.rpc-url, or the devnet's L1 state is gone (`sprout up --fresh`)",
                config.l1_rpc_url, addresses.portal
            )));
        }
        // viem's rule: a portal whose version's major is 3 or more proves against games.
        let version = Portal::new(addresses.portal, &l1)
            .version()
            .call()
            .await
            .map_err(rpc::call_error(Layer::L1, "Portal.version"))?;
        let major: u64 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        let proofs =
            if major >= 3 {
                let portal = FaultProofPortal::new(addresses.portal, &l1);
                Proofs::Games {
                    factory: portal
                        .disputeGameFactory()
                        .call()
                        .await
                        .map_err(rpc::call_error(
                            Layer::L1,
                            "FaultProofPortal.disputeGameFactory",
                        ))?,
                    registry: portal.anchorStateRegistry().call().await.map_err(
                        rpc::call_error(Layer::L1, "FaultProofPortal.anchorStateRegistry"),
                    )?,
                    game_type: portal
                        .respectedGameType()
                        .call()
                        .await
                        .map_err(rpc::call_error(
                            Layer::L1,
                            "FaultProofPortal.respectedGameType",
                        ))?,
                }
            } else {
                Proofs::Oracle(match addresses.l2_output_oracle {
                    Some(oracle) => oracle,
                    None => Portal::new(addresses.portal, &l1)
                        .l2Oracle()
                        .call()
                        .await
                        .map_err(rpc::call_error(Layer::L1, "Portal.l2Oracle"))?,
                })
            };
        Ok(Self {
            l1,
            l2,
            portal: addresses.portal,
            proofs,
            signer: config.signer.as_ref().map(|s| s.address()),
            timeout: config.timeout,
        })
    }

    /// The Portal.
    pub fn portal(&self) -> Address {
        self.portal
    }

    /// What withdrawals are proven against.
    pub fn proofs(&self) -> Proofs {
        self.proofs
    }

    /// The signing account, if any.
    pub fn account(&self) -> Option<Address> {
        self.signer
    }

    fn signer(&self) -> Result<Address> {
        self.signer.ok_or(AgentError::NoKey)
    }

    async fn balance(&self, layer: Layer, account: Address) -> Result<U256> {
        let provider = match layer {
            Layer::L1 => &self.l1,
            Layer::L2 => &self.l2,
        };
        provider
            .get_balance(account)
            .await
            .map_err(|source| AgentError::Rpc {
                layer,
                what: "eth_getBalance",
                source,
            })
    }
}
