//! Decisions and minutes as documents people file and forward: a PDF (text only, written here
//! rather than pulling in a PDF library) and a CSV for Swedish Excel (semicolons, UTF-8 with BOM).
//!
//! A printed decision is not the proof: it names the record ids (closing, votes, diarium) that
//! anyone can check with `samverka verify` against any member's node.

use std::fmt::Write as _;

use crate::governance::{
    choice_text, matter_kind_name, member_name, member_of_key, outcome_text, stockholm_date, MatterReport,
    MinutesReport,
};
use samverka_protocol::governance::{Excluded, JusteringStatus, Outcome, Settlement};
use samverka_protocol::RosterChain;

/// An A4 page in points (1/72 inch).
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// Body text size in points.
const BODY_SIZE: f32 = 10.0;

/// A line of text in a document being laid out.
#[derive(Clone, Debug)]
enum Line {
    /// A heading (bold, larger).
    Heading(String),
    /// Body text (wrapped).
    Text(String),
    /// Monospaced-looking small text: ids (not wrapped at spaces, split if too long).
    Small(String),
    /// Vertical space.
    Gap,
}

/// A text-only document: headings and paragraphs, laid out on A4 pages.
#[derive(Default, Debug)]
pub struct Document {
    title: String,
    lines: Vec<Line>,
}

impl Document {
    /// An empty document with `title` (shown in the PDF viewer's title bar).
    pub fn new(title: &str) -> Document {
        Document { title: title.to_owned(), lines: Vec::new() }
    }

    /// Adds a heading.
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Document {
        self.lines.push(Line::Heading(text.into()));
        self
    }

    /// Adds a paragraph; `\n` starts a new line.
    pub fn text(&mut self, text: impl AsRef<str>) -> &mut Document {
        for part in text.as_ref().split('\n') {
            self.lines.push(Line::Text(part.to_owned()));
        }
        self
    }

    /// Adds a line of small text (record ids).
    pub fn small(&mut self, text: impl Into<String>) -> &mut Document {
        self.lines.push(Line::Small(text.into()));
        self
    }

    /// Adds vertical space.
    pub fn gap(&mut self) -> &mut Document {
        self.lines.push(Line::Gap);
        self
    }

    /// The PDF bytes: PDF 1.4, Helvetica and Helvetica-Bold with WinAnsiEncoding, as many A4
    /// pages as the text needs, a correct cross-reference table.
    pub fn to_pdf(&self) -> Vec<u8> {
        let pages = self.layout();
        let mut pdf = Pdf::default();
        // Objects: 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then per page: page, content.
        let n_pages = pages.len();
        let page_ids: Vec<usize> = (0..n_pages).map(|i| 6 + 2 * i).collect();
        pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
        pdf.object(2, format!("<< /Type /Pages /Kids [{}] /Count {n_pages} >>", kids.join(" ")).as_bytes());
        pdf.object(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
        pdf.object(4, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
        pdf.object(5, format!("<< /Title {} /Producer (samverka) >>", utf16_string(&self.title)).as_bytes());
        for (i, content) in pages.iter().enumerate() {
            let page = page_ids[i];
            pdf.object(
                page,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    page + 1
                )
                .as_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(content);
            stream.extend_from_slice(b"\nendstream");
            pdf.object(page + 1, &stream);
        }
        pdf.finish(5 + 2 * n_pages)
    }

    /// Lays the lines out into page content streams.
    fn layout(&self) -> Vec<Vec<u8>> {
        let mut pages = Vec::new();
        let mut page = Vec::new();
        let mut y = PAGE_HEIGHT - MARGIN;
        let emit = |font: &str, size: f32, text: &str, page: &mut Vec<u8>, y: &mut f32, pages: &mut Vec<Vec<u8>>| {
            let leading = size * 1.4;
            if *y - leading < MARGIN {
                pages.push(std::mem::take(page));
                *y = PAGE_HEIGHT - MARGIN;
            }
            *y -= leading;
            if !text.is_empty() {
                let _ = writeln!(Hex(page), "BT /{font} {size} Tf {MARGIN} {y:.1} Td {} Tj ET", win_ansi_hex(text));
            }
        };
        for line in &self.lines {
            match line {
                Line::Heading(t) => {
                    for part in wrap(t, chars_per_line(14.0)) {
                        emit("F2", 14.0, &part, &mut page, &mut y, &mut pages);
                    }
                }
                Line::Text(t) => {
                    for part in wrap(t, chars_per_line(BODY_SIZE)) {
                        emit("F1", BODY_SIZE, &part, &mut page, &mut y, &mut pages);
                    }
                }
                Line::Small(t) => {
                    let chars: Vec<char> = t.chars().collect();
                    for part in chars.chunks(chars_per_line(8.0)) {
                        emit("F1", 8.0, &part.iter().collect::<String>(), &mut page, &mut y, &mut pages);
                    }
                }
                Line::Gap => emit("F1", 5.0, "", &mut page, &mut y, &mut pages),
            }
        }
        pages.push(page);
        pages
    }
}

/// How many characters fit on a line at `size` points (a conservative average width).
fn chars_per_line(size: f32) -> usize {
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    // Safe: positive and far below usize::MAX.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (width / (size * 0.55)) as usize;
    n.max(10)
}

/// Wraps at spaces to at most `width` characters; words longer than a line are split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    out.push(line);
    out
}

/// Adapts a byte vector to `fmt::Write` (content streams are ASCII).
struct Hex<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Hex<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The byte of `c` in Windows-1252 (WinAnsiEncoding), or `?` if it has none.
fn win_ansi(c: char) -> u8 {
    let code = u32::from(c);
    match code {
        0x20..=0x7e | 0xa0..=0xff => u8::try_from(code).expect("checked range"),
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            '\t' => b' ',
            _ => b'?',
        },
    }
}

