//! A fresh devnet's files (L2 genesis, L1 deployment, rollup config), or the ones a previous
//! `sprout up` left in the datadir.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
};
use alloy_primitives::{B256, U256, utils::parse_ether};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use serde::{Deserialize, Serialize};
use sprout_contracts::{
    DisputeAddresses, DisputeDeployConfig, FaultProofs, FeeVaultConfig, L1Addresses,
    L1DeployConfig, deploy_dispute, deploy_l1, predeploys, predeploys::SEQUENCER_FEE_VAULT,
    preinstalls,
};
use sprout_protocol::{
    ChainConfig, GenesisAccount, Hardfork,
    chain::{BaseFeeConfig, GenesisConfig, system_contracts},
    rollup::{BlockId, GenesisSystemConfig, RollupConfig, RollupGenesis},
};
use tracing::info;

use crate::{DevAccount, DevnetError, DevnetFaultProofs, L1_CHAIN_ID, Result};

/// The mnemonic anvil and Hardhat derive their dev accounts from.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// L2 chain id of the devnet.
pub(crate) const L2_CHAIN_ID: u64 = 901;
/// L2 gas limit (the most SystemConfig accepts).
const L2_GAS_LIMIT: u64 = 200_000_000;

/// Index of the batcher's key in [`DEV_MNEMONIC`]: past the ten dev accounts users are given,
/// so that nobody else spends from it and its nonces never race.
pub const BATCHER_KEY_INDEX: u32 = 10;

/// Index of the proposer's key in [`DEV_MNEMONIC`], next to the batcher's.
pub const PROPOSER_KEY_INDEX: u32 = 11;

/// Index of the challenger's key in [`DEV_MNEMONIC`] (fault-proof mode).
pub const CHALLENGER_KEY_INDEX: u32 = 12;

/// The game type of the devnet's dispute games ("SP").
pub const GAME_TYPE: u32 = 0x5350;

/// Seconds each side's clock holds in a devnet game: short, so that a game resolves (and a
/// withdrawal proven against it finalizes) within a minute.
const GAME_CLOCK_SECONDS: u64 = 20;

/// The devnet challenger's key.
pub fn challenger_signer() -> Result<PrivateKeySigner> {
    role_signer(CHALLENGER_KEY_INDEX, "challenger")
}

/// The devnet batcher's key.
pub fn batcher_signer() -> Result<PrivateKeySigner> {
    role_signer(BATCHER_KEY_INDEX, "batcher")
}

/// The devnet proposer's key: the L2OutputOracle's proposer.
pub fn proposer_signer() -> Result<PrivateKeySigner> {
    role_signer(PROPOSER_KEY_INDEX, "proposer")
}

fn role_signer(index: u32, role: &str) -> Result<PrivateKeySigner> {
    MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(index)
        .and_then(|b| b.build())
        .map_err(|e| DevnetError::NotReady(format!("{role} key: {e}")))
}

/// What a devnet run starts from.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) genesis_path: PathBuf,
    pub(crate) rollup_path: PathBuf,
    /// The batcher's private key (hex), in a file only the owner reads.
    pub(crate) batcher_key_path: PathBuf,
    /// The proposer's private key (hex), likewise.
    pub(crate) proposer_key_path: PathBuf,
    /// The challenger's private key (hex), likewise (fault-proof mode).
    pub(crate) challenger_key_path: PathBuf,
    /// The unsafe-block signer's key (the operator, dev account 0), likewise: the sequencer
    /// signs the blocks it gossips with it.
    pub(crate) signer_key_path: PathBuf,
    pub(crate) addresses: L1Addresses,
    /// Fault-proof mode's contracts.
    pub(crate) games: Option<DisputeAddresses>,
    pub(crate) accounts: Vec<DevAccount>,
    pub(crate) l2_chain_id: u64,
    pub(crate) resumed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DevnetState {
    contracts: L1Addresses,
    #[serde(default)]
    games: Option<DisputeAddresses>,
}

/// The first `count` dev signers of [`DEV_MNEMONIC`] (BIP-44 path m/44'/60'/0'/0/i): the
/// accounts anvil and Hardhat fund.
pub fn dev_signers(count: u32) -> Result<Vec<PrivateKeySigner>> {
    (0..count)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)
                .and_then(|b| b.build())
                .map_err(|e| DevnetError::NotReady(format!("dev key {i}: {e}")))
        })
        .collect()
}

fn accounts(signers: &[PrivateKeySigner]) -> Vec<DevAccount> {
    signers
        .iter()
        .map(|s| DevAccount {
            address: s.address(),
            private_key: format!("{}", B256::from_slice(&s.to_bytes()[..])),
        })
        .collect()
}

