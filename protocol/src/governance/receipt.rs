//! Vote receipts: the designated closer's signed statement "I hold this vote". A closing must
//! account for every vote its closer receipted earlier in its own chain, so a voter holding a
//! receipt can prove its vote was counted — or that no closing omitting it can verify.

use serde::{Deserialize, Serialize};

use super::{Context, Error, Matter, Violation, Vote};
use crate::record::{Body, Kind, RecordId};

/// The body of a vote-receipt record (kind 18). Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteReceipt {
    /// The matter voted on.
    pub matter: RecordId,
    /// The vote received.
    pub vote: RecordId,
}

impl Body for VoteReceipt {
    const KIND: Kind = Kind::VoteReceipt;
}

/// Checks a vote receipt: the matter is held and names the author as its closer, and the vote
/// is held and is a vote on that matter.
pub(super) fn check(cx: &Context<'_>, r: &VoteReceipt) -> Result<(), Error> {
    let (_, matter) = cx.fetch::<Matter>(&r.matter)?;
    if cx.record.header().author != matter.closer {
        return Err(Violation::NotDesignatedCloser { closer: matter.closer }.into());
    }
    let (_, vote) = cx.fetch::<Vote>(&r.vote)?;
    if vote.matter != r.matter {
        return Err(Violation::ReceiptOfOtherMatter { vote: r.vote }.into());
    }
    Ok(())
}
