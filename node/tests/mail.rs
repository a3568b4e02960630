//! E-mail ([`samverka_node::mail`]) to SMTP relays on real TCP sockets: a plain sink, and a relay
//! with STARTTLS or implicit TLS (a self-signed certificate trusted through `mail_ca_file`) that
//! checks AUTH PLAIN and LOGIN. Outage notices: a notice, its update and its all-clear each
//! mailed once with the Swedish subject and the link; the same record stored again or the node
//! restarted sends nothing again; records older than the age limit when seen are not mailed; no
//! relay configured, no mail task. Transport: nothing but EHLO and STARTTLS crosses before TLS;
//! a relay without STARTTLS gets nothing unless `none` is set; an untrusted certificate gets no
//! password; a wrong password is logged with a hint (never the password) and retried, while the
//! node goes on storing records. Support steps: the host's node mails an escalation, the case
//! member's node mails line 2's message, pause and resolution, no free text in either; a step
//! stored while the mailer was down is mailed at start, once.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use samverka_node::config::Config;
use samverka_node::ledger::Ledger;
use samverka_node::mail::{self, Security, Settings};
use samverka_node::metrics::Metrics;
use samverka_protocol::governance::Date;
use samverka_protocol::outage::{NoticeKind, OutageNotice, Published};
use samverka_protocol::support::{stockholm_offset_ms, Action, Priority, SupportCase, SupportEvent};
use samverka_protocol::testkit::{Author, Federation, T0_MS};
use samverka_protocol::{Body, Draft, Kind, Record, RecordId, Role, Unverified};
use support::{ledger_with, norrbotten_with_ordinarie, open_with};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::watch;

/// An SMTP server that accepts every mail and keeps its DATA (dot-unstuffed, CRLF kept).
#[derive(Clone, Default)]
struct Sink {
    port: u16,
    mails: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("sink binds");
        let sink = Sink { port: listener.local_addr().expect("addr").port(), mails: Arc::default() };
        let mails = sink.mails.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, mails.clone()));
            }
        });
        sink
    }

    /// The mails after a moment in which any further one would have arrived.
    async fn settled(&self) -> Vec<String> {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.mails()
    }

    fn mails(&self) -> Vec<String> {
        self.mails.lock().expect("lock").clone()
    }

    /// Waits until `n` mails have arrived (or 20 s), then a moment more for any extra one.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.mails().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.mails()
    }
}

async fn session(socket: tokio::net::TcpStream, mails: Arc<Mutex<Vec<String>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
            "DATA" => {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                mails.lock().expect("lock").push(data);
                b"250 kept\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Undoes quoted-printable (body, `q` encoded words) and `b` encoded words, enough to read
/// what lettre writes.
fn readable(mail: &str) -> String {
    let mut out = String::new();
    // Headers are unfolded, the body's soft line breaks removed: an encoded word ending a folded
    // header line ends in `?=` + CRLF, which is not a soft line break.
    let (head, body) = mail.split_once("\r\n\r\n").unwrap_or((mail, ""));
    let mut rest =
        format!("{}\r\n\r\n{}", head.replace("\r\n ", " ").replace("\r\n\t", " "), body.replace("=\r\n", ""));
    while let Some(start) = rest.find("=?utf-8?") {
        out.push_str(&rest[..start]);
        let word = &rest[start + 8..];
        let end = word.find("?=").expect("encoded word ends");
        let (enc, text) = (&word[..1], &word[2..end]);
        out.push_str(&match enc {
            "b" | "B" => String::from_utf8(base64(text)).expect("utf-8"),
            _ => qp(&text.replace('_', " ")),
        });
        rest = word[end + 2..].to_owned();
        // Whitespace between two encoded words is not text (RFC 2047).
        if rest.trim_start_matches(' ').starts_with("=?utf-8?") {
            rest = rest.trim_start_matches(' ').to_owned();
        }
    }
    out.push_str(&rest);
    qp(&out)
}

fn qp(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        ) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

fn settings(sink: &Sink) -> Settings {
    let config = Config {
        mail_relay: Some("127.0.0.1".into()),
        mail_port: Some(sink.port),
        // The sink speaks plain SMTP: the relay on the kommun's own network without TLS.
        mail_security: Security::None,
        mail_from: Some("samverka@boden.se".into()),
        mail_to: vec!["objektspecialist@boden.se".into()],
        public_url: Some("https://samverka.boden.se/".into()),
        ..Config::default()
    };
    config.mail().expect("valid").expect("configured")
}

struct World {
    fed: Federation,
    forvaltare: Author,
}

impl World {
    fn new() -> World {
        let (mut fed, _) = norrbotten_with_ordinarie();
        let forvaltare = fed.certify_person("2580", "drift/forvaltare", &[Role::Forvaltare]);
        World { fed, forvaltare }
    }

    fn notice(&mut self, n: &OutageNotice) -> Record<Unverified> {
        self.forvaltare.next(self.fed.id(), self.fed.version(), Kind::OutageNotice, n.to_bytes())
    }
}

fn treserva_down() -> OutageNotice {
    OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Treserva svarar inte".into(),
        text: "Inloggningen misslyckas för alla. Leverantören felsöker.".into(),
        affected: vec!["Journal IFO".into()],
        start_ms: T0_MS,
        expected_end_ms: Some(T0_MS + 7_200_000),
    })
}

