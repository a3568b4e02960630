//! Node-side agreements (överenskommelser): each version held with its status computed from the
//! records (utkast, under signering with who has and has not signed, gällande, ändrat, uppsagt,
//! upphört), its signatures, notices and withdrawals, the versions before and after it, the
//! decisions that name it, and the next notice deadline — computed from the store with the pure
//! rules of `samverka_protocol::agreement`. The API, the CLI and the pages call these; no handler
//! holds a rule.
//!
//! The day a status is computed for is the caller's (`today`): a display, never a validity
//! check. The records are read once per change ([`crate::read::views`]): a federation holds a
//! handful of agreements and a few signatures on each.

pub mod export;
pub mod file;
pub mod pages;

use std::collections::BTreeMap;
use std::sync::Arc;

use samverka_protocol::agreement::{
    deadline, ends, status, withdrawals, Act, Agreement, Deadline, NoticeRule, Party, Signed, Status, Withdrawal,
};
use samverka_protocol::governance::{Date, Outcome, PaperRef, Settlement};
use samverka_protocol::plan::Decided;
use samverka_protocol::{KeyKind, MatterKind, MemberId, PublicKey, RecordId, Role, RosterChain};

use crate::governance::{member_name, scan, scan_bodies, Error, Held};
use crate::read::views;
use crate::storage::Store;

/// Most versions followed along one agreement's amendment chain: far more than any agreement
/// is amended, and a bound on the walk.
pub const MAX_CHAIN: usize = 256;

/// A party's signature as the agreement page and the completion certificate show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureLine {
    /// The signature record.
    pub record: RecordId,
    /// The signatory's key.
    pub author: PublicKey,
    /// The member the key speaks for.
    pub member: MemberId,
    /// That member's name.
    pub member_name: String,
    /// The key's roles at the roster version the record names (Swedish names).
    pub roles: Vec<&'static str>,
    /// The roster version the record names.
    pub roster: u64,
    /// The claimed signing time, ms since the epoch.
    pub time_ms: i64,
    /// The paper original, for an outside party's signature.
    pub original: Option<PaperRef>,
}

/// One party with its signature, if any, and its withdrawal, if given.
#[derive(Clone, Debug)]
pub struct PartyLine {
    /// Its index in the agreement's parties.
    pub index: u16,
    /// The party.
    pub party: Party,
    /// Its name: the member's name, or the outside party's.
    pub name: String,
    /// Its first signature (by claimed time, then id).
    pub signature: Option<SignatureLine>,
    /// Its withdrawal (utträde), if given.
    pub withdrawal: Option<Withdrawal>,
}

/// A notice (uppsägning) on the agreement's chain, with the end it gives and the rule that gives
/// it.
#[derive(Clone, Debug)]
pub struct NoticeLine {
    /// The notice record.
    pub signature: SignatureLine,
    /// The version it names.
    pub agreement: RecordId,
    /// The party giving notice.
    pub party: u16,
    /// The day given.
    pub given: Date,
    /// The last day in force by the rule.
    pub ends: Date,
    /// The rule, stated beside the date.
    pub rule: NoticeRule,
}

/// A decision (an adopted styrgrupp matter) that names an agreement version as its subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionLine {
    /// The matter.
    pub matter: RecordId,
    /// Its kind (nytt avtal, avtalsförlängning, uppsägning av avtal).
    pub kind: MatterKind,
    /// Its title.
    pub title: String,
    /// The final closing that adopted it.
    pub closing: RecordId,
}

/// An agreement version held, with what every node computes about it.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The agreement version.
    pub agreement: Held<Agreement>,
    /// Its status on the day asked about.
    pub status: Status,
    /// Parties that have signed it.
    pub signed: usize,
    /// The last day to give notice for it to end at the next possible date, when it is in force
    /// and governs (gällande) and notice can still end it before its end date.
    pub deadline: Option<Deadline>,
}

