//! Plans over HTTP: the plan versions with their computed totals, receipts and adoption; the
//! version diff; plan CSV and PDF; an import check (TOML in, totals and disagreements out); cost
//! keys; and each member's invoice basis for a year. Every figure comes from [`crate::plan`].
//!
//! Signed plans, plan receipts and cost keys arrive through `POST /api/v1/records` like every
//! other record (`samverka plan publish` signs on the person's machine).

use axum::extract::{Request, State as S};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{
    compare, totals, Activity, Adoption, Change, Days, Goal, Initiative, KeyBasis, Mode, Plan, Sides, Term, Totals,
};
use samverka_protocol::{Body as _, RosterChain};
use serde_json::{json, Value};

use super::extract::{self, Json, Path};
use super::openapi as doc;
use super::{Error, Routes, State};
use crate::plan::followup::FollowUp;
use crate::plan::{self, export, import, InvoiceBasis, PlanReport, PlanSummary, Refusal};

/// Largest import file accepted by `POST /api/v1/plans/import`.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024;

impl Routes {
    /// The plan routes.
    pub(super) fn plans(self) -> Routes {
        self.get("/api/v1/plans", plans)
            .post("/api/v1/plans/import", import_check)
            .get("/api/v1/plans/{id}", plan)
            .get("/api/v1/plans/{id}/plan.csv", plan_csv)
            .get("/api/v1/plans/{id}/plan.pdf", plan_pdf)
            .get("/api/v1/plans/{id}/plan.xlsx", plan_xlsx)
            .get("/api/v1/cost-keys", cost_keys)
            .get("/api/v1/invoice-basis/{year}", invoice_basis)
            .get("/api/v1/invoice-basis/{year}/basis.csv", invoice_csv)
            .get("/api/v1/invoice-basis/{year}/basis.xlsx", invoice_xlsx)
            .get("/api/v1/invoice-basis/{year}/basis.pdf", invoice_pdf)
    }
}

fn query(e: crate::governance::Error) -> Error {
    match e {
        crate::governance::Error::NoFederation => Error::NoFederation,
        e => Error::Internal(e.to_string()),
    }
}

fn chain(state: &State) -> Result<std::sync::Arc<RosterChain>, Error> {
    state.ledger.chain().ok_or(Error::NoFederation)
}

fn sides(s: Sides<Ore>) -> Value {
    json!({ "business": s.business.0, "it": s.it.0 })
}

fn days(s: Sides<Days>) -> Value {
    json!({ "business": s.business.hundredths(), "it": s.it.hundredths() })
}

fn hundredths(s: Sides<u64>) -> Value {
    json!({ "business": s.business, "it": s.it })
}

fn adoption_view(a: &Adoption) -> Value {
    match a {
        Adoption::NotAdopted => json!({ "faststalld": false }),
        Adoption::Adopted { matter, closing } => {
            json!({ "faststalld": true, "matter": matter.to_hex(), "closing": closing.to_hex() })
        }
    }
}

fn mode_view(m: Mode) -> Value {
    match m {
        Mode::Vm => json!({ "mode": "VM" }),
        Mode::Vu { priority } => json!({ "mode": "VU", "priority": priority }),
    }
}

fn goal_view(g: &Goal) -> Value {
    let mut v = json!({
        "text": g.text,
        "person_days_hundredths": days(Sides { business: g.effort.business.person_days, it: g.effort.it.person_days }),
        "fixed_ore": { "business": g.effort.business.fixed_ore, "it": g.effort.it.fixed_ore },
    });
    v["mode"] = mode_view(g.mode)["mode"].clone();
    if let Mode::Vu { priority } = g.mode {
        v["priority"] = json!(priority);
    }
    v
}

fn initiative_view(i: &Initiative) -> Value {
    json!({
        "title": i.title,
        "term": match i.term { Term::Short => "short", Term::Long => "long" },
        "description": i.description,
        "person_days_hundredths": days(Sides { business: i.effort.business.person_days, it: i.effort.it.person_days }),
        "fixed_ore": { "business": i.effort.business.fixed_ore, "it": i.effort.it.fixed_ore },
    })
}

