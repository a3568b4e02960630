//! Replication between in-process nodes over real sockets: gossip, catch-up sync, the gate.

use std::time::Duration;

use anyhow::Result;
use libp2p::PeerId;
use samverka_node::ledger::Outcome;
use samverka_node::sync;
use samverka_protocol::record::Draft;
use samverka_protocol::{testkit, Kind};
use samverka_tests::{eventually, Cluster, Node};

const DEADLINE: Duration = Duration::from_secs(60);
/// How long receipts may trail the records: [`sync::RECEIPT_DELAY`], round trips, and a retry.
const RECEIPT_DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge_on_records_written_at_each() -> Result<()> {
    let mut cluster = Cluster::start(3).await?;
    cluster.connected(2, DEADLINE).await?;
    let mut written = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        for j in 0..5 {
            written.push(node.write(&format!("note {j} from node {i}")).await?);
        }
    }
    let ids = cluster.converge(DEADLINE).await?;
    assert!(written.iter().all(|id| ids.contains(id)), "every written record is everywhere");
    // Replication receipts: the author's node learns from its peers' heads who holds its record.
    let (node, last) = (&cluster.nodes[0], written[4]);
    let members: Vec<_> = cluster.nodes.iter().map(|n| n.member.clone()).collect();
    eventually(DEADLINE, "every member's node is known to hold node 0's record", || {
        let members = members.clone();
        async move { Ok(node.net().holders(&last).await == members) }
    })
    .await?;
    cluster.stop().await;
    Ok(())
}

