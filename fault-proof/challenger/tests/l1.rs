//! The solver's moves against the real `FaultDisputeGame` on anvil: the contract takes every
//! honest move through the output bisection down to the execution root, and a wrong root loses
//! once the rogue stops answering.

#[path = "../../../contracts/bindings/tests/it/anvil.rs"]
mod anvil;

use alloy::{
    network::EthereumWallet,
    primitives::{B256, U256, keccak256},
    providers::{Provider, ProviderBuilder},
};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use sprout_challenger::{
    Action, GameInputs, Result, Subgame, TraceProvider, honest_actions, read_game,
};
use sprout_contracts::{
    DisputeDeployConfig, DisputeGameFactory, FaultDisputeGame, PreimageOracle, deploy_dispute,
};

const GAME_TYPE: u32 = 0x5350;
const CLOCK: u64 = 300;

fn dev_signer(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::<English>::default()
        .phrase("test test test test test test test test test test test junk")
        .index(index)
        .expect("index")
        .build()
        .expect("dev key")
}

/// Outputs `keccak("out", block)`; an execution trace that ends in "invalid" (status 1).
struct Trace;

impl TraceProvider for Trace {
    fn output(&mut self, block: u64) -> Result<B256> {
        Ok(keccak256(
            [b"out".as_slice(), &block.to_be_bytes()].concat(),
        ))
    }

    fn state(&mut self, subgame: &Subgame, index: u128) -> Result<B256> {
        let mut h = keccak256([subgame.local_context().as_slice(), &index.to_be_bytes()].concat());
        h.0[0] = if index == 7 { 1 } else { 3 };
        Ok(h)
    }
}

