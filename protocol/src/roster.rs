//! The roster: who the members are, which keys speak for them, and the rules — one linear chain
//! of versions. Version 0 is the charter; version N+1 is valid only when signed by the threshold
//! that version N requires. Versions never merge: a second, different version N+1 is evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::charter::{Charter, Member, MemberId, Role, Rules};
use crate::crypto::{Hash, PublicKey};
use crate::encoding::{check_list, check_text, DecodeError};
use crate::record::{Body, Kind, RecordId};

/// What a key may do for its member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyKind {
    /// The member's organisation key: certifies its people's and nodes' keys, signs roster
    /// versions.
    Organisation,
    /// A node key: may speak for the member on the network and author the node's own records.
    Node,
    /// A person's key in one or more roles, valid within a period of claimed record time.
    Person {
        /// The roles (styrgrupp ordinarie, objektspecialist, …).
        roles: Vec<Role>,
        /// First millisecond (UTC) of validity, if bounded.
        valid_from_ms: Option<i64>,
        /// Last millisecond (UTC) of validity, if bounded.
        valid_until_ms: Option<i64>,
    },
}

impl KeyKind {
    /// Whether this is a person key holding `role`.
    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, KeyKind::Person { roles, .. } if roles.contains(&role))
    }

    /// Whether a member may certify such a key on its own signature: node keys and its own
    /// people's roles. Organisation keys and the federation-wide roles (ordförande, förvaltare)
    /// need the roster threshold.
    pub fn is_member_level(&self) -> bool {
        match self {
            KeyKind::Organisation => false,
            KeyKind::Node => true,
            KeyKind::Person { roles, .. } => !roles.iter().any(|r| matches!(r, Role::Ordforande | Role::Forvaltare)),
        }
    }

    /// Whether a record claiming time `time_ms` falls in the key's validity period.
    pub fn valid_at(&self, time_ms: i64) -> bool {
        match self {
            KeyKind::Person { valid_from_ms, valid_until_ms, .. } => {
                valid_from_ms.is_none_or(|f| time_ms >= f) && valid_until_ms.is_none_or(|u| time_ms <= u)
            }
            _ => true,
        }
    }
}

/// A key certified in the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGrant {
    /// The member the key speaks for.
    pub member: MemberId,
    /// What it may do.
    pub kind: KeyKind,
    /// The roster version that certified it.
    pub certified_at: u64,
}

/// One change in a roster version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Admit a member with its organisation key.
    AddMember {
        /// The new member.
        member: Member,
        /// Its organisation key.
        org_key: PublicKey,
    },
    /// Remove a member; all its keys end.
    RemoveMember {
        /// The member leaving.
        member: MemberId,
    },
    /// Certify a key for a member (a node key, a person's key, or a new organisation key).
    CertifyKey {
        /// The member.
        member: MemberId,
        /// The key.
        key: PublicKey,
        /// What it may do.
        kind: KeyKind,
    },
    /// Replace a key by a new one with the same member and powers. Records by the old key made
    /// under earlier roster versions stay valid.
    RotateKey {
        /// The key being retired.
        old: PublicKey,
        /// Its successor.
        new: PublicKey,
    },
    /// Revoke a compromised key: its records from `compromised_since_seq` on are invalid under
    /// every roster version; earlier ones still verify.
    RevokeKey {
        /// The key.
        key: PublicKey,
        /// First position in the key's chain that is no longer trusted.
        compromised_since_seq: u64,
    },
    /// Make another member the host (värdkommun).
    SetHost {
        /// The new host.
        member: MemberId,
    },
    /// Replace the rules.
    SetRules {
        /// The new rules.
        rules: Rules,
    },
}

impl Change {
    /// The single member whose own node or person keys this change touches, if that is all it
    /// does. Such changes need only that member's organisation signature ("self-service").
    fn self_service_member(&self, roster: &Roster) -> Option<MemberId> {
        let own = |key: &PublicKey| {
            roster.keys.get(key).filter(|g| g.kind != KeyKind::Organisation).map(|g| g.member.clone())
        };
        match self {
            Change::CertifyKey { member, kind, .. } if kind.is_member_level() => Some(member.clone()),
            Change::RotateKey { old, .. } | Change::RevokeKey { key: old, .. } => own(old),
            _ => None,
        }
    }
}

/// The body of a roster-update record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterUpdate {
    /// The version this update creates: the named roster version plus one.
    pub version: u64,
    /// Record id of the roster version it follows (the charter for version 1).
    pub previous: RecordId,
    /// The changes, applied in order.
    pub changes: Vec<Change>,
    /// Why (a decision reference, e.g. `SAM 2026/0007 § 4`).
    pub reason: String,
}

