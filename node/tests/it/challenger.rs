//! `sprout challenger list-games` against dispute games on a real anvil.

use std::process::Command;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::ProviderBuilder,
};
use serde_json::Value;
use sprout_contracts::{DisputeDeployConfig, DisputeGameFactory, deploy_dispute};

use crate::{anvil::Anvil, harness::dev_signer};

fn list_games(url: &str, factory: Address, json: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sprout"));
    cmd.args(["challenger", "list-games", "--l1.rpc-url", url])
        .args(["--factory", &factory.to_string()]);
    if json {
        cmd.arg("--json");
    }
    cmd.output().expect("run sprout challenger list-games")
}

#[tokio::test]
async fn list_games_shows_each_game_newest_first() {
    let anvil = Anvil::start().await;
    let deployer = dev_signer(0);
    let address = deployer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer))
        .connect_http(anvil.url.clone());
    let bond = U256::from(10u64).pow(U256::from(15u64));
    let config = DisputeDeployConfig {
        game_type: 0x5350,
        absolute_prestate: B256::repeat_byte(3),
        program_config_hash: B256::repeat_byte(6),
        max_game_depth: 8,
        split_depth: 4,
        clock_extension: 30,
        max_clock_duration: 300,
        l2_chain_id: 901,
        base_bond: bond,
        bond_growth_wad: U256::from(1_500_000_000_000_000_000u64),
        init_bond: bond,
        guardian: address,
        owner: address,
        starting_root: B256::repeat_byte(9),
        starting_block: 0,
        finality_delay_seconds: 10,
    };
    let addresses = deploy_dispute(&provider, address, &config)
        .await
        .expect("deploy");
    let factory_address = addresses.dispute_game_factory;
    let url = anvil.url.to_string();

    let out = list_games(&url, factory_address, false);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no games"));

    let factory = DisputeGameFactory::new(factory_address, &provider);
    for (block, root) in [
        (3u64, B256::repeat_byte(0xaa)),
        (5, B256::repeat_byte(0xbb)),
    ] {
        factory
            .create(
                0x5350,
                root,
                U256::from(block).to_be_bytes::<32>().to_vec().into(),
            )
            .value(bond)
            .send()
            .await
            .expect("create")
            .get_receipt()
            .await
            .expect("receipt");
    }
    let out = list_games(&url, factory_address, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let games: Value = serde_json::from_slice(&out.stdout).expect("json");
    let games = games.as_array().expect("array");
    assert_eq!(games.len(), 2);
    assert_eq!(games[0]["index"], 1, "newest first");
    assert_eq!(games[0]["l2Block"], 5);
    assert_eq!(games[0]["rootClaim"], B256::repeat_byte(0xbb).to_string());
    assert_eq!(games[1]["l2Block"], 3);
    assert_eq!(games[1]["status"], "IN_PROGRESS");
    assert_eq!(games[1]["claims"], 1);
    assert_eq!(games[1]["creator"], address.to_string().to_lowercase());
    let table = list_games(&url, factory_address, false);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("IN_PROGRESS") && text.contains("l2 block"),
        "{text}"
    );

    // Not a factory: a clear error, not an empty list.
    let out = list_games(&url, Address::repeat_byte(0x42), true);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no contract at"), "{err}");
}
