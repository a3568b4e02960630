//! Archives: every record of a store in one file, for backup, restore and offline verification.
//!
//! Layout: the magic line `SAMVERKA-ARCHIVE 1\n`, then per record a 4-byte big-endian length and
//! the record's canonical bytes, then a trailer of eight 0xff bytes, the record count (u64 BE)
//! and the SHA-256 of everything before the trailer. Roster records come first in version order
//! (the charter first), then every other record in the order the store received them, so an
//! import never has to wait for a roster version.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use samverka_protocol::encoding::MAX_RECORD_BYTES;
use samverka_protocol::record::Kind;
use samverka_protocol::validate::{self, Rejection};
use samverka_protocol::{Record, RecordId, RosterChain, Unverified};
use sha2::{Digest, Sha256};

use crate::ledger::{self, Ledger};

const MAGIC: &[u8] = b"SAMVERKA-ARCHIVE 1\n";
const TRAILER_MARK: [u8; 4] = [0xff; 4];

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
}

/// Writes every record of `ledger` to `path`. Returns the number of records.
pub fn export(ledger: &Ledger, path: &Path) -> Result<u64, Error> {
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
        let r = store.get(id).map_err(ledger::Error::from)?.expect("roster records are stored");
        write(r.bytes(), &mut out)?;
    }
    let mut cursor = None;
    loop {
        let (page, next) = store.by_kind(None, cursor, crate::storage::MAX_PAGE).map_err(ledger::Error::from)?;
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
/// trailer's count and checksum. Nothing is passed on from a damaged archive's unread tail.
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

/// Imports an archive into `ledger`, verifying every record on the way in. Returns
/// (records read, records newly stored). The archive's count and checksum are checked in a
/// first pass, so a damaged archive restores nothing.
pub fn import(ledger: &Ledger, path: &Path) -> Result<(u64, u64), Error> {
    read(path, |_| Ok(()))?;
    let mut stored = 0u64;
    let mut batch = Vec::new();
    let flush = |batch: &mut Vec<Record<Unverified>>, stored: &mut u64| -> Result<(), Error> {
        for result in ledger.ingest_many(std::mem::take(batch)) {
            match result {
                Ok(ledger::Outcome::Stored(_) | ledger::Outcome::Equivocation { .. }) => *stored += 1,
                Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    };
    let read = read(path, |record| {
        let structural = matches!(record.header().kind, Kind::Charter | Kind::RosterUpdate);
        batch.push(record);
        if structural || batch.len() >= 512 {
            flush(&mut batch, &mut stored)?;
        }
        Ok(())
    })?;
    flush(&mut batch, &mut stored)?;
    Ok((read, stored))
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

/// Re-checks every record of an archive from scratch: the charter, each roster version's
/// threshold, every signature and every rule. Uses no store.
pub fn verify(path: &Path) -> Result<Report, Error> {
    let mut report = Report::default();
    let mut chain: Option<RosterChain> = None;
    read(path, |record| {
        report.checked += 1;
        let id = record.id();
        match check_one(record, &mut chain) {
            Ok(roster) => report.roster_versions += u64::from(roster),
            Err(reason) => report.failures.push((id, reason.to_string())),
        }
        Ok(())
    })?;
    Ok(report)
}

fn check_one(record: Record<Unverified>, chain: &mut Option<RosterChain>) -> Result<bool, Rejection> {
    match (record.header().kind, chain.as_mut()) {
        (Kind::Charter, None) => {
            *chain = Some(validate::verify_charter(record)?.1);
            Ok(true)
        }
        (_, None) => Err(Rejection::UnknownRosterVersion { named: record.header().roster, current: 0 }),
        (kind, Some(chain)) => {
            let verified = validate::verify(record, chain)?;
            if kind == Kind::RosterUpdate {
                let body = verified.body().expect("roster updates keep their body");
                let update = <samverka_protocol::RosterUpdate as samverka_protocol::Body>::from_bytes(body)?;
                if update.version > chain.current().version {
                    chain.push(&update, verified.id())?;
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}
