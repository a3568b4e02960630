//! `samverka agreement`: check an agreement file offline, draft it (signed by the host's
//! förvaltare or ordförande), sign it, give notice or withdraw as a party's firmatecknare — each
//! signed on the person's own machine and sent, or written with `--out` to send later — and read
//! agreements with their status from a node.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use samverka_node::agreement::{file, next_deadline, rule_text, today};
use samverka_protocol::agreement::{check_alone, Act, Agreement, AgreementSignature, Party};
use samverka_protocol::governance::{Date, Paper, PaperRef};
use samverka_protocol::{Body, Kind};
use serde_json::Value;

use super::governance::{get_json, record_id, Node};
use super::output;
use super::plan::{sign_and_send, Signing};
use super::signing::ready;

/// Agreement commands.
#[derive(Subcommand, Debug)]
pub enum AgreementCommand {
    /// Read an agreement file (TOML) and check every rule it can be checked by alone; print its
    /// parties, term, notice rule and the next notice deadline. Offline: nothing signed.
    Check {
        /// The agreement file.
        file: PathBuf,
    },
    /// Sign an agreement file with your key (the host's förvaltare or ordförande) and send it:
    /// the draft (utkast) every party then signs.
    Draft {
        /// The agreement file.
        file: PathBuf,
        #[command(flatten)]
        signing: Signing,
    },
    /// Sign an agreement version as your member's firmatecknare. For an outside party, name
    /// its index with --party and its signed paper original with --original.
    Sign {
        /// The agreement's record id.
        agreement: String,
        #[command(flatten)]
        act: PartyArgs,
    },
    /// Give notice (uppsägning) for your member: the agreement ends for every party on the day
    /// its notice rule gives.
    Notice {
        /// The agreement's record id.
        agreement: String,
        /// The day notice is given (default: today in Sweden), YYYY-MM-DD.
        #[arg(long)]
        given: Option<String>,
        #[command(flatten)]
        act: PartyArgs,
    },
    /// Withdraw your member (utträde): it leaves on the day the notice rule gives.
    Withdraw {
        /// The agreement's record id.
        agreement: String,
        /// The day the withdrawal is given (default: today in Sweden), YYYY-MM-DD.
        #[arg(long)]
        given: Option<String>,
        #[command(flatten)]
        act: PartyArgs,
    },
    /// List the agreement versions a node holds, with status and the next notice deadline.
    List {
        #[command(flatten)]
        node: Node,
    },
    /// Show an agreement version: parties and signatures, notices, history, decisions.
    Show {
        /// The agreement's record id.
        agreement: String,
        #[command(flatten)]
        node: Node,
        /// Print the node's JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Who acts, and on whose behalf.
#[derive(clap::Args, Debug)]
pub struct PartyArgs {
    #[command(flatten)]
    signing: Signing,
    /// The party's index (from `samverka agreement show`); default: your own member's party.
    #[arg(long)]
    party: Option<u16>,
    /// The signed paper original (a scan), required for an outside party.
    #[arg(long)]
    original: Option<PathBuf>,
}

/// Runs an agreement command.
pub async fn run(command: AgreementCommand) -> Result<()> {
    match command {
        AgreementCommand::Check { file } => {
            let a = read(&file)?;
            report(&a)
        }
        AgreementCommand::Draft { file, signing } => {
            let a = read(&file)?;
            report(&a)?;
            sign_and_send(&signing, Kind::Agreement, a.to_bytes()).await
        }
        AgreementCommand::Sign { agreement, act } => party_act(&agreement, act, Act::Sign).await,
        AgreementCommand::Notice { agreement, given, act } => {
            party_act(&agreement, act, Act::Notice { given: given_day(given)? }).await
        }
        AgreementCommand::Withdraw { agreement, given, act } => {
            party_act(&agreement, act, Act::Withdrawal { given: given_day(given)? }).await
        }
        AgreementCommand::List { node } => list(&node).await,
        AgreementCommand::Show { agreement, node, json } => show(&node, &agreement, json).await,
    }
}

fn read(path: &Path) -> Result<Agreement> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let a = file::parse(&text, dir).with_context(|| format!("{} is not an agreement file", path.display()))?;
    check_alone(&a).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(a)
}

fn given_day(given: Option<String>) -> Result<String> {
    match given {
        Some(g) => {
            Date::parse(&g).map_err(|e| anyhow::anyhow!("--given: {e}"))?;
            Ok(g)
        }
        None => Ok(today().to_string()),
    }
}

/// Prints what every node will show of the agreement.
fn report(a: &Agreement) -> Result<()> {
    say!("{} ({})", a.title, a.system);
    for (i, p) in a.parties.iter().enumerate() {
        match p {
            Party::Member { member } => say!("  part {i}: medlem {member}"),
            Party::Outside { name, organisationsnummer } => say!("  part {i}: {name} ({organisationsnummer})"),
        }
    }
    match &a.end {
        Some(end) => say!("gäller {} – {end}", a.start),
        None => say!("gäller från {} tills vidare", a.start),
    }
    say!("uppsägning: {}", rule_text(a.notice));
    for annex in &a.annexes {
        say!("  bilaga: {} ({} byte, {})", annex.name, annex.size, annex.content_hash);
    }
    match next_deadline(a, today()) {
        Some(d) => say!("sista dag att säga upp för att avtalet ska upphöra {}: {}", d.ends, d.last_day),
        None => say!("avtalet upphör på sitt slutdatum innan en uppsägning i dag hinner verka"),
    }
    Ok(())
}

/// Signs a party's act on `agreement`: the party is `--party`, or the one the key's member is.
async fn party_act(agreement: &str, args: PartyArgs, act: Act) -> Result<()> {
    let id = record_id(agreement, "agreement")?;
    let view = get_json(&args.signing.api, &format!("/api/v1/agreements/{id}")).await?;
    let ready = ready(&args.signing.key, &args.signing.api).await?;
    let parties = view["parties"].as_array().map(Vec::as_slice).unwrap_or_default();
    let party = match args.party {
        Some(p) => p,
        None => {
            let member = ready.member.as_deref().unwrap_or("");
            let own = parties.iter().find(|p| p["member"].as_str() == Some(member));
            let index = own.and_then(|p| p["index"].as_u64()).with_context(|| {
                format!("your key's member {member} is not a party to this agreement; name the party with --party")
            })?;
            u16::try_from(index).context("a party index fits in u16")?
        }
    };
    let original = args.original.as_deref().map(original).transpose()?;
    let body = AgreementSignature { agreement: id, party, act, original };
    ready.deliver(&args.signing.api, args.signing.out.as_deref(), Kind::AgreementSignature, body.to_bytes()).await?;
    Ok(())
}

/// Describes a signed paper original by its size and content hash.
fn original(path: &Path) -> Result<PaperRef> {
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.file_name().map_or_else(|| "original".into(), |n| n.to_string_lossy().into_owned());
    let paper = Paper::describe(&name, "application/octet-stream", &content);
    Ok(PaperRef { name, content_hash: paper.content_hash, size: paper.size })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// A status as people say it, from the API's name (`gallande` → `gällande`).
fn status_words(v: &Value) -> &str {
    match text(v, "status") {
        "utkast" => "utkast",
        "under-signering" => "under signering",
        "gallande" => "gällande",
        "andrat" => "ändrat",
        "uppsagt" => "uppsagt",
        "upphort" => "upphört",
        other => other,
    }
}

async fn list(node: &Node) -> Result<()> {
    let body = get_json(&node.api, "/api/v1/agreements").await?;
    for a in body["agreements"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let deadline = match a["deadline"]["last_day"].as_str() {
            Some(d) => format!("säg upp senast {d} (upphör {})", text(&a["deadline"], "ends")),
            None => String::new(),
        };
        say!(
            "{} {:<16} {}/{} undertecknat  {}  {deadline}",
            text(a, "id"),
            status_words(&a["status"]),
            a["signed"],
            a["parties"],
            text(a, "title"),
        );
    }
    Ok(())
}

async fn show(node: &Node, agreement: &str, json: bool) -> Result<()> {
    let id = record_id(agreement, "agreement")?;
    let view = get_json(&node.api, &format!("/api/v1/agreements/{id}")).await?;
    if json {
        return output::json(&view);
    }
    let (s, a) = (&view["summary"], &view["agreement"]);
    say!("{} ({}) — {}", text(a, "title"), text(a, "system"), status_words(&s["status"]));
    say!("uppsägning: {}", text(&a["notice"], "text"));
    if let Some(d) = s["deadline"]["last_day"].as_str() {
        say!("sista dag att säga upp: {d} (upphör {})", text(&s["deadline"], "ends"));
    }
    for p in view["parties"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let signed = match p["signature"]["record"].as_str() {
            Some(r) => format!(
                "undertecknat {} ({r})",
                samverka_node::governance::stockholm_date(p["signature"]["time_ms"].as_i64().unwrap_or(0))
            ),
            None => "ej undertecknat".into(),
        };
        say!("  part {}: {:<28} {signed}", p["index"], text(p, "name"));
    }
    for n in view["notices"].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!(
            "  uppsagd {} av part {} → upphör {} ({})",
            text(n, "given"),
            n["party"],
            text(n, "ends"),
            text(&n["rule"], "text")
        );
    }
    for d in view["decisions"].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!("  beslut: {} ({}) ärende {}", text(d, "title"), text(d, "kind"), text(d, "matter"));
    }
    if view["decisions"].as_array().is_none_or(Vec::is_empty) {
        say!("  inget beslut i styrgruppen namnger denna version");
    }
    Ok(())
}
