//! Outage notices (`docs/outages.md`): who may publish, update, clear and acknowledge; one
//! refusing case per rule with the exact code; and each notice's state — cleared, updates after
//! the all-clear, one acknowledgement per member — the same for any order of arrival.

use samverka_protocol::outage::{self, NoticeKind, OutageAck, OutageNotice, Published, Violation, MAX_AFFECTED};
use samverka_protocol::plan::Violation as FieldViolation;
use samverka_protocol::testkit::{self, Author, Federation, Held, T0_MS};
use samverka_protocol::{Body, Kind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const SECOND: &str = "1001";
const THIRD: &str = "1002";
/// A personnummer with a valid check digit (Luhn over 811218987 gives 6).
const PERSONNUMMER: &str = "811218-9876";

/// Three kommuner, 1000 the host: the host's förvaltare and node; a förvaltare of 1001 (not the
/// host's); an objektspecialist and a node in every member.
struct World {
    fed: Federation,
    held: Held,
    forvaltare: Author,
    host_node: Author,
    other_forvaltare: Author,
    specialists: Vec<(&'static str, Author)>,
    second_node: Author,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Drift", &testkit::kommuner(3), HOST);
        let forvaltare = fed.certify_person(HOST, "drift/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "drift/host-node");
        let other_forvaltare = fed.certify_person(SECOND, "drift/1001/forvaltare", &[Role::Forvaltare]);
        let specialists = [HOST, SECOND, THIRD]
            .into_iter()
            .map(|m| (m, fed.certify_person(m, &format!("drift/{m}/objektspecialist"), &[Role::Objektspecialist])))
            .collect();
        let second_node = fed.certify_node(SECOND, "drift/1001/node");
        World { fed, held: Held::default(), forvaltare, host_node, other_forvaltare, specialists, second_node }
    }

    fn by(&mut self, who: Who, kind: Kind, body: Vec<u8>) -> Result<Record<Verified>, Rejection> {
        let mut author = self.author(who).clone();
        let out = self.fed.submit(&mut self.held, &mut author, kind, body);
        *self.author(who) = author;
        out
    }

    fn author(&mut self, who: Who) -> &mut Author {
        match who {
            Who::Forvaltare => &mut self.forvaltare,
            Who::HostNode => &mut self.host_node,
            Who::OtherForvaltare => &mut self.other_forvaltare,
            Who::SecondNode => &mut self.second_node,
            Who::Specialist(i) => &mut self.specialists[i].1,
        }
    }

    fn notice(&mut self, who: Who, n: &OutageNotice) -> Result<Record<Verified>, Rejection> {
        self.by(who, Kind::OutageNotice, n.to_bytes())
    }

    fn publish(&mut self, p: Published) -> RecordId {
        self.notice(Who::Forvaltare, &OutageNotice::Publish(p)).expect("the host's förvaltare publishes").id()
    }

    fn ack(&mut self, specialist: usize, notice: RecordId) -> Result<Record<Verified>, Rejection> {
        self.by(Who::Specialist(specialist), Kind::OutageAck, OutageAck { notice }.to_bytes())
    }

    fn state(&self) -> outage::State {
        let records: Vec<Record<Verified>> = self.held.0.values().cloned().collect();
        let mut all = outage::state(&records, &self.fed.chain);
        assert_eq!(all.len(), 1, "one notice");
        all.pop_first().expect("one notice").1
    }
}

#[derive(Clone, Copy)]
enum Who {
    Forvaltare,
    HostNode,
    OtherForvaltare,
    SecondNode,
    Specialist(usize),
}

const HOUR_MS: i64 = 3_600_000;

fn treserva_down() -> Published {
    Published {
        kind: NoticeKind::Driftstorning,
        title: "Treserva svarar inte".into(),
        text: "Inloggningen misslyckas för alla användare. Leverantören felsöker.".into(),
        affected: vec!["Journal IFO".into(), "Mobil dokumentation".into()],
        start_ms: T0_MS,
        expected_end_ms: Some(T0_MS + 2 * HOUR_MS),
    }
}

fn with(f: impl FnOnce(&mut Published)) -> Published {
    let mut p = treserva_down();
    f(&mut p);
    p
}

fn update(notice: RecordId, text: &str) -> OutageNotice {
    OutageNotice::Update { notice, text: text.into(), expected_end_ms: None }
}

fn clear(notice: RecordId) -> OutageNotice {
    OutageNotice::Clear { notice, text: "Felet är åtgärdat; inloggningen fungerar igen.".into() }
}

fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Outage { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

fn rejects(p: Published, violation: Violation) {
    let mut w = World::new();
    refused(w.notice(Who::Forvaltare, &OutageNotice::Publish(p)), Kind::OutageNotice, violation);
}

fn not_authorised(result: Result<Record<Verified>, Rejection>) {
    let r = result.expect_err("refused");
    assert!(matches!(r, Rejection::NotAuthorised { .. }), "{r:?}");
    assert_eq!(r.code(), "not_authorised");
}

// ---- who acts -----------------------------------------------------------------------------

#[test]
fn the_hosts_forvaltare_or_node_publishes_updates_and_clears() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    w.notice(Who::HostNode, &update(id, "Leverantören har hittat felet.")).expect("the host's node updates");
    w.notice(Who::Forvaltare, &clear(id)).expect("the host's förvaltare clears");
    assert!(!w.state().is_active());
}

#[test]
fn another_members_forvaltare_or_node_may_not_publish() {
    let mut w = World::new();
    not_authorised(w.notice(Who::OtherForvaltare, &OutageNotice::Publish(treserva_down())));
    not_authorised(w.notice(Who::SecondNode, &OutageNotice::Publish(treserva_down())));
}

#[test]
fn an_objektspecialist_may_not_publish() {
    let mut w = World::new();
    not_authorised(w.notice(Who::Specialist(1), &OutageNotice::Publish(treserva_down())));
}

#[test]
fn each_members_objektspecialist_acknowledges() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    for i in 0..3 {
        w.ack(i, id).expect("an objektspecialist acknowledges");
    }
    let members: Vec<String> = w.state().acknowledgements.into_keys().collect();
    assert_eq!(members, [HOST, SECOND, THIRD]);
}

#[test]
fn a_node_key_may_not_acknowledge_since_a_person_reads_the_notice() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    not_authorised(w.by(Who::SecondNode, Kind::OutageAck, OutageAck { notice: id }.to_bytes()));
    not_authorised(w.by(Who::Forvaltare, Kind::OutageAck, OutageAck { notice: id }.to_bytes()));
}

