//! The ledger: a node's verified view of its federation — the store plus the roster chain — and
//! the one ingest path every record takes, whether it comes from a user, a file or a peer:
//! decode → drop duplicates → verify once → check its chain position → store durably → announce.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use samverka_protocol::evidence::{Equivocation, SignedHeader};
use samverka_protocol::record::Draft;
use samverka_protocol::roster::RosterUpdate;
use samverka_protocol::validate::{self, Rejection};
use samverka_protocol::{Body, Hash, Kind, PublicKey, Record, RecordId, RosterChain, SigningKey, Unverified, Verified};
use tokio::sync::broadcast;

use crate::storage::{self, Store};

/// Most records parked while waiting for a roster version or a dependency.
pub const MAX_PARKED: usize = 10_000;
/// Most rounds of retrying parked records after one ingest (each round must store something).
const MAX_RETRY_ROUNDS: usize = 8;
/// Batches smaller than this are verified on the calling thread.
const PARALLEL_THRESHOLD: usize = 64;
/// Most threads verifying one batch.
const MAX_VERIFY_THREADS: usize = 8;

/// The result of verifying a record before admitting it.
type Early = Result<Record<Verified>, Rejection>;

/// Capacity of the channel announcing newly stored records (to the network and API streams).
pub const ANNOUNCE_CAPACITY: usize = 4096;

/// What happened to an ingested record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Verified and stored durably.
    Stored(RecordId),
    /// Already held; nothing changed.
    Duplicate(RecordId),
    /// Verified and stored, and it conflicts with another record by the same author at the same
    /// position: both are kept and the author is flagged.
    Equivocation {
        /// The new record.
        id: RecordId,
        /// The records already held at that position.
        conflicts: Vec<RecordId>,
    },
    /// Valid-looking but waiting for a roster version this node does not have yet.
    Parked(RecordId),
}

impl Outcome {
    /// The record's id.
    pub fn id(&self) -> RecordId {
        match self {
            Outcome::Stored(id) | Outcome::Duplicate(id) | Outcome::Parked(id) => *id,
            Outcome::Equivocation { id, .. } => *id,
        }
    }

    /// Whether the record is now stored (newly or already).
    pub fn is_held(&self) -> bool {
        !matches!(self, Outcome::Parked(_))
    }
}

/// Why an ingest failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record broke a protocol rule; nothing was stored.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The record's chain position contradicts a record already held.
    #[error("record claims previous {claimed} at seq {seq}, but this node holds {held} there")]
    ChainMismatch {
        /// The record's seq.
        seq: u64,
        /// The prev it names.
        claimed: RecordId,
        /// The id held at seq - 1.
        held: RecordId,
    },
    /// This node has no federation yet (no charter).
    #[error("this node has no federation yet: initialise it with a charter")]
    NoFederation,
    /// The record belongs to a different federation than this node's.
    #[error("this node already belongs to federation {0}")]
    OtherFederation(Hash),
    /// The disk failed.
    #[error(transparent)]
    Storage(#[from] storage::Error),
}

impl Error {
    /// Whether the peer or user that sent the record is at fault (as opposed to this node's disk).
    pub fn is_offence(&self) -> bool {
        match self {
            // A kind this version does not know may come from a newer peer: not its fault.
            Error::Rejected(r) => !r.is_pending() && !matches!(r, Rejection::UnsupportedKind { .. }),
            Error::ChainMismatch { .. } | Error::OtherFederation(_) => true,
            Error::NoFederation | Error::Storage(_) => false,
        }
    }

    /// A short, stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rejected(r) => r.code(),
            Error::ChainMismatch { .. } => "chain_mismatch",
            Error::NoFederation => "no_federation",
            Error::OtherFederation(_) => "wrong_federation",
            Error::Storage(_) => "storage",
        }
    }
}

/// Records admitted but not yet stored, indexed by id and by chain position.
#[derive(Default)]
struct Batch {
    records: Vec<Record<Verified>>,
    ids: HashMap<RecordId, usize>,
    positions: HashMap<(PublicKey, u64), Vec<RecordId>>,
}

impl Batch {
    fn push(&mut self, record: Record<Verified>) {
        let h = record.header();
        self.ids.insert(record.id(), self.records.len());
        self.positions.entry((h.author, h.seq)).or_default().push(record.id());
        self.records.push(record);
    }

    fn contains(&self, id: &RecordId) -> bool {
        self.ids.contains_key(id)
    }

    fn get(&self, id: &RecordId) -> Option<&Record<Verified>> {
        self.ids.get(id).map(|i| &self.records[*i])
    }

