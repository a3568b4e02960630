//! A form with files: the new-matter form sends its papers (underlag) as
//! `multipart/form-data`, so a host officer attaches them where they write the matter.
//!
//! Bounds, checked while the body streams and before anything is kept: the whole body at most
//! [`MAX_FORM_BYTES`] (the route's body limit), at most [`MAX_FORM_PAPERS`] files, each at most
//! [`MAX_FORM_PAPER_BYTES`] and not empty, text fields at most [`MAX_FORM_TEXT_BYTES`] together.
//! Only a signed-in host officer's body is read at all, and at most [`MAX_CONCURRENT_FORMS`] at
//! once, so memory held by uploads stays under `MAX_CONCURRENT_FORMS × MAX_FORM_BYTES`. A file
//! input left empty (the browser sends a part with no file name and no bytes) is no paper.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::Form;

use crate::view::Upload;

/// The largest paper one form takes: the node's paper upload limit.
pub const MAX_FORM_PAPER_BYTES: usize = 16 * 1024 * 1024;
/// Papers one form takes.
pub const MAX_FORM_PAPERS: usize = 8;
/// The text fields of one form, together.
pub const MAX_FORM_TEXT_BYTES: usize = 256 * 1024;
/// The whole body of a form with papers: one paper of the largest size and room for the rest.
pub const MAX_FORM_BYTES: usize = MAX_FORM_PAPER_BYTES + 4 * 1024 * 1024;
/// Forms with papers read at once; another one is asked to try again shortly.
pub const MAX_CONCURRENT_FORMS: usize = 2;

static FORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_FORMS);

/// Why a form with papers was not taken: each a catalog key saying what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The body is not a form this page sent (or it broke off).
    Malformed,
    /// More than [`MAX_FORM_PAPERS`] files.
    TooManyPapers,
    /// A file over [`MAX_FORM_PAPER_BYTES`], or the body over [`MAX_FORM_BYTES`].
    PaperTooLarge,
    /// A file with a name and no bytes.
    EmptyPaper,
    /// [`MAX_CONCURRENT_FORMS`] are being read.
    Busy,
}

impl Refused {
    /// The catalog key of the message.
    pub fn key(self) -> &'static str {
        match self {
            Refused::Malformed => "form.malformed",
            Refused::TooManyPapers => "upload.too_many",
            Refused::PaperTooLarge => "upload.too_large",
            Refused::EmptyPaper => "upload.empty",
            Refused::Busy => "upload.busy",
        }
    }
}

/// Reads a posted form: URL-encoded (no files), or `multipart/form-data` with its files. The
/// fields come back as the URL-encoded extractor gives them, for the usual CSRF and origin
/// checks.
pub(crate) async fn read<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<(crate::sign::Posted, Vec<Upload>), Refused> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/form-data") {
        return Ok((Form::<Vec<(String, String)>>::from_request(request, state).await, Vec::new()));
    }
    let _permit = FORMS.try_acquire().map_err(|_| Refused::Busy)?;
    let mut multipart = Multipart::from_request(request, state).await.map_err(|_| Refused::Malformed)?;
    let mut pairs = Vec::new();
    let mut text_bytes = 0usize;
    let mut papers = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(too_large_or_malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        let Some(file_name) = field.file_name().map(base_name) else {
            let value = field.text().await.map_err(too_large_or_malformed)?;
            text_bytes += name.len() + value.len();
            if text_bytes > MAX_FORM_TEXT_BYTES {
                return Err(Refused::Malformed);
            }
            pairs.push((name, value));
            continue;
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(too_large_or_malformed)? {
            if bytes.len() + chunk.len() > MAX_FORM_PAPER_BYTES {
                return Err(Refused::PaperTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match (file_name.is_empty(), bytes.is_empty()) {
            (true, true) => continue,
            (false, true) => return Err(Refused::EmptyPaper),
            _ => {}
        }
        if papers.len() == MAX_FORM_PAPERS {
            return Err(Refused::TooManyPapers);
        }
        papers.push(Upload { name: file_name, bytes });
    }
    Ok((Ok(Form(pairs)), papers))
}

/// A multipart error: over the route's body limit, or a body that is no form.
fn too_large_or_malformed(e: axum::extract::multipart::MultipartError) -> Refused {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Refused::PaperTooLarge
    } else {
        Refused::Malformed
    }
}

/// The file name without any folder a browser put before it, trimmed.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or("").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_loses_its_folders() {
        assert_eq!(base_name("C:\\Users\\anna\\Förvaltningsplan 2027.pdf"), "Förvaltningsplan 2027.pdf");
        assert_eq!(base_name("/home/anna/budget.xlsx "), "budget.xlsx");
        assert_eq!(base_name(""), "");
    }
}
