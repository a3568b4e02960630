//! The samverka node: storage, the ledger (ingest path), network, sync, HTTP API and CLI.

pub mod ledger;
pub mod storage;
