//! Styrgrupp decisions over Norrbotten's 14 kommuner: matters, votes, closings, meetings, minutes
//! and the diarium, each rule with an accepting and a rejecting case and the exact rejection.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use proptest::prelude::*;
use samverka_protocol::governance::{
    self, content_hash, count, explain, justering_status, settle, BallotClose, Choice, Diarienummer, Diarium, Excluded,
    Justering, JusteringStatus, Matter, Meeting, Minutes, MinutesItem, Outcome, Paper, PaperRef, Procedure, Settlement,
    Tally, Violation, Vote, VoteReceipt,
};
use samverka_protocol::testkit::{self, Author, Federation, T0_MS};
use samverka_protocol::validate::{verify_in, Lookup};
use samverka_protocol::{
    Body, Change, Hash, KeyKind, Kind, MatterKind, MemberId, Record, RecordId, Rejection, Role, Verified,
};

/// The host: Luleå.
const HOST: &str = "2580";
const KIRUNA: &str = "2584";
const BODEN: &str = "2582";

/// Records held, as a node's store would hold them.
#[derive(Clone, Default)]
struct Held(BTreeMap<RecordId, Record<Verified>>);

impl Lookup for Held {
    fn record(&self, id: &RecordId) -> Option<Record<Verified>> {
        self.0.get(id).cloned()
    }
}

/// A federation with a styrgrupp: an ordinarie and an ersättare per member, Kiruna's
/// objektspecialist, the chair (Luleå's ordförande) and the host's node key.
#[derive(Clone)]
struct Styrgrupp {
    fed: Federation,
    ordinarie: BTreeMap<MemberId, Author>,
    ersattare: BTreeMap<MemberId, Author>,
    specialist: Author,
    chair: Author,
    host_node: Author,
    held: Held,
}

fn person(roles: &[Role]) -> KeyKind {
    KeyKind::Person { roles: roles.to_vec(), valid_from_ms: None, valid_until_ms: None }
}

impl Styrgrupp {
    fn new() -> Styrgrupp {
        let mut fed = Federation::found("Ekosystem Norrbotten", &testkit::norrbotten(), HOST);
        let members: Vec<MemberId> = fed.chain.current().members.keys().cloned().collect();
        let label = |m: &str, who: &str| format!("norrbotten/{m}/{who}");
        let mut changes = Vec::new();
        let mut certify = |member: &str, who: &str, kind: KeyKind| {
            let key = testkit::key(&label(member, who));
            changes.push(Change::CertifyKey { member: member.into(), key: key.public(), kind });
            Author::new(key)
        };
        let ordinarie =
            members.iter().map(|m| (m.clone(), certify(m, "ordinarie", person(&[Role::StyrgruppOrdinarie])))).collect();
        let ersattare =
            members.iter().map(|m| (m.clone(), certify(m, "ersattare", person(&[Role::StyrgruppErsattare])))).collect();
        let specialist = certify(KIRUNA, "objektspecialist", person(&[Role::Objektspecialist]));
        let chair = certify(HOST, "ordforande", person(&[Role::Ordforande]));
        let host_node = certify(HOST, "node", KeyKind::Node);
        fed.update(HOST, changes).expect("certifying the styrgrupp is a valid roster change");
        Styrgrupp { fed, ordinarie, ersattare, specialist, chair, host_node, held: Held::default() }
    }

    fn members(&self) -> Vec<MemberId> {
        self.ordinarie.keys().cloned().collect()
    }

    /// Signs the next record of `author` under the current roster version and verifies it; a
    /// verified record is held, a rejected one leaves the author's chain as it was.
    fn submit_as(&mut self, author: &mut Author, kind: Kind, body: Vec<u8>) -> Result<Record<Verified>, Rejection> {
        let before = author.clone();
        let record = author.next(self.fed.id(), self.fed.version(), kind, body);
        let verified = verify_in(record, &self.fed.chain, &self.held).inspect_err(|_| *author = before)?;
        self.held.0.insert(verified.id(), verified.clone());
        Ok(verified)
    }

    fn by_host<B: Body>(&mut self, body: &B) -> Result<Record<Verified>, Rejection> {
        let mut node = self.host_node.clone();
        let out = self.submit_as(&mut node, B::KIND, body.to_bytes());
        self.host_node = node;
        out
    }

    fn by_chair<B: Body>(&mut self, body: &B) -> Result<Record<Verified>, Rejection> {
        let mut chair = self.chair.clone();
        let out = self.submit_as(&mut chair, B::KIND, body.to_bytes());
        self.chair = chair;
        out
    }

    fn matter(&mut self, kind: MatterKind, alternatives: &[&str]) -> Record<Verified> {
        let body = Matter {
            kind,
            title: format!("{kind:?} 2027"),
            proposal: "Styrgruppen beslutar att anta förslaget.".into(),
            alternatives: alternatives.iter().map(|a| a.to_string()).collect(),
            papers: vec![PaperRef {
                name: "Förslag.pdf".into(),
                content_hash: content_hash(b"%PDF-1.7 forslag"),
                size: 16,
            }],
            procedure: Procedure::PerCapsulam { voting_window_days: 14 },
            closer: self.host_node.key.public(),
            subject: None,
        };
        self.by_host(&body).expect("the host's node may table a matter")
    }

    fn vote_by(
        &mut self,
        seat: Seat,
        member: &str,
        matter: &Record<Verified>,
        choice: Choice,
    ) -> Result<Record<Verified>, Rejection> {
        let mut author = match seat {
            Seat::Ordinarie => self.ordinarie[member].clone(),
            Seat::Ersattare => self.ersattare[member].clone(),
        };
        let body = Vote { matter: matter.id(), member: member.into(), choice };
        let out = self.submit_as(&mut author, Kind::Vote, body.to_bytes());
        match seat {
            Seat::Ordinarie => self.ordinarie.insert(member.into(), author),
            Seat::Ersattare => self.ersattare.insert(member.into(), author),
        };
        out
    }

    fn vote(&mut self, member: &str, matter: &Record<Verified>, choice: Choice) -> Record<Verified> {
        self.vote_by(Seat::Ordinarie, member, matter, choice).expect("an ordinarie may vote for its member")
    }

