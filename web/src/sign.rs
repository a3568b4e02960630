//! The pages of a signed-in person (sign-in itself is [`crate::signin`]): what waits for them
//! ("Att göra"), signing in the browser (a vote, a justering, and the host
//! officers' new matters and meeting calls from [`crate::host`]), and the host officers'
//! register and close buttons.
//!
//! Signing takes three requests, each a plain form (the script only fills in signatures):
//!
//! 1. `POST /arenden/{id}/rosta` (or `/protokoll/{id}/justera`, `/arenden/nytt`,
//!    `/sammantraden/nytt`, the need and outage forms `/behov/nytt`, `/behov/{id}/steg`,
//!    `/behov/rangordna`, `/driftstorningar/ny`, `/driftstorningar/{id}/uppdatera` and
//!    `/friskforklara`): the node prepares the record and persists the chain position it
//!    takes (`Node::prepare`), then answers `303 /underskrift`. A refusal shows the form again
//!    with the reason (422); nothing is taken.
//! 2. `GET /underskrift`: what will be signed, in plain words, and the exact bytes in data
//!    attributes. The script checks the bytes against the browser's own record of its chain,
//!    signs, keeps the signed record in IndexedDB, and posts the signature.
//! 3. `POST /underskrift`: the node ingests the record (`Node::submit`) and answers
//!    `303 /kvitto/{id}`; a refusal says why and which record's position is free again.
//!
//! Every form that changes state carries the session's CSRF token, and a request whose
//! `Origin` is another site's is refused whatever it carries.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use samverka_protocol::governance::Choice;
use samverka_protocol::{RecordId, Signature};
use serde::Deserialize;

use crate::catalog::Catalog;
use crate::page::{
    choice_text, choices, matter_page, outcome_text, read, roles_text, row, Chrome, Failure, Row, TextPage, Visitor,
};
use crate::session::{self, Session};
use crate::view::agreement::AgreementAct;
use crate::view::{self, GovernanceAction, Me, Node};
use crate::Web;

/// A form as posted: every field optional, so a form missing one gets a page saying so, not a
/// bare rejection. A field sent twice keeps its last value; `agenda` keeps every value.
#[derive(Debug, Default)]
pub struct Fields {
    pub(crate) csrf: Option<String>,
    pub(crate) choice: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) challenge: Option<String>,
    pub(crate) signature: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) proposal: Option<String>,
    pub(crate) alternatives: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) place: Option<String>,
    pub(crate) agenda: Vec<String>,
    pub(crate) present: Vec<String>,
    pub(crate) text: Vec<String>,
    pub(crate) justerare: Vec<String>,
    pub(crate) chair: Option<String>,
    pub(crate) member: Option<String>,
    pub(crate) role: Vec<String>,
    pub(crate) from: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) priority: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) step: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) benefit: Option<String>,
    pub(crate) wished: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) asker_name: Option<String>,
    pub(crate) asker_role: Option<String>,
    pub(crate) by: Option<String>,
    pub(crate) consequences: Option<String>,
    pub(crate) cost: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) affected: Option<String>,
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
    /// A ranking ballot's places: (need id as hex, place as typed), from fields `plats-<id>`.
    pub(crate) places: Vec<(String, String)>,
}

