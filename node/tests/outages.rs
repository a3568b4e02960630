//! Outage notices at a node: a notice published on the host shown with who has acknowledged and
//! who has not (since when) over the API, a notice holding a personnummer refused with its code,
//! `samverka outage publish` refusing one in Swedish before anything is signed, an
//! acknowledgement made at a member's node while the federation is partitioned reaching the
//! host after the heal, the all-clear taking a notice out of the active ones, and the banner on
//! every page until then.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::ledger::Ledger;
use samverka_node::outage;
use samverka_protocol::outage::{NoticeKind, OutageAck, OutageNotice, Published};
use samverka_protocol::testkit::{Author, Federation, T0_MS};
use samverka_protocol::{Body, Kind, Record, RecordId, Role, SigningKey, Unverified};
use support::{fails, get, ledger_with, norrbotten_with_ordinarie, post_raw, router_with};

const HOST: &str = "2580";
const BODEN: &str = "2582";
const PITEA: &str = "2581";

/// Norrbotten with the host's förvaltare and node and an objektspecialist in Boden and Piteå;
/// the host's node and Boden's node, each with its own ledger.
struct World {
    fed: Federation,
    forvaltare: Author,
    host_node: SigningKey,
    boden: Author,
    pitea: Author,
    host: Arc<Ledger>,
    member: Arc<Ledger>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    fn new() -> World {
        let (mut fed, _) = norrbotten_with_ordinarie();
        let forvaltare = fed.certify_person(HOST, "drift/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "drift/node").key;
        let boden = fed.certify_person(BODEN, "drift/2582/objektspecialist", &[Role::Objektspecialist]);
        let pitea = fed.certify_person(PITEA, "drift/2581/objektspecialist", &[Role::Objektspecialist]);
        let (a, host) = ledger_with(&fed);
        let (b, member) = ledger_with(&fed);
        World { fed, forvaltare, host_node, boden, pitea, host, member, _dirs: (a, b) }
    }

    fn notice(&mut self, n: &OutageNotice) -> Record<Unverified> {
        self.forvaltare.next(self.fed.id(), self.fed.version(), Kind::OutageNotice, n.to_bytes())
    }

    fn ack(fed: &Federation, author: &mut Author, notice: RecordId) -> Record<Unverified> {
        author.next(fed.id(), fed.version(), Kind::OutageAck, OutageAck { notice }.to_bytes())
    }

    /// Stores `record` at both nodes: the network delivered it.
    fn everywhere(&self, record: &Record<Unverified>) {
        self.host.ingest(record.clone()).expect("the host ingests");
        self.member.ingest(record.clone()).expect("the member ingests");
    }

    fn report(ledger: &Ledger, id: &RecordId) -> outage::Report {
        let chain = ledger.chain().expect("federation");
        outage::outage(ledger.store(), &chain, id).expect("query").expect("held")
    }
}

fn treserva_down() -> OutageNotice {
    OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Treserva svarar inte".into(),
        text: "Inloggningen misslyckas för alla. Leverantören felsöker.".into(),
        affected: vec!["Journal IFO".into()],
        start_ms: T0_MS,
        expected_end_ms: Some(T0_MS + 7_200_000),
    })
}

#[tokio::test]
async fn the_api_shows_who_has_acknowledged_and_who_has_not_since_when() {
    let mut w = World::new();
    let notice = w.notice(&treserva_down());
    w.everywhere(&notice);
    let ack = World::ack(&w.fed, &mut w.boden, notice.id());
    let router = router_with(&w.host, w.host_node.clone(), None);
    post_raw(&router, "/api/v1/records", "application/octet-stream", ack.bytes().to_vec())
        .await
        .ok(StatusCode::CREATED);
    let list = get(&router, "/api/v1/outages?active=true").await.ok(StatusCode::OK);
    let s = &list["outages"][0];
    assert_eq!(s["id"], notice.id().to_hex());
    assert_eq!(s["kind"], "driftstorning");
    assert_eq!(s["active"], true);
    assert_eq!(s["acknowledged"], 1);
    assert_eq!(s["members"], 14);
    let view = get(&router, &format!("/api/v1/outages/{}", notice.id())).await.ok(StatusCode::OK);
    let members = view["members"].as_array().expect("members");
    let boden = members.iter().find(|m| m["member"] == BODEN).expect("Boden");
    assert_eq!(boden["acknowledged"]["record"], ack.id().to_hex());
    let pitea = members.iter().find(|m| m["member"] == PITEA).expect("Piteå");
    assert!(pitea["acknowledged"].is_null());
    assert_eq!(pitea["missing_since_ms"], notice.header().time_ms);
    get(&router, &format!("/api/v1/outages/{}", "00".repeat(32)))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_outage");
    get(&router, "/api/v1/outages?active=kanske").await.refused(StatusCode::BAD_REQUEST, "bad_query");
}

