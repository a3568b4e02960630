//! The API over https with the node's own certificate: a client trusting a self-signed
//! certificate made here gets answers over TLS (HTTP/1.1, and HTTP/2 by ALPN, with the host of its
//! `:authority` as `Host`), a client that never
//! finishes its handshake is closed at the deadline, and each wrong certificate setting is refused
//! with a message naming the file and what to do.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use samverka_node::api::server::HANDSHAKE_TIMEOUT;
use samverka_node::config::Config;
use samverka_node::daemon::Node;
use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::SigningKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A self-signed certificate for `localhost` and its key, written as PEM files in `dir`.
struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
}

fn certificate(dir: &Path, name: &str) -> Certificate {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a self-signed certificate");
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, made.cert.pem()).expect("certificate written");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("key written");
    Certificate { cert, key, der: made.cert.der().clone() }
}

/// A node without a federation in `dir`, serving https with `certificate` on a free loopback port.
async fn start(dir: &Path, certificate: &Certificate) -> Node {
    let config = Config {
        data_dir: dir.join("data"),
        api_listen: "127.0.0.1:0".parse().expect("address"),
        api_tls_cert: Some(certificate.cert.clone()),
        api_tls_key: Some(certificate.key.clone()),
        p2p_listen: Vec::new(),
        ..Config::default()
    };
    Node::start(&config, SigningKey::from_seed(&[7; 32])).await.expect("the node starts with its certificate")
}

/// Connects over TLS trusting only `trusted`, offering `alpn`.
async fn connect(api: SocketAddr, trusted: &CertificateDer<'static>, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).expect("the test certificate is a valid root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(api).await.expect("connects");
    let name = ServerName::try_from("localhost").expect("a server name");
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS handshake")
}

/// Sends one HTTP/1.1 GET over TLS and reads the whole answer.
async fn get(node: &Node, trusted: &CertificateDer<'static>, path: &str) -> String {
    let mut tls = connect(node.api_addr, trusted, &[b"http/1.1"]).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.expect("request sent");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer))
        .await
        .expect("the answer within 10 s")
        .expect("the answer is read to its end");
    String::from_utf8(answer).expect("a text answer")
}

#[tokio::test]
async fn serves_healthz_and_status_over_https_to_a_client_trusting_its_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let node = start(dir.path(), &certificate).await;
    assert!(node.api_tls);
    let health = get(&node, &certificate.der, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"alive""#), "{health}");
    let status = get(&node, &certificate.der, "/api/v1/status").await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(status.contains(r#""tls":true"#), "{status}");
    node.shutdown().await;
}

/// Sends a GET for `path` over HTTP/2 on `tls` (ALPN h2) and returns the status and body.
async fn get_h2(tls: TlsStream<TcpStream>, api: SocketAddr, path: &str) -> (StatusCode, String) {
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.expect("h2 handshake");
    let connection = tokio::spawn(connection);
    let uri = format!("https://localhost:{}{path}", api.port());
    let request = Request::get(uri).body(Body::empty()).expect("a request");
    let response = sender.send_request(request).await.expect("an answer");
    let status = response.status();
    let body = to_bytes(Body::new(response.into_body()), 64 * 1024).await.expect("the body");
    drop(sender);
    let _ = connection.await;
    (status, String::from_utf8(body.to_vec()).expect("a text body"))
}

#[tokio::test]
async fn answers_http2_by_alpn_and_http1_to_a_client_offering_only_that() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let node = start(dir.path(), &certificate).await;
    let h2 = connect(node.api_addr, &certificate.der, &[b"h2", b"http/1.1"]).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (status, body) = get_h2(h2, node.api_addr, "/api/v1/status").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""tls":true"#), "{body}");
    let h1 = connect(node.api_addr, &certificate.der, &[b"http/1.1"]).await;
    assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    node.shutdown().await;
}

#[tokio::test]
async fn an_http2_request_reaches_the_router_with_a_host_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let config = Config {
        api_tls_cert: Some(certificate.cert.clone()),
        api_tls_key: Some(certificate.key.clone()),
        ..Config::default()
    };
    let tls = config.api_tls().expect("the certificate loads").expect("TLS is configured");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = listener.local_addr().expect("address");
    let host = |headers: HeaderMap| async move {
        headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("(none)").to_owned()
    };
    let router = Router::new().route("/host", routing::get(host));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(samverka_node::api::server::serve(listener, router, 16, Some(tls), async {
        let _ = stopped.await;
    }));
    let h2 = connect(api, &certificate.der, &[b"h2"]).await;
    let (status, body) = get_h2(h2, api, "/host").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("localhost:{}", api.port()));
    let _ = stop.send(());
    server.await.expect("the server stops");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_closed_at_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let node = start(dir.path(), &certificate).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(node.api_addr).await.expect("connects");
    // The start of a TLS record announcing a ClientHello of 255 bytes, never sent.
    let mut partial = TcpStream::connect(node.api_addr).await.expect("connects");
    partial.write_all(&[0x16, 0x03, 0x01, 0x00, 0xff, 0x01]).await.expect("first bytes sent");
    let limit = HANDSHAKE_TIMEOUT + Duration::from_secs(5);
    for (name, stream) in [("silent", &mut silent), ("partial", &mut partial)] {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the {name} client was not closed within {limit:?}: {read:?}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed + Duration::from_secs(1) >= HANDSHAKE_TIMEOUT, "closed before the deadline: {elapsed:?}");
    // The node still answers.
    let health = get(&node, &certificate.der, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    node.shutdown().await;
}

