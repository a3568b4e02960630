//! The store against an in-memory model, across restarts and faults: damaged record bytes are
//! never served and are fetched again; damaged index files are rebuilt from the log on opening.

mod support;

use proptest::prelude::*;
use samverka_node::ledger::{Ledger, Outcome};
use samverka_node::storage::Failpoint;
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::{Kind, PublicKey, RecordId};

#[derive(Debug, Clone)]
enum Op {
    /// Author `a` writes `n` notes, in one batch.
    Write { author: usize, n: usize },
    /// Re-send a stored record: a duplicate, or the fresh copy of a damaged one.
    Resend { pick: usize },
    /// Read one record back.
    Get { pick: usize },
    /// Close and reopen the store.
    Reopen,
    /// Take a checkpoint now.
    Checkpoint,
    /// A crash in the middle of a checkpoint (at a failpoint), then reopen.
    CrashMidCheckpoint { before_batch: bool },
    /// Flip one bit inside a checkpointed record in the log, then reopen.
    FlipLog { pick: usize, byte: usize },
    /// Damage an index file (flip a bit, cut it short, or delete it), then reopen.
    DamageIndex { file: usize, byte: usize, how: IndexDamage },
    /// A write cut off by a crash: bytes after the log's last frame, then reopen.
    TornWrite { len: usize },
}

#[derive(Debug, Clone, Copy)]
enum IndexDamage {
    Flip,
    Cut,
    Delete,
}

fn damage() -> impl Strategy<Value = IndexDamage> {
    prop_oneof![Just(IndexDamage::Flip), Just(IndexDamage::Cut), Just(IndexDamage::Delete)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 1..20usize).prop_map(|(author, n)| Op::Write { author, n }),
        2 => any::<usize>().prop_map(|pick| Op::Resend { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Get { pick }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Checkpoint),
        1 => any::<bool>().prop_map(|before_batch| Op::CrashMidCheckpoint { before_batch }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(pick, byte)| Op::FlipLog { pick, byte }),
        1 => (any::<usize>(), any::<usize>(), damage()).prop_map(|(file, byte, how)| Op::DamageIndex { file, byte, how }),
        1 => (1..200usize).prop_map(|len| Op::TornWrite { len }),
    ]
}

/// The store under test and its model: every record acknowledged, in arrival order, and those a
/// fault destroyed (damaged in the log: never served, and stored again when re-sent).
struct Model {
    fed: Federation,
    authors: Vec<Author>,
    dir: tempfile::TempDir,
    ledger: Option<Ledger>,
    acked: Vec<samverka_protocol::Record<samverka_protocol::Unverified>>,
    destroyed: std::collections::BTreeSet<RecordId>,
}

impl Model {
    fn ledger(&self) -> &Ledger {
        self.ledger.as_ref().expect("open")
    }

    /// Closes the store (a checkpoint), lets `fault` change its files, and opens it again.
    fn with_closed(&mut self, fault: impl FnOnce(&std::path::Path)) {
        drop(self.ledger.take());
        fault(self.dir.path());
        self.ledger = Some(support::open_with(self.dir.path(), &self.fed));
    }

