//! The governance read model (`samverka_node::read`): built by a scan when the store opens and
//! kept up to date by every `put`, it must equal itself either way, find exactly the records a
//! scan of every record finds, and give the same reports whatever order the records arrive in
//! (a vote before its matter's diarium, a receipt before the vote it receipts reaches the
//! node …).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use samverka_node::governance::{self, Held};
use samverka_node::ledger::{Ledger, Source};
use samverka_node::read::Model;
use samverka_node::storage::Store;
use samverka_protocol::governance::{
    BallotClose, Choice, Diarium, Justering, Matter, Meeting, Minutes, MinutesItem, Procedure, Vote, VoteReceipt,
};
use samverka_protocol::outage::{NoticeKind, OutageNotice, Published};
use samverka_protocol::testkit::{Federation, T0_MS};
use samverka_protocol::{
    Body as _, Kind, MatterKind, MemberId, Record, RecordId, Role, RosterChain, SigningKey, Unverified,
};

const HOST: &str = "2580";

/// A history of governance records, stored by a first node in the order they were made.
struct History {
    dir: tempfile::TempDir,
    fed: Federation,
    /// Every record the first node holds, in its arrival order (charter and roster first).
    records: Vec<Record<Unverified>>,
    node: SigningKey,
}

/// Three matters put by the förvaltare; every member votes on the first (one votes twice), half
/// on the second, none on the third; the host's node registers the first two, receipts the
/// first one's votes and closes it; a meeting on the first two, its minutes, and the chair's and
/// one justerare's justering (one justerare missing).
fn history() -> History {
    let (mut fed, mut ordinarie) = support::norrbotten_with_ordinarie();
    let mut forvaltare = fed.certify_person(HOST, "2580/forvaltare", &[Role::Forvaltare]);
    let mut chair = fed.certify_person(HOST, "2580/ordforande", &[Role::Ordforande]);
    let node = fed.certify_node(HOST, "2580/node").key;
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = support::open_with(dir.path(), &fed);
    let (id, version) = (fed.id(), fed.version());
    let stored = |ledger: &Ledger, record: Record<Unverified>| {
        let id = record.id();
        ledger.ingest(record).expect("stored");
        id
    };

    let matters: Vec<RecordId> = ["Förvaltningsplan 2027", "Budget 2027", "Nytt avtal om drift"]
        .into_iter()
        .map(|title| {
            let matter = Matter {
                kind: MatterKind::Ovrigt,
                title: title.into(),
                proposal: format!("Styrgruppen beslutar att anta {title}."),
                alternatives: vec![],
                papers: vec![],
                procedure: Procedure::Meeting { meeting: None },
                closer: node.public(),
                subject: None,
            };
            stored(&ledger, forvaltare.next(id, version, Kind::Matter, matter.to_bytes()))
        })
        .collect();
    let members: Vec<MemberId> = ordinarie.keys().cloned().collect();
    for (i, member) in members.iter().enumerate() {
        let author = ordinarie.get_mut(member).expect("a member");
        let choice = if i == 3 { Choice::No } else { Choice::Yes };
        let vote = Vote { matter: matters[0], member: member.clone(), choice };
        stored(&ledger, author.next(id, version, Kind::Vote, vote.to_bytes()));
        if i % 2 == 0 {
            let vote = Vote { matter: matters[1], member: member.clone(), choice: Choice::Abstain };
            stored(&ledger, author.next(id, version, Kind::Vote, vote.to_bytes()));
        }
        if i == 5 {
            // A second vote by the same key: it supersedes the first.
            let vote = Vote { matter: matters[0], member: member.clone(), choice: Choice::No };
            stored(&ledger, author.next(id, version, Kind::Vote, vote.to_bytes()));
        }
    }
    for matter in &matters[..2] {
        let body = governance::next_registration(ledger.store(), &node.public(), matter, 2026).expect("registers");
        ledger.author(&node, Kind::Diarium, body.to_bytes(), T0_MS).expect("authored");
    }
    for vote in governance::votes_on(ledger.store(), &matters[0]).expect("votes") {
        governance::issue_receipt(&ledger, &node, &vote).expect("receipted").expect("a receipt is owed");
    }
    let chain = ledger.chain().expect("federation");
    let closing = governance::next_closing(ledger.store(), &chain, &node.public(), &matters[0]).expect("closes");
    let closing = ledger.author(&node, Kind::BallotClose, closing.to_bytes(), T0_MS).expect("authored").id();

    let meeting = Meeting {
        title: "Styrgruppsmöte december".into(),
        date: "2026-12-03".into(),
        place: "Luleå stadshus".into(),
        agenda: matters[..2].to_vec(),
        notice_given_on: "2026-11-23".into(),
    };
    let meeting = stored(&ledger, forvaltare.next(id, version, Kind::Meeting, meeting.to_bytes()));
    let justerare = [ordinarie[&members[1]].key.public(), ordinarie[&members[2]].key.public()];
    let minutes = Minutes {
        meeting,
        present: members.clone(),
        items: vec![
            MinutesItem { matter: matters[0], closing: Some(closing), text: "Styrgruppen antog planen.".into() },
            MinutesItem { matter: matters[1], closing: None, text: "Ärendet bordlades.".into() },
        ],
        justerare,
        chair: chair.key.public(),
        anslag_date: Some("2026-12-10".into()),
    };
    let minutes = stored(&ledger, chair.next(id, version, Kind::Minutes, minutes.to_bytes()));
    let justering = Justering { minutes }.to_bytes();
    stored(&ledger, chair.next(id, version, Kind::Justering, justering.clone()));
    let justerare = ordinarie.get_mut(&members[1]).expect("a member");
    stored(&ledger, justerare.next(id, version, Kind::Justering, justering));
    // A shared register's record (the model holds them whole): an outage notice and its update.
    let notice = OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Treserva svarar inte".into(),
        text: "Inloggningen står still. Vi felsöker.".into(),
        affected: vec!["Journal IFO".into()],
        start_ms: T0_MS,
        expected_end_ms: None,
    });
    let notice = stored(&ledger, forvaltare.next(id, version, Kind::OutageNotice, notice.to_bytes()));
    let update =
        OutageNotice::Update { notice, text: "Leverantören arbetar med felet.".into(), expected_end_ms: None };
    stored(&ledger, forvaltare.next(id, version, Kind::OutageNotice, update.to_bytes()));

    let records = every_record(ledger.store());
    History { dir, fed, records, node }
}

