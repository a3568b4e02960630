//! The governance commands: sign a matter, meeting, vote, minutes or justering with a personal key
//! on the signer's own machine (the private key never leaves it; only the signed record is sent),
//! list matters and decisions, fetch a decision with its proof as JSON, PDF or CSV, and the host
//! operator's register and close.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use samverka_node::governance::{parse_matter_kind, stockholm_date};

use super::output;
use super::signing::ready;
use samverka_protocol::governance::{
    content_hash, Choice, Justering, Matter, Meeting, Minutes, MinutesItem, PaperRef, Procedure, Vote,
};
use samverka_protocol::{Body, Kind, PublicKey, RecordId};
use serde_json::Value;

/// Arguments of `sign`.
#[derive(Args, Debug)]
pub struct Sign {
    /// Your personal key file. Its chain position is kept beside it in `<key>.chain`; without
    /// that file the position is read from the node.
    #[arg(long)]
    pub key: PathBuf,
    /// The node's API address: federation, roster version and (without a chain file) the key's
    /// position are read from it, and the signed record is sent to it unless --out is given.
    #[arg(long, default_value = "http://127.0.0.1:7080", value_parser = super::api_address)]
    pub api: String,
    /// Write the signed record to this file instead of sending it (submit it later with
    /// `curl --data-binary @FILE -H 'Content-Type: application/octet-stream' URL/api/v1/records`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to sign.
    #[command(subcommand)]
    pub what: SignWhat,
}

/// The records a person signs.
#[derive(Subcommand, Debug)]
pub enum SignWhat {
    /// Your member's vote on a matter (you must be its ordinarie or ersättare).
    Vote {
        /// The matter's record id.
        #[arg(long)]
        matter: String,
        /// ja, nej, avstar, or the number of an alternative (from 1, as listed).
        #[arg(long)]
        choice: String,
    },
    /// A matter (ärende) for the styrgrupp (förvaltare or ordförande).
    Matter {
        /// budget, forvaltningsplan, utvecklingsplan, investering, storre-forandring,
        /// avtalsforlangning, uppsagning-av-avtal, nytt-avtal, medlemskap or ovrigt.
        #[arg(long)]
        kind: String,
        /// One-line title.
        #[arg(long)]
        title: String,
        /// The proposal (förslag till beslut).
        #[arg(long)]
        proposal: String,
        /// An alternative to vote between (give none, or at least two).
        #[arg(long = "alternative")]
        alternatives: Vec<String>,
        /// Decide by correspondence with this many days to vote (default: at a meeting).
        #[arg(long, value_name = "DAYS")]
        per_capsulam: Option<u32>,
        /// A paper (underlag) file: named by hash in the matter, its bytes uploaded after it.
        #[arg(long = "paper")]
        papers: Vec<PathBuf>,
        /// The designated closer's public key (hex or key file): the only key that may close the
        /// ballot and whose vote receipts the closing must account for. Default: the node key of
        /// the node at --api (sign it there when that is the host's node).
        #[arg(long)]
        closer: Option<String>,
        /// The record the matter decides on: a plan version (record id) of the kind the matter's
        /// kind adopts, a cost key on a budget matter, or an SLA table on an ovrigt matter.
        /// Adopting the matter makes it fastställd.
        #[arg(long)]
        subject: Option<String>,
    },
    /// A meeting (kallelse) with its agenda (förvaltare or ordförande).
    Meeting {
        /// The meeting's date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Where.
        #[arg(long)]
        place: String,
        /// Title (default "Styrgruppsmöte DATE").
        #[arg(long)]
        title: Option<String>,
        /// A matter on the agenda (record id); repeat in agenda order.
        #[arg(long = "matter", required = true)]
        matters: Vec<String>,
    },
    /// Minutes (protokoll) of a meeting (förvaltare or ordförande).
    Minutes {
        /// The meeting's record id.
        #[arg(long)]
        meeting: String,
        /// Members present (kommunkod), comma-separated or repeated.
        #[arg(long, value_delimiter = ',', required = true)]
        present: Vec<String>,
        /// An item: "MATTER_ID=TEXT"; the matter's closing is looked up on the node.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// The chair's public key (hex or key file).
        #[arg(long)]
        chair: String,
        /// A justerare's public key (hex or key file); exactly two.
        #[arg(long = "justerare", num_args = 1, required = true)]
        justerare: Vec<String>,
        /// The day the minutes are posted (anslag), YYYY-MM-DD.
        #[arg(long)]
        anslag: Option<String>,
    },
    /// Attest (justera) minutes as their chair or one of their justerare.
    Justera {
        /// The minutes' record id.
        #[arg(long)]
        minutes: String,
    },
}

/// Arguments shared by the read and operator commands.
#[derive(Args, Debug)]
pub struct Node {
    /// The node's API address.
    #[arg(long, default_value = "http://127.0.0.1:7080", value_parser = super::api_address)]
    pub api: String,
}

pub(super) fn url(api: &str, path: &str) -> String {
    format!("{}{path}", api.trim_end_matches('/'))
}

