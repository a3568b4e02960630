//! The record store, confined to this module: record bytes in an append-only log that is the
//! store's write-ahead log, indexes in plain files and in sled.
//!
//! Record bytes and the per-record indexes that grow in order live in plain files under
//! `records/`, written with positioned writes; sled holds the one index that needs random keys
//! (record id → local number) and every small, mutable value. Keeping the bulk out of sled
//! keeps the store close to the size of the records (sled's log-structured pages roughly double
//! whatever they hold) and costs one sled insert per record instead of four.
//!
//! A write is acknowledged only when durable, and one `fdatasync` makes it so: [`Store::put`]
//! appends each record to `records/log` in a checked frame and syncs that file alone. Everything
//! else a record changes — its offset, kind and chain entries, its author's head, its id entry
//! in sled — can be rebuilt from the log, so it is written without waiting for the disk (the id
//! and chain entries are kept in memory until then) and made durable only at a **checkpoint**:
//! every [`CHECKPOINT_RECORDS`] records or [`CHECKPOINT_BYTES`] of log, and when the store is
//! closed. A checkpoint appends the chain entries to their files, syncs the index files, then
//! applies one atomic sled batch (heads, roster versions, and the record number and log length
//! it covers) and syncs sled's log — sled's own `flush` ends in `sync_file_range`, which neither
//! flushes the drive's cache nor survives power loss. Concurrent writers share one sync ("group
//! commit").
//!
//! Opening cuts the index files back to the checkpoint, then replays the log from the
//! checkpoint's length: each frame whose length and check are whole is indexed again, in order,
//! so every record gets the number it had; the first frame that is not (a write cut off by a
//! crash, never acknowledged) and everything after it is cut away. Id entries reach sled only
//! at a checkpoint, after the log holding their records is synced, so sled never names a record
//! the log lacks.
//!
//! **Checked reads.** Every record read — [`Store::get`], [`Store::by_author`] and
//! [`Store::bytes_by_author`] (the ranges served to sync), [`Store::by_kind`] (listings,
//! export) and [`Store::scrub`] — is checked before it is returned: its offsets entry lies
//! inside the log, its frame's length and check match, it decodes, and it is the record the
//! index named (the id, for the id and chain indexes; the kind, for a kind index). A record
//! that fails is **damaged**: the read leaves it out (`get` answers `None`, an author's range
//! stops before it, a listing skips it), logs an error with its number, id, author and seq, and
//! adds it to the store's damaged set ([`Store::damaged`]), marked durably in sled (`z`):
//! opening checks each marked record again, keeps the still damaged ones in the set and drops
//! the marks of those that check whole. So `samverka scrub`, run while the node is stopped,
//! makes the node ask its peers for every damaged record when it starts. A damaged record is
//! not held: [`Store::contains`] and [`Store::holds`] answer false, [`Store::count`] leaves it
//! out, [`Store::at_position`] leaves it out, and [`Store::head`] and [`Store::heads`] (the
//! version vector sync exchanges) stop just below the author's first damaged position (when a
//! chain index names the damaged record's position), so a peer's catch-up sends it again.
//! [`Store::head_record`] is not lowered: a node's own chain continues after its newest record.
//! When the record arrives again, [`Store::put`] writes its frame over the damaged one, in
//! place — the same record makes the same frame, so the offsets, kind and chain entries stay
//! valid — provided its offsets entry lies exactly between its neighbours' frames and the copy
//! has the stored length; the frame is read back and checked, and the record leaves the damaged
//! set. (A copy of another length — a roster record with other countersignatures — leaves the
//! record damaged.)
//!
//! **Checked indexes.** Opening reads every index entry the checkpoint covers (the index files,
//! not the log) and checks: the offsets entries lie back to back in the log and end where the
//! checkpoint's log ends; each kind file ascends, and together they list every record number
//! exactly once; each chain file ascends in seq, and the chain files with sled's chain
//! exceptions name every record once, with the fingerprint the checkpoint recorded (the
//! wrapping sum of a mix of each record's number, seq and id; a store written before the
//! fingerprint existed is checked without it). When a check fails, opening logs the fault and
//! rebuilds: it removes the offsets, kind and chain files and sled's heads, roster versions and
//! chain exceptions, and replays the whole log, which numbers every record as before
//! ([`Store::rebuilt`] says what was found). During that replay a frame that is not whole
//! inside the log the checkpoint covered is damage, not a write cut off by a crash: opening
//! refuses with [`Error::LogDamaged`] and cuts nothing.
//!
//! Files (all integers big-endian):
//! - `records/log` — frames back to back: length u32 ‖ roster version u64 (`u64::MAX` for a
//!   record that is not a roster version) ‖ check\[8\] ‖ record bytes, where check is the first
//!   eight bytes of SHA-256(`FRAME_DOMAIN` ‖ length ‖ roster version ‖ record bytes)
//! - `records/offsets` — per local number `n`: offset u64 ‖ length u32 of the record bytes in `log`
//! - `records/kind-XXXX` — per record kind (hex code): the `n` of each record of that kind, ascending
//! - `records/chain-XXXXXXXX` — per author (local author number): seq u64 ‖ n u64 ‖ id\[32\] for
//!   each record that extended the chain, ascending seq
//!
//! sled keys:
//! - `i` id → n (every record; two records never share an id)
//! - `a` author → author number u32 ‖ highest seq held u64 ‖ id there (the version vector, as of
//!   the checkpoint)
//! - `x` author number seq n → id (chain positions that arrived out of order, or a second record
//!   at one position: equivocation)
//! - `v` version → id (roster chain: 0 is the charter; as of the checkpoint)
//! - `e` author id → () (records proving the author equivocated)
//! - `d` author → draft bytes (drafts persisted before signing)
//! - `o` author → what the node offered the author to sign in a browser (`crate::offer`: the
//!   draft and the records offered earlier at the same position)
//! - `p` id → record bytes (roster proposals still collecting countersignatures; kept apart from
//!   the records, never served or forwarded as records, re-verified whenever used)
//! - `m` name → meta values (`format`; `next`, `log` and `fp`: the record count, log length and
//!   chain fingerprint the last checkpoint covers)
//! - `l` matter id → this member's own diarienummer for the matter (local, never replicated)
//! - `n` record id → empty: this node has e-mailed the record (an outage notice or a support
//!   step; local, never replicated)
//! - `s` hash of a cookie token → a browser sign-in session (`samverka_web::session`: key, CSRF
//!   token, sign-in and last request; local, never replicated nor archived, not synced: a
//!   session lost in a crash costs a sign-in)
//! - `z` n → () (records found damaged and not yet repaired)
//! - `b` content hash → bytes (paper blobs, content-addressed: the key is
//!   `governance::content_hash` of the value, checked on the way in and on the way out)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use samverka_protocol::record::Draft;
use samverka_protocol::{encoding, Hash, Kind, PublicKey, Record, RecordId, Unverified, Verified};

mod integrity;

pub use integrity::{Damage, Damaged, IndexFault, Scrub};

/// Default sled page-cache size: keeps resident memory bounded for a store of millions of records.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Most records returned by one page of a listing.
pub const MAX_PAGE: usize = 1000;
/// A checkpoint is taken once this many records were stored since the last one.
pub const CHECKPOINT_RECORDS: u64 = 20_000;
/// ... or once the log grew by this many bytes since the last one.
pub const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;
/// Space the store keeps free on its disk beyond each write: room for the index entries, sled's
/// writes and a checkpoint, so a full disk refuses a write before it starts (nothing written,
/// nothing to undo) rather than failing it halfway, which leaves the store refusing until reopened.
pub const MIN_FREE_BYTES: u64 = 2 * 1024 * 1024;
/// Most index faults one scrub reports (a badly damaged index would name every entry).
pub const MAX_SCRUB_FAULTS: usize = 1000;

const SEGMENT_SIZE: usize = 8 * 1024 * 1024;
/// How long opening waits for a file lock still held by a store closing in this process.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// The layout this module writes; a store in another layout is refused with a clear error.
const FORMAT: u64 = 3;
const OFFSET_ENTRY: u64 = 12;
const KIND_ENTRY: u64 = 8;
const CHAIN_ENTRY: u64 = 48;
/// A log frame's header: length u32 ‖ roster version u64 ‖ check\[8\].
const FRAME_HEADER: u64 = 20;
/// The roster version field of a frame whose record is not a roster version.
const NO_VERSION: u64 = u64::MAX;
/// Domain prefix of a log frame's check.
const FRAME_DOMAIN: &[u8] = b"samverka/store-frame/1\0";
/// Zeros written ahead of the log's end by a small commit: later commits overwrite them, so the
/// file's size changes once per this many bytes rather than on every commit (on a journalled
/// ext4 a new size makes `fdatasync` commit the journal; overwriting does not).
const LOG_AHEAD: u64 = 256 * 1024;
/// Records replayed from the log per indexing step when opening.
const REPLAY_BATCH: usize = 4096;
/// Checkpoints of at least this many records insert their id entries on several threads.
const PARALLEL_COMMIT: usize = 64;

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
    /// The disk holding the store has too little free space (or the quota is reached): the write
    /// was refused before anything was written, and writes resume once space is freed.
    #[error(
        "the node's disk is full: free space on {path} ({available} bytes free, a write needs {needed}); nothing was stored"
    )]
    DiskFull {
        /// The store's directory.
        path: PathBuf,
        /// Bytes free for this process on its disk.
        available: u64,
        /// Bytes the write needed free, [`MIN_FREE_BYTES`] included.
        needed: u64,
    },
    /// An earlier write could not be made durable; the node must restart to recover.
    #[error("an earlier write to the store failed ({0}); restart the node (it recovers on opening)")]
    Failed(String),
    /// Rebuilding the indexes met a damaged frame inside the log the last checkpoint covered:
    /// the records after it cannot be numbered as they were.
    #[error(
        "the record log is damaged at byte {at} and an index file is damaged too ({fault}): restore the store from an archive (samverka import) or start an empty node and let it fetch the records from its peers"
    )]
    LogDamaged {
        /// Where the damaged frame starts.
        at: u64,
        /// The index damage that made opening rebuild the indexes.
        fault: IndexFault,
    },
}

