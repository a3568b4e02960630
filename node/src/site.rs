//! The node's side of the web pages: [`Site`] implements `samverka_web::Node` with the node's
//! read side — the ledger's roster chain and the governance queries in [`crate::governance`] —
//! so the pages render exactly what the API serves and no rule is written twice.

use std::sync::Arc;

use samverka_protocol::governance::JusteringStatus;
use samverka_protocol::roster::{Change, KeyKind, RosterUpdate};
use samverka_protocol::support::SlaTable;
use samverka_protocol::testkit;
use samverka_protocol::{Body as _, Hash, Kind, PublicKey, RecordId, Role, RosterChain, Signature, SigningKey};
use samverka_web::{session, view};

use crate::governance::pages::{matter_row, minutes_row, minutes_view, paper_view, row, view_status};
use crate::governance::{self, MatterSummary, Status};
use crate::ledger::Ledger;
use crate::network;
use crate::offer::{self, Offers, Pending};
use crate::roster::fingerprint;

/// The web pages' view of this node.
pub struct Site {
    ledger: Arc<Ledger>,
    network: Option<network::Handle>,
    /// The node's key: it authors the host's diarium registrations and closings.
    node: SigningKey,
    node_key: PublicKey,
    offers: Offers,
}

impl Site {
    /// The site of the node with `ledger`, `network` (if one runs) and the node key `node`.
    pub fn new(ledger: Arc<Ledger>, network: Option<network::Handle>, node: SigningKey) -> Site {
        Site { offers: Offers::new(ledger.clone()), node_key: node.public(), node, ledger, network }
    }

    fn chain(&self) -> Result<Arc<RosterChain>, view::Error> {
        self.ledger.chain().ok_or(view::Error::NoFederation)
    }
}

/// Sign-in sessions kept in the node's store (`samverka_web::session`), so a restarted node
/// keeps everyone signed in.
pub struct KeptSessions(pub Arc<Ledger>);

impl samverka_web::session::Keep for KeptSessions {
    fn keep(&self, id: &Hash, bytes: &[u8; session::KEPT_BYTES]) -> Result<(), session::KeepError> {
        Ok(self.0.store().put_session(id, bytes)?)
    }

    fn forget(&self, id: &Hash) -> Result<(), session::KeepError> {
        Ok(self.0.store().remove_session(id)?)
    }

    fn kept(&self) -> Result<Vec<(Hash, Vec<u8>)>, session::KeepError> {
        // Twice the sessions held: room for the ones that ended while the node was down.
        Ok(self.0.store().sessions(2 * session::MAX_SESSIONS)?)
    }
}

impl From<offer::Error> for view::Error {
    fn from(e: offer::Error) -> view::Error {
        match e {
            offer::Error::Query(q) => q.into(),
            offer::Error::Ledger(crate::ledger::Error::NoFederation) => view::Error::NoFederation,
            other => view::Error::Read(Box::new(other)),
        }
    }
}

impl From<crate::storage::Error> for view::Error {
    fn from(e: crate::storage::Error) -> view::Error {
        view::Error::Read(Box::new(e))
    }
}

impl From<governance::Error> for view::Error {
    fn from(e: governance::Error) -> view::Error {
        match e {
            governance::Error::NoFederation => view::Error::NoFederation,
            other => view::Error::Read(Box::new(other)),
        }
    }
}

impl samverka_web::Node for Site {
    fn federation(&self) -> Result<view::Federation, view::Error> {
        let chain = self.chain()?;
        let roster = chain.current();
        let members = roster
            .members
            .values()
            .map(|m| {
                let grants = roster.keys.iter().filter(|(_, g)| g.member == m.id);
                let people = grants
                    .clone()
                    .filter_map(|(key, g)| match &g.kind {
                        KeyKind::Person { roles, valid_from_ms, valid_until_ms } => Some(view::Person {
                            key: *key,
                            roles: roles.clone(),
                            fingerprint: fingerprint(key),
                            valid: (*valid_from_ms, *valid_until_ms),
                        }),
                        _ => None,
                    })
                    .collect();
                let nodes = grants.filter(|(_, g)| matches!(g.kind, KeyKind::Node)).count();
                view::Member { id: m.id.clone(), name: m.name.clone(), kind: m.kind, people, nodes }
            })
            .collect();
        Ok(view::Federation {
            name: roster.name.clone(),
            id: chain.federation(),
            roster_version: roster.version,
            host: roster.host.clone(),
            members,
        })
    }

