//! A test rollup on a real anvil L1: the L1 contracts deployed, an L2 genesis with the
//! predeploys, and `sprout` processes (sequencer, followers, batchers) on its files, each logging
//! to its own file in the rollup's directory (`SPROUT_TEST_LOGS=1` keeps it).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, U256, address},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol_types::SolCall,
};
use serde_json::{Value, json};
use sprout_contracts::{
    FeeVaultConfig, L1Addresses, L1DeployConfig, Portal, deploy_l1, predeploys,
    predeploys::SEQUENCER_FEE_VAULT,
};
use sprout_protocol::{
    GenesisAccount,
    deposit::decode_deposit_log,
    rollup::{BlockId, GenesisSystemConfig, RollupConfig, RollupGenesis},
    tx::SproutTx,
};

use crate::{
    anvil::Anvil,
    harness::{Node, dev_signer},
};

/// An L2 contract that stores 1 in slot 0.
pub const STORE_ONE: Address = address!("0x0000000000000000000000000000000000005701");
/// An L2 contract that always reverts.
pub const REVERTER: Address = address!("0x0000000000000000000000000000000000005702");
pub const ONE_ETH: u128 = 1_000_000_000_000_000_000;

pub struct RollupNet {
    pub anvil: Option<Anvil>,
    pub l1: DynProvider,
    pub addresses: L1Addresses,
    pub operator: Address,
    /// The sequencer.
    pub node: Node,
    /// `rollup.json` (with `genesis.json` beside it).
    pub rollup_path: std::path::PathBuf,
    pub dir: tempfile::TempDir,
    sequencer_args: Vec<String>,
}

/// A running role process (`sprout batcher`, `sprout proposer`), killed on drop.
pub struct Batcher {
    pub child: std::process::Child,
}

impl Batcher {
    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How a test rollup is set up.
#[derive(Clone, Copy, Debug)]
pub struct NetParams {
    pub max_sequencer_drift: u64,
    pub seq_window_size: u64,
    pub channel_timeout: u64,
    /// Seconds between L1 blocks; `None`: L1 mines only on transactions.
    pub l1_block_time: Option<u64>,
}

impl Default for NetParams {
    fn default() -> Self {
        Self {
            max_sequencer_drift: 600,
            seq_window_size: 3600,
            channel_timeout: 300,
            l1_block_time: None,
        }
    }
}

/// The batcher's key in test rollups (its own, so its nonces never race the tests').
pub fn batcher_key() -> alloy::signers::local::PrivateKeySigner {
    dev_signer(9)
}

/// The proposer's key in test rollups: the L2OutputOracle's proposer.
pub fn proposer_key() -> alloy::signers::local::PrivateKeySigner {
    dev_signer(8)
}

impl RollupNet {
    pub async fn start(max_sequencer_drift: u64) -> Self {
        Self::start_with(NetParams {
            max_sequencer_drift,
            ..Default::default()
        })
        .await
    }

