//! CLI transcripts: the commands an operator types, run as the real binary.

mod support;

use std::path::Path;
use std::process::Command;

use std::time::{Duration, Instant};
use support::{fails, ok, samverka};

use serde_json::Value;

/// Keys for three founders and a countersigned charter.
fn founded(dir: &Path) {
    for m in ["lulea", "boden", "pitea"] {
        ok(dir, &["key", "generate", "--out", &format!("{m}.key"), "--label", m]);
    }
    ok(dir, &["key", "public", "pitea.key", "--out", "pitea.pub"]);
    let out = ok(
        dir,
        &[
            "create-federation",
            "--name",
            "Ekosystem Norrbotten",
            "--system",
            "Treserva",
            "--host",
            "2580",
            "--member",
            "2580;Luleå kommun;kommun;lulea.key",
            "--member",
            "2582;Bodens kommun;kommun;boden.key",
            "--member",
            "2581;Piteå kommun;kommun;pitea.pub",
            "--key",
            "lulea.key",
            "--out",
            "charter.rec",
        ],
    );
    assert!(out.contains("needs the signatures of 2 of the 3 founders"), "{out}");
}

#[test]
fn founding_a_federation_certifying_a_node_and_backing_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    let refused = fails(dir, &["--data-dir", "n1", "init", "--charter", "charter.rec"]);
    assert!(refused.contains("1 of the 2 required members have signed"), "{refused}");

    let out = ok(dir, &["countersign", "charter.rec", "--key", "boden.key"]);
    assert!(out.starts_with("2 signatures"), "{out}");
    let out = ok(dir, &["--data-dir", "n1", "init", "--charter", "charter.rec"]);
    assert!(out.contains("initialised"), "{out}");
    assert!(dir.join("n1/node.key").exists(), "init creates the node key");

    let out = ok(
        dir,
        &[
            "--data-dir",
            "n1",
            "roster",
            "propose",
            "--key",
            "boden.key",
            "--certify",
            "n1/node.key",
            "--member",
            "2582",
            "--node",
            "--out",
            "node.rec",
        ],
    );
    assert!(out.contains("roster version 1"), "{out}");
    assert!(out.contains("needs 1 member signatures"), "self-service needs only Boden: {out}");
    let out = ok(dir, &["--data-dir", "n1", "submit", "node.rec"]);
    assert!(out.starts_with("stored ") && out.contains("… (roster-update by "), "{out}");
    let shown = ok(dir, &["show", "node.rec"]);
    assert!(shown.contains("kind:       roster-update"), "{shown}");
    assert!(shown.contains("roster update: version 1") && shown.contains("as 2582's node key"), "{shown}");
    assert!(!shown.contains("CertifyKey") && !shown.contains('{'), "no Rust Debug: {shown}");
    let shown = ok(dir, &["show", "charter.rec"]);
    assert!(
        shown.contains("2580")
            && shown.contains("Luleå kommun (kommun)")
            && shown.contains("a majority of the members"),
        "{shown}"
    );

    ok(dir, &["--data-dir", "n1", "export", "--out", "backup.archive"]);
    let out = ok(dir, &["verify", "--archive", "backup.archive"]);
    assert!(out.contains("2 records checked, 2 roster versions"), "{out}");
    let out = ok(dir, &["--data-dir", "n2", "import", "backup.archive"]);
    assert!(out.contains("2 records read, 2 new records stored"), "{out}");
    let out = ok(dir, &["--data-dir", "n2", "verify"]);
    assert!(out.contains("every signature and rule verified"), "{out}");
}

#[test]
fn damaged_archive_is_refused_and_restores_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    ok(dir, &["countersign", "charter.rec", "--key", "pitea.key"]);
    ok(dir, &["--data-dir", "n1", "init", "--charter", "charter.rec"]);
    ok(dir, &["--data-dir", "n1", "export", "--out", "a.archive"]);
    let mut bytes = std::fs::read(dir.join("a.archive")).expect("read");
    let at = bytes.len() - 60;
    bytes[at] ^= 0x01;
    std::fs::write(dir.join("a.archive"), bytes).expect("write");
    let err = fails(dir, &["verify", "--archive", "a.archive"]);
    assert!(err.contains("is damaged"), "{err}");
    let err = fails(dir, &["--data-dir", "n2", "import", "a.archive"]);
    assert!(err.contains("is damaged"), "{err}");
}

