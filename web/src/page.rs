//! The pages: one askama template (a typed struct) per page, the handlers that fill them from
//! the [`Node`]'s read models, and the chrome every page shares (language, menu, demo banner).
//!
//! Handlers only turn read models into display text with the catalog and [`locale`]; what a
//! matter's status or count is comes from the node.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use samverka_protocol::governance::{Choice, Outcome};
use samverka_protocol::{MatterKind, MemberKind, RecordId, Role};

pub mod agreements;
pub mod needs;
pub mod outages;
pub mod plans;
pub mod support;

use crate::catalog::{Catalog, Lang};
use crate::locale;
use crate::session::{Session, SESSION_COOKIE};
use crate::view::{self, Me, Node};
use crate::Web;

/// The cookie that keeps the language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "samverka_lang";

/// Where the pages are, in menu order: (path, catalog key).
const MENU: [(&str, &str); 11] = [
    ("/", "nav.overview"),
    ("/arenden", "nav.matters"),
    ("/sammantraden", "nav.meetings"),
    ("/diariet", "nav.diarium"),
    ("/planer", "nav.plans"),
    ("/avtal", "nav.agreements"),
    ("/driftstorningar", "nav.outages"),
    ("/behov", "nav.needs"),
    ("/support", "nav.support"),
    ("/medlemmar", "nav.members"),
    ("/noden", "nav.node"),
];
/// The first menu item of a signed-in person.
const TODO: (&str, &str) = ("/att-gora", "nav.todo");

/// The value of cookie `name` in a request, if sent.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Who asks, as far as the pages care: the language, the page asked for, and the signed-in
/// person if any.
pub struct Visitor {
    lang: Lang,
    /// Whether the language was chosen in this request (`?lang=`), so it is kept in a cookie.
    chosen: bool,
    pub(crate) path: String,
    /// The signed-in person: their session and who the current roster says they are.
    pub(crate) me: Option<(Session, Me)>,
    /// The session cookie sent, if any (to end the session at logout).
    pub(crate) token: Option<String>,
    /// Whether the request's `Origin`, when sent, is this node's own (checked for every form
    /// post, with the CSRF token).
    pub(crate) same_origin: bool,
    /// The outage notices in force, for the banner on every page.
    outages: Vec<crate::view::outage::OutageRow>,
}

