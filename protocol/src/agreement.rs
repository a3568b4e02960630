//! Agreements (överenskommelser): the agreement record, the signatures, notices (uppsägning) and
//! withdrawals (utträde) its parties sign, the rules every node checks, and the pure functions
//! every node computes from them — the notice arithmetic and the agreement's status.
//!
//! An agreement is in force when every party has signed the same record: each member party by
//! its own firmatecknare (a role certified in the roster, valid within its mandate period), each
//! outside party (a vendor, an e-nämnd) by its paper original, recorded by a member party's
//! firmatecknare. An amendment is an agreement that names the version it changes. No clock, no
//! I/O; `docs/agreements.md` is the normative description.

mod body;
mod notice;
mod orgnr;
mod signature;
mod status;
mod violation;

pub use body::{check_alone, Agreement, NoticeRule, Party};
pub use notice::{deadline, ends, Deadline};
pub use orgnr::check_organisationsnummer;
pub use signature::{Act, AgreementSignature};
pub use status::{status, withdrawals, Signed, Status, Withdrawal};
pub use violation::{Error, Violation};

use crate::record::{Body, Kind, Lookup, Record, Unverified};
use crate::roster::Roster;

/// Most parties to one agreement: every member of the largest federation we plan for (Sweden's
/// 290 kommuner and 21 regions) and a few outside parties.
pub const MAX_PARTIES: usize = 400;
/// Most annexes (bilagor) to one agreement.
pub const MAX_ANNEXES: usize = 64;
/// Longest notice period, in months (ten years).
pub const MAX_NOTICE_MONTHS: u8 = 120;
/// How far, in days, a notice's or withdrawal's stated date may lie from the UTC day of the
/// record's claimed time: one day either side, for Swedish time against UTC and a signer's
/// clock — not a way to date a notice back.
pub const MAX_GIVEN_SKEW_DAYS: i64 = 1;

/// Checks the body of an agreement or agreement signature record. Called by
/// [`crate::validate`] after the author, role and body hash have been checked; any other kind is
/// not this module's (`None`).
pub(crate) fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    lookup: &dyn Lookup,
) -> Option<Result<(), Error>> {
    let checked = match record.header().kind {
        Kind::Agreement => {
            Agreement::from_bytes(body).map_err(Error::from).and_then(|a| body::check(&a, roster, lookup))
        }
        Kind::AgreementSignature => AgreementSignature::from_bytes(body)
            .map_err(Error::from)
            .and_then(|s| signature::check(&s, record.header(), roster, lookup)),
        _ => return None,
    };
    Some(checked)
}
