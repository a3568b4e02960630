//! Records a person signs in their browser: the node prepares, the browser signs, the node
//! ingests — without ever leaving a hole in the person's chain (docs/protocol.md §7.6, and
//! docs/web.md §3, "Signing in a browser", for the browser's part).
//!
//! # The rules
//!
//! 1. **Prepare.** For an action of a signed-in person (a vote, a justering) the node builds the
//!    body, takes the person's next chain position *as the node holds it* and judges the draft by
//!    every rule but the signature ([`Ledger::draft_for`]). A draft a rule refuses is never
//!    offered, so it never takes a position.
//! 2. **Persist, then offer.** The offer is written durably (`Store::put_offer`) before the page
//!    that offers it is sent; one offer per person is pending, and a new one replaces it. The
//!    node cannot know whether the browser signed a replaced offer; the browser can: it keeps
//!    the last record it signed, with its bytes, in IndexedDB until a node acknowledges it, and
//!    before it signs at a position it holds an unacknowledged record for, it sends that record
//!    again (the ordinary `POST /api/v1/records`). Only a refusal by a rule frees the position;
//!    a record the node stores makes the new offer stale (rule 4). The browser also refuses to
//!    sign at a position below one it has signed (a node that has not caught up).
//! 3. **Submit.** The signature over the pending offer makes the record, which takes the one
//!    ingest path (`Source::Api`). Stored (or already held): the offer is forgotten. Refused by a
//!    rule: the offer is forgotten and the position is free again — every node refuses the same
//!    bytes, so that signature can never count anywhere; the page tells the browser which record
//!    was given back. Not stored for another reason (a full disk): the offer stays, to be sent
//!    again.
//! 4. An offer whose position was taken meanwhile (a resent earlier record, or a record signed
//!    elsewhere) is stale: it is forgotten when next read and never submitted.

use std::sync::{Arc, Mutex};

use samverka_protocol::{encoding, Draft, Kind, PublicKey, RecordId, Signature};
use samverka_web::view;
use serde::{Deserialize, Serialize};

use crate::governance;
use crate::ledger::{self, Ledger, Outcome, Source};

/// What is pending for one person (persisted under the person's key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The draft offered.
    pub draft: Draft,
}

impl Pending {
    /// The id the offered record will have.
    pub fn id(&self) -> RecordId {
        samverka_protocol::record::record_id(&self.draft.header)
    }
}

/// Why the node does not offer or store a record, whatever its domain (a domain's own
/// refusals are made by its `make` function as a `view::Refusal`).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Nothing waits for this signature: the offer was replaced, or already stored or refused.
    #[error("record {0} is not offered to you (any more): start again from the page")]
    NotOffered(RecordId),
    /// The record breaks a rule or does not fit the chain; nothing is stored, and a signed
    /// record's position is free again (`given_back`).
    #[error(transparent)]
    Refused(ledger::Error),
    /// The record could not be stored now (a full disk, the node shutting down); the offer
    /// stays, to be sent again.
    #[error("the record was not stored: {0}")]
    NotStored(ledger::Error),
}

impl Refusal {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotOffered(_) => "not_offered",
            Refusal::Refused(e) | Refusal::NotStored(e) => e.code(),
        }
    }

    /// As the pages show it; `given_back` names a signed record whose position is free again.
    pub fn view(&self, given_back: Option<RecordId>) -> view::Refusal {
        view::Refusal { code: self.code(), detail: self.to_string(), given_back, field: None }
    }
}

/// Whether a failed ingest means no node will ever store the record (so its position may be
/// used again), as opposed to a failure of this node.
fn refused_everywhere(e: &ledger::Error) -> bool {
    match e {
        ledger::Error::Rejected(r) => !r.is_pending(),
        ledger::Error::ChainMismatch { .. } | ledger::Error::OtherFederation(_) => true,
        ledger::Error::MissingPredecessor { .. }
        | ledger::Error::ParkingFull
        | ledger::Error::NoFederation
        | ledger::Error::Storage(_) => false,
    }
}

/// A failure of this node (its store, a query), not a refusal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ledger or its store failed.
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
    /// A governance query failed.
    #[error(transparent)]
    Query(#[from] governance::Error),
}

impl From<crate::storage::Error> for Error {
    fn from(e: crate::storage::Error) -> Error {
        Error::Ledger(ledger::Error::Storage(e))
    }
}

/// What a domain's application module needs to make a record of a person's action.
pub struct Context<'a> {
    /// The node's ledger.
    pub ledger: &'a Ledger,
    /// The node's key: the closer of the matters its host officers put.
    pub node_key: PublicKey,
    /// Now, in Unix milliseconds (a meeting's notice is given on its Stockholm day).
    pub now_ms: i64,
}

/// The record a domain makes of a person's action, for the node to prepare (rule 1).
#[derive(Clone, Debug)]
pub struct Made {
    /// The record's kind.
    pub kind: Kind,
    /// Its body.
    pub body: Vec<u8>,
    /// The key that signs it, when not the person's own: a roster change is signed with the
    /// organisation key of the person's member, whose key file they hold.
    pub author: Option<PublicKey>,
    /// Bytes the record names by hash (a matter's papers), kept once the offer stands: the
    /// record may be signed from another tab, and a peer asks for them as soon as it holds it.
    pub blobs: Vec<Vec<u8>>,
}

