//! E-mail through the kommun's own SMTP relay (issue 15's notifications, beside the in-app inbox
//! on Att göra): outage notices to every node's operators, and the steps of a support case to the
//! line that is to act on it.
//!
//! # What is sent, and by which node
//! The node mails a record when it stores it — from its own API, from a peer, from catch-up — so
//! the node that mails is chosen by the rule below, never by where the record was written. Each
//! mail is **one** plain-text e-mail in Swedish to every address in `mail_to`, from `mail_from`,
//! through `mail_relay`.
//!
//! | record stored | mailed by | subject |
//! | --- | --- | --- |
//! | outage notice ([`Kind::OutageNotice`] `Publish`) | every node | `Driftstörning: <rubrik>` or `Planerat underhåll: <rubrik>` |
//! | outage update | every node | `Uppdatering: <rubrik>` |
//! | outage all-clear | every node | `Friskförklarad: <rubrik>` |
//! | support step Escalate ([`Kind::SupportEvent`]) | the host's node (värdkommunen: line 2, the förvaltningsgrupp) | `Supportärende till förvaltningsgruppen: <rubrik>` |
//! | support step Message or Inform by line 2 | the node of the case's member (line 1) | `Meddelande i supportärende: <rubrik>`, `Information om supportärende: <rubrik>` |
//! | support step Pause by line 2 (asks the reporter) | the node of the case's member | `Supportärende väntar på svar från er: <rubrik>` |
//! | support step Resolve by line 2 | the node of the case's member | `Supportärende åtgärdat: <rubrik>` |
//!
//! "The host's node" is a node whose key the current roster certifies for the member that the
//! roster version the step names calls the host; "the node of the case's member" likewise for the
//! case's `member`. Line 2 is an author certified, at the version the step names, for the host
//! with the role förvaltare (line 3, the vendor, holds no key: what it says reaches the case
//! through line 2's steps). No other record is mailed: not acknowledgements, not a case raised
//! (line 1 escalates when line 2 is to act), not line 1's own messages, resumes and closings,
//! not Start or Vendor. A node certified for no member mails no support step.
//!
//! An outage mail holds the type, the affected parts, the start and the expected end in
//! Europe/Stockholm (`2026-11-30 14.30`), the text, and the link
//! `<public_url>/driftstorningar/<id>`. A support mail holds the case's title, member, category and
//! priority, and — read at the node's clock when the mail is written (a display, never
//! validity) — the case's stage and each SLA clock still running with its deadline in
//! Europe/Stockholm as [`crate::support::stockholm_time`] writes it (`2026-11-30 15:30`), and the link
//! `<public_url>/support/<case id>`. Links are the path alone when `public_url` is unset.
//!
//! **No free text of a support case is mailed** — not the description, not a step's text: a text
//! that holds personal data by mistake can be redacted in the ledger (docs/protocol.md §5) but not
//! recalled from mailboxes; the reader follows the link. The recipients are the operator's
//! configuration, never part of any record; a mail holds only what the signed records hold and
//! the roster's member names.
//!
//! # Once per record per node
//! A record is mailed only if
//! - this node has not mailed it before: each record mailed is noted in the store
//!   ([`crate::storage::Store::mark_mailed`], local, never replicated) once the relay has
//!   accepted it, so a restart, a record stored again or a catch-up of old records sends nothing
//!   again; and
//! - its claimed time is at most [`MAX_AGE`] (7 days) before the moment the node sees it, so a
//!   new or restored node catching up the federation's history does not mail old records.
//!
//! At start the node also sweeps the outage and support-step records it holds for any that
//! qualify and were not mailed (the node stopped before the relay accepted them), and does the
//! same when it falls behind the stored records.
//!
//! # Bounded, never blocking ingest
//! The records stored are read from [`Ledger::subscribe`]; mails wait in a queue of at most
//! [`QUEUE`]. When the queue is full the mail is dropped with a WARN (the next start's sweep
//! sends it). Each attempt has [`SEND_TIMEOUT`]; a failed attempt is retried [`ATTEMPTS`] times
//! in all with doubling pauses from [`FIRST_BACKOFF`]; a mail that still fails is logged at WARN
//! with a hint naming the settings to check (the relay and port; `mail_security` and
//! `mail_ca_file` for a TLS failure; `mail_user` and `mail_password_file` for a refused login),
//! and counted in `samverka_mail_total{outcome="failed"}` (sent ones in `outcome="sent"`). A
//! wrong password is such a failure: it is retried and given up like any other, and the node
//! stores records meanwhile as always.
//!
//! # Transport
//! [`Security`] from `mail_security`:
//! - `starttls` (the default): plain SMTP, then STARTTLS before anything else is sent; a relay
//!   that does not offer STARTTLS, or whose certificate does not verify for the name in
//!   `mail_relay`, gets nothing (no fallback to plain text). Port 25 unless `mail_port`.
//! - `tls`: TLS from the first byte (implicit TLS, "SMTPS"), port 465 unless `mail_port`.
//! - `none`: plain SMTP, nothing encrypted, port 25 unless `mail_port` — only for a relay on the
//!   kommun's own network that offers no TLS; refused together with a login.
//!
//! TLS is rustls with ring (the provider the API's TLS uses); the relay's certificate is checked
//! against the system's trust store (`SSL_CERT_FILE` names another bundle) and the PEM
//! certificates in `mail_ca_file` (the kommun's internal CA). With `mail_user` and
//! `mail_password_file` the node logs in with AUTH PLAIN or LOGIN, whichever the relay offers,
//! only over TLS. The password is read from its file when the node starts, never logged, and
//! the file must give "other" users no access (no `o+rwx` bit). [`Settings::check`] (run when the
//! config is loaded) checks that the keys fit together; [`Settings::from_config`] (run when the
//! node starts) also reads the files.