impl Fields {
    fn of(pairs: Vec<(String, String)>) -> Fields {
        let mut f = Fields::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "csrf" => &mut f.csrf,
                "choice" => &mut f.choice,
                "key" => &mut f.key,
                "challenge" => &mut f.challenge,
                "signature" => &mut f.signature,
                "id" => &mut f.id,
                "kind" => &mut f.kind,
                "title" => &mut f.title,
                "proposal" => &mut f.proposal,
                "alternatives" => &mut f.alternatives,
                "date" => &mut f.date,
                "place" => &mut f.place,
                "chair" => &mut f.chair,
                "member" => &mut f.member,
                "from" => &mut f.from,
                "until" => &mut f.until,
                "reason" => &mut f.reason,
                "category" => &mut f.category,
                "priority" => &mut f.priority,
                "description" => &mut f.description,
                "step" => &mut f.step,
                "reference" => &mut f.reference,
                "benefit" => &mut f.benefit,
                "wished" => &mut f.wished,
                "area" => &mut f.area,
                "asker_name" => &mut f.asker_name,
                "asker_role" => &mut f.asker_role,
                "by" => &mut f.by,
                "consequences" => &mut f.consequences,
                "cost" => &mut f.cost,
                "note" => &mut f.note,
                "affected" => &mut f.affected,
                "start" => &mut f.start,
                "end" => &mut f.end,
                other if other.starts_with(PLACE_PREFIX) => {
                    if f.places.len() < samverka_protocol::needs::MAX_RANKED * 4 {
                        f.places.push((other[PLACE_PREFIX.len()..].to_owned(), value));
                    }
                    continue;
                }
                "agenda" | "present" | "text" | "justerare" | "role" => {
                    let list = match name.as_str() {
                        "agenda" => &mut f.agenda,
                        "present" => &mut f.present,
                        "text" => &mut f.text,
                        "role" => &mut f.role,
                        _ => &mut f.justerare,
                    };
                    list.push(value);
                    continue;
                }
                _ => continue,
            };
            *slot = Some(value);
        }
        f
    }
}

/// The prefix of a ranking ballot's place fields: `plats-<need id>`.
pub(crate) const PLACE_PREFIX: &str = "plats-";

/// A posted form, as pairs (the request body is bounded by the node's request limit).
pub(crate) type Posted = Result<Form<Vec<(String, String)>>, FormRejection>;

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    c: Chrome,
    ballots: Vec<Row>,
    justering: Vec<MinutesLine>,
    agreements: Vec<crate::page::agreements::Line>,
    deadlines: Vec<crate::page::agreements::Line>,
    /// Withdrawals waiting for the styrgrupp's decision on the roster (host officers): (link,
    /// text).
    withdrawals: Vec<(String, String)>,
    outages: Vec<crate::page::outages::Line>,
    support: Vec<crate::page::support::Line>,
    csrf: String,
    error: Option<String>,
}

struct MinutesLine {
    meeting: String,
    date: String,
    href: String,
    action: String,
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    c: Chrome,
    facts: Vec<(&'static str, String)>,
    intro: String,
    csrf: String,
    author: String,
    id: String,
    seq: u64,
    prev: String,
    input: String,
    before: String,
    after: String,
    back: String,
    /// Whether the organisation key signs (its key file is chosen on the page).
    org: bool,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    c: Chrome,
    /// The record stored: the script marks it acknowledged in the browser's chain.
    acked: Option<String>,
    /// The record refused: the script frees its position in the browser's chain.
    given_back: Option<String>,
    message: String,
    id: String,
    back: String,
}

/// The chrome with the one script: for the pages that use the browser's key.
pub(crate) fn script(mut c: Chrome) -> Chrome {
    c.script = true;
    c
}

/// The signed-in person, or a redirect to the sign-in page.
pub(crate) fn signed_in(v: &Visitor) -> Result<(&Session, &Me), Box<Response>> {
    v.me.as_ref().map(|(s, m)| (s, m)).ok_or_else(|| Box::new(Redirect::to("/logga-in").into_response()))
}

/// The form, if it is this node's own and carries the session's CSRF token; otherwise the
/// 403 page saying what to do.
pub(crate) fn checked<N: Node>(
    web: &Web<N>,
    v: &Visitor,
    posted: Posted,
    session: Option<&Session>,
) -> Result<Fields, Box<Response>> {
    let refuse = |key: &str| {
        let t = v.t();
        let page = TextPage {
            c: v.chrome(t.get("form.forbidden_heading").into(), web.node.demo()),
            paragraphs: vec![t.get(key).into()],
            link: Some(("/", t.get("not_found.link").into())),
        };
        v.answer_with(StatusCode::FORBIDDEN, page.render().map_err(Failure::from), web.node.demo())
    };
    if !v.same_origin {
        return Err(Box::new(refuse("form.other_origin")));
    }
    let Ok(Form(pairs)) = posted else { return Err(Box::new(refuse("form.malformed"))) };
    let fields = Fields::of(pairs);
    if let Some(session) = session {
        let sent = fields.csrf.as_deref().unwrap_or("");
        if !session::same_token(sent, &session.csrf) {
            return Err(Box::new(refuse("form.stale")));
        }
    }
    Ok(fields)
}

/// The signed-in person and their form, when the form is this node's own and carries the
/// session's CSRF token; otherwise the answer to give (the sign-in page, or 403).
pub(crate) fn signed_form<'v, N: Node>(
    web: &Web<N>,
    v: &'v Visitor,
    posted: Posted,
) -> Result<(&'v Me, Fields), Box<Response>> {
    let (session, me) = signed_in(v)?;
    Ok((me, checked(web, v, posted, Some(session))?))
}

