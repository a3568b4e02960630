//! Styrgrupp governance through the HTTP API of a real ledger: Norrbotten's 14 kommuner put a
//! matter, the host's node registers it in the diarium, every member votes, the host's node closes
//! the ballot, and the decision is served as JSON, PDF and CSV — plus meetings, minutes and their
//! justering, paper blobs, and the refusals (nothing stored on bad input).

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;
use samverka_node::ledger::Ledger;
use samverka_protocol::governance::{
    content_hash, Choice, Justering, Matter, Meeting, Minutes, MinutesItem, PaperRef, Procedure, Vote,
};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body as _, Kind, MatterKind, MemberId, Record, RecordId, Role, Unverified};
use serde_json::{json, Value};
use support::{get, ledger_with, pdftotext, post_empty, post_json, post_raw, router_with};

const TOKEN: &str = "operator-s3cret";
const HOST: &str = "2580";
const KIRUNA: &str = "2584";
const BODEN: &str = "2582";

/// A node of the host (Luleå) in a 14-member federation with a styrgrupp: one ordinarie per
/// member, Luleå's förvaltare (prepares matters) and ordförande (chairs), and two node keys —
/// Luleå's (this node's) and Kiruna's (for a node that is not the host's).
struct Styrgrupp {
    _dir: tempfile::TempDir,
    ledger: Arc<Ledger>,
    router: Router,
    fed: Federation,
    ordinarie: BTreeMap<MemberId, Author>,
    forvaltare: Author,
    chair: Author,
    kiruna_node: samverka_protocol::SigningKey,
    /// This node's key: the closer the matters name.
    host_node: samverka_protocol::SigningKey,
}

fn styrgrupp() -> Styrgrupp {
    let (mut fed, ordinarie) = support::norrbotten_with_ordinarie();
    let forvaltare = fed.certify_person(HOST, "2580/forvaltare", &[Role::Forvaltare]);
    let chair = fed.certify_person(HOST, "2580/ordforande", &[Role::Ordforande]);
    let host_node = fed.certify_node(HOST, "2580/node");
    let kiruna_node = fed.certify_node(KIRUNA, "2584/node").key;
    let (dir, ledger) = ledger_with(&fed);
    let router = router_with(&ledger, host_node.key.clone(), Some(TOKEN));
    Styrgrupp { _dir: dir, ledger, router, fed, ordinarie, forvaltare, chair, kiruna_node, host_node: host_node.key }
}

impl Styrgrupp {
    fn sign(&self, author: &mut Author, kind: Kind, body: Vec<u8>) -> Record<Unverified> {
        author.next(self.fed.id(), self.fed.version(), kind, body)
    }

