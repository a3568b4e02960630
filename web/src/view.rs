//! What the pages need to know about a node: the [`Node`] trait the node implements, and the
//! read models it answers with. The node computes them from its ledger with its own governance
//! queries; this crate only renders them, so no rule of the federation lives here.

use std::future::Future;

use samverka_protocol::governance::{Choice, Outcome, Tally};
use samverka_protocol::{Hash, Kind, MatterKind, MemberId, MemberKind, PublicKey, RecordId, Role, Signature};

pub mod agreement;
pub mod need;
pub mod outage;
pub mod plan;
pub mod support;

/// A node as the pages see it. Every method but [`Node::node_state`] reads the store and may block:
/// the pages call them off the async workers.
pub trait Node: Send + Sync + 'static {
    /// The federation this node holds, or [`Error::NoFederation`].
    fn federation(&self) -> Result<Federation, Error>;
    /// Every matter held, newest first.
    fn matters(&self) -> Result<Vec<MatterRow>, Error>;
    /// The matters `query` asks for, newest first, and how many match in all.
    fn matter_list(&self, query: &MatterQuery) -> Result<MatterList, Error> {
        let all: Vec<MatterRow> = self.matters()?.into_iter().filter(|r| query.admits(r.kind, r.status)).collect();
        let total = all.len();
        Ok(MatterList { rows: all.into_iter().skip(query.skip).take(query.take).collect(), total })
    }
    /// How many matters held are open.
    fn open_matters(&self) -> Result<usize, Error> {
        Ok(self.matters()?.iter().filter(|m| m.status == Status::Open).count())
    }
    /// One matter in full, or `None` if no matter with that id is held.
    fn matter(&self, id: &RecordId) -> Result<Option<Matter>, Error>;
    /// Every meeting held, newest first, with its agenda and minutes.
    fn meetings(&self) -> Result<Vec<MeetingRow>, Error>;
    /// Minutes in full, or `None` if no minutes with that id are held.
    fn minutes(&self, id: &RecordId) -> Result<Option<MinutesView>, Error>;
    /// Every roster version after the charter, newest first.
    fn roster_history(&self) -> Result<Vec<RosterVersion>, Error>;
    /// The node's own state, for operators.
    fn node_state(&self) -> impl Future<Output = Result<NodeState, Error>> + Send;
    /// Whether this node runs with demo keys, which anyone can recompute.
    fn demo(&self) -> bool;

    /// Who `key` is in the current roster, if it is a person's key in force. Cheap (the roster
    /// is in memory): asked on every request of a session, so a revoked key ends its sessions.
    fn me(&self, key: &PublicKey) -> Option<Me>;
    /// What waits for `me`: open ballots its member has not voted in, minutes waiting for its
    /// justering.
    fn todo(&self, me: &Me) -> Result<Todo, Error>;
    /// Prepares the record `action` makes for `me` to sign in the browser, and persists the
    /// chain position it takes before answering; or why the node will not offer it.
    fn prepare(&self, me: &Me, action: Action) -> Result<Result<Offer, Refusal>, Error>;
    /// The offer waiting for `key`'s signature, if any.
    fn offer(&self, me: &Me) -> Result<Option<Offer>, Error>;
    /// Takes `signature` over the offer `id` and ingests the record through the node's one
    /// ingest path; or why it was not stored.
    fn submit(&self, me: &Me, id: &RecordId, signature: Signature) -> Result<Result<Submitted, Refusal>, Error>;
    /// The demo's people, whose keys anyone may use (empty unless [`Node::demo`]).
    fn demo_people(&self) -> Vec<DemoPerson>;
    /// Whether the record `id` is stored (durably) on this node.
    fn holds(&self, id: &RecordId) -> Result<bool, Error>;
    /// Carries out a host officer's command with the node's key (the host's node registers and
    /// closes); or why not.
    fn host(&self, me: &Me, command: HostCommand) -> Result<Result<(), Refusal>, Error>;
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
    /// Every agreement version held, newest first, with its status today.
    fn agreements(&self) -> Result<Vec<agreement::AgreementRow>, Error> {
        Ok(Vec::new())
    }
    /// One agreement version in full, or `None` if no agreement with that id is held, with what
    /// `me` (when signed in) may do to it.
    fn agreement(&self, _id: &RecordId, _me: Option<&Me>) -> Result<Option<agreement::AgreementView>, Error> {
        Ok(None)
    }
    /// Every outage notice held, the active ones first (the banner on every page shows those).
    fn outages(&self) -> Result<Vec<outage::OutageRow>, Error> {
        Ok(Vec::new())
    }
    /// One outage notice in full, or `None` if no notice with that id is held, with what `me`
    /// (when signed in) may do to it.
    fn outage(&self, _id: &RecordId, _me: Option<&Me>) -> Result<Option<outage::OutageView>, Error> {
        Ok(None)
    }
    /// Whether `me` may publish an outage notice (the host's förvaltare), as the node judges it
    /// now; the rules judge the prepared record again.
    fn may_publish_outage(&self, _me: &Me) -> bool {
        false
    }
    /// Every need held: the open ones in the federation's priority order, then the others,
    /// newest first.
    fn needs(&self) -> Result<Vec<need::NeedRow>, Error> {
        Ok(Vec::new())
    }
    /// One need with its path, or `None` if no need with that id is held.
    fn need(&self, _id: &RecordId, _me: Option<&Me>) -> Result<Option<need::NeedView>, Error> {
        Ok(None)
    }
    /// Whether `me` may register needs and rank them for their member (an objektspecialist or
    /// förvaltare), as the node judges it now; the rules judge the prepared record again.
    fn may_register_need(&self, _me: &Me) -> bool {
        false
    }
    /// The open needs in the federation's priority order, each with its place in `me`'s
    /// member's counting ranking (from 1), if it has one: the ranking ballot.
    fn ranking(&self, _me: &Me) -> Result<Vec<(need::NeedRow, Option<usize>)>, Error> {
        Ok(Vec::new())
    }
    /// The support cases in `inbox`, the earliest running deadline first.
    fn support_cases(&self, _inbox: &support::Inbox) -> Result<Vec<support::CaseRow>, Error> {
        Ok(Vec::new())
    }
    /// One support case with its steps, or `None` if no case with that id is held.
    fn support_case(&self, _id: &RecordId) -> Result<Option<support::CaseView>, Error> {
        Ok(None)
    }
    /// Breaches per member, category and month.
    fn support_breaches(&self) -> Result<Vec<support::BreachRow>, Error> {
        Ok(Vec::new())
    }
    /// The SLA table in force now: the default, WebCare's, unless the node says otherwise.
    fn support_sla(&self) -> Result<support::SlaLine, Error> {
        let name = samverka_protocol::support::Table::WEBCARE.name.into_owned();
        Ok(support::SlaLine { name, adopted: false })
    }
}

