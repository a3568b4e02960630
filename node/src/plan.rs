//! Node-side plans: the plans held with their computed totals, receipts (who has not received a
//! version, and since when), adoption (fastställd by a decision), cost keys and the invoice basis
//! (adopted budget × adopted key), the follow-up of budget against utfall ([`followup`]), and the receipts this node's key signs by itself — computed
//! from the store with the pure rules of `samverka_protocol::plan`. The API, the CLI and the
//! pages call these; no handler holds a rule.
//!
//! The plans with their receipts and adoptions are a view ([`crate::read::views`]), computed
//! from the records held in the read model again only once one of the kinds it reads has been
//! stored.

pub mod export;
pub mod followup;
pub mod import;
pub mod outcome_file;
pub mod pages;

use std::collections::BTreeMap;
use std::sync::Arc;

use samverka_protocol::cost;
use samverka_protocol::plan::{
    adoption, diff, totals, Adoption, Change, CostKey, Decided, Outcome, Plan, PlanKind, PlanReceipt, Totals,
};
use samverka_protocol::{Body, Kind, MemberId, Record, RecordId, RosterChain, SigningKey, Verified};
use tokio::sync::{broadcast, watch};

use crate::governance::{self, get, member_name, member_of_key, scan, scan_bodies, Error, Held};
use crate::ledger::Ledger;
use crate::read::views;
use crate::storage::Store;

/// A plan version held, with what every node computes about it.
#[derive(Clone, Debug)]
pub struct PlanSummary {
    /// The plan.
    pub plan: Held<Plan>,
    /// Its totals, computed from its lines.
    pub totals: Totals,
    /// Whether it is fastställd, and by which decision.
    pub adoption: Adoption,
    /// Later versions held that name it as superseded.
    pub superseded_by: Vec<RecordId>,
    /// Members whose node has receipted it.
    pub receipted: usize,
    /// Members in the current roster.
    pub members: usize,
}

/// One member's receipt of a plan.
#[derive(Clone, Debug)]
pub struct ReceiptLine {
    /// The member.
    pub member: MemberId,
    /// Its name.
    pub member_name: String,
    /// The first receipt held from one of its node keys: the record and its claimed time.
    pub receipt: Option<(RecordId, i64)>,
}

/// A plan version in full: what the plan page, the CSV and the API show.
#[derive(Clone, Debug)]
pub struct PlanReport {
    /// The plan, its totals, adoption and receipts count.
    pub summary: PlanSummary,
    /// Every member of the current roster, receipted or not.
    pub receipts: Vec<ReceiptLine>,
    /// The claimed time of the plan: members without a receipt have lacked it since then.
    pub published_ms: i64,
    /// The version it supersedes, if held.
    pub previous: Option<Held<Plan>>,
    /// What changed from `previous`.
    pub changes: Vec<Change>,
    /// Budget against utfall per activity (or budget line) and quarter.
    pub follow_up: followup::FollowUp,
}

impl PlanReport {
    /// The members that have not receipted the plan.
    pub fn missing(&self) -> impl Iterator<Item = &ReceiptLine> {
        self.receipts.iter().filter(|r| r.receipt.is_none())
    }
}

/// Every matter held that names a subject, with how its closings settle it: a view
/// ([`crate::read::views`]) found in the governance read model, which keeps each matter's
/// settlement as its closings arrive.
pub(crate) struct Decisions(pub(crate) Vec<Decided>);

/// The matters held that name a subject, with their settlements.
pub(crate) fn decided(store: &Store) -> Result<Arc<Decisions>, Error> {
    let index = store.read_model();
    index.view(&[Kind::Matter, Kind::BallotClose], &[], || {
        let model = index.read();
        let decided = model.matters_with_subject().map(|(m, settlement)| Decided {
            id: m.id(),
            matter: m.body.clone(),
            settlement,
        });
        Ok(Decisions(decided.collect()))
    })
}

/// Whether the record `id` (a plan version or a cost key) is fastställd.
pub fn adoption_of(store: &Store, id: &RecordId) -> Result<Adoption, Error> {
    Ok(adoption(id, &decided(store)?.0))
}

/// Per member, its first receipt of one plan: (receipt id, claimed time).
type Receipts = BTreeMap<MemberId, (RecordId, i64)>;

/// Receipts held per plan: plan → member → first (receipt id, claimed time) by time then id.
fn receipts_by_plan(store: &Store, chain: &RosterChain) -> Result<BTreeMap<RecordId, Receipts>, Error> {
    let mut out: BTreeMap<RecordId, Receipts> = BTreeMap::new();
    for r in scan_bodies::<PlanReceipt>(store)? {
        let Some(member) = member_of_key(chain, &r.record.header().author) else { continue };
        let this = (r.id(), r.record.header().time_ms);
        let slot = out.entry(r.body.plan).or_default().entry(member).or_insert(this);
        if (this.1, this.0) < (slot.1, slot.0) {
            *slot = this;
        }
    }
    Ok(out)
}

