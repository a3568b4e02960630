//! One accept and one reject case per validation rule, each asserting the exact [`Rejection`].
//!
//! The federations come from `testkit`: keys derived from labels, so every run signs the same
//! bytes. Headers the testkit would never make are built from a [`Draft`] and signed here.

use samverka_protocol::charter::{Charter, Founder, Member, MemberKind, Role, Rules};
use samverka_protocol::crypto::{Hash, PublicKey, Signature, SigningKey};
use samverka_protocol::encoding::{DecodeError, MAX_TEXT_BYTES};
use samverka_protocol::evidence::{Equivocation, Redaction, SignedHeader};
use samverka_protocol::record::{Body, Countersignature, Draft, Kind, Record, Unverified};
use samverka_protocol::roster::{Change, KeyKind, RosterUpdate};
use samverka_protocol::testkit::{self, key, Author, Federation, T0_MS};
use samverka_protocol::validate::{self, verify, verify_charter, Rejection};

const HOST: &str = "1000";

/// Three kommuner, 1000 the host, standard rules (a roster version needs 2 of 3).
fn fed3() -> Federation {
    Federation::found("Regler", &testkit::kommuner(3), HOST)
}

/// Norrbotten's 14 kommuner, Luleå the host: a roster version needs 8.
fn norrbotten() -> Federation {
    Federation::found("Ekosystem", &testkit::norrbotten(), "2580")
}

fn org(fed: &Federation, member: &str) -> SigningKey {
    fed.orgs[member].key.clone()
}

fn note(author: &mut Author, fed: &Federation, roster: u64) -> Record<Unverified> {
    author.next(fed.id(), roster, Kind::Note, "Mötet flyttas till tisdag.".as_bytes().to_vec())
}

/// A record by `key` at seq 0 under the current roster, after `edit` changed its draft.
fn signed(
    fed: &Federation,
    key: &SigningKey,
    kind: Kind,
    body: &[u8],
    edit: impl FnOnce(&mut Draft),
) -> Record<Unverified> {
    let mut draft = Draft::new(fed.id(), key.public(), 0, None, fed.version(), kind, body.to_vec(), T0_MS);
    edit(&mut draft);
    draft.sign(key)
}

/// The record's bytes with one byte xored by `mask`, decoded again.
fn tampered<S>(record: &Record<S>, at: usize, mask: u8) -> Record<Unverified> {
    let mut bytes = record.bytes().to_vec();
    bytes[at] ^= mask;
    Record::decode(&bytes).expect("the tampered bytes still decode")
}

fn header_len<S>(record: &Record<S>) -> usize {
    record.header().encode().len()
}

/// A roster-update record by `proposer` with an explicit body, countersigned by every member.
fn update_record(fed: &mut Federation, proposer: &str, update: &RosterUpdate) -> Record<Unverified> {
    let (federation, version) = (fed.id(), fed.version());
    let author = fed.orgs.get_mut(proposer).expect("the proposer is a member");
    let record = author.next(federation, version, Kind::RosterUpdate, update.to_bytes());
    fed.countersign_all(record, proposer)
}

/// A three-member charter record after `edit`, authored by the host's organisation key and not
/// yet countersigned, with every founder's key.
fn charter_record(edit: impl FnOnce(&mut Charter)) -> (Record<Unverified>, Vec<SigningKey>) {
    let members = testkit::kommuner(3);
    let keys: Vec<SigningKey> = members.iter().map(|m| key(&format!("charter/{}", m.id))).collect();
    let mut charter = Charter {
        name: "Regler".into(),
        system: "WebCare".into(),
        founders: members.iter().zip(&keys).map(|(m, k)| Founder { member: m.clone(), org_key: k.public() }).collect(),
        host: HOST.into(),
        rules: Rules::standard(),
        roles: Role::ALL.to_vec(),
    };
    edit(&mut charter);
    let record = Author::new(keys[0].clone()).next(Hash::ZERO, 0, Kind::Charter, charter.to_bytes());
    (record, keys)
}

fn person(roles: &[Role]) -> KeyKind {
    KeyKind::Person { roles: roles.to_vec(), valid_from_ms: None, valid_until_ms: None }
}

fn region() -> Member {
    Member { id: "232100-0230".into(), name: "Region Norrbotten".into(), kind: MemberKind::Region }
}

// --- Format, federation, roster version, chain position ---------------------------------------

#[test]
fn accepts_note_in_format_1_by_a_member_organisation_key() {
    let fed = fed3();
    let mut host = fed.orgs[HOST].clone();
    let record = note(&mut host, &fed, 0);
    assert_eq!(verify(record, &fed.chain).map(|r| r.header().format), Ok(1));
}

#[test]
fn rejects_record_in_an_unknown_format() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.format = 2);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::UnsupportedFormat { format: 2 }));
}

#[test]
fn rejects_record_naming_another_federation() {
    let fed = fed3();
    let other = Hash([7; 32]);
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.federation = other);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::WrongFederation { expected: fed.id(), got: other }));
}