/// An agreement version in full: what the agreement page, the PDF and the API show.
#[derive(Clone, Debug)]
pub struct Report {
    /// The version and its status.
    pub summary: Summary,
    /// Every party, signed or not.
    pub parties: Vec<PartyLine>,
    /// Notices given on any version of its chain.
    pub notices: Vec<NoticeLine>,
    /// The chain from the first version to the newest held, oldest first: (id, title, claimed
    /// time, status name).
    pub history: Vec<(RecordId, String, i64, &'static str)>,
    /// The adopted decisions that name this version.
    pub decisions: Vec<DecisionLine>,
}

/// Everything the queries need, read once.
struct Loaded {
    agreements: BTreeMap<RecordId, Held<Agreement>>,
    signatures: Vec<(Signed, SignatureLine)>,
}

/// Everything the queries need: a view ([`crate::read::views`]), read again only once an
/// agreement record has been stored or the roster has moved.
fn load(store: &Store, chain: &RosterChain) -> Result<Arc<Loaded>, Error> {
    let kinds = [samverka_protocol::Kind::Agreement, samverka_protocol::Kind::AgreementSignature];
    store.read_model().view(&kinds, &[views::roster(chain)], || read(store, chain))
}

fn read(store: &Store, chain: &RosterChain) -> Result<Loaded, Error> {
    let agreements = scan_bodies::<Agreement>(store)?.into_iter().map(|a| (a.id(), a)).collect();
    let signatures = scan(store, samverka_protocol::Kind::AgreementSignature)?
        .iter()
        .filter_map(|r| {
            let signed = Signed::of(r, chain)?;
            let grant = chain.at(r.header().roster)?.keys.get(&signed.author)?;
            let roles = match &grant.kind {
                KeyKind::Person { roles, .. } => roles.iter().map(|r| Role::swedish(*r)).collect(),
                _ => Vec::new(),
            };
            let line = SignatureLine {
                record: signed.id,
                author: signed.author,
                member: signed.member.clone(),
                member_name: member_name(chain, &signed.member),
                roles,
                roster: r.header().roster,
                time_ms: signed.time_ms,
                original: signed.body.original.clone(),
            };
            Some((signed, line))
        })
        .collect();
    Ok(Loaded { agreements, signatures })
}

impl Loaded {
    fn on(&self, id: &RecordId) -> Vec<Signed> {
        self.signatures.iter().filter(|(s, _)| s.body.agreement == *id).map(|(s, _)| s.clone()).collect()
    }

    /// The first version of `id`'s chain, following `amends` back (bounded by [`MAX_CHAIN`]).
    fn root(&self, id: &RecordId) -> RecordId {
        let mut at = *id;
        for _ in 0..MAX_CHAIN {
            match self.agreements.get(&at).and_then(|a| a.body.amends) {
                Some(prev) if self.agreements.contains_key(&prev) => at = prev,
                _ => break,
            }
        }
        at
    }

    /// Every version whose chain starts at `root`.
    fn chain_of(&self, root: &RecordId) -> Vec<RecordId> {
        self.agreements.keys().filter(|id| self.root(id) == *root).copied().collect()
    }