/// Every plan version held, oldest claimed time first.
pub fn plans(store: &Store, chain: &RosterChain) -> Result<Vec<PlanSummary>, Error> {
    Ok(held(store, chain)?.summaries.clone())
}

/// The plans held with their receipts: a view ([`crate::read::views`]), computed again only once
/// a plan, a receipt, a matter or a closing has been stored or the roster has moved.
struct Plans {
    summaries: Vec<PlanSummary>,
    receipts: BTreeMap<RecordId, Receipts>,
}

fn held(store: &Store, chain: &RosterChain) -> Result<Arc<Plans>, Error> {
    let kinds = [Kind::Plan, Kind::PlanReceipt, Kind::Matter, Kind::BallotClose];
    store.read_model().view(&kinds, &[views::roster(chain)], || {
        let held = scan_bodies::<Plan>(store)?;
        let decided = decided(store)?;
        let receipts = receipts_by_plan(store, chain)?;
        let members = chain.current().members.len();
        let mut summaries: Vec<PlanSummary> = held
            .iter()
            .map(|p| PlanSummary {
                totals: totals(&p.body),
                adoption: adoption(&p.id(), &decided.0),
                superseded_by: held.iter().filter(|n| n.body.supersedes == Some(p.id())).map(Held::id).collect(),
                receipted: receipts
                    .get(&p.id())
                    .map_or(0, |r| r.keys().filter(|m| chain.current().members.contains_key(*m)).count()),
                members,
                plan: p.clone(),
            })
            .collect();
        summaries.sort_by_key(|s| (s.plan.record.header().time_ms, s.plan.id()));
        Ok(Plans { summaries, receipts })
    })
}

/// One plan version in full, or `None` when no plan with that id is held.
pub fn plan_report(store: &Store, chain: &RosterChain, id: &RecordId) -> Result<Option<PlanReport>, Error> {
    let plans = held(store, chain)?;
    let Some(summary) = plans.summaries.iter().find(|s| s.plan.id() == *id).cloned() else { return Ok(None) };
    let receipts = plans.receipts.get(id).cloned().unwrap_or_default();
    let lines = chain
        .current()
        .members
        .keys()
        .map(|m| ReceiptLine {
            member: m.clone(),
            member_name: member_name(chain, m),
            receipt: receipts.get(m).copied(),
        })
        .collect();
    let previous = match summary.plan.body.supersedes {
        Some(prev) => get::<Plan>(store, &prev)?,
        None => None,
    };
    let changes = previous.as_ref().map(|p| diff(&p.body, &summary.plan.body)).unwrap_or_default();
    let published_ms = summary.plan.record.header().time_ms;
    let follow_up = followup::follow_up(&summary.plan, &summary.totals, &scan_bodies::<Outcome>(store)?);
    Ok(Some(PlanReport { summary, receipts: lines, published_ms, previous, changes, follow_up }))
}

/// The receipt `key` owes for `record`: `Some` when it is a plan and `key` is a node key of the
/// current roster that has not receipted it yet.
pub fn receipt_due(
    store: &Store,
    chain: &RosterChain,
    key: &samverka_protocol::PublicKey,
    record: &Record<Verified>,
) -> Result<Option<PlanReceipt>, Error> {
    if record.header().kind != Kind::Plan || !chain.current().is_node_key(key) {
        return Ok(None);
    }
    let mine = |r: &Held<PlanReceipt>| r.record.header().author == *key && r.body.plan == record.id();
    if scan_bodies::<PlanReceipt>(store)?.iter().any(mine) {
        return Ok(None);
    }
    Ok(Some(PlanReceipt { plan: record.id() }))
}

/// Authors the receipt this node's `key` owes for `record`, if any.
pub fn issue_receipt(
    ledger: &Ledger,
    key: &SigningKey,
    record: &Record<Verified>,
) -> Result<Option<Record<Verified>>, governance::ReceiptError> {
    let _guard = governance::AUTHORING.lock().expect("authoring lock poisoned");
    let Some(chain) = ledger.chain() else { return Ok(None) };
    let Some(receipt) = receipt_due(ledger.store(), &chain, &key.public(), record)? else { return Ok(None) };
    let now = jiff::Timestamp::now().as_millisecond();
    Ok(Some(ledger.author(key, Kind::PlanReceipt, receipt.to_bytes(), now)?))
}

/// Authors every receipt this node's key owes for the plans held (those stored while no
/// receipt task ran, or missed by a lagging one). Returns how many it authored.
pub fn issue_owed(ledger: &Ledger, key: &SigningKey) -> Result<usize, governance::ReceiptError> {
    let mut n = 0;
    for record in scan(ledger.store(), Kind::Plan)? {
        n += usize::from(issue_receipt(ledger, key, &record)?.is_some());
    }
    Ok(n)
}

