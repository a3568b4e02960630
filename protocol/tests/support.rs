//! Support cases (`docs/support.md`): one refused case per rule with the exact rejection, the
//! full transition table, the business-hours calendar (weekends, holidays, summer time), the SLA
//! clocks with pauses, breaches summed per member, category and month, and the same history
//! whatever order the records arrive in.

use proptest::prelude::*;
use samverka_protocol::governance::Date;
use samverka_protocol::plan::Violation as FieldViolation;
use samverka_protocol::support::{
    breaches, business_ms, easter_sunday, history, holidays, is_business_day, stockholm_offset_ms, Action, ClockKind,
    Holiday, Line, Priority, Schedule, Stage, State, SupportCase, SupportEvent, Table, Violation, MAX_STATE_EVENTS,
};
use samverka_protocol::testkit::{self, Author, Federation, Held};
use samverka_protocol::validate::verify_in;
use samverka_protocol::{Body, Draft, Kind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const MEMBER: &str = "1001";
const OTHER: &str = "1002";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// A personnummer with a valid check digit (the Tax Agency's example).
const PNR: &str = "811218-9876";

/// Three kommuner, 1000 the host. 1001 and 1002 each have an objektspecialist; the host has a
/// förvaltare (line 2); 1001 also has a förvaltare, who is not line 2.
struct World {
    fed: Federation,
    line1: Author,
    other1: Author,
    line2: Author,
    local_forvaltare: Author,
    held: Held,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Support", &testkit::kommuner(3), HOST);
        let line1 = fed.certify_person(MEMBER, "support/1001/os", &[Role::Objektspecialist]);
        let other1 = fed.certify_person(OTHER, "support/1002/os", &[Role::Objektspecialist]);
        let line2 = fed.certify_person(HOST, "support/host/forvaltare", &[Role::Forvaltare]);
        let local_forvaltare = fed.certify_person(MEMBER, "support/1001/forvaltare", &[Role::Forvaltare]);
        World { fed, line1, other1, line2, local_forvaltare, held: Held::default() }
    }

    /// Signs `who`'s next record claiming `time_ms` and judges it against the held records.
    fn sign(&self, who: &mut Author, kind: Kind, body: Vec<u8>, time_ms: i64) -> Record<samverka_protocol::Unverified> {
        let draft =
            Draft::new(self.fed.id(), who.key.public(), who.seq, who.prev, self.fed.version(), kind, body, time_ms);
        let record = draft.sign(&who.key);
        who.seq += 1;
        who.prev = Some(record.id());
        record
    }

    fn submit(&mut self, who: Who, kind: Kind, body: Vec<u8>, time_ms: i64) -> Result<Record<Verified>, Rejection> {
        let mut author = self.author(who).clone();
        let before = author.clone();
        let record = self.sign(&mut author, kind, body, time_ms);
        let verdict = verify_in(record, &self.fed.chain, &self.held);
        *self.author_mut(who) = if verdict.is_ok() { author } else { before };
        let verified = verdict?;
        self.held.0.insert(verified.id(), verified.clone());
        Ok(verified)
    }

    fn author(&self, who: Who) -> &Author {
        match who {
            Who::Line1 => &self.line1,
            Who::Other1 => &self.other1,
            Who::Line2 => &self.line2,
            Who::LocalForvaltare => &self.local_forvaltare,
        }
    }

    fn author_mut(&mut self, who: Who) -> &mut Author {
        match who {
            Who::Line1 => &mut self.line1,
            Who::Other1 => &mut self.other1,
            Who::Line2 => &mut self.line2,
            Who::LocalForvaltare => &mut self.local_forvaltare,
        }
    }

    fn open(&mut self, c: &SupportCase, time_ms: i64) -> Result<Record<Verified>, Rejection> {
        self.submit(Who::Line1, Kind::SupportCase, c.to_bytes(), time_ms)
    }

    fn event(&mut self, who: Who, e: &SupportEvent, time_ms: i64) -> Result<Record<Verified>, Rejection> {
        self.submit(who, Kind::SupportEvent, e.to_bytes(), time_ms)
    }

    /// Takes `action` by `who` after `after` on `case`, with a text.
    fn step(&mut self, who: Who, case: RecordId, after: RecordId, action: Action, time_ms: i64) -> Record<Verified> {
        let name = action.name();
        self.event(who, &ev(case, after, action), time_ms).unwrap_or_else(|r| panic!("{name} refused: {r}"))
    }

    fn events(&self, case: RecordId) -> Vec<Record<Verified>> {
        self.held.0.values().filter(|r| r.header().kind == Kind::SupportEvent && r.id() != case).cloned().collect()
    }
}

