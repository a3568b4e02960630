//! Styrgrupp decisions: matters (ärenden), papers, the diarium, meetings, votes, ballot closings,
//! minutes (protokoll) and their justering — the bodies and the rules every node checks.
//!
//! Everything here is a pure function of a record, the roster chain and the records it
//! references (through [`Lookup`]): no clock, no I/O. A closing's result is recomputed by every
//! node from exactly the votes it names ([`count`]), so two valid closings naming the same votes
//! always agree. `docs/governance.md` is the normative description of the rules below.

mod ballot;
mod date;
mod diarium;
mod matter;
mod meeting;
mod minutes;
mod paper;
mod tally;

pub use ballot::{close, settle, BallotClose, Choice, Settlement, Vote};
pub use date::Date;
pub use diarium::{previous_diarium, Diarienummer, Diarium};
pub use matter::{Matter, PaperRef, Procedure};
pub use meeting::Meeting;
pub use minutes::{justering_status, Justering, JusteringStatus, Minutes, MinutesItem};
pub use paper::{content_hash, Paper};
pub use tally::{count, decide, Count, Decision, Excluded, Outcome, Tally};

use crate::encoding::{check_list, check_text};
use crate::record::{Body, Kind, Record, RecordId, Unverified, Verified};
use crate::roster::{Roster, RosterChain};
use crate::validate::{Lookup, Rejection};

/// Most alternatives a matter may offer (a yes/no matter offers none).
pub const MAX_ALTERNATIVES: usize = 32;
/// Most papers (underlag) one matter may list.
pub const MAX_PAPERS: usize = 64;
/// Largest paper (document) a record may describe: 1 GiB. Papers travel as blobs, not in bodies.
pub const MAX_PAPER_BYTES: u64 = 1 << 30;
/// Longest voting window of a per-capsulam matter, in days.
pub const MAX_VOTING_WINDOW_DAYS: u32 = 365;
/// Most matters on one meeting's agenda, and most items in one set of minutes.
pub const MAX_AGENDA_ITEMS: usize = 256;
/// Longest title, place, name or media type: one line, not a document.
pub const MAX_LINE_BYTES: usize = 1024;

/// What a governance rule needs to judge one record.
pub(crate) struct Context<'a> {
    /// The record being judged.
    pub record: &'a Record<Unverified>,
    /// The roster version the record names.
    pub roster: &'a Roster,
    /// Every roster version (for voters' roles at their own versions, and revocations).
    pub chain: &'a RosterChain,
    /// Records already held.
    pub lookup: &'a dyn Lookup,
}

impl Context<'_> {
    /// The record's kind.
    fn kind(&self) -> Kind {
        self.record.header().kind
    }

    /// A `BadBody` rejection for this record's kind.
    fn bad(&self, reason: impl Into<String>) -> Rejection {
        Rejection::BadBody { kind: self.kind(), reason: reason.into() }
    }

    /// Fetches a referenced record of kind `T::KIND` and decodes its body.
    fn fetch<T: Body>(&self, id: &RecordId) -> Result<(Record<Verified>, T), Rejection> {
        fetch(self.lookup, id, self.kind())
    }

    /// Checks a one-line text field: at most [`MAX_LINE_BYTES`], and not blank when `required`.
    fn line(&self, what: &'static str, text: &str, required: bool) -> Result<(), Rejection> {
        if text.len() > MAX_LINE_BYTES {
            return Err(self.bad(format!("the {what} is {} bytes, more than {MAX_LINE_BYTES}", text.len())));
        }
        if text.contains(['\n', '\r']) {
            return Err(self.bad(format!("the {what} is one line")));
        }
        if required && text.trim().is_empty() {
            return Err(self.bad(format!("the {what} is empty")));
        }
        Ok(())
    }

    /// Checks a free-text field against [`crate::encoding::MAX_TEXT_BYTES`].
    fn text(&self, what: &'static str, text: &str) -> Result<(), Rejection> {
        check_text(what, text)?;
        Ok(())
    }

    /// Checks a list length against `max` (and [`crate::encoding::MAX_LIST_LEN`]).
    fn list(&self, what: &'static str, len: usize, max: usize) -> Result<(), Rejection> {
        check_list(what, len)?;
        if len > max {
            return Err(self.bad(format!("{len} {what}, more than {max}")));
        }
        Ok(())
    }
}

/// Fetches the record `id` referenced by a `referrer` record, checks that it is of kind
/// `T::KIND` with its body, and decodes the body.
///
/// Absent → [`Rejection::MissingDependency`] (the referrer waits); present but of another kind
/// or without a body → [`Rejection::BadBody`] of the referrer.
pub(crate) fn fetch<T: Body>(
    lookup: &dyn Lookup,
    id: &RecordId,
    referrer: Kind,
) -> Result<(Record<Verified>, T), Rejection> {
    let record = lookup.record(id).ok_or(Rejection::MissingDependency { id: *id })?;
    let bad = |reason: String| Rejection::BadBody { kind: referrer, reason };
    let kind = record.header().kind;
    if kind != T::KIND {
        return Err(bad(format!("record {id} is a {} record, not a {}", kind.name(), T::KIND.name())));
    }
    let body = record.body().ok_or_else(|| bad(format!("record {id} has no body")))?;
    let value = T::from_bytes(body).map_err(|e| bad(format!("record {id}: {e}")))?;
    Ok((record, value))
}

/// Checks the body of a governance record (matter, meeting, vote, ballot closing, minutes,
/// justering, paper, diarium). Called by [`crate::validate`] after the author, role and body hash
/// have been checked and before the signature is.
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    chain: &RosterChain,
    lookup: &dyn Lookup,
) -> Result<(), Rejection> {
    let cx = Context { record, roster, chain, lookup };
    match cx.kind() {
        Kind::Matter => matter::check(&cx, &Matter::from_bytes(body)?),
        Kind::Paper => paper::check(&cx, &Paper::from_bytes(body)?),
        Kind::Diarium => diarium::check(&cx, &Diarium::from_bytes(body)?),
        Kind::Meeting => meeting::check(&cx, &Meeting::from_bytes(body)?),
        Kind::Vote => ballot::check_vote(&cx, &Vote::from_bytes(body)?),
        Kind::BallotClose => ballot::check_close(&cx, &BallotClose::from_bytes(body)?),
        Kind::Minutes => minutes::check_minutes(&cx, &Minutes::from_bytes(body)?),
        Kind::Justering => minutes::check_justering(&cx, &Justering::from_bytes(body)?),
        kind => Err(Rejection::UnsupportedKind { kind }),
    }
}
