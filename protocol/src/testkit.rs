//! Deterministic federations for tests, benchmarks and the demo: keys derived from labels,
//! records signed in chain order. Pure like the rest of the crate; no randomness.

use std::collections::BTreeMap;

use crate::charter::{Charter, Founder, Member, MemberId, MemberKind, Role, Rules};
use crate::crypto::{Hash, PublicKey, SigningKey};
use crate::record::{Body, Draft, Kind, Record, RecordId, Unverified, Verified};
use crate::roster::{Change, KeyKind, RosterChain, RosterUpdate};
use crate::validate::{verify, verify_charter, verify_in, Lookup, Rejection};

/// 2026-11-23 00:00 Europe/Stockholm, in ms since the epoch: the claimed time of test records.
pub const T0_MS: i64 = 1_795_388_400_000;

/// The key derived from `label`: the same label always gives the same key.
pub fn key(label: &str) -> SigningKey {
    SigningKey::from_seed(&Hash::of(b"samverka/testkit/key\0", &[label.as_bytes()]).0)
}

/// Norrbotten's 14 kommuner, with Luleå (2580) the host, as in the Ekosystem document, named as
/// people say them ("Bodens kommun", "Luleå kommun").
pub fn norrbotten() -> Vec<Member> {
    [
        ("2506", "Arjeplogs kommun"),
        ("2505", "Arvidsjaurs kommun"),
        ("2582", "Bodens kommun"),
        ("2523", "Gällivare kommun"),
        ("2583", "Haparanda kommun"),
        ("2510", "Jokkmokks kommun"),
        ("2514", "Kalix kommun"),
        ("2584", "Kiruna kommun"),
        ("2580", "Luleå kommun"),
        ("2521", "Pajala kommun"),
        ("2581", "Piteå kommun"),
        ("2560", "Älvsbyns kommun"),
        ("2513", "Överkalix kommun"),
        ("2518", "Övertorneå kommun"),
    ]
    .into_iter()
    .map(|(id, name)| Member { id: id.into(), name: name.into(), kind: MemberKind::Kommun })
    .collect()
}

/// `n` made-up kommuner with ids `1000`, `1001`, …; the first is the host.
pub fn kommuner(n: usize) -> Vec<Member> {
    (0..n)
        .map(|i| Member { id: format!("{:04}", 1000 + i), name: format!("Kommun {i}"), kind: MemberKind::Kommun })
        .collect()
}

/// An author: a key and its chain position.
#[derive(Clone, Debug)]
pub struct Author {
    /// The signing key.
    pub key: SigningKey,
    /// Next seq to use.
    pub seq: u64,
    /// Id of the last record.
    pub prev: Option<RecordId>,
}

impl Author {
    /// A fresh author with no records.
    pub fn new(key: SigningKey) -> Author {
        Author { key, seq: 0, prev: None }
    }

    /// Signs the next record in this author's chain.
    pub fn next(&mut self, federation: Hash, roster: u64, kind: Kind, body: Vec<u8>) -> Record<Unverified> {
        let time = T0_MS + i64::try_from(self.seq).unwrap_or(i64::MAX / 2);
        let draft = Draft::new(federation, self.key.public(), self.seq, self.prev, roster, kind, body, time);
        let record = draft.sign(&self.key);
        self.seq += 1;
        self.prev = Some(record.id());
        record
    }
}

/// The records a test holds, by id: the [`Lookup`] rules that reference records read.
#[derive(Clone, Debug, Default)]
pub struct Held(pub BTreeMap<RecordId, Record<Verified>>);

impl Lookup for Held {
    fn record(&self, id: &RecordId) -> Option<Record<Verified>> {
        self.0.get(id).cloned()
    }
}

/// A federation with every organisation key at hand.
#[derive(Clone, Debug)]
pub struct Federation {
    /// The charter record.
    pub charter: Record<Verified>,
    /// The roster chain.
    pub chain: RosterChain,
    /// Each member's organisation key, as an author.
    pub orgs: BTreeMap<MemberId, Author>,
    /// Roster-update records, in version order.
    pub updates: Vec<Record<Verified>>,
}