fn activity_view(a: &Activity) -> Value {
    json!({ "name": a.name, "goals": a.goals.iter().map(goal_view).collect::<Vec<_>>() })
}

fn plan_view(p: &Plan) -> Value {
    json!({
        "kind": p.kind.name(),
        "title": p.title,
        "period": { "first": p.period.first, "last": p.period.last },
        "year": p.period.year(),
        "supersedes": p.supersedes.map(|id| id.to_hex()),
        "day_rate_ore": { "business": p.day_rate.business, "it": p.day_rate.it },
        "days_per_fte": p.days_per_fte,
        "activities": p.activities.iter().map(activity_view).collect::<Vec<_>>(),
        "initiatives": p.initiatives.iter().map(initiative_view).collect::<Vec<_>>(),
        "budget": p.budget.iter().map(|l| json!({ "name": l.name, "amount_ore": l.amount_ore })).collect::<Vec<_>>(),
    })
}

fn totals_view(t: &Totals) -> Value {
    let activities: Vec<Value> = t
        .activities
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "goals": a.goals.iter().map(|g| json!({ "cost_ore": sides(g.cost), "total_ore": g.total.0 })).collect::<Vec<_>>(),
                "vm_ore": sides(a.vm),
                "vu_ore": sides(a.vu),
                "cost_ore": sides(a.cost),
                "person_days_hundredths": days(a.days),
                "total_ore": a.total.0,
                "fte_hundredths": a.fte_hundredths,
            })
        })
        .collect();
    json!({
        "activities": activities,
        "vm_ore": sides(t.vm),
        "vu_ore": sides(t.vu),
        "short_term_ore": sides(t.short_term),
        "long_term_ore": sides(t.long_term),
        "budget_ore": t.budget.0,
        "cost_ore": sides(t.cost),
        "person_days_hundredths": days(t.days),
        "fte_side_hundredths": hundredths(t.fte_side_hundredths),
        "fte_hundredths": t.fte_hundredths,
        "total_ore": t.total.0,
    })
}

fn summary_view(s: &PlanSummary) -> Value {
    let h = s.plan.record.header();
    json!({
        "id": s.plan.id().to_hex(),
        "author": h.author.to_hex(),
        "time_ms": h.time_ms,
        "kind": s.plan.body.kind.name(),
        "title": s.plan.body.title,
        "year": s.plan.body.period.year(),
        "supersedes": s.plan.body.supersedes.map(|id| id.to_hex()),
        "superseded_by": s.superseded_by.iter().map(|id| id.to_hex()).collect::<Vec<_>>(),
        "total_ore": s.totals.total.0,
        "fte_hundredths": s.totals.fte_hundredths,
        "adoption": adoption_view(&s.adoption),
        "receipted": s.receipted,
        "members": s.members,
    })
}

fn change_view(c: &Change) -> Value {
    let detail = match c {
        Change::Title { before, after } => json!({ "before": before, "after": after }),
        Change::Period { before, after } => {
            json!({ "before": [before.first, before.last], "after": [after.first, after.last] })
        }
        Change::DayRate { before, after } => json!({
            "before": { "business": before.business, "it": before.it },
            "after": { "business": after.business, "it": after.it },
        }),
        Change::DaysPerFte { before, after } => json!({ "before": before, "after": after }),
        Change::ActivityAdded { name } | Change::ActivityRemoved { name } => json!({ "activity": name }),
        Change::GoalAdded { activity, goal } | Change::GoalRemoved { activity, goal } => {
            json!({ "activity": activity, "goal": goal_view(goal) })
        }
        Change::GoalChanged { activity, before, after } => {
            json!({ "activity": activity, "before": goal_view(before), "after": goal_view(after) })
        }
        Change::InitiativeAdded { initiative } | Change::InitiativeRemoved { initiative } => {
            json!({ "initiative": initiative_view(initiative) })
        }
        Change::InitiativeChanged { before, after } => {
            json!({ "before": initiative_view(before), "after": initiative_view(after) })
        }
        Change::BudgetLineAdded { name, amount } | Change::BudgetLineRemoved { name, amount } => {
            json!({ "name": name, "amount_ore": amount.0 })
        }
        Change::BudgetLineChanged { name, before, after } => {
            json!({ "name": name, "before_ore": before.0, "after_ore": after.0 })
        }
        Change::Total { before, after } => json!({ "before_ore": before.0, "after_ore": after.0 }),
    };
    json!({ "change": c.code(), "detail": detail })
}

