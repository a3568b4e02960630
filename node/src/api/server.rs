//! Serving the API on a socket so that no client can starve the others: a cap on connections in
//! all and per client address, a deadline for a request's headers (which also closes idle
//! keep-alive connections), and a deadline for reading its body. Over plain http, or over https
//! when the node has its own certificate ([`super::tls`]): then the TLS handshake has a deadline
//! too, and ALPN offers HTTP/2 and HTTP/1.1.
//!
//! A connection over a cap is accepted and closed at once, so it never holds a file descriptor
//! longer than that; an accept error (such as running out of descriptors) pauses accepting
//! briefly instead of spinning. Every connection is a task owned by the server and ends with it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Most connections open at once, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Most connections open at once from one client address (an IPv6 client is its /64).
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 64;
/// Time a client has to send a request's headers, and that an idle connection is kept.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to finish the TLS handshake (https only).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send a request's whole body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed accept (out of file descriptors, say) before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Time connections get to finish their requests when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Open connections, in all and per client.
#[derive(Default)]
struct Open {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One open connection's place under the caps; given back when dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    client: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<Open>>, client: IpAddr, max: usize) -> Option<Slot> {
        let mut o = open.lock().expect("connection count lock poisoned");
        let mine = o.per_client.get(&client).copied().unwrap_or(0);
        if o.total >= max || mine >= MAX_CONNECTIONS_PER_CLIENT {
            return None;
        }
        o.total += 1;
        o.per_client.insert(client, mine + 1);
        Some(Slot { open: open.clone(), client })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().expect("connection count lock poisoned");
        o.total -= 1;
        if let Some(n) = o.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                o.per_client.remove(&self.client);
            }
        }
    }
}

/// The address a client is counted by: an IPv4 address, or an IPv6 address's /64 (one site).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
        },
        v4 => v4,
    }
}

/// A connection's byte stream: a TCP stream, or a TLS stream over one.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// Serves `router` on `listener` until `shutdown` resolves, with at most `max_connections` open
/// connections, over https when `tls` is given and plain http otherwise. Each request carries the
/// client's [`ConnectInfo<SocketAddr>`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let scheme = if tls.is_some() { "https" } else { "http" };
    match listener.local_addr() {
        Ok(address) => tracing::info!(%address, scheme, "the API and web pages are served"),
        Err(e) => tracing::warn!(error = %e, scheme, "the API's listening address is unknown"),
    }
    let tls = tls.map(TlsAcceptor::from);
    let open = Arc::new(Mutex::new(Open::default()));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    // HTTP/2 has no header deadline: a peer that stops answering pings is closed instead.
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(HEADER_TIMEOUT).keep_alive_timeout(HEADER_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "the API cannot accept a connection; pausing");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Some(slot) = Slot::take(&open, client_key(peer.ip()), max_connections) else {
            tracing::debug!(client = %peer, "connection refused: too many open");
            continue;
        };
        let (router, builder, watcher, tls) = (router.clone(), builder.clone(), graceful.watcher(), tls.clone());
        connections.spawn(async move {
            if let Some(stream) = secure(stream, peer, tls).await {
                connection(stream, peer, router, &builder, watcher).await;
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the grace period: closing them");
    }
    connections.shutdown().await;
}

/// The stream to speak HTTP on: the TCP stream itself, or, with `tls`, the TLS stream once its
/// handshake has finished within [`HANDSHAKE_TIMEOUT`] (`None` when it has not).
async fn secure(stream: TcpStream, peer: SocketAddr, tls: Option<TlsAcceptor>) -> Option<Box<dyn Stream>> {
    let Some(tls) = tls else {
        return Some(Box::new(stream));
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
        Ok(Ok(stream)) => Some(Box::new(stream)),
        Ok(Err(e)) => {
            tracing::debug!(client = %peer, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(client = %peer, "TLS handshake not finished in time: closing");
            None
        }
    }
}

/// Serves one connection until it ends or the server stops.
async fn connection(
    stream: Box<dyn Stream>,
    peer: SocketAddr,
    router: Router,
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
) {
    let service = router.map_request(move |request: hyper::Request<hyper::body::Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        host_from_authority(&mut request);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(client = %peer, error = %e, "connection ended with an error");
    }
}

/// An HTTP/2 request names its host in `:authority`, which hyper keeps in the URI, not in a
/// `Host` header: copy it there, as HTTP/1.1 sends it, so every check of the host (the guard's
/// allow-list, the pages' same-origin check) reads the one header whatever the protocol.
fn host_from_authority<B>(request: &mut Request<B>) {
    if request.headers().contains_key(header::HOST) {
        return;
    }
    let Some(authority) = request.uri().authority() else {
        return;
    };
    let host = authority.as_str().rsplit('@').next().unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(host) {
        request.headers_mut().insert(header::HOST, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http2_authority_becomes_the_host_header_and_a_host_header_stays() {
        let mut h2 = Request::get("https://user@samverka.lulea.se:8443/healthz").body(()).expect("request");
        host_from_authority(&mut h2);
        assert_eq!(h2.headers()[header::HOST], "samverka.lulea.se:8443");
        let mut h1 = Request::get("/healthz").header(header::HOST, "localhost").body(()).expect("request");
        host_from_authority(&mut h1);
        assert_eq!(h1.headers()[header::HOST], "localhost");
    }

    #[test]
    fn a_client_is_counted_by_its_address_or_its_ipv6_site() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("address");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("address");
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().expect("address");
        assert_eq!(client_key(mapped), "10.0.0.7".parse::<IpAddr>().expect("address"));
    }

    #[test]
    fn caps_hold_in_all_and_per_client_and_free_on_drop() {
        let open = Arc::new(Mutex::new(Open::default()));
        let one: IpAddr = "127.0.0.2".parse().expect("address");
        let slots: Vec<Slot> =
            (0..MAX_CONNECTIONS_PER_CLIENT).map(|_| Slot::take(&open, one, 1000).expect("room")).collect();
        assert!(Slot::take(&open, one, 1000).is_none(), "per-client cap");
        let other: IpAddr = "127.0.0.3".parse().expect("address");
        assert!(Slot::take(&open, other, MAX_CONNECTIONS_PER_CLIENT).is_none(), "total cap");
        drop(slots);
        assert_eq!(open.lock().expect("lock").total, 0);
        assert!(Slot::take(&open, one, 1000).is_some());
    }
}