impl Body for RosterUpdate {
    const KIND: Kind = Kind::RosterUpdate;
}

/// The roster at one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The federation id.
    pub federation: Hash,
    /// The version.
    pub version: u64,
    /// The record that made this version (the charter for version 0).
    pub head: RecordId,
    /// The federation's name.
    pub name: String,
    /// Current members.
    pub members: BTreeMap<MemberId, Member>,
    /// The host member.
    pub host: MemberId,
    /// The rules in force.
    pub rules: Rules,
    /// The roles that exist.
    pub roles: Vec<Role>,
    /// Keys in force.
    pub keys: BTreeMap<PublicKey, KeyGrant>,
}

impl Roster {
    /// The organisation key of `member`.
    pub fn org_key(&self, member: &str) -> Option<PublicKey> {
        self.keys.iter().find(|(_, g)| g.member == member && g.kind == KeyKind::Organisation).map(|(k, _)| *k)
    }

    /// Keys of `member`.
    pub fn keys_of<'a>(&'a self, member: &'a str) -> impl Iterator<Item = (&'a PublicKey, &'a KeyGrant)> + 'a {
        self.keys.iter().filter(move |(_, g)| g.member == member)
    }

    /// Whether `key` is a node key certified for some member.
    pub fn is_node_key(&self, key: &PublicKey) -> bool {
        self.keys.get(key).is_some_and(|g| g.kind == KeyKind::Node)
    }

    /// The members whose organisation keys are among `signers`.
    pub fn signing_members(&self, signers: impl IntoIterator<Item = PublicKey>) -> BTreeSet<MemberId> {
        signers
            .into_iter()
            .filter_map(|k| self.keys.get(&k))
            .filter(|g| g.kind == KeyKind::Organisation)
            .map(|g| g.member.clone())
            .collect()
    }

    /// The members who must sign `update` for it to follow this version, and how many of them.
    pub fn required_signers(&self, changes: &[Change]) -> (BTreeSet<MemberId>, usize) {
        let owners: Option<BTreeSet<MemberId>> = changes.iter().map(|c| c.self_service_member(self)).collect();
        match owners {
            Some(owners) if owners.len() == 1 => (owners, 1),
            _ => (self.members.keys().cloned().collect(), self.rules.roster_threshold.required(self.members.len())),
        }
    }

    /// Version 0, from the charter.
    pub fn genesis(charter: &Charter, charter_id: RecordId) -> Roster {
        Roster {
            federation: charter_id,
            version: 0,
            head: charter_id,
            name: charter.name.clone(),
            members: charter.founders.iter().map(|f| (f.member.id.clone(), f.member.clone())).collect(),
            host: charter.host.clone(),
            rules: charter.rules.clone(),
            roles: charter.roles.clone(),
            keys: charter
                .founders
                .iter()
                .map(|f| {
                    let grant = KeyGrant { member: f.member.id.clone(), kind: KeyKind::Organisation, certified_at: 0 };
                    (f.org_key, grant)
                })
                .collect(),
        }
    }

    /// The next version: this one with `update` applied. `retired` holds every key ever used,
    /// since a key once ended is never certified again.
    pub fn apply(
        &self,
        update: &RosterUpdate,
        head: RecordId,
        retired: &BTreeSet<PublicKey>,
    ) -> Result<Roster, String> {
        check_list("roster changes", update.changes.len()).map_err(|e| e.to_string())?;
        check_text("roster change reason", &update.reason).map_err(|e| e.to_string())?;
        if update.changes.is_empty() {
            return Err("a roster version must change something".into());
        }
        let mut next = self.clone();
        next.version = self.version + 1;
        next.head = head;
        for change in &update.changes {
            next.apply_change(change, retired)?;
        }
        if !next.members.contains_key(&next.host) {
            return Err(format!("the host {} would no longer be a member", next.host));
        }
        if next.members.is_empty() {
            return Err("the federation would have no members".into());
        }
        Ok(next)
    }

    fn fresh_key(&self, key: &PublicKey, retired: &BTreeSet<PublicKey>) -> Result<(), String> {
        if self.keys.contains_key(key) || retired.contains(key) {
            return Err(format!("key {key} is or was already in use"));
        }
        Ok(())
    }

