//! The `samverka` command line: what a municipal IT operator types.

/// Prints a line to standard output like `println!`, but returns from the enclosing function
/// with [`output::Closed`] when the reader has gone instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))?
    };
}

mod agreement;
mod cost;
mod governance;
mod need;
mod outage;
pub mod output;
mod plan;
mod signing;
mod support;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use samverka_node::config::{Config, LogFormat};
use samverka_node::ledger::{Ledger, Outcome};
use samverka_node::signer::{Position, Signer};
use samverka_node::{archive, keyfile, proposal};
use samverka_protocol::charter::{Founder, RosterThreshold};
use samverka_protocol::{
    validate, Body, Change, Charter, Hash, KeyKind, Kind, Member, MemberKind, PublicKey, Record, RecordId, Role,
    RosterChain, RosterUpdate, Rules, Unverified,
};

/// Samverka: a node of a federation of municipalities that govern a shared IT system together.
///
/// Each member runs a node that keeps signed, shared records — the charter, the roster of
/// members and keys, decisions, plans — and replicates them with the other members' nodes.
#[derive(Parser, Debug)]
#[command(name = "samverka", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). See samverka.example.toml.
    #[arg(long, short = 'c', global = true, env = "SAMVERKA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the node's store and node key (overrides the config file).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create and inspect keys. Private keys never leave the file they are created in.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write a new federation's charter, signed by your organisation key; the other founders
    /// countersign the file, then every node is initialised from it.
    CreateFederation(CreateFederation),
    /// Add your organisation's signature to a charter or roster proposal file (in place).
    Countersign {
        /// The record file.
        file: PathBuf,
        /// Your organisation key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Propose a roster change (member, key or rule); writes a proposal file to countersign.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Initialise this node's store from a charter file (once, on a new node).
    Init {
        /// The fully countersigned charter file.
        #[arg(long)]
        charter: PathBuf,
    },
    /// Store a record file in this node's store (the node must be stopped; for a running node
    /// use the HTTP API: POST /api/v1/records).
    Submit {
        /// The record file.
        file: PathBuf,
    },
    /// Show a record file: kind, author, signatures, body.
    Show {
        /// The record file.
        file: PathBuf,
    },
    /// Run the node: store, peer-to-peer network and HTTP API, until Ctrl-C.
    Run(RunArgs),
    /// Start a demo federation (Norrbotten's 14 kommuner, Luleå as host) as separate nodes on
    /// loopback, each with its own store, keys and API port. Demo keys are not secret.
    Demo {
        /// Number of members.
        #[arg(long, default_value_t = 14)]
        members: usize,
        /// Keep the nodes' data here instead of a fresh temporary directory.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// API port of the first node (the host); the others count up.
        #[arg(long, default_value_t = 7080)]
        api_port: u16,
        /// Peer-to-peer port of the first node; the others count up.
        #[arg(long, default_value_t = 7170)]
        p2p_port: u16,
        /// Only write the members' data directories (for Docker), then exit.
        #[arg(long, requires = "dir")]
        prepare_only: bool,
    },
    /// Ask a running node for its status.
    Status {
        /// The node's API address (`http://` is assumed when no scheme is given).
        #[arg(long, default_value = "http://127.0.0.1:7080", value_parser = api_address)]
        api: String,
        /// Print the node's status document as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every record of the store to one archive file (backup). The node must be stopped.
    /// Refuses a store holding a damaged record.
    Export {
        /// The archive file to write.
        #[arg(long)]
        out: PathBuf,
        /// Also copy the node's private key to OUT.node-key (mode 0600). Whoever holds that file
        /// can act as this member's node: keep it as safe as the node itself.
        #[arg(long)]
        with_node_key: bool,
    },
    /// Load an archive into the store, verifying every record first: nothing is stored unless
    /// every record passes (restore). The node must be stopped.
    Import {
        /// The archive file.
        file: PathBuf,
        /// The node key written by `export --with-node-key`, installed as this node's key, so the
        /// restored node is the same member.
        #[arg(long)]
        node_key: Option<PathBuf>,
    },
    /// Check the store in place: every record's frame and id, and every index entry. Prints a
    /// report; exits non-zero when damage is found. The node must be stopped.
    Scrub {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a matter, meeting, vote, minutes or justering with your personal key on this machine
    /// and send it to a node (or write it to a file). The private key never leaves the machine.
    Sign(governance::Sign),
    /// List the matters a node holds (diarienummer, status, outcome), or only the decisions.
    Matters {
        #[command(flatten)]
        node: governance::Node,
        /// Only closed matters.
        #[arg(long)]
        decided: bool,
    },
    /// Show a decision with its votes and proof, or download it as PDF or CSV.
    Decision {
        #[command(flatten)]
        node: governance::Node,
        /// The matter's record id.
        #[arg(long)]
        matter: String,
        /// Write the decision as PDF here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Write the votes as CSV (Swedish Excel) here.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Print the decision as the node's JSON view.
        #[arg(long)]
        json: bool,
    },
    /// Operator, on the host's node: register a matter with the next diarienummer.
    Register(OperatorMatter),
    /// Operator, on the host's node: close a matter's ballot over the votes the node holds.
    Close(OperatorMatter),
    /// Split a budget by a cost key (fördelningsnyckel) to the öre, summing exactly to it.
    #[command(subcommand)]
    Cost(cost::CostCommand),
    /// Plans (förvaltningsplan, utvecklingsplan, budget) and cost keys: check a plan file's
    /// totals, publish signed by your key, read plans, receipts and the invoice basis.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Agreements (överenskommelser): check an agreement file, draft it, sign it, give notice or
    /// withdraw as your member's firmatecknare, and read agreements with their status.
    #[command(subcommand)]
    Agreement(agreement::AgreementCommand),
    /// Outage notices (driftstörning, planerat underhåll): publish, update and give the
    /// all-clear as the host's förvaltare, acknowledge as your member's objektspecialist, and
    /// read who has not acknowledged, since when.
    #[command(subcommand)]
    Outage(outage::OutageCommand),
    /// Needs (behov): register a need, endorse another member's, take a step on its path,
    /// rank the open needs, and read the backlog.
    #[command(subcommand)]
    Need(need::NeedCommand),
    /// Support cases (ärenden) with SLA clocks: raise a case (line 1), take a step on it as line 1
    /// or the förvaltningsgrupp (line 2), and read the cases with their clocks.
    #[command(subcommand)]
    Support(support::SupportCommand),
    /// Re-check every signature and rule of an archive, or of this node's store, offline.
    Verify {
        /// An archive file; without it, the store in the data directory is checked.
        #[arg(long)]
        archive: Option<PathBuf>,
    },
}

/// What an operator names to act on a matter as the host's node.
#[derive(Args, Debug)]
pub struct OperatorMatter {
    #[command(flatten)]
    node: governance::Node,
    /// The operator token.
    #[arg(long, env = "SAMVERKA_API_TOKEN", hide_env_values = true)]
    token: String,
    /// The matter's record id.
    #[arg(long)]
    matter: String,
    /// Print the node's answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Key commands.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate a new private key into a file (mode 0600) and print its public key.
    Generate {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        /// A label for people, e.g. "Luleå kommun organisation".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Print the public key of a key file, or write it to a public key file to send to others.
    Public {
        /// The key file.
        file: PathBuf,
        /// Write a public key file here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Arguments of `create-federation`.
#[derive(Args, Debug)]
pub struct CreateFederation {
    /// The federation's name, e.g. "Ekosystem Norrbotten".
    #[arg(long)]
    pub name: String,
    /// The shared system, e.g. "Treserva".
    #[arg(long)]
    pub system: String,
    /// A founding member: "ID;NAME;KIND;KEY" where ID is the kommunkod (four digits) or
    /// organisation number, KIND is kommun, region or forvaltning, and KEY is the member's
    /// public key (hex) or public key file. Repeat for every founder.
    #[arg(long = "member", required = true)]
    pub members: Vec<String>,
    /// The host member's ID (värdkommun).
    #[arg(long)]
    pub host: String,
    /// Signatures required for roster changes: majority or all.
    #[arg(long, default_value = "majority")]
    pub roster_threshold: String,
    /// Days of notice for a meeting.
    #[arg(long, default_value_t = 5)]
    pub notice_days: u32,
    /// Your organisation key (one of the founders').
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the charter file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Roster proposals.
#[derive(Subcommand, Debug)]
pub enum RosterCommand {
    /// Propose a change; other members countersign the file; submit it when enough have signed.
    Propose(Propose),
}

/// Arguments of `roster propose`.
#[derive(Args, Debug)]
pub struct Propose {
    /// Your organisation key.
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the proposal file (to countersign offline and `submit`).
    #[arg(long, required_unless_present = "api")]
    pub out: Option<PathBuf>,
    /// A running node's API, e.g. http://127.0.0.1:7080: the roster is read from it and the
    /// proposal is sent to its POST /api/v1/roster/proposals, where members countersign it.
    /// Without it the node's store is opened directly, which needs the node stopped.
    #[arg(long, value_parser = api_address)]
    pub api: Option<String>,
    /// Why (e.g. the decision's diarienummer and paragraph).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Admit a member: "ID;NAME;KIND;KEY".
    #[arg(long)]
    pub add_member: Vec<String>,
    /// Remove a member by ID.
    #[arg(long)]
    pub remove_member: Vec<String>,
    /// Certify a key (hex or public key file) for --member, in --role roles or as --node.
    #[arg(long)]
    pub certify: Option<String>,
    /// The member the certified key speaks for.
    #[arg(long)]
    pub member: Option<String>,
    /// A role for the certified person key (styrgrupp-ordinarie, styrgrupp-ersattare, ordforande,
    /// objektspecialist, forvaltare, firmatecknare). Repeatable.
    #[arg(long)]
    pub role: Vec<String>,
    /// Certify the key as the member's node key.
    #[arg(long)]
    pub node: bool,
    /// Certify a member's node key: "ID;KEY" (KEY in hex or a key file). Repeatable, so one
    /// roster version can certify every founder's node at once.
    #[arg(long)]
    pub certify_node: Vec<String>,
    /// First day the person key is valid (YYYY-MM-DD, Europe/Stockholm).
    #[arg(long)]
    pub valid_from: Option<String>,
    /// Last day the person key is valid (YYYY-MM-DD, Europe/Stockholm).
    #[arg(long)]
    pub valid_until: Option<String>,
    /// Rotate a key: "OLD NEW" (hex or files).
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub rotate: Vec<String>,
    /// Revoke a compromised key (hex or file) ...
    #[arg(long)]
    pub revoke: Option<String>,
    /// ... from this position of its chain on (0 = all its records).
    #[arg(long, default_value_t = 0)]
    pub since_seq: u64,
    /// Make another member the host.
    #[arg(long)]
    pub set_host: Option<String>,
}

/// Arguments of `run`.
#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// HTTP API address (default 127.0.0.1:7080).
    #[arg(long)]
    pub api_listen: Option<std::net::SocketAddr>,
    /// libp2p listen address; repeatable.
    #[arg(long)]
    pub p2p_listen: Vec<String>,
    /// A peer to dial at start; repeatable.
    #[arg(long)]
    pub bootstrap: Vec<String>,
    /// PEM certificate chain to serve the API over https (with --api-tls-key).
    #[arg(long)]
    pub api_tls_cert: Option<PathBuf>,
    /// PEM private key of --api-tls-cert.
    #[arg(long)]
    pub api_tls_key: Option<PathBuf>,
}

impl RunArgs {
    /// The configuration with these flags applied on top.
    pub fn apply(self, mut config: Config) -> Config {
        if let Some(addr) = self.api_listen {
            config.api_listen = addr;
        }
        if !self.p2p_listen.is_empty() {
            config.p2p_listen = self.p2p_listen;
        }
        if !self.bootstrap.is_empty() {
            config.bootstrap = self.bootstrap;
        }
        if let Some(cert) = self.api_tls_cert {
            config.api_tls_cert = Some(cert);
        }
        if let Some(key) = self.api_tls_key {
            config.api_tls_key = Some(key);
        }
        config
    }
}

impl Cli {
    /// The configuration: defaults, file, environment, then these flags.
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(format) = self.log_format {
            config.log_format = format;
        }
        Ok(config)
    }
}

/// Parses a node's API address as given to `--api`: a URL, or a bare `host:port` to which
/// `http://` is added (`127.0.0.1:17080` → `http://127.0.0.1:17080`).
pub fn api_address(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let url = if s.contains("://") { s.to_owned() } else { format!("http://{s}") };
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(url),
        Ok(parsed) => Err(format!("{s:?} is not an http(s) address of a node (scheme {:?})", parsed.scheme())),
        Err(e) => Err(format!("{s:?} is not a node address like 127.0.0.1:7080 or http://127.0.0.1:7080: {e}")),
    }
}

/// Parses "ID;NAME;KIND;KEY".
fn parse_founder(spec: &str) -> Result<Founder> {
    let parts: Vec<&str> = spec.split(';').map(str::trim).collect();
    let [id, name, kind, key] = parts[..] else {
        bail!("member {spec:?} must be \"ID;NAME;KIND;KEY\", e.g. \"2580;Luleå kommun;kommun;lulea.pub\"");
    };
    let kind = match kind {
        "kommun" => MemberKind::Kommun,
        "region" => MemberKind::Region,
        "forvaltning" | "förvaltning" => MemberKind::Forvaltning,
        other => bail!("member kind {other:?} must be kommun, region or forvaltning"),
    };
    let member = Member { id: id.into(), name: name.into(), kind };
    member.check().map_err(anyhow::Error::msg)?;
    let org_key = keyfile::read_public(key).with_context(|| format!("reading the key of member {id}"))?;
    Ok(Founder { member, org_key })
}

/// Parses a date as the first (or last) millisecond of that day in Europe/Stockholm.
fn parse_day(s: &str, end_of_day: bool) -> Result<i64> {
    samverka_node::governance::stockholm_day_ms(s, end_of_day)
        .with_context(|| format!("{s:?} is not a date like 2026-11-23"))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn read_record(path: &Path) -> Result<Record<Unverified>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Record::decode(&bytes).with_context(|| format!("{} is not a samverka record file", path.display()))
}

fn write_record(path: &Path, record: &Record<Unverified>) -> Result<()> {
    std::fs::write(path, record.bytes()).with_context(|| format!("writing {}", path.display()))
}

fn open_ledger(config: &Config) -> Result<Ledger> {
    let dir = config.store_dir();
    Ledger::open(&dir, config.cache_bytes)
        .with_context(|| format!("opening the store in {} (is the node running? stop it first)", dir.display()))
}

/// Runs one command.
pub async fn execute(cli: Cli) -> Result<()> {
    let config = cli.config()?;
    match cli.command {
        Command::Key(KeyCommand::Generate { out, label }) => {
            let key = keyfile::generate(&out, &label)?;
            say!("{}", key.public());
            eprintln!("private key written to {} (keep it on this machine)", out.display());
        }
        Command::Key(KeyCommand::Public { file, out }) => {
            let key = keyfile::read_public(&file.display().to_string())?;
            match out {
                Some(out) => keyfile::write_public(&out, "", &key)?,
                None => say!("{key}"),
            }
        }
        Command::CreateFederation(args) => create_federation(args)?,
        Command::Countersign { file, key } => {
            let record = read_record(&file)?;
            let key = keyfile::read_secret(&key)?;
            let signed = record.countersign(&key);
            write_record(&file, &signed)?;
            say!("{} signatures on {} ({})", signed.countersignatures().len() + 1, file.display(), signed.id());
        }
        Command::Roster(RosterCommand::Propose(args)) => propose(&config, args).await?,
        Command::Init { charter } => {
            let record = read_record(&charter)?;
            let ledger = open_ledger(&config)?;
            ledger.ingest(record).context("the charter was refused")?;
            let federation = ledger.federation().expect("the charter was stored");
            let node = keyfile::node_key(&config.node_key_file())?.public();
            say!("federation {federation} initialised in {}", config.data_dir.display());
            say!("node key {node} (peer id {})", peer_id(&node));
            say!(
                "peers dial it at /ip4/<address>/tcp/<port>/p2p/{}; have it certified: `samverka roster propose \
                 --certify-node \"<member id>;{node}\" …`",
                peer_id(&node)
            );
        }
        Command::Submit { file } => {
            let record = read_record(&file)?;
            let ledger = open_ledger(&config)?;
            if let Some(chain) = ledger.chain() {
                proposal::check(&chain, ledger.store(), &record, false).context("the record was refused")?;
            }
            let kind = record.header().kind;
            let author = record.header().author;
            let outcome = ledger.ingest(record).context("the record was refused")?;
            say!("{}", outcome_line(&outcome, kind, &author));
        }
        Command::Show { file } => show(&read_record(&file)?)?,
        Command::Run(args) => {
            refuse_without_federation(&config)?;
            samverka_node::daemon::run(args.apply(config)).await?
        }
        Command::Status { api, json } => status(&api, json).await?,
        Command::Demo { members, dir, api_port, p2p_port, prepare_only } => {
            if prepare_only {
                let dir = dir.expect("clap requires --dir with --prepare-only");
                let fed = samverka_node::demo::federation(members);
                for m in samverka_node::demo::members(members).0 {
                    samverka_node::demo::prepare_member(&fed, &m.id, &dir.join(&m.id))?;
                    let key = samverka_protocol::testkit::key(&format!("demo/{}/node", m.id)).public();
                    say!("{} {}", m.id, peer_id(&key));
                }
            } else {
                let options = samverka_node::demo::Options { members, dir, api_port, p2p_port };
                samverka_node::demo::run(options).await?;
            }
        }
        Command::Export { out, with_node_key } => export(&config, &out, with_node_key)?,
        Command::Import { file, node_key } => import(&config, &file, node_key.as_deref())?,
        Command::Scrub { json } => scrub(&config, json)?,
        Command::Verify { archive: path } => verify(&config, path)?,
        Command::Cost(command) => cost::run(command)?,
        Command::Plan(command) => plan::run(command).await?,
        Command::Agreement(command) => agreement::run(command).await?,
        Command::Outage(command) => outage::run(command).await?,
        Command::Need(command) => need::run(command).await?,
        Command::Support(command) => support::run(command).await?,
        Command::Sign(args) => governance::sign(args).await?,
        Command::Matters { node, decided } => governance::matters(node, decided).await?,
        Command::Decision { node, matter, pdf, csv, json } => {
            governance::decision(node, matter, pdf, csv, json).await?
        }
        Command::Register(op) => governance::operate(op.node, op.token, op.matter, "diarium", op.json).await?,
        Command::Close(op) => governance::operate(op.node, op.token, op.matter, "close", op.json).await?,
    }
    Ok(())
}

fn create_federation(args: CreateFederation) -> Result<()> {
    let founders = args.members.iter().map(|m| parse_founder(m)).collect::<Result<Vec<_>>>()?;
    let mut rules = Rules::standard();
    rules.roster_threshold = match args.roster_threshold.as_str() {
        "majority" => RosterThreshold::Majority,
        "all" => RosterThreshold::All,
        other => bail!("--roster-threshold {other:?} must be majority or all"),
    };
    rules.meeting_notice_days = args.notice_days;
    let charter =
        Charter { name: args.name, system: args.system, founders, host: args.host, rules, roles: Role::ALL.to_vec() };
    charter.check().map_err(anyhow::Error::msg).context("the charter is not valid")?;
    let signer = Signer::open(&args.key)?;
    if !charter.founders.iter().any(|f| f.org_key == signer.key().public()) {
        bail!("the key in {} is not the organisation key of any founding member", args.key.display());
    }
    let record = signer.sign(Position::default(), Hash::ZERO, 0, Kind::Charter, charter.to_bytes(), now_ms())?;
    write_record(&args.out, &record)?;
    let need = charter.rules.roster_threshold.required(charter.founders.len());
    say!("charter {} written to {}", record.id(), args.out.display());
    say!("it needs the signatures of {need} of the {} founders: each runs", charter.founders.len());
    say!("  samverka countersign {} --key <their organisation key>", args.out.display());
    Ok(())
}

/// What a roster proposal is built on: the roster chain and the proposer's next chain position
/// as the node sees them.
struct Base {
    chain: RosterChain,
    position: Position,
}

/// Reads the base from the node's store (the node must be stopped: it holds the store) and
/// refuses when a proposal for the next version is pending there.
fn store_base(config: &Config, key: &PublicKey) -> Result<Base> {
    let dir = config.store_dir();
    let ledger = Ledger::open(&dir, config.cache_bytes).with_context(|| {
        format!(
            "opening the store in {}: if the node is running it holds the store, so use --api URL \
             (e.g. --api http://127.0.0.1:7080) or stop the node",
            dir.display()
        )
    })?;
    let chain = ledger.chain().context("this node has no federation yet: run `samverka init` first")?;
    proposal::check_version(&chain, ledger.store(), chain.current().version + 1, None, true)?;
    let (seq, prev) = ledger.next_position(key)?;
    Ok(Base { position: Position { seq, prev, federation: Some(chain.federation()) }, chain: (*chain).clone() })
}

/// Reads the base from a running node's API: the roster records (each checked here again), the
/// key's next position, and the pending proposals (refusing when one makes the next version).
async fn api_base(api: &str, key: &PublicKey) -> Result<Base> {
    let history = governance::get_json(api, "/api/v1/roster/history").await?;
    let versions = history["versions"].as_array().context("the node sent no roster versions")?;
    let mut chain: Option<RosterChain> = None;
    for version in versions {
        let id = governance::record_id(version["record_id"].as_str().unwrap_or(""), "roster record")?;
        let record = fetch_record(api, &id).await?;
        match &mut chain {
            None => chain = Some(validate::verify_charter(record).context("the node's charter does not verify")?.1),
            Some(chain) => {
                let update = RosterUpdate::from_bytes(record.body().context("a roster record without body")?)
                    .map_err(anyhow::Error::msg)?;
                chain.push(&update, id).with_context(|| format!("the node's roster record {id} does not follow"))?;
            }
        }
    }
    let chain = chain.context("the node has no federation yet: run `samverka init` on it first")?;
    let version = chain.current().version + 1;
    let pending = governance::get_json(api, "/api/v1/roster/proposals").await?;
    let same = pending["proposals"].as_array().into_iter().flatten().find(|p| p["update"]["version"] == version);
    if let Some(p) = same {
        let existing = governance::record_id(p["id"].as_str().unwrap_or(""), "proposal")?;
        let by = p["proposer_member"].as_str().unwrap_or("?").to_owned();
        return Err(proposal::Conflict::Pending { version, existing, by, next: version + 1 }.into());
    }
    let head = governance::get_json(api, &format!("/api/v1/authors/{key}/head")).await?;
    let seq = head["next_seq"].as_u64().context("the node sent no next_seq")?;
    let prev = head["prev"].as_str().map(|p| governance::record_id(p, "prev")).transpose()?;
    Ok(Base { position: Position { seq, prev, federation: Some(chain.federation()) }, chain })
}

async fn fetch_record(api: &str, id: &RecordId) -> Result<Record<Unverified>> {
    let url = governance::url(api, &format!("/api/v1/records/{id}?format=raw"));
    let response = reqwest::get(&url).await.with_context(|| format!("no node answers at {api}"))?;
    if !response.status().is_success() {
        governance::answer(response).await?;
        bail!("the node did not send record {id}");
    }
    let bytes = response.bytes().await.with_context(|| format!("reading record {id} from {api}"))?;
    Record::decode(&bytes).with_context(|| format!("the node sent record {id} in a form that does not decode"))
}

/// The changes `args` ask for, in the order the flags are documented.
fn roster_changes(args: &Propose) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for spec in &args.add_member {
        let f = parse_founder(spec)?;
        changes.push(Change::AddMember { member: f.member, org_key: f.org_key });
    }
    for id in &args.remove_member {
        changes.push(Change::RemoveMember { member: id.clone() });
    }
    if let Some(key) = &args.certify {
        let member = args.member.clone().context("--certify needs --member")?;
        let kind = if args.node {
            KeyKind::Node
        } else {
            let roles = args
                .role
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                .collect::<Result<Vec<_>>>()?;
            if roles.is_empty() {
                bail!("--certify needs --node or at least one --role");
            }
            KeyKind::Person {
                roles,
                valid_from_ms: args.valid_from.as_deref().map(|d| parse_day(d, false)).transpose()?,
                valid_until_ms: args.valid_until.as_deref().map(|d| parse_day(d, true)).transpose()?,
            }
        };
        changes.push(Change::CertifyKey { member, key: keyfile::read_public(key)?, kind });
    }
    for spec in &args.certify_node {
        let (member, key) = spec
            .split_once(';')
            .with_context(|| format!("--certify-node {spec:?} must be \"ID;KEY\", e.g. \"2580;lulea-node.pub\""))?;
        let key =
            keyfile::read_public(key.trim()).with_context(|| format!("reading the node key of member {member}"))?;
        changes.push(Change::CertifyKey { member: member.trim().into(), key, kind: KeyKind::Node });
    }
    if let [old, new] = &args.rotate[..] {
        changes.push(Change::RotateKey { old: keyfile::read_public(old)?, new: keyfile::read_public(new)? });
    }
    if let Some(key) = &args.revoke {
        changes.push(Change::RevokeKey { key: keyfile::read_public(key)?, compromised_since_seq: args.since_seq });
    }
    if let Some(member) = &args.set_host {
        changes.push(Change::SetHost { member: member.clone() });
    }
    if changes.is_empty() {
        bail!(
            "nothing to propose: give --add-member, --remove-member, --certify, --certify-node, --rotate, --revoke \
             or --set-host"
        );
    }
    Ok(changes)
}

/// Runs `roster propose`: builds the next roster version on the node's current one, checks it
/// applies, signs it, and writes it to a file and/or sends it to the node's proposals endpoint.
/// Settles the key's last kept record when it is a roster proposal: adopted (its version's head)
/// → acknowledged; for a version another record now holds → it can never be adopted anywhere,
/// so its chain position is taken back (docs/protocol.md §7.6) and the new proposal uses it.
fn settle_last_proposal(signer: &Signer, chain: &RosterChain) -> Result<()> {
    let Some(last) = signer.last()? else { return Ok(()) };
    if last.header().kind != Kind::RosterUpdate {
        return Ok(());
    }
    let Some(version) = last.body().and_then(|b| RosterUpdate::from_bytes(b).ok()).map(|u| u.version) else {
        return Ok(());
    };
    match chain.at(version) {
        Some(held) if held.head == last.id() => signer.acknowledged(&last)?,
        Some(_) if signer.position()? == Some(Position::after(&last)) => {
            signer.rewind(&last)?;
            eprintln!(
                "note: your earlier proposal {} for roster version {version} can never be adopted (another record \
                 holds that version); its chain position is used again",
                last.id()
            );
        }
        _ => {}
    }
    Ok(())
}

async fn propose(config: &Config, args: Propose) -> Result<()> {
    let changes = roster_changes(&args)?;
    let signer = Signer::open(&args.key)?;
    let public = signer.key().public();
    let base = match &args.api {
        Some(api) => api_base(api, &public).await?,
        None => store_base(config, &public)?,
    };
    let roster = base.chain.current();
    let update = RosterUpdate { version: roster.version + 1, previous: roster.head, changes, reason: args.reason };
    roster
        .apply(&update, Hash::ZERO, base.chain.retired_or_used())
        .map_err(anyhow::Error::msg)
        .context("the change cannot be applied to the current roster")?;
    settle_last_proposal(&signer, &base.chain)?;
    let position = signer.position()?.unwrap_or(base.position);
    let federation = base.chain.federation();
    let record = signer.sign(position, federation, roster.version, Kind::RosterUpdate, update.to_bytes(), now_ms())?;
    let (_, need) = roster.required_signers(&update.changes);
    if let Some(out) = &args.out {
        write_record(out, &record)?;
        say!("proposal for roster version {} written to {} ({})", update.version, out.display(), record.id());
        say!("it needs {need} member signatures; others run `samverka countersign {} --key …`", out.display());
    }
    if let Some(api) = &args.api {
        let response = reqwest::Client::new()
            .post(governance::url(api, "/api/v1/roster/proposals"))
            .header("content-type", "application/octet-stream")
            .body(record.bytes().to_vec())
            .send()
            .await
            .with_context(|| format!("no node answers at {api}"))?;
        let reply = governance::answer(response).await.context("the node refused the proposal")?;
        let status = reply["status"].as_str().unwrap_or("?");
        say!("proposal {} for roster version {} is {status} at {api}", record.id(), update.version);
        if status == "pending" {
            say!(
                "it has {} of {need} member signatures; others countersign it: GET {api}/api/v1/roster/proposals/{}",
                reply["have"],
                record.id()
            );
        }
    }
    Ok(())
}

/// The libp2p peer id of a node key, as it appears after `/p2p/` in a dial address.
fn peer_id(node: &PublicKey) -> String {
    samverka_node::network::dial_address("", node).trim_start_matches("/p2p/").to_owned()
}

/// The first characters of a key or record id shown where a person reads, as `git` shortens ids.
const SHORT_HEX: usize = 12;

/// `hex` shortened for reading: its first [`SHORT_HEX`] digits and an ellipsis.
fn short(hex: &str) -> String {
    match hex.get(..SHORT_HEX) {
        Some(head) if hex.len() > SHORT_HEX => format!("{head}…"),
        _ => hex.to_owned(),
    }
}

/// One line saying what became of a submitted record, e.g. `stored 63cec2b613f4… (note by 5d1f…)`.
fn outcome_line(outcome: &Outcome, kind: Kind, author: &PublicKey) -> String {
    let what = match outcome {
        Outcome::Stored(_) => "stored".to_owned(),
        Outcome::Duplicate(_) => "already held".to_owned(),
        Outcome::Parked(_) => "parked (waiting for an earlier record or roster version)".to_owned(),
        Outcome::Equivocation { conflicts, .. } => {
            format!("stored as EVIDENCE: the author signed {} other record(s) at this position", conflicts.len())
        }
    };
    format!("{what} {} ({} by {})", short(&outcome.id().to_hex()), kind.name(), short(&author.to_hex()))
}

/// `show`: a record file described for a person.
fn show(record: &Record<Unverified>) -> Result<()> {
    let h = record.header();
    say!("id:         {}", record.id());
    say!("kind:       {}", h.kind.name());
    say!("federation: {}", h.federation);
    say!("author:     {} (seq {})", h.author, h.seq);
    say!("roster:     version {}", h.roster);
    say!("signed:     {}", samverka_node::governance::stockholm_date(h.time_ms));
    say!("signatures: {}", record.countersignatures().len() + 1);
    match (h.kind, record.body()) {
        (Kind::Charter, Some(b)) => match Charter::from_bytes(b) {
            Ok(charter) => show_charter(&charter)?,
            Err(e) => say!("body:       not a charter ({e})"),
        },
        (Kind::RosterUpdate, Some(b)) => match RosterUpdate::from_bytes(b) {
            Ok(update) => show_update(&update)?,
            Err(e) => say!("body:       not a roster update ({e})"),
        },
        (Kind::Note, Some(b)) => say!("note:       {}", String::from_utf8_lossy(b)),
        (_, Some(b)) => say!("body:       {} bytes", b.len()),
        (_, None) => say!("body:       redacted"),
    }
    Ok(())
}

fn show_charter(charter: &Charter) -> Result<()> {
    say!("federation name: {} (system {})", charter.name, charter.system);
    say!("host:       {}", charter.host);
    say!(
        "rules:      roster changes need the signatures of {}; meetings need {} days' notice",
        threshold_text(charter.rules.roster_threshold),
        charter.rules.meeting_notice_days
    );
    say!("founders:   {}", charter.founders.len());
    for f in &charter.founders {
        say!(
            "  {:<12} {} ({}), organisation key {}",
            f.member.id,
            f.member.name,
            kind_text(f.member.kind),
            short(&f.org_key.to_hex())
        );
    }
    Ok(())
}

fn show_update(update: &RosterUpdate) -> Result<()> {
    say!(
        "roster update: version {}{}",
        update.version,
        if update.reason.is_empty() { String::new() } else { format!(", because: {}", update.reason) }
    );
    for change in &update.changes {
        say!("  {}", change_text(change));
    }
    Ok(())
}

/// A member kind as `create-federation --member` spells it.
fn kind_text(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Kommun => "kommun",
        MemberKind::Region => "region",
        MemberKind::Forvaltning => "förvaltning",
    }
}

/// A roster threshold in words.
fn threshold_text(threshold: RosterThreshold) -> &'static str {
    match threshold {
        RosterThreshold::Majority => "a majority of the members",
        RosterThreshold::All => "every member",
    }
}

