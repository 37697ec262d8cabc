//! `sprout challenger` and `sprout challenger list-games` against dispute games on a real
//! anvil, the challenger playing from a real sequencer's outputs.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
};
use serde_json::{Value, json};
use sprout_contracts::{DisputeDeployConfig, DisputeGameFactory, FaultDisputeGame, deploy_dispute};

use crate::{
    anvil::Anvil,
    harness::dev_signer,
    rollupnet::{NetParams, RollupNet},
};

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
    let config = DisputeDeployConfig::dev(address);
    let bond = config.init_bond;
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

pub(crate) fn sync_safe(net: &RollupNet) -> u64 {
    net.node.call("optimism_syncStatus", json!([]))["safe_l2"]["number"]
        .as_u64()
        .expect("safe head")
}

pub(crate) fn output_root(net: &RollupNet, block: u64) -> B256 {
    let out = net
        .node
        .call("optimism_outputAtBlock", json!([format!("{block:#x}")]));
    out["outputRoot"]
        .as_str()
        .expect("outputRoot")
        .parse()
        .expect("hash")
}

pub(crate) async fn warp(net: &RollupNet, seconds: u64) {
    crate::anvil::warp(&net.l1, seconds).await;
}

/// Polls `check` every 300 ms until it holds, or fails after `within` naming `what`.
pub(crate) async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {within:?} (see challenger.log, SPROUT_TEST_LOGS=1)"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The dispute contracts on `net`'s L1 for its chain: our program's prestate and config hash,
/// the anchor at L2 genesis, 5 s clock extension and 1 s finality delay, then `tweak`.
pub(crate) async fn deploy_games(
    net: &RollupNet,
    tweak: impl FnOnce(&mut DisputeDeployConfig),
) -> (sprout_contracts::DisputeAddresses, DisputeDeployConfig) {
    let owner = net.operator;
    let mut config = DisputeDeployConfig::dev(owner);
    config.absolute_prestate = include_str!("../../../fault-proof/program/PRESTATE")
        .trim()
        .parse()
        .expect("PRESTATE");
    let rollup = sprout_node::role_args::load_rollup(&net.rollup_path).expect("rollup.json");
    let chain = sprout_storage::Storage::open_read_only(&net.dir.path().join("data/db"))
        .expect("open the sequencer's database")
        .chain_config()
        .expect("read")
        .expect("chain config");
    config.program_config_hash = sprout_fp_program::ProgramConfig::new(rollup, chain).hash();
    config.clock_extension = 5;
    config.finality_delay_seconds = 1;
    config.starting_root = output_root(net, 0);
    tweak(&mut config);
    let addresses = deploy_dispute(&net.l1, owner, &config)
        .await
        .expect("deploy the dispute contracts");
    (addresses, config)
}

