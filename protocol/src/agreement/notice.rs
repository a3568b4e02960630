//! The notice arithmetic (`docs/agreements.md` §5): the day an agreement ends after notice, and
//! the last day to give notice for it to end at the next possible date. Pure functions of dates.

use super::NoticeRule;
use crate::governance::Date;

/// The last day in force after notice given on `given` under `rule`: the notice period counted
/// in calendar months ([`Date::add_months`]: the day with the same number, or the month's last
/// day), then, under a year-end rule, the last day of that year.
///
/// WebCare's rule (12 months, at year end): notice on 2026-11-30 → 2027-12-31. Twelve months
/// plain: 2026-11-30 → 2027-11-30.
pub fn ends(given: Date, rule: NoticeRule) -> Date {
    let lapsed = given.add_months(i32::from(rule.months));
    if rule.at_year_end {
        lapsed.year_end()
    } else {
        lapsed
    }
}

/// When notice must be given to end the agreement as early as possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// The last day to give notice for the agreement to end on [`Deadline::ends`].
    pub last_day: Date,
    /// The earliest last day in force that notice given from the reference day reaches.
    pub ends: Date,
}

/// The last day, on or after `today`, to give notice for the agreement to end at the earliest
/// date notice given `today` reaches (`E = ends(today, rule)`): the latest day whose notice
/// still reaches `E`. That is `E` less the notice months, or — when `E` is the last day of its
/// month (always so under a year-end rule) — the last day of that month, since the clamping of
/// [`Date::add_months`] maps every later day of it to `E` too. Under a plain rule it is mostly
/// `today` itself; with one month from 2027-01-28 it is 2027-01-31 (both end 2027-02-28).
/// `ends(last_day) == E`, and notice one day later ends it later.
pub fn deadline(today: Date, rule: NoticeRule) -> Deadline {
    let earliest = ends(today, rule);
    let back = earliest.add_months(-i32::from(rule.months));
    let last_day = if earliest == earliest.month_end() { back.month_end() } else { back };
    debug_assert!(last_day >= today && ends(last_day, rule) == earliest, "the deadline reaches the same end");
    Deadline { last_day, ends: earliest }
}