    /// Submits a signed record through `POST /api/v1/records`, expecting it stored.
    async fn submit(&self, record: &Record<Unverified>) -> RecordId {
        let r = post_raw(&self.router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
        let body = r.ok(StatusCode::CREATED);
        assert_eq!(body["outcome"], "stored", "{body}");
        record.id()
    }

    async fn put_matter(&mut self, title: &str, kind: MatterKind, papers: Vec<PaperRef>) -> RecordId {
        let matter = Matter {
            kind,
            title: title.into(),
            proposal: format!("Styrgruppen beslutar att anta {title}."),
            alternatives: vec![],
            papers,
            procedure: Procedure::Meeting { meeting: None },
            closer: self.host_node.public(),
            subject: None,
        };
        let mut author = self.forvaltare.clone();
        let record = self.sign(&mut author, Kind::Matter, matter.to_bytes());
        self.forvaltare = author;
        self.submit(&record).await
    }

    fn vote(&mut self, member: &str, matter: RecordId, choice: Choice) -> Record<Unverified> {
        let body = Vote { matter, member: member.into(), choice }.to_bytes();
        let (fed, version) = (self.fed.id(), self.fed.version());
        let author = self.ordinarie.get_mut(member).expect("a member");
        author.next(fed, version, Kind::Vote, body)
    }

    /// Every member votes: 9 yes, 3 no, 2 abstain.
    async fn vote_9_3_2(&mut self, matter: RecordId) {
        let members: Vec<MemberId> = self.ordinarie.keys().cloned().collect();
        for (i, m) in members.iter().enumerate() {
            let choice = match i {
                0..=8 => Choice::Yes,
                9..=11 => Choice::No,
                _ => Choice::Abstain,
            };
            let record = self.vote(m, matter, choice);
            self.submit(&record).await;
        }
    }

    fn count(&self) -> u64 {
        self.ledger.store().count().expect("count")
    }
}

fn year_now() -> i16 {
    jiff::Timestamp::now().in_tz("Europe/Stockholm").expect("tz").year()
}

/// Checks the PDF's cross-reference table: each entry points at its object.
fn check_xref(pdf: &[u8]) {
    samverka_node::report::check_xref(pdf).expect("a well-formed PDF");
}

// ---------------------------------------------------------------- the full flow

#[tokio::test]
async fn matter_is_registered_voted_closed_and_decided() {
    let mut s = styrgrupp();
    let a = s.put_matter("Förvaltningsplan 2027", MatterKind::Forvaltningsplan, vec![]).await;
    let b = s.put_matter("Byte av inloggningstjänst", MatterKind::Ovrigt, vec![]).await;

    let year = year_now();
    let r = post_empty(&s.router, &format!("/api/v1/matters/{}/diarium", a.to_hex()), Some(TOKEN)).await;
    assert_eq!(r.ok(StatusCode::CREATED)["diarienummer"], format!("SAM {year}/0001"));
    let r = post_empty(&s.router, &format!("/api/v1/matters/{}/diarium", b.to_hex()), Some(TOKEN)).await;
    assert_eq!(r.ok(StatusCode::CREATED)["diarienummer"], format!("SAM {year}/0002"));
    let r = post_empty(&s.router, &format!("/api/v1/matters/{}/diarium", a.to_hex()), Some(TOKEN)).await;
    r.refused(StatusCode::CONFLICT, "already_registered");

    let list = get(&s.router, "/api/v1/matters").await.ok(StatusCode::OK);
    let matters = list["matters"].as_array().expect("matters");
    assert_eq!(matters.len(), 2);
    let first = matters.iter().find(|m| m["id"] == a.to_hex()).expect("matter a listed");
    assert_eq!(first["diarienummer"], format!("SAM {year}/0001"));
    assert_eq!(first["status"], "open");
    assert_eq!(first["kind"], "forvaltningsplan");

    s.vote_9_3_2(a).await;
    let open = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(open["status"], "open");
    assert_eq!(open["provisional"], true);
    assert_eq!(open["tally"]["yes"], 9);

    let closed = post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await;
    let closed = closed.ok(StatusCode::CREATED);
    assert_eq!(closed["outcome"]["result"], "adopted", "{closed}");
    assert_eq!(closed["counted"], 14);
    let closing = closed["id"].as_str().expect("closing id").to_owned();

    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["status"], "closed");
    assert_eq!(view["provisional"], false);
    assert_eq!(view["outcome"]["result"], "adopted");
    let t = &view["tally"];
    assert_eq!((t["yes"].as_u64(), t["no"].as_u64(), t["abstain"].as_u64()), (Some(9), Some(3), Some(2)));
    assert_eq!((t["members_voting"].as_u64(), t["members_total"].as_u64()), (Some(14), Some(14)));
    assert_eq!(view["diarium"]["diarienummer"], format!("SAM {year}/0001"));
    let votes = view["votes"].as_array().expect("votes");
    assert_eq!(votes.len(), 14);
    assert!(votes.iter().all(|v| v["counted"] == true), "{view}");
    assert_eq!(view["proof"]["closings"], serde_json::json!([closing]));
    assert_eq!(view["proof"]["counted_votes"].as_array().map(Vec::len), Some(14));
    assert_eq!(view["closings"][0]["member"], HOST);

    let decisions = get(&s.router, "/api/v1/decisions").await.ok(StatusCode::OK);
    let decided: Vec<&Value> = decisions["decisions"].as_array().expect("decisions").iter().collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["id"], a.to_hex());
    assert_eq!(decided[0]["outcome"]["result"], "adopted");

    let before = s.count();
    post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN))
        .await
        .refused(StatusCode::CONFLICT, "already_closed");
    assert_eq!(s.count(), before, "a refused closing stores nothing");
}

