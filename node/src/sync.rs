//! Catch-up sync, sans-I/O: which peer to ask when, and what to answer.
//!
//! Each node keeps, per author, a contiguous chain of records (the network never stores a record
//! whose predecessor it lacks), so the highest seq per author — the version vector [`Heads`] — says
//! exactly what a node holds. A requester sends its heads; the responder answers with what the
//! requester lacks, roster versions first, in bounded batches. A batch that was cut short says so
//! (`complete == false`) and the requester asks again from its new heads: sync is resumable and
//! needs no state on the responder.
//!
//! [`Engine`] decides *when* to ask (on connect, periodically, at once after an incomplete
//! batch or a gap, with backoff after a failure) and counts offences; [`answer`] decides *what*
//! to send.
//!
//! Replication receipts come from the heads peers state: a peer's request tells its heads (a
//! matched probe: exactly ours), and a probe of ours that matched tells that the peer holds what
//! we held when we sent it. After this node stores new records it probes its certified peers
//! within [`RECEIPT_DELAY`] (stretched like [`QUIET_INTERVAL`] with many peers), and they do the
//! same, so once every connected peer holds a record, each node's receipts say so within that
//! delay and one round trip (plus [`RETRY_DELAY`] when a peer was too busy to answer). Neither does I/O or reads a clock, so `tests/tests/sync_sim.rs` runs them over a
//! seeded, lossy, partitioning in-memory network.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use samverka_protocol::{Hash, PublicKey};
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Highest contiguous seq held per author: the version vector sync exchanges.
pub type Heads = BTreeMap<PublicKey, u64>;

/// Most authors in one request's heads (every key of the largest federation we plan for, many
/// times over). A node with more sends its first `MAX_HEADS`; the rest are synced next round.
pub const MAX_HEADS: usize = 16_384;
/// Most authors named as equivocators in one request.
pub const MAX_FLAGGED: usize = 1024;
/// Most records in one sync response.
pub const MAX_BATCH_RECORDS: usize = 2000;
/// Soft limit on the bytes of records in one response: records are added until it is passed,
/// so a response is at most this plus one record.
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Largest encoded request accepted (heads of [`MAX_HEADS`] authors, flagged authors).
pub const MAX_REQUEST_BYTES: u64 = 2 * 1024 * 1024;
/// Largest encoded response accepted: a full batch plus one maximal record plus framing.
pub const MAX_RESPONSE_BYTES: u64 =
    (MAX_BATCH_BYTES + samverka_protocol::encoding::MAX_RECORD_BYTES + MAX_PAPER_BYTES_PER_RESPONSE) as u64 * 3 / 2
        + 64 * 1024;
/// Most papers (underlag) asked for in one request.
pub const MAX_WANTED_PAPERS: usize = 4;
/// Most bytes of paper content in one response: the largest paper a node accepts for upload.
pub const MAX_PAPER_BYTES_PER_RESPONSE: usize = 16 * 1024 * 1024;
/// Most peer addresses shared in one response.
pub const MAX_SHARED_PEERS: usize = 64;
/// Most addresses per shared peer.
pub const MAX_SHARED_ADDRS: usize = 8;
/// Authors are split into this many buckets by the first byte of their key (`key[0] / 4`); a
/// probe that does not match is answered with one fingerprint per bucket.
pub const BUCKETS: usize = 64;
/// Bytes of one bucket fingerprint.
pub const BUCKET_FINGERPRINT_BYTES: usize = 8;
/// Domain prefix of heads fingerprints.
const FINGERPRINT_DOMAIN: &[u8] = b"samverka/sync/heads/1\0";

/// The bucket of an author.
pub fn bucket(author: &PublicKey) -> u8 {
    author.0[0] / (256 / BUCKETS) as u8
}

/// SHA-256 over a domain prefix and each `(author, seq)` in key order (32 key bytes, then the
/// seq as 8 bytes big-endian).
pub fn fingerprint<'a>(heads: impl Iterator<Item = (&'a PublicKey, &'a u64)>) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(FINGERPRINT_DOMAIN);
    for (author, seq) in heads {
        h.update(author.0);
        h.update(seq.to_be_bytes());
    }
    h.finalize().into()
}

