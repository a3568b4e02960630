//! The plan import format (TOML, `docs/plans.md` §8): the lines of a förvaltningsplan,
//! utvecklingsplan or budget as a person writes them, optionally with the totals the original
//! document typed. The totals are never stored: they are compared with what the lines give, and
//! each one that disagrees is reported.

use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{
    Activity, ActivityClaims, BudgetLine, Claims, Days, Effort, Goal, GoalClaims, Initiative, Mode, Period, Plan,
    PlanKind, Sides, Term,
};
use samverka_protocol::RecordId;
use serde::Deserialize;

/// Why an import file is not a plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not TOML, or not this format (the message names the line).
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    /// A field's value is wrong.
    #[error("{place}: {message}")]
    Field {
        /// Where (`activity 2, goal 3, business.fixed`).
        place: String,
        /// What is wrong.
        message: String,
    },
}

fn field(place: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Field { place: place.into(), message: message.into() }
}

/// A plan read from an import file, with the totals it typed.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The plan body.
    pub plan: Plan,
    /// The typed totals.
    pub claims: Claims,
}

/// An amount in SEK: a number of kronor, or text as people write it (`1 500 000,00`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum Amount {
    Whole(u64),
    Text(String),
}

impl Amount {
    fn ore(&self, place: &str) -> Result<Ore, Error> {
        match self {
            Amount::Whole(n) => i64::try_from(*n)
                .ok()
                .and_then(|n| n.checked_mul(100))
                .map(Ore)
                .ok_or_else(|| field(place, "the amount is too large")),
            Amount::Text(t) => Ore::parse_sek(t).map_err(|e| field(place, e.to_string())),
        }
    }

    fn unsigned(&self, place: &str) -> Result<u64, Error> {
        Ok(u64::try_from(self.ore(place)?.0).expect("a parsed amount is not negative"))
    }
}

/// Person-days: a whole number (`26`), a TOML decimal (`0.5`) or text (`"12,5"`), at most two
/// decimals.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum DaysValue {
    Whole(u64),
    Decimal(f64),
    Text(String),
}

impl DaysValue {
    fn days(&self, place: &str) -> Result<Days, Error> {
        let too_large = || field(place, "too many person-days");
        match self {
            DaysValue::Whole(n) => n.checked_mul(100).map(Days).ok_or_else(too_large),
            // A float's shortest round-trip text is what the person typed (`0.5`, `12.25`).
            DaysValue::Decimal(x) => Days::parse(&x.to_string()).map_err(|e| field(place, e)),
            DaysValue::Text(t) => Days::parse(t).map_err(|e| field(place, e)),
        }
    }
}

