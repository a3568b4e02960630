//! The API's one error type: every refusal is `{"error": "...", "code": "..."}` with an explicit
//! status. Bad input is always 4xx; only a failing disk is 5xx, and its details go to the log.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use samverka_protocol::{Kind, Rejection};

use crate::ledger;

/// Seconds a client told 429 waits before trying again.
const RETRY_AFTER_SECONDS: &str = "10";

/// The body of every refusal: what is wrong and a stable code.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What is wrong, for a person to act on.
    error: String,
    /// A stable machine-readable code.
    code: &'static str,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed (JSON, hex, query, path, cursor…). 400.
    #[error("{message}")]
    BadRequest {
        /// Stable code, e.g. `bad_hex`.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No credentials were given for an operator endpoint. 401.
    #[error("this endpoint acts as the node itself: send `Authorization: Bearer <token>` with the operator token")]
    Unauthorized,
    /// Credentials were given but are wrong, or operator endpoints are disabled. 403.
    #[error("{message}")]
    Forbidden {
        /// Stable code: `bad_token` or `operator_disabled`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The thing asked for does not exist. 404.
    #[error("{message}")]
    NotFound {
        /// Stable code, e.g. `unknown_record`.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// The request names a host this node does not answer for (DNS rebinding guard). 421.
    #[error("this node does not answer for host {0:?}: if people reach it by that name, add it to api_hosts in the node's config")]
    UnknownHost(String),
    /// The method is not allowed on this path. 405.
    #[error("method {method} is not allowed on {path}; see /api/v1/openapi.json")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
    },
    /// The request contradicts what this node holds (another federation, another chain). 409.
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `wrong_federation`.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// Too much from this client is waiting already; try again later. 429 with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// Stable code, e.g. `parking_full`.
        code: &'static str,
        /// What to do.
        message: String,
    },
    /// The body is larger than [`super::MAX_REQUEST_BYTES`]. 413.
    #[error("the request body is larger than the limit of {} bytes", super::MAX_REQUEST_BYTES)]
    PayloadTooLarge,
    /// The body's content type is not one the endpoint reads. 415.
    #[error("{message}")]
    UnsupportedMediaType {
        /// Which content types are accepted.
        message: String,
    },
    /// The record broke a protocol rule; nothing was stored. 422 with the rule's code.
    #[error("{message}")]
    Rejected {
        /// The rejection's stable code ([`Rejection::code`]).
        code: &'static str,
        /// The rejection, with a hint where one helps.
        message: String,
    },
    /// This node has no federation yet. 503.
    #[error("this node has no federation yet: initialise it with `samverka init --charter FILE`")]
    NoFederation,
    /// The node's disk is full. 507; nothing was stored, and writes resume once space is freed.
    #[error("{0}")]
    InsufficientStorage(String),
    /// The store failed. 500; the detail is logged, not sent.
    #[error("the node could not read or write its store; the operator should check the node's log")]
    Internal(String),
}

impl Error {
    /// A 400 with `code` and `message`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::BadRequest { code, message: message.into() }
    }

    /// A 404 with `code` and `message`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Error {
        Error::NotFound { code, message: message.into() }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::UnknownHost(_) => StatusCode::MISDIRECTED_REQUEST,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NoFederation => StatusCode::SERVICE_UNAVAILABLE,
            Error::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code sent as `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest { code, .. }
            | Error::Forbidden { code, .. }
            | Error::NotFound { code, .. }
            | Error::Conflict { code, .. }
            | Error::TooManyRequests { code, .. }
            | Error::Rejected { code, .. } => code,
            Error::Unauthorized => "unauthorized",
            Error::MethodNotAllowed { .. } => "method_not_allowed",
            Error::UnknownHost(_) => "unknown_host",
            Error::PayloadTooLarge => "payload_too_large",
            Error::UnsupportedMediaType { .. } => "unsupported_media_type",
            Error::NoFederation => "no_federation",
            Error::InsufficientStorage(_) => "disk_full",
            Error::Internal(_) => "internal",
        }
    }

    /// A protocol rejection, with a hint for the cases a person can act on.
    pub fn rejection(rejection: &Rejection, kind: Option<Kind>) -> Error {
        let code = rejection.code();
        let message = match rejection {
            Rejection::ThresholdNotMet { .. } if kind == Some(Kind::RosterUpdate) => format!(
                "{rejection}: a roster version that still lacks signatures is a proposal; submit it to \
                 POST /api/v1/roster/proposals and collect the countersignatures there"
            ),
            Rejection::UnknownAuthor { .. } => {
                format!("{rejection}: the author's key must be certified by its member in a roster version first")
            }
            _ => rejection.to_string(),
        };
        match rejection {
            Rejection::Malformed(_) => Error::bad_request(code, message),
            Rejection::WrongFederation { .. } => Error::Conflict { code, message },
            _ => Error::Rejected { code, message },
        }
    }

    /// An ingest failure from the ledger, for a record of `kind`.
    pub fn ingest(error: ledger::Error, kind: Option<Kind>) -> Error {
        match error {
            ledger::Error::Rejected(r) => Error::rejection(&r, kind),
            e @ (ledger::Error::ChainMismatch { .. }
            | ledger::Error::OtherFederation(_)
            | ledger::Error::MissingPredecessor { .. }) => Error::Conflict { code: e.code(), message: e.to_string() },
            e @ ledger::Error::ParkingFull => Error::TooManyRequests { code: e.code(), message: e.to_string() },
            ledger::Error::NoFederation => Error::NoFederation,
            ledger::Error::Storage(e) => Error::from(e),
        }
    }
}

impl From<crate::storage::Error> for Error {
    fn from(e: crate::storage::Error) -> Error {
        match e {
            e @ crate::storage::Error::DiskFull { .. } => {
                tracing::warn!(error = %e, "write refused: the disk is full");
                Error::InsufficientStorage(e.to_string())
            }
            e => Error::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Error::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed on the store");
        } else {
            tracing::debug!(status = status.as_u16(), code = self.code(), reason = %self, "request refused");
        }
        let body = ErrorBody { error: self.to_string(), code: self.code() };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::INSUFFICIENT_STORAGE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        response
    }
}
