//! The fault-proof contracts deployed by `deploy_dispute` on a real anvil: a game created
//! through the factory, attacked, resolved when the clocks run out, and its bonds paid.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use sprout_contracts::{
    AnchorStateRegistry, ContractsError, DisputeDeployConfig, DisputeGameFactory, FaultDisputeGame,
    deploy_dispute,
};

use crate::{anvil, anvil::Anvil, dev_signer};

const GAME_TYPE: u32 = 0x5350;
const CLOCK: u64 = 300;
const FINALITY: u64 = 10;

/// `DisputeDeployConfig::dev`, whose clock and finality delay the assertions below name.
fn config(owner: Address) -> DisputeDeployConfig {
    let config = DisputeDeployConfig::dev(owner);
    assert_eq!(
        (
            config.game_type,
            config.max_clock_duration,
            config.finality_delay_seconds
        ),
        (GAME_TYPE, CLOCK, FINALITY)
    );
    config
}

#[tokio::test]
async fn a_game_from_the_factory_is_attacked_resolved_and_pays_its_bonds() {
    let anvil = Anvil::start().await;
    let (deployer, challenger) = (dev_signer(0), dev_signer(1));
    let (deployer_address, challenger_address) = (deployer.address(), challenger.address());
    let mut wallet = EthereumWallet::from(deployer);
    wallet.register_signer(challenger);
    let provider = ProviderBuilder::new()
        .wallet(wallet)
        .connect_http(anvil.url.clone());

    let cfg = config(deployer_address);
    let addresses = deploy_dispute(&provider, deployer_address, &cfg)
        .await
        .expect("deploy");
    let factory = DisputeGameFactory::new(addresses.dispute_game_factory, &provider);
    let registry = AnchorStateRegistry::new(addresses.anchor_state_registry, &provider);
    assert_eq!(
        factory.gameImpls(GAME_TYPE).call().await.expect("impl"),
        addresses.game_implementation
    );
    assert_eq!(
        factory.initBonds(GAME_TYPE).call().await.expect("bond"),
        cfg.init_bond
    );
    assert_eq!(
        factory.owner().call().await.expect("owner"),
        deployer_address
    );
    assert_eq!(
        registry.disputeGameFactory().call().await.expect("factory"),
        addresses.dispute_game_factory
    );

    // A wrong root for block 3, with the init bond.
    let root = B256::repeat_byte(0xaa);
    let extra = U256::from(3u64).to_be_bytes::<32>().to_vec();
    // Checked with eth_call: a send that fails its estimate would still use up a cached nonce.
    let wrong_bond = factory
        .create(GAME_TYPE, root, extra.clone().into())
        .value(cfg.init_bond + U256::from(1u64))
        .from(deployer_address)
        .call()
        .await;
    assert!(wrong_bond.is_err(), "a wrong init bond is refused");
    let receipt = factory
        .create(GAME_TYPE, root, extra.into())
        .value(cfg.init_bond)
        .from(deployer_address)
        .send()
        .await
        .expect("create")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    assert_eq!(
        factory.gameCount().call().await.expect("count"),
        U256::from(1u64)
    );
    let proxy = factory
        .gameAtIndex(U256::ZERO)
        .call()
        .await
        .expect("game")
        .proxy;
    let game = FaultDisputeGame::new(proxy, &provider);
    assert_eq!(game.rootClaim().call().await.expect("root"), root);
    assert_eq!(
        game.l2SequenceNumber().call().await.expect("number"),
        U256::from(3u64)
    );
    assert_eq!(
        game.startingRootHash().call().await.expect("anchor"),
        cfg.starting_root
    );
    let created_in = provider
        .get_block_by_number(receipt.block_number.expect("block").into())
        .await
        .expect("block")
        .expect("block");
    assert_eq!(
        game.l1Head().call().await.expect("l1 head"),
        created_in.header.parent_hash
    );

    // The challenger attacks with the bond of depth 1.
    let bond = game.getRequiredBond(2).call().await.expect("bond");
    assert_eq!(bond, cfg.base_bond * U256::from(3u64) / U256::from(2u64));
    let attack = game
        .attack(root, U256::ZERO, B256::repeat_byte(0xbb))
        .value(bond)
        .from(challenger_address)
        .send()
        .await
        .expect("attack")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(attack.status());
    assert_eq!(
        game.claimDataLen().call().await.expect("len"),
        U256::from(2u64)
    );

    // The rogue gives up: once both clocks ran out, the attack stands.
    assert!(
        game.resolveClaim(U256::ZERO, U256::ZERO)
            .from(challenger_address)
            .call()
            .await
            .is_err(),
        "the root cannot resolve before its clock runs out"
    );
    anvil::warp(&provider, 2 * CLOCK).await;
    for index in [1u64, 0] {
        let r = game
            .resolveClaim(U256::from(index), U256::ZERO)
            .from(challenger_address)
            .send()
            .await
            .expect("resolveClaim")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(r.status());
    }
    game.resolve()
        .from(challenger_address)
        .send()
        .await
        .expect("resolve")
        .get_receipt()
        .await
        .expect("receipt");
    assert_eq!(
        game.status().call().await.expect("status"),
        1,
        "CHALLENGER_WINS"
    );

    anvil::warp(&provider, FINALITY + 1).await;
    assert!(
        registry
            .isGameFinalized(proxy)
            .call()
            .await
            .expect("finalized")
    );
    assert!(
        !registry
            .isGameClaimValid(proxy)
            .call()
            .await
            .expect("valid")
    );
    assert_eq!(
        game.credit(challenger_address)
            .call()
            .await
            .expect("credit"),
        cfg.init_bond + bond
    );
    game.claimCredit(challenger_address)
        .from(challenger_address)
        .send()
        .await
        .expect("claimCredit")
        .get_receipt()
        .await
        .expect("receipt");
    assert_eq!(
        provider.get_balance(proxy).await.expect("balance"),
        U256::ZERO
    );
    assert_eq!(
        game.bondDistributionMode().call().await.expect("mode"),
        1,
        "NORMAL"
    );
}

#[tokio::test]
async fn an_unfunded_deployer_gets_insufficient_funds_before_any_dispute_contract_is_sent() {
    let anvil = Anvil::start().await;
    let signer = PrivateKeySigner::random();
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.clone());
    let err = deploy_dispute(&provider, deployer, &config(deployer))
        .await
        .expect_err("unfunded");
    assert!(
        matches!(err, ContractsError::InsufficientFunds { account, .. } if account == deployer),
        "{err}"
    );
    assert_eq!(
        provider
            .get_transaction_count(deployer)
            .await
            .expect("nonce"),
        0,
        "nothing was sent"
    );
}
