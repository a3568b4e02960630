//! Node-side governance queries: matters with their diarienummer, votes, closings and
//! settlement; meetings; minutes with their justering status — computed from the store with the
//! pure rules of `samverka_protocol::governance`, and the bodies the host's node authors itself
//! (the next diarienummer, a closing).
//!
//! The queries find their records in the store's read model ([`crate::read`]: matters with their
//! registration and settlement, votes, receipts and closings by matter, meetings, minutes and
//! justeringar by minutes), kept up to date as records are stored, and read the votes themselves
//! from the store by id; no query scans every record of a kind. The reports are computed by the
//! pure rules over the records found, so they are what a scan of every record would give.
//! [`scan`] and [`scan_bodies`] list a whole kind: a shared register's records from the read
//! model's memory, any other kind's (the roster updates, for instance) from the store.

pub mod pages;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLockReadGuard};

use samverka_protocol::governance::{
    close, count, explain, justering_status, settle, BallotClose, Choice, Diarienummer, Diarium, Excluded, Justering,
    JusteringStatus, Matter, Meeting, Minutes, Outcome, Paper, Settlement, Tally, Vote, VoteReceipt,
};
use samverka_protocol::{Body, Hash, Kind, MatterKind, MemberId, PublicKey, Record, RecordId, RosterChain, Verified};

use samverka_protocol::SigningKey;
use tokio::sync::{broadcast, watch};

use crate::ledger::Ledger;
use crate::read::Model;
use crate::storage::{self, Store, MAX_PAGE};

pub use crate::read::{decoded, Held};

/// Held while the node builds and authors a record that depends on what it holds (the next
/// diarienummer, a closing, a vote receipt), so a closing never misses a receipt authored
/// between building and signing it.
pub static AUTHORING: Mutex<()> = Mutex::new(());

/// The diarium series of the federation (`SAM 2026/0007`).
pub const SERIES: &str = "SAM";
/// Most pages of [`MAX_PAGE`] records of one kind a query scans (100 000 records).
pub const MAX_SCAN_PAGES: usize = 100;

/// Why a governance query failed. Input problems are not among these: they are absent records.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] storage::Error),
    /// More records of one kind than a scan reads: the node needs an index for this query.
    #[error("more than {} {} records: this query needs an index", MAX_SCAN_PAGES * MAX_PAGE, .0.name())]
    ScanLimit(Kind),
    /// The node has no federation yet.
    #[error("this node has no federation yet")]
    NoFederation,
}

/// Every record of `kind` held, in arrival order: a register kind's from the read model's
/// memory ([`crate::read::is_register`]), any other kind's read from the store, bounded by
/// [`MAX_SCAN_PAGES`].
pub fn scan(store: &Store, kind: Kind) -> Result<Vec<Record<Verified>>, Error> {
    if crate::read::is_register(kind) {
        return Ok(store.read_model().read().register(kind).cloned().collect());
    }
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..MAX_SCAN_PAGES {
        let (page, last) = store.by_kind(Some(kind), after, MAX_PAGE)?;
        let full = page.len() >= MAX_PAGE;
        out.extend(page);
        if !full {
            return Ok(out);
        }
        after = last;
    }
    Err(Error::ScanLimit(kind))
}

/// Every record of `T::KIND` held whose body decodes (redacted bodies are skipped).
pub fn scan_bodies<T: Body>(store: &Store) -> Result<Vec<Held<T>>, Error> {
    Ok(scan(store, T::KIND)?.into_iter().filter_map(decoded).collect())
}

/// The record `id` of kind `T::KIND`, if held with its body.
pub fn get<T: Body>(store: &Store, id: &RecordId) -> Result<Option<Held<T>>, Error> {
    Ok(store.get(id)?.and_then(decoded))
}

/// Where a matter stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No closing by the matter's closer held.
    Open,
    /// Closed: the closer's first closing is final.
    Closed,
    /// The closer equivocated at its first closing's position: nothing is decided.
    Disputed,
}

impl Status {
    /// The API's name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Disputed => "disputed",
        }
    }
}

