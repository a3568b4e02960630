//! The read models of the plan pages: what the node answers about the plan versions it holds.
//! Every figure is computed by the node from the plan's lines (`samverka_protocol::plan`).

use samverka_protocol::plan::{Adoption, Change, Plan, Totals};
use samverka_protocol::RecordId;

/// A plan version in a listing.
#[derive(Clone, Debug)]
pub struct PlanRow {
    /// The plan record's id.
    pub id: RecordId,
    /// The body.
    pub plan: Plan,
    /// The claimed time of the record (when it was published).
    pub time_ms: i64,
    /// The grand total, computed, in öre.
    pub total_ore: i64,
    /// Whether a decision has made it fastställd.
    pub faststalld: bool,
    /// Members whose node has receipted it.
    pub receipted: usize,
    /// Members in the current roster.
    pub members: usize,
}

/// A member's receipt of a plan version.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The member's name.
    pub member: String,
    /// When its node receipted the plan (claimed time), or `None`: missing since the plan's time.
    pub received_ms: Option<i64>,
}

/// A plan version in full.
#[derive(Clone, Debug)]
pub struct PlanView {
    /// The plan and its summary.
    pub row: PlanRow,
    /// Every total, computed from the lines.
    pub totals: Totals,
    /// Whether it is fastställd, by which matter and closing.
    pub adoption: Adoption,
    /// Every member of the current roster with its receipt, if any.
    pub receipts: Vec<Receipt>,
    /// The version it supersedes, if held.
    pub previous: Option<RecordId>,
    /// What changed from that version.
    pub changes: Vec<Change>,
    /// Budget against utfall per activity (or budget line).
    pub follow_up: FollowUp,
}

/// Budget against utfall (uppföljning), every figure computed by the node.
#[derive(Clone, Debug, Default)]
pub struct FollowUp {
    /// The quarters with an utfall in force, in calendar order: (year, quarter).
    pub quarters: Vec<(u16, u8)>,
    /// One line per activity, budget line or member.
    pub lines: Vec<FollowUpLine>,
    /// The sums of the lines.
    pub total: FollowUpLine,
}

/// One line of a follow-up, in öre.
#[derive(Clone, Debug, Default)]
pub struct FollowUpLine {
    /// The activity, budget line or member.
    pub label: String,
    /// The utfall per quarter, in the order of [`FollowUp::quarters`] (empty per member).
    pub by_quarter: Vec<i64>,
    /// The budget.
    pub budget: i64,
    /// The utfall.
    pub actual: i64,
    /// Avvikelse: budget minus utfall.
    pub difference: i64,
}

/// Each member's invoice basis for a year, or why there is none yet.
#[derive(Clone, Debug)]
pub enum Invoice {
    /// The adopted budget split by the adopted key.
    Ready(Box<InvoiceView>),
    /// No budget for the year is fastställd.
    NoAdoptedBudget,
    /// No cost key for the year is fastställd.
    NoAdoptedKey,
    /// The budget cannot be split by the key (the cost rule's code).
    Refused(&'static str),
}

/// The invoice basis as the page shows it.
#[derive(Clone, Debug)]
pub struct InvoiceView {
    /// The budget plan's id and title.
    pub budget: (RecordId, String),
    /// The cost key's title and basis name (`percent`, `per-capita`, …).
    pub key: (String, &'static str),
    /// Per member: name, kommunkod, weight (as written), amount in öre; in the key's order.
    pub lines: Vec<(String, String, String, i64)>,
    /// The budget, in öre; the amounts sum to exactly this.
    pub total_ore: i64,
    /// The budget's lines against their utfall.
    pub follow_up: FollowUp,
    /// Each member's share of the budget and of the utfall by the key.
    pub members: FollowUp,
}
