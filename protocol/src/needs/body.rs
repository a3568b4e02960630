//! The need body (kind 40): what a member asks for, why, and for when — and the checks on free
//! text every need record shares (length, and no personal identity number).

use serde::{Deserialize, Serialize};

use super::{Error, Violation, MAX_TEXT_BYTES};
use crate::charter::MemberId;
use crate::governance::Date;
use crate::identity::{self, NumberKind};
use crate::plan::line;
use crate::record::{Body, Header, Kind};
use crate::roster::Roster;

/// The body of a need record (behov / ändringsförfrågan). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    /// What is asked for: one line.
    pub title: String,
    /// The need described: what does not work today, what should change.
    pub description: String,
    /// The benefit (nytta): who gains what when it is done.
    pub benefit: String,
    /// The day it is wished for, `YYYY-MM-DD`, if any.
    pub wished: Option<String>,
    /// The area of the social services it concerns.
    pub area: Area,
    /// Who asks: a name and a role, no other personal data.
    pub asker: Asker,
    /// The member that asks: the author's member.
    pub member: MemberId,
}

impl Body for Need {
    const KIND: Kind = Kind::Need;
}

/// The person who asks, as the need shows them: the member is the need's, nothing else is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asker {
    /// The name, one line.
    pub name: String,
    /// The role, one line (e.g. `objektspecialist`, `enhetschef IFO`).
    pub role: String,
}

/// The area of the social services a need concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Area {
    /// Individ- och familjeomsorg.
    Ifo,
    /// Hälso- och sjukvård.
    Hsl,
    /// Äldreomsorg.
    Ao,
    /// Socialtjänstlagen / lagen om stöd och service (funktionsstöd).
    SolLss,
    /// Avgifter (fees).
    Avgift,
    /// Anything else.
    Ovrigt,
}

impl Area {
    /// Every area, in display order.
    pub const ALL: [Area; 6] = [Area::Ifo, Area::Hsl, Area::Ao, Area::SolLss, Area::Avgift, Area::Ovrigt];

    /// The stable name in the API, CLI and URLs: `ifo`, `hsl`, `ao`, `sol-lss`, `avgift`, `ovrigt`.
    pub fn name(self) -> &'static str {
        match self {
            Area::Ifo => "ifo",
            Area::Hsl => "hsl",
            Area::Ao => "ao",
            Area::SolLss => "sol-lss",
            Area::Avgift => "avgift",
            Area::Ovrigt => "ovrigt",
        }
    }

    /// The Swedish name people use: `IFO`, `HSL`, `ÄO`, `SoL/LSS`, `Avgift`, `Övrigt`.
    pub fn swedish(self) -> &'static str {
        match self {
            Area::Ifo => "IFO",
            Area::Hsl => "HSL",
            Area::Ao => "ÄO",
            Area::SolLss => "SoL/LSS",
            Area::Avgift => "Avgift",
            Area::Ovrigt => "Övrigt",
        }
    }

    /// Parses [`Area::name`] or [`Area::swedish`] (case-insensitive).
    pub fn parse(s: &str) -> Option<Area> {
        let s = s.trim().to_lowercase();
        Area::ALL.into_iter().find(|a| a.name() == s || a.swedish().to_lowercase() == s)
    }
}

/// Checks a need by `docs/needs.md` §3, in order.
pub(super) fn check(n: &Need, header: &Header, roster: &Roster) -> Result<(), Error> {
    n.check_alone()?;
    if !roster.members.contains_key(&n.member) {
        return Err(Violation::NotAMember { member: n.member.clone() }.into());
    }
    let author = super::member_of(header, roster);
    if *author != n.member {
        return Err(Violation::MemberNotAuthor { named: n.member.clone(), author: author.clone() }.into());
    }
    Ok(())
}

impl Need {
    /// The rules a need is checked by alone, before anything is signed (`docs/needs.md` §3
    /// rules 1–5): its text fields and date. A form or the CLI calls this to tell the writer
    /// which field to correct.
    pub fn check_alone(&self) -> Result<(), Error> {
        let n = self;
        line("title", &n.title)?;
        pin("title", &n.title)?;
        text("description", &n.description)?;
        text("benefit", &n.benefit)?;
        if let Some(day) = &n.wished {
            Date::parse(day).map_err(|_| crate::plan::Violation::BadDate { field: "wished date" })?;
        }
        line("asker name", &n.asker.name)?;
        pin("asker name", &n.asker.name)?;
        line("asker role", &n.asker.role)?;
        pin("asker role", &n.asker.role)?;
        Ok(())
    }
}

/// Checks a required free-text field: not blank, at most [`MAX_TEXT_BYTES`], no identity number.
pub(super) fn text(field: &'static str, s: &str) -> Result<(), Error> {
    if s.trim().is_empty() {
        return Err(crate::plan::Violation::Empty { field }.into());
    }
    optional_text(field, s)
}

/// Checks an optional free-text field (may be empty): at most [`MAX_TEXT_BYTES`], no identity
/// number.
pub(super) fn optional_text(field: &'static str, s: &str) -> Result<(), Error> {
    if s.len() > MAX_TEXT_BYTES {
        return Err(Violation::TextTooLong { field, len: s.len() }.into());
    }
    pin(field, s)
}

/// Refuses a field holding a personnummer or samordningsnummer.
pub(super) fn pin(field: &'static str, s: &str) -> Result<(), Error> {
    match identity::find(s) {
        None => Ok(()),
        Some(found) => {
            let number = match found.kind {
                NumberKind::Personnummer => "personnummer",
                NumberKind::Samordningsnummer => "samordningsnummer",
            };
            Err(Violation::PersonalIdentityNumber { field, number, at: found.at }.into())
        }
    }
}
