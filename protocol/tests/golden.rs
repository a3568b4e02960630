//! Golden vectors: the exact bytes of a small federation's records and of the primitive encodings.
//!
//! The vectors live in `tests/vectors/*.json` so a change to the wire format shows in review and a
//! second implementation can test itself against them. `SAMVERKA_BLESS=1 cargo test` rewrites
//! them; without it any difference fails.

use std::path::PathBuf;

use samverka_protocol::charter::{DecisionRule, Majority, MemberKind, Role};
use samverka_protocol::crypto::{domain, Hash, Signature};
use samverka_protocol::encoding;
use samverka_protocol::record::{body_hash, record_id, Kind, Record, Verified};
use samverka_protocol::testkit::{self, Author, Federation};
use samverka_protocol::validate::{verify, verify_charter};

/// An ordered list of named hex (or, for `description`, text) values: one vector file.
#[derive(Default)]
struct Vectors(Vec<(String, String)>);

impl Vectors {
    fn text(&mut self, name: &str, value: &str) {
        assert!(!value.contains(['"', '\\', '\n']), "vector text stays plain");
        self.0.push((name.to_owned(), value.to_owned()));
    }

    fn hex(&mut self, name: &str, bytes: &[u8]) {
        self.text(name, &hex::encode(bytes));
    }