impl Error {
    /// A stable code for machines.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sled(_) => "store_sled",
            Error::Io { .. } => "store_io",
            Error::Corrupt(_) => "store_corrupt",
            Error::DiskFull { .. } => "store_disk_full",
            Error::Failed(_) => "store_failed",
            Error::LogDamaged { .. } => "store_log_damaged",
        }
    }
}

/// Every chain position by record number: author, seq and id.
type Chains = BTreeMap<u64, (PublicKey, u64, RecordId)>;

/// Where a record sits in the store's arrival order; a stable paging cursor.
pub type Cursor = u64;

/// A record with its local number (its place in arrival order).
type Numbered = (u64, Record<Verified>);

/// The record store of one node.
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    sled_log: File,
    log_file: Arc<File>,
    offsets_file: Arc<File>,
    files: Mutex<Files>,
    /// Records numbered below this are durable and indexed.
    durable: AtomicU64,
    /// Writes made so far; a sync covers those made before it started.
    applied: AtomicU64,
    /// Writes covered by the last sync (held while syncing: concurrent callers share one).
    synced: Mutex<u64>,
    /// sled blob files already synced.
    blobs: Mutex<HashSet<PathBuf>>,
    failed: AtomicBool,
    /// Why the first failed write failed.
    failure: Mutex<String>,
    /// Records found damaged when read, by local number: never served, repaired by a `put` of
    /// the same record.
    damaged: Mutex<BTreeMap<u64, Damaged>>,
    /// The index damage opening found and repaired, if any.
    rebuilt: Option<IndexFault>,
    /// The governance read model: built on opening, and every record stored is added by `put`.
    read: crate::read::Index,
    /// The fault the next checkpoint injects, if armed.
    #[cfg(feature = "failpoints")]
    failpoint: Mutex<Option<Failpoint>>,
}

/// A fault a test makes the next checkpoint inject (with the `failpoints` feature, which only the
/// tests enable): the checkpoint stops there and fails, and the store refuses writes, as a
/// process crashing at that point would leave the files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failpoint {
    /// After the id entries went into sled, before the index files are synced.
    CheckpointAfterIds,
    /// After the index files are synced, before sled's batch names the state they hold.
    CheckpointBeforeBatch,
}

/// What a read expects of the record stored at a number.
#[derive(Clone, Copy)]
enum Expect {
    /// Any record (a listing of every record).
    Any,
    /// The record with this id (an id or chain index named it).
    Id(RecordId),
    /// A record of this kind (a kind index listed it).
    Kind(Kind),
}

impl Expect {
    fn check(self, record: &Record<Verified>) -> Result<(), Damage> {
        match self {
            Expect::Any => Ok(()),
            Expect::Id(expected) if record.id() != expected => Err(Damage::WrongId { expected, found: record.id() }),
            Expect::Kind(expected) if record.header().kind != expected => {
                Err(Damage::WrongKind { expected, found: record.header().kind })
            }
            _ => Ok(()),
        }
    }

    fn id(self) -> Option<RecordId> {
        match self {
            Expect::Id(id) => Some(id),
            _ => None,
        }
    }
}

/// The newest position held in an author's chain.
#[derive(Clone, Copy, Debug)]
struct Head {
    no: u32,
    seq: u64,
    id: RecordId,
}

/// An append-only file and its length in bytes.
struct Appended {
    file: Arc<File>,
    len: u64,
}

/// The writer's state: files, heads, and what the next sync and checkpoint make durable.
struct Files {
    dir: PathBuf,
    /// The log; `len` is where its frames end.
    log: Appended,
    /// The log file's length: its frames, then zeros written ahead.
    log_allocated: u64,
    offsets: Arc<File>,
    kinds: HashMap<u16, Appended>,
    /// Bytes in each chain file. Chain files are not kept open: a federation may have thousands
    /// of authors, and a process may hold many stores (tests, benchmarks).
    chain_len: HashMap<u32, u64>,
    /// Chain entries written since the last checkpoint, which appends them to the chain files:
    /// one open and write per author per checkpoint rather than per record.
    chain_tail: HashMap<u32, Vec<u8>>,
    /// Highest seq in each chain, file and tail (entries are appended in seq order).
    chain_last: HashMap<u32, u64>,
    heads: HashMap<PublicKey, Head>,
    /// Roster versions held: version → id.
    roster: BTreeMap<u64, RecordId>,
    next: u64,
    next_author: u32,
    /// Id entries written to the log since the last checkpoint, which inserts them into sled
    /// (at most [`CHECKPOINT_RECORDS`] and one commit).
    pending: HashMap<RecordId, u64>,
    /// Chain-exception entries for sled, inserted once the log holding their records is synced.
    staged: Vec<(Vec<u8>, Vec<u8>)>,
    /// Heads and roster versions changed since the last checkpoint, written by the next one.
    unchecked: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Index files written since the last checkpoint.
    dirty: HashSet<PathBuf>,
    /// Whether an index file was created since the last checkpoint (the directory needs a sync).
    created: bool,
    /// Record number and log length the last checkpoint covers.
    checkpointed: (u64, u64),
    /// The chain fingerprint of every record indexed ([`integrity::fingerprint`]).
    fingerprint: u64,
}

/// What a checkpoint makes durable: the index files written since the last one, then the sled
/// values naming the state they hold.
struct Checkpoint {
    ids: Vec<(RecordId, u64)>,
    dirty: HashSet<PathBuf>,
    created: bool,
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    next: u64,
    log: u64,
    fingerprint: u64,
}

/// A record to index: its bytes' offset in the log and the roster version it creates, if any.
struct Placed<'a> {
    record: &'a Record<Verified>,
    at: u64,
    version: Option<u64>,
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

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().expect("the slice is four bytes"))
}

fn id_at(bytes: &[u8], at: usize) -> RecordId {
    samverka_protocol::Hash(bytes[at..at + 32].try_into().expect("the slice is 32 bytes"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

fn open_file(path: &Path) -> Result<File, Error> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io(path))
}

fn read_at(file: &File, path: &Path, at: u64, len: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, at).map_err(io(path))?;
    Ok(buf)
}

/// The check of a log frame.
fn frame_check(len: u32, version: u64, bytes: &[u8]) -> [u8; 8] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(FRAME_DOMAIN);
    h.update(len.to_be_bytes());
    h.update(version.to_be_bytes());
    h.update(bytes);
    let digest: [u8; 32] = h.finalize().into();
    digest[..8].try_into().expect("eight bytes")
}

/// Appends one log frame holding `bytes` to `out`.
fn push_frame(out: &mut Vec<u8>, bytes: &[u8], version: Option<u64>) {
    let len = u32::try_from(bytes.len()).expect("records are far smaller than 4 GiB");
    let version = version.unwrap_or(NO_VERSION);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&frame_check(len, version, bytes));
    out.extend_from_slice(bytes);
}

/// Reads the next whole frame from `reader`: the record bytes and the roster version, or `None`
/// at the end of the log or at the first frame a crash cut off (short, unchecked or undecodable).
fn read_frame(reader: &mut impl Read) -> Option<(Record<Verified>, Option<u64>, u64)> {
    let mut header = [0u8; FRAME_HEADER as usize];
    reader.read_exact(&mut header).ok()?;
    let len = u32_at(&header, 0);
    let version = u64_at(&header, 4);
    if len == 0 || len as usize > encoding::MAX_RECORD_BYTES {
        return None;
    }
    let mut bytes = vec![0u8; len as usize];
    reader.read_exact(&mut bytes).ok()?;
    if header[12..] != frame_check(len, version, &bytes) {
        return None;
    }
    let record = Record::<Verified>::from_trusted_storage(&bytes).ok()?;
    Some((record, (version != NO_VERSION).then_some(version), FRAME_HEADER + u64::from(len)))
}

/// Whether `file` holds only zeros from `from` to `to` (space written ahead of the log's end).
fn zeros(file: &File, path: &Path, from: u64, to: u64) -> Result<bool, Error> {
    let mut at = from;
    while at < to {
        let chunk = read_at(file, path, at, (to - at).min(1 << 20) as usize)?;
        if chunk.iter().any(|b| *b != 0) {
            return Ok(false);
        }
        at += chunk.len() as u64;
    }
    Ok(true)
}

/// Reads at most `limit` entries of an index file of `entry`-byte entries sorted by their leading
/// u64, from the first whose leading u64 is at least `from`; `len` is the file's length.
fn entries_from(file: &File, path: &Path, len: u64, entry: u64, from: u64, limit: u64) -> Result<Vec<u8>, Error> {
    let count = len / entry;
    let lo = first_at_least::<Error>(count, from, |i| Ok(u64_at(&read_at(file, path, i * entry, 8)?, 0)))?;
    let take = (count - lo).min(limit);
    read_at(file, path, lo * entry, (take * entry) as usize)
}

