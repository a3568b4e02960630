//! Styrgrupp governance over HTTP: matters with their diarienummer, votes, closings and
//! settlement; decisions with their proof as JSON, PDF and CSV; meetings; minutes with their
//! justering status; paper blobs; an author's chain head (for signing outside the node).
//!
//! Signed records (matter, meeting, vote, minutes, justering) arrive through
//! `POST /api/v1/records` like every other record. The two operator endpoints here make the node
//! author as itself — register a matter in the diarium, close a ballot — which the rules permit
//! only to the host member's node key.

use axum::extract::{Request, State as S};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use samverka_protocol::governance::{Choice, Matter, Outcome, PaperRef, Procedure, Settlement, Tally};
use samverka_protocol::{Hash, Kind, PublicKey, Record, RecordId, Rejection, RosterChain, Verified};
use serde_json::{json, Value};

use super::extract::{self, Json, Operator, Path, Query};
use super::openapi as doc;
use super::records::page_limit;
use super::records::refresh_stored;
use super::{Error, Routes, State};
use crate::governance::{
    self as gov, choice_text, matter_kind_name, member_name, member_of_key, outcome_text, Held, MatterReport,
    MinutesReport, Refusal,
};
use crate::ledger;
use crate::metrics::Source;
use crate::report;

/// Largest paper accepted in one upload. The protocol allows papers up to 1 GiB
/// ([`samverka_protocol::governance::MAX_PAPER_BYTES`]); this node keeps them in its store, so it
/// takes documents of a styrgrupp's usual size and refuses larger ones with 413.
pub const MAX_UPLOAD_PAPER_BYTES: usize = 16 * 1024 * 1024;

impl Routes {
    /// The governance routes.
    pub(super) fn governance(self) -> Routes {
        self.get("/api/v1/matters", matters)
            .get("/api/v1/matters/{id}", matter)
            .get("/api/v1/matters/{id}/decision.pdf", decision_pdf)
            .get("/api/v1/matters/{id}/decision.csv", decision_csv)
            .post("/api/v1/matters/{id}/diarium", register)
            .post("/api/v1/matters/{id}/close", close)
            .post("/api/v1/matters/{id}/local-dnr", set_local_dnr)
            .get("/api/v1/decisions", decisions)
            .get("/api/v1/meetings", meetings)
            .get("/api/v1/minutes/{id}", minutes)
            .get("/api/v1/minutes/{id}/minutes.pdf", minutes_pdf)
            .get("/api/v1/minutes/{id}/minutes.csv", minutes_csv)
            .post("/api/v1/papers", upload_paper)
            .get("/api/v1/papers/{hash}", paper)
            .get("/api/v1/authors/{key}/head", head)
    }
}

impl From<gov::Error> for Error {
    fn from(e: gov::Error) -> Error {
        match e {
            gov::Error::NoFederation => Error::NoFederation,
            e => Error::Internal(e.to_string()),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        match r {
            Refusal::Query(e) => e.into(),
            Refusal::UnknownMatter(id) => unknown_matter(&id),
            r @ (Refusal::AlreadyRegistered { .. } | Refusal::AlreadyClosed { .. } | Refusal::NotCloser { .. }) => {
                Error::Conflict { code: r.code(), message: r.to_string() }
            }
        }
    }
}

fn unknown_matter(id: &RecordId) -> Error {
    Error::not_found("unknown_matter", format!("no matter {id} is held here; see GET /api/v1/matters"))
}

fn chain(state: &State) -> Result<std::sync::Arc<RosterChain>, Error> {
    state.ledger.chain().ok_or(Error::NoFederation)
}

/// The query of a newest-first listing: `cursor` (a `next_cursor` handed out before) and `limit`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    /// `next_cursor` from the previous page, unchanged.
    #[param(min_length = 16, max_length = 16, pattern = "^[0-9a-fA-F]{16}$")]
    cursor: Option<String>,
    /// Entries per page, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

impl PageQuery {
    /// Where the page starts (before the local number the cursor names), and its size.
    fn bounds(&self) -> Result<(Option<u64>, usize), Error> {
        let before = self.cursor.as_deref().map(extract::decode_cursor).transpose()?;
        Ok((before, page_limit(self.limit)?))
    }
}

/// A page of `name` as JSON, with the cursor of the next page (`null` on the last).
fn page_json<T>(name: &str, page: &gov::Page<T>, view: impl Fn(&T) -> Value) -> Json<Value> {
    let items: Vec<Value> = page.items.iter().map(view).collect();
    Json(json!({ name: items, "next_cursor": page.next.map(extract::encode_cursor) }))
}

/// `GET /api/v1/matters?cursor=&limit=`: matters, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/matters",
    operation_id = "listMatters",
    tag = "governance",
    summary = "Matters held, newest first, a page at a time, with their diarienummer, status and outcome.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of matters.", body = inline(doc::Matters)),
        doc::BadPage,
        doc::ReadFailures,
    ),
)]
pub(super) async fn matters(S(state): S<State>, Query(q): Query<PageQuery>) -> Result<Json<Value>, Error> {
    let (before, limit) = q.bounds()?;
    chain(&state)?;
    let page = state.blocking(move |s| Ok(gov::matters_page(s.ledger.store(), before, limit, false))).await?;
    Ok(page_json("matters", &page, summary_view))
}

