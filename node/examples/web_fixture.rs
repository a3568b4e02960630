//! Serves the web pages' test fixture (`node/tests/support/fixture.rs`: Norrbotten's 14
//! kommuner, a closed and an open matter) on a loopback port, for `scripts/browser-test.sh`.
//!
//! Usage: `cargo run -p samverka-node --example web_fixture`. Prints
//! `http://ADDR CLOSED-MATTER-ID OPEN-MATTER-ID MINUTES-ID HOST-ORG-KEY-FILE NEW-KEY` on one line
//! (the host member's organisation key as a key file, and a person's key no roster certifies),
//! then serves until killed.

#[allow(dead_code)] // the ledger is for the tests' assertions
#[path = "../tests/support/fixture.rs"]
mod fixture;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let f = fixture::fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let org_file = f._dir.path().join("host-organisation.key");
    let host = f.fed.chain.current().host.clone();
    samverka_node::keyfile::write_secret(&org_file, "fixture host organisation", &f.fed.orgs[&host].key)?;
    let newcomer = samverka_protocol::SigningKey::from_seed(&[42; 32]).public();
    println!(
        "http://{addr} {} {} {} {} {newcomer}",
        f.closed.to_hex(),
        f.open.to_hex(),
        f.minutes.to_hex(),
        org_file.display()
    );
    std::io::stdout().flush()?;
    axum::serve(listener, f.router.clone()).await?;
    Ok(())
}
