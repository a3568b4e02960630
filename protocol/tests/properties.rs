//! Property tests: canonical encoding round-trips, hostile bytes never panic, any single bit
//! flip is refused, and the roster chain stays one sequential line whatever updates arrive.

use std::collections::BTreeSet;

use proptest::prelude::*;
use samverka_protocol::charter::{Member, MemberKind};
use samverka_protocol::crypto::{Hash, SigningKey};
use samverka_protocol::encoding;
use samverka_protocol::evidence::{Equivocation, SignedHeader};
use samverka_protocol::record::{Body, Draft, Header, Kind, Record, Unverified};
use samverka_protocol::roster::{Change, KeyKind, RosterChain};
use samverka_protocol::testkit::{self, key, Author, Federation};
use samverka_protocol::validate::{verify, verify_charter, verify_many, NoLookup, Rejection};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

fn any_kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(Kind::ALL.to_vec())
}

prop_compose! {
    fn any_draft()(
        label in 0u8..4,
        federation in any::<[u8; 32]>(),
        seq in any::<u64>(),
        prev in any::<Option<[u8; 32]>>(),
        roster in any::<u64>(),
        kind in any_kind(),
        body in prop::collection::vec(any::<u8>(), 0..600),
        time_ms in any::<i64>(),
    ) -> (SigningKey, Draft) {
        let key = key(&format!("prop/{label}"));
        let draft = Draft::new(Hash(federation), key.public(), seq, prev.map(Hash), roster, kind, body, time_ms);
        (key, draft)
    }
}

/// Checks a record decoded from bytes is field for field the record that made them.
fn assert_same<A, B>(decoded: &Record<A>, original: &Record<B>) {
    assert_eq!(decoded.header(), original.header());
    assert_eq!(decoded.signature(), original.signature());
    assert_eq!(decoded.countersignatures(), original.countersignatures());
    assert_eq!(decoded.body(), original.body());
    assert_eq!(decoded.id(), original.id());
    assert_eq!(decoded.bytes(), original.bytes());
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn decode_of_encode_is_the_record((key, draft) in any_draft(), cosigners in 0usize..4) {
        let mut record = draft.sign(&key);
        for i in 0..cosigners {
            record = record.countersign(&testkit::key(&format!("prop/cosigner/{i}")));
        }
        let decoded = Record::decode(record.bytes()).expect("a signed record decodes");
        assert_same(&decoded, &record);
        let header: Header = encoding::decode("header", &draft.header.encode(), 1024).expect("a header decodes");
        prop_assert_eq!(&header, &draft.header);
        let again: Draft = encoding::decode("draft", &encoding::encode(&draft), 1 << 20).expect("a draft decodes");
        prop_assert_eq!(again, draft);
    }

    #[test]
    fn arbitrary_bytes_never_panic_in_decode_or_verify(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
        let fed = fixture();
        if let Ok(record) = Record::decode(&bytes) {
            let _ = verify(record.clone(), &fed.fed.chain);
            let _ = verify_charter(record);
        }
    }

    #[test]
    fn edited_record_bytes_never_panic_and_never_verify(
        which in 0usize..6,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let fx = fixture();
        let (original, chain) = fx.case(which);
        let mut bytes = original.bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if !bytes.is_empty() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                2 if !bytes.is_empty() => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        if bytes == original.bytes() {
            return Ok(());
        }
        let verdict = Record::decode(&bytes).map_err(Rejection::from).and_then(|r| judge(r, chain));
        // The id does not cover the body or the countersignatures, so different bytes with the
        // same id may verify only as the original with its body dropped (a redaction) or with
        // fewer of its own countersignatures; anything else is a forgery that verified.
        if let Ok(id) = verdict {
            let edited = Record::decode(&bytes).expect("it verified, so it decoded");
            let subset = edited.countersignatures().iter().all(|c| original.countersignatures().contains(c));
            let body_kept_or_dropped = edited.body().is_none() || edited.body() == original.body();
            prop_assert!(
                id != original.id() || (subset && body_kept_or_dropped),
                "edited bytes of {} verified with the same id", original.id()
            );
        }
    }

    #[test]
    fn any_bit_flip_of_a_note_with_an_arbitrary_body_fails(
        body in prop::collection::vec(any::<u8>(), 0..300),
        bit in any::<prop::sample::Index>(),
    ) {
        let fx = fixture();
        let mut node = fx.node.clone();
        let body = String::from_utf8_lossy(&body).into_owned().into_bytes();
        let record = node.next(fx.fed.id(), 1, Kind::Note, body);
        prop_assert!(verify(record.clone(), &fx.fed.chain).is_ok());
        let bit = bit.index(record.bytes().len() * 8);
        prop_assert!(flip_is_refused(&record, bit, &fx.fed.chain).is_ok(), "bit {} was not refused", bit);
    }
}

// --- Fixture: one federation with one record of each verifiable shape ------------------------

struct Fixture {
    fed: Federation,
    /// The federation before the roster update, to judge the update as the next version.
    before_update: RosterChain,
    node: Author,
    note: Record<Unverified>,
    redacted: Record<Unverified>,
    update: Record<Unverified>,
    evidence: Record<Unverified>,
}