pub mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use samverka_protocol::outage::{OutageNotice, Published};
use samverka_protocol::{Body, Kind, PublicKey, Record, RecordId, Verified};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::config::Config;
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::outage::stockholm_time;

/// The relay's port for `none` and `starttls` when `mail_port` is not set: SMTP.
pub const DEFAULT_PORT: u16 = 25;
/// The relay's port for `tls` when `mail_port` is not set: SMTP over implicit TLS.
pub const DEFAULT_TLS_PORT: u16 = 465;
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
/// Largest password file read (a password, not a document).
pub const MAX_PASSWORD_BYTES: u64 = 4096;
/// Largest `mail_ca_file` read.
pub const MAX_CA_BYTES: u64 = 1024 * 1024;

/// How the connection to the relay is secured (`mail_security`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain SMTP, nothing encrypted: a relay on the kommun's own network without TLS.
    None,
    /// Plain SMTP upgraded with STARTTLS before anything is sent; required, never skipped.
    #[default]
    Starttls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

impl Security {
    /// The port used when `mail_port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None | Security::Starttls => DEFAULT_PORT,
            Security::Tls => DEFAULT_TLS_PORT,
        }
    }

    /// The config value: `none`, `starttls`, `tls`.
    pub fn name(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        }
    }
}

/// A password: compared, cloned and handed to the relay, never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// A password (from its file, or a test's).
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }
}

/// The login at the relay: `mail_user` and the password from `mail_password_file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The user name.
    pub user: String,
    /// The file the password is read from.
    pub password_file: PathBuf,
    /// The password; empty until [`Settings::from_config`] reads the file.
    pub password: Password,
}

