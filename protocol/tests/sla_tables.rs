//! The federation's SLA table as a record (`docs/support.md` §8): one refused table per rule
//! with the exact rejection, adoption by an övrigt matter naming it, and which table a case's
//! clocks use — the same whatever order the records arrive in, and never changed for an earlier
//! case by a later decision.

use std::collections::BTreeMap;

use samverka_protocol::governance::{
    self, Choice, Date, Matter, Outcome, Procedure, Settlement, Violation as GovViolation, Vote,
};
use samverka_protocol::plan::{Decided, Violation as FieldViolation};
use samverka_protocol::support::{
    breaches, history, schedule, stockholm_midnight_ms, stockholm_offset_ms, Action, ClockKind, Hours, Priority,
    Schedule, SlaTable, SupportCase, SupportEvent, Table, Target, Violation, MAX_TARGET_MIN,
};
use samverka_protocol::testkit::{self, Author, Federation, Held};
use samverka_protocol::validate::verify_in;
use samverka_protocol::{Body, Draft, Hash, Kind, MatterKind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const MEMBER: &str = "1001";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// Three kommuner, 1000 the host: its förvaltare (who drafts tables), its node (which closes
/// ballots), an ordinarie per member, and 1001's objektspecialist and förvaltare.
struct World {
    fed: Federation,
    forvaltare: Author,
    local_forvaltare: Author,
    node: Author,
    specialist: Author,
    voters: Vec<(String, Author)>,
    held: Held,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("SLA", &testkit::kommuner(3), HOST);
        let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
        let forvaltare = fed.certify_person(HOST, "sla/host/forvaltare", &[Role::Forvaltare]);
        let local_forvaltare = fed.certify_person(MEMBER, "sla/1001/forvaltare", &[Role::Forvaltare]);
        let node = fed.certify_node(HOST, "sla/host/node");
        let specialist = fed.certify_person(MEMBER, "sla/1001/os", &[Role::Objektspecialist]);
        let voters = members
            .iter()
            .map(|m| (m.clone(), fed.certify_person(m, &format!("sla/{m}/ordinarie"), &[Role::StyrgruppOrdinarie])))
            .collect();
        World { fed, forvaltare, local_forvaltare, node, specialist, voters, held: Held::default() }
    }

    /// Signs `author`'s next record claiming `time_ms` and judges it against the held records;
    /// kept when valid, the author's position given back when refused.
    fn sign(
        &mut self,
        author: &mut Author,
        kind: Kind,
        body: Vec<u8>,
        time_ms: i64,
    ) -> Result<Record<Verified>, Rejection> {
        let draft = Draft::new(
            self.fed.id(),
            author.key.public(),
            author.seq,
            author.prev,
            self.fed.version(),
            kind,
            body,
            time_ms,
        );
        let record = draft.sign(&author.key);
        let verified = verify_in(record, &self.fed.chain, &self.held)?;
        author.seq += 1;
        author.prev = Some(verified.id());
        self.held.0.insert(verified.id(), verified.clone());
        Ok(verified)
    }

    fn draft(&mut self, t: &SlaTable, time_ms: i64) -> Result<Record<Verified>, Rejection> {
        let mut a = self.forvaltare.clone();
        let out = self.sign(&mut a, Kind::SlaTable, t.to_bytes(), time_ms);
        self.forvaltare = a;
        out
    }

    fn by_node<B: Body>(&mut self, body: &B, time_ms: i64) -> Result<Record<Verified>, Rejection> {
        let mut a = self.node.clone();
        let out = self.sign(&mut a, B::KIND, body.to_bytes(), time_ms);
        self.node = a;
        out
    }

    /// Tables an övrigt matter naming `table` at the host's node, has every member vote `choice`,
    /// and closes it at `closed_ms`: the matter as decided, and the closing's claimed time.
    fn decide(&mut self, table: RecordId, choice: Choice, closed_ms: i64) -> (Decided, (RecordId, i64)) {
        let matter = matter(&self.node.key.public(), table);
        let m = self.by_node(&matter, closed_ms - HOUR).expect("the host's node tables the matter");
        let mut votes = Vec::new();
        for i in 0..self.voters.len() {
            let (member, mut voter) = self.voters[i].clone();
            let body = Vote { matter: m.id(), member, choice };
            votes.push(self.sign(&mut voter, Kind::Vote, body.to_bytes(), closed_ms - HOUR / 2).expect("a vote"));
            self.voters[i].1 = voter;
        }
        let closing = governance::close(m.id(), &matter, &votes, &self.fed.chain, self.fed.chain.current());
        let closing = self.by_node(&closing, closed_ms).expect("the closer closes");
        let settlement = governance::settle(&m.id(), &matter, std::slice::from_ref(&closing));
        (Decided { id: m.id(), matter, settlement }, (closing.id(), closed_ms))
    }
}