#[tokio::test]
async fn a_notice_holding_a_personnummer_is_refused_over_the_api_with_its_code() {
    let mut w = World::new();
    let mut n = treserva_down();
    if let OutageNotice::Publish(p) = &mut n {
        p.text = "Akten för 811218-9876 går inte att öppna.".into();
    }
    let record = w.notice(&n);
    let router = router_with(&w.host, w.host_node.clone(), None);
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "personal_identity_number");
    assert!(w.host.store().get(&record.id()).expect("read").is_none(), "nothing stored");
}

#[test]
fn an_acknowledgement_made_during_a_partition_reaches_the_host_after_the_heal() {
    let mut w = World::new();
    let notice = w.notice(&treserva_down());
    w.everywhere(&notice);
    // Partitioned: Boden's objektspecialist acknowledges at Boden's node; Piteå's reaches the host.
    let boden = World::ack(&w.fed, &mut w.boden, notice.id());
    w.member.ingest(boden.clone()).expect("Boden's node ingests");
    let pitea = World::ack(&w.fed, &mut w.pitea, notice.id());
    w.host.ingest(pitea.clone()).expect("the host ingests");
    let at_host = World::report(&w.host, &notice.id());
    assert!(!at_host.acknowledged_by(BODEN));
    assert!(at_host.missing().any(|m| m.member == BODEN));
    // Healed: each node receives what the other holds; both show the same.
    w.host.ingest(boden.clone()).expect("the host ingests Boden's");
    w.member.ingest(pitea).expect("Boden's node ingests Piteå's");
    let at_host = World::report(&w.host, &notice.id());
    assert!(at_host.acknowledged_by(BODEN) && at_host.acknowledged_by(PITEA));
    assert_eq!(at_host.acknowledged(), 2);
    assert_eq!(at_host, World::report(&w.member, &notice.id()));
}

#[test]
fn the_all_clear_takes_a_notice_out_of_the_active_ones() {
    let mut w = World::new();
    let notice = w.notice(&treserva_down());
    w.everywhere(&notice);
    let update = w.notice(&OutageNotice::Update {
        notice: notice.id(),
        text: "Felet är hittat.".into(),
        expected_end_ms: Some(T0_MS + 3_600_000),
    });
    w.everywhere(&update);
    let chain = w.host.chain().expect("federation");
    let host = w.host.clone();
    let active =
        || outage::outages(host.store(), &chain).expect("query").iter().filter(|r| r.state.is_active()).count();
    assert_eq!(active(), 1);
    let clear = w.notice(&OutageNotice::Clear { notice: notice.id(), text: "Inloggningen fungerar igen.".into() });
    w.everywhere(&clear);
    assert_eq!(active(), 0);
    let report = World::report(&w.host, &notice.id());
    assert_eq!(report.state.cleared.as_ref().map(|c| c.id), Some(clear.id()));
    assert_eq!(report.state.expected_end_ms(), Some(T0_MS + 3_600_000));
}

#[test]
fn the_cli_names_the_field_holding_a_personnummer_before_anything_is_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("forvaltare.key");
    let err = fails(
        dir.path(),
        &[
            "outage",
            "publish",
            "--title",
            "Treserva svarar inte",
            "--text",
            "Akten 811218-9876 går inte att öppna",
            "--affected",
            "Journal IFO",
            "--start",
            "2026-11-30 14.30",
            "--key",
            key.to_str().expect("UTF-8 path"),
        ],
    );
    assert!(err.contains("Fältet ”Text” innehåller ett personnummer"), "{err}");
    assert!(!err.contains("811218"), "the number is not repeated: {err}");
    assert!(!key.exists(), "no key was read or made");
}

fn page(r: &support::Reply) -> String {
    assert_eq!(r.status, StatusCode::OK);
    String::from_utf8(r.bytes.clone()).expect("UTF-8 page")
}

#[tokio::test]
async fn every_page_shows_the_banner_until_the_all_clear() {
    let mut w = World::new();
    let notice = w.notice(&treserva_down());
    w.everywhere(&notice);
    let ack = World::ack(&w.fed, &mut w.boden, notice.id());
    w.host.ingest(ack).expect("ingests");
    let router = router_with(&w.host, w.host_node.clone(), None);
    for uri in ["/", "/avtal", "/driftstorningar"] {
        let html = page(&get(&router, uri).await);
        assert!(html.contains("aria-labelledby=\"outage-banner-heading\""), "{uri}: the banner is a region");
        assert!(html.contains("Pågående driftinformation") && html.contains("Treserva svarar inte"), "{uri}");
    }
    let detail = page(&get(&router, &format!("/driftstorningar/{}", notice.id())).await);
    assert!(detail.contains("Kvittenser: 1 av 14 medlemmar"), "{detail}");
    assert!(detail.contains("Inte kvitterad sedan"));
    let clear = w.notice(&OutageNotice::Clear { notice: notice.id(), text: "Fungerar igen.".into() });
    w.host.ingest(clear).expect("ingests");
    let html = page(&get(&router, "/").await);
    assert!(!html.contains("outage-banner-heading"), "no banner after the all-clear");
    let list = page(&get(&router, "/driftstorningar").await);
    assert!(list.contains("Friskförklarad"));
}