#[tokio::test]
async fn a_vote_after_the_closing_is_not_counted() {
    let mut s = styrgrupp();
    let a = s.put_matter("Investering i ny server", MatterKind::Investering, vec![]).await;
    let members: Vec<MemberId> = s.ordinarie.keys().cloned().collect();
    let mut first = None;
    for m in &members[..8] {
        let v = s.vote(m, a, Choice::Yes);
        first.get_or_insert(v.id());
        s.submit(&v).await;
    }
    // Before the closing, the first member changes its mind: its first vote is superseded.
    let revised = s.vote(&members[0], a, Choice::No);
    s.submit(&revised).await;
    post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await.ok(StatusCode::CREATED);
    // After it, the second member changes its mind and another votes for the first time: both too late.
    let changed = s.vote(&members[1], a, Choice::No);
    let late = s.vote(&members[10], a, Choice::No);
    s.submit(&changed).await;
    s.submit(&late).await;

    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["status"], "closed");
    assert_eq!(view["tally"]["yes"], 7);
    assert_eq!(view["tally"]["no"], 1);
    assert_eq!(view["tally"]["members_voting"], 8);
    assert_eq!(view["outcome"]["result"], "adopted");
    let standing = |id: RecordId| {
        let v = view["votes"].as_array().expect("votes").iter().find(|v| v["id"] == id.to_hex()).expect("listed");
        (v["counted"].clone(), v["excluded"]["code"].clone())
    };
    assert_eq!(standing(revised.id()), (json!(true), Value::Null));
    let superseded = first.expect("eight votes");
    assert_eq!(standing(superseded), (json!(false), json!("superseded")), "superseded, not 'after the closing'");
    for id in [changed.id(), late.id()] {
        assert_eq!(standing(id), (json!(false), json!("after_closing")));
    }
    let csv = get(&s.router, &format!("/api/v1/matters/{}/decision.csv", a.to_hex())).await;
    let text = String::from_utf8(csv.bytes[3..].to_vec()).expect("UTF-8");
    let row = |id: RecordId| text.split("\r\n").find(|r| r.contains(&id.to_hex())).expect("a row per vote").to_owned();
    assert!(row(superseded).contains(";nej;superseded;ersatt av medlemmens senare röst"), "{text}");
    assert!(row(late.id()).contains(";nej;after_closing;kom efter att omröstningen stängdes"), "{text}");
}

#[tokio::test]
async fn the_closers_node_receipts_each_vote_once_and_its_closing_accounts_for_them() {
    let mut s = styrgrupp();
    let a = s.put_matter("Ny e-tjänst", MatterKind::Ovrigt, vec![]).await;
    let vote = s.vote(KIRUNA, a, Choice::Yes);
    s.submit(&vote).await;
    let held = s.ledger.store().get(&vote.id()).expect("read").expect("the vote is held");
    let receipt = samverka_node::governance::issue_receipt(&s.ledger, &s.host_node, &held)
        .expect("authoring a receipt")
        .expect("the closer owes a receipt for a vote on its matter");
    assert_eq!(receipt.header().kind, Kind::VoteReceipt);
    let again = samverka_node::governance::issue_receipt(&s.ledger, &s.host_node, &held).expect("no error");
    assert!(again.is_none(), "one receipt per vote");
    let kiruna = samverka_node::governance::issue_receipt(&s.ledger, &s.kiruna_node, &held).expect("no error");
    assert!(kiruna.is_none(), "only the matter's closer receipts");
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["closer"], s.host_node.public().to_hex());
    assert_eq!(view["votes"][0]["receipt"], receipt.id().to_hex());
    post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await.ok(StatusCode::CREATED);
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!((view["status"].clone(), view["votes"][0]["counted"].clone()), (json!("closed"), json!(true)));
    let after = samverka_node::governance::issue_receipt(&s.ledger, &s.host_node, &held).expect("no error");
    assert!(after.is_none(), "no receipts once the closer has closed");
}