fn matter(closer: &samverka_protocol::PublicKey, table: RecordId) -> Matter {
    Matter {
        kind: MatterKind::Ovrigt,
        title: "SLA-tabell".into(),
        proposal: "Styrgruppen fastställer SLA-tabellen.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 14 },
        closer: *closer,
        subject: Some(table),
    }
}

/// The UTC instant of a Stockholm wall-clock time.
fn at(date: &str, hour: i64, minute: i64) -> i64 {
    stockholm_midnight_ms(Date::parse(date).expect("a test date")) + hour * HOUR + minute * MINUTE
}

fn target(start_min: i64, inform_min: i64, downtime_min: i64) -> Target {
    Target { start_min, inform_min, downtime_min, hours: Hours::Business }
}

/// A table with its own medel row (2 h to start repair), applying from `from`.
fn table(name: &str, from: &str) -> SlaTable {
    SlaTable {
        name: name.into(),
        from: from.into(),
        high: Some(target(30, 15, 240)),
        medium: Some(target(120, 30, 960)),
        low: None,
        replaces: None,
    }
}

fn refused(result: Result<Record<Verified>, Rejection>, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Support { kind: Kind::SlaTable, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but table {} was accepted", r.id()),
    }
}

const T: i64 = 1_790_000_000_000;

// ---- rules ----

#[test]
fn accepts_webcares_table_by_the_hosts_forvaltare() {
    let mut w = World::new();
    let t = w.draft(&SlaTable::webcare("2026-01-01"), T).expect("WebCare's table is valid");
    assert_eq!(SlaTable::from_bytes(t.body().expect("a body")).expect("decodes").table(), Table::WEBCARE);
}

#[test]
fn only_the_hosts_forvaltare_drafts_a_table() {
    let mut w = World::new();
    let mut local = w.local_forvaltare.clone();
    let result = w.sign(&mut local, Kind::SlaTable, table("Lokal", "2026-01-01").to_bytes(), T);
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::SlaTable, .. })), "{result:?}");
}

#[test]
fn refuses_a_table_without_a_name() {
    let mut w = World::new();
    let t = SlaTable { name: " ".into(), ..table("x", "2026-01-01") };
    refused(w.draft(&t, T), Violation::Field(FieldViolation::Empty { field: "name" }));
}

#[test]
fn refuses_a_personnummer_in_the_name() {
    let mut w = World::new();
    let t = table("Tabell för 811218-9876", "2026-01-01");
    refused(w.draft(&t, T), Violation::PersonalIdentityNumber { field: "name", at: 11 });
}

#[test]
fn refuses_a_from_that_is_no_day() {
    let mut w = World::new();
    let t = table("Tabell", "2026-02-30");
    refused(w.draft(&t, T), Violation::Field(FieldViolation::BadDate { field: "from" }));
}

