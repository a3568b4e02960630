//! Records: read one (JSON view or canonical bytes), list them by kind or by author, submit one
//! signed elsewhere, see who holds it, and list the authors caught equivocating.

use axum::extract::State as S;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use samverka_protocol::evidence::{Equivocation, Redaction, SignedHeader};
use samverka_protocol::{
    Body, Charter, Header, Kind, MemberId, PublicKey, Record, RecordId, Rejection, RosterChain, RosterUpdate,
    Unverified, Verified,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query, RecordUpload};
use super::openapi as doc;
use super::roster::{charter_view, update_view};
use super::{Error, State};
use crate::ledger::Outcome;
use crate::metrics::Source;
use crate::storage::MAX_PAGE;

/// Records per page when the request names no `limit`.
pub const DEFAULT_PAGE: usize = 100;

/// The query of `GET /api/v1/records`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// A kind name, e.g. `note`, `roster-update`.
    #[param(value_type = Option<doc::KindName>)]
    kind: Option<String>,
    /// `next_cursor` from the previous page, unchanged.
    #[param(min_length = 16, max_length = 16, pattern = "^[0-9a-fA-F]{16}$")]
    cursor: Option<String>,
    /// Records per page, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /api/v1/records?kind=&cursor=&limit=`
#[utoipa::path(
    get,
    path = "/api/v1/records",
    operation_id = "records",
    tag = "records",
    summary = "Records in arrival order, optionally of one kind, paged with an opaque cursor.",
    params(ListQuery),
    responses(
        (status = 200, description = "A page.", body = doc::RecordPage),
        doc::BadInput,
        doc::Internal,
    ),
)]
pub(super) async fn list(S(state): S<State>, Query(q): Query<ListQuery>) -> Result<Json<Value>, Error> {
    let kind = q.kind.as_deref().map(parse_kind).transpose()?;
    let after = q.cursor.as_deref().map(extract::decode_cursor).transpose()?;
    let limit = page_limit(q.limit)?;
    let (records, last) = state.ledger.store().by_kind(kind, after, limit)?;
    let chain = state.ledger.chain();
    let next = if records.len() >= limit { last.map(extract::encode_cursor) } else { None };
    let views: Vec<Value> = records.iter().map(|r| summary_view(r, chain.as_deref())).collect();
    Ok(Json(json!({ "records": views, "next_cursor": next })))
}

/// The query of `GET /api/v1/authors/{key}/records`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuthorQuery {
    /// First seq (default 0), at most 2^64 − 1.
    #[param(maximum = 18446744073709551615usize)]
    from_seq: Option<u64>,
    /// Records per page, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /api/v1/authors/{key}/records?from_seq=&limit=`
#[utoipa::path(
    get,
    path = "/api/v1/authors/{key}/records",
    operation_id = "recordsByAuthor",
    tag = "records",
    summary = "An author's records in chain order, from `from_seq`.",
    params(doc::AuthorPath, AuthorQuery),
    responses(
        (status = 200, description = "A page.", body = doc::AuthorPage),
        doc::BadInput,
        doc::Internal,
    ),
)]
pub(super) async fn by_author(
    S(state): S<State>,
    Path(key): Path<String>,
    Query(q): Query<AuthorQuery>,
) -> Result<Json<Value>, Error> {
    let author = extract::public_key(&key)?;
    let limit = page_limit(q.limit)?;
    let records = state.ledger.store().by_author(&author, q.from_seq.unwrap_or(0), limit)?;
    let next = match records.last() {
        Some(last) if records.len() >= limit => last.header().seq.checked_add(1),
        _ => None,
    };
    let chain = state.ledger.chain();
    let member = chain.as_deref().and_then(|c| member_of(c, &author));
    let views: Vec<Value> = records.iter().map(|r| summary_view(r, chain.as_deref())).collect();
    Ok(Json(json!({ "author": author.to_hex(), "member": member, "records": views, "next_seq": next })))
}

/// The query of `GET /api/v1/records/{id}`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct GetQuery {
    /// `json` (default) or `raw`.
    #[param(value_type = Option<RecordFormat>)]
    format: Option<String>,
}

/// How `GET /api/v1/records/{id}` answers.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code, reason = "it describes `format`'s values, read as a string")]
pub(super) enum RecordFormat {
    Json,
    Raw,
}

