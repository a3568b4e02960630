//! The store against an in-memory model, across restarts and faults: damaged record bytes are
//! never served and are fetched again; damaged index files are rebuilt from the log on opening.

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

/// A federation with one node author that wrote `count` notes, stored in a ledger at `dir` and
/// closed (so a checkpoint covers them).
struct Written {
    fed: Federation,
    notes: Vec<samverka_protocol::Record<samverka_protocol::Unverified>>,
    author: PublicKey,
}

fn write_notes(dir: &std::path::Path, count: usize) -> Written {
    let mut fed = Federation::found("Skada", &testkit::kommuner(2), "1000");
    let mut author = fed.certify_node("1000", "skada/node");
    let notes: Vec<_> = (0..count)
        .map(|i| author.next(fed.id(), fed.version(), Kind::Note, format!("anteckning {i}").into_bytes()))
        .collect();
    let ledger = open(dir, &fed);
    for result in ledger.ingest_many(notes.clone()) {
        assert!(matches!(result.expect("valid"), Outcome::Stored(_)));
    }
    Written { fed, notes, author: author.key.public() }
}

fn records_file(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    dir.join("records").join(name)
}

/// Flips one bit of `file` at `at`.
fn flip(file: &std::path::Path, at: usize) {
    let mut bytes = std::fs::read(file).expect("reads");
    bytes[at] ^= 0x04;
    std::fs::write(file, bytes).expect("writes");
}

/// Where `needle` starts in the record log.
fn in_log(dir: &std::path::Path, needle: &[u8]) -> usize {
    let log = std::fs::read(records_file(dir, "log")).expect("log");
    log.windows(needle.len()).position(|w| w == needle).expect("the record is in the log")
}

fn ids_of(records: &[samverka_protocol::Record<samverka_protocol::Verified>]) -> Vec<RecordId> {
    records.iter().map(|r| r.id()).collect()
}

fn note_ids(w: &Written) -> Vec<RecordId> {
    w.notes.iter().map(|r| r.id()).collect()
}

#[test]
fn a_damaged_record_is_never_served_lowers_the_head_and_is_repaired_by_a_fresh_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write_notes(dir.path(), 6);
    let damaged = &w.notes[3];
    flip(&records_file(dir.path(), "log"), in_log(dir.path(), damaged.bytes()) + damaged.bytes().len() - 3);

    let ledger = open(dir.path(), &w.fed);
    let store = ledger.store();
    assert_eq!(store.get(&damaged.id()).expect("reads"), None, "a damaged record is not served");
    let damage = store.damaged();
    assert_eq!(damage.len(), 1);
    assert_eq!(damage[0].damage, samverka_node::storage::Damage::Check);
    assert_eq!(damage[0].id, Some(damaged.id()));
    assert_eq!(damage[0].position, Some((w.author, 3)));
    assert!(!store.holds(damaged).expect("reads"));
    assert_eq!(store.heads().expect("heads")[&w.author], 2, "the head sync reports stops below the damage");
    assert_eq!(store.head(&w.author).expect("head"), Some(2));
    assert_eq!(ids_of(&store.by_author(&w.author, 0, 100).expect("reads")), note_ids(&w)[..3].to_vec());
    let (notes, _) = store.by_kind(Some(Kind::Note), None, 100).expect("reads");
    let mut listed = note_ids(&w);
    listed.remove(3);
    assert_eq!(ids_of(&notes), listed, "a listing leaves the damaged record out");
    assert_eq!(store.bytes_by_author(&w.author, 3, 10).expect("reads"), Vec::<Vec<u8>>::new());

    // A peer sends it again: stored over the damaged frame.
    assert_eq!(ledger.ingest(damaged.clone()).expect("accepted"), Outcome::Stored(damaged.id()));
    assert!(store.damaged().is_empty());
    assert_eq!(store.get(&damaged.id()).expect("reads").map(|r| r.id()), Some(damaged.id()));
    assert_eq!(store.heads().expect("heads")[&w.author], 5);
    drop(ledger);
    let ledger = open(dir.path(), &w.fed);
    assert_eq!(ids_of(&ledger.store().by_author(&w.author, 0, 100).expect("reads")), note_ids(&w));
    assert!(ledger.store().damaged().is_empty());
}

