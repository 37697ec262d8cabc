//! L1 deployment: L2OutputOracle, SystemConfig and Portal from one account, cost checked first.
//!
//! Order (`contracts/README.md`): the oracle at nonce *n*, SystemConfig at *n+1* naming the
//! Portal's `CREATE` address at *n+2*, then the Portal, whose constructor checks that
//! `systemConfig.optimismPortal() == address(this)`.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolConstructor,
};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::{
    ContractsError, FaultProofPortal, L2OutputOracle, Portal, Result, SystemConfig, system_config,
};

/// Constructor parameters of the L1 contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1DeployConfig {
    /// Posts output roots to the L2OutputOracle.
    pub proposer: Address,
    /// May delete output roots from the L2OutputOracle.
    pub challenger: Address,
    /// May pause the Portal.
    pub guardian: Address,
    /// Owner of SystemConfig (changes batcher, fee scalars, gas limit, unsafe signer).
    pub owner: Address,
    /// The batcher's L1 account (SystemConfig's `batcherHash` is this address, left-padded).
    pub batcher: Address,
    /// Where batcher transactions go.
    pub batch_inbox: Address,
    /// Signs unsafe blocks for gossip.
    pub unsafe_block_signer: Address,
    /// L2 blocks between two output proposals.
    pub submission_interval: u64,
    /// Seconds between L2 blocks.
    pub l2_block_time: u64,
    /// Challenge period of outputs and withdrawals, in seconds.
    pub finalization_period_seconds: u64,
    /// First L2 block the oracle accepts outputs after.
    pub starting_block_number: u64,
    /// Timestamp of that L2 block; must not be in the L1's future.
    pub starting_timestamp: u64,
    /// The L2 chain id.
    pub l2_chain_id: u64,
    /// Hash of the L2 genesis block.
    pub genesis_l2_hash: B256,
    /// L2 block gas limit (SystemConfig accepts 21 000 000 ..= 200 000 000).
    pub gas_limit: u64,
    /// Ecotone base-fee scalar of the L1 data fee.
    pub basefee_scalar: u32,
    /// Ecotone blob-base-fee scalar of the L1 data fee.
    pub blobbasefee_scalar: u32,
    /// Hash of the chain configuration joining nodes download.
    pub chain_config_hash: B256,
    /// Where joining nodes download the chain configuration.
    pub chain_config_uri: String,
    /// Deploy the Portal paused.
    pub portal_paused: bool,
    /// Fault-proof mode: a `FaultProofPortal` over this AnchorStateRegistry (from
    /// [`deploy_dispute`](crate::deploy_dispute)) instead of the L2OutputOracle's `Portal`.
    /// The oracle is still deployed (permissioned mode's contract, unused by the portal).
    #[serde(default)]
    pub fault_proofs: Option<FaultProofs>,
}

/// What a `FaultProofPortal` is deployed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultProofs {
    /// The AnchorStateRegistry that says which games count.
    pub anchor_state_registry: Address,
    /// How long a proof waits before its withdrawal can be finalized.
    pub proof_maturity_delay_seconds: u64,
}

impl L1DeployConfig {
    /// A devnet configuration with every role held by `operator`: chain id 901, 2 s blocks,
    /// outputs every 10 blocks, 12 s challenge period, 30M gas, OP mainnet's Ecotone scalars.
    pub fn dev(operator: Address) -> Self {
        let l2_chain_id = 901;
        Self {
            proposer: operator,
            challenger: operator,
            guardian: operator,
            owner: operator,
            batcher: operator,
            batch_inbox: batch_inbox_for(l2_chain_id),
            unsafe_block_signer: operator,
            submission_interval: 10,
            l2_block_time: 2,
            finalization_period_seconds: 12,
            starting_block_number: 0,
            starting_timestamp: 0,
            l2_chain_id,
            genesis_l2_hash: B256::ZERO,
            gas_limit: 30_000_000,
            basefee_scalar: 1368,
            blobbasefee_scalar: 810_949,
            chain_config_hash: B256::ZERO,
            chain_config_uri: String::new(),
            portal_paused: false,
            fault_proofs: None,
        }
    }

    /// Rejects what would make a constructor revert (so no gas is spent on it).
    pub fn validate(&self) -> Result<()> {
        let fail = |why| Err(ContractsError::InvalidConfig(why));
        if self.submission_interval == 0 {
            return fail("submission interval must be greater than 0");
        }
        if self.l2_block_time == 0 {
            return fail("L2 block time must be greater than 0");
        }
        if self.owner.is_zero() {
            return fail("SystemConfig owner must not be the zero address");
        }
        if !(21_000_000..=200_000_000).contains(&self.gas_limit) {
            return fail("L2 gas limit must be within 21000000..=200000000");
        }
        Ok(())
    }
}

/// The OP convention for batch inboxes: `0xff00…00 ‖ chain id` (big-endian, low bytes).
pub fn batch_inbox_for(l2_chain_id: u64) -> Address {
    let mut inbox = [0u8; 20];
    inbox[0] = 0xff;
    inbox[12..].copy_from_slice(&l2_chain_id.to_be_bytes());
    Address::from(inbox)
}