#[derive(Clone, Copy)]
enum Who {
    Line1,
    Other1,
    Line2,
    LocalForvaltare,
}

/// The UTC instant of a Stockholm wall-clock time (`date`, hour, minute), summer time or not.
fn at(date: &str, hour: i64, minute: i64) -> i64 {
    let local = Date::parse(date).expect("a test date").days() * 24 * HOUR + hour * HOUR + minute * MINUTE;
    local - stockholm_offset_ms(local - HOUR)
}

fn case(priority: Priority) -> SupportCase {
    SupportCase {
        member: MEMBER.into(),
        category: "Inloggning".into(),
        priority,
        title: "Ingen kan logga in i WebCare".into(),
        description: "Sedan 16.15 får alla användare felet 'okänd användare'.".into(),
    }
}

fn ev(case: RecordId, after: RecordId, action: Action) -> SupportEvent {
    SupportEvent { case, after, action, text: "Vi undersöker.".into() }
}

fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Support { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

const MONDAY: &str = "2026-11-30";

/// A medel case opened and escalated on Monday 10:00.
fn escalated(w: &mut World) -> (RecordId, RecordId) {
    let c = w.open(&case(Priority::Medium), at(MONDAY, 10, 0)).expect("a valid case").id();
    let e = w.step(Who::Line1, c, c, Action::Escalate, at(MONDAY, 10, 0)).id();
    (c, e)
}

// ---- the case: fields, personal identity numbers, the member ----

#[test]
fn accepts_a_case_by_the_members_objektspecialist() {
    let mut w = World::new();
    assert!(w.open(&case(Priority::High), at(MONDAY, 9, 0)).is_ok());
}

#[test]
fn refuses_a_personnummer_in_every_free_text_field_of_a_case() {
    type Field = fn(&mut SupportCase) -> &mut String;
    let fields: [(&str, Field); 3] =
        [("category", |c| &mut c.category), ("title", |c| &mut c.title), ("description", |c| &mut c.description)];
    for (field, get) in fields {
        let mut w = World::new();
        let mut c = case(Priority::Medium);
        *get(&mut c) = format!("Gäller {PNR}");
        refused(w.open(&c, at(MONDAY, 9, 0)), Kind::SupportCase, Violation::PersonalIdentityNumber { field, at: 7 });
    }
}

#[test]
fn refuses_a_samordningsnummer_in_a_description() {
    let mut w = World::new();
    let c = SupportCase { description: "701063-2391".into(), ..case(Priority::Low) };
    refused(
        w.open(&c, at(MONDAY, 9, 0)),
        Kind::SupportCase,
        Violation::PersonalIdentityNumber { field: "description", at: 0 },
    );
}

#[test]
fn accepts_a_number_that_is_no_personnummer() {
    let mut w = World::new();
    let c = SupportCase { description: "Fakturanummer 811218-9875 ger fel.".into(), ..case(Priority::Low) };
    assert!(w.open(&c, at(MONDAY, 9, 0)).is_ok());
}

#[test]
fn refuses_a_blank_title_and_an_overlong_description() {
    let mut w = World::new();
    let c = SupportCase { title: " ".into(), ..case(Priority::Low) };
    refused(
        w.open(&c, at(MONDAY, 9, 0)),
        Kind::SupportCase,
        Violation::Field(FieldViolation::Empty { field: "title" }),
    );
    let long = "a".repeat(samverka_protocol::support::MAX_MESSAGE_BYTES + 1);
    let c = SupportCase { description: long, ..case(Priority::Low) };
    refused(
        w.open(&c, at(MONDAY, 9, 0)),
        Kind::SupportCase,
        Violation::TextTooLong { field: "description", len: samverka_protocol::support::MAX_MESSAGE_BYTES + 1 },
    );
}

#[test]
fn refuses_a_case_raised_for_another_member() {
    let mut w = World::new();
    let c = SupportCase { member: OTHER.into(), ..case(Priority::Low) };
    refused(
        w.open(&c, at(MONDAY, 9, 0)),
        Kind::SupportCase,
        Violation::NotAuthorsMember { named: OTHER.into(), author: MEMBER.into() },
    );
}

#[test]
fn only_an_objektspecialist_raises_a_case() {
    let mut w = World::new();
    let r = w.submit(Who::Line2, Kind::SupportCase, case(Priority::Low).to_bytes(), at(MONDAY, 9, 0));
    assert!(matches!(r, Err(Rejection::NotAuthorised { kind: Kind::SupportCase, .. })), "{r:?}");
}

// ---- events: chain, lines, texts ----

#[test]
fn an_event_waits_for_its_case() {
    let mut w = World::new();
    let missing = RecordId::ZERO;
    let r = w.event(Who::Line1, &ev(missing, missing, Action::Escalate), at(MONDAY, 9, 0));
    assert_eq!(r.err(), Some(Rejection::MissingDependency { id: missing }));
}

#[test]
fn refuses_a_personnummer_in_an_event_text_and_a_vendor_reference() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    let started = w.step(Who::Line2, c, e, Action::Start, at(MONDAY, 11, 0)).id();
    let mut message = ev(c, started, Action::Message);
    message.text = format!("Se {PNR}");
    refused(
        w.event(Who::Line1, &message, at(MONDAY, 12, 0)),
        Kind::SupportEvent,
        Violation::PersonalIdentityNumber { field: "text", at: 3 },
    );
    let vendor = ev(c, started, Action::Vendor { reference: format!("CGM {PNR}") });
    refused(
        w.event(Who::Line2, &vendor, at(MONDAY, 12, 0)),
        Kind::SupportEvent,
        Violation::PersonalIdentityNumber { field: "reference", at: 4 },
    );
}

