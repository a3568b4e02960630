//! Plans, plan receipts, cost keys and adoption (`docs/plans.md`): totals computed from lines,
//! one accepting and one rejecting case per rule with the exact rejection, the diff, and
//! adoption by a closing that names the exact version.

use samverka_protocol::cost::{self, Ore};
use samverka_protocol::governance::{self, settle, Choice, Matter, Procedure, Violation as GovViolation, Vote};
use samverka_protocol::plan::{
    self, adoption, compare, diff, totals, Activity, ActivityClaims, Adoption, BudgetLine, Change, Claims, CostKey,
    Days, Decided, Effort, Goal, GoalClaims, Initiative, KeyBasis, KeyEntry, Mode, Outcome, OutcomeLine, Period, Plan,
    PlanKind, PlanReceipt, Sides, Term, Violation,
};
use samverka_protocol::testkit::{self, Author, Federation, Held};
use samverka_protocol::{Body, Hash, Kind, MatterKind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const OTHER: &str = "1001";

/// Three kommuner, 1000 the host: its förvaltare, its ordförande, another member's förvaltare,
/// a node key per member and an ordinarie per member.
struct World {
    fed: Federation,
    forvaltare: Author,
    ordforande: Author,
    other_forvaltare: Author,
    nodes: Vec<Author>,
    voters: Vec<Author>,
    held: Held,
}

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Planer", &testkit::kommuner(3), HOST);
        let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
        let forvaltare = fed.certify_person(HOST, "plan/forvaltare", &[Role::Forvaltare]);
        let ordforande = fed.certify_person(HOST, "plan/ordforande", &[Role::Ordforande]);
        let other_forvaltare = fed.certify_person(OTHER, "plan/other-forvaltare", &[Role::Forvaltare]);
        let nodes = members.iter().map(|m| fed.certify_node(m, &format!("plan/node/{m}"))).collect();
        let voters = members
            .iter()
            .map(|m| fed.certify_person(m, &format!("plan/ordinarie/{m}"), &[Role::StyrgruppOrdinarie]))
            .collect();
        World { fed, forvaltare, ordforande, other_forvaltare, nodes, voters, held: Held::default() }
    }

    fn submit(&mut self, author: &mut Author, kind: Kind, body: Vec<u8>) -> Result<Record<Verified>, Rejection> {
        self.fed.submit(&mut self.held, author, kind, body)
    }

    fn by_forvaltare<B: Body>(&mut self, body: &B) -> Result<Record<Verified>, Rejection> {
        let mut a = self.forvaltare.clone();
        let out = self.submit(&mut a, B::KIND, body.to_bytes());
        self.forvaltare = a;
        out
    }

    fn by_node<B: Body>(&mut self, i: usize, body: &B) -> Result<Record<Verified>, Rejection> {
        let mut a = self.nodes[i].clone();
        let out = self.submit(&mut a, B::KIND, body.to_bytes());
        self.nodes[i] = a;
        out
    }

    fn publish(&mut self, plan: &Plan) -> Record<Verified> {
        self.by_forvaltare(plan).expect("the host's förvaltare publishes a valid plan")
    }
}

fn effort(business_days: u64, it_days: u64, it_fixed_kr: u64) -> Sides<Effort> {
    Sides {
        business: Effort { person_days: Days::whole(business_days), fixed_ore: 0 },
        it: Effort { person_days: Days::whole(it_days), fixed_ore: it_fixed_kr * 100 },
    }
}

fn goal(text: &str, mode: Mode, e: Sides<Effort>) -> Goal {
    Goal { text: text.into(), mode, effort: e }
}