// ---- the notice's fields ------------------------------------------------------------------

#[test]
fn accepts_a_planned_maintenance_without_an_expected_end() {
    let mut w = World::new();
    w.publish(with(|p| {
        p.kind = NoticeKind::PlaneratUnderhall;
        p.expected_end_ms = None;
    }));
}

#[test]
fn rejects_a_blank_title() {
    rejects(with(|p| p.title = "  ".into()), Violation::Field(FieldViolation::Empty { field: "title" }));
}

#[test]
fn rejects_a_title_of_two_lines() {
    rejects(
        with(|p| p.title = "Treserva\nsvarar inte".into()),
        Violation::Field(FieldViolation::NotOneLine { field: "title" }),
    );
}

#[test]
fn rejects_a_blank_text() {
    rejects(with(|p| p.text = String::new()), Violation::Field(FieldViolation::Empty { field: "text" }));
}

#[test]
fn rejects_a_text_over_the_limit() {
    let len = outage::MAX_TEXT_BYTES + 1;
    rejects(with(|p| p.text = "a".repeat(len)), Violation::TextTooLong { field: "text", len });
}

#[test]
fn rejects_a_notice_without_an_affected_part() {
    rejects(with(|p| p.affected.clear()), Violation::NoAffectedPart);
}

#[test]
fn rejects_more_affected_parts_than_the_limit() {
    let len = MAX_AFFECTED + 1;
    rejects(
        with(|p| p.affected = (0..len).map(|i| format!("Del {i}")).collect()),
        Violation::Field(FieldViolation::TooMany { field: "affected parts", len, max: MAX_AFFECTED }),
    );
}