/// `GET /api/v1/records/{id}?format=json|raw`
#[utoipa::path(
    get,
    path = "/api/v1/records/{id}",
    operation_id = "record",
    tag = "records",
    summary = "One record: a JSON view, or its canonical bytes with `format=raw`.",
    params(doc::RecordIdPath, GetQuery),
    responses(
        (status = 200, description = "The record.", content((doc::Record = "application/json"), (inline(doc::Bytes) = "application/octet-stream"))),
        doc::BadInput,
        doc::NotFound,
        doc::Internal,
    ),
)]
pub(super) async fn get(
    S(state): S<State>,
    Path(id): Path<String>,
    Query(q): Query<GetQuery>,
) -> Result<Response, Error> {
    let id = extract::record_id(&id)?;
    let raw = match q.format.as_deref() {
        None | Some("json") => false,
        Some("raw") => true,
        Some(other) => {
            return Err(Error::bad_request(
                "bad_format",
                format!("format {other:?} is not offered: use `json` (the default) or `raw` (canonical bytes)"),
            ))
        }
    };
    let record = held(&state, &id)?;
    if raw {
        return Ok(([(header::CONTENT_TYPE, "application/octet-stream")], record.bytes().to_vec()).into_response());
    }
    Ok(Json(record_view(&record, state.ledger.chain().as_deref())).into_response())
}

/// `POST /api/v1/records`: a record signed elsewhere, as canonical bytes or `{"record": "<hex>"}`.
#[utoipa::path(
    post,
    path = "/api/v1/records",
    operation_id = "submitRecord",
    tag = "records",
    summary = "Submit a record signed elsewhere. Verified and stored through the node's one ingest path.",
    request_body(description = "A record's canonical bytes, raw or as hex in JSON.", content((inline(doc::Bytes) = "application/octet-stream"), (super::extract::HexRecord = "application/json"))),
    responses(
        (status = 200, description = "Already held (`duplicate`).", body = doc::IngestOutcome),
        (status = 201, description = "Stored (`stored` or `equivocation`).", body = doc::IngestOutcome),
        (status = 202, description = "Parked: genuine, but waiting for the roster version it names, a record it references, or (from a peer) its author's previous record (`parked`).", body = doc::IngestOutcome),
        doc::BadInput,
        doc::ChainConflict,
        doc::ParkingFull,
        doc::DiskFull,
        doc::ReadFailures,
        doc::UploadRefusals,
    ),
)]
pub(super) async fn submit(S(state): S<State>, RecordUpload(bytes): RecordUpload) -> Result<Response, Error> {
    let record = Record::<Unverified>::decode(&bytes).map_err(|e| {
        state.metrics.rejection("malformed");
        Error::rejection(&Rejection::Malformed(e), None)
    })?;
    let kind = record.header().kind;
    if kind == Kind::Charter && state.ledger.federation().is_none() {
        // Founding the node's federation is the operator's decision (`samverka init`), not a
        // request anyone who reaches the API can make.
        return Err(Error::NoFederation);
    }
    let outcome = state.ledger.submit(crate::ledger::Source::Api, record).await;
    Ok(outcome_response(&counted(&state, outcome, kind, Source::Api)?))
}

/// `POST /api/v1/records/check`: what submitting the record would give, with nothing stored.
#[utoipa::path(
    post,
    path = "/api/v1/records/check",
    operation_id = "checkRecord",
    tag = "records",
    summary = "Judge a signed record by every rule of the ingest path without storing it: what submitting it would give. Signers call this before they keep a chain position.",
    request_body(description = "A record's canonical bytes, raw or as hex in JSON.", content((inline(doc::Bytes) = "application/octet-stream"), (super::extract::HexRecord = "application/json"))),
    responses(
        (status = 200, description = "What submitting it would give: `stored`, `duplicate`, `parked` or `equivocation`. Nothing was stored.", body = doc::IngestOutcome),
        doc::BadInput,
        doc::WouldConflict,
        doc::TooLarge,
        doc::NotARecordType,
        doc::WouldBeRejected,
        doc::WriteFailures,
    ),
)]
pub(super) async fn check(S(state): S<State>, RecordUpload(bytes): RecordUpload) -> Result<Json<Value>, Error> {
    let record = Record::<Unverified>::decode(&bytes).map_err(|e| Error::rejection(&Rejection::Malformed(e), None))?;
    let kind = record.header().kind;
    let outcome = state
        .blocking(move |s| s.ledger.check(crate::ledger::Source::Api, record).map_err(|e| Error::ingest(e, Some(kind))))
        .await?;
    Ok(Json(json!({ "id": outcome.id().to_hex(), "outcome": outcome_name(&outcome) })))
}

