//! Signing in and signing in the browser, driven over HTTP as the browser's script drives it
//! (the script's own part — WebCrypto, IndexedDB — is exercised in headless Chromium by
//! `web/tests/browser.py`): a signed challenge opens a session, a vote is prepared, shown,
//! signed and stored through the one ingest path; refusals say why in Swedish and never take a
//! chain position; forms from elsewhere or without the session's CSRF token are refused.

#[path = "support/fixture.rs"]
mod fixture;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use samverka_protocol::governance::{Choice, Vote};
use samverka_protocol::{testkit, Body as _, Hash, Kind, RecordId, SigningKey};
use samverka_web::session::{login_message, SESSION_COOKIE};
use support::{send, Reply};

fn html(r: &Reply) -> String {
    String::from_utf8(r.bytes.clone()).expect("pages are UTF-8")
}

/// The value of `attr="…"` after the first `anchor` in `page`.
fn attr(page: &str, anchor: &str, attr: &str) -> String {
    let from = page.find(anchor).unwrap_or_else(|| panic!("{anchor} not in:\n{page}"));
    let rest = &page[from..];
    let start = rest.find(&format!("{attr}=\"")).unwrap_or_else(|| panic!("{attr} after {anchor}")) + attr.len() + 2;
    rest[start..start + rest[start..].find('"').expect("closing quote")].to_owned()
}

/// A browser: a cookie jar of one session cookie, and the router.
struct Browser {
    router: axum::Router,
    cookie: Option<String>,
}

impl Browser {
    fn request(&self, req: axum::http::request::Builder) -> axum::http::request::Builder {
        match &self.cookie {
            Some(c) => req.header(header::COOKIE, format!("{SESSION_COOKIE}={c}")),
            None => req,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        send(&self.router, self.request(Request::get(uri)).body(Body::empty()).expect("request")).await
    }

    async fn post(&self, uri: &str, form: &[(&str, &str)], origin: Option<&str>) -> Reply {
        let body = form.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let mut req = self
            .request(Request::post(uri))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:7080");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        send(&self.router, req.body(Body::from(body)).expect("request")).await
    }

    /// Posts `fields` and `files` (name, bytes) as `multipart/form-data`, as a form with a file
    /// input sends them.
    async fn post_multipart(&self, uri: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Reply {
        const BOUNDARY: &str = "----samverka-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"papers\"; filename=\"{file}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = self
            .request(Request::post(uri))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::HOST, "127.0.0.1:7080");
        send(&self.router, req.body(Body::from(body)).expect("request")).await
    }

    /// Signs in with `key` as the login page's script does; returns the answer.
    async fn sign_in(&mut self, key: &SigningKey) -> Reply {
        let page = html(&self.get("/logga-in").await);
        let federation = Hash::from_hex(&attr(&page, "id=\"login-form\"", "data-federation")).expect("hex");
        let challenge: [u8; 32] =
            hex::decode(attr(&page, "id=\"login-form\"", "data-challenge")).expect("hex").try_into().expect("32");
        let signature = key.sign(&login_message(&federation, &challenge));
        let r = self
            .post(
                "/logga-in",
                &[
                    ("key", &key.public().to_hex()),
                    ("challenge", &hex::encode(challenge)),
                    ("signature", &signature.to_hex()),
                ],
                None,
            )
            .await;
        if let Some(set) = r.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()) {
            assert!(
                set.contains("; Secure")
                    && set.contains("; HttpOnly")
                    && set.contains("SameSite=Strict")
                    && set.contains("Path=/"),
                "{set}"
            );
            self.cookie =
                Some(set.split(';').next().expect("a value").split_once('=').expect("name=value").1.to_owned());
        }
        r
    }

    async fn csrf(&self) -> String {
        attr(&html(&self.get("/att-gora").await), "name=\"csrf\"", "value")
    }
}

/// A browser signed in with `key` at the fixture's node, and its session's CSRF token.
async fn signed_in(f: &fixture::Fixture, key: &SigningKey) -> (Browser, String) {
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let r = browser.sign_in(key).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let csrf = browser.csrf().await;
    (browser, csrf)
}

fn ordinarie(member: &str) -> SigningKey {
    testkit::key(&format!("demo/{member}/ordinarie"))
}