    fn matters(&self) -> Result<Vec<view::MatterRow>, view::Error> {
        self.chain()?;
        Ok(governance::each_matter(self.ledger.store(), matter_row))
    }

    fn matter_list(&self, query: &view::MatterQuery) -> Result<view::MatterList, view::Error> {
        self.chain()?;
        let (page, total) = governance::matters_where(
            self.ledger.store(),
            |m, status| query.admits(m.kind, view_status(status)),
            query.skip,
            query.take,
        );
        Ok(view::MatterList { rows: page.iter().map(row).collect(), total })
    }

    fn open_matters(&self) -> Result<usize, view::Error> {
        self.chain()?;
        Ok(governance::open_matters(self.ledger.store()))
    }

    fn matter(&self, id: &RecordId) -> Result<Option<view::Matter>, view::Error> {
        let chain = self.chain()?;
        let Some(report) = governance::matter_report(self.ledger.store(), &chain, id)? else { return Ok(None) };
        let matter = &report.matter.body;
        let summary = MatterSummary {
            matter: report.matter.clone(),
            diarium: report.diarium.clone(),
            status: report.status(),
            outcome: None,
        };
        Ok(Some(view::Matter {
            row: row(&summary),
            proposal: matter.proposal.clone(),
            alternatives: matter.alternatives.clone(),
            papers: matter.papers.iter().map(paper_view).collect(),
            votes: report
                .votes
                .iter()
                .map(|v| view::VoteRow {
                    id: v.id,
                    member: v.member_name.clone(),
                    choice: v.choice,
                    time_ms: v.time_ms,
                    excluded: v.excluded.map(|e| e.code()),
                })
                .collect(),
            tally: report.tally.clone(),
            outcome: report.outcome,
            provisional: report.provisional,
            closing: report.closing.as_ref().map(governance::Held::id),
            subject: match matter.subject {
                Some(id) => Some(matter_subject(&self.ledger, id)?),
                None => None,
            },
        }))
    }

