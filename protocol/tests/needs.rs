//! Needs (`docs/needs.md`): one refusing case per rule with the exact violation, the full
//! transition table (every allowed and every refused step), endorsements and rankings counted
//! once per member, and the backlog the same for any order of arrival.

use samverka_protocol::governance::{self, BallotClose, Choice, Matter, Procedure, Vote};
use samverka_protocol::needs::{
    backlog, Area, Asker, Backlog, Decision, Need, NeedUpdate, State, Step, Violation, MAX_COST_ORE, MAX_RANKED,
    MAX_TEXT_BYTES,
};
use samverka_protocol::plan::{Activity, Days, Effort, Goal, Mode, Period, Plan, PlanKind, Sides, Violation as Field};
use samverka_protocol::testkit::{self, Author, Federation, Held};
use samverka_protocol::{Body, Kind, MatterKind, Record, RecordId, Rejection, Role, Verified};

const HOST: &str = "1000";
const SECOND: &str = "1001";
const THIRD: &str = "1002";
const PERSONNUMMER: &str = "811218-9876";
const SAMORDNINGSNUMMER: &str = "701063-2391";

/// Three kommuner, 1000 the host: the host's förvaltare (the förvaltningsgrupp) and node key, an
/// objektspecialist and a node key per member, and an ordinarie per member for styrgrupp votes.
struct World {
    fed: Federation,
    held: Held,
    forvaltare: Author,
    host_node: Author,
    specialists: Vec<Author>,
    nodes: Vec<Author>,
    ordinarie: Vec<Author>,
}

const MEMBERS: [&str; 3] = [HOST, SECOND, THIRD];

impl World {
    fn new() -> World {
        let mut fed = Federation::found("Behov", &testkit::kommuner(3), HOST);
        let forvaltare = fed.certify_person(HOST, "behov/forvaltare", &[Role::Forvaltare]);
        let host_node = fed.certify_node(HOST, "behov/host-node");
        let specialists = MEMBERS
            .iter()
            .map(|m| fed.certify_person(m, &format!("behov/{m}/objektspecialist"), &[Role::Objektspecialist]))
            .collect();
        let nodes = MEMBERS.iter().map(|m| fed.certify_node(m, &format!("behov/{m}/node"))).collect();
        let ordinarie = MEMBERS
            .iter()
            .map(|m| fed.certify_person(m, &format!("behov/{m}/ordinarie"), &[Role::StyrgruppOrdinarie]))
            .collect();
        World { fed, held: Held::default(), forvaltare, host_node, specialists, nodes, ordinarie }
    }

    fn submit(&mut self, author: &mut Author, body: &impl Body) -> Result<Record<Verified>, Rejection> {
        self.fed.submit(&mut self.held, author, body_kind(body), body.to_bytes())
    }

    /// By member `i`'s objektspecialist.
    fn by(&mut self, i: usize, body: &impl Body) -> Result<Record<Verified>, Rejection> {
        let mut a = self.specialists[i].clone();
        let out = self.submit(&mut a, body);
        self.specialists[i] = a;
        out
    }

    /// By member `i`'s node key.
    fn by_node(&mut self, i: usize, body: &impl Body) -> Result<Record<Verified>, Rejection> {
        let mut a = self.nodes[i].clone();
        let out = self.submit(&mut a, body);
        self.nodes[i] = a;
        out
    }

    fn by_forvaltare(&mut self, body: &impl Body) -> Result<Record<Verified>, Rejection> {
        let mut a = self.forvaltare.clone();
        let out = self.submit(&mut a, body);
        self.forvaltare = a;
        out
    }

    fn by_host_node(&mut self, body: &impl Body) -> Result<Record<Verified>, Rejection> {
        let mut a = self.host_node.clone();
        let out = self.submit(&mut a, body);
        self.host_node = a;
        out
    }

    /// Member `i` registers a need.
    fn register(&mut self, i: usize) -> RecordId {
        self.by(i, &need(MEMBERS[i])).expect("a member's objektspecialist registers its need").id()
    }

    /// The host's förvaltare publishes a plan (for beslutad within its frame, and planerad).
    fn plan(&mut self) -> RecordId {
        self.by_forvaltare(&plan()).expect("the host's förvaltare publishes a plan").id()
    }