/// Which matters a list shows: by status and kind, a page of them.
#[derive(Clone, Debug)]
pub struct MatterQuery {
    /// Only open (`Some(true)`) or only settled (`Some(false)`) matters; all when `None`.
    pub open: Option<bool>,
    /// Only matters of this kind.
    pub kind: Option<MatterKind>,
    /// How many matching matters to pass over (the pages before).
    pub skip: usize,
    /// How many to return.
    pub take: usize,
}

impl MatterQuery {
    /// Whether a matter of `kind` with `status` matches.
    pub fn admits(&self, kind: MatterKind, status: Status) -> bool {
        self.open.is_none_or(|open| open == (status == Status::Open)) && self.kind.is_none_or(|k| k == kind)
    }
}

/// A page of matters, and how many match in all.
#[derive(Clone, Debug)]
pub struct MatterList {
    /// The page's matters, newest first.
    pub rows: Vec<MatterRow>,
    /// How many matters match the query.
    pub total: usize,
}

/// What the host's förvaltare or ordförande has the host's node do.
#[derive(Clone, Copy, Debug)]
pub enum HostCommand {
    /// Register the matter in the diarium with the next diarienummer.
    Register(RecordId),
    /// Close the matter's ballot over the votes held.
    Close(RecordId),
}

/// A signed-in person as the current roster certifies their key.
#[derive(Clone, Debug)]
pub struct Me {
    /// The person's key.
    pub key: PublicKey,
    /// The member the key speaks for.
    pub member: MemberId,
    /// The member's name.
    pub member_name: String,
    /// The roles the key holds.
    pub roles: Vec<Role>,
    /// Whether the member is the host (värdkommun).
    pub host: bool,
}

