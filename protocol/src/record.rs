//! Records: a signed header that commits to a body by hash, plus the body (absent once redacted).
//!
//! The typestate keeps unverified bytes out of storage and off the network: only
//! [`Record<Verified>`] can be stored, served or forwarded, and the only way to get one is
//! [`crate::validate`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::crypto::{domain, Hash, PublicKey, Signature, SigningKey};
use crate::encoding::{self, DecodeError, MAX_BODY_BYTES, MAX_RECORD_BYTES};

/// Version of the record format. A header with any other value is rejected.
pub const FORMAT_VERSION: u8 = 1;
/// Most countersignatures on one record: every member of the largest federation we plan for
/// (Sweden's 290 kommuner and 21 regions) with room to spare.
pub const MAX_COUNTERSIGNATURES: usize = 512;

/// A record's id: SHA-256 over the canonical header and the author's signature.
pub type RecordId = Hash;

/// What a record is. Encoded as a `u16` code that never changes meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u16", try_from = "u16")]
#[repr(u16)]
pub enum Kind {
    /// The genesis record; body [`crate::Charter`].
    Charter = 0,
    /// A new roster version; body [`crate::RosterUpdate`].
    RosterUpdate = 1,
    /// Proof that an author signed two records at one position; body [`crate::evidence::Equivocation`].
    Equivocation = 2,
    /// Removal of another record's body (GDPR, gallring); body [`crate::evidence::Redaction`].
    Redaction = 3,
    /// A free-text note or announcement; body UTF-8 text.
    Note = 4,
    /// A matter (ärende) put to the steering group.
    Matter = 10,
    /// A meeting (sammanträde) called with an agenda.
    Meeting = 11,
    /// A styrgrupp member's vote.
    Vote = 12,
    /// The closing of a ballot, naming the votes counted.
    BallotClose = 13,
    /// Minutes (protokoll) of a meeting.
    Minutes = 14,
    /// A signature attesting minutes (justering).
    Justering = 15,
    /// A paper (underlag): a document's metadata and content hash.
    Paper = 16,
    /// Registration of a matter in the diarium with a diarienummer.
    Diarium = 17,
    /// The designated closer's receipt for a vote it holds: a closing must account for it.
    VoteReceipt = 18,
    /// An agreement (överenskommelse) or an amendment to one.
    Agreement = 20,
    /// A party's signatory signing an agreement's text.
    AgreementSignature = 21,
    /// A plan: förvaltningsplan, utvecklingsplan or budget.
    Plan = 30,
    /// A member's node's receipt (kvittens) for a plan it stores.
    PlanReceipt = 31,
    /// A cost key (fördelningsnyckel) for a year.
    CostKey = 32,
    /// Utfall: the actual costs of one quarter of a plan.
    Outcome = 33,
    /// A need (behov / ändringsförfrågan) in the shared backlog.
    Need = 40,
    /// A member endorsing a need, or a step on the need's path.
    NeedUpdate = 41,
    /// A support escalation.
    SupportCase = 50,
    /// An outage notice to every member, an update of one, or its all-clear
    /// ([`crate::outage::OutageNotice`]).
    OutageNotice = 51,
    /// An event on a support case: escalation, start of repair, a message, a pause, resolution …
    SupportEvent = 52,
    /// The federation's SLA table, by the host's förvaltare; in force once a styrgrupp matter
    /// naming it is closed as adopted ([`crate::support::SlaTable`]).
    SlaTable = 53,
    /// A member's objektspecialist acknowledging an outage notice (kvittens,
    /// [`crate::outage::OutageAck`]).
    OutageAck = 56,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 27] = [
        Kind::Charter,
        Kind::RosterUpdate,
        Kind::Equivocation,
        Kind::Redaction,
        Kind::Note,
        Kind::Matter,
        Kind::Meeting,
        Kind::Vote,
        Kind::BallotClose,
        Kind::Minutes,
        Kind::Justering,
        Kind::Paper,
        Kind::Diarium,
        Kind::VoteReceipt,
        Kind::Agreement,
        Kind::AgreementSignature,
        Kind::Plan,
        Kind::PlanReceipt,
        Kind::CostKey,
        Kind::Outcome,
        Kind::Need,
        Kind::NeedUpdate,
        Kind::SupportCase,
        Kind::OutageNotice,
        Kind::SupportEvent,
        Kind::SlaTable,
        Kind::OutageAck,
    ];

    /// The lowercase name used in the API (`roster-update`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Charter => "charter",
            Kind::RosterUpdate => "roster-update",
            Kind::Equivocation => "equivocation",
            Kind::Redaction => "redaction",
            Kind::Note => "note",
            Kind::Matter => "matter",
            Kind::Meeting => "meeting",
            Kind::Vote => "vote",
            Kind::BallotClose => "ballot-close",
            Kind::Minutes => "minutes",
            Kind::Justering => "justering",
            Kind::Paper => "paper",
            Kind::Diarium => "diarium",
            Kind::VoteReceipt => "vote-receipt",
            Kind::Agreement => "agreement",
            Kind::AgreementSignature => "agreement-signature",
            Kind::Plan => "plan",
            Kind::PlanReceipt => "plan-receipt",
            Kind::CostKey => "cost-key",
            Kind::Outcome => "utfall",
            Kind::Need => "need",
            Kind::NeedUpdate => "need-update",
            Kind::SupportCase => "support-case",
            Kind::OutageNotice => "outage-notice",
            Kind::OutageAck => "outage-ack",
            Kind::SupportEvent => "support-event",
            Kind::SlaTable => "sla-table",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl From<Kind> for u16 {
    fn from(k: Kind) -> u16 {
        k as u16
    }
}