impl Visitor {
    /// The visitor of a request: `?lang=` first, then the language cookie, else Swedish; no
    /// session looked up.
    pub fn of(parts: &Parts) -> Visitor {
        let chosen = parts
            .uri
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix("lang="))
            .and_then(Lang::parse);
        let cookie = cookie(parts, LANG_COOKIE).and_then(Lang::parse);
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let same_origin = match (parts.headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()), host) {
            (None, _) => true,
            (Some(origin), Some(host)) => {
                origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) == Some(host)
            }
            (Some(_), None) => false,
        };
        Visitor {
            lang: chosen.or(cookie).unwrap_or(Lang::Sv),
            chosen: chosen.is_some(),
            path: parts.uri.path().into(),
            me: None,
            token: None,
            same_origin,
            outages: Vec::new(),
        }
    }

    pub(crate) fn t(&self) -> &'static Catalog {
        self.lang.catalog()
    }

    pub(crate) fn chrome(&self, title: String, demo: bool) -> Chrome {
        let t = self.t();
        let signed_in = self.me.as_ref().map(|(session, me)| SignedIn {
            who: t.fill("layout.signed_in_as", &[("member", &me.member_name), ("roles", &roles_text(t, &me.roles))]),
            csrf: session.csrf.clone(),
        });
        let menu = self.me.as_ref().map(|_| TODO).into_iter().chain(MENU);
        let nav = menu
            .map(|(href, key)| NavItem {
                href,
                label: t.get(key),
                current: href == self.path || (href != "/" && self.path.starts_with(&format!("{href}/"))),
            })
            .collect();
        let other = self.lang.other();
        Chrome {
            lang: self.lang.tag(),
            t,
            title,
            nav,
            demo,
            other_lang: other.tag(),
            other_href: format!("{}?lang={}", self.path, other.tag()),
            signed_in,
            script: false,
            outages: outages::banner(t, &self.outages),
        }
    }

    /// The answer: the page rendered, or the error page the failure calls for.
    pub(crate) fn answer(&self, page: Result<String, Failure>, demo: bool) -> Response {
        self.answer_with(StatusCode::OK, page, demo)
    }

    /// [`Visitor::answer`] with the status of a page that rendered (a form shown again with its
    /// errors is 422).
    pub(crate) fn answer_with(&self, ok: StatusCode, page: Result<String, Failure>, demo: bool) -> Response {
        let (status, html) = match page {
            Ok(html) => (ok, Ok(html)),
            Err(failure) => self.failure_page(failure, demo),
        };
        let html = html.unwrap_or_else(|e| format!("<!DOCTYPE html><title>500</title><p>{e}</p>"));
        let mut response = (status, Html(html)).into_response();
        if self.chosen {
            let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", self.lang.tag());
            let value = HeaderValue::from_str(&cookie).expect("a language tag is a valid header value");
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response
    }

    fn failure_page(&self, failure: Failure, demo: bool) -> (StatusCode, Result<String, askama::Error>) {
        let (status, heading, text) = match failure {
            Failure::NotFound => (StatusCode::NOT_FOUND, "not_found.heading", "not_found.text"),
            Failure::View(view::Error::NoFederation) => {
                (StatusCode::SERVICE_UNAVAILABLE, "error.no_federation_heading", "error.no_federation_text")
            }
            Failure::View(view::Error::Read(_)) | Failure::Render(_) | Failure::Task(_) => {
                tracing::error!(path = %self.path, error = %failure, "page not shown");
                (StatusCode::INTERNAL_SERVER_ERROR, "error.heading", "error.text")
            }
        };
        let t = self.t();
        let page = TextPage {
            c: self.chrome(t.get(heading).into(), demo),
            paragraphs: vec![t.get(text).into()],
            link: Some(("/", t.get("not_found.link").into())),
        };
        (status, page.render())
    }
}

impl<N: Node> FromRequestParts<Arc<Web<N>>> for Visitor {
    type Rejection = std::convert::Infallible;

    /// The visitor, with the session of the request's cookie if it is live and its key is still
    /// a person's key in force (otherwise the session is ended).
    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web<N>>) -> Result<Visitor, Self::Rejection> {
        let mut visitor = Visitor::of(parts);
        // The banner's notices: a short read of two record kinds, as `me` below reads the roster.
        // A page whose read fails shows no banner rather than no page.
        visitor.outages = web.node.outages().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "outage notices not read for the banner");
            Vec::new()
        });
        if let Some(token) = cookie(parts, SESSION_COOKIE) {
            visitor.token = Some(token.to_owned());
            if let Some(session) = web.sessions.get(token) {
                match web.node.me(&session.key) {
                    Some(me) => visitor.me = Some((session, me)),
                    None => web.sessions.end(token),
                }
            }
        }
        Ok(visitor)
    }
}