impl Me {
    /// Whether the person is the host's förvaltare or ordförande, who register and close.
    pub fn host_officer(&self) -> bool {
        self.host && self.roles.iter().any(|r| matches!(r, Role::Forvaltare | Role::Ordforande))
    }

    /// Whether the key may vote for its member (ordinarie or ersättare).
    pub fn votes(&self) -> bool {
        self.roles.iter().any(|r| matches!(r, Role::StyrgruppOrdinarie | Role::StyrgruppErsattare))
    }
}

/// What waits for a person.
#[derive(Clone, Debug, Default)]
pub struct Todo {
    /// Open matters the person's member has cast no vote in.
    pub ballots: Vec<MatterRow>,
    /// Minutes the person is a justerare of and has not justerat.
    pub justering: Vec<MinutesRow>,
    /// Agreements waiting for the person's signature (a firmatecknare of an unsigned party).
    pub agreements: Vec<agreement::AgreementRow>,
    /// Agreements in force whose notice deadline falls within [`TODO_DEADLINE_DAYS`] days.
    pub deadlines: Vec<agreement::AgreementRow>,
    /// For host officers: members withdrawing from an agreement who are still in the roster.
    pub withdrawals: Vec<agreement::Withdrawing>,
    /// Outage notices in force that the person's member has not acknowledged (for an
    /// objektspecialist): the inbox of outage information.
    pub outages: Vec<outage::OutageRow>,
    /// Support cases waiting for the person: for the host's förvaltare, line 2's inbox (the cases
    /// with the förvaltningsgrupp or the vendor, not paused); for an objektspecialist, the
    /// member's cases paused waiting for the reporter (väntar på anmälaren).
    pub support: Vec<support::CaseRow>,
}

/// How many days ahead "Att göra" shows an agreement's notice deadline.
pub const TODO_DEADLINE_DAYS: i64 = 90;

/// Minutes in a list.
#[derive(Clone, Debug)]
pub struct MinutesRow {
    /// The minutes record's id.
    pub id: RecordId,
    /// The meeting's title.
    pub meeting: String,
    /// The meeting's date (`2026-11-30`).
    pub date: String,
}

/// A meeting (sammanträde) as called.
#[derive(Clone, Debug)]
pub struct MeetingRow {
    /// The meeting record's id.
    pub id: RecordId,
    /// Its title.
    pub title: String,
    /// The day (`2026-11-30`).
    pub date: String,
    /// Where.
    pub place: String,
    /// The day notice was given.
    pub notice_given_on: String,
    /// The agenda: each matter's id, title and diarienummer when held.
    pub agenda: Vec<AgendaItem>,
    /// Minutes held for it.
    pub minutes: Vec<RecordId>,
}

/// A matter on an agenda or in minutes.
#[derive(Clone, Debug)]
pub struct AgendaItem {
    /// The matter's id.
    pub matter: RecordId,
    /// Its title, when the matter is held.
    pub title: Option<String>,
    /// Its diarienummer, when registered.
    pub diarienummer: Option<String>,
}

/// Minutes (protokoll) in full.
#[derive(Clone, Debug)]
pub struct MinutesView {
    /// The minutes as listed (meeting title and date).
    pub row: MinutesRow,
    /// The meeting's id, when held.
    pub meeting: Option<RecordId>,
    /// The members present, by name.
    pub present: Vec<String>,
    /// The paragraphs.
    pub items: Vec<MinutesItemView>,
    /// The chair and the two justerare, with whether each has signed.
    pub signers: Vec<SignerView>,
    /// Whether all three have signed: the minutes are justerade.
    pub justerat: bool,
    /// The day the minutes are posted (anslag), if set.
    pub anslag_date: Option<String>,
}

/// One paragraph of minutes.
#[derive(Clone, Debug)]
pub struct MinutesItemView {
    /// The matter.
    pub matter: AgendaItem,
    /// The decision's outcome, when the paragraph names a closing that is held.
    pub outcome: Option<Outcome>,
    /// The matter's alternatives, to name an adopted alternative.
    pub alternatives: Vec<String>,
    /// The text.
    pub text: String,
}

