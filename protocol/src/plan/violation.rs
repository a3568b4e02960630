//! Why a plan, plan receipt, cost key or utfall record is refused: one [`Violation`] variant per rule of
//! `docs/plans.md` §3–§5, each with a stable [`Violation::code`], and the [`Error`] the rules
//! return. `crate::validate` maps these into its `Rejection`; this module imports nothing from it.

use crate::record::{Kind, RecordId};

/// What a plan rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

impl From<Violation> for Error {
    fn from(v: Violation) -> Error {
        Error::Violation(v)
    }
}

/// A plan rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A one-line field is longer than [`super::MAX_LINE_BYTES`].
    #[error("the {field} is {len} bytes, more than {}", super::MAX_LINE_BYTES)]
    LineTooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A one-line field holds a line break.
    #[error("the {field} is one line")]
    NotOneLine {
        /// The field.
        field: &'static str,
    },
    /// A required field or list is blank or empty.
    #[error("the {field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A list is longer than its limit.
    #[error("{len} {field}, more than {max}")]
    TooMany {
        /// The list.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A date field is not a date `YYYY-MM-DD`.
    #[error("the {field} is not a date YYYY-MM-DD")]
    BadDate {
        /// The field.
        field: &'static str,
    },
    /// The period ends before it starts.
    #[error("the period ends on {last}, before it starts on {first}")]
    PeriodReversed {
        /// The first day.
        first: String,
        /// The last day.
        last: String,
    },
    /// Days per full-time equivalent outside 1 ..= [`super::MAX_DAYS_PER_FTE`].
    #[error("{days} days per full-time equivalent, not between 1 and {}", super::MAX_DAYS_PER_FTE)]
    DaysPerFte {
        /// The value.
        days: u32,
    },
    /// A day rate over [`super::MAX_DAY_RATE_ORE`].
    #[error("a day rate of {ore} öre is more than {}", super::MAX_DAY_RATE_ORE)]
    DayRateTooLarge {
        /// The rate, in öre.
        ore: u64,
    },
    /// A list that belongs to another kind of plan is not empty.
    #[error("a {kind} holds no {field}")]
    FieldNotForKind {
        /// The list.
        field: &'static str,
        /// The plan's kind.
        kind: &'static str,
    },
    /// Two activities have one name.
    #[error("the activity {name:?} is named twice")]
    DuplicateActivity {
        /// The name.
        name: String,
    },
    /// Two budget lines have one name.
    #[error("the budget line {name:?} is named twice")]
    DuplicateBudgetLine {
        /// The name.
        name: String,
    },
    /// A VU goal's priority is outside 1 ..= [`super::MAX_PRIORITY`].
    #[error("priority {priority} is not between 1 and {}", super::MAX_PRIORITY)]
    PriorityOutOfRange {
        /// The priority.
        priority: u8,
    },
    /// More person-days on one side of one line than [`super::MAX_PERSON_DAYS`].
    #[error("{days} person-days on one line, more than {}", super::MAX_PERSON_DAYS)]
    PersonDaysTooLarge {
        /// The person-days.
        days: super::Days,
    },
    /// An amount on one line over [`super::MAX_LINE_ORE`].
    #[error("{ore} öre on one line, more than {}", super::MAX_LINE_ORE)]
    AmountTooLarge {
        /// The amount.
        ore: u64,
    },
    /// A referenced record is held but of another kind.
    #[error("record {id} is a {} record, not a {}", found.name(), expected.name())]
    WrongKind {
        /// The record named.
        id: RecordId,
        /// Its kind.
        found: Kind,
        /// The kind the rule needs.
        expected: Kind,
    },
    /// A referenced record is held without a readable body.
    #[error("record {id} has no readable body")]
    UnreadableReference {
        /// The record named.
        id: RecordId,
    },
    /// A plan supersedes a plan of another kind.
    #[error("the plan supersedes {id}, which is a {found}, not a plan of its own kind")]
    SupersedesOtherKind {
        /// The plan named.
        id: RecordId,
        /// Its kind.
        found: &'static str,
    },
    /// A cost key's year is outside 2000 ..= 9999.
    #[error("the year {year} is not between 2000 and 9999")]
    BadYear {
        /// The year.
        year: u16,
    },
    /// A cost key names a member that is not a member at the roster version named.
    #[error("{member} is not a member of the federation")]
    NotAMember {
        /// The member named.
        member: String,
    },
    /// A cost key supersedes a key for another year.
    #[error("the key supersedes {id}, a key for {found}, not for its own year")]
    SupersedesOtherYear {
        /// The key named.
        id: RecordId,
        /// That key's year.
        found: u16,
    },
    /// An utfall's quarter is outside 1 ..= 4.
    #[error("quarter {quarter} is not between 1 and 4")]
    QuarterOutOfRange {
        /// The quarter.
        quarter: u8,
    },
    /// Two lines of one utfall name one activity or budget line.
    #[error("the utfall names {name:?} twice")]
    DuplicateOutcomeLine {
        /// The name.
        name: String,
    },
    /// An utfall follows up a plan of a kind that has no activities or budget lines.
    #[error("a {kind} is not followed up by utfall; follow up its förvaltningsplan or budget")]
    NotFollowedUp {
        /// The plan's kind.
        kind: &'static str,
    },
    /// An utfall's quarter does not overlap the plan's period.
    #[error("quarter {quarter} of {year} is outside the plan's period")]
    QuarterOutsidePeriod {
        /// The year.
        year: u16,
        /// The quarter.
        quarter: u8,
    },
    /// An utfall line names no activity (or budget line) of the plan.
    #[error("the plan has no activity or budget line {name:?}")]
    NotInPlan {
        /// The name.
        name: String,
    },
    /// An utfall puts an IT-nära amount on a budget line, which has one side.
    #[error("the budget line {name:?} has one amount: put it all on the verksamhetsnära side")]
    SideNotInPlan {
        /// The line.
        name: String,
    },
    /// A cost key does not hold together (`docs/cost.md` §3): the inner violation's code is kept.
    #[error("{0}")]
    Key(crate::cost::Violation),
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/plans.md`). A cost key's
    /// own violation answers with `docs/cost.md`'s code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::LineTooLong { .. } => "line_too_long",
            Violation::NotOneLine { .. } => "not_one_line",
            Violation::Empty { .. } => "empty_field",
            Violation::TooMany { .. } => "too_many",
            Violation::BadDate { .. } => "bad_date",
            Violation::PeriodReversed { .. } => "period_reversed",
            Violation::DaysPerFte { .. } => "days_per_fte_out_of_range",
            Violation::DayRateTooLarge { .. } => "day_rate_too_large",
            Violation::FieldNotForKind { .. } => "field_not_for_kind",
            Violation::DuplicateActivity { .. } => "duplicate_activity",
            Violation::DuplicateBudgetLine { .. } => "duplicate_budget_line",
            Violation::PriorityOutOfRange { .. } => "priority_out_of_range",
            Violation::PersonDaysTooLarge { .. } => "person_days_too_large",
            Violation::AmountTooLarge { .. } => "amount_too_large",
            Violation::WrongKind { .. } => "wrong_kind_referenced",
            Violation::UnreadableReference { .. } => "unreadable_reference",
            Violation::SupersedesOtherKind { .. } => "supersedes_other_kind",
            Violation::BadYear { .. } => "bad_year",
            Violation::NotAMember { .. } => "not_a_member",
            Violation::SupersedesOtherYear { .. } => "supersedes_other_year",
            Violation::QuarterOutOfRange { .. } => "quarter_out_of_range",
            Violation::DuplicateOutcomeLine { .. } => "duplicate_outcome_line",
            Violation::NotFollowedUp { .. } => "not_followed_up",
            Violation::QuarterOutsidePeriod { .. } => "quarter_outside_period",
            Violation::NotInPlan { .. } => "not_in_plan",
            Violation::SideNotInPlan { .. } => "side_not_in_plan",
            Violation::Key(v) => v.code(),
        }
    }
}
