//! Samverka's signed-record protocol.
//!
//! Pure: record types, canonical encoding, signatures, the roster chain and validation. No I/O,
//! no clock, no async. Everything a node needs to judge a record on its own lives here, so a
//! second implementation can be checked against this crate's golden vectors.

pub mod agreement;
pub mod charter;
pub mod cost;
pub mod crypto;
pub mod encoding;
pub mod evidence;
pub mod governance;
pub mod identity;
pub mod needs;
pub mod outage;
pub mod plan;
pub mod record;
pub mod roster;
pub mod rule;
pub mod support;
pub mod testkit;
pub mod validate;

pub use charter::{Charter, DecisionRule, Majority, MatterKind, Member, MemberId, MemberKind, Role, Rules};
pub use crypto::{Hash, PublicKey, Signature, SigningKey};
pub use record::{Body, Countersignature, Draft, Header, Kind, Record, RecordId, Unverified, Verified};
pub use roster::{Change, KeyGrant, KeyKind, Roster, RosterChain, RosterUpdate};
pub use validate::Rejection;
