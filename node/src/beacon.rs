//! The beacon-API client derivation reads blobs from (`--l1.beacon`), and the check that ties
//! every blob to the versioned hash its L1 transaction commits to.
//!
//! Blobs come from `GET /eth/v1/beacon/blobs/{block_id}`. A block is addressed by its slot,
//! computed from the L1 block's timestamp with the beacon node's genesis time
//! (`/eth/v1/beacon/genesis`) and `SECONDS_PER_SLOT` (`/eth/v1/config/spec`). An endpoint that
//! serves no `/eth/v1/config/spec` is taken for anvil's built-in beacon API, which has no
//! slots and addresses blocks by execution block number or hash: the block hash is used.
//!
//! Nothing from the beacon node is trusted: each blob's KZG commitment is computed here and
//! its versioned hash must be one the transaction names.

use std::{collections::HashMap, time::Duration};

use alloy::transports::http::reqwest;
use alloy_eips::eip4844::{AsCkzg, Blob, env_settings::EnvKzgSettings, kzg_to_versioned_hash};
use alloy_primitives::{B256, Bytes};
use serde::Deserialize;
use sprout_protocol::l1_info::L1BlockRef;
use tracing::debug;

use crate::{NodeError, Result};

/// How long one beacon request may take (a block's blobs are up to a few MB).
pub const BEACON_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How the beacon node names a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockAddressing {
    /// By slot: `(timestamp - genesis_time) / seconds_per_slot`.
    Slot {
        /// Beacon genesis time, seconds.
        genesis_time: u64,
        /// Seconds per slot.
        seconds_per_slot: u64,
    },
    /// By execution block hash (anvil).
    ExecutionHash,
}

impl BlockAddressing {
    /// The `block_id` of `block`.
    pub fn block_id(&self, block: &L1BlockRef) -> Result<String> {
        match *self {
            Self::ExecutionHash => Ok(block.hash.to_string()),
            Self::Slot {
                genesis_time,
                seconds_per_slot,
            } => {
                let since = block.timestamp.checked_sub(genesis_time).ok_or_else(|| {
                    NodeError::L1(format!(
                        "L1 block {} (time {}) is before the beacon genesis ({genesis_time}): \
                         does --l1.beacon serve the same chain as --l1.rpc-url?",
                        block.number, block.timestamp
                    ))
                })?;
                Ok((since / seconds_per_slot.max(1)).to_string())
            }
        }
    }
}

/// A beacon-API endpoint.
#[derive(Clone, Debug)]
pub struct BeaconClient {
    url: String,
    http: reqwest::Client,
    addressing: std::sync::Arc<parking_lot::Mutex<Option<BlockAddressing>>>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct Genesis {
    #[serde(deserialize_with = "decimal")]
    genesis_time: u64,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(rename = "SECONDS_PER_SLOT", deserialize_with = "decimal")]
    seconds_per_slot: u64,
}