    fn roster_history(&self) -> Result<Vec<view::RosterVersion>, view::Error> {
        let chain = self.chain()?;
        let name = |m: &str| governance::member_name(&chain, m);
        let mut out = Vec::new();
        for record in governance::scan(self.ledger.store(), Kind::RosterUpdate)? {
            let Some(update) = record.body().and_then(|b| RosterUpdate::from_bytes(b).ok()) else { continue };
            let changes = update
                .changes
                .iter()
                .map(|change| match change {
                    Change::AddMember { member, .. } => view::RosterChange::MemberAdded(member.name.clone()),
                    Change::RemoveMember { member } => view::RosterChange::MemberRemoved(name(member)),
                    Change::CertifyKey { member, key, kind } => view::RosterChange::KeyCertified {
                        member: name(member),
                        fingerprint: fingerprint(key),
                        roles: match kind {
                            KeyKind::Person { roles, .. } => roles.clone(),
                            _ => Vec::new(),
                        },
                        node: matches!(kind, KeyKind::Node),
                    },
                    Change::RotateKey { old, new } => {
                        view::RosterChange::KeyRotated { old: fingerprint(old), new: fingerprint(new) }
                    }
                    Change::RevokeKey { key, compromised_since_seq } => {
                        view::RosterChange::KeyRevoked { fingerprint: fingerprint(key), since: *compromised_since_seq }
                    }
                    Change::SetHost { member } => view::RosterChange::HostSet(name(member)),
                    Change::SetRules { .. } => view::RosterChange::RulesSet,
                })
                .collect();
            out.push(view::RosterVersion {
                version: update.version,
                reason: update.reason,
                time_ms: record.header().time_ms,
                changes,
            });
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.version));
        Ok(out)
    }

    fn meetings(&self) -> Result<Vec<view::MeetingRow>, view::Error> {
        self.chain()?;
        Ok(governance::meetings(self.ledger.store())?
            .into_iter()
            .map(|m| view::MeetingRow {
                id: m.meeting.id(),
                title: m.meeting.body.title.clone(),
                date: m.meeting.body.date.clone(),
                place: m.meeting.body.place.clone(),
                notice_given_on: m.meeting.body.notice_given_on.clone(),
                agenda: m
                    .agenda
                    .into_iter()
                    .map(|(matter, title, dn)| view::AgendaItem {
                        matter,
                        title,
                        diarienummer: dn.map(|d| d.to_string()),
                    })
                    .collect(),
                minutes: m.minutes,
            })
            .collect())
    }

    fn minutes(&self, id: &RecordId) -> Result<Option<view::MinutesView>, view::Error> {
        let chain = self.chain()?;
        let store = self.ledger.store();
        let Some(report) = governance::minutes_report(store, id)? else { return Ok(None) };
        let signed: Vec<PublicKey> = report.justeringar.iter().map(|j| j.record.header().author).collect();
        let row = minutes_row(&report);
        let meeting = report.meeting.as_ref().map(governance::Held::id);
        Ok(Some(minutes_view(&self.ledger, &chain, row, meeting, &report.minutes.body, &report.items, &signed)?))
    }

    async fn node_state(&self) -> Result<view::NodeState, view::Error> {
        let store = self.ledger.store();
        let chain = self.ledger.chain();
        let name = |m: &str| chain.as_ref().map_or_else(|| m.to_owned(), |c| governance::member_name(c, m));
        let (peers, replication) = match &self.network {
            Some(n) => {
                let peers = n.peers().await.into_iter().map(|p| (name(&p.member), p.address)).collect();
                let ledger = self.ledger.clone();
                let newest =
                    tokio::task::spawn_blocking(move || governance::matters_page(ledger.store(), None, 1, false))
                        .await
                        .map_err(|e| view::Error::Read(Box::new(e)))?
                        .items
                        .into_iter()
                        .next();
                let replication = match newest {
                    Some(m) => {
                        let holders = n.holders(&m.matter.id()).await.iter().map(|h| name(h)).collect();
                        let members = chain.as_ref().map_or(0, |c| c.current().members.len());
                        Some((m.matter.body.title.clone(), holders, members))
                    }
                    None => None,
                };
                (peers, replication)
            }
            None => (Vec::new(), None),
        };
        let member = chain.as_ref().and_then(|c| {
            let grant = c.current().keys.get(&self.node_key)?;
            Some(governance::member_name(c, &grant.member))
        });
        Ok(view::NodeState {
            node_key: self.node_key.to_hex(),
            member,
            records: store.count()?,
            parked: self.ledger.parked(),
            peers,
            replication,
            roster_version: chain.as_ref().map(|c| c.current().version),
            equivocators: store.equivocators()?.len(),
            version: env!("CARGO_PKG_VERSION"),
        })
    }

    fn demo(&self) -> bool {
        is_demo_key(&self.ledger, &self.node_key)
    }

    fn me(&self, key: &PublicKey) -> Option<view::Me> {
        let chain = self.ledger.chain()?;
        if chain.revoked_since(key).is_some() {
            return None;
        }
        let roster = chain.current();
        let grant = roster.keys.get(key)?;
        let KeyKind::Person { roles, valid_from_ms, valid_until_ms } = &grant.kind else { return None };
        let now = jiff::Timestamp::now().as_millisecond();
        if valid_from_ms.is_some_and(|from| now < from) || valid_until_ms.is_some_and(|until| now > until) {
            return None;
        }
        Some(view::Me {
            key: *key,
            member: grant.member.clone(),
            member_name: governance::member_name(&chain, &grant.member),
            roles: roles.clone(),
            host: grant.member == roster.host,
        })
    }

    fn todo(&self, me: &view::Me) -> Result<view::Todo, view::Error> {
        self.chain()?;
        let store = self.ledger.store();
        let mut todo = view::Todo::default();
        if me.votes() {
            for summary in governance::matters(store)?.iter().filter(|m| m.status == Status::Open) {
                if !governance::has_voted(store, &summary.matter.id(), &me.member)? {
                    todo.ballots.push(row(summary));
                }
            }
        }
        for minutes in governance::all_minutes(store)? {
            if !minutes.body.signers().contains(&me.key) {
                continue;
            }
            let Some(report) = governance::minutes_report(store, &minutes.id())? else { continue };
            if matches!(&report.status, JusteringStatus::Pending { missing } if missing.contains(&me.key)) {
                todo.justering.push(minutes_row(&report));
            }
        }
        if me.roles.contains(&Role::Objektspecialist) {
            todo.outages = crate::outage::pages::unacknowledged(&self.ledger, &me.member)?;
            let mine = self.support_cases(&view::support::Inbox::Member(me.member.clone()))?;
            todo.support.extend(mine.into_iter().filter(|c| c.paused));
        }
        if me.host && me.roles.contains(&Role::Forvaltare) {
            let line2 = self.support_cases(&view::support::Inbox::Forvaltning)?;
            todo.support.extend(line2.into_iter().filter(|c| !c.paused));
        }
        let today = crate::agreement::today();
        (todo.agreements, todo.deadlines) =
            crate::agreement::pages::todo(&self.ledger, &me.member, &me.roles, today, view::TODO_DEADLINE_DAYS)?;
        if me.host_officer() {
            todo.withdrawals = crate::agreement::pages::withdrawals(&self.ledger, today)?;
        }
        Ok(todo)
    }

    fn prepare(&self, me: &view::Me, action: view::Action) -> Result<Result<view::Offer, view::Refusal>, view::Error> {
        let ctx = offer::Context {
            ledger: &self.ledger,
            node_key: self.node_key,
            now_ms: jiff::Timestamp::now().as_millisecond(),
        };
        let made = match action {
            view::Action::Governance(a) => governance::pages::make(&ctx, me, a)?,
            view::Action::Roster(a) => crate::roster::make(&ctx, me, a)?,
            view::Action::Agreement(a) => crate::agreement::pages::make(&ctx, me, a)?,
            view::Action::Need(a) => crate::needs::pages::make(&ctx, me, a)?,
            view::Action::Outage(a) => crate::outage::pages::make(&ctx, me, a)?,
            view::Action::Support(a) => crate::support::pages::make(&ctx, me, a)?,
        };
        let made = match made {
            Ok(made) => made,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let author = made.author.unwrap_or(me.key);
        match self.offers.prepare(me.key, author, made.kind, made.body, ctx.now_ms)? {
            Ok(pending) => {
                for blob in &made.blobs {
                    self.ledger.store().put_blob(blob)?;
                }
                Ok(Ok(self.describe(me, &pending)?))
            }
            Err(refusal) => Ok(Err(refusal.view(None))),
        }
    }

    fn offer(&self, me: &view::Me) -> Result<Option<view::Offer>, view::Error> {
        match self.offers.pending(&me.key)? {
            Some(pending) => Ok(Some(self.describe(me, &pending)?)),
            None => Ok(None),
        }
    }

    fn submit(
        &self,
        me: &view::Me,
        id: &RecordId,
        signature: Signature,
    ) -> Result<Result<view::Submitted, view::Refusal>, view::Error> {
        let pending = self.offers.pending(&me.key)?;
        match self.offers.submit(&me.key, id, signature)? {
            Ok(id) => {
                let back = pending.as_ref().and_then(|p| {
                    let (kind, body) = (p.draft.header.kind, &p.draft.body);
                    signing(kind).map(|domain| domain.back(kind, &id, body))
                });
                let back = back.unwrap_or_else(|| "/att-gora".into());
                Ok(Ok(view::Submitted { id, back }))
            }
            Err(refusal @ offer::Refusal::Refused(_)) => Ok(Err(refusal.view(Some(*id)))),
            Err(refusal) => Ok(Err(refusal.view(None))),
        }
    }

    fn host(&self, me: &view::Me, command: view::HostCommand) -> Result<Result<(), view::Refusal>, view::Error> {
        self.host_command(me, command)
    }

    fn plans(&self) -> Result<Vec<view::plan::PlanRow>, view::Error> {
        crate::plan::pages::rows(&self.ledger)
    }

    fn plan(&self, id: &RecordId) -> Result<Option<view::plan::PlanView>, view::Error> {
        crate::plan::pages::view(&self.ledger, id)
    }

    fn invoice(&self, year: u16) -> Result<view::plan::Invoice, view::Error> {
        crate::plan::pages::invoice(&self.ledger, year)
    }

    fn agreements(&self) -> Result<Vec<view::agreement::AgreementRow>, view::Error> {
        crate::agreement::pages::rows(&self.ledger)
    }

    fn agreement(
        &self,
        id: &RecordId,
        me: Option<&view::Me>,
    ) -> Result<Option<view::agreement::AgreementView>, view::Error> {
        crate::agreement::pages::view(&self.ledger, id, me)
    }

    fn outages(&self) -> Result<Vec<view::outage::OutageRow>, view::Error> {
        crate::outage::pages::rows(&self.ledger)
    }

    fn outage(&self, id: &RecordId, me: Option<&view::Me>) -> Result<Option<view::outage::OutageView>, view::Error> {
        crate::outage::pages::view(&self.ledger, id, me)
    }

    fn may_publish_outage(&self, me: &view::Me) -> bool {
        crate::outage::pages::may_notify(me)
    }

    fn needs(&self) -> Result<Vec<view::need::NeedRow>, view::Error> {
        crate::needs::pages::rows(&self.ledger)
    }

    fn need(&self, id: &RecordId, me: Option<&view::Me>) -> Result<Option<view::need::NeedView>, view::Error> {
        crate::needs::pages::view(&self.ledger, id, me)
    }

    fn may_register_need(&self, me: &view::Me) -> bool {
        crate::needs::pages::may_write(me)
    }

    fn ranking(&self, me: &view::Me) -> Result<Vec<(view::need::NeedRow, Option<usize>)>, view::Error> {
        crate::needs::pages::ranking(&self.ledger, &me.member)
    }

    fn support_cases(&self, inbox: &view::support::Inbox) -> Result<Vec<view::support::CaseRow>, view::Error> {
        crate::support::pages::rows(&self.ledger, inbox)
    }

    fn support_case(&self, id: &RecordId) -> Result<Option<view::support::CaseView>, view::Error> {
        crate::support::pages::view(&self.ledger, id)
    }

    fn support_breaches(&self) -> Result<Vec<view::support::BreachRow>, view::Error> {
        crate::support::pages::breach_rows(&self.ledger)
    }

    fn support_sla(&self) -> Result<view::support::SlaLine, view::Error> {
        crate::support::pages::sla_line(&self.ledger)
    }

    fn holds(&self, id: &RecordId) -> Result<bool, view::Error> {
        Ok(self.ledger.store().get(id)?.is_some())
    }

    fn demo_people(&self) -> Vec<view::DemoPerson> {
        if !self.demo() {
            return Vec::new();
        }
        let Some(chain) = self.ledger.chain() else { return Vec::new() };
        let roster = chain.current();
        let mut people = Vec::new();
        for member in roster.members.values() {
            for role in ["ordinarie", "forvaltare", "ordforande", "objektspecialist"] {
                let key = testkit::key(&format!("demo/{}/{role}", member.id));
                let Some(grant) = roster.keys.get(&key.public()) else { continue };
                let KeyKind::Person { roles, .. } = &grant.kind else { continue };
                people.push(view::DemoPerson {
                    id: format!("{}/{role}", member.id),
                    member: member.name.clone(),
                    roles: roles.clone(),
                    seed: key.to_seed(),
                    key: key.public(),
                });
            }
        }
        people.sort_by_key(|p| {
            (!p.roles.iter().any(|r| matches!(r, Role::Forvaltare | Role::Ordforande)), p.member.clone())
        });
        people
    }
}

