//! Validation: the rules a record must pass before any node stores, serves or forwards it.
//!
//! A record is judged by the roster version it names, never by a clock. Each rule has one
//! [`Rejection`] variant, tested one rule at a time.

use std::collections::BTreeSet;

use crate::agreement;
use crate::charter::{Charter, MemberId, Role};
use crate::crypto::{verify_batch, Hash, PublicKey, SignedMessage};
use crate::encoding::{check_text, DecodeError, MAX_TEXT_BYTES};
use crate::evidence::{Equivocation, Redaction};
use crate::governance::{self, Violation};
use crate::needs;
use crate::outage;
use crate::plan;
use crate::record::{Body, Kind, Record, RecordId, Unverified, Verified, FORMAT_VERSION};
pub use crate::record::{Lookup, NoLookup};
use crate::roster::{KeyGrant, KeyKind, Roster, RosterChain, RosterUpdate};
use crate::support;

/// Why a record was refused. Each variant names one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The bytes are not a canonical record.
    #[error("malformed: {0}")]
    Malformed(#[from] DecodeError),
    /// The header's format version is not one this node speaks.
    #[error("record format {format} is not supported (this node speaks {FORMAT_VERSION})")]
    UnsupportedFormat {
        /// The header's format byte.
        format: u8,
    },
    /// The record belongs to another federation.
    #[error("the record belongs to federation {got}, not {expected}")]
    WrongFederation {
        /// This federation.
        expected: Hash,
        /// The record's.
        got: Hash,
    },
    /// The record names a roster version this node does not have (yet).
    #[error("the record names roster version {named}, but the newest known is {current}")]
    UnknownRosterVersion {
        /// The version named.
        named: u64,
        /// The newest version this node holds.
        current: u64,
    },
    /// `seq` and `prev` disagree: seq 0 must have no predecessor, every other seq must have one.
    #[error("chain position is inconsistent: seq {seq} with{} a previous record", if *has_prev { "" } else { "out" })]
    BadChainPosition {
        /// The header's seq.
        seq: u64,
        /// Whether it names a previous record.
        has_prev: bool,
    },
    /// The author's key is not in the roster version the record names.
    #[error("key {key} is not certified in roster version {roster}")]
    UnknownAuthor {
        /// The author.
        key: PublicKey,
        /// The roster version named.
        roster: u64,
    },
    /// The author's key was revoked as compromised from a position at or before this record's.
    #[error("key {key} was revoked as compromised from seq {since}; this record is at seq {seq}")]
    RevokedKey {
        /// The author.
        key: PublicKey,
        /// First untrusted seq.
        since: u64,
        /// The record's seq.
        seq: u64,
    },
    /// The record's claimed time is outside the person key's validity period.
    #[error("key {key} is not valid at the record's time {time_ms}")]
    KeyExpired {
        /// The author.
        key: PublicKey,
        /// The claimed time.
        time_ms: i64,
    },
    /// The author's member or role may not author this kind of record.
    #[error("key {key} of member {member} may not author a {kind:?} record")]
    NotAuthorised {
        /// The author.
        key: PublicKey,
        /// Its member.
        member: MemberId,
        /// The record kind.
        kind: Kind,
    },
    /// The author's signature does not verify.
    #[error("the signature of {key} does not verify")]
    BadSignature {
        /// The author.
        key: PublicKey,
    },
    /// A countersignature does not verify, or its key is not an organisation key.
    #[error("the countersignature of {key} is not valid")]
    BadCountersignature {
        /// The countersigner.
        key: PublicKey,
    },
    /// This kind of record carries no countersignatures.
    #[error("a {kind:?} record carries no countersignatures")]
    UnexpectedCountersignatures {
        /// The record kind.
        kind: Kind,
    },
    /// The body does not match the hash or length in the header.
    #[error("the body does not match the hash and length its header commits to")]
    BodyMismatch,
    /// The body is missing, and this kind can never be redacted.
    #[error("a {kind:?} record cannot be redacted, but its body is missing")]
    MissingBody {
        /// The record kind.
        kind: Kind,
    },
    /// The body of a charter, equivocation or note decodes but breaks a rule of its kind (a body
    /// that does not decode is [`Rejection::Malformed`]; governance kinds give
    /// [`Rejection::Governance`]).
    #[error("invalid {kind:?} body: {reason}")]
    BadBody {
        /// The record kind.
        kind: Kind,
        /// What is wrong.
        reason: String,
    },
    /// This node cannot yet validate records of this kind.
    #[error("records of kind {kind:?} are not supported by this version")]
    UnsupportedKind {
        /// The record kind.
        kind: Kind,
    },
    /// A roster change is not applicable to the version it follows.
    #[error("invalid roster change: {reason}")]
    InvalidRosterChange {
        /// What is wrong.
        reason: String,
    },
    /// A roster version (or the charter) lacks signatures.
    #[error("{have} of the {need} required members have signed")]
    ThresholdNotMet {
        /// Distinct members that signed.
        have: usize,
        /// Members required.
        need: usize,
    },
    /// A different record already holds this roster version: kept as evidence, never merged.
    #[error("roster version {version} already exists as a different record")]
    CompetingRosterVersion {
        /// The version claimed.
        version: u64,
        /// The record that holds it, if known.
        existing: Option<RecordId>,
    },
    /// A record this one depends on has not arrived yet.
    #[error("record {id} that this one depends on is not known yet")]
    MissingDependency {
        /// The missing record.
        id: RecordId,
    },
    /// A plan, plan receipt or cost key body breaks a rule of its kind (`docs/plans.md`); the
    /// code is the violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Plan {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: plan::Violation,
    },
    /// An agreement or agreement signature body breaks a rule of its kind
    /// (`docs/agreements.md`); the code is the violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Agreement {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: agreement::Violation,
    },
    /// An outage notice or acknowledgement body breaks a rule of its kind (`docs/outages.md`);
    /// the code is the violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Outage {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: outage::Violation,
    },
    /// A need or need-update body breaks a rule of its kind (`docs/needs.md`); the code is the
    /// violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Need {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: needs::Violation,
    },
    /// A support case or support event body breaks a rule of its kind (`docs/support.md`); the
    /// code is the violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Support {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: support::Violation,
    },
    /// A governance body breaks a rule of its kind (`docs/governance.md` §2); the code is the
    /// violation's.
    #[error("invalid {kind:?} body: {violation}")]
    Governance {
        /// The record kind.
        kind: Kind,
        /// The rule broken.
        violation: Violation,
    },
}

