//! Multi-host scenarios against the five-member federation of `docker/compose.yaml`: it comes up
//! and agrees, a member cut off the network catches up, a member killed mid-write loses nothing it
//! acknowledged. Run by `scripts/docker-test.sh`, which starts the federation; without
//! `SAMVERKA_DOCKER_TESTS` every test says it is skipped and returns.
//!
//! The tests drive `docker` and the nodes' HTTP APIs on the containers' fixed operator-network
//! addresses, and talk to nothing else.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

/// The members of `docker/compose.yaml`: kommunkod, members-network address, operator-network
/// address. Luleå 2580 is the host.
const MEMBERS: [Member; 5] = [
    Member { kod: "2580", p2p_ip: "172.28.0.10", api_ip: "172.28.1.10" },
    Member { kod: "2506", p2p_ip: "172.28.0.11", api_ip: "172.28.1.11" },
    Member { kod: "2505", p2p_ip: "172.28.0.12", api_ip: "172.28.1.12" },
    Member { kod: "2582", p2p_ip: "172.28.0.13", api_ip: "172.28.1.13" },
    Member { kod: "2523", p2p_ip: "172.28.0.14", api_ip: "172.28.1.14" },
];
/// The compose network the nodes replicate over (`<project>_members`).
const MEMBERS_NETWORK: &str = "samverka_members";
/// The operator token when `SAMVERKA_API_TOKEN` is not set (as in `docker/compose.yaml`).
const DEFAULT_TOKEN: &str = "samverka-docker-dev-token";
/// How long containers may take to answer `/healthz` after a (re)start.
const UP_DEADLINE: Duration = Duration::from_secs(60);
/// How long the federation may take to agree on one record set.
const CONVERGE_DEADLINE: Duration = Duration::from_secs(120);
/// Pause between polls.
const POLL: Duration = Duration::from_millis(500);
/// Timeout of one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Records per page asked of `GET /api/v1/records` (the node's `MAX_PAGE`).
const PAGE: usize = 1000;
/// Pages read before a record listing counts as runaway.
const MAX_PAGES: usize = 100;
/// Notes the writer of the kill test sends at most, and for how long.
const MAX_KILL_NOTES: usize = 500;
const KILL_WRITE_DEADLINE: Duration = Duration::from_secs(60);
/// Notes acknowledged before the kill (so some are durable-by-acknowledgement).
const NOTES_BEFORE_KILL: usize = 5;
/// Failed writes in a row after which the writer stops (the node is down).
const MAX_FAILED_WRITES: usize = 3;

#[derive(Clone, Copy, Debug)]
struct Member {
    kod: &'static str,
    p2p_ip: &'static str,
    api_ip: &'static str,
}

impl Member {
    fn container(&self) -> String {
        format!("samverka-{}", self.kod)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}:7080{path}", self.api_ip)
    }
}

fn member(kod: &str) -> Member {
    *MEMBERS.iter().find(|m| m.kod == kod).expect("a member of docker/compose.yaml")
}

/// Whether the Docker tests run; prints why not.
fn enabled(test: &str) -> bool {
    if std::env::var_os("SAMVERKA_DOCKER_TESTS").is_some() {
        return true;
    }
    println!("skipped {test}: set SAMVERKA_DOCKER_TESTS=1 or run scripts/docker-test.sh");
    false
}

