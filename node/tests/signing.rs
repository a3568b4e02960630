//! `samverka sign` against a live node: a record the node refuses never takes a position in the
//! signer's chain, a record signed to a file is sent again before the next one, and a chain file
//! left from another federation is detected with an error that says what to do.

mod support;

use std::path::{Path, PathBuf};

use samverka_protocol::testkit::{self, Federation};
use samverka_protocol::Role;
use support::ledger_with;

/// A node serving the API on a loopback port, with a förvaltare's key file in `dir`.
struct Node {
    api: String,
    key: String,
    ledger: std::sync::Arc<samverka_node::ledger::Ledger>,
    public: samverka_protocol::PublicKey,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

async fn node(dir: &Path, federation: &str) -> Node {
    let mut fed = Federation::found(federation, &testkit::kommuner(3), "1000");
    let forvaltare = fed.certify_person("1000", &format!("{federation}/forvaltare"), &[Role::Forvaltare]);
    let node_key = fed.certify_node("1000", &format!("{federation}/node"));
    let (store, ledger) = ledger_with(&fed);
    let router = support::router_with(&ledger, node_key.key, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serves");
    });
    let key: PathBuf = dir.join("forvaltare.key");
    // A new federation's key replaces an older one here; its chain file stays.
    let _ = std::fs::remove_file(&key);
    samverka_node::keyfile::write_secret(&key, "förvaltare", &forvaltare.key).expect("key file written");
    Node { api, key: key.display().to_string(), ledger, public: forvaltare.key.public(), _dir: store, _server: server }
}

/// Runs `samverka sign --key KEY --api API WHAT…`, returning (success, stdout, stderr).
async fn sign(node: &Node, extra: &[&str], what: &[&str]) -> (bool, String, String) {
    let mut args: Vec<String> =
        ["sign", "--key", &node.key, "--api", &node.api].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(what.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_samverka")).args(&args).output().expect("runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    })
    .await
    .expect("finished")
}

fn matter(title: &str) -> Vec<&str> {
    vec!["matter", "--kind", "ovrigt", "--title", title, "--proposal", "Styrgruppen beslutar enligt förslaget."]
}

fn head(node: &Node) -> Option<u64> {
    node.ledger.store().head(&node.public).expect("head reads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_node_refuses_leaves_no_hole_in_the_signers_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node(dir.path(), "Hål").await;
    let (ok, out, err) = sign(&node, &[], &matter("Första ärendet")).await;
    assert!(ok && out.trim_end().ends_with(" stored"), "{out}{err}");
    let first = out.split(' ').nth(1).expect("the id").to_owned();

    // A meeting called for today breaks the notice rule: refused, and the position stays free.
    let today = jiff::Zoned::now().date().to_string();
    let meeting = ["meeting", "--date", &today, "--place", "Luleå", "--matter", &first];
    let (ok, out, err) = sign(&node, &[], &meeting).await;
    assert!(!ok, "{out}");
    assert!(err.contains("chain is unchanged") && err.contains("notice_too_short"), "{err}");

    // The next record takes that position and reaches the node; the chain stays gapless.
    let (ok, out, err) = sign(&node, &[], &matter("Andra ärendet")).await;
    assert!(ok && out.trim_end().ends_with(" stored"), "{out}{err}");
    assert_eq!(head(&node), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_signed_to_a_file_and_never_sent_is_sent_before_the_next_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node(dir.path(), "Fil").await;
    let file = dir.path().join("matter.rec").display().to_string();
    let (ok, out, err) = sign(&node, &["--out", &file], &matter("Till fil")).await;
    assert!(ok, "{out}{err}");
    assert_eq!(head(&node), None, "written to the file, not sent");
    let (ok, out, err) = sign(&node, &[], &matter("Nästa")).await;
    assert!(ok && out.trim_end().ends_with(" stored"), "{out}{err}");
    assert!(err.contains("had not reached the node"), "{err}");
    assert_eq!(head(&node), Some(1), "both records stored, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_file_from_another_federation_is_detected_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = node(dir.path(), "Gammal").await;
    let (ok, out, err) = sign(&old, &[], &matter("I den gamla")).await;
    assert!(ok, "{out}{err}");
    // A new federation's key file in the same place: the old chain file is still beside it.
    let new = node(dir.path(), "Ny").await;
    let (ok, out, err) = sign(&new, &[], &matter("I den nya")).await;
    assert!(!ok, "{out}");
    assert!(err.contains("left from an earlier federation") && err.contains("mv "), "{err}");
    assert_eq!(head(&new), None);
}