    pub async fn start_with(params: NetParams) -> Self {
        let anvil = Anvil::start().await;
        let signer = dev_signer(0);
        let operator = signer.address();
        let l1 = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(anvil.url.clone())
            .erased();
        let mut deploy = L1DeployConfig::dev(operator);
        // The SystemConfig names the same batcher as the rollup config.
        deploy.batcher = batcher_key().address();
        deploy.proposer = proposer_key().address();
        let addresses = deploy_l1(&l1, operator, deploy.clone())
            .await
            .expect("deploy");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs();
        let mut chain = sprout_node::dev::dev_chain_config(901, 1, 30_000_000).expect("dev config");
        chain.genesis.timestamp = now;
        chain.fee_recipient = SEQUENCER_FEE_VAULT;
        for (address, code, storage) in predeploys(FeeVaultConfig {
            recipient: operator,
            min_withdrawal: U256::ZERO,
        }) {
            let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
            chain.genesis.alloc.insert(
                address,
                GenesisAccount {
                    code: Some(code),
                    storage,
                    ..Default::default()
                },
            );
        }
        for (address, code) in [
            (STORE_ONE, &[0x60, 0x01, 0x60, 0x00, 0x55][..]),
            (REVERTER, &[0x60, 0x00, 0x60, 0x00, 0xfd][..]),
        ] {
            chain.genesis.alloc.insert(
                address,
                GenesisAccount {
                    code: Some(Bytes::copy_from_slice(code)),
                    ..Default::default()
                },
            );
        }
        let genesis_hash = chain.genesis().expect("genesis").header.hash_slow();
        let head = l1
            .get_block_by_number(Default::default())
            .await
            .expect("rpc")
            .expect("head");
        let rollup = RollupConfig {
            genesis: RollupGenesis {
                l1: BlockId {
                    hash: head.header.hash,
                    number: head.header.number,
                },
                l2: BlockId {
                    hash: genesis_hash,
                    number: 0,
                },
                l2_time: now,
                system_config: GenesisSystemConfig {
                    batcher_addr: batcher_key().address(),
                    base_fee_scalar: deploy.basefee_scalar,
                    blob_base_fee_scalar: deploy.blobbasefee_scalar,
                    gas_limit: 30_000_000,
                },
            },
            block_time: 1,
            max_sequencer_drift: params.max_sequencer_drift,
            seq_window_size: params.seq_window_size,
            channel_timeout: params.channel_timeout,
            l1_chain_id: 31337,
            l2_chain_id: 901,
            batch_inbox_address: addresses.batch_inbox,
            deposit_contract_address: addresses.portal,
            l1_system_config_address: addresses.system_config,
            l2_output_oracle_address: addresses.l2_output_oracle,
            regolith_time: None,
            canyon_time: None,
            ecotone_time: None,
        };
        let mut dir = tempfile::tempdir().expect("tmp");
        if std::env::var_os("SPROUT_TEST_LOGS").is_some() {
            // Keep the datadirs and logs for a look after the run.
            dir.disable_cleanup(true);
            eprintln!("rollup test files: {}", dir.path().display());
        }
        let chain_path = dir.path().join("genesis.json");
        let rollup_path = dir.path().join("rollup.json");
        std::fs::write(
            &chain_path,
            serde_json::to_vec_pretty(&chain).expect("json"),
        )
        .expect("write");
        std::fs::write(
            &rollup_path,
            serde_json::to_vec_pretty(&rollup).expect("json"),
        )
        .expect("write");
        let sequencer_args = vec![
            // The rollup config alone: the genesis is `genesis.json` beside it.
            "--chain".into(),
            rollup_path.display().to_string(),
            "--l1.rpc-url".into(),
            anvil.url.to_string(),
            // anvil serves the beacon API on its RPC port; only blob batches need it.
            "--l1.beacon".into(),
            anvil.url.to_string(),
            "--sequencer".into(),
            "--l1.confirmations".into(),
            "0".into(),
            "--datadir".into(),
            dir.path().join("data").display().to_string(),
        ];
        let node = Node::spawn_logged(&sequencer_args, Some(&dir.path().join("sequencer.log")));
        node.wait_for_block(1);
        if let Some(seconds) = params.l1_block_time {
            l1.raw_request::<_, ()>("evm_setIntervalMining".into(), (seconds,))
                .await
                .expect("interval mining");
        }
        Self {
            anvil: Some(anvil),
            l1,
            addresses,
            operator,
            node,
            rollup_path,
            dir,
            sequencer_args,
        }
    }

    /// Starts the sequencer again on its datadir (after `node.kill()`), on the same port so
    /// that the batcher and followers find it.
    pub fn restart_sequencer(&mut self) {
        let port = self.node.url.rsplit(':').next().expect("port").to_string();
        let mut args = self.sequencer_args.clone();
        args.extend(["--http.port".to_string(), port]);
        self.node = Node::spawn_logged(&args, Some(&self.dir.path().join("sequencer.log")));
    }

    /// The L1 RPC URL.
    pub fn l1_url(&self) -> String {
        self.anvil.as_ref().expect("anvil").url.to_string()
    }

    /// Starts a follower of this rollup on a fresh datadir `name`, forwarding transactions to
    /// the sequencer.
    pub fn follower(&self, name: &str) -> Node {
        self.node_on(
            name,
            &["--rollup.sequencer-http".into(), self.node.url.clone()],
        )
    }

