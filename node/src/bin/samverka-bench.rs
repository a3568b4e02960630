//! Benchmarks that print their figures beside the physical limits measured in the same run, and
//! the writer used by the kill -9 test.
//!
//! `samverka-bench ingest`        per-record ingest cost and durable grouped-commit throughput
//! `samverka-bench store`         a store of 1 000 000 records: disk, memory, reopen
//! `samverka-bench crash-writer`  writes until killed, printing each acknowledged record id
//! `samverka-bench web`           pages, API reads and votes over HTTP of a node holding a
//!                                290-member federation's 1 000 000 records (`bench/web.rs`)

#[path = "bench/http1.rs"]
mod http1;
#[path = "bench/web.rs"]
mod web;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use samverka_node::ledger::{Ledger, Outcome};
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::validate::SIGNATURE_BATCH;
use samverka_protocol::{Kind, Record, Unverified};

const BODY_BYTES: usize = 330; // header, signature and framing bring a record to ~500 bytes

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let n = |name: &str, default: usize| arg(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let dir = arg("--data").map(PathBuf::from);
    match args.get(1).map(String::as_str) {
        Some("ingest") => ingest(n("--records", 50_000)),
        Some("store") => store(n("--records", 1_000_000), dir),
        Some("reopen") => reopen(&dir.context("--data DIR")?),
        Some("crash-writer") => crash_writer(&dir.context("--data DIR")?),
        Some("web") => web::run(&web::Options {
            records: n("--records", 1_000_000),
            matters: n("--matters", 10_000),
            data: dir,
            reads: n("--reads", 200),
            votes: n("--votes", 50_000),
            clients: n("--clients", 32),
            peer: args.iter().any(|a| a == "--peer"),
        }),
        _ => {
            eprintln!("usage: samverka-bench ingest [--records N] | store [--records N] [--data DIR] | reopen --data DIR | crash-writer --data DIR | web [--records N] [--matters M] [--data DIR] [--reads N] [--votes N] [--clients N] [--peer]");
            std::process::exit(2)
        }
    }
}

/// A federation of one member whose node key writes notes.
fn federation() -> (Federation, Author) {
    let mut fed = Federation::found("Bench", &testkit::kommuner(1), "1000");
    let author = fed.certify_node("1000", "bench/node");
    (fed, author)
}

fn ledger_with(fed: &Federation, dir: &Path) -> Result<Ledger> {
    let ledger = Ledger::open(dir, samverka_node::storage::DEFAULT_CACHE_BYTES)?;
    ledger.ingest(fed.charter.to_unverified())?;
    for u in &fed.updates {
        ledger.ingest(u.to_unverified())?;
    }
    Ok(ledger)
}

fn notes(fed: &Federation, author: &mut Author, count: usize) -> Vec<Record<Unverified>> {
    (0..count)
        .map(|i| {
            let mut body = format!("note {i} ").into_bytes();
            body.resize(BODY_BYTES, b'x');
            author.next(fed.id(), fed.version(), Kind::Note, body)
        })
        .collect()
}

fn per_record(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_secs_f64() * 1e6 / n as f64
}

