//! Node-side needs (behov): the backlog computed from the need records held with the pure
//! [`samverka_protocol::needs::backlog`] — each need with its state, its path, the members that
//! need it and its place in the federation's priority order — filtered by state and area. The
//! API, the CLI and the pages call these; no handler holds a rule.
//!
//! The backlog is a view ([`crate::read::views`]): computed from the two need kinds held in the
//! read model, again only once a need record has been stored or the roster has moved.

use std::sync::Arc;

use samverka_protocol::needs::{self, Area, Backlog, Entry, State};
use samverka_protocol::{Kind, MemberId, RecordId, RosterChain};

use crate::governance::{member_name, scan, Error};
use crate::read::views;
use crate::storage::Store;

/// Which needs a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only needs in this state.
    pub state: Option<State>,
    /// Only needs in this area.
    pub area: Option<Area>,
}

impl Filter {
    /// Whether `entry` passes the filter.
    pub fn admits(&self, entry: &Entry) -> bool {
        self.state.is_none_or(|s| entry.state() == s) && self.area.is_none_or(|a| entry.need.area == a)
    }
}

/// One need as lists and pages show it.
#[derive(Clone, Debug)]
pub struct Line {
    /// The need, its path and endorsers.
    pub entry: Entry,
    /// Its place in the federation's priority order, from 1; `None` when it is not open.
    pub priority: Option<usize>,
    /// The members that need it (its own first), with their names.
    pub members: Vec<(MemberId, String)>,
}

impl Line {
    fn of(entry: &Entry, priority: Option<usize>, chain: &RosterChain) -> Line {
        let own = &entry.need.member;
        let members =
            std::iter::once(own).chain(entry.endorsers.iter()).map(|m| (m.clone(), member_name(chain, m))).collect();
        Line { entry: entry.clone(), priority, members }
    }
}

/// The backlog from every need record held.
pub fn backlog(store: &Store, chain: &RosterChain) -> Result<Arc<Backlog>, Error> {
    let kinds = [Kind::Need, Kind::NeedUpdate];
    store.read_model().view(&kinds, &[views::roster(chain)], || {
        let mut records = scan(store, Kind::Need)?;
        records.extend(scan(store, Kind::NeedUpdate)?);
        Ok(needs::backlog(&records, chain))
    })
}

/// The needs passing `filter`: the open ones in priority order first, then the others, newest
/// first.
pub fn list(store: &Store, chain: &RosterChain, filter: Filter) -> Result<Vec<Line>, Error> {
    let backlog = backlog(store, chain)?;
    Ok(lines(&backlog, chain, filter))
}

/// [`list`] over a backlog already computed.
pub fn lines(backlog: &Backlog, chain: &RosterChain, filter: Filter) -> Vec<Line> {
    let open = backlog.order.iter().enumerate().filter_map(|(i, id)| Some((backlog.needs.get(id)?, Some(i + 1))));
    let mut closed: Vec<&Entry> = backlog.needs.values().filter(|e| !e.state().is_open()).collect();
    closed.sort_by_key(|e| (std::cmp::Reverse(e.time_ms), e.id));
    open.chain(closed.into_iter().map(|e| (e, None)))
        .filter(|(e, _)| filter.admits(e))
        .map(|(e, priority)| Line::of(e, priority, chain))
        .collect()
}

/// One need, if held.
pub fn need(store: &Store, chain: &RosterChain, id: &RecordId) -> Result<Option<Line>, Error> {
    let backlog = backlog(store, chain)?;
    let priority = backlog.order.iter().position(|open| open == id).map(|i| i + 1);
    Ok(backlog.needs.get(id).map(|e| Line::of(e, priority, chain)))
}

/// The record a new step on `id` follows: the last step on its path, or the need itself.
pub fn follows(line: &Line) -> RecordId {
    line.entry.path.last().map_or(line.entry.id, |t| t.id)
}

/// The Swedish name of a need field as forms and the CLI label it.
pub fn field_label(field: &str) -> &str {
    match field {
        "title" => "Rubrik",
        "description" => "Beskrivning",
        "benefit" => "Nytta",
        "wished date" => "Önskat datum",
        "asker name" => "Namn",
        "asker role" => "Roll",
        "consequences" => "Konsekvenser",
        "cost estimate" => "Kostnadsuppskattning",
        "note" => "Anteckning",
        other => other,
    }
}

