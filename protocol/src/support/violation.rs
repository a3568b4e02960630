//! Why a support case, support event or SLA table record is refused: one [`Violation`] variant
//! per rule of `docs/support.md` §3–§4 and §8, each with a stable [`Violation::code`], and the [`Error`] the rules
//! return. `crate::validate` maps these into its `Rejection`; this module imports nothing from it.

use super::{ClockKind, Priority, Stage, MAX_MESSAGE_BYTES, MAX_STATE_EVENTS, MAX_TARGET_MIN};
use crate::charter::MemberId;
use crate::plan;
use crate::record::RecordId;

/// What a support rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

crate::rule::shares_plan_field_rules!(Violation);

/// A support rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A field rule shared with plans (one line, not blank, a referenced record of the right
    /// kind): `docs/plans.md`'s code is kept.
    #[error("{0}")]
    Field(plan::Violation),
    /// A free-text field holds a personnummer or samordningsnummer. The number is not repeated.
    #[error("the field {field} holds a personnummer or samordningsnummer at character {at}; remove it — a support case never carries one")]
    PersonalIdentityNumber {
        /// The field.
        field: &'static str,
        /// Where in the field, counted in characters from 0.
        at: usize,
    },
    /// A free-text field is longer than [`MAX_MESSAGE_BYTES`].
    #[error("the field {field} is {len} bytes, more than {MAX_MESSAGE_BYTES}")]
    TextTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// A case names a member other than its author's.
    #[error("a case is raised for the author's own member {author}, not {named}")]
    NotAuthorsMember {
        /// The member the body names.
        named: MemberId,
        /// The author's member.
        author: MemberId,
    },
    /// An event follows an event of another case.
    #[error("the event follows {after}, which is an event of another case")]
    OtherCase {
        /// The event named as predecessor.
        after: RecordId,
    },
    /// An event follows a message or an information note: a step follows the case or a state
    /// event.
    #[error("an event follows the case or a state event, not the note {after}")]
    FollowsNote {
        /// The note named as predecessor.
        after: RecordId,
    },
    /// The event claims a time before the record it follows.
    #[error("the event claims a time before the record it follows")]
    TimeBeforePredecessor,
    /// The case already has [`MAX_STATE_EVENTS`] state events in this chain.
    #[error("the case has {MAX_STATE_EVENTS} state events already; open a new case")]
    TooManyEvents,
    /// The step is not allowed from the case's state (the table in `docs/support.md` §4).
    #[error("{action} is not allowed while the case is {}{}", stage.name(), if *paused { " (paused)" } else { "" })]
    NotAllowedInState {
        /// The step ([`super::Action::name`]).
        action: &'static str,
        /// The case's stage.
        stage: Stage,
        /// Whether the case is paused.
        paused: bool,
    },
    /// The author is not on a line allowed to take this step: line 1 is the case member's
    /// objektspecialist, line 2 the host's förvaltare.
    #[error("{action} is taken by {}, and the author is not", if *line_two { "the förvaltningsgrupp (line 2)" } else { "the case's member's objektspecialist (line 1)" })]
    WrongLine {
        /// The step ([`super::Action::name`]).
        action: &'static str,
        /// Whether the step is line 2's (else line 1's).
        line_two: bool,
    },
    /// A step whose text says something (a message, a pause, information) has a blank text.
    #[error("{action} needs a text")]
    EmptyText {
        /// The step ([`super::Action::name`]).
        action: &'static str,
    },
    /// An SLA table sets no targets for any priority.
    #[error("an SLA table sets the targets of at least one priority")]
    EmptySlaTable,
    /// An SLA target is zero or negative minutes.
    #[error("the {} target of priority {} is {minutes} minutes; a target is at least one minute", clock.name(), priority.name())]
    TargetNotPositive {
        /// The priority's row.
        priority: Priority,
        /// The clock.
        clock: ClockKind,
        /// The minutes given.
        minutes: i64,
    },
    /// An SLA target is longer than [`MAX_TARGET_MIN`].
    #[error("the {} target of priority {} is {minutes} minutes, more than {MAX_TARGET_MIN} (a year)", clock.name(), priority.name())]
    TargetTooLong {
        /// The priority's row.
        priority: Priority,
        /// The clock.
        clock: ClockKind,
        /// The minutes given.
        minutes: i64,
    },
    /// The start-of-repair or information target is longer than the row's maximum downtime.
    #[error("the {} target of priority {} is longer than its maximum downtime", clock.name(), priority.name())]
    TargetBeyondDowntime {
        /// The priority's row.
        priority: Priority,
        /// The clock (start or inform).
        clock: ClockKind,
    },
    /// An SLA table applies from an earlier day than the table it replaces.
    #[error("the table applies from an earlier day than the table {replaced} it replaces")]
    FromBeforeReplaced {
        /// The table replaced.
        replaced: RecordId,
    },
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/support.md`). A shared field
    /// rule answers with `docs/plans.md`'s code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Field(v) => v.code(),
            Violation::PersonalIdentityNumber { .. } => "personal_identity_number",
            Violation::TextTooLong { .. } => "text_too_long",
            Violation::NotAuthorsMember { .. } => "not_authors_member",
            Violation::OtherCase { .. } => "event_of_other_case",
            Violation::FollowsNote { .. } => "follows_note",
            Violation::TimeBeforePredecessor => "time_before_predecessor",
            Violation::TooManyEvents => "too_many_events",
            Violation::NotAllowedInState { .. } => "not_allowed_in_state",
            Violation::WrongLine { .. } => "wrong_line",
            Violation::EmptyText { .. } => "empty_text",
            Violation::EmptySlaTable => "empty_sla_table",
            Violation::TargetNotPositive { .. } => "target_not_positive",
            Violation::TargetTooLong { .. } => "target_too_long",
            Violation::TargetBeyondDowntime { .. } => "target_beyond_downtime",
            Violation::FromBeforeReplaced { .. } => "from_before_replaced",
        }
    }
}
