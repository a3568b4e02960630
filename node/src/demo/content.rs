//! The demo's content: what `samverka demo` seeds once its nodes run, so a newcomer sees a
//! federation at work — two matters with papers (a förvaltningsplan and a budget for 2027), a
//! meeting held with both on its agenda, votes cast at the members' own nodes, the plan closed by
//! the host and its minutes (protokoll) justerade, the budget still open on a meeting called
//! ahead, WebCare's SLA table adopted per capsulam as the federation's — and the matter bodies
//! the web pages' test fixture shares.
//!
//! Every record is authored with [`Ledger::author`] (draft persisted, signed, then the one ingest
//! path) at the node of the member whose key signs it: a vote by a member's styrgrupp ordinarie
//! at that member's node, the host's records at the host's node. The others receive them by
//! replication, and the script waits for that (with a deadline) where a later record needs an
//! earlier one. The story is dated in the past by its records' claimed times (validity never
//! depends on a clock), so the pages show a meeting held after notice given in time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use samverka_protocol::agreement::{Act, Agreement, AgreementSignature, NoticeRule, Party};
use samverka_protocol::governance::{
    content_hash, Choice, Date, Justering, Matter, Meeting, Minutes, MinutesItem, PaperRef, Procedure, Vote,
};
use samverka_protocol::needs::{Area, Asker, Decision, Need, NeedUpdate, Step};
use samverka_protocol::outage::{NoticeKind, OutageAck, OutageNotice, Published};
use samverka_protocol::plan::{
    Activity, BudgetLine, Days, Effort, Goal, Mode, Outcome, OutcomeLine, Period, Plan, PlanKind, Sides,
};
use samverka_protocol::support::{Action as SupportAction, Priority, SlaTable, SupportCase, SupportEvent};
use samverka_protocol::{testkit, Body as _, Kind, MatterKind, MemberId, PublicKey, RecordId, SigningKey};

use crate::governance::{self, Refusal};
use crate::ledger::{self, Ledger};
use crate::report::Document;
use crate::storage;
use samverka_web::locale::grouped;

/// The förvaltningsplan's title.
pub const PLAN_TITLE: &str = "Förvaltningsplan 2027";
/// The budget's title.
pub const BUDGET_TITLE: &str = "Budget 2027 för e-tjänsteplattformen";
/// How long the script waits for a record to reach another member's node.
pub const REPLICATION_DEADLINE: Duration = Duration::from_secs(60);
/// How often the script looks whether a record has arrived.
const POLL: Duration = Duration::from_millis(50);
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How long before now the meeting was called, and how long after that it was held.
const CALLED_DAYS_AGO: i64 = 24;
const NOTICE_DAYS: i64 = 10;

