//! `sprout proposer` against a real anvil L1 and real sequencer, batcher and follower
//! processes: consecutive outputs that match the follower, a low balance, a wrong key, a
//! SIGKILL mid-submission, an L1 reorg of a proposal, and an L1 outage.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use sprout_contracts::L2OutputOracle;

use crate::{
    harness::{Node, dev_signer},
    rollup::signal,
    rollupnet::{NetParams, RollupNet, proposer_key},
};

/// The oracle's submission interval in test rollups (`L1DeployConfig::dev`).
const INTERVAL: u64 = 10;

async fn oracle_call<C: SolCall>(net: &RollupNet, call: C) -> C::Return {
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(net.addresses.l2_output_oracle)
        .input(alloy::primitives::Bytes::from(call.abi_encode()).into());
    let out = net
        .l1
        .call(tx)
        .block(alloy::eips::BlockId::latest())
        .await
        .expect("oracle call");
    C::abi_decode_returns(&out).expect("decodes")
}

async fn latest_block(net: &RollupNet) -> u64 {
    oracle_call(net, L2OutputOracle::latestBlockNumberCall {})
        .await
        .to()
}

/// Waits until the oracle holds an output for L2 block `number` or later.
async fn wait_for_output(net: &RollupNet, number: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let latest = latest_block(net).await;
        if latest >= number {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no output for L2 block {number} within {within:?} (latest {latest}); see the \
             proposer's log (SPROUT_TEST_LOGS=1)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every output on the oracle: index i is L2 block (i + 1) × interval, and its root is the
/// one `follower` computes for that block.
async fn check_outputs(net: &RollupNet, follower: &Node) -> u64 {
    let count: u64 = oracle_call(net, L2OutputOracle::nextOutputIndexCall {})
        .await
        .to();
    assert!(count > 0, "no outputs");
    for index in 0..count {
        let output = oracle_call(
            net,
            L2OutputOracle::getL2OutputCall {
                _l2OutputIndex: U256::from(index),
            },
        )
        .await;
        let block = u64::try_from(output.l2BlockNumber).expect("block number");
        assert_eq!(
            block,
            (index + 1) * INTERVAL,
            "output {index}: no gap, no repeat"
        );
        let theirs = follower.call("optimism_outputAtBlock", json!([format!("{block:#x}")]));
        let root: B256 = serde_json::from_value(theirs["outputRoot"].clone()).expect("root");
        assert_eq!(output.outputRoot, root, "output {index} (block {block})");
    }
    count
}

/// The newest L1 block holding a transaction from the proposer to the oracle.
async fn proposal_block(net: &RollupNet) -> u64 {
    let head = net.l1.get_block_number().await.expect("head");
    let mut seen = Vec::new();
    for number in (0..=head).rev() {
        let block = net
            .l1
            .get_block_by_number(number.into())
            .full()
            .await
            .expect("block")
            .expect("exists");
        let found = block.transactions.into_transactions().any(|tx| {
            let to = alloy::consensus::Transaction::to(tx.inner.inner());
            seen.push((number, tx.inner.signer(), to));
            tx.inner.signer() == proposer_key().address()
                && to == Some(net.addresses.l2_output_oracle)
        });
        if found {
            return number;
        }
    }
    panic!(
        "no proposal from {} to {} on L1: {seen:?}",
        proposer_key().address(),
        net.addresses.l2_output_oracle
    );
}

fn log_of(net: &RollupNet) -> String {
    std::fs::read_to_string(net.dir.path().join("proposer.log")).unwrap_or_default()
}

/// Waits until the proposer has a transaction in anvil's pool (sent, not mined).
async fn wait_for_pending_proposal(net: &RollupNet, who: Address) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let content: Value = net
            .l1
            .raw_request("txpool_content".into(), ())
            .await
            .expect("txpool_content");
        let pending = &content["pending"];
        let ours = pending
            .as_object()
            .into_iter()
            .flatten()
            .any(|(from, _)| from.parse::<Address>().ok() == Some(who));
        if ours {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the proposer sent nothing within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn proposer_posts_every_output_the_follower_agrees_on_and_a_sigkill_loses_none() {
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher();
    let follower = net.follower("follower");
    let proposer_address = proposer_key().address();

    // A key that is not the oracle's proposer is refused before anything is sent.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args([
            "proposer",
            "--chain",
            &net.rollup_path.display().to_string(),
            "--l1.rpc-url",
            &net.l1_url(),
            "--l2.rpc-url",
            &net.node.url,
            "--private-key",
            &format!("{}", B256::from_slice(&dev_signer(7).to_bytes()[..])),
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is not the L2OutputOracle's proposer")
            && stderr.contains(&proposer_address.to_string()),
        "{stderr}"
    );

    // Too poor to propose: it says whom to fund, sends nothing, and resumes once funded.
    net.l1
        .raw_request::<_, ()>(
            "anvil_setBalance".into(),
            (proposer_address, U256::from(10u128.pow(16))),
        )
        .await
        .expect("set balance");
    let url = follower.url.clone();
    let mut proposer = net.proposer(&["--l2.verify-rpc-url", &url]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !log_of(&net).contains("Fund it") {
        assert!(
            Instant::now() < deadline,
            "no low-balance error: {}",
            log_of(&net)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(log_of(&net).contains(&proposer_address.to_string()));
    assert_eq!(latest_block(&net).await, 0, "nothing proposed while poor");
    net.l1
        .raw_request::<_, ()>(
            "anvil_setBalance".into(),
            (proposer_address, U256::from(10u128.pow(20))),
        )
        .await
        .expect("set balance");
    wait_for_output(&net, INTERVAL, Duration::from_secs(90)).await;

    // SIGKILL while a proposal is in anvil's pool, then a new process on the same key.
    wait_for_pending_proposal(&net, proposer_address).await;
    proposer.kill();
    let after_kill = latest_block(&net).await;
    let _proposer = net.proposer(&["--l2.verify-rpc-url", &url]);
    wait_for_output(&net, after_kill + 2 * INTERVAL, Duration::from_secs(90)).await;
    let count = check_outputs(&net, &follower).await;
    assert!(count >= 3, "{count} outputs");
}

#[tokio::test(flavor = "multi_thread")]
async fn proposer_reproposes_after_an_l1_reorg_and_catches_up_after_an_outage() {
    let mut net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher();
    let follower = net.follower("follower");
    let _proposer = net.proposer(&[]);
    wait_for_output(&net, INTERVAL, Duration::from_secs(90)).await;

    // Reorg away the L1 block that holds the first proposal, and the batches posted in the
    // few seconds after it: some derived already (the sequencer's safe head goes back), some
    // maybe not (the batcher sees its safe head stall): either way they go out again.
    let proposal_block = proposal_block(&net).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let head = net.l1.get_block_number().await.expect("head");
    let depth = head - proposal_block + 1;
    net.l1
        .raw_request::<_, ()>("anvil_reorg".into(), (depth, Vec::<Value>::new()))
        .await
        .expect("anvil_reorg");
    // The reorg may land on an L1 that still has it, re-mined from the pool; either way the
    // oracle must get the output of block 10 again (or keep it) and move on.
    wait_for_output(&net, 2 * INTERVAL, Duration::from_secs(120)).await;
    check_outputs(&net, &follower).await;

    // A 30 s L1 outage: nothing lands meanwhile; afterwards the proposer catches up, gapless.
    let anvil = net.anvil.take().expect("anvil");
    let before = latest_block(&net).await;
    signal(anvil.pid(), "STOP");
    tokio::time::sleep(Duration::from_secs(30)).await;
    signal(anvil.pid(), "CONT");
    net.anvil = Some(anvil);
    let l2_head = net.node.block_number();
    let target = (l2_head / INTERVAL) * INTERVAL;
    assert!(target >= before + 2 * INTERVAL, "the outage spans outputs");
    wait_for_output(&net, target, Duration::from_secs(120)).await;
    check_outputs(&net, &follower).await;
}

/// `sprout proposer --mode games`: a game per 4 blocks with the exact bond, each for a block
/// its node derived and with its output root; unchallenged, each resolves to DEFENDER_WINS
/// when its clock runs out, the proposer claims its bonds once the games are final, and the
/// anchor moves on so that games past the first 16 blocks can follow.
#[tokio::test(flavor = "multi_thread")]
async fn proposer_in_games_mode_creates_games_that_win_and_claims_its_bonds() {
    use crate::challenger::{deploy_games, output_root, sync_safe, wait_until, warp};
    use sprout_contracts::{AnchorStateRegistry, DisputeGameFactory, FaultDisputeGame};

    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let _batcher = net.batcher();
    let (addresses, config) = deploy_games(&net, |c| {
        c.max_game_depth = 36;
        c.max_clock_duration = 20;
        // Long enough that the credits are listed before they unlock.
        c.finality_delay_seconds = 60;
    })
    .await;
    let factory_arg = addresses.dispute_game_factory.to_string();
    let _proposer = net.proposer(&[
        "--mode",
        "games",
        "--factory",
        &factory_arg,
        "--proposal-interval",
        "4",
    ]);
    let factory = DisputeGameFactory::new(addresses.dispute_game_factory, &net.l1);
    let game_at = async |i: u64| {
        let g = factory
            .gameAtIndex(U256::from(i))
            .call()
            .await
            .expect("gameAtIndex");
        FaultDisputeGame::new(g.proxy, &net.l1)
    };
    let count = async || -> u64 { factory.gameCount().call().await.expect("count").to() };
    // Blocks 4, 8, 12, 16: as far as games may claim from the anchor at genesis (2^4 blocks).
    wait_until("four games", Duration::from_secs(120), || async {
        count().await >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count().await, 4, "none past anchor + 2^split_depth");
    let proposer_address = proposer_key().address();
    for i in 0..4u64 {
        let game = game_at(i).await;
        let block: u64 = game.l2SequenceNumber().call().await.expect("block").to();
        assert_eq!(block, (i + 1) * 4);
        assert!(block <= sync_safe(&net), "only derived blocks are proposed");
        assert_eq!(
            game.rootClaim().call().await.expect("root"),
            output_root(&net, block)
        );
        assert_eq!(
            game.gameCreator().call().await.expect("creator"),
            proposer_address
        );
    }

    warp(&net, config.max_clock_duration + 1).await;
    wait_until("all four resolved", Duration::from_secs(90), || async {
        for i in 0..4 {
            if game_at(i).await.status().call().await.expect("status") != 2 {
                return false;
            }
        }
        true
    })
    .await;
    // `sprout challenger list-credits`: the proposer's four bonds, resolved, not final yet.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args(["challenger", "list-credits", "--l1.rpc-url", &net.l1_url()])
        .args([
            "--factory",
            &factory_arg,
            "--address",
            &proposer_address.to_string(),
        ])
        .arg("--json")
        .output()
        .expect("list-credits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let credits: Value = serde_json::from_slice(&out.stdout).expect("json");
    let credits = credits.as_array().expect("array");
    assert_eq!(credits.len(), 4, "{credits:?}");
    for c in credits {
        assert_eq!(c["status"], "DEFENDER_WINS");
        assert_eq!(c["mode"], "UNDECIDED");
        assert_eq!(c["credit"], config.init_bond.to_string());
        assert!(c["unlocksAt"].as_u64().is_some());
        assert_eq!(c["claimable"], false, "not final for another minute");
    }
    warp(&net, config.finality_delay_seconds + 1).await;
    wait_until("bonds claimed", Duration::from_secs(90), || async {
        for i in 0..4 {
            let game = game_at(i).await;
            if !game
                .credit(proposer_address)
                .call()
                .await
                .expect("credit")
                .is_zero()
                || game.bondDistributionMode().call().await.expect("mode") != 1
            {
                return false;
            }
        }
        true
    })
    .await;
    let registry = AnchorStateRegistry::new(addresses.anchor_state_registry, &net.l1);
    let anchor = registry.getAnchorRoot().call().await.expect("anchor");
    assert_eq!(
        anchor.l2SequenceNumber,
        U256::from(16),
        "the anchor moved to the newest final game"
    );
    assert_eq!(anchor.root, output_root(&net, 16));
    wait_until("a game past block 16", Duration::from_secs(90), || async {
        count().await >= 5
    })
    .await;
    let next: u64 = game_at(4)
        .await
        .l2SequenceNumber()
        .call()
        .await
        .expect("block")
        .to();
    assert_eq!(next, 20);
}
