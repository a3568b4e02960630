//! The HTTP API against a real ledger in a temporary directory: every endpoint, its success and
//! its refusals, and that a refused request stores nothing.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use samverka_node::api::{self, State, MAX_REQUEST_BYTES};
use samverka_node::ledger::Ledger;
use samverka_node::metrics::Metrics;
use samverka_protocol::roster::Change;
use samverka_protocol::testkit::{key, kommuner, Author, Federation};
use samverka_protocol::{Kind, Record, Role, Unverified};
use serde_json::{json, Value};
use support::{get, ledger_with, post_json, post_raw, router_with, send, Reply};

const TOKEN: &str = "operator-s3cret";

struct Node {
    _dir: tempfile::TempDir,
    ledger: Arc<Ledger>,
    router: Router,
    fed: Federation,
    /// A person key of member 1001 (objektspecialist).
    anna: Author,
    /// A node key of member 1001, revoked as compromised from seq 0 in the newest version.
    revoked: Author,
    /// The roster version under which `revoked` was still certified.
    before_revocation: u64,
}

/// A three-member federation (host 1000, majority threshold: 2 of 3) whose charter and roster
/// versions are ingested; this node's key is 1000's certified node key.
fn node(token: Option<&str>) -> Node {
    node_with(token, true)
}

fn node_with(token: Option<&str>, certify_node_key: bool) -> Node {
    let mut fed = Federation::found("Ekosystem Test", &kommuner(3), "1000");
    let node_key = if certify_node_key { fed.certify_node("1000", "node-1000").key } else { key("node-1000") };
    let anna = fed.certify_person("1001", "anna", &[Role::Objektspecialist]);
    let revoked = fed.certify_node("1001", "node-1001");
    let before_revocation = fed.version();
    fed.update("1001", vec![Change::RevokeKey { key: revoked.key.public(), compromised_since_seq: 0 }])
        .expect("revocation is valid");
    let (dir, ledger) = ledger_with(&fed);
    let router = router_with(&ledger, node_key, token);
    Node { _dir: dir, router, ledger, fed, anna, revoked, before_revocation }
}

/// A node with an empty store: no federation.
fn empty_node() -> (tempfile::TempDir, Arc<Ledger>, Router) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Arc::new(Ledger::open(dir.path(), 8 * 1024 * 1024).expect("ledger opens"));
    let state = State::new(ledger.clone(), key("lonely"), Arc::new(Metrics::new()));
    (dir, ledger.clone(), api::router(state))
}

async fn submit(router: &Router, record: &Record<Unverified>) -> Reply {
    post_raw(router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await
}

fn count(ledger: &Ledger) -> u64 {
    ledger.store().count().expect("count")
}

fn note(author: &mut Author, fed: &Federation, text: &str) -> Record<Unverified> {
    author.next(fed.id(), fed.version(), Kind::Note, text.as_bytes().to_vec())
}

/// The same record with one bit of its author signature flipped.
fn with_bad_signature(record: &Record<Unverified>) -> Vec<u8> {
    let mut bytes = record.bytes().to_vec();
    let at = bytes.windows(64).position(|w| w == record.signature().0).expect("the signature is in the bytes");
    bytes[at] ^= 1;
    bytes
}

// ---------------------------------------------------------------- node

#[tokio::test]
async fn healthz_answers_alive() {
    let n = node(None);
    let r = get(&n.router, "/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "alive");
}

#[tokio::test]
async fn readyz_is_ready_with_a_federation() {
    let n = node(None);
    let r = get(&n.router, "/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["federation"], n.fed.id().to_hex());
}

#[tokio::test]
async fn readyz_is_unavailable_without_a_federation() {
    let (_dir, _ledger, router) = empty_node();
    get(&router, "/readyz").await.refused(StatusCode::SERVICE_UNAVAILABLE, "no_federation");
}

#[tokio::test]
async fn status_reports_federation_roster_counts_and_member() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/status").await;
    assert_eq!(r.status, StatusCode::OK);
    let s = r.json();
    assert_eq!(s["federation_id"], n.fed.id().to_hex());
    assert_eq!(s["federation_name"], "Ekosystem Test");
    assert_eq!(s["roster_version"], n.fed.version());
    assert_eq!(s["records"], count(&n.ledger));
    assert_eq!(s["parked"], 0);
    assert_eq!(s["peers"], 0);
    assert_eq!(s["member"], "1000");
    assert_eq!(s["node_key"], key("node-1000").public().to_hex());
    assert_eq!(s["equivocators"], 0);
    assert!(s["uptime_seconds"].is_u64());
}

#[tokio::test]
async fn status_without_a_federation_has_no_federation_fields() {
    let (_dir, _ledger, router) = empty_node();
    let s = get(&router, "/api/v1/status").await.json();
    assert_eq!(s["federation_id"], Value::Null);
    assert_eq!(s["member"], Value::Null);
    assert_eq!(s["records"], 0);
}

#[tokio::test]
async fn peers_are_empty_without_a_network() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/peers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["peers"], json!([]));
}

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let n = node(None);
    get(&n.router, "/api/v1/nothing-here").await.refused(StatusCode::NOT_FOUND, "unknown_route");
}