#[test]
fn accepts_record_naming_an_older_roster_version() {
    let mut fed = fed3();
    fed.certify_node("1001", "regler/1001/node");
    assert_eq!(fed.version(), 1);
    let mut host = fed.orgs[HOST].clone();
    assert!(verify(note(&mut host, &fed, 0), &fed.chain).is_ok());
}

#[test]
fn parks_record_naming_a_roster_version_not_yet_known() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.roster = 1);
    let rejection = verify(record, &fed.chain).expect_err("version 1 does not exist yet");
    assert_eq!(rejection, Rejection::UnknownRosterVersion { named: 1, current: 0 });
    assert!(rejection.is_pending(), "a record from the future waits rather than counting against the peer");
}

#[test]
fn accepts_second_record_naming_its_predecessor() {
    let fed = fed3();
    let mut host = Author::new(org(&fed, "1001"));
    verify(note(&mut host, &fed, 0), &fed.chain).expect("seq 0 without predecessor");
    let second = note(&mut host, &fed, 0);
    assert_eq!(second.header().seq, 1);
    assert!(verify(second, &fed.chain).is_ok());
}

#[test]
fn rejects_seq_0_naming_a_previous_record() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.prev = Some(Hash([1; 32])));
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::BadChainPosition { seq: 0, has_prev: true }));
}

#[test]
fn rejects_later_seq_without_a_previous_record() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.seq = 3);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::BadChainPosition { seq: 3, has_prev: false }));
}

// --- Authors: roster membership, revocation, validity period ----------------------------------

#[test]
fn accepts_record_by_a_certified_node_key() {
    let mut fed = fed3();
    let mut node = fed.certify_node("1001", "regler/1001/node");
    assert!(verify(note(&mut node, &fed, 1), &fed.chain).is_ok());
}

#[test]
fn rejects_record_by_a_key_not_in_the_roster() {
    let fed = fed3();
    let stranger = key("stranger");
    let record = signed(&fed, &stranger, Kind::Note, b"hej", |_| ());
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::UnknownAuthor { key: stranger.public(), roster: 0 }));
}

#[test]
fn rejects_node_key_record_naming_a_version_before_its_certification() {
    let mut fed = fed3();
    let mut node = fed.certify_node("1001", "regler/1001/node");
    let record = note(&mut node, &fed, 0);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::UnknownAuthor { key: node.key.public(), roster: 0 }));
}

/// 1001's node writes seqs 0, 1, 2 under version 1; version 2 revokes it as compromised from seq 2.
fn revoked_node() -> (Federation, Vec<Record<Unverified>>, PublicKey) {
    let mut fed = fed3();
    let mut node = fed.certify_node("1001", "regler/1001/node");
    let records: Vec<_> = (0..3).map(|_| note(&mut node, &fed, 1)).collect();
    let key = node.key.public();
    let revoke = fed.propose("1001", vec![Change::RevokeKey { key, compromised_since_seq: 2 }]);
    fed.apply(revoke).expect("a member revokes its own node key with its organisation key alone");
    (fed, records, key)
}

#[test]
fn accepts_record_from_revoked_key_before_compromise_seq() {
    let (fed, records, _) = revoked_node();
    assert!(verify(records[1].clone(), &fed.chain).is_ok());
}

#[test]
fn rejects_record_from_revoked_key_after_compromise_seq() {
    let (fed, records, key) = revoked_node();
    assert_eq!(verify(records[2].clone(), &fed.chain).err(), Some(Rejection::RevokedKey { key, since: 2, seq: 2 }));
}

#[test]
fn rejects_record_from_revoked_key_under_a_version_after_revocation() {
    let (fed, _, key) = revoked_node();
    let record = Draft::new(fed.id(), key, 0, None, 2, Kind::Note, b"hej".to_vec(), T0_MS)
        .sign(&testkit::key("regler/1001/node"));
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::UnknownAuthor { key, roster: 2 }));
}

/// 1001's objektspecialist holds a key valid from T0 to T0 + 10 ms.
fn bounded_person() -> (Federation, SigningKey) {
    let mut fed = fed3();
    let person = key("regler/1001/specialist");
    let kind = KeyKind::Person {
        roles: vec![Role::Objektspecialist],
        valid_from_ms: Some(T0_MS),
        valid_until_ms: Some(T0_MS + 10),
    };
    fed.update("1001", vec![Change::CertifyKey { member: "1001".into(), key: person.public(), kind }])
        .expect("certifying a bounded person key");
    (fed, person)
}

#[test]
fn accepts_person_key_record_on_the_last_millisecond_of_validity() {
    let (fed, person) = bounded_person();
    let record = signed(&fed, &person, Kind::Note, b"hej", |d| d.header.time_ms = T0_MS + 10);
    assert!(verify(record, &fed.chain).is_ok());
}

