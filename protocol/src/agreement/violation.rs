//! Why an agreement or agreement signature record is refused: one [`Violation`] variant per rule
//! of `docs/agreements.md` §3–§4, each with a stable [`Violation::code`], and the [`Error`] the
//! rules return. `crate::validate` maps these into its `Rejection`; this module imports nothing
//! from it.

use crate::charter::MemberId;
use crate::plan;

/// What an agreement rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

crate::rule::shares_plan_field_rules!(Violation);

/// An agreement rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A field rule shared with plans (one line, not blank, a list within its limit, a date,
    /// a referenced record of the right kind): `docs/plans.md`'s code is kept.
    #[error("{0}")]
    Field(plan::Violation),
    /// Fewer than two parties.
    #[error("an agreement has at least two parties")]
    TooFewParties,
    /// No party is a member of the federation, so no one could sign it here.
    #[error("at least one party is a member of the federation")]
    NoMemberParty,
    /// A party is named twice (the same member, or the same organisationsnummer).
    #[error("the party {party} is named twice")]
    DuplicateParty {
        /// The member id or organisationsnummer.
        party: String,
    },
    /// A member party is not a member at the roster version the record names.
    #[error("{member} is not a member of the federation")]
    NotAMember {
        /// The member named.
        member: MemberId,
    },
    /// An outside party's number is not an organisationsnummer `NNNNNN-NNNN` with a valid check
    /// digit. The number is not repeated: a mistyped one may be a person's.
    #[error("an outside party's organisationsnummer is not NNNNNN-NNNN with a valid check digit")]
    BadOrganisationsnummer,
    /// An outside party's number is a personnummer (its third digit, the month's first, is 0 or
    /// 1): an agreement never holds one, and the refusal does not repeat it.
    #[error("an outside party's number is a personnummer, not an organisationsnummer; an agreement never holds a personnummer")]
    Personnummer,
    /// The end date is before the start date.
    #[error("the agreement ends on {end}, before it starts on {start}")]
    EndsBeforeStart {
        /// The start date.
        start: String,
        /// The end date.
        end: String,
    },
    /// The notice period is outside 1 ..= [`super::MAX_NOTICE_MONTHS`] months.
    #[error("a notice period of {months} months is not between 1 and {}", super::MAX_NOTICE_MONTHS)]
    NoticeMonths {
        /// The months given.
        months: u8,
    },
    /// Two annexes have one name.
    #[error("the annex {name:?} is named twice")]
    DuplicateAnnex {
        /// The name.
        name: String,
    },
    /// An annex is larger than a paper may be.
    #[error("an annex of {size} bytes is larger than {}", crate::governance::MAX_PAPER_BYTES)]
    AnnexTooLarge {
        /// Its size.
        size: u64,
    },
    /// A signature names a party index the agreement does not have.
    #[error("the agreement has {parties} parties; there is no party {party}")]
    UnknownParty {
        /// The index named.
        party: u16,
        /// How many parties the agreement has.
        parties: usize,
    },
    /// A signature for a member party by another member's key.
    #[error("a key of {author} signs for the party {party}")]
    SignedForOtherParty {
        /// The party's member.
        party: MemberId,
        /// The author's member.
        author: MemberId,
    },
    /// An outside party's act recorded by a key of a member that is not a party.
    #[error("{author} is not a party to the agreement and may not record an outside party's act")]
    RecorderNotAParty {
        /// The author's member.
        author: MemberId,
    },
    /// An outside party's act without the paper original it was signed on.
    #[error("an outside party's act is recorded with its signed paper original")]
    MissingOriginal,
    /// A withdrawal (utträde) for an outside party: only a member withdraws.
    #[error("only a member party withdraws (utträde); an outside party gives notice")]
    OutsideWithdrawal,
    /// A notice's or withdrawal's date is more than [`super::MAX_GIVEN_SKEW_DAYS`] from the
    /// record's claimed time.
    #[error("the act is dated {given}, but the record claims {claimed}")]
    GivenNotClaimedDay {
        /// The date in the body.
        given: String,
        /// The UTC date of the record's claimed time.
        claimed: String,
    },
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/agreements.md`). A shared
    /// field rule answers with `docs/plans.md`'s code.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Field(v) => v.code(),
            Violation::TooFewParties => "too_few_parties",
            Violation::NoMemberParty => "no_member_party",
            Violation::DuplicateParty { .. } => "duplicate_party",
            Violation::NotAMember { .. } => "not_a_member",
            Violation::BadOrganisationsnummer => "bad_organisationsnummer",
            Violation::Personnummer => "personnummer_refused",
            Violation::EndsBeforeStart { .. } => "ends_before_start",
            Violation::NoticeMonths { .. } => "notice_months_out_of_range",
            Violation::DuplicateAnnex { .. } => "duplicate_annex",
            Violation::AnnexTooLarge { .. } => "annex_too_large",
            Violation::UnknownParty { .. } => "unknown_party",
            Violation::SignedForOtherParty { .. } => "signed_for_other_party",
            Violation::RecorderNotAParty { .. } => "recorder_not_a_party",
            Violation::MissingOriginal => "missing_original",
            Violation::OutsideWithdrawal => "outside_withdrawal",
            Violation::GivenNotClaimedDay { .. } => "given_not_claimed_day",
        }
    }
}
