//! Faults met honestly, as the real binary on real sockets: a frozen peer is dropped within a
//! stated bound and comes back when it resumes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::SigningKey;
use serde_json::Value;

/// A frozen peer must be gone from its peers' lists within this (the bound).
const MAX_FROZEN_DROP: Duration = Duration::from_secs(30);

/// A `samverka run` process; killed when dropped (SIGKILL ends a stopped process too).
struct Running {
    child: Child,
    api: SocketAddr,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Sends SIGSTOP (`freeze`) or SIGCONT.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    fn get(&self, path: &str) -> Value {
        let answer = request(self.api, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {answer}"))
    }

    fn peers(&self) -> usize {
        self.get("/api/v1/peers")["peers"].as_array().map_or(0, Vec::len)
    }

    /// Polls until `done` holds, failing after `deadline`; returns how long it took.
    fn until(&self, deadline: Duration, what: &str, done: impl Fn(&Running) -> bool) -> Duration {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < deadline, "{what} not within {deadline:?}; log:\n{}", self.read_log());
            std::thread::sleep(Duration::from_millis(100));
        }
        start.elapsed()
    }

    fn read_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
}

/// Sends `raw` and reads the whole answer.
fn request(api: SocketAddr, raw: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(raw.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// Runs the binary with `args`, asserting success.
fn samverka(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_samverka"))
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("the samverka binary runs");
    assert!(out.status.success(), "samverka {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Initialises `data` for `fed` with `node_key` as its node key and every roster update stored.
fn init(dir: &Path, data: &Path, fed: &Federation, node_key: &SigningKey) {
    std::fs::create_dir_all(data).expect("data dir");
    samverka_node::keyfile::write_secret(&data.join("node.key"), "node", node_key).expect("node key written");
    let charter = dir.join("charter.rec");
    std::fs::write(&charter, fed.charter.bytes()).expect("charter written");
    let data = data.display().to_string();
    samverka(&["--data-dir", &data, "init", "--charter", &charter.display().to_string()]);
    for (i, update) in fed.updates.iter().enumerate() {
        let file = dir.join(format!("roster-{i}.rec"));
        std::fs::write(&file, update.bytes()).expect("roster update written");
        samverka(&["--data-dir", &data, "submit", &file.display().to_string()]);
    }
}

/// Runs the node on `data`, p2p on `p2p`, dialing `bootstrap`; INFO log to `<data>.log`.
fn run(data: &Path, p2p: u16, bootstrap: &[String]) -> Running {
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("address");
    let log = data.with_extension("log");
    let mut args = vec![
        "--data-dir".to_owned(),
        data.display().to_string(),
        "run".to_owned(),
        "--api-listen".to_owned(),
        api.to_string(),
        "--p2p-listen".to_owned(),
        format!("/ip4/127.0.0.1/tcp/{p2p}"),
    ];
    for b in bootstrap {
        args.extend(["--bootstrap".to_owned(), b.clone()]);
    }
    let child = Command::new(env!("CARGO_BIN_EXE_samverka"))
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "info")
        .args(&args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("the node starts");
    let running = Running { child, api, log };
    running.until(Duration::from_secs(30), "the API answering", |n| {
        request(n.api, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_ok()
    });
    running
}

/// Two nodes of one federation, the second dialing the first.
fn pair(dir: &Path) -> (Running, Running) {
    let mut fed = Federation::found("Frusen", &testkit::kommuner(2), "1000");
    let a = fed.certify_node("1000", "node-a").key;
    let b = fed.certify_node("1001", "node-b").key;
    let (data_a, data_b) = (dir.join("a"), dir.join("b"));
    init(dir, &data_a, &fed, &a);
    init(dir, &data_b, &fed, &b);
    let port_a = free_port();
    let peer_a = samverka_node::network::peer_id(&a.public()).expect("an ed25519 peer id");
    let node_a = run(&data_a, port_a, &[]);
    let node_b = run(&data_b, free_port(), &[format!("/ip4/127.0.0.1/tcp/{port_a}/p2p/{peer_a}")]);
    for node in [&node_a, &node_b] {
        node.until(Duration::from_secs(60), "the two nodes connected", |n| n.peers() == 1);
    }
    (node_a, node_b)
}

#[test]
fn a_frozen_peer_is_dropped_within_30_s_counted_and_back_when_it_resumes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (watcher, frozen) = pair(tmp.path());
    frozen.signal("-STOP");
    let dropped = watcher.until(MAX_FROZEN_DROP, "the frozen peer dropped", |n| n.peers() == 0);
    println!("frozen peer dropped after {dropped:?} (bound {MAX_FROZEN_DROP:?})");
    assert!(watcher.read_log().contains("peer stopped answering pings: closing"), "{}", watcher.read_log());
    let metrics = request(watcher.api, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("metrics answer");
    let counted = metrics
        .lines()
        .find_map(|l| l.strip_prefix("samverka_p2p_frozen_peers_total "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    assert!(counted.is_some_and(|n| n >= 1), "not counted: {metrics}");
    frozen.signal("-CONT");
    let back = watcher.until(Duration::from_secs(30), "the resumed peer back", |n| n.peers() == 1);
    println!("resumed peer connected again after {back:?}");
}
