//! Roster proposals: a roster version that still lacks countersignatures, kept pending in the
//! store while the members' organisations sign it; adopted through the ledger the moment the
//! threshold is met.
//!
//! One roster version has one proposal: a second one for a version already pending or adopted
//! is refused (409 `roster_version_proposed` / `roster_version_taken`, see [`crate::proposal`])
//! rather than kept beside it, because two adopted versions N fork the federation.
//!
//! A proposal is never served or forwarded as a record. It is verified on arrival (everything
//! but the threshold), and again whenever it is listed, countersigned or adopted.

use std::collections::BTreeSet;

use axum::extract::State as S;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use samverka_protocol::validate;
use samverka_protocol::{
    Body, Countersignature, KeyKind, Kind, MemberId, Record, RecordId, Rejection, RosterChain, RosterUpdate, Unverified,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, RecordUpload};
use super::openapi as doc;
use super::records::{ingest, member_of};
use super::roster::{chain, update_view};
use super::{Error, State};
use crate::ledger::Outcome;
use crate::metrics::Source;
use crate::proposal;

/// Most proposals pending at once: a federation rarely has more than one or two in flight.
pub const MAX_PROPOSALS: usize = 64;

/// `GET /api/v1/roster/proposals`
#[utoipa::path(
    get,
    path = "/api/v1/roster/proposals",
    operation_id = "proposals",
    tag = "roster",
    summary = "Pending roster proposals.",
    responses(
        (status = 200, description = "Pending proposals.", body = inline(doc::Proposals)),
        doc::ReadFailures,
    ),
)]
pub(super) async fn list(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let views: Vec<Value> = state.ledger.store().proposals()?.iter().map(|p| proposal_view(p, &chain, false)).collect();
    Ok(Json(json!({ "proposals": views })))
}

/// `GET /api/v1/roster/proposals/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/roster/proposals/{id}",
    operation_id = "proposal",
    tag = "roster",
    summary = "One pending proposal, with its record hex for signing offline.",
    params(doc::ProposalIdPath),
    responses(
        (status = 200, description = "The proposal, with `record`.", body = doc::Proposal),
        doc::BadInput,
        doc::NotFound,
        doc::NoFederation,
    ),
)]
pub(super) async fn get(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    let chain = chain(&state)?;
    let proposal = pending(&state, &id)?;
    Ok(Json(proposal_view(&proposal, &chain, true)))
}

/// `POST /api/v1/roster/proposals`: a roster-update record, as canonical bytes or
/// `{"record": "<hex>"}`. Copies of a pending proposal merge their countersignatures into it.
#[utoipa::path(
    post,
    path = "/api/v1/roster/proposals",
    operation_id = "propose",
    tag = "roster",
    summary = "Submit a roster version that still lacks countersignatures. Everything but the threshold is verified. A copy of a pending proposal merges its countersignatures; a proposal that meets the threshold is adopted at once.",
    request_body(description = "A record's canonical bytes, raw or as hex in JSON.", content((inline(doc::Bytes) = "application/octet-stream"), (super::extract::HexRecord = "application/json"))),
    responses(
        (status = 200, description = "Merged into a pending proposal, or already adopted.", body = inline(doc::ProposalOrAdopted)),
        (status = 201, description = "The threshold is met: adopted as the next roster version.", body = doc::Adopted),
        (status = 202, description = "Stored as a pending proposal.", body = doc::Proposal),
        doc::BadInput,
        doc::ProposalConflict,
        doc::WriteFailures,
        doc::UploadRefusals,
    ),
)]
pub(super) async fn submit(S(state): S<State>, RecordUpload(bytes): RecordUpload) -> Result<Response, Error> {
    let record = Record::<Unverified>::decode(&bytes).map_err(|e| Error::rejection(&Rejection::Malformed(e), None))?;
    if record.header().kind != Kind::RosterUpdate {
        return Err(Error::Rejected {
            code: "not_a_roster_update",
            message: format!(
                "a proposal is a roster-update record, not a {} record; submit other records to POST /api/v1/records",
                record.header().kind.name()
            ),
        });
    }
    state.blocking(move |s| submit_blocking(s, record)).await
}