#[test]
fn rejects_person_key_record_after_valid_until() {
    let (fed, person) = bounded_person();
    let record = signed(&fed, &person, Kind::Note, b"hej", |d| d.header.time_ms = T0_MS + 11);
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::KeyExpired { key: person.public(), time_ms: T0_MS + 11 })
    );
}

#[test]
fn rejects_person_key_record_before_valid_from() {
    let (fed, person) = bounded_person();
    let record = signed(&fed, &person, Kind::Note, b"hej", |d| d.header.time_ms = T0_MS - 1);
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::KeyExpired { key: person.public(), time_ms: T0_MS - 1 })
    );
}

// --- Authorisation ----------------------------------------------------------------------------

#[test]
fn rejects_roster_update_authored_by_an_objektspecialist() {
    let mut fed = fed3();
    let mut specialist = fed.certify_person("1001", "regler/1001/specialist", &[Role::Objektspecialist]);
    let update = RosterUpdate {
        version: 2,
        previous: fed.chain.current().head,
        changes: vec![Change::SetHost { member: "1001".into() }],
        reason: "kupp".into(),
    };
    let record = specialist.next(fed.id(), 1, Kind::RosterUpdate, update.to_bytes());
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::NotAuthorised {
            key: specialist.key.public(),
            member: "1001".into(),
            kind: Kind::RosterUpdate
        })
    );
}

#[test]
fn rejects_vote_by_a_key_without_a_styrgrupp_role() {
    let mut fed = fed3();
    let mut specialist = fed.certify_person("1001", "regler/1001/specialist", &[Role::Objektspecialist]);
    let record = specialist.next(fed.id(), 1, Kind::Vote, vec![0]);
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::NotAuthorised { key: specialist.key.public(), member: "1001".into(), kind: Kind::Vote })
    );
}

#[test]
fn permits_vote_by_styrgrupp_ordinarie_and_ersattare() {
    let mut fed = fed3();
    let ordinarie = fed.certify_person("1001", "regler/1001/ordinarie", &[Role::StyrgruppOrdinarie]);
    let ersattare = fed.certify_person("1002", "regler/1002/ersattare", &[Role::StyrgruppErsattare]);
    let roster = fed.chain.current();
    for author in [ordinarie, ersattare] {
        let grant = &roster.keys[&author.key.public()];
        assert!(validate::permits(Kind::Vote, grant, roster), "{grant:?} may vote");
    }
}

#[test]
fn rejects_second_charter_inside_a_federation() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Charter, b"", |_| ());
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::NotAuthorised { key: org(&fed, HOST).public(), member: HOST.into(), kind: Kind::Charter })
    );
}

#[test]
fn accepts_redaction_by_a_member_organisation_key() {
    let fed = fed3();
    let body = Redaction { target: Hash([9; 32]), reason: "gallring enligt dokumenthanteringsplan".into() };
    let record = signed(&fed, &org(&fed, "1002"), Kind::Redaction, &body.to_bytes(), |_| ());
    assert!(verify(record, &fed.chain).is_ok());
}

#[test]
fn rejects_redaction_by_an_objektspecialist() {
    let mut fed = fed3();
    let specialist = fed.certify_person("1001", "regler/1001/specialist", &[Role::Objektspecialist]);
    let body = Redaction { target: Hash([9; 32]), reason: "gallring".into() };
    let record = signed(&fed, &specialist.key, Kind::Redaction, &body.to_bytes(), |_| ());
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::NotAuthorised { key: specialist.key.public(), member: "1001".into(), kind: Kind::Redaction })
    );
}

// --- Signatures -------------------------------------------------------------------------------

#[test]
fn rejects_record_whose_signature_bytes_were_changed() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |_| ());
    let at = header_len(&record) + 10;
    let author = record.header().author;
    assert_eq!(verify(tampered(&record, at, 0x01), &fed.chain).err(), Some(Rejection::BadSignature { key: author }));
}

#[test]
fn rejects_record_whose_header_was_changed_after_signing() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |_| ());
    // The last header byte ends the time varint: the claimed time moves by a few milliseconds.
    let at = header_len(&record) - 1;
    let forged = tampered(&record, at, 0x01);
    assert_ne!(forged.header().time_ms, record.header().time_ms);
    assert_eq!(verify(forged, &fed.chain).err(), Some(Rejection::BadSignature { key: record.header().author }));
}

#[test]
fn rejects_roster_update_countersigned_by_a_node_key() {
    let mut fed = fed3();
    let node = fed.certify_node("1002", "regler/1002/node");
    let record = fed.propose("1001", vec![Change::SetHost { member: "1001".into() }]).countersign(&node.key);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::BadCountersignature { key: node.key.public() }));
}

#[test]
fn rejects_roster_update_with_a_forged_countersignature() {
    let mut fed = fed3();
    let record = fed.propose("1001", vec![Change::SetHost { member: "1001".into() }]);
    let forged = Countersignature { key: org(&fed, "1002").public(), signature: Signature([3; 64]) };
    let record = record.merge_countersignatures(&[forged]);
    assert_eq!(
        verify(record, &fed.chain).err(),
        Some(Rejection::BadCountersignature { key: org(&fed, "1002").public() })
    );
}