/// The first [`BUCKET_FINGERPRINT_BYTES`] of each bucket's fingerprint, bucket 0 first.
pub fn bucket_fingerprints(heads: &Heads) -> Vec<u8> {
    let mut out = Vec::with_capacity(BUCKETS * BUCKET_FINGERPRINT_BYTES);
    for b in 0..BUCKETS {
        let f = fingerprint(heads.iter().filter(|(a, _)| usize::from(bucket(a)) == b));
        out.extend_from_slice(&f[..BUCKET_FINGERPRINT_BYTES]);
    }
    out
}

/// Buckets whose fingerprint in `theirs` (from [`bucket_fingerprints`]) differs from ours. A
/// malformed list counts as every bucket differing.
pub fn differing_buckets(ours: &Heads, theirs: &[u8]) -> Vec<u8> {
    let mine = bucket_fingerprints(ours);
    if theirs.len() != mine.len() {
        return (0..BUCKETS as u8).collect();
    }
    (0..BUCKETS)
        .filter(|b| {
            let r = b * BUCKET_FINGERPRINT_BYTES..(b + 1) * BUCKET_FINGERPRINT_BYTES;
            mine[r.clone()] != theirs[r]
        })
        .map(|b| b as u8)
        .collect()
}

/// Keys and hashes travel as CBOR byte strings of 32 bytes (serde would otherwise write an array
/// of 32 integers).
mod wire {
    use samverka_protocol::{Hash, PublicKey};
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteArray, Bytes};

    pub mod heads {
        use super::*;
        pub fn serialize<S: Serializer>(v: &[(PublicKey, u64)], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|(k, seq)| (Bytes::new(&k.0), *seq)))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(PublicKey, u64)>, D::Error> {
            let v: Vec<(ByteArray<32>, u64)> = Deserialize::deserialize(d)?;
            Ok(v.into_iter().map(|(k, seq)| (PublicKey(k.into_array()), seq)).collect())
        }
    }

    pub mod keys {
        use super::*;
        pub fn serialize<S: Serializer>(v: &[PublicKey], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|k| Bytes::new(&k.0)))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PublicKey>, D::Error> {
            let v: Vec<ByteArray<32>> = Deserialize::deserialize(d)?;
            Ok(v.into_iter().map(|k| PublicKey(k.into_array())).collect())
        }
    }

    pub mod hashes {
        use super::*;
        pub fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|k| Bytes::new(&k.0)))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
            let v: Vec<ByteArray<32>> = Deserialize::deserialize(d)?;
            Ok(v.into_iter().map(|k| Hash(k.into_array())).collect())
        }
    }
}

/// What a request asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ask {
    /// Roster records only (the peer is not known to be certified yet).
    Roster,
    /// Whether the peer holds exactly what we hold: the fingerprint of our heads, no heads.
    #[default]
    Probe,
    /// What we lack, given our heads in these buckets only (the others matched).
    Buckets(Vec<u8>),
    /// What we lack, given all our heads.
    Full,
}

/// A sync request: what the requester holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The requester's newest roster version.
    pub roster_version: u64,
    /// Only roster records are wanted (a peer not yet known to be certified is asked only this).
    pub roster_only: bool,
    /// The requester's heads (at most [`MAX_HEADS`]): all of them, or those in `buckets`.
    #[serde(with = "wire::heads")]
    pub heads: Vec<(PublicKey, u64)>,
    /// Authors the requester already knows equivocated (at most [`MAX_FLAGGED`]).
    #[serde(with = "wire::keys")]
    pub flagged: Vec<PublicKey>,
    /// Content hashes of papers the requester's records name but it does not hold (at most
    /// [`MAX_WANTED_PAPERS`]).
    #[serde(with = "wire::hashes")]
    pub papers: Vec<Hash>,
    /// A probe: the [`fingerprint`] of all the requester's heads (`heads` is then empty).
    #[serde(default)]
    pub digest: Option<serde_bytes::ByteArray<32>>,
    /// The buckets `heads` covers (empty: every bucket).
    #[serde(default, with = "serde_bytes")]
    pub buckets: Vec<u8>,
}

impl Request {
    /// Whether the request is within the limits a responder accepts.
    pub fn within_limits(&self) -> bool {
        self.heads.len() <= MAX_HEADS
            && self.flagged.len() <= MAX_FLAGGED
            && self.papers.len() <= MAX_WANTED_PAPERS
            && self.buckets.len() <= BUCKETS
            && self.buckets.iter().all(|b| usize::from(*b) < BUCKETS)
    }