fn follow_up_view(f: &FollowUp) -> Value {
    let quarters: Vec<Value> = f
        .quarters
        .iter()
        .map(|q| json!({ "year": q.year, "quarter": q.quarter, "utfall": q.record.to_hex(), "time_ms": q.time_ms }))
        .collect();
    let lines: Vec<Value> = f
        .lines
        .iter()
        .map(|l| {
            json!({
                "name": l.name,
                "budget_ore": sides(l.budget),
                "actual_ore": sides(l.actual),
                "actual_by_quarter_ore": l.by_quarter.iter().map(|q| sides(*q)).collect::<Vec<_>>(),
                "difference_ore": l.difference().0,
            })
        })
        .collect();
    json!({
        "quarters": quarters,
        "lines": lines,
        "budget_ore": f.budget().0,
        "actual_ore": f.actual().0,
        "difference_ore": f.difference().0,
    })
}

fn report_view(r: &PlanReport) -> Value {
    let receipts: Vec<Value> = r
        .receipts
        .iter()
        .map(|l| {
            json!({
                "member": l.member,
                "member_name": l.member_name,
                "receipt": l.receipt.map(|(id, _)| id.to_hex()),
                "received_ms": l.receipt.map(|(_, ms)| ms),
                "missing_since_ms": if l.receipt.is_none() { Some(r.published_ms) } else { None },
            })
        })
        .collect();
    json!({
        "summary": summary_view(&r.summary),
        "plan": plan_view(&r.summary.plan.body),
        "totals": totals_view(&r.summary.totals),
        "receipts": receipts,
        "missing": r.missing().map(|l| l.member.clone()).collect::<Vec<_>>(),
        "previous": r.previous.as_ref().map(|p| p.id().to_hex()),
        "changes": r.changes.iter().map(change_view).collect::<Vec<_>>(),
        "follow_up": follow_up_view(&r.follow_up),
    })
}

/// `GET /api/v1/plans`: every plan version held, oldest first, with its computed total,
/// adoption and receipt count.
#[utoipa::path(
    get,
    path = "/api/v1/plans",
    operation_id = "listPlans",
    tag = "plans",
    summary = "Every plan version held, oldest first, with its computed total, adoption and receipt count.",
    responses(
        (status = 200, description = "The plans.", body = inline(doc::Plans)),
        doc::ReadFailures,
    ),
)]
pub(super) async fn plans(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let list = state.blocking(move |s| plan::plans(s.ledger.store(), &chain).map_err(query)).await?;
    Ok(Json(json!({ "plans": list.iter().map(summary_view).collect::<Vec<_>>() })))
}

async fn report_of(state: &State, id: String) -> Result<(PlanReport, std::sync::Arc<RosterChain>), Error> {
    let id = extract::record_id(&id)?;
    let chain = chain(state)?;
    let c = chain.clone();
    let report = state.blocking(move |s| plan::plan_report(s.ledger.store(), &c, &id).map_err(query)).await?;
    let report = report
        .ok_or_else(|| Error::not_found("unknown_plan", format!("no plan {id} is held here; see GET /api/v1/plans")))?;
    Ok((report, chain))
}

