//! A case's history, status and clocks from the set of its valid records, and the breaches
//! summed per member, category and month (`docs/support.md` §5–§7). The same set gives the same
//! history on every node, whatever the order the records arrived in.

use std::collections::{BTreeMap, BTreeSet};

use super::calendar::Local;
use super::{Action, Clock, ClockKind, Schedule, State, SupportCase, SupportEvent, Table};
use crate::charter::MemberId;
use crate::crypto::PublicKey;
use crate::record::{Body, Record, RecordId, Verified};

/// One event as the history shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The event record.
    pub id: RecordId,
    /// Its claimed time.
    pub time_ms: i64,
    /// Its author.
    pub author: PublicKey,
    /// The step.
    pub action: Action,
    /// Its text.
    pub text: String,
    /// Whether it counts: a state event on the case's main chain, or a note following one.
    /// A state event on a side branch (two steps recorded from one state) does not.
    pub counted: bool,
}

/// A case as its records give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The case record's id.
    pub id: RecordId,
    /// The case's body.
    pub case: SupportCase,
    /// When it was reported (the case record's claimed time).
    pub reported_ms: i64,
    /// Its author (line 1).
    pub reporter: PublicKey,
    /// Every event, ordered by (claimed time, record id).
    pub steps: Vec<Step>,
    /// The state the main chain ends in.
    pub state: State,
    /// The main chain's last state event, or the case itself: what the next step names as
    /// `after`.
    pub head: RecordId,
    /// The main chain's escalation, if any.
    pub escalated_ms: Option<i64>,
    /// The main chain's start of repair (or vendor escalation), if any.
    pub started_ms: Option<i64>,
    /// The first counted information note after the escalation, if any.
    pub informed_ms: Option<i64>,
    /// The main chain's resolution, if any.
    pub resolved_ms: Option<i64>,
    /// The vendor's reference, if the case went to line 3.
    pub vendor_reference: Option<String>,
    /// The pauses on the main chain, `[from, until)`; the last may be open.
    pub pauses: Vec<(i64, Option<i64>)>,
}

/// Builds a case's history from its record and the events held for it. Events of other cases,
/// or whose bodies are unreadable (redacted), are left out.
///
/// The main chain: from the case, the next state event is the earliest (by claimed time, then
/// record id) of the state events that name the current one as `after`; repeated until none does.
pub fn history(case: &Record<Verified>, events: &[Record<Verified>]) -> Option<History> {
    let body = SupportCase::from_bytes(case.body()?).ok()?;
    let mut all: Vec<(i64, RecordId, PublicKey, SupportEvent)> = events
        .iter()
        .filter_map(|r| {
            let e = SupportEvent::from_bytes(r.body()?).ok()?;
            (e.case == case.id()).then(|| (r.header().time_ms, r.id(), r.header().author, e))
        })
        .collect();
    all.sort_by_key(|a| (a.0, a.1));
    let mut h = History {
        id: case.id(),
        case: body,
        reported_ms: case.header().time_ms,
        reporter: case.header().author,
        steps: Vec::new(),
        state: State::OPEN,
        head: case.id(),
        escalated_ms: None,
        started_ms: None,
        informed_ms: None,
        resolved_ms: None,
        vendor_reference: None,
        pauses: Vec::new(),
    };
    let main = main_chain(case.id(), &all);
    h.head = main.last().copied().unwrap_or(h.id);
    let on_main: BTreeSet<RecordId> = main.iter().copied().chain([case.id()]).collect();
    for i in &main {
        let (time, _, _, e) = all.iter().find(|(_, id, _, _)| id == i).expect("the main chain is drawn from all");
        h.apply(*time, &e.action);
    }
    for (time_ms, id, author, e) in all {
        let counted = if e.action.is_state() { on_main.contains(&id) } else { on_main.contains(&e.after) };
        if counted && e.action == Action::Inform && h.escalated_ms.is_some_and(|x| x <= time_ms) {
            h.informed_ms.get_or_insert(time_ms);
        }
        h.steps.push(Step { id, time_ms, author, action: e.action, text: e.text, counted });
    }
    Some(h)
}

