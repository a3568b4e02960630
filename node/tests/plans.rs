//! Plans at a node: the WebCare 2012 plan imported with its typed totals (the lines win, every
//! disagreement reported), receipts signed by each member's node and who lacks one, adoption by
//! a decision naming the exact version, the invoice basis (adopted budget × adopted key), and
//! the API, CSV and CLI over them.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use samverka_node::ledger::Ledger;
use samverka_node::plan::{self, import, Refusal};
use samverka_protocol::cost::Ore;
use samverka_protocol::governance::{Choice, Matter};
use samverka_protocol::plan::{
    compare, totals, Adoption, BudgetLine, CostKey, Days, KeyBasis, KeyEntry, Outcome, OutcomeLine, Period, Plan,
    PlanKind, Sides,
};
use samverka_protocol::testkit::{Author, Federation};
use samverka_protocol::{Body, MatterKind, Record, RecordId, Role, SigningKey, Verified};
use support::{get, ledger_with, norrbotten_with_ordinarie, router_with, samverka};

const WEBCARE: &str = include_str!("data/webcare-2012.toml");
const HOST: &str = "2580";

#[test]
fn webcare_2012_totals_are_recomputed_from_its_lines_and_each_typed_total_that_disagrees_is_reported() {
    let imported = import::parse(WEBCARE).expect("the WebCare plan imports");
    let t = totals(&imported.plan);
    // Σ person-days × 5 600 kr + fixed costs, goal by goal: 6 040 568 kr, not the typed 6 199 695.
    assert_eq!(t.total, Ore(604_056_800));
    assert_eq!(t.days, Sides { business: Days::whole(285), it: Days::whole(202) });
    // 487 person-days / 190 per FTE = 2,563… → 2,56, as the plan says.
    assert_eq!(t.fte_hundredths, 256);
    let found = compare(&imported.plan, &t, &imported.claims);
    let goals: Vec<(&str, &str, i64, i64)> = found
        .iter()
        .filter(|d| d.code == "goal_cost_mismatch")
        .map(|d| (d.code, d.place.as_str(), d.claimed, d.computed))
        .collect();
    assert_eq!(
        goals,
        vec![
            ("goal_cost_mismatch", "Förvaltningsstyrning, delmål 1, verksamhetsnära", 2_000_000, 14_560_000),
            ("goal_cost_mismatch", "Förvaltningsstyrning, delmål 1, IT-nära", 10_304_000, 10_080_000),
            ("goal_cost_mismatch", "Användarstöd, delmål 1, IT-nära", 13_744_700, 1_680_000),
        ]
    );
    let grand = found.iter().find(|d| d.code == "grand_total_mismatch").expect("the grand total disagrees");
    assert_eq!((grand.claimed, grand.computed), (619_969_500, 604_056_800));
    assert!(!found.iter().any(|d| d.code == "fte_mismatch"), "2,56 FTE agrees with the lines");
    assert!(!found.iter().any(|d| d.code == "activity_days_mismatch"), "the typed person-days agree");
    // Förvaltningsstyrning's typed VM sums (825 840 / 562 240) are not what its lines give.
    let vm: Vec<&str> = found.iter().filter(|d| d.code == "activity_vm_mismatch").map(|d| d.place.as_str()).collect();
    assert!(vm.contains(&"Förvaltningsstyrning, VM, verksamhetsnära"), "{vm:?}");
}

#[test]
fn an_import_file_with_a_vu_goal_without_priority_is_refused_naming_the_goal() {
    let text = WEBCARE.replacen("mode = \"VU\"\npriority = 1\n", "mode = \"VU\"\n", 1);
    let e = import::parse(&text).expect_err("a VU goal has a priority");
    assert!(e.to_string().contains("activity 2 (Användarstöd), goal 3"), "{e}");
}