#[test]
fn bad_input_gets_a_message_a_person_can_act_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    ok(dir, &["key", "generate", "--out", "a.key"]);
    let err = fails(dir, &["key", "generate", "--out", "a.key"]);
    assert!(err.contains("refusing to overwrite"), "{err}");
    let create_with = |member: &str| {
        let args = ["create-federation", "--name", "X", "--system", "Y", "--host", "2580", "--member", member];
        fails(dir, &[&args[..], &["--key", "a.key", "--out", "c.rec"]].concat())
    };
    let err = create_with("2580;Luleå");
    assert!(err.contains("ID;NAME;KIND;KEY"), "{err}");
    let err = create_with("25800;Luleå kommun;kommun;a.key");
    assert!(err.contains("kommunkod"), "{err}");
    std::fs::write(dir.join("junk.rec"), b"not a record").expect("write");
    let err = fails(dir, &["show", "junk.rec"]);
    assert!(err.contains("is not a samverka record file"), "{err}");
    let err =
        fails(dir, &["--data-dir", "n", "roster", "propose", "--key", "a.key", "--set-host", "2580", "--out", "p.rec"]);
    assert!(err.contains("no federation yet"), "{err}");
}

/// A free TCP port on 127.0.0.1 (bound, then released for the node to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A `samverka run` child process, killed when dropped.
struct Running {
    child: std::process::Child,
    api: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `samverka run` on the store in `data_dir`, its API and p2p on `ports`, dialing
/// `bootstrap`; its INFO log goes to `<data_dir>.log`.
fn run(dir: &Path, data_dir: &str, (api, p2p): (u16, u16), bootstrap: &[String]) -> Running {
    let mut args = vec!["--data-dir".to_owned(), data_dir.to_owned(), "run".to_owned()];
    args.extend(["--api-listen".to_owned(), format!("127.0.0.1:{api}")]);
    args.extend(["--p2p-listen".to_owned(), format!("/ip4/127.0.0.1/tcp/{p2p}")]);
    for b in bootstrap {
        args.extend(["--bootstrap".to_owned(), b.clone()]);
    }
    let log = std::fs::File::create(dir.join(format!("{data_dir}.log"))).expect("create the log file");
    let child = Command::new(env!("CARGO_BIN_EXE_samverka"))
        .current_dir(dir)
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "info")
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("samverka run starts");
    Running { child, api: format!("http://127.0.0.1:{api}") }
}

