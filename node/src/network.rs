//! The peer-to-peer network: libp2p (TCP + Noise + Yamux, identify, ping, relay, dcutr), gossip
//! of new records, catch-up sync, and the gate that admits only certified nodes. Only this module
//! imports libp2p.
//!
//! One task owns the [`Swarm`]; everything else talks to it through the cloneable [`Handle`] over a
//! bounded channel with oneshot replies. Records from peers go through the ledger's one ingest
//! path, in batches, on blocking threads ([`tokio::task::spawn_blocking`]), one batch at a time
//! so chain positions are judged in order.
//!
//! - Push: every record the ledger stores that did not come from the network is published on the
//!   federation's gossipsub topic, unsigned (the record is signed; only certified nodes connect).
//!   Validation is explicit: a message is forwarded only after our ledger verified and stored
//!   it; a message id is a hash of the record's bytes, so duplicates cost a hash, not a decode.
//! - Catch-up: [`crate::sync`] decides when to ask whom and what to answer (a probe of the
//!   heads' fingerprint first); responses are ingested as whole batches, and the next request
//!   goes out while the previous batch is being verified and stored.
//! - Contiguity: a record is stored only once its author's previous record is held (otherwise it
//!   waits, and we sync with the peer that sent it), so heads are exact version vectors.
//! - Gate: see the `gate` module for how a node that holds only the charter still finds its peers.

mod gate;
mod liveness;
mod metrics;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::metrics::Recorder;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{connection_limits, dcutr, identify, identity, noise, ping, relay, tcp, yamux, Multiaddr, PeerId, Swarm};
use prometheus_client::registry::Registry;
use samverka_protocol::evidence::Equivocation;
use samverka_protocol::{Body, Hash, Kind, MemberId, PublicKey, Record, RecordId, SigningKey, Unverified, Verified};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ledger::{self, Ledger, Outcome, Source};
use crate::storage::Store;
use crate::sync::{self, Ask, Effect, Engine, Heads, Input, Reply};

pub use gate::peer_id;

/// Capacity of the command channel from handles to the swarm task.
pub const COMMAND_CAPACITY: usize = 256;
/// Largest gossip message: one record of the largest size plus gossipsub framing.
pub const MAX_GOSSIP_BYTES: usize = samverka_protocol::encoding::MAX_RECORD_BYTES + 16 * 1024;
/// Most records from the network waiting to be ingested.
pub const MAX_QUEUED: usize = 20_000;
/// Most gossip records gathered into one ingest batch (one durable group commit); a sync
/// response is one batch of its own (at most [`sync::MAX_BATCH_RECORDS`] records).
pub const MAX_INGEST_BATCH: usize = 1000;
/// Most sync requests answered at once; more are dropped and the requester retries.
pub const MAX_SERVING: usize = 8;
/// Most peers whose addresses we remember.
pub const MAX_KNOWN_PEERS: usize = 1024;
/// Connections this node keeps open at most.
pub const MAX_CONNECTIONS: u32 = 256;
/// Peers this node dials on its own when it has fewer.
pub const TARGET_PEERS: usize = 32;
/// How long a peer we dialed may stay while we learn whether its key is certified.
pub const PROVISIONAL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the task checks timers.
const TICK: Duration = Duration::from_millis(200);
/// Gossip mesh degree (and its bounds): the peers each node forwards a record to. Publishing
/// floods to every connected peer; the mesh carries records on to nodes the publisher is not
/// connected to, and every extra mesh peer is one more duplicate copy per record per node.
/// Degree 2 reaches 290 nodes sooner and for less CPU than 3 (docs/benchmarks.md); periodic
/// sync repairs whatever gossip misses.
const MESH_N: usize = 2;
const MESH_N_LOW: usize = 1;
const MESH_N_HIGH: usize = 4;
/// Peers (at least) that each heartbeat's IHAVE goes to ...
const GOSSIP_LAZY: usize = 2;
/// ... or this share of the peers outside the mesh, if more.
const GOSSIP_FACTOR: f64 = 0.05;
/// How often missing peers are dialed again.
const DIAL_INTERVAL: Duration = Duration::from_secs(3);
/// How often the sync-lag gauge is recomputed (every peer's heads against ours).
const LAG_INTERVAL: Duration = Duration::from_secs(15);
/// How long an idle connection stays open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The sync protocol name (a compatibility boundary).
const SYNC_PROTOCOL: &str = "/samverka/sync/2";

/// A connected peer as the API shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Peer {
    /// libp2p peer id.
    pub peer_id: String,
    /// The member whose certified node key this peer uses.
    pub member: MemberId,
    /// The remote address.
    pub address: String,
}

/// Counters for tests and the status page.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Certified peers connected now.
    pub connected: usize,
    /// Connections the gate refused.
    pub refused: u64,
    /// Peers banned.
    pub banned: Vec<PeerId>,
    /// Records from peers refused as invalid.
    pub rejected: u64,
    /// Records stored from peers.
    pub received: u64,
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node has no charter yet, so it does not know its federation or roster.
    #[error("this node has no federation yet: initialise it with a charter before starting the network")]
    NoFederation,
    /// An address does not parse as a multiaddr.
    #[error("invalid address {address:?}: {reason}")]
    Address {
        /// The text.
        address: String,
        /// What is wrong.
        reason: String,
    },
    /// libp2p could not be set up (transport, behaviour or listener).
    #[error("libp2p: {0}")]
    Libp2p(String),
    /// The store could not be read at start.
    #[error("store: {0}")]
    Store(String),
}

/// Tunables for [`start_with`]; [`Options::new`] gives the production values.
#[derive(Clone, Debug)]
pub struct Options {
    /// Listen addresses (multiaddr text), e.g. `/ip4/0.0.0.0/tcp/7070`.
    pub listen: Vec<String>,
    /// Peers to dial at start and whenever not connected.
    pub bootstrap: Vec<String>,
    /// A relay (multiaddr with `/p2p/<id>`) to reserve a circuit on.
    pub relay: Option<String>,
    /// Run a relay server. `None`: only the host member's node does.
    pub relay_server: Option<bool>,
    /// Sync timing.
    pub sync: sync::Config,
}

impl Options {
    /// Production options.
    pub fn new(listen: Vec<String>, bootstrap: Vec<String>, relay: Option<String>) -> Options {
        Options { listen, bootstrap, relay, relay_server: None, sync: sync::Config::default() }
    }
}

enum Command {
    Peers(oneshot::Sender<Vec<Peer>>),
    Holders { author: PublicKey, seq: u64, reply: oneshot::Sender<Vec<MemberId>> },
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Block(PeerId, oneshot::Sender<()>),
    Unblock(PeerId, oneshot::Sender<()>),
    Stats(oneshot::Sender<Stats>),
    Shutdown(oneshot::Sender<()>),
}

/// A cloneable handle to the task that owns the swarm.
#[derive(Clone)]
pub struct Handle {
    commands: mpsc::Sender<Command>,
    ledger: Arc<Ledger>,
    peer_id: PeerId,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").field("peer_id", &self.peer_id).finish()
    }
}