fn submit_blocking(state: &State, record: Record<Unverified>) -> Result<Response, Error> {
    let _guard = state.proposals.lock().expect("proposals lock poisoned");
    let id = record.id();
    if state.ledger.store().contains(&id)? {
        return Ok((StatusCode::OK, axum::Json(json!({ "id": id.to_hex(), "status": "adopted" }))).into_response());
    }
    let h = record.header();
    if !h.author.verify_strict(&h.signing_input(), record.signature()) {
        return Err(Error::rejection(&Rejection::BadSignature { key: h.author }, Some(Kind::RosterUpdate)));
    }
    let existing = state.ledger.store().proposal(&id)?;
    proposal::check(&*chain(state)?, state.ledger.store(), &record, existing.is_none()).map_err(conflict)?;
    let record = match &existing {
        Some(held) => record.merge_countersignatures(held.countersignatures()),
        None => record,
    };
    if existing.is_none() && state.ledger.store().proposals()?.len() >= MAX_PROPOSALS {
        return Err(Error::Conflict {
            code: "too_many_proposals",
            message: format!("{MAX_PROPOSALS} roster proposals are already pending; adopt or drop one first"),
        });
    }
    settle(state, record, if existing.is_some() { StatusCode::OK } else { StatusCode::ACCEPTED })
}

/// A countersignature sent for a proposal.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CountersignatureUpload)]
pub(super) struct CountersignatureBody {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    key: String,
    #[schema(pattern = "^[0-9a-f]{128}$")]
    signature: String,
}

/// `POST /api/v1/roster/proposals/{id}/countersignatures` with `{"key": "<hex>", "signature": "<hex>"}`:
/// an organisation key's signature over the proposal's header signing input.
#[utoipa::path(
    post,
    path = "/api/v1/roster/proposals/{id}/countersignatures",
    operation_id = "countersignProposal",
    tag = "roster",
    summary = "Add an organisation key's countersignature over the proposal's header signing input (`signing_input` in the proposal). Adopts the proposal when the threshold is met.",
    params(doc::ProposalIdPath),
    request_body = CountersignatureBody,
    responses(
        (status = 200, description = "Added; still pending.", body = doc::Proposal),
        (status = 201, description = "The threshold is met: adopted as the next roster version.", body = doc::Adopted),
        doc::BadInput,
        doc::NotFound,
        doc::WriteFailures,
        doc::UploadRefusals,
    ),
)]
pub(super) async fn countersign(
    S(state): S<State>,
    Path(id): Path<String>,
    Json(body): Json<CountersignatureBody>,
) -> Result<Response, Error> {
    let id = extract::record_id(&id)?;
    let c = Countersignature { key: extract::public_key(&body.key)?, signature: extract::signature(&body.signature)? };
    state.blocking(move |s| countersign_blocking(s, &id, c)).await
}

fn countersign_blocking(state: &State, id: &RecordId, c: Countersignature) -> Result<Response, Error> {
    let _guard = state.proposals.lock().expect("proposals lock poisoned");
    let proposal = pending(state, id)?;
    let chain = chain(state)?;
    proposal::check(&chain, state.ledger.store(), &proposal, false).map_err(conflict)?;
    let h = proposal.header();
    let roster = chain.at(h.roster).unwrap_or_else(|| chain.current());
    let is_org = roster.keys.get(&c.key).is_some_and(|g| g.kind == KeyKind::Organisation);
    if !is_org {
        return Err(Error::Rejected {
            code: "bad_countersignature",
            message: format!(
                "key {} is not the organisation key of a member in roster version {}; only members' \
                 organisation keys countersign roster versions",
                c.key, roster.version
            ),
        });
    }
    if !c.key.verify_strict(&h.signing_input(), &c.signature) {
        return Err(Error::Rejected {
            code: "bad_countersignature",
            message: format!(
                "the signature of {} does not verify over this proposal's header signing input \
                 (\"samverka/v1/header\\0\" followed by the canonical header)",
                c.key
            ),
        });
    }
    let merged = proposal.merge_countersignatures(&[c]);
    settle(state, merged, StatusCode::OK)
}

