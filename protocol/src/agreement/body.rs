//! The agreement body: parties, subject, term, notice rule, cost key, annexes and text.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{check_organisationsnummer, Error, Violation, MAX_ANNEXES, MAX_NOTICE_MONTHS, MAX_PARTIES};
use crate::charter::MemberId;
use crate::encoding::check_text;
use crate::governance::{Date, PaperRef, MAX_PAPER_BYTES};
use crate::plan::{self, fetch, line, list, CostKey};
use crate::record::{Body, Kind, Lookup, RecordId};
use crate::roster::Roster;

/// The body of an agreement record (kind 20): one version of an överenskommelse. Fields encode
/// in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// One-line title, e.g. `Överenskommelse om samverkan kring WebCare`.
    pub title: String,
    /// The system the agreement covers, one line, e.g. `WebCare`.
    pub system: String,
    /// The parties, 2 to [`MAX_PARTIES`], at least one a member. A signature names its party by
    /// index in this list.
    pub parties: Vec<Party>,
    /// The first day in force (`YYYY-MM-DD`), once every party has signed.
    pub start: String,
    /// The last day (`YYYY-MM-DD`), or `None`: tills vidare (until terminated by notice).
    pub end: Option<String>,
    /// How notice (uppsägning) ends the agreement.
    pub notice: NoticeRule,
    /// The cost key (fördelningsnyckel) the agreement refers to, if any: a cost-key record.
    pub cost_key: Option<RecordId>,
    /// The annexes (bilagor), as papers: name, size and content hash. At most [`MAX_ANNEXES`].
    pub annexes: Vec<PaperRef>,
    /// The agreement's text, not blank, at most [`crate::encoding::MAX_TEXT_BYTES`].
    pub text: String,
    /// The agreement version this one amends (ändrar), if any: an agreement record.
    pub amends: Option<RecordId>,
}

impl Body for Agreement {
    const KIND: Kind = Kind::Agreement;
}

/// A party to an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    /// A member of the federation; its firmatecknare signs.
    Member {
        /// The member (its MemberId, the kommunkod).
        member: MemberId,
    },
    /// An outside party (a vendor, an e-nämnd), named by its organisationsnummer; it signs its
    /// paper original, which a member party's firmatecknare records.
    Outside {
        /// The organisation's name, one line.
        name: String,
        /// `NNNNNN-NNNN` with a valid check digit; never a personnummer.
        organisationsnummer: String,
    },
}

impl Party {
    /// The member, for a member party.
    pub fn member(&self) -> Option<&MemberId> {
        match self {
            Party::Member { member } => Some(member),
            Party::Outside { .. } => None,
        }
    }

    /// What tells this party apart from the others: the member id or the organisationsnummer.
    fn identity(&self) -> &str {
        match self {
            Party::Member { member } => member,
            Party::Outside { organisationsnummer, .. } => organisationsnummer,
        }
    }
}

/// The notice rule (uppsägningstid): how long after notice the agreement ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRule {
    /// The notice period in calendar months, 1 to [`MAX_NOTICE_MONTHS`].
    pub months: u8,
    /// Whether the agreement then ends only at a year end (uppsägning till årsskifte).
    pub at_year_end: bool,
}

/// Checks an agreement body by `docs/agreements.md` §3, in order.
pub(super) fn check(a: &Agreement, roster: &Roster, lookup: &dyn Lookup) -> Result<(), Error> {
    check_fields(a, Some(roster))?;
    if let Some(id) = a.cost_key {
        fetch::<CostKey>(lookup, &id)?;
    }
    if let Some(id) = a.amends {
        fetch::<Agreement>(lookup, &id)?;
    }
    Ok(())
}

/// Checks the rules of `docs/agreements.md` §3 that an agreement body can be checked by alone,
/// without a roster (member parties' membership) or the records it references — what
/// `samverka agreement check` runs offline on a file before anyone signs.
pub fn check_alone(a: &Agreement) -> Result<(), Error> {
    check_fields(a, None)
}

fn check_fields(a: &Agreement, roster: Option<&Roster>) -> Result<(), Error> {
    line("title", &a.title)?;
    line("system", &a.system)?;
    check_parties(&a.parties, roster)?;
    let start = date("start", &a.start)?;
    if let Some(end) = &a.end {
        if date("end", end)? < start {
            return Err(Violation::EndsBeforeStart { start: a.start.clone(), end: end.clone() }.into());
        }
    }
    if !(1..=MAX_NOTICE_MONTHS).contains(&a.notice.months) {
        return Err(Violation::NoticeMonths { months: a.notice.months }.into());
    }
    check_annexes(&a.annexes)?;
    check_text("text", &a.text)?;
    if a.text.trim().is_empty() {
        return Err(plan::Violation::Empty { field: "text" }.into());
    }
    Ok(())
}

/// Parses a date field.
pub(super) fn date(field: &'static str, s: &str) -> Result<Date, Violation> {
    Date::parse(s).map_err(|_| plan::Violation::BadDate { field }.into())
}

/// Checks the parties; member parties against `roster` when one is given.
fn check_parties(parties: &[Party], roster: Option<&Roster>) -> Result<(), Violation> {
    list("parties", parties.len(), MAX_PARTIES)?;
    if parties.len() < 2 {
        return Err(Violation::TooFewParties);
    }
    let mut seen = BTreeSet::new();
    for p in parties {
        match p {
            Party::Member { member } if roster.is_some_and(|r| !r.members.contains_key(member)) => {
                return Err(Violation::NotAMember { member: member.clone() });
            }
            Party::Member { .. } => {}
            Party::Outside { name, organisationsnummer } => {
                line("party name", name)?;
                check_organisationsnummer(organisationsnummer)?;
            }
        }
        if !seen.insert(p.identity()) {
            return Err(Violation::DuplicateParty { party: p.identity().into() });
        }
    }
    if parties.iter().all(|p| p.member().is_none()) {
        return Err(Violation::NoMemberParty);
    }
    Ok(())
}

fn check_annexes(annexes: &[PaperRef]) -> Result<(), Violation> {
    list("annexes", annexes.len(), MAX_ANNEXES)?;
    let mut names = BTreeSet::new();
    for p in annexes {
        line("annex name", &p.name)?;
        if !names.insert(p.name.trim()) {
            return Err(Violation::DuplicateAnnex { name: p.name.clone() });
        }
        if p.size > MAX_PAPER_BYTES {
            return Err(Violation::AnnexTooLarge { size: p.size });
        }
    }
    Ok(())
}
