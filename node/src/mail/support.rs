//! The e-mail about a support step ([`Kind::SupportEvent`]): which node mails which step
//! ([`told`], the table in [`crate::mail`]) and the letter, in Swedish, with the case's title,
//! priority, stage and SLA deadlines. The labels (priorities, stages, clocks) are the web pages'
//! (`web/texts/sv.toml`, `support.*`), so a mail and the page it links to say the same.

use samverka_protocol::support::{Action, ClockKind, Priority, Stage, SupportCase, SupportEvent};
use samverka_protocol::{Body, Kind, MemberId, PublicKey, Record, RecordId, Role, Verified};
use samverka_web::catalog::Lang;

use super::Letter;
use crate::ledger::Ledger;
use crate::support::{stockholm_time, Case};

/// Whose operators a support step is mailed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Told {
    /// The host's (värdkommunen's: line 2, the förvaltningsgrupp): the case is theirs to act on.
    Host,
    /// The case's member's (line 1): line 2 tells them something, asks them, or has resolved
    /// the case.
    CaseMember,
}

/// Whom a step `action` is mailed to, `by_line_two` telling whether its author is line 2 (a
/// förvaltare of the host at the roster version the step names); `None`: it is not mailed.
pub fn told(action: &Action, by_line_two: bool) -> Option<Told> {
    match action {
        Action::Escalate => Some(Told::Host),
        Action::Message | Action::Inform | Action::Pause | Action::Resolve if by_line_two => Some(Told::CaseMember),
        _ => None,
    }
}

/// The letter for the support step `record` if this node (key `node`) is the one to mail it
/// ([`told`]), with the case read at `now_ms`.
pub(super) fn due(
    ledger: &Ledger,
    node: PublicKey,
    record: &Record<Verified>,
    public_url: Option<&str>,
    now_ms: i64,
) -> Option<Letter> {
    debug_assert_eq!(record.header().kind, Kind::SupportEvent);
    let event = SupportEvent::from_bytes(record.body()?).ok()?;
    let chain = ledger.chain()?;
    let mine: &MemberId = &chain.current().keys.get(&node)?.member;
    let roster = chain.at(record.header().roster)?;
    let by_line_two = roster
        .keys
        .get(&record.header().author)
        .is_some_and(|g| g.member == roster.host && g.kind.has_role(Role::Forvaltare));
    let case_member;
    let to = match told(&event.action, by_line_two)? {
        Told::Host => &roster.host,
        Told::CaseMember => {
            case_member = crate::governance::get::<SupportCase>(ledger.store(), &event.case).ok()??.body.member;
            &case_member
        }
    };
    if to != mine {
        return None;
    }
    let case = match crate::support::case(ledger.store(), &chain, &event.case, now_ms) {
        Ok(case) => case?,
        Err(e) => {
            tracing::warn!(error = %e, case = %event.case.to_hex(), "e-mail: cannot read the support case; not mailing its step");
            return None;
        }
    };
    letter(record.id(), &event.action, &case, public_url)
}

/// The e-mail about the step `record` (`action`) of `case`, or `None` for a step that is never
/// mailed. Holds the case's title, member, category, priority, stage and the deadlines of the
/// clocks still running, and the link to the case's page — no free text (the module doc of
/// [`crate::mail`] says why).
pub fn letter(record: RecordId, action: &Action, case: &Case, public_url: Option<&str>) -> Option<Letter> {
    let t = Lang::Sv.catalog();
    let h = &case.history;
    let title = h.case.title.trim();
    let (subject, ask) = match action {
        Action::Escalate => {
            (format!("Supportärende till förvaltningsgruppen: {title}"), "Läs ärendet och ta det vidare")
        }
        Action::Message => (format!("Meddelande i supportärende: {title}"), "Läs meddelandet"),
        Action::Inform => (format!("Information om supportärende: {title}"), "Läs informationen"),
        Action::Pause => (format!("Supportärende väntar på svar från er: {title}"), "Läs frågan och svara"),
        Action::Resolve => (format!("Supportärende åtgärdat: {title}"), "Kontrollera lösningen och stäng ärendet"),
        _ => return None,
    };
    let stage = t.get(stage_key(h.state.stage));
    let stage = if h.state.paused { t.fill("support.stage_paused", &[("stage", stage)]) } else { stage.to_owned() };
    let mut lines = vec![
        format!("Medlem: {} ({})", case.member_name, h.member()),
        format!("Kategori: {}", h.case.category.trim()),
        format!("Prioritet: {}", t.get(priority_key(h.case.priority))),
        format!("Status nu: {stage}"),
    ];
    for (clock, reading) in &case.clocks {
        let Some(deadline) = reading.deadline_ms.filter(|_| !reading.stopped && !reading.paused) else { continue };
        let late = if reading.breached { " (överskriden)" } else { "" };
        lines.push(format!("{} senast: {}{late}", t.get(clock_key(clock.kind)), stockholm_time(deadline)));
    }
    if h.state.paused {
        lines.push("SLA-klockorna står still tills ärendet återupptas.".into());
    }
    let link = format!("{}/support/{}", public_url.unwrap_or(""), h.id.to_hex());
    let body = format!(
        "{subject}\n\n{}\n\n{ask}: {link}\n\n-- \nSkickat av Samverka-noden. Svara inte på detta meddelande.\n",
        lines.join("\n"),
    );
    Some(Letter { record, subject, body })
}

fn priority_key(p: Priority) -> &'static str {
    match p {
        Priority::High => "support.priority_high",
        Priority::Medium => "support.priority_medium",
        Priority::Low => "support.priority_low",
    }
}

fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::Registered => "support.stage_registered",
        Stage::Escalated => "support.stage_escalated",
        Stage::Started => "support.stage_started",
        Stage::Vendor => "support.stage_vendor",
        Stage::Resolved => "support.stage_resolved",
        Stage::Closed => "support.stage_closed",
    }
}

fn clock_key(k: ClockKind) -> &'static str {
    match k {
        ClockKind::Start => "support.clock_start",
        ClockKind::Inform => "support.clock_inform",
        ClockKind::Downtime => "support.clock_downtime",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalations_go_to_the_host_and_line_twos_words_to_the_case_member() {
        assert_eq!(told(&Action::Escalate, false), Some(Told::Host));
        for a in [Action::Message, Action::Inform, Action::Pause, Action::Resolve] {
            assert_eq!(told(&a, true), Some(Told::CaseMember), "{a:?} by line 2");
        }
        for a in [Action::Message, Action::Resolve, Action::Resume, Action::Close] {
            assert_eq!(told(&a, false), None, "{a:?} by line 1 is not mailed");
        }
        for a in [Action::Start, Action::Vendor { reference: "INC-1".into() }, Action::Resume] {
            assert_eq!(told(&a, true), None, "{a:?} by line 2 is not mailed");
        }
    }
}
