//! The read models of the outage pages and the banner: what the node answers about the outage
//! notices (driftstörningar) it holds. Whether a notice is cleared, its expected end and who has
//! acknowledged it are computed by the node (`samverka_protocol::outage`); the pages only render
//! them.

use samverka_protocol::{MemberId, RecordId};

/// An outage notice in a listing and in the banner.
#[derive(Clone, Debug)]
pub struct OutageRow {
    /// The notice record's id.
    pub id: RecordId,
    /// `driftstorning` or `planerat-underhall`.
    pub kind: &'static str,
    /// Its title.
    pub title: String,
    /// The affected parts.
    pub affected: Vec<String>,
    /// When it began or begins, as stated (ms since the epoch).
    pub start_ms: i64,
    /// When it is expected to end, if known.
    pub expected_end_ms: Option<i64>,
    /// No all-clear held.
    pub active: bool,
    /// The all-clear's claimed time.
    pub cleared_ms: Option<i64>,
    /// Members of the current roster that have acknowledged.
    pub acknowledged: usize,
    /// Members of the current roster.
    pub members: usize,
}

/// An update of a notice.
#[derive(Clone, Debug)]
pub struct UpdateView {
    /// Its claimed time.
    pub time_ms: i64,
    /// The news.
    pub text: String,
    /// It follows the all-clear.
    pub after_clear: bool,
}

/// A member's acknowledgement, or since when it is missing.
#[derive(Clone, Debug)]
pub struct AckView {
    /// The member.
    pub member: MemberId,
    /// The member's name.
    pub member_name: String,
    /// When its objektspecialist acknowledged; `None`: missing since the notice's time.
    pub acknowledged_ms: Option<i64>,
}

/// One notice in full.
#[derive(Clone, Debug)]
pub struct OutageView {
    /// The listing row.
    pub row: OutageRow,
    /// The notice's claimed time.
    pub published_ms: i64,
    /// What is wrong or what will be done.
    pub text: String,
    /// Its updates in the stated order.
    pub updates: Vec<UpdateView>,
    /// The all-clear's text.
    pub cleared_text: Option<String>,
    /// Every member of the current roster.
    pub members: Vec<AckView>,
    /// Whether the signed-in person may publish updates and the all-clear (the host's
    /// förvaltare), as the node judges it now.
    pub may_notify: bool,
}

/// A notice as typed in the publish form.
#[derive(Clone, Debug, Default)]
pub struct NoticeDraft {
    /// `driftstorning` or `planerat-underhall`.
    pub kind: String,
    /// One-line title.
    pub title: String,
    /// What is wrong or what will be done.
    pub text: String,
    /// The affected parts, one a line.
    pub affected: String,
    /// The start in Europe/Stockholm as typed (`2026-11-30 14.30`).
    pub start: String,
    /// The expected end as typed, or empty.
    pub end: String,
}

/// What a person asks to sign on outage notices.
#[derive(Clone, Debug)]
pub enum Action {
    /// An acknowledgement (kvittens) of a notice for the person's member (objektspecialist):
    /// they have read it.
    Acknowledge {
        /// The notice.
        notice: RecordId,
    },
    /// A notice published to every member (the host's förvaltare).
    Publish(NoticeDraft),
    /// News on a notice, with a new expected end if typed.
    Update {
        /// The notice.
        notice: RecordId,
        /// The news.
        text: String,
        /// The new expected end as typed (`2026-11-30 16.00`), or empty.
        end: String,
    },
    /// The all-clear (friskförklaring) of a notice.
    Clear {
        /// The notice.
        notice: RecordId,
        /// What was done.
        text: String,
    },
}

impl From<Action> for super::Action {
    fn from(a: Action) -> super::Action {
        super::Action::Outage(a)
    }
}
