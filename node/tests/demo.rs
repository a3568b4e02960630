//! `samverka demo` as a living federation: a small demo started in this process on loopback
//! seeds its content, and every node comes to hold the matters, the votes cast at the members'
//! own nodes, the host's closing and the justerade minutes, and WebCare's SLA table adopted as a
//! record that clocks the support cases; the host's pages list the matters.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use samverka_node::demo::{self, content};
use samverka_node::governance::{self, Status};
use samverka_node::plan;
use samverka_protocol::governance::JusteringStatus;
use samverka_protocol::plan::Adoption;
use samverka_protocol::testkit;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const MEMBERS: usize = 5;
const CONVERGENCE: Duration = Duration::from_secs(60);

/// `GET path` on `addr` over plain HTTP/1.1; the status line, headers and body.
async fn get(addr: std::net::SocketAddr, path: &str) -> Result<String> {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")).await
}

/// `POST path` with no body and the demo's operator token.
async fn post_as_operator(addr: std::net::SocketAddr, path: &str) -> Result<String> {
    let token = demo::TOKEN;
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n");
    request(addr, &format!("{head}Content-Length: 0\r\nConnection: close\r\n\r\n")).await
}

async fn request(addr: std::net::SocketAddr, request: &str) -> Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
    stream.write_all(request.as_bytes()).await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    String::from_utf8(reply).context("the page is UTF-8")
}

