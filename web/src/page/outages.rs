//! The outage pages: `/driftstorningar` lists the notices (driftstörning, planerat underhåll) a
//! node holds, the active ones first; `/driftstorningar/{id}` shows one with its updates, the
//! all-clear, and every member with its acknowledgement or since when it is missing, and for the
//! host's förvaltare the update and all-clear forms; `/driftstorningar/ny` publishes a notice
//! (each posted here, prepared by the node (`sign::prepare`) and signed in the
//! browser). The banner on every page (`Banner`, filled in by [`super::Visitor`]) names the
//! active ones. A child of [`super`], so it shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use samverka_protocol::{RecordId, Role};

use super::{read, Chrome, Failure, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::sign::{again, prepare_new, prepare_on, Posted, Refused};
use crate::view::outage::{Action, NoticeDraft, OutageRow, OutageView};
use crate::view::Node;
use crate::Web;

/// An active notice as the banner on every page names it.
pub(crate) struct Banner {
    pub(crate) href: String,
    pub(crate) kind: String,
    pub(crate) title: String,
    pub(crate) when: String,
}

/// A notice's list row as text.
pub(crate) struct Line {
    pub(crate) href: String,
    pub(crate) kind: String,
    pub(crate) title: String,
    pub(crate) affected: String,
    pub(crate) when: String,
    pub(crate) state: String,
    pub(crate) state_class: &'static str,
    pub(crate) acknowledged: String,
}

fn kind(t: &Catalog, r: &OutageRow) -> String {
    t.get(&format!("outage.kind_{}", r.kind.replace('-', "_"))).to_owned()
}

/// From when, and until when it is expected to last.
fn when(t: &Catalog, r: &OutageRow) -> String {
    let start = locale::date_time(r.start_ms);
    match r.expected_end_ms {
        Some(end) => t.fill("outage.from_until", &[("start", &start), ("end", &locale::date_time(end))]),
        None => t.fill("outage.from", &[("start", &start)]),
    }
}

/// The banner's lines: the active notices among `rows`.
pub(crate) fn banner(t: &Catalog, rows: &[OutageRow]) -> Vec<Banner> {
    rows.iter()
        .filter(|r| r.active)
        .map(|r| Banner {
            href: format!("/driftstorningar/{}", r.id.to_hex()),
            kind: kind(t, r),
            title: r.title.clone(),
            when: when(t, r),
        })
        .collect()
}

pub(crate) fn line(t: &Catalog, r: &OutageRow) -> Line {
    let (state, state_class) = match r.cleared_ms {
        None => (t.get("outage.active").to_owned(), "disputed"),
        Some(ms) => (t.fill("outage.cleared_at", &[("time", &locale::date_time(ms))]), "closed"),
    };
    Line {
        href: format!("/driftstorningar/{}", r.id.to_hex()),
        kind: kind(t, r),
        title: r.title.clone(),
        affected: r.affected.join(", "),
        when: when(t, r),
        state,
        state_class,
        acknowledged: t
            .fill("outage.acknowledged_of", &[("n", &r.acknowledged.to_string()), ("total", &r.members.to_string())]),
    }
}

#[derive(Template)]
#[template(path = "outages.html")]
struct OutagesPage {
    c: Chrome,
    caption: String,
    rows: Vec<Line>,
    /// Whether the signed-in person may publish a notice (the node says).
    may_publish: bool,
}

/// `GET /driftstorningar`: every notice held, the active ones first.
pub async fn outages<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let rows = read(&web.node, |n| n.outages()).await?;
        let t = v.t();
        let page = OutagesPage {
            c: v.chrome(t.get("outages.heading").into(), web.node.demo()),
            caption: t.fill("outages.caption", &[("count", &rows.len().to_string())]),
            rows: rows.iter().map(|r| line(t, r)).collect(),
            may_publish: v.me.as_ref().is_some_and(|(_, me)| web.node.may_publish_outage(me)),
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

#[derive(Template)]
#[template(path = "outage.html")]
struct OutagePage {
    c: Chrome,
    id: String,
    line: Line,
    published: String,
    text: Vec<String>,
    /// (time, text, after the all-clear)
    updates: Vec<(String, String, bool)>,
    cleared: Option<String>,
    members_caption: String,
    /// (member, acknowledged at, or missing since)
    members: Vec<(String, Option<String>, String)>,
    /// The acknowledgement form's action and CSRF token, for an objektspecialist whose member
    /// has not acknowledged.
    acknowledge: Option<(String, String)>,
    /// Why the acknowledgement, update or all-clear was refused.
    error: Option<String>,
    /// The update and all-clear forms' CSRF token, for the host's förvaltare while the notice
    /// is in force.
    notify: Option<String>,
    /// What was typed in the update or all-clear form, and which field to correct.
    news: OutageNews,
    refused: Refused,
}

impl OutagePage {
    /// Whether the field `id` (`update-text`, `update-end`, `clear-text`) is the one to correct.
    fn invalid(&self, id: &str) -> bool {
        let Some(field) = self.refused.field.filter(|_| self.refused.error.is_some()) else { return false };
        let form = if self.news.clear { "clear" } else { "update" };
        id == format!("{form}-{field}")
    }
}

/// Whether the signed-in person may acknowledge the notice: an objektspecialist of a member
/// that has not.
fn may_acknowledge(v: &Visitor, o: &OutageView) -> bool {
    let Some((_, me)) = v.me.as_ref() else { return false };
    me.roles.contains(&Role::Objektspecialist)
        && o.members.iter().any(|m| m.member == me.member && m.acknowledged_ms.is_none())
}

/// The notice page, with `error` (a refused acknowledgement) above the button.
pub(crate) async fn outage_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<String, Failure> {
    outage_page_with(web, v, id, Refused::new(error, None), OutageNews::default()).await
}

/// The notice page with a refused update or all-clear: the message, the field to correct and
/// what was typed.
pub(crate) async fn outage_page_with<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    refused: Refused,
    news: OutageNews,
) -> Result<String, Failure> {
    let id = RecordId::from_hex(id).map_err(|_| Failure::NotFound)?;
    let me = v.me.as_ref().map(|(_, me)| me.clone());
    let o = read(&web.node, move |n| n.outage(&id, me.as_ref())).await?.ok_or(Failure::NotFound)?;
    let t = v.t();
    let published = locale::date_time(o.published_ms);
    let acknowledge = may_acknowledge(v, &o).then(|| {
        let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
        (format!("/driftstorningar/{}/kvittera", id.to_hex()), csrf)
    });
    let page = OutagePage {
        c: v.chrome(o.row.title.clone(), web.node.demo()),
        id: id.to_hex(),
        line: line(t, &o.row),
        published: published.clone(),
        text: o.text.split("\n\n").map(str::to_owned).collect(),
        updates: o.updates.iter().map(|u| (locale::date_time(u.time_ms), u.text.clone(), u.after_clear)).collect(),
        cleared: o.cleared_text.clone(),
        members_caption: t.fill(
            "outage.members_caption",
            &[("n", &o.row.acknowledged.to_string()), ("total", &o.row.members.to_string())],
        ),
        members: o
            .members
            .iter()
            .map(|m| (m.member_name.clone(), m.acknowledged_ms.map(locale::date_time), published.clone()))
            .collect(),
        acknowledge,
        error: refused.error.clone(),
        notify: v.me.as_ref().filter(|_| o.may_notify && o.row.active).map(|(s, _)| s.csrf.clone()),
        news,
        refused,
    };
    Ok(page.render()?)
}

/// `GET /driftstorningar/{id}`: one notice in full.
pub async fn outage<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = outage_page(&web, &v, &id, None).await;
    v.answer(page, web.node.demo())
}

