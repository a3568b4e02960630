//! Deterministic simulation of catch-up sync: the real [`sync::Engine`] and [`sync::answer`] of
//! several nodes over an in-memory network driven by a seeded RNG that delays, drops, duplicates
//! and partitions messages while nodes write. After the network heals, every node must hold every
//! record. A failing run prints its seed; `SAMVERKA_SIM_SEED=<seed>` replays exactly that run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use samverka_node::sync::{self, Ask, Effect, Engine, Heads, Input, Log, Reply, Request};
use samverka_protocol::PublicKey;

const NODES: usize = 5;
const STEP: Duration = Duration::from_millis(10);
const CHAOS: Duration = Duration::from_secs(60);
const HEAL: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// A record in the simulation: enough to check chains and sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rec {
    author: PublicKey,
    seq: u64,
}

#[derive(Default)]
struct MemLog(BTreeMap<PublicKey, Vec<Rec>>);

impl MemLog {
    /// Stores `rec` only if it extends its author's chain, as the node does.
    fn ingest(&mut self, rec: Rec) {
        let chain = self.0.entry(rec.author).or_default();
        if chain.len() as u64 == rec.seq {
            chain.push(rec);
        }
    }

    fn all(&self) -> BTreeSet<Rec> {
        self.0.values().flatten().copied().collect()
    }
}

impl Log for MemLog {
    type Item = Rec;
    type Error = std::convert::Infallible;
    fn heads(&self) -> Result<Heads, Self::Error> {
        Ok(self.0.iter().filter(|(_, c)| !c.is_empty()).map(|(a, c)| (*a, c.len() as u64 - 1)).collect())
    }
    fn roster_after(&self, _: u64, _: usize) -> Result<Vec<Rec>, Self::Error> {
        Ok(Vec::new())
    }
    const MAX_RANGE: usize = usize::MAX;
    fn range(&self, author: &PublicKey, from: u64, limit: usize) -> Result<Vec<Rec>, Self::Error> {
        let chain = self.0.get(author).map_or(&[][..], |c| &c[..]);
        Ok(chain.iter().skip(from as usize).take(limit).copied().collect())
    }
    fn equivocations(&self, _: &BTreeSet<PublicKey>, _: usize) -> Result<Vec<Rec>, Self::Error> {
        Ok(Vec::new())
    }
    fn size(_: &Rec) -> usize {
        300
    }
}

enum Message {
    Request { id: u64, request: Request },
    Response { id: u64, records: Vec<Rec>, complete: bool, buckets: Vec<u8> },
}

struct InFlight {
    at: Duration,
    from: usize,
    to: usize,
    message: Message,
}

struct Node {
    engine: Engine<usize>,
    log: MemLog,
    /// Outstanding requests: peer → (request id, what was asked, deadline).
    outstanding: HashMap<usize, (u64, Ask, Duration)>,
}