impl Handle {
    async fn ask<T: Default>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> T {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(make(tx)).await.is_err() {
            return T::default();
        }
        rx.await.unwrap_or_default()
    }

    /// This node's libp2p peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Peers connected now.
    pub async fn peers(&self) -> Vec<Peer> {
        self.ask(Command::Peers).await
    }

    /// Members whose nodes hold `id`, as their last sync requests said (replication receipts),
    /// this node's member included when it holds the record.
    pub async fn holders(&self, id: &RecordId) -> Vec<MemberId> {
        let (ledger, id) = (self.ledger.clone(), *id);
        let record = tokio::task::spawn_blocking(move || ledger.store().get(&id)).await;
        let Ok(Ok(Some(record))) = record else { return Vec::new() };
        let (author, seq) = (record.header().author, record.header().seq);
        self.ask(|reply| Command::Holders { author, seq, reply }).await
    }

    /// The addresses the node listens on (empty until the listeners are up).
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.ask(Command::ListenAddrs).await
    }

    /// Disconnects `peer` and refuses it until [`Handle::unblock`] (an operator's ban; tests use it
    /// to partition a federation).
    pub async fn block(&self, peer: PeerId) {
        self.ask(|r| Command::Block(peer, r)).await
    }

    /// Lifts a block or ban.
    pub async fn unblock(&self, peer: PeerId) {
        self.ask(|r| Command::Unblock(peer, r)).await
    }

    /// Counters.
    pub async fn stats(&self) -> Stats {
        self.ask(Command::Stats).await
    }

    /// Stops the swarm task; returns once it has stopped taking commands.
    pub async fn shutdown(&self) {
        self.ask(Command::Shutdown).await
    }
}

/// Starts the network with production options. See [`start_with`].
pub fn start(
    ledger: Arc<Ledger>,
    node_key: SigningKey,
    listen: Vec<String>,
    bootstrap: Vec<String>,
    relay: Option<String>,
    registry: Option<&mut Registry>,
) -> Result<(Handle, JoinHandle<()>), Error> {
    start_with(ledger, node_key, Options::new(listen, bootstrap, relay), registry)
}

/// Starts the task that owns the swarm; it runs until [`Handle::shutdown`] or until every handle
/// is dropped. Must be called inside a tokio runtime. The node's libp2p identity is its node key.
pub fn start_with(
    ledger: Arc<Ledger>,
    node_key: SigningKey,
    options: Options,
    registry: Option<&mut Registry>,
) -> Result<(Handle, JoinHandle<()>), Error> {
    let chain = ledger.chain().ok_or(Error::NoFederation)?;
    let mut private = Registry::default();
    let registry = registry.unwrap_or(&mut private);
    let keypair = identity::Keypair::ed25519_from_bytes(node_key.to_seed()).map_err(lib)?;
    let local = keypair.public().to_peer_id();
    let own_member = chain.current().keys.get(&node_key.public()).map(|g| g.member.clone());
    let relay_server = options.relay_server.unwrap_or(own_member.as_ref() == Some(&chain.current().host));
    let topic = IdentTopic::new(gossip_topic(&chain.federation()));

    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(lib)?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(lib)?
        .with_bandwidth_metrics(registry)
        .with_behaviour(|key, relay_client| Behaviour::new(key, relay_client, relay_server, &topic))
        .map_err(lib)?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();
    swarm.behaviour_mut().gate.set_roster(chain.current());
    swarm.behaviour_mut().gossipsub.subscribe(&topic).map_err(lib)?;
    for address in &options.listen {
        swarm.listen_on(parse(address)?).map_err(lib)?;
    }
    let bootstrap = options.bootstrap.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
    let relay = options.relay.as_deref().map(parse).transpose()?;

    let missing = crate::governance::missing_papers(ledger.store()).map_err(|e| Error::Store(e.to_string()))?;
    let (commands, rx) = mpsc::channel(COMMAND_CAPACITY);
    let handle = Handle { commands, ledger: ledger.clone(), peer_id: local };
    let task = Task {
        swarm,
        announced: ledger.subscribe(),
        ledger,
        key: node_key,
        own_member,
        topic,
        engine: Engine::new(options.sync),
        epoch: Instant::now(),
        queue: VecDeque::new(),
        queued: 0,
        ingesting: None,
        from_network: HashSet::new(),
        serving: FuturesUnordered::new(),
        outbound: HashMap::new(),
        ingesting_heads: Heads::new(),
        provisional: HashMap::new(),
        connected: HashMap::new(),
        direct: HashMap::new(),
        addresses: HashMap::new(),
        bootstrap,
        relay,
        relay_listener: None,
        last_dial: None,
        last_lag: None,
        parked_told: 0,
        diagnosis: gate::Diagnosis::default(),
        liveness: liveness::Liveness::default(),
        advanced: false,
        metrics: metrics::Metrics::new(registry),
        stats: Stats::default(),
        wanted_papers: missing,
    };
    // The task logs under the span of whoever started it (the node's, with its member id).
    let join = tokio::spawn(tracing::Instrument::instrument(task.run(rx), tracing::Span::current()));
    Ok((handle, join))
}

/// The federation's gossip topic. Version 2: unsigned messages (version 1 wrapped each record in
/// a libp2p-signed envelope); the two do not share a topic, so nodes of either version ignore,
/// rather than penalise, each other's messages.
pub fn gossip_topic(federation: &Hash) -> String {
    format!("samverka/{}/records/2", federation.to_hex())
}

fn lib(e: impl std::fmt::Display) -> Error {
    Error::Libp2p(e.to_string())
}

fn parse(address: &str) -> Result<Multiaddr, Error> {
    address
        .parse()
        .map_err(|e: libp2p::multiaddr::Error| Error::Address { address: address.into(), reason: e.to_string() })
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gate: gate::Gate,
    limits: connection_limits::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::cbor::Behaviour<sync::Request, sync::Response>,
    relay_client: relay::client::Behaviour,
    relay_server: Toggle<relay::Behaviour>,
    dcutr: dcutr::Behaviour,
}

