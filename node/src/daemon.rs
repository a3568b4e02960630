//! A running node: the ledger, the network task and the HTTP API, started together and stopped
//! together. `samverka run` runs one; `samverka demo` and the cluster tests run several in one
//! process.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use samverka_protocol::SigningKey;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::api;
use crate::config::Config;
use crate::keyfile;
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::network;

/// How often the API forgets clients that have stopped writing.
const GUARD_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// A node started in this process.
pub struct Node {
    /// Where the HTTP API answers.
    pub api_addr: SocketAddr,
    /// Whether the API is served over https (the node's own TLS).
    pub api_tls: bool,
    /// The node's ledger.
    pub ledger: Arc<Ledger>,
    /// The node's key.
    pub key: SigningKey,
    /// The network task's handle, when the node has a federation to replicate.
    pub network: Option<network::Handle>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    /// Opens the store in `config.data_dir` and starts the network and the API.
    pub async fn start(config: &Config, key: SigningKey) -> Result<Node> {
        // Checked first: a wrong certificate or e-mail setting is told before anything else starts.
        let tls = config.api_tls()?;
        let mail = config.mail()?;
        let dir = config.store_dir();
        let ledger = Arc::new(
            Ledger::open(&dir, config.cache_bytes)
                .with_context(|| format!("opening the store in {} (is another node using it?)", dir.display()))?,
        );
        let metrics = Arc::new(Metrics::new());
        let mut tasks = Vec::new();
        // Every line the node logs carries its member id (or its key, before it is certified),
        // so the logs of several nodes in one process or file can be told apart.
        let member = ledger.chain().and_then(|c| c.current().keys.get(&key.public()).map(|g| g.member.to_string()));
        let span = tracing::info_span!("node", member = %member.as_deref().unwrap_or("-"), key = %short(&key));
        let network = match ledger.federation() {
            Some(_) => {
                let (handle, task) = metrics.with_registry(|registry| {
                    // Entered only for this synchronous call: the network task takes the span.
                    let _in_node = span.enter();
                    network::start(
                        ledger.clone(),
                        key.clone(),
                        config.p2p_listen.clone(),
                        config.bootstrap.clone(),
                        config.relay.clone(),
                        Some(registry),
                    )
                })?;
                tasks.push(task);
                Some(handle)
            }
            None => None,
        };
        let mail_metrics = metrics.clone();
        let mut state = api::State::new(ledger.clone(), key.clone(), metrics);
        state.token = config.api_token.clone();
        state.network = network.clone();
        state.tls = tls.is_some();
        state.guard =
            Arc::new(api::guard::Guard::new(&config.api_hosts, config.api_writes_per_second, config.api_trusted_proxy));
        let (stop, stopped) = watch::channel(false);
        let listener = tokio::net::TcpListener::bind(config.api_listen)
            .await
            .with_context(|| format!("the API cannot listen on {}", config.api_listen))?;
        let api_addr = listener.local_addr()?;
        let guard = state.guard.clone();
        let router = api::router(state);
        let mut stopped_api = stopped.clone();
        let max_connections = config.api_max_connections;
        let api_tls = tls.is_some();
        tasks.push(tokio::spawn(
            async move {
                let shutdown = async move {
                    let _ = stopped_api.wait_for(|s| *s).await;
                };
                api::server::serve(listener, router, max_connections, tls, shutdown).await;
            }
            .instrument(span.clone()),
        ));
        let mut stopped_guard = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(GUARD_SWEEP);
            loop {
                tokio::select! {
                    _ = stopped_guard.wait_for(|s| *s) => return,
                    _ = every.tick() => guard.forget_quiet_clients(),
                }
            }
        }));
        tasks.push(tokio::spawn(
            crate::governance::issue_receipts(ledger.clone(), key.clone(), stopped.clone()).instrument(span.clone()),
        ));
        tasks.push(tokio::spawn(
            crate::plan::issue_receipts(ledger.clone(), key.clone(), stopped.clone()).instrument(span.clone()),
        ));
        if let Some(settings) = mail {
            tasks.push(tokio::spawn(
                crate::mail::run(ledger.clone(), settings, key.public(), mail_metrics, stopped.clone())
                    .instrument(span.clone()),
            ));
        }
        drop(stopped);
        let roster = ledger.chain().map_or(0, |c| c.current().version);
        span.in_scope(|| {
            tracing::info!(api = %api_addr, tls = api_tls, records = ledger.store().count().unwrap_or(0), roster, "node started");
        });
        Ok(Node { api_addr, api_tls, ledger, key, network, stop, tasks })
    }

    /// Stops every task of the node and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(network) = &self.network {
            network.shutdown().await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The node's key for `samverka run`: the key file, or a new key on a node's first start. A store
/// that already holds a federation never gets a new key silently: a new key is certified by no
/// roster, so the node would run as no member (a restored store whose key was not restored).
fn node_key(config: &Config) -> Result<SigningKey> {
    let path = config.node_key_file();
    if !path.exists() {
        let dir = config.store_dir();
        if dir.exists() {
            let ledger = Ledger::open(&dir, config.cache_bytes)
                .with_context(|| format!("opening the store in {} (is another node using it?)", dir.display()))?;
            if let Some(federation) = ledger.federation() {
                anyhow::bail!(
                    "this store holds federation {federation}, but there is no node key at {path}: a new key would be certified by no roster version and the node would not be a member. Restore the node key from the backup (`samverka import ARCHIVE --node-key ARCHIVE.node-key`, or copy it to {path} with mode 0600), or create a new one with `samverka key generate --out {path}` and certify it (`samverka roster propose --certify {path} --node ...`) — see docs/ops.md, Backup and restore",
                    path = path.display()
                );
            }
        }
    }
    Ok(keyfile::node_key(&path)?)
}

/// The first twelve hex digits of the key: enough to tell nodes apart in a log.
fn short(key: &SigningKey) -> String {
    key.public().to_hex()[..12].to_owned()
}

/// `samverka run`: runs the node until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<()> {
    let key = node_key(&config)?;
    let node = Node::start(&config, key).await?;
    match node.ledger.chain() {
        None => tracing::warn!("this node has no federation yet: run `samverka init --charter FILE`"),
        Some(chain) if !chain.current().is_node_key(&node.key.public()) => tracing::warn!(
            key = %node.key.public(),
            "the roster does not certify this node's key: it runs as no member until certified (samverka roster propose --certify … --node)"
        ),
        Some(_) => {}
    }
    // A closed standard output (`samverka run | head`) must not stop the node: these lines are
    // for the operator's convenience, and the log says the same.
    let scheme = if node.api_tls { "https" } else { "http" };
    let mut lines = vec![format!(
        "samverka node {} — web pages at {scheme}://{}/, API at /api/v1",
        node.key.public(),
        node.api_addr
    )];
    if let Some(network) = &node.network {
        for addr in network.listen_addrs().await {
            lines.push(format!("peers reach it at {addr}/p2p/{}", network.peer_id()));
        }
    }
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    drop(out);
    shutdown_signal().await;
    tracing::info!("stopping");
    node.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM can be caught");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
