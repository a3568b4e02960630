//! Needs over HTTP: the backlog with each need's state, the members that need it and its place
//! in the federation's priority order, and one need with its path. Everything comes from
//! [`crate::needs`].
//!
//! Needs, endorsements, rankings and steps arrive through `POST /api/v1/records` like every other
//! record (`samverka need register|endorse|step|rank` sign on the person's machine).

use axum::extract::State as S;
use samverka_protocol::needs::{Area, Decision, State as NeedState, Step, Taken};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{self, Json, Path, Query};
use super::openapi as doc;
use super::{Error, Routes, State};
use crate::needs::{self, Filter, Line};

impl Routes {
    /// The need routes.
    pub(super) fn needs(self) -> Routes {
        self.get("/api/v1/needs", list).get("/api/v1/needs/{id}", one)
    }
}

/// `?state=…&area=…`: which needs to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct NeedQuery {
    /// Only needs in this state: `registrerad`, `beredd`, `beslutad`, `planerad`, `utvecklad`,
    /// `testad`, `driftsattningsbeslut`, `informerad`, `driftsatt`, `uppfoljd`, `avslagen`,
    /// `aterkallad`.
    #[param(value_type = Option<doc::NeedStateName>)]
    state: Option<String>,
    /// Only needs in this area: `ifo`, `hsl`, `ao`, `sol-lss`, `avgift`, `ovrigt`.
    #[param(value_type = Option<doc::NeedArea>)]
    area: Option<String>,
}

impl NeedQuery {
    fn filter(&self) -> Result<Filter, Error> {
        let state = match &self.state {
            None => None,
            Some(s) => Some(NeedState::parse(s).ok_or_else(|| {
                let names: Vec<&str> = NeedState::ALL.iter().map(|s| s.name()).collect();
                Error::bad_request("bad_state", format!("state {s:?} is not one of {}", names.join(", ")))
            })?),
        };
        let area = match &self.area {
            None => None,
            Some(a) => Some(Area::parse(a).ok_or_else(|| {
                let names: Vec<&str> = Area::ALL.iter().map(|a| a.name()).collect();
                Error::bad_request("bad_area", format!("area {a:?} is not one of {}", names.join(", ")))
            })?),
        };
        Ok(Filter { state, area })
    }
}

fn query(e: crate::governance::Error) -> Error {
    match e {
        crate::governance::Error::NoFederation => Error::NoFederation,
        e => Error::Internal(e.to_string()),
    }
}

fn summary_view(l: &Line) -> Value {
    let n = &l.entry.need;
    json!({
        "id": l.entry.id.to_hex(),
        "title": n.title,
        "area": n.area.name(),
        "member": n.member,
        "registered_ms": l.entry.time_ms,
        "state": l.entry.state().name(),
        "priority": l.priority,
        "points": l.entry.points,
        "members": l.members.iter().map(|(id, name)| json!({ "member": id, "name": name })).collect::<Vec<_>>(),
    })
}

fn step_view(t: &Taken) -> Value {
    let mut v = json!({
        "record": t.id.to_hex(),
        "follows": t.follows.to_hex(),
        "state": t.step.state().name(),
        "author": t.author.to_string(),
        "member": t.member,
        "time_ms": t.time_ms,
        "note": t.note,
    });
    match &t.step {
        Step::Beredd { consequences, cost_ore } => {
            v["consequences"] = json!(consequences);
            v["cost_ore"] = json!(cost_ore);
        }
        Step::Beslutad { by: Decision::Forvaltningsgrupp { plan } } => {
            v["decided_by"] = json!("forvaltningsgrupp");
            v["plan"] = json!(plan.to_hex());
        }
        Step::Beslutad { by: Decision::Styrgrupp { closing } } => {
            v["decided_by"] = json!("styrgrupp");
            v["closing"] = json!(closing.to_hex());
        }
        Step::Planerad { plan } => v["plan"] = json!(plan.to_hex()),
        _ => {}
    }
    v
}

fn detail_view(l: &Line) -> Value {
    let n = &l.entry.need;
    json!({
        "summary": summary_view(l),
        "need": {
            "title": n.title,
            "description": n.description,
            "benefit": n.benefit,
            "wished": n.wished,
            "area": n.area.name(),
            "asker": { "name": n.asker.name, "role": n.asker.role },
            "member": n.member,
        },
        "path": l.entry.path.iter().map(step_view).collect::<Vec<_>>(),
        "other_steps": l.entry.other_steps.iter().map(step_view).collect::<Vec<_>>(),
        "next": l.entry.state().next().iter().map(|s| s.name()).collect::<Vec<_>>(),
        "follows": needs::follows(l).to_hex(),
    })
}

/// `GET /api/v1/needs`: the backlog.
#[utoipa::path(
    get,
    path = "/api/v1/needs",
    operation_id = "listNeeds",
    tag = "needs",
    summary = "The needs held: the open ones in the federation's priority order, then the others, newest first; each with its state, area, the members that need it and its Borda points.",
    params(NeedQuery),
    responses(
        (status = 200, description = "The needs.", body = inline(doc::Needs)),
        doc::BadNeedFilter,
        doc::ReadFailures,
    ),
)]
pub(super) async fn list(S(state): S<State>, Query(q): Query<NeedQuery>) -> Result<Json<Value>, Error> {
    let filter = q.filter()?;
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let lines = state.blocking(move |s| needs::list(s.ledger.store(), &chain, filter).map_err(query)).await?;
    Ok(Json(json!({ "needs": lines.iter().map(summary_view).collect::<Vec<_>>() })))
}

/// `GET /api/v1/needs/{id}`: one need with its path.
#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}",
    operation_id = "getNeed",
    tag = "needs",
    summary = "A need: its body, state, place in the priority order, the members that need it, the steps on its path (who, when, what they record), steps off the path, the states it may go to next, and the record a new step follows.",
    params(doc::RecordIdPath),
    responses(
        (status = 200, description = "The need.", body = doc::NeedDetail),
        doc::BadId,
        doc::UnknownNeed,
        doc::ReadFailures,
    ),
)]
pub(super) async fn one(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let id = extract::record_id(&id)?;
    let chain = state.ledger.chain().ok_or(Error::NoFederation)?;
    let line = state.blocking(move |s| needs::need(s.ledger.store(), &chain, &id).map_err(query)).await?;
    let line = line
        .ok_or_else(|| Error::not_found("unknown_need", format!("no need {id} is held here; see GET /api/v1/needs")))?;
    Ok(Json(detail_view(&line)))
}