/// The devnet's L2 chain config: the dev accounts, the system contracts, the predeploys, the
/// preinstalls, and fees to the sequencer fee vault, starting now.
fn l2_chain(signers: &[PrivateKeySigner], genesis_time: u64) -> Result<ChainConfig> {
    let operator = signers[0].address();
    let balance = parse_ether("10000").unwrap_or(U256::ZERO);
    let mut alloc: std::collections::BTreeMap<_, _> = signers
        .iter()
        .map(|s| {
            (
                s.address(),
                GenesisAccount {
                    balance,
                    ..Default::default()
                },
            )
        })
        .collect();
    alloc.extend(system_contracts());
    for (address, code, storage) in predeploys(FeeVaultConfig {
        recipient: operator,
        min_withdrawal: U256::ZERO,
    }) {
        let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        alloc.insert(
            address,
            GenesisAccount {
                code: Some(code),
                storage,
                ..Default::default()
            },
        );
    }
    for preinstall in preinstalls(L2_CHAIN_ID)? {
        alloc.insert(
            preinstall.address,
            GenesisAccount {
                nonce: Some(1),
                code: Some(preinstall.code),
                ..Default::default()
            },
        );
    }
    Ok(ChainConfig {
        chain_id: L2_CHAIN_ID,
        hardfork: Hardfork::Prague,
        prague_time: None,
        block_time: 1,
        gas_limit: L2_GAS_LIMIT,
        base_fee: BaseFeeConfig {
            max_change_denominator: 250,
            elasticity_multiplier: 6,
            initial_base_fee: 1_000_000_000,
        },
        fee_recipient: SEQUENCER_FEE_VAULT,
        genesis: GenesisConfig {
            timestamp: genesis_time,
            extra_data: Default::default(),
            alloc,
        },
    })
}