/// WebCare's förvaltningsplan 2012 (seed 004), its lines as typed: 5 600 kr a person-day on both
/// sides, 190 working days per full-time equivalent.
fn webcare_2012() -> Plan {
    let vu = Mode::Vu { priority: 1 };
    Plan {
        kind: PlanKind::Forvaltningsplan,
        title: "Förvaltningsplan Samverkan vid vårdövergångar 2012".into(),
        period: Period { first: "2012-01-15".into(), last: "2012-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 560_000, it: 560_000 },
        days_per_fte: 190,
        activities: vec![
            Activity {
                name: "Förvaltningsstyrning".into(),
                goals: vec![
                    goal("Löpande förvaltningsstyrning är genomförd (2)", Mode::Vm, effort(26, 18, 0)),
                    goal("Förvaltningen är etablerad (1)", Mode::Vm, effort(25, 20, 0)),
                ],
            },
            Activity {
                name: "Ändringshantering".into(),
                goals: vec![
                    goal("WebCare hanterar kommunträdet i EK (10)", Mode::Vm, effort(12, 15, 200_000)),
                    goal("Trygghetskvittot är komplett (11)", vu, effort(15, 7, 100_000)),
                ],
            },
            Activity {
                name: "Daglig IT-drift och underhåll".into(),
                goals: vec![goal("Servicenivåer är uppfyllda", Mode::Vm, effort(0, 0, 2_098_368))],
            },
        ],
        initiatives: vec![],
        budget: vec![],
    }
}

fn kr(n: i64) -> Ore {
    Ore(n * 100)
}

fn sides(business: i64, it: i64) -> Sides<Option<Ore>> {
    Sides { business: Some(kr(business)), it: Some(kr(it)) }
}

fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Plan { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

// ---- totals ----

#[test]
fn every_total_is_computed_from_the_lines() {
    let t = totals(&webcare_2012());
    let styrning = &t.activities[0];
    // 26 days × 5 600 = 145 600 (the seed types 20 000); 18 × 5 600 = 100 800 (it types 103 040).
    assert_eq!(styrning.goals[0].cost, Sides { business: kr(145_600), it: kr(100_800) });
    assert_eq!(styrning.vm, Sides { business: kr(285_600), it: kr(212_800) });
    assert_eq!(styrning.vu, Sides { business: kr(0), it: kr(0) });
    assert_eq!(styrning.days, Sides { business: Days::whole(51), it: Days::whole(38) });
    let andring = &t.activities[1];
    // 12 × 5 600 + 0 = 67 200; 15 × 5 600 + 200 000 = 284 000, as the seed's "summa" says.
    assert_eq!(andring.goals[0].cost, Sides { business: kr(67_200), it: kr(284_000) });
    assert_eq!(andring.vu, Sides { business: kr(84_000), it: kr(139_200) });
    assert_eq!(t.activities[2].total, kr(2_098_368));
    assert_eq!(t.vm, Sides { business: kr(352_800), it: kr(2_595_168) });
    assert_eq!(t.vu, Sides { business: kr(84_000), it: kr(139_200) });
    assert_eq!(t.days, Sides { business: Days::whole(78), it: Days::whole(60) });
    assert_eq!(t.total, kr(352_800 + 2_595_168 + 84_000 + 139_200));
    // 138 person-days / 190 = 0,7263… → 0,73 FTE; each side rounded on its own.
    assert_eq!(t.fte_hundredths, 73);
    assert_eq!(t.fte_side_hundredths, Sides { business: 41, it: 32 });
    assert_eq!(plan::fte_hundredths(Days::whole(95), 190), 50);
    assert_eq!(plan::fte_hundredths(Days::whole(1), 200), 1, "half a hundredth rounds up");
    assert_eq!(plan::fte_hundredths(Days::whole(1), 201), 0);
    assert_eq!(plan::fte_hundredths(Days(50), 1), 50, "half a day is half an FTE of one day");
}

#[test]
fn half_days_are_priced_to_the_ore_half_to_even_per_line() {
    let mut p = webcare_2012();
    let g = &mut p.activities[0].goals[0].effort;
    // 0,5 day × 5 600 kr is exact: 2 800,00 kr.
    g.business.person_days = Days::parse("0,5").expect("half a day");
    // 12,25 days × 5 600,01 kr = 68 600,1225 kr → 68 600,12 (below half: down).
    g.it.person_days = Days::parse("12,25").expect("a quarter day");
    p.day_rate = Sides { business: 560_000, it: 560_001 };
    let t = totals(&p);
    assert_eq!(t.activities[0].goals[0].cost, Sides { business: Ore(280_000), it: Ore(6_860_012) });
    assert_eq!(t.activities[0].goals[0].days, Sides { business: Days(50), it: Days(1_225) });
    // 0,01 day × 2,50 kr = 2,5 öre → 2 (to even); × 1,50 kr = 1,5 öre → 2 (to even).
    assert_eq!(Days(1).price(250), Ore(2));
    assert_eq!(Days(1).price(150), Ore(2));
    assert_eq!(Days(3).price(50), Ore(2), "1,5 öre rounds to the even 2");
    assert_eq!(Days(5).price(50), Ore(2), "2,5 öre rounds to the even 2");
}

#[test]
fn typed_totals_that_disagree_with_the_lines_are_reported_line_by_line() {
    let p = webcare_2012();
    let t = totals(&p);
    let claims = Claims {
        activities: vec![
            ActivityClaims {
                goals: vec![GoalClaims { cost: sides(20_000, 103_040) }, GoalClaims { cost: sides(140_000, 112_000) }],
                vm: sides(285_600, 212_800),
                days: Sides { business: Some(Days::whole(144)), it: Some(Days::whole(38)) },
                ..ActivityClaims::default()
            },
            ActivityClaims { goals: vec![GoalClaims { cost: sides(67_200, 284_000) }], ..ActivityClaims::default() },
        ],
        total: Some(kr(6_199_695)),
        fte_hundredths: Some(256),
        ..Claims::default()
    };
    let found: Vec<(&str, String, i64, i64)> =
        compare(&p, &t, &claims).into_iter().map(|d| (d.code, d.place, d.claimed, d.computed)).collect();
    let expected = vec![
        ("goal_cost_mismatch", "Förvaltningsstyrning, delmål 1, verksamhetsnära".into(), 2_000_000, 14_560_000),
        ("goal_cost_mismatch", "Förvaltningsstyrning, delmål 1, IT-nära".into(), 10_304_000, 10_080_000),
        // Person-days in hundredths of a day.
        ("activity_days_mismatch", "Förvaltningsstyrning, totalt persondagar, verksamhetsnära".into(), 14_400, 5_100),
        ("grand_total_mismatch", "summa kronor".into(), 619_969_500, t.total.0),
        ("fte_mismatch", "summa heltider".into(), 256, 73),
    ];
    // Delmål 2 (25 × 5 600 = 140 000, 20 × 5 600 = 112 000) agrees on both sides: not reported.
    assert_eq!(found, expected);
}

// ---- who publishes ----

#[test]
fn the_hosts_forvaltare_and_ordforande_publish_a_plan() {
    let mut w = World::new();
    w.publish(&webcare_2012());
    let mut chair = w.ordforande.clone();
    let budget = budget_plan(None, 1_500_000);
    w.submit(&mut chair, Kind::Plan, budget.to_bytes()).expect("the host's ordförande publishes");
}

#[test]
fn rejects_a_plan_by_another_members_forvaltare() {
    let mut w = World::new();
    let mut other = w.other_forvaltare.clone();
    let result = w.submit(&mut other, Kind::Plan, webcare_2012().to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Plan, .. })), "{result:?}");
}

