//! The need-update body (kind 41): a member endorses a need ("vi behöver också"), ranks the open
//! needs, or someone takes a step on a need's path. Each step names the record it follows (the
//! need, or the step before it), so its validity depends only on that record and the roster:
//! never on what else a node holds (`docs/needs.md` §4).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::body::{optional_text, text};
use super::{member_of, Error, Need, Violation, MAX_COST_ORE, MAX_RANKED};
use crate::charter::Role;
use crate::governance::{BallotClose, Matter, Outcome};
use crate::plan::{fetch, list, Plan};
use crate::record::{Body, Header, Kind, Lookup, RecordId};
use crate::roster::Roster;

/// The body of a need-update record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NeedUpdate {
    /// The author's member needs it too. Counted once per member, however often it is said.
    Endorse {
        /// The need.
        need: RecordId,
    },
    /// The author's member's priority order of the open needs, the highest first. The latest
    /// ranking of a member counts ([`super::backlog`]).
    Rank {
        /// Needs, at most [`MAX_RANKED`], none twice.
        needs: Vec<RecordId>,
    },
    /// A step on the need's path.
    Step {
        /// The need.
        need: RecordId,
        /// The record this step follows: the need itself, or a step of it.
        follows: RecordId,
        /// Where the need goes.
        step: Step,
        /// Why, or what was done; may be empty.
        note: String,
    },
}

impl Body for NeedUpdate {
    const KIND: Kind = Kind::NeedUpdate;
}

impl NeedUpdate {
    /// The need this update is about (`None` for a ranking, which names many).
    pub fn need(&self) -> Option<RecordId> {
        match self {
            NeedUpdate::Endorse { need } | NeedUpdate::Step { need, .. } => Some(*need),
            NeedUpdate::Rank { .. } => None,
        }
    }
}

/// A step on a need's path, with what that step records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Beredd: the förvaltningsgrupp has prepared it.
    Beredd {
        /// The consequences of doing it.
        consequences: String,
        /// The cost estimate in öre, at most [`MAX_COST_ORE`].
        cost_ore: u64,
    },
    /// Beslutad: decided, by the förvaltningsgrupp within a plan's frame or by the styrgrupp.
    Beslutad {
        /// Who decided, and the record that shows it.
        by: Decision,
    },
    /// Planerad: in a plan version.
    Planerad {
        /// The plan version (a plan record).
        plan: RecordId,
    },
    /// Utvecklad: built.
    Utvecklad,
    /// Testad: tested.
    Testad,
    /// Driftsättningsbeslut: the decision to put it in production.
    Driftsattningsbeslut,
    /// Informerad: the members are informed.
    Informerad,
    /// Driftsatt: in production.
    Driftsatt,
    /// Uppföljd: followed up. The end of the path.
    Uppfoljd,
    /// Avslagen: refused by the förvaltningsgrupp. The end of the path.
    Avslagen,
    /// Återkallad: withdrawn by the member that registered it. The end of the path.
    Aterkallad,
}

/// Who decided a need (beslutad).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// The förvaltningsgrupp, within the frame of this plan version (a plan record).
    Forvaltningsgrupp {
        /// The plan whose frame holds the need.
        plan: RecordId,
    },
    /// The styrgrupp: this ballot closing adopted a matter whose subject is the need.
    Styrgrupp {
        /// The closing (a ballot-closing record).
        closing: RecordId,
    },
}

/// Where a need stands on its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum State {
    /// Registrerad: registered, nothing else yet.
    Registrerad,
    /// See [`Step::Beredd`].
    Beredd,
    /// See [`Step::Beslutad`].
    Beslutad,
    /// See [`Step::Planerad`].
    Planerad,
    /// See [`Step::Utvecklad`].
    Utvecklad,
    /// See [`Step::Testad`].
    Testad,
    /// See [`Step::Driftsattningsbeslut`].
    Driftsattningsbeslut,
    /// See [`Step::Informerad`].
    Informerad,
    /// See [`Step::Driftsatt`].
    Driftsatt,
    /// See [`Step::Uppfoljd`].
    Uppfoljd,
    /// See [`Step::Avslagen`].
    Avslagen,
    /// See [`Step::Aterkallad`].
    Aterkallad,
}

