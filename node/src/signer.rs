//! Signing outside a node: a key file plus its chain position, kept beside it.
//!
//! An author's records form a chain, so whoever holds the key must know the next position.
//! Three files beside `<key file>` keep it (docs/protocol.md §"Signing outside a node"):
//! - `.chain` — the next position (seq, prev) and the federation it belongs to;
//! - `.draft` — the draft being signed, written and synced *before* signing, so a crash never
//!   leads to two different records at one position: the next run signs the same header again;
//! - `.last` — the last record kept at a position that no node has yet acknowledged storing.
//!
//! A signed record takes its position ([`Signer::keep`]) only once it may exist anywhere else:
//! a record a node refused by a rule ([`Signer::discard`]) never can be stored by any node,
//! since every node applies the same rules to the same bytes, so its position is used again and
//! the key's chain never gets a hole. `.last` lets a later run resend a record that never reached
//! the node, or take its position back ([`Signer::rewind`]) when the node refuses it.

use std::path::{Path, PathBuf};

use samverka_protocol::record::Draft;
use samverka_protocol::{encoding, Hash, Kind, Record, RecordId, SigningKey, Unverified};
use serde::{Deserialize, Serialize};

use crate::keyfile;

/// The position of a key's next record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Next seq.
    pub seq: u64,
    /// Id of the record at `seq - 1`.
    pub prev: Option<RecordId>,
    /// The federation the chain belongs to (absent in chain files of older versions, and for
    /// the charter, which is signed before its federation exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<Hash>,
}

impl Position {
    /// The position right after `record`.
    pub fn after<S>(record: &Record<S>) -> Position {
        let h = record.header();
        let federation = (h.kind != Kind::Charter).then_some(h.federation);
        Position { seq: h.seq + 1, prev: Some(record.id()), federation }
    }

    /// The position `record` was signed at.
    pub fn of<S>(record: &Record<S>) -> Position {
        let h = record.header();
        let federation = (h.kind != Kind::Charter).then_some(h.federation);
        Position { seq: h.seq, prev: h.prev, federation }
    }
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key file.
    #[error(transparent)]
    Key(#[from] keyfile::Error),
    /// The chain or draft file.
    #[error("{path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A draft from an interrupted run exists for a different record.
    #[error("an unfinished signature is pending in {0}; run the same command again or remove the file if you are sure it was never sent")]
    PendingDraft(PathBuf),
}

/// A key file and its chain position.
pub struct Signer {
    key: SigningKey,
    chain_file: PathBuf,
    draft_file: PathBuf,
    last_file: PathBuf,
}

fn state_err(path: &Path, reason: impl ToString) -> Error {
    Error::State { path: path.into(), reason: reason.to_string() }
}

impl Signer {
    /// Opens the signer for the key at `key_file`.
    pub fn open(key_file: &Path) -> Result<Signer, Error> {
        let key = keyfile::read_secret(key_file)?;
        let with = |ext: &str| {
            let mut p = key_file.as_os_str().to_owned();
            p.push(ext);
            PathBuf::from(p)
        };
        Ok(Signer { key, chain_file: with(".chain"), draft_file: with(".draft"), last_file: with(".last") })
    }

    /// The key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The chain file's path (for messages).
    pub fn chain_file(&self) -> &Path {
        &self.chain_file
    }

    /// The next position, from the chain file; `None` if this key has no chain file yet.
    pub fn position(&self) -> Result<Option<Position>, Error> {
        match std::fs::read_to_string(&self.chain_file) {
            Ok(text) => toml::from_str(&text).map(Some).map_err(|e| state_err(&self.chain_file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(&self.chain_file, e)),
        }
    }

    /// The last record kept at a position that no node has acknowledged storing yet.
    pub fn last(&self) -> Result<Option<Record<Unverified>>, Error> {
        match std::fs::read(&self.last_file) {
            Ok(bytes) => Record::decode(&bytes).map(Some).map_err(|e| state_err(&self.last_file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(&self.last_file, e)),
        }
    }

    /// Signs the next record at `position` and keeps it there at once: for records that go
    /// to a file to be countersigned (the charter, roster proposals).
    pub fn sign(
        &self,
        position: Position,
        federation: Hash,
        roster: u64,
        kind: Kind,
        body: Vec<u8>,
        time_ms: i64,
    ) -> Result<Record<Unverified>, Error> {
        let record = self.prepare(position, federation, roster, kind, body, time_ms)?;
        self.keep(&record)?;
        Ok(record)
    }

    /// Signs a record at `position` (from [`Signer::position`] or, for a key without a chain
    /// file, from the node's view of the key's head) without taking the position: the draft is
    /// persisted first, and stays until [`Signer::keep`] or [`Signer::discard`].
    pub fn prepare(
        &self,
        position: Position,
        federation: Hash,
        roster: u64,
        kind: Kind,
        body: Vec<u8>,
        time_ms: i64,
    ) -> Result<Record<Unverified>, Error> {
        let draft = Draft::new(federation, self.key.public(), position.seq, position.prev, roster, kind, body, time_ms);
        if let Some(pending) = self.pending()? {
            if pending != draft {
                return Err(Error::PendingDraft(self.draft_file.clone()));
            }
        }
        write_synced(&self.draft_file, &encoding::encode(&draft))?;
        Ok(draft.sign(&self.key))
    }

    /// Takes the record's position: the chain file moves past it, and the record is kept in
    /// `.last` until a node acknowledges storing it. Call this before the record leaves the
    /// machine unless a node has judged it ([`samverka_protocol`]'s rules) acceptable.
    pub fn keep(&self, record: &Record<Unverified>) -> Result<(), Error> {
        write_synced(&self.last_file, record.bytes())?;
        self.write_position(Position::after(record))?;
        remove(&self.draft_file)
    }

    /// A node stored `record`: it no longer needs to be kept for resending.
    pub fn acknowledged(&self, record: &Record<Unverified>) -> Result<(), Error> {
        if self.last()?.is_some_and(|last| last.id() == record.id()) {
            remove(&self.last_file)?;
        }
        Ok(())
    }

    /// A node refused the prepared `record` by a rule: no node can ever store it, so its
    /// position stays free for the next record.
    pub fn discard(&self, record: &Record<Unverified>) -> Result<(), Error> {
        if self.pending()?.is_some_and(|d| d.sign(&self.key).id() == record.id()) {
            remove(&self.draft_file)?;
        }
        Ok(())
    }

    /// A node refused the kept `record` (the one in `.last`) by a rule: the chain file goes
    /// back to its position, which the next record takes.
    pub fn rewind(&self, record: &Record<Unverified>) -> Result<(), Error> {
        let current = self.position()?;
        if current != Some(Position::after(record)) {
            return Err(state_err(&self.chain_file, "the chain moved on since the record was kept; not rewinding"));
        }
        self.write_position(Position::of(record))?;
        remove(&self.last_file)
    }

    fn write_position(&self, position: Position) -> Result<(), Error> {
        write_synced(&self.chain_file, toml::to_string(&position).expect("a position serialises").as_bytes())
    }

    fn pending(&self) -> Result<Option<Draft>, Error> {
        match std::fs::read(&self.draft_file) {
            Ok(bytes) => encoding::decode("draft", &bytes, encoding::MAX_RECORD_BYTES)
                .map(Some)
                .map_err(|e| state_err(&self.draft_file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(&self.draft_file, e)),
        }
    }
}

fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(state_err(path, e)),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| state_err(&tmp, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| state_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| state_err(path, e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| state_err(dir, e))?;
    }
    Ok(())
}