#[test]
fn rejects_a_plan_by_the_hosts_node_key() {
    let mut w = World::new();
    let result = w.by_node(0, &webcare_2012());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Plan, .. })), "{result:?}");
}

// ---- the plan's rules, one by one ----

fn with(f: impl FnOnce(&mut Plan)) -> Plan {
    let mut p = webcare_2012();
    f(&mut p);
    p
}

fn rejects(plan: Plan, violation: Violation) {
    let mut w = World::new();
    refused(w.by_forvaltare(&plan), Kind::Plan, violation);
}

#[test]
fn rejects_a_blank_title() {
    rejects(with(|p| p.title = "  ".into()), Violation::Empty { field: "title" });
}

#[test]
fn rejects_a_title_of_two_lines() {
    rejects(with(|p| p.title = "a\nb".into()), Violation::NotOneLine { field: "title" });
}

#[test]
fn rejects_a_title_too_long() {
    rejects(with(|p| p.title = "x".repeat(1025)), Violation::LineTooLong { field: "title", len: 1025 });
}

#[test]
fn rejects_a_period_day_that_is_no_date() {
    rejects(with(|p| p.period.last = "2012-02-30".into()), Violation::BadDate { field: "period.last" });
}

#[test]
fn rejects_a_period_that_ends_before_it_starts() {
    let v = Violation::PeriodReversed { first: "2012-01-15".into(), last: "2012-01-14".into() };
    rejects(with(|p| p.period.last = "2012-01-14".into()), v);
}

#[test]
fn rejects_zero_days_per_fte() {
    rejects(with(|p| p.days_per_fte = 0), Violation::DaysPerFte { days: 0 });
}

#[test]
fn rejects_a_day_rate_over_the_limit() {
    let ore = plan::MAX_DAY_RATE_ORE + 1;
    rejects(with(|p| p.day_rate.it = ore), Violation::DayRateTooLarge { ore });
}

#[test]
fn rejects_budget_lines_in_a_forvaltningsplan() {
    let v = Violation::FieldNotForKind { field: "budget", kind: "forvaltningsplan" };
    rejects(with(|p| p.budget = vec![BudgetLine { name: "Drift".into(), amount_ore: 1 }]), v);
}

#[test]
fn rejects_a_forvaltningsplan_without_activities() {
    rejects(with(|p| p.activities.clear()), Violation::Empty { field: "activities" });
}

#[test]
fn rejects_two_activities_with_one_name() {
    let v = Violation::DuplicateActivity { name: " Förvaltningsstyrning".into() };
    rejects(
        with(|p| {
            let mut again = p.activities[0].clone();
            again.name = " Förvaltningsstyrning".into();
            p.activities.push(again);
        }),
        v,
    );
}

#[test]
fn rejects_an_activity_without_goals() {
    rejects(with(|p| p.activities[2].goals.clear()), Violation::Empty { field: "goals" });
}

#[test]
fn rejects_too_many_goals_in_one_activity() {
    let n = plan::MAX_GOALS + 1;
    let v = Violation::TooMany { field: "goals", len: n, max: plan::MAX_GOALS };
    rejects(with(|p| p.activities[0].goals = vec![p.activities[0].goals[0].clone(); n]), v);
}

