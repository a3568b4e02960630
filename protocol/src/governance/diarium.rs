//! The diarium: registration of a matter under a diarienummer (`SAM 2026/0007`: series, year,
//! number within the year). Only the host's machine keys register (see
//! [`crate::validate::permits`]); numbers run without gaps or repeats along the registering
//! key's own chain, and a new key (a new host, a rotated key) continues from the last number by
//! naming the record it follows.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{fetch, walk_back, Context, Error, Matter, Violation};
use crate::record::Lookup;
use crate::record::{Body, Header, Kind, RecordId};

/// A diarienummer: `SERIES YYYY/NNNN`, e.g. `SAM 2026/0007`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Diarienummer {
    /// The series: 1–8 characters `A-Z` (e.g. `SAM`).
    pub series: String,
    /// The year, 2000–9999.
    pub year: u16,
    /// The number within the series and year, from 1.
    pub number: u32,
}

impl Diarienummer {
    /// Checks the form: series 1–8 of `A-Z`, year 2000–9999, number 1–999 999.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=8).contains(&self.series.len()) || !self.series.bytes().all(|c| c.is_ascii_uppercase()) {
            return Err(format!("the series {:?} is not 1 to 8 letters A-Z", self.series));
        }
        if !(2000..=9999).contains(&self.year) {
            return Err(format!("the year {} is not within 2000 to 9999", self.year));
        }
        if !(1..=999_999).contains(&self.number) {
            return Err(format!("the number {} is not within 1 to 999999", self.number));
        }
        Ok(())
    }

    /// Parses the display form `SAM 2026/0007` (the number has at least four digits).
    pub fn parse(s: &str) -> Result<Diarienummer, String> {
        let err = || format!("{s:?} is not a diarienummer like SAM 2026/0007");
        let (series, rest) = s.split_once(' ').ok_or_else(err)?;
        let (year, number) = rest.split_once('/').ok_or_else(err)?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        if year.len() != 4 || !digits(year) || number.len() < 4 || !digits(number) {
            return Err(err());
        }
        let d = Diarienummer {
            series: series.into(),
            year: year.parse().map_err(|_| err())?,
            number: number.parse().map_err(|_| err())?,
        };
        d.check()?;
        if d.to_string() != s {
            return Err(err());
        }
        Ok(d)
    }

    /// The number that follows `previous` in `year`: the next in the same year, or 1 in a new
    /// one (or when there is no previous number at all).
    pub fn next(previous: Option<&Diarienummer>, series: &str, year: u16) -> Diarienummer {
        let number = match previous {
            Some(p) if p.year == year => p.number + 1,
            _ => 1,
        };
        Diarienummer { series: series.into(), year, number }
    }
}

impl fmt::Display for Diarienummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:04}/{:04}", self.series, self.year, self.number)
    }
}

/// The body of a diarium record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diarium {
    /// The matter registered.
    pub matter: RecordId,
    /// Its diarienummer.
    pub diarienummer: Diarienummer,
    /// The diarium record this one follows: the nearest earlier diarium record in the author's
    /// own chain; if the author has none, a diarium record by another key (handing the series
    /// over) or `None` (the first registration of the federation).
    pub previous: Option<RecordId>,
}

impl Body for Diarium {
    const KIND: Kind = Kind::Diarium;
}

/// The nearest diarium record before `header` in its author's chain, walking `prev` links
/// (see `walk_back`: a missing link is [`Error::MissingDependency`]).
pub fn previous_diarium(header: &Header, lookup: &dyn Lookup) -> Result<Option<RecordId>, Error> {
    walk_back(header, lookup, |r| (r.header().kind == Kind::Diarium).then(|| r.id()))
}

/// Checks a diarium body.
pub(super) fn check(cx: &Context<'_>, d: &Diarium) -> Result<(), Error> {
    if d.diarienummer.check().is_err() {
        return Err(Violation::BadDiarienummer { diarienummer: d.diarienummer.clone() }.into());
    }
    cx.fetch::<Matter>(&d.matter)?;
    let header = cx.record.header();
    let own = previous_diarium(header, cx.lookup)?;
    let previous = match (own, d.previous) {
        (Some(own), Some(named)) if own == named => Some(fetch::<Diarium>(cx.lookup, &own)?.1),
        (Some(own), _) => return Err(Violation::WrongPreviousDiarium { expected: Some(own) }.into()),
        (None, None) => None,
        (None, Some(named)) => {
            let (record, previous) = cx.fetch::<Diarium>(&named)?;
            if record.header().author == header.author {
                return Err(Violation::WrongPreviousDiarium { expected: None }.into());
            }
            Some(previous)
        }
    };
    let n = &d.diarienummer;
    let expected = match &previous {
        Some(p) if p.diarienummer.series != n.series => {
            return Err(Violation::SeriesChanged { expected: p.diarienummer.series.clone() }.into());
        }
        Some(p) if p.diarienummer.year > n.year => {
            return Err(Violation::YearBeforePrevious { year: n.year, previous: p.diarienummer.year }.into());
        }
        p => Diarienummer::next(p.as_ref().map(|p| &p.diarienummer), &n.series, n.year),
    };
    if *n != expected {
        return Err(Violation::WrongDiarienummer { expected }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse() {
        let d = Diarienummer { series: "SAM".into(), year: 2026, number: 7 };
        assert_eq!(d.to_string(), "SAM 2026/0007");
        assert_eq!(Diarienummer::parse("SAM 2026/0007"), Ok(d));
        assert_eq!(Diarienummer::parse("SAM 2026/12345").map(|d| d.number), Ok(12_345));
        for bad in ["SAM 2026/7", "sam 2026/0007", "SAM 26/0007", "SAM 2026/0000", "SAM  2026/0007", "SAM 2026/00007"] {
            assert!(Diarienummer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_restart_each_year() {
        let p = Diarienummer { series: "SAM".into(), year: 2026, number: 41 };
        assert_eq!(Diarienummer::next(Some(&p), "SAM", 2026).number, 42);
        assert_eq!(Diarienummer::next(Some(&p), "SAM", 2027).number, 1);
        assert_eq!(Diarienummer::next(None, "SAM", 2026).number, 1);
    }
}
