//! The support case body (kind 50): what line 1 reports.

use serde::{Deserialize, Serialize};

use super::{free_text, one_line, Error, Violation};
use crate::charter::MemberId;
use crate::record::{Body, Header, Kind};
use crate::roster::Roster;

/// The body of a support case record (kind 50), raised by a member's objektspecialist (line 1).
/// The case's id is the record's id; its time is the record's claimed time. Fields encode in this
/// order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportCase {
    /// The member the case is raised for: the author's own.
    pub member: MemberId,
    /// What kind of fault or question, one line (e.g. `Inloggning`, `Utskrift`, `Integration`).
    pub category: String,
    /// How urgent, by the SLA table's priorities.
    pub priority: Priority,
    /// One-line title.
    pub title: String,
    /// What happens, what was tried; at most [`super::MAX_MESSAGE_BYTES`], never a personnummer.
    pub description: String,
}

impl Body for SupportCase {
    const KIND: Kind = Kind::SupportCase;
}

/// A case's priority, the rows of the SLA table (WebCare's: kritisk/hög, medel; låg has no
/// clocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// Kritisk/hög: the system or a vital function is down for many.
    High,
    /// Medel: a function is impaired; there is a workaround.
    Medium,
    /// Låg: an inconvenience or a question.
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    /// The API's name: `high`, `medium`, `low`.
    pub fn name(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    /// Parses [`Priority::name`].
    pub fn parse(name: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Checks a case body by `docs/support.md` §3, in order.
pub(super) fn check(c: &SupportCase, header: &Header, roster: &Roster) -> Result<(), Error> {
    check_alone(c)?;
    let author = &roster.keys.get(&header.author).expect("validate found the author's grant").member;
    if &c.member != author {
        return Err(Violation::NotAuthorsMember { named: c.member.clone(), author: author.clone() }.into());
    }
    Ok(())
}

/// Checks the rules of `docs/support.md` §3 that a case body can be checked by alone: what a form
/// or `samverka support open` runs before anything is signed.
pub fn check_alone(c: &SupportCase) -> Result<(), Violation> {
    one_line("category", &c.category)?;
    one_line("title", &c.title)?;
    free_text("description", &c.description)?;
    if c.description.trim().is_empty() {
        return Err(crate::plan::Violation::Empty { field: "description" }.into());
    }
    Ok(())
}