#[tokio::test]
async fn decision_pdf_and_csv_name_every_vote_and_the_proof() {
    let mut s = styrgrupp();
    let a =
        s.put_matter("Förvaltningsplan 2027 för Övertorneå och Älvsbyn", MatterKind::Forvaltningsplan, vec![]).await;
    post_empty(&s.router, &format!("/api/v1/matters/{}/diarium", a.to_hex()), Some(TOKEN))
        .await
        .ok(StatusCode::CREATED);
    s.vote_9_3_2(a).await;
    let closing = post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await;
    let closing = closing.ok(StatusCode::CREATED)["id"].as_str().expect("id").to_owned();

    let pdf = get(&s.router, &format!("/api/v1/matters/{}/decision.pdf", a.to_hex())).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-1.4") && pdf.bytes.ends_with(b"%%EOF\n"));
    check_xref(&pdf.bytes);
    match pdftotext(&pdf.bytes) {
        Some(text) => {
            let flat = text.replace('\n', " ");
            for needle in [
                "Förvaltningsplan 2027 för Övertorneå och Älvsbyn",
                &format!("SAM {}/0001", year_now()),
                "Arjeplogs kommun (2506): ja",
                "Luleå kommun (2580): nej",
                "Övertorneå kommun (2518)",
                "Ja: 9 Nej: 3 Avstår: 2",
                "samverka verify",
                &closing[..40],
            ] {
                let squeezed = flat.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(squeezed.contains(needle), "the PDF text lacks {needle:?}:\n{text}");
            }
        }
        None => eprintln!("pdftotext is not installed (apt-get install poppler-utils): checked the structure only"),
    }

    let csv = get(&s.router, &format!("/api/v1/matters/{}/decision.csv", a.to_hex())).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 with BOM for Excel");
    let text = String::from_utf8(csv.bytes[3..].to_vec()).expect("UTF-8");
    let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 1 + 14, "a header and one row per member vote");
    assert!(rows[0].starts_with("diarienummer;ärende;kommunkod;medlem;val;"));
    assert!(rows.iter().all(|r| r.split(';').count() == 12), "{text}");
    let lulea = rows.iter().find(|r| r.contains(";2580;")).expect("Luleå's vote");
    assert!(lulea.contains(";Luleå kommun;nej;ja;;;2026-11-23;"), "{lulea}");
    assert!(rows.iter().any(|r| r.contains("Övertorneå kommun")));
    assert_eq!(rows.iter().filter(|r| r.contains(";nej;ja;")).count(), 3, "three counted no votes");
}

#[tokio::test]
async fn a_title_a_spreadsheet_would_run_as_a_formula_is_exported_as_text() {
    let mut s = styrgrupp();
    let a = s.put_matter("=HYPERLINK(\"http://x\",\"y\")", MatterKind::Ovrigt, vec![]).await;
    let vote = s.vote(KIRUNA, a, Choice::Yes);
    s.submit(&vote).await;
    let csv = get(&s.router, &format!("/api/v1/matters/{}/decision.csv", a.to_hex())).await;
    let text = String::from_utf8(csv.bytes[3..].to_vec()).expect("UTF-8");
    let row = text.split("\r\n").nth(1).expect("a row for the vote");
    assert!(row.starts_with(";\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\";"), "{row}");
    assert!(!row.split(';').any(|cell| cell.starts_with('=')), "{row}");
}

// ---------------------------------------------------------------- refusals

#[tokio::test]
async fn unknown_and_malformed_matter_ids_are_refused() {
    let s = styrgrupp();
    let unknown = "ab".repeat(32);
    for uri in [
        format!("/api/v1/matters/{unknown}"),
        format!("/api/v1/matters/{unknown}/decision.pdf"),
        format!("/api/v1/matters/{unknown}/decision.csv"),
    ] {
        get(&s.router, &uri).await.refused(StatusCode::NOT_FOUND, "unknown_matter");
    }
    get(&s.router, "/api/v1/matters/not-an-id").await.refused(StatusCode::BAD_REQUEST, "bad_id");
    get(&s.router, &format!("/api/v1/minutes/{unknown}")).await.refused(StatusCode::NOT_FOUND, "unknown_minutes");
    get(&s.router, "/api/v1/minutes/xyz/minutes.pdf").await.refused(StatusCode::BAD_REQUEST, "bad_id");
    let before = s.count();
    for action in ["diarium", "close"] {
        post_empty(&s.router, &format!("/api/v1/matters/{unknown}/{action}"), Some(TOKEN))
            .await
            .refused(StatusCode::NOT_FOUND, "unknown_matter");
        post_empty(&s.router, &format!("/api/v1/matters/zz/{action}"), Some(TOKEN))
            .await
            .refused(StatusCode::BAD_REQUEST, "bad_id");
    }
    // A record id that is not a matter (the charter) is not a matter either.
    let charter = s.fed.charter.id().to_hex();
    post_empty(&s.router, &format!("/api/v1/matters/{charter}/close"), Some(TOKEN))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_matter");
    assert_eq!(s.count(), before);
}