/// Adopts `record` if it now meets the threshold, else stores it as pending (answering
/// `pending_status`).
fn settle(state: &State, record: Record<Unverified>, pending_status: StatusCode) -> Result<Response, Error> {
    let chain = chain(state)?;
    let id = record.id();
    match validate::verify(record.clone(), &chain) {
        Ok(_) => {
            let outcome = ingest(state, record, Source::Api)?;
            state.ledger.store().remove_proposal(&id)?;
            let version = state.ledger.chain().map(|c| c.current().version);
            tracing::info!(record = %id, roster_version = ?version, "roster proposal adopted");
            let status = if matches!(outcome, Outcome::Duplicate(_)) { StatusCode::OK } else { StatusCode::CREATED };
            let body = json!({ "id": id.to_hex(), "status": "adopted", "roster_version": version });
            Ok((status, axum::Json(body)).into_response())
        }
        Err(Rejection::ThresholdNotMet { .. }) => {
            state.ledger.store().put_proposal(&record)?;
            Ok((pending_status, axum::Json(proposal_view(&record, &chain, false))).into_response())
        }
        Err(r) => {
            state.metrics.rejection(r.code());
            Err(Error::rejection(&r, Some(Kind::RosterUpdate)))
        }
    }
}

/// A second proposal for one roster version is a conflict the proposer resolves (409).
fn conflict(e: proposal::Error) -> Error {
    match e {
        proposal::Error::Conflict(c) => Error::Conflict { code: c.code(), message: c.to_string() },
        proposal::Error::Storage(e) => e.into(),
    }
}

fn pending(state: &State, id: &RecordId) -> Result<Record<Unverified>, Error> {
    state.ledger.store().proposal(id)?.ok_or_else(|| {
        Error::not_found(
            "unknown_proposal",
            format!("no roster proposal {id} is pending here (it may have been adopted)"),
        )
    })
}

/// A proposal with who has signed it and who is still needed. `with_record` adds the record's
/// hex, for signing offline.
fn proposal_view(record: &Record<Unverified>, chain: &RosterChain, with_record: bool) -> Value {
    let h = record.header();
    let update = record.body().and_then(|b| RosterUpdate::from_bytes(b).ok());
    let roster = chain.at(h.roster).unwrap_or_else(|| chain.current());
    let (required, need) = match &update {
        Some(u) => roster.required_signers(&u.changes),
        None => (BTreeSet::new(), 0),
    };
    let signers = std::iter::once(h.author).chain(record.countersignatures().iter().map(|c| c.key));
    let signed: BTreeSet<MemberId> = roster.signing_members(signers).intersection(&required).cloned().collect();
    let missing: Vec<&MemberId> = required.difference(&signed).collect();
    let (status, problem) = match validate::verify(record.clone(), chain) {
        Err(Rejection::ThresholdNotMet { .. }) => ("pending", None),
        Ok(_) => ("ready", None),
        Err(r) => ("stale", Some(r.to_string())),
    };
    let mut view = json!({
        "id": record.id().to_hex(),
        "status": status,
        "problem": problem,
        "proposer": h.author.to_hex(),
        "proposer_member": member_of(chain, &h.author),
        "roster": h.roster,
        "update": update.as_ref().map(update_view),
        "signed_by": signed,
        "missing": missing,
        "have": signed.len(),
        "need": need,
        "signing_input": hex::encode(h.signing_input()),
    });
    if with_record {
        view["record"] = json!(hex::encode(record.bytes()));
    }
    view
}
