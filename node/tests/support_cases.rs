//! Support cases at a node (`docs/support.md`): a case raised in Boden and escalated to the
//! förvaltningsgrupp shows in both lines' inboxes with its SLA clocks over the API and on the
//! pages, a step by the
//! wrong line and a personnummer are refused over the API with their codes, two nodes that
//! receive the events in different orders show the same case, and the breaches are summed; an SLA
//! table adopted by the styrgrupp clocks the cases reported after it came into force
//! (`GET /api/v1/support/sla`), the earlier ones keep WebCare's, and the CLI refuses a table
//! that breaks a rule before anything is signed.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::ledger::Ledger;
use samverka_protocol::governance::Date;
use samverka_protocol::governance::{self, Choice, Matter, Procedure, Vote};
use samverka_protocol::support::{
    stockholm_offset_ms, Action, Hours, Priority, SlaTable, SupportCase, SupportEvent, Target,
};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body, Draft, Kind, MatterKind, MemberId, Record, RecordId, Role, SigningKey, Unverified};
use support::{fails, get, ledger_with, norrbotten_with_ordinarie, post_raw, router_with, samverka};

const HOST: &str = "2580";
const BODEN: &str = "2582";
const HOUR: i64 = 3_600_000;

/// The UTC instant of a Stockholm wall-clock time.
fn at(date: &str, hour: i64, minute: i64) -> i64 {
    let local = Date::parse(date).expect("a test date").days() * 24 * HOUR + hour * HOUR + minute * 60_000;
    local - stockholm_offset_ms(local - HOUR)
}

/// Norrbotten with Boden's and Piteå's objektspecialist and two of the host's förvaltare (line 2); two
/// nodes' ledgers holding the same federation.
struct World {
    fed: Federation,
    boden: Author,
    pitea: Author,
    line2: Author,
    line2b: Author,
    host_node: SigningKey,
    ordinarie: BTreeMap<MemberId, Author>,
    ledger: Arc<Ledger>,
    other: Arc<Ledger>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    fn new() -> World {
        let (mut fed, ordinarie) = norrbotten_with_ordinarie();
        let boden = fed.certify_person(BODEN, "support/boden/os", &[Role::Objektspecialist]);
        let pitea = fed.certify_person("2581", "support/pitea/os", &[Role::Objektspecialist]);
        let line2 = fed.certify_person(HOST, "support/forvaltare", &[Role::Forvaltare]);
        let line2b = fed.certify_person(HOST, "support/forvaltare-b", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "support/node").key;
        let (a, ledger) = ledger_with(&fed);
        let (b, other) = ledger_with(&fed);
        World { fed, boden, pitea, line2, line2b, host_node, ordinarie, ledger, other, _dirs: (a, b) }
    }

    /// `who`'s next record, claiming `time_ms`.
    fn signed(fed: &Federation, who: &mut Author, kind: Kind, body: Vec<u8>, time_ms: i64) -> Record<Unverified> {
        let draft = Draft::new(fed.id(), who.key.public(), who.seq, who.prev, fed.version(), kind, body, time_ms);
        let record = draft.sign(&who.key);
        who.seq += 1;
        who.prev = Some(record.id());
        record
    }

    fn case(&mut self, time_ms: i64) -> Record<Unverified> {
        let body = SupportCase {
            member: BODEN.into(),
            category: "Utskrift".into(),
            priority: Priority::Medium,
            title: "Utskrift av beslut hänger".into(),
            description: "Sedan i går hänger utskrift av beslut i IFO.".into(),
        };
        World::signed(&self.fed, &mut self.boden, Kind::SupportCase, body.to_bytes(), time_ms)
    }

    fn step(
        &mut self,
        line_two: bool,
        case: RecordId,
        after: RecordId,
        action: Action,
        time: i64,
    ) -> Record<Unverified> {
        let body = SupportEvent { case, after, action, text: "Se bifogad beskrivning.".into() };
        let who = if line_two { &mut self.line2 } else { &mut self.boden };
        World::signed(&self.fed, who, Kind::SupportEvent, body.to_bytes(), time)
    }
}

