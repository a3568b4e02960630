//! Counting: which votes count (one member, one vote), the tally, and the outcome under the
//! charter's decision rule for the matter's kind. Pure and order-independent: the same votes in
//! any order give the same count.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Choice, Matter, Vote};
use crate::charter::{DecisionRule, Majority, MemberId, Role};
use crate::crypto::PublicKey;
use crate::record::{Body, Kind, Record, RecordId, Verified};
use crate::roster::{Roster, RosterChain};

/// The counted votes, per choice. Encoded in a ballot closing in this field order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Yes votes (always 0 on a matter with alternatives).
    pub yes: u32,
    /// No votes (always 0 on a matter with alternatives).
    pub no: u32,
    /// Abstentions (they count towards quorum, not towards a majority).
    pub abstain: u32,
    /// Votes per alternative, by index: as long as the matter's alternatives (empty on a yes/no
    /// matter).
    pub alternatives: Vec<u32>,
    /// Members whose vote counts: `yes + no + abstain + Σ alternatives`.
    pub members_voting: u32,
    /// Members in the roster version of the closing.
    pub members_total: u32,
}

/// The result of a ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The proposal (`alternative: None`) or the alternative with that index was adopted.
    Adopted {
        /// The adopted alternative, on a matter with alternatives.
        alternative: Option<u32>,
    },
    /// Quorum was reached but the majority was not.
    Rejected,
    /// Too few members voted for any decision.
    NoQuorum,
}

/// What a closing claims, and what its votes give: the outcome and the tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub result: Outcome,
    /// The tally.
    pub tally: Tally,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        write!(
            f,
            "{:?} (yes {}, no {}, abstain {}, alternatives {:?}, {} of {} members voting)",
            self.result, t.yes, t.no, t.abstain, t.alternatives, t.members_voting, t.members_total
        )
    }
}

/// Why a vote given to [`count`] does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Excluded {
    /// The record is not a vote, or its body is missing.
    NotAVote,
    /// The vote is on another matter.
    OtherMatter,
    /// The choice is not one the matter offers.
    InvalidChoice,
    /// The author's key does not hold an ordinarie or ersättare role for the vote's member at
    /// the roster version the vote names.
    NotAVoter,
    /// The vote's member is not a member at the closing's roster version.
    NotAMember,
    /// The author's key was revoked from this vote's position on.
    Revoked,
    /// A later vote for the same member (by chain position, or between keys by §3.1's order)
    /// counts instead.
    Superseded {
        /// The vote that counts.
        by: RecordId,
    },
    /// An ersättare's vote, while the member's ordinarie voted: the ordinarie's vote counts.
    OrdinarieVoted {
        /// The ordinarie's vote that counts.
        by: RecordId,
    },
    /// The matter's final closing does not name it, and it would have counted: its closer had
    /// not receipted it before closing, so it arrived after the ballot closed. Given only by
    /// [`super::explain`].
    AfterClosing {
        /// The final closing.
        closing: RecordId,
    },
}

impl Excluded {
    /// A short, stable code for the API, the CSV and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Excluded::NotAVote => "not_a_vote",
            Excluded::OtherMatter => "other_matter",
            Excluded::InvalidChoice => "invalid_choice",
            Excluded::NotAVoter => "not_a_voter",
            Excluded::NotAMember => "not_a_member",
            Excluded::Revoked => "revoked",
            Excluded::Superseded { .. } => "superseded",
            Excluded::OrdinarieVoted { .. } => "ordinarie_voted",
            Excluded::AfterClosing { .. } => "after_closing",
        }
    }

    /// The vote that counts instead, when this one is superseded or overruled.
    pub fn by(&self) -> Option<RecordId> {
        match self {
            Excluded::Superseded { by } | Excluded::OrdinarieVoted { by } => Some(*by),
            _ => None,
        }
    }
}

