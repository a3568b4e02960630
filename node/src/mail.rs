//! E-mail about outage notices through the kommun's own SMTP relay (issue 15's notifications,
//! beside the in-app inbox on Att göra).
//!
//! # What is sent
//! When the node stores an outage record ([`Kind::OutageNotice`]: a notice, an update or the
//! all-clear) — from its own API, from a peer, from catch-up — it sends **one** plain-text
//! e-mail in Swedish to every address in `mail_to`, from `mail_from`, through `mail_relay`:
//! - subject `Driftstörning: <rubrik>` or `Planerat underhåll: <rubrik>` for a notice,
//!   `Uppdatering: <rubrik>` for an update, `Friskförklarad: <rubrik>` for the all-clear;
//! - a body with the type, the affected parts, the start and the expected end in
//!   Europe/Stockholm (`2026-11-30 14.30`), the text, and the link to the notice's page,
//!   `<public_url>/driftstorningar/<id>` (the path alone when `public_url` is unset).
//!
//! Acknowledgements are not mailed. The recipients are the operator's configuration, never
//! part of any record; the e-mail holds only what the signed record holds.
//!
//! # Once per record per node
//! A record is mailed only if
//! - this node has not mailed it before: each record mailed is noted in the store
//!   ([`crate::storage::Store::mark_mailed`], local, never replicated) once the relay has
//!   accepted it, so a restart, a record stored again or a catch-up of old records sends nothing
//!   again; and
//! - its claimed time is at most [`MAX_AGE`] (7 days) before the moment the node sees it, so a
//!   new or restored node catching up the federation's history does not mail old notices.
//!
//! At start the node also sweeps the outage records it holds for any that qualify and were not
//! mailed (the node stopped before the relay accepted them), and does the same when it falls
//! behind the stored records.
//!
//! # Bounded, never blocking ingest
//! The records stored are read from [`Ledger::subscribe`]; mails wait in a queue of at most
//! [`QUEUE`]. When the queue is full the mail is dropped with a WARN (the next start's sweep
//! sends it). Each attempt has [`SEND_TIMEOUT`]; a failed attempt is retried [`ATTEMPTS`] times
//! in all with doubling pauses from [`FIRST_BACKOFF`]; a mail that still fails is logged at WARN
//! naming the relay and port to check, and counted in `samverka_mail_total{outcome="failed"}`
//! (sent ones in `outcome="sent"`).
//!
//! # Transport
//! Plain SMTP without authentication to a relay on the kommun's own network (port 25 by
//! default), as kommuns' internal relays accept from their servers. No TLS: the node carries no
//! second TLS provider for it; a relay reached over an untrusted network needs a local relay or
//! tunnel in front.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use samverka_protocol::outage::{OutageNotice, Published};
use samverka_protocol::{Body, Kind, Record, RecordId, Verified};
use tokio::sync::{broadcast, mpsc, watch};

use crate::config::Config;
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::outage::stockholm_time;

/// The relay's port when `mail_port` is not set: plain SMTP.
pub const DEFAULT_PORT: u16 = 25;
/// Most mails waiting to be sent.
pub const QUEUE: usize = 64;
/// Longest one attempt to hand a mail to the relay may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per mail before it is given up.
pub const ATTEMPTS: u32 = 4;
/// The pause after the first failed attempt; doubled after each further one.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// Records claimed longer ago than this when the node first sees them are not mailed.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The checked e-mail settings from the node's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The relay's host name or address.
    pub relay: String,
    /// The relay's port.
    pub port: u16,
    /// The sender.
    pub from: Mailbox,
    /// The recipients, at least one.
    pub to: Vec<Mailbox>,
    /// The web pages' address without a trailing `/`, for links.
    pub public_url: Option<String>,
    /// Records older than this when seen are not mailed ([`MAX_AGE`]).
    pub max_age: Duration,
    /// The pause after the first failed attempt ([`FIRST_BACKOFF`]).
    pub first_backoff: Duration,
}

