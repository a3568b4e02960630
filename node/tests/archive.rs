//! Archives as an auditor and an operator use them: the archive of a federation that voted,
//! closed a ballot, met and attested minutes verifies completely with nothing but the archive;
//! bytes after the trailer are refused; a damaged store is not exported; an import stores
//! nothing unless every record passes.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use samverka_node::archive::{self, Error};
use samverka_node::governance;
use samverka_node::ledger::{Ledger, Outcome};
use samverka_protocol::governance::{Choice, Justering, Matter, Meeting, Minutes, MinutesItem, Procedure, Vote};
use samverka_protocol::testkit::{self, Author, Federation, T0_MS};
use samverka_protocol::{Body as _, Kind, MatterKind, MemberId, Record, RecordId, Role, Unverified};

const HOST: &str = "2580";

/// A ledger holding a federation's roster and the host node's key.
struct Host {
    dir: tempfile::TempDir,
    ledger: Ledger,
    fed: Federation,
    node: samverka_protocol::SigningKey,
}

fn host() -> (Host, BTreeMap<MemberId, Author>, Author, Author) {
    let (mut fed, ordinarie) = support::norrbotten_with_ordinarie();
    let forvaltare = fed.certify_person(HOST, "2580/forvaltare", &[Role::Forvaltare]);
    let chair = fed.certify_person(HOST, "2580/ordforande", &[Role::Ordforande]);
    let node = fed.certify_node(HOST, "2580/node").key;
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = support::open_with(dir.path(), &fed);
    (Host { dir, ledger, fed, node }, ordinarie, forvaltare, chair)
}

impl Host {
    fn sign(&self, author: &mut Author, kind: Kind, body: Vec<u8>) -> RecordId {
        let record = author.next(self.fed.id(), self.fed.version(), kind, body);
        let outcome = self.ledger.ingest(record.clone()).expect("accepted");
        assert_eq!(outcome, Outcome::Stored(record.id()));
        record.id()
    }

    /// A record the host's node signs (diarium, closing).
    fn by_node(&self, kind: Kind, body: Vec<u8>) -> RecordId {
        self.ledger.author(&self.node, kind, body, T0_MS + 60_000).expect("the node signs").id()
    }
}

/// A federation's full governance cycle: a matter, registered in the diarium, put on a meeting's
/// agenda, voted on by every member, closed, minuted and justerat by chair and two justerare.
fn governed() -> Host {
    let (h, mut ordinarie, mut forvaltare, mut chair) = host();
    let matter = Matter {
        kind: MatterKind::Utvecklingsplan,
        title: "Utvecklingsplan 2027".into(),
        proposal: "Styrgruppen beslutar att anta planen.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::Meeting { meeting: None },
        closer: h.node.public(),
        subject: None,
    };
    let matter = h.sign(&mut forvaltare, Kind::Matter, matter.to_bytes());
    let diarium = governance::next_registration(h.ledger.store(), &h.node.public(), &matter, 2026).expect("registers");
    h.by_node(Kind::Diarium, diarium.to_bytes());
    let meeting = Meeting {
        title: "Styrgruppsmöte december".into(),
        date: "2026-12-03".into(),
        place: "Luleå stadshus".into(),
        agenda: vec![matter],
        notice_given_on: "2026-11-23".into(),
    };
    let meeting = h.sign(&mut forvaltare, Kind::Meeting, meeting.to_bytes());
    for (i, (member, author)) in ordinarie.iter_mut().enumerate() {
        let choice = if i < 9 { Choice::Yes } else { Choice::No };
        h.sign(author, Kind::Vote, Vote { matter, member: member.clone(), choice }.to_bytes());
    }
    let chain = h.ledger.chain().expect("a federation");
    let closing = governance::next_closing(h.ledger.store(), &chain, &h.node.public(), &matter).expect("closes");
    let closing = h.by_node(Kind::BallotClose, closing.to_bytes());
    let justerare = ["2584", "2582"];
    let minutes = Minutes {
        meeting,
        present: ordinarie.keys().cloned().collect(),
        items: vec![MinutesItem { matter, closing: Some(closing), text: "Styrgruppen antog planen.".into() }],
        justerare: justerare.map(|m| ordinarie[m].key.public()),
        chair: chair.key.public(),
        anslag_date: Some("2026-12-10".into()),
    };
    let minutes = h.sign(&mut chair, Kind::Minutes, minutes.to_bytes());
    let justering = Justering { minutes }.to_bytes();
    h.sign(&mut chair, Kind::Justering, justering.clone());
    for m in justerare {
        h.sign(ordinarie.get_mut(m).expect("a member"), Kind::Justering, justering.clone());
    }
    h
}

