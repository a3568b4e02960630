//! The read model: in-memory indexes of the governance records a store holds — matters with
//! their registration and settlement, votes, vote receipts and closings by matter, meetings,
//! minutes by meeting and justeringar by minutes, and the papers records name — and every record
//! of the shared registers ([`is_register`]: agreements, plans, cost keys, needs, support cases
//! and outage notices), so a query finds the records it needs without reading every record of a
//! kind from disk. The reports computed from them are kept in [`views`]: each is computed again
//! only after a record of a kind it reads has been stored.
//!
//! The [`storage::Store`](crate::storage::Store) owns one [`Index`]: it builds it from its
//! records when it opens (one scan of these kinds) and adds each record [`Store::put`] stores,
//! after the write is durable and before `put` returns. `put` is the one way a record is stored
//! (every source reaches it through `Ledger::ingest_from`), so the index misses nothing a
//! subscriber to the ledger's announcements might miss under lag.
//!
//! The index only *finds* records; the rules stay in `samverka_protocol::governance`, and
//! [`crate::governance`] computes every report with them over the records found. The one value
//! it keeps that a rule computes is each matter's [`Settlement`], recomputed with [`settle`]
//! whenever the matter or one of its closings is added. Every entry is keyed by the record's
//! local number (its arrival order), so adding is idempotent and the order of additions does
//! not matter: the index built record by record equals the one built by a scan on opening
//! (`node/tests/read_model.rs`).
//!
//! [`Store::put`]: crate::storage::Store::put

pub mod views;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use samverka_protocol::governance::{
    settle, BallotClose, Diarium, Justering, Matter, Meeting, Minutes, Paper, Settlement, Vote, VoteReceipt,
};
use samverka_protocol::{Body, Hash, Kind, MemberId, PublicKey, Record, RecordId, Verified};

/// The governance kinds the index holds in its own indexes.
pub const KINDS: [Kind; 9] = [
    Kind::Matter,
    Kind::Diarium,
    Kind::Vote,
    Kind::VoteReceipt,
    Kind::BallotClose,
    Kind::Meeting,
    Kind::Minutes,
    Kind::Justering,
    Kind::Paper,
];

/// Whether `kind` is a shared register's: the codes from 20 up (agreements in the 20s, plans and
/// cost keys in the 30s, needs in the 40s, support cases and outage notices in the 50s;
/// docs/protocol.md §3.2). The index holds every record of these kinds whole, so a new domain's
/// kinds are held without a change here. A federation writes a few thousand of them a year,
/// against the millions of votes and receipts the governance indexes keep small.
pub fn is_register(kind: Kind) -> bool {
    kind as u16 >= 20
}

/// Whether the index holds records of `kind`; records of other kinds are ignored.
pub fn holds(kind: Kind) -> bool {
    KINDS.contains(&kind) || is_register(kind)
}

/// A record with its decoded body.
#[derive(Clone, Debug)]
pub struct Held<T> {
    /// The record.
    pub record: Record<Verified>,
    /// Its body, decoded.
    pub body: T,
}

impl<T> Held<T> {
    /// The record's id.
    pub fn id(&self) -> RecordId {
        self.record.id()
    }
}

/// Two holdings are equal when they hold the same record (the body is decoded from it).
impl<T> PartialEq for Held<T> {
    fn eq(&self, other: &Held<T>) -> bool {
        self.record == other.record
    }
}

/// The record with its body decoded, if it is of kind `T::KIND` and has a body.
pub fn decoded<T: Body>(record: Record<Verified>) -> Option<Held<T>> {
    if record.header().kind != T::KIND {
        return None;
    }
    let body = T::from_bytes(record.body()?).ok()?;
    Some(Held { record, body })
}

/// A vote in the index: enough to find it and to say whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteEntry {
    /// The vote record.
    pub id: RecordId,
    /// The member its body names.
    pub member: MemberId,
}

/// A vote receipt in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptEntry {
    /// The receipt record.
    pub id: RecordId,
    /// The vote it receipts.
    pub vote: RecordId,
    /// Who signed it.
    pub author: PublicKey,
}

