//! Why an outage notice or acknowledgement record is refused: one [`Violation`] variant per rule
//! of `docs/outages.md` §3, each with a stable [`Violation::code`], and the [`Error`] the rules
//! return. `crate::validate` maps these into its `Rejection`; this module imports nothing from
//! it.

use crate::plan;
use crate::record::RecordId;

/// What an outage rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

crate::rule::shares_plan_field_rules!(Violation);

/// An outage rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A field rule shared with plans (one line, not blank, a list within its limit, a
    /// referenced record of the right kind): `docs/plans.md`'s code is kept.
    #[error("{0}")]
    Field(plan::Violation),
    /// A free-text field holds a personnummer or samordningsnummer. The number is not repeated.
    #[error(
        "the {field} holds a personal identity number at character {at}; remove it — an outage notice never holds one"
    )]
    PersonalIdentityNumber {
        /// The field.
        field: &'static str,
        /// Where, in characters from 0.
        at: usize,
    },
    /// A text is longer than [`super::MAX_TEXT_BYTES`].
    #[error("the {field} is {len} bytes, more than {}", super::MAX_TEXT_BYTES)]
    TextTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// A notice names no affected part.
    #[error("a notice names at least one affected part")]
    NoAffectedPart,
    /// A time is before 1970 or after year 9999.
    #[error("the {field} {ms} is not a time between 1970 and year 9999 (ms since the epoch)")]
    TimeOutOfRange {
        /// The field.
        field: &'static str,
        /// The value.
        ms: i64,
    },
    /// The expected end is before the start.
    #[error("the expected end {end_ms} is before the start {start_ms}")]
    EndsBeforeStart {
        /// The notice's start.
        start_ms: i64,
        /// The expected end.
        end_ms: i64,
    },
    /// An update, all-clear or acknowledgement names an update or all-clear, not a notice.
    #[error("record {id} is an outage {act}, not a notice; name the notice itself")]
    NotANotice {
        /// The record named.
        id: RecordId,
        /// What it is (`update`, `clear`).
        act: &'static str,
    },
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/outages.md`). A shared
    /// field rule answers with `docs/plans.md`'s code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Field(v) => v.code(),
            Violation::PersonalIdentityNumber { .. } => "personal_identity_number",
            Violation::TextTooLong { .. } => "text_too_long",
            Violation::NoAffectedPart => "no_affected_part",
            Violation::TimeOutOfRange { .. } => "time_out_of_range",
            Violation::EndsBeforeStart { .. } => "ends_before_start",
            Violation::NotANotice { .. } => "not_a_notice",
        }
    }
}