/// A PDF hex string of `text` in WinAnsiEncoding: no escaping needed, any character safe.
fn win_ansi_hex(text: &str) -> String {
    let mut out = String::with_capacity(2 + 2 * text.len());
    out.push('<');
    for c in text.chars() {
        let _ = write!(out, "{:02X}", win_ansi(c));
    }
    out.push('>');
    out
}

/// A PDF text string (for the document information) in UTF-16BE with a byte-order mark.
fn utf16_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// A PDF file being written: objects in order, their byte offsets kept for the xref table.
#[derive(Default)]
struct Pdf {
    bytes: Vec<u8>,
    offsets: Vec<(usize, usize)>,
}

impl Pdf {
    fn object(&mut self, id: usize, body: &[u8]) {
        if self.bytes.is_empty() {
            // The binary comment marks the file as binary for transfer programs.
            self.bytes.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
        }
        self.offsets.push((id, self.bytes.len()));
        self.bytes.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.bytes.extend_from_slice(body);
        self.bytes.extend_from_slice(b"\nendobj\n");
    }

    fn finish(mut self, last_id: usize) -> Vec<u8> {
        let mut offsets = self.offsets.clone();
        offsets.sort_unstable();
        assert!(
            offsets.iter().enumerate().all(|(i, (id, _))| *id == i + 1),
            "PDF objects are numbered 1..=n without gaps"
        );
        assert_eq!(offsets.len(), last_id, "every object is written once");
        let xref = self.bytes.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", last_id + 1);
        for (_, offset) in &offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ =
            write!(table, "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", last_id + 1);
        self.bytes.extend_from_slice(table.as_bytes());
        self.bytes
    }
}

/// Why a vote does not count, in Swedish: each sentence true of exactly its [`Excluded`] case.
pub fn excluded_text(e: &Excluded) -> String {
    match e {
        Excluded::NotAVote => "posten är ingen röst".into(),
        Excluded::OtherMatter => "rösten gäller ett annat ärende".into(),
        Excluded::InvalidChoice => "ärendet erbjuder inte det valet".into(),
        Excluded::NotAVoter => "nyckeln är inte medlemmens ordinarie eller ersättare".into(),
        Excluded::NotAMember => "medlemmen ingår inte i rosterversionen som omröstningen stängdes under".into(),
        Excluded::Revoked => "nyckeln är spärrad från rösten och framåt".into(),
        Excluded::Superseded { by } => format!("ersatt av medlemmens senare röst {by}"),
        Excluded::OrdinarieVoted { by } => format!("ersättarens röst: medlemmens ordinarie röstade ({by})"),
        Excluded::AfterClosing { closing } => {
            format!("kom efter att omröstningen stängdes: stängningen {closing} omfattar den inte")
        }
    }
}

fn settlement_text(s: &Settlement) -> &'static str {
    match s {
        Settlement::Open => "öppen (ingen stängning av omröstningen ännu)",
        Settlement::Closed { .. } => "avgjord",
        Settlement::Disputed { .. } => {
            "omtvistad: den som stänger signerade två olika stängningar, ärendet måste tas upp igen"
        }
    }
}