/// What a person must correct before a need or update is signed, in Swedish, naming the field:
/// the message the form and the CLI show for a rule [`Need::check_alone`] or
/// [`NeedUpdate::check_alone`] refuses.
///
/// [`Need::check_alone`]: samverka_protocol::needs::Need::check_alone
/// [`NeedUpdate::check_alone`]: samverka_protocol::needs::NeedUpdate::check_alone
pub fn correction(e: &needs::Error) -> String {
    use samverka_protocol::needs::Violation as V;
    use samverka_protocol::plan::Violation as F;
    let label = |f: &str| field_label(f).to_owned();
    match e {
        needs::Error::Violation(V::PersonalIdentityNumber { field, number, .. }) => format!(
            "Fältet ”{}” innehåller ett {number}. Ta bort det: ett behov får aldrig innehålla en persons \
             personnummer eller samordningsnummer.",
            label(field)
        ),
        needs::Error::Violation(V::TextTooLong { field, len }) => {
            format!("Fältet ”{}” är {len} byte, mer än {} byte. Korta texten.", label(field), needs::MAX_TEXT_BYTES)
        }
        needs::Error::Violation(V::CostTooLarge { .. }) => {
            "Kostnadsuppskattningen är större än vad ett behov kan ha. Kontrollera beloppet.".into()
        }
        needs::Error::Violation(V::Field(F::Empty { field })) => format!("Fyll i fältet ”{}”.", label(field)),
        needs::Error::Violation(V::Field(F::NotOneLine { field })) => {
            format!("Fältet ”{}” ska vara en rad.", label(field))
        }
        needs::Error::Violation(V::Field(F::LineTooLong { field, .. })) => {
            format!("Fältet ”{}” är för långt. Korta texten.", label(field))
        }
        needs::Error::Violation(V::Field(F::BadDate { field })) => {
            format!("Fältet ”{}” ska vara ett datum som 2027-06-30.", label(field))
        }
        other => other.to_string(),
    }
}

/// The need pages' read models (`samverka_web::view::need`) for [`crate::site::Site`].
pub mod pages {
    use samverka_protocol::cost::Ore;
    use samverka_protocol::governance::BallotClose;
    use samverka_protocol::needs::{Area, Asker, Decision, Need, NeedUpdate, State, Step, Taken, Violation};
    use samverka_protocol::plan::{Plan, Violation as FieldViolation};
    use samverka_protocol::{Body as _, Kind, RecordId, Role};
    use samverka_web::view::{self, need as nv};

    use super::{backlog, follows, lines, Filter, Line};
    use crate::governance::{self, member_name};
    use crate::ledger::Ledger;
    use crate::offer::{self, Context, Made, Making};

    fn read(e: crate::governance::Error) -> view::Error {
        view::Error::Read(Box::new(e))
    }

    fn row(l: &Line) -> nv::NeedRow {
        nv::NeedRow {
            id: l.entry.id,
            title: l.entry.need.title.clone(),
            area: l.entry.need.area,
            state: l.entry.state(),
            priority: l.priority,
            points: l.entry.points,
            members: l.members.iter().map(|(_, name)| name.clone()).collect(),
            time_ms: l.entry.time_ms,
        }
    }

