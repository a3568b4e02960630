//! How `samverka sign` keeps a person's chain whole against a node: it reconciles the key's
//! chain file with the node's view of the key before signing, has the node judge the signed
//! record before the position is taken, and gives the position back when the node refuses the
//! record by a rule. The rules are in docs/protocol.md, "Signing outside a node".

use anyhow::{bail, Context, Result};
use reqwest::StatusCode;
use samverka_node::signer::{Position, Signer};
use samverka_protocol::{Hash, Kind, Record, RecordId, Unverified};
use serde_json::Value;

/// A person's signer reconciled with a node: the federation, the roster version and the
/// position to sign at next.
pub struct Ready {
    /// The signer (key file, chain file).
    pub signer: Signer,
    /// The node's federation.
    pub federation: Hash,
    /// The node's current roster version.
    pub roster: u64,
    /// The member the key speaks for, as the node says.
    pub member: Option<String>,
    /// Where to sign next.
    pub position: Position,
}

/// Opens the key file `key` and reconciles its chain with the node at `api`; refuses a key the
/// node's current roster does not certify.
pub async fn ready(key: &std::path::Path, api: &str) -> Result<Ready> {
    let signer = Signer::open(key)?;
    let public = signer.key().public();
    let head = super::governance::get_json(api, &format!("/api/v1/authors/{public}/head")).await?;
    let federation =
        Hash::from_hex(head["federation"].as_str().unwrap_or("")).context("the node sent no federation")?;
    let roster = head["roster_version"].as_u64().context("the node sent no roster version")?;
    let member = head["member"].as_str().map(str::to_owned);
    if head["certified"] != Value::Bool(true) {
        bail!("key {public} is not certified in the federation's current roster: ask your member to certify it");
    }
    let node = NodeView {
        federation,
        next: Position {
            seq: head["next_seq"].as_u64().context("the node sent no next_seq")?,
            prev: head["prev"].as_str().map(|p| super::governance::record_id(p, "prev")).transpose()?,
            federation: Some(federation),
        },
    };
    let position = reconcile(&signer, api, &node).await?;
    Ok(Ready { signer, federation, roster, member, position })
}

impl Ready {
    /// Signs `body` of `kind` at the agreed position, then sends it to the node at `api`, or,
    /// with `out`, writes it there (keeping it to be sent later). Returns whether it was sent.
    pub async fn deliver(&self, api: &str, out: Option<&std::path::Path>, kind: Kind, body: Vec<u8>) -> Result<bool> {
        let now = jiff::Timestamp::now().as_millisecond();
        let record = self.signer.prepare(self.position, self.federation, self.roster, kind, body, now)?;
        if let Some(out) = out {
            keep_for_file(&self.signer, api, &record).await?;
            std::fs::write(out, record.bytes()).with_context(|| format!("writing {}", out.display()))?;
            say!("{} {} signed and written to {}", kind.name(), record.id(), out.display());
            return Ok(false);
        }
        let outcome = submit(&self.signer, api, &record).await?;
        say!("{} {} {outcome}", kind.name(), record.id());
        Ok(true)
    }
}

/// What the node's head endpoint says of a key.
pub struct NodeView {
    /// The node's federation.
    pub federation: Hash,
    /// The key's next position as the node sees it.
    pub next: Position,
}

/// A node's answer to a record sent to it.
pub enum Answer {
    /// Accepted: `stored`, `duplicate`, `parked` or `equivocation`.
    Accepted(String),
    /// Refused by a rule: no node will ever store this record.
    Refused { code: String, message: String },
    /// Anything else (no answer, the record's predecessor missing, a full parking area, a
    /// failing disk): whether it is ever stored is not known yet.
    Unknown(String),
}

impl Answer {
    fn explain(code: &str, message: &str) -> String {
        format!("{message} ({code})")
    }
}