#[test]
fn rejects_known_roster_update_copy_with_a_forged_countersignature() {
    let mut fed = fed3();
    let record = fed.propose("1001", vec![Change::SetHost { member: "1001".into() }]);
    let record = fed.countersign_all(record, "1001");
    let applied = fed.apply(record).expect("a fully signed update");
    // The same record id, but one countersignature replaced by garbage.
    let genuine = applied.countersignatures()[0].key;
    let mut bogus: Vec<Countersignature> = applied.countersignatures().to_vec();
    bogus[0].signature = Signature([3; 64]);
    let base = Draft { header: applied.header().clone(), body: applied.body().expect("body").to_vec() }
        .sign(&org(&fed, "1001"));
    let copy = base.merge_countersignatures(&bogus);
    assert_eq!(copy.id(), applied.id());
    assert_eq!(verify(copy, &fed.chain).err(), Some(Rejection::BadCountersignature { key: genuine }));
    assert!(verify(applied.to_unverified(), &fed.chain).is_ok(), "the genuine copy still verifies");
}

#[test]
fn rejects_note_carrying_countersignatures() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |_| ()).countersign(&org(&fed, "1001"));
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::UnexpectedCountersignatures { kind: Kind::Note }));
}

// --- Bodies -----------------------------------------------------------------------------------

#[test]
fn rejects_note_whose_body_byte_was_changed() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |_| ());
    let last = record.bytes().len() - 1;
    let forged = tampered(&record, last, 0x01);
    assert_eq!(forged.body(), Some(&b"hek"[..]));
    assert_eq!(verify(forged, &fed.chain).err(), Some(Rejection::BodyMismatch));
}

#[test]
fn rejects_record_whose_header_commits_to_another_body_length() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |d| d.header.body_len = 4);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::BodyMismatch));
}

#[test]
fn accepts_redacted_note() {
    let fed = fed3();
    let verified = verify(signed(&fed, &org(&fed, HOST), Kind::Note, b"hej", |_| ()), &fed.chain).expect("a note");
    let redacted = verified.redacted();
    assert_eq!(redacted.body(), None);
    assert_eq!(verify(redacted.to_unverified(), &fed.chain).map(|r| r.id()), Ok(verified.id()));
}

#[test]
fn rejects_roster_update_without_its_body() {
    let mut fed = fed3();
    fed.certify_node("1001", "regler/1001/node");
    let stripped = fed.updates[0].redacted().to_unverified();
    assert_eq!(verify(stripped, &fed.chain).err(), Some(Rejection::MissingBody { kind: Kind::RosterUpdate }));
}

#[test]
fn rejects_charter_without_its_body() {
    let fed = fed3();
    let stripped = fed.charter.redacted().to_unverified();
    assert_eq!(verify_charter(stripped).err(), Some(Rejection::MissingBody { kind: Kind::Charter }));
}

#[test]
fn rejects_note_that_is_not_utf8() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, &[0x68, 0xff], |_| ());
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Note, .. })));
}

#[test]
fn rejects_note_longer_than_max_text_bytes() {
    let fed = fed3();
    let long = vec![b'a'; MAX_TEXT_BYTES + 1];
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, &long, |_| ());
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Note, .. })));
    let record = signed(&fed, &org(&fed, HOST), Kind::Note, &long[1..], |_| ());
    assert!(verify(record, &fed.chain).is_ok(), "exactly MAX_TEXT_BYTES is allowed");
}

#[test]
fn rejects_roster_update_whose_body_does_not_decode() {
    let fed = fed3();
    let record = signed(&fed, &org(&fed, HOST), Kind::RosterUpdate, &[0xff], |_| ());
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::Malformed(DecodeError::Malformed { .. }))));
}

#[test]
fn rejects_record_bytes_with_trailing_data() {
    let fed = fed3();
    let mut bytes = fed.charter.bytes().to_vec();
    bytes.push(0);
    assert_eq!(Record::decode(&bytes).err(), Some(DecodeError::NotCanonical { what: "record" }));
}

// --- The charter ------------------------------------------------------------------------------

#[test]
fn accepts_charter_signed_by_a_majority_of_founders() {
    let (record, keys) = charter_record(|_| ());
    let (charter, chain) = verify_charter(record.countersign(&keys[1])).expect("2 of 3 founders signed");
    assert_eq!(chain.federation(), charter.id());
    assert_eq!(chain.current().version, 0);
}

#[test]
fn rejects_charter_signed_only_by_its_author() {
    let (record, _) = charter_record(|_| ());
    assert_eq!(verify_charter(record).err(), Some(Rejection::ThresholdNotMet { have: 1, need: 2 }));
}

#[test]
fn rejects_charter_countersigned_by_a_non_founder() {
    let (record, _) = charter_record(|_| ());
    let outsider = key("outsider");
    assert_eq!(
        verify_charter(record.countersign(&outsider)).err(),
        Some(Rejection::BadCountersignature { key: outsider.public() })
    );
}