    /// The request for `ask` from a node holding `heads` (and, for `Buckets`, naming only the
    /// heads in those buckets).
    pub fn new(ask: &Ask, heads: &Heads, roster_version: u64) -> Request {
        let mut request = Request { roster_version, ..Request::default() };
        match ask {
            Ask::Roster => request.roster_only = true,
            Ask::Probe => request.digest = Some(serde_bytes::ByteArray::new(fingerprint(heads.iter()))),
            Ask::Buckets(buckets) => {
                let wanted: BTreeSet<u8> = buckets.iter().copied().collect();
                request.heads =
                    heads.iter().filter(|(a, _)| wanted.contains(&bucket(a))).map(|(a, s)| (*a, *s)).collect();
                request.buckets = wanted.into_iter().collect();
            }
            Ask::Full => request.heads = heads.iter().map(|(a, s)| (*a, *s)).collect(),
        }
        request.heads.truncate(MAX_HEADS);
        request
    }
}

/// A peer's address, shared so nodes find each other beyond their bootstrap list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPeer {
    /// The peer id's bytes.
    #[serde(with = "serde_bytes")]
    pub peer: Vec<u8>,
    /// Its multiaddrs as text (at most [`MAX_SHARED_ADDRS`]).
    pub addrs: Vec<String>,
}

/// A sync response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Canonical record bytes, in an order the requester can ingest (roster first, then each
    /// author's chain in seq order).
    pub records: Vec<serde_bytes::ByteBuf>,
    /// False when the batch was cut short and the requester should ask again (or, with
    /// `buckets`, when a probe did not match).
    pub complete: bool,
    /// Certified peers the responder is connected to.
    pub peers: Vec<SharedPeer>,
    /// Contents of wanted papers the responder holds (at most [`MAX_WANTED_PAPERS`], together at
    /// most [`MAX_PAPER_BYTES_PER_RESPONSE`] bytes). The requester checks each by its hash.
    pub papers: Vec<serde_bytes::ByteBuf>,
    /// To a probe that did not match: the responder's [`bucket_fingerprints`]; else empty.
    #[serde(default, with = "serde_bytes")]
    pub buckets: Vec<u8>,
}

impl Response {
    /// Whether the response is within the limits a requester accepts.
    pub fn within_limits(&self) -> bool {
        self.records.len() <= MAX_BATCH_RECORDS + MAX_FLAGGED
            && self.peers.len() <= MAX_SHARED_PEERS
            && self.papers.len() <= MAX_WANTED_PAPERS
            && self.papers.iter().map(|p| p.len()).sum::<usize>() <= MAX_PAPER_BYTES_PER_RESPONSE
            && (self.buckets.is_empty() || self.buckets.len() == BUCKETS * BUCKET_FINGERPRINT_BYTES)
    }
}

