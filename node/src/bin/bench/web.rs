//! `samverka-bench web`: a node holding a national federation's governance records serves its
//! pages and API reads, and takes votes over HTTP, on loopback (issue 12's targets).
//!
//! The store: a 290-member federation (`testkit::kommuner(290)`, every member's ordinarie
//! certified), `--matters` matters put by the host's förvaltare, each registered in the diarium
//! by the host's node; every 100th matter has a vote from every member, the others share the
//! rest of `--records`; the matter's closer (a node key of the host's) receipts every vote and
//! closes every other matter; a meeting per 10 matters. It is generated once per size and kept
//! under `--data DIR`. Each 50 matters name their own closer key: the closing rule walks the
//! closer's whole chain back to its first record (`protocol::governance::ballot::check_close`),
//! so one key closing 5 000 matters after 500 000 receipts costs billions of reads to generate.
//! Beside them, the shared registers of a busy year ([`registers`]): needs registered by every
//! member's objektspecialist, endorsed and ranked, some prepared by the förvaltningsgrupp;
//! support cases escalated, started and resolved; outage notices acknowledged by every member.
//!
//! The node: `daemon::Node::start` (ledger, network, API and pages) with the key of a member
//! that is not the host, so it receipts nothing itself (the host's node does that, elsewhere).
//! Its network runs. Without `--peer` no peer connects: each vote is published on gossipsub,
//! which has no one to send it to. With `--peer` a second node — the host's, opened on a copy of
//! the store, in the same process and on the same cores — dials it before the votes, so each vote
//! is gossiped to a peer that verifies and stores it; the run waits for the peer to hold every
//! vote and prints how long after the last answer that took. The API's per-client write limit is
//! raised, since every client is 127.0.0.1. The 32 concurrent clients (votes, and the `/healthz`
//! limit beside them) write HTTP/1.1 by hand on keep-alive connections ([`crate::http1`]); the
//! one-client reads use reqwest.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::http1;
use samverka_node::config::Config;
use samverka_node::daemon;
use samverka_node::governance;
use samverka_node::ledger::{Ledger, Outcome};
use samverka_protocol::governance::{Choice, Diarienummer, Diarium, Matter, Meeting, Procedure, Vote, VoteReceipt};
use samverka_protocol::needs::{Area, Asker, Need, NeedUpdate, Step};
use samverka_protocol::outage::{NoticeKind, OutageAck, OutageNotice, Published};
use samverka_protocol::roster::{Change, KeyKind};
use samverka_protocol::support::{Action, Priority, SupportCase, SupportEvent};
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::{Body as _, Kind, MatterKind, MemberId, Record, RecordId, Role, SigningKey, Unverified};

const MEMBERS: usize = 290;
const HOST: &str = "1000";
/// The member whose node is measured.
const NODE_MEMBER: &str = "1001";
/// Every this many matters, one has a vote from every member (the largest matter page).
const FULL_EVERY: usize = 100;
/// Matters per meeting's agenda, and a meeting per this many matters.
const AGENDA: usize = 10;
/// Records per `ingest_many` while generating.
const CHUNK_MATTERS: usize = 50;
/// Needs in the backlog, each endorsed by [`ENDORSERS`] other members; every member ranks
/// [`RANKED`] of them, and every [`PREPARED_EVERY`]th is prepared (beredd).
const NEEDS: usize = 1_000;
const ENDORSERS: usize = 3;
const RANKED: usize = 20;
const PREPARED_EVERY: usize = 3;
/// Support cases: two in three escalated, half of those started, one in four resolved.
const CASES: usize = 3_000;
/// Outage notices, each acknowledged by every member, updated once and cleared (the last one
/// still active).
const NOTICES: usize = 40;

/// What to measure.
pub struct Options {
    /// Records the store holds (roughly: the rest of the last chunk is not cut).
    pub records: usize,
    /// Matters among them.
    pub matters: usize,
    /// Where the generated store is kept (and reused when it holds the same sizes).
    pub data: Option<PathBuf>,
    /// Requests per read route.
    pub reads: usize,
    /// Votes submitted over HTTP.
    pub votes: usize,
    /// Concurrent HTTP clients submitting votes.
    pub clients: usize,
    /// Connect a peer that receives every vote by gossip.
    pub peer: bool,
}