/// The checked e-mail settings from the node's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The relay's host name or address; also the name its TLS certificate must carry.
    pub relay: String,
    /// The relay's port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// The login, if the relay wants one.
    pub login: Option<Login>,
    /// `mail_ca_file`, if set.
    pub ca_file: Option<PathBuf>,
    /// The certificates read from `mail_ca_file`, trusted besides the system's.
    pub ca: Vec<CertificateDer<'static>>,
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
    /// Checks that the `mail_*` keys of `config` fit together, without reading the files they
    /// name (run when the config is loaded, also by commands that only talk to a node); an error
    /// names the key to fix.
    pub fn check(config: &Config) -> Result<(), String> {
        Settings::shape(config).map(|_| ())
    }

    /// The settings from `config`, with the password and CA files read and checked, or `None`
    /// when `mail_relay` is unset; an error names the key to fix and what is wrong.
    pub fn from_config(config: &Config) -> Result<Option<Settings>, String> {
        let Some(mut settings) = Settings::shape(config)? else { return Ok(None) };
        if let Some(login) = &mut settings.login {
            login.password = read_password(&login.password_file)?;
        }
        if let Some(file) = &settings.ca_file {
            settings.ca = read_ca(file)?;
        }
        // Built once now so that what rustls refuses is told at start, not at the first mail.
        tls_parameters(&settings).map_err(|e| format!("the relay's TLS cannot be set up: {e}"))?;
        Ok(Some(settings))
    }

    /// The settings from the keys alone: files named, not read.
    fn shape(config: &Config) -> Result<Option<Settings>, String> {
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
            let others = config.mail_from.is_some()
                || !config.mail_to.is_empty()
                || config.mail_user.is_some()
                || config.mail_password_file.is_some()
                || config.mail_ca_file.is_some();
            if others {
                return Err("a mail_ key is set but mail_relay is not: set mail_relay to the kommun's SMTP relay (host name), or remove the other mail_ keys".into());
            }
            return Ok(None);
        };
        let security = config.mail_security;
        let port = config.mail_port.unwrap_or(security.default_port());
        if port == 0 {
            return Err("mail_port 0 is not a port: set the relay's SMTP port (25 for none and starttls, 465 for tls), or remove it for that default".into());
        }
        let login = match (config.mail_user.as_deref().map(str::trim), &config.mail_password_file) {
            (None, None) => None,
            (Some(""), _) => return Err("mail_user is empty: set the user name the relay knows this node by, or remove mail_user and mail_password_file".into()),
            (Some(_), None) => return Err("mail_user is set but mail_password_file is not: name the file holding the relay password, e.g. mail_password_file = \"/etc/samverka/smtp-password\" (mode 0600)".into()),
            (None, Some(_)) => return Err("mail_password_file is set but mail_user is not: set the user name the relay knows this node by".into()),
            (Some(user), Some(file)) => Some(Login { user: user.to_owned(), password_file: file.clone(), password: Password(String::new()) }),
        };
        if security == Security::None && login.is_some() {
            return Err("mail_security = \"none\" with mail_user: the password would cross the network unencrypted. Set mail_security = \"starttls\" (or \"tls\" for port 465), or remove mail_user and mail_password_file".into());
        }
        if security == Security::None && config.mail_ca_file.is_some() {
            return Err("mail_ca_file is set but mail_security = \"none\" uses no TLS: set mail_security = \"starttls\" or \"tls\", or remove mail_ca_file".into());
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
            port,
            security,
            login,
            ca_file: config.mail_ca_file.clone(),
            ca: Vec::new(),
            from,
            to,
            public_url,
            max_age: MAX_AGE,
            first_backoff: FIRST_BACKOFF,
        }))
    }
}

/// Reads `file` at most `max` bytes long, naming `key` in the error.
fn read_small(key: &str, file: &Path, max: u64) -> Result<(std::fs::Metadata, Vec<u8>), String> {
    let cannot = |e: std::io::Error| {
        format!("cannot read {key} {}: {e}; check the path and that the node's user may read it", file.display())
    };
    let meta = std::fs::metadata(file).map_err(cannot)?;
    if !meta.is_file() || meta.len() > max {
        return Err(format!("{key} {} is not a file of at most {max} bytes", file.display()));
    }
    Ok((meta, std::fs::read(file).map_err(cannot)?))
}