/// A node's records as [`answer`] sees them.
pub trait Log {
    /// A record (bytes in the node, a small struct in the simulation).
    type Item;
    /// The error reading the log.
    type Error;
    /// This node's heads.
    fn heads(&self) -> Result<Heads, Self::Error>;
    /// Roster records after `version`, oldest first, at most `limit`.
    fn roster_after(&self, version: u64, limit: usize) -> Result<Vec<Self::Item>, Self::Error>;
    /// The most records one [`Log::range`] call returns, whatever limit it is given.
    const MAX_RANGE: usize;
    /// `author`'s records from `from_seq` on, in seq order, at most `limit` (and at most
    /// [`Log::MAX_RANGE`]).
    fn range(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Self::Item>, Self::Error>;
    /// Records proving that authors equivocated, for authors not in `known` (at most `limit`).
    fn equivocations(&self, known: &BTreeSet<PublicKey>, limit: usize) -> Result<Vec<Self::Item>, Self::Error>;
    /// The size of an item in bytes, for the batch byte budget.
    fn size(item: &Self::Item) -> usize;
}

/// What [`answer`] sends back.
#[derive(Debug)]
pub struct Answer<I> {
    /// Records the requester lacks.
    pub items: Vec<I>,
    /// Whether that was everything (false also for a probe that did not match).
    pub complete: bool,
    /// Our [`bucket_fingerprints`], when a probe did not match.
    pub buckets: Vec<u8>,
    /// The requester's heads as far as the request tells (replication receipts): the heads it
    /// sent, completed from ours in the buckets that matched; ours when a probe matched.
    pub theirs: Option<Heads>,
    /// Records the requester holds that we lack, as far as its request tells (0 for a probe):
    /// when not 0, sync with it soon.
    pub ahead: u64,
}

/// What to send for `request`: the records the requester lacks, at most [`MAX_BATCH_RECORDS`]
/// and about [`MAX_BATCH_BYTES`], and whether that was everything; for a probe, whether the
/// requester holds what we hold.
pub fn answer<L: Log>(log: &L, request: &Request) -> Result<Answer<L::Item>, L::Error> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    let full = |out: &Vec<L::Item>, bytes: usize| out.len() >= MAX_BATCH_RECORDS || bytes >= MAX_BATCH_BYTES;
    let done = |items, complete| Answer { items, complete, buckets: Vec::new(), theirs: None, ahead: 0 };
    for item in log.roster_after(request.roster_version, MAX_BATCH_RECORDS)? {
        bytes += L::size(&item);
        out.push(item);
    }
    if full(&out, bytes) {
        return Ok(done(out, false));
    }
    if request.roster_only {
        return Ok(done(out, true));
    }
    let flagged: BTreeSet<PublicKey> = request.flagged.iter().copied().collect();
    out.extend(log.equivocations(&flagged, MAX_FLAGGED)?);
    let ours = log.heads()?;
    if let Some(digest) = &request.digest {
        if fingerprint(ours.iter()) == digest.into_array() {
            return Ok(Answer { items: out, complete: true, buckets: Vec::new(), theirs: Some(ours), ahead: 0 });
        }
        let buckets = bucket_fingerprints(&ours);
        return Ok(Answer { items: out, complete: false, buckets, theirs: None, ahead: 0 });
    }
    let covered: Option<BTreeSet<u8>> =
        (!request.buckets.is_empty()).then(|| request.buckets.iter().copied().collect());
    let in_scope = |a: &PublicKey| covered.as_ref().is_none_or(|c| c.contains(&bucket(a)));
    let theirs: Heads = request.heads.iter().filter(|(a, _)| in_scope(a)).copied().collect();
    let ahead = lag(&ours, &theirs);
    let mut known = theirs.clone();
    known.extend(ours.iter().filter(|(a, _)| !in_scope(a)).map(|(a, s)| (*a, *s)));
    // Authors where the requester is furthest behind first, so a late joiner gets the bulk in
    // large runs; ties by key for determinism.
    let mut behind: Vec<(u64, PublicKey, u64)> = ours
        .into_iter()
        .filter(|(author, _)| in_scope(author))
        .filter_map(|(author, ours)| match theirs.get(&author) {
            None => Some((ours + 1, author, 0)),
            Some(&t) if t < ours => Some((ours - t, author, t + 1)),
            Some(_) => None,
        })
        .collect();
    behind.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut answer = Answer { items: out, complete: false, buckets: Vec::new(), theirs: Some(known), ahead };
    for (lacking, author, from) in behind {
        if full(&answer.items, bytes) {
            return Ok(answer);
        }
        let room = MAX_BATCH_RECORDS.saturating_sub(answer.items.len());
        let items = log.range(&author, from, room)?;
        // A range cut short by the log's own limit leaves the author's later records unsent.
        let cut = items.len() == room.min(L::MAX_RANGE) && (items.len() as u64) < lacking;
        for item in items {
            bytes += L::size(&item);
            answer.items.push(item);
            if full(&answer.items, bytes) {
                return Ok(answer);
            }
        }
        if cut {
            return Ok(answer);
        }
    }
    answer.complete = true;
    Ok(answer)
}