/// The error `Config::api_tls` gives for these settings.
fn refusal(cert: Option<&Path>, key: Option<&Path>) -> String {
    let config = Config {
        api_tls_cert: cert.map(Path::to_path_buf),
        api_tls_key: key.map(Path::to_path_buf),
        ..Config::default()
    };
    config.api_tls().expect_err("the settings are refused").to_string()
}

#[test]
fn plain_http_is_the_default() {
    assert!(Config::default().api_tls().expect("no TLS settings").is_none());
}

#[test]
fn refuses_a_certificate_without_its_key() {
    let message = refusal(Some(Path::new("/etc/samverka/node.crt")), None);
    assert!(
        message.contains("api_tls_cert is set (/etc/samverka/node.crt) but api_tls_key is not: set both"),
        "{message}"
    );
    assert!(message.contains("or neither to serve plain http"), "{message}");
}

#[test]
fn refuses_a_key_without_its_certificate() {
    let message = refusal(None, Some(Path::new("/etc/samverka/node.key")));
    assert!(
        message.contains("api_tls_key is set (/etc/samverka/node.key) but api_tls_cert is not: set both"),
        "{message}"
    );
}

#[test]
fn refuses_a_certificate_file_that_does_not_exist_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let missing = dir.path().join("missing.crt");
    let message = refusal(Some(&missing), Some(&certificate.key));
    let expected = format!("cannot read api_tls_cert file {}: ", missing.display());
    assert!(message.contains(&expected), "{message}");
    assert!(message.contains("check the path and that the node's user may read it"), "{message}");
}

#[test]
fn refuses_a_key_file_that_cannot_be_read_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    // A directory stands for a file that cannot be read (a root test ignores file modes).
    let message = refusal(Some(&certificate.cert), Some(dir.path()));
    let expected = format!("cannot read api_tls_key file {}: ", dir.path().display());
    assert!(message.contains(&expected), "{message}");
}

#[test]
fn refuses_a_certificate_file_holding_no_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    // The key given for the certificate: PEM, but no certificate in it.
    let message = refusal(Some(&certificate.key), Some(&certificate.key));
    let expected = format!("api_tls_cert file {} holds no certificate: it must hold", certificate.key.display());
    assert!(message.contains(&expected), "{message}");
}

