//! The outage pages' and the banner's read models (`samverka_web::view::outage`) from
//! [`super`]'s queries, for [`crate::site::Site`]: the pages show what the API serves.

use samverka_protocol::outage::{
    check_alone, no_identity_number, NoticeKind, OutageAck, OutageNotice, Published, Violation,
};
use samverka_protocol::plan::Violation as FieldViolation;
use samverka_protocol::{Body as _, Kind, RecordId, Role};
use samverka_web::view::{self, outage as ov};

use super::{outage, outages, parse_stockholm, refusal_in_swedish, Report};
use crate::ledger::Ledger;
use crate::offer::{self, undecodable, Context, Made, Making};

fn row(r: &Report) -> ov::OutageRow {
    let s = &r.state;
    ov::OutageRow {
        id: s.id,
        kind: s.notice.kind.name(),
        title: s.notice.title.clone(),
        affected: s.notice.affected.clone(),
        start_ms: s.notice.start_ms,
        expected_end_ms: s.expected_end_ms(),
        active: s.is_active(),
        cleared_ms: s.cleared.as_ref().map(|c| c.time_ms),
        acknowledged: r.acknowledged(),
        members: r.members.len(),
    }
}

/// Every notice held, the active ones first.
pub fn rows(ledger: &Ledger) -> Result<Vec<ov::OutageRow>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    Ok(outages(ledger.store(), &chain)?.iter().map(row).collect())
}

/// The notices in force that `member` has not acknowledged: an objektspecialist's inbox.
pub fn unacknowledged(ledger: &Ledger, member: &str) -> Result<Vec<ov::OutageRow>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let all = outages(ledger.store(), &chain)?;
    Ok(all.iter().filter(|r| r.state.is_active() && !r.acknowledged_by(member)).map(row).collect())
}

/// Whether `me` may publish, update and clear outage notices: the host's förvaltare
/// (`docs/outages.md` §2; the host's node key may too, but it is not a person signed in).
pub fn may_notify(me: &view::Me) -> bool {
    me.host && me.roles.contains(&Role::Forvaltare)
}

/// The form field (its id on the page) an outage rule's violation is about.
fn form_field(v: &Violation) -> Option<&'static str> {
    let named = match v {
        Violation::Field(
            FieldViolation::Empty { field }
            | FieldViolation::NotOneLine { field }
            | FieldViolation::LineTooLong { field, .. }
            | FieldViolation::TooMany { field, .. },
        ) => *field,
        Violation::PersonalIdentityNumber { field, .. }
        | Violation::TextTooLong { field, .. }
        | Violation::TimeOutOfRange { field, .. } => *field,
        Violation::NoAffectedPart => "affected part",
        Violation::EndsBeforeStart { .. } => "expected end",
        _ => return None,
    };
    Some(match named {
        "title" => "title",
        "text" => "text",
        "affected part" | "affected parts" => "affected",
        "start" => "start",
        "expected end" => "end",
        _ => return None,
    })
}

fn refused(e: &samverka_protocol::outage::Error) -> view::Refusal {
    match e {
        samverka_protocol::outage::Error::Violation(v) => {
            view::Refusal::of_field(v.code(), refusal_in_swedish(v), form_field(v))
        }
        other => view::Refusal::of_field("malformed", other.to_string(), None),
    }
}

/// A time as typed (`2026-11-30 14.30`, Europe/Stockholm): `None` when empty, or the refusal
/// naming `field`.
fn time(typed: &str, field: &'static str) -> Result<Option<i64>, view::Refusal> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    parse_stockholm(typed).map(Some).ok_or_else(|| {
        view::Refusal::of_field("outage_time", format!("{typed:?} is not a time like 2026-11-30 14.30"), Some(field))
    })
}

/// The notice the host's förvaltare publishes from the form, checked by every rule a notice is
/// checked by (`outage::check_alone`), or the refusal naming the field to correct.
fn notice_body(d: ov::NoticeDraft) -> Result<Vec<u8>, view::Refusal> {
    let kind = NoticeKind::parse(&d.kind)
        .ok_or_else(|| view::Refusal::of_field("outage_kind", "choose a kind".into(), Some("kind")))?;
    let start_ms = time(&d.start, "start")?
        .ok_or_else(|| view::Refusal::of_field("outage_time", "the start is empty".into(), Some("start")))?;
    let published = Published {
        kind,
        title: d.title.trim().to_owned(),
        text: d.text,
        affected: d.affected.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        start_ms,
        expected_end_ms: time(&d.end, "end")?,
    };
    check_alone(&published).map_err(|e| refused(&e))?;
    Ok(OutageNotice::Publish(published).to_bytes())
}

/// Checks the text of an update or all-clear alone: not blank, no personal identity number
/// (the rest of the rules are the ledger's, judged on the prepared record).
fn news(text: &str) -> Result<(), view::Refusal> {
    if text.trim().is_empty() {
        return Err(refused(&Violation::Field(FieldViolation::Empty { field: "text" }).into()));
    }
    no_identity_number("text", text).map_err(|e| refused(&e))
}

/// Whether `notice` is a notice held here: an update, all-clear or acknowledgement of one not
/// held would wait for it rather than be judged, so it is refused before it is offered.
fn held(ledger: &Ledger, notice: &RecordId) -> Result<Result<(), view::Refusal>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    Ok(match outage(ledger.store(), &chain, notice)? {
        Some(_) => Ok(()),
        None => Err(view::Refusal::of_field("unknown_outage", format!("no outage notice {notice} is held here"), None)),
    })
}