    /// Members vote in roster order: `yes` yes, then `no` no, then `abstain` abstain.
    fn votes(&mut self, matter: &Record<Verified>, yes: usize, no: usize, abstain: usize) -> Vec<Record<Verified>> {
        let choices = std::iter::repeat_n(Choice::Yes, yes)
            .chain(std::iter::repeat_n(Choice::No, no))
            .chain(std::iter::repeat_n(Choice::Abstain, abstain));
        let members = self.members();
        members.iter().zip(choices).map(|(m, c)| self.vote(m, matter, c)).collect()
    }

    /// The closing the builder gives over `votes` under the current roster version.
    fn closing(&self, matter: &Record<Verified>, votes: &[Record<Verified>]) -> BallotClose {
        governance::close(matter.id(), &matter_body(matter), votes, &self.fed.chain, self.fed.chain.current())
    }

    fn close(
        &mut self,
        matter: &Record<Verified>,
        votes: &[Record<Verified>],
    ) -> Result<(BallotClose, Record<Verified>), Rejection> {
        let body = self.closing(matter, votes);
        let record = self.by_host(&body)?;
        Ok((body, record))
    }

    /// The host node's receipt for `vote`.
    fn receipt(&mut self, matter: &Record<Verified>, vote: &Record<Verified>) -> Record<Verified> {
        self.by_host(&VoteReceipt { matter: matter.id(), vote: vote.id() })
            .expect("the closer receipts a vote it holds")
    }
}

#[derive(Clone, Copy, Debug)]
enum Seat {
    Ordinarie,
    Ersattare,
}

/// Asserts that a record of `kind` was refused for exactly `violation`.
fn refused(result: Result<Record<Verified>, Rejection>, kind: Kind, violation: Violation) {
    let code = violation.code();
    match result {
        Err(r) => {
            assert_eq!(r, Rejection::Governance { kind, violation });
            assert_eq!(r.code(), code);
        }
        Ok(r) => panic!("expected {code}, but record {} was accepted", r.id()),
    }
}

fn yes_no(yes: u32, no: u32, abstain: u32, total: u32) -> Tally {
    Tally { yes, no, abstain, alternatives: vec![], members_voting: yes + no + abstain, members_total: total }
}

const ADOPTED: Outcome = Outcome::Adopted { alternative: None };

// ---- votes and tallies ----

#[test]
fn every_member_votes_and_the_closing_carries_the_tally() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Forvaltningsplan, &[]);
    let votes = s.votes(&matter, 9, 3, 2);
    let (close, record) = s.close(&matter, &votes).expect("the closing verifies");
    assert_eq!(close.tally, yes_no(9, 3, 2, 14));
    assert_eq!(close.result, ADOPTED);
    let mut ids: Vec<RecordId> = votes.iter().map(Record::id).collect();
    ids.sort();
    assert_eq!(close.counted, ids);
    assert_eq!(
        settle(&matter.id(), &matter_body(&matter), std::slice::from_ref(&record)),
        Settlement::Closed { result: ADOPTED, closing: record.id() }
    );
}

#[test]
fn a_tie_rejects_the_proposal() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Investering, &[]);
    let votes = s.votes(&matter, 6, 6, 2);
    let (close, _) = s.close(&matter, &votes).expect("the closing verifies");
    assert_eq!(close.result, Outcome::Rejected);
}

#[test]
fn rejects_a_vote_by_a_key_outside_the_roster() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut stranger = Author::new(testkit::key("not a member"));
    let body = Vote { matter: matter.id(), member: KIRUNA.into(), choice: Choice::Yes };
    let result = s.submit_as(&mut stranger, Kind::Vote, body.to_bytes());
    assert!(matches!(result, Err(Rejection::UnknownAuthor { .. })), "{result:?}");
}

#[test]
fn rejects_a_vote_by_an_objektspecialist() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut specialist = s.specialist.clone();
    let body = Vote { matter: matter.id(), member: KIRUNA.into(), choice: Choice::Yes };
    let result = s.submit_as(&mut specialist, Kind::Vote, body.to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Vote, .. })), "{result:?}");
}

#[test]
fn rejects_a_vote_by_a_revoked_key_and_never_counts_it() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let early = s.vote(KIRUNA, &matter, Choice::Yes);
    let before = s.fed.version();
    let key = s.ordinarie[KIRUNA].key.public();
    s.fed.update(KIRUNA, vec![Change::RevokeKey { key, compromised_since_seq: 0 }]).expect("a member revokes its key");
    // A vote naming the version before the revocation is refused all the same.
    let mut author = s.ordinarie[KIRUNA].clone();
    let body = Vote { matter: matter.id(), member: KIRUNA.into(), choice: Choice::No };
    let record = author.next(s.fed.id(), before, Kind::Vote, body.to_bytes());
    let result = verify_in(record, &s.fed.chain, &s.held);
    assert!(matches!(result, Err(Rejection::RevokedKey { since: 0, .. })), "{result:?}");
    // The vote made before the revocation no longer counts, and a closing cannot name it.
    let c =
        count(matter.id(), &matter_body(&matter), std::slice::from_ref(&early), &s.fed.chain, s.fed.chain.current());
    assert_eq!(c.excluded, vec![(early.id(), Excluded::Revoked)]);
    let tampered = BallotClose {
        matter: matter.id(),
        counted: vec![early.id()],
        result: Outcome::NoQuorum,
        tally: yes_no(1, 0, 0, 14),
    };
    let excluded = Excluded::Revoked;
    refused(s.by_host(&tampered), Kind::BallotClose, Violation::IneligibleVoteNamed { vote: early.id(), excluded });
}

#[test]
fn rejects_a_vote_by_an_expired_key() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let key = testkit::key("norrbotten/2584/ersattare-2025");
    let kind =
        KeyKind::Person { roles: vec![Role::StyrgruppErsattare], valid_from_ms: None, valid_until_ms: Some(T0_MS - 1) };
    s.fed.update(KIRUNA, vec![Change::CertifyKey { member: KIRUNA.into(), key: key.public(), kind }]).expect("certify");
    let body = Vote { matter: matter.id(), member: KIRUNA.into(), choice: Choice::Yes };
    let result = s.submit_as(&mut Author::new(key), Kind::Vote, body.to_bytes());
    assert!(matches!(result, Err(Rejection::KeyExpired { .. })), "{result:?}");
}

#[test]
fn rejects_a_vote_for_another_member() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut author = s.ordinarie[HOST].clone();
    let body = Vote { matter: matter.id(), member: KIRUNA.into(), choice: Choice::Yes };
    let result = s.submit_as(&mut author, Kind::Vote, body.to_bytes());
    refused(result, Kind::Vote, Violation::VoteForOtherMember { member: KIRUNA.into() });
}