fn ingest(count: usize) -> Result<()> {
    let (fed, mut author) = federation();
    let records = notes(&fed, &mut author, count);
    let avg_len = records.iter().map(|r| r.bytes().len()).sum::<usize>() / count;
    println!("records: {count} of {avg_len} bytes");

    // Physical limits: one strict ed25519 verification, batch verification, one fsync.
    let t = Instant::now();
    for r in &records {
        assert!(r.header().author.verify_strict(&r.header().signing_input(), r.signature()));
    }
    let single = per_record(t.elapsed(), count);
    let batch_of = |size: usize| {
        let t = Instant::now();
        for chunk in records.chunks(size) {
            let msgs: Vec<Vec<u8>> = chunk.iter().map(|r| r.header().signing_input()).collect();
            let msg_refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
            let sigs: Vec<_> = chunk.iter().map(|r| ed25519_dalek::Signature::from_bytes(&r.signature().0)).collect();
            let keys: Vec<_> = chunk.iter().map(|r| r.header().author.to_dalek().expect("valid key")).collect();
            ed25519_dalek::verify_batch(&msg_refs, &sigs, &keys).expect("batch verifies");
        }
        per_record(t.elapsed(), count)
    };
    let batch64 = batch_of(64);
    let batch = batch_of(SIGNATURE_BATCH);
    let tmp = tempfile::tempdir()?;
    let fsync = fsync_latency(tmp.path())?;
    println!(
        "limit: single ed25519 verify (strict)    {single:8.1} µs/record  ({:.0} records/s on one core)",
        1e6 / single
    );
    println!(
        "limit: ed25519 batch verification (64)   {batch64:8.1} µs/record  ({:.0} records/s on one core)",
        1e6 / batch64
    );
    println!(
        "limit: ed25519 batch verification ({SIGNATURE_BATCH})  {batch:8.1} µs/record  ({:.0} records/s on one core; the batch size the ledger uses)",
        1e6 / batch
    );
    println!("limit: fsync of a 4 KiB write            {:8.1} µs", fsync.as_secs_f64() * 1e6);

    // Where the time goes, on one core: decode, verify, store.
    let t = Instant::now();
    let decoded: Vec<_> = records.iter().map(|r| Record::decode(r.bytes()).expect("decodes")).collect();
    let decode = per_record(t.elapsed(), count);
    let t = Instant::now();
    let verified: Vec<_> = decoded
        .chunks(1000)
        .flat_map(|chunk| {
            samverka_protocol::validate::verify_many(chunk.to_vec(), &fed.chain, &samverka_protocol::validate::NoLookup)
        })
        .map(|r| r.expect("valid"))
        .collect();
    let verify = per_record(t.elapsed(), count);
    let store = samverka_node::storage::Store::open(
        &tmp.path().join("store-only"),
        samverka_node::storage::DEFAULT_CACHE_BYTES,
    )?;
    // The store spreads its sled inserts over the cores: count its CPU time, not wall time.
    let cpu = cpu_seconds();
    for chunk in verified.chunks(1000) {
        store.put(chunk, &[])?;
    }
    let put = (cpu_seconds() - cpu) * 1e6 / count as f64;
    println!(
        "one core: decode {decode:.1} µs + validate (batched) {verify:.1} µs + store {put:.1} µs (CPU time) per record"
    );
    let one_core = decode + verify + put;
    println!(
        "ingest on one core (decode, hash, verify, store): {one_core:8.1} µs/record  target ≤ 45 µs  ({:.2} × one verify, {:.2} × one batched verify)",
        one_core / single,
        one_core / batch
    );

    // Durable ingest as a node does it: one ingest task takes wire bytes in batches of
    // MAX_INGEST_BATCH, decodes, verifies on both cores, and commits each batch with one fsync.
    drop(store);
    let ledger = ledger_with(&fed, &tmp.path().join("one-task"))?;
    let bytes: Vec<Vec<u8>> = records.iter().map(|r| r.bytes().to_vec()).collect();
    let cpu = cpu_seconds();
    let t = Instant::now();
    for chunk in bytes.chunks(samverka_node::network::MAX_INGEST_BATCH) {
        let decoded: Vec<_> = chunk.iter().map(|b| Record::decode(b).expect("decodes")).collect();
        check_stored(ledger.ingest_many(decoded))?;
    }
    let elapsed = t.elapsed();
    let cpu_per_record = (cpu_seconds() - cpu) * 1e6 / count as f64;
    println!(
        "durable ingest, one ingest task, commits of {}: {:8.0} records/s  target ≥ 30 000  (limit {:.0}/s = 2 cores × batch verify; CPU {cpu_per_record:.1} µs/record)",
        samverka_node::network::MAX_INGEST_BATCH,
        count as f64 / elapsed.as_secs_f64(),
        2e6 / batch
    );

    // Durable ingest with grouped commits: two writer threads, each batch acknowledged after fsync.
    drop(ledger); // its background threads must not count in this phase's CPU
    let ledger = std::sync::Arc::new(ledger_with(&fed, &tmp.path().join("durable"))?);
    let cpu = cpu_seconds();
    let t = Instant::now();
    std::thread::scope(|s| {
        for half in records.chunks(count.div_ceil(2)) {
            let ledger = ledger.clone();
            s.spawn(move || {
                for batch in half.chunks(500) {
                    check_stored(ledger.ingest_many(batch.to_vec())).expect("stored");
                }
            });
        }
    });
    let rate = count as f64 / t.elapsed().as_secs_f64();
    let cpu_per_record = (cpu_seconds() - cpu) * 1e6 / count as f64;
    println!(
        "durable ingest, two writers, commits shared, batches of 500: {rate:8.0} records/s  target ≥ 30 000  (limit {:.0}/s)",
        2e6 / batch
    );
    println!(
        "  of which CPU:                           {cpu_per_record:8.1} µs/record on both cores ({:.0} records per CPU-second)",
        1e6 / cpu_per_record
    );
    Ok(())
}