#[test]
fn refuses_a_table_without_any_targets() {
    let mut w = World::new();
    let t = SlaTable { high: None, medium: None, low: None, ..table("Tom", "2026-01-01") };
    refused(w.draft(&t, T), Violation::EmptySlaTable);
}

#[test]
fn refuses_a_zero_target() {
    let mut w = World::new();
    let t = SlaTable { medium: Some(target(120, 0, 960)), ..table("Noll", "2026-01-01") };
    refused(
        w.draft(&t, T),
        Violation::TargetNotPositive { priority: Priority::Medium, clock: ClockKind::Inform, minutes: 0 },
    );
}

#[test]
fn refuses_a_target_longer_than_a_year() {
    let mut w = World::new();
    let long = MAX_TARGET_MIN + 1;
    let t = SlaTable { low: Some(target(60, 60, long)), ..table("Lång", "2026-01-01") };
    refused(
        w.draft(&t, T),
        Violation::TargetTooLong { priority: Priority::Low, clock: ClockKind::Downtime, minutes: long },
    );
    let at_most = SlaTable { low: Some(target(60, 60, MAX_TARGET_MIN)), ..table("Längst", "2026-01-01") };
    w.draft(&at_most, T).expect("a year is the longest target");
}

#[test]
fn refuses_a_start_of_repair_later_than_the_longest_downtime() {
    let mut w = World::new();
    let t = SlaTable { high: Some(target(600, 30, 60)), ..table("Bakvänd", "2026-01-01") };
    refused(w.draft(&t, T), Violation::TargetBeyondDowntime { priority: Priority::High, clock: ClockKind::Start });
}

#[test]
fn a_replacement_waits_for_the_table_it_replaces_and_must_name_one() {
    let mut w = World::new();
    let unknown = Hash([7; 32]);
    let t = SlaTable { replaces: Some(unknown), ..table("Ny", "2026-06-01") };
    assert_eq!(w.draft(&t, T), Err(Rejection::MissingDependency { id: unknown }));
    let case = SupportCase {
        member: MEMBER.into(),
        category: "Inloggning".into(),
        priority: Priority::High,
        title: "Fel".into(),
        description: "Beskrivning".into(),
    };
    let mut os = w.specialist.clone();
    let c = w.sign(&mut os, Kind::SupportCase, case.to_bytes(), T).expect("a case");
    let t = SlaTable { replaces: Some(c.id()), ..table("Ny", "2026-06-01") };
    refused(
        w.draft(&t, T + 1),
        Violation::Field(FieldViolation::WrongKind { id: c.id(), found: Kind::SupportCase, expected: Kind::SlaTable }),
    );
}

#[test]
fn refuses_a_replacement_applying_before_the_table_it_replaces() {
    let mut w = World::new();
    let old = w.draft(&table("Gammal", "2026-06-01"), T).expect("a table");
    let early = SlaTable { replaces: Some(old.id()), ..table("Ny", "2026-05-31") };
    refused(w.draft(&early, T + 1), Violation::FromBeforeReplaced { replaced: old.id() });
    let same_day = SlaTable { replaces: Some(old.id()), ..table("Ny", "2026-06-01") };
    w.draft(&same_day, T + 2).expect("a replacement may apply from the same day");
}

#[test]
fn an_ovrigt_matter_may_name_a_table_and_a_budget_matter_may_not() {
    let mut w = World::new();
    let t = w.draft(&table("Tabell", "2026-01-01"), T).expect("a table");
    let budget = Matter { kind: MatterKind::Budget, ..matter(&w.node.key.public(), t.id()) };
    let result = w.by_node(&budget, T + 1);
    let v = GovViolation::SubjectKindMismatch { subject: t.id(), found: "sla-table" };
    assert_eq!(result.err(), Some(Rejection::Governance { kind: Kind::Matter, violation: v }));
    w.by_node(&matter(&w.node.key.public(), t.id()), T + 2).expect("an övrigt matter names the table");
}

// ---- adoption and selection ----