/// The index of the first of `count` entries whose key (`key_at(index)`, ascending) is at least
/// `from`, or `count` if none is.
fn first_at_least<E>(count: u64, from: u64, key_at: impl Fn(u64) -> Result<u64, E>) -> Result<u64, E> {
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if key_at(mid)? < from {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Cuts an index file of `entry`-byte entries back to those naming records below `next` (the
/// `n` is the u64 at `n_at` in each entry; entries are in ascending `n`). Returns its new length.
fn trim_index(file: &File, path: &Path, entry: u64, n_at: usize, next: u64) -> Result<u64, Error> {
    let mut len = file.metadata().map_err(io(path))?.len() / entry * entry;
    while len > 0 {
        let last = read_at(file, path, len - entry, entry as usize)?;
        if u64_at(&last, n_at) < next {
            break;
        }
        len -= entry;
    }
    file.set_len(len).map_err(io(path))?;
    Ok(len)
}

impl Head {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(44);
        v.extend_from_slice(&self.no.to_be_bytes());
        v.extend_from_slice(&self.seq.to_be_bytes());
        v.extend_from_slice(&self.id.0);
        v
    }

    fn decode(v: &[u8]) -> Result<Head, Error> {
        if v.len() != 44 {
            return Err(Error::Corrupt("an author head is not 44 bytes".into()));
        }
        Ok(Head { no: u32_at(v, 0), seq: u64_at(v, 4), id: id_at(v, 12) })
    }
}

impl Files {
    /// Opens the record files as the checkpoint (`next` records, `log_len` bytes of log) left
    /// them: index entries beyond it are cut away; the log is left whole for replay.
    fn open(dir: &Path, next: u64, log_len: u64) -> Result<Files, Error> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let log_path = dir.join("log");
        let log = open_file(&log_path)?;
        let log_file_len = log.metadata().map_err(io(&log_path))?.len();
        if log_file_len < log_len {
            return Err(Error::Corrupt(format!("{} is shorter than the store says", log_path.display())));
        }
        let offsets_path = dir.join("offsets");
        let offsets = open_file(&offsets_path)?;
        // A shorter file is damage that the index check reports (and opening then rebuilds).
        if offsets.metadata().map_err(io(&offsets_path))?.len() > next * OFFSET_ENTRY {
            offsets.set_len(next * OFFSET_ENTRY).map_err(io(&offsets_path))?;
        }
        let mut files = Files {
            dir: dir.to_owned(),
            log: Appended { file: Arc::new(log), len: log_file_len },
            log_allocated: log_file_len,
            offsets: Arc::new(offsets),
            kinds: HashMap::new(),
            chain_len: HashMap::new(),
            chain_tail: HashMap::new(),
            chain_last: HashMap::new(),
            heads: HashMap::new(),
            roster: BTreeMap::new(),
            next,
            next_author: 0,
            pending: HashMap::new(),
            staged: Vec::new(),
            unchecked: BTreeMap::new(),
            dirty: HashSet::new(),
            created: false,
            checkpointed: (next, log_len),
            fingerprint: 0,
        };
        for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if let Some(code) = name.strip_prefix("kind-").and_then(|h| u16::from_str_radix(h, 16).ok()) {
                let file = open_file(&path)?;
                let len = trim_index(&file, &path, KIND_ENTRY, 0, next)?;
                files.kinds.insert(code, Appended { file: Arc::new(file), len });
            } else if let Some(no) = name.strip_prefix("chain-").and_then(|h| u32::from_str_radix(h, 16).ok()) {
                let file = open_file(&path)?;
                let len = trim_index(&file, &path, CHAIN_ENTRY, 8, next)?;
                if len > 0 {
                    files.chain_last.insert(no, u64_at(&read_at(&file, &path, len - CHAIN_ENTRY, 8)?, 0));
                }
                files.chain_len.insert(no, len);
            }
        }
        Ok(files)
    }

    /// Replays the log from the checkpoint: indexes every whole frame after it, in order, and
    /// cuts the log after the last one. A frame that is not whole before byte `floor` (which a
    /// checkpoint covered, so no crash cut it) is damage, not an unfinished write: it is
    /// reported as [`Error::LogDamaged`] and nothing is cut. Returns how many records it indexed.
    fn replay(&mut self, floor: u64, fault: Option<&IndexFault>) -> Result<u64, Error> {
        let path = self.dir.join("log");
        let start = self.checkpointed.1;
        let mut reader = BufReader::with_capacity(1 << 20, File::open(&path).map_err(io(&path))?);
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(start)).map_err(io(&path))?;
        let (mut at, mut replayed) = (start, 0);
        loop {
            let mut batch = Vec::new();
            while batch.len() < REPLAY_BATCH {
                let Some((record, version, size)) = read_frame(&mut reader) else { break };
                batch.push((record, version, at + FRAME_HEADER));
                at += size;
            }
            let placed: Vec<Placed<'_>> =
                batch.iter().map(|(record, version, at)| Placed { record, at: *at, version: *version }).collect();
            self.index(&placed)?;
            replayed += batch.len() as u64;
            if batch.len() < REPLAY_BATCH {
                break;
            }
        }
        if at < floor {
            let fault = fault.cloned().expect("only a rebuild replays from below the checkpoint");
            return Err(Error::LogDamaged { at, fault });
        }
        if at < self.log.len {
            if !zeros(&self.log.file, &path, at, self.log.len)? {
                tracing::warn!(
                    log = %path.display(),
                    bytes = self.log.len - at,
                    "cutting an unfinished write from the end of the record log (never acknowledged)"
                );
            }
            self.log.file.set_len(at).map_err(io(&path))?;
            self.log.len = at;
            self.log_allocated = at;
        }
        Ok(replayed)
    }

    /// Indexes records whose frames are in the log (numbered from `next`, in order): offsets,
    /// kind and chain entries, heads, roster versions, and the sled entries to insert once the
    /// log is synced.
    fn index(&mut self, placed: &[Placed<'_>]) -> Result<(), Error> {
        let first = self.next;
        let mut offsets = Vec::with_capacity(placed.len() * OFFSET_ENTRY as usize);
        let mut kinds: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
        let mut touched: BTreeMap<PublicKey, Head> = BTreeMap::new();
        for Placed { record, at, version } in placed {
            let (id, h, n) = (record.id(), record.header(), self.next);
            offsets.extend_from_slice(&at.to_be_bytes());
            offsets.extend_from_slice(&(record.bytes().len() as u32).to_be_bytes());
            kinds.entry(u16::from(h.kind)).or_default().extend_from_slice(&n.to_be_bytes());
            let known = touched.get(&h.author).or_else(|| self.heads.get(&h.author)).copied();
            let no = match known {
                Some(head) => head.no,
                None => {
                    self.next_author += 1;
                    self.next_author - 1
                }
            };
            if self.chain_last.get(&no).is_none_or(|last| h.seq > *last) {
                let entry = self.chain_tail.entry(no).or_default();
                entry.extend_from_slice(&h.seq.to_be_bytes());
                entry.extend_from_slice(&n.to_be_bytes());
                entry.extend_from_slice(&id.0);
                self.chain_last.insert(no, h.seq);
            } else {
                let k = key(b'x', &[&no.to_be_bytes(), &h.seq.to_be_bytes(), &n.to_be_bytes()]);
                self.staged.push((k, id.0.to_vec()));
            }
            let head = match known {
                Some(head) if head.seq >= h.seq => head,
                _ => Head { no, seq: h.seq, id },
            };
            touched.insert(h.author, head);
            if let Some(version) = version {
                self.roster.insert(*version, id);
                self.unchecked.insert(key(b'v', &[&version.to_be_bytes()]), id.0.to_vec());
            }
            self.pending.insert(id, n);
            self.fingerprint = self.fingerprint.wrapping_add(integrity::fingerprint(n, h.seq, &id));
            self.next += 1;
        }
        let offsets_path = self.dir.join("offsets");
        self.offsets.write_all_at(&offsets, first * OFFSET_ENTRY).map_err(io(&offsets_path))?;
        self.dirty.insert(offsets_path);
        for (code, bytes) in kinds {
            self.append_kind(code, &bytes)?;
        }
        for (author, head) in touched {
            self.unchecked.insert(key(b'a', &[&author.0]), head.encode());
            self.heads.insert(author, head);
        }
        Ok(())
    }

    /// Takes what the next checkpoint makes durable: everything written so far, with the chain
    /// entries appended to their files.
    fn take_checkpoint(&mut self) -> Result<Checkpoint, Error> {
        self.write_chain_tails()?;
        self.checkpointed = (self.next, self.log.len);
        Ok(Checkpoint {
            ids: self.pending.iter().map(|(id, n)| (*id, *n)).collect(),
            dirty: std::mem::take(&mut self.dirty),
            created: std::mem::take(&mut self.created),
            entries: std::mem::take(&mut self.unchecked),
            next: self.next,
            log: self.log.len,
            fingerprint: self.fingerprint,
        })
    }

    /// Appends each chain's entries written since the last checkpoint to its file. A chain's
    /// entries leave memory only once written, so a failure loses none from readers' view.
    fn write_chain_tails(&mut self) -> Result<(), Error> {
        let written: Vec<u32> = self.chain_tail.keys().copied().collect();
        for no in written {
            let path = self.dir.join(format!("chain-{no:08x}"));
            let len = self.chain_len.get(&no).copied();
            self.created |= len.is_none();
            let at = len.unwrap_or(0);
            let bytes = &self.chain_tail[&no];
            open_file(&path)?.write_all_at(bytes, at).map_err(io(&path))?;
            self.chain_len.insert(no, at + bytes.len() as u64);
            self.chain_tail.remove(&no);
            self.dirty.insert(path);
        }
        Ok(())
    }

    /// The chain entries of author number `no` with seq ≥ `from_seq` not yet in its file, at
    /// most `limit`.
    fn chain_tail_from(&self, no: u32, from_seq: u64, limit: usize) -> Vec<u8> {
        let Some(tail) = self.chain_tail.get(&no) else { return Vec::new() };
        let entry = CHAIN_ENTRY as usize;
        let count = (tail.len() / entry) as u64;
        let Ok(lo) =
            first_at_least::<std::convert::Infallible>(count, from_seq, |i| Ok(u64_at(tail, i as usize * entry)));
        let lo = lo as usize;
        let end = tail.len().min(lo.saturating_add(limit).saturating_mul(entry));
        tail[lo * entry..end].to_vec()
    }

    /// Appends `bytes` to the index file of records of kind `code`, opening (or creating) it
    /// first if needed. Kind files stay open: there are few kinds.
    fn append_kind(&mut self, code: u16, bytes: &[u8]) -> Result<(), Error> {
        let path = self.dir.join(format!("kind-{code:04x}"));
        if !self.kinds.contains_key(&code) {
            self.created |= !path.exists();
            let file = open_file(&path)?;
            let len = file.metadata().map_err(io(&path))?.len();
            self.kinds.insert(code, Appended { file: Arc::new(file), len });
        }
        let file = self.kinds.get_mut(&code).expect("inserted above");
        file.file.write_all_at(bytes, file.len).map_err(io(&path))?;
        file.len += bytes.len() as u64;
        self.dirty.insert(path);
        Ok(())
    }

    /// Whether `record` lies beyond its author's newest position held, and so cannot be held.
    fn beyond_head<S>(&self, record: &Record<S>) -> bool {
        let h = record.header();
        self.heads.get(&h.author).is_none_or(|head| h.seq > head.seq)
    }

    /// Whether enough was written since the last checkpoint to take another.
    fn checkpoint_due(&self) -> bool {
        self.next - self.checkpointed.0 >= CHECKPOINT_RECORDS || self.log.len - self.checkpointed.1 >= CHECKPOINT_BYTES
    }
}

