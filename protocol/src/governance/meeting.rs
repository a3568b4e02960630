//! A meeting (sammanträde) of the styrgrupp: called with a date, a place and an agenda of matters,
//! at least the charter's notice period (kallelsetid) ahead.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Context, Date, Error, Matter, Violation, MAX_AGENDA_ITEMS};
use crate::record::{Body, Kind, RecordId};

/// The body of a meeting record (the kallelse). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// One-line title, e.g. `Styrgruppsmöte 4/2026`.
    pub title: String,
    /// The day of the meeting, `YYYY-MM-DD`.
    pub date: String,
    /// Where (a room, an address or a video link), one line.
    pub place: String,
    /// The matters to be dealt with, in agenda order: one to [`MAX_AGENDA_ITEMS`], no repeats.
    pub agenda: Vec<RecordId>,
    /// The day notice was given, `YYYY-MM-DD`: at least `meeting_notice_days` before `date`, and
    /// not before the UTC day of the record's own claimed time (a notice cannot be backdated).
    pub notice_given_on: String,
}

impl Body for Meeting {
    const KIND: Kind = Kind::Meeting;
}

impl Meeting {
    /// The meeting's date, if well formed.
    pub fn day(&self) -> Result<Date, String> {
        Date::parse(&self.date)
    }
}

/// Parses the date in `field`, or names the field in the violation.
pub(super) fn date(field: &'static str, value: &str) -> Result<Date, Error> {
    Date::parse(value).map_err(|_| Violation::BadDate { field, value: value.to_owned() }.into())
}

/// Checks a meeting body.
pub(super) fn check(cx: &Context<'_>, m: &Meeting) -> Result<(), Error> {
    cx.line("title", &m.title, true)?;
    cx.line("place", &m.place, true)?;
    let day = date("date", &m.date)?;
    let notice = date("notice date", &m.notice_given_on)?;
    let need = i64::from(cx.roster.rules.meeting_notice_days);
    let given = day.days() - notice.days();
    if given < need {
        return Err(Violation::NoticeTooShort { given, need }.into());
    }
    let signed_on = Date::of_utc_ms(cx.record.header().time_ms);
    if notice < signed_on {
        return Err(Violation::NoticeBackdated { notice: notice.to_string(), signed_on: signed_on.to_string() }.into());
    }
    cx.list("agenda items", m.agenda.len(), MAX_AGENDA_ITEMS)?;
    if m.agenda.is_empty() {
        return Err(Violation::Empty { field: "agenda" }.into());
    }
    let mut seen = BTreeSet::new();
    for id in &m.agenda {
        if !seen.insert(id) {
            return Err(Violation::DuplicateAgendaItem { matter: *id }.into());
        }
        cx.fetch::<Matter>(id)?;
    }
    Ok(())
}
