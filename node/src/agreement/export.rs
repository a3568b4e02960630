//! An agreement's documents: the PDF with its completion certificate (each signatory's name,
//! member, role, claimed signing time, key and record ids, and how to check it all offline with
//! `samverka verify`), and the notice deadline as an iCalendar entry (RFC 5545, written here:
//! a few lines, CRLF, folded at 75 octets).

use samverka_protocol::agreement::{Party, Status};
use samverka_protocol::RosterChain;

use super::{rule_text, Report};
use crate::governance::stockholm_date;
use crate::report::Document;

/// The claimed time as people read it: date and time in Sweden.
fn when(time_ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(time_ms).and_then(|t| t.in_tz("Europe/Stockholm")) {
        Ok(z) => z.strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => stockholm_date(time_ms),
    }
}

fn status_text(s: &Status) -> String {
    match s {
        Status::Utkast => "Utkast: ingen part har undertecknat".into(),
        Status::UnderSignering { signed, missing } => {
            format!("Under signering: {} av {} parter har undertecknat", signed.len(), signed.len() + missing.len())
        }
        Status::Gallande { since } => format!("Gällande från {since}"),
        Status::Andrat { by } => format!("Ändrat genom {by}"),
        Status::Uppsagt { given, ends, .. } => format!("Uppsagt {given}, gäller till och med {ends}"),
        Status::Upphort { ended, .. } => format!("Upphört {ended}"),
    }
}

/// The agreement as a PDF document, ending with its completion certificate.
pub fn document(report: &Report, chain: &RosterChain) -> Document {
    let a = &report.summary.agreement.body;
    let id = report.summary.agreement.id();
    let mut doc = Document::new(&a.title);
    doc.heading(&a.title);
    doc.text(format!("Federation: {}", chain.current().name));
    doc.text(format!("System: {}", a.system));
    doc.text(match &a.end {
        Some(end) => format!("Giltighet: {} – {end}", a.start),
        None => format!("Giltighet: från {} tills vidare", a.start),
    });
    doc.text(format!("Uppsägning: {}", rule_text(a.notice)));
    doc.text(format!("Status: {}", status_text(&report.summary.status)));
    if let Some(d) = &report.summary.deadline {
        doc.text(format!("Sista dag att säga upp för att avtalet ska upphöra {}: {}", d.ends, d.last_day));
    }
    for d in &report.decisions {
        doc.text(format!("Beslut: {} (ärende {})", d.title, d.matter));
    }
    doc.gap().heading("Parter");
    for p in &report.parties {
        doc.text(match &p.party {
            Party::Member { member } => format!("{}. {} ({member})", p.index + 1, p.name),
            Party::Outside { organisationsnummer, .. } => {
                format!("{}. {} ({organisationsnummer})", p.index + 1, p.name)
            }
        });
    }
    if !a.annexes.is_empty() {
        doc.gap().heading("Bilagor");
        for annex in &a.annexes {
            doc.text(format!("{} ({} byte)", annex.name, annex.size));
            doc.small(format!("SHA-256 {}", annex.content_hash));
        }
    }
    doc.gap().heading("Text");
    doc.text(&a.text);
    certificate(&mut doc, report, &id.to_hex());
    doc
}

/// The completion certificate: every signature as every node verifies it.
fn certificate(doc: &mut Document, report: &Report, id: &str) {
    doc.gap().heading("Intyg om slutförd signering");
    doc.text("Varje underskrift är en signerad post (ed25519) som varje medlems nod har kontrollerat mot rollförteckningen: nyckelns roll som firmatecknare och dess mandatperiod vid den angivna tidpunkten.");
    doc.small(format!("Överenskommelsens post-id: {id}"));
    for p in &report.parties {
        doc.gap();
        let Some(s) = &p.signature else {
            doc.text(format!("{}: ej undertecknat", p.name));
            continue;
        };
        doc.text(format!("{} — undertecknat av {} ({})", p.name, s.member_name, s.member));
        doc.text(format!("Roll: {}; rollförteckning version {}", s.roles.join(", "), s.roster));
        doc.text(format!("Angiven tidpunkt: {}", when(s.time_ms)));
        doc.small(format!("Nyckel: {}", s.author));
        doc.small(format!("Underskriftens post-id: {}", s.record));
        if let Some(o) = &s.original {
            doc.small(format!("Påskrivet original: {} SHA-256 {}", o.name, o.content_hash));
        }
    }
    for n in &report.notices {
        doc.gap();
        doc.text(format!(
            "Uppsägning {} av {} ({}): upphör {} enligt {}",
            n.given,
            n.signature.member_name,
            when(n.signature.time_ms),
            n.ends,
            rule_text(n.rule)
        ));
        doc.small(format!("Post-id: {}", n.signature.record));
    }
    doc.gap().heading("Så kontrollerar du intyget utan att lita på någon server");
    doc.text("1. Hämta ett arkiv från valfri medlems nod: samverka export --out arkiv.samverka");
    doc.text("2. Kontrollera varje signatur och regel offline: samverka verify --archive arkiv.samverka");
    doc.text("3. Kontrollera att post-id:na ovan finns i arkivet, till exempel med samverka agreement show <post-id>.");
}

/// The notice deadline as an iCalendar file (an all-day event on the last day, with a reminder
/// two weeks before), or `None` when the agreement has no deadline. Deterministic: the stamp is
/// the agreement record's claimed time.
pub fn ics(report: &Report) -> Option<String> {
    let d = report.summary.deadline?;
    let a = &report.summary.agreement;
    let day = |date: samverka_protocol::governance::Date| date.to_string().replace('-', "");
    let next = samverka_protocol::governance::Date::of_utc_ms((d.last_day.days() + 1) * 86_400_000);
    let stamp = jiff::Timestamp::from_millisecond(a.record.header().time_ms)
        .map_or_else(|_| "19700101T000000Z".into(), |t| t.strftime("%Y%m%dT%H%M%SZ").to_string());
    let summary = format!("Sista dag att säga upp: {}", a.body.title);
    let description =
        format!("Uppsägning senast {} ger att avtalet upphör {} ({}).", d.last_day, d.ends, rule_text(a.body.notice));
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//Samverka//Överenskommelser//SV".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}-{}@samverka", a.id().to_hex(), day(d.last_day)),
        format!("DTSTAMP:{stamp}"),
        format!("DTSTART;VALUE=DATE:{}", day(d.last_day)),
        format!("DTEND;VALUE=DATE:{}", day(next)),
        format!("SUMMARY:{}", escape(&summary)),
        format!("DESCRIPTION:{}", escape(&description)),
        "BEGIN:VALARM".into(),
        "TRIGGER:-P14D".into(),
        "ACTION:DISPLAY".into(),
        format!("DESCRIPTION:{}", escape(&summary)),
        "END:VALARM".into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    Some(lines.iter().map(|l| fold(l)).collect())
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line is longer than 75 octets (RFC 5545 §3.1): a break
/// is CRLF and a space, never inside a UTF-8 character; the line ends with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_a_character() {
        let line = format!("SUMMARY:{}", "å".repeat(60));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for part in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{part:?} is {} octets", part.len());
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), line);
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