#[tokio::test]
async fn wrong_method_is_a_json_405() {
    let n = node(None);
    let req = Request::delete("/api/v1/records").body(Body::empty()).expect("request");
    send(&n.router, req).await.refused(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

// ---------------------------------------------------------------- roster

#[tokio::test]
async fn charter_shows_founders_host_and_rules() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/charter").await;
    assert_eq!(r.status, StatusCode::OK);
    let c = r.json();
    assert_eq!(c["id"], n.fed.id().to_hex());
    assert_eq!(c["charter"]["name"], "Ekosystem Test");
    assert_eq!(c["charter"]["host"], "1000");
    assert_eq!(c["charter"]["founders"].as_array().map(Vec::len), Some(3));
    assert_eq!(c["charter"]["rules"]["roster_threshold"], "majority");
    assert_eq!(c["charter"]["rules"]["meeting_notice_days"], 5);
}

#[tokio::test]
async fn charter_without_a_federation_is_unavailable() {
    let (_dir, _ledger, router) = empty_node();
    get(&router, "/api/v1/charter").await.refused(StatusCode::SERVICE_UNAVAILABLE, "no_federation");
    get(&router, "/api/v1/roster").await.refused(StatusCode::SERVICE_UNAVAILABLE, "no_federation");
}

#[tokio::test]
async fn roster_shows_the_current_version_with_keys_and_roles() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/roster").await;
    assert_eq!(r.status, StatusCode::OK);
    let roster = r.json();
    assert_eq!(roster["version"], n.fed.version());
    assert_eq!(roster["record_id"], n.fed.chain.current().head.to_hex());
    assert_eq!(roster["host"], "1000");
    let keys = roster["keys"].as_array().expect("keys");
    let anna = keys.iter().find(|k| k["key"] == n.anna.key.public().to_hex()).expect("anna's key is listed");
    assert_eq!(anna["member"], "1001");
    assert_eq!(anna["kind"], "person");
    assert_eq!(anna["roles"], json!(["objektspecialist"]));
    assert!(anna["certified_at"].is_u64());
    assert!(!keys.iter().any(|k| k["key"] == n.revoked.key.public().to_hex()), "a revoked key is not in force");
}

#[tokio::test]
async fn roster_history_lists_every_version_from_the_charter() {
    let n = node(None);
    let h = get(&n.router, "/api/v1/roster/history").await.json();
    let versions = h["versions"].as_array().expect("versions");
    assert_eq!(versions.len() as u64, n.fed.version() + 1);
    assert_eq!(versions[0]["record_id"], n.fed.id().to_hex());
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(v["version"], i as u64);
    }
    let revoked_at = &versions[n.before_revocation as usize]["keys"];
    let revoked = revoked_at
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["key"] == n.revoked.key.public().to_hex()))
        .expect("the key was in force before its revocation");
    assert_eq!(revoked["revoked_since_seq"], 0);
}

#[tokio::test]
async fn roster_version_is_served_by_number() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/roster/versions/0").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["record_id"], n.fed.id().to_hex());
    get(&n.router, "/api/v1/roster/versions/999").await.refused(StatusCode::NOT_FOUND, "unknown_roster_version");
    get(&n.router, "/api/v1/roster/versions/latest").await.refused(StatusCode::BAD_REQUEST, "bad_version");
}

#[tokio::test]
async fn members_lists_every_member_and_the_host() {
    let n = node(None);
    let m = get(&n.router, "/api/v1/members").await.json();
    let members = m["members"].as_array().expect("members");
    let ids: BTreeSet<&str> = members.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["1000", "1001", "1002"]));
    assert!(members.iter().any(|m| m["id"] == "1000" && m["host"] == true && m["kind"] == "kommun"));
}

#[tokio::test]
async fn member_shows_its_keys_and_roles() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/members/1001").await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.json();
    assert_eq!(m["name"], "Kommun 1");
    assert_eq!(m["roles"], json!(["objektspecialist"]));
    let kinds: BTreeSet<&str> = m["keys"].as_array().expect("keys").iter().filter_map(|k| k["kind"].as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["organisation", "person"]));
}

#[tokio::test]
async fn unknown_member_is_404() {
    let n = node(None);
    get(&n.router, "/api/v1/members/9999").await.refused(StatusCode::NOT_FOUND, "unknown_member");
}

// ---------------------------------------------------------------- records: read

