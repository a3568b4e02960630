//! The support pages: `/support` is the inbox of a line — every case, one member's (line 1,
//! `?linje=1&medlem=<kommunkod>`) or the förvaltningsgrupp's (line 2, `?linje=2`) — with each SLA
//! clock in words (time left and the deadline, paused, met or breached by how much: never by
//! colour alone), and the breaches summed per member, category and month; `/support/{id}` shows
//! one case with its steps. Clocks are read at the node's clock. A child of [`super`], so it
//! shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use samverka_protocol::{RecordId, Role};
use serde::Deserialize;

use super::{read, Chrome, Failure, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::pager::Pager;
use crate::sign::{again, prepare_new, prepare_on, Posted};
use crate::view::support::{Action, BreachRow, CaseRow, ClockView, Inbox};
use crate::view::Node;
use crate::Web;

/// A span of counted time in words: `2 h 30 min`, `45 min`.
fn span(ms: i64) -> String {
    let minutes = ms.unsigned_abs() / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A clock in words, with the class that marks it (the words carry the meaning).
pub(crate) struct ClockLine {
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) class: &'static str,
}

fn clock_line(t: &Catalog, c: &ClockView) -> ClockLine {
    let name = t.get(&format!("support.clock_{}", c.kind)).to_owned();
    let (state, class) = if c.breached {
        (t.fill("support.breached", &[("span", &span(c.remaining_ms))]), "disputed")
    } else if c.stopped {
        (t.get("support.met").to_owned(), "closed")
    } else if c.paused {
        (t.fill("support.paused", &[("span", &span(c.remaining_ms))]), "open")
    } else {
        let deadline = c.deadline_ms.map(locale::date_time).unwrap_or_default();
        (t.fill("support.remaining", &[("span", &span(c.remaining_ms)), ("deadline", &deadline)]), "open")
    };
    ClockLine { name, state, class }
}

/// A case's inbox row as text.
pub(crate) struct Line {
    pub(crate) href: String,
    pub(crate) title: String,
    pub(crate) member: String,
    pub(crate) member_id: String,
    pub(crate) category: String,
    pub(crate) priority: String,
    pub(crate) stage: String,
    pub(crate) reported: String,
    pub(crate) clocks: Vec<ClockLine>,
}

fn stage_text(t: &Catalog, r: &CaseRow) -> String {
    let stage = t.get(&format!("support.stage_{}", r.stage)).to_owned();
    if r.paused {
        t.fill("support.stage_paused", &[("stage", &stage)])
    } else {
        stage
    }
}

pub(crate) fn line(t: &Catalog, r: &CaseRow) -> Line {
    Line {
        href: format!("/support/{}", r.id.to_hex()),
        title: r.title.clone(),
        member: r.member.clone(),
        member_id: r.member_id.clone(),
        category: r.category.clone(),
        priority: t.get(&format!("support.priority_{}", r.priority)).to_owned(),
        stage: stage_text(t, r),
        reported: locale::date_time(r.reported_ms),
        clocks: r.clocks.iter().map(|c| clock_line(t, c)).collect(),
    }
}

fn breach_line(b: &BreachRow) -> Vec<String> {
    let mut cells = vec![b.member.clone(), b.category.clone(), b.month.clone(), b.cases.to_string()];
    cells.push(b.breached_cases.to_string());
    cells.extend(b.clocks.iter().map(u32::to_string));
    cells
}

/// Cases shown on one page of an inbox.
pub const PAGE_ROWS: usize = 100;

/// `?linje=1&medlem=<kommunkod>` or `?linje=2`, and `&sida=<n>` (from 1, [`Pager`]).
#[derive(Deserialize, Default)]
pub struct InboxQuery {
    linje: Option<u8>,
    medlem: Option<String>,
    sida: Option<String>,
}

impl InboxQuery {
    fn inbox(&self) -> Inbox {
        match (self.linje, &self.medlem) {
            (Some(1), Some(m)) => Inbox::Member(m.clone()),
            (Some(2), _) => Inbox::Forvaltning,
            _ => Inbox::All,
        }
    }
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    c: Chrome,
    caption: String,
    /// Which cases of the inbox this page shows.
    pager: Pager,
    rows: Vec<Line>,
    breaches: Vec<Vec<String>>,
    /// Which SLA table is in force, in words.
    sla: String,
}

/// `GET /support`: a line's inbox and the breach summary.
pub async fn inbox<N: Node>(State(web): State<Arc<Web<N>>>, Query(q): Query<InboxQuery>, v: Visitor) -> Response {
    let page = async {
        let inbox = q.inbox();
        let caption_key = match &inbox {
            Inbox::All => "support.caption_all",
            Inbox::Member(_) => "support.caption_line1",
            Inbox::Forvaltning => "support.caption_line2",
        };
        let link = |sida: usize| match (q.linje, &q.medlem) {
            (Some(1), Some(m)) => format!("/support?linje=1&medlem={m}&sida={sida}"),
            (Some(2), _) => format!("/support?linje=2&sida={sida}"),
            _ => format!("/support?sida={sida}"),
        };
        let rows = read(&web.node, move |n| n.support_cases(&inbox)).await?;
        let breaches = read(&web.node, |n| n.support_breaches()).await?;
        let sla = read(&web.node, |n| n.support_sla()).await?;
        let t = v.t();
        let sla_key = if sla.adopted { "support.sla_adopted" } else { "support.sla_default" };
        let pager = Pager::new(t, rows.len(), q.sida.as_deref(), PAGE_ROWS, link);
        let page = SupportPage {
            c: v.chrome(t.get("support.heading").into(), web.node.demo()),
            caption: t.fill(caption_key, &[("count", &rows.len().to_string())]),
            rows: rows[pager.rows.clone()].iter().map(|r| line(t, r)).collect(),
            pager,
            breaches: breaches.iter().map(breach_line).collect(),
            sla: t.fill(sla_key, &[("name", &sla.name)]),
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// A step as text: when, what, by whom, and its text.
struct StepLine {
    time: String,
    action: String,
    member: String,
    text: String,
    counted: bool,
}

#[derive(Template)]
#[template(path = "support_case.html")]
struct CasePage {
    c: Chrome,
    id: String,
    line: Line,
    description: Vec<String>,
    steps: Vec<StepLine>,
    /// The step form for a signed-in objektspecialist or förvaltare: CSRF token and the steps.
    form: Option<(String, Vec<(&'static str, String)>)>,
    error: Option<String>,
}

/// Every step a person may ask to sign; the node judges whether it is allowed now.
const STEPS: [&str; 9] = ["escalate", "start", "vendor", "message", "inform", "pause", "resume", "resolve", "close"];

/// The case page, with `error` (a refused step) above the step form.
pub(crate) async fn case_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<String, Failure> {
    let id = RecordId::from_hex(id).map_err(|_| Failure::NotFound)?;
    let case = read(&web.node, move |n| n.support_case(&id)).await?.ok_or(Failure::NotFound)?;
    let t = v.t();
    let steps = case
        .steps
        .iter()
        .map(|s| {
            let action = t.get(&format!("support.action_{}", s.action)).to_owned();
            StepLine {
                time: locale::date_time(s.time_ms),
                action: match &s.reference {
                    Some(r) => t.fill("support.action_vendor_ref", &[("reference", r)]),
                    None => action,
                },
                member: s.member.clone(),
                text: s.text.clone(),
                counted: s.counted,
            }
        })
        .collect();
    let form = v.me.as_ref().filter(|(_, me)| may_act(me)).map(|(session, _)| {
        let steps = STEPS.iter().map(|s| (*s, t.get(&format!("support.step_{s}")).to_owned())).collect();
        (session.csrf.clone(), steps)
    });
    let page = CasePage {
        c: v.chrome(case.row.title.clone(), web.node.demo()),
        id: id.to_hex(),
        line: line(t, &case.row),
        description: case.description.split("\n\n").map(str::to_owned).collect(),
        steps,
        form,
        error,
    };
    Ok(page.render()?)
}

/// Whether the person holds a role that takes steps on cases (line 1 or line 2); the node
/// judges the line and the state.
fn may_act(me: &crate::view::Me) -> bool {
    me.roles.iter().any(|r| matches!(r, Role::Objektspecialist | Role::Forvaltare))
}

/// `GET /support/{id}`: one case with its steps and clocks.
pub async fn case<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = case_page(&web, &v, &id, None).await;
    v.answer(page, web.node.demo())
}

#[derive(Template)]
#[template(path = "support_new.html")]
struct NewCasePage {
    c: Chrome,
    csrf: String,
    priorities: Vec<(&'static str, String, bool)>,
    typed: [String; 4],
    error: Option<String>,
}

/// The raise-a-case form, with `error` above it and what was `typed` (category, priority, title,
/// description) kept.
pub(crate) async fn new_case_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    error: Option<String>,
    typed: [String; 4],
) -> Result<String, Failure> {
    let t = v.t();
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let priorities = ["high", "medium", "low"]
        .into_iter()
        .map(|p| (p, t.get(&format!("support.priority_{p}")).to_owned(), typed[1] == p))
        .collect();
    let page = NewCasePage {
        c: v.chrome(t.get("support.new_heading").into(), web.node.demo()),
        csrf,
        priorities,
        typed,
        error,
    };
    Ok(page.render()?)
}

/// `GET /support/nytt`: the form an objektspecialist raises a case with (signed in the browser).
pub async fn new_case<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    if v.me.is_none() {
        return axum::response::Redirect::to("/logga-in").into_response();
    }
    let page = new_case_page(&web, &v, None, Default::default()).await;
    v.answer(page, web.node.demo())
}

/// `POST /support/nytt`: prepares a support case for the signed-in objektspecialist to sign.
pub async fn open_case<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let mut typed: [String; 4] = Default::default();
    let prepared = prepare_new(&web, &v, posted, |f| {
        typed = [f.category, f.priority, f.title, f.description].map(Option::unwrap_or_default);
        let [category, priority, title, description] = typed.clone();
        Action::Open { category, priority, title, description }.into()
    })
    .await;
    again(&web, &v, prepared, |r| new_case_page(&web, &v, r.error, typed)).await
}

/// `POST /support/{id}/steg`: prepares a step on the case for the signed-in person to sign.
pub async fn step_case<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    let prepared = prepare_on(&web, &id, &v, posted, |case, f| {
        Action::Step {
            case,
            step: f.step.unwrap_or_default(),
            text: f.text.into_iter().next().unwrap_or_default(),
            reference: f.reference.unwrap_or_default(),
        }
        .into()
    })
    .await;
    again(&web, &v, prepared, |r| case_page(&web, &v, &id, r.error)).await
}
