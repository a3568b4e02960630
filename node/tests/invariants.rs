//! The architecture's invariants that can be read off the source (ARCHITECTURE.md § Invariants).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Files of the node library (not its benchmark binaries) that mention `needle` in code.
fn library_files_using(needle: &str) -> Vec<String> {
    let src = root().join("node/src");
    rust_files(&src)
        .into_iter()
        .filter(|p| !p.starts_with(src.join("bin")))
        .filter(|p| {
            std::fs::read_to_string(p)
                .expect("readable")
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains(needle))
        })
        .map(|p| p.strip_prefix(&src).expect("under src").display().to_string())
        .collect()
}

#[test]
fn only_storage_imports_sled() {
    assert_eq!(library_files_using("sled::"), vec!["storage.rs".to_string()]);
}

#[test]
fn only_network_imports_libp2p() {
    for file in library_files_using("libp2p::") {
        assert!(file == "network.rs" || file.starts_with("network/"), "{file} uses libp2p");
    }
}

#[test]
fn protocol_depends_on_no_runtime_network_storage_or_web_crate() {
    let manifest = std::fs::read_to_string(root().join("protocol/Cargo.toml")).expect("protocol manifest");
    let deps = manifest.split("[dependencies]").nth(1).expect("a dependencies table");
    let deps = deps.split("\n[").next().expect("the table");
    for forbidden in ["tokio", "libp2p", "sled", "axum", "rand"] {
        assert!(!deps.lines().any(|l| l.starts_with(forbidden)), "protocol depends on {forbidden}");
    }
}

#[test]
fn protocol_never_reads_the_clock_or_does_io() {
    for file in rust_files(&root().join("protocol/src")) {
        let text = std::fs::read_to_string(&file).expect("readable");
        for forbidden in ["SystemTime", "Instant::now", "std::fs", "std::net", "thread_rng", "OsRng"] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
        }
    }
}