    /// A yes/no styrgrupp matter on `subject`, every ordinarie voting `choice`, closed by the
    /// host's node: the closing's id.
    fn decide(&mut self, subject: Option<RecordId>, choice: Choice) -> RecordId {
        let matter = Matter {
            kind: MatterKind::StorreForandring,
            title: "Ny funktion för avgiftsberäkning".into(),
            proposal: "Styrgruppen beslutar att genomföra behovet.".into(),
            alternatives: vec![],
            papers: vec![],
            procedure: Procedure::PerCapsulam { voting_window_days: 14 },
            closer: self.host_node.key.public(),
            subject,
        };
        let matter_record = self.by_host_node(&matter).expect("the host's node tables a matter on a need");
        let mut votes = Vec::new();
        for (i, m) in MEMBERS.iter().enumerate() {
            let vote = Vote { matter: matter_record.id(), member: (*m).into(), choice };
            let mut a = self.ordinarie[i].clone();
            votes.push(self.submit(&mut a, &vote).expect("an ordinarie votes"));
            self.ordinarie[i] = a;
        }
        let close: BallotClose =
            governance::close(matter_record.id(), &matter, &votes, &self.fed.chain, self.fed.chain.current());
        self.by_host_node(&close).expect("the closer closes the ballot").id()
    }

    fn backlog(&self) -> Backlog {
        let records: Vec<Record<Verified>> = self.held.0.values().cloned().collect();
        backlog(&records, &self.fed.chain)
    }
}

fn body_kind<B: Body>(_: &B) -> Kind {
    B::KIND
}

fn need(member: &str) -> Need {
    Need {
        title: "Avgiftsberäkning för hemtjänst i Treserva-export".into(),
        description: "Avgiften räknas i dag för hand i ett kalkylark efter varje månadsskifte.".into(),
        benefit: "Handläggarna sparar två dagar i månaden och felen i fakturorna minskar.".into(),
        wished: Some("2027-06-30".into()),
        area: Area::Avgift,
        asker: Asker { name: "Anna Lind".into(), role: "avgiftshandläggare".into() },
        member: member.into(),
    }
}

fn with(f: impl FnOnce(&mut Need)) -> Need {
    let mut n = need(SECOND);
    f(&mut n);
    n
}

fn plan() -> Plan {
    let effort = Effort { person_days: Days::whole(10), fixed_ore: 0 };
    Plan {
        kind: PlanKind::Forvaltningsplan,
        title: "Förvaltningsplan 2027".into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 560_000, it: 560_000 },
        days_per_fte: 190,
        activities: vec![Activity {
            name: "Ändringshantering".into(),
            goals: vec![Goal {
                text: "Behoven i backloggen är beredda".into(),
                mode: Mode::Vm,
                effort: Sides { business: effort, it: effort },
            }],
        }],
        initiatives: vec![],
        budget: vec![],
    }
}

fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Need { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

fn rejects(n: Need, violation: Violation) {
    let mut w = World::new();
    refused(w.by(1, &n), Kind::Need, violation);
}

fn step(need: RecordId, follows: RecordId, step: Step) -> NeedUpdate {
    NeedUpdate::Step { need, follows, step, note: String::new() }
}

fn beredd() -> Step {
    Step::Beredd { consequences: "Kräver en ny exportfil från verksamhetssystemet.".into(), cost_ore: 12_000_000 }
}

fn pin(field: &'static str, number: &'static str, at: usize) -> Violation {
    Violation::PersonalIdentityNumber { field, number, at }
}

// ---- the need ----

#[test]
fn a_members_objektspecialist_or_node_registers_a_need() {
    let mut w = World::new();
    w.by(1, &need(SECOND)).expect("an objektspecialist registers");
    w.by_node(2, &need(THIRD)).expect("a member's node registers");
    w.by(0, &with(|n| n.member = HOST.into())).expect("the host's objektspecialist registers");
}

#[test]
fn rejects_a_need_by_an_ordinarie() {
    let mut w = World::new();
    let mut a = w.ordinarie[1].clone();
    let result = w.submit(&mut a, &need(SECOND));
    assert_eq!(result.expect_err("an ordinarie has no need role").code(), "not_authorised");
}

#[test]
fn rejects_a_blank_title() {
    rejects(with(|n| n.title = "  ".into()), Violation::Field(Field::Empty { field: "title" }));
}

#[test]
fn rejects_a_title_of_two_lines() {
    rejects(with(|n| n.title = "Avgift\nhemtjänst".into()), Violation::Field(Field::NotOneLine { field: "title" }));
}

#[test]
fn rejects_a_blank_description() {
    rejects(with(|n| n.description = "".into()), Violation::Field(Field::Empty { field: "description" }));
}

#[test]
fn rejects_a_benefit_too_long() {
    let len = MAX_TEXT_BYTES + 1;
    rejects(with(|n| n.benefit = "x".repeat(len)), Violation::TextTooLong { field: "benefit", len });
}

#[test]
fn rejects_a_wished_date_that_is_no_date() {
    rejects(with(|n| n.wished = Some("30/6 2027".into())), Violation::Field(Field::BadDate { field: "wished date" }));
}

#[test]
fn rejects_a_personnummer_in_every_free_text_field() {
    let text = format!("Gäller {PERSONNUMMER}");
    rejects(with(|n| n.title = text.clone()), pin("title", "personnummer", 7));
    rejects(with(|n| n.description = text.clone()), pin("description", "personnummer", 7));
    rejects(with(|n| n.benefit = text.clone()), pin("benefit", "personnummer", 7));
    rejects(with(|n| n.asker.name = text.clone()), pin("asker name", "personnummer", 7));
    rejects(with(|n| n.asker.role = text.clone()), pin("asker role", "personnummer", 7));
}

#[test]
fn rejects_a_samordningsnummer() {
    rejects(with(|n| n.description = SAMORDNINGSNUMMER.into()), pin("description", "samordningsnummer", 0));
}

#[test]
fn accepts_a_number_with_a_wrong_check_digit() {
    let mut w = World::new();
    w.by(1, &with(|n| n.description = "Ärende 811218-9875 i diariet".into())).expect("not a personnummer");
}

#[test]
fn rejects_a_need_for_another_member() {
    rejects(
        with(|n| n.member = THIRD.into()),
        Violation::MemberNotAuthor { named: THIRD.into(), author: SECOND.into() },
    );
}

#[test]
fn rejects_a_need_for_a_stranger() {
    rejects(with(|n| n.member = "9999".into()), Violation::NotAMember { member: "9999".into() });
}

// ---- endorsements ----

#[test]
fn another_member_endorses_and_counts_once() {
    let mut w = World::new();
    let id = w.register(1);
    w.by(2, &NeedUpdate::Endorse { need: id }).expect("another member endorses");
    w.by_node(2, &NeedUpdate::Endorse { need: id }).expect("endorsing twice is no error");
    w.by(0, &NeedUpdate::Endorse { need: id }).expect("the host endorses");
    let b = w.backlog();
    let entry = &b.needs[&id];
    assert_eq!(entry.endorsers.iter().map(String::as_str).collect::<Vec<_>>(), [HOST, THIRD]);
    assert_eq!(entry.members().len(), 3);
}

#[test]
fn rejects_endorsing_your_own_members_need() {
    let mut w = World::new();
    let id = w.register(1);
    refused(
        w.by_node(1, &NeedUpdate::Endorse { need: id }),
        Kind::NeedUpdate,
        Violation::OwnNeedEndorsed { member: SECOND.into() },
    );
}

#[test]
fn an_endorsement_waits_for_its_need_and_names_a_need() {
    let mut w = World::new();
    let unknown = samverka_protocol::Hash::of(b"test\0", &[b"no such need"]);
    let pending = w.by(2, &NeedUpdate::Endorse { need: unknown }).expect_err("the need is not held");
    assert_eq!(pending, Rejection::MissingDependency { id: unknown });
    let plan = w.plan();
    let wrong = w.by(2, &NeedUpdate::Endorse { need: plan }).expect_err("a plan is no need");
    assert_eq!(wrong.code(), "wrong_kind_referenced");
}

// ---- steps: the full transition table ----

/// The steps from registrerad to `state`, in order.
fn route(state: State) -> Vec<State> {
    match state {
        State::Avslagen | State::Aterkallad => vec![state],
        _ => State::ALL.into_iter().skip(1).take_while(|s| *s <= state).collect(),
    }
}

impl World {
    /// The step to `state` with its data.
    fn step_to(&mut self, state: State, plan: RecordId) -> Step {
        match state {
            State::Registrerad => unreachable!("no step leads to registrerad"),
            State::Beredd => beredd(),
            State::Beslutad => Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } },
            State::Planerad => Step::Planerad { plan },
            plain => Step::plain(plain).expect("every other state is a plain step"),
        }
    }

    /// Takes `to` after `follows` on member 1's need `need`, by the role allowed to take it.
    fn take(
        &mut self,
        need: RecordId,
        follows: RecordId,
        to: State,
        plan: RecordId,
    ) -> Result<Record<Verified>, Rejection> {
        let body = step(need, follows, self.step_to(to, plan));
        if to == State::Aterkallad {
            self.by(1, &body)
        } else {
            self.by_forvaltare(&body)
        }
    }

    /// Member 1 registers a need and walks it to `state`: the need and the last record.
    fn reach(&mut self, state: State, plan: RecordId) -> (RecordId, RecordId) {
        let need = self.register(1);
        let mut at = need;
        for s in route(state) {
            at = self.take(need, at, s, plan).expect("a step along the path").id();
        }
        (need, at)
    }
}

