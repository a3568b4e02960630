//! The node's Prometheus metrics: one registry shared by the API, the ledger's callers and the
//! network, served as text at `GET /metrics`. One metric per fact: the network registers its own
//! under `samverka_p2p_*` (records in and out, rejections from peers, and the sync lag,
//! `samverka_p2p_sync_lag`), and none of those is repeated here.
//!
//! # Use
//! ```
//! use samverka_node::metrics::{Metrics, Source};
//! let metrics = Metrics::new();
//! // Counting what happens:
//! metrics.record_ingested(Source::Peer);
//! metrics.rejection("bad_signature");
//! metrics.peers.set(3);
//! // At start-up, the network registers libp2p's metrics into the same registry, e.g.
//! // `metrics.with_registry(|r| libp2p::metrics::Metrics::new(r.sub_registry_with_prefix("libp2p")))`.
//! let count = metrics.with_registry(|_registry| 1);
//! assert_eq!(count, 1);
//! assert!(metrics.encode().contains("samverka_records_ingested_total{source=\"peer\"} 1"));
//! ```

use std::sync::Mutex;

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Where an ingested record came from (the `source` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Submitted through the HTTP API.
    Api,
    /// Received from a peer (gossip or catch-up sync).
    Peer,
    /// Read from an archive file.
    Import,
    /// Authored by this node itself.
    Local,
}

impl Source {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Peer => "peer",
            Source::Import => "import",
            Source::Local => "local",
        }
    }
}

type Labels = [(&'static str, &'static str); 1];

/// The node's metrics. Cheap to update from any thread; share it as `Arc<Metrics>`.
pub struct Metrics {
    registry: Mutex<Registry>,
    records_ingested: Family<Labels, Counter>,
    rejections: Family<Labels, Counter>,
    mail: Family<Labels, Counter>,
    /// `samverka_peers`: certified peers connected now. Set from the network on each scrape.
    pub peers: Gauge,
    /// `samverka_records_stored`: records in the store. Refreshed by the API on each scrape and
    /// after each ingest.
    pub records_stored: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry holding the node's own metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let records_ingested = Family::<Labels, Counter>::default();
        let rejections = Family::<Labels, Counter>::default();
        let mail = Family::<Labels, Counter>::default();
        let (peers, records_stored) = (Gauge::default(), Gauge::default());
        registry.register(
            "samverka_records_ingested",
            "Records newly stored, by where they came from",
            records_ingested.clone(),
        );
        registry.register("samverka_rejections", "Records refused, by rejection code", rejections.clone());
        registry.register("samverka_mail", "E-mails (outage notices, support steps), sent or failed", mail.clone());
        registry.register("samverka_peers", "Certified peers connected now", peers.clone());
        registry.register("samverka_records_stored", "Records held in the store", records_stored.clone());
        Metrics { registry: Mutex::new(registry), records_ingested, rejections, mail, peers, records_stored }
    }

    /// Counts one record newly stored (`samverka_records_ingested_total{source}`).
    pub fn record_ingested(&self, source: Source) {
        self.records_ingested.get_or_create(&[("source", source.label())]).inc();
    }

    /// Counts one refused record (`samverka_rejections_total{reason}`); `reason` is a stable
    /// code such as [`crate::ledger::Error::code`], never free text (each value is a series).
    pub fn rejection(&self, reason: &'static str) {
        self.rejections.get_or_create(&[("reason", reason)]).inc();
    }

    /// Counts one e-mail (`samverka_mail_total{outcome}`): `sent` or
    /// `failed` (given up after every attempt).
    pub fn mail(&self, outcome: &'static str) {
        self.mail.get_or_create(&[("outcome", outcome)]).inc();
    }

    /// Runs `f` with the registry locked, e.g. to register libp2p's metrics at start-up.
    pub fn with_registry<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        f(&mut self.registry.lock().expect("metrics registry lock poisoned"))
    }

    /// The text exposition format (OpenMetrics), as served at `GET /metrics`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        text::encode(&mut out, &self.registry.lock().expect("metrics registry lock poisoned"))
            .expect("writing to a String cannot fail");
        out
    }
}
