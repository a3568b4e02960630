//! A small federation with matters for the web pages' tests and the browser check
//! (`node/examples/web_fixture.rs`): Norrbotten's 14 kommuner, one matter registered, voted by
//! every member and closed, one registered with a few votes and still open. The matters and the
//! votes' pattern are the demo's (`samverka_node::demo::content`); the papers here are references
//! only. The host's node key is its demo key, so the pages show the demo banner.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;
use samverka_node::demo::content;
use samverka_node::ledger::Ledger;
use samverka_protocol::agreement::{Act, Agreement, AgreementSignature, NoticeRule, Party};
use samverka_protocol::governance::{Choice, Date, Matter, Meeting, Minutes, MinutesItem, PaperRef, Vote};
use samverka_protocol::needs::{Area, Asker, Need, NeedUpdate, Step};
use samverka_protocol::support::{Action as SupportAction, Priority, SupportCase, SupportEvent};
use samverka_protocol::testkit::{self, Author, Federation, T0_MS};
use samverka_protocol::{Body as _, Hash, Kind, MemberId, Record, RecordId, Role, Unverified};

use crate::support::{ledger_with, post_empty, post_raw, router_with};

/// The operator token of the fixture's node.
pub const TOKEN: &str = "fixture-token";
const HOST: &str = "2580";
/// The other party to the fixture's agreement (Kiruna).
const AGREEMENT_PARTY: &str = "2584";

/// The fixture: a ledger in a temporary directory and the node's router over it.
pub struct Fixture {
    /// Holds the store; removed when the fixture is dropped.
    pub _dir: tempfile::TempDir,
    /// The federation with every organisation key, for roster changes.
    #[allow(dead_code)] // only some test files change the roster
    pub fed: Federation,
    pub ledger: Arc<Ledger>,
    pub router: Router,
    /// The matter voted and closed.
    pub closed: RecordId,
    /// The matter still open.
    pub open: RecordId,
    /// The minutes of a meeting with both matters on its agenda, waiting for every justering (Kiruna's and Boden's ordinarie, the chair).
    pub minutes: RecordId,
    /// An agreement between Luleå and Kiruna, signed by Luleå's firmatecknare and waiting for
    /// Kiruna's (`demo/2584/firmatecknare`).
    #[allow(dead_code)] // only some test files sign it
    pub agreement: RecordId,
    /// Luleå's need (avgift), beredd by the förvaltningsgrupp.
    #[allow(dead_code)] // only the page tests read it
    pub need: RecordId,
}

struct Builder {
    fed: Federation,
    router: Router,
    ordinarie: BTreeMap<MemberId, Author>,
    forvaltare: Author,
    host_node: samverka_protocol::PublicKey,
}

impl Builder {
    async fn submit(&self, record: &Record<Unverified>) -> RecordId {
        let r = post_raw(&self.router, "/api/v1/records", "application/octet-stream", record.bytes().to_vec()).await;
        assert_eq!(r.ok(StatusCode::CREATED)["outcome"], "stored");
        record.id()
    }

    async fn matter(&mut self, body: Matter) -> RecordId {
        let record = self.forvaltare.next(self.fed.id(), self.fed.version(), Kind::Matter, body.to_bytes());
        let id = self.submit(&record).await;
        let r = post_empty(&self.router, &format!("/api/v1/matters/{}/diarium", id.to_hex()), Some(TOKEN)).await;
        r.ok(StatusCode::CREATED);
        id
    }

    async fn author_as_forvaltare(&mut self, kind: Kind, body: Vec<u8>) -> RecordId {
        let record = self.forvaltare.next(self.fed.id(), self.fed.version(), kind, body);
        self.submit(&record).await
    }

    async fn vote(&mut self, member: &str, matter: RecordId, choice: Choice) {
        let body = Vote { matter, member: member.into(), choice }.to_bytes();
        let (fed, version) = (self.fed.id(), self.fed.version());
        let record = self.ordinarie.get_mut(member).expect("a member").next(fed, version, Kind::Vote, body);
        self.submit(&record).await;
    }
}