/// Why a page is not shown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error("no such page")]
    NotFound,
    #[error(transparent)]
    View(#[from] view::Error),
    #[error("a template failed: {0}")]
    Render(#[from] askama::Error),
    #[error("a read task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The 403 page of a form the signed-in person may not use, saying why (the catalog's `key`).
pub(crate) fn forbidden<N: Node>(web: &Web<N>, v: &Visitor, key: &str) -> Response {
    let t = v.t();
    let page = TextPage {
        c: v.chrome(t.get("form.forbidden_heading").into(), web.node.demo()),
        paragraphs: vec![t.get(key).into()],
        link: Some(("/", t.get("not_found.link").into())),
    };
    v.answer_with(StatusCode::FORBIDDEN, page.render().map_err(Failure::from), web.node.demo())
}

/// Runs a blocking read of the node off the async workers.
pub(crate) async fn read<N: Node, T: Send + 'static>(
    node: &Arc<N>,
    f: impl FnOnce(&N) -> Result<T, view::Error> + Send + 'static,
) -> Result<T, Failure> {
    let node = node.clone();
    Ok(tokio::task::spawn_blocking(move || f(&node)).await??)
}

/// What every page shows around its content.
pub(crate) struct Chrome {
    pub(crate) lang: &'static str,
    pub(crate) t: &'static Catalog,
    pub(crate) title: String,
    pub(crate) nav: Vec<NavItem>,
    pub(crate) demo: bool,
    pub(crate) other_lang: &'static str,
    pub(crate) other_href: String,
    /// Who is signed in, with the logout form's CSRF token.
    pub(crate) signed_in: Option<SignedIn>,
    /// Whether the page loads the script (only pages that use the browser's key do).
    pub(crate) script: bool,
    /// The outage notices in force: the banner on every page until their all-clear.
    pub(crate) outages: Vec<outages::Banner>,
}

pub(crate) struct SignedIn {
    pub(crate) who: String,
    pub(crate) csrf: String,
}

pub(crate) struct NavItem {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    pub(crate) current: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    c: Chrome,
    name: String,
    summary: String,
    members: Vec<String>,
}

#[derive(Template)]
#[template(path = "matters.html")]
struct MattersPage {
    c: Chrome,
    caption: String,
    rows: Vec<Row>,
    /// Links to the previous and the next page, when there are such pages.
    previous: Option<String>,
    next: Option<String>,
    /// Whether the visitor may put a new matter (a host officer).
    new: bool,
    /// The status filter's options: (value, label, selected).
    statuses: Vec<(&'static str, &'static str, bool)>,
    /// The kind filter's options: (value, label, selected).
    kinds: Vec<(&'static str, &'static str, bool)>,
}

/// The filters of `/arenden`: `?status=oppna|avslutade&typ=<kind>` (an unknown value filters
/// nothing).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MatterFilter {
    status: Option<String>,
    typ: Option<String>,
    /// The page of the list, from 1 ([`MATTERS_PER_PAGE`] matters a page).
    sida: Option<String>,
}

/// Matters on one page of `/arenden`: a list of 10 000 matters is paged, not sent whole.
pub const MATTERS_PER_PAGE: usize = 50;

impl MatterFilter {
    /// The query string of this filter on page `page`.
    fn href(&self, page: usize) -> String {
        let mut q = vec![format!("sida={page}")];
        for (name, value) in [("status", &self.status), ("typ", &self.typ)] {
            if let Some(v) =
                value.as_deref().filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            {
                q.push(format!("{name}={v}"));
            }
        }
        format!("/arenden?{}", q.join("&"))
    }
}

impl MatterFilter {
    /// The query for page `page` of this filter. A kind this node does not know (or none)
    /// filters nothing.
    fn query(&self, page: usize) -> view::MatterQuery {
        let open = match self.status.as_deref() {
            Some("oppna") => Some(true),
            Some("avslutade") => Some(false),
            _ => None,
        };
        let kind = self
            .typ
            .as_deref()
            .and_then(|k| MatterKind::ALL.into_iter().find(|m| kind_key(*m).trim_start_matches("kind.") == k));
        view::MatterQuery { open, kind, skip: (page - 1) * MATTERS_PER_PAGE, take: MATTERS_PER_PAGE }
    }
}

/// A matter's list row as text.
pub(crate) struct Row {
    pub(crate) href: String,
    pub(crate) diarienummer: String,
    pub(crate) title: String,
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) status_class: &'static str,
    pub(crate) date: String,
}

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterPage {
    c: Chrome,
    id: String,
    row: Row,
    proposal: String,
    alternatives: Vec<String>,
    papers: Vec<PaperLine>,
    result_note: &'static str,
    outcome: String,
    counts: Vec<(String, String)>,
    closing: Option<String>,
    votes_caption: String,
    votes: Vec<VoteLine>,
    /// The vote form, for a signed-in person who may vote while the matter is open.
    vote: Option<VoteForm>,
    /// Why the last vote or host command was refused, shown above the forms.
    error: Option<String>,
    /// The host officer's commands, for the host's förvaltare or ordförande.
    host: Option<HostForms>,
    /// The plan version decided on: (link, title).
    /// The subject's label, link and title.
    subject: Option<(String, String, String)>,
}

