//! The support pages' read models (`samverka_web::view::support`) from [`super`]'s queries, for
//! [`crate::site::Site`]: the pages show what the API serves, read at the node's clock.

use samverka_protocol::support::{Action, ClockKind};
use samverka_protocol::{RecordId, RosterChain};
use samverka_web::view::{self, support as sv};

use super::{breaches, case, cases, now_ms, Case, Inbox};
use crate::governance::{member_name, member_of_key};
use crate::ledger::Ledger;

fn row(c: &Case) -> sv::CaseRow {
    let h = &c.history;
    sv::CaseRow {
        id: h.id,
        member: c.member_name.clone(),
        category: h.case.category.clone(),
        priority: h.case.priority.name(),
        title: h.case.title.clone(),
        stage: h.state.stage.name(),
        paused: h.state.paused,
        reported_ms: h.reported_ms,
        clocks: c
            .clocks
            .iter()
            .map(|(clock, r)| sv::ClockView {
                kind: clock.kind.name(),
                remaining_ms: r.remaining_ms,
                deadline_ms: r.deadline_ms,
                stopped: r.stopped,
                paused: r.paused,
                breached: r.breached,
            })
            .collect(),
    }
}

fn chain(ledger: &Ledger) -> Result<std::sync::Arc<RosterChain>, view::Error> {
    ledger.chain().ok_or(view::Error::NoFederation)
}

/// The cases in `inbox`, read now.
pub fn rows(ledger: &Ledger, inbox: &sv::Inbox) -> Result<Vec<sv::CaseRow>, view::Error> {
    let inbox = match inbox {
        sv::Inbox::All => Inbox::All,
        sv::Inbox::Member(m) => Inbox::Member(m.clone()),
        sv::Inbox::Forvaltning => Inbox::Forvaltning,
    };
    let chain = chain(ledger)?;
    Ok(cases(ledger.store(), &chain, &inbox, now_ms())?.iter().map(row).collect())
}

/// One case with its steps, read now.
pub fn view(ledger: &Ledger, id: &RecordId) -> Result<Option<sv::CaseView>, view::Error> {
    let chain = chain(ledger)?;
    let Some(c) = case(ledger.store(), &chain, id, now_ms())? else { return Ok(None) };
    let steps = c
        .history
        .steps
        .iter()
        .map(|s| sv::StepView {
            time_ms: s.time_ms,
            action: s.action.name(),
            reference: match &s.action {
                Action::Vendor { reference } => Some(reference.clone()),
                _ => None,
            },
            text: s.text.clone(),
            member: member_of_key(&chain, &s.author).map_or_else(String::new, |m| member_name(&chain, &m)),
            counted: s.counted,
        })
        .collect();
    Ok(Some(sv::CaseView { row: row(&c), description: c.history.case.description.clone(), steps }))
}

/// Breaches per member, category and month, read now.
pub fn breach_rows(ledger: &Ledger) -> Result<Vec<sv::BreachRow>, view::Error> {
    let chain = chain(ledger)?;
    let count = |b: &samverka_protocol::support::Breach, k| b.clocks.get(&k).copied().unwrap_or(0);
    Ok(breaches(ledger.store(), now_ms())?
        .iter()
        .map(|(k, b)| sv::BreachRow {
            member: member_name(&chain, &k.member),
            category: k.category.clone(),
            month: k.month.clone(),
            cases: b.cases,
            breached_cases: b.breached_cases,
            clocks: [count(b, ClockKind::Start), count(b, ClockKind::Inform), count(b, ClockKind::Downtime)],
        })
        .collect())
}