/// Why the demo's content could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A record was refused or the store failed while authoring it.
    #[error("authoring the demo's {what}: {source}")]
    Author {
        /// What was being authored.
        what: &'static str,
        /// Why it failed.
        source: Box<ledger::Error>,
    },
    /// The host's node would not register or close a matter.
    #[error("the host's node would not author the {what}: {source}")]
    Refused {
        /// What was being authored.
        what: &'static str,
        /// Why.
        source: Box<Refusal>,
    },
    /// A task authoring a record failed to run to its end.
    #[error("the task authoring a demo record failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Reading a store failed.
    #[error(transparent)]
    Storage(#[from] storage::Error),
    /// A governance query failed.
    #[error(transparent)]
    Query(#[from] governance::Error),
    /// A record did not reach a member's node in time.
    #[error("{missing} records did not reach the node of member {member} within {:?}", REPLICATION_DEADLINE)]
    NotReplicated {
        /// The member whose node lacks them.
        member: MemberId,
        /// How many are missing.
        missing: usize,
    },
    /// The seats given do not make a federation the script can use.
    #[error("the demo's content needs the host and at least one other member running, host {host} among them")]
    TooFewMembers {
        /// The host member named.
        host: MemberId,
    },
}

/// A member's running node, as the script sees it.
#[derive(Clone)]
pub struct Seat {
    /// The member.
    pub member: MemberId,
    /// Its node's ledger.
    pub ledger: Arc<Ledger>,
}

/// A paper (underlag) with its bytes.
#[derive(Clone, Debug)]
pub struct PaperFile {
    /// The file name shown.
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl PaperFile {
    /// The reference a matter names it by.
    pub fn reference(&self) -> PaperRef {
        PaperRef {
            name: self.name.clone(),
            content_hash: content_hash(&self.bytes),
            size: u64::try_from(self.bytes.len()).expect("a length fits in u64"),
        }
    }
}

/// The förvaltningsplan 2027's text, line by line: its activities with VM (vidmakthålla) or VU
/// (vidareutveckla), person-days and fixed cost, and totals computed from those lines.
pub fn plan_text() -> Vec<String> {
    let lines: [(&str, &str, u64, u64); 4] = [
        ("Förvaltningsstyrning", "VM", 120, 310_000),
        ("Användarstöd", "VM", 210, 180_000),
        ("Ändringshantering: e-tjänst för ansökan om bistånd", "VU", 95, 420_000),
        ("Daglig IT-drift", "VM", 60, 890_000),
    ];
    let mut out =
        vec!["Förslag från förvaltningsgruppen till styrgruppen. VM = vidmakthålla, VU = vidareutveckla.".into()];
    for (activity, kind, days, cost) in lines {
        out.push(format!("{activity} ({kind}): {days} persondagar, fast kostnad {} kr", grouped(cost)));
    }
    let days: u64 = lines.iter().map(|l| l.2).sum();
    let cost: u64 = lines.iter().map(|l| l.3).sum();
    out.push(format!(
        "Summa: {days} persondagar, fast kostnad {} kr (summorna är beräknade, inte inskrivna).",
        grouped(cost)
    ));
    out
}

/// The förvaltningsplan 2027 as a small PDF.
pub fn plan_paper() -> PaperFile {
    let mut doc = Document::new(PLAN_TITLE);
    doc.heading(format!("{PLAN_TITLE} — Ekosystem Norrbotten"));
    for line in plan_text() {
        doc.text(line);
    }
    PaperFile { name: format!("{PLAN_TITLE}.pdf"), bytes: doc.to_pdf() }
}

/// The förvaltningsplan 2027 as a plan record's body: the same activities as [`plan_text`],
/// person-days on the business side priced at 6 000 kr a day, fixed costs on the IT side. Every
/// total is computed from these lines.
pub fn plan_2027() -> Plan {
    let goal = |text: &str, mode: Mode, days: u64, fixed_kr: u64| Goal {
        text: text.into(),
        mode,
        effort: Sides {
            business: Effort { person_days: Days::whole(days), fixed_ore: 0 },
            it: Effort { person_days: Days::ZERO, fixed_ore: fixed_kr * 100 },
        },
    };
    let activity = |name: &str, goals: Vec<Goal>| Activity { name: name.into(), goals };
    Plan {
        kind: PlanKind::Forvaltningsplan,
        title: PLAN_TITLE.into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 600_000, it: 700_000 },
        days_per_fte: 200,
        activities: vec![
            activity(
                "Förvaltningsstyrning",
                vec![goal("Styrgrupp och förvaltningsgrupp arbetar enligt planen", Mode::Vm, 120, 310_000)],
            ),
            activity("Användarstöd", vec![goal("Användarna får stöd inom överenskomna tider", Mode::Vm, 210, 180_000)]),
            activity(
                "Ändringshantering",
                vec![goal("E-tjänst för ansökan om bistånd är införd", Mode::Vu { priority: 1 }, 95, 420_000)],
            ),
            activity("Daglig IT-drift och underhåll", vec![goal("Systemet är tillgängligt", Mode::Vm, 60, 890_000)]),
        ],
        initiatives: vec![],
        budget: vec![],
    }
}

/// The budget 2027 as a plan record's body, the same lines as [`budget_paper`].
pub fn budget_2027() -> Plan {
    let line = |name: &str, kr: u64| BudgetLine { name: name.into(), amount_ore: kr * 100 };
    Plan {
        kind: PlanKind::Budget,
        title: BUDGET_TITLE.into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides::default(),
        days_per_fte: 200,
        activities: vec![],
        initiatives: vec![],
        budget: vec![
            line("Licenser och avtal", 1_150_000),
            line("Förvaltningsgruppen", 2_300_000),
            line("Utveckling", 650_000),
        ],
    }
}

/// Utfall for the first two quarters of 2027 of the förvaltningsplan (`plan`, per activity and
/// side) and of the budget (`budget`, per line), so the plan and budget pages show budget against
/// actual from the start. Amounts in SEK as `(kronor, öre)`.
pub fn utfall_2027(plan: RecordId, budget: RecordId) -> Vec<Outcome> {
    let sek = |kr: u64, ore: u64| kr * 100 + ore;
    // Per activity: (verksamhetsnära, IT-nära) in the first and the second quarter.
    let activities = [
        ("Förvaltningsstyrning", [(sek(175_000, 0), sek(80_000, 0)), (sek(182_250, 0), sek(76_000, 0))]),
        ("Användarstöd", [(sek(318_500, 50), sek(44_000, 0)), (sek(301_000, 0), sek(47_250, 75))]),
        ("Ändringshantering", [(sek(120_000, 0), sek(150_000, 0)), (sek(160_500, 0), sek(95_000, 0))]),
        ("Daglig IT-drift och underhåll", [(sek(92_000, 0), sek(222_500, 0)), (sek(88_000, 0), sek(231_000, 0))]),
    ];
    // Per budget line, one amount a quarter (0: nothing booked).
    let budget_lines = [
        ("Licenser och avtal", [sek(575_000, 0), 0]),
        ("Förvaltningsgruppen", [sek(561_234, 50), sek(590_000, 0)]),
        ("Utveckling", [sek(120_000, 0), sek(205_000, 0)]),
    ];
    let line = |name: &str, business: u64, it: u64| OutcomeLine { name: name.into(), actual: Sides { business, it } };
    let mut out = Vec::new();
    for (i, quarter) in [1u8, 2].into_iter().enumerate() {
        let lines = activities.iter().map(|(name, q)| line(name, q[i].0, q[i].1)).collect();
        out.push(Outcome { plan, year: 2027, quarter, lines });
    }
    for (i, quarter) in [1u8, 2].into_iter().enumerate() {
        let lines = budget_lines.iter().filter(|(_, q)| q[i] > 0).map(|(name, q)| line(name, q[i], 0)).collect();
        out.push(Outcome { plan: budget, year: 2027, quarter, lines });
    }
    out
}

/// The budget 2027 as a small PDF, its total computed from its lines.
pub fn budget_paper() -> PaperFile {
    let lines: [(&str, u64); 3] =
        [("Licenser och avtal", 1_150_000), ("Förvaltningsgruppen", 2_300_000), ("Utveckling", 650_000)];
    let mut doc = Document::new(BUDGET_TITLE);
    doc.heading(BUDGET_TITLE);
    for (item, amount) in lines {
        doc.text(format!("{item}: {} kr", grouped(amount)));
    }
    let total: u64 = lines.iter().map(|l| l.1).sum();
    doc.text(format!("Summa: {} kr, fördelas mellan medlemmarna enligt kostnadsnyckeln.", grouped(total)));
    PaperFile { name: format!("{BUDGET_TITLE}.pdf"), bytes: doc.to_pdf() }
}

/// The matter on the förvaltningsplan 2027, decided at a meeting, closed by `closer`.
pub fn plan_matter(closer: PublicKey, papers: Vec<PaperRef>) -> Matter {
    Matter {
        kind: MatterKind::Forvaltningsplan,
        title: PLAN_TITLE.into(),
        proposal: format!("Styrgruppen beslutar att anta {PLAN_TITLE} enligt förvaltningsgruppens förslag."),
        alternatives: vec![],
        papers,
        procedure: Procedure::Meeting { meeting: None },
        closer,
        subject: None,
    }
}

/// The matter on the budget 2027, decided at a meeting, closed by `closer`.
pub fn budget_matter(closer: PublicKey, papers: Vec<PaperRef>) -> Matter {
    Matter {
        kind: MatterKind::Budget,
        title: BUDGET_TITLE.into(),
        proposal: "Styrgruppen beslutar att fastställa budgeten för 2027 till 4 100 000 kr.".into(),
        alternatives: vec![],
        papers,
        procedure: Procedure::Meeting { meeting: None },
        closer,
        subject: None,
    }
}

/// How the `i`th member voting on the plan votes: most yes, some no, a few abstain.
pub fn plan_choice(i: usize) -> Choice {
    match i {
        0..=8 => Choice::Yes,
        9..=11 => Choice::No,
        _ => Choice::Abstain,
    }
}

/// What the script seeded, by record id.
#[derive(Clone, Debug)]
pub struct Seeded {
    /// The förvaltningsplan 2027 record the plan matter names: fastställd by its closing.
    pub plan_record: RecordId,
    /// The budget 2027 record the budget matter names: not fastställd (the matter is open).
    pub budget_record: RecordId,
    /// The förvaltningsplan matter: voted, closed and minuted.
    pub plan: RecordId,
    /// The budget matter: a few votes, still open.
    pub budget: RecordId,
    /// The meeting held with both matters on its agenda.
    pub meeting: RecordId,
    /// The meeting called ahead with the budget on its agenda.
    pub next_meeting: RecordId,
    /// The votes on the plan, each authored at its member's node.
    pub votes: Vec<RecordId>,
    /// The votes on the budget.
    pub budget_votes: Vec<RecordId>,
    /// The host's closing of the plan.
    pub closing: RecordId,
    /// The minutes of the meeting held.
    pub minutes: RecordId,
    /// The justeringar of the minutes: the chair's, then the two justerare's.
    pub justeringar: Vec<RecordId>,
    /// The agreement between the members, in force: every member's firmatecknare has signed.
    pub agreement: RecordId,
    /// The signatures on it, each authored at its member's node.
    pub agreement_signatures: Vec<RecordId>,
    /// An active driftstörning, its update and the acknowledgements of half the members.
    pub outage: Outages,
    /// The needs backlog: needs, endorsements, steps and rankings, in the order authored.
    pub needs: Vec<RecordId>,
    /// The support cases (one breached, one paused, one resolved and closed) and their events.
    pub support: Vec<RecordId>,
    /// WebCare's SLA table as the federation's record, adopted before the support cases.
    pub sla: SlaAdoption,
}

/// The SLA table record and the övrigt matter that adopted it (`docs/support.md` §8).
#[derive(Clone, Debug)]
pub struct SlaAdoption {
    /// The table (WebCare's), drafted by the host's förvaltare.
    pub table: RecordId,
    /// The matter naming it, decided per capsulam.
    pub matter: RecordId,
    /// Every member's yes, each at its own node.
    pub votes: Vec<RecordId>,
    /// The host's closing, which adopted it.
    pub closing: RecordId,
}

/// The demo's outage notices (`docs/outages.md`).
#[derive(Clone, Debug)]
pub struct Outages {
    /// A driftstörning in progress: no all-clear.
    pub active: RecordId,
    /// The update on it, with a later expected end.
    pub update: RecordId,
    /// A planned maintenance last week, cleared.
    pub maintenance: RecordId,
    /// Its all-clear.
    pub all_clear: RecordId,
    /// Acknowledgements, each by its member's objektspecialist at its own node: every member's
    /// of the maintenance, the first half's of the driftstörning.
    pub acknowledgements: Vec<RecordId>,
}

impl Seeded {
    /// Every record the script authored (vote receipts, which the host's node adds, aside).
    pub fn all(&self) -> Vec<RecordId> {
        let mut out = vec![
            self.plan_record,
            self.budget_record,
            self.plan,
            self.budget,
            self.meeting,
            self.next_meeting,
            self.closing,
            self.minutes,
        ];
        out.push(self.agreement);
        out.extend([self.sla.table, self.sla.matter, self.sla.closing]);
        out.extend(&self.sla.votes);
        let o = &self.outage;
        out.extend([o.active, o.update, o.maintenance, o.all_clear]);
        out.extend(&o.acknowledgements);
        out.extend(
            self.votes
                .iter()
                .chain(&self.budget_votes)
                .chain(&self.justeringar)
                .chain(&self.agreement_signatures)
                .chain(&self.needs)
                .chain(&self.support),
        );
        out
    }
}

/// A driftstörning in progress since two hours with one update, acknowledged by the first half
/// of the members; and last week's planned maintenance, cleared and acknowledged by every member.
async fn outages(seats: &[Seat], h: &Seat, forvaltare: &SigningKey, now_ms: i64) -> Result<Outages, Error> {
    let last_week = now_ms - 7 * DAY_MS;
    let maintenance = OutageNotice::Publish(Published {
        kind: NoticeKind::PlaneratUnderhall,
        title: "Uppgradering av verksamhetssystemet".into(),
        text: "Leverantören installerar en ny version. Systemet går inte att använda under tiden; \
               planera in dokumentationen före eller efter."
            .into(),
        affected: vec!["Hela systemet".into(), "Mobil dokumentation".into()],
        start_ms: last_week,
        expected_end_ms: Some(last_week + 3 * HOUR_MS),
    });
    let maintenance = author(h, forvaltare, Kind::OutageNotice, maintenance.to_bytes(), last_week - 3 * DAY_MS).await?;
    let done = OutageNotice::Clear {
        notice: maintenance,
        text: "Uppgraderingen är klar och systemet fungerar som vanligt.".into(),
    };
    let all_clear = author(h, forvaltare, Kind::OutageNotice, done.to_bytes(), last_week + 2 * HOUR_MS).await?;
    let started = now_ms - 2 * HOUR_MS;
    let down = OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Inloggningen i verksamhetssystemet fungerar inte".into(),
        text: "Ingen kan logga in sedan i förmiddags. Leverantören felsöker. Dokumentera på papper \
               och för in det när systemet fungerar igen."
            .into(),
        affected: vec!["Inloggning".into(), "Journal IFO".into(), "Journal ÄO".into()],
        start_ms: started - 15 * MINUTE_MS,
        expected_end_ms: Some(now_ms + HOUR_MS),
    });
    let active = author(h, forvaltare, Kind::OutageNotice, down.to_bytes(), started).await?;
    let news = OutageNotice::Update {
        notice: active,
        text: "Felet sitter i inloggningstjänsten hos leverantören. Beräknat slut flyttas en timme.".into(),
        expected_end_ms: Some(now_ms + 2 * HOUR_MS),
    };
    let update = author(h, forvaltare, Kind::OutageNotice, news.to_bytes(), now_ms - HOUR_MS).await?;
    let mut acknowledgements = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        until_held(seat, &[maintenance, active]).await?;
        let specialist = key(&seat.member, "objektspecialist");
        let minutes = i64::try_from(i).expect("few members") * MINUTE_MS;
        let ack = OutageAck { notice: maintenance };
        acknowledgements
            .push(author(seat, &specialist, Kind::OutageAck, ack.to_bytes(), last_week - DAY_MS + minutes).await?);
        if i < seats.len().div_ceil(2) {
            let ack = OutageAck { notice: active };
            acknowledgements.push(
                author(seat, &specialist, Kind::OutageAck, ack.to_bytes(), started + 10 * MINUTE_MS + minutes).await?,
            );
        }
    }
    Ok(Outages { active, update, maintenance, all_clear, acknowledgements })
}

