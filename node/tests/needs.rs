//! Needs at a node: the backlog over the API (states, areas, the members that need it, the
//! priority order, a need's path), a step the path does not allow and a personnummer refused over
//! the API with their codes, endorsements and a competing step made during a partition giving
//! both nodes the same backlog after the heal, `samverka need register` refusing a personnummer
//! before anything is signed, and the board at `/behov` paged.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::ledger::Ledger;
use samverka_node::needs;
use samverka_protocol::needs::{Area, Asker, Need, NeedUpdate, State, Step};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body, Kind, Record, RecordId, Role, SigningKey, Unverified};
use support::{get, ledger_with, norrbotten_with_ordinarie, post_raw, router_with, samverka};

const HOST: &str = "2580";
const BODEN: &str = "2582";
const PITEA: &str = "2581";

/// Norrbotten with the host's förvaltare and node, an objektspecialist in Luleå, Boden and Piteå;
/// two nodes' ledgers holding the same federation.
struct World {
    fed: Federation,
    forvaltare: Author,
    host_node: SigningKey,
    specialists: std::collections::BTreeMap<&'static str, Author>,
    ledger: Arc<Ledger>,
    other: Arc<Ledger>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    fn new() -> World {
        let (mut fed, _) = norrbotten_with_ordinarie();
        let forvaltare = fed.certify_person(HOST, "behov/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "behov/node").key;
        let specialists = [HOST, BODEN, PITEA]
            .into_iter()
            .map(|m| (m, fed.certify_person(m, &format!("behov/{m}/objektspecialist"), &[Role::Objektspecialist])))
            .collect();
        let (a, ledger) = ledger_with(&fed);
        let (b, other) = ledger_with(&fed);
        World { fed, forvaltare, host_node, specialists, ledger, other, _dirs: (a, b) }
    }

    fn by(&mut self, member: &'static str, kind: Kind, body: Vec<u8>) -> Record<Unverified> {
        let author = self.specialists.get_mut(member).expect("an objektspecialist");
        author.next(self.fed.id(), self.fed.version(), kind, body)
    }

    fn by_forvaltare(&mut self, update: &NeedUpdate) -> Record<Unverified> {
        self.forvaltare.next(self.fed.id(), self.fed.version(), Kind::NeedUpdate, update.to_bytes())
    }

    /// Stores `record` at both nodes.
    fn everywhere(&self, record: &Record<Unverified>) {
        self.ledger.ingest(record.clone()).expect("ingests here");
        self.other.ingest(record.clone()).expect("ingests there");
    }

    /// `member` registers a need in `area` at both nodes.
    fn register(&mut self, member: &'static str, title: &str, area: Area) -> RecordId {
        let record = self.by(member, Kind::Need, need(member, title, area).to_bytes());
        self.everywhere(&record);
        record.id()
    }
}

fn need(member: &str, title: &str, area: Area) -> Need {
    Need {
        title: title.into(),
        description: "Görs i dag för hand.".into(),
        benefit: "Sparar tid för handläggarna.".into(),
        wished: None,
        area,
        asker: Asker { name: "Eva Berg".into(), role: "objektspecialist".into() },
        member: member.into(),
    }
}

fn beredd(need: RecordId, follows: RecordId) -> NeedUpdate {
    let step = Step::Beredd { consequences: "En ny rapport i systemet.".into(), cost_ore: 4_500_000 };
    NeedUpdate::Step { need, follows, step, note: String::new() }
}

#[tokio::test]
async fn the_backlog_over_the_api_shows_states_members_and_priority() {
    let mut w = World::new();
    let avgift = w.register(BODEN, "Avgiftsberäkning i hemtjänsten", Area::Avgift);
    let ifo = w.register(PITEA, "Mall för utredning enligt BBIC", Area::Ifo);
    let endorse = w.by(HOST, Kind::NeedUpdate, NeedUpdate::Endorse { need: avgift }.to_bytes());
    w.everywhere(&endorse);
    let prepared = w.by_forvaltare(&beredd(avgift, avgift));
    w.everywhere(&prepared);
    let rank = w.by(HOST, Kind::NeedUpdate, NeedUpdate::Rank { needs: vec![ifo, avgift] }.to_bytes());
    w.everywhere(&rank);

    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let list = get(&router, "/api/v1/needs").await.ok(StatusCode::OK);
    let ids: Vec<&str> = list["needs"].as_array().expect("needs").iter().filter_map(|n| n["id"].as_str()).collect();
    assert_eq!(ids, [ifo.to_hex(), avgift.to_hex()], "ranked first by the host's ballot");
    let first = &list["needs"][1];
    assert_eq!(first["state"], "beredd");
    assert_eq!(first["priority"], 2);
    let members: Vec<&str> =
        first["members"].as_array().expect("members").iter().filter_map(|m| m["member"].as_str()).collect();
    assert_eq!(members, [BODEN, HOST]);

    let filtered = get(&router, "/api/v1/needs?area=ifo").await.ok(StatusCode::OK);
    assert_eq!(filtered["needs"].as_array().expect("needs").len(), 1);
    let filtered = get(&router, "/api/v1/needs?state=beredd&area=avgift").await.ok(StatusCode::OK);
    assert_eq!(filtered["needs"][0]["id"], avgift.to_hex());
    get(&router, "/api/v1/needs?state=klar").await.refused(StatusCode::BAD_REQUEST, "bad_state");
    get(&router, "/api/v1/needs?area=skola").await.refused(StatusCode::BAD_REQUEST, "bad_area");

    let one = get(&router, &format!("/api/v1/needs/{}", avgift.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(one["path"][0]["state"], "beredd");
    assert_eq!(one["path"][0]["cost_ore"], 4_500_000);
    assert_eq!(one["follows"], prepared.id().to_hex());
    assert_eq!(one["next"], serde_json::json!(["beslutad", "avslagen", "aterkallad"]));
    let unknown = format!("/api/v1/needs/{}", "00".repeat(32));
    get(&router, &unknown).await.refused(StatusCode::NOT_FOUND, "unknown_need");
}

/// A board longer than a page shows 100 needs a page, says which, and its page links keep the
/// filter.
#[tokio::test]
async fn the_board_is_paged_a_hundred_needs_at_a_time_and_keeps_its_filter() {
    let mut w = World::new();
    for i in 0..101 {
        let record = w.by(BODEN, Kind::Need, need(BODEN, &format!("Behov nummer {i}"), Area::Avgift).to_bytes());
        w.ledger.ingest(record).expect("ingests");
    }
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let html = |reply: support::Reply| String::from_utf8(reply.bytes).expect("utf-8");
    let rows = |page: &str| page.matches("<th scope=\"row\"><a href=\"/behov/").count();
    let first = html(get(&router, "/behov").await);
    assert!(first.contains("Visar 1–100 av 101."), "{first}");
    assert!(first.contains("<a href=\"/behov?sida=2\" rel=\"next\">Nästa sida</a>"), "{first}");
    assert_eq!(rows(&first), 100);
    let second = html(get(&router, "/behov?area=avgift&state=registrerad&sida=2").await);
    assert!(second.contains("Visar 101–101 av 101."), "{second}");
    assert!(
        second.contains("<a href=\"/behov?state=registrerad&#38;area=avgift&#38;sida=1\" rel=\"prev\">"),
        "{second}"
    );
    assert_eq!(rows(&second), 1);
    let other_area = html(get(&router, "/behov?area=ifo&sida=2").await);
    assert_eq!(rows(&other_area), 0, "no need in that area: {other_area}");
}

#[tokio::test]
async fn a_step_not_allowed_and_a_personnummer_are_refused_over_the_api_with_their_codes() {
    let mut w = World::new();
    let id = w.register(BODEN, "Avgiftsberäkning i hemtjänsten", Area::Avgift);
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let skip = NeedUpdate::Step { need: id, follows: id, step: Step::Driftsatt, note: String::new() };
    let record = w.by_forvaltare(&skip);
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "step_not_allowed");
    let mut numbered = need(PITEA, "Gäller 811218-9876", Area::Ifo);
    numbered.title = "Gäller 811218-9876".into();
    let record = w.by(PITEA, Kind::Need, numbered.to_bytes());
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "personal_identity_number");
}

#[test]
fn endorsements_and_a_competing_step_made_during_a_partition_agree_after_the_heal() {
    let mut w = World::new();
    let id = w.register(BODEN, "Avgiftsberäkning i hemtjänsten", Area::Avgift);
    // Partitioned: Piteå endorses twice here, the host endorses there; the förvaltningsgrupp
    // prepares it here and Boden withdraws it there, both after the need.
    let here: Vec<Record<Unverified>> = vec![
        w.by(PITEA, Kind::NeedUpdate, NeedUpdate::Endorse { need: id }.to_bytes()),
        w.by(PITEA, Kind::NeedUpdate, NeedUpdate::Endorse { need: id }.to_bytes()),
        w.by_forvaltare(&beredd(id, id)),
    ];
    let withdraw = NeedUpdate::Step { need: id, follows: id, step: Step::Aterkallad, note: String::new() };
    let there: Vec<Record<Unverified>> = vec![
        w.by(HOST, Kind::NeedUpdate, NeedUpdate::Endorse { need: id }.to_bytes()),
        w.by(BODEN, Kind::NeedUpdate, withdraw.to_bytes()),
    ];
    for r in &here {
        w.ledger.ingest(r.clone()).expect("ingests here");
    }
    for r in &there {
        w.other.ingest(r.clone()).expect("ingests there");
    }
    // Healed: each receives the other's records (each author's in its chain order).
    for r in &here {
        w.other.ingest(r.clone()).expect("ingests there after the heal");
    }
    for r in &there {
        w.ledger.ingest(r.clone()).expect("ingests here after the heal");
    }
    let backlog = |ledger: &Ledger| {
        let chain = ledger.chain().expect("federation");
        needs::backlog(ledger.store(), &chain).expect("query")
    };
    let (a, b) = (backlog(&w.ledger), backlog(&w.other));
    assert_eq!(a, b);
    let entry = &a.needs[&id];
    assert_eq!(entry.endorsers.len(), 2, "Piteå counted once, and the host");
    assert_eq!(entry.path.len(), 1);
    assert_eq!(entry.other_steps.len(), 1, "the other step after the need is kept, off the path");
    assert!([State::Beredd, State::Aterkallad].contains(&entry.state()));
}

/// The backlog is a view kept between reads: the same one while nothing is stored, computed
/// again as soon as a need record is stored (never one record behind), and left as it is when a
/// record of another kind is stored.
#[test]
fn the_backlog_is_kept_between_reads_and_follows_every_need_record_stored() {
    let mut w = World::new();
    let chain = w.ledger.chain().expect("federation");
    let ledger = Arc::clone(&w.ledger);
    let store = ledger.store();
    let empty = needs::backlog(store, &chain).expect("query");
    assert!(empty.needs.is_empty());
    let id = w.register(BODEN, "Avgiftsberäkning i hemtjänsten", Area::Avgift);
    let first = needs::backlog(store, &chain).expect("query");
    assert_eq!(first.needs.len(), 1, "the need stored is in the next read");
    let again = needs::backlog(store, &chain).expect("query");
    assert!(Arc::ptr_eq(&first, &again), "nothing stored: the view is kept");
    let endorse = w.by(PITEA, Kind::NeedUpdate, NeedUpdate::Endorse { need: id }.to_bytes());
    ledger.ingest(endorse).expect("stored");
    let endorsed = needs::backlog(store, &chain).expect("query");
    assert_eq!(endorsed.needs[&id].endorsers.len(), 1, "the endorsement stored is in the next read");
    // A vote or any other kind stored leaves the view as it is.
    let note = w.by(HOST, Kind::Note, b"Driftinformation".to_vec());
    ledger.ingest(note).expect("stored");
    assert!(Arc::ptr_eq(&endorsed, &needs::backlog(store, &chain).expect("query")));
}

#[test]
fn need_register_refuses_a_personnummer_before_signing_and_names_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = samverka(
        dir.path(),
        &[
            "need",
            "register",
            "--title",
            "Avgift",
            "--description",
            "Gäller 811218-9876 och fler",
            "--benefit",
            "Tid",
            "--area",
            "avgift",
            "--name",
            "Eva Berg",
            "--role",
            "objektspecialist",
            "--key",
            "no-such-key.json",
            "--api",
            "http://127.0.0.1:9",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Fältet ”Beskrivning” innehåller ett personnummer"), "{stderr}");
    assert!(!dir.path().join("no-such-key.json").exists());
}
