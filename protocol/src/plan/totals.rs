//! Every total of a plan, computed from its lines (`docs/plans.md` §2). Nothing here is typed by
//! a person: the same body gives the same totals on every node.

use super::{Days, Effort, Mode, Plan, Sides, Term};
use crate::cost::Ore;

/// A goal's (or an initiative's) cost per side and in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GoalTotals {
    /// Cost per side: person-days × the side's day rate, rounded to the öre half to even
    /// ([`Days::price`]), + fixed costs.
    pub cost: Sides<Ore>,
    /// Person-days per side.
    pub days: Sides<Days>,
    /// Both sides.
    pub total: Ore,
}

/// An activity's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityTotals {
    /// The activity's name.
    pub name: String,
    /// Per goal, in the plan's order.
    pub goals: Vec<GoalTotals>,
    /// VM goals' cost per side.
    pub vm: Sides<Ore>,
    /// VU goals' cost per side.
    pub vu: Sides<Ore>,
    /// All goals' cost per side.
    pub cost: Sides<Ore>,
    /// All goals' person-days per side.
    pub days: Sides<Days>,
    /// Both sides.
    pub total: Ore,
    /// Full-time equivalents, in hundredths, from the activity's person-days on both sides.
    pub fte_hundredths: u64,
}

/// Every total of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Per activity, in the plan's order.
    pub activities: Vec<ActivityTotals>,
    /// VM cost per side, over every activity.
    pub vm: Sides<Ore>,
    /// VU cost per side, over every activity.
    pub vu: Sides<Ore>,
    /// Per initiative, in the plan's order.
    pub initiatives: Vec<GoalTotals>,
    /// Short-term initiatives' cost per side.
    pub short_term: Sides<Ore>,
    /// Long-term initiatives' cost per side.
    pub long_term: Sides<Ore>,
    /// The budget lines' sum.
    pub budget: Ore,
    /// Cost per side: activities and initiatives.
    pub cost: Sides<Ore>,
    /// Person-days per side: activities and initiatives.
    pub days: Sides<Days>,
    /// Full-time equivalents per side, in hundredths.
    pub fte_side_hundredths: Sides<u64>,
    /// Full-time equivalents in all, in hundredths, from all person-days (not the rounded sides).
    pub fte_hundredths: u64,
    /// The grand total: both sides' cost plus the budget lines.
    pub total: Ore,
}

/// `days / days_per_fte` in hundredths, rounded half up. `days_per_fte` 0 gives 0.
pub fn fte_hundredths(days: Days, days_per_fte: u32) -> u64 {
    let d = u128::from(days_per_fte);
    if d == 0 {
        return 0;
    }
    // days / d FTE is days.hundredths() / d hundredths of an FTE.
    let h = (u128::from(days.hundredths()) * 2 + d) / (2 * d);
    u64::try_from(h).expect("bounded person-days give a bounded FTE")
}

fn ore(value: u128) -> Ore {
    Ore(i64::try_from(value).expect("the plan limits keep every total within i64 (docs/plans.md §2)"))
}

fn add(a: Sides<Ore>, b: Sides<Ore>) -> Sides<Ore> {
    Sides { business: Ore(a.business.0 + b.business.0), it: Ore(a.it.0 + b.it.0) }
}

fn add_days(a: Sides<Days>, b: Sides<Days>) -> Sides<Days> {
    Sides { business: a.business + b.business, it: a.it + b.it }
}

fn price(effort: &Sides<Effort>, rate: &Sides<u64>) -> GoalTotals {
    let side = |e: Effort, r: u64| Ore(e.person_days.price(r).0 + ore(u128::from(e.fixed_ore)).0);
    let cost = Sides { business: side(effort.business, rate.business), it: side(effort.it, rate.it) };
    let days = Sides { business: effort.business.person_days, it: effort.it.person_days };
    GoalTotals { cost, days, total: Ore(cost.business.0 + cost.it.0) }
}

/// Computes every total of `plan` from its lines.
pub fn totals(plan: &Plan) -> Totals {
    let mut t = Totals::default();
    for a in &plan.activities {
        let mut at = ActivityTotals { name: a.name.clone(), ..ActivityTotals::default() };
        for g in &a.goals {
            let gt = price(&g.effort, &plan.day_rate);
            match g.mode {
                Mode::Vm => at.vm = add(at.vm, gt.cost),
                Mode::Vu { .. } => at.vu = add(at.vu, gt.cost),
            }
            at.cost = add(at.cost, gt.cost);
            at.days = add_days(at.days, gt.days);
            at.goals.push(gt);
        }
        at.total = Ore(at.cost.business.0 + at.cost.it.0);
        at.fte_hundredths = fte_hundredths(at.days.business + at.days.it, plan.days_per_fte);
        t.vm = add(t.vm, at.vm);
        t.vu = add(t.vu, at.vu);
        t.cost = add(t.cost, at.cost);
        t.days = add_days(t.days, at.days);
        t.activities.push(at);
    }
    for i in &plan.initiatives {
        let it = price(&i.effort, &plan.day_rate);
        match i.term {
            Term::Short => t.short_term = add(t.short_term, it.cost),
            Term::Long => t.long_term = add(t.long_term, it.cost),
        }
        t.cost = add(t.cost, it.cost);
        t.days = add_days(t.days, it.days);
        t.initiatives.push(it);
    }
    t.budget = ore(plan.budget.iter().map(|l| u128::from(l.amount_ore)).sum());
    t.fte_side_hundredths = Sides {
        business: fte_hundredths(t.days.business, plan.days_per_fte),
        it: fte_hundredths(t.days.it, plan.days_per_fte),
    };
    t.fte_hundredths = fte_hundredths(t.days.business + t.days.it, plan.days_per_fte);
    t.total = Ore(t.cost.business.0 + t.cost.it.0 + t.budget.0);
    t
}
