//! The host officers' forms: a new matter put to the styrgrupp with its papers
//! ([`crate::upload`]), a meeting called with its agenda, and a meeting's minutes (protokoll).
//! Each becomes a record the officer signs in the browser ([`crate::sign`]); the rules (one-line
//! titles, dates, the charter's notice days, the justerare's roles …) are the protocol's, and a
//! refusal shows the form again with what to do.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use samverka_protocol::{MatterKind, MemberId, PublicKey, RecordId, Role};

use crate::page::{kind_key, read, roles_text, Chrome, Failure, Visitor};
use crate::sign::{again, prepare, signed_form, signed_in, Posted};
use crate::view::{self, GovernanceAction, Node};
use crate::{upload, Web};

#[derive(Template)]
#[template(path = "new_matter.html")]
struct NewMatterPage {
    c: Chrome,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "new_meeting.html")]
struct NewMeetingPage {
    c: Chrome,
    csrf: String,
    /// Open matters: (id, title with diarienummer).
    open: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "new_minutes.html")]
struct NewMinutesPage {
    c: Chrome,
    csrf: String,
    /// Where the form posts.
    action: String,
    /// The meeting: title and date.
    meeting: String,
    /// Members: (id, name).
    members: Vec<(String, String)>,
    /// The agenda: (matter id, title with diarienummer).
    items: Vec<(String, String)>,
    /// Who may be justerare: (key, role and member).
    justerare: Vec<(String, String)>,
    /// Who may chair: (key, role and member).
    chairs: Vec<(String, String)>,
    error: Option<String>,
}

/// The form value of a matter kind (its catalog key without `kind.`).
fn kind_value(kind: MatterKind) -> &'static str {
    kind_key(kind).trim_start_matches("kind.")
}

fn forbidden<N: Node>(web: &Web<N>, v: &Visitor) -> Response {
    let t = v.t();
    let page = crate::page::TextPage {
        c: v.chrome(t.get("form.forbidden_heading").into(), web.node.demo()),
        paragraphs: vec![t.get("refusal.not_host_officer").into()],
        link: Some(("/", t.get("not_found.link").into())),
    };
    v.answer_with(StatusCode::FORBIDDEN, page.render().map_err(Failure::from), web.node.demo())
}

/// The new-matter form, with `error` above it.
async fn new_matter_page<N: Node>(web: &Arc<Web<N>>, v: &Visitor, error: Option<String>) -> Result<String, Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let kinds = MatterKind::ALL.into_iter().map(|k| (kind_value(k), t.get(kind_key(k)))).collect();
    let page = NewMatterPage { c: v.chrome(t.get("new_matter.heading").into(), web.node.demo()), csrf, kinds, error };
    Ok(page.render()?)
}

/// The call-a-meeting form, with `error` above it.
async fn new_meeting_page<N: Node>(web: &Arc<Web<N>>, v: &Visitor, error: Option<String>) -> Result<String, Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let matters = read(&web.node, |n| n.matters()).await?;
    let open = matters
        .iter()
        .filter(|m| m.status == view::Status::Open)
        .map(|m| {
            let title = match &m.diarienummer {
                Some(dn) => format!("{dn} {}", m.title),
                None => m.title.clone(),
            };
            (m.id.to_hex(), title)
        })
        .collect();
    let page = NewMeetingPage { c: v.chrome(t.get("new_meeting.heading").into(), web.node.demo()), csrf, open, error };
    Ok(page.render()?)
}

/// The minutes form for `meeting`, with `error` above it.
async fn new_minutes_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    meeting: RecordId,
    error: Option<String>,
) -> Result<String, Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let (meetings, federation) = read(&web.node, |n| Ok((n.meetings()?, n.federation()?))).await?;
    let m = meetings.into_iter().find(|m| m.id == meeting).ok_or(Failure::NotFound)?;
    let items = m
        .agenda
        .iter()
        .map(|a| {
            let title = a.title.clone().unwrap_or_else(|| t.get("meetings.matter_not_held").into());
            let title = a.diarienummer.as_ref().map_or_else(|| title.clone(), |dn| format!("{dn} {title}"));
            (a.matter.to_hex(), title)
        })
        .collect();
    let people = |wanted: &[Role]| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = federation
            .members
            .iter()
            .flat_map(|member| {
                member.people.iter().filter(|p| p.roles.iter().any(|r| wanted.contains(r))).map(|p| {
                    let who = t.fill(
                        "new_minutes.person",
                        &[("roles", &roles_text(t, &p.roles)), ("member", &member.name), ("key", &p.fingerprint)],
                    );
                    (p.key.to_hex(), who)
                })
            })
            .collect();
        out.sort_by(|a, b| crate::locale::compare(&a.1, &b.1));
        out
    };
    let page = NewMinutesPage {
        c: v.chrome(t.get("new_minutes.heading").into(), web.node.demo()),
        csrf,
        action: format!("/sammantraden/{}/protokoll", meeting.to_hex()),
        meeting: format!("{} {}", m.title, m.date),
        members: federation.members.iter().map(|m| (m.id.to_string(), m.name.clone())).collect(),
        items,
        justerare: people(&[Role::StyrgruppOrdinarie, Role::StyrgruppErsattare]),
        chairs: people(&[Role::Ordforande]),
        error,
    };
    Ok(page.render()?)
}

/// The host officers' forms.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Form {
    /// A new matter.
    Matter,
    /// A meeting called.
    Meeting,
    /// Minutes of this meeting.
    Minutes(RecordId),
}