#[tokio::test]
async fn operator_endpoints_need_the_token_and_store_nothing_without_it() {
    let mut s = styrgrupp();
    let a = s.put_matter("Budget 2027", MatterKind::Budget, vec![]).await;
    let before = s.count();
    for action in ["diarium", "close"] {
        let uri = format!("/api/v1/matters/{}/{action}", a.to_hex());
        post_empty(&s.router, &uri, None).await.refused(StatusCode::UNAUTHORIZED, "unauthorized");
        post_empty(&s.router, &uri, Some("wrong")).await.refused(StatusCode::FORBIDDEN, "bad_token");
    }
    assert_eq!(s.count(), before);
}

#[tokio::test]
async fn a_member_notes_its_own_local_diarienummer_on_its_node() {
    let mut s = styrgrupp();
    let a = s.put_matter("Förvaltningsplan 2027", MatterKind::Forvaltningsplan, vec![]).await;
    let uri = format!("/api/v1/matters/{}/local-dnr", a.to_hex());
    post_json(&s.router, &uri, json!({ "dnr": "KS 2026/0412" }), None)
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthorized");
    post_json(&s.router, &uri, json!({ "dnr": "" }), Some(TOKEN))
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_local_dnr");
    post_json(&s.router, &uri, json!({ "dnr": "rad 1\nrad 2" }), Some(TOKEN))
        .await
        .refused(StatusCode::BAD_REQUEST, "bad_local_dnr");
    let unknown = format!("/api/v1/matters/{}/local-dnr", "ab".repeat(32));
    post_json(&s.router, &unknown, json!({ "dnr": "KS 1" }), Some(TOKEN))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_matter");
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["local_dnr"], Value::Null);
    let before = s.count();
    post_json(&s.router, &uri, json!({ "dnr": "KS 2026/0412" }), Some(TOKEN)).await.ok(StatusCode::OK);
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["local_dnr"], "KS 2026/0412");
    assert_eq!(s.count(), before, "a local note is not a shared record");
}

#[tokio::test]
async fn a_node_that_is_not_the_hosts_cannot_register_or_close() {
    let mut s = styrgrupp();
    let a = s.put_matter("Nytt avtal med leverantören", MatterKind::NyttAvtal, vec![]).await;
    let v = s.vote(KIRUNA, a, Choice::Yes);
    s.submit(&v).await;
    let kiruna = router_with(&s.ledger, s.kiruna_node.clone(), Some(TOKEN));
    let before = s.count();
    let r = post_empty(&kiruna, &format!("/api/v1/matters/{}/diarium", a.to_hex()), Some(TOKEN)).await;
    let body = r.refused(StatusCode::UNPROCESSABLE_ENTITY, "not_authorised");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("host")), "{body}");
    let r = post_empty(&kiruna, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await;
    let body = r.refused(StatusCode::CONFLICT, "not_designated_closer");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("closer")), "{body}");
    assert_eq!(s.count(), before, "nothing stored");
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["status"], "open");
    assert_eq!(view["diarium"], Value::Null);
}

// ---------------------------------------------------------------- meetings and minutes