struct Sim {
    rng: StdRng,
    now: Duration,
    nodes: Vec<Node>,
    wire: Vec<InFlight>,
    /// Side of the partition each node is on (all 0 when whole).
    side: Vec<u8>,
    next_id: u64,
    drop: f64,
    duplicate: f64,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let config = sync::Config {
            interval: Duration::from_secs(1),
            quiet_interval: Duration::from_secs(3),
            retry: Duration::from_millis(500),
            max_in_flight: 2,
            ..sync::Config::default()
        };
        let nodes = (0..NODES)
            .map(|_| Node { engine: Engine::new(config), log: MemLog::default(), outstanding: HashMap::new() })
            .collect();
        Sim {
            rng: StdRng::seed_from_u64(seed),
            now: Duration::ZERO,
            nodes,
            wire: Vec::new(),
            side: vec![0; NODES],
            next_id: 0,
            drop: 0.1,
            duplicate: 0.05,
        }
    }

    fn send(&mut self, from: usize, to: usize, message: Message) {
        if self.side[from] != self.side[to] || self.rng.gen_bool(self.drop) {
            return;
        }
        let copies = if self.rng.gen_bool(self.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let delay = Duration::from_millis(self.rng.gen_range(1..300));
            let message = match &message {
                Message::Request { id, request } => Message::Request { id: *id, request: request.clone() },
                Message::Response { id, records, complete, buckets } => Message::Response {
                    id: *id,
                    records: records.clone(),
                    complete: *complete,
                    buckets: buckets.clone(),
                },
            };
            self.wire.push(InFlight { at: self.now + delay, from, to, message });
        }
    }

    fn apply(&mut self, node: usize, effects: Vec<Effect<usize>>) {
        for effect in effects {
            match effect {
                Effect::Request { peer, ask } => {
                    let id = self.next_id;
                    self.next_id += 1;
                    let heads = self.nodes[node].log.heads().expect("mem");
                    let request = Request::new(&ask, &heads, 0);
                    self.nodes[node].outstanding.insert(peer, (id, ask, self.now + REQUEST_TIMEOUT));
                    self.send(node, peer, Message::Request { id, request });
                }
                Effect::Ban(peer) => panic!("node {node} banned honest peer {peer}"),
            }
        }
    }

    fn feed(&mut self, node: usize, input: Input<usize>) {
        let effects = self.nodes[node].engine.handle(self.now, input);
        self.apply(node, effects);
    }

    fn deliver(&mut self, m: InFlight) {
        match m.message {
            Message::Request { id, request } => {
                let answer = sync::answer(&self.nodes[m.to].log, &request).expect("mem");
                if let Some(heads) = answer.theirs {
                    self.feed(m.to, Input::Heads { peer: m.from, heads });
                }
                let (records, complete, buckets) = (answer.items, answer.complete, answer.buckets);
                self.send(m.to, m.from, Message::Response { id, records, complete, buckets });
            }
            Message::Response { id, records, complete, buckets } => {
                let node = &mut self.nodes[m.to];
                let ask = match node.outstanding.get(&m.from) {
                    Some((i, ask, _)) if *i == id => ask.clone(),
                    _ => return, // a duplicate, or an answer to a request already given up on
                };
                node.outstanding.remove(&m.from);
                for r in records {
                    node.log.ingest(r);
                }
                let reply = match (ask, complete) {
                    (Ask::Probe, true) => Reply::InStep,
                    (Ask::Probe, false) => {
                        Reply::Differs(sync::differing_buckets(&node.log.heads().expect("mem"), &buckets))
                    }
                    (_, true) => Reply::Complete,
                    (_, false) => Reply::Incomplete,
                };
                self.feed(m.to, Input::Synced { peer: m.from, reply });
            }
        }
    }

    fn step(&mut self, chaos: bool) {
        self.now += STEP;
        if chaos {
            if self.rng.gen_bool(0.02) {
                let node = self.rng.gen_range(0..NODES);
                let author = PublicKey([node as u8; 32]);
                let seq = self.nodes[node].log.0.get(&author).map_or(0, |c| c.len() as u64);
                self.nodes[node].log.ingest(Rec { author, seq });
            }
            if self.rng.gen_bool(0.001) {
                self.side = (0..NODES).map(|_| self.rng.gen_range(0..2)).collect();
            }
        }
        let (due, later): (Vec<InFlight>, Vec<InFlight>) =
            std::mem::take(&mut self.wire).into_iter().partition(|m| m.at <= self.now);
        self.wire = later;
        for m in due {
            self.deliver(m);
        }
        for node in 0..NODES {
            let expired: Vec<usize> = self.nodes[node]
                .outstanding
                .iter()
                .filter(|(_, (_, _, deadline))| *deadline <= self.now)
                .map(|(p, _)| *p)
                .collect();
            for peer in expired {
                self.nodes[node].outstanding.remove(&peer);
                self.feed(node, Input::Failed(peer));
            }
            let effects = self.nodes[node].engine.poll(self.now);
            self.apply(node, effects);
        }
    }

    fn run(&mut self) -> Result<(), String> {
        for a in 0..NODES {
            for b in 0..NODES {
                if a != b {
                    self.feed(a, Input::Connected { peer: b, certified: true });
                }
            }
        }
        while self.now < CHAOS {
            self.step(true);
        }
        self.side = vec![0; NODES];
        self.drop = 0.0;
        self.duplicate = 0.0;
        while self.now < CHAOS + HEAL {
            self.step(false);
        }
        let want: BTreeSet<Rec> = self.nodes.iter().flat_map(|n| n.log.all()).collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let have = node.log.all();
            if have != want {
                return Err(format!("node {i} holds {} of {} records after healing", have.len(), want.len()));
            }
        }
        if want.is_empty() {
            return Err("no records were written".into());
        }
        Ok(())
    }
}

#[test]
fn sync_converges_over_a_lossy_partitioning_network() {
    let seeds: Vec<u64> = match std::env::var("SAMVERKA_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SAMVERKA_SIM_SEED is a number")],
        Err(_) => {
            let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            (0..8).map(|i| base.wrapping_mul(31).wrapping_add(i)).collect()
        }
    };
    for seed in seeds {
        if let Err(e) = Sim::new(seed).run() {
            panic!("simulation failed: {e}\nreproduce with SAMVERKA_SIM_SEED={seed}");
        }
    }
}
