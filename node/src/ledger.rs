//! The ledger: a node's verified view of its federation — the store plus the roster chain — and
//! the one ingest path every record takes, whatever its [`Source`]: the HTTP API, a peer's gossip
//! or sync answer, an archive import, `samverka submit`, the demo and the node's own authoring.
//!
//! # The ingest path (normative for this node)
//!
//! [`Ledger::ingest_from`] takes a batch of decoded records and, for each, in this order:
//!
//! 1. **drops duplicates** by record id (held, or earlier in the batch) before any signature work;
//! 2. **verifies once** against the roster chain and the records it references
//!    (`protocol::validate`); roster records and the charter are admitted first, in batch order,
//!    every other record in its author's chain order (results still come back in input order);
//! 3. a record that may become valid later — its roster version, a record its body references,
//!    or its author's previous record has not arrived — is **parked** ([`parking`]) when its
//!    author is certified in the roster this node holds and its signature verifies, and only
//!    then; a record from [`Source::Api`] or [`Source::Local`] whose previous record is neither
//!    held nor parked is **refused** with [`Error::MissingPredecessor`] naming that record;
//! 4. **checks the chain position** (contiguity): a record is stored only when the record its
//!    `prev` names is held at `seq - 1`; a different record there is [`Error::ChainMismatch`];
//!    a second record at a held position is kept as evidence ([`Outcome::Equivocation`]);
//! 5. **stores** the admitted records in one durable group commit (acknowledged only then);
//! 6. **announces** them to subscribers (the network gossips them; API streams show them);
//! 7. **wakes** the parked records that waited for what was stored and admits them the same way.
//!
//! So the store's head for an author is always the end of a gapless chain the node holds, and
//! sync, which compares heads, always fetches what is missing.
//!
//! Single records ([`Ledger::submit`]: the HTTP API; [`Ledger::ingest_one`]: signing in the
//! browser, the node's own authoring) are grouped by the [`intake`]: records submitted at the
//! same moment are ingested as one batch by this path, so they share one signature batch and one
//! durable commit, and each submitter gets its own record's outcome.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use samverka_protocol::evidence::{Equivocation, SignedHeader};
use samverka_protocol::record::Draft;
use samverka_protocol::roster::RosterUpdate;
use samverka_protocol::validate::{self, Rejection};
use samverka_protocol::{Body, Hash, Kind, PublicKey, Record, RecordId, RosterChain, SigningKey, Unverified, Verified};
use tokio::sync::broadcast;

use crate::storage::{self, Store};

pub mod intake;
pub mod parking;

use intake::{Intake, Tasks};
use parking::{Parking, Wait};

pub use parking::MAX_PARKED;

/// Batches smaller than this are verified on the calling thread.
const PARALLEL_THRESHOLD: usize = 64;
/// Most threads verifying one batch.
const MAX_VERIFY_THREADS: usize = 8;

/// The result of verifying a record before admitting it.
type Early = Result<Record<Verified>, Rejection>;

/// Capacity of the channel announcing newly stored records (to the network and API streams).
pub const ANNOUNCE_CAPACITY: usize = 4096;

