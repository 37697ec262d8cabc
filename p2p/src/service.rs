//! The gossip service: a libp2p swarm (TCP, Noise, yamux, identify, ping, gossipsub) that
//! publishes this node's signed blocks and hands validated ones from peers to the node.
//!
//! Peers come from static bootnodes, redialled while they are away. There is no discv5
//! discovery: an operator names at least one peer of the chain.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder, gossipsub, identify,
    multiaddr::Protocol,
    noise, ping,
    swarm::{NetworkBehaviour, SwarmEvent, dial_opts::DialOpts, dial_opts::PeerCondition},
    tcp, yamux,
};
use parking_lot::RwLock;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::{
    P2pError, Result,
    envelope::{BlockVersion, MAX_GOSSIP_SIZE, SignedBlock, message_id},
    validate::{BlockValidator, SignerSource, Verdict},
};

/// How often bootnodes that are not connected are dialled again.
const REDIAL_INTERVAL: Duration = Duration::from_secs(5);
/// Validated blocks waiting for the node; more are dropped (derivation still brings them).
const BLOCK_QUEUE: usize = 256;

/// How to run the service.
#[derive(Clone, Debug)]
pub struct P2pConfig {
    /// The L2 chain id (in the topic and the signature).
    pub chain_id: u64,
    /// From when the chain's blocks run Prague's rules (and travel as version 4), if ever.
    pub prague_from: Option<u64>,
    /// Addresses to listen on (`/ip4/127.0.0.1/tcp/0` picks a free port).
    pub listen: Vec<Multiaddr>,
    /// Peers to connect to and keep connected, with or without a `/p2p/<peer id>` suffix.
    pub bootnodes: Vec<Multiaddr>,
    /// The node's identity key, made on first start.
    pub key_file: PathBuf,
    /// What identify tells peers this node runs.
    pub agent_version: String,
}

/// This node, as peers see it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalInfo {
    /// Its peer id.
    #[serde(rename = "peerID")]
    pub peer_id: String,
    /// Where it listens, each with `/p2p/<peer id>` (what other nodes' `--p2p.bootnodes` take).
    pub addresses: Vec<String>,
    /// The block topics it subscribes to (versions 3 and 4).
    pub topics: Vec<String>,
}

/// One connected peer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    /// Its peer id.
    #[serde(rename = "peerID")]
    pub peer_id: String,
    /// What it runs (identify's agent version), once identify has answered.
    pub user_agent: Option<String>,
    /// Identify's protocol version.
    pub protocol_version: Option<String>,
    /// The addresses it is connected on.
    pub addresses: Vec<String>,
    /// Whether it dialled us (`inbound`) or we dialled it (`outbound`).
    pub direction: &'static str,
    /// The last ping round trip, in milliseconds.
    pub latency_ms: Option<f64>,
    /// Its gossipsub score as this node keeps it (negative after invalid messages).
    pub score: f64,
    /// Whether it is in this node's mesh for the block topic.
    pub in_mesh: bool,
    /// Blocks from it this node accepted, ignored and rejected.
    pub blocks: BlockCounts,
}

/// Messages from one peer, by verdict.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct BlockCounts {
    /// Valid and new.
    pub accepted: u64,
    /// Seen before, or no signer known yet.
    pub ignored: u64,
    /// Invalid.
    pub rejected: u64,
}

/// Counts since start, for metrics.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct GossipStats {
    /// Blocks this node published.
    pub published: u64,
    /// Blocks published while no peer was subscribed (nobody got them).
    pub unpublished: u64,
    /// Received messages by verdict.
    pub received: BlockCounts,
    /// Connected peers now.
    pub peers: u64,
}

enum Command {
    Publish(BlockVersion, Vec<u8>, oneshot::Sender<Result<()>>),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
}

/// A handle on the running service. The service stops when the last handle is dropped.
#[derive(Clone, Debug)]
pub struct P2pHandle {
    commands: mpsc::UnboundedSender<Command>,
    local: Arc<LocalInfo>,
    stats: Arc<RwLock<GossipStats>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Publish(..) => "Publish",
            Self::Peers(_) => "Peers",
        })
    }
}

