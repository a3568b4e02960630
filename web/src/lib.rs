//! Server-rendered web pages for a samverka node: Swedish by default, English with `?lang=en`,
//! no JavaScript, accessible (WCAG 2.1 AA, checked with axe in a real browser by
//! `scripts/browser-test.sh`).
//!
//! The crate depends on `samverka-protocol` only and sees the node through the narrow
//! [`Node`] trait: the node answers with read models ([`view`]), the pages render them with
//! compiled askama templates (`web/templates`) and texts from editable catalogs
//! (`web/texts/sv.toml`, `web/texts/en.toml`). The node merges [`router`] into its own.

pub mod catalog;
pub mod locale;
pub mod page;
pub mod view;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub use catalog::Lang;
pub use view::Node;

/// Path of the one stylesheet (served by the node: no CDN).
pub const STYLESHEET: &str = "/static/samverka.css";

/// The pages, over `node`. Unknown paths are left to the caller (see [`page::not_found`]), so
/// the node can keep its API's own answer for unknown API paths.
pub fn router<N: Node>(node: Arc<N>) -> Router {
    Router::new()
        .route("/", get(page::overview::<N>))
        .route("/arenden", get(page::matters::<N>))
        .route("/arenden/{id}", get(page::matter::<N>))
        .route("/medlemmar", get(page::members::<N>))
        .route("/planer", get(page::plans::plans::<N>))
        .route("/planer/{id}", get(page::plans::plan::<N>))
        .route("/fakturaunderlag/{year}", get(page::plans::invoice::<N>))
        .route("/noden", get(page::node_state::<N>))
        .route("/tillganglighet", get(page::accessibility::<N>))
        .route(STYLESHEET, get(stylesheet))
        .with_state(node)
}

/// The 404 page for any path the router does not serve, as a router of its own (for a
/// fallback).
pub fn not_found<N: Node>(node: Arc<N>) -> Router {
    Router::new().fallback(page::not_found::<N>).with_state(node)
}

/// Every page path, for tests and the browser check (`{id}` stands for a matter id).
pub const PAGES: [&str; 6] = ["/", "/arenden", "/arenden/{id}", "/medlemmar", "/noden", "/tillganglighet"];

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/samverka.css"),
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