/// The text of a refusal: the catalog's `refusal.field.<code>` naming the field to correct
/// (`form_field.<field>`) when the refusal is about one, else `refusal.<code>`, or the general
/// one naming the code.
pub(crate) fn refusal_text(t: &'static Catalog, r: &view::Refusal) -> String {
    if let Some(field) = r.field {
        let key = format!("refusal.field.{}", r.code);
        let label = t.get(&format!("form_field.{field}"));
        if t.get(&key) != crate::catalog::MISSING && label != crate::catalog::MISSING {
            return t.fill(&key, &[("field", label)]);
        }
    }
    let key = format!("refusal.{}", r.code);
    match t.get(&key) {
        crate::catalog::MISSING => t.fill("refusal.general", &[("code", r.code)]),
        text => text.to_owned(),
    }
}

/// `GET /att-gora`: open ballots the person's member has not voted in, minutes waiting for
/// their justering.
pub async fn todo<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let (session, me) = match signed_in(&v) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let page = todo_page(&web, &v, session, me, None).await;
    v.answer(page, web.node.demo())
}

async fn todo_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    session: &Session,
    me: &Me,
    error: Option<String>,
) -> Result<String, Failure> {
    let who = me.clone();
    let todo = read(&web.node, move |n| n.todo(&who)).await?;
    let t = v.t();
    let page = TodoPage {
        c: v.chrome(t.get("todo.heading").into(), web.node.demo()),
        ballots: todo.ballots.iter().map(|r| row(t, r)).collect(),
        justering: todo
            .justering
            .iter()
            .map(|m| MinutesLine {
                meeting: m.meeting.clone(),
                date: m.date.clone(),
                href: format!("/protokoll/{}", m.id.to_hex()),
                action: format!("/protokoll/{}/justera", m.id.to_hex()),
            })
            .collect(),
        agreements: todo.agreements.iter().map(|r| crate::page::agreements::line(t, r)).collect(),
        deadlines: todo.deadlines.iter().map(|r| crate::page::agreements::line(t, r)).collect(),
        withdrawals: todo
            .withdrawals
            .iter()
            .map(|w| {
                let text = t.fill(
                    "todo.withdrawal",
                    &[("member", &w.member), ("agreement", &w.agreement.title), ("date", &w.bound_until)],
                );
                (format!("/avtal/{}", w.agreement.id.to_hex()), text)
            })
            .collect(),
        outages: todo.outages.iter().map(|r| crate::page::outages::line(t, r)).collect(),
        support: todo.support.iter().map(|r| crate::page::support::line(t, r)).collect(),
        csrf: session.csrf.clone(),
        error,
    };
    Ok(page.render()?)
}