/// Where the L1 contracts live (what a node needs to follow the chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Addresses {
    /// The Portal (deposits, withdrawals).
    pub portal: Address,
    /// The L2OutputOracle.
    pub l2_output_oracle: Address,
    /// The SystemConfig.
    pub system_config: Address,
    /// Where batches are posted.
    pub batch_inbox: Address,
    /// L1 block of the SystemConfig deployment (`SystemConfig.startBlock()`); the Portal comes
    /// at or after it, so derivation can start scanning here.
    pub deployed_at_block: u64,
}

/// Gas of a deployment whose constructor cannot be estimated yet (the Portal's reads the
/// SystemConfig): intrinsic + `CREATE` + calldata (16/byte) + initcode words + code deposit
/// (200/byte) + a constructor allowance, plus 10 %.
pub fn deployment_gas_bound(initcode: &[u8], runtime_len: usize) -> u64 {
    const CONSTRUCTOR_ALLOWANCE: u64 = 300_000;
    let len = |n: usize| n as u64;
    let gas = 21_000
        + 32_000
        + 16 * len(initcode.len())
        + 2 * len(initcode.len().div_ceil(32))
        + 200 * len(runtime_len)
        + CONSTRUCTOR_ALLOWANCE;
    gas + gas / 10
}

/// Adds 20 % to an `eth_estimateGas` answer.
pub(crate) fn with_margin(gas: u64) -> u64 {
    gas.saturating_add(gas / 5)
}

pub(crate) fn initcode(bytecode: &Bytes, args: Vec<u8>) -> Bytes {
    [bytecode.as_ref(), &args].concat().into()
}

/// Deploys L2OutputOracle, SystemConfig and Portal from `deployer` (which `provider` must be
/// able to sign for) and waits for each receipt.
///
/// Before sending anything it bounds the total cost (gas estimates plus margin, the Portal by
/// [`deployment_gas_bound`], times the current max fee per gas) and returns
/// [`ContractsError::InsufficientFunds`] if the deployer's balance is lower.
pub async fn deploy_l1<P: Provider>(
    provider: &P,
    deployer: Address,
    config: L1DeployConfig,
) -> Result<L1Addresses> {
    config.validate()?;
    let nonce = provider.get_transaction_count(deployer).pending().await?;
    let oracle_address = deployer.create(nonce);
    let system_config_address = deployer.create(nonce + 1);
    let portal_address = deployer.create(nonce + 2);

    let oracle_code = initcode(
        &L2OutputOracle::BYTECODE,
        L2OutputOracle::constructorCall {
            _submissionInterval: U256::from(config.submission_interval),
            _l2BlockTime: U256::from(config.l2_block_time),
            _startingBlockNumber: U256::from(config.starting_block_number),
            _startingTimestamp: U256::from(config.starting_timestamp),
            _proposer: config.proposer,
            _challenger: config.challenger,
            _finalizationPeriodSeconds: U256::from(config.finalization_period_seconds),
        }
        .abi_encode(),
    );
    let system_config_code = initcode(
        &SystemConfig::BYTECODE,
        SystemConfig::constructorCall {
            _owner: config.owner,
            _cfg: system_config::SystemConfig::Config {
                basefeeScalar: config.basefee_scalar,
                blobbasefeeScalar: config.blobbasefee_scalar,
                batcherHash: config.batcher.into_word(),
                gasLimit: config.gas_limit,
                unsafeBlockSigner: config.unsafe_block_signer,
                batchInbox: config.batch_inbox,
                l2OutputOracle: oracle_address,
                optimismPortal: portal_address,
                l2ChainId: U256::from(config.l2_chain_id),
                genesisL2Hash: config.genesis_l2_hash,
                l2BlockTime: U256::from(config.l2_block_time),
                chainConfigHash: config.chain_config_hash,
                chainConfigUri: config.chain_config_uri.clone(),
            },
        }
        .abi_encode(),
    );
    let (portal_name, portal_code, portal_runtime_len) = match config.fault_proofs {
        None => (
            "Portal",
            initcode(
                &Portal::BYTECODE,
                Portal::constructorCall {
                    _l2Oracle: oracle_address,
                    _guardian: config.guardian,
                    _systemConfig: system_config_address,
                    _paused: config.portal_paused,
                }
                .abi_encode(),
            ),
            Portal::DEPLOYED_BYTECODE.len(),
        ),
        Some(proofs) => (
            "FaultProofPortal",
            initcode(
                &FaultProofPortal::BYTECODE,
                FaultProofPortal::constructorCall {
                    _registry: proofs.anchor_state_registry,
                    _guardian: config.guardian,
                    _systemConfig: system_config_address,
                    _proofMaturityDelaySeconds: U256::from(proofs.proof_maturity_delay_seconds),
                    _paused: config.portal_paused,
                }
                .abi_encode(),
            ),
            FaultProofPortal::DEPLOYED_BYTECODE.len(),
        ),
    };

    // Cost bound, before anything is sent. Estimates carry no fee fields so that an unfunded
    // account can still be estimated for.
    let estimate = |code: &Bytes| {
        provider.estimate_gas(
            TransactionRequest::default()
                .with_from(deployer)
                .with_deploy_code(code.clone()),
        )
    };
    let oracle_gas = with_margin(estimate(&oracle_code).await?);
    let system_config_gas = with_margin(estimate(&system_config_code).await?);
    let portal_gas = deployment_gas_bound(&portal_code, portal_runtime_len);
    let fees = provider.estimate_eip1559_fees().await?;
    let total_gas = U256::from(oracle_gas) + U256::from(system_config_gas) + U256::from(portal_gas);
    let need = total_gas * U256::from(fees.max_fee_per_gas);
    let have = provider.get_balance(deployer).await?;
    info!(
        target: "contracts",
        %deployer, nonce, gas = %total_gas, max_fee_per_gas = fees.max_fee_per_gas, %need, %have,
        "deploying L1 contracts"
    );
    if have < need {
        return Err(ContractsError::InsufficientFunds {
            have,
            need,
            account: deployer,
        });
    }

    let tx = |code: Bytes, nonce: u64, gas: u64| {
        TransactionRequest::default()
            .with_from(deployer)
            .with_deploy_code(code)
            .with_nonce(nonce)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
    };
    send_deployment(
        provider,
        "L2OutputOracle",
        tx(oracle_code, nonce, oracle_gas),
        oracle_address,
    )
    .await?;
    let deployed_at_block = send_deployment(
        provider,
        "SystemConfig",
        tx(system_config_code, nonce + 1, system_config_gas),
        system_config_address,
    )
    .await?;
    send_deployment(
        provider,
        portal_name,
        tx(portal_code, nonce + 2, portal_gas),
        portal_address,
    )
    .await?;

    Ok(L1Addresses {
        portal: portal_address,
        l2_output_oracle: oracle_address,
        system_config: system_config_address,
        batch_inbox: config.batch_inbox,
        deployed_at_block,
    })
}