    fn at(&self, author: &PublicKey, seq: u64) -> &[RecordId] {
        self.positions.get(&(*author, seq)).map_or(&[], Vec::as_slice)
    }
}

/// A node's verified records and roster.
pub struct Ledger {
    store: Store,
    chain: RwLock<Option<Arc<RosterChain>>>,
    roster_writer: Mutex<()>,
    author_lock: Mutex<()>,
    parked: Mutex<BTreeMap<RecordId, Record<Unverified>>>,
    announce: broadcast::Sender<Record<Verified>>,
}

impl Ledger {
    /// Opens the store at `path` and rebuilds the roster chain from its roster records.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Ledger, Error> {
        let store = Store::open(path, cache_bytes)?;
        let chain = rebuild_chain(&store)?;
        let (announce, _) = broadcast::channel(ANNOUNCE_CAPACITY);
        Ok(Ledger {
            store,
            chain: RwLock::new(chain.map(Arc::new)),
            roster_writer: Mutex::new(()),
            author_lock: Mutex::new(()),
            parked: Mutex::new(BTreeMap::new()),
            announce,
        })
    }

    /// The store (read access for queries).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The roster chain, if the federation exists.
    pub fn chain(&self) -> Option<Arc<RosterChain>> {
        self.chain.read().expect("chain lock poisoned").clone()
    }

    /// The federation id, if any.
    pub fn federation(&self) -> Option<Hash> {
        self.chain().map(|c| c.federation())
    }

    /// Subscribes to records as they are stored.
    pub fn subscribe(&self) -> broadcast::Receiver<Record<Verified>> {
        self.announce.subscribe()
    }

    /// Number of parked records.
    pub fn parked(&self) -> usize {
        self.parked.lock().expect("parked lock poisoned").len()
    }

    /// Ingests wire bytes.
    pub fn ingest_bytes(&self, bytes: &[u8]) -> Result<Outcome, Error> {
        let record = Record::<Unverified>::decode(bytes).map_err(Rejection::from)?;
        self.ingest(record)
    }

    /// Ingests one record durably.
    pub fn ingest(&self, record: Record<Unverified>) -> Result<Outcome, Error> {
        let mut out = self.ingest_many(vec![record]);
        out.pop().expect("one result per record")
    }

    /// Ingests records, verifying each once, storing the valid ones in one durable group commit.
    /// Results are in input order.
    ///
    /// Signature checks dominate the cost, so records are first verified in parallel against a
    /// snapshot of the roster chain (after dropping those already held); the ones that depend
    /// on something earlier in the same batch (a roster version, a referenced record) are
    /// verified again, in order, as they are admitted.
    pub fn ingest_many(&self, records: Vec<Record<Unverified>>) -> Vec<Result<Outcome, Error>> {
        let checked = self.verify_parallel(records);
        let mut results = Vec::with_capacity(checked.len());
        let mut batch = Batch::default();
        for (record, early) in checked {
            let result = self.admit(record, early, &mut batch);
            results.push(result);
        }
        if !batch.records.is_empty() {
            if let Err(e) = self.store.put(&batch.records, &[]) {
                let msg = e.to_string();
                for r in results.iter_mut().filter(|r| matches!(r, Ok(Outcome::Stored(_)))) {
                    *r = Err(Error::Storage(storage::Error::Corrupt(format!("write failed: {msg}"))));
                }
                return results;
            }
            for r in batch.records {
                let _ = self.announce.send(r);
            }
            self.retry_dependents();
        }
        results
    }

    /// Gives parked records another chance after new records were stored: a vote whose matter
    /// just arrived, a closing whose votes did. Each retry stores at least one record or stops.
    fn retry_dependents(&self) {
        for _ in 0..MAX_RETRY_ROUNDS {
            let parked = std::mem::take(&mut *self.parked.lock().expect("parked lock poisoned"));
            if parked.is_empty() {
                return;
            }
            let before = parked.len();
            let mut batch = Batch::default();
            for (_, record) in parked {
                if let Err(e) = self.admit(record, None, &mut batch) {
                    tracing::debug!(reason = %e, "parked record rejected on retry");
                }
            }
            if batch.records.is_empty() {
                return;
            }
            if let Err(e) = self.store.put(&batch.records, &[]) {
                tracing::error!(error = %e, "storing records released from parking failed");
                return;
            }
            for r in batch.records {
                let _ = self.announce.send(r);
            }
            if self.parked() >= before {
                return;
            }
        }
    }

    /// Verifies ordinary records on every core, in signature batches. Records already held,
    /// charters and roster updates are left for [`Ledger::admit`], which handles them in order.
    fn verify_parallel(&self, records: Vec<Record<Unverified>>) -> Vec<(Record<Unverified>, Option<Early>)> {
        let Some(chain) = self.chain() else {
            return records.into_iter().map(|r| (r, None)).collect();
        };
        let check = |part: &[Record<Unverified>]| -> Vec<Option<Early>> {
            let wanted: Vec<bool> = part
                .iter()
                .map(|r| {
                    !matches!(r.header().kind, Kind::Charter | Kind::RosterUpdate)
                        && matches!(self.store.holds(r), Ok(false))
                })
                .collect();
            let chosen: Vec<Record<Unverified>> =
                part.iter().zip(&wanted).filter(|(_, w)| **w).map(|(r, _)| r.clone()).collect();
            let lookup = StoreLookup { store: &self.store, batch: None };
            let mut judged = validate::verify_many(chosen, &chain, &lookup).into_iter();
            wanted
                .into_iter()
                .map(|w| match w.then(|| judged.next()).flatten() {
                    Some(Err(r)) if r.is_pending() => None,
                    other => other,
                })
                .collect()
        };
        let threads = crate::cores().min(MAX_VERIFY_THREADS);
        let early: Vec<Option<Early>> = if threads < 2 || records.len() < PARALLEL_THRESHOLD {
            check(&records)
        } else {
            let chunk = records.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = records.chunks(chunk).map(|part| s.spawn(move || check(part))).collect();
                handles.into_iter().flat_map(|h| h.join().expect("verification threads do not panic")).collect()
            })
        };
        records.into_iter().zip(early).collect()
    }

    /// Admits one record: uses its early verification when there is one, else verifies it now
    /// (with the batch's earlier records visible). Queues it in `batch`, or stores it at once
    /// when it changes the roster, so later records are judged by the new version.
    fn admit(&self, record: Record<Unverified>, early: Option<Early>, batch: &mut Batch) -> Result<Outcome, Error> {
        let id = record.id();
        if batch.contains(&id) || self.store.holds(&record)? {
            return Ok(Outcome::Duplicate(id));
        }
        let kind = record.header().kind;
        if kind == Kind::Charter {
            return self.admit_charter(record);
        }
        let chain = self.chain().ok_or(Error::NoFederation)?;
        let verified = match early {
            Some(result) => result,
            None => {
                validate::verify_in(record.clone(), &chain, &StoreLookup { store: &self.store, batch: Some(batch) })
            }
        };
        let verified = match verified {
            Ok(v) => v,
            Err(r) if r.is_pending() => {
                let mut parked = self.parked.lock().expect("parked lock poisoned");
                if parked.len() >= MAX_PARKED {
                    return Err(r.into());
                }
                parked.insert(id, record);
                return Ok(Outcome::Parked(id));
            }
            Err(r) => return Err(r.into()),
        };
        let outcome = self.check_position(&verified, batch)?;
        if kind == Kind::RosterUpdate {
            self.store_roster_update(&verified)?;
            let _ = self.announce.send(verified);
            self.retry_parked(batch);
        } else {
            batch.push(verified);
        }
        Ok(outcome)
    }

    fn admit_charter(&self, record: Record<Unverified>) -> Result<Outcome, Error> {
        let id = record.id();
        if let Some(existing) = self.federation() {
            return Err(if existing == id {
                return Ok(Outcome::Duplicate(id));
            } else {
                Error::OtherFederation(existing)
            });
        }
        let (verified, chain) = validate::verify_charter(record)?;
        let _guard = self.roster_writer.lock().expect("roster lock poisoned");
        self.store.put(std::slice::from_ref(&verified), &[(0, id)])?;
        *self.chain.write().expect("chain lock poisoned") = Some(Arc::new(chain));
        let _ = self.announce.send(verified);
        Ok(Outcome::Stored(id))
    }

    /// Checks the record against what is held at its author's chain position and the one before.
    fn check_position(&self, record: &Record<Verified>, batch: &Batch) -> Result<Outcome, Error> {
        let h = record.header();
        if let (Some(prev), Some(before)) = (h.prev, h.seq.checked_sub(1)) {
            // The usual case, a record extending the newest position held, needs no index lookup.
            let extends_head = self.store.head_record(&h.author) == Some((before, prev));
            let held = if extends_head { vec![prev] } else { self.store.at_position(&h.author, before)? };
            if !held.is_empty() && !held.contains(&prev) {
                return Err(Error::ChainMismatch { seq: h.seq, claimed: prev, held: held[0] });
            }
        }
        let mut conflicts = self.store.at_position(&h.author, h.seq)?;
        conflicts.extend_from_slice(batch.at(&h.author, h.seq));
        if conflicts.is_empty() {
            return Ok(Outcome::Stored(record.id()));
        }
        let mut all = conflicts.clone();
        all.push(record.id());
        self.store.flag_equivocation(&h.author, &all)?;
        tracing::warn!(author = %h.author, seq = h.seq, "author equivocated: two records at one position");
        Ok(Outcome::Equivocation { id: record.id(), conflicts })
    }

    fn store_roster_update(&self, record: &Record<Verified>) -> Result<(), Error> {
        let _guard = self.roster_writer.lock().expect("roster lock poisoned");
        let update = RosterUpdate::from_bytes(record.body().expect("verified roster updates have a body"))
            .map_err(Rejection::from)?;
        let mut chain = (*self.chain().ok_or(Error::NoFederation)?).clone();
        chain.push(&update, record.id())?;
        self.store.put(std::slice::from_ref(record), &[(update.version, record.id())])?;
        *self.chain.write().expect("chain lock poisoned") = Some(Arc::new(chain));
        Ok(())
    }

    fn retry_parked(&self, batch: &mut Batch) {
        let parked = std::mem::take(&mut *self.parked.lock().expect("parked lock poisoned"));
        for (_, record) in parked {
            if let Err(e) = self.admit(record, None, batch) {
                tracing::debug!(reason = %e, "parked record rejected on retry");
            }
        }
    }

    /// Authors a record with `key`: persists the draft durably, signs it, and ingests it. After a
    /// crash between the two, the same draft is signed again, so the chain never forks.
    pub fn author(&self, key: &SigningKey, kind: Kind, body: Vec<u8>, time_ms: i64) -> Result<Record<Verified>, Error> {
        // One author at a time: two concurrent calls with one key must not take one position.
        let _guard = self.author_lock.lock().expect("author lock poisoned");
        let author = key.public();
        if let Some(draft) = self.store.draft(&author)? {
            self.finish_draft(key, &draft)?;
        }
        let chain = self.chain().ok_or(Error::NoFederation)?;
        let (seq, prev) = self.next_position(&author)?;
        let draft = Draft::new(chain.federation(), author, seq, prev, chain.current().version, kind, body, time_ms);
        self.store.put_draft(&draft)?;
        self.finish_draft(key, &draft)
    }

    fn finish_draft(&self, key: &SigningKey, draft: &Draft) -> Result<Record<Verified>, Error> {
        let record = draft.sign(key);
        let id = record.id();
        let result = self.ingest(record);
        self.store.clear_draft(&key.public())?;
        result?;
        Ok(self.store.get(&id)?.expect("a record just ingested is stored"))
    }

    /// The next free position in `author`'s chain.
    pub fn next_position(&self, author: &PublicKey) -> Result<(u64, Option<RecordId>), Error> {
        Ok(match self.store.head_record(author) {
            None => (0, None),
            Some((seq, id)) => (seq + 1, Some(id)),
        })
    }

    /// Writes evidence of an equivocation as a record signed by `key` (the node's key).
    pub fn publish_evidence(
        &self,
        key: &SigningKey,
        a: &Record<Verified>,
        b: &Record<Verified>,
        time_ms: i64,
    ) -> Result<Record<Verified>, Error> {
        let signed = |r: &Record<Verified>| SignedHeader { header: r.header().clone(), signature: *r.signature() };
        let body = Equivocation::new(signed(a), signed(b)).to_bytes();
        self.author(key, Kind::Equivocation, body, time_ms)
    }
}