/// `POST /arenden/{id}/rosta`: prepares the person's vote and shows it for signing.
pub async fn vote<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let (me, fields) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Ok(matter) = RecordId::from_hex(&id) else { return v.answer(Err(Failure::NotFound), web.node.demo()) };
    let t = v.t();
    let found = read(&web.node, move |n| n.matter(&matter)).await;
    let alternatives = match found {
        Ok(Some(m)) => m.alternatives,
        Ok(None) => return v.answer(Err(Failure::NotFound), web.node.demo()),
        Err(e) => return v.answer(Err(e), web.node.demo()),
    };
    let choice: Option<Choice> = fields
        .choice
        .as_deref()
        .and_then(|c| choices(&alternatives).into_iter().find(|(value, _)| value == c).map(|(_, choice)| choice));
    let Some(choice) = choice else {
        let page = matter_page(&web, &v, &id, Some(t.get("vote.choose").into())).await;
        return v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page, web.node.demo());
    };
    let prepared = prepare(&web, &v, me, GovernanceAction::Vote { matter, choice }.into()).await;
    again(&web, &v, prepared, |r| matter_page(&web, &v, &id, r.error)).await
}

/// `POST /arenden/{id}/diariefor`: the host's node registers the matter in the diarium.
pub async fn register<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    host_command(web, id, v, posted, view::HostCommand::Register).await
}

/// `POST /arenden/{id}/avsluta`: the host's node closes the matter's ballot.
pub async fn close<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    host_command(web, id, v, posted, view::HostCommand::Close).await
}

async fn host_command<N: Node>(
    web: Arc<Web<N>>,
    id: String,
    v: Visitor,
    posted: Posted,
    command: fn(RecordId) -> view::HostCommand,
) -> Response {
    let (me, _) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Ok(matter) = RecordId::from_hex(&id) else { return v.answer(Err(Failure::NotFound), web.node.demo()) };
    let who = me.clone();
    match read(&web.node, move |n| n.host(&who, command(matter))).await {
        Ok(Ok(())) => Redirect::to(&format!("/arenden/{id}")).into_response(),
        Ok(Err(refusal)) => {
            tracing::info!(code = refusal.code, detail = %refusal.detail, "a host command was refused");
            let page = matter_page(&web, &v, &id, Some(refusal_text(v.t(), &refusal))).await;
            v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page, web.node.demo())
        }
        Err(e) => v.answer(Err(e), web.node.demo()),
    }
}

/// `POST /protokoll/{id}/justera`: prepares the person's justering and shows it for signing.
pub async fn justera<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let prepared = prepare_on(&web, &id, &v, posted, |minutes, _| GovernanceAction::Justera { minutes }.into()).await;
    again(&web, &v, prepared, |r| async {
        let (session, me) = v.me.as_ref().map(|(s, m)| (s, m)).expect("prepare_on answers unless signed in");
        todo_page(&web, &v, session, me, r.error).await
    })
    .await
}

/// Prepares the action `action` makes of the record `id` names and the posted form's fields, for
/// a signed-in person (a malformed id is the 404 page). A refusal comes back for the caller to
/// show its form again with it ([`again`]).
pub(crate) async fn prepare_on<N: Node>(
    web: &Arc<Web<N>>,
    id: &str,
    v: &Visitor,
    posted: Posted,
    action: impl FnOnce(RecordId, Fields) -> view::Action,
) -> Result<Response, Refused> {
    let (me, f) = match signed_form(web, v, posted) {
        Ok(x) => x,
        Err(r) => return Ok(*r),
    };
    let Ok(record) = RecordId::from_hex(id) else { return Ok(v.answer(Err(Failure::NotFound), web.node.demo())) };
    prepare(web, v, me, action(record, f)).await
}

/// Prepares the action `action` makes of the posted form's fields (a new record), for a
/// signed-in person; a refusal comes back as from [`prepare_on`].
pub(crate) async fn prepare_new<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    posted: Posted,
    action: impl FnOnce(Fields) -> view::Action,
) -> Result<Response, Refused> {
    let (me, f) = match signed_form(web, v, posted) {
        Ok(x) => x,
        Err(r) => return Ok(*r),
    };
    prepare(web, v, me, action(f)).await
}