/// Where a record came from. It decides what happens to a record whose previous record is
/// missing, and whose bound of the parking area it counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// This node itself: its own authoring, the demo, `samverka submit`, an archive import.
    /// Records come in chain order, so a missing previous record is refused.
    Local,
    /// A client of the HTTP API. A missing previous record is refused, naming it.
    Api,
    /// A peer (a short number the network gives it): records may arrive out of order, so one
    /// whose previous record is missing is parked, and the network syncs with the peer.
    Peer(u64),
}

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
    /// Genuine (certified author, valid signature) but waiting in the parking area for its
    /// author's previous record, a record it references, or its roster version.
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
    /// The record's previous record is not held (nor parked), so storing it would leave a hole
    /// in its author's chain. Nothing was stored.
    #[error(
        "record {id} is at seq {seq} of key {author}, but its previous record {prev} (seq {before}) has not reached this node: send that record first",
        before = seq - 1
    )]
    MissingPredecessor {
        /// The refused record.
        id: RecordId,
        /// Its author.
        author: PublicKey,
        /// Its seq (at least 1).
        seq: u64,
        /// The previous record it names, which this node lacks.
        prev: RecordId,
    },
    /// The record would have to wait, but its source's share of the parking area is full.
    #[error(
        "too many records from this source are waiting for records they depend on; send those first or try again later"
    )]
    ParkingFull,
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
            Error::MissingPredecessor { .. } | Error::ParkingFull | Error::NoFederation | Error::Storage(_) => false,
        }
    }

    /// A short, stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rejected(r) => r.code(),
            Error::ChainMismatch { .. } => "chain_mismatch",
            Error::MissingPredecessor { .. } => "missing_predecessor",
            Error::ParkingFull => "parking_full",
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
    parked: Mutex<Parking>,
    intake: Intake,
    tasks: Tasks,
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
            parked: Mutex::new(Parking::default()),
            intake: Intake::default(),
            tasks: Tasks::default(),
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
        self.parking().len()
    }

    /// Bytes of parked records.
    pub fn parked_bytes(&self) -> usize {
        self.parking().bytes()
    }

    fn parking(&self) -> std::sync::MutexGuard<'_, Parking> {
        self.parked.lock().expect("parking lock poisoned")
    }

    /// Ingests wire bytes from `source`.
    pub fn ingest_bytes(&self, source: Source, bytes: &[u8]) -> Result<Outcome, Error> {
        let record = Record::<Unverified>::decode(bytes).map_err(Rejection::from)?;
        self.ingest_one(source, record)
    }

    /// Ingests one record from this node ([`Source::Local`]).
    pub fn ingest(&self, record: Record<Unverified>) -> Result<Outcome, Error> {
        self.ingest_one(Source::Local, record)
    }

    /// Ingests one record from `source`, in one batch with the records other threads submit at
    /// the same moment ([`intake`]); the result is this record's own.
    pub fn ingest_one(&self, source: Source, record: Record<Unverified>) -> Result<Outcome, Error> {
        self.intake.submit(self, source, record)
    }

    /// As [`Ledger::ingest_one`], for async callers (the HTTP API): the record waits for its
    /// result on no thread, and is ingested in one batch with the records other tasks submit at
    /// the same moment ([`intake`]). Must be called within a tokio runtime.
    pub async fn submit(self: &Arc<Self>, source: Source, record: Record<Unverified>) -> Result<Outcome, Error> {
        Tasks::submit(self, source, record).await
    }

    /// Ingests records from this node ([`Source::Local`]); see [`Ledger::ingest_from`].
    pub fn ingest_many(&self, records: Vec<Record<Unverified>>) -> Vec<Result<Outcome, Error>> {
        self.ingest_from(Source::Local, records)
    }

    /// Ingests records from `source` by the path in the module docs, storing the admitted ones
    /// in one durable group commit. Results are in input order.
    ///
    /// Signature checks dominate the cost, so records are first verified in parallel against a
    /// snapshot of the roster chain (after dropping those already held); the ones that depend
    /// on something earlier in the same batch (a roster version, a referenced record) are
    /// verified again, in order, as they are admitted.
    pub fn ingest_from(&self, source: Source, records: Vec<Record<Unverified>>) -> Vec<Result<Outcome, Error>> {
        self.ingest_sourced(records.into_iter().map(|r| (r, source)).collect())
    }

    /// As [`Ledger::ingest_from`], for a batch whose records come from different sources (the
    /// network groups gossip from several peers into one commit).
    pub fn ingest_sourced(&self, records: Vec<(Record<Unverified>, Source)>) -> Vec<Result<Outcome, Error>> {
        let (records, sources): (Vec<_>, Vec<_>) = records.into_iter().unzip();
        let order = admission_order(&records);
        let mut checked: Vec<Option<(Record<Unverified>, Option<Early>)>> =
            self.verify_parallel(records).into_iter().map(Some).collect();
        let mut results: Vec<Option<Result<Outcome, Error>>> = checked.iter().map(|_| None).collect();
        let mut batch = Batch::default();
        for i in order {
            let (record, early) = checked[i].take().expect("admission order names each record once");
            results[i] = Some(self.admit(record, early, sources[i], &mut batch));
        }
        let mut results: Vec<Result<Outcome, Error>> =
            results.into_iter().map(|r| r.expect("admission order names every record")).collect();
        if let Err(e) = self.commit(batch) {
            let msg = e.to_string();
            for r in results.iter_mut().filter(|r| matches!(r, Ok(Outcome::Stored(_) | Outcome::Equivocation { .. }))) {
                *r = Err(Error::Storage(match &e {
                    Error::Storage(storage::Error::DiskFull { path, available, needed }) => {
                        storage::Error::DiskFull { path: path.clone(), available: *available, needed: *needed }
                    }
                    _ => storage::Error::Corrupt(format!("write failed: {msg}")),
                }));
            }
        }
        results
    }

    /// Stores the batch durably, announces it, then admits the parked records that waited for
    /// what it stored, round after round, until a round wakes nothing.
    ///
    /// Only the first round's failure is returned: it is the batch the caller is told about.
    /// Records woken later were acknowledged to no one; if storing them fails they are logged
    /// and dropped, and sync brings them again.
    fn commit(&self, mut batch: Batch) -> Result<(), Error> {
        // Each round stores at least one record or ends, and each record woken leaves the
        // parking area, so the rounds are bounded by what was parked.
        for round in 0..=MAX_PARKED {
            if !batch.records.is_empty() {
                match self.store.put(&batch.records, &[]) {
                    Ok(()) => {}
                    Err(e) if round == 0 => return Err(e.into()),
                    Err(e) => {
                        tracing::warn!(error = %e, records = batch.records.len(), "records woken from parking not stored");
                        return Ok(());
                    }
                }
            }
            let stored: Vec<RecordId> = batch.records.iter().map(Record::id).collect();
            for r in batch.records.drain(..) {
                let _ = self.announce.send(r);
            }
            let roster = self.chain().map_or(0, |c| c.current().version);
            let woken = self.parking().wake(&stored, roster);
            if woken.is_empty() {
                return Ok(());
            }
            batch = Batch::default();
            self.admit_woken(woken, &mut batch);
            if batch.records.is_empty() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Admits records taken out of the parking area, in admission order, into `batch`.
    fn admit_woken(&self, mut woken: Vec<(Record<Unverified>, Source)>, batch: &mut Batch) {
        woken.sort_by_key(|(r, _)| admission_key(r));
        for (record, source) in woken {
            if let Err(e) = self.admit(record, None, source, batch) {
                tracing::debug!(reason = %e, "parked record refused when woken");
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
    /// (with the batch's earlier records visible). Queues it in `batch`, parks it, or stores it
    /// at once when it changes the roster, so later records are judged by the new version.
    fn admit(
        &self,
        record: Record<Unverified>,
        early: Option<Early>,
        source: Source,
        batch: &mut Batch,
    ) -> Result<Outcome, Error> {
        let id = record.id();
        if record.header().kind == Kind::Charter && !batch.contains(&id) {
            return self.admit_charter(record);
        }
        let (verified, conflicts) = match self.judge(&record, early, source, batch)? {
            Judgement::Held => return Ok(Outcome::Duplicate(id)),
            Judgement::Parked => return Ok(Outcome::Parked(id)),
            Judgement::Wait(wait) => return self.park(record, source, wait),
            Judgement::Admit { record, conflicts } => (record, conflicts),
        };
        let outcome = if conflicts.is_empty() {
            Outcome::Stored(id)
        } else {
            let h = verified.header();
            let mut all = conflicts.clone();
            all.push(id);
            self.store.flag_equivocation(&h.author, &all)?;
            tracing::warn!(author = %h.author, seq = h.seq, "author equivocated: two records at one position");
            Outcome::Equivocation { id, conflicts }
        };
        if verified.header().kind == Kind::RosterUpdate {
            self.store_roster_update(&verified)?;
            let version = self.chain().map_or(0, |c| c.current().version);
            let _ = self.announce.send(verified);
            let woken = self.parking().wake(&[id], version);
            self.admit_woken(woken, batch);
        } else {
            batch.push(verified);
        }
        Ok(outcome)
    }

    /// Judges a record from `source` by every rule of the ingest path without changing anything:
    /// whether the node would store it (and whether that would show an equivocation), park it,
    /// or refuse it, and why. Signers call this (`POST /api/v1/records/check`) before they
    /// persist a chain position, so a record that would be refused never takes one.
    pub fn check(&self, source: Source, record: Record<Unverified>) -> Result<Outcome, Error> {
        let id = record.id();
        if record.header().kind == Kind::Charter {
            return match self.federation() {
                Some(existing) if existing == id => Ok(Outcome::Duplicate(id)),
                Some(existing) => Err(Error::OtherFederation(existing)),
                None => validate::verify_charter(record).map(|_| Outcome::Stored(id)).map_err(Error::from),
            };
        }
        Ok(match self.judge(&record, None, source, &Batch::default())? {
            Judgement::Held => Outcome::Duplicate(id),
            Judgement::Parked | Judgement::Wait(_) => Outcome::Parked(id),
            Judgement::Admit { conflicts, .. } if conflicts.is_empty() => Outcome::Stored(id),
            Judgement::Admit { conflicts, .. } => Outcome::Equivocation { id, conflicts },
        })
    }

    /// Every rule of the ingest path but storing: duplicates, verification, what a record that
    /// cannot be judged yet waits for, and its chain position.
    fn judge(
        &self,
        record: &Record<Unverified>,
        early: Option<Early>,
        source: Source,
        batch: &Batch,
    ) -> Result<Judgement, Error> {
        let id = record.id();
        if batch.contains(&id) || self.store.holds(record)? {
            return Ok(Judgement::Held);
        }
        if self.parking().contains(&id) {
            return Ok(Judgement::Parked);
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
            Err(r) => {
                return match waits_for(&r) {
                    Some(wait) if genuine(record, &chain) => Ok(Judgement::Wait(wait)),
                    _ => Err(r.into()),
                }
            }
        };
        match self.position(&verified, batch)? {
            Position::Free(conflicts) => Ok(Judgement::Admit { record: verified, conflicts }),
            Position::MissingPredecessor(prev) => {
                if matches!(source, Source::Peer(_)) || self.parking().contains(&prev) {
                    return Ok(Judgement::Wait(Wait::Record(prev)));
                }
                let h = verified.header();
                Err(Error::MissingPredecessor { id, author: h.author, seq: h.seq, prev })
            }
        }
    }

    fn park(&self, record: Record<Unverified>, source: Source, wait: Wait) -> Result<Outcome, Error> {
        let id = record.id();
        match self.parking().park(record, source, wait) {
            Ok(()) => {
                tracing::debug!(record = %id, ?source, ?wait, "record parked");
                Ok(Outcome::Parked(id))
            }
            Err(full) => {
                tracing::info!(record = %id, ?source, ?full, "parking area full: record refused");
                Err(Error::ParkingFull)
            }
        }
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

    /// Where the record stands in its author's chain, by what is held (or admitted in this
    /// batch) at its position and the one before: the previous record must be there.
    fn position(&self, record: &Record<Verified>, batch: &Batch) -> Result<Position, Error> {
        let h = record.header();
        if let (Some(prev), Some(before)) = (h.prev, h.seq.checked_sub(1)) {
            // The usual cases, a record extending the newest position held or one earlier in
            // the batch, need no index lookup.
            let follows = batch.at(&h.author, before).contains(&prev)
                || self.store.head_record(&h.author) == Some((before, prev));
            if !follows {
                let mut held = self.store.at_position(&h.author, before)?;
                held.extend_from_slice(batch.at(&h.author, before));
                match held.first() {
                    None => return Ok(Position::MissingPredecessor(prev)),
                    Some(first) if !held.contains(&prev) => {
                        return Err(Error::ChainMismatch { seq: h.seq, claimed: prev, held: *first })
                    }
                    Some(_) => {}
                }
            }
        }
        let mut conflicts = self.store.at_position(&h.author, h.seq)?;
        conflicts.extend_from_slice(batch.at(&h.author, h.seq));
        Ok(Position::Free(conflicts))
    }

    fn store_roster_update(&self, record: &Record<Verified>) -> Result<(), Error> {
        let _guard = self.roster_writer.lock().expect("roster lock poisoned");
        let update = RosterUpdate::from_bytes(record.body().expect("verified roster updates have a body"))
            .map_err(Rejection::from)?;
        let mut chain = (*self.chain().ok_or(Error::NoFederation)?).clone();
        chain.push(&update, record.id()).map_err(Rejection::from)?;
        self.store.put(std::slice::from_ref(record), &[(update.version, record.id())])?;
        *self.chain.write().expect("chain lock poisoned") = Some(Arc::new(chain));
        Ok(())
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

    /// A draft for `author`'s next position under the current roster, judged by every rule
    /// but the signature (which is the author's to make, elsewhere): what a node offers a
    /// person to sign in their browser. Nothing is stored.
    pub fn draft_for(&self, author: PublicKey, kind: Kind, body: Vec<u8>, time_ms: i64) -> Result<Draft, Error> {
        let chain = self.chain().ok_or(Error::NoFederation)?;
        let (seq, prev) = self.next_position(&author)?;
        let draft = Draft::new(chain.federation(), author, seq, prev, chain.current().version, kind, body, time_ms);
        let unsigned = draft.with_signature(samverka_protocol::Signature([0; 64]));
        validate::check_rules(&unsigned, &chain, &StoreLookup { store: &self.store, batch: None })?;
        Ok(draft)
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

/// Where a verified record stands in its author's chain.
enum Position {
    /// Its previous record is held: it can be stored. Records already held at its position
    /// (an equivocation when there are any) are listed.
    Free(Vec<RecordId>),
    /// Its previous record (this id) is not held.
    MissingPredecessor(RecordId),
}

/// What the ingest path makes of a record, before anything is stored.
enum Judgement {
    /// Held already (or earlier in the batch).
    Held,
    /// Parked already.
    Parked,
    /// Genuine but cannot be judged until this arrives.
    Wait(Wait),
    /// Verified, its previous record held; `conflicts` are other records at its position.
    Admit { record: Record<Verified>, conflicts: Vec<RecordId> },
}

/// Whether a record that cannot be judged yet is worth keeping: its author is certified in the
/// roster version it names (or, for a version not held yet, in the newest one held) and its
/// signature verifies. Anything else could come from anyone.
fn genuine(record: &Record<Unverified>, chain: &RosterChain) -> bool {
    let h = record.header();
    let roster = chain.at(h.roster).unwrap_or_else(|| chain.current());
    roster.keys.contains_key(&h.author) && h.author.verify_strict(&h.signing_input(), record.signature())
}

/// What a record refused with `rejection` would wait for, if it may become valid later.
fn waits_for(rejection: &Rejection) -> Option<Wait> {
    match rejection {
        Rejection::UnknownRosterVersion { named, .. } => Some(Wait::Roster(*named)),
        Rejection::MissingDependency { id } => Some(Wait::Record(*id)),
        _ => None,
    }
}

/// The order records of one batch are admitted in: the charter and roster versions first, in
/// the order given (version order), then every author's records in chain order.
fn admission_key(record: &Record<Unverified>) -> (bool, PublicKey, u64) {
    let h = record.header();
    match h.kind {
        Kind::Charter | Kind::RosterUpdate => (false, PublicKey([0; 32]), 0),
        _ => (true, h.author, h.seq),
    }
}

/// The indexes of `records` in admission order ([`admission_key`]; a stable sort).
fn admission_order(records: &[Record<Unverified>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|i| admission_key(&records[*i]));
    order
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
        // The read model holds every stored matter and minutes whole (added once durable), so
        // the records most often named are found without reading and checking their frames.
        if let Some(r) = self.store.read_model().read().referenced(id) {
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
        chain.push(&update, *id).map_err(Rejection::from)?;
    }
    Ok(Some(chain))
}
