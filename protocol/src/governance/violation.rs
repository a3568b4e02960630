//! Why a governance record is refused: one [`Violation`] variant per rule of
//! `docs/governance.md` §2, each with a stable [`Violation::code`], and the [`Error`] the rules
//! return (a violation, a dependency not held yet, or a body that does not decode).
//!
//! `crate::validate` maps these into its `Rejection`; this module imports nothing from it.

use super::{Choice, Decision, Diarienummer, Excluded};
use crate::crypto::PublicKey;
use crate::record::{Kind, RecordId};

/// What a governance rule can answer besides "valid".
pub type Error = crate::rule::Error<Violation>;

impl From<Violation> for Error {
    fn from(v: Violation) -> Error {
        Error::Violation(v)
    }
}

/// A governance rule the body breaks. Each variant is one rule; [`Violation::code`] names it.
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
    /// A required field is blank (or a required list is empty).
    #[error("the {field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A list is longer than its kind allows.
    #[error("{len} {field}, more than {max}")]
    TooMany {
        /// The list.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
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
    /// A referenced record is held without its body (redacted), or its body does not decode.
    #[error("record {id} has no readable body")]
    UnreadableReference {
        /// The record named.
        id: RecordId,
    },
    /// A matter offers exactly one alternative.
    #[error("a matter has no alternatives or at least two")]
    OneAlternative,
    /// Two alternatives are equal after trimming.
    #[error("the alternative {alternative:?} is given twice")]
    DuplicateAlternative {
        /// The repeated alternative.
        alternative: String,
    },
    /// Two papers of one matter have one name.
    #[error("the paper {name:?} is listed twice")]
    DuplicatePaper {
        /// The repeated name.
        name: String,
    },
    /// A paper is larger than [`super::MAX_PAPER_BYTES`].
    #[error("a paper of {size} bytes is larger than {}", super::MAX_PAPER_BYTES)]
    PaperTooLarge {
        /// The size claimed.
        size: u64,
    },
    /// A per-capsulam voting window is not 1 to [`super::MAX_VOTING_WINDOW_DAYS`] days.
    #[error("a voting window of {days} days is not within 1 to {}", super::MAX_VOTING_WINDOW_DAYS)]
    VotingWindow {
        /// The window given.
        days: u32,
    },
    /// The closer a matter names may not author a ballot closing at the matter's roster version.
    #[error("the designated closer {key} may not close a ballot")]
    CloserMayNotClose {
        /// The key named.
        key: PublicKey,
    },
    /// A paper's media type is not `type/subtype` as §2.2 spells it.
    #[error("{media_type:?} is not a media type of the form type/subtype")]
    BadMediaType {
        /// The media type given.
        media_type: String,
    },
    /// A diarienummer is not of the form series (1–8 of A-Z), year 2000–9999, number 1–999 999.
    #[error("{diarienummer:?} is not a valid diarienummer")]
    BadDiarienummer {
        /// The number given.
        diarienummer: Diarienummer,
    },
    /// A `prev` link leads to a record of another author or at a seq not lower.
    #[error("record {id} is not an earlier record of the author's chain")]
    NotInAuthorsChain {
        /// The record linked.
        id: RecordId,
    },
    /// A diarium record names another `previous` than the rule requires.
    #[error("the previous diarium record must be {}", expected.map_or_else(|| "none or another key's".to_owned(), |id| id.to_string()))]
    WrongPreviousDiarium {
        /// The record it must name: the author's own latest (`None`: none of the author's own).
        expected: Option<RecordId>,
    },
    /// A diarium record changes the series.
    #[error("the series is {expected}, as in the previous record")]
    SeriesChanged {
        /// The previous record's series.
        expected: String,
    },
    /// A diarium record's year is before its previous record's.
    #[error("the year {year} is before the previous record's {previous}")]
    YearBeforePrevious {
        /// This record's year.
        year: u16,
        /// The previous record's year.
        previous: u16,
    },
    /// A diarium record skips or repeats a number.
    #[error("the next diarienummer is {expected}")]
    WrongDiarienummer {
        /// The number the rule requires.
        expected: Diarienummer,
    },
    /// A date field is not a real `YYYY-MM-DD` date.
    #[error("the {field} {value:?} is not a date of the form YYYY-MM-DD")]
    BadDate {
        /// The field.
        field: &'static str,
        /// What it holds.
        value: String,
    },
    /// A meeting is called with less notice than the rules require.
    #[error("notice was given {given} days before the meeting; the rules require {need}")]
    NoticeTooShort {
        /// Days of notice given.
        given: i64,
        /// Days the roster's rules require.
        need: i64,
    },
    /// A meeting's notice is dated before the UTC day of the record's own claimed time.
    #[error("notice cannot be given on {notice}, before the record was made on {signed_on}")]
    NoticeBackdated {
        /// The notice date.
        notice: String,
        /// The UTC day of the record's claimed time.
        signed_on: String,
    },
    /// A matter is on one agenda twice.
    #[error("matter {matter} is on the agenda twice")]
    DuplicateAgendaItem {
        /// The matter.
        matter: RecordId,
    },
    /// A vote's member is not the author key's member.
    #[error("the author's key cannot vote for member {member}")]
    VoteForOtherMember {
        /// The member the vote names.
        member: String,
    },
    /// The matter does not offer the vote's choice.
    #[error("the matter does not offer the choice {choice:?}")]
    ChoiceNotOffered {
        /// The choice.
        choice: Choice,
    },
    /// A closing's counted votes are not strictly ascending.
    #[error("the counted votes are not sorted by record id without repeats")]
    CountedNotSorted,
    /// A matter with a subject offers alternatives: adopting a plan or key is a yes or a no.
    #[error("a matter deciding on a plan or a cost key has no alternatives")]
    SubjectWithAlternatives,
    /// A matter's subject is a plan of another kind than the matter's kind adopts, or a cost
    /// key on a matter that is not a budget matter.
    #[error("the subject {subject} is a {found} that this kind of matter does not adopt")]
    SubjectKindMismatch {
        /// The subject.
        subject: RecordId,
        /// What it is.
        found: &'static str,
    },
    /// A closing is authored by another key than the matter's designated closer.
    #[error("only the matter's designated closer {closer} may close its ballot")]
    NotDesignatedCloser {
        /// The closer the matter names.
        closer: PublicKey,
    },
    /// The closer's chain already holds a closing of this matter: the first one is final.
    #[error("the matter was already closed by {closing}; that closing is final")]
    AlreadyClosed {
        /// The earlier closing in the closer's chain.
        closing: RecordId,
    },
    /// A closing names a vote that another vote of the same member, named or receipted before
    /// the closing, supersedes.
    #[error("vote {vote} is superseded by vote {by}")]
    SupersededVoteNamed {
        /// The vote named.
        vote: RecordId,
        /// The vote that counts instead.
        by: RecordId,
    },
    /// A closing names a vote that does not count for a reason other than being superseded.
    #[error("vote {vote} does not count: {excluded}")]
    IneligibleVoteNamed {
        /// The vote named.
        vote: RecordId,
        /// Why it does not count.
        excluded: Excluded,
    },
    /// A closing leaves out a vote its closer receipted before it, and that vote counts.
    #[error("vote {vote} was receipted before the closing and counts, but the closing does not name it")]
    ReceiptedVoteOmitted {
        /// The receipted vote.
        vote: RecordId,
    },
    /// A closing's result or tally is not what the votes it names give.
    #[error("the closing claims {claimed}, but its votes give {computed}")]
    TallyMismatch {
        /// What the closing claims.
        claimed: Box<Decision>,
        /// What every node computes from the named votes.
        computed: Box<Decision>,
    },
    /// A vote receipt names a vote on another matter than the receipt's.
    #[error("vote {vote} is not a vote on the receipt's matter")]
    ReceiptOfOtherMatter {
        /// The vote.
        vote: RecordId,
    },
    /// The members present are not strictly ascending.
    #[error("the members present are not sorted without repeats")]
    PresentNotSorted,
    /// A member present is not a member at the named roster version.
    #[error("{member} is not a member")]
    NotAMember {
        /// The member id.
        member: String,
    },
    /// Two minutes items are for one matter.
    #[error("matter {matter} has two items")]
    DuplicateItem {
        /// The matter.
        matter: RecordId,
    },
    /// A minutes item names the closing of another matter.
    #[error("closing {closing} is of another matter than its item's")]
    ClosingOfOtherMatter {
        /// The closing.
        closing: RecordId,
    },
    /// The chair and the two justerare are not three different keys.
    #[error("the chair and the two justerare are three different keys")]
    SignersNotDistinct,
    /// A justerare is not a person key with the ordinarie or ersättare role.
    #[error("the justerare {key} is not a person key with the role ordinarie or ersättare")]
    JusterareWithoutRole {
        /// The key.
        key: PublicKey,
    },
    /// The chair is not a person key with the ordförande role.
    #[error("the chair {key} is not a person key with the role ordförande")]
    ChairWithoutRole {
        /// The key.
        key: PublicKey,
    },
    /// The minutes are posted before the meeting.
    #[error("the minutes cannot be posted on {anslag}, before the meeting on {meeting}")]
    AnslagBeforeMeeting {
        /// The anslag date.
        anslag: String,
        /// The meeting date.
        meeting: String,
    },
    /// A justering's author is neither the chair nor a justerare of the minutes.
    #[error("{key} is neither the chair nor a justerare of these minutes")]
    NotMinutesSigner {
        /// The author.
        key: PublicKey,
    },
}

