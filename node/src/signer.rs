//! Signing outside a node: a key file plus its chain position, kept beside it.
//!
//! An author's records form a chain, so whoever holds the key must know the next position.
//! `<key file>.chain` records it; the draft is written to `<key file>.draft` and synced *before*
//! signing, so a crash never leads to two different records at one position: the next run finds
//! the draft and signs the same header again.

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
        Ok(Signer { key, chain_file: with(".chain"), draft_file: with(".draft") })
    }

    /// The key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The next position, from the chain file; `None` if this key has no chain file yet.
    pub fn position(&self) -> Result<Option<Position>, Error> {
        match std::fs::read_to_string(&self.chain_file) {
            Ok(text) => toml::from_str(&text).map(Some).map_err(|e| state_err(&self.chain_file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(&self.chain_file, e)),
        }
    }

    /// Signs the next record at `position` (from [`Signer::position`] or, for a key without a
    /// chain file, from the node's view of the key's head).
    pub fn sign(
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
        let record = draft.sign(&self.key);
        let next = Position { seq: position.seq + 1, prev: Some(record.id()) };
        write_synced(&self.chain_file, toml::to_string(&next).expect("a position serialises").as_bytes())?;
        std::fs::remove_file(&self.draft_file).map_err(|e| state_err(&self.draft_file, e))?;
        Ok(record)
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
