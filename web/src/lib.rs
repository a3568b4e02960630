//! Server-rendered web pages for a samverka node (Swedish, with English available).
//!
//! Not built yet: the pages arrive with the web UI issue. Until then a node is used through
//! its HTTP API (`/api/v1`, described by `/api/v1/openapi.json`) and the `samverka` CLI. The
//! crate exists so the workspace layout is the one the architecture describes; it depends only
//! on `samverka-protocol` and will see the node through a narrow trait.