/// The indexes, each keyed by local record number (arrival order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    matters: BTreeMap<u64, Held<Matter>>,
    matter_no: HashMap<RecordId, u64>,
    settlements: HashMap<RecordId, Settlement>,
    diaria: BTreeMap<u64, Held<Diarium>>,
    /// Per matter, its registration: the lowest diarienummer, the first to arrive among equals.
    registered: HashMap<RecordId, u64>,
    votes: HashMap<RecordId, BTreeMap<u64, VoteEntry>>,
    receipts: HashMap<RecordId, BTreeMap<u64, ReceiptEntry>>,
    closings: HashMap<RecordId, BTreeMap<u64, Held<BallotClose>>>,
    meetings: BTreeMap<u64, Held<Meeting>>,
    minutes: BTreeMap<u64, Held<Minutes>>,
    minutes_no: HashMap<RecordId, u64>,
    minutes_of: HashMap<RecordId, BTreeSet<u64>>,
    justeringar: HashMap<RecordId, BTreeMap<u64, Held<Justering>>>,
    /// Content hash and size of each paper a paper record or a matter names (names are never
    /// removed: records are not).
    papers: BTreeSet<(Hash, u64)>,
    /// Every record of a register kind ([`is_register`]), per kind, bodies as stored.
    registers: BTreeMap<Kind, BTreeMap<u64, Record<Verified>>>,
}

impl Model {
    /// Adds the record numbered `n`. A record of a kind not [`held`](holds), or of a governance
    /// kind without a body that decodes (redacted), is ignored; a record already added is left
    /// as it is.
    pub fn add(&mut self, n: u64, record: &Record<Verified>) {
        let record = record.clone();
        match record.header().kind {
            kind if is_register(kind) => {
                self.registers.entry(kind).or_default().entry(n).or_insert(record);
            }
            Kind::Matter => self.add_matter(n, record),
            Kind::Diarium => self.add_diarium(n, record),
            Kind::Vote => {
                let Some(v) = decoded::<Vote>(record) else { return };
                let entry = VoteEntry { id: v.id(), member: v.body.member };
                self.votes.entry(v.body.matter).or_default().insert(n, entry);
            }
            Kind::VoteReceipt => {
                let Some(r) = decoded::<VoteReceipt>(record) else { return };
                let entry = ReceiptEntry { id: r.id(), vote: r.body.vote, author: r.record.header().author };
                self.receipts.entry(r.body.matter).or_default().insert(n, entry);
            }
            Kind::BallotClose => {
                let Some(c) = decoded::<BallotClose>(record) else { return };
                let matter = c.body.matter;
                self.closings.entry(matter).or_default().insert(n, c);
                self.resettle(&matter);
            }
            Kind::Meeting => {
                if let Some(m) = decoded::<Meeting>(record) {
                    self.meetings.insert(n, m);
                }
            }
            Kind::Minutes => {
                let Some(m) = decoded::<Minutes>(record) else { return };
                self.minutes_no.insert(m.id(), n);
                self.minutes_of.entry(m.body.meeting).or_default().insert(n);
                self.minutes.insert(n, m);
            }
            Kind::Justering => {
                let Some(j) = decoded::<Justering>(record) else { return };
                self.justeringar.entry(j.body.minutes).or_default().insert(n, j);
            }
            Kind::Paper => {
                if let Some(p) = decoded::<Paper>(record) {
                    self.papers.insert((p.body.content_hash, p.body.size));
                }
            }
            _ => {}
        }
    }

    fn add_matter(&mut self, n: u64, record: Record<Verified>) {
        let Some(m) = decoded::<Matter>(record) else { return };
        if self.matters.contains_key(&n) {
            return;
        }
        self.papers.extend(m.body.papers.iter().map(|p| (p.content_hash, p.size)));
        let id = m.id();
        self.matter_no.insert(id, n);
        self.matters.insert(n, m);
        self.resettle(&id);
    }

    fn add_diarium(&mut self, n: u64, record: Record<Verified>) {
        let Some(d) = decoded::<Diarium>(record) else { return };
        let matter = d.body.matter;
        let earlier = |held: &Held<Diarium>, m: u64| (&d.body.diarienummer, n) < (&held.body.diarienummer, m);
        let replaces = match self.registered.get(&matter).and_then(|m| Some((self.diaria.get(m)?, *m))) {
            None => true,
            Some((held, m)) => earlier(held, m),
        };
        if replaces {
            self.registered.insert(matter, n);
        }
        self.diaria.insert(n, d);
    }