#[test]
fn a_vote_waits_for_its_matter_and_must_choose_what_it_offers() {
    let mut s = Styrgrupp::new();
    let unknown = Hash([7; 32]);
    let mut author = s.ordinarie[KIRUNA].clone();
    let body = Vote { matter: unknown, member: KIRUNA.into(), choice: Choice::Yes };
    let result = s.submit_as(&mut author, Kind::Vote, body.to_bytes());
    assert_eq!(result, Err(Rejection::MissingDependency { id: unknown }));
    assert!(result.expect_err("pending").is_pending());

    let yes_no = s.matter(MatterKind::Ovrigt, &[]);
    let not_offered = |choice| Violation::ChoiceNotOffered { choice };
    let choice = Choice::Alternative(0);
    refused(s.vote_by(Seat::Ordinarie, KIRUNA, &yes_no, choice), Kind::Vote, not_offered(choice));
    let alternatives = s.matter(MatterKind::Ovrigt, &["Leverantör A", "Leverantör B"]);
    for choice in [Choice::Alternative(2), Choice::Yes] {
        refused(s.vote_by(Seat::Ordinarie, KIRUNA, &alternatives, choice), Kind::Vote, not_offered(choice));
    }
    s.vote_by(Seat::Ordinarie, KIRUNA, &alternatives, Choice::Alternative(1)).expect("an offered alternative");
}

#[test]
fn two_votes_from_one_member_count_once_the_latest() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut votes = s.votes(&matter, 8, 0, 0);
    let first = votes[0].clone();
    let changed = s.vote(&s.members()[0].clone(), &matter, Choice::No);
    votes.push(changed.clone());
    let c = count(matter.id(), &matter_body(&matter), &votes, &s.fed.chain, s.fed.chain.current());
    assert_eq!(c.decision.tally, yes_no(7, 1, 0, 14));
    assert_eq!(c.excluded, vec![(first.id(), Excluded::Superseded { by: changed.id() })]);
    // A closing may not name the superseded vote.
    let mut named: Vec<RecordId> = votes.iter().map(Record::id).collect();
    named.sort();
    let tampered = BallotClose { matter: matter.id(), counted: named, result: ADOPTED, tally: yes_no(8, 1, 0, 14) };
    let superseded = Violation::SupersededVoteNamed { vote: first.id(), by: changed.id() };
    refused(s.by_host(&tampered), Kind::BallotClose, superseded);
    let (close, _) = s.close(&matter, &votes).expect("the builder names only the latest vote");
    assert_eq!(close.tally, yes_no(7, 1, 0, 14));
}

#[test]
fn an_ersattare_counts_only_when_the_ordinarie_did_not_vote() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut votes = s.votes(&matter, 6, 0, 0);
    let ordinarie = votes[0].clone();
    let member0 = s.members()[0].clone();
    let overruled = s.vote_by(Seat::Ersattare, &member0, &matter, Choice::No).expect("an ersättare may vote");
    let deputy = s.vote_by(Seat::Ersattare, BODEN, &matter, Choice::No).expect("an ersättare may vote");
    assert!(!votes.iter().any(|v| v.header().author == s.ordinarie[BODEN].key.public()), "Boden's ordinarie is silent");
    votes.extend([overruled.clone(), deputy.clone()]);
    let c = count(matter.id(), &matter_body(&matter), &votes, &s.fed.chain, s.fed.chain.current());
    assert_eq!(c.decision.tally, yes_no(6, 1, 0, 14));
    assert!(c.counted.contains(&deputy.id()) && c.counted.contains(&ordinarie.id()));
    assert_eq!(c.excluded, vec![(overruled.id(), Excluded::OrdinarieVoted { by: ordinarie.id() })]);
    let (close, _) = s.close(&matter, &votes).expect("the closing verifies");
    assert_eq!(close.result, ADOPTED, "7 of 14 is exactly half: quorum is met");
}

// ---- closings ----

#[test]
fn a_tampered_closing_is_rejected() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let votes = s.votes(&matter, 5, 4, 1);
    let honest = s.closing(&matter, &votes);
    assert_eq!((honest.result, honest.tally.clone()), (ADOPTED, yes_no(5, 4, 1, 14)));

    let wrong_count = BallotClose { tally: yes_no(6, 3, 1, 14), ..honest.clone() };
    let mismatch = |claimed: &BallotClose| Violation::TallyMismatch {
        claimed: Box::new(claimed.decision()),
        computed: Box::new(honest.decision()),
    };
    refused(s.by_host(&wrong_count), Kind::BallotClose, mismatch(&wrong_count));

    let wrong_result = BallotClose { result: Outcome::Rejected, ..honest.clone() };
    refused(s.by_host(&wrong_result), Kind::BallotClose, mismatch(&wrong_result));

    let dropped = BallotClose { counted: honest.counted[1..].to_vec(), ..honest.clone() };
    let result = s.by_host(&dropped);
    assert_eq!(result.expect_err("a closing naming fewer votes than it claims").code(), "tally_mismatch");

    let mut unsorted = honest.clone();
    unsorted.counted.swap(0, 1);
    refused(s.by_host(&unsorted), Kind::BallotClose, Violation::CountedNotSorted);

    let unknown = Hash([9; 32]);
    let mut phantom = honest.clone();
    phantom.counted.push(unknown);
    phantom.counted.sort();
    assert_eq!(s.by_host(&phantom), Err(Rejection::MissingDependency { id: unknown }));

    let other = s.matter(MatterKind::Ovrigt, &[]);
    let elsewhere = s.vote(BODEN, &other, Choice::Yes);
    let mut foreign = honest.clone();
    foreign.counted.push(elsewhere.id());
    foreign.counted.sort();
    let excluded = Excluded::OtherMatter;
    refused(s.by_host(&foreign), Kind::BallotClose, Violation::IneligibleVoteNamed { vote: elsewhere.id(), excluded });

    s.by_host(&honest).expect("the honest closing verifies");
}

#[test]
fn only_the_designated_closer_may_close() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let votes = s.votes(&matter, 14, 0, 0);
    let body = s.closing(&matter, &votes);
    let mut specialist = s.specialist.clone();
    let result = s.submit_as(&mut specialist, Kind::BallotClose, body.to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::BallotClose, .. })), "{result:?}");
    let closer = s.host_node.key.public();
    refused(s.by_chair(&body), Kind::BallotClose, Violation::NotDesignatedCloser { closer });
    s.by_host(&body).expect("the designated closer may close");
}

