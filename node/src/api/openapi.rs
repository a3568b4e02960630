//! The API's OpenAPI 3.1 document, derived from the code: each handler's `#[utoipa::path]`, the
//! body types in [`shapes`], the shared parameters and error responses here. Served at
//! `GET /api/v1/openapi.json` (built once, on first use) and browsable at `/api/v1/docs/` with
//! Swagger UI, whose files are compiled into the binary (`utoipa-swagger-ui`, `vendored`): the
//! page loads nothing from elsewhere.

pub mod shapes;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response as ResponseDoc};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

pub use shapes::*;

use super::error::ErrorBody;
use super::{agreements, governance, needs, notes, outages, plans, proposals, records, roster, status, support};

/// Where the browsable page lives.
pub const DOCS_PATH: &str = "/api/v1/docs";

/// The document's own path.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The document: every path below must be a route of `super::routes()` and the reverse (the test
/// `openapi_document_lists_exactly_the_routes_served`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Samverka node API",
        version = "1.0.0",
        description = "The HTTP API of a samverka node: the federation's signed shared records (charter, roster, notes, votes, plans, ...), read and submitted. Every error is a JSON object {\"error\", \"code\"}: 4xx for input (nothing stored), 5xx only when the node's store fails. Request bodies are limited to 2 * 1 MiB + 64 KiB. Unknown routes give 404 `unknown_route`, wrong methods 405 `method_not_allowed`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    tags(
        (name = "node"),
        (name = "roster"),
        (name = "records"),
        (name = "governance", description = "Matters, the diarium, votes, closings, decisions, meetings, minutes and papers. Signed records are submitted with POST /api/v1/records."),
        (name = "operator", description = "Act as the node itself; require the operator token."),
        (name = "outages", description = "Outage notices (driftstörning, planerat underhåll), their updates and all-clear, and each member's acknowledgement. Signed notices and acknowledgements are submitted with POST /api/v1/records."),
        (name = "needs", description = "The shared needs backlog (behov): each need's state, path, the members that need it and the federation's priority order. Needs, endorsements, rankings and steps are submitted with POST /api/v1/records."),
        (name = "support", description = "Support cases (ärenden) per line with their SLA clocks, breaches per member, category and month, and the federation's SLA tables with their adoption (docs/support.md). Cases, their events and SLA tables are submitted with POST /api/v1/records."),
        (name = "plans", description = "Förvaltningsplaner, utvecklingsplaner, budgets, their receipts and adoption, cost keys and the invoice basis. Signed plans are submitted with POST /api/v1/records."),
    ),
    paths(
        status::healthz, status::readyz, status::metrics, status::openapi, status::status, status::peers,
        roster::charter, roster::current, roster::history, roster::version, roster::members, roster::member,
        proposals::list, proposals::submit, proposals::get, proposals::countersign,
        records::list, records::submit, records::check, records::get, records::receipts, records::by_author,
        records::equivocators,
        notes::publish,
        governance::matters, governance::decisions, governance::matter, governance::decision_pdf,
        governance::decision_csv, governance::meetings, governance::minutes, governance::minutes_pdf,
        governance::minutes_csv, governance::paper, governance::head, governance::register,
        governance::close, governance::set_local_dnr, governance::upload_paper,
        plans::plans, plans::import_check, plans::plan, plans::plan_csv, plans::plan_pdf, plans::plan_xlsx,
        plans::cost_keys, plans::invoice_basis, plans::invoice_csv, plans::invoice_xlsx, plans::invoice_pdf,
        agreements::list, agreements::one, agreements::pdf, agreements::calendar,
        outages::list, outages::one,
        needs::list, needs::one,
        support::list, support::one, support::breaches, support::sla,
    ),
    components(schemas(ErrorBody, KindName, Role, records::RecordFormat)),
    modifiers(&OperatorToken),
)]
struct Document;

/// The `operatorToken` security scheme the operator endpoints name.
struct OperatorToken;

impl Modify for OperatorToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The node's `api_token` from its configuration."))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("operatorToken", SecurityScheme::Http(scheme));
    }
}

/// The document, as served: built and serialised once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| Document::openapi().to_json().expect("the OpenAPI document serialises"))
}

/// The browsable page: `/api/v1/docs` → `/api/v1/docs/`, Swagger UI's files under it.
pub(super) fn docs_router() -> Router {
    let config = Arc::new(utoipa_swagger_ui::Config::new([DOCUMENT_PATH]).try_it_out_enabled(false));
    let index = {
        let config = config.clone();
        move || docs_file(String::new(), config)
    };
    Router::new()
        .route(DOCS_PATH, get(|| async { Redirect::permanent(&format!("{DOCS_PATH}/")) }))
        .route(&format!("{DOCS_PATH}/"), get(move || std::future::ready(index())))
        .route(
            &format!("{DOCS_PATH}/{{*file}}"),
            get(move |Path(file): Path<String>| std::future::ready(docs_file(file, config.clone()))),
        )
}

