//! Sign-in without passwords: a person's key lives in their browser (WebCrypto Ed25519,
//! non-extractable, kept in IndexedDB), and signing in is signing a challenge the node issued.
//!
//! # The protocol
//!
//! 1. The sign-in page carries a fresh **challenge**: 32 random bytes, valid for
//!    [`CHALLENGE_TTL`] and usable once. At most [`MAX_CHALLENGES`] are outstanding; issuing one
//!    more forgets the oldest, so nobody can fill the node's memory by asking for pages.
//! 2. The browser signs [`login_message`] — `LOGIN_DOMAIN ‖ federation id ‖ challenge` — and posts
//!    the public key, the challenge and the signature. Binding the federation keeps a signature
//!    made for one federation's node from signing in at another's.
//! 3. The node takes the challenge back (a second use fails), checks the signature strictly, and
//!    asks the roster whether the key is a person's key in force. Only then does it open a
//!    **session**: a random 32-byte token in the cookie [`SESSION_COOKIE`] (`__Host-`, `Secure`,
//!    `HttpOnly`, `SameSite=Strict`, `Path=/`), and a separate random CSRF token that every form
//!    that changes state must carry.
//! 4. A session ends at logout, after [`IDLE_TIMEOUT`] without a request, after
//!    [`ABSOLUTE_TIMEOUT`] in all, or — checked on every request — as soon as the current roster
//!    no longer certifies its key (revoked, expired, or the member removed). At most
//!    [`MAX_SESSIONS`] are held; a new one beyond that ends the one idle longest.
//!
//! Sessions are kept in memory only: a restarted node asks everyone to sign in again, which
//! costs a person one click. Timeouts use the monotonic clock; no wall clock decides anything
//! about records.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use samverka_protocol::{Hash, PublicKey, Signature};

/// The session cookie's name. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`: no other site or subdomain can set or read it.
pub const SESSION_COOKIE: &str = "__Host-samverka_session";
/// Domain separation of the sign-in signature (no record's signing input starts with it).
pub const LOGIN_DOMAIN: &[u8] = b"samverka/v1/login\0";
/// How long a challenge may be used after it was issued.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
/// Challenges outstanding at most.
pub const MAX_CHALLENGES: usize = 4096;
/// Sessions held at most.
pub const MAX_SESSIONS: usize = 10_000;
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);

/// A challenge for a browser to sign.
pub type Challenge = [u8; 32];

/// The bytes a browser signs to sign in with `challenge` at a node of `federation`.
pub fn login_message(federation: &Hash, challenge: &Challenge) -> Vec<u8> {
    [LOGIN_DOMAIN, &federation.0[..], &challenge[..]].concat()
}

/// A signed-in person's session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The key that signed in.
    pub key: PublicKey,
    /// The token every state-changing form carries (hex).
    pub csrf: String,
    created: Instant,
    seen: Instant,
}

/// Why a sign-in was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The challenge is unknown, used already, or older than [`CHALLENGE_TTL`].
    #[error("the sign-in challenge has expired or was used already")]
    StaleChallenge,
    /// The signature does not verify with the key over the challenge.
    #[error("the signature does not match the key")]
    BadSignature,
    /// The key is not a person's key in force in the current roster.
    #[error("the key is not certified in the current roster")]
    NotCertified,
    /// The form was not what the sign-in page sends.
    #[error("the sign-in form is incomplete")]
    Malformed,
}

impl LoginError {
    /// A stable code, for logs and the texts' catalog keys (`login.error.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            LoginError::StaleChallenge => "stale_challenge",
            LoginError::BadSignature => "bad_signature",
            LoginError::NotCertified => "not_certified",
            LoginError::Malformed => "malformed",
        }
    }
}

/// The node's challenges and sessions.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    challenges: HashMap<Challenge, Instant>,
    sessions: HashMap<[u8; 32], Session>,
}

