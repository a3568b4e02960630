//! Plans (förvaltningsplan, utvecklingsplan, budget), the receipts (kvittenser) members' nodes
//! sign when they store one, the cost key (fördelningsnyckel) and the utfall (actual costs per
//! quarter) as records — the bodies, the
//! rules every node checks, and the pure functions every node computes from them.
//!
//! **Totals are never typed.** A plan body holds lines (goals with person-days and fixed costs,
//! initiatives, budget lines) and the rates to price them; every total is computed by
//! [`totals`]. An imported plan may *claim* totals ([`Claims`]); [`compare`] reports each one that
//! disagrees with its lines. [`diff`] says what changed between two versions, and [`adoption`]
//! whether a version is *fastställd* by a decision. No clock, no I/O; `docs/plans.md` is the
//! normative description.

mod adoption;
mod body;
mod claims;
mod days;
mod diff;
mod key;
mod outcome;
mod receipt;
mod totals;
mod violation;

pub use adoption::{adoption, Adoption, Decided};
pub use body::{Activity, BudgetLine, Effort, Goal, Initiative, Mode, Period, Plan, PlanKind, Sides, Term};
pub use claims::{compare, ActivityClaims, Claims, Disagreement, GoalClaims};
pub use days::Days;
pub use diff::{diff, Change};
pub use key::{CostKey, KeyBasis, KeyEntry};
pub use outcome::{Outcome, OutcomeLine, MAX_OUTCOME_LINES};
pub use receipt::PlanReceipt;
pub use totals::{fte_hundredths, totals, ActivityTotals, GoalTotals, Totals};
pub use violation::{Error, Violation};

use crate::record::{Body, Kind, Lookup, Record, RecordId, Unverified, Verified};
use crate::roster::Roster;

/// Most activities (huvudaktiviteter) in one plan.
pub const MAX_ACTIVITIES: usize = 64;
/// Most goals (delmål) under one activity.
pub const MAX_GOALS: usize = 256;
/// Most initiatives in one utvecklingsplan.
pub const MAX_INITIATIVES: usize = 256;
/// Most lines in one budget.
pub const MAX_BUDGET_LINES: usize = 256;
/// Most person-days on one side of one goal (about 400 full-time years).
pub const MAX_PERSON_DAYS: Days = Days::whole(100_000);
/// Highest day rate, in öre: 1 000 000,00 SEK a person-day.
pub const MAX_DAY_RATE_ORE: u64 = 100_000_000;
/// Largest fixed cost or budget amount on one line, in öre (as [`crate::cost::MAX_AMOUNT_ORE`]).
pub const MAX_LINE_ORE: u64 = crate::cost::MAX_AMOUNT_ORE as u64;
/// Highest priority number a VU goal may carry (1 is the highest priority).
pub const MAX_PRIORITY: u8 = 9;
/// Most working days one full-time equivalent may stand for.
pub const MAX_DAYS_PER_FTE: u32 = 366;
/// Longest title, name or goal text: one line.
pub const MAX_LINE_BYTES: usize = 1024;

/// Fetches the record `id` a record references, checks that it is of kind `T::KIND` with a
/// readable body, and decodes the body.
pub(crate) fn fetch<T: Body>(lookup: &dyn Lookup, id: &RecordId) -> Result<(Record<Verified>, T), Error> {
    let record = lookup.record(id).ok_or(Error::MissingDependency { id: *id })?;
    let kind = record.header().kind;
    if kind != T::KIND {
        return Err(Violation::WrongKind { id: *id, found: kind, expected: T::KIND }.into());
    }
    let value = record.body().and_then(|b| T::from_bytes(b).ok()).ok_or(Violation::UnreadableReference { id: *id })?;
    Ok((record, value))
}

/// Checks the body of a plan, plan receipt, cost key or utfall record. Called by [`crate::validate`]
/// after the author, role and body hash have been checked; any other kind is not this module's
/// (`None`).
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    lookup: &dyn Lookup,
) -> Option<Result<(), Error>> {
    let checked = match record.header().kind {
        Kind::Plan => Plan::from_bytes(body).map_err(Error::from).and_then(|p| body::check(&p, lookup)),
        Kind::PlanReceipt => {
            PlanReceipt::from_bytes(body).map_err(Error::from).and_then(|r| receipt::check(&r, lookup))
        }
        Kind::CostKey => CostKey::from_bytes(body).map_err(Error::from).and_then(|k| key::check(&k, roster, lookup)),
        Kind::Outcome => Outcome::from_bytes(body).map_err(Error::from).and_then(|o| outcome::check(&o, lookup)),
        _ => return None,
    };
    Some(checked)
}

/// Checks a one-line text field: at most [`MAX_LINE_BYTES`], no line break, and not blank.
pub(crate) fn line(field: &'static str, text: &str) -> Result<(), Violation> {
    if text.len() > MAX_LINE_BYTES {
        return Err(Violation::LineTooLong { field, len: text.len() });
    }
    if text.contains(['\n', '\r']) {
        return Err(Violation::NotOneLine { field });
    }
    if text.trim().is_empty() {
        return Err(Violation::Empty { field });
    }
    Ok(())
}

/// Checks a list length against `max`.
pub(crate) fn list(field: &'static str, len: usize, max: usize) -> Result<(), Violation> {
    if len > max {
        return Err(Violation::TooMany { field, len, max });
    }
    Ok(())
}