    /// Recomputes the settlement of `matter` by the rule ([`settle`]) over its closings held.
    fn resettle(&mut self, matter: &RecordId) {
        let Some(held) = self.matter(matter) else { return };
        let closings: Vec<Record<Verified>> =
            self.closings.get(matter).into_iter().flat_map(|c| c.values().map(|c| c.record.clone())).collect();
        let settlement = settle(matter, &held.body, &closings);
        self.settlements.insert(*matter, settlement);
    }

    /// Every matter held, in arrival order.
    pub fn matters(&self) -> impl DoubleEndedIterator<Item = &Held<Matter>> {
        self.matters.values()
    }

    /// The matters held that arrived before local number `before` (all when `None`), newest
    /// first, each with its local number.
    pub fn matters_before(&self, before: Option<u64>) -> impl Iterator<Item = (u64, &Held<Matter>)> {
        self.matters.range(..before.unwrap_or(u64::MAX)).rev().map(|(n, m)| (*n, m))
    }

    /// The matter `id`, if held.
    pub fn matter(&self, id: &RecordId) -> Option<&Held<Matter>> {
        self.matters.get(self.matter_no.get(id)?)
    }

    /// The record `id` when the index holds it whole and it is one that other records name
    /// (a matter or minutes): what the ingest path's lookups read before the disk, since every
    /// vote, receipt and closing names its matter.
    pub fn referenced(&self, id: &RecordId) -> Option<&Record<Verified>> {
        self.matter(id).map(|m| &m.record).or_else(|| self.minutes(id).map(|m| &m.record))
    }

    /// How the closings held settle the matter `id` (open when none is held).
    pub fn settlement(&self, id: &RecordId) -> Settlement {
        self.settlements.get(id).cloned().unwrap_or(Settlement::Open)
    }

    /// The registration of `matter`: the diarium record with the lowest number for it (the
    /// rules cannot stop a matter being registered twice; the first number given is shown).
    pub fn registration(&self, matter: &RecordId) -> Option<&Held<Diarium>> {
        self.diaria.get(self.registered.get(matter)?)
    }

    /// Every diarium record held, in arrival order.
    pub fn diaria(&self) -> impl DoubleEndedIterator<Item = &Held<Diarium>> {
        self.diaria.values()
    }

    /// The votes held on `matter` (by body), in arrival order.
    pub fn votes(&self, matter: &RecordId) -> impl Iterator<Item = &VoteEntry> {
        self.votes.get(matter).into_iter().flat_map(BTreeMap::values)
    }

    /// The vote receipts held for votes on `matter` (by body), in arrival order.
    pub fn receipts(&self, matter: &RecordId) -> impl Iterator<Item = &ReceiptEntry> {
        self.receipts.get(matter).into_iter().flat_map(BTreeMap::values)
    }

    /// The closings held of `matter` (by body), in arrival order.
    pub fn closings(&self, matter: &RecordId) -> impl Iterator<Item = &Held<BallotClose>> {
        self.closings.get(matter).into_iter().flat_map(BTreeMap::values)
    }

    /// Every meeting held, in arrival order.
    pub fn meetings(&self) -> impl DoubleEndedIterator<Item = &Held<Meeting>> {
        self.meetings.values()
    }

    /// The meetings held that arrived before local number `before` (all when `None`), newest
    /// first, each with its local number.
    pub fn meetings_before(&self, before: Option<u64>) -> impl Iterator<Item = (u64, &Held<Meeting>)> {
        self.meetings.range(..before.unwrap_or(u64::MAX)).rev().map(|(n, m)| (*n, m))
    }

    /// Every set of minutes held, in arrival order.
    pub fn all_minutes(&self) -> impl DoubleEndedIterator<Item = &Held<Minutes>> {
        self.minutes.values()
    }

    /// The minutes `id`, if held.
    pub fn minutes(&self, id: &RecordId) -> Option<&Held<Minutes>> {
        self.minutes.get(self.minutes_no.get(id)?)
    }

    /// The minutes of `meeting` (by body), in arrival order.
    pub fn minutes_of(&self, meeting: &RecordId) -> impl Iterator<Item = &Held<Minutes>> {
        self.minutes_of.get(meeting).into_iter().flatten().filter_map(|n| self.minutes.get(n))
    }

    /// The justering records naming `minutes` (by body, whoever signed them), in arrival order.
    pub fn justeringar(&self, minutes: &RecordId) -> impl Iterator<Item = &Held<Justering>> {
        self.justeringar.get(minutes).into_iter().flat_map(BTreeMap::values)
    }