impl P2pHandle {
    /// Publishes a signed block on its topic. A block published while no peer is subscribed
    /// reaches nobody: that is counted, not an error, since followers still derive it from L1.
    pub async fn publish(&self, block: &SignedBlock) -> Result<()> {
        let data = block.encode()?;
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Publish(block.version, data, reply))
            .map_err(|_| P2pError::Stopped)?;
        answer.await.map_err(|_| P2pError::Stopped)?
    }

    /// The connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Peers(reply))
            .map_err(|_| P2pError::Stopped)?;
        answer.await.map_err(|_| P2pError::Stopped)
    }

    /// This node's peer id and listen addresses.
    pub fn local(&self) -> &LocalInfo {
        &self.local
    }

    /// Counts since start.
    pub fn stats(&self) -> GossipStats {
        *self.stats.read()
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
}

/// What the service knows of a connected peer.
#[derive(Default)]
struct Peer {
    addresses: Vec<Multiaddr>,
    outbound: bool,
    user_agent: Option<String>,
    protocol_version: Option<String>,
    latency: Option<Duration>,
    blocks: BlockCounts,
}

/// Starts the service on the current tokio runtime: listens, dials the bootnodes, subscribes
/// to the chain's block topic. Blocks from peers that pass [`BlockValidator`] (signed by
/// `signer`'s address) come out of the returned receiver.
pub async fn start(
    config: P2pConfig,
    signer: SignerSource,
) -> Result<(P2pHandle, mpsc::Receiver<SignedBlock>)> {
    let keypair = crate::key::load_or_create(&config.key_file)?;
    let topics: Vec<gossipsub::IdentTopic> = [BlockVersion::V3, BlockVersion::V4]
        .into_iter()
        .map(|v| gossipsub::IdentTopic::new(v.topic(config.chain_id)))
        .collect();
    let mut swarm = build_swarm(keypair, &config, &topics)?;
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| P2pError::Start(format!("cannot listen on {addr}: {e}")))?;
    }
    let peer_id = *swarm.local_peer_id();
    // Wait for the listeners to bind, so that the addresses reported are the real ones.
    let mut addresses = Vec::new();
    while addresses.len() < config.listen.len() {
        match tokio::time::timeout(Duration::from_secs(5), swarm.select_next_some()).await {
            Ok(SwarmEvent::NewListenAddr { address, .. }) => {
                addresses.push(address.with_p2p(peer_id).unwrap_or_else(|a| a).to_string());
            }
            Ok(SwarmEvent::ListenerError { error, .. }) => {
                return Err(P2pError::Start(format!("listener failed: {error}")));
            }
            Ok(_) => {}
            Err(_) => return Err(P2pError::Start("listeners did not bind within 5 s".into())),
        }
    }
    let local = Arc::new(LocalInfo {
        peer_id: peer_id.to_string(),
        addresses,
        topics: topics.iter().map(ToString::to_string).collect(),
    });
    info!(target: "p2p", peer_id = %peer_id, addresses = ?local.addresses, topics = ?local.topics, "gossip listening");
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (blocks_tx, blocks_rx) = mpsc::channel(BLOCK_QUEUE);
    let stats = Arc::new(RwLock::new(GossipStats::default()));
    let service = Service {
        swarm,
        topics,
        chain_id: config.chain_id,
        validator: BlockValidator::new(config.chain_id, config.prague_from, signer),
        bootnodes: config.bootnodes,
        peers: HashMap::new(),
        blocks: blocks_tx,
        stats: stats.clone(),
    };
    tokio::spawn(service.run(command_rx));
    Ok((
        P2pHandle {
            commands,
            local,
            stats,
        },
        blocks_rx,
    ))
}

