//! `samverka plan`: check a plan file's totals offline, publish a plan or a cost key signed on
//! the person's own machine (the host's förvaltare or ordförande), and read plans, receipts and
//! the invoice basis from a node.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use samverka_node::plan::{import, outcome_file};
use samverka_protocol::cost::Ore;
use samverka_protocol::plan::{compare, totals, CostKey, Days, Disagreement, KeyBasis, KeyEntry, PlanKind};
use samverka_protocol::{Body, Kind};
use serde_json::Value;

use super::governance::{answer, get_json, record_id, url, Node};
use super::output;
use super::signing::ready;

/// Plan commands.
#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Read a plan file (TOML) and print every total its lines give, and each typed total that
    /// disagrees with them, line by line. Offline: no node, nothing signed.
    Check {
        /// The plan file.
        file: PathBuf,
    },
    /// Sign a plan file with your key (the host's förvaltare or ordförande) and send it to the
    /// node. Typed totals are not published: they are compared with the lines and reported.
    Publish {
        /// The plan file.
        file: PathBuf,
        #[command(flatten)]
        signing: Signing,
        /// The plan version this one replaces (overrides `supersedes` in the file).
        #[arg(long)]
        supersedes: Option<String>,
    },
    /// Sign a cost key (fördelningsnyckel) for a year from a `member;weight` file (member =
    /// kommunkod) and send it to the node.
    Key {
        /// The key file (semicolons, decimal comma, as `samverka cost split` reads).
        file: PathBuf,
        /// The year the key applies to.
        #[arg(long)]
        year: u16,
        /// What the weights are.
        #[arg(long, value_enum, default_value_t = KeyBasisArg::Percent)]
        basis: KeyBasisArg,
        /// The date of the population figures (per-capita keys), YYYY-MM-DD.
        #[arg(long)]
        population_date: Option<String>,
        /// The key for the same year this one replaces.
        #[arg(long)]
        supersedes: Option<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// Sign one quarter's utfall (actual costs) of a plan from a semicolon CSV file —
    /// `aktivitet;kvartal;belopp` or `aktivitet;kvartal;verksamhetsnära;it-nära`, amounts as
    /// `1 234,50`, the quarter as `2027-Q1` (or `Q1` with --year) — and send it to the node.
    /// A later utfall for the same quarter replaces the earlier.
    Utfall {
        /// The utfall file.
        file: PathBuf,
        /// The plan version (förvaltningsplan or budget) followed up.
        #[arg(long)]
        plan: String,
        /// The year, when the file's quarters do not name it.
        #[arg(long)]
        year: Option<u16>,
        #[command(flatten)]
        signing: Signing,
    },
    /// List the plan versions a node holds.
    List {
        #[command(flatten)]
        node: Node,
    },
    /// Show a plan version: totals, adoption, receipts (who lacks it, since when), changes.
    Show {
        /// The plan's record id.
        plan: String,
        #[command(flatten)]
        node: Node,
        /// Write the plan as CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write the plan as PDF to this file.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Write the plan as XLSX to this file.
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print each member's invoice basis for a year: the adopted budget split by the adopted key.
    Invoice {
        /// The year.
        year: u16,
        #[command(flatten)]
        node: Node,
        /// Write it as CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write it as XLSX to this file.
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Write it as PDF to this file.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
}

/// How a record is signed and sent.
#[derive(Args, Debug)]
pub struct Signing {
    /// Your personal key file (its chain position is kept beside it).
    #[arg(long)]
    pub(super) key: PathBuf,
    /// The node's API address.
    #[arg(long, default_value = "http://127.0.0.1:7080", value_parser = super::api_address)]
    pub(super) api: String,
    /// Write the signed record to this file instead of sending it.
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

/// A cost key's basis as typed.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KeyBasisArg {
    /// Percent, summing to 100.
    Percent,
    /// Relative weights.
    Weights,
    /// Population per member (give --population-date).
    PerCapita,
    /// Licence or user count per member.
    Licences,
}

/// Runs a plan command.
pub async fn run(command: PlanCommand) -> Result<()> {
    match command {
        PlanCommand::Check { file } => {
            let imported = read(&file)?;
            report(&imported)
        }
        PlanCommand::Publish { file, signing, supersedes } => {
            let mut imported = read(&file)?;
            if let Some(s) = supersedes {
                imported.plan.supersedes = Some(record_id(&s, "--supersedes")?);
            }
            report(&imported)?;
            sign_and_send(&signing, Kind::Plan, imported.plan.to_bytes()).await
        }
        PlanCommand::Key { file, year, basis, population_date, supersedes, signing } => {
            let entries = super::cost::read_entries(&file)?;
            let basis = match (basis, population_date) {
                (KeyBasisArg::Percent, _) => KeyBasis::Percent,
                (KeyBasisArg::Weights, _) => KeyBasis::Weights,
                (KeyBasisArg::Licences, _) => KeyBasis::Licences,
                (KeyBasisArg::PerCapita, Some(date)) => KeyBasis::PerCapita { date },
                (KeyBasisArg::PerCapita, None) => {
                    bail!("a per-capita key states the date of its population figures: give --population-date")
                }
            };
            let key = CostKey {
                year,
                title: format!("Fördelningsnyckel {year}"),
                basis,
                entries: entries
                    .into_iter()
                    .map(|e| KeyEntry { member: e.member, weight_millionths: e.weight.millionths() })
                    .collect(),
                supersedes: supersedes.map(|s| record_id(&s, "--supersedes")).transpose()?,
            };
            key.key().with_context(|| format!("{} is not a valid key", file.display()))?;
            sign_and_send(&signing, Kind::CostKey, key.to_bytes()).await
        }
        PlanCommand::Utfall { file, plan, year, signing } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let outcome = outcome_file::parse(&text, record_id(&plan, "--plan")?, year)
                .with_context(|| format!("{} is not an utfall file", file.display()))?;
            let sum: u64 = outcome.lines.iter().map(|l| l.actual.business + l.actual.it).sum();
            say!(
                "utfall {} kvartal {}: {} rader, summa {} kr",
                outcome.year,
                outcome.quarter,
                outcome.lines.len(),
                Ore(i64::try_from(sum).unwrap_or(i64::MAX))
            );
            sign_and_send(&signing, Kind::Outcome, outcome.to_bytes()).await
        }
        PlanCommand::List { node } => list(&node).await,
        PlanCommand::Show { plan, node, csv, pdf, xlsx, json } => show(&node, &plan, [csv, pdf, xlsx], json).await,
        PlanCommand::Invoice { year, node, csv, xlsx, pdf } => invoice(&node, year, [csv, xlsx, pdf]).await,
    }
}

fn read(file: &PathBuf) -> Result<import::Imported> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    import::parse(&text).with_context(|| format!("{} is not a plan file", file.display()))
}

