//! The node's side of the web pages: [`Site`] implements `samverka_web::Node` with the node's
//! read side — the ledger's roster chain and the governance queries in [`crate::governance`] —
//! so the pages render exactly what the API serves and no rule is written twice.

use std::sync::Arc;

use samverka_protocol::roster::KeyKind;
use samverka_protocol::testkit;
use samverka_protocol::{PublicKey, RecordId, RosterChain};
use samverka_web::view;

use crate::governance::{self, MatterSummary, Status};
use crate::ledger::Ledger;
use crate::network;

/// The web pages' view of this node.
pub struct Site {
    ledger: Arc<Ledger>,
    network: Option<network::Handle>,
    node_key: PublicKey,
}

impl Site {
    /// The site of the node with `ledger`, `network` (if one runs) and the node key `node_key`.
    pub fn new(ledger: Arc<Ledger>, network: Option<network::Handle>, node_key: PublicKey) -> Site {
        Site { ledger, network, node_key }
    }

    fn chain(&self) -> Result<Arc<RosterChain>, view::Error> {
        self.ledger.chain().ok_or(view::Error::NoFederation)
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
                        KeyKind::Person { roles, .. } => {
                            Some(view::Person { roles: roles.clone(), fingerprint: key.to_hex()[..8].to_owned() })
                        }
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
        Ok(governance::matters(self.ledger.store())?.iter().map(row).collect())
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
            papers: matter
                .papers
                .iter()
                .map(|p| view::Paper { name: p.name.clone(), hash: p.content_hash, size: p.size })
                .collect(),
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
        }))
    }

    async fn node_state(&self) -> Result<view::NodeState, view::Error> {
        let peers = match &self.network {
            Some(n) => n.peers().await.len(),
            None => 0,
        };
        let store = self.ledger.store();
        let chain = self.ledger.chain();
        let member = chain.as_ref().and_then(|c| {
            let grant = c.current().keys.get(&self.node_key)?;
            Some(governance::member_name(c, &grant.member))
        });
        let read = |e: crate::storage::Error| view::Error::Read(Box::new(e));
        Ok(view::NodeState {
            node_key: self.node_key.to_hex(),
            member,
            records: store.count().map_err(read)?,
            parked: self.ledger.parked(),
            peers,
            roster_version: chain.as_ref().map(|c| c.current().version),
            equivocators: store.equivocators().map_err(read)?.len(),
            version: env!("CARGO_PKG_VERSION"),
        })
    }

    fn demo(&self) -> bool {
        is_demo_key(&self.ledger, &self.node_key)
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
}

/// Whether `key` is a demo node key (`samverka demo` derives them from public labels, so anyone
/// can recompute them): the key of its member's demo label.
fn is_demo_key(ledger: &Ledger, key: &PublicKey) -> bool {
    let Some(chain) = ledger.chain() else { return false };
    let Some(grant) = chain.current().keys.get(key) else { return false };
    testkit::key(&crate::demo::node_label(&grant.member)).public() == *key
}

fn row(m: &MatterSummary) -> view::MatterRow {
    view::MatterRow {
        id: m.matter.id(),
        diarienummer: m.diarium.as_ref().map(|d| d.body.diarienummer.to_string()),
        title: m.matter.body.title.clone(),
        kind: m.matter.body.kind,
        status: match m.status {
            Status::Open => view::Status::Open,
            Status::Closed => view::Status::Closed,
            Status::Disputed => view::Status::Disputed,
        },
        time_ms: m.matter.record.header().time_ms,
    }
}