#[test]
fn refuses_a_message_pause_or_information_without_text() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    for (who, action) in [(Who::Line1, Action::Message), (Who::Line2, Action::Pause), (Who::Line2, Action::Inform)] {
        let name = action.name();
        let blank = SupportEvent { text: "  ".into(), ..ev(c, e, action) };
        refused(w.event(who, &blank, at(MONDAY, 11, 0)), Kind::SupportEvent, Violation::EmptyText { action: name });
    }
}

#[test]
fn refuses_an_event_following_another_cases_event() {
    let mut w = World::new();
    let (c1, _) = escalated(&mut w);
    let (_, e2) = escalated(&mut w);
    refused(
        w.event(Who::Line2, &ev(c1, e2, Action::Start), at(MONDAY, 11, 0)),
        Kind::SupportEvent,
        Violation::OtherCase { after: e2 },
    );
}

#[test]
fn refuses_an_event_following_a_note() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    let note = w.step(Who::Line2, c, e, Action::Message, at(MONDAY, 10, 30)).id();
    refused(
        w.event(Who::Line2, &ev(c, note, Action::Start), at(MONDAY, 11, 0)),
        Kind::SupportEvent,
        Violation::FollowsNote { after: note },
    );
}

#[test]
fn refuses_an_event_claiming_a_time_before_the_one_it_follows() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    refused(
        w.event(Who::Line2, &ev(c, e, Action::Start), at(MONDAY, 9, 59)),
        Kind::SupportEvent,
        Violation::TimeBeforePredecessor,
    );
    assert!(w.event(Who::Line2, &ev(c, e, Action::Start), at(MONDAY, 10, 0)).is_ok(), "the same instant is allowed");
}

#[test]
fn refuses_a_step_beyond_the_longest_chain() {
    let mut w = World::new();
    let (c, mut last) = escalated(&mut w);
    let mut t = at(MONDAY, 10, 0);
    for i in 1..MAX_STATE_EVENTS {
        let action = if i % 2 == 1 { Action::Pause } else { Action::Resume };
        t += MINUTE;
        last = w.step(Who::Line2, c, last, action, t).id();
    }
    let next = if MAX_STATE_EVENTS % 2 == 1 { Action::Pause } else { Action::Resume };
    refused(w.event(Who::Line2, &ev(c, last, next), t + MINUTE), Kind::SupportEvent, Violation::TooManyEvents);
}

