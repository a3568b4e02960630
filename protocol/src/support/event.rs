//! The support event body (kind 52) and the case's state machine: which step may follow which
//! state, and which line may take it (`docs/support.md` §4).

use serde::{Deserialize, Serialize};

use super::{free_text, one_line, Error, SupportCase, Violation, MAX_STATE_EVENTS};
use crate::charter::Role;
use crate::plan::fetch;
use crate::record::{Body, Header, Kind, Lookup, RecordId};
use crate::roster::Roster;

/// The body of a support event record (kind 52). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportEvent {
    /// The case (a support case record).
    pub case: RecordId,
    /// The record this step follows: the case itself, or the last *state* event its author saw
    /// (never a message or an information note). The step is judged against the state this
    /// chain gives.
    pub after: RecordId,
    /// The step.
    pub action: Action,
    /// The message, what the reporter is asked for, the information given, or a comment; at most
    /// [`super::MAX_MESSAGE_BYTES`], never a personnummer. Required for a message, a pause and
    /// information.
    pub text: String,
}

impl Body for SupportEvent {
    const KIND: Kind = Kind::SupportEvent;
}

/// A step on a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Line 1 escalates the case to the förvaltningsgrupp: the SLA clocks start.
    Escalate,
    /// Line 2 starts work (påbörjad felrättning): the start-of-repair clock stops.
    Start,
    /// Line 2 escalates to the vendor (line 3), with the vendor's case reference.
    Vendor {
        /// The vendor's reference, one line.
        reference: String,
    },
    /// A message between the lines; changes nothing.
    Message,
    /// Line 2 informs the members (information kommunicerad): the information clock stops.
    Inform,
    /// Line 2 pauses the case, waiting for the reporter (väntar på anmälaren): the clocks stop.
    Pause,
    /// The reporter answers (line 1) or line 2 resumes: the clocks run again.
    Resume,
    /// The fault is resolved (återställd): the downtime clock stops. Line 1 may resolve a case
    /// it never escalated.
    Resolve,
    /// Line 1 confirms and closes a resolved case.
    Close,
}

impl Action {
    /// The API's name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Escalate => "escalate",
            Action::Start => "start",
            Action::Vendor { .. } => "vendor",
            Action::Message => "message",
            Action::Inform => "inform",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Resolve => "resolve",
            Action::Close => "close",
        }
    }

    /// Whether the step changes the case's state (a *state event*); messages and information
    /// are *notes*, which nothing follows.
    pub fn is_state(&self) -> bool {
        !matches!(self, Action::Message | Action::Inform)
    }

    /// Whether the step needs a text.
    pub fn needs_text(&self) -> bool {
        matches!(self, Action::Message | Action::Inform | Action::Pause)
    }
}

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    /// Raised at line 1 (registrerat).
    Registered,
    /// With the förvaltningsgrupp, work not started (eskalerat).
    Escalated,
    /// Line 2 works on it (påbörjat).
    Started,
    /// With the vendor (hos leverantören).
    Vendor,
    /// Resolved (åtgärdat), awaiting line 1's confirmation.
    Resolved,
    /// Closed (stängt).
    Closed,
}

impl Stage {
    /// The API's name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Registered => "registered",
            Stage::Escalated => "escalated",
            Stage::Started => "started",
            Stage::Vendor => "vendor",
            Stage::Resolved => "resolved",
            Stage::Closed => "closed",
        }
    }

    /// Whether the case is with line 2 or 3: the stages the SLA clocks run in.
    pub fn is_with_forvaltning(self) -> bool {
        matches!(self, Stage::Escalated | Stage::Started | Stage::Vendor)
    }
}

/// A support line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Line {
    /// The case member's objektspecialist.
    One,
    /// The förvaltningsgrupp: the host's förvaltare.
    Two,
}

/// A case's state: its stage and whether it is paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct State {
    /// Where it stands.
    pub stage: Stage,
    /// Waiting for the reporter (väntar på anmälaren).
    pub paused: bool,
}

impl State {
    /// A case just raised.
    pub const OPEN: State = State { stage: Stage::Registered, paused: false };