/// A signer of minutes.
#[derive(Clone, Debug)]
pub struct SignerView {
    /// The key.
    pub key: PublicKey,
    /// Who it is: roles and member, as the roster says.
    pub roles: Vec<Role>,
    /// The member's name.
    pub member: String,
    /// Chair (`true`) or justerare.
    pub chair: bool,
    /// Whether their justering is held.
    pub signed: bool,
}

/// What a person asks to sign: one variant per domain, each holding that domain's own action
/// (its view module defines it). The node hands each to its domain's application module, which
/// makes the record or says why not.
#[derive(Clone, Debug)]
pub enum Action {
    /// Votes, justering, and the host officers' matters, meeting calls and minutes.
    Governance(GovernanceAction),
    /// A person's key certified in the roster.
    Roster(Certify),
    /// A party's act on an agreement version.
    Agreement(agreement::Action),
    /// The needs backlog.
    Need(need::Action),
    /// Outage notices.
    Outage(outage::Action),
    /// Support cases.
    Support(support::Action),
}

/// What a person asks to sign in the styrgrupp's governance.
#[derive(Clone, Debug)]
pub enum GovernanceAction {
    /// A vote for the person's member.
    Vote {
        /// The matter.
        matter: RecordId,
        /// The choice.
        choice: Choice,
    },
    /// Justering of minutes.
    Justera {
        /// The minutes.
        minutes: RecordId,
    },
    /// A new matter put to the styrgrupp (host officers), closed by this node's key.
    Matter {
        /// What kind of matter.
        kind: MatterKind,
        /// One-line title.
        title: String,
        /// The proposal (förslag till beslut).
        proposal: String,
        /// The alternatives, one per line; none for a yes/no matter.
        alternatives: Vec<String>,
        /// Papers (underlag) uploaded with the form: the matter names each by its content hash
        /// and size, and the node keeps their bytes.
        papers: Vec<Upload>,
    },
    /// A meeting called with an agenda (host officers); notice is given today.
    Meeting {
        /// One-line title.
        title: String,
        /// The day, `2026-12-14`.
        date: String,
        /// Where.
        place: String,
        /// The matters on the agenda, in order.
        agenda: Vec<RecordId>,
    },
    /// Minutes of a meeting (host officers); the node names each decided matter's closing.
    Minutes {
        /// The meeting minuted.
        meeting: RecordId,
        /// The members present.
        present: Vec<MemberId>,
        /// The paragraphs: each matter with what was said and decided.
        items: Vec<(RecordId, String)>,
        /// The two justerare.
        justerare: [PublicKey; 2],
        /// The meeting's chair.
        chair: PublicKey,
        /// The day the minutes are posted (anslag), `2026-12-15`, if known.
        anslag_date: Option<String>,
    },
}

impl From<GovernanceAction> for Action {
    fn from(a: GovernanceAction) -> Action {
        Action::Governance(a)
    }
}

/// A person's key certified in the roster, signed with the organisation key of the member it
/// speaks for (whose key file the signed-in person holds).
#[derive(Clone, Debug)]
pub struct Certify {
    /// The member the key will speak for; its organisation key signs.
    pub member: MemberId,
    /// The key certified.
    pub key: PublicKey,
    /// Its roles.
    pub roles: Vec<Role>,
    /// The first and last day of its mandate (`2027-01-01`), either open.
    pub valid: (Option<String>, Option<String>),
    /// Why (a decision reference).
    pub reason: String,
}

impl From<Certify> for Action {
    fn from(a: Certify) -> Action {
        Action::Roster(a)
    }
}

/// A record prepared for a person to sign in the browser.
#[derive(Clone, Debug)]
pub struct Offer {
    /// The id the record will have (the hash of its header).
    pub id: RecordId,
    /// The key that signs it: the person's own, or the organisation key of their member (a
    /// roster change, signed with the key file on the signing page).
    pub author: PublicKey,
    /// Its position in the person's chain.
    pub seq: u64,
    /// The person's record before it.
    pub prev: Option<RecordId>,
    /// The record's kind.
    pub kind: Kind,
    /// What it says, for people.
    pub subject: Subject,
    /// The exact bytes to sign (domain-separated header).
    pub signing_input: Vec<u8>,
    /// The record's bytes before and after the signature: the browser keeps
    /// `before ‖ signature ‖ after`, to send again if the node never got it.
    pub around: (Vec<u8>, Vec<u8>),
}

