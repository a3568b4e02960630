//! CLI transcripts: the commands an operator types, run as the real binary.

use std::path::Path;
use std::process::{Command, Output};

fn samverka(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samverka"))
        .current_dir(dir)
        .env_remove("SAMVERKA_CONFIG")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("the samverka binary runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = samverka(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "samverka {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = samverka(dir, args);
    assert!(!out.status.success(), "samverka {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
    assert!(out.starts_with("Stored"), "{out}");
    let shown = ok(dir, &["show", "node.rec"]);
    assert!(shown.contains("kind:       roster-update"), "{shown}");

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