fn build_swarm(
    keypair: libp2p::identity::Keypair,
    config: &P2pConfig,
    topics: &[gossipsub::IdentTopic],
) -> Result<Swarm<Behaviour>> {
    let start = |e: &dyn std::fmt::Display| P2pError::Start(e.to_string());
    let gossip_config = gossipsub::ConfigBuilder::default()
        // op-node's parameters.
        .mesh_n(8)
        .mesh_n_low(6)
        .mesh_n_high(12)
        .gossip_lazy(6)
        .heartbeat_interval(Duration::from_millis(500))
        .heartbeat_initial_delay(Duration::from_millis(100))
        .fanout_ttl(Duration::from_secs(24))
        .history_length(12)
        .history_gossip(3)
        .duplicate_cache_time(Duration::from_secs(65))
        // The limit applies to the framed RPC on receipt: leave room for the framing.
        .max_transmit_size(MAX_GOSSIP_SIZE + 64 * 1024)
        .flood_publish(false)
        // No author, sequence number or libp2p signature (StrictNoSign): the block carries
        // its own signature.
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|message: &gossipsub::Message| {
            gossipsub::MessageId::from(message_id(message.topic.as_str(), &message.data).to_vec())
        })
        .build()
        .map_err(|e| start(&e))?;
    let agent_version = config.agent_version.clone();
    let topic_hashes: Vec<_> = topics.iter().map(|t| t.hash()).collect();
    let mut swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| start(&e))?
        .with_behaviour(|key| {
            let mut gossipsub = gossipsub::Behaviour::new(
                gossipsub::MessageAuthenticity::Anonymous,
                gossip_config,
            )?;
            gossipsub.with_peer_score(
                score_params(topic_hashes),
                gossipsub::PeerScoreThresholds::default(),
            )?;
            let identify = identify::Behaviour::new(
                identify::Config::new("sprout/1".into(), key.public())
                    .with_agent_version(agent_version),
            );
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Behaviour {
                gossipsub,
                identify,
                ping: ping::Behaviour::default(),
            })
        })
        .map_err(|e| start(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(24 * 3600)))
        .build();
    for topic in topics {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(topic)
            .map_err(|e| start(&e))?;
    }
    Ok(swarm)
}

/// Peer scoring for the block topics: an invalid message costs a peer heavily (op-node's
/// weight), a quiet topic costs nothing (a chain may be idle, and only one of the two topics
/// carries its blocks), and time in the mesh and first deliveries earn a little.
fn score_params(topics: Vec<gossipsub::TopicHash>) -> gossipsub::PeerScoreParams {
    let mut params = gossipsub::PeerScoreParams::default();
    for topic in topics {
        params.topics.insert(
            topic,
            gossipsub::TopicScoreParams {
                topic_weight: 0.8,
                time_in_mesh_weight: 0.01,
                time_in_mesh_quantum: Duration::from_secs(1),
                time_in_mesh_cap: 300.0,
                first_message_deliveries_weight: 1.0,
                first_message_deliveries_decay: 0.9,
                first_message_deliveries_cap: 23.0,
                mesh_message_deliveries_weight: 0.0,
                mesh_failure_penalty_weight: 0.0,
                invalid_message_deliveries_weight: -140.4475,
                invalid_message_deliveries_decay: 0.99,
                ..Default::default()
            },
        );
    }
    params
}

struct Service {
    swarm: Swarm<Behaviour>,
    topics: Vec<gossipsub::IdentTopic>,
    chain_id: u64,
    validator: BlockValidator,
    bootnodes: Vec<Multiaddr>,
    peers: HashMap<PeerId, Peer>,
    blocks: mpsc::Sender<SignedBlock>,
    stats: Arc<RwLock<GossipStats>>,
}

