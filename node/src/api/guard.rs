//! What the API checks of every request before any handler runs, and adds to every answer, so
//! that a browser page cannot reach it by another name and no client can flood its writes:
//! a `Host` allow-list (DNS rebinding), a per-client rate limit on writes (429 with
//! `Retry-After`), and security headers.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::server::client_key;
use super::Error;

/// Writes a client may make per second, by default.
pub const DEFAULT_WRITES_PER_SECOND: u32 = 100;
/// Writes a client may make at once before the rate applies.
const WRITE_BURST: u32 = 200;
/// Host names every node answers for: the loopback names.
const LOOPBACK_HOSTS: [&str; 4] = ["localhost", "127.0.0.1", "[::1]", "::1"];
/// Headers on every answer.
const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // `same-origin`, not `no-referrer`: with no referrer at all, browsers send `Origin: null` on the
    // pages' own form posts, and the forms' origin check could not tell them from a foreign site's.
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    ),
    (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
];

/// The guard's settings and the write limiter's state.
pub struct Guard {
    hosts: Vec<String>,
    trusted_proxy: Option<IpAddr>,
    writes: DefaultKeyedRateLimiter<IpAddr>,
}

impl Guard {
    /// A guard answering for the loopback names, any IP address, and `hosts` (names, without a
    /// port), limiting each client to `writes_per_second`. A client behind `trusted_proxy` is
    /// named by the last address that proxy adds to `X-Forwarded-For`.
    pub fn new(hosts: &[String], writes_per_second: u32, trusted_proxy: Option<IpAddr>) -> Guard {
        let mut names: Vec<String> = LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        names.extend(hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        let rate = NonZeroU32::new(writes_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(WRITE_BURST.max(writes_per_second)).unwrap_or(NonZeroU32::MIN);
        Guard {
            hosts: names,
            trusted_proxy,
            writes: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = match host.rsplit_once(':') {
            // "[::1]:7080" or "name:7080"; a bare IPv6 address has more than one colon.
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.ends_with(':') => name,
            _ => host,
        };
        let name = name.to_ascii_lowercase();
        // DNS rebinding needs a name the attacker controls; an address typed as the host cannot
        // rebind, so a node is reachable by any of its addresses.
        let literal = name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok();
        literal || self.hosts.contains(&name)
    }

    /// The client a request is counted as.
    fn client(&self, request: &Request) -> Option<IpAddr> {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
        if Some(peer) == self.trusted_proxy {
            let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            if let Some(ip) = forwarded.and_then(|f| f.rsplit(',').next()).and_then(|a| a.trim().parse().ok()) {
                return Some(client_key(ip));
            }
        }
        Some(client_key(peer))
    }

    /// Forgets clients that have been quiet (bounds the limiter's memory).
    pub fn forget_quiet_clients(&self) {
        self.writes.retain_recent();
        self.writes.shrink_to_fit();
    }
}

impl Default for Guard {
    fn default() -> Guard {
        Guard::new(&[], DEFAULT_WRITES_PER_SECOND, None)
    }
}

/// The middleware: checks the host and the write rate, then adds the security headers.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let host = host.or_else(|| request.uri().authority().map(|a| a.to_string()));
    if let Some(host) = host.filter(|h| !guard.host_allowed(h)) {
        return with_headers(Error::UnknownHost(host).into_response(), true);
    }
    let write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if write {
        if let Some(client) = guard.client(&request) {
            if let Err(not_until) = guard.writes.check_key(&client) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let seconds = wait.as_secs() + 1;
                let message = format!("too many writes from {client}; try again in {seconds} s");
                let mut response = Error::TooManyRequests { code: "rate_limited", message }.into_response();
                if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return with_headers(response, true);
            }
        }
    }
    let api = request.uri().path().starts_with("/api/") || request.uri().path() == "/metrics";
    with_headers(next.run(request).await, api)
}

fn with_headers(mut response: Response, no_store: bool) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_for_loopback_and_configured_names_with_or_without_a_port() {
        let guard = Guard::new(&["Samverka.Lulea.se".into()], 10, None);
        for ok in [
            "localhost",
            "localhost:7080",
            "127.0.0.1:7080",
            "[::1]:7080",
            "samverka.lulea.se",
            "SAMVERKA.lulea.se:443",
        ] {
            assert!(guard.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.example", "evil.example:7080", "localhost.evil.example", "10.0.0.5.evil.example"] {
            assert!(!guard.host_allowed(bad), "{bad}");
        }
    }
}
