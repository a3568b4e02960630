//! The ledger's ingest path: duplicates, parking and release, contiguity, equivocation.

mod support;

use samverka_node::ledger::{self, Ledger, Outcome, Source};
use samverka_protocol::governance::{Choice, Matter, Procedure, Vote};
use samverka_protocol::record::Draft;
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::{Body, Hash, Kind, MatterKind, Record, Role, Unverified};

fn ledger(fed: &Federation) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = support::open_with(dir.path(), fed);
    (dir, ledger)
}

/// A federation of `n` members named `name`, each member's node key certified, and a shared
/// ledger holding it: the authors of the intake tests, one chain each.
fn certified(n: usize, name: &str) -> (Federation, Vec<Author>, tempfile::TempDir, std::sync::Arc<Ledger>) {
    let members = testkit::kommuner(n);
    let mut fed = Federation::found(name, &members, "1000");
    let authors: Vec<Author> =
        members.iter().enumerate().map(|(i, m)| fed.certify_node(&m.id, &format!("{name}/{i}"))).collect();
    let (dir, ledger) = ledger(&fed);
    (fed, authors, dir, std::sync::Arc::new(ledger))
}

/// `n` notes extending `author`'s chain.
fn notes(author: &mut Author, fed: &Federation, n: usize) -> Vec<Record<Unverified>> {
    (0..n).map(|i| author.next(fed.id(), fed.version(), Kind::Note, format!("anteckning {i}").into_bytes())).collect()
}

#[test]
fn vote_arriving_before_its_matter_waits_and_is_stored_when_the_matter_arrives() {
    let mut fed = Federation::found("Väntan", &testkit::kommuner(3), "1000");
    let mut chair = fed.certify_person("1000", "wait/chair", &[Role::Forvaltare]);
    let mut voter = fed.certify_person("1001", "wait/ordinarie", &[Role::StyrgruppOrdinarie]);
    let closer = fed.certify_node("1000", "wait/node").key.public();
    let (_dir, ledger) = ledger(&fed);
    let matter = Matter {
        kind: MatterKind::Ovrigt,
        title: "Ny e-tjänst".into(),
        proposal: "Styrgruppen beslutar att införa e-tjänsten.".into(),
        alternatives: Vec::new(),
        papers: Vec::new(),
        procedure: Procedure::PerCapsulam { voting_window_days: 10 },
        closer,
        subject: None,
    };
    let matter = chair.next(fed.id(), fed.version(), Kind::Matter, matter.to_bytes());
    let vote = Vote { matter: matter.id(), member: "1001".into(), choice: Choice::Yes };
    let vote = voter.next(fed.id(), fed.version(), Kind::Vote, vote.to_bytes());

    assert_eq!(ledger.ingest(vote.clone()).expect("pending, not refused"), Outcome::Parked(vote.id()));
    assert!(!ledger.store().contains(&vote.id()).expect("read"));
    assert_eq!(ledger.ingest(matter.clone()).expect("valid"), Outcome::Stored(matter.id()));
    assert!(ledger.store().contains(&vote.id()).expect("read"), "the parked vote is stored once its matter is");
    assert_eq!(ledger.parked(), 0);
}

#[test]
fn second_record_at_one_position_is_kept_and_flags_the_author() {
    let mut fed = Federation::found("Dubbel", &testkit::kommuner(2), "1000");
    let author = fed.certify_node("1001", "dubbel/node");
    let (_dir, ledger) = ledger(&fed);
    let (mut a, mut b) = (author.clone(), author);
    let first = a.next(fed.id(), fed.version(), Kind::Note, b"en".to_vec());
    let second = b.next(fed.id(), fed.version(), Kind::Note, "två".as_bytes().to_vec());
    assert_eq!(ledger.ingest(first.clone()).expect("valid"), Outcome::Stored(first.id()));
    assert_eq!(
        ledger.ingest(second.clone()).expect("kept as evidence"),
        Outcome::Equivocation { id: second.id(), conflicts: vec![first.id()] }
    );
    let flagged = ledger.store().equivocators().expect("read");
    assert_eq!(flagged.len(), 1);
    assert!(flagged[&a.key.public()].contains(&second.id()));
}

/// Three notes of one certified node key, in chain order.
fn three_notes() -> (Federation, Vec<Record<Unverified>>) {
    let mut fed = Federation::found("Kedja", &testkit::kommuner(2), "1000");
    let mut author = fed.certify_node("1001", "kedja/node");
    let notes = (0..3).map(|i| author.next(fed.id(), fed.version(), Kind::Note, vec![b'a' + i])).collect();
    (fed, notes)
}