#[test]
fn rejects_a_vu_goal_with_priority_zero() {
    rejects(
        with(|p| p.activities[1].goals[1].mode = Mode::Vu { priority: 0 }),
        Violation::PriorityOutOfRange { priority: 0 },
    );
}

#[test]
fn rejects_person_days_over_the_limit() {
    let days = plan::MAX_PERSON_DAYS + Days(1);
    rejects(
        with(|p| p.activities[0].goals[0].effort.business.person_days = days),
        Violation::PersonDaysTooLarge { days },
    );
}

#[test]
fn rejects_a_fixed_cost_over_the_limit() {
    let ore = plan::MAX_LINE_ORE + 1;
    rejects(with(|p| p.activities[0].goals[0].effort.it.fixed_ore = ore), Violation::AmountTooLarge { ore });
}

fn budget_plan(supersedes: Option<RecordId>, kronor: u64) -> Plan {
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
            BudgetLine { name: "Licenser".into(), amount_ore: (kronor - 500_000) * 100 },
            BudgetLine { name: "Förvaltning".into(), amount_ore: 500_000 * 100 },
        ],
    }
}

#[test]
fn rejects_two_budget_lines_with_one_name() {
    let mut w = World::new();
    let mut b = budget_plan(None, 1_500_000);
    b.budget[1].name = "Licenser ".into();
    refused(w.by_forvaltare(&b), Kind::Plan, Violation::DuplicateBudgetLine { name: "Licenser ".into() });
}

#[test]
fn an_utvecklingsplan_holds_initiatives_priced_by_term() {
    let mut w = World::new();
    let p = Plan {
        kind: PlanKind::Utvecklingsplan,
        title: "Digitaliseringsplan 2027–2029".into(),
        period: Period { first: "2027-01-01".into(), last: "2029-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 600_000, it: 800_000 },
        days_per_fte: 200,
        activities: vec![],
        initiatives: vec![
            Initiative {
                title: "Mobil dokumentation".into(),
                term: Term::Short,
                description: String::new(),
                effort: effort(10, 5, 0),
            },
            Initiative {
                title: "Ny e-tjänst".into(),
                term: Term::Long,
                description: "Ansökan".into(),
                effort: effort(0, 20, 50_000),
            },
        ],
        budget: vec![],
    };
    w.publish(&p);
    let t = totals(&p);
    assert_eq!(t.short_term, Sides { business: kr(60_000), it: kr(40_000) });
    assert_eq!(t.long_term, Sides { business: kr(0), it: kr(210_000) });
    assert_eq!(t.total, kr(310_000));
    let mut q = p.clone();
    q.initiatives.clear();
    refused(w.by_forvaltare(&q), Kind::Plan, Violation::Empty { field: "initiatives" });
}

#[test]
fn a_new_version_waits_for_the_one_it_supersedes_and_must_be_of_its_kind() {
    let mut w = World::new();
    let unknown = Hash([9; 32]);
    let result = w.by_forvaltare(&budget_plan(Some(unknown), 1_500_000));
    assert_eq!(result, Err(Rejection::MissingDependency { id: unknown }));
    let fp = w.publish(&webcare_2012());
    let v = Violation::SupersedesOtherKind { id: fp.id(), found: "forvaltningsplan" };
    refused(w.by_forvaltare(&budget_plan(Some(fp.id()), 1_500_000)), Kind::Plan, v);
    let mut node = w.nodes[0].clone();
    let note = w.submit(&mut node, Kind::Note, b"en anteckning".to_vec()).expect("a note");
    let v = Violation::WrongKind { id: note.id(), found: Kind::Note, expected: Kind::Plan };
    refused(w.by_forvaltare(&budget_plan(Some(note.id()), 1_500_000)), Kind::Plan, v);
    let b1 = w.publish(&budget_plan(None, 1_500_000));
    w.publish(&budget_plan(Some(b1.id()), 1_600_000));
}

// ---- receipts ----

#[test]
fn every_members_node_receipts_a_plan_it_holds() {
    let mut w = World::new();
    let p = w.publish(&webcare_2012());
    for i in 0..3 {
        w.by_node(i, &PlanReceipt { plan: p.id() }).expect("a member's node receipts a plan");
    }
}

#[test]
fn rejects_a_plan_receipt_by_a_person_key() {
    let mut w = World::new();
    let p = w.publish(&webcare_2012());
    let result = w.by_forvaltare(&PlanReceipt { plan: p.id() });
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::PlanReceipt, .. })), "{result:?}");
}

#[test]
fn a_plan_receipt_waits_for_its_plan_and_names_a_plan() {
    let mut w = World::new();
    let unknown = Hash([3; 32]);
    assert_eq!(w.by_node(1, &PlanReceipt { plan: unknown }), Err(Rejection::MissingDependency { id: unknown }));
    let mut node = w.nodes[0].clone();
    let note = w.submit(&mut node, Kind::Note, b"inte en plan".to_vec()).expect("a note");
    w.nodes[0] = node;
    let v = Violation::WrongKind { id: note.id(), found: Kind::Note, expected: Kind::Plan };
    refused(w.by_node(1, &PlanReceipt { plan: note.id() }), Kind::PlanReceipt, v);
}

