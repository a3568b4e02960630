//! The charter: the genesis record of a federation. Its record id is the federation id.
//!
//! It names the members, the host (värdkommun), the decision rules per kind of matter and the
//! roles that exist, and it is roster version 0: the roster chain starts from it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::encoding::{check_list, check_text, DecodeError};

/// A member's stable identifier: its kommunkod (four digits, e.g. `2580` for Luleå) or, for a
/// region or förvaltning, its organisation number (`232100-0081`).
pub type MemberId = String;

/// What kind of public body a member is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MemberKind {
    /// A municipality.
    Kommun,
    /// A region.
    Region,
    /// A department (förvaltning) of a city, e.g. in Göteborg's shared digitalisation.
    Forvaltning,
}

/// A member of the federation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Kommunkod or organisation number.
    pub id: MemberId,
    /// Display name, e.g. `Luleå kommun`.
    pub name: String,
    /// Kommun, region or förvaltning.
    pub kind: MemberKind,
}

impl Member {
    /// Checks the id's form and text lengths.
    pub fn check(&self) -> Result<(), String> {
        check_text("member name", &self.name).map_err(|e| e.to_string())?;
        if self.name.trim().is_empty() {
            return Err("a member needs a name".into());
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let ok = match self.kind {
            MemberKind::Kommun => self.id.len() == 4 && digits(&self.id),
            MemberKind::Region | MemberKind::Forvaltning => {
                self.id.len() == 11 && digits(&self.id[..6]) && &self.id[6..7] == "-" && digits(&self.id[7..])
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "member id {:?} is not a kommunkod (four digits) or an organisation number (NNNNNN-NNNN)",
                self.id
            ))
        }
    }
}

/// A role a person's key can be certified in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Steering-group member (ordinarie ledamot): casts the member's vote.
    StyrgruppOrdinarie,
    /// Deputy (ersättare): the vote counts only when the ordinarie has not voted.
    StyrgruppErsattare,
    /// Chair of the steering group (ordförande): calls meetings, closes ballots.
    Ordforande,
    /// Object specialist: runs the member's node, registers needs, first-line support.
    Objektspecialist,
    /// Member of the host's management group: prepares matters, publishes plans.
    Forvaltare,
    /// Signatory (firmatecknare): signs agreements on the member's behalf.
    Firmatecknare,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] = [
        Role::StyrgruppOrdinarie,
        Role::StyrgruppErsattare,
        Role::Ordforande,
        Role::Objektspecialist,
        Role::Forvaltare,
        Role::Firmatecknare,
    ];

    /// The Swedish name used in the UI and CLI.
    pub fn swedish(self) -> &'static str {
        match self {
            Role::StyrgruppOrdinarie => "styrgrupp-ordinarie",
            Role::StyrgruppErsattare => "styrgrupp-ersattare",
            Role::Ordforande => "ordforande",
            Role::Objektspecialist => "objektspecialist",
            Role::Forvaltare => "forvaltare",
            Role::Firmatecknare => "firmatecknare",
        }
    }

    /// Parses the Swedish name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.swedish() == s)
    }
}

/// A kind of matter (ärende) the steering group decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MatterKind {
    /// Förvaltningsplan (the management plan).
    Forvaltningsplan,
    /// Utvecklingsplan (the development plan).
    Utvecklingsplan,
    /// Budget.
    Budget,
    /// Investering.
    Investering,
    /// Större förändring (a large change).
    StorreForandring,
    /// Avtalsförlängning (extending an agreement).
    Avtalsforlangning,
    /// Uppsägning av avtal (terminating an agreement).
    UppsagningAvAvtal,
    /// Nytt avtal (a new agreement).
    NyttAvtal,
    /// Medlemskap (admitting or removing a member).
    Medlemskap,
    /// Övrigt (anything else).
    Ovrigt,
}

impl MatterKind {
    /// Every kind, in a fixed order.
    pub const ALL: [MatterKind; 10] = [
        MatterKind::Forvaltningsplan,
        MatterKind::Utvecklingsplan,
        MatterKind::Budget,
        MatterKind::Investering,
        MatterKind::StorreForandring,
        MatterKind::Avtalsforlangning,
        MatterKind::UppsagningAvAvtal,
        MatterKind::NyttAvtal,
        MatterKind::Medlemskap,
        MatterKind::Ovrigt,
    ];
}

/// How many of the counted votes an outcome needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Majority {
    /// More yes than no (abstentions count for neither).
    Simple,
    /// At least `numerator / denominator` of the votes cast, abstentions excluded.
    Qualified {
        /// e.g. 2 for two thirds.
        numerator: u32,
        /// e.g. 3 for two thirds.
        denominator: u32,
    },
    /// Every member of the federation votes yes.
    Unanimous,
}

/// The rule for deciding one kind of matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRule {
    /// Percentage (0–100) of members that must take part (yes, no or abstain) for a decision.
    pub quorum_percent: u8,
    /// The majority required.
    pub majority: Majority,
}