/// An update of `notice` from the form: the news and, if typed, a new expected end.
fn update_body(
    ledger: &Ledger,
    notice: RecordId,
    text: String,
    end: &str,
) -> Result<Result<Vec<u8>, view::Refusal>, view::Error> {
    if let Err(refusal) = held(ledger, &notice)? {
        return Ok(Err(refusal));
    }
    let body = news(&text).and_then(|()| {
        let expected_end_ms = time(end, "end")?;
        Ok(OutageNotice::Update { notice, text, expected_end_ms }.to_bytes())
    });
    Ok(body)
}

/// The all-clear of `notice` from the form: what was done.
fn clear_body(ledger: &Ledger, notice: RecordId, text: String) -> Result<Result<Vec<u8>, view::Refusal>, view::Error> {
    if let Err(refusal) = held(ledger, &notice)? {
        return Ok(Err(refusal));
    }
    Ok(news(&text).map(|()| OutageNotice::Clear { notice, text }.to_bytes()))
}

/// What an offered notice, update or all-clear shows the person who signs it.
fn subject(ledger: &Ledger, body: &[u8]) -> Result<view::Subject, view::Error> {
    let notice = OutageNotice::from_bytes(body).map_err(|e| view::Error::Read(Box::new(e)))?;
    let act = notice.act();
    Ok(match notice {
        OutageNotice::Publish(p) => view::Subject::Outage {
            act,
            notice: (None, p.title),
            kind: Some(p.kind.name()),
            text: p.text,
            affected: p.affected,
            start_ms: Some(p.start_ms),
            end_ms: p.expected_end_ms,
        },
        OutageNotice::Update { notice, text, expected_end_ms } => view::Subject::Outage {
            act,
            notice: (Some(notice), title(ledger, &notice)?),
            kind: None,
            text,
            affected: Vec::new(),
            start_ms: None,
            end_ms: expected_end_ms,
        },
        OutageNotice::Clear { notice, text } => view::Subject::Outage {
            act,
            notice: (Some(notice), title(ledger, &notice)?),
            kind: None,
            text,
            affected: Vec::new(),
            start_ms: None,
            end_ms: None,
        },
    })
}

fn title(ledger: &Ledger, notice: &RecordId) -> Result<String, view::Error> {
    Ok(view(ledger, notice, None)?.map(|o| o.row.title).unwrap_or_default())
}

/// The notice, news, all-clear or acknowledgement `action` makes, or why not (the rules judge
/// whether the signer may).
pub fn make(ctx: &Context<'_>, _me: &view::Me, action: ov::Action) -> Making {
    let ledger = ctx.ledger;
    let (kind, body) = match action {
        ov::Action::Acknowledge { notice } => match held(ledger, &notice)? {
            Ok(()) => (Kind::OutageAck, Ok(OutageAck { notice }.to_bytes())),
            Err(refusal) => return Ok(Err(refusal)),
        },
        ov::Action::Publish(draft) => (Kind::OutageNotice, notice_body(draft)),
        ov::Action::Update { notice, text, end } => (Kind::OutageNotice, update_body(ledger, notice, text, &end)?),
        ov::Action::Clear { notice, text } => (Kind::OutageNotice, clear_body(ledger, notice, text)?),
    };
    Ok(body.map(|body| Made::new(kind, body)))
}

/// Outage notices and acknowledgements offered: what they say and where they are read.
pub struct Signing;

impl offer::Domain for Signing {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::OutageNotice, Kind::OutageAck]
    }

    fn subject(&self, ledger: &Ledger, me: &view::Me, _id: RecordId, kind: Kind, body: &[u8]) -> offer::Subject {
        if kind == Kind::OutageNotice {
            return subject(ledger, body);
        }
        let ack = OutageAck::from_bytes(body).map_err(undecodable)?;
        let outage = view(ledger, &ack.notice, None)?.ok_or_else(|| {
            view::Error::Read(
                format!("the outage notice {} of an offered acknowledgement is not held", ack.notice).into(),
            )
        })?;
        Ok(view::Subject::OutageAck { outage: outage.row, member: me.member_name.clone() })
    }

    fn back(&self, kind: Kind, id: &RecordId, body: &[u8]) -> String {
        let notice = match kind {
            Kind::OutageAck => OutageAck::from_bytes(body).ok().map(|a| a.notice),
            _ => OutageNotice::from_bytes(body).ok().and_then(|n| n.names()),
        };
        format!("/driftstorningar/{}", notice.unwrap_or(*id).to_hex())
    }
}

/// One notice in full, with what `me` may do to it.
pub fn view(ledger: &Ledger, id: &RecordId, me: Option<&view::Me>) -> Result<Option<ov::OutageView>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let Some(r) = outage(ledger.store(), &chain, id)? else { return Ok(None) };
    let s = &r.state;
    Ok(Some(ov::OutageView {
        row: row(&r),
        published_ms: s.time_ms,
        text: s.notice.text.clone(),
        updates: s
            .updates
            .iter()
            .map(|u| ov::UpdateView { time_ms: u.time_ms, text: u.text.clone(), after_clear: u.after_clear })
            .collect(),
        cleared_text: s.cleared.as_ref().map(|c| c.text.clone()),
        members: r
            .members
            .iter()
            .map(|m| ov::AckView {
                member: m.member.clone(),
                member_name: m.member_name.clone(),
                acknowledged_ms: m.acknowledged.map(|a| a.2),
            })
            .collect(),
        may_notify: me.is_some_and(may_notify),
    }))
}