#[test]
fn rejects_charter_authored_by_a_non_founder() {
    let (record, keys) = charter_record(|_| ());
    let outsider = key("outsider");
    let draft = Draft { header: record.header().clone(), body: record.body().expect("body").to_vec() };
    let mut draft = draft;
    draft.header.author = outsider.public();
    let record = draft.sign(&outsider).countersign(&keys[1]);
    assert_eq!(verify_charter(record).err(), Some(Rejection::UnknownAuthor { key: outsider.public(), roster: 0 }));
}

#[test]
fn rejects_charter_whose_host_is_not_a_member() {
    let (record, keys) = charter_record(|c| c.host = "9999".into());
    assert!(matches!(
        verify_charter(record.countersign(&keys[1])),
        Err(Rejection::BadBody { kind: Kind::Charter, .. })
    ));
}

#[test]
fn rejects_charter_that_is_not_at_seq_0() {
    let (record, keys) = charter_record(|_| ());
    let mut draft = Draft { header: record.header().clone(), body: record.body().expect("body").to_vec() };
    draft.header.roster = 1;
    let record = draft.sign(&keys[0]).countersign(&keys[1]);
    assert!(matches!(verify_charter(record), Err(Rejection::BadBody { kind: Kind::Charter, .. })));
}

#[test]
fn rejects_charter_in_an_unknown_format() {
    let (record, keys) = charter_record(|_| ());
    let mut draft = Draft { header: record.header().clone(), body: record.body().expect("body").to_vec() };
    draft.header.format = 0;
    let record = draft.sign(&keys[0]).countersign(&keys[1]);
    assert_eq!(verify_charter(record).err(), Some(Rejection::UnsupportedFormat { format: 0 }));
}

// --- Roster changes ---------------------------------------------------------------------------

#[test]
fn accepts_new_member_signed_by_the_threshold() {
    let mut fed = fed3();
    let change = Change::AddMember { member: region(), org_key: key("region/org").public() };
    fed.update(HOST, vec![change]).expect("every member signed");
    assert!(fed.chain.current().members.contains_key("232100-0230"));
}

#[test]
fn rejects_adding_an_existing_member() {
    let mut fed = fed3();
    let existing = fed.chain.current().members["1001"].clone();
    let change = Change::AddMember { member: existing, org_key: key("again/org").public() };
    assert!(matches!(fed.update(HOST, vec![change]), Err(Rejection::InvalidRosterChange { .. })));
}

#[test]
fn rejects_certifying_a_role_the_charter_does_not_define() {
    let (record, keys) = charter_record(|c| c.roles = vec![Role::StyrgruppOrdinarie]);
    let (charter, chain) = verify_charter(record.countersign(&keys[1])).expect("a charter with one role");
    let mut orgs = std::collections::BTreeMap::new();
    for (id, k) in ["1000", "1001", "1002"].iter().zip(&keys) {
        orgs.insert(id.to_string(), Author::new(k.clone()));
    }
    orgs.get_mut(HOST).expect("host").seq = 1;
    let mut fed = Federation { charter, chain, orgs, updates: Vec::new() };
    let specialist = key("regler/1001/specialist").public();
    let change = |roles| Change::CertifyKey { member: "1001".into(), key: specialist, kind: person(roles) };
    assert!(matches!(
        fed.update("1001", vec![change(&[Role::Objektspecialist])]),
        Err(Rejection::InvalidRosterChange { .. })
    ));
    fed.update("1001", vec![change(&[Role::StyrgruppOrdinarie])]).expect("a role the charter defines");
}

#[test]
fn rejects_removing_the_host() {
    let mut fed = fed3();
    let change = Change::RemoveMember { member: HOST.into() };
    assert!(matches!(fed.update("1001", vec![change]), Err(Rejection::InvalidRosterChange { .. })));
}

#[test]
fn rejects_roster_update_with_no_changes() {
    let mut fed = fed3();
    assert!(matches!(fed.update(HOST, vec![]), Err(Rejection::InvalidRosterChange { .. })));
}

#[test]
fn rejects_roster_update_creating_a_version_other_than_the_next() {
    let mut fed = fed3();
    let update = RosterUpdate {
        version: 2,
        previous: fed.chain.current().head,
        changes: vec![Change::SetHost { member: "1001".into() }],
        reason: "hoppa över".into(),
    };
    let record = update_record(&mut fed, HOST, &update);
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::InvalidRosterChange { .. })));
}

#[test]
fn rejects_roster_update_not_following_the_named_version_head() {
    let mut fed = fed3();
    let update = RosterUpdate {
        version: 1,
        previous: Hash([5; 32]),
        changes: vec![Change::SetHost { member: "1001".into() }],
        reason: "fel förälder".into(),
    };
    let record = update_record(&mut fed, HOST, &update);
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::InvalidRosterChange { .. })));
}