/// A matter in a listing.
#[derive(Clone, Debug)]
pub struct MatterSummary {
    /// The matter.
    pub matter: Held<Matter>,
    /// Its registration, if any: the diarium record and number.
    pub diarium: Option<Held<Diarium>>,
    /// Open, closed or disputed.
    pub status: Status,
    /// The outcome, when closed.
    pub outcome: Option<Outcome>,
}

/// A vote held on a matter, and whether it counts.
#[derive(Clone, Debug)]
pub struct VoteLine {
    /// The vote record.
    pub id: RecordId,
    /// The member the vote is for.
    pub member: MemberId,
    /// The member's name (from the newest roster version listing it).
    pub member_name: String,
    /// The key that signed it.
    pub author: PublicKey,
    /// The choice.
    pub choice: Choice,
    /// Claimed time (ms since the epoch).
    pub time_ms: i64,
    /// Whether it counts.
    pub counted: bool,
    /// Why it does not count: a true reason with a stable code ([`Excluded::code`]).
    pub excluded: Option<Excluded>,
    /// The closer's receipt for it, if held: proof that a closing cannot omit it.
    pub receipt: Option<RecordId>,
}

/// A matter in full: what the decision page, PDF and CSV show.
#[derive(Clone, Debug)]
pub struct MatterReport {
    /// The matter.
    pub matter: Held<Matter>,
    /// Its registration.
    pub diarium: Option<Held<Diarium>>,
    /// Every vote held on it, counted ones first, by member.
    pub votes: Vec<VoteLine>,
    /// The closings held, sorted by id (only the closer's first one decides).
    pub closings: Vec<Held<BallotClose>>,
    /// The final closing, when closed.
    pub closing: Option<Held<BallotClose>>,
    /// How the closings settle the matter.
    pub settlement: Settlement,
    /// The tally: the final closing's when closed, else the provisional count over the votes held.
    pub tally: Tally,
    /// The outcome when closed; otherwise the provisional outcome of the votes held so far.
    pub outcome: Outcome,
    /// Whether `tally` and `outcome` are provisional (no agreed closing).
    pub provisional: bool,
}

impl MatterReport {
    /// Open, closed or disputed.
    pub fn status(&self) -> Status {
        status_of(&self.settlement)
    }
}

fn status_of(s: &Settlement) -> Status {
    match s {
        Settlement::Open => Status::Open,
        Settlement::Closed { .. } => Status::Closed,
        Settlement::Disputed { .. } => Status::Disputed,
    }
}

/// The store's read model, read-locked: copy out what is needed and let go (writers wait).
fn model(store: &Store) -> RwLockReadGuard<'_, Model> {
    store.read_model().read()
}

/// The registration of one matter: its earliest (the rules cannot stop a matter being
/// registered twice; the first number given is the one shown).
pub fn registration(store: &Store, matter: &RecordId) -> Result<Option<Held<Diarium>>, Error> {
    Ok(model(store).registration(matter).cloned())
}

/// The matter in a listing, from the read model.
fn summary(model: &Model, matter: &Held<Matter>) -> MatterSummary {
    let settlement = model.settlement(&matter.id());
    let outcome = match settlement {
        Settlement::Closed { result, .. } => Some(result),
        _ => None,
    };
    MatterSummary {
        diarium: model.registration(&matter.id()).cloned(),
        status: status_of(&settlement),
        outcome,
        matter: matter.clone(),
    }
}

/// Every matter held, newest first, with its diarienummer and settlement.
pub fn matters(store: &Store) -> Result<Vec<MatterSummary>, Error> {
    let model = model(store);
    Ok(model.matters().rev().map(|m| summary(&model, m)).collect())
}

/// Every matter held, newest first, mapped by `f` from its record, its registration and its
/// status, borrowed from the read model: a list of 10 000 matters copies only what `f` takes.
pub fn each_matter<T>(store: &Store, mut f: impl FnMut(&Held<Matter>, Option<&Held<Diarium>>, Status) -> T) -> Vec<T> {
    let model = model(store);
    model
        .matters()
        .rev()
        .map(|m| {
            let id = m.id();
            f(m, model.registration(&id), status_of(&model.settlement(&id)))
        })
        .collect()
}

