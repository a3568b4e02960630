//! Agreements (`docs/agreements.md`): one accepting and one rejecting case per rule with the
//! exact rejection, the status from utkast to upphört, an amendment chain, and the notice
//! arithmetic with its boundary cases.

use std::collections::BTreeMap;

use samverka_protocol::agreement::{
    self, deadline, ends, status, withdrawals, Act, Agreement, AgreementSignature, Deadline, NoticeRule, Party, Signed,
    Status, Violation, Withdrawal,
};
use samverka_protocol::governance::{Date, Matter, PaperRef, Procedure, Violation as GovViolation};
use samverka_protocol::plan::Violation as FieldViolation;
use samverka_protocol::testkit::{self, Author, Federation, Held, T0_MS};
use samverka_protocol::{Body, Change, Hash, KeyKind, Kind, MatterKind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const SECOND: &str = "1001";
const OUTSIDER: &str = "1002";

/// Three kommuner, 1000 the host. The host's förvaltare drafts agreements; each member has a
/// firmatecknare; 1000 also has an ordinarie without the role and a firmatecknare whose mandate
/// ended before the test records' time.
struct World {
    fed: Federation,
    forvaltare: Author,
    host_node: Author,
    signers: BTreeMap<&'static str, Author>,
    ordinarie: Author,
    expired: Author,
    held: Held,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Avtal", &testkit::kommuner(3), HOST);
        let forvaltare = fed.certify_person(HOST, "avtal/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "avtal/node");
        let signers = [HOST, SECOND, OUTSIDER]
            .into_iter()
            .map(|m| (m, fed.certify_person(m, &format!("avtal/firmatecknare/{m}"), &[Role::Firmatecknare])))
            .collect();
        let ordinarie = fed.certify_person(HOST, "avtal/ordinarie", &[Role::StyrgruppOrdinarie]);
        let expired = testkit::key("avtal/expired");
        let kind = KeyKind::Person {
            roles: vec![Role::Firmatecknare],
            valid_from_ms: Some(T0_MS - 365 * 86_400_000),
            valid_until_ms: Some(T0_MS - 1),
        };
        fed.update(HOST, vec![Change::CertifyKey { member: HOST.into(), key: expired.public(), kind }])
            .expect("a mandate period is certified");
        World { fed, forvaltare, host_node, signers, ordinarie, expired: Author::new(expired), held: Held::default() }
    }

    fn submit(&mut self, author: &mut Author, kind: Kind, body: Vec<u8>) -> Result<Record<Verified>, Rejection> {
        self.fed.submit(&mut self.held, author, kind, body)
    }

    fn draft(&mut self, a: &Agreement) -> Result<Record<Verified>, Rejection> {
        let mut author = self.forvaltare.clone();
        let out = self.submit(&mut author, Kind::Agreement, a.to_bytes());
        self.forvaltare = author;
        out
    }

    fn by(&mut self, member: &'static str, s: &AgreementSignature) -> Result<Record<Verified>, Rejection> {
        let mut author = self.signers[member].clone();
        let out = self.submit(&mut author, Kind::AgreementSignature, s.to_bytes());
        self.signers.insert(member, author);
        out
    }

    fn signed(&self, records: &[Record<Verified>]) -> Vec<Signed> {
        records.iter().map(|r| Signed::of(r, &self.fed.chain).expect("an agreement signature")).collect()
    }
}

fn d(s: &str) -> Date {
    Date::parse(s).expect("a test date")
}

/// The annex as a paper reference.
fn annex(name: &str) -> PaperRef {
    PaperRef { name: name.into(), content_hash: Hash::of(b"test\0", &[name.as_bytes()]), size: 12_345 }
}

/// A WebCare-like agreement between the three members and an outside vendor: tills vidare from
/// 2027-01-01, twelve months' notice to a year end.
fn webcare() -> Agreement {
    Agreement {
        title: "Överenskommelse om samverkan kring WebCare".into(),
        system: "WebCare".into(),
        parties: vec![
            Party::Member { member: HOST.into() },
            Party::Member { member: SECOND.into() },
            Party::Member { member: OUTSIDER.into() },
        ],
        start: "2027-01-01".into(),
        end: None,
        notice: NoticeRule { months: 12, at_year_end: true },
        cost_key: None,
        annexes: vec![annex("Bilaga 1 Förvaltningsspecifikation"), annex("Bilaga 4 Kostnadsfördelning")],
        text: "Parterna samverkar kring WebCare enligt denna överenskommelse och dess bilagor.".into(),
        amends: None,
    }
}

fn with(f: impl FnOnce(&mut Agreement)) -> Agreement {
    let mut a = webcare();
    f(&mut a);
    a
}

fn sign(agreement: RecordId, party: u16) -> AgreementSignature {
    AgreementSignature { agreement, party, act: Act::Sign, original: None }
}

fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Agreement { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

fn rejects(a: Agreement, violation: Violation) {
    let mut w = World::new();
    refused(w.draft(&a), Kind::Agreement, violation);
}

/// Signs `id` for every member party; returns the signature records.
fn sign_all(w: &mut World, id: RecordId) -> Vec<Record<Verified>> {
    [(HOST, 0), (SECOND, 1), (OUTSIDER, 2)].into_iter().map(|(m, p)| w.by(m, &sign(id, p)).expect("signs")).collect()
}

const TODAY: &str = "2026-11-30";

// ---- signing: all parties, and only the party's own firmatecknare ----

#[test]
fn in_force_only_when_every_party_has_signed() {
    let mut w = World::new();
    let a = webcare();
    let id = w.draft(&a).expect("the host's förvaltare drafts").id();
    assert_eq!(status(&a, &[], &[], None, d(TODAY)), Status::Utkast);
    let first = w.by(HOST, &sign(id, 0)).expect("the host's firmatecknare signs");
    let second = w.by(SECOND, &sign(id, 1)).expect("the second's firmatecknare signs");
    let some = w.signed(&[first.clone(), second.clone()]);
    assert_eq!(status(&a, &some, &[], None, d(TODAY)), Status::UnderSignering { signed: vec![0, 1], missing: vec![2] });
    let third = w.by(OUTSIDER, &sign(id, 2)).expect("the third signs");
    let all = w.signed(&[first, second, third]);
    // Signed on 2026-11-22 (UTC), in force from the start date.
    assert_eq!(status(&a, &all, &[], None, d(TODAY)), Status::Gallande { since: d("2027-01-01") });
}

#[test]
fn a_second_signature_for_the_same_party_changes_nothing() {
    let mut w = World::new();
    let a = webcare();
    let id = w.draft(&a).expect("drafted").id();
    let first = w.by(HOST, &sign(id, 0)).expect("signs");
    let again = w.by(HOST, &sign(id, 0)).expect("a second signature is accepted");
    let signed = w.signed(&[first, again]);
    assert_eq!(
        status(&a, &signed, &[], None, d(TODAY)),
        Status::UnderSignering { signed: vec![0], missing: vec![1, 2] }
    );
}

#[test]
fn refuses_a_signature_by_a_key_without_the_firmatecknare_role() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    let mut ordinarie = w.ordinarie.clone();
    let result = w.submit(&mut ordinarie, Kind::AgreementSignature, sign(id, 0).to_bytes());
    match result {
        Err(r @ Rejection::NotAuthorised { kind: Kind::AgreementSignature, .. }) => {
            assert_eq!(r.code(), "not_authorised")
        }
        other => panic!("expected not_authorised, got {other:?}"),
    }
}

#[test]
fn refuses_a_signature_outside_the_mandate_period() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    let mut expired = w.expired.clone();
    let result = w.submit(&mut expired, Kind::AgreementSignature, sign(id, 0).to_bytes());
    match result {
        Err(r @ Rejection::KeyExpired { .. }) => assert_eq!(r.code(), "key_expired"),
        other => panic!("expected key_expired, got {other:?}"),
    }
}