impl Settings {
    /// The settings from `config`, or `None` when `mail_relay` is unset; an error names the key
    /// to fix and the address that is not one.
    pub fn from_config(config: &Config) -> Result<Option<Settings>, String> {
        let public_url = match config.public_url.as_deref().map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                Some(u.trim_end_matches('/').to_owned())
            }
            Some(u) => {
                return Err(format!(
                    "public_url {u:?} must start with https:// or http://, e.g. https://samverka.kommun.se"
                ))
            }
            None => None,
        };
        let Some(relay) = config.mail_relay.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
            if config.mail_from.is_some() || !config.mail_to.is_empty() {
                return Err("mail_from or mail_to is set but mail_relay is not: set mail_relay to the kommun's SMTP relay (host name), or remove the other mail_ keys".into());
            }
            return Ok(None);
        };
        if config.mail_port == 0 {
            return Err("mail_port 0 is not a port: set the relay's SMTP port (usually 25)".into());
        }
        let address = |key: &str, a: &str| {
            a.trim()
                .parse::<Mailbox>()
                .map_err(|e| format!("{key}: {a:?} is not an e-mail address ({e}); write it as namn@kommun.se"))
        };
        let from = match config.mail_from.as_deref() {
            Some(a) => address("mail_from", a)?,
            None => return Err("mail_relay is set but mail_from is not: set the sender address, e.g. mail_from = \"samverka@kommun.se\"".into()),
        };
        if config.mail_to.is_empty() {
            return Err("mail_relay is set but mail_to is empty: list the recipients, e.g. mail_to = [\"objektspecialist@kommun.se\"]".into());
        }
        let to = config.mail_to.iter().map(|a| address("mail_to", a)).collect::<Result<_, _>>()?;
        Ok(Some(Settings {
            relay: relay.to_owned(),
            port: config.mail_port,
            from,
            to,
            public_url,
            max_age: MAX_AGE,
            first_backoff: FIRST_BACKOFF,
        }))
    }
}

/// One e-mail: its subject and plain-text body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    /// The record it tells of.
    pub record: RecordId,
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: String,
}

/// The e-mail for the outage record `record`, or `None` when it is not an outage notice, update
/// or all-clear. `notice` finds the notice an update or all-clear names (its title and parts).
pub fn letter(
    record: &Record<Verified>,
    public_url: Option<&str>,
    notice: impl Fn(&RecordId) -> Option<Published>,
) -> Option<Letter> {
    if record.header().kind != Kind::OutageNotice {
        return None;
    }
    let body = OutageNotice::from_bytes(record.body()?).ok()?;
    let (id, published) = match &body {
        OutageNotice::Publish(p) => (record.id(), Some(p.clone())),
        OutageNotice::Update { notice: n, .. } | OutageNotice::Clear { notice: n, .. } => (*n, notice(n)),
    };
    let title = published.as_ref().map_or_else(|| format!("driftinformation {}", id.to_hex()), |p| p.title.clone());
    let mut lines = Vec::new();
    if let Some(p) = &published {
        lines.push(format!("Typ: {}", p.kind.swedish()));
        lines.push(format!("Berörda delar: {}", p.affected.join(", ")));
        lines.push(format!("Från: {}", stockholm_time(p.start_ms)));
    }
    let (subject, end, text) = match &body {
        OutageNotice::Publish(p) => (format!("{}: {title}", p.kind.swedish()), Some(p.expected_end_ms), &p.text),
        OutageNotice::Update { text, expected_end_ms, .. } => {
            (format!("Uppdatering: {title}"), expected_end_ms.map(Some), text)
        }
        OutageNotice::Clear { text, .. } => (format!("Friskförklarad: {title}"), None, text),
    };
    match end {
        Some(Some(ms)) => lines.push(format!("Beräknat slut: {}", stockholm_time(ms))),
        Some(None) => lines.push("Beräknat slut: ej känt".into()),
        None => {}
    }
    let link = format!("{}/driftstorningar/{}", public_url.unwrap_or(""), id.to_hex());
    let body = format!(
        "{subject}\n\n{}\n\n{}\n\nLäs mer och kvittera: {link}\n\n-- \nSkickat av Samverka-noden. Svara inte på detta meddelande.\n",
        lines.join("\n"),
        text.trim_end()
    );
    Some(Letter { record: record.id(), subject, body })
}