/// Opens the store after `damage` changed its files and checks it lists every note once, in
/// order, and says which index it rebuilt.
fn rebuilt_after(damage: impl FnOnce(&std::path::Path), code: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write_notes(dir.path(), 40);
    damage(dir.path());
    let ledger = open(dir.path(), &w.fed);
    let store = ledger.store();
    assert_eq!(store.rebuilt().map(|f| f.code()), Some(code));
    let (notes, _) = store.by_kind(Some(Kind::Note), None, 1000).expect("a listing answers");
    assert_eq!(ids_of(&notes), note_ids(&w), "every record listed once, in order");
    let (all, _) = store.by_kind(None, None, 1000).expect("a listing answers");
    assert_eq!(all.len() as u64, store.count().expect("count"));
    assert_eq!(ids_of(&store.by_author(&w.author, 0, 1000).expect("reads")), note_ids(&w));
    assert_eq!(store.heads().expect("heads")[&w.author], 39);
    for note in &w.notes {
        assert!(store.holds(note).expect("reads"));
    }
    assert!(store.damaged().is_empty());
    drop(ledger);
    let ledger = open(dir.path(), &w.fed);
    assert_eq!(ledger.store().rebuilt(), None, "the rebuilt indexes pass the check");
}

#[test]
fn a_flipped_byte_in_the_offsets_file_is_rebuilt_on_opening() {
    rebuilt_after(|dir| flip(&records_file(dir, "offsets"), 12 * 7 + 6), "offsets_chain");
}

#[test]
fn a_cut_offsets_file_is_rebuilt_on_opening() {
    rebuilt_after(
        |dir| {
            let file = std::fs::OpenOptions::new().write(true).open(records_file(dir, "offsets")).expect("opens");
            file.set_len(12 * 5 + 3).expect("cut");
        },
        "offsets_short",
    );
}

#[test]
fn a_flipped_byte_in_a_kind_index_is_rebuilt_on_opening() {
    let code = u16::from(Kind::Note);
    // The low byte of the 10th note's number: it now names a neighbour, listed twice.
    rebuilt_after(|dir| flip(&records_file(dir, &format!("kind-{code:04x}")), 8 * 10 + 7), "index_order");
}

#[test]
fn a_deleted_kind_index_is_rebuilt_on_opening() {
    let code = u16::from(Kind::Note);
    rebuilt_after(
        |dir| std::fs::remove_file(records_file(dir, &format!("kind-{code:04x}"))).expect("removed"),
        "kind_cover",
    );
}

#[test]
fn a_flipped_id_in_a_chain_index_is_rebuilt_on_opening() {
    rebuilt_after(
        |dir| {
            let chains: Vec<_> = std::fs::read_dir(dir.join("records"))
                .expect("dir")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("chain-")))
                .collect();
            let longest = chains.iter().max_by_key(|p| std::fs::metadata(p).expect("meta").len()).expect("a chain");
            flip(longest, 48 * 20 + 16);
        },
        "chain_fingerprint",
    );
}

#[test]
fn damage_to_the_log_and_an_index_together_is_refused_with_advice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write_notes(dir.path(), 10);
    flip(&records_file(dir.path(), "log"), in_log(dir.path(), w.notes[4].bytes()) + 10);
    flip(&records_file(dir.path(), "offsets"), 12 * 2 + 6);
    let err = Ledger::open(dir.path(), 4 << 20).err().expect("refused");
    let samverka_node::ledger::Error::Storage(err) = err else { panic!("a storage error: {err}") };
    assert_eq!(err.code(), "store_log_damaged");
    assert!(err.to_string().contains("samverka import"), "{err}");
}