impl Made {
    /// A record of `kind` with `body`, signed by the person, naming no blobs.
    pub fn new(kind: Kind, body: Vec<u8>) -> Made {
        Made { kind, body, author: None, blobs: Vec::new() }
    }
}

/// What a domain's application module makes of one of its actions: the record, or the refusal
/// the form shows again (nothing is taken), or a failure of the node.
pub type Making = Result<Result<Made, view::Refusal>, view::Error>;

/// A domain's part in signing in the browser, besides making records of its actions (each
/// domain's `make` takes its own action type): what an offered record says, and where the signer
/// reads it once stored. A domain answers for the kinds it lists; the node keeps one list of
/// domains (`crate::site`).
pub trait Domain: Sync {
    /// The kinds of record this domain makes.
    fn kinds(&self) -> &'static [Kind];
    /// What the offered record `id` of `kind` with `body` says, for `me` who signs it.
    fn subject(&self, ledger: &Ledger, me: &view::Me, id: RecordId, kind: Kind, body: &[u8]) -> Subject;
    /// The page where the signer reads the stored record `id` of `kind` with `body`.
    fn back(&self, kind: Kind, id: &RecordId, body: &[u8]) -> String;
}

/// What an offered record says, or a failure reading what it names.
pub type Subject = Result<view::Subject, view::Error>;

/// The error of an offered body that does not decode: the node made it, so this is a failure of
/// the node's store, not the person's input.
pub fn undecodable(e: samverka_protocol::encoding::DecodeError) -> view::Error {
    view::Error::Read(Box::new(e))
}

/// The browser-signing side of a node.
pub struct Offers {
    ledger: Arc<Ledger>,
    /// One prepare or submit at a time: two tabs must not take one position for two drafts
    /// unseen.
    lock: Mutex<()>,
}

impl Offers {
    /// Offers over `ledger`.
    pub fn new(ledger: Arc<Ledger>) -> Offers {
        Offers { ledger, lock: Mutex::new(()) }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Prepares `kind` with `body` for `author` (rule 1) and persists the offer (rule 2) for
    /// `holder`, the signed-in person who will have it signed: the author itself, or the
    /// organisation key whose file the person holds (a roster change).
    pub fn prepare(
        &self,
        holder: PublicKey,
        author: PublicKey,
        kind: Kind,
        body: Vec<u8>,
        time_ms: i64,
    ) -> Result<Result<Pending, Refusal>, Error> {
        let _guard = self.guard();
        let draft = match self.ledger.draft_for(author, kind, body, time_ms) {
            Ok(d) => d,
            Err(e) if refused_everywhere(&e) => return Ok(Err(Refusal::Refused(e))),
            Err(e) => return Err(e.into()),
        };
        let pending = Pending { draft };
        self.ledger.store().put_offer(&holder, &encoding::encode(&pending))?;
        Ok(Ok(pending))
    }

    /// The offer pending for `holder`, if it still stands at its author's next position
    /// (rule 4).
    pub fn pending(&self, holder: &PublicKey) -> Result<Option<Pending>, Error> {
        let _guard = self.guard();
        self.current(holder)
    }

    fn current(&self, holder: &PublicKey) -> Result<Option<Pending>, Error> {
        let store = self.ledger.store();
        let Some(bytes) = store.offer(holder)? else { return Ok(None) };
        let pending: Pending = encoding::decode("offer", &bytes, encoding::MAX_RECORD_BYTES)
            .map_err(|e| crate::storage::Error::Corrupt(format!("offer of {holder}: {e}")))?;
        let (seq, prev) = self.ledger.next_position(&pending.draft.header.author)?;
        if pending.draft.header.seq != seq || pending.draft.header.prev != prev {
            store.clear_offer(holder)?;
            return Ok(None);
        }
        Ok(Some(pending))
    }

    /// Takes `signature` over the offer `id` pending for `holder` and ingests the record
    /// (rule 3).
    pub fn submit(
        &self,
        holder: &PublicKey,
        id: &RecordId,
        signature: Signature,
    ) -> Result<Result<RecordId, Refusal>, Error> {
        let _guard = self.guard();
        let Some(pending) = self.current(holder)?.filter(|p| p.id() == *id) else {
            return Ok(Err(Refusal::NotOffered(*id)));
        };
        let record = pending.draft.with_signature(signature);
        let outcome = self.ledger.ingest_one(Source::Api, record);
        match outcome {
            Ok(Outcome::Stored(_) | Outcome::Duplicate(_) | Outcome::Equivocation { .. } | Outcome::Parked(_)) => {
                self.ledger.store().clear_offer(holder)?;
                Ok(Ok(*id))
            }
            Err(e) if refused_everywhere(&e) => {
                self.ledger.store().clear_offer(holder)?;
                let author = pending.draft.header.author;
                tracing::info!(record = %id, %author, code = e.code(), "a record signed in a browser was refused: its position is free again");
                Ok(Err(Refusal::Refused(e)))
            }
            Err(e) => Ok(Err(Refusal::NotStored(e))),
        }
    }
}
