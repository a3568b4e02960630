//! Notes the node itself publishes (an operator endpoint): free text signed with the node key.

use axum::extract::State as S;
use axum::response::Response;
use samverka_protocol::encoding::MAX_TEXT_BYTES;
use samverka_protocol::Kind;
use serde::Deserialize;

use super::extract::{Json, Operator};
use super::openapi as doc;
use super::records::{outcome_response, refresh_stored};
use super::{Error, State};
use crate::ledger::Outcome;
use crate::metrics::Source;

/// A note to publish.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoteBody {
    #[schema(min_length = 1, max_length = 65536)]
    text: String,
}

/// `POST /api/v1/notes` with `{"text": "..."}` and the operator token: the node authors a note.
#[utoipa::path(
    post,
    path = "/api/v1/notes",
    operation_id = "publishNote",
    tag = "operator",
    summary = "The node authors a note signed with its node key (operator only).",
    request_body = inline(NoteBody),
    responses(
        (status = 201, description = "Stored.", body = doc::IngestOutcome),
        doc::BadInput,
        doc::WriteFailures,
        doc::OperatorRefusals,
        doc::UploadRefusals,
    ),
    security(("operatorToken" = [])),
)]
pub(super) async fn publish(_: Operator, S(state): S<State>, Json(body): Json<NoteBody>) -> Result<Response, Error> {
    if body.text.trim().is_empty() {
        return Err(Error::bad_request("empty_note", "`text` is empty: a note needs some text"));
    }
    if body.text.len() > MAX_TEXT_BYTES {
        return Err(Error::bad_request(
            "note_too_long",
            format!("`text` is {} bytes; a note is at most {MAX_TEXT_BYTES} bytes", body.text.len()),
        ));
    }
    let record = state
        .blocking(move |s| {
            let now = jiff::Timestamp::now().as_millisecond();
            s.ledger.author(&s.node_key, Kind::Note, body.text.into_bytes(), now).map_err(|e| {
                if e.is_offence() {
                    s.metrics.rejection(e.code());
                }
                match e {
                    crate::ledger::Error::Rejected(r @ samverka_protocol::Rejection::UnknownAuthor { .. }) => {
                        Error::Rejected {
                            code: r.code(),
                            message: format!(
                                "{r}: this node's key must be certified as a node key of its member \
                                 (a roster change) before the node can publish"
                            ),
                        }
                    }
                    e => Error::ingest(e, Some(Kind::Note)),
                }
            })
        })
        .await?;
    state.metrics.record_ingested(Source::Local);
    refresh_stored(&state);
    tracing::info!(record = %record.id(), "the node published a note");
    Ok(outcome_response(&Outcome::Stored(record.id())))
}
