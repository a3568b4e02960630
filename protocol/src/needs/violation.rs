//! Why a need or need-update record is refused: one [`Violation`] variant per rule of
//! `docs/needs.md` §3–§4, each with a stable [`Violation::code`], and the [`Error`] the rules
//! return. `crate::validate` maps these into its `Rejection`; this module imports nothing from it.

use crate::charter::MemberId;
use crate::plan;
use crate::record::RecordId;

use super::State;

/// What a need rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

crate::rule::shares_plan_field_rules!(Violation);

/// A need rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A field rule shared with plans (one line, not blank, a list within its limit, a date, a
    /// referenced record of the right kind): `docs/plans.md`'s code is kept.
    #[error("{0}")]
    Field(plan::Violation),
    /// A free-text field is longer than [`super::MAX_TEXT_BYTES`].
    #[error("the {field} is {len} bytes, more than {}", super::MAX_TEXT_BYTES)]
    TextTooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A free-text field holds a personnummer or samordningsnummer ([`crate::identity::find`]).
    /// The number is not repeated.
    #[error(
        "the {field} holds a {number} at character {at}; remove it — a need never holds a person's identity number"
    )]
    PersonalIdentityNumber {
        /// The field.
        field: &'static str,
        /// `personnummer` or `samordningsnummer`.
        number: &'static str,
        /// Where it starts, in characters from 0.
        at: usize,
    },
    /// The need's member is not the author's member.
    #[error("the need names member {named}, but its author's key belongs to {author}")]
    MemberNotAuthor {
        /// The member the body names.
        named: MemberId,
        /// The author's member.
        author: MemberId,
    },
    /// The need's member is not a member of the federation at the roster version named.
    #[error("{member} is not a member of the federation")]
    NotAMember {
        /// The member named.
        member: MemberId,
    },
    /// A member endorses a need its own member registered.
    #[error("{member} registered this need; only another member endorses it")]
    OwnNeedEndorsed {
        /// The author's member.
        member: MemberId,
    },
    /// A ranking names one need twice.
    #[error("the ranking names the need {need} twice")]
    DuplicateRanked {
        /// The need named twice.
        need: RecordId,
    },
    /// A step follows a record that is not the need and not a step of it.
    #[error("the step follows {follows}, which is neither the need nor a step on it")]
    FollowsOtherRecord {
        /// The record followed.
        follows: RecordId,
    },
    /// A step the path does not allow from the state it follows.
    #[error("a need that is {} cannot become {}", from.swedish(), to.swedish())]
    StepNotAllowed {
        /// The state of the record followed.
        from: State,
        /// The state the step leads to.
        to: State,
    },
    /// A step only the förvaltningsgrupp (the host's förvaltare) takes, by another key.
    #[error("only the förvaltningsgrupp (a förvaltare of the host) may make a need {}", to.swedish())]
    NotForvaltningsgrupp {
        /// The state the step leads to.
        to: State,
    },
    /// A withdrawal (återkallad) by a key of another member than the one that registered it.
    #[error("only {registered}, which registered the need, may withdraw it; the author belongs to {author}")]
    WithdrawnByOtherMember {
        /// The need's member.
        registered: MemberId,
        /// The author's member.
        author: MemberId,
    },
    /// A cost estimate above [`super::MAX_COST_ORE`].
    #[error("a cost estimate of {ore} öre is more than {}", super::MAX_COST_ORE)]
    CostTooLarge {
        /// The estimate.
        ore: u64,
    },
    /// A styrgrupp decision names a closing of a matter whose subject is not this need.
    #[error("the matter {matter} that the closing decides is not about this need")]
    MatterNotAboutNeed {
        /// The matter.
        matter: RecordId,
    },
    /// A styrgrupp decision names a closing that did not adopt the matter.
    #[error("the closing {closing} did not adopt the matter; the need is not beslutad by it")]
    NotAdopted {
        /// The closing.
        closing: RecordId,
    },
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/needs.md`). A shared field
    /// rule answers with `docs/plans.md`'s code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Field(v) => v.code(),
            Violation::TextTooLong { .. } => "text_too_long",
            Violation::PersonalIdentityNumber { .. } => "personal_identity_number",
            Violation::MemberNotAuthor { .. } => "member_not_author",
            Violation::NotAMember { .. } => "not_a_member",
            Violation::OwnNeedEndorsed { .. } => "own_need_endorsed",
            Violation::DuplicateRanked { .. } => "duplicate_ranked_need",
            Violation::FollowsOtherRecord { .. } => "follows_other_record",
            Violation::StepNotAllowed { .. } => "step_not_allowed",
            Violation::NotForvaltningsgrupp { .. } => "not_forvaltningsgrupp",
            Violation::WithdrawnByOtherMember { .. } => "withdrawn_by_other_member",
            Violation::CostTooLarge { .. } => "cost_too_large",
            Violation::MatterNotAboutNeed { .. } => "matter_not_about_need",
            Violation::NotAdopted { .. } => "not_adopted",
        }
    }

    /// The field a person must change, for a form to point at it (`None` when the rule is not
    /// about one field).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Violation::TextTooLong { field, .. } | Violation::PersonalIdentityNumber { field, .. } => Some(field),
            Violation::CostTooLarge { .. } => Some("cost estimate"),
            _ => None,
        }
    }
}