/// A member of the fixture who has not voted on the open matter (the first three have).
const VOTER: &str = "2584";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_a_signed_challenge_and_votes_by_signing_in_the_browser() {
    let f = fixture::fixture().await;
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let key = ordinarie(VOTER);

    let r = browser.sign_in(&key).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert_eq!(r.headers[header::LOCATION], "/att-gora");
    let todo = html(&browser.get("/att-gora").await);
    assert!(todo.contains(&format!("/arenden/{}#rosta", f.open.to_hex())), "the open ballot waits:\n{todo}");
    assert!(todo.contains("Inloggad: Ordinarie ledamot i styrgruppen"), "{todo}");

    let csrf = browser.csrf().await;
    let r =
        browser.post(&format!("/arenden/{}/rosta", f.open.to_hex()), &[("csrf", &csrf), ("choice", "nej")], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert_eq!(r.headers[header::LOCATION], "/underskrift");

    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Din röst</dt><dd>Nej"), "the page says what is signed:\n{offer}");
    let input = hex::decode(attr(&offer, "id=\"sign-form\"", "data-input")).expect("hex");
    let id = attr(&offer, "id=\"sign-form\"", "data-id");
    let (before, after) =
        (attr(&offer, "id=\"sign-form\"", "data-before"), attr(&offer, "id=\"sign-form\"", "data-after"));
    let (seq, prev) = f.ledger.next_position(&key.public()).expect("reads");
    assert_eq!(attr(&offer, "id=\"sign-form\"", "data-seq"), seq.to_string());
    assert_eq!(attr(&offer, "id=\"sign-form\"", "data-prev"), prev.map(|p| p.to_hex()).unwrap_or_default());

    let signature = key.sign(&input);
    let assembled = hex::decode(format!("{before}{}{after}", signature.to_hex())).expect("hex");
    let r =
        browser.post("/underskrift", &[("csrf", &csrf), ("id", &id), ("signature", &signature.to_hex())], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let receipt = r.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    assert_eq!(receipt, format!("/kvitto/{id}?tillbaka=/arenden/{}", f.open.to_hex()));
    assert!(html(&browser.get(&receipt).await).contains(&format!("data-acked=\"{id}\"")));

    let stored =
        f.ledger.store().get(&RecordId::from_hex(&id).expect("an id")).expect("reads").expect("the vote is stored");
    assert_eq!(stored.bytes(), &assembled[..], "the bytes the browser keeps are the record's");
    assert_eq!(stored.header().kind, Kind::Vote);
    let vote = Vote::from_bytes(stored.body().expect("a body")).expect("a vote");
    assert_eq!((vote.matter, vote.member.as_str(), vote.choice), (f.open, VOTER, Choice::No));
    let todo = html(&browser.get("/att-gora").await);
    assert!(!todo.contains(&f.open.to_hex()), "the ballot no longer waits:\n{todo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_on_a_closed_matter_is_refused_in_swedish_and_takes_no_position() {
    let f = fixture::fixture().await;
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let key = ordinarie(VOTER);
    browser.sign_in(&key).await;
    let before = f.ledger.next_position(&key.public()).expect("reads");
    let csrf = browser.csrf().await;
    let r = browser
        .post(&format!("/arenden/{}/rosta", f.closed.to_hex()), &[("csrf", &csrf), ("choice", "ja")], None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Omröstningen är avslutad"), "{}", html(&r));
    let r = browser
        .post(&format!("/arenden/{}/rosta", f.open.to_hex()), &[("csrf", &csrf), ("choice", "kanske")], None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Välj hur du röstar"), "{}", html(&r));
    assert!(html(&browser.get("/underskrift").await).contains("Inget att skriva under"));
    assert_eq!(f.ledger.next_position(&key.public()).expect("reads"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_refused_and_its_position_is_given_back() {
    let f = fixture::fixture().await;
    let key = ordinarie(VOTER);
    let (browser, csrf) = signed_in(&f, &key).await;
    let vote = format!("/arenden/{}/rosta", f.open.to_hex());
    browser.post(&vote, &[("csrf", &csrf), ("choice", "ja")], None).await;
    let offer = html(&browser.get("/underskrift").await);
    let (id, seq) = (attr(&offer, "id=\"sign-form\"", "data-id"), attr(&offer, "id=\"sign-form\"", "data-seq"));
    let forged = ordinarie("2505").sign(&hex::decode(attr(&offer, "id=\"sign-form\"", "data-input")).expect("hex"));
    let r = browser.post("/underskrift", &[("csrf", &csrf), ("id", &id), ("signature", &forged.to_hex())], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&r);
    assert!(page.contains("Underskriften stämde inte med din nyckel"), "{page}");
    assert!(page.contains(&format!("data-given-back=\"{id}\"")), "the browser learns the position is free:\n{page}");
    assert!(f.ledger.store().get(&RecordId::from_hex(&id).expect("id")).expect("reads").is_none());

    // The same position is offered again, and a good signature over it is stored.
    browser.post(&vote, &[("csrf", &csrf), ("choice", "avstar")], None).await;
    let offer = html(&browser.get("/underskrift").await);
    assert_eq!(attr(&offer, "id=\"sign-form\"", "data-seq"), seq);
    let id = attr(&offer, "id=\"sign-form\"", "data-id");
    let signature = key.sign(&hex::decode(attr(&offer, "id=\"sign-form\"", "data-input")).expect("hex"));
    let r =
        browser.post("/underskrift", &[("csrf", &csrf), ("id", &id), ("signature", &signature.to_hex())], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    // A signature over a replaced offer is not taken.
    let r =
        browser.post("/underskrift", &[("csrf", &csrf), ("id", &id), ("signature", &signature.to_hex())], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("väntar inte längre på din underskrift"), "{}", html(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_refused_for_an_uncertified_key_a_replayed_challenge_and_a_bad_signature() {
    let f = fixture::fixture().await;
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let r = browser.sign_in(&SigningKey::from_seed(&[42; 32])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Nyckeln är inte godkänd"), "{}", html(&r));
    assert!(browser.cookie.is_none());

    let page = html(&browser.get("/logga-in").await);
    let challenge = attr(&page, "id=\"login-form\"", "data-challenge");
    let key = ordinarie(VOTER);
    let wrong = key.sign(b"something else");
    let form = [("key", key.public().to_hex()), ("challenge", challenge.clone()), ("signature", wrong.to_hex())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = browser.post("/logga-in", &form, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Underskriften stämde inte med nyckeln"), "{}", html(&r));
    let r = browser.post("/logga-in", &form, None).await;
    assert!(html(&r).contains("Inloggningen tog för lång tid eller gjordes redan"), "a challenge is used once");
    let r = browser.post("/logga-in", &[("key", "zz")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Inloggningen saknade uppgifter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_from_another_site_or_without_the_csrf_token_are_refused_and_logout_ends_the_session() {
    let f = fixture::fixture().await;
    let key = ordinarie(VOTER);
    let (browser, csrf) = signed_in(&f, &key).await;
    let vote = format!("/arenden/{}/rosta", f.open.to_hex());
    let r = browser.post(&vote, &[("csrf", "0000"), ("choice", "ja")], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(html(&r).contains("Logga in igen"), "{}", html(&r));
    let r = browser.post(&vote, &[("csrf", &csrf), ("choice", "ja")], Some("https://evil.example")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(html(&r).contains("från en annan webbplats"));
    let r = browser.post(&vote, &[("csrf", &csrf), ("choice", "ja")], Some("http://127.0.0.1:7080")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the node's own origin is fine");

    let r = browser.post("/logga-ut", &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers[header::SET_COOKIE].to_str().expect("ascii").contains("Max-Age=0"));
    let r = browser.get("/att-gora").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the session ended");
    assert_eq!(r.headers[header::LOCATION], "/logga-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_outlives_a_restart_of_the_node_and_logout_outlives_the_next() {
    let f = fixture::fixture().await;
    let (mut browser, csrf) = signed_in(&f, &ordinarie(VOTER)).await;
    let restart = || support::router_with(&f.ledger, testkit::key("demo/2580/node"), None);

    browser.router = restart();
    let r = browser.get("/att-gora").await;
    assert_eq!(r.status, StatusCode::OK, "still signed in after the restart");
    assert_eq!(browser.csrf().await, csrf, "with the same CSRF token");

    let r = browser.post("/logga-ut", &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    browser.router = restart();
    let r = browser.get("/att-gora").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the session ended for good");
    assert_eq!(r.headers[header::LOCATION], "/logga-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_forvaltare_closes_a_ballot_from_the_matter_page_and_no_one_else_can() {
    let f = fixture::fixture().await;
    let matter = format!("/arenden/{}", f.open.to_hex());
    let mut member = Browser { router: f.router.clone(), cookie: None };
    member.sign_in(&ordinarie(VOTER)).await;
    assert!(!html(&member.get(&matter).await).contains("/avsluta"), "a member sees no host actions");
    let csrf = member.csrf().await;
    let r = member.post(&format!("{matter}/avsluta"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Bara värdkommunens förvaltare eller ordförande"), "{}", html(&r));

    let mut host = Browser { router: f.router.clone(), cookie: None };
    host.sign_in(&testkit::key("demo/2580/forvaltare")).await;
    let page = html(&host.get(&matter).await);
    assert!(page.contains(&format!("action=\"{matter}/avsluta\"")), "{page}");
    assert!(!page.contains("/diariefor"), "the matter is registered already");
    let csrf = host.csrf().await;
    let r = host.post(&format!("{matter}/avsluta"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let page = html(&host.get(&matter).await);
    assert!(page.contains("tag-closed") && page.contains("decision.pdf"), "closed, with its documents:\n{page}");
    let r = host.post(&format!("{matter}/avsluta"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Omröstningen är redan avslutad"), "{}", html(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_justerare_attests_minutes_by_signing_in_the_browser() {
    let f = fixture::fixture().await;
    let minutes = format!("/protokoll/{}", f.minutes.to_hex());
    let page = html(&Browser { router: f.router.clone(), cookie: None }.get(&minutes).await);
    assert!(page.contains("Väntar på justering") && page.contains("Styrgruppen antog planen."), "{page}");
    assert!(page.contains("Justerare: Ordinarie ledamot i styrgruppen, Kiruna kommun: har inte justerat än"), "{page}");
    let meetings = html(&Browser { router: f.router.clone(), cookie: None }.get("/sammantraden").await);
    assert!(meetings.contains(&minutes) && meetings.contains("SAM 2026/0001"), "{meetings}");

    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let key = ordinarie(VOTER);
    browser.sign_in(&key).await;
    let todo = html(&browser.get("/att-gora").await);
    assert!(todo.contains(&format!("{minutes}/justera")), "the minutes wait for Kiruna's justering:\n{todo}");
    let csrf = browser.csrf().await;
    let r = browser.post(&format!("{minutes}/justera"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Du justerar det här protokollet"), "{offer}");
    let id = attr(&offer, "id=\"sign-form\"", "data-id");
    let signature = key.sign(&hex::decode(attr(&offer, "id=\"sign-form\"", "data-input")).expect("hex"));
    let r =
        browser.post("/underskrift", &[("csrf", &csrf), ("id", &id), ("signature", &signature.to_hex())], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let page = html(&browser.get(&minutes).await);
    assert!(page.contains("Kiruna kommun: har justerat"), "{page}");
    assert!(!page.contains(&format!("{minutes}/justera")), "no second justering is offered");
    assert!(!html(&browser.get("/att-gora").await).contains(&format!("{minutes}/justera")));

    // Someone who is not a justerare is refused before anything is signed.
    let mut other = Browser { router: f.router.clone(), cookie: None };
    other.sign_in(&ordinarie("2505")).await;
    let csrf = other.csrf().await;
    let r = other.post(&format!("{minutes}/justera"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Du är inte justerare"), "{}", html(&r));
}

/// Signs the offer shown at `/underskrift` with `key` and posts it; returns the answer.
async fn sign_offer(browser: &Browser, key: &SigningKey, csrf: &str) -> Reply {
    let offer = html(&browser.get("/underskrift").await);
    let id = attr(&offer, "id=\"sign-form\"", "data-id");
    let signature = key.sign(&hex::decode(attr(&offer, "id=\"sign-form\"", "data-input")).expect("hex"));
    browser.post("/underskrift", &[("csrf", csrf), ("id", &id), ("signature", &signature.to_hex())], None).await
}

fn stockholm_day(days_ahead: i64) -> String {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Stockholm").expect("the zone"));
    (now.date() + jiff::Span::new().days(days_ahead)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forvaltare_puts_a_matter_and_calls_a_meeting_signing_both_in_the_browser() {
    let f = fixture::fixture().await;
    let key = testkit::key("demo/2580/forvaltare");
    let mut host = Browser { router: f.router.clone(), cookie: None };
    host.sign_in(&key).await;
    assert!(html(&host.get("/arenden").await).contains("href=\"/arenden/nytt\""));
    let csrf = host.csrf().await;

    let r = host.post("/arenden/nytt", &[("csrf", &csrf), ("kind", "investering"), ("title", "")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a matter without a title is refused");
    assert!(html(&r).contains("Ett obligatoriskt fält är tomt"), "{}", html(&r));
    let form = [
        ("csrf", csrf.as_str()),
        ("kind", "investering"),
        ("title", "Ny+modul+f%C3%B6r+e-arkiv"),
        ("proposal", "Styrgruppen+godk%C3%A4nner+investeringen."),
    ];
    let r = host.post("/arenden/nytt", &form, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&host.get("/underskrift").await);
    assert!(offer.contains("Ny modul för e-arkiv") && offer.contains("Investering"), "{offer}");
    let r = sign_offer(&host, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let location = r.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let matter = location.split("tillbaka=/arenden/").nth(1).expect("back to the new matter").to_owned();
    let page = html(&host.get(&format!("/arenden/{matter}")).await);
    assert!(page.contains("Ny modul för e-arkiv") && page.contains("/diariefor"), "{page}");
    let r = host.post(&format!("/arenden/{matter}/diariefor"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert!(html(&host.get("/diariet").await).contains("Ny modul för e-arkiv"));

    let meeting = |date: String| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "Extra+sammantr%C3%A4de".to_owned()),
            ("date", date),
            ("place", "Via+l%C3%A4nk".to_owned()),
            ("agenda", matter.clone()),
        ]
    };
    let pairs = meeting(stockholm_day(1));
    let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = host.post("/sammantraden/nytt", &form, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "notice one day ahead is too short");
    assert!(html(&r).contains("Kallelsen ges för sent"), "{}", html(&r));
    let pairs = meeting(stockholm_day(30));
    let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = host.post("/sammantraden/nytt", &form, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let r = sign_offer(&host, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let meetings = html(&host.get("/sammantraden").await);
    assert!(meetings.contains("Extra sammanträde") && meetings.contains("Ny modul för e-arkiv"), "{meetings}");

    let mut member = Browser { router: f.router.clone(), cookie: None };
    member.sign_in(&ordinarie(VOTER)).await;
    let r = member.get("/arenden/nytt").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only host officers put matters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_matter_takes_its_papers_from_the_form_and_the_node_serves_them_once_signed() {
    let f = fixture::fixture().await;
    let key = testkit::key("demo/2580/forvaltare");
    let (host, csrf) = signed_in(&f, &key).await;
    let fields = [("csrf", csrf.as_str()), ("kind", "investering"), ("title", "E-arkiv"), ("proposal", "Bifall.")];
    let plan: &[u8] = b"%PDF-1.4 the plan";
    let budget: &[u8] = b"budget;2027\n";

    let nine: Vec<(String, &[u8])> = (0..9).map(|i| (format!("bilaga-{i}.pdf"), plan)).collect();
    let nine: Vec<(&str, &[u8])> = nine.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let r = host.post_multipart("/arenden/nytt", &fields, &nine).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "nine papers are more than a form takes");
    assert!(html(&r).contains("högst 8 underlag"), "{}", html(&r));
    let r = host.post_multipart("/arenden/nytt", &fields, &[("tom.pdf", b"")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an empty file is refused");
    assert!(html(&r).contains("En av filerna är tom"), "{}", html(&r));
    let r = host.post_multipart("/arenden/nytt", &fields, &[("a.pdf", plan), ("a.pdf", budget)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "two papers of one name are refused by the rules");
    assert!(html(&r).contains("samma filnamn"), "{}", html(&r));
    let hash = samverka_protocol::governance::content_hash(plan).to_hex();
    let r = host.get(&format!("/api/v1/papers/{hash}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a refused form keeps no paper: {}", html(&r));

    let r = host
        .post_multipart(
            "/arenden/nytt",
            &fields,
            &[("C:\\Users\\anna\\Förvaltningsplan 2027.pdf", plan), ("budget.csv", budget), ("", b"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&host.get("/underskrift").await);
    assert!(
        offer.contains("Förvaltningsplan 2027.pdf") && offer.contains(&hash),
        "the offer names the papers: {offer}"
    );
    assert!(!offer.contains("Users"), "the browser's folders are not the paper's name");
    let r = sign_offer(&host, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let location = r.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let matter = location.split("tillbaka=/arenden/").nth(1).expect("back to the new matter").to_owned();
    let page = html(&host.get(&format!("/arenden/{matter}")).await);
    assert!(page.contains("Förvaltningsplan 2027.pdf") && page.contains("budget.csv"), "{page}");
    let r = host.get(&format!("/api/v1/papers/{hash}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.bytes, plan, "the node serves the paper's bytes");

    let (member, member_csrf) = signed_in(&f, &ordinarie(VOTER)).await;
    let fields = [("csrf", member_csrf.as_str()), ("kind", "investering"), ("title", "X"), ("proposal", "Y")];
    let r = member.post_multipart("/arenden/nytt", &fields, &[("x.pdf", plan)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only host officers send papers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_members_page_shows_the_rosters_history() {
    let f = fixture::fixture().await;
    let page = html(&Browser { router: f.router.clone(), cookie: None }.get("/medlemmar").await);
    assert!(page.contains("Medlemsförteckningens historik"), "{page}");
    let kiruna = &testkit::key("demo/2584/ordinarie").public().to_hex()[..8];
    assert!(
        page.contains(&format!("Kiruna kommun: nyckel {kiruna} godkänd som Ordinarie ledamot i styrgruppen.")),
        "{page}"
    );
    assert!(page.contains("Luleå kommun: nyckel") && page.contains("godkänd som nodnyckel."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_key_ends_its_sessions_and_it_cannot_sign_in_again() {
    let mut f = fixture::fixture().await;
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    let key = ordinarie(VOTER);
    browser.sign_in(&key).await;
    assert_eq!(browser.get("/att-gora").await.status, StatusCode::OK);
    let revoke = vec![samverka_protocol::Change::RevokeKey { key: key.public(), compromised_since_seq: 1_000 }];
    let update = f.fed.update(VOTER, revoke).expect("Kiruna revokes its own person's key");
    f.ledger.ingest(update.to_unverified()).expect("the roster update is stored");
    let r = browser.get("/att-gora").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the session ended with the key");
    assert_eq!(r.headers[header::LOCATION], "/logga-in");
    let r = browser.sign_in(&key).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&r).contains("Nyckeln är inte godkänd"), "{}", html(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_shown_only_for_a_record_the_node_holds() {
    let f = fixture::fixture().await;
    let mut browser = Browser { router: f.router.clone(), cookie: None };
    browser.sign_in(&ordinarie(VOTER)).await;
    let r = browser.get(&format!("/kvitto/{}", "ab".repeat(32))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no receipt for a record never stored");
    let r = browser.get(&format!("/kvitto/{}", f.open.to_hex())).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forvaltare_writes_minutes_naming_each_decision_and_they_wait_for_justering() {
    let f = fixture::fixture().await;
    let key = testkit::key("demo/2580/forvaltare");
    let mut host = Browser { router: f.router.clone(), cookie: None };
    host.sign_in(&key).await;
    let csrf = host.csrf().await;
    let day = stockholm_day(30);
    let (closed, open) = (f.closed.to_hex(), f.open.to_hex());
    let call = [
        ("csrf", csrf.as_str()),
        ("title", "Protokollf%C3%B6rt+sammantr%C3%A4de"),
        ("date", day.as_str()),
        ("place", "Lule%C3%A5"),
        ("agenda", closed.as_str()),
        ("agenda", open.as_str()),
    ];
    assert_eq!(host.post("/sammantraden/nytt", &call, None).await.status, StatusCode::SEE_OTHER);
    assert_eq!(sign_offer(&host, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let meetings = html(&host.get("/sammantraden").await);
    let form = meetings
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/sammantraden/") && h.ends_with("/protokoll"))
        .expect("a host officer is offered to write the new meeting's minutes")
        .to_owned();
    let page = html(&host.get(&form).await);
    assert!(page.contains("Skriv protokoll") && page.contains("Första justerare"), "{page}");

    let kiruna = testkit::key("demo/2584/ordinarie").public().to_hex();
    let boden = testkit::key("demo/2582/ordinarie").public().to_hex();
    let chair = testkit::key("demo/2580/ordforande").public().to_hex();
    let minutes = |second: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("present", "2580".to_owned()),
            ("present", "2584".to_owned()),
            ("agenda", closed.clone()),
            ("text", "Planen+f%C3%B6redrogs.".to_owned()),
            ("agenda", open.clone()),
            ("text", "Bordlades.".to_owned()),
            ("justerare", kiruna.clone()),
            ("justerare", second.to_owned()),
            ("chair", chair.clone()),
            ("date", day.clone()),
        ]
    };
    let pairs = minutes(&kiruna);
    let same: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = host.post(&form, &same, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "one justerare twice is refused before signing");
    assert!(html(&r).contains("tre olika personer"), "{}", html(&r));

    let pairs = minutes(&boden);
    let good: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = host.post(&form, &good, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&host.get("/underskrift").await);
    assert!(offer.contains("Du skriver under det här protokollet"), "{offer}");
    assert!(offer.contains("§ 1: ") && offer.contains("Planen föredrogs.") && offer.contains("Beslut:"), "{offer}");
    assert!(offer.contains("§ 2: ") && offer.contains("Bordlades."), "{offer}");
    let r = sign_offer(&host, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let location = r.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let written = location.split("tillbaka=").nth(1).expect("back to the minutes").to_owned();
    assert!(written.starts_with("/protokoll/"), "{location}");
    let page = html(&host.get(&written).await);
    assert!(page.contains("Väntar på justering") && page.contains("Planen föredrogs."), "{page}");
    assert!(page.contains(&day), "the anslag day is shown: {page}");

    let mut justerare = Browser { router: f.router.clone(), cookie: None };
    justerare.sign_in(&testkit::key("demo/2582/ordinarie")).await;
    assert!(html(&justerare.get("/att-gora").await).contains(&format!("{written}/justera")));
    assert_eq!(justerare.get(&form).await.status, StatusCode::FORBIDDEN, "only host officers write minutes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_organisation_key_certifies_a_new_persons_key_signed_in_the_browser() {
    let f = fixture::fixture().await;
    let newcomer = SigningKey::from_seed(&[42; 32]);
    let hex_key = newcomer.public().to_hex();
    let mut stranger = Browser { router: f.router.clone(), cookie: None };
    assert_eq!(stranger.sign_in(&newcomer).await.status, StatusCode::UNPROCESSABLE_ENTITY, "not certified yet");

    let mut specialist = Browser { router: f.router.clone(), cookie: None };
    specialist.sign_in(&ordinarie(VOTER)).await;
    let page = html(&specialist.get(&format!("/medlemmar/certifiera?nyckel={hex_key}")).await);
    assert!(page.contains("Godkänn en nyckel") && page.contains(&hex_key), "{page}");
    let csrf = specialist.csrf().await;
    let form = |key: &str, role: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.to_owned()),
            ("member", VOTER.to_owned()),
            ("role", role.to_owned()),
            ("from", "2026-01-01".to_owned()),
            ("until", "2030-12-31".to_owned()),
            ("reason", "SAM+2026%2F0007+%C2%A7+4".to_owned()),
        ]
    };
    let refusals = [
        ("abc", "styrgrupp-ersattare", "64 tecken"),
        (hex_key.as_str(), "kung", "minst en roll"),
        (hex_key.as_str(), "forvaltare", "gäller hela samverkan"),
    ];
    for (key, role, says) in refusals {
        let pairs = form(key, role);
        let refused: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = specialist.post("/medlemmar/certifiera", &refused, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key} {role}");
        assert!(html(&r).contains(says), "{}", html(&r));
    }
    let pairs = form(&hex_key, "styrgrupp-ersattare");
    let good: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = specialist.post("/medlemmar/certifiera", &good, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));

    let org = &f.fed.orgs[VOTER].key;
    let offer = html(&specialist.get("/underskrift").await);
    assert!(offer.contains("Organisationens nyckelfil") && offer.contains("data-org=\"1\""), "{offer}");
    assert_eq!(attr(&offer, "id=\"sign-form\"", "data-author"), org.public().to_hex(), "the organisation key signs");
    assert!(offer.contains("Ersättare") && offer.contains("2026-01-01–2030-12-31"), "{offer}");
    let r = sign_offer(&specialist, org, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert!(r.headers[header::LOCATION].to_str().expect("ascii").ends_with("tillbaka=/medlemmar"));

    let mut newcomer_browser = Browser { router: f.router.clone(), cookie: None };
    let r = newcomer_browser.sign_in(&newcomer).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the certified key signs in: {}", html(&r));
    let members = html(&newcomer_browser.get("/medlemmar").await);
    assert!(members.contains(&format!("nyckel {} godkänd som Ersättare", &hex_key[..8])), "{members}");
}

fn firmatecknare(member: &str) -> SigningKey {
    testkit::key(&format!("demo/{member}/firmatecknare"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agreement_list_and_page_show_status_parties_rule_and_annexes() {
    let f = fixture::fixture().await;
    let anyone = Browser { router: f.router.clone(), cookie: None };
    let href = format!("/avtal/{}", f.agreement.to_hex());
    let list = html(&anyone.get("/avtal").await);
    assert!(list.contains(&href) && list.contains("Överenskommelse om e-arkiv"), "{list}");
    assert!(list.contains("Under signering") && list.contains("1 av 2 har skrivit under"), "{list}");
    assert!(list.contains("<a href=\"/avtal\""), "Avtal is in the main navigation:\n{list}");
    let page = html(&anyone.get(&href).await);
    for text in [
        "Luleå kommun",
        "Firmatecknare, Luleå kommun",
        "Kiruna kommun",
        "Har inte skrivit under",
        "12 månaders uppsägningstid till årsskifte",
        "Tills vidare",
        "Bilaga 1 Tjänstebeskrivning.pdf",
        "/agreement.pdf",
    ] {
        assert!(page.contains(text), "{text} on the agreement page:\n{page}");
    }
    assert!(!page.contains("skriv-under"), "no sign button for someone signed out");
    let english = html(&anyone.get(&format!("{href}?lang=en")).await);
    assert!(english.contains("Being signed") && english.contains("notice to the end of a year"), "{english}");
    assert_eq!(anyone.get("/avtal/00").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmatecknare_signs_an_agreement_in_the_browser_and_it_comes_into_force() {
    let f = fixture::fixture().await;
    let href = format!("/avtal/{}", f.agreement.to_hex());
    let key = firmatecknare("2584");
    let (browser, csrf) = signed_in(&f, &key).await;
    let todo = html(&browser.get("/att-gora").await);
    assert!(todo.contains(&href), "the agreement waits for Kiruna's firmatecknare:\n{todo}");
    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("{href}/skriv-under")) && page.contains("Skriv under avtalet"), "{page}");
    let r = browser.post(&format!("{href}/skriv-under"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Du skriver under det här avtalet för din organisation"), "{offer}");
    assert!(offer.contains("Överenskommelse om e-arkiv") && offer.contains("Kiruna kommun"), "{offer}");
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));

    let page = html(&browser.get(&href).await);
    assert!(page.contains("Gällande sedan") && page.contains("Firmatecknare, Kiruna kommun"), "{page}");
    assert!(page.contains("Sista dag att säga upp för upphörande"), "{page}");
    assert!(page.contains(&format!("/api/v1/agreements/{}/deadline.ics", f.agreement.to_hex())), "{page}");
    assert!(!page.contains("skriv-under"), "no second signature is offered");
    let list = html(&browser.get("/avtal").await);
    assert!(list.contains("Gällande sedan") && list.contains("Sista dag att säga upp för upphörande"), "{list}");
    let todo = html(&browser.get("/att-gora").await);
    assert!(todo.contains("Inga avtal väntar på din underskrift."), "{todo}");
    // Twelve months to a year end: the last day to give notice is always this year's 31 December.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Stockholm").expect("the zone")).date();
    let within_90 = (jiff::civil::date(today.year(), 12, 31) - today).get_days() <= 90;
    assert_eq!(todo.contains("Sista dag att säga upp för upphörande"), within_90, "deadlines within 90 days:\n{todo}");
}

/// The fixture's agreement brought into force: Kiruna's firmatecknare signs in the browser.
async fn in_force(f: &fixture::Fixture) {
    let key = firmatecknare("2584");
    let (browser, csrf) = signed_in(f, &key).await;
    let r = browser.post(&format!("/avtal/{}/skriv-under", f.agreement.to_hex()), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
}

/// The last day in force after notice given today under the fixture's rule (12 months, to a year
/// end): 31 December next year.
fn next_year_end() -> String {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Stockholm").expect("the zone")).date();
    format!("{}-12-31", today.year() + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmatecknare_gives_notice_in_the_browser_with_the_end_date_computed() {
    let f = fixture::fixture().await;
    let href = format!("/avtal/{}", f.agreement.to_hex());
    let key = firmatecknare("2580");
    let (browser, csrf) = signed_in(&f, &key).await;
    let page = html(&browser.get(&href).await);
    assert!(!page.contains("sag-upp"), "no notice before the agreement is in force:\n{page}");
    in_force(&f).await;

    let ends = next_year_end();
    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("{href}/sag-upp")) && page.contains("Säg upp avtalet"), "{page}");
    assert!(
        page.contains(&format!("det gäller till och med {ends} (12 månaders uppsägningstid till årsskifte)")),
        "{page}"
    );
    assert!(page.contains(&format!("{href}/utrad")), "a member party may also withdraw:\n{page}");
    let r = browser.post(&format!("{href}/sag-upp"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Du säger upp det här avtalet för din organisation"), "{offer}");
    assert!(offer.contains("Gäller till och med") && offer.contains(&ends), "the offer states the end:\n{offer}");
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));

    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("Uppsagt, gäller till och med {ends}")), "{page}");
    assert!(!page.contains("sag-upp") && !page.contains("utrad"), "nothing more is offered:\n{page}");
    let r = browser.post(&format!("{href}/sag-upp"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a second notice is refused");
    assert!(html(&r).contains("Avtalet gäller inte just nu"), "{}", html(&r));

    let (member, csrf) = signed_in(&f, &ordinarie("2584")).await;
    let r = member.post(&format!("{href}/sag-upp"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "only a firmatecknare gives notice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmatecknare_withdraws_a_member_in_the_browser_and_the_others_stay_bound() {
    let f = fixture::fixture().await;
    let href = format!("/avtal/{}", f.agreement.to_hex());
    in_force(&f).await;
    let key = firmatecknare("2584");
    let (browser, csrf) = signed_in(&f, &key).await;
    let r = browser.post(&format!("{href}/utrad"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Du anmäler din organisations utträde"), "{offer}");
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("utträder {}", next_year_end())), "{page}");
    assert!(page.contains("Gällande sedan"), "the agreement stays in force for the others:\n{page}");
    assert!(!page.contains("utrad"), "a withdrawn party is not offered a second one:\n{page}");
    let r = browser.post(&format!("{href}/utrad"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("redan anmält utträde"), "{}", html(&r));
    let todo = html(&browser.get("/att-gora").await);
    assert!(!todo.contains("Utträden att besluta om"), "only host officers are asked to decide:\n{todo}");
    let (host, _) = signed_in(&f, &testkit::key("demo/2580/forvaltare")).await;
    let todo = html(&host.get("/att-gora").await);
    let asked =
        format!("Kiruna kommun utträder ur Överenskommelse om e-arkiv, bunden till och med {}", next_year_end());
    assert!(todo.contains("Utträden att besluta om") && todo.contains(&asked), "{todo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_is_not_a_firmatecknare_gets_no_button_and_is_refused_in_swedish() {
    let f = fixture::fixture().await;
    let href = format!("/avtal/{}", f.agreement.to_hex());
    let (browser, csrf) = signed_in(&f, &ordinarie("2584")).await;
    let page = html(&browser.get(&href).await);
    assert!(!page.contains("skriv-under"), "{page}");
    let r = browser.post(&format!("{href}/skriv-under"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Nyckeln har inte rätt att göra det här."), "{}", html(&r));

    let (other, csrf) = signed_in(&f, &ordinarie("2505")).await;
    let r = other.post(&format!("{href}/skriv-under"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Din organisation är inte part i det här avtalet."), "{}", html(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_objektspecialist_acknowledges_an_outage_notice_from_att_gora_in_the_browser() {
    use samverka_protocol::outage::{NoticeKind, OutageNotice, Published};
    let f = fixture::fixture().await;
    // The fixture certifies Kiruna's objektspecialist.
    let specialist = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let now = jiff::Timestamp::now().as_millisecond();
    let notice = OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Inloggningen fungerar inte".into(),
        text: "Leverantören felsöker.".into(),
        affected: vec!["Inloggning".into()],
        start_ms: now,
        expected_end_ms: None,
    });
    let forvaltare = testkit::key("demo/2580/forvaltare");
    let id = f.ledger.author(&forvaltare, Kind::OutageNotice, notice.to_bytes(), now).expect("published").id();
    let href = format!("/driftstorningar/{}", id.to_hex());

    let (other, other_csrf) = signed_in(&f, &ordinarie(VOTER)).await;
    let page = html(&other.get(&href).await);
    assert!(!page.contains("/kvittera"), "no button for someone who is not an objektspecialist:\n{page}");
    let r = other.post(&format!("{href}/kvittera"), &[("csrf", &other_csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Nyckeln har inte rätt att göra det här."), "{}", html(&r));

    let (browser, csrf) = signed_in(&f, &specialist).await;
    let todo = html(&browser.get("/att-gora").await);
    assert!(todo.contains("Driftinformation att kvittera") && todo.contains(&format!("{href}/kvittera")), "{todo}");
    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("{href}/kvittera")) && page.contains("Kvittenser: 0 av 14 medlemmar"), "{page}");
    let r = browser.post(&format!("{href}/kvittera"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(
        offer.contains("Du kvitterar med nyckeln i din webbläsare") && offer.contains("Inloggningen fungerar inte"),
        "{offer}"
    );
    let r = sign_offer(&browser, &specialist, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let page = html(&browser.get(&href).await);
    assert!(page.contains("Kvittenser: 1 av 14 medlemmar") && !page.contains("/kvittera"), "{page}");
    let todo = html(&browser.get("/att-gora").await);
    assert!(
        !todo.contains(&format!("{href}/kvittera")) && todo.contains("E-arkivet svarar långsamt"),
        "the acknowledged notice leaves the inbox; the fixture's own notice stays:\n{todo}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_objektspecialist_raises_a_support_case_in_the_browser_and_a_personnummer_is_refused_first() {
    let f = fixture::fixture().await;
    let key = testkit::key("demo/2584/objektspecialist");
    let (browser, csrf) = signed_in(&f, &key).await;
    let form = html(&browser.get("/support/nytt").await);
    assert!(form.contains("action=\"/support/nytt\"") && form.contains("<legend>Prioritet</legend>"), "{form}");
    let typed =
        [("csrf", csrf.as_str()), ("category", "Utskrift"), ("priority", "medium"), ("title", "Utskrift+hänger")];
    let with_number = [&typed[..], &[("description", "Klienten+811218-9876+kan+inte+skriva+ut")]].concat();
    let r = browser.post("/support/nytt", &with_number, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    let page = html(&r);
    assert!(page.contains("Fältet Beskrivning innehåller ett personnummer eller samordningsnummer"), "{page}");
    assert!(page.contains("value=\"Utskrift\""), "what was typed is kept:\n{page}");
    assert!(
        html(&browser.get("/underskrift").await).contains("Inget väntar på din underskrift"),
        "nothing was offered"
    );

    let clean = [&typed[..], &[("description", "Utskrift+av+beslut+h%C3%A4nger+sig.")]].concat();
    let r = browser.post("/support/nytt", &clean, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(offer.contains("Nytt ärende") && offer.contains("Utskrift hänger"), "{offer}");
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);

    // The fixture's escalated case: line 1 sends a message on it, signed in the browser.
    let cases = support::get(&f.router, "/api/v1/support/cases?line=2").await.ok(StatusCode::OK);
    let case = cases["cases"][0]["id"].as_str().expect("the fixture's case").to_owned();
    let page = html(&browser.get(&format!("/support/{case}")).await);
    assert!(page.contains(&format!("action=\"/support/{case}/steg\"")), "{page}");
    let step =
        [("csrf", csrf.as_str()), ("step", "message"), ("text", "Vi+har+startat+om+klienterna."), ("reference", "")];
    let r = browser.post(&format!("/support/{case}/steg"), &step, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let page = html(&browser.get(&format!("/support/{case}")).await);
    assert!(page.contains("Vi har startat om klienterna.") && page.contains("Meddelande"), "{page}");
    // Starting repair is the förvaltningsgrupp's: refused in Swedish, nothing offered.
    let start = [("csrf", csrf.as_str()), ("step", "start"), ("text", ""), ("reference", "")];
    let r = browser.post(&format!("/support/{case}/steg"), &start, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Det steget tas av en annan linje"), "{}", html(&r));
    let list = html(&browser.get("/support").await);
    assert!(list.contains("Utskrift hänger"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_members_objektspecialist_endorses_a_need_in_the_browser() {
    let f = fixture::fixture().await;
    let href = format!("/behov/{}", f.need.to_hex());
    let (host, _) = signed_in(&f, &testkit::key("demo/2580/forvaltare")).await;
    assert!(!html(&host.get(&href).await).contains("behover-ocksa"), "no endorsing one's own member's need");
    let (voter, _) = signed_in(&f, &ordinarie(VOTER)).await;
    assert!(!html(&voter.get(&href).await).contains("behover-ocksa"), "an ordinarie does not endorse");

    let key = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let (browser, csrf) = signed_in(&f, &key).await;
    let page = html(&browser.get(&href).await);
    assert!(page.contains(&format!("{href}/behover-ocksa")) && page.contains("Vi behöver också"), "{page}");
    let r = browser.post(&format!("{href}/behover-ocksa"), &[("csrf", &csrf)], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(
        offer.contains("din organisation också behöver") && offer.contains("Avgiftsberäkning i hemtjänsten"),
        "{offer}"
    );
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let page = html(&browser.get(&href).await);
    assert!(page.contains("Kiruna kommun") && !page.contains("behover-ocksa"), "Kiruna needs it too:\n{page}");
}

/// `s` percent-encoded for a form body (every byte but letters and digits).
fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Posts `form` with its values percent-encoded, as a browser sends a form.
async fn post_form(browser: &Browser, uri: &str, form: &[(&str, &str)]) -> Reply {
    let encoded: Vec<(String, String)> = form.iter().map(|(k, v)| ((*k).to_owned(), enc(v))).collect();
    let pairs: Vec<(&str, &str)> = encoded.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(uri, &pairs, None).await
}

/// Whether nothing waits for the person's signature.
async fn nothing_offered(browser: &Browser) -> bool {
    html(&browser.get("/underskrift").await).contains("Inget väntar på din underskrift")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_objektspecialist_registers_a_need_in_the_browser_and_refusals_keep_what_was_typed() {
    let f = fixture::fixture().await;
    let (voter, _) = signed_in(&f, &ordinarie(VOTER)).await;
    assert!(!html(&voter.get("/behov").await).contains("/behov/nytt"), "no link for an ordinarie");
    let r = voter.get("/behov/nytt").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", html(&r));
    assert!(html(&r).contains("objektspecialist eller förvaltare"), "{}", html(&r));

    let key = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let (browser, csrf) = signed_in(&f, &key).await;
    assert!(html(&browser.get("/behov").await).contains("href=\"/behov/nytt\""));
    let form = html(&browser.get("/behov/nytt").await);
    assert!(
        form.contains("action=\"/behov/nytt\"") && form.contains("<label for=\"asker_name\">Namn</label>"),
        "{form}"
    );
    let records = f.ledger.store().count().expect("count");
    let typed = [
        ("csrf", csrf.as_str()),
        ("title", "Digital signering av beslut"),
        ("area", "ifo"),
        ("benefit", "Handläggarna slipper skriva ut beslut."),
        ("wished", "2027-06-30"),
        ("asker_name", "Anna Andersson"),
        ("asker_role", "enhetschef IFO"),
    ];
    let with_number = [&typed[..], &[("description", "Klienten 811218-9876 får vänta på beslutet.")]].concat();
    let r = post_form(&browser, "/behov/nytt", &with_number).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    let page = html(&r);
    assert!(page.contains("Fältet ”Beskrivning” innehåller ett personnummer eller samordningsnummer"), "{page}");
    assert!(page.contains("value=\"Anna Andersson\"") && page.contains("Handläggarna slipper"), "typed kept:\n{page}");
    assert!(page.contains("aria-describedby=\"description-hint fel\" aria-invalid=\"true\""), "{page}");
    assert!(nothing_offered(&browser).await, "nothing was offered");
    let untitled =
        [&typed[1..], &[("csrf", csrf.as_str()), ("description", "Beslut skrivs ut."), ("title", " ")]].concat();
    let r = post_form(&browser, "/behov/nytt", &untitled).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Fyll i fältet ”Rubrik”."), "{}", html(&r));
    assert!(nothing_offered(&browser).await);
    assert_eq!(f.ledger.store().count().expect("count"), records, "a refusal stores nothing");

    let clean = [&typed[..], &[("description", "Beslut skrivs ut och skannas.")]].concat();
    let r = post_form(&browser, "/behov/nytt", &clean).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(
        offer.contains("Du registrerar med nyckeln")
            && offer.contains("Digital signering av beslut")
            && offer.contains("Anna Andersson, enhetschef IFO")
            && offer.contains("Kiruna kommun"),
        "{offer}"
    );
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let id = r.headers[header::LOCATION].to_str().expect("ascii")["/kvitto/".len()..][..64].to_owned();
    let page = html(&browser.get(&format!("/behov/{id}")).await);
    assert!(page.contains("Digital signering av beslut") && page.contains("2027-06-30"), "{page}");
    assert!(html(&browser.get("/behov").await).contains("Digital signering av beslut"));
    let english = html(&browser.get("/behov/nytt?lang=en").await);
    assert!(english.contains("<h1>Register a need</h1>") && english.contains("<label for=\"benefit\">Benefit</label>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forvaltningsgrupp_takes_the_next_step_on_a_need_and_others_get_no_form() {
    let f = fixture::fixture().await;
    let href = format!("/behov/{}", f.need.to_hex());
    let (voter, _) = signed_in(&f, &ordinarie(VOTER)).await;
    assert!(!html(&voter.get(&href).await).contains("/steg"), "no step form for an ordinarie");
    let other = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let (other, other_csrf) = signed_in(&f, &other).await;
    assert!(!html(&other.get(&href).await).contains("/steg"), "another member's objektspecialist takes no step");
    let r = post_form(&other, &format!("{href}/steg"), &[("csrf", &other_csrf), ("step", "avslagen")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "refused by the rules too:\n{}", html(&r));
    assert!(nothing_offered(&other).await);

    let key = testkit::key("demo/2580/forvaltare");
    let (browser, csrf) = signed_in(&f, &key).await;
    let page = html(&browser.get(&href).await);
    // The fixture's need is beredd: beslutad, avslagen and (its own member) återkallad follow.
    assert!(
        page.contains(&format!("action=\"{href}/steg\""))
            && page.contains("id=\"step-beslutad\"")
            && page.contains("id=\"step-avslagen\"")
            && page.contains("id=\"step-aterkallad\"")
            && !page.contains("id=\"step-planerad\"")
            && page.contains("<legend>Beslutat av (för beslutad)</legend>"),
        "{page}"
    );
    let bad = [("csrf", csrf.as_str()), ("step", "beslutad"), ("by", "forvaltningsgrupp"), ("reference", "abc")];
    let r = post_form(&browser, &format!("{href}/steg"), &[&bad[..], &[("note", "Inom ramen.")]].concat()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    let page = html(&r);
    assert!(page.contains("Fältet ”Plan eller beslut (post-id)” ska vara post-id:t"), "{page}");
    assert!(
        page.contains("Inom ramen.")
            && page.contains("id=\"step-beslutad\" name=\"step\" value=\"beslutad\" required checked"),
        "{page}"
    );
    assert!(nothing_offered(&browser).await);

    let plan = samverka_node::governance::scan(f.ledger.store(), Kind::Plan).expect("plans")[0].id().to_hex();
    let good = [("csrf", csrf.as_str()), ("step", "beslutad"), ("by", "forvaltningsgrupp"), ("reference", &plan)];
    let r = post_form(&browser, &format!("{href}/steg"), &[&good[..], &[("note", "Inom ramen.")]].concat()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(
        offer.contains("Du tar med nyckeln")
            && offer.contains("Beslutad")
            && offer.contains("Avgiftsberäkning i hemtjänsten"),
        "{offer}"
    );
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let page = html(&browser.get(&href).await);
    assert!(
        page.contains("Inom ramen.") && page.contains("id=\"step-planerad\""),
        "beslutad; planerad follows:\n{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_ranks_the_open_needs_from_a_ballot_without_javascript() {
    use samverka_protocol::needs::{Area, Asker, Need};
    let f = fixture::fixture().await;
    let (voter, _) = signed_in(&f, &ordinarie(VOTER)).await;
    assert_eq!(voter.get("/behov/rangordna").await.status, StatusCode::FORBIDDEN);
    // A second open need, so the ballot has two places.
    let second = Need {
        title: "Påminnelser om uppföljning".into(),
        description: "Uppföljningar glöms bort.".into(),
        benefit: "Färre missade uppföljningar.".into(),
        wished: None,
        area: Area::Ifo,
        asker: Asker { name: "Eva Berg".into(), role: "enhetschef".into() },
        member: "2580".into(),
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let forvaltare = testkit::key("demo/2580/forvaltare");
    let second = f.ledger.author(&forvaltare, Kind::Need, second.to_bytes(), now).expect("registered").id();

    let key = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let (browser, csrf) = signed_in(&f, &key).await;
    let first = format!("plats-{}", f.need.to_hex());
    let other = format!("plats-{}", second.to_hex());
    let ballot = html(&browser.get("/behov/rangordna").await);
    assert!(ballot.contains(&format!("name=\"{first}\"")) && ballot.contains(&format!("name=\"{other}\"")), "{ballot}");
    assert!(ballot.contains("Plats för Avgiftsberäkning i hemtjänsten</label>"), "{ballot}");
    assert!(ballot.contains("från 1 till 2"), "the hint names the places:\n{ballot}");
    let r = post_form(&browser, "/behov/rangordna", &[("csrf", &csrf), (&first, "3"), (&other, "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "two open needs: place 3 is refused\n{}", html(&r));
    assert!(
        html(&r).contains("En plats är inte ett heltal från 1 till antalet behov") && html(&r).contains("value=\"3\"")
    );
    let r = post_form(&browser, "/behov/rangordna", &[("csrf", &csrf), (&first, "1"), (&other, "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("Två behov har samma plats."), "{}", html(&r));
    assert!(nothing_offered(&browser).await);

    let r = post_form(&browser, "/behov/rangordna", &[("csrf", &csrf), (&first, "2"), (&other, " 1 ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    let (at_first, at_second) =
        (offer.find("1. Påminnelser om uppföljning"), offer.find("2. Avgiftsberäkning i hemtjänsten"));
    assert!(
        offer.contains("rangordning av de öppna behoven") && at_first.is_some() && at_second > at_first,
        "the needs by place:\n{offer}"
    );
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let ballot = html(&browser.get("/behov/rangordna").await);
    let prefilled = |field: &str, place: &str| {
        format!(
            "name=\"{field}\" inputmode=\"numeric\" pattern=\"[0-9]*\" size=\"3\" maxlength=\"3\" value=\"{place}\""
        )
    };
    assert!(
        ballot.contains(&prefilled(&other, "1")) && ballot.contains(&prefilled(&first, "2")),
        "prefilled:\n{ballot}"
    );
    let backlog = support::get(&f.router, "/api/v1/needs").await.ok(StatusCode::OK);
    assert_eq!(backlog["needs"][0]["id"], second.to_hex(), "Kiruna's ranking puts it first:\n{backlog}");
    assert_eq!((backlog["needs"][0]["points"].as_u64(), backlog["needs"][1]["points"].as_u64()), (Some(100), Some(99)));

    // Leaving every place empty signs an empty ranking: the member's earlier one no longer counts.
    let r = post_form(&browser, "/behov/rangordna", &[("csrf", &csrf), (&first, ""), (&other, "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert!(html(&browser.get("/underskrift").await).contains("Inga behov rangordnade"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_forvaltare_publishes_updates_and_clears_an_outage_notice_in_the_browser() {
    let f = fixture::fixture().await;
    let specialist = testkit::key(&format!("demo/{VOTER}/objektspecialist"));
    let (other, _) = signed_in(&f, &specialist).await;
    assert!(!html(&other.get("/driftstorningar").await).contains("/driftstorningar/ny"));
    assert_eq!(other.get("/driftstorningar/ny").await.status, StatusCode::FORBIDDEN);

    let key = testkit::key("demo/2580/forvaltare");
    let (browser, csrf) = signed_in(&f, &key).await;
    assert!(html(&browser.get("/driftstorningar").await).contains("href=\"/driftstorningar/ny\""));
    let form = html(&browser.get("/driftstorningar/ny").await);
    assert!(form.contains("action=\"/driftstorningar/ny\"") && form.contains("<legend>Typ</legend>"), "{form}");
    let records = f.ledger.store().count().expect("count");
    let typed = [
        ("csrf", csrf.as_str()),
        ("kind", "planerat-underhall"),
        ("title", "Uppgradering av Treserva"),
        ("affected", "Journal IFO\nMobil dokumentation"),
        ("start", "2030-01-10 18.00"),
    ];
    let early = [&typed[..], &[("text", "Systemet stängs."), ("end", "2030-01-10 17.00")]].concat();
    let r = post_form(&browser, "/driftstorningar/ny", &early).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(html(&r).contains("”Beräknat slut” ligger före starten."), "{}", html(&r));
    let with_number = [&typed[..], &[("text", "Ring 811218-9876 vid frågor."), ("end", "")]].concat();
    let r = post_form(&browser, "/driftstorningar/ny", &with_number).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    let page = html(&r);
    assert!(page.contains("Fältet ”Text” innehåller ett personnummer"), "{page}");
    assert!(page.contains("value=\"Uppgradering av Treserva\"") && page.contains("Journal IFO\nMobil"), "{page}");
    assert!(nothing_offered(&browser).await);
    assert_eq!(f.ledger.store().count().expect("count"), records, "a refusal stores nothing");

    let clean =
        [&typed[..], &[("text", "Systemet stängs under uppgraderingen."), ("end", "2030-01-10 22.00")]].concat();
    let r = post_form(&browser, "/driftstorningar/ny", &clean).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let offer = html(&browser.get("/underskrift").await);
    assert!(
        offer.contains("Du publicerar med nyckeln")
            && offer.contains("Planerat underhåll")
            && offer.contains("2030-01-10 18.00")
            && offer.contains("Journal IFO, Mobil dokumentation"),
        "{offer}"
    );
    let r = sign_offer(&browser, &key, &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    let back = r.headers[header::LOCATION].to_str().expect("ascii").to_owned();
    let href = back.split("tillbaka=").nth(1).expect("back").to_owned();
    assert!(href.starts_with("/driftstorningar/"), "{back}");
    assert!(!html(&other.get(&href).await).contains("/uppdatera"), "no update form for an objektspecialist");
    let page = html(&browser.get(&href).await);
    assert!(
        page.contains(&format!("action=\"{href}/uppdatera\""))
            && page.contains(&format!("action=\"{href}/friskforklara\"")),
        "{page}"
    );

    let r = post_form(&browser, &format!("{href}/uppdatera"), &[("csrf", &csrf), ("text", " "), ("end", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&r));
    assert!(
        html(&r).contains("Fyll i fältet ”Text”.")
            && html(&r).contains(
                "id=\"update-text\" name=\"text\" rows=\"4\" required aria-describedby=\"update-text-hint fel\""
            ),
        "{}",
        html(&r)
    );
    let news = [("csrf", csrf.as_str()), ("text", "Uppgraderingen tar längre tid."), ("end", "2030-01-10 23.30")];
    assert_eq!(post_form(&browser, &format!("{href}/uppdatera"), &news).await.status, StatusCode::SEE_OTHER);
    assert!(html(&browser.get("/underskrift").await).contains("uppdateringen av driftinformationen"));
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let page = html(&browser.get(&href).await);
    assert!(page.contains("Uppgraderingen tar längre tid.") && page.contains("2030-01-10 23.30"), "{page}");

    // An update of a notice this node does not hold is refused before it is offered, not left to
    // wait for it.
    let unknown = format!("/driftstorningar/{}/uppdatera", "ab".repeat(32));
    let r = post_form(&browser, &unknown, &[("csrf", &csrf), ("text", "Nyhet."), ("end", "")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", html(&r));
    assert!(nothing_offered(&browser).await);
    // So is an acknowledgement, and an endorsement of a need not held (they answered 500).
    let (spec, spec_csrf) = signed_in(&f, &specialist).await;
    let r = post_form(&spec, &format!("/driftstorningar/{}/kvittera", "ab".repeat(32)), &[("csrf", &spec_csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", html(&r));
    let r = post_form(&spec, &format!("/behov/{}/behover-ocksa", "ab".repeat(32)), &[("csrf", &spec_csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", html(&r));
    assert!(nothing_offered(&spec).await);

    let done = [("csrf", csrf.as_str()), ("text", "Uppgraderingen är klar.")];
    assert_eq!(post_form(&browser, &format!("{href}/friskforklara"), &done).await.status, StatusCode::SEE_OTHER);
    assert!(html(&browser.get("/underskrift").await).contains("Du friskförklarar"));
    assert_eq!(sign_offer(&browser, &key, &csrf).await.status, StatusCode::SEE_OTHER);
    let page = html(&browser.get(&href).await);
    assert!(page.contains("Uppgraderingen är klar.") && !page.contains("/uppdatera"), "cleared: no more forms\n{page}");
}

/// Att göra is the in-app inbox of support too: the host's förvaltare (line 2) sees the case
/// escalated to the förvaltningsgrupp with its clocks; an ordinarie sees no support section.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn att_gora_lists_the_escalated_case_for_the_host_forvaltare() {
    let f = fixture::fixture().await;
    let (host, _) = signed_in(&f, &testkit::key("demo/2580/forvaltare")).await;
    let todo = html(&host.get("/att-gora").await);
    assert!(todo.contains("Supportärenden som väntar på dig"), "{todo}");
    assert!(todo.contains(">Ingen kan logga in</a>") && todo.contains("Påbörjad felrättning:"), "{todo}");
    let (member, _) = signed_in(&f, &ordinarie(VOTER)).await;
    let todo = html(&member.get("/att-gora").await);
    assert!(!todo.contains("Supportärenden som väntar på dig"), "{todo}");
}