    /// Whether a paper record or a matter held names a paper of this content hash and size.
    pub fn names_paper(&self, hash: &Hash, size: u64) -> bool {
        self.papers.contains(&(*hash, size))
    }

    /// The content hash and size of every paper a held paper record or matter names.
    pub fn papers_named(&self) -> impl Iterator<Item = (Hash, u64)> + '_ {
        self.papers.iter().copied()
    }

    /// Every record held of the register kind `kind` ([`is_register`]), in arrival order;
    /// none for another kind.
    pub fn register(&self, kind: Kind) -> impl DoubleEndedIterator<Item = &Record<Verified>> {
        self.registers.get(&kind).into_iter().flat_map(BTreeMap::values)
    }

    /// Every matter held that names a subject (a plan version, a cost key, an agreement …)
    /// with how its closings settle it, in arrival order.
    pub fn matters_with_subject(&self) -> impl Iterator<Item = (&Held<Matter>, Settlement)> {
        self.matters.values().filter(|m| m.body.subject.is_some()).map(|m| (m, self.settlement(&m.id())))
    }

    /// How many records of each kind the index holds (for benchmarks and logs).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let per = |m: &HashMap<RecordId, BTreeMap<u64, _>>| -> usize { m.values().map(BTreeMap::len).sum() };
        let registers = self.registers.iter().map(|(kind, held)| (kind.name(), held.len()));
        BTreeMap::from([
            ("matter", self.matters.len()),
            ("diarium", self.diaria.len()),
            ("vote", self.votes.values().map(BTreeMap::len).sum()),
            ("vote-receipt", self.receipts.values().map(BTreeMap::len).sum()),
            ("ballot-close", self.closings.values().map(BTreeMap::len).sum()),
            ("meeting", self.meetings.len()),
            ("minutes", self.minutes.len()),
            ("justering", per(&self.justeringar)),
        ])
        .into_iter()
        .chain(registers)
        .collect()
    }
}

/// The read model a store keeps: a [`Model`] behind a lock that writers hold only while adding
/// one commit's records, how many records of each kind have been added, and the [`views`]
/// computed from them.
#[derive(Debug, Default)]
pub struct Index {
    model: RwLock<Model>,
    /// Per kind (in [`Kind::ALL`]'s order), how many records of it have been added, a record
    /// added again counted again: a view is stale once a count of a kind it reads has moved.
    added: [AtomicU64; Kind::ALL.len()],
    views: views::Views,
}

/// The position of `kind` in [`Kind::ALL`].
fn slot(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).expect("every kind is in Kind::ALL")
}

impl Index {
    /// An index built from `records` (the number each record has in its store).
    pub fn build<'a>(records: impl IntoIterator<Item = (u64, &'a Record<Verified>)>) -> Index {
        let index = Index::default();
        index.add(records);
        index
    }

    /// Adds records just stored, each with its local number.
    pub fn add<'a>(&self, records: impl IntoIterator<Item = (u64, &'a Record<Verified>)>) {
        let mut records = records.into_iter().filter(|(_, r)| holds(r.header().kind)).peekable();
        if records.peek().is_none() {
            return;
        }
        let mut model = self.model.write().expect("read model lock poisoned");
        for (n, record) in records {
            model.add(n, record);
            // Counted while the write lock is held, after the record is in: a reader that sees
            // the new count takes the read lock after this writer lets go, so it sees the record.
            self.added[slot(record.header().kind)].fetch_add(1, Ordering::Release);
        }
    }

    /// The model, read-locked: hold it only to copy out what a query needs (writers wait).
    pub fn read(&self) -> RwLockReadGuard<'_, Model> {
        self.model.read().expect("read model lock poisoned")
    }

    /// How many records of `kind` have been added so far (a record added again counts again).
    pub fn added(&self, kind: Kind) -> u64 {
        self.added[slot(kind)].load(Ordering::Acquire)
    }

    /// The view of type `T` computed by `compute` from the records of `kinds` and from whatever
    /// `key` stands for (the roster version, the day …): the one computed before while no record
    /// of those kinds has been added since and `key` is the same, else computed now and kept.
    /// `T` names the view: one view per type. `compute` runs without any lock held.
    pub fn view<T, E>(&self, kinds: &[Kind], key: &[u64], compute: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let stamp: Vec<u64> = kinds.iter().map(|k| self.added(*k)).chain(key.iter().copied()).collect();
        self.views.get_or(stamp, compute)
    }
}
