//! The plan pages' read models (`samverka_web::view::plan`) from [`super`]'s queries, for
//! [`crate::site::Site`]: the pages show what the API serves.

use samverka_protocol::RecordId;
use samverka_web::view::{self, plan as pv};

use super::followup::{FollowUp, MemberLine};
use super::{plan_report, plans, PlanSummary};
use crate::ledger::Ledger;

fn follow_up(f: &FollowUp) -> pv::FollowUp {
    let line = |label: &str, by_quarter: Vec<i64>, budget: i64, actual: i64| pv::FollowUpLine {
        label: label.to_owned(),
        by_quarter,
        budget,
        actual,
        difference: budget - actual,
    };
    let sums: Vec<i64> = (0..f.quarters.len())
        .map(|q| f.lines.iter().map(|l| l.by_quarter[q].business.0 + l.by_quarter[q].it.0).sum())
        .collect();
    pv::FollowUp {
        quarters: f.quarters.iter().map(|q| (q.year, q.quarter)).collect(),
        lines: f
            .lines
            .iter()
            .map(|l| {
                let by_quarter = l.by_quarter.iter().map(|q| q.business.0 + q.it.0).collect();
                line(&l.name, by_quarter, l.budget_total().0, l.actual_total().0)
            })
            .collect(),
        total: line("", sums, f.budget().0, f.actual().0),
    }
}

fn members(chain: &samverka_protocol::RosterChain, lines: &[MemberLine]) -> pv::FollowUp {
    let line = |label: String, budget: i64, actual: i64| pv::FollowUpLine {
        label,
        by_quarter: Vec::new(),
        budget,
        actual,
        difference: budget - actual,
    };
    pv::FollowUp {
        quarters: Vec::new(),
        lines: lines
            .iter()
            .map(|m| line(crate::governance::member_name(chain, &m.member), m.budget.0, m.actual.0))
            .collect(),
        total: line(String::new(), lines.iter().map(|m| m.budget.0).sum(), lines.iter().map(|m| m.actual.0).sum()),
    }
}

fn row(s: &PlanSummary) -> pv::PlanRow {
    pv::PlanRow {
        id: s.plan.id(),
        plan: s.plan.body.clone(),
        time_ms: s.plan.record.header().time_ms,
        total_ore: s.totals.total.0,
        faststalld: matches!(s.adoption, samverka_protocol::plan::Adoption::Adopted { .. }),
        receipted: s.receipted,
        members: s.members,
    }
}

/// Every plan version held, oldest first.
pub fn rows(ledger: &Ledger) -> Result<Vec<pv::PlanRow>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    Ok(plans(ledger.store(), &chain)?.iter().map(row).collect())
}

/// One plan version in full.
pub fn view(ledger: &Ledger, id: &RecordId) -> Result<Option<pv::PlanView>, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let Some(r) = plan_report(ledger.store(), &chain, id)? else { return Ok(None) };
    Ok(Some(pv::PlanView {
        row: row(&r.summary),
        totals: r.summary.totals.clone(),
        adoption: r.summary.adoption.clone(),
        receipts: r
            .receipts
            .iter()
            .map(|l| pv::Receipt { member: l.member_name.clone(), received_ms: l.receipt.map(|(_, ms)| ms) })
            .collect(),
        previous: r.previous.as_ref().map(|p| p.id()),
        changes: r.changes.clone(),
        follow_up: follow_up(&r.follow_up),
    }))
}

/// The invoice basis for `year`, or why there is none.
pub fn invoice(ledger: &Ledger, year: u16) -> Result<pv::Invoice, view::Error> {
    let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
    let basis = match super::invoice_basis(ledger.store(), year) {
        Ok(b) => b,
        Err(super::Refusal::Query(e)) => return Err(e.into()),
        Err(super::Refusal::NoAdoptedBudget(_)) => return Ok(pv::Invoice::NoAdoptedBudget),
        Err(super::Refusal::NoAdoptedKey(_)) => return Ok(pv::Invoice::NoAdoptedKey),
        Err(r @ super::Refusal::Split(_)) => return Ok(pv::Invoice::Refused(r.code())),
    };
    let lines = basis
        .split
        .lines
        .iter()
        .zip(&basis.key.body.entries)
        .map(|(l, e)| {
            (
                crate::governance::member_name(&chain, &l.member),
                l.member.clone(),
                samverka_protocol::cost::Weight::from_millionths(e.weight_millionths).to_string(),
                l.amount.0,
            )
        })
        .collect();
    let basis_name = basis.key.body.key().map_or("?", |k| k.basis().name());
    Ok(pv::Invoice::Ready(Box::new(pv::InvoiceView {
        budget: (basis.budget.id(), basis.budget.body.title.clone()),
        key: (basis.key.body.title.clone(), basis_name),
        lines,
        total_ore: basis.split.total().0,
        follow_up: follow_up(&basis.follow_up),
        members: members(&chain, &basis.members),
    })))
}