/// Receipts every plan this node stores — one it held already on start, one that arrives by
/// gossip, or one a catch-up sync brings after the node was cut off — until `stop` is true.
pub async fn issue_receipts(ledger: Arc<Ledger>, key: SigningKey, mut stop: watch::Receiver<bool>) {
    let mut stored = ledger.subscribe();
    let (l, k) = (ledger.clone(), key.clone());
    match tokio::task::spawn_blocking(move || issue_owed(&l, &k)).await {
        Ok(Ok(n)) if n > 0 => tracing::info!(receipts = n, "plan receipts owed on start authored"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not author the plan receipts owed on start"),
        Err(e) => tracing::error!(error = %e, "the plan receipt task failed"),
    }
    loop {
        let record = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = stored.recv() => r,
        };
        let record = match record {
            Ok(r) if r.header().kind == Kind::Plan => Some(r),
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "plan receipts: fell behind the stored records; sweeping every plan");
                None
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let (l, k) = (ledger.clone(), key.clone());
        let done = tokio::task::spawn_blocking(move || match record {
            Some(r) => issue_receipt(&l, &k, &r).map(|o| usize::from(o.is_some())),
            None => issue_owed(&l, &k),
        })
        .await;
        match done {
            Ok(Ok(n)) if n > 0 => tracing::debug!(receipts = n, "plan receipted"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not author a plan receipt"),
            Err(e) => tracing::error!(error = %e, "the plan receipt task failed"),
        }
    }
}

/// A cost key held, with its adoption.
#[derive(Clone, Debug)]
pub struct KeySummary {
    /// The key.
    pub key: Held<CostKey>,
    /// Whether it is fastställd.
    pub adoption: Adoption,
}

/// Every cost key held, oldest claimed time first.
pub fn cost_keys(store: &Store) -> Result<Vec<KeySummary>, Error> {
    let decided = decided(store)?;
    let mut out: Vec<KeySummary> = scan_bodies::<CostKey>(store)?
        .into_iter()
        .map(|k| KeySummary { adoption: adoption(&k.id(), &decided.0), key: k })
        .collect();
    out.sort_by_key(|k| (k.key.record.header().time_ms, k.key.id()));
    Ok(out)
}

/// Why there is no invoice basis for a year.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The query failed.
    #[error(transparent)]
    Query(#[from] Error),
    /// No budget for the year is fastställd.
    #[error("no budget for {0} is fastställd: the styrgrupp adopts one by a budget matter naming it")]
    NoAdoptedBudget(u16),
    /// No cost key for the year is fastställd.
    #[error("no cost key for {0} is fastställd: the styrgrupp adopts one by a budget matter naming it")]
    NoAdoptedKey(u16),
    /// The split refused the budget or key.
    #[error("the budget cannot be split by the key: {0}")]
    Split(#[from] cost::Violation),
}

impl Refusal {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Query(_) => "query_failed",
            Refusal::NoAdoptedBudget(_) => "no_adopted_budget",
            Refusal::NoAdoptedKey(_) => "no_adopted_key",
            Refusal::Split(v) => v.code(),
        }
    }
}

/// Each member's invoice basis for a year: the adopted budget split by the adopted key.
#[derive(Clone, Debug)]
pub struct InvoiceBasis {
    /// The year.
    pub year: u16,
    /// The budget.
    pub budget: Held<Plan>,
    /// The key.
    pub key: Held<CostKey>,
    /// The split, one line per member in the key's order, summing exactly to the budget.
    pub split: cost::Split,
    /// The budget's lines against their utfall.
    pub follow_up: followup::FollowUp,
    /// Each member's share of the budget and of the utfall, in the key's order.
    pub members: Vec<followup::MemberLine>,
}

/// The adopted version for a year: among those fastställda, the latest claimed time (then the
/// highest id). A later adopted version needs its own decision, so it wins only once adopted.
fn latest<T>(candidates: impl Iterator<Item = Held<T>>) -> Option<Held<T>> {
    candidates.max_by_key(|h| (h.record.header().time_ms, h.id()))
}

/// The invoice basis for `year`: the adopted budget's total split by the adopted cost key.
pub fn invoice_basis(store: &Store, year: u16) -> Result<InvoiceBasis, Refusal> {
    let decided = decided(store)?;
    let adopted = |id: &RecordId| matches!(adoption(id, &decided.0), Adoption::Adopted { .. });
    let budget = latest(
        scan_bodies::<Plan>(store)?
            .into_iter()
            .filter(|p| p.body.kind == PlanKind::Budget && p.body.period.year() == year && adopted(&p.id())),
    )
    .ok_or(Refusal::NoAdoptedBudget(year))?;
    let key = latest(scan_bodies::<CostKey>(store)?.into_iter().filter(|k| k.body.year == year && adopted(&k.id())))
        .ok_or(Refusal::NoAdoptedKey(year))?;
    let (t, key_rule) = (totals(&budget.body), key.body.key()?);
    let split = cost::split(t.total, &key_rule)?;
    let follow_up = followup::follow_up(&budget, &t, &scan_bodies::<Outcome>(store)?);
    let members = followup::per_member(&follow_up, &key_rule)?;
    Ok(InvoiceBasis { year, budget, key, split, follow_up, members })
}