/// How a fixture record is judged: against a chain, or as a charter.
enum Judge<'a> {
    Chain(&'a RosterChain),
    Charter,
}

fn judge(record: Record<Unverified>, judge: Judge<'_>) -> Result<Hash, Rejection> {
    match judge {
        Judge::Chain(chain) => verify(record, chain).map(|r| r.id()),
        Judge::Charter => verify_charter(record).map(|(r, _)| r.id()),
    }
}

impl Fixture {
    fn case(&self, which: usize) -> (Record<Unverified>, Judge<'_>) {
        match which {
            0 => (self.fed.charter.to_unverified(), Judge::Charter),
            1 => (self.note.clone(), Judge::Chain(&self.fed.chain)),
            2 => (self.redacted.clone(), Judge::Chain(&self.fed.chain)),
            3 => (self.update.clone(), Judge::Chain(&self.before_update)),
            4 => (self.update.clone(), Judge::Chain(&self.fed.chain)),
            _ => (self.evidence.clone(), Judge::Chain(&self.fed.chain)),
        }
    }
}

fn fixture() -> Fixture {
    let mut fed = Federation::found("Egenskaper", &testkit::kommuner(3), "1000");
    let before_update = fed.chain.clone();
    let mut node = fed.certify_node("1001", "prop/1001/node");
    let update = fed.updates[0].to_unverified();
    let note = node.next(fed.id(), 1, Kind::Note, "Driftstörning i kväll.".as_bytes().to_vec());
    let redacted = verify(note.clone(), &fed.chain).expect("the note verifies").redacted().to_unverified();
    let twin = Author::new(node.key.clone()).next(fed.id(), 1, Kind::Note, b"annan text".to_vec());
    let signed = |r: &Record<Unverified>| SignedHeader { header: r.header().clone(), signature: *r.signature() };
    let evidence = Equivocation::new(signed(&note), signed(&twin));
    let mut reporter = fed.orgs["1002"].clone();
    let evidence = reporter.next(fed.id(), 1, Kind::Equivocation, evidence.to_bytes());
    let fx = Fixture { fed, before_update, node, note, redacted, update, evidence };
    for which in 0..6 {
        let (record, chain) = fx.case(which);
        assert!(judge(record, chain).is_ok(), "fixture case {which} verifies unchanged");
    }
    fx
}

/// Flips `bit` of the record's bytes; Ok when decoding or verification refuses the result.
fn flip_is_refused(record: &Record<Unverified>, bit: usize, chain: &RosterChain) -> Result<(), String> {
    flip_is_refused_by(record, bit, Judge::Chain(chain))
}

fn flip_is_refused_by(record: &Record<Unverified>, bit: usize, by: Judge<'_>) -> Result<(), String> {
    let mut bytes = record.bytes().to_vec();
    bytes[bit / 8] ^= 1 << (bit % 8);
    match Record::decode(&bytes) {
        Err(_) => Ok(()),
        Ok(flipped) => match judge(flipped, by) {
            Err(_) => Ok(()),
            Ok(id) => Err(format!("flipping bit {bit} (byte {}) still verifies, as {id}", bit / 8)),
        },
    }
}

