//! A matter (ärende): what the styrgrupp is asked to decide, its proposal, the papers it rests on
//! and how it is decided (at a meeting or per capsulam).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    Choice, Context, Error, Meeting, Violation, MAX_ALTERNATIVES, MAX_PAPERS, MAX_PAPER_BYTES, MAX_VOTING_WINDOW_DAYS,
};
use crate::agreement::Agreement;
use crate::charter::MatterKind;
use crate::crypto::{Hash, PublicKey};
use crate::needs::Need;
use crate::plan::{CostKey, Plan};
use crate::record::{Body, Kind, RecordId};
use crate::support::SlaTable;

/// The body of a matter record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    /// The kind of matter: picks the decision rule (quorum, majority) from the charter's rules.
    pub kind: MatterKind,
    /// One-line title, e.g. `Förvaltningsplan 2027`.
    pub title: String,
    /// The proposal (förslag till beslut): what a yes adopts.
    pub proposal: String,
    /// The alternatives voted between. Empty: a yes / no / abstain matter. Otherwise two to
    /// [`MAX_ALTERNATIVES`] distinct, non-blank lines, voted by index.
    pub alternatives: Vec<String>,
    /// The papers (underlag) the matter rests on, by content hash.
    pub papers: Vec<PaperRef>,
    /// How the matter is decided.
    pub procedure: Procedure,
    /// The designated closer: the one key whose first closing of this matter is final, and
    /// whose vote receipts a closing must account for. A key that may author a ballot closing
    /// at the matter's roster version (the host's node key, normally).
    pub closer: PublicKey,
    /// The exact record the matter decides on, if any: a plan version (of the kind the matter's
    /// kind adopts), a cost key (on a budget matter), an agreement, a need (`docs/needs.md`) or
    /// an SLA table (on an övrigt matter, `docs/support.md` §8).
    /// A yes/no matter only. When its closing adopts it, that record is *fastställd*
    /// (`docs/plans.md` §7; a need is then beslutad once a step names the closing).
    pub subject: Option<RecordId>,
}

impl Body for Matter {
    const KIND: Kind = Kind::Matter;
}

/// A paper (underlag) a matter rests on: the document's name, size and content hash (see
/// [`super::content_hash`]). The content travels separately as a content-addressed blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperRef {
    /// File name or title, one line.
    pub name: String,
    /// SHA-256 of the content, domain `samverka/v1/paper`.
    pub content_hash: Hash,
    /// Size of the content in bytes, at most [`MAX_PAPER_BYTES`].
    pub size: u64,
}

impl PaperRef {
    /// Names `content` as the paper `name`: its size and content hash.
    pub fn describe(name: &str, content: &[u8]) -> PaperRef {
        PaperRef {
            name: name.into(),
            content_hash: super::content_hash(content),
            size: u64::try_from(content.len()).expect("a length fits in u64"),
        }
    }
}

/// How a matter is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Procedure {
    /// At a meeting (sammanträde). Normally `None`: the meeting's agenda names the matter (a
    /// matter cannot name a meeting that names it). `Some` adds the matter to a meeting already
    /// called, which must then be held.
    Meeting {
        /// The meeting, if already called.
        meeting: Option<RecordId>,
    },
    /// By correspondence (per capsulam): members vote within a window after the matter is
    /// published. The window is for the closer's node; no rule compares it with a clock.
    PerCapsulam {
        /// Days members have to vote, 1 to [`MAX_VOTING_WINDOW_DAYS`].
        voting_window_days: u32,
    },
}

impl Matter {
    /// Whether `choice` is a valid vote on this matter: yes / no / abstain on a matter without
    /// alternatives, an alternative's index or abstain on a matter with them.
    pub fn admits(&self, choice: Choice) -> bool {
        match choice {
            Choice::Abstain => true,
            Choice::Yes | Choice::No => self.alternatives.is_empty(),
            Choice::Alternative(i) => usize::try_from(i).is_ok_and(|i| i < self.alternatives.len()),
        }
    }
}