impl From<crate::roster::PushError> for Rejection {
    fn from(e: crate::roster::PushError) -> Rejection {
        match e {
            crate::roster::PushError::Competing { version, existing } => {
                Rejection::CompetingRosterVersion { version, existing }
            }
            crate::roster::PushError::Invalid(reason) => Rejection::InvalidRosterChange { reason },
        }
    }
}

impl Rejection {
    /// A short, stable code for logs, metrics and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::UnsupportedFormat { .. } => "unsupported_format",
            Rejection::WrongFederation { .. } => "wrong_federation",
            Rejection::UnknownRosterVersion { .. } => "unknown_roster_version",
            Rejection::BadChainPosition { .. } => "bad_chain_position",
            Rejection::UnknownAuthor { .. } => "unknown_author",
            Rejection::RevokedKey { .. } => "revoked_key",
            Rejection::KeyExpired { .. } => "key_expired",
            Rejection::NotAuthorised { .. } => "not_authorised",
            Rejection::BadSignature { .. } => "bad_signature",
            Rejection::BadCountersignature { .. } => "bad_countersignature",
            Rejection::UnexpectedCountersignatures { .. } => "unexpected_countersignatures",
            Rejection::BodyMismatch => "body_mismatch",
            Rejection::MissingBody { .. } => "missing_body",
            Rejection::BadBody { .. } => "bad_body",
            Rejection::UnsupportedKind { .. } => "unsupported_kind",
            Rejection::InvalidRosterChange { .. } => "invalid_roster_change",
            Rejection::ThresholdNotMet { .. } => "threshold_not_met",
            Rejection::CompetingRosterVersion { .. } => "competing_roster_version",
            Rejection::MissingDependency { .. } => "missing_dependency",
            Rejection::Governance { violation, .. } => violation.code(),
            Rejection::Plan { violation, .. } => violation.code(),
            Rejection::Agreement { violation, .. } => violation.code(),
            Rejection::Outage { violation, .. } => violation.code(),
            Rejection::Need { violation, .. } => violation.code(),
            Rejection::Support { violation, .. } => violation.code(),
        }
    }

    /// Whether the record may become valid later (its roster version or a dependency has not
    /// arrived). Such a record is parked, not held against the peer that sent it.
    pub fn is_pending(&self) -> bool {
        matches!(self, Rejection::UnknownRosterVersion { .. } | Rejection::MissingDependency { .. })
    }
}