#[test]
fn rejects_add_member_signed_by_7_of_14() {
    let mut fed = norrbotten();
    let record = fed.propose("2580", vec![Change::AddMember { member: region(), org_key: key("region/org").public() }]);
    let others: Vec<SigningKey> = fed.orgs.iter().filter(|(id, _)| *id != "2580").map(|(_, a)| a.key.clone()).collect();
    let seven = others[..6].iter().fold(record, |r, k| r.countersign(k));
    assert_eq!(verify(seven, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 7, need: 8 }));
}

#[test]
fn accepts_add_member_signed_by_8_of_14() {
    let mut fed = norrbotten();
    let record = fed.propose("2580", vec![Change::AddMember { member: region(), org_key: key("region/org").public() }]);
    let others: Vec<SigningKey> = fed.orgs.iter().filter(|(id, _)| *id != "2580").map(|(_, a)| a.key.clone()).collect();
    let eight = others[..7].iter().fold(record, |r, k| r.countersign(k));
    fed.apply(eight).expect("8 of 14 is a majority");
    assert_eq!(fed.chain.current().members.len(), 15);
}

#[test]
fn counts_two_organisation_keys_of_one_member_once() {
    let mut fed = fed3();
    let second = key("regler/1001/org2");
    let certify = Change::CertifyKey { member: "1001".into(), key: second.public(), kind: KeyKind::Organisation };
    fed.update(HOST, vec![certify]).expect("a second organisation key, signed by every member");
    let record = fed.propose("1001", vec![Change::SetHost { member: "1001".into() }]).countersign(&second);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 1, need: 2 }));
}

#[test]
fn accepts_self_service_node_certification_signed_only_by_own_org_key() {
    let mut fed = fed3();
    let change =
        Change::CertifyKey { member: "1001".into(), key: key("regler/1001/node").public(), kind: KeyKind::Node };
    let record = fed.propose("1001", vec![change]);
    assert!(record.countersignatures().is_empty());
    fed.apply(record).expect("a member certifies its own node key alone");
    assert!(fed.chain.current().is_node_key(&key("regler/1001/node").public()));
}

#[test]
fn accepts_own_styrgrupp_member_certified_by_own_org_key_alone() {
    let mut fed = fed3();
    let kind = person(&[Role::StyrgruppOrdinarie, Role::Firmatecknare]);
    let change = Change::CertifyKey { member: "1001".into(), key: key("regler/1001/anna").public(), kind };
    let record = fed.propose("1001", vec![change]);
    fed.apply(record).expect("a member appoints its own styrgrupp member alone");
}

#[test]
fn rejects_federation_wide_role_certified_by_own_org_key_alone() {
    for role in [Role::Ordforande, Role::Forvaltare] {
        let mut fed = fed3();
        let change =
            Change::CertifyKey { member: "1001".into(), key: key("regler/1001/chair").public(), kind: person(&[role]) };
        let record = fed.propose("1001", vec![change]);
        assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 1, need: 2 }), "{role:?}");
    }
}

#[test]
fn rejects_organisation_key_certification_signed_only_by_own_org_key() {
    let mut fed = fed3();
    let change = Change::CertifyKey {
        member: "1001".into(),
        key: key("regler/1001/org2").public(),
        kind: KeyKind::Organisation,
    };
    let record = fed.propose("1001", vec![change]);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 1, need: 2 }));
}

#[test]
fn rejects_certifying_another_members_node_key_without_its_signature() {
    let mut fed = fed3();
    let change =
        Change::CertifyKey { member: "1001".into(), key: key("regler/1001/node").public(), kind: KeyKind::Node };
    let record = fed.propose(HOST, vec![change]);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 0, need: 1 }));
}

#[test]
fn rejects_self_service_changes_for_two_members_without_the_threshold() {
    let mut fed = fed3();
    let node =
        |m: &str| Change::CertifyKey { member: m.into(), key: key(&format!("{m}/node")).public(), kind: KeyKind::Node };
    let record = fed.propose("1001", vec![node("1001"), node("1002")]);
    assert_eq!(verify(record, &fed.chain).err(), Some(Rejection::ThresholdNotMet { have: 1, need: 2 }));
}

#[test]
fn rejects_competing_roster_version() {
    let mut fed = fed3();
    let node =
        |m: &str| Change::CertifyKey { member: m.into(), key: key(&format!("{m}/node")).public(), kind: KeyKind::Node };
    let first = fed.propose("1001", vec![node("1001")]);
    let second = fed.propose("1002", vec![node("1002")]);
    let first = fed.apply(first).expect("the first version 1");
    assert_eq!(
        verify(second, &fed.chain).err(),
        Some(Rejection::CompetingRosterVersion { version: 1, existing: Some(first.id()) })
    );
}

#[test]
fn accepts_the_record_that_holds_a_roster_version_again() {
    let mut fed = fed3();
    let first = fed.certify_node("1001", "regler/1001/node");
    let _ = first;
    let held = fed.updates[0].to_unverified();
    assert!(verify(held, &fed.chain).is_ok(), "a second copy of version 1 is the same record");
}