impl TryFrom<u16> for Kind {
    type Error = String;
    fn try_from(code: u16) -> Result<Kind, String> {
        Kind::ALL.into_iter().find(|k| *k as u16 == code).ok_or_else(|| format!("unknown record kind {code}"))
    }
}

/// Records already held, for rules that look at the records a record references (a vote's
/// matter, the votes a closing counts). A reference not found makes the record wait
/// (`missing_dependency`) rather than be refused. Lives here, beside [`Record`], so that
/// `validate` and the rules it calls (`governance`) both use it without importing each other.
pub trait Lookup {
    /// The verified record with `id`, if held.
    fn record(&self, id: &RecordId) -> Option<Record<Verified>>;
}

/// A [`Lookup`] that holds nothing.
pub struct NoLookup;

impl Lookup for NoLookup {
    fn record(&self, _id: &RecordId) -> Option<Record<Verified>> {
        None
    }
}

/// The signed part of a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT_VERSION`].
    pub format: u8,
    /// The federation: the charter's record id ([`Hash::ZERO`] in the charter itself).
    pub federation: Hash,
    /// The author's public key.
    pub author: PublicKey,
    /// Position in the author's chain, from 0.
    pub seq: u64,
    /// Id of the author's record at `seq - 1`; `None` exactly when `seq == 0`.
    pub prev: Option<RecordId>,
    /// The roster version the record was made under and is judged by.
    pub roster: u64,
    /// What the record is.
    pub kind: Kind,
    /// Hash of the body (domain `samverka/v1/body`).
    pub body_hash: Hash,
    /// Length of the body in bytes.
    pub body_len: u32,
    /// The author's claimed time, milliseconds since 1970-01-01 UTC. Informational: no rule
    /// compares it with any node's clock.
    pub time_ms: i64,
}

impl Header {
    /// The canonical header bytes.
    pub fn encode(&self) -> Vec<u8> {
        encoding::encode(self)
    }

    /// The exact bytes the author and every countersigner sign.
    pub fn signing_input(&self) -> Vec<u8> {
        let mut m = domain::HEADER.to_vec();
        m.extend_from_slice(&self.encode());
        m
    }
}

/// A signature by another key over the same signing input as the author's, used where a record
/// needs several signers (roster versions, the charter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Countersignature {
    /// The signer.
    pub key: PublicKey,
    /// Its signature over [`Header::signing_input`].
    pub signature: Signature,
}

/// The wire form of a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Envelope {
    header: Header,
    signature: Signature,
    countersignatures: Vec<Countersignature>,
    #[serde(with = "serde_bytes")]
    body: Option<Vec<u8>>,
}

/// Marker: the bytes were decoded but nothing has been checked.
#[derive(Clone, Copy, Debug)]
pub struct Unverified;
/// Marker: signature, body hash and every validation rule passed.
#[derive(Clone, Copy, Debug)]
pub struct Verified;

/// A record in state `S`.
pub struct Record<S> {
    envelope: Arc<Envelope>,
    id: RecordId,
    bytes: Arc<[u8]>,
    state: PhantomData<S>,
}

impl<S> Clone for Record<S> {
    fn clone(&self) -> Self {
        Record { envelope: self.envelope.clone(), id: self.id, bytes: self.bytes.clone(), state: PhantomData }
    }
}