#[test]
fn every_allowed_step_is_taken_and_every_other_is_refused() {
    let mut w = World::new();
    let plan = w.plan();
    let mut allowed = 0;
    for from in State::ALL {
        let (need, at) = w.reach(from, plan);
        assert_eq!(w.backlog().needs[&need].state(), from);
        for to in State::ALL.into_iter().skip(1) {
            let result = w.take(need, at, to, plan);
            if from.next().contains(&to) {
                result.unwrap_or_else(|e| panic!("{from:?} → {to:?} is allowed, but: {e}"));
                allowed += 1;
            } else {
                refused(result, Kind::NeedUpdate, Violation::StepNotAllowed { from, to });
            }
        }
    }
    assert_eq!(allowed, 15, "the path's edges (docs/needs.md §5)");
}

#[test]
fn rejects_a_forvaltningsgrupp_step_by_a_member_or_the_hosts_node() {
    let mut w = World::new();
    let need = w.register(1);
    let to = State::Beredd;
    refused(w.by(1, &step(need, need, beredd())), Kind::NeedUpdate, Violation::NotForvaltningsgrupp { to });
    refused(w.by_host_node(&step(need, need, beredd())), Kind::NeedUpdate, Violation::NotForvaltningsgrupp { to });
    refused(
        w.by(0, &step(need, need, Step::Avslagen)),
        Kind::NeedUpdate,
        Violation::NotForvaltningsgrupp { to: State::Avslagen },
    );
}

#[test]
fn rejects_a_withdrawal_by_another_member() {
    let mut w = World::new();
    let need = w.register(1);
    let other = Violation::WithdrawnByOtherMember { registered: SECOND.into(), author: HOST.into() };
    refused(w.by_forvaltare(&step(need, need, Step::Aterkallad)), Kind::NeedUpdate, other);
    w.by_node(1, &step(need, need, Step::Aterkallad)).expect("the registering member's node withdraws");
}

#[test]
fn rejects_a_step_following_another_needs_step_or_an_endorsement() {
    let mut w = World::new();
    let (first, second) = (w.register(1), w.register(2));
    let endorsed = w.by(0, &NeedUpdate::Endorse { need: first }).expect("endorses").id();
    let other = w.by_forvaltare(&step(second, second, beredd())).expect("prepares the other need").id();
    for follows in [endorsed, other] {
        refused(
            w.by_forvaltare(&step(first, follows, beredd())),
            Kind::NeedUpdate,
            Violation::FollowsOtherRecord { follows },
        );
    }
}

#[test]
fn a_step_waits_for_the_record_it_follows() {
    let mut w = World::new();
    let need = w.register(1);
    let unknown = samverka_protocol::Hash::of(b"test\0", &[b"no such step"]);
    let pending =
        w.by_forvaltare(&step(need, unknown, Step::Beslutad { by: Decision::Forvaltningsgrupp { plan: need } }));
    assert_eq!(pending.expect_err("the step followed is not held"), Rejection::MissingDependency { id: unknown });
}

#[test]
fn rejects_a_cost_estimate_over_the_limit() {
    let mut w = World::new();
    let need = w.register(1);
    let ore = MAX_COST_ORE + 1;
    let over = Step::Beredd { consequences: "Stor".into(), cost_ore: ore };
    refused(w.by_forvaltare(&step(need, need, over)), Kind::NeedUpdate, Violation::CostTooLarge { ore });
}

