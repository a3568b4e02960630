//! The need pages: `/behov` is the backlog board — every need with its state, area, the members
//! that need it and its place in the federation's priority order, filtered by state and area with
//! a plain GET form — and `/behov/{id}` shows one need with its path. A child of [`super`], so it
//! shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use samverka_protocol::needs::{Area, State as NeedState};
use samverka_protocol::RecordId;
use serde::Deserialize;

use super::{read, Chrome, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::view::need::{NeedRow, StepView};
use crate::view::Node;
use crate::Web;

/// `?state=…&area=…` on `/behov`: unknown values show every need.
#[derive(Deserialize, Default)]
pub struct Filter {
    state: Option<String>,
    area: Option<String>,
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
    rows: Vec<Line>,
    states: Vec<Choice>,
    areas: Vec<Choice>,
}

/// `GET /behov`: the backlog board.
pub async fn needs<N: Node>(State(web): State<Arc<Web<N>>>, Query(f): Query<Filter>, v: Visitor) -> Response {
    let page = async {
        let state = f.state.as_deref().and_then(NeedState::parse);
        let area = f.area.as_deref().and_then(Area::parse);
        let rows = read(&web.node, |n| n.needs()).await?;
        let t = v.t();
        let shown: Vec<Line> = rows
            .iter()
            .filter(|r| state.is_none_or(|s| r.state == s) && area.is_none_or(|a| r.area == a))
            .map(|r| line(t, r))
            .collect();
        let states =
            NeedState::ALL.into_iter().map(|s| (s.name().to_owned(), state_text(t, s), Some(s) == state)).collect();
        let areas =
            Area::ALL.into_iter().map(|a| (a.name().to_owned(), a.swedish().to_owned(), Some(a) == area)).collect();
        let page = NeedsPage {
            c: v.chrome(t.get("needs.heading").into(), web.node.demo()),
            caption: t.fill("needs.caption", &[("count", &shown.len().to_string())]),
            rows: shown,
            states,
            areas,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// A step on the path as text: (state, date, member, what it records).
fn step_line(t: &Catalog, s: &StepView) -> (String, String, String, String) {
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
            error,
        };
        Ok(page.render()?)
    }
}