/// Whether the demo's content (any matter) is already held by `ledger`: a demo restarted on the
/// same directory does not seed it twice.
pub fn seeded(ledger: &Ledger) -> Result<bool, governance::Error> {
    Ok(!governance::scan(ledger.store(), Kind::Matter)?.is_empty())
}

/// The members' agreement on the shared system, WebCare-like: tills vidare, twelve months'
/// notice to a year end, the cost split by the adopted key.
pub fn agreement(seats: &[Seat], start: &str) -> Agreement {
    Agreement {
        title: "Överenskommelse om samverkan kring verksamhetssystemet".into(),
        system: "Treserva".into(),
        parties: seats.iter().map(|s| Party::Member { member: s.member.clone() }).collect(),
        start: start.into(),
        end: None,
        notice: NoticeRule { months: 12, at_year_end: true },
        cost_key: None,
        annexes: vec![],
        text: "Parterna samverkar kring förvaltning och utveckling av verksamhetssystemet. Luleå kommun är \
               värdkommun. Överenskommelsen gäller tills vidare och kan sägas upp till varje årsskifte med tolv \
               månaders uppsägningstid."
            .into(),
        amends: None,
    }
}

/// How many members (the first seats, the host first) have voted on the open budget.
pub const BUDGET_VOTERS: usize = 3;