pub(super) async fn get_json(api: &str, path: &str) -> Result<Value> {
    let response = reqwest::get(url(api, path)).await.with_context(|| format!("no node answers at {api}"))?;
    answer(response).await
}

pub(super) async fn answer(response: reqwest::Response) -> Result<Value> {
    let code = response.status();
    let body: Value = response.json().await.context("the node's answer is not JSON")?;
    if !code.is_success() {
        bail!(
            "the node answered {code}: {} ({})",
            body["error"].as_str().unwrap_or("?"),
            body["code"].as_str().unwrap_or("?")
        );
    }
    Ok(body)
}

pub(super) fn record_id(s: &str, what: &str) -> Result<RecordId> {
    RecordId::from_hex(s.trim()).map_err(|_| anyhow::anyhow!("{what} {s:?} is not a record id (64 hex digits)"))
}

fn parse_choice(s: &str) -> Result<Choice> {
    Ok(match s.to_lowercase().as_str() {
        "ja" | "yes" => Choice::Yes,
        "nej" | "no" => Choice::No,
        "avstar" | "avstår" | "abstain" => Choice::Abstain,
        n => match n.parse::<u32>() {
            Ok(i) if i >= 1 => Choice::Alternative(i - 1),
            _ => bail!("--choice {s:?} must be ja, nej, avstar or an alternative's number (from 1)"),
        },
    })
}

/// Refuses, before signing, a choice the matter does not offer, with the choices it does.
async fn check_choice(api: &str, matter: &RecordId, choice: Choice) -> Result<()> {
    let view = get_json(api, &format!("/api/v1/matters/{matter}")).await?;
    if view["status"] != "open" {
        eprintln!("note: the ballot on this matter is {}: a vote now is not counted", view["status"]);
    }
    let alternatives = view["matter"]["alternatives"].as_array().map_or(0, Vec::len);
    let admitted = match choice {
        Choice::Abstain => true,
        Choice::Yes | Choice::No => alternatives == 0,
        Choice::Alternative(i) => usize::try_from(i).is_ok_and(|i| i < alternatives),
    };
    if !admitted {
        match alternatives {
            0 => bail!("the matter is a yes/no matter: --choice ja, nej or avstar"),
            n => bail!("the matter has {n} alternatives: --choice 1 to {n}, or avstar"),
        }
    }
    Ok(())
}

fn today() -> String {
    stockholm_date(jiff::Timestamp::now().as_millisecond())
}

/// Runs `sign`: builds the body, signs it locally, sends it (or writes it).
pub async fn sign(args: Sign) -> Result<()> {
    let ready = ready(&args.key, &args.api).await?;
    let member = ready.member.clone();
    let mut papers = Vec::new();
    let (kind, body) = match args.what {
        SignWhat::Vote { matter, choice } => {
            let member = member.context("the node does not know which member this key speaks for")?;
            let (matter, choice) = (record_id(&matter, "--matter")?, parse_choice(&choice)?);
            check_choice(&args.api, &matter, choice).await?;
            let body = Vote { matter, member, choice };
            (Kind::Vote, body.to_bytes())
        }
        SignWhat::Matter { kind, title, proposal, alternatives, per_capsulam, papers: files, closer, subject } => {
            let subject = subject.map(|s| record_id(&s, "--subject")).transpose()?;
            let kind = parse_matter_kind(&kind).with_context(|| format!("--kind {kind:?} is not a kind of matter"))?;
            let mut refs = Vec::new();
            for file in files {
                let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                refs.push(PaperRef { name, content_hash: content_hash(&bytes), size: bytes.len() as u64 });
                papers.push(bytes);
            }
            let procedure = match per_capsulam {
                Some(days) => Procedure::PerCapsulam { voting_window_days: days },
                None => Procedure::Meeting { meeting: None },
            };
            let closer = match closer {
                Some(k) => samverka_node::keyfile::read_public(&k)?,
                None => {
                    let status = get_json(&args.api, "/api/v1/status").await?;
                    let hex = status["node_key"].as_str().context("the node sent no node_key: give --closer")?;
                    PublicKey::from_hex(hex).context("the node sent a node_key that is not a key")?
                }
            };
            let body = Matter { kind, title, proposal, alternatives, papers: refs, procedure, closer, subject };
            (Kind::Matter, body.to_bytes())
        }
        SignWhat::Meeting { date, place, title, matters } => {
            let agenda = matters.iter().map(|m| record_id(m, "--matter")).collect::<Result<Vec<_>>>()?;
            let title = title.unwrap_or_else(|| format!("Styrgruppsmöte {date}"));
            (Kind::Meeting, Meeting { title, date, place, agenda, notice_given_on: today() }.to_bytes())
        }
        SignWhat::Minutes { meeting, present, items, chair, justerare, anslag } => {
            let [j0, j1] = justerare.as_slice() else { bail!("give --justerare exactly twice") };
            let key = |s: &str| -> Result<PublicKey> { Ok(samverka_node::keyfile::read_public(s)?) };
            let mut present = present;
            present.sort();
            present.dedup();
            let mut lines = Vec::new();
            for item in &items {
                let (matter, text) = item.split_once('=').context("--item must be \"MATTER_ID=TEXT\"")?;
                let matter = record_id(matter, "--item matter")?;
                let view = get_json(&args.api, &format!("/api/v1/matters/{matter}")).await?;
                let closing = view["proof"]["closings"][0].as_str().map(|c| record_id(c, "closing")).transpose()?;
                lines.push(MinutesItem { matter, closing, text: text.to_owned() });
            }
            let body = Minutes {
                meeting: record_id(&meeting, "--meeting")?,
                present,
                items: lines,
                justerare: [key(j0)?, key(j1)?],
                chair: key(&chair)?,
                anslag_date: anslag,
            };
            (Kind::Minutes, body.to_bytes())
        }
        SignWhat::Justera { minutes } => {
            (Kind::Justering, Justering { minutes: record_id(&minutes, "--minutes")? }.to_bytes())
        }
    };
    if !ready.deliver(&args.api, args.out.as_deref(), kind, body).await? {
        return Ok(());
    }
    let client = reqwest::Client::new();
    for bytes in papers {
        let response = client
            .post(url(&args.api, "/api/v1/papers"))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        let reply = answer(response).await.context("the node refused a paper")?;
        say!("paper {} {}", reply["content_hash"].as_str().unwrap_or("?"), reply["outcome"].as_str().unwrap_or("?"));
    }
    Ok(())
}