/// How often each connected peer is synced with, absent other reasons.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(10);
/// How often a peer whose last probe matched is probed again (gossip is keeping us in step), with
/// up to [`QUIET_PEERS`] peers; with more, proportionally less often (see [`Engine`]).
pub const QUIET_INTERVAL: Duration = Duration::from_secs(30);
/// Peers up to which each is probed every [`QUIET_INTERVAL`] when in step. A node with more
/// peers spaces its probes out, so it sends about `QUIET_PEERS` probes per interval in all (but
/// probes each peer at least every [`MAX_QUIET_FACTOR`] intervals): in a large federation, probes
/// of hundreds of connections would otherwise cost more than the gossip they back up.
pub const QUIET_PEERS: usize = 8;
/// Most [`QUIET_INTERVAL`]s between two probes of one in-step peer.
pub const MAX_QUIET_FACTOR: u32 = 10;
/// How soon after this node stored new records its certified peers are probed (up to
/// [`QUIET_PEERS`] peers; stretched in proportion beyond, at most [`MAX_QUIET_FACTOR`] times):
/// the exchange tells each side the other's heads, so replication receipts and the lag gauge
/// follow what peers hold within this delay rather than within [`QUIET_INTERVAL`].
pub const RECEIPT_DELAY: Duration = Duration::from_secs(1);
/// Wait after a failed request before asking that peer again.
pub const RETRY_DELAY: Duration = Duration::from_secs(2);
/// Most sync requests this node has in flight at once.
pub const MAX_IN_FLIGHT: usize = 4;
/// Offences (rejected records) after which a peer is banned.
pub const MAX_OFFENCES: u32 = 20;
/// Most peers the engine tracks.
pub const MAX_PEERS: usize = 1024;

/// Tunables of the [`Engine`] (the defaults are the constants above; tests shorten them).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// [`SYNC_INTERVAL`].
    pub interval: Duration,
    /// [`QUIET_INTERVAL`].
    pub quiet_interval: Duration,
    /// [`RECEIPT_DELAY`].
    pub receipt_delay: Duration,
    /// [`RETRY_DELAY`].
    pub retry: Duration,
    /// [`MAX_IN_FLIGHT`].
    pub max_in_flight: usize,
    /// [`MAX_OFFENCES`].
    pub max_offences: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            interval: SYNC_INTERVAL,
            quiet_interval: QUIET_INTERVAL,
            receipt_delay: RECEIPT_DELAY,
            retry: RETRY_DELAY,
            max_in_flight: MAX_IN_FLIGHT,
            max_offences: MAX_OFFENCES,
        }
    }
}

/// How an exchange with a peer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The peer sent everything we lacked.
    Complete,
    /// The batch was cut short: ask again.
    Incomplete,
    /// A probe matched: the peer holds what we hold.
    InStep,
    /// A probe did not match; these buckets differ (empty: they matched after all by the time
    /// the answer came).
    Differs(Vec<u8>),
}

/// Something that happened, fed to the [`Engine`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<P> {
    /// A connection to a peer is up. `certified`: its key is in our roster; otherwise it is asked
    /// only for roster records.
    Connected {
        /// The peer.
        peer: P,
        /// Whether its node key is certified in our current roster.
        certified: bool,
    },
    /// A peer's key became certified (our roster caught up).
    Certified(P),
    /// The last connection to a peer closed.
    Disconnected(P),
    /// Our request to a peer was answered (and, unless pipelined, the records were ingested).
    Synced {
        /// The peer.
        peer: P,
        /// How it ended.
        reply: Reply,
    },
    /// Our request to a peer failed (timeout, closed stream, oversized response).
    Failed(P),
    /// A peer sent a record whose predecessor we lack: sync with it soon.
    Gap(P),
    /// A peer's heads, as its request told (replication receipts).
    Heads {
        /// The peer.
        peer: P,
        /// Its heads.
        heads: Heads,
    },
    /// A peer sent a record that failed validation.
    Offence(P),
    /// This node stored new records: its heads grew, so probe the peers soon (receipts).
    Advanced,
}

/// What the event loop should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<P> {
    /// Send a sync request to the peer.
    Request {
        /// The peer.
        peer: P,
        /// What to ask.
        ask: Ask,
    },
    /// Disconnect the peer and refuse it from now on.
    Ban(P),
}

#[derive(Clone, Debug, Default)]
struct PeerState {
    certified: bool,
    in_flight: bool,
    /// When to ask next (`None`: at once).
    next: Option<Duration>,
    /// What to ask next (when certified).
    ask: Ask,
    offences: u32,
    banned: bool,
    /// The last probe of this peer matched: it held what we held.
    in_step: bool,
    /// Our heads grew while a probe of this in-step peer was in flight: probe it again soon after.
    advanced: bool,
}

/// The sync decisions of one node. `P` identifies a peer.
#[derive(Debug)]
pub struct Engine<P> {
    config: Config,
    peers: BTreeMap<P, PeerState>,
    /// Last heads each peer reported, kept after it disconnects (receipts).
    heads: BTreeMap<P, Heads>,
}