/// Builds the fixture.
pub async fn fixture() -> Fixture {
    let (mut fed, ordinarie) = crate::support::norrbotten_with_ordinarie();
    let members: Vec<MemberId> = ordinarie.keys().cloned().collect();
    let forvaltare = fed.certify_person(HOST, &format!("demo/{HOST}/forvaltare"), &[Role::Forvaltare]);
    let chair = fed.certify_person(HOST, &format!("demo/{HOST}/ordforande"), &[Role::Ordforande]).key.public();
    let host_node = fed.certify_node(HOST, &format!("demo/{HOST}/node"));
    let mut host_signatory = fed.certify_person(HOST, &format!("demo/{HOST}/firmatecknare"), &[Role::Firmatecknare]);
    fed.certify_person(AGREEMENT_PARTY, &format!("demo/{AGREEMENT_PARTY}/firmatecknare"), &[Role::Firmatecknare]);
    let mut objektspecialist = fed.certify_person(
        AGREEMENT_PARTY,
        &format!("demo/{AGREEMENT_PARTY}/objektspecialist"),
        &[Role::Objektspecialist],
    );
    let (dir, ledger) = ledger_with(&fed);
    let router = router_with(&ledger, host_node.key.clone(), Some(TOKEN));
    let mut b = Builder { fed, router, ordinarie, forvaltare, host_node: host_node.key.public() };

    let plan = PaperRef {
        name: "Förvaltningsplan 2027.pdf".into(),
        content_hash: Hash::of(b"samverka/v1/paper", &[b"plan"]),
        size: 1_234_567,
    };
    let closed = b.matter(content::plan_matter(b.host_node, vec![plan])).await;
    for (i, m) in members.iter().enumerate() {
        b.vote(m, closed, content::plan_choice(i)).await;
    }
    let closing = post_empty(&b.router, &format!("/api/v1/matters/{}/close", closed.to_hex()), Some(TOKEN))
        .await
        .ok(StatusCode::CREATED)["id"]
        .as_str()
        .and_then(|id| RecordId::from_hex(id).ok())
        .expect("the closing's id");
    let open = b.matter(content::budget_matter(b.host_node, vec![])).await;
    for m in members.iter().take(3) {
        b.vote(m, open, Choice::Yes).await;
    }
    let day = |ms: i64| Date::of_utc_ms(ms).to_string();
    let meeting = Meeting {
        title: "Styrgruppens sammanträde".into(),
        date: day(T0_MS + 14 * 86_400_000),
        place: "Luleå stadshus".into(),
        agenda: vec![closed, open],
        notice_given_on: day(T0_MS),
    };
    let meeting = b.author_as_forvaltare(Kind::Meeting, meeting.to_bytes()).await;
    let minutes = Minutes {
        meeting,
        present: members.clone(),
        items: vec![
            MinutesItem { matter: closed, closing: Some(closing), text: "Styrgruppen antog planen.".into() },
            MinutesItem { matter: open, closing: None, text: "Ärendet bordlades.".into() },
        ],
        justerare: [testkit::key("demo/2584/ordinarie").public(), testkit::key("demo/2582/ordinarie").public()],
        chair,
        anslag_date: None,
    };
    let minutes = b.author_as_forvaltare(Kind::Minutes, minutes.to_bytes()).await;
    b.author_as_forvaltare(Kind::Plan, content::plan_2027().to_bytes()).await;
    let agreement = Agreement {
        title: "Överenskommelse om e-arkiv".into(),
        system: "e-arkiv".into(),
        parties: [HOST, AGREEMENT_PARTY].map(|m| Party::Member { member: m.into() }).to_vec(),
        start: day(T0_MS),
        end: None,
        notice: NoticeRule { months: 12, at_year_end: true },
        cost_key: None,
        annexes: vec![PaperRef {
            name: "Bilaga 1 Tjänstebeskrivning.pdf".into(),
            content_hash: Hash::of(b"samverka/v1/paper", &[b"bilaga"]),
            size: 48_213,
        }],
        text: "Parterna samverkar kring ett gemensamt e-arkiv. Luleå kommun är värdkommun.".into(),
        amends: None,
    };
    let agreement = b.author_as_forvaltare(Kind::Agreement, agreement.to_bytes()).await;
    let signature = AgreementSignature { agreement, party: 0, act: Act::Sign, original: None };
    let record = host_signatory.next(b.fed.id(), b.fed.version(), Kind::AgreementSignature, signature.to_bytes());
    b.submit(&record).await;
    // A driftstörning in progress, so every page shows the outage banner.
    let outage = samverka_protocol::outage::OutageNotice::Publish(samverka_protocol::outage::Published {
        kind: samverka_protocol::outage::NoticeKind::Driftstorning,
        title: "E-arkivet svarar långsamt".into(),
        text: "Sökningar tar flera minuter. Leverantören felsöker.".into(),
        affected: vec!["Sökning i e-arkivet".into()],
        start_ms: samverka_protocol::testkit::T0_MS,
        expected_end_ms: Some(samverka_protocol::testkit::T0_MS + 3_600_000),
    });
    b.author_as_forvaltare(Kind::OutageNotice, outage.to_bytes()).await;
    let need = Need {
        title: "Avgiftsberäkning i hemtjänsten".into(),
        description: "Avgiften räknas i dag för hand efter varje månadsskifte.".into(),
        benefit: "Handläggarna sparar två dagar i månaden.".into(),
        wished: Some("2027-06-30".into()),
        area: Area::Avgift,
        asker: Asker { name: "Eva Berg".into(), role: "avgiftshandläggare".into() },
        member: HOST.into(),
    };
    let need = b.author_as_forvaltare(Kind::Need, need.to_bytes()).await;
    let step = Step::Beredd { consequences: "En ny exportfil från verksamhetssystemet.".into(), cost_ore: 12_000_000 };
    let prepared = NeedUpdate::Step { need, follows: need, step, note: String::new() };
    b.author_as_forvaltare(Kind::NeedUpdate, prepared.to_bytes()).await;
    // A support case raised in Kiruna and escalated to the förvaltningsgrupp (docs/support.md).
    let case = SupportCase {
        member: AGREEMENT_PARTY.into(),
        category: "Inloggning".into(),
        priority: Priority::High,
        title: "Ingen kan logga in".into(),
        description: "Alla användare får felet 'okänd användare'.".into(),
    };
    let record = objektspecialist.next(b.fed.id(), b.fed.version(), Kind::SupportCase, case.to_bytes());
    let case = b.submit(&record).await;
    let escalate = SupportEvent { case, after: case, action: SupportAction::Escalate, text: String::new() };
    let record = objektspecialist.next(b.fed.id(), b.fed.version(), Kind::SupportEvent, escalate.to_bytes());
    b.submit(&record).await;
    Fixture { _dir: dir, fed: b.fed, ledger, router: b.router, closed, open, minutes, agreement, need }
}