#[test]
fn every_single_bit_flip_of_every_fixture_record_is_refused() {
    let fx = fixture();
    let mut checked = 0;
    for which in 0..6 {
        let (record, _) = fx.case(which);
        for bit in 0..record.bytes().len() * 8 {
            let (_, by) = fx.case(which);
            if let Err(e) = flip_is_refused_by(&record, bit, by) {
                panic!("fixture case {which}: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked > 10_000, "every bit of six records, {checked} flips");
}

// --- The roster chain under random updates ---------------------------------------------------

/// One attempt to change the roster.
#[derive(Clone, Debug)]
enum Step {
    /// A member certifies a node key for `member`; self-service when `signer == member`.
    Certify { member: usize, signer: usize, key: u8 },
    /// Admit a new kommun, signed by `signers` members.
    Add { key: u8, signers: usize },
    /// Remove a member (the host cannot be), signed by `signers` members.
    Remove { member: usize, signers: usize },
    /// Propose a certification now and keep it for a later `Release` (it goes stale).
    Hold { member: usize, key: u8 },
    /// Apply the held proposal.
    Release,
    /// Apply an update that was already applied.
    Replay { index: usize },
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..8, 0usize..8, 0u8..12).prop_map(|(member, signer, key)| Step::Certify { member, signer, key }),
        (0u8..12, 0usize..8).prop_map(|(key, signers)| Step::Add { key, signers }),
        (0usize..8, 0usize..8).prop_map(|(member, signers)| Step::Remove { member, signers }),
        (0usize..8, 0u8..12).prop_map(|(member, key)| Step::Hold { member, key }),
        Just(Step::Release),
        (0usize..8).prop_map(|index| Step::Replay { index }),
    ]
}

struct Model {
    fed: Federation,
    held: Option<Record<Unverified>>,
}

impl Model {
    fn members(&self) -> Vec<String> {
        self.fed.chain.current().members.keys().cloned().collect()
    }

    fn member(&self, i: usize) -> String {
        let members = self.members();
        members[i % members.len()].clone()
    }

    /// Proposed by the first of `signers` members and countersigned by the rest.
    fn signed_by(&mut self, signers: usize, changes: Vec<Change>) -> Record<Unverified> {
        let members = self.members();
        let signers = signers.clamp(1, members.len());
        let record = self.fed.propose(&members[0], changes);
        members[1..signers].iter().fold(record, |r, m| r.countersign(&self.fed.orgs[m].key))
    }

    fn step(&mut self, step: Step) -> Result<(), Rejection> {
        match step {
            Step::Certify { member, signer, key } => {
                let (member, signer) = (self.member(member), self.member(signer));
                let change = node_key(&member, key);
                let record = self.fed.propose(&signer, vec![change]);
                self.fed.apply(record).map(drop)
            }
            Step::Add { key, signers } => {
                let id = format!("{:04}", 3000 + u32::from(key));
                let org = testkit::key(&format!("prop/add/{id}"));
                self.fed.orgs.insert(id.clone(), Author::new(org.clone()));
                let member = Member { id: id.clone(), name: format!("Kommun {id}"), kind: MemberKind::Kommun };
                let record = self.signed_by(signers, vec![Change::AddMember { member, org_key: org.public() }]);
                self.fed.apply(record).map(drop)
            }
            Step::Remove { member, signers } => {
                let member = self.member(member);
                let record = self.signed_by(signers, vec![Change::RemoveMember { member }]);
                self.fed.apply(record).map(drop)
            }
            Step::Hold { member, key } => {
                let member = self.member(member);
                self.held = Some(self.fed.propose(&member, vec![node_key(&member, key)]));
                Ok(())
            }
            Step::Release => match self.held.take() {
                Some(record) => self.fed.apply(record).map(drop),
                None => Ok(()),
            },
            Step::Replay { index } => match self.fed.updates.get(index).cloned() {
                Some(done) => {
                    let result = self.fed.apply(done.to_unverified()).map(drop);
                    assert!(
                        matches!(result, Err(Rejection::CompetingRosterVersion { .. })),
                        "a replayed version is never appended again: {result:?}"
                    );
                    result
                }
                None => Ok(()),
            },
        }
    }
}

fn node_key(member: &str, key: u8) -> Change {
    let key = testkit::key(&format!("prop/node/{key}")).public();
    Change::CertifyKey { member: member.into(), key, kind: KeyKind::Node }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn roster_versions_stay_one_sequential_line(steps in prop::collection::vec(any_step(), 1..24)) {
        let mut model = Model { fed: Federation::found("Kedja", &testkit::kommuner(5), "1000"), held: None };
        let mut appended = 0usize;
        for step in steps {
            let before = model.fed.chain.versions().len();
            let result = model.step(step.clone());
            let after = model.fed.chain.versions().len();
            match result {
                Ok(()) if after == before + 1 => appended += 1,
                Ok(()) => prop_assert_eq!(after, before, "{:?} changed nothing", step),
                Err(_) => prop_assert_eq!(after, before, "a refused {:?} left the chain as it was", step),
            }
            let versions = model.fed.chain.versions();
            for (i, roster) in versions.iter().enumerate() {
                prop_assert_eq!(roster.version, i as u64, "versions are numbered 0, 1, 2, … with no gap");
            }
            let heads: BTreeSet<Hash> = versions.iter().map(|r| r.head).collect();
            prop_assert_eq!(heads.len(), versions.len(), "no two versions share a head record");
            for (roster, update) in versions[1..].iter().zip(&model.fed.updates) {
                prop_assert_eq!(roster.head, update.id());
            }
            let current = model.fed.chain.current();
            prop_assert!(current.members.contains_key(&current.host), "the host is always a member");
        }
        prop_assert_eq!(model.fed.chain.versions().len(), appended + 1);
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Batched verification judges every record exactly as one-by-one verification does, whatever
    /// mix of valid and damaged records a batch holds (70 records: across a batch boundary).
    #[test]
    fn verify_many_agrees_with_verify_record_by_record(
        flips in prop::collection::vec((0usize..70, any::<usize>()), 0..6),
    ) {
        let fx = fixture();
        let mut node = fx.node.clone();
        let mut records: Vec<Record<Unverified>> = (0..70)
            .map(|i| node.next(fx.fed.id(), 1, Kind::Note, format!("anteckning {i}").into_bytes()))
            .collect();
        for (which, bit) in flips {
            let mut bytes = records[which].bytes().to_vec();
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            if let Ok(flipped) = Record::decode(&bytes) {
                records[which] = flipped;
            }
        }
        let one_by_one: Vec<_> = records.iter().map(|r| verify(r.clone(), &fx.fed.chain).map(|v| v.id())).collect();
        let batched: Vec<_> =
            verify_many(records, &fx.fed.chain, &NoLookup).into_iter().map(|r| r.map(|v| v.id())).collect();
        prop_assert_eq!(batched, one_by_one);
    }
}