#[test]
fn rejects_a_blank_affected_part() {
    rejects(with(|p| p.affected.push(" ".into())), Violation::Field(FieldViolation::Empty { field: "affected part" }));
}

#[test]
fn rejects_a_start_before_1970() {
    rejects(with(|p| p.start_ms = -1), Violation::TimeOutOfRange { field: "start", ms: -1 });
}

#[test]
fn rejects_an_expected_end_before_the_start() {
    let end = T0_MS - 1;
    rejects(with(|p| p.expected_end_ms = Some(end)), Violation::EndsBeforeStart { start_ms: T0_MS, end_ms: end });
}

// ---- no personal identity numbers -----------------------------------------------------------

#[test]
fn rejects_a_personnummer_in_the_title() {
    rejects(
        with(|p| p.title = format!("Fel i akten {PERSONNUMMER}")),
        Violation::PersonalIdentityNumber { field: "title", at: 12 },
    );
}

#[test]
fn rejects_a_personnummer_in_the_text() {
    rejects(
        with(|p| p.text = format!("{PERSONNUMMER} kan inte öppnas")),
        Violation::PersonalIdentityNumber { field: "text", at: 0 },
    );
}

#[test]
fn rejects_a_samordningsnummer_in_an_affected_part() {
    // 811278-9873: the day 18 plus 60, check digit 3.
    rejects(
        with(|p| p.affected = vec!["Akt 811278-9873".into()]),
        Violation::PersonalIdentityNumber { field: "affected part", at: 4 },
    );
}

#[test]
fn accepts_a_number_whose_check_digit_is_wrong() {
    let mut w = World::new();
    w.publish(with(|p| p.text = "Ärende 811218-9875 i leverantörens system".into()));
}

#[test]
fn rejects_a_personnummer_in_an_update_and_an_all_clear() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let pin = Violation::PersonalIdentityNumber { field: "text", at: 6 };
    refused(w.notice(Who::Forvaltare, &update(id, &format!("Akten {PERSONNUMMER}"))), Kind::OutageNotice, pin.clone());
    let all_clear = OutageNotice::Clear { notice: id, text: format!("Akten {PERSONNUMMER} går att öppna") };
    refused(w.notice(Who::Forvaltare, &all_clear), Kind::OutageNotice, pin);
}

// ---- what updates, all-clears and acknowledgements name ----------------------------------------

#[test]
fn an_update_of_a_notice_not_held_waits_for_it() {
    let mut w = World::new();
    let unknown = RecordId::of(b"test\0", &[b"unknown"]);
    let r = w.notice(Who::Forvaltare, &update(unknown, "Nyheter.")).expect_err("waits");
    assert_eq!(r, Rejection::MissingDependency { id: unknown });
    assert!(r.is_pending());
}

#[test]
fn an_acknowledgement_names_the_notice_not_an_update() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let u = w.notice(Who::Forvaltare, &update(id, "Nyheter.")).expect("updates").id();
    refused(w.ack(1, u), Kind::OutageAck, Violation::NotANotice { id: u, act: "update" });
    refused(w.notice(Who::Forvaltare, &clear(u)), Kind::OutageNotice, Violation::NotANotice { id: u, act: "update" });
}

#[test]
fn an_update_names_an_outage_notice_not_another_kind() {
    let mut w = World::new();
    let note = w.by(Who::Forvaltare, Kind::Note, b"en anteckning".to_vec()).expect("a note").id();
    refused(
        w.notice(Who::Forvaltare, &update(note, "Nyheter.")),
        Kind::OutageNotice,
        Violation::Field(FieldViolation::WrongKind { id: note, found: Kind::Note, expected: Kind::OutageNotice }),
    );
}