/// `GET /api/v1/decisions?cursor=&limit=`: closed matters with their outcome, newest first, a
/// page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/decisions",
    operation_id = "listDecisions",
    tag = "governance",
    summary = "Closed matters with their outcome, newest first, a page at a time.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of decisions.", body = inline(doc::Decisions)),
        doc::BadPage,
        doc::ReadFailures,
    ),
)]
pub(super) async fn decisions(S(state): S<State>, Query(q): Query<PageQuery>) -> Result<Json<Value>, Error> {
    let (before, limit) = q.bounds()?;
    chain(&state)?;
    let page = state.blocking(move |s| Ok(gov::matters_page(s.ledger.store(), before, limit, true))).await?;
    Ok(page_json("decisions", &page, summary_view))
}

fn summary_view(m: &gov::MatterSummary) -> Value {
    let h = m.matter.record.header();
    json!({
        "id": m.matter.id().to_hex(),
        "title": m.matter.body.title,
        "kind": matter_kind_name(m.matter.body.kind),
        "diarienummer": m.diarium.as_ref().map(|d| d.body.diarienummer.to_string()),
        "status": m.status.name(),
        "outcome": m.outcome.map(|o| outcome_view(o, &m.matter.body)),
        "author": h.author.to_hex(),
        "time_ms": h.time_ms,
    })
}

fn outcome_view(o: Outcome, matter: &Matter) -> Value {
    let (result, alternative) = match o {
        Outcome::Adopted { alternative } => ("adopted", alternative),
        Outcome::Rejected => ("rejected", None),
        Outcome::NoQuorum => ("no_quorum", None),
    };
    json!({ "result": result, "alternative": alternative, "text": outcome_text(o, matter) })
}

fn tally_view(t: &Tally) -> Value {
    json!({
        "yes": t.yes, "no": t.no, "abstain": t.abstain, "alternatives": t.alternatives,
        "members_voting": t.members_voting, "members_total": t.members_total,
    })
}

fn choice_view(c: Choice) -> Value {
    match c {
        Choice::Yes => json!("yes"),
        Choice::No => json!("no"),
        Choice::Abstain => json!("abstain"),
        Choice::Alternative(i) => json!({ "alternative": i }),
    }
}

fn matter_view(m: &Matter, store: &crate::storage::Store) -> Value {
    let procedure = match m.procedure {
        Procedure::Meeting { meeting } => json!({ "type": "meeting", "meeting": meeting.map(|id| id.to_hex()) }),
        Procedure::PerCapsulam { voting_window_days } => {
            json!({ "type": "per_capsulam", "voting_window_days": voting_window_days })
        }
    };
    let paper = |p: &PaperRef| {
        let stored = store.get_blob(&p.content_hash).ok().flatten().is_some();
        json!({ "name": p.name, "content_hash": p.content_hash.to_hex(), "size": p.size, "stored": stored })
    };
    json!({
        "kind": matter_kind_name(m.kind),
        "title": m.title,
        "proposal": m.proposal,
        "alternatives": m.alternatives,
        "papers": m.papers.iter().map(paper).collect::<Vec<_>>(),
        "procedure": procedure,
        "subject": m.subject.map(|id| id.to_hex()),
    })
}

