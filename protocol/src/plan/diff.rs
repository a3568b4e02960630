//! What changed between two versions of a plan (`docs/plans.md` §6): activities matched by name,
//! goals by text within their activity, initiatives by title, budget lines by name.

use super::{totals, Goal, Initiative, Period, Plan, Sides};
use crate::cost::Ore;

/// One difference between an older and a newer version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The title changed.
    Title {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// The period changed.
    Period {
        /// Before.
        before: Period,
        /// After.
        after: Period,
    },
    /// A day rate changed.
    DayRate {
        /// Before, öre per person-day.
        before: Sides<u64>,
        /// After.
        after: Sides<u64>,
    },
    /// The days per FTE changed.
    DaysPerFte {
        /// Before.
        before: u32,
        /// After.
        after: u32,
    },
    /// An activity is new.
    ActivityAdded {
        /// Its name.
        name: String,
    },
    /// An activity is gone.
    ActivityRemoved {
        /// Its name.
        name: String,
    },
    /// A goal is new.
    GoalAdded {
        /// The activity.
        activity: String,
        /// The goal.
        goal: Goal,
    },
    /// A goal is gone.
    GoalRemoved {
        /// The activity.
        activity: String,
        /// The goal.
        goal: Goal,
    },
    /// A goal's mode or effort changed.
    GoalChanged {
        /// The activity.
        activity: String,
        /// Before.
        before: Goal,
        /// After.
        after: Goal,
    },
    /// An initiative is new.
    InitiativeAdded {
        /// It.
        initiative: Initiative,
    },
    /// An initiative is gone.
    InitiativeRemoved {
        /// It.
        initiative: Initiative,
    },
    /// An initiative changed.
    InitiativeChanged {
        /// Before.
        before: Initiative,
        /// After.
        after: Initiative,
    },
    /// A budget line is new.
    BudgetLineAdded {
        /// Its name.
        name: String,
        /// Its amount.
        amount: Ore,
    },
    /// A budget line is gone.
    BudgetLineRemoved {
        /// Its name.
        name: String,
        /// Its amount.
        amount: Ore,
    },
    /// A budget line's amount changed.
    BudgetLineChanged {
        /// Its name.
        name: String,
        /// Before.
        before: Ore,
        /// After.
        after: Ore,
    },
    /// The grand total changed.
    Total {
        /// Before.
        before: Ore,
        /// After.
        after: Ore,
    },
}

impl Change {
    /// The API's name of the change.
    pub fn code(&self) -> &'static str {
        match self {
            Change::Title { .. } => "title",
            Change::Period { .. } => "period",
            Change::DayRate { .. } => "day_rate",
            Change::DaysPerFte { .. } => "days_per_fte",
            Change::ActivityAdded { .. } => "activity_added",
            Change::ActivityRemoved { .. } => "activity_removed",
            Change::GoalAdded { .. } => "goal_added",
            Change::GoalRemoved { .. } => "goal_removed",
            Change::GoalChanged { .. } => "goal_changed",
            Change::InitiativeAdded { .. } => "initiative_added",
            Change::InitiativeRemoved { .. } => "initiative_removed",
            Change::InitiativeChanged { .. } => "initiative_changed",
            Change::BudgetLineAdded { .. } => "budget_line_added",
            Change::BudgetLineRemoved { .. } => "budget_line_removed",
            Change::BudgetLineChanged { .. } => "budget_line_changed",
            Change::Total { .. } => "total",
        }
    }
}

/// Pairs items of `old` and `new` by `key`: (old, new) for each, in `old`'s order then the new
/// ones in `new`'s order. The first of several items with one key is the one paired.
fn pair<'a, T, K: PartialEq>(old: &'a [T], new: &'a [T], key: impl Fn(&T) -> K) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    let mut out: Vec<(Option<&T>, Option<&T>)> =
        old.iter().map(|o| (Some(o), new.iter().find(|n| key(n) == key(o)))).collect();
    out.extend(new.iter().filter(|n| !old.iter().any(|o| key(o) == key(n))).map(|n| (None, Some(n))));
    out
}

/// Every difference from `old` to `new`, in the order of §6 of `docs/plans.md`.
pub fn diff(old: &Plan, new: &Plan) -> Vec<Change> {
    let mut out = Vec::new();
    if old.title != new.title {
        out.push(Change::Title { before: old.title.clone(), after: new.title.clone() });
    }
    if old.period != new.period {
        out.push(Change::Period { before: old.period.clone(), after: new.period.clone() });
    }
    if old.day_rate != new.day_rate {
        out.push(Change::DayRate { before: old.day_rate, after: new.day_rate });
    }
    if old.days_per_fte != new.days_per_fte {
        out.push(Change::DaysPerFte { before: old.days_per_fte, after: new.days_per_fte });
    }
    for (o, n) in pair(&old.activities, &new.activities, |a| a.name.trim().to_owned()) {
        match (o, n) {
            (Some(o), None) => out.push(Change::ActivityRemoved { name: o.name.clone() }),
            (None, Some(n)) => out.push(Change::ActivityAdded { name: n.name.clone() }),
            (Some(o), Some(n)) => {
                let activity = n.name.clone();
                for (og, ng) in pair(&o.goals, &n.goals, |g| g.text.trim().to_owned()) {
                    match (og, ng) {
                        (Some(g), None) => {
                            out.push(Change::GoalRemoved { activity: activity.clone(), goal: g.clone() })
                        }
                        (None, Some(g)) => out.push(Change::GoalAdded { activity: activity.clone(), goal: g.clone() }),
                        (Some(a), Some(b)) if a != b => out.push(Change::GoalChanged {
                            activity: activity.clone(),
                            before: a.clone(),
                            after: b.clone(),
                        }),
                        _ => {}
                    }
                }
            }
            (None, None) => {}
        }
    }
    for (o, n) in pair(&old.initiatives, &new.initiatives, |i| i.title.trim().to_owned()) {
        match (o, n) {
            (Some(i), None) => out.push(Change::InitiativeRemoved { initiative: i.clone() }),
            (None, Some(i)) => out.push(Change::InitiativeAdded { initiative: i.clone() }),
            (Some(a), Some(b)) if a != b => out.push(Change::InitiativeChanged { before: a.clone(), after: b.clone() }),
            _ => {}
        }
    }
    for (o, n) in pair(&old.budget, &new.budget, |l| l.name.trim().to_owned()) {
        let amount = |o: u64| Ore(i64::try_from(o).expect("a budget line is at most MAX_LINE_ORE"));
        match (o, n) {
            (Some(l), None) => {
                out.push(Change::BudgetLineRemoved { name: l.name.clone(), amount: amount(l.amount_ore) })
            }
            (None, Some(l)) => out.push(Change::BudgetLineAdded { name: l.name.clone(), amount: amount(l.amount_ore) }),
            (Some(a), Some(b)) if a.amount_ore != b.amount_ore => out.push(Change::BudgetLineChanged {
                name: b.name.clone(),
                before: amount(a.amount_ore),
                after: amount(b.amount_ore),
            }),
            _ => {}
        }
    }
    let (before, after) = (totals(old).total, totals(new).total);
    if before != after {
        out.push(Change::Total { before, after });
    }
    out
}
