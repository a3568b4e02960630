//! Support cases over HTTP: the cases per line with their SLA clocks, one case with its steps,
//! the breaches per member, category and month, and the SLA tables held with their adoption. Every state and clock comes from
//! [`crate::support`]; the instant the clocks are read at is `?at=<ms>` or the node's clock.
//!
//! Cases and events arrive through `POST /api/v1/records` like every other record
//! (`samverka support open|event` sign on the person's machine).

use axum::extract::State as S;
use samverka_protocol::plan::Adoption;
use samverka_protocol::support::{Action, Clock, Hours, Reading, Schedule, TableState, Target};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query};
use super::openapi as doc;
use super::{Error, Routes, State};
use crate::support::{self, Case, Inbox};
use samverka_protocol::{MemberId, RecordId};

impl Routes {
    /// The support routes.
    pub(super) fn support(self) -> Routes {
        self.get("/api/v1/support/cases", list)
            .get("/api/v1/support/cases/{id}", one)
            .get("/api/v1/support/breaches", breaches)
            .get("/api/v1/support/sla", sla)
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

/// `?line=1&member=…` or `?line=2`, `?at=<ms>`, and a page: `limit` and `offset`.
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
    /// Cases per page, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// How many cases of the ordered inbox to skip (default 0): the previous answer's
    /// `next_offset`. The order is by deadline, read at `at`: pass the same `at` for every page.
    #[param(minimum = 0)]
    offset: Option<usize>,
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
        "table": c.table.map(|t| t.to_hex()),
        "table_name": c.table_name,
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
    summary = "The support cases held — every one, line 1's (one member's) or line 2's (with the förvaltningsgrupp or the vendor) — with stage, priority and each SLA clock read at `at`: elapsed, remaining, deadline, paused, breached. The earliest running deadline first, a page of `limit` from `offset`; `total` counts the inbox and `next_offset` starts the next page (null on the last).",
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
    let (mut list, tables) = state
        .blocking(move |s| {
            let store = s.ledger.store();
            Ok((support::cases(store, &chain, &inbox, now).map_err(query)?, support::tables(store).map_err(query)?))
        })
        .await?;
    if let Some(m) = &member {
        list.retain(|c| c.history.member() == m);
    }
    let total = list.len();
    let first = q.offset.unwrap_or(0).min(total);
    let last = first.saturating_add(super::records::page_limit(q.limit)?).min(total);
    Ok(Json(json!({
        "at_ms": now,
        "table": tables.table(now).name,
        "total": total,
        "next_offset": (last < total).then_some(last),
        "cases": list[first..last].iter().map(summary_view).collect::<Vec<_>>(),
    })))
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
    let (sums, tables) = state
        .blocking(move |s| {
            let store = s.ledger.store();
            Ok((support::breaches(store, now).map_err(query)?, support::tables(store).map_err(query)?))
        })
        .await?;
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
    Ok(Json(json!({ "at_ms": now, "table": tables.table(now).name, "breaches": rows })))
}

fn target_view(t: Option<Target>) -> Value {
    t.map_or(Value::Null, |t| {
        json!({
            "start_min": t.start_min,
            "inform_min": t.inform_min,
            "downtime_min": t.downtime_min,
            "hours": hours_name(t.hours),
        })
    })
}

fn table_view(t: &TableState, in_force: Option<RecordId>) -> Value {
    let adoption = match &t.adoption {
        Adoption::NotAdopted => json!({ "faststalld": false }),
        Adoption::Adopted { matter, closing } => {
            json!({ "faststalld": true, "matter": matter.to_hex(), "closing": closing.to_hex() })
        }
    };
    json!({
        "id": t.id.to_hex(),
        "name": t.body.name,
        "from": t.body.from,
        "replaces": t.body.replaces.map(|r| r.to_hex()),
        "high": target_view(t.body.high),
        "medium": target_view(t.body.medium),
        "low": target_view(t.body.low),
        "adoption": adoption,
        "since_ms": t.since_ms,
        "in_force": in_force == Some(t.id),
    })
}

fn sla_view(tables: &Schedule, now: i64) -> Value {
    let in_force = tables.in_force(now).map(|t| t.id);
    let default = samverka_protocol::support::Table::WEBCARE;
    json!({
        "at_ms": now,
        "in_force": in_force.map(|t| t.to_hex()),
        "in_force_name": tables.table(now).name,
        "default": {
            "name": default.name,
            "high": target_view(default.high),
            "medium": target_view(default.medium),
            "low": target_view(default.low),
        },
        "tables": tables.tables().iter().map(|t| table_view(t, in_force)).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/support/sla`: the SLA tables held with their adoption, and the one in force.
#[utoipa::path(
    get,
    path = "/api/v1/support/sla",
    operation_id = "getSupportSla",
    tag = "support",
    summary = "The SLA tables held (kind sla-table) with their targets per priority, adoption (fastställd by an övrigt matter naming the table) and since when each is in force; the table in force at `at`; and the default, WebCare's, which clocks a case reported while no adopted table is in force.",
    params(AtQuery),
    responses(
        (status = 200, description = "The tables.", body = inline(doc::SupportSla)),
        doc::BadLine,
        doc::ReadFailures,
    ),
)]
pub(super) async fn sla(S(state): S<State>, Query(q): Query<AtQuery>) -> Result<Json<Value>, Error> {
    let now = at(q.at);
    let tables = state.blocking(move |s| support::tables(s.ledger.store()).map_err(query)).await?;
    Ok(Json(sla_view(&tables, now)))
}
