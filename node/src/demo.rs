//! `samverka demo`: a fresh federation of several members, each a separate node on loopback with
//! its own store, keys and API port, in this one process.
//!
//! Once the nodes run, [`content`] seeds a living federation's records through the ledger's one
//! ingest path, each at the node of the member who signs it.
//!
//! Demo keys are derived from public labels (see `samverka_protocol::testkit`): anyone can
//! recompute them, so a demo federation is for trying Samverka out, never for real records.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{Member, MemberId, Role};

use crate::config::Config;
use crate::daemon::{self, Node};
use crate::keyfile;
use crate::ledger::Ledger;

pub mod content;

/// The operator token of every demo node (host actions such as registering or closing a matter
/// over the API). Public, like the demo keys: the nodes listen on loopback only.
pub const TOKEN: &str = "demo";

/// What `samverka demo` starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of members (Norrbotten's 14 by default; more are made-up kommuner).
    pub members: usize,
    /// Where the nodes keep their data; a fresh temporary directory when `None`.
    pub dir: Option<PathBuf>,
    /// API port of the first node; the others count up from it.
    pub api_port: u16,
    /// libp2p port of the first node; the others count up from it.
    pub p2p_port: u16,
}

/// The members of a demo federation and its host.
pub fn members(n: usize) -> (Vec<Member>, String) {
    if n <= 14 {
        let all = testkit::norrbotten();
        let (host, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|m| m.id == "2580");
        let members: Vec<Member> = host.into_iter().chain(others).take(n.max(1)).collect();
        (members, "2580".into())
    } else {
        (testkit::kommuner(n), "1000".into())
    }
}

/// Builds the demo federation: charter, and for every member a node key, a styrgrupp ordinarie,
/// an objektspecialist and a firmatecknare; the host also gets a förvaltare and the chair (ordförande).
pub fn federation(n: usize) -> Federation {
    let (members, host) = members(n);
    let mut fed = Federation::found("Ekosystem Norrbotten (demo)", &members, &host);
    for m in &members {
        fed.certify_node(&m.id, &node_label(&m.id));
        fed.certify_person(&m.id, &format!("demo/{}/ordinarie", m.id), &[Role::StyrgruppOrdinarie]);
        fed.certify_person(&m.id, &format!("demo/{}/objektspecialist", m.id), &[Role::Objektspecialist]);
        fed.certify_person(&m.id, &format!("demo/{}/firmatecknare", m.id), &[Role::Firmatecknare]);
    }
    fed.certify_person(&host, &format!("demo/{host}/forvaltare"), &[Role::Forvaltare]);
    fed.certify_person(&host, &format!("demo/{host}/ordforande"), &[Role::Ordforande]);
    fed
}

pub(crate) fn node_label(member: &str) -> String {
    format!("demo/{member}/node")
}

/// Writes a member's data directory: its store with the federation's roster records, its node
/// key and its people's key files.
pub fn prepare_member(fed: &Federation, member: &str, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir.join("keys")).with_context(|| format!("creating {}", dir.display()))?;
    let ledger = Ledger::open(&dir.join("store"), 16 << 20)?;
    ledger.ingest(fed.charter.to_unverified())?;
    for u in &fed.updates {
        ledger.ingest(u.to_unverified())?;
    }
    let node_key = dir.join("node.key");
    if !node_key.exists() {
        keyfile::write_secret(&node_key, &node_label(member), &testkit::key(&node_label(member)))?;
    }
    for role in ["ordinarie", "objektspecialist", "firmatecknare", "forvaltare", "ordforande"] {
        let label = format!("demo/{member}/{role}");
        let path = dir.join("keys").join(format!("{role}.key"));
        let certified = fed.chain.current().keys.contains_key(&testkit::key(&label).public());
        if certified && !path.exists() {
            keyfile::write_secret(&path, &label, &testkit::key(&label))?;
        }
    }
    Ok(())
}

/// A demo federation running in this process.
pub struct Demo {
    /// The federation's name.
    pub name: String,
    /// Where the nodes keep their data.
    pub root: PathBuf,
    /// The host member.
    pub host: MemberId,
    /// Every member with its node, the host first.
    pub nodes: Vec<(Member, Node)>,
    /// The temporary directory holding `root`, removed when the demo is dropped.
    _tmp: Option<tempfile::TempDir>,
}

impl Demo {
    /// Each member's node as the content script sees it.
    pub fn seats(&self) -> Vec<content::Seat> {
        self.nodes.iter().map(|(m, n)| content::Seat { member: m.id.clone(), ledger: n.ledger.clone() }).collect()
    }

    /// The host's node.
    pub fn host_node(&self) -> &Node {
        &self.nodes[0].1
    }

    /// Stops every node and waits for them.
    pub async fn shutdown(self) {
        for (_, node) in self.nodes {
            node.shutdown().await;
        }
    }
}

/// A port of the `i`th node counting up from `base`; port 0 (any free port) stays 0.
fn port(base: u16, i: usize) -> Result<u16> {
    if base == 0 {
        return Ok(0);
    }
    u16::try_from(i).ok().and_then(|i| base.checked_add(i)).context("the demo's ports run past 65535")
}