fn ingest(ledger: &Ledger, records: &[&Record<Unverified>]) {
    for r in records {
        ledger.ingest((*r).clone()).expect("ingests");
    }
}

#[tokio::test]
async fn a_medel_case_from_friday_afternoon_is_due_monday_1530_in_both_inboxes() {
    let mut w = World::new();
    let friday = at("2026-11-27", 16, 30);
    let case = w.case(friday);
    let escalate = w.step(false, case.id(), case.id(), Action::Escalate, friday);
    ingest(&w.ledger, &[&case, &escalate]);
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let monday = at("2026-11-30", 9, 0);
    for inbox in [format!("line=1&member={BODEN}"), "line=2".into()] {
        let list = get(&router, &format!("/api/v1/support/cases?{inbox}&at={monday}")).await.ok(StatusCode::OK);
        let c = &list["cases"][0];
        assert_eq!(c["id"], case.id().to_hex(), "{inbox}");
        assert_eq!(c["stage"], "escalated");
        assert_eq!(c["clocks"][0]["clock"], "start");
        assert_eq!(c["clocks"][0]["deadline_ms"], at("2026-11-30", 15, 30));
        assert_eq!(c["clocks"][0]["breached"], false);
    }
    let pitea = get(&router, &format!("/api/v1/support/cases?line=1&member=2581&at={monday}")).await.ok(StatusCode::OK);
    assert_eq!(pitea["cases"], serde_json::json!([]), "Piteå's line 1 does not see Boden's case");
    get(&router, "/api/v1/support/cases?line=3").await.refused(StatusCode::BAD_REQUEST, "bad_query");
    let boden = get(&router, &format!("/api/v1/support/cases?line=2&member=2582&at={monday}")).await.ok(StatusCode::OK);
    assert_eq!(boden["cases"].as_array().map(Vec::len), Some(1), "line 2's inbox narrowed to Boden's cases");
    let pitea = get(&router, &format!("/api/v1/support/cases?line=2&member=2581&at={monday}")).await.ok(StatusCode::OK);
    assert_eq!(pitea["cases"], serde_json::json!([]), "line 2's inbox holds no case of Piteå's");
    let detail = get(&router, &format!("/api/v1/support/cases/{}?at={monday}", case.id())).await.ok(StatusCode::OK);
    assert_eq!(detail["head"], escalate.id().to_hex());
    assert_eq!(detail["steps"][0]["action"], "escalate");
    let unknown = format!("/api/v1/support/cases/{}", "00".repeat(32));
    get(&router, &unknown).await.refused(StatusCode::NOT_FOUND, "unknown_support_case");
    let late = at("2026-11-30", 16, 0);
    let sums = get(&router, &format!("/api/v1/support/breaches?at={late}")).await.ok(StatusCode::OK);
    let row = &sums["breaches"][0];
    assert_eq!(
        (row["member"].as_str(), row["category"].as_str(), row["month"].as_str()),
        (Some(BODEN), Some("Utskrift"), Some("2026-11"))
    );
    assert_eq!(row["breached_cases"], 1);
    assert_eq!(row["clocks"]["start"], 1);
    // The pages read the clocks at the node's clock: long after Monday 15:30, so breached, in words.
    for page in ["/support".to_owned(), format!("/support?linje=1&medlem={BODEN}"), format!("/support/{}", case.id())] {
        let reply = get(&router, &page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let html = String::from_utf8(reply.bytes).expect("utf-8");
        assert!(
            html.contains("Påbörjad felrättning: <span class=\"tag tag-disputed\">överskriden med"),
            "{page}: {html}"
        );
    }
}

/// An inbox longer than a page shows 100 cases a page, says which, and links the pages.
#[tokio::test]
async fn the_inbox_is_paged_a_hundred_cases_at_a_time() {
    let mut w = World::new();
    let monday = at("2026-11-30", 9, 0);
    let cases: Vec<Record<Unverified>> = (0..101).map(|i| w.case(monday + i)).collect();
    ingest(&w.ledger, &cases.iter().collect::<Vec<_>>());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let html = |reply: support::Reply| String::from_utf8(reply.bytes).expect("utf-8");
    let first = html(get(&router, "/support").await);
    assert!(first.contains("Visar 1–100 av 101."), "{first}");
    assert!(first.contains("<a href=\"/support?sida=2\" rel=\"next\">Nästa sida</a>"), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    assert_eq!(first.matches("<th scope=\"row\"><a href=\"/support/").count(), 100);
    let second = html(get(&router, &format!("/support?linje=1&medlem={BODEN}&sida=2")).await);
    assert!(second.contains("Visar 101–101 av 101."), "{second}");
    assert!(
        second.contains(&format!("<a href=\"/support?linje=1&#38;medlem={BODEN}&#38;sida=1\" rel=\"prev\">")),
        "{second}"
    );
    assert_eq!(second.matches("<th scope=\"row\"><a href=\"/support/").count(), 1);
    let beyond = html(get(&router, "/support?sida=9").await);
    assert!(beyond.contains("Visar 101–101 av 101."), "a page beyond the last shows the last: {beyond}");
    // The API pages the same inbox: `total`, and `next_offset` until the last page.
    let page = get(&router, &format!("/api/v1/support/cases?at={monday}")).await.ok(StatusCode::OK);
    assert_eq!((page["total"].as_u64(), page["next_offset"].as_u64()), (Some(101), Some(100)));
    assert_eq!(page["cases"].as_array().map(Vec::len), Some(100), "100 by default");
    let last = get(&router, &format!("/api/v1/support/cases?at={monday}&offset=100&limit=50")).await.ok(StatusCode::OK);
    assert_eq!(last["cases"].as_array().map(Vec::len), Some(1));
    assert!(last["next_offset"].is_null());
    get(&router, "/api/v1/support/cases?limit=0").await.refused(StatusCode::BAD_REQUEST, "bad_limit");
}

/// `samverka support list` reads every page of the inbox from a live node on a real socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_lists_every_page_of_the_inbox() {
    let mut w = World::new();
    let monday = at("2026-11-30", 9, 0);
    let cases: Vec<Record<Unverified>> = (0..1_001).map(|i| w.case(monday + i)).collect();
    ingest(&w.ledger, &cases.iter().collect::<Vec<_>>());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.expect("serves") });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::task::spawn_blocking(move || {
        samverka(dir.path(), &["support", "list", "--line", "1", "--member", BODEN, "--api", &api])
    })
    .await
    .expect("ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().count(), 1_001, "two pages of the API, every case once");
    for case in [&cases[0], &cases[1_000]] {
        assert_eq!(stdout.matches(&case.id().to_hex()).count(), 1);
    }
    server.abort();
}