fn report_view(r: &MatterReport, chain: &RosterChain, store: &crate::storage::Store) -> Value {
    let m = &r.matter.body;
    let votes: Vec<Value> = r
        .votes
        .iter()
        .map(|v| {
            json!({
                "id": v.id.to_hex(),
                "member": v.member,
                "member_name": v.member_name,
                "author": v.author.to_hex(),
                "choice": choice_view(v.choice),
                "choice_text": choice_text(v.choice, m),
                "time_ms": v.time_ms,
                "counted": v.counted,
                "excluded": v.excluded.map(|e| json!({ "code": e.code(), "reason": e.to_string() })),
                "receipt": v.receipt.map(|id| id.to_hex()),
            })
        })
        .collect();
    let closings: Vec<Value> = r
        .closings
        .iter()
        .map(|c| {
            let author = c.record.header().author;
            json!({
                "id": c.id().to_hex(),
                "author": author.to_hex(),
                "member": member_of_key(chain, &author),
                "outcome": outcome_view(c.body.result, m),
                "tally": tally_view(&c.body.tally),
                "counted": c.body.counted.iter().map(|id| id.to_hex()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let settled: Vec<String> = match &r.settlement {
        Settlement::Open => Vec::new(),
        Settlement::Closed { closing, .. } => vec![closing.to_hex()],
        Settlement::Disputed { closings } => closings.iter().map(|id| id.to_hex()).collect(),
    };
    let counted: Vec<String> = r.votes.iter().filter(|v| v.counted).map(|v| v.id.to_hex()).collect();
    json!({
        "id": r.matter.id().to_hex(),
        "matter": matter_view(m, store),
        "author": r.matter.record.header().author.to_hex(),
        "closer": m.closer.to_hex(),
        "diarium": r.diarium.as_ref().map(|d| json!({ "id": d.id().to_hex(), "diarienummer": d.body.diarienummer.to_string() })),
        "local_dnr": store.local_dnr(&r.matter.id()).ok().flatten(),
        "status": r.status().name(),
        "outcome": outcome_view(r.outcome, m),
        "provisional": r.provisional,
        "tally": tally_view(&r.tally),
        "votes": votes,
        "closings": closings,
        "proof": {
            "matter": r.matter.id().to_hex(),
            "diarium": r.diarium.as_ref().map(|d| d.id().to_hex()),
            "closings": settled,
            "counted_votes": counted,
            "how_to_verify": "every id is a signed record: fetch it with GET /api/v1/records/{id}?format=raw from any member's node, or check a whole archive offline with `samverka verify --archive FILE`; each node recomputes a closing's tally from the votes it names",
        },
    })
}

async fn report_of(state: &State, id: String) -> Result<(MatterReport, std::sync::Arc<RosterChain>), Error> {
    let id = extract::record_id(&id)?;
    let chain = chain(state)?;
    let c = chain.clone();
    let report = state.blocking(move |s| Ok(gov::matter_report(s.ledger.store(), &c, &id)?)).await?;
    Ok((report.ok_or_else(|| unknown_matter(&id))?, chain))
}

/// `GET /api/v1/matters/{id}`: the matter, its diarienummer, every vote and whether it counts,
/// the closings, the settlement, the tally and the record ids that prove it.
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}",
    operation_id = "getMatter",
    tag = "governance",
    summary = "A matter in full: the matter, its diarienummer, every vote held and whether it counts (and why not), the closings, the settlement (open, closed, disputed), the tally, and the record ids that prove the decision.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "The matter.", body = doc::MatterDetail),
        doc::BadPath,
        doc::UnknownMatter,
        doc::ReadFailures,
    ),
)]
pub(super) async fn matter(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let (report, chain) = report_of(&state, id).await?;
    Ok(Json(report_view(&report, &chain, state.ledger.store())))
}

fn file(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{name}\"");
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Ok(v) = disposition.parse() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A file name for a matter's documents: its diarienummer, else its id.
fn file_stem(report: &MatterReport) -> String {
    match &report.diarium {
        Some(d) => d.body.diarienummer.to_string().replace([' ', '/'], "-"),
        None => report.matter.id().to_hex()[..16].to_owned(),
    }
}

/// `GET /api/v1/matters/{id}/decision.pdf`
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}/decision.pdf",
    operation_id = "getDecisionPdf",
    tag = "governance",
    summary = "The decision as a PDF: text, outcome, tally, who voted how (member, kommunkod, choice), the signatures and the record ids to check with `samverka verify`.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "A PDF document.", body = inline(doc::Bytes), content_type = "application/pdf"),
        doc::BadPath,
        doc::UnknownMatter,
        doc::ReadFailures,
    ),
)]
pub(super) async fn decision_pdf(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (report, chain) = report_of(&state, id).await?;
    let pdf = report::decision_document(&report, &chain).to_pdf();
    Ok(file("application/pdf", format!("beslut-{}.pdf", file_stem(&report)), pdf))
}

