//! The need pages: `/behov` is the backlog board — every need with its state, area, the members
//! that need it and its place in the federation's priority order, filtered by state and area with
//! a plain GET form, [`PAGE_ROWS`] a page — and `/behov/{id}` shows one need with its path and,
//! for those the node allows, the form for its next step. `/behov/nytt` registers a need and
//! `/behov/rangordna` is the member's ranking ballot (one place field per open need, no
//! JavaScript); both are posted here, prepared by the node (`sign::prepare`) and signed in the
//! browser. A child of [`super`], so it shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use samverka_protocol::needs::{Area, State as NeedState};
use samverka_protocol::RecordId;
use serde::Deserialize;

use super::{read, Chrome, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::pager::Pager;
use crate::sign::{again, prepare_new, prepare_on, Posted, Refused, PLACE_PREFIX};
use crate::view::need::{Action, NeedDraft, NeedRow, StepDraft, StepView};
use crate::view::Node;
use crate::Web;

/// Needs shown on one page of the board.
pub const PAGE_ROWS: usize = 100;

/// `?state=…&area=…` on `/behov`: unknown values show every need; `&sida=<n>` (from 1,
/// [`Pager`]).
#[derive(Deserialize, Default)]
pub struct Filter {
    state: Option<String>,
    area: Option<String>,
    sida: Option<String>,
}

/// A need's row as text.
struct Line {
    href: String,
    title: String,
    area: &'static str,
    state: String,
    priority: String,
    members: String,
    count: String,
}

fn state_text(t: &Catalog, s: NeedState) -> String {
    t.get(&format!("need.state_{}", s.name())).to_owned()
}

fn line(t: &Catalog, r: &NeedRow) -> Line {
    Line {
        href: format!("/behov/{}", r.id.to_hex()),
        title: r.title.clone(),
        area: r.area.swedish(),
        state: state_text(t, r.state),
        priority: r.priority.map_or_else(|| "–".into(), |p| p.to_string()),
        members: r.members.join(", "),
        count: t.count("need.members", r.members.len()),
    }
}

/// An option of a filter's select: value, label, selected.
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "needs.html")]
struct NeedsPage {
    c: Chrome,
    caption: String,
    /// Which needs of the filtered board this page shows.
    pager: Pager,
    rows: Vec<Line>,
    states: Vec<Choice>,
    areas: Vec<Choice>,
    /// Whether the signed-in person may register and rank needs (the node says).
    may_register: bool,
}

