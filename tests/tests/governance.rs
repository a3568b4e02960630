//! Styrgrupp decisions replicate: votes cast at different members' nodes, receipted by the host's
//! node (the matter's closer), the ballot closed by it, and every node computes the same, final
//! result on its own — and each voter's node holds the receipt for its member's vote.

use std::time::Duration;

use anyhow::Result;
use samverka_node::governance::{self, Status};
use samverka_protocol::governance::{content_hash, Choice, Matter, PaperRef, Procedure, Vote};
use samverka_protocol::testkit::Author;
use samverka_protocol::{Body, Kind, MatterKind, Role};
use samverka_tests::{eventually, federation, Cluster, Node};

const DEADLINE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_and_its_papers_replicate_and_every_node_computes_the_same_result() -> Result<()> {
    let (mut fed, keys) = federation(5);
    let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
    let mut voters: Vec<Author> = members
        .iter()
        .map(|m| fed.certify_person(m, &format!("gov/{m}/ordinarie"), &[Role::StyrgruppOrdinarie]))
        .collect();
    let mut forvaltare = fed.certify_person(&members[0], "gov/forvaltare", &[Role::Forvaltare]);
    let nodes =
        members.iter().zip(keys).map(|(m, k)| Node::new(m.clone(), k, &fed, true)).collect::<Result<Vec<_>>>()?;
    let mut cluster = Cluster { fed, nodes };
    cluster.start_all().await?;
    cluster.connected(2, DEADLINE).await?;
    let (fid, version) = (cluster.fed.id(), cluster.fed.version());
    // The host's node receipts votes as they arrive, as `samverka run` does.
    let (stop_receipts, stopped) = tokio::sync::watch::channel(false);
    let receipts = tokio::spawn(governance::issue_receipts(
        cluster.nodes[0].ledger.clone(),
        cluster.nodes[0].key.clone(),
        stopped,
    ));

    let paper = "%PDF-1.4 offert för mobil lösning, 1 250 000,00 kr".repeat(2000).into_bytes();
    let paper_hash = content_hash(&paper);
    let matter = Matter {
        kind: MatterKind::Investering,
        title: "Ny mobil lösning för hemtjänsten".into(),
        proposal: "Styrgruppen beslutar att investera i en mobil lösning.".into(),
        alternatives: Vec::new(),
        papers: vec![PaperRef { name: "Offert.pdf".into(), content_hash: paper_hash, size: paper.len() as u64 }],
        procedure: Procedure::PerCapsulam { voting_window_days: 14 },
        closer: cluster.nodes[0].key.public(),
        subject: None,
    };
    let matter = forvaltare.next(fid, version, Kind::Matter, matter.to_bytes());
    let matter_id = matter.id();
    // The paper is uploaded at the host's node only; the others fetch it during sync.
    cluster.nodes[0].ledger.store().put_blob(&paper)?;
    cluster.nodes[0].ledger.ingest(matter)?;
    // Each member votes at its own node: four yes, one no.
    for (i, voter) in voters.iter_mut().enumerate() {
        let choice = if i == 3 { Choice::No } else { Choice::Yes };
        let vote = Vote { matter: matter_id, member: members[i].clone(), choice };
        let vote = voter.next(fid, version, Kind::Vote, vote.to_bytes());
        let ledger = cluster.nodes[i].ledger.clone();
        eventually(DEADLINE, "the matter reaches the voter's node", || {
            let ledger = ledger.clone();
            async move { Ok(ledger.store().contains(&matter_id)?) }
        })
        .await?;
        ledger.ingest(vote)?;
    }
    let host = cluster.nodes[0].ledger.clone();
    let voters = members.len();
    eventually(DEADLINE, "every vote reaches the host's node", || {
        let host = host.clone();
        async move { Ok(governance::votes_on(host.store(), &matter_id)?.len() == voters) }
    })
    .await?;
    eventually(DEADLINE, "the host's node receipts every vote", || {
        let host = host.clone();
        async move { Ok(governance::receipts_on(host.store(), &matter_id)?.len() == voters) }
    })
    .await?;
    stop_receipts.send(true)?;
    receipts.await?;
    // The host's node closes the ballot over the votes it holds.
    let chain = host.chain().expect("federation");
    let node_key = cluster.nodes[0].key.clone();
    let closing =
        governance::next_closing(host.store(), &chain, &node_key.public(), &matter_id).expect("the ballot can close");
    host.author(&node_key, Kind::BallotClose, closing.to_bytes(), samverka_protocol::testkit::T0_MS)?;
    cluster.converge(DEADLINE).await?;

    let mut results = Vec::new();
    for node in &cluster.nodes {
        let chain = node.ledger.chain().expect("federation");
        let report = governance::matter_report(node.ledger.store(), &chain, &matter_id)?.expect("matter held");
        assert_eq!(report.status(), Status::Closed, "node {} sees the ballot closed", node.member);
        assert!(!report.provisional);
        let own = report.votes.iter().find(|v| v.member == node.member).expect("the member's vote");
        assert!(own.counted && own.receipt.is_some(), "node {} holds the receipt of its counted vote", node.member);
        results.push(format!("{:?} {:?}", report.outcome, report.tally));
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "every node computes the same result: {results:#?}");
    assert!(results[0].contains("Adopted"), "four of five voted yes: {}", results[0]);
    for node in &cluster.nodes {
        let ledger = node.ledger.clone();
        eventually(DEADLINE, "the matter's paper reaches every node, checked by its hash", || {
            let ledger = ledger.clone();
            async move { Ok(ledger.store().get_blob(&paper_hash)?.is_some()) }
        })
        .await?;
    }
    cluster.stop().await;
    Ok(())
}