/// The host officer's buttons on a matter's page.
struct HostForms {
    csrf: String,
    /// Where to post "register in the diarium", while the matter has no diarienummer.
    register: Option<String>,
    /// Where to post "close the ballot", while the matter is open.
    close: Option<String>,
}

/// The vote form on a matter's page.
struct VoteForm {
    action: String,
    csrf: String,
    /// (value, label) of each choice.
    choices: Vec<(String, String)>,
    /// Whether the person's member has voted already (a new vote replaces it).
    voted: Option<String>,
}

struct PaperLine {
    name: String,
    size: String,
    hash: String,
}

struct VoteLine {
    member: String,
    choice: String,
    time: String,
    counted: String,
    id: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    c: Chrome,
    intro: String,
    caption: String,
    members: Vec<MemberLine>,
    /// Roster versions, newest first: (heading, reason, changes).
    history: Vec<(String, String, Vec<String>)>,
}

struct MemberLine {
    name: String,
    id: String,
    kind: &'static str,
    people: Vec<String>,
    nodes: usize,
}

#[derive(Template)]
#[template(path = "node.html")]
struct NodePage {
    c: Chrome,
    facts: Vec<(&'static str, String)>,
    peers: Vec<(String, String)>,
    /// "The newest matter … is held by N of M members" and who holds it.
    replication: Option<(String, String)>,
}

/// A page of paragraphs: the accessibility statement and the error pages.
#[derive(Template)]
#[template(path = "text.html")]
pub(crate) struct TextPage {
    pub(crate) c: Chrome,
    pub(crate) paragraphs: Vec<String>,
    pub(crate) link: Option<(&'static str, String)>,
}

/// `GET /`: the federation, its members and how many matters are open.
pub async fn overview<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let (fed, open) = read(&web.node, |n| Ok((n.federation()?, n.open_matters()?))).await?;
        let t = v.t();
        let summary = format!("{} {}", t.count("overview.members", fed.members.len()), t.count("overview.open", open));
        let mut members: Vec<&view::Member> = fed.members.iter().collect();
        members.sort_by(|a, b| locale::compare(&a.name, &b.name));
        let members = members
            .into_iter()
            .map(|m| if m.id == fed.host { t.fill("overview.host", &[("name", &m.name)]) } else { m.name.clone() })
            .collect();
        Ok(OverviewPage { c: v.chrome(fed.name.clone(), web.node.demo()), name: fed.name, summary, members }
            .render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /arenden`: every matter with its diarienummer and status, filtered by status and kind.
pub async fn matters<N: Node>(
    State(web): State<Arc<Web<N>>>,
    axum::extract::Query(filter): axum::extract::Query<MatterFilter>,
    v: Visitor,
) -> Response {
    let page = async {
        let asked = filter.sida.as_deref().and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
        let query = filter.query(asked);
        let mut list = read(&web.node, move |n| n.matter_list(&query)).await?;
        let pages = list.total.div_ceil(MATTERS_PER_PAGE).max(1);
        let page = asked.min(pages);
        if page != asked {
            let query = filter.query(page);
            list = read(&web.node, move |n| n.matter_list(&query)).await?;
        }
        let t = v.t();
        let shown = &list.rows;
        let caption = if pages == 1 {
            t.fill("matters.caption", &[("count", &list.total.to_string())])
        } else {
            let first = (page - 1) * MATTERS_PER_PAGE + 1;
            t.fill(
                "matters.caption_paged",
                &[
                    ("first", &first.to_string()),
                    ("last", &(first + shown.len() - 1).to_string()),
                    ("count", &locale::grouped(list.total as u64)),
                ],
            )
        };
        let previous = (page > 1).then(|| filter.href(page - 1));
        let next = (page < pages).then(|| filter.href(page + 1));
        let rows = shown.iter().map(|r| row(t, r)).collect();
        let new = v.me.as_ref().is_some_and(|(_, me)| me.host_officer());
        let status = filter.status.as_deref().unwrap_or("");
        let statuses = [("", "matters.all"), ("oppna", "matters.open"), ("avslutade", "matters.closed")]
            .into_iter()
            .map(|(value, key)| (value, t.get(key), value == status))
            .collect();
        let typ = filter.typ.as_deref().unwrap_or("");
        let kinds = std::iter::once(("", t.get("matters.all_kinds"), typ.is_empty()))
            .chain(MatterKind::ALL.into_iter().map(|k| {
                let value = kind_key(k).trim_start_matches("kind.");
                (value, t.get(kind_key(k)), value == typ)
            }))
            .collect();
        let c = v.chrome(t.get("matters.heading").into(), web.node.demo());
        Ok(MattersPage { c, caption, rows, previous, next, new, statuses, kinds }.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /arenden/{id}`: one matter with its proposal, papers, votes and result.
pub async fn matter<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = matter_page(&web, &v, &id, None).await;
    v.answer(page, web.node.demo())
}

/// A matter's page, with `error` above the vote form (a refused vote).
pub(crate) async fn matter_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<String, Failure> {
    let id = RecordId::from_hex(id).map_err(|_| Failure::NotFound)?;
    let m = read(&web.node, move |n| n.matter(&id)).await?.ok_or(Failure::NotFound)?;
    let t = v.t();
    let vote = match &v.me {
        Some((session, me)) if me.votes() && m.row.status == view::Status::Open => Some(VoteForm {
            action: format!("/arenden/{}/rosta", m.row.id.to_hex()),
            csrf: session.csrf.clone(),
            choices: choices(&m.alternatives)
                .into_iter()
                .map(|(value, choice)| (value, choice_text(t, choice, &m.alternatives)))
                .collect(),
            voted: m
                .votes
                .iter()
                .find(|vote| vote.member == me.member_name)
                .map(|vote| t.fill("vote.already", &[("choice", &choice_text(t, vote.choice, &m.alternatives))])),
        }),
        _ => None,
    };
    let host = match &v.me {
        Some((session, me)) if me.host_officer() => {
            let base = format!("/arenden/{}", m.row.id.to_hex());
            Some(HostForms {
                csrf: session.csrf.clone(),
                register: m.row.diarienummer.is_none().then(|| format!("{base}/diariefor")),
                close: (m.row.status == view::Status::Open).then(|| format!("{base}/avsluta")),
            })
            .filter(|h| h.register.is_some() || h.close.is_some())
        }
        _ => None,
    };
    let subject = m.subject.as_ref().map(|(id, title, kind)| {
        let (label, link) = match kind {
            view::SubjectKind::Plan => ("matter.subject", format!("/planer/{}", id.to_hex())),
            view::SubjectKind::CostKey(year) => ("matter.subject_cost_key", format!("/fakturaunderlag/{year}")),
            view::SubjectKind::Agreement => ("matter.subject_agreement", format!("/avtal/{}", id.to_hex())),
            view::SubjectKind::Need => ("matter.subject_need", format!("/behov/{}", id.to_hex())),
            view::SubjectKind::SlaTable => ("matter.subject_sla", "/support".to_owned()),
            view::SubjectKind::NotHeld => ("matter.subject_record", format!("/api/v1/records/{}", id.to_hex())),
        };
        let title = title.clone().unwrap_or_else(|| t.get("matter.subject_not_held").into());
        (t.get(label).to_owned(), link, title)
    });
    let page = MatterPage {
        subject,
        host,
        c: v.chrome(m.row.title.clone(), web.node.demo()),
        id: m.row.id.to_hex(),
        row: row(t, &m.row),
        proposal: m.proposal.clone(),
        alternatives: m.alternatives.clone(),
        papers: m
            .papers
            .iter()
            .map(|p| PaperLine {
                name: p.name.clone(),
                size: t.fill("matter.bytes", &[("size", &locale::grouped(p.size))]),
                hash: p.hash.to_hex(),
            })
            .collect(),
        result_note: t.get(if m.provisional { "matter.provisional" } else { "matter.final" }),
        outcome: outcome_text(t, m.outcome, &m.alternatives),
        counts: counts(t, &m),
        closing: m.closing.map(|c| c.to_hex()),
        votes_caption: t.fill("matter.votes_caption", &[("count", &m.votes.len().to_string())]),
        votes: m
            .votes
            .iter()
            .map(|vote| VoteLine {
                member: vote.member.clone(),
                choice: choice_text(t, vote.choice, &m.alternatives),
                time: locale::date_time(vote.time_ms),
                counted: match vote.excluded {
                    None => t.get("vote.is_counted").into(),
                    Some(code) => t.fill("vote.not_counted", &[("code", code)]),
                },
                id: vote.id.to_hex(),
            })
            .collect(),
        vote,
        error,
    };
    Ok(page.render()?)
}

/// The choices of a matter as form values: `ja`, `nej` and `avstar`, or each alternative by its
/// number from 1, and `avstar`.
pub fn choices(alternatives: &[String]) -> Vec<(String, Choice)> {
    let mut out: Vec<(String, Choice)> = if alternatives.is_empty() {
        vec![("ja".into(), Choice::Yes), ("nej".into(), Choice::No)]
    } else {
        (0..alternatives.len())
            .filter_map(|i| Some(((i + 1).to_string(), Choice::Alternative(u32::try_from(i).ok()?))))
            .collect()
    };
    out.push(("avstar".into(), Choice::Abstain));
    out
}

/// `GET /medlemmar`: the members of the current roster with their people's roles.
pub async fn members<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let (fed, versions) = read(&web.node, |n| Ok((n.federation()?, n.roster_history()?))).await?;
        let t = v.t();
        let history = versions.iter().map(|r| roster_version_text(t, r)).collect();
        let mut members: Vec<&view::Member> = fed.members.iter().collect();
        members.sort_by(|a, b| locale::compare(&a.name, &b.name));
        let lines = members
            .into_iter()
            .map(|m| MemberLine {
                name: if m.id == fed.host { t.fill("overview.host", &[("name", &m.name)]) } else { m.name.clone() },
                id: m.id.clone(),
                kind: t.get(member_kind_key(m.kind)),
                people: m.people.iter().map(|p| person_text(t, p)).collect(),
                nodes: m.nodes,
            })
            .collect::<Vec<_>>();
        let page = MembersPage {
            c: v.chrome(t.get("members.heading").into(), web.node.demo()),
            intro: t.fill("members.intro", &[("version", &fed.roster_version.to_string())]),
            caption: t.fill("members.caption", &[("count", &lines.len().to_string())]),
            members: lines,
            history,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /noden`: the node's state, for operators.
pub async fn node_state<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let s = web.node.node_state().await?;
        let t = v.t();
        let facts = vec![
            (t.get("node.key"), s.node_key),
            (t.get("node.member"), s.member.unwrap_or_else(|| t.get("node.no_member").into())),
            (t.get("node.records"), locale::grouped(s.records)),
            (t.get("node.parked"), s.parked.to_string()),
            (t.get("node.peers"), s.peers.len().to_string()),
            (t.get("node.roster_version"), s.roster_version.map_or_else(|| "–".into(), |v| v.to_string())),
            (t.get("node.equivocators"), s.equivocators.to_string()),
            (t.get("node.version"), s.version.into()),
        ];
        let replication = s.replication.map(|(title, mut holders, members)| {
            holders.sort_by(|a, b| locale::compare(a, b));
            let summary = t.fill(
                "node.replication_summary",
                &[("title", &title), ("held", &holders.len().to_string()), ("members", &members.to_string())],
            );
            (summary, holders.join(", "))
        });
        let mut peers = s.peers;
        peers.sort_by(|a, b| locale::compare(&a.0, &b.0));
        let c = v.chrome(t.get("node.heading").into(), web.node.demo());
        Ok(NodePage { c, facts, peers, replication }.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /tillganglighet`: the accessibility statement (tillgänglighetsredogörelse) the law on
/// accessibility of digital public services (DOS-lagen) requires.
pub async fn accessibility<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let t = v.t();
    let page = TextPage {
        c: v.chrome(t.get("accessibility.heading").into(), web.node.demo()),
        paragraphs: ["intro", "status", "known", "report", "supervision"]
            .iter()
            .map(|k| t.get(&format!("accessibility.{k}")).to_owned())
            .collect(),
        link: Some(("https://www.digg.se/tdosanmalan", t.get("accessibility.link").into())),
    };
    v.answer(page.render().map_err(Failure::from), web.node.demo())
}

/// Any other page: the Swedish (or English) 404 page.
pub async fn not_found<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    v.answer(Err(Failure::NotFound), web.node.demo())
}

pub(crate) fn row(t: &'static Catalog, r: &view::MatterRow) -> Row {
    let (status, class) = match r.status {
        view::Status::Open => ("status.open", "open"),
        view::Status::Closed => ("status.closed", "closed"),
        view::Status::Disputed => ("status.disputed", "disputed"),
    };
    Row {
        href: format!("/arenden/{}", r.id.to_hex()),
        diarienummer: r.diarienummer.clone().unwrap_or_else(|| t.get("matter.not_registered").into()),
        title: r.title.clone(),
        kind: t.get(kind_key(r.kind)),
        status: t.get(status),
        status_class: class,
        date: locale::date(r.time_ms),
    }
}

fn counts(t: &'static Catalog, m: &view::Matter) -> Vec<(String, String)> {
    let tally = &m.tally;
    let mut out: Vec<(String, String)> = if m.alternatives.is_empty() {
        vec![(t.get("count.yes").into(), tally.yes.to_string()), (t.get("count.no").into(), tally.no.to_string())]
    } else {
        m.alternatives
            .iter()
            .zip(&tally.alternatives)
            .enumerate()
            .map(|(i, (name, n))| {
                (t.fill("count.alternative", &[("n", &(i + 1).to_string()), ("name", name)]), n.to_string())
            })
            .collect()
    };
    out.push((t.get("count.abstain").into(), tally.abstain.to_string()));
    let voting = t.fill(
        "count.voting_value",
        &[("voting", &tally.members_voting.to_string()), ("total", &tally.members_total.to_string())],
    );
    out.push((t.get("count.voting").into(), voting));
    out
}

/// An alternative by index as people number them (from 1), with its name.
fn alternative(t: &'static Catalog, key: &str, index: u32, alternatives: &[String]) -> String {
    let name = usize::try_from(index).ok().and_then(|i| alternatives.get(i)).map_or("", String::as_str);
    t.fill(key, &[("n", &(u64::from(index) + 1).to_string()), ("name", name)])
}

pub(crate) fn choice_text(t: &'static Catalog, choice: Choice, alternatives: &[String]) -> String {
    match choice {
        Choice::Yes => t.get("choice.yes").into(),
        Choice::No => t.get("choice.no").into(),
        Choice::Abstain => t.get("choice.abstain").into(),
        Choice::Alternative(i) => alternative(t, "choice.alternative", i, alternatives),
    }
}

pub(crate) fn outcome_text(t: &'static Catalog, outcome: Outcome, alternatives: &[String]) -> String {
    match outcome {
        Outcome::Adopted { alternative: None } => t.get("outcome.adopted").into(),
        Outcome::Adopted { alternative: Some(i) } => alternative(t, "outcome.adopted_alternative", i, alternatives),
        Outcome::Rejected => t.get("outcome.rejected").into(),
        Outcome::NoQuorum => t.get("outcome.no_quorum").into(),
    }
}

/// A mandate period as people read it: `2027-01-01–2030-12-31`, or open-ended.
pub(crate) fn mandate_text(t: &'static Catalog, valid: (Option<i64>, Option<i64>)) -> String {
    match valid {
        (None, None) => t.get("certify.open_ended").into(),
        (from, until) => {
            let day = |ms: Option<i64>| ms.map_or_else(String::new, locale::date);
            format!("{}–{}", day(from), day(until))
        }
    }
}

fn person_text(t: &'static Catalog, p: &view::Person) -> String {
    let person = t.fill("members.person", &[("roles", &roles_text(t, &p.roles)), ("fingerprint", &p.fingerprint)]);
    match p.valid {
        (None, None) => person,
        (from, until) => {
            let day = |ms: Option<i64>| ms.map_or_else(String::new, locale::date);
            t.fill("members.mandate", &[("person", &person), ("from", &day(from)), ("until", &day(until))])
        }
    }
}

/// A roster version as a heading, its reason and a line per change.
fn roster_version_text(t: &'static Catalog, r: &view::RosterVersion) -> (String, String, Vec<String>) {
    let changes = r
        .changes
        .iter()
        .map(|c| match c {
            view::RosterChange::MemberAdded(name) => t.fill("history.member_added", &[("member", name)]),
            view::RosterChange::MemberRemoved(name) => t.fill("history.member_removed", &[("member", name)]),
            view::RosterChange::KeyCertified { member, fingerprint, roles, node } => {
                let what = if *node {
                    t.get("history.node_key").to_owned()
                } else if roles.is_empty() {
                    t.get("history.org_key").to_owned()
                } else {
                    roles_text(t, roles)
                };
                t.fill("history.certified", &[("member", member), ("fingerprint", fingerprint), ("what", &what)])
            }
            view::RosterChange::KeyRotated { old, new } => t.fill("history.rotated", &[("old", old), ("new", new)]),
            view::RosterChange::KeyRevoked { fingerprint, since } => {
                t.fill("history.revoked", &[("fingerprint", fingerprint), ("since", &since.to_string())])
            }
            view::RosterChange::HostSet(name) => t.fill("history.host", &[("member", name)]),
            view::RosterChange::RulesSet => t.get("history.rules").to_owned(),
        })
        .collect();
    let heading = t.fill("history.version", &[("version", &r.version.to_string()), ("date", &locale::date(r.time_ms))]);
    (heading, r.reason.clone(), changes)
}

/// Roles as people say them, separated by commas.
pub(crate) fn roles_text(t: &'static Catalog, roles: &[Role]) -> String {
    roles.iter().map(|r| t.get(role_key(*r))).collect::<Vec<_>>().join(", ")
}

/// The catalog key of a matter kind's name.
pub fn kind_key(kind: MatterKind) -> &'static str {
    match kind {
        MatterKind::Forvaltningsplan => "kind.forvaltningsplan",
        MatterKind::Utvecklingsplan => "kind.utvecklingsplan",
        MatterKind::Budget => "kind.budget",
        MatterKind::Investering => "kind.investering",
        MatterKind::StorreForandring => "kind.storre_forandring",
        MatterKind::Avtalsforlangning => "kind.avtalsforlangning",
        MatterKind::UppsagningAvAvtal => "kind.uppsagning_av_avtal",
        MatterKind::NyttAvtal => "kind.nytt_avtal",
        MatterKind::Medlemskap => "kind.medlemskap",
        MatterKind::Ovrigt => "kind.ovrigt",
    }
}

/// The catalog key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::StyrgruppOrdinarie => "role.styrgrupp_ordinarie",
        Role::StyrgruppErsattare => "role.styrgrupp_ersattare",
        Role::Ordforande => "role.ordforande",
        Role::Objektspecialist => "role.objektspecialist",
        Role::Forvaltare => "role.forvaltare",
        Role::Firmatecknare => "role.firmatecknare",
    }
}

/// The catalog key of a member kind's name.
pub fn member_kind_key(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Kommun => "member_kind.kommun",
        MemberKind::Region => "member_kind.region",
        MemberKind::Forvaltning => "member_kind.forvaltning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_role_and_member_kind_has_a_text_in_both_languages() {
        let keys =
            MatterKind::ALL.into_iter().map(kind_key).chain(Role::ALL.into_iter().map(role_key)).chain(
                [MemberKind::Kommun, MemberKind::Region, MemberKind::Forvaltning].into_iter().map(member_kind_key),
            );
        for key in keys {
            for lang in Lang::ALL {
                assert_ne!(lang.catalog().get(key), crate::catalog::MISSING, "{key} in {}", lang.tag());
            }
        }
    }
}