#[test]
fn refuses_a_signature_for_another_party() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    let violation = Violation::SignedForOtherParty { party: HOST.into(), author: SECOND.into() };
    refused(w.by(SECOND, &sign(id, 0)), Kind::AgreementSignature, violation);
}

#[test]
fn a_signature_for_an_agreement_not_held_waits() {
    let mut w = World::new();
    let missing = Hash::of(b"test\0", &[b"no such agreement"]);
    assert_eq!(w.by(HOST, &sign(missing, 0)), Err(Rejection::MissingDependency { id: missing }));
}

#[test]
fn refuses_a_signature_naming_another_kind_of_record() {
    let mut w = World::new();
    let mut node = w.host_node.clone();
    let note = w.submit(&mut node, Kind::Note, b"inte ett avtal".to_vec()).expect("a note").id();
    let violation =
        Violation::Field(FieldViolation::WrongKind { id: note, found: Kind::Note, expected: Kind::Agreement });
    refused(w.by(HOST, &sign(note, 0)), Kind::AgreementSignature, violation);
}

#[test]
fn refuses_a_signature_for_a_party_the_agreement_lacks() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    refused(w.by(HOST, &sign(id, 7)), Kind::AgreementSignature, Violation::UnknownParty { party: 7, parties: 3 });
}

