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
//! to send. Neither does I/O or reads a clock, so `tests/tests/sync_sim.rs` runs them over a
//! seeded, lossy, partitioning in-memory network.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use samverka_protocol::PublicKey;
use serde::{Deserialize, Serialize};

/// Highest contiguous seq held per author: the version vector sync exchanges.
pub type Heads = BTreeMap<PublicKey, u64>;

/// Most authors in one request's heads (every key of the largest federation we plan for, many
/// times over). A node with more sends its first `MAX_HEADS`; the rest are synced next round.
pub const MAX_HEADS: usize = 16_384;
/// Most authors named as equivocators in one request.
pub const MAX_FLAGGED: usize = 1024;
/// Most records in one sync response.
pub const MAX_BATCH_RECORDS: usize = 500;
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

/// A sync request: what the requester holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The requester's newest roster version.
    pub roster_version: u64,
    /// Only roster records are wanted (a peer not yet known to be certified is asked only this).
    pub roster_only: bool,
    /// The requester's heads (at most [`MAX_HEADS`]).
    pub heads: Vec<(PublicKey, u64)>,
    /// Authors the requester already knows equivocated (at most [`MAX_FLAGGED`]).
    pub flagged: Vec<PublicKey>,
    /// Content hashes of papers the requester's records name but it does not hold (at most
    /// [`MAX_WANTED_PAPERS`]).
    pub papers: Vec<samverka_protocol::Hash>,
}

impl Request {
    /// Whether the request is within the limits a responder accepts.
    pub fn within_limits(&self) -> bool {
        self.heads.len() <= MAX_HEADS && self.flagged.len() <= MAX_FLAGGED && self.papers.len() <= MAX_WANTED_PAPERS
    }
}

/// A peer's address, shared so nodes find each other beyond their bootstrap list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPeer {
    /// The peer id's bytes.
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
    /// False when the batch was cut short and the requester should ask again.
    pub complete: bool,
    /// Certified peers the responder is connected to.
    pub peers: Vec<SharedPeer>,
    /// Contents of wanted papers the responder holds (at most [`MAX_WANTED_PAPERS`], together at
    /// most [`MAX_PAPER_BYTES_PER_RESPONSE`] bytes). The requester checks each by its hash.
    pub papers: Vec<serde_bytes::ByteBuf>,
}

impl Response {
    /// Whether the response is within the limits a requester accepts.
    pub fn within_limits(&self) -> bool {
        self.records.len() <= MAX_BATCH_RECORDS + MAX_FLAGGED
            && self.peers.len() <= MAX_SHARED_PEERS
            && self.papers.len() <= MAX_WANTED_PAPERS
            && self.papers.iter().map(|p| p.len()).sum::<usize>() <= MAX_PAPER_BYTES_PER_RESPONSE
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
    /// `author`'s records from `from_seq` on, in seq order, at most `limit`.
    fn range(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Self::Item>, Self::Error>;
    /// Records proving that authors equivocated, for authors not in `known` (at most `limit`).
    fn equivocations(&self, known: &BTreeSet<PublicKey>, limit: usize) -> Result<Vec<Self::Item>, Self::Error>;
    /// The size of an item in bytes, for the batch byte budget.
    fn size(item: &Self::Item) -> usize;
}

/// What to send for `request`: the records the requester lacks, at most [`MAX_BATCH_RECORDS`]
/// and about [`MAX_BATCH_BYTES`], and whether that was everything.
pub fn answer<L: Log>(log: &L, request: &Request) -> Result<(Vec<L::Item>, bool), L::Error> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    let full = |out: &Vec<L::Item>, bytes: usize| out.len() >= MAX_BATCH_RECORDS || bytes >= MAX_BATCH_BYTES;
    for item in log.roster_after(request.roster_version, MAX_BATCH_RECORDS)? {
        bytes += L::size(&item);
        out.push(item);
    }
    if full(&out, bytes) {
        return Ok((out, false));
    }
    if request.roster_only {
        return Ok((out, true));
    }
    let theirs: Heads = request.heads.iter().copied().collect();
    let flagged: BTreeSet<PublicKey> = request.flagged.iter().copied().collect();
    out.extend(log.equivocations(&flagged, MAX_FLAGGED)?);
    // Authors where the requester is furthest behind first, so a late joiner gets the bulk in
    // large runs; ties by key for determinism.
    let mut behind: Vec<(u64, PublicKey, u64)> = log
        .heads()?
        .into_iter()
        .filter_map(|(author, ours)| match theirs.get(&author) {
            None => Some((ours + 1, author, 0)),
            Some(&t) if t < ours => Some((ours - t, author, t + 1)),
            Some(_) => None,
        })
        .collect();
    behind.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, author, from) in behind {
        if full(&out, bytes) {
            return Ok((out, false));
        }
        let room = MAX_BATCH_RECORDS - out.len();
        for item in log.range(&author, from, room)? {
            bytes += L::size(&item);
            out.push(item);
            if full(&out, bytes) {
                return Ok((out, false));
            }
        }
    }
    Ok((out, true))
}

