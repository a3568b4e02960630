//! The record store: sled, confined to this module.
//!
//! One sled tree holds everything under one-byte key prefixes, so a batch of records and their
//! indexes is applied atomically. A write is acknowledged only when durable: sled's `flush` ends
//! in `sync_file_range`, which neither flushes the drive's cache nor survives power loss, so
//! [`Store::put`] follows it with `fdatasync` of the log file (and of any blob files), grouping
//! concurrent writers into one sync ("group commit").
//!
//! Key layout (all integers big-endian so byte order is numeric order):
//! - `r` id → record bytes
//! - `c` author seq id → local number (chain index; two ids at one position = equivocation)
//! - `a` author → highest seq held (the version vector used by sync)
//! - `k` kind n → id (records by kind, in arrival order)
//! - `n` n → id (every record in arrival order; export and paging)
//! - `v` version → id (roster chain: 0 is the charter)
//! - `e` author id → () (records proving the author equivocated)
//! - `d` author → draft bytes (drafts persisted before signing)
//! - `p` id → record bytes (roster proposals still collecting countersignatures; kept apart from
//!   the records, never served or forwarded as records, re-verified whenever used)
//! - `m` name → meta values (`count`, `next`)
//! - `l` matter id → this member's own diarienummer for the matter (local, never replicated)
//! - `b` content hash → bytes (paper blobs, content-addressed: the key is
//!   `governance::content_hash` of the value, checked on the way in and on the way out)

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use samverka_protocol::record::Draft;
use samverka_protocol::{encoding, Kind, PublicKey, Record, RecordId, Unverified, Verified};

/// Default sled page-cache size: keeps resident memory bounded for a store of millions of records.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Most records returned by one page of a listing.
pub const MAX_PAGE: usize = 1000;

const SEGMENT_SIZE: usize = 8 * 1024 * 1024;
/// How long opening waits for a file lock still held by a store closing in this process.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Storage failures. Input problems are never storage errors; these mean the disk or the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// sled reported an error.
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// A file operation failed.
    #[error("store file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Bytes in the store do not decode: the store is damaged.
    #[error("store is damaged: {0}")]
    Corrupt(String),
}

/// Where a record sits in the store's arrival order; a stable paging cursor.
pub type Cursor = u64;

/// The record store of one node.
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    log: File,
    writer: Mutex<()>,
    next: AtomicU64,
    applied: AtomicU64,
    synced: Mutex<SyncState>,
}

#[derive(Default)]
struct SyncState {
    ticket: u64,
    blobs: HashSet<PathBuf>,
}

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    k.push(prefix);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("the slice is eight bytes"))
}

fn id_at(bytes: &[u8], at: usize) -> RecordId {
    samverka_protocol::Hash(bytes[at..at + 32].try_into().expect("the slice is 32 bytes"))
}

