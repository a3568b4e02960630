//! Certifying a person's key in the roster from the browser. Whoever holds a member's
//! organisation key file (the objektspecialist, typically) names the key (from the person's
//! "Min nyckel" page), its roles and mandate period; the node prepares the next roster version —
//! a change the member makes alone, so its own organisation key suffices — and the signing page
//! signs it with the organisation key read from its file in the browser (never sent, never
//! kept). The federation-wide roles (ordförande, förvaltare) need the roster threshold and are
//! not offered. The rules (dates, a key certified twice …) are the protocol's; a refusal shows
//! the form again with what to do.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use samverka_protocol::{PublicKey, Role};
use serde::Deserialize;

use crate::page::{read, role_key, Chrome, Failure, Visitor};
use crate::sign::{self, prepare, signed_form, signed_in, Posted};
use crate::view::{self, Node};
use crate::Web;

#[derive(Template)]
#[template(path = "certify.html")]
struct CertifyPage {
    c: Chrome,
    csrf: String,
    /// Members: (id, name, whether it is the signed-in person's).
    members: Vec<(String, String, bool)>,
    /// Roles: (form value, name).
    roles: Vec<(&'static str, &'static str)>,
    /// The key to certify, when the link named it.
    key: String,
    error: Option<String>,
}

/// The query of `GET /medlemmar/certifiera`: the key to certify (`?nyckel=`).
#[derive(Deserialize)]
pub struct KeyQuery {
    nyckel: Option<String>,
}

/// The form, with `key` filled in and `error` above it.
pub(crate) async fn page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    key: Option<String>,
    error: Option<String>,
) -> Result<String, Failure> {
    let t = v.t();
    let (csrf, mine) = v.me.as_ref().map(|(s, me)| (s.csrf.clone(), me.member.clone())).unwrap_or_default();
    let federation = read(&web.node, |n| n.federation()).await?;
    let mut members: Vec<(String, String, bool)> =
        federation.members.iter().map(|m| (m.id.clone(), m.name.clone(), m.id == mine)).collect();
    members.sort_by(|a, b| crate::locale::compare(&a.1, &b.1));
    let page = CertifyPage {
        c: v.chrome(t.get("certify.heading").into(), web.node.demo()),
        csrf,
        members,
        roles: Role::ALL
            .into_iter()
            .filter(|r| !matches!(r, Role::Ordforande | Role::Forvaltare))
            .map(|r| (r.swedish(), t.get(role_key(r))))
            .collect(),
        key: key.filter(|k| PublicKey::from_hex(k).is_ok()).unwrap_or_default(),
        error,
    };
    Ok(page.render()?)
}

/// `GET /medlemmar/certifiera?nyckel=`: the form (signed in).
pub async fn form<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, Query(q): Query<KeyQuery>) -> Response {
    if let Err(r) = signed_in(&v) {
        return *r;
    }
    let page = page(&web, &v, q.nyckel, None).await;
    v.answer(page, web.node.demo())
}

/// The form again (422) with what was typed as the key, saying what to do (the catalog's `key`).
async fn again<N: Node>(web: &Arc<Web<N>>, v: &Visitor, key: &str, typed: Option<String>) -> Response {
    let page = page(web, v, typed, Some(v.t().get(key).into())).await;
    v.answer_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, page, web.node.demo())
}

/// `POST /medlemmar/certifiera`: prepares the roster version for the organisation key to sign.
pub async fn certify<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let (me, f) = match signed_form(&web, &v, posted) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let typed = f.key.as_deref().map(|k| k.trim().to_owned());
    let Some(key) = typed.as_deref().and_then(|k| PublicKey::from_hex(k).ok()) else {
        return again(&web, &v, "certify.bad_key", None).await;
    };
    let roles: Option<Vec<Role>> = f.role.iter().map(|r| Role::ALL.into_iter().find(|x| x.swedish() == r)).collect();
    let roles = match roles {
        Some(r) if !r.is_empty() => r,
        _ => return again(&web, &v, "certify.choose_role", typed).await,
    };
    let Some(member) = f.member.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()) else {
        return again(&web, &v, "certify.choose_member", typed).await;
    };
    let day = |d: Option<String>| d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let action = view::Certify {
        member,
        key,
        roles,
        valid: (day(f.from), day(f.until)),
        reason: f.reason.unwrap_or_default().trim().to_owned(),
    };
    let prepared = prepare(&web, &v, me, action.into()).await;
    sign::again(&web, &v, prepared, |r| page(&web, &v, None, r.error)).await
}