/// The federation's people and node keys.
struct People {
    fed: Federation,
    forvaltare: Author,
    /// The host's node key that registers matters in the diarium.
    host_node: Author,
    /// The host's node keys that receipt and close: one per chunk of matters (see
    /// [`CHUNK_MATTERS`]), because the closing rule walks its closer's whole chain.
    closers: Vec<Author>,
    node: SigningKey,
    ordinarie: Vec<(MemberId, Author)>,
    /// Every member's objektspecialist: needs, support cases, acknowledgements.
    specialists: Vec<(MemberId, Author)>,
}

fn people(matters: usize) -> People {
    let mut fed = Federation::found("Bench 290", &testkit::kommuner(MEMBERS), HOST);
    let forvaltare = testkit::key("bench/1000/forvaltare");
    let host_node = testkit::key("bench/1000/node");
    let node = testkit::key("bench/1001/node");
    let closers: Vec<SigningKey> =
        (0..matters.div_ceil(CHUNK_MATTERS)).map(|k| testkit::key(&format!("bench/1000/closer/{k}"))).collect();
    let members: Vec<MemberId> = fed.chain.current().members.keys().cloned().collect();
    let ordinarie: Vec<(MemberId, Author)> =
        members.iter().map(|m| (m.clone(), Author::new(testkit::key(&format!("bench/{m}/ordinarie"))))).collect();
    let specialists: Vec<(MemberId, Author)> = members
        .iter()
        .map(|m| (m.clone(), Author::new(testkit::key(&format!("bench/{m}/objektspecialist")))))
        .collect();
    let person = |roles: &[Role]| KeyKind::Person { roles: roles.to_vec(), valid_from_ms: None, valid_until_ms: None };
    let mut changes = vec![
        Change::CertifyKey { member: HOST.into(), key: forvaltare.public(), kind: person(&[Role::Forvaltare]) },
        Change::CertifyKey { member: HOST.into(), key: host_node.public(), kind: KeyKind::Node },
        Change::CertifyKey { member: NODE_MEMBER.into(), key: node.public(), kind: KeyKind::Node },
    ];
    changes.extend(closers.iter().map(|k| Change::CertifyKey {
        member: HOST.into(),
        key: k.public(),
        kind: KeyKind::Node,
    }));
    changes.extend(ordinarie.iter().map(|(m, a)| Change::CertifyKey {
        member: m.clone(),
        key: a.key.public(),
        kind: person(&[Role::StyrgruppOrdinarie]),
    }));
    changes.extend(specialists.iter().map(|(m, a)| Change::CertifyKey {
        member: m.clone(),
        key: a.key.public(),
        kind: person(&[Role::Objektspecialist]),
    }));
    for part in changes.chunks(80) {
        fed.update(HOST, part.to_vec()).expect("the bench roster is valid");
    }
    let closers = closers.into_iter().map(Author::new).collect();
    People {
        fed,
        forvaltare: Author::new(forvaltare),
        host_node: Author::new(host_node),
        closers,
        node,
        ordinarie,
        specialists,
    }
}

/// Runs the benchmark.
pub fn run(options: &Options) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = match &options.data {
        Some(d) => d.join(format!("web-v2-{}-{}", options.records, options.matters)),
        None => tmp.path().join("web"),
    };
    let mut people = people(options.matters.max(1));
    let store_dir = data.join("store");
    if store_dir.join("complete").exists() {
        println!("store: reusing {}", store_dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&data);
        generate(&mut people, &store_dir, options)?;
        std::fs::write(store_dir.join("complete"), b"")?;
    }
    let t = Instant::now();
    let ledger = Ledger::open(&store_dir, samverka_node::storage::DEFAULT_CACHE_BYTES)?;
    let opened = t.elapsed();
    let count = ledger.store().count()?;
    let counts = ledger.store().read_model().read().counts();
    drop(ledger);
    println!(
        "store: {count} records; read model {counts:?}; opening (with the read model's one scan) {:.2} s",
        opened.as_secs_f64()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(people, &data, options))
}