/// Checks a matter body.
pub(super) fn check(cx: &Context<'_>, m: &Matter) -> Result<(), Error> {
    cx.line("title", &m.title, true)?;
    cx.text("proposal", &m.proposal)?;
    if m.proposal.trim().is_empty() {
        return Err(Violation::Empty { field: "proposal" }.into());
    }
    cx.list("alternatives", m.alternatives.len(), MAX_ALTERNATIVES)?;
    if m.alternatives.len() == 1 {
        return Err(Violation::OneAlternative.into());
    }
    let mut seen = BTreeSet::new();
    for a in &m.alternatives {
        cx.line("alternative", a, true)?;
        if !seen.insert(a.trim()) {
            return Err(Violation::DuplicateAlternative { alternative: a.clone() }.into());
        }
    }
    check_papers(cx, &m.papers)?;
    match m.procedure {
        Procedure::Meeting { meeting: None } => {}
        Procedure::Meeting { meeting: Some(id) } => {
            cx.fetch::<Meeting>(&id)?;
        }
        Procedure::PerCapsulam { voting_window_days: d } if (1..=MAX_VOTING_WINDOW_DAYS).contains(&d) => {}
        Procedure::PerCapsulam { voting_window_days: days } => return Err(Violation::VotingWindow { days }.into()),
    }
    if let Some(id) = m.subject {
        check_subject(cx, m, id)?;
    }
    let may_close = cx.roster.keys.get(&m.closer).is_some_and(|g| (cx.permits)(Kind::BallotClose, g, cx.roster));
    if !may_close {
        return Err(Violation::CloserMayNotClose { key: m.closer }.into());
    }
    Ok(())
}

/// A subject is a held plan of the kind this matter's kind adopts, a cost key on a budget
/// matter, an agreement on an avtalsförlängning, uppsägning av avtal or nytt avtal matter, or a
/// need beyond the plan's frame on a större förändring, investering or övrigt matter, or an SLA
/// table on an övrigt matter; the matter is yes/no.
fn check_subject(cx: &Context<'_>, m: &Matter, id: RecordId) -> Result<(), Error> {
    if !m.alternatives.is_empty() {
        return Err(Violation::SubjectWithAlternatives.into());
    }
    let record = cx.lookup.record(&id).ok_or(Error::MissingDependency { id })?;
    let found = record.header().kind;
    let unreadable = || Violation::UnreadableReference { id };
    let fits = match found {
        Kind::Plan => {
            let plan = record.body().and_then(|b| Plan::from_bytes(b).ok()).ok_or_else(unreadable)?;
            plan.kind.matter_kind() == m.kind
        }
        Kind::CostKey => {
            record.body().and_then(|b| CostKey::from_bytes(b).ok()).ok_or_else(unreadable)?;
            m.kind == MatterKind::Budget
        }
        Kind::Agreement => {
            record.body().and_then(|b| Agreement::from_bytes(b).ok()).ok_or_else(unreadable)?;
            matches!(m.kind, MatterKind::Avtalsforlangning | MatterKind::UppsagningAvAvtal | MatterKind::NyttAvtal)
        }
        Kind::Need => {
            record.body().and_then(|b| Need::from_bytes(b).ok()).ok_or_else(unreadable)?;
            matches!(m.kind, MatterKind::StorreForandring | MatterKind::Investering | MatterKind::Ovrigt)
        }
        Kind::SlaTable => {
            record.body().and_then(|b| SlaTable::from_bytes(b).ok()).ok_or_else(unreadable)?;
            m.kind == MatterKind::Ovrigt
        }
        _ => return Err(Violation::WrongKind { id, found, expected: Kind::Plan }.into()),
    };
    if !fits {
        return Err(Violation::SubjectKindMismatch { subject: id, found: found.name() }.into());
    }
    Ok(())
}

fn check_papers(cx: &Context<'_>, papers: &[PaperRef]) -> Result<(), Error> {
    cx.list("papers", papers.len(), MAX_PAPERS)?;
    let mut names = BTreeSet::new();
    for p in papers {
        cx.line("paper name", &p.name, true)?;
        if !names.insert(p.name.as_str()) {
            return Err(Violation::DuplicatePaper { name: p.name.clone() }.into());
        }
        if p.size > MAX_PAPER_BYTES {
            return Err(Violation::PaperTooLarge { size: p.size }.into());
        }
    }
    Ok(())
}