/// The outcome's name in API answers.
fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Stored(_) => "stored",
        Outcome::Duplicate(_) => "duplicate",
        Outcome::Parked(_) => "parked",
        Outcome::Equivocation { .. } => "equivocation",
    }
}

/// Ingests one record through the ledger, counting the outcome.
pub(super) fn ingest(state: &State, record: Record<Unverified>, source: Source) -> Result<Outcome, Error> {
    let kind = record.header().kind;
    counted(state, state.ledger.ingest_one(crate::ledger::Source::Api, record), kind, source)
}

/// Counts an ingest's outcome for a record of `kind` in the metrics, as an API answer.
fn counted(
    state: &State,
    outcome: Result<Outcome, crate::ledger::Error>,
    kind: Kind,
    source: Source,
) -> Result<Outcome, Error> {
    match outcome {
        Ok(outcome) => {
            if matches!(outcome, Outcome::Stored(_) | Outcome::Equivocation { .. }) {
                state.metrics.record_ingested(source);
                refresh_stored(state);
            }
            Ok(outcome)
        }
        Err(e) => {
            if e.is_offence() {
                state.metrics.rejection(e.code());
            }
            Err(Error::ingest(e, Some(kind)))
        }
    }
}

/// Sets `samverka_records_stored` from the store's count.
pub(super) fn refresh_stored(state: &State) {
    if let Ok(count) = state.ledger.store().count() {
        state.metrics.records_stored.set(i64::try_from(count).unwrap_or(i64::MAX));
    }
}

/// 201 for a newly stored record, 200 for a duplicate, 202 for one parked until its roster
/// version arrives.
pub(super) fn outcome_response(outcome: &Outcome) -> Response {
    let id = outcome.id().to_hex();
    let mut body = json!({ "id": id, "outcome": outcome_name(outcome) });
    let status = match outcome {
        Outcome::Stored(_) => StatusCode::CREATED,
        Outcome::Duplicate(_) => StatusCode::OK,
        Outcome::Parked(_) => StatusCode::ACCEPTED,
        Outcome::Equivocation { conflicts, .. } => {
            body["conflicts"] = conflicts.iter().map(|c| c.to_hex()).collect();
            StatusCode::CREATED
        }
    };
    let location = format!("/api/v1/records/{id}");
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(v) = location.parse() {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// `GET /api/v1/records/{id}/receipts`: which members' nodes hold the record.
#[utoipa::path(
    get,
    path = "/api/v1/records/{id}/receipts",
    operation_id = "receipts",
    tag = "records",
    summary = "Which members' nodes hold the record (replication receipts).",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "Receipts.", body = doc::Receipts),
        doc::BadInput,
        doc::NotFound,
        doc::Internal,
    ),
)]
pub(super) async fn receipts(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    held(&state, &id)?;
    Ok(Json(receipt(&state, &id).await))
}

/// Which members' nodes hold `id`, as the receipts endpoint and the status show it
/// ("lagrad hos 12 av 14 medlemmar").
pub(super) async fn receipt(state: &State, id: &RecordId) -> Value {
    let mut held_by: Vec<MemberId> = match &state.network {
        Some(network) => network.holders(id).await,
        None => state.member().into_iter().collect(),
    };
    held_by.sort();
    held_by.dedup();
    let members = state.ledger.chain().map_or(0, |c| c.current().members.len());
    let text = format!("lagrad hos {} av {members} medlemmar", held_by.len());
    json!({ "id": id.to_hex(), "held_by": held_by, "members": members, "text": text })
}

