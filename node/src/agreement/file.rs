//! The agreement file (TOML, `docs/agreements.md` §7): an agreement as a person writes it, with
//! annexes named by file so that their size and content hash are computed, never typed.
//!
//! ```toml
//! title = "Överenskommelse om samverkan kring WebCare"
//! system = "WebCare"
//! start = "2027-01-01"            # end = "2030-12-31" for a fixed term; none: tills vidare
//! text = """Parterna samverkar …"""
//! notice = { months = 12, at_year_end = true }
//! parties = [
//!   { member = "2580" },
//!   { name = "Region Stockholm", organisationsnummer = "232100-0016" },
//! ]
//! annexes = [{ name = "Bilaga 1 Förvaltningsspecifikation", file = "bilaga1.pdf" }]
//! # cost_key = "<record id>", amends = "<record id>"
//! ```

use std::path::Path;

use samverka_protocol::agreement::{Agreement, NoticeRule, Party};
use samverka_protocol::governance::{Paper, PaperRef, MAX_PAPER_BYTES};
use samverka_protocol::RecordId;
use serde::Deserialize;

/// Why a file is not an agreement: the import formats' one error (TOML, or a field's value).
pub use crate::plan::import::Error;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    title: String,
    system: String,
    start: String,
    end: Option<String>,
    text: String,
    notice: Notice,
    parties: Vec<FileParty>,
    #[serde(default)]
    annexes: Vec<Annex>,
    cost_key: Option<String>,
    amends: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notice {
    months: u8,
    #[serde(default)]
    at_year_end: bool,
}

#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum FileParty {
    Member { member: String },
    Outside { name: String, organisationsnummer: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Annex {
    name: String,
    file: String,
}

fn id(place: &str, hex: Option<String>) -> Result<Option<RecordId>, Error> {
    hex.map(|h| {
        RecordId::from_hex(&h).map_err(|_| Error::Field {
            place: place.into(),
            message: format!("{h:?} is not a record id (64 hex digits)"),
        })
    })
    .transpose()
}

/// Reads an agreement file; annex files are read relative to `dir` (bounded by
/// [`MAX_PAPER_BYTES`] each) and described by their size and content hash.
pub fn parse(text: &str, dir: &Path) -> Result<Agreement, Error> {
    let f: File = toml::from_str(text)?;
    let mut annexes = Vec::new();
    for (i, a) in f.annexes.into_iter().enumerate() {
        let place = || format!("annex {} ({})", i + 1, a.file);
        let path = dir.join(&a.file);
        let size = std::fs::metadata(&path).map_err(|e| Error::Field { place: place(), message: e.to_string() })?.len();
        if size > MAX_PAPER_BYTES {
            return Err(Error::Field { place: place(), message: format!("{size} bytes, more than {MAX_PAPER_BYTES}") });
        }
        let content = std::fs::read(&path).map_err(|e| Error::Field { place: place(), message: e.to_string() })?;
        let paper = Paper::describe(&a.name, "application/octet-stream", &content);
        annexes.push(PaperRef { name: a.name, content_hash: paper.content_hash, size: paper.size });
    }
    let parties = f
        .parties
        .into_iter()
        .map(|p| match p {
            FileParty::Member { member } => Party::Member { member },
            FileParty::Outside { name, organisationsnummer } => Party::Outside { name, organisationsnummer },
        })
        .collect();
    Ok(Agreement {
        title: f.title,
        system: f.system,
        parties,
        start: f.start,
        end: f.end,
        notice: NoticeRule { months: f.notice.months, at_year_end: f.notice.at_year_end },
        cost_key: id("cost_key", f.cost_key)?,
        annexes,
        text: f.text,
        amends: id("amends", f.amends)?,
    })
}
