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
    fn of(entry: &Entry, backlog: &Backlog, chain: &RosterChain) -> Line {
        let priority = backlog.order.iter().position(|id| *id == entry.id).map(|i| i + 1);
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
    let open = backlog.order.iter().filter_map(|id| backlog.needs.get(id));
    let mut closed: Vec<&Entry> = backlog.needs.values().filter(|e| !e.state().is_open()).collect();
    closed.sort_by_key(|e| (std::cmp::Reverse(e.time_ms), e.id));
    open.chain(closed).filter(|e| filter.admits(e)).map(|e| Line::of(e, backlog, chain)).collect()
}

/// One need, if held.
pub fn need(store: &Store, chain: &RosterChain, id: &RecordId) -> Result<Option<Line>, Error> {
    let backlog = backlog(store, chain)?;
    Ok(backlog.needs.get(id).map(|e| Line::of(e, &backlog, chain)))
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
    use samverka_protocol::needs::{Decision, Step, Taken};
    use samverka_protocol::RecordId;
    use samverka_web::view::{self, need as nv};

    use super::{backlog, lines, Filter, Line};
    use crate::governance::member_name;
    use crate::ledger::Ledger;

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
        Ok(Some(nv::NeedView {
            row: row(&l),
            description: n.description.clone(),
            benefit: n.benefit.clone(),
            wished: n.wished.clone(),
            asker: (n.asker.name.clone(), n.asker.role.clone()),
            path: l.entry.path.iter().map(|t| step(&chain, t)).collect(),
            other_steps: l.entry.other_steps.iter().map(|t| step(&chain, t)).collect(),
            may_endorse,
        }))
    }
}
