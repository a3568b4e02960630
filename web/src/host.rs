//! The host officers' forms: a new matter put to the styrgrupp, and a meeting called with its
//! agenda. Both become records the officer signs in the browser ([`crate::sign`]); the rules
//! (one-line titles, dates, the charter's notice days …) are the protocol's, and a refusal
//! shows the form again with what to do.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use samverka_protocol::{MatterKind, RecordId};

use crate::page::{kind_key, read, Chrome, Failure, Visitor};
use crate::sign::{prepare, signed_form, signed_in, Posted};
use crate::view::{self, Node};
use crate::Web;

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

/// The host officers' two forms.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Form {
    /// A new matter.
    Matter,
    /// A meeting called.
    Meeting,
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

/// `POST /arenden/nytt`: prepares the new matter for the officer to sign.
pub async fn put_matter<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
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
    let action = view::Action::Matter {
        kind,
        title: f.title.unwrap_or_default().trim().to_owned(),
        proposal: f.proposal.unwrap_or_default().trim().replace("\r\n", "\n"),
        alternatives,
    };
    prepare(&web, &v, me, action, "").await
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
    let action = view::Action::Meeting {
        title: f.title.unwrap_or_default().trim().to_owned(),
        date: f.date.unwrap_or_default().trim().to_owned(),
        place: f.place.unwrap_or_default().trim().to_owned(),
        agenda,
    };
    prepare(&web, &v, me, action, "").await
}
