//! The outage pages' and the banner's read models (`samverka_web::view::outage`) from
//! [`super`]'s queries, for [`crate::site::Site`]: the pages show what the API serves.

use samverka_protocol::RecordId;
use samverka_web::view::{self, outage as ov};

use super::{outage, outages, Report};
use crate::ledger::Ledger;

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
    let active = super::active(ledger.store(), &chain)?;
    Ok(active.iter().filter(|r| !r.acknowledged_by(member)).map(row).collect())
}

/// One notice in full.
pub fn view(ledger: &Ledger, id: &RecordId) -> Result<Option<ov::OutageView>, view::Error> {
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
    }))
}