/// The decision (beslut) on a matter as a document: text, outcome, tally, who voted how, and
/// the record ids that prove it.
pub fn decision_document(report: &MatterReport, chain: &RosterChain) -> Document {
    let m = &report.matter.body;
    let dn = report.diarium.as_ref().map(|d| d.body.diarienummer.to_string());
    let mut doc = Document::new(&format!("Beslut {}: {}", dn.as_deref().unwrap_or("(ej diariefört)"), m.title));
    doc.heading(format!("Beslut: {}", m.title));
    doc.text(format!("Federation: {}", chain.current().name));
    doc.text(format!("Diarienummer: {}", dn.as_deref().unwrap_or("ej diariefört")));
    doc.text(format!("Typ av ärende: {}", matter_kind_name(m.kind)));
    doc.text(format!("Ärendets status: {}", settlement_text(&report.settlement)));
    doc.gap().heading("Förslag till beslut").text(&m.proposal);
    if !m.alternatives.is_empty() {
        doc.gap().heading("Alternativ");
        for (i, a) in m.alternatives.iter().enumerate() {
            doc.text(format!("{}. {a}", i + 1));
        }
    }
    doc.gap().heading("Utfall");
    let prefix = if report.provisional { "Preliminärt (omröstningen är inte stängd): " } else { "" };
    doc.text(format!("{prefix}{}", outcome_text(report.outcome, m)));
    let t = &report.tally;
    if m.alternatives.is_empty() {
        doc.text(format!("Ja: {}   Nej: {}   Avstår: {}", t.yes, t.no, t.abstain));
    } else {
        for (i, n) in t.alternatives.iter().enumerate() {
            let name = m.alternatives.get(i).map_or("", String::as_str);
            doc.text(format!("Alternativ {} ({name}): {n}", i + 1));
        }
        doc.text(format!("Avstår: {}", t.abstain));
    }
    doc.text(format!("Röstande medlemmar: {} av {}", t.members_voting, t.members_total));
    doc.gap().heading("Röster (en kommun, en röst)");
    for v in report.votes.iter().filter(|v| v.counted) {
        doc.text(format!("{} ({}): {}", v.member_name, v.member, choice_text(v.choice, m)));
    }
    let excluded: Vec<_> = report.votes.iter().filter(|v| !v.counted).collect();
    if !excluded.is_empty() {
        doc.gap().heading("Röster som inte räknas");
        for v in excluded {
            let why = v.excluded.map(|e| excluded_text(&e)).unwrap_or_default();
            doc.text(format!("{} ({}): {} — {why}", v.member_name, v.member, choice_text(v.choice, m)));
        }
    }
    doc.gap().heading("Underskrifter och bevis");
    doc.text(
        "Varje rad nedan är en signerad post. Vem som helst kan kontrollera signaturerna och rösträkningen \
              mot valfri medlems nod med `samverka verify` (eller GET /api/v1/records/{id}).",
    );
    doc.text(format!("Ärendet (signerat av nyckel {}):", report.matter.record.header().author));
    doc.small(report.matter.id().to_hex());
    if let Some(d) = &report.diarium {
        doc.text(format!("Diarieföring {} (signerad av nyckel {}):", d.body.diarienummer, d.record.header().author));
        doc.small(d.id().to_hex());
    }
    if let Some(c) = &report.closing {
        let by = member_of_key(chain, &c.record.header().author).map(|m| member_name(chain, &m));
        doc.text(format!(
            "Stängning av omröstningen, signerad av {} med nyckel {} ({}):",
            by.as_deref().unwrap_or("okänd"),
            c.record.header().author,
            outcome_text(c.body.result, m)
        ));
        doc.small(c.id().to_hex());
    }
    for v in &report.votes {
        doc.text(format!("Röst från {} ({}), signerad med nyckel {}:", v.member_name, v.member, v.author));
        doc.small(v.id.to_hex());
        if let Some(receipt) = v.receipt {
            doc.text("Kvitto på rösten från den som stänger omröstningen:");
            doc.small(receipt.to_hex());
        }
    }
    doc
}

