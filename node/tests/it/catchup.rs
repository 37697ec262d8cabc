//! Restarts at real-L1 scale: a follower whose L1 history is longer than its provider's
//! `eth_getLogs` limit restarts from what it stored (the resume point with its safe head)
//! without one log query, and the logs it does read go in chunks within the limit.

use std::time::Duration;

use alloy::{primitives::Bytes, providers::Provider, sol_types::SolCall};
use sprout_contracts::SystemConfig;
use sprout_node::l1::L1Client;
use sprout_protocol::{l1_block::L1Addresses, rollup::RollupConfig, system_config::ConfigUpdate};

use crate::{
    derivation::{same_chain, wait_safe},
    lying_l1::LyingL1,
    rollupnet::{NetParams, RollupNet},
};

/// The proxy's limit, as public providers have it.
const LOGS_LIMIT: u64 = 1_000;

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_restarts_past_the_logs_limit_without_scanning_l1_history() {
    let net = RollupNet::start_with(NetParams {
        l1_block_time: Some(1),
        ..Default::default()
    })
    .await;
    let rollup: RollupConfig =
        serde_json::from_slice(&std::fs::read(&net.rollup_path).expect("rollup.json"))
            .expect("rollup config");
    let anchor = rollup.genesis.l1.number;
    // An L1 history longer than the limit, then a SystemConfig update past it.
    net.l1
        .raw_request::<_, ()>("anvil_mine".into(), (LOGS_LIMIT + 500,))
        .await
        .expect("anvil_mine");
    let scalars = SystemConfig::setGasConfigEcotoneCall {
        _basefeeScalar: 7,
        _blobbasefeeScalar: 9,
    };
    let update = net
        .l1_send(
            alloy::rpc::types::TransactionRequest::default()
                .to(net.addresses.system_config)
                .input(Bytes::from(scalars.abi_encode()).into()),
        )
        .await;
    assert!(update.status());
    let update_block = update.block_number.expect("block");
    assert!(update_block > anchor + LOGS_LIMIT);

    let proxy = LyingL1::with_logs_limit(net.l1_url(), LOGS_LIMIT).await;
    let follower_args = ["--rollup.sequencer-http".to_string(), net.node.url.clone()];
    let _batcher = net.batcher();
    let mut follower = net.node_via("follower", &proxy.url, &follower_args);
    let first = wait_safe(
        &follower,
        net.node.block_number() + 2,
        Duration::from_secs(120),
    );
    same_chain(&net.node, &follower, first);

    // SIGKILL, then a restart on the same datadir: derivation resumes from the stored point.
    follower.kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let follower = net.node_via("follower", &proxy.url, &follower_args);
    let target = net.node.block_number() + 2;
    let safe = wait_safe(&follower, target, Duration::from_secs(120));
    wait_safe(&net.node, safe, Duration::from_secs(60));
    same_chain(&net.node, &follower, safe);
    assert_eq!(
        proxy.logs_calls(),
        (0, 0),
        "the follower queried logs (calls, refused)"
    );

    // Logs over the whole history go in chunks within the limit and find the update.
    let addresses = L1Addresses::from_rollup_config(&rollup);
    let head = net.l1.get_block_number().await.expect("head");
    let chunked = L1Client::new(&proxy.url, tokio::runtime::Handle::current())
        .expect("client")
        .with_max_logs_range(LOGS_LIMIT)
        .expect("limit");
    let updates = chunked
        .config_updates_range(anchor + 1, head, &addresses)
        .await
        .expect("chunked logs");
    assert!(
        updates.contains(&ConfigUpdate::GasConfig {
            base_fee_scalar: 7,
            blob_base_fee_scalar: 9
        }),
        "{updates:?}"
    );
    let (calls, refused) = proxy.logs_calls();
    assert_eq!(refused, 0);
    assert_eq!(calls, (head - anchor).div_ceil(LOGS_LIMIT));
    // The proxy's limit is real: one query over the whole range is refused.
    let whole = L1Client::new(&proxy.url, tokio::runtime::Handle::current())
        .expect("client")
        .with_max_logs_range(head - anchor)
        .expect("limit");
    let err = whole
        .config_updates_range(anchor + 1, head, &addresses)
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("max block range"), "{err}");
    assert_eq!(proxy.logs_calls().1, 1);
}