impl Site {
    fn host_command(
        &self,
        me: &view::Me,
        command: view::HostCommand,
    ) -> Result<Result<(), view::Refusal>, view::Error> {
        if !me.host_officer() {
            return Ok(Err(view::Refusal {
                code: "not_host_officer",
                detail: "only the host's förvaltare or ordförande may do this".into(),
                given_back: None,
                field: None,
            }));
        }
        let now = jiff::Timestamp::now().as_millisecond();
        let done = match command {
            view::HostCommand::Register(matter) => {
                governance::register(&self.ledger, &self.node, &matter, now).map(drop)
            }
            view::HostCommand::Close(matter) => {
                governance::close_ballot(&self.ledger, &self.node, &matter, now).map(drop)
            }
        };
        let refusal = |code: &'static str, e: &dyn std::fmt::Display| view::Refusal {
            code,
            detail: e.to_string(),
            given_back: None,
            field: None,
        };
        match done {
            Ok(()) => Ok(Ok(())),
            Err(governance::CommandError::Refused(governance::Refusal::Query(q))) => Err(q.into()),
            Err(governance::CommandError::Refused(r)) => Ok(Err(refusal(r.code(), &r))),
            Err(governance::CommandError::Ledger(e)) => Ok(Err(refusal(e.code(), &e))),
        }
    }

    /// An offer as the pages show it: what the record says, in its domain's terms.
    fn describe(&self, me: &view::Me, pending: &Pending) -> Result<view::Offer, view::Error> {
        let draft = &pending.draft;
        let kind = draft.header.kind;
        let domain = signing(kind)
            .ok_or_else(|| view::Error::Read(format!("no domain makes offered records of kind {kind:?}").into()))?;
        let subject = domain.subject(&self.ledger, me, pending.id(), kind, &draft.body)?;
        Ok(view::Offer {
            id: pending.id(),
            author: draft.header.author,
            seq: draft.header.seq,
            prev: draft.header.prev,
            kind,
            subject,
            signing_input: draft.header.signing_input(),
            around: draft.around_signature(),
        })
    }
}