#[test]
fn rejects_blank_consequences_and_personnummer_in_them_or_the_note() {
    let mut w = World::new();
    let need = w.register(1);
    let blank = Step::Beredd { consequences: " ".into(), cost_ore: 0 };
    refused(
        w.by_forvaltare(&step(need, need, blank)),
        Kind::NeedUpdate,
        Violation::Field(Field::Empty { field: "consequences" }),
    );
    let numbered = Step::Beredd { consequences: PERSONNUMMER.into(), cost_ore: 0 };
    refused(w.by_forvaltare(&step(need, need, numbered)), Kind::NeedUpdate, pin("consequences", "personnummer", 0));
    let noted = NeedUpdate::Step { need, follows: need, step: beredd(), note: format!("Se {PERSONNUMMER}") };
    refused(w.by_forvaltare(&noted), Kind::NeedUpdate, pin("note", "personnummer", 3));
}

#[test]
fn a_decision_within_the_frame_and_planerad_name_a_plan() {
    let mut w = World::new();
    let need = w.register(1);
    let prepared = w.by_forvaltare(&step(need, need, beredd())).expect("beredd").id();
    let not_a_plan = Step::Beslutad { by: Decision::Forvaltningsgrupp { plan: need } };
    let wrong = w.by_forvaltare(&step(need, prepared, not_a_plan)).expect_err("a need is no plan");
    assert_eq!(wrong.code(), "wrong_kind_referenced");
}

// ---- beslutad by the styrgrupp ----

#[test]
fn the_styrgrupp_decides_a_need_beyond_the_frame_by_a_matter_on_it() {
    let mut w = World::new();
    let need = w.register(1);
    let prepared = w.by_forvaltare(&step(need, need, beredd())).expect("beredd").id();
    let closing = w.decide(Some(need), Choice::Yes);
    let decided = Step::Beslutad { by: Decision::Styrgrupp { closing } };
    w.by_forvaltare(&step(need, prepared, decided)).expect("adopted by the styrgrupp");
    assert_eq!(w.backlog().needs[&need].state(), State::Beslutad);
}

#[test]
fn rejects_a_styrgrupp_decision_on_a_matter_about_something_else() {
    let mut w = World::new();
    let need = w.register(1);
    let prepared = w.by_forvaltare(&step(need, need, beredd())).expect("beredd").id();
    let closing = w.decide(None, Choice::Yes);
    let matter = governance_matter(&w, closing);
    let decided = Step::Beslutad { by: Decision::Styrgrupp { closing } };
    refused(
        w.by_forvaltare(&step(need, prepared, decided)),
        Kind::NeedUpdate,
        Violation::MatterNotAboutNeed { matter },
    );
}

#[test]
fn rejects_a_styrgrupp_decision_that_did_not_adopt() {
    let mut w = World::new();
    let need = w.register(1);
    let prepared = w.by_forvaltare(&step(need, need, beredd())).expect("beredd").id();
    let closing = w.decide(Some(need), Choice::No);
    let decided = Step::Beslutad { by: Decision::Styrgrupp { closing } };
    refused(w.by_forvaltare(&step(need, prepared, decided)), Kind::NeedUpdate, Violation::NotAdopted { closing });
}

fn governance_matter(w: &World, closing: RecordId) -> RecordId {
    let record = &w.held.0[&closing];
    BallotClose::from_bytes(record.body().expect("a body")).expect("a closing").matter
}

// ---- rankings ----

#[test]
fn rejects_a_ranking_naming_a_need_twice_or_too_many() {
    let mut w = World::new();
    let need = w.register(1);
    refused(
        w.by(0, &NeedUpdate::Rank { needs: vec![need, need] }),
        Kind::NeedUpdate,
        Violation::DuplicateRanked { need },
    );
    let many = vec![need; MAX_RANKED + 1];
    refused(
        w.by(0, &NeedUpdate::Rank { needs: many }),
        Kind::NeedUpdate,
        Violation::Field(Field::TooMany { field: "ranked needs", len: MAX_RANKED + 1, max: MAX_RANKED }),
    );
}

#[test]
fn the_latest_ranking_per_member_counts_by_borda_points() {
    let mut w = World::new();
    let (a, b, c) = (w.register(0), w.register(1), w.register(2));
    // The host first ranks c, a, b — then changes its mind: b, a.
    w.by(0, &NeedUpdate::Rank { needs: vec![c, a, b] }).expect("ranks");
    w.by(0, &NeedUpdate::Rank { needs: vec![b, a] }).expect("ranks again");
    w.by(1, &NeedUpdate::Rank { needs: vec![a, b] }).expect("ranks");
    let backlog = w.backlog();
    let top = MAX_RANKED as u64;
    assert_eq!(backlog.needs[&a].points, (top - 1) + top);
    assert_eq!(backlog.needs[&b].points, top + (top - 1));
    assert_eq!(backlog.needs[&c].points, 0);
    // a and b tie on points and members: the lower record id first.
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    assert_eq!(backlog.order, vec![first, second, c]);
}