/// Whether this kind's body may be removed by a redaction (personal data, gallring). Records
/// that carry authority (charter, roster, votes, closings, minutes) never may.
pub fn redactable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Note
            | Kind::Need
            | Kind::NeedUpdate
            | Kind::SupportCase
            | Kind::SupportEvent
            | Kind::OutageNotice
            | Kind::Paper
    )
}

/// Whether a key with `grant` may author `kind` under `roster`.
pub fn permits(kind: Kind, grant: &KeyGrant, roster: &Roster) -> bool {
    let host = grant.member == roster.host;
    let role = |r: Role| grant.kind.has_role(r);
    let host_machine = host && matches!(grant.kind, KeyKind::Node | KeyKind::Organisation);
    match kind {
        Kind::Charter => false,
        Kind::RosterUpdate => grant.kind == KeyKind::Organisation,
        Kind::Equivocation | Kind::Note => true,
        Kind::Redaction => matches!(grant.kind, KeyKind::Node | KeyKind::Organisation) || role(Role::Forvaltare),
        Kind::Matter | Kind::Meeting | Kind::Minutes | Kind::Paper | Kind::Agreement => {
            host_machine || role(Role::Forvaltare) || role(Role::Ordforande)
        }
        Kind::Plan | Kind::CostKey | Kind::Outcome => host && (role(Role::Forvaltare) || role(Role::Ordforande)),
        Kind::PlanReceipt => grant.kind == KeyKind::Node,
        Kind::Diarium => host_machine,
        Kind::Vote => role(Role::StyrgruppOrdinarie) || role(Role::StyrgruppErsattare),
        Kind::BallotClose | Kind::VoteReceipt => host_machine || role(Role::Ordforande),
        Kind::Justering => matches!(grant.kind, KeyKind::Person { .. }),
        Kind::AgreementSignature => role(Role::Firmatecknare),
        // Any key speaking for a member registers, endorses and ranks needs; which steps a key
        // may take is the body's rule (`docs/needs.md` §4).
        Kind::Need | Kind::NeedUpdate => {
            grant.kind == KeyKind::Node || role(Role::Objektspecialist) || role(Role::Forvaltare)
        }
        // The host's management publishes, updates and clears outage notices; a person reads and
        // acknowledges them, so no node key acknowledges (`docs/outages.md` §2).
        Kind::OutageNotice => host && (grant.kind == KeyKind::Node || role(Role::Forvaltare)),
        Kind::OutageAck => role(Role::Objektspecialist),
        // Line 1 raises a case; line 1 or the förvaltningsgrupp (line 2) records its events. Which
        // line may take which step is `support`'s rule (docs/support.md §4).
        Kind::SupportCase => role(Role::Objektspecialist),
        Kind::SupportEvent => role(Role::Objektspecialist) || (host && role(Role::Forvaltare)),
        // The förvaltningsgrupp drafts the SLA table; the styrgrupp adopts it (docs/support.md §8).
        Kind::SlaTable => host && role(Role::Forvaltare),
    }
}