impl Federation {
    /// Founds a federation of `members` (the host is `host`), the charter signed by every founder.
    pub fn found(name: &str, members: &[Member], host: &str) -> Federation {
        let mut orgs: BTreeMap<MemberId, Author> =
            members.iter().map(|m| (m.id.clone(), Author::new(key(&format!("{name}/{}/org", m.id))))).collect();
        let charter = Charter {
            name: name.into(),
            system: "Treserva".into(),
            founders: members
                .iter()
                .map(|m| Founder { member: m.clone(), org_key: orgs[&m.id].key.public() })
                .collect(),
            host: host.into(),
            rules: Rules::standard(),
            roles: Role::ALL.to_vec(),
        };
        let host_org = orgs.get_mut(host).expect("the host is a member");
        let mut record = host_org.next(Hash::ZERO, 0, Kind::Charter, charter.to_bytes());
        for (id, org) in &orgs {
            if id != host {
                record = record.countersign(&org.key);
            }
        }
        let (charter, chain) = verify_charter(record).expect("a testkit charter is valid");
        Federation { charter, chain, orgs, updates: Vec::new() }
    }

    /// The federation id.
    pub fn id(&self) -> Hash {
        self.chain.federation()
    }

    /// The current roster version.
    pub fn version(&self) -> u64 {
        self.chain.current().version
    }

    /// Proposes `changes` by `proposer`'s organisation key, countersigned by every other member,
    /// then verifies and appends the new version.
    pub fn update(&mut self, proposer: &str, changes: Vec<Change>) -> Result<Record<Verified>, Rejection> {
        let record = self.propose(proposer, changes);
        let record = self.countersign_all(record, proposer);
        self.apply(record)
    }

    /// The unsigned-by-others proposal for the next version.
    pub fn propose(&mut self, proposer: &str, changes: Vec<Change>) -> Record<Unverified> {
        let current = self.chain.current().clone();
        let update =
            RosterUpdate { version: current.version + 1, previous: current.head, changes, reason: "testkit".into() };
        let federation = self.id();
        let org = self.orgs.get_mut(proposer).expect("the proposer is a member");
        org.next(federation, current.version, Kind::RosterUpdate, update.to_bytes())
    }

    /// Adds every other current member's organisation countersignature.
    pub fn countersign_all(&self, mut record: Record<Unverified>, proposer: &str) -> Record<Unverified> {
        for id in self.chain.current().members.keys() {
            if id != proposer {
                if let Some(org) = self.orgs.get(id) {
                    record = record.countersign(&org.key);
                }
            }
        }
        record
    }

    /// Verifies and appends a roster update.
    pub fn apply(&mut self, record: Record<Unverified>) -> Result<Record<Verified>, Rejection> {
        let verified = verify(record, &self.chain)?;
        let update = RosterUpdate::from_bytes(verified.body().expect("roster updates keep their body"))?;
        self.chain.push(&update, verified.id())?;
        self.updates.push(verified.clone());
        Ok(verified)
    }

    /// Signs `author`'s next record under the current roster version and verifies it against
    /// the chain and `held`: kept in `held` when valid; refused, the author's position is given
    /// back.
    pub fn submit(
        &self,
        held: &mut Held,
        author: &mut Author,
        kind: Kind,
        body: Vec<u8>,
    ) -> Result<Record<Verified>, Rejection> {
        let before = author.clone();
        let record = author.next(self.id(), self.version(), kind, body);
        let verified = verify_in(record, &self.chain, held).inspect_err(|_| *author = before)?;
        held.0.insert(verified.id(), verified.clone());
        Ok(verified)
    }

    /// Certifies a person's key (derived from `label`) for `member` in `roles`.
    pub fn certify_person(&mut self, member: &str, label: &str, roles: &[Role]) -> Author {
        let person = key(label);
        let kind = KeyKind::Person { roles: roles.to_vec(), valid_from_ms: None, valid_until_ms: None };
        self.certify(member, person.public(), kind);
        Author::new(person)
    }

    /// Certifies a node key (derived from `label`) for `member`.
    pub fn certify_node(&mut self, member: &str, label: &str) -> Author {
        let node = key(label);
        self.certify(member, node.public(), KeyKind::Node);
        Author::new(node)
    }

    fn certify(&mut self, member: &str, key: PublicKey, kind: KeyKind) {
        let change = Change::CertifyKey { member: member.into(), key, kind };
        self.update(member, vec![change]).expect("a testkit certification is valid");
    }
}
