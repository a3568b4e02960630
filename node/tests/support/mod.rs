//! Helpers shared by the HTTP test binaries: a ledger holding a testkit federation, a router
//! over it, and requests sent straight to the router (no sockets).

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use samverka_node::api::{self, State};
use samverka_node::ledger::Ledger;
use samverka_node::metrics::Metrics;
use samverka_protocol::testkit::Federation;
use samverka_protocol::SigningKey;
use serde_json::Value;
use tower::ServiceExt;

/// Norrbotten's federation (Luleå, 2580, the host) with every member's styrgrupp ordinarie
/// certified, by member.
pub fn norrbotten_with_ordinarie(
) -> (Federation, std::collections::BTreeMap<samverka_protocol::MemberId, samverka_protocol::testkit::Author>) {
    let mut fed = Federation::found("Ekosystem Norrbotten", &samverka_protocol::testkit::norrbotten(), "2580");
    let members: Vec<samverka_protocol::MemberId> = fed.chain.current().members.keys().cloned().collect();
    let ordinarie = members
        .iter()
        .map(|m| {
            let person =
                fed.certify_person(m, &format!("demo/{m}/ordinarie"), &[samverka_protocol::Role::StyrgruppOrdinarie]);
            (m.clone(), person)
        })
        .collect();
    (fed, ordinarie)
}

/// A ledger in a fresh directory holding `fed`'s charter and roster versions.
pub fn ledger_with(fed: &Federation) -> (tempfile::TempDir, Arc<Ledger>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Arc::new(open_with(dir.path(), fed));
    (dir, ledger)
}

/// Opens the ledger in `dir`, founding `fed` there (charter and roster versions) if it holds no
/// federation yet: a first open and every reopen after a restart.
pub fn open_with(dir: &std::path::Path, fed: &Federation) -> Ledger {
    let ledger = Ledger::open(dir, 8 * 1024 * 1024).expect("ledger opens");
    if ledger.federation().is_none() {
        ledger.ingest(fed.charter.to_unverified()).expect("charter ingests");
        for u in &fed.updates {
            ledger.ingest(u.to_unverified()).expect("roster update ingests");
        }
    }
    ledger
}

/// Runs the `samverka` binary in `dir` with `args` (no config file, warnings only). Only in
/// test binaries: the binary's path is not known to the example that shares this module.
#[cfg(test)]
pub fn samverka(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_samverka"))
        .current_dir(dir)
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("the samverka binary runs")
}

/// Runs `samverka` and returns its standard output, failing the test if it failed.
#[cfg(test)]
pub fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let out = samverka(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "samverka {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `samverka`, expecting it to fail, and returns its standard error.
#[cfg(test)]
pub fn fails(dir: &std::path::Path, args: &[&str]) -> String {
    let out = samverka(dir, args);
    assert!(!out.status.success(), "samverka {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The API over `ledger` for a node with `node_key` and an optional operator token.
pub fn router_with(ledger: &Arc<Ledger>, node_key: SigningKey, token: Option<&str>) -> Router {
    let state = State::new(ledger.clone(), node_key, Arc::new(Metrics::new())).with_token(token.map(String::from));
    api::router(state)
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    /// Asserts the status and returns the JSON body.
    pub fn ok(&self, status: StatusCode) -> Value {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        body
    }

    /// Asserts a refusal in the API's error format.
    pub fn refused(&self, status: StatusCode, code: &str) -> Value {
        let body = self.ok(status);
        assert_eq!(body["code"], code, "{body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
        body
    }

    /// The Content-Type header, or "".
    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Sends a request to the router.
pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    let res = router.clone().oneshot(req).await.expect("the router is infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = to_bytes(res.into_body(), usize::MAX).await.expect("body reads").to_vec();
    Reply { status, headers, bytes }
}

/// `GET uri`.
pub async fn get(router: &Router, uri: &str) -> Reply {
    send(router, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// `POST uri` with `body` of `content_type`, and a Bearer token if given.
pub async fn post_with(
    router: &Router,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    token: Option<&str>,
) -> Reply {
    let mut req = Request::post(uri);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(router, req.body(Body::from(body)).expect("request")).await
}

/// `POST uri` with a JSON body.
pub async fn post_json(router: &Router, uri: &str, body: Value, token: Option<&str>) -> Reply {
    post_with(router, uri, Some("application/json"), body.to_string().into_bytes(), token).await
}

/// `POST uri` with raw bytes of `content_type`.
pub async fn post_raw(router: &Router, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
    post_with(router, uri, Some(content_type), body, None).await
}

/// `POST uri` with no body.
pub async fn post_empty(router: &Router, uri: &str, token: Option<&str>) -> Reply {
    post_with(router, uri, None, Vec::new(), token).await
}

/// Extracts the text of a PDF with `pdftotext` (poppler-utils), or `None` if it is not installed.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().expect("stdin").write_all(pdf).expect("write to pdftotext");
    let out = child.wait_with_output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext refused the PDF: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("pdftotext writes UTF-8"))
}

/// Tables a yes/no matter of `kind` naming `subject` at the host's node `host`, has every
/// ordinarie vote `choice`, and closes it; returns the matter's id.
pub fn decide(
    ledger: &Ledger,
    host: &SigningKey,
    ordinarie: &mut std::collections::BTreeMap<samverka_protocol::MemberId, samverka_protocol::testkit::Author>,
    kind: samverka_protocol::MatterKind,
    title: String,
    subject: samverka_protocol::RecordId,
    choice: samverka_protocol::governance::Choice,
) -> samverka_protocol::RecordId {
    use samverka_protocol::governance::{Matter, Procedure, Vote};
    use samverka_protocol::{Body, Kind};
    let matter = Matter {
        kind,
        title,
        proposal: "Styrgruppen fastställer förslaget.".into(),
        alternatives: vec![],
        papers: vec![],
        procedure: Procedure::PerCapsulam { voting_window_days: 14 },
        closer: host.public(),
        subject: Some(subject),
    };
    let t0 = samverka_protocol::testkit::T0_MS;
    let m = ledger.author(host, Kind::Matter, matter.to_bytes(), t0).expect("the matter");
    let chain = ledger.chain().expect("federation");
    for (member, voter) in ordinarie.iter_mut() {
        let vote = Vote { matter: m.id(), member: member.clone(), choice };
        let record = voter.next(chain.federation(), chain.current().version, Kind::Vote, vote.to_bytes());
        ledger.ingest(record).expect("a vote");
    }
    let closing = samverka_node::governance::next_closing(ledger.store(), &chain, &host.public(), &m.id())
        .expect("the host's node closes");
    ledger.author(host, Kind::BallotClose, closing.to_bytes(), t0).expect("the closing");
    m.id()
}
