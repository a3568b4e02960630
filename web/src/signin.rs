//! Sign-in without passwords (docs/web.md §2): the sign-in page with a fresh challenge, the
//! signed challenge checked against the current roster ([`crate::session`]), logout, the page
//! that makes a key in this browser, and the demo's people to sign in as.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use samverka_protocol::PublicKey;

use crate::page::{read, roles_text, Chrome, Failure, Visitor};
use crate::session::{self, LoginError, SESSION_COOKIE};
use crate::sign::{checked, parse_signature, script, Fields, Posted};
use crate::view::Node;
use crate::Web;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    federation: String,
    challenge: String,
    error: Option<String>,
    demo: Vec<DemoLine>,
}

struct DemoLine {
    label: String,
    seed: String,
    key: String,
    /// Sign in as this person as soon as the page loads (the demo's printed links).
    auto: bool,
}

#[derive(Template)]
#[template(path = "key.html")]
struct KeyPage {
    c: Chrome,
}

/// `GET /logga-in`: sign in with the key in this browser.
pub async fn login_page<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    if v.me.is_some() {
        return Redirect::to("/att-gora").into_response();
    }
    let page = login_form(&web, &v, None, None).await;
    v.answer(page, web.node.demo())
}

async fn login_form<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    error: Option<String>,
    only: Option<&str>,
) -> Result<String, Failure> {
    let federation = read(&web.node, |n| n.federation()).await?;
    let t = v.t();
    let demo: Vec<DemoLine> = web
        .node
        .demo_people()
        .into_iter()
        .filter(|p| only.is_none_or(|id| p.id == id))
        .map(|p| DemoLine {
            label: t.fill("demo.person", &[("member", &p.member), ("roles", &roles_text(t, &p.roles))]),
            seed: hex::encode(p.seed),
            key: p.key.to_hex(),
            auto: only.is_some(),
        })
        .collect();
    if only.is_some() && demo.is_empty() {
        return Err(Failure::NotFound);
    }
    let page = LoginPage {
        c: script(v.chrome(t.get("login.heading").into(), web.node.demo())),
        federation: federation.id.to_hex(),
        challenge: hex::encode(web.sessions.challenge()),
        error,
        demo,
    };
    Ok(page.render()?)
}

/// `POST /logga-in`: checks the signed challenge and opens a session.
pub async fn login<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let fields = match checked(&web, &v, posted, None) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let result = sign_in(&web, &fields).await;
    match result {
        Ok(key) => {
            let (token, _) = web.sessions.open(key);
            tracing::info!(%key, "signed in");
            let cookie = format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
            let mut response = Redirect::to("/att-gora").into_response();
            let value = HeaderValue::from_str(&cookie).expect("a hex token is a valid header value");
            response.headers_mut().insert(header::SET_COOKIE, value);
            response
        }
        Err(e) => {
            tracing::info!(code = e.code(), "sign-in refused");
            let text = v.t().get(&format!("login.error.{}", e.code())).to_owned();
            let page = login_form(&web, &v, Some(text), None).await;
            v.answer_with(StatusCode::UNPROCESSABLE_ENTITY, page, web.node.demo())
        }
    }
}

async fn sign_in<N: Node>(web: &Arc<Web<N>>, fields: &Fields) -> Result<PublicKey, LoginError> {
    let key = fields.key.as_deref().and_then(|k| PublicKey::from_hex(k.trim()).ok());
    let challenge: Option<session::Challenge> =
        fields.challenge.as_deref().and_then(|c| hex::decode(c.trim()).ok()).and_then(|c| c.try_into().ok());
    let signature = fields.signature.as_deref().and_then(parse_signature);
    let (Some(key), Some(challenge), Some(signature)) = (key, challenge, signature) else {
        return Err(LoginError::Malformed);
    };
    let federation = read(&web.node, |n| n.federation()).await.map_err(|_| LoginError::NotCertified)?;
    web.sessions.verify(&federation.id, &key, &challenge, &signature)?;
    if web.node.me(&key).is_none() {
        return Err(LoginError::NotCertified);
    }
    Ok(key)
}

/// `POST /logga-ut`: ends the session.
pub async fn logout<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor, posted: Posted) -> Response {
    let session = v.me.as_ref().map(|(s, _)| s);
    if let Err(r) = checked(&web, &v, posted, session) {
        return *r;
    }
    if let Some(token) = &v.token {
        web.sessions.end(token);
    }
    let mut response = Redirect::to("/").into_response();
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("a valid header value"));
    response
}

/// `GET /nyckel`: make a key in this browser and show it for certification.
pub async fn key_page<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let t = v.t();
    let page = KeyPage { c: script(v.chrome(t.get("key.heading").into(), web.node.demo())) };
    v.answer(page.render().map_err(Failure::from), web.node.demo())
}

/// `GET /demo`: the demo's people, to sign in as (only on a demo node).
pub async fn demo_page<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    if !web.node.demo() {
        return v.answer(Err(Failure::NotFound), false);
    }
    let page = login_form(&web, &v, None, None).await;
    v.answer(page, true)
}

/// `GET /demo/{member}/{role}`: signs the demo's person in at once (the links `samverka demo`
/// prints per role).
pub async fn demo_person<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path((member, role)): Path<(String, String)>,
    v: Visitor,
) -> Response {
    if !web.node.demo() {
        return v.answer(Err(Failure::NotFound), false);
    }
    let page = login_form(&web, &v, None, Some(&format!("{member}/{role}"))).await;
    v.answer(page, true)
}
