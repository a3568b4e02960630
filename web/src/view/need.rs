//! The read models of the need pages: what the node answers about the needs backlog (behov).
//! States, endorsing members and the priority order are computed by the node
//! (`samverka_protocol::needs::backlog`); the pages only render them.

use samverka_protocol::needs::{Area, State};
use samverka_protocol::RecordId;

/// A need in the backlog.
#[derive(Clone, Debug)]
pub struct NeedRow {
    /// The need record's id.
    pub id: RecordId,
    /// What is asked for.
    pub title: String,
    /// Its area.
    pub area: Area,
    /// Where it stands.
    pub state: State,
    /// Its place in the federation's priority order, from 1; `None` when it is not open.
    pub priority: Option<usize>,
    /// Its Borda points.
    pub points: u64,
    /// The members that need it, by name: its own first, then the endorsers.
    pub members: Vec<String>,
    /// When it was registered (claimed record time, ms since the epoch).
    pub time_ms: i64,
}

/// A step on a need's path.
#[derive(Clone, Debug)]
pub struct StepView {
    /// The state it led to.
    pub state: State,
    /// The author's member, by name.
    pub member: String,
    /// Its claimed time, ms since the epoch.
    pub time_ms: i64,
    /// For beredd: the consequences and the estimate in öre.
    pub prepared: Option<(String, u64)>,
    /// The plan or ballot closing the step names.
    pub names: Option<RecordId>,
    /// Its note.
    pub note: String,
}

/// A need in full.
#[derive(Clone, Debug)]
pub struct NeedView {
    /// The listing's facts.
    pub row: NeedRow,
    /// The description.
    pub description: String,
    /// The benefit (nytta).
    pub benefit: String,
    /// The wished date.
    pub wished: Option<String>,
    /// Who asks: name and role.
    pub asker: (String, String),
    /// The steps on its path, in order.
    pub path: Vec<StepView>,
    /// Valid steps off the path.
    pub other_steps: Vec<StepView>,
    /// Whether the signed-in person may endorse it for their member ("vi behöver också"), as the
    /// node judges it now: an objektspecialist or förvaltare of another member that has not
    /// endorsed it. The rules judge the prepared record again.
    pub may_endorse: bool,
}