/// Installs the preinstalls on the devnet L1 (anvil), as they are on every public L1.
async fn install_l1_preinstalls(l1: &impl Provider) -> Result<()> {
    for preinstall in preinstalls(L1_CHAIN_ID)? {
        let fail = |e: alloy::transports::TransportError| {
            DevnetError::NotReady(format!("installing {} on L1: {e}", preinstall.name))
        };
        l1.raw_request::<_, ()>(
            "anvil_setCode".into(),
            (preinstall.address, preinstall.code.clone()),
        )
        .await
        .map_err(fail)?;
        l1.raw_request::<_, ()>("anvil_setNonce".into(), (preinstall.address, U256::from(1)))
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// Prepares the datadir: resumes what is there, or creates a new devnet on the L1 at `l1_url`.
pub(crate) async fn prepare(
    datadir: &Path,
    l1_url: &str,
    fault_proofs: Option<&DevnetFaultProofs>,
) -> Result<Setup> {
    let genesis_path = datadir.join("genesis.json");
    let rollup_path = datadir.join("rollup.json");
    let batcher_key_path = datadir.join("batcher.key");
    let batcher = batcher_signer()?;
    write_secret(
        &batcher_key_path,
        &format!("{}", B256::from_slice(&batcher.to_bytes()[..])),
    )?;
    let proposer_key_path = datadir.join("proposer.key");
    let proposer = proposer_signer()?;
    write_secret(
        &proposer_key_path,
        &format!("{}", B256::from_slice(&proposer.to_bytes()[..])),
    )?;
    let challenger_key_path = datadir.join("challenger.key");
    let challenger = challenger_signer()?;
    write_secret(
        &challenger_key_path,
        &format!("{}", B256::from_slice(&challenger.to_bytes()[..])),
    )?;
    let state_path = datadir.join("devnet.json");
    let signers = dev_signers(10)?;
    let signer_key_path = datadir.join("unsafe-block-signer.key");
    write_secret(
        &signer_key_path,
        &format!("{}", B256::from_slice(&signers[0].to_bytes()[..])),
    )?;
    let url = l1_url
        .parse()
        .map_err(|_| DevnetError::NotReady(format!("bad L1 url {l1_url}")))?;
    let operator = signers[0].address();
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signers[0].clone()))
        .connect_http(url);
    if state_path.exists() && genesis_path.exists() && rollup_path.exists() {
        let state: DevnetState = serde_json::from_slice(&std::fs::read(&state_path)?)?;
        let code = l1
            .get_code_at(state.contracts.portal)
            .await
            .map_err(|e| DevnetError::NotReady(e.to_string()))?;
        if code.is_empty() {
            return Err(DevnetError::NotReady(format!(
                "the datadir {} names a Portal at {}, but the L1 has no code there (the L1 state was lost); run `sprout up --fresh`",
                datadir.display(),
                state.contracts.portal
            )));
        }
        if state.games.is_some() != fault_proofs.is_some() {
            return Err(DevnetError::NotReady(format!(
                "the datadir {} holds a devnet in {} mode; run it the same way, or start over with `sprout up --fresh`",
                datadir.display(),
                if state.games.is_some() {
                    "fault-proof (--proofs games)"
                } else {
                    "oracle (--proofs oracle)"
                }
            )));
        }
        info!(target: "devnet", datadir = %datadir.display(), "resuming");
        return Ok(Setup {
            genesis_path,
            rollup_path,
            batcher_key_path,
            proposer_key_path,
            challenger_key_path,
            signer_key_path,
            addresses: state.contracts,
            games: state.games,
            accounts: accounts(&signers),
            l2_chain_id: L2_CHAIN_ID,
            resumed: true,
        });
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let chain = l2_chain(&signers, now)?;
    install_l1_preinstalls(&l1).await?;
    let genesis = chain.genesis()?;
    let genesis_hash = genesis.header.hash_slow();
    // The batcher and the proposer pay for their L1 transactions from their own keys, funded
    // here.
    for (role, address) in [
        ("batcher", batcher.address()),
        ("proposer", proposer.address()),
        ("challenger", challenger.address()),
    ] {
        l1.raw_request::<_, ()>(
            "anvil_setBalance".into(),
            (address, parse_ether("1000").unwrap_or(U256::ZERO)),
        )
        .await
        .map_err(|e| DevnetError::NotReady(format!("funding the {role}: {e}")))?;
    }
    let mut deploy = L1DeployConfig::dev(operator);
    deploy.batcher = batcher.address();
    deploy.proposer = proposer.address();
    deploy.l2_chain_id = L2_CHAIN_ID;
    deploy.l2_block_time = chain.block_time;
    deploy.genesis_l2_hash = genesis_hash;
    deploy.gas_limit = L2_GAS_LIMIT;
    deploy.starting_block_number = 0;
    deploy.starting_timestamp = now;
    // Fault-proof mode: the FaultProofPortal names the AnchorStateRegistry, which is deployed
    // after it (the games commit to the rollup config, which names the portal).
    let predicted = match fault_proofs {
        Some(_) => {
            let nonce = l1
                .get_transaction_count(operator)
                .pending()
                .await
                .map_err(|e| DevnetError::NotReady(e.to_string()))?;
            let predicted = DisputeAddresses::predict(operator, nonce + 3);
            deploy.fault_proofs = Some(FaultProofs {
                anchor_state_registry: predicted.anchor_state_registry,
                proof_maturity_delay_seconds: 5,
            });
            Some(predicted)
        }
        None => None,
    };
    info!(target: "devnet", "deploying the L1 contracts");
    let addresses = deploy_l1(&l1, operator, deploy.clone()).await?;
    // The L2 genesis mints ETH that no deposit locked on L1; the Portal pays withdrawals from
    // what it holds, so it must hold at least the L2 supply or withdrawals of genesis ETH would
    // be finalized without being paid.
    let l2_supply = chain
        .genesis
        .alloc
        .values()
        .fold(U256::ZERO, |sum, account| {
            sum.saturating_add(account.balance)
        });
    l1.raw_request::<_, ()>("anvil_setBalance".into(), (addresses.portal, l2_supply))
        .await
        .map_err(|e| DevnetError::NotReady(format!("backing the L2 supply in the Portal: {e}")))?;
    let anchor = l1
        .get_block_by_number(Default::default())
        .await
        .map_err(|e| DevnetError::NotReady(e.to_string()))?
        .ok_or_else(|| DevnetError::NotReady("L1 has no head block".into()))?;
    let rollup = RollupConfig {
        genesis: RollupGenesis {
            l1: BlockId {
                hash: anchor.header.hash,
                number: anchor.header.number,
            },
            l2: BlockId {
                hash: genesis_hash,
                number: 0,
            },
            l2_time: now,
            system_config: GenesisSystemConfig {
                batcher_addr: deploy.batcher,
                base_fee_scalar: deploy.basefee_scalar,
                blob_base_fee_scalar: deploy.blobbasefee_scalar,
                gas_limit: L2_GAS_LIMIT,
            },
        },
        block_time: chain.block_time,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: L1_CHAIN_ID,
        l2_chain_id: L2_CHAIN_ID,
        batch_inbox_address: addresses.batch_inbox,
        deposit_contract_address: addresses.portal,
        l1_system_config_address: addresses.system_config,
        l2_output_oracle_address: addresses.l2_output_oracle,
        regolith_time: None,
        canyon_time: None,
        ecotone_time: None,
    };
    rollup.validate_against(&chain, genesis_hash)?;
    let games = match (fault_proofs, predicted) {
        (Some(proofs), Some(predicted)) => {
            let games = deploy_games(&l1, operator, proofs, &rollup, &chain, &genesis).await?;
            if games != predicted {
                return Err(DevnetError::NotReady(format!(
                    "the dispute contracts landed at {games:?}, not where the FaultProofPortal expects them ({predicted:?}): another sender used the deployer's nonces; run `sprout up --fresh`"
                )));
            }
            Some(games)
        }
        _ => None,
    };
    std::fs::write(&genesis_path, serde_json::to_vec_pretty(&chain)?)?;
    std::fs::write(&rollup_path, serde_json::to_vec_pretty(&rollup)?)?;
    // Written last: its presence means the devnet was set up completely.
    std::fs::write(
        &state_path,
        serde_json::to_vec_pretty(&DevnetState {
            contracts: addresses,
            games,
        })?,
    )?;
    Ok(Setup {
        genesis_path,
        rollup_path,
        batcher_key_path,
        proposer_key_path,
        challenger_key_path,
        signer_key_path,
        addresses,
        games,
        accounts: accounts(&signers),
        l2_chain_id: L2_CHAIN_ID,
        resumed: false,
    })
}

/// The dispute contracts for the devnet's chain: games committing to `proofs.prestate` and the
/// program config of `rollup` and `chain`, anchored at the L2 genesis output, with OP's depths
/// (split 30, max 73) and short clocks.
async fn deploy_games(
    l1: &impl Provider,
    operator: alloy_primitives::Address,
    proofs: &DevnetFaultProofs,
    rollup: &RollupConfig,
    chain: &ChainConfig,
    genesis: &sprout_protocol::chain::Genesis,
) -> Result<DisputeAddresses> {
    let mut nodes = sprout_protocol::trie::MemoryNodes::default();
    nodes.insert_nodes(genesis.trie_nodes.iter().cloned());
    let nodes = GenesisTrie(nodes);
    let state_root = genesis.header.state_root;
    let passer = sprout_protocol::state_root::TrieState::new(state_root, &nodes)
        .storage_root(sprout_protocol::output::MESSAGE_PASSER)
        .map_err(|e| DevnetError::NotReady(format!("the genesis message passer: {e}")))?;
    let anchor = alloy_primitives::keccak256(sprout_protocol::output::output_preimage_v0(
        state_root,
        passer,
        genesis.header.hash_slow(),
    ));
    let milli = U256::from(10u64).pow(U256::from(15u64));
    let config = DisputeDeployConfig {
        game_type: GAME_TYPE,
        absolute_prestate: proofs.prestate,
        program_config_hash: sprout_fp_program::ProgramConfig::new(rollup.clone(), chain.clone())
            .hash(),
        max_game_depth: 73,
        split_depth: 30,
        clock_extension: 5,
        max_clock_duration: GAME_CLOCK_SECONDS,
        l2_chain_id: L2_CHAIN_ID,
        base_bond: milli,
        bond_growth_wad: U256::from(1_090_000_000_000_000_000u64),
        init_bond: milli,
        guardian: operator,
        owner: operator,
        starting_root: anchor,
        starting_block: 0,
        finality_delay_seconds: 2,
    };
    info!(target: "devnet", %anchor, prestate = %proofs.prestate, "deploying the dispute games");
    Ok(deploy_dispute(l1, operator, &config).await?)
}

/// The genesis state's trie nodes, to read a storage root from: no code, no block hashes.
struct GenesisTrie(sprout_protocol::trie::MemoryNodes);

impl sprout_protocol::trie::TrieNodeProvider for GenesisTrie {
    fn trie_node(
        &self,
        hash: &B256,
    ) -> std::result::Result<alloy_primitives::Bytes, sprout_protocol::trie::TrieError> {
        self.0.trie_node(hash)
    }
}

impl sprout_protocol::state_root::ChainData for GenesisTrie {
    fn code(&self, _: B256) -> sprout_protocol::Result<Option<alloy_primitives::Bytes>> {
        Ok(None)
    }
    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        Err(sprout_protocol::ProtocolError::State(format!(
            "genesis has no block {number} before it"
        )))
    }
}

/// Waits until the L2 at `url` has a block after genesis.
pub(crate) async fn wait_for_block(url: &str, timeout: Duration) -> Result<()> {
    let provider = ProviderBuilder::new().connect_http(
        url.parse()
            .map_err(|_| DevnetError::NotReady(format!("bad L2 url {url}")))?,
    );
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(number) = provider.get_block_number().await
            && number >= 1
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(DevnetError::NotReady(format!(
                "the sequencer served no L2 block at {url} within {} s; see logs/sequencer.log",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes `contents` to `path`, readable by the owner only.
fn write_secret(path: &Path, contents: &str) -> Result<()> {
    use std::{io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
