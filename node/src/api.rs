//! The node's HTTP API (axum): JSON under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json` (derived from the code with utoipa, browsable at `/api/v1/docs/`),
//! plus `/healthz`, `/readyz` and `/metrics`; the web pages (`samverka_web`, over
//! [`crate::site::Site`]) are merged in at `/`.
//!
//! Reads come from the ledger; every write goes through the ledger's one ingest path, so the API
//! can store nothing the network would refuse. Endpoints that act as the node itself (authoring
//! with the node key) require the operator token. The HTTP API is a compatibility boundary:
//! change it by adding.
//!
//! To add a route:
//! 1. write the handler in its domain module and put `#[utoipa::path(get|post, path = "…",
//!    operation_id, tag, summary, params(…), request_body, responses(…))]` on it (copy a
//!    neighbour's): success bodies are types in `openapi::shapes` (add one there) or a request
//!    type deriving `ToSchema`; errors are the shared responses in `openapi` (`doc::BadId`,
//!    `doc::NotFound`, … and the groups `doc::ReadFailures`, `doc::WriteFailures` — every POST —,
//!    `doc::OperatorRefusals`, `doc::UploadRefusals`);
//! 2. register it in `routes()` (or the module's `Routes` extension) with `.get`/`.post`;
//! 3. list it in `paths(…)` of `openapi::Document`. The test
//!    `openapi_document_lists_exactly_the_routes_served` fails until route and document agree;
//!    `scripts/schemathesis.sh` checks the answers against the document.

mod agreements;
mod error;
mod extract;
mod governance;
pub mod guard;
mod needs;
mod notes;
mod openapi;
mod outages;
mod plans;
mod proposals;
mod records;
mod roster;
pub mod server;
mod status;
mod support;
pub mod tls;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use samverka_protocol::encoding::MAX_RECORD_BYTES;
use samverka_protocol::{MemberId, PublicKey, SigningKey};
use tower::ServiceExt;
use tower_http::trace::TraceLayer;

pub use error::Error;
pub use openapi::document as openapi_document;

use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::network;

/// Largest request body accepted: a record of [`MAX_RECORD_BYTES`] sent as hex inside JSON is
/// twice its size, plus room for the JSON around it.
pub const MAX_REQUEST_BYTES: usize = 2 * MAX_RECORD_BYTES + 64 * 1024;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct State {
    /// The node's verified records and roster.
    pub ledger: Arc<Ledger>,
    /// The operator token; `None` disables the operator endpoints.
    pub token: Option<String>,
    /// The node's key, used by operator endpoints to author records as the node.
    pub node_key: SigningKey,
    /// The network task, when one runs (peers, replication receipts).
    pub network: Option<network::Handle>,
    /// The node's metrics.
    pub metrics: Arc<Metrics>,
    /// When the node started (for `uptime_seconds`).
    pub started: Instant,
    /// Host allow-list and write limits, checked before every handler.
    pub guard: Arc<guard::Guard>,
    /// Whether the API is served over https by the node itself ([`tls`]).
    pub tls: bool,
    /// Serialises changes to roster proposals (read, merge, write).
    proposals: Arc<Mutex<()>>,
}

impl State {
    /// State for a node with `node_key`, no operator token and no network.
    pub fn new(ledger: Arc<Ledger>, node_key: SigningKey, metrics: Arc<Metrics>) -> State {
        State {
            ledger,
            token: None,
            node_key,
            network: None,
            metrics,
            started: Instant::now(),
            guard: Arc::new(guard::Guard::default()),
            tls: false,
            proposals: Arc::new(Mutex::new(())),
        }
    }

    /// Enables the operator endpoints with `token` (`None` keeps them disabled).
    pub fn with_token(mut self, token: Option<String>) -> State {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// Attaches the network task's handle.
    pub fn with_network(mut self, network: network::Handle) -> State {
        self.network = Some(network);
        self
    }

    /// The node's public key.
    pub fn node_public(&self) -> PublicKey {
        self.node_key.public()
    }

    /// The member whose certified node key this node holds, read from the current roster (so it
    /// follows roster changes rather than being fixed at start).
    pub fn member(&self) -> Option<MemberId> {
        let chain = self.ledger.chain()?;
        let grant = chain.current().keys.get(&self.node_public())?.clone();
        Some(grant.member)
    }

    /// Runs blocking ledger work (verification, fsync) off the async workers.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&State) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| Error::Internal(format!("a blocking task failed: {e}")))?
    }
}

/// The router: every route of the API, with body limit, tracing and JSON fallbacks.
pub fn router(state: State) -> Router {
    let site = samverka_web::Web::kept(
        Arc::new(crate::site::Site::new(state.ledger.clone(), state.network.clone(), state.node_key.clone())),
        Box::new(crate::site::KeptSessions(state.ledger.clone())),
    );
    let not_found = samverka_web::not_found(site.clone());
    let guard = state.guard.clone();
    routes()
        .router
        .with_state(state)
        .merge(openapi::docs_router())
        .merge(samverka_web::router(site))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(move |request: Request| unknown_route(request, not_found))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(server::BODY_TIMEOUT))
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
                )
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _: &tracing::Span| {
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1e3, "served");
                }),
        )
}

/// Every `(method, path)` the router serves, in axum's path syntax (the OpenAPI document must
/// list exactly these).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes().table
}

struct Routes {
    router: Router<State>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn get<H: Handler<T, State>, T: 'static>(mut self, path: &'static str, handler: H) -> Routes {
        self.router = self.router.route(path, get(handler));
        self.table.push(("get", path));
        self
    }

    fn post<H: Handler<T, State>, T: 'static>(mut self, path: &'static str, handler: H) -> Routes {
        self.router = self.router.route(path, post(handler));
        self.table.push(("post", path));
        self
    }
}

fn routes() -> Routes {
    Routes { router: Router::new(), table: Vec::new() }
        .get("/healthz", status::healthz)
        .get("/readyz", status::readyz)
        .get("/metrics", status::metrics)
        .get("/api/v1/openapi.json", status::openapi)
        .get("/api/v1/status", status::status)
        .get("/api/v1/peers", status::peers)
        .get("/api/v1/charter", roster::charter)
        .get("/api/v1/roster", roster::current)
        .get("/api/v1/roster/history", roster::history)
        .get("/api/v1/roster/versions/{version}", roster::version)
        .get("/api/v1/members", roster::members)
        .get("/api/v1/members/{id}", roster::member)
        .get("/api/v1/roster/proposals", proposals::list)
        .post("/api/v1/roster/proposals", proposals::submit)
        .get("/api/v1/roster/proposals/{id}", proposals::get)
        .post("/api/v1/roster/proposals/{id}/countersignatures", proposals::countersign)
        .get("/api/v1/records", records::list)
        .post("/api/v1/records", records::submit)
        .post("/api/v1/records/check", records::check)
        .get("/api/v1/records/{id}", records::get)
        .get("/api/v1/records/{id}/receipts", records::receipts)
        .get("/api/v1/authors/{key}/records", records::by_author)
        .get("/api/v1/equivocators", records::equivocators)
        .post("/api/v1/notes", notes::publish)
        .governance()
        .plans()
        .agreements()
        .outages()
        .needs()
        .support()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Error {
    Error::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// An unknown API path is a JSON 404; any other unknown path is the web pages' 404 page.
async fn unknown_route(request: Request, pages: Router) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        let message = format!("there is no endpoint at {path}; see /api/v1/openapi.json");
        return Error::not_found("unknown_route", message).into_response();
    }
    match pages.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