/// Runs `f` on every item, on up to four threads when `parallel`; stops at the first error.
fn for_each<T: Sync>(items: &[T], parallel: bool, f: impl Fn(&T) -> Result<(), Error> + Sync) -> Result<(), Error> {
    let threads = crate::cores().min(4).min(items.len());
    if !parallel || threads < 2 {
        return items.iter().try_for_each(f);
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| s.spawn(move || part.iter().try_for_each(f)))
            .collect();
        parts.into_iter().try_for_each(|h| h.join().expect("store threads do not panic"))
    })
}

impl Store {
    /// Opens (or creates) the store at `path` with a page cache of `cache_bytes`. Reads a few
    /// meta keys, the authors' heads and the tail of each index file, and replays the log written
    /// after the last checkpoint: opening never scans the records before it.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store, Error> {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .segment_size(SEGMENT_SIZE)
            .mode(sled::Mode::HighThroughput);
        let db = open_waiting_for_lock(&config)?;
        let meta =
            |name: &[u8]| -> Result<Option<u64>, Error> { Ok(db.get(key(b'm', &[name]))?.map(|v| u64_at(&v, 0))) };
        match meta(b"format")? {
            Some(FORMAT) => {}
            None if meta(b"count")?.is_none() && meta(b"next")?.is_none() => {
                db.insert(key(b'm', &[b"format"]), &FORMAT.to_be_bytes()).map(drop)?
            }
            other => {
                return Err(Error::Corrupt(format!(
                    "{} holds a store in layout {}, this version reads layout {FORMAT}: export it with the version that wrote it and import the archive",
                    path.display(),
                    other.map_or("1".to_string(), |f| f.to_string())
                )))
            }
        }
        let (next, log) = (meta(b"next")?.unwrap_or(0), meta(b"log")?.unwrap_or(0));
        let dir = path.join("records");
        let mut files = Files::open(&dir, next, log)?;
        let exceptions = exceptions_below(&db, next)?;
        let (rebuilt, fingerprint) = integrity::check_indexes(&files, &exceptions, meta(b"fp")?)?;
        let replayed = match &rebuilt {
            None => {
                files.fingerprint = fingerprint;
                load_heads(&db, &mut files)?;
                files.replay(0, None)?
            }
            Some(fault) => {
                tracing::error!(
                    store = %path.display(),
                    fault = %fault,
                    "an index file of the store is damaged: rebuilding the indexes from the record log"
                );
                drop(files);
                files = clear_indexes(&db, &dir)?;
                files.replay(log, Some(fault))?
            }
        };
        let sled_log_path = path.join("db");
        let sled_log = File::open(&sled_log_path).map_err(io(&sled_log_path))?;
        let (log_file, offsets_file) = (files.log.file.clone(), files.offsets.clone());
        let store = Store {
            db,
            path: path.to_owned(),
            sled_log,
            log_file,
            offsets_file,
            files: Mutex::new(files),
            durable: AtomicU64::new(next),
            applied: AtomicU64::new(0),
            synced: Mutex::new(0),
            blobs: Mutex::new(HashSet::new()),
            failed: AtomicBool::new(false),
            failure: Mutex::new(String::new()),
            damaged: Mutex::new(BTreeMap::new()),
            rebuilt,
            read: crate::read::Index::default(),
            #[cfg(feature = "failpoints")]
            failpoint: Mutex::new(None),
        };
        if replayed > 0 {
            tracing::info!(records = replayed, "replayed the record log written after the last checkpoint");
        }
        // What opening cut or replayed is made durable before anything is read or written.
        store.sync_now(true)?;
        store.recheck_damage_marks()?;
        for file in ["log", "offsets"] {
            let p = path.join("records").join(file);
            File::open(&p).and_then(|f| f.sync_all()).map_err(io(&p))?;
        }
        store.sync_dir(&path.join("records"))?;
        store.sync_dir(path)?;
        store.build_read_model()?;
        Ok(store)
    }

    /// Reads every record of the kinds the read model holds, once, into it.
    fn build_read_model(&self) -> Result<(), Error> {
        for kind in Kind::ALL.into_iter().filter(|k| crate::read::holds(*k)) {
            let mut start = 0;
            loop {
                let (page, last) = self.numbered_by_kind(Some(kind), start, MAX_PAGE)?;
                self.read.add(page.iter().map(|(n, r)| (*n, r)));
                match last {
                    Some(last) => start = last + 1,
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// The read model ([`crate::read`]): it holds every record of the kinds it keeps that `put`
    /// has stored.
    pub fn read_model(&self) -> &crate::read::Index {
        &self.read
    }

    fn files(&self) -> MutexGuard<'_, Files> {
        self.files.lock().expect("store files lock poisoned")
    }

    /// Stores records durably, all or none. `roster_versions` pairs a roster-update's id with the
    /// version it creates. A record already held is left as it is. Returns once the write
    /// survives power loss.
    ///
    /// Once durable, the records are added to the read model ([`Store::read_model`]) before
    /// `put` returns, with those repaired in place (which a model built while they were
    /// damaged lacks).
    pub fn put(&self, records: &[Record<Verified>], roster_versions: &[(u64, RecordId)]) -> Result<(), Error> {
        let numbered = self.write(records, roster_versions)?;
        self.sync()?;
        self.read.add(numbered.into_iter().map(|(n, i)| (n, &records[i])));
        Ok(())
    }

    /// Appends records to the log and indexes them, for the next [`Store::sync`] to make durable.
    /// Any failure leaves the files ahead of what sled names, so the store refuses further writes
    /// until it is opened again (which replays or cuts them).
    /// Returns the number each record written (or repaired) took, with its index in `records`.
    fn write(
        &self,
        records: &[Record<Verified>],
        roster_versions: &[(u64, RecordId)],
    ) -> Result<Vec<(u64, usize)>, Error> {
        self.refuse_if_failed()?;
        let frames: u64 = records.iter().map(|r| r.bytes().len() as u64 + FRAME_HEADER).sum();
        self.room_for(frames + LOG_AHEAD)?;
        let mut numbered = Vec::new();
        let result = self.write_files(&mut self.files(), records, roster_versions, &mut numbered);
        if result.is_ok() {
            self.applied.fetch_add(1, Ordering::Release);
        }
        self.fail_on_error(result)?;
        Ok(numbered)
    }

    fn write_files(
        &self,
        files: &mut Files,
        records: &[Record<Verified>],
        roster_versions: &[(u64, RecordId)],
        took: &mut Vec<(u64, usize)>,
    ) -> Result<(), Error> {
        let mut frames = Vec::with_capacity(records.iter().map(|r| r.bytes().len() + FRAME_HEADER as usize).sum());
        let mut placed = Vec::with_capacity(records.len());
        let mut seen = HashSet::with_capacity(records.len());
        let mut placed_at = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            let id = record.id();
            if !seen.insert(id) {
                continue;
            }
            let version = roster_versions
                .iter()
                .find(|(_, v)| *v == id)
                .map(|(version, _)| *version)
                .or_else(|| files.roster.iter().find(|(_, v)| **v == id).map(|(version, _)| *version));
            if !files.beyond_head(record) {
                let numbered = match files.pending.get(&id) {
                    Some(n) => Some(*n),
                    None => self.db.get(key(b'i', &[&id.0]))?.map(|v| u64_at(&v, 0)),
                };
                if let Some(n) = numbered {
                    if self.is_damaged(n) && self.repair(files, n, record, version)? {
                        took.push((n, i));
                    }
                    continue; // already held: left as it is
                }
            }
            let at = files.log.len + frames.len() as u64 + FRAME_HEADER;
            push_frame(&mut frames, record.bytes(), version);
            placed.push(Placed { record, at, version });
            placed_at.push(i);
        }
        if placed.is_empty() {
            return Ok(());
        }
        let log_path = files.dir.join("log");
        let end = files.log.len + frames.len() as u64;
        if end > files.log_allocated && (frames.len() as u64) < LOG_AHEAD / 4 {
            // A small commit: write zeros ahead, so the next ones overwrite them and leave the
            // file's size alone (see LOG_AHEAD).
            frames.resize(frames.len() + LOG_AHEAD as usize, 0);
        }
        files.log.file.write_all_at(&frames, files.log.len).map_err(io(&log_path))?;
        files.log_allocated = files.log_allocated.max(files.log.len + frames.len() as u64);
        files.log.len = end;
        let first = files.next;
        files.index(&placed)?;
        took.extend(placed_at.into_iter().enumerate().map(|(k, i)| (first + k as u64, i)));
        // Paired with the frame built above from a verified record: the commit's newest frame
        // reads back whole, through its offsets entry, as that record.
        let (last, n) = (placed.last().expect("placed is not empty").record, files.next - 1);
        match self.frame_at(n)? {
            Ok(bytes) => {
                assert!(bytes == last.bytes(), "record {} written as number {n} reads back as other bytes", last.id())
            }
            Err(damage) => panic!("record {} written as number {n} reads back damaged: {damage}", last.id()),
        }
        Ok(())
    }

    /// Writes a fresh copy of the damaged record numbered `n` over its frame, in place: the
    /// frame is the same bytes the log held before the damage (same record, same length), so
    /// the offsets, kind and chain entries stay valid. Only done when its offsets entry lies
    /// exactly between its neighbours' frames (so the damage is in the log, not the entry) and
    /// the copy has the stored length; otherwise the record stays damaged and is reported.
    /// Whether it was repaired.
    fn repair(&self, files: &Files, n: u64, record: &Record<Verified>, version: Option<u64>) -> Result<bool, Error> {
        let entry = |m: u64| -> Result<(u64, u64), Error> {
            let e = read_at(&self.offsets_file, &files.dir.join("offsets"), m * OFFSET_ENTRY, OFFSET_ENTRY as usize)?;
            Ok((u64_at(&e, 0), u64::from(u32_at(&e, 8))))
        };
        let (at, len) = entry(n)?;
        let starts = match n.checked_sub(1) {
            None => FRAME_HEADER,
            Some(before) => entry(before).map(|(at, len)| at + len + FRAME_HEADER)?,
        };
        let ends = match n + 1 < files.next {
            true => entry(n + 1)?.0.saturating_sub(FRAME_HEADER),
            false => files.log.len,
        };
        if at != starts || at + len != ends || len != record.bytes().len() as u64 {
            tracing::error!(
                record = n,
                id = %record.id(),
                "cannot repair a damaged record in place: its offsets entry does not lie between its neighbours' frames"
            );
            return Ok(false);
        }
        let mut frame = Vec::with_capacity(FRAME_HEADER as usize + record.bytes().len());
        push_frame(&mut frame, record.bytes(), version);
        let log_path = files.dir.join("log");
        files.log.file.write_all_at(&frame, at - FRAME_HEADER).map_err(io(&log_path))?;
        // Paired with the id check before writing (the caller found `n` by this id): read the
        // frame back and check it is this record.
        match self.frame_at(n)? {
            Ok(bytes) => assert_eq!(bytes, record.bytes(), "a repaired frame reads back as other bytes"),
            Err(damage) => panic!("a repaired frame of record {n} reads back damaged: {damage}"),
        }
        self.damaged_set().remove(&n);
        // Made durable by the next sled sync; a mark left by a crash is dropped on opening, where
        // the record checks whole again.
        self.db.remove(key(b'z', &[&n.to_be_bytes()]))?;
        tracing::info!(record = n, id = %record.id(), "repaired a damaged record with a fresh copy");
        Ok(true)
    }

    /// Makes every write so far durable: syncs the log, then inserts the written records'
    /// chain-exception entries into sled, and takes a checkpoint when one is due (which inserts
    /// the id entries). Concurrent callers share one sync.
    pub fn sync(&self) -> Result<(), Error> {
        self.sync_now(false)
    }

    fn sync_now(&self, force_checkpoint: bool) -> Result<(), Error> {
        let target = self.applied.load(Ordering::Acquire);
        let mut synced = self.synced.lock().expect("store sync lock poisoned");
        if *synced >= target && !force_checkpoint {
            return Ok(());
        }
        self.refuse_if_failed()?;
        let result = self.sync_locked(&mut synced, force_checkpoint);
        self.fail_on_error(result)
    }

    /// Refuses with [`Error::DiskFull`] when the store's disk has less than `bytes` plus
    /// [`MIN_FREE_BYTES`] free. Checked before a write touches anything, so a refusal leaves the
    /// store as it was and the next write, once space is freed, goes through.
    pub fn room_for(&self, bytes: u64) -> Result<(), Error> {
        let available = fs2::available_space(&self.path).map_err(io(&self.path))?;
        let needed = bytes.saturating_add(MIN_FREE_BYTES);
        if available < needed {
            return Err(Error::DiskFull { path: self.path.clone(), available, needed });
        }
        Ok(())
    }

    /// Whether the store takes writes now: no earlier write failed and its disk has room
    /// ([`Store::room_for`] a write of nothing). `/readyz` asks this.
    pub fn writable(&self) -> Result<(), Error> {
        self.refuse_if_failed()?;
        self.room_for(0)
    }

    fn refuse_if_failed(&self) -> Result<(), Error> {
        if self.failed.load(Ordering::Acquire) {
            return Err(Error::Failed(self.failure.lock().expect("store failure lock poisoned").clone()));
        }
        Ok(())
    }

    /// Marks the store failed when a write or sync failed: the files may be ahead of what sled
    /// names, and only opening again sorts that out.
    fn fail_on_error(&self, result: Result<(), Error>) -> Result<(), Error> {
        if let Err(e) = &result {
            tracing::error!(store = %self.path.display(), error = %e, "a write to the store failed; it refuses writes until reopened");
            let mut failure = self.failure.lock().expect("store failure lock poisoned");
            if failure.is_empty() {
                *failure = e.to_string();
            }
            self.failed.store(true, Ordering::Release);
        }
        result
    }

    fn sync_locked(&self, synced: &mut u64, force_checkpoint: bool) -> Result<(), Error> {
        let (covered, staged, next, checkpoint) = {
            let mut files = self.files();
            let covered = self.applied.load(Ordering::Acquire);
            let checkpoint = match force_checkpoint || files.checkpoint_due() {
                true => Some(files.take_checkpoint()?),
                false => None,
            };
            (covered, std::mem::take(&mut files.staged), files.next, checkpoint)
        };
        self.log_file.sync_data().map_err(io(&self.path.join("records").join("log")))?;
        self.durable.fetch_max(next, Ordering::AcqRel);
        // Each names a record the log now holds durably; the next checkpoint makes sled's copy
        // durable too.
        for (k, v) in staged {
            self.db.insert(k, v)?;
        }
        if let Some(checkpoint) = checkpoint {
            self.checkpoint(checkpoint)?;
        }
        *synced = covered;
        Ok(())
    }

    /// Syncs the index files a checkpoint covers, then writes the heads, roster versions and the
    /// record number and log length it covers in one atomic sled batch, and syncs sled.
    fn checkpoint(&self, mut checkpoint: Checkpoint) -> Result<(), Error> {
        // The id entries go in one by one: an atomic sled batch would hold sled's global write
        // lock, stalling every reader while it applies. Each names a record the log holds
        // durably; they leave `pending` only once in sled. In key order: each leaf of sled's
        // tree is then read and split once per checkpoint rather than once per id, and the
        // threads insert into disjoint key ranges.
        checkpoint.ids.sort_unstable_by_key(|(id, _)| id.0);
        let ids = &checkpoint.ids;
        for_each(ids, ids.len() >= PARALLEL_COMMIT, |(id, n)| {
            self.db.insert(key(b'i', &[&id.0]), &n.to_be_bytes()).map(drop).map_err(Error::from)
        })?;
        {
            let mut files = self.files();
            for (id, _) in ids {
                files.pending.remove(id);
            }
        }
        self.trip(Failpoint::CheckpointAfterIds)?;
        let dirty: Vec<PathBuf> = checkpoint.dirty.into_iter().collect();
        for_each(&dirty, dirty.len() >= 8, |path| File::open(path).and_then(|f| f.sync_data()).map_err(io(path)))?;
        if checkpoint.created {
            self.sync_dir(&self.path.join("records"))?;
        }
        self.trip(Failpoint::CheckpointBeforeBatch)?;
        let mut batch = sled::Batch::default();
        for (k, v) in checkpoint.entries {
            batch.insert(k, v);
        }
        batch.insert(key(b'm', &[b"next"]), &checkpoint.next.to_be_bytes());
        batch.insert(key(b'm', &[b"log"]), &checkpoint.log.to_be_bytes());
        batch.insert(key(b'm', &[b"fp"]), &checkpoint.fingerprint.to_be_bytes());
        self.db.apply_batch(batch)?;
        self.sync_sled()
    }

    /// Arms `point`: the next checkpoint that reaches it fails there.
    #[cfg(feature = "failpoints")]
    pub fn fail_at(&self, point: Failpoint) {
        *self.failpoint.lock().expect("store failpoint lock poisoned") = Some(point);
    }

    /// Fails at `point` when a test armed it (see [`Failpoint`]).
    #[cfg(feature = "failpoints")]
    fn trip(&self, point: Failpoint) -> Result<(), Error> {
        let mut armed = self.failpoint.lock().expect("store failpoint lock poisoned");
        if *armed == Some(point) {
            *armed = None;
            return Err(Error::Failed(format!("failpoint {point:?}")));
        }
        Ok(())
    }

    #[cfg(not(feature = "failpoints"))]
    #[inline(always)]
    fn trip(&self, _point: Failpoint) -> Result<(), Error> {
        Ok(())
    }

    /// Takes a checkpoint now (see the module doc): what opening would otherwise replay.
    pub fn checkpoint_now(&self) -> Result<(), Error> {
        self.sync_now(true)
    }

    /// Makes every sled write so far durable: sled's flush, then an `fdatasync` of its log (and
    /// of any blob files sled wrote for large values).
    fn sync_sled(&self) -> Result<(), Error> {
        self.db.flush()?;
        self.sled_log.sync_data().map_err(io(&self.path.join("db")))?;
        self.sync_blobs()
    }

    /// sled writes values too large for a log segment to blob files without syncing them.
    fn sync_blobs(&self) -> Result<(), Error> {
        let dir = self.path.join("blobs");
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        let mut synced = self.blobs.lock().expect("store blob lock poisoned");
        let mut any = false;
        for entry in entries.flatten() {
            let path = entry.path();
            if synced.contains(&path) {
                continue;
            }
            File::open(&path).and_then(|f| f.sync_data()).map_err(io(&path))?;
            synced.insert(path);
            any = true;
        }
        if any {
            self.sync_dir(&dir)?;
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<(), Error> {
        File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
    }

    /// The local number of the record with `id`, if numbered (held, or held and found damaged).
    fn number(&self, id: &RecordId) -> Result<Option<u64>, Error> {
        // Pending first: a sync moves an id into sled before it leaves `pending`.
        if let Some(n) = self.files().pending.get(id) {
            return Ok(Some(*n));
        }
        Ok(self.db.get(key(b'i', &[&id.0]))?.map(|v| u64_at(&v, 0)))
    }

    fn damaged_set(&self) -> MutexGuard<'_, BTreeMap<u64, Damaged>> {
        self.damaged.lock().expect("store damage lock poisoned")
    }

    fn is_damaged(&self, n: u64) -> bool {
        self.damaged_set().contains_key(&n)
    }

    /// Reads the frame of the record numbered `n` and checks it: its offsets entry lies inside
    /// the log, its header's length is the entry's, and its check matches. Returns the record
    /// bytes, or what is wrong with them; an error only when the disk cannot be read.
    fn frame_at(&self, n: u64) -> Result<Result<Vec<u8>, Damage>, Error> {
        let mut entry = [0u8; OFFSET_ENTRY as usize];
        self.offsets_file
            .read_exact_at(&mut entry, n * OFFSET_ENTRY)
            .map_err(|e| io(&self.path.join("records").join("offsets"))(e))?;
        let (at, len) = (u64_at(&entry, 0), u32_at(&entry, 8));
        if at < FRAME_HEADER || len == 0 || len as usize > encoding::MAX_RECORD_BYTES {
            return Ok(Err(Damage::OutOfBounds));
        }
        let mut frame = vec![0u8; FRAME_HEADER as usize + len as usize];
        match self.log_file.read_exact_at(&mut frame, at - FRAME_HEADER) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Err(Damage::OutOfBounds)),
            Err(e) => return Err(io(&self.path.join("records").join("log"))(e)),
        }
        let bytes = frame.split_off(FRAME_HEADER as usize);
        if u32_at(&frame, 0) != len {
            return Ok(Err(Damage::Length));
        }
        if frame[12..] != frame_check(len, u64_at(&frame, 4), &bytes) {
            return Ok(Err(Damage::Check));
        }
        Ok(Ok(bytes))
    }

    /// The record numbered `n`, checked — its frame, and that it is the record `expect` names —
    /// or `None` when it is damaged: then it is reported, added to the damaged set, and from
    /// then on neither served nor counted as held.
    fn checked_at(&self, n: u64, expect: Expect) -> Result<Option<Record<Verified>>, Error> {
        self.checked_at_in(n, expect, None)
    }

    /// [`Store::checked_at`], with the chain positions of every record at hand (`chains`, by
    /// number) when the caller reads them all, so damage is located without reading every chain.
    fn checked_at_in(
        &self,
        n: u64,
        expect: Expect,
        chains: Option<&Chains>,
    ) -> Result<Option<Record<Verified>>, Error> {
        if self.is_damaged(n) {
            return Ok(None);
        }
        let read = self.frame_at(n)?.and_then(|bytes| {
            let record = Record::<Verified>::from_trusted_storage(&bytes).map_err(|_| Damage::Undecodable)?;
            expect.check(&record)?;
            Ok(record)
        });
        match read {
            Ok(record) => Ok(Some(record)),
            Err(damage) => {
                let found = match chains {
                    Some(chains) => chains.get(&n).copied(),
                    None => self.locate(n)?,
                };
                self.note_damage(n, expect.id(), found, damage)?;
                Ok(None)
            }
        }
    }

    /// Reports a damaged record and adds it to the damaged set, with its author, chain position
    /// and id when a chain index names its number (`found`; so [`Store::heads`] can lower the
    /// head).
    fn note_damage(
        &self,
        n: u64,
        id: Option<RecordId>,
        found: Option<(PublicKey, u64, RecordId)>,
        damage: Damage,
    ) -> Result<(), Error> {
        let position = found.map(|(author, seq, _)| (author, seq));
        let id = id.or(found.map(|(_, _, id)| id));
        tracing::error!(
            store = %self.path.display(),
            record = n,
            id = ?id.map(|id| id.to_string()),
            author = ?position.map(|(a, _)| a.to_string()),
            seq = ?position.map(|(_, s)| s),
            damage = %damage,
            "a stored record is damaged: it is not served, and is fetched again from peers"
        );
        self.damaged_set().insert(n, Damaged { n, id, position, damage });
        self.db.insert(key(b'z', &[&n.to_be_bytes()]), &[])?;
        self.sync_sled()
    }

    /// The author, chain position and id that the chain indexes give the record numbered `n`.
    /// Reads every chain: only used when a record is found damaged.
    fn locate(&self, n: u64) -> Result<Option<(PublicKey, u64, RecordId)>, Error> {
        let authors: Vec<PublicKey> = self.files().heads.keys().copied().collect();
        for author in authors {
            if let Some((seq, _, id)) = self.positions(&author, 0, usize::MAX)?.into_iter().find(|(_, m, _)| *m == n) {
                return Ok(Some((author, seq, id)));
            }
        }
        Ok(None)
    }

    /// The record with `id`, checked; `None` when not held, or when its stored bytes are damaged
    /// (reported, and fetched again from peers).
    pub fn get(&self, id: &RecordId) -> Result<Option<Record<Verified>>, Error> {
        let Some(n) = self.number(id)? else { return Ok(None) };
        self.checked_at(n, Expect::Id(*id))
    }

    /// Whether the store holds `id` (a record found damaged is not held).
    pub fn contains(&self, id: &RecordId) -> Result<bool, Error> {
        Ok(self.number(id)?.is_some_and(|n| !self.is_damaged(n)))
    }

    /// Whether the store holds `record`. A record beyond its author's newest position held cannot
    /// be, and is answered without a lookup (the usual case while catching up or gossiping).
    pub fn holds<S>(&self, record: &Record<S>) -> Result<bool, Error> {
        if self.files().beyond_head(record) {
            return Ok(false);
        }
        self.contains(&record.id())
    }

    /// Checks again each record marked damaged (`z`) before the store was last closed: one still
    /// damaged rejoins the damaged set (so the heads stay lowered until a peer sends it again),
    /// one that now checks whole loses its mark.
    fn recheck_damage_marks(&self) -> Result<(), Error> {
        let marks: Vec<u64> =
            self.db.scan_prefix([b'z']).map(|kv| kv.map(|(k, _)| u64_at(&k, 1))).collect::<Result<_, _>>()?;
        let durable = self.durable.load(Ordering::Acquire);
        for n in marks {
            if n >= durable || self.checked_at(n, Expect::Any)?.is_some() {
                self.db.remove(key(b'z', &[&n.to_be_bytes()]))?;
            }
        }
        Ok(())
    }

    /// Records found damaged so far (by reads or by [`Store::scrub`]), by local number.
    pub fn damaged(&self) -> Vec<Damaged> {
        self.damaged_set().values().cloned().collect()
    }

    /// The index damage that opening found and repaired by rebuilding the indexes, if any.
    pub fn rebuilt(&self) -> Option<&IndexFault> {
        self.rebuilt.as_ref()
    }

    /// Out-of-order chain positions of author number `no` from `from_seq`, at most `limit`.
    fn chain_exceptions(&self, no: u32, from_seq: u64, limit: usize) -> Result<Vec<(u64, u64, RecordId)>, Error> {
        let start = key(b'x', &[&no.to_be_bytes(), &from_seq.to_be_bytes()]);
        let end = key(b'x', &[&no.to_be_bytes(), &[0xff; 16]]);
        self.db
            .range(start..=end)
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((u64_at(&k, 5), u64_at(&k, 13), id_at(&v, 0)))
            })
            .collect()
    }

    /// An author's chain positions from `from_seq`, in (seq, arrival) order, at most `limit`.
    fn positions(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<(u64, u64, RecordId)>, Error> {
        // The file's length and the tail after it, taken together: a checkpoint moves the one
        // into the other.
        let (no, len, tail) = {
            let files = self.files();
            let Some(head) = files.heads.get(author) else { return Ok(Vec::new()) };
            let len = files.chain_len.get(&head.no).copied().unwrap_or(0);
            (head.no, len, files.chain_tail_from(head.no, from_seq, limit))
        };
        let mut bytes = Vec::new();
        if len > 0 {
            let path = self.path.join("records").join(format!("chain-{no:08x}"));
            let file = File::open(&path).map_err(io(&path))?;
            bytes = entries_from(&file, &path, len, CHAIN_ENTRY, from_seq, limit as u64)?;
        }
        bytes.extend_from_slice(&tail);
        let mut out: Vec<_> =
            bytes.chunks(CHAIN_ENTRY as usize).map(|e| (u64_at(e, 0), u64_at(e, 8), id_at(e, 16))).collect();
        out.extend(self.chain_exceptions(no, from_seq, limit)?);
        out.sort_unstable_by_key(|(seq, n, _)| (*seq, *n));
        out.truncate(limit);
        Ok(out)
    }

    /// Ids stored at one position of an author's chain (more than one means equivocation); a
    /// record found damaged is not held, so not listed.
    pub fn at_position(&self, author: &PublicKey, seq: u64) -> Result<Vec<RecordId>, Error> {
        if self.files().heads.get(author).is_none_or(|head| head.seq < seq) {
            return Ok(Vec::new());
        }
        let positions = self.positions(author, seq, MAX_PAGE)?;
        let damaged = self.damaged_set();
        Ok(positions
            .into_iter()
            .take_while(|(s, _, _)| *s == seq)
            .filter(|(_, n, _)| !damaged.contains_key(n))
            .map(|(_, _, id)| id)
            .collect())
    }

    /// An author's records from `from_seq` on, at most `limit`, each checked; the list stops
    /// before the first damaged one (a chain is served without gaps).
    pub fn by_author(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Record<Verified>>, Error> {
        let mut out = Vec::new();
        for (_, n, id) in self.positions(author, from_seq, limit.min(MAX_PAGE))? {
            match self.checked_at(n, Expect::Id(id))? {
                Some(record) => out.push(record),
                None => break,
            }
        }
        Ok(out)
    }

    /// The bytes of an author's records from `from_seq` on, at most `limit`: what
    /// [`Store::by_author`] returns (checked the same way), as bytes for a peer.
    pub fn bytes_by_author(&self, author: &PublicKey, from_seq: u64, limit: usize) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self.by_author(author, from_seq, limit)?.iter().map(|r| r.bytes().to_vec()).collect())
    }

    /// `head` lowered to just below the first damaged position of `author`'s chain, or `None`
    /// when its first record is damaged: what the store holds without a gap.
    fn held_head(damaged: &BTreeMap<u64, Damaged>, author: &PublicKey, head: u64) -> Option<u64> {
        let first = damaged.values().filter_map(|d| d.position).filter(|(a, _)| a == author).map(|(_, s)| s).min();
        match first {
            Some(seq) if seq <= head => seq.checked_sub(1),
            _ => Some(head),
        }
    }

    /// The highest seq `author`'s chain holds without a damaged record below it.
    pub fn head(&self, author: &PublicKey) -> Result<Option<u64>, Error> {
        let head = self.files().heads.get(author).map(|h| h.seq);
        Ok(head.and_then(|head| Store::held_head(&self.damaged_set(), author, head)))
    }

    /// The highest seq stored for `author` and the id of the record there (the first to arrive,
    /// if the author equivocated at that position). Not lowered by damage: a node signing its
    /// own records continues its chain after its newest record, damaged or not.
    pub fn head_record(&self, author: &PublicKey) -> Option<(u64, RecordId)> {
        self.files().heads.get(author).map(|h| (h.seq, h.id))
    }

    /// Highest seq per author: the version vector that sync exchanges. Each author's head is
    /// lowered to just below its first damaged record (an author whose first record is damaged
    /// is left out), so a peer's catch-up sends the damaged records again.
    pub fn heads(&self) -> Result<BTreeMap<PublicKey, u64>, Error> {
        let heads: Vec<(PublicKey, u64)> = self.files().heads.iter().map(|(a, h)| (*a, h.seq)).collect();
        let damaged = self.damaged_set();
        if damaged.is_empty() {
            return Ok(heads.into_iter().collect());
        }
        Ok(heads.into_iter().filter_map(|(a, head)| Some((a, Store::held_head(&damaged, &a, head)?))).collect())
    }

    /// Records of `kind` after `cursor` (exclusive), at most `limit`, with the cursor of the last
    /// record examined. Each is checked; a damaged one is left out (and reported).
    pub fn by_kind(
        &self,
        kind: Option<Kind>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<(Vec<Record<Verified>>, Option<Cursor>), Error> {
        let start = after.map_or(0, |c| c.saturating_add(1));
        let (records, last) = self.numbered_by_kind(kind, start, limit)?;
        Ok((records.into_iter().map(|(_, r)| r).collect(), last))
    }

    /// [`Store::by_kind`] from the record numbered `start` on, each record with its number.
    fn numbered_by_kind(
        &self,
        kind: Option<Kind>,
        start: u64,
        limit: usize,
    ) -> Result<(Vec<Numbered>, Option<Cursor>), Error> {
        let durable = self.durable.load(Ordering::Acquire);
        let limit = limit.min(MAX_PAGE) as u64;
        let numbers: Vec<u64> = match kind {
            None => (start..durable.max(start)).take(limit as usize).collect(),
            Some(kind) => {
                let code = u16::from(kind);
                let Some((file, len)) = self.files().kinds.get(&code).map(|k| (k.file.clone(), k.len)) else {
                    return Ok((Vec::new(), None));
                };
                let path = self.path.join("records").join(format!("kind-{code:04x}"));
                let bytes = entries_from(&file, &path, len, KIND_ENTRY, start, limit)?;
                bytes.chunks(8).map(|e| u64_at(e, 0)).take_while(|n| *n < durable).collect()
            }
        };
        let expect = kind.map_or(Expect::Any, Expect::Kind);
        let mut records = Vec::with_capacity(numbers.len());
        for n in &numbers {
            records.extend(self.checked_at(*n, expect)?.map(|r| (*n, r)));
        }
        Ok((records, numbers.last().copied()))
    }

    /// Checks the whole store in place: every record's frame, that it decodes, and that the id
    /// index names its number; that every kind entry lists a record of its kind and every chain
    /// entry the id stored at its number. Damaged records join the damaged set, as when a read
    /// finds them. Reports at most [`MAX_SCRUB_FAULTS`] index faults.
    pub fn scrub(&self) -> Result<Scrub, Error> {
        let durable = self.durable.load(Ordering::Acquire);
        let mut held: Vec<Option<(RecordId, Kind)>> = Vec::with_capacity(usize::try_from(durable).unwrap_or(0));
        let mut faults = Vec::new();
        let mut fault = |f: IndexFault| {
            if faults.len() < MAX_SCRUB_FAULTS {
                faults.push(f);
            }
        };
        let mut chains = Chains::new();
        let authors: Vec<PublicKey> = self.files().heads.keys().copied().collect();
        for author in &authors {
            for (seq, n, id) in self.positions(author, 0, usize::MAX)? {
                chains.insert(n, (*author, seq, id));
            }
        }
        for n in 0..durable {
            let record = self.checked_at_in(n, Expect::Any, Some(&chains))?;
            if let Some(r) = &record {
                if self.number(&r.id())? != Some(n) {
                    fault(IndexFault::IdEntry { n });
                }
            }
            held.push(record.map(|r| (r.id(), r.header().kind)));
        }
        let at = |n: u64| held.get(n as usize).copied().flatten();
        let kinds: Vec<(u16, Arc<File>, u64)> =
            self.files().kinds.iter().map(|(code, k)| (*code, k.file.clone(), k.len)).collect();
        for (code, file, len) in kinds {
            let path = self.path.join("records").join(format!("kind-{code:04x}"));
            let entries = entries_from(&file, &path, len, KIND_ENTRY, 0, u64::MAX)?;
            for n in entries.chunks(KIND_ENTRY as usize).map(|e| u64_at(e, 0)).take_while(|n| *n < durable) {
                if at(n).is_some_and(|(_, kind)| u16::from(kind) != code) {
                    fault(IndexFault::KindEntry { kind: code, n });
                }
            }
        }
        for (n, (author, seq, id)) in &chains {
            if at(*n).is_some_and(|(found, _)| found != *id) {
                fault(IndexFault::ChainEntry { author: *author, seq: *seq });
            }
        }
        Ok(Scrub { records: durable, damaged: self.damaged(), faults, rebuilt: self.rebuilt.clone() })
    }

    /// The roster chain's record ids, version 0 (the charter) first.
    pub fn roster_ids(&self) -> Result<Vec<RecordId>, Error> {
        Ok(self.files().roster.values().copied().collect())
    }

    /// How many records the store holds (durably), not counting those found damaged.
    pub fn count(&self) -> Result<u64, Error> {
        let durable = self.durable.load(Ordering::Acquire);
        let damaged = self.damaged_set().range(..durable).count() as u64;
        Ok(durable - damaged)
    }

    /// Records that an author equivocated, with the conflicting ids.
    pub fn flag_equivocation(&self, author: &PublicKey, ids: &[RecordId]) -> Result<(), Error> {
        for id in ids {
            self.db.insert(key(b'e', &[&author.0, &id.0]), &[])?;
        }
        self.sync_sled()
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
        self.sync_sled()
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

    /// Persists, durably, what a node has offered `author` to sign in a browser (the bytes are
    /// the offer module's; see `crate::offer`), before the offer is shown.
    pub fn put_offer(&self, author: &PublicKey, bytes: &[u8]) -> Result<(), Error> {
        self.db.insert(key(b'o', &[&author.0]), bytes)?;
        self.sync_sled()
    }

    /// What was offered `author` to sign, if anything is pending.
    pub fn offer(&self, author: &PublicKey) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.db.get(key(b'o', &[&author.0]))?.map(|v| v.to_vec()))
    }

    /// Forgets `author`'s offer: its record was stored, or refused.
    pub fn clear_offer(&self, author: &PublicKey) -> Result<(), Error> {
        self.db.remove(key(b'o', &[&author.0]))?;
        self.sync_sled()
    }

    /// Keeps a browser sign-in session under `id`, the hash of its cookie token.
    pub fn put_session(&self, id: &Hash, bytes: &[u8]) -> Result<(), Error> {
        self.db.insert(key(b's', &[&id.0]), bytes)?;
        Ok(())
    }

    /// Forgets the sign-in session kept under `id`.
    pub fn remove_session(&self, id: &Hash) -> Result<(), Error> {
        self.db.remove(key(b's', &[&id.0]))?;
        Ok(())
    }

    /// The sign-in sessions kept, at most `limit`.
    pub fn sessions(&self, limit: usize) -> Result<Vec<(Hash, Vec<u8>)>, Error> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([b's']).take(limit) {
            let (k, v) = kv?;
            let id: [u8; 32] = k[1..].try_into().map_err(|_| Error::Corrupt("a session key is not 32 bytes".into()))?;
            out.push((Hash(id), v.to_vec()));
        }
        Ok(out)
    }

    /// Stores a roster proposal durably under its id, replacing an earlier copy (the same record
    /// with fewer countersignatures). Proposals are not records of the ledger: they are kept
    /// apart and verified again whenever they are used.
    pub fn put_proposal(&self, record: &Record<Unverified>) -> Result<(), Error> {
        self.db.insert(key(b'p', &[&record.id().0]), record.bytes())?;
        self.sync_sled()
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
        self.sync_sled()
    }

    /// Stores a paper's content under its content hash, durably, and returns the hash. Storing
    /// the same content again changes nothing.
    pub fn put_blob(&self, content: &[u8]) -> Result<samverka_protocol::Hash, Error> {
        let hash = samverka_protocol::governance::content_hash(content);
        // sled's log-structured pages hold a value about twice.
        self.room_for(2 * content.len() as u64)?;
        self.db.insert(key(b'b', &[&hash.0]), content)?;
        self.sync_sled()?;
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
        self.sync_sled()
    }

    /// This member's own diarienummer for a matter, if noted.
    pub fn local_dnr(&self, matter: &RecordId) -> Result<Option<String>, Error> {
        match self.db.get(key(b'l', &[&matter.0]))? {
            Some(v) => String::from_utf8(v.to_vec()).map(Some).map_err(|e| Error::Corrupt(format!("local dnr: {e}"))),
            None => Ok(None),
        }
    }

    /// Notes, durably, that this node has e-mailed the record `id` ([`crate::mail`]).
    /// Local to this node and never replicated.
    pub fn mark_mailed(&self, id: &RecordId) -> Result<(), Error> {
        self.db.insert(key(b'n', &[&id.0]), &[])?;
        self.sync_sled()
    }

    /// Whether this node has e-mailed the record `id`.
    pub fn mailed(&self, id: &RecordId) -> Result<bool, Error> {
        Ok(self.db.contains_key(key(b'n', &[&id.0]))?)
    }

    /// Bytes on disk used by the store's files.
    pub fn size_on_disk(&self) -> Result<u64, Error> {
        let mut size = self.db.size_on_disk()?;
        let dir = self.path.join("records");
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            size += entry.metadata().map_err(io(&entry.path()))?.len();
        }
        Ok(size)
    }
}