/// Polls `samverka status` of `node` until `done` holds for its JSON, failing after `deadline`.
fn status_until(dir: &Path, node: &Running, deadline: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + deadline;
    loop {
        let out = samverka(dir, &["status", "--json", "--api", &node.api]);
        let status: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < end, "{} after {deadline:?}: {status}", node.api);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the log of the node on `data_dir` holds `line`, failing after `deadline`.
fn log_until(dir: &Path, data_dir: &str, line: &str, deadline: Duration) {
    let end = Instant::now() + deadline;
    loop {
        let log = std::fs::read_to_string(dir.join(format!("{data_dir}.log"))).unwrap_or_default();
        if log.contains(line) {
            return;
        }
        assert!(Instant::now() < end, "{data_dir}.log lacks {line:?} after {deadline:?}:\n{log}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The value after `label` on the line of `text` that contains it.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let at = text.find(label).unwrap_or_else(|| panic!("{label:?} not in {text}")) + label.len();
    text[at..].split(|c: char| c.is_whitespace() || c == ')').next().expect("a word follows")
}

/// docs/ops.md "Founding a federation", step by step, for three members on three nodes.
#[test]
fn founding_as_documented_joins_three_nodes_on_one_roster() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let members =
        [("lulea", "2580", "Luleå kommun"), ("boden", "2582", "Bodens kommun"), ("pitea", "2581", "Piteå kommun")];
    // 1. Organisation keys; public key files go to the host.
    for (m, _, _) in members {
        ok(dir, &["key", "generate", "--out", &format!("{m}-org.key"), "--label", m]);
        ok(dir, &["key", "public", &format!("{m}-org.key"), "--out", &format!("{m}-org.pub")]);
    }
    // 2. The host writes the charter; 3. the founders countersign it in turn.
    let mut args =
        vec!["create-federation", "--name", "Ekosystem Norrbotten", "--system", "Treserva", "--host", "2580"];
    let specs: Vec<String> = members.iter().map(|(m, id, name)| format!("{id};{name};kommun;{m}-org.pub")).collect();
    for spec in &specs {
        args.extend(["--member", spec]);
    }
    args.extend(["--key", "lulea-org.key", "--out", "charter.rec"]);
    ok(dir, &args);
    ok(dir, &["countersign", "charter.rec", "--key", "boden-org.key"]);
    ok(dir, &["countersign", "charter.rec", "--key", "pitea-org.key"]);
    // 4. Each member initialises its node and sends its node key and address to the host.
    let mut addresses = Vec::new();
    let mut ports = Vec::new();
    for (m, _, _) in members {
        let out = ok(dir, &["--data-dir", m, "init", "--charter", "charter.rec"]);
        let peer = after(&out, "peer id ").to_owned();
        ok(dir, &["key", "public", &format!("{m}/node.key"), "--out", &format!("{m}-node.pub")]);
        let port = (free_port(), free_port());
        addresses.push(format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", port.1));
        ports.push(port);
    }
    // 5. The host alone proposes version 1 certifying every node key; 6. the others countersign.
    let mut args = vec!["--data-dir", "lulea", "roster", "propose", "--key", "lulea-org.key"];
    let certs: Vec<String> = members.iter().map(|(m, id, _)| format!("{id};{m}-node.pub")).collect();
    for cert in &certs {
        args.extend(["--certify-node", cert]);
    }
    args.extend(["--out", "roster-1.rec"]);
    let out = ok(dir, &args);
    assert!(out.contains("proposal for roster version 1"), "{out}");
    ok(dir, &["countersign", "roster-1.rec", "--key", "boden-org.key"]);
    let out = ok(dir, &["countersign", "roster-1.rec", "--key", "pitea-org.key"]);
    assert!(out.starts_with("3 signatures"), "{out}");
    // 7. Each member submits the same file and runs its node with the others as bootstrap.
    let mut nodes = Vec::new();
    for (i, (m, _, _)) in members.iter().enumerate() {
        let out = ok(dir, &["--data-dir", m, "submit", "roster-1.rec"]);
        assert!(out.starts_with("stored "), "{out}");
        let others: Vec<String> = (0..3).filter(|j| *j != i).map(|j| addresses[j].clone()).collect();
        nodes.push(run(dir, m, ports[i], &others));
    }
    let node_keys: Vec<String> = members
        .iter()
        .map(|(m, _, _)| ok(dir, &["key", "public", &format!("{m}/node.key")]).trim().to_owned())
        .collect();
    let mut rosters = Vec::new();
    for node in &nodes {
        let status = status_until(dir, node, Duration::from_secs(60), |s| s["roster_version"] == 1 && s["peers"] == 2);
        assert!(node_keys.contains(&status["node_key"].as_str().unwrap_or("").to_owned()), "{status}");
        assert!(status["member"].is_string(), "every node speaks for its member: {status}");
        rosters.push(get_json(&format!("{}/api/v1/roster", node.api)));
    }
    assert!(rosters.windows(2).all(|w| w[0]["record_id"] == w[1]["record_id"]), "one roster version 1: {rosters:?}");
    let bare = nodes[0].api.trim_start_matches("http://");
    let summary = ok(dir, &["status", "--api", bare]);
    assert!(summary.contains("federation:     Ekosystem Norrbotten"), "a bare address works: {summary}");
    assert!(summary.contains("roster version: 1") && summary.contains("peers:          2 connected"), "{summary}");
    let certified: Vec<&str> = rosters[0]["keys"]
        .as_array()
        .expect("the roster lists keys")
        .iter()
        .filter(|k| k["kind"] == "node")
        .filter_map(|k| k["key"].as_str())
        .collect();
    assert!(node_keys.iter().all(|k| certified.contains(&k.as_str())), "every node key certified: {certified:?}");
}

/// GETs `url` as JSON.
fn get_json(url: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        response.json().await.unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
    })
}

/// Two members each certify their own node as roster version 1: the second is refused with
/// what to do, naming the first; nodes that adopted one each say at INFO why they cannot join.
#[test]
fn second_proposal_for_an_adopted_roster_version_is_refused_naming_the_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    ok(dir, &["countersign", "charter.rec", "--key", "boden.key"]);
    for n in ["n1", "n2"] {
        ok(dir, &["--data-dir", n, "init", "--charter", "charter.rec"]);
    }
    let propose = |n: &str, key: &str, member: &str, out: &str| {
        let cert = format!("{member};{n}/node.key");
        ok(dir, &["--data-dir", n, "roster", "propose", "--key", key, "--certify-node", &cert, "--out", out])
    };
    propose("n1", "lulea.key", "2580", "lulea-1.rec");
    propose("n2", "boden.key", "2582", "boden-1.rec");
    ok(dir, &["--data-dir", "n1", "submit", "lulea-1.rec"]);
    let err = fails(dir, &["--data-dir", "n1", "submit", "boden-1.rec"]);
    assert!(err.contains("roster version 1 already exists as record"), "{err}");
    assert!(err.contains("proposed by member 2580"), "{err}");
    assert!(err.contains("now makes version 2"), "{err}");

    ok(dir, &["--data-dir", "n2", "submit", "boden-1.rec"]);
    let ports = [(free_port(), free_port()), (free_port(), free_port())];
    let address = |n: &str, port: u16| {
        let hex = ok(dir, &["key", "public", &format!("{n}/node.key")]);
        let key = samverka_protocol::PublicKey::from_hex(hex.trim()).expect("key public prints hex");
        samverka_node::network::dial_address(&format!("/ip4/127.0.0.1/tcp/{port}"), &key)
    };
    let _n1 = run(dir, "n1", ports[0], &[address("n2", ports[1].1)]);
    let _n2 = run(dir, "n2", ports[1], &[address("n1", ports[0].1)]);
    for n in ["n1", "n2"] {
        log_until(dir, n, "peer closed the connection before any exchange", Duration::from_secs(30));
        log_until(dir, n, "the roster forked", Duration::from_secs(1));
    }
}