/// Every record `store` holds, in arrival order.
fn every_record(store: &Store) -> Vec<Record<Unverified>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let (page, last) = store.by_kind(None, after, samverka_node::storage::MAX_PAGE).expect("listed");
        if page.is_empty() {
            return out;
        }
        out.extend(page.iter().map(Record::to_unverified));
        after = last;
    }
}

fn model(ledger: &Ledger) -> Model {
    ledger.store().read_model().read().clone()
}

/// A new node founded with `fed` that receives `records` one at a time from a peer, in the
/// order given (records that come before what they depend on wait in the parking area).
fn receive(fed: &Federation, records: &[Record<Unverified>]) -> (tempfile::TempDir, Arc<Ledger>) {
    let (dir, ledger) = support::ledger_with(fed);
    for record in records {
        ledger.ingest_one(Source::Peer(1), record.clone()).expect("accepted or parked");
    }
    assert_eq!(ledger.parked(), 0, "every record parked was woken by what it waited for");
    let held = every_record(ledger.store()).len();
    assert_eq!(held, records.len(), "every record is held");
    (dir, ledger)
}

/// A deterministic shuffle (xorshift), so a failing order can be run again.
fn shuffled(records: &[Record<Unverified>], seed: u64) -> Vec<Record<Unverified>> {
    let mut out = records.to_vec();
    let mut x = seed.max(1);
    for i in (1..out.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.swap(i, usize::try_from(x % (i as u64 + 1)).expect("fits"));
    }
    out
}

