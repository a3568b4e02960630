//! Bodies about other records: equivocation evidence and redaction.

use serde::{Deserialize, Serialize};

use crate::crypto::Signature;
use crate::record::{record_id, Body, Header, Kind, RecordId};

/// A signed header as it appeared, enough to re-check the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHeader {
    /// The header.
    pub header: Header,
    /// The author's signature over it.
    pub signature: Signature,
}

impl SignedHeader {
    /// The id of the record this header belongs to.
    pub fn id(&self) -> RecordId {
        record_id(&self.header)
    }

    /// Whether the author's signature verifies.
    pub fn verifies(&self) -> bool {
        self.header.author.verify_strict(&self.header.signing_input(), &self.signature)
    }
}

/// Proof that one author signed two different records at one position of its chain. Spreads like
/// any record, so every node flags the same author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivocation {
    /// One of the two headers (the one with the smaller id).
    pub first: SignedHeader,
    /// The other.
    pub second: SignedHeader,
}

impl Body for Equivocation {
    const KIND: Kind = Kind::Equivocation;
}

impl Equivocation {
    /// Evidence from two headers, ordered so the same pair always gives the same body.
    pub fn new(a: SignedHeader, b: SignedHeader) -> Equivocation {
        if a.id() <= b.id() {
            Equivocation { first: a, second: b }
        } else {
            Equivocation { first: b, second: a }
        }
    }

    /// Checks the evidence stands on its own: one author, one position, two records, both signed.
    pub fn check(&self) -> Result<(), String> {
        let (a, b) = (&self.first.header, &self.second.header);
        if a.author != b.author || a.seq != b.seq || a.federation != b.federation {
            return Err("the two headers are not by one author at one position".into());
        }
        if self.first.id() >= self.second.id() {
            return Err("the two headers are the same record, or not in id order".into());
        }
        if !self.first.verifies() || !self.second.verifies() {
            return Err("a header's signature does not verify".into());
        }
        Ok(())
    }
}

/// Removal of another record's body (GDPR, gallring). The target's header and signature stay, so
/// everything that references it still verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// The record whose body is removed.
    pub target: RecordId,
    /// Why, e.g. `gallring enligt dokumenthanteringsplan`.
    pub reason: String,
}

impl Body for Redaction {
    const KIND: Kind = Kind::Redaction;
}
