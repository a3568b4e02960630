//! Roster proposals judged before they are signed on, submitted or kept: a roster version has
//! one record, so a second proposal for a version already adopted or already pending is refused
//! with what to do instead (countersign the first, or propose the next version).
//!
//! Two members proposing version N in parallel is how a founding federation forks its roster:
//! each node adopts its own version N, refuses the others' node keys, and no connection stands.
//! The HTTP API (`POST /api/v1/roster/proposals`) and the CLI (`samverka submit`, `samverka roster
//! propose`) ask [`check`] first.

use samverka_protocol::{Body, PublicKey, Record, RecordId, RosterChain, RosterUpdate, Unverified};

use crate::governance::member_of_key;
use crate::storage::{self, Store};

/// Another record already claims the roster version a proposal would make.
#[derive(Debug, thiserror::Error)]
pub enum Conflict {
    /// The version is adopted already, from another record.
    #[error(
        "roster version {version} already exists as record {existing} (proposed by member {by}): this proposal \
         was made beside it and can never be adopted. Propose the change again on top of version {version}: \
         `samverka roster propose` now makes version {next}"
    )]
    Adopted {
        /// The roster version.
        version: u64,
        /// The record that made it.
        existing: RecordId,
        /// The member whose key proposed it (`?` if no roster names the key).
        by: String,
        /// The version a new proposal makes.
        next: u64,
    },
    /// Another proposal for the version is pending (collecting countersignatures).
    #[error(
        "roster version {version} is already proposed as {existing} by member {by}: countersign that one instead \
         (`samverka countersign` on its file, or POST /api/v1/roster/proposals/{existing}/countersignatures), or \
         wait until it is adopted and propose version {next}"
    )]
    Pending {
        /// The roster version.
        version: u64,
        /// The pending proposal.
        existing: RecordId,
        /// The member whose key proposed it (`?` if no roster names the key).
        by: String,
        /// The version to propose once it is adopted.
        next: u64,
    },
}

impl Conflict {
    /// Stable code for the API and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Conflict::Adopted { .. } => "roster_version_taken",
            Conflict::Pending { .. } => "roster_version_proposed",
        }
    }
}

/// Why [`check`] could not judge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another record claims the version.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The store could not be read.
    #[error(transparent)]
    Storage(#[from] storage::Error),
}

/// The roster version `record` would make, if it is a roster update with a readable body.
pub fn version_of(record: &Record<Unverified>) -> Option<u64> {
    record.body().and_then(|b| RosterUpdate::from_bytes(b).ok()).map(|u| u.version)
}

/// Refuses `record` if the roster version it would make is adopted from another record, or —
/// with `pending` — if another proposal held in `store` claims it. A record that is not a roster
/// update, or that is the adopted or pending record itself, passes.
pub fn check(chain: &RosterChain, store: &Store, record: &Record<Unverified>, pending: bool) -> Result<(), Error> {
    match version_of(record) {
        Some(version) => check_version(chain, store, version, Some(record.id()), pending),
        None => Ok(()),
    }
}

/// Refuses to make roster `version` when a record other than `own` already makes it (adopted),
/// or — with `pending` — when a proposal other than `own` held in `store` claims it.
pub fn check_version(
    chain: &RosterChain,
    store: &Store,
    version: u64,
    own: Option<RecordId>,
    pending: bool,
) -> Result<(), Error> {
    let next = chain.current().version + 1;
    let by = |key: &PublicKey| member_of_key(chain, key).unwrap_or_else(|| "?".into());
    if let Some(adopted) = chain.at(version).filter(|r| Some(r.head) != own) {
        let author = store.get(&adopted.head)?.map(|r| r.header().author);
        let by = author.map_or_else(|| "?".into(), |a| by(&a));
        return Err(Conflict::Adopted { version, existing: adopted.head, by, next }.into());
    }
    if pending {
        let other = store.proposals()?.into_iter().find(|p| Some(p.id()) != own && version_of(p) == Some(version));
        if let Some(other) = other {
            let by = by(&other.header().author);
            return Err(Conflict::Pending { version, existing: other.id(), by, next: version + 1 }.into());
        }
    }
    Ok(())
}
