//! Uppföljning: a plan's budget against its utfall (actual costs), per activity (or budget line)
//! and quarter, and each member's share of both by the adopted cost key. Pure functions of the
//! records held; `docs/plans.md` §10 is the rule.

use std::collections::BTreeMap;

use samverka_protocol::cost::{self, Ore};
use samverka_protocol::plan::{Outcome, Plan, PlanKind, Sides, Totals};
use samverka_protocol::RecordId;

use crate::governance::Held;

/// The utfall in force for one quarter: the latest record for the plan, year and quarter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarter {
    /// The year.
    pub year: u16,
    /// The quarter, 1 ..= 4.
    pub quarter: u8,
    /// The utfall record in force.
    pub record: RecordId,
    /// Its claimed time.
    pub time_ms: i64,
}

/// Budget, utfall and avvikelse (difference) of one activity or budget line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The activity's or budget line's name, as the plan writes it.
    pub name: String,
    /// The budget per side: the activity's computed cost, or the budget line's amount
    /// (verksamhetsnära).
    pub budget: Sides<Ore>,
    /// The utfall per quarter, in the order of [`FollowUp::quarters`].
    pub by_quarter: Vec<Sides<Ore>>,
    /// The utfall per side over every quarter.
    pub actual: Sides<Ore>,
}

impl Line {
    /// The budget, both sides.
    pub fn budget_total(&self) -> Ore {
        both(self.budget)
    }

    /// The utfall, both sides.
    pub fn actual_total(&self) -> Ore {
        both(self.actual)
    }

    /// Avvikelse: budget minus utfall (positive: under budget).
    pub fn difference(&self) -> Ore {
        Ore(self.budget_total().0 - self.actual_total().0)
    }
}

/// A plan's follow-up: every activity (or budget line) with its budget, its utfall per quarter
/// and in all, and the difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    /// The quarters with an utfall in force, in calendar order.
    pub quarters: Vec<Quarter>,
    /// One line per activity (förvaltningsplan) or budget line (budget), in the plan's order.
    pub lines: Vec<Line>,
}

impl FollowUp {
    /// The budget over every line.
    pub fn budget(&self) -> Ore {
        Ore(self.lines.iter().map(|l| l.budget_total().0).sum())
    }

    /// The utfall over every line and quarter.
    pub fn actual(&self) -> Ore {
        Ore(self.lines.iter().map(|l| l.actual_total().0).sum())
    }

    /// Avvikelse over the plan: budget minus utfall.
    pub fn difference(&self) -> Ore {
        Ore(self.budget().0 - self.actual().0)
    }
}

fn both(s: Sides<Ore>) -> Ore {
    Ore(s.business.0 + s.it.0)
}

fn ore(n: u64) -> Ore {
    Ore(i64::try_from(n).expect("an utfall line is at most MAX_LINE_ORE"))
}

/// The utfall in force per quarter among `outcomes` (any plan's): for each year and quarter of
/// `plan`, the latest by claimed time, then the author's sequence, then the record id — so a
/// corrected utfall replaces the earlier one on every node alike, whatever order they arrived in.
pub fn in_force(plan: &RecordId, outcomes: &[Held<Outcome>]) -> Vec<Held<Outcome>> {
    let mut latest: BTreeMap<(u16, u8), &Held<Outcome>> = BTreeMap::new();
    let rank = |o: &Held<Outcome>| (o.record.header().time_ms, o.record.header().seq, o.id());
    for o in outcomes.iter().filter(|o| o.body.plan == *plan) {
        let slot = latest.entry((o.body.year, o.body.quarter)).or_insert(o);
        if rank(o) > rank(slot) {
            *slot = o;
        }
    }
    latest.into_values().cloned().collect()
}

/// The follow-up of `plan` (with its `totals`) from the utfall held (any plan's: those of other
/// plans are skipped). A line of an utfall the plan does not name cannot be held: the rules
/// refuse it (`not_in_plan`).
pub fn follow_up(plan: &Held<Plan>, totals: &Totals, outcomes: &[Held<Outcome>]) -> FollowUp {
    let p = &plan.body;
    let budgets: Vec<(String, Sides<Ore>)> = match p.kind {
        PlanKind::Forvaltningsplan => {
            p.activities.iter().zip(&totals.activities).map(|(a, t)| (a.name.clone(), t.cost)).collect()
        }
        PlanKind::Budget => {
            p.budget.iter().map(|l| (l.name.clone(), Sides { business: ore(l.amount_ore), it: Ore(0) })).collect()
        }
        PlanKind::Utvecklingsplan => Vec::new(),
    };
    let held = in_force(&plan.id(), outcomes);
    let quarters = held
        .iter()
        .map(|o| Quarter {
            year: o.body.year,
            quarter: o.body.quarter,
            record: o.id(),
            time_ms: o.record.header().time_ms,
        })
        .collect();
    let lines = budgets
        .into_iter()
        .map(|(name, budget)| {
            let by_quarter: Vec<Sides<Ore>> =
                held.iter()
                    .map(|o| {
                        o.body.lines.iter().find(|l| l.name.trim() == name.trim()).map_or_else(Sides::default, |l| {
                            Sides { business: ore(l.actual.business), it: ore(l.actual.it) }
                        })
                    })
                    .collect();
            let actual = by_quarter.iter().fold(Sides::default(), |a: Sides<Ore>, q| Sides {
                business: Ore(a.business.0 + q.business.0),
                it: Ore(a.it.0 + q.it.0),
            });
            Line { name, budget, by_quarter, actual }
        })
        .collect();
    FollowUp { quarters, lines }
}

/// One member's share of the budget and of the utfall, by the cost key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberLine {
    /// The member, as the key names it.
    pub member: String,
    /// Its share of the budget.
    pub budget: Ore,
    /// Its share of the utfall.
    pub actual: Ore,
}

impl MemberLine {
    /// Avvikelse: the member's budget share minus its utfall share.
    pub fn difference(&self) -> Ore {
        Ore(self.budget.0 - self.actual.0)
    }
}

/// Each member's share of `follow`'s budget and utfall by `key`: both split to the öre by
/// [`cost::split`], so each column sums exactly to its total, and so does the difference.
pub fn per_member(follow: &FollowUp, key: &cost::Key) -> Result<Vec<MemberLine>, cost::Violation> {
    let budget = cost::split(follow.budget(), key)?;
    let actual = cost::split(follow.actual(), key)?;
    Ok(budget
        .lines
        .into_iter()
        .zip(actual.lines)
        .map(|(b, a)| {
            assert_eq!(b.member, a.member, "two splits by one key list the members alike");
            MemberLine { member: b.member, budget: b.amount, actual: a.amount }
        })
        .collect())
}