    /// Like [`follower`](Self::follower), reading blobs from anvil's beacon API
    /// (`--l1.beacon`) and with `extra` flags.
    pub fn follower_with(&self, name: &str, extra: &[&str]) -> Node {
        let mut args = vec![
            "--rollup.sequencer-http".to_string(),
            self.node.url.clone(),
            "--l1.beacon".into(),
            self.l1_url(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        self.node_on(name, &args)
    }

    /// Starts a `sprout node` of this rollup on datadir `name` with `extra` flags.
    pub fn node_on(&self, name: &str, extra: &[String]) -> Node {
        self.node_via(name, &self.l1_url(), extra)
    }

    /// Like [`node_on`](Self::node_on), reading L1 from `l1_url`.
    pub fn node_via(&self, name: &str, l1_url: &str, extra: &[String]) -> Node {
        let mut args = vec![
            "--chain".to_string(),
            self.rollup_path.display().to_string(),
            "--l1.rpc-url".into(),
            l1_url.to_string(),
            "--datadir".into(),
            self.dir.path().join(name).display().to_string(),
        ];
        args.extend(extra.iter().cloned());
        Node::spawn_logged(&args, Some(&self.dir.path().join(format!("{name}.log"))))
    }

    /// Starts `sprout batcher` for this rollup (small channels, one confirmation, fast polls).
    pub fn batcher(&self) -> Batcher {
        self.batcher_with(&[])
    }

    /// Like [`batcher`](Self::batcher), with `extra` flags (`--da blobs`).
    pub fn batcher_with(&self, extra: &[&str]) -> Batcher {
        self.batcher_keyed(&batcher_key(), extra)
    }

    /// A batcher with key `key`.
    pub fn batcher_keyed(
        &self,
        key: &alloy::signers::local::PrivateKeySigner,
        extra: &[&str],
    ) -> Batcher {
        let mut args = vec![
            "--max-channel-duration",
            "2",
            "--confirmations",
            "1",
            "--resubmit-timeout",
            "5",
        ];
        args.extend(extra);
        self.role("batcher", "SPROUT_BATCHER_KEY", key, &args)
    }

    /// Starts `sprout proposer` for this rollup against the sequencer, with the oracle's
    /// proposer key, fast polls and `extra` flags (`--l2.verify-rpc-url`).
    pub fn proposer(&self, extra: &[&str]) -> Batcher {
        self.role("proposer", "SPROUT_PROPOSER_KEY", &proposer_key(), extra)
    }

    /// Starts `sprout <role>` of this rollup with its key in `key_env`, logging to
    /// `<role>.log`.
    pub fn role(
        &self,
        role: &str,
        key_env: &str,
        key: &alloy::signers::local::PrivateKeySigner,
        extra: &[&str],
    ) -> Batcher {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
            .args([
                role,
                "--chain",
                &self.rollup_path.display().to_string(),
                "--l1.rpc-url",
                &self.l1_url(),
                "--l2.rpc-url",
                &self.node.url,
                "--poll-interval-ms",
                "200",
            ])
            .args(extra)
            .env(
                key_env,
                format!("{}", B256::from_slice(&key.to_bytes()[..])),
            )
            .env("SPROUT_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.path().join(format!("{role}.log")))
                    .expect("log file"),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn sprout {role}: {e}"));
        Batcher { child }
    }

    /// Sends an L1 transaction and returns its receipt.
    pub async fn l1_send(
        &self,
        tx: alloy::rpc::types::TransactionRequest,
    ) -> alloy::rpc::types::TransactionReceipt {
        self.l1
            .send_transaction(tx)
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("receipt")
    }

    /// Sends an L1 transaction and returns the L2 hash of the deposit it emitted.
    pub async fn deposit(&self, tx: alloy::rpc::types::TransactionRequest) -> B256 {
        let receipt = self
            .l1
            .send_transaction(tx)
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "L1 transaction reverted");
        let log = receipt
            .inner
            .logs()
            .iter()
            .find(|l| l.address() == self.addresses.portal)
            .expect("a TransactionDeposited log");
        let deposit = decode_deposit_log(
            &log.inner,
            receipt.block_hash.expect("hash"),
            log.log_index.expect("index"),
        )
        .expect("decodes");
        SproutTx::Deposit(deposit).hash()
    }

    pub fn l2_receipt(&self, hash: B256) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let receipt = self.node.call("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(
                Instant::now() < deadline,
                "deposit {hash} did not reach L2 within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn portal_call(
        &self,
        to: Address,
        value: u128,
        gas: u64,
        creation: bool,
        data: Bytes,
        mint: u128,
    ) -> alloy::rpc::types::TransactionRequest {
        let call = Portal::depositTransactionCall {
            _to: to,
            _value: U256::from(value),
            _gasLimit: gas,
            _isCreation: creation,
            _data: data,
        };
        alloy::rpc::types::TransactionRequest::default()
            .to(self.addresses.portal)
            .value(U256::from(mint))
            .input(Bytes::from(call.abi_encode()).into())
    }
}

pub fn balance(node: &Node, who: Address, block: &str) -> U256 {
    serde_json::from_value(node.call("eth_getBalance", json!([who, block]))).expect("balance")
}
