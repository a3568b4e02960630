//! `samverka need`: register a need as your member's objektspecialist, endorse another member's
//! need, take a step on a need's path as the förvaltningsgrupp (or withdraw your member's need),
//! rank the open needs — each signed on the person's own machine and sent, or written with
//! `--out` to send later — and read the backlog from a node.
//!
//! Free text is checked before anything is signed ([`Need::check_alone`]): a personnummer or
//! samordningsnummer is refused with the field to correct.

use anyhow::{Context, Result};
use clap::Subcommand;
use samverka_node::needs::correction;
use samverka_protocol::cost::Ore;
use samverka_protocol::needs::{Area, Asker, Decision, Need, NeedUpdate, State, Step};
use samverka_protocol::{Body, Kind, RecordId};
use serde_json::Value;

use super::governance::{get_json, record_id, Node};
use super::output;
use super::plan::Signing;
use super::signing::ready;

/// Need commands.
#[derive(Subcommand, Debug)]
pub enum NeedCommand {
    /// Register a need (behov) for your key's member.
    Register {
        /// What is asked for, one line.
        #[arg(long)]
        title: String,
        /// What does not work today, what should change.
        #[arg(long)]
        description: String,
        /// The benefit (nytta): who gains what.
        #[arg(long)]
        benefit: String,
        /// The area: ifo, hsl, ao, sol-lss, avgift, ovrigt.
        #[arg(long)]
        area: String,
        /// The wished date, YYYY-MM-DD.
        #[arg(long)]
        wished: Option<String>,
        /// Who asks: a name.
        #[arg(long)]
        name: String,
        /// Who asks: a role.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// Say your member needs it too ("vi behöver också").
    Endorse {
        /// The need's record id.
        need: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// Take the next step on a need's path (the förvaltningsgrupp), or withdraw your member's
    /// need (`aterkallad`). The step follows the last step on the need's path.
    Step {
        /// The need's record id.
        need: String,
        /// The state it goes to: beredd, beslutad, planerad, utvecklad, testad,
        /// driftsattningsbeslut, informerad, driftsatt, uppfoljd, avslagen, aterkallad.
        to: String,
        /// For beredd: the consequences.
        #[arg(long)]
        consequences: Option<String>,
        /// For beredd: the cost estimate in kronor (`120 000,00`).
        #[arg(long)]
        cost: Option<String>,
        /// For beslutad within the frame of a plan, and for planerad: the plan's record id.
        #[arg(long)]
        plan: Option<String>,
        /// For beslutad by the styrgrupp: the ballot closing that adopted a matter on the need.
        #[arg(long)]
        closing: Option<String>,
        /// Why, or what was done.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// Rank the open needs for your member, the highest priority first. Replaces your member's
    /// earlier ranking.
    Rank {
        /// The needs' record ids, highest priority first.
        needs: Vec<String>,
        #[command(flatten)]
        signing: Signing,
    },
    /// List the backlog: open needs in the federation's priority order, then the others.
    List {
        /// Only needs in this state.
        #[arg(long)]
        state: Option<String>,
        /// Only needs in this area.
        #[arg(long)]
        area: Option<String>,
        #[command(flatten)]
        node: Node,
    },
    /// Show a need with its path and the members that need it.
    Show {
        /// The need's record id.
        need: String,
        #[command(flatten)]
        node: Node,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a need command.
pub async fn run(command: NeedCommand) -> Result<()> {
    match command {
        NeedCommand::Register { title, description, benefit, area, wished, name, role, signing } => {
            let area = Area::parse(&area)
                .with_context(|| format!("--area {area:?} is not one of ifo, hsl, ao, sol-lss, avgift, ovrigt"))?;
            let asker = Asker { name, role };
            let mut need = Need { title, description, benefit, wished, area, asker, member: String::new() };
            need.check_alone().map_err(|e| anyhow::anyhow!("{}", correction(&e)))?;
            let ready = ready(&signing.key, &signing.api).await?;
            need.member = ready.member.clone().context("your key is not certified for a member of this federation")?;
            ready.deliver(&signing.api, signing.out.as_deref(), Kind::Need, need.to_bytes()).await?;
            Ok(())
        }
        NeedCommand::Endorse { need, signing } => {
            let need = record_id(&need, "need")?;
            send(&signing, NeedUpdate::Endorse { need }).await
        }
        NeedCommand::Step { need, to, consequences, cost, plan, closing, note, signing } => {
            let id = record_id(&need, "need")?;
            let view = get_json(&signing.api, &format!("/api/v1/needs/{id}")).await?;
            let follows = record_id(view["follows"].as_str().unwrap_or(""), "the node's last step")?;
            let step = step(&to, consequences, cost, plan, closing)?;
            send(&signing, NeedUpdate::Step { need: id, follows, step, note }).await
        }
        NeedCommand::Rank { needs, signing } => {
            let needs = needs.iter().map(|n| record_id(n, "need")).collect::<Result<Vec<RecordId>>>()?;
            send(&signing, NeedUpdate::Rank { needs }).await
        }
        NeedCommand::List { state, area, node } => list(&node, state, area).await,
        NeedCommand::Show { need, node, json } => show(&node, &need, json).await,
    }
}

async fn send(signing: &Signing, update: NeedUpdate) -> Result<()> {
    update.check_alone().map_err(|e| anyhow::anyhow!("{}", correction(&e)))?;
    let ready = ready(&signing.key, &signing.api).await?;
    ready.deliver(&signing.api, signing.out.as_deref(), Kind::NeedUpdate, update.to_bytes()).await?;
    Ok(())
}

/// The step to `to` with what it records, from the flags.
fn step(
    to: &str,
    consequences: Option<String>,
    cost: Option<String>,
    plan: Option<String>,
    closing: Option<String>,
) -> Result<Step> {
    let state = State::parse(to).with_context(|| format!("{to:?} is not a state of a need's path"))?;
    let plan_id = || -> Result<RecordId> { record_id(plan.as_deref().context("name the plan with --plan")?, "plan") };
    Ok(match state {
        State::Registrerad => anyhow::bail!("a need is registrerad when it is registered; no step leads there"),
        State::Beredd => {
            let consequences = consequences.context("beredd records the consequences: give --consequences")?;
            let cost = cost.context("beredd records a cost estimate: give --cost in kronor")?;
            let ore = Ore::parse_sek(&cost).map_err(|e| anyhow::anyhow!("--cost: {e}"))?;
            Step::Beredd { consequences, cost_ore: u64::try_from(ore.0).context("a cost is not negative")? }
        }
        State::Beslutad => match closing {
            Some(c) => Step::Beslutad { by: Decision::Styrgrupp { closing: record_id(&c, "closing")? } },
            None => Step::Beslutad { by: Decision::Forvaltningsgrupp { plan: plan_id()? } },
        },
        State::Planerad => Step::Planerad { plan: plan_id()? },
        plain => Step::plain(plain).expect("every other state is a plain step"),
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn members(v: &Value) -> String {
    let names: Vec<&str> =
        v["members"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(|m| text(m, "name")).collect();
    names.join(", ")
}

async fn list(node: &Node, state: Option<String>, area: Option<String>) -> Result<()> {
    let mut query = Vec::new();
    query.extend(state.map(|s| format!("state={s}")));
    query.extend(area.map(|a| format!("area={a}")));
    let body = get_json(&node.api, &format!("/api/v1/needs?{}", query.join("&"))).await?;
    for n in body["needs"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let priority = n["priority"].as_u64().map_or_else(|| "–".into(), |p| p.to_string());
        say!(
            "{} {:>3} {:<20} {:<8} {}  (behövs av {})",
            text(n, "id"),
            priority,
            text(n, "state"),
            text(n, "area"),
            text(n, "title"),
            members(n),
        );
    }
    Ok(())
}

async fn show(node: &Node, need: &str, json: bool) -> Result<()> {
    let id = record_id(need, "need")?;
    let view = get_json(&node.api, &format!("/api/v1/needs/{id}")).await?;
    if json {
        return output::json(&view);
    }
    let (s, n) = (&view["summary"], &view["need"]);
    say!("{} — {} ({})", text(n, "title"), text(s, "state"), text(n, "area"));
    say!("frågar: {}, {} ({})", text(&n["asker"], "name"), text(&n["asker"], "role"), text(n, "member"));
    if let Some(w) = n["wished"].as_str() {
        say!("önskat datum: {w}");
    }
    say!("beskrivning: {}", text(n, "description"));
    say!("nytta: {}", text(n, "benefit"));
    say!("behövs av: {}", members(s));
    match s["priority"].as_u64() {
        Some(p) => say!("prioritet i federationen: {p} ({} poäng)", s["points"]),
        None => say!("inte öppet: ingen prioritet"),
    }
    for t in view["path"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let when = samverka_node::governance::stockholm_date(t["time_ms"].as_i64().unwrap_or(0));
        let cost = t["cost_ore"].as_i64().map(|o| format!(", {} kr", Ore(o))).unwrap_or_default();
        say!("  {when} {:<20} av {}{cost}  {}", text(t, "state"), text(t, "member"), text(t, "note"));
    }
    let next: Vec<&str> =
        view["next"].as_array().map(Vec::as_slice).unwrap_or_default().iter().filter_map(Value::as_str).collect();
    if !next.is_empty() {
        say!("nästa steg: {}", next.join(", "));
    }
    Ok(())
}