impl<P: Ord + Clone> Engine<P> {
    /// An engine with no peers.
    pub fn new(config: Config) -> Engine<P> {
        Engine { config, peers: BTreeMap::new(), heads: BTreeMap::new() }
    }

    /// Feeds one input; returns effects to carry out at once.
    pub fn handle(&mut self, now: Duration, input: Input<P>) -> Vec<Effect<P>> {
        let mut effects = Vec::new();
        match input {
            Input::Connected { peer, certified } => {
                if self.peers.len() >= MAX_PEERS && !self.peers.contains_key(&peer) {
                    return effects;
                }
                let state = self.peers.entry(peer).or_default();
                state.certified = certified;
                state.next = None;
                state.ask = Ask::Probe;
            }
            Input::Certified(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.certified = true;
                    s.next = None;
                    s.ask = Ask::Probe;
                }
            }
            Input::Disconnected(peer) => {
                self.peers.remove(&peer);
            }
            Input::Synced { peer, reply } => {
                let quiet = self.quiet_interval();
                let soon = now + self.receipt_delay();
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.in_flight = false;
                    s.in_step = reply == Reply::InStep;
                    match reply {
                        Reply::Complete => {
                            s.ask = Ask::Probe;
                            s.next = Some(now + self.config.interval);
                        }
                        Reply::Incomplete => s.next = None,
                        Reply::InStep => {
                            s.ask = Ask::Probe;
                            s.next = Some(now + quiet);
                        }
                        Reply::Differs(buckets) if buckets.is_empty() => {
                            s.ask = Ask::Probe;
                            s.next = Some(now + self.config.interval);
                        }
                        Reply::Differs(buckets) => {
                            s.ask = if buckets.len() >= BUCKETS { Ask::Full } else { Ask::Buckets(buckets) };
                            s.next = None;
                        }
                    }
                    if std::mem::take(&mut s.advanced) && s.in_step {
                        s.next = s.next.map(|t| t.min(soon));
                    }
                }
            }
            Input::Failed(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.in_flight = false;
                    s.ask = Ask::Probe;
                    s.next = Some(now + self.config.retry);
                }
            }
            Input::Gap(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.next = None;
                }
            }
            Input::Heads { peer, heads } => {
                if self.peers.contains_key(&peer) {
                    self.heads.insert(peer, heads);
                }
            }
            Input::Advanced => {
                // Only peers in step: one we are still syncing with is asked again on its own
                // schedule, and probing every peer during a catch-up would fetch the same records
                // from each.
                let soon = now + self.receipt_delay();
                for s in self.peers.values_mut().filter(|s| s.certified && !s.banned && s.in_step) {
                    if s.in_flight {
                        s.advanced = true;
                    } else {
                        s.next = s.next.map(|t| t.min(soon));
                    }
                }
            }
            Input::Offence(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.offences += 1;
                    if s.offences >= self.config.max_offences && !s.banned {
                        s.banned = true;
                        effects.push(Effect::Ban(peer));
                    }
                }
            }
        }
        effects.extend(self.poll(now));
        effects
    }

    /// When an in-step peer is probed again: [`QUIET_INTERVAL`] (as configured), stretched in
    /// proportion to the peers beyond [`QUIET_PEERS`], up to [`MAX_QUIET_FACTOR`] times.
    fn quiet_interval(&self) -> Duration {
        self.stretched(self.config.quiet_interval)
    }

    /// When peers are probed after our heads grew: [`RECEIPT_DELAY`] (as configured), stretched
    /// like [`Engine::quiet_interval`].
    fn receipt_delay(&self) -> Duration {
        self.stretched(self.config.receipt_delay)
    }

    /// `base` stretched in proportion to the peers beyond [`QUIET_PEERS`], up to
    /// [`MAX_QUIET_FACTOR`] times.
    fn stretched(&self, base: Duration) -> Duration {
        let peers = u32::try_from(self.peers.len()).unwrap_or(u32::MAX);
        (base * peers / QUIET_PEERS as u32).clamp(base, base * MAX_QUIET_FACTOR)
    }

    /// Requests that are due at `now`, within the in-flight bound.
    pub fn poll(&mut self, now: Duration) -> Vec<Effect<P>> {
        let in_flight = self.peers.values().filter(|s| s.in_flight).count();
        let mut effects = Vec::new();
        // Least recently asked first, so no peer starves under the in-flight bound.
        let mut due: Vec<(Duration, P)> = self
            .peers
            .iter()
            .filter(|(_, s)| !s.in_flight && !s.banned && s.next.is_none_or(|t| t <= now))
            .map(|(p, s)| (s.next.unwrap_or_default(), p.clone()))
            .collect();
        due.sort();
        for (_, peer) in due.into_iter().take(self.config.max_in_flight.saturating_sub(in_flight)) {
            let s = self.peers.get_mut(&peer).expect("a due peer is tracked");
            s.in_flight = true;
            let ask = if s.certified { s.ask.clone() } else { Ask::Roster };
            effects.push(Effect::Request { peer, ask });
        }
        effects
    }

    /// When [`Engine::poll`] next has something to do, if any peer is waiting.
    pub fn next_due(&self) -> Option<Duration> {
        self.peers.values().filter(|s| !s.in_flight && !s.banned).map(|s| s.next.unwrap_or_default()).min()
    }

    /// The heads each peer last reported.
    pub fn peer_heads(&self) -> &BTreeMap<P, Heads> {
        &self.heads
    }

    /// Offences counted against `peer`.
    pub fn offences(&self, peer: &P) -> u32 {
        self.peers.get(peer).map_or(0, |s| s.offences)
    }

    /// Peers connected now.
    pub fn connected(&self) -> impl Iterator<Item = &P> {
        self.peers.keys()
    }
}

