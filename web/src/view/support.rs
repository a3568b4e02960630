//! The read models of the support pages: what the node answers about the support cases it holds.
//! States, SLA clocks and breaches are computed by the node (`samverka_protocol::support`, read
//! at the node's clock); the pages only render them.

use samverka_protocol::RecordId;

/// Which cases the inbox shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbox {
    /// Every case held.
    All,
    /// Line 1: one member's cases.
    Member(String),
    /// Line 2: the cases with the förvaltningsgrupp or the vendor.
    Forvaltning,
}

/// One SLA clock read at the node's clock.
#[derive(Clone, Debug)]
pub struct ClockView {
    /// `start`, `inform` or `downtime`.
    pub kind: &'static str,
    /// Target minus elapsed, ms: negative once breached.
    pub remaining_ms: i64,
    /// When the target is reached if the clock runs on, ms since the epoch.
    pub deadline_ms: Option<i64>,
    /// Whether it has stopped.
    pub stopped: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// Whether it is breached.
    pub breached: bool,
}

/// A case in an inbox.
#[derive(Clone, Debug)]
pub struct CaseRow {
    /// The case record's id.
    pub id: RecordId,
    /// The member's name.
    pub member: String,
    /// The member's id (kommunkod).
    pub member_id: String,
    /// The category.
    pub category: String,
    /// `high`, `medium` or `low`.
    pub priority: &'static str,
    /// The title.
    pub title: String,
    /// `registered`, `escalated`, `started`, `vendor`, `resolved` or `closed`.
    pub stage: &'static str,
    /// Waiting for the reporter.
    pub paused: bool,
    /// When it was reported, ms since the epoch.
    pub reported_ms: i64,
    /// Its clocks.
    pub clocks: Vec<ClockView>,
}

/// The SLA table in force now (`docs/support.md` §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaLine {
    /// The table's name.
    pub name: String,
    /// Whether the styrgrupp adopted it (else it is the default, WebCare's).
    pub adopted: bool,
}

/// A step on a case.
#[derive(Clone, Debug)]
pub struct StepView {
    /// Its claimed time, ms since the epoch.
    pub time_ms: i64,
    /// The step's API name (`escalate`, `message` …).
    pub action: &'static str,
    /// The vendor's reference, for `vendor`.
    pub reference: Option<String>,
    /// Its text.
    pub text: String,
    /// Who took it: the member's name.
    pub member: String,
    /// Whether it counts (false on a side branch).
    pub counted: bool,
}

/// A case in full.
#[derive(Clone, Debug)]
pub struct CaseView {
    /// The listing row.
    pub row: CaseRow,
    /// The description.
    pub description: String,
    /// The steps, in order.
    pub steps: Vec<StepView>,
}

/// Breaches summed under one member, category and month.
#[derive(Clone, Debug)]
pub struct BreachRow {
    /// The member's name.
    pub member: String,
    /// The category.
    pub category: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Cases.
    pub cases: u32,
    /// Cases with a breached clock.
    pub breached_cases: u32,
    /// Breached start, information and downtime clocks.
    pub clocks: [u32; 3],
}

/// What a person asks to sign on support cases.
#[derive(Clone, Debug)]
pub enum Action {
    /// A case raised for the person's member (objektspecialist, docs/support.md).
    Open {
        /// What kind of fault, one line.
        category: String,
        /// `high`, `medium` or `low`.
        priority: String,
        /// One-line title.
        title: String,
        /// What happens.
        description: String,
    },
    /// A step on a case, following its last counted step.
    Step {
        /// The case.
        case: RecordId,
        /// The step's API name (`escalate`, `start`, `message` …).
        step: String,
        /// Its text.
        text: String,
        /// The vendor's reference, for `vendor`.
        reference: String,
    },
}

impl From<Action> for super::Action {
    fn from(a: Action) -> super::Action {
        super::Action::Support(a)
    }
}
