//! Validity never reads a clock: a node whose clock is an hour off changes nothing but the times
//! its own records claim. Every node stores the same records and shows the same decision.

mod support;

use samverka_node::governance::{matter_report, next_closing};
use samverka_node::ledger::{Ledger, Source};
use samverka_protocol::governance::{Choice, Matter, Procedure, Vote};
use samverka_protocol::record::Draft;
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::{Body, Kind, MatterKind, Record, Role, Unverified};

const HOUR_MS: i64 = 3_600_000;

fn ledger(fed: &Federation) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = support::open_with(dir.path(), fed);
    (dir, ledger)
}

/// The author's next record, claiming `time_ms`.
fn at(fed: &Federation, author: &mut Author, kind: Kind, body: Vec<u8>, time_ms: i64) -> Record<Unverified> {
    let draft = Draft::new(fed.id(), author.key.public(), author.seq, author.prev, fed.version(), kind, body, time_ms);
    let record = draft.sign(&author.key);
    author.seq += 1;
    author.prev = Some(record.id());
    record
}

#[test]
fn a_node_an_hour_off_changes_nothing_but_its_own_claimed_times() {
    let mut fed = Federation::found("Klockan", &testkit::kommuner(3), "1000");
    let mut chair = fed.certify_person("1000", "klocka/forvaltare", &[Role::Forvaltare]);
    let mut voters: Vec<Author> = ["1000", "1001", "1002"]
        .iter()
        .map(|m| fed.certify_person(m, &format!("klocka/{m}"), &[Role::StyrgruppOrdinarie]))
        .collect();
    let host = fed.certify_node("1000", "klocka/node");
    let (_a_dir, on_time) = ledger(&fed);
    let (_b_dir, ahead) = ledger(&fed);
    let now = testkit::T0_MS;
    let matter = Matter {
        kind: MatterKind::Ovrigt,
        title: "Gemensam e-tjänst".into(),
        proposal: "Styrgruppen beslutar att införa e-tjänsten.".into(),
        alternatives: Vec::new(),
        papers: Vec::new(),
        procedure: Procedure::Meeting { meeting: None },
        closer: host.key.public(),
        subject: None,
    };
    let matter = at(&fed, &mut chair, Kind::Matter, matter.to_bytes(), now);
    // One voter's clock is an hour ahead, one an hour behind: their records claim those times.
    let offsets = [0, HOUR_MS, -HOUR_MS];
    let mut records = vec![matter.clone()];
    for ((voter, member), offset) in voters.iter_mut().zip(["1000", "1001", "1002"]).zip(offsets) {
        let vote = Vote { matter: matter.id(), member: member.into(), choice: Choice::Yes };
        records.push(at(&fed, voter, Kind::Vote, vote.to_bytes(), now + offset));
    }
    for node in [&on_time, &ahead] {
        for r in node.ingest_from(Source::Peer(1), records.clone()) {
            r.expect("every record is valid whatever time it claims");
        }
    }
    // The host node's clock is an hour ahead: its closing claims that time, and nothing else moves.
    let chain = ahead.chain().expect("a federation");
    let closing = next_closing(ahead.store(), &chain, &host.key.public(), &matter.id()).expect("closes");
    let closing = ahead.author(&host.key, Kind::BallotClose, closing.to_bytes(), now + HOUR_MS).expect("stored");
    on_time.ingest_one(Source::Peer(2), closing.to_unverified()).expect("stored on the node on time");
    let report = |node: &Ledger| {
        let r = matter_report(node.store(), &node.chain().expect("chain"), &matter.id()).expect("reads");
        let r = r.expect("the matter is held");
        (format!("{:?}", r.settlement), format!("{:?}", r.tally), format!("{:?}", r.outcome), r.provisional)
    };
    assert_eq!(report(&on_time), report(&ahead));
    assert!(!report(&on_time).3, "the closing decided it on both nodes");
    assert_eq!(on_time.store().count().expect("count"), ahead.store().count().expect("count"));
}