/// The matters `keep` chooses (by body and status), newest first: `take` of them after the first
/// `skip`, with how many it chooses in all. Only the ones returned are copied out.
pub fn matters_where(
    store: &Store,
    keep: impl Fn(&Matter, Status) -> bool,
    skip: usize,
    take: usize,
) -> (Vec<MatterSummary>, usize) {
    let model = model(store);
    let mut total = 0;
    let mut out = Vec::new();
    for m in model.matters().rev() {
        if keep(&m.body, status_of(&model.settlement(&m.id()))) {
            if total >= skip && out.len() < take {
                out.push(summary(&model, m));
            }
            total += 1;
        }
    }
    (out, total)
}

/// How many matters held are open (no final closing, not disputed), counted in the read model
/// without copying any.
pub fn open_matters(store: &Store) -> usize {
    let model = model(store);
    model.matters().filter(|m| matches!(model.settlement(&m.id()), Settlement::Open)).count()
}

/// One page of a newest-first listing.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The entries, newest first.
    pub items: Vec<T>,
    /// Where the next page starts (pass it as `before`), when more may follow.
    pub next: Option<u64>,
}

/// Takes up to `limit` entries of `entries` (newest first, with their local numbers) that
/// `keep` chooses, and where the next page starts.
fn page_of<'a, H: 'a, T>(
    entries: impl Iterator<Item = (u64, &'a H)>,
    limit: usize,
    mut keep: impl FnMut(&'a H) -> Option<T>,
) -> Page<T> {
    let mut items = Vec::new();
    let mut last = None;
    for (number, entry) in entries {
        if items.len() == limit {
            return Page { items, next: last };
        }
        if let Some(item) = keep(entry) {
            items.push(item);
        }
        last = Some(number);
    }
    Page { items, next: None }
}

/// Up to `limit` matters that arrived before `before`, newest first; only closed ones when
/// `closed_only` (the decisions).
pub fn matters_page(store: &Store, before: Option<u64>, limit: usize, closed_only: bool) -> Page<MatterSummary> {
    let model = model(store);
    page_of(model.matters_before(before), limit, |m| {
        let s = summary(&model, m);
        (!closed_only || s.status == Status::Closed).then_some(s)
    })
}

/// The matter `id` as listed by [`matters`], if held.
pub fn matter_summary(store: &Store, id: &RecordId) -> Result<Option<MatterSummary>, Error> {
    let model = model(store);
    Ok(model.matter(id).map(|m| summary(&model, m)))
}

/// The closing that decided `matter`, if a final one is held (see [`Settlement`]).
pub fn final_closing(store: &Store, matter: &RecordId) -> Option<RecordId> {
    match model(store).settlement(matter) {
        Settlement::Closed { closing, .. } => Some(closing),
        Settlement::Open | Settlement::Disputed { .. } => None,
    }
}

/// Closings held for `matter`, sorted by id.
pub fn closings_of(store: &Store, matter: &RecordId) -> Result<Vec<Held<BallotClose>>, Error> {
    let mut out: Vec<Held<BallotClose>> = model(store).closings(matter).cloned().collect();
    out.sort_by_key(Held::id);
    Ok(out)
}

/// Votes held on `matter` (by body), in arrival order: found in the read model, read from the
/// store (checked; a damaged one is left out, as a scan leaves it out).
pub fn votes_on(store: &Store, matter: &RecordId) -> Result<Vec<Record<Verified>>, Error> {
    let ids: Vec<RecordId> = model(store).votes(matter).map(|v| v.id).collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in &ids {
        out.extend(store.get(id)?);
    }
    Ok(out)
}

/// Whether a vote held on `matter` names `member` (counted or not).
pub fn has_voted(store: &Store, matter: &RecordId, member: &str) -> Result<bool, Error> {
    Ok(model(store).votes(matter).any(|v| v.member == member))
}

/// The member's display name, from the newest roster version listing it.
pub fn member_name(chain: &RosterChain, member: &str) -> String {
    chain
        .versions()
        .iter()
        .rev()
        .find_map(|r| r.members.get(member))
        .map_or_else(|| member.to_owned(), |m| m.name.clone())
}

/// The member a key speaks (or spoke) for.
pub fn member_of_key(chain: &RosterChain, key: &PublicKey) -> Option<MemberId> {
    chain.versions().iter().rev().find_map(|r| r.keys.get(key)).map(|g| g.member.clone())
}

/// Vote receipts held for votes on `matter`: vote id → receipt id (the first by id if several).
pub fn receipts_on(store: &Store, matter: &RecordId) -> Result<BTreeMap<RecordId, RecordId>, Error> {
    let mut out = BTreeMap::new();
    for r in model(store).receipts(matter) {
        let slot = out.entry(r.vote).or_insert(r.id);
        *slot = (*slot).min(r.id);
    }
    Ok(out)
}

/// The matter `id` in full, or `None` if no matter with that id is held.
///
/// The decision shown is the closer's first closing ([`settle`]); every vote held is listed with
/// the true reason it does or does not count ([`explain`]).
pub fn matter_report(store: &Store, chain: &RosterChain, id: &RecordId) -> Result<Option<MatterReport>, Error> {
    let (matter, diarium) = {
        let model = model(store);
        let Some(matter) = model.matter(id).cloned() else { return Ok(None) };
        (matter, model.registration(id).cloned())
    };
    let votes = votes_on(store, id)?;
    let receipts = receipts_on(store, id)?;
    let closings = closings_of(store, id)?;
    let records: Vec<Record<Verified>> = closings.iter().map(|c| c.record.clone()).collect();
    let settlement = settle(id, &matter.body, &records);
    let closing = match &settlement {
        Settlement::Closed { closing, .. } => closings.iter().find(|c| c.id() == *closing).cloned(),
        _ => None,
    };
    let why: BTreeMap<RecordId, Option<Excluded>> =
        explain(*id, &matter.body, closing.as_ref().map(|c| &c.record), &votes, chain).into_iter().collect();
    let mut lines: Vec<VoteLine> = votes
        .iter()
        .filter_map(|r| {
            let v = Vote::from_bytes(r.body()?).ok()?;
            let excluded = why.get(&r.id()).copied().flatten();
            Some(VoteLine {
                id: r.id(),
                member_name: member_name(chain, &v.member),
                member: v.member,
                author: r.header().author,
                choice: v.choice,
                time_ms: r.header().time_ms,
                counted: excluded.is_none(),
                excluded,
                receipt: receipts.get(&r.id()).copied(),
            })
        })
        .collect();
    lines.sort_by(|a, b| (!a.counted, &a.member, a.time_ms).cmp(&(!b.counted, &b.member, b.time_ms)));
    let (tally, outcome, provisional) = match &closing {
        Some(c) => (c.body.tally.clone(), c.body.result, false),
        None => {
            let live = count(*id, &matter.body, &votes, chain, chain.current());
            (live.decision.tally, live.decision.result, true)
        }
    };
    Ok(Some(MatterReport { matter, diarium, votes: lines, closings, closing, settlement, tally, outcome, provisional }))
}

/// A meeting with its agenda resolved and the minutes held for it.
#[derive(Clone, Debug)]
pub struct MeetingSummary {
    /// The meeting (kallelse).
    pub meeting: Held<Meeting>,
    /// The agenda: each matter id with its title and diarienummer, when held.
    pub agenda: Vec<(RecordId, Option<String>, Option<Diarienummer>)>,
    /// Minutes records of this meeting.
    pub minutes: Vec<RecordId>,
}

/// Every meeting held, newest first.
pub fn meetings(store: &Store) -> Result<Vec<MeetingSummary>, Error> {
    Ok(meetings_page(store, None, usize::MAX).items)
}

/// Up to `limit` meetings that arrived before `before`, newest first, with their agenda and
/// the minutes held for them.
pub fn meetings_page(store: &Store, before: Option<u64>, limit: usize) -> Page<MeetingSummary> {
    let model = model(store);
    let summary = |meeting: &Held<Meeting>| {
        let agenda = meeting
            .body
            .agenda
            .iter()
            .map(|m| {
                let title = model.matter(m).map(|h| h.body.title.clone());
                (*m, title, model.registration(m).map(|d| d.body.diarienummer.clone()))
            })
            .collect();
        let minutes = model.minutes_of(&meeting.id()).map(Held::id).collect();
        Some(MeetingSummary { meeting: meeting.clone(), agenda, minutes })
    };
    page_of(model.meetings_before(before), limit, summary)
}

/// Every set of minutes held, in arrival order.
pub fn all_minutes(store: &Store) -> Result<Vec<Held<Minutes>>, Error> {
    Ok(model(store).all_minutes().cloned().collect())
}

/// One item (paragraf) of minutes, resolved.
#[derive(Clone, Debug)]
pub struct ItemLine {
    /// The matter.
    pub matter: RecordId,
    /// Its title, when held.
    pub title: Option<String>,
    /// Its diarienummer, when registered.
    pub diarienummer: Option<Diarienummer>,
    /// The closing named, and its outcome when held.
    pub closing: Option<(RecordId, Option<Outcome>)>,
    /// The text.
    pub text: String,
}

/// Minutes in full, with their justering status.
#[derive(Clone, Debug)]
pub struct MinutesReport {
    /// The minutes.
    pub minutes: Held<Minutes>,
    /// The meeting, when held.
    pub meeting: Option<Held<Meeting>>,
    /// The items, resolved.
    pub items: Vec<ItemLine>,
    /// Justerat or pending.
    pub status: JusteringStatus,
    /// The justering records of exactly these minutes by one of their signers.
    pub justeringar: Vec<Held<Justering>>,
}

/// The minutes `id` in full, or `None` if no minutes with that id are held.
pub fn minutes_report(store: &Store, id: &RecordId) -> Result<Option<MinutesReport>, Error> {
    let (minutes, justeringar) = {
        let model = model(store);
        let Some(minutes) = model.minutes(id).cloned() else { return Ok(None) };
        let signers = minutes.body.signers();
        let justeringar: Vec<Held<Justering>> =
            model.justeringar(id).filter(|j| signers.contains(&j.record.header().author)).cloned().collect();
        (minutes, justeringar)
    };
    let meeting = get::<Meeting>(store, &minutes.body.meeting)?;
    let records: Vec<Record<Verified>> = justeringar.iter().map(|j| j.record.clone()).collect();
    let status = justering_status(id, &minutes.body, &records);
    let items = minutes_items(store, &minutes.body)?;
    Ok(Some(MinutesReport { minutes, meeting, items, status, justeringar }))
}

/// The items of `minutes` (held, or still to be signed) resolved: each matter's title and
/// diarienummer, and the outcome of the closing it names.
pub fn minutes_items(store: &Store, minutes: &Minutes) -> Result<Vec<ItemLine>, Error> {
    let titles: Vec<(Option<String>, Option<Diarienummer>)> = {
        let model = model(store);
        minutes
            .items
            .iter()
            .map(|item| {
                let title = model.matter(&item.matter).map(|m| m.body.title.clone());
                (title, model.registration(&item.matter).map(|d| d.body.diarienummer.clone()))
            })
            .collect()
    };
    minutes
        .items
        .iter()
        .zip(titles)
        .map(|(item, (title, diarienummer))| {
            let closing = match item.closing {
                Some(c) => Some((c, get::<BallotClose>(store, &c)?.map(|h| h.body.result))),
                None => None,
            };
            Ok(ItemLine { matter: item.matter, title, diarienummer, closing, text: item.text.clone() })
        })
        .collect()
}

/// Why the node will not author a governance record.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The query failed.
    #[error(transparent)]
    Query(#[from] Error),
    /// No matter with that id is held.
    #[error("no matter {0} is held here")]
    UnknownMatter(RecordId),
    /// The matter already has a diarienummer.
    #[error("matter {matter} is already registered as {diarienummer}")]
    AlreadyRegistered {
        /// The matter.
        matter: RecordId,
        /// Its number.
        diarienummer: Diarienummer,
    },
    /// A closing of the matter is already held.
    #[error("matter {matter} is already closed by {closing}; a node does not author a second closing")]
    AlreadyClosed {
        /// The matter.
        matter: RecordId,
        /// The closing held.
        closing: RecordId,
    },
    /// This node's key is not the matter's designated closer.
    #[error("matter {matter} names {closer} as its closer, not this node's key; close it on that node")]
    NotCloser {
        /// The matter.
        matter: RecordId,
        /// The closer it names.
        closer: PublicKey,
    },
}

impl Refusal {
    /// A short, stable code (the API's and the pages' `refusal.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Query(_) => "query_failed",
            Refusal::UnknownMatter(_) => "unknown_matter",
            Refusal::AlreadyRegistered { .. } => "already_registered",
            Refusal::AlreadyClosed { .. } => "already_closed",
            Refusal::NotCloser { .. } => "not_designated_closer",
        }
    }
}