impl Form {
    /// The form's page, with `error` above it.
    pub(crate) async fn page<N: Node>(
        self,
        web: &Arc<Web<N>>,
        v: &Visitor,
        error: Option<String>,
    ) -> Result<String, Failure> {
        match self {
            Form::Matter => new_matter_page(web, v, error).await,
            Form::Meeting => new_meeting_page(web, v, error).await,
            Form::Minutes(meeting) => new_minutes_page(web, v, meeting, error).await,
        }
    }

    /// The form again (422), saying what to do (the catalog's `key`).
    async fn again<N: Node>(self, web: &Arc<Web<N>>, v: &Visitor, key: &str) -> Response {
        let page = self.page(web, v, Some(v.t().get(key).into())).await;
        v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page, web.node.demo())
    }

    /// `GET` of the form: for host officers only.
    async fn show<N: Node>(self, web: &Arc<Web<N>>, v: &Visitor) -> Response {
        match signed_in(v) {
            Err(r) => *r,
            Ok((_, me)) if !me.host_officer() => forbidden(web, v),
            Ok(_) => {
                let page = self.page(web, v, None).await;
                v.answer(page, web.node.demo())
            }
        }
    }
}

/// `GET /arenden/nytt`: the form for a new matter (host officers).
pub async fn new_matter<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    Form::Matter.show(&web, &v).await
}

/// `POST /arenden/nytt`: prepares the new matter, with the papers uploaded with it, for the
/// officer to sign. Only a host officer's body is read ([`crate::upload`]).
pub async fn put_matter<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, request: Request) -> Response {
    match signed_in(&v) {
        Err(r) => return *r,
        Ok((_, me)) if !me.host_officer() => return forbidden(&web, &v),
        Ok(_) => {}
    }
    let (posted, papers) = match upload::read(request, &web).await {
        Ok(x) => x,
        Err(refused) => return Form::Matter.again(&web, &v, refused.key()).await,
    };
    let (me, f) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let kind = f.kind.as_deref().and_then(|k| MatterKind::ALL.into_iter().find(|m| kind_value(*m) == k));
    let Some(kind) = kind else { return Form::Matter.again(&web, &v, "new_matter.choose_kind").await };
    let alternatives: Vec<String> = f
        .alternatives
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let action = GovernanceAction::Matter {
        kind,
        title: f.title.unwrap_or_default().trim().to_owned(),
        proposal: f.proposal.unwrap_or_default().trim().replace("\r\n", "\n"),
        alternatives,
        papers,
    };
    let prepared = prepare(&web, &v, me, action.into()).await;
    again(&web, &v, prepared, |r| Form::Matter.page(&web, &v, r.error)).await
}

/// `GET /sammantraden/nytt`: the form to call a meeting (host officers).
pub async fn new_meeting<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    Form::Meeting.show(&web, &v).await
}

/// `POST /sammantraden/nytt`: prepares the meeting's notice for the officer to sign.
pub async fn call_meeting<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let (me, f) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let agenda: Option<Vec<RecordId>> = f.agenda.iter().map(|a| RecordId::from_hex(a).ok()).collect();
    let agenda = match agenda {
        Some(a) if !a.is_empty() => a,
        _ => return Form::Meeting.again(&web, &v, "new_meeting.choose_agenda").await,
    };
    let action = GovernanceAction::Meeting {
        title: f.title.unwrap_or_default().trim().to_owned(),
        date: f.date.unwrap_or_default().trim().to_owned(),
        place: f.place.unwrap_or_default().trim().to_owned(),
        agenda,
    };
    let prepared = prepare(&web, &v, me, action.into()).await;
    again(&web, &v, prepared, |r| Form::Meeting.page(&web, &v, r.error)).await
}

/// `GET /sammantraden/{id}/protokoll`: the form for a meeting's minutes (host officers).
pub async fn new_minutes<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, Path(id): Path<String>) -> Response {
    match RecordId::from_hex(&id) {
        Ok(meeting) => Form::Minutes(meeting).show(&web, &v).await,
        Err(_) => v.answer(Err(Failure::NotFound), web.node.demo()),
    }
}

/// `POST /sammantraden/{id}/protokoll`: prepares the minutes for the officer to sign. The node
/// names the closing that decided each matter.
pub async fn write_minutes<N: Node>(
    State(web): State<Arc<Web<N>>>,
    v: Visitor,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let Ok(meeting) = RecordId::from_hex(&id) else { return v.answer(Err(Failure::NotFound), web.node.demo()) };
    let (me, f) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let form = Form::Minutes(meeting);
    let mut present: Vec<MemberId> = f.present.iter().map(|m| MemberId::from(m.trim())).collect();
    present.sort();
    present.dedup();
    if present.is_empty() {
        return form.again(&web, &v, "new_minutes.choose_present").await;
    }
    let matters: Option<Vec<RecordId>> = f.agenda.iter().map(|a| RecordId::from_hex(a).ok()).collect();
    let items: Vec<(RecordId, String)> = match matters {
        Some(m) if m.len() == f.text.len() => {
            m.into_iter().zip(f.text.iter().map(|t| t.trim().replace("\r\n", "\n"))).collect()
        }
        _ => return form.again(&web, &v, "form.malformed").await,
    };
    let key = |k: Option<&String>| k.and_then(|k| PublicKey::from_hex(k.trim()).ok());
    let (Some(first), Some(second)) = (key(f.justerare.first()), key(f.justerare.get(1))) else {
        return form.again(&web, &v, "new_minutes.choose_justerare").await;
    };
    let Some(chair) = key(f.chair.as_ref()) else { return form.again(&web, &v, "new_minutes.choose_chair").await };
    let anslag_date = f.date.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let action = GovernanceAction::Minutes { meeting, present, items, justerare: [first, second], chair, anslag_date };
    let prepared = prepare(&web, &v, me, action.into()).await;
    again(&web, &v, prepared, |r| form.page(&web, &v, r.error)).await
}
