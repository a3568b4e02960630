//! Plan receipts (kvittenser): a member's node's signed statement "this node holds this plan".
//! Every member's node authors one by itself when it stores a plan, so the host and every member
//! see which members have not received a version, and since when.

use serde::{Deserialize, Serialize};

use super::{fetch, Error, Plan};
use crate::record::{Body, Kind, Lookup, RecordId};

/// The body of a plan-receipt record (kind 31): one raw 32-byte id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReceipt {
    /// The plan received.
    pub plan: RecordId,
}

impl Body for PlanReceipt {
    const KIND: Kind = Kind::PlanReceipt;
}

/// Checks a plan receipt: the plan is a held plan record.
pub(super) fn check(r: &PlanReceipt, lookup: &dyn Lookup) -> Result<(), Error> {
    fetch::<Plan>(lookup, &r.plan)?;
    Ok(())
}