/// How many members' organisation keys must sign a new roster version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RosterThreshold {
    /// More than half of the members.
    Majority,
    /// Every member.
    All,
}

impl RosterThreshold {
    /// Signatures required among `members` members.
    pub fn required(self, members: usize) -> usize {
        match self {
            RosterThreshold::Majority => members / 2 + 1,
            RosterThreshold::All => members,
        }
    }
}

/// The federation's rules. Changing them is a roster change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Signatures needed for a roster version (and for the charter itself).
    pub roster_threshold: RosterThreshold,
    /// Decision rule per kind of matter; a kind not listed uses `default_rule`.
    pub decisions: Vec<(MatterKind, DecisionRule)>,
    /// Rule for kinds not listed in `decisions`.
    pub default_rule: DecisionRule,
    /// Days of notice for a meeting (kallelse) with agenda and papers.
    pub meeting_notice_days: u32,
}

impl Rules {
    /// The rule that applies to `kind`.
    pub fn rule_for(&self, kind: MatterKind) -> DecisionRule {
        self.decisions.iter().find(|(k, _)| *k == kind).map(|(_, r)| *r).unwrap_or(self.default_rule)
    }

    /// Rules as in the WebCare agreement and Norrbotten's model: half the members for quorum,
    /// simple majority, unanimity for the budget and for terminating an agreement, five days'
    /// notice, majority of members for roster changes.
    pub fn standard() -> Rules {
        let unanimous = DecisionRule { quorum_percent: 100, majority: Majority::Unanimous };
        Rules {
            roster_threshold: RosterThreshold::Majority,
            decisions: vec![
                (MatterKind::Budget, unanimous),
                (MatterKind::UppsagningAvAvtal, unanimous),
                (
                    MatterKind::Medlemskap,
                    DecisionRule { quorum_percent: 50, majority: Majority::Qualified { numerator: 2, denominator: 3 } },
                ),
            ],
            default_rule: DecisionRule { quorum_percent: 50, majority: Majority::Simple },
            meeting_notice_days: 5,
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        check_list("decision rules", self.decisions.len()).map_err(|e| e.to_string())?;
        let mut seen = BTreeSet::new();
        for (kind, rule) in &self.decisions {
            if !seen.insert(*kind) {
                return Err(format!("the decision rule for {kind:?} is given twice"));
            }
            rule.check()?;
        }
        self.default_rule.check()
    }
}

impl DecisionRule {
    fn check(&self) -> Result<(), String> {
        if self.quorum_percent > 100 {
            return Err(format!("quorum {}% is over 100%", self.quorum_percent));
        }
        if let Majority::Qualified { numerator, denominator } = self.majority {
            if denominator == 0 || numerator == 0 || numerator > denominator {
                return Err(format!("qualified majority {numerator}/{denominator} is not a fraction in (0, 1]"));
            }
        }
        Ok(())
    }
}

/// A founding member: the member and its organisation key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Founder {
    /// The member.
    pub member: Member,
    /// Its organisation key, which certifies its people's and nodes' keys.
    pub org_key: PublicKey,
}

/// The body of the genesis record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charter {
    /// The federation's name, e.g. `Ekosystem Norrbotten`.
    pub name: String,
    /// The system the federation governs, e.g. `Treserva`.
    pub system: String,
    /// The founding members and their organisation keys.
    pub founders: Vec<Founder>,
    /// The host member (värdkommun).
    pub host: MemberId,
    /// Decision and roster rules.
    pub rules: Rules,
    /// The roles that exist in this federation.
    pub roles: Vec<Role>,
}

impl Charter {
    /// Checks the charter's own consistency (the signatures are checked by validation).
    pub fn check(&self) -> Result<(), String> {
        check_text("federation name", &self.name).map_err(|e| e.to_string())?;
        check_text("system name", &self.system).map_err(|e| e.to_string())?;
        check_list("founders", self.founders.len()).map_err(|e| e.to_string())?;
        if self.name.trim().is_empty() {
            return Err("the federation needs a name".into());
        }
        if self.founders.is_empty() {
            return Err("a federation needs at least one member".into());
        }
        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for f in &self.founders {
            f.member.check()?;
            if !ids.insert(f.member.id.as_str()) {
                return Err(format!("member {} is listed twice", f.member.id));
            }
            if !keys.insert(f.org_key) {
                return Err(format!("the organisation key of {} is used by another member", f.member.id));
            }
        }
        if !ids.contains(self.host.as_str()) {
            return Err(format!("the host {} is not a member", self.host));
        }
        self.rules.check()
    }

    /// Decodes a charter body.
    pub fn decode(bytes: &[u8]) -> Result<Charter, DecodeError> {
        crate::encoding::decode("charter", bytes, crate::encoding::MAX_BODY_BYTES)
    }
}