fn key(member: &str, role: &str) -> SigningKey {
    testkit::key(&format!("demo/{member}/{role}"))
}

/// Authors a record with `key` at `seat`'s node, on the blocking pool: authoring syncs the
/// record log to disk.
async fn author(seat: &Seat, key: &SigningKey, kind: Kind, body: Vec<u8>, time_ms: i64) -> Result<RecordId, Error> {
    let (ledger, key) = (seat.ledger.clone(), key.clone());
    tokio::task::spawn_blocking(move || authored(&ledger, &key, kind, body, time_ms)).await?
}

fn authored(ledger: &Ledger, key: &SigningKey, kind: Kind, body: Vec<u8>, time_ms: i64) -> Result<RecordId, Error> {
    let record = ledger
        .author(key, kind, body, time_ms)
        .map_err(|e| Error::Author { what: kind.name(), source: Box::new(e) })?;
    Ok(record.id())
}

/// Registers `matter` in the diarium as the host's node, as `POST /api/v1/matters/{id}/diarium`
/// does: the next number under the authoring lock, then authored with the node key.
async fn register(host: &Seat, node: &SigningKey, matter: RecordId, time_ms: i64) -> Result<RecordId, Error> {
    let (ledger, node) = (host.ledger.clone(), node.clone());
    tokio::task::spawn_blocking(move || {
        let _guard = governance::AUTHORING.lock().expect("authoring lock poisoned");
        let year = governance::stockholm_year(time_ms);
        let body = governance::next_registration(ledger.store(), &node.public(), &matter, year)
            .map_err(|e| Error::Refused { what: "diarium registration", source: Box::new(e) })?;
        authored(&ledger, &node, Kind::Diarium, body.to_bytes(), time_ms)
    })
    .await?
}