/// Runs `docker ARGS` (off the async workers) and returns its stdout.
async fn docker(args: &[&str]) -> Result<String> {
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let shown = owned.join(" ");
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("docker").args(&owned).output())
        .await
        .context("while waiting for docker")?
        .with_context(|| format!("while running docker {shown}"))?;
    ensure!(out.status.success(), "docker {shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The federation as the tests see it: an HTTP client and the operator token.
struct Federation {
    http: reqwest::Client,
    token: String,
}

/// What one member holds.
#[derive(Debug, PartialEq)]
struct Holdings {
    roster_version: Value,
    records: Value,
    ids: BTreeSet<String>,
}

impl Federation {
    fn new() -> Result<Federation> {
        let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).no_proxy().build()?;
        let token = std::env::var("SAMVERKA_API_TOKEN").unwrap_or_else(|_| DEFAULT_TOKEN.into());
        Ok(Federation { http, token })
    }

    /// Starts any stopped container and reconnects any cut-off one (a previous test may have
    /// failed half-way), then waits until every member answers `/healthz`.
    async fn ensure_up(&self) -> Result<()> {
        for m in MEMBERS {
            let state = docker(&["inspect", "-f", "{{.State.Running}}", &m.container()])
                .await
                .context("is the federation up? (scripts/docker-up.sh)")?;
            if state != "true" {
                println!("starting {}", m.container());
                docker(&["start", &m.container()]).await?;
            }
            if !self.attached(m).await? {
                println!("reconnecting {}", m.container());
                docker(&["network", "connect", "--ip", m.p2p_ip, MEMBERS_NETWORK, &m.container()]).await?;
            }
        }
        for m in MEMBERS {
            self.wait_healthy(m).await?;
        }
        Ok(())
    }

    async fn attached(&self, m: Member) -> Result<bool> {
        let format = format!("{{{{with index .NetworkSettings.Networks \"{MEMBERS_NETWORK}\"}}}}yes{{{{end}}}}");
        Ok(docker(&["inspect", "-f", &format, &m.container()]).await? == "yes")
    }

    async fn wait_healthy(&self, m: Member) -> Result<()> {
        let start = Instant::now();
        loop {
            let last = match self.http.get(m.url("/healthz")).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => format!("status {}", r.status()),
                Err(e) => e.to_string(),
            };
            if start.elapsed() > UP_DEADLINE {
                bail!("{} did not answer /healthz within {UP_DEADLINE:?}: {last}", m.container());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn get_json(&self, url: &str) -> Result<Value> {
        let response = self.http.get(url).send().await.with_context(|| format!("while asking GET {url}"))?;
        let status = response.status();
        let body: Value = response.json().await.with_context(|| format!("while reading GET {url}"))?;
        ensure!(status.is_success(), "GET {url}: {status} {body}");
        Ok(body)
    }

    /// Every record id `m` holds, read page by page.
    async fn record_ids(&self, m: Member) -> Result<BTreeSet<String>> {
        let mut ids = BTreeSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = m.url(&format!("/api/v1/records?limit={PAGE}"));
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get_json(&url).await?;
            let records = page["records"].as_array().with_context(|| format!("no `records` in {page}"))?;
            for r in records {
                ids.insert(r["id"].as_str().with_context(|| format!("a record without `id`: {r}"))?.to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Ok(ids),
            }
        }
        bail!("{} listed more than {MAX_PAGES} pages of records", m.container())
    }

    async fn holdings(&self, m: Member) -> Result<Holdings> {
        let status = self.get_json(&m.url("/api/v1/status")).await?;
        let ids = self.record_ids(m).await?;
        ensure!(status["roster_version"].is_u64(), "{}: no roster version in {status}", m.container());
        Ok(Holdings { roster_version: status["roster_version"].clone(), records: status["records"].clone(), ids })
    }

    /// Publishes a note on `m` as its node; the record id when the node acknowledged it (201).
    async fn note(&self, m: Member, text: &str) -> Result<String> {
        let response = self
            .http
            .post(m.url("/api/v1/notes"))
            .bearer_auth(&self.token)
            .json(&json!({ "text": text }))
            .send()
            .await
            .with_context(|| format!("while publishing a note on {}", m.container()))?;
        let status = response.status();
        let body: Value = response.json().await.context("while reading the note's response")?;
        ensure!(status == reqwest::StatusCode::CREATED, "note on {}: {status} {body}", m.container());
        Ok(body["id"].as_str().with_context(|| format!("no `id` in {body}"))?.to_owned())
    }

    /// Waits until every member of `members` holds the same records, `expected` among them, with
    /// a status that agrees (roster version, record count); returns that record set.
    async fn converge(&self, members: &[Member], expected: &BTreeSet<String>) -> Result<BTreeSet<String>> {
        let start = Instant::now();
        loop {
            let mut seen = Vec::new();
            for &m in members {
                seen.push((m, self.holdings(m).await));
            }
            let agreed = match &seen[..] {
                [(_, Ok(first)), rest @ ..] => {
                    rest.iter().all(|(_, h)| h.as_ref().is_ok_and(|h| h == first))
                        && first.records == json!(first.ids.len())
                        && expected.is_subset(&first.ids)
                }
                _ => false,
            };
            if agreed {
                let (_, first) = seen.swap_remove(0);
                let ids = first?.ids;
                println!("{} agree on {} records after {:?}", names(members), ids.len(), start.elapsed());
                return Ok(ids);
            }
            if start.elapsed() > CONVERGE_DEADLINE {
                bail!("{} did not converge within {CONVERGE_DEADLINE:?}:\n{}", names(members), report(&seen, expected));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn names(members: &[Member]) -> String {
    members.iter().map(|m| m.kod).collect::<Vec<_>>().join(", ")
}

/// One line per member: what it holds and what it misses.
fn report(seen: &[(Member, Result<Holdings>)], expected: &BTreeSet<String>) -> String {
    let all: BTreeSet<&String> = seen.iter().filter_map(|(_, h)| h.as_ref().ok()).flat_map(|h| &h.ids).collect();
    seen.iter()
        .map(|(m, h)| match h {
            Ok(h) => format!(
                "  {}: roster_version {}, status records {}, listed {}, missing {} of all seen, {} of expected",
                m.kod,
                h.roster_version,
                h.records,
                h.ids.len(),
                all.iter().filter(|id| !h.ids.contains(**id)).count(),
                expected.difference(&h.ids).count(),
            ),
            Err(e) => format!("  {}: {e:#}", m.kod),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A note text no earlier run wrote.
fn text(test: &str, n: usize) -> String {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis();
    format!("{test} note {n} at {ms}")
}

/// A member cut off the members' network; reconnected when dropped, so a failing test does not
/// leave it cut off.
struct CutOff(Option<Member>);

impl CutOff {
    async fn new(m: Member) -> Result<CutOff> {
        docker(&["network", "disconnect", MEMBERS_NETWORK, &m.container()]).await?;
        Ok(CutOff(Some(m)))
    }

    async fn reconnect(mut self) -> Result<()> {
        let m = self.0.take().expect("reconnected once");
        docker(&["network", "connect", "--ip", m.p2p_ip, MEMBERS_NETWORK, &m.container()]).await?;
        Ok(())
    }
}

impl Drop for CutOff {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            let _ = std::process::Command::new("docker")
                .args(["network", "connect", "--ip", m.p2p_ip, MEMBERS_NETWORK, &m.container()])
                .status();
        }
    }
}

#[tokio::test]
async fn federation_comes_up_and_agrees_on_a_new_note() -> Result<()> {
    if !enabled("federation_comes_up_and_agrees_on_a_new_note") {
        return Ok(());
    }
    let fed = Federation::new()?;
    fed.ensure_up().await?;
    let start = fed.converge(&MEMBERS, &BTreeSet::new()).await?;
    ensure!(!start.is_empty(), "the prepared federation holds no records");
    println!("{} members agree on {} records", MEMBERS.len(), start.len());
    // Every node starts from the same prepared records, so agreement so far shows little: a note
    // published on the host must reach everyone.
    let id = fed.note(member("2580"), &text("comes_up", 0)).await?;
    let now = fed.converge(&MEMBERS, &BTreeSet::from([id])).await?;
    assert_eq!(now.len(), start.len() + 1, "one new record");
    Ok(())
}

#[tokio::test]
async fn member_cut_off_the_network_catches_up_after_reconnecting() -> Result<()> {
    if !enabled("member_cut_off_the_network_catches_up_after_reconnecting") {
        return Ok(());
    }
    let fed = Federation::new()?;
    fed.ensure_up().await?;
    let before = fed.converge(&MEMBERS, &BTreeSet::new()).await?;
    let island = member("2582");
    let mainland: Vec<Member> = MEMBERS.into_iter().filter(|m| m.kod != island.kod).collect();

    let cut = CutOff::new(island).await?;
    ensure!(!fed.attached(island).await?, "{} is still on {MEMBERS_NETWORK}", island.container());
    let on_island = fed.note(island, &text("cut_off island", 0)).await?;
    let on_mainland = fed.note(member("2580"), &text("cut_off mainland", 0)).await?;
    // The partition is real: the mainland agrees on its note without the island's, and the
    // island has not got the mainland's. (Its links to the mainland stay open until the network
    // layer notices them dead, which it does not yet do: the status still counts 4 peers.)
    let mainland_ids = fed.converge(&mainland, &BTreeSet::from([on_mainland.clone()])).await?;
    assert!(!mainland_ids.contains(&on_island), "the island's note crossed the partition");
    let island_ids = fed.record_ids(island).await?;
    assert!(!island_ids.contains(&on_mainland), "the mainland's note crossed the partition");
    assert!(island_ids.contains(&on_island), "the island keeps its own note");

    cut.reconnect().await?;
    let mut expected = before.clone();
    expected.extend([on_island, on_mainland]);
    let after = fed.converge(&MEMBERS, &expected).await?;
    assert_eq!(after, expected, "exactly the records from before plus both sides' notes");
    Ok(())
}

#[tokio::test]
async fn member_killed_while_writing_keeps_every_acknowledged_note() -> Result<()> {
    if !enabled("member_killed_while_writing_keeps_every_acknowledged_note") {
        return Ok(());
    }
    let fed = Arc::new(Federation::new()?);
    fed.ensure_up().await?;
    let before = fed.converge(&MEMBERS, &BTreeSet::new()).await?;
    let victim = member("2523");

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (fed, acked, acked_count) = (fed.clone(), acked.clone(), acked_count.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let (mut failed_in_a_row, mut failed) = (0, 0);
            for n in 0..MAX_KILL_NOTES {
                if start.elapsed() > KILL_WRITE_DEADLINE || failed_in_a_row >= MAX_FAILED_WRITES {
                    break;
                }
                match fed.note(victim, &text("killed", n)).await {
                    Ok(id) => {
                        acked.lock().expect("not poisoned").push(id);
                        acked_count.fetch_add(1, Ordering::SeqCst);
                        failed_in_a_row = 0;
                    }
                    Err(_) => {
                        failed += 1;
                        failed_in_a_row += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            failed
        })
    };
    let start = Instant::now();
    while acked_count.load(Ordering::SeqCst) < NOTES_BEFORE_KILL {
        ensure!(!writer.is_finished(), "the writer stopped before {NOTES_BEFORE_KILL} notes were acknowledged");
        ensure!(
            start.elapsed() < UP_DEADLINE,
            "{NOTES_BEFORE_KILL} notes were not acknowledged within {UP_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    docker(&["kill", "-s", "KILL", &victim.container()]).await?;
    let failed = writer.await.context("while waiting for the writer")?;
    let acked = acked.lock().expect("not poisoned").clone();
    println!("{} notes acknowledged, {failed} writes failed around the kill", acked.len());
    ensure!(failed > 0, "no write failed: the kill did not happen while writing");

    docker(&["start", &victim.container()]).await?;
    fed.wait_healthy(victim).await?;
    let held = fed.record_ids(victim).await?;
    let lost: Vec<&String> = acked.iter().filter(|id| !held.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged notes were lost by the kill: {lost:?}", lost.len());

    let mut expected = before;
    expected.extend(acked);
    let after = fed.converge(&MEMBERS, &expected).await?;
    // Notes in flight at the kill may or may not have been stored; nothing else is new.
    let unexpected: Vec<&String> = after.difference(&expected).collect();
    assert!(unexpected.len() <= 1, "records beyond the acknowledged notes and the one in flight: {unexpected:?}");
    Ok(())
}
