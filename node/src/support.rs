//! Node-side support cases: each case held with its history, state and SLA clocks, the inbox of
//! each line (line 1: a member's cases; line 2: the cases with the förvaltningsgrupp or the
//! vendor), and the breaches summed per member, category and month — computed from the store
//! with the pure rules of `samverka_protocol::support` (`docs/support.md`). The API, the CLI and
//! the pages call these; no handler holds a rule.
//!
//! Each case is clocked by the SLA table in force when it was reported ([`tables`]: the tables
//! the styrgrupp adopted, `samverka_protocol::support::Schedule`; WebCare's when none is).
//!
//! The instant the clocks are read at is the caller's ([`now_ms`], the node's clock): a display,
//! never a validity check. The cases' histories are a view ([`crate::read::views`]): computed
//! from the two support kinds held in the read model, again only once a support record has been
//! stored; the clocks are read from them at each request's instant.

pub mod pages;

use std::collections::BTreeMap;
use std::sync::Arc;

use samverka_protocol::governance::Settlement;
use samverka_protocol::support::{self, Breach, BreachKey, Clock, History, Reading, Schedule, SlaTable, SupportEvent};
use samverka_protocol::{Body, Kind, MemberId, Record, RecordId, RosterChain, Verified};

use crate::governance::{member_name, scan, scan_bodies, Error};
use crate::storage::Store;

/// Which cases to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbox {
    /// Every case held.
    All,
    /// Line 1: the cases raised for this member.
    Member(MemberId),
    /// Line 2: the cases escalated to the förvaltningsgrupp and not yet resolved or closed.
    Forvaltning,
}

impl Inbox {
    fn holds(&self, h: &History) -> bool {
        match self {
            Inbox::All => true,
            Inbox::Member(m) => h.member() == m,
            Inbox::Forvaltning => h.state.stage.is_with_forvaltning(),
        }
    }
}

/// A case as the API, the CLI and the pages show it.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case with its steps and state, shared with the histories view (a list of every case
    /// copies none of them).
    pub history: Arc<History>,
    /// The name of the case's member.
    pub member_name: String,
    /// The SLA clocks, each read at the instant asked about.
    pub clocks: Vec<(Clock, Reading)>,
    /// The SLA table the clocks use: the adopted table record in force when the case was
    /// reported, or `None` for the default (WebCare's).
    pub table: Option<RecordId>,
    /// That table's name.
    pub table_name: String,
}

impl Case {
    fn of(history: Arc<History>, chain: &RosterChain, tables: &Schedule, now_ms: i64) -> Case {
        let in_force = tables.in_force(history.reported_ms);
        let table = tables.table(history.reported_ms);
        let clocks = history
            .clocks(table)
            .into_iter()
            .map(|c| {
                let r = c.read(now_ms);
                (c, r)
            })
            .collect();
        Case {
            member_name: member_name(chain, history.member()),
            history,
            clocks,
            table: in_force.map(|t| t.id),
            table_name: table.name.to_string(),
        }
    }

    /// Whether any clock is breached.
    pub fn breached(&self) -> bool {
        self.clocks.iter().any(|(_, r)| r.breached)
    }

    /// The earliest deadline of a clock still running, for ordering an inbox.
    pub fn next_deadline(&self) -> Option<i64> {
        self.clocks.iter().filter(|(_, r)| !r.stopped && !r.paused).filter_map(|(_, r)| r.deadline_ms).min()
    }
}

/// The node's clock, for reading SLA clocks (never for validity).
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Every SLA table held with its adoption, and which is in force when: from the tables, the
/// matters naming them and the closings' claimed times (`docs/support.md` §8). A view
/// ([`crate::read::views`]) over those three kinds.
pub fn tables(store: &Store) -> Result<Arc<Schedule>, Error> {
    store.read_model().view(&[Kind::SlaTable, Kind::Matter, Kind::BallotClose], &[], || {
        let held: Vec<(RecordId, SlaTable)> =
            scan_bodies::<SlaTable>(store)?.into_iter().map(|t| (t.id(), t.body)).collect();
        if held.is_empty() {
            return Ok(Schedule::default());
        }
        let decided = crate::plan::decided(store)?;
        let mut closed_ms = BTreeMap::new();
        for d in &decided.0 {
            if let Settlement::Closed { closing, .. } = d.settlement {
                if let Some(record) = store.get(&closing)? {
                    closed_ms.insert(closing, record.header().time_ms);
                }
            }
        }
        Ok(support::schedule(&held, &decided.0, &closed_ms))
    })
}

