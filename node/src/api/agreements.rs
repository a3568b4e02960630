//! Agreements over HTTP: each version with its status, signatures, notices (with the rule
//! beside the date), withdrawals, history and decisions. Every status and date comes from
//! [`crate::agreement`]; the day asked about is `?on=YYYY-MM-DD` or today in Sweden.
//!
//! Signed agreements and agreement signatures arrive through `POST /api/v1/records` like every
//! other record (`samverka agreement draft|sign|notice|withdraw` sign on the person's machine).

use std::sync::Arc;

use axum::extract::State as S;
use axum::response::Response;
use samverka_protocol::agreement::{Agreement, Deadline, NoticeRule, Party, Status};
use samverka_protocol::governance::{Date, PaperRef};
use samverka_protocol::RosterChain;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query};
use super::openapi as doc;
use super::plans::file;
use super::{Error, Routes, State};
use crate::agreement::{self, export, PartyLine, Report, SignatureLine, Summary};

impl Routes {
    /// The agreement routes.
    pub(super) fn agreements(self) -> Routes {
        self.get("/api/v1/agreements", list)
            .get("/api/v1/agreements/{id}", one)
            .get("/api/v1/agreements/{id}/agreement.pdf", pdf)
            .get("/api/v1/agreements/{id}/deadline.ics", calendar)
    }
}

/// `?on=YYYY-MM-DD`: the day a status is computed for.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct OnQuery {
    /// The day the status is computed for, `YYYY-MM-DD` from 1900 on; default: today in
    /// Europe/Stockholm. A display: no rule depends on it.
    #[param(value_type = Option<String>, format = Date, pattern = "^(19|[2-9][0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
    on: Option<String>,
}

impl OnQuery {
    /// The day asked about: `on`, or today in Europe/Stockholm.
    fn day(&self) -> Result<Date, Error> {
        match &self.on {
            Some(on) => Date::parse(on).map_err(|e| Error::bad_request("bad_date", format!("on: {e}"))),
            None => Ok(agreement::today()),
        }
    }
}

fn query(e: crate::governance::Error) -> Error {
    match e {
        crate::governance::Error::NoFederation => Error::NoFederation,
        e => Error::Internal(e.to_string()),
    }
}

fn paper_view(p: &PaperRef) -> Value {
    json!({ "name": p.name, "content_hash": p.content_hash.to_hex(), "size": p.size })
}

fn rule_view(r: NoticeRule) -> Value {
    json!({ "months": r.months, "at_year_end": r.at_year_end, "text": agreement::rule_text(r) })
}

fn deadline_view(d: &Deadline) -> Value {
    json!({ "last_day": d.last_day.to_string(), "ends": d.ends.to_string() })
}

fn status_view(s: &Status) -> Value {
    let mut v = json!({ "status": s.name() });
    match s {
        Status::Utkast => {}
        Status::UnderSignering { signed, missing } => {
            v["signed"] = json!(signed);
            v["missing"] = json!(missing);
        }
        Status::Gallande { since } => v["since"] = json!(since.to_string()),
        Status::Andrat { by } => v["amended_by"] = json!(by.to_hex()),
        Status::Uppsagt { notice, given, ends } => {
            v["notice"] = json!(notice.to_hex());
            v["given"] = json!(given.to_string());
            v["ends"] = json!(ends.to_string());
        }
        Status::Upphort { ended, notice } => {
            v["ended"] = json!(ended.to_string());
            v["notice"] = json!(notice.map(|n| n.to_hex()));
        }
    }
    v
}

fn party_view(p: &Party) -> Value {
    match p {
        Party::Member { member } => json!({ "member": member }),
        Party::Outside { name, organisationsnummer } => {
            json!({ "outside": name, "organisationsnummer": organisationsnummer })
        }
    }
}

fn agreement_view(a: &Agreement) -> Value {
    json!({
        "title": a.title,
        "system": a.system,
        "parties": a.parties.iter().map(party_view).collect::<Vec<_>>(),
        "start": a.start,
        "end": a.end,
        "notice": rule_view(a.notice),
        "cost_key": a.cost_key.map(|id| id.to_hex()),
        "annexes": a.annexes.iter().map(paper_view).collect::<Vec<_>>(),
        "text": a.text,
        "amends": a.amends.map(|id| id.to_hex()),
    })
}

fn summary_view(s: &Summary) -> Value {
    let a = &s.agreement.body;
    json!({
        "id": s.agreement.id().to_hex(),
        "title": a.title,
        "system": a.system,
        "published_ms": s.agreement.record.header().time_ms,
        "status": status_view(&s.status),
        "signed": s.signed,
        "parties": a.parties.len(),
        "deadline": s.deadline.as_ref().map(deadline_view),
        "amends": a.amends.map(|id| id.to_hex()),
    })
}

fn signature_view(l: &SignatureLine) -> Value {
    json!({
        "record": l.record.to_hex(),
        "author": l.author.to_string(),
        "member": l.member,
        "member_name": l.member_name,
        "roles": l.roles,
        "roster_version": l.roster,
        "time_ms": l.time_ms,
        "original": l.original.as_ref().map(paper_view),
    })
}

fn party_line_view(p: &PartyLine) -> Value {
    let mut v = party_view(&p.party);
    v["index"] = json!(p.index);
    v["name"] = json!(p.name);
    v["signature"] = p.signature.as_ref().map_or(Value::Null, signature_view);
    v["withdrawal"] = p.withdrawal.as_ref().map_or(
        Value::Null,
        |w| json!({ "record": w.record.to_hex(), "given": w.given.to_string(), "effective": w.effective.to_string() }),
    );
    v
}

