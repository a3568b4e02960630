//! Utfall: the actual costs the host records for one quarter of a plan, per activity (a
//! förvaltningsplan) or per budget line (a budget), per side — the follow-up that plan and budget
//! pages set against the budget (`docs/plans.md` §10).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{fetch, line, list, Error, Plan, PlanKind, Sides, Violation, MAX_LINE_ORE};
use crate::record::{Body, Kind, Lookup, RecordId};

/// Most lines in one utfall record: one per activity or budget line of the plan.
pub const MAX_OUTCOME_LINES: usize = super::MAX_BUDGET_LINES;

/// The body of an utfall record (kind 33): the actual costs of one quarter of one plan version.
/// A later utfall for the same plan, year and quarter replaces an earlier one (`docs/plans.md`
/// §10: the latest by claimed time, then the author's sequence, then the record id). Fields encode
/// in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The plan version followed up: a förvaltningsplan or a budget.
    pub plan: RecordId,
    /// The calendar year of the quarter.
    pub year: u16,
    /// The quarter, 1 ..= 4 (January–March is 1).
    pub quarter: u8,
    /// The actual costs, one line per activity or budget line that had any.
    pub lines: Vec<OutcomeLine>,
}

impl Body for Outcome {
    const KIND: Kind = Kind::Outcome;
}

/// The actual cost of one activity (or budget line) in the quarter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeLine {
    /// The activity's (or budget line's) name in the plan, matched after trimming.
    pub name: String,
    /// Öre per side. A budget line has one side: its amount is `business`, and `it` is 0.
    pub actual: Sides<u64>,
}

impl Outcome {
    /// The quarter's first and last day, `YYYY-MM-DD` (the last day as `-31`, which compares
    /// after every day of its month).
    pub fn first_and_last_day(&self) -> (String, String) {
        let q = u16::from(self.quarter);
        (format!("{:04}-{:02}-01", self.year, (3 * q).saturating_sub(2)), format!("{:04}-{:02}-31", self.year, 3 * q))
    }
}

/// Checks an utfall body by the rules of `docs/plans.md` §10, in order.
pub(super) fn check(o: &Outcome, lookup: &dyn Lookup) -> Result<(), Error> {
    if !(1..=4).contains(&o.quarter) {
        return Err(Violation::QuarterOutOfRange { quarter: o.quarter }.into());
    }
    if !(2000..=9999).contains(&o.year) {
        return Err(Violation::BadYear { year: o.year }.into());
    }
    if o.lines.is_empty() {
        return Err(Violation::Empty { field: "lines" }.into());
    }
    list("lines", o.lines.len(), MAX_OUTCOME_LINES)?;
    let mut names = BTreeSet::new();
    for l in &o.lines {
        line("utfall line name", &l.name)?;
        if !names.insert(l.name.trim()) {
            return Err(Violation::DuplicateOutcomeLine { name: l.name.clone() }.into());
        }
        for ore in [l.actual.business, l.actual.it] {
            if ore > MAX_LINE_ORE {
                return Err(Violation::AmountTooLarge { ore }.into());
            }
        }
    }
    let (_, plan) = fetch::<Plan>(lookup, &o.plan)?;
    check_against(o, &plan)?;
    Ok(())
}

/// The rules that compare an utfall with the plan it follows up.
fn check_against(o: &Outcome, plan: &Plan) -> Result<(), Violation> {
    let names: BTreeSet<&str> = match plan.kind {
        PlanKind::Forvaltningsplan => plan.activities.iter().map(|a| a.name.trim()).collect(),
        PlanKind::Budget => plan.budget.iter().map(|l| l.name.trim()).collect(),
        PlanKind::Utvecklingsplan => return Err(Violation::NotFollowedUp { kind: plan.kind.name() }),
    };
    let (first, last) = o.first_and_last_day();
    if first > plan.period.last || last < plan.period.first {
        return Err(Violation::QuarterOutsidePeriod { year: o.year, quarter: o.quarter });
    }
    for l in &o.lines {
        if !names.contains(l.name.trim()) {
            return Err(Violation::NotInPlan { name: l.name.clone() });
        }
        if plan.kind == PlanKind::Budget && l.actual.it != 0 {
            return Err(Violation::SideNotInPlan { name: l.name.clone() });
        }
    }
    Ok(())
}