// ---- utfall ----

fn outcome(plan: RecordId, quarter: u8, lines: &[(&str, u64, u64)]) -> Outcome {
    Outcome {
        plan,
        year: 2012,
        quarter,
        lines: lines
            .iter()
            .map(|(name, b, it)| OutcomeLine { name: (*name).into(), actual: Sides { business: *b, it: *it } })
            .collect(),
    }
}

/// A world holding WebCare 2012, and an utfall for its first quarter changed by `f`.
fn utfall_with(f: impl FnOnce(&mut Outcome)) -> (World, Outcome) {
    let mut w = World::new();
    let plan = w.publish(&webcare_2012());
    let mut o = outcome(plan.id(), 1, &[("Förvaltningsstyrning", 6_000_000, 4_000_000)]);
    f(&mut o);
    (w, o)
}

fn rejects_utfall(f: impl FnOnce(&mut Outcome), violation: Violation) {
    let (mut w, o) = utfall_with(f);
    refused(w.by_forvaltare(&o), Kind::Outcome, violation);
}

#[test]
fn the_hosts_forvaltare_and_ordforande_record_utfall_per_activity_and_quarter() {
    let (mut w, o) = utfall_with(|o| {
        o.lines.push(OutcomeLine { name: " Ändringshantering ".into(), actual: Sides { business: 1, it: 0 } })
    });
    w.by_forvaltare(&o).expect("the host's förvaltare records utfall");
    let mut chair = w.ordforande.clone();
    let q2 = Outcome { quarter: 2, ..o };
    w.submit(&mut chair, Kind::Outcome, q2.to_bytes()).expect("the host's ordförande records utfall");
}

#[test]
fn rejects_utfall_by_another_members_forvaltare() {
    let (mut w, o) = utfall_with(|_| {});
    let mut other = w.other_forvaltare.clone();
    let result = w.submit(&mut other, Kind::Outcome, o.to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Outcome, .. })), "{result:?}");
}

#[test]
fn rejects_utfall_for_quarter_five() {
    rejects_utfall(|o| o.quarter = 5, Violation::QuarterOutOfRange { quarter: 5 });
}

#[test]
fn rejects_utfall_for_year_zero() {
    rejects_utfall(|o| o.year = 0, Violation::BadYear { year: 0 });
}

#[test]
fn rejects_utfall_without_lines() {
    rejects_utfall(|o| o.lines.clear(), Violation::Empty { field: "lines" });
}

#[test]
fn rejects_utfall_naming_one_activity_twice() {
    rejects_utfall(
        |o| o.lines.push(OutcomeLine { name: "Förvaltningsstyrning ".into(), actual: Sides::default() }),
        Violation::DuplicateOutcomeLine { name: "Förvaltningsstyrning ".into() },
    );
}

#[test]
fn rejects_utfall_over_the_line_limit() {
    let ore = plan::MAX_LINE_ORE + 1;
    rejects_utfall(|o| o.lines[0].actual.it = ore, Violation::AmountTooLarge { ore });
}

#[test]
fn rejects_utfall_for_an_activity_not_in_the_plan() {
    rejects_utfall(|o| o.lines[0].name = "Användarstöd".into(), Violation::NotInPlan { name: "Användarstöd".into() });
}

#[test]
fn rejects_utfall_for_a_quarter_outside_the_plans_period() {
    rejects_utfall(|o| o.year = 2013, Violation::QuarterOutsidePeriod { year: 2013, quarter: 1 });
}

#[test]
fn utfall_waits_for_its_plan_and_names_a_plan() {
    let unknown = Hash([3; 32]);
    let (mut w, o) = utfall_with(|o| o.plan = unknown);
    assert_eq!(w.by_forvaltare(&o), Err(Rejection::MissingDependency { id: unknown }));
    let mut node = w.nodes[0].clone();
    let note = w.submit(&mut node, Kind::Note, b"inte en plan".to_vec()).expect("a note");
    w.nodes[0] = node;
    let v = Violation::WrongKind { id: note.id(), found: Kind::Note, expected: Kind::Plan };
    refused(w.by_forvaltare(&Outcome { plan: note.id(), ..o }), Kind::Outcome, v);
}

#[test]
fn rejects_utfall_of_an_utvecklingsplan() {
    let mut w = World::new();
    let plan = Plan {
        kind: PlanKind::Utvecklingsplan,
        activities: vec![],
        initiatives: vec![Initiative {
            title: "E-tjänst".into(),
            term: Term::Short,
            description: String::new(),
            effort: effort(1, 1, 0),
        }],
        ..webcare_2012()
    };
    let plan = w.publish(&plan);
    let o = outcome(plan.id(), 1, &[("E-tjänst", 1, 0)]);
    refused(w.by_forvaltare(&o), Kind::Outcome, Violation::NotFollowedUp { kind: "utvecklingsplan" });
}

