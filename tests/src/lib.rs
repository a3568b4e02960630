//! Multi-node scenario tests live in `tests/`.
