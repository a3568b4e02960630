//! Faults and hostile input met honestly, as the real binary on real sockets: a frozen peer is
//! dropped within a stated bound and comes back when it resumes; floods of unauthenticated
//! uploads and records leave the node's resident memory within a small bound; a full disk is
//! answered 507 and not-ready, and writes resume once space is freed with nothing lost.

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
/// Most the node's resident memory may grow under a flood of unauthenticated input.
const MAX_RSS_GROWTH_KIB: u64 = 32 * 1024;
/// The largest paper the API accepts (`api::governance::MAX_UPLOAD_PAPER_BYTES`), sent by each
/// hostile uploader.
const UPLOAD_BYTES: usize = 16 * 1024 * 1024;

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

    /// The process's resident memory (`VmRSS`) in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).expect("a VmRSS line");
        line.trim().trim_end_matches("kB").trim().parse().expect("VmRSS in kB")
    }

    /// Posts `body` as `content_type` to `path`; returns the status line's code.
    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> u16 {
        let mut stream = TcpStream::connect_timeout(&self.api, Duration::from_secs(2)).expect("connects");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout set");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        // The node may answer and close before the whole body is sent: that is the point.
        let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
        status_code(&mut stream)
    }

    /// Posts `body` to `path` in chunked transfer encoding (no declared length), 1 MiB a chunk;
    /// returns the status line's code.
    fn post_chunked(&self, path: &str, body: &[u8]) -> u16 {
        let mut stream = TcpStream::connect_timeout(&self.api, Duration::from_secs(2)).expect("connects");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout set");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let mut sent = stream.write_all(head.as_bytes());
        for chunk in body.chunks(1024 * 1024) {
            sent = sent
                .and_then(|()| stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()))
                .and_then(|()| stream.write_all(chunk))
                .and_then(|()| stream.write_all(b"\r\n"));
        }
        let _ = sent.and_then(|()| stream.write_all(b"0\r\n\r\n"));
        status_code(&mut stream)
    }

    fn read_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Reads an HTTP answer's status code (0 if the connection closed first).