/// Every case held with its events, as histories: a view ([`crate::read::views`]).
struct Histories(Vec<Arc<History>>);

/// Every case held with its events, as histories; events grouped by the case they name.
fn histories(store: &Store) -> Result<Arc<Histories>, Error> {
    store.read_model().view(&[Kind::SupportCase, Kind::SupportEvent], &[], || {
        let cases = scan(store, Kind::SupportCase)?;
        let mut events: BTreeMap<RecordId, Vec<Record<Verified>>> = BTreeMap::new();
        for e in scan(store, Kind::SupportEvent)? {
            if let Some(body) = e.body().and_then(|b| SupportEvent::from_bytes(b).ok()) {
                events.entry(body.case).or_default().push(e);
            }
        }
        let of = |c: &Record<Verified>| support::history(c, events.get(&c.id()).map_or(&[][..], Vec::as_slice));
        Ok(Histories(cases.iter().filter_map(of).map(Arc::new).collect()))
    })
}

/// The cases in `inbox`, read at `now_ms`: the earliest running deadline first, then the
/// newest report.
pub fn cases(store: &Store, chain: &RosterChain, inbox: &Inbox, now_ms: i64) -> Result<Vec<Case>, Error> {
    let tables = tables(store)?;
    let mut list: Vec<Case> = histories(store)?
        .0
        .iter()
        .filter(|h| inbox.holds(h))
        .map(|h| Case::of(h.clone(), chain, &tables, now_ms))
        .collect();
    list.sort_by_key(|c| (c.next_deadline().is_none(), c.next_deadline(), std::cmp::Reverse(c.history.reported_ms)));
    Ok(list)
}

/// The case `id`, read at `now_ms`, if held.
pub fn case(store: &Store, chain: &RosterChain, id: &RecordId, now_ms: i64) -> Result<Option<Case>, Error> {
    let tables = tables(store)?;
    Ok(histories(store)?.0.iter().find(|h| h.id == *id).map(|h| Case::of(h.clone(), chain, &tables, now_ms)))
}

/// Cases and breaches at `now_ms`, per member, category and month.
pub fn breaches(store: &Store, now_ms: i64) -> Result<BTreeMap<BreachKey, Breach>, Error> {
    Ok(support::breaches(histories(store)?.0.iter().map(|h| &**h), &*tables(store)?, now_ms))
}

/// A claimed time in Stockholm, `YYYY-MM-DD HH:MM`, as the CLI and the pages show it.
pub fn stockholm_time(time_ms: i64) -> String {
    let local = support::Local::of(time_ms);
    format!("{} {:02}:{:02}", local.date, local.minute / 60, local.minute % 60)
}

/// A span of counted time in words: `2 h 30 min`, `45 min`.
pub fn span(ms: i64) -> String {
    let minutes = ms.unsigned_abs() / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A refused support text in Swedish, for the form or the CLI that refuses it before anything is
/// signed: which field, and what to do.
pub fn refusal(v: &support::Violation) -> String {
    use support::Violation as V;
    let field = |f: &str| match f {
        "category" => "Kategori",
        "title" => "Rubrik",
        "description" => "Beskrivning",
        "reference" => "Leverantörens referens",
        _ => "Text",
    };
    match v {
        V::PersonalIdentityNumber { field: f, at } => format!(
            "Fältet {} innehåller ett personnummer eller samordningsnummer (vid tecken {}). Ta bort det: ett supportärende får aldrig innehålla personuppgifter om en klient. Inget har signerats.",
            field(f),
            at + 1
        ),
        V::TextTooLong { field: f, .. } => {
            format!("Fältet {} är för långt (högst {} byte). Korta texten.", field(f), support::MAX_MESSAGE_BYTES)
        }
        V::EmptyText { .. } => "Skriv en text: den behövs för det här steget.".into(),
        V::Field(samverka_protocol::plan::Violation::Empty { field: f }) => format!("Fyll i fältet {}.", field(f)),
        V::Field(samverka_protocol::plan::Violation::NotOneLine { field: f }) => {
            format!("Fältet {} ska vara en enda rad.", field(f))
        }
        other => other.to_string(),
    }
}
