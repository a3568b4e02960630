//! The charter, the roster (current and every version) and the members, as JSON.

use axum::extract::State as S;
use samverka_protocol::charter::{Founder, RosterThreshold};
use samverka_protocol::roster::Change;
use samverka_protocol::{
    Body, Charter, DecisionRule, KeyGrant, KeyKind, Majority, Member, MemberKind, PublicKey, Roster, RosterChain,
    RosterUpdate,
};
use serde_json::{json, Value};

use super::extract::{Json, Path};
use super::openapi as doc;
use super::{Error, State};

/// The roster chain, or 503 when the node has no federation.
pub(super) fn chain(state: &State) -> Result<std::sync::Arc<RosterChain>, Error> {
    state.ledger.chain().ok_or(Error::NoFederation)
}

/// `GET /api/v1/charter`
#[utoipa::path(
    get,
    path = "/api/v1/charter",
    operation_id = "charter",
    tag = "roster",
    summary = "The federation's charter (its genesis record).",
    responses(
        (status = 200, description = "The charter.", body = inline(doc::CharterView)),
        doc::ReadFailures,
    ),
)]
pub(super) async fn charter(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let id = chain.federation();
    let record =
        state.ledger.store().get(&id)?.ok_or_else(|| Error::Internal("the charter record is missing".into()))?;
    let body = record.body().ok_or_else(|| Error::Internal("the charter has no body".into()))?;
    let charter = Charter::from_bytes(body).map_err(|e| Error::Internal(format!("the stored charter: {e}")))?;
    Ok(Json(json!({ "id": id.to_hex(), "charter": charter_view(&charter) })))
}

/// `GET /api/v1/roster`
#[utoipa::path(
    get,
    path = "/api/v1/roster",
    operation_id = "roster",
    tag = "roster",
    summary = "The current roster version.",
    responses(
        (status = 200, description = "The newest roster version.", body = doc::Roster),
        doc::NoFederation,
    ),
)]
pub(super) async fn current(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    Ok(Json(roster_view(chain.current(), &chain)))
}

/// `GET /api/v1/roster/history`
#[utoipa::path(
    get,
    path = "/api/v1/roster/history",
    operation_id = "rosterHistory",
    tag = "roster",
    summary = "Every roster version, oldest (the charter, version 0) first.",
    responses(
        (status = 200, description = "All versions.", body = inline(doc::RosterHistory)),
        doc::NoFederation,
    ),
)]
pub(super) async fn history(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let versions: Vec<Value> = chain.versions().iter().map(|r| roster_view(r, &chain)).collect();
    Ok(Json(json!({ "versions": versions })))
}

/// `GET /api/v1/roster/versions/{version}`
#[utoipa::path(
    get,
    path = "/api/v1/roster/versions/{version}",
    operation_id = "rosterVersion",
    tag = "roster",
    summary = "One roster version.",
    params(("version" = u64, Path, description = "The version number (0 is the charter).")),
    responses(
        (status = 200, description = "The version.", body = doc::Roster),
        doc::BadInput,
        doc::NotFound,
        doc::NoFederation,
    ),
)]
pub(super) async fn version(S(state): S<State>, Path(version): Path<String>) -> Result<Json<Value>, Error> {
    let n: u64 = version.parse().map_err(|_| {
        Error::bad_request("bad_version", format!("{version:?} is not a roster version: expected a whole number"))
    })?;
    let chain = chain(&state)?;
    let roster = chain.at(n).ok_or_else(|| {
        Error::not_found(
            "unknown_roster_version",
            format!("roster version {n} does not exist; the newest is {}", chain.current().version),
        )
    })?;
    Ok(Json(roster_view(roster, &chain)))
}

/// `GET /api/v1/members`
#[utoipa::path(
    get,
    path = "/api/v1/members",
    operation_id = "members",
    tag = "roster",
    summary = "The current members.",
    responses(
        (status = 200, description = "Members.", body = inline(doc::Members)),
        doc::NoFederation,
    ),
)]
pub(super) async fn members(S(state): S<State>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let roster = chain.current();
    let members: Vec<Value> = roster.members.values().map(|m| member_view(m, roster)).collect();
    Ok(Json(json!({ "roster_version": roster.version, "members": members })))
}

/// `GET /api/v1/members/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/members/{id}",
    operation_id = "member",
    tag = "roster",
    summary = "One member with its keys and roles.",
    params(("id" = String, Path, description = "Kommunkod (e.g. 2580) or organisation number (NNNNNN-NNNN).")),
    responses(
        (status = 200, description = "The member.", body = doc::MemberDetail),
        doc::NotFound,
        doc::NoFederation,
    ),
)]
pub(super) async fn member(S(state): S<State>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let chain = chain(&state)?;
    let roster = chain.current();
    let member = roster.members.get(&id).ok_or_else(|| {
        Error::not_found("unknown_member", format!("{id:?} is not a member in roster version {}", roster.version))
    })?;
    let keys: Vec<Value> = roster.keys_of(&id).map(|(k, g)| key_view(k, g, &chain)).collect();
    let mut roles: Vec<&str> = roster
        .keys_of(&id)
        .filter_map(|(_, g)| match &g.kind {
            KeyKind::Person { roles, .. } => Some(roles.iter().map(|r| r.swedish())),
            _ => None,
        })
        .flatten()
        .collect();
    roles.sort_unstable();
    roles.dedup();
    let mut view = member_view(member, roster);
    view["keys"] = json!(keys);
    view["roles"] = json!(roles);
    view["roster_version"] = json!(roster.version);
    Ok(Json(view))
}