/// A node key no roster certifies: outage notices are mailed by every node.
fn any_node() -> samverka_protocol::PublicKey {
    samverka_protocol::SigningKey::from_seed(&[9; 32]).public()
}

/// The mail task over `ledger`, stopped by the returned sender.
fn start(ledger: &Arc<Ledger>, settings: Settings) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(mail::run(ledger.clone(), settings, any_node(), Arc::new(Metrics::new()), stopped));
    (stop, task)
}

async fn stop(running: (watch::Sender<bool>, tokio::task::JoinHandle<()>)) {
    let _ = running.0.send(true);
    running.1.await.expect("the mail task ends");
}

#[tokio::test]
async fn each_outage_record_is_mailed_once_in_swedish_with_the_link_even_across_a_restart() {
    let sink = Sink::start().await;
    let mut world = World::new();
    let (dir, ledger) = ledger_with(&world.fed);
    // The test records claim 2026-11-23: let them count as new.
    let settings = Settings { max_age: Duration::from_secs(100 * 365 * 24 * 3600), ..settings(&sink) };
    let running = start(&ledger, settings.clone());
    // Let the start's sweep pass, so the notice arrives through the subscription.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let notice = world.notice(&treserva_down());
    let id = notice.id();
    ledger.ingest(notice.clone()).expect("the notice ingests");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = readable(&mails[0]);
    assert!(mail.contains("Subject: Driftstörning: Treserva svarar inte"), "{mail}");
    assert!(mail.contains("To: objektspecialist@boden.se"), "{mail}");
    assert!(mail.contains(&format!("https://samverka.boden.se/driftstorningar/{}", id.to_hex())), "{mail}");
    assert!(mail.contains("Berörda delar: Journal IFO"), "{mail}");
    assert!(mail.contains("Från: 2026-11-23 00.00") && mail.contains("Beräknat slut: 2026-11-23 02.00"), "{mail}");

    // The same record stored again: nothing more.
    let _ = ledger.ingest(notice.clone());
    assert_eq!(sink.settled().await.len(), 1);

    let update = world.notice(&OutageNotice::Update {
        notice: id,
        text: "Leverantören har hittat felet.".into(),
        expected_end_ms: Some(T0_MS + 3 * 3_600_000),
    });
    ledger.ingest(update).expect("the update ingests");
    let clear = world.notice(&OutageNotice::Clear { notice: id, text: "Treserva fungerar igen.".into() });
    ledger.ingest(clear).expect("the all-clear ingests");
    let mails: Vec<String> = sink.wait_for(3).await.iter().map(|m| readable(m)).collect();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(mails[1].contains("Subject: Uppdatering: Treserva svarar inte"), "{}", mails[1]);
    assert!(mails[1].contains("Beräknat slut: 2026-11-23 03.00"), "{}", mails[1]);
    assert!(mails[2].contains("Subject: Friskförklarad: Treserva svarar inte"), "{}", mails[2]);
    assert!(mails[2].contains(&format!("/driftstorningar/{}", id.to_hex())), "{}", mails[2]);

    // A restart: the sweep finds every record mailed already.
    stop(running).await;
    drop(ledger);
    let ledger = Arc::new(open_with(dir.path(), &world.fed));
    let running = start(&ledger, settings);
    assert_eq!(sink.settled().await.len(), 3, "nothing is mailed again after a restart");
    stop(running).await;
}

