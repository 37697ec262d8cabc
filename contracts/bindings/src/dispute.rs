//! L1 deployment of the fault-proof contracts: PreimageOracle, RISCV, DisputeGameFactory,
//! AnchorStateRegistry and the FaultDisputeGame implementation, registered in the factory with
//! its init bond. Cost checked first, as in [`deploy_l1`](crate::deploy_l1).
//!
//! Order, from one account at nonce *n*: the oracle (*n*), RISCV over it (*n+1*), the factory
//! (*n+2*, owned by the deployer until the end), the registry naming the factory (*n+3*), the
//! game implementation naming the registry and RISCV (*n+4*; its constructor reads the
//! registry's factory), then `setImplementation` and `setInitBond`, and a
//! `transferOwnership` to the configured owner if that is another account.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolConstructor},
};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::{
    AnchorStateRegistry, ContractsError, DisputeGameFactory, FaultDisputeGame, PreimageOracle,
    RISCV, Result,
    deploy::{deployment_gas_bound, initcode, send_deployment, with_margin},
    fault_dispute_game,
};

/// Gas allowed for each owner call after the deployments (a mapping write and an event).
const OWNER_CALL_GAS: u64 = 100_000;

/// Deployment parameters of the fault-proof contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisputeDeployConfig {
    /// The game type the implementation is registered under, and the respected one.
    pub game_type: u32,
    /// The program's absolute prestate (`sprout fp prestate`).
    pub absolute_prestate: B256,
    /// keccak256 of the program's `ProgramConfig` (local key 6).
    pub program_config_hash: B256,
    /// Depth of the claim tree.
    pub max_game_depth: u64,
    /// Depth of the output-root bisection; below it, the execution trace.
    pub split_depth: u64,
    /// Seconds a move made late gives back to its opponent.
    pub clock_extension: u64,
    /// Seconds each side's chess clock holds.
    pub max_clock_duration: u64,
    /// The L2 chain id (local key 5).
    pub l2_chain_id: u64,
    /// Bond at depth 0, in wei.
    pub base_bond: U256,
    /// Bond growth per level, in 1e18 units.
    pub bond_growth_wad: U256,
    /// The bond `create` requires, in wei.
    pub init_bond: U256,
    /// May blacklist and retire games and change the respected type.
    pub guardian: Address,
    /// Owner of the factory (sets implementations and bonds).
    pub owner: Address,
    /// The output root games start from, and its L2 block.
    pub starting_root: B256,
    /// The L2 block of `starting_root`.
    pub starting_block: u64,
    /// Seconds after resolution before a game counts.
    pub finality_delay_seconds: u64,
}

impl DisputeDeployConfig {
    /// A small configuration for tests, owned (and guarded) by `owner`: Sprout's game type
    /// 0x5350 on chain 901, split depth 4 of a max depth of 8, 300 s clocks with a 30 s
    /// extension, bonds from 0.001 ETH growing 1.5× per level, a 10 s finality delay. Its
    /// prestate, config hash and anchor are fixed non-zero values that commit to no program
    /// or chain: games that must be played to a step set the real ones (as the devnet does from
    /// `sprout fp prestate`, the chain's program config and its genesis output).
    pub fn dev(owner: Address) -> Self {
        let milli = U256::from(10u64).pow(U256::from(15u64));
        Self {
            game_type: 0x5350,
            absolute_prestate: B256::repeat_byte(3),
            program_config_hash: B256::repeat_byte(6),
            max_game_depth: 8,
            split_depth: 4,
            clock_extension: 30,
            max_clock_duration: 300,
            l2_chain_id: 901,
            base_bond: milli,
            bond_growth_wad: U256::from(1_500_000_000_000_000_000u64),
            init_bond: milli,
            guardian: owner,
            owner,
            starting_root: B256::repeat_byte(9),
            starting_block: 0,
            finality_delay_seconds: 10,
        }
    }

    /// Rejects parameters the game's constructor would revert on.
    pub fn validate(&self) -> Result<()> {
        if self.max_game_depth > 125 {
            return Err(ContractsError::InvalidConfig(
                "max_game_depth must be at most 125",
            ));
        }
        if self.split_depth < 2 || self.split_depth + 1 >= self.max_game_depth {
            return Err(ContractsError::InvalidConfig(
                "split_depth must be at least 2 and below max_game_depth - 1",
            ));
        }
        if self.clock_extension.saturating_mul(2) > self.max_clock_duration {
            return Err(ContractsError::InvalidConfig(
                "clock_extension must be at most half of max_clock_duration",
            ));
        }
        if self.starting_root.is_zero() {
            return Err(ContractsError::InvalidConfig(
                "starting_root must not be zero (games would have no anchor)",
            ));
        }
        Ok(())
    }
}