#[test]
fn refuses_a_step_by_the_wrong_line() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    // Line 1 of another member, and a förvaltare who is not the host's: neither is line 2.
    refused(
        w.event(Who::Other1, &ev(c, e, Action::Message), at(MONDAY, 11, 0)),
        Kind::SupportEvent,
        Violation::WrongLine { action: "message", line_two: false },
    );
    refused(
        w.event(Who::Line1, &ev(c, e, Action::Start), at(MONDAY, 11, 0)),
        Kind::SupportEvent,
        Violation::WrongLine { action: "start", line_two: true },
    );
    let r = w.event(Who::LocalForvaltare, &ev(c, e, Action::Start), at(MONDAY, 11, 0));
    assert!(matches!(r, Err(Rejection::NotAuthorised { kind: Kind::SupportEvent, .. })), "{r:?}");
    let c2 = w.open(&case(Priority::Low), at(MONDAY, 11, 0)).expect("a case").id();
    refused(
        w.event(Who::Line2, &ev(c2, c2, Action::Escalate), at(MONDAY, 11, 0)),
        Kind::SupportEvent,
        Violation::WrongLine { action: "escalate", line_two: false },
    );
}

#[test]
fn refuses_a_step_not_allowed_in_the_state() {
    let mut w = World::new();
    let c = w.open(&case(Priority::Low), at(MONDAY, 9, 0)).expect("a case").id();
    refused(
        w.event(Who::Line2, &ev(c, c, Action::Start), at(MONDAY, 9, 0)),
        Kind::SupportEvent,
        Violation::NotAllowedInState { action: "start", stage: Stage::Registered, paused: false },
    );
    let e = w.step(Who::Line1, c, c, Action::Escalate, at(MONDAY, 9, 0)).id();
    let p = w.step(Who::Line2, c, e, Action::Pause, at(MONDAY, 9, 5)).id();
    refused(
        w.event(Who::Line2, &ev(c, p, Action::Start), at(MONDAY, 9, 10)),
        Kind::SupportEvent,
        Violation::NotAllowedInState { action: "start", stage: Stage::Escalated, paused: true },
    );
}

/// Every step from every state: allowed or not, to which state, by which lines
/// (`docs/support.md` §4).
#[test]
fn the_transition_table() {
    use Stage::*;
    let vendor = || Action::Vendor { reference: "CGM-1".into() };
    let states: Vec<State> = [Registered, Escalated, Started, Vendor, Resolved, Closed]
        .into_iter()
        .flat_map(|stage| [State { stage, paused: false }, State { stage, paused: true }])
        .filter(|s| !s.paused || s.stage.is_with_forvaltning())
        .collect();
    let actions = [
        Action::Escalate,
        Action::Start,
        vendor(),
        Action::Message,
        Action::Inform,
        Action::Pause,
        Action::Resume,
        Action::Resolve,
        Action::Close,
    ];
    let run = |stage| Some(State { stage, paused: false });
    for s in &states {
        for a in &actions {
            let with_two = s.stage.is_with_forvaltning();
            let expected = match a {
                Action::Escalate if s.stage == Registered => run(Escalated),
                Action::Start if s.stage == Escalated && !s.paused => run(Started),
                Action::Vendor { .. } if s.stage == Started && !s.paused => run(Vendor),
                Action::Message if s.stage != Closed => Some(*s),
                Action::Inform if with_two => Some(*s),
                Action::Pause if with_two && !s.paused => Some(State { paused: true, ..*s }),
                Action::Resume if s.paused => Some(State { paused: false, ..*s }),
                Action::Resolve if s.stage == Registered || with_two => run(Resolved),
                Action::Close if s.stage == Resolved => run(Closed),
                _ => None,
            };
            assert_eq!(s.after(a), expected, "{} from {s:?}", a.name());
            let lines = s.lines(a);
            let expected_lines: &[Line] = match a {
                Action::Escalate | Action::Close => &[Line::One],
                Action::Resolve if s.stage == Registered => &[Line::One],
                Action::Message | Action::Resume => &[Line::One, Line::Two],
                _ => &[Line::Two],
            };
            assert_eq!(lines, expected_lines, "{} from {s:?}", a.name());
        }
    }
}