#[test]
fn an_updates_expected_end_is_not_before_the_notices_start() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let end = T0_MS - HOUR_MS;
    let u = OutageNotice::Update { notice: id, text: "Nyheter.".into(), expected_end_ms: Some(end) };
    refused(
        w.notice(Who::Forvaltare, &u),
        Kind::OutageNotice,
        Violation::EndsBeforeStart { start_ms: T0_MS, end_ms: end },
    );
}

// ---- state ---------------------------------------------------------------------------------------

#[test]
fn an_update_after_the_all_clear_is_valid_and_shown_as_after_it() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let later = OutageNotice::Update {
        notice: id,
        text: "Orsaken var en certifikatförnyelse.".into(),
        expected_end_ms: Some(T0_MS + 5 * HOUR_MS),
    };
    w.notice(Who::Forvaltare, &update(id, "Leverantören felsöker.")).expect("before");
    w.notice(Who::Forvaltare, &clear(id)).expect("clears");
    w.notice(Who::Forvaltare, &later).expect("an update after the all-clear is still valid");
    let s = w.state();
    assert!(!s.is_active());
    assert_eq!(s.updates.iter().map(|u| u.after_clear).collect::<Vec<_>>(), [false, true]);
}

#[test]
fn a_second_all_clear_changes_nothing() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let first = w.notice(Who::Forvaltare, &clear(id)).expect("clears").id();
    w.notice(Who::Forvaltare, &clear(id)).expect("a second all-clear is valid");
    assert_eq!(w.state().cleared.map(|c| c.id), Some(first));
}

#[test]
fn the_expected_end_is_the_last_update_that_gives_one() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let later = T0_MS + 4 * HOUR_MS;
    w.notice(
        Who::Forvaltare,
        &OutageNotice::Update { notice: id, text: "Längre.".into(), expected_end_ms: Some(later) },
    )
    .expect("updates");
    w.notice(Who::Forvaltare, &update(id, "Inget nytt om sluttiden.")).expect("updates");
    assert_eq!(w.state().expected_end_ms(), Some(later));
}

#[test]
fn a_member_acknowledging_twice_counts_once_by_its_first() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    let first = w.ack(1, id).expect("acknowledges").id();
    w.ack(1, id).expect("a second acknowledgement is valid");
    let s = w.state();
    assert_eq!(s.acknowledgements.len(), 1);
    assert_eq!(s.acknowledgements[SECOND].id, first);
}

#[test]
fn the_state_is_the_same_for_any_order_of_arrival() {
    let mut w = World::new();
    let id = w.publish(treserva_down());
    w.notice(Who::HostNode, &update(id, "Felsökning pågår.")).expect("updates");
    w.ack(2, id).expect("acknowledges");
    w.notice(Who::Forvaltare, &clear(id)).expect("clears");
    w.notice(Who::Forvaltare, &update(id, "Efter friskförklaringen.")).expect("updates");
    w.ack(0, id).expect("acknowledges");
    w.ack(0, id).expect("acknowledges again");
    let records: Vec<Record<Verified>> = w.held.0.values().cloned().collect();
    let expected = outage::state(&records, &w.fed.chain);
    let n = records.len();
    for seed in 0..(2 * n) {
        let mut shuffled = records.clone();
        shuffled.rotate_left(seed % n);
        if seed >= n {
            shuffled.reverse();
        }
        // A deterministic interleaving: every other record moved to the back.
        let (even, odd): (Vec<_>, Vec<_>) = shuffled.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let mixed: Vec<Record<Verified>> = even.into_iter().chain(odd).map(|(_, r)| r).collect();
        assert_eq!(outage::state(&mixed, &w.fed.chain), expected, "order {seed}");
    }
    let s = &expected[&id];
    assert_eq!(s.updates.len(), 2);
    assert_eq!(s.acknowledgements.len(), 2);
    assert!(!s.is_active());
}
