#![doc = include_str!("../README.md")]

pub mod envelope;
pub mod error;
pub mod key;
pub mod service;
pub mod validate;

pub use envelope::{BlockVersion, Payload, SignedBlock, message_id, signing_hash};
pub use error::{P2pError, Result};
pub use libp2p::Multiaddr;
pub use service::{BlockCounts, GossipStats, LocalInfo, P2pConfig, P2pHandle, PeerInfo, start};
pub use validate::{BlockValidator, SignerSource, Verdict};