#[tokio::test]
async fn a_record_stored_while_the_mailer_was_down_is_mailed_at_start_unless_it_is_old() {
    let sink = Sink::start().await;
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    ledger.ingest(world.notice(&treserva_down())).expect("the notice ingests");

    // With the 7-day rule the notice (claimed 2026-11-23, tests run later) is history: not mailed.
    let running = start(&ledger, Settings { max_age: Duration::ZERO, ..settings(&sink) });
    assert!(sink.settled().await.is_empty(), "an old record is not mailed");
    stop(running).await;

    let running = start(&ledger, Settings { max_age: Duration::from_secs(100 * 365 * 24 * 3600), ..settings(&sink) });
    assert_eq!(sink.wait_for(1).await.len(), 1, "the start's sweep mails the notice not yet mailed");
    stop(running).await;
}

#[test]
fn without_a_relay_there_is_no_mail() {
    assert_eq!(Config::default().mail().expect("the default is valid"), None);
}

#[tokio::test]
async fn a_relay_that_does_not_answer_is_retried_then_given_up_without_noting_the_record() {
    // A port nobody listens on: every attempt is refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let notice = world.notice(&treserva_down());
    let id = notice.id();
    ledger.ingest(notice).expect("the notice ingests");
    let sink = Sink { port, ..Sink::default() };
    let settings = Settings {
        max_age: Duration::from_secs(100 * 365 * 24 * 3600),
        first_backoff: Duration::from_millis(10),
        ..settings(&sink)
    };
    let (stop_tx, stopped) = watch::channel(false);
    let metrics = Arc::new(Metrics::new());
    let task = tokio::spawn(mail::run(ledger.clone(), settings, any_node(), metrics.clone(), stopped));
    for _ in 0..100 {
        if metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1"), "{}", metrics.encode());
    assert!(!ledger.store().mailed(&id).expect("read"), "a mail not accepted is not noted as sent");
    let _ = stop_tx.send(true);
    task.await.expect("ends");
}

#[tokio::test]
async fn a_node_refuses_to_start_with_an_address_that_is_not_one_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        data_dir: dir.path().into(),
        api_listen: "127.0.0.1:0".parse().expect("addr"),
        mail_relay: Some("smtp.intern.boden.se".into()),
        mail_from: Some("samverka@boden.se".into()),
        mail_to: vec!["objektspecialist.boden.se".into()],
        ..Config::default()
    };
    let err = samverka_node::daemon::Node::start(&config, samverka_protocol::SigningKey::from_seed(&[7; 32]))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("mail_to: \"objektspecialist.boden.se\" is not an e-mail address"), "{err}");
}

#[test]
fn planned_maintenance_without_an_end_or_a_public_url_is_told_so_with_the_path() {
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let notice = world.notice(&OutageNotice::Publish(Published {
        kind: NoticeKind::PlaneratUnderhall,
        title: "Uppgradering av Lifecare".into(),
        text: "Systemet är stängt under uppgraderingen.".into(),
        affected: vec!["Lifecare SP".into(), "Mobil dokumentation".into()],
        start_ms: T0_MS,
        expected_end_ms: None,
    }));
    let id = notice.id();
    ledger.ingest(notice).expect("the notice ingests");
    let record = ledger.store().get(&id).expect("read").expect("held");
    let letter = mail::letter(&record, None, |_| None).expect("an outage record is mailed");
    assert_eq!(letter.subject, "Planerat underhåll: Uppgradering av Lifecare");
    assert!(letter.body.contains("Berörda delar: Lifecare SP, Mobil dokumentation"), "{}", letter.body);
    assert!(letter.body.contains("Beräknat slut: ej känt"), "{}", letter.body);
    assert!(
        letter.body.contains(&format!("Läs mer och kvittera: /driftstorningar/{}\n", id.to_hex())),
        "{}",
        letter.body
    );
    let roster = ledger.store().get(&world.fed.charter.id()).expect("read").expect("held");
    assert_eq!(mail::letter(&roster, None, |_| None), None, "only outage notices are mailed");
}

// ---------------------------------------------------------------------------------------------
// TLS and login: a relay that speaks STARTTLS or implicit TLS with a self-signed certificate
// (trusted through mail_ca_file) and wants a login.

/// The user and password the TLS relay accepts.
const USER: &str = "samverka-boden";
const PASSWORD: &str = "rätt lösen 42";

/// What the TLS relay saw.
#[derive(Default)]
struct Seen {
    mails: Vec<String>,
    /// Each login attempt: the user and password given.
    logins: Vec<(String, String)>,
    /// Commands other than EHLO, STARTTLS and QUIT sent before TLS began.
    before_tls: Vec<String>,
}

