//! Mutation fuzzing of everything that decodes bytes from outside, on stable Rust: record
//! decode and verification, the sync codec (requests and responses, as the swarm decodes them)
//! and the archive reader. It starts from the committed corpus in `fuzz/corpus/<target>/` and
//! applies random mutations (bit flips, byte changes, inserts, deletions, duplications, splices
//! and cuts) from a seeded generator, for a stated number of executions. Any panic fails the run,
//! saves the input to `fuzz/crashes/` and prints the seed that reproduces it.
//!
//! ```text
//! samverka-fuzz [--runs N] [--seed S] [--target record|sync-request|sync-response|archive]
//! samverka-fuzz --write-corpus      # regenerate the seed corpus from the testkit
//! ```
//!
//! It is not coverage-guided (cargo fuzz and AFL need a nightly compiler here), so it trades
//! depth for breadth: the corpus holds a valid input of every shape, and mutations stay close
//! to them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use samverka_node::network::{self, SyncMessage};
use samverka_node::sync;
use samverka_protocol::plan::{
    Activity, Days, Effort, Goal, Mode, Outcome, OutcomeLine, Period, Plan, PlanKind, PlanReceipt, Sides,
};
use samverka_protocol::support::SlaTable;
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::{validate, Body as _, Kind, Record, Role, RosterChain, Unverified};

/// Largest input a mutation may grow to.
const MAX_INPUT_BYTES: usize = 256 * 1024;

/// A decoder under test.
#[derive(Clone, Copy, Debug)]
enum Target {
    Record,
    SyncRequest,
    SyncResponse,
    Archive,
}

const TARGETS: [Target; 4] = [Target::Record, Target::SyncRequest, Target::SyncResponse, Target::Archive];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Record => "record",
            Target::SyncRequest => "sync-request",
            Target::SyncResponse => "sync-response",
            Target::Archive => "archive",
        }
    }
}

/// A small, fast, seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One to four random mutations of `input`, with `other` for splicing.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len().max(1));
        match rng.below(8) {
            0 if !out.is_empty() => out[at] ^= 1 << rng.below(8),
            1 if !out.is_empty() => out[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, rng.next() as u8][rng.below(6)],
            2 => out.insert(at.min(out.len()), rng.next() as u8),
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            4 if !out.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            5 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(128)).min(other.len());
                out.splice(at.min(out.len())..at.min(out.len()), other[from..end].iter().copied());
            }
            6 => out.truncate(at),
            _ if !out.is_empty() => {
                let len = out.len();
                out[len - 1 - at.min(len - 1)] = rng.next() as u8;
            }
            _ => out.push(rng.next() as u8),
        }
    }
    out.truncate(MAX_INPUT_BYTES);
    out
}

/// Runs one input through a target's decoder (and, for records, verification).
fn execute(target: Target, input: &[u8], chain: &RosterChain, scratch: &Path) {
    match target {
        Target::Record => {
            if let Ok(record) = Record::<Unverified>::decode(input) {
                let _ = validate::verify(record, chain);
            }
        }
        Target::SyncRequest => {
            if let Some(SyncMessage::Request(r)) = network::decode_sync(input, false) {
                let _ = r.within_limits();
            }
        }
        Target::SyncResponse => {
            if let Some(SyncMessage::Response(r)) = network::decode_sync(input, true) {
                let _ = r.within_limits();
            }
        }
        Target::Archive => {
            std::fs::write(scratch, input).expect("the scratch file is writable");
            let _ = samverka_node::archive::read(scratch, |_| Ok(()));
        }
    }
}

fn corpus_dir(target: Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target.name())
}

fn load_corpus(target: Target) -> Result<Vec<Vec<u8>>> {
    let dir = corpus_dir(target);
    let mut corpus = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading the corpus {}", dir.display()))? {
        corpus.push(std::fs::read(entry?.path())?);
    }
    if corpus.is_empty() {
        bail!("the corpus {} is empty: run samverka-fuzz --write-corpus", dir.display());
    }
    corpus.sort();
    Ok(corpus)
}