#[test]
fn a_matters_closer_must_be_a_key_that_may_close() {
    let mut s = Styrgrupp::new();
    let template = s.matter(MatterKind::Ovrigt, &[]);
    let key = s.specialist.key.public();
    let body = Matter { closer: key, ..matter_body(&template) };
    refused(s.by_host(&body), Kind::Matter, Violation::CloserMayNotClose { key });
    s.by_host(&Matter { closer: s.chair.key.public(), ..body }).expect("the ordförande may be the closer");
}

#[test]
fn the_closers_second_closing_is_refused_and_the_first_is_final() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut votes = s.votes(&matter, 4, 3, 0);
    let (_, first) = s.close(&matter, &votes).expect("close");
    votes.extend((7..14).map(|i| s.vote(&s.members()[i].clone(), &matter, Choice::No)).collect::<Vec<_>>());
    let second = s.closing(&matter, &votes);
    assert_eq!(second.result, Outcome::Rejected, "the second closing would reverse the decision");
    refused(s.by_host(&second), Kind::BallotClose, Violation::AlreadyClosed { closing: first.id() });
    assert_eq!(
        settle(&matter.id(), &matter_body(&matter), std::slice::from_ref(&first)),
        Settlement::Closed { result: ADOPTED, closing: first.id() }
    );
}

#[test]
fn settlement_is_the_closers_first_closing_and_an_equivocation_disputes() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let body = matter_body(&matter);
    let votes = s.votes(&matter, 4, 3, 0);
    let fork = s.host_node.clone();
    let (_, first) = s.close(&matter, &votes).expect("close");
    assert_eq!(settle(&matter.id(), &body, &[]), Settlement::Open);
    let settled = Settlement::Closed { result: ADOPTED, closing: first.id() };
    assert_eq!(settle(&matter.id(), &body, std::slice::from_ref(&first)), settled);
    // A closing by another key (refused by validation; handed to settle all the same) decides nothing.
    let mut chair = s.chair.clone();
    let by_chair =
        chair.next(s.fed.id(), s.fed.version(), Kind::BallotClose, s.closing(&matter, &votes[..3]).to_bytes());
    let by_chair = Record::from_trusted_storage(by_chair.bytes()).expect("a signed record decodes");
    assert_eq!(settle(&matter.id(), &body, std::slice::from_ref(&by_chair)), Settlement::Open);
    assert_eq!(settle(&matter.id(), &body, &[by_chair, first.clone()]), settled);
    // The closer signs a different closing at the same chain position: an equivocation.
    let mut forked = s.clone();
    forked.host_node = fork;
    let more: Vec<Record<Verified>> = votes
        .iter()
        .cloned()
        .chain((7..14).map(|i| forked.vote(&forked.members()[i].clone(), &matter, Choice::No)))
        .collect();
    let (_, other) = forked.close(&matter, &more).expect("the fork verifies on its own");
    assert_eq!(other.header().seq, first.header().seq);
    let mut both = vec![first.id(), other.id()];
    both.sort();
    assert_eq!(
        settle(&matter.id(), &body, &[first.clone(), other.clone()]),
        Settlement::Disputed { closings: both.clone() }
    );
    assert_eq!(settle(&matter.id(), &body, &[other, first]), Settlement::Disputed { closings: both });
}

// ---- vote receipts ----

#[test]
fn a_closing_may_not_name_a_vote_superseded_by_a_receipted_one() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let mut votes = s.votes(&matter, 8, 0, 0);
    let first = votes[0].clone();
    let changed = s.vote(&s.members()[0].clone(), &matter, Choice::No);
    s.receipt(&matter, &changed);
    // Naming the member's first vote (not holding the later one) gives a consistent tally of 8 yes…
    let stale = s.closing(&matter, &votes);
    assert_eq!(stale.tally, yes_no(8, 0, 0, 14));
    // …but the closer receipted the later vote first: every node refuses it.
    let superseded = Violation::SupersededVoteNamed { vote: first.id(), by: changed.id() };
    refused(s.by_host(&stale), Kind::BallotClose, superseded);
    votes.push(changed);
    let (honest, _) = s.close(&matter, &votes).expect("the closing naming the latest vote verifies");
    assert_eq!(honest.tally, yes_no(7, 1, 0, 14));
}

#[test]
fn a_closing_may_not_name_an_ersattare_when_the_ordinarie_vote_was_receipted() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let deputy = s.vote_by(Seat::Ersattare, KIRUNA, &matter, Choice::Yes).expect("an ersättare may vote");
    let ordinarie = s.vote(KIRUNA, &matter, Choice::No);
    s.receipt(&matter, &ordinarie);
    let stale = s.closing(&matter, std::slice::from_ref(&deputy));
    let overruled = Violation::SupersededVoteNamed { vote: deputy.id(), by: ordinarie.id() };
    refused(s.by_host(&stale), Kind::BallotClose, overruled);
}

#[test]
fn a_closing_may_not_omit_a_receipted_vote() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let votes = s.votes(&matter, 8, 0, 0);
    for v in &votes {
        s.receipt(&matter, v);
    }
    // Naming a subset with its own consistent tally: every node refuses it.
    let subset = s.closing(&matter, &votes[1..]);
    refused(s.by_host(&subset), Kind::BallotClose, Violation::ReceiptedVoteOmitted { vote: votes[0].id() });
    s.close(&matter, &votes).expect("the closing naming every receipted vote verifies");
}

#[test]
fn a_receipt_is_by_the_closer_for_a_vote_on_its_matter() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let other = s.matter(MatterKind::Ovrigt, &[]);
    let vote = s.vote(KIRUNA, &matter, Choice::Yes);
    let elsewhere = s.vote(BODEN, &other, Choice::Yes);
    let receipt = VoteReceipt { matter: matter.id(), vote: vote.id() };
    let closer = s.host_node.key.public();
    refused(s.by_chair(&receipt), Kind::VoteReceipt, Violation::NotDesignatedCloser { closer });
    let wrong = VoteReceipt { matter: matter.id(), vote: elsewhere.id() };
    refused(s.by_host(&wrong), Kind::VoteReceipt, Violation::ReceiptOfOtherMatter { vote: elsewhere.id() });
    let unknown = Hash([4; 32]);
    let missing = VoteReceipt { matter: matter.id(), vote: unknown };
    assert_eq!(s.by_host(&missing), Err(Rejection::MissingDependency { id: unknown }));
    s.by_host(&receipt).expect("the closer receipts a vote on its matter");
}