/// `GET /api/v1/plans/{id}`: the plan, its totals, adoption, receipts (who lacks it, and since
/// when) and what changed from the version it supersedes.
#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}",
    operation_id = "getPlan",
    tag = "plans",
    summary = "A plan version: its body, every computed total, adoption, each member's receipt (or since when it is missing) and the changes from the version it supersedes.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "The plan.", body = doc::PlanDetail),
        doc::BadId,
        doc::UnknownPlan,
        doc::ReadFailures,
    ),
)]
pub(super) async fn plan(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let (report, _) = report_of(&state, id).await?;
    Ok(Json(report_view(&report)))
}

pub(super) fn file(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Ok(v) = format!("inline; filename=\"{name}\"").parse() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /api/v1/plans/{id}/plan.csv`
#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}/plan.csv",
    operation_id = "getPlanCsv",
    tag = "plans",
    summary = "The plan as CSV for Swedish Excel (UTF-8 with BOM, semicolons): goals, initiatives or budget lines, then the computed totals.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "A CSV document.", body = String, content_type = "text/csv"),
        doc::BadId,
        doc::UnknownPlan,
        doc::ReadFailures,
    ),
)]
pub(super) async fn plan_csv(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (report, _) = report_of(&state, id).await?;
    let name = format!("plan-{}.csv", &report.summary.plan.id().to_hex()[..16]);
    Ok(file("text/csv; charset=utf-8", name, export::plan_csv(&report)))
}

/// `GET /api/v1/plans/{id}/plan.pdf`
#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}/plan.pdf",
    operation_id = "getPlanPdf",
    tag = "plans",
    summary = "The plan as a PDF: its lines, computed totals, adoption and receipts.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "A PDF document.", body = inline(doc::Bytes), content_type = "application/pdf"),
        doc::BadId,
        doc::UnknownPlan,
        doc::ReadFailures,
    ),
)]
pub(super) async fn plan_pdf(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (report, chain) = report_of(&state, id).await?;
    let name = format!("plan-{}.pdf", &report.summary.plan.id().to_hex()[..16]);
    Ok(file("application/pdf", name, export::plan_document(&report, &chain).to_pdf()))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /api/v1/plans/{id}/plan.xlsx`
#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}/plan.xlsx",
    operation_id = "getPlanXlsx",
    tag = "plans",
    summary = "The plan as an XLSX workbook: the same rows as the CSV, amounts as numbers.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "An XLSX workbook.", body = inline(doc::Bytes), content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        doc::BadId,
        doc::UnknownPlan,
        doc::ReadFailures,
    ),
)]
pub(super) async fn plan_xlsx(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (report, _) = report_of(&state, id).await?;
    let name = format!("plan-{}.xlsx", &report.summary.plan.id().to_hex()[..16]);
    let bytes = export::plan_xlsx(&report).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(file(XLSX, name, bytes))
}

/// `POST /api/v1/plans/import`: a plan in the import format (TOML) → its body (hex, for signing),
/// the totals its lines give and every typed total that disagrees. Nothing is stored.
#[utoipa::path(
    post,
    path = "/api/v1/plans/import",
    operation_id = "checkPlanImport",
    tag = "plans",
    summary = "Reads a plan in the import format (TOML) and answers its body (hex, to sign), the totals its lines give, and every typed total that disagrees, line by line. Nothing is stored.",
    request_body(content((String = "text/plain"), (String = "application/toml"))),
    responses(
        (status = 200, description = "The plan, its totals and the disagreements.", body = inline(doc::PlanImport)),
        doc::BadImport,
        doc::TooLarge,
        doc::NotToml,
        doc::RateLimited,
    ),
)]
pub(super) async fn import_check(req: Request) -> Result<Json<Value>, Error> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(essence.as_str(), "text/plain" | "application/toml") {
        return Err(Error::UnsupportedMediaType {
            message: format!(
                "content type {content_type:?} is not accepted: send the plan file as `text/plain` or `application/toml`"
            ),
        });
    }
    let bytes = axum::body::to_bytes(req.into_body(), MAX_IMPORT_BYTES).await.map_err(|_| {
        Error::bad_request("import_too_large", format!("an import file is at most {MAX_IMPORT_BYTES} bytes"))
    })?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| Error::bad_request("not_utf8", "the import file is UTF-8 text"))?;
    let imported = import::parse(text).map_err(|e| Error::bad_request("bad_import", e.to_string()))?;
    let t = totals(&imported.plan);
    let disagreements: Vec<Value> = compare(&imported.plan, &t, &imported.claims)
        .into_iter()
        .map(|d| json!({ "code": d.code, "place": d.place, "claimed": d.claimed, "computed": d.computed }))
        .collect();
    Ok(Json(json!({
        "plan": plan_view(&imported.plan),
        "body": hex::encode(imported.plan.to_bytes()),
        "totals": totals_view(&t),
        "disagreements": disagreements,
    })))
}

