//! Plans, budgets and invoice bases as files people open: semicolon CSV with BOM for Swedish
//! Excel and a text PDF ([`crate::report`]). Every figure in them is computed, never typed.

use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{Days, Mode, PlanKind, Sides, Term};
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

/// The columns of [`plan_table`].
const PLAN_HEADER: [&str; 11] = [
    "typ",
    "aktivitet",
    "text",
    "VM/VU eller heltider",
    "persondagar verksamhetsnära",
    "persondagar IT-nära",
    "kronor verksamhetsnära",
    "kronor IT-nära",
    "kronor summa",
    "utfall kronor",
    "avvikelse kronor",
];

/// The utfall and avvikelse cells of a row: filled on an activity's `totalt` row, a budget line
/// and the plan's `summa` (from the follow-up, `docs/plans.md` §10), empty elsewhere.
fn outcome_cells(row: &mut Vec<Cell>, figures: Option<(Ore, Ore)>) {
    match figures {
        Some((actual, difference)) => row.extend([Cell::Amount(actual), Cell::Amount(difference)]),
        None => row.extend([Cell::Text(String::new()), Cell::Text(String::new())]),
    }
}

/// The plan as a table: one row per goal, initiative or budget line, then the activities' and
/// the plan's computed totals (`typ` says which), with the utfall so far beside the budget.
fn plan_table(report: &PlanReport) -> Vec<Vec<Cell>> {
    let p = &report.summary.plan.body;
    let t = &report.summary.totals;
    let f = &report.follow_up;
    let line = |name: &str| f.lines.iter().find(|l| l.name == name).map(|l| (l.actual_total(), l.difference()));
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let row = |typ: &str, activity: &str, text: &str, mode: String, days: Sides<Days>, cost: Sides<Ore>| {
        vec![
            Cell::Text(typ.to_owned()),
            Cell::Text(activity.to_owned()),
            Cell::Text(text.to_owned()),
            Cell::Text(mode),
            Cell::Days(days.business),
            Cell::Days(days.it),
            Cell::Amount(cost.business),
            Cell::Amount(cost.it),
            Cell::Amount(Ore(cost.business.0 + cost.it.0)),
        ]
    };
    let with_outcome = |mut row: Vec<Cell>, figures: Option<(Ore, Ore)>| {
        outcome_cells(&mut row, figures);
        row
    };
    for (a, at) in p.activities.iter().zip(&t.activities) {
        for (g, gt) in a.goals.iter().zip(&at.goals) {
            rows.push(with_outcome(row("delmål", &a.name, &g.text, mode_text(g.mode), gt.days, gt.cost), None));
        }
        rows.push(with_outcome(row("summa VM", &a.name, "", String::new(), Sides::default(), at.vm), None));
        rows.push(with_outcome(row("summa VU", &a.name, "", String::new(), Sides::default(), at.vu), None));
        let total = row("totalt", &a.name, "", hundredths(at.fte_hundredths), at.days, at.cost);
        rows.push(with_outcome(total, line(&a.name)));
    }
    for (i, it) in p.initiatives.iter().zip(&t.initiatives) {
        let term = match i.term {
            Term::Short => "kort sikt",
            Term::Long => "lång sikt",
        };
        rows.push(with_outcome(row("initiativ", term, &i.title, String::new(), it.days, it.cost), None));
    }
    for l in &p.budget {
        let cost = Sides { business: ore(l.amount_ore), it: Ore(0) };
        rows.push(with_outcome(row("budgetrad", "", &l.name, String::new(), Sides::default(), cost), line(&l.name)));
    }
    if p.kind == PlanKind::Forvaltningsplan {
        rows.push(with_outcome(row("summa VM", "", "", String::new(), Sides::default(), t.vm), None));
        rows.push(with_outcome(row("summa VU", "", "", String::new(), Sides::default(), t.vu), None));
    }
    let mut total = row("summa", "", &p.title, hundredths(t.fte_hundredths), t.days, t.cost);
    total[8] = Cell::Amount(t.total);
    let followed = !f.lines.is_empty();
    rows.push(with_outcome(total, followed.then(|| (f.actual(), f.difference()))));
    rows
}

