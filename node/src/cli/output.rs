//! What the CLI writes to standard output. A reader that goes away early (`samverka show FILE |
//! head`) ends the command quietly with success instead of a broken-pipe panic; `unsafe` is
//! forbidden here, so SIGPIPE keeps Rust's default (ignored) and the error is handled instead.

use std::io::Write as _;

/// Standard output was closed by its reader: the command stops writing and exits successfully.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub struct Closed;

/// Writes one line to standard output and flushes it. A closed pipe becomes [`Closed`]; any
/// other write failure (a full disk behind a redirect) is an error naming standard output.
pub fn line(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{args}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("while writing to standard output")),
    }
}

/// Whether `error` (or anything in its chain) is a closed standard output.
pub fn is_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<Closed>())
}

/// Writes `value` as pretty JSON, the form every command keeps under `--json`.
pub fn json(value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).expect("a serde_json::Value always serialises");
    line(format_args!("{text}"))
}
