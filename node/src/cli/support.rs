//! `samverka support`: raise a support case as your member's objektspecialist (line 1), take a
//! step on it (escalate, start, vendor, message, inform, pause, resume, resolve, close) as line 1
//! or the förvaltningsgrupp (line 2) — each signed on your own machine and sent, or written with
//! `--out` — and read the cases with their SLA clocks from a node. Every free text is checked
//! for a personnummer before anything is signed (`docs/support.md`).

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use samverka_node::support::{refusal, span, stockholm_time};
use samverka_protocol::support::{check_case_alone, check_text_alone, Action, Priority, SupportCase, SupportEvent};
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
    }
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
    let query = match (line, member) {
        (Some(l), Some(m)) => format!("?line={l}&member={m}"),
        (Some(l), None) => format!("?line={l}"),
        (None, Some(m)) => format!("?member={m}"),
        (None, None) => String::new(),
    };
    let body = get_json(&node.api, &format!("/api/v1/support/cases{query}")).await?;
    for c in body["cases"].as_array().map(Vec::as_slice).unwrap_or_default() {
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