/// The page's own policy: the node's, plus Swagger UI's inline styles and `data:` images. Its
/// scripts are files from the same origin, like the web pages'.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

fn docs_file(file: String, config: Arc<utoipa_swagger_ui::Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(file)) => {
            let mut response = ([(header::CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response();
            if file.gzpipped {
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
            response
        }
        Ok(None) => super::Error::not_found("unknown_route", format!("there is no file {file:?} in the API's page"))
            .into_response(),
        Err(e) => super::Error::Internal(format!("the API page could not be served: {e}")).into_response(),
    }
}

// ---------------------------------------------------------------- path parameters

/// `{id}`: a record id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "a description for the document: the handlers take the path as a string")]
pub struct RecordIdPath {
    /// Record id.
    #[param(pattern = "^[0-9a-f]{64}$")]
    id: String,
}

/// `{id}`: a proposal's record id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "a description for the document: the handlers take the path as a string")]
pub struct ProposalIdPath {
    /// The proposal's record id.
    #[param(pattern = "^[0-9a-f]{64}$")]
    id: String,
}

/// `{key}`: a public key.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "a description for the document: the handlers take the path as a string")]
pub struct KeyPath {
    /// Public key.
    #[param(pattern = "^[0-9a-f]{64}$")]
    key: String,
}

/// `{key}`: an author's public key.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "a description for the document: the handlers take the path as a string")]
pub struct AuthorPath {
    /// The author's public key.
    #[param(pattern = "^[0-9a-f]{64}$")]
    key: String,
}

/// `{year}`: a year.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "a description for the document: the handlers take the path as a string")]
pub struct YearPath {
    /// The year, e.g. 2027.
    #[param(pattern = "^[0-9]{4}$")]
    year: String,
}

// ---------------------------------------------------------------- error responses
//
// Each a response with the `{"error", "code"}` body, described once and named in the
// `responses(...)` of every handler that can give it.

macro_rules! error_responses {
    ($($(#[doc = $doc:literal])+ $name:ident = $status:literal;)+) => {
        $(
            $(#[doc = $doc])+
            #[derive(IntoResponses)]
            #[response(status = $status)]
            #[allow(dead_code, reason = "a description for the document, never built")]
            pub struct $name(ErrorBody);
        )+
    };
}

error_responses! {
    /// Malformed input: JSON, hex, id, key, cursor, limit, kind or query (`bad_json`, `bad_hex`, `bad_id`, `bad_key`, `bad_cursor`, `bad_limit`, `unknown_kind`, `bad_query`, `bad_path`, `malformed`).
    BadInput = 400;
    /// Malformed input (`bad_id`).
    BadId = 400;
    /// A malformed cursor or limit, or an unknown query parameter (`bad_cursor`, `bad_limit`, `bad_query`).
    BadPage = 400;
    /// Malformed input (`bad_id`, `bad_path`, `bad_key`, `bad_hash`).
    BadPath = 400;
    /// Malformed id or body, or a local diarienummer that is empty, too long or not one line (`bad_id`, `bad_json`, `bad_local_dnr`).
    BadLocalDnr = 400;
    /// Empty, too large or unreadable body (`empty_paper`, `paper_too_large`); or the upload could not be read to its end (`paper_unreadable`).
    BadPaper = 400;
    /// Not a plan in the import format (`bad_import`, `not_utf8`, `import_too_large`).
    BadImport = 400;
    /// Not a year (`bad_year`).
    BadYear = 400;
    /// No operator token was sent (`unauthorized`).
    Unauthorized = 401;
    /// The operator token is wrong (`bad_token`) or operator endpoints are disabled (`operator_disabled`).
    Forbidden = 403;
    /// Not found (`unknown_record`, `unknown_member`, `unknown_proposal`, `unknown_roster_version`).
    NotFound = 404;
    /// No matter with that id is held (`unknown_matter`).
    UnknownMatter = 404;
    /// No minutes with that id are held (`unknown_minutes`).
    UnknownMinutes = 404;
    /// No paper with that hash is stored here (`unknown_paper`).
    UnknownPaper = 404;
    /// No plan with that id is held (`unknown_plan`).
    UnknownPlan = 404;
    /// No agreement with that id is held (`unknown_agreement`).
    UnknownAgreement = 404;
    /// No outage notice with that id is held (`unknown_outage`).
    UnknownOutage = 404;
    /// `active` is not `true` or `false`, or an unknown query parameter (`bad_query`).
    BadActive = 400;
    /// No need with that id is held (`unknown_need`).
    UnknownNeed = 404;
    /// No agreement with that id is held (`unknown_agreement`), or it has no notice deadline (`no_deadline`).
    NoDeadline = 404;
    /// No support case with that id is held (`unknown_support_case`).
    UnknownSupportCase = 404;
    /// `line` and `member` do not go together, `at` is not a number, or an unknown query parameter
    /// (`bad_query`); `limit` is outside 1..=1000 (`bad_limit`).
    BadLine = 400;
    /// `on` is not a date (`bad_date`).
    BadDay = 400;
    /// `state` or `area` is not one the backlog knows (`bad_state`, `bad_area`).
    BadNeedFilter = 400;
    /// Malformed input (`bad_id`, `bad_date`).
    BadIdOrDay = 400;
    /// No budget or no cost key for the year is fastställd (`no_adopted_budget`, `no_adopted_key`).
    NoAdoptedBasis = 404;
    /// Conflicts with what this node holds (`wrong_federation`, `chain_mismatch`), or its author's previous record has not reached this node (`missing_predecessor`: the message names that record; send it first).
    ChainConflict = 409;
    /// Would conflict with what this node holds (`wrong_federation`, `chain_mismatch`), or its author's previous record has not reached this node (`missing_predecessor`: the message names that record; send it first).
    WouldConflict = 409;
    /// Conflicts with what this node holds (`wrong_federation`, `chain_mismatch`, `too_many_proposals`).
    ProposalConflict = 409;
    /// The matter already has a diarienummer (`already_registered`).
    AlreadyRegistered = 409;
    /// A closing of the matter by this node is already held (`already_closed`), or this node's key is not the closer the matter names (`not_designated_closer`).
    AlreadyClosed = 409;
    /// The adopted budget cannot be split by the adopted key (the cost rule's code, e.g. `amount_too_large`).
    Unsplittable = 409;
    /// The body is larger than the limit (`payload_too_large`).
    TooLarge = 413;
    /// The content type is not accepted (`unsupported_media_type`).
    NotARecordType = 415;
    /// The body was not sent as `application/json` (`unsupported_media_type`).
    NotJson = 415;
    /// Not `application/octet-stream` (`unsupported_media_type`).
    NotOctetStream = 415;
    /// The body is not `text/plain` or `application/toml` (`unsupported_media_type`).
    NotToml = 415;
    /// The record broke a protocol rule; `code` is the rejection (e.g. `bad_signature`, `unknown_author`, `revoked_key`, `threshold_not_met`, `bad_countersignature`, `not_a_roster_update`). Nothing was stored.
    Rejected = 422;
    /// Submitting it would be refused by a protocol rule; `code` is the rejection. Nothing was stored.
    WouldBeRejected = 422;
    /// The node may not author a diarium record (`not_authorised`, `unknown_author`: only the host member's node registers), or the record broke another rule.
    RegisterRefused = 422;
    /// The node may not author a closing (`not_authorised`, `unknown_author`: only the host member's node closes), or the closing broke a rule of docs/governance.md §2.6 (its code, e.g. `receipted_vote_omitted`).
    CloseRefused = 422;
    /// No held record names this content hash and size (`unreferenced_paper`).
    UnreferencedPaper = 422;
    /// Too many writes from this client (`rate_limited`): try again after `Retry-After` seconds.
    RateLimited = 429;
    /// Too many records from this client wait for records they depend on (`parking_full`); try again after `Retry-After` seconds.
    ParkingFull = 429;
    /// Too many uploads are being received at once (`uploads_busy`); try again after `Retry-After` seconds.
    UploadsBusy = 429;
    /// The node's store failed (`internal`); details are in the node's log.
    Internal = 500;
    /// This node has no federation yet (`no_federation`).
    NoFederation = 503;
    /// Not ready: `no_federation` or `store_unavailable`, with the reason; or the store cannot write (`store_disk_full`: the disk is full; `store_failed`: an earlier write failed — see the node's log).
    NotReady = 503;
    /// The node's disk is full (`disk_full`): nothing was stored; try again after `Retry-After` seconds, once the operator has freed space.
    DiskFull = 507;
}

/// Error responses that come together, named once for the handlers that give them all.
macro_rules! error_groups {
    ($($(#[doc = $doc:literal])+ $name:ident = [$($part:ident),+];)+) => {
        $(
            $(#[doc = $doc])+
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<ResponseDoc>> {
                    let mut all = BTreeMap::new();
                    $(all.extend(<$part as IntoResponses>::responses());)+
                    all
                }
            }
        )+
    };
}

error_groups! {
    /// A read that needs the federation and the store: 500 and 503.
    ReadFailures = [Internal, NoFederation];
    /// A write: 429 (rate), 500, 503 and 507.
    WriteFailures = [RateLimited, Internal, NoFederation, DiskFull];
    /// An operator endpoint without the right token: 401 and 403.
    OperatorRefusals = [Unauthorized, Forbidden];
    /// A record upload refused before or by the rules: 413, 415 and 422.
    UploadRefusals = [TooLarge, NotARecordType, Rejected];
}