fn heads(ledger: &Ledger) -> Vec<(samverka_protocol::PublicKey, u64)> {
    ledger.store().heads().expect("heads read").into_iter().collect()
}

#[test]
fn api_refuses_a_record_whose_previous_record_is_missing_and_names_it() {
    let (fed, notes) = three_notes();
    let (_dir, ledger) = ledger(&fed);
    let before = heads(&ledger);
    match ledger.ingest_one(Source::Api, notes[1].clone()) {
        Err(ledger::Error::MissingPredecessor { id, seq, prev, .. }) => {
            assert_eq!((id, seq, prev), (notes[1].id(), 1, notes[0].id()));
        }
        other => panic!("expected missing_predecessor, got {other:?}"),
    }
    assert!(!ledger.store().contains(&notes[1].id()).expect("read"));
    assert_eq!(heads(&ledger), before, "the head claims nothing the node does not hold");
    assert_eq!(ledger.parked(), 0);
}

#[test]
fn a_certified_keys_record_far_ahead_with_a_random_prev_is_refused_not_stored() {
    let mut fed = Federation::found("Långt bort", &testkit::kommuner(2), "1000");
    let author = fed.certify_node("1001", "bort/node");
    let (_dir, ledger) = ledger(&fed);
    let prev = Some(Hash([7; 32]));
    let draft =
        Draft::new(fed.id(), author.key.public(), 1_000_000_000, prev, fed.version(), Kind::Note, b"x".to_vec(), 0);
    let record = draft.sign(&author.key);
    let refused = ledger.ingest_one(Source::Api, record.clone()).expect_err("refused");
    assert_eq!(refused.code(), "missing_predecessor");
    assert!(ledger.store().head(&author.key.public()).expect("read").is_none());
}

#[test]
fn a_peers_records_out_of_order_wait_and_are_stored_in_chain_order() {
    let (fed, notes) = three_notes();
    let (_dir, ledger) = ledger(&fed);
    let peer = Source::Peer(7);
    assert_eq!(ledger.ingest_one(peer, notes[2].clone()).expect("waits"), Outcome::Parked(notes[2].id()));
    assert_eq!(ledger.ingest_one(peer, notes[1].clone()).expect("waits"), Outcome::Parked(notes[1].id()));
    assert_eq!(ledger.parked(), 2);
    assert_eq!(ledger.ingest_one(peer, notes[0].clone()).expect("valid"), Outcome::Stored(notes[0].id()));
    assert_eq!(ledger.parked(), 0);
    let author = notes[0].header().author;
    assert_eq!(ledger.store().head(&author).expect("read"), Some(2), "all three stored, gapless");
}

#[test]
fn an_api_record_whose_previous_record_is_parked_waits_behind_it() {
    let (fed, notes) = three_notes();
    let (_dir, ledger) = ledger(&fed);
    ledger.ingest_one(Source::Peer(1), notes[1].clone()).expect("waits");
    assert_eq!(ledger.ingest_one(Source::Api, notes[2].clone()).expect("waits"), Outcome::Parked(notes[2].id()));
    ledger.ingest_one(Source::Api, notes[0].clone()).expect("valid");
    assert_eq!(ledger.store().head(&notes[0].header().author).expect("read"), Some(2));
}

#[test]
fn a_stranger_cannot_park_anything() {
    let (fed, _) = three_notes();
    let (_dir, ledger) = ledger(&fed);
    let stranger = Author::new(testkit::key("främling"));
    // A roster version far ahead: the node cannot judge the record by it, and its author is
    // certified in no roster the node holds — refused at once, never held.
    let draft = Draft::new(fed.id(), stranger.key.public(), 0, None, 1_000_000_000_000, Kind::Note, vec![0; 1000], 0);
    let forged = draft.sign(&stranger.key);
    let refused = ledger.ingest_one(Source::Peer(3), forged).expect_err("refused");
    assert_eq!(refused.code(), "unknown_roster_version");
    assert!(!refused.is_offence(), "it may be genuine once the roster arrives: not held against the peer");
    assert_eq!((ledger.parked(), ledger.parked_bytes()), (0, 0));
}