#[tokio::test]
async fn honest_moves_are_accepted_down_to_the_execution_root_and_a_wrong_root_loses() {
    let anvil = anvil::Anvil::start().await;
    let (deployer, challenger, rogue) = (dev_signer(0), dev_signer(1), dev_signer(2));
    let (deployer_address, challenger_address, rogue_address) =
        (deployer.address(), challenger.address(), rogue.address());
    let mut wallet = EthereumWallet::from(deployer);
    wallet.register_signer(challenger);
    wallet.register_signer(rogue);
    let provider = ProviderBuilder::new()
        .wallet(wallet)
        .connect_http(anvil.url.clone());
    let config = DisputeDeployConfig::dev(deployer_address);
    assert_eq!(
        (config.game_type, config.max_clock_duration),
        (GAME_TYPE, CLOCK)
    );
    let addresses = deploy_dispute(&provider, deployer_address, &config)
        .await
        .expect("deploy");
    let factory = DisputeGameFactory::new(addresses.dispute_game_factory, &provider);
    factory
        .create(
            GAME_TYPE,
            B256::repeat_byte(0xee),
            U256::from(3u64).to_be_bytes::<32>().to_vec().into(),
        )
        .value(config.init_bond)
        .from(rogue_address)
        .send()
        .await
        .expect("create")
        .get_receipt()
        .await
        .expect("receipt");
    let address = factory
        .gameAtIndex(U256::ZERO)
        .call()
        .await
        .expect("game")
        .proxy;
    let game = FaultDisputeGame::new(address, &provider);
    let inputs = GameInputs::read(&provider, address, config.absolute_prestate)
        .await
        .expect("inputs");
    assert_eq!(inputs.chain_id, 901);
    assert_eq!(inputs.config_hash, config.program_config_hash);
    assert_eq!(inputs.l1_head, game.l1Head().call().await.expect("l1 head"));
    let wrong = GameInputs::read(&provider, address, B256::repeat_byte(4)).await;
    assert!(
        matches!(&wrong, Err(e) if e.to_string().contains("absolute prestate")),
        "another program is refused"
    );

    let mut moves = 0;
    for _round in 0..12 {
        let state = read_game(&provider, address).await.expect("read game");
        let actions = honest_actions(&state, &mut Trace).expect("actions");
        if actions.is_empty() {
            break;
        }
        for action in actions {
            let Action::Move {
                parent,
                disputed,
                value,
                attack,
                position,
            } = action
            else {
                panic!("no step expected before the execution trace: {action:?}");
            };
            let bond = game.getRequiredBond(position.0).call().await.expect("bond");
            let receipt = game
                .r#move(disputed, U256::from(parent), value, attack)
                .value(bond)
                .from(challenger_address)
                .send()
                .await
                .expect("the contract takes the honest move")
                .get_receipt()
                .await
                .expect("receipt");
            assert!(receipt.status());
            moves += 1;
        }
        // The rogue answers the challenger's newest claim with garbage, down to the split.
        let state = read_game(&provider, address).await.expect("read game");
        let last = state.claims.len() - 1;
        let claim = &state.claims[last];
        if claim.claimant == challenger_address && claim.position.depth() < state.split_depth {
            let bond = game
                .getRequiredBond(claim.position.mv(true).0)
                .call()
                .await
                .expect("bond");
            game.attack(claim.value, U256::from(last), keccak256(last.to_be_bytes()))
                .value(bond)
                .from(rogue_address)
                .send()
                .await
                .expect("rogue move")
                .get_receipt()
                .await
                .expect("receipt");
        }
    }
    let state = read_game(&provider, address).await.expect("read game");
    let exec_root = state.claims.last().expect("claims");
    assert_eq!(
        exec_root.position.depth(),
        state.split_depth + 1,
        "the execution root"
    );
    assert_eq!(exec_root.claimant, challenger_address);
    assert_eq!(exec_root.value[0], 1, "status invalid");
    assert_eq!(
        moves, 3,
        "attacks at depths 1 and 3, then the execution root"
    );

    // The subgame's boot data as the contract loads it: under the local context the crate
    // computes, the disputed output and block and the anchor it starts from.
    let exec_index = state.claims.len() - 1;
    let subgame = state
        .subgame(exec_root.parent.expect("parent"), exec_root.position)
        .expect("subgame");
    let oracle = PreimageOracle::new(addresses.preimage_oracle, &provider);
    let context = subgame.local_context();
    assert_eq!(
        subgame.starting.0, config.starting_root,
        "the first output starts from the anchor"
    );
    let expected = [
        (2u64, subgame.starting.0),
        (3, subgame.disputed.0),
        (4, B256::from(U256::from(subgame.disputed_block) << 192)),
        (6, config.program_config_hash),
    ];
    for (ident, word) in expected {
        game.addLocalData(U256::from(ident), U256::from(exec_index), U256::from(8u64))
            .from(challenger_address)
            .send()
            .await
            .expect("addLocalData")
            .get_receipt()
            .await
            .expect("receipt");
        let mut local = [0u8; 32];
        local[0] = 1;
        local[24..].copy_from_slice(&ident.to_be_bytes());
        let key = oracle
            .localize(B256::from(local), address, context)
            .call()
            .await
            .expect("localize");
        let part = oracle
            .preimageParts(key, U256::from(8u64))
            .call()
            .await
            .expect("part");
        assert_eq!(part, word, "local key {ident}");
    }

    // The rogue stops: resolve children first once the clocks ran out.
    anvil::warp(&provider, 2 * CLOCK).await;
    let now = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("block")
        .expect("block")
        .header
        .timestamp;
    let order = state
        .resolvable(now, &vec![true; state.claims.len()])
        .expect("order");
    assert_eq!(order.len(), state.claims.len());
    for index in order {
        game.resolveClaim(U256::from(index), U256::ZERO)
            .from(challenger_address)
            .send()
            .await
            .expect("resolveClaim")
            .get_receipt()
            .await
            .expect("receipt");
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
    let after = read_game(&provider, address).await.expect("read game");
    assert_eq!(after.claims[0].countered_by, challenger_address);
}