/// A node whose own key no roster version certifies says so at INFO, with what to do.
#[test]
fn a_node_with_an_uncertified_key_says_so_at_info() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    ok(dir, &["countersign", "charter.rec", "--key", "boden.key"]);
    ok(dir, &["--data-dir", "n1", "init", "--charter", "charter.rec"]);
    let _node = run(dir, "n1", (free_port(), free_port()), &[]);
    log_until(dir, "n1", "this node's key is not certified in roster version 0", Duration::from_secs(30));
    log_until(dir, "n1", "--certify-node", Duration::from_secs(1));
}

/// While the node runs, `roster propose` says how to reach it, goes through its API, and a
/// second proposal for the same version is refused in favour of countersigning the first.
#[test]
fn roster_proposals_while_the_node_runs_go_through_its_api() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    ok(dir, &["countersign", "charter.rec", "--key", "boden.key"]);
    ok(dir, &["--data-dir", "n1", "init", "--charter", "charter.rec"]);
    let node = run(dir, "n1", (free_port(), free_port()), &[]);
    status_until(dir, &node, Duration::from_secs(30), |s| s["roster_version"] == 0);

    let set_host = ["roster", "propose", "--key", "lulea.key", "--set-host", "2582"];
    let err = fails(dir, &[&["--data-dir", "n1"], &set_host[..], &["--out", "p.rec"]].concat());
    assert!(err.contains("use --api URL"), "{err}");

    let out = ok(dir, &[&set_host[..], &["--api", &node.api]].concat());
    assert!(out.contains("for roster version 1 is pending"), "{out}");
    let first = after(&out, "proposal ").to_owned();
    let err = fails(dir, &["roster", "propose", "--api", &node.api, "--key", "boden.key", "--set-host", "2581"]);
    assert!(err.contains(&format!("roster version 1 is already proposed as {first} by member 2580")), "{err}");
    assert!(err.contains("countersign that one instead"), "{err}");
    let status = status_until(dir, &node, Duration::from_secs(5), |s| s["proposals"] == 1);
    assert_eq!(status["roster_version"], 0, "nothing adopted: {status}");
}

/// `samverka show FILE | head`: the reader goes away before the output is written; the command
/// ends successfully and quietly instead of panicking on the broken pipe.
#[test]
fn a_reader_that_closes_the_pipe_early_ends_show_quietly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    founded(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_samverka"))
        .current_dir(dir)
        .env_remove("SAMVERKA_CONFIG")
        .args(["show", "charter.rec"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the samverka binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("samverka show ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked") && stderr.is_empty(), "{stderr}");
}

#[test]
fn run_refuses_a_data_directory_without_a_federation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let err = fails(dir, &["--data-dir", "nonexistent", "run", "--api-listen", "127.0.0.1:0"]);
    assert!(err.contains("nonexistent holds no federation"), "{err}");
    assert!(err.contains("samverka --data-dir nonexistent init --charter FILE"), "{err}");
    assert!(!dir.join("nonexistent").exists(), "neither the directory nor a key was made");
}

#[test]
fn an_api_address_without_a_scheme_is_taken_as_http() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let port = free_port();
    let err = fails(dir, &["status", "--api", &format!("127.0.0.1:{port}")]);
    assert!(err.contains(&format!("no node answers at http://127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("relative URL"), "{err}");
    let err = fails(dir, &["status", "--api", "ftp://127.0.0.1:1"]);
    assert!(err.contains("not an http(s) address"), "{err}");
}