#[test]
fn refuses_to_push_a_stale_roster_update() {
    let mut fed = fed3();
    let node =
        |m: &str| Change::CertifyKey { member: m.into(), key: key(&format!("{m}/node")).public(), kind: KeyKind::Node };
    let stale = RosterUpdate { version: 1, previous: fed.id(), changes: vec![node("1002")], reason: "sent".into() };
    fed.update("1001", vec![node("1001")]).expect("version 1");
    let head = fed.chain.current().head;
    assert_eq!(
        fed.chain.push(&stale, Hash([8; 32])).map_err(Rejection::from),
        Err(Rejection::CompetingRosterVersion { version: 1, existing: Some(head) })
    );
    assert_eq!(fed.chain.versions().len(), 2);
}

// --- Key rotation -----------------------------------------------------------------------------

/// 1001's node key `old` signs a note under version 1; version 2 rotates it to `new`.
fn rotated() -> (Federation, Author, Record<Unverified>, SigningKey) {
    let mut fed = fed3();
    let mut old = fed.certify_node("1001", "regler/1001/node");
    let before = note(&mut old, &fed, 1);
    let new = key("regler/1001/node2");
    let rotate = fed.propose("1001", vec![Change::RotateKey { old: old.key.public(), new: new.public() }]);
    fed.apply(rotate).expect("a member rotates its own node key alone");
    (fed, old, before, new)
}

#[test]
fn accepts_old_keys_record_at_the_roster_version_before_rotation() {
    let (fed, _, before, _) = rotated();
    assert!(verify(before, &fed.chain).is_ok());
}

#[test]
fn rejects_old_keys_record_at_the_roster_version_after_rotation() {
    let (fed, mut old, _, _) = rotated();
    let after = note(&mut old, &fed, 2);
    assert_eq!(verify(after, &fed.chain).err(), Some(Rejection::UnknownAuthor { key: old.key.public(), roster: 2 }));
}

#[test]
fn accepts_new_keys_record_after_rotation_with_the_same_powers() {
    let (fed, _, _, new) = rotated();
    let record = signed(&fed, &new, Kind::Note, b"ny nyckel", |_| ());
    assert!(verify(record, &fed.chain).is_ok());
    assert!(fed.chain.current().is_node_key(&new.public()));
}

#[test]
fn rejects_certifying_a_retired_key_again() {
    let (mut fed, old, _, _) = rotated();
    let change = Change::CertifyKey { member: "1001".into(), key: old.key.public(), kind: KeyKind::Node };
    assert!(matches!(fed.update("1001", vec![change]), Err(Rejection::InvalidRosterChange { .. })));
}

// --- Equivocation evidence --------------------------------------------------------------------

fn signed_header(record: &Record<Unverified>) -> SignedHeader {
    SignedHeader { header: record.header().clone(), signature: *record.signature() }
}

/// Two different notes by 1001's node key, both at seq 0.
fn two_at_seq_0(fed: &mut Federation) -> (SignedHeader, SignedHeader) {
    let node = fed.certify_node("1001", "regler/1001/node");
    let a = Author::new(node.key.clone()).next(fed.id(), 1, Kind::Note, b"ja".to_vec());
    let b = Author::new(node.key).next(fed.id(), 1, Kind::Note, b"nej".to_vec());
    (signed_header(&a), signed_header(&b))
}

fn evidence_record(fed: &Federation, evidence: &Equivocation) -> Record<Unverified> {
    signed(fed, &org(fed, "1002"), Kind::Equivocation, &evidence.to_bytes(), |_| ())
}

#[test]
fn accepts_equivocation_evidence_of_two_records_at_one_position() {
    let mut fed = fed3();
    let (a, b) = two_at_seq_0(&mut fed);
    let record = evidence_record(&fed, &Equivocation::new(a, b));
    assert!(verify(record, &fed.chain).is_ok());
}

#[test]
fn rejects_equivocation_evidence_naming_one_record_twice() {
    let mut fed = fed3();
    let (a, _) = two_at_seq_0(&mut fed);
    let record = evidence_record(&fed, &Equivocation { first: a.clone(), second: a });
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Equivocation, .. })));
}

#[test]
fn rejects_equivocation_evidence_out_of_id_order() {
    let mut fed = fed3();
    let (a, b) = two_at_seq_0(&mut fed);
    let Equivocation { first, second } = Equivocation::new(a, b);
    let record = evidence_record(&fed, &Equivocation { first: second, second: first });
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Equivocation, .. })));
}

#[test]
fn rejects_equivocation_evidence_by_two_authors() {
    let mut fed = fed3();
    let (a, _) = two_at_seq_0(&mut fed);
    let other = signed_header(&Author::new(org(&fed, "1002")).next(fed.id(), 1, Kind::Note, b"nej".to_vec()));
    let record = evidence_record(&fed, &Equivocation::new(a, other));
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Equivocation, .. })));
}

