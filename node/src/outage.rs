//! Node-side outage notices (driftstörningar): each notice held with its state — updates, the
//! all-clear, the expected end — and, for every member of the current roster, its
//! acknowledgement (kvittens) or since when it has been missing, computed from the store with
//! the pure [`samverka_protocol::outage::state`]. The API, the CLI and the pages call these; no
//! handler holds a rule.
//!
//! The notices' reports are a view ([`crate::read::views`]): computed from the two outage kinds
//! held in the read model, again only once an outage record has been stored or the roster has
//! moved (a federation publishes a few notices a month, each acknowledged once per member).

pub mod pages;

use std::sync::Arc;

use samverka_protocol::outage::{state, State, Violation};
use samverka_protocol::plan::Violation as PlanViolation;
use samverka_protocol::{Kind, MemberId, PublicKey, RecordId, RosterChain};

use crate::governance::{member_name, scan, Error};
use crate::read::views;
use crate::storage::Store;

/// One member's acknowledgement of a notice, or its absence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberLine {
    /// The member.
    pub member: MemberId,
    /// Its name.
    pub member_name: String,
    /// Its first acknowledgement: the record, the objektspecialist's key, the claimed time.
    pub acknowledged: Option<(RecordId, PublicKey, i64)>,
}

/// A notice with every member's acknowledgement: what the pages, the API and the CLI show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The notice and its state.
    pub state: State,
    /// Every member of the current roster, acknowledged or not, in member order.
    pub members: Vec<MemberLine>,
}

impl Report {
    /// The members that have not acknowledged: each has lacked the acknowledgement since the
    /// notice's claimed time ([`State::time_ms`]).
    pub fn missing(&self) -> impl Iterator<Item = &MemberLine> {
        self.members.iter().filter(|m| m.acknowledged.is_none())
    }

    /// How many members have acknowledged.
    pub fn acknowledged(&self) -> usize {
        self.members.len() - self.missing().count()
    }

    /// Whether `member` has acknowledged.
    pub fn acknowledged_by(&self, member: &str) -> bool {
        self.members.iter().any(|m| m.member == member && m.acknowledged.is_some())
    }
}

fn report(chain: &RosterChain, state: State) -> Report {
    let members = chain
        .current()
        .members
        .keys()
        .map(|m| MemberLine {
            member: m.clone(),
            member_name: member_name(chain, m),
            acknowledged: state.acknowledgements.get(m).map(|a| (a.id, a.author, a.time_ms)),
        })
        .collect();
    Report { state, members }
}

/// Every notice held: the active ones first, then the cleared; newest claimed time first within
/// each. Shared with the view, not copied: every page's banner reads it.
pub fn outages(store: &Store, chain: &RosterChain) -> Result<Arc<Reports>, Error> {
    reports(store, chain)
}

/// Every notice's report, as [`outages`] orders them: a view ([`crate::read::views`]).
#[derive(Debug)]
pub struct Reports(Vec<Report>);

impl std::ops::Deref for Reports {
    type Target = [Report];

    fn deref(&self) -> &[Report] {
        &self.0
    }
}

fn reports(store: &Store, chain: &RosterChain) -> Result<Arc<Reports>, Error> {
    let kinds = [Kind::OutageNotice, Kind::OutageAck];
    store.read_model().view(&kinds, &[views::roster(chain)], || {
        let mut records = scan(store, Kind::OutageNotice)?;
        records.extend(scan(store, Kind::OutageAck)?);
        let mut out: Vec<Report> = state(&records, chain).into_values().map(|s| report(chain, s)).collect();
        out.sort_by_key(|r| (!r.state.is_active(), std::cmp::Reverse((r.state.time_ms, r.state.id))));
        Ok(Reports(out))
    })
}

/// One notice in full, or `None` when no notice with that id is held.
pub fn outage(store: &Store, chain: &RosterChain, id: &RecordId) -> Result<Option<Report>, Error> {
    Ok(reports(store, chain)?.0.iter().find(|r| r.state.id == *id).cloned())
}

/// A time as people type it in Europe/Stockholm — `2026-11-30 14.30`, `2026-11-30 14:30` or
/// `2026-11-30T14:30` — as ms since the epoch; `None` if it is not one.
pub fn parse_stockholm(text: &str) -> Option<i64> {
    let t = text.trim().replacen(' ', "T", 1).replace('.', ":");
    let civil: jiff::civil::DateTime = t.parse().ok()?;
    Some(civil.in_tz("Europe/Stockholm").ok()?.timestamp().as_millisecond())
}

/// A time in Europe/Stockholm as the pages and the CLI show it: `2026-11-30 14.30`.
pub fn stockholm_time(time_ms: i64) -> String {
    samverka_web::locale::date_time(time_ms)
}

/// Why a notice cannot be signed, in Swedish for the person who wrote it: which field to correct
/// and what to do. A personal identity number is named by field and position, never repeated.
pub fn refusal_in_swedish(v: &Violation) -> String {
    match v {
        Violation::PersonalIdentityNumber { field, at } => format!(
            "Fältet ”{}” innehåller ett personnummer eller samordningsnummer (vid tecken {}). Ta bort det: \
             en driftinformation får aldrig innehålla uppgifter om en enskild person.",
            field_in_swedish(field),
            at + 1
        ),
        Violation::Field(PlanViolation::Empty { field }) => format!("Fyll i fältet ”{}”.", field_in_swedish(field)),
        Violation::Field(PlanViolation::NotOneLine { field }) => {
            format!("Fältet ”{}” ska vara en enda rad.", field_in_swedish(field))
        }
        Violation::Field(PlanViolation::LineTooLong { field, .. }) | Violation::TextTooLong { field, .. } => {
            format!("Fältet ”{}” är för långt; korta det.", field_in_swedish(field))
        }
        Violation::NoAffectedPart => "Ange minst en berörd del.".into(),
        Violation::EndsBeforeStart { .. } => "Beräknat slut ligger före starten; rätta tiderna.".into(),
        other => format!("Driftinformationen kan inte signeras: {other}."),
    }
}

fn field_in_swedish(field: &str) -> &'static str {
    match field {
        "title" => "Rubrik",
        "text" => "Text",
        "affected part" | "affected parts" => "Berörda delar",
        "start" => "Start",
        "expected end" => "Beräknat slut",
        _ => "okänt fält",
    }
}