/// The domains whose records people sign in the browser (docs/web.md §3): each makes records of
/// its own actions (`make`, dispatched in [`Site`]'s `prepare`) and answers for the kinds it
/// lists. A new domain adds itself here.
const SIGNING: [&dyn offer::Domain; 6] = [
    &governance::pages::Signing,
    &crate::roster::Signing,
    &crate::agreement::pages::Signing,
    &crate::needs::pages::Signing,
    &crate::outage::pages::Signing,
    &crate::support::pages::Signing,
];

/// The domain that makes records of `kind`.
fn signing(kind: Kind) -> Option<&'static dyn offer::Domain> {
    SIGNING.into_iter().find(|d| d.kinds().contains(&kind))
}

/// Whether `key` is a demo node key (`samverka demo` derives them from public labels, so anyone
/// can recompute them): the key of its member's demo label.
fn is_demo_key(ledger: &Ledger, key: &PublicKey) -> bool {
    let Some(chain) = ledger.chain() else { return false };
    let Some(grant) = chain.current().keys.get(key) else { return false };
    testkit::key(&crate::demo::node_label(&grant.member)).public() == *key
}

/// The record a matter decides on, with its title and what it is, for the matter page's
/// label and link.
fn matter_subject(ledger: &Ledger, id: RecordId) -> Result<(RecordId, Option<String>, view::SubjectKind), view::Error> {
    use samverka_protocol::agreement::Agreement;
    use samverka_protocol::needs::Need;
    use samverka_protocol::plan::{CostKey, Plan};
    use view::SubjectKind as S;
    let Some(record) = ledger.store().get(&id)? else { return Ok((id, None, S::NotHeld)) };
    Ok(match record.header().kind {
        Kind::Plan => (id, governance::decoded::<Plan>(record).map(|p| p.body.title), S::Plan),
        Kind::CostKey => match governance::decoded::<CostKey>(record) {
            Some(k) => (id, Some(k.body.title), S::CostKey(k.body.year)),
            None => (id, None, S::NotHeld),
        },
        Kind::Agreement => (id, governance::decoded::<Agreement>(record).map(|a| a.body.title), S::Agreement),
        Kind::Need => (id, governance::decoded::<Need>(record).map(|n| n.body.title), S::Need),
        Kind::SlaTable => (id, governance::decoded::<SlaTable>(record).map(|t| t.body.name), S::SlaTable),
        _ => (id, None, S::NotHeld),
    })
}
