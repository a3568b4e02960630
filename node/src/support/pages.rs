//! The support pages' read models (`samverka_web::view::support`) from [`super`]'s queries, for
//! [`crate::site::Site`]: the pages show what the API serves, read at the node's clock. Also the
//! bodies of the cases and steps a person signs in the browser, checked before they are offered
//! (a personnummer is refused naming its field, before anything is signed).

use samverka_protocol::support::{
    check_case_alone, check_text_alone, Action, ClockKind, Priority, SupportCase, SupportEvent, Violation,
};
use samverka_protocol::{Body, Kind, MemberId, RecordId, RosterChain};
use samverka_web::view::{self, support as sv};

use super::{breaches, case, cases, now_ms, Case, Inbox};
use crate::governance::{member_name, member_of_key};
use crate::ledger::Ledger;
use crate::offer::{self, undecodable, Context, Made, Making};

fn row(c: &Case) -> sv::CaseRow {
    let h = &c.history;
    sv::CaseRow {
        id: h.id,
        member: c.member_name.clone(),
        member_id: h.member().clone(),
        category: h.case.category.clone(),
        priority: h.case.priority.name(),
        title: h.case.title.clone(),
        stage: h.state.stage.name(),
        paused: h.state.paused,
        reported_ms: h.reported_ms,
        clocks: c
            .clocks
            .iter()
            .map(|(clock, r)| sv::ClockView {
                kind: clock.kind.name(),
                remaining_ms: r.remaining_ms,
                deadline_ms: r.deadline_ms,
                stopped: r.stopped,
                paused: r.paused,
                breached: r.breached,
            })
            .collect(),
    }
}

fn chain(ledger: &Ledger) -> Result<std::sync::Arc<RosterChain>, view::Error> {
    ledger.chain().ok_or(view::Error::NoFederation)
}

/// The cases in `inbox`, read now.
pub fn rows(ledger: &Ledger, inbox: &sv::Inbox) -> Result<Vec<sv::CaseRow>, view::Error> {
    let inbox = match inbox {
        sv::Inbox::All => Inbox::All,
        sv::Inbox::Member(m) => Inbox::Member(m.clone()),
        sv::Inbox::Forvaltning => Inbox::Forvaltning,
    };
    let chain = chain(ledger)?;
    Ok(cases(ledger.store(), &chain, &inbox, now_ms())?.iter().map(row).collect())
}

/// One case with its steps, read now.
pub fn view(ledger: &Ledger, id: &RecordId) -> Result<Option<sv::CaseView>, view::Error> {
    let chain = chain(ledger)?;
    let Some(c) = case(ledger.store(), &chain, id, now_ms())? else { return Ok(None) };
    let steps = c
        .history
        .steps
        .iter()
        .map(|s| sv::StepView {
            time_ms: s.time_ms,
            action: s.action.name(),
            reference: match &s.action {
                Action::Vendor { reference } => Some(reference.clone()),
                _ => None,
            },
            text: s.text.clone(),
            member: member_of_key(&chain, &s.author).map_or_else(String::new, |m| member_name(&chain, &m)),
            counted: s.counted,
        })
        .collect();
    Ok(Some(sv::CaseView { row: row(&c), description: c.history.case.description.clone(), steps }))
}

/// Breaches per member, category and month, read now.
pub fn breach_rows(ledger: &Ledger) -> Result<Vec<sv::BreachRow>, view::Error> {
    let chain = chain(ledger)?;
    let count = |b: &samverka_protocol::support::Breach, k| b.clocks.get(&k).copied().unwrap_or(0);
    Ok(breaches(ledger.store(), now_ms())?
        .iter()
        .map(|(k, b)| sv::BreachRow {
            member: member_name(&chain, &k.member),
            category: k.category.clone(),
            month: k.month.clone(),
            cases: b.cases,
            breached_cases: b.breached_cases,
            clocks: [count(b, ClockKind::Start), count(b, ClockKind::Inform), count(b, ClockKind::Downtime)],
        })
        .collect())
}

/// The SLA table in force at the node's clock.
pub fn sla_line(ledger: &Ledger) -> Result<sv::SlaLine, view::Error> {
    let tables = crate::support::tables(ledger.store())?;
    let now = now_ms();
    Ok(sv::SlaLine { name: tables.table(now).name.to_string(), adopted: tables.in_force(now).is_some() })
}

/// A refusal before anything is signed, with a code the pages have a text for.
fn refusal(code: &'static str, detail: String) -> view::Refusal {
    view::Refusal::of_field(code, detail, None)
}