#[test]
fn exclusion_reasons_are_true() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let body = matter_body(&matter);
    let mut votes = s.votes(&matter, 7, 0, 0);
    let first = votes[0].clone();
    let member0 = s.members()[0].clone();
    let changed = s.vote(&member0, &matter, Choice::No);
    let deputy = s.vote_by(Seat::Ersattare, &s.members()[1].clone(), &matter, Choice::No).expect("ersättare");
    votes.extend([changed.clone(), deputy.clone()]);
    let (_, closing) = s.close(&matter, &votes).expect("close");
    let late = s.vote(&s.members()[9].clone(), &matter, Choice::No);
    votes.push(late.clone());
    let why: BTreeMap<RecordId, Option<Excluded>> =
        explain(matter.id(), &body, Some(&closing), &votes, &s.fed.chain).into_iter().collect();
    assert_eq!(why[&first.id()], Some(Excluded::Superseded { by: changed.id() }));
    assert_eq!(why[&deputy.id()], Some(Excluded::OrdinarieVoted { by: votes[1].id() }));
    assert_eq!(why[&late.id()], Some(Excluded::AfterClosing { closing: closing.id() }));
    assert_eq!(why[&changed.id()], None);
    assert_eq!(why.values().filter(|w| w.is_none()).count(), 7);
    assert_eq!(
        [why[&first.id()], why[&deputy.id()], why[&late.id()]].map(|w| w.expect("excluded").code()),
        ["superseded", "ordinarie_voted", "after_closing"]
    );
    // Before the closing, nothing is "after the closing".
    let open: BTreeMap<RecordId, Option<Excluded>> =
        explain(matter.id(), &body, None, &votes, &s.fed.chain).into_iter().collect();
    assert_eq!(open[&late.id()], None);
    assert_eq!(open[&first.id()], Some(Excluded::Superseded { by: changed.id() }));
}

#[test]
fn quorum_not_reached_gives_no_quorum() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    // Half of 14 is 7: six yes votes are no decision at all.
    let six = s.votes(&matter, 6, 0, 0);
    let (close, _) = s.close(&matter, &six).expect("a no-quorum closing verifies");
    assert_eq!((close.result, close.tally.members_voting), (Outcome::NoQuorum, 6));
    let mut seven = six.clone();
    seven.push(s.vote(&s.members()[6].clone(), &matter, Choice::Abstain));
    let c = count(matter.id(), &matter_body(&matter), &seven, &s.fed.chain, s.fed.chain.current());
    assert_eq!(c.decision.result, ADOPTED, "an abstention counts towards quorum");
}

#[test]
fn a_budget_needs_every_member_to_vote_yes() {
    let mut s = Styrgrupp::new();
    let budget = s.matter(MatterKind::Budget, &[]);
    let all = s.votes(&budget, 14, 0, 0);
    let (close, _) = s.close(&budget, &all).expect("close");
    assert_eq!(close.result, ADOPTED);

    let budget = s.matter(MatterKind::Budget, &[]);
    let one_abstains = s.votes(&budget, 13, 0, 1);
    assert_eq!(s.close(&budget, &one_abstains).expect("close").0.result, Outcome::Rejected);

    let budget = s.matter(MatterKind::Budget, &[]);
    let one_silent = s.votes(&budget, 13, 0, 0);
    assert_eq!(s.close(&budget, &one_silent).expect("close").0.result, Outcome::NoQuorum);
}

#[test]
fn medlemskap_needs_two_thirds_of_the_votes_cast() {
    let mut s = Styrgrupp::new();
    let m = s.matter(MatterKind::Medlemskap, &[]);
    let votes = s.votes(&m, 8, 4, 2);
    assert_eq!(s.close(&m, &votes).expect("close").0.result, ADOPTED);
    let m = s.matter(MatterKind::Medlemskap, &[]);
    let votes = s.votes(&m, 7, 4, 3);
    assert_eq!(s.close(&m, &votes).expect("close").0.result, Outcome::Rejected);
}

#[test]
fn alternatives_are_decided_by_plurality_and_a_tie_rejects() {
    let mut s = Styrgrupp::new();
    let members = s.members();
    let m = s.matter(MatterKind::Investering, &["Uppgradera", "Byt system", "Avvakta"]);
    let picks = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2];
    let votes: Vec<_> = members.iter().zip(picks).map(|(id, a)| s.vote(id, &m, Choice::Alternative(a))).collect();
    let (close, _) = s.close(&m, &votes).expect("close");
    assert_eq!(close.result, Outcome::Adopted { alternative: Some(0) });
    assert_eq!(close.tally.alternatives, vec![5, 4, 3]);

    let m = s.matter(MatterKind::Investering, &["Uppgradera", "Byt system"]);
    let votes: Vec<_> =
        members.iter().zip([0, 1, 0, 1, 0, 1, 0, 1]).map(|(id, a)| s.vote(id, &m, Choice::Alternative(a))).collect();
    assert_eq!(s.close(&m, &votes).expect("close").0.result, Outcome::Rejected);
}

#[test]
fn a_vote_after_the_closing_is_not_counted() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let votes = s.votes(&matter, 7, 0, 0);
    let (close, record) = s.close(&matter, &votes).expect("close");
    let late = s.vote(&s.members()[7].clone(), &matter, Choice::No);
    assert!(!close.counted.contains(&late.id()));
    assert_eq!(
        settle(&matter.id(), &matter_body(&matter), std::slice::from_ref(&record)),
        Settlement::Closed { result: ADOPTED, closing: record.id() }
    );
    // The closer receipting it now does not reopen the ballot: the closing accounts only for
    // receipts before it in the closer's chain.
    s.receipt(&matter, &late);
}

// ---- meetings and minutes ----

fn meeting_body(agenda: Vec<RecordId>, date: &str, notice: &str) -> Meeting {
    Meeting {
        title: "Styrgruppsmöte 4/2026".into(),
        date: date.into(),
        place: "Stadshuset, Luleå".into(),
        agenda,
        notice_given_on: notice.into(),
    }
}

