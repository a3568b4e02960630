//! The agreement signature body: a party signs an agreement version, gives notice
//! (uppsägning), or withdraws (utträde). One record kind for all three, since each is the same
//! party's signatory acting on the same agreement by the same rules (`docs/agreements.md` §4).

use serde::{Deserialize, Serialize};

use super::body::date;
use super::{Agreement, Error, Party, Violation, MAX_GIVEN_SKEW_DAYS};
use crate::governance::{Date, PaperRef, MAX_PAPER_BYTES};
use crate::plan::{fetch, line};
use crate::record::{Body, Header, Kind, Lookup, RecordId};
use crate::roster::Roster;

/// The body of an agreement-signature record (kind 21). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementSignature {
    /// The agreement version acted on.
    pub agreement: RecordId,
    /// The party acted for: an index into the agreement's parties.
    pub party: u16,
    /// What the party does.
    pub act: Act,
    /// The paper original the act was signed on. Required for an outside party (its signature
    /// is on paper; a member party's firmatecknare records it); optional for a member party.
    pub original: Option<PaperRef>,
}

impl Body for AgreementSignature {
    const KIND: Kind = Kind::AgreementSignature;
}

/// What a party does to an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Act {
    /// Signs the agreement version's text. A second signature for the same party changes
    /// nothing: the earliest counts.
    Sign,
    /// Gives notice (uppsägning): the agreement ends for every party on the day the notice rule
    /// gives ([`super::ends`]).
    Notice {
        /// The day notice is given, `YYYY-MM-DD`, within [`MAX_GIVEN_SKEW_DAYS`] of the record's
        /// claimed time.
        given: String,
    },
    /// Withdraws (utträde): the member leaves the agreement on the day the notice rule gives;
    /// the others stay bound. The roster change follows by decision.
    Withdrawal {
        /// The day the withdrawal is given, as for a notice.
        given: String,
    },
}

impl Act {
    /// The day a notice or withdrawal is given (`None` for a signature or an unreadable date).
    pub fn given(&self) -> Option<Date> {
        match self {
            Act::Sign => None,
            Act::Notice { given } | Act::Withdrawal { given } => Date::parse(given).ok(),
        }
    }

    /// The API's name: `sign`, `notice`, `withdrawal`.
    pub fn name(&self) -> &'static str {
        match self {
            Act::Sign => "sign",
            Act::Notice { .. } => "notice",
            Act::Withdrawal { .. } => "withdrawal",
        }
    }
}

/// Checks an agreement signature by `docs/agreements.md` §4, in order. The author's role
/// (firmatecknare) and mandate period were checked by `validate` before.
pub(super) fn check(
    s: &AgreementSignature,
    header: &Header,
    roster: &Roster,
    lookup: &dyn Lookup,
) -> Result<(), Error> {
    let (_, agreement) = fetch::<Agreement>(lookup, &s.agreement)?;
    let parties = agreement.parties.len();
    let party =
        agreement.parties.get(usize::from(s.party)).ok_or(Violation::UnknownParty { party: s.party, parties })?;
    let author = &roster.keys.get(&header.author).expect("validate found the author's grant").member;
    match party {
        Party::Member { member } if member != author => {
            return Err(Violation::SignedForOtherParty { party: member.clone(), author: author.clone() }.into());
        }
        Party::Member { .. } => {}
        Party::Outside { .. } => {
            if !agreement.parties.iter().any(|p| p.member() == Some(author)) {
                return Err(Violation::RecorderNotAParty { author: author.clone() }.into());
            }
            if s.original.is_none() {
                return Err(Violation::MissingOriginal.into());
            }
            if matches!(s.act, Act::Withdrawal { .. }) {
                return Err(Violation::OutsideWithdrawal.into());
            }
        }
    }
    if let Some(original) = &s.original {
        line("original name", &original.name)?;
        if original.size > MAX_PAPER_BYTES {
            return Err(Violation::AnnexTooLarge { size: original.size }.into());
        }
    }
    if let Act::Notice { given } | Act::Withdrawal { given } = &s.act {
        let day = date("given", given)?;
        let claimed = Date::of_utc_ms(header.time_ms);
        if (day.days() - claimed.days()).abs() > MAX_GIVEN_SKEW_DAYS {
            return Err(Violation::GivenNotClaimedDay { given: given.clone(), claimed: claimed.to_string() }.into());
        }
    }
    Ok(())
}