impl fmt::Display for Excluded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Excluded::NotAVote => f.write_str("it is not a vote"),
            Excluded::OtherMatter => f.write_str("it is a vote on another matter"),
            Excluded::InvalidChoice => f.write_str("its choice is not one the matter offers"),
            Excluded::NotAVoter => f.write_str("its author is not the member's ordinarie or ersättare"),
            Excluded::NotAMember => f.write_str("its member is not a member at the closing's roster version"),
            Excluded::Revoked => f.write_str("its author's key is revoked from that position"),
            Excluded::Superseded { by } => write!(f, "superseded by the member's later vote {by}"),
            Excluded::OrdinarieVoted { by } => {
                write!(f, "an ersättare's vote, and the member's ordinarie voted ({by})")
            }
            Excluded::AfterClosing { closing } => {
                write!(f, "arrived after the ballot closed: closing {closing} does not account for it")
            }
        }
    }
}

/// The result of counting a set of votes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// The votes that count, one per member, sorted by record id.
    pub counted: Vec<RecordId>,
    /// The votes that do not count and why, sorted by record id (repeats of one record dropped).
    pub excluded: Vec<(RecordId, Excluded)>,
    /// The outcome and tally.
    pub decision: Decision,
}

/// Ordinarie before ersättare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seat {
    Ordinarie,
    Ersattare,
}

/// A vote that may count, with what decides between a member's votes.
struct Candidate {
    id: RecordId,
    author: PublicKey,
    seat: Seat,
    seq: u64,
    roster: u64,
    time_ms: i64,
    choice: Choice,
}

/// Counts `votes` on the matter `matter_id` (body `matter`) under `roster`, the roster version
/// of the closing, with `chain` giving each voter's role at the version its vote names.
///
/// Which votes count, per member of `roster`:
/// 1. only votes on this matter, with a choice it admits, by a key holding the ordinarie or
///    ersättare role for that member at the vote's roster version, not revoked at its position;
/// 2. if any ordinarie key voted, only ordinarie votes; otherwise the ersättare's;
/// 3. per author, the vote latest in its chain (highest seq; equal seqs — an equivocation —
///    the higher record id);
/// 4. between authors (a rotated key, two ersättare), the vote naming the highest roster
///    version, then the latest claimed time, then the higher record id.
pub fn count(
    matter_id: RecordId,
    matter: &Matter,
    votes: &[Record<Verified>],
    chain: &RosterChain,
    roster: &Roster,
) -> Count {
    let mut seen = BTreeSet::new();
    let mut excluded = Vec::new();
    let mut by_member: BTreeMap<MemberId, Vec<Candidate>> = BTreeMap::new();
    for vote in votes {
        if !seen.insert(vote.id()) {
            continue;
        }
        match candidate(matter_id, matter, vote, chain, roster) {
            Ok((member, c)) => by_member.entry(member).or_default().push(c),
            Err(why) => excluded.push((vote.id(), why)),
        }
    }
    let mut counted = Vec::new();
    let mut choices = Vec::new();
    for candidates in by_member.values() {
        let winner = prevailing(candidates);
        for c in candidates.iter().filter(|c| c.id != winner.id) {
            let why = if c.seat > winner.seat {
                Excluded::OrdinarieVoted { by: winner.id }
            } else {
                Excluded::Superseded { by: winner.id }
            };
            excluded.push((c.id, why));
        }
        counted.push(winner.id);
        choices.push(winner.choice);
    }
    counted.sort();
    excluded.sort_by_key(|(id, _)| *id);
    let members_total = u32::try_from(roster.members.len()).expect("a roster holds far fewer than 2^32 members");
    let tally = tally(matter, &choices, members_total);
    let result = decide(roster.rules.rule_for(matter.kind), &tally);
    Count { counted, excluded, decision: Decision { result, tally } }
}