/// Where the host's node is reached by its peers, once it listens.
async fn dial_host(node: &Node) -> Result<String> {
    let network = node.network.as_ref().context("the host's node has no network")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(addr) = network.listen_addrs().await.first() {
            return Ok(crate::network::dial_address(&addr.to_string(), &node.key.public()));
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the host's node did not start listening within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Starts the demo's nodes, the host's first (the others bootstrap from it). Ports 0 in
/// `options` give every node a free port.
pub async fn start(options: &Options) -> Result<Demo> {
    let (root, tmp) = match &options.dir {
        Some(d) => (d.clone(), None),
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("samverka-demo-")
                .tempdir()
                .context("creating a temporary directory")?;
            (tmp.path().to_owned(), Some(tmp))
        }
    };
    let fed = federation(options.members);
    let (members, host) = members(options.members);
    let host_index = members.iter().position(|m| m.id == host).expect("the host is a member");
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.swap(0, host_index);
    let mut nodes: Vec<(Member, Node)> = Vec::new();
    let mut bootstrap = Vec::new();
    for i in order {
        let m = &members[i];
        let dir = root.join(&m.id);
        prepare_member(&fed, &m.id, &dir)?;
        let config = Config {
            data_dir: dir.clone(),
            api_listen: std::net::SocketAddr::from(([127, 0, 0, 1], port(options.api_port, i)?)),
            p2p_listen: vec![format!("/ip4/127.0.0.1/tcp/{}", port(options.p2p_port, i)?)],
            bootstrap: bootstrap.clone(),
            api_token: Some(TOKEN.into()),
            ..Config::default()
        };
        let key = keyfile::read_secret(&config.node_key_file())?;
        let node = Node::start(&config, key).await.with_context(|| format!("starting the node of {}", m.name))?;
        if bootstrap.is_empty() {
            bootstrap.push(dial_host(&node).await?);
        }
        nodes.push((m.clone(), node));
    }
    Ok(Demo { name: fed.chain.current().name.clone(), root, host, nodes, _tmp: tmp })
}

/// Seeds the demo's content unless the host already holds it; `None` when it did not seed.
pub async fn seed(demo: &Demo) -> Result<Option<content::Seeded>> {
    if content::seeded(&demo.host_node().ledger)? {
        return Ok(None);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    Ok(Some(content::seed(&demo.seats(), &demo.host, now).await.context("while seeding the demo's content")?))
}

/// Prints, per role, a link that signs a demo person in, and what they can do there.
fn print_pages(demo: &Demo, seeded: Option<&content::Seeded>) {
    let host = demo.host_node();
    let base = format!("http://{}", host.api_addr);
    let (host_id, host_name) = (&demo.nodes[0].0.id, &demo.nodes[0].0.name);
    println!();
    println!("Open a link to sign in as that person (demo keys are public: anyone can sign as them, so nothing here is real):");
    println!("  Förvaltare at the host, {host_name}: register matters in the diarium, close ballots");
    println!("    {base}/demo/{host_id}/forvaltare");
    println!("  Ordförande at the host, {host_name}: the same");
    println!("    {base}/demo/{host_id}/ordforande");
    if let Some((m, node)) = demo.nodes.get(1) {
        let member = format!("http://{}", node.api_addr);
        println!(
            "  Styrgrupp member (ordinarie) for {}, on its own node: vote on the open budget under Att göra",
            m.name
        );
        println!("    {member}/demo/{}/ordinarie", m.id);
        println!("  Objektspecialist for {}: the node's state, peers and records", m.name);
        println!("    {member}/demo/{}/objektspecialist  then {member}/noden", m.id);
    }
    if let Some(s) = seeded {
        println!("  Anyone, signed in or not:");
        println!("    {base}/arenden/{}  the decided förvaltningsplan, its votes and proof", s.plan.to_hex());
        println!("    {base}/arenden/{}  the budget, still open", s.budget.to_hex());
        println!(
            "  Operators: /noden and /api/v1/status on every node; the API is at /api/v1 (operator token {TOKEN:?})."
        );
    }
}

/// Runs the demo until Ctrl-C: starts the nodes, seeds the content, prints what to open.
pub async fn run(options: Options) -> Result<()> {
    let demo = start(&options).await?;
    let (count, root) = (demo.nodes.len(), demo.root.display());
    println!("Samverka demo: {} ({count} members, host {}), data in {root}", demo.name, demo.host);
    println!("{:<6} {:<22} {:<40}", "kod", "medlem", "API");
    for (m, node) in &demo.nodes {
        println!("{:<6} {:<22} http://{}/api/v1/status", m.id, m.name, node.api_addr);
    }
    let seeded = if demo.nodes.len() < 2 {
        println!("A demo of one member holds no matters: its content needs two members or more.");
        None
    } else {
        println!("Seeding matters, a meeting, votes, a closing and justerade minutes …");
        tokio::select! {
            seeded = seed(&demo) => match seeded {
                Ok(Some(s)) => Some(s),
                Ok(None) => {
                    println!("The content is already there (an earlier run in {}).", demo.root.display());
                    None
                }
                Err(e) => {
                    demo.shutdown().await;
                    return Err(e);
                }
            },
            () = daemon::shutdown_signal() => {
                println!("stopping {} nodes", demo.nodes.len());
                demo.shutdown().await;
                return Ok(());
            }
        }
    };
    print_pages(&demo, seeded.as_ref());
    println!("Person keys for signing are in {}/<kod>/keys/. Stop with Ctrl-C.", demo.root.display());
    daemon::shutdown_signal().await;
    println!("stopping {} nodes", demo.nodes.len());
    demo.shutdown().await;
    Ok(())
}
