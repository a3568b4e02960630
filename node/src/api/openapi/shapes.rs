//! The JSON bodies the API answers, as types the OpenAPI document is derived from.
//!
//! The handlers still build these bodies with `serde_json::json!` next to the ledger's types;
//! these types say what those bodies are (fields, which are required or null, patterns, enums).
//! A handler's test and schemathesis against a live node (`scripts/schemathesis.sh`) keep the two
//! in step. Moving the handlers onto these types is the next step.

// Never constructed: they describe bodies the handlers build as JSON values.
#![allow(dead_code)]

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// 64 lowercase hex digits: a record id, a public key or a content hash.
#[derive(Serialize)]
pub struct Id;

impl PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        hex_string(64).into()
    }
}

impl ToSchema for Id {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Id")
    }
}

/// A string of `digits` lowercase hex digits.
pub(super) fn hex_string(digits: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[0-9a-f]{{{digits}}}$")))
        .description(Some(format!("{digits} hex digits")))
}

/// A record kind's name.
#[derive(ToSchema, Serialize)]
#[schema(rename_all = "kebab-case")]
pub enum KindName {
    Charter,
    RosterUpdate,
    Equivocation,
    Redaction,
    Note,
    Matter,
    Meeting,
    Vote,
    BallotClose,
    Minutes,
    Justering,
    Paper,
    Diarium,
    VoteReceipt,
    Agreement,
    AgreementSignature,
    Plan,
    PlanReceipt,
    CostKey,
    Need,
    NeedUpdate,
    SupportCase,
    OutageNotice,
    OutageAck,
    SlaTable,
}

/// A role a person's key may hold.
#[derive(ToSchema, Serialize)]
#[schema(rename_all = "kebab-case")]
pub enum Role {
    StyrgruppOrdinarie,
    StyrgruppErsattare,
    Ordforande,
    Objektspecialist,
    Forvaltare,
    Firmatecknare,
}

