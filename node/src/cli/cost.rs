//! `samverka cost split`: an operator splits a budget by a cost key kept in a spreadsheet file,
//! to the öre, by the same rule every node uses (`samverka_protocol::cost`, `docs/cost.md`).
//!
//! The key file is what Swedish Excel writes: `member;weight` lines separated by semicolons, a
//! decimal comma, an optional header line, UTF-8 (with or without a byte-order mark) or
//! Windows-1252. Every error names the file and the line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use samverka_protocol::cost::{self, Basis, Entry, Key, Ore, Violation, Weight};

/// Largest key file read: a key names at most `cost::MAX_KEY_MEMBERS` members.
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// Cost commands.
#[derive(Subcommand, Debug)]
pub enum CostCommand {
    /// Split an amount by a cost key file (`member;weight` lines) to the öre, summing exactly to
    /// the amount; prints `member;amount` lines and a final sum line.
    Split(SplitArgs),
}

/// Arguments of `cost split`.
#[derive(Args, Debug)]
pub struct SplitArgs {
    /// The key file: `member;weight` lines (semicolons, decimal comma, a header line allowed).
    #[arg(long)]
    key: PathBuf,
    /// The amount to split, in SEK: `1500000.00`, `1 500 000,00`.
    #[arg(long)]
    amount: String,
    /// What the weights are.
    #[arg(long, value_enum, default_value_t = BasisArg::Weights)]
    basis: BasisArg,
    /// Split this percent of the amount equally between the members first, and the rest by the
    /// weights (a fixed part plus a variable part).
    #[arg(long, conflicts_with = "basis")]
    fixed_percent: Option<String>,
}

/// The key's basis, as typed.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum BasisArg {
    /// Relative weights (any positive total).
    Weights,
    /// Percent, summing to 100.
    Percent,
    /// Population per member (whole numbers).
    PerCapita,
    /// Licence or user count per member (whole numbers).
    Licences,
}

/// One data line of the key file.
struct Row {
    line: usize,
    entry: Entry,
}

/// Runs a cost command.
pub fn run(command: CostCommand) -> Result<()> {
    match command {
        CostCommand::Split(args) => split(args),
    }
}

fn split(args: SplitArgs) -> Result<()> {
    let amount = Ore::parse_sek(&args.amount).context("while reading --amount")?;
    let basis = match (&args.fixed_percent, args.basis) {
        (Some(p), _) => {
            Basis::FixedPlusVariable { fixed_percent: Weight::parse(p).context("while reading --fixed-percent")? }
        }
        (None, BasisArg::Weights) => Basis::Weights,
        (None, BasisArg::Percent) => Basis::Percent,
        (None, BasisArg::PerCapita) => Basis::PerCapita,
        (None, BasisArg::Licences) => Basis::Licences,
    };
    let rows = read_key(&args.key)?;
    let entries = rows.iter().map(|r| r.entry.clone()).collect();
    let key = Key::new(basis, entries).map_err(|v| located(&args.key, &rows, v))?;
    let split = cost::split(amount, &key).context("while splitting the amount")?;
    for line in &split.lines {
        say!("{};{}", line.member, line.amount.plain());
    }
    say!("Summa;{}", split.total().plain());
    Ok(())
}

/// Reads the key file's data lines; the first line is a header when its weight field holds no digit.
/// The entries of a key file, in the file's order (for `samverka plan key`).
pub(super) fn read_entries(path: &Path) -> Result<Vec<Entry>> {
    Ok(read_key(path)?.into_iter().map(|r| r.entry).collect())
}

fn read_key(path: &Path) -> Result<Vec<Row>> {
    let size = std::fs::metadata(path).with_context(|| format!("reading the key file {}", path.display()))?.len();
    if size > MAX_KEY_FILE_BYTES {
        bail!("{}: {size} bytes, more than a key file holds ({MAX_KEY_FILE_BYTES})", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading the key file {}", path.display()))?;
    let text = decode(&bytes);
    let mut rows = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(';').map(unquote).collect();
        let [member, weight] = fields[..] else {
            bail!("{} line {line}: expected `member;weight`, found {} fields", path.display(), fields.len());
        };
        match Weight::parse(weight) {
            Ok(weight) => rows.push(Row { line, entry: Entry::new(member, weight) }),
            Err(_) if line == first_line(&text) && is_header(weight) => continue,
            Err(e) => bail!("{} line {line}: {e}", path.display()),
        }
    }
    Ok(rows)
}

/// Whether a first line's weight field is a column title: it holds no digit, so a mistyped first
/// weight (`1x`) is an error rather than a line silently taken for a header.
fn is_header(weight: &str) -> bool {
    !weight.bytes().any(|b| b.is_ascii_digit())
}

/// The number of the first non-blank line.
fn first_line(text: &str) -> usize {
    text.lines().position(|l| !l.trim().is_empty()).map_or(1, |i| i + 1)
}

/// A field without surrounding spaces and the double quotes Excel adds around some fields.
fn unquote(field: &str) -> &str {
    let field = field.trim();
    field.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(field)
}

/// UTF-8 (a byte-order mark dropped), or else Windows-1252 as Swedish Excel saves "CSV"; its
/// letters å, ä, ö, Å, Ä, Ö and é are the Latin-1 code points.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The violation with the file and line of the member it names, when it names one.
fn located(path: &Path, rows: &[Row], violation: Violation) -> anyhow::Error {
    let member = match &violation {
        Violation::DuplicateMember { member } => {
            // The second line naming the member is the one to merge or remove.
            let line = rows.iter().filter(|r| &r.entry.member == member).nth(1).map(|r| r.line);
            return with_line(path, line, violation);
        }
        Violation::NegativeWeight { member, .. }
        | Violation::WeightTooLarge { member, .. }
        | Violation::NotWhole { member, .. } => Some(member.as_str()),
        Violation::BlankMember => Some(""),
        _ => None,
    };
    let line = member.and_then(|m| rows.iter().find(|r| r.entry.member.trim() == m.trim()).map(|r| r.line));
    with_line(path, line, violation)
}

fn with_line(path: &Path, line: Option<usize>, violation: Violation) -> anyhow::Error {
    let place = match line {
        Some(line) => format!("{} line {line}", path.display()),
        None => path.display().to_string(),
    };
    anyhow::Error::new(violation).context(format!("the key in {place} is refused"))
}