#[test]
fn a_case_runs_from_escalation_to_closed() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    let s = w.step(Who::Line2, c, e, Action::Start, at(MONDAY, 10, 30)).id();
    w.step(Who::Line2, c, s, Action::Inform, at(MONDAY, 10, 30));
    let v = w.step(Who::Line2, c, s, Action::Vendor { reference: "CGM-4711".into() }, at(MONDAY, 11, 0)).id();
    let p = w.step(Who::Line2, c, v, Action::Pause, at(MONDAY, 12, 0)).id();
    w.step(Who::Line1, c, p, Action::Message, at(MONDAY, 12, 30));
    let r = w.step(Who::Line1, c, p, Action::Resume, at(MONDAY, 13, 0)).id();
    let d = w.step(Who::Line2, c, r, Action::Resolve, at(MONDAY, 15, 0)).id();
    w.step(Who::Line1, c, d, Action::Close, at(MONDAY, 16, 0));
    let case_record = w.held.0[&c].clone();
    let h = history(&case_record, &w.events(c)).expect("a readable case");
    assert_eq!(h.state, State { stage: Stage::Closed, paused: false });
    assert_eq!(h.vendor_reference.as_deref(), Some("CGM-4711"));
    assert_eq!(h.pauses, vec![(at(MONDAY, 12, 0), Some(at(MONDAY, 13, 0)))]);
    assert_eq!(h.steps.len(), 9);
    assert!(h.steps.iter().all(|s| s.counted));
    assert!(h.breached(&Table::WEBCARE, at(MONDAY, 17, 0)).is_empty());
}

// ---- the calendar ----

fn day(s: &str) -> i64 {
    Date::parse(s).expect("a test date").days()
}

#[test]
fn easter_by_the_computus() {
    for (year, easter) in [
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
    ] {
        assert_eq!(easter_sunday(year), day(easter), "{year}");
    }
}

#[test]
fn swedish_holidays_of_2026() {
    let expected = [
        ("2026-01-01", Holiday::Nyarsdagen),
        ("2026-01-06", Holiday::Trettondedagen),
        ("2026-04-03", Holiday::Langfredagen),
        ("2026-04-05", Holiday::Paskdagen),
        ("2026-04-06", Holiday::AnnandagPask),
        ("2026-05-01", Holiday::ForstaMaj),
        ("2026-05-14", Holiday::KristiHimmelsfard),
        ("2026-06-06", Holiday::Nationaldagen),
        ("2026-06-19", Holiday::Midsommarafton),
        ("2026-06-20", Holiday::Midsommardagen),
        ("2026-10-31", Holiday::AllaHelgonsDag),
        ("2026-12-24", Holiday::Julafton),
        ("2026-12-25", Holiday::Juldagen),
        ("2026-12-26", Holiday::AnnandagJul),
        ("2026-12-31", Holiday::Nyarsafton),
    ];
    let got = holidays(2026);
    assert_eq!(got, expected.iter().map(|(d, h)| (day(d), *h)).collect::<Vec<_>>());
    assert!(!is_business_day(day("2026-06-19")), "midsommarafton is not a working day");
    assert!(is_business_day(day("2026-06-18")));
    assert!(!is_business_day(day("2026-11-28")), "a Saturday");
    assert_eq!(
        holidays(2025).iter().find(|(_, h)| *h == Holiday::AllaHelgonsDag).map(|d| d.0),
        Some(day("2025-11-01"))
    );
}

#[test]
fn stockholm_switches_to_summer_time_at_one_utc_on_the_last_sunday_of_march_and_october() {
    let switch = day("2026-03-29") * 24 * HOUR + HOUR;
    assert_eq!(stockholm_offset_ms(switch - 1), HOUR);
    assert_eq!(stockholm_offset_ms(switch), 2 * HOUR);
    let back = day("2026-10-25") * 24 * HOUR + HOUR;
    assert_eq!(stockholm_offset_ms(back - 1), 2 * HOUR);
    assert_eq!(stockholm_offset_ms(back), HOUR);
}

#[test]
fn business_time_skips_nights_weekends_and_holidays() {
    assert_eq!(business_ms(at("2026-11-27", 16, 30), at("2026-11-30", 8, 30)), HOUR);
    assert_eq!(business_ms(at("2026-11-27", 18, 0), at("2026-11-30", 7, 0)), 0);
    assert_eq!(business_ms(at("2026-12-23", 8, 0), at("2026-12-28", 8, 0)), 9 * HOUR);
    // Across the switch to summer time: 17:00 CET Friday to 08:00 CEST Monday.
    assert_eq!(business_ms(at("2026-03-27", 16, 0), at("2026-03-30", 9, 0)), 2 * HOUR);
    // 2008: första maj is Kristi himmelsfärds dag too, a Thursday, and counts once.
    assert_eq!(business_ms(at("2008-04-28", 8, 0), at("2008-05-05", 8, 0)), 4 * 9 * HOUR);
}