#[derive(Template)]
#[template(path = "outage_new.html")]
struct NewOutagePage {
    c: Chrome,
    csrf: String,
    /// (value, label, checked)
    kinds: Vec<(&'static str, String, bool)>,
    typed: NoticeDraft,
    error: Option<String>,
    refused: Refused,
}

/// The publish-a-notice form, with a refusal above it and what was typed kept.
pub(crate) async fn new_outage_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    refused: Refused,
    typed: NoticeDraft,
) -> Result<String, Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let kinds = ["driftstorning", "planerat-underhall"]
        .into_iter()
        .map(|k| (k, t.get(&format!("outage.kind_{}", k.replace('-', "_"))).to_owned(), typed.kind == k))
        .collect();
    let page = NewOutagePage {
        c: v.chrome(t.get("outage_form.heading").into(), web.node.demo()),
        csrf,
        kinds,
        typed,
        error: refused.error.clone(),
        refused,
    };
    Ok(page.render()?)
}

/// `GET /driftstorningar/ny`: the form the host's förvaltare publishes a notice with (signed in
/// the browser). Others get the 403 page.
pub async fn new_outage<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let Some((_, me)) = v.me.as_ref() else { return Redirect::to("/logga-in").into_response() };
    if !web.node.may_publish_outage(me) {
        return super::forbidden(&web, &v, "outage_form.forbidden");
    }
    let page = new_outage_page(&web, &v, Refused::default(), NoticeDraft::default()).await;
    v.answer(page, web.node.demo())
}

