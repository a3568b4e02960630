//! Outage notices over HTTP: each notice with its updates, the all-clear and, per member, its
//! acknowledgement or since when it is missing. Every state comes from [`crate::outage`].
//!
//! Notices, updates, all-clears and acknowledgements arrive through `POST /api/v1/records` like
//! every other record (`samverka outage publish|update|clear|ack` sign on the person's machine).

use axum::extract::State as S;
use samverka_protocol::outage::State as Outage;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query};
use super::openapi as doc;
use super::{Error, Routes, State};
use crate::outage::{self, MemberLine, Report};

impl Routes {
    /// The outage routes.
    pub(super) fn outages(self) -> Routes {
        self.get("/api/v1/outages", list).get("/api/v1/outages/{id}", one)
    }
}

/// `?active=true`: only the notices still in force.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ActiveQuery {
    /// Only the notices with no all-clear held (default: every notice).
    active: Option<bool>,
}

fn query(e: crate::governance::Error) -> Error {
    match e {
        crate::governance::Error::NoFederation => Error::NoFederation,
        e => Error::Internal(e.to_string()),
    }
}

fn summary_view(r: &Report) -> Value {
    let (s, n) = (&r.state, &r.state.notice);
    json!({
        "id": s.id.to_hex(),
        "kind": n.kind.name(),
        "title": n.title,
        "affected": n.affected,
        "start_ms": n.start_ms,
        "expected_end_ms": s.expected_end_ms(),
        "published_ms": s.time_ms,
        "active": s.is_active(),
        "cleared_ms": s.cleared.as_ref().map(|c| c.time_ms),
        "updates": s.updates.len() + s.more_updates,
        "acknowledged": r.acknowledged(),
        "members": r.members.len(),
    })
}

fn member_view(published_ms: i64, m: &MemberLine) -> Value {
    match &m.acknowledged {
        Some((record, author, time_ms)) => json!({
            "member": m.member, "member_name": m.member_name,
            "acknowledged": { "record": record.to_hex(), "author": author.to_string(), "time_ms": time_ms },
        }),
        None => {
            json!({ "member": m.member, "member_name": m.member_name, "acknowledged": null, "missing_since_ms": published_ms })
        }
    }
}

fn state_view(s: &Outage) -> Value {
    json!({
        "text": s.notice.text,
        "author": s.author.to_string(),
        "updates": s.updates.iter().map(|u| json!({
            "record": u.id.to_hex(), "author": u.author.to_string(), "time_ms": u.time_ms, "text": u.text,
            "expected_end_ms": u.expected_end_ms, "after_clear": u.after_clear,
        })).collect::<Vec<_>>(),
        "more_updates": s.more_updates,
        "cleared": s.cleared.as_ref().map(|c| json!({
            "record": c.id.to_hex(), "author": c.author.to_string(), "time_ms": c.time_ms, "text": c.text,
        })),
    })
}

fn report_view(r: &Report) -> Value {
    let mut v = state_view(&r.state);
    v["summary"] = summary_view(r);
    v["members"] = r.members.iter().map(|m| member_view(r.state.time_ms, m)).collect();
    v
}

/// `GET /api/v1/outages`: every outage notice held, active first.
#[utoipa::path(
    get,
    path = "/api/v1/outages",
    operation_id = "listOutages",
    tag = "outages",
    summary = "Every outage notice held (driftstörning, planerat underhåll): the active ones first, then the cleared, newest first within each; with the expected end and how many members have acknowledged.",
    params(ActiveQuery),
    responses(
        (status = 200, description = "The notices.", body = inline(doc::Outages)),
        doc::BadActive,
        doc::ReadFailures,
    ),
)]
pub(super) async fn list(S(state): S<State>, Query(q): Query<ActiveQuery>) -> Result<Json<Value>, Error> {
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let all = state.blocking(move |s| outage::outages(s.ledger.store(), &chain).map_err(query)).await?;
    let shown = all.iter().filter(|r| !q.active.unwrap_or(false) || r.state.is_active());
    Ok(Json(json!({ "outages": shown.map(summary_view).collect::<Vec<_>>() })))
}

/// `GET /api/v1/outages/{id}`: one notice in full.
#[utoipa::path(
    get,
    path = "/api/v1/outages/{id}",
    operation_id = "getOutage",
    tag = "outages",
    summary = "An outage notice: its text, its updates (each marked when it follows the all-clear), the all-clear, and every member of the current roster with its acknowledgement (record, objektspecialist's key, claimed time) or since when it is missing.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "The notice.", body = doc::OutageDetail),
        doc::BadId,
        doc::UnknownOutage,
        doc::ReadFailures,
    ),
)]
pub(super) async fn one(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let report = state.blocking(move |s| outage::outage(s.ledger.store(), &chain, &id).map_err(query)).await?;
    let report = report.ok_or_else(|| {
        Error::not_found("unknown_outage", format!("no outage notice {id} is held here; see GET /api/v1/outages"))
    })?;
    Ok(Json(report_view(&report)))
}
