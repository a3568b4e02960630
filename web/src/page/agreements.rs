//! The agreement pages: `/avtal` lists the agreements (överenskommelser) a node holds with their
//! status and next notice deadline, `/avtal/{id}` shows one with its parties and signatures, term,
//! notice rule, annexes, text, history, notices and the decisions it rests on; a party's
//! firmatecknare gets the buttons the node offers them (sign; while in force, give notice or
//! withdraw, with the end date the rule gives), each preparing the record
//! (`sign::prepare`).
//! A child of [`super`], so it shares the page chrome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use samverka_protocol::RecordId;

use super::{read, roles_text, Chrome, Failure, Visitor};
use crate::catalog::Catalog;
use crate::locale;
use crate::sign::{again, prepare_on, Posted};
use crate::view::agreement::{Action, Acts, AgreementAct, AgreementRow, AgreementView, SignatureView};
use crate::view::Node;
use crate::Web;

/// An agreement's list row as text.
pub(crate) struct Line {
    pub(crate) href: String,
    pub(crate) title: String,
    pub(crate) parties: String,
    pub(crate) status: String,
    pub(crate) status_class: &'static str,
    pub(crate) deadline: String,
}

/// The status in words, with the day it names.
fn status_text(t: &Catalog, r: &AgreementRow) -> String {
    let name = t.get(&format!("agreement.status_{}", r.status.replace('-', "_"))).to_owned();
    match &r.status_day {
        Some(day) => t.fill(&format!("agreement.status_{}_day", r.status.replace('-', "_")), &[("date", day)]),
        None => name,
    }
}

fn deadline_text(t: &Catalog, r: &AgreementRow) -> String {
    match &r.deadline {
        Some((last, ends)) => t.fill("agreement.deadline", &[("date", last), ("ends", ends)]),
        None => t.get("agreement.no_deadline").into(),
    }
}

