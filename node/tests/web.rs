//! The web pages as a node serves them: every page answers 200 in Swedish with one main
//! heading and a skip link, the English catalog switches the language (and a cookie keeps it),
//! unknown pages get the Swedish 404 page while unknown API paths keep their JSON 404, and the
//! matter pages show what the governance read side says.

#[path = "support/fixture.rs"]
mod fixture;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::{get, send, Reply};

fn html(r: &Reply) -> String {
    String::from_utf8(r.bytes.clone()).expect("pages are UTF-8")
}

/// The checks every page passes, in any language.
fn assert_page(uri: &str, r: &Reply, lang: &str) -> String {
    let page = html(r);
    assert!(r.content_type().starts_with("text/html"), "{uri}: {}", r.content_type());
    assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{uri} is not lang={lang}:\n{page}");
    assert_eq!(page.matches("<h1").count(), 1, "{uri} has not exactly one h1:\n{page}");
    assert!(page.contains("<a class=\"skip-link\" href=\"#main\">"), "{uri} has no skip link");
    assert!(page.contains("<main id=\"main\""), "{uri}: the skip link has no target");
    assert!(!page.contains(samverka_web::catalog::MISSING), "{uri} names a text missing from the catalog");
    let signs = ["/logga-in", "/nyckel", "/demo"].contains(&uri.split('?').next().unwrap_or(uri));
    assert_eq!(page.contains("<script"), signs, "{uri}: only the pages that use the browser's key load the script");
    page
}

