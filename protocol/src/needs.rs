//! Needs (behov / ändringsförfrågan): the need a member's objektspecialist registers, and the
//! updates on it — other members' endorsements ("vi behöver också"), the members' rankings, and
//! the steps on its path from registrerad to uppföljd (or avslagen, återkallad) — the rules every
//! node checks, and the pure function every node computes from them: the [`backlog`], with each
//! need's state, the members that need it and the federation's priority order.
//!
//! A step names the record it follows, so whether it is allowed depends on that record alone;
//! two steps after one record are both valid, and the path takes the later ([`backlog`]). No
//! free text holds a personnummer or samordningsnummer ([`crate::identity`]). No clock, no I/O;
//! `docs/needs.md` is the normative description.

mod backlog;
mod body;
mod update;
mod violation;

pub use backlog::{backlog, Backlog, Entry, Ranking, Stamp, Taken};
pub use body::{Area, Asker, Need};
pub use update::{Decision, NeedUpdate, State, Step};
pub use violation::{Error, Violation};

use crate::charter::MemberId;
use crate::record::{Body, Header, Kind, Lookup, Record, Unverified};
use crate::roster::Roster;

/// Longest free-text field (description, benefit, consequences, note), in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Most needs one ranking names. Also the points the first of them gets.
pub const MAX_RANKED: usize = 100;
/// Largest cost estimate, in öre (as [`crate::cost::MAX_AMOUNT_ORE`]).
pub const MAX_COST_ORE: u64 = crate::cost::MAX_AMOUNT_ORE as u64;

/// Checks the body of a need or need-update record. Called by [`crate::validate`] after the
/// author, role and body hash have been checked; any other kind is not this module's (`None`).
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    lookup: &dyn Lookup,
) -> Option<Result<(), Error>> {
    let header = record.header();
    let checked = match header.kind {
        Kind::Need => Need::from_bytes(body).map_err(Error::from).and_then(|n| body::check(&n, header, roster)),
        Kind::NeedUpdate => {
            NeedUpdate::from_bytes(body).map_err(Error::from).and_then(|u| update::check(&u, header, roster, lookup))
        }
        _ => return None,
    };
    Some(checked)
}

/// The member of a record's author (validate found the author's grant before the body rules run).
fn member_of<'r>(header: &Header, roster: &'r Roster) -> &'r MemberId {
    &roster.keys.get(&header.author).expect("validate found the author's grant").member
}