/// Referenced records, looked up in the store and in the batch being admitted.
struct StoreLookup<'a> {
    store: &'a Store,
    batch: Option<&'a Batch>,
}

impl validate::Lookup for StoreLookup<'_> {
    fn record(&self, id: &RecordId) -> Option<Record<Verified>> {
        if let Some(r) = self.batch.and_then(|b| b.get(id)) {
            return Some(r.clone());
        }
        self.store.get(id).ok().flatten()
    }
}

/// Rebuilds the roster chain from the stored roster records (a handful, never the whole store).
fn rebuild_chain(store: &Store) -> Result<Option<RosterChain>, Error> {
    let ids = store.roster_ids()?;
    let Some((charter_id, rest)) = ids.split_first() else { return Ok(None) };
    let charter = store.get(charter_id)?.ok_or_else(|| storage::Error::Corrupt("charter missing".into()))?;
    let (_, mut chain) = validate::verify_charter(charter.to_unverified())?;
    for id in rest {
        let record = store.get(id)?.ok_or_else(|| storage::Error::Corrupt(format!("roster record {id} missing")))?;
        let update = RosterUpdate::from_bytes(record.body().expect("roster updates keep their body"))
            .map_err(Rejection::from)?;
        chain.push(&update, *id)?;
    }
    Ok(Some(chain))
}
