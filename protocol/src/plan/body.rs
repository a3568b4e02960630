//! The plan body: what a förvaltningsplan, an utvecklingsplan or a budget holds, and its rules.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    fetch, line, list, Days, Error, Violation, MAX_ACTIVITIES, MAX_BUDGET_LINES, MAX_DAYS_PER_FTE, MAX_DAY_RATE_ORE,
    MAX_GOALS, MAX_INITIATIVES, MAX_LINE_ORE, MAX_PERSON_DAYS, MAX_PRIORITY,
};
use crate::charter::MatterKind;
use crate::encoding::check_text;
use crate::governance::Date;
use crate::record::{Body, Kind, Lookup, RecordId};

/// The body of a plan record (kind 30). Fields encode in this order. It holds no total: every
/// total is computed ([`super::totals`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Förvaltningsplan, utvecklingsplan or budget.
    pub kind: PlanKind,
    /// One-line title, e.g. `Förvaltningsplan WebCare 2027`.
    pub title: String,
    /// The period the plan covers; its year is the year of its first day.
    pub period: Period,
    /// The version this one replaces (a plan record of the same kind), if any.
    pub supersedes: Option<RecordId>,
    /// What one person-day costs on each side, in öre.
    pub day_rate: Sides<u64>,
    /// Working days per full-time equivalent (heltid), for the FTE totals.
    pub days_per_fte: u32,
    /// Activities (huvudaktiviteter) with their goals: a förvaltningsplan's content.
    pub activities: Vec<Activity>,
    /// Initiatives in the short and the long term: an utvecklingsplan's content.
    pub initiatives: Vec<Initiative>,
    /// Budget lines: a budget's content.
    pub budget: Vec<BudgetLine>,
}

impl Body for Plan {
    const KIND: Kind = Kind::Plan;
}

/// What a plan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PlanKind {
    /// Förvaltningsplan: activities, goals, person-days and costs for the period.
    Forvaltningsplan,
    /// Utvecklingsplan (digitaliseringsplan): initiatives in the short and the long term.
    Utvecklingsplan,
    /// Budget for a year.
    Budget,
}

impl PlanKind {
    /// Every kind, in code order.
    pub const ALL: [PlanKind; 3] = [PlanKind::Forvaltningsplan, PlanKind::Utvecklingsplan, PlanKind::Budget];

    /// The API's and the import file's name.
    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Forvaltningsplan => "forvaltningsplan",
            PlanKind::Utvecklingsplan => "utvecklingsplan",
            PlanKind::Budget => "budget",
        }
    }

    /// Parses [`PlanKind::name`].
    pub fn parse(name: &str) -> Option<PlanKind> {
        PlanKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind of styrgrupp matter that adopts a plan of this kind.
    pub fn matter_kind(self) -> MatterKind {
        match self {
            PlanKind::Forvaltningsplan => MatterKind::Forvaltningsplan,
            PlanKind::Utvecklingsplan => MatterKind::Utvecklingsplan,
            PlanKind::Budget => MatterKind::Budget,
        }
    }
}

/// The period a plan covers: two dates `YYYY-MM-DD`, first ≤ last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first day.
    pub first: String,
    /// The last day.
    pub last: String,
}

impl Period {
    /// The plan's year: the year of its first day (0 when it is not a date).
    pub fn year(&self) -> u16 {
        Date::parse(&self.first).map_or(0, Date::year)
    }
}

/// A pair of values, one for the verksamhetsnära (business) side and one for the IT-nära side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sides<T> {
    /// Verksamhetsnära förvaltning.
    pub business: T,
    /// IT-nära förvaltning.
    pub it: T,
}

/// One side's resources for a goal or an initiative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effort {
    /// Person-days (persondagar), in hundredths of a day, at most [`MAX_PERSON_DAYS`].
    pub person_days: Days,
    /// Fixed costs (licences, operations, purchases) in öre, at most [`MAX_LINE_ORE`].
    pub fixed_ore: u64,
}

/// An activity (huvudaktivitet): förvaltningsstyrning, användarstöd, ändringshantering, daglig
/// IT-drift och underhåll, or another the host adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// One-line name, unique in the plan (after trimming).
    pub name: String,
    /// The goals (delmål), 1 to [`MAX_GOALS`].
    pub goals: Vec<Goal>,
}

/// A goal (delmål) under an activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// One-line text.
    pub text: String,
    /// VM or VU.
    pub mode: Mode,
    /// Resources per side.
    pub effort: Sides<Effort>,
}

/// Whether a goal maintains (vidmakthålla) or develops (vidareutveckla).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// VM: vidmakthålla.
    Vm,
    /// VU: vidareutveckla, with a priority (1 the highest, up to [`MAX_PRIORITY`]).
    Vu {
        /// The priority.
        priority: u8,
    },
}