/// `GET /api/v1/matters/{id}/decision.csv`
#[utoipa::path(
    get,
    path = "/api/v1/matters/{id}/decision.csv",
    operation_id = "getDecisionCsv",
    tag = "governance",
    summary = "The votes on a matter as CSV for Swedish Excel: UTF-8 with BOM, `;`-separated, one row per member vote, dates YYYY-MM-DD.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "CSV.", body = String, content_type = "text/csv"),
        doc::BadPath,
        doc::UnknownMatter,
        doc::ReadFailures,
    ),
)]
pub(super) async fn decision_csv(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (report, _) = report_of(&state, id).await?;
    Ok(file("text/csv; charset=utf-8", format!("beslut-{}.csv", file_stem(&report)), report::decision_csv(&report)))
}

/// A host command's failure as the API answers it, explaining the refusals an operator can
/// act on.
fn command_error(s: &State, kind: Kind, e: gov::CommandError) -> Error {
    let e = match e {
        gov::CommandError::Refused(r) => return r.into(),
        gov::CommandError::Ledger(e) => e,
    };
    if e.is_offence() {
        s.metrics.rejection(e.code());
    }
    match e {
        ledger::Error::Rejected(r @ (Rejection::NotAuthorised { .. } | Rejection::UnknownAuthor { .. })) => {
            Error::Rejected {
                code: r.code(),
                message: format!(
                    "{r}: only the host member's node may author a {} record; run this on the host's node \
                     (its node key certified for the host member)",
                    kind.name()
                ),
            }
        }
        e => Error::ingest(e, Some(kind)),
    }
}

fn authored(state: &State, record: &Record<Verified>, extra: Value) -> Response {
    state.metrics.record_ingested(Source::Local);
    refresh_stored(state);
    let mut body = json!({ "id": record.id().to_hex(), "outcome": "stored" });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = format!("/api/v1/records/{}", record.id()).parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `POST /api/v1/matters/{id}/diarium` (operator): the node registers the matter with the next
/// diarienummer of the current year (Europe/Stockholm).
#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/diarium",
    operation_id = "registerMatter",
    tags = ["governance", "operator"],
    summary = "The node registers the matter in the diarium with the next diarienummer of the current year in Europe/Stockholm (SAM 2026/0007). Only the host member's node may; others get 422 `not_authorised`.",
    params(doc::RecordIdPath),
    responses(
        (status = 201, description = "Authored and stored. `diarienummer` is the number given.", body = doc::AuthoredRecord),
        doc::BadPath,
        doc::UnknownMatter,
        doc::AlreadyRegistered,
        doc::RegisterRefused,
        doc::WriteFailures,
        doc::OperatorRefusals,
    ),
    security(("operatorToken" = [])),
)]
pub(super) async fn register(_: Operator, S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let id = extract::record_id(&id)?;
    chain(&state)?;
    let (record, body) = state
        .blocking(move |s| {
            let now = jiff::Timestamp::now().as_millisecond();
            gov::register(&s.ledger, &s.node_key, &id, now).map_err(|e| command_error(s, Kind::Diarium, e))
        })
        .await?;
    let number = body.diarienummer.to_string();
    Ok(authored(&state, &record, json!({ "matter": id.to_hex(), "diarienummer": number })))
}

/// Longest local diarienummer accepted.
const MAX_LOCAL_DNR: usize = 64;

/// The body of `POST /api/v1/matters/{id}/local-dnr`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LocalDnr {
    /// One line, e.g. `KS 2026/0412`. The node accepts 1 to 64 bytes of UTF-8 (`MAX_LOCAL_DNR`)
    /// after trimming surrounding white space, with no control characters; the schema bounds it
    /// at 16 characters, which always fit in 64 bytes.
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = "^\\s*[^\\x00-\\x1f\\x7f-\\x9f\\s][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    dnr: String,
}