#[tokio::test]
async fn a_step_by_the_wrong_line_and_a_personnummer_are_refused_over_the_api() {
    let mut w = World::new();
    let t = at("2026-11-30", 10, 0);
    let case = w.case(t);
    ingest(&w.ledger, &[&case]);
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let start = w.step(false, case.id(), case.id(), Action::Start, t);
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", start.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "not_allowed_in_state");
    let body =
        SupportEvent { case: case.id(), after: case.id(), action: Action::Message, text: "Gäller 811218-9876".into() };
    let message = World::signed(&w.fed, &mut w.pitea, Kind::SupportEvent, body.to_bytes(), t);
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", message.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "personal_identity_number");
}

#[test]
fn two_nodes_receiving_the_steps_in_different_orders_show_the_same_case() {
    let mut w = World::new();
    let t = at("2026-11-30", 10, 0);
    let case = w.case(t);
    let escalate = w.step(false, case.id(), case.id(), Action::Escalate, t);
    // Two förvaltare at once: one starts, the other pauses, from the same state.
    let start = w.step(true, case.id(), escalate.id(), Action::Start, t + HOUR / 4);
    let body =
        SupportEvent { case: case.id(), after: escalate.id(), action: Action::Pause, text: "Vilken skrivare?".into() };
    let pause = World::signed(&w.fed, &mut w.line2b, Kind::SupportEvent, body.to_bytes(), t + HOUR / 2);
    let message = w.step(false, case.id(), start.id(), Action::Message, t + HOUR);
    ingest(&w.ledger, &[&case, &escalate, &start, &pause, &message]);
    ingest(&w.other, &[&case, &escalate, &pause, &start, &message]);
    let read = |ledger: &Ledger| {
        let chain = ledger.chain().expect("federation");
        samverka_node::support::case(ledger.store(), &chain, &case.id(), t + 2 * HOUR).expect("query").expect("held")
    };
    let (here, there) = (read(&w.ledger), read(&w.other));
    assert_eq!(here.history, there.history);
    assert_eq!(here.history.state.stage.name(), "started", "the earlier step is the main chain");
    assert_eq!(here.history.head, start.id());
    assert!(!here.history.steps.iter().find(|s| s.id == pause.id()).expect("shown").counted);
    assert_eq!(here.clocks, there.clocks);
}