impl State {
    /// Every state, in path order, the two side exits last.
    pub const ALL: [State; 12] = [
        State::Registrerad,
        State::Beredd,
        State::Beslutad,
        State::Planerad,
        State::Utvecklad,
        State::Testad,
        State::Driftsattningsbeslut,
        State::Informerad,
        State::Driftsatt,
        State::Uppfoljd,
        State::Avslagen,
        State::Aterkallad,
    ];

    /// The stable name in the API, CLI and URLs (`registrerad`, `beredd`, …, ASCII only).
    pub fn name(self) -> &'static str {
        match self {
            State::Registrerad => "registrerad",
            State::Beredd => "beredd",
            State::Beslutad => "beslutad",
            State::Planerad => "planerad",
            State::Utvecklad => "utvecklad",
            State::Testad => "testad",
            State::Driftsattningsbeslut => "driftsattningsbeslut",
            State::Informerad => "informerad",
            State::Driftsatt => "driftsatt",
            State::Uppfoljd => "uppfoljd",
            State::Avslagen => "avslagen",
            State::Aterkallad => "aterkallad",
        }
    }

    /// The Swedish word.
    pub fn swedish(self) -> &'static str {
        match self {
            State::Driftsattningsbeslut => "driftsättningsbeslut",
            State::Uppfoljd => "uppföljd",
            State::Aterkallad => "återkallad",
            other => other.name(),
        }
    }

    /// Parses [`State::name`] or [`State::swedish`].
    pub fn parse(s: &str) -> Option<State> {
        let s = s.trim().to_lowercase();
        State::ALL.into_iter().find(|st| st.name() == s || st.swedish() == s)
    }

    /// The states a step may lead to from this one (`docs/needs.md` §5): the next on the path,
    /// avslagen before the decision, återkallad before development starts.
    pub fn next(self) -> &'static [State] {
        use State::*;
        match self {
            Registrerad => &[Beredd, Avslagen, Aterkallad],
            Beredd => &[Beslutad, Avslagen, Aterkallad],
            Beslutad => &[Planerad, Aterkallad],
            Planerad => &[Utvecklad, Aterkallad],
            Utvecklad => &[Testad],
            Testad => &[Driftsattningsbeslut],
            Driftsattningsbeslut => &[Informerad],
            Informerad => &[Driftsatt],
            Driftsatt => &[Uppfoljd],
            Uppfoljd | Avslagen | Aterkallad => &[],
        }
    }

    /// Whether a need in this state is open: still to be done, so members rank it.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Driftsatt | State::Uppfoljd | State::Avslagen | State::Aterkallad)
    }
}

impl Step {
    /// The step to `state` when that step records nothing but its note (utvecklad … uppföljd,
    /// avslagen, återkallad); `None` for registrerad, beredd, beslutad and planerad.
    pub fn plain(state: State) -> Option<Step> {
        Some(match state {
            State::Registrerad | State::Beredd | State::Beslutad | State::Planerad => return None,
            State::Utvecklad => Step::Utvecklad,
            State::Testad => Step::Testad,
            State::Driftsattningsbeslut => Step::Driftsattningsbeslut,
            State::Informerad => Step::Informerad,
            State::Driftsatt => Step::Driftsatt,
            State::Uppfoljd => Step::Uppfoljd,
            State::Avslagen => Step::Avslagen,
            State::Aterkallad => Step::Aterkallad,
        })
    }

    /// The state the step leads to.
    pub fn state(&self) -> State {
        match self {
            Step::Beredd { .. } => State::Beredd,
            Step::Beslutad { .. } => State::Beslutad,
            Step::Planerad { .. } => State::Planerad,
            Step::Utvecklad => State::Utvecklad,
            Step::Testad => State::Testad,
            Step::Driftsattningsbeslut => State::Driftsattningsbeslut,
            Step::Informerad => State::Informerad,
            Step::Driftsatt => State::Driftsatt,
            Step::Uppfoljd => State::Uppfoljd,
            Step::Avslagen => State::Avslagen,
            Step::Aterkallad => State::Aterkallad,
        }
    }
}