#[test]
fn rejects_an_it_amount_on_a_budget_line() {
    let mut w = World::new();
    let budget = w.publish(&budget_plan(None, 1_500_000));
    let o = Outcome { year: 2027, ..outcome(budget.id(), 2, &[("Licenser", 100, 0)]) };
    w.by_forvaltare(&o).expect("a budget line's utfall is on the verksamhetsnära side");
    let o = Outcome { year: 2027, ..outcome(budget.id(), 2, &[("Licenser", 100, 1)]) };
    refused(w.by_forvaltare(&o), Kind::Outcome, Violation::SideNotInPlan { name: "Licenser".into() });
}

// ---- cost keys ----

fn percent_key(w: &World, shares: &[i64], supersedes: Option<RecordId>) -> CostKey {
    let members: Vec<String> = w.fed.chain.current().members.keys().cloned().collect();
    CostKey {
        year: 2027,
        title: "Fördelningsnyckel 2027".into(),
        basis: KeyBasis::Percent,
        entries: members
            .into_iter()
            .zip(shares)
            .map(|(member, s)| KeyEntry { member, weight_millionths: s * 100_000 })
            .collect(),
        supersedes,
    }
}

#[test]
fn a_cost_key_splits_the_budget_to_the_ore() {
    let mut w = World::new();
    let key = percent_key(&w, &[406, 333, 261], None);
    w.by_forvaltare(&key).expect("the host's förvaltare publishes a key");
    let split = cost::split(Ore(123_456_789), &key.key().expect("a valid key")).expect("a split");
    assert_eq!(split.total(), Ore(123_456_789));
    let amounts: Vec<i64> = split.lines.iter().map(|l| l.amount.0).collect();
    // Exact shares 50 123 456,334 / 41 111 110,737 / 32 222 221,929 öre: Σ floors is 2 öre short,
    // and the two largest remainders (,929 and ,737) get one each.
    assert_eq!(amounts, vec![50_123_456, 41_111_111, 32_222_222]);
}

#[test]
fn rejects_a_percent_key_that_does_not_sum_to_100() {
    let mut w = World::new();
    let key = percent_key(&w, &[406, 333, 260], None);
    let result = w.by_forvaltare(&key);
    assert_eq!(result.as_ref().map_err(Rejection::code).err(), Some("percent_sum"));
    assert!(matches!(result, Err(Rejection::Plan { kind: Kind::CostKey, violation: Violation::Key(_) })));
}

#[test]
fn rejects_a_cost_key_naming_a_stranger() {
    let mut w = World::new();
    let mut key = percent_key(&w, &[406, 333, 261], None);
    key.entries[2].member = "9999".into();
    refused(w.by_forvaltare(&key), Kind::CostKey, Violation::NotAMember { member: "9999".into() });
}

#[test]
fn rejects_a_cost_key_for_year_zero() {
    let mut w = World::new();
    let mut key = percent_key(&w, &[406, 333, 261], None);
    key.year = 0;
    refused(w.by_forvaltare(&key), Kind::CostKey, Violation::BadYear { year: 0 });
}

#[test]
fn rejects_a_cost_key_superseding_another_years_key() {
    let mut w = World::new();
    let mut old = percent_key(&w, &[406, 333, 261], None);
    old.year = 2026;
    let old = w.by_forvaltare(&old).expect("the 2026 key");
    let key = percent_key(&w, &[406, 333, 261], Some(old.id()));
    refused(w.by_forvaltare(&key), Kind::CostKey, Violation::SupersedesOtherYear { id: old.id(), found: 2026 });
}

#[test]
fn rejects_a_per_capita_key_without_a_date() {
    let mut w = World::new();
    let mut key = percent_key(&w, &[40, 33, 26], None);
    key.basis = KeyBasis::PerCapita { date: "31 december".into() };
    refused(w.by_forvaltare(&key), Kind::CostKey, Violation::BadDate { field: "basis.date" });
}

// ---- the diff ----

#[test]
fn the_diff_says_what_changed_between_versions() {
    let old = webcare_2012();
    let new = with(|p| {
        p.activities[0].goals[0].effort.business.person_days = Days::whole(20);
        p.activities[2].goals.push(goal("WebCare körs i en supporterad it-miljö", Mode::Vm, effort(0, 10, 100_000)));
        p.activities.remove(1);
        p.activities
            .push(Activity { name: "Användarstöd".into(), goals: vec![goal("Stöd", Mode::Vm, effort(5, 3, 0))] });
    });
    let codes: Vec<&str> = diff(&old, &new).iter().map(Change::code).collect();
    assert_eq!(codes, vec!["goal_changed", "activity_removed", "goal_added", "activity_added", "total"]);
    assert!(diff(&old, &old).is_empty());
}

