//! Three gossip services on localhost: a block from the signer reaches a follower through the
//! mesh, and a peer that publishes a block signed by someone else is rejected and scored down.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
use alloy_signer_local::PrivateKeySigner;
use sprout_p2p::{P2pConfig, P2pHandle, Payload, SignedBlock, SignerSource, start};

const CHAIN: u64 = 901;

fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).expect("key")
}

fn config(dir: &tempfile::TempDir, name: &str, bootnodes: Vec<String>) -> P2pConfig {
    P2pConfig {
        chain_id: CHAIN,
        prague_from: None,
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr")],
        bootnodes: bootnodes
            .iter()
            .map(|b| b.parse().expect("multiaddr"))
            .collect(),
        key_file: dir.path().join(name).join("key"),
        agent_version: format!("test-{name}"),
    }
}

/// A block numbered `number` timestamped now, with a correct hash, signed by `signer`.
fn block(number: u64, signer: &PrivateKeySigner) -> SignedBlock {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut payload = ExecutionPayloadV3 {
        payload_inner: ExecutionPayloadV2 {
            payload_inner: ExecutionPayloadV1 {
                parent_hash: B256::repeat_byte(7),
                fee_recipient: Address::repeat_byte(0x42),
                state_root: B256::repeat_byte(1),
                receipts_root: B256::repeat_byte(2),
                logs_bloom: Default::default(),
                prev_randao: B256::repeat_byte(3),
                block_number: number,
                gas_limit: 30_000_000,
                gas_used: 0,
                timestamp: now,
                extra_data: Bytes::new(),
                base_fee_per_gas: U256::from(1_000_000u64),
                block_hash: B256::ZERO,
                transactions: vec![Bytes::from_static(&[0x7e, 0xc0])],
            },
            withdrawals: Vec::new(),
        },
        blob_gas_used: 0,
        excess_blob_gas: 0,
    };
    let root = B256::repeat_byte(9);
    let draft =
        SignedBlock::sign(Payload::V3(payload.clone()), root, CHAIN, signer).expect("signs");
    payload.payload_inner.payload_inner.block_hash = draft.header().expect("header").1;
    SignedBlock::sign(Payload::V3(payload), root, CHAIN, signer).expect("signs")
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn in_mesh(node: &P2pHandle, peer: &P2pHandle) -> bool {
    node.peers()
        .await
        .expect("peers")
        .iter()
        .any(|p| p.peer_id == peer.local().peer_id && p.in_mesh)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_block_crosses_the_mesh_and_a_forger_is_scored_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signer = key(1);
    let (sequencer, _) = start(
        config(&dir, "sequencer", vec![]),
        SignerSource::fixed(signer.address()),
    )
    .await
    .expect("sequencer starts");
    // The follower names the sequencer without its peer id; the forger names the follower with it.
    let bare = sequencer.local().addresses[0]
        .rsplit_once("/p2p/")
        .expect("peer id")
        .0
        .to_string();
    let (follower, mut blocks) = start(
        config(&dir, "follower", vec![bare]),
        SignerSource::fixed(signer.address()),
    )
    .await
    .expect("follower starts");
    let (forger, _) = start(
        config(&dir, "forger", vec![follower.local().addresses[0].clone()]),
        SignerSource::fixed(signer.address()),
    )
    .await
    .expect("forger starts");

    wait_for("the sequencer and the follower to mesh", || {
        in_mesh(&sequencer, &follower)
    })
    .await;
    let sent = block(10, &signer);
    sequencer.publish(&sent).await.expect("published");
    let got = tokio::time::timeout(Duration::from_secs(10), blocks.recv())
        .await
        .expect("a block within 10 s")
        .expect("open");
    assert_eq!(got, sent);

    wait_for("the forger and the follower to mesh", || {
        in_mesh(&forger, &follower)
    })
    .await;
    forger
        .publish(&block(11, &key(2)))
        .await
        .expect("published");
    wait_for("the follower to score the forger down", || async {
        let peers = follower.peers().await.expect("peers");
        let forger_seen = peers.iter().find(|p| p.peer_id == forger.local().peer_id);
        forger_seen.is_some_and(|p| p.blocks.rejected == 1 && p.score < 0.0)
    })
    .await;
    let peers = follower.peers().await.expect("peers");
    let from_sequencer = peers
        .iter()
        .find(|p| p.peer_id == sequencer.local().peer_id)
        .expect("the sequencer is a peer");
    assert_eq!(from_sequencer.blocks.accepted, 1);
    assert!(from_sequencer.score >= 0.0, "{from_sequencer:?}");
    assert_eq!(from_sequencer.user_agent.as_deref(), Some("test-sequencer"));
    // The forged block never reached the follower's node side.
    assert!(blocks.try_recv().is_err());
    assert_eq!(follower.stats().received.accepted, 1);
    assert_eq!(follower.stats().received.rejected, 1);
}