/// Two games on a real rollup (sequencer, batcher, anvil L1) and a `sprout challenger`
/// process: a rogue's wrong root, which the challenger attacks and wins once the rogue stops
/// answering; and an honest root that a rogue attacks, which the challenger defends. It resolves
/// both when the clocks run out and claims its bonds once the games are final. It is SIGKILLed
/// mid-game and restarted on the way.
#[tokio::test(flavor = "multi_thread")]
async fn challenger_beats_a_wrong_root_and_defends_a_right_one() {
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher();
    let (rogue, challenger) = (dev_signer(5), dev_signer(6));
    let (rogue_address, challenger_address) = (rogue.address(), challenger.address());
    wait_until("L2 block 8 safe", Duration::from_secs(90), || async {
        sync_safe(&net) >= 8
    })
    .await;

    let (addresses, config) = deploy_games(&net, |c| {
        c.max_game_depth = 36;
        c.max_clock_duration = 40;
    })
    .await;
    let rogue_l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(rogue))
        .connect_http(net.l1_url().parse().expect("url"));
    let factory = DisputeGameFactory::new(addresses.dispute_game_factory, &rogue_l1);
    let create = async |root: B256| {
        factory
            .create(
                config.game_type,
                root,
                U256::from(8u64).to_be_bytes::<32>().to_vec().into(),
            )
            .value(config.init_bond)
            .send()
            .await
            .expect("create")
            .get_receipt()
            .await
            .expect("receipt");
        let count = factory.gameCount().call().await.expect("gameCount");
        factory
            .gameAtIndex(count - U256::from(1))
            .call()
            .await
            .expect("gameAtIndex")
            .proxy
    };
    let wrong = create(B256::repeat_byte(0xba)).await;
    let right = create(output_root(&net, 8)).await;
    // The rogue attacks the right root with a wrong output for block 8.
    let right_game = FaultDisputeGame::new(right, &rogue_l1);
    let bond = right_game.getRequiredBond(2).call().await.expect("bond");
    right_game
        .r#move(
            output_root(&net, 8),
            U256::ZERO,
            B256::repeat_byte(0xbb),
            true,
        )
        .value(bond)
        .send()
        .await
        .expect("rogue attack")
        .get_receipt()
        .await
        .expect("receipt");

    let mut cmd_args = vec![
        "--factory".to_string(),
        addresses.dispute_game_factory.to_string(),
    ];
    cmd_args.extend(["--min-balance".into(), "0.01".into()]);
    let args: Vec<&str> = cmd_args.iter().map(String::as_str).collect();
    let mut first = net.role("challenger", "SPROUT_CHALLENGER_KEY", &challenger, &args);

    let claims = async |game: Address| {
        FaultDisputeGame::new(game, &rogue_l1)
            .claimDataLen()
            .call()
            .await
            .expect("claimDataLen")
    };
    // SIGKILL as soon as its first move lands (the second may be in flight), then a new
    // process on the same key: every move is made, none twice.
    wait_until(
        "the challenger's first move",
        Duration::from_secs(90),
        || async { claims(wrong).await == U256::from(2) },
    )
    .await;
    first.kill();
    let _challenger = net.role("challenger", "SPROUT_CHALLENGER_KEY", &challenger, &args);
    wait_until(
        "the challenger's moves",
        Duration::from_secs(90),
        || async { claims(wrong).await == U256::from(2) && claims(right).await == U256::from(3) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(claims(wrong).await, U256::from(2), "no move made twice");
    assert_eq!(claims(right).await, U256::from(3), "no move made twice");
    let wrong_game = FaultDisputeGame::new(wrong, &rogue_l1);
    let attack = wrong_game
        .claimData(U256::from(1))
        .call()
        .await
        .expect("claim");
    assert_eq!(
        attack.claimant, challenger_address,
        "it attacks the wrong root"
    );
    assert_eq!(attack.position, 2);
    assert_eq!(attack.claim, output_root(&net, 8));
    let counter = right_game
        .claimData(U256::from(2))
        .call()
        .await
        .expect("claim");
    assert_eq!(
        counter.claimant, challenger_address,
        "it counters the rogue's attack"
    );
    assert_eq!(counter.parentIndex, 1);
    assert_eq!(counter.position, 4, "an attack on the rogue's claim");
    // The mid-point of blocks 1..8: block 4.
    assert_eq!(counter.claim, output_root(&net, 4));

    // Nobody answers; the clocks run out and the challenger resolves both games.
    warp(&net, config.max_clock_duration + 1).await;
    let status = async |game: Address| {
        FaultDisputeGame::new(game, &rogue_l1)
            .status()
            .call()
            .await
            .expect("status")
    };
    wait_until("both games resolved", Duration::from_secs(90), || async {
        status(wrong).await != 0 && status(right).await != 0
    })
    .await;
    assert_eq!(status(wrong).await, 1, "CHALLENGER_WINS");
    assert_eq!(status(right).await, 2, "DEFENDER_WINS");

    // Once final, it claims every bond it won: the rogue's root and attack, and its own.
    let before = net
        .l1
        .get_balance(challenger_address)
        .await
        .expect("balance");
    warp(&net, config.finality_delay_seconds + 1).await;
    wait_until("credits claimed", Duration::from_secs(60), || async {
        let w = wrong_game
            .credit(challenger_address)
            .call()
            .await
            .expect("credit");
        let r = right_game
            .credit(challenger_address)
            .call()
            .await
            .expect("credit");
        let closed = wrong_game
            .bondDistributionMode()
            .call()
            .await
            .expect("mode")
            == 1
            && right_game
                .bondDistributionMode()
                .call()
                .await
                .expect("mode")
                == 1;
        closed && w.is_zero() && r.is_zero()
    })
    .await;
    let after = net
        .l1
        .get_balance(challenger_address)
        .await
        .expect("balance");
    assert!(
        after > before + config.init_bond,
        "the bonds came back with the rogue's: {before} -> {after}"
    );
    assert!(
        wrong_game
            .credit(rogue_address)
            .call()
            .await
            .expect("credit")
            .is_zero(),
        "the rogue's wrong root earned nothing"
    );

    // What a newcomer sees.
    let out = list_games(&net.l1_url(), addresses.dispute_game_factory, true);
    let games: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(games[1]["status"], "CHALLENGER_WINS");
    assert_eq!(games[0]["status"], "DEFENDER_WINS");
}

/// A rollup with a rogue's wrong root for block 8 in a 30-deep game (split depth 4, so 16
/// output blocks, then 2^25 trace entries: the program needs ~15.5 M steps; an even max depth
/// makes the rogue's the last claim, which the challenger steps against).
struct RogueGame {
    net: RollupNet,
    _batcher: crate::rollupnet::Batcher,
    challenger: alloy::signers::local::PrivateKeySigner,
    addresses: sprout_contracts::DisputeAddresses,
    config: DisputeDeployConfig,
    rogue_l1: alloy::providers::DynProvider,
    game: Address,
    root: B256,
}

impl RogueGame {
    async fn start() -> Self {
        let net = RollupNet::start_with(NetParams {
            l1_block_time: Some(1),
            ..Default::default()
        })
        .await;
        let batcher = net.batcher();
        wait_until("L2 block 8 safe", Duration::from_secs(90), || async {
            sync_safe(&net) >= 8
        })
        .await;
        let (addresses, config) = deploy_games(&net, |c| {
            c.max_game_depth = 30;
            c.max_clock_duration = 900;
            c.bond_growth_wad = U256::from(1_100_000_000_000_000_000u64);
        })
        .await;
        let rogue_l1 = ProviderBuilder::new()
            .wallet(EthereumWallet::from(dev_signer(5)))
            .connect_http(net.l1_url().parse().expect("url"))
            .erased();
        let factory = DisputeGameFactory::new(addresses.dispute_game_factory, &rogue_l1);
        let root = B256::repeat_byte(0xba);
        factory
            .create(
                config.game_type,
                root,
                U256::from(8u64).to_be_bytes::<32>().to_vec().into(),
            )
            .value(config.init_bond)
            .send()
            .await
            .expect("create")
            .get_receipt()
            .await
            .expect("receipt");
        let game = factory
            .gameAtIndex(U256::ZERO)
            .call()
            .await
            .expect("gameAtIndex")
            .proxy;
        Self {
            net,
            _batcher: batcher,
            challenger: dev_signer(6),
            addresses,
            config,
            rogue_l1,
            game,
            root,
        }
    }
}

/// A rogue posts a wrong root and answers every claim of the challenger's with a wrong one of
/// its own, through output bisection (to block 1) and execution bisection (to the first VM
/// instruction). The challenger runs the fault-proof program in the VM on preimages recorded
/// from its node's database, and wins with a real `RISCV.step` on L1.
#[tokio::test(flavor = "multi_thread")]
async fn challenger_wins_a_game_played_to_the_end_by_a_step_on_l1() {
    // Split depth 4 (16 blocks), then 2^25 trace entries: the program needs ~15.5 M steps.
    // Even max depth: the rogue makes the last claim, and the challenger steps against it.
    let RogueGame {
        net,
        _batcher,
        challenger,
        addresses,
        config,
        rogue_l1,
        game: game_address,
        ..
    } = RogueGame::start().await;
    let challenger_address = challenger.address();
    let game = FaultDisputeGame::new(game_address, &rogue_l1);

    let datadir = net.dir.path().join("data").display().to_string();
    let factory_arg = addresses.dispute_game_factory.to_string();
    let args = ["--factory", &factory_arg, "--datadir", &datadir];
    let _challenger = net.role("challenger", "SPROUT_CHALLENGER_KEY", &challenger, &args);

    // The rogue answers each of the challenger's claims with an attack of its own.
    let started = Instant::now();
    let max_depth = config.max_game_depth as u32;
    let depth = |position: u128| 127 - position.leading_zeros();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(400),
            "the game did not reach a step (see challenger.log, SPROUT_TEST_LOGS=1)"
        );
        let len: u64 = game.claimDataLen().call().await.expect("claimDataLen").to();
        let last = game
            .claimData(U256::from(len - 1))
            .call()
            .await
            .expect("claimData");
        if last.claimant == challenger_address {
            let position = last.position * 2;
            let bond = game.getRequiredBond(position).call().await.expect("bond");
            let mut value = alloy::primitives::keccak256(len.to_be_bytes());
            value.0[0] = 3;
            game.r#move(last.claim, U256::from(len - 1), value, true)
                .value(bond)
                .send()
                .await
                .expect("rogue move")
                .get_receipt()
                .await
                .expect("receipt");
        } else if depth(last.position) == max_depth && last.counteredBy == challenger_address {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let claims: u64 = game.claimDataLen().call().await.expect("len").to();
    assert_eq!(
        claims,
        u64::from(max_depth) + 1,
        "one claim per depth, root included"
    );

    warp(&net, config.max_clock_duration + 1).await;
    wait_until("the game resolved", Duration::from_secs(120), || async {
        game.status().call().await.expect("status") != 0
    })
    .await;
    assert_eq!(
        game.status().call().await.expect("status"),
        1,
        "CHALLENGER_WINS"
    );
}

/// The rogue of [`challenger_loads_the_preimage_its_step_reads`]: outputs that are all wrong
/// (its root for block 8), and in the execution subgame the honest VM states up to index
/// `deviate` (exclusive) and wrong ones after. Played by the honest rules on that trace, the
/// bisection ends where the two traces part: the instruction at step `deviate`.
struct Rogue {
    root: B256,
    elf: std::path::PathBuf,
    recording: sprout_fp_host::Recording,
    deviate: u128,
    states: std::collections::HashMap<u128, B256>,
}

fn rogue_output(block: u64) -> B256 {
    alloy::primitives::keccak256([b"rogue".as_slice(), &block.to_be_bytes()].concat())
}

impl sprout_challenger::TraceProvider for Rogue {
    fn output(&mut self, block: u64) -> sprout_challenger::Result<B256> {
        Ok(if block == 8 {
            self.root
        } else {
            rogue_output(block)
        })
    }

    fn state(
        &mut self,
        _: &sprout_challenger::Subgame,
        index: u128,
    ) -> sprout_challenger::Result<B256> {
        if index >= self.deviate {
            let mut wrong = alloy::primitives::keccak256(index.to_be_bytes());
            wrong.0[0] = 3;
            return Ok(wrong);
        }
        if let Some(state) = self.states.get(&index) {
            return Ok(*state);
        }
        let run = sprout_fp_host::run_in_vm(
            &self.elf,
            sprout_fp_host::Replay::new(&self.recording),
            Some(index as u64 + 1),
        )
        .map_err(|e| sprout_challenger::ChallengerError::Trace(e.to_string()))?;
        self.states.insert(index, run.state_hash);
        Ok(run.state_hash)
    }
}

/// A rogue that agrees with the honest execution trace up to the program's first preimage
/// read and lies from there: the game ends on that instruction, so the challenger's `step`
/// needs the preimage part in the PreimageOracle. It loads it (through the game's
/// `addLocalData` for a local key, the oracle's `loadKeccak256PreimagePart` for a keccak one),
/// then steps, and wins.
#[tokio::test(flavor = "multi_thread")]
async fn challenger_loads_the_preimage_its_step_reads() {
    let RogueGame {
        net,
        _batcher,
        challenger,
        addresses,
        config,
        rogue_l1,
        game: game_address,
        root,
    } = RogueGame::start().await;
    let challenger_address = challenger.address();
    let game = FaultDisputeGame::new(game_address, &rogue_l1);

    // The subgame the bisection reaches: from the anchor (block 0) to the rogue's block 1.
    let boot = sprout_fp_program::BootInfo {
        l1_head: game.l1Head().call().await.expect("l1Head"),
        agreed_output: config.starting_root,
        claimed_output: rogue_output(1),
        claimed_block: 1,
        chain_id: 901,
        config_hash: config.program_config_hash,
    };
    let rollup = sprout_node::role_args::load_rollup(&net.rollup_path).expect("rollup.json");
    let datadir = net.dir.path().join("data");
    let l1_url = net.l1_url();
    let recording = tokio::task::spawn_blocking(move || {
        sprout_node::fp_cli::record_boot(&rollup, &datadir, &l1_url, None, boot, 0).expect("record")
    })
    .await
    .expect("join");
    let elf = Path::new(env!("CARGO_BIN_EXE_sprout"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("riscv64imac-unknown-none-elf/release/sprout-fp-program");
    let reads =
        sprout_fp_host::preimage_reads(&elf, sprout_fp_host::Replay::new(&recording), 1_000_000, 1)
            .expect("preimage reads");
    let &(first_read, key) = reads.first().expect("the program reads a preimage");
    eprintln!("first preimage read at step {first_read}: key {key}");
    let mut rogue_trace = Rogue {
        root,
        elf,
        recording,
        deviate: u128::from(first_read),
        states: Default::default(),
    };

    let datadir = net.dir.path().join("data").display().to_string();
    let factory_arg = addresses.dispute_game_factory.to_string();
    let args = ["--factory", &factory_arg, "--datadir", &datadir];
    let _challenger = net.role("challenger", "SPROUT_CHALLENGER_KEY", &challenger, &args);

    let started = Instant::now();
    let max_depth = config.max_game_depth as u32;
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(400),
            "the game did not reach a step (see challenger.log, SPROUT_TEST_LOGS=1)"
        );
        let state = sprout_challenger::read_game(&rogue_l1, game_address)
            .await
            .expect("read the game");
        let leaf = state
            .claims
            .iter()
            .any(|c| c.position.depth() == max_depth && c.countered_by == challenger_address);
        if leaf {
            break;
        }
        let actions = tokio::task::block_in_place(|| {
            sprout_challenger::honest_actions(&state, &mut rogue_trace)
        })
        .expect("the rogue's moves");
        let mut moved = false;
        for action in actions {
            let sprout_challenger::Action::Move {
                parent,
                disputed,
                value,
                attack,
                position,
            } = action
            else {
                continue;
            };
            let bond = game.getRequiredBond(position.0).call().await.expect("bond");
            game.r#move(disputed, U256::from(parent), value, attack)
                .value(bond)
                .send()
                .await
                .expect("rogue move")
                .get_receipt()
                .await
                .expect("receipt");
            moved = true;
            break;
        }
        if !moved {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let log = std::fs::read_to_string(net.dir.path().join("challenger.log")).expect("log");
    assert!(
        log.contains("Preimage {") && log.contains("Step {"),
        "the challenger loaded a preimage part, then stepped"
    );

    warp(&net, config.max_clock_duration + 1).await;
    wait_until("the game resolved", Duration::from_secs(120), || async {
        game.status().call().await.expect("status") != 0
    })
    .await;
    assert_eq!(
        game.status().call().await.expect("status"),
        1,
        "CHALLENGER_WINS"
    );
}