// ---- outside parties ----

fn with_vendor() -> Agreement {
    with(|a| {
        a.parties.truncate(2);
        a.parties.push(Party::Outside { name: "Region Stockholm".into(), organisationsnummer: "232100-0016".into() });
    })
}

#[test]
fn a_member_partys_firmatecknare_records_an_outside_partys_paper_signature() {
    let mut w = World::new();
    let a = with_vendor();
    let id = w.draft(&a).expect("drafted").id();
    let outside = AgreementSignature { original: Some(annex("Påskrivet original, Region Stockholm")), ..sign(id, 2) };
    let records = vec![
        w.by(HOST, &sign(id, 0)).expect("signs"),
        w.by(SECOND, &sign(id, 1)).expect("signs"),
        w.by(HOST, &outside).expect("records the vendor's original"),
    ];
    let signed = w.signed(&records);
    assert!(status(&a, &signed, &[], None, d(TODAY)).signed_by_all());
}

#[test]
fn refuses_an_outside_partys_signature_without_its_original() {
    let mut w = World::new();
    let id = w.draft(&with_vendor()).expect("drafted").id();
    refused(w.by(HOST, &sign(id, 2)), Kind::AgreementSignature, Violation::MissingOriginal);
}

#[test]
fn refuses_an_outside_partys_act_recorded_by_a_member_that_is_not_a_party() {
    let mut w = World::new();
    let id = w.draft(&with_vendor()).expect("drafted").id();
    let outside = AgreementSignature { original: Some(annex("Original")), ..sign(id, 2) };
    refused(
        w.by(OUTSIDER, &outside),
        Kind::AgreementSignature,
        Violation::RecorderNotAParty { author: OUTSIDER.into() },
    );
}

#[test]
fn refuses_a_withdrawal_for_an_outside_party() {
    let mut w = World::new();
    let id = w.draft(&with_vendor()).expect("drafted").id();
    let act = Act::Withdrawal { given: "2026-11-23".into() };
    let s = AgreementSignature { agreement: id, party: 2, act, original: Some(annex("Original")) };
    refused(w.by(HOST, &s), Kind::AgreementSignature, Violation::OutsideWithdrawal);
}

// ---- the agreement's rules, one by one ----

#[test]
fn refuses_fewer_than_two_parties() {
    rejects(with(|a| a.parties.truncate(1)), Violation::TooFewParties);
}

#[test]
fn refuses_an_agreement_without_a_member_party() {
    let outside = |n: &str| Party::Outside { name: "Leverantören AB".into(), organisationsnummer: n.into() };
    rejects(with(|a| a.parties = vec![outside("232100-0016"), outside("212000-0142")]), Violation::NoMemberParty);
}

