//! `samverka support`: raise a support case as your member's objektspecialist (line 1), take a
//! step on it (escalate, start, vendor, message, inform, pause, resume, resolve, close) as line 1
//! or the förvaltningsgrupp (line 2) — each signed on your own machine and sent, or written with
//! `--out` — and read the cases with their SLA clocks from a node. Every free text is checked
//! for a personnummer before anything is signed (`docs/support.md`). `samverka support table`
//! drafts the federation's SLA table as the host's förvaltare; `samverka support sla` shows the
//! tables held, their adoption and the one in force (`docs/support.md` §8).

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use samverka_node::support::{refusal, span, stockholm_time};
use samverka_protocol::support::{
    check_case_alone, check_table_alone, check_text_alone, Action, Hours, Priority, SlaTable, SupportCase,
    SupportEvent, Target,
};
use samverka_protocol::{Body, Kind, RecordId};
use serde_json::Value;

use super::governance::{get_json, record_id, Node};
use super::output;
use super::plan::Signing;
use super::signing::ready;

/// Support commands.
#[derive(Subcommand, Debug)]
pub enum SupportCommand {
    /// Raise a case for your member (line 1), signed by your key.
    Open {
        /// What kind of fault, one line (e.g. Inloggning).
        #[arg(long)]
        category: String,
        /// How urgent: high (kritisk/hög), medium (medel) or low (låg).
        #[arg(long, value_enum)]
        priority: PriorityArg,
        /// One-line title.
        #[arg(long)]
        title: String,
        /// What happens and what was tried. Never a personnummer.
        #[arg(long)]
        description: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// Take a step on a case: it follows the case's last counted step.
    Event {
        /// The case's record id.
        case: String,
        /// The step.
        #[arg(value_enum)]
        action: ActionArg,
        /// The message, what the reporter is asked for, or the information given.
        #[arg(long, default_value = "")]
        text: String,
        /// The vendor's case reference (for `vendor`).
        #[arg(long)]
        reference: Option<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// List the cases a node holds with their SLA clocks: every case, line 1's or line 2's.
    List {
        /// `1` with --member for one member's cases, `2` for the förvaltningsgrupp's.
        #[arg(long)]
        line: Option<u8>,
        /// The member (kommunkod), with --line 1.
        #[arg(long)]
        member: Option<String>,
        #[command(flatten)]
        node: Node,
    },
    /// Show the SLA tables a node holds: their targets, adoption, and the one in force (WebCare's
    /// when none is adopted).
    Sla {
        #[command(flatten)]
        node: Node,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draft the federation's SLA table as the host's förvaltare, signed by your key. It is in
    /// force once the styrgrupp adopts an övrigt matter naming it (`samverka sign matter
    /// --kind ovrigt --subject ID`), from --from on.
    Table {
        /// What the table is, one line (default with --webcare: WebCare's name).
        #[arg(long)]
        name: Option<String>,
        /// The first day it may apply to, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Start from WebCare's table (kritisk/hög 1 h / 30 min / 10 h, medel 8 h / 30 min /
        /// 24 h, business hours; låg none); --high, --medium and --low override a row.
        #[arg(long)]
        webcare: bool,
        /// Kritisk/hög: `START,INFORM,DOWNTIME` in minutes, with `,all-day` to count every
        /// hour instead of business hours; `none` for no clocks.
        #[arg(long)]
        high: Option<String>,
        /// Medel, as --high.
        #[arg(long)]
        medium: Option<String>,
        /// Låg, as --high.
        #[arg(long)]
        low: Option<String>,
        /// The table this one replaces (its record id).
        #[arg(long)]
        replaces: Option<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// Show a case: its steps and SLA clocks.
    Show {
        /// The case's record id.
        case: String,
        #[command(flatten)]
        node: Node,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A priority as typed.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum PriorityArg {
    /// Kritisk/hög.
    High,
    /// Medel.
    Medium,
    /// Låg.
    Low,
}

/// A step as typed.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ActionArg {
    /// Escalate to the förvaltningsgrupp (line 1).
    Escalate,
    /// Start repair (line 2).
    Start,
    /// Escalate to the vendor, with --reference (line 2).
    Vendor,
    /// A message between the lines.
    Message,
    /// Information to the members (line 2).
    Inform,
    /// Wait for the reporter (line 2).
    Pause,
    /// Resume after a pause.
    Resume,
    /// Resolved.
    Resolve,
    /// Close a resolved case (line 1).
    Close,
}

/// Runs a support command.
pub async fn run(command: SupportCommand) -> Result<()> {
    match command {
        SupportCommand::Open { category, priority, title, description, signing } => {
            let priority = match priority {
                PriorityArg::High => Priority::High,
                PriorityArg::Medium => Priority::Medium,
                PriorityArg::Low => Priority::Low,
            };
            // Checked before the key file or the node is touched: nothing is signed.
            let mut case = SupportCase { member: String::new(), category, priority, title, description };
            check_case_alone(&case).map_err(|v| anyhow::anyhow!(refusal(&v)))?;
            let ready = ready(&signing.key, &signing.api).await?;
            case.member = ready.member.clone().context("the node's roster names no member for your key")?;
            ready.deliver(&signing.api, signing.out.as_deref(), Kind::SupportCase, case.to_bytes()).await?;
            Ok(())
        }
        SupportCommand::Event { case, action, text, reference, signing } => {
            let id = record_id(&case, "case")?;
            let action = action_of(action, reference)?;
            check_text_alone(&action, &text).map_err(|v| anyhow::anyhow!(refusal(&v)))?;
            let view = get_json(&signing.api, &format!("/api/v1/support/cases/{id}")).await?;
            let after = RecordId::from_hex(view["head"].as_str().unwrap_or("")).context("the node sent no head")?;
            let ready = ready(&signing.key, &signing.api).await?;
            let body = SupportEvent { case: id, after, action, text };
            ready.deliver(&signing.api, signing.out.as_deref(), Kind::SupportEvent, body.to_bytes()).await?;
            Ok(())
        }
        SupportCommand::List { line, member, node } => list(&node, line, member).await,
        SupportCommand::Show { case, node, json } => show(&node, &case, json).await,
        SupportCommand::Sla { node, json } => sla(&node, json).await,
        SupportCommand::Table { name, from, webcare, high, medium, low, replaces, signing } => {
            let mut table = if webcare {
                SlaTable::webcare(&from)
            } else {
                SlaTable { name: String::new(), from, high: None, medium: None, low: None, replaces: None }
            };
            if let Some(name) = name {
                table.name = name;
            }
            for (row, given) in [(&mut table.high, high), (&mut table.medium, medium), (&mut table.low, low)] {
                if let Some(given) = given {
                    *row = target(&given)?;
                }
            }
            table.replaces = replaces.map(|r| record_id(&r, "replaces")).transpose()?;
            // Checked before the key file or the node is touched: nothing is signed.
            check_table_alone(&table).map_err(|v| anyhow::anyhow!("the table is refused ({}): {v}", v.code()))?;
            let ready = ready(&signing.key, &signing.api).await?;
            ready.deliver(&signing.api, signing.out.as_deref(), Kind::SlaTable, table.to_bytes()).await?;
            Ok(())
        }
    }
}

/// A row as typed: `START,INFORM,DOWNTIME` minutes, optionally `,all-day`; or `none`.
fn target(given: &str) -> Result<Option<Target>> {
    if given.trim() == "none" {
        return Ok(None);
    }
    let parts: Vec<&str> = given.split(',').map(str::trim).collect();
    let hours = match parts.get(3) {
        None => Hours::Business,
        Some(&"all-day") => Hours::AllDay,
        Some(&"business") => Hours::Business,
        Some(other) => anyhow::bail!("{other:?}: the fourth part is all-day or business"),
    };
    let minutes = |i: usize| -> Result<i64> {
        let part = parts.get(i).copied().unwrap_or("");
        part.parse().with_context(|| format!("{given:?}: START,INFORM,DOWNTIME are whole minutes, or none"))
    };
    if parts.len() > 4 {
        anyhow::bail!("{given:?}: START,INFORM,DOWNTIME in minutes, optionally ,all-day");
    }
    Ok(Some(Target { start_min: minutes(0)?, inform_min: minutes(1)?, downtime_min: minutes(2)?, hours }))
}

/// A row in words: `påbörjad felrättning 60 min, information 30 min, maximal feltid 600 min
/// (kontorstid)`.
fn row_line(v: &Value) -> String {
    if v.is_null() {
        return "inga klockor".into();
    }
    let hours = if text(v, "hours") == "all_day" { "dygnet runt" } else { "kontorstid" };
    let min = |k: &str| span(v[k].as_i64().unwrap_or(0) * 60_000);
    format!(
        "påbörjad felrättning {}, information {}, maximal feltid {} ({hours})",
        min("start_min"),
        min("inform_min"),
        min("downtime_min")
    )
}

async fn sla(node: &Node, json: bool) -> Result<()> {
    let view = get_json(&node.api, "/api/v1/support/sla").await?;
    if json {
        return output::json(&view);
    }
    match view["in_force"].as_str() {
        Some(id) => say!("gäller nu: {} ({id})", text(&view, "in_force_name")),
        None => say!("gäller nu: {} (standard: ingen tabell är fastställd)", text(&view, "in_force_name")),
    }
    let rows = |v: &Value| -> Result<()> {
        for (key, name) in [("high", "kritisk/hög"), ("medium", "medel"), ("low", "låg")] {
            say!("    {name}: {}", row_line(&v[key]));
        }
        Ok(())
    };
    for t in view["tables"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let state = match (t["adoption"]["faststalld"].as_bool(), t["since_ms"].as_i64()) {
            (Some(true), Some(since)) => format!("fastställd, gäller från {}", stockholm_time(since)),
            (Some(true), None) => "fastställd".into(),
            _ => "ej fastställd".into(),
        };
        let now = if t["in_force"].as_bool() == Some(true) { ", gäller nu" } else { "" };
        say!("{} {} (från {}; {state}{now})", text(t, "id"), text(t, "name"), text(t, "from"));
        rows(t)?;
    }
    say!("standard: {}", text(&view["default"], "name"));
    rows(&view["default"])
}

fn action_of(action: ActionArg, reference: Option<String>) -> Result<Action> {
    Ok(match action {
        ActionArg::Escalate => Action::Escalate,
        ActionArg::Start => Action::Start,
        ActionArg::Vendor => {
            Action::Vendor { reference: reference.context("vendor needs --reference: the vendor's case reference")? }
        }
        ActionArg::Message => Action::Message,
        ActionArg::Inform => Action::Inform,
        ActionArg::Pause => Action::Pause,
        ActionArg::Resume => Action::Resume,
        ActionArg::Resolve => Action::Resolve,
        ActionArg::Close => Action::Close,
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// A clock in Swedish words: `start: 2 h 30 min kvar (senast 2026-11-30 15:30)`.
fn clock_line(c: &Value) -> String {
    let name = match text(c, "clock") {
        "start" => "påbörjad felrättning",
        "inform" => "information",
        _ => "maximal feltid",
    };
    let remaining = c["remaining_ms"].as_i64().unwrap_or(0);
    let state = if c["breached"].as_bool() == Some(true) {
        format!("överskriden med {}", span(-remaining))
    } else if c["stopped"].as_bool() == Some(true) {
        "uppfylld".into()
    } else if c["paused"].as_bool() == Some(true) {
        format!("pausad, {} kvar", span(remaining))
    } else {
        format!("{} kvar", span(remaining))
    };
    match c["deadline_ms"].as_i64().filter(|_| c["stopped"].as_bool() != Some(true)) {
        Some(d) => format!("{name}: {state} (senast {})", stockholm_time(d)),
        None => format!("{name}: {state}"),
    }
}

async fn list(node: &Node, line: Option<u8>, member: Option<String>) -> Result<()> {
    let mut query = match (line, member) {
        (Some(l), Some(m)) => format!("?line={l}&member={m}&"),
        (Some(l), None) => format!("?line={l}&"),
        (None, Some(m)) => format!("?member={m}&"),
        (None, None) => "?".to_owned(),
    };
    // Every page, read at one instant so the order holds from page to page.
    query.push_str(&format!("at={}&limit=1000", samverka_node::support::now_ms()));
    let mut cases = Vec::new();
    let mut offset = Some(0);
    while let Some(o) = offset {
        let body = get_json(&node.api, &format!("/api/v1/support/cases{query}&offset={o}")).await?;
        cases.extend(body["cases"].as_array().cloned().unwrap_or_default());
        offset = body["next_offset"].as_u64();
    }
    for c in &cases {
        let clocks: Vec<String> =
            c["clocks"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(clock_line).collect();
        say!(
            "{} {:<10} {:<6} {} ({})  {}",
            text(c, "id"),
            text(c, "stage"),
            text(c, "priority"),
            text(c, "title"),
            text(c, "member_name"),
            clocks.join("; ")
        );
    }
    Ok(())
}

async fn show(node: &Node, case: &str, json: bool) -> Result<()> {
    let id = record_id(case, "case")?;
    let view = get_json(&node.api, &format!("/api/v1/support/cases/{id}")).await?;
    if json {
        return output::json(&view);
    }
    say!(
        "{} — {} ({}, {})",
        text(&view, "title"),
        text(&view, "stage"),
        text(&view, "priority"),
        text(&view, "category")
    );
    say!("anmält {} av {}", stockholm_time(view["reported_ms"].as_i64().unwrap_or(0)), text(&view, "member_name"));
    say!("{}", text(&view, "description"));
    for c in view["clocks"].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!("  {}", clock_line(c));
    }
    for s in view["steps"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let counted = if s["counted"].as_bool() == Some(true) { "" } else { " (räknas inte: parallell gren)" };
        say!(
            "  {} {}{counted} {}",
            stockholm_time(s["time_ms"].as_i64().unwrap_or(0)),
            text(s, "action"),
            text(s, "text")
        );
    }
    Ok(())
}
