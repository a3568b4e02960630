//! The samverka node: storage, the ledger (ingest path), network, sync, HTTP API and CLI.

pub mod api;
pub mod archive;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod governance;
pub mod keyfile;
pub mod ledger;
pub mod metrics;
pub mod network;
pub mod report;
pub mod signer;
pub mod storage;
pub mod sync;