pub(crate) fn line(t: &Catalog, r: &AgreementRow) -> Line {
    Line {
        href: format!("/avtal/{}", r.id.to_hex()),
        title: r.title.clone(),
        parties: t.fill("agreement.signed_of", &[("n", &r.signed.to_string()), ("total", &r.parties.to_string())]),
        status: status_text(t, r),
        status_class: match r.status {
            "gallande" => "closed",
            "utkast" | "under-signering" => "open",
            _ => "disputed",
        },
        deadline: deadline_text(t, r),
    }
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct AgreementsPage {
    c: Chrome,
    caption: String,
    rows: Vec<Line>,
}

/// `GET /avtal`: every agreement held, newest first.
pub async fn agreements<N: Node>(State(web): State<Arc<Web<N>>>, v: Visitor) -> Response {
    let page = async {
        let rows = read(&web.node, |n| n.agreements()).await?;
        let t = v.t();
        let page = AgreementsPage {
            c: v.chrome(t.get("agreements.heading").into(), web.node.demo()),
            caption: t.fill("agreements.caption", &[("count", &rows.len().to_string())]),
            rows: rows.iter().map(|r| line(t, r)).collect(),
        };
        Ok(page.render()?)
    };
    v.answer(page.await, web.node.demo())
}

/// A party's row: name, member or organisationsnummer, and who signed when (or not yet).
struct PartyLine {
    name: String,
    identity: String,
    signed: Option<String>,
    time: String,
    withdrawn: Option<String>,
}

fn signer(t: &'static Catalog, s: &SignatureView) -> String {
    t.fill("agreement.signer", &[("roles", &roles_text(t, &s.roles)), ("member", &s.member), ("key", &s.fingerprint)])
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    c: Chrome,
    id: String,
    line: Line,
    system: String,
    facts: Vec<(String, String)>,
    deadline: Option<String>,
    parties_caption: String,
    parties: Vec<PartyLine>,
    /// The forms the signed-in person may send: (action, button, note).
    acts: Vec<(String, String, String)>,
    csrf: String,
    error: Option<String>,
    annexes: Vec<(String, String, String)>,
    text: Vec<String>,
    history: Vec<(String, String, String, String, bool)>,
    notices: Vec<(String, String, String, String, String)>,
    decisions: Vec<(String, String)>,
    amends: Option<String>,
}

/// The notice rule in words: `12 månaders uppsägningstid till årsskifte`.
fn rule_text(t: &Catalog, a: &AgreementView) -> String {
    let months = t.count("agreement.months", usize::from(a.notice_months));
    let key = if a.at_year_end { "agreement.rule_year_end" } else { "agreement.rule" };
    t.fill(key, &[("months", &months)])
}

/// The forms for what the node says the signed-in person may do (`AgreementView::acts`):
/// (action, button, note with the end date the notice rule gives).
fn act_forms(t: &Catalog, hex: &str, acts: &Acts, rule: &str) -> Vec<(String, String, String)> {
    let mut forms = Vec::new();
    if acts.sign {
        forms.push((
            format!("/avtal/{hex}/skriv-under"),
            t.get("agreement.sign").into(),
            t.get("agreement.sign_note").into(),
        ));
    }
    if let Some(ends) = &acts.notice {
        let note = t.fill("agreement.notice_note", &[("ends", ends), ("rule", rule)]);
        forms.push((format!("/avtal/{hex}/sag-upp"), t.get("agreement.give_notice").into(), note));
    }
    if let Some(ends) = &acts.withdraw {
        let note = t.fill("agreement.withdraw_note", &[("ends", ends), ("rule", rule)]);
        forms.push((format!("/avtal/{hex}/utrad"), t.get("agreement.withdraw").into(), note));
    }
    forms
}

/// The agreement page, with `error` (a refused signature) above the button.
pub(crate) async fn agreement_page<N: Node>(
    web: &Arc<Web<N>>,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<String, Failure> {
    let id = RecordId::from_hex(id).map_err(|_| Failure::NotFound)?;
    let me = v.me.as_ref().map(|(_, me)| me.clone());
    let a = read(&web.node, move |n| n.agreement(&id, me.as_ref())).await?.ok_or(Failure::NotFound)?;
    let t = v.t();
    let hex = id.to_hex();
    let rule = rule_text(t, &a);
    let facts = vec![
        (t.get("agreement.start").to_owned(), a.start.clone()),
        (t.get("agreement.end").to_owned(), a.end.clone().unwrap_or_else(|| t.get("agreement.until_further").into())),
        (t.get("agreement.notice_rule").to_owned(), rule.clone()),
    ];
    let parties = a
        .parties
        .iter()
        .map(|p| PartyLine {
            name: p.name.clone(),
            identity: p.member.clone().or_else(|| p.organisationsnummer.clone()).unwrap_or_default(),
            signed: p.signature.as_ref().map(|s| signer(t, s)),
            time: p.signature.as_ref().map(|s| locale::date_time(s.time_ms)).unwrap_or_default(),
            withdrawn: p.withdrawn.as_ref().map(|d| t.fill("agreement.withdrawn", &[("date", d)])),
        })
        .collect();
    let acts = act_forms(t, &hex, &a.acts, &rule);
    let csrf = v.me.as_ref().map(|(s, _)| s.csrf.clone()).unwrap_or_default();
    let history = a
        .history
        .iter()
        .map(|(vid, title, ms, status)| {
            let row = AgreementRow { status, status_day: None, ..a.row.clone() };
            (vid.to_hex(), title.clone(), locale::date(*ms), status_text(t, &row), *vid == id)
        })
        .collect();
    let notices = a
        .notices
        .iter()
        .map(|n| (n.party.clone(), signer(t, &n.signature), n.given.clone(), n.ends.clone(), rule.clone()))
        .collect();
    let page = AgreementPage {
        c: v.chrome(a.row.title.clone(), web.node.demo()),
        id: hex,
        line: line(t, &a.row),
        system: a.row.system.clone(),
        facts,
        deadline: a.row.deadline.as_ref().map(|_| deadline_text(t, &a.row)),
        parties_caption: t.fill(
            "agreement.parties_caption",
            &[("n", &a.row.signed.to_string()), ("total", &a.row.parties.to_string())],
        ),
        parties,
        acts,
        csrf,
        error,
        annexes: a
            .annexes
            .iter()
            .map(|x| (x.name.clone(), t.fill("matter.bytes", &[("size", &locale::grouped(x.size))]), x.hash.to_hex()))
            .collect(),
        text: a.text.split("\n\n").map(str::to_owned).collect(),
        history,
        notices,
        decisions: a.decisions.iter().map(|(m, title)| (m.to_hex(), title.clone())).collect(),
        amends: a.amends.map(|x| x.to_hex()),
    };
    Ok(page.render()?)
}

/// `GET /avtal/{id}`: one agreement in full.
pub async fn agreement<N: Node>(State(web): State<Arc<Web<N>>>, Path(id): Path<String>, v: Visitor) -> Response {
    let page = agreement_page(&web, &v, &id, None).await;
    v.answer(page, web.node.demo())
}

/// `POST /avtal/{id}/skriv-under`: prepares the person's signature on the agreement for their
/// member's party and shows it for signing.
pub async fn sign<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    act(web, id, v, posted, AgreementAct::Sign).await
}

/// `POST /avtal/{id}/sag-upp`: prepares the party's notice (uppsägning), given today.
pub async fn give_notice<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    act(web, id, v, posted, AgreementAct::Notice).await
}

/// `POST /avtal/{id}/utrad`: prepares the member's withdrawal (utträde), given today.
pub async fn withdraw<N: Node>(
    State(web): State<Arc<Web<N>>>,
    Path(id): Path<String>,
    v: Visitor,
    posted: Posted,
) -> Response {
    act(web, id, v, posted, AgreementAct::Withdrawal).await
}

async fn act<N: Node>(web: Arc<Web<N>>, id: String, v: Visitor, posted: Posted, act: AgreementAct) -> Response {
    let prepared = prepare_on(&web, &id, &v, posted, |agreement, _| Action { agreement, act }.into()).await;
    again(&web, &v, prepared, |r| agreement_page(&web, &v, &id, r.error)).await
}