/// `GET /behov`: the backlog board.
pub async fn needs<N: Node>(State(web): State<Arc<Web<N>>>, Query(f): Query<Filter>, v: Visitor) -> Response {
    let page = async {
        let state = f.state.as_deref().and_then(NeedState::parse);
        let area = f.area.as_deref().and_then(Area::parse);
        let rows = read(&web.node, |n| n.needs()).await?;
        let may_register = v.me.as_ref().is_some_and(|(_, me)| web.node.may_register_need(me));
        let t = v.t();
        let shown: Vec<&NeedRow> =
            rows.iter().filter(|r| state.is_none_or(|s| r.state == s) && area.is_none_or(|a| r.area == a)).collect();
        // The page links keep the filter as chosen (only values the form offers are kept).
        let filter: String = [("state", state.map(NeedState::name)), ("area", area.map(Area::name))]
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}&")))
            .collect();
        let pager =
            Pager::new(t, shown.len(), f.sida.as_deref(), PAGE_ROWS, |sida| format!("/behov?{filter}sida={sida}"));
        let states =
            NeedState::ALL.into_iter().map(|s| (s.name().to_owned(), state_text(t, s), Some(s) == state)).collect();
        let areas =
            Area::ALL.into_iter().map(|a| (a.name().to_owned(), a.swedish().to_owned(), Some(a) == area)).collect();
        let page = NeedsPage {
            c: v.chrome(t.get("needs.heading").into(), web.node.demo()),
            caption: t.fill("needs.caption", &[("count", &shown.len().to_string())]),
            rows: shown[pager.rows.clone()].iter().map(|r| line(t, r)).collect(),
            pager,
            states,
            areas,
            may_register,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// A step on the path as text: (state, date, member, what it records).
pub(crate) fn step_line(t: &Catalog, s: &StepView) -> (String, String, String, String) {
    let mut what = Vec::new();
    if let Some((consequences, ore)) = &s.prepared {
        what.push(t.fill("need.prepared", &[("cost", &locale::kronor(i64::try_from(*ore).unwrap_or(i64::MAX)))]));
        what.push(consequences.clone());
    }
    if let Some(id) = &s.names {
        what.push(t.fill("need.names", &[("id", &id.to_hex()[..16])]));
    }
    if !s.note.is_empty() {
        what.push(s.note.clone());
    }
    (state_text(t, s.state), locale::date(s.time_ms), s.member.clone(), what.join(" — "))
}

#[derive(Template)]
#[template(path = "need.html")]
struct NeedPage {
    c: Chrome,
    line: Line,
    facts: Vec<(String, String)>,
    description: Vec<String>,
    benefit: Vec<String>,
    path: Vec<(String, String, String, String)>,
    other_steps: Vec<(String, String, String, String)>,
    /// The endorse form's action and CSRF token, when the node says the person may endorse.
    endorse: Option<(String, String)>,
    error: Option<String>,
    /// The step form, when the node says the person may take a step.
    step_form: Option<StepForm>,
    refused: Refused,
}

/// The form for the next step on a need's path: the steps the node allows the person, and the
/// fields those steps need, with what was typed.
struct StepForm {
    action: String,
    csrf: String,
    /// (state name, label, checked)
    steps: Vec<(&'static str, String, bool)>,
    /// Beredd is among them: consequences and cost estimate.
    prepares: bool,
    /// Beslutad is among them: who decided.
    decides: bool,
    /// Beslutad or planerad is among them: the plan or closing named.
    names: bool,
    typed: StepDraft,
}

/// `GET /behov/{id}`: one need with its path.
pub async fn need<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = need_page(&web, &v, &id, None).await;
    v.answer(page, web.node.demo())
}

/// The need page, with `error` (a refused endorsement) above the endorse button.
pub(crate) async fn need_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<String, super::Failure> {
    need_page_with(web, v, id, Refused::new(error, None), StepDraft::default()).await
}

/// The need page with a refused step: the message, the field to correct, what was typed.
pub(crate) async fn need_page_with<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    refused: Refused,
    typed: StepDraft,
) -> Result<String, super::Failure> {
    {
        let id = RecordId::from_hex(id).map_err(|_| super::Failure::NotFound)?;
        let me = v.me.as_ref().map(|(_, me)| me.clone());
        let n = read(&web.node, move |n| n.need(&id, me.as_ref())).await?.ok_or(super::Failure::NotFound)?;
        let t = v.t();
        let facts = vec![
            (t.get("need.area").to_owned(), n.row.area.swedish().to_owned()),
            (t.get("need.state").to_owned(), state_text(t, n.row.state)),
            (t.get("need.asker").to_owned(), format!("{}, {}", n.asker.0, n.asker.1)),
            (t.get("need.wished").to_owned(), n.wished.clone().unwrap_or_else(|| "–".into())),
            (t.get("need.registered").to_owned(), locale::date(n.row.time_ms)),
            (t.get("need.priority").to_owned(), line(t, &n.row).priority),
            (t.get("need.needed_by").to_owned(), n.row.members.join(", ")),
        ];
        let paragraphs = |s: &str| s.split("\n\n").map(str::to_owned).collect();
        let step_form = v.me.as_ref().filter(|_| !n.steps.is_empty()).map(|(session, _)| StepForm {
            action: format!("/behov/{}/steg", n.row.id.to_hex()),
            csrf: session.csrf.clone(),
            steps: n.steps.iter().map(|s| (s.name(), state_text(t, *s), typed.step == s.name())).collect(),
            prepares: n.steps.contains(&NeedState::Beredd),
            decides: n.steps.contains(&NeedState::Beslutad),
            names: n.steps.iter().any(|s| matches!(s, NeedState::Beslutad | NeedState::Planerad)),
            typed,
        });
        let page = NeedPage {
            c: v.chrome(n.row.title.clone(), web.node.demo()),
            line: line(t, &n.row),
            facts,
            description: paragraphs(&n.description),
            benefit: paragraphs(&n.benefit),
            path: n.path.iter().map(|s| step_line(t, s)).collect(),
            other_steps: n.other_steps.iter().map(|s| step_line(t, s)).collect(),
            endorse: v
                .me
                .as_ref()
                .filter(|_| n.may_endorse)
                .map(|(session, _)| (format!("/behov/{}/behover-ocksa", n.row.id.to_hex()), session.csrf.clone())),
            error: refused.error.clone(),
            step_form,
            refused,
        };
        Ok(page.render()?)
    }
}

#[derive(Template)]
#[template(path = "need_new.html")]
struct NewNeedPage {
    c: Chrome,
    csrf: String,
    /// (value, label, selected)
    areas: Vec<Choice>,
    typed: NeedDraft,
    error: Option<String>,
    refused: Refused,
}

/// The register-a-need form, with a refusal above it and what was typed kept.
pub(crate) async fn new_need_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    refused: Refused,
    typed: NeedDraft,
) -> Result<String, super::Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let areas =
        Area::ALL.into_iter().map(|a| (a.name().to_owned(), a.swedish().to_owned(), typed.area == a.name())).collect();
    let page = NewNeedPage {
        c: v.chrome(t.get("need_form.heading").into(), web.node.demo()),
        csrf,
        areas,
        typed,
        error: refused.error.clone(),
        refused,
    };
    Ok(page.render()?)
}

/// `GET /behov/nytt`: the form an objektspecialist or förvaltare registers a need with, for
/// their member (signed in the browser). Others get the 403 page.
pub async fn new_need<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let Some((_, me)) = v.me.as_ref() else { return Redirect::to("/logga-in").into_response() };
    if !web.node.may_register_need(me) {
        return super::forbidden(&web, &v, "need_form.forbidden");
    }
    let page = new_need_page(&web, &v, Refused::default(), NeedDraft::default()).await;
    v.answer(page, web.node.demo())
}