/// Receipts follow what the peers hold: peers in step are probed only every couple of minutes
/// here, yet once a record is written every node's holding it shows in the author's receipts
/// within [`sync::RECEIPT_DELAY`] and a round trip (the deadline leaves room for a slow host).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_say_every_node_holds_a_record_soon_after_they_do() -> Result<()> {
    let timing = sync::Config {
        interval: Duration::from_millis(700),
        quiet_interval: Duration::from_secs(120),
        retry: Duration::from_millis(300),
        ..sync::Config::default()
    };
    let mut cluster = Cluster::new(4)?;
    // In turn: with a quiet interval longer than the deadline, nodes started at once could each
    // sync with node 0 before it knew the others, and stay unaware of them.
    cluster.start_all_in_turn(timing, DEADLINE).await?;
    cluster.connected(3, DEADLINE).await?;
    cluster.converge(DEADLINE).await?;
    let members: Vec<_> = cluster.nodes.iter().map(|n| n.member.clone()).collect();
    for (i, text) in ["first", "second"].into_iter().enumerate() {
        let node = &cluster.nodes[i];
        let id = node.write(text).await?;
        let what = format!("receipts of node {i}'s {text} note name all four members");
        eventually(RECEIPT_DEADLINE, &what, || {
            let members = members.clone();
            async move { Ok(node.net().holders(&id).await == members) }
        })
        .await?;
        cluster.converge(RECEIPT_DEADLINE).await?;
    }
    cluster.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fourteen_nodes_converge() -> Result<()> {
    let mut cluster = Cluster::start(14).await?;
    cluster.connected(6, DEADLINE).await?;
    let mut written = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        for j in 0..3 {
            written.push(node.write(&format!("note {j} from node {i}")).await?);
        }
    }
    let ids = cluster.converge(DEADLINE).await?;
    assert!(written.iter().all(|id| ids.contains(id)));
    cluster.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_federation_heals_to_one_record_set() -> Result<()> {
    let mut cluster = Cluster::start(14).await?;
    cluster.connected(13, DEADLINE).await?;
    let (a, b): (Vec<usize>, Vec<usize>) = ((0..9).collect(), (9..14).collect());
    let ids: Vec<PeerId> = cluster.nodes.iter().map(|n| n.net().peer_id()).collect();
    for (side, other) in [(&a, &b), (&b, &a)] {
        for i in side.iter() {
            for j in other.iter() {
                cluster.nodes[*i].net().block(ids[*j]).await;
            }
        }
    }
    for i in 0..14 {
        let want = if i < 9 { 8 } else { 4 };
        let node = &cluster.nodes[i];
        eventually(DEADLINE, "the partition closes cross connections", || async move {
            Ok(node.net().stats().await.connected == want)
        })
        .await?;
    }
    for i in [0, 4, 8, 9, 13] {
        cluster.nodes[i].write(&format!("written on side of node {i} during the split")).await?;
    }
    let side_a = cluster.converge_among(&a, DEADLINE).await?;
    let side_b = cluster.converge_among(&b, DEADLINE).await?;
    assert_ne!(side_a, side_b, "the sides diverge while split");
    for (side, other) in [(&a, &b), (&b, &a)] {
        for i in side.iter() {
            for j in other.iter() {
                cluster.nodes[*i].net().unblock(ids[*j]).await;
            }
        }
    }
    let all = cluster.converge(DEADLINE).await?;
    assert!(side_a.is_subset(&all) && side_b.is_subset(&all));
    cluster.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncertified_node_cannot_connect() -> Result<()> {
    let mut cluster = Cluster::start(2).await?;
    cluster.connected(1, DEADLINE).await?;
    let member = cluster.nodes[1].member.clone();
    let mut outsider = Node::new(member, testkit::key("outsider/node"), &cluster.fed, true)?;
    outsider.start(vec![cluster.nodes[0].address.clone().expect("listening")]).await?;
    let node0 = &cluster.nodes[0];
    eventually(DEADLINE, "node 0 refuses the outsider", || async move { Ok(node0.net().stats().await.refused >= 2) })
        .await?;
    let outsider_id = outsider.net().peer_id().to_string();
    assert!(node0.net().peers().await.iter().all(|p| p.peer_id != outsider_id));
    // The outsider's side sees each attempt established for a moment before node 0 closes it.
    let out = &outsider;
    eventually(DEADLINE, "the outsider holds no connection", || async move {
        Ok(out.net().stats().await.connected == 0 && out.net().peers().await.is_empty())
    })
    .await?;
    cluster.nodes[1].write("members hear this").await?;
    cluster.converge(DEADLINE).await?;
    assert_eq!(outsider.ledger.store().count()?, cluster.fed.updates.len() as u64 + 1, "the outsider got nothing");
    outsider.stop().await;
    cluster.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equivocation_is_detected_and_flagged_by_all() -> Result<()> {
    let mut cluster = Cluster::start(3).await?;
    cluster.connected(2, DEADLINE).await?;
    let original = cluster.nodes[1].write("the one true note").await?;
    cluster.converge(DEADLINE).await?;
    let held = cluster.nodes[1].ledger.store().get(&original)?.expect("stored");
    let h = held.header();
    let twin =
        Draft::new(h.federation, h.author, h.seq, h.prev, h.roster, Kind::Note, b"a second note".to_vec(), h.time_ms)
            .sign(&cluster.nodes[1].key);
    let ledger = cluster.nodes[2].ledger.clone();
    let outcome = tokio::task::spawn_blocking(move || ledger.ingest(twin)).await??;
    assert!(matches!(outcome, Outcome::Equivocation { .. }), "{outcome:?}");
    let author = cluster.nodes[1].key.public();
    for node in &cluster.nodes {
        eventually(DEADLINE, "every node flags the equivocator", || async move {
            Ok(node.ledger.store().equivocators()?.contains_key(&author))
        })
        .await?;
    }
    cluster.converge(DEADLINE).await?;
    cluster.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_that_accepts_no_inbound_connections_replicates_through_the_host_relay() -> Result<()> {
    let mut cluster = Cluster::new(4)?;
    cluster.nodes[0].start(Vec::new()).await?;
    let host = cluster.nodes[0].address.clone().expect("the host listens");
    for node in cluster.nodes.iter_mut().take(3).skip(1) {
        node.start(vec![host.clone()]).await?;
    }
    // The firewalled member listens on nothing: it is reachable only through a relay circuit
    // reserved on the host's node, which its own start-up waits for.
    let options = samverka_node::network::Options {
        sync: samverka_tests::fast_sync(),
        ..samverka_node::network::Options::new(Vec::new(), vec![host.clone()], Some(host.clone()))
    };
    cluster.nodes[3].start_with(options).await?;
    let circuit = cluster.nodes[3].address.clone().expect("a circuit address");
    assert!(circuit.contains("/p2p-circuit"), "the firewalled node is reachable via the relay: {circuit}");
    let from_inside = cluster.nodes[3].write("från brandväggen").await?;
    let from_outside = cluster.nodes[1].write("till brandväggen").await?;
    let ids = cluster.converge(DEADLINE).await?;
    assert!(ids.contains(&from_inside) && ids.contains(&from_outside));
    cluster.stop().await;
    Ok(())
}
