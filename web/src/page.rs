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

pub mod plans;

use crate::catalog::{Catalog, Lang};
use crate::locale;
use crate::view::{self, Node};

/// The cookie that keeps the language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "samverka_lang";

/// Where the pages are, in menu order: (path, catalog key).
const MENU: [(&str, &str); 4] =
    [("/", "nav.overview"), ("/arenden", "nav.matters"), ("/medlemmar", "nav.members"), ("/noden", "nav.node")];

/// Who asks, as far as the pages care: the language and the page asked for.
pub struct Visitor {
    lang: Lang,
    /// Whether the language was chosen in this request (`?lang=`), so it is kept in a cookie.
    chosen: bool,
    path: String,
}

impl Visitor {
    /// The visitor of a request: `?lang=` first, then the language cookie, else Swedish.
    pub fn of(parts: &Parts) -> Visitor {
        let chosen = parts
            .uri
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix("lang="))
            .and_then(Lang::parse);
        let cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(LANG_COOKIE)?.strip_prefix('='))
            .and_then(Lang::parse);
        Visitor { lang: chosen.or(cookie).unwrap_or(Lang::Sv), chosen: chosen.is_some(), path: parts.uri.path().into() }
    }

    fn t(&self) -> &'static Catalog {
        self.lang.catalog()
    }

    fn chrome(&self, title: String, demo: bool) -> Chrome {
        let t = self.t();
        let nav = MENU
            .iter()
            .map(|(href, key)| NavItem {
                href,
                label: t.get(key),
                current: *href == self.path || (*href != "/" && self.path.starts_with(&format!("{href}/"))),
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
        }
    }

    /// The answer: the page rendered, or the error page the failure calls for.
    fn answer(&self, page: Result<String, Failure>, demo: bool) -> Response {
        let (status, html) = match page {
            Ok(html) => (StatusCode::OK, Ok(html)),
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

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Visitor, Self::Rejection> {
        Ok(Visitor::of(parts))
    }
}

/// Why a page is not shown.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("no such page")]
    NotFound,
    #[error(transparent)]
    View(#[from] view::Error),
    #[error("a template failed: {0}")]
    Render(#[from] askama::Error),
    #[error("a read task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs a blocking read of the node off the async workers.
async fn read<N: Node, T: Send + 'static>(
    node: &Arc<N>,
    f: impl FnOnce(&N) -> Result<T, view::Error> + Send + 'static,
) -> Result<T, Failure> {
    let node = node.clone();
    Ok(tokio::task::spawn_blocking(move || f(&node)).await??)
}

/// What every page shows around its content.
struct Chrome {
    lang: &'static str,
    t: &'static Catalog,
    title: String,
    nav: Vec<NavItem>,
    demo: bool,
    other_lang: &'static str,
    other_href: String,
}

struct NavItem {
    href: &'static str,
    label: &'static str,
    current: bool,
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
}

/// A matter's list row as text.
struct Row {
    href: String,
    diarienummer: String,
    title: String,
    kind: &'static str,
    status: &'static str,
    status_class: &'static str,
    date: String,
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
}

/// A page of paragraphs: the accessibility statement and the error pages.
#[derive(Template)]
#[template(path = "text.html")]
struct TextPage {
    c: Chrome,
    paragraphs: Vec<String>,
    link: Option<(&'static str, String)>,
}

/// `GET /`: the federation, its members and how many matters are open.
pub async fn overview<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    let page = async {
        let (fed, matters) = read(&node, |n| Ok((n.federation()?, n.matters()?))).await?;
        let t = v.t();
        let open = matters.iter().filter(|m| m.status == view::Status::Open).count();
        let summary = format!("{} {}", t.count("overview.members", fed.members.len()), t.count("overview.open", open));
        let mut members: Vec<&view::Member> = fed.members.iter().collect();
        members.sort_by(|a, b| locale::compare(&a.name, &b.name));
        let members = members
            .into_iter()
            .map(|m| if m.id == fed.host { t.fill("overview.host", &[("name", &m.name)]) } else { m.name.clone() })
            .collect();
        Ok(OverviewPage { c: v.chrome(fed.name.clone(), node.demo()), name: fed.name, summary, members }.render()?)
    };
    v.answer(page.await, node.demo())
}

/// `GET /arenden`: every matter with its diarienummer and status.
pub async fn matters<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    let page = async {
        let rows = read(&node, |n| n.matters()).await?;
        let t = v.t();
        let caption = t.fill("matters.caption", &[("count", &rows.len().to_string())]);
        let rows = rows.iter().map(|r| row(t, r)).collect();
        Ok(MattersPage { c: v.chrome(t.get("matters.heading").into(), node.demo()), caption, rows }.render()?)
    };
    v.answer(page.await, node.demo())
}

/// `GET /arenden/{id}`: one matter with its proposal, papers, votes and result.
pub async fn matter<N: Node>(State(node): State<Arc<N>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = async {
        let id = RecordId::from_hex(&id).map_err(|_| Failure::NotFound)?;
        let m = read(&node, move |n| n.matter(&id)).await?.ok_or(Failure::NotFound)?;
        let t = v.t();
        let page = MatterPage {
            c: v.chrome(m.row.title.clone(), node.demo()),
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
        };
        Ok(page.render()?)
    };
    v.answer(page.await, node.demo())
}

/// `GET /medlemmar`: the members of the current roster with their people's roles.
pub async fn members<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    let page = async {
        let fed = read(&node, |n| n.federation()).await?;
        let t = v.t();
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
            c: v.chrome(t.get("members.heading").into(), node.demo()),
            intro: t.fill("members.intro", &[("version", &fed.roster_version.to_string())]),
            caption: t.fill("members.caption", &[("count", &lines.len().to_string())]),
            members: lines,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, node.demo())
}

/// `GET /noden`: the node's state, for operators.
pub async fn node_state<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    let page = async {
        let s = node.node_state().await?;
        let t = v.t();
        let facts = vec![
            (t.get("node.key"), s.node_key),
            (t.get("node.member"), s.member.unwrap_or_else(|| t.get("node.no_member").into())),
            (t.get("node.records"), locale::grouped(s.records)),
            (t.get("node.parked"), s.parked.to_string()),
            (t.get("node.peers"), s.peers.to_string()),
            (t.get("node.roster_version"), s.roster_version.map_or_else(|| "–".into(), |v| v.to_string())),
            (t.get("node.equivocators"), s.equivocators.to_string()),
            (t.get("node.version"), s.version.into()),
        ];
        Ok(NodePage { c: v.chrome(t.get("node.heading").into(), node.demo()), facts }.render()?)
    };
    v.answer(page.await, node.demo())
}