#[tokio::test]
async fn record_json_view_decodes_a_note() {
    let mut n = node(None);
    let rec = note(&mut n.anna, &n.fed, "Driftstörning i Treserva");
    assert_eq!(submit(&n.router, &rec).await.status, StatusCode::CREATED);
    let r = get(&n.router, &format!("/api/v1/records/{}", rec.id())).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["id"], rec.id().to_hex());
    assert_eq!(v["kind"], "note");
    assert_eq!(v["author"], n.anna.key.public().to_hex());
    assert_eq!(v["author_member"], "1001");
    assert_eq!(v["seq"], 0);
    assert_eq!(v["signature"], rec.signature().to_hex());
    assert_eq!(v["body_hex"], hex::encode("Driftstörning i Treserva"));
    assert_eq!(v["body"]["text"], "Driftstörning i Treserva");
    assert_eq!(v["redacted"], false);
}

#[tokio::test]
async fn record_json_view_decodes_charter_and_roster_update() {
    let n = node(None);
    let c = get(&n.router, &format!("/api/v1/records/{}", n.fed.id())).await.json();
    assert_eq!(c["kind"], "charter");
    assert_eq!(c["body"]["name"], "Ekosystem Test");
    assert_eq!(c["countersignatures"].as_array().map(Vec::len), Some(2));
    let u = &n.fed.updates[0];
    let v = get(&n.router, &format!("/api/v1/records/{}", u.id())).await.json();
    assert_eq!(v["kind"], "roster-update");
    assert_eq!(v["body"]["version"], 1);
    assert_eq!(v["body"]["changes"][0]["change"], "certify-key");
}

#[tokio::test]
async fn record_raw_format_is_the_canonical_bytes() {
    let n = node(None);
    let r = get(&n.router, &format!("/api/v1/records/{}?format=raw", n.fed.id())).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(r.bytes, n.fed.charter.bytes());
}

#[tokio::test]
async fn record_refuses_unknown_format_bad_id_and_unknown_id() {
    let n = node(None);
    get(&n.router, &format!("/api/v1/records/{}?format=xml", n.fed.id()))
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_format");
    get(&n.router, "/api/v1/records/not-hex").await.refused(StatusCode::BAD_REQUEST, "bad_id");
    get(&n.router, &format!("/api/v1/records/{}", "ab".repeat(32)))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_record");
}

#[tokio::test]
async fn records_list_pages_with_an_opaque_cursor() {
    let mut n = node(None);
    for i in 0..5 {
        let rec = note(&mut n.anna, &n.fed, &format!("note {i}"));
        assert_eq!(submit(&n.router, &rec).await.status, StatusCode::CREATED);
    }
    let total = count(&n.ledger) as usize;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/records?limit=2".to_string();
    loop {
        let page = get(&n.router, &uri).await;
        assert_eq!(page.status, StatusCode::OK);
        let page = page.json();
        let records = page["records"].as_array().expect("records");
        assert!(records.len() <= 2);
        seen.extend(records.iter().map(|r| r["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/records?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), total, "no record twice");
}

#[tokio::test]
async fn records_list_filters_by_kind() {
    let mut n = node(None);
    let rec = note(&mut n.anna, &n.fed, "hej");
    submit(&n.router, &rec).await;
    let notes = get(&n.router, "/api/v1/records?kind=note").await.json();
    assert_eq!(notes["records"].as_array().map(Vec::len), Some(1));
    assert_eq!(notes["records"][0]["id"], rec.id().to_hex());
    assert_eq!(notes["next_cursor"], Value::Null);
    let updates = get(&n.router, "/api/v1/records?kind=roster-update").await.json();
    assert_eq!(updates["records"].as_array().map(Vec::len), Some(n.fed.updates.len()));
}

#[tokio::test]
async fn records_list_refuses_bad_kind_cursor_limit_and_query() {
    let n = node(None);
    let body = get(&n.router, "/api/v1/records?kind=memo").await.refused(StatusCode::BAD_REQUEST, "unknown_kind");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("roster-update")), "names the kinds: {body}");
    get(&n.router, "/api/v1/records?cursor=xyz").await.refused(StatusCode::BAD_REQUEST, "bad_cursor");
    get(&n.router, "/api/v1/records?limit=0").await.refused(StatusCode::BAD_REQUEST, "bad_limit");
    get(&n.router, "/api/v1/records?limit=1001").await.refused(StatusCode::BAD_REQUEST, "bad_limit");
    get(&n.router, "/api/v1/records?limit=many").await.refused(StatusCode::BAD_REQUEST, "bad_query");
    get(&n.router, "/api/v1/records?knid=note").await.refused(StatusCode::BAD_REQUEST, "bad_query");
}

#[tokio::test]
async fn records_by_author_page_by_seq() {
    let mut n = node(None);
    for i in 0..3 {
        submit(&n.router, &note(&mut n.anna, &n.fed, &format!("n{i}"))).await;
    }
    let author = n.anna.key.public();
    let first = get(&n.router, &format!("/api/v1/authors/{author}/records?limit=2")).await.json();
    assert_eq!(first["member"], "1001");
    let seqs: Vec<u64> =
        first["records"].as_array().expect("records").iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, vec![0, 1]);
    assert_eq!(first["next_seq"], 2);
    let rest = get(&n.router, &format!("/api/v1/authors/{author}/records?from_seq=2&limit=2")).await.json();
    assert_eq!(rest["records"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["next_seq"], Value::Null);
}

#[tokio::test]
async fn records_by_author_refuses_a_bad_key() {
    let n = node(None);
    get(&n.router, "/api/v1/authors/zz/records").await.refused(StatusCode::BAD_REQUEST, "bad_key");
    let key = n.anna.key.public();
    get(&n.router, &format!("/api/v1/authors/{key}/records?from_seq=-1"))
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_query");
}

#[tokio::test]
async fn receipts_name_this_nodes_member_without_a_network() {
    let n = node(None);
    let r = get(&n.router, &format!("/api/v1/records/{}/receipts", n.fed.id())).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["held_by"], json!(["1000"]));
    assert_eq!(v["members"], 3);
    assert_eq!(v["text"], "lagrad hos 1 av 3 medlemmar");
    get(&n.router, &format!("/api/v1/records/{}/receipts", "cd".repeat(32)))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_record");
    get(&n.router, "/api/v1/records/1234/receipts").await.refused(StatusCode::BAD_REQUEST, "bad_id");
}

#[tokio::test]
async fn equivocation_is_stored_flagged_and_listed() {
    let mut n = node(None);
    assert_eq!(get(&n.router, "/api/v1/equivocators").await.json()["equivocators"], json!([]));
    let mut twin = n.anna.clone();
    let a = note(&mut n.anna, &n.fed, "first");
    let b = note(&mut twin, &n.fed, "second");
    assert_eq!(submit(&n.router, &a).await.status, StatusCode::CREATED);
    let r = submit(&n.router, &b).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["outcome"], "equivocation");
    assert_eq!(r.json()["conflicts"], json!([a.id().to_hex()]));
    let list = get(&n.router, "/api/v1/equivocators").await.json();
    assert_eq!(list["equivocators"][0]["author"], n.anna.key.public().to_hex());
    assert_eq!(list["equivocators"][0]["member"], "1001");
    assert_eq!(get(&n.router, "/api/v1/status").await.json()["equivocators"], 1);
}

