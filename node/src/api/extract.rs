//! Request extractors whose refusals are [`Error`]s, so every malformed request gets the API's
//! JSON error body rather than axum's plain-text one; and the parsers for ids, keys and cursors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use samverka_protocol::{PublicKey, RecordId, Signature};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Error, State};
use crate::storage::Cursor;

/// `axum::Json` with JSON errors; also a JSON response.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Error::UnsupportedMediaType {
                message: "send the body as JSON with `Content-Type: application/json`".into(),
            }),
            Err(JsonRejection::BytesRejection(r)) => Err(body_error(r.status(), r.body_text())),
            Err(r) => Err(Error::bad_request("bad_json", format!("the JSON body is invalid: {}", r.body_text()))),
        }
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with JSON errors.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|r| Error::bad_request("bad_path", format!("the path is invalid: {}", r.body_text())))
    }
}

/// `axum::extract::Query` with JSON errors.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|r| Error::bad_request("bad_query", format!("the query string is invalid: {}", r.body_text())))
    }
}

fn body_error(status: StatusCode, text: String) -> Error {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge
    } else {
        Error::bad_request("unreadable_body", format!("the request body could not be read: {text}"))
    }
}

/// A record's canonical bytes, sent either raw (`application/octet-stream`) or as JSON
/// `{"record": "<hex>"}`.
pub struct RecordUpload(pub Vec<u8>);

/// A record sent as JSON.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RecordUpload)]
pub(super) struct HexRecord {
    /// The record's canonical bytes in hex: an even number of hex digits, 1 byte to 1 MiB
    /// (`MAX_RECORD_BYTES`). Hex that is not a record's canonical encoding is refused with 400
    /// `malformed`.
    #[schema(min_length = 2, max_length = 2097152, pattern = "^([0-9a-fA-F]{2})+$")]
    record: String,
}

impl<S: Send + Sync> FromRequest<S> for RecordUpload {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/octet-stream" => {
                let bytes = Bytes::from_request(req, state).await.map_err(|r| body_error(r.status(), r.body_text()))?;
                Ok(RecordUpload(bytes.to_vec()))
            }
            "application/json" => {
                let Json(HexRecord { record }) = Json::from_request(req, state).await?;
                let bytes = hex::decode(record.trim()).map_err(|e| {
                    Error::bad_request("bad_hex", format!("`record` must be the record's canonical bytes in hex: {e}"))
                })?;
                Ok(RecordUpload(bytes))
            }
            _ => Err(Error::UnsupportedMediaType {
                message: format!(
                    "content type {content_type:?} is not accepted: send the record's canonical bytes as \
                     `application/octet-stream`, or `application/json` as {{\"record\": \"<hex>\"}}"
                ),
            }),
        }
    }
}

/// Proof that the request carries the operator token. Endpoints taking it act as the node itself.
pub struct Operator;

impl FromRequestParts<State> for Operator {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Error> {
        // An empty token counts as none: `Bearer ` must never unlock the node.
        let Some(expected) = state.token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(Error::Forbidden {
                code: "operator_disabled",
                message: "operator endpoints are disabled on this node: set `api_token` in its configuration".into(),
            });
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized)?;
        if tokens_match(given.trim(), expected) {
            Ok(Operator)
        } else {
            Err(Error::Forbidden { code: "bad_token", message: "the operator token is wrong".into() })
        }
    }
}

/// Compares tokens in time independent of where they differ and of their lengths: both are hashed
/// first, and the digests compared without an early exit.
fn tokens_match(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    let diff = a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Parses a record id from 64 hex digits.
pub fn record_id(s: &str) -> Result<RecordId, Error> {
    RecordId::from_hex(s)
        .map_err(|_| Error::bad_request("bad_id", format!("{s:?} is not a record id: expected 64 hex digits")))
}

/// Parses a public key from 64 hex digits.
pub fn public_key(s: &str) -> Result<PublicKey, Error> {
    PublicKey::from_hex(s)
        .map_err(|_| Error::bad_request("bad_key", format!("{s:?} is not a public key: expected 64 hex digits")))
}

/// Parses a signature from 128 hex digits.
pub fn signature(s: &str) -> Result<Signature, Error> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s, &mut out)
        .map_err(|_| Error::bad_request("bad_signature_hex", "`signature` must be 128 hex digits (64 bytes)"))?;
    Ok(Signature(out))
}

/// The opaque paging cursor handed out as `next_cursor`.
pub fn encode_cursor(cursor: Cursor) -> String {
    hex::encode(cursor.to_be_bytes())
}

/// Parses a cursor from [`encode_cursor`].
pub fn decode_cursor(s: &str) -> Result<Cursor, Error> {
    let mut out = [0u8; 8];
    hex::decode_to_slice(s, &mut out).map_err(|_| {
        Error::bad_request("bad_cursor", "the cursor is not one this node handed out: pass `next_cursor` unchanged")
    })?;
    Ok(Cursor::from_be_bytes(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(tokens_match("s3cret", "s3cret"));
        assert!(!tokens_match("s3cret", "s3cre"));
        assert!(!tokens_match("", "s3cret"));
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(42)).expect("valid"), 42);
        assert!(decode_cursor("zz").is_err());
    }
}
