//! Governance as the pages show it: the rows and views of matters and minutes the site renders,
//! and governance's part in signing in the browser ([`make`] and [`Signing`]): votes, justering,
//! and the host officers' matters, meeting calls and minutes (docs/web.md §3).

use samverka_protocol::governance::{
    Diarium, Justering, Matter, Meeting, Minutes, MinutesItem, PaperRef, Procedure, Vote,
};
use samverka_protocol::roster::KeyKind;
use samverka_protocol::{Body as _, Kind, PublicKey, RecordId, RosterChain};
use samverka_web::view::{self, GovernanceAction};

use super::{Held, ItemLine, MatterSummary, MinutesReport, Status};
use crate::ledger::Ledger;
use crate::offer::{self, undecodable, Context, Made, Making};

/// A refusal before anything is signed, not about one field.
fn refusal(code: &'static str, detail: String) -> Making {
    Ok(Err(view::Refusal::of_field(code, detail, None)))
}

/// The record `action` makes for `me`, or why the node will not offer it.
pub fn make(ctx: &Context<'_>, me: &view::Me, action: GovernanceAction) -> Making {
    let store = ctx.ledger.store();
    match action {
        GovernanceAction::Vote { matter, choice } => {
            let Some(summary) = super::matter_summary(store, &matter)? else {
                return refusal("unknown_matter", format!("no matter {matter} is held here"));
            };
            if summary.status != Status::Open {
                return refusal("ballot_closed", format!("matter {matter} is closed: votes are no longer counted"));
            }
            let vote = Vote { matter, member: me.member.clone(), choice };
            Ok(Ok(Made::new(Kind::Vote, vote.to_bytes())))
        }
        GovernanceAction::Justera { minutes } => {
            let Some(held) = super::get::<Minutes>(store, &minutes)? else {
                return refusal("unknown_minutes", format!("no minutes {minutes} are held here"));
            };
            if !held.body.signers().contains(&me.key) {
                return refusal("not_justerare", format!("you are not a justerare of minutes {minutes}"));
            }
            Ok(Ok(Made::new(Kind::Justering, Justering { minutes }.to_bytes())))
        }
        GovernanceAction::Matter { kind, title, proposal, alternatives, papers } => {
            let refs = papers.iter().map(|p| PaperRef::describe(&p.name, &p.bytes)).collect();
            let procedure = Procedure::Meeting { meeting: None };
            let closer = ctx.node_key;
            let matter = Matter { kind, title, proposal, alternatives, papers: refs, procedure, closer, subject: None };
            let blobs = papers.into_iter().map(|p| p.bytes).collect();
            Ok(Ok(Made { blobs, ..Made::new(Kind::Matter, matter.to_bytes()) }))
        }
        GovernanceAction::Meeting { title, date, place, agenda } => {
            let notice_given_on = super::stockholm_date(ctx.now_ms);
            let meeting = Meeting { title, date, place, agenda, notice_given_on };
            Ok(Ok(Made::new(Kind::Meeting, meeting.to_bytes())))
        }
        GovernanceAction::Minutes { meeting, present, items, justerare, chair, anslag_date } => {
            if super::get::<Meeting>(store, &meeting)?.is_none() {
                return refusal("unknown_meeting", format!("no meeting {meeting} is held here"));
            }
            // Each paragraph names the closing that decided its matter when one is held; the
            // rules judge the rest.
            let items = items
                .into_iter()
                .map(|(matter, text)| MinutesItem { closing: super::final_closing(store, &matter), matter, text })
                .collect();
            let minutes = Minutes { meeting, present, items, justerare, chair, anslag_date };
            Ok(Ok(Made::new(Kind::Minutes, minutes.to_bytes())))
        }
    }
}

/// Governance's offered records: what they say and where they are read.
pub struct Signing;