// ---------------------------------------------------------------- records: submit

#[tokio::test]
async fn submitting_canonical_bytes_stores_the_record() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let rec = note(&mut n.anna, &n.fed, "hej");
    let r = submit(&n.router, &rec).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json(), json!({ "id": rec.id().to_hex(), "outcome": "stored" }));
    assert_eq!(r.headers[header::LOCATION], format!("/api/v1/records/{}", rec.id()));
    assert_eq!(count(&n.ledger), before + 1);
}

#[tokio::test]
async fn submitting_hex_json_stores_the_record() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let rec = note(&mut n.anna, &n.fed, "hej");
    let r = post_json(&n.router, "/api/v1/records", json!({ "record": hex::encode(rec.bytes()) }), None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["id"], rec.id().to_hex());
    assert_eq!(count(&n.ledger), before + 1);
}

#[tokio::test]
async fn submitting_a_duplicate_is_200_and_changes_nothing() {
    let n = node(None);
    let before = count(&n.ledger);
    let r = post_raw(&n.router, "/api/v1/records", "application/octet-stream", n.fed.charter.bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["outcome"], "duplicate");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_a_wrong_signature_and_stores_nothing() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let rec = note(&mut n.anna, &n.fed, "hej");
    let r = post_raw(&n.router, "/api/v1/records", "application/octet-stream", with_bad_signature(&rec)).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_signature");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_an_unknown_author_and_stores_nothing() {
    let n = node(None);
    let before = count(&n.ledger);
    let mut stranger = Author::new(key("stranger"));
    let body = submit(&n.router, &note(&mut stranger, &n.fed, "hej"))
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "unknown_author");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("certified")), "{body}");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_a_revoked_key_and_stores_nothing() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let rec = n.revoked.next(n.fed.id(), n.before_revocation, Kind::Note, b"hej".to_vec());
    submit(&n.router, &rec).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "revoked_key");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_a_record_of_another_federation_as_a_conflict() {
    let n = node(None);
    let before = count(&n.ledger);
    let mut other = Federation::found("Annat förbund", &kommuner(3), "1000");
    let fed_id = other.id();
    let org = other.orgs.get_mut("1000").expect("member");
    let rec = org.next(fed_id, 0, Kind::Note, b"hej".to_vec());
    submit(&n.router, &rec).await.refused(StatusCode::CONFLICT, "wrong_federation");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_an_under_signed_roster_update_pointing_to_proposals() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    let body = submit(&n.router, &proposal).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "threshold_not_met");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("/api/v1/roster/proposals")), "{body}");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_malformed_record_bytes() {
    let n = node(None);
    let before = count(&n.ledger);
    post_raw(&n.router, "/api/v1/records", "application/octet-stream", vec![0xff; 40])
        .await
        .refused(StatusCode::BAD_REQUEST, "malformed");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_invalid_hex_malformed_json_and_unknown_fields() {
    let n = node(None);
    let before = count(&n.ledger);
    post_json(&n.router, "/api/v1/records", json!({ "record": "not hex" }), None)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_hex");
    post_raw(&n.router, "/api/v1/records", "application/json", b"{\"record\": ".to_vec())
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_json");
    post_json(&n.router, "/api/v1/records", json!({ "record": "00", "extra": 1 }), None)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_json");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn rejects_an_unsupported_content_type() {
    let n = node(None);
    post_raw(&n.router, "/api/v1/records", "text/plain", b"hej".to_vec())
        .await
        .refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn rejects_an_oversized_body_with_413() {
    let n = node(None);
    let before = count(&n.ledger);
    post_raw(&n.router, "/api/v1/records", "application/octet-stream", vec![0; MAX_REQUEST_BYTES + 1])
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let huge = json!({ "record": "00".repeat(MAX_REQUEST_BYTES / 2 + 1) });
    post_json(&n.router, "/api/v1/records", huge, None)
        .await
        .refused(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn refuses_records_and_a_charter_on_a_node_without_federation() {
    let (_dir, ledger, router) = empty_node();
    let fed = Federation::found("Ekosystem Test", &kommuner(3), "1000");
    submit(&router, &fed.charter.to_unverified()).await.refused(StatusCode::SERVICE_UNAVAILABLE, "no_federation");
    let mut org = fed.orgs["1001"].clone();
    submit(&router, &note(&mut org, &fed, "hej")).await.refused(StatusCode::SERVICE_UNAVAILABLE, "no_federation");
    assert_eq!(count(&ledger), 0);
    assert!(ledger.federation().is_none());
}

// ---------------------------------------------------------------- roster proposals

async fn submit_proposal(router: &Router, record: &Record<Unverified>) -> Reply {
    post_raw(router, "/api/v1/roster/proposals", "application/octet-stream", record.bytes().to_vec()).await
}

fn countersignature(fed: &Federation, member: &str, record: &Record<Unverified>) -> Value {
    let k = &fed.orgs[member].key;
    json!({ "key": k.public().to_hex(), "signature": k.sign(&record.header().signing_input()).to_hex() })
}

#[tokio::test]
async fn proposal_is_kept_pending_then_adopted_when_countersigned() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let version = n.fed.version();
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    let r = submit_proposal(&n.router, &proposal).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json());
    let p = r.json();
    assert_eq!(p["status"], "pending");
    assert_eq!((p["have"].clone(), p["need"].clone()), (json!(1), json!(2)));
    assert_eq!(p["signed_by"], json!(["1000"]));
    assert_eq!(p["missing"], json!(["1001", "1002"]));
    assert_eq!(count(&n.ledger), before, "a proposal is not a record");

    let list = get(&n.router, "/api/v1/roster/proposals").await.json();
    assert_eq!(list["proposals"][0]["id"], proposal.id().to_hex());
    let one = get(&n.router, &format!("/api/v1/roster/proposals/{}", proposal.id())).await.json();
    assert_eq!(one["record"], hex::encode(proposal.bytes()));
    assert_eq!(one["signing_input"], hex::encode(proposal.header().signing_input()));

    let uri = format!("/api/v1/roster/proposals/{}/countersignatures", proposal.id());
    let r = post_json(&n.router, &uri, countersignature(&n.fed, "1001", &proposal), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    assert_eq!(r.json()["status"], "adopted");
    assert_eq!(r.json()["roster_version"], version + 1);
    assert_eq!(count(&n.ledger), before + 1);
    assert_eq!(get(&n.router, "/api/v1/roster").await.json()["host"], "1001");
    get(&n.router, &format!("/api/v1/roster/proposals/{}", proposal.id()))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_proposal");
    assert_eq!(get(&n.router, "/api/v1/roster/proposals").await.json()["proposals"], json!([]));
}

#[tokio::test]
async fn second_proposal_for_one_roster_version_is_refused_naming_the_first() {
    let mut n = node(None);
    let first = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    let second = n.fed.propose("1001", vec![Change::SetHost { member: "1002".into() }]);
    assert_eq!(submit_proposal(&n.router, &first).await.status, StatusCode::ACCEPTED);
    let body = submit_proposal(&n.router, &second).await.refused(StatusCode::CONFLICT, "roster_version_proposed");
    let error = body["error"].as_str().expect("an error message");
    assert!(error.contains(&format!("already proposed as {} by member 1000", first.id())), "{error}");
    assert!(error.contains("countersign that one instead"), "{error}");
    let listed = get(&n.router, "/api/v1/roster/proposals").await.json();
    assert_eq!(listed["proposals"].as_array().map(Vec::len), Some(1), "the second is not kept: {listed}");

    let uri = format!("/api/v1/roster/proposals/{}/countersignatures", first.id());
    let r = post_json(&n.router, &uri, countersignature(&n.fed, "1002", &first), None).await;
    assert_eq!(r.json()["status"], "adopted");
    let ready = second.countersign(&n.fed.orgs["1002"].key);
    let body = submit_proposal(&n.router, &ready).await.refused(StatusCode::CONFLICT, "roster_version_taken");
    let error = body["error"].as_str().expect("an error message");
    assert!(error.contains(&format!("already exists as record {} (proposed by member 1000)", first.id())), "{error}");
}

#[tokio::test]
async fn proposal_survives_a_restart() {
    let mut n = node(None);
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1002".into() }]);
    assert_eq!(submit_proposal(&n.router, &proposal).await.status, StatusCode::ACCEPTED);
    let Node { _dir: dir, ledger, router, .. } = n;
    drop(router);
    drop(ledger);
    let reopened = Ledger::open(dir.path(), 8 * 1024 * 1024).expect("ledger reopens");
    let held = reopened.store().proposals().expect("proposals read");
    assert_eq!(held.iter().map(|p| p.id()).collect::<Vec<_>>(), vec![proposal.id()]);
}

#[tokio::test]
async fn resubmitted_copy_merges_countersignatures_and_adopts() {
    let mut n = node(None);
    let before = count(&n.ledger);
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    assert_eq!(submit_proposal(&n.router, &proposal).await.status, StatusCode::ACCEPTED);
    let again = submit_proposal(&n.router, &proposal).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["status"], "pending");
    let signed = proposal.countersign(&n.fed.orgs["1002"].key);
    let r = submit_proposal(&n.router, &signed).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    assert_eq!(r.json()["status"], "adopted");
    assert_eq!(count(&n.ledger), before + 1);
}

#[tokio::test]
async fn proposal_refuses_other_kinds_and_bad_author_signatures() {
    let mut n = node(None);
    let rec = note(&mut n.anna, &n.fed, "hej");
    submit_proposal(&n.router, &rec).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "not_a_roster_update");
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    post_raw(&n.router, "/api/v1/roster/proposals", "application/octet-stream", with_bad_signature(&proposal))
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_signature");
    post_json(&n.router, "/api/v1/roster/proposals", json!({ "record": "xx" }), None)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_hex");
    assert!(n.ledger.store().proposals().expect("read").is_empty());
}

#[tokio::test]
async fn proposal_refuses_an_invalid_change() {
    let mut n = node(None);
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "9999".into() }]);
    submit_proposal(&n.router, &proposal).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid_roster_change");
    assert!(n.ledger.store().proposals().expect("read").is_empty());
}

