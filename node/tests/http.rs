//! The HTTP server under hostile clients, as the real binary on real sockets: slow clients
//! cannot starve it under a small file-descriptor limit, it answers only for its own host names,
//! limits writes per client, and sends security headers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use samverka_protocol::testkit::{self, Federation};

/// A `samverka run` process with its data directory; killed when dropped.
struct Running {
    child: Child,
    api: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
}

/// Initialises a node for a testkit federation and runs it with at most `files` open files.
fn run(files: u32, env: &[(&str, &str)]) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let fed = Federation::found("Hårdnad", &testkit::kommuner(3), "1000");
    let charter = dir.path().join("charter.rec");
    std::fs::write(&charter, fed.charter.bytes()).expect("charter written");
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_samverka");
    let status = Command::new(bin)
        .args(["--data-dir", &data.display().to_string(), "init", "--charter", &charter.display().to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("init runs");
    assert!(status.success());
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("address");
    let script = format!(
        "ulimit -n {files} && exec {bin} --data-dir {} run --api-listen {api} --p2p-listen /ip4/127.0.0.1/tcp/0",
        data.display()
    );
    let mut command = Command::new("bash");
    let log = std::fs::File::create(dir.path().join("node.log")).expect("log file");
    command.args(["-c", &script]).env("RUST_LOG", "info").stdout(Stdio::null()).stderr(log);
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("the node starts");
    let running = Running { child, api, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(api, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        assert!(Instant::now() < deadline, "the node did not answer within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

/// Sends `raw` and reads the whole answer.
fn request(api: SocketAddr, raw: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(raw.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn healthz_latency(api: SocketAddr) -> Duration {
    let start = Instant::now();
    let answer =
        request(api, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("answers");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    start.elapsed()
}

#[test]
fn three_hundred_slow_clients_under_256_files_do_not_starve_healthz() {
    let node = run(256, &[]);
    // Each slow client opens a connection from another loopback address than the monitor's and
    // sends half a request line, then nothing.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let slow: Vec<tokio::net::TcpStream> = runtime.block_on(async {
        let mut slow = Vec::new();
        for _ in 0..300 {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.bind("127.0.0.2:0".parse().expect("address")).expect("bound");
            let Ok(mut stream) = socket.connect(node.api).await else { continue };
            use tokio::io::AsyncWriteExt;
            if stream.write_all(b"GET /api/v1/status HTT").await.is_ok() {
                slow.push(stream);
            }
        }
        slow
    });
    assert_eq!(slow.len(), 300, "every slow client connected");
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        worst = worst.max(healthz_latency(node.api));
    }
    println!("healthz under 300 slow clients, 256 open files: worst of 20 = {worst:?} (limit 100 ms)");
    assert!(worst < Duration::from_millis(100), "{worst:?}");
    drop(slow);
}

#[test]
fn answers_only_its_own_host_names_with_security_headers() {
    let node = run(1024, &[("SAMVERKA_API_HOSTS", "samverka.lulea.se")]);
    let evil = request(node.api, "GET /api/v1/status HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        .expect("answers");
    assert!(evil.starts_with("HTTP/1.1 421"), "{evil}");
    assert!(evil.contains("unknown_host"), "{evil}");
    let own = request(node.api, "GET /api/v1/status HTTP/1.1\r\nHost: samverka.lulea.se\r\nConnection: close\r\n\r\n")
        .expect("answers");
    assert!(own.starts_with("HTTP/1.1 200"), "{own}");
    let lower = own.to_ascii_lowercase();
    for header in ["x-content-type-options: nosniff", "cache-control: no-store", "referrer-policy: same-origin"] {
        assert!(lower.contains(header), "{header} missing: {own}");
    }
}

#[test]
fn writes_over_the_clients_rate_are_answered_429_with_retry_after() {
    let node = run(1024, &[("SAMVERKA_API_WRITES_PER_SECOND", "5")]);
    let post = "POST /api/v1/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx";
    let answers: Vec<String> = (0..300).map(|_| request(node.api, post).expect("answers")).collect();
    let limited: Vec<&String> = answers.iter().filter(|a| a.starts_with("HTTP/1.1 429")).collect();
    assert!(!limited.is_empty(), "no write was limited");
    assert!(limited[0].to_ascii_lowercase().contains("retry-after:"), "{}", limited[0]);
    assert!(answers[0].starts_with("HTTP/1.1 400"), "the first write is judged: {}", answers[0]);
    assert!(answers.iter().all(|a| !a.starts_with("HTTP/1.1 5")));
}

#[test]
fn every_log_line_of_the_node_names_it_and_startup_is_told_at_info() {
    let node = run(1024, &[]);
    // The API answers before the daemon logs that it has started: wait for the line (≤ 10 s).
    let read = || std::fs::read_to_string(node._dir.path().join("node.log")).expect("the log");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut log = read();
    while !log.contains("node started") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        log = read();
    }
    let started = log.lines().find(|l| l.contains("node started")).unwrap_or_else(|| panic!("no start line: {log}"));
    assert!(started.contains("node{member=") && started.contains(" key="), "{started}");
}
