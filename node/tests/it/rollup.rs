//! Rollup mode against a real anvil L1: deposits of every kind, L1-info, fees, the drift rule
//! while L1 is frozen, and an L1 outage.

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
    predeploys::{BASE_FEE_VAULT, L1_FEE_VAULT, SEQUENCER_FEE_VAULT},
};
use sprout_protocol::{
    GenesisAccount,
    deposit::decode_deposit_log,
    rollup::{BlockId, GenesisSystemConfig, RollupConfig, RollupGenesis},
    tx::SproutTx,
};

use crate::{
    anvil::Anvil,
    harness::{Node, dev_signer, quantity, sign_1559},
};

/// An L2 contract that stores 1 in slot 0.
const STORE_ONE: Address = address!("0x0000000000000000000000000000000000005701");
/// An L2 contract that always reverts.
const REVERTER: Address = address!("0x0000000000000000000000000000000000005702");
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

/// A running `sprout batcher`, killed on drop.
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

impl RollupNet {
    async fn start(max_sequencer_drift: u64) -> Self {
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
        let mut args = vec![
            "--chain".to_string(),
            self.rollup_path.display().to_string(),
            "--l1.rpc-url".into(),
            self.l1_url(),
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
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
            .args([
                "batcher",
                "--chain",
                &self.rollup_path.display().to_string(),
                "--l1.rpc-url",
                &self.l1_url(),
                "--l2.rpc-url",
                &self.node.url,
                "--max-channel-duration",
                "2",
                "--confirmations",
                "1",
                "--poll-interval-ms",
                "200",
                "--resubmit-timeout",
                "5",
            ])
            .args(extra)
            .env(
                "SPROUT_BATCHER_KEY",
                format!("{}", B256::from_slice(&key.to_bytes()[..])),
            )
            .env("SPROUT_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.path().join("batcher.log"))
                    .expect("log file"),
            ))
            .spawn()
            .expect("spawn sprout batcher");
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

#[tokio::test(flavor = "multi_thread")]
async fn deposits_of_every_kind_execute_per_the_spec() {
    let net = RollupNet::start(600).await;
    assert_eq!(
        net.node.call("optimism_rollupConfig", json!([]))["l2_chain_id"],
        901
    );
    let block = net.node.call("eth_getBlockByNumber", json!(["0x1", true]));
    assert_eq!(
        block["transactions"][0]["type"], "0x7e",
        "blocks start with the L1-info deposit"
    );
    // A deposit's `nonce` is the one it used (its receipt's depositNonce), as op-geth reports:
    // the L1-info depositor's nonce counts blocks.
    net.node.wait_for_block(3);
    let info = &net.node.call("eth_getBlockByNumber", json!(["0x3", true]))["transactions"][0];
    assert_eq!(info["nonce"], "0x2");
    let info_hash: B256 = serde_json::from_value(info["hash"].clone()).expect("hash");
    assert_eq!(
        net.node
            .call("eth_getTransactionByHash", json!([info_hash]))["nonce"],
        "0x2"
    );
    assert_eq!(net.l2_receipt(info_hash)["depositNonce"], "0x2");

    // 1. ETH from an EOA: mint 1 ETH to the sender, which sends 0.25 ETH on to alice.
    let alice = address!("0x00000000000000000000000000000000000a11ce");
    let hash = net
        .deposit(net.portal_call(alice, ONE_ETH / 4, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["depositNonce"], "0x0");
    let tx = net.node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["type"], "0x7e");
    assert_eq!(tx["mint"], json!(U256::from(ONE_ETH)));
    assert_eq!(
        tx["from"].as_str().map(str::to_lowercase),
        Some(net.operator.to_string().to_lowercase())
    );
    assert_eq!(balance(&net.node, alice, "latest"), U256::from(ONE_ETH / 4));

    // 2. From an L1 contract: the sender is aliased (+0x1111…1111).
    let forwarder = address!("0x000000000000000000000000000000000000c411");
    let mut code = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x34, 0x73,
    ];
    code.extend_from_slice(net.addresses.portal.as_slice());
    code.extend_from_slice(&[0x5a, 0xf1, 0x00]);
    net.l1
        .raw_request::<_, ()>("anvil_setCode".into(), (forwarder, Bytes::from(code)))
        .await
        .expect("set code");
    let call = Portal::depositTransactionCall {
        _to: alice,
        _value: U256::ZERO,
        _gasLimit: 100_000,
        _isCreation: false,
        _data: Bytes::new(),
    };
    // An explicit gas limit: the forwarder succeeds even when its inner call fails, so an
    // estimate would be too low for the Portal call.
    let via_contract = alloy::rpc::types::TransactionRequest::default()
        .gas_limit(500_000)
        .to(forwarder)
        .value(U256::from(ONE_ETH))
        .input(Bytes::from(call.abi_encode()).into());
    let hash = net.deposit(via_contract).await;
    net.l2_receipt(hash);
    let tx = net.node.call("eth_getTransactionByHash", json!([hash]));
    let aliased = Address::from(
        U256::from_be_slice(forwarder.as_slice())
            .wrapping_add(U256::from_be_slice(
                address!("0x1111000000000000000000000000000000001111").as_slice(),
            ))
            .to_be_bytes::<32>()[12..]
            .try_into()
            .unwrap_or([0u8; 20]),
    );
    net.l2_receipt(hash);
    assert_eq!(
        tx["from"].as_str().map(str::to_lowercase),
        Some(aliased.to_string().to_lowercase())
    );
    assert_eq!(balance(&net.node, aliased, "latest"), U256::from(ONE_ETH));

    // 3. A deposit that calls an L2 contract.
    let hash = net
        .deposit(net.portal_call(STORE_ONE, 0, 100_000, false, Bytes::new(), 0))
        .await;
    assert_eq!(net.l2_receipt(hash)["status"], "0x1");
    assert_eq!(
        net.node
            .call("eth_getStorageAt", json!([STORE_ONE, "0x0", "latest"])),
        json!(B256::with_last_byte(1))
    );

    // 4. A deposit whose L2 call reverts: the mint stays, the nonce is bumped, gas = limit.
    let nonce_before = quantity(
        &net.node
            .call("eth_getTransactionCount", json!([net.operator, "latest"])),
    );
    let before = balance(&net.node, net.operator, "latest");
    let hash = net
        .deposit(net.portal_call(REVERTER, 0, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x0");
    assert_eq!(quantity(&receipt["gasUsed"]), 100_000);
    assert_eq!(
        balance(&net.node, net.operator, "latest"),
        before + U256::from(ONE_ETH)
    );
    assert_eq!(
        quantity(
            &net.node
                .call("eth_getTransactionCount", json!([net.operator, "latest"]))
        ),
        nonce_before + 1
    );

    // 5. Contract creation by deposit.
    let init = Bytes::from_static(&[
        0x60, 0x05, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x05, 0x60, 0x00, 0xf3, 0x60, 0x01, 0x60,
        0x00, 0x55,
    ]);
    let hash = net
        .deposit(net.portal_call(Address::ZERO, 0, 200_000, true, init, 0))
        .await;
    let receipt = net.l2_receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    let created: Address =
        serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    assert_eq!(
        net.node.call("eth_getCode", json!([created, "latest"])),
        "0x6001600055"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn l1_info_fees_and_vaults_match_the_chain() {
    let net = RollupNet::start(600).await;
    // A user transaction in a rollup block pays the L1 data fee.
    let key = dev_signer(3);
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(1),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 = serde_json::from_value(
        net.node
            .call("eth_sendRawTransaction", json!([raw.clone()])),
    )
    .expect("hash");
    let receipt = net.node.receipt(hash);
    let l1_fee: U256 = serde_json::from_value(receipt["l1Fee"].clone()).expect("l1Fee");
    assert!(l1_fee > U256::ZERO);
    let block = receipt["blockNumber"].as_str().expect("number").to_string();
    // GasPriceOracle.getL1Fee(unsigned tx) at that block equals the charge.
    let unsigned = SproutTx::decode_2718_exact(&raw)
        .expect("decodes")
        .unsigned_encoding();
    let get_l1_fee = sprout_contracts::GasPriceOracle::getL1FeeCall {
        _data: Bytes::from(unsigned),
    }
    .abi_encode();
    let quoted = net.node.call("eth_call", json!([{ "to": "0x420000000000000000000000000000000000000F", "data": Bytes::from(get_l1_fee) }, block]));
    let quoted: B256 = serde_json::from_value(quoted).expect("word");
    assert_eq!(U256::from_be_bytes(quoted.0), l1_fee);

    // The vaults received exactly the block's parts.
    let number = quantity(&receipt["blockNumber"]);
    let parent = format!("{:#x}", number - 1);
    let receipts = net.node.call("eth_getBlockReceipts", json!([block]));
    let header = net.node.call("eth_getBlockByNumber", json!([block, false]));
    let base_fee = U256::from(quantity(&header["baseFeePerGas"]));
    let (mut l1_sum, mut base_sum, mut tip_sum) = (U256::ZERO, U256::ZERO, U256::ZERO);
    for r in receipts.as_array().expect("receipts") {
        if r["type"] == "0x7e" {
            continue;
        }
        let gas = U256::from(quantity(&r["gasUsed"]));
        let price: U256 = serde_json::from_value(r["effectiveGasPrice"].clone()).expect("price");
        l1_sum += serde_json::from_value::<U256>(r["l1Fee"].clone()).expect("l1Fee");
        base_sum += gas * base_fee;
        tip_sum += gas * (price - base_fee);
    }
    let delta = |vault| balance(&net.node, vault, &block) - balance(&net.node, vault, &parent);
    assert_eq!(delta(L1_FEE_VAULT), l1_sum);
    assert_eq!(delta(BASE_FEE_VAULT), base_sum);
    assert_eq!(delta(SEQUENCER_FEE_VAULT), tip_sum);

    // L1Block holds the origin's header values.
    let word = |selector: &str| -> U256 {
        let out = net.node.call("eth_call", json!([{ "to": "0x4200000000000000000000000000000000000015", "data": selector }, block]));
        U256::from_be_bytes(serde_json::from_value::<B256>(out).expect("word").0)
    };
    let origin_number = word("0x8381f58a"); // number()
    let origin = net
        .l1
        .get_block_by_number(origin_number.to::<u64>().into())
        .await
        .expect("rpc")
        .expect("origin");
    assert_eq!(word("0xb80777ea"), U256::from(origin.header.timestamp)); // timestamp()
    assert_eq!(
        word("0x5cf24969"),
        U256::from(origin.header.base_fee_per_gas.unwrap_or_default())
    ); // basefee()
    assert_eq!(B256::from(word("0x09bd5a60")), origin.header.hash); // hash()
    let status = net.node.call("optimism_syncStatus", json!([]));
    assert_eq!(
        status["unsafe_l2"]["number"].as_u64().map(|n| n >= number),
        Some(true)
    );
    assert!(status["head_l1"]["number"].is_u64());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_origin_advances_one_epoch_at_a_time_and_the_drift_holds_while_l1_is_frozen() {
    // anvil mines only on transactions here, so L1 is frozen unless we send one.
    let mut net = RollupNet::start(3).await;
    let key = dev_signer(4);
    // Wait until the head is past the drift of its origin: blocks now carry no user transactions.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = net.node.call("optimism_syncStatus", json!([]));
        let l2_time = status["unsafe_l2"]["timestamp"].as_u64().expect("time");
        let origin = status["current_l1"]["timestamp"].as_u64().expect("time");
        if l2_time > origin + 3 {
            break;
        }
        assert!(Instant::now() < deadline, "L2 never passed the drift");
        std::thread::sleep(Duration::from_millis(200));
    }
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(1),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let hash: B256 = serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([raw])))
        .expect("hash");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        net.node
            .call("eth_getTransactionReceipt", json!([hash]))
            .is_null(),
        "included past the drift"
    );
    // L1 moves: the origin advances (one epoch per block) and the transaction is included.
    net.l1
        .raw_request::<_, ()>("anvil_mine".into(), (3u64,))
        .await
        .expect("mine");
    let receipt = net.node.receipt(hash);
    assert_eq!(receipt["status"], "0x1");
    // Origins along the chain never go backwards and never skip.
    let head = quantity(&net.node.call("eth_blockNumber", json!([])));
    let mut last: Option<u64> = None;
    for n in 1..=head {
        let block = net
            .node
            .call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        let input = block["transactions"][0]["input"]
            .as_str()
            .expect("input")
            .to_string();
        let origin = u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number");
        if let Some(prev) = last {
            assert!(
                origin == prev || origin == prev + 1,
                "origin moved from {prev} to {origin} at block {n}"
            );
        }
        last = Some(origin);
    }

    // L1 hangs (anvil paused): the sequencer keeps producing on its origin.
    let anvil = net.anvil.take().expect("anvil");
    let origin_before = origin_of(&net.node, net.node.block_number());
    signal(anvil.pid(), "STOP");
    let before = net.node.block_number();
    net.node.wait_for_block(before + 3);
    // L1 comes back and moves on: the origin catches up.
    signal(anvil.pid(), "CONT");
    net.l1
        .raw_request::<_, ()>("anvil_mine".into(), (3u64,))
        .await
        .expect("mine");
    let deadline = Instant::now() + Duration::from_secs(30);
    while origin_of(&net.node, net.node.block_number()) < origin_before + 3 {
        assert!(
            Instant::now() < deadline,
            "the origin did not advance after L1 came back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // L1 goes away for good (refused connections): blocks still come.
    drop(anvil);
    let before = net.node.block_number();
    net.node.wait_for_block(before + 2);
}

/// The L1 origin number an L2 block names, from its L1-info deposit.
pub fn origin_of(node: &Node, number: u64) -> u64 {
    let block = node.call(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), true]),
    );
    let input = block["transactions"][0]["input"].as_str().expect("input");
    u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number")
}

fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{sig} {pid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l1_reorg_of_the_origin_rolls_back_unsafe_blocks_and_drops_its_deposits() {
    let net = RollupNet::start(600).await;
    let key = dev_signer(5);
    // A deposit in L1 block B, and an L2 transfer in a block built on origin B.
    let bob = address!("0x0000000000000000000000000000000000000b0b");
    let deposit = net
        .deposit(net.portal_call(bob, ONE_ETH, 100_000, false, Bytes::new(), ONE_ETH))
        .await;
    let deposit_receipt = net.l2_receipt(deposit);
    let deposit_block = quantity(&deposit_receipt["blockNumber"]);
    let origin = origin_of(&net.node, deposit_block);
    assert_eq!(balance(&net.node, bob, "latest"), U256::from(ONE_ETH));
    let raw = sign_1559(
        &key,
        0,
        Some(address!("0x000000000000000000000000000000000000dEaD")),
        U256::from(7),
        21_000,
        10_000_000_000,
        1_000_000,
        Bytes::new(),
    );
    let transfer: B256 =
        serde_json::from_value(net.node.call("eth_sendRawTransaction", json!([raw])))
            .expect("hash");
    let transfer_block = quantity(&net.node.receipt(transfer)["blockNumber"]);
    assert!(transfer_block > deposit_block);
    let old_hash = net.node.call(
        "eth_getBlockByNumber",
        json!([format!("{deposit_block:#x}"), false]),
    )["hash"]
        .clone();

    // L1 replaces block B (and nothing else) with an empty one.
    let l1_head = net.l1.get_block_number().await.expect("l1 head");
    assert_eq!(l1_head, origin, "the deposit's block is the L1 head");
    net.l1
        .raw_request::<_, ()>("anvil_reorg".into(), (1u64, Vec::<Value>::new()))
        .await
        .expect("anvil_reorg");
    let new_b = net
        .l1
        .get_block_by_number(origin.into())
        .await
        .expect("rpc")
        .expect("block");
    assert!(new_b.transactions.is_empty());

    // The sequencer rolls back the blocks built on the lost B: the deposit is gone, the
    // transfer is included again, and every block names a canonical origin.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let gone = net
            .node
            .call("eth_getTransactionReceipt", json!([deposit]))
            .is_null();
        let again = net
            .node
            .call("eth_getTransactionReceipt", json!([transfer]));
        if gone && !again.is_null() {
            assert_eq!(again["status"], "0x1");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sequencer did not follow the L1 reorg"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(balance(&net.node, bob, "latest"), U256::ZERO);
    let head = net.node.block_number();
    assert!(head >= deposit_block);
    assert_ne!(
        net.node.call(
            "eth_getBlockByNumber",
            json!([format!("{deposit_block:#x}"), false])
        )["hash"],
        old_hash,
        "the block that held the deposit was replaced"
    );
    for n in 1..=head {
        let block = net
            .node
            .call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        let input = block["transactions"][0]["input"].as_str().expect("input");
        let number = u64::from_str_radix(&input[2 + 56..2 + 72], 16).expect("number");
        let hash = format!("0x{}", &input[2 + 200..2 + 264]);
        let l1 = net
            .l1
            .get_block_by_number(number.into())
            .await
            .expect("rpc")
            .expect("block");
        assert_eq!(
            l1.header.hash.to_string(),
            hash,
            "L2 block {n} names a non-canonical origin"
        );
    }
    // The chain goes on.
    net.node.wait_for_block(head + 2);
}
