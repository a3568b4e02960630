//! Support cases over HTTP: the cases per line with their SLA clocks, one case with its steps,
//! and the breaches per member, category and month. Every state and clock comes from
//! [`crate::support`]; the instant the clocks are read at is `?at=<ms>` or the node's clock.
//!
//! Cases and events arrive through `POST /api/v1/records` like every other record
//! (`samverka support open|event` sign on the person's machine).

use axum::extract::State as S;
use samverka_protocol::support::{Action, Clock, Hours, Reading};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query};
use super::openapi as doc;
use super::{Error, Routes, State};
use crate::support::{self, Case, Inbox};
use samverka_protocol::MemberId;

impl Routes {
    /// The support routes.
    pub(super) fn support(self) -> Routes {
        self.get("/api/v1/support/cases", list)
            .get("/api/v1/support/cases/{id}", one)
            .get("/api/v1/support/breaches", breaches)
    }
}

/// `?at=<ms>`: the instant clocks are read at.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AtQuery {
    /// The instant the SLA clocks are read at, milliseconds since 1970-01-01T00:00Z; default:
    /// the node's clock. A display: no rule depends on it.
    at: Option<i64>,
}

/// `?line=1&member=…` or `?line=2`, and `?at=<ms>`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct CasesQuery {
    /// `1`: line 1's inbox, the cases raised for members (with `member`, that member's: what its
    /// objektspecialist sees); `2`: line 2's inbox, the cases with the förvaltningsgrupp or the
    /// vendor (with `member`, those raised for that member); absent: as `1`.
    #[param(minimum = 1, maximum = 2)]
    line: Option<u8>,
    /// Only the cases raised for this member (kommunkod).
    member: Option<String>,
    /// As in `AtQuery`.
    at: Option<i64>,
}

fn query(e: crate::governance::Error) -> Error {
    match e {
        crate::governance::Error::NoFederation => Error::NoFederation,
        e => Error::Internal(e.to_string()),
    }
}

fn hours_name(h: Hours) -> &'static str {
    match h {
        Hours::Business => "business",
        Hours::AllDay => "all_day",
    }
}

fn clock_view((clock, r): &(Clock, Reading)) -> Value {
    json!({
        "clock": clock.kind.name(),
        "hours": hours_name(clock.hours),
        "target_ms": clock.target_ms,
        "from_ms": clock.from_ms,
        "stopped_ms": clock.stopped_ms,
        "elapsed_ms": r.elapsed_ms,
        "remaining_ms": r.remaining_ms,
        "deadline_ms": r.deadline_ms,
        "stopped": r.stopped,
        "paused": r.paused,
        "breached": r.breached,
    })
}

fn summary_view(c: &Case) -> Value {
    let h = &c.history;
    json!({
        "id": h.id.to_hex(),
        "member": h.member(),
        "member_name": c.member_name,
        "category": h.case.category,
        "priority": h.case.priority.name(),
        "title": h.case.title,
        "reported_ms": h.reported_ms,
        "stage": h.state.stage.name(),
        "paused": h.state.paused,
        "breached": c.breached(),
        "next_deadline_ms": c.next_deadline(),
        "clocks": c.clocks.iter().map(clock_view).collect::<Vec<_>>(),
    })
}

fn detail_view(c: &Case) -> Value {
    let h = &c.history;
    let mut v = summary_view(c);
    v["description"] = json!(h.case.description);
    v["reporter"] = json!(h.reporter.to_string());
    v["vendor_reference"] = json!(h.vendor_reference);
    v["head"] = json!(h.head.to_hex());
    v["steps"] = h
        .steps
        .iter()
        .map(|s| {
            let reference = match &s.action {
                Action::Vendor { reference } => Some(reference.as_str()),
                _ => None,
            };
            json!({
                "id": s.id.to_hex(),
                "time_ms": s.time_ms,
                "author": s.author.to_string(),
                "action": s.action.name(),
                "reference": reference,
                "text": s.text,
                "counted": s.counted,
            })
        })
        .collect();
    v
}

fn at(at: Option<i64>) -> i64 {
    at.unwrap_or_else(support::now_ms)
}