impl Service {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut redial = tokio::time::interval(REDIAL_INTERVAL);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                _ = redial.tick() => self.dial_bootnodes(),
            }
        }
        info!(target: "p2p", "gossip stopped");
    }

    fn dial_bootnodes(&mut self) {
        for addr in self.bootnodes.clone() {
            let peer = addr.iter().find_map(|p| match p {
                Protocol::P2p(peer) => Some(peer),
                _ => None,
            });
            let opts = match peer {
                Some(peer) if self.swarm.is_connected(&peer) => continue,
                Some(peer) => DialOpts::peer_id(peer)
                    .addresses(vec![addr.clone()])
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .build(),
                None if self.peers.values().any(|p| p.addresses.contains(&addr)) => continue,
                None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
            };
            if let Err(err) = self.swarm.dial(opts) {
                debug!(target: "p2p", %addr, %err, "cannot dial bootnode");
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish(version, data, reply) => {
                let topic = gossipsub::IdentTopic::new(version.topic(self.chain_id));
                let result = match self.swarm.behaviour_mut().gossipsub.publish(topic, data) {
                    Ok(_) => {
                        self.stats.write().published += 1;
                        Ok(())
                    }
                    Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                        self.stats.write().unpublished += 1;
                        debug!(target: "p2p", "no peer subscribed to the block topic yet");
                        Ok(())
                    }
                    Err(err) => Err(P2pError::Invalid(format!("cannot publish: {err}"))),
                };
                let _ = reply.send(result);
            }
            Command::Peers(reply) => {
                let gossipsub = &self.swarm.behaviour().gossipsub;
                let mesh: Vec<PeerId> = self
                    .topics
                    .iter()
                    .flat_map(|t| gossipsub.mesh_peers(&t.hash()).copied().collect::<Vec<_>>())
                    .collect();
                let peers = self
                    .peers
                    .iter()
                    .map(|(id, peer)| PeerInfo {
                        peer_id: id.to_string(),
                        user_agent: peer.user_agent.clone(),
                        protocol_version: peer.protocol_version.clone(),
                        addresses: peer.addresses.iter().map(ToString::to_string).collect(),
                        direction: if peer.outbound { "outbound" } else { "inbound" },
                        latency_ms: peer.latency.map(|d| d.as_secs_f64() * 1000.0),
                        score: gossipsub.peer_score(id).unwrap_or_default(),
                        in_mesh: mesh.contains(id),
                        blocks: peer.blocks,
                    })
                    .collect();
                let _ = reply.send(peers);
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                let peer = self.peers.entry(peer_id).or_default();
                let addr = endpoint.get_remote_address().clone();
                if !peer.addresses.contains(&addr) {
                    peer.addresses.push(addr);
                }
                peer.outbound |= endpoint.is_dialer();
                info!(target: "p2p", %peer_id, "peer connected");
                self.stats.write().peers = self.peers.len() as u64;
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                endpoint,
                ..
            } => {
                if num_established == 0 {
                    self.peers.remove(&peer_id);
                    info!(target: "p2p", %peer_id, "peer disconnected");
                } else if let Some(peer) = self.peers.get_mut(&peer_id) {
                    peer.addresses
                        .retain(|a| a != endpoint.get_remote_address());
                }
                self.stats.write().peers = self.peers.len() as u64;
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                debug!(target: "p2p", ?peer_id, %error, "dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                if let Some(peer) = self.peers.get_mut(&peer_id) {
                    peer.user_agent = Some(info.agent_version);
                    peer.protocol_version = Some(info.protocol_version);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                result: Ok(rtt),
                ..
            })) => {
                if let Some(peer) = self.peers.get_mut(&peer) {
                    peer.latency = Some(rtt);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_message(propagation_source, message_id, message),
            _ => {}
        }
    }

    fn on_message(
        &mut self,
        source: PeerId,
        id: gossipsub::MessageId,
        message: gossipsub::Message,
    ) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let verdict = match BlockVersion::from_topic(message.topic.as_str(), self.chain_id) {
            Some(version) => self.validator.validate(version, &message.data, now),
            None => Verdict::Reject(format!("unknown topic {}", message.topic)),
        };
        let (acceptance, block) = match verdict {
            Verdict::Accept(block) => (gossipsub::MessageAcceptance::Accept, Some(block)),
            Verdict::Ignore(reason) => {
                debug!(target: "p2p", peer = %source, %reason, "ignored a block");
                (gossipsub::MessageAcceptance::Ignore, None)
            }
            Verdict::Reject(reason) => {
                warn!(target: "p2p", peer = %source, %reason, "rejected a block");
                (gossipsub::MessageAcceptance::Reject, None)
            }
        };
        let count = |counts: &mut BlockCounts| match acceptance {
            gossipsub::MessageAcceptance::Accept => counts.accepted += 1,
            gossipsub::MessageAcceptance::Ignore => counts.ignored += 1,
            gossipsub::MessageAcceptance::Reject => counts.rejected += 1,
        };
        count(&mut self.stats.write().received);
        if let Some(peer) = self.peers.get_mut(&source) {
            count(&mut peer.blocks);
        }
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&id, &source, acceptance);
        if let Some(block) = block {
            let number = block.payload.v1().block_number;
            debug!(target: "p2p", number, peer = %source, "block from gossip");
            match self.blocks.try_send(*block) {
                Ok(()) => {}
                // A node that only publishes (the sequencer) does not take blocks.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    warn!(target: "p2p", number, "the node is behind on gossiped blocks; dropping one (derivation will bring it)");
                }
            }
        }
    }
}