/// One roster version.
pub(super) fn roster_view(roster: &Roster, chain: &RosterChain) -> Value {
    json!({
        "version": roster.version,
        "record_id": roster.head.to_hex(),
        "federation": roster.federation.to_hex(),
        "name": roster.name,
        "host": roster.host,
        "members": roster.members.values().map(|m| member_view(m, roster)).collect::<Vec<_>>(),
        "rules": rules_view(&roster.rules),
        "roles": roster.roles.iter().map(|r| r.swedish()).collect::<Vec<_>>(),
        "keys": roster.keys.iter().map(|(k, g)| key_view(k, g, chain)).collect::<Vec<_>>(),
    })
}

fn member_view(member: &Member, roster: &Roster) -> Value {
    json!({
        "id": member.id,
        "name": member.name,
        "kind": member_kind(member.kind),
        "host": member.id == roster.host,
        "org_key": roster.org_key(&member.id).map(|k| k.to_hex()),
    })
}

fn member_kind(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Kommun => "kommun",
        MemberKind::Region => "region",
        MemberKind::Forvaltning => "forvaltning",
    }
}

/// A certified key: its member, kind, roles, validity and when it was certified.
pub(super) fn key_view(key: &PublicKey, grant: &KeyGrant, chain: &RosterChain) -> Value {
    let mut view = key_kind_view(&grant.kind);
    view["key"] = json!(key.to_hex());
    view["member"] = json!(grant.member);
    view["certified_at"] = json!(grant.certified_at);
    view["revoked_since_seq"] = json!(chain.revoked_since(key));
    view
}

fn key_kind_view(kind: &KeyKind) -> Value {
    match kind {
        KeyKind::Organisation => json!({ "kind": "organisation", "roles": [] }),
        KeyKind::Node => json!({ "kind": "node", "roles": [] }),
        KeyKind::Person { roles, valid_from_ms, valid_until_ms } => json!({
            "kind": "person",
            "roles": roles.iter().map(|r| r.swedish()).collect::<Vec<_>>(),
            "valid_from_ms": valid_from_ms,
            "valid_until_ms": valid_until_ms,
        }),
    }
}

/// A Rust variant name in the API's kebab case (`StorreForandring` → `storre-forandring`).
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn rule_view(rule: &DecisionRule) -> Value {
    let majority = match rule.majority {
        Majority::Simple => json!({ "type": "simple" }),
        Majority::Qualified { numerator, denominator } => {
            json!({ "type": "qualified", "numerator": numerator, "denominator": denominator })
        }
        Majority::Unanimous => json!({ "type": "unanimous" }),
    };
    json!({ "quorum_percent": rule.quorum_percent, "majority": majority })
}

fn rules_view(rules: &samverka_protocol::Rules) -> Value {
    let threshold = match rules.roster_threshold {
        RosterThreshold::Majority => "majority",
        RosterThreshold::All => "all",
    };
    let decisions: Vec<Value> = rules
        .decisions
        .iter()
        .map(|(matter, rule)| {
            let mut v = rule_view(rule);
            v["matter"] = json!(kebab(&format!("{matter:?}")));
            v
        })
        .collect();
    json!({
        "roster_threshold": threshold,
        "decisions": decisions,
        "default_rule": rule_view(&rules.default_rule),
        "meeting_notice_days": rules.meeting_notice_days,
    })
}

/// A charter body.
pub(super) fn charter_view(charter: &Charter) -> Value {
    let founder = |f: &Founder| {
        json!({
            "id": f.member.id,
            "name": f.member.name,
            "kind": member_kind(f.member.kind),
            "org_key": f.org_key.to_hex(),
        })
    };
    json!({
        "name": charter.name,
        "system": charter.system,
        "founders": charter.founders.iter().map(founder).collect::<Vec<_>>(),
        "host": charter.host,
        "rules": rules_view(&charter.rules),
        "roles": charter.roles.iter().map(|r| r.swedish()).collect::<Vec<_>>(),
    })
}

/// A roster-update body.
pub(super) fn update_view(update: &RosterUpdate) -> Value {
    json!({
        "version": update.version,
        "previous": update.previous.to_hex(),
        "reason": update.reason,
        "changes": update.changes.iter().map(change_view).collect::<Vec<_>>(),
    })
}

fn change_view(change: &Change) -> Value {
    match change {
        Change::AddMember { member, org_key } => json!({
            "change": "add-member",
            "member": { "id": member.id, "name": member.name, "kind": member_kind(member.kind) },
            "org_key": org_key.to_hex(),
        }),
        Change::RemoveMember { member } => json!({ "change": "remove-member", "member": member }),
        Change::CertifyKey { member, key, kind } => {
            let mut v = key_kind_view(kind);
            v["change"] = json!("certify-key");
            v["member"] = json!(member);
            v["key"] = json!(key.to_hex());
            v
        }
        Change::RotateKey { old, new } => json!({ "change": "rotate-key", "old": old.to_hex(), "new": new.to_hex() }),
        Change::RevokeKey { key, compromised_since_seq } => json!({
            "change": "revoke-key",
            "key": key.to_hex(),
            "compromised_since_seq": compromised_since_seq,
        }),
        Change::SetHost { member } => json!({ "change": "set-host", "member": member }),
        Change::SetRules { rules } => json!({ "change": "set-rules", "rules": rules_view(rules) }),
    }
}

#[cfg(test)]
mod tests {
    use super::kebab;

    #[test]
    fn variant_names_become_kebab_case() {
        assert_eq!(kebab("StorreForandring"), "storre-forandring");
        assert_eq!(kebab("Budget"), "budget");
    }
}
