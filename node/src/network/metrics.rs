//! The network's Prometheus metrics: records in and out, rejections by reason, sync lag, plus
//! libp2p's own (connections, gossipsub, identify, ping, relay, bandwidth). The count of
//! connected peers is the node's `samverka_peers` (one metric per fact).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// Counters and gauges the swarm task updates.
pub struct Metrics {
    /// Records stored from the network, by source (`gossip`, `sync`).
    pub records_in: Family<Labels, Counter>,
    /// Records sent: published on gossip, or served in sync responses.
    pub records_out: Family<Labels, Counter>,
    /// Records from peers that were refused, by rejection code.
    pub rejections: Family<Labels, Counter>,
    /// `samverka_p2p_sync_lag`: records the peers hold that this node lacks, summed over authors
    /// and taken from the peer that is furthest ahead, by the heads each peer last stated in sync
    /// (see `crate::sync`: refreshed within the receipt delay of a change); recomputed every
    /// `LAG_INTERVAL` of the network task.
    pub sync_lag: Gauge,
    /// `samverka_p2p_frozen_peers_total`: connections closed because the peer stopped answering
    /// pings (see `liveness::FROZEN_AFTER`).
    pub frozen: Counter,
    /// libp2p's metrics.
    pub libp2p: libp2p::metrics::Metrics,
}

impl Metrics {
    /// Metrics registered under `samverka_p2p_*` in `registry` (or a private registry).
    pub fn new(registry: &mut Registry) -> Metrics {
        let m = Metrics {
            records_in: Family::default(),
            records_out: Family::default(),
            rejections: Family::default(),
            sync_lag: Gauge::default(),
            frozen: Counter::default(),
            libp2p: libp2p::metrics::Metrics::new(registry),
        };
        let r = registry.sub_registry_with_prefix("samverka_p2p");
        r.register("records_in", "Records stored from peers, by source", m.records_in.clone());
        r.register("records_out", "Records sent to peers, by path", m.records_out.clone());
        r.register("rejections", "Records from peers refused, by reason", m.rejections.clone());
        r.register("frozen_peers", "Connections closed because the peer stopped answering pings", m.frozen.clone());
        r.register("sync_lag", "Records the peer furthest ahead holds that this node lacks", m.sync_lag.clone());
        m
    }

    /// Counts a record in by `source`.
    pub fn record_in(&self, source: &str) {
        self.records_in.get_or_create(&vec![("source".into(), source.into())]).inc();
    }

    /// Counts `n` records out by `path`.
    pub fn records_out(&self, path: &str, n: u64) {
        self.records_out.get_or_create(&vec![("path".into(), path.into())]).inc_by(n);
    }

    /// Counts a rejection by `reason`.
    pub fn rejection(&self, reason: &str) {
        self.rejections.get_or_create(&vec![("reason".into(), reason.into())]).inc();
    }
}