impl Behaviour {
    fn new(
        key: &identity::Keypair,
        relay_client: relay::client::Behaviour,
        relay_server: bool,
        topic: &IdentTopic,
    ) -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
        let local = key.public().to_peer_id();
        // Records are self-authenticating and only certified nodes connect, so messages carry no
        // libp2p envelope (no source, seqno or signature): nothing per copy but a hash.
        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(ValidationMode::Anonymous)
            .validate_messages()
            .max_transmit_size(MAX_GOSSIP_BYTES)
            .message_id_fn(gossip_message_id)
            .heartbeat_interval(Duration::from_secs(1))
            .mesh_n(MESH_N)
            .mesh_n_low(MESH_N_LOW)
            .mesh_n_high(MESH_N_HIGH)
            .mesh_outbound_min(1)
            // Lazy gossip (IHAVE) to few peers, of the last heartbeat's messages only: in a large
            // federation a record still in flight is otherwise asked for again (IWANT) by nodes
            // it is about to reach, and periodic sync repairs what gossip misses anyway.
            .gossip_lazy(GOSSIP_LAZY)
            .gossip_factor(GOSSIP_FACTOR)
            .history_gossip(1)
            .build()?;
        let mut gossipsub = gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gossip_config)?;
        let (params, thresholds) = scoring(topic);
        gossipsub.with_peer_score(params, thresholds)?;
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established(Some(MAX_CONNECTIONS))
            .with_max_established_per_peer(Some(2));
        let codec = request_response::cbor::codec::Codec::default()
            .set_request_size_maximum(sync::MAX_REQUEST_BYTES)
            .set_response_size_maximum(sync::MAX_RESPONSE_BYTES);
        let sync = request_response::Behaviour::with_codec(
            codec,
            [(libp2p::StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(Duration::from_secs(60)),
        );
        Ok(Behaviour {
            gate: gate::Gate::default(),
            limits: connection_limits::Behaviour::new(limits),
            identify: identify::Behaviour::new(identify::Config::new("/samverka/1".into(), key.public())),
            ping: ping::Behaviour::new(
                ping::Config::new().with_interval(liveness::PING_INTERVAL).with_timeout(liveness::PING_TIMEOUT),
            ),
            gossipsub,
            sync,
            relay_client,
            relay_server: Toggle::from(relay_server.then(|| relay::Behaviour::new(local, relay::Config::default()))),
            dcutr: dcutr::Behaviour::new(local),
        })
    }
}

/// Domain prefix of a gossip message id.
const MESSAGE_ID_DOMAIN: &[u8] = b"samverka/gossip-id/1\0";

/// A gossip message's id: SHA-256 over a domain prefix and the message data (the record's
/// canonical bytes), so the same record is one message whoever forwards it. Computed for every
/// copy before duplicates are dropped, so it decodes nothing.
fn message_id(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(MESSAGE_ID_DOMAIN);
    h.update(data);
    h.finalize().into()
}

fn gossip_message_id(message: &gossipsub::Message) -> MessageId {
    MessageId::from(message_id(&message.data).to_vec())
}

/// Invalid records cost the sender (the penalty grows with the square of their number, so three
/// in quick succession pass the graylist threshold: gossipsub then drops the peer's messages and
/// the task bans it). Many nodes behind one address is normal here (the gate decides who is in),
/// so colocation costs nothing.
fn scoring(topic: &IdentTopic) -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let mut params = gossipsub::PeerScoreParams { ip_colocation_factor_weight: 0.0, ..Default::default() };
    let topic_params = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: 0.9,
        // A quiet federation delivers few messages: never count that against a peer.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        ..gossipsub::TopicScoreParams::default()
    };
    params.topics.insert(topic.hash(), topic_params);
    (params, gossipsub::PeerScoreThresholds::default())
}

/// Where a record from the network came from.
#[derive(Clone, Debug)]
enum Origin {
    Gossip { source: PeerId, message: MessageId },
    Sync(PeerId),
}

impl Origin {
    fn peer(&self) -> PeerId {
        match self {
            Origin::Gossip { source, .. } => *source,
            Origin::Sync(p) => *p,
        }
    }
}

struct Pending {
    record: Record<Unverified>,
    origin: Origin,
}

/// Records to ingest together; `sync` names the response they came in, if any.
struct Batch {
    records: Vec<Pending>,
    sync: Option<FromSync>,
}

/// A sync response being ingested: from whom, and how the exchange ended if the engine has not
/// been told yet (an incomplete batch is reported as soon as it starts ingesting, so the next
/// request overlaps this batch's verification and storage: a pipeline one batch deep).
struct FromSync {
    peer: PeerId,
    reply: Option<Reply>,
}

