//! The backlog every node computes from the need records it holds (`docs/needs.md` §6–§7): each
//! need's path and state, the members that need it, and the federation's priority order. A pure
//! function of the *set* of valid records: any order of arrival, and repeats, give the same
//! backlog.

use std::collections::{BTreeMap, BTreeSet};

use super::{Need, NeedUpdate, State, Step, MAX_RANKED};
use crate::charter::MemberId;
use crate::crypto::PublicKey;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::RosterChain;

/// Where a record stands among records of one kind: later is greater. Compared as (claimed
/// time, author's seq, record id) — the same order on every node.
pub type Stamp = (i64, u64, RecordId);

fn stamp(r: &Record<Verified>) -> Stamp {
    (r.header().time_ms, r.header().seq, r.id())
}

/// A step taken on a need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// The step record.
    pub id: RecordId,
    /// The record it follows.
    pub follows: RecordId,
    /// What the step records.
    pub step: Step,
    /// Its note.
    pub note: String,
    /// Its author.
    pub author: PublicKey,
    /// The author's member.
    pub member: MemberId,
    /// Its claimed time, ms since the epoch (UTC).
    pub time_ms: i64,
}

/// One need as the backlog sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The need record.
    pub id: RecordId,
    /// The need.
    pub need: Need,
    /// Its claimed time.
    pub time_ms: i64,
    /// Its path: the steps from the need to where it stands, in order.
    pub path: Vec<Taken>,
    /// Valid steps not on the path (a later step after the same record took the path elsewhere),
    /// by id.
    pub other_steps: Vec<Taken>,
    /// The other members that endorsed it.
    pub endorsers: BTreeSet<MemberId>,
    /// Borda points from the members' rankings (0 when the need is not open).
    pub points: u64,
}

impl Entry {
    /// Where the need stands.
    pub fn state(&self) -> State {
        self.path.last().map_or(State::Registrerad, |t| t.step.state())
    }

    /// The members that need it: its own and every endorser.
    pub fn members(&self) -> BTreeSet<MemberId> {
        let mut all = self.endorsers.clone();
        all.insert(self.need.member.clone());
        all
    }
}

/// A member's counting ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    /// The ranking record.
    pub id: RecordId,
    /// The needs it ranks, the highest first, as signed.
    pub needs: Vec<RecordId>,
    /// Its claimed time.
    pub time_ms: i64,
}

/// The backlog: every need held, each member's counting ranking, and the priority order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Every need held with a readable body, by id.
    pub needs: BTreeMap<RecordId, Entry>,
    /// Each member's latest ranking.
    pub rankings: BTreeMap<MemberId, Ranking>,
    /// The open needs, the federation's highest priority first.
    pub order: Vec<RecordId>,
}

/// Computes the backlog from `records` (any kinds, any order, repeats allowed; every one valid,
/// so its author is in `chain` at the roster version it names).
pub fn backlog(records: &[Record<Verified>], chain: &RosterChain) -> Backlog {
    let member = |r: &Record<Verified>| -> Option<MemberId> {
        chain.at(r.header().roster)?.keys.get(&r.header().author).map(|g| g.member.clone())
    };
    let mut needs = BTreeMap::new();
    let mut updates: BTreeMap<RecordId, (Stamp, NeedUpdate, MemberId, PublicKey)> = BTreeMap::new();
    for r in records {
        let Some(body) = r.body() else { continue };
        match r.header().kind {
            Kind::Need => {
                if let Ok(need) = Need::from_bytes(body) {
                    let entry = Entry {
                        id: r.id(),
                        need,
                        time_ms: r.header().time_ms,
                        path: Vec::new(),
                        other_steps: Vec::new(),
                        endorsers: BTreeSet::new(),
                        points: 0,
                    };
                    needs.insert(r.id(), entry);
                }
            }
            Kind::NeedUpdate => {
                if let (Ok(u), Some(m)) = (NeedUpdate::from_bytes(body), member(r)) {
                    updates.insert(r.id(), (stamp(r), u, m, r.header().author));
                }
            }
            _ => {}
        }
    }
    let mut children: BTreeMap<RecordId, Vec<(Stamp, Taken)>> = BTreeMap::new();
    let mut rankings: BTreeMap<MemberId, (Stamp, Ranking)> = BTreeMap::new();
    for (id, (st, u, m, author)) in updates {
        match u {
            NeedUpdate::Endorse { need } => {
                if let Some(e) = needs.get_mut(&need).filter(|e| e.need.member != m) {
                    e.endorsers.insert(m);
                }
            }
            NeedUpdate::Rank { needs: ranked } => {
                let ranking = Ranking { id, needs: ranked, time_ms: st.0 };
                if rankings.get(&m).is_none_or(|(old, _)| *old < st) {
                    rankings.insert(m, (st, ranking));
                }
            }
            NeedUpdate::Step { follows, step, note, .. } => {
                let taken = Taken { id, follows, step, note, author, member: m, time_ms: st.0 };
                children.entry(follows).or_default().push((st, taken));
            }
        }
    }
    for (id, entry) in &mut needs {
        walk(*id, entry, &mut children);
    }
    let rankings: BTreeMap<MemberId, Ranking> = rankings.into_iter().map(|(m, (_, r))| (m, r)).collect();
    let order = priority(&mut needs, &rankings);
    Backlog { needs, rankings, order }
}

/// Follows the path from the need: at each record, the greatest [`Stamp`] among the steps that
/// follow it is taken; the others are kept as `other_steps`.
fn walk(need: RecordId, entry: &mut Entry, children: &mut BTreeMap<RecordId, Vec<(Stamp, Taken)>>) {
    let mut at = need;
    let mut off = Vec::new();
    while let Some(mut next) = children.remove(&at) {
        next.sort_by_key(|(st, _)| std::cmp::Reverse(*st));
        let mut next = next.into_iter().map(|(_, t)| t);
        let Some(chosen) = next.next() else { break };
        off.extend(next);
        at = chosen.id;
        entry.path.push(chosen);
    }
    // Steps after an off-path step are off the path too.
    let mut stack: Vec<RecordId> = off.iter().map(|t| t.id).collect();
    while let Some(id) = stack.pop() {
        for (_, t) in children.remove(&id).unwrap_or_default() {
            stack.push(t.id);
            off.push(t);
        }
    }
    off.sort_by_key(|t| t.id);
    entry.other_steps = off;
}

/// Borda points and the priority order (`docs/needs.md` §7): each member's counting ranking,
/// kept to the open needs it names in its order, gives the need at index `i` (from 0)
/// `MAX_RANKED - i` points. Open needs are ordered by points (most first), then by how many
/// members need them (most first), then by record id (lowest first).
fn priority(needs: &mut BTreeMap<RecordId, Entry>, rankings: &BTreeMap<MemberId, Ranking>) -> Vec<RecordId> {
    for ranking in rankings.values() {
        let open = ranking.needs.iter().filter_map(|id| needs.get(id).filter(|e| e.state().is_open()).map(|_| *id));
        for (i, id) in open.collect::<Vec<_>>().into_iter().enumerate() {
            let points = (MAX_RANKED - i) as u64;
            needs.get_mut(&id).expect("filtered to held needs").points += points;
        }
    }
    let mut open: Vec<&Entry> = needs.values().filter(|e| e.state().is_open()).collect();
    open.sort_by(|a, b| b.points.cmp(&a.points).then(b.members().len().cmp(&a.members().len())).then(a.id.cmp(&b.id)));
    open.into_iter().map(|e| e.id).collect()
}
