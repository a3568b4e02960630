//! The utfall file `samverka plan utfall` signs: semicolon CSV as Swedish Excel writes it,
//! `aktivitet;kvartal;belopp` or `aktivitet;kvartal;verksamhetsnära;it-nära`, amounts in SEK
//! with a decimal comma (`1 234,50`), an optional header row and BOM (`docs/plans.md` §10).

use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{Outcome, OutcomeLine, Sides, MAX_OUTCOME_LINES};
use samverka_protocol::RecordId;

/// Why an utfall file is not one quarter's utfall.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A row is wrong; `row` counts from 1 as a spreadsheet does.
    #[error("row {row}: {message}")]
    Row {
        /// The row.
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// The file has no data rows.
    #[error("the file has no rows `aktivitet;kvartal;belopp`")]
    Empty,
    /// More rows than one record may hold.
    #[error("{0} rows, more than {MAX_OUTCOME_LINES}")]
    TooMany(usize),
    /// Rows for more than one quarter: one utfall record is one quarter.
    #[error("the file holds {0} and {1}: one utfall is one quarter, so split the file")]
    QuarterMix(String, String),
    /// No year in the file's quarters nor given.
    #[error("no year: write the quarter as 2027-Q1, or give --year")]
    NoYear,
}

fn row_error(row: usize, message: impl Into<String>) -> Error {
    Error::Row { row, message: message.into() }
}

/// Parses `Q1`, `1`, `2027-Q1`, `2027 Q1`, `2027 kv 1`, `2027:1` as (year, quarter).
fn quarter(text: &str) -> Option<(Option<u16>, u8)> {
    let t = text.trim().to_lowercase();
    let (year, rest) = match t.get(..4).and_then(|y| y.parse::<u16>().ok()).filter(|_| t.len() > 4) {
        Some(y) => (Some(y), t[4..].trim_start_matches([' ', '-', ':', '/'])),
        None => (None, t.as_str()),
    };
    let digits = rest.trim_start_matches("kv").trim_start_matches(['q', ' ', '.']);
    let q: u8 = digits.parse().ok()?;
    (1..=4).contains(&q).then_some((year, q))
}

fn amount(row: usize, what: &str, text: &str) -> Result<u64, Error> {
    let ore = Ore::parse_sek(text.trim_end_matches("kr").trim())
        .map_err(|e| row_error(row, format!("{what} {:?}: {e}", text.trim())))?;
    Ok(ore.0.unsigned_abs())
}

/// Reads one quarter's utfall for `plan` from `text`. The year comes from the quarter column
/// (`2027-Q1`) or else `year`.
pub fn parse(text: &str, plan: RecordId, year: Option<u16>) -> Result<Outcome, Error> {
    let mut found: Option<(Option<u16>, u8, String)> = None;
    let mut lines = Vec::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let row = i + 1;
        let cells: Vec<&str> = raw.split(';').map(str::trim).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if row == 1 && cells[0].eq_ignore_ascii_case("aktivitet") {
            continue;
        }
        let (name, q, business, it) = match cells.as_slice() {
            [name, q, total] => (*name, *q, amount(row, "belopp", total)?, 0),
            [name, q, business, it] => {
                (*name, *q, amount(row, "verksamhetsnära", business)?, amount(row, "IT-nära", it)?)
            }
            _ => return Err(row_error(row, "write aktivitet;kvartal;belopp (or ;verksamhetsnära;it-nära)")),
        };
        let (y, q) = quarter(q).ok_or_else(|| row_error(row, format!("{q:?} is not a quarter (Q1–Q4, or 2027-Q1)")))?;
        match &found {
            Some((fy, fq, first)) if (*fy, *fq) != (y, q) => {
                return Err(Error::QuarterMix(first.clone(), cells[1].to_owned()));
            }
            Some(_) => {}
            None => found = Some((y, q, cells[1].to_owned())),
        }
        lines.push(OutcomeLine { name: name.to_owned(), actual: Sides { business, it } });
        if lines.len() > MAX_OUTCOME_LINES {
            return Err(Error::TooMany(lines.len()));
        }
    }
    let (file_year, quarter, _) = found.ok_or(Error::Empty)?;
    let year = file_year.or(year).ok_or(Error::NoYear)?;
    Ok(Outcome { plan, year, quarter, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: RecordId = samverka_protocol::Hash([7; 32]);

    #[test]
    fn reads_swedish_excel_with_header_bom_and_decimal_commas() {
        let text =
            "\u{feff}aktivitet;kvartal;belopp\r\nFörvaltningsstyrning;2027-Q1;1 234,50\r\nAnvändarstöd;2027-Q1;900\r\n";
        let o = parse(text, PLAN, None).expect("a quarter's utfall");
        assert_eq!((o.year, o.quarter), (2027, 1));
        assert_eq!(o.lines[0].actual, Sides { business: 123_450, it: 0 });
        assert_eq!(o.lines[1].actual, Sides { business: 90_000, it: 0 });
    }

    #[test]
    fn reads_both_sides_and_takes_the_year_from_the_flag() {
        let o = parse("Daglig IT-drift;Q2;0;445\u{a0}000,00", PLAN, Some(2027)).expect("a quarter");
        assert_eq!((o.year, o.quarter), (2027, 2));
        assert_eq!(o.lines[0].actual, Sides { business: 0, it: 44_500_000 });
    }

    #[test]
    fn refuses_two_quarters_a_bad_amount_and_no_year() {
        assert!(matches!(parse("A;Q1;1\nB;Q2;1", PLAN, Some(2027)), Err(Error::QuarterMix(..))));
        assert!(matches!(parse("A;Q1;12,345", PLAN, Some(2027)), Err(Error::Row { row: 1, .. })));
        assert!(matches!(parse("A;Q5;1", PLAN, Some(2027)), Err(Error::Row { row: 1, .. })));
        assert!(matches!(parse("A;Q1;1", PLAN, None), Err(Error::NoYear)));
        assert!(matches!(parse("aktivitet;kvartal;belopp\n", PLAN, None), Err(Error::Empty)));
    }
}