/// `GET /api/v1/cost-keys`: every cost key held, with its adoption.
#[utoipa::path(
    get,
    path = "/api/v1/cost-keys",
    operation_id = "listCostKeys",
    tag = "plans",
    summary = "Every cost key (fördelningsnyckel) held, with its year, basis, weights and adoption.",
    responses(
        (status = 200, description = "The keys.", body = inline(doc::CostKeys)),
        doc::ReadFailures,
    ),
)]
pub(super) async fn cost_keys(S(state): S<State>) -> Result<Json<Value>, Error> {
    let list = state.blocking(|s| plan::cost_keys(s.ledger.store()).map_err(query)).await?;
    let views: Vec<Value> = list
        .iter()
        .map(|k| {
            let basis = match &k.key.body.basis {
                KeyBasis::Percent => json!({ "basis": "percent" }),
                KeyBasis::Weights => json!({ "basis": "weights" }),
                KeyBasis::PerCapita { date } => json!({ "basis": "per-capita", "date": date }),
                KeyBasis::Licences => json!({ "basis": "licences" }),
                KeyBasis::FixedPlusVariable { fixed_millionths } => {
                    json!({ "basis": "fixed-plus-variable", "fixed_millionths": fixed_millionths })
                }
            };
            json!({
                "id": k.key.id().to_hex(),
                "year": k.key.body.year,
                "title": k.key.body.title,
                "basis": basis,
                "entries": k.key.body.entries.iter().map(|e| json!({ "member": e.member, "weight_millionths": e.weight_millionths })).collect::<Vec<_>>(),
                "supersedes": k.key.body.supersedes.map(|id| id.to_hex()),
                "adoption": adoption_view(&k.adoption),
            })
        })
        .collect();
    Ok(Json(json!({ "cost_keys": views })))
}

fn year(s: &str) -> Result<u16, Error> {
    s.parse().map_err(|_| Error::bad_request("bad_year", format!("{s:?} is not a year")))
}

async fn basis_of(state: &State, y: String) -> Result<(InvoiceBasis, std::sync::Arc<RosterChain>), Error> {
    let y = year(&y)?;
    let chain = chain(state)?;
    let basis = state
        .blocking(move |s| {
            plan::invoice_basis(s.ledger.store(), y).map_err(|r| match r {
                Refusal::Query(e) => query(e),
                r @ (Refusal::NoAdoptedBudget(_) | Refusal::NoAdoptedKey(_)) => {
                    Error::not_found(r.code(), r.to_string())
                }
                r @ Refusal::Split(_) => Error::Conflict { code: r.code(), message: r.to_string() },
            })
        })
        .await?;
    Ok((basis, chain))
}