    fn apply_change(&mut self, change: &Change, retired: &BTreeSet<PublicKey>) -> Result<(), String> {
        let version = self.version;
        match change {
            Change::AddMember { member, org_key } => {
                member.check()?;
                if self.members.contains_key(&member.id) {
                    return Err(format!("{} is already a member", member.id));
                }
                self.fresh_key(org_key, retired)?;
                self.members.insert(member.id.clone(), member.clone());
                let grant = KeyGrant { member: member.id.clone(), kind: KeyKind::Organisation, certified_at: version };
                self.keys.insert(*org_key, grant);
            }
            Change::RemoveMember { member } => {
                if self.members.remove(member).is_none() {
                    return Err(format!("{member} is not a member"));
                }
                self.keys.retain(|_, g| &g.member != member);
            }
            Change::CertifyKey { member, key, kind } => {
                if !self.members.contains_key(member) {
                    return Err(format!("{member} is not a member"));
                }
                if let KeyKind::Person { roles, .. } = kind {
                    check_list("roles", roles.len()).map_err(|e| e.to_string())?;
                    if roles.is_empty() {
                        return Err("a person's key needs at least one role".into());
                    }
                    if let Some(r) = roles.iter().find(|r| !self.roles.contains(r)) {
                        return Err(format!("the role {} does not exist in this federation", r.swedish()));
                    }
                }
                self.fresh_key(key, retired)?;
                let grant = KeyGrant { member: member.clone(), kind: kind.clone(), certified_at: version };
                self.keys.insert(*key, grant);
            }
            Change::RotateKey { old, new } => {
                let grant = self.keys.remove(old).ok_or_else(|| format!("key {old} is not in the roster"))?;
                self.fresh_key(new, retired)?;
                self.keys.insert(*new, KeyGrant { certified_at: version, ..grant });
            }
            Change::RevokeKey { key, .. } => {
                self.keys.remove(key).ok_or_else(|| format!("key {key} is not in the roster"))?;
            }
            Change::SetHost { member } => {
                if !self.members.contains_key(member) {
                    return Err(format!("{member} is not a member"));
                }
                self.host = member.clone();
            }
            Change::SetRules { rules } => {
                rules.check()?;
                self.rules = rules.clone();
            }
        }
        Ok(())
    }
}

/// Every roster version of a federation, in order, and the revocations that reach back in time.
#[derive(Clone, Debug)]
pub struct RosterChain {
    versions: Vec<Arc<Roster>>,
    /// Revoked key → first untrusted position in its chain.
    revoked: BTreeMap<PublicKey, u64>,
    /// Every key ever certified.
    ever: BTreeSet<PublicKey>,
}

impl RosterChain {
    /// A chain holding only version 0.
    pub fn new(genesis: Roster) -> RosterChain {
        let ever = genesis.keys.keys().copied().collect();
        RosterChain { versions: vec![Arc::new(genesis)], revoked: BTreeMap::new(), ever }
    }

    /// The federation id.
    pub fn federation(&self) -> Hash {
        self.versions[0].federation
    }

    /// The newest version.
    pub fn current(&self) -> &Arc<Roster> {
        self.versions.last().expect("a roster chain always holds version 0")
    }

    /// Version `v`, if known.
    pub fn at(&self, v: u64) -> Option<&Arc<Roster>> {
        usize::try_from(v).ok().and_then(|i| self.versions.get(i))
    }

    /// All versions, oldest first.
    pub fn versions(&self) -> &[Arc<Roster>] {
        &self.versions
    }

    /// If `key` was revoked, the first position of its chain that is no longer trusted.
    pub fn revoked_since(&self, key: &PublicKey) -> Option<u64> {
        self.revoked.get(key).copied()
    }

    /// Every key ever certified (they are never certified again).
    pub fn retired_or_used(&self) -> &BTreeSet<PublicKey> {
        &self.ever
    }

    /// Appends the version made by `update` (already verified by [`crate::validate`]).
    pub fn push(&mut self, update: &RosterUpdate, head: RecordId) -> Result<(), PushError> {
        let current = self.current();
        if update.version != current.version + 1 || update.previous != current.head {
            return Err(PushError::Competing {
                version: update.version,
                existing: self.at(update.version).map(|r| r.head),
            });
        }
        let next = current.apply(update, head, &self.ever).map_err(PushError::Invalid)?;
        for change in &update.changes {
            if let Change::RevokeKey { key, compromised_since_seq } = change {
                self.revoked.insert(*key, *compromised_since_seq);
            }
        }
        self.ever.extend(next.keys.keys().copied());
        self.versions.push(Arc::new(next));
        Ok(())
    }
}

/// Why a roster version cannot be appended to the chain (validation maps it to its rejection).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The update does not follow the newest version: another record holds that version, or it
    /// names an older head.
    #[error("roster version {version} does not follow the newest version held")]
    Competing {
        /// The version the update claims.
        version: u64,
        /// The record holding that version, if any.
        existing: Option<RecordId>,
    },
    /// A change cannot be applied to the current version.
    #[error("invalid roster change: {0}")]
    Invalid(String),
}

/// Decodes a roster-update body.
pub fn decode_update(bytes: &[u8]) -> Result<RosterUpdate, DecodeError> {
    RosterUpdate::from_bytes(bytes)
}