/// Writes the store: roster, matters, diaria, votes, receipts, closings and meetings.
fn generate(p: &mut People, dir: &Path, options: &Options) -> Result<()> {
    let t = Instant::now();
    let ledger = Ledger::open(dir, samverka_node::storage::DEFAULT_CACHE_BYTES)?;
    ledger.ingest(p.fed.charter.to_unverified())?;
    for u in &p.fed.updates {
        ledger.ingest(u.to_unverified())?;
    }
    let (fid, version) = (p.fed.id(), p.fed.version());
    let matters = options.matters.max(1);
    let full = matters.div_ceil(FULL_EVERY);
    let fixed = matters * 2 + matters / 2 + matters / AGENDA + p.fed.updates.len() + 1;
    let pairs = options.records.saturating_sub(fixed) / 2;
    let per_other = pairs.saturating_sub(full * MEMBERS).checked_div(matters - full).unwrap_or(0).min(MEMBERS);
    println!(
        "generating: {matters} matters ({full} with {MEMBERS} votes, the others {per_other}), each vote receipted, every other matter closed"
    );
    let mut previous: Option<(RecordId, Diarienummer)> = None;
    let mut agenda = Vec::new();
    let mut written = 0usize;
    for start in (0..matters).step_by(CHUNK_MATTERS) {
        // In the order they depend on each other, one commit each: matters and meetings,
        // diaria, votes, receipts, then the closings over the votes stored.
        let mut batches: [Vec<Record<Unverified>>; 4] = Default::default();
        let mut chunk: Vec<(usize, RecordId)> = Vec::new();
        let closer = &mut p.closers[start / CHUNK_MATTERS];
        for i in start..(start + CHUNK_MATTERS).min(matters) {
            let matter = bench_matter(i, closer.key.public());
            let record = p.forvaltare.next(fid, version, Kind::Matter, matter.to_bytes());
            let id = record.id();
            batches[0].push(record);
            let dnr = Diarienummer::next(previous.as_ref().map(|(_, d)| d), "SAM", 2026);
            let diarium = Diarium { matter: id, diarienummer: dnr.clone(), previous: previous.map(|(id, _)| id) };
            let record = p.host_node.next(fid, version, Kind::Diarium, diarium.to_bytes());
            previous = Some((record.id(), dnr));
            batches[1].push(record);
            chunk.push((i, id));
            agenda.push(id);
            if agenda.len() == AGENDA {
                let meeting = bench_meeting(i, std::mem::take(&mut agenda));
                batches[0].push(p.forvaltare.next(fid, version, Kind::Meeting, meeting.to_bytes()));
            }
        }
        // The closer's chain: this chunk's receipts, then its closings.
        for &(i, id) in &chunk {
            let voters = if i % FULL_EVERY == 0 { MEMBERS } else { per_other };
            for j in 0..voters {
                let (member, author) = &mut p.ordinarie[(i * 7 + j) % MEMBERS];
                let choice = if j % 4 == 3 { Choice::No } else { Choice::Yes };
                let vote = Vote { matter: id, member: member.clone(), choice };
                let vote = author.next(fid, version, Kind::Vote, vote.to_bytes());
                let receipt = VoteReceipt { matter: id, vote: vote.id() };
                batches[2].push(vote);
                batches[3].push(closer.next(fid, version, Kind::VoteReceipt, receipt.to_bytes()));
            }
        }
        written += store_batches(&ledger, batches)?;
        let chain = ledger.chain().context("federation")?;
        let mut closings = Vec::new();
        for (_, id) in chunk.iter().filter(|(i, _)| i % 2 == 0) {
            let body = governance::next_closing(ledger.store(), &chain, &closer.key.public(), id)?;
            closings.push(closer.next(fid, version, Kind::BallotClose, body.to_bytes()));
        }
        written += closings.len();
        for r in ledger.ingest_many(closings) {
            let outcome = r.context("a generated closing")?;
            ensure!(matches!(outcome, Outcome::Stored(_)), "a generated closing: {outcome:?}");
        }
        if start % (CHUNK_MATTERS * 20) == 0 {
            println!("  {written} records after {} matters, {:.0} s", start + CHUNK_MATTERS, t.elapsed().as_secs_f64());
        }
    }
    written += registers(p, &ledger)?;
    println!("generated {written} records in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Stores each batch in its own commit, in order, every record stored.
fn store_batches(ledger: &Ledger, batches: impl IntoIterator<Item = Vec<Record<Unverified>>>) -> Result<usize> {
    let mut written = 0;
    for batch in batches {
        written += batch.len();
        let kinds: Vec<Kind> = batch.iter().map(|r| r.header().kind).collect();
        for (k, (r, kind)) in ledger.ingest_many(batch).into_iter().zip(kinds).enumerate() {
            let outcome = r.with_context(|| format!("a generated {} record", kind.name()))?;
            ensure!(matches!(outcome, Outcome::Stored(_)), "generated {} record {k}: {outcome:?}", kind.name());
        }
    }
    Ok(written)
}

/// The shared registers of a busy year: [`NEEDS`] needs, [`CASES`] support cases and
/// [`NOTICES`] outage notices, with their updates, events and acknowledgements. Returns how
/// many records it stored.
fn registers(p: &mut People, ledger: &Ledger) -> Result<usize> {
    let t = Instant::now();
    let (fid, version) = (p.fed.id(), p.fed.version());
    let areas = [Area::Ifo, Area::Hsl, Area::Ao, Area::SolLss, Area::Avgift];
    // Needs, then endorsements, rankings and preparations (which name the needs).
    let mut needs = Vec::with_capacity(NEEDS);
    for i in 0..NEEDS {
        let (member, author) = &mut p.specialists[i % MEMBERS];
        let need = Need {
            title: format!("Behov {i}: stöd för uppföljning i verksamhetssystemet"),
            description: "Görs i dag för hand i ett kalkylark; uppgifterna skrivs in två gånger.".into(),
            benefit: "Sparar tid för handläggarna och ger säkrare uppföljning.".into(),
            wished: Some("2027-06-30".into()),
            area: areas[i % areas.len()],
            asker: Asker { name: "Eva Berg".into(), role: "objektspecialist".into() },
            member: member.clone(),
        };
        needs.push(author.next(fid, version, Kind::Need, need.to_bytes()));
    }
    let ids: Vec<RecordId> = needs.iter().map(Record::id).collect();
    let mut updates = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        for e in 1..=ENDORSERS {
            let (_, author) = &mut p.specialists[(i + e * 37) % MEMBERS];
            updates.push(author.next(fid, version, Kind::NeedUpdate, NeedUpdate::Endorse { need: *id }.to_bytes()));
        }
        if i % PREPARED_EVERY == 0 {
            let step = Step::Beredd { consequences: "En ny rapport och en ändrad vy.".into(), cost_ore: 4_500_000 };
            let update = NeedUpdate::Step { need: *id, follows: *id, step, note: String::new() };
            updates.push(p.forvaltare.next(fid, version, Kind::NeedUpdate, update.to_bytes()));
        }
    }
    for (m, (_, author)) in p.specialists.iter_mut().enumerate() {
        let ranked = (0..RANKED).map(|k| ids[(m * 13 + k * 7) % NEEDS]).collect::<std::collections::BTreeSet<_>>();
        let rank = NeedUpdate::Rank { needs: ranked.into_iter().collect() };
        updates.push(author.next(fid, version, Kind::NeedUpdate, rank.to_bytes()));
    }
    // Support cases, then their events in the order each case's chain needs.
    let priorities = [Priority::High, Priority::Medium, Priority::Medium, Priority::Low];
    let mut cases = Vec::with_capacity(CASES);
    for i in 0..CASES {
        let (member, author) = &mut p.specialists[(i * 11) % MEMBERS];
        let case = SupportCase {
            member: member.clone(),
            category: ["Inloggning", "Utskrift", "Integration", "Behörighet"][i % 4].into(),
            priority: priorities[i % priorities.len()],
            title: format!("Ärende {i}: handläggare kan inte spara journalanteckning"),
            description: "Felet kommer efter uppdateringen; omstart hjälper inte. Gäller flera handläggare.".into(),
        };
        cases.push((i * 11 % MEMBERS, author.next(fid, version, Kind::SupportCase, case.to_bytes())));
    }
    let event = |case: RecordId, after: RecordId, action: Action, text: &str| SupportEvent {
        case,
        after,
        action,
        text: text.into(),
    };
    let (mut escalations, mut later) = (Vec::new(), Vec::new());
    for (i, (m, case)) in cases.iter().enumerate() {
        if i % 3 == 2 {
            continue;
        }
        let id = case.id();
        let escalate = event(id, id, Action::Escalate, "Behöver hjälp av förvaltningsgruppen.");
        let escalated = p.specialists[*m].1.next(fid, version, Kind::SupportEvent, escalate.to_bytes());
        let after = escalated.id();
        escalations.push(escalated);
        if i % 2 == 0 {
            let start = event(id, after, Action::Start, "Vi felsöker.");
            let started = p.forvaltare.next(fid, version, Kind::SupportEvent, start.to_bytes());
            let after = started.id();
            later.push(started);
            if i % 4 == 0 {
                let resolve = event(id, after, Action::Resolve, "Rättat i version 4.2.1.");
                later.push(p.forvaltare.next(fid, version, Kind::SupportEvent, resolve.to_bytes()));
            }
        }
    }
    // Outage notices, their updates and all-clears, and every member's acknowledgement.
    let mut notices = Vec::with_capacity(NOTICES);
    for i in 0..NOTICES {
        let notice = OutageNotice::Publish(Published {
            kind: if i % 4 == 0 { NoticeKind::PlaneratUnderhall } else { NoticeKind::Driftstorning },
            title: format!("Störning {i}: verksamhetssystemet svarar långsamt"),
            text: "Inloggningen tar flera minuter. Leverantören felsöker; vi återkommer.".into(),
            affected: vec!["Journal IFO".into(), "Mobil dokumentation".into()],
            start_ms: testkit::T0_MS,
            expected_end_ms: None,
        });
        notices.push(p.forvaltare.next(fid, version, Kind::OutageNotice, notice.to_bytes()));
    }
    let mut follow = Vec::new();
    for (i, notice) in notices.iter().enumerate() {
        let id = notice.id();
        let update = OutageNotice::Update { notice: id, text: "Felet är hittat.".into(), expected_end_ms: None };
        follow.push(p.forvaltare.next(fid, version, Kind::OutageNotice, update.to_bytes()));
        if i + 1 < NOTICES {
            let clear = OutageNotice::Clear { notice: id, text: "Åtgärdat.".into() };
            follow.push(p.forvaltare.next(fid, version, Kind::OutageNotice, clear.to_bytes()));
        }
        for (_, author) in &mut p.specialists {
            follow.push(author.next(fid, version, Kind::OutageAck, OutageAck { notice: id }.to_bytes()));
        }
    }
    let cases = cases.into_iter().map(|(_, c)| c).collect();
    let written = store_batches(ledger, [needs, updates, cases, escalations, later, notices, follow])?;
    println!("  {written} register records (needs, support, outages) in {:.0} s", t.elapsed().as_secs_f64());
    Ok(written)
}

fn bench_matter(i: usize, closer: samverka_protocol::PublicKey) -> Matter {
    let kind = MatterKind::ALL[i % MatterKind::ALL.len()];
    Matter {
        kind,
        title: format!("Ärende {i}: förvaltningsfråga om verksamhetssystemet"),
        proposal: format!(
            "Styrgruppen föreslås besluta att anta förslaget i ärende {i}, med de ändringar som \
             förvaltningsgruppen har beskrivit i underlaget, och att uppdra åt förvaltaren att genomföra det."
        ),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::Meeting { meeting: None },
        closer,
        subject: None,
    }
}

fn bench_meeting(i: usize, agenda: Vec<RecordId>) -> Meeting {
    Meeting {
        title: format!("Styrgruppsmöte {}", i / AGENDA),
        date: "2026-12-03".into(),
        place: "Luleå stadshus".into(),
        agenda,
        notice_given_on: "2026-11-23".into(),
    }
}

/// Latencies of one kind of request.
struct Timings(Vec<Duration>);

impl Timings {
    fn at(&mut self, q: f64) -> f64 {
        self.0.sort();
        let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[i].as_secs_f64() * 1e3
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(Duration, usize)> {
    let t = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let bytes = response.bytes().await?;
    let elapsed = t.elapsed();
    ensure!(status.is_success(), "GET {url}: {status}");
    Ok((elapsed, bytes.len()))
}

async fn serve(people: People, data: &Path, options: &Options) -> Result<()> {
    let config = Config {
        data_dir: data.to_owned(),
        api_listen: ([127, 0, 0, 1], 0).into(),
        api_writes_per_second: 1_000_000,
        api_max_connections: 256,
        p2p_listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
        // sled's page cache as a node's: the default, or SAMVERKA_CACHE_BYTES as `samverka run` reads it.
        cache_bytes: match std::env::var("SAMVERKA_CACHE_BYTES") {
            Ok(v) => v.parse().context("SAMVERKA_CACHE_BYTES: a number of bytes")?,
            Err(_) => samverka_node::storage::DEFAULT_CACHE_BYTES,
        },
        ..Config::default()
    };
    println!("sled page cache: {} MiB a node", config.cache_bytes >> 20);
    let t = Instant::now();
    let peer = if options.peer { Some(copy_store(data)?) } else { None };
    let node = daemon::Node::start(&config, people.node.clone()).await?;
    println!("node started in {:.2} s; resident memory {} MiB", t.elapsed().as_secs_f64(), rss_mib());
    let peer = match peer {
        Some(dir) => Some(start_peer(&node, &config, &dir, &people).await?),
        None => None,
    };
    let base = format!("http://{}", node.api_addr);
    let result = measure(&node, peer.as_ref(), &people, &base, data, options).await;
    if let Some(peer) = peer {
        peer.shutdown().await;
    }
    node.shutdown().await;
    result
}

/// A copy of the measured node's store for the peer, taken before the node opens it (so it
/// holds none of this run's votes).
fn copy_store(data: &Path) -> Result<PathBuf> {
    let dir = data.join("peer");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let status = std::process::Command::new("cp").arg("-a").arg(data.join("store")).arg(&dir).status()?;
    ensure!(status.success(), "copying the store for the peer failed");
    println!("peer: store copied in {:.1} s", t.elapsed().as_secs_f64());
    Ok(dir)
}

/// Starts the host's node on `dir` and waits until it is connected to `node`.
async fn start_peer(node: &daemon::Node, config: &Config, dir: &Path, people: &People) -> Result<daemon::Node> {
    let network = node.network.as_ref().context("the measured node's network")?;
    let address = network.listen_addrs().await.first().context("the measured node listens")?.to_string();
    let peer_config = Config {
        data_dir: dir.to_owned(),
        bootstrap: vec![samverka_node::network::dial_address(&address, &people.node.public())],
        ..config.clone()
    };
    let peer = daemon::Node::start(&peer_config, people.host_node.key.clone()).await?;
    let t = Instant::now();
    while network.peers().await.is_empty() {
        ensure!(t.elapsed() < Duration::from_secs(60), "the peer did not connect within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("peer: the host's node connected in {:.2} s", t.elapsed().as_secs_f64());
    Ok(peer)
}

async fn measure(
    node: &daemon::Node,
    peer: Option<&daemon::Node>,
    people: &People,
    base: &str,
    data: &Path,
    options: &Options,
) -> Result<()> {
    let store = node.ledger.store();
    let matters = governance::matters(store)?;
    let full = matters.iter().find(|m| {
        m.status == governance::Status::Closed
            && governance::votes_on(store, &m.matter.id()).is_ok_and(|v| v.len() >= MEMBERS)
    });
    let full = full.context("a closed matter with a vote from every member")?.matter.id();
    let typical = matters.get(matters.len() / 2 + 1).context("matters")?.matter.id();
    let vote = governance::votes_on(store, &full)?.first().context("a vote")?.id();
    let meeting = governance::meetings(store)?.first().map(|m| m.meeting.id());
    let chain = node.ledger.chain().context("federation")?;
    let need = samverka_node::needs::list(store, &chain, Default::default())?.first().context("a need")?.entry.id;
    let notice = samverka_node::outage::outages(store, &chain)?.first().context("a notice")?.state.id;
    let case = samverka_node::support::cases(store, &chain, &samverka_node::support::Inbox::All, 0)?;
    let case = case.first().context("a support case")?.history.id;
    let mut routes: Vec<(&str, String)> = vec![
        ("limit: GET /healthz", "/healthz".into()),
        ("page /", "/".into()),
        ("page /arenden (first page, 50)", "/arenden".into()),
        ("page /arenden/{id}, 290 votes", format!("/arenden/{}", full.to_hex())),
        ("page /arenden/{id}, typical", format!("/arenden/{}", typical.to_hex())),
        ("page /medlemmar", "/medlemmar".into()),
        ("page /noden", "/noden".into()),
        ("api matters (first page, 100)", "/api/v1/matters".into()),
        ("api decisions", "/api/v1/decisions".into()),
        ("api matter, 290 votes", format!("/api/v1/matters/{}", full.to_hex())),
        ("api matter, typical", format!("/api/v1/matters/{}", typical.to_hex())),
        ("api decision.pdf, 290 votes", format!("/api/v1/matters/{}/decision.pdf", full.to_hex())),
        ("api decision.csv, 290 votes", format!("/api/v1/matters/{}/decision.csv", full.to_hex())),
        ("api meetings", "/api/v1/meetings".into()),
        ("api status", "/api/v1/status".into()),
        ("api members", "/api/v1/members".into()),
        ("api roster", "/api/v1/roster".into()),
        ("api record", format!("/api/v1/records/{}", vote.to_hex())),
        ("api record receipts", format!("/api/v1/records/{}/receipts", vote.to_hex())),
        ("api records (first page)", "/api/v1/records".into()),
        ("page /behov (first 100 of 1 000)", "/behov".into()),
        ("page /behov/{id}", format!("/behov/{}", need.to_hex())),
        ("page /support (first 100 of 3 000)", "/support".into()),
        ("page /support/{id}", format!("/support/{}", case.to_hex())),
        ("page /driftstorningar", "/driftstorningar".into()),
        ("page /driftstorningar/{id}", format!("/driftstorningar/{}", notice.to_hex())),
        ("page /planer", "/planer".into()),
        ("page /avtal", "/avtal".into()),
        ("page /sammantraden", "/sammantraden".into()),
        ("page /diariet", "/diariet".into()),
        ("api needs", "/api/v1/needs".into()),
        ("api support cases", "/api/v1/support/cases".into()),
        ("api outages", "/api/v1/outages".into()),
        ("api outage", format!("/api/v1/outages/{}", notice.to_hex())),
    ];
    if meeting.is_none() {
        routes.retain(|(_, path)| path != "/api/v1/meetings");
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
    println!("\nreads, one client, {} requests per route (target p99 ≤ 50 ms):", options.reads);
    println!("  {:<34} {:>9} {:>9} {:>9} {:>10}", "route", "p50 ms", "p99 ms", "max ms", "bytes");
    let mut worst: (f64, &str) = (0.0, "");
    for (name, path) in &routes {
        let url = format!("{base}{path}");
        for _ in 0..3 {
            get(&client, &url).await?;
        }
        let mut timings = Timings(Vec::with_capacity(options.reads));
        let mut size = 0;
        for _ in 0..options.reads {
            let (elapsed, bytes) = get(&client, &url).await?;
            timings.0.push(elapsed);
            size = bytes;
        }
        let (p50, p99, max) = (timings.at(0.5), timings.at(0.99), timings.at(1.0));
        println!("  {name:<34} {p50:>9.2} {p99:>9.2} {max:>9.2} {size:>10}");
        if !name.starts_with("limit") && p99 > worst.0 {
            worst = (p99, name);
        }
    }
    let met = if worst.0 <= 50.0 { "met" } else { "MISSED" };
    println!("  slowest p99: {:.2} ms ({}) — target ≤ 50 ms: {met}", worst.0, worst.1);

    let limit = concurrent_healthz(node.api_addr, options.clients, options.votes.min(20_000)).await?;
    println!(
        "\nlimit: GET /healthz with {} clients: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
        options.clients, limit.0, limit.1, limit.2
    );
    let probe = tempfile::tempdir_in(data)?;
    let fsync = crate::fsync_latency(probe.path())?;
    println!("limit: fsync of a 4 KiB write: {:.3} ms", fsync.as_secs_f64() * 1e3);
    submit_votes(node, peer, people, options).await
}

/// `GET /healthz` from `clients` clients, `total` requests in all: requests/s, p50, p99 (ms).
async fn concurrent_healthz(addr: std::net::SocketAddr, clients: usize, total: usize) -> Result<(f64, f64, f64)> {
    let t = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let n = total / clients;
            tokio::spawn(async move {
                let mut connection = http1::Connection::open(addr).await?;
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    let started = Instant::now();
                    let answer = connection.get("/healthz").await?;
                    ensure!(answer.status == 200, "GET /healthz answered {}", answer.status);
                    out.push(started.elapsed());
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut all = Timings(Vec::new());
    for task in tasks {
        all.0.extend(task.await??);
    }
    let rate = all.0.len() as f64 / t.elapsed().as_secs_f64();
    Ok((rate, all.at(0.5), all.at(0.99)))
}

/// Submits `options.votes` signed votes with `options.clients` clients, each the only sender for
/// its members' keys (one chain per key, in order), on the open matters.
async fn submit_votes(
    node: &daemon::Node,
    peer: Option<&daemon::Node>,
    people: &People,
    options: &Options,
) -> Result<()> {
    let store = node.ledger.store();
    let peer_before = peer.map(|p| p.ledger.store().count()).transpose()?;
    let open: Vec<RecordId> = governance::matters(store)?
        .iter()
        .filter(|m| m.status == governance::Status::Open)
        .map(|m| m.matter.id())
        .collect();
    ensure!(!open.is_empty(), "no open matter to vote on");
    let (fid, version) = (people.fed.id(), people.fed.version());
    let clients = options.clients.clamp(1, MEMBERS);
    let per_client = options.votes / clients;
    let t = Instant::now();
    let mut work: Vec<Vec<Vec<u8>>> = Vec::with_capacity(clients);
    for c in 0..clients {
        let mut authors: Vec<(MemberId, Author)> = people
            .ordinarie
            .iter()
            .skip(c)
            .step_by(clients)
            .map(|(m, a)| {
                let mut a = a.clone();
                if let Some((seq, id)) = store.head_record(&a.key.public()) {
                    a.seq = seq + 1;
                    a.prev = Some(id);
                }
                (m.clone(), a)
            })
            .collect();
        let votes = (0..per_client)
            .map(|k| {
                let n = authors.len();
                let (member, author) = &mut authors[k % n];
                let matter = open[(c * 31 + k * 7) % open.len()];
                let choice = if k % 3 == 0 { Choice::No } else { Choice::Yes };
                let body = Vote { matter, member: member.clone(), choice }.to_bytes();
                author.next(fid, version, Kind::Vote, body).bytes().to_vec()
            })
            .collect();
        work.push(votes);
    }
    println!("\nvotes: {} signed in {:.1} s (not timed below)", clients * per_client, t.elapsed().as_secs_f64());
    let before = store.count()?;
    let addr = node.api_addr;
    let t = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|votes| {
            tokio::spawn(async move {
                let mut connection = http1::Connection::open(addr).await?;
                let mut out = Vec::with_capacity(votes.len());
                for vote in votes {
                    let started = Instant::now();
                    let answer = connection.post("/api/v1/records", &vote).await?;
                    if answer.status != 201 {
                        bail!("a vote was not stored: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
                    }
                    out.push(started.elapsed());
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut all = Timings(Vec::new());
    for task in tasks {
        all.0.extend(task.await??);
    }
    let elapsed = t.elapsed().as_secs_f64();
    let stored = store.count()? - before;
    let rate = all.0.len() as f64 / elapsed;
    let (p50, p99, max) = (all.at(0.5), all.at(0.99), all.at(1.0));
    let peers = match &node.network {
        Some(n) => n.peers().await.len(),
        None => 0,
    };
    println!(
        "votes over HTTP, {clients} clients: {} in {elapsed:.1} s = {rate:.0} votes/s, p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {stored} records stored durably; gossip published to {peers} peers",
        all.0.len()
    );
    let met = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "  target ≥ 5 000 votes/s: {}; p99 ≤ 20 ms: {}; resident memory {} MiB",
        met(rate >= 5000.0),
        met(p99 <= 20.0),
        rss_mib()
    );
    if let (Some(peer), Some(before)) = (peer, peer_before) {
        let answered = Instant::now();
        let wanted = all.0.len() as u64;
        let mut held = 0;
        while answered.elapsed() < Duration::from_secs(300) {
            held = peer.ledger.store().count()? - before;
            if held >= wanted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!(
            "  peer (the host's node, by gossip): {held} of {wanted} votes stored, the last {:.2} s after the last vote was answered",
            answered.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn rss_mib() -> u64 {
    crate::rss_kib("VmRSS:") / 1024
}
