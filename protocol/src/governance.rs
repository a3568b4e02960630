//! Styrgrupp decisions: matters (ärenden), papers, the diarium, meetings, votes, ballot closings,
//! minutes (protokoll) and their justering — the bodies and the rules every node checks.
//!
//! Everything here is a pure function of a record, the roster chain and the records it
//! references (through [`Lookup`]): no clock, no I/O. A closing's result is recomputed by every
//! node from exactly the votes it names ([`count`]). Each matter names one closer; its first
//! closing in its own chain is final ([`settle`]), and must account for every vote receipt
//! ([`VoteReceipt`]) it issued before it. Every rule broken is one [`Violation`] with a stable
//! code. `docs/governance.md` is the normative description of the rules below.

mod ballot;
mod date;
mod diarium;
mod matter;
mod meeting;
mod minutes;
mod paper;
mod receipt;
mod tally;
mod violation;

pub use ballot::{close, explain, settle, BallotClose, Choice, Settlement, Vote};
pub use date::Date;
pub use diarium::{previous_diarium, Diarienummer, Diarium};
pub use matter::{Matter, PaperRef, Procedure};
pub use meeting::Meeting;
pub use minutes::{justering_status, Justering, JusteringStatus, Minutes, MinutesItem};
pub use paper::{content_hash, Paper};
pub use receipt::VoteReceipt;
pub use tally::{count, decide, Count, Decision, Excluded, Outcome, Tally};
pub use violation::{Error, Violation};

use crate::encoding::{check_list, check_text};
use crate::record::{Body, Header, Kind, Lookup, Record, RecordId, Unverified, Verified};
use crate::roster::{KeyGrant, Roster, RosterChain};

/// The authorship table (`validate::permits`, protocol.md §5), handed in by the caller so that
/// this module does not import `validate`.
pub(crate) type Permits = fn(Kind, &KeyGrant, &Roster) -> bool;

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
    /// Who may author which kind.
    pub permits: Permits,
}

impl Context<'_> {
    /// Fetches a referenced record of kind `T::KIND` and decodes its body.
    fn fetch<T: Body>(&self, id: &RecordId) -> Result<(Record<Verified>, T), Error> {
        fetch(self.lookup, id)
    }

    /// Checks a one-line text field: at most [`MAX_LINE_BYTES`], and not blank when `required`.
    fn line(&self, field: &'static str, text: &str, required: bool) -> Result<(), Error> {
        if text.len() > MAX_LINE_BYTES {
            return Err(Violation::LineTooLong { field, len: text.len() }.into());
        }
        if text.contains(['\n', '\r']) {
            return Err(Violation::NotOneLine { field }.into());
        }
        if required && text.trim().is_empty() {
            return Err(Violation::Empty { field }.into());
        }
        Ok(())
    }

    /// Checks a free-text field against [`crate::encoding::MAX_TEXT_BYTES`].
    fn text(&self, what: &'static str, text: &str) -> Result<(), Error> {
        check_text(what, text)?;
        Ok(())
    }

    /// Checks a list length against `max` (and [`crate::encoding::MAX_LIST_LEN`]).
    fn list(&self, field: &'static str, len: usize, max: usize) -> Result<(), Error> {
        check_list(field, len)?;
        if len > max {
            return Err(Violation::TooMany { field, len, max }.into());
        }
        Ok(())
    }
}

/// Fetches the record `id` a record references, checks that it is of kind `T::KIND` with its
/// body, and decodes the body.
///
/// Absent → [`Error::MissingDependency`] (the referrer waits); present but of another kind →
/// [`Violation::WrongKind`]; without a body or with one that does not decode →
/// [`Violation::UnreadableReference`].
pub(crate) fn fetch<T: Body>(lookup: &dyn Lookup, id: &RecordId) -> Result<(Record<Verified>, T), Error> {
    let record = lookup.record(id).ok_or(Error::MissingDependency { id: *id })?;
    let kind = record.header().kind;
    if kind != T::KIND {
        return Err(Violation::WrongKind { id: *id, found: kind, expected: T::KIND }.into());
    }
    let value = record.body().and_then(|b| T::from_bytes(b).ok()).ok_or(Violation::UnreadableReference { id: *id })?;
    Ok((record, value))
}

/// Walks the author's chain back from `header` through `prev` links, calling `visit` with each
/// earlier record, newest first, until `visit` answers `Some` (returned) or the chain starts
/// (`None`). Each step is one lookup: a link not held is [`Error::MissingDependency`], a link to
/// another author's record or to a seq not lower is [`Violation::NotInAuthorsChain`].
pub(crate) fn walk_back<T>(
    header: &Header,
    lookup: &dyn Lookup,
    mut visit: impl FnMut(&Record<Verified>) -> Option<T>,
) -> Result<Option<T>, Error> {
    let (mut prev, mut seq) = (header.prev, header.seq);
    while let Some(id) = prev {
        let record = lookup.record(&id).ok_or(Error::MissingDependency { id })?;
        let h = record.header();
        if h.author != header.author || h.seq >= seq {
            return Err(Violation::NotInAuthorsChain { id }.into());
        }
        if let Some(found) = visit(&record) {
            return Ok(Some(found));
        }
        (prev, seq) = (h.prev, h.seq);
    }
    Ok(None)
}

/// Checks the body of a governance record (matter, meeting, vote, ballot closing, vote receipt,
/// minutes, justering, paper, diarium). Called by [`crate::validate`] after the author, role and
/// body hash have been checked and before the signature is; any other kind is not governance's
/// (`None`).
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    chain: &RosterChain,
    lookup: &dyn Lookup,
    permits: Permits,
) -> Option<Result<(), Error>> {
    let cx = Context { record, roster, chain, lookup, permits };
    let kind = record.header().kind;
    let checked = match kind {
        Kind::Matter => decoded(body, |b| matter::check(&cx, b)),
        Kind::Paper => decoded(body, |b| paper::check(&cx, b)),
        Kind::Diarium => decoded(body, |b| diarium::check(&cx, b)),
        Kind::Meeting => decoded(body, |b| meeting::check(&cx, b)),
        Kind::Vote => decoded(body, |b| ballot::check_vote(&cx, b)),
        Kind::BallotClose => decoded(body, |b| ballot::check_close(&cx, b)),
        Kind::VoteReceipt => decoded(body, |b| receipt::check(&cx, b)),
        Kind::Minutes => decoded(body, |b| minutes::check_minutes(&cx, b)),
        Kind::Justering => decoded(body, |b| minutes::check_justering(&cx, b)),
        _ => return None,
    };
    Some(checked)
}

/// Decodes a body of kind `T` and checks it with `check`.
fn decoded<T: Body>(body: &[u8], check: impl FnOnce(&T) -> Result<(), Error>) -> Result<(), Error> {
    check(&T::from_bytes(body)?)
}
