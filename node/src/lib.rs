//! The samverka node: storage, the ledger (ingest path), network, sync, HTTP API and CLI.

pub mod config;
pub mod keyfile;
pub mod ledger;
pub mod network;
pub mod storage;