#[tokio::test]
async fn minutes_are_justerade_when_chair_and_both_justerare_sign() {
    let mut s = styrgrupp();
    let a = s.put_matter("Utvecklingsplan 2027", MatterKind::Utvecklingsplan, vec![]).await;
    let meeting = Meeting {
        title: "Styrgruppsmöte december".into(),
        date: "2026-12-03".into(),
        place: "Luleå stadshus".into(),
        agenda: vec![a],
        notice_given_on: "2026-11-23".into(),
    };
    let mut f = s.forvaltare.clone();
    let meeting_record = s.sign(&mut f, Kind::Meeting, meeting.to_bytes());
    s.forvaltare = f;
    let meeting_id = s.submit(&meeting_record).await;
    s.vote_9_3_2(a).await;
    let closing = post_empty(&s.router, &format!("/api/v1/matters/{}/close", a.to_hex()), Some(TOKEN)).await;
    let closing = RecordId::from_hex(closing.ok(StatusCode::CREATED)["id"].as_str().expect("id")).expect("hex");

    let meetings = get(&s.router, "/api/v1/meetings").await.ok(StatusCode::OK);
    let m = &meetings["meetings"][0];
    assert_eq!(m["id"], meeting_id.to_hex());
    assert_eq!(m["agenda"][0]["title"], "Utvecklingsplan 2027");

    let justerare = [s.ordinarie[KIRUNA].key.public(), s.ordinarie[BODEN].key.public()];
    let mut present: Vec<MemberId> = s.ordinarie.keys().cloned().collect();
    present.sort();
    let minutes = Minutes {
        meeting: meeting_id,
        present,
        items: vec![MinutesItem { matter: a, closing: Some(closing), text: "Styrgruppen antog planen.".into() }],
        justerare,
        chair: s.chair.key.public(),
        anslag_date: Some("2026-12-10".into()),
    };
    let mut chair = s.chair.clone();
    let minutes_record = s.sign(&mut chair, Kind::Minutes, minutes.to_bytes());
    let minutes_id = s.submit(&minutes_record).await;

    let view = get(&s.router, &format!("/api/v1/minutes/{}", minutes_id.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["justering"]["status"], "pending");
    assert_eq!(view["justering"]["missing"].as_array().map(Vec::len), Some(3));
    assert_eq!(view["items"][0]["outcome"]["result"], "adopted");

    let justering = Justering { minutes: minutes_id }.to_bytes();
    let r = s.sign(&mut chair, Kind::Justering, justering.clone());
    s.submit(&r).await;
    for member in [KIRUNA, BODEN] {
        let mut j = s.ordinarie[member].clone();
        let r = s.sign(&mut j, Kind::Justering, justering.clone());
        s.ordinarie.insert(member.into(), j);
        s.submit(&r).await;
    }
    let view = get(&s.router, &format!("/api/v1/minutes/{}", minutes_id.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["justering"]["status"], "justerat", "{view}");
    assert_eq!(view["chair"]["signed"], true);
    assert_eq!(view["justering"]["records"].as_array().map(Vec::len), Some(3));
    let meetings = get(&s.router, "/api/v1/meetings").await.ok(StatusCode::OK);
    assert_eq!(meetings["meetings"][0]["minutes"][0], minutes_id.to_hex());

    let pdf = get(&s.router, &format!("/api/v1/minutes/{}/minutes.pdf", minutes_id.to_hex())).await;
    assert_eq!(pdf.status, StatusCode::OK);
    check_xref(&pdf.bytes);
    if let Some(text) = pdftotext(&pdf.bytes) {
        assert!(text.contains("Status: justerat"), "{text}");
        assert!(text.contains("Luleå stadshus"), "{text}");
    }
    let csv = get(&s.router, &format!("/api/v1/minutes/{}/minutes.csv", minutes_id.to_hex())).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let text = String::from_utf8(csv.bytes).expect("UTF-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("paragraf;diarienummer;ärende;beslut"), "{text}");
    assert!(lines[1].starts_with("§ 1;"), "{text}");
    assert!(
        lines.iter().skip(1).all(|l| l.contains(";justerat;")),
        "every paragraph shows the minutes justerat: {text}"
    );
}

// ---------------------------------------------------------------- papers and chain heads

#[tokio::test]
async fn paper_bytes_are_stored_by_hash_only_when_a_record_names_them() {
    let mut s = styrgrupp();
    let content = "Förvaltningsplan 2027 — underlag".repeat(100).into_bytes();
    let hash = content_hash(&content);
    let paper = PaperRef { name: "plan.pdf".into(), content_hash: hash, size: content.len() as u64 };
    // Before any record names it, the bytes are refused.
    post_raw(&s.router, "/api/v1/papers", "application/octet-stream", content.clone())
        .await
        .refused(StatusCode::UNPROCESSABLE_ENTITY, "unreferenced_paper");
    let a = s.put_matter("Förvaltningsplan 2027", MatterKind::Forvaltningsplan, vec![paper]).await;
    let r = post_raw(&s.router, "/api/v1/papers", "application/octet-stream", content.clone()).await;
    assert_eq!(r.ok(StatusCode::CREATED)["content_hash"], hash.to_hex());
    let again = post_raw(&s.router, "/api/v1/papers", "application/octet-stream", content.clone()).await;
    assert_eq!(again.ok(StatusCode::OK)["outcome"], "duplicate");
    let served = get(&s.router, &format!("/api/v1/papers/{}", hash.to_hex())).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.bytes, content);
    let view = get(&s.router, &format!("/api/v1/matters/{}", a.to_hex())).await.ok(StatusCode::OK);
    assert_eq!(view["matter"]["papers"][0]["stored"], true);

    post_raw(&s.router, "/api/v1/papers", "application/json", b"{}".to_vec())
        .await
        .refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    post_raw(&s.router, "/api/v1/papers", "application/octet-stream", vec![])
        .await
        .refused(StatusCode::BAD_REQUEST, "empty_paper");
    get(&s.router, &format!("/api/v1/papers/{}", "cd".repeat(32)))
        .await
        .refused(StatusCode::NOT_FOUND, "unknown_paper");
    get(&s.router, "/api/v1/papers/nope").await.refused(StatusCode::BAD_REQUEST, "bad_hash");
}

#[tokio::test]
async fn author_head_gives_the_next_chain_position() {
    let mut s = styrgrupp();
    let key = s.ordinarie[KIRUNA].key.public().to_hex();
    let head = get(&s.router, &format!("/api/v1/authors/{key}/head")).await.ok(StatusCode::OK);
    assert_eq!(head["next_seq"], 0);
    assert_eq!(head["prev"], Value::Null);
    assert_eq!(head["member"], KIRUNA);
    assert_eq!(head["federation"], s.fed.id().to_hex());
    let a = s.put_matter("Övrigt ärende", MatterKind::Ovrigt, vec![]).await;
    let v = s.vote(KIRUNA, a, Choice::Abstain);
    s.submit(&v).await;
    let head = get(&s.router, &format!("/api/v1/authors/{key}/head")).await.ok(StatusCode::OK);
    assert_eq!(head["next_seq"], 1);
    assert_eq!(head["prev"], v.id().to_hex());
    get(&s.router, "/api/v1/authors/xyz/head").await.refused(StatusCode::BAD_REQUEST, "bad_key");
}

// ---------------------------------------------------------------- the command line

/// Runs the `samverka` binary with `args`, returning (success, stdout, stderr).
async fn samverka(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_samverka"))
            .args(&args)
            .env_remove("SAMVERKA_API_TOKEN")
            .output()
            .expect("the samverka binary runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    })
    .await
    .expect("the process finished")
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_transcript_sign_register_vote_close_and_download() {
    let s = styrgrupp();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    let router = s.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = |name: &str, author: &Author| {
        let path = dir.path().join(format!("{name}.key"));
        samverka_node::keyfile::write_secret(&path, name, &author.key).expect("key file written");
        path.display().to_string()
    };
    let forvaltare = key_file("forvaltare", &s.forvaltare);
    let paper = dir.path().join("underlag.txt");
    std::fs::write(&paper, "Underlag för Kalix och Överkalix").expect("paper written");

    // The förvaltare signs a matter on her own machine; the node stores it and its paper.
    let (ok, out, err) = samverka(args(&[
        "sign",
        "--key",
        &forvaltare,
        "--api",
        &api,
        "matter",
        "--kind",
        "ovrigt",
        "--title",
        "Gemensam e-tjänst",
        "--proposal",
        "Styrgruppen beslutar att införa e-tjänsten.",
        "--paper",
        &paper.display().to_string(),
    ]))
    .await;
    assert!(ok, "{out}{err}");
    let line = out.lines().next().expect("a line");
    assert!(line.starts_with("matter ") && line.ends_with(" stored"), "{out}");
    assert!(out.contains("paper ") && out.lines().nth(1).is_some_and(|l| l.ends_with(" stored")), "{out}");
    let matter = line.split(' ').nth(1).expect("the id").to_owned();

    // The host's operator registers it.
    let (ok, out, err) = samverka(args(&["register", "--api", &api, "--token", TOKEN, "--matter", &matter])).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("SAM {}/0001", year_now())), "{out}");

    // Eight members vote from their own machines; one writes the record to a file instead.
    let members: Vec<MemberId> = s.ordinarie.keys().cloned().collect();
    for (i, m) in members.iter().take(8).enumerate() {
        let key = key_file(&format!("ordinarie-{m}"), &s.ordinarie[m]);
        let choice = if i < 6 { "ja" } else { "nej" };
        let (ok, out, err) =
            samverka(args(&["sign", "--key", &key, "--api", &api, "vote", "--matter", &matter, "--choice", choice]))
                .await;
        assert!(ok, "{out}{err}");
        assert!(out.starts_with("vote ") && out.trim_end().ends_with(" stored"), "{out}");
        assert!(std::path::Path::new(&format!("{key}.chain")).exists(), "the chain position is kept beside the key");
    }
    let offline = key_file("ordinarie-offline", &s.ordinarie[&members[8]]);
    let vote_file = dir.path().join("vote.rec");
    let (ok, out, err) = samverka(args(&[
        "sign",
        "--key",
        &offline,
        "--api",
        &api,
        "--out",
        &vote_file.display().to_string(),
        "vote",
        "--matter",
        &matter,
        "--choice",
        "avstar",
    ]))
    .await;
    assert!(ok, "{out}{err}");
    let bytes = std::fs::read(&vote_file).expect("the vote file");
    let r = post_raw(&s.router, "/api/v1/records", "application/octet-stream", bytes).await;
    r.ok(StatusCode::CREATED);

    // A choice the matter does not offer is refused before anything is signed.
    let key = key_file("ordinarie-bad", &s.ordinarie[&members[9]]);
    let (ok, _, err) =
        samverka(args(&["sign", "--key", &key, "--api", &api, "vote", "--matter", &matter, "--choice", "kanske"]))
            .await;
    assert!(!ok && err.contains("--choice"), "{err}");
    let (ok, _, err) =
        samverka(args(&["sign", "--key", &key, "--api", &api, "vote", "--matter", &matter, "--choice", "2"])).await;
    assert!(!ok && err.contains("yes/no matter"), "{err}");
    assert!(!std::path::Path::new(&format!("{key}.chain")).exists(), "nothing was signed");

    let (ok, out, err) = samverka(args(&["close", "--api", &api, "--token", TOKEN, "--matter", &matter])).await;
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("closed matter ") && out.contains("bifall"), "{out}");

    let (ok, out, err) = samverka(args(&["matters", "--api", &api, "--decided"])).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("SAM {}/0001", year_now())) && out.contains("bifallet"), "{out}");

    let (ok, out, err) = samverka(args(&["decision", "--api", &api, "--matter", &matter])).await;
    assert!(ok && out.contains("ja 6 nej 2 avstår 1"), "{out}{err}");
    let (ok, out, err) = samverka(args(&["decision", "--api", &api, "--matter", &matter, "--json"])).await;
    assert!(ok, "{out}{err}");
    let view: Value = serde_json::from_str(&out).expect("the decision as JSON");
    assert_eq!(view["tally"]["yes"], 6);
    assert_eq!(view["tally"]["no"], 2);
    assert_eq!(view["tally"]["abstain"], 1);

    let pdf = dir.path().join("beslut.pdf");
    let (ok, out, err) =
        samverka(args(&["decision", "--api", &api, "--matter", &matter, "--pdf", &pdf.display().to_string()])).await;
    assert!(ok, "{out}{err}");
    let pdf = std::fs::read(&pdf).expect("the PDF");
    check_xref(&pdf);
    let csv = dir.path().join("beslut.csv");
    let (ok, out, err) =
        samverka(args(&["decision", "--api", &api, "--matter", &matter, "--csv", &csv.display().to_string()])).await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&csv).expect("the CSV").lines().count(), 1 + 9);

    let (ok, _, err) = samverka(args(&["close", "--api", &api, "--token", "wrong", "--matter", &matter])).await;
    assert!(!ok && err.contains("bad_token"), "{err}");
    server.abort();
}

#[tokio::test]
async fn a_broken_governance_rule_is_refused_with_its_own_code() {
    let mut s = styrgrupp();
    let a = s.put_matter("Budget 2027", MatterKind::Budget, vec![]).await;
    let before = s.count();
    // Two days' notice where the charter's rules require five.
    let meeting = Meeting {
        title: "Extra styrgruppsmöte".into(),
        date: "2026-11-25".into(),
        place: "Stadshuset, Luleå".into(),
        agenda: vec![a],
        notice_given_on: "2026-11-23".into(),
    };
    let mut author = s.forvaltare.clone();
    let record = s.sign(&mut author, Kind::Meeting, meeting.to_bytes());
    let r = post_raw(&s.router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
    let body = r.refused(StatusCode::UNPROCESSABLE_ENTITY, "notice_too_short");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("require 5")), "{body}");
    assert_eq!(s.count(), before, "nothing stored");
}