/// Closes `matter` as the host's node over the votes it holds, as
/// `POST /api/v1/matters/{id}/close` does.
async fn close(host: &Seat, node: &SigningKey, matter: RecordId, time_ms: i64) -> Result<RecordId, Error> {
    let (ledger, node) = (host.ledger.clone(), node.clone());
    tokio::task::spawn_blocking(move || {
        let _guard = governance::AUTHORING.lock().expect("authoring lock poisoned");
        let chain = ledger.chain().ok_or(Error::Query(governance::Error::NoFederation))?;
        let body = governance::next_closing(ledger.store(), &chain, &node.public(), &matter)
            .map_err(|e| Error::Refused { what: "closing", source: Box::new(e) })?;
        authored(&ledger, &node, Kind::BallotClose, body.to_bytes(), time_ms)
    })
    .await?
}

/// Waits until `seat`'s node holds every record of `ids`, or [`REPLICATION_DEADLINE`] passes.
pub async fn until_held(seat: &Seat, ids: &[RecordId]) -> Result<(), Error> {
    let deadline = Instant::now() + REPLICATION_DEADLINE;
    loop {
        let mut missing = 0;
        for id in ids {
            if seat.ledger.store().get(id)?.is_none() {
                missing += 1;
            }
        }
        if missing == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::NotReplicated { member: seat.member.clone(), missing });
        }
        tokio::time::sleep(POLL).await;
    }
}

fn day(time_ms: i64) -> String {
    Date::of_utc_ms(time_ms).to_string()
}

/// A support case for the demo: raised by `seat`'s objektspecialist.
fn support_case(seat: &Seat, priority: Priority, category: &str, title: &str, description: &str) -> SupportCase {
    SupportCase {
        member: seat.member.clone(),
        category: category.into(),
        priority,
        title: title.into(),
        description: description.into(),
    }
}

/// Three support cases (docs/support.md), each raised at its member's node and escalated, the
/// förvaltningsgrupp's steps taken at the host's: a kritisk case escalated five days ago (longer
/// than any stretch of holidays without business hours) and never started, so its clocks are
/// breached; a medel case paused waiting for the reporter; and a medel case started, informed,
/// resolved and closed in time. Returns every record authored.
async fn support_cases(seats: &[Seat], h: &Seat, forvaltare: &SigningKey, now_ms: i64) -> Result<Vec<RecordId>, Error> {
    let others: Vec<&Seat> = seats.iter().filter(|s| s.member != h.member).chain([h]).collect();
    let cases = [
        (others[0], Priority::High, "Inloggning", "Ingen kan logga in i verksamhetssystemet", "Sedan i morse får alla användare felet 'okänd användare' vid inloggning. Omstart av klienten hjälper inte.", 5 * DAY_MS),
        (others[1 % others.len()], Priority::Medium, "Utskrift", "Utskrift av beslut hänger", "Utskrift av beslut i IFO hänger sig efter förhandsgranskningen. Andra dokument skrivs ut.", DAY_MS),
        (others[2 % others.len()], Priority::Medium, "Integration", "Meddelanden till e-tjänsten fördröjs", "Meddelanden till e-tjänsten kommer fram med flera timmars fördröjning.", 6 * DAY_MS),
    ];
    let mut out = Vec::new();
    for (i, (seat, priority, category, title, description, ago)) in cases.into_iter().enumerate() {
        let os = key(&seat.member, "objektspecialist");
        let at = now_ms - ago;
        let body = support_case(seat, priority, category, title, description);
        let case = author(seat, &os, Kind::SupportCase, body.to_bytes(), at).await?;
        let step = |after, action, text: &str| SupportEvent { case, after, action, text: text.into() };
        let escalate = step(case, SupportAction::Escalate, "");
        let escalated = author(seat, &os, Kind::SupportEvent, escalate.to_bytes(), at + MINUTE_MS).await?;
        out.extend([case, escalated]);
        if i == 0 {
            continue;
        }
        until_held(h, &[escalated]).await?;
        let started = step(escalated, SupportAction::Start, "Vi felsöker.");
        let started = author(h, forvaltare, Kind::SupportEvent, started.to_bytes(), at + 20 * MINUTE_MS).await?;
        out.push(started);
        if i == 1 {
            let pause =
                step(started, SupportAction::Pause, "Vilken skrivare och vilken version av klienten gäller det?");
            out.push(author(h, forvaltare, Kind::SupportEvent, pause.to_bytes(), at + 25 * MINUTE_MS).await?);
            continue;
        }
        let inform = step(started, SupportAction::Inform, "Felet är känt hos leverantören; rättning pågår.");
        out.push(author(h, forvaltare, Kind::SupportEvent, inform.to_bytes(), at + 25 * MINUTE_MS).await?);
        let resolve = step(started, SupportAction::Resolve, "Rättningen är installerad.");
        let resolved = author(h, forvaltare, Kind::SupportEvent, resolve.to_bytes(), at + 3 * HOUR_MS).await?;
        until_held(seat, &[resolved]).await?;
        let close = step(resolved, SupportAction::Close, "Bekräftat: meddelandena kommer fram.");
        out.extend([resolved, author(seat, &os, Kind::SupportEvent, close.to_bytes(), at + 4 * HOUR_MS).await?]);
    }
    Ok(out)
}