/// Verifies the charter: the genesis of a federation and roster version 0.
pub fn verify_charter(record: Record<Unverified>) -> Result<(Record<Verified>, RosterChain), Rejection> {
    let h = record.header();
    check_format(record.header())?;
    if h.kind != Kind::Charter || h.federation != Hash::ZERO || h.seq != 0 || h.prev.is_some() || h.roster != 0 {
        return Err(Rejection::BadBody {
            kind: Kind::Charter,
            reason: "the charter is kind charter, federation zero, seq 0, no previous record, roster version 0".into(),
        });
    }
    let body = record.body().ok_or(Rejection::MissingBody { kind: Kind::Charter })?;
    check_body_commitment(&record, body)?;
    let charter = Charter::from_bytes(body).map_err(Rejection::Malformed)?;
    charter.check().map_err(|reason| Rejection::BadBody { kind: Kind::Charter, reason })?;
    let roster = Roster::genesis(&charter, record.id());
    let grant = roster.keys.get(&h.author).ok_or(Rejection::UnknownAuthor { key: h.author, roster: 0 })?;
    let _ = grant;
    check_signature(&record)?;
    let (members, need) = (
        roster.members.keys().cloned().collect::<BTreeSet<_>>(),
        roster.rules.roster_threshold.required(roster.members.len()),
    );
    check_countersignatures(&record, &roster, &members, need)?;
    let chain = RosterChain::new(roster);
    Ok((record.into_verified(), chain))
}

/// Verifies any record but the charter against the roster chain, with no referenced records
/// at hand. See [`verify_in`].
pub fn verify(record: Record<Unverified>, chain: &RosterChain) -> Result<Record<Verified>, Rejection> {
    verify_in(record, chain, &NoLookup)
}

/// Verifies any record but the charter against the roster chain and the records it references.
///
/// A roster update naming the newest version is checked as the next version (threshold and
/// applicability); the caller then appends it with [`RosterChain::push`].
pub fn verify_in(
    record: Record<Unverified>,
    chain: &RosterChain,
    lookup: &dyn Lookup,
) -> Result<Record<Verified>, Rejection> {
    check_rules(&record, chain, lookup)?;
    check_signature(&record)?;
    Ok(record.into_verified())
}

/// Verifies many records as [`verify_in`] verifies each, with the same result per record, but
/// checks the authors' signatures in batches ([`crate::crypto::verify_batch`]): about half the
/// cost of checking them one by one. Results are in input order.
pub fn verify_many(
    records: Vec<Record<Unverified>>,
    chain: &RosterChain,
    lookup: &dyn Lookup,
) -> Vec<Result<Record<Verified>, Rejection>> {
    let ruled: Vec<Result<(), Rejection>> = records.iter().map(|r| check_rules(r, chain, lookup)).collect();
    let mut signatures_ok = vec![false; records.len()];
    let passed: Vec<usize> = (0..records.len()).filter(|i| ruled[*i].is_ok()).collect();
    let inputs: Vec<Vec<u8>> = passed.iter().map(|i| records[*i].header().signing_input()).collect();
    for (chunk, messages) in passed.chunks(SIGNATURE_BATCH).zip(inputs.chunks(SIGNATURE_BATCH)) {
        let items: Vec<SignedMessage<'_>> = chunk
            .iter()
            .zip(messages)
            .map(|(i, message)| SignedMessage {
                key: &records[*i].header().author,
                message,
                signature: records[*i].signature(),
            })
            .collect();
        // One signature is cheaper to check alone; both checks give the same verdict.
        let all_valid = items.len() > 1 && verify_batch(&items);
        for (i, item) in chunk.iter().zip(&items) {
            signatures_ok[*i] = all_valid || item.key.verify_strict(item.message, item.signature);
        }
    }
    records
        .into_iter()
        .zip(ruled)
        .zip(signatures_ok)
        .map(|((record, ruled), signature_ok)| {
            ruled?;
            if !signature_ok {
                return Err(Rejection::BadSignature { key: record.header().author });
            }
            Ok(record.into_verified())
        })
        .collect()
}