/// What the ledger made of one record.
enum Verdict {
    Stored,
    Duplicate,
    Waiting,
    Refused { code: &'static str, offence: bool },
}

struct Report {
    results: Vec<(Pending, Verdict)>,
    sync: Option<FromSync>,
}

/// A sync response ready to send on its channel, what the request told of the peer's heads, and
/// how many records the peer holds that we lack.
type Answer = (ResponseChannel<sync::Response>, sync::Response, PeerId, Option<Heads>, u64);

struct Task {
    swarm: Swarm<Behaviour>,
    ledger: Arc<Ledger>,
    key: SigningKey,
    own_member: Option<MemberId>,
    topic: IdentTopic,
    engine: Engine<PeerId>,
    epoch: Instant,
    announced: broadcast::Receiver<Record<Verified>>,
    queue: VecDeque<Batch>,
    queued: usize,
    ingesting: Option<JoinHandle<Report>>,
    /// Ids in the batch being ingested: stored records with these ids came from peers and are not
    /// published again.
    from_network: HashSet<RecordId>,
    serving: FuturesUnordered<JoinHandle<Option<Answer>>>,
    /// Papers (underlag) that held records name but this node does not hold: asked for in sync.
    wanted_papers: BTreeSet<Hash>,
    /// Requests in flight: to whom, what, and for a probe the heads it fingerprinted (a match
    /// tells that the peer holds them: a receipt).
    outbound: HashMap<OutboundRequestId, (PeerId, Ask, Option<Heads>)>,
    /// Heads of the sync batches queued or being ingested: the next request starts after them.
    ingesting_heads: Heads,
    /// Peers we dialed whose keys our roster does not certify (yet), with their deadline.
    provisional: HashMap<PeerId, Instant>,
    /// Connected peers and one remote address each.
    connected: HashMap<PeerId, Multiaddr>,
    /// The direct connection kept to each peer, and whether this node dialled it.
    direct: HashMap<PeerId, (ConnectionId, bool)>,
    addresses: HashMap<PeerId, Vec<Multiaddr>>,
    bootstrap: Vec<Multiaddr>,
    relay: Option<Multiaddr>,
    /// The listener reserving a circuit on the relay, while one is open or being opened.
    relay_listener: Option<libp2p::core::transport::ListenerId>,
    last_dial: Option<Instant>,
    last_lag: Option<Instant>,
    /// The parking area's size last told at INFO.
    parked_told: usize,
    /// Why this node is not joining, said once at INFO.
    diagnosis: gate::Diagnosis,
    /// When each connection last answered a ping: silent ones are closed.
    liveness: liveness::Liveness,
    /// The ledger stored records since the last tick: the sync engine is told once per tick
    /// (it then probes in-step peers soon, for receipts).
    advanced: bool,
    metrics: metrics::Metrics,
    stats: Stats,
}

impl Task {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if let Some(chain) = self.ledger.chain() {
            self.diagnosis.roster(chain.current(), &self.key.public());
        }
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Shutdown(reply)) => {
                        let _ = reply.send(());
                        break;
                    }
                    Some(c) => self.on_command(c),
                },
                // Not while a batch is being ingested: its records are announced as it stores
                // them and `on_ingested` handles every announcement then, so waking for each one
                // would only wake this task twice per gossiped record.
                record = self.announced.recv(), if self.ingesting.is_none() => self.on_announced(record),
                report = async { self.ingesting.as_mut().expect("guarded").await }, if self.ingesting.is_some() => {
                    self.ingesting = None;
                    match report {
                        Ok(report) => self.on_ingested(report),
                        Err(e) => tracing::error!(error = %e, "ingest task failed"),
                    }
                }
                Some(served) = self.serving.next(), if !self.serving.is_empty() => {
                    if let Ok(Some((channel, response, peer, theirs, ahead))) = served {
                        if let Some(heads) = theirs {
                            self.feed(Input::Heads { peer, heads });
                        }
                        if ahead > 0 {
                            self.feed(Input::Gap(peer));
                        }
                        self.metrics.records_out("sync", response.records.len() as u64);
                        let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
                    }
                }
                _ = tick.tick() => self.on_tick(),
            }
            self.start_ingest();
        }
        tracing::info!("network stopped");
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Peers(reply) => {
                let gate = &self.swarm.behaviour().gate;
                let peers = self
                    .connected
                    .iter()
                    .filter_map(|(p, a)| {
                        let member = gate.member(p)?.clone();
                        Some(Peer { peer_id: p.to_string(), member, address: a.to_string() })
                    })
                    .collect();
                let _ = reply.send(peers);
            }
            Command::Holders { author, seq, reply } => {
                let gate = &self.swarm.behaviour().gate;
                let mut members: BTreeSet<MemberId> = self
                    .engine
                    .peer_heads()
                    .iter()
                    .filter(|(_, heads)| heads.get(&author).is_some_and(|h| *h >= seq))
                    .filter_map(|(p, _)| gate.member(p).cloned())
                    .collect();
                members.extend(self.own_member.clone());
                let _ = reply.send(members.into_iter().collect());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Block(peer, reply) => {
                self.ban(peer);
                let _ = reply.send(());
            }
            Command::Unblock(peer, reply) => {
                self.swarm.behaviour_mut().gate.unban(&peer);
                self.swarm.behaviour_mut().gossipsub.remove_blacklisted_peer(&peer);
                self.stats.banned.retain(|p| *p != peer);
                self.last_dial = None;
                let _ = reply.send(());
            }
            Command::Stats(reply) => {
                let mut stats = self.stats.clone();
                stats.connected = self.connected.keys().filter(|p| !self.provisional.contains_key(p)).count();
                stats.refused = self.swarm.behaviour().gate.refused;
                let _ = reply.send(stats);
            }
            Command::Shutdown(_) => unreachable!("handled by the loop"),
        }
    }

    fn ban(&mut self, peer: PeerId) {
        tracing::warn!(%peer, "peer banned");
        self.swarm.behaviour_mut().gate.ban(peer);
        self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer);
        if !self.stats.banned.contains(&peer) {
            self.stats.banned.push(peer);
        }
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        self.metrics.libp2p.record(&event);
        match event {
            SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, num_established, .. } => {
                self.connected.insert(peer_id, endpoint.get_remote_address().clone());
                self.liveness.opened(connection_id, peer_id, Instant::now());
                if !endpoint.get_remote_address().iter().any(|p| p == Protocol::P2pCircuit) {
                    self.keep_one_direct(peer_id, connection_id, endpoint.is_dialer());
                }
                if num_established.get() > 1 {
                    return;
                }
                self.diagnosis.connected(&peer_id);
                let certified = self.swarm.behaviour().gate.is_certified(&peer_id);
                tracing::info!(peer = %peer_id, address = %endpoint.get_remote_address(), certified, "peer connected");
                if !certified {
                    tracing::info!(peer = %peer_id, "provisional connection: asking for roster records first");
                    self.provisional.insert(peer_id, Instant::now() + PROVISIONAL_TIMEOUT);
                    self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer_id);
                }
                self.feed(Input::Connected { peer: peer_id, certified });
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, cause, .. } => {
                self.liveness.forget(connection_id);
                if self.direct.get(&peer_id).is_some_and(|(kept, _)| *kept == connection_id) {
                    self.direct.remove(&peer_id);
                }
                if num_established > 0 {
                    return;
                }
                if let Some(chain) = self.ledger.chain() {
                    self.diagnosis.closed(peer_id, cause.is_some(), chain.current());
                }
                self.connected.remove(&peer_id);
                self.provisional.remove(&peer_id);
                match &cause {
                    Some(error) => tracing::info!(peer = %peer_id, %error, "peer lost"),
                    None => tracing::info!(peer = %peer_id, "peer disconnected"),
                }
                self.feed(Input::Disconnected(peer_id));
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                if !address.iter().any(|p| p == Protocol::P2pCircuit) {
                    // Members' nodes are reached at the addresses they listen on; announcing them
                    // lets this node's relay hand out reservations (they carry its addresses).
                    self.swarm.add_external_address(address.clone());
                }
                tracing::debug!(%address, "listening");
            }
            SwarmEvent::ListenerClosed { listener_id, reason, .. } if Some(listener_id) == self.relay_listener => {
                tracing::info!(?reason, "the relay reservation ended; retrying");
                self.relay_listener = None;
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    /// Two nodes that dial each other at once end up with two direct connections (a federation
    /// of hundreds would hold twice the sockets it needs). Both ends keep the one the lower peer
    /// id dialled and close the other, so they agree without a message. Relayed circuits are left
    /// alone: dcutr replaces them with a direct connection itself.
    fn keep_one_direct(&mut self, peer: PeerId, connection: ConnectionId, dialled: bool) {
        let preferred = |we_dialled: bool| we_dialled == (*self.swarm.local_peer_id() < peer);
        match self.direct.get(&peer).copied() {
            None => {
                self.direct.insert(peer, (connection, dialled));
            }
            Some((kept, kept_dialled)) => {
                if preferred(dialled) && !preferred(kept_dialled) {
                    self.direct.insert(peer, (connection, dialled));
                    self.swarm.close_connection(kept);
                } else {
                    self.swarm.close_connection(connection);
                }
            }
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(e) => {
                self.metrics.libp2p.record(&e);
                if let gossipsub::Event::Message { propagation_source, message_id, message } = e {
                    self.on_gossip(propagation_source, message_id, message);
                }
            }
            BehaviourEvent::Sync(e) => self.on_sync_event(e),
            BehaviourEvent::Identify(e) => {
                self.metrics.libp2p.record(&e);
                if let identify::Event::Received { peer_id, info, .. } = e {
                    self.learn(peer_id, info.listen_addrs);
                }
            }
            BehaviourEvent::Ping(e) => {
                self.metrics.libp2p.record(&e);
                // libp2p's ping only reports a failure (and not the first on a connection); a
                // peer that stopped answering (frozen, cut off, crashed host) would otherwise keep
                // a half-open connection for minutes. A failed ping closes the connection; a
                // silent one is closed on the tick after `liveness::FROZEN_AFTER`. A peer that
                // does not speak ping is judged by the other protocols instead.
                match &e.result {
                    Ok(_) => self.liveness.answered(e.connection, Instant::now()),
                    Err(ping::Failure::Unsupported) => self.liveness.forget(e.connection),
                    Err(failure) => {
                        tracing::debug!(peer = %e.peer, %failure, "ping failed");
                        self.liveness.forget(e.connection);
                        self.close_frozen(e.connection, e.peer);
                    }
                }
            }
            BehaviourEvent::RelayServer(e) => self.metrics.libp2p.record(&e),
            BehaviourEvent::Dcutr(e) => self.metrics.libp2p.record(&e),
            BehaviourEvent::RelayClient(e) => tracing::debug!(event = ?e, "relay client"),
            BehaviourEvent::Gate(never) => match never {},
            BehaviourEvent::Limits(never) => match never {},
        }
    }

    fn learn(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        if peer == *self.swarm.local_peer_id() {
            return;
        }
        if self.addresses.len() >= MAX_KNOWN_PEERS && !self.addresses.contains_key(&peer) {
            return;
        }
        let addrs: Vec<Multiaddr> = addrs.into_iter().filter(dialable).take(sync::MAX_SHARED_ADDRS).collect();
        if !addrs.is_empty() {
            self.addresses.insert(peer, addrs);
        }
    }

    fn on_gossip(&mut self, source: PeerId, message_id: MessageId, message: gossipsub::Message) {
        let report = |task: &mut Task, acceptance| {
            let _ =
                task.swarm.behaviour_mut().gossipsub.report_message_validation_result(&message_id, &source, acceptance);
        };
        if !self.swarm.behaviour().gate.is_certified(&source) {
            return report(self, MessageAcceptance::Ignore);
        }
        let record = match Record::<Unverified>::decode(&message.data) {
            Ok(r) => r,
            Err(e) => {
                self.metrics.rejection("malformed");
                self.stats.rejected += 1;
                tracing::debug!(peer = %source, reason = %e, "malformed gossip");
                report(self, MessageAcceptance::Reject);
                return self.feed(Input::Offence(source));
            }
        };
        if self.queued >= MAX_QUEUED {
            return report(self, MessageAcceptance::Ignore);
        }
        let pending = Pending { record, origin: Origin::Gossip { source, message: message_id.clone() } };
        match self.queue.back_mut() {
            Some(b) if b.sync.is_none() && b.records.len() < MAX_INGEST_BATCH => b.records.push(pending),
            _ => self.queue.push_back(Batch { records: vec![pending], sync: None }),
        }
        self.queued += 1;
    }

    fn on_sync_event(&mut self, event: request_response::Event<sync::Request, sync::Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                self.diagnosis.exchanged(peer);
                self.on_sync_request(peer, request, channel);
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                self.diagnosis.exchanged(peer);
                let (ask, probed) = self.outbound.remove(&request_id).map(|(_, a, h)| (a, h)).unwrap_or_default();
                if let Some(heads) = probed.filter(|_| ask == Ask::Probe && response.complete) {
                    self.feed(Input::Heads { peer, heads });
                }
                self.on_sync_response(peer, ask, response);
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                self.outbound.remove(&request_id);
                // Debug only: the connection's end, if that is why, is explained by the diagnosis.
                tracing::debug!(%peer, %error, "sync request failed");
                self.feed(Input::Failed(peer));
            }
            Event::InboundFailure { peer, error, .. } => tracing::debug!(%peer, %error, "sync answer failed"),
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_sync_request(&mut self, peer: PeerId, mut request: sync::Request, channel: ResponseChannel<sync::Response>) {
        if !request.within_limits() {
            self.metrics.rejection("oversized_request");
            return self.feed(Input::Offence(peer));
        }
        let certified = self.swarm.behaviour().gate.is_certified(&peer);
        if !certified {
            request.roster_only = true;
        }
        if self.serving.len() >= MAX_SERVING {
            return; // dropping the channel fails the request; the peer retries
        }
        let peers = if certified { self.shared_peers(&peer) } else { Vec::new() };
        let ledger = self.ledger.clone();
        self.serving.push(tokio::task::spawn_blocking(move || {
            let log = StoreLog(ledger.store());
            match sync::answer(&log, &request) {
                Ok(answer) => {
                    let papers = if request.roster_only { Vec::new() } else { papers_for(log.0, &request.papers) };
                    let (records, complete, buckets) = (answer.items, answer.complete, answer.buckets);
                    let response = sync::Response { records, complete, peers, papers, buckets };
                    Some((channel, response, peer, answer.theirs.filter(|_| certified), answer.ahead))
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the store to answer a sync request");
                    None
                }
            }
        }));
    }

    fn shared_peers(&self, to: &PeerId) -> Vec<sync::SharedPeer> {
        let gate = &self.swarm.behaviour().gate;
        self.addresses
            .iter()
            .filter(|(p, _)| *p != to && gate.is_certified(p) && self.connected.contains_key(p))
            .take(sync::MAX_SHARED_PEERS)
            .map(|(p, a)| sync::SharedPeer { peer: p.to_bytes(), addrs: a.iter().map(|a| a.to_string()).collect() })
            .collect()
    }

    fn on_sync_response(&mut self, peer: PeerId, ask: Ask, response: sync::Response) {
        if !response.within_limits() {
            self.metrics.rejection("oversized_response");
            self.feed(Input::Offence(peer));
            return self.feed(Input::Failed(peer));
        }
        if self.swarm.behaviour().gate.is_certified(&peer) {
            for shared in response.peers {
                let Ok(p) = PeerId::from_bytes(&shared.peer) else { continue };
                let addrs = shared.addrs.iter().take(sync::MAX_SHARED_ADDRS).filter_map(|a| a.parse().ok()).collect();
                if !self.addresses.contains_key(&p) {
                    self.learn(p, addrs);
                }
            }
        }
        self.take_papers(peer, response.papers);
        let mut records = Vec::with_capacity(response.records.len());
        for bytes in response.records {
            match Record::<Unverified>::decode(&bytes) {
                Ok(record) => records.push(Pending { record, origin: Origin::Sync(peer) }),
                Err(e) => {
                    tracing::debug!(%peer, reason = %e, "malformed record in sync response");
                    self.metrics.rejection("malformed");
                    self.stats.rejected += 1;
                    self.feed(Input::Offence(peer));
                }
            }
        }
        let reply = if ask == Ask::Probe {
            // Told at once: a probe's batch holds at most roster and evidence records.
            let reply = if response.complete {
                Reply::InStep
            } else {
                match self.heads() {
                    Ok(ours) => Reply::Differs(sync::differing_buckets(&ours, &response.buckets)),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read heads");
                        Reply::Differs(Vec::new())
                    }
                }
            };
            self.feed(Input::Synced { peer, reply });
            None
        } else if response.complete {
            Some(Reply::Complete)
        } else {
            Some(Reply::Incomplete)
        };
        if records.is_empty() {
            if let Some(reply) = reply {
                self.feed(Input::Synced { peer, reply });
            }
            return;
        }
        self.queued += records.len();
        self.queue.push_back(Batch { records, sync: Some(FromSync { peer, reply }) });
    }

    /// Stores the papers a peer sent that this node asked for, each checked by its hash. A paper
    /// nobody asked for is an offence: it may be junk meant to fill the disk.
    fn take_papers(&mut self, peer: PeerId, papers: Vec<serde_bytes::ByteBuf>) {
        for content in papers {
            let hash = samverka_protocol::governance::content_hash(&content);
            if !self.wanted_papers.remove(&hash) {
                self.metrics.rejection("unwanted_paper");
                self.feed(Input::Offence(peer));
                continue;
            }
            let ledger = self.ledger.clone();
            // Off the swarm task: storing is a durable write.
            tokio::task::spawn_blocking(move || {
                if let Err(e) = ledger.store().put_blob(&content) {
                    tracing::error!(paper = %hash, error = %e, "cannot store a replicated paper");
                }
            });
        }
    }

    /// Starts ingesting the next batch if none is being ingested.
    fn start_ingest(&mut self) {
        if self.ingesting.is_some() {
            return;
        }
        let Some(mut batch) = self.queue.pop_front() else { return };
        self.queued -= batch.records.len();
        self.from_network = batch.records.iter().map(|p| p.record.id()).collect();
        self.ingesting_heads.clear();
        let mut pipelined = None;
        if let Some(from) = &mut batch.sync {
            for p in &batch.records {
                let h = p.record.header();
                let e = self.ingesting_heads.entry(h.author).or_insert(h.seq);
                *e = (*e).max(h.seq);
            }
            if from.reply == Some(Reply::Incomplete) {
                pipelined = from.reply.take().map(|reply| (from.peer, reply));
            }
        }
        let (ledger, key) = (self.ledger.clone(), self.key.clone());
        let span = tracing::Span::current();
        self.ingesting = Some(tokio::task::spawn_blocking(move || span.in_scope(|| ingest(&ledger, &key, batch))));
        if let Some((peer, reply)) = pipelined {
            self.feed(Input::Synced { peer, reply });
        }
    }

    fn on_ingested(&mut self, report: Report) {
        // Every record this batch stored was announced before the batch returned: handle those
        // announcements while their ids still mark them as from the network.
        loop {
            match self.announced.try_recv() {
                Ok(r) => self.on_announced(Ok(r)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    self.on_announced(Err(broadcast::error::RecvError::Lagged(n)))
                }
                Err(_) => break,
            }
        }
        self.from_network.clear();
        let mut gaps = BTreeSet::new();
        let mut rejected = false;
        for (pending, verdict) in report.results {
            let peer = pending.origin.peer();
            let acceptance = match verdict {
                Verdict::Stored => {
                    self.stats.received += 1;
                    self.metrics.record_in(match pending.origin {
                        Origin::Gossip { .. } => "gossip",
                        Origin::Sync(_) => "sync",
                    });
                    MessageAcceptance::Accept
                }
                Verdict::Duplicate => MessageAcceptance::Ignore,
                // Parked by the ledger: the peer holds what it waits for, so sync with it.
                Verdict::Waiting => {
                    gaps.insert(peer);
                    MessageAcceptance::Ignore
                }
                Verdict::Refused { code, offence } => {
                    self.metrics.rejection(code);
                    if offence {
                        self.stats.rejected += 1;
                        self.feed(Input::Offence(peer));
                        rejected = true;
                        MessageAcceptance::Reject
                    } else {
                        MessageAcceptance::Ignore
                    }
                }
            };
            self.settle(&pending.origin, acceptance);
        }
        for peer in gaps {
            self.feed(Input::Gap(peer));
        }
        if rejected {
            self.ban_graylisted();
        }
        self.ingesting_heads.clear();
        if let Some(FromSync { peer, reply }) = report.sync {
            if let Some(reply) = reply {
                self.feed(Input::Synced { peer, reply });
            }
            if self.provisional.contains_key(&peer) && !self.swarm.behaviour().gate.is_certified(&peer) {
                tracing::info!(%peer, "peer's key is not certified even in the newest roster: closing");
                self.provisional.remove(&peer);
                self.ban(peer);
            }
        }
    }

    fn settle(&mut self, origin: &Origin, acceptance: MessageAcceptance) {
        if let Origin::Gossip { source, message } = origin {
            let _ = self.swarm.behaviour_mut().gossipsub.report_message_validation_result(message, source, acceptance);
        }
    }

    fn on_announced(&mut self, record: Result<Record<Verified>, broadcast::error::RecvError>) {
        self.advanced = true;
        let record = match record {
            Ok(r) => r,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "fell behind the ledger's announcements; peers will sync them");
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if record.header().kind == Kind::RosterUpdate {
            self.on_roster_changed();
        }
        for hash in crate::governance::papers_named(&record) {
            if matches!(self.ledger.store().get_blob(&hash), Ok(None)) {
                self.wanted_papers.insert(hash);
            }
        }
        if self.from_network.contains(&record.id()) {
            return;
        }
        let topic = self.topic.clone();
        match self.swarm.behaviour_mut().gossipsub.publish(topic, record.bytes().to_vec()) {
            Ok(_) => self.metrics.records_out("gossip", 1),
            Err(e) => tracing::debug!(record = %record.id(), error = %e, "not published on gossip"),
        }
    }

    /// A new roster version: certify peers it names, close connections to keys it no longer names.
    fn on_roster_changed(&mut self) {
        let Some(chain) = self.ledger.chain() else { return };
        let roster = chain.current();
        self.own_member = roster.keys.get(&self.key.public()).map(|g| g.member.clone());
        self.diagnosis.roster(roster, &self.key.public());
        self.swarm.behaviour_mut().gate.set_roster(roster);
        let peers: Vec<PeerId> = self.connected.keys().copied().collect();
        for peer in peers {
            let certified = self.swarm.behaviour().gate.is_certified(&peer);
            if certified && self.provisional.remove(&peer).is_some() {
                tracing::info!(%peer, "peer's key is certified in our newer roster");
                self.swarm.behaviour_mut().gossipsub.remove_blacklisted_peer(&peer);
                self.feed(Input::Certified(peer));
            } else if !certified && !self.provisional.contains_key(&peer) {
                tracing::info!(%peer, "peer's key left the roster: disconnecting");
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
    }

    /// Closes a connection whose peer stopped answering pings, counted and said at INFO.
    fn close_frozen(&mut self, connection: ConnectionId, peer: PeerId) {
        tracing::info!(%peer, "peer stopped answering pings: closing");
        self.metrics.frozen.inc();
        self.swarm.close_connection(connection);
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for (connection, peer) in self.liveness.frozen(now) {
            self.close_frozen(connection, peer);
        }
        let expired: Vec<PeerId> = self.provisional.iter().filter(|(_, d)| **d <= now).map(|(p, _)| *p).collect();
        for peer in expired {
            self.provisional.remove(&peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        if std::mem::take(&mut self.advanced) {
            self.feed(Input::Advanced);
        }
        let effects = self.engine.poll(self.now());
        self.apply(effects);
        if self.last_dial.is_none_or(|t| now.duration_since(t) >= DIAL_INTERVAL) {
            self.last_dial = Some(now);
            self.ban_graylisted();
            self.dial_missing();
        }
        if self.last_lag.is_none_or(|t| now.duration_since(t) >= LAG_INTERVAL) {
            self.last_lag = Some(now);
            self.update_lag();
        }
    }

    /// Bans peers whose gossip score fell below the graylist threshold (checked after every
    /// rejected gossip message and every [`DIAL_INTERVAL`], not on every tick: a score is
    /// computed per peer, and a large federation has many peers).
    fn ban_graylisted(&mut self) {
        let graylist = gossipsub::PeerScoreThresholds::default().graylist_threshold;
        let gossip = &self.swarm.behaviour().gossipsub;
        let graylisted: Vec<PeerId> =
            self.connected.keys().filter(|p| gossip.peer_score(p).is_some_and(|s| s < graylist)).copied().collect();
        for peer in graylisted {
            tracing::info!(%peer, "gossip score below the graylist threshold");
            self.ban(peer);
        }
    }

    fn dial_missing(&mut self) {
        let local = *self.swarm.local_peer_id();
        for address in self.bootstrap.clone() {
            let peer = address.iter().find_map(|p| match p {
                Protocol::P2p(id) => Some(id),
                _ => None,
            });
            if peer.is_some_and(|p| p == local || self.connected.contains_key(&p)) {
                continue;
            }
            if peer.is_some_and(|p| self.swarm.behaviour().gate.is_banned(&p)) {
                continue;
            }
            let _ = self.swarm.dial(address);
        }
        let gate = &self.swarm.behaviour().gate;
        let missing: Vec<(PeerId, Vec<Multiaddr>)> = self
            .addresses
            .iter()
            .filter(|(p, _)| gate.is_certified(p) && !gate.is_banned(p) && !self.connected.contains_key(p))
            .map(|(p, a)| (*p, a.clone()))
            .take(TARGET_PEERS.saturating_sub(self.connected.len()))
            .collect();
        for (peer, addrs) in missing {
            let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer).addresses(addrs).build();
            let _ = self.swarm.dial(opts);
        }
        if let (Some(relay), None) = (self.relay.clone(), self.relay_listener) {
            match self.swarm.listen_on(relay.with(Protocol::P2pCircuit)) {
                Ok(id) => self.relay_listener = Some(id),
                Err(e) => tracing::warn!(error = %e, "cannot reserve a circuit on the relay"),
            }
        }
    }

    fn update_lag(&mut self) {
        let Ok(ours) = self.ledger.store().heads() else { return };
        let lag = self.engine.peer_heads().values().map(|theirs| sync::lag(&ours, theirs)).max().unwrap_or(0);
        let before = self.metrics.sync_lag.get();
        let lag = i64::try_from(lag).unwrap_or(i64::MAX);
        match (before, lag) {
            (0, 1..) => tracing::info!(behind = lag, "peers hold records this node lacks: catching up"),
            (1.., 0) => tracing::info!(parked = self.ledger.parked(), "caught up with every peer"),
            _ => {}
        }
        self.metrics.sync_lag.set(lag);
        let parked = self.ledger.parked();
        if parked != self.parked_told {
            tracing::info!(parked, bytes = self.ledger.parked_bytes(), "records waiting for records they depend on");
            self.parked_told = parked;
        }
    }

    fn feed(&mut self, input: Input<PeerId>) {
        let effects = self.engine.handle(self.now(), input);
        self.apply(effects);
    }

    fn apply(&mut self, effects: Vec<Effect<PeerId>>) {
        for effect in effects {
            match effect {
                Effect::Request { peer, ask } => match self.request(&ask) {
                    Ok((request, heads)) => {
                        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                        let probed = (ask == Ask::Probe).then_some(heads);
                        self.outbound.insert(id, (peer, ask, probed));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read heads for a sync request");
                        let effects = self.engine.handle(self.now(), Input::Failed(peer));
                        self.apply(effects);
                    }
                },
                Effect::Ban(peer) => self.ban(peer),
            }
        }
    }

    /// Our heads as a request states them: the store's, advanced by the sync batches queued or
    /// being ingested (their records extend our chains once stored; if some are refused, the
    /// next exchange after the pipeline drains asks for them again). Reads the heads index (one
    /// key per author) on the swarm task: bounded by [`sync::MAX_HEADS`], far cheaper than a
    /// record write.
    fn heads(&self) -> Result<Heads, crate::storage::Error> {
        let mut heads = self.ledger.store().heads()?;
        let queued = self.queue.iter().filter(|b| b.sync.is_some()).flat_map(|b| &b.records);
        let pending = queued.map(|p| (p.record.header().author, p.record.header().seq));
        for (author, seq) in self.ingesting_heads.iter().map(|(a, s)| (*a, *s)).chain(pending) {
            let e = heads.entry(author).or_insert(seq);
            *e = (*e).max(seq);
        }
        Ok(heads)
    }

    /// Our side of a sync request, and the heads it states.
    fn request(&self, ask: &Ask) -> Result<(sync::Request, Heads), crate::storage::Error> {
        let store = self.ledger.store();
        let roster_version = self.ledger.chain().map_or(0, |c| c.current().version);
        if *ask == Ask::Roster {
            return Ok((sync::Request::new(ask, &Heads::new(), roster_version), Heads::new()));
        }
        let heads = self.heads()?;
        let mut request = sync::Request::new(ask, &heads, roster_version);
        request.flagged = store.equivocators()?.into_keys().take(sync::MAX_FLAGGED).collect();
        request.papers = self.wanted_papers.iter().take(sync::MAX_WANTED_PAPERS).copied().collect();
        Ok((request, heads))
    }
}

fn dialable(address: &Multiaddr) -> bool {
    !address.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}

/// The store as [`sync::answer`] reads it (public so the replication benchmark measures the
/// very answers a node gives).
pub struct StoreLog<'a>(pub &'a Store);

impl sync::Log for StoreLog<'_> {
    type Item = serde_bytes::ByteBuf;
    type Error = crate::storage::Error;

    fn heads(&self) -> Result<Heads, Self::Error> {
        self.0.heads()
    }

    fn roster_after(&self, version: u64, limit: usize) -> Result<Vec<Self::Item>, Self::Error> {
        let ids = self.0.roster_ids()?;
        let skip = usize::try_from(version.saturating_add(1)).unwrap_or(usize::MAX);
        ids.iter().skip(skip).take(limit).map(|id| self.bytes(id)).filter_map(Result::transpose).collect()
    }

    const MAX_RANGE: usize = crate::storage::MAX_PAGE;

    fn range(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Self::Item>, Self::Error> {
        Ok(self.0.bytes_by_author(author, from_seq, limit)?.into_iter().map(serde_bytes::ByteBuf::from).collect())
    }

    fn equivocations(&self, known: &BTreeSet<PublicKey>, limit: usize) -> Result<Vec<Self::Item>, Self::Error> {
        let mut out = Vec::new();
        for (author, ids) in self.0.equivocators()? {
            if known.contains(&author) {
                continue;
            }
            for id in ids {
                if out.len() >= limit {
                    return Ok(out);
                }
                out.extend(self.bytes(&id)?);
            }
        }
        Ok(out)
    }

    fn size(item: &Self::Item) -> usize {
        item.len()
    }
}

impl StoreLog<'_> {
    fn bytes(&self, id: &RecordId) -> Result<Option<serde_bytes::ByteBuf>, crate::storage::Error> {
        Ok(self.0.get(id)?.map(|r| serde_bytes::ByteBuf::from(r.bytes())))
    }
}