/// Sends the e-mail about every outage record `ledger` stores, until `stop`: see the module
/// documentation. Started by [`crate::daemon::Node::start`] when `mail_relay` is set.
pub async fn run(ledger: Arc<Ledger>, settings: Settings, metrics: Arc<Metrics>, mut stop: watch::Receiver<bool>) {
    let mut stored = ledger.subscribe();
    let (queue, waiting) = mpsc::channel(QUEUE);
    let sender = tokio::spawn(send_all(ledger.clone(), settings.clone(), metrics, waiting, stop.clone()));
    sweep(&ledger, &settings, &queue).await;
    loop {
        let record = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            r = stored.recv() => r,
        };
        match record {
            Ok(r) if r.header().kind == Kind::OutageNotice => {
                let l = ledger.clone();
                let s = settings.clone();
                if let Ok(Some(letter)) = tokio::task::spawn_blocking(move || due(&l, &s, &r)).await {
                    enqueue(&queue, letter);
                }
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "e-mail: fell behind the stored records; sweeping the outage notices");
                sweep(&ledger, &settings, &queue).await;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    drop(queue);
    let _ = sender.await;
}

/// The letter for `record` if it is to be mailed now: an outage record not mailed before and
/// not older than `max_age`.
fn due(ledger: &Ledger, settings: &Settings, record: &Record<Verified>) -> Option<Letter> {
    let now = jiff::Timestamp::now().as_millisecond();
    let max_age = i64::try_from(settings.max_age.as_millis()).unwrap_or(i64::MAX);
    if record.header().time_ms < now.saturating_sub(max_age) {
        return None;
    }
    match ledger.store().mailed(&record.id()) {
        Ok(false) => {}
        Ok(true) => return None,
        Err(e) => {
            tracing::warn!(error = %e, record = %record.id().to_hex(), "e-mail: cannot read whether the notice was mailed; not mailing it");
            return None;
        }
    }
    letter(record, settings.public_url.as_deref(), |id| {
        match crate::governance::get::<OutageNotice>(ledger.store(), id).ok().flatten()?.body {
            OutageNotice::Publish(p) => Some(p),
            _ => None,
        }
    })
}

/// Queues every outage record held that is due (start, and after falling behind).
async fn sweep(ledger: &Arc<Ledger>, settings: &Settings, queue: &mpsc::Sender<Letter>) {
    let (l, s) = (ledger.clone(), settings.clone());
    let letters = tokio::task::spawn_blocking(move || {
        let mut records = crate::governance::scan(l.store(), Kind::OutageNotice)?;
        records.sort_by_key(|r| r.header().time_ms);
        Ok::<_, crate::governance::Error>(records.iter().filter_map(|r| due(&l, &s, r)).collect::<Vec<_>>())
    })
    .await;
    match letters {
        Ok(Ok(letters)) => letters.into_iter().for_each(|l| enqueue(queue, l)),
        Ok(Err(e)) => tracing::warn!(error = %e, "e-mail: cannot read the outage notices held"),
        Err(e) => tracing::error!(error = %e, "e-mail: the sweep failed"),
    }
}

fn enqueue(queue: &mpsc::Sender<Letter>, letter: Letter) {
    if let Err(mpsc::error::TrySendError::Full(l)) = queue.try_send(letter) {
        tracing::warn!(
            record = %l.record.to_hex(),
            queued = QUEUE,
            "e-mail: the queue is full (is the relay reachable?); this notice is mailed at the next start"
        );
    }
}

/// Sends the queued letters one at a time, retrying each, and notes each one sent.
async fn send_all(
    ledger: Arc<Ledger>,
    settings: Settings,
    metrics: Arc<Metrics>,
    mut waiting: mpsc::Receiver<Letter>,
    mut stop: watch::Receiver<bool>,
) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.relay)
        .port(settings.port)
        .timeout(Some(SEND_TIMEOUT))
        .build();
    loop {
        let letter = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            l = waiting.recv() => match l { Some(l) => l, None => return },
        };
        // Queued twice (a sweep and the subscription both saw it): sent once.
        let (l, id) = (ledger.clone(), letter.record);
        if tokio::task::spawn_blocking(move || l.store().mailed(&id)).await.is_ok_and(|m| m.unwrap_or(false)) {
            continue;
        }
        let sent = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            sent = send(&transport, &settings, &letter) => sent,
        };
        if sent {
            metrics.mail("sent");
            let (l, id) = (ledger.clone(), letter.record);
            // Durable (a sync): off the async threads.
            if let Err(e) = tokio::task::spawn_blocking(move || l.store().mark_mailed(&id))
                .await
                .unwrap_or_else(|e| Err(crate::storage::Error::Failed(e.to_string())))
            {
                tracing::warn!(error = %e, record = %letter.record.to_hex(), "e-mail: sent, but cannot note it; it may be sent again at the next start");
            }
        } else {
            metrics.mail("failed");
        }
    }
}

/// Hands `letter` to the relay, retrying with backoff; whether the relay accepted it.
async fn send(transport: &AsyncSmtpTransport<Tokio1Executor>, settings: &Settings, letter: &Letter) -> bool {
    let message = {
        let mut builder = Message::builder()
            .from(settings.from.clone())
            .subject(letter.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        for to in &settings.to {
            builder = builder.to(to.clone());
        }
        match builder.body(letter.body.clone()) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, record = %letter.record.to_hex(), "e-mail: cannot build the message");
                return false;
            }
        }
    };
    let mut pause = settings.first_backoff;
    for attempt in 1..=ATTEMPTS {
        let error = match tokio::time::timeout(SEND_TIMEOUT, transport.send(message.clone())).await {
            Ok(Ok(_)) => {
                tracing::info!(record = %letter.record.to_hex(), recipients = settings.to.len(), "e-mail about an outage notice sent");
                return true;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} s", SEND_TIMEOUT.as_secs()),
        };
        tracing::warn!(
            relay = %settings.relay,
            port = settings.port,
            attempt,
            of = ATTEMPTS,
            error = %error,
            record = %letter.record.to_hex(),
            "e-mail: the relay did not accept the mail; check mail_relay and mail_port, that the relay accepts mail from this server, and mail_from/mail_to"
        );
        if attempt < ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    false
}