    /// The state after `action`, or `None` when the step is not allowed here (the table of
    /// `docs/support.md` §4). A note leaves the state as it is.
    pub fn after(self, action: &Action) -> Option<State> {
        let State { stage, paused } = self;
        let with_two = stage.is_with_forvaltning();
        let to = |stage| Some(State { stage, paused: false });
        match action {
            Action::Escalate if stage == Stage::Registered => to(Stage::Escalated),
            Action::Start if stage == Stage::Escalated && !paused => to(Stage::Started),
            Action::Vendor { .. } if stage == Stage::Started && !paused => to(Stage::Vendor),
            Action::Pause if with_two && !paused => Some(State { stage, paused: true }),
            Action::Resume if paused => Some(State { stage, paused: false }),
            Action::Resolve if stage == Stage::Registered || with_two => to(Stage::Resolved),
            Action::Close if stage == Stage::Resolved => to(Stage::Closed),
            Action::Message if stage != Stage::Closed => Some(self),
            Action::Inform if with_two => Some(self),
            _ => None,
        }
    }

    /// The lines that may take `action` from this state.
    pub fn lines(self, action: &Action) -> &'static [Line] {
        match action {
            Action::Escalate | Action::Close => &[Line::One],
            Action::Resolve if self.stage == Stage::Registered => &[Line::One],
            Action::Start | Action::Vendor { .. } | Action::Inform | Action::Pause | Action::Resolve => &[Line::Two],
            Action::Message | Action::Resume => &[Line::One, Line::Two],
        }
    }
}

/// Checks an event's text fields by `docs/support.md` §4 alone (what a form or the CLI runs
/// before anything is signed).
pub fn check_text_alone(action: &Action, text: &str) -> Result<(), Violation> {
    if let Action::Vendor { reference } = action {
        one_line("reference", reference)?;
    }
    free_text("text", text)?;
    if action.needs_text() && text.trim().is_empty() {
        return Err(Violation::EmptyText { action: action.name() });
    }
    Ok(())
}

/// Checks a support event by `docs/support.md` §4, in order. The author's role was checked by
/// `validate` before.
pub(super) fn check(e: &SupportEvent, header: &Header, roster: &Roster, lookup: &dyn Lookup) -> Result<(), Error> {
    check_text_alone(&e.action, &e.text)?;
    let (case_record, case) = fetch::<SupportCase>(lookup, &e.case)?;
    let (state, depth, before_ms) = match walk(e, lookup)? {
        Some(walked) => walked,
        None => (State::OPEN, 0, case_record.header().time_ms),
    };
    if header.time_ms < before_ms {
        return Err(Violation::TimeBeforePredecessor.into());
    }
    if e.action.is_state() && depth >= MAX_STATE_EVENTS {
        return Err(Violation::TooManyEvents.into());
    }
    let not_allowed =
        || Violation::NotAllowedInState { action: e.action.name(), stage: state.stage, paused: state.paused };
    state.after(&e.action).ok_or_else(not_allowed)?;
    let grant = roster.keys.get(&header.author).expect("validate found the author's grant");
    let on = |line: Line| match line {
        Line::One => grant.member == case.member && grant.kind.has_role(Role::Objektspecialist),
        Line::Two => grant.member == roster.host && grant.kind.has_role(Role::Forvaltare),
    };
    let lines = state.lines(&e.action);
    if !lines.iter().any(|l| on(*l)) {
        return Err(Violation::WrongLine { action: e.action.name(), line_two: lines == [Line::Two] }.into());
    }
    Ok(())
}

/// Walks the chain of state events from `e.after` back to the case: the state it gives, its
/// length and the claimed time of the record `e` follows; `None` when `e` follows the case.
fn walk(e: &SupportEvent, lookup: &dyn Lookup) -> Result<Option<(State, usize, i64)>, Error> {
    let mut actions = Vec::new();
    let mut before_ms = None;
    let mut at = e.after;
    while at != e.case {
        if actions.len() >= MAX_STATE_EVENTS {
            return Err(Violation::TooManyEvents.into());
        }
        let (record, event) = fetch::<SupportEvent>(lookup, &at)?;
        if event.case != e.case {
            return Err(Violation::OtherCase { after: at }.into());
        }
        if !event.action.is_state() {
            return Err(Violation::FollowsNote { after: at }.into());
        }
        before_ms.get_or_insert(record.header().time_ms);
        actions.push(event.action);
        at = event.after;
    }
    let Some(before_ms) = before_ms else { return Ok(None) };
    // Every event held was judged by this same walk, so each step is allowed from the last.
    let state = actions.iter().rev().fold(State::OPEN, |s, a| s.after(a).unwrap_or(s));
    Ok(Some((state, actions.len(), before_ms)))
}
