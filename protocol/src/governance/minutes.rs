//! Minutes (protokoll) of a meeting and their justering: the minutes are final (justerade) when
//! the chair and both justerare have each signed a justering of the same minutes record.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::meeting::date;
use super::{BallotClose, Context, Error, Matter, Meeting, Violation, MAX_AGENDA_ITEMS};
use crate::charter::{MemberId, Role};
use crate::crypto::PublicKey;
use crate::encoding::MAX_LIST_LEN;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::KeyKind;

/// The body of a minutes record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    /// The meeting minuted.
    pub meeting: RecordId,
    /// The members present, sorted without repeats; each a member at the minutes' roster version.
    pub present: Vec<MemberId>,
    /// The items (paragrafer), in order.
    pub items: Vec<MinutesItem>,
    /// The two justerare: person keys holding an ordinarie or ersättare role, distinct from each
    /// other and from the chair.
    pub justerare: [PublicKey; 2],
    /// The chair (ordförande) of the meeting: a person key holding the ordförande role.
    pub chair: PublicKey,
    /// The day the minutes are posted (anslag), `YYYY-MM-DD`, not before the meeting.
    pub anslag_date: Option<String>,
}

impl Body for Minutes {
    const KIND: Kind = Kind::Minutes;
}

impl Minutes {
    /// Who must sign a justering, in order: the chair, then the two justerare.
    pub fn signers(&self) -> [PublicKey; 3] {
        [self.chair, self.justerare[0], self.justerare[1]]
    }
}

/// One item (paragraf) of the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinutesItem {
    /// The matter dealt with.
    pub matter: RecordId,
    /// The closing of its ballot, if it was decided.
    pub closing: Option<RecordId>,
    /// What was said and decided.
    pub text: String,
}

/// The body of a justering record: the author attests the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Justering {
    /// The minutes attested.
    pub minutes: RecordId,
}

impl Body for Justering {
    const KIND: Kind = Kind::Justering;
}

/// Whether minutes are final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JusteringStatus {
    /// The chair and both justerare have signed: the minutes are final.
    Justerat,
    /// Still waiting for these signers (in the order of [`Minutes::signers`]).
    Pending {
        /// Keys that have not signed.
        missing: Vec<PublicKey>,
    },
}

/// The justering status of the minutes record `minutes_id` (body `minutes`), given justering
/// records held. Only justeringar of exactly this minutes id by one of its three signers count;
/// anything else in `justeringar` is ignored.
pub fn justering_status(minutes_id: &RecordId, minutes: &Minutes, justeringar: &[Record<Verified>]) -> JusteringStatus {
    let signed: BTreeSet<PublicKey> = justeringar
        .iter()
        .filter(|r| r.header().kind == Kind::Justering)
        .filter(|r| r.body().and_then(|b| Justering::from_bytes(b).ok()).is_some_and(|j| j.minutes == *minutes_id))
        .map(|r| r.header().author)
        .collect();
    let missing: Vec<PublicKey> = minutes.signers().into_iter().filter(|k| !signed.contains(k)).collect();
    if missing.is_empty() {
        JusteringStatus::Justerat
    } else {
        JusteringStatus::Pending { missing }
    }
}

/// Checks a minutes body.
pub(super) fn check_minutes(cx: &Context<'_>, m: &Minutes) -> Result<(), Error> {
    let (_, meeting) = cx.fetch::<Meeting>(&m.meeting)?;
    cx.list("members present", m.present.len(), MAX_LIST_LEN)?;
    if !m.present.windows(2).all(|w| w[0] < w[1]) {
        return Err(Violation::PresentNotSorted.into());
    }
    if let Some(p) = m.present.iter().find(|p| !cx.roster.members.contains_key(*p)) {
        return Err(Violation::NotAMember { member: p.clone() }.into());
    }
    check_items(cx, &m.items)?;
    let [a, b] = m.justerare;
    if a == b || a == m.chair || b == m.chair {
        return Err(Violation::SignersNotDistinct.into());
    }
    for key in m.justerare {
        if !person_with_role(cx, &key, &[Role::StyrgruppOrdinarie, Role::StyrgruppErsattare]) {
            return Err(Violation::JusterareWithoutRole { key }.into());
        }
    }
    if !person_with_role(cx, &m.chair, &[Role::Ordforande]) {
        return Err(Violation::ChairWithoutRole { key: m.chair }.into());
    }
    if let Some(anslag) = &m.anslag_date {
        let posted = date("anslag date", anslag)?;
        let held = date("date", &meeting.date)?;
        if posted < held {
            return Err(Violation::AnslagBeforeMeeting { anslag: anslag.clone(), meeting: meeting.date }.into());
        }
    }
    Ok(())
}

fn check_items(cx: &Context<'_>, items: &[MinutesItem]) -> Result<(), Error> {
    cx.list("minutes items", items.len(), MAX_AGENDA_ITEMS)?;
    let mut seen = BTreeSet::new();
    for item in items {
        if !seen.insert(item.matter) {
            return Err(Violation::DuplicateItem { matter: item.matter }.into());
        }
        cx.text("item text", &item.text)?;
        cx.fetch::<Matter>(&item.matter)?;
        if let Some(closing) = &item.closing {
            let (_, close) = cx.fetch::<BallotClose>(closing)?;
            if close.matter != item.matter {
                return Err(Violation::ClosingOfOtherMatter { closing: *closing }.into());
            }
        }
    }
    Ok(())
}

/// Whether `key` is a person key holding one of `roles` in the record's roster version.
fn person_with_role(cx: &Context<'_>, key: &PublicKey, roles: &[Role]) -> bool {
    cx.roster
        .keys
        .get(key)
        .is_some_and(|g| matches!(g.kind, KeyKind::Person { .. }) && roles.iter().any(|r| g.kind.has_role(*r)))
}

/// Checks a justering body: the author is the chair or a justerare of the minutes named.
pub(super) fn check_justering(cx: &Context<'_>, j: &Justering) -> Result<(), Error> {
    let (_, minutes) = cx.fetch::<Minutes>(&j.minutes)?;
    let key = cx.record.header().author;
    if minutes.signers().contains(&key) {
        return Ok(());
    }
    Err(Violation::NotMinutesSigner { key }.into())
}
