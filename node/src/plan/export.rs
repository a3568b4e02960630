//! Plans, budgets and invoice bases as files people open: semicolon CSV with BOM for Swedish
//! Excel and a text PDF ([`crate::report`]). Every figure in them is computed, never typed.

use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{Mode, PlanKind, Sides, Term};
use samverka_protocol::RosterChain;

use super::{InvoiceBasis, PlanReport};
use crate::governance::{member_name, stockholm_date};
use crate::report::{csv, Document};

fn ore(n: u64) -> Ore {
    Ore(i64::try_from(n).expect("a plan amount is at most MAX_LINE_ORE"))
}

fn mode_text(m: Mode) -> String {
    match m {
        Mode::Vm => "VM".into(),
        Mode::Vu { priority } => format!("VU (prio {priority})"),
    }
}

fn hundredths(n: u64) -> String {
    format!("{},{:02}", n / 100, n % 100)
}

/// The plan as CSV: one row per goal, initiative or budget line, then the activities' and the
/// plan's computed totals (`typ` says which).
pub fn plan_csv(report: &PlanReport) -> Vec<u8> {
    let p = &report.summary.plan.body;
    let t = &report.summary.totals;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let row = |typ: &str, activity: &str, text: &str, mode: String, days: Sides<u64>, cost: Sides<Ore>| {
        vec![
            typ.to_owned(),
            activity.to_owned(),
            text.to_owned(),
            mode,
            days.business.to_string(),
            days.it.to_string(),
            cost.business.plain(),
            cost.it.plain(),
            Ore(cost.business.0 + cost.it.0).plain(),
        ]
    };
    for (a, at) in p.activities.iter().zip(&t.activities) {
        for (g, gt) in a.goals.iter().zip(&at.goals) {
            rows.push(row("delmål", &a.name, &g.text, mode_text(g.mode), gt.days, gt.cost));
        }
        rows.push(row("summa VM", &a.name, "", String::new(), Sides::default(), at.vm));
        rows.push(row("summa VU", &a.name, "", String::new(), Sides::default(), at.vu));
        rows.push(row("totalt", &a.name, "", hundredths(at.fte_hundredths), at.days, at.cost));
    }
    for (i, it) in p.initiatives.iter().zip(&t.initiatives) {
        let term = match i.term {
            Term::Short => "kort sikt",
            Term::Long => "lång sikt",
        };
        rows.push(row("initiativ", term, &i.title, String::new(), it.days, it.cost));
    }
    for l in &p.budget {
        let cost = Sides { business: ore(l.amount_ore), it: Ore(0) };
        rows.push(row("budgetrad", "", &l.name, String::new(), Sides::default(), cost));
    }
    if p.kind == PlanKind::Forvaltningsplan {
        rows.push(row("summa VM", "", "", String::new(), Sides::default(), t.vm));
        rows.push(row("summa VU", "", "", String::new(), Sides::default(), t.vu));
    }
    let mut total = row("summa", "", &p.title, hundredths(t.fte_hundredths), t.days, t.cost);
    total[8] = t.total.plain();
    rows.push(total);
    csv(
        "typ;aktivitet;text;VM/VU eller heltider;persondagar verksamhetsnära;persondagar IT-nära;kronor verksamhetsnära;kronor IT-nära;kronor summa",
        rows,
    )
}

/// Each member's invoice basis as CSV: kommunkod, name, weight and amount; then the sum.
pub fn invoice_csv(basis: &InvoiceBasis, chain: &RosterChain) -> Vec<u8> {
    let mut rows: Vec<Vec<String>> = basis
        .split
        .lines
        .iter()
        .zip(basis.key.body.entries.iter())
        .map(|(l, e)| {
            vec![
                l.member.clone(),
                member_name(chain, &l.member),
                samverka_protocol::cost::Weight::from_millionths(e.weight_millionths).to_string(),
                l.amount.plain(),
            ]
        })
        .collect();
    rows.push(vec!["Summa".into(), String::new(), String::new(), basis.split.total().plain()]);
    csv("kommunkod;medlem;vikt;belopp", rows)
}

/// The plan as a PDF document: its lines, computed totals, adoption and receipts.
pub fn plan_document(report: &PlanReport, chain: &RosterChain) -> Document {
    let s = &report.summary;
    let p = &s.plan.body;
    let t = &s.totals;
    let mut doc = Document::new(&p.title);
    doc.heading(&p.title);
    doc.text(format!("Federation: {}", chain.current().name));
    doc.text(format!("Period: {} – {}", p.period.first, p.period.last));
    doc.text(format!("Publicerad: {}", stockholm_date(report.published_ms)));
    doc.text(match &s.adoption {
        samverka_protocol::plan::Adoption::Adopted { matter, .. } => {
            format!("Fastställd genom beslut i ärende {matter}")
        }
        samverka_protocol::plan::Adoption::NotAdopted => "Ej fastställd".into(),
    });
    if p.kind == PlanKind::Forvaltningsplan {
        doc.text(format!(
            "Dagpris: verksamhetsnära {} kr, IT-nära {} kr; {} dagar per heltid",
            ore(p.day_rate.business),
            ore(p.day_rate.it),
            p.days_per_fte
        ));
    }
    for (a, at) in p.activities.iter().zip(&t.activities) {
        doc.gap().heading(&a.name);
        for (g, gt) in a.goals.iter().zip(&at.goals) {
            doc.text(format!(
                "{} — {}: {} + {} persondagar, {} kr + {} kr",
                g.text,
                mode_text(g.mode),
                gt.days.business,
                gt.days.it,
                gt.cost.business,
                gt.cost.it
            ));
        }
        doc.text(format!(
            "Summa VM: {} kr + {} kr; summa VU: {} kr + {} kr",
            at.vm.business, at.vm.it, at.vu.business, at.vu.it
        ));
        doc.text(format!("Totalt: {} kr, {} heltider", at.total, hundredths(at.fte_hundredths)));
    }
    for (i, it) in p.initiatives.iter().zip(&t.initiatives) {
        doc.text(format!("{} ({:?}): {} kr", i.title, i.term, it.total));
    }
    for l in &p.budget {
        doc.text(format!("{}: {} kr", l.name, ore(l.amount_ore)));
    }
    doc.gap().heading("Summa");
    doc.text(format!("Summa kronor: {}", t.total));
    doc.text(format!("Summa heltider: {}", hundredths(t.fte_hundredths)));
    doc.gap().heading("Kvittenser");
    for r in &report.receipts {
        match r.receipt {
            Some((_, ms)) => doc.text(format!("{} ({}): mottagen {}", r.member_name, r.member, stockholm_date(ms))),
            None => doc.text(format!(
                "{} ({}): saknas sedan {}",
                r.member_name,
                r.member,
                stockholm_date(report.published_ms)
            )),
        };
    }
    doc.small(format!("Post-id: {}", s.plan.id()));
    doc
}