/// An SMTP relay on a real socket with TLS: STARTTLS (`implicit` false) or TLS from the first
/// byte, offering the SASL mechanisms `auth` ("PLAIN LOGIN", "LOGIN") and taking mail only
/// after a login with [`USER`] and [`PASSWORD`].
struct TlsRelay {
    port: u16,
    /// The relay's self-signed certificate (for 127.0.0.1), as mail_ca_file.
    ca_file: std::path::PathBuf,
    seen: Arc<Mutex<Seen>>,
    _dir: tempfile::TempDir,
}

impl TlsRelay {
    async fn start(implicit: bool, auth: &'static str) -> TlsRelay {
        let dir = tempfile::tempdir().expect("tempdir");
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a certificate");
        let ca_file = dir.path().join("relay-ca.pem");
        std::fs::write(&ca_file, made.cert.pem()).expect("written");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .expect("the certificate serves");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(tls_session(socket, acceptor.clone(), implicit, auth, state.clone()));
            }
        });
        TlsRelay { port, ca_file, seen, _dir: dir }
    }

    fn mails(&self) -> Vec<String> {
        self.seen.lock().expect("lock").mails.clone()
    }

    fn logins(&self) -> Vec<(String, String)> {
        self.seen.lock().expect("lock").logins.clone()
    }

    /// Settings for this relay with `password`, `security` and the certificate trusted.
    fn settings(&self, security: Security, password: &str, dir: &std::path::Path) -> Settings {
        let file = dir.join("smtp-password");
        std::fs::write(&file, format!("{password}\n")).expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let config = Config {
            mail_relay: Some("127.0.0.1".into()),
            mail_port: Some(self.port),
            mail_security: security,
            mail_user: Some(USER.into()),
            mail_password_file: Some(file),
            mail_ca_file: Some(self.ca_file.clone()),
            mail_from: Some("samverka@boden.se".into()),
            mail_to: vec!["objektspecialist@boden.se".into()],
            public_url: Some("https://samverka.boden.se".into()),
            ..Config::default()
        };
        Settings {
            max_age: Duration::from_secs(100 * 365 * 24 * 3600),
            first_backoff: Duration::from_millis(100),
            ..config.mail().expect("valid").expect("configured")
        }
    }
}

async fn tls_session(
    socket: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    implicit: bool,
    auth: &'static str,
    seen: Arc<Mutex<Seen>>,
) {
    if implicit {
        if let Ok(tls) = acceptor.accept(socket).await {
            secured(tls, true, auth, seen).await;
        }
        return;
    }
    let mut plain = BufReader::new(socket);
    let _ = plain.get_mut().write_all(b"220 relay ESMTP\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        if plain.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-relay\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            "STARTTLS" => {
                let _ = plain.get_mut().write_all(b"220 ready to start TLS\r\n").await;
                assert!(plain.buffer().is_empty(), "nothing is sent between STARTTLS and the handshake");
                if let Ok(tls) = acceptor.accept(plain.into_inner()).await {
                    secured(tls, false, auth, seen).await;
                }
                return;
            }
            "QUIT" => return,
            _ => {
                seen.lock().expect("lock").before_tls.push(line.trim_end().to_owned());
                b"530 5.7.0 Must issue a STARTTLS command first\r\n"
            }
        };
        if plain.get_mut().write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The session once TLS is up: EHLO offers `auth`, AUTH PLAIN or LOGIN is checked, MAIL is