/// What one node lacks of the seeded content, or `None` when it holds it all as decided.
fn lacking(seat: &content::Seat, seeded: &content::Seeded) -> Result<Option<String>> {
    let store = seat.ledger.store();
    let missing = seeded.all().iter().filter(|id| matches!(store.get(id), Ok(None))).count();
    if missing > 0 {
        return Ok(Some(format!("{missing} records")));
    }
    for paper in [content::plan_paper(), content::budget_paper()] {
        if store.get_blob(&paper.reference().content_hash)?.is_none() {
            return Ok(Some(format!("the paper {}", paper.name)));
        }
    }
    let chain = seat.ledger.chain().context("the node has a federation")?;
    let plan = governance::matter_report(store, &chain, &seeded.plan)?.context("the plan is held")?;
    if plan.status() != Status::Closed || plan.closing.as_ref().map(governance::Held::id) != Some(seeded.closing) {
        return Ok(Some(format!("the plan's closing (status {})", plan.status().name())));
    }
    let counted = plan.votes.iter().filter(|v| v.counted).count();
    assert_eq!(counted, seeded.votes.len(), "member {}: every vote on the plan counts", seat.member);
    // The plan matter names the plan 2027 record: its closing makes that version fastställd.
    if !matches!(plan::adoption_of(store, &seeded.plan_record)?, Adoption::Adopted { matter, .. } if matter == seeded.plan)
    {
        return Ok(Some("the plan 2027 is not fastställd by its matter".into()));
    }
    if plan::adoption_of(store, &seeded.budget_record)? != Adoption::NotAdopted {
        return Ok(Some("the budget 2027 is fastställd though its matter is open".into()));
    }
    // The utfall of two quarters follows the plan 2027 up on every node.
    let report = plan::plan_report(store, &chain, &seeded.plan_record)?.context("the plan 2027 is held")?;
    if report.follow_up.quarters.len() != 2 {
        return Ok(Some(format!("the plan 2027's utfall ({} quarters)", report.follow_up.quarters.len())));
    }
    let budget = governance::matter_report(store, &chain, &seeded.budget)?.context("the budget is held")?;
    assert_eq!(budget.status(), Status::Open, "member {}: the budget stays open", seat.member);
    let minutes = governance::minutes_report(store, &seeded.minutes)?.context("the minutes are held")?;
    if minutes.status != JusteringStatus::Justerat {
        return Ok(Some(format!("justering ({:?})", minutes.status)));
    }
    let today = samverka_node::agreement::today();
    let agreement = samverka_node::agreement::agreement(store, &chain, &seeded.agreement, today)?
        .context("the agreement is held")?;
    if !agreement.summary.status.signed_by_all() {
        return Ok(Some(format!("the agreement signed by all ({:?})", agreement.summary.status)));
    }
    // WebCare's SLA table is the federation's record, adopted before the support cases, which
    // it clocks.
    let tables = samverka_node::support::tables(store)?;
    if tables.in_force(samverka_node::support::now_ms()).map(|t| t.id) != Some(seeded.sla.table) {
        return Ok(Some("WebCare's SLA table adopted and in force".into()));
    }
    let cases = samverka_node::support::cases(store, &chain, &samverka_node::support::Inbox::All, 0)?;
    if cases.iter().any(|c| c.table != Some(seeded.sla.table)) {
        return Ok(Some("every support case clocked by the adopted SLA table".into()));
    }
    Ok(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_holds_the_seeded_matters_votes_closing_and_justerade_minutes() -> Result<()> {
    let options = demo::Options { members: MEMBERS, dir: None, api_port: 0, p2p_port: 0 };
    let running = demo::start(&options).await?;
    let result = check(&running).await;
    running.shutdown().await;
    result
}

async fn check(running: &demo::Demo) -> Result<()> {
    let seeded = demo::seed(running).await?.context("a fresh demo seeds its content")?;
    assert_eq!(seeded.votes.len(), MEMBERS, "every member of a small demo votes on the plan");
    assert_eq!(seeded.justeringar.len(), 3, "the chair and two justerare attest the minutes");

    // Each vote is signed by its own member's styrgrupp ordinarie.
    let seats = running.seats();
    let host = &seats[0];
    for (seat, vote) in seats.iter().zip(&seeded.votes) {
        let record = host.ledger.store().get(vote)?.context("the host holds every vote")?;
        let ordinarie = testkit::key(&format!("demo/{}/ordinarie", seat.member)).public();
        assert_eq!(record.header().author, ordinarie, "the vote of {} is signed by its ordinarie", seat.member);
    }

    let deadline = Instant::now() + CONVERGENCE;
    for seat in &seats {
        while let Some(what) = lacking(seat, &seeded)? {
            if Instant::now() >= deadline {
                bail!("the node of {} still lacks {what} after {CONVERGENCE:?}", seat.member);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let page = get(running.host_node().api_addr, "/arenden").await?;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for text in [content::PLAN_TITLE, content::BUDGET_TITLE, "Avslutat", "Öppet"] {
        assert!(page.contains(text), "the host's /arenden lists {text:?}:\n{page}");
    }
    let member = get(running.nodes[1].1.api_addr, "/arenden").await?;
    assert!(
        member.contains(content::PLAN_TITLE) && member.contains("Avslutat"),
        "a member's node lists them:\n{member}"
    );
    let decided = get(running.host_node().api_addr, &format!("/arenden/{}", seeded.plan.to_hex())).await?;
    assert!(decided.contains(&seeded.closing.to_hex()), "the decided matter's page names its closing");
    assert!(
        decided.contains("Plan som beslutet gäller</dt><dd><a href=\"/planer/"),
        "and the plan version it adopted:\n{decided}"
    );

    let sla = get(running.host_node().api_addr, &format!("/arenden/{}", seeded.sla.matter.to_hex())).await?;
    assert!(
        sla.contains("SLA-tabell som beslutet gäller</dt><dd><a href=\"/support\">WebCare, applikationsförvaltning"),
        "the SLA matter's page names the table it adopted:\n{sla}"
    );

    assert!(demo::seed(running).await?.is_none(), "a demo holding its content does not seed it twice");

    // The operator's page names the connected members and who holds the newest matter.
    let node = get(running.host_node().api_addr, "/noden").await?;
    let other = &running.nodes[1].0.name;
    assert!(node.contains("Förbundna noder") && node.contains(&format!("<th scope=\"row\">{other}</th>")), "{node}");
    assert!(node.contains(content::BUDGET_TITLE) && node.contains("finns hos"), "{node}");

    // Host actions work in the demo: the host's node closes the open budget for its operator.
    let closed =
        post_as_operator(running.host_node().api_addr, &format!("/api/v1/matters/{}/close", seeded.budget.to_hex()))
            .await?;
    assert!(closed.starts_with("HTTP/1.1 201"), "the host closes the budget:\n{closed}");
    Ok(())
}