impl<S> fmt::Debug for Record<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("id", &self.id)
            .field("kind", &self.envelope.header.kind)
            .field("author", &self.envelope.header.author)
            .field("seq", &self.envelope.header.seq)
            .finish()
    }
}

impl<S> PartialEq for Record<S> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl<S> Eq for Record<S> {}

impl<S> Record<S> {
    /// The record id.
    pub fn id(&self) -> RecordId {
        self.id
    }
    /// The signed header.
    pub fn header(&self) -> &Header {
        &self.envelope.header
    }
    /// The author's signature.
    pub fn signature(&self) -> &Signature {
        &self.envelope.signature
    }
    /// Countersignatures (empty for most kinds).
    pub fn countersignatures(&self) -> &[Countersignature] {
        &self.envelope.countersignatures
    }
    /// The body, or `None` if it was redacted.
    pub fn body(&self) -> Option<&[u8]> {
        self.envelope.body.as_deref()
    }
    /// The canonical wire bytes of the whole record.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Shared handle to the wire bytes.
    pub fn shared_bytes(&self) -> Arc<[u8]> {
        self.bytes.clone()
    }

    fn from_envelope(envelope: Envelope) -> Record<S> {
        let bytes: Arc<[u8]> = encoding::encode(&envelope).into();
        let id = record_id(&envelope.header);
        Record { envelope: Arc::new(envelope), id, bytes, state: PhantomData }
    }
}

/// Computes a record id: the hash of the signed header. The signature is not part of it, so
/// nobody can make a second id for a record by re-encoding its signature (with the cofactored
/// rule, adding a small-order point to `R` gives another valid signature over the same header).
pub fn record_id(header: &Header) -> RecordId {
    Hash::of(domain::RECORD_ID, &[&header.encode()])
}

/// Computes a body hash.
pub fn body_hash(body: &[u8]) -> Hash {
    Hash::of(domain::BODY, &[body])
}

impl Record<Unverified> {
    /// Decodes wire bytes. Checks size limits and canonical form; checks nothing cryptographic.
    pub fn decode(bytes: &[u8]) -> Result<Record<Unverified>, DecodeError> {
        let envelope: Envelope = encoding::decode("record", bytes, MAX_RECORD_BYTES)?;
        if envelope.countersignatures.len() > MAX_COUNTERSIGNATURES {
            return Err(DecodeError::TooLarge {
                what: "countersignatures",
                len: envelope.countersignatures.len(),
                max: MAX_COUNTERSIGNATURES,
            });
        }
        if !envelope.countersignatures.windows(2).all(|w| w[0].key < w[1].key) {
            return Err(DecodeError::NotCanonical { what: "countersignatures (sorted by key, each key once)" });
        }
        if let Some(body) = &envelope.body {
            if body.len() > MAX_BODY_BYTES {
                return Err(DecodeError::TooLarge { what: "body", len: body.len(), max: MAX_BODY_BYTES });
            }
        }
        let id = record_id(&envelope.header);
        Ok(Record { envelope: Arc::new(envelope), id, bytes: bytes.into(), state: PhantomData })
    }

    /// Adds a countersignature by `key` (for roster versions and the charter).
    pub fn countersign(&self, key: &SigningKey) -> Record<Unverified> {
        let mut envelope = (*self.envelope).clone();
        let signature = key.sign(&envelope.header.signing_input());
        envelope.countersignatures.retain(|c| c.key != key.public());
        envelope.countersignatures.push(Countersignature { key: key.public(), signature });
        envelope.countersignatures.sort_by_key(|c| c.key);
        Record::from_envelope(envelope)
    }

    /// Merges the countersignatures of another copy of the same record.
    pub fn merge_countersignatures(&self, other: &[Countersignature]) -> Record<Unverified> {
        let mut envelope = (*self.envelope).clone();
        for c in other {
            if !envelope.countersignatures.iter().any(|x| x.key == c.key) {
                envelope.countersignatures.push(c.clone());
            }
        }
        envelope.countersignatures.sort_by_key(|c| c.key);
        Record::from_envelope(envelope)
    }

    /// Marks the record verified. Only [`crate::validate`] calls this, after every check.
    pub(crate) fn into_verified(self) -> Record<Verified> {
        Record { envelope: self.envelope, id: self.id, bytes: self.bytes, state: PhantomData }
    }
}