/// Runs `matters`: one line per matter (or per decision with --decided).
pub async fn matters(node: Node, decided: bool) -> Result<()> {
    let (path, field) = if decided { ("/api/v1/decisions", "decisions") } else { ("/api/v1/matters", "matters") };
    let body = get_json(&node.api, path).await?;
    for m in body[field].as_array().map(Vec::as_slice).unwrap_or_default() {
        say!(
            "{:<14} {:<9} {:<40} {} {}",
            m["diarienummer"].as_str().unwrap_or("-"),
            m["status"].as_str().unwrap_or("?"),
            m["outcome"]["text"].as_str().unwrap_or("-"),
            m["id"].as_str().unwrap_or("?"),
            m["title"].as_str().unwrap_or(""),
        );
    }
    Ok(())
}

/// Runs `decision`: prints the decision with its proof, or writes its PDF or CSV.
pub async fn decision(
    node: Node,
    matter: String,
    pdf: Option<PathBuf>,
    csv: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let id = record_id(&matter, "--matter")?;
    let file = match (pdf, csv) {
        (Some(p), None) => Some((p, "decision.pdf")),
        (None, Some(c)) => Some((c, "decision.csv")),
        (None, None) => None,
        (Some(_), Some(_)) => bail!("give --pdf or --csv, not both"),
    };
    if let Some((path, name)) = file {
        let response = reqwest::get(url(&node.api, &format!("/api/v1/matters/{id}/{name}")))
            .await
            .with_context(|| format!("no node answers at {}", node.api))?;
        if !response.status().is_success() {
            answer(response).await?;
            bail!("the node refused");
        }
        let bytes = response.bytes().await.context("reading the document")?;
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        say!("{} bytes written to {}", bytes.len(), path.display());
        return Ok(());
    }
    let view = get_json(&node.api, &format!("/api/v1/matters/{id}")).await?;
    if json {
        return output::json(&view);
    }
    let text = |v: &Value| v.as_str().map_or_else(|| "-".to_owned(), str::to_owned);
    say!("{} {}", text(&view["diarienummer"]), text(&view["title"]));
    say!("status:  {}", text(&view["status"]));
    say!("outcome: {}", text(&view["outcome"]["text"]));
    let t = &view["tally"];
    say!("tally:   ja {} nej {} avstår {} ({} members voting)", t["yes"], t["no"], t["abstain"], t["members_voting"]);
    for v in view["votes"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let standing = match v["excluded"]["code"].as_str() {
            Some(code) => format!("not counted: {code}"),
            None => "counted".to_owned(),
        };
        say!("  {:<6} {:<28} {:<8} {standing}", text(&v["member"]), text(&v["member_name"]), text(&v["choice"]));
    }
    say!("matter {id}; check it with `samverka verify` against any member's node");
    Ok(())
}

/// Runs `register` or `close` (operator): the node authors with its node key.
pub async fn operate(node: Node, token: String, matter: String, action: &str, json: bool) -> Result<()> {
    let id = record_id(&matter, "--matter")?;
    let response = reqwest::Client::new()
        .post(url(&node.api, &format!("/api/v1/matters/{id}/{action}")))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("no node answers at {}", node.api))?;
    let body = answer(response).await?;
    if json {
        return output::json(&body);
    }
    let record = body["id"].as_str().unwrap_or("-");
    match action {
        "close" => say!("closed matter {id}: {} (record {record})", body["outcome"]["text"].as_str().unwrap_or("-")),
        _ => say!("registered matter {id} as {} (record {record})", body["diarienummer"].as_str().unwrap_or("-")),
    }
    Ok(())
}