#[tokio::test]
async fn countersignature_refuses_bad_signature_non_org_key_and_bad_input() {
    let mut n = node(None);
    let proposal = n.fed.propose("1000", vec![Change::SetHost { member: "1001".into() }]);
    assert_eq!(submit_proposal(&n.router, &proposal).await.status, StatusCode::ACCEPTED);
    let uri = format!("/api/v1/roster/proposals/{}/countersignatures", proposal.id());

    let mut wrong = countersignature(&n.fed, "1001", &proposal);
    wrong["signature"] = json!(n.fed.orgs["1001"].key.sign(b"something else").to_hex());
    post_json(&n.router, &uri, wrong, None).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_countersignature");

    let anna = json!({
        "key": n.anna.key.public().to_hex(),
        "signature": n.anna.key.sign(&proposal.header().signing_input()).to_hex(),
    });
    post_json(&n.router, &uri, anna, None).await.refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_countersignature");

    post_json(&n.router, &uri, json!({ "key": "zz", "signature": "00" }), None)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_key");
    let k = n.fed.orgs["1001"].key.public().to_hex();
    post_json(&n.router, &uri, json!({ "key": k, "signature": "00" }), None)
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_signature_hex");
    post_raw(&n.router, &uri, "application/json", b"{".to_vec()).await.refused(StatusCode::BAD_REQUEST, "bad_json");
    post_json(
        &n.router,
        &format!("/api/v1/roster/proposals/{}/countersignatures", "ef".repeat(32)),
        countersignature(&n.fed, "1001", &proposal),
        None,
    )
    .await
    .refused(StatusCode::NOT_FOUND, "unknown_proposal");

    let still = get(&n.router, &format!("/api/v1/roster/proposals/{}", proposal.id())).await.json();
    assert_eq!(still["have"], 1, "no refused countersignature was merged");
}

