//! Server-rendered web pages for a samverka node: Swedish by default, English with `?lang=en`,
//! accessible (WCAG 2.1 AA, checked with axe in a real browser by `scripts/browser-test.sh`).
//! Everything works without JavaScript except what only a person's own key can do: signing in
//! and signing records ([`session`], [`sign`], `web/static/samverka.js`).
//!
//! The crate depends on `samverka-protocol` only and sees the node through the narrow
//! [`Node`] trait: the node answers with read models ([`view`]), the pages render them with
//! compiled askama templates (`web/templates`) and texts from editable catalogs
//! (`web/texts/sv.toml`, `web/texts/en.toml`). The node merges [`router`] into its own.

pub mod catalog;
pub mod certify;
pub mod host;
pub mod locale;
pub mod page;
pub mod pager;
pub mod paper_trail;
pub mod session;
pub mod sign;
pub mod signin;
pub mod upload;
pub mod view;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

pub use catalog::Lang;
pub use view::Node;

/// Path of the one stylesheet (served by the node: no CDN).
pub const STYLESHEET: &str = "/static/samverka.css";
/// Path of the one script: the browser's key, sign-in and signing (served by the node).
pub const SCRIPT: &str = "/static/samverka.js";

/// What the pages hold: the node, and the sign-in sessions.
pub struct Web<N> {
    /// The node.
    pub node: Arc<N>,
    /// Challenges and sessions.
    pub sessions: session::Sessions,
}

impl<N> Web<N> {
    /// The pages' state over `node`, with no session yet, keeping sessions in memory only.
    pub fn new(node: Arc<N>) -> Arc<Web<N>> {
        Arc::new(Web { node, sessions: session::Sessions::default() })
    }

    /// The pages' state over `node`, keeping sessions in `keep` too: the sessions still live
    /// there are open again, so a restarted node keeps everyone signed in.
    pub fn kept(node: Arc<N>, keep: Box<dyn session::Keep>) -> Arc<Web<N>> {
        Arc::new(Web { node, sessions: session::Sessions::kept(keep) })
    }
}

