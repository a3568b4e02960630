//! The cost key (fördelningsnyckel) as a record: versioned per year, adopted by decision, and
//! split by [`crate::cost::split`] to give each member's invoice basis.

use serde::{Deserialize, Serialize};

use super::{fetch, line, Error, Violation};
use crate::charter::MemberId;
use crate::cost::{self, Basis, Entry, Weight};
use crate::governance::Date;
use crate::record::{Body, Kind, Lookup, RecordId};
use crate::roster::Roster;

/// The body of a cost-key record (kind 32). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostKey {
    /// The year the key applies to, 2000 ..= 9999.
    pub year: u16,
    /// One-line title, e.g. `Fördelningsnyckel 2027`.
    pub title: String,
    /// What the weights mean.
    pub basis: KeyBasis,
    /// One weight per member, each a member of the roster version the record names.
    pub entries: Vec<KeyEntry>,
    /// The key for the same year this one replaces, if any.
    pub supersedes: Option<RecordId>,
}

impl Body for CostKey {
    const KIND: Kind = Kind::CostKey;
}

/// What a key's weights mean (`cost::Basis`, with the population's date for a per-capita key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyBasis {
    /// Fixed shares in percent, summing to 100.
    Percent,
    /// Relative weights.
    Weights,
    /// Each member's population at `date`.
    PerCapita {
        /// The date of the population figures, `YYYY-MM-DD`.
        date: String,
    },
    /// Licence or user counts.
    Licences,
    /// A fixed part (in millionths of a percent) split equally, the rest by the weights.
    FixedPlusVariable {
        /// The fixed part, in millionths of a percent (25 % = 25 000 000).
        fixed_millionths: i64,
    },
}

/// One member's weight, in millionths (8,6 % = 8 600 000).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// The member (its MemberId, the kommunkod).
    pub member: MemberId,
    /// The weight in millionths.
    pub weight_millionths: i64,
}

impl CostKey {
    /// The checked `cost::Key` this record describes.
    pub fn key(&self) -> Result<cost::Key, cost::Violation> {
        let basis = match &self.basis {
            KeyBasis::Percent => Basis::Percent,
            KeyBasis::Weights => Basis::Weights,
            KeyBasis::PerCapita { .. } => Basis::PerCapita,
            KeyBasis::Licences => Basis::Licences,
            KeyBasis::FixedPlusVariable { fixed_millionths } => {
                Basis::FixedPlusVariable { fixed_percent: Weight::from_millionths(*fixed_millionths) }
            }
        };
        let entries =
            self.entries.iter().map(|e| Entry::new(e.member.clone(), Weight::from_millionths(e.weight_millionths)));
        cost::Key::new(basis, entries.collect())
    }
}

/// Checks a cost key by `docs/plans.md` §5, in order.
pub(super) fn check(k: &CostKey, roster: &Roster, lookup: &dyn Lookup) -> Result<(), Error> {
    if !(2000..=9999).contains(&k.year) {
        return Err(Violation::BadYear { year: k.year }.into());
    }
    line("title", &k.title)?;
    if let KeyBasis::PerCapita { date } = &k.basis {
        Date::parse(date).map_err(|_| Violation::BadDate { field: "basis.date" })?;
    }
    k.key().map_err(Violation::Key)?;
    if let Some(e) = k.entries.iter().find(|e| !roster.members.contains_key(&e.member)) {
        return Err(Violation::NotAMember { member: e.member.clone() }.into());
    }
    if let Some(id) = k.supersedes {
        let (_, old) = fetch::<CostKey>(lookup, &id)?;
        if old.year != k.year {
            return Err(Violation::SupersedesOtherYear { id, found: old.year }.into());
        }
    }
    Ok(())
}