/// The beacon API writes integers as decimal strings.
fn decimal<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl BeaconClient {
    /// A client of the beacon API at `url` (`http://host:port`, no path).
    pub fn new(url: &str) -> Result<Self> {
        let parsed: reqwest::Url = url
            .parse()
            .map_err(|e| NodeError::Config(format!("--l1.beacon {url:?} is not a URL: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(BEACON_REQUEST_TIMEOUT)
            .build()
            .map_err(|e| NodeError::Config(format!("--l1.beacon: {e}")))?;
        Ok(Self {
            url: parsed.as_str().trim_end_matches('/').to_owned(),
            http,
            addressing: Default::default(),
        })
    }

    /// GET `path`: `Ok(None)` on 404, the body's `data` on 200.
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let url = format!("{}{path}", self.url);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| NodeError::L1(format!("beacon GET {url}: {e}")))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| NodeError::L1(format!("beacon GET {url}: {e}")))?;
        if !status.is_success() {
            return Err(NodeError::L1(format!(
                "beacon GET {url}: {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        let envelope: Envelope<T> = serde_json::from_slice(&body)
            .map_err(|e| NodeError::L1(format!("beacon GET {url}: unexpected answer: {e}")))?;
        Ok(Some(envelope.data))
    }

    /// How this endpoint names blocks, asked once.
    pub async fn addressing(&self) -> Result<BlockAddressing> {
        if let Some(addressing) = *self.addressing.lock() {
            return Ok(addressing);
        }
        let addressing = match self.get::<Spec>("/eth/v1/config/spec").await? {
            Some(spec) => {
                let genesis = self
                    .get::<Genesis>("/eth/v1/beacon/genesis")
                    .await?
                    .ok_or_else(|| NodeError::L1("beacon node has no genesis yet".into()))?;
                BlockAddressing::Slot {
                    genesis_time: genesis.genesis_time,
                    seconds_per_slot: spec.seconds_per_slot,
                }
            }
            None => BlockAddressing::ExecutionHash,
        };
        debug!(target: "l1", url = %self.url, ?addressing, "beacon API");
        *self.addressing.lock() = Some(addressing);
        Ok(addressing)
    }

    /// The blobs of `block` with the given versioned hashes, in that order, each checked
    /// against its hash. Fails if the beacon node lacks one or serves one that matches no
    /// hash asked for.
    pub async fn blobs(&self, block: &L1BlockRef, hashes: &[B256]) -> Result<Vec<Bytes>> {
        let block_id = self.addressing().await?.block_id(block)?;
        let served: Vec<Bytes> = self
            .get(&format!("/eth/v1/beacon/blobs/{block_id}"))
            .await?
            .ok_or_else(|| {
                NodeError::L1(format!(
                    "beacon node has no blobs for L1 block {} ({}, block id {block_id}): \
                     pruned, or not synced?",
                    block.number, block.hash
                ))
            })?;
        let mut by_hash = HashMap::with_capacity(served.len());
        for blob in served {
            let hash = versioned_hash(&blob)?;
            by_hash.insert(hash, blob);
        }
        hashes
            .iter()
            .map(|hash| {
                by_hash.get(hash).cloned().ok_or_else(|| {
                    NodeError::L1(format!(
                        "beacon node served no blob with versioned hash {hash} for L1 block {} \
                         ({})",
                        block.number, block.hash
                    ))
                })
            })
            .collect()
    }
}

/// The KZG commitment of `blob` (48 bytes), computed here.
pub fn kzg_commitment(blob: &[u8]) -> Result<Bytes> {
    let blob = Blob::try_from(blob).map_err(|_| {
        NodeError::L1(format!(
            "beacon node served a blob of {} bytes, not 131072",
            blob.len()
        ))
    })?;
    let commitment = EnvKzgSettings::Default
        .get()
        .blob_to_kzg_commitment(blob.as_ckzg())
        .map_err(|e| NodeError::L1(format!("beacon node served an invalid blob: {e}")))?;
    Ok(Bytes::copy_from_slice(commitment.as_slice()))
}

/// The versioned hash of `blob`: its KZG commitment, computed here, hashed.
pub fn versioned_hash(blob: &[u8]) -> Result<B256> {
    Ok(kzg_to_versioned_hash(&kzg_commitment(blob)?))
}

#[cfg(test)]
mod tests {
    use sprout_protocol::batch::encode_blob;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A beacon node on 127.0.0.1 answering `GET path` from `routes` (404 otherwise), as
    /// anvil's built-in one does: no `/eth/v1/config/spec`. Returns its URL.
    async fn fake_beacon(routes: Vec<(String, String)>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request).to_string();
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let (status, body) = match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, body)) => ("200 OK", body.clone()),
                    None => ("404 Not Found", String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        url
    }

    fn blobs_body(blobs: &[&[u8]]) -> String {
        let data: Vec<String> = blobs
            .iter()
            .map(|b| format!("\"{}\"", Bytes::copy_from_slice(b)))
            .collect();
        format!(
            "{{\"execution_optimistic\":false,\"finalized\":false,\"data\":[{}]}}",
            data.join(",")
        )
    }

    #[tokio::test]
    async fn blobs_are_served_in_the_txs_order_and_checked_against_their_hashes() {
        let ours = encode_blob(b"\x00our frame").expect("blob");
        let other = encode_blob(b"someone else's blob").expect("blob");
        let forged = encode_blob(b"\x00forged frame").expect("blob");
        let block = L1BlockRef {
            number: 9,
            hash: B256::repeat_byte(0x42),
            parent_hash: B256::ZERO,
            timestamp: 100,
        };
        let good = format!("/eth/v1/beacon/blobs/{}", block.hash);
        let url = fake_beacon(vec![(good, blobs_body(&[&other, &ours]))]).await;
        let beacon = BeaconClient::new(&url).expect("url");
        assert_eq!(
            beacon.addressing().await.expect("asked"),
            BlockAddressing::ExecutionHash,
            "no /eth/v1/config/spec: anvil"
        );
        let hash_ours = versioned_hash(&ours).expect("hash");
        let hash_other = versioned_hash(&other).expect("hash");
        let got = beacon
            .blobs(&block, &[hash_ours, hash_other])
            .await
            .expect("served");
        assert_eq!(got, vec![Bytes::from(ours.clone()), Bytes::from(other)]);
        // A blob the beacon node does not serve (or serves altered) is an error, never data.
        let err = beacon
            .blobs(&block, &[versioned_hash(&forged).expect("hash")])
            .await
            .expect_err("missing");
        assert!(
            err.to_string().contains("no blob with versioned hash"),
            "{err}"
        );
        // A block the beacon node does not know.
        let unknown = L1BlockRef {
            hash: B256::repeat_byte(0x43),
            ..block
        };
        let err = beacon.blobs(&unknown, &[hash_ours]).await.expect_err("404");
        assert!(err.to_string().contains("has no blobs"), "{err}");
    }

    #[tokio::test]
    async fn a_real_beacon_node_is_asked_by_slot() {
        let blob = encode_blob(b"\x00frame").expect("blob");
        let block = L1BlockRef {
            number: 9,
            hash: B256::repeat_byte(0x42),
            parent_hash: B256::ZERO,
            timestamp: 1_000 + 12 * 30,
        };
        let url = fake_beacon(vec![
            (
                "/eth/v1/config/spec".into(),
                r#"{"data":{"SECONDS_PER_SLOT":"12","SLOTS_PER_EPOCH":"32"}}"#.into(),
            ),
            (
                "/eth/v1/beacon/genesis".into(),
                r#"{"data":{"genesis_time":"1000","genesis_fork_version":"0x00000000"}}"#.into(),
            ),
            ("/eth/v1/beacon/blobs/30".into(), blobs_body(&[&blob])),
        ])
        .await;
        let beacon = BeaconClient::new(&url).expect("url");
        let hash = versioned_hash(&blob).expect("hash");
        let got = beacon.blobs(&block, &[hash]).await.expect("slot 30");
        assert_eq!(got, vec![Bytes::from(blob)]);
        assert_eq!(
            beacon.addressing().await.expect("cached"),
            BlockAddressing::Slot {
                genesis_time: 1_000,
                seconds_per_slot: 12
            }
        );
    }

    #[test]
    fn slots_come_from_the_beacon_genesis_and_slot_time() {
        let block = L1BlockRef {
            number: 5,
            hash: B256::repeat_byte(1),
            parent_hash: B256::ZERO,
            timestamp: 1_000 + 12 * 7 + 5,
        };
        let slot = BlockAddressing::Slot {
            genesis_time: 1_000,
            seconds_per_slot: 12,
        };
        assert_eq!(slot.block_id(&block).expect("slot"), "7");
        assert_eq!(
            BlockAddressing::ExecutionHash
                .block_id(&block)
                .expect("hash"),
            block.hash.to_string()
        );
        let early = L1BlockRef {
            timestamp: 999,
            ..block
        };
        assert!(slot.block_id(&early).is_err());
    }

    #[test]
    fn versioned_hash_commits_to_the_blob_contents() {
        let a = encode_blob(b"\x00frame a").expect("blob");
        let b = encode_blob(b"\x00frame b").expect("blob");
        let hash_a = versioned_hash(&a).expect("valid blob");
        assert_eq!(hash_a[0], 1, "KZG version");
        assert_ne!(hash_a, versioned_hash(&b).expect("valid blob"));
        assert!(versioned_hash(&a[1..]).is_err(), "wrong size");
        let mut not_a_field_element = a.clone();
        not_a_field_element[0] = 0xff;
        assert!(versioned_hash(&not_a_field_element).is_err());
    }

    /// The fault-proof program keys field element `i` of a blob by the point `z_i` its
    /// polynomial takes that element at: c-kzg's evaluation there gives the element back.
    #[test]
    fn the_programs_evaluation_points_are_where_the_blob_takes_its_elements() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let raw = encode_blob(&data).expect("blob");
        let blob = Blob::try_from(&raw[..]).expect("size");
        let points = sprout_fp_program::blob::evaluation_points();
        let settings = EnvKzgSettings::Default.get();
        for i in [0usize, 1, 2, 3, 100, 2047, 2048, 4095] {
            let z = alloy_eips::eip4844::c_kzg::Bytes32::new(points[i].0);
            let (_, y) = settings
                .compute_kzg_proof(blob.as_ckzg(), &z)
                .expect("proof");
            assert_eq!(y.as_slice(), &raw[32 * i..32 * i + 32], "element {i}");
        }
    }
}