/// Asks the node to prepare `action` for `me` (`Node::prepare`) and sends the person on to sign
/// it (`303 /underskrift`). A refusal comes back (`Err`) for the caller, which knows the form,
/// to show again with it ([`again`]); nothing was taken.
pub(crate) async fn prepare<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    me: &Me,
    action: view::Action,
) -> Result<Response, Refused> {
    let who = me.clone();
    match read(&web.node, move |n| n.prepare(&who, action)).await {
        Ok(Ok(_offer)) => Ok(Redirect::to("/underskrift").into_response()),
        Ok(Err(refusal)) => {
            tracing::info!(code = refusal.code, detail = %refusal.detail, "a record was not offered");
            Err(Refused::new(Some(refusal_text(v.t(), &refusal)), refusal.field))
        }
        Err(e) => Ok(v.answer(Err(e), web.node.demo())),
    }
}

/// The answer to a prepared action: on to signing, or — refused — the form `page` renders
/// again with the refusal (422).
pub(crate) async fn again<N: Node, P>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    prepared: Result<Response, Refused>,
    page: impl FnOnce(Refused) -> P,
) -> Response
where
    P: std::future::Future<Output = Result<String, Failure>>,
{
    match prepared {
        Ok(response) => response,
        Err(refused) => v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page(refused).await, web.node.demo()),
    }
}

/// A refusal as a form shows it: the text in the error summary, and the field it is about (its
/// id), which the form marks `aria-invalid` and describes by the summary.
#[derive(Clone, Debug, Default)]
pub(crate) struct Refused {
    pub(crate) error: Option<String>,
    pub(crate) field: Option<&'static str>,
}

impl Refused {
    pub(crate) fn new(error: Option<String>, field: Option<&'static str>) -> Refused {
        Refused { error, field }
    }

    /// Whether the field `id` is the one to correct.
    pub(crate) fn on(&self, id: &str) -> bool {
        self.error.is_some() && self.field == Some(id)
    }
}