    fn step(chain: &samverka_protocol::RosterChain, t: &Taken) -> nv::StepView {
        let (prepared, names) = match &t.step {
            Step::Beredd { consequences, cost_ore } => (Some((consequences.clone(), *cost_ore)), None),
            Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } } | Step::Planerad { plan } => {
                (None, Some(*plan))
            }
            Step::Beslutad { by: Decision::Styrgrupp { closing } } => (None, Some(*closing)),
            _ => (None, None),
        };
        nv::StepView {
            state: t.step.state(),
            member: member_name(chain, &t.member),
            time_ms: t.time_ms,
            prepared,
            names,
            note: t.note.clone(),
        }
    }

    /// Every need held, for `/behov`.
    pub fn rows(ledger: &Ledger) -> Result<Vec<nv::NeedRow>, view::Error> {
        let Some(chain) = ledger.chain() else { return Ok(Vec::new()) };
        let b = backlog(ledger.store(), &chain).map_err(read)?;
        Ok(lines(&b, &chain, Filter::default()).iter().map(row).collect())
    }

    /// Whether `me` may register needs and rank them for their member: an objektspecialist or
    /// förvaltare (a node key may too, but it is not a person signed in).
    pub fn may_write(me: &view::Me) -> bool {
        me.roles.iter().any(|r| matches!(r, Role::Objektspecialist | Role::Forvaltare))
    }

    /// The steps `me` may take next on the need `l` (`docs/needs.md` §4–§5): the
    /// förvaltningsgrupp's (the host's förvaltare) every allowed step but återkallad, which is
    /// the need's own member's.
    pub fn next_steps(l: &Line, me: &view::Me) -> Vec<State> {
        if !may_write(me) {
            return Vec::new();
        }
        let forvaltningsgrupp = me.host && me.roles.contains(&Role::Forvaltare);
        let own = me.member == l.entry.need.member;
        l.entry
            .state()
            .next()
            .iter()
            .copied()
            .filter(|s| if *s == State::Aterkallad { own } else { forvaltningsgrupp })
            .collect()
    }

    /// The open needs in priority order, each with its place in `member`'s counting ranking.
    pub fn ranking(ledger: &Ledger, member: &str) -> Result<Vec<(nv::NeedRow, Option<usize>)>, view::Error> {
        let Some(chain) = ledger.chain() else { return Ok(Vec::new()) };
        let b = backlog(ledger.store(), &chain).map_err(read)?;
        let ranked: Vec<RecordId> = b.rankings.get(member).map(|r| r.needs.clone()).unwrap_or_default();
        // Places count among the open needs the ranking still names, as the tally does.
        let open: Vec<&RecordId> = ranked.iter().filter(|id| b.order.contains(id)).collect();
        Ok(lines(&b, &chain, Filter::default())
            .iter()
            .filter(|l| l.entry.state().is_open())
            .map(|l| (row(l), open.iter().position(|id| **id == l.entry.id).map(|i| i + 1)))
            .collect())
    }

    /// The form field (its id on the page) a need rule's violation is about.
    fn form_field(v: &Violation) -> Option<&'static str> {
        let named = match v {
            Violation::Field(
                FieldViolation::Empty { field }
                | FieldViolation::NotOneLine { field }
                | FieldViolation::LineTooLong { field, .. }
                | FieldViolation::BadDate { field },
            ) => Some(*field),
            other => other.field(),
        };
        Some(match named? {
            "title" => "title",
            "description" => "description",
            "benefit" => "benefit",
            "wished date" => "wished",
            "asker name" => "asker_name",
            "asker role" => "asker_role",
            "consequences" => "consequences",
            "cost estimate" => "cost",
            "note" => "note",
            _ => return None,
        })
    }

    fn refused(e: &samverka_protocol::needs::Error) -> view::Refusal {
        let (code, field) = match e {
            samverka_protocol::needs::Error::Violation(v) => (v.code(), form_field(v)),
            _ => ("malformed", None),
        };
        view::Refusal::of_field(code, super::correction(e), field)
    }

    fn refusal(code: &'static str, detail: &str, field: Option<&'static str>) -> view::Refusal {
        view::Refusal::of_field(code, detail.to_owned(), field)
    }

    /// Whether `need` is a need held here: an update naming one not held would wait for it rather
    /// than be judged, so it is refused before it is offered.
    fn held(ledger: &Ledger, need: &RecordId) -> Result<Result<(), view::Refusal>, view::Error> {
        let Some(chain) = ledger.chain() else { return Err(view::Error::NoFederation) };
        Ok(match super::need(ledger.store(), &chain, need).map_err(read)? {
            Some(_) => Ok(()),
            None => Err(refusal("unknown_need", "no such need is held here", None)),
        })
    }

    /// The body of the need `member` registers from the form, checked by every rule a need can
    /// be checked by alone (`Need::check_alone`), or the refusal naming the field to correct.
    fn need_body(member: &str, d: nv::NeedDraft) -> Result<Vec<u8>, view::Refusal> {
        let area = Area::parse(&d.area).ok_or_else(|| refusal("need_area", "choose an area", Some("area")))?;
        let wished = Some(d.wished.trim().to_owned()).filter(|w| !w.is_empty());
        let need = Need {
            title: d.title.trim().to_owned(),
            description: d.description,
            benefit: d.benefit,
            wished,
            area,
            asker: Asker { name: d.asker_name.trim().to_owned(), role: d.asker_role.trim().to_owned() },
            member: member.to_owned(),
        };
        need.check_alone().map_err(|e| refused(&e))?;
        Ok(need.to_bytes())
    }

    /// The body of the step typed on the need `need`, following the last step on its path, or
    /// the refusal to show. The records the step names must be held here (a plan, a ballot
    /// closing), so a mistyped id is refused naming the field rather than waiting.
    fn step_body(
        ledger: &Ledger,
        need: &RecordId,
        d: nv::StepDraft,
    ) -> Result<Result<Vec<u8>, view::Refusal>, view::Error> {
        let Some(chain) = ledger.chain() else { return Err(view::Error::NoFederation) };
        let store = ledger.store();
        let Some(line) = super::need(store, &chain, need).map_err(read)? else {
            return Ok(Err(refusal("unknown_need", "no such need is held here", None)));
        };
        let Some(state) = State::parse(&d.step).filter(|s| *s != State::Registrerad) else {
            return Ok(Err(refusal("need_step", "choose a step", Some("step"))));
        };
        let reference = || RecordId::from_hex(d.reference.trim()).ok();
        let held_plan = |id: RecordId| -> Result<bool, view::Error> {
            Ok(governance::get::<Plan>(store, &id).map_err(read)?.is_some())
        };
        let no_reference = || Ok(Err(refusal("need_reference", "name a plan or closing held here", Some("reference"))));
        let step = match state {
            State::Beredd => match Ore::parse_sek(&d.cost) {
                Ok(Ore(ore)) => Step::Beredd {
                    consequences: d.consequences,
                    cost_ore: u64::try_from(ore).expect("parse_sek refuses a negative amount"),
                },
                Err(_) => return Ok(Err(refusal("need_cost", "the cost estimate is not an amount", Some("cost")))),
            },
            State::Beslutad => {
                let Some(id) = reference() else { return no_reference() };
                match d.by.as_str() {
                    "forvaltningsgrupp" if held_plan(id)? => {
                        Step::Beslutad { by: Decision::Forvaltningsgrupp { plan: id } }
                    }
                    "styrgrupp" if governance::get::<BallotClose>(store, &id).map_err(read)?.is_some() => {
                        Step::Beslutad { by: Decision::Styrgrupp { closing: id } }
                    }
                    "forvaltningsgrupp" | "styrgrupp" => return no_reference(),
                    _ => return Ok(Err(refusal("need_decision", "choose who decided", Some("by")))),
                }
            }
            State::Planerad => match reference() {
                Some(id) if held_plan(id)? => Step::Planerad { plan: id },
                _ => return no_reference(),
            },
            other => Step::plain(other).expect("every other state is a plain step"),
        };
        let update = NeedUpdate::Step { need: *need, follows: follows(&line), step, note: d.note };
        if let Err(e) = update.check_alone() {
            return Ok(Err(refused(&e)));
        }
        Ok(Ok(update.to_bytes()))
    }

    /// The ranking `member` signs from the ballot's places: the needs given a place, by place.
    /// Each place is a whole number from 1 to the number of needs on the ballot, used once; an
    /// empty place leaves the need unranked. Only open needs held here are ranked.
    fn rank_body(
        ledger: &Ledger,
        member: &str,
        places: Vec<(RecordId, String)>,
    ) -> Result<Result<Vec<u8>, view::Refusal>, view::Error> {
        let ballot = ranking(ledger, member)?;
        let n = ballot.len();
        let mut ranked: Vec<(usize, RecordId)> = Vec::new();
        for (need, place) in places {
            let place = place.trim();
            if place.is_empty() {
                continue;
            }
            if !ballot.iter().any(|(r, _)| r.id == need) {
                return Ok(Err(refusal("rank_not_open", "a need on the ballot is no longer open", None)));
            }
            match place.parse::<usize>() {
                Ok(p) if (1..=n).contains(&p) => {
                    if ranked.iter().any(|(q, _)| *q == p) {
                        return Ok(Err(refusal("rank_place_twice", "two needs have the same place", None)));
                    }
                    ranked.push((p, need));
                }
                _ => return Ok(Err(refusal("rank_place", "a place is not a number from 1 to n", None))),
            }
        }
        ranked.sort();
        Ok(Ok(NeedUpdate::Rank { needs: ranked.into_iter().map(|(_, id)| id).collect() }.to_bytes()))
    }

    /// The need or need update `action` makes for `me`'s member, or why not.
    pub fn make(ctx: &Context<'_>, me: &view::Me, action: nv::Action) -> Making {
        let ledger = ctx.ledger;
        let (kind, body) = match action {
            nv::Action::Endorse { need } => match held(ledger, &need)? {
                Ok(()) => (Kind::NeedUpdate, Ok(NeedUpdate::Endorse { need }.to_bytes())),
                Err(refusal) => return Ok(Err(refusal)),
            },
            nv::Action::Register(draft) => (Kind::Need, need_body(&me.member, draft)),
            nv::Action::Step { need, draft } => (Kind::NeedUpdate, step_body(ledger, &need, draft)?),
            nv::Action::Rank { places } => (Kind::NeedUpdate, rank_body(ledger, &me.member, places)?),
        };
        Ok(body.map(|body| Made::new(kind, body)))
    }

    /// Needs and need updates offered: what they say and where they are read.
    pub struct Signing;

    impl offer::Domain for Signing {
        fn kinds(&self) -> &'static [Kind] {
            &[Kind::Need, Kind::NeedUpdate]
        }

        fn subject(&self, ledger: &Ledger, me: &view::Me, _id: RecordId, kind: Kind, body: &[u8]) -> offer::Subject {
            subject(ledger, me, kind, body)
        }

        fn back(&self, kind: Kind, id: &RecordId, body: &[u8]) -> String {
            let need = match kind {
                Kind::Need => Some(*id),
                _ => NeedUpdate::from_bytes(body).ok().and_then(|u| u.need()),
            };
            need.map_or_else(|| "/behov".into(), |need| format!("/behov/{}", need.to_hex()))
        }
    }

    /// What an offered need or need update shows the person who signs it.
    fn subject(ledger: &Ledger, me: &view::Me, kind: Kind, body: &[u8]) -> offer::Subject {
        let decode = |e: samverka_protocol::encoding::DecodeError| view::Error::Read(Box::new(e));
        if kind == Kind::Need {
            let n = Need::from_bytes(body).map_err(decode)?;
            let need = nv::NeedDraft {
                title: n.title,
                description: n.description,
                benefit: n.benefit,
                wished: n.wished.unwrap_or_default(),
                area: n.area.swedish().to_owned(),
                asker_name: n.asker.name,
                asker_role: n.asker.role,
            };
            return Ok(view::Subject::NewNeed { need, member: me.member_name.clone() });
        }
        let held = |id: &RecordId| -> Result<nv::NeedView, view::Error> {
            view(ledger, id, None)?
                .ok_or_else(|| view::Error::Read(format!("the need {id} of an offered update is not held").into()))
        };
        Ok(match NeedUpdate::from_bytes(body).map_err(decode)? {
            NeedUpdate::Endorse { need } => {
                view::Subject::NeedEndorsement { need: held(&need)?.row, member: me.member_name.clone() }
            }
            NeedUpdate::Rank { needs } => {
                let titles = needs.iter().map(|id| Ok(held(id)?.row.title)).collect::<Result<_, view::Error>>()?;
                view::Subject::NeedRanking { member: me.member_name.clone(), needs: titles }
            }
            NeedUpdate::Step { need, follows, step, note } => {
                let chain = ledger.chain().ok_or(view::Error::NoFederation)?;
                let taken = Taken {
                    id: follows,
                    follows,
                    step,
                    note,
                    author: me.key,
                    member: me.member.clone(),
                    time_ms: jiff::Timestamp::now().as_millisecond(),
                };
                view::Subject::NeedStep { need: held(&need)?.row, step: self::step(&chain, &taken) }
            }
        })
    }

    /// One need, for `/behov/{id}`.
    pub fn view(ledger: &Ledger, id: &RecordId, me: Option<&view::Me>) -> Result<Option<nv::NeedView>, view::Error> {
        let Some(chain) = ledger.chain() else { return Ok(None) };
        let Some(l) = super::need(ledger.store(), &chain, id).map_err(read)? else { return Ok(None) };
        let n = &l.entry.need;
        let may_endorse = me.is_some_and(|me| {
            me.roles
                .iter()
                .any(|r| matches!(r, samverka_protocol::Role::Objektspecialist | samverka_protocol::Role::Forvaltare))
                && !l.members.iter().any(|(m, _)| *m == me.member)
        });
        let steps = me.map(|me| next_steps(&l, me)).unwrap_or_default();
        Ok(Some(nv::NeedView {
            row: row(&l),
            description: n.description.clone(),
            benefit: n.benefit.clone(),
            wished: n.wished.clone(),
            asker: (n.asker.name.clone(), n.asker.role.clone()),
            path: l.entry.path.iter().map(|t| step(&chain, t)).collect(),
            other_steps: l.entry.other_steps.iter().map(|t| step(&chain, t)).collect(),
            may_endorse,
            steps,
        }))
    }
}