/// Every report the node serves, in a form that does not depend on arrival order: what two
/// nodes holding the same records must agree on.
fn reports(ledger: &Ledger, node: &SigningKey) -> String {
    let store = ledger.store();
    let chain: Arc<RosterChain> = ledger.chain().expect("federation");
    let mut out = String::new();
    let mut matters = governance::matters(store).expect("matters");
    matters.sort_by_key(|m| m.matter.id());
    for m in &matters {
        let id = m.matter.id();
        let dnr = m.diarium.as_ref().map(|d| d.body.diarienummer.to_string());
        writeln!(out, "matter {id} {dnr:?} {} {:?}", m.status.name(), m.outcome).expect("write");
        let r = governance::matter_report(store, &chain, &id).expect("report").expect("held");
        let mut lines: Vec<String> = r
            .votes
            .iter()
            .map(|v| format!("{} {} {:?} {} {:?} {:?}", v.id, v.member, v.choice, v.counted, v.excluded, v.receipt))
            .collect();
        lines.sort();
        let closings: Vec<RecordId> = r.closings.iter().map(Held::id).collect();
        let closing = r.closing.as_ref().map(Held::id);
        writeln!(out, "  votes {lines:#?}").expect("write");
        writeln!(out, "  closings {closings:?} {closing:?} {:?}", r.settlement).expect("write");
        writeln!(out, "  {:?} {:?} provisional {}", r.tally, r.outcome, r.provisional).expect("write");
        writeln!(out, "  receipts {:?}", governance::receipts_on(store, &id).expect("receipts")).expect("write");
        let next = governance::next_closing(store, &chain, &node.public(), &id).map(|mut c| {
            c.counted.sort();
            c
        });
        writeln!(out, "  next closing {next:?}").expect("write");
        let next = governance::next_registration(store, &node.public(), &id, 2026);
        writeln!(out, "  next registration {next:?}").expect("write");
    }
    let mut meetings = governance::meetings(store).expect("meetings");
    meetings.sort_by_key(|m| m.meeting.id());
    for m in &meetings {
        let mut minutes = m.minutes.clone();
        minutes.sort();
        writeln!(out, "meeting {} {:?} {minutes:?}", m.meeting.id(), m.agenda).expect("write");
        for id in &minutes {
            let r = governance::minutes_report(store, id).expect("report").expect("held");
            let mut justeringar: Vec<RecordId> = r.justeringar.iter().map(Held::id).collect();
            justeringar.sort();
            writeln!(out, "  minutes {id} {:?} {:?} {justeringar:?}", r.items, r.status).expect("write");
        }
    }
    out
}

#[test]
fn read_model_after_reopen_equals_the_one_built_as_records_were_stored() {
    let h = history();
    // The first node's model was built record by record as they were stored.
    let ledger = support::open_with(h.dir.path(), &h.fed);
    let reopened = model(&ledger);
    drop(ledger);
    let (dir, incremental) = support::ledger_with(&h.fed);
    for record in &h.records {
        incremental.ingest(record.clone()).expect("stored or duplicate");
    }
    let built = model(&incremental);
    assert_eq!(built, reopened, "the model built record by record equals the one a scan builds on opening");
    let counts = built.counts();
    assert_eq!((counts["matter"], counts["diarium"], counts["ballot-close"]), (3, 2, 1));
    assert_eq!((counts["vote"], counts["vote-receipt"], counts["justering"]), (14 + 7 + 1, 15, 2));
    drop(incremental);
    let again = support::open_with(dir.path(), &h.fed);
    assert_eq!(model(&again), built, "and after this node reopens too");

    // A node that received the records out of order numbers them differently, but a reopen
    // rebuilds exactly what it built as they arrived.
    let (dir, shuffled_node) = receive(&h.fed, &shuffled(&h.records, 7));
    let built = model(&shuffled_node);
    drop(shuffled_node);
    assert_eq!(model(&support::open_with(dir.path(), &h.fed)), built);
}

