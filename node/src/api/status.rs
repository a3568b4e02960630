//! The node itself: liveness, readiness, status, peers, metrics and the API's own description.

use axum::extract::State as S;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::extract::Json;
use super::openapi as doc;
use super::records::{receipt, refresh_stored};
use super::{Error, State};

/// `GET /healthz`: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "node",
    summary = "The process is alive.",
    responses(
        (status = 200, description = "Alive.", body = inline(doc::Alive)),
    ),
)]
pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: the store answers and takes writes (no failed write, room on its disk), and the
/// node has a federation. Not ready while the disk is full; ready again by itself once space is
/// freed.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "node",
    summary = "The store answers and the node has a federation.",
    responses(
        (status = 200, description = "Ready.", body = inline(doc::Ready)),
        doc::NotReady,
    ),
)]
pub(super) async fn readyz(S(state): S<State>) -> Response {
    if let Err(e) = state.ledger.store().count() {
        tracing::error!(error = %e, "readiness: the store does not answer");
        let body = json!({ "error": "the store does not answer; the operator should check the node's log", "code": "store_unavailable" });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    if let Err(e) = state.ledger.store().writable() {
        tracing::warn!(error = %e, "readiness: the store cannot take writes");
        let body = json!({ "error": e.to_string(), "code": e.code() });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    match state.ledger.federation() {
        Some(id) => Json(json!({ "status": "ready", "federation": id.to_hex() })).into_response(),
        None => Error::NoFederation.into_response(),
    }
}

/// `GET /api/v1/status`
#[utoipa::path(
    get,
    path = "/api/v1/status",
    operation_id = "status",
    tag = "node",
    summary = "The node's status.",
    responses(
        (status = 200, description = "Status.", body = doc::Status),
        doc::Internal,
    ),
)]
pub(super) async fn status(S(state): S<State>) -> Result<Json<Value>, Error> {
    let store = state.ledger.store();
    let chain = state.ledger.chain();
    let peers = match &state.network {
        Some(n) => n.peers().await.len(),
        None => 0,
    };
    let own = store.head(&state.node_public())?.map(|seq| store.at_position(&state.node_public(), seq)).transpose()?;
    let latest_own_record = match own.and_then(|ids| ids.first().copied()) {
        Some(id) => receipt(&state, &id).await,
        None => Value::Null,
    };
    Ok(Json(json!({
        "latest_own_record": latest_own_record,
        "federation_id": chain.as_ref().map(|c| c.federation().to_hex()),
        "federation_name": chain.as_ref().map(|c| c.current().name.clone()),
        "roster_version": chain.as_ref().map(|c| c.current().version),
        "records": store.count()?,
        "parked": state.ledger.parked(),
        "proposals": store.proposals()?.len(),
        "peers": peers,
        "node_key": state.node_public().to_hex(),
        "member": state.member(),
        "equivocators": store.equivocators()?.len(),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "tls": state.tls,
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

/// `GET /api/v1/peers`
#[utoipa::path(
    get,
    path = "/api/v1/peers",
    operation_id = "peers",
    tag = "node",
    summary = "Peers connected now (empty when the network is not running).",
    responses(
        (status = 200, description = "Peers.", body = inline(doc::Peers)),
    ),
)]
pub(super) async fn peers(S(state): S<State>) -> Json<Value> {
    let peers = match &state.network {
        Some(n) => n.peers().await,
        None => Vec::new(),
    };
    Json(json!({ "peers": peers }))
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "node",
    summary = "Prometheus metrics in the OpenMetrics text format.",
    responses(
        (status = 200, description = "samverka_records_ingested_total{source}, samverka_rejections_total{reason}, samverka_peers, samverka_records_stored, and the network's: samverka_p2p_sync_lag, samverka_p2p_records_in_total{source}, samverka_p2p_records_out_total{path}, samverka_p2p_rejections_total{reason} and libp2p's.", body = String, content_type = "application/openmetrics-text"),
    ),
)]
pub(super) async fn metrics(S(state): S<State>) -> Response {
    refresh_stored(&state);
    if let Some(n) = &state.network {
        state.metrics.peers.set(i64::try_from(n.peers().await.len()).unwrap_or(i64::MAX));
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.encode()).into_response()
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "node",
    summary = "This document.",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document.", body = inline(doc::OpenApiDocument)),
    ),
)]
pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc::document()).into_response()
}
