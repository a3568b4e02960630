//! The agreement pages' read models (`samverka_web::view::agreement`) from [`super`]'s queries,
//! for [`crate::site::Site`]: the pages show what the API, the PDF and the .ics serve.

use samverka_protocol::agreement::{ends, Act, AgreementSignature, NoticeRule, Party, Status};
use samverka_protocol::governance::Date;
use samverka_protocol::{Body as _, KeyKind, Kind, MemberId, RecordId, Role, RosterChain};
use samverka_web::view::{self, agreement as av};

use super::{agreement, agreements, party_of, today, Report, SignatureLine, Summary};
use crate::ledger::Ledger;
use crate::offer::{self, undecodable, Context, Made, Making};

fn row(s: &Summary) -> av::AgreementRow {
    let status_day = match &s.status {
        Status::Gallande { since } => Some(since.to_string()),
        Status::Uppsagt { ends, .. } => Some(ends.to_string()),
        Status::Upphort { ended, .. } => Some(ended.to_string()),
        Status::Utkast | Status::UnderSignering { .. } | Status::Andrat { .. } => None,
    };
    let a = &s.agreement;
    av::AgreementRow {
        id: a.id(),
        title: a.body.title.clone(),
        system: a.body.system.clone(),
        parties: a.body.parties.len(),
        signed: s.signed,
        status: s.status.name(),
        status_day,
        deadline: s.deadline.map(|d| (d.last_day.to_string(), d.ends.to_string())),
        time_ms: a.record.header().time_ms,
    }
}

fn signature(chain: &RosterChain, l: &SignatureLine) -> av::SignatureView {
    let roles = match chain.at(l.roster).and_then(|r| r.keys.get(&l.author)).map(|g| &g.kind) {
        Some(KeyKind::Person { roles, .. }) => roles.clone(),
        _ => Vec::new(),
    };
    av::SignatureView {
        record: l.record,
        fingerprint: l.author.to_hex()[..8].to_owned(),
        member: l.member_name.clone(),
        roles,
        time_ms: l.time_ms,
    }
}

/// Every agreement version held, newest first, with its status today.
pub fn rows(ledger: &Ledger) -> Result<Vec<av::AgreementRow>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let mut rows: Vec<av::AgreementRow> = agreements(ledger.store(), &chain, today())?.iter().map(row).collect();
    rows.reverse();
    Ok(rows)
}

/// What `me` may do to the agreement `r` on `day` (see [`av::Acts`]): the pages offer only
/// these; the rules judge the prepared record again.
fn acts(r: &Report, me: Option<&view::Me>, day: Date) -> av::Acts {
    let Some(me) = me.filter(|me| me.roles.contains(&Role::Firmatecknare)) else { return av::Acts::default() };
    let body = &r.summary.agreement.body;
    let Some(index) = party_of(body, &me.member) else { return av::Acts::default() };
    let party = r.parties.iter().find(|p| p.index == index);
    let in_force = matches!(r.summary.status, Status::Gallande { .. });
    let ends = ends(day, body.notice).to_string();
    av::Acts {
        sign: !r.summary.status.signed_by_all() && party.is_some_and(|p| p.signature.is_none()),
        notice: in_force.then(|| ends.clone()),
        withdraw: (in_force && party.is_some_and(|p| p.withdrawal.is_none())).then_some(ends),
    }
}

/// One agreement version in full, with its status today and what `me` may do to it.
pub fn view(ledger: &Ledger, id: &RecordId, me: Option<&view::Me>) -> Result<Option<av::AgreementView>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let day = today();
    let Some(r) = agreement(ledger.store(), &chain, id, day)? else { return Ok(None) };
    let body = &r.summary.agreement.body;
    let parties = r
        .parties
        .iter()
        .map(|p| av::PartyView {
            name: p.name.clone(),
            member: p.party.member().cloned(),
            organisationsnummer: match &p.party {
                Party::Outside { organisationsnummer, .. } => Some(organisationsnummer.clone()),
                Party::Member { .. } => None,
            },
            signature: p.signature.as_ref().map(|l| signature(&chain, l)),
            withdrawn: p.withdrawal.as_ref().map(|w| w.effective.to_string()),
        })
        .collect();
    let party_name = |i: u16| r.parties.get(usize::from(i)).map(|p| p.name.clone()).unwrap_or_default();
    Ok(Some(av::AgreementView {
        row: row(&r.summary),
        start: body.start.clone(),
        end: body.end.clone(),
        notice_months: body.notice.months,
        at_year_end: body.notice.at_year_end,
        parties,
        annexes: body
            .annexes
            .iter()
            .map(|a| av::Annex { name: a.name.clone(), size: a.size, hash: a.content_hash })
            .collect(),
        text: body.text.clone(),
        amends: body.amends,
        history: r.history.clone(),
        notices: r
            .notices
            .iter()
            .map(|n| av::NoticeView {
                signature: signature(&chain, &n.signature),
                party: party_name(n.party),
                given: n.given.to_string(),
                ends: n.ends.to_string(),
            })
            .collect(),
        decisions: r.decisions.iter().map(|d| (d.matter, d.title.clone())).collect(),
        acts: acts(&r, me, day),
    }))
}