fn candidate(
    matter_id: RecordId,
    matter: &Matter,
    vote: &Record<Verified>,
    chain: &RosterChain,
    roster: &Roster,
) -> Result<(MemberId, Candidate), Excluded> {
    let h = vote.header();
    if h.kind != Kind::Vote {
        return Err(Excluded::NotAVote);
    }
    let body = vote.body().and_then(|b| Vote::from_bytes(b).ok()).ok_or(Excluded::NotAVote)?;
    if body.matter != matter_id {
        return Err(Excluded::OtherMatter);
    }
    if !matter.admits(body.choice) {
        return Err(Excluded::InvalidChoice);
    }
    let grant = chain.at(h.roster).and_then(|r| r.keys.get(&h.author)).ok_or(Excluded::NotAVoter)?;
    let seat = if grant.kind.has_role(Role::StyrgruppOrdinarie) {
        Seat::Ordinarie
    } else if grant.kind.has_role(Role::StyrgruppErsattare) {
        Seat::Ersattare
    } else {
        return Err(Excluded::NotAVoter);
    };
    if grant.member != body.member {
        return Err(Excluded::NotAVoter);
    }
    if chain.revoked_since(&h.author).is_some_and(|since| h.seq >= since) {
        return Err(Excluded::Revoked);
    }
    if !roster.members.contains_key(&body.member) {
        return Err(Excluded::NotAMember);
    }
    let c = Candidate {
        id: vote.id(),
        author: h.author,
        seat,
        seq: h.seq,
        roster: h.roster,
        time_ms: h.time_ms,
        choice: body.choice,
    };
    Ok((body.member, c))
}

/// The one vote that counts among one member's candidates (rules 2–4 of [`count`]).
fn prevailing(candidates: &[Candidate]) -> &Candidate {
    let seat = candidates.iter().map(|c| c.seat).min().expect("a member has at least one candidate");
    let mut latest_per_author: BTreeMap<PublicKey, &Candidate> = BTreeMap::new();
    for c in candidates.iter().filter(|c| c.seat == seat) {
        let slot = latest_per_author.entry(c.author).or_insert(c);
        if (c.seq, c.id) > (slot.seq, slot.id) {
            *slot = c;
        }
    }
    latest_per_author
        .into_values()
        .max_by_key(|c| (c.roster, c.time_ms, c.id))
        .expect("the best seat has at least one candidate")
}

fn tally(matter: &Matter, choices: &[Choice], members_total: u32) -> Tally {
    let mut t = Tally { alternatives: vec![0; matter.alternatives.len()], members_total, ..Tally::default() };
    for choice in choices {
        match *choice {
            Choice::Yes => t.yes += 1,
            Choice::No => t.no += 1,
            Choice::Abstain => t.abstain += 1,
            Choice::Alternative(i) => t.alternatives[usize::try_from(i).expect("admitted choices index")] += 1,
        }
        t.members_voting += 1;
    }
    t
}