/// Business time as its definition says it: each local day from the one holding `from` to the one
/// holding `until`, walked one by one, adds its 08:00–17:00 within the interval unless it is a
/// weekend day or holiday.
fn business_ms_walked(from: i64, until: i64) -> i64 {
    const DAY: i64 = 24 * HOUR;
    let local_day = |ms: i64| (ms + stockholm_offset_ms(ms)).div_euclid(DAY);
    let instant = |day: i64, hour: i64| day * DAY + hour * HOUR - stockholm_offset_ms(day * DAY + hour * HOUR);
    if until <= from {
        return 0;
    }
    (local_day(from)..=local_day(until))
        .filter(|d| is_business_day(*d))
        .map(|d| (instant(d, 17).min(until) - instant(d, 8).max(from)).max(0))
        .sum()
}

proptest! {
    /// Counting the whole days between by weeks and holidays gives what walking them gives, over
    /// spans from minutes to years, summer-time switches and holidays that share a day.
    #[test]
    fn business_time_counted_is_business_time_walked(
        from in at("1995-01-01", 0, 0)..at("2095-01-01", 0, 0),
        span in prop_oneof![0..3 * 24 * HOUR, 0..60 * 24 * HOUR, 0..3 * 365 * 24 * HOUR],
    ) {
        prop_assert_eq!(business_ms(from, from + span), business_ms_walked(from, from + span));
    }
}

// ---- SLA clocks ----

/// Opens a case of `priority` escalated at `from`, with the events `then` after it in order.
fn clocks_of(
    priority: Priority,
    from: i64,
    then: &[(Who, Action, i64)],
) -> (World, samverka_protocol::support::History) {
    let mut w = World::new();
    let c = w.open(&case(priority), from).expect("a case").id();
    let mut last = w.step(Who::Line1, c, c, Action::Escalate, from).id();
    for (who, action, time) in then {
        let e = w.step(*who, c, last, action.clone(), *time);
        if action.is_state() {
            last = e.id();
        }
    }
    let h = history(&w.held.0[&c], &w.events(c)).expect("a readable case");
    (w, h)
}

fn start_clock(h: &samverka_protocol::support::History) -> samverka_protocol::support::Clock {
    h.clocks(&Table::WEBCARE).into_iter().find(|c| c.kind == ClockKind::Start).expect("a start clock")
}

#[test]
fn a_medel_case_reported_friday_1630_must_be_started_by_monday_1530() {
    let (_, h) = clocks_of(Priority::Medium, at("2026-11-27", 16, 30), &[]);
    let clock = start_clock(&h);
    let reading = clock.read(at("2026-11-30", 9, 0));
    assert_eq!(reading.deadline_ms, Some(at("2026-11-30", 15, 30)));
    assert_eq!(reading.remaining_ms, 8 * HOUR - 90 * MINUTE);
    assert!(!clock.read(at("2026-11-30", 15, 30)).breached, "on the minute is in time");
    assert!(clock.read(at("2026-11-30", 15, 31)).breached);
}

#[test]
fn the_clock_stands_still_over_easter_and_runs_on_in_summer_time() {
    // Thursday before Easter 2027 16:00 CET; långfredagen, the weekend (and the switch to summer
    // time) and annandag påsk pass; 7 h remain on Tuesday from 08:00 CEST.
    let (_, h) = clocks_of(Priority::Medium, at("2027-03-25", 16, 0), &[]);
    assert_eq!(start_clock(&h).read(at("2027-03-29", 12, 0)).deadline_ms, Some(at("2027-03-30", 15, 0)));
}