/// What waits for a person of `member` with `roles` on `day`: agreements whose party for
/// `member` has not signed (for a firmatecknare), and agreements in force whose notice deadline
/// is within `days` days.
pub fn todo(
    ledger: &Ledger,
    member: &MemberId,
    roles: &[Role],
    day: Date,
    days: i64,
) -> Result<(Vec<av::AgreementRow>, Vec<av::AgreementRow>), view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let all = agreements(ledger.store(), &chain, day)?;
    let mut to_sign = Vec::new();
    if roles.contains(&Role::Firmatecknare) {
        for s in all.iter().filter(|s| !s.status.signed_by_all()) {
            let Some(index) = party_of(&s.agreement.body, member) else { continue };
            let signed = match &s.status {
                Status::UnderSignering { signed, .. } => signed.contains(&index),
                _ => false,
            };
            if !signed {
                to_sign.push(row(s));
            }
        }
    }
    let soon =
        all.iter().filter(|s| s.deadline.is_some_and(|d| d.last_day.days() - day.days() <= days)).map(row).collect();
    Ok((to_sign, soon))
}

/// Members that have given their withdrawal (utträde) from an agreement version held and are
/// still members in the current roster, for the host officers' "Att göra": the roster change
/// follows by the styrgrupp's decision (`docs/agreements.md` §6).
pub fn withdrawals(ledger: &Ledger, day: Date) -> Result<Vec<av::Withdrawing>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let mut out = Vec::new();
    for s in agreements(ledger.store(), &chain, day)? {
        let Some(r) = agreement(ledger.store(), &chain, &s.agreement.id(), day)? else { continue };
        for p in &r.parties {
            let (Some(w), Some(member)) = (&p.withdrawal, p.party.member()) else { continue };
            if chain.current().members.contains_key(member) {
                let bound_until = w.effective.to_string();
                out.push(av::Withdrawing { agreement: row(&s), member: p.name.clone(), bound_until });
            }
        }
    }
    Ok(out)
}

/// The signature, notice or withdrawal (`action.act`; the last two given today, Stockholm) on
/// an agreement version for the party of `me`'s member: its firmatecknare signs, and the rules
/// judge the key's role and whether the act is allowed.
pub fn make(ctx: &Context<'_>, me: &view::Me, action: av::Action) -> Making {
    let av::Action { agreement: id, act } = action;
    let member = &me.member;
    let refusal = |code, detail| Ok(Err(view::Refusal::of_field(code, detail, None)));
    let chain = ctx.ledger.chain().ok_or(view::Error::NoFederation)?;
    let Some(report) = agreement(ctx.ledger.store(), &chain, &id, today())? else {
        return refusal("unknown_agreement", format!("no agreement {id} is held here"));
    };
    let Some(party) = party_of(&report.summary.agreement.body, member) else {
        return refusal("not_a_party", format!("{member} is not a party to agreement {id}"));
    };
    let ours = report.parties.iter().find(|p| p.index == party);
    let in_force = matches!(report.summary.status, Status::Gallande { .. });
    let given = || today().to_string();
    let act = match act {
        av::AgreementAct::Sign if ours.is_some_and(|p| p.signature.is_some()) => {
            return refusal("already_signed", format!("{member} has already signed agreement {id}"));
        }
        av::AgreementAct::Sign => Act::Sign,
        av::AgreementAct::Notice | av::AgreementAct::Withdrawal if !in_force => {
            let detail =
                format!("agreement {id} is not in force: notice and withdrawal apply to an agreement in force");
            return refusal("not_in_force", detail);
        }
        av::AgreementAct::Withdrawal if ours.is_some_and(|p| p.withdrawal.is_some()) => {
            return refusal("already_withdrawn", format!("{member} has already withdrawn from agreement {id}"));
        }
        av::AgreementAct::Notice => Act::Notice { given: given() },
        av::AgreementAct::Withdrawal => Act::Withdrawal { given: given() },
    };
    let body = AgreementSignature { agreement: id, party, act, original: None };
    Ok(Ok(Made::new(Kind::AgreementSignature, body.to_bytes())))
}

/// Agreement signatures offered: what they say and where they are read.
pub struct Signing;

impl offer::Domain for Signing {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::AgreementSignature]
    }

    /// The agreement, the party signed for, the others.
    fn subject(&self, ledger: &Ledger, _me: &view::Me, _id: RecordId, _kind: Kind, body: &[u8]) -> offer::Subject {
        let s = AgreementSignature::from_bytes(body).map_err(undecodable)?;
        let v = view(ledger, &s.agreement, None)?.ok_or_else(|| {
            view::Error::Read(format!("agreement {} of an offered signature is not held", s.agreement).into())
        })?;
        let party = v.parties.get(usize::from(s.party)).map(|p| p.name.clone()).unwrap_or_default();
        let others =
            v.parties.iter().enumerate().filter(|(i, _)| *i != usize::from(s.party)).map(|(_, p)| p.name.clone());
        let rule = NoticeRule { months: v.notice_months, at_year_end: v.at_year_end };
        let (act, ends) = match &s.act {
            Act::Sign => (av::AgreementAct::Sign, None),
            Act::Notice { .. } => (av::AgreementAct::Notice, s.act.given().map(|d| ends(d, rule).to_string())),
            Act::Withdrawal { .. } => (av::AgreementAct::Withdrawal, s.act.given().map(|d| ends(d, rule).to_string())),
        };
        Ok(view::Subject::AgreementSignature { agreement: v.row.clone(), party, others: others.collect(), act, ends })
    }

    fn back(&self, _kind: Kind, _id: &RecordId, body: &[u8]) -> String {
        AgreementSignature::from_bytes(body)
            .map_or_else(|_| "/avtal".into(), |s| format!("/avtal/{}", s.agreement.to_hex()))
    }
}
