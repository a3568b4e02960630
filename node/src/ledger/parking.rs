//! The parking area: genuine records that cannot be stored yet because something they rest on
//! has not arrived — their author's previous record, a record they reference, or the roster
//! version they name.
//!
//! Only records whose author is certified in the roster this node holds and whose signature
//! verifies are ever parked, so a stranger cannot fill it. It is bounded in records and bytes,
//! in all and per source (one peer, the API, this node), so one source cannot crowd out the
//! others. A parked record is indexed by what it waits for and woken when that is stored: it
//! is never retried on a timer or by scanning.

use std::collections::{BTreeMap, HashMap};

use samverka_protocol::{Record, RecordId, Unverified};

use super::Source;

/// Most records parked in all.
pub const MAX_PARKED: usize = 10_000;
/// Most bytes of parked records in all.
pub const MAX_PARKED_BYTES: usize = 64 << 20;
/// Most records parked from one source.
pub const MAX_PARKED_PER_SOURCE: usize = 2_000;
/// Most bytes of parked records from one source.
pub const MAX_PARKED_BYTES_PER_SOURCE: usize = 16 << 20;

/// What a parked record waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wait {
    /// A record: the author's previous record, or one the body references.
    Record(RecordId),
    /// A roster version.
    Roster(u64),
}

/// Why a record could not be parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// The source's own bound is reached.
    Source,
    /// The bound over all sources is reached.
    All,
}

struct Parked {
    record: Record<Unverified>,
    source: Source,
    wait: Wait,
}

/// Parked records, indexed by id and by what they wait for.
#[derive(Default)]
pub struct Parking {
    records: HashMap<RecordId, Parked>,
    waiting: BTreeMap<Wait, Vec<RecordId>>,
    per_source: HashMap<Source, (usize, usize)>,
    bytes: usize,
}

impl Parking {
    /// Number of parked records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is parked.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of parked records.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `id` is parked.
    pub fn contains(&self, id: &RecordId) -> bool {
        self.records.contains_key(id)
    }

    /// Parks `record` from `source` until `wait` is stored. A record parked already is left
    /// where it is.
    pub fn park(&mut self, record: Record<Unverified>, source: Source, wait: Wait) -> Result<(), Full> {
        let id = record.id();
        if self.records.contains_key(&id) {
            return Ok(());
        }
        let size = record.bytes().len();
        let (count, bytes) = self.per_source.get(&source).copied().unwrap_or_default();
        if count >= MAX_PARKED_PER_SOURCE || bytes + size > MAX_PARKED_BYTES_PER_SOURCE {
            return Err(Full::Source);
        }
        if self.records.len() >= MAX_PARKED || self.bytes + size > MAX_PARKED_BYTES {
            return Err(Full::All);
        }
        self.per_source.insert(source, (count + 1, bytes + size));
        self.bytes += size;
        self.waiting.entry(wait).or_default().push(id);
        self.records.insert(id, Parked { record, source, wait });
        Ok(())
    }

    /// Takes out every record waiting for one of `stored` or for a roster version up to
    /// `roster`, with the source it came from.
    pub fn wake(&mut self, stored: &[RecordId], roster: u64) -> Vec<(Record<Unverified>, Source)> {
        let mut woken: Vec<RecordId> = Vec::new();
        for id in stored {
            woken.extend(self.waiting.remove(&Wait::Record(*id)).unwrap_or_default());
        }
        let due: Vec<Wait> = self.waiting.range(Wait::Roster(0)..=Wait::Roster(roster)).map(|(w, _)| *w).collect();
        for wait in due {
            woken.extend(self.waiting.remove(&wait).unwrap_or_default());
        }
        woken.into_iter().filter_map(|id| self.remove(&id)).collect()
    }

    fn remove(&mut self, id: &RecordId) -> Option<(Record<Unverified>, Source)> {
        let parked = self.records.remove(id)?;
        let size = parked.record.bytes().len();
        self.bytes -= size;
        if let Some(entry) = self.per_source.get_mut(&parked.source) {
            entry.0 -= 1;
            entry.1 -= size;
            if entry.0 == 0 {
                self.per_source.remove(&parked.source);
            }
        }
        if let Some(ids) = self.waiting.get_mut(&parked.wait) {
            ids.retain(|w| w != id);
            if ids.is_empty() {
                self.waiting.remove(&parked.wait);
            }
        }
        Some((parked.record, parked.source))
    }
}

#[cfg(test)]
mod tests {
    use samverka_protocol::testkit::{key, Author};
    use samverka_protocol::{Hash, Kind};

    use super::*;

    fn notes(n: usize) -> Vec<Record<Unverified>> {
        let mut author = Author::new(key("parking"));
        (0..n).map(|_| author.next(Hash::ZERO, 0, Kind::Note, b"x".to_vec())).collect()
    }

    #[test]
    fn wakes_only_what_waits_for_a_stored_record_or_a_reached_version() {
        let mut p = Parking::default();
        let r = notes(3);
        let dep = r[2].id();
        p.park(r[0].clone(), Source::Api, Wait::Record(dep)).expect("room");
        p.park(r[1].clone(), Source::Local, Wait::Roster(5)).expect("room");
        assert!(p.wake(&[], 4).is_empty());
        assert_eq!(p.wake(&[dep], 4).len(), 1);
        assert_eq!(p.wake(&[], 5).len(), 1);
        assert_eq!((p.len(), p.bytes()), (0, 0));
    }

    #[test]
    fn refuses_a_source_over_its_bound_but_not_another_source() {
        let mut p = Parking::default();
        for r in notes(MAX_PARKED_PER_SOURCE + 1).into_iter().enumerate() {
            let result = p.park(r.1, Source::Peer(1), Wait::Roster(9));
            assert_eq!(result.is_err(), r.0 == MAX_PARKED_PER_SOURCE, "record {}", r.0);
        }
        let other = notes(MAX_PARKED_PER_SOURCE + 1).pop().expect("one more");
        assert_eq!(p.park(other, Source::Peer(2), Wait::Roster(9)), Ok(()));
    }
}