/// Sends `record` to `path` (`/api/v1/records` or `/api/v1/records/check`) and classifies the
/// answer.
pub async fn send(api: &str, path: &str, record: &Record<Unverified>) -> Answer {
    let url = format!("{}{path}", api.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/octet-stream")
        .body(record.bytes().to_vec())
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => return Answer::Unknown(format!("no node answers at {api}: {e}")),
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    let code = body["code"].as_str().unwrap_or("?").to_owned();
    let message = body["error"].as_str().unwrap_or("").to_owned();
    match status {
        s if s.is_success() => Answer::Accepted(body["outcome"].as_str().unwrap_or("?").to_owned()),
        // A record refused by a rule (422), or one that contradicts the chain or federation the
        // node holds (409, except a predecessor that may still arrive), is refused everywhere.
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => Answer::Refused { code, message },
        StatusCode::CONFLICT if code != "missing_predecessor" => Answer::Refused { code, message },
        _ => Answer::Unknown(format!("the node answered {status}: {}", Answer::explain(&code, &message))),
    }
}

/// The position to sign at: the chain file's, once it agrees with the node; the node's when
/// there is no chain file. A record kept in `.last` that never reached the node is sent again
/// first, or its position taken back when the node refuses it.
pub async fn reconcile(signer: &Signer, api: &str, node: &NodeView) -> Result<Position> {
    let file = signer.chain_file().display().to_string();
    let Some(mine) = signer.position()? else { return Ok(node.next) };
    if let Some(federation) = mine.federation.filter(|f| *f != node.federation) {
        bail!(
            "{file} belongs to federation {federation}, but the node at {api} is in federation {}: it is left \
             from an earlier federation. Move it away (mv {file} {file}.old) and run the command again.",
            node.federation
        );
    }
    let (mine_seq, node_seq) = (mine.seq, node.next.seq);
    if mine_seq == node_seq {
        if mine.prev != node.next.prev {
            bail!(
                "{file} says this key's next record follows {}, but the node holds {} there: the chain file \
                 does not belong to this node's federation or was copied from elsewhere. Move it away \
                 (mv {file} {file}.old) and run the command again.",
                show(mine.prev),
                show(node.next.prev)
            );
        }
        return Ok(mine);
    }
    if mine_seq < node_seq {
        eprintln!(
            "note: the node holds records of this key that {file} did not know of (signed elsewhere); \
             continuing from seq {node_seq}"
        );
        return Ok(node.next);
    }
    if let Some(last) = signer.last()?.filter(|l| Position::of(l).seq == node_seq && l.header().prev == node.next.prev)
    {
        match send(api, "/api/v1/records", &last).await {
            Answer::Accepted(outcome) => {
                eprintln!(
                    "note: your previous record {} had not reached the node; sent it again: {outcome}",
                    last.id()
                );
                if outcome != "parked" {
                    signer.acknowledged(&last)?;
                }
                return Ok(mine);
            }
            Answer::Refused { code, message } => {
                signer.rewind(&last)?;
                eprintln!(
                    "note: your previous record {} was refused by the node: {}; its position is used again",
                    last.id(),
                    Answer::explain(&code, &message)
                );
                return Ok(node.next);
            }
            Answer::Unknown(why) => bail!("your previous record {} has not reached the node: {why}", last.id()),
        }
    }
    let held = if node_seq == 0 { "none of them".to_owned() } else { format!("them only up to seq {}", node_seq - 1) };
    bail!(
        "{file} says this key has signed records up to seq {}, but the node holds {held}: send the records you \
         signed with --out to the node first (POST /api/v1/records), then sign again",
        mine_seq - 1,
    )
}

fn show(id: Option<RecordId>) -> String {
    id.map_or_else(|| "nothing (seq 0)".to_owned(), |id| id.to_string())
}

/// Signs and sends: the node judges the record first; a record it refuses by a rule gives its
/// position back. Returns the outcome (`stored`, `duplicate`, `parked`, `equivocation`).
pub async fn submit(signer: &Signer, api: &str, record: &Record<Unverified>) -> Result<String> {
    match send(api, "/api/v1/records/check", record).await {
        Answer::Accepted(_) => {}
        Answer::Refused { code, message } => {
            signer.discard(record)?;
            bail!(
                "the node refused the record, and your key's chain is unchanged: {}",
                Answer::explain(&code, &message)
            );
        }
        Answer::Unknown(why) => {
            signer.discard(record)?;
            bail!("the record could not be checked, and your key's chain is unchanged: {why}");
        }
    }
    signer.keep(record)?;
    match send(api, "/api/v1/records", record).await {
        Answer::Accepted(outcome) => {
            if outcome != "parked" {
                signer.acknowledged(record)?;
            }
            Ok(outcome)
        }
        Answer::Refused { code, message } => {
            signer.rewind(record)?;
            bail!(
                "the node refused the record, and your key's chain is unchanged: {}",
                Answer::explain(&code, &message)
            );
        }
        Answer::Unknown(why) => Err(anyhow::anyhow!(why))
            .context("the record is kept beside your key and is sent again before your next record; nothing is lost"),
    }
}

/// Checks a record before it is written to a file (`--out`): a record the node refuses gives
/// its position back; one it would accept takes it.
pub async fn keep_for_file(signer: &Signer, api: &str, record: &Record<Unverified>) -> Result<()> {
    if let Answer::Refused { code, message } = send(api, "/api/v1/records/check", record).await {
        signer.discard(record)?;
        bail!(
            "the node would refuse the record, and your key's chain is unchanged: {}",
            Answer::explain(&code, &message)
        );
    }
    signer.keep(record)?;
    Ok(())
}