impl offer::Domain for Signing {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Vote, Kind::Justering, Kind::Matter, Kind::Meeting, Kind::Minutes]
    }

    fn subject(&self, ledger: &Ledger, me: &view::Me, id: RecordId, kind: Kind, body: &[u8]) -> offer::Subject {
        let store = ledger.store();
        Ok(match kind {
            Kind::Vote => {
                let vote = Vote::from_bytes(body).map_err(undecodable)?;
                let summary = super::matter_summary(store, &vote.matter)?.ok_or_else(|| {
                    view::Error::Read(format!("matter {} of an offered vote is not held", vote.matter).into())
                })?;
                view::Subject::Vote {
                    alternatives: summary.matter.body.alternatives.clone(),
                    matter: row(&summary),
                    member: me.member_name.clone(),
                    choice: vote.choice,
                }
            }
            Kind::Matter => {
                let m = Matter::from_bytes(body).map_err(undecodable)?;
                view::Subject::Matter {
                    kind: m.kind,
                    title: m.title,
                    proposal: m.proposal,
                    alternatives: m.alternatives,
                    papers: m.papers.iter().map(paper_view).collect(),
                }
            }
            Kind::Meeting => {
                let m = Meeting::from_bytes(body).map_err(undecodable)?;
                let agenda = m
                    .agenda
                    .iter()
                    .map(|matter| {
                        let held = super::matter_summary(store, matter)?;
                        Ok(view::AgendaItem {
                            matter: *matter,
                            title: held.as_ref().map(|s| s.matter.body.title.clone()),
                            diarienummer: held
                                .as_ref()
                                .and_then(|s| s.diarium.as_ref())
                                .map(|d| d.body.diarienummer.to_string()),
                        })
                    })
                    .collect::<Result<_, view::Error>>()?;
                view::Subject::Meeting {
                    meeting: view::MeetingRow {
                        id,
                        title: m.title,
                        date: m.date,
                        place: m.place,
                        notice_given_on: m.notice_given_on,
                        agenda,
                        minutes: Vec::new(),
                    },
                }
            }
            Kind::Minutes => {
                let minutes = Minutes::from_bytes(body).map_err(undecodable)?;
                let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
                let meeting = super::get::<Meeting>(store, &minutes.meeting)?;
                let row = view::MinutesRow {
                    id,
                    meeting: meeting.as_ref().map(|m| m.body.title.clone()).unwrap_or_default(),
                    date: meeting.as_ref().map(|m| m.body.date.clone()).unwrap_or_default(),
                };
                let items = super::minutes_items(store, &minutes)?;
                let held = meeting.map(|m| m.id());
                view::Subject::Minutes { minutes: minutes_view(ledger, &chain, row, held, &minutes, &items, &[])? }
            }
            _ => {
                let justering = Justering::from_bytes(body).map_err(undecodable)?;
                let report = super::minutes_report(store, &justering.minutes)?.ok_or_else(|| {
                    view::Error::Read(
                        format!("minutes {} of an offered justering are not held", justering.minutes).into(),
                    )
                })?;
                view::Subject::Justering { minutes: minutes_row(&report) }
            }
        })
    }

    fn back(&self, kind: Kind, id: &RecordId, body: &[u8]) -> String {
        match kind {
            Kind::Vote => Vote::from_bytes(body)
                .map_or_else(|_| "/att-gora".into(), |v| format!("/arenden/{}", v.matter.to_hex())),
            Kind::Matter => format!("/arenden/{}", id.to_hex()),
            Kind::Meeting => "/sammantraden".into(),
            Kind::Minutes => format!("/protokoll/{}", id.to_hex()),
            _ => "/att-gora".into(),
        }
    }
}

/// Minutes as people read them: `body`'s paragraphs (resolved as `items`), present members
/// and signers by name, with whether each has justerat (is among `signed`).
pub fn minutes_view(
    ledger: &Ledger,
    chain: &RosterChain,
    row: view::MinutesRow,
    meeting: Option<RecordId>,
    body: &Minutes,
    items: &[ItemLine],
    signed: &[PublicKey],
) -> Result<view::MinutesView, view::Error> {
    let store = ledger.store();
    let roster = chain.current();
    let signers = body
        .signers()
        .iter()
        .map(|key| {
            let roles = match roster.keys.get(key).map(|g| &g.kind) {
                Some(KeyKind::Person { roles, .. }) => roles.clone(),
                _ => Vec::new(),
            };
            let member = super::member_of_key(chain, key).map_or_else(String::new, |m| super::member_name(chain, &m));
            view::SignerView { key: *key, roles, member, chair: *key == body.chair, signed: signed.contains(key) }
        })
        .collect();
    let mut lines = Vec::new();
    for item in items {
        let alternatives = super::get::<Matter>(store, &item.matter)?.map(|m| m.body.alternatives).unwrap_or_default();
        lines.push(view::MinutesItemView {
            matter: view::AgendaItem {
                matter: item.matter,
                title: item.title.clone(),
                diarienummer: item.diarienummer.as_ref().map(ToString::to_string),
            },
            outcome: item.closing.and_then(|(_, outcome)| outcome),
            alternatives,
            text: item.text.clone(),
        });
    }
    Ok(view::MinutesView {
        row,
        meeting,
        present: body.present.iter().map(|m| super::member_name(chain, m)).collect(),
        items: lines,
        signers,
        justerat: body.signers().iter().all(|k| signed.contains(k)),
        anslag_date: body.anslag_date.clone(),
    })
}

/// Minutes as listed: the meeting's title and day.
pub fn minutes_row(report: &MinutesReport) -> view::MinutesRow {
    let (meeting, date) = match &report.meeting {
        Some(m) => (m.body.title.clone(), m.body.date.clone()),
        None => (String::new(), String::new()),
    };
    view::MinutesRow { id: report.minutes.id(), meeting, date }
}

/// A paper a matter names, as the pages link it.
pub fn paper_view(p: &PaperRef) -> view::Paper {
    view::Paper { name: p.name.clone(), hash: p.content_hash, size: p.size }
}

/// A matter as listed.
pub fn row(m: &MatterSummary) -> view::MatterRow {
    matter_row(&m.matter, m.diarium.as_ref(), m.status)
}

/// A matter as listed, from its parts.
pub fn matter_row(matter: &Held<Matter>, diarium: Option<&Held<Diarium>>, status: Status) -> view::MatterRow {
    view::MatterRow {
        id: matter.id(),
        diarienummer: diarium.map(|d| d.body.diarienummer.to_string()),
        title: matter.body.title.clone(),
        kind: matter.body.kind,
        status: view_status(status),
        time_ms: matter.record.header().time_ms,
    }
}

/// A ballot's status as the pages name it.
pub fn view_status(s: Status) -> view::Status {
    match s {
        Status::Open => view::Status::Open,
        Status::Closed => view::Status::Closed,
        Status::Disputed => view::Status::Disputed,
    }
}