/// `POST /api/v1/matters/{id}/local-dnr` (operator): notes this member's own diarienummer for
/// the matter (e.g. `KS 2026/0412`). Kept on this node only.
#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/local-dnr",
    operation_id = "setLocalDnr",
    tags = ["governance", "operator"],
    summary = "Notes this member's own diarienummer for the matter (operator token). Kept on this node only, never replicated; shown as `local_dnr` in the matter.",
    params(doc::RecordIdPath),
    request_body = inline(LocalDnr),
    responses(
        (status = 200, description = "Noted.", body = inline(doc::LocalDnrNoted)),
        doc::BadLocalDnr,
        doc::UnknownMatter,
        doc::NotJson,
        doc::WriteFailures,
        doc::OperatorRefusals,
    ),
    security(("operatorToken" = [])),
)]
pub(super) async fn set_local_dnr(
    _: Operator,
    S(state): S<State>,
    Path(id): Path<String>,
    Json(body): Json<LocalDnr>,
) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    let dnr = body.dnr.trim().to_owned();
    if dnr.is_empty() || dnr.len() > MAX_LOCAL_DNR || dnr.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "bad_local_dnr",
            format!("a local diarienummer is one line of 1 to {MAX_LOCAL_DNR} bytes, e.g. \"KS 2026/0412\""),
        ));
    }
    let held = state.blocking(move |s| Ok(gov::get::<Matter>(s.ledger.store(), &id)?.is_some())).await?;
    if !held {
        return Err(unknown_matter(&id));
    }
    let stored = dnr.clone();
    state.blocking(move |s| Ok(s.ledger.store().put_local_dnr(&id, &stored)?)).await?;
    Ok(Json(json!({ "matter": id.to_hex(), "local_dnr": dnr })))
}

/// `POST /api/v1/matters/{id}/close` (operator): the node closes the ballot over the votes it
/// holds, unless a closing of the matter is already held.
#[utoipa::path(
    post,
    path = "/api/v1/matters/{id}/close",
    operation_id = "closeBallot",
    tags = ["governance", "operator"],
    summary = "The node closes the matter's ballot over every vote it holds (governance::close names exactly the votes that count). Only the host member's node may; refused if a closing of the matter is already held.",
    params(doc::RecordIdPath),
    responses(
        (status = 201, description = "Authored and stored. `outcome`, `tally` and `counted` describe the closing.", body = doc::AuthoredRecord),
        doc::BadPath,
        doc::UnknownMatter,
        doc::AlreadyClosed,
        doc::CloseRefused,
        doc::WriteFailures,
        doc::OperatorRefusals,
    ),
    security(("operatorToken" = [])),
)]
pub(super) async fn close(_: Operator, S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let id = extract::record_id(&id)?;
    chain(&state)?;
    let (record, body) = state
        .blocking(move |s| {
            let now = jiff::Timestamp::now().as_millisecond();
            gov::close_ballot(&s.ledger, &s.node_key, &id, now).map_err(|e| command_error(s, Kind::BallotClose, e))
        })
        .await?;
    let matter = gov::get::<Matter>(state.ledger.store(), &id).map_err(Error::from)?;
    let outcome = matter.map(|m| outcome_view(body.result, &m.body));
    Ok(authored(
        &state,
        &record,
        json!({ "matter": id.to_hex(), "outcome": outcome, "tally": tally_view(&body.tally), "counted": body.counted.len() }),
    ))
}

/// `GET /api/v1/meetings?cursor=&limit=`: meetings, newest first, with their agenda and minutes, a
/// page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/meetings",
    operation_id = "listMeetings",
    tag = "governance",
    summary = "Meetings (kallelser) held, newest first, a page at a time, each with its agenda and the minutes recorded for it.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of meetings.", body = inline(doc::Meetings)),
        doc::BadPage,
        doc::ReadFailures,
    ),
)]
pub(super) async fn meetings(S(state): S<State>, Query(q): Query<PageQuery>) -> Result<Json<Value>, Error> {
    let (before, limit) = q.bounds()?;
    chain(&state)?;
    let page = state.blocking(move |s| Ok(gov::meetings_page(s.ledger.store(), before, limit))).await?;
    Ok(page_json("meetings", &page, |m| {
        let b = &m.meeting.body;
        json!({
            "id": m.meeting.id().to_hex(),
            "title": b.title,
            "date": b.date,
            "place": b.place,
            "notice_given_on": b.notice_given_on,
            "agenda": m.agenda.iter().map(|(id, title, dn)| json!({
                "matter": id.to_hex(), "title": title, "diarienummer": dn.as_ref().map(ToString::to_string),
            })).collect::<Vec<_>>(),
            "minutes": m.minutes.iter().map(|id| id.to_hex()).collect::<Vec<_>>(),
        })
    }))
}