/// The diarium body registering `matter` as the next number of `year`, for the node key `author`.
///
/// `previous` is the author's own latest diarium record if it has one; otherwise the highest
/// number anyone registered (a hand-over: a new host or a rotated key continues the series), or
/// none for the federation's first registration. The caller must author it before another
/// diarium record by the same key (one writer at a time).
pub fn next_registration(store: &Store, author: &PublicKey, matter: &RecordId, year: u16) -> Result<Diarium, Refusal> {
    let all: Vec<Held<Diarium>> = {
        let model = model(store);
        if model.matter(matter).is_none() {
            return Err(Refusal::UnknownMatter(*matter));
        }
        model.diaria().cloned().collect()
    };
    if let Some(d) =
        all.iter().filter(|d| d.body.matter == *matter).min_by(|a, b| a.body.diarienummer.cmp(&b.body.diarienummer))
    {
        return Err(Refusal::AlreadyRegistered { matter: *matter, diarienummer: d.body.diarienummer.clone() });
    }
    let own = all.iter().filter(|d| d.record.header().author == *author).max_by_key(|d| d.record.header().seq);
    let previous = own.or_else(|| all.iter().max_by(|a, b| a.body.diarienummer.cmp(&b.body.diarienummer)));
    let series = previous.map_or(SERIES, |p| p.body.diarienummer.series.as_str()).to_owned();
    let year = previous.map_or(year, |p| year.max(p.body.diarienummer.year));
    let diarienummer = Diarienummer::next(previous.map(|p| &p.body.diarienummer), &series, year);
    Ok(Diarium { matter: *matter, diarienummer, previous: previous.map(Held::id) })
}

