//! The SLA table and its clocks. A clock runs from a start instant until it is stopped, minus
//! the pauses, counted in business hours or round the clock; it is breached when more time has
//! run than its target (`docs/support.md` §5).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::calendar::{add_business_ms, business_ms};
use super::Priority;

const MINUTE_MS: i64 = 60_000;

/// How a target's time is counted. Encoded as a varint variant index (0 business, 1 all day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Hours {
    /// Weekdays 08:00–17:00 Stockholm time, holidays excepted (serviceid vardagar 8–17).
    Business,
    /// Every minute (serviceid alla dagar 0–24).
    AllDay,
}

/// One row of the SLA table: the targets for a priority. Fields encode in this order (an
/// [`super::SlaTable`] carries it; minutes as zigzag varints).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Start of repair (påbörjad felrättning) within this many minutes of the escalation.
    pub start_min: i64,
    /// Information given (information kommunicerad) within this many minutes of the escalation.
    pub inform_min: i64,
    /// Resolved within this many minutes of the escalation (maximal feltid per incident).
    pub downtime_min: i64,
    /// How the minutes are counted.
    pub hours: Hours,
}

/// The SLA table: a target per priority, or none (no clocks) for a priority without one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    /// Where the figures come from: the table record's name, or WebCare's for the default.
    pub name: Cow<'static, str>,
    /// Kritisk/hög.
    pub high: Option<Target>,
    /// Medel.
    pub medium: Option<Target>,
    /// Låg.
    pub low: Option<Target>,
}

impl Table {
    /// WebCare's table for application management in production (Bilaga 3 of the 2012
    /// agreement, serviceid vardagar 8–17): start of repair within 1 h (kritisk/hög) or 8 h
    /// (medel), information within 30 min, at most 10 h (kritisk/hög) or 24 h (medel) of
    /// downtime per incident, all in business hours; låg has no targets. The clocks of a case
    /// use it when no table adopted by the federation is in force ([`super::Schedule`]).
    pub const WEBCARE: Table = Table {
        name: Cow::Borrowed("WebCare, applikationsförvaltning, produktionsmiljö"),
        high: Some(Target { start_min: 60, inform_min: 30, downtime_min: 10 * 60, hours: Hours::Business }),
        medium: Some(Target { start_min: 8 * 60, inform_min: 30, downtime_min: 24 * 60, hours: Hours::Business }),
        low: None,
    };

    /// The targets for `priority`.
    pub fn target(&self, priority: Priority) -> Option<Target> {
        match priority {
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        }
    }
}

/// Which clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClockKind {
    /// Start of repair: escalation → start (or vendor, or resolved).
    Start,
    /// Information: escalation → the first information note (or resolved).
    Inform,
    /// Downtime: escalation → resolved.
    Downtime,
}

impl ClockKind {
    /// The API's name.
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::Start => "start",
            ClockKind::Inform => "inform",
            ClockKind::Downtime => "downtime",
        }
    }
}

/// One SLA clock of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Which clock.
    pub kind: ClockKind,
    /// How time is counted.
    pub hours: Hours,
    /// The target, in milliseconds of counted time.
    pub target_ms: i64,
    /// When it started (the escalation's claimed time).
    pub from_ms: i64,
    /// When it stopped, if it has.
    pub stopped_ms: Option<i64>,
    /// The pauses, in order, as `[from, until)`; the last may be open.
    pub pauses: Vec<(i64, Option<i64>)>,
}

/// A clock read at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Counted time run so far (until the stop, or the instant read at).
    pub elapsed_ms: i64,
    /// Target minus elapsed: negative once breached.
    pub remaining_ms: i64,
    /// When the target is (or was) reached if the clock is not stopped or paused before: `None`
    /// while paused, or when the clock stopped in time.
    pub deadline_ms: Option<i64>,
    /// Whether the clock has stopped.
    pub stopped: bool,
    /// Whether it is paused at the instant read at.
    pub paused: bool,
    /// Whether more time has run than the target.
    pub breached: bool,
}

impl Clock {
    /// A clock of `kind` for `target`, started at `from_ms`.
    pub fn new(kind: ClockKind, target: Target, from_ms: i64) -> Clock {
        let minutes = match kind {
            ClockKind::Start => target.start_min,
            ClockKind::Inform => target.inform_min,
            ClockKind::Downtime => target.downtime_min,
        };
        Clock {
            kind,
            hours: target.hours,
            target_ms: minutes * MINUTE_MS,
            from_ms,
            stopped_ms: None,
            pauses: Vec::new(),
        }
    }

    fn measure(&self, from_ms: i64, until_ms: i64) -> i64 {
        match self.hours {
            Hours::Business => business_ms(from_ms, until_ms),
            Hours::AllDay => (until_ms - from_ms).max(0),
        }
    }

    fn add(&self, from_ms: i64, amount_ms: i64) -> Option<i64> {
        match self.hours {
            Hours::Business => add_business_ms(from_ms, amount_ms),
            Hours::AllDay => from_ms.checked_add(amount_ms),
        }
    }

    /// The intervals the clock runs in up to `until_ms` (its stop, if earlier): from its start,
    /// less the pauses. The last may be open (`None`) when the clock neither stopped nor is paused.
    fn runs(&self) -> Vec<(i64, Option<i64>)> {
        let mut runs = Vec::new();
        let mut at = Some(self.from_ms);
        for (paused, resumed) in &self.pauses {
            if let Some(from) = at {
                runs.push((from, Some((*paused).max(from))));
            }
            at = resumed.map(|r| r.max(self.from_ms));
        }
        if let Some(from) = at {
            runs.push((from, None));
        }
        let stop = self.stopped_ms;
        runs.into_iter()
            .filter(|(from, _)| stop.is_none_or(|s| *from < s))
            .map(|(from, until)| match (until, stop) {
                (Some(u), Some(s)) => (from, Some(u.min(s))),
                (None, s) => (from, s),
                (u, None) => (from, u),
            })
            .collect()
    }

    /// The instant the target is reached if the clock runs on from its last run, or `None` when
    /// it stopped or is paused before reaching it.
    fn deadline(&self) -> Option<i64> {
        let mut left = self.target_ms;
        for (from, until) in self.runs() {
            let Some(until) = until else { return self.add(from, left) };
            let run = self.measure(from, until);
            if left <= run {
                return self.add(from, left);
            }
            left -= run;
        }
        None
    }

    /// The clock at the instant `now_ms` (the reader's clock: for showing only, never for
    /// validity).
    pub fn read(&self, now_ms: i64) -> Reading {
        let elapsed_ms: i64 =
            self.runs().iter().map(|(from, until)| self.measure(*from, until.unwrap_or(now_ms).min(now_ms))).sum();
        let stopped = self.stopped_ms.is_some_and(|s| s <= now_ms);
        let paused = !stopped && self.pauses.last().is_some_and(|(p, r)| *p <= now_ms && r.is_none_or(|r| r > now_ms));
        let breached = elapsed_ms > self.target_ms;
        Reading {
            elapsed_ms,
            remaining_ms: self.target_ms - elapsed_ms,
            deadline_ms: self.deadline(),
            stopped,
            paused,
            breached,
        }
    }
}