impl Drop for Store {
    /// Takes a checkpoint, so the next opening has nothing to replay.
    fn drop(&mut self) {
        let changed = {
            let files = self.files();
            files.checkpointed != (files.next, files.log.len)
        };
        if changed && !self.failed.load(Ordering::Acquire) {
            if let Err(e) = self.sync_now(true) {
                tracing::warn!(error = %e, "could not take a checkpoint on closing; the next opening replays the log");
            }
        }
    }
}

/// The chain positions kept in sled (out of order, or a second record at one position) of
/// records numbered below `next`: their number, seq and id.
fn exceptions_below(db: &sled::Db, next: u64) -> Result<Vec<(u64, u64, RecordId)>, Error> {
    let mut out = Vec::new();
    for kv in db.scan_prefix([b'x']) {
        let (k, v) = kv?;
        let n = u64_at(&k, 13);
        if n < next {
            out.push((n, u64_at(&k, 5), id_at(&v, 0)));
        }
    }
    Ok(out)
}

/// Loads the authors' heads and the roster versions as of the checkpoint.
fn load_heads(db: &sled::Db, files: &mut Files) -> Result<(), Error> {
    for kv in db.scan_prefix([b'a']) {
        let (k, v) = kv?;
        let head = Head::decode(&v)?;
        files.next_author = files.next_author.max(head.no + 1);
        files.heads.insert(PublicKey(k[1..33].try_into().expect("author keys are 32 bytes")), head);
    }
    for kv in db.scan_prefix([b'v']) {
        let (k, v) = kv?;
        files.roster.insert(u64_at(&k, 1), id_at(&v, 0));
    }
    Ok(())
}