#[test]
fn plan_check_prints_the_computed_totals_and_reports_each_disagreement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("webcare.toml");
    std::fs::write(&file, WEBCARE).expect("write");
    let out = samverka(dir.path(), &["plan", "check", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("summa: 6 040 568,00 kr, 2,56 heltider"), "{stdout}");
    assert!(
        stderr.contains(
            "Förvaltningsstyrning, delmål 1, verksamhetsnära: typed 20 000,00, the lines give 145 600,00 (goal_cost_mismatch)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("summa kronor: typed 6 199 695,00, the lines give 6 040 568,00"), "{stderr}");
}

/// Norrbotten with the host's förvaltare, a node key per member and every ordinarie.
struct World {
    fed: Federation,
    forvaltare: Author,
    nodes: Vec<(String, SigningKey)>,
    ordinarie: std::collections::BTreeMap<String, Author>,
    ledger: Arc<Ledger>,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let (mut fed, ordinarie) = norrbotten_with_ordinarie();
        let forvaltare = fed.certify_person(HOST, "plans/forvaltare", &[Role::Forvaltare]);
        let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
        let nodes = members.iter().map(|m| (m.clone(), fed.certify_node(m, &format!("plans/node/{m}")).key)).collect();
        let (dir, ledger) = ledger_with(&fed);
        World { fed, forvaltare, nodes, ordinarie, ledger, _dir: dir }
    }

    fn host_node(&self) -> SigningKey {
        self.nodes.iter().find(|(m, _)| m == HOST).expect("the host has a node").1.clone()
    }

    fn by_forvaltare<B: Body>(&mut self, body: &B) -> Record<Verified> {
        let record = self.forvaltare.next(self.fed.id(), self.fed.version(), B::KIND, body.to_bytes());
        self.ledger.ingest(record.clone()).expect("the host's förvaltare publishes");
        self.ledger.store().get(&record.id()).expect("read").expect("stored")
    }

    /// A budget matter (or förvaltningsplan matter) naming `subject`, every member voting
    /// `choice`, closed by the host's node.
    fn decide(&mut self, kind: MatterKind, subject: RecordId, choice: Choice) -> RecordId {
        let host = self.host_node();
        support::decide(
            &self.ledger,
            &host,
            &mut self.ordinarie,
            kind,
            format!("Fastställa {}", subject.to_hex()[..8].to_owned()),
            subject,
            choice,
        )
    }
}

/// Norrbotten's 14 members weighted 1, 2, … 14, for 2027.
fn weights_key(w: &World) -> CostKey {
    let members: Vec<String> = w.fed.chain.current().members.keys().cloned().collect();
    CostKey {
        year: 2027,
        title: "Fördelningsnyckel 2027".into(),
        basis: KeyBasis::Weights,
        entries: members
            .iter()
            .enumerate()
            .map(|(i, m)| KeyEntry { member: m.clone(), weight_millionths: (i as i64 + 1) * 1_000_000 })
            .collect(),
        supersedes: None,
    }
}

fn budget(kronor: u64, supersedes: Option<RecordId>) -> Plan {
    Plan {
        kind: PlanKind::Budget,
        title: "Budget 2027".into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes,
        day_rate: Sides::default(),
        days_per_fte: 200,
        activities: vec![],
        initiatives: vec![],
        budget: vec![
            BudgetLine { name: "Licenser och drift".into(), amount_ore: (kronor - 400_000) * 100 },
            BudgetLine { name: "Förvaltningsgruppen".into(), amount_ore: 400_000 * 100 },
        ],
    }
}

#[test]
fn each_members_node_receipts_a_plan_by_itself_and_the_report_shows_who_lacks_it_since_when() {
    let mut w = World::new();
    let p = w.by_forvaltare(&import::parse(WEBCARE).expect("imports").plan);
    let chain = w.ledger.chain().expect("federation");
    let report = plan::plan_report(w.ledger.store(), &chain, &p.id()).expect("query").expect("held");
    assert_eq!(report.missing().count(), 14, "no member has receipted yet");
    assert_eq!(report.published_ms, p.header().time_ms);
    let (kiruna, key) = w.nodes.iter().find(|(m, _)| m == "2584").cloned().expect("Kiruna");
    let receipt = plan::issue_receipt(&w.ledger, &key, &p).expect("authoring").expect("a receipt is owed");
    assert!(plan::issue_receipt(&w.ledger, &key, &p).expect("authoring").is_none(), "one receipt per node");
    assert_eq!(plan::issue_owed(&w.ledger, &w.host_node()).expect("sweep"), 1, "the host's node owes one too");
    let report = plan::plan_report(w.ledger.store(), &chain, &p.id()).expect("query").expect("held");
    assert_eq!(report.missing().count(), 12);
    let line = report.receipts.iter().find(|r| r.member == kiruna).expect("Kiruna's line");
    assert_eq!(line.receipt.map(|r| r.0), Some(receipt.id()));
    assert_eq!(report.summary.receipted, 2);
}

#[test]
fn only_a_closing_that_adopts_the_named_version_makes_it_faststalld_and_the_invoice_basis_follows() {
    let mut w = World::new();
    let b1 = w.by_forvaltare(&budget(1_500_000, None));
    let b2 = w.by_forvaltare(&budget(1_600_000, Some(b1.id())));
    let store = w.ledger.store();
    assert_eq!(plan::adoption_of(store, &b1.id()).expect("query"), Adoption::NotAdopted);
    assert!(matches!(plan::invoice_basis(store, 2027), Err(Refusal::NoAdoptedBudget(2027))));
    // A rejected decision on b2 adopts nothing.
    w.decide(MatterKind::Budget, b2.id(), Choice::No);
    assert_eq!(plan::adoption_of(w.ledger.store(), &b2.id()).expect("query"), Adoption::NotAdopted);
    // An adopted decision on b1 makes b1 fastställd, not the later b2.
    let matter = w.decide(MatterKind::Budget, b1.id(), Choice::Yes);
    assert!(
        matches!(plan::adoption_of(w.ledger.store(), &b1.id()).expect("query"), Adoption::Adopted { matter: m, .. } if m == matter)
    );
    assert_eq!(plan::adoption_of(w.ledger.store(), &b2.id()).expect("query"), Adoption::NotAdopted);
    assert!(matches!(plan::invoice_basis(w.ledger.store(), 2027), Err(Refusal::NoAdoptedKey(2027))));
    // The key: Norrbotten's 14 members by population-like weights; adopted by a budget matter.
    let key = w.by_forvaltare(&weights_key(&w));
    w.decide(MatterKind::Budget, key.id(), Choice::Yes);
    let basis = plan::invoice_basis(w.ledger.store(), 2027).expect("an invoice basis");
    assert_eq!(basis.budget.id(), b1.id());
    assert_eq!(basis.split.total(), Ore(150_000_000), "the amounts sum exactly to the adopted budget");
    assert_eq!(basis.split.lines.len(), 14);
    // The API serves it, and its CSV opens in Swedish Excel.
    let router = router_with(&w.ledger, w.host_node(), None);
    let body = rt().block_on(get(&router, "/api/v1/invoice-basis/2027")).ok(StatusCode::OK);
    assert_eq!(body["sum_ore"], 150_000_000);
    let csv = rt().block_on(get(&router, "/api/v1/invoice-basis/2027/basis.csv"));
    assert!(csv.bytes.starts_with("\u{feff}kommunkod;medlem;vikt;belopp\r\n".as_bytes()));
    assert!(String::from_utf8_lossy(&csv.bytes).contains("Summa;;;1500000,00\r\n"));
    rt().block_on(get(&router, "/api/v1/invoice-basis/2026")).refused(StatusCode::NOT_FOUND, "no_adopted_budget");
    let xlsx = rt().block_on(get(&router, "/api/v1/invoice-basis/2027/basis.xlsx"));
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK\x03\x04"), "an XLSX workbook is a zip file");
    let pdf = rt().block_on(get(&router, "/api/v1/invoice-basis/2027/basis.pdf"));
    samverka_node::report::check_xref(&pdf.bytes).expect("a well-formed PDF");
    // The page shows each member's amount and the sum, in Swedish and in English.
    for lang in ["sv", "en"] {
        let r = rt().block_on(get(&router, &format!("/fakturaunderlag/2027?lang={lang}")));
        assert_eq!(r.status, StatusCode::OK);
        let page = String::from_utf8(r.bytes).expect("UTF-8");
        assert!(page.contains("1\u{a0}500\u{a0}000,00 kr"), "{page}");
        assert!(page.contains("<caption>") && !page.contains(samverka_web::catalog::MISSING), "{page}");
        assert_eq!(page.matches("<tr><th scope=\"row\">").count(), 15, "14 members and the sum: {page}");
    }
    let page = String::from_utf8(rt().block_on(get(&router, "/fakturaunderlag/2026")).bytes).expect("UTF-8");
    assert!(page.contains("Ingen budget för 2026 är fastställd"), "{page}");
}

fn utfall(plan: RecordId, year: u16, quarter: u8, lines: &[(&str, u64, u64)]) -> Outcome {
    let lines = lines
        .iter()
        .map(|(name, business, it)| OutcomeLine {
            name: (*name).into(),
            actual: Sides { business: *business, it: *it },
        })
        .collect();
    Outcome { plan, year, quarter, lines }
}

#[test]
fn utfall_is_set_against_the_budget_per_activity_and_quarter_and_a_later_one_replaces_the_earlier() {
    let mut w = World::new();
    let p = w.by_forvaltare(&import::parse(WEBCARE).expect("imports").plan);
    w.by_forvaltare(&utfall(p.id(), 2012, 1, &[("Förvaltningsstyrning", 9_999_900, 0)]));
    let q2 = [("Förvaltningsstyrning", 5_000_050, 2_500_000), ("Användarstöd", 100, 0)];
    w.by_forvaltare(&utfall(p.id(), 2012, 2, &q2));
    // A corrected first quarter, recorded later: it replaces the earlier on every node.
    let q1 = w.by_forvaltare(&utfall(p.id(), 2012, 1, &[("Förvaltningsstyrning", 6_000_000, 4_000_000)]));
    let chain = w.ledger.chain().expect("federation");
    let report = plan::plan_report(w.ledger.store(), &chain, &p.id()).expect("query").expect("held");
    let f = &report.follow_up;
    assert_eq!(f.quarters.iter().map(|q| (q.year, q.quarter)).collect::<Vec<_>>(), vec![(2012, 1), (2012, 2)]);
    assert_eq!(f.quarters[0].record, q1.id(), "the later utfall for Q1 is in force");
    let styrning = &f.lines[0];
    assert_eq!(styrning.name, "Förvaltningsstyrning");
    // The budget is the activity's computed cost.
    assert_eq!(styrning.budget, report.summary.totals.activities[0].cost);
    assert_eq!(styrning.by_quarter[0], Sides { business: Ore(6_000_000), it: Ore(4_000_000) });
    assert_eq!(styrning.actual, Sides { business: Ore(11_000_050), it: Ore(6_500_000) });
    assert_eq!(styrning.difference(), Ore(styrning.budget_total().0 - 17_500_050));
    assert_eq!(f.actual(), Ore(17_500_150), "every activity and quarter, to the öre");
    assert_eq!(f.difference(), Ore(report.summary.totals.total.0 - 17_500_150));
    // The API serves it.
    let router = router_with(&w.ledger, w.host_node(), None);
    let body = rt().block_on(get(&router, &format!("/api/v1/plans/{}", p.id()))).ok(StatusCode::OK);
    assert_eq!(body["follow_up"]["actual_ore"], 17_500_150);
    assert_eq!(body["follow_up"]["lines"][0]["actual_by_quarter_ore"][0]["business"], 6_000_000);
    assert_eq!(body["follow_up"]["quarters"][0]["utfall"], q1.id().to_hex());
    // The plan's CSV carries the utfall and avvikelse beside the activity's total.
    let csv = rt().block_on(get(&router, &format!("/api/v1/plans/{}/plan.csv", p.id())));
    let csv = String::from_utf8(csv.bytes).expect("UTF-8");
    assert!(csv.contains(";kronor summa;utfall kronor;avvikelse kronor\r\n"), "{csv}");
    let styrning_total = csv.lines().find(|l| l.starts_with("totalt;Förvaltningsstyrning;")).expect("the total row");
    assert!(styrning_total.ends_with(&format!(";175000,50;{}", styrning.difference().plain())), "{styrning_total}");
    // The plan page shows budget, utfall per quarter and avvikelse, in Swedish amounts.
    let page = String::from_utf8(rt().block_on(get(&router, &format!("/planer/{}", p.id()))).bytes).expect("UTF-8");
    assert!(page.contains("Utfall 2012 kv 1") && page.contains("Avvikelse"), "{page}");
    assert!(page.contains("175\u{a0}000,50 kr"), "Förvaltningsstyrning's utfall in all: {page}");
}

#[test]
fn each_members_share_of_budget_and_utfall_follows_the_key_and_sums_exactly() {
    let mut w = World::new();
    let b = w.by_forvaltare(&budget(1_500_000, None));
    w.decide(MatterKind::Budget, b.id(), Choice::Yes);
    let key = w.by_forvaltare(&weights_key(&w));
    w.decide(MatterKind::Budget, key.id(), Choice::Yes);
    // 333 333,33 + 0,01 kr of utfall in two quarters: no even split, so the largest remainder works.
    w.by_forvaltare(&utfall(b.id(), 2027, 1, &[("Licenser och drift", 33_333_333, 0)]));
    w.by_forvaltare(&utfall(b.id(), 2027, 2, &[("Förvaltningsgruppen", 1, 0)]));
    let basis = plan::invoice_basis(w.ledger.store(), 2027).expect("an invoice basis");
    assert_eq!(basis.follow_up.actual(), Ore(33_333_334));
    let members = &basis.members;
    assert_eq!(members.len(), 14);
    assert_eq!(members.iter().map(|m| m.budget.0).sum::<i64>(), 150_000_000);
    assert_eq!(members.iter().map(|m| m.actual.0).sum::<i64>(), 33_333_334, "the utfall splits to the öre");
    assert_eq!(members.iter().map(|m| m.difference().0).sum::<i64>(), 150_000_000 - 33_333_334);
    // Each share is within one öre of its exact share: weight i + 1 of 105.
    for (i, m) in members.iter().enumerate() {
        let exact = 33_333_334 * (i as i64 + 1);
        assert!((m.actual.0 * 105 - exact).abs() < 105, "{} has {} öre", m.member, m.actual.0);
    }
    let router = router_with(&w.ledger, w.host_node(), None);
    let body = rt().block_on(get(&router, "/api/v1/invoice-basis/2027")).ok(StatusCode::OK);
    let members = body["members"].as_array().expect("members");
    assert_eq!(members.iter().filter_map(|m| m["actual_ore"].as_i64()).sum::<i64>(), 33_333_334);
    // The fakturaunderlag page shows budget, utfall and avvikelse per budget line and per member.
    let page = String::from_utf8(rt().block_on(get(&router, "/fakturaunderlag/2027")).bytes).expect("UTF-8");
    assert!(page.contains("Budget, utfall och avvikelse per medlem"), "{page}");
    assert!(page.contains("333\u{a0}333,34 kr") && page.contains("1\u{a0}166\u{a0}666,66 kr"), "{page}");
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

#[tokio::test]
async fn the_api_shows_a_plan_with_computed_totals_receipts_and_the_changes_from_its_previous_version() {
    let mut w = World::new();
    let v1 = import::parse(WEBCARE).expect("imports").plan;
    let v1r = w.by_forvaltare(&v1);
    let mut v2 = v1.clone();
    v2.supersedes = Some(v1r.id());
    v2.activities[0].goals[0].effort.business.person_days = Days::whole(20);
    let v2r = w.by_forvaltare(&v2);
    let router = router_with(&w.ledger, w.host_node(), None);
    let list = get(&router, "/api/v1/plans").await.ok(StatusCode::OK);
    assert_eq!(list["plans"].as_array().map(Vec::len), Some(2));
    let view = get(&router, &format!("/api/v1/plans/{}", v2r.id())).await.ok(StatusCode::OK);
    assert_eq!(view["summary"]["total_ore"], 604_056_800 - 6 * 560_000);
    assert_eq!(view["previous"], v1r.id().to_hex());
    assert_eq!(view["changes"][0]["change"], "goal_changed");
    assert_eq!(view["changes"][1]["change"], "total");
    assert_eq!(view["missing"].as_array().map(Vec::len), Some(14));
    assert_eq!(view["receipts"][0]["missing_since_ms"], v2r.header().time_ms);
    assert_eq!(view["summary"]["adoption"]["faststalld"], false);
    let csv = get(&router, &format!("/api/v1/plans/{}/plan.csv", v2r.id())).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with("\u{feff}typ;aktivitet;".as_bytes()));
    let pdf = get(&router, &format!("/api/v1/plans/{}/plan.pdf", v2r.id())).await;
    assert!(pdf.bytes.starts_with(b"%PDF-1.4"));
    samverka_node::report::check_xref(&pdf.bytes).expect("the PDF's cross-reference table is right");
    let xlsx = get(&router, &format!("/api/v1/plans/{}/plan.xlsx", v2r.id())).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK\x03\x04"), "an XLSX workbook is a zip file");
    get(&router, &format!("/api/v1/plans/{}", "ab".repeat(32))).await.refused(StatusCode::NOT_FOUND, "unknown_plan");
    let imported = support::post_raw(&router, "/api/v1/plans/import", "text/plain", WEBCARE.as_bytes().to_vec()).await;
    let imported = imported.ok(StatusCode::OK);
    assert_eq!(imported["totals"]["total_ore"], 604_056_800);
    assert!(imported["disagreements"].as_array().is_some_and(|d| d.len() > 3));
}

/// Runs the `samverka` binary with `args`, returning (success, stdout, stderr).
async fn run(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_samverka")).args(&args).output().expect("runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    })
    .await
    .expect("finished")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_forvaltare_publishes_a_plan_file_signed_on_their_machine_and_a_matter_names_it() {
    let mut fed = Federation::found("Planfiler", &samverka_protocol::testkit::kommuner(3), "1000");
    let forvaltare = fed.certify_person("1000", "planfiler/forvaltare", &[Role::Forvaltare]);
    let stranger = fed.certify_person("1001", "planfiler/forvaltare-1001", &[Role::Forvaltare]);
    let node_key = fed.certify_node("1000", "planfiler/node");
    let (_store, ledger) = ledger_with(&fed);
    let router = router_with(&ledger, node_key.key.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serves");
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("webcare.toml");
    std::fs::write(&file, WEBCARE).expect("write");
    let key = dir.path().join("forvaltare.key");
    samverka_node::keyfile::write_secret(&key, "förvaltare", &forvaltare.key).expect("key file");
    let other = dir.path().join("other.key");
    samverka_node::keyfile::write_secret(&other, "förvaltare 1001", &stranger.key).expect("key file");
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (file, key, other) = (file.display().to_string(), key.display().to_string(), other.display().to_string());

    // Another member's förvaltare may not publish: refused, and their chain is unchanged.
    let (ok, _, err) = run(s(&["plan", "publish", &file, "--key", &other, "--api", &api])).await;
    assert!(!ok && err.contains("not_authorised"), "{err}");
    assert_eq!(ledger.store().head(&stranger.key.public()).expect("head"), None);

    let (ok, out, err) = run(s(&["plan", "publish", &file, "--key", &key, "--api", &api])).await;
    assert!(ok, "{err}");
    assert!(err.contains("goal_cost_mismatch"), "the typed totals are reported: {err}");
    let id = out.lines().last().and_then(|l| l.split_whitespace().nth(1)).expect("plan <id> stored").to_owned();
    assert!(out.contains(&format!("plan {id} stored")), "{out}");
    let (ok, out, err) = run(s(&["plan", "show", &id, "--api", &api])).await;
    assert!(ok, "{err}");
    assert!(out.contains("summa: 6 040 568,00 kr") && out.contains("ej fastställd"), "{out}");
    assert_eq!(out.matches("saknas sedan").count(), 3, "no node has receipted: {out}");

    let (ok, out, err) = run(s(&[
        "sign",
        "--key",
        &key,
        "--api",
        &api,
        "matter",
        "--kind",
        "forvaltningsplan",
        "--title",
        "Förvaltningsplan 2012",
        "--proposal",
        "Styrgruppen fastställer planen.",
        "--subject",
        &id,
    ]))
    .await;
    assert!(ok, "{err}");
    let matter = out.split_whitespace().nth(1).expect("matter <id> stored");
    let matter = samverka_node::governance::get::<Matter>(ledger.store(), &RecordId::from_hex(matter).expect("id"))
        .expect("read")
        .expect("held");
    assert_eq!(matter.body.subject.map(|s| s.to_hex()), Some(id.clone()));

    // A cost key from a spreadsheet file: percents that do not sum to 100 are refused before
    // anything is signed; the corrected file is published.
    let key_file = dir.path().join("nyckel.csv");
    std::fs::write(&key_file, "kommun;andel\n1000;40,6\n1001;33,3\n1002;26,0\n").expect("write");
    let key_file = key_file.display().to_string();
    let (ok, _, err) = run(s(&["plan", "key", &key_file, "--year", "2027", "--key", &key, "--api", &api])).await;
    assert!(!ok && err.contains("not 100"), "{err}");
    std::fs::write(&key_file, "kommun;andel\n1000;40,6\n1001;33,3\n1002;26,1\n").expect("write");
    let (ok, out, err) = run(s(&["plan", "key", &key_file, "--year", "2027", "--key", &key, "--api", &api])).await;
    assert!(ok && out.starts_with("cost-key "), "{out}{err}");
    let keys = plan::cost_keys(ledger.store()).expect("query");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key.body.entries[2].weight_millionths, 26_100_000);

    // Utfall from a spreadsheet: an activity not in the plan is refused with its code, nothing
    // stored; the corrected file is one signed record for the quarter.
    let utfall_file = dir.path().join("utfall.csv");
    let rows = "\u{feff}aktivitet;kvartal;verksamhetsnära;it-nära\r\nFörvaltningsstyrning;2012-Q1;1 234,50;100\r\n";
    std::fs::write(&utfall_file, format!("{rows}Användarstöd;2012-Q1;10;0\r\nOkänd;2012-Q1;1;0\r\n")).expect("write");
    let utfall_file = utfall_file.display().to_string();
    let args = ["plan", "utfall", &utfall_file, "--plan", &id, "--key", &key, "--api", &api];
    let (ok, _, err) = run(s(&args)).await;
    assert!(!ok && err.contains("not_in_plan"), "{err}");
    std::fs::write(&utfall_file, format!("{rows}Användarstöd;2012-Q1;10;0\r\n")).expect("write");
    let (ok, out, err) = run(s(&args)).await;
    assert!(ok && out.contains("utfall 2012 kvartal 1: 2 rader, summa 1 344,50 kr"), "{out}{err}");
    assert!(out.lines().last().is_some_and(|l| l.starts_with("utfall ")), "{out}");
    let chain = ledger.chain().expect("federation");
    let plan_id = RecordId::from_hex(&id).expect("id");
    let report = plan::plan_report(ledger.store(), &chain, &plan_id).expect("query").expect("held");
    assert_eq!(report.follow_up.actual(), Ore(134_450));
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_pages_show_activity_tables_computed_totals_receipts_and_the_changes() {
    let mut w = World::new();
    let v1 = import::parse(WEBCARE).expect("imports").plan;
    let v1r = w.by_forvaltare(&v1);
    let mut v2 = v1.clone();
    v2.supersedes = Some(v1r.id());
    v2.activities[0].goals[0].effort.business.person_days = Days::whole(20);
    let v2r = w.by_forvaltare(&v2);
    let key = w.nodes.iter().find(|(m, _)| m == "2584").map(|(_, k)| k.clone()).expect("Kiruna");
    plan::issue_receipt(&w.ledger, &key, &v2r).expect("authoring").expect("owed");
    let router = router_with(&w.ledger, w.host_node(), None);
    for lang in ["sv", "en"] {
        for uri in ["/planer".to_owned(), format!("/planer/{}", v2r.id())] {
            let r = get(&router, &format!("{uri}?lang={lang}")).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            let page = String::from_utf8(r.bytes.clone()).expect("UTF-8");
            assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{uri}");
            assert_eq!(page.matches("<h1").count(), 1, "{uri} has one main heading");
            assert!(!page.contains(samverka_web::catalog::MISSING), "{uri} names a text missing from the catalog");
            assert!(!page.contains("<script"), "{uri}");
            assert!(page.contains("<caption>"), "{uri}: its tables have captions");
        }
    }
    let page = String::from_utf8(get(&router, &format!("/planer/{}", v2r.id())).await.bytes).expect("UTF-8");
    // 20 × 5 600 = 112 000,00 kr on the changed goal's business side, computed, with a no-break space.
    assert!(page.contains("112\u{a0}000,00 kr"), "{page}");
    assert!(page.contains("Förvaltningsstyrning: delmål, persondagar och kostnader"), "{page}");
    assert!(page.contains("Mottagen "), "Kiruna's node has receipted");
    assert_eq!(page.matches("Saknas sedan ").count(), 13, "13 members' nodes lack it");
    assert!(page.contains("delmålet ”Löpande förvaltningsstyrning"), "the change is shown: {page}");
    assert!(page.contains(&format!("href=\"/planer/{}\"", v1r.id())), "the previous version is linked");
    let r = get(&router, &format!("/planer/{}", "ab".repeat(32))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
