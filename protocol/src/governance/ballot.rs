//! Votes and ballot closings. A member's vote is a record signed by its ordinarie's or
//! ersättare's key; a closing names the votes it counts, and every node recomputes its tally.

use serde::{Deserialize, Serialize};

use super::{count, Context, Decision, Matter, Outcome, Tally};
use crate::charter::MemberId;
use crate::encoding::MAX_LIST_LEN;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::RosterChain;
use crate::validate::Rejection;

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

/// Builds the closing of `matter` from every vote the node holds (any order, repeats, votes on
/// other matters and superseded votes are fine: only the votes that count are named), under
/// roster version `roster_version` — the version the closing record will name.
pub fn close(
    matter: &Record<Verified>,
    votes: &[Record<Verified>],
    chain: &RosterChain,
    roster_version: u64,
) -> Result<BallotClose, Rejection> {
    let current = chain.current().version;
    let roster = chain.at(roster_version).ok_or(Rejection::UnknownRosterVersion { named: roster_version, current })?;
    let body = matter.body().ok_or(Rejection::MissingBody { kind: Kind::Matter })?;
    if matter.header().kind != Kind::Matter {
        return Err(Rejection::BadBody { kind: Kind::BallotClose, reason: format!("{} is not a matter", matter.id()) });
    }
    let m = Matter::from_bytes(body)?;
    let c = count(matter.id(), &m, votes, chain, roster);
    Ok(BallotClose { matter: matter.id(), counted: c.counted, result: c.decision.result, tally: c.decision.tally })
}

/// Checks a vote body: the author's key speaks for `member`, and the matter exists and offers
/// the choice. (Whether the key may vote at all — an ordinarie or ersättare role, not revoked,
/// not expired — is checked by [`crate::validate::verify_in`] before this.)
pub(super) fn check_vote(cx: &Context<'_>, v: &Vote) -> Result<(), Rejection> {
    let h = cx.record.header();
    let grant = cx.roster.keys.get(&h.author).ok_or(Rejection::UnknownAuthor { key: h.author, roster: h.roster })?;
    if grant.member != v.member {
        return Err(cx.bad(format!("a key of member {} cannot vote for member {}", grant.member, v.member)));
    }
    let (_, matter) = cx.fetch::<Matter>(&v.matter)?;
    if !matter.admits(v.choice) {
        return Err(cx.bad(format!("the matter does not offer the choice {:?}", v.choice)));
    }
    Ok(())
}

/// Checks a closing body: its votes are held, all count, and give exactly its result and tally
/// under the rules of the closing's roster version.
pub(super) fn check_close(cx: &Context<'_>, c: &BallotClose) -> Result<(), Rejection> {
    cx.list("counted votes", c.counted.len(), MAX_LIST_LEN)?;
    if !c.counted.windows(2).all(|w| w[0] < w[1]) {
        return Err(cx.bad("the counted votes are not sorted by record id without repeats"));
    }
    let (_, matter) = cx.fetch::<Matter>(&c.matter)?;
    let votes = c
        .counted
        .iter()
        .map(|id| cx.lookup.record(id).ok_or(Rejection::MissingDependency { id: *id }))
        .collect::<Result<Vec<_>, _>>()?;
    let computed = count(c.matter, &matter, &votes, cx.chain, cx.roster);
    if let Some((id, why)) = computed.excluded.first() {
        return Err(cx.bad(format!("vote {id} does not count: {why}")));
    }
    assert_eq!(computed.counted, c.counted, "with nothing excluded, a sorted unique list counts as itself");
    let claimed = c.decision();
    if computed.decision != claimed {
        return Err(Rejection::TallyMismatch { claimed: Box::new(claimed), computed: Box::new(computed.decision) });
    }
    Ok(())
}

/// Where a matter stands given the closings a node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// No valid closing yet: the ballot is open.
    Open,
    /// Decided: every closing held agrees on the outcome.
    Closed {
        /// The outcome.
        result: Outcome,
        /// The closings, sorted by record id (usually one).
        closings: Vec<RecordId>,
    },
    /// Closings disagree on the outcome: nothing is decided until the matter is put again.
    Disputed {
        /// The closings, sorted by record id.
        closings: Vec<RecordId>,
    },
}

/// Settles a matter from the valid closings held (closings of other matters are ignored).
///
/// A closing's result is a pure function of the votes it names, but two closers (the host's
/// node and the ordförande, say) may name different sets. No single record can prove it is the
/// only closing, so the rule is order-independent instead: agreeing closings decide; closings
/// that disagree decide nothing. Every node holding the same closings settles the same way.
pub fn settle(matter: &RecordId, closings: &[Record<Verified>]) -> Settlement {
    let mut found: Vec<(RecordId, Outcome)> = closings
        .iter()
        .filter(|r| r.header().kind == Kind::BallotClose)
        .filter_map(|r| Some((r.id(), BallotClose::from_bytes(r.body()?).ok()?)))
        .filter(|(_, c)| c.matter == *matter)
        .map(|(id, c)| (id, c.result))
        .collect();
    found.sort_by_key(|(id, _)| *id);
    found.dedup_by_key(|(id, _)| *id);
    let closings = found.iter().map(|(id, _)| *id).collect();
    match found.first() {
        None => Settlement::Open,
        Some((_, first)) if found.iter().all(|(_, r)| r == first) => Settlement::Closed { result: *first, closings },
        Some(_) => Settlement::Disputed { closings },
    }
}
