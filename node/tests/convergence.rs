//! Three nodes under random interleavings of signing, refused records, resubmission, restarts,
//! partitions, out-of-order gossip and sync: after the partitions heal and sync runs, no record a
//! node acknowledged is missing anywhere, and every node's heads end gapless chains it holds.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use samverka_node::ledger::{Ledger, Outcome, Source};
use samverka_node::network::StoreLog;
use samverka_node::signer::{Position, Signer};
use samverka_node::sync::{self, Ask};
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{Kind, PublicKey, Record, RecordId, Unverified};

const NODES: usize = 3;
const AUTHORS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Author `a` signs a note (or, if `!valid`, a note the rules refuse) at its home node `a`.
    Sign { author: usize, valid: bool },
    /// An acknowledged record is submitted again over the API of a node.
    Resend { pick: usize, node: usize },
    /// Node `to` receives what `from` holds and it lacks, one by one in a shuffled order.
    Gossip { from: usize, to: usize, seed: u64 },
    /// Node `to` catches up from `from` with the sync protocol.
    Sync { from: usize, to: usize },
    /// A node restarts (its parking area is lost).
    Restart { node: usize },
    /// The link between two nodes is cut, or healed if cut.
    Toggle { a: usize, b: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..AUTHORS, prop::bool::weighted(0.8)).prop_map(|(author, valid)| Op::Sign { author, valid }),
        1 => (any::<usize>(), 0..NODES).prop_map(|(pick, node)| Op::Resend { pick, node }),
        3 => (0..NODES, 0..NODES, any::<u64>()).prop_map(|(from, to, seed)| Op::Gossip { from, to, seed }),
        2 => (0..NODES, 0..NODES).prop_map(|(from, to)| Op::Sync { from, to }),
        1 => (0..NODES).prop_map(|node| Op::Restart { node }),
        1 => (0..NODES, 0..NODES).prop_map(|(a, b)| Op::Toggle { a, b }),
    ]
}