/// The plan as CSV: one row per goal, initiative or budget line, then the activities' and the
/// plan's computed totals (`typ` says which); amounts as `1500000,00`.
pub fn plan_csv(report: &PlanReport) -> Vec<u8> {
    let rows = plan_table(report).iter().map(|r| r.iter().map(Cell::text).collect::<Vec<String>>()).collect::<Vec<_>>();
    csv(&PLAN_HEADER.join(";"), rows)
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

/// Why a workbook could not be written (a bug or out of memory: the data is all in hand).
#[derive(Debug, thiserror::Error)]
#[error("the workbook could not be written: {0}")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// A table as an XLSX workbook of one sheet: a bold header row, then `rows`; cells that
/// [`Cell::Amount`] marks are numbers in SEK with two decimals (Excel shows them in the
/// reader's locale), others text.
fn workbook(sheet: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    for (c, h) in header.iter().enumerate() {
        let c = u16::try_from(c).expect("few columns");
        ws.write_string_with_format(0, c, *h, &bold)?;
        ws.set_column_width(c, if c < 3 { 28 } else { 16 })?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).expect("rows are bounded by the plan limits");
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).expect("few columns");
            match cell {
                Cell::Text(t) => ws.write_string(r, c, t)?,
                // Whole öre up to 10^12 are exact in an f64 (below 2^53).
                Cell::Amount(o) => ws.write_number_with_format(r, c, o.0 as f64 / 100.0, &money)?,
                // Hundredths of a day up to 10^7 are exact enough in an f64 (Excel rounds to 15 digits).
                Cell::Days(d) => ws.write_number(r, c, d.hundredths() as f64 / 100.0)?,
            };
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A cell of an exported table.
enum Cell {
    Text(String),
    Amount(Ore),
    Days(Days),
}

impl Cell {
    /// The cell as CSV text.
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Amount(o) => o.plain(),
            Cell::Days(d) => d.to_string(),
        }
    }
}

/// The plan as XLSX: the same rows as [`plan_csv`], amounts as numbers.
pub fn plan_xlsx(report: &PlanReport) -> Result<Vec<u8>, XlsxError> {
    workbook("Plan", &PLAN_HEADER, &plan_table(report))
}

/// Each member's invoice basis as XLSX: kommunkod, name, weight, amount; then the sum.
pub fn invoice_xlsx(basis: &InvoiceBasis, chain: &RosterChain) -> Result<Vec<u8>, XlsxError> {
    let mut rows: Vec<Vec<Cell>> = basis
        .split
        .lines
        .iter()
        .zip(basis.key.body.entries.iter())
        .map(|(l, e)| {
            vec![
                Cell::Text(l.member.clone()),
                Cell::Text(member_name(chain, &l.member)),
                Cell::Text(samverka_protocol::cost::Weight::from_millionths(e.weight_millionths).to_string()),
                Cell::Amount(l.amount),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::Text("Summa".into()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        Cell::Amount(basis.split.total()),
    ]);
    workbook(&format!("Fakturaunderlag {}", basis.year), &["kommunkod", "medlem", "vikt", "belopp"], &rows)
}

/// Each member's invoice basis as a PDF document.
pub fn invoice_document(basis: &InvoiceBasis, chain: &RosterChain) -> Document {
    let mut doc = Document::new(&format!("Fakturaunderlag {}", basis.year));
    doc.heading(format!("Fakturaunderlag {}", basis.year));
    doc.text(format!("Federation: {}", chain.current().name));
    doc.text(format!("Budget: {} ({} kr)", basis.budget.body.title, basis.split.budget));
    doc.text(format!(
        "Fördelningsnyckel: {} ({})",
        basis.key.body.title,
        basis.key.body.key().map_or("?", |k| k.basis().name())
    ));
    doc.gap();
    for l in &basis.split.lines {
        doc.text(format!("{} ({}): {} kr", member_name(chain, &l.member), l.member, l.amount));
    }
    doc.gap().text(format!("Summa: {} kr", basis.split.total()));
    doc.small(format!("Budget-id: {}", basis.budget.id()));
    doc.small(format!("Nyckel-id: {}", basis.key.id()));
    doc.small("Beloppen är fördelade till öret med största rest (docs/cost.md) och summerar exakt till budgeten.");
    doc
}