/// The pages, over `web`. Unknown paths are left to the caller (see [`not_found`]), so the node
/// can keep its API's own answer for unknown API paths.
pub fn router<N: Node>(web: Arc<Web<N>>) -> Router {
    Router::new()
        .route("/", get(page::overview::<N>))
        .route("/arenden", get(page::matters::<N>))
        .route(
            "/arenden/nytt",
            get(host::new_matter::<N>)
                .post(host::put_matter::<N>)
                .layer(axum::extract::DefaultBodyLimit::max(upload::MAX_FORM_BYTES)),
        )
        .route("/arenden/{id}", get(page::matter::<N>))
        .route("/arenden/{id}/rosta", post(sign::vote::<N>))
        .route("/arenden/{id}/diariefor", post(sign::register::<N>))
        .route("/arenden/{id}/avsluta", post(sign::close::<N>))
        .route("/protokoll/{id}/justera", post(sign::justera::<N>))
        .route("/att-gora", get(sign::todo::<N>))
        .route("/underskrift", get(sign::offer::<N>).post(sign::submit::<N>))
        .route("/kvitto/{id}", get(sign::receipt::<N>))
        .route("/logga-in", get(signin::login_page::<N>).post(signin::login::<N>))
        .route("/logga-ut", post(signin::logout::<N>))
        .route("/nyckel", get(signin::key_page::<N>))
        .route("/demo", get(signin::demo_page::<N>))
        .route("/demo/{member}/{role}", get(signin::demo_person::<N>))
        .route("/sammantraden", get(paper_trail::meetings::<N>))
        .route("/sammantraden/nytt", get(host::new_meeting::<N>).post(host::call_meeting::<N>))
        .route("/sammantraden/{id}/protokoll", get(host::new_minutes::<N>).post(host::write_minutes::<N>))
        .route("/protokoll/{id}", get(paper_trail::minutes::<N>))
        .route("/diariet", get(paper_trail::diarium::<N>))
        .route("/medlemmar", get(page::members::<N>))
        .route("/medlemmar/certifiera", get(certify::form::<N>).post(certify::certify::<N>))
        .route("/planer", get(page::plans::plans::<N>))
        .route("/planer/{id}", get(page::plans::plan::<N>))
        .route("/fakturaunderlag/{year}", get(page::plans::invoice::<N>))
        .route("/avtal", get(page::agreements::agreements::<N>))
        .route("/avtal/{id}", get(page::agreements::agreement::<N>))
        .route("/behov", get(page::needs::needs::<N>))
        .route("/behov/nytt", get(page::needs::new_need::<N>).post(page::needs::register::<N>))
        .route("/behov/rangordna", get(page::needs::rank::<N>).post(page::needs::rank_posted::<N>))
        .route("/behov/{id}", get(page::needs::need::<N>))
        .route("/behov/{id}/steg", post(page::needs::step::<N>))
        .route("/behov/{id}/behover-ocksa", post(page::needs::endorse::<N>))
        .route("/support", get(page::support::inbox::<N>))
        .route("/support/nytt", get(page::support::new_case::<N>).post(page::support::open_case::<N>))
        .route("/support/{id}", get(page::support::case::<N>))
        .route("/support/{id}/steg", post(page::support::step_case::<N>))
        .route("/avtal/{id}/skriv-under", post(page::agreements::sign::<N>))
        .route("/avtal/{id}/sag-upp", post(page::agreements::give_notice::<N>))
        .route("/avtal/{id}/utrad", post(page::agreements::withdraw::<N>))
        .route("/driftstorningar", get(page::outages::outages::<N>))
        .route("/driftstorningar/ny", get(page::outages::new_outage::<N>).post(page::outages::publish::<N>))
        .route("/driftstorningar/{id}", get(page::outages::outage::<N>))
        .route("/driftstorningar/{id}/uppdatera", post(page::outages::update::<N>))
        .route("/driftstorningar/{id}/friskforklara", post(page::outages::clear::<N>))
        .route("/driftstorningar/{id}/kvittera", post(page::outages::acknowledge::<N>))
        .route("/noden", get(page::node_state::<N>))
        .route("/tillganglighet", get(page::accessibility::<N>))
        .route(STYLESHEET, get(stylesheet))
        .route(SCRIPT, get(script))
        .with_state(web)
}

/// The 404 page for any path the router does not serve, as a router of its own (for a
/// fallback).
pub fn not_found<N: Node>(web: Arc<Web<N>>) -> Router {
    Router::new().fallback(page::not_found::<N>).with_state(web)
}

/// Every page anyone may load, for tests and the browser check (`{id}` stands for a matter
/// id).
pub const PAGES: [&str; 16] = [
    "/",
    "/arenden",
    "/arenden/{id}",
    "/sammantraden",
    "/diariet",
    "/planer",
    "/fakturaunderlag/2027",
    "/avtal",
    "/driftstorningar",
    "/behov",
    "/medlemmar",
    "/noden",
    "/tillganglighet",
    "/logga-in",
    "/nyckel",
    "/demo",
];

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/samverka.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("../static/samverka.js"),
    )
}

#[cfg(test)]
mod tests {
    /// The pages see the node only through [`crate::Node`]: the crate's only workspace
    /// dependency is the protocol.
    #[test]
    fn depends_on_no_workspace_crate_but_the_protocol() {
        let manifest: toml::Table = include_str!("../Cargo.toml").parse().expect("the manifest parses");
        let deps = manifest["dependencies"].as_table().expect("a dependencies table");
        let workspace: Vec<&String> = deps.keys().filter(|name| name.starts_with("samverka-")).collect();
        assert_eq!(workspace, ["samverka-protocol"]);
    }
}