/// The outcome of `tally` under `rule`.
///
/// - Quorum: `members_voting ≥ ⌈quorum_percent × members_total / 100⌉`, else [`Outcome::NoQuorum`].
/// - Yes/no matter: `for` = yes, `cast` = yes + no. Alternatives: the leading alternative must be
///   unique with at least one vote (a tie for the lead, or no alternative votes, is
///   [`Outcome::Rejected`]); `for` = its votes, `cast` = all alternative votes.
/// - [`Majority::Simple`]: yes > no; on alternatives the unique leader wins (a plurality).
/// - [`Majority::Qualified`] `n/d`: `for ≥ 1` and `for × d ≥ n × cast`.
/// - [`Majority::Unanimous`]: `for = members_total` — every member of the roster voted for it.
pub fn decide(rule: DecisionRule, tally: &Tally) -> Outcome {
    let (total, voting) = (u64::from(tally.members_total), u64::from(tally.members_voting));
    let needed = (u64::from(rule.quorum_percent) * total).div_ceil(100);
    if voting < needed {
        return Outcome::NoQuorum;
    }
    let (alternative, for_, cast) = if tally.alternatives.is_empty() {
        (None, u64::from(tally.yes), u64::from(tally.yes) + u64::from(tally.no))
    } else {
        let top = tally.alternatives.iter().copied().max().unwrap_or(0);
        let mut leaders = tally.alternatives.iter().enumerate().filter(|(_, n)| **n == top);
        let (index, _) = leaders.next().expect("alternatives are non-empty");
        if top == 0 || leaders.next().is_some() {
            return Outcome::Rejected;
        }
        let cast = tally.alternatives.iter().map(|n| u64::from(*n)).sum();
        (Some(u32::try_from(index).expect("at most MAX_ALTERNATIVES")), u64::from(top), cast)
    };
    let adopted = match rule.majority {
        Majority::Simple => alternative.is_some() || for_ > cast - for_,
        Majority::Qualified { numerator, denominator } => {
            for_ >= 1 && for_ * u64::from(denominator) >= u64::from(numerator) * cast
        }
        Majority::Unanimous => for_ == total,
    };
    if adopted {
        Outcome::Adopted { alternative }
    } else {
        Outcome::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes_no(yes: u32, no: u32, abstain: u32, total: u32) -> Tally {
        Tally { yes, no, abstain, alternatives: vec![], members_voting: yes + no + abstain, members_total: total }
    }

    const fn rule(quorum_percent: u8, majority: Majority) -> DecisionRule {
        DecisionRule { quorum_percent, majority }
    }

    #[test]
    fn quorum_rounds_up() {
        // 50 % of 13 members is 6.5: seven must vote.
        assert_eq!(decide(rule(50, Majority::Simple), &yes_no(6, 0, 0, 13)), Outcome::NoQuorum);
        assert_eq!(decide(rule(50, Majority::Simple), &yes_no(6, 0, 1, 13)), Outcome::Adopted { alternative: None });
        assert_eq!(decide(rule(0, Majority::Simple), &yes_no(0, 0, 0, 13)), Outcome::Rejected);
    }

    #[test]
    fn simple_majority_is_more_yes_than_no() {
        assert_eq!(decide(rule(50, Majority::Simple), &yes_no(5, 5, 4, 14)), Outcome::Rejected);
        assert_eq!(decide(rule(50, Majority::Simple), &yes_no(2, 1, 11, 14)), Outcome::Adopted { alternative: None });
    }

    #[test]
    fn qualified_majority_counts_votes_cast() {
        let two_thirds = rule(50, Majority::Qualified { numerator: 2, denominator: 3 });
        assert_eq!(decide(two_thirds, &yes_no(8, 4, 2, 14)), Outcome::Adopted { alternative: None });
        assert_eq!(decide(two_thirds, &yes_no(7, 4, 3, 14)), Outcome::Rejected);
        assert_eq!(decide(two_thirds, &yes_no(0, 0, 14, 14)), Outcome::Rejected);
    }

    #[test]
    fn unanimity_needs_every_member() {
        let all = rule(100, Majority::Unanimous);
        assert_eq!(decide(all, &yes_no(14, 0, 0, 14)), Outcome::Adopted { alternative: None });
        assert_eq!(decide(all, &yes_no(13, 0, 1, 14)), Outcome::Rejected);
        assert_eq!(decide(all, &yes_no(13, 0, 0, 14)), Outcome::NoQuorum);
        assert_eq!(decide(rule(50, Majority::Unanimous), &yes_no(13, 0, 0, 14)), Outcome::Rejected);
    }

    #[test]
    fn alternatives_need_a_unique_leader() {
        let alts = |a: Vec<u32>, abstain: u32| Tally {
            members_voting: a.iter().sum::<u32>() + abstain,
            alternatives: a,
            abstain,
            members_total: 14,
            ..Tally::default()
        };
        let simple = rule(50, Majority::Simple);
        assert_eq!(decide(simple, &alts(vec![5, 4, 3], 0)), Outcome::Adopted { alternative: Some(0) });
        assert_eq!(decide(simple, &alts(vec![4, 5, 5], 0)), Outcome::Rejected);
        assert_eq!(decide(simple, &alts(vec![0, 0], 10)), Outcome::Rejected);
        let two_thirds = rule(50, Majority::Qualified { numerator: 2, denominator: 3 });
        assert_eq!(decide(two_thirds, &alts(vec![2, 8, 2], 0)), Outcome::Adopted { alternative: Some(1) });
        assert_eq!(decide(two_thirds, &alts(vec![3, 7, 2], 0)), Outcome::Rejected);
    }
}