fn pages(f: &fixture::Fixture) -> Vec<String> {
    let minutes = format!("/protokoll/{}", f.minutes.to_hex());
    let need = format!("/behov/{}", f.need.to_hex());
    samverka_web::PAGES.iter().map(|p| p.replace("{id}", &f.closed.to_hex())).chain([minutes, need]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_in_swedish_with_one_heading_and_a_skip_link() {
    let f = fixture::fixture().await;
    for uri in pages(&f) {
        let r = get(&f.router, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", html(&r));
        let page = assert_page(&uri, &r, "sv");
        assert!(page.contains("demonycklar"), "{uri}: the demo node says its keys are public");
    }
    let css = get(&f.router, samverka_web::STYLESHEET).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_english_catalog_switches_the_language_and_a_cookie_keeps_it() {
    let f = fixture::fixture().await;
    for uri in pages(&f) {
        let r = get(&f.router, &format!("{uri}?lang=en")).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_page(&uri, &r, "en");
    }
    let r = get(&f.router, "/arenden?lang=en").await;
    assert!(html(&r).contains("<h1>Matters</h1>"), "{}", html(&r));
    let cookie = r.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("the choice is kept");
    assert!(cookie.starts_with("samverka_lang=en;"), "{cookie}");
    let again = Request::get("/medlemmar").header(header::COOKIE, "samverka_lang=en").body(Body::empty());
    let r = send(&f.router, again.expect("request")).await;
    assert_page("/medlemmar", &r, "en");
    assert!(html(&r).contains("<h1>Members and roles</h1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_get_the_swedish_404_page_and_unknown_api_paths_json() {
    let f = fixture::fixture().await;
    for uri in ["/finns-inte", "/arenden/inte-ett-id", &format!("/arenden/{}", "ab".repeat(32))] {
        let r = get(&f.router, uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        let page = assert_page(uri, &r, "sv");
        assert!(page.contains("<h1>Sidan hittades inte</h1>"), "{page}");
    }
    get(&f.router, "/api/v1/nothing-here").await.refused(StatusCode::NOT_FOUND, "unknown_route");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matter_pages_show_diarienummer_status_votes_and_the_proof_of_a_closed_matter() {
    let f = fixture::fixture().await;
    let list = html(&get(&f.router, "/arenden").await);
    let year = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/Stockholm").expect("tz")).year();
    assert!(list.contains(&format!("SAM {year}/0001")) && list.contains(&format!("SAM {year}/0002")), "{list}");
    assert!(list.contains("Avslutat") && list.contains("Öppet"), "statuses are written out: {list}");
    let budget = list.find("Budget 2027").expect("the open matter is listed");
    let plan = list.find("Förvaltningsplan 2027").expect("the closed matter is listed");
    assert!(budget < plan, "newest first");

    let closed = html(&get(&f.router, &format!("/arenden/{}", f.closed.to_hex())).await);
    assert!(closed.contains("Bifallet: förslaget antogs"), "{closed}");
    assert!(closed.contains("14 av 14"), "members voting: {closed}");
    assert!(closed.contains("1\u{a0}234\u{a0}567 byte"), "paper size grouped the Swedish way: {closed}");
    let closing = f.ledger.store().by_kind(Some(samverka_protocol::Kind::BallotClose), None, 10).expect("reads").0;
    assert_eq!(closing.len(), 1);
    assert!(closed.contains(&closing[0].id().to_hex()), "the closing record is named as proof");
    assert_eq!(closed.matches("<th scope=\"row\">").count(), 14, "one row per vote");

    let open = html(&get(&f.router, &format!("/arenden/{}", f.open.to_hex())).await);
    assert!(open.contains("preliminärt") && !open.contains("Avslutande post"), "{open}");

    let overview = html(&get(&f.router, "/").await);
    assert!(overview.contains("14 medlemmar samverkar") && overview.contains("1 ärende är öppet"), "{overview}");
    assert!(overview.contains("Luleå kommun (värdkommun)"), "{overview}");
    let members = html(&get(&f.router, "/medlemmar").await);
    let (arjeplog, alvsbyn) = (members.find("Arjeplog").expect("listed"), members.find("Älvsbyn").expect("listed"));
    assert!(arjeplog < alvsbyn && members.find("Övertorneå").expect("listed") > alvsbyn, "å/ä/ö after z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matters_list_filters_by_status_and_kind() {
    let f = fixture::fixture().await;
    let list = |uri: &'static str| {
        let router = f.router.clone();
        async move { html(&get(&router, uri).await) }
    };
    let all = list("/arenden").await;
    assert!(all.contains("Budget 2027") && all.contains("Förvaltningsplan 2027"), "{all}");
    let open = list("/arenden?status=oppna").await;
    assert!(open.contains("Budget 2027") && !open.contains(">Förvaltningsplan 2027"), "{open}");
    assert!(open.contains("<option value=\"oppna\" selected>"), "the filter shows what is chosen");
    let closed = list("/arenden?status=avslutade&typ=forvaltningsplan").await;
    assert!(!closed.contains("Budget 2027 ") && closed.contains("Förvaltningsplan 2027"), "{closed}");
    let none = list("/arenden?typ=investering").await;
    assert!(none.contains("Det finns inga ärenden"), "{none}");
    assert!(list("/arenden?status=%3Cscript%3E&typ=%00").await.contains("Budget 2027"), "junk filters show everything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_matters_list_is_paged() {
    let f = fixture::fixture().await;
    let page = html(&get(&f.router, "/arenden?sida=1").await);
    assert!(!page.contains("rel=\"next\""), "two matters fit one page:\n{page}");
    assert!(page.contains("Alla ärenden, nyast först (2 st.)"), "{page}");
    let beyond = html(&get(&f.router, "/arenden?sida=99&status=oppna").await);
    assert!(beyond.contains("Budget 2027"), "a page past the end shows the last page:\n{beyond}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_listings_are_paged_newest_first_with_a_cursor() {
    let f = fixture::fixture().await;
    let first = get(&f.router, "/api/v1/matters?limit=1").await.ok(StatusCode::OK);
    assert_eq!(first["matters"].as_array().map(Vec::len), Some(1), "{first}");
    assert_eq!(first["matters"][0]["id"], f.open.to_hex(), "newest first: {first}");
    let cursor = first["next_cursor"].as_str().expect("more follow").to_owned();
    let second = get(&f.router, &format!("/api/v1/matters?limit=1&cursor={cursor}")).await.ok(StatusCode::OK);
    assert_eq!(second["matters"][0]["id"], f.closed.to_hex(), "{second}");
    assert!(second["next_cursor"].is_null(), "the last page names no next one: {second}");
    let all = get(&f.router, "/api/v1/matters").await.ok(StatusCode::OK);
    assert_eq!(all["matters"].as_array().map(Vec::len), Some(2));
    assert!(all["next_cursor"].is_null(), "one page holds both: {all}");

    let decisions = get(&f.router, "/api/v1/decisions?limit=1").await.ok(StatusCode::OK);
    assert_eq!(decisions["decisions"][0]["id"], f.closed.to_hex(), "only the closed matter: {decisions}");
    let meetings = get(&f.router, "/api/v1/meetings?limit=1").await.ok(StatusCode::OK);
    assert_eq!(meetings["meetings"].as_array().map(Vec::len), Some(1), "{meetings}");

    for (query, code) in
        [("limit=0", "bad_limit"), ("limit=1001", "bad_limit"), ("cursor=zz", "bad_cursor"), ("sida=2", "bad_query")]
    {
        let r = get(&f.router, &format!("/api/v1/matters?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.json()["code"], code, "{query}");
    }
}