#[test]
fn the_cli_refuses_a_personnummer_naming_the_field_before_anything_is_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("no-such-key.json");
    let key = key.to_str().expect("a UTF-8 path");
    let args = ["support", "open", "--category", "Utskrift", "--priority", "medium", "--title", "Utskrift hänger"];
    let description = ["--description", "Klienten 811218-9876 kan inte skriva ut.", "--key", key];
    let err = fails(dir.path(), &[&args[..], &description[..], &["--api", "http://127.0.0.1:9"]].concat());
    assert!(err.contains("Fältet Beskrivning innehåller ett personnummer eller samordningsnummer"), "{err}");
    assert!(err.contains("Inget har signerats"), "{err}");
    let case = "ab".repeat(32);
    let message = ["support", "event", case.as_str(), "message", "--text", "Se 811218-9876", "--key", key];
    let err = fails(dir.path(), &[&message[..], &["--api", "http://127.0.0.1:9"]].concat());
    assert!(err.contains("Fältet Text innehåller ett personnummer"), "{err}");
}

/// Line 2 drafts a table (medel: 2 h to start repair) applying from `from`; an övrigt matter
/// names it, every member votes yes, and the host's node closes it at `closed_ms`. Returns the
/// table, and the closing (to ingest when the test wants the table adopted).
fn adopt_table(
    w: &mut World,
    from: &str,
    drafted_ms: i64,
    closed_ms: i64,
) -> (Record<Unverified>, Vec<Record<Unverified>>) {
    let table = SlaTable {
        name: "Egen SLA-tabell".into(),
        from: from.into(),
        high: Some(Target { start_min: 30, inform_min: 15, downtime_min: 240, hours: Hours::Business }),
        medium: Some(Target { start_min: 120, inform_min: 30, downtime_min: 960, hours: Hours::Business }),
        low: None,
        replaces: None,
    };
    let table = World::signed(&w.fed, &mut w.line2, Kind::SlaTable, table.to_bytes(), drafted_ms);
    let matter = Matter {
        kind: MatterKind::Ovrigt,
        title: "SLA-tabell".into(),
        proposal: "Styrgruppen fastställer SLA-tabellen.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 7 },
        closer: w.host_node.public(),
        subject: Some(table.id()),
    };
    let m = World::signed(&w.fed, &mut w.line2, Kind::Matter, matter.to_bytes(), drafted_ms + 60_000);
    ingest(&w.ledger, &[&table, &m]);
    let mut votes = Vec::new();
    for (member, voter) in &mut w.ordinarie {
        let body = Vote { matter: m.id(), member: member.clone(), choice: Choice::Yes };
        let vote = World::signed(&w.fed, voter, Kind::Vote, body.to_bytes(), drafted_ms + HOUR);
        votes.push(w.ledger.ingest(vote.clone()).map(|_| vote).expect("a vote"));
    }
    let held: Vec<_> = votes.iter().map(|v| w.ledger.store().get(&v.id()).expect("read").expect("held")).collect();
    let closing = governance::close(m.id(), &matter, &held, &w.fed.chain, w.fed.chain.current());
    let mut closer = Author::new(w.host_node.clone());
    let closing = World::signed(&w.fed, &mut closer, Kind::BallotClose, closing.to_bytes(), closed_ms);
    (table, vec![closing])
}

