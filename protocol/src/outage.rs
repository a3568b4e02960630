//! Outage notices (driftstörning, planerat underhåll): the notice the host publishes to every
//! member at once, its updates and its all-clear (friskförklaring), the acknowledgement
//! (kvittens) each member's objektspecialist signs, the rules every node checks, and the pure
//! function every node computes from them — each notice's [`State`].
//!
//! A notice, its updates and its all-clear are one record kind ([`Kind::OutageNotice`], 51)
//! whose body is an [`OutageNotice`]; an acknowledgement is [`Kind::OutageAck`] (56), an
//! [`OutageAck`]. An update, an all-clear and an acknowledgement name the notice they concern by
//! record id and wait for it (`missing_dependency`); nothing else they name. Validity never
//! depends on what else a node holds: an update signed after the all-clear is still valid and is
//! shown as such, and [`state`] is the same on every node whatever the order of arrival. Every
//! free-text field is searched with [`crate::identity::find`], so no notice carries a
//! personnummer. No clock, no I/O; `docs/outages.md` is the normative description.

mod body;
mod state;
mod violation;

pub use body::{check_alone, no_identity_number, NoticeKind, OutageAck, OutageNotice, Published};
pub use state::{state, Acknowledgement, Clearing, State, Update};
pub use violation::{Error, Violation};

use crate::record::{Body, Kind, Lookup, Record, Unverified};

/// Longest notice or update text, in bytes: a few screens, not a report.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Most affected parts (berörda delar) one notice names.
pub const MAX_AFFECTED: usize = 32;
/// Latest time a notice may state, in ms since the epoch: the end of year 9999 UTC.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;
/// Most updates [`state`] keeps per notice; later ones (by the stated order) are counted, not
/// kept, so one author cannot make every page that shows the notice grow without bound.
pub const MAX_UPDATES_SHOWN: usize = 256;

/// Checks the body of an outage notice or acknowledgement record. Called by [`crate::validate`]
/// after the author, role and body hash have been checked; any other kind is not this module's
/// (`None`).
pub(crate) fn check_body(record: &Record<Unverified>, body: &[u8], lookup: &dyn Lookup) -> Option<Result<(), Error>> {
    let checked = match record.header().kind {
        Kind::OutageNotice => OutageNotice::from_bytes(body).map_err(Error::from).and_then(|n| body::check(&n, lookup)),
        Kind::OutageAck => OutageAck::from_bytes(body).map_err(Error::from).and_then(|a| body::check_ack(&a, lookup)),
        _ => return None,
    };
    Some(checked)
}
