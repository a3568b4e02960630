//! Totals a person typed (in an imported plan) against the totals every node computes: each one
//! that disagrees is reported on its own line with a stable code (`docs/plans.md` §2.3). Claims
//! are never stored: the record holds the lines only.

use super::{Days, Plan, Sides, Totals};
use crate::cost::Ore;

/// A goal's typed sums per side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoalClaims {
    /// The typed `summa` per side.
    pub cost: Sides<Option<Ore>>,
}

/// An activity's typed totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityClaims {
    /// Per goal, in the activity's order (fewer than the goals is fine).
    pub goals: Vec<GoalClaims>,
    /// `Summa kronor vidmakthållande (VM)` per side.
    pub vm: Sides<Option<Ore>>,
    /// `Summa kronor vidareutveckling (VU)` per side.
    pub vu: Sides<Option<Ore>>,
    /// `Totalt kronor` per side.
    pub cost: Sides<Option<Ore>>,
    /// `Totalt persondagar` per side.
    pub days: Sides<Option<Days>>,
    /// Full-time equivalents, in hundredths.
    pub fte_hundredths: Option<u64>,
}

/// Every total an imported plan may type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// Per activity, in the plan's order.
    pub activities: Vec<ActivityClaims>,
    /// VM cost per side over the plan.
    pub vm: Sides<Option<Ore>>,
    /// VU cost per side over the plan.
    pub vu: Sides<Option<Ore>>,
    /// The budget lines' sum.
    pub budget: Option<Ore>,
    /// The grand total.
    pub total: Option<Ore>,
    /// Full-time equivalents in all, in hundredths.
    pub fte_hundredths: Option<u64>,
}

/// One typed total that disagrees with the lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// Stable code: which total (`goal_cost_mismatch`, `activity_vm_mismatch`, …).
    pub code: &'static str,
    /// Where, as a person reads it: `Förvaltningsstyrning, delmål 1, verksamhetsnära`.
    pub place: String,
    /// What was typed (öre, hundredths of a person-day or hundredths of an FTE, by the code).
    pub claimed: i64,
    /// What the lines give.
    pub computed: i64,
}

struct Report<'a> {
    out: &'a mut Vec<Disagreement>,
}

impl Report<'_> {
    fn check(&mut self, code: &'static str, place: String, claimed: Option<i64>, computed: i64) {
        if let Some(claimed) = claimed.filter(|c| *c != computed) {
            self.out.push(Disagreement { code, place, claimed, computed });
        }
    }

    fn sides(&mut self, code: &'static str, place: &str, claimed: Sides<Option<Ore>>, computed: Sides<Ore>) {
        self.check(code, format!("{place}verksamhetsnära"), claimed.business.map(|o| o.0), computed.business.0);
        self.check(code, format!("{place}IT-nära"), claimed.it.map(|o| o.0), computed.it.0);
    }
}

fn days(n: u64) -> i64 {
    i64::try_from(n).expect("bounded person-days fit in i64")
}

fn hundredths(d: Days) -> i64 {
    days(d.hundredths())
}

/// Every claim in `claims` that disagrees with `totals` (computed from `plan`), in the plan's
/// order: goals, then the activity's sums, activity by activity, then the plan's.
pub fn compare(plan: &Plan, totals: &Totals, claims: &Claims) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let mut r = Report { out: &mut out };
    for ((a, at), ac) in plan.activities.iter().zip(&totals.activities).zip(&claims.activities) {
        for (i, (gt, gc)) in at.goals.iter().zip(&ac.goals).enumerate() {
            r.sides("goal_cost_mismatch", &format!("{}, delmål {}, ", a.name, i + 1), gc.cost, gt.cost);
        }
        let place = format!("{}, ", a.name);
        r.sides("activity_vm_mismatch", &format!("{place}VM, "), ac.vm, at.vm);
        r.sides("activity_vu_mismatch", &format!("{place}VU, "), ac.vu, at.vu);
        r.sides("activity_cost_mismatch", &format!("{place}totalt kronor, "), ac.cost, at.cost);
        let d = format!("{place}totalt persondagar, ");
        r.check(
            "activity_days_mismatch",
            format!("{d}verksamhetsnära"),
            ac.days.business.map(hundredths),
            hundredths(at.days.business),
        );
        r.check("activity_days_mismatch", format!("{d}IT-nära"), ac.days.it.map(hundredths), hundredths(at.days.it));
        r.check(
            "activity_fte_mismatch",
            format!("{place}heltider"),
            ac.fte_hundredths.map(days),
            days(at.fte_hundredths),
        );
    }
    r.sides("plan_vm_mismatch", "summa VM, ", claims.vm, totals.vm);
    r.sides("plan_vu_mismatch", "summa VU, ", claims.vu, totals.vu);
    r.check("budget_total_mismatch", "budget, summa".into(), claims.budget.map(|o| o.0), totals.budget.0);
    r.check("grand_total_mismatch", "summa kronor".into(), claims.total.map(|o| o.0), totals.total.0);
    r.check("fte_mismatch", "summa heltider".into(), claims.fte_hundredths.map(days), days(totals.fte_hundredths));
    out
}