#[test]
fn a_meeting_is_called_with_the_charters_notice() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Forvaltningsplan, &[]);
    // Five days' notice in the standard rules; records are made on 2026-11-22 (UTC).
    s.by_host(&meeting_body(vec![matter.id()], "2026-11-28", "2026-11-23")).expect("five days' notice");
    let short = s.by_host(&meeting_body(vec![matter.id()], "2026-11-27", "2026-11-23"));
    refused(short, Kind::Meeting, Violation::NoticeTooShort { given: 4, need: 5 });
    let backdated = s.by_host(&meeting_body(vec![matter.id()], "2026-11-28", "2026-11-01"));
    let (notice, signed_on) = ("2026-11-01".into(), "2026-11-22".into());
    refused(backdated, Kind::Meeting, Violation::NoticeBackdated { notice, signed_on });
    let no_day = s.by_host(&meeting_body(vec![matter.id()], "2026-11-31", "2026-11-23"));
    refused(no_day, Kind::Meeting, Violation::BadDate { field: "date", value: "2026-11-31".into() });
    let empty = s.by_host(&meeting_body(vec![], "2026-12-28", "2026-11-23"));
    refused(empty, Kind::Meeting, Violation::Empty { field: "agenda" });
    let twice = s.by_host(&meeting_body(vec![matter.id(); 2], "2026-12-28", "2026-11-23"));
    refused(twice, Kind::Meeting, Violation::DuplicateAgendaItem { matter: matter.id() });
    let unknown = Hash([5; 32]);
    assert_eq!(
        s.by_host(&meeting_body(vec![unknown], "2026-12-28", "2026-11-23")),
        Err(Rejection::MissingDependency { id: unknown })
    );
}

#[test]
fn a_matter_may_join_a_meeting_already_called() {
    let mut s = Styrgrupp::new();
    let first = s.matter(MatterKind::Ovrigt, &[]);
    let meeting = s.by_host(&meeting_body(vec![first.id()], "2026-12-01", "2026-11-23")).expect("meeting");
    let mut extra = matter_body(&first);
    extra.procedure = Procedure::Meeting { meeting: Some(meeting.id()) };
    s.by_host(&extra).expect("an extra matter for a called meeting");
    extra.procedure = Procedure::Meeting { meeting: Some(first.id()) };
    let not_a_meeting = Violation::WrongKind { id: first.id(), found: Kind::Matter, expected: Kind::Meeting };
    refused(s.by_host(&extra), Kind::Matter, not_a_meeting);
    let unknown = Hash([6; 32]);
    extra.procedure = Procedure::Meeting { meeting: Some(unknown) };
    assert_eq!(s.by_host(&extra), Err(Rejection::MissingDependency { id: unknown }));
    extra.procedure = Procedure::PerCapsulam { voting_window_days: 0 };
    refused(s.by_host(&extra), Kind::Matter, Violation::VotingWindow { days: 0 });
    extra.procedure = Procedure::PerCapsulam { voting_window_days: 7 };
    extra.alternatives = vec!["Ja".into()];
    refused(s.by_host(&extra), Kind::Matter, Violation::OneAlternative);
    extra.alternatives = vec!["Ja".into(), " Ja ".into()];
    refused(s.by_host(&extra), Kind::Matter, Violation::DuplicateAlternative { alternative: " Ja ".into() });
}

#[test]
fn minutes_are_final_only_when_the_chair_and_both_justerare_have_signed() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Forvaltningsplan, &[]);
    let meeting = s.by_host(&meeting_body(vec![matter.id()], "2026-12-01", "2026-11-23")).expect("meeting");
    let votes = s.votes(&matter, 14, 0, 0);
    let (_, closing) = s.close(&matter, &votes).expect("close");
    let (j1, j2) = (s.ordinarie[KIRUNA].key.public(), s.ordinarie[BODEN].key.public());
    let mut present = s.members();
    present.sort();
    let body = Minutes {
        meeting: meeting.id(),
        present,
        items: vec![MinutesItem {
            matter: matter.id(),
            closing: Some(closing.id()),
            text: "§ 1 Förvaltningsplanen antogs.".into(),
        }],
        justerare: [j1, j2],
        chair: s.chair.key.public(),
        anslag_date: Some("2026-12-03".into()),
    };
    let minutes = s.by_chair(&body).expect("the chair writes the minutes");

    let justering = Justering { minutes: minutes.id() };
    let mut signed = vec![s.by_chair(&justering).expect("the chair justerar")];
    let mut kiruna = s.ordinarie[KIRUNA].clone();
    signed.push(s.submit_as(&mut kiruna, Kind::Justering, justering.to_bytes()).expect("a justerare justerar"));
    assert_eq!(justering_status(&minutes.id(), &body, &signed), JusteringStatus::Pending { missing: vec![j2] });

    let mut pitea = s.ordinarie["2581"].clone();
    let key = pitea.key.public();
    let result = s.submit_as(&mut pitea, Kind::Justering, justering.to_bytes());
    refused(result, Kind::Justering, Violation::NotMinutesSigner { key });

    let mut boden = s.ordinarie[BODEN].clone();
    signed.push(s.submit_as(&mut boden, Kind::Justering, justering.to_bytes()).expect("the second justerare"));
    assert_eq!(justering_status(&minutes.id(), &body, &signed), JusteringStatus::Justerat);
    // The same signatures do not make other minutes final.
    let other = Minutes { anslag_date: None, ..body.clone() };
    let other_id = s.by_chair(&other).expect("revised minutes").id();
    assert_eq!(
        justering_status(&other_id, &other, &signed),
        JusteringStatus::Pending { missing: other.signers().to_vec() }
    );
}

#[test]
fn minutes_name_real_signers_and_members() {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    let meeting = s.by_host(&meeting_body(vec![matter.id()], "2026-12-01", "2026-11-23")).expect("meeting");
    let valid = Minutes {
        meeting: meeting.id(),
        present: vec![BODEN.into(), KIRUNA.into()],
        items: vec![MinutesItem { matter: matter.id(), closing: None, text: "Bordlades.".into() }],
        justerare: [s.ordinarie[KIRUNA].key.public(), s.ersattare[BODEN].key.public()],
        chair: s.chair.key.public(),
        anslag_date: None,
    };
    let specialist = s.specialist.key.public();
    let host_ordinarie = s.ordinarie[HOST].key.public();
    let cases = [
        (
            Minutes { justerare: [specialist, valid.justerare[1]], ..valid.clone() },
            Violation::JusterareWithoutRole { key: specialist },
        ),
        (Minutes { chair: valid.justerare[0], ..valid.clone() }, Violation::SignersNotDistinct),
        (Minutes { chair: host_ordinarie, ..valid.clone() }, Violation::ChairWithoutRole { key: host_ordinarie }),
        (Minutes { present: vec![KIRUNA.into(), BODEN.into()], ..valid.clone() }, Violation::PresentNotSorted),
        (Minutes { present: vec!["9999".into()], ..valid.clone() }, Violation::NotAMember { member: "9999".into() }),
        (
            Minutes { anslag_date: Some("2026-11-30".into()), ..valid.clone() },
            Violation::AnslagBeforeMeeting { anslag: "2026-11-30".into(), meeting: "2026-12-01".into() },
        ),
    ];
    for (body, violation) in cases {
        refused(s.by_chair(&body), Kind::Minutes, violation);
    }
    s.by_chair(&valid).expect("valid minutes");
}