/// Ingests a batch on a blocking thread through the ledger's one ingest path (which parks
/// records whose previous record has not arrived), publishes evidence of equivocations it finds,
/// and flags authors named by evidence records it stores.
fn ingest(ledger: &Ledger, key: &SigningKey, batch: Batch) -> Report {
    let store = ledger.store();
    let records = batch.records;
    let outcomes = ledger.ingest_sourced(
        records.iter().map(|p| (p.record.clone(), Source::Peer(peer_number(&p.origin.peer())))).collect(),
    );
    let mut results = Vec::with_capacity(records.len());
    for (pending, outcome) in records.into_iter().zip(outcomes) {
        let verdict = match outcome {
            Ok(Outcome::Stored(_)) => {
                if pending.record.header().kind == Kind::Equivocation {
                    flag_from_evidence(store, &pending.record);
                }
                Verdict::Stored
            }
            Ok(Outcome::Equivocation { id, conflicts }) => {
                publish_evidence(ledger, key, &id, &conflicts);
                Verdict::Stored
            }
            Ok(Outcome::Duplicate(_)) => Verdict::Duplicate,
            Ok(Outcome::Parked(_)) => Verdict::Waiting,
            Err(e) => refused(&pending, &e),
        };
        results.push((pending, verdict));
    }
    Report { results, sync: batch.sync }
}