/// WebCare's SLA table as a record by the host's förvaltare, applying from `drafted`'s day, and
/// an övrigt matter naming it decided per capsulam: every member votes yes at its own node and
/// the host's node closes it at `closed`, so the table is in force from then on.
async fn adopt_sla(
    seats: &[Seat],
    h: &Seat,
    node: &SigningKey,
    forvaltare: &SigningKey,
    drafted: i64,
    closed: i64,
) -> Result<SlaAdoption, Error> {
    let table = author(h, forvaltare, Kind::SlaTable, SlaTable::webcare(&day(drafted)).to_bytes(), drafted).await?;
    let body = Matter {
        kind: MatterKind::Ovrigt,
        title: "SLA-tabell för applikationsförvaltning".into(),
        proposal: "Styrgruppen beslutar att fastställa WebCares SLA-tabell (Bilaga 3) som federationens.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 7 },
        closer: node.public(),
        subject: Some(table),
    };
    let matter = author(h, forvaltare, Kind::Matter, body.to_bytes(), drafted + MINUTE_MS).await?;
    let mut votes = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        until_held(seat, &[matter]).await?;
        let body = Vote { matter, member: seat.member.clone(), choice: Choice::Yes };
        let at = drafted + HOUR_MS + i64::try_from(i).expect("few members") * MINUTE_MS;
        votes.push(author(seat, &key(&seat.member, "ordinarie"), Kind::Vote, body.to_bytes(), at).await?);
    }
    until_held(h, &votes).await?;
    let closing = close(h, node, matter, closed).await?;
    Ok(SlaAdoption { table, matter, votes, closing })
}