async fn minutes_of(state: &State, id: String) -> Result<(MinutesReport, std::sync::Arc<RosterChain>), Error> {
    let id = extract::record_id(&id)?;
    let chain = chain(state)?;
    let report = state.blocking(move |s| Ok(gov::minutes_report(s.ledger.store(), &id)?)).await?;
    let report = report.ok_or_else(|| {
        Error::not_found("unknown_minutes", format!("no minutes {id} are held here; see GET /api/v1/meetings"))
    })?;
    Ok((report, chain))
}

fn signer_view(key: &PublicKey, report: &MinutesReport, chain: &RosterChain) -> Value {
    let member = member_of_key(chain, key);
    let justering = report.justeringar.iter().find(|j| j.record.header().author == *key).map(Held::id);
    json!({
        "key": key.to_hex(),
        "member": member,
        "member_name": member.as_deref().map(|m| member_name(chain, m)),
        "signed": justering.is_some(),
        "justering": justering.map(|id| id.to_hex()),
    })
}

/// `GET /api/v1/minutes/{id}`: the minutes with their items and justering status.
#[utoipa::path(
    get,
    path = "/api/v1/minutes/{id}",
    operation_id = "getMinutes",
    tag = "governance",
    summary = "Minutes (protokoll) with their items and justering status: justerat once the chair and both justerare have each signed a justering record.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "The minutes.", body = doc::MinutesDetail),
        doc::BadPath,
        doc::UnknownMinutes,
        doc::ReadFailures,
    ),
)]
pub(super) async fn minutes(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let (r, chain) = minutes_of(&state, id).await?;
    let m = &r.minutes.body;
    let (status, missing) = match &r.status {
        samverka_protocol::governance::JusteringStatus::Justerat => ("justerat", Vec::new()),
        samverka_protocol::governance::JusteringStatus::Pending { missing } => {
            ("pending", missing.iter().map(PublicKey::to_hex).collect())
        }
    };
    Ok(Json(json!({
        "id": r.minutes.id().to_hex(),
        "meeting": r.meeting.as_ref().map(|h| json!({
            "id": h.id().to_hex(), "title": h.body.title, "date": h.body.date, "place": h.body.place,
        })),
        "present": m.present.iter().map(|p| json!({ "member": p, "name": member_name(&chain, p) })).collect::<Vec<_>>(),
        "items": r.items.iter().map(|i| json!({
            "matter": i.matter.to_hex(),
            "title": i.title,
            "diarienummer": i.diarienummer.as_ref().map(ToString::to_string),
            "closing": i.closing.map(|(c, _)| c.to_hex()),
            "outcome": i.closing.and_then(|(_, o)| o).map(|o| match o {
                Outcome::Adopted { alternative } => json!({ "result": "adopted", "alternative": alternative }),
                Outcome::Rejected => json!({ "result": "rejected" }),
                Outcome::NoQuorum => json!({ "result": "no_quorum" }),
            }),
            "text": i.text,
        })).collect::<Vec<_>>(),
        "chair": signer_view(&m.chair, &r, &chain),
        "justerare": m.justerare.iter().map(|k| signer_view(k, &r, &chain)).collect::<Vec<_>>(),
        "anslag_date": m.anslag_date,
        "justering": {
            "status": status,
            "missing": missing,
            "records": r.justeringar.iter().map(|j| j.id().to_hex()).collect::<Vec<_>>(),
        },
    })))
}

/// `GET /api/v1/minutes/{id}/minutes.pdf`
#[utoipa::path(
    get,
    path = "/api/v1/minutes/{id}/minutes.pdf",
    operation_id = "getMinutesPdf",
    tag = "governance",
    summary = "The minutes as a PDF, with the justering signatures and record ids.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "A PDF document.", body = inline(doc::Bytes), content_type = "application/pdf"),
        doc::BadPath,
        doc::UnknownMinutes,
        doc::ReadFailures,
    ),
)]
pub(super) async fn minutes_pdf(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (r, chain) = minutes_of(&state, id).await?;
    let pdf = report::minutes_document(&r, &chain).to_pdf();
    Ok(file("application/pdf", format!("protokoll-{}.pdf", &r.minutes.id().to_hex()[..16]), pdf))
}