#[test]
fn a_closed_need_gets_no_points_and_leaves_the_order() {
    let mut w = World::new();
    let (a, b) = (w.register(1), w.register(2));
    w.by(0, &NeedUpdate::Rank { needs: vec![a, b] }).expect("ranks");
    w.by_forvaltare(&step(a, a, Step::Avslagen)).expect("refused by the förvaltningsgrupp");
    let backlog = w.backlog();
    assert_eq!(backlog.order, vec![b]);
    assert_eq!(backlog.needs[&b].points, MAX_RANKED as u64, "b moves up to first on the ballot");
}

// ---- order independence ----

/// A backlog with competing steps, repeated endorsements and changed rankings.
fn busy_world() -> World {
    let mut w = World::new();
    let plan = w.plan();
    let (a, b, c) = (w.register(0), w.register(1), w.register(2));
    for (i, need) in [(1, a), (2, a), (0, b), (2, b), (2, b)] {
        w.by(i, &NeedUpdate::Endorse { need }).expect("endorses");
    }
    let prepared = w.by_forvaltare(&step(b, b, beredd())).expect("beredd").id();
    let decided = Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } };
    let decided = w.by_forvaltare(&step(b, prepared, decided)).expect("beslutad").id();
    w.by_forvaltare(&step(b, decided, Step::Planerad { plan })).expect("planerad");
    // A later withdrawal after beredd takes b's path elsewhere (the testkit claims a time by
    // the author's seq: member 1 says it needs a a few more times first, counted once).
    for _ in 0..3 {
        w.by(1, &NeedUpdate::Endorse { need: a }).expect("endorses again");
    }
    w.by(1, &step(b, prepared, Step::Aterkallad)).expect("withdrawn");
    w.by_forvaltare(&step(c, c, beredd())).expect("beredd");
    w.by(0, &NeedUpdate::Rank { needs: vec![c, a] }).expect("ranks");
    w.by(1, &NeedUpdate::Rank { needs: vec![a, b, c] }).expect("ranks");
    w.by_node(1, &NeedUpdate::Rank { needs: vec![c, b] }).expect("ranks again");
    w
}

#[test]
fn the_latest_step_after_one_record_takes_the_path() {
    let w = busy_world();
    let backlog = w.backlog();
    let withdrawn: Vec<_> = backlog.needs.values().filter(|e| e.state() == State::Aterkallad).collect();
    assert_eq!(withdrawn.len(), 1);
    let entry = withdrawn[0];
    assert_eq!(entry.path.iter().map(|t| t.step.state()).collect::<Vec<_>>(), [State::Beredd, State::Aterkallad]);
    assert_eq!(entry.other_steps.len(), 2, "beslutad and the planerad after it are off the path");
    assert!(!backlog.order.contains(&entry.id));
}

#[test]
fn the_backlog_is_the_same_for_any_order_of_arrival_and_repeats() {
    let w = busy_world();
    let records: Vec<Record<Verified>> = w.held.0.values().cloned().collect();
    let expected = backlog(&records, &w.fed.chain);
    let mut shuffled = records.clone();
    // A deterministic shuffle: reverse, rotate, interleave repeats.
    for round in 0..8usize {
        shuffled.reverse();
        let by = round * 7 % shuffled.len();
        shuffled.rotate_left(by);
        let mut repeated = shuffled.clone();
        repeated.extend(shuffled.iter().step_by(3).cloned());
        assert_eq!(backlog(&repeated, &w.fed.chain), expected, "round {round}");
    }
}

// ---- golden bytes ----

#[test]
fn golden_need_update_bodies() {
    let (one, two) = (samverka_protocol::Hash([1; 32]), samverka_protocol::Hash([2; 32]));
    let endorse = NeedUpdate::Endorse { need: one }.to_bytes();
    assert_eq!(hex(&endorse), format!("00{}", "01".repeat(32)));
    let step = NeedUpdate::Step {
        need: one,
        follows: two,
        step: Step::Beredd { consequences: "K".into(), cost_ore: 300 },
        note: String::new(),
    };
    assert_eq!(hex(&step.to_bytes()), format!("02{}{}00014bac0200", "01".repeat(32), "02".repeat(32)));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