#[test]
fn refuses_a_party_named_twice() {
    rejects(
        with(|a| a.parties.push(Party::Member { member: HOST.into() })),
        Violation::DuplicateParty { party: HOST.into() },
    );
}

#[test]
fn refuses_a_member_party_that_is_not_a_member() {
    rejects(
        with(|a| a.parties[2] = Party::Member { member: "2580".into() }),
        Violation::NotAMember { member: "2580".into() },
    );
}

#[test]
fn refuses_a_bad_organisationsnummer() {
    let vendor = |n: &str| Party::Outside { name: "Leverantören AB".into(), organisationsnummer: n.into() };
    rejects(with(|a| a.parties.push(vendor("556000-0000"))), Violation::BadOrganisationsnummer);
    rejects(with(|a| a.parties.push(vendor("5560000001"))), Violation::BadOrganisationsnummer);
}

#[test]
fn refuses_a_personnummer_for_an_outside_party() {
    let person = Party::Outside { name: "Enskild firma".into(), organisationsnummer: "811218-9876".into() };
    rejects(with(|a| a.parties.push(person)), Violation::Personnummer);
}

#[test]
fn refuses_an_end_before_the_start() {
    let v = Violation::EndsBeforeStart { start: "2027-01-01".into(), end: "2026-12-31".into() };
    rejects(with(|a| a.end = Some("2026-12-31".into())), v);
}

#[test]
fn refuses_a_start_that_is_not_a_date() {
    rejects(with(|a| a.start = "2027-02-30".into()), Violation::Field(FieldViolation::BadDate { field: "start" }));
}

#[test]
fn refuses_a_notice_period_out_of_range() {
    rejects(with(|a| a.notice.months = 0), Violation::NoticeMonths { months: 0 });
    rejects(with(|a| a.notice.months = 121), Violation::NoticeMonths { months: 121 });
}

#[test]
fn refuses_an_annex_named_twice() {
    let v = Violation::DuplicateAnnex { name: "Bilaga 1 Förvaltningsspecifikation".into() };
    rejects(with(|a| a.annexes.push(annex("Bilaga 1 Förvaltningsspecifikation"))), v);
}

#[test]
fn refuses_an_annex_too_large() {
    let big = PaperRef { size: (1 << 30) + 1, ..annex("Bilaga 5 PUB-avtal") };
    rejects(with(|a| a.annexes.push(big)), Violation::AnnexTooLarge { size: (1 << 30) + 1 });
}

#[test]
fn refuses_a_blank_text_and_a_title_of_two_lines() {
    rejects(with(|a| a.text = " \n".into()), Violation::Field(FieldViolation::Empty { field: "text" }));
    rejects(with(|a| a.title = "a\nb".into()), Violation::Field(FieldViolation::NotOneLine { field: "title" }));
}

#[test]
fn refuses_a_cost_key_reference_to_another_kind() {
    let mut w = World::new();
    let first = w.draft(&webcare()).expect("drafted").id();
    let v = Violation::Field(FieldViolation::WrongKind { id: first, found: Kind::Agreement, expected: Kind::CostKey });
    refused(w.draft(&with(|a| a.cost_key = Some(first))), Kind::Agreement, v);
}

#[test]
fn refuses_an_agreement_by_a_firmatecknare() {
    let mut w = World::new();
    let mut signer = w.signers[HOST].clone();
    let result = w.submit(&mut signer, Kind::Agreement, webcare().to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Agreement, .. })), "{result:?}");
}

// ---- amendments ----

