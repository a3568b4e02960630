//! The business-hours calendar: Swedish local time (Europe/Stockholm) computed by its rule,
//! Swedish public holidays per year with Easter by the Gregorian computus, and business time
//! between two instants — weekdays 08:00–17:00 local time, holidays excepted (`docs/support.md`
//! §6).
//!
//! Stockholm is UTC+1 (CET), and UTC+2 (CEST) from the last Sunday of March 01:00 UTC to the
//! last Sunday of October 01:00 UTC (the EU rule since 1996, applied to every year here). Instants
//! are milliseconds since 1970-01-01T00:00Z, clamped to the years 1900–9998 that [`Date`] holds.

use crate::governance::Date;

use super::MAX_CLOCK_DAYS;

/// When business hours open, in minutes after local midnight (08:00).
pub const BUSINESS_OPENS_MIN: i64 = 8 * 60;
/// When business hours close, in minutes after local midnight (17:00).
pub const BUSINESS_CLOSES_MIN: i64 = 17 * 60;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// 1900-01-01T00:00Z.
const MIN_MS: i64 = -2_208_988_800_000;
/// 9998-12-31T00:00Z: a day's margin below the last year [`Date`] holds.
const MAX_MS: i64 = 253_370_678_400_000;

/// A Swedish public holiday or de facto non-working day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Holiday {
    /// Nyårsdagen, 1 January.
    Nyarsdagen,
    /// Trettondedag jul, 6 January.
    Trettondedagen,
    /// Långfredagen, the Friday before Easter.
    Langfredagen,
    /// Påskdagen, Easter Sunday.
    Paskdagen,
    /// Annandag påsk, the Monday after Easter.
    AnnandagPask,
    /// Första maj, 1 May.
    ForstaMaj,
    /// Kristi himmelsfärds dag, 39 days after Easter.
    KristiHimmelsfard,
    /// Sveriges nationaldag, 6 June.
    Nationaldagen,
    /// Midsommarafton, the Friday between 19 and 25 June: not a public holiday, de facto non-working.
    Midsommarafton,
    /// Midsommardagen, the Saturday between 20 and 26 June.
    Midsommardagen,
    /// Alla helgons dag, the Saturday between 31 October and 6 November.
    AllaHelgonsDag,
    /// Julafton, 24 December: not a public holiday, de facto non-working.
    Julafton,
    /// Juldagen, 25 December.
    Juldagen,
    /// Annandag jul, 26 December.
    AnnandagJul,
    /// Nyårsafton, 31 December: not a public holiday, de facto non-working.
    Nyarsafton,
}

impl Holiday {
    /// The Swedish name.
    pub fn swedish(self) -> &'static str {
        match self {
            Holiday::Nyarsdagen => "nyårsdagen",
            Holiday::Trettondedagen => "trettondedag jul",
            Holiday::Langfredagen => "långfredagen",
            Holiday::Paskdagen => "påskdagen",
            Holiday::AnnandagPask => "annandag påsk",
            Holiday::ForstaMaj => "första maj",
            Holiday::KristiHimmelsfard => "Kristi himmelsfärds dag",
            Holiday::Nationaldagen => "Sveriges nationaldag",
            Holiday::Midsommarafton => "midsommarafton",
            Holiday::Midsommardagen => "midsommardagen",
            Holiday::AllaHelgonsDag => "alla helgons dag",
            Holiday::Julafton => "julafton",
            Holiday::Juldagen => "juldagen",
            Holiday::AnnandagJul => "annandag jul",
            Holiday::Nyarsafton => "nyårsafton",
        }
    }
}

/// An instant in Stockholm local time: the local day (days since 1970-01-01) and the minute of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Local {
    /// The local date.
    pub date: Date,
    /// Minutes after local midnight, 0 to 1439.
    pub minute: u32,
}

impl Local {
    /// The Stockholm local date and minute of the instant `utc_ms`.
    pub fn of(utc_ms: i64) -> Local {
        let utc_ms = clamp(utc_ms);
        let local = utc_ms + stockholm_offset_ms(utc_ms);
        let minute = u32::try_from(local.rem_euclid(DAY_MS) / 60_000).expect("a minute of a day");
        Local { date: Date::of_utc_ms(local), minute }
    }
}