/// The ledger's name for a peer as a source of records (its parking bound is per peer).
fn peer_number(peer: &PeerId) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    peer.hash(&mut hasher);
    hasher.finish()
}

fn refused(pending: &Pending, e: &ledger::Error) -> Verdict {
    let offence = e.is_offence();
    if offence {
        tracing::debug!(record = %pending.record.id(), peer = %pending.origin.peer(), reason = %e, "record rejected");
    } else {
        tracing::warn!(record = %pending.record.id(), reason = %e, "record not stored");
    }
    Verdict::Refused { code: e.code(), offence }
}

fn flag_from_evidence(store: &Store, record: &Record<Unverified>) {
    let Some(evidence) = record.body().and_then(|b| Equivocation::from_bytes(b).ok()) else { return };
    let ids = [evidence.first.id(), evidence.second.id()];
    if let Err(e) = store.flag_equivocation(&evidence.first.header.author, &ids) {
        tracing::error!(error = %e, "cannot flag an equivocation");
    }
}

fn publish_evidence(ledger: &Ledger, key: &SigningKey, id: &RecordId, conflicts: &[RecordId]) {
    let store = ledger.store();
    let (Ok(Some(a)), Some(Ok(Some(b)))) = (store.get(id), conflicts.first().map(|c| store.get(c))) else { return };
    let certified = ledger.chain().is_some_and(|c| c.current().is_node_key(&key.public()));
    if !certified || a.header().author == key.public() {
        return;
    }
    let time_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    match ledger.publish_evidence(key, &a, &b, time_ms) {
        Ok(r) => tracing::warn!(evidence = %r.id(), author = %a.header().author, "published equivocation evidence"),
        Err(e) => tracing::warn!(error = %e, "cannot publish equivocation evidence"),
    }
}

