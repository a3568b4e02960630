//! Multi-node scenarios: [`Cluster`] starts in-process nodes that replicate over real TCP sockets
//! on 127.0.0.1, each with its own temporary store; [`Cluster::converge`] waits, with a deadline,
//! until every node holds the same records.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use samverka_node::ledger::Ledger;
use samverka_node::network::{self, Handle, Options};
use samverka_node::sync;
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{Kind, MemberId, Record, RecordId, SigningKey, Unverified};
use tokio::task::JoinHandle;

/// Page cache per test node: small, there are many of them.
pub const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Sync timing for tests: fast, so convergence takes seconds.
pub fn fast_sync() -> sync::Config {
    sync::Config {
        interval: Duration::from_millis(700),
        quiet_interval: Duration::from_millis(1400),
        retry: Duration::from_millis(300),
        ..sync::Config::default()
    }
}

/// A federation of `n` made-up kommuner (the first is the host) with one certified node key each
/// (labelled `node/<i>`).
pub fn federation(n: usize) -> (Federation, Vec<SigningKey>) {
    let members = testkit::kommuner(n);
    let mut fed = Federation::found("Testförbundet", &members, &members[0].id);
    let keys = members.iter().enumerate().map(|(i, m)| fed.certify_node(&m.id, &format!("node/{i}")).key).collect();
    (fed, keys)
}

/// A ledger in `dir` holding the charter and, if `with_roster`, every roster version of `fed`.
pub fn ledger(dir: &std::path::Path, fed: &Federation, with_roster: bool) -> Result<Arc<Ledger>> {
    let ledger = Ledger::open(dir, CACHE_BYTES).context("while opening a test ledger")?;
    ledger.ingest(fed.charter.to_unverified()).context("while storing the charter")?;
    if with_roster {
        let updates: Vec<Record<Unverified>> = fed.updates.iter().map(|r| r.to_unverified()).collect();
        for r in ledger.ingest_many(updates) {
            r.context("while storing the roster")?;
        }
    }
    Ok(Arc::new(ledger))
}

/// One node of a cluster.
pub struct Node {
    /// The member whose node this is.
    pub member: MemberId,
    /// The node key.
    pub key: SigningKey,
    /// The node's ledger.
    pub ledger: Arc<Ledger>,
    /// The network handle, once started.
    pub handle: Option<Handle>,
    /// The address peers dial (with `/p2p/<id>`), once listening.
    pub address: Option<String>,
    task: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// A node with a fresh store; not yet on the network.
    pub fn new(member: MemberId, key: SigningKey, fed: &Federation, with_roster: bool) -> Result<Node> {
        let dir = tempfile::tempdir()?;
        let ledger = ledger(dir.path(), fed, with_roster)?;
        Ok(Node { member, key, ledger, handle: None, address: None, task: None, _dir: dir })
    }

    /// The handle (the node must be started).
    pub fn net(&self) -> &Handle {
        self.handle.as_ref().expect("the node is started")
    }

    /// Starts the network, listening on 127.0.0.1 and dialing `bootstrap`, with [`fast_sync`].
    pub async fn start(&mut self, bootstrap: Vec<String>) -> Result<()> {
        self.start_synced(bootstrap, fast_sync()).await
    }

    /// Starts the network, listening on 127.0.0.1 and dialing `bootstrap`, with `sync` timing.
    pub async fn start_synced(&mut self, bootstrap: Vec<String>, sync: sync::Config) -> Result<()> {
        let options = Options { sync, ..Options::new(vec!["/ip4/127.0.0.1/tcp/0".into()], bootstrap, None) };
        self.start_with(options).await
    }

    /// Starts the network with `options`.
    pub async fn start_with(&mut self, options: Options) -> Result<()> {
        let (handle, task) = network::start_with(self.ledger.clone(), self.key.clone(), options, None)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let address = loop {
            if let Some(a) = handle.listen_addrs().await.into_iter().next() {
                break format!("{a}/p2p/{}", handle.peer_id());
            }
            if Instant::now() > deadline {
                bail!("node {} did not start listening", self.member);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        self.address = Some(address);
        self.handle = Some(handle);
        self.task = Some(task);
        Ok(())
    }

    /// Stops the network task and waits for it.
    pub async fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Authors a note with the node key.
    pub async fn write(&self, text: &str) -> Result<RecordId> {
        let (ledger, key, body) = (self.ledger.clone(), self.key.clone(), text.as_bytes().to_vec());
        let record =
            tokio::task::spawn_blocking(move || ledger.author(&key, Kind::Note, body, testkit::T0_MS)).await??;
        Ok(record.id())
    }

    /// Every record id the node holds.
    pub fn ids(&self) -> Result<BTreeSet<RecordId>> {
        record_ids(&self.ledger)
    }
}

/// Every record id `ledger` holds.
pub fn record_ids(ledger: &Ledger) -> Result<BTreeSet<RecordId>> {
    let mut out = BTreeSet::new();
    let mut cursor = None;
    loop {
        let (page, last) = ledger.store().by_kind(None, cursor, 1000)?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page.iter().map(|r| r.id()));
        cursor = last;
    }
}

/// Sends logs to the test output when `RUST_LOG` is set.
pub fn logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

/// In-process nodes of one federation.
pub struct Cluster {
    /// The federation, with every organisation key.
    pub fed: Federation,
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// `n` nodes with stores holding the charter and roster, not yet on the network.
    pub fn new(n: usize) -> Result<Cluster> {
        logs();
        let (fed, keys) = federation(n);
        let members: Vec<MemberId> = fed.chain.current().members.keys().cloned().collect();
        let nodes =
            members.into_iter().zip(keys).map(|(m, k)| Node::new(m, k, &fed, true)).collect::<Result<Vec<_>>>()?;
        Ok(Cluster { fed, nodes })
    }