#[test]
fn an_amendment_governs_once_every_party_has_signed_it_and_history_stays() {
    let mut w = World::new();
    let v1 = webcare();
    let id1 = w.draft(&v1).expect("v1").id();
    let s1 = sign_all(&mut w, id1);
    let v2 = with(|a| {
        a.amends = Some(id1);
        a.annexes.push(annex("Bilaga 5 Personuppgiftsbiträdesavtal"));
    });
    let id2 = w.draft(&v2).expect("v2 amends v1").id();
    let s2_partial = vec![w.by(HOST, &sign(id2, 0)).expect("signs v2")];
    // v2 partly signed: v1 still governs.
    let v2_status = status(&v2, &w.signed(&s2_partial), &[], None, d(TODAY));
    assert!(!v2_status.signed_by_all());
    assert_eq!(status(&v1, &w.signed(&s1), &[], None, d(TODAY)), Status::Gallande { since: d("2027-01-01") });
    let mut s2 = s2_partial;
    s2.push(w.by(SECOND, &sign(id2, 1)).expect("signs v2"));
    s2.push(w.by(OUTSIDER, &sign(id2, 2)).expect("signs v2"));
    let v2_status = status(&v2, &w.signed(&s2), &[], None, d(TODAY));
    assert!(v2_status.signed_by_all());
    assert_eq!(status(&v1, &w.signed(&s1), &[], Some(id2), d(TODAY)), Status::Andrat { by: id2 });
    // A third version amends the second; a version that names a note is refused.
    let v3 = with(|a| a.amends = Some(id2));
    w.draft(&v3).expect("v3 amends v2");
    let mut node = w.host_node.clone();
    let note = w.submit(&mut node, Kind::Note, b"not an agreement".to_vec()).expect("a note").id();
    let v = Violation::Field(FieldViolation::WrongKind { id: note, found: Kind::Note, expected: Kind::Agreement });
    refused(w.draft(&with(|a| a.amends = Some(note))), Kind::Agreement, v);
}

// ---- notice and withdrawal ----

fn notice(agreement: RecordId, party: u16, given: &str) -> AgreementSignature {
    AgreementSignature { agreement, party, act: Act::Notice { given: given.into() }, original: None }
}

#[test]
fn a_signed_notice_ends_the_agreement_on_the_computed_day() {
    let mut w = World::new();
    let a = webcare();
    let id = w.draft(&a).expect("drafted").id();
    let records = sign_all(&mut w, id);
    let signed = w.signed(&records);
    // The records claim 2026-11-22 (UTC); Sweden's 2026-11-23 is within a day.
    let n = w.by(SECOND, &notice(id, 1, "2026-11-23")).expect("notice by the second member");
    let notices = w.signed(std::slice::from_ref(&n));
    let uppsagt = Status::Uppsagt { notice: n.id(), given: d("2026-11-23"), ends: d("2027-12-31") };
    assert_eq!(status(&a, &signed, &notices, None, d(TODAY)), uppsagt);
    assert_eq!(status(&a, &signed, &notices, None, d("2027-12-31")), uppsagt, "in force on its last day");
    let upphort = Status::Upphort { ended: d("2027-12-31"), notice: Some(n.id()) };
    assert_eq!(status(&a, &signed, &notices, None, d("2028-01-01")), upphort);
}

#[test]
fn a_fixed_end_date_ends_the_agreement_without_notice() {
    let a = with(|a| a.end = Some("2027-06-30".into()));
    let mut w = World::new();
    let id = w.draft(&a).expect("drafted").id();
    let records = sign_all(&mut w, id);
    let signed = w.signed(&records);
    assert_eq!(
        status(&a, &signed, &[], None, d("2027-07-01")),
        Status::Upphort { ended: d("2027-06-30"), notice: None }
    );
}

#[test]
fn refuses_a_notice_dated_away_from_its_claimed_time() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    let v = Violation::GivenNotClaimedDay { given: "2026-01-01".into(), claimed: "2026-11-22".into() };
    refused(w.by(SECOND, &notice(id, 1, "2026-01-01")), Kind::AgreementSignature, v);
}

#[test]
fn a_withdrawal_takes_effect_by_the_notice_rule_for_that_member_only() {
    let mut w = World::new();
    let a = webcare();
    let id = w.draft(&a).expect("drafted").id();
    let mut records = sign_all(&mut w, id);
    let act = Act::Withdrawal { given: "2026-11-22".into() };
    let out = w.by(OUTSIDER, &AgreementSignature { agreement: id, party: 2, act, original: None }).expect("withdraws");
    records.push(out.clone());
    let signed = w.signed(&records);
    let expected = Withdrawal { party: 2, record: out.id(), given: d("2026-11-22"), effective: d("2027-12-31") };
    assert_eq!(withdrawals(&a, &signed), vec![expected]);
    assert_eq!(status(&a, &signed, &[], None, d(TODAY)), Status::Gallande { since: d("2027-01-01") });
}