/// Seeds the demo's content over running nodes, `host` among `seats`, with `now_ms` as today.
///
/// Of `seats`, all but one in seven vote on the plan; the two first members other than the host
/// (or the host's ordinarie, with two members) are justerare; the first three vote yes on the
/// budget.
pub async fn seed(seats: &[Seat], host: &str, now_ms: i64) -> Result<Seeded, Error> {
    let too_few = || Error::TooFewMembers { host: host.into() };
    let h = seats.iter().find(|s| s.member == host).ok_or_else(too_few)?;
    if seats.len() < 2 {
        return Err(too_few());
    }
    let node = testkit::key(&super::node_label(host));
    let forvaltare = key(host, "forvaltare");
    let chair = key(host, "ordforande");
    let called = now_ms - CALLED_DAYS_AGO * DAY_MS;
    let held = called + NOTICE_DAYS * DAY_MS;

    // WebCare's SLA table, adopted a week before the first support case was reported; seeded
    // first, so the plan and the budget are the newest matters.
    let sla = adopt_sla(seats, h, &node, &forvaltare, called - DAY_MS, held + 2 * HOUR_MS).await?;

    // The host's förvaltare prepares both matters with their papers; its node registers them.
    let (plan_file, budget_file) = (plan_paper(), budget_paper());
    // The plan and the budget are records first; each matter names the exact version it decides.
    let plan_record = author(h, &forvaltare, Kind::Plan, plan_2027().to_bytes(), called - 2 * MINUTE_MS).await?;
    let budget_record = author(h, &forvaltare, Kind::Plan, budget_2027().to_bytes(), called - MINUTE_MS).await?;
    // The utfall of the first two quarters, recorded by the förvaltare.
    for (i, utfall) in (1..).zip(utfall_2027(plan_record, budget_record)) {
        author(h, &forvaltare, Kind::Outcome, utfall.to_bytes(), called - MINUTE_MS + i * 10_000).await?;
    }
    let plan_body = Matter { subject: Some(plan_record), ..plan_matter(node.public(), vec![plan_file.reference()]) };
    let plan = author(h, &forvaltare, Kind::Matter, plan_body.to_bytes(), called).await?;
    let budget_body =
        Matter { subject: Some(budget_record), ..budget_matter(node.public(), vec![budget_file.reference()]) };
    let budget = author(h, &forvaltare, Kind::Matter, budget_body.to_bytes(), called + MINUTE_MS).await?;
    for file in [&plan_file, &budget_file] {
        h.ledger.store().put_blob(&file.bytes)?;
    }
    register(h, &node, plan, called + 2 * MINUTE_MS).await?;
    register(h, &node, budget, called + 3 * MINUTE_MS).await?;

    // The meeting, called ten days ahead (the charter asks five); notice is dated the day the
    // record claims, never before.
    let call_at = called + 4 * MINUTE_MS;
    let meeting_body = Meeting {
        title: "Styrgruppens sammanträde".into(),
        date: day(held),
        place: "Luleå stadshus, sammanträdesrum Norrbotten, och via länk".into(),
        agenda: vec![plan, budget],
        notice_given_on: day(call_at),
    };
    let meeting = author(h, &forvaltare, Kind::Meeting, meeting_body.to_bytes(), call_at).await?;

    // Each voting member's ordinarie votes at their own node, once the matter has reached it.
    let voters = &seats[..seats.len() - seats.len() / 7];
    let mut votes = Vec::new();
    for (i, seat) in voters.iter().enumerate() {
        until_held(seat, &[plan]).await?;
        let body = Vote { matter: plan, member: seat.member.clone(), choice: plan_choice(i) };
        let at = held + i64::try_from(i).expect("few members") * MINUTE_MS;
        votes.push(author(seat, &key(&seat.member, "ordinarie"), Kind::Vote, body.to_bytes(), at).await?);
    }

    // The host closes the plan over every vote, once its node holds them all.
    until_held(h, &votes).await?;
    let closing = close(h, &node, plan, held + HOUR_MS).await?;

    // Minutes by the förvaltare; the chair and two justerare attest them, each at their node.
    let justerare: Vec<&Seat> = seats.iter().filter(|s| s.member != host).chain([h]).take(2).collect();
    let mut present: Vec<MemberId> = voters.iter().map(|s| s.member.clone()).collect();
    present.sort();
    let minutes_body = Minutes {
        meeting,
        present,
        items: vec![
            MinutesItem {
                matter: plan,
                closing: Some(closing),
                text: "Styrgruppen beslutade att anta förvaltningsplanen enligt förslaget.".into(),
            },
            MinutesItem {
                matter: budget,
                closing: None,
                text: "Ärendet bordlades till styrgruppens nästa sammanträde.".into(),
            },
        ],
        justerare: [key(&justerare[0].member, "ordinarie").public(), key(&justerare[1].member, "ordinarie").public()],
        chair: chair.public(),
        anslag_date: Some(day(held + 3 * DAY_MS)),
    };
    let minutes = author(h, &forvaltare, Kind::Minutes, minutes_body.to_bytes(), held + DAY_MS).await?;
    let attest = Justering { minutes }.to_bytes();
    let mut justeringar = vec![author(h, &chair, Kind::Justering, attest.clone(), held + 2 * DAY_MS).await?];
    for (i, seat) in justerare.iter().enumerate() {
        until_held(seat, &[minutes]).await?;
        let at = held + 2 * DAY_MS + i64::try_from(i + 1).expect("two") * HOUR_MS;
        justeringar.push(author(seat, &key(&seat.member, "ordinarie"), Kind::Justering, attest.clone(), at).await?);
    }

    // The budget goes to the next meeting, called today; a few members have voted already.
    let next_body = Meeting {
        title: "Styrgruppens sammanträde".into(),
        date: day(now_ms + 14 * DAY_MS),
        place: "Via länk".into(),
        agenda: vec![budget],
        notice_given_on: day(now_ms),
    };
    let next_meeting = author(h, &forvaltare, Kind::Meeting, next_body.to_bytes(), now_ms).await?;
    let mut budget_votes = Vec::new();
    for (i, seat) in seats.iter().take(BUDGET_VOTERS).enumerate() {
        until_held(seat, &[budget]).await?;
        let body = Vote { matter: budget, member: seat.member.clone(), choice: Choice::Yes };
        let at = now_ms - i64::try_from(BUDGET_VOTERS - i).expect("few") * HOUR_MS;
        budget_votes.push(author(seat, &key(&seat.member, "ordinarie"), Kind::Vote, body.to_bytes(), at).await?);
    }
    // The agreement: drafted by the förvaltare, signed by every member's firmatecknare at its
    // own node, in force from the start of next year.
    let drafted = called - DAY_MS;
    let start = format!("{}-01-01", Date::of_utc_ms(now_ms).year() + 1);
    let agreement_body = agreement(seats, &start);
    let agreement = author(h, &forvaltare, Kind::Agreement, agreement_body.to_bytes(), drafted).await?;
    let mut agreement_signatures = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        until_held(seat, &[agreement]).await?;
        let party = u16::try_from(i).expect("at most MAX_PARTIES members");
        let body = AgreementSignature { agreement, party, act: Act::Sign, original: None };
        let at = drafted + HOUR_MS + i64::from(party) * MINUTE_MS;
        let signer = key(&seat.member, "firmatecknare");
        agreement_signatures.push(author(seat, &signer, Kind::AgreementSignature, body.to_bytes(), at).await?);
    }
    let outage = outages(seats, h, &forvaltare, now_ms).await?;
    let needs = seed_needs(seats, h, plan_record, now_ms - 5 * DAY_MS).await?;
    let support = support_cases(seats, h, &forvaltare, now_ms).await?;
    Ok(Seeded {
        sla,
        needs,
        agreement,
        agreement_signatures,
        outage,
        support,
        plan_record,
        budget_record,
        plan,
        budget,
        meeting,
        next_meeting,
        votes,
        budget_votes,
        closing,
        minutes,
        justeringar,
    })
}

/// A need as the demo registers it: (title, description, benefit, wished, area, asker name, role).
type NeedText = (&'static str, &'static str, &'static str, Option<&'static str>, Area, &'static str, &'static str);