/// What the ingest path did with a record.
#[derive(ToSchema, Serialize)]
pub struct IngestOutcome {
    id: Id,
    #[schema(inline)]
    outcome: IngestResult,
    #[schema(required = false)]
    conflicts: Vec<Id>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum IngestResult {
    Stored,
    Duplicate,
    Parked,
    Equivocation,
}

/// A roster proposal adopted as a roster version.
#[derive(ToSchema, Serialize)]
pub struct Adopted {
    id: Id,
    #[schema(inline)]
    status: AdoptedStatus,
    roster_version: Option<u64>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum AdoptedStatus {
    Adopted,
}

/// A pending roster proposal.
#[derive(ToSchema, Serialize)]
pub struct Proposal {
    id: Id,
    #[schema(inline)]
    status: ProposalStatus,
    /// Why a stale proposal can no longer be adopted.
    #[schema(required = false)]
    problem: Option<String>,
    proposer: Id,
    #[schema(required = false)]
    proposer_member: Option<String>,
    #[schema(required = false)]
    roster: u64,
    #[schema(required = false)]
    update: RosterUpdate,
    signed_by: Vec<String>,
    missing: Vec<String>,
    have: u64,
    need: u64,
    /// Hex of the bytes each countersigner signs.
    signing_input: String,
    /// The record's canonical bytes in hex (single proposal only).
    #[schema(required = false)]
    record: String,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum ProposalStatus {
    Pending,
    Ready,
    Stale,
}

/// The node's status.
#[derive(ToSchema, Serialize)]
pub struct Status {
    #[schema(required = false)]
    federation_id: Option<String>,
    #[schema(required = false)]
    federation_name: Option<String>,
    #[schema(required = false)]
    roster_version: Option<u64>,
    records: u64,
    parked: u64,
    #[schema(required = false)]
    proposals: u64,
    peers: u64,
    node_key: Id,
    /// The member whose node key this node holds, if certified.
    #[schema(required = false)]
    member: Option<String>,
    equivocators: u64,
    uptime_seconds: u64,
    /// Whether the node serves its API over https itself (api_tls_cert and api_tls_key); false
    /// behind a reverse proxy that terminates TLS.
    #[schema(required = false)]
    tls: bool,
    #[schema(required = false)]
    version: String,
    /// Replication receipt of the newest record this node authored: which members' nodes hold it
    /// ("lagrad hos 12 av 14 medlemmar").
    #[schema(required = false)]
    latest_own_record: Option<Receipts>,
}

/// A peer connected now.
#[derive(ToSchema, Serialize)]
pub struct Peer {
    peer_id: String,
    member: String,
    address: String,
}

/// A member of the federation.
#[derive(ToSchema, Serialize)]
pub struct Member {
    id: String,
    name: String,
    #[schema(inline)]
    kind: MemberKind,
    host: bool,
    #[schema(required = false)]
    org_key: Option<String>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum MemberKind {
    Kommun,
    Region,
    Forvaltning,
}

/// A member with its keys and roles.
#[derive(ToSchema, Serialize)]
pub struct MemberDetail {
    #[serde(flatten)]
    member: Member,
    keys: Vec<Key>,
    roles: Vec<Role>,
    roster_version: u64,
}

/// A certified key.
#[derive(ToSchema, Serialize)]
pub struct Key {
    key: Id,
    member: String,
    #[schema(inline)]
    kind: KeyKind,
    roles: Vec<Role>,
    #[schema(required = false)]
    valid_from_ms: Option<i64>,
    #[schema(required = false)]
    valid_until_ms: Option<i64>,
    /// The roster version that certified the key.
    certified_at: u64,
    /// First untrusted seq if the key was revoked as compromised.
    #[schema(required = false)]
    revoked_since_seq: Option<u64>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum KeyKind {
    Organisation,
    Node,
    Person,
}

/// A decision rule: quorum and majority.
#[derive(ToSchema, Serialize)]
pub struct DecisionRule {
    quorum_percent: u64,
    #[schema(inline)]
    majority: Majority,
}

#[derive(ToSchema, Serialize)]
struct Majority {
    #[schema(inline)]
    r#type: MajorityType,
    #[schema(required = false)]
    numerator: u64,
    #[schema(required = false)]
    denominator: u64,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum MajorityType {
    Simple,
    Qualified,
    Unanimous,
}

/// The federation's rules.
#[derive(ToSchema, Serialize)]
pub struct Rules {
    #[schema(inline)]
    roster_threshold: RosterThreshold,
    #[schema(inline)]
    decisions: Vec<MatterRule>,
    default_rule: DecisionRule,
    meeting_notice_days: u64,
}

#[derive(ToSchema, Serialize)]
struct MatterRule {
    #[serde(flatten)]
    rule: DecisionRule,
    #[schema(required = false)]
    matter: String,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum RosterThreshold {
    Majority,
    All,
}

/// One roster version.
#[derive(ToSchema, Serialize)]
pub struct Roster {
    version: u64,
    record_id: Id,
    federation: Id,
    name: String,
    host: String,
    members: Vec<Member>,
    rules: Rules,
    roles: Vec<Role>,
    keys: Vec<Key>,
}

/// The federation's charter (genesis). It names `founders` and no `changes`.
#[derive(ToSchema, Serialize)]
pub struct Charter {
    name: String,
    system: String,
    #[schema(inline)]
    founders: Vec<Founder>,
    host: String,
    rules: Rules,
    roles: Vec<Role>,
}

#[derive(ToSchema, Serialize)]
struct Founder {
    #[schema(required = false)]
    id: String,
    #[schema(required = false)]
    name: String,
    #[schema(required = false)]
    kind: String,
    #[schema(required = false)]
    org_key: Id,
}

/// A roster update's body. It names `changes` and no `founders`.
#[derive(ToSchema, Serialize)]
pub struct RosterUpdate {
    version: u64,
    previous: Id,
    reason: String,
    #[schema(inline)]
    changes: Vec<Change>,
}

#[derive(ToSchema, Serialize)]
struct Change {
    #[schema(inline)]
    change: ChangeName,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "kebab-case")]
enum ChangeName {
    AddMember,
    RemoveMember,
    CertifyKey,
    RotateKey,
    RevokeKey,
    SetHost,
    SetRules,
}

/// A record's header, without its body.
#[derive(ToSchema, Serialize)]
pub struct RecordSummary {
    id: Id,
    kind: KindName,
    #[schema(required = false)]
    kind_code: u64,
    #[schema(required = false)]
    format: u64,
    #[schema(required = false)]
    federation: Id,
    author: Id,
    #[schema(required = false)]
    author_member: Option<String>,
    seq: u64,
    #[schema(required = false)]
    prev: Option<String>,
    roster: u64,
    #[schema(required = false)]
    body_hash: Id,
    #[schema(required = false)]
    body_len: u64,
    /// The author's claimed time, ms since 1970 UTC.
    time_ms: i64,
    /// time_ms in RFC 3339.
    #[schema(required = false)]
    time: Option<String>,
    redacted: bool,
}

/// A record: its header, signatures and body.
#[derive(ToSchema, Serialize)]
pub struct Record {
    #[serde(flatten)]
    summary: RecordSummary,
    signature: String,
    #[schema(inline)]
    countersignatures: Vec<CountersignatureView>,
    /// The body in hex; null when redacted.
    #[schema(required = true)]
    body_hex: Option<String>,
    /// The body decoded, for charter, roster-update, note ({text}), equivocation ({first,
    /// second}) and redaction ({target, reason}); null for other kinds.
    #[schema(required = true)]
    body: Option<RecordBody>,
}

#[derive(ToSchema, Serialize)]
struct CountersignatureView {
    #[schema(required = false)]
    key: Id,
    #[schema(required = false)]
    signature: String,
    #[schema(required = false)]
    member: Option<String>,
}

/// A decoded record body. The branches exclude each other: a charter names `founders`, a roster
/// update `changes`, and the others take no other field.
#[derive(ToSchema, Serialize)]
#[serde(untagged)]
pub enum RecordBody {
    Charter(Charter),
    RosterUpdate(RosterUpdate),
    Note(#[schema(inline)] NoteBody),
    Equivocation(#[schema(inline)] EquivocationBody),
    Redaction(#[schema(inline)] RedactionBody),
}

/// A note's body.
#[derive(ToSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    text: String,
}

/// An equivocation's body: the two signed headers at one position.
#[derive(ToSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EquivocationBody {
    #[schema(value_type = Object)]
    first: (),
    #[schema(value_type = Object)]
    second: (),
}

/// A redaction's body.
#[derive(ToSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedactionBody {
    target: Id,
    reason: String,
}

/// A page of records in arrival order.
#[derive(ToSchema, Serialize)]
pub struct RecordPage {
    records: Vec<RecordSummary>,
    /// Opaque; pass it as `cursor` for the next page. Null when there are no more.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// A page of an author's records in chain order.
#[derive(ToSchema, Serialize)]
pub struct AuthorPage {
    author: Id,
    #[schema(required = false)]
    member: Option<String>,
    records: Vec<RecordSummary>,
    /// Pass as `from_seq` for the next page. Null when there are no more.
    #[schema(required = true)]
    next_seq: Option<u64>,
}

/// Which members' nodes hold a record.
#[derive(ToSchema, Serialize)]
pub struct Receipts {
    id: Id,
    held_by: Vec<String>,
    members: u64,
    #[schema(examples("lagrad hos 9 av 14 medlemmar"))]
    text: String,
}

/// An author caught signing two records at one position.
#[derive(ToSchema, Serialize)]
pub struct Equivocator {
    author: Id,
    #[schema(required = false)]
    member: Option<String>,
    records: Vec<Id>,
}

/// A ballot's outcome.
#[derive(ToSchema, Serialize)]
pub struct Outcome {
    #[schema(inline)]
    result: OutcomeResult,
    /// Index (from 0) of the adopted alternative.
    #[schema(required = false)]
    alternative: Option<u64>,
    /// In Swedish.
    #[schema(required = false)]
    text: String,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum OutcomeResult {
    Adopted,
    Rejected,
    NoQuorum,
}

/// Votes counted.
#[derive(ToSchema, Serialize)]
pub struct Tally {
    #[schema(required = false)]
    yes: u64,
    #[schema(required = false)]
    no: u64,
    #[schema(required = false)]
    abstain: u64,
    #[schema(required = false)]
    members_voting: u64,
    #[schema(required = false)]
    members_total: u64,
    #[schema(required = false)]
    alternatives: Vec<u64>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum Settlement {
    Open,
    Closed,
    Disputed,
}

/// A matter in a list.
#[derive(ToSchema, Serialize)]
pub struct MatterSummary {
    id: Id,
    title: String,
    /// budget, forvaltningsplan, utvecklingsplan, investering, storre-forandring,
    /// avtalsforlangning, uppsagning-av-avtal, nytt-avtal, medlemskap, ovrigt
    kind: String,
    /// e.g. SAM 2026/0007
    #[schema(required = false)]
    diarienummer: Option<String>,
    #[schema(inline)]
    status: Settlement,
    #[schema(required = false)]
    outcome: Option<Outcome>,
    #[schema(required = false)]
    author: Id,
    #[schema(required = false)]
    time_ms: i64,
}

/// A vote on a matter and whether it counts.
#[derive(ToSchema, Serialize)]
pub struct VoteLine {
    id: Id,
    member: String,
    #[schema(required = false)]
    member_name: String,
    #[schema(required = false)]
    author: Id,
    #[schema(inline)]
    choice: Choice,
    #[schema(required = false)]
    choice_text: String,
    #[schema(required = false)]
    time_ms: i64,
    counted: bool,
    /// Why the vote does not count (null when it counts): a stable code and a true reason.
    #[schema(required = false, inline)]
    excluded: Option<Exclusion>,
    /// The matter's closer's vote-receipt record for this vote, if held: a closing cannot omit a
    /// receipted vote.
    #[schema(required = false)]
    receipt: Option<String>,
}

#[derive(ToSchema, Serialize)]
#[serde(untagged)]
enum Choice {
    Plain(#[schema(inline)] PlainChoice),
    Alternative(#[schema(inline)] AlternativeChoice),
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum PlainChoice {
    Yes,
    No,
    Abstain,
}

#[derive(ToSchema, Serialize)]
struct AlternativeChoice {
    alternative: u64,
}

#[derive(ToSchema, Serialize)]
struct Exclusion {
    #[schema(inline, required = false)]
    code: ExclusionCode,
    #[schema(required = false)]
    reason: String,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum ExclusionCode {
    NotAVote,
    OtherMatter,
    InvalidChoice,
    NotAVoter,
    NotAMember,
    Revoked,
    Superseded,
    OrdinarieVoted,
    AfterClosing,
}

/// A closing of a matter's ballot.
#[derive(ToSchema, Serialize)]
pub struct Closing {
    #[schema(required = false)]
    id: Id,
    #[schema(required = false)]
    author: Id,
    #[schema(required = false)]
    member: Option<String>,
    #[schema(required = false)]
    outcome: Outcome,
    #[schema(required = false)]
    tally: Tally,
    #[schema(required = false)]
    counted: Vec<Id>,
}

/// A matter in full.
#[derive(ToSchema, Serialize)]
pub struct MatterDetail {
    id: Id,
    /// kind, title, proposal, alternatives, papers (name, content_hash, size, stored), procedure,
    /// subject (the plan version or cost key the matter decides on, or null).
    #[schema(value_type = Object)]
    matter: (),
    #[schema(required = false)]
    author: Id,
    /// The matter's designated closer: the only key whose (first) closing decides it.
    #[schema(required = false, value_type = String, pattern = "^[0-9a-f]{64}$")]
    closer: String,
    #[schema(required = false, inline)]
    diarium: Option<Diarium>,
    #[schema(inline)]
    status: Settlement,
    outcome: Outcome,
    /// True while no final closing exists: outcome and tally are counted over the votes held so
    /// far.
    #[schema(required = false)]
    provisional: bool,
    tally: Tally,
    votes: Vec<VoteLine>,
    closings: Vec<Closing>,
    #[schema(inline)]
    proof: Proof,
}

#[derive(ToSchema, Serialize)]
struct Diarium {
    #[schema(required = false)]
    id: Id,
    #[schema(required = false)]
    diarienummer: String,
}

#[derive(ToSchema, Serialize)]
struct Proof {
    #[schema(required = false)]
    matter: Id,
    #[schema(required = false)]
    diarium: Option<String>,
    #[schema(required = false)]
    closings: Vec<Id>,
    #[schema(required = false)]
    counted_votes: Vec<Id>,
    #[schema(required = false)]
    how_to_verify: String,
}

/// A meeting (kallelse) with its agenda.
#[derive(ToSchema, Serialize)]
pub struct Meeting {
    #[schema(required = false)]
    id: Id,
    #[schema(required = false)]
    title: String,
    #[schema(required = false)]
    date: String,
    #[schema(required = false)]
    place: String,
    #[schema(required = false)]
    notice_given_on: String,
    #[schema(required = false, inline)]
    agenda: Vec<AgendaItem>,
    #[schema(required = false)]
    minutes: Vec<Id>,
}

/// A matter on a meeting's agenda.
#[derive(ToSchema, Serialize)]
struct AgendaItem {
    #[schema(required = false)]
    matter: Id,
    #[schema(required = false)]
    title: Option<String>,
    #[schema(required = false)]
    diarienummer: Option<String>,
}

/// Minutes (protokoll) with their items and justering status.
#[derive(ToSchema, Serialize)]
pub struct MinutesDetail {
    id: Id,
    #[schema(required = false, value_type = Option<Object>)]
    meeting: (),
    #[schema(required = false, value_type = Vec<Object>)]
    present: (),
    #[schema(inline)]
    items: Vec<MinutesItem>,
    #[schema(inline)]
    chair: Signer,
    #[schema(inline)]
    justerare: Vec<Signer>,
    #[schema(required = false)]
    anslag_date: Option<String>,
    #[schema(inline)]
    justering: JusteringStatus,
}

#[derive(ToSchema, Serialize)]
struct MinutesItem {
    /// The matter of the paragraph, as on the agenda.
    #[serde(flatten)]
    matter: AgendaItem,
    #[schema(required = false)]
    closing: Option<String>,
    #[schema(required = false, value_type = Option<Object>)]
    outcome: (),
    #[schema(required = false)]
    text: String,
}

#[derive(ToSchema, Serialize)]
struct Signer {
    #[schema(required = false)]
    key: Id,
    #[schema(required = false)]
    member: Option<String>,
    #[schema(required = false)]
    member_name: Option<String>,
    #[schema(required = false)]
    signed: bool,
    #[schema(required = false)]
    justering: Option<String>,
}

#[derive(ToSchema, Serialize)]
struct JusteringStatus {
    #[schema(required = false, inline)]
    status: Justerat,
    #[schema(required = false)]
    missing: Vec<Id>,
    #[schema(required = false)]
    records: Vec<Id>,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum Justerat {
    Justerat,
    Pending,
}

/// A key's next chain position as this node sees it.
#[derive(ToSchema, Serialize)]
pub struct AuthorHead {
    author: Id,
    #[schema(required = false)]
    member: Option<String>,
    #[schema(required = false)]
    certified: bool,
    next_seq: u64,
    #[schema(required = false)]
    prev: Option<String>,
    roster_version: u64,
    federation: Id,
}

/// A record the node authored and stored.
#[derive(ToSchema, Serialize)]
pub struct AuthoredRecord {
    id: Id,
    #[schema(inline)]
    outcome: StoredOutcome,
    #[schema(required = false)]
    matter: Id,
    #[schema(required = false)]
    diarienummer: String,
    #[schema(required = false, value_type = Object)]
    outcome_of_ballot: (),
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum StoredOutcome {
    Stored,
}

/// A paper's content, stored.
#[derive(ToSchema, Serialize)]
pub struct PaperStored {
    content_hash: Id,
    #[schema(inline)]
    outcome: PaperOutcome,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum PaperOutcome {
    Stored,
    Duplicate,
}

/// Whether the record is fastställd: a matter naming it as its subject, closed as adopted.
#[derive(ToSchema, Serialize)]
pub struct Adoption {
    faststalld: bool,
    #[schema(required = false)]
    matter: Id,
    #[schema(required = false)]
    closing: Id,
}

/// A plan version in a list.
#[derive(ToSchema, Serialize)]
pub struct PlanSummary {
    id: Id,
    #[schema(required = false)]
    author: Id,
    #[schema(required = false)]
    time_ms: i64,
    #[schema(inline)]
    kind: PlanKind,
    title: String,
    year: u64,
    #[schema(required = false)]
    supersedes: Option<String>,
    #[schema(required = false)]
    superseded_by: Vec<Id>,
    /// Computed from the lines, never typed.
    total_ore: i64,
    #[schema(required = false)]
    fte_hundredths: i64,
    adoption: Adoption,
    /// Members whose node has receipted this version.
    receipted: u64,
    members: u64,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum PlanKind {
    Forvaltningsplan,
    Utvecklingsplan,
    Budget,
}

/// A plan version in full.
#[derive(ToSchema, Serialize)]
pub struct PlanDetail {
    summary: PlanSummary,
    /// The body: kind, title, period, supersedes, day_rate_ore, days_per_fte, activities (goals
    /// with mode, priority, person_days_hundredths, fixed_ore), initiatives, budget.
    #[schema(value_type = Object)]
    plan: (),
    /// Every total computed from the lines (docs/plans.md §2): per goal and activity, VM and VU,
    /// per side, person-days, FTE in hundredths, the grand total in öre.
    #[schema(value_type = Object)]
    totals: (),
    #[schema(inline)]
    receipts: Vec<PlanReceipt>,
    /// Members without a receipt.
    missing: Vec<String>,
    #[schema(required = false)]
    previous: Option<String>,
    #[schema(inline)]
    changes: Vec<PlanChange>,
    #[schema(required = false)]
    follow_up: FollowUp,
}

/// Uppföljning (docs/plans.md §10): each activity (förvaltningsplan) or budget line (budget)
/// with its budget, its utfall per quarter in force and in all, and the difference (avvikelse =
/// budget − utfall), in öre. A later utfall for the same plan, year and quarter replaces the
/// earlier.
#[derive(ToSchema, Serialize)]
pub struct FollowUp {
    #[schema(inline)]
    quarters: Vec<FollowUpQuarter>,
    #[schema(inline)]
    lines: Vec<FollowUpLine>,
    budget_ore: i64,
    actual_ore: i64,
    difference_ore: i64,
}

#[derive(ToSchema, Serialize)]
struct FollowUpQuarter {
    year: u64,
    #[schema(minimum = 1, maximum = 4)]
    quarter: u8,
    /// The utfall record in force.
    utfall: Id,
    #[schema(required = false)]
    time_ms: i64,
}

#[derive(ToSchema, Serialize)]
struct FollowUpLine {
    name: String,
    budget_ore: SidesOre,
    actual_ore: SidesOre,
    /// In the order of quarters.
    #[schema(required = false)]
    actual_by_quarter_ore: Vec<SidesOre>,
    difference_ore: i64,
}

/// Öre per side: verksamhetsnära (business) and IT-nära (it).
#[derive(ToSchema, Serialize)]
pub struct SidesOre {
    business: i64,
    it: i64,
}

#[derive(ToSchema, Serialize)]
struct PlanReceipt {
    member: String,
    member_name: String,
    #[schema(required = false)]
    receipt: Option<String>,
    #[schema(required = false)]
    received_ms: Option<i64>,
    /// The plan's claimed time, when this member's node has not receipted it.
    #[schema(required = false)]
    missing_since_ms: Option<i64>,
}

#[derive(ToSchema, Serialize)]
struct PlanChange {
    change: String,
    #[schema(required = false, value_type = Object)]
    detail: (),
}

/// `GET /healthz`.
#[derive(ToSchema, Serialize)]
pub struct Alive {
    #[schema(inline)]
    status: AliveStatus,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum AliveStatus {
    Alive,
}

/// `GET /readyz`.
#[derive(ToSchema, Serialize)]
pub struct Ready {
    #[schema(inline)]
    status: ReadyStatus,
    federation: Id,
}

#[derive(ToSchema, Serialize)]
#[schema(rename_all = "snake_case")]
enum ReadyStatus {
    Ready,
}

/// The peers connected now.
#[derive(ToSchema, Serialize)]
pub struct Peers {
    peers: Vec<Peer>,
}

/// The charter with its record id.
#[derive(ToSchema, Serialize)]
pub struct CharterView {
    id: Id,
    charter: Charter,
}

/// Every roster version.
#[derive(ToSchema, Serialize)]
pub struct RosterHistory {
    versions: Vec<Roster>,
}

/// The current members.
#[derive(ToSchema, Serialize)]
pub struct Members {
    roster_version: u64,
    members: Vec<Member>,
}

/// Pending proposals.
#[derive(ToSchema, Serialize)]
pub struct Proposals {
    proposals: Vec<Proposal>,
}

/// A proposal merged or already adopted.
#[derive(ToSchema, Serialize)]
#[serde(untagged)]
pub enum ProposalOrAdopted {
    Proposal(Box<Proposal>),
    Adopted(Adopted),
}

/// Equivocators.
#[derive(ToSchema, Serialize)]
pub struct Equivocators {
    equivocators: Vec<Equivocator>,
}

/// Matters.
#[derive(ToSchema, Serialize)]
pub struct Matters {
    matters: Vec<MatterSummary>,
    /// Opaque; pass it as `cursor` for the next page. Null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Decisions.
#[derive(ToSchema, Serialize)]
pub struct Decisions {
    decisions: Vec<MatterSummary>,
    /// Opaque; pass it as `cursor` for the next page. Null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Meetings.
#[derive(ToSchema, Serialize)]
pub struct Meetings {
    meetings: Vec<Meeting>,
    /// Opaque; pass it as `cursor` for the next page. Null on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// A local diarienummer noted.
#[derive(ToSchema, Serialize)]
pub struct LocalDnrNoted {
    #[schema(required = false)]
    matter: String,
    #[schema(required = false)]
    local_dnr: String,
}

/// Plans.
#[derive(ToSchema, Serialize)]
pub struct Plans {
    plans: Vec<PlanSummary>,
}

/// A plan import checked.
#[derive(ToSchema, Serialize)]
pub struct PlanImport {
    #[schema(value_type = Object)]
    plan: (),
    body: String,
    #[schema(value_type = Object)]
    totals: (),
    #[schema(inline)]
    disagreements: Vec<Disagreement>,
}

#[derive(ToSchema, Serialize)]
struct Disagreement {
    code: String,
    place: String,
    claimed: i64,
    computed: i64,
}

/// Cost keys.
#[derive(ToSchema, Serialize)]
pub struct CostKeys {
    #[schema(inline)]
    cost_keys: Vec<CostKey>,
}

#[derive(ToSchema, Serialize)]
struct CostKey {
    id: Id,
    year: u64,
    title: String,
    #[schema(value_type = Object)]
    basis: (),
    #[schema(value_type = Vec<Object>)]
    entries: (),
    #[schema(required = false)]
    supersedes: Option<String>,
    adoption: Adoption,
}

/// An invoice basis for a year.
#[derive(ToSchema, Serialize)]
pub struct InvoiceBasis {
    year: u64,
    budget: Id,
    key: Id,
    budget_ore: i64,
    #[schema(inline)]
    lines: Vec<InvoiceLine>,
    /// Always equal to budget_ore.
    sum_ore: i64,
    #[schema(required = false)]
    follow_up: FollowUp,
    /// Each member's share of the budget and of the utfall by the key, each split to the öre
    /// (docs/cost.md §2), in the key's order: each column sums exactly to its total.
    #[schema(required = false, inline)]
    members: Vec<MemberFollowUp>,
}

#[derive(ToSchema, Serialize)]
struct MemberFollowUp {
    member: String,
    budget_ore: i64,
    actual_ore: i64,
    difference_ore: i64,
}

#[derive(ToSchema, Serialize)]
struct InvoiceLine {
    member: String,
    #[schema(required = false)]
    member_name: String,
    amount_ore: i64,
    #[schema(required = false)]
    amount: String,
}

/// Bytes sent as they are (a record's canonical encoding, a paper, a PDF or XLSX document).
#[derive(Serialize)]
pub struct Bytes;

impl PartialSchema for Bytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Bytes {}

/// An OpenAPI document.
#[derive(ToSchema, Serialize)]
pub struct OpenApiDocument {
    openapi: String,
    #[schema(value_type = Object)]
    info: (),
    #[schema(value_type = Object)]
    paths: (),
}

/// An agreement version in the list.
#[derive(ToSchema, Serialize)]
pub struct AgreementSummary {
    id: Id,
    title: String,
    system: String,
    #[schema(required = false)]
    published_ms: i64,
    status: AgreementStatus,
    /// How many parties have signed.
    signed: u64,
    /// How many parties there are.
    parties: u64,
    /// Give notice by `last_day` for the agreement to end on `ends`; null unless in force and
    /// governing, or when its end date comes first.
    #[schema(required = false)]
    deadline: Option<NoticeDeadline>,
    /// The version it amends.
    #[schema(required = false, value_type = Option<Id>)]
    amends: Option<String>,
}

/// The last day to give notice, and the day the agreement then ends.
#[derive(ToSchema, Serialize)]
pub struct NoticeDeadline {
    #[schema(required = false)]
    last_day: String,
    #[schema(required = false)]
    ends: String,
}

/// An agreement's status, with its details: `signed`/`missing` (party indexes) under
/// signering, `since` when gällande, `amended_by` when ändrat, `notice`/`given`/`ends` when
/// uppsagt, `ended`/`notice` when upphört.
#[derive(ToSchema, Serialize)]
pub struct AgreementStatus {
    status: AgreementStatusName,
    #[schema(required = false)]
    signed: Vec<u64>,
    #[schema(required = false)]
    missing: Vec<u64>,
    #[schema(required = false)]
    since: String,
    #[schema(required = false, value_type = Id)]
    amended_by: String,
    #[schema(required = false)]
    notice: Option<String>,
    #[schema(required = false)]
    given: String,
    #[schema(required = false)]
    ends: String,
    #[schema(required = false)]
    ended: String,
}

/// The statuses an agreement version has.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgreementStatusName {
    /// Utkast.
    Utkast,
    /// Under signering.
    UnderSignering,
    /// Gällande.
    Gallande,
    /// Ändrat.
    Andrat,
    /// Uppsagt.
    Uppsagt,
    /// Upphört.
    Upphort,
}

/// The agreements held.
#[derive(ToSchema, Serialize)]
pub struct Agreements {
    /// The day the statuses are for.
    on: String,
    agreements: Vec<AgreementSummary>,
}

/// One agreement version in full.
#[derive(ToSchema, Serialize)]
pub struct AgreementDetail {
    summary: AgreementSummary,
    /// The body: title, system, parties, start, end (null: tills vidare), notice rule with its
    /// Swedish text, cost key, annexes, text, amends.
    #[schema(value_type = Object)]
    agreement: serde_json::Value,
    parties: Vec<AgreementParty>,
    #[schema(value_type = Vec<Object>)]
    notices: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    history: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    decisions: Vec<serde_json::Value>,
}

/// A party to an agreement, with its signature.
#[derive(ToSchema, Serialize)]
pub struct AgreementParty {
    #[schema(required = false)]
    index: u64,
    #[schema(required = false)]
    name: String,
    #[schema(required = false)]
    member: String,
    #[schema(required = false)]
    organisationsnummer: String,
    #[schema(required = false)]
    signature: Option<AgreementSigned>,
    #[schema(required = false, value_type = Option<Object>)]
    withdrawal: Option<serde_json::Value>,
}

/// A party's signature.
#[derive(ToSchema, Serialize)]
pub struct AgreementSigned {
    #[schema(required = false)]
    record: Id,
    #[schema(required = false)]
    author: Id,
    #[schema(required = false)]
    member: String,
    #[schema(required = false)]
    member_name: String,
    #[schema(required = false)]
    roles: Vec<String>,
    #[schema(required = false)]
    roster_version: u64,
    /// The claimed signing time.
    #[schema(required = false)]
    time_ms: i64,
    #[schema(required = false, value_type = Option<Object>)]
    original: Option<serde_json::Value>,
}

/// The outage notices held.
#[derive(ToSchema, Serialize)]
pub struct Outages {
    outages: Vec<OutageSummary>,
}

/// An outage notice in a listing.
#[derive(ToSchema, Serialize)]
pub struct OutageSummary {
    #[schema(value_type = Id)]
    id: String,
    kind: OutageKind,
    title: String,
    /// The affected parts (berörda delar).
    affected: Vec<String>,
    /// When it began or will begin, as stated (ms since the epoch).
    start_ms: i64,
    /// The expected end: the last update's that gives one, else the notice's.
    expected_end_ms: Option<i64>,
    /// The notice's claimed time.
    published_ms: i64,
    /// No all-clear (friskförklaring) is held.
    active: bool,
    /// The all-clear's claimed time.
    cleared_ms: Option<i64>,
    /// Updates held.
    updates: u64,
    /// Members of the current roster that have acknowledged.
    acknowledged: u64,
    /// Members of the current roster.
    members: u64,
}

/// What an outage notice tells of.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutageKind {
    /// Driftstörning: an unplanned fault.
    Driftstorning,
    /// Planerat underhåll.
    PlaneratUnderhall,
}

/// One outage notice in full.
#[derive(ToSchema, Serialize)]
pub struct OutageDetail {
    summary: OutageSummary,
    text: String,
    author: String,
    /// Updates in the stated order (claimed time, seq, id): record, author, time_ms, text,
    /// expected_end_ms, after_clear.
    #[schema(value_type = Vec<Object>)]
    updates: Vec<serde_json::Value>,
    /// Updates beyond the 256 shown.
    more_updates: u64,
    /// The all-clear: record, author, time_ms, text.
    #[schema(value_type = Option<Object>)]
    cleared: Option<serde_json::Value>,
    members: Vec<OutageMember>,
}

/// A member with its acknowledgement, or since when it is missing.
#[derive(ToSchema, Serialize)]
pub struct OutageMember {
    member: String,
    member_name: String,
    /// The first acknowledgement: record, author (the objektspecialist's key), time_ms.
    #[schema(value_type = Option<Object>)]
    acknowledged: Option<serde_json::Value>,
    /// When not acknowledged: the notice's claimed time.
    #[schema(required = false)]
    missing_since_ms: i64,
}

/// A need in the backlog.
#[derive(ToSchema, Serialize)]
pub struct NeedSummary {
    id: Id,
    /// What is asked for.
    title: String,
    area: NeedArea,
    /// The member that registered it.
    member: String,
    /// The need record's claimed time, ms since the epoch.
    registered_ms: i64,
    state: NeedStateName,
    /// Its place in the federation's priority order, from 1; null when it is not open.
    #[schema(required = false)]
    priority: Option<u64>,
    /// Its Borda points from the members' latest rankings (`docs/needs.md` §7).
    points: u64,
    /// The members that need it: its own first, then every endorser.
    members: Vec<NeedMember>,
}

/// A member that needs a need.
#[derive(ToSchema, Serialize)]
pub struct NeedMember {
    member: String,
    name: String,
}

/// The areas a need concerns: IFO, HSL, ÄO, SoL/LSS, Avgift, Övrigt.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NeedArea {
    /// Individ- och familjeomsorg.
    Ifo,
    /// Hälso- och sjukvård.
    Hsl,
    /// Äldreomsorg.
    Ao,
    /// SoL/LSS.
    SolLss,
    /// Avgift.
    Avgift,
    /// Övrigt.
    Ovrigt,
}

/// Where a need stands on its path (`docs/needs.md` §5).
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NeedStateName {
    /// Registrerad.
    Registrerad,
    /// Beredd.
    Beredd,
    /// Beslutad.
    Beslutad,
    /// Planerad.
    Planerad,
    /// Utvecklad.
    Utvecklad,
    /// Testad.
    Testad,
    /// Driftsättningsbeslut.
    Driftsattningsbeslut,
    /// Informerad.
    Informerad,
    /// Driftsatt.
    Driftsatt,
    /// Uppföljd.
    Uppfoljd,
    /// Avslagen.
    Avslagen,
    /// Återkallad.
    Aterkallad,
}

/// The needs held, open ones in priority order first.
#[derive(ToSchema, Serialize)]
pub struct Needs {
    needs: Vec<NeedSummary>,
}

/// One need in full.
#[derive(ToSchema, Serialize)]
pub struct NeedDetail {
    summary: NeedSummary,
    /// The body: title, description, benefit, wished (date or null), area, asker {name, role},
    /// member.
    #[schema(value_type = Object)]
    need: serde_json::Value,
    /// The steps on its path, in order: record, follows, state, author, member, time_ms, note,
    /// and what the step records (consequences and cost_ore; decided_by with plan or closing;
    /// plan).
    #[schema(value_type = Vec<Object>)]
    path: Vec<serde_json::Value>,
    /// Valid steps off the path (a later step after the same record took it elsewhere).
    #[schema(value_type = Vec<Object>)]
    other_steps: Vec<serde_json::Value>,
    /// The states a next step may lead to.
    next: Vec<NeedStateName>,
    /// The record a new step follows: the last step on the path, or the need.
    follows: Id,
}

/// Support cases with their SLA clocks.
#[derive(ToSchema, Serialize)]
pub struct SupportCases {
    /// The instant the clocks were read at, ms since the epoch.
    at_ms: i64,
    /// The name of the SLA table in force at `at_ms` (each case names its own).
    table: String,
    /// How many cases the inbox holds, on every page.
    total: usize,
    /// The `offset` of the next page, or null on the last.
    next_offset: Option<usize>,
    /// This page's cases: id, member, member_name, category, priority (`high`, `medium`, `low`), title,
    /// reported_ms, stage (`registered`, `escalated`, `started`, `vendor`, `resolved`,
    /// `closed`), paused, breached, next_deadline_ms, table (the adopted SLA table's record id
    /// in force when the case was reported, or null for WebCare's default), table_name, and its
    /// clocks (clock `start`, `inform` or
    /// `downtime`; hours, target_ms, from_ms, stopped_ms, elapsed_ms, remaining_ms, deadline_ms,
    /// stopped, paused, breached).
    #[schema(value_type = Vec<Object>)]
    cases: Vec<serde_json::Value>,
}

/// One support case in full.
#[derive(ToSchema, Serialize)]
pub struct SupportCaseDetail {
    /// The case's record id.
    id: String,
    /// The member (kommunkod).
    member: String,
    /// What kind of fault.
    category: String,
    /// `high`, `medium` or `low`.
    priority: String,
    /// One-line title.
    title: String,
    /// The description.
    description: String,
    /// Where it stands.
    stage: String,
    /// Waiting for the reporter.
    paused: bool,
    /// The vendor's reference, once with line 3.
    vendor_reference: Option<String>,
    /// The record the next step names as `after`: the last counted state event, or the case.
    head: String,
    /// Each step: id, time_ms, author, action, reference, text, counted.
    #[schema(value_type = Vec<Object>)]
    steps: Vec<serde_json::Value>,
    /// The clocks, as in the list.
    #[schema(value_type = Vec<Object>)]
    clocks: Vec<serde_json::Value>,
}

/// Breaches per member, category and month.
#[derive(ToSchema, Serialize)]
pub struct SupportBreaches {
    /// The instant the clocks were read at, ms since the epoch.
    at_ms: i64,
    /// The name of the SLA table in force at `at_ms` (each case is clocked by the table in
    /// force when it was reported).
    table: String,
    /// Each row: member, member_name, category, month (`YYYY-MM`), cases, breached_cases, and
    /// clocks (breached clocks by clock name).
    #[schema(value_type = Vec<Object>)]
    breaches: Vec<serde_json::Value>,
}

/// The targets of one priority, or null for none (no clocks).
#[derive(ToSchema, Serialize)]
pub struct SlaTargets {
    /// Start of repair within this many minutes of the escalation.
    start_min: i64,
    /// Information within this many minutes.
    inform_min: i64,
    /// Resolved within this many minutes (maximal feltid).
    downtime_min: i64,
    /// `business` (weekdays 08–17 Stockholm time, holidays excepted) or `all_day`.
    hours: String,
}

/// The default SLA table: WebCare's.
#[derive(ToSchema, Serialize)]
pub struct SlaDefault {
    name: String,
    high: Option<SlaTargets>,
    medium: Option<SlaTargets>,
    low: Option<SlaTargets>,
}

/// An SLA table record held, with its adoption.
#[derive(ToSchema, Serialize)]
pub struct SlaTableView {
    id: Id,
    /// One line.
    name: String,
    /// The first day it may apply to, `YYYY-MM-DD`.
    from: String,
    /// The table it replaces, if any.
    replaces: Option<Id>,
    high: Option<SlaTargets>,
    medium: Option<SlaTargets>,
    low: Option<SlaTargets>,
    adoption: Adoption,
    /// In force since (ms since the epoch): the later of 00:00 Stockholm time on `from` and the
    /// adopting closing's claimed time; null while not adopted.
    since_ms: Option<i64>,
    /// Whether it is the table in force at `at_ms`.
    in_force: bool,
}

/// The SLA tables held and the one in force.
#[derive(ToSchema, Serialize)]
pub struct SupportSla {
    /// The instant asked about, ms since the epoch.
    at_ms: i64,
    /// The adopted table in force at `at_ms`, or null: the default applies.
    in_force: Option<Id>,
    /// The name of the table in force (the default's when none is adopted).
    in_force_name: String,
    default: SlaDefault,
    /// Every table held, by `from` day then record id.
    tables: Vec<SlaTableView>,
}
