//! Archives: every record of a store in one file, for backup, restore and offline verification.
//!
//! Layout: the magic line `SAMVERKA-ARCHIVE 1\n`, then per record a 4-byte big-endian length and
//! the record's canonical bytes, then a trailer of eight 0xff bytes, the record count (u64 BE)
//! and the SHA-256 of everything before the trailer. Roster records come first in version order
//! (the charter first), then every other record in the order the store received them, so an
//! import never has to wait for a roster version.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use samverka_protocol::encoding::MAX_RECORD_BYTES;
use samverka_protocol::record::Kind;
use samverka_protocol::{Record, RecordId, Unverified};
use sha2::{Digest, Sha256};

use crate::ledger::{self, Ledger};
use crate::storage::{self, Damage};

const MAGIC: &[u8] = b"SAMVERKA-ARCHIVE 1\n";
const TRAILER_MARK: [u8; 4] = [0xff; 4];
/// Records handed to the ledger in one ingest while importing or verifying.
const MAX_INGEST_BATCH: usize = 512;
/// The page cache of the scratch ledger that verification fills.
const SCRATCH_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Why an archive could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// File I/O failed.
    #[error("archive {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not an archive, or is damaged.
    #[error("archive {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading the store failed.
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
    /// The store holds a damaged record, so an archive of it would not hold every record.
    #[error(
        "the store holds a damaged record (number {n}{}: {damage}); no archive was written. Run `samverka scrub`, let the node fetch the record again from its peers, then export",
        id.map(|id| format!(", id {id}")).unwrap_or_default()
    )]
    DamagedStore {
        /// The record's local number.
        n: u64,
        /// Its id, when an index names it.
        id: Option<RecordId>,
        /// What is wrong with it.
        damage: Damage,
    },
    /// A roster version the store lists cannot be read.
    #[error("the store lists roster record {0} but does not hold it readable; no archive was written")]
    MissingRoster(RecordId),
    /// Import found records that fail verification and stored nothing.
    #[error(
        "{failed} of {checked} records of the archive fail verification (the first: {first}); nothing was imported. `samverka verify --archive FILE` lists them"
    )]
    Refused {
        /// Records that failed.
        failed: u64,
        /// Records checked.
        checked: u64,
        /// The first record that failed.
        first: RecordId,
    },
    /// The scratch ledger for verification could not be made.
    #[error("cannot make a scratch store to verify in: {0}")]
    Scratch(std::io::Error),
}