/// Minutes (protokoll) as a document: meeting, items, signers and justering status.
pub fn minutes_document(report: &MinutesReport, chain: &RosterChain) -> Document {
    let m = &report.minutes.body;
    let title =
        report.meeting.as_ref().map_or_else(|| "Protokoll".to_owned(), |h| format!("Protokoll: {}", h.body.title));
    let mut doc = Document::new(&title);
    doc.heading(&title);
    doc.text(format!("Federation: {}", chain.current().name));
    if let Some(meeting) = &report.meeting {
        doc.text(format!("Datum: {}   Plats: {}", meeting.body.date, meeting.body.place));
        doc.text(format!("Kallelse given: {}", meeting.body.notice_given_on));
    }
    if let Some(a) = &m.anslag_date {
        doc.text(format!("Anslaget: {a}"));
    }
    doc.gap().heading("Närvarande");
    for p in &m.present {
        doc.text(format!("{} ({p})", member_name(chain, p)));
    }
    doc.gap().heading("Paragrafer");
    for (i, item) in report.items.iter().enumerate() {
        let dn = item.diarienummer.as_ref().map_or_else(String::new, |d| format!(" [{d}]"));
        doc.text(format!("§ {} {}{dn}", i + 1, item.title.as_deref().unwrap_or("(ärendet finns inte på denna nod)")));
        doc.text(&item.text);
        if let Some((closing, outcome)) = &item.closing {
            doc.text(format!("Omröstning: {}; stängning:", item_outcome(outcome.as_ref())));
            doc.small(closing.to_hex());
        }
        doc.gap();
    }
    doc.heading("Justering");
    let signer = |role: &str, key: &samverka_protocol::PublicKey| {
        let member = member_of_key(chain, key).map(|m| member_name(chain, &m)).unwrap_or_default();
        let signed = report.justeringar.iter().find(|j| j.record.header().author == *key);
        match signed {
            Some(j) => format!("{role}: {member}, nyckel {key}: justerat i post {}", j.id()),
            None => format!("{role}: {member}, nyckel {key}: ej justerat ännu"),
        }
    };
    doc.text(signer("Ordförande", &m.chair));
    doc.text(signer("Justerare", &m.justerare[0]));
    doc.text(signer("Justerare", &m.justerare[1]));
    doc.text(match &report.status {
        JusteringStatus::Justerat => "Status: justerat".to_owned(),
        JusteringStatus::Pending { missing } => format!("Status: väntar på {} underskrift(er)", missing.len()),
    });
    doc.gap().heading("Bevis");
    doc.text("Protokollets post (kontrollera med `samverka verify` eller GET /api/v1/records/{id}):");
    doc.small(report.minutes.id().to_hex());
    doc
}

/// Checks a PDF's cross-reference table: `startxref` points at the table and each entry at its
/// object. The documents this module writes always pass; the tests use it on what the API serves.
pub fn check_xref(pdf: &[u8]) -> Result<(), String> {
    let tail_at = pdf.windows(10).rposition(|w| w == b"startxref\n").ok_or("no startxref")? + 10;
    let tail = std::str::from_utf8(&pdf[tail_at..]).map_err(|_| "the trailer is not ASCII")?;
    let start: usize = tail.lines().next().and_then(|n| n.parse().ok()).ok_or("startxref names no offset")?;
    if !pdf.get(start..).is_some_and(|rest| rest.starts_with(b"xref\n")) {
        return Err(format!("startxref {start} does not point at the xref table"));
    }
    let table = std::str::from_utf8(&pdf[start..]).map_err(|_| "the xref table is not ASCII")?;
    for (i, entry) in table.lines().skip(3).take_while(|l| !l.starts_with("trailer")).enumerate() {
        let offset: usize =
            entry.get(..10).and_then(|o| o.parse().ok()).ok_or(format!("xref entry {} is malformed", i + 1))?;
        if entry.len() + 1 != 20
            || !pdf.get(offset..).is_some_and(|o| o.starts_with(format!("{} 0 obj", i + 1).as_bytes()))
        {
            return Err(format!("xref entry {} does not point at object {}", i + 1, i + 1));
        }
    }
    Ok(())
}

/// The first characters that make a spreadsheet program read a cell as a formula (OWASP's CSV
/// injection list: `=`, `+`, `-`, `@`, tab and carriage return).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Quotes a CSV field for semicolon-separated files when it needs quoting, and neutralises a
/// field a spreadsheet would run as a formula the way OWASP recommends: a single quote `'` in
/// front, inside a quoted cell, so `=HYPERLINK(…)` is shown as text and never evaluated.
fn csv_field(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
        format!("\"'{}\"", s.replace('"', "\"\""))
    } else if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A minutes item's ballot result in words.