// ---- papers and the diarium ----

#[test]
fn a_paper_describes_its_content() {
    let mut s = Styrgrupp::new();
    let paper = Paper::describe("Förvaltningsplan 2027.pdf", "application/pdf", b"%PDF-1.7 plan");
    s.by_host(&paper).expect("a paper");
    let media_type = String::from("PDF");
    let bad_type = s.by_host(&Paper { media_type: media_type.clone(), ..paper.clone() });
    refused(bad_type, Kind::Paper, Violation::BadMediaType { media_type });
    refused(s.by_host(&Paper { name: " ".into(), ..paper }), Kind::Paper, Violation::Empty { field: "paper name" });
}

#[test]
fn diarium_numbers_follow_each_other_along_the_hosts_chain() {
    let mut s = Styrgrupp::new();
    let first_matter = s.matter(MatterKind::Ovrigt, &[]);
    let nr = |year, number| Diarienummer { series: "SAM".into(), year, number };
    let d1 = Diarium { matter: first_matter.id(), diarienummer: nr(2026, 1), previous: None };
    let r1 = s.by_host(&d1).expect("the first registration");
    let second_matter = s.matter(MatterKind::Ovrigt, &[]);
    let next = |n, previous| Diarium { matter: second_matter.id(), diarienummer: n, previous };
    for skipped in [nr(2026, 3), nr(2026, 1)] {
        let result = s.by_host(&next(skipped, Some(r1.id())));
        refused(result, Kind::Diarium, Violation::WrongDiarienummer { expected: nr(2026, 2) });
    }
    let result = s.by_host(&next(nr(2026, 2), None));
    refused(result, Kind::Diarium, Violation::WrongPreviousDiarium { expected: Some(r1.id()) });
    let result = s.by_host(&next(nr(2025, 1), Some(r1.id())));
    refused(result, Kind::Diarium, Violation::YearBeforePrevious { year: 2025, previous: 2026 });
    let r2 = s.by_host(&next(nr(2026, 2), Some(r1.id()))).expect("the next number");
    assert_eq!(s.by_host(&next(nr(2027, 1), Some(r2.id()))).map(|_| ()), Ok(()), "a new year starts at 1");

    let mut chair = s.chair.clone();
    let d = Diarium { matter: first_matter.id(), diarienummer: nr(2027, 2), previous: None };
    let result = s.submit_as(&mut chair, Kind::Diarium, d.to_bytes());
    assert!(matches!(result, Err(Rejection::NotAuthorised { kind: Kind::Diarium, .. })), "{result:?}");
}

// ---- encoding ----