/// An outage update or all-clear as typed, to show again with its refusal.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutageNews {
    /// The all-clear's form (else the update's).
    pub(crate) clear: bool,
    pub(crate) text: String,
    pub(crate) end: String,
}

/// `POST /driftstorningar/{id}/kvittera`: prepares the objektspecialist's acknowledgement of the
/// notice for their member and shows it for signing.
pub async fn acknowledge<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let prepared = prepare_on(&web, &id, &v, posted, |notice, _| Action::Acknowledge { notice }.into()).await;
    again(&web, &v, prepared, |r| outage_page(&web, &v, &id, r.error)).await
}

/// `POST /driftstorningar/ny`: prepares the notice the host's förvaltare publishes.
pub async fn publish<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let mut typed = NoticeDraft::default();
    let prepared = prepare_new(&web, &v, posted, |f| {
        typed = NoticeDraft {
            kind: f.kind.unwrap_or_default(),
            title: f.title.unwrap_or_default(),
            text: f.text.into_iter().next().unwrap_or_default(),
            affected: f.affected.unwrap_or_default(),
            start: f.start.unwrap_or_default(),
            end: f.end.unwrap_or_default(),
        };
        Action::Publish(typed.clone()).into()
    })
    .await;
    again(&web, &v, prepared, |r| new_outage_page(&web, &v, r, typed)).await
}

/// `POST /driftstorningar/{id}/uppdatera`: prepares an update of the notice.
pub async fn update<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    news(web, id, v, posted, false).await
}

/// `POST /driftstorningar/{id}/friskforklara`: prepares the notice's all-clear.
pub async fn clear<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    news(web, id, v, posted, true).await
}

async fn news<N: Node>(web: Arc<Web<N>>, id: String, v: Visitor, posted: Posted, clear: bool) -> Response {
    let mut typed = OutageNews { clear, ..OutageNews::default() };
    let prepared = prepare_on(&web, &id, &v, posted, |notice, f| {
        typed.text = f.text.into_iter().next().unwrap_or_default();
        if clear {
            return Action::Clear { notice, text: typed.text.clone() }.into();
        }
        typed.end = f.end.unwrap_or_default();
        Action::Update { notice, text: typed.text.clone(), end: typed.end.clone() }.into()
    })
    .await;
    again(&web, &v, prepared, |r| outage_page_with(&web, &v, &id, r, typed)).await
}