fn archive_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("backup.archive")
}

#[test]
fn the_archive_of_a_federation_that_voted_closed_met_and_attested_verifies_with_only_the_archive() {
    let h = governed();
    let out = tempfile::tempdir().expect("tempdir");
    let path = archive_path(&out);
    let count = archive::export(&h.ledger, &path).expect("exports");
    let kinds: Vec<Kind> =
        h.ledger.store().by_kind(None, None, 1000).expect("reads").0.iter().map(|r| r.header().kind).collect();
    for kind in [Kind::Diarium, Kind::Meeting, Kind::Vote, Kind::BallotClose, Kind::Minutes, Kind::Justering] {
        assert!(kinds.contains(&kind), "the federation holds a {kind:?}");
    }
    drop(h); // the store is gone: only the archive is left
    let report = archive::verify(&path).expect("reads");
    assert_eq!(report.failures, Vec::<(RecordId, String)>::new());
    assert_eq!(report.checked, count);
}

#[test]
fn bytes_after_the_trailer_are_refused() {
    let (h, ..) = host();
    let out = tempfile::tempdir().expect("tempdir");
    let path = archive_path(&out);
    archive::export(&h.ledger, &path).expect("exports");
    let mut bytes = std::fs::read(&path).expect("reads");
    bytes.push(0);
    std::fs::write(&path, bytes).expect("writes");
    match archive::verify(&path) {
        Err(Error::Damaged { reason, .. }) => assert_eq!(reason, "bytes follow the trailer"),
        other => panic!("refused as damaged, got {other:?}"),
    }
}

#[test]
fn a_damaged_store_is_not_exported_and_no_archive_is_left() {
    let h = governed();
    let votes = h.ledger.store().by_kind(Some(Kind::Vote), None, 100).expect("reads").0;
    let damaged = votes[3].clone();
    let Host { dir, ledger, fed, .. } = h;
    drop(ledger);
    let log = dir.path().join("records").join("log");
    let mut bytes = std::fs::read(&log).expect("log");
    let at = bytes.windows(damaged.bytes().len()).position(|w| w == damaged.bytes()).expect("in the log");
    bytes[at + damaged.bytes().len() - 2] ^= 1;
    std::fs::write(&log, bytes).expect("writes");
    let ledger = Ledger::open(dir.path(), 8 << 20).expect("opens");
    assert!(ledger.federation() == Some(fed.id()));
    let out = tempfile::tempdir().expect("tempdir");
    let path = archive_path(&out);
    match archive::export(&ledger, &path) {
        Err(Error::DamagedStore { id, .. }) => assert_eq!(id, Some(damaged.id())),
        other => panic!("refused as damaged, got {other:?}"),
    }
    assert!(std::fs::read_dir(out.path()).expect("dir").next().is_none(), "no archive, whole or partial");
}

/// Writes `records` as an archive at `path`, with a correct trailer.
fn write_archive(path: &Path, records: &[Record<Unverified>]) {
    use sha2::Digest;
    let mut body = b"SAMVERKA-ARCHIVE 1\n".to_vec();
    for r in records {
        body.extend_from_slice(&u32::try_from(r.bytes().len()).expect("small").to_be_bytes());
        body.extend_from_slice(r.bytes());
    }
    let digest = sha2::Sha256::digest(&body);
    body.extend_from_slice(&[0xff; 8]);
    body.extend_from_slice(&(records.len() as u64).to_be_bytes());
    body.extend_from_slice(&digest);
    std::fs::write(path, body).expect("writes");
}

#[test]
fn an_import_with_one_failing_record_stores_nothing() {
    let mut fed = Federation::found("Import", &testkit::kommuner(2), "1000");
    let mut author = fed.certify_node("1000", "import/node");
    let mut records: Vec<Record<Unverified>> = vec![fed.charter.to_unverified()];
    records.extend(fed.updates.iter().map(|u| u.to_unverified()));
    for i in 0..5 {
        records.push(author.next(fed.id(), fed.version(), Kind::Note, format!("{i}").into_bytes()));
    }
    // One note signed by a key the roster does not certify.
    let mut stranger = Author::new(testkit::key("import/stranger"));
    records.push(stranger.next(fed.id(), fed.version(), Kind::Note, "okänd".as_bytes().to_vec()));
    let out = tempfile::tempdir().expect("tempdir");
    let path = archive_path(&out);
    write_archive(&path, &records);

    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Ledger::open(dir.path(), 8 << 20).expect("opens");
    match archive::import(&ledger, &path) {
        Err(Error::Refused { failed: 1, first, .. }) => assert_eq!(first, records.last().expect("one").id()),
        other => panic!("refused, got {other:?}"),
    }
    assert_eq!(ledger.store().count().expect("count"), 0, "nothing was stored");
    assert_eq!(ledger.federation(), None);
}

