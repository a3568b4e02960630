//! Votes and ballot closings. A member's vote is a record signed by its ordinarie's or
//! ersättare's key; a closing names the votes it counts, and every node recomputes its tally.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{count, walk_back, Context, Decision, Error, Excluded, Matter, Outcome, Tally, Violation, VoteReceipt};
use crate::charter::MemberId;
use crate::encoding::MAX_LIST_LEN;
use crate::record::Lookup;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::{Roster, RosterChain};

/// A vote's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Choice {
    /// For the proposal (ja).
    Yes,
    /// Against the proposal (nej).
    No,
    /// Abstains (avstår): counts towards quorum, not towards a majority.
    Abstain,
    /// For the alternative with this index.
    Alternative(u32),
}

/// The body of a vote record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The matter voted on.
    pub matter: RecordId,
    /// The member whose vote this is: the author key's member.
    pub member: MemberId,
    /// The choice.
    pub choice: Choice,
}

impl Body for Vote {
    const KIND: Kind = Kind::Vote;
}

/// The body of a ballot-closing record. Fields encode in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotClose {
    /// The matter whose ballot closes.
    pub matter: RecordId,
    /// The votes counted, sorted by record id without repeats: exactly the votes that count
    /// (one per voting member), never a superseded one.
    pub counted: Vec<RecordId>,
    /// The outcome.
    pub result: Outcome,
    /// The tally.
    pub tally: Tally,
}

impl Body for BallotClose {
    const KIND: Kind = Kind::BallotClose;
}

impl BallotClose {
    /// What the closing claims.
    pub fn decision(&self) -> Decision {
        Decision { result: self.result, tally: self.tally.clone() }
    }
}

/// Builds the closing of the matter `matter_id` (body `matter`) from every vote the node holds
/// (any order; repeats, votes on other matters and superseded votes are fine: only the votes
/// that count are named), under `roster` — the roster version the closing record will name.
///
/// Given every vote its closer holds, the closing accounts for every vote the closer receipted.
pub fn close(
    matter_id: RecordId,
    matter: &Matter,
    votes: &[Record<Verified>],
    chain: &RosterChain,
    roster: &Roster,
) -> BallotClose {
    let c = count(matter_id, matter, votes, chain, roster);
    BallotClose { matter: matter_id, counted: c.counted, result: c.decision.result, tally: c.decision.tally }
}

/// Checks a vote body: the author's key speaks for `member`, and the matter exists and offers
/// the choice. (Whether the key may vote at all — an ordinarie or ersättare role, not revoked,
/// not expired — is checked by [`crate::validate::verify_in`] before this.)
pub(super) fn check_vote(cx: &Context<'_>, v: &Vote) -> Result<(), Error> {
    let author = cx.record.header().author;
    if cx.roster.keys.get(&author).is_none_or(|g| g.member != v.member) {
        return Err(Violation::VoteForOtherMember { member: v.member.clone() }.into());
    }
    let (_, matter) = cx.fetch::<Matter>(&v.matter)?;
    if !matter.admits(v.choice) {
        return Err(Violation::ChoiceNotOffered { choice: v.choice }.into());
    }
    Ok(())
}

/// Checks a closing body (`docs/governance.md` §2.6): its author is the matter's closer, its
/// closer has not closed the matter before, it names exactly the votes that count among the
/// votes it names and those its closer receipted before it, and its result and tally are what
/// those votes give under the closing's roster version.
pub(super) fn check_close(cx: &Context<'_>, c: &BallotClose) -> Result<(), Error> {
    cx.list("counted votes", c.counted.len(), MAX_LIST_LEN)?;
    if !c.counted.windows(2).all(|w| w[0] < w[1]) {
        return Err(Violation::CountedNotSorted.into());
    }
    let (_, matter) = cx.fetch::<Matter>(&c.matter)?;
    let header = cx.record.header();
    if header.author != matter.closer {
        return Err(Violation::NotDesignatedCloser { closer: matter.closer }.into());
    }
    let mut receipted = Vec::new();
    let earlier = walk_back(header, cx.lookup, |r| match r.header().kind {
        Kind::BallotClose => {
            r.body().and_then(|b| BallotClose::from_bytes(b).ok()).filter(|b| b.matter == c.matter).map(|_| r.id())
        }
        Kind::VoteReceipt => {
            let receipt = r.body().and_then(|b| VoteReceipt::from_bytes(b).ok());
            receipted.extend(receipt.filter(|v| v.matter == c.matter).map(|v| v.vote));
            None
        }
        _ => None,
    })?;
    if let Some(closing) = earlier {
        return Err(Violation::AlreadyClosed { closing }.into());
    }
    let named = held(cx.lookup, &c.counted)?;
    let computed = count(c.matter, &matter, &named, cx.chain, cx.roster);
    if let Some((vote, excluded)) = computed.excluded.first().copied() {
        return Err(match excluded.by() {
            Some(by) => Violation::SupersededVoteNamed { vote, by },
            None => Violation::IneligibleVoteNamed { vote, excluded },
        }
        .into());
    }
    assert_eq!(computed.counted, c.counted, "with nothing excluded, a sorted unique list counts as itself");
    let mut all = held(cx.lookup, &receipted)?;
    all.extend(named);
    let accounted = count(c.matter, &matter, &all, cx.chain, cx.roster);
    if let Some(vote) = accounted.counted.iter().find(|id| c.counted.binary_search(id).is_err()) {
        let overruled = accounted.excluded.iter().find(|(id, why)| why.by() == Some(*vote) && c.counted.contains(id));
        return Err(match overruled {
            Some((named, _)) => Violation::SupersededVoteNamed { vote: *named, by: *vote },
            None => Violation::ReceiptedVoteOmitted { vote: *vote },
        }
        .into());
    }
    let claimed = c.decision();
    if computed.decision != claimed {
        return Err(
            Violation::TallyMismatch { claimed: Box::new(claimed), computed: Box::new(computed.decision) }.into()
        );
    }
    Ok(())
}

