//! `samverka demo`: a fresh federation of several members, each a separate node on loopback with
//! its own store, keys and API port, in this one process.
//!
//! Demo keys are derived from public labels (see `samverka_protocol::testkit`): anyone can
//! recompute them, so a demo federation is for trying Samverka out, never for real records.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{Member, Role};

use crate::config::Config;
use crate::daemon::{self, Node};
use crate::keyfile;
use crate::ledger::Ledger;

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

/// Builds the demo federation: charter, and for every member a node key, a styrgrupp ordinarie
/// and an objektspecialist; the host also gets a förvaltare and the chair (ordförande).
pub fn federation(n: usize) -> Federation {
    let (members, host) = members(n);
    let mut fed = Federation::found("Ekosystem Norrbotten (demo)", &members, &host);
    for m in &members {
        fed.certify_node(&m.id, &node_label(&m.id));
        fed.certify_person(&m.id, &format!("demo/{}/ordinarie", m.id), &[Role::StyrgruppOrdinarie]);
        fed.certify_person(&m.id, &format!("demo/{}/objektspecialist", m.id), &[Role::Objektspecialist]);
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
    for role in ["ordinarie", "objektspecialist", "forvaltare", "ordforande"] {
        let label = format!("demo/{member}/{role}");
        let path = dir.join("keys").join(format!("{role}.key"));
        let certified = fed.chain.current().keys.contains_key(&testkit::key(&label).public());
        if certified && !path.exists() {
            keyfile::write_secret(&path, &label, &testkit::key(&label))?;
        }
    }
    Ok(())
}

/// Runs the demo until Ctrl-C.
pub async fn run(options: Options) -> Result<()> {
    let tmp;
    let root = match &options.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new().prefix("samverka-demo-").tempdir()?;
            tmp.path().to_owned()
        }
    };
    let fed = federation(options.members);
    let (members, host) = members(options.members);
    let host_index = members.iter().position(|m| m.id == host).expect("the host is a member");
    let p2p = |i: usize| options.p2p_port + u16::try_from(i).expect("fewer than 65536 members");
    let host_key = testkit::key(&node_label(&host)).public();
    let bootstrap = crate::network::dial_address(&format!("/ip4/127.0.0.1/tcp/{}", p2p(host_index)), &host_key);
    let mut nodes: Vec<(Member, Node)> = Vec::new();
    println!(
        "Samverka demo: {} ({} members, host {host}), data in {}",
        fed.chain.current().name,
        members.len(),
        root.display()
    );
    for (i, m) in members.iter().enumerate() {
        let dir = root.join(&m.id);
        prepare_member(&fed, &m.id, &dir)?;
        let config = Config {
            data_dir: dir.clone(),
            api_listen: std::net::SocketAddr::from(([127, 0, 0, 1], options.api_port + u16::try_from(i)?)),
            p2p_listen: vec![format!("/ip4/127.0.0.1/tcp/{}", p2p(i))],
            bootstrap: if i == host_index { Vec::new() } else { vec![bootstrap.clone()] },
            ..Config::default()
        };
        let key = keyfile::read_secret(&config.node_key_file())?;
        let node = Node::start(&config, key).await.with_context(|| format!("starting the node of {}", m.name))?;
        nodes.push((m.clone(), node));
    }
    println!("{:<6} {:<22} {:<40}", "kod", "medlem", "API");
    for (m, node) in &nodes {
        println!("{:<6} {:<22} http://{}/api/v1/status", m.id, m.name, node.api_addr);
    }
    println!("Person keys for signing are in {}/<kod>/keys/. Stop with Ctrl-C.", root.display());
    daemon::shutdown_signal().await;
    println!("stopping {} nodes", nodes.len());
    for (_, node) in nodes {
        node.shutdown().await;
    }
    Ok(())
}