impl Violation {
    /// A short, stable code for logs, metrics and API errors (`docs/governance.md` §2).
    pub fn code(&self) -> &'static str {
        match self {
            Violation::LineTooLong { .. } => "line_too_long",
            Violation::NotOneLine { .. } => "not_one_line",
            Violation::Empty { .. } => "empty_field",
            Violation::TooMany { .. } => "too_many",
            Violation::WrongKind { .. } => "wrong_kind_referenced",
            Violation::UnreadableReference { .. } => "unreadable_reference",
            Violation::OneAlternative => "one_alternative",
            Violation::DuplicateAlternative { .. } => "duplicate_alternative",
            Violation::DuplicatePaper { .. } => "duplicate_paper",
            Violation::PaperTooLarge { .. } => "paper_too_large",
            Violation::VotingWindow { .. } => "voting_window_out_of_range",
            Violation::CloserMayNotClose { .. } => "closer_may_not_close",
            Violation::BadMediaType { .. } => "bad_media_type",
            Violation::BadDiarienummer { .. } => "bad_diarienummer",
            Violation::NotInAuthorsChain { .. } => "not_in_authors_chain",
            Violation::WrongPreviousDiarium { .. } => "wrong_previous_diarium",
            Violation::SeriesChanged { .. } => "series_changed",
            Violation::YearBeforePrevious { .. } => "year_before_previous",
            Violation::WrongDiarienummer { .. } => "wrong_diarienummer",
            Violation::BadDate { .. } => "bad_date",
            Violation::NoticeTooShort { .. } => "notice_too_short",
            Violation::NoticeBackdated { .. } => "notice_backdated",
            Violation::DuplicateAgendaItem { .. } => "duplicate_agenda_item",
            Violation::VoteForOtherMember { .. } => "vote_for_other_member",
            Violation::ChoiceNotOffered { .. } => "choice_not_offered",
            Violation::CountedNotSorted => "counted_not_sorted",
            Violation::SubjectWithAlternatives => "subject_with_alternatives",
            Violation::SubjectKindMismatch { .. } => "subject_kind_mismatch",
            Violation::NotDesignatedCloser { .. } => "not_designated_closer",
            Violation::AlreadyClosed { .. } => "already_closed",
            Violation::SupersededVoteNamed { .. } => "superseded_vote_named",
            Violation::IneligibleVoteNamed { .. } => "ineligible_vote_named",
            Violation::ReceiptedVoteOmitted { .. } => "receipted_vote_omitted",
            Violation::TallyMismatch { .. } => "tally_mismatch",
            Violation::ReceiptOfOtherMatter { .. } => "receipt_of_other_matter",
            Violation::PresentNotSorted => "present_not_sorted",
            Violation::NotAMember { .. } => "not_a_member",
            Violation::DuplicateItem { .. } => "duplicate_item",
            Violation::ClosingOfOtherMatter { .. } => "closing_of_other_matter",
            Violation::SignersNotDistinct => "signers_not_distinct",
            Violation::JusterareWithoutRole { .. } => "justerare_without_role",
            Violation::ChairWithoutRole { .. } => "chair_without_role",
            Violation::AnslagBeforeMeeting { .. } => "anslag_before_meeting",
            Violation::NotMinutesSigner { .. } => "not_minutes_signer",
        }
    }
}
