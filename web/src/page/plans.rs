//! The plan pages: `/planer` lists the plan versions a node holds, `/planer/{id}` shows one with
//! its activity tables and computed totals, whether it is fastställd, which members' nodes have
//! receipted it (and since when the others lack it), and what changed from its previous version.
//! A child of [`super`], so it shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{Adoption, Change, Days, Goal, Mode, PlanKind, Sides, Term};
use samverka_protocol::RecordId;

use super::{read, Chrome, Failure, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::view::plan::{FollowUp, FollowUpLine, Invoice, PlanRow};
use crate::view::Node;
use crate::Web;

fn kronor(o: Ore) -> String {
    locale::kronor(o.0)
}

fn fte(hundredths: u64) -> String {
    format!("{},{:02}", hundredths / 100, hundredths % 100)
}

fn kind_text(t: &Catalog, k: PlanKind) -> &str {
    t.get(match k {
        PlanKind::Forvaltningsplan => "plan.kind_forvaltningsplan",
        PlanKind::Utvecklingsplan => "plan.kind_utvecklingsplan",
        PlanKind::Budget => "plan.kind_budget",
    })
}

/// A plan's list row as text.
struct Line {
    href: String,
    title: String,
    kind: String,
    year: String,
    total: String,
    status: String,
    status_class: &'static str,
    receipts: String,
}

fn line(t: &Catalog, r: &PlanRow) -> Line {
    Line {
        href: format!("/planer/{}", r.id.to_hex()),
        title: r.plan.title.clone(),
        kind: kind_text(t, r.plan.kind).into(),
        year: r.plan.period.year().to_string(),
        total: locale::kronor(r.total_ore),
        status: t.get(if r.faststalld { "plan.faststalld" } else { "plan.not_faststalld" }).into(),
        status_class: if r.faststalld { "closed" } else { "open" },
        receipts: t.fill("plan.receipted_of", &[("n", &r.receipted.to_string()), ("total", &r.members.to_string())]),
    }
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    c: Chrome,
    caption: String,
    rows: Vec<Line>,
}

/// One row of a table of figures: a label and cells already formatted.
struct Cells {
    label: String,
    cells: Vec<String>,
}

/// A follow-up table: budget, utfall per quarter and in all, and the difference.
struct FollowUpTable {
    caption: String,
    head: String,
    columns: Vec<String>,
    rows: Vec<Cells>,
    foot: Cells,
}

/// The follow-up as a table: a column per quarter with utfall, then budget, utfall, avvikelse.
fn follow_up_table(t: &Catalog, f: &FollowUp, caption: String, head: &str) -> FollowUpTable {
    let mut columns: Vec<String> = f
        .quarters
        .iter()
        .map(|(year, q)| t.fill("plan.follow_up_quarter", &[("year", &year.to_string()), ("quarter", &q.to_string())]))
        .collect();
    columns.extend(
        ["plan.follow_up_budget", "plan.follow_up_actual", "plan.follow_up_difference"].map(|k| t.get(k).to_owned()),
    );
    let cells = |l: &FollowUpLine| {
        let mut cells: Vec<String> = l.by_quarter.iter().map(|o| locale::kronor(*o)).collect();
        cells.extend([l.budget, l.actual, l.difference].map(locale::kronor));
        cells
    };
    FollowUpTable {
        caption,
        head: head.to_owned(),
        columns,
        rows: f.lines.iter().map(|l| Cells { label: l.label.clone(), cells: cells(l) }).collect(),
        foot: Cells { label: t.get("plan.follow_up_sum").into(), cells: cells(&f.total) },
    }
}

/// An activity's table.
struct ActivityTable {
    caption: String,
    goals: Vec<Cells>,
    sums: Vec<Cells>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    c: Chrome,
    id: String,
    line: Line,
    facts: Vec<(String, String)>,
    matter: Option<String>,
    previous: Option<String>,
    columns: Vec<&'static str>,
    activities: Vec<ActivityTable>,
    initiatives: Vec<Cells>,
    budget: Vec<Cells>,
    totals_caption: String,
    totals: Vec<Cells>,
    receipts_caption: String,
    receipts: Vec<(String, String, bool)>,
    changes: Vec<String>,
    follow_ups: Vec<FollowUpTable>,
}

fn figures(days: Sides<Days>, cost: Sides<Ore>) -> Vec<String> {
    vec![
        locale::days(days.business.hundredths()),
        locale::days(days.it.hundredths()),
        kronor(cost.business),
        kronor(cost.it),
        kronor(Ore(cost.business.0 + cost.it.0)),
    ]
}

/// A row of costs only (the VM and VU sums): no person-days are shown for them.
fn costs(cost: Sides<Ore>) -> Vec<String> {
    let mut cells = figures(Sides::default(), cost);
    cells[0] = "–".into();
    cells[1] = "–".into();
    cells
}

fn mode_text(t: &Catalog, m: Mode) -> String {
    match m {
        Mode::Vm => t.get("plan.vm").into(),
        Mode::Vu { priority } => t.fill("plan.vu_priority", &[("priority", &priority.to_string())]),
    }
}

fn goal_label(t: &Catalog, g: &Goal) -> String {
    format!("{} ({})", g.text, mode_text(t, g.mode))
}

fn change_text(t: &Catalog, c: &Change) -> String {
    match c {
        Change::Title { before, after } => t.fill("plan.change_title", &[("before", before), ("after", after)]),
        Change::Period { before, after } => t.fill(
            "plan.change_period",
            &[
                ("before", &format!("{} – {}", before.first, before.last)),
                ("after", &format!("{} – {}", after.first, after.last)),
            ],
        ),
        Change::DayRate { .. } => t.get("plan.change_day_rate").into(),
        Change::DaysPerFte { before, after } => {
            t.fill("plan.change_days_per_fte", &[("before", &before.to_string()), ("after", &after.to_string())])
        }
        Change::ActivityAdded { name } => t.fill("plan.change_activity_added", &[("name", name)]),
        Change::ActivityRemoved { name } => t.fill("plan.change_activity_removed", &[("name", name)]),
        Change::GoalAdded { activity, goal } => {
            t.fill("plan.change_goal_added", &[("activity", activity), ("goal", &goal.text)])
        }
        Change::GoalRemoved { activity, goal } => {
            t.fill("plan.change_goal_removed", &[("activity", activity), ("goal", &goal.text)])
        }
        Change::GoalChanged { activity, after, .. } => {
            t.fill("plan.change_goal_changed", &[("activity", activity), ("goal", &after.text)])
        }
        Change::InitiativeAdded { initiative } => {
            t.fill("plan.change_initiative_added", &[("name", &initiative.title)])
        }
        Change::InitiativeRemoved { initiative } => {
            t.fill("plan.change_initiative_removed", &[("name", &initiative.title)])
        }
        Change::InitiativeChanged { after, .. } => t.fill("plan.change_initiative_changed", &[("name", &after.title)]),
        Change::BudgetLineAdded { name, amount } => {
            t.fill("plan.change_budget_added", &[("name", name), ("amount", &kronor(*amount))])
        }
        Change::BudgetLineRemoved { name, amount } => {
            t.fill("plan.change_budget_removed", &[("name", name), ("amount", &kronor(*amount))])
        }
        Change::BudgetLineChanged { name, before, after } => t.fill(
            "plan.change_budget_changed",
            &[("name", name), ("before", &kronor(*before)), ("after", &kronor(*after))],
        ),
        Change::Total { before, after } => {
            t.fill("plan.change_total", &[("before", &kronor(*before)), ("after", &kronor(*after))])
        }
    }
}

/// `GET /planer`: every plan version held, with its computed total and status.
pub async fn plans<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let rows = read(&web.node, |n| n.plans()).await?;
        let t = v.t();
        let caption = t.fill("plans.caption", &[("count", &rows.len().to_string())]);
        let rows = rows.iter().map(|r| line(t, r)).collect();
        Ok(PlansPage { c: v.chrome(t.get("plans.heading").into(), web.node.demo()), caption, rows }.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// `GET /planer/{id}`: one plan version in full.
pub async fn plan<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = async {
        let id = RecordId::from_hex(&id).map_err(|_| Failure::NotFound)?;
        let p = read(&web.node, move |n| n.plan(&id)).await?.ok_or(Failure::NotFound)?;
        let t = v.t();
        let body = &p.row.plan;
        let tot = &p.totals;
        let published = locale::date(p.row.time_ms);
        let mut facts = vec![
            (t.get("plan.kind").to_owned(), kind_text(t, body.kind).to_owned()),
            (t.get("plan.period").to_owned(), format!("{} – {}", body.period.first, body.period.last)),
            (t.get("plan.published").to_owned(), published.clone()),
        ];
        if body.kind != PlanKind::Budget {
            facts.push((
                t.get("plan.day_rate").to_owned(),
                t.fill(
                    "plan.day_rate_value",
                    &[
                        ("business", &locale::kronor(body.day_rate.business as i64)),
                        ("it", &locale::kronor(body.day_rate.it as i64)),
                    ],
                ),
            ));
            facts.push((t.get("plan.days_per_fte").to_owned(), body.days_per_fte.to_string()));
        }
        let activities = body
            .activities
            .iter()
            .zip(&tot.activities)
            .map(|(a, at)| ActivityTable {
                caption: t.fill("plan.activity_caption", &[("name", &a.name)]),
                goals: a
                    .goals
                    .iter()
                    .zip(&at.goals)
                    .map(|(g, gt)| Cells { label: goal_label(t, g), cells: figures(gt.days, gt.cost) })
                    .collect(),
                sums: vec![
                    Cells { label: t.get("plan.sum_vm").into(), cells: costs(at.vm) },
                    Cells { label: t.get("plan.sum_vu").into(), cells: costs(at.vu) },
                    Cells {
                        label: t.fill("plan.sum_activity", &[("fte", &fte(at.fte_hundredths))]),
                        cells: figures(at.days, at.cost),
                    },
                ],
            })
            .collect();
        let initiatives = body
            .initiatives
            .iter()
            .zip(&tot.initiatives)
            .map(|(i, it)| {
                let term = t.get(if i.term == Term::Short { "plan.short_term" } else { "plan.long_term" });
                Cells { label: format!("{} ({term})", i.title), cells: figures(it.days, it.cost) }
            })
            .collect();
        let budget = body
            .budget
            .iter()
            .map(|l| Cells { label: l.name.clone(), cells: vec![locale::kronor(l.amount_ore as i64)] })
            .collect();
        let mut totals = Vec::new();
        if body.kind == PlanKind::Forvaltningsplan {
            totals.push(Cells { label: t.get("plan.sum_vm").into(), cells: costs(tot.vm) });
            totals.push(Cells { label: t.get("plan.sum_vu").into(), cells: costs(tot.vu) });
        }
        if body.kind == PlanKind::Utvecklingsplan {
            totals.push(Cells { label: t.get("plan.short_term").into(), cells: costs(tot.short_term) });
            totals.push(Cells { label: t.get("plan.long_term").into(), cells: costs(tot.long_term) });
        }
        let mut all = figures(tot.days, tot.cost);
        all[4] = kronor(tot.total);
        totals.push(Cells { label: t.fill("plan.sum_plan", &[("fte", &fte(tot.fte_hundredths))]), cells: all });
        let receipts = p
            .receipts
            .iter()
            .map(|r| match r.received_ms {
                Some(ms) => (r.member.clone(), t.fill("plan.received", &[("date", &locale::date(ms))]), true),
                None => (r.member.clone(), t.fill("plan.missing_since", &[("date", &published)]), false),
            })
            .collect::<Vec<_>>();
        let missing = receipts.iter().filter(|r| !r.2).count();
        let (caption, head) = match body.kind {
            PlanKind::Budget => ("invoice.follow_up_caption", "invoice.follow_up_line"),
            _ => ("plan.follow_up_caption", "plan.follow_up_activity"),
        };
        let follow_ups = match p.follow_up.quarters.is_empty() {
            true => Vec::new(),
            false => vec![follow_up_table(t, &p.follow_up, t.get(caption).into(), t.get(head))],
        };
        let page = PlanPage {
            c: v.chrome(body.title.clone(), web.node.demo()),
            id: p.row.id.to_hex(),
            line: line(t, &p.row),
            facts,
            matter: match p.adoption {
                Adoption::Adopted { matter, .. } => Some(matter.to_hex()),
                Adoption::NotAdopted => None,
            },
            previous: p.previous.map(|id| id.to_hex()),
            columns: vec![
                t.get("plan.days_business"),
                t.get("plan.days_it"),
                t.get("plan.cost_business"),
                t.get("plan.cost_it"),
                t.get("plan.cost_total"),
            ],
            activities,
            initiatives,
            budget,
            totals_caption: t.get("plan.totals_caption").into(),
            totals,
            receipts_caption: t.fill(
                "plan.receipts_caption",
                &[("missing", &missing.to_string()), ("total", &receipts.len().to_string())],
            ),
            receipts,
            changes: p.changes.iter().map(|c| change_text(t, c)).collect(),
            follow_ups,
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage {
    c: Chrome,
    heading: String,
    note: Option<String>,
    facts: Vec<(String, String)>,
    budget_href: Option<String>,
    caption: String,
    lines: Vec<(String, String, String, String)>,
    total: String,
    year: u16,
    follow_ups: Vec<FollowUpTable>,
}

/// `GET /fakturaunderlag/{year}`: each member's amount to the öre, or why there is none yet.
pub async fn invoice<N: Node>(State(web): State<Arc<Web<N>>>, Path(year): Path<String>, v: Visitor) -> Response {
    let page = async {
        let year: u16 = year.parse().map_err(|_| Failure::NotFound)?;
        let answer = read(&web.node, move |n| n.invoice(year)).await?;
        let t = v.t();
        let heading = t.fill("invoice.heading", &[("year", &year.to_string())]);
        let empty = |note: String| InvoicePage {
            c: v.chrome(heading.clone(), web.node.demo()),
            heading: heading.clone(),
            note: Some(note),
            facts: Vec::new(),
            budget_href: None,
            caption: String::new(),
            lines: Vec::new(),
            total: String::new(),
            year,
            follow_ups: Vec::new(),
        };
        let page = match answer {
            Invoice::NoAdoptedBudget => empty(t.fill("invoice.no_budget", &[("year", &year.to_string())])),
            Invoice::NoAdoptedKey => empty(t.fill("invoice.no_key", &[("year", &year.to_string())])),
            Invoice::Refused(code) => empty(t.fill("invoice.refused", &[("code", code)])),
            Invoice::Ready(inv) => InvoicePage {
                c: v.chrome(heading.clone(), web.node.demo()),
                heading: heading.clone(),
                note: None,
                facts: vec![
                    (
                        t.get("invoice.budget").to_owned(),
                        format!("{} ({})", inv.budget.1, locale::kronor(inv.total_ore)),
                    ),
                    (t.get("invoice.key").to_owned(), format!("{} ({})", inv.key.0, inv.key.1)),
                ],
                budget_href: Some(format!("/planer/{}", inv.budget.0.to_hex())),
                caption: t.fill("invoice.caption", &[("count", &inv.lines.len().to_string())]),
                lines: inv
                    .lines
                    .iter()
                    .map(|(name, id, weight, ore)| (name.clone(), id.clone(), weight.clone(), locale::kronor(*ore)))
                    .collect(),
                total: locale::kronor(inv.total_ore),
                year,
                follow_ups: match inv.follow_up.quarters.is_empty() {
                    true => Vec::new(),
                    false => vec![
                        follow_up_table(
                            t,
                            &inv.follow_up,
                            t.get("invoice.follow_up_caption").into(),
                            t.get("invoice.follow_up_line"),
                        ),
                        follow_up_table(
                            t,
                            &inv.members,
                            t.get("invoice.members_caption").into(),
                            t.get("invoice.member"),
                        ),
                    ],
                },
            },
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}
