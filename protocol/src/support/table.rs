//! The federation's SLA table as a record (kind 53), its rules, and which table a case's clocks
//! use (`docs/support.md` §8). The host's förvaltare drafts a table; it is in force once a
//! styrgrupp matter naming it as its `subject` is finally closed as adopted — the plans' rule
//! ([`crate::plan::adoption`]) — and from its `from` day. A case's clocks use the table in force
//! when the case was reported, so a later decision never changes an earlier case's clocks; with
//! none in force, [`Table::WEBCARE`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calendar::stockholm_midnight_ms;
use super::{one_line, ClockKind, Error, Priority, Table, Target, Violation};
use crate::governance::Date;
use crate::plan::{adoption, fetch, Adoption, Decided};
use crate::record::{Body, Kind, Lookup, RecordId};

/// Longest target, in minutes (a year): a longer one is a typing error, not an agreement.
pub const MAX_TARGET_MIN: i64 = 366 * 24 * 60;

/// The body of an SLA table record (kind 53), by the host's förvaltare. Fields encode in this
/// order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTable {
    /// What the table is, one line (e.g. `WebCare, applikationsförvaltning, produktionsmiljö`).
    pub name: String,
    /// The first day it may apply to, `YYYY-MM-DD` (a Stockholm day): a case reported before
    /// its start never uses it.
    pub from: String,
    /// The targets for kritisk/hög, or none (no clocks).
    pub high: Option<Target>,
    /// The targets for medel, or none.
    pub medium: Option<Target>,
    /// The targets for låg, or none.
    pub low: Option<Target>,
    /// The table this one replaces, if any: a held SLA table whose `from` is not later.
    pub replaces: Option<RecordId>,
}

impl Body for SlaTable {
    const KIND: Kind = Kind::SlaTable;
}

impl SlaTable {
    /// WebCare's table ([`Table::WEBCARE`]) as a body, applying from `from`.
    pub fn webcare(from: &str) -> SlaTable {
        let t = Table::WEBCARE;
        SlaTable {
            name: t.name.into_owned(),
            from: from.into(),
            high: t.high,
            medium: t.medium,
            low: t.low,
            replaces: None,
        }
    }

    /// The targets per priority, named by the table's name.
    pub fn table(&self) -> Table {
        Table { name: self.name.clone().into(), high: self.high, medium: self.medium, low: self.low }
    }

    fn rows(&self) -> [(Priority, Option<Target>); 3] {
        [(Priority::High, self.high), (Priority::Medium, self.medium), (Priority::Low, self.low)]
    }
}

/// Checks an SLA table body by `docs/support.md` §8, in order.
pub(super) fn check(t: &SlaTable, lookup: &dyn Lookup) -> Result<(), Error> {
    let from = check_alone(t)?;
    if let Some(id) = t.replaces {
        let (_, replaced) = fetch::<SlaTable>(lookup, &id)?;
        let replaced_from =
            Date::parse(&replaced.from).map_err(|_| crate::plan::Violation::UnreadableReference { id })?;
        if replaced_from > from {
            return Err(Violation::FromBeforeReplaced { replaced: id }.into());
        }
    }
    Ok(())
}

/// Checks the rules of `docs/support.md` §8 that a table body can be checked by alone (all but
/// `replaces`): what `samverka support table` runs before anything is signed. Returns the `from`
/// day.
pub fn check_alone(t: &SlaTable) -> Result<Date, Violation> {
    one_line("name", &t.name)?;
    let from = Date::parse(&t.from).map_err(|_| crate::plan::Violation::BadDate { field: "from" })?;
    if t.rows().iter().all(|(_, target)| target.is_none()) {
        return Err(Violation::EmptySlaTable);
    }
    for (priority, target) in t.rows() {
        let Some(target) = target else { continue };
        let clocks = [
            (ClockKind::Start, target.start_min),
            (ClockKind::Inform, target.inform_min),
            (ClockKind::Downtime, target.downtime_min),
        ];
        for (clock, minutes) in clocks {
            if minutes < 1 {
                return Err(Violation::TargetNotPositive { priority, clock, minutes });
            }
            if minutes > MAX_TARGET_MIN {
                return Err(Violation::TargetTooLong { priority, clock, minutes });
            }
        }
        for (clock, minutes) in [(ClockKind::Start, target.start_min), (ClockKind::Inform, target.inform_min)] {
            if minutes > target.downtime_min {
                return Err(Violation::TargetBeyondDowntime { priority, clock });
            }
        }
    }
    Ok(from)
}

/// An SLA table held, with whether and since when it is in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableState {
    /// The table record's id.
    pub id: RecordId,
    /// Its body.
    pub body: SlaTable,
    /// Whether a decision adopted it ([`crate::plan::adoption`]).
    pub adoption: Adoption,
    /// When it came into force: the later of 00:00 Stockholm time on its `from` day and the
    /// claimed time of the closing that adopted it. `None` while not adopted (or when the
    /// adopting closing's time is not known).
    pub since_ms: Option<i64>,
    /// The targets as the clocks read them.
    pub table: Table,
}

/// Every SLA table held with its adoption, and which applies to a case: a pure function of the
/// records, the same for any order of arrival ([`schedule`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Every table held, by `from` day then record id.
    tables: Vec<TableState>,
}

static DEFAULT: Table = Table::WEBCARE;

/// Builds the schedule from the SLA tables held (record id and body, in any order), the
/// matters held with their settlements, and the claimed time of each closing record held
/// (`closed_ms`, closing id → claimed time).
pub fn schedule(tables: &[(RecordId, SlaTable)], decided: &[Decided], closed_ms: &BTreeMap<RecordId, i64>) -> Schedule {
    let mut states: Vec<TableState> = tables
        .iter()
        .map(|(id, body)| {
            let adoption = adoption(id, decided);
            let since_ms = match (&adoption, Date::parse(&body.from)) {
                (Adoption::Adopted { closing, .. }, Ok(from)) => {
                    closed_ms.get(closing).map(|closed| (*closed).max(stockholm_midnight_ms(from)))
                }
                _ => None,
            };
            TableState { id: *id, body: body.clone(), adoption, since_ms, table: body.table() }
        })
        .collect();
    states.sort_by(|a, b| (&a.body.from, a.id).cmp(&(&b.body.from, b.id)));
    states.dedup_by_key(|s| s.id);
    Schedule { tables: states }
}

impl Schedule {
    /// Every table held, by `from` day then record id.
    pub fn tables(&self) -> &[TableState] {
        &self.tables
    }

    /// The table in force at `at_ms`: of the adopted tables whose `since_ms` is not after it,
    /// the one that came into force last (then the highest record id). `None`: the default,
    /// [`Table::WEBCARE`].
    pub fn in_force(&self, at_ms: i64) -> Option<&TableState> {
        self.tables.iter().filter(|s| s.since_ms.is_some_and(|since| since <= at_ms)).max_by_key(|s| (s.since_ms, s.id))
    }

    /// The targets a case reported at `reported_ms` is clocked by: the table in force then, or
    /// [`Table::WEBCARE`].
    pub fn table(&self, reported_ms: i64) -> &Table {
        self.in_force(reported_ms).map_or(&DEFAULT, |s| &s.table)
    }
}