#[test]
fn rejects_equivocation_evidence_at_two_positions() {
    let mut fed = fed3();
    let node = fed.certify_node("1001", "regler/1001/node");
    let mut author = Author::new(node.key);
    let a = signed_header(&author.next(fed.id(), 1, Kind::Note, b"ja".to_vec()));
    let b = signed_header(&author.next(fed.id(), 1, Kind::Note, b"nej".to_vec()));
    let record = evidence_record(&fed, &Equivocation::new(a, b));
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Equivocation, .. })));
}

#[test]
fn rejects_equivocation_evidence_with_a_forged_signature() {
    let mut fed = fed3();
    let (a, mut b) = two_at_seq_0(&mut fed);
    b.signature.0[0] ^= 1;
    let record = evidence_record(&fed, &Equivocation::new(a, b));
    assert!(matches!(verify(record, &fed.chain), Err(Rejection::BadBody { kind: Kind::Equivocation, .. })));
}

// --- The authorship table of docs/protocol.md §5 ----------------------------------------------

#[test]
fn authorship_follows_the_table_in_the_specification() {
    use samverka_protocol::roster::KeyGrant;
    let fed = fed3();
    let roster = fed.chain.current();
    let grant = |member: &str, kind: KeyKind| KeyGrant { member: member.into(), kind, certified_at: 0 };
    let mut who: Vec<(String, KeyGrant)> = vec![
        ("host-org".into(), grant(HOST, KeyKind::Organisation)),
        ("host-node".into(), grant(HOST, KeyKind::Node)),
        ("org".into(), grant("1001", KeyKind::Organisation)),
        ("node".into(), grant("1001", KeyKind::Node)),
    ];
    who.extend(Role::ALL.iter().map(|r| (r.swedish().to_owned(), grant("1001", person(&[*r])))));
    who.push(("host-forvaltare".into(), grant(HOST, person(&[Role::Forvaltare]))));
    who.push(("host-ordforande".into(), grant(HOST, person(&[Role::Ordforande]))));
    let all = "host-org host-node org node styrgrupp-ordinarie styrgrupp-ersattare ordforande objektspecialist forvaltare firmatecknare host-forvaltare host-ordforande";
    let persons = "styrgrupp-ordinarie styrgrupp-ersattare ordforande objektspecialist forvaltare firmatecknare host-forvaltare host-ordforande";
    let preparers = "host-org host-node forvaltare ordforande host-forvaltare host-ordforande";
    let first_line = "host-node node objektspecialist forvaltare host-forvaltare";
    let closers = "host-org host-node ordforande host-ordforande";
    let table: Vec<(Kind, &str)> = vec![
        (Kind::Charter, ""),
        (Kind::RosterUpdate, "host-org org"),
        (Kind::Equivocation, all),
        (Kind::Redaction, "host-org host-node org node forvaltare host-forvaltare"),
        (Kind::Note, all),
        (Kind::Matter, preparers),
        (Kind::Meeting, preparers),
        (Kind::Vote, "styrgrupp-ordinarie styrgrupp-ersattare"),
        (Kind::BallotClose, closers),
        (Kind::Minutes, preparers),
        (Kind::Justering, persons),
        (Kind::Paper, preparers),
        (Kind::Diarium, "host-org host-node"),
        (Kind::VoteReceipt, closers),
        (Kind::Agreement, preparers),
        (Kind::AgreementSignature, "firmatecknare"),
        // Only the host's förvaltare or ordförande publishes a plan or a cost key (docs/plans.md).
        (Kind::Plan, "host-forvaltare host-ordforande"),
        (Kind::PlanReceipt, "host-node node"),
        (Kind::CostKey, "host-forvaltare host-ordforande"),
        (Kind::Outcome, "host-forvaltare host-ordforande"),
        (Kind::Need, first_line),
        (Kind::NeedUpdate, first_line),
        // A case is raised by line 1; an event is line 1's or the förvaltningsgrupp's (docs/support.md).
        (Kind::SupportCase, "objektspecialist"),
        (Kind::SupportEvent, "objektspecialist host-forvaltare"),
        // The förvaltningsgrupp drafts the SLA table; the styrgrupp adopts it (docs/support.md §8).
        (Kind::SlaTable, "host-forvaltare"),
        // The host's management publishes outage notices; a person acknowledges (docs/outages.md).
        (Kind::OutageNotice, "host-node host-forvaltare"),
        (Kind::OutageAck, "objektspecialist"),
    ];
    assert_eq!(table.len(), Kind::ALL.len(), "every kind is in the table");
    for (kind, allowed) in table {
        let allowed: Vec<&str> = allowed.split_whitespace().collect();
        for (name, g) in &who {
            assert_eq!(
                validate::permits(kind, g, roster),
                allowed.contains(&name.as_str()),
                "{} by {name}",
                kind.name()
            );
        }
    }
}
