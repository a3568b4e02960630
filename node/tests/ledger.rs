//! The ledger's ingest path: duplicates, parking and release, equivocation.

use samverka_node::ledger::{Ledger, Outcome};
use samverka_protocol::governance::{Choice, Matter, Procedure, Vote};
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{Body, Kind, MatterKind, Role};

fn ledger(fed: &Federation) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Ledger::open(dir.path(), 4 << 20).expect("opens");
    ledger.ingest(fed.charter.to_unverified()).expect("charter");
    for u in &fed.updates {
        ledger.ingest(u.to_unverified()).expect("roster");
    }
    (dir, ledger)
}

#[test]
fn vote_arriving_before_its_matter_waits_and_is_stored_when_the_matter_arrives() {
    let mut fed = Federation::found("Väntan", &testkit::kommuner(3), "1000");
    let mut chair = fed.certify_person("1000", "wait/chair", &[Role::Forvaltare]);
    let mut voter = fed.certify_person("1001", "wait/ordinarie", &[Role::StyrgruppOrdinarie]);
    let closer = fed.certify_node("1000", "wait/node").key.public();
    let (_dir, ledger) = ledger(&fed);
    let matter = Matter {
        kind: MatterKind::Ovrigt,
        title: "Ny e-tjänst".into(),
        proposal: "Styrgruppen beslutar att införa e-tjänsten.".into(),
        alternatives: Vec::new(),
        papers: Vec::new(),
        procedure: Procedure::PerCapsulam { voting_window_days: 10 },
        closer,
    };
    let matter = chair.next(fed.id(), fed.version(), Kind::Matter, matter.to_bytes());
    let vote = Vote { matter: matter.id(), member: "1001".into(), choice: Choice::Yes };
    let vote = voter.next(fed.id(), fed.version(), Kind::Vote, vote.to_bytes());

    assert_eq!(ledger.ingest(vote.clone()).expect("pending, not refused"), Outcome::Parked(vote.id()));
    assert!(!ledger.store().contains(&vote.id()).expect("read"));
    assert_eq!(ledger.ingest(matter.clone()).expect("valid"), Outcome::Stored(matter.id()));
    assert!(ledger.store().contains(&vote.id()).expect("read"), "the parked vote is stored once its matter is");
    assert_eq!(ledger.parked(), 0);
}

#[test]
fn second_record_at_one_position_is_kept_and_flags_the_author() {
    let mut fed = Federation::found("Dubbel", &testkit::kommuner(2), "1000");
    let author = fed.certify_node("1001", "dubbel/node");
    let (_dir, ledger) = ledger(&fed);
    let (mut a, mut b) = (author.clone(), author);
    let first = a.next(fed.id(), fed.version(), Kind::Note, b"en".to_vec());
    let second = b.next(fed.id(), fed.version(), Kind::Note, "två".as_bytes().to_vec());
    assert_eq!(ledger.ingest(first.clone()).expect("valid"), Outcome::Stored(first.id()));
    assert_eq!(
        ledger.ingest(second.clone()).expect("kept as evidence"),
        Outcome::Equivocation { id: second.id(), conflicts: vec![first.id()] }
    );
    let flagged = ledger.store().equivocators().expect("read");
    assert_eq!(flagged.len(), 1);
    assert!(flagged[&a.key.public()].contains(&second.id()));
}