/// `GET /api/v1/minutes/{id}/minutes.csv`: the minutes as CSV, one row per paragraph.
#[utoipa::path(
    get,
    path = "/api/v1/minutes/{id}/minutes.csv",
    operation_id = "getMinutesCsv",
    tag = "governance",
    summary = "The minutes as CSV for Swedish Excel (UTF-8 with BOM, semicolons): one row per paragraph with diarienummer, decision, ballot result, closing id and justering status.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "A CSV document.", body = String, content_type = "text/csv"),
        doc::BadPath,
        doc::UnknownMinutes,
        doc::ReadFailures,
    ),
)]
pub(super) async fn minutes_csv(S(state): S<State>, Path(id): Path<String>) -> Result<Response, Error> {
    let (r, _) = minutes_of(&state, id).await?;
    let name = format!("protokoll-{}.csv", &r.minutes.id().to_hex()[..16]);
    Ok(file("text/csv; charset=utf-8", name, report::minutes_csv(&r)))
}

/// Papers received at once; over it an upload is answered 429 with Retry-After. Each upload
/// holds at most the size of the paper a record names (and [`MAX_UPLOAD_PAPER_BYTES`]) in
/// memory, so uploads hold at most this many times that.
pub const MAX_CONCURRENT_UPLOADS: usize = 2;

/// The node's upload permits. One node process serves one API, so one set of permits.
static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_UPLOADS);

/// `POST /api/v1/papers`: a paper's bytes (`application/octet-stream`, at most
/// [`MAX_UPLOAD_PAPER_BYTES`]), stored under their content hash when a held paper record or
/// matter names that hash and size — so nothing unreferenced fills the store. A body whose
/// declared length no named paper has, or that grows past the largest named paper, is refused
/// while it streams, before it is held whole; at most [`MAX_CONCURRENT_UPLOADS`] at once.
#[utoipa::path(
    post,
    path = "/api/v1/papers",
    operation_id = "uploadPaper",
    tag = "governance",
    summary = "Uploads a paper's bytes (at most 16 MiB). Stored content-addressed, only when a held paper record or matter names its content hash and size: submit the signed record first. Other members' nodes then fetch the content during sync and check it by its hash.",
    request_body(content((inline(doc::Bytes) = "application/octet-stream"))),
    responses(
        (status = 200, description = "Already stored.", body = doc::PaperStored),
        (status = 201, description = "Stored.", body = doc::PaperStored),
        doc::BadPaper,
        doc::NotOctetStream,
        doc::UnreferencedPaper,
        doc::UploadsBusy,
        doc::Internal,
        doc::DiskFull,
    ),
)]
pub(super) async fn upload_paper(S(state): S<State>, req: Request) -> Result<Response, Error> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.split(';').next().unwrap_or("").trim() != "application/octet-stream" {
        return Err(Error::UnsupportedMediaType {
            message: "send the paper's bytes as `application/octet-stream`".into(),
        });
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(0) => return Err(empty()),
        Some(n) if n > MAX_UPLOAD_PAPER_BYTES as u64 => return Err(too_large()),
        _ => {}
    }
    let named = state.blocking(|s| named_papers(s.ledger.store())).await?;
    if let Some(n) = declared.filter(|n| !named.iter().any(|(_, size)| size == n)) {
        return Err(unreferenced(format!("a paper of {n} bytes")));
    }
    let largest = named.iter().map(|(_, size)| *size).max().unwrap_or(0);
    let _permit = UPLOADS.try_acquire().map_err(|_| Error::TooManyRequests {
        code: "uploads_busy",
        message: format!("this node is receiving {MAX_CONCURRENT_UPLOADS} papers already: send it again shortly"),
    })?;
    let bytes = receive(req.into_body(), declared, largest).await?;
    store_paper(&state, bytes).await
}