/// The demo's needs, from the seeds' areas (WebCare's ändringsförfrågningar).
const NEEDS: [NeedText; 4] = [
    (
        "Avgiftsberäkning för hemtjänst direkt i systemet",
        "Avgiften för hemtjänst räknas i dag i ett kalkylark efter varje månadsskifte och förs in för hand.",
        "Avgiftshandläggarna sparar två dagar i månaden och felen i fakturorna minskar.",
        Some("2027-06-30"),
        Area::Avgift,
        "Anna Lind",
        "avgiftshandläggare",
    ),
    (
        "Mall för utredning enligt BBIC",
        "Utredningsmallen följer inte BBIC:s senaste version; rubrikerna måste läggas till för hand.",
        "Enhetliga utredningar i alla kommuner och mindre dubbelarbete för socialsekreterarna.",
        None,
        Area::Ifo,
        "Erik Holm",
        "enhetschef IFO",
    ),
    (
        "Signering av genomförandeplan i HSL",
        "Sjuksköterskan kan inte signera genomförandeplanen digitalt; den skrivs ut och skannas.",
        "Snabbare och spårbar dokumentation i hälso- och sjukvården.",
        Some("2027-12-31"),
        Area::Hsl,
        "Maria Ek",
        "MAS",
    ),
    (
        "Egen statistikrapport för LSS-beslut",
        "Varje kommun vill ha en rapport med sina LSS-beslut per insats och månad.",
        "Underlag till nämnden utan manuell sammanställning.",
        None,
        Area::SolLss,
        "Jonas Berg",
        "systemförvaltare",
    ),
];

/// The needs backlog: each need registered by its member's objektspecialist (the members in
/// turn, the host last), endorsed by the others at their nodes, the first prepared, decided
/// within the förvaltningsplan's frame and planned, the second prepared, the last refused; two
/// members rank the open needs.
async fn seed_needs(seats: &[Seat], h: &Seat, plan: RecordId, start_ms: i64) -> Result<Vec<RecordId>, Error> {
    let forvaltare = key(&h.member, "forvaltare");
    let seat = |i: usize| &seats[(i + 1) % seats.len()];
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for (i, (title, description, benefit, wished, area, name, role)) in NEEDS.into_iter().enumerate() {
        let s = seat(i);
        let need = Need {
            title: title.into(),
            description: description.into(),
            benefit: benefit.into(),
            wished: wished.map(Into::into),
            area,
            asker: Asker { name: name.into(), role: role.into() },
            member: s.member.clone(),
        };
        let at = start_ms + i64::try_from(i).expect("four needs") * HOUR_MS;
        ids.push(author(s, &key(&s.member, "objektspecialist"), Kind::Need, need.to_bytes(), at).await?);
    }
    out.extend(&ids);
    let mut at = start_ms + DAY_MS;
    // "Vi behöver också": the first need by every other member, the second by one.
    for (need, endorsers) in [(0, seats.len() - 1), (1, 1)] {
        for e in 1..=endorsers {
            let s = seat(need + e);
            until_held(s, &[ids[need]]).await?;
            let body = NeedUpdate::Endorse { need: ids[need] };
            out.push(author(s, &key(&s.member, "objektspecialist"), Kind::NeedUpdate, body.to_bytes(), at).await?);
            at += MINUTE_MS;
        }
    }
    until_held(h, &ids).await?;
    let steps = [
        (
            0,
            Step::Beredd {
                consequences: "En ny beräkningsmodul; taxorna läggs in per kommun.".into(),
                cost_ore: 18_500_000,
            },
        ),
        (0, Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } }),
        (0, Step::Planerad { plan }),
        (
            1,
            Step::Beredd {
                consequences: "Leverantören uppdaterar mallen; ingen ändring i databasen.".into(),
                cost_ore: 4_000_000,
            },
        ),
        (3, Step::Avslagen),
    ];
    let mut follows: Vec<RecordId> = ids.clone();
    for (need, step) in steps {
        let note = if matches!(step, Step::Avslagen) { "Finns redan som standardrapport i version 7.2." } else { "" };
        let body = NeedUpdate::Step { need: ids[need], follows: follows[need], step, note: note.into() };
        at += HOUR_MS;
        follows[need] = author(h, &forvaltare, Kind::NeedUpdate, body.to_bytes(), at).await?;
        out.push(follows[need]);
    }
    for (s, ranked) in [(h, vec![ids[1], ids[0], ids[2]]), (seat(0), vec![ids[0], ids[2]])] {
        until_held(s, &ids).await?;
        at += MINUTE_MS;
        let body = NeedUpdate::Rank { needs: ranked };
        out.push(author(s, &key(&s.member, "objektspecialist"), Kind::NeedUpdate, body.to_bytes(), at).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn papers_are_well_formed_pdfs_with_their_totals_computed() {
        for paper in [plan_paper(), budget_paper()] {
            assert!(paper.bytes.starts_with(b"%PDF-"), "{} is a PDF", paper.name);
            crate::report::check_xref(&paper.bytes).unwrap_or_else(|e| panic!("{}: {e}", paper.name));
            assert_eq!(paper.reference().size, paper.bytes.len() as u64);
        }
        let total = plan_text().pop().expect("a total line");
        assert!(total.contains("485 persondagar"), "{total}");
        assert!(total.contains(&format!("{} kr", grouped(1_800_000))), "{total}");
    }

    #[test]
    fn most_members_vote_yes_on_the_plan() {
        let choices: Vec<Choice> = (0..14).map(plan_choice).collect();
        let yes = choices.iter().filter(|c| **c == Choice::Yes).count();
        assert!(yes * 2 > choices.len(), "the plan is adopted by a majority: {choices:?}");
    }
}
