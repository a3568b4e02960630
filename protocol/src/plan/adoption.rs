//! Adoption (fastställande): a plan version or a cost key is *fastställd* when a styrgrupp
//! matter naming exactly it as its subject is closed as adopted (`docs/plans.md` §7). A pure
//! function of the matters and their settlements: no clock.

use crate::governance::{Matter, Outcome, Settlement};
use crate::record::RecordId;

/// A matter held and how its closings settle it.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The matter's record id.
    pub id: RecordId,
    /// The matter.
    pub matter: Matter,
    /// How its closer's closings settle it ([`crate::governance::settle`]).
    pub settlement: Settlement,
}

/// Whether a plan version (or cost key) is fastställd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Adoption {
    /// No closing adopts a matter naming it.
    NotAdopted,
    /// Fastställd by `matter`'s final closing `closing`.
    Adopted {
        /// The matter that named it.
        matter: RecordId,
        /// The final closing that adopted it.
        closing: RecordId,
    },
}

/// Whether `subject` is fastställd by one of `decided`: a matter whose `subject` is exactly this
/// record, closed (final, not disputed) as `Adopted` — without alternatives, so a yes. When
/// several do, the matter with the lowest id is named.
pub fn adoption(subject: &RecordId, decided: &[Decided]) -> Adoption {
    decided
        .iter()
        .filter(|d| d.matter.subject == Some(*subject) && d.matter.alternatives.is_empty())
        .filter_map(|d| match d.settlement {
            Settlement::Closed { result: Outcome::Adopted { alternative: None }, closing } => Some((d.id, closing)),
            _ => None,
        })
        .min()
        .map_or(Adoption::NotAdopted, |(matter, closing)| Adoption::Adopted { matter, closing })
}