fn hundredths(n: i64) -> String {
    format!("{},{:02}", n / 100, n % 100)
}

/// Person-days from a disagreement's hundredths of a day.
fn days(hundredths: i64) -> Days {
    Days(hundredths.unsigned_abs())
}

fn disagreement_line(d: &Disagreement) -> String {
    let (claimed, computed) = match d.code {
        "activity_days_mismatch" => (days(d.claimed).to_string(), days(d.computed).to_string()),
        "activity_fte_mismatch" | "fte_mismatch" => (hundredths(d.claimed), hundredths(d.computed)),
        _ => (Ore(d.claimed).to_string(), Ore(d.computed).to_string()),
    };
    format!("{}: typed {claimed}, the lines give {computed} ({})", d.place, d.code)
}

/// Prints the computed totals and, on standard error, each typed total that disagrees.
fn report(imported: &import::Imported) -> Result<()> {
    let p = &imported.plan;
    let t = totals(p);
    say!("{} ({}, {} – {})", p.title, p.kind.name(), p.period.first, p.period.last);
    for a in &t.activities {
        say!(
            "  {}: VM {} + {} kr, VU {} + {} kr, totalt {} kr, {} + {} persondagar, {} heltider",
            a.name,
            a.vm.business,
            a.vm.it,
            a.vu.business,
            a.vu.it,
            a.total,
            a.days.business,
            a.days.it,
            hundredths(i64::try_from(a.fte_hundredths).unwrap_or(i64::MAX))
        );
    }
    if p.kind == PlanKind::Budget {
        say!("  budget: {} kr", t.budget);
    }
    say!("summa: {} kr, {} heltider", t.total, hundredths(i64::try_from(t.fte_hundredths).unwrap_or(i64::MAX)));
    let disagreements = compare(p, &t, &imported.claims);
    for d in &disagreements {
        eprintln!("disagrees: {}", disagreement_line(d));
    }
    if !disagreements.is_empty() {
        eprintln!(
            "{} typed total(s) disagree with the lines; the plan holds only the lines, and every node computes the totals above",
            disagreements.len()
        );
    }
    Ok(())
}