/// The closing of `matter` by `closer` over every vote held, under the current roster version;
/// refused unless `closer` is the matter's designated closer, and if a closing of it is held.
///
/// Naming every vote held that counts, it accounts for every vote `closer` has receipted.
pub fn next_closing(
    store: &Store,
    chain: &RosterChain,
    closer: &PublicKey,
    matter: &RecordId,
) -> Result<BallotClose, Refusal> {
    let Some(held) = model(store).matter(matter).cloned() else { return Err(Refusal::UnknownMatter(*matter)) };
    if held.body.closer != *closer {
        return Err(Refusal::NotCloser { matter: *matter, closer: held.body.closer });
    }
    if let Some(c) = closings_of(store, matter)?.iter().find(|c| c.record.header().author == *closer) {
        return Err(Refusal::AlreadyClosed { matter: *matter, closing: c.id() });
    }
    let votes = votes_on(store, matter)?;
    Ok(close(*matter, &held.body, &votes, chain, chain.current()))
}

/// Why a host command did not author its record.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command does not apply (unknown matter, already registered or closed, not the closer).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The ledger refused or could not store the record.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::Error),
}

/// Registers `matter` in the diarium with the next diarienummer of the year of `now_ms`
/// (Europe/Stockholm), authored by `node_key` (the host's node): the command behind
/// `POST /api/v1/matters/{id}/diarium` and the host's button on the matter page.
pub fn register(
    ledger: &Ledger,
    node_key: &SigningKey,
    matter: &RecordId,
    now_ms: i64,
) -> Result<(Record<Verified>, Diarium), CommandError> {
    let _guard = AUTHORING.lock().expect("authoring lock poisoned");
    let body = next_registration(ledger.store(), &node_key.public(), matter, stockholm_year(now_ms))?;
    let record = ledger.author(node_key, Kind::Diarium, body.to_bytes(), now_ms)?;
    tracing::info!(record = %record.id(), %matter, diarienummer = %body.diarienummer, "the node registered a matter");
    Ok((record, body))
}