#[tokio::test]
async fn an_adopted_sla_table_clocks_the_cases_reported_after_it_came_into_force() {
    let mut w = World::new();
    let (table, closing) = adopt_table(&mut w, "2026-11-02", at("2026-11-02", 9, 0), at("2026-11-16", 12, 0));
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let early = w.case(at("2026-11-10", 10, 0));
    let early_escalated = w.step(false, early.id(), early.id(), Action::Escalate, at("2026-11-10", 10, 0));
    ingest(&w.ledger, &[&early, &early_escalated]);
    let sla = get(&router, "/api/v1/support/sla").await.ok(StatusCode::OK);
    assert_eq!(sla["in_force"], serde_json::Value::Null, "no table adopted yet");
    assert_eq!(sla["in_force_name"], "WebCare, applikationsförvaltning, produktionsmiljö");
    assert_eq!(sla["tables"][0]["id"], table.id().to_hex());
    assert_eq!(sla["tables"][0]["adoption"]["faststalld"], false);
    assert_eq!(sla["tables"][0]["medium"]["start_min"], 120);

    ingest(&w.ledger, &closing.iter().collect::<Vec<_>>());
    let friday = at("2026-11-27", 16, 30);
    let case = w.case(friday);
    let escalate = w.step(false, case.id(), case.id(), Action::Escalate, friday);
    ingest(&w.ledger, &[&case, &escalate]);
    let monday = at("2026-11-30", 9, 0);
    let sla = get(&router, &format!("/api/v1/support/sla?at={monday}")).await.ok(StatusCode::OK);
    assert_eq!(sla["in_force"], table.id().to_hex());
    assert_eq!(sla["tables"][0]["adoption"]["faststalld"], true);
    assert_eq!(sla["tables"][0]["since_ms"], at("2026-11-16", 12, 0), "in force from the decision, after its from day");
    assert_eq!(sla["tables"][0]["in_force"], true);
    let before = get(&router, &format!("/api/v1/support/sla?at={}", at("2026-11-16", 11, 0))).await.ok(StatusCode::OK);
    assert_eq!(before["in_force"], serde_json::Value::Null);

    let list = get(&router, &format!("/api/v1/support/cases?at={monday}")).await.ok(StatusCode::OK);
    let find = |id: RecordId| {
        list["cases"].as_array().expect("cases").iter().find(|c| c["id"] == id.to_hex()).expect("listed").clone()
    };
    // Reported after the adoption: 30 min on Friday, 1 h 30 from Monday 08:00.
    let late = find(case.id());
    assert_eq!(late["table"], table.id().to_hex());
    assert_eq!(late["clocks"][0]["deadline_ms"], at("2026-11-30", 9, 30));
    // Reported before it: WebCare's eight hours, whatever was decided later.
    let old = find(early.id());
    assert_eq!(old["table"], serde_json::Value::Null);
    assert_eq!(old["clocks"][0]["target_ms"], 8 * HOUR);
    assert_eq!(list["table"], "Egen SLA-tabell");
    let reply = get(&router, "/support").await;
    let html = String::from_utf8(reply.bytes).expect("utf-8");
    assert!(html.contains("SLA-tabell som gäller: Egen SLA-tabell (fastställd av styrgruppen)."), "{html}");
}

#[test]
fn the_cli_refuses_an_sla_table_that_breaks_a_rule_before_anything_is_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("no-such-key.json");
    let key = key.to_str().expect("a UTF-8 path");
    let args = ["support", "table", "--webcare", "--from", "2027-01-01", "--medium", "600,30,60", "--key", key];
    let err = fails(dir.path(), &[&args[..], &["--api", "http://127.0.0.1:9"]].concat());
    assert!(err.contains("target_beyond_downtime"), "{err}");
    let args = ["support", "table", "--name", "Tom", "--from", "2027-01-01", "--key", key];
    let err = fails(dir.path(), &[&args[..], &["--api", "http://127.0.0.1:9"]].concat());
    assert!(err.contains("empty_sla_table"), "{err}");
}