struct World {
    fed: Federation,
    dirs: Vec<tempfile::TempDir>,
    nodes: Vec<Option<Ledger>>,
    signers: Vec<Signer>,
    _keys: tempfile::TempDir,
    cut: BTreeSet<(usize, usize)>,
    acknowledged: Vec<Record<Unverified>>,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Sammanflöde", &testkit::kommuner(NODES), "1000");
        let keys = tempfile::tempdir().expect("tempdir");
        let signers = (0..AUTHORS)
            .map(|i| {
                let author = fed.certify_node(&format!("{}", 1000 + i), &format!("flöde/{i}"));
                let path = keys.path().join(format!("{i}.key"));
                samverka_node::keyfile::write_secret(&path, "node", &author.key).expect("key written");
                Signer::open(&path).expect("signer opens")
            })
            .collect();
        let dirs: Vec<tempfile::TempDir> = (0..NODES).map(|_| tempfile::tempdir().expect("tempdir")).collect();
        let nodes = dirs.iter().map(|d| Some(support::open_with(d.path(), &fed))).collect();
        World { fed, dirs, nodes, signers, _keys: keys, cut: BTreeSet::new(), acknowledged: Vec::new() }
    }

    fn node(&self, i: usize) -> &Ledger {
        self.nodes[i].as_ref().expect("open")
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        a != b && !self.cut.contains(&(a.min(b), a.max(b)))
    }

    /// The signer's rules (docs/protocol.md §7.6) against the author's home node.
    fn sign(&mut self, author: usize, valid: bool) {
        let (signer, node) = (&self.signers[author], self.nodes[author].as_ref().expect("open"));
        let public = signer.key().public();
        let position = signer.position().expect("chain file").unwrap_or_else(|| {
            let (seq, prev) = node.next_position(&public).expect("head");
            Position { seq, prev, federation: Some(self.fed.id()) }
        });
        let body = if valid { format!("anteckning {}", position.seq).into_bytes() } else { vec![0xff, 0xfe] };
        let record = signer.prepare(position, self.fed.id(), self.fed.version(), Kind::Note, body, 0).expect("signs");
        if node.check(Source::Api, record.clone()).is_err() {
            assert!(!valid, "a valid note passes the check");
            signer.discard(&record).expect("discarded");
            return;
        }
        signer.keep(&record).expect("kept");
        match node.ingest_one(Source::Api, record.clone()) {
            Ok(Outcome::Stored(_)) => {
                signer.acknowledged(&record).expect("acknowledged");
                self.acknowledged.push(record);
            }
            other => panic!("a checked record from its author's home node is stored, got {other:?}"),
        }
    }

    fn all(&self, i: usize) -> Vec<Record<Unverified>> {
        let (mut out, mut cursor) = (Vec::new(), None);
        loop {
            let (page, next) = self.node(i).store().by_kind(None, cursor, 1000).expect("page");
            out.extend(page.iter().map(|r| r.to_unverified()));
            match next {
                Some(n) => cursor = Some(n),
                None => return out,
            }
        }
    }

    fn gossip(&self, from: usize, to: usize, seed: u64) {
        let mut lacking: Vec<Record<Unverified>> =
            self.all(from).into_iter().filter(|r| !self.node(to).store().contains(&r.id()).expect("read")).collect();
        let mut state = seed | 1;
        for i in (1..lacking.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lacking.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for r in lacking {
            let result = self.node(to).ingest_one(Source::Peer(from as u64), r);
            assert!(result.is_ok(), "a genuine record is never refused: {result:?}");
        }
    }

    fn sync(&self, from: usize, to: usize) {
        for _ in 0..64 {
            let heads = self.node(to).store().heads().expect("heads");
            let request = sync::Request::new(&Ask::Full, &heads, self.fed.version());
            let answer = sync::answer(&StoreLog(self.node(from).store()), &request).expect("answers");
            let records = answer.items.iter().map(|b| Record::decode(b).expect("canonical")).collect();
            for r in self.node(to).ingest_from(Source::Peer(from as u64), records) {
                assert!(r.is_ok(), "a genuine record is never refused: {r:?}");
            }
            if answer.complete {
                return;
            }
        }
        panic!("sync did not complete in 64 rounds");
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Sign { author, valid } => self.sign(author, valid),
            Op::Resend { pick, node } if !self.acknowledged.is_empty() => {
                let r = self.acknowledged[pick % self.acknowledged.len()].clone();
                match self.node(node).ingest_one(Source::Api, r) {
                    Ok(Outcome::Duplicate(_) | Outcome::Stored(_)) => {}
                    Err(e) => assert_eq!(e.code(), "missing_predecessor", "{e}"),
                    Ok(other) => panic!("an API resend is stored, a duplicate or refused: {other:?}"),
                }
            }
            Op::Resend { .. } => {}
            Op::Gossip { from, to, seed } if self.linked(from, to) => self.gossip(from, to, seed),
            Op::Sync { from, to } if self.linked(from, to) => self.sync(from, to),
            Op::Gossip { .. } | Op::Sync { .. } => {}
            Op::Restart { node } => {
                self.nodes[node] = None;
                self.nodes[node] = Some(support::open_with(self.dirs[node].path(), &self.fed));
            }
            Op::Toggle { a, b } if a != b => {
                let link = (a.min(b), a.max(b));
                if !self.cut.remove(&link) {
                    self.cut.insert(link);
                }
            }
            Op::Toggle { .. } => {}
        }
    }

    /// Every author's chain as node `i` holds it: gapless from seq 0 to its head.
    fn chains(&self, i: usize) -> BTreeMap<PublicKey, Vec<RecordId>> {
        let store = self.node(i).store();
        let heads = store.heads().expect("heads");
        heads
            .into_iter()
            .map(|(author, head)| {
                let chain = (0..=head)
                    .map(|seq| {
                        let held = store.at_position(&author, seq).expect("read");
                        assert_eq!(held.len(), 1, "node {i}: author {author} seq {seq} of head {head} held once");
                        held[0]
                    })
                    .collect();
                (author, chain)
            })
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn after_healing_every_acknowledged_record_is_everywhere_and_heads_end_gapless_chains(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let mut world = World::new();
        for op in ops {
            world.apply(op);
        }
        world.cut.clear();
        for _ in 0..NODES {
            for from in 0..NODES {
                for to in 0..NODES {
                    if from != to {
                        world.sync(from, to);
                    }
                }
            }
        }
        let chains: Vec<_> = (0..NODES).map(|i| world.chains(i)).collect();
        for i in 0..NODES {
            for r in &world.acknowledged {
                prop_assert!(world.node(i).store().contains(&r.id()).expect("read"), "node {} lacks {}", i, r.id());
            }
            prop_assert_eq!(&chains[i], &chains[0]);
        }
    }
}