impl Record<Verified> {
    /// The same record with its body removed. The header, and so every signature, still verifies.
    pub fn redacted(&self) -> Record<Verified> {
        let mut envelope = (*self.envelope).clone();
        envelope.body = None;
        Record::from_envelope(envelope)
    }

    /// Back to unverified, e.g. to re-check an archive.
    pub fn to_unverified(&self) -> Record<Unverified> {
        Record { envelope: self.envelope.clone(), id: self.id, bytes: self.bytes.clone(), state: PhantomData }
    }

    /// Re-wraps bytes that this node stored after verifying them. Only the storage layer calls
    /// this, on bytes it wrote itself; it re-checks the canonical form (the caller compares the
    /// id with the one it looked up).
    pub fn from_trusted_storage(bytes: &[u8]) -> Result<Record<Verified>, DecodeError> {
        Ok(Record::<Unverified>::decode(bytes)?.into_verified())
    }
}

/// An unsigned record: what an author has decided to say, before signing.
///
/// A node persists a draft durably before signing it, so a crash between signing and storing
/// re-signs the same header (ed25519 is deterministic) and never signs two different records at
/// one position in its chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The header to sign.
    pub header: Header,
    /// The body it commits to.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

impl Draft {
    /// A draft with `body_hash` and `body_len` computed from `body`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        federation: Hash,
        author: PublicKey,
        seq: u64,
        prev: Option<RecordId>,
        roster: u64,
        kind: Kind,
        body: Vec<u8>,
        time_ms: i64,
    ) -> Draft {
        let header = Header {
            format: FORMAT_VERSION,
            federation,
            author,
            seq,
            prev,
            roster,
            kind,
            body_hash: body_hash(&body),
            body_len: u32::try_from(body.len()).expect("bodies are far below 4 GiB"),
            time_ms,
        };
        Draft { header, body }
    }

    /// Signs the draft with the author's key.
    pub fn sign(&self, key: &SigningKey) -> Record<Unverified> {
        assert_eq!(key.public(), self.header.author, "a draft is signed by its author");
        self.with_signature(key.sign(&self.header.signing_input()))
    }

    /// The record of this draft with a signature made elsewhere (a person's browser, with
    /// WebCrypto): nothing is checked here; the record is judged where it is ingested.
    pub fn with_signature(&self, signature: Signature) -> Record<Unverified> {
        Record::from_envelope(Envelope {
            header: self.header.clone(),
            signature,
            countersignatures: Vec::new(),
            body: Some(self.body.clone()),
        })
    }

    /// The record's canonical bytes before and after the author's 64 signature bytes: a signer
    /// that cannot encode records (a browser) assembles `before ‖ signature ‖ after`, the same
    /// bytes [`Draft::with_signature`] gives. `before` is [`Header::encode`].
    pub fn around_signature(&self) -> (Vec<u8>, Vec<u8>) {
        let bytes = self.with_signature(Signature([0; 64])).bytes().to_vec();
        let header = self.header.encode();
        debug_assert_eq!(&bytes[..header.len()], &header[..], "the envelope starts with the header");
        let after = bytes[header.len() + 64..].to_vec();
        (header, after)
    }
}

/// A typed body: how each kind's body encodes.
pub trait Body: Serialize + serde::de::DeserializeOwned {
    /// The kind whose body this is.
    const KIND: Kind;
    /// Canonical bytes.
    fn to_bytes(&self) -> Vec<u8> {
        encoding::encode(self)
    }
    /// Decodes canonically.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        encoding::decode(Self::KIND.name(), bytes, MAX_BODY_BYTES)
    }
}

impl Body for crate::Charter {
    const KIND: Kind = Kind::Charter;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signer that only signs (a browser) assembles the same record bytes as [`Draft::sign`].
    #[test]
    fn a_record_assembled_around_the_signature_is_the_signed_record() {
        let key = SigningKey::from_seed(&[7; 32]);
        let body = b"a note".to_vec();
        let draft =
            Draft::new(Hash([1; 32]), key.public(), 3, Some(Hash([2; 32])), 4, Kind::Note, body, 1_700_000_000_000);
        let signed = draft.sign(&key);
        let (before, after) = draft.around_signature();
        assert_eq!(before, draft.header.encode());
        let assembled = [before, signed.signature().0.to_vec(), after].concat();
        assert_eq!(assembled, signed.bytes());
        assert_eq!(Record::decode(&assembled).expect("decodes").id(), signed.id());
    }
}
