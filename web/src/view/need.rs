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
    /// The steps the signed-in person may take next, as the node judges them now (the
    /// förvaltningsgrupp's steps for the host's förvaltare, återkallad for the need's own
    /// member); empty when none. The rules judge the prepared record again.
    pub steps: Vec<State>,
}

/// A need as typed in the registration form (and as the offer shows it).
#[derive(Clone, Debug, Default)]
pub struct NeedDraft {
    /// What is asked for.
    pub title: String,
    /// The description.
    pub description: String,
    /// The benefit (nytta).
    pub benefit: String,
    /// The wished date, `2027-06-30`, or empty.
    pub wished: String,
    /// The area's name (`ifo`, `sol-lss` …).
    pub area: String,
    /// Who asks: the name.
    pub asker_name: String,
    /// Who asks: the role.
    pub asker_role: String,
}

/// A step as typed in a need's step form.
#[derive(Clone, Debug, Default)]
pub struct StepDraft {
    /// The state it leads to ([`State::name`]).
    pub step: String,
    /// For beslutad: `forvaltningsgrupp` (within a plan's frame) or `styrgrupp` (a closing).
    pub by: String,
    /// For beslutad and planerad: the plan's or the ballot closing's record id (hex).
    pub reference: String,
    /// For beredd: the consequences.
    pub consequences: String,
    /// For beredd: the cost estimate in kronor (`125 000`, `8,50`).
    pub cost: String,
    /// Why, or what was done; may be empty.
    pub note: String,
}

/// What a person asks to sign on the needs backlog.
#[derive(Clone, Debug)]
pub enum Action {
    /// An endorsement of a need for the person's member ("vi behöver också").
    Endorse {
        /// The need.
        need: RecordId,
    },
    /// A need registered for the person's member (objektspecialist or förvaltare).
    Register(NeedDraft),
    /// A step on a need's path, following its last step.
    Step {
        /// The need.
        need: RecordId,
        /// The step as typed.
        draft: StepDraft,
    },
    /// The person's member's ranking of the open needs: each need with the place typed for it
    /// (`1` is the highest; empty is not ranked).
    Rank {
        /// (need, place as typed).
        places: Vec<(RecordId, String)>,
    },
}

impl From<Action> for super::Action {
    fn from(a: Action) -> super::Action {
        super::Action::Need(a)
    }
}