/// Writes every record of `ledger` to `path`, checking each as it is read. Returns the number of
/// records. Refuses a store holding a damaged record; on any failure no file is left at `path`.
pub fn export(ledger: &Ledger, path: &Path) -> Result<u64, Error> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let result = export_to(ledger, &partial).and_then(|count| {
        std::fs::rename(&partial, path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        Ok(count)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn export_to(ledger: &Ledger, path: &Path) -> Result<u64, Error> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = HashingWriter { inner: BufWriter::new(file), hash: Sha256::new() };
    out.write_all(MAGIC).map_err(io)?;
    let store = ledger.store();
    let roster_ids = store.roster_ids().map_err(ledger::Error::from)?;
    let mut count = 0u64;
    let mut write = |bytes: &[u8], out: &mut HashingWriter<_>| -> Result<(), Error> {
        let len = u32::try_from(bytes.len()).expect("records are far below 4 GiB");
        out.write_all(&len.to_be_bytes()).and_then(|_| out.write_all(bytes)).map_err(io)?;
        count += 1;
        Ok(())
    };
    for id in &roster_ids {
        let r = store.get(id).map_err(ledger::Error::from)?;
        refuse_damage(store)?;
        write(r.ok_or(Error::MissingRoster(*id))?.bytes(), &mut out)?;
    }
    let mut cursor = None;
    loop {
        let (page, next) = store.by_kind(None, cursor, storage::MAX_PAGE).map_err(ledger::Error::from)?;
        refuse_damage(store)?;
        for r in page.iter().filter(|r| !matches!(r.header().kind, Kind::Charter | Kind::RosterUpdate)) {
            write(r.bytes(), &mut out)?;
        }
        if next.is_none() {
            break;
        }
        cursor = next;
    }
    let digest = out.hash.clone().finalize();
    let mut inner = out.inner;
    inner.write_all(&[0xff; 8]).map_err(io)?;
    inner.write_all(&count.to_be_bytes()).map_err(io)?;
    inner.write_all(&digest).map_err(io)?;
    let file = inner.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(count)
}

/// Fails with the first damaged record the store found so far (reads check every record).
fn refuse_damage(store: &storage::Store) -> Result<(), Error> {
    match store.damaged().into_iter().next() {
        Some(d) => Err(Error::DamagedStore { n: d.n, id: d.id, damage: d.damage }),
        None => Ok(()),
    }
}

struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads an archive, calling `each` with every record's bytes in order, after checking the
/// trailer's count and checksum, and that nothing follows the trailer. Nothing is passed on from a
/// damaged archive's unread tail.
pub fn read(path: &Path, mut each: impl FnMut(Record<Unverified>) -> Result<(), Error>) -> Result<u64, Error> {
    let name = path.display().to_string();
    let damaged = |reason: String| Error::Damaged { path: name.clone(), reason };
    let io = |source| Error::Io { path: name.clone(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut input = BufReader::new(file);
    let mut hash = Sha256::new();
    let mut magic = vec![0u8; MAGIC.len()];
    input.read_exact(&mut magic).map_err(|_| damaged("it does not start with the archive magic".into()))?;
    if magic != MAGIC {
        return Err(damaged("it does not start with SAMVERKA-ARCHIVE 1".into()));
    }
    hash.update(&magic);
    let mut count = 0u64;
    loop {
        let mut len = [0u8; 4];
        input.read_exact(&mut len).map_err(|_| damaged("it ends without a trailer".into()))?;
        if len == TRAILER_MARK {
            let mut rest = [0u8; 4 + 8 + 32];
            input.read_exact(&mut rest).map_err(|_| damaged("the trailer is cut short".into()))?;
            let claimed = u64::from_be_bytes(rest[4..12].try_into().expect("eight bytes"));
            if rest[..4] != TRAILER_MARK || claimed != count || rest[12..] != hash.finalize()[..] {
                return Err(damaged(format!("the trailer does not match its {count} records (count or checksum)")));
            }
            if input.read(&mut [0u8; 1]).map_err(io)? != 0 {
                return Err(damaged("bytes follow the trailer".into()));
            }
            return Ok(count);
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_RECORD_BYTES {
            return Err(damaged(format!("record {count} claims {len} bytes, over the limit of {MAX_RECORD_BYTES}")));
        }
        let mut bytes = vec![0u8; len];
        input.read_exact(&mut bytes).map_err(|_| damaged(format!("record {count} is cut short")))?;
        hash.update((len as u32).to_be_bytes());
        hash.update(&bytes);
        let record = Record::decode(&bytes).map_err(|e| damaged(format!("record {count}: {e}")))?;
        each(record)?;
        count += 1;
    }
}

/// Feeds every record of the archive at `path` to `ledger` in batches (each roster record on its
/// own, so later records are judged by the version it makes), calling `outcome` with each
/// record's id and result. Returns the number of records read.
fn ingest_all(
    ledger: &Ledger,
    path: &Path,
    mut outcome: impl FnMut(RecordId, Result<ledger::Outcome, ledger::Error>),
) -> Result<u64, Error> {
    let mut batch = Vec::new();
    let mut flush = |batch: &mut Vec<Record<Unverified>>| {
        let ids: Vec<RecordId> = batch.iter().map(|r| r.id()).collect();
        for (id, result) in ids.into_iter().zip(ledger.ingest_many(std::mem::take(batch))) {
            outcome(id, result);
        }
    };
    let read = read(path, |record| {
        let structural = matches!(record.header().kind, Kind::Charter | Kind::RosterUpdate);
        batch.push(record);
        if structural || batch.len() >= MAX_INGEST_BATCH {
            flush(&mut batch);
        }
        Ok(())
    })?;
    flush(&mut batch);
    Ok(read)
}

/// Imports an archive into `ledger`: first verifies every record of it offline ([`verify`]) and
/// stores nothing unless all pass, then stores them. Returns (records read, records newly
/// stored).
pub fn import(ledger: &Ledger, path: &Path) -> Result<(u64, u64), Error> {
    let report = verify(path)?;
    if let Some((first, _)) = report.failures.first() {
        return Err(Error::Refused { failed: report.failures.len() as u64, checked: report.checked, first: *first });
    }
    let mut stored = 0u64;
    let mut failed = None;
    let read = ingest_all(ledger, path, |_, result| match result {
        Ok(ledger::Outcome::Stored(_) | ledger::Outcome::Equivocation { .. }) => stored += 1,
        Ok(_) => {}
        Err(e) => {
            failed.get_or_insert(e);
        }
    })?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok((read, stored)),
    }
}

/// The result of re-checking records offline.
#[derive(Debug, Default)]
pub struct Report {
    /// Records checked.
    pub checked: u64,
    /// Roster versions rebuilt (the charter is version 0).
    pub roster_versions: u64,
    /// Records that failed, with the reason.
    pub failures: Vec<(RecordId, String)>,
}

/// Re-checks every record of an archive from scratch — the charter, each roster version's
/// threshold, every signature, every rule and every reference between records — by ingesting it
/// into a scratch ledger in a temporary directory that is removed afterwards. Needs nothing but
/// the archive. A record that waits for one the archive does not hold fails.
pub fn verify(path: &Path) -> Result<Report, Error> {
    let scratch = tempfile::Builder::new().prefix("samverka-verify-").tempdir().map_err(Error::Scratch)?;
    let ledger = Ledger::open(scratch.path(), SCRATCH_CACHE_BYTES)?;
    let mut report = Report::default();
    let mut waiting = Vec::new();
    report.checked = ingest_all(&ledger, path, |id, result| match result {
        Ok(ledger::Outcome::Parked(_)) => waiting.push(id),
        Ok(_) => {}
        Err(e) => report.failures.push((id, e.to_string())),
    })?;
    for id in waiting {
        if !ledger.store().contains(&id).map_err(ledger::Error::from)? {
            report.failures.push((id, "it refers to a record the archive does not hold".into()));
        }
    }
    report.roster_versions = ledger.chain().map_or(0, |chain| chain.current().version + 1);
    Ok(report)
}