impl Store {
    /// Opens (or creates) the store at `path` with a page cache of `cache_bytes`. Reads only a
    /// few meta keys: opening never scans the records.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store, Error> {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .segment_size(SEGMENT_SIZE)
            .mode(sled::Mode::HighThroughput);
        let db = open_waiting_for_lock(&config)?;
        let log_path = path.join("db");
        let log = File::open(&log_path).map_err(|source| Error::Io { path: log_path, source })?;
        let next = db.get(key(b'm', &[b"next"]))?.map(|v| u64_at(&v, 0)).unwrap_or(0);
        let store = Store {
            db,
            path: path.to_owned(),
            log,
            writer: Mutex::new(()),
            next: AtomicU64::new(next),
            applied: AtomicU64::new(0),
            synced: Mutex::new(SyncState::default()),
        };
        store.sync_dir(path)?;
        Ok(store)
    }

    /// Stores records durably (indexes included), all or none. `roster_versions` pairs a
    /// roster-update's id with the version it creates. Returns once the write survives power loss.
    pub fn put(&self, records: &[Record<Verified>], roster_versions: &[(u64, RecordId)]) -> Result<(), Error> {
        self.put_batch(records, roster_versions)?;
        self.sync()
    }

    /// Applies a batch without waiting for durability; call [`Store::sync`] before acknowledging.
    pub fn put_batch(&self, records: &[Record<Verified>], roster_versions: &[(u64, RecordId)]) -> Result<(), Error> {
        let _guard = self.writer.lock().expect("store writer lock poisoned");
        let mut batch = sled::Batch::default();
        let mut heads: BTreeMap<PublicKey, u64> = BTreeMap::new();
        let mut n = self.next.load(Ordering::Relaxed);
        let mut added = 0u64;
        for r in records {
            let id = r.id();
            let rk = key(b'r', &[&id.0]);
            let fresh = !self.db.contains_key(&rk)?;
            batch.insert(rk, r.bytes());
            if !fresh {
                continue; // same record again (e.g. more countersignatures, or redacted): bytes replaced
            }
            let h = r.header();
            let nb = n.to_be_bytes();
            batch.insert(key(b'c', &[&h.author.0, &h.seq.to_be_bytes(), &id.0]), &nb);
            batch.insert(key(b'k', &[&u16::from(h.kind).to_be_bytes(), &nb]), &id.0);
            batch.insert(key(b'n', &[&nb]), &id.0);
            let head = match heads.get(&h.author) {
                Some(s) => *s,
                None => self.head(&h.author)?.unwrap_or(0),
            };
            heads.insert(h.author, head.max(h.seq));
            n += 1;
            added += 1;
        }
        for (author, seq) in &heads {
            batch.insert(key(b'a', &[&author.0]), &seq.to_be_bytes());
        }
        for (version, id) in roster_versions {
            batch.insert(key(b'v', &[&version.to_be_bytes()]), &id.0);
        }
        let count = self.count()? + added;
        batch.insert(key(b'm', &[b"count"]), &count.to_be_bytes());
        batch.insert(key(b'm', &[b"next"]), &n.to_be_bytes());
        self.db.apply_batch(batch)?;
        self.next.store(n, Ordering::Relaxed);
        self.applied.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Makes every applied batch durable. Concurrent callers share one sync.
    pub fn sync(&self) -> Result<(), Error> {
        let target = self.applied.load(Ordering::Acquire);
        let mut state = self.synced.lock().expect("store sync lock poisoned");
        if state.ticket >= target {
            return Ok(());
        }
        let covered = self.applied.load(Ordering::Acquire);
        self.db.flush()?;
        self.log.sync_data().map_err(|source| Error::Io { path: self.path.join("db"), source })?;
        self.sync_blobs(&mut state)?;
        state.ticket = covered;
        Ok(())
    }

    /// sled writes values too large for a log segment to blob files without syncing them.
    fn sync_blobs(&self, state: &mut SyncState) -> Result<(), Error> {
        let dir = self.path.join("blobs");
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        let mut any = false;
        for entry in entries.flatten() {
            let path = entry.path();
            if state.blobs.contains(&path) {
                continue;
            }
            let io = |source| Error::Io { path: path.clone(), source };
            File::open(&path).and_then(|f| f.sync_data()).map_err(io)?;
            state.blobs.insert(path);
            any = true;
        }
        if any {
            self.sync_dir(&dir)?;
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<(), Error> {
        File::open(dir).and_then(|f| f.sync_all()).map_err(|source| Error::Io { path: dir.to_owned(), source })
    }

    /// The record with `id`.
    pub fn get(&self, id: &RecordId) -> Result<Option<Record<Verified>>, Error> {
        match self.db.get(key(b'r', &[&id.0]))? {
            Some(bytes) => Ok(Some(decode_stored(&bytes, id)?)),
            None => Ok(None),
        }
    }

    /// Whether the store holds `id`.
    pub fn contains(&self, id: &RecordId) -> Result<bool, Error> {
        Ok(self.db.contains_key(key(b'r', &[&id.0]))?)
    }

    /// Ids stored at one position of an author's chain (more than one means equivocation).
    pub fn at_position(&self, author: &PublicKey, seq: u64) -> Result<Vec<RecordId>, Error> {
        self.db.scan_prefix(key(b'c', &[&author.0, &seq.to_be_bytes()])).map(|kv| Ok(id_at(&kv?.0, 41))).collect()
    }

    /// An author's records from `from_seq` on, at most `limit`.
    pub fn by_author(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Record<Verified>>, Error> {
        let start = key(b'c', &[&author.0, &from_seq.to_be_bytes()]);
        let end = key(b'c', &[&author.0, &[0xff; 8], &[0xff; 32]]);
        let mut out = Vec::new();
        for kv in self.db.range(start..=end).take(limit.min(MAX_PAGE)) {
            let id = id_at(&kv?.0, 41);
            out.extend(self.get(&id)?);
        }
        Ok(out)
    }

    /// The highest seq stored for `author`.
    pub fn head(&self, author: &PublicKey) -> Result<Option<u64>, Error> {
        Ok(self.db.get(key(b'a', &[&author.0]))?.map(|v| u64_at(&v, 0)))
    }

    /// Highest seq per author: the version vector that sync exchanges.
    pub fn heads(&self) -> Result<BTreeMap<PublicKey, u64>, Error> {
        self.db
            .scan_prefix([b'a'])
            .map(|kv| {
                let (k, v) = kv?;
                Ok((PublicKey(k[1..33].try_into().expect("author keys are 32 bytes")), u64_at(&v, 0)))
            })
            .collect()
    }

    /// Records of `kind` after `cursor` (exclusive), at most `limit`, with the cursor of the last.
    pub fn by_kind(
        &self,
        kind: Option<Kind>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<(Vec<Record<Verified>>, Option<Cursor>), Error> {
        let start_n = after.map_or(0, |c| c.saturating_add(1));
        let (start, end) = match kind {
            Some(k) => {
                let code = u16::from(k).to_be_bytes();
                (key(b'k', &[&code, &start_n.to_be_bytes()]), key(b'k', &[&code, &[0xff; 8]]))
            }
            None => (key(b'n', &[&start_n.to_be_bytes()]), key(b'n', &[&[0xff; 8]])),
        };
        let offset = if kind.is_some() { 3 } else { 1 };
        let mut out = Vec::new();
        let mut last = None;
        for kv in self.db.range(start..=end).take(limit.min(MAX_PAGE)) {
            let (k, v) = kv?;
            last = Some(u64_at(&k, offset));
            out.extend(self.get(&id_at(&v, 0))?);
        }
        Ok((out, last))
    }

    /// The roster chain's record ids, version 0 (the charter) first.
    pub fn roster_ids(&self) -> Result<Vec<RecordId>, Error> {
        self.db.scan_prefix([b'v']).map(|kv| Ok(id_at(&kv?.1, 0))).collect()
    }

    /// How many records the store holds.
    pub fn count(&self) -> Result<u64, Error> {
        Ok(self.db.get(key(b'm', &[b"count"]))?.map(|v| u64_at(&v, 0)).unwrap_or(0))
    }

    /// Records that an author equivocated, with the conflicting ids.
    pub fn flag_equivocation(&self, author: &PublicKey, ids: &[RecordId]) -> Result<(), Error> {
        for id in ids {
            self.db.insert(key(b'e', &[&author.0, &id.0]), &[])?;
        }
        self.sync()
    }

    /// Authors flagged for equivocation, with the conflicting record ids.
    pub fn equivocators(&self) -> Result<BTreeMap<PublicKey, Vec<RecordId>>, Error> {
        let mut out: BTreeMap<PublicKey, Vec<RecordId>> = BTreeMap::new();
        for kv in self.db.scan_prefix([b'e']) {
            let (k, _) = kv?;
            out.entry(PublicKey(k[1..33].try_into().expect("32 bytes"))).or_default().push(id_at(&k, 33));
        }
        Ok(out)
    }

    /// Persists a draft durably before it is signed.
    pub fn put_draft(&self, draft: &Draft) -> Result<(), Error> {
        self.db.insert(key(b'd', &[&draft.header.author.0]), encoding::encode(draft))?;
        self.applied.fetch_add(1, Ordering::Release);
        self.sync()
    }

    /// The draft pending for `author`, if a crash interrupted signing.
    pub fn draft(&self, author: &PublicKey) -> Result<Option<Draft>, Error> {
        match self.db.get(key(b'd', &[&author.0]))? {
            Some(v) => encoding::decode("draft", &v, encoding::MAX_RECORD_BYTES)
                .map(Some)
                .map_err(|e| Error::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    /// Forgets the draft of `author` once its record is stored.
    pub fn clear_draft(&self, author: &PublicKey) -> Result<(), Error> {
        self.db.remove(key(b'd', &[&author.0]))?;
        Ok(())
    }

    /// Stores a roster proposal durably under its id, replacing an earlier copy (the same record
    /// with fewer countersignatures). Proposals are not records of the ledger: they are kept
    /// apart and verified again whenever they are used.
    pub fn put_proposal(&self, record: &Record<Unverified>) -> Result<(), Error> {
        self.db.insert(key(b'p', &[&record.id().0]), record.bytes())?;
        self.applied.fetch_add(1, Ordering::Release);
        self.sync()
    }

    /// Every pending roster proposal, in id order.
    pub fn proposals(&self) -> Result<Vec<Record<Unverified>>, Error> {
        self.db
            .scan_prefix([b'p'])
            .map(|kv| {
                let (k, v) = kv?;
                decode_proposal(&v, &id_at(&k, 1))
            })
            .collect()
    }

    /// The pending roster proposal with `id`.
    pub fn proposal(&self, id: &RecordId) -> Result<Option<Record<Unverified>>, Error> {
        self.db.get(key(b'p', &[&id.0]))?.map(|bytes| decode_proposal(&bytes, id)).transpose()
    }

    /// Forgets a roster proposal (adopted, or withdrawn), durably.
    pub fn remove_proposal(&self, id: &RecordId) -> Result<(), Error> {
        self.db.remove(key(b'p', &[&id.0]))?;
        self.applied.fetch_add(1, Ordering::Release);
        self.sync()
    }

    /// Stores a paper's content under its content hash, durably, and returns the hash. Storing
    /// the same content again changes nothing.
    pub fn put_blob(&self, content: &[u8]) -> Result<samverka_protocol::Hash, Error> {
        let hash = samverka_protocol::governance::content_hash(content);
        self.db.insert(key(b'b', &[&hash.0]), content)?;
        self.applied.fetch_add(1, Ordering::Release);
        self.sync()?;
        Ok(hash)
    }

    /// The content stored under `hash`, checked against it.
    pub fn get_blob(&self, hash: &samverka_protocol::Hash) -> Result<Option<Vec<u8>>, Error> {
        let Some(bytes) = self.db.get(key(b'b', &[&hash.0]))? else { return Ok(None) };
        if samverka_protocol::governance::content_hash(&bytes) != *hash {
            return Err(Error::Corrupt(format!("blob {hash} does not hash to its key")));
        }
        Ok(Some(bytes.to_vec()))
    }

    /// Notes this member's own diarienummer (local dnr) for a matter, durably. Local to this
    /// node: it is the member's registration, not the federation's, and never replicates.
    pub fn put_local_dnr(&self, matter: &RecordId, dnr: &str) -> Result<(), Error> {
        self.db.insert(key(b'l', &[&matter.0]), dnr.as_bytes())?;
        self.applied.fetch_add(1, Ordering::Release);
        self.sync()
    }

    /// This member's own diarienummer for a matter, if noted.
    pub fn local_dnr(&self, matter: &RecordId) -> Result<Option<String>, Error> {
        match self.db.get(key(b'l', &[&matter.0]))? {
            Some(v) => String::from_utf8(v.to_vec()).map(Some).map_err(|e| Error::Corrupt(format!("local dnr: {e}"))),
            None => Ok(None),
        }
    }

    /// Bytes on disk used by the store's files.
    pub fn size_on_disk(&self) -> Result<u64, Error> {
        Ok(self.db.size_on_disk()?)
    }
}

/// Opens sled, waiting briefly when the previous instance in this process is still letting go of
/// the file lock (sled's background flusher holds it for a moment after the last handle drops).
/// Another process holding the store keeps it locked, and the error says so.
fn open_waiting_for_lock(config: &sled::Config) -> Result<sled::Db, Error> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::Sled(sled::Error::Io(e)));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

fn decode_stored(bytes: &[u8], id: &RecordId) -> Result<Record<Verified>, Error> {
    Record::<Verified>::from_trusted_storage(bytes, id).map_err(|e| Error::Corrupt(format!("record {id}: {e}")))
}

fn decode_proposal(bytes: &[u8], id: &RecordId) -> Result<Record<Unverified>, Error> {
    let record = Record::<Unverified>::decode(bytes).map_err(|e| Error::Corrupt(format!("proposal {id}: {e}")))?;
    assert_eq!(&record.id(), id, "stored proposal bytes do not match their key: storage is corrupt");
    Ok(record)
}