/// The records `ids`, each held (else [`Error::MissingDependency`]).
fn held(lookup: &dyn Lookup, ids: &[RecordId]) -> Result<Vec<Record<Verified>>, Error> {
    ids.iter().map(|id| lookup.record(id).ok_or(Error::MissingDependency { id: *id })).collect()
}

/// Where a matter stands given the closings a node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// No closing by the matter's closer held: the ballot is open.
    Open,
    /// Decided by the closer's first closing of the matter, which is final.
    Closed {
        /// The outcome.
        result: Outcome,
        /// The final closing.
        closing: RecordId,
    },
    /// The closer signed two different closings at its first closing's chain position (an
    /// equivocation, flagged against it as such): nothing is decided; the matter is put again.
    Disputed {
        /// The closings at that position, sorted by record id.
        closings: Vec<RecordId>,
    },
}

/// Settles the matter `matter_id` (body `matter`) from the closings held (§4 of
/// `docs/governance.md`): only closings of this matter by its designated closer count, and the
/// first of them in the closer's chain (lowest seq) is final. Validation refuses a closer's
/// second closing of a matter, so a node holding the final closing holds no other valid one but
/// an equivocation at the same position, which disputes the matter if it decides differently.
///
/// A pure function of the set held: every node holding the same closings settles the same way,
/// and since a closing is valid only with its closer's earlier chain held, a closing that
/// arrives later never replaces one already shown.
pub fn settle(matter_id: &RecordId, matter: &Matter, closings: &[Record<Verified>]) -> Settlement {
    let mut found: Vec<(u64, RecordId, Decision)> = closings
        .iter()
        .filter(|r| r.header().kind == Kind::BallotClose && r.header().author == matter.closer)
        .filter_map(|r| Some((r.header().seq, r.id(), BallotClose::from_bytes(r.body()?).ok()?)))
        .filter(|(_, _, c)| c.matter == *matter_id)
        .map(|(seq, id, c)| (seq, id, c.decision()))
        .collect();
    found.sort_by_key(|(seq, id, _)| (*seq, *id));
    found.dedup_by_key(|(_, id, _)| *id);
    let Some((first_seq, first_id, first)) = found.first() else { return Settlement::Open };
    let tied: Vec<&(u64, RecordId, Decision)> = found.iter().filter(|(seq, _, _)| seq == first_seq).collect();
    if tied.iter().all(|(_, _, d)| d.result == first.result) {
        Settlement::Closed { result: first.result, closing: *first_id }
    } else {
        Settlement::Disputed { closings: tied.iter().map(|(_, id, _)| *id).collect() }
    }
}

/// Why each vote held on the matter does or does not count, as shown to people: `None` for a
/// vote that counts, else the true reason (sorted by record id, repeats dropped).
///
/// With a final closing (`closing`), the votes it names count. Another vote is explained by
/// counting it together with the named votes under the closing's roster version: it is
/// superseded, overruled by the ordinarie, or ineligible — or, if it would have counted, it
/// arrived after the ballot closed ([`Excluded::AfterClosing`]: the closing could not omit it had
/// the closer receipted it first). Without a closing, the votes are counted as they stand under
/// `chain`'s current version.
pub fn explain(
    matter_id: RecordId,
    matter: &Matter,
    closing: Option<&Record<Verified>>,
    votes: &[Record<Verified>],
    chain: &RosterChain,
) -> Vec<(RecordId, Option<Excluded>)> {
    let ids: BTreeSet<RecordId> = votes.iter().map(Record::id).collect();
    let closed = closing.and_then(|r| Some((r, BallotClose::from_bytes(r.body()?).ok()?)));
    let Some((record, close)) = closed else {
        let c = count(matter_id, matter, votes, chain, chain.current());
        return ids
            .into_iter()
            .map(|id| (id, c.excluded.iter().find(|(e, _)| *e == id).map(|(_, why)| *why)))
            .collect();
    };
    let roster = chain.at(record.header().roster).expect("a verified closing names a roster version held");
    let named: Vec<Record<Verified>> = votes.iter().filter(|v| close.counted.contains(&v.id())).cloned().collect();
    let why = |vote: &Record<Verified>| {
        if close.counted.contains(&vote.id()) {
            return None;
        }
        let mut with = named.clone();
        with.push(vote.clone());
        let c = count(matter_id, matter, &with, chain, roster);
        let excluded = c.excluded.iter().find(|(id, _)| *id == vote.id()).map(|(_, why)| *why);
        Some(excluded.unwrap_or(Excluded::AfterClosing { closing: record.id() }))
    };
    let mut out: Vec<(RecordId, Option<Excluded>)> = votes.iter().map(|v| (v.id(), why(v))).collect();
    out.sort_by_key(|(id, _)| *id);
    out.dedup_by_key(|(id, _)| *id);
    out
}