/// What an offered record says.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A vote.
    Vote {
        /// The matter voted on.
        matter: MatterRow,
        /// Its alternatives (empty for yes/no).
        alternatives: Vec<String>,
        /// The member the vote counts for.
        member: String,
        /// The choice.
        choice: Choice,
    },
    /// A justering.
    Justering {
        /// The minutes.
        minutes: MinutesRow,
    },
    /// A new matter.
    Matter {
        /// Its kind.
        kind: MatterKind,
        /// Its title.
        title: String,
        /// Its proposal.
        proposal: String,
        /// Its alternatives.
        alternatives: Vec<String>,
        /// The papers it names.
        papers: Vec<Paper>,
    },
    /// A meeting called.
    Meeting {
        /// The meeting as it will be listed.
        meeting: MeetingRow,
    },
    /// Minutes written.
    Minutes {
        /// The minutes as they will read.
        minutes: MinutesView,
    },
    /// A roster version certifying a person's key.
    Certify {
        /// The roster version it makes.
        version: u64,
        /// The member the key will speak for.
        member: String,
        /// The key certified, with its roles and mandate period.
        person: Person,
        /// Why.
        reason: String,
    },
    /// A support case raised, or a step on one.
    Support {
        /// The case, or `None` for the case itself.
        case: Option<RecordId>,
        /// The case's title.
        title: String,
        /// `open` for a new case, else the step's API name.
        step: &'static str,
        /// The description or the step's text.
        text: String,
    },
    /// An agreement signed for a party.
    AgreementSignature {
        /// The agreement as listed.
        agreement: agreement::AgreementRow,
        /// The party signed for (the person's member).
        party: String,
        /// The other parties, by name.
        others: Vec<String>,
        /// What the party does.
        act: agreement::AgreementAct,
        /// For a notice or withdrawal: the day the agreement (or the member's part in it) ends,
        /// by the notice rule.
        ends: Option<String>,
    },
    /// A need endorsed for the person's member.
    NeedEndorsement {
        /// The need as listed.
        need: need::NeedRow,
        /// The member endorsing.
        member: String,
    },
    /// A need registered for the person's member.
    NewNeed {
        /// The need as it will read.
        need: need::NeedDraft,
        /// The member registering it.
        member: String,
    },
    /// A step taken on a need.
    NeedStep {
        /// The need as listed.
        need: need::NeedRow,
        /// The step as it will read on the path.
        step: need::StepView,
    },
    /// The person's member's ranking of the open needs.
    NeedRanking {
        /// The member ranking.
        member: String,
        /// The needs' titles, the highest first.
        needs: Vec<String>,
    },
    /// An outage notice published, updated or cleared.
    Outage {
        /// `publish`, `update` or `clear`.
        act: &'static str,
        /// The notice: its id for an update or all-clear (`None` for a new one), and its title.
        notice: (Option<RecordId>, String),
        /// For a new notice: `driftstorning` or `planerat-underhall`.
        kind: Option<&'static str>,
        /// The text: the notice's, the news, or what was done.
        text: String,
        /// For a new notice: the affected parts.
        affected: Vec<String>,
        /// For a new notice: its start (ms since the epoch).
        start_ms: Option<i64>,
        /// The expected end, if given (ms since the epoch).
        end_ms: Option<i64>,
    },
    /// An outage notice acknowledged for the person's member.
    OutageAck {
        /// The notice as listed.
        outage: outage::OutageRow,
        /// The member acknowledging.
        member: String,
    },
}

/// A record signed in the browser and stored.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The record's id.
    pub id: RecordId,
    /// Where to read what was signed (the matter's page, or the todo page).
    pub back: String,
}

/// Why the node will not offer or store a record. A refusal never takes a chain position.
#[derive(Clone, Debug)]
pub struct Refusal {
    /// A stable code (`ballot_closed`, a protocol rejection's code …); the pages show the
    /// catalog's text `refusal.<code>`, or a general one naming the code.
    pub code: &'static str,
    /// The node's own words (English), for the log and the curious.
    pub detail: String,
    /// A signed record the node refused: its position is free again.
    pub given_back: Option<RecordId>,
    /// The form field to correct (its `id` on the page: `title`, `asker_name` …), when the
    /// refusal is about one; the form points at it and the text `refusal.field.<code>` names it.
    pub field: Option<&'static str>,
}