    /// Starts `n` nodes: node 0 first, every other node bootstrapping from it and finding the rest
    /// through peer exchange.
    pub async fn start(n: usize) -> Result<Cluster> {
        let mut cluster = Cluster::new(n)?;
        cluster.start_all().await?;
        Ok(cluster)
    }

    /// Starts every node not started yet, bootstrapping from node 0, with [`fast_sync`].
    pub async fn start_all(&mut self) -> Result<()> {
        self.start_all_synced(fast_sync()).await
    }

    /// Starts every node not started yet, bootstrapping from node 0, with `sync` timing.
    pub async fn start_all_synced(&mut self, sync: sync::Config) -> Result<()> {
        if self.nodes[0].handle.is_none() {
            self.nodes[0].start_synced(Vec::new(), sync).await?;
        }
        let seed = self.nodes[0].address.clone().expect("node 0 listens");
        for node in self.nodes.iter_mut().skip(1).filter(|n| n.handle.is_none()) {
            node.start_synced(vec![seed.clone()], sync).await?;
        }
        Ok(())
    }

    /// Starts every node, node 0 first, each next one only once node 0 counts all before it as
    /// connected peers, with `sync` timing. Nodes learn of each other from node 0's sync answers,
    /// and a node in step with node 0 asks it again only after the quiet interval: started in
    /// turn, each newcomer's first answer from node 0 names every node before it, whatever the
    /// quiet interval and however slowly the machine starts them.
    pub async fn start_all_in_turn(&mut self, sync: sync::Config, deadline: Duration) -> Result<()> {
        self.nodes[0].start_synced(Vec::new(), sync).await?;
        let seed = self.nodes[0].address.clone().expect("node 0 listens");
        for i in 1..self.nodes.len() {
            self.nodes[i].start_synced(vec![seed.clone()], sync).await?;
            let end = Instant::now() + deadline;
            while self.nodes[0].net().stats().await.connected < i {
                if Instant::now() > end {
                    bail!("node 0 did not count node {i} as a peer within {deadline:?}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    /// Waits until every started node is connected to at least `min` certified peers.
    pub async fn connected(&self, min: usize, deadline: Duration) -> Result<()> {
        let end = Instant::now() + deadline;
        loop {
            let mut counts = Vec::new();
            for node in self.nodes.iter().filter(|n| n.handle.is_some()) {
                counts.push(node.net().stats().await.connected);
            }
            if counts.iter().all(|c| *c >= min) {
                return Ok(());
            }
            if Instant::now() > end {
                bail!("peers per node after {deadline:?}: {counts:?}, wanted at least {min}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every node in `which` holds the same records, failing after `deadline`.
    pub async fn converge_among(&self, which: &[usize], deadline: Duration) -> Result<BTreeSet<RecordId>> {
        let end = Instant::now() + deadline;
        loop {
            let mut counts = Vec::new();
            for i in which {
                counts.push(self.nodes[*i].ledger.store().count()?);
            }
            let heads_equal = which.windows(2).try_fold(true, |eq, w| -> Result<bool> {
                Ok(eq && self.nodes[w[0]].ledger.store().heads()? == self.nodes[w[1]].ledger.store().heads()?)
            })?;
            if heads_equal && counts.windows(2).all(|w| w[0] == w[1]) {
                let first = self.nodes[which[0]].ids()?;
                if which.iter().all(|i| self.nodes[*i].ids().is_ok_and(|ids| ids == first)) {
                    return Ok(first);
                }
            }
            if Instant::now() > end {
                bail!("nodes {which:?} did not converge within {deadline:?}: record counts {counts:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every node holds the same records.
    pub async fn converge(&self, deadline: Duration) -> Result<BTreeSet<RecordId>> {
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.converge_among(&all, deadline).await
    }

    /// Stops every node.
    pub async fn stop(&mut self) {
        for node in &mut self.nodes {
            node.stop().await;
        }
    }
}

/// Polls `check` every 50 ms until it holds, failing with `what` after `deadline`.
pub async fn eventually<F, Fut>(deadline: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let end = Instant::now() + deadline;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > end {
            bail!("{what}: not within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