fn status_code(stream: &mut TcpStream) -> u16 {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ").and_then(|t| t.get(..3)).and_then(|c| c.parse().ok()).unwrap_or(0)
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

/// Runs the node on `data`, p2p on `p2p`, dialing `bootstrap`; INFO log to `log`.
fn run(data: &Path, log: PathBuf, p2p: u16, bootstrap: &[String], env: &[(&str, &str)]) -> Running {
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("address");
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
        .envs(env.iter().copied())
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
    let node_a = run(&data_a, dir.join("a.log"), port_a, &[], &[]);
    let node_b =
        run(&data_b, dir.join("b.log"), free_port(), &[format!("/ip4/127.0.0.1/tcp/{port_a}/p2p/{peer_a}")], &[]);
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

/// One node with its store in `store`, whose federation certifies a person of member 1000;
/// returns it, that person and the federation. Files other than the store go to `dir`.
fn single(dir: &Path, store: &Path) -> (Running, testkit::Author, Federation) {
    let mut fed = Federation::found("Tålig", &testkit::kommuner(2), "1000");
    let node = fed.certify_node("1000", "node-a").key;
    let person = fed.certify_person("1000", "person-a", &[samverka_protocol::Role::Objektspecialist]);
    init(dir, store, &fed, &node);
    (start(dir, store), person, fed)
}

fn start(dir: &Path, store: &Path) -> Running {
    run(store, dir.join("node.log"), free_port(), &[], &[("SAMVERKA_API_WRITES_PER_SECOND", "1000000")])
}

/// Runs `f(i)` for `i` in `0..n` on `threads` threads.
fn spread(n: usize, threads: usize, f: impl Fn(usize) + Sync) {
    std::thread::scope(|scope| {
        for t in 0..threads {
            let f = &f;
            scope.spawn(move || (t..n).step_by(threads).for_each(f));
        }
    });
}

#[test]
fn floods_of_unauthenticated_uploads_and_records_leave_memory_bounded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (node, mut person, fed) = single(tmp.path(), &tmp.path().join("a"));
    std::thread::sleep(Duration::from_secs(2));
    let before = node.rss_kib();

    // 128 concurrent uploads of 16 MiB that no record names.
    let paper = vec![b'x'; UPLOAD_BYTES];
    let answers = std::sync::Mutex::new(Vec::new());
    // A quarter send no length (chunked): they are refused as their first bytes arrive.
    spread(128, 128, |i| {
        let code = match i % 4 {
            0 => node.post_chunked("/api/v1/papers", &paper),
            _ => node.post("/api/v1/papers", "application/octet-stream", &paper),
        };
        answers.lock().expect("answers lock").push(code);
    });
    let answers = answers.into_inner().expect("answers lock");
    // 0: the node answered before the body was sent and closed; the unread body made the kernel
    // reset the connection, which can discard the answer before the client reads it.
    assert!(answers.iter().all(|c| *c == 422 || *c == 0), "refused as unreferenced: {answers:?}");
    assert!(answers.contains(&422), "{answers:?}");
    let after_uploads = node.rss_kib();

    // 10 000 records from unknown keys naming a far roster version.
    let body = vec![b'n'; 16 * 1024];
    let codes = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    spread(10_000, 8, |i| {
        let mut stranger = testkit::Author::new(testkit::key(&format!("stranger-{i}")));
        let record = stranger.next(fed.id(), 1_000_000_000_000, samverka_protocol::Kind::Note, body.clone());
        let code = node.post("/api/v1/records", "application/octet-stream", record.bytes());
        *codes.lock().expect("codes lock").entry(code).or_default() += 1;
    });
    let codes = codes.into_inner().expect("codes lock");
    assert!(codes.keys().all(|c| (400..500).contains(c)), "every stranger's record refused: {codes:?}");
    let after_records = node.rss_kib();
    println!(
        "VmRSS: {before} KiB before, {after_uploads} KiB after 128 × 16 MiB uploads ({answers_len} answered), \
         {after_records} KiB after 10 000 stranger records ({codes:?}); bound +{MAX_RSS_GROWTH_KIB} KiB",
        answers_len = answers.len()
    );
    assert!(after_uploads.saturating_sub(before) <= MAX_RSS_GROWTH_KIB, "uploads grew {before} → {after_uploads} KiB");
    assert!(after_records.saturating_sub(before) <= MAX_RSS_GROWTH_KIB, "records grew {before} → {after_records} KiB");

    // A genuine record is still accepted.
    let note = person.next(fed.id(), fed.version(), samverka_protocol::Kind::Note, b"hej".to_vec());
    let code = node.post("/api/v1/records", "application/octet-stream", note.bytes());
    assert!((200..300).contains(&code), "a genuine note answered {code}");
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=`) at `dir`, or says why it cannot.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", &dir.display().to_string()])
            .output()
            .map_err(|e| format!("mount does not run: {e}"))?;
        match out.status.success() {
            true => Ok(Tmpfs(dir.to_owned())),
            false => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros to `path` until the disk refuses (ENOSPC); returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("filler created");
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => return written,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => return written,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
}

#[test]
fn a_full_disk_answers_507_and_not_ready_and_writes_resume_once_space_is_freed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disk = match Tmpfs::mount(&tmp.path().join("disk"), "32m") {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped: cannot mount a tmpfs here ({why})");
            return;
        }
    };
    let store = disk.0.join("store");
    let (node, mut person, fed) = single(tmp.path(), &store);
    let mut note = |text: &str| person.next(fed.id(), fed.version(), samverka_protocol::Kind::Note, text.into());
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let record = note(&format!("före {i}"));
        assert_eq!(node.post("/api/v1/records", "application/octet-stream", record.bytes()), 201);
        acknowledged.push(record.id());
    }

    let filler = disk.0.join("filler");
    let filled = fill(&filler);
    let refused = note("när disken är full");
    let answer = {
        let mut stream = TcpStream::connect(node.api).expect("connects");
        let head = format!(
            "POST /api/v1/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            refused.bytes().len()
        );
        stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(refused.bytes())).expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer read");
        answer
    };
    assert!(answer.starts_with("HTTP/1.1 507"), "{answer}");
    assert!(
        answer.contains("the node's disk is full: free space on") && answer.contains("nothing was stored"),
        "{answer}"
    );
    let readyz = request(node.api, "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("readyz answers");
    assert!(readyz.starts_with("HTTP/1.1 503") && readyz.contains("store_disk_full"), "{readyz}");

    std::fs::remove_file(&filler).expect("filler removed");
    let ready = node.until(Duration::from_secs(5), "ready again", |n| {
        request(n.api, "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .is_ok_and(|a| a.starts_with("HTTP/1.1 200"))
    });
    println!("filled the disk with {filled} bytes: 507 and not ready; ready again {ready:?} after freeing it");
    assert_eq!(
        node.post("/api/v1/records", "application/octet-stream", refused.bytes()),
        201,
        "the refused write, again"
    );
    acknowledged.push(refused.id());
    let after = note("efter");
    assert_eq!(node.post("/api/v1/records", "application/octet-stream", after.bytes()), 201);
    acknowledged.push(after.id());

    drop(node);
    let node = start(tmp.path(), &store);
    for id in &acknowledged {
        let answer = request(
            node.api,
            &format!("GET /api/v1/records/{id} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        )
        .expect("answers");
        assert!(answer.starts_with("HTTP/1.1 200"), "acknowledged record {id} lost after a restart: {answer}");
    }
}
