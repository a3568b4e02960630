//! An outage acknowledgement made during a partition, over real sockets: the host's förvaltare
//! publishes a driftstörning that every node receives; a member's node is then cut off, and its
//! objektspecialist acknowledges the notice there. The host's node shows the member missing until
//! the partition heals — then the acknowledgement reaches it by sync, and both nodes show the
//! same report.

use std::time::Duration;

use anyhow::Result;
use samverka_node::outage;
use samverka_protocol::outage::{NoticeKind, OutageAck, OutageNotice, Published};
use samverka_protocol::testkit::T0_MS;
use samverka_protocol::{Body, Kind, RecordId, Role};
use samverka_tests::{eventually, federation, Cluster, Node};

const DEADLINE: Duration = Duration::from_secs(60);

/// Whether the node of `cluster.nodes[i]` shows `member`'s acknowledgement of `notice`.
fn acknowledged(cluster: &Cluster, i: usize, notice: &RecordId, member: &str) -> Result<bool> {
    let ledger = &cluster.nodes[i].ledger;
    let chain = ledger.chain().expect("federation");
    Ok(outage::outage(ledger.store(), &chain, notice)?.is_some_and(|r| r.acknowledged_by(member)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_made_during_a_partition_reaches_the_host_after_the_heal() -> Result<()> {
    let (mut fed, keys) = federation(3);
    let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
    let mut forvaltare = fed.certify_person(&members[0], "outages/forvaltare", &[Role::Forvaltare]);
    let mut specialist = fed.certify_person(&members[2], "outages/objektspecialist", &[Role::Objektspecialist]);
    let nodes =
        members.iter().zip(keys).map(|(m, k)| Node::new(m.clone(), k, &fed, true)).collect::<Result<Vec<_>>>()?;
    let mut cluster = Cluster { fed, nodes };
    cluster.start_all().await?;
    cluster.connected(2, DEADLINE).await?;

    let notice = OutageNotice::Publish(Published {
        kind: NoticeKind::Driftstorning,
        title: "Treserva svarar inte".into(),
        text: "Inloggningen står still. Vi felsöker.".into(),
        affected: vec!["Journal IFO".into()],
        start_ms: T0_MS,
        expected_end_ms: None,
    });
    let (id, version) = (cluster.fed.id(), cluster.fed.version());
    let notice = forvaltare.next(id, version, Kind::OutageNotice, notice.to_bytes());
    let notice_id = notice.id();
    cluster.nodes[0].ledger.ingest(notice)?;
    eventually(DEADLINE, "every node holds the notice", || {
        let held = cluster.nodes.iter().map(|n| n.ledger.store().contains(&notice_id)).collect::<Result<Vec<_>, _>>();
        async move { Ok(held?.into_iter().all(|h| h)) }
    })
    .await?;

    // The member's node is cut off; its objektspecialist acknowledges there.
    let seed = cluster.nodes[0].address.clone().expect("the host listens");
    cluster.nodes[2].stop().await;
    let ack = specialist.next(id, version, Kind::OutageAck, OutageAck { notice: notice_id }.to_bytes());
    cluster.nodes[2].ledger.ingest(ack.clone())?;
    assert!(acknowledged(&cluster, 2, &notice_id, &members[2])?, "the member's own node shows it at once");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!acknowledged(&cluster, 0, &notice_id, &members[2])?, "the host cannot see it while cut off");
    let chain = cluster.nodes[0].ledger.chain().expect("federation");
    let report = outage::outage(cluster.nodes[0].ledger.store(), &chain, &notice_id)?.expect("held");
    assert!(report.missing().any(|m| m.member == members[2]), "the host shows the member missing");

    // Healed: the acknowledgement reaches the host, and both nodes show the same report.
    cluster.nodes[2].start(vec![seed]).await?;
    eventually(DEADLINE, "the acknowledgement reaches the host's node", || {
        let seen = acknowledged(&cluster, 0, &notice_id, &members[2]);
        async move { seen }
    })
    .await?;
    assert!(cluster.nodes[0].ledger.store().contains(&ack.id())?);
    let report = |i: usize| {
        let ledger = &cluster.nodes[i].ledger;
        outage::outage(ledger.store(), &ledger.chain().expect("federation"), &notice_id)
    };
    assert_eq!(report(0)?, report(2)?, "host and member show the same acknowledgements");
    cluster.stop().await;
    Ok(())
}