// ---------------------------------------------------------------- operator: notes

#[tokio::test]
async fn operator_note_is_authored_with_the_node_key() {
    let n = node(Some(TOKEN));
    let before = count(&n.ledger);
    let r = post_json(&n.router, "/api/v1/notes", json!({ "text": "Planerat underhåll ikväll" }), Some(TOKEN)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let id = r.json()["id"].as_str().expect("id").to_string();
    assert_eq!(count(&n.ledger), before + 1);
    let v = get(&n.router, &format!("/api/v1/records/{id}")).await.json();
    assert_eq!(v["kind"], "note");
    assert_eq!(v["author"], key("node-1000").public().to_hex());
    assert_eq!(v["author_member"], "1000");
    assert_eq!(v["body"]["text"], "Planerat underhåll ikväll");
    let status = get(&n.router, "/api/v1/status").await.json();
    assert_eq!(status["latest_own_record"]["id"], id.as_str(), "the status shows the note's receipt");
    assert_eq!(status["latest_own_record"]["text"], "lagrad hos 1 av 3 medlemmar");
}

#[tokio::test]
async fn operator_note_requires_the_token() {
    let n = node(Some(TOKEN));
    let before = count(&n.ledger);
    let r = post_json(&n.router, "/api/v1/notes", json!({ "text": "hej" }), None).await;
    r.refused(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    post_json(&n.router, "/api/v1/notes", json!({ "text": "hej" }), Some("guess"))
        .await
        .refused(StatusCode::FORBIDDEN, "bad_token");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn operator_endpoints_are_refused_when_no_token_is_configured() {
    let n = node(None);
    let before = count(&n.ledger);
    post_json(&n.router, "/api/v1/notes", json!({ "text": "hej" }), Some(""))
        .await
        .refused(StatusCode::FORBIDDEN, "operator_disabled");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn an_empty_configured_token_unlocks_nothing() {
    let mut n = node(None);
    let ledger = n.ledger.clone();
    let mut state = State::new(ledger.clone(), key("node-1000"), Arc::new(Metrics::new()));
    state.token = Some(String::new());
    n.router = api::router(state);
    let before = count(&ledger);
    post_json(&n.router, "/api/v1/notes", json!({ "text": "hej" }), Some(""))
        .await
        .refused(StatusCode::FORBIDDEN, "operator_disabled");
    assert_eq!(count(&ledger), before);
}

#[tokio::test]
async fn operator_note_refuses_bad_input() {
    let n = node(Some(TOKEN));
    let before = count(&n.ledger);
    post_json(&n.router, "/api/v1/notes", json!({ "text": "  " }), Some(TOKEN))
        .await
        .refused(StatusCode::BAD_REQUEST, "empty_note");
    post_json(&n.router, "/api/v1/notes", json!({ "txt": "hej" }), Some(TOKEN))
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_json");
    let req = Request::post("/api/v1/notes")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("hej"))
        .expect("request");
    send(&n.router, req).await.refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let long = "x".repeat(samverka_protocol::encoding::MAX_TEXT_BYTES + 1);
    post_json(&n.router, "/api/v1/notes", json!({ "text": long }), Some(TOKEN))
        .await
        .refused(StatusCode::BAD_REQUEST, "note_too_long");
    assert_eq!(count(&n.ledger), before);
}

#[tokio::test]
async fn operator_note_from_an_uncertified_node_key_says_to_certify_it() {
    let n = node_with(Some(TOKEN), false);
    let before = count(&n.ledger);
    let body = post_json(&n.router, "/api/v1/notes", json!({ "text": "hej" }), Some(TOKEN))
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "unknown_author");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("node key")), "{body}");
    assert_eq!(count(&n.ledger), before);
    assert_eq!(get(&n.router, "/api/v1/status").await.json()["member"], Value::Null);
}

