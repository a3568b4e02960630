//! A process killed with SIGKILL while writing loses no acknowledged record and reopens cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use samverka_node::ledger::Ledger;
use samverka_protocol::Hash;

#[test]
fn sigkill_mid_write_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    for round in 0..3 {
        let round_dir = store.join(format!("round{round}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_samverka-bench"))
            .args(["crash-writer", "--data"])
            .arg(&round_dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the writer starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut acked = Vec::new();
        let deadline = Instant::now() + Duration::from_millis(700 + 400 * round);
        let mut lines = BufReader::new(stdout).lines();
        while Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => acked.push(Hash::from_hex(line.trim()).expect("the writer prints record ids")),
                _ => break,
            }
        }
        child.kill().expect("SIGKILL the writer");
        // Ids printed after the deadline were acknowledged too: read what is left in the pipe.
        for line in lines.map_while(Result::ok) {
            acked.push(Hash::from_hex(line.trim()).expect("record id"));
        }
        child.wait().expect("reaped");
        assert!(acked.len() > 50, "round {round}: the writer acknowledged only {} records", acked.len());

        let ledger = Ledger::open(&round_dir, 8 << 20).expect("the store reopens cleanly after SIGKILL");
        for id in &acked {
            assert!(ledger.store().contains(id).expect("readable"), "round {round}: acknowledged record {id} was lost");
        }
        assert!(ledger.store().count().expect("count") >= acked.len() as u64);
        assert!(ledger.federation().is_some(), "the roster chain is rebuilt after the crash");
    }
}