/// A federation with a record of several kinds, for the corpus and for verification.
fn federation() -> (Federation, Vec<Record<Unverified>>) {
    let mut fed = Federation::found("Fuzz", &testkit::kommuner(3), "1000");
    let mut node = fed.certify_node("1000", "fuzz/node");
    let mut forvaltare = fed.certify_person("1000", "fuzz/forvaltare", &[Role::Forvaltare]);
    let note = node.next(fed.id(), fed.version(), Kind::Note, "en anteckning".as_bytes().to_vec());
    let mut records = vec![fed.charter.to_unverified()];
    records.extend(fed.updates.iter().map(|u| u.to_unverified()));
    records.push(note);
    // A plan with an activity and a goal, and the node's receipt for it: the plan decoders.
    let plan = Plan {
        kind: PlanKind::Forvaltningsplan,
        title: "Förvaltningsplan".into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 560_000, it: 560_000 },
        days_per_fte: 190,
        activities: vec![Activity {
            name: "Förvaltningsstyrning".into(),
            goals: vec![Goal {
                text: "Styrning".into(),
                mode: Mode::Vu { priority: 1 },
                effort: Sides {
                    business: Effort { person_days: Days::whole(26), fixed_ore: 0 },
                    it: Effort { person_days: Days::parse("18,5").expect("a number of days"), fixed_ore: 2_000_000 },
                },
            }],
        }],
        initiatives: vec![],
        budget: vec![],
    };
    let plan = forvaltare.next(fed.id(), fed.version(), Kind::Plan, plan.to_bytes());
    let receipt = PlanReceipt { plan: plan.id() };
    let utfall = Outcome {
        plan: plan.id(),
        year: 2027,
        quarter: 1,
        lines: vec![OutcomeLine { name: "Förvaltningsstyrning".into(), actual: Sides { business: 123_450, it: 0 } }],
    };
    let utfall = forvaltare.next(fed.id(), fed.version(), Kind::Outcome, utfall.to_bytes());
    records.push(plan);
    records.push(node.next(fed.id(), fed.version(), Kind::PlanReceipt, receipt.to_bytes()));
    records.push(utfall);
    // The federation's SLA table: the support decoders.
    let table = SlaTable::webcare("2027-01-01");
    records.push(forvaltare.next(fed.id(), fed.version(), Kind::SlaTable, table.to_bytes()));
    (fed, records)
}

fn write_corpus() -> Result<()> {
    let (_, records) = federation();
    let bytes: Vec<serde_bytes::ByteBuf> = records.iter().map(|r| serde_bytes::ByteBuf::from(r.bytes())).collect();
    let heads: sync::Heads = records.iter().map(|r| (r.header().author, r.header().seq)).collect();
    let requests = [
        sync::Request::new(&sync::Ask::Full, &heads, 1),
        sync::Request::new(&sync::Ask::Probe, &heads, 1),
        sync::Request::new(&sync::Ask::Roster, &sync::Heads::new(), 0),
    ];
    let response = sync::Response { records: bytes, complete: true, ..sync::Response::default() };
    let dir = tempfile::tempdir()?;
    let ledger = samverka_node::ledger::Ledger::open(dir.path(), 4 << 20)?;
    for r in ledger.ingest_many(records.clone()) {
        r?;
    }
    let archive = dir.path().join("archive");
    samverka_node::archive::export(&ledger, &archive)?;
    let mut seeds: Vec<(Target, String, Vec<u8>)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        seeds.push((Target::Record, format!("record-{i}"), r.bytes().to_vec()));
    }
    for (i, r) in requests.into_iter().enumerate() {
        seeds.push((Target::SyncRequest, format!("request-{i}"), network::encode_sync(SyncMessage::Request(r))));
    }
    seeds.push((Target::SyncResponse, "response-0".into(), network::encode_sync(SyncMessage::Response(response))));
    seeds.push((Target::Archive, "archive-0".into(), std::fs::read(&archive)?));
    for (target, name, bytes) in seeds {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
    }
    println!("corpus written under fuzz/corpus/");
    Ok(())
}

fn fuzz(target: Target, runs: u64, seed: u64, chain: &RosterChain) -> Result<()> {
    let corpus = load_corpus(target)?;
    let scratch_dir = tempfile::tempdir()?;
    let scratch = scratch_dir.path().join("input");
    let mut rng = Rng(seed.max(1));
    let start = Instant::now();
    for run in 0..runs {
        let base = &corpus[rng.below(corpus.len())];
        let other = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, base, other);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(target, &input, chain, &scratch)));
        if outcome.is_err() {
            let crashes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/crashes");
            std::fs::create_dir_all(&crashes)?;
            let file = crashes.join(format!("{}-seed{seed}-run{run}", target.name()));
            std::fs::write(&file, &input)?;
            bail!("{} panicked at run {run} (seed {seed}); input saved to {}", target.name(), file.display());
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{:<14} {runs:>9} executions, 0 panics, {:>8.0} per second, corpus {} (seed {seed})",
        target.name(),
        runs as f64 / seconds.max(1e-9),
        corpus.len()
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--write-corpus") {
        return write_corpus();
    }
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let runs: u64 = value("--runs").map_or(Ok(10_000), |v| v.parse()).context("--runs takes a number")?;
    let seed: u64 = value("--seed").map_or(Ok(1), |v| v.parse()).context("--seed takes a number")?;
    let targets: Vec<Target> = match value("--target") {
        Some(name) => match TARGETS.iter().find(|t| t.name() == name) {
            Some(t) => vec![*t],
            None => bail!("--target {name:?}: one of record, sync-request, sync-response, archive"),
        },
        None => TARGETS.to_vec(),
    };
    let (fed, _) = federation();
    for target in targets {
        fuzz(target, runs, seed, &fed.chain)?;
    }
    Ok(())
}