// ---------------------------------------------------------------- metrics and the document

#[tokio::test]
async fn metrics_count_ingests_rejections_and_stored_records() {
    let mut n = node(None);
    submit(&n.router, &note(&mut n.anna, &n.fed, "hej")).await;
    let bad = note(&mut n.anna, &n.fed, "då");
    post_raw(&n.router, "/api/v1/records", "application/octet-stream", with_bad_signature(&bad)).await;
    let r = get(&n.router, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().is_ok_and(|c| c.starts_with("application/openmetrics-text")));
    let text = String::from_utf8(r.bytes).expect("utf-8");
    assert!(text.contains("samverka_records_ingested_total{source=\"api\"} 1"), "{text}");
    assert!(text.contains("samverka_rejections_total{reason=\"bad_signature\"} 1"), "{text}");
    assert!(text.contains(&format!("samverka_records_stored {}", count(&n.ledger))), "{text}");
    assert!(text.contains("samverka_peers 0") && !text.contains("samverka_sync_lag_records"), "{text}");
}

fn openapi() -> Value {
    serde_json::from_str(api::openapi_document()).expect("the OpenAPI document is JSON")
}

#[tokio::test]
async fn openapi_document_is_served_and_is_openapi_3_1() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["openapi"], "3.1.0");
    assert_eq!(r.json(), openapi());
}