// ---- adoption ----

fn subject_matter(w: &World, kind: MatterKind, subject: RecordId) -> Matter {
    Matter {
        kind,
        title: "Förvaltningsplan 2012".into(),
        proposal: "Styrgruppen fastställer förvaltningsplanen.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 14 },
        closer: w.nodes[0].key.public(),
        subject: Some(subject),
    }
}

/// Tables `matter` at the host's node, has every member vote `choice`, closes it, and returns
/// the matter as decided.
fn decide(w: &mut World, matter: &Matter, choice: Choice) -> Decided {
    let m = w.by_node(0, matter).expect("the host's node tables the matter");
    let members: Vec<String> = w.fed.chain.current().members.keys().cloned().collect();
    let mut votes = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let mut voter = w.voters[i].clone();
        let body = Vote { matter: m.id(), member: member.clone(), choice };
        votes.push(w.submit(&mut voter, Kind::Vote, body.to_bytes()).expect("a vote"));
        w.voters[i] = voter;
    }
    let closing = governance::close(m.id(), matter, &votes, &w.fed.chain, w.fed.chain.current());
    let closing = w.by_node(0, &closing).expect("the closer closes");
    Decided { id: m.id(), matter: matter.clone(), settlement: settle(&m.id(), matter, &[closing]) }
}

#[test]
fn only_a_closing_that_adopts_the_named_version_makes_it_faststalld() {
    let mut w = World::new();
    let v1 = w.publish(&webcare_2012());
    let v2 = w.publish(&with(|p| p.supersedes = Some(v1.id())));
    // A matter naming v2 is rejected; one without a subject is adopted; neither adopts a plan.
    let named_v2 = subject_matter(&w, MatterKind::Forvaltningsplan, v2.id());
    let rejected = decide(&mut w, &named_v2, Choice::No);
    let mut plain = subject_matter(&w, MatterKind::Forvaltningsplan, v2.id());
    plain.subject = None;
    plain.title = "Utan föremål".into();
    let unnamed = decide(&mut w, &plain, Choice::Yes);
    let decided = vec![rejected.clone(), unnamed.clone()];
    assert_eq!(adoption(&v1.id(), &decided), Adoption::NotAdopted);
    assert_eq!(adoption(&v2.id(), &decided), Adoption::NotAdopted);
    // A matter naming v1, adopted: v1 is fastställd, v2 (the later version) is not.
    let named_v1 = subject_matter(&w, MatterKind::Forvaltningsplan, v1.id());
    let adopted = decide(&mut w, &named_v1, Choice::Yes);
    let closing = match adopted.settlement {
        governance::Settlement::Closed { closing, .. } => closing,
        ref s => panic!("the matter is closed: {s:?}"),
    };
    let decided = vec![rejected, unnamed, adopted.clone()];
    assert_eq!(adoption(&v1.id(), &decided), Adoption::Adopted { matter: adopted.id, closing });
    assert_eq!(adoption(&v2.id(), &decided), Adoption::NotAdopted, "a later version needs a new decision");
}

#[test]
fn rejects_a_matter_whose_subject_is_a_plan_of_another_kind() {
    let mut w = World::new();
    let fp = w.publish(&webcare_2012());
    let m = subject_matter(&w, MatterKind::Budget, fp.id());
    let result = w.by_node(0, &m);
    let v = GovViolation::SubjectKindMismatch { subject: fp.id(), found: "plan" };
    assert_eq!(result.err(), Some(Rejection::Governance { kind: Kind::Matter, violation: v }));
}

#[test]
fn rejects_a_matter_with_a_subject_and_alternatives() {
    let mut w = World::new();
    let fp = w.publish(&webcare_2012());
    let mut m = subject_matter(&w, MatterKind::Forvaltningsplan, fp.id());
    m.alternatives = vec!["A".into(), "B".into()];
    let result = w.by_node(0, &m);
    let v = GovViolation::SubjectWithAlternatives;
    assert_eq!(result.err(), Some(Rejection::Governance { kind: Kind::Matter, violation: v }));
}

#[test]
fn a_matter_waits_for_its_subject_and_a_budget_matter_may_name_a_cost_key() {
    let mut w = World::new();
    let unknown = Hash([5; 32]);
    let m = subject_matter(&w, MatterKind::Forvaltningsplan, unknown);
    assert_eq!(w.by_node(0, &m).err(), Some(Rejection::MissingDependency { id: unknown }));
    let key = w.by_forvaltare(&percent_key(&w, &[406, 333, 261], None)).expect("a key");
    w.by_node(0, &subject_matter(&w, MatterKind::Budget, key.id())).expect("a budget matter adopts a key");
}