fn item_outcome(outcome: Option<&Outcome>) -> &'static str {
    match outcome {
        Some(Outcome::Adopted { .. }) => "bifall",
        Some(Outcome::Rejected) => "avslag",
        Some(Outcome::NoQuorum) => "ej beslutsmässigt",
        None => "stängningen finns inte på denna nod",
    }
}

/// A CSV file for Swedish Excel: UTF-8 with BOM, `;` separated, CRLF line ends.
pub fn csv(header: &str, rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = format!("\u{feff}{header}\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The minutes as CSV for Swedish Excel (UTF-8 with BOM, `;`, CRLF): one row per paragraph,
/// with the justering status.
pub fn minutes_csv(report: &MinutesReport) -> Vec<u8> {
    let status = match &report.status {
        JusteringStatus::Justerat => "justerat".to_owned(),
        JusteringStatus::Pending { missing } => format!("väntar på {} underskrift(er)", missing.len()),
    };
    let minutes_id = report.minutes.id().to_hex();
    let rows = report.items.iter().enumerate().map(|(i, item)| {
        vec![
            format!("§ {}", i + 1),
            item.diarienummer.as_ref().map(ToString::to_string).unwrap_or_default(),
            item.title.clone().unwrap_or_default(),
            item.text.clone(),
            item.closing.as_ref().map(|(_, o)| item_outcome(o.as_ref()).to_owned()).unwrap_or_default(),
            item.closing.as_ref().map(|(c, _)| c.to_hex()).unwrap_or_default(),
            status.clone(),
            minutes_id.clone(),
        ]
    });
    csv("paragraf;diarienummer;ärende;beslut;omröstning;stängning-id;justering;protokoll-id", rows)
}

/// The votes on a matter as CSV for Swedish Excel: one row per member vote held, dates
/// `YYYY-MM-DD` in Europe/Stockholm.
pub fn decision_csv(report: &MatterReport) -> Vec<u8> {
    let m = &report.matter.body;
    let dn = report.diarium.as_ref().map(|d| d.body.diarienummer.to_string()).unwrap_or_default();
    let outcome = if report.provisional {
        format!("preliminärt: {}", outcome_text(report.outcome, m))
    } else {
        outcome_text(report.outcome, m)
    };
    let closing = report.closing.as_ref().map(|c| c.id().to_hex()).unwrap_or_default();
    let rows = report.votes.iter().map(|v| {
        vec![
            dn.clone(),
            m.title.clone(),
            v.member.clone(),
            v.member_name.clone(),
            choice_text(v.choice, m),
            if v.counted { "ja" } else { "nej" }.to_owned(),
            v.excluded.map(|e| e.code().to_owned()).unwrap_or_default(),
            v.excluded.map(|e| excluded_text(&e)).unwrap_or_default(),
            stockholm_date(v.time_ms),
            v.id.to_hex(),
            outcome.clone(),
            closing.clone(),
        ]
    });
    csv("diarienummer;ärende;kommunkod;medlem;val;räknas;orsakskod;anmärkning;datum;röst-id;utfall;stängning-id", rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_pdf_with_correct_xref_offsets_over_several_pages() {
        let mut doc = Document::new("Beslut SAM 2026/0001: Budget 2027 för Övertorneå");
        doc.heading("Ärende: Budget 2027 — Älvsbyn, Överkalix, Luleå");
        for i in 0..200 {
            doc.text(format!("Rad {i}: åäö ÅÄÖ é – (parenteser) och \\ bakstreck"));
        }
        let pdf = doc.to_pdf();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        check_xref(&pdf).expect("a well-formed PDF");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 4") || text.contains("/Count 5"), "200 lines need several pages");
        // å ä ö Å Ä Ö as WinAnsi bytes.
        assert!(text.contains("E5E4F620C5C4D6"));
    }

    #[test]
    fn wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), vec![""]);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("Luleå"), "Luleå");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("sa \"ja\""), "\"sa \"\"ja\"\"\"");
    }

    #[test]
    fn csv_fields_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        assert_eq!(csv_field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
        for start in FORMULA_STARTS {
            let field = format!("{start}1+1");
            assert_eq!(csv_field(&field), format!("\"'{field}\""), "{field:?}");
        }
        assert_eq!(csv_field("1-1"), "1-1", "only the first character matters");
        assert_eq!(csv_field(""), "");
    }
}