/// Checks a need update by `docs/needs.md` §4, in order.
pub(super) fn check(u: &NeedUpdate, header: &Header, roster: &Roster, lookup: &dyn Lookup) -> Result<(), Error> {
    let author = member_of(header, roster);
    match u {
        NeedUpdate::Endorse { need } => {
            let (_, n) = fetch::<Need>(lookup, need)?;
            if n.member == *author {
                return Err(Violation::OwnNeedEndorsed { member: author.clone() }.into());
            }
            Ok(())
        }
        NeedUpdate::Rank { needs } => {
            list("ranked needs", needs.len(), MAX_RANKED)?;
            let mut seen = BTreeSet::new();
            for id in needs {
                if !seen.insert(id) {
                    return Err(Violation::DuplicateRanked { need: *id }.into());
                }
                fetch::<Need>(lookup, id)?;
            }
            Ok(())
        }
        NeedUpdate::Step { need, follows, step, .. } => {
            u.check_alone()?;
            let (_, n) = fetch::<Need>(lookup, need)?;
            let from = followed_state(lookup, need, follows)?;
            let to = step.state();
            if !from.next().contains(&to) {
                return Err(Violation::StepNotAllowed { from, to }.into());
            }
            if to == State::Aterkallad {
                if n.member != *author {
                    return Err(
                        Violation::WithdrawnByOtherMember { registered: n.member, author: author.clone() }.into()
                    );
                }
            } else {
                let grant = roster.keys.get(&header.author).expect("validate found the author's grant");
                if grant.member != roster.host || !grant.kind.has_role(Role::Forvaltare) {
                    return Err(Violation::NotForvaltningsgrupp { to }.into());
                }
            }
            check_step(step, need, lookup)
        }
    }
}

/// The state of the record a step follows: the need (registrerad) or a step of the same need.
fn followed_state(lookup: &dyn Lookup, need: &RecordId, follows: &RecordId) -> Result<State, Error> {
    if follows == need {
        return Ok(State::Registrerad);
    }
    let (_, previous) = fetch::<NeedUpdate>(lookup, follows)?;
    match previous {
        NeedUpdate::Step { need: other, step, .. } if other == *need => Ok(step.state()),
        _ => Err(Violation::FollowsOtherRecord { follows: *follows }.into()),
    }
}

impl NeedUpdate {
    /// The rules an update is checked by alone, before anything is signed: a step's note, and
    /// a beredd step's consequences and estimate (`docs/needs.md` §4, step rule 1). A form or the
    /// CLI calls this to tell the writer which field to correct.
    pub fn check_alone(&self) -> Result<(), Error> {
        let NeedUpdate::Step { step, note, .. } = self else { return Ok(()) };
        optional_text("note", note)?;
        if let Step::Beredd { consequences, cost_ore } = step {
            text("consequences", consequences)?;
            if *cost_ore > MAX_COST_ORE {
                return Err(Violation::CostTooLarge { ore: *cost_ore }.into());
            }
        }
        Ok(())
    }
}

/// Checks the records a step names: the plan, or the decision's closing and matter.
fn check_step(step: &Step, need: &RecordId, lookup: &dyn Lookup) -> Result<(), Error> {
    match step {
        Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } } | Step::Planerad { plan } => {
            fetch::<Plan>(lookup, plan)?;
            Ok(())
        }
        Step::Beslutad { by: Decision::Styrgrupp { closing } } => {
            // A closing is valid only by its matter's closer (`docs/governance.md` §2.6).
            let (_, close) = fetch::<BallotClose>(lookup, closing)?;
            let (_, matter) = fetch::<Matter>(lookup, &close.matter)?;
            if matter.subject != Some(*need) {
                return Err(Violation::MatterNotAboutNeed { matter: close.matter }.into());
            }
            if close.result != (Outcome::Adopted { alternative: None }) {
                return Err(Violation::NotAdopted { closing: *closing }.into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
