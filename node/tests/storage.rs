//! The store against an in-memory model, across restarts.

use std::collections::BTreeMap;

use proptest::prelude::*;
use samverka_node::ledger::{Ledger, Outcome};
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::{Kind, PublicKey, RecordId};

#[derive(Debug, Clone)]
enum Op {
    /// Author `a` writes `n` notes.
    Write { author: usize, n: usize },
    /// Re-send an already stored record (must be a duplicate).
    Resend { pick: usize },
    /// Close and reopen the store.
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 1..20usize).prop_map(|(author, n)| Op::Write { author, n }),
        1 => any::<usize>().prop_map(|pick| Op::Resend { pick }),
        1 => Just(Op::Reopen),
    ]
}

fn open(dir: &std::path::Path, fed: &Federation) -> Ledger {
    let ledger = Ledger::open(dir, 4 << 20).expect("opens");
    if ledger.federation().is_none() {
        ledger.ingest(fed.charter.to_unverified()).expect("charter");
        for u in &fed.updates {
            ledger.ingest(u.to_unverified()).expect("roster");
        }
    }
    ledger
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model_across_restarts(ops in proptest::collection::vec(op(), 1..25)) {
        let mut fed = Federation::found("Model", &testkit::kommuner(3), "1000");
        let mut authors: Vec<Author> =
            (0..3).map(|i| fed.certify_node(&format!("{}", 1000 + i), &format!("model/{i}"))).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ledger = open(dir.path(), &fed);
        let base = ledger.store().count().expect("count");
        let mut model: BTreeMap<RecordId, (PublicKey, u64)> = BTreeMap::new();
        let mut sent = Vec::new();
        for op in ops {
            match op {
                Op::Write { author, n } => {
                    let records: Vec<_> = (0..n)
                        .map(|i| authors[author].next(fed.id(), fed.version(), Kind::Note, format!("{i}").into_bytes()))
                        .collect();
                    for (r, result) in records.iter().zip(ledger.ingest_many(records.clone())) {
                        prop_assert_eq!(result.expect("valid"), Outcome::Stored(r.id()));
                        model.insert(r.id(), (r.header().author, r.header().seq));
                        sent.push(r.clone());
                    }
                }
                Op::Resend { pick } if !sent.is_empty() => {
                    let r = sent[pick % sent.len()].clone();
                    prop_assert_eq!(ledger.ingest(r.clone()).expect("valid"), Outcome::Duplicate(r.id()));
                }
                Op::Resend { .. } => {}
                Op::Reopen => {
                    drop(ledger);
                    ledger = open(dir.path(), &fed);
                }
            }
            let store = ledger.store();
            prop_assert_eq!(store.count().expect("count"), base + model.len() as u64);
            for (id, (author, seq)) in &model {
                let got = store.get(id).expect("read").expect("present");
                prop_assert_eq!(got.header().seq, *seq);
                prop_assert_eq!(store.at_position(author, *seq).expect("read"), vec![*id]);
            }
            for a in &authors {
                let expected = a.seq.checked_sub(1);
                prop_assert_eq!(store.head(&a.key.public()).expect("read"), expected);
                let chain = store.by_author(&a.key.public(), 0, 1000).expect("read");
                prop_assert_eq!(chain.len() as u64, a.seq);
                prop_assert!(chain.windows(2).all(|w| w[0].header().seq + 1 == w[1].header().seq));
            }
        }
    }
}
