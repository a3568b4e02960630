//! Plan receipts under a partition: every member's node receipts a plan by itself; a member cut
//! off while the host publishes is shown missing on the host's node, since the plan's time, until
//! the partition heals — then its node catches up, signs its receipt, and the host sees it.

use std::time::Duration;

use anyhow::Result;
use samverka_node::plan;
use samverka_protocol::plan::{Activity, Days, Effort, Goal, Mode, Period, Plan, PlanKind, Sides};
use samverka_protocol::{Body, Kind, RecordId, Role};
use samverka_tests::{eventually, federation, Cluster, Node};

const DEADLINE: Duration = Duration::from_secs(60);

fn plan_2027() -> Plan {
    let effort = |b: u64, i: u64| Sides {
        business: Effort { person_days: Days::whole(b), fixed_ore: 0 },
        it: Effort { person_days: Days::whole(i), fixed_ore: 0 },
    };
    Plan {
        kind: PlanKind::Forvaltningsplan,
        title: "Förvaltningsplan 2027".into(),
        period: Period { first: "2027-01-01".into(), last: "2027-12-31".into() },
        supersedes: None,
        day_rate: Sides { business: 600_000, it: 750_000 },
        days_per_fte: 200,
        activities: vec![Activity {
            name: "Förvaltningsstyrning".into(),
            goals: vec![Goal { text: "Styrgruppen möts fyra gånger".into(), mode: Mode::Vm, effort: effort(20, 10) }],
        }],
        initiatives: vec![],
        budget: vec![],
    }
}

/// The members missing a receipt of `plan` as the host's node sees them.
fn missing(cluster: &Cluster, plan_id: &RecordId) -> Result<Vec<String>> {
    let host = &cluster.nodes[0].ledger;
    let chain = host.chain().expect("federation");
    let report = plan::plan_report(host.store(), &chain, plan_id)?.expect("the host holds its plan");
    Ok(report.missing().map(|r| r.member.clone()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cut_off_receipts_the_plan_when_it_returns_and_the_host_shows_it_missing_until_then() -> Result<()> {
    let (mut fed, keys) = federation(3);
    let members: Vec<String> = fed.chain.current().members.keys().cloned().collect();
    let mut forvaltare = fed.certify_person(&members[0], "plans/forvaltare", &[Role::Forvaltare]);
    let nodes =
        members.iter().zip(keys).map(|(m, k)| Node::new(m.clone(), k, &fed, true)).collect::<Result<Vec<_>>>()?;
    let mut cluster = Cluster { fed, nodes };
    // Every node receipts the plans it stores, as `samverka run` does.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = cluster
        .nodes
        .iter()
        .map(|n| tokio::spawn(plan::issue_receipts(n.ledger.clone(), n.key.clone(), stopped.clone())))
        .collect();
    cluster.start_all().await?;
    cluster.connected(2, DEADLINE).await?;
    // Member 2 is cut off.
    cluster.nodes[2].stop().await;
    let cut_off = members[2].clone();

    let record = forvaltare.next(cluster.fed.id(), cluster.fed.version(), Kind::Plan, plan_2027().to_bytes());
    let (plan_id, published_ms) = (record.id(), record.header().time_ms);
    cluster.nodes[0].ledger.ingest(record)?;
    eventually(DEADLINE, "the host's and the connected member's nodes receipt the plan", || {
        let m = missing(&cluster, &plan_id);
        let cut_off = cut_off.clone();
        async move { Ok(m? == vec![cut_off]) }
    })
    .await?;
    let host = cluster.nodes[0].ledger.clone();
    let chain = host.chain().expect("federation");
    let report = plan::plan_report(host.store(), &chain, &plan_id)?.expect("held");
    assert_eq!(report.published_ms, published_ms, "the member has lacked it since the plan's time");
    assert!(!cluster.nodes[2].ledger.store().contains(&plan_id)?, "the cut-off node does not hold the plan");

    // The partition heals: the member's node catches up, receipts by itself, and the host sees it.
    let seed = cluster.nodes[0].address.clone().expect("the host listens");
    cluster.nodes[2].start(vec![seed]).await?;
    eventually(DEADLINE, "the returning member's receipt reaches the host's node", || {
        let m = missing(&cluster, &plan_id);
        async move { Ok(m?.is_empty()) }
    })
    .await?;
    let report = plan::plan_report(host.store(), &chain, &plan_id)?.expect("held");
    let line = report.receipts.iter().find(|r| r.member == cut_off).expect("the member's line");
    let (receipt, _) = line.receipt.expect("receipted");
    let receipt = host.store().get(&receipt)?.expect("held");
    assert_eq!(receipt.header().author, cluster.nodes[2].key.public(), "signed by the member's own node");
    stop.send(true)?;
    for t in tasks {
        t.await?;
    }
    cluster.stop().await;
    Ok(())
}