/// The password in `file`: its text without the line break at its end. A file any user on the
/// server may read is refused.
fn read_password(file: &Path) -> Result<Password, String> {
    let (meta, bytes) = read_small("mail_password_file", file, MAX_PASSWORD_BYTES)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o007 != 0 {
            return Err(format!(
                "mail_password_file {} is open to every user on the server (mode {mode:04o}): run chmod 600 on it (or 640 with the node's group as its group)",
                file.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("mail_password_file {} is not UTF-8 text", file.display()))?;
    let password = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    if password.is_empty() || password.contains(['\n', '\r']) {
        return Err(format!(
            "mail_password_file {} must hold the password on one line (it is empty or holds several lines)",
            file.display()
        ));
    }
    Ok(Password(password.to_owned()))
}

/// The PEM certificates in `file`, at least one.
fn read_ca(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let (_, bytes) = read_small("mail_ca_file", file, MAX_CA_BYTES)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("mail_ca_file {} is not valid PEM: {e}", file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "mail_ca_file {} holds no certificate: it must hold the CA certificate that signed the relay's certificate, in PEM (-----BEGIN CERTIFICATE-----)",
            file.display()
        ));
    }
    Ok(certs)
}

/// The TLS parameters for the relay (`None` for [`Security::None`]): the system's roots and
/// `mail_ca_file`'s, the relay's name checked.
fn tls_parameters(settings: &Settings) -> Result<Option<TlsParameters>, lettre::transport::smtp::Error> {
    if settings.security == Security::None {
        return Ok(None);
    }
    let mut builder = TlsParameters::builder(settings.relay.clone());
    for cert in &settings.ca {
        builder = builder.add_root_certificate(Certificate::from_der(cert.to_vec())?);
    }
    builder.build_rustls().map(Some)
}

/// The transport to the relay, as [`Settings`] say.
fn transport(settings: &Settings) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let tls = match (settings.security, tls_parameters(settings)?) {
        (Security::Starttls, Some(p)) => Tls::Required(p),
        (Security::Tls, Some(p)) => Tls::Wrapper(p),
        _ => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.relay)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(SEND_TIMEOUT));
    if let Some(login) = &settings.login {
        builder = builder.credentials(Credentials::new(login.user.clone(), login.password.0.clone()));
    }
    Ok(builder.build())
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

/// The kinds of record that may be mailed.
const MAILED_KINDS: [Kind; 2] = [Kind::OutageNotice, Kind::SupportEvent];

/// Sends the e-mail about every record `ledger` stores that this node mails, until `stop`: see
/// the module documentation. `node` is this node's key (its member decides which support steps
/// it mails). Started by [`crate::daemon::Node::start`] when `mail_relay` is set.
pub async fn run(
    ledger: Arc<Ledger>,
    settings: Settings,
    node: PublicKey,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        relay = %settings.relay,
        port = settings.port,
        security = settings.security.name(),
        login = settings.login.is_some(),
        recipients = settings.to.len(),
        "e-mail: sending through the relay"
    );
    let mut stored = ledger.subscribe();
    let (queue, waiting) = mpsc::channel(QUEUE);
    let sender = tokio::spawn(send_all(ledger.clone(), settings.clone(), metrics, waiting, stop.clone()));
    sweep(&ledger, &settings, node, &queue).await;
    loop {
        let record = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            r = stored.recv() => r,
        };
        match record {
            Ok(r) if MAILED_KINDS.contains(&r.header().kind) => {
                let l = ledger.clone();
                let s = settings.clone();
                if let Ok(Some(letter)) = tokio::task::spawn_blocking(move || due(&l, &s, node, &r)).await {
                    enqueue(&queue, letter);
                }
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "e-mail: fell behind the stored records; sweeping the records held");
                sweep(&ledger, &settings, node, &queue).await;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    drop(queue);
    let _ = sender.await;
}