/// `GET /underskrift`: the record waiting for the person's signature, in plain words.
pub async fn offer<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let (session, me) = match signed_in(&v) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let who = me.clone();
    let offer = match read(&web.node, move |n| n.offer(&who)).await {
        Ok(o) => o,
        Err(e) => return v.answer(Err(e), web.node.demo()),
    };
    let t = v.t();
    let Some(offer) = offer else {
        let page = TextPage {
            c: v.chrome(t.get("offer.none_heading").into(), web.node.demo()),
            paragraphs: vec![t.get("offer.none").into()],
            link: Some(("/att-gora", t.get("nav.todo").into())),
        };
        return v.answer(page.render().map_err(Failure::from), web.node.demo());
    };
    let hex_of = |id: &RecordId| id.to_hex();
    let (facts, intro, back) = match &offer.subject {
        view::Subject::Vote { matter, alternatives, member, choice } => (
            vec![
                (t.get("offer.matter"), format!("{} ({})", matter.title, row(t, matter).diarienummer)),
                (t.get("offer.choice"), choice_text(t, *choice, alternatives)),
                (t.get("offer.member"), member.clone()),
            ],
            t.get("offer.vote_intro").to_owned(),
            format!("/arenden/{}", matter.id.to_hex()),
        ),
        view::Subject::Justering { minutes } => (
            vec![(t.get("offer.minutes"), format!("{} {}", minutes.meeting, minutes.date))],
            t.get("offer.justering_intro").to_owned(),
            "/att-gora".to_owned(),
        ),
        view::Subject::Matter { kind, title, proposal, alternatives, papers } => {
            let mut facts = vec![
                (t.get("matter.title"), title.clone()),
                (t.get("matter.kind"), t.get(crate::page::kind_key(*kind)).to_owned()),
                (t.get("matter.proposal"), proposal.clone()),
            ];
            if !alternatives.is_empty() {
                facts.push((t.get("matter.alternatives"), alternatives.join(" · ")));
            }
            for p in papers {
                let size = t.fill("matter.bytes", &[("size", &crate::locale::grouped(p.size))]);
                facts.push((t.get("matter.papers"), format!("{} ({size}), {}", p.name, p.hash.to_hex())));
            }
            (facts, t.get("offer.matter_intro").to_owned(), "/arenden".to_owned())
        }
        view::Subject::Meeting { meeting } => {
            let agenda: Vec<String> =
                meeting.agenda.iter().map(|a| a.title.clone().unwrap_or_else(|| a.matter.to_hex())).collect();
            (
                vec![
                    (t.get("offer.meeting"), format!("{} {}", meeting.title, meeting.date)),
                    (t.get("offer.place"), meeting.place.clone()),
                    (t.get("offer.notice"), meeting.notice_given_on.clone()),
                    (t.get("meetings.agenda"), agenda.join(" · ")),
                ],
                t.get("offer.meeting_intro").to_owned(),
                "/sammantraden".to_owned(),
            )
        }
        view::Subject::Minutes { minutes } => {
            let mut facts = vec![
                (t.get("offer.meeting"), format!("{} {}", minutes.row.meeting, minutes.row.date)),
                (t.get("minutes.present"), minutes.present.join(", ")),
            ];
            for (number, item) in minutes.items.iter().enumerate() {
                let title = item.matter.title.clone().unwrap_or_else(|| item.matter.matter.to_hex());
                let decision = item.outcome.map(|o| outcome_text(t, o, &item.alternatives));
                let text = match decision {
                    Some(d) => format!("{title}. {} {d}. {}", t.get("minutes.decision"), item.text),
                    None => format!("{title}. {}", item.text),
                };
                facts.push((t.get("offer.paragraph"), format!("§ {}: {text}", number + 1)));
            }
            for signer in &minutes.signers {
                let key = if signer.chair { "offer.chair" } else { "offer.justerare" };
                facts.push((t.get(key), format!("{}, {}", roles_text(t, &signer.roles), signer.member)));
            }
            if let Some(day) = &minutes.anslag_date {
                facts.push((t.get("minutes.anslag"), day.clone()));
            }
            (facts, t.get("offer.minutes_intro").to_owned(), "/sammantraden".to_owned())
        }
        view::Subject::Certify { version, member, person, reason } => {
            let mut facts = vec![
                (t.get("certify.member"), member.clone()),
                (t.get("key.public"), person.key.to_hex()),
                (t.get("certify.roles"), roles_text(t, &person.roles)),
                (t.get("certify.mandate"), crate::page::mandate_text(t, person.valid)),
                (t.get("offer.roster_version"), version.to_string()),
            ];
            if !reason.is_empty() {
                facts.push((t.get("certify.reason"), reason.clone()));
            }
            (facts, t.get("offer.certify_intro").to_owned(), "/medlemmar".to_owned())
        }
        view::Subject::Support { case, title, step, text } => (
            vec![
                (t.get("offer.support_case"), title.clone()),
                (t.get("offer.support_step"), t.get(&format!("support.action_{step}")).to_owned()),
                (t.get("offer.support_text"), text.clone()),
            ],
            t.get("offer.support_intro").to_owned(),
            case.map_or_else(|| "/support".to_owned(), |c| format!("/support/{}", c.to_hex())),
        ),
        view::Subject::AgreementSignature { agreement, party, others, act, ends } => {
            let mut facts = vec![
                (t.get("offer.agreement"), agreement.title.clone()),
                (t.get("offer.party"), party.clone()),
                (t.get("offer.others"), others.join(", ")),
                (t.get("agreement.status"), crate::page::agreements::line(t, agreement).status),
            ];
            if let Some(ends) = ends {
                facts.push((t.get("offer.ends"), ends.clone()));
            }
            let intro = match act {
                AgreementAct::Sign => "offer.agreement_intro",
                AgreementAct::Notice => "offer.notice_intro",
                AgreementAct::Withdrawal => "offer.withdrawal_intro",
            };
            (facts, t.get(intro).to_owned(), format!("/avtal/{}", agreement.id.to_hex()))
        }
        view::Subject::NeedEndorsement { need, member } => (
            vec![(t.get("offer.need"), need.title.clone()), (t.get("offer.member"), member.clone())],
            t.get("offer.need_intro").to_owned(),
            format!("/behov/{}", need.id.to_hex()),
        ),
        view::Subject::NewNeed { need, member } => {
            let mut facts = vec![
                (t.get("need.title"), need.title.clone()),
                (t.get("need.area"), need.area.clone()),
                (t.get("offer.member"), member.clone()),
                (t.get("need.asker"), format!("{}, {}", need.asker_name, need.asker_role)),
            ];
            if !need.wished.is_empty() {
                facts.push((t.get("need.wished"), need.wished.clone()));
            }
            facts.push((t.get("need.description"), need.description.clone()));
            facts.push((t.get("need.benefit"), need.benefit.clone()));
            (facts, t.get("offer.new_need_intro").to_owned(), "/behov".to_owned())
        }
        view::Subject::NeedStep { need, step } => {
            let (state, _, _, what) = crate::page::needs::step_line(t, step);
            let mut facts = vec![(t.get("offer.need"), need.title.clone()), (t.get("need.step"), state)];
            if !what.is_empty() {
                facts.push((t.get("need.what"), what));
            }
            (facts, t.get("offer.need_step_intro").to_owned(), format!("/behov/{}", need.id.to_hex()))
        }
        view::Subject::NeedRanking { member, needs } => {
            let mut facts = vec![(t.get("offer.member"), member.clone())];
            if needs.is_empty() {
                facts.push((t.get("offer.ranking"), t.get("offer.ranking_empty").to_owned()));
            }
            for (place, title) in needs.iter().enumerate() {
                facts.push((t.get("offer.ranking"), format!("{}. {title}", place + 1)));
            }
            (facts, t.get("offer.ranking_intro").to_owned(), "/behov/rangordna".to_owned())
        }
        view::Subject::Outage { act, notice, kind, text, affected, start_ms, end_ms } => {
            let mut facts = vec![(t.get("offer.outage"), notice.1.clone())];
            if let Some(kind) = kind {
                facts
                    .push((t.get("outage.kind"), t.get(&format!("outage.kind_{}", kind.replace('-', "_"))).to_owned()));
            }
            if !affected.is_empty() {
                facts.push((t.get("outage.affected"), affected.join(", ")));
            }
            if let Some(start) = start_ms {
                facts.push((t.get("outage.start"), crate::locale::date_time(*start)));
            }
            if let Some(end) = end_ms {
                facts.push((t.get("outage.expected_end"), crate::locale::date_time(*end)));
            }
            facts.push((t.get("outage.text"), text.clone()));
            let back = notice
                .0
                .map_or_else(|| "/driftstorningar".to_owned(), |id| format!("/driftstorningar/{}", id.to_hex()));
            (facts, t.get(&format!("offer.outage_{act}_intro")).to_owned(), back)
        }
        view::Subject::OutageAck { outage, member } => (
            vec![
                (t.get("offer.outage"), outage.title.clone()),
                (t.get("outage.kind"), t.get(&format!("outage.kind_{}", outage.kind.replace('-', "_"))).to_owned()),
                (t.get("offer.member"), member.clone()),
            ],
            t.get("offer.outage_intro").to_owned(),
            format!("/driftstorningar/{}", outage.id.to_hex()),
        ),
    };
    let mut facts = facts;
    facts.push((t.get("offer.seq"), (offer.seq + 1).to_string()));
    facts.push((t.get("offer.id"), offer.id.to_hex()));
    let page = OfferPage {
        c: script(v.chrome(t.get("offer.heading").into(), web.node.demo())),
        facts,
        intro,
        csrf: session.csrf.clone(),
        author: offer.author.to_hex(),
        org: offer.author != me.key,
        id: offer.id.to_hex(),
        seq: offer.seq,
        prev: offer.prev.as_ref().map(hex_of).unwrap_or_default(),
        input: hex::encode(&offer.signing_input),
        before: hex::encode(&offer.around.0),
        after: hex::encode(&offer.around.1),
        back,
    };
    v.answer(page.render().map_err(Failure::from), web.node.demo())
}