/// `GET /api/v1/invoice-basis/{year}`: the adopted budget split by the adopted cost key, to the
/// öre, summing exactly to the budget.
#[utoipa::path(
    get,
    path = "/api/v1/invoice-basis/{year}",
    operation_id = "getInvoiceBasis",
    tag = "plans",
    summary = "Each member's invoice basis for the year: the adopted budget's total split by the adopted cost key to the öre, summing exactly to the budget (docs/cost.md).",
    params(doc::YearPath),
    responses(
        (status = 200, description = "The invoice basis.", body = inline(doc::InvoiceBasis)),
        doc::BadYear,
        doc::NoAdoptedBasis,
        doc::Unsplittable,
        doc::ReadFailures,
    ),
)]
pub(super) async fn invoice_basis(S(state): S<State>, Path(y): Path<String>) -> Result<Json<Value>, Error> {
    let (b, chain) = basis_of(&state, y).await?;
    let lines: Vec<Value> = b
        .split
        .lines
        .iter()
        .map(|l| {
            json!({
                "member": l.member,
                "member_name": crate::governance::member_name(&chain, &l.member),
                "amount_ore": l.amount.0,
                "amount": l.amount.to_string(),
            })
        })
        .collect();
    Ok(Json(json!({
        "year": b.year,
        "budget": b.budget.id().to_hex(),
        "key": b.key.id().to_hex(),
        "budget_ore": b.split.budget.0,
        "lines": lines,
        "sum_ore": b.split.total().0,
        "follow_up": follow_up_view(&b.follow_up),
        "members": b.members.iter().map(|m| json!({
            "member": m.member,
            "budget_ore": m.budget.0,
            "actual_ore": m.actual.0,
            "difference_ore": m.difference().0,
        })).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/invoice-basis/{year}/basis.csv`
#[utoipa::path(
    get,
    path = "/api/v1/invoice-basis/{year}/basis.csv",
    operation_id = "getInvoiceBasisCsv",
    tag = "plans",
    summary = "The invoice basis as CSV for Swedish Excel: kommunkod, member, weight, amount; then the sum.",
    params(doc::YearPath),
    responses(
        (status = 200, description = "A CSV document.", body = String, content_type = "text/csv"),
        doc::BadYear,
        doc::NoAdoptedBasis,
        doc::Unsplittable,
        doc::ReadFailures,
    ),
)]
pub(super) async fn invoice_csv(S(state): S<State>, Path(y): Path<String>) -> Result<Response, Error> {
    let (b, chain) = basis_of(&state, y).await?;
    Ok(file("text/csv; charset=utf-8", format!("fakturaunderlag-{}.csv", b.year), export::invoice_csv(&b, &chain)))
}

/// `GET /api/v1/invoice-basis/{year}/basis.xlsx`
#[utoipa::path(
    get,
    path = "/api/v1/invoice-basis/{year}/basis.xlsx",
    operation_id = "getInvoiceBasisXlsx",
    tag = "plans",
    summary = "The invoice basis as an XLSX workbook: kommunkod, member, weight, amount; then the sum.",
    params(doc::YearPath),
    responses(
        (status = 200, description = "An XLSX workbook.", body = inline(doc::Bytes), content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        doc::BadYear,
        doc::NoAdoptedBasis,
        doc::Unsplittable,
        doc::ReadFailures,
    ),
)]
pub(super) async fn invoice_xlsx(S(state): S<State>, Path(y): Path<String>) -> Result<Response, Error> {
    let (b, chain) = basis_of(&state, y).await?;
    let bytes = export::invoice_xlsx(&b, &chain).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(file(XLSX, format!("fakturaunderlag-{}.xlsx", b.year), bytes))
}

/// `GET /api/v1/invoice-basis/{year}/basis.pdf`
#[utoipa::path(
    get,
    path = "/api/v1/invoice-basis/{year}/basis.pdf",
    operation_id = "getInvoiceBasisPdf",
    tag = "plans",
    summary = "The invoice basis as a PDF: each member's amount, the sum, the budget and key it comes from.",
    params(doc::YearPath),
    responses(
        (status = 200, description = "A PDF document.", body = inline(doc::Bytes), content_type = "application/pdf"),
        doc::BadYear,
        doc::NoAdoptedBasis,
        doc::Unsplittable,
        doc::ReadFailures,
    ),
)]
pub(super) async fn invoice_pdf(S(state): S<State>, Path(y): Path<String>) -> Result<Response, Error> {
    let (b, chain) = basis_of(&state, y).await?;
    let pdf = export::invoice_document(&b, &chain).to_pdf();
    Ok(file("application/pdf", format!("fakturaunderlag-{}.pdf", b.year), pdf))
}