/// Closes the ballot of `matter` over every vote held, authored by `node_key` (the matter's
/// closer): the command behind `POST /api/v1/matters/{id}/close` and the host's button.
pub fn close_ballot(
    ledger: &Ledger,
    node_key: &SigningKey,
    matter: &RecordId,
    now_ms: i64,
) -> Result<(Record<Verified>, BallotClose), CommandError> {
    let chain = ledger.chain().ok_or(Error::NoFederation).map_err(Refusal::from)?;
    let _guard = AUTHORING.lock().expect("authoring lock poisoned");
    let body = next_closing(ledger.store(), &chain, &node_key.public(), matter)?;
    let record = ledger.author(node_key, Kind::BallotClose, body.to_bytes(), now_ms)?;
    tracing::info!(record = %record.id(), %matter, votes = body.counted.len(), "the node closed a ballot");
    Ok((record, body))
}

/// The receipt `closer` owes for `record`: `Some` when it is a vote on a held matter that names
/// `closer` as its closer, not yet closed by it and not yet receipted by it; else `None`.
pub fn receipt_due(store: &Store, closer: &PublicKey, record: &Record<Verified>) -> Result<Option<VoteReceipt>, Error> {
    let Some(vote) = decoded::<Vote>(record.clone()) else { return Ok(None) };
    let matter = vote.body.matter;
    let model = model(store);
    let Some(held) = model.matter(&matter) else { return Ok(None) };
    if held.body.closer != *closer {
        return Ok(None);
    }
    if model.closings(&matter).any(|c| c.record.header().author == *closer) {
        return Ok(None);
    }
    if model.receipts(&matter).any(|r| r.author == *closer && r.vote == record.id()) {
        return Ok(None);
    }
    Ok(Some(VoteReceipt { matter, vote: record.id() }))
}

