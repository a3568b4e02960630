//! Support cases (ärenden) with SLA clocks: the case a member's objektspecialist raises (line 1),
//! the events that carry it to the förvaltningsgrupp (line 2, the host's förvaltare) and on to
//! the vendor (line 3, which holds no key: line 2 records its reference), the rules every node
//! checks, and the pure functions every node computes from them — the case's history and status,
//! its SLA clocks on a business-hours calendar, and the breaches summed per member, category and
//! month — and the federation's SLA table as a record, adopted by the styrgrupp, which the
//! clocks of each case use ([`Schedule`]; [`Table::WEBCARE`] when none is in force).
//!
//! A record's validity depends only on itself, the roster version it names and the records it
//! names by id: an event names its case and the state event it follows, so a node judges a step
//! against the state that chain gives and nothing else it happens to hold. Derived state is a
//! function of the set of valid records and the instant it is read at, whatever their order of
//! arrival. SLA clocks run on the records' *claimed* times (`Header::time_ms`). No clock, no I/O;
//! `docs/support.md` is the normative description.

mod body;
mod calendar;
mod event;
mod history;
mod sla;
mod table;
mod violation;

pub use body::{check_alone as check_case_alone, Priority, SupportCase};
pub use calendar::{
    business_ms, easter_sunday, holidays, is_business_day, stockholm_midnight_ms, stockholm_offset_ms, weekday,
    Holiday, Local, BUSINESS_CLOSES_MIN, BUSINESS_OPENS_MIN,
};
pub use event::{check_text_alone, Action, Line, Stage, State, SupportEvent};
pub use history::{breaches, history, Breach, BreachKey, History, Step};
pub use sla::{Clock, ClockKind, Hours, Reading, Table, Target};
pub use table::{check_alone as check_table_alone, schedule, Schedule, SlaTable, TableState, MAX_TARGET_MIN};
pub use violation::{Error, Violation};

use crate::record::{Body, Kind, Lookup, Record, Unverified};
use crate::roster::Roster;

/// Longest description or message, in bytes (16 KiB: a page of text, not an attachment).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Most state events in one case's chain (escalations, starts, pauses, resumes …); a step beyond
/// it is refused, so judging a step walks a bounded chain.
pub const MAX_STATE_EVENTS: usize = 128;
/// Most days a clock is measured over (ten years): a span beyond it counts as this long.
pub const MAX_CLOCK_DAYS: i64 = 3660;

/// Checks the body of a support case, support event or SLA table record. Called by [`crate::validate`]
/// after the author, role and body hash have been checked; any other kind is not this module's
/// (`None`).
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    lookup: &dyn Lookup,
) -> Option<Result<(), Error>> {
    let checked = match record.header().kind {
        Kind::SupportCase => {
            SupportCase::from_bytes(body).map_err(Error::from).and_then(|c| body::check(&c, record.header(), roster))
        }
        Kind::SupportEvent => SupportEvent::from_bytes(body)
            .map_err(Error::from)
            .and_then(|e| event::check(&e, record.header(), roster, lookup)),
        Kind::SlaTable => SlaTable::from_bytes(body).map_err(Error::from).and_then(|t| table::check(&t, lookup)),
        _ => return None,
    };
    Some(checked)
}

/// Checks a free-text field: within [`MAX_MESSAGE_BYTES`] and holding no personnummer or
/// samordningsnummer ([`crate::identity::find`]).
pub(crate) fn free_text(field: &'static str, text: &str) -> Result<(), Violation> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Violation::TextTooLong { field, len: text.len() });
    }
    if let Some(found) = crate::identity::find(text) {
        return Err(Violation::PersonalIdentityNumber { field, at: found.at });
    }
    Ok(())
}

/// Checks a one-line field: [`crate::plan`]'s one-line rule, then [`free_text`].
pub(crate) fn one_line(field: &'static str, text: &str) -> Result<(), Violation> {
    crate::plan::line(field, text)?;
    free_text(field, text)
}