/// Removes every index derived from the log — the offsets, kind and chain files, and sled's
/// heads, roster versions and chain exceptions — and opens the record files empty, for a replay
/// of the whole log to write them again. The id entries stay: the replay numbers every record as
/// before and writes the same ones.
fn clear_indexes(db: &sled::Db, dir: &Path) -> Result<Files, Error> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "offsets" || name.starts_with("kind-") || name.starts_with("chain-") {
            std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
        }
    }
    for prefix in [b'x', b'a', b'v'] {
        for kv in db.scan_prefix([prefix]) {
            db.remove(kv?.0)?;
        }
    }
    Files::open(dir, 0, 0)
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

fn decode_proposal(bytes: &[u8], id: &RecordId) -> Result<Record<Unverified>, Error> {
    let record = Record::<Unverified>::decode(bytes).map_err(|e| Error::Corrupt(format!("proposal {id}: {e}")))?;
    if &record.id() != id {
        return Err(Error::Corrupt(format!("stored proposal {id} holds another record")));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use samverka_protocol::testkit::{self, Federation};
    use samverka_protocol::validate;

    use super::*;

    fn notes(count: usize) -> (Federation, Vec<Record<Verified>>) {
        let mut fed = Federation::found("Lager", &testkit::kommuner(1), "1000");
        let mut author = fed.certify_node("1000", "lager/node");
        let records = (0..count)
            .map(|i| {
                let r = author.next(fed.id(), fed.version(), Kind::Note, format!("anteckning {i}").into_bytes());
                validate::verify(r, &fed.chain).expect("valid")
            })
            .collect();
        (fed, records)
    }

    #[test]
    fn records_arriving_out_of_order_are_served_in_chain_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, records) = notes(6);
        let store = Store::open(dir.path(), 1 << 20).expect("opens");
        let order = [0, 1, 4, 5, 2, 3];
        for i in order {
            store.put(std::slice::from_ref(&records[i]), &[]).expect("stored");
        }
        store.put(&records[..2], &[]).expect("duplicates are left alone");
        let author = records[0].header().author;
        {
            let got: Vec<_> = store.by_author(&author, 0, 10).expect("reads").iter().map(|r| r.id()).collect();
            assert_eq!(got, records.iter().map(|r| r.id()).collect::<Vec<_>>());
            assert_eq!(store.at_position(&author, 3).expect("reads"), vec![records[3].id()]);
            assert_eq!(store.head(&author).expect("reads"), Some(5));
            let (page, cursor) = store.by_kind(Some(Kind::Note), Some(1), 2).expect("reads");
            assert_eq!(page.iter().map(|r| r.id()).collect::<Vec<_>>(), vec![records[4].id(), records[5].id()]);
            assert_eq!(cursor, Some(3));
            assert_eq!(store.count().expect("count"), 6);
        }
        drop(store);
        let reopened = Store::open(dir.path(), 1 << 20).expect("reopens");
        assert_eq!(reopened.by_author(&author, 2, 2).expect("reads"), records[2..4].to_vec());
        assert_eq!(reopened.at_position(&author, 4).expect("reads"), vec![records[4].id()]);
    }

    #[test]
    fn many_authors_chain_positions_read_back_from_memory_file_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut fed = Federation::found("Lager", &testkit::kommuner(1), "1000");
        let mut authors: Vec<_> = (0..12).map(|i| fed.certify_node("1000", &format!("lager/{i}"))).collect();
        let store = Store::open(dir.path(), 1 << 20).expect("opens");
        let mut written: Vec<Vec<RecordId>> = vec![Vec::new(); authors.len()];
        for round in 0..3 {
            let batch: Vec<_> = authors
                .iter_mut()
                .map(|a| {
                    let r = a.next(fed.id(), fed.version(), Kind::Note, format!("{round}").into_bytes());
                    validate::verify(r, &fed.chain).expect("valid")
                })
                .collect();
            for (i, r) in batch.iter().enumerate() {
                written[i].push(r.id());
            }
            store.put(&batch, &[]).expect("stored");
            for (author, ids) in authors.iter().zip(&written) {
                let held: Vec<_> =
                    store.by_author(&author.key.public(), 0, 10).expect("reads").iter().map(|r| r.id()).collect();
                assert_eq!(&held, ids, "read back before a checkpoint");
                let author = author.key.public();
                let from_one: Vec<_> = store.by_author(&author, 1, 10).expect("reads").iter().map(|r| r.id()).collect();
                assert_eq!(from_one, ids[1..], "read from a position within the file or the tail");
                assert_eq!(store.at_position(&author, round).expect("reads"), vec![ids[round as usize]]);
            }
            if round == 1 {
                store.sync_now(true).expect("a checkpoint");
                assert!(store.files().chain_tail.is_empty(), "a checkpoint writes the chain tails out");
            }
        }
        drop(store);
        let store = Store::open(dir.path(), 1 << 20).expect("reopens");
        for (author, ids) in authors.iter().zip(&written) {
            let held: Vec<_> =
                store.by_author(&author.key.public(), 0, 10).expect("reads").iter().map(|r| r.id()).collect();
            assert_eq!(&held, ids);
        }
    }

    /// Drops a store as a crash would leave it: no checkpoint on closing.
    fn crash(store: Store) {
        store.failed.store(true, Ordering::Release);
        drop(store);
    }

    fn ids(records: &[Record<Verified>]) -> Vec<RecordId> {
        records.iter().map(|r| r.id()).collect()
    }

    #[test]
    fn records_after_the_checkpoint_are_replayed_with_their_numbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, records) = notes(8);
        let author = records[0].header().author;
        {
            let store = Store::open(dir.path(), 1 << 20).expect("opens");
            store.put(&records[..2], &[(0, records[0].id())]).expect("stored");
            store.sync_now(true).expect("checkpoint");
            // After the checkpoint: a roster version, and records out of chain order (a chain
            // exception in sled).
            store.put(&records[2..3], &[(1, records[2].id())]).expect("stored");
            store.put(&records[5..6], &[]).expect("stored");
            store.put(&records[3..5], &[]).expect("stored");
            assert_eq!(store.files().checkpointed.0, 2);
            crash(store);
        }
        let store = Store::open(dir.path(), 1 << 20).expect("reopens");
        assert_eq!(store.count().expect("count"), 6);
        assert_eq!(store.head(&author).expect("reads"), Some(5));
        assert_eq!(store.roster_ids().expect("reads"), vec![records[0].id(), records[2].id()]);
        assert_eq!(ids(&store.by_author(&author, 0, 10).expect("reads")), ids(&records[..6]));
        assert_eq!(store.at_position(&author, 5).expect("reads"), vec![records[5].id()]);
        let order = [0, 1, 2, 5, 3, 4].map(|i| records[i].clone());
        assert_eq!(store.by_kind(Some(Kind::Note), None, 10).expect("reads").0, order.to_vec());
        {
            let files = store.files();
            assert_eq!(files.checkpointed, (6, files.log.len), "opening took a checkpoint");
        }
        store.put(&records[6..], &[]).expect("stored after replay");
        drop(store);
        let store = Store::open(dir.path(), 1 << 20).expect("reopens");
        assert_eq!(ids(&store.by_author(&author, 0, 10).expect("reads")), ids(&records));
    }

    #[test]
    fn a_frame_cut_off_by_a_crash_is_cut_away_on_opening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, records) = notes(6);
        let author = records[0].header().author;
        let log = dir.path().join("records").join("log");
        let whole = {
            let store = Store::open(dir.path(), 1 << 20).expect("opens");
            store.put(&records[..3], &[]).expect("stored");
            let len = store.files().log.len;
            crash(store);
            len
        };
        // A write the crash cut off: a frame whose bytes stop short, then one whose check fails.
        let mut frames = Vec::new();
        push_frame(&mut frames, records[3].bytes(), None);
        let mut torn = frames.clone();
        torn.truncate(frames.len() - 7);
        let mut flipped = Vec::new();
        push_frame(&mut flipped, records[4].bytes(), None);
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        for tail in [torn, flipped, vec![0u8; 100]] {
            let file = OpenOptions::new().write(true).open(&log).expect("log");
            file.write_all_at(&tail, whole).expect("append");
            drop(file);
            let store = Store::open(dir.path(), 1 << 20).expect("reopens");
            assert_eq!(store.count().expect("count"), 3);
            assert_eq!(store.head(&author).expect("reads"), Some(2));
            assert!(!store.contains(&records[3].id()).expect("reads"));
            assert_eq!(std::fs::metadata(&log).expect("log").len(), whole, "the unfinished write is cut away");
            crash(store);
        }
        let store = Store::open(dir.path(), 1 << 20).expect("reopens");
        store.put(&records[3..], &[]).expect("stored again");
        assert_eq!(ids(&store.by_author(&author, 0, 10).expect("reads")), ids(&records));
        assert_eq!(store.by_kind(Some(Kind::Note), None, 10).expect("reads").0, records);
    }

    #[test]
    fn a_store_in_the_old_layout_is_refused_with_advice() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let db = sled::Config::new().path(dir.path()).segment_size(SEGMENT_SIZE).open().expect("sled");
            db.insert(key(b'm', &[b"count"]), &7u64.to_be_bytes()).expect("insert");
            db.flush().expect("flush");
        }
        let err = Store::open(dir.path(), 1 << 20).err().expect("refused").to_string();
        assert!(err.contains("layout 1") && err.contains("export"), "{err}");
    }
}