impl DisputeAddresses {
    /// Where [`deploy_dispute`] from `deployer` puts the contracts when the deployer's next
    /// nonce is `nonce`: its five deployments are the deployer's next five transactions. A
    /// contract built before them (a `FaultProofPortal` naming the registry) can use these.
    pub fn predict(deployer: Address, nonce: u64) -> Self {
        Self {
            preimage_oracle: deployer.create(nonce),
            riscv: deployer.create(nonce + 1),
            dispute_game_factory: deployer.create(nonce + 2),
            anchor_state_registry: deployer.create(nonce + 3),
            game_implementation: deployer.create(nonce + 4),
        }
    }
}

/// Where the fault-proof contracts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisputeAddresses {
    /// The VM's PreimageOracle.
    pub preimage_oracle: Address,
    /// The on-chain step (`RISCV`).
    pub riscv: Address,
    /// The DisputeGameFactory.
    pub dispute_game_factory: Address,
    /// The AnchorStateRegistry.
    pub anchor_state_registry: Address,
    /// The FaultDisputeGame implementation the factory clones.
    pub game_implementation: Address,
}

/// Deploys the fault-proof contracts from `deployer` and registers the game type.
///
/// Before sending anything it bounds the total cost and returns
/// [`ContractsError::InsufficientFunds`] if the deployer's balance is lower.
pub async fn deploy_dispute<P: Provider>(
    provider: &P,
    deployer: Address,
    config: &DisputeDeployConfig,
) -> Result<DisputeAddresses> {
    config.validate()?;
    let nonce = provider.get_transaction_count(deployer).pending().await?;
    let DisputeAddresses {
        preimage_oracle: oracle,
        riscv,
        dispute_game_factory: factory,
        anchor_state_registry: registry,
        game_implementation: game,
    } = DisputeAddresses::predict(deployer, nonce);

    let oracle_code = PreimageOracle::BYTECODE.clone();
    let riscv_code = initcode(
        &RISCV::BYTECODE,
        RISCV::constructorCall { _oracle: oracle }.abi_encode(),
    );
    let factory_code = initcode(
        &DisputeGameFactory::BYTECODE,
        DisputeGameFactory::constructorCall { _owner: deployer }.abi_encode(),
    );
    let registry_code = initcode(
        &AnchorStateRegistry::BYTECODE,
        AnchorStateRegistry::constructorCall {
            _factory: factory,
            _guardian: config.guardian,
            _startingRoot: config.starting_root,
            _startingBlock: U256::from(config.starting_block),
            _respectedGameType: config.game_type,
            _finalityDelaySeconds: U256::from(config.finality_delay_seconds),
        }
        .abi_encode(),
    );
    let game_code = initcode(
        &FaultDisputeGame::BYTECODE,
        FaultDisputeGame::constructorCall {
            p: fault_dispute_game::FaultDisputeGame::GameConstructorParams {
                gameType: config.game_type,
                absolutePrestate: config.absolute_prestate,
                maxGameDepth: U256::from(config.max_game_depth),
                splitDepth: U256::from(config.split_depth),
                clockExtension: config.clock_extension,
                maxClockDuration: config.max_clock_duration,
                vm: riscv,
                anchorStateRegistry: registry,
                l2ChainId: U256::from(config.l2_chain_id),
                programConfigHash: config.program_config_hash,
                baseBond: config.base_bond,
                bondGrowthWad: config.bond_growth_wad,
            },
        }
        .abi_encode(),
    );
    let calls: Vec<(&'static str, Bytes)> = {
        let mut calls = vec![
            (
                "DisputeGameFactory.setImplementation",
                DisputeGameFactory::setImplementationCall {
                    gameType: config.game_type,
                    r#impl: game,
                }
                .abi_encode()
                .into(),
            ),
            (
                "DisputeGameFactory.setInitBond",
                DisputeGameFactory::setInitBondCall {
                    gameType: config.game_type,
                    bond: config.init_bond,
                }
                .abi_encode()
                .into(),
            ),
        ];
        if config.owner != deployer {
            calls.push((
                "DisputeGameFactory.transferOwnership",
                DisputeGameFactory::transferOwnershipCall {
                    newOwner: config.owner,
                }
                .abi_encode()
                .into(),
            ));
        }
        calls
    };

    // Cost bound, before anything is sent. The oracle has no constructor arguments to estimate
    // with; the others' constructors read contracts that do not exist yet, so they are bounded.
    let oracle_gas = with_margin(
        provider
            .estimate_gas(
                TransactionRequest::default()
                    .with_from(deployer)
                    .with_deploy_code(oracle_code.clone()),
            )
            .await?,
    );
    let deployments = [
        ("PreimageOracle", oracle_code, oracle, oracle_gas),
        (
            "RISCV",
            riscv_code.clone(),
            riscv,
            deployment_gas_bound(&riscv_code, RISCV::DEPLOYED_BYTECODE.len()),
        ),
        (
            "DisputeGameFactory",
            factory_code.clone(),
            factory,
            deployment_gas_bound(&factory_code, DisputeGameFactory::DEPLOYED_BYTECODE.len()),
        ),
        (
            "AnchorStateRegistry",
            registry_code.clone(),
            registry,
            deployment_gas_bound(&registry_code, AnchorStateRegistry::DEPLOYED_BYTECODE.len()),
        ),
        (
            "FaultDisputeGame",
            game_code.clone(),
            game,
            deployment_gas_bound(&game_code, FaultDisputeGame::DEPLOYED_BYTECODE.len()),
        ),
    ];
    let fees = provider.estimate_eip1559_fees().await?;
    let total_gas = deployments
        .iter()
        .map(|(_, _, _, gas)| U256::from(*gas))
        .sum::<U256>()
        + U256::from(OWNER_CALL_GAS) * U256::from(calls.len());
    let need = total_gas * U256::from(fees.max_fee_per_gas);
    let have = provider.get_balance(deployer).await?;
    info!(
        target: "contracts",
        %deployer, nonce, gas = %total_gas, %need, %have, "deploying fault-proof contracts"
    );
    if have < need {
        return Err(ContractsError::InsufficientFunds {
            have,
            need,
            account: deployer,
        });
    }

    let base = |nonce: u64, gas: u64| {
        TransactionRequest::default()
            .with_from(deployer)
            .with_nonce(nonce)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
    };
    for (i, (contract, code, address, gas)) in deployments.into_iter().enumerate() {
        let tx = base(nonce + i as u64, gas).with_deploy_code(code);
        send_deployment(provider, contract, tx, address).await?;
    }
    for (i, (call, input)) in calls.into_iter().enumerate() {
        let tx = base(nonce + 5 + i as u64, OWNER_CALL_GAS)
            .with_to(factory)
            .with_input(input);
        send_call(provider, call, tx).await?;
    }

    Ok(DisputeAddresses {
        preimage_oracle: oracle,
        riscv,
        dispute_game_factory: factory,
        anchor_state_registry: registry,
        game_implementation: game,
    })
}

