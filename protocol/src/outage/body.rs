//! The outage notice body (a notice, an update or an all-clear) and the acknowledgement body,
//! with the rules of `docs/outages.md` §3, in order.

use serde::{Deserialize, Serialize};

use super::{Error, Violation, MAX_AFFECTED, MAX_TEXT_BYTES, MAX_TIME_MS};
use crate::identity;
use crate::plan::{fetch, line, list};
use crate::record::{Body, Kind, Lookup, RecordId};

/// What kind of outage a notice tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    /// Driftstörning: an unplanned fault.
    Driftstorning,
    /// Planerat underhåll: planned maintenance, told ahead.
    PlaneratUnderhall,
}

impl NoticeKind {
    /// The API's name: `driftstorning`, `planerat-underhall`.
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::Driftstorning => "driftstorning",
            NoticeKind::PlaneratUnderhall => "planerat-underhall",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<NoticeKind> {
        [NoticeKind::Driftstorning, NoticeKind::PlaneratUnderhall].into_iter().find(|k| k.name() == s)
    }

    /// The Swedish name people read: `Driftstörning`, `Planerat underhåll`.
    pub fn swedish(self) -> &'static str {
        match self {
            NoticeKind::Driftstorning => "Driftstörning",
            NoticeKind::PlaneratUnderhall => "Planerat underhåll",
        }
    }
}

/// A notice as first published. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Driftstörning or planerat underhåll.
    pub kind: NoticeKind,
    /// One-line title, e.g. `Treserva svarar inte`.
    pub title: String,
    /// What is wrong or what will be done, and what members should do; not blank, at most
    /// [`MAX_TEXT_BYTES`].
    pub text: String,
    /// The affected parts (berörda delar), 1 to [`MAX_AFFECTED`] one-line names, e.g.
    /// `Journal IFO`, `Mobil dokumentation`.
    pub affected: Vec<String>,
    /// When the outage began or will begin, as the author states it (ms since the epoch, UTC).
    pub start_ms: i64,
    /// When it is expected to end, if known (ms since the epoch, UTC); not before `start_ms`.
    pub expected_end_ms: Option<i64>,
}

/// The body of an outage-notice record (kind 51): a notice, an update of one, or its all-clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutageNotice {
    /// A new notice to every member.
    Publish(Published),
    /// News on a notice: what is known now, and a new expected end if it changed.
    Update {
        /// The notice (a `Publish` record).
        notice: RecordId,
        /// The news; not blank, at most [`MAX_TEXT_BYTES`].
        text: String,
        /// A new expected end, not before the notice's start; `None` keeps the one before.
        expected_end_ms: Option<i64>,
    },
    /// The all-clear (friskförklaring): the outage is over.
    Clear {
        /// The notice (a `Publish` record).
        notice: RecordId,
        /// What was done; not blank, at most [`MAX_TEXT_BYTES`].
        text: String,
    },
}

impl Body for OutageNotice {
    const KIND: Kind = Kind::OutageNotice;
}

impl OutageNotice {
    /// The notice an update or all-clear names (`None` for a notice itself).
    pub fn names(&self) -> Option<RecordId> {
        match self {
            OutageNotice::Publish(_) => None,
            OutageNotice::Update { notice, .. } | OutageNotice::Clear { notice, .. } => Some(*notice),
        }
    }

    /// The API's name of the act: `publish`, `update`, `clear`.
    pub fn act(&self) -> &'static str {
        match self {
            OutageNotice::Publish(_) => "publish",
            OutageNotice::Update { .. } => "update",
            OutageNotice::Clear { .. } => "clear",
        }
    }
}

/// The body of an outage acknowledgement record (kind 56): a member's objektspecialist has read
/// the notice (kvittens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageAck {
    /// The notice acknowledged (a `Publish` record).
    pub notice: RecordId,
}

impl Body for OutageAck {
    const KIND: Kind = Kind::OutageAck;
}

/// Checks a notice, update or all-clear by `docs/outages.md` §3, in order.
pub(super) fn check(n: &OutageNotice, lookup: &dyn Lookup) -> Result<(), Error> {
    match n {
        OutageNotice::Publish(p) => check_alone(p),
        OutageNotice::Update { notice, text: news, expected_end_ms } => {
            let named = notice_named(lookup, notice)?;
            text("text", news)?;
            if let Some(end) = expected_end_ms {
                time("expected end", *end)?;
                ends_after(named.start_ms, *end)?;
            }
            Ok(())
        }
        OutageNotice::Clear { notice, text: done } => {
            notice_named(lookup, notice)?;
            text("text", done)
        }
    }
}

/// Checks an acknowledgement: it names a notice.
pub(super) fn check_ack(a: &OutageAck, lookup: &dyn Lookup) -> Result<(), Error> {
    notice_named(lookup, &a.notice).map(|_| ())
}

/// Checks every rule a new notice can be checked by alone (all of them): what a form or the
/// CLI runs before anything is signed.
pub fn check_alone(p: &Published) -> Result<(), Error> {
    line("title", &p.title)?;
    no_identity_number("title", &p.title)?;
    text("text", &p.text)?;
    list("affected parts", p.affected.len(), MAX_AFFECTED)?;
    if p.affected.is_empty() {
        return Err(Violation::NoAffectedPart.into());
    }
    for part in &p.affected {
        line("affected part", part)?;
        no_identity_number("affected part", part)?;
    }
    time("start", p.start_ms)?;
    if let Some(end) = p.expected_end_ms {
        time("expected end", end)?;
        ends_after(p.start_ms, end)?;
    }
    Ok(())
}

/// The notice `id` names: a held outage-notice record whose body is a `Publish`.
fn notice_named(lookup: &dyn Lookup, id: &RecordId) -> Result<Published, Error> {
    match fetch::<OutageNotice>(lookup, id)?.1 {
        OutageNotice::Publish(p) => Ok(p),
        other => Err(Violation::NotANotice { id: *id, act: other.act() }.into()),
    }
}

/// A free-text field: not blank, at most [`MAX_TEXT_BYTES`], no personal identity number.
fn text(field: &'static str, s: &str) -> Result<(), Error> {
    if s.len() > MAX_TEXT_BYTES {
        return Err(Violation::TextTooLong { field, len: s.len() }.into());
    }
    if s.trim().is_empty() {
        return Err(Violation::Field(crate::plan::Violation::Empty { field }).into());
    }
    no_identity_number(field, s)
}

/// Refuses a field holding a personnummer or samordningsnummer, naming the field and where.
pub fn no_identity_number(field: &'static str, s: &str) -> Result<(), Error> {
    match identity::find(s) {
        Some(found) => Err(Violation::PersonalIdentityNumber { field, at: found.at }.into()),
        None => Ok(()),
    }
}

fn time(field: &'static str, ms: i64) -> Result<(), Error> {
    if !(0..=MAX_TIME_MS).contains(&ms) {
        return Err(Violation::TimeOutOfRange { field, ms }.into());
    }
    Ok(())
}

fn ends_after(start_ms: i64, end_ms: i64) -> Result<(), Error> {
    if end_ms < start_ms {
        return Err(Violation::EndsBeforeStart { start_ms, end_ms }.into());
    }
    Ok(())
}
