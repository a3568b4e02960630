//! A paper (underlag): a document's metadata and content hash. The content itself is a
//! content-addressed blob that nodes replicate separately; the record is what makes it citable.

use serde::{Deserialize, Serialize};

use super::{Context, Error, Violation, MAX_PAPER_BYTES};
use crate::crypto::{domain, Hash};
use crate::record::{Body, Kind};

/// The body of a paper record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paper {
    /// File name or title, one line.
    pub name: String,
    /// Media type, `type/subtype` in lowercase, e.g. `application/pdf`; no parameters.
    pub media_type: String,
    /// Size of the content in bytes, at most [`MAX_PAPER_BYTES`].
    pub size: u64,
    /// [`content_hash`] of the content.
    pub content_hash: Hash,
}

impl Body for Paper {
    const KIND: Kind = Kind::Paper;
}

/// The content hash of a paper: SHA-256 over `samverka/v1/paper\0` followed by the content.
pub fn content_hash(content: &[u8]) -> Hash {
    Hash::of(domain::PAPER, &[content])
}

impl Paper {
    /// Describes `content`: its size and hash.
    pub fn describe(name: &str, media_type: &str, content: &[u8]) -> Paper {
        Paper {
            name: name.into(),
            media_type: media_type.into(),
            size: u64::try_from(content.len()).expect("a length fits in u64"),
            content_hash: content_hash(content),
        }
    }

    /// Whether `content` is this paper's content (size and hash), e.g. a blob from a peer.
    pub fn matches(&self, content: &[u8]) -> bool {
        u64::try_from(content.len()).is_ok_and(|n| n == self.size) && content_hash(content) == self.content_hash
    }
}

/// Whether `s` is a media type as this protocol spells one: `type/subtype`, each part 1–127 of
/// `a-z 0-9 ! # $ & ^ _ . + -`, starting with a letter or digit.
fn is_media_type(s: &str) -> bool {
    let part = |p: &str| {
        (1..=127).contains(&p.len())
            && p.bytes().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$&^_.+-".contains(&c))
    };
    matches!(s.split_once('/'), Some((t, sub)) if part(t) && part(sub))
}

/// Checks a paper body.
pub(super) fn check(cx: &Context<'_>, p: &Paper) -> Result<(), Error> {
    cx.line("paper name", &p.name, true)?;
    if !is_media_type(&p.media_type) {
        return Err(Violation::BadMediaType { media_type: p.media_type.clone() }.into());
    }
    if p.size > MAX_PAPER_BYTES {
        return Err(Violation::PaperTooLarge { size: p.size }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        for ok in
            ["application/pdf", "text/plain", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
        {
            assert!(is_media_type(ok), "{ok}");
        }
        for bad in ["", "pdf", "application/", "/pdf", "Application/PDF", "text/plain; charset=utf-8", "a/b/c"] {
            assert!(!is_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn describes_content() {
        let p = Paper::describe("Förvaltningsplan 2027.pdf", "application/pdf", b"%PDF-1.7");
        assert!(p.matches(b"%PDF-1.7"));
        assert!(!p.matches(b"%PDF-1.6"));
    }
}