    fn index_files(&self) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path().join("records"))
            .expect("records")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n != "log") && std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
            .collect();
        files.sort();
        files
    }

    fn apply(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Write { author, n } => {
                let (id, version) = (self.fed.id(), self.fed.version());
                let records: Vec<_> = (0..n)
                    .map(|i| self.authors[author].next(id, version, Kind::Note, format!("{i}").into_bytes()))
                    .collect();
                for (r, result) in records.iter().zip(self.ledger().ingest_many(records.clone())) {
                    prop_assert_eq!(result.expect("valid"), Outcome::Stored(r.id()));
                }
                self.acked.extend(records);
            }
            Op::Resend { pick } if !self.acked.is_empty() => {
                let r = self.acked[pick % self.acked.len()].clone();
                let outcome = self.ledger().ingest(r.clone()).expect("valid");
                if self.destroyed.remove(&r.id()) {
                    prop_assert_eq!(outcome, Outcome::Stored(r.id()), "a damaged record is stored again");
                } else {
                    prop_assert_eq!(outcome, Outcome::Duplicate(r.id()));
                }
            }
            Op::Get { pick } if !self.acked.is_empty() => {
                let r = &self.acked[pick % self.acked.len()];
                let got = self.ledger().store().get(&r.id()).expect("reads");
                prop_assert!(got.is_some() || self.destroyed.contains(&r.id()), "an acknowledged record is lost");
            }
            Op::Resend { .. } | Op::Get { .. } => {}
            Op::Reopen => self.with_closed(|_| {}),
            Op::Checkpoint => self.ledger().store().checkpoint_now().expect("a checkpoint"),
            Op::CrashMidCheckpoint { before_batch } => {
                let store = self.ledger().store();
                store.fail_at(match before_batch {
                    true => Failpoint::CheckpointBeforeBatch,
                    false => Failpoint::CheckpointAfterIds,
                });
                prop_assert!(store.checkpoint_now().is_err(), "the failpoint fails the checkpoint");
                self.with_closed(|_| {}); // the failed store takes no checkpoint on closing
            }
            Op::FlipLog { pick, byte } => {
                let live: Vec<_> = self.acked.iter().filter(|r| !self.destroyed.contains(&r.id())).cloned().collect();
                // Damage together with a damaged index is refused (tested on its own below).
                if live.is_empty() {
                    return Ok(());
                }
                let r = &live[pick % live.len()];
                self.with_closed(|dir| {
                    flip(&records_file(dir, "log"), in_log(dir, r.bytes()) + byte % r.bytes().len())
                });
                self.destroyed.insert(r.id());
            }
            Op::DamageIndex { .. } if !self.destroyed.is_empty() => {}
            Op::DamageIndex { file, byte, how } => {
                drop(self.ledger.take());
                let files = self.index_files();
                let path = &files[file % files.len()];
                let len = std::fs::metadata(path).expect("meta").len() as usize;
                match how {
                    IndexDamage::Flip => flip(path, byte % len),
                    IndexDamage::Cut => std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .and_then(|f| f.set_len((byte % len) as u64))
                        .expect("cut"),
                    IndexDamage::Delete => std::fs::remove_file(path).expect("deleted"),
                }
                self.with_closed(|_| {});
                prop_assert!(
                    self.ledger().store().rebuilt().is_some(),
                    "damage to {} ({how:?}) is found",
                    path.display()
                );
            }
            Op::TornWrite { len } => {
                // Reopen first, so the log file ends at its last frame.
                self.with_closed(|_| {});
                self.with_closed(|dir| {
                    use std::io::Write;
                    let junk: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
                    let mut log = std::fs::OpenOptions::new().append(true).open(records_file(dir, "log")).expect("log");
                    log.write_all(&junk).expect("appended");
                });
            }
        }
        Ok(())
    }

    /// The store serves every acknowledged record the faults did not destroy, never a wrong one,
    /// reports the destroyed ones, and reports heads and listings that match.
    fn check(&self) -> Result<(), TestCaseError> {
        let store = self.ledger().store();
        for r in &self.acked {
            match store.get(&r.id()).expect("reads") {
                Some(got) => prop_assert_eq!(got.bytes(), r.bytes(), "a record is served as stored"),
                None => prop_assert!(self.destroyed.contains(&r.id()), "acknowledged record {} lost", r.id()),
            }
        }
        let reported: std::collections::BTreeSet<RecordId> = store.damaged().iter().filter_map(|d| d.id).collect();
        prop_assert_eq!(&reported, &self.destroyed, "every damaged record is reported, and only those");
        let live: Vec<RecordId> = self.acked.iter().map(|r| r.id()).filter(|id| !self.destroyed.contains(id)).collect();
        let roster = 1 + self.fed.updates.len();
        prop_assert_eq!(store.count().expect("count"), (roster + live.len()) as u64, "damaged records are not counted");
        let (notes, _) = store.by_kind(Some(Kind::Note), None, 1000).expect("reads");
        prop_assert_eq!(ids_of(&notes), live);
        let heads = store.heads().expect("heads");
        for a in &self.authors {
            let author = a.key.public();
            let chain: Vec<_> = self.acked.iter().filter(|r| r.header().author == author).collect();
            let held = chain.iter().take_while(|r| !self.destroyed.contains(&r.id())).count();
            prop_assert_eq!(heads.get(&author).copied(), (held as u64).checked_sub(1), "the head stops below damage");
            let served = store.by_author(&author, 0, 1000).expect("reads");
            prop_assert_eq!(served.len(), held);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model_across_restarts_and_faults(ops in proptest::collection::vec(op(), 1..25)) {
        let mut fed = Federation::found("Model", &testkit::kommuner(3), "1000");
        let authors: Vec<Author> =
            (0..3).map(|i| fed.certify_node(&format!("{}", 1000 + i), &format!("model/{i}"))).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let ledger = Some(support::open_with(dir.path(), &fed));
        let mut model = Model { fed, authors, dir, ledger, acked: Vec::new(), destroyed: Default::default() };
        for op in ops {
            model.apply(op)?;
            model.check()?;
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
    let ledger = support::open_with(dir, &fed);
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

    let ledger = support::open_with(dir.path(), &w.fed);
    let store = ledger.store();
    let before = store.count().expect("count");
    assert_eq!(store.get(&damaged.id()).expect("reads"), None, "a damaged record is not served");
    assert_eq!(store.count().expect("count"), before - 1, "a damaged record is not counted");
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
    assert_eq!(store.count().expect("count"), before);
    assert_eq!(store.get(&damaged.id()).expect("reads").map(|r| r.id()), Some(damaged.id()));
    assert_eq!(store.heads().expect("heads")[&w.author], 5);
    drop(ledger);
    let ledger = support::open_with(dir.path(), &w.fed);
    assert_eq!(ids_of(&ledger.store().by_author(&w.author, 0, 100).expect("reads")), note_ids(&w));
    assert!(ledger.store().damaged().is_empty());
}

/// Opens the store after `damage` changed its files and checks it lists every note once, in
/// order, and says which index it rebuilt.
fn rebuilt_after(damage: impl FnOnce(&std::path::Path), code: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write_notes(dir.path(), 40);
    damage(dir.path());
    let ledger = support::open_with(dir.path(), &w.fed);
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
    let ledger = support::open_with(dir.path(), &w.fed);
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

#[test]
fn damage_found_by_scrub_keeps_the_head_lowered_after_a_restart_until_repaired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write_notes(dir.path(), 6);
    let damaged = &w.notes[2];
    flip(&records_file(dir.path(), "log"), in_log(dir.path(), damaged.bytes()) + 5);
    {
        let store = samverka_node::storage::Store::open(dir.path(), 4 << 20).expect("opens");
        let report = store.scrub().expect("scrubs");
        assert!(!report.is_clean());
        assert_eq!(
            report.damaged.iter().map(|d| (d.id, d.position)).collect::<Vec<_>>(),
            vec![(Some(damaged.id()), Some((w.author, 2)))]
        );
    }
    let ledger = support::open_with(dir.path(), &w.fed);
    assert_eq!(ledger.store().heads().expect("heads")[&w.author], 1, "lowered before anything reads the record");
    assert_eq!(ledger.ingest(damaged.clone()).expect("accepted"), Outcome::Stored(damaged.id()));
    drop(ledger);
    let ledger = support::open_with(dir.path(), &w.fed);
    assert_eq!(ledger.store().heads().expect("heads")[&w.author], 5);
    assert!(ledger.store().scrub().expect("scrubs").is_clean());
}

#[test]
fn a_peer_answering_the_lowered_heads_sends_the_damaged_record_again() {
    let (dir_a, dir_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let w = write_notes(dir_a.path(), 6);
    let b = support::open_with(dir_b.path(), &w.fed);
    for result in b.ingest_many(w.notes.clone()) {
        assert!(matches!(result.expect("valid"), Outcome::Stored(_)));
    }
    let damaged = &w.notes[3];
    flip(&records_file(dir_a.path(), "log"), in_log(dir_a.path(), damaged.bytes()) + 9);
    let a = support::open_with(dir_a.path(), &w.fed);
    assert_eq!(a.store().get(&damaged.id()).expect("reads"), None);

    let version = a.chain().expect("a federation").current().version;
    let request =
        samverka_node::sync::Request::new(&samverka_node::sync::Ask::Full, &a.store().heads().expect("heads"), version);
    let answer = samverka_node::sync::answer(&samverka_node::network::StoreLog(b.store()), &request).expect("answers");
    let outcomes: Vec<Outcome> = answer
        .items
        .iter()
        .map(|bytes| a.ingest_bytes(samverka_node::ledger::Source::Peer(1), bytes).expect("accepted"))
        .collect();
    assert!(outcomes.contains(&Outcome::Stored(damaged.id())), "the peer sent it and it was stored: {outcomes:?}");
    assert_eq!(a.store().get(&damaged.id()).expect("reads").map(|r| r.id()), Some(damaged.id()));
    assert_eq!(a.store().heads().expect("heads"), b.store().heads().expect("heads"));
    assert!(a.store().damaged().is_empty());
}