#[test]
fn refuses_a_key_file_holding_no_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate = certificate(dir.path(), "node");
    let message = refusal(Some(&certificate.cert), Some(&certificate.cert));
    let expected = format!("api_tls_key file {} holds no private key: it must hold", certificate.cert.display());
    assert!(message.contains(&expected), "{message}");
}

#[test]
fn refuses_a_key_that_is_not_the_certificates_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = certificate(dir.path(), "one");
    let other = certificate(dir.path(), "other");
    let message = refusal(Some(&one.cert), Some(&other.key));
    let expected = format!(
        "the certificate in {} and the key in {} cannot serve together",
        one.cert.display(),
        other.key.display()
    );
    assert!(message.contains(&expected), "{message}");
    assert!(message.contains("check that the key is the certificate's own"), "{message}");
}

#[test]
fn the_environment_sets_the_certificate_and_key() {
    let env = [
        ("SAMVERKA_API_TLS_CERT".to_owned(), "/etc/samverka/node.crt".to_owned()),
        ("SAMVERKA_API_TLS_KEY".to_owned(), "/etc/samverka/node.key".to_owned()),
    ];
    let config = Config::load(None, env).expect("loads");
    assert_eq!(config.api_tls_cert, Some(PathBuf::from("/etc/samverka/node.crt")));
    assert_eq!(config.api_tls_key, Some(PathBuf::from("/etc/samverka/node.key")));
}

#[test]
fn samverka_run_with_only_a_certificate_flag_stops_and_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fed = Federation::found("Säker", &testkit::kommuner(3), "1000");
    let charter = dir.path().join("charter.rec");
    std::fs::write(&charter, fed.charter.bytes()).expect("charter written");
    let data = dir.path().join("data").display().to_string();
    let bin = env!("CARGO_BIN_EXE_samverka");
    let init = Command::new(bin)
        .args(["--data-dir", &data, "init", "--charter", &charter.display().to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("init runs");
    assert!(init.success());
    let run = Command::new(bin)
        .args(["--data-dir", &data, "run", "--api-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"])
        .args(["--api-tls-cert", "/etc/samverka/node.crt"])
        .env_remove("SAMVERKA_API_TLS_KEY")
        .output()
        .expect("run runs");
    assert!(!run.status.success(), "the node must not start with half a TLS setting");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("api_tls_cert is set (/etc/samverka/node.crt) but api_tls_key is not"), "{stderr}");
}

/// Runs `samverka status --api https://localhost:PORT` with `SSL_CERT_FILE` set to `trust`.
async fn status_over_https(node: &Node, trust: &Path) -> std::process::Output {
    let api = format!("https://localhost:{}", node.api_addr.port());
    let trust = trust.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_samverka"))
            .args(["status", "--api", &api])
            .env("SSL_CERT_FILE", trust)
            .env_remove("SSL_CERT_DIR")
            .output()
            .expect("samverka status runs")
    })
    .await
    .expect("the command's thread ends")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_reaches_an_https_node_through_the_trust_store_ssl_cert_file_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stranger = certificate(dir.path(), "stranger");
    let own = certificate(dir.path(), "node");
    let node = start(dir.path(), &own).await;

    let trusted = status_over_https(&node, &own.cert).await;
    let stdout = String::from_utf8_lossy(&trusted.stdout);
    assert!(trusted.status.success(), "{stdout}{}", String::from_utf8_lossy(&trusted.stderr));
    assert!(stdout.contains("https") || stdout.to_lowercase().contains("tls"), "{stdout}");

    let untrusted = status_over_https(&node, &stranger.cert).await;
    assert!(!untrusted.status.success(), "a node whose certificate no trusted CA signed must be refused");
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("no node answers at https://localhost"), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "the refusal names the certificate: {stderr}");
    node.shutdown().await;
}