/// Authors the receipt `key` owes for `record`, if any ([`receipt_due`]); `Ok(None)` when none
/// is owed.
pub fn issue_receipt(
    ledger: &Ledger,
    key: &SigningKey,
    record: &Record<Verified>,
) -> Result<Option<Record<Verified>>, ReceiptError> {
    let _guard = AUTHORING.lock().expect("authoring lock poisoned");
    let Some(receipt) = receipt_due(ledger.store(), &key.public(), record)? else { return Ok(None) };
    let now = jiff::Timestamp::now().as_millisecond();
    Ok(Some(ledger.author(key, Kind::VoteReceipt, receipt.to_bytes(), now)?))
}

/// Why a vote receipt owed was not authored.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Finding out whether one is owed failed.
    #[error(transparent)]
    Query(#[from] Error),
    /// Authoring it failed.
    #[error(transparent)]
    Author(#[from] crate::ledger::Error),
}

/// Issues the vote receipts this node's key owes, as votes are stored, until `stop` is true.
/// A receipt that cannot be authored is logged: the vote is still counted by this node's
/// closing, which names every vote it holds.
pub async fn issue_receipts(ledger: Arc<Ledger>, key: SigningKey, mut stop: watch::Receiver<bool>) {
    let mut stored = ledger.subscribe();
    loop {
        let record = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = stored.recv() => r,
        };
        let record = match record {
            Ok(r) if r.header().kind == Kind::Vote => r,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "vote receipts: fell behind the stored records; some votes get no receipt");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        // Whether one is owed is read from the read model in memory, here: most votes are owed
        // nothing by this node, and a blocking thread for each would cost more than the check.
        match receipt_due(ledger.store(), &key.public(), &record) {
            Ok(Some(_)) => {}
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(vote = %record.id(), error = %e, "could not tell whether a vote receipt is owed");
                continue;
            }
        }
        let (l, k, vote) = (ledger.clone(), key.clone(), record.id());
        match tokio::task::spawn_blocking(move || issue_receipt(&l, &k, &record)).await {
            Ok(Ok(Some(receipt))) => tracing::debug!(vote = %vote, receipt = %receipt.id(), "vote receipted"),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(vote = %vote, error = %e, "could not author a vote receipt"),
            Err(e) => tracing::error!(vote = %vote, error = %e, "the vote receipt task failed"),
        }
    }
}

/// The year of `time_ms` in Europe/Stockholm (the diarium's year).
pub fn stockholm_year(time_ms: i64) -> u16 {
    let ts = jiff::Timestamp::from_millisecond(time_ms).expect("the clock is within jiff's range");
    let zoned = ts.in_tz("Europe/Stockholm").expect("the bundled tz database has Europe/Stockholm");
    u16::try_from(zoned.year()).expect("a year of this era fits in u16")
}