    fn notices(&self, id: &RecordId) -> Vec<Signed> {
        let chain = self.chain_of(&self.root(id));
        self.signatures
            .iter()
            .filter(|(s, _)| chain.contains(&s.body.agreement) && matches!(s.body.act, Act::Notice { .. }))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The amendment naming `id` that every party has signed, if any (the lowest id of several).
    fn amended_by(&self, id: &RecordId, today: Date) -> Option<RecordId> {
        self.agreements
            .values()
            .filter(|a| a.body.amends == Some(*id))
            .filter(|a| status(&a.body, &self.on(&a.id()), &[], None, today).signed_by_all())
            .map(Held::id)
            .min()
    }

    fn summary(&self, a: &Held<Agreement>, today: Date) -> Summary {
        let signatures = self.on(&a.id());
        let status = status(&a.body, &signatures, &self.notices(&a.id()), self.amended_by(&a.id(), today), today);
        let signed = match &status {
            Status::Utkast => 0,
            Status::UnderSignering { signed, .. } => signed.len(),
            _ => a.body.parties.len(),
        };
        let deadline = match status {
            Status::Gallande { .. } => next_deadline(&a.body, today),
            _ => None,
        };
        Summary { agreement: a.clone(), status, signed, deadline }
    }
}

/// The index of `member`'s party in `a`, if it is a party: the party a firmatecknare of
/// `member` signs for.
pub fn party_of(a: &Agreement, member: &MemberId) -> Option<u16> {
    let i = a.parties.iter().position(|p| p.member() == Some(member))?;
    Some(u16::try_from(i).expect("at most MAX_PARTIES parties"))
}

/// The next notice deadline of an agreement in force: `None` when its end date comes first.
pub fn next_deadline(a: &Agreement, today: Date) -> Option<Deadline> {
    let d = deadline(today, a.notice);
    let fixed = a.end.as_deref().and_then(|e| Date::parse(e).ok());
    match fixed {
        Some(end) if end <= d.ends => None,
        _ => Some(d),
    }
}

/// Every agreement version held, oldest claimed time first, with its status on `today`.
pub fn agreements(store: &Store, chain: &RosterChain, today: Date) -> Result<Vec<Summary>, Error> {
    let held = load(store, chain)?;
    let mut out: Vec<Summary> = held.agreements.values().map(|a| held.summary(a, today)).collect();
    out.sort_by_key(|s| (s.agreement.record.header().time_ms, s.agreement.id()));
    Ok(out)
}

/// One agreement version in full on `today`, or `None` when no agreement with that id is held.
pub fn agreement(store: &Store, chain: &RosterChain, id: &RecordId, today: Date) -> Result<Option<Report>, Error> {
    let held = load(store, chain)?;
    let Some(a) = held.agreements.get(id) else { return Ok(None) };
    let summary = held.summary(a, today);
    let mine: Vec<&(Signed, SignatureLine)> = held.signatures.iter().filter(|(s, _)| s.body.agreement == *id).collect();
    let on: Vec<Signed> = mine.iter().map(|(s, _)| s.clone()).collect();
    let left = withdrawals(&a.body, &on);
    let parties = a
        .body
        .parties
        .iter()
        .enumerate()
        .map(|(i, party)| {
            let index = u16::try_from(i).expect("at most MAX_PARTIES parties");
            let signature = mine
                .iter()
                .filter(|(s, _)| s.body.party == index && s.body.act == Act::Sign)
                .min_by_key(|(s, _)| (s.time_ms, s.id))
                .map(|(_, l)| l.clone());
            let name = match party {
                Party::Member { member } => member_name(chain, member),
                Party::Outside { name, .. } => name.clone(),
            };
            let withdrawal = left.iter().find(|w| w.party == index).cloned();
            PartyLine { index, party: party.clone(), name, signature, withdrawal }
        })
        .collect();
    let chain_ids = held.chain_of(&held.root(id));
    let notices = held
        .signatures
        .iter()
        .filter(|(s, _)| chain_ids.contains(&s.body.agreement))
        .filter_map(|(s, line)| match &s.body.act {
            Act::Notice { .. } => {
                let given = s.body.act.given()?;
                let rule = a.body.notice;
                Some(NoticeLine {
                    signature: line.clone(),
                    agreement: s.body.agreement,
                    party: s.body.party,
                    given,
                    ends: ends(given, rule),
                    rule,
                })
            }
            _ => None,
        })
        .collect();
    let mut history: Vec<(RecordId, String, i64, &'static str)> = chain_ids
        .iter()
        .filter_map(|v| held.agreements.get(v))
        .map(|v| (v.id(), v.body.title.clone(), v.record.header().time_ms, held.summary(v, today).status.name()))
        .collect();
    history.sort_by_key(|(id, _, ms, _)| (*ms, *id));
    let decisions = decisions_on(&crate::plan::decided(store)?.0, id);
    Ok(Some(Report { summary, parties, notices, history, decisions }))
}

/// The adopted decisions among `decided` whose matter names `id` as its subject.
fn decisions_on(decided: &[Decided], id: &RecordId) -> Vec<DecisionLine> {
    decided
        .iter()
        .filter(|d| d.matter.subject == Some(*id))
        .filter_map(|d| match d.settlement {
            Settlement::Closed { result: Outcome::Adopted { alternative: None }, closing } => {
                Some(DecisionLine { matter: d.id, kind: d.matter.kind, title: d.matter.title.clone(), closing })
            }
            _ => None,
        })
        .collect()
}

/// Today in Europe/Stockholm: the day a page or an answer shows a status for when no other is
/// asked for. A display, never a validity check.
pub fn today() -> Date {
    let now = jiff::Timestamp::now().as_millisecond();
    Date::parse(&crate::governance::stockholm_date(now)).unwrap_or_else(|_| Date::of_utc_ms(now))
}

/// The notice rule in Swedish, as it is stated beside an end date: `12 månaders uppsägningstid
/// till årsskifte`.
pub fn rule_text(rule: NoticeRule) -> String {
    let months = match rule.months {
        1 => "1 månads".to_owned(),
        n => format!("{n} månaders"),
    };
    if rule.at_year_end {
        format!("{months} uppsägningstid till årsskifte")
    } else {
        format!("{months} uppsägningstid")
    }
}