#[test]
fn the_same_records_give_the_same_outcome_from_every_source() {
    let (fed, notes) = three_notes();
    let mut seen = Vec::new();
    for source in [Source::Local, Source::Api, Source::Peer(1)] {
        let (_dir, ledger) = ledger(&fed);
        let mut outcomes: Vec<String> =
            notes.iter().map(|n| format!("{:?}", ledger.ingest_one(source, n.clone()))).collect();
        outcomes.extend(ledger.ingest_from(source, notes.clone()).iter().map(|r| format!("{r:?}")));
        outcomes.push(format!("{:?}", heads(&ledger)));
        seen.push(outcomes);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
}

#[tokio::test]
async fn the_same_records_reach_the_same_store_over_http_and_from_an_archive() {
    use axum::http::StatusCode;
    let (fed, notes) = three_notes();
    let (_dir, by_ledger) = ledger(&fed);
    for n in &notes {
        by_ledger.ingest_one(Source::Api, n.clone()).expect("stored");
    }
    // Over HTTP: the API's handler takes the same path; out of order it refuses, naming the record.
    let (_http_dir, over_http) = ledger(&fed);
    let over_http = std::sync::Arc::new(over_http);
    let router = support::router_with(&over_http, testkit::key("kedja/other-node"), None);
    let early =
        support::post_raw(&router, "/api/v1/records", "application/octet-stream", notes[1].bytes().to_vec()).await;
    let body = early.refused(StatusCode::CONFLICT, "missing_predecessor");
    assert!(body["error"].as_str().is_some_and(|e| e.contains(&notes[0].id().to_string())), "{body}");
    for n in &notes {
        let reply = support::post_raw(&router, "/api/v1/records", "application/octet-stream", n.bytes().to_vec()).await;
        reply.ok(StatusCode::CREATED);
    }
    // From an archive of the first store.
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let archive = archive_dir.path().join("backup.samverka");
    samverka_node::archive::export(&by_ledger, &archive).expect("exported");
    let (_import_dir, imported) = ledger(&fed);
    samverka_node::archive::import(&imported, &archive).expect("imported");
    assert_eq!(heads(&over_http), heads(&by_ledger));
    assert_eq!(heads(&imported), heads(&by_ledger));
}

/// Records submitted at the same moment from many threads are ingested in groups (the ledger's
/// intake): each submitter gets its own record's result — a stranger's record is refused alone —
/// and every author's chain is stored whole and in order.
#[test]
fn records_submitted_at_once_each_get_their_own_result() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 60;
    let (fed, authors, _dir, ledger) = certified(THREADS, "Samtidigt");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS + 1));
    let (fid, version) = (fed.id(), fed.version());
    let threads: Vec<_> = authors
        .into_iter()
        .map(|mut author| {
            let records = notes(&mut author, &fed, PER_THREAD);
            let (ledger, barrier) = (ledger.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for record in records {
                    let id = record.id();
                    assert_eq!(ledger.ingest_one(Source::Api, record).expect("valid"), Outcome::Stored(id));
                }
                author.key.public()
            })
        })
        .collect();
    let mut stranger = Author::new(testkit::key("samtidigt/stranger"));
    let strangers: Vec<Record<Unverified>> =
        (0..PER_THREAD).map(|_| stranger.next(fid, version, Kind::Note, b"x".to_vec())).collect();
    barrier.wait();
    for record in strangers {
        let refused = ledger.ingest_one(Source::Api, record).expect_err("not certified");
        assert_eq!(refused.code(), "unknown_author");
    }
    for thread in threads {
        let key = thread.join().expect("no thread panics");
        let chain = ledger.store().by_author(&key, 0, 1000).expect("read");
        assert_eq!(chain.len(), PER_THREAD);
        assert!(chain.iter().enumerate().all(|(i, r)| r.header().seq == i as u64));
    }
}

