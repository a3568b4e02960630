//! Agreements at a node: the status from utkast to gällande as each party's firmatecknare
//! signs, a signature for another party refused over the API with its code, a notice signed
//! while the federation is partitioned giving every node the same end date, an amendment chain
//! with its history, the decision an agreement rests on, `samverka agreement check`, and the CLI
//! drafting, signing and giving notice against a live node.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::agreement;
use samverka_node::ledger::Ledger;
use samverka_protocol::agreement::{Act, Agreement, AgreementSignature, NoticeRule, Party, Status};
use samverka_protocol::governance::{Choice, Date};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body, Kind, MatterKind, Record, RecordId, Role, SigningKey, Unverified, Verified};
use support::{get, ledger_with, norrbotten_with_ordinarie, pdftotext, post_raw, router_with, samverka};

const HOST: &str = "2580";
const PARTIES: [&str; 3] = ["2580", "2582", "2581"];
const ON: &str = "2026-11-30";

/// Norrbotten with the host's förvaltare and node, a firmatecknare in Luleå, Boden and Piteå,
/// and every ordinarie; two nodes' ledgers holding the same federation.
struct World {
    fed: Federation,
    forvaltare: Author,
    host_node: SigningKey,
    signers: std::collections::BTreeMap<&'static str, Author>,
    ordinarie: std::collections::BTreeMap<String, Author>,
    ledger: Arc<Ledger>,
    other: Arc<Ledger>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    fn new() -> World {
        let (mut fed, ordinarie) = norrbotten_with_ordinarie();
        let forvaltare = fed.certify_person(HOST, "avtal/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "avtal/node").key;
        let signers = PARTIES
            .into_iter()
            .map(|m| (m, fed.certify_person(m, &format!("avtal/firmatecknare/{m}"), &[Role::Firmatecknare])))
            .collect();
        let (a, ledger) = ledger_with(&fed);
        let (b, other) = ledger_with(&fed);
        World { fed, forvaltare, host_node, signers, ordinarie, ledger, other, _dirs: (a, b) }
    }

    fn stored(ledger: &Ledger, record: &Record<Unverified>) -> Record<Verified> {
        ledger.ingest(record.clone()).expect("ingests");
        ledger.store().get(&record.id()).expect("read").expect("stored")
    }

    fn draft(&mut self, a: &Agreement) -> Record<Verified> {
        let record = self.forvaltare.next(self.fed.id(), self.fed.version(), Kind::Agreement, a.to_bytes());
        World::stored(&self.other, &record);
        World::stored(&self.ledger, &record)
    }

    fn signed(&mut self, member: &'static str, body: &AgreementSignature) -> Record<Unverified> {
        let signer = self.signers.get_mut(member).expect("a firmatecknare");
        signer.next(self.fed.id(), self.fed.version(), Kind::AgreementSignature, body.to_bytes())
    }

    /// Signs `id` for each of the three parties at both nodes.
    fn sign_all(&mut self, id: RecordId) {
        for (i, m) in PARTIES.into_iter().enumerate() {
            let record = self.signed(m, &sign(id, u16::try_from(i).expect("three parties")));
            World::stored(&self.ledger, &record);
            World::stored(&self.other, &record);
        }
    }

    fn report(&self, ledger: &Ledger, id: &RecordId) -> agreement::Report {
        let chain = ledger.chain().expect("federation");
        agreement::agreement(ledger.store(), &chain, id, day(ON)).expect("query").expect("held")
    }

    /// A matter of `kind` naming `subject`, every member voting yes, closed by the host's node.
    fn decide(&mut self, kind: MatterKind, subject: RecordId) -> RecordId {
        let host = self.host_node.clone();
        support::decide(
            &self.ledger,
            &host,
            &mut self.ordinarie,
            kind,
            "Ny överenskommelse om WebCare".into(),
            subject,
            Choice::Yes,
        )
    }
}

fn day(s: &str) -> Date {
    Date::parse(s).expect("a test date")
}

fn sign(agreement: RecordId, party: u16) -> AgreementSignature {
    AgreementSignature { agreement, party, act: Act::Sign, original: None }
}

fn webcare() -> Agreement {
    Agreement {
        title: "Överenskommelse om samverkan kring WebCare".into(),
        system: "WebCare".into(),
        parties: PARTIES.into_iter().map(|m| Party::Member { member: m.into() }).collect(),
        start: "2027-01-01".into(),
        end: None,
        notice: NoticeRule { months: 12, at_year_end: true },
        cost_key: None,
        annexes: vec![],
        text: "Parterna samverkar kring WebCare.".into(),
        amends: None,
    }
}

#[tokio::test]
async fn the_api_shows_who_has_signed_until_every_party_has_and_the_next_notice_deadline() {
    let mut w = World::new();
    let a = w.draft(&webcare());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let url = format!("/api/v1/agreements/{}?on={ON}", a.id());
    let view = get(&router, &url).await.ok(StatusCode::OK);
    assert_eq!(view["summary"]["status"]["status"], "utkast");
    let first = w.signed(HOST, &sign(a.id(), 0));
    World::stored(&w.ledger, &first);
    let view = get(&router, &url).await.ok(StatusCode::OK);
    assert_eq!(view["summary"]["status"]["status"], "under-signering");
    assert_eq!(view["summary"]["status"]["missing"], serde_json::json!([1, 2]));
    assert_eq!(view["parties"][0]["signature"]["record"], first.id().to_hex());
    assert_eq!(view["parties"][0]["signature"]["roles"], serde_json::json!(["firmatecknare"]));
    assert!(view["parties"][1]["signature"].is_null());
    for (i, m) in PARTIES.into_iter().enumerate().skip(1) {
        let record = w.signed(m, &sign(a.id(), u16::try_from(i).expect("three")));
        World::stored(&w.ledger, &record);
    }
    let list = get(&router, &format!("/api/v1/agreements?on={ON}")).await.ok(StatusCode::OK);
    let s = &list["agreements"][0];
    assert_eq!(s["status"]["status"], "gallande");
    assert_eq!(s["signed"], 3);
    // WebCare's rule on 2026-11-30: give notice by 2026-12-31 to end 2027-12-31.
    assert_eq!(s["deadline"], serde_json::json!({ "last_day": "2026-12-31", "ends": "2027-12-31" }));
    get(&router, "/api/v1/agreements?on=2026-02-30").await.refused(StatusCode::BAD_REQUEST, "bad_date");
    let unknown = format!("/api/v1/agreements/{}", "00".repeat(32));
    get(&router, &unknown).await.refused(StatusCode::NOT_FOUND, "unknown_agreement");
}

#[tokio::test]
async fn a_signature_for_another_party_is_refused_over_the_api_with_its_code() {
    let mut w = World::new();
    let a = w.draft(&webcare());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    // Boden's firmatecknare signs for Luleå (party 0).
    let record = w.signed("2582", &sign(a.id(), 0));
    let r = post_raw(&router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
    r.refused(StatusCode::UNPROCESSABLE_ENTITY, "signed_for_other_party");
}

#[test]
fn a_notice_signed_while_partitioned_gives_every_node_the_same_end_date() {
    let mut w = World::new();
    let a = w.draft(&webcare());
    w.sign_all(a.id());
    // Partitioned: Boden gives notice at one node, Piteå at the other, a day apart.
    let boden =
        w.signed("2582", &AgreementSignature { act: Act::Notice { given: "2026-11-23".into() }, ..sign(a.id(), 1) });
    let pitea =
        w.signed("2581", &AgreementSignature { act: Act::Notice { given: "2026-11-22".into() }, ..sign(a.id(), 2) });
    World::stored(&w.ledger, &boden);
    World::stored(&w.other, &pitea);
    let here = w.report(&w.ledger, &a.id());
    let there = w.report(&w.other, &a.id());
    assert!(matches!(here.summary.status, Status::Uppsagt { ends, .. } if ends == day("2027-12-31")));
    assert!(matches!(there.summary.status, Status::Uppsagt { ends, .. } if ends == day("2027-12-31")));
    // Healed: each node receives the other's notice; both settle on the same notice and day.
    World::stored(&w.ledger, &pitea);
    World::stored(&w.other, &boden);
    let here = w.report(&w.ledger, &a.id());
    let there = w.report(&w.other, &a.id());
    assert_eq!(here.summary.status, there.summary.status);
    let expected = Status::Uppsagt { notice: pitea.id(), given: day("2026-11-22"), ends: day("2027-12-31") };
    assert_eq!(here.summary.status, expected);
    assert_eq!(here.notices.len(), 2);
    assert!(here.notices.iter().all(|n| n.ends == day("2027-12-31")));
}

#[test]
fn an_amendment_chain_keeps_its_history_and_the_decision_each_version_rests_on() {
    let mut w = World::new();
    let v1 = w.draft(&webcare());
    let matter = w.decide(MatterKind::NyttAvtal, v1.id());
    w.sign_all(v1.id());
    let mut amended = webcare();
    amended.amends = Some(v1.id());
    amended.notice = NoticeRule { months: 6, at_year_end: true };
    let v2 = w.draft(&amended);
    let report = w.report(&w.ledger, &v1.id());
    assert!(matches!(report.summary.status, Status::Gallande { .. }), "{:?}", report.summary.status);
    assert_eq!(report.decisions.len(), 1);
    assert_eq!((report.decisions[0].matter, report.decisions[0].kind), (matter, MatterKind::NyttAvtal));
    w.sign_all(v2.id());
    let report = w.report(&w.ledger, &v1.id());
    assert_eq!(report.summary.status, Status::Andrat { by: v2.id() });
    let history: Vec<(RecordId, &str)> = report.history.iter().map(|(id, _, _, s)| (*id, *s)).collect();
    assert_eq!(history, vec![(v1.id(), "andrat"), (v2.id(), "gallande")]);
    let v2_report = w.report(&w.ledger, &v2.id());
    assert!(v2_report.decisions.is_empty(), "the decision named the first version");
    // The amendment's own rule gives its deadline: 6 months at year end from 2026-11-30.
    let deadline = v2_report.summary.deadline.expect("in force, tills vidare");
    assert_eq!((deadline.last_day, deadline.ends), (day("2027-06-30"), day("2027-12-31")));
}

/// The matter page names the agreement a decision rests on, and links to it.
#[tokio::test]
async fn the_matter_page_links_the_agreement_its_decision_names() {
    let mut w = World::new();
    let v1 = w.draft(&webcare());
    let matter = w.decide(MatterKind::NyttAvtal, v1.id());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let page = get(&router, &format!("/arenden/{}", matter.to_hex())).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.bytes).expect("UTF-8");
    let link =
        format!("Avtal som beslutet gäller</dt><dd><a href=\"/avtal/{}\">{}</a>", v1.id().to_hex(), webcare().title);
    assert!(html.contains(&link), "{html}");
}

const FILE: &str = r#"
title = "Överenskommelse om samverkan kring WebCare"
system = "WebCare"
start = "2012-01-01"
text = "Parterna samverkar kring WebCare."
notice = { months = 12, at_year_end = true }
parties = [
  { member = "2580" },
  { name = "Region Stockholm", organisationsnummer = "232100-0016" },
]
annexes = [{ name = "Bilaga 1 Förvaltningsspecifikation", file = "bilaga1.txt" }]
"#;

#[test]
fn agreement_check_states_the_rule_and_refuses_a_personnummer() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bilaga1.txt"), "Förvaltningsspecifikation").expect("write");
    let file = dir.path().join("avtal.toml");
    std::fs::write(&file, FILE).expect("write");
    let out = samverka(dir.path(), &["agreement", "check", file.to_str().expect("utf-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("uppsägning: 12 månaders uppsägningstid till årsskifte"), "{stdout}");
    assert!(stdout.contains("part 1: Region Stockholm (232100-0016)"), "{stdout}");
    assert!(stdout.contains("bilaga: Bilaga 1 Förvaltningsspecifikation (26 byte"), "{stdout}");
    assert!(stdout.contains("sista dag att säga upp"), "{stdout}");
    std::fs::write(&file, FILE.replace("232100-0016", "811218-9876")).expect("write");
    let out = samverka(dir.path(), &["agreement", "check", file.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("is a personnummer") && !stderr.contains("811218"), "{stderr}");
}

/// The PDF's text joined, for machines without `pdftotext`: this writer shows each line as one
/// uncompressed `<hex> Tj` in WinAnsiEncoding (ASCII as itself).
fn pdf_strings(pdf: &[u8]) -> String {
    let text = String::from_utf8_lossy(pdf);
    let mut out = String::new();
    for shown in text.split(" Tj").filter_map(|part| part.rsplit_once('<').map(|(_, hex)| hex.trim_end_matches('>'))) {
        let bytes = hex::decode(shown).unwrap_or_default();
        out.extend(bytes.into_iter().map(char::from));
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_pdf_certificate_lists_every_signature_and_the_deadline_is_a_calendar_entry() {
    let mut w = World::new();
    let a = w.draft(&webcare());
    w.sign_all(a.id());
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let r = get(&router, &format!("/api/v1/agreements/{}/agreement.pdf?on={ON}", a.id())).await;
    assert_eq!((r.status, r.content_type()), (StatusCode::OK, "application/pdf"));
    samverka_node::report::check_xref(&r.bytes).expect("a well-formed PDF");
    let report = w.report(&w.ledger, &a.id());
    let ids: Vec<String> =
        report.parties.iter().map(|p| p.signature.as_ref().expect("signed").record.to_hex()).collect();
    // The ids are small text, split when too long for a line: compare without whitespace.
    let text = pdftotext(&r.bytes).unwrap_or_else(|| pdf_strings(&r.bytes));
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for id in &ids {
        assert!(flat.contains(id.as_str()), "the certificate names signature {id}");
    }
    assert!(flat.contains(&a.id().to_hex()), "the certificate names the agreement");
    assert!(flat.contains("samverkaverify--archive"), "it says how to verify offline");
    let ics = get(&router, &format!("/api/v1/agreements/{}/deadline.ics?on={ON}", a.id())).await;
    assert_eq!(ics.status, StatusCode::OK);
    let body = String::from_utf8(ics.bytes.clone()).expect("UTF-8");
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.ends_with("END:VCALENDAR\r\n"), "{body}");
    assert!(body.contains("\r\nDTSTART;VALUE=DATE:20261231\r\n"), "{body}");
    assert!(body.contains("\r\nDTEND;VALUE=DATE:20270101\r\n"), "{body}");
    assert!(body.split("\r\n").all(|l| l.len() <= 75), "{body}");
    // Before every party has signed there is no deadline to keep.
    let draft = w.draft(&Agreement { title: "Utkast".into(), ..webcare() });
    get(&router, &format!("/api/v1/agreements/{}/deadline.ics", draft.id()))
        .await
        .refused(StatusCode::NOT_FOUND, "no_deadline");
}

/// Runs the `samverka` binary off the async runtime (the node it talks to runs on it).
async fn cli(dir: &std::path::Path, args: Vec<String>) -> (bool, String, String) {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = samverka(&dir, &args);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    })
    .await
    .expect("finished")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_drafts_signs_and_gives_notice_against_a_live_node_and_refuses_a_key_without_the_role() {
    let w = World::new();
    let router = router_with(&w.ledger, w.host_node.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.expect("serves") });
    let dir = tempfile::tempdir().expect("tempdir");
    let key = |name: &str, k: &SigningKey| {
        let path = dir.path().join(format!("{name}.key"));
        samverka_node::keyfile::write_secret(&path, name, k).expect("key file");
        path.display().to_string()
    };
    let forvaltare = key("forvaltare", &w.forvaltare.key);
    let lulea = key("lulea", &w.signers["2580"].key);
    let boden = key("boden", &w.signers["2582"].key);
    let voter = key("ordinarie", &w.ordinarie["2582"].key);
    let file = dir.path().join("avtal.toml");
    std::fs::write(
        &file,
        r#"
title = "Överenskommelse om e-arkiv"
system = "e-arkiv"
start = "2027-01-01"
text = "Parterna samverkar kring e-arkivet."
notice = { months = 12, at_year_end = true }
parties = [{ member = "2580" }, { member = "2582" }]
"#,
    )
    .expect("write");
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let file = file.display().to_string();

    let (ok, out, err) = cli(dir.path(), s(&["agreement", "draft", &file, "--key", &forvaltare, "--api", &api])).await;
    assert!(ok, "{err}");
    let id = out.lines().last().and_then(|l| l.split_whitespace().nth(1)).expect("<kind> <id> stored").to_owned();
    assert!(out.contains(&format!("{id} stored")), "{out}");

    let (ok, _, err) = cli(dir.path(), s(&["agreement", "sign", &id, "--key", &voter, "--api", &api])).await;
    assert!(!ok && err.contains("not_authorised"), "an ordinarie is no firmatecknare: {err}");
    assert_eq!(w.ledger.store().head(&w.ordinarie["2582"].key.public()).expect("head"), None, "nothing stored");

    for signer in [&lulea, &boden] {
        let (ok, out, err) = cli(dir.path(), s(&["agreement", "sign", &id, "--key", signer, "--api", &api])).await;
        assert!(ok, "{err}");
        assert!(out.contains("stored"), "{out}");
    }
    let (ok, out, err) = cli(dir.path(), s(&["agreement", "show", &id, "--api", &api])).await;
    assert!(ok, "{err}");
    assert!(out.contains("gällande"), "both signed, in force: {out}");

    // Notice is given on the day the record claims (the CLI stamps it now): today in Sweden,
    // which ends the agreement at the first year end at least 12 months later.
    let today = jiff::Zoned::now().in_tz("Europe/Stockholm").expect("Sweden's time zone").date();
    let given = today.to_string();
    let (ok, _, err) =
        cli(dir.path(), s(&["agreement", "notice", &id, "--given", &given, "--key", &boden, "--api", &api])).await;
    assert!(ok, "{err}");
    let (ok, out, err) = cli(dir.path(), s(&["agreement", "show", &id, "--api", &api])).await;
    assert!(ok, "{err}");
    let ends = format!("{}-12-31", today.year() + 1);
    assert!(out.contains(&ends), "notice given {given} under 12 months to a year end ends {ends}: {out}");
    server.abort();
}
