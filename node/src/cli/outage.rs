//! `samverka outage`: publish a driftstörning or planerat underhåll, update it or give the
//! all-clear (friskförklaring) as the host's förvaltare, acknowledge it (kvittens) as your
//! member's objektspecialist — each signed on the person's own machine and sent, or written with
//! `--out` to send later — and read the notices with who has not acknowledged, since when.
//!
//! Every text is checked before anything is signed; a personal identity number is refused with
//! a Swedish message naming the field.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use samverka_node::outage::{parse_stockholm, refusal_in_swedish, stockholm_time};
use samverka_protocol::outage::{check_alone, no_identity_number, NoticeKind, OutageAck, OutageNotice, Published};
use samverka_protocol::{Body, Kind, RecordId};
use serde_json::Value;

use super::governance::{get_json, record_id, Node};
use super::output;
use super::plan::{sign_and_send, Signing};

/// Outage notice commands.
#[derive(Subcommand, Debug)]
pub enum OutageCommand {
    /// Publish a notice to every member, signed by your key (the host's förvaltare).
    Publish {
        /// `driftstorning` or `planerat-underhall`.
        #[arg(long, default_value = "driftstorning")]
        kind: String,
        /// One-line title.
        #[arg(long)]
        title: String,
        /// What is wrong or what will be done, and what members should do.
        #[arg(long)]
        text: String,
        /// An affected part (berörd del); repeat for several.
        #[arg(long = "affected", required = true)]
        affected: Vec<String>,
        /// When it began or begins, `2026-11-30 14.30` in Swedish time (default: now).
        #[arg(long)]
        start: Option<String>,
        /// When it is expected to end, `2026-11-30 16.00` in Swedish time.
        #[arg(long)]
        expected_end: Option<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// Publish news on a notice, and a new expected end if it changed.
    Update {
        /// The notice's record id.
        notice: String,
        /// The news.
        #[arg(long)]
        text: String,
        /// A new expected end, `2026-11-30 16.00` in Swedish time.
        #[arg(long)]
        expected_end: Option<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// Give the all-clear (friskförklaring): the outage is over.
    Clear {
        /// The notice's record id.
        notice: String,
        /// What was done.
        #[arg(long)]
        text: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// Acknowledge a notice (kvittera) as your member's objektspecialist: you have read it.
    Ack {
        /// The notice's record id.
        notice: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// List the notices a node holds, the active ones first.
    List {
        #[command(flatten)]
        node: Node,
    },
    /// Show a notice: its updates, the all-clear, and who has not acknowledged since when.
    Show {
        /// The notice's record id.
        notice: String,
        #[command(flatten)]
        node: Node,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an outage command.
pub async fn run(command: OutageCommand) -> Result<()> {
    match command {
        OutageCommand::Publish { kind, title, text, affected, start, expected_end, signing } => {
            let kind = NoticeKind::parse(&kind)
                .with_context(|| format!("--kind {kind:?}: write driftstorning or planerat-underhall"))?;
            let start_ms = match start {
                Some(s) => time("--start", &s)?,
                None => jiff::Timestamp::now().as_millisecond(),
            };
            let expected_end_ms = expected_end.map(|e| time("--expected-end", &e)).transpose()?;
            let published = Published { kind, title, text, affected, start_ms, expected_end_ms };
            checked(check_alone(&published))?;
            send(&signing, OutageNotice::Publish(published)).await
        }
        OutageCommand::Update { notice, text, expected_end, signing } => {
            let notice = id(&notice)?;
            checked(no_identity_number("text", &text))?;
            let expected_end_ms = expected_end.map(|e| time("--expected-end", &e)).transpose()?;
            send(&signing, OutageNotice::Update { notice, text, expected_end_ms }).await
        }
        OutageCommand::Clear { notice, text, signing } => {
            let notice = id(&notice)?;
            checked(no_identity_number("text", &text))?;
            send(&signing, OutageNotice::Clear { notice, text }).await
        }
        OutageCommand::Ack { notice, signing } => {
            let body = OutageAck { notice: id(&notice)? };
            sign_and_send(&signing, Kind::OutageAck, body.to_bytes()).await
        }
        OutageCommand::List { node } => list(&node).await,
        OutageCommand::Show { notice, node, json } => show(&node, &notice, json).await,
    }
}

fn id(notice: &str) -> Result<RecordId> {
    record_id(notice, "notice")
}

fn time(flag: &str, text: &str) -> Result<i64> {
    parse_stockholm(text).with_context(|| format!("{flag} {text:?}: write a Swedish time as 2026-11-30 14.30"))
}

/// The rules' answer, in Swedish, before anything is signed.
fn checked(result: Result<(), samverka_protocol::outage::Error>) -> Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(samverka_protocol::rule::Error::Violation(v)) => bail!("{}", refusal_in_swedish(&v)),
        Err(e) => bail!("{e}"),
    }
}

async fn send(signing: &Signing, notice: OutageNotice) -> Result<()> {
    sign_and_send(signing, Kind::OutageNotice, notice.to_bytes()).await
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn when(v: &Value) -> String {
    v.as_i64().map_or_else(|| "–".into(), stockholm_time)
}

async fn list(node: &Node) -> Result<()> {
    let body = get_json(&node.api, "/api/v1/outages").await?;
    for o in body["outages"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let state = if o["active"] == Value::Bool(true) { "pågår" } else { "friskförklarad" };
        say!(
            "{} {:<18} {:<14} från {} beräknat slut {}  kvitterad av {}/{}  {}",
            text(o, "id"),
            text(o, "kind"),
            state,
            when(&o["start_ms"]),
            when(&o["expected_end_ms"]),
            o["acknowledged"],
            o["members"],
            text(o, "title"),
        );
    }
    Ok(())
}

async fn show(node: &Node, notice: &str, json: bool) -> Result<()> {
    let id = id(notice)?;
    let view = get_json(&node.api, &format!("/api/v1/outages/{id}")).await?;
    if json {
        return output::json(&view);
    }
    let s = &view["summary"];
    say!("{} ({}) — publicerad {}", text(s, "title"), text(s, "kind"), when(&s["published_ms"]));
    say!("från {}, beräknat slut {}", when(&s["start_ms"]), when(&s["expected_end_ms"]));
    say!("{}", text(&view, "text"));
    for u in view["updates"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let after = if u["after_clear"] == Value::Bool(true) { " (efter friskförklaringen)" } else { "" };
        say!("  uppdatering {}{after}: {}", when(&u["time_ms"]), text(u, "text"));
    }
    match view["cleared"].as_object() {
        Some(_) => say!("friskförklarad {}: {}", when(&view["cleared"]["time_ms"]), text(&view["cleared"], "text")),
        None => say!("pågår: ingen friskförklaring"),
    }
    for m in view["members"].as_array().map(Vec::as_slice).unwrap_or_default() {
        match m["acknowledged"]["time_ms"].as_i64() {
            Some(t) => say!("  {:<14} kvitterad {}", text(m, "member_name"), stockholm_time(t)),
            None => say!("  {:<14} ej kvitterad sedan {}", text(m, "member_name"), when(&m["missing_since_ms"])),
        }
    }
    Ok(())
}