/// The multiaddr to dial the node whose node key is `key` at `address` (e.g.
/// `/ip4/10.0.0.5/tcp/7070`): the address followed by `/p2p/<peer id>`.
pub fn dial_address(address: &str, key: &samverka_protocol::PublicKey) -> String {
    let public = identity::ed25519::PublicKey::try_from_bytes(&key.0).expect("node keys are valid points");
    format!("{address}/p2p/{}", identity::PublicKey::from(public).to_peer_id())
}

/// The contents of the wanted papers this store holds, within one response's byte budget.
fn papers_for(store: &Store, wanted: &[Hash]) -> Vec<serde_bytes::ByteBuf> {
    let mut out = Vec::new();
    let mut bytes = 0;
    for hash in wanted.iter().take(sync::MAX_WANTED_PAPERS) {
        match store.get_blob(hash) {
            Ok(Some(content)) if bytes + content.len() <= sync::MAX_PAPER_BYTES_PER_RESPONSE => {
                bytes += content.len();
                out.push(serde_bytes::ByteBuf::from(content));
            }
            Ok(_) => {}
            Err(e) => tracing::error!(paper = %hash, error = %e, "cannot read a paper to send"),
        }
    }
    out
}

/// What decoding a sync message from a peer's bytes gives.
#[derive(Debug)]
pub enum SyncMessage {
    /// A request.
    Request(sync::Request),
    /// A response.
    Response(sync::Response),
}