/// `GET /api/v1/support/cases`: the cases of a line's inbox with their SLA clocks.
#[utoipa::path(
    get,
    path = "/api/v1/support/cases",
    operation_id = "listSupportCases",
    tag = "support",
    summary = "The support cases held — every one, line 1's (one member's) or line 2's (with the förvaltningsgrupp or the vendor) — with stage, priority and each SLA clock read at `at`: elapsed, remaining, deadline, paused, breached. The earliest running deadline first.",
    params(CasesQuery),
    responses(
        (status = 200, description = "The cases.", body = inline(doc::SupportCases)),
        doc::BadLine,
        doc::ReadFailures,
    ),
)]
pub(super) async fn list(S(state): S<State>, Query(q): Query<CasesQuery>) -> Result<Json<Value>, Error> {
    let member: Option<MemberId> = q.member;
    let inbox = match q.line {
        None | Some(1) => member.clone().map_or(Inbox::All, Inbox::Member),
        Some(2) => Inbox::Forvaltning,
        Some(_) => {
            return Err(Error::bad_request("bad_query", "line is 1 (a member's cases) or 2 (the förvaltningsgrupp's)"))
        }
    };
    let now = at(q.at);
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let mut list =
        state.blocking(move |s| support::cases(s.ledger.store(), &chain, &inbox, now).map_err(query)).await?;
    if let Some(m) = &member {
        list.retain(|c| c.history.member() == m);
    }
    Ok(Json(
        json!({ "at_ms": now, "table": support::TABLE.name, "cases": list.iter().map(summary_view).collect::<Vec<_>>() }),
    ))
}

/// `GET /api/v1/support/cases/{id}`: one case with its steps and clocks.
#[utoipa::path(
    get,
    path = "/api/v1/support/cases/{id}",
    operation_id = "getSupportCase",
    tag = "support",
    summary = "A support case: its body, stage, the vendor's reference, every step (escalation, start, messages, pauses, information, resolution …; `counted` false for a step on a side branch) and its SLA clocks read at `at`.",
    params(doc::RecordIdPath, AtQuery),
    responses(
        (status = 200, description = "The case.", body = inline(doc::SupportCaseDetail)),
        doc::BadInput,
        doc::UnknownSupportCase,
        doc::ReadFailures,
    ),
)]
pub(super) async fn one(
    S(state): S<State>,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    let now = at(q.at);
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let case = state.blocking(move |s| support::case(s.ledger.store(), &chain, &id, now).map_err(query)).await?;
    let case = case.ok_or_else(|| {
        Error::not_found(
            "unknown_support_case",
            format!("no support case {id} is held here; see GET /api/v1/support/cases"),
        )
    })?;
    Ok(Json(detail_view(&case)))
}

/// `GET /api/v1/support/breaches`: cases and breached clocks per member, category and month.
#[utoipa::path(
    get,
    path = "/api/v1/support/breaches",
    operation_id = "getSupportBreaches",
    tag = "support",
    summary = "Cases, cases with a breached SLA clock, and breached clocks per clock, summed per member, category and the Stockholm month the case was reported in, read at `at`.",
    params(AtQuery),
    responses(
        (status = 200, description = "The sums.", body = inline(doc::SupportBreaches)),
        doc::BadLine,
        doc::ReadFailures,
    ),
)]
pub(super) async fn breaches(S(state): S<State>, Query(q): Query<AtQuery>) -> Result<Json<Value>, Error> {
    let now = at(q.at);
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let sums = state.blocking(move |s| support::breaches(s.ledger.store(), now).map_err(query)).await?;
    let rows: Vec<Value> = sums
        .iter()
        .map(|(k, b)| {
            json!({
                "member": k.member,
                "member_name": crate::governance::member_name(&chain, &k.member),
                "category": k.category,
                "month": k.month,
                "cases": b.cases,
                "breached_cases": b.breached_cases,
                "clocks": b.clocks.iter().map(|(c, n)| (c.name(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "at_ms": now, "table": support::TABLE.name, "breaches": rows })))
}
