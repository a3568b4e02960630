//! An agreement version's status (`docs/agreements.md` §6), computed by every node from the
//! same records: utkast, under signering, gällande, ändrat, uppsagt, upphört. A pure function of
//! the agreement, the signature records naming it, the notices on its chain, whether an
//! amendment is in force, and the day asked about — never a clock.

use std::collections::{BTreeMap, BTreeSet};

use super::{ends, Act, Agreement, AgreementSignature};
use crate::charter::MemberId;
use crate::crypto::PublicKey;
use crate::governance::Date;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::RosterChain;

/// A held agreement signature record, as the status needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The record's id.
    pub id: RecordId,
    /// Its author.
    pub author: PublicKey,
    /// The member the author's key speaks for.
    pub member: MemberId,
    /// The author's claimed time, ms since the epoch.
    pub time_ms: i64,
    /// The body.
    pub body: AgreementSignature,
}

impl Signed {
    /// The signature a verified agreement-signature record holds, with its author's member at
    /// the roster version it names; `None` for another kind, a redacted body, or a version not in
    /// `chain`.
    pub fn of(record: &Record<Verified>, chain: &RosterChain) -> Option<Signed> {
        let h = record.header();
        if h.kind != Kind::AgreementSignature {
            return None;
        }
        let body = AgreementSignature::from_bytes(record.body()?).ok()?;
        let member = chain.at(h.roster)?.keys.get(&h.author)?.member.clone();
        Some(Signed { id: record.id(), author: h.author, member, time_ms: h.time_ms, body })
    }
}

/// Where an agreement version stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Utkast: no party has signed.
    Utkast,
    /// Under signering: some parties have signed, some not (indexes into the parties).
    UnderSignering {
        /// Parties that have signed.
        signed: Vec<u16>,
        /// Parties that have not.
        missing: Vec<u16>,
    },
    /// Gällande: every party has signed; in force from `since` (the start date, or the last
    /// signature's day when later).
    Gallande {
        /// The first day in force.
        since: Date,
    },
    /// Ändrat: in force, but an amendment naming it is in force too and governs.
    Andrat {
        /// The amendment in force.
        by: RecordId,
    },
    /// Uppsagt: notice has been given; in force until `ends`.
    Uppsagt {
        /// The notice that ends it first.
        notice: RecordId,
        /// The day notice was given.
        given: Date,
        /// The last day in force.
        ends: Date,
    },
    /// Upphört: its last day (by notice or its end date) is before the day asked about.
    Upphort {
        /// The last day it was in force.
        ended: Date,
        /// The notice that ended it, if notice did.
        notice: Option<RecordId>,
    },
}

impl Status {
    /// The API's name: `utkast`, `under-signering`, `gallande`, `andrat`, `uppsagt`, `upphort`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Utkast => "utkast",
            Status::UnderSignering { .. } => "under-signering",
            Status::Gallande { .. } => "gallande",
            Status::Andrat { .. } => "andrat",
            Status::Uppsagt { .. } => "uppsagt",
            Status::Upphort { .. } => "upphort",
        }
    }

    /// Whether every party has signed (gällande, ändrat, uppsagt or upphört).
    pub fn signed_by_all(&self) -> bool {
        !matches!(self, Status::Utkast | Status::UnderSignering { .. })
    }
}

/// The status on `today` of the agreement version `agreement`, given the signature records that
/// name it (`signatures`; other acts among them are ignored), the notices given on any version
/// of its chain (`notices`; other acts are ignored), and the amendment in force that names it,
/// if any. Of several notices the one that ends the agreement first counts (ties: lowest id); a
/// fixed end date earlier than that still ends it.
pub fn status(
    agreement: &Agreement,
    signatures: &[Signed],
    notices: &[Signed],
    amended_by: Option<RecordId>,
    today: Date,
) -> Status {
    let signed: BTreeSet<u16> = signatures.iter().filter(|s| s.body.act == Act::Sign).map(|s| s.body.party).collect();
    let parties = u16::try_from(agreement.parties.len()).expect("at most MAX_PARTIES parties");
    if signed.is_empty() {
        return Status::Utkast;
    }
    let missing: Vec<u16> = (0..parties).filter(|p| !signed.contains(p)).collect();
    if !missing.is_empty() {
        return Status::UnderSignering { signed: signed.into_iter().collect(), missing };
    }
    let notice = notices
        .iter()
        .filter(|s| matches!(s.body.act, Act::Notice { .. }))
        .filter_map(|s| s.body.act.given().map(|given| (ends(given, agreement.notice), s.id, given)))
        .min();
    let fixed_end = agreement.end.as_deref().and_then(|e| Date::parse(e).ok());
    let last_day = match (notice.map(|(end, ..)| end), fixed_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(ended) = last_day.filter(|d| *d < today) {
        let by_notice = notice.filter(|(end, ..)| *end == ended).map(|(_, id, _)| id);
        return Status::Upphort { ended, notice: by_notice };
    }
    if let (Some((_, notice, given)), Some(ends)) = (notice, last_day) {
        return Status::Uppsagt { notice, given, ends };
    }
    match amended_by {
        Some(by) => Status::Andrat { by },
        None => Status::Gallande { since: in_force_from(agreement, signatures) },
    }
}

/// The first day in force: the start date, or the day of the last first signature when later.
fn in_force_from(agreement: &Agreement, signatures: &[Signed]) -> Date {
    let mut first_by_party: BTreeMap<u16, i64> = BTreeMap::new();
    for s in signatures.iter().filter(|s| s.body.act == Act::Sign) {
        let t = first_by_party.entry(s.body.party).or_insert(s.time_ms);
        *t = (*t).min(s.time_ms);
    }
    let last = first_by_party.values().max().map(|ms| Date::of_utc_ms(*ms));
    let start = Date::parse(&agreement.start).ok();
    match (start, last) {
        (Some(start), Some(last)) => start.max(last),
        (Some(d), None) | (None, Some(d)) => d,
        (None, None) => Date::of_utc_ms(0),
    }
}

/// A member party's withdrawal (utträde) and the day it takes effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// The party withdrawing.
    pub party: u16,
    /// The withdrawal record.
    pub record: RecordId,
    /// The day it was given.
    pub given: Date,
    /// The party's last day bound by the agreement.
    pub effective: Date,
}

/// Each party's withdrawal among `signatures`: its earliest by the day it was given (ties: lowest
/// id), with the day it takes effect by the agreement's notice rule.
pub fn withdrawals(agreement: &Agreement, signatures: &[Signed]) -> Vec<Withdrawal> {
    let mut first: BTreeMap<u16, (Date, RecordId)> = BTreeMap::new();
    for s in signatures.iter().filter(|s| matches!(s.body.act, Act::Withdrawal { .. })) {
        if let Some(given) = s.body.act.given() {
            let entry = first.entry(s.body.party).or_insert((given, s.id));
            *entry = (*entry).min((given, s.id));
        }
    }
    first
        .into_iter()
        .map(|(party, (given, record))| Withdrawal { party, record, given, effective: ends(given, agreement.notice) })
        .collect()
}