fn report_view(r: &Report) -> Value {
    json!({
        "summary": summary_view(&r.summary),
        "agreement": agreement_view(&r.summary.agreement.body),
        "parties": r.parties.iter().map(party_line_view).collect::<Vec<_>>(),
        "notices": r.notices.iter().map(|n| json!({
            "signature": signature_view(&n.signature),
            "agreement": n.agreement.to_hex(),
            "party": n.party,
            "given": n.given.to_string(),
            "ends": n.ends.to_string(),
            "rule": rule_view(n.rule),
        })).collect::<Vec<_>>(),
        "history": r.history.iter().map(|(id, title, ms, status)| json!({
            "id": id.to_hex(), "title": title, "published_ms": ms, "status": status,
        })).collect::<Vec<_>>(),
        "decisions": r.decisions.iter().map(|d| json!({
            "matter": d.matter.to_hex(),
            "kind": crate::governance::matter_kind_name(d.kind),
            "title": d.title,
            "closing": d.closing.to_hex(),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/agreements`: every agreement version held, oldest first, with its status, the
/// parties signed and the next notice deadline.
#[utoipa::path(
    get,
    path = "/api/v1/agreements",
    operation_id = "listAgreements",
    tag = "agreements",
    summary = "Every agreement version held, oldest first, with its status, how many parties have signed, and the last day to give notice for it to end at the next possible date.",
    params(OnQuery),
    responses(
        (status = 200, description = "The agreements.", body = inline(doc::Agreements)),
        doc::BadDay,
        doc::ReadFailures,
    ),
)]
pub(super) async fn list(S(state): S<State>, Query(q): Query<OnQuery>) -> Result<Json<Value>, Error> {
    let today = q.day()?;
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let list = state.blocking(move |s| agreement::agreements(s.ledger.store(), &chain, today).map_err(query)).await?;
    Ok(Json(json!({ "on": today.to_string(), "agreements": list.iter().map(summary_view).collect::<Vec<_>>() })))
}

async fn report_of(state: &State, id: &str, q: &OnQuery) -> Result<(Report, Arc<RosterChain>), Error> {
    let id = extract::record_id(id)?;
    let today = q.day()?;
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let c = chain.clone();
    let report = state.blocking(move |s| agreement::agreement(s.ledger.store(), &c, &id, today).map_err(query)).await?;
    let report = report.ok_or_else(|| {
        Error::not_found("unknown_agreement", format!("no agreement {id} is held here; see GET /api/v1/agreements"))
    })?;
    Ok((report, chain))
}

/// `GET /api/v1/agreements/{id}`: the agreement version in full.
#[utoipa::path(
    get,
    path = "/api/v1/agreements/{id}",
    operation_id = "getAgreement",
    tag = "agreements",
    summary = "An agreement version: its body, status, each party with its signature (signatory, member, roles, claimed time, roster version), notices with the end date and the rule, withdrawals, the amendment history and the adopted decisions that name it.",
    params(doc::RecordIdPath, OnQuery),
    responses(
        (status = 200, description = "The agreement.", body = doc::AgreementDetail),
        doc::BadIdOrDay,
        doc::UnknownAgreement,
        doc::ReadFailures,
    ),
)]
pub(super) async fn one(
    S(state): S<State>,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
) -> Result<Json<Value>, Error> {
    let (report, _) = report_of(&state, &id, &q).await?;
    Ok(Json(report_view(&report)))
}

/// `GET /api/v1/agreements/{id}/agreement.pdf`: the agreement with its completion certificate.
#[utoipa::path(
    get,
    path = "/api/v1/agreements/{id}/agreement.pdf",
    operation_id = "getAgreementPdf",
    tag = "agreements",
    summary = "The agreement as PDF, ending with its completion certificate: each signatory's name, member, role, claimed signing time, key and record ids, and how to verify it offline with `samverka verify`.",
    params(doc::RecordIdPath, OnQuery),
    responses(
        (status = 200, description = "A PDF document.", body = inline(doc::Bytes), content_type = "application/pdf"),
        doc::BadIdOrDay,
        doc::UnknownAgreement,
        doc::ReadFailures,
    ),
)]
pub(super) async fn pdf(
    S(state): S<State>,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
) -> Result<Response, Error> {
    let (report, chain) = report_of(&state, &id, &q).await?;
    let name = format!("overenskommelse-{}.pdf", &report.summary.agreement.id().to_hex()[..16]);
    Ok(file("application/pdf", name, export::document(&report, &chain).to_pdf()))
}

/// `GET /api/v1/agreements/{id}/deadline.ics`: the next notice deadline as a calendar entry.
#[utoipa::path(
    get,
    path = "/api/v1/agreements/{id}/deadline.ics",
    operation_id = "getAgreementDeadlineIcs",
    tag = "agreements",
    summary = "The last day to give notice for the agreement to end at the next possible date, as an iCalendar all-day event (RFC 5545) with a reminder two weeks before.",
    params(doc::RecordIdPath, OnQuery),
    responses(
        (status = 200, description = "The calendar entry.", body = String, content_type = "text/calendar"),
        doc::BadIdOrDay,
        doc::NoDeadline,
        doc::ReadFailures,
    ),
)]
pub(super) async fn calendar(
    S(state): S<State>,
    Path(id): Path<String>,
    Query(q): Query<OnQuery>,
) -> Result<Response, Error> {
    let (report, _) = report_of(&state, &id, &q).await?;
    let ics = export::ics(&report).ok_or_else(|| {
        Error::not_found(
            "no_deadline",
            "the agreement has no notice deadline: it is not in force and governing, or its end date comes first",
        )
    })?;
    let name = format!("uppsagning-{}.ics", &report.summary.agreement.id().to_hex()[..16]);
    Ok(file("text/calendar; charset=utf-8", name, ics.into_bytes()))
}