/// Signs `body` of `kind` with the person's key at the position the node agrees with, and sends
/// it (or writes it with --out).
pub(super) async fn sign_and_send(args: &Signing, kind: Kind, body: Vec<u8>) -> Result<()> {
    ready(&args.key, &args.api).await?.deliver(&args.api, args.out.as_deref(), kind, body).await?;
    Ok(())
}

async fn list(node: &Node) -> Result<()> {
    let body = get_json(&node.api, "/api/v1/plans").await?;
    for p in body["plans"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let faststalld =
            if p["adoption"]["faststalld"] == Value::Bool(true) { "fastställd" } else { "ej fastställd" };
        say!(
            "{} {:<16} {} {} kr, {}, kvitterad av {}/{}  {}",
            p["id"].as_str().unwrap_or("?"),
            p["kind"].as_str().unwrap_or("?"),
            p["year"],
            Ore(p["total_ore"].as_i64().unwrap_or(0)),
            faststalld,
            p["receipted"],
            p["members"],
            p["title"].as_str().unwrap_or(""),
        );
    }
    Ok(())
}

async fn download(api: &str, path: &str, to: &PathBuf) -> Result<()> {
    let response = reqwest::get(url(api, path)).await.with_context(|| format!("no node answers at {api}"))?;
    if !response.status().is_success() {
        answer(response).await?;
        bail!("the node refused");
    }
    let bytes = response.bytes().await.context("reading the document")?;
    std::fs::write(to, &bytes).with_context(|| format!("writing {}", to.display()))?;
    say!("{} bytes written to {}", bytes.len(), to.display());
    Ok(())
}

async fn show(node: &Node, plan: &str, files: [Option<PathBuf>; 3], json: bool) -> Result<()> {
    let id = record_id(plan, "plan")?;
    for (file, name) in files.into_iter().zip(["plan.csv", "plan.pdf", "plan.xlsx"]) {
        if let Some(path) = file {
            return download(&node.api, &format!("/api/v1/plans/{id}/{name}"), &path).await;
        }
    }
    let view = get_json(&node.api, &format!("/api/v1/plans/{id}")).await?;
    if json {
        return output::json(&view);
    }
    let s = &view["summary"];
    say!("{} ({} {})", s["title"].as_str().unwrap_or(""), s["kind"].as_str().unwrap_or(""), s["year"]);
    say!("summa: {} kr", Ore(s["total_ore"].as_i64().unwrap_or(0)));
    match s["adoption"]["matter"].as_str() {
        Some(m) => say!("fastställd genom ärende {m}"),
        None => say!("ej fastställd"),
    }
    for r in view["receipts"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let state = match r["receipt"].as_str() {
            Some(_) => "mottagen".to_owned(),
            None => format!(
                "saknas sedan {}",
                samverka_node::governance::stockholm_date(r["missing_since_ms"].as_i64().unwrap_or(0))
            ),
        };
        say!("  {:<6} {:<28} {state}", r["member"].as_str().unwrap_or(""), r["member_name"].as_str().unwrap_or(""));
    }
    for c in view["changes"].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!("  ändrat: {} {}", c["change"].as_str().unwrap_or(""), c["detail"]);
    }
    let f = &view["follow_up"];
    if f["quarters"].as_array().is_some_and(|q| !q.is_empty()) {
        let ore = |v: &Value| Ore(v.as_i64().unwrap_or(0));
        for l in f["lines"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let actual = ore(&l["actual_ore"]["business"]).0 + ore(&l["actual_ore"]["it"]).0;
            say!(
                "  {}: utfall {} kr, avvikelse {} kr",
                l["name"].as_str().unwrap_or(""),
                Ore(actual),
                ore(&l["difference_ore"])
            );
        }
        say!("utfall: {} kr, avvikelse {} kr", ore(&f["actual_ore"]), ore(&f["difference_ore"]));
    }
    Ok(())
}

async fn invoice(node: &Node, year: u16, files: [Option<PathBuf>; 3]) -> Result<()> {
    for (file, name) in files.into_iter().zip(["basis.csv", "basis.xlsx", "basis.pdf"]) {
        if let Some(path) = file {
            return download(&node.api, &format!("/api/v1/invoice-basis/{year}/{name}"), &path).await;
        }
    }
    let view = get_json(&node.api, &format!("/api/v1/invoice-basis/{year}")).await?;
    for l in view["lines"].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!("{};{}", l["member"].as_str().unwrap_or(""), Ore(l["amount_ore"].as_i64().unwrap_or(0)).plain());
    }
    say!("Summa;{}", Ore(view["sum_ore"].as_i64().unwrap_or(0)).plain());
    Ok(())
}