/// An utvecklingsplan's initiative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initiative {
    /// One-line title.
    pub title: String,
    /// Short or long term.
    pub term: Term,
    /// What and why, at most [`crate::encoding::MAX_TEXT_BYTES`].
    pub description: String,
    /// Resources per side, priced as a goal's.
    pub effort: Sides<Effort>,
}

/// The term of an initiative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Term {
    /// Kort sikt: within the plan's period.
    Short,
    /// Lång sikt: beyond it.
    Long,
}

/// A line of a budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// One-line name, unique in the budget (after trimming).
    pub name: String,
    /// The amount in öre, at most [`MAX_LINE_ORE`].
    pub amount_ore: u64,
}

/// Checks a plan body by the rules of `docs/plans.md` §3, in order.
pub(super) fn check(p: &Plan, lookup: &dyn Lookup) -> Result<(), Error> {
    line("title", &p.title)?;
    let first = Date::parse(&p.period.first).map_err(|_| Violation::BadDate { field: "period.first" })?;
    let last = Date::parse(&p.period.last).map_err(|_| Violation::BadDate { field: "period.last" })?;
    if last.days() < first.days() {
        return Err(Violation::PeriodReversed { first: p.period.first.clone(), last: p.period.last.clone() }.into());
    }
    if !(1..=MAX_DAYS_PER_FTE).contains(&p.days_per_fte) {
        return Err(Violation::DaysPerFte { days: p.days_per_fte }.into());
    }
    for rate in [p.day_rate.business, p.day_rate.it] {
        if rate > MAX_DAY_RATE_ORE {
            return Err(Violation::DayRateTooLarge { ore: rate }.into());
        }
    }
    check_contents(p)?;
    check_activities(&p.activities)?;
    check_initiatives(&p.initiatives)?;
    check_budget(&p.budget)?;
    if let Some(id) = p.supersedes {
        let (_, old) = fetch::<Plan>(lookup, &id)?;
        if old.kind != p.kind {
            return Err(Violation::SupersedesOtherKind { id, found: old.kind.name() }.into());
        }
    }
    Ok(())
}

/// Each kind holds its own list, at least one entry, and nothing in the others.
fn check_contents(p: &Plan) -> Result<(), Violation> {
    let lists = [("activities", p.activities.len()), ("initiatives", p.initiatives.len()), ("budget", p.budget.len())];
    let own = match p.kind {
        PlanKind::Forvaltningsplan => "activities",
        PlanKind::Utvecklingsplan => "initiatives",
        PlanKind::Budget => "budget",
    };
    for (field, len) in lists {
        if field == own && len == 0 {
            return Err(Violation::Empty { field });
        }
        if field != own && len > 0 {
            return Err(Violation::FieldNotForKind { field, kind: p.kind.name() });
        }
    }
    Ok(())
}

fn check_effort(effort: &Sides<Effort>) -> Result<(), Violation> {
    for e in [effort.business, effort.it] {
        if e.person_days > MAX_PERSON_DAYS {
            return Err(Violation::PersonDaysTooLarge { days: e.person_days });
        }
        if e.fixed_ore > MAX_LINE_ORE {
            return Err(Violation::AmountTooLarge { ore: e.fixed_ore });
        }
    }
    Ok(())
}

fn check_activities(activities: &[Activity]) -> Result<(), Violation> {
    list("activities", activities.len(), MAX_ACTIVITIES)?;
    let mut names = BTreeSet::new();
    for a in activities {
        line("activity name", &a.name)?;
        if !names.insert(a.name.trim()) {
            return Err(Violation::DuplicateActivity { name: a.name.clone() });
        }
        if a.goals.is_empty() {
            return Err(Violation::Empty { field: "goals" });
        }
        list("goals", a.goals.len(), MAX_GOALS)?;
        for g in &a.goals {
            line("goal text", &g.text)?;
            if let Mode::Vu { priority } = g.mode {
                if !(1..=MAX_PRIORITY).contains(&priority) {
                    return Err(Violation::PriorityOutOfRange { priority });
                }
            }
            check_effort(&g.effort)?;
        }
    }
    Ok(())
}

fn check_initiatives(initiatives: &[Initiative]) -> Result<(), Error> {
    list("initiatives", initiatives.len(), MAX_INITIATIVES)?;
    for i in initiatives {
        line("initiative title", &i.title)?;
        check_text("initiative description", &i.description)?;
        check_effort(&i.effort)?;
    }
    Ok(())
}

fn check_budget(lines: &[BudgetLine]) -> Result<(), Violation> {
    list("budget", lines.len(), MAX_BUDGET_LINES)?;
    let mut names = BTreeSet::new();
    for l in lines {
        line("budget line name", &l.name)?;
        if !names.insert(l.name.trim()) {
            return Err(Violation::DuplicateBudgetLine { name: l.name.clone() });
        }
        if l.amount_ore > MAX_LINE_ORE {
            return Err(Violation::AmountTooLarge { ore: l.amount_ore });
        }
    }
    Ok(())
}