/// Signatures checked in one batch by [`verify_many`]. Larger batches cost less per signature
/// (the multiscalar multiplication switches to Pippenger's method above ~190 points) but hold
/// more records back when one of them is bad.
pub const SIGNATURE_BATCH: usize = 256;

/// Every rule of [`verify_in`] except the author's signature: how a node judges a draft before
/// it offers it to a person to sign (the signature is the signer's to make; every other rule
/// gives the same verdict before and after signing).
pub fn check_rules(record: &Record<Unverified>, chain: &RosterChain, lookup: &dyn Lookup) -> Result<(), Rejection> {
    let h = record.header();
    check_format(h)?;
    if h.federation != chain.federation() {
        return Err(Rejection::WrongFederation { expected: chain.federation(), got: h.federation });
    }
    if (h.seq == 0) != h.prev.is_none() {
        return Err(Rejection::BadChainPosition { seq: h.seq, has_prev: h.prev.is_some() });
    }
    let current = chain.current().version;
    let roster = chain.at(h.roster).ok_or(Rejection::UnknownRosterVersion { named: h.roster, current })?;
    let grant = roster.keys.get(&h.author).ok_or(Rejection::UnknownAuthor { key: h.author, roster: h.roster })?;
    if let Some(since) = chain.revoked_since(&h.author).filter(|since| h.seq >= *since) {
        return Err(Rejection::RevokedKey { key: h.author, since, seq: h.seq });
    }
    if !grant.kind.valid_at(h.time_ms) {
        return Err(Rejection::KeyExpired { key: h.author, time_ms: h.time_ms });
    }
    if !permits(h.kind, grant, roster) {
        return Err(Rejection::NotAuthorised { key: h.author, member: grant.member.clone(), kind: h.kind });
    }
    if h.kind != Kind::RosterUpdate && !record.countersignatures().is_empty() {
        return Err(Rejection::UnexpectedCountersignatures { kind: h.kind });
    }
    match record.body() {
        None if !redactable(h.kind) => Err(Rejection::MissingBody { kind: h.kind }),
        None => Ok(()),
        Some(body) => {
            check_body_commitment(record, body)?;
            check_body(record, body, roster, chain, lookup)
        }
    }
}

fn check_format(h: &crate::record::Header) -> Result<(), Rejection> {
    if h.format != FORMAT_VERSION {
        return Err(Rejection::UnsupportedFormat { format: h.format });
    }
    Ok(())
}

fn check_body_commitment(record: &Record<Unverified>, body: &[u8]) -> Result<(), Rejection> {
    let h = record.header();
    if body.len() != h.body_len as usize || crate::record::body_hash(body) != h.body_hash {
        return Err(Rejection::BodyMismatch);
    }
    Ok(())
}

fn check_signature(record: &Record<Unverified>) -> Result<(), Rejection> {
    let h = record.header();
    if !h.author.verify_strict(&h.signing_input(), record.signature()) {
        return Err(Rejection::BadSignature { key: h.author });
    }
    Ok(())
}

/// Checks countersignatures and that the author plus countersigners include `need` of `members`.
fn check_countersignatures(
    record: &Record<Unverified>,
    roster: &Roster,
    members: &BTreeSet<MemberId>,
    need: usize,
) -> Result<(), Rejection> {
    let input = record.header().signing_input();
    for c in record.countersignatures() {
        let is_org = roster.keys.get(&c.key).is_some_and(|g| g.kind == KeyKind::Organisation);
        if !is_org || !c.key.verify_strict(&input, &c.signature) {
            return Err(Rejection::BadCountersignature { key: c.key });
        }
    }
    let signers = std::iter::once(record.header().author).chain(record.countersignatures().iter().map(|c| c.key));
    let have = roster.signing_members(signers).intersection(members).count();
    if have < need {
        return Err(Rejection::ThresholdNotMet { have, need });
    }
    Ok(())
}