#[test]
fn a_pause_stops_the_clock() {
    let monday = |h, m| at(MONDAY, h, m);
    let paused = [(Who::Line2, Action::Pause, monday(10, 30)), (Who::Line1, Action::Resume, monday(14, 0))];
    let (_, h) = clocks_of(Priority::High, monday(10, 0), &paused[..1]);
    let reading = start_clock(&h).read(monday(13, 0));
    assert!(reading.paused);
    assert_eq!(reading.deadline_ms, None, "no deadline while paused");
    assert_eq!(reading.remaining_ms, 30 * MINUTE);
    let (_, h) = clocks_of(Priority::High, monday(10, 0), &paused);
    assert_eq!(start_clock(&h).read(monday(14, 10)).deadline_ms, Some(monday(14, 30)));
    let mut in_time = paused.to_vec();
    in_time.push((Who::Line2, Action::Start, monday(14, 20)));
    let (_, h) = clocks_of(Priority::High, monday(10, 0), &in_time);
    assert!(!start_clock(&h).read(monday(17, 0)).breached);
    let mut late = paused.to_vec();
    late.push((Who::Line2, Action::Start, monday(14, 40)));
    let (_, h) = clocks_of(Priority::High, monday(10, 0), &late);
    let reading = start_clock(&h).read(monday(17, 0));
    assert!(reading.breached && reading.stopped);
    assert_eq!(reading.elapsed_ms, 70 * MINUTE);
}

#[test]
fn a_low_case_has_no_clocks_and_information_stops_its_clock() {
    let (_, h) = clocks_of(Priority::Low, at(MONDAY, 10, 0), &[]);
    assert!(h.clocks(&Table::WEBCARE).is_empty());
    let informed = [(Who::Line2, Action::Inform, at(MONDAY, 10, 20))];
    let (_, h) = clocks_of(Priority::High, at(MONDAY, 10, 0), &informed);
    assert_eq!(h.breached(&Table::WEBCARE, at(MONDAY, 11, 30)), vec![ClockKind::Start]);
    assert_eq!(
        h.breached(&Table::WEBCARE, at("2026-12-01", 12, 0)),
        vec![ClockKind::Start, ClockKind::Downtime],
        "ten business hours later"
    );
}

#[test]
fn breaches_are_summed_per_member_category_and_month() {
    let (_, late) = clocks_of(Priority::High, at(MONDAY, 10, 0), &[]);
    let (_, fine) = clocks_of(Priority::High, at(MONDAY, 10, 0), &[(Who::Line2, Action::Start, at(MONDAY, 10, 30))]);
    let sums = breaches([&late, &fine], &Schedule::default(), at(MONDAY, 12, 0));
    assert_eq!(sums.len(), 1);
    let (key, sum) = sums.iter().next().expect("one key");
    assert_eq!((key.member.as_str(), key.category.as_str(), key.month.as_str()), (MEMBER, "Inloggning", "2026-11"));
    assert_eq!((sum.cases, sum.breached_cases), (2, 2));
    assert_eq!(sum.clocks.get(&ClockKind::Start), Some(&1));
    assert_eq!(sum.clocks.get(&ClockKind::Inform), Some(&2), "neither informed within 30 minutes");
}

// ---- the same history in any order ----

#[test]
fn the_history_is_the_same_whatever_the_order_of_arrival() {
    let mut w = World::new();
    let (c, e) = escalated(&mut w);
    // Two steps from one state: line 2 both starts and pauses from the escalation (say, two
    // förvaltare at once). The earlier (by claimed time, then id) is the main chain.
    let start = w.step(Who::Line2, c, e, Action::Start, at(MONDAY, 10, 20)).id();
    let pause = w.step(Who::Line2, c, e, Action::Pause, at(MONDAY, 10, 10)).id();
    w.step(Who::Line1, c, start, Action::Message, at(MONDAY, 10, 25));
    w.step(Who::Line1, c, pause, Action::Resume, at(MONDAY, 10, 40));
    let case_record = w.held.0[&c].clone();
    let mut events = w.events(c);
    let first = history(&case_record, &events).expect("a readable case");
    assert_eq!(first.state, State { stage: Stage::Escalated, paused: false }, "pause then resume is the main chain");
    assert!(!first.steps.iter().find(|s| s.id == start).expect("the start is shown").counted);
    for seed in 0..20u64 {
        // A small deterministic shuffle (xorshift), so a failing order can be replayed.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for i in (1..events.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            events.swap(i, usize::try_from(x % (i as u64 + 1)).expect("small"));
        }
        assert_eq!(history(&case_record, &events), Some(first.clone()), "seed {seed}");
    }
}