// ---- encoding ----

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn golden_plan_receipt_and_cost_key_bodies() {
    let budget = Plan {
        kind: PlanKind::Budget,
        title: "B".into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides::default(),
        days_per_fte: 200,
        activities: vec![],
        initiatives: vec![],
        budget: vec![BudgetLine { name: "L".into(), amount_ore: 100 }],
    };
    let date = |d: &str| format!("0a{}", hex(d.as_bytes()));
    let expected = format!("020142{}{}000000c801000001014c64", date("2027-01-01"), date("2027-12-31"));
    assert_eq!(hex(&budget.to_bytes()), expected);
    assert_eq!(Plan::from_bytes(&budget.to_bytes()), Ok(budget));
    // A goal's person-days encode as a varint of hundredths of a day: 0,5 day is 50 = `32`,
    // 12,5 days 1250 = `e2 09` (changed from whole days before the first release).
    let effort = Sides {
        business: Effort { person_days: Days(50), fixed_ore: 0 },
        it: Effort { person_days: Days(1_250), fixed_ore: 100 },
    };
    assert_eq!(hex(&samverka_protocol::encoding::encode(&effort)), "3200e20964");
    let receipt = PlanReceipt { plan: Hash([0x07; 32]) };
    assert_eq!(hex(&receipt.to_bytes()), "07".repeat(32));
    let key = CostKey {
        year: 2027,
        title: "K".into(),
        basis: KeyBasis::Percent,
        entries: vec![KeyEntry { member: "2580".into(), weight_millionths: 100_000_000 }],
        supersedes: None,
    };
    // year 2027 = varint eb 0f; the weight 10^8 zigzag-encoded is 2·10^8 = varint 80 84 af 5f.
    assert_eq!(hex(&key.to_bytes()), "eb0f014b00010432353830".to_owned() + "8084af5f00");
    assert_eq!(CostKey::from_bytes(&key.to_bytes()), Ok(key));
    let utfall = Outcome {
        plan: Hash([0x07; 32]),
        year: 2027,
        quarter: 1,
        lines: vec![OutcomeLine { name: "A".into(), actual: Sides { business: 100, it: 0 } }],
    };
    // plan (32 raw bytes), year eb 0f, quarter 01, one line: "A", 100 = 64, 0.
    assert_eq!(hex(&utfall.to_bytes()), "07".repeat(32) + "eb0f0101014164" + "00");
    assert_eq!(Outcome::from_bytes(&utfall.to_bytes()), Ok(utfall));
}

proptest::proptest! {
    /// Whatever the lines, the totals add up: each activity's VM + VU is its cost, the plan's
    /// cost is the sum of its activities', and the grand total is both sides' cost.
    #[test]
    fn totals_add_up_for_any_lines(
        goals in proptest::collection::vec(
            (
                0..=plan::MAX_PERSON_DAYS.hundredths(),
                0..=plan::MAX_PERSON_DAYS.hundredths(),
                0..=plan::MAX_LINE_ORE,
                proptest::bool::ANY,
            ),
            1..20,
        ),
        rates in (0..=plan::MAX_DAY_RATE_ORE, 0..=plan::MAX_DAY_RATE_ORE),
        split in 1usize..4,
    ) {
        let mut p = webcare_2012();
        p.day_rate = Sides { business: rates.0, it: rates.1 };
        p.activities = goals
            .chunks(split)
            .enumerate()
            .map(|(i, chunk)| Activity {
                name: format!("Aktivitet {i}"),
                goals: chunk
                    .iter()
                    .map(|(b, it, fixed, vm)| Goal {
                        text: "Delmål".into(),
                        mode: if *vm { Mode::Vm } else { Mode::Vu { priority: 1 } },
                        effort: Sides {
                            business: Effort { person_days: Days(*b), fixed_ore: 0 },
                            it: Effort { person_days: Days(*it), fixed_ore: *fixed },
                        },
                    })
                    .collect(),
            })
            .collect();
        let t = totals(&p);
        let mut sum = 0i64;
        for a in &t.activities {
            proptest::prop_assert_eq!(a.vm.business.0 + a.vu.business.0, a.cost.business.0);
            proptest::prop_assert_eq!(a.vm.it.0 + a.vu.it.0, a.cost.it.0);
            proptest::prop_assert_eq!(a.goals.iter().map(|g| g.total.0).sum::<i64>(), a.total.0);
            sum += a.total.0;
        }
        proptest::prop_assert_eq!(sum, t.total.0);
        proptest::prop_assert_eq!(t.cost.business.0 + t.cost.it.0, t.total.0);
        let days = Days(goals.iter().map(|g| g.0 + g.1).sum());
        proptest::prop_assert_eq!(t.days.business + t.days.it, days);
        proptest::prop_assert_eq!(t.fte_hundredths, plan::fte_hundredths(days, p.days_per_fte));
    }
}
