//! E-mail about outage notices ([`samverka_node::mail`]) to a tiny SMTP sink on a real TCP
//! socket: a notice, its update and its all-clear each mailed once with the Swedish subject and
//! the link to the notice's page; the same record stored again or the node restarted sends
//! nothing again; records older than the age limit when seen are not mailed; no relay
//! configured, no mail task.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use samverka_node::config::Config;
use samverka_node::ledger::Ledger;
use samverka_node::mail::{self, Settings};
use samverka_node::metrics::Metrics;
use samverka_protocol::outage::{NoticeKind, OutageNotice, Published};
use samverka_protocol::testkit::{Author, Federation, T0_MS};
use samverka_protocol::{Body, Kind, Record, Role, Unverified};
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
    let mut rest = mail.replace("=\r\n", "").replace("\r\n ", " ").replace("\r\n\t", " ");
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
        mail_port: sink.port,
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

/// The mail task over `ledger`, stopped by the returned sender.
fn start(ledger: &Arc<Ledger>, settings: Settings) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(mail::run(ledger.clone(), settings, Arc::new(Metrics::new()), stopped));
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
    let task = tokio::spawn(mail::run(ledger.clone(), settings, metrics.clone(), stopped));
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