/// One need on the ranking ballot: its page, title, state, and the place field.
struct BallotLine {
    href: String,
    title: String,
    area: &'static str,
    priority: String,
    /// The field's name (`plats-<id>`) and id (`plats-<first 16 hex digits>`).
    name: String,
    id: String,
    place: String,
    /// The field's label (shown to screen readers; the row names the need for the eye).
    label: String,
}

#[derive(Template)]
#[template(path = "need_rank.html")]
struct RankPage {
    c: Chrome,
    csrf: String,
    lines: Vec<BallotLine>,
    hint: String,
    error: Option<String>,
}

/// The ranking ballot of the signed-in person's member: one place field per open need,
/// prefilled with the member's counting ranking, or with what was `typed` when refused.
pub(crate) async fn rank_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    error: Option<String>,
    typed: Option<Vec<(RecordId, String)>>,
) -> Result<String, super::Failure> {
    let (session, me) = v.me.as_ref().ok_or(super::Failure::NotFound)?;
    let who = me.clone();
    let ballot = read(&web.node, move |n| n.ranking(&who)).await?;
    let t = v.t();
    let lines: Vec<BallotLine> = ballot
        .iter()
        .map(|(row, place)| {
            let hex = row.id.to_hex();
            let place = match &typed {
                Some(typed) => typed.iter().find(|(id, _)| *id == row.id).map(|(_, p)| p.clone()).unwrap_or_default(),
                None => place.map(|p| p.to_string()).unwrap_or_default(),
            };
            BallotLine {
                href: format!("/behov/{hex}"),
                title: row.title.clone(),
                area: row.area.swedish(),
                priority: line(t, row).priority,
                id: format!("{PLACE_PREFIX}{}", &hex[..16]),
                name: format!("{PLACE_PREFIX}{hex}"),
                place,
                label: t.fill("need_rank.place_for", &[("title", &row.title)]),
            }
        })
        .collect();
    let page = RankPage {
        c: v.chrome(t.get("need_rank.heading").into(), web.node.demo()),
        csrf: session.csrf.clone(),
        hint: t.fill("need_rank.hint", &[("count", &lines.len().to_string())]),
        lines,
        error,
    };
    Ok(page.render()?)
}

/// `GET /behov/rangordna`: the member's ranking ballot over the open needs (objektspecialist or
/// förvaltare); others get the 403 page.
pub async fn rank<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let Some((_, me)) = v.me.as_ref() else { return Redirect::to("/logga-in").into_response() };
    if !web.node.may_register_need(me) {
        return super::forbidden(&web, &v, "need_form.forbidden");
    }
    let page = rank_page(&web, &v, None, None).await;
    v.answer(page, web.node.demo())
}

/// `POST /behov/{id}/behover-ocksa`: prepares the person's endorsement of the need for their
/// member ("vi behöver också").
pub async fn endorse<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let prepared = prepare_on(&web, &id, &v, posted, |need, _| Action::Endorse { need }.into()).await;
    again(&web, &v, prepared, |r| need_page(&web, &v, &id, r.error)).await
}

/// `POST /behov/nytt`: prepares the need the signed-in person registers for their member.
pub async fn register<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let mut typed = NeedDraft::default();
    let prepared = prepare_new(&web, &v, posted, |f| {
        typed = NeedDraft {
            title: f.title.unwrap_or_default(),
            description: f.description.unwrap_or_default(),
            benefit: f.benefit.unwrap_or_default(),
            wished: f.wished.unwrap_or_default(),
            area: f.area.unwrap_or_default(),
            asker_name: f.asker_name.unwrap_or_default(),
            asker_role: f.asker_role.unwrap_or_default(),
        };
        Action::Register(typed.clone()).into()
    })
    .await;
    again(&web, &v, prepared, |r| new_need_page(&web, &v, r, typed)).await
}

/// `POST /behov/{id}/steg`: prepares the next step on the need's path.
pub async fn step<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let mut typed = StepDraft::default();
    let prepared = prepare_on(&web, &id, &v, posted, |need, f| {
        typed = StepDraft {
            step: f.step.unwrap_or_default(),
            by: f.by.unwrap_or_default(),
            reference: f.reference.unwrap_or_default(),
            consequences: f.consequences.unwrap_or_default(),
            cost: f.cost.unwrap_or_default(),
            note: f.note.unwrap_or_default(),
        };
        Action::Step { need, draft: typed.clone() }.into()
    })
    .await;
    again(&web, &v, prepared, |r| need_page_with(&web, &v, &id, r, typed)).await
}

/// `POST /behov/rangordna`: prepares the member's ranking from the ballot's places.
pub async fn rank_posted<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let mut typed = Vec::new();
    let prepared = prepare_new(&web, &v, posted, |f| {
        typed =
            f.places.into_iter().filter_map(|(need, place)| Some((RecordId::from_hex(&need).ok()?, place))).collect();
        Action::Rank { places: typed.clone() }.into()
    })
    .await;
    again(&web, &v, prepared, |r| rank_page(&web, &v, r.error, Some(typed))).await
}