/// The date (`YYYY-MM-DD`) of `time_ms` in Europe/Stockholm.
pub fn stockholm_date(time_ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(time_ms).and_then(|t| t.in_tz("Europe/Stockholm")) {
        Ok(z) => z.date().to_string(),
        Err(_) => String::from("?"),
    }
}

/// The first (or, with `end_of_day`, the last) millisecond of the day `date` (`2026-11-23`) in
/// Europe/Stockholm, as mandate periods are given; `None` if `date` is not such a day.
pub fn stockholm_day_ms(date: &str, end_of_day: bool) -> Option<i64> {
    let date: jiff::civil::Date = date.trim().parse().ok()?;
    let time = if end_of_day { jiff::civil::time(23, 59, 59, 999_000_000) } else { jiff::civil::time(0, 0, 0, 0) };
    Some(date.to_datetime(time).in_tz("Europe/Stockholm").ok()?.timestamp().as_millisecond())
}

/// A choice in Swedish, alternatives numbered from 1 as people read them.
pub fn choice_text(choice: Choice, matter: &Matter) -> String {
    match choice {
        Choice::Yes => "ja".into(),
        Choice::No => "nej".into(),
        Choice::Abstain => "avstår".into(),
        Choice::Alternative(i) => {
            let name = usize::try_from(i).ok().and_then(|i| matter.alternatives.get(i));
            match name {
                Some(n) => format!("alternativ {} ({n})", i + 1),
                None => format!("alternativ {}", i + 1),
            }
        }
    }
}

/// An outcome in Swedish.
pub fn outcome_text(outcome: Outcome, matter: &Matter) -> String {
    match outcome {
        Outcome::Adopted { alternative: None } => "bifallet (förslaget antogs)".into(),
        Outcome::Adopted { alternative: Some(i) } => {
            let name = usize::try_from(i).ok().and_then(|i| matter.alternatives.get(i)).map_or("", String::as_str);
            format!("alternativ {} antogs ({name})", i + 1)
        }
        Outcome::Rejected => "avslaget".into(),
        Outcome::NoQuorum => "ej beslutsmässigt (för få röstande)".into(),
    }
}

/// The API's and the CLI's name of a matter kind (`budget`, `storre-forandring`, …).
pub fn matter_kind_name(kind: MatterKind) -> &'static str {
    match kind {
        MatterKind::Forvaltningsplan => "forvaltningsplan",
        MatterKind::Utvecklingsplan => "utvecklingsplan",
        MatterKind::Budget => "budget",
        MatterKind::Investering => "investering",
        MatterKind::StorreForandring => "storre-forandring",
        MatterKind::Avtalsforlangning => "avtalsforlangning",
        MatterKind::UppsagningAvAvtal => "uppsagning-av-avtal",
        MatterKind::NyttAvtal => "nytt-avtal",
        MatterKind::Medlemskap => "medlemskap",
        MatterKind::Ovrigt => "ovrigt",
    }
}

/// Parses [`matter_kind_name`].
pub fn parse_matter_kind(name: &str) -> Option<MatterKind> {
    MatterKind::ALL.into_iter().find(|k| matter_kind_name(*k) == name)
}

/// Content hashes of the papers (underlag) a record names: a paper record's content, or the
/// papers a matter rests on. Other kinds name none.
pub fn papers_named<S>(record: &Record<S>) -> Vec<Hash> {
    let Some(body) = record.body() else { return Vec::new() };
    match record.header().kind {
        Kind::Paper => Paper::from_bytes(body).map(|p| vec![p.content_hash]).unwrap_or_default(),
        Kind::Matter => {
            Matter::from_bytes(body).map(|m| m.papers.iter().map(|p| p.content_hash).collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// The content hash and size of every paper a held paper record or matter names.
pub fn named_papers(store: &Store) -> Result<BTreeSet<(Hash, u64)>, Error> {
    Ok(model(store).papers_named().collect())
}

/// Papers that held records name but whose content this store lacks: called when the network
/// starts, then kept up to date as records arrive.
pub fn missing_papers(store: &Store) -> Result<BTreeSet<Hash>, Error> {
    let mut missing = BTreeSet::new();
    for (hash, _) in named_papers(store)? {
        if store.get_blob(&hash)?.is_none() {
            missing.insert(hash);
        }
    }
    Ok(missing)
}