/// How often each connected peer is synced with, absent other reasons.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(10);
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
    /// [`RETRY_DELAY`].
    pub retry: Duration,
    /// [`MAX_IN_FLIGHT`].
    pub max_in_flight: usize,
    /// [`MAX_OFFENCES`].
    pub max_offences: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config { interval: SYNC_INTERVAL, retry: RETRY_DELAY, max_in_flight: MAX_IN_FLIGHT, max_offences: MAX_OFFENCES }
    }
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
    /// Our request to a peer was answered and the records were ingested.
    Synced {
        /// The peer.
        peer: P,
        /// Whether the peer sent everything we lacked.
        complete: bool,
    },
    /// Our request to a peer failed (timeout, closed stream, oversized response).
    Failed(P),
    /// A peer sent a record whose predecessor we lack: sync with it soon.
    Gap(P),
    /// A peer sent its heads in a request (what it holds: replication receipts).
    Heads {
        /// The peer.
        peer: P,
        /// Its heads.
        heads: Heads,
    },
    /// A peer sent a record that failed validation.
    Offence(P),
}

/// What the event loop should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<P> {
    /// Send a sync request to the peer (roster only if it is not yet certified).
    Request {
        /// The peer.
        peer: P,
        /// Ask only for roster records.
        roster_only: bool,
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
    offences: u32,
    banned: bool,
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
            }
            Input::Certified(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.certified = true;
                    s.next = None;
                }
            }
            Input::Disconnected(peer) => {
                self.peers.remove(&peer);
            }
            Input::Synced { peer, complete } => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.in_flight = false;
                    s.next = if complete { Some(now + self.config.interval) } else { None };
                }
            }
            Input::Failed(peer) => {
                if let Some(s) = self.peers.get_mut(&peer) {
                    s.in_flight = false;
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
            effects.push(Effect::Request { peer, roster_only: !s.certified });
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
        fn range(&self, a: &PublicKey, from: u64, limit: usize) -> Result<Vec<Self::Item>, ()> {
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
        let log = Mem([(a, (0..1200).collect()), (b, (0..3).collect())].into_iter().collect());
        let mut heads = vec![(b, 0)];
        let mut got = 0;
        loop {
            let (items, complete) = answer(&log, &Request { heads: heads.clone(), ..Request::default() }).expect("mem");
            assert!(items.len() <= MAX_BATCH_RECORDS);
            got += items.len();
            let mut h: Heads = heads.iter().copied().collect();
            for (author, seq) in items {
                h.insert(author, seq);
            }
            heads = h.into_iter().collect();
            if complete {
                break;
            }
        }
        assert_eq!(got, 1200 + 2);
    }

    #[test]
    fn bans_after_too_many_offences_and_asks_again_after_an_incomplete_batch() {
        let mut e: Engine<u8> = Engine::new(Config { max_offences: 2, ..Config::default() });
        let t = Duration::ZERO;
        assert_eq!(
            e.handle(t, Input::Connected { peer: 1, certified: true }),
            vec![Effect::Request { peer: 1, roster_only: false }]
        );
        assert_eq!(
            e.handle(t, Input::Synced { peer: 1, complete: false }),
            vec![Effect::Request { peer: 1, roster_only: false }]
        );
        assert!(e.handle(t, Input::Synced { peer: 1, complete: true }).is_empty());
        assert!(e.handle(t, Input::Offence(1)).is_empty());
        assert_eq!(e.handle(t, Input::Offence(1)), vec![Effect::Ban(1)]);
    }
}