impl Refusal {
    /// A refusal before anything is signed: `code`, the node's `detail`, and the form field to
    /// correct, if any.
    pub fn of_field(code: &'static str, detail: String, field: Option<&'static str>) -> Refusal {
        Refusal { code, detail, given_back: None, field }
    }
}

/// A demo person whose key anyone may use.
#[derive(Clone, Debug)]
pub struct DemoPerson {
    /// `<member id>/<role>` (`2580/forvaltare`): `/demo/2580/forvaltare` signs this person in.
    pub id: String,
    /// The member's name.
    pub member: String,
    /// The person's roles.
    pub roles: Vec<Role>,
    /// The key's 32-byte seed (public by design in the demo).
    pub seed: [u8; 32],
    /// The public key.
    pub key: PublicKey,
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
    /// The key.
    pub key: PublicKey,
    /// The roles the key holds.
    pub roles: Vec<Role>,
    /// The first 8 hex digits of the key, to tell people of the same role apart.
    pub fingerprint: String,
    /// The mandate period (claimed record time, ms since the epoch), when bounded.
    pub valid: (Option<i64>, Option<i64>),
}

/// One version of the roster: what changed and why.
#[derive(Clone, Debug)]
pub struct RosterVersion {
    /// The version number (0 is the charter).
    pub version: u64,
    /// Why (a decision reference).
    pub reason: String,
    /// When it was proposed (claimed record time, ms since the epoch).
    pub time_ms: i64,
    /// The changes, in order.
    pub changes: Vec<RosterChange>,
}

/// A roster change as people read it: members by name, keys by fingerprint.
#[derive(Clone, Debug)]
pub enum RosterChange {
    /// A member admitted.
    MemberAdded(String),
    /// A member removed.
    MemberRemoved(String),
    /// A key certified: the member, the fingerprint, the roles (empty for a node or an
    /// organisation key) and whether it is a node key.
    KeyCertified {
        /// The member.
        member: String,
        /// The key's fingerprint.
        fingerprint: String,
        /// A person's roles.
        roles: Vec<Role>,
        /// Whether it is a node key (else organisation, when no roles).
        node: bool,
    },
    /// A key replaced by another with the same powers.
    KeyRotated {
        /// The old key's fingerprint.
        old: String,
        /// The new key's fingerprint.
        new: String,
    },
    /// A key revoked from a position on.
    KeyRevoked {
        /// The key's fingerprint.
        fingerprint: String,
        /// The first position no longer trusted.
        since: u64,
    },
    /// A new host.
    HostSet(String),
    /// New rules.
    RulesSet,
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
    /// The record the matter decides on, with its title when held (adoption, docs/plans.md), and
    /// what it is.
    pub subject: Option<(RecordId, Option<String>, SubjectKind)>,
}

/// What a matter's subject is, for its label and link (docs/governance.md: what a matter may
/// name as its subject).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    /// A plan version (docs/plans.md).
    Plan,
    /// A cost key for the year (docs/cost.md).
    CostKey(u16),
    /// An agreement version (docs/agreements.md).
    Agreement,
    /// A need (docs/needs.md).
    Need,
    /// The federation's SLA table (docs/support.md §8).
    SlaTable,
    /// A record this node does not hold yet.
    NotHeld,
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

/// A paper's file as uploaded with a form.
#[derive(Clone)]
pub struct Upload {
    /// The file's name, without any folder the browser sent.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload").field("name", &self.name).field("bytes", &self.bytes.len()).finish()
    }
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
    /// Peers connected: (member name, remote address).
    pub peers: Vec<(String, String)>,
    /// Replication of the newest matter: its title and the members whose nodes hold it, as
    /// their last sync requests said (replication receipts), and how many members there are.
    pub replication: Option<(String, Vec<String>, usize)>,
    /// The current roster version, if the node holds a federation.
    pub roster_version: Option<u64>,
    /// Authors caught signing two records at one position.
    pub equivocators: usize,
    /// The node's software version.
    pub version: &'static str,
}