/// `GET /api/v1/equivocators`
#[utoipa::path(
    get,
    path = "/api/v1/equivocators",
    operation_id = "equivocators",
    tag = "records",
    summary = "Authors caught signing two records at one position, with the records.",
    responses(
        (status = 200, description = "Equivocators.", body = inline(doc::Equivocators)),
        doc::Internal,
    ),
)]
pub(super) async fn equivocators(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = state.ledger.chain();
    let list: Vec<Value> = state
        .ledger
        .store()
        .equivocators()?
        .into_iter()
        .map(|(author, ids)| {
            json!({
                "author": author.to_hex(),
                "member": chain.as_deref().and_then(|c| member_of(c, &author)),
                "records": ids.iter().map(|i| i.to_hex()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "equivocators": list })))
}

fn held(state: &State, id: &RecordId) -> Result<Record<Verified>, Error> {
    state
        .ledger
        .store()
        .get(id)?
        .ok_or_else(|| Error::not_found("unknown_record", format!("no record {id} is held here")))
}

fn parse_kind(name: &str) -> Result<Kind, Error> {
    Kind::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        Error::bad_request("unknown_kind", format!("{name:?} is not a record kind; the kinds are {}", names.join(", ")))
    })
}

/// The page size a request asks for: [`DEFAULT_PAGE`] when it names none, else 1..=[`MAX_PAGE`].
pub(super) fn page_limit(limit: Option<usize>) -> Result<usize, Error> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(Error::bad_request("bad_limit", format!("limit {n} is outside 1..={MAX_PAGE}"))),
    }
}

/// The member a key speaks (or spoke) for, from the newest roster version that lists it.
pub(super) fn member_of(chain: &RosterChain, key: &PublicKey) -> Option<MemberId> {
    chain.versions().iter().rev().find_map(|r| r.keys.get(key)).map(|g| g.member.clone())
}

fn header_view(h: &Header) -> Value {
    json!({
        "kind": h.kind.name(),
        "kind_code": u16::from(h.kind),
        "format": h.format,
        "federation": h.federation.to_hex(),
        "author": h.author.to_hex(),
        "seq": h.seq,
        "prev": h.prev.map(|p| p.to_hex()),
        "roster": h.roster,
        "body_hash": h.body_hash.to_hex(),
        "body_len": h.body_len,
        "time_ms": h.time_ms,
        "time": jiff::Timestamp::from_millisecond(h.time_ms).ok().map(|t| t.to_string()),
    })
}

/// A record without its body, for listings.
pub(super) fn summary_view<S>(record: &Record<S>, chain: Option<&RosterChain>) -> Value {
    let h = record.header();
    let mut view = header_view(h);
    view["id"] = json!(record.id().to_hex());
    view["author_member"] =
        json!(chain.and_then(|c| c.at(h.roster)).and_then(|r| r.keys.get(&h.author)).map(|g| &g.member));
    view["redacted"] = json!(record.body().is_none());
    view
}

/// A record in full: header fields, signatures, body as hex and, for kinds this node can read,
/// decoded.
pub(super) fn record_view<S>(record: &Record<S>, chain: Option<&RosterChain>) -> Value {
    let h = record.header();
    let mut view = summary_view(record, chain);
    let roster = chain.and_then(|c| c.at(h.roster));
    view["signature"] = json!(record.signature().to_hex());
    view["countersignatures"] = json!(record
        .countersignatures()
        .iter()
        .map(|c| json!({
            "key": c.key.to_hex(),
            "signature": c.signature.to_hex(),
            "member": roster.and_then(|r| r.keys.get(&c.key)).map(|g| &g.member),
        }))
        .collect::<Vec<_>>());
    view["body_hex"] = json!(record.body().map(hex::encode));
    view["body"] = record.body().and_then(|b| body_view(h.kind, b)).unwrap_or(Value::Null);
    view
}

fn body_view(kind: Kind, body: &[u8]) -> Option<Value> {
    match kind {
        Kind::Charter => Charter::from_bytes(body).ok().map(|c| charter_view(&c)),
        Kind::RosterUpdate => RosterUpdate::from_bytes(body).ok().map(|u| update_view(&u)),
        Kind::Note => std::str::from_utf8(body).ok().map(|text| json!({ "text": text })),
        Kind::Equivocation => Equivocation::from_bytes(body)
            .ok()
            .map(|e| json!({ "first": signed_header_view(&e.first), "second": signed_header_view(&e.second) })),
        Kind::Redaction => {
            Redaction::from_bytes(body).ok().map(|r| json!({ "target": r.target.to_hex(), "reason": r.reason }))
        }
        _ => None,
    }
}

fn signed_header_view(s: &SignedHeader) -> Value {
    let mut view = header_view(&s.header);
    view["id"] = json!(s.id().to_hex());
    view["signature"] = json!(s.signature.to_hex());
    view
}