/// Runs the real binary in `dir`.
fn samverka(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_samverka"))
        .current_dir(dir)
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "error")
        .args(args)
        .output()
        .expect("the samverka binary runs")
}

/// A data directory `name` in `dir` holding a federation that certifies its node key, with a few
/// notes by that node. Returns the node key.
fn member_node(dir: &Path, name: &str) -> samverka_protocol::SigningKey {
    let mut fed = Federation::found("Backup", &testkit::kommuner(2), "1000");
    let mut node = fed.certify_node("1000", "backup/node");
    let data = dir.join(name);
    let ledger = Ledger::open(&data.join("store"), 8 << 20).expect("opens");
    ledger.ingest(fed.charter.to_unverified()).expect("charter");
    for u in &fed.updates {
        ledger.ingest(u.to_unverified()).expect("roster version");
    }
    for i in 0..4 {
        ledger.ingest(node.next(fed.id(), fed.version(), Kind::Note, format!("{i}").into_bytes())).expect("note");
    }
    samverka_node::keyfile::write_secret(&data.join("node.key"), "node", &node.key).expect("key file");
    node.key
}

#[test]
fn a_restored_node_is_the_same_member_and_run_refuses_a_fresh_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let key = member_node(dir, "n1");
    let out = samverka(dir, &["--data-dir", "n1", "export", "--out", "b.archive", "--with-node-key"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING"), "the key copy comes with a warning");
    let copy = dir.join("b.archive.node-key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&copy).expect("the key copy").permissions().mode() & 0o777, 0o600);

    // Restored without the key: the node refuses to start as nobody.
    assert!(samverka(dir, &["--data-dir", "n2", "import", "b.archive"]).status.success());
    let out = samverka(dir, &["--data-dir", "n2", "run"]);
    assert!(!out.status.success(), "run refuses a store of a federation without its node key");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no node key") && err.contains("--node-key"), "{err}");
    assert!(!dir.join("n2/node.key").exists(), "no key was made");

    let out = samverka(dir, &["--data-dir", "n2", "import", "b.archive", "--node-key", "b.archive.node-key"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = samverka_node::keyfile::read_secret(&dir.join("n2/node.key")).expect("installed");
    assert_eq!(restored.public(), key.public(), "the restored node has the member's node key");
}

#[test]
fn an_import_that_fails_into_a_fresh_data_directory_leaves_no_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    member_node(dir, "n1");
    assert!(samverka(dir, &["--data-dir", "n1", "export", "--out", "b.archive"]).status.success());
    let mut bytes = std::fs::read(dir.join("b.archive")).expect("reads");
    bytes.push(7);
    std::fs::write(dir.join("b.archive"), bytes).expect("writes");
    let out = samverka(dir, &["--data-dir", "n2", "import", "b.archive"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bytes follow the trailer"));
    assert!(!dir.join("n2/store").exists(), "nothing is left behind");
}

#[test]
fn scrub_reports_a_damaged_record_and_exits_non_zero() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    member_node(dir, "n1");
    let out = samverka(dir, &["--data-dir", "n1", "scrub"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no damage"));

    let log = dir.join("n1/store/records/log");
    let mut bytes = std::fs::read(&log).expect("log");
    let end = bytes.len();
    bytes[end - 5] ^= 0x10; // inside the last note
    std::fs::write(&log, bytes).expect("writes");
    let out = samverka(dir, &["--data-dir", "n1", "scrub"]);
    assert!(!out.status.success(), "damage found: non-zero exit");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DAMAGED record") && text.contains("frame check"), "{text}");
    let out = samverka(dir, &["--data-dir", "n1", "scrub", "--json"]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["clean"], false);
    assert_eq!(report["damaged"][0]["code"], "frame_check");
    assert_eq!(report["damaged"][0]["seq"], 3);
}
