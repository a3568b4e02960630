//! Each notice's state, computed from the set of valid records (`docs/outages.md` §4): the same
//! on every node whatever the order of arrival, since every choice is by a total order on
//! what the records themselves say.

use std::collections::BTreeMap;

use super::{OutageAck, OutageNotice, Published, MAX_UPDATES_SHOWN};
use crate::charter::MemberId;
use crate::crypto::PublicKey;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::RosterChain;

/// The order every choice among records follows: claimed time, then the author's chain
/// position, then record id.
type Order = (i64, u64, RecordId);

fn order(r: &Record<Verified>) -> Order {
    (r.header().time_ms, r.header().seq, r.id())
}

/// An update of a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The update record.
    pub id: RecordId,
    /// Its author.
    pub author: PublicKey,
    /// Its claimed time.
    pub time_ms: i64,
    /// The news.
    pub text: String,
    /// A new expected end, if it changed.
    pub expected_end_ms: Option<i64>,
    /// Whether it comes after the all-clear in the stated order: shown as such, changing
    /// nothing.
    pub after_clear: bool,
}

/// A notice's all-clear (friskförklaring).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearing {
    /// The all-clear record.
    pub id: RecordId,
    /// Its author.
    pub author: PublicKey,
    /// Its claimed time.
    pub time_ms: i64,
    /// What was done.
    pub text: String,
}

/// A member's acknowledgement (kvittens) of a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The acknowledgement record.
    pub id: RecordId,
    /// The objektspecialist's key.
    pub author: PublicKey,
    /// Its claimed time.
    pub time_ms: i64,
}

/// A notice with everything every node computes about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The notice record.
    pub id: RecordId,
    /// Its author.
    pub author: PublicKey,
    /// Its claimed time: members that have not acknowledged it have lacked it since then.
    pub time_ms: i64,
    /// The notice as published.
    pub notice: Published,
    /// Its updates in the stated order, at most [`MAX_UPDATES_SHOWN`].
    pub updates: Vec<Update>,
    /// Updates beyond [`MAX_UPDATES_SHOWN`], counted and not kept.
    pub more_updates: usize,
    /// The first all-clear in the stated order; a later one changes nothing.
    pub cleared: Option<Clearing>,
    /// Each member's first acknowledgement in the stated order.
    pub acknowledgements: BTreeMap<MemberId, Acknowledgement>,
}

impl State {
    /// Whether the notice is still in force: no all-clear is held.
    pub fn is_active(&self) -> bool {
        self.cleared.is_none()
    }

    /// The expected end: the last update's in the stated order that gives one, else the
    /// notice's.
    pub fn expected_end_ms(&self) -> Option<i64> {
        self.updates.iter().rev().find_map(|u| u.expected_end_ms).or(self.notice.expected_end_ms)
    }
}

/// Every notice among `records` with its state. `records` are valid outage-notice and
/// acknowledgement records (others, and records whose body was redacted, are skipped); each
/// acknowledgement counts for the member its key belonged to in the roster version it names.
pub fn state(records: &[Record<Verified>], chain: &RosterChain) -> BTreeMap<RecordId, State> {
    let mut sorted: Vec<&Record<Verified>> = records.iter().collect();
    sorted.sort_by_key(|r| order(r));
    let mut out: BTreeMap<RecordId, State> = BTreeMap::new();
    for r in &sorted {
        if let Some(OutageNotice::Publish(notice)) = decode::<OutageNotice>(r, Kind::OutageNotice) {
            let h = r.header();
            out.insert(
                r.id(),
                State {
                    id: r.id(),
                    author: h.author,
                    time_ms: h.time_ms,
                    notice,
                    updates: Vec::new(),
                    more_updates: 0,
                    cleared: None,
                    acknowledgements: BTreeMap::new(),
                },
            );
        }
    }
    // Clearings first, so that each update knows whether it follows the all-clear.
    let mut cleared_at: BTreeMap<RecordId, Order> = BTreeMap::new();
    for r in &sorted {
        if let Some(OutageNotice::Clear { notice, text }) = decode::<OutageNotice>(r, Kind::OutageNotice) {
            if let Some(s) = out.get_mut(&notice).filter(|s| s.cleared.is_none()) {
                let h = r.header();
                s.cleared = Some(Clearing { id: r.id(), author: h.author, time_ms: h.time_ms, text });
                cleared_at.insert(notice, order(r));
            }
        }
    }
    for r in &sorted {
        let h = r.header();
        match (decode::<OutageNotice>(r, Kind::OutageNotice), decode::<OutageAck>(r, Kind::OutageAck)) {
            (Some(OutageNotice::Update { notice, text, expected_end_ms }), _) => {
                let Some(s) = out.get_mut(&notice) else { continue };
                if s.updates.len() == MAX_UPDATES_SHOWN {
                    s.more_updates += 1;
                    continue;
                }
                let after_clear = cleared_at.get(&notice).is_some_and(|c| *c < order(r));
                s.updates.push(Update {
                    id: r.id(),
                    author: h.author,
                    time_ms: h.time_ms,
                    text,
                    expected_end_ms,
                    after_clear,
                });
            }
            (_, Some(ack)) => {
                let Some(s) = out.get_mut(&ack.notice) else { continue };
                let Some(member) = chain.at(h.roster).and_then(|roster| roster.keys.get(&h.author)) else { continue };
                s.acknowledgements.entry(member.member.clone()).or_insert(Acknowledgement {
                    id: r.id(),
                    author: h.author,
                    time_ms: h.time_ms,
                });
            }
            _ => {}
        }
    }
    out
}

fn decode<T: Body>(r: &Record<Verified>, kind: Kind) -> Option<T> {
    if r.header().kind != kind {
        return None;
    }
    T::from_bytes(r.body()?).ok()
}