/// Sends one call and waits for a successful receipt.
async fn send_call<P: Provider>(
    provider: &P,
    contract: &'static str,
    tx: TransactionRequest,
) -> Result<()> {
    let pending = provider.send_transaction(tx).await?;
    let tx_hash = *pending.tx_hash();
    let receipt = pending
        .get_receipt()
        .await
        .map_err(|source| ContractsError::Pending { contract, source })?;
    if !receipt.status() {
        return Err(ContractsError::Reverted { contract, tx_hash });
    }
    info!(target: "contracts", contract, %tx_hash, "called");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DisputeDeployConfig {
        DisputeDeployConfig {
            game_type: 0x5350,
            absolute_prestate: B256::repeat_byte(3),
            program_config_hash: B256::repeat_byte(6),
            max_game_depth: 40,
            split_depth: 8,
            clock_extension: 30,
            max_clock_duration: 300,
            l2_chain_id: 901,
            base_bond: U256::from(10u64).pow(U256::from(16u64)),
            bond_growth_wad: U256::from(1_100_000_000_000_000_000u64),
            init_bond: U256::from(10u64).pow(U256::from(16u64)),
            guardian: Address::repeat_byte(1),
            owner: Address::repeat_byte(2),
            starting_root: B256::repeat_byte(9),
            starting_block: 0,
            finality_delay_seconds: 60,
        }
    }

    #[test]
    fn validate_mirrors_the_constructor_checks() {
        assert!(config().validate().is_ok());
        let mut c = config();
        c.split_depth = 39;
        assert!(matches!(
            c.validate(),
            Err(ContractsError::InvalidConfig(_))
        ));
        let mut c = config();
        c.max_game_depth = 126;
        assert!(c.validate().is_err());
        let mut c = config();
        c.clock_extension = 151;
        assert!(c.validate().is_err());
        let mut c = config();
        c.starting_root = B256::ZERO;
        assert!(c.validate().is_err());
    }
}