/// `GET /tillganglighet`: the accessibility statement (tillgänglighetsredogörelse) the law on
/// accessibility of digital public services (DOS-lagen) requires.
pub async fn accessibility<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    let t = v.t();
    let page = TextPage {
        c: v.chrome(t.get("accessibility.heading").into(), node.demo()),
        paragraphs: ["intro", "status", "known", "report", "supervision"]
            .iter()
            .map(|k| t.get(&format!("accessibility.{k}")).to_owned())
            .collect(),
        link: Some(("https://www.digg.se/tdosanmalan", t.get("accessibility.link").into())),
    };
    v.answer(page.render().map_err(Failure::from), node.demo())
}

/// Any other page: the Swedish (or English) 404 page.
pub async fn not_found<N: Node>(State(node): State<Arc<N>>, v: Visitor) -> Response {
    v.answer(Err(Failure::NotFound), node.demo())
}

fn row(t: &'static Catalog, r: &view::MatterRow) -> Row {
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

fn choice_text(t: &'static Catalog, choice: Choice, alternatives: &[String]) -> String {
    match choice {
        Choice::Yes => t.get("choice.yes").into(),
        Choice::No => t.get("choice.no").into(),
        Choice::Abstain => t.get("choice.abstain").into(),
        Choice::Alternative(i) => alternative(t, "choice.alternative", i, alternatives),
    }
}

fn outcome_text(t: &'static Catalog, outcome: Outcome, alternatives: &[String]) -> String {
    match outcome {
        Outcome::Adopted { alternative: None } => t.get("outcome.adopted").into(),
        Outcome::Adopted { alternative: Some(i) } => alternative(t, "outcome.adopted_alternative", i, alternatives),
        Outcome::Rejected => t.get("outcome.rejected").into(),
        Outcome::NoQuorum => t.get("outcome.no_quorum").into(),
    }
}

fn person_text(t: &'static Catalog, p: &view::Person) -> String {
    let roles: Vec<&str> = p.roles.iter().map(|r| t.get(role_key(*r))).collect();
    t.fill("members.person", &[("roles", &roles.join(", ")), ("fingerprint", &p.fingerprint)])
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
