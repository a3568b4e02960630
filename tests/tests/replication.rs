//! Replication between in-process nodes over real sockets: gossip, catch-up sync, the gate.

use std::time::Duration;

use anyhow::Result;
use samverka_tests::Cluster;

const DEADLINE: Duration = Duration::from_secs(60);

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