fn check_stored(results: Vec<Result<Outcome, samverka_node::ledger::Error>>) -> Result<()> {
    for r in results {
        match r? {
            Outcome::Stored(_) | Outcome::Duplicate(_) => {}
            other => anyhow::bail!("unexpected outcome {other:?}"),
        }
    }
    Ok(())
}

fn fsync_latency(dir: &Path) -> Result<Duration> {
    let mut f = std::fs::File::create(dir.join("fsync-probe"))?;
    let t = Instant::now();
    for _ in 0..50 {
        f.write_all(&[7u8; 4096])?;
        f.sync_data()?;
    }
    Ok(t.elapsed() / 50)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// CPU time this process has used (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn store(count: usize, dir: Option<PathBuf>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().join("store"));
    let (fed, mut author) = federation();
    let ledger = ledger_with(&fed, &dir)?;
    let mut raw = 0u64;
    let t = Instant::now();
    let mut left = count;
    while left > 0 {
        let records = notes(&fed, &mut author, left.min(10_000));
        left -= records.len();
        raw += records.iter().map(|r| r.bytes().len() as u64).sum::<u64>();
        check_stored(ledger.ingest_many(records))?;
    }
    let write_time = t.elapsed();
    drop(ledger);
    let disk = dir_size(&dir);
    println!(
        "records: {count}, raw bytes {raw} ({:.0} per record), written in {:.1} s",
        raw as f64 / count as f64,
        write_time.as_secs_f64()
    );
    println!("disk: {disk} bytes = {:.2} × raw  target ≤ 2.2", disk as f64 / raw as f64);
    println!("peak resident memory while writing: {} MiB", rss_kib("VmHWM:") / 1024);
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe).args(["reopen", "--data"]).arg(&dir).output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

fn reopen(dir: &Path) -> Result<()> {
    let t = Instant::now();
    let ledger = Ledger::open(dir, samverka_node::storage::DEFAULT_CACHE_BYTES)?;
    let opened = t.elapsed();
    let count = ledger.store().count()?;
    // Touch records across the store, as a node serving sync would.
    let heads = ledger.store().heads()?;
    let mut touched = 0;
    for (author, head) in heads {
        for seq in (0..=head).step_by(97) {
            touched += ledger.store().by_author(&author, seq, 1)?.len();
        }
    }
    println!("reopen: {:.3} s for {count} records  target ≤ 2 s", opened.as_secs_f64());
    println!("resident memory after reopen and {touched} reads: {} MiB  target ≤ 256 MiB", rss_kib("VmRSS:") / 1024);
    Ok(())
}

fn crash_writer(dir: &Path) -> Result<()> {
    let (fed, mut author) = federation();
    let ledger = ledger_with(&fed, dir)?;
    let stdout = std::io::stdout();
    loop {
        let batch = notes(&fed, &mut author, 50);
        let results = ledger.ingest_many(batch);
        let mut out = stdout.lock();
        for r in results {
            if let Outcome::Stored(id) = r? {
                writeln!(out, "{id}")?;
            }
        }
        out.flush()?;
    }
}