fn case_reported(priority: Priority) -> SupportCase {
    SupportCase {
        member: MEMBER.into(),
        category: "Utskrift".into(),
        priority,
        title: "Utskrift hänger".into(),
        description: "Utskrift av beslut hänger sig.".into(),
    }
}

#[test]
fn an_adopted_table_clocks_the_cases_reported_after_it_came_into_force() {
    let mut w = World::new();
    let own = w.draft(&table("Egen tabell", "2026-03-02"), at("2026-02-02", 9, 0)).expect("a table");
    let rejected_table = w.draft(&table("Avslagen", "2026-03-02"), at("2026-02-02", 9, 5)).expect("a table");
    let (adopted, closing) = w.decide(own.id(), Choice::Yes, at("2026-02-16", 15, 0));
    let (rejected, rejected_closing) = w.decide(rejected_table.id(), Choice::No, at("2026-02-16", 16, 0));
    let closed: BTreeMap<RecordId, i64> = [closing, rejected_closing].into();
    let tables: Vec<(RecordId, SlaTable)> = [&own, &rejected_table]
        .iter()
        .map(|r| (r.id(), SlaTable::from_bytes(r.body().expect("body")).expect("decodes")))
        .collect();
    let s = schedule(&tables, &[adopted, rejected], &closed);
    // Adopted on 16 February, applying from 2 March: in force from 00:00 on 2 March.
    let since = s.tables().iter().find(|t| t.id == own.id()).and_then(|t| t.since_ms);
    assert_eq!(since, Some(at("2026-03-02", 0, 0)));
    assert_eq!(s.tables().iter().find(|t| t.id == rejected_table.id()).and_then(|t| t.since_ms), None);
    assert_eq!(s.table(at("2026-03-01", 23, 59)), &Table::WEBCARE, "before its from day: WebCare's");
    assert_eq!(s.in_force(at("2026-03-02", 0, 0)).map(|t| t.id), Some(own.id()));

    // A medel case escalated Monday 2 March 09:00: two hours to start repair, not eight.
    let mut os = w.specialist.clone();
    let c = w
        .sign(&mut os, Kind::SupportCase, case_reported(Priority::Medium).to_bytes(), at("2026-03-02", 9, 0))
        .expect("a case");
    let escalate = SupportEvent { case: c.id(), after: c.id(), action: Action::Escalate, text: String::new() };
    let e = w.sign(&mut os, Kind::SupportEvent, escalate.to_bytes(), at("2026-03-02", 9, 0)).expect("escalated");
    let h = history(&c, &[e]).expect("a history");
    let clocks = h.clocks(s.table(h.reported_ms));
    let start = clocks.iter().find(|k| k.kind == ClockKind::Start).expect("a start clock");
    assert_eq!(start.read(at("2026-03-02", 9, 0)).deadline_ms, Some(at("2026-03-02", 11, 0)));
    let start_breaches = |s: &Schedule| {
        let sums = breaches([&h], s, at("2026-03-02", 12, 0));
        sums.values().next().and_then(|b| b.clocks.get(&ClockKind::Start).copied())
    };
    assert_eq!(start_breaches(&s), Some(1), "start of repair breached under the adopted table");
    assert_eq!(start_breaches(&Schedule::default()), None, "in time under WebCare's");
}

fn decided(id: RecordId, table: RecordId, result: Outcome, closing: RecordId) -> Decided {
    let m = matter(&testkit::key("closer").public(), table);
    Decided { id, matter: m, settlement: Settlement::Closed { result, closing } }
}

fn rotations<T: Clone>(v: &[T]) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    for i in 0..v.len() {
        let mut r = v.to_vec();
        r.rotate_left(i);
        out.push(r.clone());
        r.reverse();
        out.push(r);
    }
    out
}

