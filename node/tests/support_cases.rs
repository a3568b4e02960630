//! Support cases at a node (`docs/support.md`): a case raised in Boden and escalated to the
//! förvaltningsgrupp shows in both lines' inboxes with its SLA clocks over the API and on the
//! pages, a step by the
//! wrong line and a personnummer are refused over the API with their codes, two nodes that
//! receive the events in different orders show the same case, and the breaches are summed.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::ledger::Ledger;
use samverka_protocol::governance::Date;
use samverka_protocol::support::{stockholm_offset_ms, Action, Priority, SupportCase, SupportEvent};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body, Draft, Kind, Record, RecordId, Role, SigningKey, Unverified};
use support::{fails, get, ledger_with, norrbotten_with_ordinarie, post_raw, router_with};

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
    ledger: Arc<Ledger>,
    other: Arc<Ledger>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    fn new() -> World {
        let (mut fed, _) = norrbotten_with_ordinarie();
        let boden = fed.certify_person(BODEN, "support/boden/os", &[Role::Objektspecialist]);
        let pitea = fed.certify_person("2581", "support/pitea/os", &[Role::Objektspecialist]);
        let line2 = fed.certify_person(HOST, "support/forvaltare", &[Role::Forvaltare]);
        let line2b = fed.certify_person(HOST, "support/forvaltare-b", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "support/node").key;
        let (a, ledger) = ledger_with(&fed);
        let (b, other) = ledger_with(&fed);
        World { fed, boden, pitea, line2, line2b, host_node, ledger, other, _dirs: (a, b) }
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