/// The letter for `record` if this node is to mail it now: not mailed before, not older than
/// `max_age`, and an outage record, or a support step this node's member is told of.
fn due(ledger: &Ledger, settings: &Settings, node: PublicKey, record: &Record<Verified>) -> Option<Letter> {
    let now = jiff::Timestamp::now().as_millisecond();
    let max_age = i64::try_from(settings.max_age.as_millis()).unwrap_or(i64::MAX);
    if record.header().time_ms < now.saturating_sub(max_age) {
        return None;
    }
    match ledger.store().mailed(&record.id()) {
        Ok(false) => {}
        Ok(true) => return None,
        Err(e) => {
            tracing::warn!(error = %e, record = %record.id().to_hex(), "e-mail: cannot read whether the record was mailed; not mailing it");
            return None;
        }
    }
    match record.header().kind {
        Kind::OutageNotice => letter(record, settings.public_url.as_deref(), |id| {
            match crate::governance::get::<OutageNotice>(ledger.store(), id).ok().flatten()?.body {
                OutageNotice::Publish(p) => Some(p),
                _ => None,
            }
        }),
        Kind::SupportEvent => support::due(ledger, node, record, settings.public_url.as_deref(), now),
        _ => None,
    }
}

/// Queues every record held that is due (start, and after falling behind), oldest first.
async fn sweep(ledger: &Arc<Ledger>, settings: &Settings, node: PublicKey, queue: &mpsc::Sender<Letter>) {
    let (l, s) = (ledger.clone(), settings.clone());
    let letters = tokio::task::spawn_blocking(move || {
        let mut records = Vec::new();
        for kind in MAILED_KINDS {
            records.extend(crate::governance::scan(l.store(), kind)?);
        }
        records.sort_by_key(|r| r.header().time_ms);
        Ok::<_, crate::governance::Error>(records.iter().filter_map(|r| due(&l, &s, node, r)).collect::<Vec<_>>())
    })
    .await;
    match letters {
        Ok(Ok(letters)) => letters.into_iter().for_each(|l| enqueue(queue, l)),
        Ok(Err(e)) => tracing::warn!(error = %e, "e-mail: cannot read the records held"),
        Err(e) => tracing::error!(error = %e, "e-mail: the sweep failed"),
    }
}

fn enqueue(queue: &mpsc::Sender<Letter>, letter: Letter) {
    if let Err(mpsc::error::TrySendError::Full(l)) = queue.try_send(letter) {
        tracing::warn!(
            record = %l.record.to_hex(),
            queued = QUEUE,
            "e-mail: the queue is full (is the relay reachable?); this record is mailed at the next start"
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
    let transport = match transport(&settings) {
        Ok(t) => t,
        Err(e) => {
            // Settings::from_config built the same parameters: not reached in practice.
            tracing::error!(error = %e, "e-mail: the relay's TLS cannot be set up; no e-mail is sent");
            return;
        }
    };
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
        let (error, hint) = match tokio::time::timeout(SEND_TIMEOUT, transport.send(message.clone())).await {
            Ok(Ok(_)) => {
                tracing::info!(record = %letter.record.to_hex(), recipients = settings.to.len(), "e-mail sent");
                return true;
            }
            Ok(Err(e)) => (e.to_string(), hint(&e)),
            Err(_) => (format!("no answer within {} s", SEND_TIMEOUT.as_secs()), CONNECTION_HINT),
        };
        tracing::warn!(
            relay = %settings.relay,
            port = settings.port,
            security = settings.security.name(),
            attempt,
            of = ATTEMPTS,
            error = %error,
            record = %letter.record.to_hex(),
            hint,
            "e-mail: the relay did not accept the mail"
        );
        if attempt < ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    false
}

const CONNECTION_HINT: &str =
    "check mail_relay and mail_port, that the relay accepts mail from this server, and mail_from/mail_to";

/// What the operator should check after `error`, naming the settings.
fn hint(error: &lettre::transport::smtp::Error) -> &'static str {
    let code = error.status().map(u16::from);
    if error.is_tls() || error.to_string().contains("STARTTLS") {
        "the TLS connection failed: check mail_security (starttls on port 25 or 587, tls on port 465, none only for a relay without TLS) and that the relay's certificate names mail_relay and is signed by a CA in the system's trust store or mail_ca_file"
    } else if matches!(code, Some(454 | 530 | 534 | 535 | 538)) || error.to_string().contains("authentication") {
        "the relay refused the login: check mail_user and the password in mail_password_file"
    } else {
        CONNECTION_HINT
    }
}