#[test]
fn the_table_in_force_is_the_same_in_any_order_and_a_later_decision_never_changes_an_earlier_case() {
    let id = |n: u8| Hash([n; 32]);
    let adopted = Outcome::Adopted { alternative: None };
    // A from 1 January adopted 10 January; B from 1 June adopted 1 February; C from 1 March
    // adopted only 1 August (so in force from then, not from March); D adopted by a rejected
    // matter; E never decided.
    let tables = vec![
        (id(1), table("A", "2026-01-01")),
        (id(2), table("B", "2026-06-01")),
        (id(3), table("C", "2026-03-01")),
        (id(4), table("D", "2026-02-01")),
        (id(5), table("E", "2026-02-01")),
    ];
    let decisions = vec![
        decided(id(11), id(1), adopted, id(21)),
        decided(id(12), id(2), adopted, id(22)),
        decided(id(13), id(3), adopted, id(23)),
        decided(id(14), id(4), Outcome::Rejected, id(24)),
    ];
    let closed: BTreeMap<RecordId, i64> = [
        (id(21), at("2026-01-10", 10, 0)),
        (id(22), at("2026-02-01", 10, 0)),
        (id(23), at("2026-08-01", 10, 0)),
        (id(24), at("2026-01-15", 10, 0)),
    ]
    .into();
    let expect = [
        (at("2026-01-05", 12, 0), None),
        (at("2026-01-10", 9, 59), None),
        (at("2026-01-10", 10, 0), Some("A")),
        (at("2026-03-15", 12, 0), Some("A")),
        (at("2026-06-01", 0, 0), Some("B")),
        (at("2026-07-31", 23, 0), Some("B")),
        (at("2026-08-01", 10, 0), Some("C")),
        (at("2027-01-01", 12, 0), Some("C")),
    ];
    let mut seen = None;
    for tables in rotations(&tables) {
        for decisions in rotations(&decisions) {
            let s = schedule(&tables, &decisions, &closed);
            for (reported, name) in expect {
                assert_eq!(s.in_force(reported).map(|t| t.body.name.as_str()), name, "reported at {reported}");
            }
            assert_eq!(s.table(at("2026-01-05", 12, 0)), &Table::WEBCARE);
            match &seen {
                None => seen = Some(s),
                Some(first) => assert_eq!(first, &s, "the same schedule in any order"),
            }
        }
    }
    // Adding C's decision later changes nothing for a case reported in July.
    let before = schedule(&tables, &decisions[..2], &closed);
    let after = schedule(&tables, &decisions, &closed);
    let july = at("2026-07-01", 9, 0);
    assert_eq!(before.in_force(july).map(|t| t.id), after.in_force(july).map(|t| t.id));
}

#[test]
fn midnight_in_stockholm_follows_summer_time() {
    let winter = stockholm_midnight_ms(Date::parse("2026-01-15").expect("a day"));
    let summer = stockholm_midnight_ms(Date::parse("2026-07-15").expect("a day"));
    assert_eq!(stockholm_offset_ms(winter), HOUR);
    assert_eq!((winter + HOUR).rem_euclid(24 * HOUR), 0);
    assert_eq!((summer + 2 * HOUR).rem_euclid(24 * HOUR), 0);
}

#[test]
fn webcares_table_encodes_as_documented() {
    let name = "WebCare, applikationsförvaltning, produktionsmiljö";
    let mut expected = vec![u8::try_from(name.len()).expect("a short name")];
    expected.extend(name.as_bytes());
    expected.push(10);
    expected.extend(b"2027-01-01");
    // high: Some {60, 30, 600, Business}; medium: Some {480, 30, 1440, Business}: zigzag varints.
    expected.extend([0x01, 0x78, 0x3c, 0xb0, 0x09, 0x00]);
    expected.extend([0x01, 0xc0, 0x07, 0x3c, 0xc0, 0x16, 0x00]);
    // low: None; replaces: None.
    expected.extend([0x00, 0x00]);
    assert_eq!(SlaTable::webcare("2027-01-01").to_bytes(), expected);
}
