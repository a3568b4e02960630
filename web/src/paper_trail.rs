//! The styrgrupp's paper trail: sammanträden (meetings with their agenda), protokoll (minutes
//! with their justering) and the diarium (every registered matter by its diarienummer).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use samverka_protocol::RecordId;

use crate::catalog::Catalog;
use crate::page::{outcome_text, read, roles_text, row, Chrome, Failure, Row, Visitor};
use crate::pager::Pager;
use crate::view::{self, Node};
use crate::Web;

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    c: Chrome,
    meetings: Vec<MeetingLine>,
    /// Which meetings this page shows.
    pager: Pager,
    /// Whether the visitor may call a meeting (a host officer).
    new: bool,
}

struct MeetingLine {
    title: String,
    date: String,
    place: String,
    notice: String,
    agenda: Vec<(String, String)>,
    minutes: Vec<String>,
    /// The minutes form, for a host officer while no minutes are held.
    write: Option<String>,
}

#[derive(Template)]
#[template(path = "minutes.html")]
struct MinutesPage {
    c: Chrome,
    facts: Vec<(&'static str, String)>,
    status: &'static str,
    status_class: &'static str,
    present: String,
    items: Vec<ItemLine>,
    signers: Vec<(String, &'static str)>,
    /// The justera form, for a signer who has not signed.
    justera: Option<(String, String)>,
}

struct ItemLine {
    number: usize,
    href: String,
    title: String,
    decision: Option<String>,
    text: String,
}

#[derive(Template)]
#[template(path = "diarium.html")]
struct DiariumPage {
    c: Chrome,
    caption: String,
    rows: Vec<Row>,
    /// Which rows this page shows.
    pager: Pager,
}

/// Meetings on one page of `/sammantraden` (each with its agenda).
pub const MEETINGS_PER_PAGE: usize = 50;
/// Rows on one page of `/diariet`.
pub const DIARIUM_ROWS: usize = 100;

/// `?sida=<n>`: a page of a long list ([`Pager`]).
#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    sida: Option<String>,
}

fn agenda_text(t: &'static Catalog, item: &view::AgendaItem) -> (String, String) {
    let title = item.title.clone().unwrap_or_else(|| t.get("meetings.matter_not_held").into());
    let title = match &item.diarienummer {
        Some(dn) => format!("{dn} {title}"),
        None => title,
    };
    (format!("/arenden/{}", item.matter.to_hex()), title)
}

/// `GET /sammantraden`: every meeting, newest first, [`MEETINGS_PER_PAGE`] a page.
pub async fn meetings<N: Node>(State(web): State<Arc<Web<N>>>, Query(q): Query<PageQuery>, v: Visitor) -> Response {
    let page = async {
        let list = read(&web.node, |n| n.meetings()).await?;
        let t = v.t();
        let new = v.me.as_ref().is_some_and(|(_, me)| me.host_officer());
        let pager =
            Pager::new(t, list.len(), q.sida.as_deref(), MEETINGS_PER_PAGE, |n| format!("/sammantraden?sida={n}"));
        let meetings = list[pager.rows.clone()]
            .iter()
            .map(|m| MeetingLine {
                title: m.title.clone(),
                date: m.date.clone(),
                place: m.place.clone(),
                notice: t.fill("meetings.notice", &[("date", &m.notice_given_on)]),
                agenda: m.agenda.iter().map(|a| agenda_text(t, a)).collect(),
                minutes: m.minutes.iter().map(|id| format!("/protokoll/{}", id.to_hex())).collect(),
                write: (new && m.minutes.is_empty()).then(|| format!("/sammantraden/{}/protokoll", m.id.to_hex())),
            })
            .collect();
        let c = v.chrome(t.get("meetings.heading").into(), web.node.demo());
        Ok(MeetingsPage { c, meetings, pager, new }.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /protokoll/{id}`: minutes with their paragraphs, decisions and justering.
pub async fn minutes<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = async {
        let id = RecordId::from_hex(&id).map_err(|_| Failure::NotFound)?;
        let m = read(&web.node, move |n| n.minutes(&id)).await?.ok_or(Failure::NotFound)?;
        let t = v.t();
        let mut facts = vec![(t.get("minutes.meeting"), format!("{} {}", m.row.meeting, m.row.date))];
        if let Some(anslag) = &m.anslag_date {
            facts.push((t.get("minutes.anslag"), anslag.clone()));
        }
        facts.push((t.get("matter.record"), id.to_hex()));
        let (status, status_class) =
            if m.justerat { (t.get("minutes.justerat"), "closed") } else { (t.get("minutes.pending"), "open") };
        let justera = v.me.as_ref().and_then(|(session, me)| {
            m.signers
                .iter()
                .any(|s| s.key == me.key && !s.signed)
                .then(|| (format!("/protokoll/{}/justera", id.to_hex()), session.csrf.clone()))
        });
        let page = MinutesPage {
            c: v.chrome(t.fill("minutes.heading", &[("meeting", &m.row.meeting)]), web.node.demo()),
            facts,
            status,
            status_class,
            present: m.present.join(", "),
            items: m
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let (href, title) = agenda_text(t, &item.matter);
                    ItemLine {
                        number: i + 1,
                        href,
                        title,
                        decision: item.outcome.map(|o| outcome_text(t, o, &item.alternatives)),
                        text: item.text.clone(),
                    }
                })
                .collect(),
            signers: m
                .signers
                .iter()
                .map(|s| {
                    let who = t.fill(
                        if s.chair { "minutes.chair" } else { "minutes.justerare" },
                        &[("roles", &roles_text(t, &s.roles)), ("member", &s.member)],
                    );
                    (who, t.get(if s.signed { "minutes.signed" } else { "minutes.not_signed" }))
                })
                .collect(),
            justera,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /diariet`: every registered matter, by diarienummer, [`DIARIUM_ROWS`] a page.
pub async fn diarium<N: Node>(State(web): State<Arc<Web<N>>>, Query(q): Query<PageQuery>, v: Visitor) -> Response {
    let page = async {
        let mut registered: Vec<view::MatterRow> =
            read(&web.node, |n| n.matters()).await?.into_iter().filter(|m| m.diarienummer.is_some()).collect();
        registered.sort_by(|a, b| a.diarienummer.cmp(&b.diarienummer));
        let t = v.t();
        let pager = Pager::new(t, registered.len(), q.sida.as_deref(), DIARIUM_ROWS, |n| format!("/diariet?sida={n}"));
        let page = DiariumPage {
            c: v.chrome(t.get("diarium.heading").into(), web.node.demo()),
            caption: t.fill("diarium.caption", &[("count", &registered.len().to_string())]),
            rows: registered[pager.rows.clone()].iter().map(|r| row(t, r)).collect(),
            pager,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}