/// refused before a login.
async fn secured<S>(stream: S, greet: bool, auth: &'static str, seen: Arc<Mutex<Seen>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    if greet {
        let _ = write.write_all(b"220 relay ESMTP\r\n").await;
    }
    let mut logged_in = false;
    while let Ok(Some(line)) = lines.next_line().await {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let reply: Vec<u8> = match verb.as_str() {
            "EHLO" => format!("250-relay\r\n250-AUTH {auth}\r\n250 8BITMIME\r\n").into_bytes(),
            "AUTH" => {
                let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
                let initial = words.next().map(str::to_owned);
                let given = match mechanism.as_str() {
                    "PLAIN" if auth.contains("PLAIN") => {
                        let response = match initial {
                            Some(r) => r,
                            None => {
                                let _ = write.write_all(b"334 \r\n").await;
                                lines.next_line().await.ok().flatten().unwrap_or_default()
                            }
                        };
                        let decoded = String::from_utf8(base64(&response)).unwrap_or_default();
                        let mut parts = decoded.split('\0').skip(1);
                        Some((parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned()))
                    }
                    "LOGIN" => {
                        let user = match initial {
                            Some(u) => u,
                            None => {
                                let _ = write.write_all(b"334 VXNlcm5hbWU6\r\n").await;
                                lines.next_line().await.ok().flatten().unwrap_or_default()
                            }
                        };
                        let _ = write.write_all(b"334 UGFzc3dvcmQ6\r\n").await;
                        let password = lines.next_line().await.ok().flatten().unwrap_or_default();
                        let text = |b: &str| String::from_utf8(base64(b)).unwrap_or_default();
                        Some((text(&user), text(&password)))
                    }
                    _ => None,
                };
                match given {
                    Some((user, password)) => {
                        logged_in = user == USER && password == PASSWORD;
                        seen.lock().expect("lock").logins.push((user, password));
                        if logged_in {
                            b"235 2.7.0 Authentication successful\r\n".to_vec()
                        } else {
                            b"535 5.7.8 Authentication credentials invalid\r\n".to_vec()
                        }
                    }
                    None => b"504 5.5.4 Unrecognized authentication type\r\n".to_vec(),
                }
            }
            "MAIL" if !logged_in => b"530 5.7.0 Authentication required\r\n".to_vec(),
            "DATA" => {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                seen.lock().expect("lock").mails.push(data);
                b"250 kept\r\n".to_vec()
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n".to_vec(),
        };
        if write.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Waits until `done` holds (or 20 s).
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn starttls_with_auth_plain_delivers_the_notice_and_nothing_crosses_before_tls() {
    let relay = TlsRelay::start(false, "PLAIN LOGIN").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = relay.settings(Security::Starttls, PASSWORD, dir.path());
    assert_eq!(settings.port, relay.port);
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let running = start(&ledger, settings);
    let notice = world.notice(&treserva_down());
    let id = notice.id();
    ledger.ingest(notice).expect("ingests");
    until(|| !relay.mails().is_empty()).await;
    let mails = relay.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(readable(&mails[0]).contains("Subject: Driftstörning: Treserva svarar inte"), "{}", mails[0]);
    assert_eq!(relay.logins(), vec![(USER.to_owned(), PASSWORD.to_owned())], "one AUTH PLAIN with the file's password");
    let before = relay.seen.lock().expect("lock").before_tls.clone();
    assert!(before.is_empty(), "nothing but EHLO and STARTTLS before TLS: {before:?}");
    until(|| ledger.store().mailed(&id).unwrap_or(false)).await;
    assert!(ledger.store().mailed(&id).expect("read"), "a mail the relay accepted is noted");
    stop(running).await;
}

#[tokio::test]
async fn implicit_tls_with_auth_login_delivers_the_notice() {
    let relay = TlsRelay::start(true, "LOGIN").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let running = start(&ledger, relay.settings(Security::Tls, PASSWORD, dir.path()));
    ledger.ingest(world.notice(&treserva_down())).expect("ingests");
    until(|| !relay.mails().is_empty()).await;
    assert_eq!(relay.mails().len(), 1);
    assert_eq!(relay.logins(), vec![(USER.to_owned(), PASSWORD.to_owned())], "AUTH LOGIN over implicit TLS");
    stop(running).await;
}

#[tokio::test]
async fn a_relay_whose_certificate_is_not_trusted_gets_nothing() {
    let relay = TlsRelay::start(false, "PLAIN LOGIN").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let other = TlsRelay::start(false, "PLAIN").await;
    // The CA file names another relay's certificate: the handshake fails, no login is sent.
    let settings = Settings {
        ca: other.settings(Security::Starttls, PASSWORD, dir.path()).ca,
        ..relay.settings(Security::Starttls, PASSWORD, dir.path())
    };
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let (stop_tx, stopped) = watch::channel(false);
    let metrics = Arc::new(Metrics::new());
    let task = tokio::spawn(mail::run(ledger.clone(), settings, any_node(), metrics.clone(), stopped));
    ledger.ingest(world.notice(&treserva_down())).expect("ingests");
    until(|| metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1")).await;
    assert!(metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1"), "{}", metrics.encode());
    assert!(relay.logins().is_empty() && relay.mails().is_empty(), "no password, no mail to an unverified relay");
    let _ = stop_tx.send(true);
    task.await.expect("ends");
}

#[tokio::test]
async fn a_relay_that_offers_no_starttls_gets_nothing_when_starttls_is_asked_for() {
    // The plain sink offers no STARTTLS: with the default security the node does not fall back
    // to plain text (which an attacker on the path could force by hiding STARTTLS).
    let sink = Sink::start().await;
    let settings = Settings {
        security: Security::Starttls,
        max_age: Duration::from_secs(100 * 365 * 24 * 3600),
        first_backoff: Duration::from_millis(10),
        ..settings(&sink)
    };
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let (stop_tx, stopped) = watch::channel(false);
    let metrics = Arc::new(Metrics::new());
    let task = tokio::spawn(mail::run(ledger.clone(), settings, any_node(), metrics.clone(), stopped));
    ledger.ingest(world.notice(&treserva_down())).expect("ingests");
    until(|| metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1")).await;
    assert!(metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1"), "{}", metrics.encode());
    assert!(sink.mails().is_empty(), "nothing is sent in plain text");
    let _ = stop_tx.send(true);
    task.await.expect("ends");
}

/// A log written by the test's tracing subscriber.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;

    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[tokio::test]
async fn a_wrong_password_is_logged_and_retried_while_the_node_goes_on_storing_records() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
    // The test's runtime runs every task on this thread: the mail task logs here.
    let _logging = tracing::subscriber::set_default(subscriber);
    let relay = TlsRelay::start(false, "PLAIN LOGIN").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = "fel lösen";
    let mut world = World::new();
    let (_dir, ledger) = ledger_with(&world.fed);
    let (stop_tx, stopped) = watch::channel(false);
    let metrics = Arc::new(Metrics::new());
    // Each refused mail takes 1 + 2 + 4 s of pauses: the queue fills behind the first.
    let settings =
        Settings { first_backoff: Duration::from_secs(1), ..relay.settings(Security::Starttls, wrong, dir.path()) };
    let task = tokio::spawn(mail::run(ledger.clone(), settings, any_node(), metrics.clone(), stopped));
    let first = world.notice(&treserva_down());
    let first_id = first.id();
    ledger.ingest(first).expect("ingests");
    until(|| !relay.logins().is_empty()).await;

    // While the mailer retries, the node stores more notices than the queue holds.
    for n in 0..mail::QUEUE + 16 {
        let OutageNotice::Publish(published) = treserva_down() else { panic!("a notice") };
        let notice = OutageNotice::Publish(Published { title: format!("Störning {n}"), ..published });
        ledger.ingest(world.notice(&notice)).expect("ingest is never held up by the mail");
    }
    until(|| metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1")).await;
    assert!(metrics.encode().contains("samverka_mail_total{outcome=\"failed\"} 1"), "{}", metrics.encode());
    let logins = relay.logins();
    assert!(logins.len() >= mail::ATTEMPTS as usize, "retried: {logins:?}");
    assert!(logins.iter().all(|(u, p)| u == USER && p == wrong));
    assert!(relay.mails().is_empty());
    assert!(!ledger.store().mailed(&first_id).expect("read"), "a refused mail is not noted as sent");

    // Stopping does not wait for the retries.
    let _ = stop_tx.send(true);
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("stops at once").expect("ends");
    let text = log.text();
    assert!(
        text.contains("the relay refused the login: check mail_user and the password in mail_password_file"),
        "{text}"
    );
    assert!(text.contains("535"), "the relay's answer is logged: {text}");
    assert!(text.contains("the queue is full"), "{text}");
    assert!(!text.contains(wrong) && !text.contains(PASSWORD), "the password is never logged: {text}");
}

// ---------------------------------------------------------------------------------------------
// Support steps: the host's node hears of an escalation, the case member's node hears line 2.

const HOST: &str = "2580";
const BODEN: &str = "2582";
const HOUR: i64 = 3_600_000;

/// The UTC instant of a Stockholm wall-clock time.
fn at(date: &str, hour: i64, minute: i64) -> i64 {
    let local = Date::parse(date).expect("a test date").days() * 24 * HOUR + hour * HOUR + minute * 60_000;
    local - stockholm_offset_ms(local - HOUR)
}

/// Norrbotten with Boden's objektspecialist (line 1), a förvaltare of the host (line 2), and
/// the host's and Boden's node keys; each node with its own ledger and relay.
struct Desk {
    fed: Federation,
    boden: Author,
    line2: Author,
    host: (Arc<Ledger>, samverka_protocol::PublicKey, Sink),
    boden_node: (Arc<Ledger>, samverka_protocol::PublicKey, Sink),
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Desk {
    async fn new() -> Desk {
        let (mut fed, _) = norrbotten_with_ordinarie();
        let boden = fed.certify_person(BODEN, "support/boden/os", &[Role::Objektspecialist]);
        let line2 = fed.certify_person(HOST, "support/forvaltare", &[Role::Forvaltare]);
        let host_key = fed.certify_node(HOST, "support/host-node").key.public();
        let boden_key = fed.certify_node(BODEN, "support/boden-node").key.public();
        let (a, host) = ledger_with(&fed);
        let (b, boden_ledger) = ledger_with(&fed);
        Desk {
            fed,
            boden,
            line2,
            host: (host, host_key, Sink::start().await),
            boden_node: (boden_ledger, boden_key, Sink::start().await),
            _dirs: (a, b),
        }
    }

    /// `who`'s next record claiming `time_ms`, stored at both nodes.
    fn store(&self, who: &mut Author, kind: Kind, body: Vec<u8>, time_ms: i64) -> samverka_protocol::RecordId {
        let draft =
            Draft::new(self.fed.id(), who.key.public(), who.seq, who.prev, self.fed.version(), kind, body, time_ms);
        let record = draft.sign(&who.key);
        who.seq += 1;
        who.prev = Some(record.id());
        for ledger in [&self.host.0, &self.boden_node.0] {
            ledger.ingest(record.clone()).expect("ingests");
        }
        record.id()
    }

    fn step(&mut self, line_two: bool, case: RecordId, after: RecordId, action: Action, time: i64) -> RecordId {
        let body = SupportEvent { case, after, action, text: "Se ärendet.".into() }.to_bytes();
        let mut who = if line_two { self.line2.clone() } else { self.boden.clone() };
        let id = self.store(&mut who, Kind::SupportEvent, body, time);
        if line_two {
            self.line2 = who;
        } else {
            self.boden = who;
        }
        id
    }

    /// Both nodes' mail tasks.
    fn start(&self) -> Vec<(watch::Sender<bool>, tokio::task::JoinHandle<()>)> {
        [&self.host, &self.boden_node]
            .into_iter()
            .map(|(ledger, key, sink)| {
                let settings = Settings { max_age: Duration::from_secs(100 * 365 * 24 * 3600), ..settings(sink) };
                let (stop, stopped) = watch::channel(false);
                let task = tokio::spawn(mail::run(ledger.clone(), settings, *key, Arc::new(Metrics::new()), stopped));
                (stop, task)
            })
            .collect()
    }
}

#[tokio::test]
async fn the_host_node_mails_an_escalation_and_the_case_members_node_mails_what_line_two_says() {
    let mut desk = Desk::new().await;
    let running = desk.start();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let friday = at("2026-11-27", 16, 30);
    let case = SupportCase {
        member: BODEN.into(),
        category: "Utskrift".into(),
        priority: Priority::Medium,
        title: "Utskrift av beslut hänger".into(),
        description: "Sedan i går hänger utskrift av beslut i IFO.".into(),
    };
    let mut boden = desk.boden.clone();
    let case = desk.store(&mut boden, Kind::SupportCase, case.to_bytes(), friday);
    desk.boden = boden;
    assert!(
        desk.host.2.settled().await.is_empty(),
        "a case raised is not mailed: line 1 escalates when line 2 is to act"
    );

    let escalate = desk.step(false, case, case, Action::Escalate, friday);
    let mails = desk.host.2.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the host's node mails the escalation: {mails:?}");
    let mail = readable(&mails[0]);
    assert!(mail.contains("Subject: Supportärende till förvaltningsgruppen: Utskrift av beslut hänger"), "{mail}");
    assert!(mail.contains("Prioritet: Medel"), "{mail}");
    assert!(mail.contains("Medlem: Bodens kommun (2582)") && mail.contains("Kategori: Utskrift"), "{mail}");
    assert!(
        mail.contains("Påbörjad felrättning senast: 2026-11-30 15:30"),
        "the SLA deadline in Stockholm time: {mail}"
    );
    assert!(mail.contains(&format!("https://samverka.boden.se/support/{}", case.to_hex())), "{mail}");
    assert!(!mail.contains("Sedan i går"), "no free text is mailed: {mail}");
    assert!(desk.boden_node.2.mails().is_empty(), "Boden's node does not mail its own escalation");

    // Line 1's own message: mailed by neither node.
    let _ = desk.step(false, case, escalate, Action::Message, friday + 60_000);
    // Line 2 asks the reporter (pause), then resolves: Boden's node mails both.
    let pause = desk.step(true, case, escalate, Action::Pause, friday + 120_000);
    let mails = desk.boden_node.2.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = readable(&mails[0]);
    assert!(mail.contains("Subject: Supportärende väntar på svar från er: Utskrift av beslut hänger"), "{mail}");
    assert!(mail.contains("väntar på anmälaren") && mail.contains("SLA-klockorna står still"), "{mail}");
    let _ = desk.step(true, case, pause, Action::Message, friday + 180_000);
    let _ = desk.step(true, case, pause, Action::Resolve, friday + 240_000);
    let mails: Vec<String> = desk.boden_node.2.wait_for(3).await.iter().map(|m| readable(m)).collect();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(mails[1].contains("Subject: Meddelande i supportärende: Utskrift av beslut hänger"), "{}", mails[1]);
    assert!(mails[2].contains("Subject: Supportärende åtgärdat: Utskrift av beslut hänger"), "{}", mails[2]);
    assert!(mails[2].contains("Status nu: Åtgärdat"), "{}", mails[2]);
    assert!(!mails[1].contains("Se ärendet."), "a step's text is not mailed: {}", mails[1]);
    assert_eq!(desk.host.2.settled().await.len(), 1, "the host's node mails only the escalation");
    for r in running {
        stop(r).await;
    }
}

#[tokio::test]
async fn a_support_step_letter_without_a_public_url_gives_the_path() {
    let mut desk = Desk::new().await;
    let monday = at("2026-11-30", 9, 0);
    let case = SupportCase {
        member: BODEN.into(),
        category: "Inloggning".into(),
        priority: Priority::Low,
        title: "Fråga om behörighet".into(),
        description: "Hur beställer vi behörighet?".into(),
    };
    let mut boden = desk.boden.clone();
    let case = desk.store(&mut boden, Kind::SupportCase, case.to_bytes(), monday);
    desk.boden = boden;
    let escalate = desk.step(false, case, case, Action::Escalate, monday);
    let ledger = &desk.host.0;
    let chain = ledger.chain().expect("a federation");
    let held = samverka_node::support::case(ledger.store(), &chain, &case, monday).expect("read").expect("held");
    let letter = mail::support::letter(escalate, &Action::Escalate, &held, None).expect("an escalation is mailed");
    assert_eq!(letter.subject, "Supportärende till förvaltningsgruppen: Fråga om behörighet");
    assert!(letter.body.contains("Prioritet: Låg"), "{}", letter.body);
    assert!(!letter.body.contains("senast"), "låg has no SLA clocks: {}", letter.body);
    assert!(
        letter.body.contains(&format!("Läs ärendet och ta det vidare: /support/{}\n", case.to_hex())),
        "{}",
        letter.body
    );
    assert_eq!(mail::support::letter(escalate, &Action::Start, &held, None), None, "Start is not mailed");
}

#[tokio::test]
async fn a_support_step_stored_while_the_mailer_was_down_is_mailed_once_at_start() {
    let mut desk = Desk::new().await;
    let monday = at("2026-11-30", 10, 0);
    let case = SupportCase {
        member: BODEN.into(),
        category: "Integration".into(),
        priority: Priority::High,
        title: "Överföringen till ekonomisystemet står".into(),
        description: "Inga filer har gått över sedan i morse.".into(),
    };
    let mut boden = desk.boden.clone();
    let case = desk.store(&mut boden, Kind::SupportCase, case.to_bytes(), monday);
    desk.boden = boden;
    let _ = desk.step(false, case, case, Action::Escalate, monday + 60_000);

    let running = desk.start();
    let mails = desk.host.2.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the start's sweep mails the escalation at the host's node: {mails:?}");
    assert!(readable(&mails[0]).contains("Prioritet: Kritisk/hög"), "{}", readable(&mails[0]));
    assert!(desk.boden_node.2.mails().is_empty());
    for r in running {
        stop(r).await;
    }
    let running = desk.start();
    assert_eq!(desk.host.2.settled().await.len(), 1, "nothing is mailed again after a restart");
    assert!(desk.boden_node.2.mails().is_empty());
    for r in running {
        stop(r).await;
    }
}