#[tokio::test]
async fn api_page_is_served_from_the_binary_under_its_own_policy() {
    let n = node(None);
    let r = get(&n.router, "/api/v1/docs").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers[header::LOCATION], "/api/v1/docs/");
    let page = get(&n.router, "/api/v1/docs/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.bytes.clone()).expect("utf-8");
    assert!(!html.contains("http://") && !html.contains("https://"), "the page loads nothing from elsewhere: {html}");
    let policy = page.headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
    assert!(policy.contains("default-src 'self'") && !policy.contains("script-src"), "{policy}");
    let init = get(&n.router, "/api/v1/docs/swagger-initializer.js").await;
    assert_eq!(init.status, StatusCode::OK);
    assert!(String::from_utf8(init.bytes).expect("utf-8").contains("\"/api/v1/openapi.json\""));
    assert_eq!(get(&n.router, "/api/v1/docs/swagger-ui-bundle.js").await.status, StatusCode::OK);
    let elsewhere = get(&n.router, "/api/v1/status").await;
    assert!(!elsewhere.headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii").contains("unsafe-inline"));
    let missing = get(&n.router, "/api/v1/docs/nothing.js").await;
    missing.refused(StatusCode::NOT_FOUND, "unknown_route");
}

#[test]
fn openapi_document_lists_exactly_the_routes_served() {
    let doc = openapi();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| ops.as_object().expect("operations").keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    let served: BTreeSet<(String, String)> =
        api::route_table().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, served, "the OpenAPI document and the router disagree: annotate the handler with #[utoipa::path] and list it in api/openapi.rs");
}

#[test]
fn openapi_document_resolves_every_schema_reference() {
    let text = api::openapi_document();
    let doc = openapi();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().expect("a name");
        assert!(schemas.contains_key(name), "schema {name} is referenced but not defined");
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let n = node(Some(TOKEN));
    for (method, path) in api::route_table() {
        let uri =
            path.replace("{id}", &n.fed.id().to_hex()).replace("{version}", "0").replace("{key}", &"ab".repeat(32));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let req = Request::builder().method(method).uri(&uri).body(Body::empty()).expect("request");
        let r = send(&n.router, req).await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        if r.status == StatusCode::NOT_FOUND {
            assert_ne!(r.json()["code"], "unknown_route", "{uri}");
        }
        assert!(!r.status.is_server_error(), "{uri}: {}", r.status);
    }
}

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object().expect("operations").iter().map(move |(m, op)| (m.clone(), path.clone(), op.clone()))
        })
        .collect()
}

#[test]
fn openapi_document_lists_415_wherever_a_body_is_read() {
    for (method, path, op) in operations(&openapi()) {
        if op.get("requestBody").is_some() {
            assert!(op["responses"].get("415").is_some(), "{method} {path} reads a body but documents no 415");
        }
    }
}

#[tokio::test]
async fn openapi_bounds_are_the_ones_the_handlers_enforce() {
    let doc = openapi();
    let record = &doc["components"]["schemas"]["RecordUpload"]["properties"]["record"];
    assert_eq!(record["minLength"], 2, "an empty record is refused");
    assert_eq!(record["maxLength"], 2 * samverka_protocol::encoding::MAX_RECORD_BYTES);
    let (_, _, list) = operations(&doc)
        .into_iter()
        .find(|(m, p, _)| m == "get" && p == "/api/v1/records")
        .expect("GET /api/v1/records is documented");
    let cursor = list["parameters"].as_array().expect("parameters").iter().find(|p| p["name"] == "cursor");
    let cursor = &cursor.expect("a cursor parameter")["schema"];
    assert_eq!((cursor["minLength"].clone(), cursor["maxLength"].clone()), (json!(16), json!(16)));

    let n = node(Some(TOKEN));
    let r = post_json(&n.router, "/api/v1/records", json!({ "record": "" }), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "below minLength: refused as the document says");
    let r = get(&n.router, "/api/v1/records?cursor=").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "below minLength: refused as the document says");
    let r = get(&n.router, &format!("/api/v1/records?cursor={}", "0".repeat(16))).await;
    assert_eq!(r.status, StatusCode::OK, "a cursor of the documented form is taken");
}

#[test]
fn a_record_body_matches_exactly_one_of_the_documented_schemas() {
    let doc = openapi();
    let schemas = &doc["components"]["schemas"];
    let required = |schema: &Value| -> BTreeSet<String> {
        let list = schema["required"].as_array().expect("required").iter();
        list.map(|r| r.as_str().expect("a name").to_owned()).collect()
    };
    let charter = required(&schemas["Charter"]);
    let update = required(&schemas["RosterUpdate"]);
    assert!(charter.contains("founders") && !update.contains("founders"), "a roster update is no charter");
    assert!(update.contains("changes") && !charter.contains("changes"), "a charter is no roster update");
    let body = schemas["RecordBody"]["oneOf"].as_array().expect("oneOf");
    for other in body.iter().filter(|b| b.get("$ref").is_none()) {
        assert_eq!(other["additionalProperties"], json!(false), "{other}: takes no charter's or update's fields");
        let other = required(other);
        assert!(!other.contains("founders") && !other.contains("changes") && !other.is_empty());
    }
}