fn opt_days(d: &Option<DaysValue>, place: &str) -> Result<Option<Days>, Error> {
    d.as_ref().map(|d| d.days(place)).transpose()
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct PairFile {
    business: Option<Amount>,
    it: Option<Amount>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct DaysFile {
    business: Option<DaysValue>,
    it: Option<DaysValue>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct SideFile {
    days: Option<DaysValue>,
    fixed: Option<Amount>,
    /// The typed `summa` of this side.
    claimed: Option<Amount>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct GoalFile {
    text: String,
    mode: String,
    priority: Option<u8>,
    #[serde(default)]
    business: SideFile,
    #[serde(default)]
    it: SideFile,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ActivityClaimsFile {
    vm: Option<PairFile>,
    vu: Option<PairFile>,
    total: Option<PairFile>,
    days: Option<DaysFile>,
    fte: Option<Amount>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ActivityFile {
    name: String,
    #[serde(default)]
    goal: Vec<GoalFile>,
    #[serde(default)]
    claimed: ActivityClaimsFile,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct InitiativeFile {
    title: String,
    term: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    business: SideFile,
    #[serde(default)]
    it: SideFile,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    name: String,
    amount: Amount,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    vm: Option<PairFile>,
    vu: Option<PairFile>,
    budget: Option<Amount>,
    total: Option<Amount>,
    fte: Option<Amount>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    kind: String,
    title: String,
    first_day: String,
    last_day: String,
    supersedes: Option<String>,
    #[serde(default = "default_days_per_fte")]
    days_per_fte: u32,
    #[serde(default)]
    day_rate: PairFile,
    #[serde(default)]
    activity: Vec<ActivityFile>,
    #[serde(default)]
    initiative: Vec<InitiativeFile>,
    #[serde(default)]
    budget: Vec<BudgetFile>,
    #[serde(default)]
    claimed: ClaimsFile,
}

fn default_days_per_fte() -> u32 {
    200
}

fn opt(a: &Option<Amount>, place: &str) -> Result<Option<Ore>, Error> {
    a.as_ref().map(|a| a.ore(place)).transpose()
}

fn pair(p: &Option<PairFile>, place: &str) -> Result<Sides<Option<Ore>>, Error> {
    let Some(p) = p else { return Ok(Sides::default()) };
    Ok(Sides { business: opt(&p.business, &format!("{place}.business"))?, it: opt(&p.it, &format!("{place}.it"))? })
}

fn effort(s: &SideFile, place: &str) -> Result<Effort, Error> {
    let fixed_ore = match &s.fixed {
        Some(a) => a.unsigned(&format!("{place}.fixed"))?,
        None => 0,
    };
    let person_days = opt_days(&s.days, &format!("{place}.days"))?.unwrap_or_default();
    Ok(Effort { person_days, fixed_ore })
}

fn efforts(business: &SideFile, it: &SideFile, place: &str) -> Result<Sides<Effort>, Error> {
    Ok(Sides { business: effort(business, &format!("{place}, business"))?, it: effort(it, &format!("{place}, it"))? })
}

fn mode(g: &GoalFile, place: &str) -> Result<Mode, Error> {
    match (g.mode.trim().to_ascii_uppercase().as_str(), g.priority) {
        ("VM", None) => Ok(Mode::Vm),
        ("VM", Some(_)) => Err(field(place, "a VM goal has no priority")),
        ("VU", Some(priority)) => Ok(Mode::Vu { priority }),
        ("VU", None) => Err(field(place, "a VU goal has a priority (1 is the highest)")),
        (other, _) => Err(field(place, format!("mode is VM or VU, not {other:?}"))),
    }
}

/// Reads a plan from the import format.
pub fn parse(text: &str) -> Result<Imported, Error> {
    let f: PlanFile = toml::from_str(text)?;
    let kind =
        PlanKind::parse(&f.kind).ok_or_else(|| field("kind", "kind is forvaltningsplan, utvecklingsplan or budget"))?;
    let supersedes = match &f.supersedes {
        Some(hex) => Some(RecordId::from_hex(hex).map_err(|_| field("supersedes", "a record id is 64 hex digits"))?),
        None => None,
    };
    let rate = |a: &Option<Amount>, side: &str| -> Result<u64, Error> {
        match a {
            Some(a) => a.unsigned(&format!("day_rate.{side}")),
            None => Ok(0),
        }
    };
    let mut activities = Vec::new();
    let mut activity_claims = Vec::new();
    for (i, a) in f.activity.iter().enumerate() {
        let place = format!("activity {} ({})", i + 1, a.name);
        let mut goals = Vec::new();
        let mut goal_claims = Vec::new();
        for (j, g) in a.goal.iter().enumerate() {
            let gp = format!("{place}, goal {}", j + 1);
            goals.push(Goal { text: g.text.clone(), mode: mode(g, &gp)?, effort: efforts(&g.business, &g.it, &gp)? });
            goal_claims.push(GoalClaims {
                cost: Sides {
                    business: opt(&g.business.claimed, &format!("{gp}, business.claimed"))?,
                    it: opt(&g.it.claimed, &format!("{gp}, it.claimed"))?,
                },
            });
        }
        activities.push(Activity { name: a.name.clone(), goals });
        let c = &a.claimed;
        activity_claims.push(ActivityClaims {
            goals: goal_claims,
            vm: pair(&c.vm, &format!("{place}, claimed.vm"))?,
            vu: pair(&c.vu, &format!("{place}, claimed.vu"))?,
            cost: pair(&c.total, &format!("{place}, claimed.total"))?,
            days: match &c.days {
                Some(d) => Sides {
                    business: opt_days(&d.business, &format!("{place}, claimed.days.business"))?,
                    it: opt_days(&d.it, &format!("{place}, claimed.days.it"))?,
                },
                None => Sides::default(),
            },
            fte_hundredths: opt(&c.fte, &format!("{place}, claimed.fte"))?.map(|o| o.0.unsigned_abs()),
        });
    }
    let mut initiatives = Vec::new();
    for (i, it) in f.initiative.iter().enumerate() {
        let place = format!("initiative {}", i + 1);
        let term = match it.term.as_str() {
            "short" | "kort" => Term::Short,
            "long" | "lång" => Term::Long,
            other => return Err(field(place, format!("term is short or long, not {other:?}"))),
        };
        initiatives.push(Initiative {
            title: it.title.clone(),
            term,
            description: it.description.clone(),
            effort: efforts(&it.business, &it.it, &place)?,
        });
    }
    let mut budget = Vec::new();
    for (i, b) in f.budget.iter().enumerate() {
        budget.push(BudgetLine { name: b.name.clone(), amount_ore: b.amount.unsigned(&format!("budget {}", i + 1))? });
    }
    let plan = Plan {
        kind,
        title: f.title.clone(),
        period: Period { first: f.first_day.clone(), last: f.last_day.clone() },
        supersedes,
        day_rate: Sides { business: rate(&f.day_rate.business, "business")?, it: rate(&f.day_rate.it, "it")? },
        days_per_fte: f.days_per_fte,
        activities,
        initiatives,
        budget,
    };
    let c = &f.claimed;
    let claims = Claims {
        activities: activity_claims,
        vm: pair(&c.vm, "claimed.vm")?,
        vu: pair(&c.vu, "claimed.vu")?,
        budget: opt(&c.budget, "claimed.budget")?,
        total: opt(&c.total, "claimed.total")?,
        fte_hundredths: opt(&c.fte, "claimed.fte")?.map(|o| o.0.unsigned_abs()),
    };
    Ok(Imported { plan, claims })
}
