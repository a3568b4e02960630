//! What the pages need to know about a node: the [`Node`] trait the node implements, and the
//! read models it answers with. The node computes them from its ledger with its own governance
//! queries; this crate only renders them, so no rule of the federation lives here.

use std::future::Future;

use samverka_protocol::governance::{Choice, Outcome, Tally};
use samverka_protocol::{Hash, MatterKind, MemberId, MemberKind, RecordId, Role};

pub mod plan;

/// A node as the pages see it. Every method but [`Node::node_state`] reads the store and may block:
/// the pages call them off the async workers.
pub trait Node: Send + Sync + 'static {
    /// The federation this node holds, or [`Error::NoFederation`].
    fn federation(&self) -> Result<Federation, Error>;
    /// Every matter held, newest first.
    fn matters(&self) -> Result<Vec<MatterRow>, Error>;
    /// One matter in full, or `None` if no matter with that id is held.
    fn matter(&self, id: &RecordId) -> Result<Option<Matter>, Error>;
    /// The node's own state, for operators.
    fn node_state(&self) -> impl Future<Output = Result<NodeState, Error>> + Send;
    /// Whether this node runs with demo keys, which anyone can recompute.
    fn demo(&self) -> bool;
    /// Every plan version held, oldest first (a node that serves no plans holds none).
    fn plans(&self) -> Result<Vec<plan::PlanRow>, Error> {
        Ok(Vec::new())
    }
    /// One plan version in full, or `None` if no plan with that id is held.
    fn plan(&self, _id: &RecordId) -> Result<Option<plan::PlanView>, Error> {
        Ok(None)
    }
    /// Each member's invoice basis for `year`: the adopted budget split by the adopted key.
    fn invoice(&self, _year: u16) -> Result<plan::Invoice, Error> {
        Ok(plan::Invoice::NoAdoptedBudget)
    }
}

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node holds no federation yet (`samverka init` has not run).
    #[error("this node has no federation yet")]
    NoFederation,
    /// The node could not read its records.
    #[error("the node could not read its records: {0}")]
    Read(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The federation: its name and its members in the current roster.
#[derive(Clone, Debug)]
pub struct Federation {
    /// The federation's name.
    pub name: String,
    /// Its id (the charter's hash).
    pub id: Hash,
    /// The current roster version.
    pub roster_version: u64,
    /// The host member (värdkommun).
    pub host: MemberId,
    /// Every member, with the roles certified for it.
    pub members: Vec<Member>,
}

/// A member in the current roster.
#[derive(Clone, Debug)]
pub struct Member {
    /// Kommunkod or organisation number.
    pub id: MemberId,
    /// The name people use, e.g. `Luleå kommun`.
    pub name: String,
    /// Kommun, region or förvaltning.
    pub kind: MemberKind,
    /// The people's keys in force, each with its roles.
    pub people: Vec<Person>,
    /// How many node keys the roster certifies for it.
    pub nodes: usize,
}

/// A person's key in the roster: who they are to the federation is their roles.
#[derive(Clone, Debug)]
pub struct Person {
    /// The roles the key holds.
    pub roles: Vec<Role>,
    /// The first 8 hex digits of the key, to tell people of the same role apart.
    pub fingerprint: String,
}

/// Where a matter stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Open for votes.
    Open,
    /// Closed by its closer: decided.
    Closed,
    /// Its closer signed two different closings: nothing is decided.
    Disputed,
}

/// A matter in the list.
#[derive(Clone, Debug)]
pub struct MatterRow {
    /// The matter record's id.
    pub id: RecordId,
    /// Its diarienummer (`SAM 2026/0007`), once registered.
    pub diarienummer: Option<String>,
    /// The title.
    pub title: String,
    /// What kind of matter it is.
    pub kind: MatterKind,
    /// Open, closed or disputed.
    pub status: Status,
    /// When it was put (claimed record time, ms since the epoch).
    pub time_ms: i64,
}

/// A matter in full: proposal, papers, votes and, when closed, the result with its proof.
#[derive(Clone, Debug)]
pub struct Matter {
    /// As in the list.
    pub row: MatterRow,
    /// The proposal (förslag till beslut).
    pub proposal: String,
    /// The alternatives, when the matter is decided between alternatives.
    pub alternatives: Vec<String>,
    /// The papers (underlag) it rests on.
    pub papers: Vec<Paper>,
    /// Every vote held, counted ones first.
    pub votes: Vec<VoteRow>,
    /// The count: the closing's when closed, else provisional over the votes held.
    pub tally: Tally,
    /// The result: final when closed, else provisional.
    pub outcome: Outcome,
    /// Whether `tally` and `outcome` are provisional.
    pub provisional: bool,
    /// The closing that decided it, when closed.
    pub closing: Option<RecordId>,
}

/// A paper a matter rests on.
#[derive(Clone, Debug)]
pub struct Paper {
    /// Its name.
    pub name: String,
    /// The hash of its content.
    pub hash: Hash,
    /// Its size in bytes.
    pub size: u64,
}

/// A vote held on a matter.
#[derive(Clone, Debug)]
pub struct VoteRow {
    /// The vote record's id.
    pub id: RecordId,
    /// The member's name.
    pub member: String,
    /// The choice.
    pub choice: Choice,
    /// Claimed time (ms since the epoch).
    pub time_ms: i64,
    /// Why it does not count (a stable code), or `None` when it counts.
    pub excluded: Option<&'static str>,
}

/// The node's own state, for operators.
#[derive(Clone, Debug)]
pub struct NodeState {
    /// The node's public key (hex).
    pub node_key: String,
    /// The member whose node this is, if the roster certifies its key.
    pub member: Option<String>,
    /// Records held.
    pub records: u64,
    /// Records waiting for what they depend on.
    pub parked: usize,
    /// Peers connected.
    pub peers: usize,
    /// The current roster version, if the node holds a federation.
    pub roster_version: Option<u64>,
    /// Authors caught signing two records at one position.
    pub equivocators: usize,
    /// The node's software version.
    pub version: &'static str,
}
