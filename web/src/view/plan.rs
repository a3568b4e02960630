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
}

/// Each member's invoice basis for a year, or why there is none yet.
#[derive(Clone, Debug)]
pub enum Invoice {
    /// The adopted budget split by the adopted key.
    Ready(InvoiceView),
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
}