/// `POST /underskrift`: the browser's signature over the offer; the record is ingested.
pub async fn submit<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let (me, fields) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let t = v.t();
    let id = fields.id.as_deref().and_then(|i| RecordId::from_hex(i).ok());
    let signature = fields.signature.as_deref().and_then(parse_signature);
    let (Some(id), Some(signature)) = (id, signature) else {
        let page = ReceiptPage {
            c: script(v.chrome(t.get("receipt.refused_heading").into(), web.node.demo())),
            acked: None,
            given_back: None,
            message: t.get("receipt.no_signature").into(),
            id: String::new(),
            back: "/underskrift".into(),
        };
        return v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page.render().map_err(Failure::from), web.node.demo());
    };
    let who = me.clone();
    match read(&web.node, move |n| n.submit(&who, &id, signature)).await {
        Ok(Ok(done)) => {
            let back = if is_local_path(&done.back) { done.back } else { "/att-gora".into() };
            Redirect::to(&format!("/kvitto/{}?tillbaka={back}", done.id.to_hex())).into_response()
        }
        Ok(Err(refusal)) => {
            tracing::info!(code = refusal.code, detail = %refusal.detail, "a record signed in a browser was not stored");
            let page = ReceiptPage {
                c: script(v.chrome(t.get("receipt.refused_heading").into(), web.node.demo())),
                acked: None,
                given_back: refusal.given_back.map(|id| id.to_hex()),
                message: refusal_text(t, &refusal),
                id: id.to_hex(),
                back: "/att-gora".into(),
            };
            v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page.render().map_err(Failure::from), web.node.demo())
        }
        Err(e) => v.answer(Err(e), web.node.demo()),
    }
}