// ---- decisions ----

#[test]
fn an_agreement_matter_names_the_agreement_as_its_subject() {
    let mut w = World::new();
    let id = w.draft(&webcare()).expect("drafted").id();
    let closer = w.host_node.key.public();
    let matter = |kind| Matter {
        kind,
        title: "Ny överenskommelse WebCare".into(),
        proposal: "Styrgruppen godkänner överenskommelsen.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 14 },
        closer,
        subject: Some(id),
    };
    let mut node = w.host_node.clone();
    for kind in [MatterKind::NyttAvtal, MatterKind::Avtalsforlangning, MatterKind::UppsagningAvAvtal] {
        w.submit(&mut node, Kind::Matter, matter(kind).to_bytes()).expect("an agreement matter names it");
    }
    let result = w.submit(&mut node, Kind::Matter, matter(MatterKind::Budget).to_bytes());
    let violation = GovViolation::SubjectKindMismatch { subject: id, found: "agreement" };
    assert_eq!(result, Err(Rejection::Governance { kind: Kind::Matter, violation }));
}

// ---- the notice arithmetic ----

const WEBCARE: NoticeRule = NoticeRule { months: 12, at_year_end: true };
const PLAIN_12: NoticeRule = NoticeRule { months: 12, at_year_end: false };

#[test]
fn notice_table() {
    let table = [
        // The two cases.
        ("2026-11-30", WEBCARE, "2027-12-31"),
        ("2026-11-30", PLAIN_12, "2027-11-30"),
        // The last day of a year: twelve months lapse on the next year's last day, which is a year end.
        ("2026-12-31", WEBCARE, "2027-12-31"),
        ("2026-12-31", PLAIN_12, "2027-12-31"),
        // The first day of a year: a year later.
        ("2027-01-01", WEBCARE, "2028-12-31"),
        // A leap day: no 2029-02-29, so the month's last day.
        ("2028-02-29", PLAIN_12, "2029-02-28"),
        ("2028-02-29", NoticeRule { months: 48, at_year_end: false }, "2032-02-29"),
        // Month ends: the day with the same number, or the month's last day.
        ("2026-08-31", NoticeRule { months: 6, at_year_end: false }, "2027-02-28"),
        ("2027-08-31", NoticeRule { months: 6, at_year_end: false }, "2028-02-29"),
        ("2027-02-28", NoticeRule { months: 6, at_year_end: false }, "2027-08-28"),
        ("2026-10-31", NoticeRule { months: 1, at_year_end: false }, "2026-11-30"),
        ("2026-06-30", NoticeRule { months: 6, at_year_end: true }, "2026-12-31"),
        ("2026-07-01", NoticeRule { months: 6, at_year_end: true }, "2027-12-31"),
    ];
    for (given, rule, expected) in table {
        assert_eq!(ends(d(given), rule), d(expected), "{given} with {rule:?}");
    }
}