/// Records submitted at the same moment by async tasks (the HTTP API's path) and by threads are
/// ingested in groups side by side: each submitter gets its own record's result — a stranger's
/// record is refused alone — and every author's chain is stored whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_submitted_at_once_by_tasks_and_threads_each_get_their_own_result() {
    const TASKS: usize = 24;
    const THREADS: usize = 4;
    const PER_AUTHOR: usize = 40;
    let (fed, mut authors, _dir, ledger) = certified(TASKS + THREADS, "Samtidigt");
    let (fid, version) = (fed.id(), fed.version());
    let threads: Vec<_> = authors
        .split_off(TASKS)
        .into_iter()
        .map(|mut author| {
            let (records, ledger) = (notes(&mut author, &fed, PER_AUTHOR), ledger.clone());
            std::thread::spawn(move || {
                for record in records {
                    let id = record.id();
                    assert_eq!(ledger.ingest_one(Source::Api, record).expect("valid"), Outcome::Stored(id));
                }
                author.key.public()
            })
        })
        .collect();
    let tasks: Vec<_> = authors
        .into_iter()
        .map(|mut author| {
            let (records, ledger) = (notes(&mut author, &fed, PER_AUTHOR), ledger.clone());
            tokio::spawn(async move {
                for record in records {
                    let id = record.id();
                    assert_eq!(ledger.submit(Source::Api, record).await.expect("valid"), Outcome::Stored(id));
                }
                author.key.public()
            })
        })
        .collect();
    let mut stranger = Author::new(testkit::key("samtidigt/stranger"));
    for _ in 0..PER_AUTHOR {
        let refused = ledger.submit(Source::Api, stranger.next(fid, version, Kind::Note, b"x".to_vec())).await;
        assert_eq!(refused.expect_err("not certified").code(), "unknown_author");
    }
    let mut keys: Vec<_> = threads.into_iter().map(|t| t.join().expect("no thread panics")).collect();
    for task in tasks {
        keys.push(task.await.expect("no task panics"));
    }
    for key in keys {
        let chain = ledger.store().by_author(&key, 0, 1000).expect("read");
        assert_eq!(chain.len(), PER_AUTHOR);
        assert!(chain.iter().enumerate().all(|(i, r)| r.header().seq == i as u64));
    }
}

/// The task queue is bounded in bytes (`ledger::intake::MAX_QUEUED_BYTES`): records submitted
/// at once beyond it wait for room rather than being lost, each gets its own answer (here, that
/// a note is at most 64 KiB), and the room comes back as they are answered, so a record
/// submitted after twice the bound is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_beyond_the_task_queues_bound_wait_for_room_and_each_is_answered() {
    const BODY: usize = 700 * 1024;
    let large = 2 * ledger::intake::MAX_QUEUED_BYTES / BODY + 1;
    let (fed, mut authors, _dir, ledger) = certified(large + 1, "Fullt");
    let (fid, version) = (fed.id(), fed.version());
    let mut last = authors.pop().expect("one author more");
    let submitted: Vec<_> = authors
        .into_iter()
        .map(|mut author| {
            let record = author.next(fid, version, Kind::Note, vec![b'a'; BODY]);
            let ledger = ledger.clone();
            tokio::spawn(async move { ledger.submit(Source::Api, record).await })
        })
        .collect();
    let answered = |task| tokio::time::timeout(std::time::Duration::from_secs(120), task);
    for task in submitted {
        // Room not given back would leave the later records waiting for ever.
        let outcome = answered(task).await.expect("answered while room is given back").expect("no task panics");
        assert_eq!(outcome.expect_err("too large").code(), "bad_body");
    }
    let record = last.next(fid, version, Kind::Note, b"efter".to_vec());
    let id = record.id();
    let outcome = answered(tokio::spawn(async move { ledger.submit(Source::Api, record).await })).await;
    assert_eq!(outcome.expect("answered").expect("no task panics").expect("valid"), Outcome::Stored(id));
}

/// Records of one author queued at once on the task queue, without waiting for each answer,
/// are ingested in the order they were queued, so each is stored and none is refused for a
/// predecessor still waiting; other authors' records go on meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authors_records_queued_at_once_are_stored_in_order() {
    const AUTHORS: usize = 6;
    const PER_AUTHOR: usize = 50;
    let (fed, authors, _dir, ledger) = certified(AUTHORS, "Ordning");
    let submitters: Vec<_> = authors
        .into_iter()
        .map(|mut author| {
            let (records, ledger) = (notes(&mut author, &fed, PER_AUTHOR), ledger.clone());
            tokio::spawn(async move {
                // `join_all` polls each submission once, in order, before awaiting any: every
                // record is queued, in chain order, before the first is answered.
                let ids: Vec<_> = records.iter().map(Record::id).collect();
                let outcomes =
                    futures::future::join_all(records.into_iter().map(|r| ledger.submit(Source::Api, r))).await;
                for (outcome, id) in outcomes.into_iter().zip(ids) {
                    assert_eq!(outcome.expect("stored in order"), Outcome::Stored(id));
                }
                author.key.public()
            })
        })
        .collect();
    for submitter in submitters {
        let key = submitter.await.expect("no task panics");
        let chain = ledger.store().by_author(&key, 0, 1000).expect("read");
        assert_eq!(chain.len(), PER_AUTHOR);
    }
}