/// Sends one deployment, waits for its receipt and checks the code landed at `expected`.
/// Returns the block number it was mined in.
pub(crate) async fn send_deployment<P: Provider>(
    provider: &P,
    contract: &'static str,
    tx: TransactionRequest,
    expected: Address,
) -> Result<u64> {
    let pending = provider.send_transaction(tx).await?;
    let tx_hash = *pending.tx_hash();
    let receipt = pending
        .get_receipt()
        .await
        .map_err(|source| ContractsError::Pending { contract, source })?;
    if !receipt.status() {
        return Err(ContractsError::Reverted { contract, tx_hash });
    }
    if receipt.contract_address != Some(expected) {
        return Err(ContractsError::UnexpectedAddress {
            contract,
            expected,
            actual: receipt.contract_address,
        });
    }
    if provider.get_code_at(expected).await?.is_empty() {
        return Err(ContractsError::NoCode {
            contract,
            address: expected,
        });
    }
    let block = receipt.block_number.unwrap_or_default();
    info!(target: "contracts", contract, address = %expected, %tx_hash, block, "deployed");
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_gas_bound_covers_the_measured_deployment() {
        // contracts/README.md: forge measures 2 568 134 gas for the Portal deployment.
        let code = initcode(&Portal::BYTECODE, vec![0; 128]);
        let bound = deployment_gas_bound(&code, Portal::DEPLOYED_BYTECODE.len());
        assert!(bound >= 2_568_134 + 21_000, "{bound}");
        assert!(bound < 4_000_000, "{bound}");
    }

    #[test]
    fn batch_inbox_follows_the_op_convention() {
        assert_eq!(
            batch_inbox_for(901),
            "0xff00000000000000000000000000000000000385"
                .parse::<Address>()
                .expect("address")
        );
    }

    #[test]
    fn invalid_configs_are_rejected_before_any_rpc() {
        let ok = L1DeployConfig::dev(Address::with_last_byte(1));
        assert!(ok.validate().is_ok());
        for broken in [
            L1DeployConfig {
                submission_interval: 0,
                ..ok.clone()
            },
            L1DeployConfig {
                l2_block_time: 0,
                ..ok.clone()
            },
            L1DeployConfig {
                owner: Address::ZERO,
                ..ok.clone()
            },
            L1DeployConfig {
                gas_limit: 20_999_999,
                ..ok.clone()
            },
            L1DeployConfig {
                gas_limit: 200_000_001,
                ..ok.clone()
            },
        ] {
            assert!(matches!(
                broken.validate(),
                Err(ContractsError::InvalidConfig(_))
            ));
        }
    }

    #[test]
    fn insufficient_funds_says_how_much_to_send_where() {
        let account = Address::with_last_byte(7);
        let err = ContractsError::InsufficientFunds {
            have: U256::from(250_000_000_000_000_000u64),
            need: U256::from(1_000_000_000_000_000_000u64),
            account,
        };
        let text = err.to_string();
        assert!(text.contains(&account.to_string()), "{text}");
        assert!(text.contains("send at least 0.75"), "{text}");
        assert!(text.contains("750000000000000000 wei"), "{text}");
    }
}