#[test]
fn golden_vote_and_closing_bodies() {
    let vote = Vote { matter: Hash([0xab; 32]), member: "2580".into(), choice: Choice::Alternative(2) };
    assert_eq!(hex(&vote.to_bytes()), format!("{}04323538300302", "ab".repeat(32)));
    let close = BallotClose {
        matter: Hash([0x01; 32]),
        counted: vec![Hash([0x02; 32])],
        result: Outcome::Adopted { alternative: None },
        tally: yes_no(1, 0, 0, 14),
    };
    assert_eq!(hex(&close.to_bytes()), format!("{}01{}000001000000010e", "01".repeat(32), "02".repeat(32)));
    assert_eq!(BallotClose::from_bytes(&close.to_bytes()), Ok(close));
    let receipt = VoteReceipt { matter: Hash([0x01; 32]), vote: Hash([0x02; 32]) };
    assert_eq!(hex(&receipt.to_bytes()), format!("{}{}", "01".repeat(32), "02".repeat(32)));
    assert_eq!(VoteReceipt::from_bytes(&receipt.to_bytes()), Ok(receipt));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn matter_body(matter: &Record<Verified>) -> Matter {
    Matter::from_bytes(matter.body().expect("matters keep their body")).expect("a verified matter decodes")
}

// ---- order independence ----

/// One federation and one matter for every proptest case.
static BASE: LazyLock<(Styrgrupp, Record<Verified>)> = LazyLock::new(|| {
    let mut s = Styrgrupp::new();
    let matter = s.matter(MatterKind::Ovrigt, &[]);
    (s, matter)
});

fn arb_votes() -> impl Strategy<Value = (Vec<(usize, bool, u8)>, Vec<usize>)> {
    prop::collection::vec((0..14usize, any::<bool>(), 0..3u8), 0..40).prop_flat_map(|votes| {
        let order: Vec<usize> = (0..votes.len()).collect();
        (Just(votes), Just(order).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_order_of_the_same_votes_gives_the_same_count((plan, order) in arb_votes()) {
        let (base, matter) = &*BASE;
        let mut s = base.clone();
        let members = s.members();
        let votes: Vec<Record<Verified>> = plan
            .iter()
            .map(|&(m, deputy, c)| {
                let seat = if deputy { Seat::Ersattare } else { Seat::Ordinarie };
                let choice = [Choice::Yes, Choice::No, Choice::Abstain][usize::from(c)];
                s.vote_by(seat, &members[m], matter, choice).expect("a valid vote")
            })
            .collect();
        let shuffled: Vec<Record<Verified>> = order.iter().map(|&i| votes[i].clone()).collect();
        let body = matter_body(matter);
        let roster = s.fed.chain.current().clone();
        let a = count(matter.id(), &body, &votes, &s.fed.chain, &roster);
        let b = count(matter.id(), &body, &shuffled, &s.fed.chain, &roster);
        prop_assert_eq!(&a, &b);
        let voting: std::collections::BTreeSet<usize> = plan.iter().map(|(m, _, _)| *m).collect();
        prop_assert_eq!(a.counted.len(), voting.len());
        prop_assert_eq!(a.counted.len() + a.excluded.len(), votes.len());
        let (close, _) = s.close(matter, &shuffled).expect("a built closing verifies");
        prop_assert_eq!(close.counted, a.counted);
        prop_assert_eq!(close.result, a.decision.result);
    }
}

// ---- closing finality ----

/// One step of a ballot as its participants take it, in the order they sign.
#[derive(Clone, Debug)]
enum Step {
    /// A member's ordinarie (or ersättare) votes; members revote often (10 of 14 vote).
    Vote { member: usize, deputy: bool, choice: u8 },
    /// The host's node receipts one of the votes cast so far.
    Receipt { vote: usize },
    /// The host's node closes over the votes cast so far (only its first closing is valid).
    Close,
    /// The ordförande, not the designated closer, closes over the votes cast so far.
    ChairClose,
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..10usize, any::<bool>(), 0..3u8).prop_map(|(member, deputy, choice)| Step::Vote { member, deputy, choice }),
        3 => (0..64usize).prop_map(|vote| Step::Receipt { vote }),
        1 => Just(Step::Close),
        1 => Just(Step::ChairClose),
    ]
}

/// Signs the records of `steps` on a copy of [`BASE`]: every vote, receipt and closing, valid or
/// not. Returns them in signing order, with the host's first closing if there is one.
fn play(steps: &[Step]) -> (Vec<Record<samverka_protocol::Unverified>>, Option<RecordId>) {
    let (base, matter) = &*BASE;
    let mut s = base.clone();
    let members = s.members();
    let (mut votes, mut out, mut first_closing) = (Vec::new(), Vec::new(), None);
    for step in steps {
        match *step {
            Step::Vote { member, deputy, choice } => {
                let seat = if deputy { Seat::Ersattare } else { Seat::Ordinarie };
                let choice = [Choice::Yes, Choice::No, Choice::Abstain][usize::from(choice)];
                let vote = s.vote_by(seat, &members[member], matter, choice).expect("a valid vote");
                out.push(vote.to_unverified());
                votes.push(vote);
            }
            Step::Receipt { vote } if !votes.is_empty() => {
                let vote = votes[vote % votes.len()].clone();
                out.push(s.receipt(matter, &vote).to_unverified());
            }
            Step::Receipt { .. } => {}
            Step::Close | Step::ChairClose => {
                let body = s.closing(matter, &votes).to_bytes();
                let (id, version) = (s.fed.id(), s.fed.version());
                let by_host = matches!(step, Step::Close);
                let author = if by_host { &mut s.host_node } else { &mut s.chair };
                let record = author.next(id, version, Kind::BallotClose, body);
                if by_host && first_closing.is_none() {
                    let verified =
                        verify_in(record.clone(), &s.fed.chain, &s.held).expect("the first closing verifies");
                    first_closing = Some(verified.id());
                    s.held.0.insert(verified.id(), verified);
                }
                out.push(record);
            }
        }
    }
    (out, first_closing)
}

/// What a node shows about the matter: its settlement and every vote's standing.
type Shown = (Settlement, Vec<(RecordId, Option<Excluded>)>);

/// A node receiving `records` in this order: each is verified when it arrives, kept waiting while
/// a record it names is missing, refused otherwise. Asserts that once the node shows the matter
/// closed, it never shows anything else; returns what it shows at the end.
fn node_receiving(records: &[Record<samverka_protocol::Unverified>]) -> Shown {
    let (base, matter) = &*BASE;
    let body = matter_body(matter);
    let mut held = base.held.clone();
    let mut waiting: Vec<Record<samverka_protocol::Unverified>> = Vec::new();
    let mut shown_closed: Option<Settlement> = None;
    let kind_held = |held: &Held, kind: Kind| -> Vec<Record<Verified>> {
        held.0.values().filter(|r| r.header().kind == kind).cloned().collect()
    };
    for record in records {
        waiting.push(record.clone());
        loop {
            let before = waiting.len();
            waiting.retain(|w| match verify_in(w.clone(), &base.fed.chain, &held) {
                Ok(v) => {
                    held.0.insert(v.id(), v);
                    false
                }
                Err(e) => e.is_pending(),
            });
            if waiting.len() == before {
                break;
            }
        }
        let now = settle(&matter.id(), &body, &kind_held(&held, Kind::BallotClose));
        match &shown_closed {
            Some(first) => assert_eq!(&now, first, "a decision shown was changed by a later arrival"),
            None if matches!(now, Settlement::Closed { .. }) => shown_closed = Some(now),
            None => {}
        }
    }
    let settlement = settle(&matter.id(), &body, &kind_held(&held, Kind::BallotClose));
    let closing = match &settlement {
        Settlement::Closed { closing, .. } => held.0.get(closing).cloned(),
        _ => None,
    };
    let votes = kind_held(&held, Kind::Vote);
    (settlement.clone(), explain(matter.id(), &body, closing.as_ref(), &votes, &base.fed.chain))
}

/// `items` shuffled by a deterministic generator seeded with `seed` (SplitMix64, Fisher–Yates).
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = usize::try_from(next() % (i as u64 + 1)).expect("an index fits in usize");
        out.swap(i, j);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_arrival_order_shows_one_final_decision_on_every_node(
        steps in prop::collection::vec(arb_step(), 1..36),
        seeds in prop::array::uniform2(any::<u64>()),
    ) {
        let (records, first_closing) = play(&steps);
        let in_order = node_receiving(&records);
        for seed in seeds {
            prop_assert_eq!(&node_receiving(&shuffled(&records, seed)), &in_order);
        }
        match first_closing {
            Some(closing) => prop_assert!(
                matches!(in_order.0, Settlement::Closed { closing: c, .. } if c == closing),
                "the closer's first closing decides: {:?}", in_order.0
            ),
            None => prop_assert_eq!(&in_order.0, &Settlement::Open),
        }
    }
}

// ---- module boundaries ----

#[test]
fn governance_rules_and_the_roster_do_not_import_validate() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("governance.rs"), src.join("roster.rs")];
    for entry in std::fs::read_dir(src.join("governance")).expect("the governance directory") {
        files.push(entry.expect("a directory entry").path());
    }
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for line in text.lines().filter(|l| l.trim_start().starts_with("use ")) {
            assert!(!line.contains("validate"), "{} imports validate: {line}", file.display());
        }
    }
}