/// One roster change in words.
fn change_text(change: &Change) -> String {
    match change {
        Change::AddMember { member, org_key } => {
            format!(
                "admit {} {} ({}), organisation key {}",
                member.id,
                member.name,
                kind_text(member.kind),
                short(&org_key.to_hex())
            )
        }
        Change::RemoveMember { member } => format!("remove member {member}"),
        Change::CertifyKey { member, key, kind } => {
            let what = match kind {
                KeyKind::Organisation => "organisation key".to_owned(),
                KeyKind::Node => "node key".to_owned(),
                KeyKind::Person { roles, .. } => {
                    let roles: Vec<&str> = roles.iter().map(|r| r.swedish()).collect();
                    format!("person key ({})", roles.join(", "))
                }
            };
            format!("certify {} as {member}'s {what}", short(&key.to_hex()))
        }
        Change::RotateKey { old, new } => format!("rotate key {} to {}", short(&old.to_hex()), short(&new.to_hex())),
        Change::RevokeKey { key, compromised_since_seq } => {
            format!("revoke key {} from its record {compromised_since_seq} on", short(&key.to_hex()))
        }
        Change::SetHost { member } => format!("make {member} the host (värdkommun)"),
        Change::SetRules { rules } => format!(
            "set the rules: roster changes need the signatures of {}; meetings need {} days' notice",
            threshold_text(rules.roster_threshold),
            rules.meeting_notice_days
        ),
    }
}