fn random32() -> [u8; 32] {
    let mut bytes = [0; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh challenge, valid for [`CHALLENGE_TTL`].
    pub fn challenge(&self) -> Challenge {
        self.challenge_at(Instant::now())
    }

    fn challenge_at(&self, now: Instant) -> Challenge {
        let mut inner = self.lock();
        inner.challenges.retain(|_, issued| now.saturating_duration_since(*issued) < CHALLENGE_TTL);
        if inner.challenges.len() >= MAX_CHALLENGES {
            if let Some(oldest) = inner.challenges.iter().min_by_key(|(_, t)| **t).map(|(c, _)| *c) {
                inner.challenges.remove(&oldest);
            }
        }
        let challenge = random32();
        inner.challenges.insert(challenge, now);
        challenge
    }

    /// Checks a sign-in: takes `challenge` back and verifies `signature` by `key` over
    /// [`login_message`]. The caller then checks the roster and calls [`Sessions::open`].
    pub fn verify(
        &self,
        federation: &Hash,
        key: &PublicKey,
        challenge: &Challenge,
        signature: &Signature,
    ) -> Result<(), LoginError> {
        self.verify_at(federation, key, challenge, signature, Instant::now())
    }

    fn verify_at(
        &self,
        federation: &Hash,
        key: &PublicKey,
        challenge: &Challenge,
        signature: &Signature,
        now: Instant,
    ) -> Result<(), LoginError> {
        let issued = self.lock().challenges.remove(challenge).ok_or(LoginError::StaleChallenge)?;
        if now.saturating_duration_since(issued) >= CHALLENGE_TTL {
            return Err(LoginError::StaleChallenge);
        }
        if !key.verify_strict(&login_message(federation, challenge), signature) {
            return Err(LoginError::BadSignature);
        }
        Ok(())
    }

    /// Opens a session for `key`: returns the cookie token (hex) and the session.
    pub fn open(&self, key: PublicKey) -> (String, Session) {
        self.open_at(key, Instant::now())
    }

    fn open_at(&self, key: PublicKey, now: Instant) -> (String, Session) {
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| live(s, now));
        if inner.sessions.len() >= MAX_SESSIONS {
            if let Some(idlest) = inner.sessions.iter().min_by_key(|(_, s)| s.seen).map(|(t, _)| *t) {
                inner.sessions.remove(&idlest);
            }
        }
        let token = random32();
        let session = Session { key, csrf: hex::encode(random32()), created: now, seen: now };
        inner.sessions.insert(token, session.clone());
        (hex::encode(token), session)
    }

    /// The live session of cookie `token`, marked as seen now; `None` (and the session ended)
    /// when it timed out.
    pub fn get(&self, token: &str) -> Option<Session> {
        self.get_at(token, Instant::now())
    }

    fn get_at(&self, token: &str, now: Instant) -> Option<Session> {
        let token = parse_token(token)?;
        let mut inner = self.lock();
        let session = inner.sessions.get_mut(&token)?;
        if !live(session, now) {
            inner.sessions.remove(&token);
            return None;
        }
        session.seen = now;
        Some(session.clone())
    }

    /// Ends the session of cookie `token` (logout, or its key is no longer in force).
    pub fn end(&self, token: &str) {
        if let Some(token) = parse_token(token) {
            self.lock().sessions.remove(&token);
        }
    }

    /// Sessions held (for metrics and tests).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.saturating_duration_since(s.seen) < IDLE_TIMEOUT && now.saturating_duration_since(s.created) < ABSOLUTE_TIMEOUT
}

fn parse_token(token: &str) -> Option<[u8; 32]> {
    if token.len() != 64 {
        return None;
    }
    hex::decode(token).ok()?.try_into().ok()
}

/// Whether two CSRF tokens are equal, in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use samverka_protocol::SigningKey;

    use super::*;

    const FEDERATION: Hash = Hash([9; 32]);

    fn signed(key: &SigningKey, challenge: &Challenge) -> Signature {
        key.sign(&login_message(&FEDERATION, challenge))
    }

    #[test]
    fn a_signed_challenge_signs_in_once() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]);
        let challenge = sessions.challenge();
        let signature = signed(&key, &challenge);
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &signature), Ok(()));
        assert_eq!(
            sessions.verify(&FEDERATION, &key.public(), &challenge, &signature),
            Err(LoginError::StaleChallenge),
            "a challenge is used once"
        );
    }

    #[test]
    fn a_signature_by_another_key_or_for_another_federation_is_refused() {
        let sessions = Sessions::default();
        let (key, other) = (SigningKey::from_seed(&[1; 32]), SigningKey::from_seed(&[2; 32]));
        let challenge = sessions.challenge();
        let by_other = signed(&other, &challenge);
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &by_other), Err(LoginError::BadSignature));
        let challenge = sessions.challenge();
        let elsewhere = key.sign(&login_message(&Hash([8; 32]), &challenge));
        assert_eq!(sessions.verify(&FEDERATION, &key.public(), &challenge, &elsewhere), Err(LoginError::BadSignature));
    }

    #[test]
    fn a_challenge_expires() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]);
        let start = Instant::now();
        let challenge = sessions.challenge_at(start);
        let late = start + CHALLENGE_TTL;
        assert_eq!(
            sessions.verify_at(&FEDERATION, &key.public(), &challenge, &signed(&key, &challenge), late),
            Err(LoginError::StaleChallenge)
        );
    }

    #[test]
    fn outstanding_challenges_are_bounded() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let first = sessions.challenge_at(now);
        for i in 1..=MAX_CHALLENGES {
            sessions.challenge_at(now + Duration::from_millis(i as u64));
        }
        assert_eq!(sessions.lock().challenges.len(), MAX_CHALLENGES);
        assert!(!sessions.lock().challenges.contains_key(&first), "the oldest is forgotten");
    }

    #[test]
    fn sessions_end_when_idle_too_long_and_after_the_absolute_timeout() {
        let sessions = Sessions::default();
        let key = SigningKey::from_seed(&[1; 32]).public();
        let start = Instant::now();
        let (token, _) = sessions.open_at(key, start);
        let step = IDLE_TIMEOUT - Duration::from_secs(1);
        let mut now = start;
        while now + step < start + ABSOLUTE_TIMEOUT {
            now += step;
            assert!(sessions.get_at(&token, now).is_some(), "an active session lives");
        }
        assert!(sessions.get_at(&token, start + ABSOLUTE_TIMEOUT).is_none(), "but not past the absolute timeout");
        let (token, _) = sessions.open_at(key, start);
        assert!(sessions.get_at(&token, start + IDLE_TIMEOUT).is_none(), "an idle one ends");
        assert!(sessions.is_empty());
    }

    #[test]
    fn logout_ends_the_session_and_junk_tokens_find_nothing() {
        let sessions = Sessions::default();
        let (token, session) = sessions.open(SigningKey::from_seed(&[1; 32]).public());
        assert_eq!(session.csrf.len(), 64);
        assert!(sessions.get(&token).is_some());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
        for junk in ["", "zz", &"0".repeat(64), &"é".repeat(32)] {
            assert!(sessions.get(junk).is_none());
        }
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