fn clamp(ms: i64) -> i64 {
    ms.clamp(MIN_MS, MAX_MS)
}

/// The date `y-m-d` as days since 1970-01-01.
fn day(y: u16, m: u8, d: u8) -> i64 {
    Date::from_ymd(y, m, d).expect("a day of the calendar").days()
}

/// The weekday of a day number (days since 1970-01-01): 0 Monday … 6 Sunday.
pub fn weekday(days: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7)
}

/// The last Sunday of `month` in `year`, as days since 1970-01-01.
fn last_sunday(year: u16, month: u8) -> i64 {
    let last = Date::from_ymd(year, month, 1).expect("a month").month_end().days();
    last - (weekday(last) + 1) % 7
}

/// Stockholm's offset from UTC at the instant `utc_ms`: one hour, or two in summer time.
pub fn stockholm_offset_ms(utc_ms: i64) -> i64 {
    let year = Date::of_utc_ms(clamp(utc_ms)).year();
    let summer_from = last_sunday(year, 3) * DAY_MS + HOUR_MS;
    let summer_until = last_sunday(year, 10) * DAY_MS + HOUR_MS;
    if (summer_from..summer_until).contains(&utc_ms) {
        2 * HOUR_MS
    } else {
        HOUR_MS
    }
}

/// The instant local midnight begins `date` in Stockholm (00:00 local time never falls in a
/// summer-time switch, which happens at 01:00 UTC).
pub fn stockholm_midnight_ms(date: Date) -> i64 {
    let local = date.days() * DAY_MS;
    local - stockholm_offset_ms(local - HOUR_MS)
}

/// Easter Sunday of `year` by the anonymous Gregorian computus (Meeus/Jones/Butcher), as days
/// since 1970-01-01.
pub fn easter_sunday(year: u16) -> i64 {
    let y = i64::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let date = (h + l - 7 * m + 114) % 31 + 1;
    day(year, u8::try_from(month).expect("March or April"), u8::try_from(date).expect("a day"))
}

/// The first day on or after `from` that falls on `weekday` (0 Monday … 6 Sunday).
fn on_or_after(from: i64, weekday_wanted: i64) -> i64 {
    from + (weekday_wanted - weekday(from)).rem_euclid(7)
}

/// Every non-working holiday of `year`, in date order, as days since 1970-01-01.
pub fn holidays(year: u16) -> Vec<(i64, Holiday)> {
    let mut days = holidays_of(year).to_vec();
    days.sort();
    days
}

/// Every non-working holiday of `year`, unsorted: what [`is_business_day`] checks a day against
/// without allocating (business time walks day by day).
fn holidays_of(year: u16) -> [(i64, Holiday); 15] {
    let easter = easter_sunday(year);
    let midsommarafton = on_or_after(day(year, 6, 19), 4);
    [
        (day(year, 1, 1), Holiday::Nyarsdagen),
        (day(year, 1, 6), Holiday::Trettondedagen),
        (easter - 2, Holiday::Langfredagen),
        (easter, Holiday::Paskdagen),
        (easter + 1, Holiday::AnnandagPask),
        (day(year, 5, 1), Holiday::ForstaMaj),
        (easter + 39, Holiday::KristiHimmelsfard),
        (day(year, 6, 6), Holiday::Nationaldagen),
        (midsommarafton, Holiday::Midsommarafton),
        (midsommarafton + 1, Holiday::Midsommardagen),
        (on_or_after(day(year, 10, 31), 5), Holiday::AllaHelgonsDag),
        (day(year, 12, 24), Holiday::Julafton),
        (day(year, 12, 25), Holiday::Juldagen),
        (day(year, 12, 26), Holiday::AnnandagJul),
        (day(year, 12, 31), Holiday::Nyarsafton),
    ]
}