#[test]
fn reports_are_the_same_whatever_order_records_arrive_in() {
    let h = history();
    let first = support::open_with(h.dir.path(), &h.fed);
    let expected = reports(&first, &h.node);
    assert!(expected.contains("closed") && expected.contains("Pending"), "{expected}");
    // Newest first: every vote, receipt and closing before its matter and its diarium.
    let mut reversed = h.records.clone();
    reversed.reverse();
    // Diarium, receipts and closing before anything they name; votes before their matters.
    let mut by_kind = h.records.clone();
    by_kind.sort_by_key(|r| match r.header().kind {
        Kind::Charter | Kind::RosterUpdate => 0,
        Kind::Diarium | Kind::VoteReceipt | Kind::BallotClose | Kind::Justering => 1,
        Kind::Vote => 2,
        _ => 3,
    });
    let orders = [("reversed", reversed), ("by kind", by_kind)]
        .into_iter()
        .chain((1..=4).map(|seed| ("shuffled", shuffled(&h.records, seed))));
    for (name, order) in orders {
        let (_dir, ledger) = receive(&h.fed, &order);
        assert_eq!(reports(&ledger, &h.node), expected, "records received {name}");
    }
}

#[test]
fn read_model_finds_exactly_the_records_a_scan_of_every_record_finds() {
    let h = history();
    for order in [h.records.clone(), shuffled(&h.records, 11)] {
        let (_dir, ledger) = receive(&h.fed, &order);
        let store = ledger.store();
        let scan = |kind| governance::scan(store, kind).expect("scan");
        let ids = |records: Vec<Record<_>>| records.iter().map(Record::id).collect::<BTreeSet<RecordId>>();
        let matters = governance::scan_bodies::<Matter>(store).expect("scan");
        let listed: BTreeSet<RecordId> =
            governance::matters(store).expect("matters").iter().map(|m| m.matter.id()).collect();
        assert_eq!(listed, matters.iter().map(Held::id).collect());
        for matter in matters.iter().map(Held::id) {
            let on = |kind: Kind| -> BTreeSet<RecordId> {
                scan(kind)
                    .into_iter()
                    .filter(|r| {
                        let body = r.body().expect("a body");
                        match kind {
                            Kind::Vote => Vote::from_bytes(body).expect("vote").matter == matter,
                            Kind::VoteReceipt => VoteReceipt::from_bytes(body).expect("receipt").matter == matter,
                            Kind::BallotClose => BallotClose::from_bytes(body).expect("closing").matter == matter,
                            _ => Diarium::from_bytes(body).expect("diarium").matter == matter,
                        }
                    })
                    .map(|r| r.id())
                    .collect()
            };
            assert_eq!(ids(governance::votes_on(store, &matter).expect("votes")), on(Kind::Vote));
            let receipts: BTreeSet<RecordId> =
                governance::receipts_on(store, &matter).expect("receipts").into_values().collect();
            let receipted: BTreeMap<RecordId, RecordId> = on(Kind::VoteReceipt)
                .into_iter()
                .map(|id| {
                    let r = store.get(&id).expect("read").expect("held");
                    (VoteReceipt::from_bytes(r.body().expect("body")).expect("receipt").vote, id)
                })
                .collect();
            assert_eq!(receipts, receipted.into_values().collect(), "one receipt per vote here");
            let closings = governance::closings_of(store, &matter).expect("closings");
            assert_eq!(closings.iter().map(Held::id).collect::<BTreeSet<_>>(), on(Kind::BallotClose));
            let registered = governance::registration(store, &matter).expect("registration").map(|d| d.id());
            assert_eq!(registered.into_iter().collect::<BTreeSet<_>>(), on(Kind::Diarium));
        }
        let minutes = governance::scan_bodies::<Minutes>(store).expect("scan");
        assert_eq!(
            governance::all_minutes(store).expect("minutes").iter().map(Held::id).collect::<BTreeSet<_>>(),
            minutes.iter().map(Held::id).collect()
        );
        for m in &minutes {
            let report = governance::minutes_report(store, &m.id()).expect("report").expect("held");
            let justeringar = governance::scan_bodies::<Justering>(store).expect("scan");
            let named: BTreeSet<RecordId> =
                justeringar.iter().filter(|j| j.body.minutes == m.id()).map(Held::id).collect();
            assert_eq!(report.justeringar.iter().map(Held::id).collect::<BTreeSet<_>>(), named);
        }
        let meetings = governance::scan_bodies::<Meeting>(store).expect("scan");
        assert_eq!(
            governance::meetings(store).expect("meetings").iter().map(|m| m.meeting.id()).collect::<BTreeSet<_>>(),
            meetings.iter().map(Held::id).collect()
        );
    }
}