/// Decodes `bytes` as a sync request (or a response) exactly as the swarm's codec does, with
/// its size limits: for fuzzing the decoder without a connection. `None` when refused.
pub fn decode_sync(bytes: &[u8], response: bool) -> Option<SyncMessage> {
    use libp2p::request_response::Codec as _;
    let mut codec = request_response::cbor::codec::Codec::<sync::Request, sync::Response>::default()
        .set_request_size_maximum(sync::MAX_REQUEST_BYTES)
        .set_response_size_maximum(sync::MAX_RESPONSE_BYTES);
    let protocol = libp2p::StreamProtocol::new(SYNC_PROTOCOL);
    let mut io = futures::io::Cursor::new(bytes);
    futures::executor::block_on(async {
        if response {
            codec.read_response(&protocol, &mut io).await.ok().map(SyncMessage::Response)
        } else {
            codec.read_request(&protocol, &mut io).await.ok().map(SyncMessage::Request)
        }
    })
}

/// The bytes the swarm's codec writes for a sync request or response (fuzzing seeds).
pub fn encode_sync(message: SyncMessage) -> Vec<u8> {
    use libp2p::request_response::Codec as _;
    let mut codec = request_response::cbor::codec::Codec::<sync::Request, sync::Response>::default();
    let protocol = libp2p::StreamProtocol::new(SYNC_PROTOCOL);
    let mut io = futures::io::Cursor::new(Vec::new());
    futures::executor::block_on(async {
        let written = match message {
            SyncMessage::Request(r) => codec.write_request(&protocol, &mut io, r).await,
            SyncMessage::Response(r) => codec.write_response(&protocol, &mut io, r).await,
        };
        written.expect("writing to memory cannot fail");
    });
    io.into_inner()
}