    fn to_json(&self) -> String {
        let lines: Vec<String> = self.0.iter().map(|(k, v)| format!("  \"{k}\": \"{v}\"")).collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    fn from_json(text: &str) -> Vectors {
        let inner =
            text.trim().strip_prefix('{').and_then(|t| t.strip_suffix('}')).expect("a vector file is one object");
        let pairs = inner
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let l = l.strip_suffix(',').unwrap_or(l);
                let (k, v) = l.split_once("\": \"").expect("each line is \"name\": \"value\"");
                let k = k.strip_prefix('"').expect("names are quoted");
                let v = v.strip_suffix('"').expect("values are quoted");
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Vectors(pairs)
    }

    /// Compares with the committed file, or rewrites it under `SAMVERKA_BLESS=1`.
    fn check(&self, file: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(file);
        if std::env::var_os("SAMVERKA_BLESS").is_some_and(|v| v == "1") {
            std::fs::write(&path, self.to_json()).expect("while writing a blessed vector file");
            return;
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}; run with SAMVERKA_BLESS=1 to create it", path.display()));
        let committed = Vectors::from_json(&committed);
        let names = |v: &Vectors| v.0.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(names(self), names(&committed), "{file}: the set of vectors changed");
        for ((name, got), (_, want)) in self.0.iter().zip(&committed.0) {
            assert_eq!(got, want, "{file}: vector {name:?} differs (SAMVERKA_BLESS=1 re-blesses if intended)");
        }
    }
}

/// The golden federation: three made-up kommuner, 1000 the host, a node key certified for 1001
/// in roster version 1, and a note by that node key.
struct Golden {
    fed: Federation,
    node: Author,
    note: Record<Verified>,
}

const FEDERATION_NAME: &str = "Samverka golden";
const NODE_LABEL: &str = "golden/1001/node";
const NOTE_TEXT: &str = "Hej från Kommun 1: driftstörning åtgärdad.";

fn golden() -> Golden {
    let mut fed = Federation::found(FEDERATION_NAME, &testkit::kommuner(3), "1000");
    let mut node = fed.certify_node("1001", NODE_LABEL);
    let note = node.next(fed.id(), 1, Kind::Note, NOTE_TEXT.as_bytes().to_vec());
    let note = verify(note, &fed.chain).expect("the golden note is valid");
    Golden { fed, node, note }
}

fn record_vectors(description: &str, record: &Record<Verified>, seed: &[u8; 32]) -> Vectors {
    let mut v = Vectors::default();
    let h = record.header();
    v.text("description", description);
    v.hex("author_seed", seed);
    v.hex("author_public_key", &h.author.0);
    v.hex("header", &h.encode());
    v.hex("signing_input", &h.signing_input());
    v.hex("signature", &record.signature().0);
    v.hex("record_id", &record.id().0);
    v.hex("body", record.body().unwrap_or_default());
    v.hex("body_hash", &h.body_hash.0);
    v.hex("record", record.bytes());
    v
}

/// Independent recomputation of the derived values, so the vectors cannot be self-consistent
/// nonsense: hashes and signing input are rebuilt here from the documented rules.
fn assert_derivations(record: &Record<Verified>) {
    let h = record.header();
    let header = encoding::encode(h);
    let mut input = b"samverka/v1/header\0".to_vec();
    input.extend_from_slice(&header);
    assert_eq!(h.signing_input(), input);
    assert!(h.author.verify_strict(&input, record.signature()));
    let mut id_input = b"samverka/v1/record-id\0".to_vec();
    id_input.extend_from_slice(&header);
    assert_eq!(record.id(), Hash::of(b"", &[&id_input]));
    assert_eq!(record.id(), record_id(h));
    if let Some(body) = record.body() {
        assert_eq!(h.body_hash, Hash::of(b"samverka/v1/body\0", &[body]));
        assert_eq!(h.body_hash, body_hash(body));
        assert_eq!(h.body_len as usize, body.len());
    }
    // The wire bytes are header, author signature, countersignatures, optional body.
    assert_eq!(&record.bytes()[..header.len()], &header[..]);
    assert_eq!(&record.bytes()[header.len()..header.len() + 64], &record.signature().0[..]);
}

#[test]
fn charter_bytes_match_the_golden_vector() {
    let g = golden();
    let host = &g.fed.orgs["1000"];
    let mut v = record_vectors(
        "Charter of Samverka golden: kommuner 1000 (host), 1001, 1002; authored by 1000, countersigned by 1001 and 1002",
        &g.fed.charter,
        &host.key.to_seed(),
    );
    for id in ["1001", "1002"] {
        let org = &g.fed.orgs[id];
        v.hex(&format!("countersigner_{id}_seed"), &org.key.to_seed());
        v.hex(&format!("countersigner_{id}_public_key"), &org.key.public().0);
    }
    assert_derivations(&g.fed.charter);
    assert_eq!(g.fed.charter.id(), g.fed.id(), "the charter's id is the federation id");
    v.check("charter.json");
}

#[test]
fn roster_update_bytes_match_the_golden_vector() {
    let g = golden();
    let update = &g.fed.updates[0];
    let v = record_vectors(
        "Roster version 1 of Samverka golden: 1001 certifies its node key; authored by 1001, countersigned by 1000 and 1002",
        update,
        &g.fed.orgs["1001"].key.to_seed(),
    );
    assert_derivations(update);
    assert_eq!(update.countersignatures().len(), 2);
    v.check("roster_update.json");
}

#[test]
fn note_bytes_match_the_golden_vector() {
    let g = golden();
    let mut v = record_vectors(
        "A note by the node key of 1001 at seq 0 under roster version 1",
        &g.note,
        &g.node.key.to_seed(),
    );
    v.hex("redacted_record", g.note.redacted().bytes());
    assert_derivations(&g.note);
    v.check("note.json");
}

#[test]
fn golden_records_decode_and_verify_from_their_bytes() {
    let g = golden();
    let charter = Record::decode(g.fed.charter.bytes()).expect("the charter decodes");
    let (charter, chain0) = verify_charter(charter).expect("the charter verifies");
    assert_eq!(charter.id(), g.fed.id());
    assert_eq!(chain0.current().members.len(), 3);
    let update = Record::decode(g.fed.updates[0].bytes()).expect("the update decodes");
    verify(update, &chain0).expect("the update verifies against version 0");
    let note = Record::decode(g.note.bytes()).expect("the note decodes");
    assert_eq!(note.body(), Some(NOTE_TEXT.as_bytes()));
    verify(note, &g.fed.chain).expect("the note verifies");
    let redacted = Record::decode(g.note.redacted().bytes()).expect("the redacted note decodes");
    assert_eq!(redacted.id(), g.note.id(), "redaction keeps the id");
    verify(redacted, &g.fed.chain).expect("the redacted note verifies");
}

#[test]
fn testkit_keys_are_derived_from_labels_as_documented() {
    let seed = Hash::of(b"samverka/testkit/key\0", &[NODE_LABEL.as_bytes()]).0;
    assert_eq!(testkit::key(NODE_LABEL).to_seed(), seed);
}

#[test]
fn domain_prefixes_match_the_golden_vector() {
    let mut v = Vectors::default();
    v.hex("header", domain::HEADER);
    v.hex("record_id", domain::RECORD_ID);
    v.hex("body", domain::BODY);
    v.hex("paper", domain::PAPER);
    v.check("domains.json");
}

#[test]
fn primitive_encodings_match_the_golden_vector() {
    let mut v = Vectors::default();
    for n in [0u64, 1, 127, 128, 255, 300, 16_384, u64::from(u32::MAX), u64::MAX] {
        v.hex(&format!("u64_{n}"), &encoding::encode(&n));
    }
    for n in [0u32, 300, u32::MAX] {
        v.hex(&format!("u32_{n}"), &encoding::encode(&n));
    }
    for n in [0u16, 300, u16::MAX] {
        v.hex(&format!("u16_{n}"), &encoding::encode(&n));
    }
    for n in [0u8, 200] {
        v.hex(&format!("u8_{n}"), &encoding::encode(&n));
    }
    for (name, n) in [("0", 0i64), ("1", 1), ("minus_1", -1), ("minus_64", -64), ("64", 64), ("t0", testkit::T0_MS)] {
        v.hex(&format!("i64_{name}"), &encoding::encode(&n));
    }
    v.hex("bool_false", &encoding::encode(&false));
    v.hex("bool_true", &encoding::encode(&true));
    v.hex("string_empty", &encoding::encode(&""));
    v.hex("string_lulea", &encoding::encode(&"Luleå"));
    v.hex("option_u64_none", &encoding::encode(&None::<u64>));
    v.hex("option_u64_some_300", &encoding::encode(&Some(300u64)));
    v.hex("vec_u64_1_300", &encoding::encode(&vec![1u64, 300]));
    for kind in [Kind::Charter, Kind::RosterUpdate, Kind::Note, Kind::Vote, Kind::OutageNotice] {
        v.hex(&format!("kind_{}", kind.name()), &encoding::encode(&kind));
    }
    v.hex("role_objektspecialist", &encoding::encode(&Role::Objektspecialist));
    v.hex("member_kind_region", &encoding::encode(&MemberKind::Region));
    v.hex(
        "decision_rule_50_two_thirds",
        &encoding::encode(&DecisionRule {
            quorum_percent: 50,
            majority: Majority::Qualified { numerator: 2, denominator: 3 },
        }),
    );
    v.hex("hash_zero", &encoding::encode(&Hash::ZERO));
    v.hex("signature_0_to_63", &encoding::encode(&Signature(std::array::from_fn(|i| i as u8))));
    // Hand-checked anchors, independent of the files: if these fail the file cannot be right.
    assert_eq!(encoding::encode(&0u64), [0x00]);
    assert_eq!(encoding::encode(&127u64), [0x7f]);
    assert_eq!(encoding::encode(&128u64), [0x80, 0x01]);
    assert_eq!(encoding::encode(&300u64), [0xac, 0x02]);
    assert_eq!(encoding::encode(&-1i64), [0x01]);
    assert_eq!(encoding::encode(&Some(300u64)), [0x01, 0xac, 0x02]);
    assert_eq!(encoding::encode(&"Luleå"), [0x06, b'L', b'u', b'l', b'e', 0xc3, 0xa5]);
    assert_eq!(encoding::encode(&Kind::OutageNotice), [51]);
    v.check("primitives.json");
}