/// Records our peers hold beyond what we hold, summed over authors: how far behind we are.
pub fn lag(ours: &Heads, theirs: &Heads) -> u64 {
    theirs
        .iter()
        .map(|(a, t)| match ours.get(a) {
            None => t + 1,
            Some(o) => t.saturating_sub(*o),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(BTreeMap<PublicKey, Vec<u64>>);

    impl Log for Mem {
        type Item = (PublicKey, u64);
        type Error = ();
        fn heads(&self) -> Result<Heads, ()> {
            Ok(self.0.iter().map(|(a, v)| (*a, v.len() as u64 - 1)).collect())
        }
        fn roster_after(&self, _: u64, _: usize) -> Result<Vec<Self::Item>, ()> {
            Ok(Vec::new())
        }
        // Like the store, a range call returns at most a page however much room there is.
        const MAX_RANGE: usize = 1000;
        fn range(&self, a: &PublicKey, from: u64, limit: usize) -> Result<Vec<Self::Item>, ()> {
            let limit = limit.min(Self::MAX_RANGE);
            Ok(self.0[a].iter().skip(from as usize).take(limit).map(|s| (*a, *s)).collect())
        }
        fn equivocations(&self, _: &BTreeSet<PublicKey>, _: usize) -> Result<Vec<Self::Item>, ()> {
            Ok(Vec::new())
        }
        fn size(_: &Self::Item) -> usize {
            100
        }
    }

    #[test]
    fn answers_what_the_requester_lacks_in_bounded_resumable_batches() {
        let (a, b) = (PublicKey([1; 32]), PublicKey([2; 32]));
        let log = Mem([(a, (0..4500).collect()), (b, (0..3).collect())].into_iter().collect());
        let mut heads: Heads = [(b, 0)].into_iter().collect();
        let mut got = 0;
        loop {
            let answer = answer(&log, &Request::new(&Ask::Full, &heads, 0)).expect("mem");
            assert!(answer.items.len() <= MAX_BATCH_RECORDS);
            got += answer.items.len();
            for (author, seq) in answer.items {
                heads.insert(author, seq);
            }
            if answer.complete {
                break;
            }
        }
        assert_eq!(got, 4500 + 2);
        assert_eq!(log.heads().expect("mem"), heads);
    }

    #[test]
    fn a_probe_finds_the_one_bucket_that_differs_and_that_bucket_the_missing_record() {
        let authors: Vec<PublicKey> = (0..=255u8).step_by(3).map(|i| PublicKey([i; 32])).collect();
        let log = Mem(authors.iter().map(|a| (*a, (0..5).collect())).collect());
        let mut ours = log.heads().expect("mem");
        let probe = answer(&log, &Request::new(&Ask::Probe, &ours, 0)).expect("mem");
        assert!(probe.complete && probe.items.is_empty() && probe.theirs == Some(ours.clone()));
        let lagging = authors[40];
        ours.insert(lagging, 3);
        let probe = answer(&log, &Request::new(&Ask::Probe, &ours, 0)).expect("mem");
        assert!(!probe.complete && probe.items.is_empty());
        let differing = differing_buckets(&ours, &probe.buckets);
        assert_eq!(differing, vec![bucket(&lagging)]);
        let request = Request::new(&Ask::Buckets(differing), &ours, 0);
        assert!(request.heads.len() < 3 && request.within_limits());
        let answer = answer(&log, &request).expect("mem");
        assert!(answer.complete);
        assert_eq!(answer.items, vec![(lagging, 4)]);
        assert_eq!(answer.theirs, Some(ours));
    }

    #[test]
    fn after_storing_new_records_in_step_peers_are_probed_within_the_receipt_delay() {
        let mut e: Engine<u32> = Engine::new(Config::default());
        let t0 = Duration::ZERO;
        for peer in [0, 1] {
            e.handle(t0, Input::Connected { peer, certified: true });
        }
        e.handle(t0, Input::Synced { peer: 0, reply: Reply::InStep });
        e.handle(t0, Input::Synced { peer: 1, reply: Reply::Complete });
        let later = Duration::from_secs(2);
        assert!(e.poll(later).is_empty(), "both wait for their next round");
        e.handle(later, Input::Advanced);
        let due = e.poll(later + RECEIPT_DELAY);
        assert_eq!(due, vec![Effect::Request { peer: 0, ask: Ask::Probe }], "only the in-step peer, at once");
        let ask = |e: &mut Engine<u32>, peer| e.handle(later, Input::Synced { peer, reply: Reply::InStep });
        ask(&mut e, 0);
        e.handle(later, Input::Advanced);
        let in_flight = e.poll(later + RECEIPT_DELAY);
        assert_eq!(in_flight.len(), 1, "probed again: {in_flight:?}");
        e.handle(later + RECEIPT_DELAY, Input::Advanced);
        ask(&mut e, 0);
        assert_eq!(e.poll(later + RECEIPT_DELAY * 2).len(), 1, "advanced while in flight: probed again soon after");
        let answer = answer(&Mem(BTreeMap::new()), &Request::new(&Ask::Full, &[(PublicKey([9; 32]), 2)].into(), 0));
        assert_eq!(answer.expect("mem").ahead, 3, "a requester ahead of us is noticed");
    }

    #[test]
    fn in_step_peers_are_probed_less_often_the_more_peers_there_are() {
        let quiet_after = |peers: u16| {
            let mut e: Engine<u16> = Engine::new(Config { max_in_flight: usize::MAX, ..Config::default() });
            for p in 0..peers {
                e.handle(Duration::ZERO, Input::Connected { peer: p, certified: true });
            }
            e.handle(Duration::ZERO, Input::Synced { peer: 0, reply: Reply::InStep });
            e.peers[&0].next.expect("scheduled")
        };
        assert_eq!(quiet_after(3), QUIET_INTERVAL);
        assert_eq!(quiet_after(QUIET_PEERS as u16), QUIET_INTERVAL);
        assert_eq!(quiet_after(4 * QUIET_PEERS as u16), 4 * QUIET_INTERVAL);
        assert_eq!(quiet_after(1000), MAX_QUIET_FACTOR * QUIET_INTERVAL);
    }

    #[test]
    fn bans_after_too_many_offences_and_asks_again_after_an_incomplete_batch() {
        let mut e: Engine<u8> = Engine::new(Config { max_offences: 2, ..Config::default() });
        let t = Duration::ZERO;
        assert_eq!(
            e.handle(t, Input::Connected { peer: 1, certified: true }),
            vec![Effect::Request { peer: 1, ask: Ask::Probe }]
        );
        assert_eq!(
            e.handle(t, Input::Synced { peer: 1, reply: Reply::Differs(vec![3]) }),
            vec![Effect::Request { peer: 1, ask: Ask::Buckets(vec![3]) }]
        );
        assert_eq!(
            e.handle(t, Input::Synced { peer: 1, reply: Reply::Incomplete }),
            vec![Effect::Request { peer: 1, ask: Ask::Buckets(vec![3]) }]
        );
        assert!(e.handle(t, Input::Synced { peer: 1, reply: Reply::Complete }).is_empty());
        assert!(e.handle(t, Input::Offence(1)).is_empty());
        assert_eq!(e.handle(t, Input::Offence(1)), vec![Effect::Ban(1)]);
    }
}
