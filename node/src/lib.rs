//! The samverka node: storage, the ledger (ingest path), network, sync, HTTP API and CLI.

pub mod agreement;
pub mod api;
pub mod archive;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod governance;
pub mod keyfile;
pub mod ledger;
pub mod mail;
pub mod metrics;
pub mod needs;
pub mod network;
pub mod offer;
pub mod outage;
pub mod plan;
pub mod proposal;
pub mod read;
pub mod report;
pub mod roster;
pub mod signer;
pub mod site;
pub mod storage;
pub mod support;
pub mod sync;

/// How many threads this process may run at once, read once: asking the OS reads the cgroup's
/// quota files, too slow for every commit.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