fn bad(kind: Kind) -> impl Fn(String) -> Rejection {
    move |reason| Rejection::BadBody { kind, reason }
}

fn check_body(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    chain: &RosterChain,
    lookup: &dyn Lookup,
) -> Result<(), Rejection> {
    let kind = record.header().kind;
    match kind {
        Kind::RosterUpdate => check_roster_update(record, body, roster, chain),
        Kind::Equivocation => Equivocation::from_bytes(body)?.check().map_err(bad(kind)),
        Kind::Redaction => {
            let r = Redaction::from_bytes(body)?;
            check_text("redaction reason", &r.reason)?;
            Ok(())
        }
        Kind::Note => match std::str::from_utf8(body) {
            Ok(text) if text.len() <= MAX_TEXT_BYTES => Ok(()),
            Ok(_) => Err(bad(kind)(format!("a note is at most {MAX_TEXT_BYTES} bytes"))),
            Err(_) => Err(bad(kind)("a note is UTF-8 text".into())),
        },
        Kind::Plan | Kind::PlanReceipt | Kind::CostKey | Kind::Outcome => {
            match plan::check_body(record, body, roster, lookup) {
                None => Err(Rejection::UnsupportedKind { kind }),
                Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Plan { kind, violation })),
            }
        }
        Kind::Agreement | Kind::AgreementSignature => match agreement::check_body(record, body, roster, lookup) {
            None => Err(Rejection::UnsupportedKind { kind }),
            Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Agreement { kind, violation })),
        },
        Kind::OutageNotice | Kind::OutageAck => match outage::check_body(record, body, lookup) {
            None => Err(Rejection::UnsupportedKind { kind }),
            Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Outage { kind, violation })),
        },
        Kind::Need | Kind::NeedUpdate => match needs::check_body(record, body, roster, lookup) {
            None => Err(Rejection::UnsupportedKind { kind }),
            Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Need { kind, violation })),
        },
        Kind::SupportCase | Kind::SupportEvent | Kind::SlaTable => {
            match support::check_body(record, body, roster, lookup) {
                None => Err(Rejection::UnsupportedKind { kind }),
                Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Support { kind, violation })),
            }
        }
        _ => match governance::check_body(record, body, roster, chain, lookup, permits) {
            None => Err(Rejection::UnsupportedKind { kind }),
            Some(checked) => checked.map_err(|e| rejection(e, |violation| Rejection::Governance { kind, violation })),
        },
    }
}

/// A rule module's answer as a [`Rejection`]: its violation wrapped by `violation`, a missing
/// dependency (pending) or a malformed body.
fn rejection<V: std::error::Error>(e: crate::rule::Error<V>, violation: impl FnOnce(V) -> Rejection) -> Rejection {
    match e {
        crate::rule::Error::Violation(v) => violation(v),
        crate::rule::Error::MissingDependency { id } => Rejection::MissingDependency { id },
        crate::rule::Error::Malformed(e) => Rejection::Malformed(e),
    }
}

fn check_roster_update(
    record: &Record<Unverified>,
    body: &[u8],
    roster: &Roster,
    chain: &RosterChain,
) -> Result<(), Rejection> {
    let update = RosterUpdate::from_bytes(body)?;
    if update.version != roster.version + 1 || update.previous != roster.head {
        return Err(Rejection::InvalidRosterChange {
            reason: format!(
                "an update made under roster version {} must create version {} following {}",
                roster.version,
                roster.version + 1,
                roster.head
            ),
        });
    }
    if let Some(existing) = chain.at(update.version) {
        if existing.head != record.id() {
            return Err(Rejection::CompetingRosterVersion { version: update.version, existing: Some(existing.head) });
        }
        // A copy of the version already held: the id does not cover countersignatures, so they
        // are checked again rather than trusted because the id matches.
    } else {
        roster
            .apply(&update, record.id(), chain.retired_or_used())
            .map_err(|reason| Rejection::InvalidRosterChange { reason })?;
    }
    let (members, need) = roster.required_signers(&update.changes);
    check_countersignatures(record, roster, &members, need)
}
