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

use samverka_protocol::agreement::{Act, AgreementSignature};
use samverka_protocol::governance::{
    Choice, Justering, Matter, Meeting, Minutes, MinutesItem, PaperRef, Procedure, Vote,
};
use samverka_protocol::roster::{Change, KeyKind, RosterUpdate};
use samverka_protocol::{encoding, Body, Draft, Kind, MatterKind, MemberId, PublicKey, RecordId, Role, Signature};
use samverka_web::view::agreement::AgreementAct;
use serde::{Deserialize, Serialize};

use crate::governance::{self, Status};
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

/// Why the node does not offer or store a record.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No matter with this id is held.
    #[error("no matter {0} is held here")]
    UnknownMatter(RecordId),
    /// The matter's closer has closed it: a vote would not count.
    #[error("matter {0} is closed: votes are no longer counted")]
    BallotClosed(RecordId),
    /// No minutes with this id are held.
    #[error("no minutes {0} are held here")]
    UnknownMinutes(RecordId),
    /// The member is not in the current roster with an organisation key.
    #[error("member {0} has no organisation key in the current roster")]
    NoOrganisationKey(MemberId),
    /// Ordförande and förvaltare are federation-wide roles: certifying them needs the roster
    /// threshold (docs/protocol.md §8.2), not one member's signature.
    #[error("the role {} is federation-wide: certifying it needs the roster threshold (samverka roster propose)", .0.swedish())]
    FederationRole(Role),
    /// A day of a mandate period is not a date.
    #[error("{0:?} is not a date like 2026-11-23")]
    BadDay(String),
    /// No meeting with this id is held.
    #[error("no meeting {0} is held here")]
    UnknownMeeting(RecordId),
    /// The person is not one of the minutes' justerare.
    #[error("you are not a justerare of minutes {0}")]
    NotJusterare(RecordId),
    /// No agreement with this id is held.
    #[error("no agreement {0} is held here")]
    UnknownAgreement(RecordId),
    /// The person's member is not a party to the agreement.
    #[error("{0} is not a party to agreement {1}")]
    NotAParty(MemberId, RecordId),
    /// The person's member's party has already signed the agreement.
    #[error("{0} has already signed agreement {1}")]
    AlreadySigned(MemberId, RecordId),
    /// Notice or withdrawal on an agreement version that is not in force (gällande): not yet
    /// signed by all, amended, given notice on already, or ended.
    #[error("agreement {0} is not in force: notice and withdrawal apply to an agreement in force")]
    NotInForce(RecordId),
    /// The member's party has already withdrawn from the agreement.
    #[error("{0} has already withdrawn from agreement {1}")]
    AlreadyWithdrawn(MemberId, RecordId),
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
            Refusal::UnknownMatter(_) => "unknown_matter",
            Refusal::BallotClosed(_) => "ballot_closed",
            Refusal::UnknownMinutes(_) => "unknown_minutes",
            Refusal::UnknownMeeting(_) => "unknown_meeting",
            Refusal::NoOrganisationKey(_) => "no_organisation_key",
            Refusal::BadDay(_) => "bad_date",
            Refusal::FederationRole(_) => "federation_role",
            Refusal::NotJusterare(_) => "not_justerare",
            Refusal::NotOffered(_) => "not_offered",
            Refusal::UnknownAgreement(_) => "unknown_agreement",
            Refusal::NotAParty(..) => "not_a_party",
            Refusal::AlreadySigned(..) => "already_signed",
            Refusal::NotInForce(_) => "not_in_force",
            Refusal::AlreadyWithdrawn(..) => "already_withdrawn",
            Refusal::Refused(e) | Refusal::NotStored(e) => e.code(),
        }
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

    /// The body of `member`'s vote on `matter`, if the matter is open.
    pub fn vote_body(
        &self,
        member: &MemberId,
        matter: &RecordId,
        choice: Choice,
    ) -> Result<Result<Vec<u8>, Refusal>, Error> {
        let store = self.ledger.store();
        let Some(summary) = governance::matter_summary(store, matter)? else {
            return Ok(Err(Refusal::UnknownMatter(*matter)));
        };
        if summary.status != Status::Open {
            return Ok(Err(Refusal::BallotClosed(*matter)));
        }
        Ok(Ok(Vote { matter: *matter, member: member.clone(), choice }.to_bytes()))
    }

    /// The body of `key`'s justering of `minutes`, if it is one of their justerare.
    pub fn justering_body(&self, key: &PublicKey, minutes: &RecordId) -> Result<Result<Vec<u8>, Refusal>, Error> {
        let Some(held) = governance::get::<samverka_protocol::governance::Minutes>(self.ledger.store(), minutes)?
        else {
            return Ok(Err(Refusal::UnknownMinutes(*minutes)));
        };
        if !held.body.signers().contains(key) {
            return Ok(Err(Refusal::NotJusterare(*minutes)));
        }
        Ok(Ok(Justering { minutes: *minutes }.to_bytes()))
    }

    /// The body of a signature, notice or withdrawal (`act`; the last two given today, Stockholm)
    /// on the agreement version `agreement` for the party of `member` (its firmatecknare signs;
    /// the rules judge the key's role and whether the act is allowed).
    pub fn agreement_signature_body(
        &self,
        member: &MemberId,
        agreement: &RecordId,
        act: AgreementAct,
    ) -> Result<Result<Vec<u8>, Refusal>, Error> {
        let store = self.ledger.store();
        let chain = self.ledger.chain().ok_or(ledger::Error::NoFederation)?;
        let Some(report) = crate::agreement::agreement(store, &chain, agreement, crate::agreement::today())? else {
            return Ok(Err(Refusal::UnknownAgreement(*agreement)));
        };
        let Some(party) = crate::agreement::party_of(&report.summary.agreement.body, member) else {
            return Ok(Err(Refusal::NotAParty(member.clone(), *agreement)));
        };
        let ours = report.parties.iter().find(|p| p.index == party);
        let in_force = matches!(report.summary.status, samverka_protocol::agreement::Status::Gallande { .. });
        let given = || crate::agreement::today().to_string();
        let act = match act {
            AgreementAct::Sign if ours.is_some_and(|p| p.signature.is_some()) => {
                return Ok(Err(Refusal::AlreadySigned(member.clone(), *agreement)));
            }
            AgreementAct::Sign => Act::Sign,
            AgreementAct::Notice | AgreementAct::Withdrawal if !in_force => {
                return Ok(Err(Refusal::NotInForce(*agreement)));
            }
            AgreementAct::Withdrawal if ours.is_some_and(|p| p.withdrawal.is_some()) => {
                return Ok(Err(Refusal::AlreadyWithdrawn(member.clone(), *agreement)));
            }
            AgreementAct::Notice => Act::Notice { given: given() },
            AgreementAct::Withdrawal => Act::Withdrawal { given: given() },
        };
        let body = AgreementSignature { agreement: *agreement, party, act, original: None };
        Ok(Ok(body.to_bytes()))
    }

    /// The body of a new matter put by a host officer, closed by `closer` (this node's key).
    pub fn matter_body(
        kind: MatterKind,
        title: String,
        proposal: String,
        alternatives: Vec<String>,
        papers: Vec<PaperRef>,
        closer: PublicKey,
    ) -> Vec<u8> {
        let procedure = Procedure::Meeting { meeting: None };
        Matter { kind, title, proposal, alternatives, papers, procedure, closer, subject: None }.to_bytes()
    }

    /// The body of a meeting called with notice given on the Stockholm day of `now_ms`.
    pub fn meeting_body(title: String, date: String, place: String, agenda: Vec<RecordId>, now_ms: i64) -> Vec<u8> {
        Meeting { title, date, place, agenda, notice_given_on: governance::stockholm_date(now_ms) }.to_bytes()
    }

    /// The body of minutes of the held meeting `draft.meeting`, each paragraph naming the
    /// closing that decided its matter when one is held (the rules judge the rest).
    pub fn minutes_body(&self, draft: Minutes) -> Result<Result<Vec<u8>, Refusal>, Error> {
        let store = self.ledger.store();
        if governance::get::<Meeting>(store, &draft.meeting)?.is_none() {
            return Ok(Err(Refusal::UnknownMeeting(draft.meeting)));
        }
        let items = draft
            .items
            .into_iter()
            .map(|item| MinutesItem { closing: governance::final_closing(store, &item.matter), ..item })
            .collect();
        Ok(Ok(Minutes { items, ..draft }.to_bytes()))
    }

    /// The next roster version certifying `key` for `member`, with `roles` and the mandate
    /// period `valid` (first and last day, either open), and the member's organisation key that
    /// signs it: a change the member makes alone (docs/protocol.md §8.2), so never of a
    /// federation-wide role.
    pub fn certify_body(
        &self,
        member: &MemberId,
        key: PublicKey,
        roles: Vec<Role>,
        valid: (Option<String>, Option<String>),
        reason: String,
    ) -> Result<Result<(PublicKey, Vec<u8>), Refusal>, Error> {
        if let Some(role) = roles.iter().find(|r| matches!(r, Role::Ordforande | Role::Forvaltare)) {
            return Ok(Err(Refusal::FederationRole(*role)));
        }
        let chain = self.ledger.chain().ok_or(ledger::Error::NoFederation)?;
        let current = chain.current();
        let org = current.keys.iter().find(|(_, g)| g.kind == KeyKind::Organisation && g.member == *member);
        let Some((org, _)) = org else { return Ok(Err(Refusal::NoOrganisationKey(member.clone()))) };
        let day = |d: Option<String>, end: bool| match d {
            None => Ok(None),
            Some(d) => governance::stockholm_day_ms(&d, end).map(Some).ok_or(Refusal::BadDay(d)),
        };
        let (valid_from_ms, valid_until_ms) = match (day(valid.0, false), day(valid.1, true)) {
            (Ok(from), Ok(until)) => (from, until),
            (Err(refusal), _) | (_, Err(refusal)) => return Ok(Err(refusal)),
        };
        let change = Change::CertifyKey {
            member: member.clone(),
            key,
            kind: KeyKind::Person { roles, valid_from_ms, valid_until_ms },
        };
        let update =
            RosterUpdate { version: current.version + 1, previous: current.head, changes: vec![change], reason };
        Ok(Ok((*org, update.to_bytes())))
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