/// A support rule a typed text breaks, as a refusal naming the field (`refusal.support_*`).
fn refused(v: &Violation) -> view::Refusal {
    use samverka_protocol::plan::Violation as Field;
    let code = match v {
        Violation::PersonalIdentityNumber { field, .. } => match *field {
            "category" => "support_pnr_category",
            "title" => "support_pnr_title",
            "description" => "support_pnr_description",
            "reference" => "support_pnr_reference",
            _ => "support_pnr_text",
        },
        Violation::TextTooLong { .. } | Violation::Field(Field::LineTooLong { .. }) => "support_too_long",
        Violation::EmptyText { .. } | Violation::Field(Field::Empty { .. }) => "support_empty",
        Violation::Field(Field::NotOneLine { .. }) => "support_line",
        other => other.code(),
    };
    refusal(code, super::refusal(v))
}

/// The body of a support case `member`'s objektspecialist raises, checked by every rule a case
/// can be checked by alone, or the refusal to show.
fn case_body(
    member: &MemberId,
    category: String,
    priority: &str,
    title: String,
    description: String,
) -> Result<Vec<u8>, view::Refusal> {
    let priority =
        Priority::parse(priority).ok_or_else(|| refusal("support_priority", format!("no priority {priority:?}")))?;
    let case = SupportCase { member: member.clone(), category, priority, title, description };
    check_case_alone(&case).map_err(|v| refused(&v))?;
    Ok(case.to_bytes())
}

/// The body of the step `step` on `case`, following its last counted step, or the refusal to
/// show.
fn step_body(
    ledger: &Ledger,
    case_id: &RecordId,
    step: &str,
    text: String,
    reference: String,
) -> Result<Result<Vec<u8>, view::Refusal>, view::Error> {
    let action = match step {
        "escalate" => Action::Escalate,
        "start" => Action::Start,
        "vendor" => Action::Vendor { reference },
        "message" => Action::Message,
        "inform" => Action::Inform,
        "pause" => Action::Pause,
        "resume" => Action::Resume,
        "resolve" => Action::Resolve,
        "close" => Action::Close,
        _ => return Ok(Err(refusal("support_unknown_step", format!("no step {step:?}")))),
    };
    if let Err(v) = check_text_alone(&action, &text) {
        return Ok(Err(refused(&v)));
    }
    let chain = chain(ledger)?;
    let Some(c) = case(ledger.store(), &chain, case_id, now_ms())? else {
        return Ok(Err(refusal("support_unknown_case", format!("no support case {case_id} is held here"))));
    };
    Ok(Ok(SupportEvent { case: *case_id, after: c.history.head, action, text }.to_bytes()))
}

/// The case or step `action` makes for `me`'s member, or why not.
pub fn make(ctx: &Context<'_>, me: &view::Me, action: sv::Action) -> Making {
    Ok(match action {
        sv::Action::Open { category, priority, title, description } => {
            case_body(&me.member, category, &priority, title, description)
                .map(|body| Made::new(Kind::SupportCase, body))
        }
        sv::Action::Step { case, step, text, reference } => {
            step_body(ctx.ledger, &case, &step, text, reference)?.map(|body| Made::new(Kind::SupportEvent, body))
        }
    })
}

/// Support cases and steps offered: what they say and where they are read (the case).
pub struct Signing;

impl offer::Domain for Signing {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::SupportCase, Kind::SupportEvent]
    }

    fn subject(&self, ledger: &Ledger, _me: &view::Me, _id: RecordId, kind: Kind, body: &[u8]) -> offer::Subject {
        if kind == Kind::SupportCase {
            let c = SupportCase::from_bytes(body).map_err(undecodable)?;
            return Ok(view::Subject::Support { case: None, title: c.title, step: "open", text: c.description });
        }
        let e = SupportEvent::from_bytes(body).map_err(undecodable)?;
        let chain = chain(ledger)?;
        let title =
            case(ledger.store(), &chain, &e.case, now_ms())?.map(|c| c.history.case.title.clone()).unwrap_or_default();
        Ok(view::Subject::Support { case: Some(e.case), title, step: e.action.name(), text: e.text })
    }

    fn back(&self, kind: Kind, id: &RecordId, body: &[u8]) -> String {
        match kind {
            Kind::SupportCase => format!("/support/{}", id.to_hex()),
            _ => SupportEvent::from_bytes(body)
                .map_or_else(|_| "/support".into(), |e| format!("/support/{}", e.case.to_hex())),
        }
    }
}