/// The ids of the main chain's state events, in order (`all` sorted by time and id).
fn main_chain(case: RecordId, all: &[(i64, RecordId, PublicKey, SupportEvent)]) -> Vec<RecordId> {
    let mut chain = Vec::new();
    let mut at = case;
    // `all` is sorted, so the first child found is the earliest; each step is taken once.
    while let Some((_, id, _, _)) = all.iter().find(|(_, _, _, e)| e.action.is_state() && e.after == at) {
        chain.push(*id);
        at = *id;
        if chain.len() > all.len() {
            break;
        }
    }
    chain
}

impl History {
    /// Applies a main-chain state event.
    fn apply(&mut self, time_ms: i64, action: &Action) {
        self.state = self.state.after(action).unwrap_or(self.state);
        match action {
            Action::Escalate => self.escalated_ms = Some(time_ms),
            Action::Start => self.started_ms = Some(time_ms),
            Action::Vendor { reference } => self.vendor_reference = Some(reference.clone()),
            Action::Pause => self.pauses.push((time_ms, None)),
            Action::Resume => self.close_pause(time_ms),
            Action::Resolve => {
                self.close_pause(time_ms);
                self.resolved_ms = Some(time_ms);
            }
            Action::Close | Action::Message | Action::Inform => {}
        }
    }

    fn close_pause(&mut self, time_ms: i64) {
        if let Some((_, until @ None)) = self.pauses.last_mut() {
            *until = Some(time_ms);
        }
    }

    /// The member the case is raised for.
    pub fn member(&self) -> &MemberId {
        &self.case.member
    }

    /// The case's SLA clocks under `table`: none before the escalation or for a priority
    /// without targets.
    pub fn clocks(&self, table: &Table) -> Vec<Clock> {
        let (Some(from), Some(target)) = (self.escalated_ms, table.target(self.case.priority)) else {
            return Vec::new();
        };
        let stop = |first: Option<i64>| match (first, self.resolved_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let stops = [
            (ClockKind::Start, stop(self.started_ms)),
            (ClockKind::Inform, stop(self.informed_ms)),
            (ClockKind::Downtime, self.resolved_ms),
        ];
        stops
            .into_iter()
            .map(|(kind, stopped_ms)| Clock {
                stopped_ms,
                pauses: self.pauses.clone(),
                ..Clock::new(kind, target, from)
            })
            .collect()
    }

    /// The clocks breached at `now_ms`.
    pub fn breached(&self, table: &Table, now_ms: i64) -> Vec<ClockKind> {
        self.clocks(table).iter().filter(|c| c.read(now_ms).breached).map(|c| c.kind).collect()
    }

    /// The Stockholm month the case was reported in, `YYYY-MM`.
    pub fn month(&self) -> String {
        let date = Local::of(self.reported_ms).date;
        format!("{:04}-{:02}", date.year(), date.month())
    }
}

/// What breaches are summed by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BreachKey {
    /// The case's member.
    pub member: MemberId,
    /// The case's category.
    pub category: String,
    /// The Stockholm month the case was reported in, `YYYY-MM`.
    pub month: String,
}

/// Breaches summed under one key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Breach {
    /// Cases under the key.
    pub cases: u32,
    /// Cases with at least one clock breached.
    pub breached_cases: u32,
    /// Breached clocks, per clock.
    pub clocks: BTreeMap<ClockKind, u32>,
}

/// Cases and breaches at `now_ms` summed per member, category and month, each case clocked by
/// the table `tables` puts in force when it was reported. Cases of a priority without targets
/// count as cases, never as breaches.
pub fn breaches<'a>(
    cases: impl IntoIterator<Item = &'a History>,
    tables: &Schedule,
    now_ms: i64,
) -> BTreeMap<BreachKey, Breach> {
    let mut sums: BTreeMap<BreachKey, Breach> = BTreeMap::new();
    for h in cases {
        let key =
            BreachKey { member: h.member().clone(), category: h.case.category.trim().to_owned(), month: h.month() };
        let sum = sums.entry(key).or_default();
        sum.cases += 1;
        let breached = h.breached(tables.table(h.reported_ms), now_ms);
        if !breached.is_empty() {
            sum.breached_cases += 1;
        }
        for kind in breached {
            *sum.clocks.entry(kind).or_default() += 1;
        }
    }
    sums
}