/// Where `/kvitto` may link back to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Back {
    tillbaka: Option<String>,
}

fn is_local_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
}

/// `GET /kvitto/{id}`: the receipt for a record the person signed.
pub async fn receipt<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    Query(back): Query<Back>,
    v: Visitor,
) -> Response {
    if let Err(r) = signed_in(&v) {
        return *r;
    }
    let Ok(record) = RecordId::from_hex(&id) else { return v.answer(Err(Failure::NotFound), web.node.demo()) };
    // The receipt says "stored" only of a record this node holds durably.
    match read(&web.node, move |n| n.holds(&record)).await {
        Ok(true) => {}
        Ok(false) => return v.answer(Err(Failure::NotFound), web.node.demo()),
        Err(e) => return v.answer(Err(e), web.node.demo()),
    }
    let t = v.t();
    let back = back.tillbaka.filter(|b| is_local_path(b)).unwrap_or_else(|| "/att-gora".into());
    let page = ReceiptPage {
        c: script(v.chrome(t.get("receipt.heading").into(), web.node.demo())),
        acked: Some(record.to_hex()),
        given_back: None,
        message: t.get("receipt.stored").into(),
        id: record.to_hex(),
        back,
    };
    v.answer(page.render().map_err(Failure::from), web.node.demo())
}

pub(crate) fn parse_signature(hex: &str) -> Option<Signature> {
    let bytes: [u8; 64] = hex::decode(hex.trim()).ok()?.try_into().ok()?;
    Some(Signature(bytes))
}
