//! Hostile and late peers: a certified node gone rogue floods forged records; a node that holds
//! only the charter joins late and catches up a long history.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::swarm::SwarmEvent;
use libp2p::{identity, noise, tcp, yamux, Multiaddr, PeerId};
use samverka_protocol::testkit::{self, Author};
use samverka_protocol::{Kind, RecordId, SigningKey};
use samverka_tests::{eventually, Cluster, Node};

const DEADLINE: Duration = Duration::from_secs(60);

/// Dials `target` with a bare gossipsub swarm under `key`, publishes `messages` once the target
/// subscribed, and returns once the target closed the connection.
async fn flood(key: &SigningKey, target: Multiaddr, topic: IdentTopic, messages: Vec<Vec<u8>>) -> Result<()> {
    let keypair = identity::Keypair::ed25519_from_bytes(key.to_seed())?;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)?
        .with_behaviour(|_| -> Result<gossipsub::Behaviour, Box<dyn std::error::Error + Send + Sync>> {
            let config = gossipsub::ConfigBuilder::default()
                .validation_mode(ValidationMode::Anonymous)
                // Anonymous messages have no source or seqno to tell them apart: use the data,
                // as the node does.
                .message_id_fn(|m| {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    m.data.hash(&mut h);
                    gossipsub::MessageId::from(h.finish().to_be_bytes().to_vec())
                })
                .max_transmit_size(2 * 1024 * 1024)
                .build()?;
            Ok(gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, config)?)
        })?
        .build();
    swarm.behaviour_mut().subscribe(&topic)?;
    swarm.dial(target)?;
    let end = Instant::now() + DEADLINE;
    let mut messages = Some(messages);
    loop {
        let event = tokio::time::timeout_at(end.into(), swarm.select_next_some()).await.context("flooding")?;
        match event {
            SwarmEvent::Behaviour(gossipsub::Event::Subscribed { .. }) => {
                for m in messages.take().unwrap_or_default() {
                    if let Err(e) = swarm.behaviour_mut().publish(topic.clone(), m) {
                        bail!("cannot publish: {e}");
                    }
                }
            }
            SwarmEvent::ConnectionClosed { num_established: 0, .. } if messages.is_none() => return Ok(()),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_are_stored_nowhere_and_their_sender_is_banned() -> Result<()> {
    // Node 3's key is certified, but it runs the flooder instead of a samverka node.
    let mut cluster = Cluster::new(4)?;
    let rogue = cluster.nodes.pop().expect("four nodes");
    cluster.start_all().await?;
    cluster.connected(2, DEADLINE).await?;
    let fed = cluster.fed.id();
    let version = cluster.fed.version();
    let mut outsider = Author::new(testkit::key("forger"));
    let mut victim = Author::new(cluster.nodes[1].key.clone());
    let mut forged: Vec<(RecordId, Vec<u8>)> = Vec::new();
    for i in 0..1000 {
        let body = format!("forged {i}").into_bytes();
        if i % 2 == 0 {
            let r = outsider.next(fed, version, Kind::Note, body);
            forged.push((r.id(), r.bytes().to_vec()));
        } else {
            // A real author's record with its body changed after signing.
            let r = victim.next(fed, version, Kind::Note, body);
            let mut bytes = r.bytes().to_vec();
            *bytes.last_mut().expect("a body") ^= 1;
            forged.push((r.id(), bytes));
        }
    }
    let before: Vec<u64> = cluster.nodes.iter().map(|n| n.ledger.store().count()).collect::<Result<_, _>>()?;
    let topic = IdentTopic::new(samverka_node::network::gossip_topic(&fed));
    let target: Multiaddr = cluster.nodes[0].address.clone().expect("listening").parse()?;
    flood(&rogue.key, target, topic, forged.iter().map(|(_, b)| b.clone()).collect()).await?;
    let rogue_id = PeerId::from(identity::Keypair::ed25519_from_bytes(rogue.key.to_seed())?.public());
    let stats = cluster.nodes[0].net().stats().await;
    assert!(stats.banned.contains(&rogue_id), "the flooder is banned: {stats:?}");
    assert!(stats.rejected >= 1, "{stats:?}");
    // A record written after the flood reaching everyone shows the flood has been dealt with.
    cluster.nodes[0].write("after the flood").await?;
    cluster.converge(DEADLINE).await?;
    for (node, before) in cluster.nodes.iter().zip(before) {
        assert_eq!(node.ledger.store().count()?, before + 1, "only the honest record was stored");
        for (id, _) in &forged {
            assert!(!node.ledger.store().contains(id)?, "forged record {id} stored");
        }
    }
    cluster.stop().await;
    Ok(())
}

/// How many records the late joiner catches up. 100 000 takes about a minute in a debug build on
/// two cores (signature checks dominate); `SAMVERKA_LATE_JOINER_RECORDS` changes it.
fn history_len() -> usize {
    std::env::var("SAMVERKA_LATE_JOINER_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiner_with_only_the_charter_catches_up_a_long_history() -> Result<()> {
    let mut cluster = Cluster::new(2)?;
    // The joiner knows only the charter: it cannot yet tell that node 0's key is certified.
    let joiner = &cluster.nodes[1];
    cluster.nodes[1] = Node::new(joiner.member.clone(), joiner.key.clone(), &cluster.fed, false)?;
    let n = history_len();
    let started = Instant::now();
    let (ledger, key, fed, version) =
        (cluster.nodes[0].ledger.clone(), cluster.nodes[0].key.clone(), cluster.fed.id(), cluster.fed.version());
    tokio::task::spawn_blocking(move || -> Result<()> {
        let mut author = Author::new(key);
        let mut left = n;
        while left > 0 {
            let chunk: Vec<_> = (0..left.min(1000))
                .map(|_| author.next(fed, version, Kind::Note, format!("minute {}", author.seq).into_bytes()))
                .collect();
            left -= chunk.len();
            for r in ledger.ingest_many(chunk) {
                r?;
            }
        }
        Ok(())
    })
    .await??;
    let written = started.elapsed();
    cluster.nodes[0].start(Vec::new()).await?;
    let seed = cluster.nodes[0].address.clone().expect("listening");
    let caught_up = Instant::now();
    cluster.nodes[1].start(vec![seed]).await?;
    let joiner = &cluster.nodes[1];
    eventually(DEADLINE, "the joiner learns the roster and is connected as a member", || async move {
        Ok(joiner.net().stats().await.connected == 1)
    })
    .await?;
    let ids = cluster.converge(Duration::from_secs(600)).await?;
    assert!(ids.len() > n);
    println!("late joiner: {n} records written in {written:?}, caught up in {:?}", caught_up.elapsed());
    cluster.stop().await;
    Ok(())
}