#[test]
fn last_day_to_give_notice_for_the_next_possible_end() {
    let table = [
        ("2026-11-30", WEBCARE, "2026-12-31", "2027-12-31"),
        ("2026-12-31", WEBCARE, "2026-12-31", "2027-12-31"),
        ("2027-01-01", WEBCARE, "2027-12-31", "2028-12-31"),
        ("2026-11-30", PLAIN_12, "2026-11-30", "2027-11-30"),
        ("2027-01-15", NoticeRule { months: 1, at_year_end: false }, "2027-01-15", "2027-02-15"),
        // Notice from the 28th to the 31st all lapse on February's last day.
        ("2027-01-28", NoticeRule { months: 1, at_year_end: false }, "2027-01-31", "2027-02-28"),
        ("2026-11-30", NoticeRule { months: 6, at_year_end: true }, "2027-06-30", "2027-12-31"),
        ("2026-03-01", NoticeRule { months: 10, at_year_end: true }, "2027-02-28", "2027-12-31"),
        ("2028-01-15", NoticeRule { months: 10, at_year_end: true }, "2028-02-29", "2028-12-31"),
    ];
    for (today, rule, last_day, end) in table {
        let found = deadline(d(today), rule);
        assert_eq!(found, Deadline { last_day: d(last_day), ends: d(end) }, "{today} with {rule:?}");
        assert_eq!(ends(found.last_day, rule), found.ends, "notice on the last day reaches the end");
        let day_after = Date::parse(&next_day(found.last_day)).expect("a date");
        assert!(ends(day_after, rule) > found.ends, "a day late ends it later");
    }
}

fn next_day(date: Date) -> String {
    // Day arithmetic through the epoch count keeps this test free of its own calendar.
    let days = date.days() + 1;
    Date::of_utc_ms(days * 86_400_000).to_string()
}

#[test]
fn organisationsnummer_never_a_personnummer() {
    assert_eq!(agreement::check_organisationsnummer("212000-2726"), Ok(()));
    assert_eq!(agreement::check_organisationsnummer("121212-1212"), Err(Violation::Personnummer));
}

// ---- golden bytes ----

#[test]
fn golden_agreement_signature_and_agreement_bodies() {
    let notice = AgreementSignature {
        agreement: Hash([1; 32]),
        party: 2,
        act: Act::Notice { given: "2027-01-01".into() },
        original: None,
    };
    // agreement (32 raw bytes), party 2, act Notice (1) with its date (10 bytes), no original.
    let expected = format!("{}0201{}{}00", "01".repeat(32), "0a", hex::encode("2027-01-01"));
    assert_eq!(hex::encode(notice.to_bytes()), expected);
    let a = Agreement {
        title: "A".into(),
        system: "S".into(),
        parties: vec![
            Party::Member { member: "2580".into() },
            Party::Outside { name: "R".into(), organisationsnummer: "232100-0016".into() },
        ],
        start: "2027-01-01".into(),
        end: None,
        notice: NoticeRule { months: 12, at_year_end: true },
        cost_key: None,
        annexes: vec![],
        text: "T".into(),
        amends: None,
    };
    let expected = [
        "0141", // title "A"
        "0153", // system "S"
        "02",   // two parties
        "0004",
        &hex::encode("2580"), // Member "2580"
        "010152",
        "0b",
        &hex::encode("232100-0016"), // Outside "R", organisationsnummer
        "0a",
        &hex::encode("2027-01-01"), // start
        "00",                       // end: tills vidare
        "0c01",                     // 12 months, at year end
        "00",
        "00",   // no cost key, no annexes
        "0154", // text "T"
        "00",   // amends nothing
    ]
    .concat();
    assert_eq!(hex::encode(a.to_bytes()), expected);
    assert_eq!(Agreement::from_bytes(&a.to_bytes()), Ok(a));
}

#[test]
fn the_deadline_is_the_last_day_that_reaches_the_earliest_end_for_every_day_and_rule() {
    // Every day of 2027–2028 (a leap year among them) under every rule up to two years.
    let first = d("2027-01-01").days();
    for offset in 0..731 {
        let today = Date::of_utc_ms((first + offset) * 86_400_000);
        for months in 1..=24 {
            for at_year_end in [false, true] {
                let rule = NoticeRule { months, at_year_end };
                let found = deadline(today, rule);
                assert!(found.last_day >= today, "{today} {rule:?}");
                assert_eq!(found.ends, ends(today, rule), "{today} {rule:?}: the earliest end is today's notice's");
                assert_eq!(ends(found.last_day, rule), found.ends, "{today} {rule:?}");
                let day_after = Date::parse(&next_day(found.last_day)).expect("a date");
                assert!(ends(day_after, rule) > found.ends, "{today} {rule:?}: a day late ends it later");
            }
        }
    }
}