/// `run` on a data directory without a federation would start a node that belongs to nothing
/// (and create the directory and a key where a typo pointed): refuse, naming the command that
/// founds one.
fn refuse_without_federation(config: &Config) -> Result<()> {
    let dir = config.store_dir();
    let founded = dir.exists() && open_ledger(config)?.federation().is_some();
    if !founded {
        bail!(
            "{} holds no federation: initialise this node first with `samverka --data-dir {} init --charter FILE` \
             (the countersigned charter file; see docs/ops.md)",
            config.data_dir.display(),
            config.data_dir.display()
        );
    }
    Ok(())
}

/// `status`: a readable summary of a running node, or its status document under `--json`.
async fn status(api: &str, json: bool) -> Result<()> {
    let body = governance::get_json(api, "/api/v1/status").await?;
    if json {
        return output::json(&body);
    }
    let text = |key: &str| match &body[key] {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    say!("node at {api}");
    say!("federation:     {} ({})", text("federation_name"), short(&text("federation_id")));
    say!("member:         {}", text("member"));
    say!("node key:       {}", short(&text("node_key")));
    say!("roster version: {}", text("roster_version"));
    say!(
        "records:        {} held, {} parked, {} roster proposals pending",
        text("records"),
        text("parked"),
        text("proposals")
    );
    say!("peers:          {} connected", text("peers"));
    say!("equivocators:   {}", text("equivocators"));
    say!("up:             {} s, version {}", text("uptime_seconds"), text("version"));
    Ok(())
}

fn export(config: &Config, out: &Path, with_node_key: bool) -> Result<()> {
    let ledger = open_ledger(config)?;
    let n = archive::export(&ledger, out)?;
    say!("{n} records written to {}", out.display());
    if with_node_key {
        let key_out = PathBuf::from(format!("{}.node-key", out.display()));
        keyfile::copy_secret(&config.node_key_file(), &key_out, "node")
            .context("while copying the node key beside the archive")?;
        eprintln!(
            "WARNING: {} holds this node's PRIVATE key (mode 0600). Whoever has it can act as this member's node: store it apart from the archive, as safely as the node itself.",
            key_out.display()
        );
    }
    Ok(())
}

fn import(config: &Config, file: &Path, node_key: Option<&Path>) -> Result<()> {
    let dir = config.store_dir();
    let fresh = !dir.exists();
    let result = open_ledger(config).and_then(|ledger| Ok(archive::import(&ledger, file)?));
    let (read, stored) = match result {
        Ok(counts) => counts,
        Err(e) => {
            if fresh {
                // The ledger is closed; a store this command created is removed whole.
                let _ = std::fs::remove_dir_all(&dir);
            }
            return Err(e);
        }
    };
    say!("{read} records read, {stored} new records stored");
    if let Some(key) = node_key {
        let target = config.node_key_file();
        keyfile::install_secret(key, &target).context("while installing the node key")?;
        say!("node key {} installed at {}", keyfile::read_secret(&target)?.public(), target.display());
    }
    Ok(())
}

fn scrub(config: &Config, json: bool) -> Result<()> {
    let dir = config.store_dir();
    if !dir.exists() {
        bail!("there is no store in {}", dir.display());
    }
    let store = samverka_node::storage::Store::open(&dir, config.cache_bytes)
        .with_context(|| format!("opening the store in {} (is the node running? stop it first)", dir.display()))?;
    let report = store.scrub()?;
    if json {
        output::json(&scrub_json(&report))?;
    } else {
        print_scrub(&dir, &report)?;
    }
    if !report.is_clean() {
        bail!("the store is damaged: {} damaged records, {} index faults", report.damaged.len(), report.faults.len());
    }
    Ok(())
}

fn scrub_json(report: &samverka_node::storage::Scrub) -> serde_json::Value {
    let damaged: Vec<_> = report
        .damaged
        .iter()
        .map(|d| {
            serde_json::json!({
                "record": d.n,
                "id": d.id.map(|id| id.to_hex()),
                "author": d.position.map(|(a, _)| a.to_hex()),
                "seq": d.position.map(|(_, s)| s),
                "code": d.damage.code(),
                "damage": d.damage.to_string(),
            })
        })
        .collect();
    let faults: Vec<_> =
        report.faults.iter().map(|f| serde_json::json!({"code": f.code(), "fault": f.to_string()})).collect();
    serde_json::json!({
        "clean": report.is_clean(),
        "records": report.records,
        "damaged": damaged,
        "index_faults": faults,
        "rebuilt": report.rebuilt.as_ref().map(|f| serde_json::json!({"code": f.code(), "fault": f.to_string()})),
    })
}

fn print_scrub(dir: &Path, report: &samverka_node::storage::Scrub) -> Result<()> {
    say!("scrub of {}: {} records checked", dir.display(), report.records);
    if let Some(fault) = &report.rebuilt {
        say!("REBUILT on opening: {fault} (the indexes were rebuilt from the record log)");
    }
    for d in &report.damaged {
        let id = d.id.map_or_else(|| "unknown id".to_string(), |id| id.to_string());
        let at = d.position.map_or_else(String::new, |(a, s)| format!(", author {a} seq {s}"));
        say!("DAMAGED record {} ({id}{at}): {}", d.n, d.damage);
    }
    for f in &report.faults {
        say!("INDEX {f}");
    }
    if report.is_clean() {
        say!("every record and index entry checked: no damage");
    } else {
        say!(
            "damaged records are not served; a running node fetches them again from its peers. An index fault is repaired by rebuilding (see docs/ops.md, Scrub)."
        );
    }
    Ok(())
}

fn verify(config: &Config, path: Option<PathBuf>) -> Result<()> {
    let (path, _tmp) = match path {
        Some(p) => (p, None),
        None => {
            let ledger = open_ledger(config)?;
            let tmp = tempfile_path(config)?;
            archive::export(&ledger, &tmp)?;
            (tmp.clone(), Some(TempFile(tmp)))
        }
    };
    let report = archive::verify(&path)?;
    say!("{} records checked, {} roster versions", report.checked, report.roster_versions);
    for (id, reason) in &report.failures {
        say!("FAILED {id}: {reason}");
    }
    if !report.failures.is_empty() {
        bail!("{} of {} records failed verification", report.failures.len(), report.checked);
    }
    say!("every signature and rule verified");
    Ok(())
}

fn tempfile_path(config: &Config) -> Result<PathBuf> {
    let p = config.data_dir.join(format!("verify-{}.archive", std::process::id()));
    Ok(p)
}

struct TempFile(PathBuf);
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
