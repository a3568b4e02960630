//! Calendar dates as bodies carry them (`YYYY-MM-DD`), and the day arithmetic the notice rule
//! needs. Proleptic Gregorian calendar, no time zones: a date in a body is a date in Sweden.

use std::fmt;

/// A calendar date, parsed from the strict form `YYYY-MM-DD` (years 1900–9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`: exactly ten ASCII characters, zero-padded, a real day of a real month.
    pub fn parse(s: &str) -> Result<Date, String> {
        let err = || format!("{s:?} is not a date of the form YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, String> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else { return Err(err()) };
        if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(err());
        }
        Date::from_ymd(year, month, day).ok_or_else(|| format!("{s:?} is not a day of that month"))
    }

    /// The date `year-month-day`, if it is a real day of a real month in 1900–9999 (what
    /// [`Date::parse`] accepts, without the text).
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Option<Date> {
        let real = (1900..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        real.then_some(Date { year, month, day })
    }

    /// The date of the UTC day holding `ms` milliseconds since 1970-01-01T00:00Z.
    pub fn of_utc_ms(ms: i64) -> Date {
        let days = ms.div_euclid(86_400_000);
        civil_from_days(days)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The last day of this date's month.
    pub fn month_end(self) -> Date {
        Date { day: days_in_month(self.year, self.month), ..self }
    }

    /// The last day of this date's year.
    pub fn year_end(self) -> Date {
        Date { year: self.year, month: 12, day: 31 }
    }

    /// The date `months` calendar months later (earlier when negative), by the Swedish rule for
    /// periods counted in months (lag 1930:173): the day with the same number, or the last day of
    /// the month when the month has no such day (2026-08-31 + 6 months → 2027-02-28). Clamped to
    /// the years [`Date`] allows.
    pub fn add_months(self, months: i32) -> Date {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let index = index.clamp(1900 * 12, 9999 * 12 + 11);
        let year = u16::try_from(index.div_euclid(12)).expect("clamped to 1900..=9999");
        let month = u8::try_from(index.rem_euclid(12) + 1).expect("a month is 1..=12");
        Date { year, month, day: self.day.min(days_in_month(year, month)) }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    matches!((year % 4, year % 100, year % 400), (0, 1.., _) | (_, _, 0))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's civil_from_days, clamped to the years [`Date`] allows.
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let year = u16::try_from(year.clamp(1900, 9999)).expect("clamped");
    Date {
        year,
        month: u8::try_from(month).expect("a month is 1..=12"),
        day: u8::try_from(day).expect("a day is 1..=31"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_counts_days() {
        assert_eq!(Date::parse("1970-01-01").map(Date::days), Ok(0));
        assert_eq!(Date::parse("2026-11-23").map(Date::days), Ok(20_780));
        assert_eq!(Date::parse("2024-02-29").map(Date::days), Ok(19_782));
        assert_eq!(Date::of_utc_ms(1_795_388_400_000).to_string(), "2026-11-22");
        for d in ["2026-11-23", "2000-02-29", "1999-12-31", "2100-03-01"] {
            let date = Date::parse(d).expect("valid");
            assert_eq!(civil_from_days(date.days()), date);
            assert_eq!(date.to_string(), d);
        }
    }

    #[test]
    fn rejects_other_spellings() {
        for d in [
            "2026-11-31",
            "2025-02-29",
            "1900-02-29",
            "2026-1-23",
            "2026/11/23",
            "+026-11-23",
            "2026-11-23 ",
            "0000-01-01",
        ] {
            assert!(Date::parse(d).is_err(), "{d} should not parse");
        }
    }
}