/// Reads a paper's body while it streams, refusing it once it passes `largest` (the largest
/// paper a held record names) or [`MAX_UPLOAD_PAPER_BYTES`].
async fn receive(body: axum::body::Body, declared: Option<u64>, largest: u64) -> Result<Vec<u8>, Error> {
    use futures::StreamExt as _;
    let limit = usize::try_from(largest).unwrap_or(usize::MAX).min(MAX_UPLOAD_PAPER_BYTES);
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit)).min(limit));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Error::bad_request("paper_unreadable", "the paper's bytes could not be read"))?;
        if bytes.len() + chunk.len() > limit {
            return Err(if limit < MAX_UPLOAD_PAPER_BYTES {
                unreferenced(if limit == 0 {
                    "any paper".into()
                } else {
                    format!("a paper of more than {limit} bytes")
                })
            } else {
                too_large()
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Stores a received paper when a held record names its hash and size.
async fn store_paper(state: &State, bytes: Vec<u8>) -> Result<Response, Error> {
    if bytes.is_empty() {
        return Err(empty());
    }
    let (hash, fresh) = state
        .blocking(move |s| {
            let store = s.ledger.store();
            let hash = samverka_protocol::governance::content_hash(&bytes);
            let size = u64::try_from(bytes.len()).expect("a length fits in u64");
            if !named_papers(store)?.contains(&(hash, size)) {
                return Err(unreferenced(format!("content hash {hash} with size {size}")));
            }
            let fresh = store.get_blob(&hash)?.is_none();
            let stored = store.put_blob(&bytes)?;
            assert_eq!(stored, hash, "the store keys a blob by its content hash");
            Ok((hash, fresh))
        })
        .await?;
    let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
    let body = json!({ "content_hash": hash.to_hex(), "outcome": if fresh { "stored" } else { "duplicate" } });
    Ok((status, axum::Json(body)).into_response())
}

fn empty() -> Error {
    Error::bad_request("empty_paper", "the body is empty: send the paper's bytes")
}

fn too_large() -> Error {
    Error::bad_request(
        "paper_too_large",
        format!("the paper is larger than this node accepts ({MAX_UPLOAD_PAPER_BYTES} bytes) or could not be read"),
    )
}

fn unreferenced(what: String) -> Error {
    Error::Rejected {
        code: "unreferenced_paper",
        message: format!(
            "no paper record or matter held here names {what}: submit the signed record naming the paper first, \
             then its bytes"
        ),
    }
}

/// The content hash and size of every paper a held paper record or matter names.
fn named_papers(store: &crate::storage::Store) -> Result<std::collections::BTreeSet<(Hash, u64)>, Error> {
    Ok(gov::named_papers(store)?)
}

/// `GET /api/v1/papers/{hash}`: a stored paper's bytes.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{hash}",
    operation_id = "getPaper",
    tag = "governance",
    summary = "A stored paper's bytes, by content hash (SHA-256, domain `samverka/v1/paper`).",
    params(("hash" = doc::Id, Path, description = "Content hash.")),
    responses(
        (status = 200, description = "The paper's bytes.", body = inline(doc::Bytes), content_type = "application/octet-stream"),
        doc::BadPath,
        doc::UnknownPaper,
        doc::Internal,
    ),
)]
pub(super) async fn paper(S(state): S<State>, Path(hash): Path<String>) -> Result<Response, Error> {
    let hash = Hash::from_hex(&hash).map_err(|_| {
        Error::bad_request("bad_hash", format!("{hash:?} is not a content hash: expected 64 hex digits"))
    })?;
    let bytes = state.blocking(move |s| Ok(s.ledger.store().get_blob(&hash)?)).await?;
    let bytes = bytes.ok_or_else(|| Error::not_found("unknown_paper", format!("no paper {hash} is stored here")))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// `GET /api/v1/authors/{key}/head`: the next position of a key's chain as this node sees it,
/// for signing outside the node (`samverka sign` on a key without a chain file).
#[utoipa::path(
    get,
    path = "/api/v1/authors/{key}/head",
    operation_id = "getAuthorHead",
    tag = "records",
    summary = "The next chain position (seq, prev) of a key as this node sees it, with the federation and roster version: what `samverka sign` needs to sign outside the node.",
    params(doc::KeyPath),
    responses(
        (status = 200, description = "The head.", body = doc::AuthorHead),
        doc::BadPath,
        doc::ReadFailures,
    ),
)]
pub(super) async fn head(S(state): S<State>, Path(key): Path<String>) -> Result<Json<Value>, Error> {
    let author = extract::public_key(&key)?;
    let chain = chain(&state)?;
    let (seq, prev) = state.ledger.next_position(&author).map_err(|e| Error::ingest(e, None))?;
    let grant = chain.current().keys.get(&author);
    Ok(Json(json!({
        "author": author.to_hex(),
        "member": grant.map(|g| &g.member),
        "certified": grant.is_some(),
        "next_seq": seq,
        "prev": prev.map(|p| p.to_hex()),
        "roster_version": chain.current().version,
        "federation": chain.federation().to_hex(),
    })))
}