/// Whether the day (days since 1970-01-01) is a business day: Monday to Friday and not a
/// holiday of [`holidays`].
pub fn is_business_day(days: i64) -> bool {
    if weekday(days) >= 5 {
        return false;
    }
    let year = Date::of_utc_ms(days * DAY_MS).year();
    !holidays_of(year).iter().any(|(d, _)| *d == days)
}

/// The business hours of a local day as a UTC interval, or `None` on a non-working day.
fn business_hours(days: i64) -> Option<(i64, i64)> {
    if !is_business_day(days) {
        return None;
    }
    // 08:00 and 17:00 are hours away from the 01:00 UTC switch, so the day's offset holds.
    let at = |minute: i64| {
        let local = days * DAY_MS + minute * 60_000;
        local - stockholm_offset_ms(local)
    };
    Some((at(BUSINESS_OPENS_MIN), at(BUSINESS_CLOSES_MIN)))
}

/// The local days from the one holding `from_ms`, at most [`MAX_CLOCK_DAYS`] of them.
fn days_from(from_ms: i64) -> impl Iterator<Item = i64> {
    let first = Local::of(from_ms).date.days();
    first..first + MAX_CLOCK_DAYS
}

/// Business time in `[from_ms, until_ms)`, in milliseconds (0 when `until_ms ≤ from_ms`), over
/// at most [`MAX_CLOCK_DAYS`] local days from the one holding `from_ms`.
///
/// The same sum as walking those days one by one and adding each day's business hours within the
/// interval, but only the first and last day are walked: every business day between them lies
/// wholly inside and counts its full hours (`business_days`). An SLA clock is read on every
/// page that lists cases, and a clock running for months would otherwise walk every day of them.
pub fn business_ms(from_ms: i64, until_ms: i64) -> i64 {
    let (from_ms, until_ms) = (clamp(from_ms), clamp(until_ms));
    if until_ms <= from_ms {
        return 0;
    }
    let first = Local::of(from_ms).date.days();
    let last = Local::of(until_ms).date.days().min(first + MAX_CLOCK_DAYS - 1);
    let within =
        |days: i64| business_hours(days).map_or(0, |(open, close)| (close.min(until_ms) - open.max(from_ms)).max(0));
    if last == first {
        return within(first);
    }
    within(first) + business_days(first + 1, last) * BUSINESS_DAY_MS + within(last)
}

/// Business hours in one business day (08:00–17:00 local time: local days never switch summer
/// time within them).
const BUSINESS_DAY_MS: i64 = (BUSINESS_CLOSES_MIN - BUSINESS_OPENS_MIN) * 60_000;

/// How many business days (as [`is_business_day`]) lie in `[from, until)`, in days since
/// 1970-01-01: the weekdays counted by whole weeks, less the holidays that fall on them (each day
/// once: two holidays can share a day, as första maj and Kristi himmelsfärds dag do in 2008).
fn business_days(from: i64, until: i64) -> i64 {
    if until <= from {
        return 0;
    }
    let span = until - from;
    let weekdays = span / 7 * 5 + (from + span / 7 * 7..until).filter(|d| weekday(*d) < 5).count() as i64;
    let year = |days: i64| Date::of_utc_ms(days * DAY_MS).year();
    let mut off: Vec<i64> = (year(from)..=year(until - 1))
        .flat_map(holidays_of)
        .map(|(d, _)| d)
        .filter(|d| (from..until).contains(d) && weekday(*d) < 5)
        .collect();
    off.sort_unstable();
    off.dedup();
    weekdays - off.len() as i64
}

/// The instant at which `amount_ms` of business time has passed since `from_ms`, or `None`
/// beyond [`MAX_CLOCK_DAYS`].
pub(crate) fn add_business_ms(from_ms: i64, amount_ms: i64) -> Option<i64> {
    let from_ms = clamp(from_ms);
    let mut left = amount_ms.max(0);
    for (open, close) in days_from(from_ms).filter_map(business_hours) {
        let start = open.max(from_ms);
        if start >= close {
            continue;
        }
        if left <= close - start {
            return Some(start + left);
        }
        left -= close - start;
    }
    None
}
